#!/bin/bash
# clock-skew end to end: in a network namespace of its own, chronyd serves a
# clock 15 minutes ahead (libfaketime) on 198.18.1.123; vpndoctord with
# [Clock] NTPServers= that address must report clock-skew, severity error,
# with the offset within 50 ms of 900 s in its evidence and the server in its
# summary. Then chronyd without faketime: clock-skew resolves and stays away.
# chronyd, the daemon and the namespace go on every exit.
set -u

bin=${VD_BIN:?} src=${VD_SRC:?}
# shellcheck source=../tools/testlib.sh
. "$src/tests/tools/testlib.sh"
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
ADDR=198.18.1.123
PY=/usr/bin/python3

if [ "$(id -u)" != 0 ] || ! command -v chronyd >/dev/null || [ ! -r "$FAKETIME_LIB" ]; then
	echo "test_clock: needs root, chronyd and libfaketime" >&2
	exit 1
fi

ns=vd-clock-$$-$RANDOM
work=$(mktemp -d /tmp/vd-e2e-clock.XXXXXX) # mode 0700: chronyd's socket folder
sock=$work/io.vpndoctor
log=$work/daemon.log
chrony_pid= vd_pid=

cleanup() {
	local rc=$?
	for p in $vd_pid $chrony_pid; do
		kill "$p" 2>/dev/null
	done
	for p in $vd_pid $chrony_pid; do
		wait "$p" 2>/dev/null
	done
	ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*" >&2
	[ -f "$log" ] && sed 's/^/  daemon: /' "$log" | tail -n 30 >&2
	[ -f "$work/chronyd.log" ] && sed 's/^/  chronyd: /' "$work/chronyd.log" | tail -n 10 >&2
	exit 1
}

in_ns() { ip netns exec "$ns" "$@"; }
cli() { in_ns "$bin/vpndoctor" --socket "$sock" "$@"; }

ip netns add "$ns" || fail "ip netns add"
in_ns ip link set lo up
in_ns ip addr add "$ADDR/32" dev lo

# chronyd_start [SKEW]: chronyd serving its own clock, SKEW ahead when given.
chronyd_start() {
	cat > "$work/chrony.conf" <<EOC
local stratum 8
allow
bindaddress $ADDR
bindcmdaddress $work/chronyd.sock
pidfile $work/chronyd.pid
EOC
	# ip netns exec and env both exec (no shell function in between): $! is chronyd itself.
	if [ -n "${1:-}" ]; then
		ip netns exec "$ns" env LD_PRELOAD="$FAKETIME_LIB" FAKETIME="$1" FAKETIME_DONT_FAKE_MONOTONIC=1 \
			chronyd -x -n -u root -f "$work/chrony.conf" >"$work/chronyd.log" 2>&1 &
	else
		ip netns exec "$ns" chronyd -x -n -u root -f "$work/chrony.conf" >"$work/chronyd.log" 2>&1 &
	fi
	chrony_pid=$!
	# ready when it answers (ntpdate -q only queries, never sets the clock; its
	# exit status is 0 even without an answer, so look for the offset)
	until_ok "in_ns ntpdate -q $ADDR 2>&1 | grep -q -- '+/-'" 100 || fail "chronyd does not answer"
}

chronyd_stop() {
	kill "$chrony_pid" 2>/dev/null
	wait "$chrony_pid" 2>/dev/null
	chrony_pid=
}

# Findings are per tunnel (docs/facts.md): one tunnel with the sample profile.
cp "$src"/tests/data/sample/* "$work/"
cat > "$work/vpndoctor.conf" <<EOC
[Clock]
NTPServers=$ADDR
[Tunnel office]
Config=$work/sample.ovpn
EOC

chronyd_start +15m
ip netns exec "$ns" "$bin/vpndoctord" --foreground --user nobody --log-target stderr --config "$work/vpndoctor.conf" \
	--socket "$sock" --state-dir "$work/state" 2>"$log" &
vd_pid=$!
until_ok '[ -S "$sock" ]' 100 || fail "no socket"

# check_json WANT: `check --probe clock --json`, judged by the Python below.
check_json() {
	local out rc
	out=$(cli check --probe clock --json)
	rc=$?
	$PY - "$1" "$rc" "$ADDR" "$out" <<'EOP'
import json, sys
want, rc, addr, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
d = json.loads(out)
skew = [f for f in d.get("findings", []) if f.get("cause") == "clock-skew"]
probe = [p for p in d.get("probes", []) if p.get("name") == "clock"]
if not probe or probe[0].get("status") != "ok":
    sys.exit("the clock probe did not measure: %s" % probe)
if want == "none":
    if skew:
        sys.exit("clock-skew with an in-sync server: %s" % skew)
    sys.exit(0)
if len(skew) != 1:
    sys.exit("no clock-skew finding: %s" % out)
f = skew[0]
if f.get("severity") != "error":
    sys.exit("severity %s, not error" % f.get("severity"))
if rc != 2:
    sys.exit("exit status %d with an error finding, not 2" % rc)
ev = f.get("evidence", {})
off = float(ev["offset_s"])
if abs(off - 900.0) > 0.050:
    sys.exit("offset %.6f s is not 900 s within 50 ms" % off)
if ev.get("server") != addr or addr not in f.get("summary", ""):
    sys.exit("the server is not named: %s" % f)
print("clock-skew: offset %.3f s, delay %s s: %s" % (off, ev.get("delay_s"), f.get("summary")))
EOP
}

out=$(check_json skew) || fail "skewed server: $out"
echo "$out"
grep -q "clock-skew" "$log" || fail "the daemon did not log the finding"

# The server back in sync: the finding resolves on the next check.
chronyd_stop
chronyd_start
out=$(check_json none) || fail "in-sync server: $out"
status=$(cli status --json) || true
$PY -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(any(f["cause"]=="clock-skew" for f in d["findings"]))' \
	"$status" || fail "clock-skew still listed: $status"
echo "in sync: no clock-skew"

# Unreachable server: unknown, never skew.
chronyd_stop
out=$(cli check --probe clock --json)
$PY - "$out" <<'EOP' || fail "no server: $out"
import json, sys
d = json.loads(sys.argv[1])
p = [p for p in d["probes"] if p["name"] == "clock"][0]
if p["status"] != "unknown":
    sys.exit("status %s" % p["status"])
if any(f["cause"] == "clock-skew" for f in d["findings"]):
    sys.exit("clock-skew without a server")
EOP
echo "no server: clock unknown, no clock-skew"
kill "$vd_pid"
wait "$vd_pid"
rc=$?
vd_pid=
[ $rc -eq 0 ] || fail "daemon exit $rc"
echo "PASS"
