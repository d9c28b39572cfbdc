#!/bin/bash
# A tunnel with Names= and no Targets=: the daemon takes the address the VPC's
# DNS gives db.vpc.internal (asked through the tunnel, inside the pushed route
# and the Local Network) as a VPC host to probe, beside the pushed DNS server,
# and `vpndoctor facts` shows it derived from the name. Then the host drops the
# client pool (the security-group fault): its pings go unanswered, but the
# user never said it answers pings, so its silence alone is not taken for a
# security group; the DNS server beside it answers through the same tunnel.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
# an empty Targets= empties the list sc_daemon writes
sc_daemon 'Targets='
SC_TUNNEL=lab # sc_unchecked's

# facts_until TIMEOUT PYTHON: the expression holds over the tunnel's facts (t)
# and its ping target $LAB_VPC_DB (db, or None), within TIMEOUT seconds; each
# try runs the probes first (as sc_expect's checks do).
facts_until() {
	local deadline=$(($(date +%s) + $1))
	while :; do
		sc_check && sc_vd facts --json --tunnel lab >"$LAB_DIR/facts.json" 2>/dev/null &&
			/usr/bin/python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["facts"]["tunnels"][0]
db = next((x for x in t.get("ping", {}).get("targets", []) if x["addr"] == sys.argv[2]), None)
sys.exit(0 if eval(sys.argv[3]) else 1)' "$LAB_DIR/facts.json" "$LAB_VPC_DB" "$2" && return 0
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 1
	done
}

# what the failures show: the derived targets, the DNS answers, the pings
facts_brief() {
	/usr/bin/python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["facts"]["tunnels"][0]
print("derived:", t.get("derived"), "dns:", [(s.get("addr"), s.get("via_tunnel"), s.get("results"), s.get("answers"))
      for s in t.get("dns", {}).get("servers", [])], "status:", t.get("dns", {}).get("status"),
      "pushed_routes:", t.get("routes", {}).get("pushed_routes"),
      "ping:", [(x["addr"], x.get("received"), x.get("tests", {}).get("silent", {}).get("decision"))
                for x in t.get("ping", {}).get("targets", [])])' "$LAB_DIR/facts.json" 2>&1 | head -c 1500
}

facts_until 60 '(t["derived"]["targets"] == ["'"$LAB_VPC_DNS"'", "'"$LAB_VPC_DB"'"] and
    t["derived"]["targets_from"]["'"$LAB_VPC_DB"'"] == {"source": "names", "name": "'"$LAB_VPC_NAME"'",
    "server": "'"$LAB_VPC_DNS"'"} and db is not None and db["received"] > 0)' ||
	sc_fail "$LAB_VPC_DB is not a derived target that answers: $(facts_brief)"
sc_say "derived targets: $LAB_VPC_DNS (pushed DNS), $LAB_VPC_DB ($LAB_VPC_NAME)"
sc_quiet
sc_unchecked '"security-group" not in u'

sc_fault security-group on
# the ping probe's test decides the host silent: the rule had its evidence
t0=$(sc__now)
facts_until 90 'db is not None and db.get("tests", {}).get("silent", {}).get("decision") == "h1"' ||
	sc_fail "$LAB_VPC_DB was not found silent: $(facts_brief)"
sc__result "$LAB_VPC_DB silent" "$(sc__since "$t0")"
sc_check || sc_fail "check failed"
/usr/bin/python3 "$LAB_SRC/tools/findings.py" absent security-group --tunnel lab <"$LAB_DIR/check.json" ||
	sc_fail "security-group from a Names= address's silence"
sc_fault security-group off
sc_never security-group
sc_ping laptop "$LAB_VPC_DB"
sc_pass
