#!/bin/bash
# bench_clock.sh [N]: the clock probe beside `ntpdate -q` (ntpsec) against the
# same chronyd, 15 minutes ahead under libfaketime, in one network namespace
# of its own, in the same run. Prints the median and spread of each one's
# offset, the difference of the medians, and the time each measurement took.
# Needs root, chronyd, libfaketime, ntpsec-ntpdate and a built tree ($VD_BIN,
# default build/bin): the probe runs through tests/daemon's driver.
set -u

N=${1:-20}
bin=${VD_BIN:-$(dirname "$0")/../../build/bin}
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
ADDR=198.18.1.123
DRIVER=$bin/daemon_test_probe_clock

[ "$(id -u)" = 0 ] || { echo "bench_clock: needs root" >&2; exit 1; }
for f in "$DRIVER" "$FAKETIME_LIB" /usr/sbin/chronyd /usr/sbin/ntpdate; do
	[ -e "$f" ] || { echo "bench_clock: missing $f" >&2; exit 1; }
done

ns=vd-bench-clock-$$-$RANDOM
work=$(mktemp -d /tmp/vd-bench-clock.XXXXXX) # 0700: chronyd's socket folder
chrony_pid=
cleanup() {
	[ -n "$chrony_pid" ] && kill "$chrony_pid" 2>/dev/null && wait "$chrony_pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$ns" || exit 1
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" ip addr add "$ADDR/32" dev lo
cat > "$work/chrony.conf" <<EOC
local stratum 8
allow
bindaddress $ADDR
bindcmdaddress $work/chronyd.sock
pidfile $work/chronyd.pid
EOC
ip netns exec "$ns" env LD_PRELOAD="$FAKETIME_LIB" FAKETIME=+15m FAKETIME_DONT_FAKE_MONOTONIC=1 \
	chronyd -x -n -u root -f "$work/chrony.conf" >"$work/chronyd.log" 2>&1 &
chrony_pid=$!
for i in $(seq 50); do
	# ntpdate's exit status is 0 even without an answer: look for the offset
	ip netns exec "$ns" ntpdate -q "$ADDR" 2>&1 | grep -q -- '+/-' && break
	sleep 0.2
done

# The probe: one line per run, "offset_s delay_s duration_ms".
ip netns exec "$ns" "$DRIVER" --bench "$N" "$ADDR" > "$work/probe.txt" || { echo "probe failed:" >&2; tail -n 5 "$work/probe.txt" >&2; exit 1; }

# ntpdate -q: the offset is the number after "offset" (ntpdig's "+900.000012 +/- ..."
# form or classic "offset 900.000012 sec"); time by the wall clock's nanoseconds.
for i in $(seq "$N"); do
	t0=$(date +%s%N)
	out=$(ip netns exec "$ns" ntpdate -q "$ADDR" 2>&1)
	t1=$(date +%s%N)
	off=$(/usr/bin/python3 -c '
import re, sys
m = re.search(r"offset\s+([-+]?[0-9.]+)", sys.argv[1]) or re.search(r"\s([-+][0-9]+\.[0-9]+)\s+\+/-", sys.argv[1])
print(m.group(1) if m else "nan")' "$out")
	echo "$off $(((t1 - t0) / 1000000))" >> "$work/ntpdate.txt"
done
echo "ntpdate -q output (last run): $out"

/usr/bin/python3 - "$work/probe.txt" "$work/ntpdate.txt" "$N" <<'EOP'
import statistics as st, sys
probe = [list(map(float, l.split())) for l in open(sys.argv[1])]
nd = [list(map(float, l.split())) for l in open(sys.argv[2])]
def show(name, offs, ms):
    q = st.quantiles(offs, n=4) if len(offs) > 1 else [offs[0]] * 3
    print("%-10s n=%2d offset median %.6f s  min %.6f  max %.6f  IQR %.6f s  stdev %.6f s  time median %.0f ms" % (
        name, len(offs), st.median(offs), min(offs), max(offs), q[2] - q[0],
        st.pstdev(offs), st.median(ms)))
po = [p[0] for p in probe]; pm = [p[2] for p in probe]
no = [n[0] for n in nd if n[0] == n[0]]; nm = [n[1] for n in nd]
show("probe", po, pm)
print("%-10s delay median %.6f s" % ("probe", st.median(p[1] for p in probe)))
if not no:
    sys.exit("ntpdate gave no offsets")
show("ntpdate", no, nm)
print("median difference (probe - ntpdate): %+.6f s; probe vs 900 s: %+.6f s" % (
    st.median(po) - st.median(no), st.median(po) - 900.0))
EOP
