#!/bin/bash
# The journal catalog generated from the cause table: one entry per cause, and
# one "-- ID ja" entry per cause from po/ja.po; journalctl itself accepts it
# (--update-catalog into a scratch root, then --list-catalog names every
# MESSAGE_ID with its title) and, under a Japanese locale, shows the Japanese
# entries. journalctl picks the language from the locale's name (LANGUAGE does
# not count), so the test compiles ja_JP.UTF-8 into its own directory
# (localedef, LOCPATH): nothing is installed on the machine.
# vd-tier: check (no root, no daemon)
set -euo pipefail
cat=$VD_BIN/../packaging/vpndoctor.catalog
vd=$VD_BIN/vpndoctor
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -s "$cat" ] || fail "no catalog at $cat"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The ids and titles from the table itself, as the CLI shows them.
"$vd" causes --json | /usr/bin/python3 -c '
import json, sys
for c in json.load(sys.stdin)["causes"]:
    print(c["message_id"], c["id"], c["title"], sep="\t")' > "$tmp/causes.tsv"
n=$(wc -l < "$tmp/causes.tsv")
[ "$n" -eq 31 ] || fail "expected 31 causes, got $n"

# One "-- ID" header per cause and one "-- ID ja", each once, and nothing else
# starts with "-- ".
grep -c '^-- [0-9a-f]\{32\}$' "$cat" > "$tmp/n"
[ "$(cat "$tmp/n")" -eq "$n" ] || fail "catalog has $(cat "$tmp/n") entries, table has $n"
[ "$(grep -c '^-- [0-9a-f]\{32\} ja$' "$cat")" -eq "$n" ] || fail "not one ja entry per cause"
[ "$(grep -c '^-- ' "$cat")" -eq $((2 * n)) ] || fail "other '-- ' lines"
[ "$(grep '^-- ' "$cat" | sort -u | wc -l)" -eq $((2 * n)) ] || fail "duplicate entries"
while IFS=$'\t' read -r mid id title; do
	grep -qx -- "-- $mid" "$cat" || fail "$id: no entry for $mid"
	grep -qx -- "-- $mid ja" "$cat" || fail "$id: no ja entry for $mid"
done < "$tmp/causes.tsv"
[ "$(grep -c '^Defined-By: vpndoctor$' "$cat")" -eq $((2 * n)) ] || fail "Defined-By missing"
[ "$(grep -c '^Documentation: man:vpndoctor(1)$' "$cat")" -eq $((2 * n)) ] || fail "Documentation missing"
[ "$(grep -c '^Support: ' "$cat")" -eq $((2 * n)) ] || fail "Support missing"

# journalctl's own parser.
mkdir -p "$tmp/root/usr/lib/systemd/catalog"
cp "$cat" "$tmp/root/usr/lib/systemd/catalog/vpndoctor.catalog"
journalctl --root="$tmp/root" --update-catalog || fail "journalctl --update-catalog rejected it"
journalctl --root="$tmp/root" --list-catalog > "$tmp/list"
while IFS=$'\t' read -r mid id title; do
	grep -qxF -- "$mid vpndoctor: $title" "$tmp/list" || fail "$id: '$mid vpndoctor: $title' not listed"
done < "$tmp/causes.tsv"
[ "$(wc -l < "$tmp/list")" -eq "$n" ] || fail "journalctl lists $(wc -l < "$tmp/list") entries"

# The text of one entry carries the FAQ's numbers and the field substitutions.
journalctl --root="$tmp/root" --dump-catalog 645fdcb4f8ca40f7a04be1dc0e32dd5b > "$tmp/skew"
grep -q '^Subject: Client and server clocks differ' "$tmp/skew" || fail "clock-skew subject"
grep -q '10 minutes (600 s)' "$tmp/skew" || fail "clock-skew text lost the 600 s limit"
grep -q '@VPNDOCTOR_SUMMARY@' "$tmp/skew" || fail "no @VPNDOCTOR_SUMMARY@ substitution"
echo "ok: $n catalog entries accepted by journalctl"

# --- Japanese: what journalctl shows under ja_JP.UTF-8 -----------------------------
mkdir "$tmp/locale"
localedef -i ja_JP -f UTF-8 "$tmp/locale/ja_JP.UTF-8" 2>"$tmp/localedef" ||
	[ -f "$tmp/locale/ja_JP.UTF-8/LC_MESSAGES/SYS_LC_MESSAGES" ] ||
	{ cat "$tmp/localedef"; fail "localedef ja_JP.UTF-8 (the locales package has its source)"; }
jaj() { LOCPATH=$tmp/locale LC_ALL=ja_JP.UTF-8 journalctl --root="$tmp/root" "$@"; }
# The Japanese titles, as vpndoctor prints them under a Japanese locale.
VPNDOCTOR_LOCALEDIR=$VD_BIN/../locale LC_ALL=C.UTF-8 LANGUAGE=ja "$vd" causes |
	awk 'NR > 1 { id = $1; $1 = ""; $2 = ""; sub(/^ +/, ""); print id "\t" $0 }' > "$tmp/ja.tsv"
[ "$(wc -l < "$tmp/ja.tsv")" -eq "$n" ] || fail "vpndoctor causes in Japanese: $(wc -l < "$tmp/ja.tsv") rows"
jaj --list-catalog > "$tmp/list.ja"
[ "$(wc -l < "$tmp/list.ja")" -eq "$n" ] || fail "journalctl lists $(wc -l < "$tmp/list.ja") entries in Japanese"
while IFS=$'\t' read -r mid id title; do
	jtitle=$(awk -F'\t' -v id="$id" '$1 == id { print $2 }' "$tmp/ja.tsv")
	[ -n "$jtitle" ] && [ "$jtitle" != "$title" ] || fail "$id: no Japanese title"
	grep -qxF -- "$mid vpndoctor: $jtitle" "$tmp/list.ja" || fail "$id: '$mid vpndoctor: $jtitle' not listed under ja_JP"
done < "$tmp/causes.tsv"
jaj --dump-catalog 645fdcb4f8ca40f7a04be1dc0e32dd5b > "$tmp/skew.ja"
grep -q '^Subject: クライアントとサーバーの時刻差によりSSL検証が失敗$' "$tmp/skew.ja" || fail "clock-skew: Japanese subject"
grep -q '10分（600秒）' "$tmp/skew.ja" || fail "clock-skew: the 10-minute limit in Japanese"
grep -q '^対処方法:$' "$tmp/skew.ja" || fail "clock-skew: Japanese remedy heading"
grep -q '@VPNDOCTOR_SUMMARY@' "$tmp/skew.ja" || fail "clock-skew ja: no @VPNDOCTOR_SUMMARY@ substitution"
grep -q '^原因ID: clock-skew（重大度: エラー）' "$tmp/skew.ja" || fail "clock-skew: the Japanese last line"
for c in "a7abacc983bc4046ad0806e2e2539c81:1クライアントあたり4アドレス" "858ffa53464843b1b64ea1764512007b:2.6.6" \
	"b7354e3d91ab40f2a10d1c751d15a647:2021年4月1日" "3162a0430f394ef2b422f8179464cab1:（CEN）"; do
	jaj --dump-catalog "${c%%:*}" | grep -qF -- "${c#*:}" || fail "${c%%:*}: no '${c#*:}' in Japanese"
done
# Every line within 76 columns but the last one of each entry (the id line).
/usr/bin/python3 - "$cat" <<'PY' || fail "a Japanese catalog line wider than 76 columns"
import sys, unicodedata
w = lambda s: sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
ja = False
for line in open(sys.argv[1], encoding="utf-8").read().splitlines():
    if line.startswith("-- "):
        ja = line.endswith(" ja")
    elif ja and w(line) > 76 and not line.startswith(("原因ID:", "Subject:", "vpndoctor、", "  * ")):
        sys.exit(f"{w(line)} columns: {line}")
PY
# The C locale still gets English.
LC_ALL=C journalctl --root="$tmp/root" --dump-catalog 645fdcb4f8ca40f7a04be1dc0e32dd5b | grep -q '^Subject: Client and server' ||
	fail "clock-skew in the C locale is not English"
echo "ok: $n Japanese entries shown by journalctl under ja_JP.UTF-8"
