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

bin=${VD_BIN:?} src=${VD_SRC:?}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for namespaces"; exit 77; }
command -v openvpn >/dev/null || { echo "SKIP: no openvpn"; exit 77; }
JOURNALD=/lib/systemd/systemd-journald
[ -x "$JOURNALD" ] || { echo "SKIP: no $JOURNALD"; exit 77; }

if [ "${1:-}" != "--inside" ]; then
	exec unshare -m --propagation private /bin/bash "$0" --inside
fi

# the netns handles live under /run: in this namespace's tmpfs
mount -t tmpfs -o mode=0755 tmpfs /run || { echo "FAIL: tmpfs /run" >&2; exit 1; }
mount -t tmpfs -o mode=0755 tmpfs /var/log || { echo "FAIL: tmpfs /var/log" >&2; exit 1; }

work=$(mktemp -d /tmp/vd-e2e-ovj.XXXXXX)
chmod 755 "$work"
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
sns=vdoj-s-$$ cns=vdoj-c-$$
sock=$work/run/io.vpndoctor
dlog=$work/daemon.log
jpid= spid= cpid= dpid=
t0=$(date +%s.%N)

cleanup() {
	local p
	for p in $dpid $cpid $spid; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in $dpid $cpid $spid; do
		wait "$p" 2>/dev/null
	done
	if [ -n "$jpid" ]; then
		kill -TERM "$jpid" 2>/dev/null
		wait "$jpid" 2>/dev/null
	fi
	ip netns del "$sns" 2>/dev/null
	ip netns del "$cns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	for f in "$dlog" "$work/server.log"; do
		[ -f "$f" ] && { echo "--- $f" >&2; tail -n 40 "$f" | sed 's/^/  /' >&2; }
	done
	echo "--- journalctl -t vpnclient" >&2
	journalctl --no-pager -t vpnclient -o short-precise 2>/dev/null | tail -n 40 | sed 's/^/  /' >&2
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

# facts --json (GetFacts), then a Python expression over the tunnel's openvpn
# section as `o` must hold
facts_is() {
	local out
	out=$(cli facts --json 2>/dev/null) || true
	/usr/bin/python3 -c '
import json, sys
try:
    d = json.loads(sys.argv[1])
    d = d.get("facts", d)
    o = [t for t in d.get("tunnels", []) if t.get("name") == "office"][0].get("openvpn") or {}
except Exception:
    sys.exit(1)
sys.exit(0 if eval(sys.argv[2]) else 1)
' "$out" "$1"
}

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
sys.exit(0 if eval(sys.argv[2]) else 1)
' "$out" "$1"
}

# journald for this namespace only: openvpn's syslog(3) reaches it via /dev/log
"$JOURNALD" >"$work/journald.log" 2>&1 &
jpid=$!
until_ok '[ -S /run/systemd/journal/socket ] && [ -S /run/systemd/journal/dev-log ]' 100 ||
	fail "journald did not create its sockets"

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
ip link add vj$$s netns "$sns" type veth peer name vj$$c netns "$cns" || fail "veth"
ip -n "$sns" addr add 198.18.0.1/24 dev vj$$s
ip -n "$cns" addr add 198.18.0.2/24 dev vj$$c
for ns in "$sns" "$cns"; do
	ip -n "$ns" link set lo up
done
ip -n "$sns" link set vj$$s up
ip -n "$cns" link set vj$$c up

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
	: > "$work/server.log"
	ip netns exec "$sns" openvpn --config "$work/server.conf" --log "$work/server.log" &
	spid=$!
	until_ok 'grep -qs "Initialization Sequence Completed" "$work/server.log"' 100 || fail "the server did not start"
}

# no --log and no management: the journal is the only source of its state
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
verb 3
EOC

start_client() {
	(cd "$work" && exec ip netns exec "$cns" openvpn --config client.conf --syslog vpnclient) &
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
EOC
server_conf 172.16.1.0
start_server

ip netns exec "$cns" "$bin/vpndoctord" --foreground --log-target stderr --config "$work/vpndoctor.conf" \
	--socket "$sock" --state-dir "$work/state" --log-level info 2>"$dlog" &
dpid=$!
until_ok '[ -S "$sock" ]' 100 || fail "no daemon socket"
until_ok 'facts_is "o.get(\"state\") == \"absent\""' 100 || fail "the tunnel is not absent before the client runs"

start_client
# the client's lines arrive in the journal under its syslog identifier, with its pid
until_ok 'journalctl --no-pager -t vpnclient _PID=$cpid 2>/dev/null | grep -q "Initialization Sequence Completed"' 300 ||
	fail "the client's lines did not reach the journal as vpnclient"
t_conn=$(elapsed)
until_ok 'facts_is "o.get(\"state\") == \"connected\" and o.get(\"pid\") == $cpid"' 150 ||
	fail "state is not connected: $(cli facts --json)"
echo "connected seen in facts $(echo "$(elapsed) $t_conn" | awk '{printf "%.1f", $1 - $2}') s after the client connected"
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
kill -TERM "$spid"
wait "$spid" 2>/dev/null
server_conf 172.16.2.0
start_server
t_srv=$(elapsed)
until_ok 'facts_is "o.get(\"pushed\", {}).get(\"routes\") == [\"172.16.2.0/24\", \"10.8.0.1/32\"] and o.get(\"previous_pushed\", {}).get(\"routes\") == [\"172.16.1.0/24\", \"10.8.0.1/32\"]"' 450 ||
	fail "the new push did not reach the facts: $(cli facts --json)"
until_ok 'status_is "(f := finding(\"server-config-changed\")) and f[\"evidence\"].get(\"routes\") == \"172.16.1.0/24, 10.8.0.1/32 -> 172.16.2.0/24, 10.8.0.1/32\""' 150 ||
	fail "no server-config-changed after the server's push changed: $(cli status --json)"
echo "server-config-changed $(echo "$(elapsed) $t_srv" | awk '{printf "%.1f", $1 - $2}') s after the server restarted"
until_ok 'facts_is "o.get(\"state\") == \"connected\""' 150 || fail "not connected again"
grep -q "cannot read the log" "$dlog" && fail "the probe looked for a log file"

kill -TERM "$dpid"
wait "$dpid"
rc=$?
dpid=
[ $rc -eq 0 ] || fail "the daemon exited $rc"
echo "PASS ($(elapsed) s)"
