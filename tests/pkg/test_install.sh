#!/bin/bash
# `cmake --install` puts every file where systemd.pc (and bash-completion.pc)
# says, and nothing else: with --prefix /usr and DESTDIR exactly the expected
# tree; with --prefix X everything under X, the units calling X's programs.
set -euo pipefail
: "${VD_SRC:?}" "${VD_BIN:?}"
build=$(cd "$VD_BIN/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
pc() { pkg-config --variable="$1" systemd; }

unitdir=$(pc systemdsystemunitdir) userunitdir=$(pc systemduserunitdir)
sysusersdir=$(pc sysusersdir) catalogdir=$(pc catalogdir)
[[ -n $unitdir && -n $userunitdir && -n $sysusersdir ]] || fail "systemd.pc lacks a directory"
[[ -n $catalogdir ]] || catalogdir=$(pc prefix)/lib/systemd/catalog
compdir=$(pkg-config --variable=completionsdir bash-completion 2>/dev/null) ||
	compdir=/usr/share/bash-completion/completions

# 1. --prefix /usr into DESTDIR: exactly these files.
d=$tmp/dest
DESTDIR=$d cmake --install "$build" --prefix /usr >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "cmake --install"; }
# The packaging files: exactly these.
sort >"$tmp/want" <<EOF2
/etc/vpndoctor/vpndoctor.conf
/etc/xdg/autostart/vpndoctor-notify.desktop
$unitdir/vpndoctord.service
$unitdir/vpndoctord.socket
$userunitdir/vpndoctor-notify.service
$sysusersdir/vpndoctor.conf
$catalogdir/vpndoctor.catalog
$compdir/vpndoctor
/usr/share/varlink/io.vpndoctor.varlink
EOF2
# The programs: these three and any other of this build; a man page each, and
# one per packaging/man/*.scd (lintian's no-manual-page, found here first).
progs="/usr/bin/vpndoctor /usr/bin/vpndoctor-notify /usr/sbin/vpndoctord"
for f in "$d"/usr/bin/* "$d"/usr/sbin/*; do
	[[ -e $f ]] || continue
	n=$(basename "$f")
	[[ -x $VD_BIN/$n ]] || fail "${f#$d} is not a program of this build"
	[[ " $progs " == *" ${f#$d} "* ]] || progs="$progs ${f#$d}"
done
for p in $progs; do
	echo "$p" >>"$tmp/want"
	n=$(basename "$p")
	ls "$d"/usr/share/man/man[18]/"$n".[18] >/dev/null 2>&1 || fail "$p has no man page"
done
for src in "$VD_SRC"/packaging/man/*.scd; do
	page=$(basename "$src" .scd)
	echo "/usr/share/man/man${page##*.}/$page" >>"$tmp/want"
done
# Translated man pages (packaging/man/LANG/) and the translations (po/LINGUAS).
for src in "$VD_SRC"/packaging/man/*/*.scd; do
	[[ -e $src ]] || continue
	page=$(basename "$src" .scd) lang=$(basename "$(dirname "$src")")
	echo "/usr/share/man/$lang/man${page##*.}/$page" >>"$tmp/want"
done
while read -r lang; do
	case $lang in '' | '#'*) continue ;; esac
	echo "/usr/share/locale/$lang/LC_MESSAGES/vpndoctor.mo" >>"$tmp/want"
done <"$VD_SRC/po/LINGUAS"
sort -o "$tmp/want" "$tmp/want"
(cd "$d" && find . -type f -o -type l) | sed 's/^\.//' | sort >"$tmp/got"
diff -u "$tmp/want" "$tmp/got" || fail "installed tree differs (- expected, + installed)"
echo "DESTDIR install: the $(wc -l <"$tmp/want") expected files, nothing else"

for f in vpndoctord.service vpndoctord.socket; do
	cmp -s "$VD_SRC/packaging/systemd/$f" "$d$unitdir/$f" || fail "$unitdir/$f differs from the source"
done
cmp -s "$VD_SRC/packaging/systemd/vpndoctor-notify.service" "$d$userunitdir/vpndoctor-notify.service" ||
	fail "user unit differs from the source"
cmp -s "$VD_SRC/packaging/systemd/vpndoctor.sysusers" "$d$sysusersdir/vpndoctor.conf" ||
	fail "sysusers.d file differs from the source"

# The default config: every setting commented out (only sections, comments).
conf=$d/etc/vpndoctor/vpndoctor.conf
if grep -Ev '^[[:space:]]*(#|;|$|\[[A-Za-z]+\][[:space:]]*$)' "$conf"; then
	fail "vpndoctor.conf has an active setting"
fi
grep -q '^#[A-Za-z]*=' "$conf" || fail "vpndoctor.conf shows no commented default"

# The catalog has an entry for every cause's MESSAGE_ID, and journalctl reads it.
"$VD_BIN/vpndoctor" causes --json >"$tmp/causes.json"
ids=$(/usr/bin/python3 -c 'import json,sys; print("\n".join(c["message_id"] for c in json.load(open(sys.argv[1]))["causes"]))' "$tmp/causes.json")
[[ -n $ids ]] || fail "no MESSAGE_ID from vpndoctor causes --json"
for id in $ids; do
	grep -q "^-- ${id//-/}\b" "$d$catalogdir/vpndoctor.catalog" ||
		grep -q "^-- $id\b" "$d$catalogdir/vpndoctor.catalog" || fail "catalog has no entry for $id"
done
mkdir -p "$tmp/croot/var/lib/systemd" "$tmp/croot${catalogdir}"
cp "$d$catalogdir/vpndoctor.catalog" "$tmp/croot$catalogdir/"
journalctl --root="$tmp/croot" --update-catalog 2>"$tmp/log" || { cat "$tmp/log"; fail "journalctl --update-catalog"; }
n=$(journalctl --root="$tmp/croot" --list-catalog 2>/dev/null | wc -l)
[[ $n -eq $(wc -w <<<"$ids") ]] || fail "journalctl lists $n catalog entries, $(wc -w <<<"$ids") causes"
echo "catalog: $n entries, one per cause"
# The installed translation is the build's, and the Japanese man pages are
# valid roff that man reads without an error.
cmp -s "$build/locale/ja/LC_MESSAGES/vpndoctor.mo" "$d/usr/share/locale/ja/LC_MESSAGES/vpndoctor.mo" ||
	fail "installed vpndoctor.mo differs from the build's"
nman=0
for p in "$d"/usr/share/man/*/man[158]/*.[158]; do
	[[ -e $p ]] || continue
	nman=$((nman + 1))
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$p" 2>&1 >/dev/null) ||
		fail "man cannot format $p"
	grep -v "can't break line\|cannot adjust line" <<<"$out" | grep . && fail "man warns about ${p#$d}"
	# man-db sets the hyphenation language of the page's directory (ja), which
	# has no patterns: groff 1.22.4 then looped for ever on some lines.
	lang=${p#"$d"/usr/share/man/}
	lang=${lang%%/*}
	for w in 50 64 80; do
		{ printf '.hla %s\n' "$lang" && cat "$p"; } |
			LC_ALL=C.UTF-8 MANWIDTH=$w timeout 30 man -E UTF-8 -l -Tutf8 - >/dev/null 2>&1 ||
			fail "man cannot format ${p#$d} in $w columns with .hla $lang (exit $?)"
	done
	[[ $(lexgrog "$p") == *": \"$(basename "$p" | sed 's/\.[158]$//') - "* ]] ||
		fail "${p#$d}: no whatis entry: $(lexgrog "$p")"
done
# every translated page of the source is one of them (sections 1, 5 and 8)
[[ $nman -eq $(ls "$VD_SRC"/packaging/man/*/*.scd | wc -l) ]] ||
	fail "$nman translated man pages formatted, the source has $(ls "$VD_SRC"/packaging/man/*/*.scd | wc -l)"
echo "translations: vpndoctor.mo and $nman translated man pages"

# The completion: valid bash; explain completes to exactly the catalogue.
comp=$d$compdir/vpndoctor
bash -n "$comp" || fail "completion is not valid bash"
want=$(/usr/bin/python3 -c 'import json,sys; print(" ".join(sorted(c["id"] for c in json.load(open(sys.argv[1]))["causes"])))' "$tmp/causes.json")
got=$(bash -c 'source "$1"; COMP_WORDS=(vpndoctor explain ""); COMP_CWORD=2; _vpndoctor
	printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$comp")
[[ ${got% } == "$want" ]] || fail "completion of 'explain': '$got', want '$want'"
got=$(bash -c 'source "$1"; COMP_WORDS=(vpndoctor --json check --probe cl); COMP_CWORD=4; _vpndoctor
	echo "${COMPREPLY[*]}"' _ "$comp")
[[ $got == clock ]] || fail "completion of 'check --probe cl': '$got'"
got=$(bash -c 'source "$1"; COMP_WORDS=(vpndoctor ""); COMP_CWORD=1; _vpndoctor
	echo "${COMPREPLY[*]}"' _ "$comp")
for c in status check watch history lint causes explain; do
	[[ " $got " == *" $c "* ]] || fail "completion of commands lacks $c: '$got'"
done
echo "completion: commands, $(wc -w <<<"$want") cause ids, probe names"

# 2. --prefix X without DESTDIR: nothing outside X, units call X's programs.
x=$tmp/px
cmake --install "$build" --prefix "$x" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "cmake --install --prefix"; }
outside=$(grep -v "^$x/" "$build/install_manifest.txt" || true)
[[ -z $outside ]] || { echo "$outside"; fail "--prefix $x installed outside it"; }
n=$(grep -c "" "$build/install_manifest.txt")
[[ $n -eq $(wc -l <"$tmp/want") ]] || fail "--prefix $x installed $n files"
grep -qx "ExecStart=$x/sbin/vpndoctord" "$x/lib/systemd/system/vpndoctord.service" ||
	fail "vpndoctord.service under --prefix $x does not run $x/sbin/vpndoctord"
grep -qx "ExecStart=$x/bin/vpndoctor-notify" "$x/lib/systemd/user/vpndoctor-notify.service" ||
	fail "user unit under --prefix $x does not run $x/bin/vpndoctor-notify"
[[ -f $x/etc/vpndoctor/vpndoctor.conf ]] || fail "no $x/etc/vpndoctor/vpndoctor.conf"
echo "--prefix $x: $n files, all under it"
echo "PASS"
