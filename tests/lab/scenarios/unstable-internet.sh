#!/bin/bash
# The laptop's internet connection loses 40% of what it sends (the router's
# nftables loss fault: every protocol, inside the tunnel and outside alike):
# the path probe's echoes to the gateway's public address go unanswered:
# unstable-internet, not udp-unreliable (outside is lossy too). A handshake
# probe that loses all three UDP tries (one run in sixteen at 40%) must not
# turn it into gateway-unreachable: the UDP tunnel carries answers.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon
sc_quiet
sc_fault loss on 40
sc_expect unstable-internet --severity warning --timeout 90 --evidence 'method=icmp' \
	--evidence 'loss_pct=^([2-9]|[1-9][0-9])' --evidence 'loss_heavy=^h1: '
sc_fault loss off
sc_resolved unstable-internet --timeout 90 # when the heavy loss test comes back to h0
sc_ping laptop "$LAB_VPC_DB"
sc_history unstable-internet
sc_pass
