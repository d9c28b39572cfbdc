#!/bin/bash
# Issue 16 item 7: from about 580 tunnels GetStatus passed the 1 MiB output
# limit and every client was dropped, and at 1,000 the daemon spun a core and
# ignored SIGTERM for 30 s and more. With 700 tunnels (the cost per tunnel is
# tests/bench/bench_tunnels.sh's to show):
# - `vpndoctor status` and `check` answer (the CLI reads the status in pages);
# - GetStatus without "more" is one reply of more than 1 MiB, not a dropped
#   client; with "more" pages of at most ~256 KiB that add up to it;
# - SIGTERM in the middle of a Check of every probe on every tunnel stops the
#   daemon within a few seconds.
set -u

bin=${VD_BIN:?} src=${VD_SRC:?}
# shellcheck source=../tools/testlib.sh
. "$src/tests/tools/testlib.sh"
N=700
work=$(mktemp -d /tmp/vd-e2e-many.XXXXXX)
sock=$work/io.vpndoctor
log=$work/daemon.log
pid= cpid=
trap 'kill_wait "$cpid" "$pid"; rm -rf "$work"' EXIT
SLOW=1
[ -n "${VD_SANITIZED:-}" ] && SLOW=4

fail() {
	echo "FAIL: $*" >&2
	[ -f "$log" ] && grep -a -v "^<[67]>" "$log" | tail -n 20 | sed 's/^/  log: /' >&2
	exit 1
}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for unshare -n"; exit 77; }

cp "$src"/tests/data/sample/{ca.crt,client.crt,client.key} "$work/"
printf 'client\ndev tun\nproto udp\nremote 192.0.2.1 1194\nnobind\nca ca.crt\ncert client.crt\nkey client.key\n' \
	>"$work/office.conf"
{
	printf '[Daemon]\nMaxConcurrentProbes=64\n[Clock]\nEnabled=no\n'
	for i in $(seq 1 $N); do printf '[Tunnel t%04d]\nConfig=%s/office.conf\n' "$i" "$work"; done
} >"$work/vd.conf"
unshare -n "$bin/vpndoctord" --foreground --config "$work/vd.conf" --socket "$sock" --state-dir "$work/state" \
	--log-level info 2>"$log" &
pid=$!
until_ok '[ -S "$sock" ]' 100 || fail "no socket"

# --- the CLI --------------------------------------------------------------------
until_ok '"$bin/vpndoctor" --socket "$sock" status --json >"$work/status.json" 2>"$work/err"; [ $? -lt 3 ]' 100 ||
	fail "vpndoctor status: $(cat "$work/err")"
/usr/bin/python3 - "$work/status.json" $N <<'EOP' || fail "status --json"
import json, sys
d = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
names = [t["name"] for t in d["tunnels"]]
assert names == ["t%04d" % i for i in range(1, n + 1)], names[:3]
per = {}
for p in d["probes"]:
    per.setdefault(p["tunnel"], 0)
    per[p["tunnel"]] += 1
assert len([t for t in per if t]) == n and len(set(v for t, v in per.items() if t)) == 1, per
EOP
echo "ok   status --json: $N tunnels, each with its probes"

# --- the wire ------------------------------------------------------------------------
/usr/bin/python3 - "$sock" $N <<'EOP' || fail "GetStatus on the wire"
import json, socket, sys
path, n = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_UNIX)
s.connect(path)
s.settimeout(120)
buf = b""
def read():
    global buf
    while b"\0" not in buf:
        d = s.recv(1 << 20)
        assert d, "the daemon closed the connection"
        buf += d
    m, buf = buf.split(b"\0", 1)
    return len(m), json.loads(m)
s.sendall(b'{"method":"io.vpndoctor.GetStatus"}\0')
size, whole = read()
assert "error" not in whole and not whole.get("continues"), whole.get("error")
assert size > 1024 * 1024, size
assert len(whole["parameters"]["tunnels"]) == n
s.sendall(b'{"method":"io.vpndoctor.GetStatus","more":true}\0')
pages, tunnels, probes, biggest = 0, [], 0, 0
while True:
    size, r = read()
    assert "error" not in r, r
    biggest = max(biggest, size)
    p = r["parameters"]
    assert p["health"] in ("healthy", "degraded", "broken", "unknown", "idle"), p["health"]
    tunnels += [t["name"] for t in p["tunnels"]]
    probes += len(p["probes"])
    pages += 1
    if not r.get("continues"):
        break
assert tunnels == ["t%04d" % i for i in range(1, n + 1)], tunnels[:3]
assert probes == len(whole["parameters"]["probes"]), (probes, len(whole["parameters"]["probes"]))
assert pages > 3 and biggest < 512 * 1024, (pages, biggest)
print("ok   GetStatus: one reply of %d bytes without more; %d pages (largest %d) with it" %
      (len(json.dumps(whole)), pages, biggest))
EOP

# --- SIGTERM during a Check of everything -----------------------------------------
"$bin/vpndoctor" --socket "$sock" check >/dev/null 2>&1 &
cpid=$!
sleep 1
kill -0 "$pid" 2>/dev/null || fail "the daemon died"
t0=$(date +%s.%N)
kill -TERM "$pid"
for ((i = 0; i < 100 * SLOW; i++)); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
kill -0 "$pid" 2>/dev/null && fail "still running $((5 * SLOW)) s after SIGTERM, during a Check"
wait "$pid"
rc=$?
pid=
[ $rc = 0 ] || fail "vpndoctord exited $rc"
echo "ok   SIGTERM during a Check of $N tunnels: exit 0 in $(awk -v a="$t0" -v b="$(date +%s.%N)" \
	'BEGIN { printf "%.2f", b - a }') s"
kill_wait "$cpid"
cpid=
