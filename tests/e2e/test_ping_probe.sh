#!/bin/bash
# The ping probe end to end on both kinds of ICMP socket: a raw socket (the
# namespace's ping_group_range "1 0" admits nobody) and the unprivileged ICMP
# datagram socket (ping_group_range opened in the namespace). A "laptop" pings
# three targets behind a "far" namespace: one answers, one is rejected with
# host-unreachable, one is routed in a loop until its TTL runs out. Each must
# come out as what it is, run after run (the probe keeps its sockets between
# runs): all answered; all unreachable and none received; all ttl_exceeded and
# none received (a run sends as many echoes as the host's tests ask for). On
# the datagram socket the errors arrive on the error queue, which a plain
# read never reports: that path once lost them and spun on EPOLLERR.
set -u

bin=${VD_BIN:?}
# shellcheck source=../tools/testlib.sh
. "${VD_SRC:?}/tests/tools/testlib.sh"
netns_test_init ping
far=${ns}f loop=${ns}l
trap 'kill_wait "$pid"; for n in "$ns" "$far" "$loop"; do ip netns del "$n" 2>/dev/null; done; rm -rf "$work"' EXIT
sock=$work/io.vpndoctor
log=$work/daemon.log

fail() {
	echo "FAIL: $*" >&2
	[ -f "$log" ] && tail -n 30 "$log" | sed 's/^/  log: /' >&2
	exit 1
}
nsx() { ip netns exec "$ns" "$@"; }
fx() { ip netns exec "$far" "$@"; }
lx() { ip netns exec "$loop" "$@"; }

for n in "$ns" "$far" "$loop"; do
	ip netns add "$n" && ip netns exec "$n" ip link set lo up || fail "cannot create network namespaces"
done
# laptop eth0 10.77.0.1 -- 10.77.0.2 eth0 far eth1 10.78.0.1 -- 10.78.0.2 eth0 loop
ip link add vdpa$$ netns "$ns" type veth peer name vdpb$$ netns "$far" || fail "veth"
ip link add vdpc$$ netns "$far" type veth peer name vdpd$$ netns "$loop" || fail "veth"
nsx ip link set vdpa$$ name eth0
fx ip link set vdpb$$ name eth0
fx ip link set vdpc$$ name eth1
lx ip link set vdpd$$ name eth0
nsx ip addr add 10.77.0.1/24 dev eth0
fx ip addr add 10.77.0.2/24 dev eth0
fx ip addr add 10.78.0.1/24 dev eth1
lx ip addr add 10.78.0.2/24 dev eth0
nsx ip link set eth0 up
fx ip link set eth0 up
fx ip link set eth1 up
lx ip link set eth0 up
# 10.77.1.1 answers; 10.77.1.2 is rejected with host-unreachable; 10.77.1.3
# goes back and forth between far and loop until its TTL runs out.
fx ip addr add 10.77.1.1/32 dev lo
fx ip addr add 10.77.1.2/32 dev lo
nsx ip route add 10.77.1.0/24 via 10.77.0.2
nsx ip route add 10.78.0.0/24 via 10.77.0.2
fx ip route add 10.77.1.3/32 via 10.78.0.2
lx ip route add 10.77.1.3/32 via 10.78.0.1
lx ip route add 10.77.0.0/24 via 10.78.0.1
for n in "$far" "$loop"; do
	ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1
	# no redirects: they would shortcut the loop; and no rate limit on
	# ICMP errors (1 a second per peer by default): each echo gets its own
	ip netns exec "$n" sysctl -qw net.ipv4.conf.all.send_redirects=0 net.ipv4.icmp_ratelimit=0
done
fx nft -f - <<'EOF' || fail "nft"
table inet vdtest {
	chain input {
		type filter hook input priority 0;
		ip daddr 10.77.1.2 icmp type echo-request reject with icmp type host-unreachable
	}
}
EOF
# the loop really loops (iputils ping sees the TTL run out)
nsx ping -c 1 -W 2 10.77.1.3 2>&1 | grep -qi "time to live exceeded" ||
	fail "the lab's TTL loop does not work: $(nsx ping -c 1 -W 2 10.77.1.3 2>&1 | tail -n 2)"

cat >"$work/vpndoctor.conf" <<EOF
[Clock]
Enabled=no

[Tunnel office]
Targets=10.77.1.1 10.77.1.2 10.77.1.3
EOF

# The facts (stdin) of run $2 under label $1 are as they must be.
check='
import json, sys
label, run = sys.argv[1], sys.argv[2]
d = json.load(sys.stdin)["facts"]
t = [x for x in d["tunnels"] if x["name"] == "office"][0]
p = t.get("ping") or {}
by = {x["addr"]: x for x in p.get("targets", [])}
# a run sends as many echoes as its tests ask for (a burst while they are
# undecided, one at rest): each is what it is, and each host has its tests
def silent(x):
    return x.get("tests", {}).get("silent", {}).get("decision")
want = {
    "10.77.1.1": lambda x: x["sent"] >= 1 and x["received"] == x["sent"] and x["unreachable"] == 0 and
        x["ttl_exceeded"] == 0 and silent(x) in ("undecided", "h0"),
    "10.77.1.2": lambda x: x["sent"] >= 1 and x["received"] == 0 and x["unreachable"] == x["sent"] and
        x["ttl_exceeded"] == 0 and silent(x) is not None,
    "10.77.1.3": lambda x: x["sent"] >= 1 and x["received"] == 0 and x["unreachable"] == 0 and
        x["ttl_exceeded"] == x["sent"] and silent(x) is not None,
}
ok = p.get("status") == "ok" and all(a in by and f(by[a]) for a, f in want.items())
print("%s run %s: %s" % (label, run, "; ".join(
    "%s sent %s received %s unreachable %s ttl_exceeded %s" % (a, by[a].get("sent"), by[a].get("received"),
        by[a].get("unreachable"), by[a].get("ttl_exceeded")) if a in by else a + " missing"
    for a in want)) if p.get("status") == "ok" else "%s run %s: ping %s" % (label, run, json.dumps(p)[:300]))
sys.exit(0 if ok else 1)
'

# check_targets LABEL: three checks in a row, each with every target as it is.
check_targets() {
	local i out
	for i in 1 2 3; do
		"$bin/vpndoctor" --socket "$sock" check --json >/dev/null 2>&1
		out=$("$bin/vpndoctor" --socket "$sock" facts --json 2>&1) || fail "$1: facts: $out"
		/usr/bin/python3 -c "$check" "$1" "$i" <<<"$out" || fail "$1: run $i not as expected"
	done
}

# run_daemon LABEL: the daemon in the laptop, three checks, its CPU time.
run_daemon() {
	local ticks
	: >"$log"
	# not through nsx: $! must be the daemon, not a subshell
	ip netns exec "$ns" "$bin/vpndoctord" --foreground --user nobody --config "$work/vpndoctor.conf" --socket "$sock" \
		--state-dir "$work/state" --log-target stderr --log-level info 2>"$log" &
	pid=$!
	until_ok '[ -S "$sock" ]' 100 || fail "$1: the daemon did not listen"
	check_targets "$1"
	# A lost error spins on EPOLLERR: seconds of CPU for a few checks.
	ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	echo "$1: daemon CPU $ticks ticks over 3 checks"
	((ticks < 3 * $(getconf CLK_TCK))) || fail "$1: the daemon used $ticks ticks of CPU"
	kill -TERM "$pid"
	wait "$pid"
	pid=
	rm -f "$sock"
}

nsx sysctl -qw net.ipv4.ping_group_range="1 0"
run_daemon raw
nsx sysctl -qw net.ipv4.ping_group_range="0 2147483647"
run_daemon datagram
echo "PASS"
