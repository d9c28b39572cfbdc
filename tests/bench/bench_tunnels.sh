#!/bin/bash
# Benchmark: the daemon's cost against the number of tunnels (issue 16 item 7:
# from about 580 tunnels GetStatus passed 1 MiB and every client was dropped;
# at 1,000 the daemon spun a core and ignored SIGTERM for 30 s and more,
# because every probe result rebuilt the whole facts snapshot and health was
# O(tunnels^2)). Prints figures, judges nothing.
#
# For each count N (COUNTS, default "10 100 1000"): N [Tunnel] sections on
# one profile (a numeric remote: no DNS), MaxConcurrentProbes=64, the daemon
# in a network namespace of its own (nothing answers there, so most probes
# end fast and results come about as fast as the scheduler runs them), then
#   start     seconds from exec to the socket, and to the first full round
#             (every tunnel's profile probe has run);
#   cpu       the daemon's CPU seconds per second over MEASURE_S, after
#             WARM_S seconds (its steady state: probes on their timers);
#   burst     CPU seconds for a Check of every probe on every tunnel, and how
#             long it takes to answer;
#   status    GetStatus reply size, and its latency (p50/p99 over a few
#             seconds of one client at 5 calls/s, while probes run);
#   paged     the same reply read in pages (GetStatus with "more");
#   sigterm   seconds from SIGTERM to exit, sent during the Check burst.
# Usage: tests/bench/bench_tunnels.sh [BUILD_BIN_DIR]
#        (env: COUNTS="10 100 1000" WARM_S=20 MEASURE_S=30)
set -euo pipefail

VD_BIN=${1:-${VD_BIN:-build/bin}}
VD_BIN=$(cd "$VD_BIN" && pwd)
SRC=${VD_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
COUNTS=${COUNTS:-"10 100 1000"}
WARM_S=${WARM_S:-20}
MEASURE_S=${MEASURE_S:-30}
[ -x "$VD_BIN/vpndoctord" ] || { echo "no $VD_BIN/vpndoctord" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root (unshare -n)" >&2; exit 1; }

work=$(mktemp -d /tmp/vd-bench-tunnels.XXXXXX)
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

cc -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$work/varlink_load" "$SRC/tests/bench/varlink_load.c"
cp "$SRC"/tests/data/sample/{ca.crt,client.crt,client.key} "$work/"
printf 'client\ndev tun\nproto udp\nremote 192.0.2.1 1194\nnobind\nremote-cert-tls server\nca ca.crt\ncert client.crt\nkey client.key\n' \
	>"$work/office.conf"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
# Started as root, vpndoctord is a privileged parent and an engine as its
# own user (vpndoctord(8)): CPU is both's, memory the engine's.
engine() { pgrep -P "$pid" -x vpndoctord | head -n 1; }
cpu_s() { # utime + stime of the daemon's processes, in seconds
	cat "/proc/$pid/stat" ${eng:+"/proc/$eng/stat"} |
		awk -v hz="$(getconf CLK_TCK)" '{ t += $14 + $15 } END { print t / hz }'
}
rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/${eng:-$pid}/status"; }

# One call, the replies read up to the last (continues false); prints the
# total bytes, the number of replies and the seconds it took.
call() { # SOCKET METHOD MORE(0|1)
	/usr/bin/python3 - "$@" <<'EOP'
import json, socket, sys, time
path, method, more = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
s = socket.socket(socket.AF_UNIX)
s.connect(path)
s.settimeout(600)
m = {"method": method}
if more:
    m["more"] = True
t0 = time.monotonic()
s.sendall(json.dumps(m).encode() + b"\0")
buf, total, replies, biggest = b"", 0, 0, 0
while True:
    d = s.recv(1 << 20)
    if not d:
        print("closed after %d replies" % replies)
        sys.exit(0)
    buf += d
    while b"\0" in buf:
        msg, buf = buf.split(b"\0", 1)
        total += len(msg) + 1
        biggest = max(biggest, len(msg) + 1)
        replies += 1
        r = json.loads(msg)
        if "error" in r:
            print("error %s" % r["error"])
            sys.exit(0)
        if not r.get("continues") or ("progress" not in r.get("parameters", {}) and not more):
            print("%d bytes in %d replies (largest %d) in %.3f s" % (total, replies, biggest, time.monotonic() - t0))
            sys.exit(0)
EOP
}

printf '%-6s %-22s %-8s %-9s %-24s %-34s %-s\n' tunnels start "cpu/s" "rss MB" "check burst" "GetStatus p50/p99 (size)" sigterm
for n in $COUNTS; do
	d=$work/n$n
	mkdir -p "$d/state"
	{
		# as many probe runs at once as the daemon allows, so that results
		# come as fast as it can take them
		printf '[Daemon]\nMaxConcurrentProbes=64\n[Clock]\nEnabled=no\n'
		for i in $(seq 1 "$n"); do printf '[Tunnel t%04d]\nConfig=%s/office.conf\n' "$i" "$work"; done
	} >"$d/vpndoctor.conf"
	sock=$d/io.vpndoctor
	t0=$(now)
	unshare -n "$VD_BIN/vpndoctord" --foreground --config "$d/vpndoctor.conf" --socket "$sock" \
		--state-dir "$d/state" --log-level notice 2>"$d/log" &
	pid=$!
	while [ ! -S "$sock" ]; do sleep 0.05; done
	t_sock=$(since "$t0")
	eng=$(engine)
	# the first round: every tunnel's profile probe has a result
	while :; do
		# (status exits 1-3 with the health: not an error here)
		ran=$({ "$VD_BIN/vpndoctor" --socket "$sock" status --json 2>/dev/null || true; } | /usr/bin/python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    print(-1); sys.exit()
print(sum(1 for p in d["probes"] if p["name"] == "profile" and p["status"] not in ("never", "running")))')
		[ "$ran" -ge "$n" ] && break
		[ "$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print (b - a > 900) }')" = 1 ] && { ran=timeout; break; }
		sleep 0.5
	done
	t_round=$(since "$t0")
	sleep "$WARM_S"

	c0=$(cpu_s)
	sleep "$MEASURE_S"
	c1=$(cpu_s)
	cpu=$(awk -v a="$c0" -v b="$c1" -v s="$MEASURE_S" 'BEGIN { printf "%.3f", (b - a) / s }')
	rss=$(rss_mb)

	# GetStatus under the steady state: one client, 5 calls a second
	lat=$("$work/varlink_load" -r 5 -m io.vpndoctor.GetStatus "$sock" 1 5 2>&1 | tr '\n' ' ')
	p50=$(grep -o 'p50_us=[0-9.]*' <<<"$lat" | awk -F= '{ printf "%.1f ms", $2 / 1000 }')
	p99=$(grep -o 'p99_us=[0-9.]*' <<<"$lat" | awk -F= '{ printf "%.1f ms", $2 / 1000 }')
	size=$(call "$sock" io.vpndoctor.GetStatus 0 | awk '{ print $1 }')
	paged=$(call "$sock" io.vpndoctor.GetStatus 1)

	# a Check of everything, then SIGTERM in the middle of its results
	c0=$(cpu_s)
	tc=$(now)
	check=$(call "$sock" io.vpndoctor.Check 0)
	t_check=$(since "$tc")
	c1=$(cpu_s)
	burst=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }')
	("$VD_BIN/vpndoctor" --socket "$sock" check >/dev/null 2>&1 &)
	sleep 0.5
	ts=$(now)
	kill -TERM "$pid"
	wait "$pid" || true
	t_term=$(since "$ts")
	pid=""

	printf '%-6s %-22s %-8s %-9s %-24s %-34s %-s\n' "$n" "sock ${t_sock}s round ${t_round}s" "$cpu" "$rss" \
		"${burst} cpu-s, ${t_check} s" "${p50:-?}/${p99:-?} (${size} B)" "${t_term} s"
	echo "       GetStatus with more: $paged; Check: $check; varlink_load: $lat" >&2
done
