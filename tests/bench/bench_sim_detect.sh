#!/bin/bash
# The detection design alone (the path probe's tests and pacer, driven as
# the probe drives them, bench_sim_detect_driver.c): the distribution of
# the time from a fault's onset to its test's h1 over many faults, which a
# benchmark of 5 runs in the lab (bench_detect.sh) can only sample. Adds
# none of the lab's own time (about 3-4 s: the next run notices a loss, the
# 1.5 s deadline, the runs themselves). No root, no network.
# Usage: tests/bench/bench_sim_detect.sh [BUILD_DIR]   (env: N=2000)
#   FRONTIER=1: instead, what naming 3% loss within a minute from rest would
#   take: the shipped design beside a faster sentinel (4 echoes every 6 s),
#   a faster fast phase (40 a second) and a lighter light test (alpha 3e-6:
#   the false alarms Wald's ARL gives at p0 equal to what Lorden's bound
#   gives now), alone and together; each with its sentinel's bytes and the
#   false alarms it states
set -euo pipefail

BUILD=${1:-build}
BUILD=$(cd "$BUILD" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ -f "$BUILD/lib/libvpndoctor.a" ] || { echo "no $BUILD/lib/libvpndoctor.a" >&2; exit 1; }
work=$(mktemp -d /tmp/vd-bench-sim.XXXXXX)
trap 'rm -rf "$work"' EXIT

# shellcheck disable=SC2046
cc -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$SRC/include" -I"$BUILD/include" -I"$SRC/tests" \
	$(pkg-config --cflags libcjson) -o "$work/driver" "$SRC/tests/bench/bench_sim_detect_driver.c" \
	"$BUILD/lib/libvpndoctor.a" $(pkg-config --libs libcjson) -lm

N=${N:-2000}
if [ -n "${FRONTIER:-}" ]; then
	while IFS='|' read -r name env; do
		echo "== $name"
		# shellcheck disable=SC2086
		env $env "$work/driver" design
		# shellcheck disable=SC2086
		for run in "0.03 1500 0" "0.03 300 0.005" "0.10 1500 0"; do env $env "$work/driver" $run "$N"; done
	done <<-'EOF'
	shipped|
	sentinel 4 every 6 s|SENTINEL_S=6 PER_RUN=4
	fast 40/s|BURST=40 SPACING_S=0.025
	light alpha 3e-6|ALPHA_LIGHT=3e-6
	all three|SENTINEL_S=6 PER_RUN=4 BURST=40 SPACING_S=0.025 ALPHA_LIGHT=3e-6
	EOF
	exit 0
fi
# faults 5-10 minutes apart on a clean path, and on the soak's 0.5% path;
# and a minute or two apart (the lab benchmark's faults one after another)
for loss in 0.10 0.03; do
	"$work/driver" "$loss" 300 0 "$N"
	"$work/driver" "$loss" 300 0.005 "$N"
	"$work/driver" "$loss" 60 0 "$N"
done
