#!/bin/bash
# vpndoctor timeline and the status sparklines against a real vpndoctord (own
# network namespace, temporary socket and state directory) reading a timeline
# file seeded beforehand (tests/tools/timeline_seed): the table per minute and
# per 5 minutes, the sparklines of the last hour in ASCII and in UTF-8, all
# compared with golden output (tests/cli/golden/); --json as one document of
# pages; the options' errors; none of it with status --json.
set -u
BIN=${VD_BIN:?}
SRC=${VD_SRC:?}
CLI=$BIN/vpndoctor
PY=/usr/bin/python3
GOLD=$SRC/tests/cli/golden
# shellcheck source=../tools/testlib.sh
. "$SRC/tests/tools/testlib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for unshare -n"; exit 77; }

tmp=$(mktemp -d /tmp/vd-tlcli-XXXXXX)
pid=
trap 'kill_wait "$pid"; rm -rf "$tmp"' EXIT
failures=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
expect_rc() { if [ "$1" = "$2" ]; then ok "$3 (exit $2)"; else fail "$3: exit $2, want $1"; fi; }
same() { # WHAT GOLDEN FILE
	if diff -u "$2" "$3" >"$tmp/diff"; then ok "$1"; else fail "$1:"; cat "$tmp/diff"; fi
}
cli() { LC_ALL=C NO_COLOR=1 "$CLI" --socket "$sock" "$@"; }

sock=$tmp/io.vpndoctor
mkdir -p "$tmp/state"
cp "$SRC"/tests/data/sample/* "$tmp/"
printf '[Clock]\nEnabled=no\n[Tunnel office]\nConfig=%s/sample.ovpn\n' "$tmp" >"$tmp/vd.conf"

# The sparklines show the hour up to the current minute: all of this runs
# within one minute, so that the daemon's own record of it comes after.
s=$(date +%S)
s=${s#0}
[ "$s" -gt 40 ] && sleep $((61 - s))
end=$(($(date +%s) / 60 * 60))

# Ten minutes on 27 November 2026 (the table), then the last hour (the lines).
$PY - "$end" >"$tmp/seed.jsonl" <<'EOP'
import json, sys
end = int(sys.argv[1])
base = 1795773600  # 2026-11-27T10:00:00Z
def sample(t, i, rtt, loss):
    s = {"tunnel": "office", "time": t, "state": "connected", "health": "healthy",
         "inside": {"sent": 20, "received": 20 - loss // 5, "rtt_min_ms": rtt - 2,
                    "rtt_median_ms": rtt, "rtt_p95_ms": rtt + 5, "jitter_ms": 1.5},
         "outside": {"sent": 10, "received": 10, "rtt_min_ms": 8, "rtt_median_ms": 9, "rtt_p95_ms": 11}}
    if i % 5 == 0:
        s["handshake_ms"] = 40 + i
        s["reflected"] = {"sent": 10, "received": 9}
    if i == 3:
        s["clock_offset_s"] = -0.25
    if i % 2 == 0:
        s.update(rx_mbps=1.5 + i, tx_mbps=0.25, rx_peak_mbps=4, tx_peak_mbps=1)
    return s
for i in range(10):
    s = sample(base + 60 * i, i, 20 + i, 10 if i == 7 else 0)
    if i == 8:
        s["state"] = "reconnecting"; s["health"] = "degraded"
    print(json.dumps(s))
for i in range(60):
    if 20 <= i < 25:
        continue  # five minutes without a record: blank cells
    rtt = 80 if i == 45 else 20 + i % 10
    loss = {50: 10, 51: 30, 52: 60}.get(i, 0)
    print(json.dumps(sample(end - 3600 + 60 * i, i, rtt, loss)))
EOP
"$BIN/timeline_seed" "$tmp/state" <"$tmp/seed.jsonl" || { echo "FAIL cannot seed"; exit 1; }

unshare -n "$BIN/vpndoctord" --foreground --user nobody --socket "$sock" --state-dir "$tmp/state" --config "$tmp/vd.conf" \
	--log-target stderr 2>"$tmp/daemon.log" &
pid=$!
until_ok '[ -S "$sock" ]' 100 || { cat "$tmp/daemon.log"; echo "FAIL daemon did not start"; exit 1; }

# --- status: the last hour as two lines under the tunnel -------------------------
cli status >"$tmp/status.txt"
grep -E '^  (rtt|loss) ' "$tmp/status.txt" >"$tmp/spark-ascii.txt"
same "status: the last hour in ASCII" "$GOLD/status-spark-ascii.txt" "$tmp/spark-ascii.txt"
grep -A1 '^tunnel office:' "$tmp/status.txt" | tail -1 | grep -q '^  rtt ' \
	&& ok "status: the lines right under the tunnel" || fail "status: lines not under the tunnel: $(cat "$tmp/status.txt")"
LC_ALL=C.UTF-8 NO_COLOR=1 "$CLI" --socket "$sock" status | grep -E '^  (rtt|loss) ' >"$tmp/spark-utf8.txt"
same "status: the last hour in block characters" "$GOLD/status-spark-utf8.txt" "$tmp/spark-utf8.txt"
cli status --json >"$tmp/status.json"
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "samples" not in d and "timeline" not in d' \
	"$tmp/status.json" && ! grep -q 'rtt' "$tmp/status.json" \
	&& ok "status --json: the reply as it was, no picture" || fail "status --json changed"
[ "$(($(date +%s) / 60 * 60))" = "$end" ] || echo "note: the minute turned during the status checks"

# --- timeline: the table ---------------------------------------------------------------
cli timeline --tunnel office --since 2026-11-27T10:00:00Z --until 2026-11-27T10:10:00Z >"$tmp/t1.txt"
expect_rc 0 $? "timeline of ten minutes"
same "timeline: per minute" "$GOLD/timeline-minutes.txt" "$tmp/t1.txt"
cli timeline --tunnel office --since 2026-11-27T10:00:00Z --until 2026-11-27T10:10:00Z --resolution 5m >"$tmp/t5.txt"
same "timeline: per 5 minutes" "$GOLD/timeline-5min.txt" "$tmp/t5.txt"
cli timeline --since 2026-11-27T11:00:00Z --until 2026-11-27T12:00:00Z >"$tmp/none.txt"
expect_rc 0 $? "timeline of an empty window"
[ "$(cat "$tmp/none.txt")" = "no samples in that window" ] && ok "empty window said" || fail "empty: $(cat "$tmp/none.txt")"

# --json: one document, every sample once, in time order
cli timeline --json --since -2h >"$tmp/t.json"
expect_rc 0 $? "timeline --json --since -2h"
$PY - "$tmp/t.json" "$end" <<'EOP' && ok "--json: the last hour's 55 samples, in order" || fail "--json: $(head -c 300 "$tmp/t.json")"
import json, sys
d = json.load(open(sys.argv[1]))
end = int(sys.argv[2])
t = [s["time"] for s in d["samples"] if s["time"] >= end - 3600]
assert d["resolution"] == 60
assert len(t) == 55 and t == sorted(t) and len(set(t)) == 55, t
s = [s for s in d["samples"] if s["time"] == end - 3600 + 45 * 60][0]
assert s["inside"]["rtt_median_ms"] == 80 and s["inside"]["loss_pct"] == 0 and s["tunnel"] == "office"
EOP
cli timeline --json --tunnel office --since 2026-11-27T10:00:00Z --until 2026-11-27T10:10:00Z --resolution 1h \
	>"$tmp/h.json"
$PY - "$tmp/h.json" <<'EOP' && ok "--resolution 1h: one bucket of ten minutes" || fail "1h: $(cat "$tmp/h.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["resolution"] == 3600 and len(d["samples"]) == 1
s = d["samples"][0]
assert s["periods"] == 10 and s["period_s"] == 3600 and s["inside"]["sent"] == 200
assert s["inside"]["received"] == 198 and s["health"] == "degraded" and s["state"] == "connected"
assert s["handshake_ms"] == 42.5 and s["clock_offset_s"] == -0.25
EOP

# --- errors ------------------------------------------------------------------------------
out=$(cli timeline --tunnel nope 2>&1)
expect_rc 64 $? "timeline --tunnel nope"
[ "$out" = "vpndoctor: no such tunnel: nope" ] && ok "unknown tunnel named" || fail "unknown tunnel: $out"
cli timeline --resolution 90s >/dev/null 2>&1
expect_rc 64 $? "--resolution 90s (not whole minutes)"
cli timeline --resolution 2d >/dev/null 2>&1
expect_rc 64 $? "--resolution 2d (over a day)"
cli timeline --since yesterday >/dev/null 2>&1
expect_rc 64 $? "--since yesterday"
cli timeline --since -1h --until -2h >/dev/null 2>&1
expect_rc 64 $? "--until before --since"
cli timeline --bogus >/dev/null 2>&1
expect_rc 64 $? "an unknown option"
cli timeline --help | grep -q -- '--resolution DURATION' && ok "--help" || fail "--help"
kill "$pid"
wait "$pid"
pid=
cli timeline >/dev/null 2>&1
expect_rc 3 $? "timeline without a daemon"

if [ $failures -ne 0 ]; then
	echo "---- daemon log ----"
	tail -30 "$tmp/daemon.log"
fi
echo "$failures failure(s)"
[ $failures -eq 0 ]
