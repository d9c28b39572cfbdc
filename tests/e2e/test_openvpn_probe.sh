#!/bin/bash
# The openvpn probe against a real OpenVPN 2.6 server and client, in two
# network namespaces of this test's own (a veth between them): the daemon runs
# in the client's namespace with a [Tunnel] naming the client config and its
# management socket. Asserts through `vpndoctor status --json` and the daemon's
# log: state connected, pushed route and DNS, the negotiated cipher against the
# configured one (ncp-cipher), the version of the running binary; kill -9 of the
# client gives client-exception; a server restarted with another pushed route
# gives server-config-changed. Everything started is killed by pid, the
# namespaces deleted, also on failure.
set -u

# shellcheck source=ovpn-lab.sh
. "${VD_SRC:?}/tests/e2e/ovpn-lab.sh"
ovpn_lab_require
ovpn_lab_init ovpn vdov
ovpn_lab_pki
ovpn_lab_net vo

ovpn_client_conf client 198.18.0.1 "cipher AES-128-CBC" "management $work/mgmt.sock unix" "log $work/client.log"

start_client() {
	# from its own directory, with a relative --config: the probe must resolve
	# it through the process's working directory
	(cd "$work" && exec ip netns exec "$cns" openvpn --config client.conf) &
	cpid=$!
}

ovpn_daemon_conf "Management=$work/mgmt.sock"
server_conf 172.16.1.0
start_server

# --- the daemon first: the client appears while it runs --------------------------------
start_daemon
until_ok 'status_is "state() == \"absent\""' 100 || fail "the tunnel is not absent before the client runs"

start_client
until_ok 'grep -qs "Initialization Sequence Completed" "$work/client.log"' 300 || fail "the client did not connect"
t_conn=$(elapsed)
until_ok 'status_is "state() == \"connected\""' 150 || fail "state is not connected"
echo "connected seen in status $(elapsed_since "$t_conn") s after the client connected"

# ncp-cipher: configured AES-128-CBC, negotiated AES-256-GCM (info)
until_ok 'status_is "(f := finding(\"ncp-cipher\")) and f[\"severity\"] == \"info\" and f[\"evidence\"][\"negotiated_cipher\"] == \"AES-256-GCM\" and f[\"evidence\"][\"configured_cipher\"] == \"AES-128-CBC\""' 100 ||
	fail "no ncp-cipher finding: $(cli status --json)"
# the facts the status does not carry, from the daemon's log of the state change
until_ok 'grep -q "openvpn on office: connected.*pid $cpid.*routes .172.16.1.0/24 10.8.0.1/32., dns .172.16.1.10., cipher .AES-256-GCM." "$dlog"' 50 ||
	fail "the connected state was not logged with its pushed options"
want_version=$(openvpn --version | head -n 1)
until_ok 'grep -qF "openvpn on office: pid $cpid runs '"'"'$want_version'"'"'" "$dlog"' 100 ||
	fail "the running binary's version was not read"
status_is 'finding("client-exception") is None' || fail "client-exception on a healthy tunnel"
status_is 'finding("server-config-changed") is None' || fail "server-config-changed on the first session"

# --- kill -9 of the client: client-exception ---------------------------------------------
kill -KILL "$cpid"
wait "$cpid" 2>/dev/null
t_kill=$(elapsed)
# (the cause has a 30 s grace period: a restart by a supervisor is not a fault)
until_ok 'status_is "(f := finding(\"client-exception\")) and \"crashed\" in f[\"summary\"] and state() == \"exited\""' 450 ||
	fail "no client-exception after kill -9: $(cli status --json)"
echo "client-exception $(elapsed_since "$t_kill") s after kill -9"

# --- a new client, then the server restarted with another pushed route ------------------------
start_client
until_ok 'status_is "state() == \"connected\" and finding(\"client-exception\") is None"' 300 ||
	fail "a restarted client did not clear client-exception"
restart_server 172.16.2.0
t_srv=$(elapsed)
until_ok 'status_is "(f := finding(\"server-config-changed\")) and f[\"evidence\"].get(\"routes\") == \"172.16.1.0/24, 10.8.0.1/32 -> 172.16.2.0/24, 10.8.0.1/32\""' 450 ||
	fail "no server-config-changed after the server's push changed: $(cli status --json)"
echo "server-config-changed $(elapsed_since "$t_srv") s after the server restarted"
until_ok 'status_is "state() == \"connected\""' 150 || fail "not connected again"

# --- a clean stop (SIGTERM) is no fault --------------------------------------------------------
kill -TERM "$cpid"
wait "$cpid" 2>/dev/null
until_ok 'status_is "state() == \"exited\""' 100 || fail "state is not exited after SIGTERM"
status_is 'finding("client-exception") is None' || fail "client-exception after a clean SIGTERM: $(cli status --json)"
# exactly two ends were seen: kill -9 and SIGTERM (a live process never "vanishes")
n=$(grep -c "openvpn on office: exited" "$dlog")
[ "$n" -eq 2 ] || fail "$n exits logged, not 2"
grep -q "openvpn on office: exited (SIGTERM)" "$dlog" || fail "the SIGTERM exit was not logged with its reason"

stop_daemon
echo "PASS ($(elapsed) s)"
