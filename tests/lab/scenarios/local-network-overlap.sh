#!/bin/bash
# The server's Local Network takes in its own client pool: it pushes
# 10.0.0.0/8 over the tunnel subnet 10.8.0.4/30: local-network-overlap with
# both prefixes (the tunnel itself still works: the /30 is more specific).
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon
sc_calm
sc_fault push-overlap on
sc_expect local-network-overlap --severity error \
	--evidence 'overlap_1=^pushed route 10\.0\.0\.0/8 overlaps the tunnel subnet 10\.8\.0\.4/30$'
sc_ping laptop "$LAB_VPC_DB"
sc_fault push-overlap off
sc_resolved local-network-overlap
sc_history local-network-overlap
sc_pass
