#!/bin/bash
# Every message of the sources (po/vpndoctor.pot, extracted by xgettext at build
# time) is translated in every po/LANG.po: none missing, none untranslated,
# none fuzzy, none left over from a message that is gone, and msgfmt --check
# (formats, plural forms, header) passes. A new or changed string fails here
# until it is translated (`cmake --build build --target update-po` merges it);
# so does a translation that loses or misspells a {placeholder} of its message.
# The checker itself is shown to fail on a copy with each of those defects.
set -euo pipefail
: "${VD_SRC:?}" "${VD_BIN:?}"
pot=$VD_BIN/../po/vpndoctor.pot
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C # msgfmt's statistics in English, to be parsed

[ -s "$pot" ] || fail "no $pot (the build extracts it)"
# The number of messages the sources have: the template's untranslated ones.
s=$(msgfmt --statistics -o /dev/null "$pot" 2>&1)
[[ $s =~ ^0\ translated\ messages,\ ([0-9]+)\ untranslated\ messages?\.$ ]] || fail "template: $s"
want=${BASH_REMATCH[1]}
((want > 100)) || fail "only $want messages in the template"

# check_po PO: prints what is wrong with PO against the template, exit 1 if anything.
check_po() {
	local po=$1 s bad=0
	if ! s=$(msgfmt --check --statistics -o /dev/null "$po" 2>&1); then
		echo "$po: msgfmt --check: $s"
		return 1
	fi
	if ! [[ $s =~ ^([0-9]+)\ translated\ messages?\.$ ]]; then
		echo "$po: not every message translated: $s"
		bad=1
	elif [ "${BASH_REMATCH[1]}" -ne "$want" ]; then
		echo "$po: ${BASH_REMATCH[1]} translated messages, the sources have $want"
		bad=1
	fi
	# each msgid of the template translated (not fuzzy) in PO
	msgcmp "$po" "$pot" >"$tmp/cmp" 2>&1 || { sed 's/^/  /' "$tmp/cmp"; bad=1; }
	# and each msgid of PO still in the template
	msgcmp --use-untranslated "$pot" "$po" >"$tmp/cmp" 2>&1 ||
		{ echo "$po: messages no longer in the sources:"; sed 's/^/  /' "$tmp/cmp"; bad=1; }
	if [ -n "$(msgattrib --only-obsolete "$po")" ]; then
		echo "$po: obsolete (#~) entries left"
		bad=1
	fi
	# the {name} placeholders of a message (vpndoctor/message.h) all kept
	msgattrib --no-wrap -o "$tmp/nowrap.po" "$po"
	/usr/bin/python3 "$VD_SRC/tests/cli/po_placeholders.py" "$tmp/nowrap.po" || bad=1
	return $bad
}

n=0
while read -r lang; do
	case $lang in '' | '#'*) continue ;; esac
	po=$VD_SRC/po/$lang.po
	[ -f "$po" ] || fail "po/LINGUAS names $lang but there is no $po"
	check_po "$po" || fail "$po is not complete"
	echo "ok: $lang: $(msgfmt --statistics -o /dev/null "$po" 2>&1)"
	n=$((n + 1))
done <"$VD_SRC/po/LINGUAS"
[ "$n" -ge 1 ] || fail "po/LINGUAS names no language"

# The checker finds each defect in a copy of ja.po.
ja=$VD_SRC/po/ja.po
expect_bad() { # WHAT FILE PATTERN
	if check_po "$2" >"$tmp/out" 2>&1; then fail "check_po misses $1"; fi
	grep -q "$3" "$tmp/out" || { cat "$tmp/out"; fail "check_po does not name $1"; }
}
# untranslated: the first message's translation emptied
awk '!d && /^msgstr "/ && seen { print "msgstr \"\""; d = 1; next } /^msgid "[^"]/ { seen = 1 } 1' "$ja" >"$tmp/untranslated.po"
expect_bad "an untranslated message" "$tmp/untranslated.po" "untranslated"
# fuzzy: the first message marked
awk '!d && /^msgid "[^"]/ { print "#, fuzzy"; d = 1 } 1' "$ja" >"$tmp/fuzzy.po"
expect_bad "a fuzzy message" "$tmp/fuzzy.po" "fuzzy"
# missing: the entry of the msgid "Remedy:" removed
awk 'BEGIN { RS = ""; ORS = "\n\n" } !/\nmsgid "Remedy:"\n/' "$ja" >"$tmp/missing.po"
expect_bad "a missing message" "$tmp/missing.po" "used but not defined"
# stale: a message the sources do not have
printf '\nmsgid "No such message"\nmsgstr "そのようなメッセージはない"\n' | cat "$ja" - >"$tmp/stale.po"
expect_bad "a message no longer in the sources" "$tmp/stale.po" "no longer in the sources"
# a broken format: %u dropped from a c-format translation
sed '0,/^msgstr "%u秒"$/s//msgstr "秒"/' "$ja" >"$tmp/format.po"
expect_bad "a translation whose format differs" "$tmp/format.po" "msgfmt --check"
# a placeholder misspelt in a translation
sed '0,/{summary}（ほか{more}件）/s//{summary}（ほか{moer}件）/' "$ja" >"$tmp/placeholder.po"
expect_bad "a misspelt placeholder" "$tmp/placeholder.po" "unknown \['moer'\]"
echo "ok: the check finds untranslated, fuzzy, missing, stale and malformed messages and lost placeholders"
