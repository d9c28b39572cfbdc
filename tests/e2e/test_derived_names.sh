#!/bin/bash
# Names= answers as targets (issue 10), against a real OpenVPN: a [Tunnel]
# with Names= and no Targets= probes the addresses the VPC's DNS gives its
# names, when they lie inside the tunnel, and `vpndoctor facts` shows each as
# derived with the name it answers. The server pushes route 172.16.1.0/24
# and DNS 172.16.1.10; dnsmasq on 172.16.1.10 (the server namespace's lo,
# beside the hosts it names) answers
#   db.vpc.internal   172.16.1.21 and 172.16.1.20 (inside the tunnel)
#   out.vpc.internal  198.18.0.1 (the LAN: never a target)
#  - the targets: the pushed DNS server, then db's two addresses, the
#    smallest first; out's not; the ping probe pings 172.16.1.20 and it
#    answers; dnsmasq rotating the records, they stay the same over runs;
#  - db answers 172.16.1.30 instead: .20 and .21 go, .30 comes; NXDOMAIN:
#    it goes too (and comes back with the name);
#  - dnsmasq stopped: the last answer is kept (marked so), the targets stay.
set -u

. "${VD_SRC:?}/tests/e2e/ovpn-lab.sh"
ovpn_lab_require
SLOW=1
[ -n "${VD_SANITIZED:-}" ] && SLOW=3
command -v dnsmasq >/dev/null || { echo "SKIP: no dnsmasq"; exit 77; }
ovpn_lab_init names vddn
ovpn_lab_pki
vpid=
ovpn_lab_more_pids=vpid
ovpn_lab_cleanup_hook() { rm -rf "/etc/netns/$cns"; }
ovpn_lab_fail_hook() { [ -f "$work/dnsmasq.log" ] && tail -n 20 "$work/dnsmasq.log" | sed 's/^/  dnsmasq: /'; }

ovpn_lab_net dn
for a in 10 20 21 30; do
	ip -n "$sns" addr add "172.16.1.$a/32" dev lo || fail "the VPC's addresses"
done
server_conf 172.16.1.0
start_server

# the client's resolver is the VPC's too (nothing leaves the namespaces)
mkdir -p "/etc/netns/$cns" || fail "mkdir /etc/netns/$cns"
printf 'nameserver 172.16.1.10\n' >"/etc/netns/$cns/resolv.conf"

hosts() { printf '%s\n' "$@" >"$work/vpc.hosts"; }
start_dnsmasq() {
	ip netns exec "$sns" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts --port 53 \
		--listen-address 172.16.1.10 --bind-interfaces --addn-hosts="$work/vpc.hosts" --local=/vpc.internal/ \
		--log-queries --log-facility="$work/dnsmasq.log" 2>>"$work/dnsmasq.err" &
	vpid=$!
	until_ok "ip netns exec '$sns' ss -Hlun 'sport = :53' | grep -q 172.16.1.10" 50 || fail "dnsmasq did not listen"
}
hosts '172.16.1.21 db.vpc.internal' '172.16.1.20 db.vpc.internal' '198.18.0.1 out.vpc.internal'
start_dnsmasq

ovpn_client_conf client 198.18.0.1 "log $work/client.log"
ovpn_daemon_conf 'Names=db.vpc.internal out.vpc.internal' '[DNS]' 'Interval=3s' '[Ping]' 'Interval=3s'
(cd "$work" && exec ip netns exec "$cns" openvpn --config client.conf) &
cpid=$!
start_daemon
until_ok 'status_is "state() == \"connected\""' 600 || fail "the client did not connect: $(cli status --json)"

# facts_are EXPR: EXPR holds over the tunnel's facts as t, its derived
# targets as der and the DNS server's answers as ans.
facts_are() {
	json_is "$(cli facts --json --tunnel office)" "$1" '
t = d["facts"]["tunnels"][0]
der = t.get("derived", {})
ans = next(s for s in t["dns"]["servers"] if s["addr"] == "172.16.1.10").get("answers", {})'
}

# --- the answer, as targets -----------------------------------------------------
until_ok 'facts_are "der[\"targets\"] == [\"172.16.1.10\", \"172.16.1.20\", \"172.16.1.21\"]"' 100 ||
	fail "derived targets: $(cli facts --json --tunnel office)"
facts_are '(der["targets_from"] == {"172.16.1.10": {"source": "pushed-dns"},
    "172.16.1.20": {"source": "names", "name": "db.vpc.internal", "server": "172.16.1.10"},
    "172.16.1.21": {"source": "names", "name": "db.vpc.internal", "server": "172.16.1.10"}} and
    ans["db.vpc.internal"] == {"addresses": ["172.16.1.20", "172.16.1.21"]} and
    ans["out.vpc.internal"] == {"addresses": ["198.18.0.1"]})' ||
	fail "derived from, or the answers: $(cli facts --json --tunnel office)"
until_ok 'facts_are "(any(x[\"addr\"] == \"172.16.1.20\" and x[\"received\"] > 0 for x in t.get(\"ping\", {}).get(\"targets\", [])) and
    all(x[\"addr\"] != \"198.18.0.1\" for x in t[\"ping\"][\"targets\"]))"' 100 ||
	fail "172.16.1.20 not pinged, or the LAN address was: $(cli facts --json --tunnel office)"
cli facts --tunnel office | grep -q '172.16.1.20' || fail "vpndoctor facts (text) does not show 172.16.1.20"
status_is 'finding("security-group") is None' || fail "a finding for a derived target: $(cli status --json)"
echo "ok: db.vpc.internal's addresses are derived targets, the LAN's is not ($(elapsed) s)"
# dnsmasq rotates the two records from one answer to the next: over three
# runs of the dns probe the targets stay the same, in the same order
seen=
for _ in 1 2 3; do
	at=$(cli facts --json --tunnel office | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["facts"]["tunnels"][0]["dns"]["at"])')
	until_ok '[ "$(cli facts --json --tunnel office | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)[\"facts\"][\"tunnels\"][0][\"dns\"][\"at\"])")" != "$at" ]' 100 ||
		fail "the dns probe did not run again"
	facts_are 'der["targets"] == ["172.16.1.10", "172.16.1.20", "172.16.1.21"]' ||
		fail "the targets changed with the same answers: $(cli facts --json --tunnel office)"
	seen="$seen $at"
done
grep -q 'db.vpc.internal is 172.16.1.21' "$work/dnsmasq.log" || fail "dnsmasq's log"
echo "ok: the same answers, the same targets over three runs (dns at$seen)"

# --- another answer: the old addresses go ---------------------------------------
hosts '172.16.1.30 db.vpc.internal' '198.18.0.1 out.vpc.internal'
kill -HUP "$vpid"
until_ok 'facts_are "der[\"targets\"] == [\"172.16.1.10\", \"172.16.1.30\"]"' 100 ||
	fail "the targets did not follow the answer: $(cli facts --json --tunnel office)"
echo "ok: a new answer replaces the derived targets ($(elapsed) s)"

# --- NXDOMAIN: the name's targets are gone ------------------------------------------
hosts '198.18.0.1 out.vpc.internal'
kill -HUP "$vpid"
until_ok 'facts_are "(der[\"targets\"] == [\"172.16.1.10\"] and \"db.vpc.internal\" not in ans and
    t[\"dns\"][\"servers\"][0][\"results\"][\"db.vpc.internal\"] == \"nxdomain\")"' 100 ||
	fail "the targets outlived the name: $(cli facts --json --tunnel office)"
echo "ok: a name that no longer answers takes its targets with it ($(elapsed) s)"
hosts '172.16.1.30 db.vpc.internal' '198.18.0.1 out.vpc.internal'
kill -HUP "$vpid"
until_ok 'facts_are "der[\"targets\"] == [\"172.16.1.10\", \"172.16.1.30\"]"' 100 ||
	fail "the name did not come back: $(cli facts --json --tunnel office)"

# --- silence: the last answer is kept -------------------------------------------
kill -TERM "$vpid"
wait "$vpid" 2>/dev/null
vpid=
until_ok 'facts_are "t[\"dns\"][\"servers\"][0][\"results\"][\"db.vpc.internal\"] == \"timeout\""' 100 ||
	fail "the DNS did not time out: $(cli facts --json --tunnel office)"
facts_are '(ans["db.vpc.internal"] == {"addresses": ["172.16.1.30"], "kept": True} and
    der["targets"] == ["172.16.1.10", "172.16.1.30"])' ||
	fail "the answer was not kept through the silence: $(cli facts --json --tunnel office)"
echo "ok: a silent DNS keeps the last answer's targets ($(elapsed) s)"

stop_daemon
echo "1 passed, 0 failed"
