#!/bin/bash
# `vpndoctor causes` and `explain` in Japanese: under LANGUAGE=ja (with the
# C.UTF-8 locale, which needs no generated locale) the catalogue's titles,
# labels and texts come from po/ja.po with the FAQ's numbers intact, aligned
# and wrapped in terminal columns; --json stays as it is in any locale; and in
# the C locale nothing changes, byte for byte, whether translations are
# reachable or not.
set -euo pipefail
: "${VD_BIN:?}"
vd=$VD_BIN/vpndoctor
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export VPNDOCTOR_SOCKET=$tmp/no-daemon-here NO_COLOR=1
unset LANG LC_ALL LC_MESSAGES LANGUAGE
loc=$(cd "$VD_BIN/.." && pwd)/locale
[ -s "$loc/ja/LC_MESSAGES/vpndoctor.mo" ] || fail "no ja translation in $loc"
ja() { LC_ALL=C.UTF-8 LANGUAGE=ja VPNDOCTOR_LOCALEDIR=$loc "$vd" "$@"; }
c() { LC_ALL=C VPNDOCTOR_LOCALEDIR=$loc "$vd" "$@"; }

# columns of each line (East Asian wide characters take two)
cols() { /usr/bin/python3 -c '
import sys, unicodedata
for l in sys.stdin.read().splitlines():
    print(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in l))'; }

# --- causes ---------------------------------------------------------------------
ja causes >"$tmp/causes"
[ "$(wc -l <"$tmp/causes")" -eq 32 ] || fail "causes: 31 rows and a header"
head -1 "$tmp/causes" | grep -q '^原因  *重大度 概要$' || fail "causes: Japanese header: $(head -1 "$tmp/causes")"
grep -q '^clock-skew  *エラー クライアントとサーバーの時刻差によりSSL検証が失敗$' "$tmp/causes" ||
	fail "causes: clock-skew row"
grep -q '^cert-expired  *エラー SSLクライアント証明書が無効または期限切れ$' "$tmp/causes" || fail "causes: cert-expired"
grep -q '^gateway-old-version  *警告 *2021年4月1日より前に作成されたVPNゲートウェイ' "$tmp/causes" ||
	fail "causes: gateway-old-version with its date"
grep -q '^ncp-cipher  *情報 ' "$tmp/causes" || fail "causes: info severity in Japanese"
# every title starts in the same terminal column
/usr/bin/python3 - "$tmp/causes" <<'PY' || fail "causes: titles not aligned in terminal columns"
import sys, unicodedata
w = lambda s: sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
starts = set()
for line in open(sys.argv[1], encoding="utf-8").read().splitlines():
    cells = line.split()
    starts.add(w(line[:line.rindex(cells[2])]) if len(cells) == 3 else -1)
assert starts != {-1} and len(starts) == 1, starts
PY
# no English title left
if grep -qE ' (The|A|An|Another|Client|More|No|Addresses|Traffic|NCP|Something|Large) [a-z]' "$tmp/causes"; then
	fail "causes: an English title under LANGUAGE=ja"
fi

# --- explain: each cause's FAQ numbers in Japanese --------------------------------
expect() { # CAUSE PATTERN...
	local id=$1 p
	shift
	ja explain "$id" >"$tmp/$id"
	for p in "$@"; do
		grep -q -- "$p" "$tmp/$id" || { cat "$tmp/$id"; fail "explain $id: no '$p'"; }
	done
	# the wrapped paragraphs (a symptom's line is the FAQ's question, whole)
	sed -n '/^説明:$/,/^抑制する原因:/{/^抑制する原因:/!p}' "$tmp/$id" | cols | awk '$1 > 78 { exit 1 }' ||
		fail "explain $id: a line wider than 78 columns"
}
expect clock-skew '^clock-skew: クライアントとサーバーの時刻差によりSSL検証が失敗$' '^重大度:  *エラー$' \
	'^症状:  *only-some-connect（一部のクライアントしかSSLサーバーに接続できない）$' \
	'10分（600秒）' '^説明:$' '^対処方法:$' '^抑制する原因:  *なし$' '^猶予時間:  *0秒$' \
	'^メッセージID:  *645fdcb4f8ca40f7a04be1dc0e32dd5b$'
expect client-cidr-too-small 'クライアントCIDRブロック' '/30' '1クライアントあたり4アドレス' '4倍以上'
expect openvpn-version 'OpenVPN 2\.6\.6' '2\.4\.0' 'Windows'
expect ncp-cipher 'OpenVPN 2\.4\.0以降' 'AES-256-GCM' '^重大度:  *情報$'
expect gateway-old-version '2021年4月1日' '2021-04-01' 'アップグレード'
expect long-distance-udp 'シリコンバレー' 'シンガポール' 'TCP' 'Cloud Enterprise Network（CEN）' \
	'Smart Access' 'Gateway（SAG）' '^逐次検定（CUSUMとして運用するWaldのSPRT）で判定します' \
	'^    事象: トンネルの外側でVPNゲートウェイまでの往復時間が上限を超える（150ms）$' \
	'^    H0: p = 10%（正常）、H1: p = 60%（障害）、alpha 5e-08、beta 1e-04$' \
	'^誤検知:  *正常なトンネルで30日間に最大0\.[0-9]*回（既定のサンプリング）$'
expect cert-expired 'SSLクライアント証明書' '10分' '14日'
expect too-many-clients '4つ以上のアドレス' 'PUSH_REPLY'
expect ip-conflict 'ローカルネットワーク' 'vSwitch' '192\.168\.0\.0/16'
expect security-group 'セキュリティグループ' 'ネットワークACL' '^抑制する原因:  *config-invalid, cert-expired'
expect udp-blocked '^出典:  *FAQに記載のない原因$'
expect other '^症状:  *すべての症状$'
# Japanese text is wrapped between characters, never inside a Latin word
for id in client-cidr-too-small dns-no-route icmp-blocked-locally; do
	grep -q 'update-systemd-$' "$tmp/$id" 2>/dev/null && fail "explain $id: a word cut"
done
[ "$(sed -n '/^説明:$/,/^$/p' "$tmp/client-cidr-too-small" | wc -l)" -ge 4 ] || fail "explain: description not wrapped"

# --- every cause: title, description and remedy translated --------------------------
"$vd" causes --json | /usr/bin/python3 -c '
import json, sys
for c in json.load(sys.stdin)["causes"]:
    print(c["id"])' >"$tmp/ids"
while read -r id; do
	ja explain "$id" >"$tmp/x"
	LC_ALL=C "$vd" explain "$id" >"$tmp/en"
	head -1 "$tmp/x" | LC_ALL=C.UTF-8 grep -qP '^[a-z0-9-]+: .*[\x{3040}-\x{30ff}\x{4e00}-\x{9fff}]' || fail "$id: title not Japanese"
	for part in 説明 対処方法; do
		sed -n "/^$part:\$/,/^\$/p" "$tmp/x" | LC_ALL=C.UTF-8 grep -qP '[\x{3040}-\x{30ff}]' || fail "$id: $part not Japanese"
	done
	# the numbers of the English text are all there in the Japanese one
	for num in $(grep -oE '\b[0-9]+(\.[0-9]+)+\b|/[0-9]+\b|\b[0-9]{2,}\b' "$tmp/en" | sort -u); do
		grep -qF -- "$num" "$tmp/x" || fail "$id: '$num' of the English text missing in Japanese"
	done
done <"$tmp/ids"
echo "ok: $(wc -l <"$tmp/ids") causes in Japanese, their numbers intact"

# --- every finding's summary, from its message ---------------------------------------
# The golden cases' findings (tests/rules): in Japanese each summary differs from
# the English one and has Japanese in it, its figures there; in C it is the
# English summary. Times in the reader's zone and the translation's format.
golden=$VD_BIN/rules_golden
rules=$VD_SRC/tests/rules
LC_ALL=C.UTF-8 LANGUAGE=ja TZ=Asia/Tokyo VPNDOCTOR_LOCALEDIR=$loc "$golden" --render "$rules"/*.findings.json \
	>"$tmp/sum.ja" || fail "a summary_message does not render in Japanese"
LC_ALL=C VPNDOCTOR_LOCALEDIR=$loc "$golden" --render "$rules"/*.findings.json >"$tmp/sum.c" ||
	fail "a summary_message does not render in C"
/usr/bin/python3 - "$tmp/sum.c" "$tmp/sum.ja" "$rules" <<'PY' || fail "summaries in Japanese"
import glob, json, re, sys
c = open(sys.argv[1], encoding="utf-8").read().splitlines()
ja = open(sys.argv[2], encoding="utf-8").read().splitlines()
want = []
for f in sorted(glob.glob(sys.argv[3] + "/*.findings.json")):
    d = json.load(open(f))
    for x in d.get("findings", []) if isinstance(d, dict) else d:
        want.append(f + ": " + x["summary"])
assert c == want, "C rendering is not the summaries: %s" % [a for a, b in zip(c, want) if a != b][:3]
kana = re.compile("[\u3040-\u30ff\u4e00-\u9fff]")
for e, j in zip(c, ja):
    assert e != j and kana.search(j), "not in Japanese: " + j
    # each figure of the English line is in the Japanese one (times aside)
    en = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "", e.split(": ", 1)[1])
    for num in re.findall(r"\d+(?:\.\d+)*", en):
        assert num in j, "%r of %r missing in %r" % (num, e, j)
print("ok: %d summaries in Japanese" % len(ja))
PY
# the English line of the case cert-expired-fires, and its Japanese with the local time
grep -qF 'cert-expired-fires.findings.json: SSLクライアント証明書（CN=laptop）の有効期限が12日前に切れています（期限：2026/11/15 17:00:00、NTPで補正した時刻で判定）' "$tmp/sum.ja" ||
	fail "cert-expired's summary in Japanese: $(grep cert-expired-fires "$tmp/sum.ja")"
grep -qF 'clock-skew-error.findings.json: この端末の時刻が198.18.1.123より903秒遅れています（VPNが許容する600秒を超えています）' "$tmp/sum.ja" ||
	fail "clock-skew's summary in Japanese: $(grep clock-skew-error "$tmp/sum.ja")"
grep -qF 'client-cidr-too-small-fires.findings.json: クライアントCIDRブロック10.8.0.0/28のアドレスは16個で、1クライアントあたり4アドレスでは4クライアント分しかありません' "$tmp/sum.ja" ||
	fail "client-cidr-too-small's summary in Japanese"
# numbers as the locale writes them: a real ja_JP.UTF-8 (compiled here) groups thousands
mkdir -p "$tmp/locale"
if localedef -i ja_JP -f UTF-8 "$tmp/locale/ja_JP.UTF-8" 2>/dev/null || [ -f "$tmp/locale/ja_JP.UTF-8/LC_NUMERIC" ]; then
	printf '[{"summary": "x", "summary_message": {"id": "client CIDR {cidr} holds {addresses} addresses = {clients} clients at 4 addresses each, but {max} connections are allowed", "values": {"cidr": {"text": "10.0.0.0/16"}, "addresses": {"number": 65536}, "clients": {"number": 16384}, "max": {"number": 20000}}}}]' >"$tmp/big.json"
	LOCPATH=$tmp/locale LC_ALL=ja_JP.UTF-8 VPNDOCTOR_LOCALEDIR=$loc "$golden" --render "$tmp/big.json" |
		grep -qF '10.0.0.0/16のアドレスは65,536個で、1クライアントあたり4アドレスでは16,384クライアント分しかありませんが、許可されている接続数は20,000です' ||
		fail "ja_JP.UTF-8: thousands not grouped"
	LC_ALL=C "$golden" --render "$tmp/big.json" | grep -qF 'holds 65536 addresses = 16384 clients' || fail "C: numbers grouped"
else
	fail "localedef ja_JP.UTF-8 (the locales package has its source)"
fi

# --- every command's --help, and its errors -------------------------------------------
for cmd in "" status check watch history facts config causes explain lint fleet timeline report; do
	# shellcheck disable=SC2086
	ja $cmd --help >"$tmp/help" 2>&1 || fail "'$cmd --help' under LANGUAGE=ja"
	LC_ALL=C.UTF-8 grep -qP '[\x{3040}-\x{30ff}]' "$tmp/help" || fail "'$cmd --help' not in Japanese: $(head -3 "$tmp/help")"
	# shellcheck disable=SC2086
	LC_ALL=C VPNDOCTOR_LOCALEDIR=/nonexistent "$vd" $cmd --help >"$tmp/help.plain" 2>&1 || fail "'$cmd --help'"
	# no line wider than 78 columns, or than the English one's widest (and
	# "使い方:", a column wider than "usage:")
	w=$(cols <"$tmp/help.plain" | sort -n | tail -1)
	[ "$(cols <"$tmp/help" | sort -n | tail -1)" -le $((w > 78 ? w + 1 : 78)) ] || fail "'$cmd --help': a line too wide"
	# shellcheck disable=SC2086
	c $cmd --help 2>&1 | cmp -s - "$tmp/help.plain" || fail "'$cmd --help' in C changes with translations reachable"
	LC_ALL=C.UTF-8 grep -qP '[^\x00-\x7f]' "$tmp/help.plain" && fail "'$cmd --help' in C is not ASCII"
done
# the notifier's --help and settings errors
vn=$VD_BIN/vpndoctor-notify
LC_ALL=C.UTF-8 LANGUAGE=ja VPNDOCTOR_LOCALEDIR=$loc "$vn" --help >"$tmp/nhelp"
grep -q '^使い方: vpndoctor-notify \[OPTION\]\.\.\.$' "$tmp/nhelp" || fail "vpndoctor-notify --help in Japanese"
LC_ALL=C VPNDOCTOR_LOCALEDIR=/nonexistent "$vn" --help >"$tmp/nhelp.plain"
[ "$(cols <"$tmp/nhelp" | sort -n | tail -1)" -le "$(cols <"$tmp/nhelp.plain" | sort -n | tail -1)" ] ||
	fail "vpndoctor-notify --help: wider than the English"
LC_ALL=C VPNDOCTOR_LOCALEDIR=$loc "$vn" --help | cmp -s - "$tmp/nhelp.plain" || fail "vpndoctor-notify --help in C"
printf '[Notify]\nInterval=abc\n' >"$tmp/notify.conf"
LC_ALL=C.UTF-8 LANGUAGE=ja VPNDOCTOR_LOCALEDIR=$loc "$vn" -c "$tmp/notify.conf" 2>"$tmp/err" && fail "bad settings accepted"
grep -qF "$tmp/notify.conf:2: Interval=: 'abc'は0～86400の秒数ではありません" "$tmp/err" ||
	fail "the notifier's settings error in Japanese: $(cat "$tmp/err")"
LC_ALL=C "$vn" -c "$tmp/notify.conf" 2>"$tmp/err" && fail "bad settings accepted"
grep -qF "$tmp/notify.conf:2: Interval=: 'abc' is not a number of seconds from 0 to 86400" "$tmp/err" ||
	fail "the notifier's settings error in C: $(cat "$tmp/err")"

errs() { ja "$@" >/dev/null 2>"$tmp/err" || true; }
errs --no-such-option
grep -q "^vpndoctor: 不明なオプションです: '--no-such-option'$" "$tmp/err" || fail "unknown option: $(head -1 "$tmp/err")"
errs explain no-such-cause
grep -q "^vpndoctor: 不明な原因です: 'no-such-cause'（「vpndoctor causes」を参照）$" "$tmp/err" ||
	fail "explain of an unknown cause: $(cat "$tmp/err")"
errs status
grep -q "^vpndoctor: .*のvpndoctordに接続できません: " "$tmp/err" || fail "status without a daemon: $(cat "$tmp/err")"
errs history --since yesterday
grep -qF 'vpndoctor: --since: 日時ではありません: yesterday' "$tmp/err" || fail "history --since: $(cat "$tmp/err")"
errs lint
grep -qF 'vpndoctor lint: プロファイルが指定されていません。' "$tmp/err" || fail "lint without a profile: $(cat "$tmp/err")"

# --- lint: its listing and findings ----------------------------------------------------
mkdir "$tmp/prof"
printf 'client\ndev tun\nproto udp\nremote vpn.example.com 1194\nca ca.crt\ncert client.crt\nkey client.key\ncomp-lzo\n' \
	>"$tmp/prof/office.ovpn"
(cd "$tmp/prof" && ja lint office.ovpn) >"$tmp/lint.ja" || [ $? -eq 2 ] || fail "lint: exit status"
for p in '^プロファイル office.ovpn$' '^  接続先  vpn.example.com ポート 1194/udp$' '^  問題4件（ファイル内の順）:$' \
	'^    5行目      エラー  caファイル.*/prof/ca.crtが存在しません$' '^    8行目      情報    comp-lzoは非推奨です。' \
	'^  エラー  SSLサーバーまたはクライアントの設定が無効 \[config-invalid\]$' \
	'^          caファイル' '（office.ovpnの5行目）' '（ほか3件）' '^          対処: VPN Gateway'; do
	grep -q -- "$p" "$tmp/lint.ja" || { cat "$tmp/lint.ja"; fail "lint in Japanese: no '$p'"; }
done
# the findings' paragraphs wrapped within 78 columns (the problem list is one line each)
sed -n '/^  エラー/,$p' "$tmp/lint.ja" | cols | awk '$1 > 78 { exit 1 }' || fail "lint: a finding line wider than 78 columns"
(cd "$tmp/prof" && LC_ALL=C VPNDOCTOR_LOCALEDIR=/nonexistent "$vd" lint office.ovpn) >"$tmp/lint.plain" || true
(cd "$tmp/prof" && c lint office.ovpn) >"$tmp/lint.c" || true
cmp -s "$tmp/lint.c" "$tmp/lint.plain" || fail "lint in C changes with translations reachable"
grep -q '^    line 5     error   the ca file .*/prof/ca.crt does not exist$' "$tmp/lint.plain" &&
	grep -q '^  error    The SSL server or client configuration is invalid \[config-invalid\]$' "$tmp/lint.plain" &&
	grep -q '^           Fix: Download the client configuration again' "$tmp/lint.plain" || {
	cat "$tmp/lint.plain"
	fail "lint in C is not the English it was"
}
(cd "$tmp/prof" && ja lint --json office.ovpn) >"$tmp/lint.ja.json" || true
(cd "$tmp/prof" && "$vd" lint --json office.ovpn) >"$tmp/lint.json" || true
cmp -s "$tmp/lint.ja.json" "$tmp/lint.json" || fail "lint --json differs under LANGUAGE=ja"

# --- lint: the directive check's and the parser's sentences ----------------------------
# Every word of `lint` in Japanese: the problems of lib/ovpn_config.c too; in C
# the English it always printed, byte for byte.
printf 'client\ndev tun\nproto sctp\nremote vpn.example.com 1194\nfrob 1\nverb\nclient-to-client\n'\
'ncp-disable\nblock-outside-dns\nremote-cert-tls\n<connection>\nremote b 1194\nmute 3\n</connection>\n'\
'<connection>\nport 1\n</connection>\n<dev>\ntun\n</dev>\nauth-user-pass\n<ca>\nx\n</ca>\n' >"$tmp/prof/check.ovpn"
(cd "$tmp/prof" && ja lint check.ovpn) >"$tmp/check.ja" && fail "lint check.ovpn: exit 0"
while IFS='|' read -r line what; do
	grep -qF -- "    ${line}行目$(printf '%*s' $((7 - ${#line})) '')エラー  $what" "$tmp/check.ja" ||
		{ cat "$tmp/check.ja"; fail "lint in Japanese: no line $line '$what'"; }
done <<'EOF2'
3|'sctp'はOpenVPNが対応していないプロトコルです
5|不明なオプション'frob'です（OpenVPNは「Unrecognized option」を報告します）
6|verbの引数は1個ですが、0個指定されています
7|client-to-clientはサーバー専用のオプションです（--mode serverが必要です）
8|ncp-disableはOpenVPN 2.6で廃止されたオプションです。このバージョン以降では受け付けられません
9|block-outside-dnsはWindows版OpenVPN専用のオプションです。Linux版OpenVPNでは受け付けられません
10|remote-cert-tlsの引数は1個ですが、0個指定されています
13|muteは<connection>ブロックの中では使えません
15|<connection>ブロックにremoteがありません（OpenVPNではブロックごとにちょうど1つ必要です）
18|devはインラインブロック<dev>として書くことはできません
EOF2
# the finding's summary, its wrapped lines joined
sed -n '/^  エラー  SSLサーバー/,/^          対処/p' "$tmp/check.ja" | sed '1d;$d;s/^ *//' | tr -d '\n' |
	grep -qxF "'sctp'はOpenVPNが対応していないプロトコルです（check.ovpnの3行目）（ほか10件）" ||
	fail "lint: the finding's summary in Japanese"
# no sentence of the problem list left in English
sed -n '/ファイル内の順/,/^$/p' "$tmp/check.ja" | grep -E '(option|unknown|takes|argument|block|protocol) ' &&
	fail "lint: a problem in English under LANGUAGE=ja"
(cd "$tmp/prof" && c lint check.ovpn) >"$tmp/check.c" || true
for want in "    line 3     error   bad protocol 'sctp'" \
	"    line 5     error   unknown option 'frob' (OpenVPN: Unrecognized option)" \
	"    line 6     error   option 'verb' takes 1 argument, not 0" \
	"    line 7     error   option 'client-to-client' is server-only: it requires --mode server" \
	"    line 8     error   option 'ncp-disable' was removed in OpenVPN 2.6; newer versions refuse it" \
	"    line 9     error   option 'block-outside-dns' exists only in OpenVPN for Windows; OpenVPN on Linux refuses it" \
	"    line 13    error   option 'mute' cannot be used in a <connection> block" \
	"    line 15    error   <connection> block has no 'remote' (OpenVPN needs exactly one per block)" \
	"    line 18    error   option 'dev' cannot be an inline <dev> block" \
	"           bad protocol 'sctp' (check.ovpn line 3), and 10 more"; do
	grep -qxF -- "$want" "$tmp/check.c" || { cat "$tmp/check.c"; fail "lint in C: no '$want'"; }
done
(cd "$tmp/prof" && LC_ALL=C VPNDOCTOR_LOCALEDIR=/nonexistent "$vd" lint check.ovpn) >"$tmp/check.plain" || true
cmp -s "$tmp/check.plain" "$tmp/check.c" || fail "lint check.ovpn in C changes with translations reachable"
# the problems' kinds as before: unknown directives apart from bad arguments
(cd "$tmp/prof" && "$vd" lint --json check.ovpn) >"$tmp/check.json" || true
(cd "$tmp/prof" && ja lint --json check.ovpn) >"$tmp/check.ja.json" || true
cmp -s "$tmp/check.ja.json" "$tmp/check.json" || fail "lint --json differs under LANGUAGE=ja"
/usr/bin/python3 - "$tmp/check.json" <<'PY' || fail "lint --json: the problems' codes"
import json, sys
ev = json.load(open(sys.argv[1]))["findings"][0]["evidence"]
codes = [v.rsplit(" [", 1)[1].rstrip("]") for k, v in sorted(ev.items()) if k.startswith("problem_")]
assert codes.count("unknown-directive") == 3 and codes.count("bad-arguments") == 7, codes
PY
# the parser's errors: the profile cannot be read as options at all
parse_case() { # TEXT JAPANESE ENGLISH
	printf '%b' "$1" >"$tmp/prof/p.ovpn"
	(cd "$tmp/prof" && ja lint p.ovpn) >"$tmp/p.ja" || true
	# the finding's summary (one problem: no list), its wrapped lines joined
	sed -n '/^  エラー  SSLサーバー/,/^          対処/p' "$tmp/p.ja" | sed '1d;$d;s/^ *//' | tr -d '\n' |
		grep -qxF -- "$2" || { cat "$tmp/p.ja"; fail "lint: the parser's error in Japanese: not '$2'"; }
	(cd "$tmp/prof" && c lint p.ovpn) >"$tmp/p.c" || true
	sed -n '/^  error    The SSL server/,/^           Fix:/p' "$tmp/p.c" | sed '1d;$d;s/^ *//' | paste -sd' ' |
		grep -qxF -- "$3" || { cat "$tmp/p.c"; fail "lint: the parser's error in C: not '$3'"; }
}
parse_case 'client\n<ca>\nAAAA\n</cert>\n' \
	'インラインブロック<ca>が閉じられていません。4行目の</cert>は対応する終了タグではなく、</ca>がありません（p.ovpnの2行目）' \
	'inline block <ca> is not closed: </cert> at line 4 does not match, endtag </ca> missing (p.ovpn line 2)'
parse_case 'client\nremote "vpn\n' '閉じる引用符（"）がありません（p.ovpnの2行目）' 'no closing quotation (") (p.ovpn line 2)'
parse_case '<connection>\nremote a\n<connection>\n</connection>\n' \
	'1行目から始まる<connection>ブロックの中に<connection>があります。ブロックは入れ子にできません（p.ovpnの3行目）' \
	'<connection> inside the <connection> block of line 1: blocks cannot nest (p.ovpn line 3)'
parse_case "remote $(printf 'a%.0s' $(seq 300))\n" \
	'行の長さが308文字あります。OpenVPNがオプション1行として読み込めるのは255文字までです（OpenVPNは「Maximum option line length exceeded」を報告します）（p.ovpnの1行目）' \
	'line is 308 characters long; OpenVPN reads at most 255 per option line (Maximum option line length exceeded) (p.ovpn line 1)'

# --- --json is the same in any locale ---------------------------------------------
"$vd" causes --json >"$tmp/c.json"
ja causes --json | cmp -s - "$tmp/c.json" || fail "causes --json differs under LANGUAGE=ja"
ja explain clock-skew --json | cmp -s - <("$vd" explain clock-skew --json) || fail "explain --json differs"

# --- the C locale: byte for byte as without translations ----------------------------
for args in "causes" "explain clock-skew" "explain long-distance-udp" "explain other" "explain udp-blocked"; do
	# shellcheck disable=SC2086
	LC_ALL=C VPNDOCTOR_LOCALEDIR=/nonexistent "$vd" $args >"$tmp/plain"
	# shellcheck disable=SC2086
	c $args | cmp -s - "$tmp/plain" || fail "'$args' in the C locale changes with translations reachable"
	# shellcheck disable=SC2086
	LC_ALL=C LANGUAGE=ja VPNDOCTOR_LOCALEDIR=$loc "$vd" $args | cmp -s - "$tmp/plain" ||
		fail "'$args': LANGUAGE=ja under LC_ALL=C changed the output (gettext ignores it in C)"
	# shellcheck disable=SC2086
	LC_ALL=C.UTF-8 VPNDOCTOR_LOCALEDIR=$loc "$vd" $args | cmp -s - "$tmp/plain" ||
		fail "'$args': C.UTF-8 without LANGUAGE is not English"
done
grep -q '^clock-skew  *error  *Client and server clocks differ; TLS verification fails$' <(c causes) ||
	fail "causes in C is not the English table"
echo ok
