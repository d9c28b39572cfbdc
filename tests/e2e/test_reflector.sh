#!/bin/bash
# vpndoctor-reflector end to end, in a network namespace of its own: a query
# with the right key gets all its echoes back and the source it came from; with
# inbound echo requests dropped (nftables) it gets 0 of N; a wrong key gets no
# answer at all (and the reflector logs the bad MAC); a burst beyond the
# per-source allowance is answered "rate-limited"; SIGTERM stops it with 0.
set -u

bin=${VD_BIN:?}
# shellcheck source=../tools/testlib.sh
. "${VD_SRC:?}/tests/tools/testlib.sh"
netns_test_init rfl
log=$work/reflector.log

fail() {
	echo "FAIL: $*" >&2
	[ -f "$log" ] && sed 's/^/  log: /' "$log" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (a network namespace)"; exit 77; }
ip netns add "$ns" || fail "ip netns add"
nsx() { ip netns exec "$ns" "$@"; }
nsx ip link set lo up
nsx ip addr add 192.0.2.1/24 dev lo

head -c 32 /dev/urandom | base64 >"$work/key"
head -c 32 /dev/urandom | base64 >"$work/other"
chmod 600 "$work/key" "$work/other"
q() { nsx "$bin/vpndoctor-reflector" --key "$1" --query 127.0.0.1:7070 --count "$2"; }

# ip netns exec execs in place: $! is the reflector itself
ip netns exec "$ns" "$bin/vpndoctor-reflector" --key "$work/key" --listen 127.0.0.1:7070 --verbose \
	</dev/null >/dev/null 2>"$log" &
pid=$!
for _ in $(seq 50); do grep -q listening "$log" && break; sleep 0.1; done
grep -q listening "$log" || fail "the reflector did not start"

out=$(q "$work/key" 5) || fail "query: exit $?: $out"
echo "healthy: $out"
case "$out" in *"status=ok sent=5 received=5 loss_pct=0 "*"source_seen=127.0.0.1 "*) ;; *) fail "healthy: $out" ;; esac

nsx nft -f - <<'NFT' || fail "nft"
table inet t {
	chain in {
		type filter hook input priority 0; policy accept;
		icmp type echo-request drop
	}
}
NFT
out=$(q "$work/key" 3) || fail "query with echo requests dropped: exit $?: $out"
echo "blocked: $out"
case "$out" in *"status=ok sent=3 received=0 loss_pct=100 "*) ;; *) fail "blocked: $out" ;; esac
nsx nft delete table inet t

t0=$(date +%s)
out=$(q "$work/other" 1) && fail "a wrong key got an answer: $out"
[ $? -eq 2 ] || fail "a wrong key: want exit 2 (no answer)"
grep -q "dropped: bad MAC" "$log" || fail "no 'bad MAC' in the log"
echo "wrong key: no answer after $(($(date +%s) - t0)) s"

# the per-source burst is 5 (one token came back since the first queries):
# eight at once, at least one refused, and none unanswered
limited=0
for i in 1 2 3 4 5 6 7 8; do q "$work/key" 1 >"$work/q$i" & done
for j in $(jobs -p); do [ "$j" = "$pid" ] || wait "$j"; done
for i in 1 2 3 4 5 6 7 8; do
	grep -q "status=" "$work/q$i" || fail "query $i unanswered"
	grep -q "status=rate-limited" "$work/q$i" && limited=$((limited + 1))
done
[ "$limited" -ge 1 ] || fail "eight queries at once, none rate limited"
echo "burst of 8: $limited rate limited"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 0 ] || fail "SIGTERM: exit $rc"
grep -q stopping "$log" || fail "no 'stopping' in the log"
echo PASS
