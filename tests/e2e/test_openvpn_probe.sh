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

bin=${VD_BIN:?} src=${VD_SRC:?}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
command -v openvpn >/dev/null || { echo "SKIP: no openvpn"; exit 77; }

work=$(mktemp -d /tmp/vd-e2e-ovpn.XXXXXX)
chmod 755 "$work"
sns=vdov-s-$$ cns=vdov-c-$$
sock=$work/run/io.vpndoctor
dlog=$work/daemon.log
spid= cpid= dpid=
t0=$(date +%s.%N)

cleanup() {
	local p
	for p in $dpid $cpid $spid; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in $dpid $cpid $spid; do
		wait "$p" 2>/dev/null
	done
	ip netns del "$sns" 2>/dev/null
	ip netns del "$cns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	for f in "$dlog" "$work/client.log" "$work/server.log"; do
		[ -f "$f" ] && { echo "--- $f" >&2; tail -n 40 "$f" | sed 's/^/  /' >&2; }
	done
	exit 1
}

cli() { "$bin/vpndoctor" --socket "$sock" "$@"; }

# Waits (up to $2 tenths of a second) until the command in $1 succeeds.
until_ok() {
	local i
	for ((i = 0; i < ${2:-300}; i++)); do
		eval "$1" && return 0
		sleep 0.1
	done
	return 1
}

elapsed() { echo "$(date +%s.%N) $t0" | awk '{printf "%.1f", $1 - $2}'; }

# status --json, then a Python expression over it as `d` must hold
status_is() {
	local out
	out=$(cli status --json 2>/dev/null) || true
	/usr/bin/python3 -c '
import json, sys
try:
    d = json.loads(sys.argv[1])
except Exception:
    sys.exit(1)
def finding(cause):
    for f in d.get("findings", []):
        if f.get("cause") == cause and f.get("tunnel") == "office":
            return f
    return None
def state():
    return [t.get("state") for t in d.get("tunnels", []) if t.get("name") == "office"][0]
sys.exit(0 if eval(sys.argv[2]) else 1)
' "$out" "$1"
}

# --- PKI (throwaway) --------------------------------------------------------------
pki() {
	local o=$work/pki
	mkdir -p "$o"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
		-subj /CN=vd-test-ca -keyout "$o/ca.key" -out "$o/ca.crt" 2>/dev/null || return 1
	for n in server client; do
		local eku=clientAuth
		[ $n = server ] && eku=serverAuth
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=vd-$n \
			-keyout "$o/$n.key" -out "$o/$n.csr" 2>/dev/null || return 1
		printf 'extendedKeyUsage=%s\nkeyUsage=digitalSignature\n' $eku > "$o/$n.ext"
		openssl x509 -req -in "$o/$n.csr" -CA "$o/ca.crt" -CAkey "$o/ca.key" -CAcreateserial \
			-days 30 -extfile "$o/$n.ext" -out "$o/$n.crt" 2>/dev/null || return 1
	done
}
pki || fail "cannot make the PKI"

# --- network -------------------------------------------------------------------------
ip netns add "$sns" && ip netns add "$cns" || fail "netns"
ip link add vo$$s netns "$sns" type veth peer name vo$$c netns "$cns" || fail "veth"
ip -n "$sns" addr add 198.18.0.1/24 dev vo$$s
ip -n "$cns" addr add 198.18.0.2/24 dev vo$$c
for ns in "$sns" "$cns"; do
	ip -n "$ns" link set lo up
done
ip -n "$sns" link set vo$$s up
ip -n "$cns" link set vo$$c up

server_conf() { # $1: the pushed route
	cat > "$work/server.conf" <<EOC
dev tun
proto udp
local 198.18.0.1
port 1194
topology net30
server 10.8.0.0 255.255.255.0
ca $work/pki/ca.crt
cert $work/pki/server.crt
key $work/pki/server.key
dh none
disable-dco
hand-window 20
keepalive 2 10
explicit-exit-notify 1
push "route $1 255.255.255.0"
push "dhcp-option DNS 172.16.1.10"
verb 3
EOC
}

start_server() {
	ip netns exec "$sns" openvpn --config "$work/server.conf" --log "$work/server.log" &
	spid=$!
	until_ok 'grep -qs "Initialization Sequence Completed" "$work/server.log"' 100 || fail "the server did not start"
}

cat > "$work/client.conf" <<EOC
client
dev tun
proto udp
remote 198.18.0.1 1194
nobind
ca pki/ca.crt
cert pki/client.crt
key pki/client.key
remote-cert-tls server
cipher AES-128-CBC
disable-dco
hand-window 20
connect-retry 1 2
management $work/mgmt.sock unix
log $work/client.log
verb 3
EOC

start_client() {
	# from its own directory, with a relative --config: the probe must resolve
	# it through the process's working directory
	(cd "$work" && exec ip netns exec "$cns" openvpn --config client.conf) &
	cpid=$!
}

cat > "$work/vpndoctor.conf" <<EOC
[Daemon]
MaxConcurrentProbes=2
[Clock]
NTPServers=
[Profile]
Interval=1h
[Tunnel office]
Config=$work/client.conf
Management=$work/mgmt.sock
EOC
server_conf 172.16.1.0
start_server

# --- the daemon first: the client appears while it runs --------------------------------
ip netns exec "$cns" "$bin/vpndoctord" --foreground --config "$work/vpndoctor.conf" --socket "$sock" \
	--state-dir "$work/state" --log-level info 2>"$dlog" &
dpid=$!
until_ok '[ -S "$sock" ]' 100 || fail "no daemon socket"
until_ok 'status_is "state() == \"absent\""' 100 || fail "the tunnel is not absent before the client runs"

start_client
until_ok 'grep -qs "Initialization Sequence Completed" "$work/client.log"' 300 || fail "the client did not connect"
t_conn=$(elapsed)
until_ok 'status_is "state() == \"connected\""' 150 || fail "state is not connected"
echo "connected seen in status $(echo "$(elapsed) $t_conn" | awk '{printf "%.1f", $1 - $2}') s after the client connected"

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
echo "client-exception $(echo "$(elapsed) $t_kill" | awk '{printf "%.1f", $1 - $2}') s after kill -9"

# --- a new client, then the server restarted with another pushed route ------------------------
start_client
until_ok 'status_is "state() == \"connected\" and finding(\"client-exception\") is None"' 300 ||
	fail "a restarted client did not clear client-exception"
kill -TERM "$spid"
wait "$spid" 2>/dev/null
server_conf 172.16.2.0
start_server
t_srv=$(elapsed)
until_ok 'status_is "(f := finding(\"server-config-changed\")) and f[\"evidence\"].get(\"routes\") == \"172.16.1.0/24, 10.8.0.1/32 -> 172.16.2.0/24, 10.8.0.1/32\""' 450 ||
	fail "no server-config-changed after the server's push changed: $(cli status --json)"
echo "server-config-changed $(echo "$(elapsed) $t_srv" | awk '{printf "%.1f", $1 - $2}') s after the server restarted"
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

kill -TERM "$dpid"
wait "$dpid"
rc=$?
dpid=
[ $rc -eq 0 ] || fail "the daemon exited $rc"
echo "PASS ($(elapsed) s)"
