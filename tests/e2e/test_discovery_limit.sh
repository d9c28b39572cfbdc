#!/bin/bash
# A local user cannot swamp discovery (DISCOVERY_USER_MAX, daemon/discovery.h).
# Each openvpn process a scan finds costs a read of its command line and its
# --config, and each tunnel runs every probe; a user who started 2,000 fake
# clients made 2,000 tunnels (GetStatus took 6 s, a core at 45%), and one who
# started and ended them in a loop added more every time (a gone tunnel stays
# 10 minutes). With the daemon started as root (engine as nobody) in its own
# namespace:
#   - a user's 21 processes make 8 tunnels, and the log says the rest are
#     not diagnosed;
#   - the same user ending them and starting 21 new ones still holds 8: the
#     gone ones made way;
#   - root's process is discovered beside them all the same.
# The user, the processes, the namespace and the files go on exit.
set -u
. "${VD_SRC:?}/tests/tools/testlib.sh"
bin=${VD_BIN:?}
PY=/usr/bin/python3

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (users, namespaces)"; exit 77; }
for t in useradd userdel setpriv setsid ip; do
	command -v "$t" >/dev/null || { echo "SKIP: no $t"; exit 77; }
done
SLOW=1
[ -n "${VD_SANITIZED:-}" ] && SLOW=3

ns=vdlim$$
user=vdlim$$
work=$(mktemp -d /tmp/vd-e2e-limit.XXXXXX)
pid= many= rootp=
cleanup() {
	# the fakes lead process groups of their own: the children go with them
	[ -n "$many" ] && kill -KILL -- "-$many" 2>/dev/null
	kill_wait "$pid" "$many" "$rootp"
	ip netns del "$ns" 2>/dev/null
	getent passwd "$user" >/dev/null && userdel "$user" 2>/dev/null
	getent group "$user" >/dev/null && groupdel "$user" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	[ -f "$work/daemon.log" ] && sed 's/^/  daemon: /' "$work/daemon.log" | grep -v 'opened\|updated' | tail -n 20 >&2
	exit 1
}
ok() { echo "ok: $*"; }

useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user" ||
	fail "useradd $user"
chmod 755 "$work"
mkdir -m 755 "$work/u" "$work/run"
cp "$bin/fake_openvpn" "$work/u/openvpn" && chmod 755 "$work/u/openvpn" || fail "cannot place the fake openvpn"
ip netns add "$ns" || fail "ip netns add"
ip -n "$ns" link set lo up
printf '[Daemon]\nDiscover=yes\n[Clock]\nNTPServers=127.0.0.1\n' >"$work/vd.conf"

VD() { "$bin/vpndoctor" --socket "$work/run/io.vpndoctor" "$@"; }
# a link that comes and goes: the daemon looks at /proc within a second
poke() { ip -n "$ns" link add vdpoke0 type veth peer name vdpoke1 2>/dev/null && ip -n "$ns" link del vdpoke0 2>/dev/null; }
# TAG: how many discovered tunnels have a name starting with TAG
count() {
	VD status --json 2>/dev/null | $PY -c 'import json,sys
t=json.load(sys.stdin).get("tunnels",[])
print(sum(1 for x in t if x.get("discovered") and x["name"].startswith(sys.argv[1])))' "$1"
}
# N user processes (and the user's remote as their tunnels' name), in the
# daemon's namespace, in a process group of their own
start_many() {
	setsid ip netns exec "$ns" setpriv --reuid "$user" --regid "$user" --clear-groups \
		"$work/u/openvpn" --client --remote 10.9.9.9 1194 --proto udp --children 20 &
	many=$!
	until_ok "[ \$(ps -o pid= -u $user | wc -l) -ge 21 ]" 50 || fail "the user's 21 processes did not start"
}

ip netns exec "$ns" "$bin/vpndoctord" --foreground --user nobody --config "$work/vd.conf" \
	--socket "$work/run/io.vpndoctor" --state-dir "$work/state" --log-target stderr --log-level info \
	2>"$work/daemon.log" &
pid=$!
until_ok "VD status --json 2>/dev/null | grep -q health" $((100 * SLOW)) || fail "the daemon did not come up"

start_many
until_ok 'poke; [ "$(count 10.9.9.9)" -ge 8 ] && grep -q "not diagnosed" "$work/daemon.log"' $((400 * SLOW)) ||
	fail "no 8 tunnels and no word in the log of the processes left out (tunnels: $(count 10.9.9.9))"
poke
sleep 2
n=$(count 10.9.9.9)
[ "$n" = 8 ] || fail "the user's 21 processes made $n tunnels, not 8"
ok "21 processes of one user: 8 tunnels, the rest said in the log"

# the same user again: the 8 are gone, 21 new ones come; gone ones make way
kill -KILL -- "-$many" 2>/dev/null
kill_wait "$many"
many=
until_ok "[ \$(ps -o pid= -u $user | wc -l) -eq 0 ]" 50 || fail "the user's processes did not end"
poke
start_many
until_ok 'poke; [ "$(grep -c "removed: uid" "$work/daemon.log")" -ge 8 ]' $((400 * SLOW)) ||
	fail "the gone tunnels did not make way ($(grep -c 'removed: uid' "$work/daemon.log") removed)"
sleep 2
n=$(count 10.9.9.9)
[ "$n" = 8 ] || fail "after a restart of all 21 the user holds $n tunnels, not 8"
ok "21 more after the first ended: still 8 tunnels, the gone ones removed"

# root's own: not counted against anyone
ip netns exec "$ns" "$work/u/openvpn" --client --remote 10.8.8.8 1194 --proto udp &
rootp=$!
until_ok 'poke; [ "$(count 10.8.8.8)" = 1 ]' $((400 * SLOW)) || fail "root's process was not discovered"
ok "root's process discovered beside them"

kill "$pid"
wait "$pid" || fail "the daemon exited with $? on SIGTERM"
pid=
echo "PASS"
