#!/bin/bash
# The journal catalog generated from the cause table: one entry per cause, and
# journalctl itself accepts it (--update-catalog into a scratch root, then
# --list-catalog names every MESSAGE_ID with its title).
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
[ "$n" -eq 27 ] || fail "expected 27 causes, got $n"

# One "-- ID" header per cause, each id once, and nothing else starts with "-- ".
grep -c '^-- ' "$cat" > "$tmp/n"
[ "$(cat "$tmp/n")" -eq "$n" ] || fail "catalog has $(cat "$tmp/n") entries, table has $n"
[ "$(grep '^-- ' "$cat" | sort -u | wc -l)" -eq "$n" ] || fail "duplicate entries"
while IFS=$'\t' read -r mid id title; do
	grep -qx -- "-- $mid" "$cat" || fail "$id: no entry for $mid"
done < "$tmp/causes.tsv"
[ "$(grep -c '^Defined-By: vpndoctor$' "$cat")" -eq "$n" ] || fail "Defined-By missing"
[ "$(grep -c '^Documentation: man:vpndoctor(1)$' "$cat")" -eq "$n" ] || fail "Documentation missing"
[ "$(grep -c '^Support: ' "$cat")" -eq "$n" ] || fail "Support missing"

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
