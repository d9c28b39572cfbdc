#!/bin/bash
# Soak benchmark (issue 16): the network lab (tests/lab) with a real OpenVPN
# client and server and vpndoctord watching the laptop's tunnel, every probe
# on (the clock against the lab's NTP server too), while a fault is switched
# every SWITCH_S seconds (30) for DURATION seconds (3600): each fault of the
# list below on for one period, then a period with none, round and round.
# Two subscribers (`vpndoctor watch`, one of them --json) stay connected all
# along, and a `vpndoctor status` and `check` run every 10 s.
#
# Every minute it prints the daemon's RSS and private dirty memory, its open
# descriptors, the CPU seconds it used in that minute, its open findings and
# the history's size; at the end it compares the start with the end. Run as
# root, the daemon is a privileged parent and an engine as its own user: the
# engine's memory and descriptors are measured, the CPU is both's, and the
# parent's RSS is shown beside.
# Criterion for "flat" (the first two minutes are warm-up, the daemon's
# first probes and the first faults load its code and fill its caches):
#   memory       the median RSS of the last 5 minutes is at most 1 MiB above
#                the median of minutes 3 to 7, and the least-squares slope of
#                RSS over minutes 3 to the end is under 1 MiB per hour;
#   descriptors  the median count of the last 5 minutes is within 2 of the
#                median of minutes 3 to 7 (probe sockets come and go), and the
#                largest count of the run is under twice that median.
# It prints figures and that verdict; it is not a pass/fail test.
#
# Usage: tests/bench/bench_soak.sh [BUILD_BIN_DIR]  (root; env DURATION=3600 SWITCH_S=30)
set -u

SOAK_BIN=${1:-${VD_BIN:-$(cd "$(dirname "$0")/../../build/bin" 2>/dev/null && pwd)}}
export VD_BIN=$(cd "$SOAK_BIN" && pwd)
DURATION=${DURATION:-3600}
SWITCH_S=${SWITCH_S:-30}
SC_CLOCK=1
# shellcheck source=../lab/scenario.sh
. "$(cd "$(dirname "$0")/../lab" && pwd)/scenario.sh"
SC_NAME=bench_soak

# NAME [ARGS]: the faults, one per period, each followed by a clean period
FAULTS=(
	"loss 20"
	"udp-block"
	"dns-down"
	"latency 250 30"
	"icmp-in-block"
	"security-group"
	"udp-loss 40"
	"profile-broken"
	"ntp-ahead +20m"
	"inner-latency 150"
	"client-kill"
	"other-vpn"
	"cert-expired"
	"mtu-blackhole 1300"
)

helpers=()
soak_cleanup() {
	local rc=$? p
	for p in "${helpers[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${helpers[@]}"; do wait "$p" 2>/dev/null; done
	(exit "$rc")
	sc__exit
}

sc_begin --proto udp
trap soak_cleanup EXIT
sc_daemon
parent=$(lab__pid vpndoctord)
# Started as root, vpndoctord is a privileged parent and an engine as its
# own user (vpndoctord(8)): the engine does the work and is what is
# measured; the parent's RSS and CPU are shown beside it.
pid=$parent
for _ in $(seq 1 50); do
	e=$(pgrep -P "$parent" -x vpndoctord | head -n 1)
	[ -n "$e" ] && { pid=$e; break; }
	sleep 0.1
done
sc_vd watch >/dev/null 2>&1 &
helpers+=($!)
sc_vd watch --json >/dev/null 2>&1 &
helpers+=($!)
(while :; do sc_vd status >/dev/null 2>&1; sc_vd check --json >/dev/null 2>&1; sleep 10; done) &
helpers+=($!)

hz=$(getconf CLK_TCK)
cpu_ticks() { cat "/proc/$pid/stat" "/proc/$parent/stat" | awk '{ t += $14 + $15 } END { print t }'; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/${1:-$pid}/status"; }
priv_kb() { awk '/^Private_Dirty:/ { print $2 }' "/proc/$pid/smaps_rollup"; }
fds() { find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l; }
findings() {
	sc_vd status --json 2>/dev/null | /usr/bin/python3 -c 'import json, sys
try:
    print(len(json.load(sys.stdin)["findings"]))
except Exception:
    print("?")'
}
hist_kb() { du -k -c "$LAB_DIR"/vdstate/history* 2>/dev/null | awk 'END { print $1 }'; }

samples=$LAB_DIR/soak.tsv
: >"$samples"
printf '%-6s %-9s %-10s %-5s %-8s %-9s %-9s %-10s %s\n' minute "rss kB" "priv kB" fds "cpu s" findings "hist kB" \
	"parent kB" "fault now"
t0=$(date +%s)
next_switch=$t0
next_sample=$((t0 + 60))
fi=0
current="none"
phase=0
c_prev=$(cpu_ticks)
while :; do
	now=$(date +%s)
	[ $((now - t0)) -ge "$DURATION" ] && break
	lab__alive vpndoctord && [ -d "/proc/$pid" ] || sc_fail "vpndoctord died after $((now - t0)) s"
	if [ "$now" -ge "$next_switch" ]; then
		if [ "$current" != none ]; then
			read -r fname fargs <<<"$current"
			(LAB_QUIET=1 lab_fault "$fname" off) >/dev/null 2>&1 || sc_say "fault $fname off failed"
			current=none
		elif [ $((phase % 2)) = 1 ]; then
			current=${FAULTS[$fi]}
			fi=$(((fi + 1) % ${#FAULTS[@]}))
			read -r fname fargs <<<"$current"
			# shellcheck disable=SC2086
			(LAB_QUIET=1 lab_fault "$fname" on $fargs) >/dev/null 2>&1 ||
				{ sc_say "fault $current on failed"; current=none; }
		fi
		phase=$((phase + 1))
		next_switch=$((next_switch + SWITCH_S))
	fi
	if [ "$now" -ge "$next_sample" ]; then
		c=$(cpu_ticks)
		minute=$(((now - t0) / 60))
		row=$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s' "$minute" "$(rss_kb)" "$(priv_kb)" "$(fds)" \
			"$(awk -v a="$c_prev" -v b="$c" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')" \
			"$(findings)" "$(hist_kb)" "$(rss_kb "$parent")")
		c_prev=$c
		echo "$row" >>"$samples"
		# shellcheck disable=SC2086
		printf '%-6s %-9s %-10s %-5s %-8s %-9s %-9s %-10s %s\n' $row "$current"
		next_sample=$((next_sample + 60))
	fi
	sleep 1
done
if [ "$current" != none ]; then
	read -r fname fargs <<<"$current"
	(LAB_QUIET=1 lab_fault "$fname" off) >/dev/null 2>&1
fi

/usr/bin/python3 - "$samples" <<'EOP'
import statistics, sys
rows = [list(map(float, l.split("\t")[:5])) for l in open(sys.argv[1]) if l.strip()]
if len(rows) < 8:
    print("too short for a verdict: %d minutes (8 at least)" % len(rows))
    sys.exit(0)
m = [r[0] for r in rows]
rss = [r[1] for r in rows]
fds = [r[3] for r in rows]
cpu = [r[4] for r in rows]
base = slice(2, 7)
rss0, rss1 = statistics.median(rss[base]), statistics.median(rss[-5:])
fd0, fd1 = statistics.median(fds[base]), statistics.median(fds[-5:])
xs, ys = m[2:], rss[2:]
mx, my = statistics.mean(xs), statistics.mean(ys)
slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)  # kB per minute
mem_flat = rss1 - rss0 <= 1024 and slope * 60 < 1024
fd_flat = abs(fd1 - fd0) <= 2 and max(fds) < 2 * fd0
print()
print("first (minutes 3-7, median) vs last (5 minutes, median), %d minutes in all:" % len(rows))
print("  RSS          %.0f kB -> %.0f kB (%+.0f kB), slope %+.0f kB/hour: %s"
      % (rss0, rss1, rss1 - rss0, slope * 60, "flat" if mem_flat else "GREW"))
print("  descriptors  %.0f -> %.0f (max %.0f): %s" % (fd0, fd1, max(fds), "flat" if fd_flat else "GREW"))
print("  CPU          %.2f s/min -> %.2f s/min (median; %.3f%% of a core at the end)"
      % (statistics.median(cpu[base]), statistics.median(cpu[-5:]), statistics.median(cpu[-5:]) / 60 * 100))
EOP
sc_pass
