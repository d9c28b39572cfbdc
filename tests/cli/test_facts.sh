#!/bin/bash
# `vpndoctor facts` and io.vpndoctor.GetFacts against a real vpndoctord (own
# network namespace, temporary socket, state dir and configuration, only the
# profile probe on): the snapshot the rules see, whole and cut to one tunnel,
# with the [Tunnel] cloud keys and the profile sections that explain the
# findings of GetStatus; an unknown tunnel is exit 64; human output is the
# JSON indented.
set -u
BIN=${VD_BIN:?}
CLI=$BIN/vpndoctor
PY=/usr/bin/python3
# shellcheck source=../tools/testlib.sh
. "${VD_SRC:?}/tests/tools/testlib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for unshare -n"; exit 77; }

tmp=$(mktemp -d /tmp/vd-facts-XXXXXX)
daemon_pid=
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
# py EXPR: EXPR over the JSON on stdin as `d` must hold
py() { $PY -c 'import json, sys; d = json.load(sys.stdin); sys.exit(0 if eval(sys.argv[1]) else 1)' "$1"; }

sock=$tmp/run/io.vpndoctor
mkdir -p "$tmp/run" "$tmp/state"
vd_pki "$tmp" client || { echo "FAIL cannot make test certificates"; exit 1; }
base='client
dev tun
proto udp
remote 192.0.2.1 1194
remote-cert-tls server'
printf '%s\nca missing-ca.crt\ncert missing.crt\nkey missing.key\n' "$base" >"$tmp/office.conf"
printf '%s\nca ca.crt\ncert client.crt\nkey client.key\n' "$base" >"$tmp/home.conf"
{
	printf '[Daemon]\nMaxConcurrentProbes=2\n'
	for s in Clock OpenVPN Routes Conflicts DNS Transport Path Ping MTU Throughput; do
		printf '[%s]\nEnabled=no\n' "$s"
	done
	printf '[Tunnel office]\nConfig=%s\nClientCIDR=10.8.0.0/24\nMaxConnections=60\n' "$tmp/office.conf"
	printf '[Tunnel home]\nConfig=%s\n' "$tmp/home.conf"
} >"$tmp/vpndoctor.conf"

"$CLI" --socket "$sock" facts >/dev/null 2>&1
rc=$?
[ $rc = 3 ] && ok "facts without a daemon: exit 3" || fail "facts without a daemon: exit $rc, want 3"

unshare -n "$BIN/vpndoctord" --foreground --user nobody --config "$tmp/vpndoctor.conf" --socket "$sock" \
	--state-dir "$tmp/state" --log-target stderr 2>"$tmp/daemon.log" &
daemon_pid=$!
for _ in $(seq 100); do
	"$CLI" --socket "$sock" status --json 2>/dev/null | py '[p for p in d["probes"] if p["name"] == "profile" and p["status"] == "ok"].__len__() == 2' 2>/dev/null && break
	sleep 0.1
done
export VPNDOCTOR_SOCKET=$sock

# --json prints the reply's parameters as they came: {"facts": SNAPSHOT}
all=$("$CLI" facts --json | $PY -c 'import json, sys; d = json.load(sys.stdin); assert list(d) == ["facts"]; print(json.dumps(d["facts"]))')
rc=$?
[ $rc = 0 ] && ok "facts --json: {\"facts\": ...}, exit 0" || fail "facts --json: exit $rc"
echo "$all" | py 'isinstance(d["now"], (int, float)) and isinstance(d["host"], dict) and [t["name"] for t in d["tunnels"]] == ["office", "home"]' &&
	ok "facts: now, host, tunnels [office, home]" || fail "facts: shape: $all"
echo "$all" | py 'd["tunnels"][0]["cloud"] == {"client_cidr": "10.8.0.0/24", "max_connections": 60, "origin": {"client_cidr": "config", "max_connections": "config"}} and "cloud" not in d["tunnels"][1]' &&
	ok "facts: the [Tunnel] cloud keys as the cloud section" || fail "facts: cloud: $all"
echo "$all" | py 'any(p["cause"] == "config-invalid" and p["code"] == "file-missing" for p in d["tunnels"][0]["profile"]["problems"]) and d["tunnels"][1]["profile"]["status"] == "ok" and not [p for p in d["tunnels"][1]["profile"].get("problems", []) if p["severity"] == "error"]' &&
	ok "facts: the profile sections (office's missing files, home clean)" || fail "facts: profile: $all"
# the facts are what the findings come from
"$CLI" status --json | py '[(f["cause"], f["tunnel"]) for f in d["findings"] if f["cause"] == "config-invalid"] == [("config-invalid", "office")]' &&
	ok "status: config-invalid on office only, as the facts say" || fail "status does not match the facts"

one=$("$CLI" facts --tunnel office --json | $PY -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["facts"]))')
echo "$one" | py '[t["name"] for t in d["tunnels"]] == ["office"] and "host" in d and "profile" in d["tunnels"][0]' &&
	ok "facts --tunnel office: only office (host kept)" || fail "facts --tunnel office: $one"
one=$("$CLI" facts --tunnel=home --json | $PY -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["facts"]))')
echo "$one" | py '[t["name"] for t in d["tunnels"]] == ["home"]' && ok "facts --tunnel=home" || fail "facts --tunnel=home: $one"

err=$("$CLI" facts --tunnel nope 2>&1 >/dev/null)
rc=$?
[ $rc = 64 ] && grep -q "no such tunnel: nope" <<<"$err" && ok "facts --tunnel nope: exit 64, says why" ||
	fail "facts --tunnel nope: exit $rc: $err"
"$CLI" facts --bogus >/dev/null 2>&1
rc=$?
[ $rc = 64 ] && ok "facts --bogus: usage, exit 64" || fail "facts --bogus: exit $rc"

human=$("$CLI" facts)
[ "$(wc -l <<<"$human")" -gt 10 ] && echo "$human" | py '[t["name"] for t in d["tunnels"]] == ["office", "home"]' &&
	ok "facts (human): indented JSON of the same snapshot" || fail "facts (human): $human"

# Raw Varlink: a wrong type is InvalidParameter, an unknown key too.
reply() { # PARAMS-JSON -> the reply's error name or "ok"
	$PY - "$sock" "$1" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(json.dumps({"method": "io.vpndoctor.GetFacts", "parameters": json.loads(sys.argv[2])}).encode() + b"\0")
buf = b""
while b"\0" not in buf:
    c = s.recv(65536)
    if not c:
        break
    buf += c
r = json.loads(buf.split(b"\0")[0])
print(r.get("error", "ok") + ("" if "error" not in r else ":" + json.dumps(r.get("parameters"))))
EOF
}
[ "$(reply '{"tunnel": 7}')" = 'org.varlink.service.InvalidParameter:{"parameter": "tunnel"}' ] &&
	ok "GetFacts(tunnel=7): InvalidParameter" || fail "GetFacts(tunnel=7): $(reply '{"tunnel": 7}')"
[ "$(reply '{"bogus": 1}')" = 'org.varlink.service.InvalidParameter:{"parameter": "bogus"}' ] &&
	ok "GetFacts(bogus): InvalidParameter" || fail "GetFacts(bogus): $(reply '{"bogus": 1}')"
[ "$(reply '{"tunnel": null}')" = ok ] && ok "GetFacts(tunnel=null): the whole snapshot" || fail "GetFacts(tunnel=null)"

kill "$daemon_pid" && wait "$daemon_pid"
daemon_pid=
echo "$failures failure(s)"
[ $failures = 0 ]
