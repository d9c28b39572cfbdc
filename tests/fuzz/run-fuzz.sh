#!/bin/sh
# run-fuzz.sh TARGET SEED_CORPUS SECONDS: run a libFuzzer target for SECONDS on a
# scratch copy of its seed corpus (the repo's corpus is never written to).
set -eu
target=$(realpath "$1") seeds=$(realpath -m "$2") seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir "$work/corpus"
[ -d "$seeds" ] && cp -r "$seeds"/. "$work/corpus/"
cd "$work"
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-max_len=65536 -print_final_stats=1 corpus
