#!/bin/bash
# The Debian package: built with dpkg-buildpackage (packaging/build-deb.sh, as
# `make deb`), lintian --pedantic finds no error and no warning, and on this
# machine it installs (user, group, units enabled, catalog in journalctl's
# database, conffile) and purges cleanly. Debian keeps a sysusers user on purge
# (files it owned may remain anywhere, and its id must not be reused), so the
# test checks the user is still there, then removes it itself when it made it,
# to leave the machine as it found it. PID 1 need not be systemd: the
# maintainer scripts then enable the units without starting them.
set -euo pipefail
: "${VD_SRC:?}" "${VD_BIN:?}"
build=$(cd "$VD_BIN/.." && pwd)
out=$build/deb
fail() { echo "FAIL: $*"; exit 1; }
t0=$(date +%s)

if [[ $(id -u) -ne 0 ]]; then
	echo "SKIP: installing a package needs root" >&2
	exit 77
fi
for p in dpkg-buildpackage dh lintian; do
	command -v "$p" >/dev/null || fail "$p missing (make deps installs it)"
done

# 1. Build.
sh "$VD_SRC/packaging/build-deb.sh" "$out" || fail "package build"
ver=$(dpkg-parsechangelog -l "$VD_SRC/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
deb=$out/vpndoctor_${ver}_${arch}.deb
changes=$out/vpndoctor_${ver}_${arch}.changes
[[ -f $deb && -f $changes && -f $out/vpndoctor_${ver}_${arch}.buildinfo && -f $out/vpndoctor_${ver}.dsc ]] ||
	fail "dpkg-buildpackage made no .deb/.changes/.buildinfo/.dsc"
echo "built $(basename "$deb") in $(($(date +%s) - t0)) s"

# 2. lintian on the .changes: the .dsc, the .debs and the .buildinfo.
# lintian leaves its MLDBM caches (mldbm-elf-*) in TMPDIR: give it one of its
# own, removed at once.
ltmp=$(mktemp -d /tmp/vd-lintian-XXXXXX)
lint=$(TMPDIR=$ltmp lintian --pedantic --display-info --fail-on error,warning "$changes" 2>&1) && rc=0 || rc=$?
rm -rf "$ltmp"
lint=$(grep -v '^running with root privileges' <<<"$lint" || true)
[[ -n $lint ]] && echo "$lint"
if [[ $rc -ne 0 ]] || grep -q '^[EW]: ' <<<"$lint"; then
	fail "lintian reports errors or warnings (exit $rc)"
fi
echo "lintian --pedantic: no error, no warning ($(grep -c '^[IP]: ' <<<"$lint" || true) info/pedantic)"

# 3. Install and purge on this machine, one test run at a time (another build
# tree's run would purge our package).
exec 9>/run/lock/vpndoctor-test-deb.lock
flock -w 600 9 || fail "another test_deb holds /run/lock/vpndoctor-test-deb.lock"

status() { dpkg-query -W -f='${Status}' vpndoctor 2>/dev/null || true; }
if [[ -n $(status) && $(status) != "unknown ok not-installed" && $(status) != *" not-installed" ]]; then
	echo "SKIP: vpndoctor is installed here ($(status)); the test would replace it" >&2
	exit 77
fi
user_before=0
getent passwd vpndoctor >/dev/null && user_before=1
group_before=0
getent group vpndoctor >/dev/null && group_before=1
# Directories of a hand-run daemon that purge would delete: kept aside.
saved=$(mktemp -d)
for dir in /etc/vpndoctor /var/lib/vpndoctor; do
	[[ -e $dir ]] && mkdir -p "$saved$(dirname "$dir")" && mv "$dir" "$saved$dir"
done
restore() {
	set +e
	if [[ $(status) == *" installed" || $(status) == *config-files* || $(status) == *half* ]]; then
		dpkg --purge vpndoctor >/dev/null 2>&1
	fi
	[[ $user_before -eq 0 ]] && getent passwd vpndoctor >/dev/null && userdel vpndoctor
	[[ $group_before -eq 0 ]] && getent group vpndoctor >/dev/null && groupdel vpndoctor
	for dir in /etc/vpndoctor /var/lib/vpndoctor; do
		if [[ -e $saved$dir ]]; then rm -rf "$dir"; mv "$saved$dir" "$dir"; fi
	done
	rm -rf "$saved"
}
trap restore EXIT

# dpkg, waiting while another dpkg/apt (of another engineer) holds its lock.
dpkg_w() {
	local i o
	for i in $(seq 90); do
		if o=$(dpkg "$@" 2>&1); then echo "$o"; return 0; fi
		grep -qi 'lock' <<<"$o" || { echo "$o"; return 1; }
		sleep 2
	done
	echo "$o"; return 1
}

unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
userunitdir=$(pkg-config --variable=systemduserunitdir systemd)
sysusersdir=$(pkg-config --variable=sysusersdir systemd)
catalogdir=$(pkg-config --variable=catalogdir systemd)
id=$("$VD_BIN/vpndoctor" explain clock-skew --json |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["message_id"].replace("-",""))')
[[ ${#id} -eq 32 ]] || fail "no MESSAGE_ID for clock-skew"

dpkg_w -i "$deb" || fail "dpkg -i"
[[ $(status) == "install ok installed" ]] || fail "after dpkg -i: $(status)"
pw=$(getent passwd vpndoctor) || fail "no user vpndoctor"
IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
[[ $home == /var/lib/vpndoctor && $shell == /usr/sbin/nologin ]] || fail "user vpndoctor: $pw"
((uid < 1000)) || fail "vpndoctor is not a system user (uid $uid)"
gr=$(getent group vpndoctor) || fail "no group vpndoctor"
[[ $(cut -d: -f3 <<<"$gr") == "$gid" ]] || fail "vpndoctor's primary group is not vpndoctor"
for f in "$unitdir/vpndoctord.service" "$unitdir/vpndoctord.socket" \
	"$userunitdir/vpndoctor-notify.service" "$sysusersdir/vpndoctor.conf" \
	"$catalogdir/vpndoctor.catalog" /usr/sbin/vpndoctord /usr/bin/vpndoctor \
	/usr/bin/vpndoctor-notify /etc/vpndoctor/vpndoctor.conf \
	/etc/xdg/autostart/vpndoctor-notify.desktop; do
	[[ -f $f ]] || fail "$f not installed"
done
grep -q '^ /etc/vpndoctor/vpndoctor.conf ' <<<"$(dpkg-query -W -f='${Conffiles}\n' vpndoctor)" ||
	fail "/etc/vpndoctor/vpndoctor.conf is not a conffile"
# Enabled: the daemon's socket and service, and the notifier for every user.
wants=(/etc/systemd/system/sockets.target.wants/vpndoctord.socket
	/etc/systemd/system/multi-user.target.wants/vpndoctord.service
	/etc/systemd/user/graphical-session.target.wants/vpndoctor-notify.service)
for l in "${wants[@]}"; do
	[[ -L $l ]] || fail "$l: not enabled"
done
# systemd's dpkg trigger put the catalog into journalctl's database.
# (Not `journalctl | grep -q` under pipefail: grep leaving early kills
# journalctl with SIGPIPE and the pipeline fails although the entry is there.)
grep -q "^$id " <<<"$(journalctl --list-catalog 2>/dev/null)" || fail "catalog entry $id not in journalctl --list-catalog"
/usr/bin/vpndoctor explain clock-skew >/dev/null || fail "installed vpndoctor does not run"
# It finds the installed Japanese translation where it was built to look.
LC_ALL=C.UTF-8 LANGUAGE=ja VPNDOCTOR_LOCALEDIR= /usr/bin/vpndoctor explain clock-skew |
	grep -q '^clock-skew: クライアントとサーバーの時刻差' || fail "installed vpndoctor is not Japanese under LANGUAGE=ja"
/usr/sbin/vpndoctord --help >/dev/null 2>&1 || /usr/sbin/vpndoctord --version >/dev/null ||
	fail "installed vpndoctord does not run"
echo "installed: user vpndoctor ($uid:$gid), group, units enabled, catalog $id in journalctl"

# What systemd's StateDirectory= would have made, for purge to remove.
install -d -o vpndoctor -g vpndoctor -m 0750 /var/lib/vpndoctor
echo x >/var/lib/vpndoctor/history
chown vpndoctor:vpndoctor /var/lib/vpndoctor/history

files=$(dpkg -L vpndoctor)
dpkg_w --purge vpndoctor || fail "dpkg --purge"
st=$(status)
[[ -z $st || $st == *" not-installed" ]] || fail "after purge: $st"
left=""
while read -r f; do
	# Directories (and /lib, a symlink to one on usrmerged systems) are shared.
	[[ -e $f || -L $f ]] && [[ ! -d $f ]] && left="$left $f"
done <<<"$files"
[[ -z $left ]] || fail "left after purge:$left"
for f in /etc/vpndoctor /var/lib/vpndoctor "${wants[@]}" \
	/var/lib/systemd/deb-systemd-helper-enabled/vpndoctord.service.dsh-also \
	/var/lib/systemd/deb-systemd-user-helper-enabled/vpndoctor-notify.service.dsh-also; do
	[[ -e $f || -L $f ]] && fail "$f left after purge"
done
grep -q "^$id " <<<"$(journalctl --list-catalog 2>/dev/null)" && fail "catalog entry $id still in journalctl after purge"
# Debian's way: the sysusers user and group stay.
getent passwd vpndoctor >/dev/null || fail "purge removed the user vpndoctor (Debian keeps it)"
getent group vpndoctor >/dev/null || fail "purge removed the group vpndoctor (Debian keeps it)"
echo "purged: no file left, state and enablement gone, catalog entry gone; user and group kept (Debian)"

trap - EXIT
restore
if [[ $user_before -eq 0 ]] && getent passwd vpndoctor >/dev/null; then fail "could not remove the user"; fi
echo "machine restored (user removed: $((1 - user_before)))"
echo "test_deb took $(($(date +%s) - t0)) s"
echo "PASS"
