#!/bin/bash
# The CLI's daemon commands against a real vpndoctord (own network namespace,
# temporary socket, state dir and configuration): status, check, watch and
# history, human and --json, exit statuses (3 when the daemon is not there),
# --socket and VPNDOCTOR_SOCKET.
set -u
BIN=${VD_BIN:?}
CLI=$BIN/vpndoctor
PY=/usr/bin/python3
# shellcheck source=../tools/testlib.sh
. "${VD_SRC:?}/tests/tools/testlib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for unshare -n"; exit 77; }

tmp=$(mktemp -d /tmp/vd-cli-XXXXXX)
daemon_pid=
watch_pid=
cleanup() {
	[ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
expect_rc() { # WANT GOT WHAT
	if [ "$1" = "$2" ]; then ok "$3 (exit $2)"; else fail "$3: exit $2, want $1"; fi
}
# Exit status the monitoring-plugins way, from the health in a JSON status.
health_rc() {
	$PY -c 'import json,sys; h=json.load(sys.stdin)["health"]; print({"healthy":0,"idle":0,"degraded":1,"broken":2}.get(h,3))'
}

sock=$tmp/run/io.vpndoctor
mkdir -p "$tmp/run" "$tmp/state"
vd_pki "$tmp" client || { echo "FAIL cannot make test certificates"; exit 1; }
profile() { # good|bad
	local body="client
dev tun
proto udp
remote 192.0.2.1 1194
remote-cert-tls server"
	if [ "$1" = good ]; then
		body+=$'\nca ca.crt\ncert client.crt\nkey client.key'
	else
		# the CA's name holds terminal escapes (set the title, clear the
		# screen): they reach the summary and must reach no terminal raw
		body+=$'\nca missing-ca\e]0;pwned\a\e[2J.crt\ncert missing.crt\nkey missing.key'
	fi
	printf '%s\n' "$body" >"$tmp/office.conf.new" && mv "$tmp/office.conf.new" "$tmp/office.conf"
}
profile bad
printf '[Tunnel office]\nConfig=%s\n' "$tmp/office.conf" >"$tmp/vpndoctor.conf"

# Not running yet: one clear line and exit 3.
out=$("$CLI" --socket "$sock" status 2>&1)
expect_rc 3 $? "status without a daemon"
want="vpndoctor: cannot reach vpndoctord at $sock: No such file or directory"
if [ "$out" = "$want" ]; then ok "unreachable daemon: one clear line"; else fail "unreachable: got '$out'"; fi
out=$(VPNDOCTOR_SOCKET=$tmp/nothing "$CLI" history 2>&1)
expect_rc 3 $? "history without a daemon (VPNDOCTOR_SOCKET)"
[[ $out == *"$tmp/nothing"* ]] && ok "VPNDOCTOR_SOCKET names the path tried" || fail "VPNDOCTOR_SOCKET ignored: $out"

unshare -n "$BIN/vpndoctord" --foreground --user nobody --socket "$sock" --state-dir "$tmp/state" \
	--config "$tmp/vpndoctor.conf" --log-target stderr 2>"$tmp/daemon.log" &
daemon_pid=$!
for _ in $(seq 200); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { cat "$tmp/daemon.log"; echo "FAIL daemon did not start"; exit 1; }

# check first: after it the profile has surely run.
out=$("$CLI" --socket "$sock" check)
rc=$?
expect_rc 2 $rc "check on a broken profile"
[[ $out == broken:* ]] && ok "check: health line first" || fail "check: first line: ${out%%$'\n'*}"

out=$("$CLI" --socket "$sock" status)
rc=$?
expect_rc 2 $rc "status on a broken profile"
printf '%s\n' "$out"
[[ $(head -1 <<<"$out") == broken:*error*"on 1 tunnel" ]] && ok "status: health line" || fail "status: health line"
grep -q '^tunnel office: broken' <<<"$out" && ok "status: the tunnel" || fail "status: no tunnel line"
title=$("$CLI" --socket "$sock" status --json | $PY -c '
import json,sys
print([f["title"] for f in json.load(sys.stdin)["findings"] if f["cause"] == "config-invalid"][0])')
grep -qF "$title" <<<"$out" && ok "status: the finding's title" || fail "status: no finding title '$title'"
grep -q 'missing' <<<"$out" && ok "status: the summary with its detail" || fail "status: no summary"
# issue 16 item 9: a profile's escapes reached root's terminal
if grep -q $'[\e\a]' <<<"$out"; then fail "status: a raw escape from the profile"; else ok "status: no raw escape"; fi
grep -qF 'missing-ca\x1b]0;pwned\x07\x1b[2J.crt' <<<"$out" && ok "status: the escape shown escaped" ||
	fail "status: the escaped name is not shown"
grep -Eq '^  profile +office +(ok|fail) +[0-9]+s ago' <<<"$out" && ok "status: the probe's last result and age" \
	|| fail "status: no probe line"

json=$("$CLI" --socket "$sock" status --json)
rc=$?
expect_rc "$(health_rc <<<"$json")" $rc "status --json exit matches its health"
$PY -c 'import json,sys; d=json.load(sys.stdin); assert set(d) >= {"health","tunnels","findings","probes"}' \
	<<<"$json" && ok "status --json: the reply's parameters" || fail "status --json: $json"
out=$(VPNDOCTOR_SOCKET=$sock "$CLI" status --json)
expect_rc 2 $? "VPNDOCTOR_SOCKET honoured"
out=$(VPNDOCTOR_SOCKET=$tmp/nothing "$CLI" --socket "$sock" status --json)
expect_rc 2 $? "--socket wins over VPNDOCTOR_SOCKET"

out=$("$CLI" --socket "$sock" check --probe profile --json)
rc=$?
expect_rc 2 $rc "check --probe profile --json"
$PY -c 'import json,sys; d=json.load(sys.stdin); assert "health" in d and "progress" not in d' <<<"$out" \
	&& ok "check --json: the final status only" || fail "check --json: $out"
out=$("$CLI" --socket "$sock" check --probe no-such-probe 2>&1)
expect_rc 64 $? "check --probe no-such-probe"
[ "$out" = "vpndoctor: no such probe: no-such-probe" ] && ok "check: unknown probe named" || fail "check: $out"
"$CLI" --socket "$sock" check --probe >/dev/null 2>&1
expect_rc 64 $? "check --probe without a name"

# Progress shows on a tty: script(1) gives the CLI one.
if command -v script >/dev/null; then
	out=$(script -qec "$CLI --socket $sock check --probe profile" /dev/null)
	grep -Eq '^  profile +office +(ok|fail)' <<<"${out//$'\r'/}" && ok "check on a tty: progress lines" \
		|| fail "check on a tty: no progress: $out"
fi

# watch: events as they happen, human and --json.
"$CLI" --socket "$sock" watch --json >"$tmp/watch.json" 2>"$tmp/watch.err" &
watch_pid=$!
"$CLI" --socket "$sock" watch >"$tmp/watch.txt" 2>&1 &
watch2_pid=$!
sleep 1
profile good
"$CLI" --socket "$sock" check --probe profile >/dev/null
for _ in $(seq 100); do grep -q resolved "$tmp/watch.json" && grep -q resolved "$tmp/watch.txt" && break; sleep 0.1; done
$PY -c '
import json,sys
evs=[json.loads(l) for l in open(sys.argv[1])]
assert any(e["event"]=="resolved" and e["finding"]["cause"]=="config-invalid" for e in evs), evs
assert all(e["event"] in ("opened","updated","resolved") for e in evs), evs' "$tmp/watch.json" \
	&& ok "watch --json: one event per line, config-invalid resolved" || fail "watch --json: $(cat "$tmp/watch.json")"
grep -Eq 'resolved +config-invalid on office' "$tmp/watch.txt" && ok "watch: human event line" \
	|| fail "watch: $(cat "$tmp/watch.txt")"

json=$("$CLI" --socket "$sock" status --json)
rc=$?
expect_rc "$(health_rc <<<"$json")" $rc "status after the fix: exit matches health $($PY -c 'import json,sys; print(json.load(sys.stdin)["health"])' <<<"$json")"
[ $rc -lt 2 ] && ok "status after the fix is no longer broken" || fail "still broken after the fix"

# No openvpn runs for office: idle, not healthy, and every cause the facts
# cannot decide listed, each with what would let it be checked.
$PY -c '
import json,sys
d=json.load(sys.stdin); t=d["tunnels"][0]
assert d["health"]=="idle" and t["health"]=="idle", (d["health"], t["health"])
u=t["unchecked"]; causes=[e["cause"] for e in u]
assert "security-group" in causes and "mtu-blackhole" in causes, causes
assert all(set(e)=={"cause","needs","reason","reason_message"} and e["reason"] for e in u), u
assert any("a running client" in e["needs"] for e in u), u
assert "config-invalid" not in causes and "cert-expired" not in causes, causes' <<<"$json" \
	&& ok "status --json: idle, with what could not be checked" || fail "idle/unchecked: $json"
out=$("$CLI" --socket "$sock" status)
expect_rc 0 $? "status of an idle tunnel"
grep -q '^tunnel office: idle, ' <<<"$out" &&
	grep -q '^  idle: no OpenVPN client runs, so nothing in the tunnel can be checked$' <<<"$out" \
	&& ok "status: idle, in words" || fail "status (idle): $out"
# (wrapped within 78 columns: the words joined again)
grep -Eq ' not checked: [0-9]+ causes \(need a running client, .*\); vpndoctor status --verbose lists them ' \
	<<<"$(tr -s ' \n' ' ' <<<"$out")" && ok "status: one sentence of what was not checked" \
	|| fail "status (not checked): $out"
out=$("$CLI" --socket "$sock" status --verbose)
grep -Eq ' security-group: the OpenVPN client is not running \(need a running client, Targets=\) ' \
	<<<"$(tr -s ' \n' ' ' <<<"$out")" && ok "status --verbose: each cause, why, and what it needs" \
	|| fail "status --verbose: $out"
awk 'length > 78 { exit 1 }' <<<"$(sed '/^probes:$/,$d' <<<"$out")" && ok "status --verbose: within 78 columns" \
	|| fail "status --verbose: a line wider than 78 columns"
"$CLI" --socket "$sock" status --bogus >/dev/null 2>&1
expect_rc 64 $? "status --bogus"

profile bad
"$CLI" --socket "$sock" check --probe profile >/dev/null
for _ in $(seq 100); do grep -q opened "$tmp/watch.json" && break; sleep 0.1; done
grep -q '"event":"opened"' "$tmp/watch.json" && ok "watch --json: opened again" || fail "watch: no opened"
kill "$watch_pid" "$watch2_pid"
wait "$watch_pid" "$watch2_pid" 2>/dev/null
watch_pid=

# history: the opened and resolved events, survived in the state dir.
out=$("$CLI" --socket "$sock" history)
expect_rc 0 $? "history"
if grep -q $'[\e\a]' <<<"$out"; then fail "history: a raw escape from the profile"; else ok "history: no raw escape"; fi
grep -Eq 'opened +error +office +config-invalid' <<<"$out" && grep -q resolved <<<"$out" \
	&& ok "history: opened and resolved lines" || fail "history: $out"
out=$("$CLI" --socket "$sock" history --json --limit 1)
expect_rc 0 $? "history --json --limit 1"
$PY -c 'import json,sys; d=json.load(sys.stdin); assert len(d["events"])==1 and d["events"][0]["event"]=="opened"' \
	<<<"$out" && ok "history --limit 1: the newest event" || fail "history --limit 1: $out"
out=$("$CLI" --socket "$sock" history --json --since @4102444800)
$PY -c 'import json,sys; assert json.load(sys.stdin)["events"]==[]' <<<"$out" \
	&& ok "history --since in the future: none" || fail "history --since: $out"
"$CLI" --socket "$sock" history --since yesterday >/dev/null 2>&1
expect_rc 64 $? "history --since not-a-time"
"$CLI" --socket "$sock" history --limit 0 >/dev/null 2>&1
expect_rc 64 $? "history --limit 0"

# The daemon goes away: exit 3 and one line.
kill "$daemon_pid"
wait "$daemon_pid"
expect_rc 0 $? "daemon stops on SIGTERM"
daemon_pid=
out=$("$CLI" --socket "$sock" status 2>&1)
expect_rc 3 $? "status after the daemon stopped"
[ "$(wc -l <<<"$out")" = 1 ] && [[ $out == "vpndoctor: cannot reach vpndoctord at $sock: "* ]] \
	&& ok "one clear line" || fail "after stop: $out"

if [ $failures -ne 0 ]; then
	echo "---- daemon log ----"
	tail -50 "$tmp/daemon.log"
fi
echo "$failures failure(s)"
[ $failures -eq 0 ]
