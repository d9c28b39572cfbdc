#!/bin/bash
# Metrics end to end with the real node_exporter (Debian's
# prometheus-node-exporter, textfile collector only) in a network namespace
# this test makes, scraped over that namespace's loopback: a finding opened
# (the profile's key moved away) shows in a scrape within 20 s, and is gone
# within 20 s of the fix; the scrape passes `promtool check metrics`; the file
# is replaced whole; [Metrics] TextfileDirectory=
# emptied on SIGHUP removes the file. Prints the seconds it measured.
set -u
# node_exporter sorts the labels of what it serves by name: the patterns
# below are in that order.

bin=${VD_BIN:?} src=${VD_SRC:?}
# shellcheck source=../tools/testlib.sh
. "${VD_SRC:?}/tests/tools/testlib.sh"
for p in prometheus-node-exporter promtool curl; do
	command -v $p >/dev/null || { echo "FAIL: $p is not installed (scripts/deps.sh)" >&2; exit 1; }
done
ns=vdmetrics$$
work=$(mktemp -d /tmp/vd-e2e-metrics.XXXXXX)
pid= nepid=
trap 'kill_wait "$pid" "$nepid"; ip netns del "$ns" 2>/dev/null; rm -rf "$work"' EXIT
sock=$work/run/io.vpndoctor
log=$work/daemon.log

fail() {
	echo "FAIL: $*" >&2
	[ -f "$log" ] && sed 's/^/  log: /' "$log" >&2
	[ -f "$work/ne.log" ] && tail -5 "$work/ne.log" | sed 's/^/  node_exporter: /' >&2
	exit 1
}

ip netns add "$ns" || fail "ip netns add"
ip -n "$ns" link set lo up
mkdir "$work/prom"
# the daemon's engine (nobody) writes the file: the directory is its, as a
# textfile directory is the daemon user's to write in
chown nobody "$work/prom" && chmod 711 "$work"
cp "$src"/tests/data/sample/* "$work/"
conf=$work/vpndoctor.conf
# Only the profile probe runs: the others would find no gateway in this
# namespace and open findings of their own at times of their own.
cat > "$conf" <<EOC
[Clock]
Enabled=no
[Profile]
Interval=1h
$(for s in OpenVPN Routes Conflicts DNS Transport Path Ping MTU Throughput Firewall Reflector; do
	printf '[%s]\nEnabled=no\n' $s
done)
[Metrics]
TextfileDirectory=$work/prom
[Tunnel office]
Config=$work/sample.ovpn
EOC

ip netns exec "$ns" prometheus-node-exporter --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$work/prom" --web.listen-address=127.0.0.1:9100 >"$work/ne.log" 2>&1 &
nepid=$!
scrape() { ip netns exec "$ns" curl -sf --max-time 5 http://127.0.0.1:9100/metrics; }
until_ok 'scrape >/dev/null' || fail "node_exporter does not answer"

ip netns exec "$ns" "$bin/vpndoctord" --foreground --user nobody --config "$conf" --socket "$sock" \
	--state-dir "$work/state" 2>"$log" &
pid=$!
until_ok 'scrape | grep -q "^vpndoctor_probe_status{probe=\"profile\",status=\"ok\",tunnel=\"office\"} 1$"' 200 ||
	fail "the profile probe's status never reached node_exporter: $(scrape | grep vpndoctor_ | head)"
out=$(scrape)
grep -q '^node_textfile_scrape_error 0$' <<<"$out" || fail "node_exporter could not read the file: $(grep textfile <<<"$out")"
grep -q '^vpndoctor_build_info{version="[0-9][^"]*"} 1$' <<<"$out" || fail "no build info"
grep -q '^vpndoctor_tunnel_health{health="healthy",tunnel="office"} 1$' <<<"$out" || fail "not healthy: $out"
grep -q '^vpndoctor_finding{' <<<"$out" && fail "a finding on a healthy profile: $out"
lint=$(promtool check metrics <<<"$out" 2>&1) || fail "promtool check metrics: $lint"
[ "$(stat -c %a "$work/prom/vpndoctor.prom")" = 644 ] || fail "mode $(stat -c %a "$work/prom/vpndoctor.prom")"

# --- a finding opens: in a scrape within 20 s --------------------------------------------
# `check` returns once the finding is open: the time runs from there.
finding='^vpndoctor_finding{cause="config-invalid",severity="error",tunnel="office"} 1$'
mv "$work/client.key" "$work/client.key.away"
"$bin/vpndoctor" --socket "$sock" check --probe profile >/dev/null
[ $? -eq 2 ] || fail "check does not see the error"
t0=$(date +%s.%N)
until_ok 'scrape | grep -q "$finding"' 250 || fail "the opened finding was not scraped within 25 s"
t1=$(date +%s.%N)
opened=$(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }")
out=$(scrape)
lint=$(promtool check metrics <<<"$out" 2>&1) || fail "promtool check metrics with a finding: $lint"
grep -q '^vpndoctor_finding_since_timestamp_seconds{cause="config-invalid",severity="error",tunnel="office"} [0-9.e+]*$' <<<"$out" ||
	fail "no since timestamp"
grep -q '^vpndoctor_tunnel_health{health="broken",tunnel="office"} 1$' <<<"$out" || fail "health not broken"

# --- fixed: gone from a scrape within 20 s ------------------------------------------
mv "$work/client.key.away" "$work/client.key"
"$bin/vpndoctor" --socket "$sock" check --probe profile >/dev/null || fail "check after the fix"
t0=$(date +%s.%N)
until_ok '! scrape | grep -q "^vpndoctor_finding{"' 250 || fail "the resolved finding stayed in the scrape"
t1=$(date +%s.%N)
resolved=$(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }")
for s in "$opened" "$resolved"; do
	awk "BEGIN { exit !($s <= 20) }" || fail "a change took ${s}s (opened ${opened}s, resolved ${resolved}s) to reach a scrape"
done

# --- TextfileDirectory= emptied: the file goes -----------------------------------------
sed -i 's|^TextfileDirectory=.*|TextfileDirectory=|' "$conf"
kill -HUP $pid
until_ok '[ ! -e "$work/prom/vpndoctor.prom" ]' || fail "metrics turned off but the file stays"
until_ok '! scrape | grep -q "^vpndoctor_"' || fail "node_exporter still serves vpndoctor metrics"
ls -A "$work/prom" | grep -q . && fail "left in the directory: $(ls -A "$work/prom")"

kill -TERM $pid
wait $pid
rc=$?
pid=
[ $rc -eq 0 ] || fail "SIGTERM exit $rc"
echo "ok: finding in a node_exporter scrape ${opened}s after it opened, gone ${resolved}s after the fix; promtool clean"
