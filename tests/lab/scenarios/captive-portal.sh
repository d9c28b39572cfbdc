#!/bin/bash
# The laptop wakes up behind a hotel's login page: the router answers every web
# request with it and drops everything else. NetworkManager (dbusmock's) says
# PORTAL, then its checking is off and the daemon's own check of URL= gets the
# page: captive-portal is the one error either way, and neither the gateway
# (gateway-unreachable) nor UDP (udp-blocked) nor its port is blamed. Logged
# in, it resolves and the tunnel comes back with nothing else raised.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
lab_web || sc_fail "the connectivity check server did not start"
sc_system_bus nm
sc_daemon "[Connectivity]" "URL=$LAB_CHECK_URL" "Interval=10s"
sc_calm
t0=$(date +%s)
sc_fault captive-portal on
sc_busmock connectivity 2 || sc_fail "NetworkManager's mock"
sc_expect captive-portal --severity error --evidence 'source=^networkmanager$' --evidence 'state=^portal$'
# NetworkManager's own checking off: the daemon asks URL= and gets the page
sc_busmock connectivity 0 || sc_fail "NetworkManager's mock"
sc_expect captive-portal --severity error --evidence 'source=^http$' --evidence 'http_status=^200$' \
	--evidence "url=^${LAB_CHECK_URL//./\\.}\$" --timeout 60
grep -q "GET /generate_204" "$LAB_DIR/logs/portal.out" || sc_fail "the login page never saw the check"
# the tunnel is down by now (OpenVPN's ping-restart): still the one error
sc_openvpn_log laptop "Inactivity timeout" 60
sc_expect captive-portal --severity error --evidence 'source=^http$'
# logged in: the router lets everything through
sc_fault captive-portal off
sc_resolved captive-portal --timeout 60
sc_openvpn_log laptop "Initialization Sequence Completed" 90
sc_quiet --timeout 120
sc_history captive-portal
for c in gateway-unreachable udp-blocked vpn-port-silent no-internet client-exception; do
	sc_never "$c" --since "$t0"
done
sc_pass
