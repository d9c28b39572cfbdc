#!/bin/bash
# Privilege separation (vpndoctord(8), PRIVILEGES): started as root with
# --user USER (a user made for this test), vpndoctord is two processes. The
# engine runs as USER (real, effective and saved ids) with CAP_NET_RAW and
# CAP_NET_ADMIN only (effective, permitted, bounding and ambient sets), no new
# privileges, its state directory handed to USER; the parent keeps uid 0 with
# CAP_SETUID, CAP_SETGID, CAP_DAC_READ_SEARCH effective (CAP_SYS_PTRACE
# permitted) and holds neither the control socket nor the state directory.
# SIGHUP and SIGTERM sent to the parent reach the engine; killing either
# process ends the other within 5 s. An unknown --user is a clear error, and
# --user root keeps one process. Everything is removed on exit.
set -u
. "${VD_SRC:?}/tests/tools/testlib.sh"
bin=${VD_BIN:?}

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v useradd >/dev/null || { echo "SKIP: no useradd"; exit 77; }

user=vdsep$$
work=$(mktemp -d /tmp/vd-e2e-privsep.XXXXXX)
pid= eng=
cleanup() {
	kill_wait "$pid" "$eng"
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

printf '[Daemon]\nDiscover=no\n[Clock]\nNTPServers=127.0.0.1\n' >"$work/vd.conf"
sock=$work/run/io.vpndoctor

"$bin/vpndoctord" --help | grep -q -- '--user USER' || fail "--help does not name --user"

# an unknown user: a clear error that names --user and systemd-sysusers
out=$(unshare -n "$bin/vpndoctord" --foreground --user "vd-no-such-user-$$" --config "$work/vd.conf" \
	--socket "$sock" --state-dir "$work/state" 2>&1)
rc=$?
[ $rc -ne 0 ] || fail "an unknown --user started"
[[ $out == *"vd-no-such-user-$$"*"systemd-sysusers"*"--user"* ]] || fail "unclear error for an unknown user: $out"
ok "an unknown --user: exit $rc, '$out'"

useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user" ||
	fail "useradd $user"
uid=$(id -u "$user")
gid=$(id -g "$user")

start() { # USER
	rm -f "$work/daemon.log"
	unshare -n "$bin/vpndoctord" --foreground --user "$1" --config "$work/vd.conf" --socket "$sock" \
		--state-dir "$work/state" --log-target stderr --log-level debug 2>"$work/daemon.log" &
	pid=$!
	until_ok "[ -S '$sock' ] && grep -q 'ready on' '$work/daemon.log' 2>/dev/null" 100 || fail "--user $1: no start"
	eng=$(pgrep -P "$pid")
}
field() { # PID KEY: the value of KEY: in /proc/PID/status, tabs as spaces
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr '\t' ' ' | sed 's/ *$//'
}

start "$user"
[ -n "$eng" ] || fail "no engine process under $pid"
[ "$(field "$eng" Uid)" = "$uid $uid $uid $uid" ] || fail "engine Uid: $(field "$eng" Uid)"
[ "$(field "$eng" Gid)" = "$gid $gid $gid $gid" ] || fail "engine Gid: $(field "$eng" Gid)"
for k in CapEff CapPrm CapBnd CapAmb; do
	[ "$(field "$eng" $k)" = 0000000000003000 ] || fail "engine $k: $(field "$eng" $k), want CAP_NET_RAW CAP_NET_ADMIN"
done
[ "$(field "$eng" CapInh)" = 0000000000003000 ] || fail "engine CapInh: $(field "$eng" CapInh)"
[ "$(field "$eng" NoNewPrivs)" = 1 ] || fail "engine NoNewPrivs: $(field "$eng" NoNewPrivs)"
groups=" $(field "$eng" Groups) "
[[ $groups == *" $gid "* ]] || fail "engine Groups: $groups"
if jgid=$(getent group systemd-journal | cut -d: -f3) && [ -n "$jgid" ]; then
	[[ $groups == *" $jgid "* ]] || fail "engine Groups without systemd-journal ($jgid): $groups"
fi
ok "engine $eng: uid/gid $uid/$gid, groups$groups, CAP_NET_RAW CAP_NET_ADMIN only, no new privileges"

[ "$(field "$pid" Uid)" = "0 0 0 0" ] || fail "parent Uid: $(field "$pid" Uid)"
[ "$(field "$pid" CapEff)" = 00000000000000c4 ] || fail "parent CapEff: $(field "$pid" CapEff)"
for k in CapPrm CapBnd; do
	[ "$(field "$pid" $k)" = 00000000000800c4 ] || fail "parent $k: $(field "$pid" $k)"
done
[ "$(field "$pid" CapAmb)" = 0000000000000000 ] || fail "parent CapAmb: $(field "$pid" CapAmb)"
[ "$(field "$pid" NoNewPrivs)" = 1 ] || fail "parent NoNewPrivs: $(field "$pid" NoNewPrivs)"
# its descriptors: the channel to the engine (its one socket), a pipe, a
# signalfd, stdio; not the listening socket, not the state directory
sockets=0
for l in /proc/"$pid"/fd/*; do
	t=$(readlink "$l")
	case $t in
	"$work"/state*) fail "the parent holds the state directory" ;;
	socket:*) sockets=$((sockets + 1)) ;;
	esac
done
[ $sockets -eq 1 ] || fail "the parent holds $sockets sockets (the channel only, not the control socket)"
[ "$(stat -c %u "$work/state")" = "$uid" ] && [ "$(stat -c %u "$work/state/history")" = "$uid" ] ||
	fail "the state directory is not the engine's: $(ls -ln "$work/state")"
ok "parent $pid: uid 0, CAP_SETUID CAP_SETGID CAP_DAC_READ_SEARCH (+CAP_SYS_PTRACE permitted), no socket, no state"

"$bin/vpndoctor" --socket "$sock" status --json >/dev/null 2>&1
[ $? -le 2 ] || fail "GetStatus through the engine"
kill -HUP "$pid"
until_ok "grep -q 'configuration reloaded' '$work/daemon.log'" 50 || fail "SIGHUP to the parent did not reload"
ok "SIGHUP to the parent reloads the engine"

kill -KILL "$eng"
until_ok "! kill -0 $pid 2>/dev/null" 50 || fail "the parent outlived its engine by 5 s"
wait "$pid"
rc=$?
[ $rc -eq 137 ] || fail "the parent exited $rc when its engine was killed (want 137)"
pid= eng=
ok "engine killed: the parent exits with its status ($rc)"

start "$user"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
pid=
until_ok "! kill -0 $eng 2>/dev/null" 50 || fail "the engine outlived its parent by 5 s"
grep -q 'privileged process is gone' "$work/daemon.log" || fail "the engine did not say why it stopped"
eng=
ok "parent killed: the engine stops"

start "$user"
kill -TERM "$pid"
wait "$pid"
rc=$?
[ $rc -eq 0 ] || fail "exit $rc on SIGTERM"
[ -e "$sock" ] && fail "the control socket is left after a clean stop"
kill -0 "$eng" 2>/dev/null && fail "the engine outlived a clean stop"
pid= eng=
ok "SIGTERM to the parent: a clean stop of both, socket removed"

start root
[ -z "$eng" ] || fail "--user root started a second process ($eng)"
[ "$(field "$pid" Uid)" = "0 0 0 0" ] || fail "--user root: Uid $(field "$pid" Uid)"
kill -TERM "$pid"
wait "$pid" || fail "--user root: exit $? on SIGTERM"
pid=
ok "--user root: one process, as root"
echo "PASS"
