#!/bin/bash
# The transport probe through a profile's proxy, as OpenVPN goes through it,
# in network namespaces of its own: a "gw" namespace with a real OpenVPN 2.6
# server on TCP 443 (198.51.100.1), a "net" router that drops everything the
# laptop sends to the gateway directly (only its proxies reach it) and runs
# tests/tools/proxy.py on 192.168.77.1, one behaviour a port, and a "laptop"
# where vpndoctord watches one [Tunnel] per case. The gateway's name,
# vpn.vd-test.invalid, resolves at the proxy alone: the probe must hand it
# over as OpenVPN does, not resolve it.
#   httpok      HTTP CONNECT, 200                 -> answered through it, UDP skipped, no findings
#   socksok     SOCKS5, succeeded                 -> answered through it, no findings
#   http403     403 with control characters       -> proxy-failed "refuses", its status line escaped
#   http407     407, the profile has no authfile  -> proxy-failed "wants credentials"
#   http407cred 407, the profile has an authfile  -> no finding (the daemon sends no password)
#   socksrule   SOCKS5 reply 2                    -> proxy-failed "connection not allowed by ruleset"
#   socksauth   SOCKS5 method 0xFF                -> proxy-failed "wants credentials"
#   deadproxy   a proxy address that is dropped   -> proxy-failed "does not answer" (timeout)
#   closedproxy a proxy port that refuses         -> proxy-failed "does not answer" (TCP RST)
#   silentproxy a proxy that accepts, says nothing -> proxy-failed "does not answer" (timeout)
#   udpproxy    http-proxy with proto udp         -> nothing tried, said so; no proxy finding
# Facts come from the daemon's debug lines, findings from `vpndoctor status --json`.
set -u

bin=${VD_BIN:?}
. "${VD_SRC:?}/tests/tools/testlib.sh"
tag=vdpx$$
gw=${tag}g net=${tag}n lap=${tag}l
work=$(mktemp -d /tmp/vd-e2e-proxy.XXXXXX)
sock=$work/io.vpndoctor
log=$work/daemon.log
pxlog=$work/proxy.log
pids=()
dpid=
t_start=$(date +%s.%N)

cleanup() {
	local rc=$?
	[ -n "$dpid" ] && kill -TERM "$dpid" 2>/dev/null
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	[ -n "$dpid" ] && wait "$dpid" 2>/dev/null
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	for n in "$lap" "$net" "$gw"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "/etc/netns/$lap"
	if [ $rc != 0 ] && [ -f "$log" ]; then
		grep -a "transport on\|ERROR\|AddressSanitizer\|runtime error" "$log" | tail -n 30 | sed 's/^/  log: /' >&2
		[ -f "$pxlog" ] && sed 's/^/  proxy: /' "$pxlog" | tail -n 20 >&2
	fi
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

[ "$(id -u)" = 0 ] || fail "needs root for network namespaces"
command -v openvpn >/dev/null || fail "no openvpn"
command -v nft >/dev/null || fail "no nft"
[ -c /dev/net/tun ] || fail "no /dev/net/tun"

# --- namespaces: laptop -- net (router, proxies) -- gw ------------------------------
for n in "$gw" "$net" "$lap"; do
	ip netns add "$n" || fail "cannot create namespace $n"
	ip -n "$n" link set lo up
done
ip link add g0 netns "$gw" type veth peer name rg netns "$net" || fail "veth"
ip link add l0 netns "$lap" type veth peer name rl netns "$net" || fail "veth"
ip -n "$gw" addr add 198.51.100.1/24 dev g0
ip -n "$gw" link set g0 up
ip -n "$gw" route add default via 198.51.100.254
ip -n "$net" addr add 198.51.100.254/24 dev rg
ip -n "$net" addr add 192.168.77.1/24 dev rl
ip -n "$net" link set rg up
ip -n "$net" link set rl up
ip netns exec "$net" sysctl -qw net.ipv4.ip_forward=1
ip -n "$lap" addr add 192.168.77.2/24 dev l0
ip -n "$lap" link set l0 up
ip -n "$lap" route add default via 192.168.77.1
# The laptop's resolver is the router, where nothing listens: the gateway's
# name does not resolve on the laptop, and no query leaves the namespaces.
mkdir -p "/etc/netns/$lap"
echo "nameserver 192.168.77.1" > "/etc/netns/$lap/resolv.conf"

# The laptop reaches the gateway through a proxy or not at all; 203.0.113.7
# (a proxy address) is dropped before routing: it never answers.
ip netns exec "$net" nft -f - <<'EOF' || fail "nft"
table inet vdtest {
	chain vdpre {
		type filter hook prerouting priority 0; policy accept;
		ip daddr 203.0.113.7 drop
	}
	chain vdforward {
		type filter hook forward priority 0; policy accept;
		ip saddr 192.168.77.0/24 ip daddr 198.51.100.0/24 drop
	}
}
EOF

# --- the gateway and the proxies ------------------------------------------------------
cd "$work" || fail "cd"
vd_pki "$work" server client || fail "pki"
ip netns exec "$gw" openvpn --mode server --tls-server --proto tcp4-server --lport 443 \
	--dev tun --topology subnet --ifconfig 10.99.1.1 255.255.255.0 \
	--ca ca.crt --cert server.crt --key server.key --dh none \
	--disable-dco --verb 3 > "$work/server.log" 2>&1 &
pids+=($!)
until_ok 'grep -q "Initialization Sequence Completed" "$work/server.log"' 100 || fail "openvpn did not start"

ip netns exec "$net" /usr/bin/python3 "$VD_SRC/tests/tools/proxy.py" --log "$pxlog" \
	--map vpn.vd-test.invalid=198.51.100.1 192.168.77.1 \
	3128:http-ok 3129:http-403 3130:http-407 3132:silent \
	1080:socks-ok 1081:socks-ruleset 1082:socks-auth > "$work/proxy.out" 2>&1 &
pids+=($!)
until_ok 'grep -q ready "$work/proxy.out" 2>/dev/null' 100 || fail "the proxy did not start: $(cat "$work/proxy.out")"

# --- the laptop's profiles and the daemon ----------------------------------------
profile() { # NAME PROTO PROXY-LINES
	printf 'client\ndev tun\nproto %s\nremote vpn.vd-test.invalid 443\nnobind\nca %s/ca.crt\ncert %s/client.crt\nkey %s/client.key\nremote-cert-tls server\n%s\n' \
		"$2" "$work" "$work" "$work" "$3" > "$work/$1.ovpn"
}
printf 'someone\nsecret\n' > "$work/proxy-auth.txt"
chmod 600 "$work/proxy-auth.txt"
profile httpok tcp "http-proxy 192.168.77.1 3128"
profile socksok tcp "socks-proxy 192.168.77.1 1080"
profile http403 tcp "http-proxy 192.168.77.1 3129"
profile http407 tcp "http-proxy 192.168.77.1 3130"
profile http407cred tcp "http-proxy 192.168.77.1 3130 $work/proxy-auth.txt basic"
profile socksrule tcp "socks-proxy 192.168.77.1 1081"
profile socksauth tcp "socks-proxy 192.168.77.1 1082"
profile deadproxy tcp "http-proxy 203.0.113.7 3128"
profile closedproxy tcp "http-proxy 192.168.77.1 3999"
profile silentproxy tcp "http-proxy 192.168.77.1 3132"
profile udpproxy udp "http-proxy 192.168.77.1 3128"
cases="httpok socksok http403 http407 http407cred socksrule socksauth deadproxy closedproxy silentproxy udpproxy"

# Only the profile probe (the rules read the proxy and the credentials from
# it) and the transport probe run.
{
	echo "[Daemon]"
	echo "MaxConcurrentProbes=16"
	for p in $(grep -o '&probe_[a-z_]*' "$VD_SRC/probes/probes.c" | sed 's/&probe_//'); do
		sec=$(find "$VD_SRC/probes" -name '*.c' -exec awk -v p="probe_$p" '$0 ~ "^const struct probe " p " = " { on = 1 } on && match($0, /config_section = "[A-Za-z]*"/) { split($0, a, "\""); print a[2]; exit }' {} + | head -n 1)
		[ -n "$sec" ] || fail "no config section for probe $p"
		case $p in
		profile | transport) printf '[%s]\nInterval=1h\n' "$sec" ;;
		*) printf '[%s]\nEnabled=no\n' "$sec" ;;
		esac
	done
	for c in $cases; do printf '[Tunnel %s]\nConfig=%s/%s.ovpn\n' "$c" "$work" "$c"; done
} > "$work/vpndoctor.conf"

t_daemon=$(now)
ip netns exec "$lap" "$bin/vpndoctord" --foreground --user nobody --log-target stderr --log-level debug \
	--config "$work/vpndoctor.conf" --socket "$sock" --state-dir "$work/state" 2> "$log" &
dpid=$!
until_ok '[ -S "$sock" ]' 100 || fail "the daemon did not start"

# facts TUNNEL PYEXPR: the latest transport section satisfies PYEXPR over f.
facts() {
	grep -a "transport on $1: " "$log" | tail -n 1 | sed "s/^.*transport on $1: //" |
		/usr/bin/python3 -c "import json, sys
f = json.load(sys.stdin)
sys.exit(0 if ($2) else 1)" 2>/dev/null
}
show() { grep -a "transport on $1: " "$log" | tail -n 1 | sed "s/^.*transport on $1: /  $1: /"; }

# The transport probe runs once the profile probe has: wait for each tunnel's
# first section that knows of the proxy (the first run may precede it).
for c in $cases; do
	until_ok "facts $c '\"proxy\" in f or f[\"udp\"][\"result\"] == \"skipped\"'" 600 ||
		fail "$c: no transport facts through the proxy: $(show $c)"
	show $c
done
echo "facts of 11 tunnels: $(since "$t_daemon") s"

facts httpok 'f["udp"]["result"] == "skipped" and f["tcp"]["result"] == "answered" and f["tcp"]["connect_ms"] >= 0 and
f["gateway"] == "vpn.vd-test.invalid" and f["proxy"] == {"type": "http", "addr": "192.168.77.1", "port": 3128,
"result": "connected", "reply": "HTTP/1.1 200 Connection established"}' ||
	fail "httpok: not answered through the HTTP proxy: $(show httpok)"
facts socksok 'f["udp"]["result"] == "skipped" and f["tcp"]["result"] == "answered" and
f["proxy"]["type"] == "socks" and f["proxy"]["result"] == "connected" and f["proxy"]["reply"] == "SOCKS5 reply 0: succeeded"' ||
	fail "socksok: not answered through the SOCKS5 proxy: $(show socksok)"
facts http403 'f["tcp"]["result"] == "skipped" and f["proxy"]["result"] == "refused" and
f["proxy"]["reply"].startswith("HTTP/1.1 403 Forbidden ") and "by policy" in f["proxy"]["reply"] and
not any(ord(ch) < 0x20 or ord(ch) == 0x7f for ch in f["proxy"]["reply"])' ||
	fail "http403: the refusal or its escaping is wrong: $(show http403)"
for c in http407 http407cred; do
	facts $c 'f["tcp"]["result"] == "skipped" and f["proxy"]["result"] == "auth-required" and
f["proxy"]["reply"] == "HTTP/1.1 407 Proxy Authentication Required"' || fail "$c: not auth-required: $(show $c)"
done
facts socksrule 'f["proxy"]["result"] == "refused" and f["proxy"]["reply"] == "SOCKS5 reply 2: connection not allowed by ruleset"' ||
	fail "socksrule: $(show socksrule)"
facts socksauth 'f["proxy"]["result"] == "auth-required" and f["proxy"]["reply"] == "SOCKS5 method 255: no acceptable method"' ||
	fail "socksauth: $(show socksauth)"
facts deadproxy 'f["proxy"]["result"] == "timeout" and f["proxy"]["addr"] == "203.0.113.7" and "no TCP connection" in f["proxy"]["error"]' ||
	fail "deadproxy: $(show deadproxy)"
facts closedproxy 'f["proxy"]["result"] == "error" and "connection refused" in f["proxy"]["error"]' ||
	fail "closedproxy: $(show closedproxy)"
facts silentproxy 'f["proxy"]["result"] == "timeout" and "no answer within" in f["proxy"]["error"]' ||
	fail "silentproxy: $(show silentproxy)"
facts udpproxy 'f["udp"]["result"] == "skipped" and f["tcp"]["result"] == "skipped" and "proxy" not in f and
"over TCP only" in f["tcp"]["error"]' || fail "udpproxy: $(show udpproxy)"

# What the proxies were asked: the gateway by the profile's name, over
# CONNECT or SOCKS5's name type, and never a credential.
/usr/bin/python3 - "$pxlog" <<'EOF' || fail "the proxies were not asked as OpenVPN asks them: $(cat "$pxlog")"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
http = [r for r in reqs if r["mode"].startswith("http")]
socks = [r for r in reqs if r["mode"] in ("socks-ok", "socks-ruleset")]
assert http and socks, "no request"
for r in http:
    assert r["request"].startswith("CONNECT vpn.vd-test.invalid:443 HTTP/1.1\r\n"), r
    assert "proxy-authorization" not in r["request"].lower(), r
for r in socks:
    assert r["request"] == {"methods": [0], "cmd": 1, "atyp": 3, "host": "vpn.vd-test.invalid", "port": 443}, r
for r in reqs:
    if r["mode"] == "socks-auth":
        assert r["request"] == {"methods": [0]}, r
EOF

# --- findings: proxy-failed where the proxy stands in the way, nothing else -------
findings_ok() {
	"$bin/vpndoctor" --socket "$sock" status --json 2>/dev/null |
		/usr/bin/python3 -c "import json, sys, collections
d = json.load(sys.stdin)
causes = collections.defaultdict(set)
summary = {}
for x in d['findings']:
    causes[x.get('tunnel')].add(x['cause'])
    summary[(x.get('tunnel'), x['cause'])] = x['summary']
sys.exit(0 if ($1) else 1)" 2>/dev/null
}
failing="http403 http407 socksrule socksauth deadproxy closedproxy silentproxy"
all_failing=$(for c in $failing; do printf "'proxy-failed' in causes['%s'] and " $c; done)
until_ok "findings_ok \"$all_failing True\"" 1200 ||
	fail "proxy-failed did not open on every failing proxy: $("$bin/vpndoctor" --socket "$sock" status --json)"
echo "proxy-failed on 7 tunnels after $(since "$t_daemon") s"
findings_ok "all(causes[c] == {'proxy-failed'} for c in '$failing'.split()) and
not causes['httpok'] and not causes['socksok'] and not causes['http407cred'] and
not causes['udpproxy'] & {'proxy-failed', 'gateway-unreachable', 'udp-blocked', 'vpn-port-silent'} and
'refuses to connect to the gateway vpn.vd-test.invalid port 443: HTTP/1.1 403 Forbidden' in summary[('http403', 'proxy-failed')] and
'wants credentials (HTTP/1.1 407 Proxy Authentication Required), and the profile gives none' in summary[('http407', 'proxy-failed')] and
'connection not allowed by ruleset' in summary[('socksrule', 'proxy-failed')] and
'does not answer' in summary[('deadproxy', 'proxy-failed')]" ||
	fail "the findings are not what the proxies do: $("$bin/vpndoctor" --socket "$sock" status --json)"
"$bin/vpndoctor" --socket "$sock" status --json | /usr/bin/python3 -c "import json, sys
for x in json.load(sys.stdin)['findings']:
    print('  finding %s on %s: %s' % (x['cause'], x['tunnel'], x['summary']))"

# A clean stop, so that a leak report (ASan build) lands in the log too.
kill -TERM "$dpid"
wait "$dpid"
drc=$?
dpid=
[ $drc = 0 ] || fail "the daemon exited with $drc"
grep -aq "Sanitizer\|runtime error" "$log" && fail "sanitizer report in the daemon's log"
echo "PASS ($(since "$t_start") s)"
