#!/bin/bash
# The dns probe end to end, in two network namespaces of its own: "vpc" runs
# dnsmasq as the VPC's DNS server on 172.16.1.10; "laptop" reaches it through
# a tun link (two tun devices joined by a small packet copier, a tunnel that
# needs no OpenVPN) and has a veth to the vpc as its LAN. vpndoctord runs in
# "laptop" with /etc/resolv.conf naming 172.16.1.10 (ip netns exec mounts
# /etc/netns/NAME/resolv.conf over it) and a [Tunnel] with Names=.
#  - dnsmasq answering: the dns probe is ok and dns-no-route stays closed;
#  - dnsmasq stopped: every query times out through the tunnel and
#    dns-no-route opens (after its grace), naming the server and the count;
#  - dnsmasq back: it resolves.
# GetStatus carries findings, not facts, so answer and NXDOMAIN are seen as
# "not a timeout" here; the result kinds themselves are test_resolvconf's.
set -u

bin=${VD_BIN:?}
# shellcheck source=../tools/testlib.sh
. "${VD_SRC:?}/tests/tools/testlib.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
command -v dnsmasq >/dev/null || { echo "SKIP: no dnsmasq"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }

tag=vdd$$
lap=$tag-lap vpc=$tag-vpc
work=$(mktemp -d /tmp/vd-e2e-dns.XXXXXX)
sock=$work/io.vpndoctor
log=$work/daemon.log
dpid= bpid= vpid=

cleanup() {
	for p in $dpid $vpid $bpid; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $dpid $vpid $bpid; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ip netns del "$lap" 2>/dev/null
	ip netns del "$vpc" 2>/dev/null
	rm -rf "/etc/netns/$lap" "$work"
	rmdir /etc/netns 2>/dev/null # only when no one else uses it
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	[ -f "$log" ] && sed 's/^/  log: /' "$log" >&2
	[ -f "$work/dnsmasq.log" ] && sed 's/^/  dnsmasq: /' "$work/dnsmasq.log" >&2
	exit 1
}

cli() { ip netns exec "$lap" "$bin/vpndoctor" --socket "$sock" "$@"; }

jq_py() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

# --- the namespaces: a LAN and a tunnel between laptop and vpc ------------------
tun_lab "$lap" "$vpc" "$work" || fail "the lab"

start_dnsmasq() {
	ip netns exec "$vpc" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts --port 53 \
		--listen-address 172.16.1.10 --bind-interfaces --address=/db.vpc.internal/172.16.1.20 --local=/vpc.internal/ --log-queries \
		--pid-file="$work/dnsmasq.pid" --log-facility="$work/dnsmasq.log" 2>>"$work/dnsmasq.err" &
	vpid=$!
	until_ok "ip netns exec '$vpc' ss -Hlun 'sport = :53' | grep -q 172.16.1.10" 50 || fail "dnsmasq did not listen"
}
stop_dnsmasq() {
	kill -TERM "$vpid"
	wait "$vpid" 2>/dev/null
	vpid=
}
start_dnsmasq

# --- the daemon ----------------------------------------------------------------
mkdir -p "/etc/netns/$lap"
printf '# the VPC resolver, through the tunnel\nnameserver 172.16.1.10\noptions timeout:1\n' \
	> "/etc/netns/$lap/resolv.conf"
cat > "$work/vd.conf" <<EOC
[Clock]
Enabled=no
[DNS]
Interval=5s
[Tunnel office]
Names=db.vpc.internal nope.vpc.internal
EOC
ip netns exec "$lap" "$bin/vpndoctord" --foreground --user nobody --log-target stderr --config "$work/vd.conf" \
	--socket "$sock" --state-dir "$work/state" 2> "$log" &
dpid=$!
until_ok "[ -S '$sock' ]" 100 || fail "no control socket"

dns_status() {
	cli status --json | jq_py 'print(next((p["status"] for p in d["probes"] if p["name"] == "dns"), "none"))'
}
has_finding() {
	cli status --json | jq_py "sys.exit(0 if any(f['cause'] == '$1' for f in d['findings']) else 1)"
}

# --- answering -------------------------------------------------------------------
until_ok '[ "$(dns_status)" = ok ]' 100 || fail "the dns probe is not ok: $(cli status --json)"
ip netns exec "$lap" "$bin/vpndoctor" --socket "$sock" check --probe dns --json > "$work/check1.json" ||
	true # the exit status is the health
jq_py 'sys.exit(0 if any(p["name"] == "dns" and p["status"] == "ok" for p in d["probes"]) else 1)' \
	< "$work/check1.json" || fail "check --probe dns: $(cat "$work/check1.json")"
grep -q 'query\[A\] db.vpc.internal' "$work/dnsmasq.log" || fail "dnsmasq saw no query for db.vpc.internal"
grep -q 'query\[A\] nope.vpc.internal' "$work/dnsmasq.log" || fail "dnsmasq saw no query for nope.vpc.internal"
grep -q 'config db.vpc.internal is 172.16.1.20' "$work/dnsmasq.log" || fail "dnsmasq did not answer db.vpc.internal"
grep -q 'config nope.vpc.internal is NXDOMAIN' "$work/dnsmasq.log" || fail "dnsmasq did not say NXDOMAIN"
# an NXDOMAIN is an answer of the server, never a timeout
has_finding dns-no-route && fail "dns-no-route with the server answering"

# --- silent ------------------------------------------------------------------------
stop_dnsmasq
t0=$(date +%s)
until_ok 'has_finding dns-no-route' 600 || fail "no dns-no-route with the server stopped: $(cli status --json)"
t1=$(date +%s)
cli status --json > "$work/status2.json"
jq_py '
f = next(f for f in d["findings"] if f["cause"] == "dns-no-route")
s = f["summary"]
assert "172.16.1.10" in s and "2 of 2 queries timed out" in s, s
assert f["severity"] == "error", f
print("dns-no-route:", s)' < "$work/status2.json" || fail "dns-no-route's summary: $(cat "$work/status2.json")"
echo "dns-no-route opened $((t1 - t0)) s after dnsmasq stopped (grace 30 s)"

# --- back ----------------------------------------------------------------------------
start_dnsmasq
ip netns exec "$lap" "$bin/vpndoctor" --socket "$sock" check --probe dns --json > "$work/check3.json" || true
until_ok '! has_finding dns-no-route' 100 || fail "dns-no-route still open with the server back"

kill -TERM "$dpid"
wait "$dpid"
rc=$?
dpid=
[ $rc -eq 0 ] || fail "vpndoctord exited $rc"
echo "1 passed, 0 failed"
