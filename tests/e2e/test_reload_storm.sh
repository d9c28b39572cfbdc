#!/bin/bash
# Issue 16 item 3: a reload storm while probes resolve names, with Checks and
# subscribers on the socket. The transport and path probes were freeing their
# evdns base right after cancelling a lookup, and libevent finishes a cancel in
# deferred callbacks that read it: 6 of 6 runs crashed after 7-19 SIGHUPs.
# ASan cannot see it (libevent is not instrumented), so the daemon runs under
# valgrind (not in the ASan twin, where it runs bare and still must not die).
#
# The daemon's namespace has one route, to a "resolver" 10.99.0.53 in a
# namespace of its own that drops everything: every lookup of the profiles'
# remote (vpn.example.test) is in flight when the next SIGHUP cancels it.
# Passes when the daemon answers after the storm, exits 0 on SIGTERM and
# valgrind saw no invalid access and no definite leak.
set -u

bin=${VD_BIN:?} src=${VD_SRC:?}
# shellcheck source=../tools/testlib.sh
. "$src/tests/tools/testlib.sh"

RELOADS=${RELOADS:-60}
tag=vdrs$$
ns=${tag}d rns=${tag}r
work=$(mktemp -d /tmp/vd-e2e-reload.XXXXXX)
sock=$work/io.vpndoctor
log=$work/daemon.log
pid= wpid1= wpid2= cpid=

cleanup() {
	local rc=$?
	kill_wait "$cpid" "$wpid1" "$wpid2" "$pid"
	ip netns del "$ns" 2>/dev/null
	ip netns del "$rns" 2>/dev/null
	rm -rf "/etc/netns/$ns" "$work"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*" >&2
	[ -f "$log" ] && grep -a -v "^<7>\|configuration reloaded" "$log" | tail -n 40 | sed 's/^/  log: /' >&2
	exit 1
}

[ "$(id -u)" = 0 ] || fail "needs root for network namespaces"

vg=()
SLOW=1
if [ -z "${VD_SANITIZED:-}" ]; then
	command -v valgrind >/dev/null || fail "no valgrind (scripts/deps.sh installs it)"
	vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)
	SLOW=10
fi

ip netns add "$ns" && ip netns add "$rns" || fail "ip netns add"
ip -n "$ns" link set lo up
ip -n "$ns" link add r0 type veth peer name r1 netns "$rns" || fail "veth"
ip -n "$ns" addr add 10.99.0.1/24 dev r0
ip -n "$ns" link set r0 up
ip -n "$rns" addr add 10.99.0.53/24 dev r1
ip -n "$rns" link set r1 up
ip netns exec "$rns" nft add table inet vd || fail "nft"
ip netns exec "$rns" nft add chain inet vd in '{ type filter hook input priority 0; policy drop; }' || fail "nft"
mkdir -p "/etc/netns/$ns"
echo "nameserver 10.99.0.53" >"/etc/netns/$ns/resolv.conf"

cp "$src"/tests/data/sample/* "$work/"
{
	printf '[Clock]\nEnabled=no\n'
	for i in 1 2 3 4 5 6; do printf '[Tunnel t%s]\nConfig=%s/sample.ovpn\n' "$i" "$work"; done
} >"$work/vd.conf"

ip netns exec "$ns" "${vg[@]}" "$bin/vpndoctord" --foreground --user nobody --config "$work/vd.conf" --socket "$sock" \
	--state-dir "$work/state" --log-level info 2>"$log" &
pid=$!
until_ok '[ -S "$sock" ]' 100 || fail "no socket"
# the lookups are in flight: the transport probe says "running" until they time out
until_ok '"$bin/vpndoctor" --socket "$sock" status --json 2>/dev/null | grep -q "\"name\":\"transport\",\"tunnel\":\"t1\",\"status\":\"running\""' 100 ||
	fail "the transport probe is not resolving"

"$bin/vpndoctor" --socket "$sock" watch >/dev/null 2>&1 &
wpid1=$!
"$bin/vpndoctor" --socket "$sock" watch --json >/dev/null 2>&1 &
wpid2=$!
(while :; do "$bin/vpndoctor" --socket "$sock" check >/dev/null 2>&1; sleep 0.05; done) &
cpid=$!

t0=$(date +%s.%N)
for ((i = 0; i < RELOADS; i++)); do
	kill -HUP "$pid" 2>/dev/null || fail "the daemon died after $i reloads"
	sleep 0.02
done
# SIGHUPs sent faster than the loop turns are merged by the kernel: count
# what the daemon applied
until_ok "[ \$(grep -c 'configuration reloaded' '$log') -ge 5 ]" 100 || fail "fewer than 5 reloads applied"
kill -0 "$pid" 2>/dev/null || fail "the daemon died in the storm"
kill_wait "$cpid" "$wpid1" "$wpid2"
cpid= wpid1= wpid2=
until_ok '"$bin/vpndoctor" --socket "$sock" status --json >/dev/null 2>&1' 100 || fail "no answer after the storm"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ $rc = 99 ] && { grep -a "==[0-9]*==" "$log" | head -n 60 >&2; fail "valgrind found errors"; }
[ $rc = 0 ] || fail "vpndoctord exited $rc"
[ -e "$sock" ] && fail "the socket file is left behind"
echo "ok: $(grep -c 'configuration reloaded' "$log") reloads applied of $RELOADS sent in" \
	"$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s${vg:+ under valgrind}"
