#!/bin/bash
# FIFOs at every path the daemon reads (issue 16, item 4): nobody writes to
# them, so an open(2) without O_NONBLOCK would hold the daemon's one loop for
# ever. In vpndoctor.conf, Config= and ReflectorKey= name FIFOs; the state
# directory holds a FIFO named history.1; a user made for this test runs a
# fake openvpn (tests/tools/fake_openvpn) whose --config and --log are FIFOs
# of its own. For 10 s the daemon answers GetStatus and GetHistory within a
# second each, runs a Check and a reload, and its facts say the profiles are
# not regular files. The daemon's engine runs as nobody. Everything made is
# removed on exit, also on failure.
set -u
. "${VD_SRC:?}/tests/tools/testlib.sh"
bin=${VD_BIN:?}
PY=/usr/bin/python3

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (users, namespaces)"; exit 77; }
for t in useradd userdel setpriv ip timeout; do
	command -v "$t" >/dev/null || { echo "SKIP: no $t"; exit 77; }
done
SLOW=1
[ -n "${VD_SANITIZED:-}" ] && SLOW=3

ns=vdfifo$$
user=vdfifo$$
work=$(mktemp -d /tmp/vd-e2e-fifo.XXXXXX)
pid= fake=
cleanup() {
	kill_wait "$pid" "$fake"
	ip netns del "$ns" 2>/dev/null
	getent passwd "$user" >/dev/null && userdel "$user" 2>/dev/null
	getent group "$user" >/dev/null && groupdel "$user" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	[ -f "$work/daemon.log" ] && sed 's/^/  daemon: /' "$work/daemon.log" | tail -n 30 >&2
	exit 1
}
ok() { echo "ok: $*"; }

useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user" ||
	fail "useradd $user"
chmod 755 "$work"
mkdir -m 755 "$work/u" "$work/run"
mkdir -m 750 "$work/state"
chown "$user:$user" "$work/u"
mkfifo -m 644 "$work/profile.fifo" "$work/key.fifo" "$work/state/history.1" || fail "mkfifo"
setpriv --reuid "$user" --regid "$user" --clear-groups mkfifo -m 644 "$work/u/config.fifo" "$work/u/log.fifo" ||
	fail "mkfifo as $user"
cp "$bin/fake_openvpn" "$work/u/openvpn" && chown "$user:$user" "$work/u/openvpn" || fail "cannot place the fake"

write_conf() { # EXTRA: more lines
	cat >"$work/vd.conf" <<EOF
[Daemon]
Discover=yes
[Clock]
NTPServers=127.0.0.1
[Tunnel fifo]
Config=$work/profile.fifo
Reflector=127.0.0.1:7
ReflectorKey=$work/key.fifo
$1
EOF
}

ip netns add "$ns" || fail "ip netns add"
ip -n "$ns" link set lo up
ip netns exec "$ns" setpriv --reuid "$user" --regid "$user" --clear-groups \
	"$work/u/openvpn" --config "$work/u/config.fifo" --log "$work/u/log.fifo" &
fake=$!

VD() { timeout "$1" "$bin/vpndoctor" --socket "$work/run/io.vpndoctor" "${@:2}"; }

start_daemon() {
	ip netns exec "$ns" "$bin/vpndoctord" --foreground --user nobody --config "$work/vd.conf" \
		--socket "$work/run/io.vpndoctor" --state-dir "$work/state" --log-target stderr --log-level debug \
		2>"$work/daemon.log" &
	pid=$!
	until_ok "VD 1 status --json 2>/dev/null | grep -q health" $((100 * SLOW)) || fail "the daemon did not come up"
}
stop_daemon() {
	kill "$pid"
	wait "$pid" || fail "the daemon exited with $? on SIGTERM"
	pid=
}

# For 10 s: GetStatus and GetHistory each within a second, after a Check and a reload.
responsive() {
	local n=0 end rc
	VD $((10 * SLOW)) check --json >/dev/null 2>&1
	[ $? -le 3 ] || fail "a Check did not come back within $((10 * SLOW)) s"
	kill -HUP "$pid"
	end=$((SECONDS + 10))
	while [ $SECONDS -lt $end ]; do
		VD "$SLOW" status --json >/dev/null 2>&1
		rc=$?
		[ $rc -le 2 ] || fail "GetStatus did not answer within $SLOW s (exit $rc, after $n answers)"
		VD "$SLOW" history --json >/dev/null 2>&1 || fail "GetHistory did not answer within $SLOW s (after $n answers)"
		n=$((n + 1))
		sleep 0.3
	done
	grep -q 'configuration reloaded' "$work/daemon.log" || fail "the reload did not happen"
	ok "$1: $n GetStatus and GetHistory answers within a second each over 10 s, after a Check and a reload"
}

# both tunnels seen, each profile refused as no regular file, and the log
seen() {
	VD 2 facts --json >"$work/facts.json" 2>/dev/null || return 1
	$PY - "$work/facts.json" <<'PY'
import json, sys
ts = json.load(open(sys.argv[1]))["facts"]["tunnels"]
msgs = {t["name"]: " ".join(p.get("message", "") for p in t.get("profile", {}).get("problems", [])) for t in ts}
logs = [t.get("openvpn", {}).get("log_error", "") for t in ts]
sys.exit(0 if len(msgs) == 2 and all("is not a regular file" in m for m in msgs.values()) and
         any("not a regular file" in l for l in logs) else 1)
PY
}

# 1: the profiles (Config= and the process's --config) and the process's --log
write_conf ""
start_daemon
until_ok seen $((300 * SLOW)) ||
	fail "no facts saying both profiles and the log are not regular files: $(cat "$work/facts.json")"
ok "Config=, the process's --config and its --log refused as not regular files"
responsive "profiles and log"
stop_daemon

# 2: ReflectorKey= (read while no openvpn section says the tunnel is down)
write_conf "[OpenVPN]
Enabled=no"
start_daemon
key_refused() {
	VD 2 status --json 2>/dev/null | grep -q 'ReflectorKey=[^"]*key.fifo: not a regular file'
}
until_ok key_refused $((300 * SLOW)) || fail "no reflector error saying ReflectorKey= is not a regular file"
ok "ReflectorKey= refused as not a regular file"
responsive "ReflectorKey="
stop_daemon
echo "PASS"
