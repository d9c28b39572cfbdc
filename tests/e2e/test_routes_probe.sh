#!/bin/bash
# The routes and conflicts probes end to end, in a network namespace of their
# own: a "laptop" with a dummy LAN and a tun device set up by hand (no
# OpenVPN). Asserts the routes and conflicts facts (the probes' debug lines)
# and the findings (`vpndoctor status --json`): client-cidr-too-small,
# ipsec-route-overlap, local-network-missing, ip-conflict,
# local-network-overlap, vpn-app-conflict; each netlink change is seen in the
# facts within 2 s, and each finding without a grace period opens or resolves
# within 2 s (the times are printed).
set -u

bin=${VD_BIN:?}
# shellcheck source=../tools/testlib.sh
. "${VD_SRC:?}/tests/tools/testlib.sh"
netns_test_init routes
sock=$work/io.vpndoctor
log=$work/daemon.log

fail() {
	echo "FAIL: $*" >&2
	[ -f "$log" ] && tail -n 40 "$log" | sed 's/^/  log: /' >&2
	exit 1
}

nsx() { ip netns exec "$ns" "$@"; }

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# The latest facts section ($1: routes or conflicts) satisfies the Python
# expression $2 over it (f).
facts() {
	grep -a "$1 on office: " "$log" | tail -n 1 | sed "s/^.*$1 on office: //" |
		/usr/bin/python3 -c "import json, sys
f = json.load(sys.stdin)
sys.exit(0 if ($2) else 1)" 2>/dev/null
}

# The open findings of tunnel office satisfy the Python expression $1 over
# causes (a dict: cause -> finding).
findings() {
	"$bin/vpndoctor" --socket "$sock" status --json 2>/dev/null |
		/usr/bin/python3 -c "import json, sys
d = json.load(sys.stdin)
causes = {x['cause']: x for x in d['findings'] if x.get('tunnel') == 'office'}
sys.exit(0 if ($1) else 1)" 2>/dev/null
}

# Runs a change, then waits for the condition: prints and checks the time.
timed() { # label condition-command limit-s
	local t0 el
	t0=$(now)
	until_ok "$2" $(($3 * 10 + 10)) || fail "$1: not seen"
	el=$(since "$t0")
	echo "$1: ${el} s"
	awk -v e="$el" -v l="$3" 'BEGIN { exit !(e <= l) }' || fail "$1 took ${el} s (limit $3 s)"
}

ip netns add "$ns" || fail "cannot create a network namespace"
nsx ip link set lo up
# The LAN is a veth pair (the dummy module may be missing); its far end
# stays in the namespace too, so nothing ever leaves it.
lan() { # name address
	nsx ip link add "$1" type veth peer name "$1p" && nsx ip link set "$1p" up &&
		nsx ip addr add "$2" dev "$1" && nsx ip link set "$1" up
}
lan lan0 192.168.50.2/24 || fail "cannot make the LAN"
nsx ip route add default via 192.168.50.1 dev lan0 || fail "default route"
nsx ip tuntap add mode tun name vdtun0 || fail "cannot make a tun device"
nsx ip addr add 10.8.0.6 peer 10.8.0.5 dev vdtun0 # net30, as OpenVPN sets it
nsx ip link set vdtun0 up
nsx ip route add 172.16.1.0/24 via 10.8.0.5 dev vdtun0 || fail "pushed route" # as OpenVPN adds it

# A valid profile (a config-invalid finding would explain the route findings
# away), naming the tun device as OpenVPN's `dev` does.
src=${VD_SRC:?}
cp "$src"/tests/data/sample/* "$work/"
sed -e 's/^dev .*/dev vdtun0/' -e 's/^remote .*/remote 198.51.100.7 1194/' "$work/sample.ovpn" > "$work/office.ovpn"

# Only the probes under test run: the others' sections are disabled (those
# this build has: an unknown section is a configuration error).
others="OpenVPN Clock DNS Transport Path Ping MTU Throughput"
write_conf() {
	{
		printf '[Daemon]\nMaxConcurrentProbes=4\n[Profile]\nInterval=1h\n'
		printf '[Routes]\nInterval=1h\n[Conflicts]\nInterval=1h\n'
		for s in $others; do printf '[%s]\nEnabled=no\n' "$s"; done
		printf '[Tunnel office]\nConfig=%s\n' "$work/office.ovpn"
		printf 'Targets=172.16.1.20 172.31.0.9\nClientCIDR=10.8.0.0/28\nMaxConnections=10\n'
		printf 'LocalNetworks=172.16.1.0/24 172.31.0.0/16\nIPsecRoutes=10.8.0.0/24\n'
	} > "$work/vpndoctor.conf"
}

for try in 1 2 3 4 5 6 7 8 9; do
	write_conf
	# nsenter execs the daemon itself (ip netns exec forks): $! is its pid.
	nsenter --net="/run/netns/$ns" -- "$bin/vpndoctord" --foreground --user nobody --log-target stderr --log-level debug \
		--config "$work/vpndoctor.conf" --socket "$sock" --state-dir "$work/state" 2> "$log" &
	pid=$!
	until_ok '[ -S "$sock" ] || ! kill -0 $pid 2>/dev/null' 100
	[ -S "$sock" ] && break
	wait "$pid"
	pid=
	bad=$(sed -n 's/.*unknown section \[\([A-Za-z]*\)\].*/\1/p' "$log" | head -n 1)
	[ -n "$bad" ] || fail "the daemon did not start"
	others=$(tr ' ' '\n' <<<"$others" | grep -vx "$bad" | tr '\n' ' ')
done
[ -S "$sock" ] || fail "the daemon did not start"

# --- the healthy laptop's facts ---------------------------------------------------
until_ok 'facts routes "f.get(\"tun_dev\") == \"vdtun0\""' 50 || fail "tun_dev is not vdtun0"
facts routes 'f["tunnel_subnet"] == "10.8.0.4/30"' || fail "tunnel_subnet is not the net30 /30"
facts routes '{"prefix": "192.168.50.0/24", "dev": "lan0"} in f["local_subnets"]' || fail "local_subnets lack lan0"
facts routes 'all(s["dev"] != "vdtun0" and s["dev"] != "lo" for s in f["local_subnets"])' ||
	fail "local_subnets hold the tunnel or loopback"
facts routes 'f["pushed_routes"] == ["172.16.1.0/24"]' || fail "pushed_routes are not the tun's routes"
facts routes '{"addr": "172.16.1.20", "dev": "vdtun0", "gateway": "10.8.0.5", "via_tunnel": True} in f["targets"]' ||
	fail "target 172.16.1.20 is not through the tunnel"
facts routes '{"addr": "172.31.0.9", "dev": "lan0", "gateway": "192.168.50.1", "via_tunnel": False} in f["targets"]' ||
	fail "target 172.31.0.9 is not through lan0"
facts routes 'f["gateway"]["addr"] == "198.51.100.7" and f["gateway"]["dev"] == "lan0" and not f["gateway"]["via_tunnel"]' ||
	fail "the gateway lookup"
facts routes 'f["default_route"] is True' || fail "default_route"
until_ok 'facts conflicts "f[\"links\"] == [] and f[\"routes\"] == []"' 50 || fail "conflicts on a clean laptop"

# Configuration alone: no grace period.
until_ok 'findings "\"client-cidr-too-small\" in causes and \"ipsec-route-overlap\" in causes"' 50 ||
	fail "client-cidr-too-small and ipsec-route-overlap"
findings '"10.8.0.0/24" in causes["ipsec-route-overlap"]["summary"]' || fail "ipsec-route-overlap names the route"
findings 'causes["client-cidr-too-small"]["evidence"]["clients_at_4_addresses"] == "4"' ||
	fail "client-cidr-too-small evidence"
findings '"ip-conflict" not in causes and "vpn-app-conflict" not in causes and "local-network-overlap" not in causes' ||
	fail "a false finding on the healthy laptop"

# --- local-network-missing: 172.31.0.9 leaves through the LAN (30 s grace) --------
until_ok 'findings "\"local-network-missing\" in causes"' 400 || fail "local-network-missing did not open"
findings '"172.31.0.9" in causes["local-network-missing"]["summary"] and "lan0" in causes["local-network-missing"]["summary"]' ||
	fail "local-network-missing names the target and link"

nsx ip route add 172.31.0.0/16 dev vdtun0
timed "route 172.31.0.0/16 into the tunnel: facts" \
	'facts routes "{\"addr\": \"172.31.0.9\", \"dev\": \"vdtun0\", \"via_tunnel\": True} in f[\"targets\"]"' 2
timed "local-network-missing resolved" 'findings "\"local-network-missing\" not in causes"' 2

# --- local-network-overlap: a pushed route over the tunnel's own subnet ----------
nsx ip route add 10.8.0.0/24 dev vdtun0
timed "route over the tunnel subnet: local-network-overlap opened" \
	'findings "\"local-network-overlap\" in causes and \"10.8.0.0/24\" in causes[\"local-network-overlap\"][\"summary\"]"' 2

# --- ip-conflict: the LAN takes the VPC's prefix ------------------------------------
lan lan1 172.16.1.2/24 || fail "cannot make lan1"
timed "LAN 172.16.1.0/24 on lan1: facts" \
	'facts routes "{\"prefix\": \"172.16.1.0/24\", \"dev\": \"lan1\"} in f[\"local_subnets\"]"' 2

# --- vpn-app-conflict: another VPN's link with a default route --------------------
if nsx ip link add wg0 type wireguard 2>/dev/null; then
	other=wg0 kind=wireguard
else
	other=vdtun1 kind=tun # no wireguard module here: a second tun
	nsx ip tuntap add mode tun name vdtun1
fi
nsx ip link set "$other" up
nsx ip route add 0.0.0.0/1 dev "$other"
timed "$kind link $other: facts" \
	"facts conflicts '{\"name\": \"$other\", \"kind\": \"$kind\", \"up\": True} in f[\"links\"] and {\"prefix\": \"0.0.0.0/1\", \"dev\": \"$other\"} in f[\"routes\"]'" 2
facts routes 'f["tun_dev"] == "vdtun0"' || fail "a second VPN link took the tunnel's place"

until_ok 'findings "\"ip-conflict\" in causes and \"vpn-app-conflict\" in causes"' 400 ||
	fail "ip-conflict and vpn-app-conflict did not open"
findings '"172.16.1.0/24 on lan1" in causes["ip-conflict"]["summary"]' || fail "ip-conflict names the prefixes"
findings "\"$other\" in causes[\"vpn-app-conflict\"][\"summary\"] and any(\"0.0.0.0/1 via $other\" in v for v in causes[\"vpn-app-conflict\"][\"evidence\"].values())" ||
	fail "vpn-app-conflict names the link and its route"

# --- each resolves within 2 s of its netlink event -----------------------------------
nsx ip link del lan1
timed "lan1 gone: ip-conflict resolved" 'findings "\"ip-conflict\" not in causes"' 2
nsx ip route del 10.8.0.0/24 dev vdtun0
timed "route gone: local-network-overlap resolved" 'findings "\"local-network-overlap\" not in causes"' 2
nsx ip link del "$other"
timed "$other gone: vpn-app-conflict resolved" 'findings "\"vpn-app-conflict\" not in causes"' 2

# --- the tunnel goes down: no guesses about via_tunnel --------------------------------
nsx ip link del vdtun0
timed "vdtun0 gone: facts" 'facts routes "f[\"tun_dev\"] is None and all(\"via_tunnel\" not in t for t in f[\"targets\"])"' 2

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ $rc -eq 0 ] || fail "the daemon exited $rc on SIGTERM"
grep -aq 'ERROR: AddressSanitizer\|runtime error:' "$log" && fail "sanitizer report"
echo "ok"
