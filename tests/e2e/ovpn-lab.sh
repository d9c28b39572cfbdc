# shellcheck shell=bash
# The OpenVPN lab of the e2e tests (sourced, not a test itself): a throwaway
# PKI, a real OpenVPN 2.6 server in a network namespace of the test's own, a
# client namespace a veth away (server 198.18.0.1, client 198.18.0.2), and the
# daemon in the client's namespace. Each test writes its own client and daemon
# configurations and checks; this file only sets up, waits and cleans up.
#
# Variables it sets (ovpn_lab_init): work, sns, cns, sock, dlog, t0, and the
# pids spid (server), cpid (client), dpid (daemon). A test may set
# ovpn_lab_more_pids (names of more pid variables to kill on exit) and
# define ovpn_lab_cleanup_hook / ovpn_lab_fail_hook to add to cleanup / fail.

# shellcheck source=../tools/testlib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../tools/testlib.sh"

bin=${VD_BIN:?}

# Exits 77 (skipped) without root or openvpn.
ovpn_lab_require() {
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
	command -v openvpn >/dev/null || { echo "SKIP: no openvpn"; exit 77; }
}

# ovpn_lab_init NAME NSTAG: the work dir /tmp/vd-e2e-NAME.*, the namespace
# names NSTAG-s-PID and NSTAG-c-PID (made by ovpn_lab_net), the cleanup trap.
ovpn_lab_init() {
	work=$(mktemp -d "/tmp/vd-e2e-$1.XXXXXX") || { echo "FAIL: mktemp" >&2; exit 1; }
	chmod 755 "$work"
	sns=$2-s-$$ cns=$2-c-$$
	ovpn_lab_netns="$sns $cns"
	sock=$work/run/io.vpndoctor
	dlog=$work/daemon.log
	spid= cpid= dpid=
	ovpn_lab_more_pids=
	t0=$(date +%s.%N)
	trap ovpn_lab_cleanup EXIT
}

ovpn_lab_cleanup() {
	local v pids="$dpid $cpid"
	for v in $ovpn_lab_more_pids; do
		pids="$pids ${!v}"
	done
	# shellcheck disable=SC2086 # a list of pids, empty ones dropped
	kill_wait $pids $spid
	if declare -F ovpn_lab_cleanup_hook >/dev/null; then
		ovpn_lab_cleanup_hook
	fi
	for v in $ovpn_lab_netns; do
		ip netns del "$v" 2>/dev/null
	done
	rm -rf "$work"
}

# Says why, shows the end of every log of the lab, exits 1; with
# VD_KEEP_LOGS=DIR, the whole logs are copied there first.
fail() {
	local f
	echo "FAIL: $*" >&2
	for f in "$work"/*.log; do
		[ -f "$f" ] && { echo "--- $f" >&2; tail -n 40 "$f" | sed 's/^/  /' >&2; }
	done
	[ -n "${VD_KEEP_LOGS:-}" ] && mkdir -p "$VD_KEEP_LOGS" && cp "$work"/*.log "$VD_KEEP_LOGS"/ 2>/dev/null
	if declare -F ovpn_lab_fail_hook >/dev/null; then
		ovpn_lab_fail_hook >&2
	fi
	exit 1
}

cli() { "$bin/vpndoctor" --socket "$sock" "$@"; }

# Seconds since the test started, and since an earlier $(elapsed) value $1.
elapsed() { echo "$(date +%s.%N) $t0" | awk '{printf "%.1f", $1 - $2}'; }
elapsed_since() { echo "$(elapsed) $1" | awk '{printf "%.1f", $1 - $2}'; }

# json_is JSON EXPR [SETUP]: the Python expression EXPR must hold over the
# JSON as `d`, after the Python statements SETUP; false when either fails.
json_is() {
	/usr/bin/python3 -c '
import json, sys
try:
    d = json.loads(sys.argv[1])
    exec(sys.argv[3])
except Exception:
    sys.exit(1)
sys.exit(0 if eval(sys.argv[2]) else 1)
' "$1" "$2" "${3:-}"
}

# status_is EXPR: json_is over `vpndoctor status --json`, where names() are
# the tunnels' names, tunnel(NAME) a tunnel's entry or None, state(NAME) its
# state, finding(CAUSE, NAME) an open finding or None (NAME: office).
status_is() {
	json_is "$(cli status --json 2>/dev/null)" "$1" '
def names():
    return sorted(t.get("name") for t in d.get("tunnels", []))
def tunnel(name="office"):
    return next((t for t in d.get("tunnels", []) if t.get("name") == name), None)
def state(name="office"):
    return (tunnel(name) or {}).get("state")
def finding(cause, name="office"):
    return next((f for f in d.get("findings", []) if f.get("cause") == cause and f.get("tunnel") == name), None)
'
}

# The CA, server and client certificates in $work/pki.
ovpn_lab_pki() {
	vd_pki "$work/pki" server client || fail "cannot make the PKI"
}

# ovpn_lab_net VETHTAG: the two namespaces and the veth between them
# (VETHTAG-PID-s in the server's, VETHTAG-PID-c in the client's), lo up.
ovpn_lab_net() {
	local s=$1$$s c=$1$$c ns
	ip netns add "$sns" && ip netns add "$cns" || fail "netns"
	ip link add "$s" netns "$sns" type veth peer name "$c" netns "$cns" || fail "veth"
	ip -n "$sns" addr add 198.18.0.1/24 dev "$s"
	ip -n "$cns" addr add 198.18.0.2/24 dev "$c"
	for ns in "$sns" "$cns"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$sns" link set "$s" up
	ip -n "$cns" link set "$c" up
}

# ovpn_server_conf ROUTE [LINE...]: $work/server.conf of a server on
# 10.8.0.0/24 port 1194 that pushes ROUTE/24, with each LINE added.
ovpn_server_conf() {
	local route=$1
	shift
	{
		cat <<EOC
dev tun
proto udp
port 1194
server 10.8.0.0 255.255.255.0
ca $work/pki/ca.crt
cert $work/pki/server.crt
key $work/pki/server.key
dh none
disable-dco
hand-window 20
keepalive 2 10
push "route $route 255.255.255.0"
verb 3
EOC
		printf '%s\n' "$@"
	} >"$work/server.conf"
}

# server_conf ROUTE: the server of a lab with one client namespace: on
# 198.18.0.1, net30, pushing ROUTE/24 and the DNS server 172.16.1.10.
server_conf() {
	ovpn_server_conf "$1" "local 198.18.0.1" "topology net30" "explicit-exit-notify 1" \
		'push "dhcp-option DNS 172.16.1.10"'
}

# restart_server ROUTE: SIGTERM to the server, then it runs again with
# server_conf ROUTE.
restart_server() {
	kill -TERM "$spid"
	wait "$spid" 2>/dev/null
	server_conf "$1"
	start_server
}

# (Re)starts the server on $work/server.conf and waits until it serves.
start_server() {
	: >"$work/server.log"
	ip netns exec "$sns" openvpn --config "$work/server.conf" --log "$work/server.log" &
	spid=$!
	until_ok 'grep -qs "Initialization Sequence Completed" "$work/server.log"' 100 || fail "the server did not start"
}

# ovpn_client_conf NAME REMOTE [LINE...]: $work/NAME.conf, a client of
# REMOTE:1194 with the lab's PKI (paths relative to $work), each LINE added.
ovpn_client_conf() {
	local name=$1 remote=$2
	shift 2
	{
		cat <<EOC
client
dev tun
proto udp
remote $remote 1194
nobind
ca pki/ca.crt
cert pki/client.crt
key pki/client.key
remote-cert-tls server
disable-dco
hand-window 20
connect-retry 1 2
verb 3
EOC
		printf '%s\n' "$@"
	} >"$work/$name.conf"
}

# ovpn_daemon_conf [LINE...]: $work/vpndoctor.conf watching $work/client.conf
# as [Tunnel office], each LINE added to that section; no NTP, the profile hourly.
ovpn_daemon_conf() {
	{
		cat <<EOC
[Daemon]
MaxConcurrentProbes=2
[Clock]
NTPServers=
[Profile]
Interval=1h
[Tunnel office]
Config=$work/client.conf
EOC
		printf '%s\n' "$@"
	} >"$work/vpndoctor.conf"
}

# start_daemon [ARG...]: vpndoctord on $work/vpndoctor.conf in the client's
# namespace, logging to $dlog; waits for its socket.
start_daemon() {
	ip netns exec "$cns" "$bin/vpndoctord" --foreground --user nobody --config "$work/vpndoctor.conf" --socket "$sock" \
		--state-dir "$work/state" --log-level info "$@" 2>"$dlog" &
	dpid=$!
	until_ok '[ -S "$sock" ]' 100 || fail "no daemon socket"
}

# SIGTERM to the daemon: it must exit 0.
stop_daemon() {
	local rc
	kill -TERM "$dpid"
	wait "$dpid"
	rc=$?
	dpid=
	[ $rc -eq 0 ] || fail "the daemon exited $rc after SIGTERM"
}
