#!/bin/sh
# run-fuzz.sh TARGET SEED_CORPUS SECONDS: run a libFuzzer target for SECONDS on a
# scratch copy of its seed corpus (the repo's corpus is never written to).
# On a failure the input that caused it is printed in base64 (and kept in
# $VD_FUZZ_ARTIFACTS when set), so a CI log is enough to reproduce it:
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
	-max_len=65536 -print_final_stats=1 corpus || rc=$?
if [ "$rc" -ne 0 ]; then
	for f in crash-* leak-* timeout-* oom-*; do
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
