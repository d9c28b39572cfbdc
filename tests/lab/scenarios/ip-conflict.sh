#!/bin/bash
# The laptop's own LAN becomes 172.16.1.0/24, inside the VPC's 172.16.0.0/16:
# ip-conflict naming the LAN, the pushed route it overlaps, and the VPC host
# that now leaves through the LAN instead of the tunnel.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon
sc_calm
sc_fault lan-overlap on
sc_expect ip-conflict --severity error --evidence 'overlap_1=^172\.16\.1\.0/24 on lan0 overlaps the pushed route 172\.16\.0\.0/16$' \
	--evidence "target_1=^${LAB_VPC_DB//./\\.} leaves through lan0"
sc_fault lan-overlap off
sc_resolved ip-conflict
sc_ping laptop "$LAB_VPC_DB"
sc_history ip-conflict
sc_pass
