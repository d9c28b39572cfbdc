#!/bin/bash
# The systemd units pass `systemd-analyze verify` (syntax, the programs of this
# build, the units they name, the man pages of Documentation=), and agree with
# each other and with sysusers.d: the socket is the group's, 0660, and not in
# a RuntimeDirectory of the service (systemd would delete it on service stop).
set -euo pipefail
: "${VD_SRC:?}" "${VD_BIN:?}"
sd=$VD_SRC/packaging/systemd
build=$(cd "$VD_BIN/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

for p in vpndoctord vpndoctor-notify; do
	[[ -x $VD_BIN/$p ]] || fail "$VD_BIN/$p not built"
done

# The units as installed, with the programs of this build.
mkdir -p "$tmp/units" "$tmp/xdg"
chmod 700 "$tmp/xdg"
sed "s#^ExecStart=/usr/sbin/vpndoctord\$#ExecStart=$VD_BIN/vpndoctord#" \
	"$sd/vpndoctord.service" >"$tmp/units/vpndoctord.service"
sed "s#^ExecStart=/usr/bin/vpndoctor-notify\$#ExecStart=$VD_BIN/vpndoctor-notify#" \
	"$sd/vpndoctor-notify.service" >"$tmp/units/vpndoctor-notify.service"
cp "$sd/vpndoctord.socket" "$tmp/units/"
grep -q "^ExecStart=$VD_BIN/vpndoctord\$" "$tmp/units/vpndoctord.service" ||
	fail "vpndoctord.service: ExecStart is not /usr/sbin/vpndoctord"
grep -q "^ExecStart=$VD_BIN/vpndoctor-notify\$" "$tmp/units/vpndoctor-notify.service" ||
	fail "vpndoctor-notify.service: ExecStart is not /usr/bin/vpndoctor-notify"

# The man pages this build made, where man(1) finds them.
[[ -d $build/man ]] || fail "no man pages in $build/man (scdoc missing?)"
for page in "$build"/man/*.[0-9]; do
	s=${page##*.}
	mkdir -p "$tmp/man/man$s"
	cp "$page" "$tmp/man/man$s/"
done

cd "$tmp/units"
export MANPATH=$tmp/man XDG_RUNTIME_DIR=$tmp/xdg
out=$(systemd-analyze verify vpndoctord.service vpndoctord.socket 2>&1) ||
	{ echo "$out"; fail "systemd-analyze verify of the system units"; }
[[ -z $out ]] || { echo "$out"; fail "systemd-analyze verify complains"; }
out=$(systemd-analyze --user verify vpndoctor-notify.service 2>&1) ||
	{ echo "$out"; fail "systemd-analyze --user verify vpndoctor-notify.service"; }
[[ -z $out ]] || { echo "$out"; fail "systemd-analyze --user verify complains"; }
echo "systemd-analyze verify: clean"

# key FILE KEY: the values of KEY (space-separated lists split), one a line.
key() { sed -n "s/^$2=//p" "$1" | tr ' ' '\n' | sed '/^$/d'; }

svc=$sd/vpndoctord.service sock=$sd/vpndoctord.socket
listen=$(key "$sock" ListenStream)
[[ $(wc -l <<<"$listen") -eq 1 && $listen == /* ]] || fail "socket: one ListenStream path expected, got '$listen'"
[[ $listen == /run/* ]] || fail "socket: $listen is not under /run"
for rd in $(key "$svc" RuntimeDirectory); do
	case $listen in
	/run/"$rd"/*) fail "socket $listen is inside the service's RuntimeDirectory=$rd" ;;
	esac
done
# A Requires=/After= pair ties the service to the socket that passes it the fd.
grep -q '^Requires=.*vpndoctord\.socket' "$svc" || fail "service does not require the socket"
[[ $(key "$sock" SocketMode) == 0660 ]] || fail "socket: SocketMode is not 0660"

# The identities the units use exist in sysusers.d (or, for systemd-journal,
# are systemd's own).
sysusers=$sd/vpndoctor.sysusers
user=$(key "$svc" User) group=$(key "$svc" Group) sockgroup=$(key "$sock" SocketGroup)
awk -v u="$user" '$1 == "u" && $2 == u { f = 1 } END { exit !f }' "$sysusers" ||
	fail "User=$user is not made by $sysusers"
for g in "$group" "$sockgroup"; do
	# 'u NAME' makes the group NAME too; 'g NAME' only the group.
	awk -v g="$g" '($1 == "u" || $1 == "g") && $2 == g { f = 1 } END { exit !f }' "$sysusers" ||
		fail "group $g is not made by $sysusers"
done
[[ $sockgroup == vpndoctor ]] || fail "socket: SocketGroup is $sockgroup, not vpndoctor"
# sysusers.d syntax, as systemd-sysusers reads it, in a scratch root.
mkdir -p "$tmp/root/etc"
out=$(systemd-sysusers --root="$tmp/root" "$sysusers" 2>&1) ||
	{ echo "$out"; fail "systemd-sysusers refuses $sysusers"; }
grep -q "^vpndoctor:x:[0-9]*:[0-9]*:VPN diagnostics daemon:/var/lib/vpndoctor:/usr/sbin/nologin\$" \
	"$tmp/root/etc/passwd" || { cat "$tmp/root/etc/passwd"; fail "sysusers made no vpndoctor user"; }
grep -q '^vpndoctor:x:' "$tmp/root/etc/group" || fail "sysusers made no vpndoctor group"
echo "socket $listen (group $sockgroup, 0660), user $user: consistent"
echo "PASS"
