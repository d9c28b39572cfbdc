#!/bin/sh
# run-fuzz.sh TARGET SEED_CORPUS SECONDS: run a libFuzzer target for SECONDS on a
# scratch copy of its seed corpus (the repo's corpus is never written to).
# The fuzzer's progress lines go to a scratch log; the test prints its final
# stats, and on a failure the end of that log (the sanitizer's report or the
# abort's backtrace) and the input that caused it in base64 (kept in
# $VD_FUZZ_ARTIFACTS when set), so a CI log, even a truncated one, is enough
# to reproduce it:
#   echo BASE64 | base64 -d > crash && TARGET crash
set -eu
target=$(realpath "$1") seeds=$(realpath -m "$2") seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir "$work/corpus"
[ -d "$seeds" ] && cp -r "$seeds"/. "$work/corpus/"
cd "$work"
rc=0
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-max_len=65536 -print_final_stats=1 corpus >fuzz.log 2>&1 || rc=$?
grep -E '^(INFO: Seed|stat::)' fuzz.log || true
if [ "$rc" -ne 0 ]; then
	echo "run-fuzz: $(basename "$target") exited with $rc; the end of its output:"
	# the report, not the progress lines before it
	grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|RELOAD)' fuzz.log | tail -n 60
	for f in crash-* leak-* timeout-* oom-* slow-unit-*; do
		[ -f "$f" ] || continue
		echo "run-fuzz: $f ($(wc -c <"$f") bytes), base64:"
		base64 -w 0 "$f"
		echo
		if [ -n "${VD_FUZZ_ARTIFACTS:-}" ]; then
			mkdir -p "$VD_FUZZ_ARTIFACTS" && cp "$f" "$VD_FUZZ_ARTIFACTS/$(basename "$target")-$f"
		fi
	done
fi
exit "$rc"
