#!/bin/bash
# A UDP-only gateway (no server on TCP: its port refuses TCP at once) that
# answers ping, while a network on the way drops UDP to its port (both ways):
# udp-blocked, from the refusal over TCP and the silence over UDP, and at no
# moment gateway-unreachable, which it was called before (issue 11: "cannot
# be reached" for a host that answers ping).
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon
sc_calm
t0=$(date +%s)
sc_fault udp-block on
sc_expect udp-blocked --severity error --evidence 'udp=^timeout$' --evidence 'tcp=^refused$' \
	--evidence 'ping_received=^[1-9]' --evidence 'tunnel_proto=^udp$'
sc_never gateway-unreachable --since "$t0"
sc_never vpn-port-silent --since "$t0"
sc_fault udp-block off
sc_resolved udp-blocked
sc_history udp-blocked
sc_openvpn_log laptop "Initialization Sequence Completed" 60
sc_never gateway-unreachable --since "$t0"
sc_pass
