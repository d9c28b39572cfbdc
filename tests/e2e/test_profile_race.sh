#!/bin/bash
# A file the profile probe reads that changes while the probe checks: the
# check read it before its directory was watched, so the change made no
# inotify event for it. The daemon runs under strace, which holds the check
# for 4 s right after it tried to open the missing client.key; the key comes
# back meanwhile. The first check says config-invalid (the key missing); the
# change must still be seen, by the check that follows the new watch, within
# seconds, not at the probe's next timed run an hour later.
set -u

bin=${VD_BIN:?} src=${VD_SRC:?}
# shellcheck source=../tools/testlib.sh
. "$src/tests/tools/testlib.sh"
command -v strace >/dev/null || { echo "SKIP: no strace"; exit 77; }
SLOW=1
[ -n "${VD_SANITIZED:-}" ] && SLOW=3
work=$(mktemp -d /tmp/vd-e2e-race.XXXXXX)
sock=$work/io.vpndoctor
log=$work/daemon.log
pid= dpids=
# the daemon's processes first: killed, strace would leave them running, detached
trap 'kill_wait $dpids "$pid"; rm -rf "$work"' EXIT

fail() {
	echo "FAIL: $*" >&2
	[ -f "$log" ] && sed 's/^/  log: /' "$log" >&2
	exit 1
}
cli() { "$bin/vpndoctor" --socket "$sock" "$@"; }
finding() { # CAUSE: is it open?
	cli status --json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
sys.exit(0 if any(f["cause"] == sys.argv[1] for f in json.load(sys.stdin)["findings"]) else 1)' "$1"
}

cp "$src"/tests/data/sample/* "$work/"
mv "$work/client.key" "$work/client.key.away"
# the engine (nobody) reads the profile itself: the privileged parent, which
# would read it for an engine refused, is not the process strace holds
chmod 755 "$work"
chmod 644 "$work"/*
cat >"$work/vd.conf" <<EOC
[Profile]
Interval=1h
[Clock]
Enabled=no
[Tunnel office]
Config=$work/sample.ovpn
EOC
# -P: only what touches the key is traced; its first open returns 4 s late
unshare -n strace -f -qq -o "$work/strace.log" -P "$work/client.key" -e trace=%file \
	-e inject=openat:delay_exit=$((4000000 * SLOW)):when=1 \
	"$bin/vpndoctord" --foreground --user nobody --config "$work/vd.conf" --socket "$sock" --state-dir "$work/state" \
	--log-level info 2>"$log" &
pid=$!

# the daemon held in the delay: the engine (the privileged parent's child)
# stopped by strace (state t)
held() {
	local parent engine
	parent=$(pgrep -P "$pid" -x vpndoctord) || return 1
	engine=$(pgrep -P "$parent" -x vpndoctord) || return 1
	dpids="$engine $parent"
	[ "$(awk '{print $3}' "/proc/$engine/stat" 2>/dev/null)" = t ]
}
t_ok=0
for ((i = 0; i < 300 * SLOW; i++)); do
	if held; then
		t_ok=$((t_ok + 1))
		[ $t_ok -ge 5 ] && break
	else
		t_ok=0
	fi
	sleep 0.02
done
[ $t_ok -ge 5 ] || fail "the daemon was never held at the key's open"
mv "$work/client.key.away" "$work/client.key"
echo "the key is back while the first check is held"

until_ok '[ -S "$sock" ]' 200 || fail "no socket"
until_ok 'grep -q "opened config-invalid on office" "$log"' 200 ||
	fail "the first check did not see the key missing (the race was not made)"
until_ok '! finding config-invalid' 100 ||
	fail "the key came back while the check ran, and the daemon did not see it: $(cli status)"
grep -q "resolved config-invalid on office" "$log" || fail "no resolved in the log"
echo "PASS"
