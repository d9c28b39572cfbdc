#!/bin/bash
# rule_table.sh CC SRCDIR: the rules table (lib/rules.c), the cause catalogue
# (lib/cause.c) and the list of causes (include/vpndoctor/causes.def) are
# checked against each other when they compile. The rules engine sized its
# findings by the rules table and indexed them by the catalogue, so a cause
# added before its rule (as the README's recipe goes) wrote past the end;
# now that edit must not compile. Each case compiles a copy with one edit.
set -u
cc=${1:?usage: rule_table.sh CC SRCDIR}
src=${2:?usage: rule_table.sh CC SRCDIR}
tmp=$(mktemp -d /tmp/vd-rule-table.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# compile FILE [INCDIR]: syntax and static assertions only; messages in $tmp/err
compile() {
	"$cc" -std=gnu11 -fsyntax-only -D_GNU_SOURCE ${2:+-I"$2"} -I"$src/include" "$1" >"$tmp/err" 2>&1
}
# refused FILE INCDIR WHY TEXT: FILE must not compile, and say TEXT
refused() {
	if compile "$1" "$2"; then
		fail "$3: compiles"
	elif grep -qF -- "$4" "$tmp/err"; then
		ok "$3: refused ($4)"
	else
		fail "$3: refused, but not for '$4':"
		cat "$tmp/err" >&2
	fi
}

# As they are, both compile (else the refusals below prove nothing).
compile "$src/lib/rules.c" && ok "lib/rules.c compiles" || { fail "lib/rules.c does not compile"; cat "$tmp/err" >&2; }
compile "$src/lib/cause.c" && ok "lib/cause.c compiles" || { fail "lib/cause.c does not compile"; cat "$tmp/err" >&2; }

# A cause added to the list before its rule and its catalogue entry.
mkdir -p "$tmp/new/vpndoctor"
cp "$src/include/vpndoctor/causes.def" "$tmp/new/vpndoctor/"
echo 'VD_CAUSE(NEW_CAUSE, "new-cause")' >>"$tmp/new/vpndoctor/causes.def"
refused "$src/lib/rules.c" "$tmp/new" "a cause without a rule" "has no rule"
refused "$src/lib/cause.c" "$tmp/new" "a cause without a catalogue entry" "has no catalogue entry"

# A rule for a cause that is not in the list.
sed 's/^\(\tR(CONFIG_INVALID, .*\)$/\tR(NO_SUCH_CAUSE, rule_other, NULL) \\\n\1/' "$src/lib/rules.c" >"$tmp/unknown.c"
grep -q NO_SUCH_CAUSE "$tmp/unknown.c" || fail "the test could not add a rule to lib/rules.c"
refused "$tmp/unknown.c" "" "a rule for an unknown cause" "VD_CAUSE_NO_SUCH_CAUSE"

# One cause's rule twice, another cause's missing: the counts agree, the set does not.
sed 's/^\tR(MTU_BLACKHOLE, rule_mtu_blackhole,/\tR(OTHER, rule_mtu_blackhole,/' "$src/lib/rules.c" >"$tmp/twice.c"
grep -q 'R(OTHER, rule_mtu_blackhole' "$tmp/twice.c" || fail "the test could not edit lib/rules.c"
refused "$tmp/twice.c" "" "a cause twice and another missing" "names a cause twice"

[ "$fails" -eq 0 ] || exit 1
echo "rule_table: ok"
