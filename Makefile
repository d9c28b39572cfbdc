# Top-level Makefile: a thin wrapper around CMake (as neovim's is).
#   make deps   install the missing Debian packages (idempotent, quiet when none)
#   make        build (build/)
#   make run    build, run the daemon in the foreground and show its diagnosis
#   make check  build, then the fast tier: the tests that need no root, no
#               network namespace and no other build (unit, golden, CLI without
#               a daemon, the fuzz corpora replayed, headers alone), for every edit
#   make test   deps + build + ASan/UBSan build + fuzz build, then one ctest run
#               over the unit, golden, CLI, daemon and lab tests, their ASan+UBSan
#               twins and the fuzz targets (fixed seed, fixed runs: repeatable)
#   make asan   the suite under ASan+UBSan only
#   make fuzz   fuzz campaigns with a random seed (FUZZ_SECONDS each, default
#               300; FUZZ=NAME for one target), kept in build-fuzz/corpus/
#   make demo   the network lab with live faults
#   make clean

BUILD_DIR      ?= build
ASAN_DIR       ?= build-asan
FUZZ_DIR       ?= build-fuzz
BUILD_TYPE     ?= RelWithDebInfo
FUZZ_SECONDS   ?= 300
FUZZ           ?=
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
		-DVD_TEST_CPUS=$(JOBS) $(CMAKE_FLAGS) >/dev/null
	@$(CMAKE) --build $(BUILD_DIR) -j $(JOBS)
	@$(CTEST) --test-dir $(BUILD_DIR) --output-on-failure -j $$(cat $(BUILD_DIR)/ctest-parallel) \
		--resource-spec-file $(abspath $(BUILD_DIR))/ctest-resources.json

asan: deps asan-build
	@$(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
		-DVD_ASAN_BIN_DIR=$(abspath $(ASAN_DIR))/bin $(CMAKE_FLAGS) >/dev/null
	@$(CMAKE) --build $(BUILD_DIR) -j $(JOBS)
	@$(CTEST) --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) -L asan

# Each campaign goes on from its corpus in $(FUZZ_DIR)/corpus/NAME (made from
# tests/fuzz/corpus/NAME the first time); run-fuzz.sh says how to add what it
# found to the repo's corpus, and crashes are kept in $(FUZZ_DIR)/artifacts.
fuzz: deps fuzz-build
	@failed=""; \
	for t in $(if $(FUZZ),$(FUZZ_DIR)/bin/fuzz_$(FUZZ),$(FUZZ_DIR)/bin/fuzz_*); do \
		n=$$(basename $$t | sed 's/^fuzz_//'); \
		echo "== $$t ($(FUZZ_SECONDS) s, a random seed)"; \
		VD_FUZZ_ARTIFACTS=$(abspath $(FUZZ_DIR))/artifacts tests/fuzz/run-fuzz.sh \
			--keep $(FUZZ_DIR)/corpus/$$n $$t tests/fuzz/corpus/$$n -max_total_time=$(FUZZ_SECONDS) || \
			failed="$$failed $$n"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: found a bug in:$$failed (see above)"; exit 1; fi

demo: build
	@sh tests/lab/demo.sh $(BUILD_DIR)

install: build
	@$(CMAKE) --install $(BUILD_DIR)

# The Debian package, built from a copy of the tree in build-deb/src.
deb: deps
	@sh packaging/build-deb.sh build-deb

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR)
