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

bin=${VD_BIN:?} src=${VD_SRC:?}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
command -v openvpn >/dev/null || { echo "SKIP: no openvpn"; exit 77; }

work=$(mktemp -d /tmp/vd-e2e-disc.XXXXXX)
chmod 755 "$work"
sns=vddi-s-$$ cns=vddi-c-$$ ons=vddi-o-$$
sock=$work/run/io.vpndoctor
dlog=$work/daemon.log
spid= cpid= npid= opid= dpid=
t0=$(date +%s.%N)
FORGET=45

cleanup() {
	local p
	for p in $dpid $cpid $npid $opid $spid; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in $dpid $cpid $npid $opid $spid; do
		wait "$p" 2>/dev/null
	done
	ip netns del "$sns" 2>/dev/null
	ip netns del "$cns" 2>/dev/null
	ip netns del "$ons" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	for f in "$dlog" "$work/office.log" "$work/nm.log" "$work/laptop2.log" "$work/server.log"; do
		[ -f "$f" ] && { echo "--- $f" >&2; tail -n 30 "$f" | sed 's/^/  /' >&2; }
	done
	exit 1
}

cli() { "$bin/vpndoctor" --socket "$sock" "$@"; }

until_ok() {
	local i
	for ((i = 0; i < ${2:-300}; i++)); do
		eval "$1" && return 0
		sleep 0.1
	done
	return 1
}

elapsed() { echo "$(date +%s.%N) $t0" | awk '{printf "%.1f", $1 - $2}'; }

# status --json, then a Python expression over it as `d` must hold;
# tunnel(NAME) is that tunnel's entry or None, finding(CAUSE, NAME) likewise
status_is() {
	local out
	out=$(cli status --json 2>/dev/null) || true
	/usr/bin/python3 -c '
import json, sys
try:
    d = json.loads(sys.argv[1])
except Exception:
    sys.exit(1)
def names():
    return sorted(t.get("name") for t in d.get("tunnels", []))
def tunnel(name):
    return next((t for t in d.get("tunnels", []) if t.get("name") == name), None)
def finding(cause, name):
    return next((f for f in d.get("findings", []) if f.get("cause") == cause and f.get("tunnel") == name), None)
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

# --- network: server <-> laptop (198.18.0.0/24), server <-> second laptop (198.18.1.0/24)
ip netns add "$sns" && ip netns add "$cns" && ip netns add "$ons" || fail "netns"
ip link add vd$$s netns "$sns" type veth peer name vd$$c netns "$cns" || fail "veth"
ip link add vd$$t netns "$sns" type veth peer name vd$$o netns "$ons" || fail "veth 2"
ip -n "$sns" addr add 198.18.0.1/24 dev vd$$s
ip -n "$cns" addr add 198.18.0.2/24 dev vd$$c
ip -n "$sns" addr add 198.18.1.1/24 dev vd$$t
ip -n "$ons" addr add 198.18.1.2/24 dev vd$$o
for ns in "$sns" "$cns" "$ons"; do
	ip -n "$ns" link set lo up
done
ip -n "$sns" link set vd$$s up
ip -n "$sns" link set vd$$t up
ip -n "$cns" link set vd$$c up
ip -n "$ons" link set vd$$o up

cat > "$work/server.conf" <<EOC
dev tun
proto udp
port 1194
topology subnet
server 10.8.0.0 255.255.255.0
ca $work/pki/ca.crt
cert $work/pki/server.crt
key $work/pki/server.key
dh none
disable-dco
duplicate-cn
hand-window 20
keepalive 2 10
push "route 172.16.1.0 255.255.255.0"
verb 3
EOC
ip netns exec "$sns" openvpn --config "$work/server.conf" --log "$work/server.log" &
spid=$!
until_ok 'grep -qs "Initialization Sequence Completed" "$work/server.log"' 100 || fail "the server did not start"

client_conf() { # $1 name, $2 remote
	cat > "$work/$1.conf" <<EOC
client
dev tun
proto udp
remote $2 1194
nobind
ca pki/ca.crt
cert pki/client.crt
key pki/client.key
remote-cert-tls server
disable-dco
hand-window 20
connect-retry 1 2
management $work/$1.sock unix
log $work/$1.log
verb 3
EOC
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
ip netns exec "$cns" "$bin/vpndoctord" --foreground --config "$work/vpndoctor.conf" --socket "$sock" \
	--state-dir "$work/state" --log-level info 2>"$dlog" &
dpid=$!
until_ok '[ -S "$sock" ]' 100 || fail "no daemon socket"
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
echo "office discovered $(echo "$(elapsed) $t_start" | awk '{printf "%.1f", $1 - $2}') s after the client started"
status_is "tunnel(\"office\")[\"config\"] == \"$work/office.conf\" and tunnel(\"office\")[\"discovered\"] is True" ||
	fail "office's Config= is not the resolved path: $(cli status --json)"
until_ok 'status_is "tunnel(\"office\")[\"state\"] == \"connected\""' 300 || fail "office is not connected: $(cli status --json)"
grep -q "discovery: tunnel office: openvpn pid $cpid, config $work/office.conf, management $work/office.sock" "$dlog" ||
	fail "the discovery was not logged with the pid, config and management socket"
# the profile probe checks the discovered Config=
until_ok 'cli facts --tunnel office --json | grep -q "\"profile\":{"' 100 || fail "no profile facts for office"

# --- a client driven by its command line alone (NetworkManager's way) -----------------
ip netns exec "$cns" openvpn --client --dev tun --proto udp --remote 198.18.0.1 1194 --nobind \
	--ca "$work/pki/ca.crt" --cert "$work/pki/client.crt" --key "$work/pki/client.key" \
	--remote-cert-tls server --disable-dco --hand-window 20 --verb 3 --log "$work/nm.log" &
npid=$!
t_start=$(elapsed)
until_ok 'grep -qs "Initialization Sequence Completed" "$work/nm.log"' 300 || fail "the command-line client did not connect"
until_ok 'status_is "names() == [\"198.18.0.1\", \"office\"]"' 400 ||
	fail "the command-line client was not discovered: $(cli status --json)"
echo "the command-line client discovered $(echo "$(elapsed) $t_start" | awk '{printf "%.1f", $1 - $2}') s after it started"
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
echo "client-exception $(echo "$(elapsed) $t_kill" | awk '{printf "%.1f", $1 - $2}') s after kill -9"
until_ok 'status_is "tunnel(\"office\") is None"' $(((FORGET + 40) * 10)) ||
	fail "office was not forgotten $FORGET s after its process died: $(cli status --json)"
echo "office forgotten $(echo "$(elapsed) $t_kill" | awk '{printf "%.1f", $1 - $2}') s after kill -9 (DiscoveryForgetSec=$FORGET)"
status_is 'finding("client-exception", "office") is None' || fail "client-exception stayed open on a forgotten tunnel"
cli history --json | /usr/bin/python3 -c '
import json, sys
ev = [(e["event"], e["cause"], e["tunnel"]) for e in json.load(sys.stdin)["events"]]
sys.exit(0 if ("opened", "client-exception", "office") in ev and ("resolved", "client-exception", "office") in ev else 1)
' || fail "the history lacks client-exception opened and resolved on office: $(cli history --json)"
grep -q "discovery: tunnel office removed" "$dlog" || fail "the removal was not logged"

kill -TERM "$dpid"
wait "$dpid"
rc=$?
dpid=
[ $rc -eq 0 ] || fail "daemon exit status $rc after SIGTERM"
echo "PASS ($(elapsed) s)"
