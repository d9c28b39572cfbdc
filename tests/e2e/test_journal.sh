#!/bin/bash
# journald, started for this test in a private mount and network namespace,
# receives one entry per opened and resolved finding with the cause's
# MESSAGE_ID, PRIORITY and VPNDOCTOR_* fields; `journalctl -x` shows the
# generated catalog text for it, in Japanese under ja_JP.UTF-8 (compiled into
# the work directory, LOCPATH: nothing installed). Without journald, --log-target auto writes
# "<N>" prefixed lines to stderr. The host's /run, /var/log and catalog are
# never touched: everything is mounted over inside the namespace.
set -euo pipefail

: "${VD_BIN:?VD_BIN must name the directory of the built programs}"
PY=/usr/bin/python3

if [ "${1:-}" != "--inside" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "test_journal: needs root for unshare -m -n" >&2
		exit 1
	fi
	exec unshare -m -n --propagation private /bin/bash "$0" --inside
fi

CATALOG="$VD_BIN/../packaging/vpndoctor.catalog"
JOURNALD=/lib/systemd/systemd-journald
work=$(mktemp -d /tmp/vd-journal.XXXXXX)
jd_pid=""
vd_pid=""

cleanup() {
	local rc=$?
	for p in $vd_pid $jd_pid; do
		kill "$p" 2>/dev/null || true
	done
	for p in $vd_pid $jd_pid; do
		wait "$p" 2>/dev/null || true
	done
	if [ $rc != 0 ]; then
		echo "--- daemon stderr:" >&2
		cat "$work"/stderr* >&2 2>/dev/null || true
		echo "--- journal:" >&2
		journalctl --no-pager -o short-precise 2>/dev/null | tail -n 40 >&2 || true
	fi
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# wait_for SECONDS COMMAND...: polls every 0.2 s until COMMAND succeeds.
wait_for() {
	local n=$(($1 * 5))
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.2
	done
}

[ -x "$VD_BIN/vpndoctord" ] || fail "no $VD_BIN/vpndoctord"
[ -r "$CATALOG" ] || fail "no generated catalog at $CATALOG"
[ -x "$JOURNALD" ] || fail "no $JOURNALD"

ip link set lo up
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=0755 tmpfs /var/log
# journalctl --update-catalog writes /var/lib/systemd/catalog/database and
# reads /usr/lib/systemd/catalog: both replaced for this namespace only.
mount -t tmpfs -o mode=0755 tmpfs /var/lib/systemd
mkdir -p "$work/catalog"
cp /usr/lib/systemd/catalog/*.catalog "$work/catalog/" 2>/dev/null || true
cp "$CATALOG" "$work/catalog/vpndoctor.catalog"
mount --bind "$work/catalog" /usr/lib/systemd/catalog
journalctl --update-catalog

# --- a profile with a problem (no remote: config-invalid) and the fix ------
mkdir -p "$work/state" "$work/profiles"
bad_profile() {
	printf 'client\ndev tun\nproto udp\nauth-user-pass\nverb 3\n' >"$work/profiles/office.conf"
}
good_profile() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$work/profiles/ca.key" -out "$work/profiles/ca.crt" -days 3650 \
		-subj "/CN=vd-test-ca" 2>/dev/null
	# in place, not renamed over: the probe's inotify watch sees a write
	printf 'client\ndev tun\nproto udp\nremote 192.0.2.1 1194\nca ca.crt\nauth-user-pass\nverb 3\n' \
		>"$work/profiles/office.conf"
}
bad_profile
cat >"$work/vpndoctor.conf" <<EOF
[Profile]
Interval=5s

[Tunnel office]
Config=$work/profiles/office.conf
EOF

cause=config-invalid
msgid=$("$VD_BIN/vpndoctor" explain "$cause" --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["message_id"])')
[[ "$msgid" =~ ^[0-9a-f]{32}$ ]] || fail "explain gave no message_id for $cause: '$msgid'"
grep -q "^-- $msgid\$" "$CATALOG" || fail "catalog has no entry -- $msgid"

# --- case 1: journald present, --log-target auto picks it -------------------
"$JOURNALD" >"$work/journald.log" 2>&1 &
jd_pid=$!
wait_for 10 test -S /run/systemd/journal/socket || fail "journald did not create its socket"

start_daemon() {
	"$VD_BIN/vpndoctord" --foreground --user nobody --config "$work/vpndoctor.conf" --socket "$work/sock" \
		--state-dir "$work/state" --log-target auto --log-level info 2>"$work/$1" &
	vd_pid=$!
	# as root the engine, a child running as nobody, is what logs
	wait_for 10 pgrep -P "$vd_pid" >/dev/null || fail "no engine process under $vd_pid"
	log_pid=$(pgrep -P "$vd_pid")
}
stop_daemon() {
	kill "$vd_pid"
	wait "$vd_pid" || fail "the daemon exited with $? on SIGTERM"
	vd_pid=""
}

has_entry() { # EVENT
	[ -n "$(journalctl --no-pager -o json "VPNDOCTOR_CAUSE=$cause" "VPNDOCTOR_EVENT=$1" _PID="$log_pid")" ]
}

start_daemon stderr1
wait_for 30 has_entry opened || fail "no 'opened' journal entry for $cause within 30 s"

# check_entry EVENT PRIORITY: the fields of the (only) entry for EVENT, and the
# catalog text journalctl -x shows with it.
check_entry() {
	journalctl --no-pager -o json "VPNDOCTOR_CAUSE=$cause" "VPNDOCTOR_EVENT=$1" _PID="$log_pid" \
		>"$work/entry.json"
	journalctl --no-pager -x -o short "VPNDOCTOR_CAUSE=$cause" "VPNDOCTOR_EVENT=$1" _PID="$log_pid" \
		>"$work/entry.x"
	$PY - "$work/entry.json" "$work/entry.x" "$CATALOG" "$msgid" "$1" "$2" "$log_pid" <<'EOF'
import json, re, sys

entry_json, entry_x, catalog, msgid, event, prio, pid = sys.argv[1:]
entries = [json.loads(l) for l in open(entry_json) if l.strip()]
assert len(entries) == 1, f"expected one {event} entry, got {len(entries)}"
e = entries[0]
want = {
    "MESSAGE_ID": msgid, "PRIORITY": prio, "SYSLOG_IDENTIFIER": "vpndoctord",
    "VPNDOCTOR_CAUSE": "config-invalid", "VPNDOCTOR_TUNNEL": "office",
    "VPNDOCTOR_EVENT": event, "VPNDOCTOR_SEVERITY": "error", "_PID": pid,
}
for k, v in want.items():
    assert e.get(k) == v, f"{k}={e.get(k)!r}, want {v!r}"
summary = e.get("VPNDOCTOR_SUMMARY", "")
assert "remote" in summary, f"summary does not name the problem: {summary!r}"
msg = e.get("MESSAGE", "")
assert msg.startswith(f"config-invalid {event} on office"), f"MESSAGE={msg!r}"

# The catalog entry for msgid, with @FIELD@ replaced as journalctl does.
text, cur = [], None
for line in open(catalog, encoding="utf-8"):
    line = line.rstrip("\n")
    m = re.match(r"^-- ([0-9a-f]{32})(\s+\S+)?$", line)
    if m:
        cur = m.group(1) == msgid and not m.group(2)
        continue
    if cur:
        text.append(line)
assert text, "catalog entry is empty"
subst = lambda s: re.sub(r"@([A-Z0-9_]+)@", lambda m: e.get(m.group(1), m.group(0)), s)
subject = [subst(l) for l in text if l.startswith("Subject:")]
assert subject, "catalog entry has no Subject:"
body = [subst(l).strip() for l in text if l.strip() and ":" not in l[:20]]
x = open(entry_x, encoding="utf-8").read()
shown = [l.split("░░", 1)[1].strip() for l in x.splitlines() if "░░" in l]
assert shown, "journalctl -x showed no catalog text:\n" + x
assert subject[0] in shown, f"{subject[0]!r} not in journalctl -x output:\n{x}"
if body:
    assert body[0] in shown, f"{body[0]!r} not in journalctl -x output:\n{x}"
print(f"ok: {event} entry PRIORITY={prio} MESSAGE_ID={msgid}, catalog shown by journalctl -x")
EOF
}
check_entry opened 3

# Under a Japanese locale journalctl -x explains the same entry in Japanese,
# with the daemon's own summary (English) substituted.
mkdir "$work/locale"
localedef -i ja_JP -f UTF-8 "$work/locale/ja_JP.UTF-8" 2>/dev/null ||
	[ -f "$work/locale/ja_JP.UTF-8/LC_CTYPE" ] || fail "localedef ja_JP.UTF-8"
LOCPATH=$work/locale LC_ALL=ja_JP.UTF-8 journalctl --no-pager -x -o short "VPNDOCTOR_CAUSE=$cause" \
	"VPNDOCTOR_EVENT=opened" _PID="$log_pid" >"$work/entry.ja"
grep -q '░░ Subject: SSLサーバーまたはクライアントの設定が無効$' "$work/entry.ja" ||
	{ cat "$work/entry.ja" >&2; fail "journalctl -x under ja_JP.UTF-8: no Japanese subject"; }
grep -q '░░ vpndoctor、トンネル office（opened）: .*remote' "$work/entry.ja" ||
	{ cat "$work/entry.ja" >&2; fail "journalctl -x under ja_JP.UTF-8: no summary line"; }
grep -q '░░ 対処方法:$' "$work/entry.ja" || fail "journalctl -x under ja_JP.UTF-8: no remedy"
echo "ok: journalctl -x explains it in Japanese under ja_JP.UTF-8"

# The journal was chosen: the finding did not also go to stderr.
if grep -q "config-invalid on office" "$work/stderr1"; then
	fail "finding went to stderr although journald is present"
fi

good_profile
wait_for 30 has_entry resolved || fail "no 'resolved' journal entry for $cause within 30 s of the fix"
# a resolved error is a notice (5), so -p notice shows it open and close
check_entry resolved 5
stop_daemon

# --- case 2: no journald: auto falls back to "<N>" lines on stderr ---------
kill "$jd_pid"
wait "$jd_pid" 2>/dev/null || true
jd_pid=""
rm -f /run/systemd/journal/socket
bad_profile
start_daemon stderr2
wait_for 30 grep -q '^<3>vpndoctord: opened config-invalid on office: ' "$work/stderr2" ||
	fail "no '<3>vpndoctord: opened config-invalid on office: ...' line on stderr"
stop_daemon
# every line a log line with its priority
if grep -q -v -E '^<[0-7]>' "$work/stderr2"; then
	grep -v -E '^<[0-7]>' "$work/stderr2" >&2
	fail "stderr has lines without a <N> prefix"
fi
echo "ok: without journald, stderr carries <N> prefixed lines"
