#!/bin/bash
# The laptop moves to another uplink while connected (its Wi-Fi of another
# place: another link, subnet and router): the probes that depend on the path
# start again within 2 s, the tunnel gets its settle window, and while OpenVPN
# carries on or reconnects by itself nothing is raised. Back home, the same.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon
sc_calm
path_round() { # SINCE END: the path's probes each started again after SINCE
	# (the move's start); says the latest start's seconds after END (the move's end)
	local t=$1 end=$2 i out
	for i in $(seq 1 100); do
		out=$(sc_status_json | "$LAB_PY" -c '
import json, sys
t = int(sys.argv[1])
want = ("routes", "transport", "path", "ping")
ps = [p for p in json.load(sys.stdin)["probes"] if p["name"] in want and p["tunnel"] == "lab"]
if len(ps) < len(want) or any((p["last_run"] or 0) < t for p in ps):
    sys.exit(1)
print(max(p["last_run"] for p in ps) - int(float(sys.argv[2])))' "$t" "$end") && { echo "$out"; return 0; }
		sleep 0.1
	done
	return 1
}
t0=$(date +%s)
sc_fault roam on
d=$(path_round "$t0" "$SC_FAULT_T") || sc_fail "the path's probes did not run again after the move"
[ "$d" -le 2 ] || sc_fail "the path's probes started $d s after the move"
sc__result "path probes again (s after the move)" "$d"
grep -q "tunnel lab: the network changed" "$LAB_DIR/logs/vpndoctord.out" || sc_fail "the move was not seen"
sc_quiet --timeout 120
sc_never loud --since "$t0"
t1=$(date +%s)
sc_fault roam off
d=$(path_round "$t1" "$SC_FAULT_T") || sc_fail "the path's probes did not run again after the move back"
[ "$d" -le 2 ] || sc_fail "the path's probes started $d s after the move back"
sc_quiet --timeout 120
sc_never loud --since "$t0"
sc_pass
