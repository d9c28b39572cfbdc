# Top-level Makefile: a thin wrapper around CMake (as neovim's is).
#   make deps   install the missing Debian packages (idempotent, quiet when none)
#   make        build (build/)
#   make run    build, run the daemon in the foreground and show its diagnosis
#   make check  build, then the fast tier: the tests that need no root, no
#               network namespace and no other build (unit, golden, CLI without
#               a daemon, the fuzz corpora replayed, headers alone), for every edit
#   make test   deps + build + ASan/UBSan build + fuzz build, then one ctest run
#               over the unit, golden, CLI, daemon and lab tests, their ASan+UBSan
#               twins and short fuzz runs
#   make asan   the suite under ASan+UBSan only
#   make fuzz   long fuzz runs (FUZZ_SECONDS each, default 300)
#   make demo   the network lab with live faults
#   make clean

BUILD_DIR      ?= build
ASAN_DIR       ?= build-asan
FUZZ_DIR       ?= build-fuzz
BUILD_TYPE     ?= RelWithDebInfo
FUZZ_SECONDS   ?= 300
SHORT_FUZZ     ?= 10
JOBS           ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE          ?= cmake
CTEST          ?= ctest
CMAKE_FLAGS    ?=

.PHONY: all deps build asan-build fuzz-build run check test asan fuzz demo clean install deb

all: build

deps:
	@sh scripts/deps.sh

build: deps
	@$(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null
	@$(CMAKE) --build $(BUILD_DIR) -j $(JOBS)

asan-build: deps
	@$(CMAKE) -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DVD_SANITIZE=ON -DVD_LAB=OFF >/dev/null
	@$(CMAKE) --build $(ASAN_DIR) -j $(JOBS)

fuzz-build: deps
	@$(CMAKE) -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DVD_FUZZ=ON -DVD_LAB=OFF >/dev/null
	@$(CMAKE) --build $(FUZZ_DIR) -j $(JOBS)

run: build
	@sh scripts/run.sh $(BUILD_DIR)

# The fast tier (tests/CMakeLists.txt says which tests are in it).
check: build
	@$(CTEST) --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) -L '^check$$'

test: deps asan-build fuzz-build
	@$(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DVD_VALGRIND=ON \
		-DVD_ASAN_BIN_DIR=$(abspath $(ASAN_DIR))/bin -DVD_FUZZ_BIN_DIR=$(abspath $(FUZZ_DIR))/bin \
		-DVD_FUZZ_SECONDS=$(SHORT_FUZZ) $(CMAKE_FLAGS) >/dev/null
	@$(CMAKE) --build $(BUILD_DIR) -j $(JOBS)
	@$(CTEST) --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

asan: deps asan-build
	@$(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
		-DVD_ASAN_BIN_DIR=$(abspath $(ASAN_DIR))/bin $(CMAKE_FLAGS) >/dev/null
	@$(CMAKE) --build $(BUILD_DIR) -j $(JOBS)
	@$(CTEST) --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) -L asan

fuzz: deps fuzz-build
	@for t in $(FUZZ_DIR)/bin/fuzz_*; do \
		n=$$(basename $$t | sed 's/^fuzz_//'); \
		echo "== $$t ($(FUZZ_SECONDS) s)"; \
		tests/fuzz/run-fuzz.sh $$t tests/fuzz/corpus/$$n $(FUZZ_SECONDS) || exit 1; \
	done

demo: build
	@sh tests/lab/demo.sh $(BUILD_DIR)

install: build
	@$(CMAKE) --install $(BUILD_DIR)

# The Debian package, built from a copy of the tree in build-deb/src.
deb: deps
	@sh packaging/build-deb.sh build-deb

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR)
