#!/bin/bash
# Benchmark of the path probe against iputils ping and fping on the same path
# in one run (prints figures; not a pass/fail test). Two namespaces joined by
# a veth (no added latency), first clean, then with 10% of echo requests
# dropped by nftables at the gateway. In each: N echoes from the daemon's path
# probe (runs of 10, triggered by `vpndoctor check --probe path`), from
# `ping -c N -i 0.2` and from `fping -C N -p 200`, all at the same time.
# Prints the median RTT of each, the loss of each against the injected rate
# with the exact binomial 95% interval, and CPU time per 1000 echoes (the
# daemon's time on CPU from /proc/PID/schedstat, which also counts its Varlink
# and rules work per run, against ping's and fping's user+sys).
# All three use raw sockets here (ping_group_range "1 0" in the namespace).
# Usage: tests/bench/bench_path.sh [BUILD_BIN_DIR]   (env: N=200)
set -u

VD_BIN=${1:-${VD_BIN:-build/bin}}
VD_BIN=$(cd "$VD_BIN" && pwd)
N=${N:-200}
RUNS=$(((N + 9) / 10))
N=$((RUNS * 10))
[ -x "$VD_BIN/vpndoctord" ] || { echo "no $VD_BIN/vpndoctord" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root (namespaces)" >&2; exit 1; }
command -v fping >/dev/null || { echo "no fping" >&2; exit 1; }

tag=vdbp$$
gw=${tag}g lap=${tag}l
work=$(mktemp -d /tmp/vd-bench-path.XXXXXX)
dpid=
cleanup() {
	[ -n "$dpid" ] && kill -TERM "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	ip netns del "$lap" 2>/dev/null
	ip netns del "$gw" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$gw" && ip netns add "$lap" || exit 1
ip link add g0 netns "$gw" type veth peer name l0 netns "$lap"
ip -n "$gw" addr add 198.51.100.1/24 dev g0
ip -n "$lap" addr add 198.51.100.2/24 dev l0
for n in "$gw" "$lap"; do
	ip -n "$n" link set lo up
done
ip -n "$gw" link set g0 up
ip -n "$lap" link set l0 up
ip netns exec "$lap" sysctl -qw net.ipv4.ping_group_range="1 0"

printf 'client\ndev tun\nproto udp\nremote 198.51.100.1 1194\n' > "$work/bench.ovpn"
{
	echo "[Daemon]"
	for p in $(grep -o '&probe_[a-z_]*' "$(dirname "$0")/../../probes/probes.c" | sed 's/&probe_//'); do
		sec=$(find "$(dirname "$0")/../../probes" -name '*.c' -exec awk -v p="probe_$p" '$0 ~ "^const struct probe " p " = " { on = 1 } on && match($0, /config_section = "[A-Za-z]*"/) { split($0, a, "\""); print a[2]; exit }' {} + | head -n 1)
		case $p in
		path) printf '[%s]\nInterval=24h\n' "$sec" ;;
		*) printf '[%s]\nEnabled=no\n' "$sec" ;;
		esac
	done
	printf '[Tunnel bench]\nConfig=%s/bench.ovpn\n' "$work"
} > "$work/vpndoctor.conf"

sock=$work/io.vpndoctor
ip netns exec "$lap" "$VD_BIN/vpndoctord" --foreground --user nobody --log-target stderr --log-level debug \
	--config "$work/vpndoctor.conf" --socket "$sock" --state-dir "$work/state" 2> "$work/daemon.log" &
dpid=$!
for ((i = 0; i < 100; i++)); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "the daemon did not start" >&2; exit 1; }
sleep 3 # the first run at start is not counted

# ns on the CPU (all threads of the daemon; it has one), finer than stat's ticks
cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }

# scenario NAME LOSS_PCT
scenario() {
	local name=$1 loss=$2 c0 c1
	ip netns exec "$gw" nft flush ruleset
	if [ "$loss" -gt 0 ]; then
		ip netns exec "$gw" nft -f - <<EOF
table inet vdbench {
	chain vdin {
		type filter hook input priority 0; policy accept;
		icmp type echo-request numgen random mod 100 < $loss drop
	}
}
EOF
	fi
	: > "$work/runs.$name"
	local mark
	mark=$(wc -l < "$work/daemon.log")
	( TIMEFORMAT='%U %S'; { time ip netns exec "$lap" ping -n -c "$N" -i 0.2 198.51.100.1 > "$work/ping.$name" 2>&1; } 2> "$work/ping.time.$name" ) &
	local ppid=$!
	( TIMEFORMAT='%U %S'; { time ip netns exec "$lap" fping -C "$N" -p 200 -q 198.51.100.1 > "$work/fping.$name" 2>&1; } 2> "$work/fping.time.$name" ) &
	local fpid=$!
	c0=$(cpu_ns "$dpid")
	for ((r = 0; r < RUNS; r++)); do
		"$VD_BIN/vpndoctor" --socket "$sock" check --probe path --json > /dev/null 2>&1
	done
	c1=$(cpu_ns "$dpid")
	wait $ppid $fpid
	tail -n +"$((mark + 1))" "$work/daemon.log" | grep -a "path on bench: " | sed 's/^.*path on bench: //' > "$work/runs.$name"
	/usr/bin/python3 - "$name" "$loss" "$N" "$work" "$((c1 - c0))" <<'EOF'
import json, math, re, statistics, sys
name, loss, n, work, dns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])

def binom_interval(n, p):
    # the central 95% of Binomial(n, p) as percentages
    cdf, lo, hi = 0.0, None, None
    for k in range(n + 1):
        cdf += math.comb(n, k) * p**k * (1 - p)**(n - k)
        if lo is None and cdf >= 0.025:
            lo = k
        if hi is None and cdf >= 0.975:
            hi = k
    return 100.0 * lo / n, 100.0 * hi / n

runs = [json.loads(l) for l in open(f"{work}/runs.{name}") if l.strip()]
d_sent = sum(r["sent"] for r in runs)
d_recv = sum(r["received"] for r in runs)
d_med = statistics.median([r["rtt_median_ms"] for r in runs if r.get("received")]) if d_recv else float("nan")
ptxt = open(f"{work}/ping.{name}").read()
p_rtts = [float(x) for x in re.findall(r"time=([0-9.]+) ms", ptxt)]
m = re.search(r"(\d+) packets transmitted, (\d+) received", ptxt)
p_sent, p_recv = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
ftxt = open(f"{work}/fping.{name}").read()
fl = [l for l in ftxt.splitlines() if " : " in l]
f_vals = fl[-1].split(" : ")[1].split() if fl else []
f_rtts = [float(v) for v in f_vals if v != "-"]
f_sent, f_recv = len(f_vals), len(f_rtts)
pu, ps = map(float, open(f"{work}/ping.time.{name}").read().split()[-2:])
fu, fs = map(float, open(f"{work}/fping.time.{name}").read().split()[-2:])
d_cpu = dns / 1e9
lo, hi = binom_interval(n, loss / 100.0) if loss else (0.0, 0.0)
def loss_of(s, r):
    return 100.0 * (s - r) / s if s else float("nan")
print(f"== {name}: {n} echoes each, injected loss {loss}% (binomial 95%: {lo:.1f}..{hi:.1f}%)")
print(f"{'':8} {'median ms':>10} {'loss %':>8} {'sent':>6} {'recv':>6} {'CPU s':>7} {'CPU ms/1000':>12}")
for tool, med, s, r, cpu in (("path", d_med, d_sent, d_recv, d_cpu),
                             ("ping", statistics.median(p_rtts) if p_rtts else float("nan"), p_sent, p_recv, pu + ps),
                             ("fping", statistics.median(f_rtts) if f_rtts else float("nan"), f_sent, f_recv, fu + fs)):
    per = 1000.0 * cpu / s * 1000 if s else float("nan")
    print(f"{tool:8} {med:10.3f} {loss_of(s, r):8.1f} {s:6d} {r:6d} {cpu:7.3f} {per:12.1f}")
print("(the daemon's CPU, from /proc/PID/schedstat, includes the Varlink check and rule evaluation of each run)")
EOF
}

scenario clean 0
scenario loss10 10
