#!/bin/sh
# run-fuzz.sh [--keep DIR] TARGET CORPUS LIBFUZZER_OPTION...
#
# Runs a libFuzzer TARGET from the inputs of CORPUS (tests/fuzz/corpus/NAME:
# the seeds and the kept crashes) with the options given:
#   -runs=N -seed=S        the suite (make test): the same N inputs on every
#                          run and machine, so it fails only for what a change
#                          did. libFuzzer repeats itself only when the
#                          addresses do (no ASLR: setarch -R) and the corpus
#                          is not re-read on a timer (-reload=0), both set here.
#   -max_total_time=SEC    a campaign (make fuzz), with a random seed.
# The repo's corpus is never written to: the fuzzer works on a scratch copy,
# or with --keep in DIR (made from CORPUS when it does not exist, and kept:
# what a campaign found stays there, and the end of the run says how to add
# it to CORPUS).
#
# The fuzzer's progress lines go to a scratch log; this prints its seed and
# final stats, and on a failure the end of that log (the sanitizer's report
# or the abort's backtrace) and the input that caused it in base64 (also
# copied to $VD_FUZZ_ARTIFACTS when set), so a CI log, even a truncated one,
# is enough to reproduce it:
#   echo BASE64 | base64 -d > crash && TARGET crash
set -eu
keep=
if [ "${1:-}" = --keep ]; then
	keep=$2
	shift 2
fi
if [ $# -lt 2 ]; then
	echo "usage: run-fuzz.sh [--keep DIR] TARGET CORPUS LIBFUZZER_OPTION..." >&2
	exit 2
fi
target=$(realpath "$1") seeds=$(realpath -m "$2")
shift 2
name=$(basename "$target")
[ -x "$target" ] || { echo "run-fuzz: no fuzz target $target (the clang build: make fuzz-build)" >&2; exit 1; }
[ -d "$seeds" ] || { echo "run-fuzz: no corpus $seeds" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
if [ -n "$keep" ]; then
	mkdir -p "$keep"
	corpus=$(realpath "$keep")
	[ -n "$(ls -A "$corpus")" ] || cp -r "$seeds"/. "$corpus/"
else
	corpus=$work/corpus
	mkdir "$corpus"
	cp -r "$seeds"/. "$corpus/"
fi
before=$(ls "$corpus" | wc -l)

# Repeatable runs: the same addresses (libFuzzer's comparison tables are
# keyed by code address) and no timed re-read of the corpus directory.
norand=
case " $* " in
*" -seed="*)
	if setarch -R true 2>/dev/null; then
		norand="setarch -R"
	else
		echo "run-fuzz: setarch -R does not work here: this run may differ from another with the same seed"
	fi
	set -- "$@" -reload=0
	;;
esac

cd "$work"
rc=0
# -error_exitcode: libFuzzer's default, 77, is what ctest counts as a skip
$norand "$target" "$@" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -error_exitcode=1 \
	-print_final_stats=1 "$corpus" >fuzz.log 2>&1 || rc=$?
grep -E '^(INFO: Seed|stat::)' fuzz.log || true
if [ "$rc" -ne 0 ]; then
	echo "run-fuzz: $name exited with $rc; the end of its output:"
	# the report, not the progress lines before it
	grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|RELOAD)' fuzz.log | tail -n 60
	for f in crash-* leak-* timeout-* oom-* slow-unit-*; do
		[ -f "$f" ] || continue
		b64=$(base64 -w 0 "$f")
		echo "run-fuzz: $f ($(wc -c <"$f") bytes), base64:"
		echo "$b64"
		if [ -n "${VD_FUZZ_ARTIFACTS:-}" ]; then
			mkdir -p "$VD_FUZZ_ARTIFACTS" && cp "$f" "$VD_FUZZ_ARTIFACTS/$name-$f"
			echo "run-fuzz: kept as $VD_FUZZ_ARTIFACTS/$name-$f"
		fi
		echo "run-fuzz: to reproduce it: echo $b64 | base64 -d > $f && $target $f"
		echo "run-fuzz: once fixed, keep it as a regression input (make check replays it):"
		echo "  echo $b64 | base64 -d > $seeds/$f"
	done
	[ "$rc" -ne 77 ] || rc=1 # never a skip
fi
if [ -n "$keep" ]; then
	echo "run-fuzz: $corpus holds $(ls "$corpus" | wc -l) inputs ($before when it started); to add to" \
		"the corpus those that reach code it does not (then commit them):"
	echo "  $target -merge=1 $seeds $corpus"
fi
exit "$rc"
