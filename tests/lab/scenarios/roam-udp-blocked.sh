#!/bin/bash
# The laptop moves to a network that drops UDP to the gateway's port: the tunnel
# cannot reconnect. Nothing is raised within its settle window (OpenVPN's
# ping-restart and the reconnection's time); then the cause is named as usual:
# udp-blocked, stronger for the memory that the same gateway answered over UDP
# from the network before.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon
sc_calm
grep -q '"network":"198.18.1.0/24 via 198.18.1.1"' "$LAB_DIR/vdstate/gateways" 2>/dev/null ||
	sc_fail "the gateway memory has not this network: $(cat "$LAB_DIR/vdstate/gateways" 2>&1)"
t0=$(date +%s)
sc_fault roam on udp-blocked
sc_expect udp-blocked --severity error --evidence 'udp=^timeout$' \
	--evidence 'udp_answered_from=^198\.18\.1\.0/24 via 198\.18\.1\.1$' \
	--evidence 'network=^198\.18\.3\.0/24 via 198\.18\.3\.1$' --timeout 300
opened=$(sc_vd history --json | "$LAB_PY" -c '
import json, sys
e = [e for e in json.load(sys.stdin)["events"] if e["event"] == "opened" and e["cause"] == "udp-blocked"]
print(int(e[-1]["time"]))')
# the window: 120 s of ping-restart (none is pushed to the facts yet) and 30 s
[ "$((opened - t0))" -ge 150 ] || sc_fail "udp-blocked opened $((opened - t0)) s after the move, inside the window"
sc__result "udp-blocked opened (s after the move)" "$((opened - t0))"
sc_never gateway-unreachable --since "$t0"
sc_never client-exception --since "$t0"
sc_fault roam off
sc_resolved udp-blocked --timeout 120
sc_pass
