#!/bin/bash
# Benchmark of the node_exporter textfile writer (prints figures; not a
# pass/fail test, though it exits 1 if two writes came closer than 15 s).
#   cadence: the model fed probe results every 100 ms for CADENCE_S seconds
#   (findings opening and resolving), each rename of vpndoctor.prom seen
#   with inotify: writes never closer than 15 s, the latest state written;
#   cost: one write's CPU and wall time (status + facts + render, then
#   write + fsync + rename) over N runs, for TUNNELS tunnels.
# No network and no root needed (the directory is a temporary one).
# Usage: tests/bench/bench_metrics.sh [BUILD_DIR]  (env: CADENCE_S=65 N=1000 TUNNELS=4)
set -euo pipefail

BUILD=${1:-build}
BUILD=$(cd "$BUILD" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ -f "$BUILD/daemon/libvpndoctord-core.a" ] || { echo "no $BUILD/daemon/libvpndoctord-core.a" >&2; exit 1; }
work=$(mktemp -d /tmp/vd-bench-metrics.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/prom"

# shellcheck disable=SC2046
cc -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -I"$SRC" -I"$SRC/daemon" -I"$SRC/include" \
	$(pkg-config --cflags libcjson libevent) -o "$work/driver" "$SRC/tests/bench/bench_metrics_driver.c" \
	"$BUILD/daemon/libvpndoctord-core.a" "$BUILD/lib/libvpndoctor.a" \
	$(pkg-config --libs libevent libsystemd inih libnl-3.0 libnl-route-3.0 libcjson openssl libcap-ng) -lm

echo "vpndoctor.prom writer: $(nproc) cores, $(uname -r), $(df -T "$work" | awk 'NR == 2 { print $2 }') at $work"
"$work/driver" "$work/prom" "${CADENCE_S:-65}" "${N:-1000}" "${TUNNELS:-4}"
