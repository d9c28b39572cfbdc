#!/bin/bash
# The server stops pushing the VPC route (its Local Network is missing): the
# VPC host (Targets=) is routed out through eth0, not the tunnel, and the only
# pushed route left is the server's own: local-network-missing.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon
sc_calm
sc_fault no-vpc-route on
sc_expect local-network-missing --severity error --evidence "target_1=^${LAB_VPC_DB//./\\.} routed through eth0\$" \
	--evidence 'pushed_routes=^10\.8\.0\.1/32$'
sc_fault no-vpc-route off
sc_resolved local-network-missing
sc_ping laptop "$LAB_VPC_DB"
sc_history local-network-missing
sc_pass
