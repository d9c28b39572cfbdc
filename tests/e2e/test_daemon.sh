#!/bin/bash
# vpndoctord end to end, in its own network namespace (unshare -n): start-up
# errors name FILE:LINE; SIGHUP with a good configuration applies it and with a
# bad one keeps the running one and logs why; a profile made invalid and valid
# again opens and resolves config-invalid (seen by `vpndoctor check --json`
# and in the log); a second daemon on the same state directory is refused,
# naming the first; SIGTERM exits 0 with the socket file gone.
set -u

bin=${VD_BIN:?} src=${VD_SRC:?}
# shellcheck source=../tools/testlib.sh
. "${VD_SRC:?}/tests/tools/testlib.sh"
work=$(mktemp -d /tmp/vd-e2e-daemon.XXXXXX)
sock=$work/run/io.vpndoctor
log=$work/daemon.log
pid=
trap '[ -n "$pid" ] && kill -KILL $pid 2>/dev/null; rm -rf "$work"' EXIT

fail() {
	echo "FAIL: $*" >&2
	[ -f "$log" ] && sed 's/^/  log: /' "$log" >&2
	exit 1
}

cli() { "$bin/vpndoctor" --socket "$sock" "$@"; }

cp "$src"/tests/data/sample/* "$work/"
# The profile probe is what this test drives; host probes (the clock) have
# their own tests and only add time here with no network at all.
cat > "$work/good.conf" <<EOC
[Daemon]
MaxConcurrentProbes=2
[Profile]
Interval=1h
[Clock]
Enabled=no
[Tunnel office]
Config=$work/sample.ovpn
EOC

# --- options and start-up errors ----------------------------------------------
"$bin/vpndoctord" --version | grep -q '^vpndoctord [0-9]' || fail "--version"
"$bin/vpndoctord" --help | grep -q -- '--state-dir' || fail "--help"
"$bin/vpndoctord" --bogus >/dev/null 2>&1
[ $? -eq 64 ] || fail "an unknown option is not exit 64"
"$bin/vpndoctord" --log-level loud >/dev/null 2>&1
[ $? -eq 64 ] || fail "a bad --log-level is not exit 64"
printf '[Tunnel office]\nConfig=%s/sample.ovpn\nTargets=10.0.0.1 not-an-address\n' "$work" > "$work/bad.conf"
out=$("$bin/vpndoctord" --config "$work/bad.conf" --socket "$sock" --state-dir "$work/state" 2>&1)
rc=$?
[ $rc -eq 1 ] || fail "a malformed config gives exit $rc, not 1"
grep -q "$work/bad.conf:3: Targets=: 'not-an-address'" <<<"$out" || fail "no FILE:LINE for the bad config: $out"
out=$("$bin/vpndoctord" --config "$work/missing.conf" --socket "$sock" --state-dir "$work/state" 2>&1)
[ $? -eq 1 ] && grep -q "missing.conf: cannot open" <<<"$out" || fail "a missing named config: $out"
[ -e "$sock" ] && fail "a failed start left a socket"

# --- start -------------------------------------------------------------------------
unshare -n "$bin/vpndoctord" --foreground --user nobody --config "$work/good.conf" --socket "$sock" \
	--state-dir "$work/state" --log-level info 2>"$log" &
pid=$!
until_ok '[ -S "$sock" ]' || fail "no socket"
until_ok 'cli status --json 2>/dev/null | grep -q "\"status\":\"ok\""' || fail "the profile probe never ran"
cli status >/dev/null
rc=$?
[ $rc -eq 0 ] || fail "status of a healthy sample profile exits $rc"
[ "$(stat -c %a "$sock")" = 660 ] || fail "socket mode $(stat -c %a "$sock")"

# --- a profile made invalid, then valid ---------------------------------------------------
mv "$work/client.key" "$work/client.key.away"
# inotify sees the change: no check needed, but check --json must agree
until_ok 'grep -q "opened config-invalid on office" "$log"' || fail "config-invalid did not open from inotify"
out=$(cli check --json --probe profile)
rc=$?
[ $rc -eq 2 ] || fail "check with an error exits $rc, not 2"
/usr/bin/python3 - "$out" <<'EOP' || fail "check --json: $out"
import json, sys
d = json.loads(sys.argv[1])
assert d["health"] == "broken", d["health"]
f = [f for f in d["findings"] if f["cause"] == "config-invalid"]
assert len(f) == 1 and f[0]["tunnel"] == "office", f
assert "client.key" in f[0]["summary"], f[0]["summary"]
assert f[0]["since"] <= f[0]["last_seen"]
t = d["tunnels"][0]
assert t["name"] == "office" and t["health"] == "broken", t
p = d["probes"][0]
assert p["name"] == "profile" and p["tunnel"] == "office" and p["status"] in ("ok", "fail"), p
EOP
mv "$work/client.key.away" "$work/client.key"
until_ok 'grep -q "resolved config-invalid on office" "$log"' || fail "config-invalid did not resolve"
out=$(cli check --json --probe profile)
[ $? -eq 0 ] || fail "check after the fix: $out"
grep -q '"findings":\[\]' <<<"$out" || fail "a finding remains: $out"
cli history --json | grep -q '"event":"resolved"' || fail "history lacks the resolved event"

# --- SIGHUP: a good configuration is applied -----------------------------------------
cat >> "$work/good.conf" <<EOC
[Tunnel home]
Config=$work/sample.ovpn
ClientCIDR=10.8.0.0/26
MaxConnections=60
EOC
kill -HUP $pid
until_ok 'grep -q "configuration reloaded from $work/good.conf: 2 tunnels" "$log"' || fail "no reload"
until_ok 'cli status --json | grep -q "\"name\":\"home\""' || fail "the new tunnel is not served"
out=$(cli status --json)
grep -q '"cause":"client-cidr-too-small"' <<<"$out" || fail "the reloaded cloud keys are not used: $out"
# findings and history survive the reload
cli history --json | grep -q '"cause":"config-invalid"' || fail "history lost on reload"

# --- SIGHUP: a bad configuration keeps the running one ----------------------------
cp "$work/good.conf" "$work/good.conf.ok"
printf '[Profile]\nInterval=forever\n' >> "$work/good.conf"
line=$(wc -l < "$work/good.conf")
kill -HUP $pid
until_ok "grep -q 'reload failed, keeping the running configuration: $work/good.conf:$line: Interval=' '$log'" ||
	fail "the bad reload is not logged with file:line"
kill -0 $pid 2>/dev/null || fail "the daemon died on a bad reload"
out=$(cli status --json)
grep -q '"name":"home"' <<<"$out" && grep -q '"cause":"client-cidr-too-small"' <<<"$out" ||
	fail "the running configuration was not kept: $out"

# --- a second daemon on the same state directory is refused ---------------------------
# (two would interleave and rotate each other's history; issue 16 item 9)
out=$(timeout 20 unshare -n "$bin/vpndoctord" --foreground --user nobody --config "$work/good.conf.ok" \
	--socket "$work/run/other.sock" --state-dir "$work/state" 2>&1)
rc=$?
[ $rc -eq 1 ] || fail "a second daemon on the state directory exits $rc, not 1: $out"
# the lock is the engine's (the daemon's child, as root: vpndoctord(8), PRIVILEGES)
holder=$(pgrep -P $pid)
grep -q "state directory $work/state is in use by another vpndoctord (pid ${holder:-$pid} holds $work/state/lock)" <<<"$out" ||
	fail "the refusal does not say why: $out"
[ -e "$work/run/other.sock" ] && fail "the refused daemon left a socket"
kill -0 $pid 2>/dev/null || fail "the first daemon died"

# --- SIGTERM: clean exit, socket gone --------------------------------------------------
kill -TERM $pid
wait $pid
rc=$?
pid=
[ $rc -eq 0 ] || fail "exit status $rc after SIGTERM"
[ -e "$sock" ] && fail "the socket file is left behind"
grep -q "stopping" "$log" || fail "no stop message"
[ -s "$work/state/history" ] || fail "no history file in the state dir"
echo "ok"
