#!/bin/bash
# A local user against a daemon started as root (issue 16, items 1 and 2). A
# user made for this test runs a hostile "openvpn" (tests/tools/fake_openvpn,
# copied to a file named openvpn: it writes a marker if anyone runs it with
# --version) in the daemon's network namespace, naming root-only files:
#   --config  a 0600 root file in a public directory (the mode bits refuse)
#   --log     a 0644 file in a 0700 root directory (the directory refuses),
#             with a line that looks like OpenVPN's own error line
#   --management  a root-only unix socket that records every connection.
# Within 60 s the daemon must have found the process and said that the files
# could not be read as that user; the marker must not exist, nobody may have
# connected to the socket, and no word of the secrets may be in GetStatus,
# GetFacts, the history or the daemon's log. Both with the engine separated
# (--user nobody) and as one root process (--user root). The user, the
# processes, the namespace and the files are removed on exit, also on failure.
set -u
. "${VD_SRC:?}/tests/tools/testlib.sh"
bin=${VD_BIN:?}
PY=/usr/bin/python3

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (users, namespaces)"; exit 77; }
for t in useradd userdel setpriv ip; do
	command -v "$t" >/dev/null || { echo "SKIP: no $t"; exit 77; }
done
SLOW=1
[ -n "${VD_SANITIZED:-}" ] && SLOW=3

ns=vdatk$$
user=vdatk$$
work=$(mktemp -d /tmp/vd-e2e-attack.XXXXXX)
pid= fake= honey=
cleanup() {
	kill_wait "$pid" "$fake" "$honey"
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
mkdir -m 755 "$work/pub" "$work/u" "$work/run"
mkdir -m 700 "$work/priv"
chown "$user:$user" "$work/u"

secret1=ROOTONLY_SECRET_CFG_$RANDOM$RANDOM
secret2=ROOTONLY_SECRET_LOG_$RANDOM$RANDOM
printf '%s\npassword=%s\n' "$secret1" "$secret1" >"$work/pub/secret.conf"
chmod 600 "$work/pub/secret.conf"
printf '2026-01-01 00:00:00 ERROR: %s\n2026-01-01 00:00:01 %s fatal\n' "$secret2" "$secret2" \
	>"$work/priv/secret.log"
chmod 644 "$work/priv/secret.log"

# root's management socket: whoever connects is written down
cat >"$work/honey.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o600)
s.listen(16)
open(sys.argv[2], "w").close()
while True:
    c, _ = s.accept()
    with open(sys.argv[2], "a") as f:
        f.write("connected\n")
    c.close()
PY
$PY "$work/honey.py" "$work/pub/mgmt.sock" "$work/honey.log" &
honey=$!
until_ok "[ -S '$work/pub/mgmt.sock' ] && [ -f '$work/honey.log' ]" 50 || fail "the root-only socket did not listen"

cp "$bin/fake_openvpn" "$work/u/openvpn" && chown "$user:$user" "$work/u/openvpn" && chmod 755 "$work/u/openvpn" ||
	fail "cannot place the fake openvpn"
ip netns add "$ns" || fail "ip netns add"
ip -n "$ns" link set lo up

printf '[Daemon]\nDiscover=yes\n[Clock]\nNTPServers=127.0.0.1\n' >"$work/vd.conf"
chmod 600 "$work/vd.conf"

# the user's process, in the daemon's namespace, as the user
ip netns exec "$ns" setpriv --reuid "$user" --regid "$user" --clear-groups \
	"$work/u/openvpn" --config "$work/pub/secret.conf" --log "$work/priv/secret.log" \
	--management "$work/pub/mgmt.sock" unix &
fake=$!
until_ok "[ \"\$(cat /proc/$fake/comm 2>/dev/null)\" = openvpn ] && [ \"\$(stat -c %u /proc/$fake)\" != 0 ]" 50 ||
	fail "the fake openvpn did not start as $user"

VD() { "$bin/vpndoctor" --socket "$work/run/io.vpndoctor" "$@"; }

# The facts of the fake's tunnel say its files could not be read as $user.
refused() {
	VD facts --json >"$work/facts.json" 2>/dev/null || return 1
	$PY - "$work/facts.json" "$fake" "$user" <<'PY'
import json, sys
facts, pid, user = json.load(open(sys.argv[1]))["facts"], int(sys.argv[2]), sys.argv[3]
for t in facts.get("tunnels", []):
    ov, prof = t.get("openvpn", {}), t.get("profile", {})
    if ov.get("pid") != pid:
        continue
    msgs = [p.get("message", "") for p in prof.get("problems", [])]
    if not any(f"cannot be read as {user}" in m for m in msgs):
        sys.exit(1)
    if f"cannot be read as {user}" not in ov.get("log_error", ""):
        sys.exit(1)
    sys.exit(0)
sys.exit(1)
PY
}

run_daemon() { # MODE
	rm -rf "$work/state" "$work/daemon.log"
	ip netns exec "$ns" "$bin/vpndoctord" --foreground --user "$1" --config "$work/vd.conf" \
		--socket "$work/run/io.vpndoctor" --state-dir "$work/state" --log-target stderr --log-level debug \
		2>"$work/daemon.log" &
	pid=$!
	until_ok "VD status --json 2>/dev/null | grep -q health" $((100 * SLOW)) ||
		fail "--user $1: the daemon did not come up"
	until_ok refused $((600 * SLOW)) ||
		fail "--user $1: within 60 s, no facts saying the files cannot be read as $user: $(cat "$work/facts.json")"
	# a few more seconds for whatever would run, connect or log afterwards
	sleep 3
	VD status --json >"$work/status.json" 2>&1
	VD facts --json >"$work/facts.json" 2>&1
	VD history --json >"$work/history.json" 2>&1
	[ -e "$work/u/openvpn.version-ran" ] &&
		fail "--user $1: the daemon ran the user's binary with --version ($(cat "$work/u/openvpn.version-ran"))"
	[ -s "$work/honey.log" ] && fail "--user $1: the daemon connected to a socket only root may use"
	for f in status.json facts.json history.json daemon.log; do
		grep -q "ROOTONLY_SECRET" "$work/$f" && fail "--user $1: a secret in $f: $(grep -o '.\{40\}ROOTONLY_SECRET.\{20\}' "$work/$f" | head -3)"
	done
	$PY -c 'import json,sys; t=[t for t in json.load(open(sys.argv[1]))["facts"]["tunnels"] if t.get("openvpn",{}).get("pid")==int(sys.argv[2])]; sys.exit(0 if t and t[0]["openvpn"].get("version",{}).get("source")=="binary" else 1)' \
		"$work/facts.json" "$fake" || fail "--user $1: the version was not read from the binary's bytes"
	ok "--user $1: marker absent, root's socket untouched, no secret in GetStatus, GetFacts, history or the log; facts: cannot be read as $user"
	kill "$pid"
	wait "$pid" || fail "--user $1: the daemon exited with $? on SIGTERM"
	pid=
}

run_daemon nobody
run_daemon root
echo "PASS"
