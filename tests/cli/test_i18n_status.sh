#!/bin/bash
# status, check, watch and history in Japanese against a real vpndoctord (own
# network namespace, temporary socket, state dir and configuration, as
# test_status_cli.sh): the health line, tunnel, finding, summary, remedy,
# probe table and history under LANGUAGE=ja (C.UTF-8), times in the reader's
# zone, and the C locale unchanged whether translations are reachable or not.
set -u
BIN=${VD_BIN:?}
CLI=$BIN/vpndoctor
# shellcheck source=../tools/testlib.sh
. "${VD_SRC:?}/tests/tools/testlib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for unshare -n"; exit 77; }

tmp=$(mktemp -d /tmp/vd-i18n-XXXXXX)
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
has() { # FILE PATTERN WHAT
	if grep -Eq -- "$2" "$1"; then ok "$3"; else fail "$3: no '$2' in:"; cat "$1"; fi
}
loc=$(cd "$BIN/.." && pwd)/locale
sock=$tmp/run/io.vpndoctor
ja() { TZ=Asia/Tokyo LC_ALL=C.UTF-8 LANGUAGE=ja VPNDOCTOR_LOCALEDIR=$loc "$CLI" --socket "$sock" "$@"; }
c() { LC_ALL=C VPNDOCTOR_LOCALEDIR=$loc "$CLI" --socket "$sock" "$@"; }
plain() { LC_ALL=C VPNDOCTOR_LOCALEDIR=/nonexistent "$CLI" --socket "$sock" "$@"; }
# ages and durations change between two runs
steady() { sed -E 's/[0-9]+(s|m|h|d) ago/N ago/g; s/ [0-9]+ ms/ N ms/g'; }

mkdir -p "$tmp/run" "$tmp/state"
vd_pki "$tmp" client || { echo "FAIL cannot make test certificates"; exit 1; }
profile() { # good|bad
	local body=$'client\ndev tun\nproto udp\nremote 192.0.2.1 1194\nremote-cert-tls server'
	if [ "$1" = good ]; then
		body+=$'\nca ca.crt\ncert client.crt\nkey client.key'
	else
		body+=$'\nca missing-ca.crt\ncert missing.crt\nkey missing.key'
	fi
	printf '%s\n' "$body" >"$tmp/office.conf.new" && mv "$tmp/office.conf.new" "$tmp/office.conf"
}
profile bad
printf '[Tunnel office]\nConfig=%s\n' "$tmp/office.conf" >"$tmp/vpndoctor.conf"
unshare -n "$BIN/vpndoctord" --foreground --user nobody --socket "$sock" --state-dir "$tmp/state" \
	--config "$tmp/vpndoctor.conf" --log-target stderr 2>"$tmp/daemon.log" &
daemon_pid=$!
for _ in $(seq 200); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { cat "$tmp/daemon.log"; echo "FAIL daemon did not start"; exit 1; }

ja check >"$tmp/check"
[ $? -eq 2 ] && ok "check: exit 2 in Japanese too" || fail "check: exit status"
has "$tmp/check" '^障害: エラー[0-9]+件.*（トンネル1本）$' "check: the health line"

ja status >"$tmp/status"
[ $? -eq 2 ] && ok "status: exit 2" || fail "status: exit status"
has "$tmp/status" '^障害: エラー[0-9]+件.*（トンネル1本）$' "status: the health line"
has "$tmp/status" '^トンネル office: 障害、' "status: the tunnel, its health and state"
has "$tmp/status" '^  エラー  SSLサーバーまたはクライアントの設定が無効 \[config-invalid\]$' \
	"status: severity and title, aligned"
has "$tmp/status" '^          caファイル.*が存在しません' "status: the summary, from its message"
has "$tmp/status" '（ほか[0-9]+件）' "status: and N more"
has "$tmp/status" '^          対処: VPN GatewayコンソールのSSLサーバーのページから' "status: the remedy"
has "$tmp/status" '^プローブ:$' "status: the probes' heading"
has "$tmp/status" '^  profile +office +(正常|失敗) +[0-9]+秒前' "status: a probe, its result and age"
sed '/^プローブ:$/,$d' "$tmp/status" >"$tmp/status.head"
# A probe's error, from its message (GetStatus's error_message): no English
# sentence but the words of the machine (a path, an errno's text).
sed -n '/^プローブ:$/,$p' "$tmp/status" >"$tmp/probes"
n_err=$(LC_ALL=C.UTF-8 grep -cP '^  [^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +[0-9]+ミリ秒  .*[\x{3040}-\x{30ff}\x{4e00}-\x{9fff}]' "$tmp/probes")
[ "$n_err" -gt 0 ] && ok "status: $n_err probe errors in Japanese" || { fail "status: no probe error in Japanese"; cat "$tmp/probes"; }
if grep -Eq ' (the|is|are|does|not|no|and|runs) ' "$tmp/probes"; then
	fail "status: a probe's error in English"
	cat "$tmp/probes"
else
	ok "status: no probe's error left in English"
fi
c status >"$tmp/status.c.probes"
has "$tmp/status.c.probes" '^  openvpn +office +[^ ]+ +[^ ]+ ago +[0-9]+ ms  no openvpn process runs /tmp/' \
	"status in C: the openvpn probe's English error"
has "$tmp/status.c.probes" '^  (ping|mtu|reflector|firewall) +office +\S+ +\S+ ago +[0-9]+ ms  (the tunnel is absent|no Reflector= and ReflectorKey= for this tunnel)' \
	"status in C: a probe's English error"
if grep -Eq ' (the|is|are|does|not) ' "$tmp/status.head"; then
	fail "status: English words left"
	cat "$tmp/status"
else
	ok "status: no English sentence left"
fi
/usr/bin/python3 - "$tmp/status.head" <<'PY' && ok "status: within 78 columns" || fail "status: a line wider than 78 columns"
import sys, unicodedata
w = lambda s: sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
sys.exit(any(w(l) > 78 for l in open(sys.argv[1], encoding="utf-8").read().splitlines()))
PY

# What could not be checked (GetStatus's unchecked): a count and what is
# needed, and under --verbose each cause with its reason, in Japanese.
has "$tmp/status" '^  未確認の原因: [0-9]+件（必要なもの: ' "status: what was not checked, and what it needs"
ja status --verbose >"$tmp/status.v"
sed -n '/^  未確認の原因: [0-9]*件$/,/^$/p' "$tmp/status.v" >"$tmp/unchecked"
n_ja=$(LC_ALL=C.UTF-8 grep -cP '^    [a-z-]+: .*[\x{3040}-\x{30ff}\x{4e00}-\x{9fff}]' "$tmp/unchecked")
[ "$n_ja" -gt 0 ] && [ "$n_ja" = "$(grep -c '^    [a-z-]*: ' "$tmp/unchecked")" ] &&
	ok "status --verbose: each cause not checked, its reason in Japanese" ||
	{ fail "status --verbose: a cause's reason not in Japanese"; cat "$tmp/unchecked"; }
if grep -Eq '^    [a-z-]+: .* (the|is|are|no|not|needs?) ' "$tmp/unchecked"; then
	fail "status --verbose: a reason in English"
	cat "$tmp/unchecked"
else
	ok "status --verbose: no reason left in English"
fi
c status --verbose >"$tmp/status.v.c"
has "$tmp/status.v.c" '^  not checked: [0-9]+ causes?$' "status --verbose in C: the English count"
[ "$(grep -c '^    [a-z-]*: ' "$tmp/status.v.c")" = "$(grep -c '^    [a-z-]*: ' "$tmp/unchecked")" ] &&
	ok "status --verbose: as many causes in both languages" || fail "status --verbose: causes differ"

# The C locale: as without translations, byte for byte but for the ages.
# (two calls: a probe that ends between them changes the second; the pair
# is taken again until both saw the same state, a few times at most)
for _ in 1 2 3 4 5; do
	c status | steady >"$tmp/status.c"
	plain status | steady >"$tmp/status.plain"
	cmp -s "$tmp/status.c" "$tmp/status.plain" && break
	sleep 0.3
done
cmp -s "$tmp/status.c" "$tmp/status.plain" && ok "status in C: as without translations" || {
	fail "status in C changes with translations reachable"
	diff "$tmp/status.plain" "$tmp/status.c"
}
has "$tmp/status.c" '^broken: [0-9]+ errors?.* on 1 tunnel$' "status in C: the English health line"
has "$tmp/status.c" '^  error    The SSL server or client configuration is invalid \[config-invalid\]$' \
	"status in C: the English finding"
sj() { "$@" status --json | sed -E 's/"(age_s|duration_ms|last_run)":[0-9]+/"\1":0/g'; }
for _ in 1 2 3 4 5; do
	status_json=$(sj ja)
	status_json_c=$(sj c)
	[ "$status_json" = "$status_json_c" ] && break
	sleep 0.3
done
[ "$status_json" = "$status_json_c" ] &&
	ok "status --json: the same in any locale" || fail "status --json differs under LANGUAGE=ja"

# watch: the profile fixed, the finding resolves.
ja watch >"$tmp/watch" 2>"$tmp/watch.err" &
watch_pid=$!
for _ in $(seq 50); do [ -s "$tmp/watch.err" ] && break; sleep 0.1; done
has "$tmp/watch.err" 'のvpndoctordを監視しています（Ctrl-Cで終了）$' "watch: its note in Japanese"
profile good
ja check --probe profile >/dev/null
for _ in $(seq 100); do grep -q '解消' "$tmp/watch" && break; sleep 0.1; done
kill "$watch_pid"
wait "$watch_pid" 2>/dev/null
watch_pid=
has "$tmp/watch" '^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} 解消 +config-invalid（office）: caファイル' \
	"watch: resolved, its time and summary in Japanese"

# history: opened and resolved, local time in the translation's format.
ja history >"$tmp/history"
has "$tmp/history" '^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}  発生 +エラー +office +config-invalid +caファイル.*が存在しません' \
	"history: the opened event in Japanese"
has "$tmp/history" '  解消 +エラー +office +config-invalid ' "history: the resolved event"
c history >"$tmp/history.c"
plain history >"$tmp/history.plain"
cmp -s "$tmp/history.c" "$tmp/history.plain" && ok "history in C: as without translations" ||
	fail "history in C changes with translations reachable"
has "$tmp/history.c" '^[0-9-]{10}T[0-9:]{8}Z  opened   error   office       config-invalid         the missing-ca.crt|^[0-9-]{10}T[0-9:]{8}Z  opened   error   office       config-invalid         the ca file' \
	"history in C: the English line, times in UTC"
# the hour in Tokyo is UTC's plus 9
t_utc=$(grep -m1 -oE 'T[0-9]{2}' "$tmp/history.c" | tr -d T)
t_jst=$(grep -m1 -oE ' [0-9]{2}:[0-9]{2}:[0-9]{2}  ' "$tmp/history" | cut -c2-3)
[ "$(( (10#$t_utc + 9) % 24 ))" = "$((10#$t_jst))" ] && ok "history: times in the reader's zone" ||
	fail "history: $t_jst in Tokyo for $t_utc UTC"
ja history --since @4102444800 >"$tmp/none"
has "$tmp/none" '^イベントはありません$' "history: none, in Japanese"

if [ $failures -ne 0 ]; then
	echo "---- daemon log ----"
	tail -30 "$tmp/daemon.log"
fi
echo "$failures failure(s)"
[ $failures -eq 0 ]
