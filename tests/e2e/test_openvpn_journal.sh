#!/bin/bash
# The openvpn probe reading a client's log from the journal: a real OpenVPN 2.6
# server and a client started with --syslog vpnclient (no --log, no management
# interface), a journald started for this test in a private mount namespace
# (tmpfs over /run and /var/log, the host's journal never touched), the daemon
# in the client's network namespace. Asserts through `vpndoctor facts --json`
# that state, pushed routes and DNS and the negotiated cipher come from the
# journal, and that a server restarted with another pushed route gives
# server-config-changed. Everything started is killed by pid, the namespaces
# deleted, also on failure.
set -u

# shellcheck source=ovpn-lab.sh
. "${VD_SRC:?}/tests/e2e/ovpn-lab.sh"
ovpn_lab_require
JOURNALD=/lib/systemd/systemd-journald
[ -x "$JOURNALD" ] || { echo "SKIP: no $JOURNALD"; exit 77; }

if [ "${1:-}" != "--inside" ]; then
	exec unshare -m --propagation private /bin/bash "$0" --inside
fi

# the netns handles live under /run: in this namespace's tmpfs
mount -t tmpfs -o mode=0755 tmpfs /run || { echo "FAIL: tmpfs /run" >&2; exit 1; }
mount -t tmpfs -o mode=0755 tmpfs /var/log || { echo "FAIL: tmpfs /var/log" >&2; exit 1; }

ovpn_lab_init ovj vdoj
jpid=

# syslog(3) writes to /dev/log, which this host may lack: a /dev of this
# namespace's own (a tmpfs: the host's /dev is never written to) with fresh
# nodes of the devices the programs here use, and /dev/log to journald
devs="null zero full random urandom tty net/tun"
nodes=
for n in $devs; do
	nodes="$nodes $n:$(stat -c '%t:%T' "/dev/$n")" || { echo "FAIL: no /dev/$n" >&2; exit 1; }
done
mount -t tmpfs -o mode=0755 tmpfs /dev || { echo "FAIL: tmpfs /dev" >&2; exit 1; }
mkdir /dev/net
for x in $nodes; do
	IFS=: read -r n ma mi <<<"$x"
	mknod -m 666 "/dev/$n" c $((16#$ma)) $((16#$mi)) || { echo "FAIL: mknod /dev/$n" >&2; exit 1; }
done
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
ln -s /run/systemd/journal/dev-log /dev/log

# journald stops last, after the programs that log to it
ovpn_lab_cleanup_hook() {
	if [ -n "$jpid" ]; then
		kill -TERM "$jpid" 2>/dev/null
		wait "$jpid" 2>/dev/null
	fi
}
ovpn_lab_fail_hook() {
	echo "--- journalctl -t vpnclient"
	journalctl --no-pager -t vpnclient -o short-precise 2>/dev/null | tail -n 40 | sed 's/^/  /'
}

# facts --json (GetFacts), then a Python expression over the tunnel's openvpn
# section as `o` must hold
facts_is() {
	json_is "$(cli facts --json 2>/dev/null)" "$1" '
d = d.get("facts", d)
o = [t for t in d.get("tunnels", []) if t.get("name") == "office"][0].get("openvpn") or {}
'
}

# the journal readable by the group systemd-journal, as systemd-tmpfiles makes
# it (the daemon's engine, not root, reads it as a member of that group)
mkdir -p /run/log/journal && chgrp systemd-journal /run/log/journal && chmod 2755 /run/log/journal ||
	fail "cannot make /run/log/journal the group systemd-journal's"
# journald for this namespace only: openvpn's syslog(3) reaches it via /dev/log
"$JOURNALD" >"$work/journald.log" 2>&1 &
jpid=$!
until_ok '[ -S /run/systemd/journal/socket ] && [ -S /run/systemd/journal/dev-log ]' 100 ||
	fail "journald did not create its sockets"

ovpn_lab_pki
ovpn_lab_net vj
# no --log and no management: the journal is the only source of its state
ovpn_client_conf client 198.18.0.1 "cipher AES-128-CBC"

start_client() {
	(cd "$work" && exec ip netns exec "$cns" openvpn --config client.conf --syslog vpnclient) &
	cpid=$!
}

ovpn_daemon_conf
server_conf 172.16.1.0
start_server

start_daemon --log-target stderr
until_ok 'facts_is "o.get(\"state\") == \"absent\""' 100 || fail "the tunnel is not absent before the client runs"

start_client
# the client's lines arrive in the journal under its syslog identifier, with its pid
until_ok 'journalctl --no-pager -t vpnclient _PID=$cpid 2>/dev/null | grep -q "Initialization Sequence Completed"' 300 ||
	fail "the client's lines did not reach the journal as vpnclient"
t_conn=$(elapsed)
until_ok 'facts_is "o.get(\"state\") == \"connected\" and o.get(\"pid\") == $cpid"' 150 ||
	fail "state is not connected: $(cli facts --json)"
echo "connected seen in facts $(elapsed_since "$t_conn") s after the client connected"
# pushed options and the negotiated cipher: with no --log and no management,
# only the journal carries them
until_ok 'facts_is "o.get(\"pushed\", {}).get(\"routes\") == [\"172.16.1.0/24\", \"10.8.0.1/32\"] and o[\"pushed\"].get(\"dns\") == [\"172.16.1.10\"]"' 50 ||
	fail "pushed routes/DNS not in the facts: $(cli facts --json)"
until_ok 'facts_is "o.get(\"negotiated_cipher\") == \"AES-256-GCM\" and o.get(\"configured_cipher\") == \"AES-128-CBC\""' 50 ||
	fail "negotiated cipher not in the facts: $(cli facts --json)"
until_ok 'status_is "(f := finding(\"ncp-cipher\")) and f[\"evidence\"][\"negotiated_cipher\"] == \"AES-256-GCM\""' 100 ||
	fail "no ncp-cipher finding: $(cli status --json)"
facts_is '"previous_pushed" not in o' || fail "a previous session on the first one: $(cli facts --json)"
status_is 'finding("server-config-changed") is None' || fail "server-config-changed on the first session"

# --- the server restarted with another pushed route ---------------------------------------
restart_server 172.16.2.0
t_srv=$(elapsed)
until_ok 'facts_is "o.get(\"pushed\", {}).get(\"routes\") == [\"172.16.2.0/24\", \"10.8.0.1/32\"] and o.get(\"previous_pushed\", {}).get(\"routes\") == [\"172.16.1.0/24\", \"10.8.0.1/32\"]"' 450 ||
	fail "the new push did not reach the facts: $(cli facts --json)"
until_ok 'status_is "(f := finding(\"server-config-changed\")) and f[\"evidence\"].get(\"routes\") == \"172.16.1.0/24, 10.8.0.1/32 -> 172.16.2.0/24, 10.8.0.1/32\""' 150 ||
	fail "no server-config-changed after the server's push changed: $(cli status --json)"
echo "server-config-changed $(elapsed_since "$t_srv") s after the server restarted"
until_ok 'facts_is "o.get(\"state\") == \"connected\""' 150 || fail "not connected again"
grep -q "cannot read the log" "$dlog" && fail "the probe looked for a log file"

stop_daemon
echo "PASS ($(elapsed) s)"
