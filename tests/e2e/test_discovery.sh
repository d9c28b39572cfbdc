#!/bin/bash
# Discovery: a daemon with no [Tunnel] at all finds the OpenVPN clients of its
# own network namespace. A real OpenVPN 2.6 server in one namespace of this
# test's own, the "laptop" (client and daemon) in a second, a second laptop's
# client in a third. Asserts: the laptop's client appears as a tunnel named
# after its config, with Config= resolved through its working directory, state
# connected; a client driven by its command line alone (as NetworkManager runs
# one) appears too, named after its remote; the server and the second laptop's
# client (other namespaces) never appear; kill -9 of the client gives
# client-exception on the discovered tunnel, which is forgotten after
# DiscoveryForgetSec= (its findings resolved). Everything started is killed by
# pid, the namespaces deleted, also on failure. Nothing leaves the namespaces:
# the clock probe is off (no NTP), the server is a veth away.
set -u

# shellcheck source=ovpn-lab.sh
. "${VD_SRC:?}/tests/e2e/ovpn-lab.sh"
ovpn_lab_require
ovpn_lab_init disc vddi
ons=vddi-o-$$
ovpn_lab_netns="$ovpn_lab_netns $ons"
npid= opid=
ovpn_lab_more_pids="npid opid"
FORGET=45
ovpn_lab_pki

# --- network: server <-> laptop (198.18.0.0/24), server <-> second laptop (198.18.1.0/24)
ovpn_lab_net vd
ip netns add "$ons" || fail "netns"
ip link add vd$$t netns "$sns" type veth peer name vd$$o netns "$ons" || fail "veth 2"
ip -n "$sns" addr add 198.18.1.1/24 dev vd$$t
ip -n "$ons" addr add 198.18.1.2/24 dev vd$$o
ip -n "$ons" link set lo up
ip -n "$sns" link set vd$$t up
ip -n "$ons" link set vd$$o up

# one server for both laptops (no "local"), both clients with the same certificate
ovpn_server_conf 172.16.1.0 "topology subnet" "duplicate-cn"
start_server

client_conf() { # $1 name, $2 remote
	ovpn_client_conf "$1" "$2" "management $work/$1.sock unix" "log $work/$1.log"
}
client_conf office 198.18.0.1
client_conf laptop2 198.18.1.1

# The daemon with no tunnel at all; no NTP (clock off), the profile rarely.
cat > "$work/vpndoctor.conf" <<EOC
[Daemon]
MaxConcurrentProbes=2
DiscoveryForgetSec=$FORGET
[Clock]
Enabled=no
[Profile]
Interval=1h
EOC
start_daemon
until_ok 'status_is "names() == []"' 50 || fail "tunnels before any client runs: $(cli status --json)"
cli status | grep -q "no tunnel configured or discovered" || fail "the empty status does not say why: $(cli status)"

# The second laptop first: another namespace, never a tunnel of ours.
(cd "$work" && exec ip netns exec "$ons" openvpn --config laptop2.conf) &
opid=$!
until_ok 'grep -qs "Initialization Sequence Completed" "$work/laptop2.log"' 300 || fail "laptop2 did not connect"

# --- the laptop's client: from its directory, a relative --config ---------------------
(cd "$work" && exec ip netns exec "$cns" openvpn --config office.conf) &
cpid=$!
t_start=$(elapsed)
# a new tun is a link change: seen well before the 30 s rescan
until_ok 'status_is "names() == [\"office\"]"' 100 || fail "office was not discovered within 10 s: $(cli status --json)"
echo "office discovered $(elapsed_since "$t_start") s after the client started"
status_is "tunnel(\"office\")[\"config\"] == \"$work/office.conf\" and tunnel(\"office\")[\"discovered\"] is True" ||
	fail "office's Config= is not the resolved path: $(cli status --json)"
until_ok 'status_is "tunnel(\"office\")[\"state\"] == \"connected\""' 300 || fail "office is not connected: $(cli status --json)"
grep -q "discovery: tunnel office: openvpn pid $cpid, config $work/office.conf, management $work/office.sock" "$dlog" ||
	fail "the discovery was not logged with the pid, config and management socket"
# the profile probe checks the discovered Config=
until_ok 'cli facts --tunnel office --json | grep -q "\"profile\":{"' 100 || fail "no profile facts for office"
# healthy with causes left unchecked: the text never says "healthy" (vpndoctor(1))
until_ok 'status_is "d[\"health\"] == \"healthy\" and tunnel(\"office\")[\"health\"] == \"healthy\" and tunnel(\"office\")[\"unchecked\"]"' 300 ||
	fail "office is not healthy with unchecked causes: $(cli status --json)"
out=$(cli status)
rc=$?
[ $rc -eq 0 ] || fail "status of a healthy tunnel exits $rc"
grep -q '^partly checked: no findings on 1 tunnel$' <<<"$out" && grep -q '^tunnel office: partly checked, connected ' <<<"$out" &&
	grep -q '^  not checked: ' <<<"$out" || fail "status does not say partly checked: $out"
grep -qw healthy <<<"$out" && fail "status says healthy with causes unchecked: $out"

# --- a client driven by its command line alone (NetworkManager's way) -----------------
ip netns exec "$cns" openvpn --client --dev tun --proto udp --remote 198.18.0.1 1194 --nobind \
	--ca "$work/pki/ca.crt" --cert "$work/pki/client.crt" --key "$work/pki/client.key" \
	--remote-cert-tls server --disable-dco --hand-window 20 --verb 3 --log "$work/nm.log" &
npid=$!
t_start=$(elapsed)
until_ok 'grep -qs "Initialization Sequence Completed" "$work/nm.log"' 300 || fail "the command-line client did not connect"
until_ok 'status_is "names() == [\"198.18.0.1\", \"office\"]"' 400 ||
	fail "the command-line client was not discovered: $(cli status --json)"
echo "the command-line client discovered $(elapsed_since "$t_start") s after it started"
status_is 'tunnel("198.18.0.1")["config"] is None' || fail "a client without --config got a Config="
until_ok 'status_is "tunnel(\"198.18.0.1\")[\"state\"] == \"connected\""' 300 ||
	fail "the command-line client is not connected: $(cli status --json)"
kill -TERM "$npid"
wait "$npid" 2>/dev/null
npid=

# Neither the server nor laptop2 (other namespaces) was ever a tunnel.
grep -q "discovery: tunnel .*pid \($spid\|$opid\)[ ,]" "$dlog" && fail "a process of another namespace was discovered"
status_is 'tunnel("server") is None and tunnel("laptop2") is None' || fail "another namespace's client is a tunnel"
status_is 'finding("client-exception", "office") is None' || fail "client-exception on a healthy tunnel"

# --- kill -9: client-exception on the discovered tunnel, then it is forgotten ----------
kill -KILL "$cpid"
wait "$cpid" 2>/dev/null
cpid=
t_kill=$(elapsed)
until_ok 'status_is "(f := finding(\"client-exception\", \"office\")) and \"crashed\" in f[\"summary\"] and tunnel(\"office\")[\"state\"] == \"exited\""' 450 ||
	fail "no client-exception after kill -9: $(cli status --json)"
echo "client-exception $(elapsed_since "$t_kill") s after kill -9"
until_ok 'status_is "tunnel(\"office\") is None"' $(((FORGET + 40) * 10)) ||
	fail "office was not forgotten $FORGET s after its process died: $(cli status --json)"
echo "office forgotten $(elapsed_since "$t_kill") s after kill -9 (DiscoveryForgetSec=$FORGET)"
status_is 'finding("client-exception", "office") is None' || fail "client-exception stayed open on a forgotten tunnel"
cli history --json | /usr/bin/python3 -c '
import json, sys
ev = [(e["event"], e["cause"], e["tunnel"]) for e in json.load(sys.stdin)["events"]]
sys.exit(0 if ("opened", "client-exception", "office") in ev and ("resolved", "client-exception", "office") in ev else 1)
' || fail "the history lacks client-exception opened and resolved on office: $(cli history --json)"
grep -q "discovery: tunnel office removed" "$dlog" || fail "the removal was not logged"

stop_daemon
echo "PASS ($(elapsed) s)"
