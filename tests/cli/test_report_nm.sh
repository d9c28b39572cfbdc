#!/bin/bash
# vpndoctor report and a NetworkManager connection's tunnel: its facts name
# the profile "nm:UUID" (the connection's settings, no file). The report ran
# from a directory where another user put a file of that name (/tmp, his
# home) must not take it for the profile, nor read what it names.
# A stand-in daemon on a socket of the test's own answers as vpndoctord does.
# vd-tier: check (no root, no daemon)
set -u
BIN=${VD_BIN:?}
PY=/usr/bin/python3
U=0b7e1d7c-7b5e-4f0f-9bde-3f9a9c1f2a11
tmp=$(mktemp -d /tmp/vd-report-nm-XXXXXX)
fake_pid=
cleanup() {
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL $*"; exit 1; }

sock=$tmp/fake.sock
$PY - "$sock" "$U" <<'EOP' &
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(8)
while True:
    c, _ = s.accept()
    buf = b""
    while True:
        d = c.recv(65536)
        if not d:
            break
        buf += d
        while b"\0" in buf:
            m, buf = buf.split(b"\0", 1)
            meth = json.loads(m)["method"]
            if meth == "io.vpndoctor.GetStatus":
                r = {"parameters": {"health": "healthy", "findings": [], "probes": [],
                                    "tunnels": [{"name": "lab", "discovered": True, "health": "healthy"}]}}
            elif meth == "io.vpndoctor.GetFacts":
                r = {"parameters": {"facts": {"tunnels": [{"name": "lab", "openvpn": {"running": False},
                                                           "profile": {"path": "nm:" + sys.argv[2], "status": "ok"}}]}}}
            elif meth == "io.vpndoctor.GetHistory":
                r = {"parameters": {"snapshots": []}}
            else:
                r = {"error": "io.vpndoctor.MethodNotFound", "parameters": {}}
            c.sendall(json.dumps(r).encode() + b"\0")
    c.close()
EOP
fake_pid=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || fail "the stand-in daemon did not listen"

chmod 755 "$tmp" # (searchable by anyone, as /tmp and a home are)
mkdir -m 755 "$tmp/cwd"
printf 'client\nremote PlantedHost77.example 1194\nlog %s/planted.log\n' "$tmp" >"$tmp/cwd/nm:$U"
printf '2026-01-01 10:00:02 TLS Error: TLS key negotiation failed PlantedLog88\n' >"$tmp/planted.log"
chmod 644 "$tmp/cwd/nm:$U" "$tmp/planted.log"
(cd "$tmp/cwd" && "$BIN/vpndoctor" --socket "$sock" report -o "$tmp/r.tar.gz" >/dev/null 2>"$tmp/r.err")
[ -f "$tmp/r.tar.gz" ] || fail "no bundle: $(cat "$tmp/r.err")"
mkdir "$tmp/x" && tar -xzf "$tmp/r.tar.gz" -C "$tmp/x" || fail "the bundle does not extract"
if grep -rlE 'PlantedHost77|PlantedLog88' "$tmp/x"; then
	fail "the file in the report's directory was taken for the connection's profile"
fi
echo "PASS: a NetworkManager connection's nm:UUID is no file the report reads"
