#!/bin/bash
# The dns probe's systemd-resolved path end to end. Two network namespaces as in
# test_dns_probe.sh: "vpc" runs dnsmasq on 172.16.1.10, 172.16.1.11 and fd16::10
# behind a tun link (two tun devices joined by a packet copier); "laptop" has the
# tunnel and a veth LAN to the vpc (192.168.77.1 is the LAN's router, which also
# reaches 172.16.1.0/24 outside the tunnel). A private system bus (dbus-daemon with
# its own config) carries python3-dbusmock serving org.freedesktop.resolve1 with
# Manager.DNS = tun0's per-link 172.16.1.10 and fd16::10 plus a global
# 192.168.77.1; vpndoctord runs in "laptop" with DBUS_SYSTEM_BUS_ADDRESS pointing
# at that bus, and its resolv.conf names 172.16.1.11.
#  - resolved's per-link servers are the tunnel's (facts: source "resolved"),
#    both are asked and answer (IPv6 included), the global one and resolv.conf's
#    are not taken for the tunnel's;
#  - 172.16.1.10 routed through the LAN (it still answers there): dns-no-route
#    opens naming it and veth0; the route removed: it resolves;
#  - resolved gone from the bus: the servers come from resolv.conf;
#  - resolv.conf naming only a local stub (127.0.0.53): no tunnel server at all,
#    never one "routed outside the tunnel" through lo.
set -u

bin=${VD_BIN:?}
# shellcheck source=../tools/testlib.sh
. "${VD_SRC:?}/tests/tools/testlib.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
for t in dnsmasq dbus-daemon; do
	command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }
done
/usr/bin/python3 -c 'import dbusmock' 2>/dev/null || { echo "SKIP: no python3-dbusmock"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }

SLOW=1
[ -n "${VD_SANITIZED:-}" ] && SLOW=3
tag=vdr$$
lap=$tag-lap vpc=$tag-vpc
work=$(mktemp -d /tmp/vd-e2e-dnsres.XXXXXX)
# the bus socket in it is reached by the daemon's engine, which runs as nobody
chmod 711 "$work"
sock=$work/io.vpndoctor
log=$work/daemon.log
bus=unix:path=$work/system_bus_socket
dpid= bpid= vpid= buspid= mpid=

cleanup() {
	for p in $dpid $mpid $vpid $buspid $bpid; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $dpid $mpid $vpid $buspid $bpid; do
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
	[ -f "$work/mock.log" ] && sed 's/^/  resolve1 mock: /' "$work/mock.log" >&2
	[ -f "$work/dnsmasq.log" ] && tail -n 30 "$work/dnsmasq.log" | sed 's/^/  dnsmasq: /' >&2
	exit 1
}

cli() { ip netns exec "$lap" "$bin/vpndoctor" --socket "$sock" "$@"; }

jq_py() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

# --- the namespaces: a LAN and a tunnel between laptop and vpc, and IPv6 -------
tun_lab "$lap" "$vpc" "$work" || fail "the lab"
ip -n "$lap" -6 addr add fd08::6/64 dev tun0 nodad
ip -n "$lap" -6 route add fd16::/64 dev tun0
ip -n "$vpc" -6 addr add fd08::5/64 dev tunv nodad
ip -n "$vpc" addr add 172.16.1.11/32 dev lo
ip -n "$vpc" -6 addr add fd16::10/128 dev lo nodad
until_ok "ip netns exec '$lap' ping -6 -c1 -W1 fd16::10 >/dev/null" 50 || fail "no IPv6 path through the tunnel"
tun_ifindex=$(ip netns exec "$lap" cat /sys/class/net/tun0/ifindex) || fail "tun0's ifindex"
veth_ifindex=$(ip netns exec "$lap" cat /sys/class/net/veth0/ifindex) || fail "veth0's ifindex"

ip netns exec "$vpc" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts --port 53 \
	--listen-address 172.16.1.10 --listen-address 172.16.1.11 --listen-address fd16::10 --bind-interfaces \
	--address=/db.vpc.internal/172.16.1.20 --local=/vpc.internal/ --log-queries \
	--pid-file="$work/dnsmasq.pid" --log-facility="$work/dnsmasq.log" 2>>"$work/dnsmasq.err" &
vpid=$!
until_ok "ip netns exec '$vpc' ss -Hlun 'sport = :53' | grep -q 'fd16::10'" 50 || fail "dnsmasq did not listen"

# --- the private system bus and resolved on it ----------------------------------
cat > "$work/bus.conf" <<EOB
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>$bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOB
start_bus() {
	rm -f "$work/system_bus_socket"
	ip netns exec "$lap" dbus-daemon --config-file="$work/bus.conf" --nofork --nopidfile 2>>"$work/bus.err" &
	buspid=$!
	until_ok "[ -S '$work/system_bus_socket' ]" 50 || fail "dbus-daemon did not listen: $(cat "$work/bus.err")"
}
start_bus

# A dbusmock template: resolved's Manager with the DNS property (a(iiay)).
cat > "$work/resolve1.py" <<'EOF'
import dbus
BUS_NAME = "org.freedesktop.resolve1"
MAIN_OBJ = "/org/freedesktop/resolve1"
MAIN_IFACE = "org.freedesktop.resolve1.Manager"
SYSTEM_BUS = True
def load(mock, parameters):
    servers = dbus.Array([dbus.Struct((dbus.Int32(i), dbus.Int32(f), dbus.Array([dbus.Byte(b) for b in a], signature="y")),
                                      signature="iiay") for i, f, a in parameters["DNS"]], signature="(iiay)")
    mock.AddProperties(MAIN_IFACE, {"DNS": servers})
EOF
# ifindex, family (AF_INET 2, AF_INET6 10), address bytes
params=$(/usr/bin/python3 -c "
import ipaddress, json, sys
t, v = int(sys.argv[1]), int(sys.argv[2])
e = lambda i, a: [i, 2 if ipaddress.ip_address(a).version == 4 else 10, list(ipaddress.ip_address(a).packed)]
print(json.dumps({'DNS': [e(v, '192.168.77.1'), e(t, '172.16.1.10'), e(t, 'fd16::10'), e(0, '192.168.77.1')]}))
" "$tun_ifindex" "$veth_ifindex")
start_mock() {
	ip netns exec "$lap" env DBUS_SYSTEM_BUS_ADDRESS="$bus" /usr/bin/python3 -m dbusmock --system \
		--template "$work/resolve1.py" -p "$params" -l "$work/mock.log" >"$work/mock.out" 2>&1 &
	mpid=$!
	until_ok "ip netns exec '$lap' env DBUS_SYSTEM_BUS_ADDRESS='$bus' busctl --system get-property org.freedesktop.resolve1 /org/freedesktop/resolve1 org.freedesktop.resolve1.Manager DNS >/dev/null 2>&1" 100 ||
		fail "the resolve1 mock did not come up: $(cat "$work/mock.out")"
}
start_mock

# --- the daemon ----------------------------------------------------------------
mkdir -p "/etc/netns/$lap"
printf '# not the servers resolved has for tun0\nnameserver 172.16.1.11\noptions timeout:1\n' \
	> "/etc/netns/$lap/resolv.conf"
cat > "$work/vd.conf" <<EOC
[Clock]
Enabled=no
[DNS]
Interval=5s
[Tunnel office]
Names=db.vpc.internal nope.vpc.internal
EOC
t_start=$(date +%s)
ip netns exec "$lap" env DBUS_SYSTEM_BUS_ADDRESS="$bus" "$bin/vpndoctord" --foreground --user nobody --log-target stderr \
	--config "$work/vd.conf" --socket "$sock" --state-dir "$work/state" 2> "$log" &
dpid=$!
until_ok "[ -S '$sock' ]" 100 || fail "no control socket"

dns_facts() { cli facts --json > "$work/facts.json" 2>/dev/null && jq_py "
t = d['facts']['tunnels'][0]; s = t.get('dns', {})
$1" < "$work/facts.json"; }
has_finding() {
	cli status --json | jq_py "sys.exit(0 if any(f['cause'] == '$1' for f in d['findings']) else 1)"
}
# The tunnel's servers as "addr source via_tunnel", sorted, one line.
servers() { dns_facts "print(' '.join(sorted('%s/%s/%s' % (x['addr'], x.get('source'), x.get('via_tunnel')) for x in s.get('servers', []))) if s.get('status') == 'ok' else print('status', s.get('status')))"; }
# Waits until every tunnel server's queries have been answered (answer|nxdomain).
answered() { dns_facts "
sv = s.get('servers', [])
sys.exit(0 if s.get('status') == 'ok' and sv and all(sorted(x['results'].values()) == ['answer', 'nxdomain'] for x in sv) else 1)"; }

# --- resolved's per-link servers ------------------------------------------------
want='172.16.1.10/resolved/True fd16::10/resolved/True'
until_ok '[ "$(servers)" = "$want" ]' 100 || fail "the tunnel's servers are not resolved's per-link ones: '$(servers)' $(cat "$work/facts.json")"
t_first=$(date +%s)
until_ok answered 100 || fail "the per-link servers did not answer: $(cat "$work/facts.json")"
grep -q 'Get /org/freedesktop/resolve1 org.freedesktop.resolve1.Manager.DNS' "$work/mock.log" ||
	fail "the daemon did not ask resolved for Manager.DNS"
grep -q 'query\[A\] db.vpc.internal from fd08::6' "$work/dnsmasq.log" ||
	fail "dnsmasq saw no query over IPv6 from the tunnel"
dns_facts "
sy = {x['name']: x['result'] for x in s.get('system', [])}
assert sy == {'db.vpc.internal': 'answer', 'nope.vpc.internal': 'nxdomain'}, sy" ||
	fail "the system resolver (resolv.conf's 172.16.1.11): $(cat "$work/facts.json")"
has_finding dns-no-route && fail "dns-no-route with resolved's servers answering through the tunnel"
echo "resolved's per-link servers seen $((t_first - t_start)) s after start: $(servers)"

# --- 172.16.1.10 routed outside the tunnel ----------------------------------------
ip -n "$lap" route add 172.16.1.10/32 via 192.168.77.1 dev veth0 || fail "the leaking route"
t0=$(date +%s)
until_ok '[ "$(servers)" = "172.16.1.10/resolved/False fd16::10/resolved/True" ]' 100 ||
	fail "172.16.1.10 not seen outside the tunnel: '$(servers)'"
until_ok 'has_finding dns-no-route' 600 || fail "no dns-no-route with 172.16.1.10 routed through veth0: $(cli status --json)"
t1=$(date +%s)
cli status --json > "$work/status2.json"
jq_py '
f = next(f for f in d["findings"] if f["cause"] == "dns-no-route")
s = f["summary"]
assert "172.16.1.10" in s and "veth0" in s, s
assert "fd16::10" not in s, s
assert f["severity"] == "error", f
print("dns-no-route:", s)' < "$work/status2.json" || fail "dns-no-route's summary: $(cat "$work/status2.json")"
echo "dns-no-route opened $((t1 - t0)) s after the route change (grace 30 s)"

ip -n "$lap" route del 172.16.1.10/32 via 192.168.77.1 dev veth0 || fail "removing the leaking route"
t0=$(date +%s)
until_ok '! has_finding dns-no-route' 200 || fail "dns-no-route still open with the route fixed"
t1=$(date +%s)
echo "dns-no-route resolved $((t1 - t0)) s after the route fix"

# --- the bus restarted (resolved with it): the daemon connects again -------------------------
kill -TERM "$mpid" "$buspid"
wait "$mpid" "$buspid" 2>/dev/null
mpid= buspid=
want='172.16.1.11/resolv.conf/True'
until_ok '[ "$(servers)" = "$want" ]' 150 || fail "without a bus the servers are not resolv.conf's: '$(servers)'"
start_bus
start_mock
want='172.16.1.10/resolved/True fd16::10/resolved/True'
until_ok '[ "$(servers)" = "$want" ]' 150 || fail "resolved not asked again after the bus restarted: '$(servers)'"
echo "bus restarted: $(servers)"

# --- resolved gone from the bus: resolv.conf -----------------------------------------------
kill -TERM "$mpid"
wait "$mpid" 2>/dev/null
mpid=
want='172.16.1.11/resolv.conf/True'
until_ok '[ "$(servers)" = "$want" ]' 150 || fail "without resolved the servers are not resolv.conf's: '$(servers)'"
until_ok answered 100 || fail "resolv.conf's server did not answer: $(cat "$work/facts.json")"
echo "without resolved: $(servers)"

# --- a local stub in resolv.conf is not the tunnel's server ----------------------------
# (rewritten in place: ip netns exec bind-mounted this very file)
printf 'nameserver 127.0.0.53\n' > "/etc/netns/$lap/resolv.conf"
until_ok '[ "$(servers)" = "" ]' 150 || fail "a loopback stub taken for the tunnel's server: '$(servers)'"
dns_facts "assert [x['name'] for x in s.get('system', [])] == ['db.vpc.internal', 'nope.vpc.internal'], s" ||
	fail "the system resolver was not asked: $(cat "$work/facts.json")"

kill -TERM "$dpid"
wait "$dpid"
rc=$?
dpid=
[ $rc -eq 0 ] || fail "vpndoctord exited $rc"
echo "1 passed, 0 failed"
