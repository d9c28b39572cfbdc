#!/bin/bash
# Benchmark: subscribers that never read (issue 16 item 8: 500 of them took
# the daemon to 531 MB, and 318 MB stayed after they were gone). Prints
# figures, judges nothing.
#
# SUBS clients (500) subscribe and never read, while TOGGLES (60) times a
# profile shared by TUNNELS (20) tunnels loses and regains its key: each
# toggle opens or resolves config-invalid on every tunnel (20 events of about
# 1.2 KB). Then the clients close. Printed: the daemon's RSS before, at its
# peak (VmHWM), once the events are out, and 3 s after the clients are gone;
# how many subscribers the daemon dropped; and that a subscriber that reads
# got every event (as many as the history holds).
# Usage: tests/bench/bench_subscribers.sh [BUILD_BIN_DIR]  (env SUBS TOGGLES TUNNELS)
set -euo pipefail

VD_BIN=${1:-${VD_BIN:-build/bin}}
VD_BIN=$(cd "$VD_BIN" && pwd)
SRC=${VD_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
SUBS=${SUBS:-500}
TOGGLES=${TOGGLES:-60}
TUNNELS=${TUNNELS:-20}
[ -x "$VD_BIN/vpndoctord" ] || { echo "no $VD_BIN/vpndoctord" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root (unshare -n)" >&2; exit 1; }

work=$(mktemp -d /tmp/vd-bench-subs.XXXXXX)
pid="" cpid=""
cleanup() {
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null || true
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
ulimit -n 4096

cp "$SRC"/tests/data/sample/* "$work/"
sed -i 's/^remote .*/remote 192.0.2.1 1194/' "$work/sample.ovpn"
{
	printf '[Daemon]\nMaxConnections=%d\nMaxConnectionsPerUser=%d\n' $((SUBS + 50)) $((SUBS + 50))
	printf '[Clock]\nEnabled=no\n'
	for i in $(seq 1 "$TUNNELS"); do printf '[Tunnel t%02d]\nConfig=%s/sample.ovpn\n' "$i" "$work"; done
} >"$work/vd.conf"
sock=$work/io.vpndoctor
unshare -n "$VD_BIN/vpndoctord" --foreground --config "$work/vd.conf" --socket "$sock" --state-dir "$work/state" \
	--log-level notice 2>"$work/log" &
pid=$!
while [ ! -S "$sock" ]; do
	kill -0 "$pid" 2>/dev/null || { echo "vpndoctord did not start: $(cat "$work/log")" >&2; exit 1; }
	sleep 0.05
done
sleep 2
# started as root, vpndoctord is a privileged parent and an engine as its
# own user (vpndoctord(8)): the engine holds the subscribers, and is measured
eng=$(pgrep -P "$pid" -x vpndoctord | head -n 1)
rss() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/${eng:-$pid}/status"; }
before=$(rss VmRSS)

# the clients: SUBS that never read, one that reads everything
/usr/bin/python3 - "$sock" "$SUBS" "$work" <<'EOP' &
import json, os, socket, sys, time
path, n, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
call = b'{"method":"io.vpndoctor.Subscribe","more":true}\0'
lag = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(path)
    s.sendall(call)
    lag.append(s)
r = socket.socket(socket.AF_UNIX)
r.connect(path)
r.sendall(call)
r.settimeout(1)
open(work + "/ready", "w").close()
buf, events = b"", []
deadline = None
while True:
    try:
        d = r.recv(1 << 20)
        if not d:
            break
        buf += d
        while b"\0" in buf:
            m, buf = buf.split(b"\0", 1)
            events.append(json.loads(m)["parameters"].get("event"))
    except socket.timeout:
        pass
    if os.path.exists(work + "/done"):
        if deadline is None:
            deadline = time.monotonic() + 3
        elif time.monotonic() > deadline:
            break
# how many of the others did the daemon drop (EOF after what it sent)
dropped = 0
for s in lag:
    s.setblocking(False)
    try:
        while True:
            d = s.recv(1 << 20)
            if not d:
                dropped += 1
                break
    except BlockingIOError:
        pass
    except ConnectionResetError:
        dropped += 1
with open(work + "/result", "w") as f:
    f.write("%d %d %d\n" % (events.count("opened"), events.count("resolved"), dropped))
open(work + "/counted", "w").close()
while not os.path.exists(work + "/close"):
    time.sleep(0.1)
for s in lag:
    s.close()
r.close()
EOP
cpid=$!
while [ ! -e "$work/ready" ]; do sleep 0.1; done
t0=$(date +%s.%N)
for i in $(seq 1 "$TOGGLES"); do
	if [ $((i % 2)) = 1 ]; then mv "$work/client.key" "$work/client.key.away"; else mv "$work/client.key.away" "$work/client.key"; fi
	sleep 0.8 # past the profile probe's debounce (a change restarts it)
done
sleep 2
touch "$work/done"
while [ ! -e "$work/counted" ]; do sleep 0.1; done
out_rss=$(rss VmRSS)
peak=$(rss VmHWM)
read -r opened resolved dropped <"$work/result"
touch "$work/close"
wait "$cpid" || true
cpid=""
sleep 3
after=$(rss VmRSS)
# every event the daemon sent is in its history as well
h_opened=$(cat "$work"/state/history* 2>/dev/null | grep -c '"event":"opened"' || true)
h_resolved=$(cat "$work"/state/history* 2>/dev/null | grep -c '"event":"resolved"' || true)
echo "subscribers that never read: $SUBS; events: $TOGGLES toggles x $TUNNELS tunnels" \
	"($(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }') s)"
echo "RSS: before $((before / 1024)) MB, peak $((peak / 1024)) MB, with them still connected $((out_rss / 1024)) MB," \
	"3 s after they closed $((after / 1024)) MB"
echo "dropped by the daemon: $dropped of $SUBS; the reading subscriber got $opened opened and" \
	"$resolved resolved events, the history has $h_opened and $h_resolved"
grep -c "dropping client" "$work/log" | sed 's/^/"dropping client" lines logged: /'
