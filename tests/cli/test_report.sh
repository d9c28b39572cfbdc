#!/bin/bash
# vpndoctor report against a real vpndoctord (own network namespace, no probe
# that sends a packet): secrets planted in two profiles (inline EC key, an
# encrypted PKCS#8 RSA key, tls-auth, tls-crypt and tls-crypt-v2 keys, a
# PKCS#12, an auth-user-pass file, inline user/password blocks, a password in
# a comment and a setenv, a private key and a password in the OpenVPN log) are
# nowhere in the bundle, nor any PEM private key or static key block, while
# the certificates' subjects and dates are; neither are the secrets of issue
# 16 item 5 (a Proxy-Authorization and a custom header, setenv-safe, script
# arguments, an auth-token); --anonymize maps a planted public address and
# host name the same way in every file and keeps lab, private and .internal
# ones; the log's lines that are not OpenVPN's are left out; a profile and a
# log that a user's (fake) openvpn names are read only as that user could,
# so a root-only file is refused and said so; history or facts that do not
# come from the daemon are listed in MISSING and the report exits 1; with the
# daemon down the local sections are still written.
set -u
BIN=${VD_BIN:?}
SRC=${VD_SRC:?}
CLI=$BIN/vpndoctor
PY=/usr/bin/python3
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for unshare -n"; exit 77; }

tmp=$(mktemp -d /tmp/vd-report-XXXXXX)
pub=$(mktemp -d /tmp/vd-report-pub-XXXXXX)
ns=vdrep$$
daemon_pid= disc_pid= fake_pids= fakevl_pid=
cleanup() {
	local p
	for p in $daemon_pid $disc_pid $fake_pids $fakevl_pid; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp" "$pub"
}
trap cleanup EXIT
[ -n "${VD_KEEP:-}" ] && trap - EXIT

failures=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
check() { # DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

# --- the planted secrets ---------------------------------------------------------------
p=$tmp/pki
mkdir -p "$p"
(
	set -e
	cd "$p"
	export OPENSSL_CONF=/dev/null
	ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
	openssl req -x509 $ec -keyout ca.key -out ca.crt -days 365 -subj "/CN=report-test-ca"
	openssl req $ec -keyout client.key -out client.csr -subj "/CN=report-client"
	printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n' >ext.cnf
	openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt \
		-days 365 -extfile ext.cnf
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -aes256 -pass pass:Kennwort4711 -out enc.key
	openssl genrsa -traditional -aes128 -passout pass:Kennwort4711 -out trad.key 2048
	openssl pkcs12 -export -inkey client.key -in client.crt -certfile ca.crt -passout pass: -out client.p12
	base64 client.p12 >client.p12.b64
	openvpn --genkey secret ta.key
	openvpn --genkey secret tc.key
	openvpn --genkey tls-crypt-v2-server v2server.key
	openvpn --tls-crypt-v2 v2server.key --genkey tls-crypt-v2-client v2client.key
) >"$tmp/pki.log" 2>&1 || { cat "$tmp/pki.log"; echo "FAIL cannot make the test keys"; exit 1; }

# Distinctive pieces of every secret: a body line of each key, the static
# keys' hex, the passwords.
secrets=(
	"$(sed -n 2p "$p/client.key")" "$(sed -n 3p "$p/client.key")"
	"$(sed -n 2p "$p/enc.key")" "$(sed -n 10p "$p/enc.key")"
	"$(sed -n 5p "$p/trad.key")"
	"$(sed -n 3p "$p/client.p12.b64")"
	"$(sed -n 5p "$p/ta.key")" "$(sed -n 20p "$p/ta.key")"
	"$(sed -n 5p "$p/tc.key")" "$(sed -n 20p "$p/tc.key")"
	"$(sed -n 2p "$p/v2client.key")"
	"Kennwort4711" "UserPassw0rd!" "ProxyPassw0rd" "CommentPassw0rd" "EnvSecretPassw0rd" "LogSecretPassw0rd" "alice-user-name"
	# issue 16 item 5
	"UHJveHlBdXRoU2VjcmV0" "HeaderTokenSecret9" "SafeEnvSecret77" "UpScriptPassw0rd" "DownScriptT0ken"
	"AuthTokenSecret55" "Proxy-Authorization"
	# a log line that is not OpenVPN's
	"NotOpenVPNLogLine42"
)
for s in "${secrets[@]}"; do
	[ ${#s} -ge 12 ] || { echo "FAIL a planted secret is too short to look for: '$s'"; exit 1; }
done

printf 'alice-user-name\nUserPassw0rd!\n' >"$tmp/pass.txt"
printf 'Kennwort4711\n' >"$tmp/askpass.txt"
{
	echo "2026-01-01 10:00:00 OpenVPN 2.6.14 x86_64-pc-linux-gnu"
	echo "2026-01-01 10:00:01 dumping what a broken plugin printed: password=LogSecretPassw0rd"
	cat "$p/trad.key"
	echo "2026-01-01 10:00:02 TLS Error: TLS key negotiation failed to occur within 60 seconds"
	echo "2026-01-01 10:00:03 a line some other program wrote: NotOpenVPNLogLine42"
	printf '2026-01-01 10:00:04 TLS Error: TLS handshake failed \033]0;pwned\007\n'
} >"$tmp/office.log"
{
	echo "# the office VPN; CommentPassw0rd is the wifi password"
	echo "client"
	echo "dev tun"
	echo "proto udp"
	echo "remote vpn.acme-corp.com 1194"
	echo "remote 151.101.2.10 1194"
	echo "remote 198.18.0.1 1194"
	echo "remote gw.vpc.internal 1194"
	echo "verify-x509-name vpn.acme-corp.com name"
	echo "route 10.8.0.1 255.255.255.255"
	echo "setenv DB_PASSWORD EnvSecretPassw0rd"
	echo "log-append office.log"
	echo "auth-user-pass pass.txt"
	echo "askpass askpass.txt"
	echo "remote-cert-tls server"
	echo "http-proxy-option CUSTOM-HEADER Proxy-Authorization \"Basic UHJveHlBdXRoU2VjcmV0\""
	echo "http-proxy-option CUSTOM-HEADER X-Api-Token HeaderTokenSecret9"
	echo "setenv-safe SESSION_KEY SafeEnvSecret77"
	echo "up \"/etc/openvpn/up.sh --user alice --password UpScriptPassw0rd\""
	echo "down \"/etc/openvpn/down.sh token=DownScriptT0ken\""
	echo "auth-token AuthTokenSecret55"
	echo "<ca>"; cat "$p/ca.crt"; echo "</ca>"
	echo "<cert>"; cat "$p/client.crt"; echo "</cert>"
	echo "<key>"; cat "$p/client.key"; echo "</key>"
	echo "key-direction 1"
	echo "<tls-auth>"; cat "$p/ta.key"; echo "</tls-auth>"
} >"$tmp/office.conf"
{
	echo "client"
	echo "dev tun"
	echo "remote 198.18.0.2 443 tcp"
	echo "ca $p/ca.crt"
	echo "cert $p/client.crt"
	echo "<key>"; cat "$p/enc.key"; echo "</key>"
	echo "<tls-crypt>"; cat "$p/tc.key"; echo "</tls-crypt>"
	echo "<tls-crypt-v2>"; cat "$p/v2client.key"; echo "</tls-crypt-v2>"
	echo "<pkcs12>"; cat "$p/client.p12.b64"; echo "</pkcs12>"
	echo "<auth-user-pass>"; printf 'alice-user-name\nUserPassw0rd!\n'; echo "</auth-user-pass>"
	echo "http-proxy 198.18.0.3 3128 [[INLINE]] basic"
	echo "<http-proxy-user-pass>"; printf 'proxy\nProxyPassw0rd\n'; echo "</http-proxy-user-pass>"
} >"$tmp/lab.conf"

# The pieces looked for are really in what the report reads.
for s in "${secrets[@]}"; do
	grep -qF -- "$s" "$tmp/office.conf" "$tmp/lab.conf" "$tmp/pass.txt" "$tmp/askpass.txt" "$tmp/office.log" \
		|| { echo "FAIL '$s' is not planted"; exit 1; }
done

# --- the daemon: its own namespace, only probes that stay on this machine -------------------
sock=$tmp/run/io.vpndoctor
mkdir -p "$tmp/run" "$tmp/state"
{
	printf '[Daemon]\nDiscover=no\nMaxConcurrentProbes=2\n'
	for s in Clock DNS MTU Path Ping Reflector Transport Throughput Firewall; do
		grep -q "config_section = \"$s\"" "$SRC"/probes/*.c && printf '[%s]\nEnabled=no\n' "$s"
	done
	printf '[Tunnel office]\nConfig=%s\n' "$tmp/office.conf"
	printf '[Tunnel lab]\nConfig=%s\n' "$tmp/lab.conf"
} >"$tmp/vpndoctor.conf"
unshare -n "$BIN/vpndoctord" --foreground --user nobody --socket "$sock" --state-dir "$tmp/state" \
	--config "$tmp/vpndoctor.conf" --log-target stderr 2>"$tmp/daemon.log" &
daemon_pid=$!
for _ in $(seq 200); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { cat "$tmp/daemon.log"; echo "FAIL daemon did not start"; exit 1; }
"$CLI" --socket "$sock" check --probe profile >/dev/null 2>&1

# Every file of a bundle, extracted into $2.
extract() { # BUNDLE DIR
	rm -rf "$2" && mkdir -p "$2" && tar -xzf "$1" -C "$2"
}
# No planted secret and no key block anywhere in DIR.
no_secrets() { # DIR LABEL
	local s bad=0
	for s in "${secrets[@]}"; do
		if grep -rqF -- "$s" "$1"; then
			fail "$2: planted secret '${s:0:20}...' found in $(grep -rlF -- "$s" "$1" | tr '\n' ' ')"
			bad=1
		fi
	done
	if grep -rqE -- '-----BEGIN [A-Z0-9 ]*PRIVATE KEY|BEGIN OpenVPN Static key|Static key V1-----|BEGIN OpenVPN tls-crypt-v2' "$1"; then
		fail "$2: a key block: $(grep -rlE -- '-----BEGIN [A-Z0-9 ]*PRIVATE KEY|OpenVPN Static key|tls-crypt-v2 client key-----' "$1")"
		bad=1
	fi
	[ $bad = 0 ] && ok "$2: none of the ${#secrets[@]} planted secrets, no private or static key block"
}

# --- a full report -------------------------------------------------------------------------
out=$("$CLI" --socket "$sock" report -o "$tmp/r1.tar.gz" 2>"$tmp/r1.err")
rc=$?
[ $rc = 0 ] && ok "report with the daemon exits 0" || fail "report exits $rc: $(cat "$tmp/r1.err")"
[ "$(stat -c %a "$tmp/r1.tar.gz" 2>/dev/null)" = 600 ] && ok "the bundle is mode 0600" \
	|| fail "bundle mode $(stat -c %a "$tmp/r1.tar.gz" 2>/dev/null)"
grep -q "^wrote $tmp/r1.tar.gz" <<<"$out" && grep -q '/profiles/office.conf' <<<"$out" \
	&& ok "stdout lists what it wrote" || fail "stdout: $out"
extract "$tmp/r1.tar.gz" "$tmp/x1"
d=$(echo "$tmp"/x1/*)
for f in MANIFEST status.json findings.json history.json facts.json openvpn.json ip-addr.json ip-link.json \
	ip-route.json ip-route6.json resolv.conf profiles/office.conf profiles/lab.conf openvpn-log-office.txt; do
	[ -f "$d/$f" ] || fail "the bundle has no $f"
done
ok "the bundle has its files"
for f in status.json findings.json history.json facts.json openvpn.json ip-addr.json ip-route.json; do
	$PY -c 'import json,sys; json.load(open(sys.argv[1]))' "$d/$f" 2>/dev/null || fail "$f is not JSON"
done
$PY - "$d/facts.json" <<'EOP' && ok "facts.json: both tunnels with their profile facts" || fail "facts.json"
import json, sys
f = json.load(open(sys.argv[1]))
names = sorted(t["name"] for t in f["tunnels"])
assert names == ["lab", "office"], names
office = [t for t in f["tunnels"] if t["name"] == "office"][0]
assert office["profile"]["path"].endswith("office.conf")
EOP
no_secrets "$d" "report"
check "profile: the CA's and client's subjects" grep -q 'subject=CN=report-test-ca; issuer=CN=report-test-ca' "$d/profiles/office.conf"
check "profile: the client certificate's subject and issuer" \
	grep -q 'subject=CN=report-client; issuer=CN=report-test-ca' "$d/profiles/office.conf"
na=$(openssl x509 -in "$p/client.crt" -noout -enddate | sed 's/notAfter=//')
want=$(date -u -d "$na" +%Y-%m-%dT%H:%M:%SZ)
check "profile: the client certificate's notAfter ($want)" grep -q "notAfter=$want" "$d/profiles/office.conf"
check "profile: referenced certificates summarised too" grep -q '^#   certificate: subject=CN=report-client' "$d/profiles/lab.conf"
check "profile: the options stay" grep -q '^remote vpn.acme-corp.com 1194$' "$d/profiles/office.conf"
check "profile: file names stay" grep -q '^auth-user-pass pass.txt$' "$d/profiles/office.conf"
check "profile: inline blocks are emptied" grep -q '^<tls-crypt-v2>$' "$d/profiles/lab.conf"
check "MANIFEST: what was removed from the profile" grep -q '<key>: the private key removed' "$d/MANIFEST"
check "MANIFEST: the auth-user-pass file is named" \
	grep -q 'auth-user-pass pass.txt: the user name and password in that file is not included' "$d/MANIFEST"
check "MANIFEST: the log's other lines left out" \
	grep -q "lines\? OpenVPN's log parser does not recognise left out" "$d/MANIFEST"
check "profile: the proxy header's value and name gone, its type kept" \
	grep -q '^http-proxy-option CUSTOM-HEADER \[REDACTED\] \[REDACTED\]$' "$d/profiles/office.conf"
check "profile: a script keeps its program" grep -q '^up "/etc/openvpn/up.sh \[REDACTED\]"$' "$d/profiles/office.conf"
check "profile: setenv-safe loses name and value" grep -q '^setenv-safe \[REDACTED\] \[REDACTED\]$' "$d/profiles/office.conf"
check "MANIFEST: the daemon was reached" grep -q '^daemon: *reached' "$d/MANIFEST"
check "the log is in, cleaned" grep -q 'TLS key negotiation failed' "$d/openvpn-log-office.txt"
grep -qF 'TLS handshake failed \x1b]0;pwned\x07' "$d/openvpn-log-office.txt" && ! grep -q $'\033' "$d/openvpn-log-office.txt" &&
	ok "the log's control characters escaped" || fail "the log: $(cat -v "$d/openvpn-log-office.txt")"
check "the OpenVPN version" grep -q '"installed_version":.*OpenVPN 2' "$d/openvpn.json"
check "not anonymized: the public address stays" grep -q '151.101.2.10' "$d/profiles/office.conf"

# --- --anonymize -------------------------------------------------------------------------------
"$CLI" --socket "$sock" report --anonymize -o "$tmp/r2.tar.gz" >/dev/null 2>"$tmp/r2.err"
rc=$?
[ $rc = 0 ] && ok "report --anonymize exits 0" || fail "report --anonymize exits $rc: $(cat "$tmp/r2.err")"
extract "$tmp/r2.tar.gz" "$tmp/x2"
d=$(echo "$tmp"/x2/*)
no_secrets "$d" "report --anonymize"
if grep -rqiF -e vpn.acme-corp.com -e 151.101.2.10 "$d"; then
	fail "--anonymize left the public name or address in $(grep -rliF -e vpn.acme-corp.com -e 151.101.2.10 "$d")"
else
	ok "--anonymize: the public name and address are gone from every file"
fi
h=$(sed -n 's/^remote \(host[0-9]*\.example\.invalid\) 1194$/\1/p' "$d/profiles/office.conf")
a=$(sed -n 's/^remote \(203\.0\.113\.[0-9]*\) 1194$/\1/p' "$d/profiles/office.conf")
[ -n "$h" ] && [ -n "$a" ] && ok "--anonymize: stand-ins $h and $a" || fail "no stand-ins in the profile"
check "--anonymize: the same stand-in for the name everywhere" grep -q "^verify-x509-name $h name$" "$d/profiles/office.conf"
$PY - "$d/facts.json" "$h" "$a" <<'EOP' && ok "--anonymize: facts.json uses the same stand-ins" || fail "facts.json stand-ins"
import json, sys
f = json.load(open(sys.argv[1]))
office = [t for t in f["tunnels"] if t["name"] == "office"][0]
hosts = [r["host"] for r in office["profile"]["remotes"]]
assert hosts == [sys.argv[2], sys.argv[3], "198.18.0.1", "gw.vpc.internal"], hosts
EOP
check "--anonymize: lab, private and .internal kept" \
	grep -q -e '^remote 198.18.0.1 1194$' "$d/profiles/office.conf"
check "--anonymize: private route kept" grep -q '^route 10.8.0.1 255.255.255.255$' "$d/profiles/office.conf"
check "--anonymize: .internal kept" grep -q '^remote gw.vpc.internal 1194$' "$d/profiles/office.conf"
check "--anonymize: said in the MANIFEST" grep -q '^anonymized: yes' "$d/MANIFEST"

# --- the default name, in the current directory ------------------------------------------------
mkdir "$tmp/cwd"
(cd "$tmp/cwd" && "$CLI" --socket "$sock" report >/dev/null 2>&1)
f=$(ls "$tmp"/cwd/vpndoctor-report-*-*T*Z.tar.gz 2>/dev/null)
[ -n "$f" ] && [ "$(stat -c %a "$f")" = 600 ] && ok "default name $(basename "$f"), mode 0600" \
	|| fail "no default-named bundle: $(ls "$tmp/cwd")"

# --- a history over the daemon's reply limit (issue 16 item 6) -------------------------------
# history.1 is read at each query: 20500 events (5 MB) do not fit one reply
# (1 MiB); the report asks for pages, keeps the newest 20000 in order and
# says that it left the older ones out (a bound, not a failure: exit 0).
$PY - "$tmp/state/history.1" <<'EOP'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(20500):
        f.write(json.dumps({"time": 1700000000 + i, "event": "opened" if i % 2 == 0 else "resolved",
                            "tunnel": "office", "cause": "clock-skew", "severity": "warning",
                            "summary": "the clock is off by %d s; " % i + "x" * 150}) + "\n")
EOP
"$CLI" --socket "$sock" report -o "$tmp/r4.tar.gz" >/dev/null 2>"$tmp/r4.err"
rc=$?
extract "$tmp/r4.tar.gz" "$tmp/x4"
d=$(echo "$tmp"/x4/*)
[ $rc = 0 ] && ok "a history over the reply limit: exit 0" || fail "a history over the reply limit: exit $rc: $(cat "$tmp/r4.err")"
$PY - "$d/history.json" <<'EOP' && ok "a history over the reply limit: the newest 20000 events, in order" || fail "history.json"
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
assert len(ev) == 20000, len(ev)
ours = [e["time"] for e in ev if e["time"] < 1700020500]
assert ours == list(range(1700020500 - len(ours), 1700020500)) and len(ours) > 19900, len(ours)
EOP
grep -q '^history.json: holds the newest 20000 events; the older ones are left out' "$d/MISSING" &&
	grep -q 'not in the report: history.json: holds the newest 20000' "$tmp/r4.err" &&
	ok "a history over the bound: MISSING and stderr say the older events are left out" ||
	fail "MISSING: $(cat "$d/MISSING" 2>/dev/null)"
rm -f "$tmp/state/history.1"

# --- history and facts that do not come (a daemon that fails them) -----------------------------
# A stand-in daemon on its own socket: GetStatus answers, GetHistory closes the
# connection (as vpndoctord does when a reply passes its limit), GetFacts
# answers with an error.
fsock=$tmp/run/fake.sock
$PY - "$fsock" <<'EOP' &
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(8)
while True:
    c, _ = s.accept()
    buf = b""
    open_ = True
    while open_:
        d = c.recv(65536)
        if not d:
            break
        buf += d
        while b"\0" in buf:
            m, buf = buf.split(b"\0", 1)
            meth = json.loads(m)["method"]
            if meth == "io.vpndoctor.GetStatus":
                r = {"parameters": {"health": "healthy", "tunnels": [], "findings": [], "probes": []}}
            elif meth == "io.vpndoctor.GetFacts":
                r = {"error": "io.vpndoctor.InternalError", "parameters": {}}
            else:
                open_ = False
                break
            c.sendall(json.dumps(r).encode() + b"\0")
    c.close()
EOP
fakevl_pid=$!
for _ in $(seq 50); do [ -S "$fsock" ] && break; sleep 0.1; done
out=$("$CLI" --socket "$fsock" report --json -o "$tmp/r5.tar.gz" 2>"$tmp/r5.err")
rc=$?
[ $rc = 1 ] && ok "history and facts missing: exit 1" || fail "history and facts missing: exit $rc: $(cat "$tmp/r5.err")"
grep -q "not in the report: history.json: GetHistory: " "$tmp/r5.err" &&
	grep -q "not in the report: facts.json: GetFacts: io.vpndoctor.InternalError" "$tmp/r5.err" &&
	ok "history and facts missing: stderr says which and why" || fail "stderr: $(cat "$tmp/r5.err")"
extract "$tmp/r5.tar.gz" "$tmp/x5"
d=$(echo "$tmp"/x5/*)
grep -q '^history.json: GetHistory: ' "$d/MISSING" && grep -q '^facts.json: GetFacts: ' "$d/MISSING" &&
	grep -q '^  history.json: GetHistory: ' "$d/MANIFEST" && [ -f "$d/status.json" ] && [ ! -e "$d/history.json" ] &&
	ok "history and facts missing: MISSING and the MANIFEST list them, status.json is in" ||
	fail "history and facts missing: $(ls "$d"; cat "$d/MISSING")"
$PY -c 'import json,sys; o=json.loads(sys.argv[1]); assert o["complete"] is False and any(m.startswith("history.json") for m in o["missing"])' \
	"$out" && ok "history and facts missing: --json says complete false" || fail "--json: $out"
kill "$fakevl_pid" && wait "$fakevl_pid" 2>/dev/null
fakevl_pid=

# --- a user's fake openvpn names root's files (issue 16 item 2) --------------------------------
# uid 61234 (no account needed) runs a program named openvpn with --config
# naming a root-only file, and another naming a profile anyone may read whose
# log is root-only. A second daemon discovers both in a namespace of this
# test's own. Root's report must not hold the root-only profile or log, nor
# what the daemon derived from that profile, and must say so.
fuid=61234
chmod 755 "$pub"
cp "$BIN/fake_openvpn" "$pub/openvpn" && chmod 755 "$pub/openvpn"
{
	echo "client"
	echo "remote RootOnlyHost.example.com 1194"
	echo "setenv ROOTONLY_VAR RootOnlyValue77"
} >"$tmp/rootonly.conf"
chmod 600 "$tmp/rootonly.conf"
printf '2026-01-01 10:00:02 TLS Error: TLS key negotiation failed to occur within 60 seconds RootOnlyLog88\n' \
	>"$tmp/rootonly.log"
chmod 600 "$tmp/rootonly.log"
printf 'client\nremote public.example.test 1194\nlog %s\n' "$tmp/rootonly.log" >"$pub/user.conf"
chmod 644 "$pub/user.conf"
ip netns add "$ns" || { echo "FAIL ip netns add"; exit 1; }
ip netns exec "$ns" setpriv --reuid $fuid --regid $fuid --clear-groups -- "$pub/openvpn" --config "$tmp/rootonly.conf" &
fake_pids="$!"
ip netns exec "$ns" setpriv --reuid $fuid --regid $fuid --clear-groups -- "$pub/openvpn" --config "$pub/user.conf" &
fake_pids="$fake_pids $!"
dsock=$tmp/run/disc.sock
mkdir -p "$tmp/state-disc"
{
	printf '[Daemon]\nDiscover=yes\nMaxConcurrentProbes=2\n'
	for s in Clock DNS MTU Path Ping Reflector Transport Throughput Firewall; do
		grep -q "config_section = \"$s\"" "$SRC"/probes/*.c && printf '[%s]\nEnabled=no\n' "$s"
	done
} >"$tmp/disc.conf"
ip netns exec "$ns" "$BIN/vpndoctord" --foreground --user nobody --socket "$dsock" --state-dir "$tmp/state-disc" \
	--config "$tmp/disc.conf" --log-target stderr 2>"$tmp/disc.log" &
disc_pid=$!
for _ in $(seq 200); do [ -S "$dsock" ] && break; sleep 0.1; done
for _ in $(seq 100); do
	"$CLI" --socket "$dsock" check >/dev/null 2>&1
	[ "$("$CLI" --socket "$dsock" facts --json 2>/dev/null | grep -o '"pid":' | wc -l)" -ge 2 ] && break
	sleep 0.2
done
"$CLI" --socket "$dsock" report -o "$tmp/r6.tar.gz" >/dev/null 2>"$tmp/r6.err"
rc=$?
[ $rc = 1 ] && ok "a user-named root-only file: exit 1" || fail "a user-named root-only file: exit $rc: $(cat "$tmp/r6.err")"
extract "$tmp/r6.tar.gz" "$tmp/x6"
d=$(echo "$tmp"/x6/*)
if grep -rqiF -e RootOnlyValue77 -e ROOTONLY_VAR -e RootOnlyLog88 "$d"; then
	fail "a user-named root-only file: its content in $(grep -rliF -e RootOnlyValue77 -e RootOnlyLog88 "$d" | tr '\n' ' ')"
else
	ok "a user-named root-only file: nothing of it or of the root-only log in the bundle"
fi
# The daemon's own sections are the daemon's to keep clean: until it reads a
# discovered profile with its process's rights, its facts carry the remote
# it found there (openvpn.remote, routes.gateway). Nothing the report reads
# itself may.
if grep -rlF RootOnlyHost "$d" | grep -qvE '/(facts|status|findings|openvpn)\.json$'; then
	fail "a user-named root-only file: its remote in $(grep -rlF RootOnlyHost "$d" | tr '\n' ' ')"
else
	ok "a user-named root-only file: its remote in none of the files the report reads itself"
fi
[ ! -e "$d/profiles/rootonly.conf" ] && [ ! -e "$d/openvpn-log-user.txt" ] &&
	ok "a user-named root-only file: no profiles/rootonly.conf, no openvpn-log-user.txt" || fail "bundle: $(ls -R "$d")"
grep -q "^profiles/rootonly.conf: $tmp/rootonly.conf: not included: uid $fuid, whose openvpn (pid [0-9]*) named it may not read it" \
	"$d/MISSING" && grep -q "^openvpn-log-user.txt: $tmp/rootonly.log: not included: uid $fuid" "$d/MISSING" &&
	grep -q "not in the report: profiles/rootonly.conf" "$tmp/r6.err" &&
	ok "a user-named root-only file: MISSING and stderr say whose rights refused it" ||
	fail "MISSING: $(cat "$d/MISSING" 2>/dev/null)"
check "a profile the user may read is in, read as the user" grep -q "^remote public.example.test 1194$" "$d/profiles/user.conf"
check "the MANIFEST says whose rights it was read with" grep -q "(read as uid $fuid, whose openvpn" "$d/MANIFEST"
$PY - "$d/facts.json" <<'EOP' && ok "facts.json: the refused profile's section omitted" || fail "facts.json: $(cat "$d/facts.json")"
import json, sys
f = json.load(open(sys.argv[1]))
t = [t for t in f["tunnels"] if t["name"] == "rootonly"][0]
assert list(t["profile"].keys()) == ["omitted"], t["profile"]
EOP
for p in $fake_pids $disc_pid; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
fake_pids= disc_pid=
ip netns del "$ns"

# --- the daemon down ---------------------------------------------------------------------------
kill "$daemon_pid"
wait "$daemon_pid" 2>/dev/null
daemon_pid=
out=$("$CLI" --socket "$sock" report -o "$tmp/r3.tar.gz" --profile "$tmp/lab.conf" 2>"$tmp/r3.err")
rc=$?
[ $rc = 1 ] && ok "report without the daemon exits 1" || fail "report without the daemon exits $rc"
grep -q "cannot reach vpndoctord at $sock" "$tmp/r3.err" && ok "stderr says the daemon is not there" \
	|| fail "stderr: $(cat "$tmp/r3.err")"
extract "$tmp/r3.tar.gz" "$tmp/x3"
d=$(echo "$tmp"/x3/*)
no_secrets "$d" "report without the daemon"
for f in ip-addr.json ip-link.json ip-route.json resolv.conf openvpn.json profiles/lab.conf; do
	[ -f "$d/$f" ] || fail "without the daemon: no $f"
done
[ -e "$d/status.json" ] && fail "without the daemon: a status.json"
ok "without the daemon: the local sections are there"
check "without the daemon: MANIFEST says so" grep -q '^daemon: *NOT reached (cannot reach vpndoctord' "$d/MANIFEST"
check "without the daemon: the --profile is redacted" grep -q '^<key>$' "$d/profiles/lab.conf"

# --- usage ---------------------------------------------------------------------------------------
"$CLI" report --bogus >/dev/null 2>&1
[ $? = 64 ] && ok "an unknown option is exit 64" || fail "an unknown option is not exit 64"
"$CLI" --socket "$sock" report -o "$tmp/no/such/dir/x.tar.gz" --no-daemon >/dev/null 2>&1
[ $? = 2 ] && ok "an unwritable output is exit 2" || fail "an unwritable output is not exit 2"

if [ $failures -ne 0 ]; then
	echo "$failures failure(s)"
	sed 's/^/  daemon: /' "$tmp/daemon.log" | tail -20
	exit 1
fi
echo "all ok"
