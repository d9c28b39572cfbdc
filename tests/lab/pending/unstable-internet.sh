#!/bin/bash
# The laptop's internet connection loses 40% of what it sends (the router's
# nftables loss fault: every protocol, inside the tunnel and outside alike):
# the path probe's echoes to the gateway's public address go unanswered:
# unstable-internet, not udp-unreliable (outside is lossy too). 40%, not 5%:
# the finding needs 60 s of lossy 10-echo bursts in a row, and at 40% a burst
# with no loss at all (0.6^10) is rare enough not to restart that grace.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon
sc_quiet
sc_fault loss on 40
sc_expect unstable-internet --severity warning --timeout 300 --evidence 'method=icmp' \
	--evidence 'loss_pct=^([2-9]|[1-9][0-9])' --evidence 'sent=^10$'
sc_fault loss off
sc_resolved unstable-internet --timeout 60
sc_ping laptop "$LAB_VPC_DB"
sc_history unstable-internet
sc_pass
