#!/bin/bash
# Only a root-owned OpenVPN unit's cgroup raises a principal (vpndoctor/
# principal.h). A 0600 root profile is named by:
#   1. an "openvpn" (tests/tools/fake_openvpn) started by root in the cgroup
#      system.slice/openvpn-client@vdtN.service, which then runs as nobody,
#      as a unit's openvpn does after --user nobody: its principal is root,
#      and the daemon reads the profile (remote 192.0.2.77);
#   2. the same program run by a user made for this test, in a cgroup of the
#      same unit name but outside system.slice (as a user's delegated
#      subtree could hold): its principal is that user, and the profile
#      cannot be read as them.
# Needs a writable cgroup v2 hierarchy whose root is this process's (else
# SKIP). The cgroups, the user, the processes and the namespace are removed
# on exit, also on failure.
set -u
. "${VD_SRC:?}/tests/tools/testlib.sh"
bin=${VD_BIN:?}
PY=/usr/bin/python3

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in useradd setpriv findmnt ip nsenter; do
	command -v "$t" >/dev/null || { echo "SKIP: no $t"; exit 77; }
done
SLOW=1
[ -n "${VD_SANITIZED:-}" ] && SLOW=3
mnt=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)
[ -n "$mnt" ] && [ -w "$mnt" ] || { echo "SKIP: no writable cgroup v2 hierarchy"; exit 77; }
self=$(sed -n 's/^0:://p' /proc/self/cgroup)
[ -n "$self" ] && [ -d "$mnt$self" ] || { echo "SKIP: $mnt is not this process's cgroup v2 root"; exit 77; }

ns=vdcg$$
user=vdcg$$
unit=openvpn-client@vdt$$.service
work=$(mktemp -d /tmp/vd-e2e-cgroup.XXXXXX)
made_slice=
pid= p1= p2=
cleanup() {
	kill_wait "$pid" "$p1" "$p2"
	rmdir "$mnt/system.slice/$unit" "$mnt/vdu$$.slice/system.slice/$unit" "$mnt/vdu$$.slice/system.slice" \
		"$mnt/vdu$$.slice" 2>/dev/null
	[ -n "$made_slice" ] && rmdir "$mnt/system.slice" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	getent passwd "$user" >/dev/null && userdel "$user" 2>/dev/null
	getent group "$user" >/dev/null && groupdel "$user" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	[ -f "$work/daemon.log" ] && sed 's/^/  daemon: /' "$work/daemon.log" | tail -n 20 >&2
	exit 1
}
ok() { echo "ok: $*"; }

useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user" ||
	fail "useradd $user"
[ -d "$mnt/system.slice" ] || { mkdir "$mnt/system.slice" && made_slice=1; } || fail "mkdir system.slice"
mkdir "$mnt/system.slice/$unit" || fail "mkdir the unit's cgroup"
mkdir -p "$mnt/vdu$$.slice/system.slice/$unit" || fail "mkdir the user's cgroup"

chmod 755 "$work"
mkdir -m 755 "$work/bin" "$work/run" "$work/etc"
cp "$bin/fake_openvpn" "$work/bin/openvpn" && chmod 755 "$work/bin/openvpn" || fail "cannot place the fake"
cat >"$work/etc/profile.conf" <<EOF
client
dev tun
proto udp
remote 192.0.2.77 1194
EOF
chmod 600 "$work/etc/profile.conf"
printf '[Daemon]\nDiscover=yes\n[Clock]\nNTPServers=127.0.0.1\n' >"$work/vd.conf"
ip netns add "$ns" || fail "ip netns add"
ip -n "$ns" link set lo up

VD() { "$bin/vpndoctor" --socket "$work/run/io.vpndoctor" "$@"; }
start_daemon() {
	rm -rf "$work/state"
	ip netns exec "$ns" "$bin/vpndoctord" --foreground --user nobody --config "$work/vd.conf" \
		--socket "$work/run/io.vpndoctor" --state-dir "$work/state" --log-target stderr --log-level debug \
		2>"$work/daemon.log" &
	pid=$!
	until_ok "VD status --json 2>/dev/null | grep -q health" $((100 * SLOW)) || fail "the daemon did not come up"
}
stop_daemon() {
	kill "$pid"
	wait "$pid" || fail "the daemon exited with $? on SIGTERM"
	pid=
}
# the profile section of the tunnel whose openvpn is pid $1, as python sees it
profile_is() { # PID PYTHON-CONDITION-ON-p
	VD facts --json >"$work/facts.json" 2>/dev/null || return 1
	$PY - "$work/facts.json" "$1" "$2" <<'PY'
import json, sys
ts = json.load(open(sys.argv[1]))["facts"]["tunnels"]
for t in ts:
    if t.get("openvpn", {}).get("pid") == int(sys.argv[2]):
        p = t.get("profile", {})
        sys.exit(0 if eval(sys.argv[3]) else 1)
sys.exit(1)
PY
}

# 1: root's unit, its openvpn running as nobody
# (nsenter, not ip netns exec, which mounts a /sys of its own without the cgroups)
sh -c "echo \$\$ >'$mnt/system.slice/$unit/cgroup.procs' && exec nsenter --net=/run/netns/$ns \
	setpriv --reuid nobody --regid nogroup --clear-groups '$work/bin/openvpn' --config '$work/etc/profile.conf'" &
p1=$!
until_ok "[ \"\$(stat -c %u /proc/$p1 2>/dev/null)\" = 65534 ]" 50 || fail "the unit's openvpn did not start as nobody"
[ "$(sed -n 's/^0:://p' /proc/$p1/cgroup)" = "/system.slice/$unit" ] ||
	{ echo "SKIP: the cgroup reads '$(cat /proc/$p1/cgroup)', not /system.slice/$unit"; exit 77; }
start_daemon
until_ok "profile_is $p1 '[r[\"host\"] for r in p.get(\"remotes\", [])] == [\"192.0.2.77\"] and p.get(\"read_as\") == \"root (unit $unit)\"'" \
	$((300 * SLOW)) || fail "the unit's profile was not read as root: $(cat "$work/facts.json")"
ok "openvpn of $unit (running as nobody): its 0600 root profile read as root (unit $unit)"
stop_daemon
kill_wait "$p1"
p1=

# 2: a user's process, in a cgroup of that name outside system.slice
sh -c "echo \$\$ >'$mnt/vdu$$.slice/system.slice/$unit/cgroup.procs' && exec nsenter --net=/run/netns/$ns \
	setpriv --reuid '$user' --regid '$user' --clear-groups '$work/bin/openvpn' --config '$work/etc/profile.conf'" &
p2=$!
until_ok "[ \"\$(stat -c %u /proc/$p2 2>/dev/null)\" != 0 ]" 50 || fail "the user's openvpn did not start"
start_daemon
until_ok "profile_is $p2 'any(\"cannot be read as $user\" in x.get(\"message\", \"\") for x in p.get(\"problems\", [])) and not p.get(\"remotes\")'" \
	$((300 * SLOW)) || fail "the user's process had root's profile read: $(cat "$work/facts.json")"
ok "the same profile named by $user's process (cgroup /vdu$$.slice/system.slice/$unit): cannot be read as $user"
stop_daemon
echo "PASS"
