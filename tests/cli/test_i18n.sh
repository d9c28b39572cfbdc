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
[ "$(wc -l <"$tmp/causes")" -eq 28 ] || fail "causes: 27 rows and a header"
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
	'Smart Access' 'Gateway（SAG）' '^保持時間:  *90秒（最後に検出したチェックから）$'
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
