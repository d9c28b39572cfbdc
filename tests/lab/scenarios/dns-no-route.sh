#!/bin/bash
# The VPC's DNS server stops while the tunnel is up and routed: every query for
# Names=db.vpc.internal and the pushed domain through the tunnel times out:
# dns-no-route naming the server.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon
sc_calm
sc_fault dns-down on
sc_expect dns-no-route --severity error \
	--evidence "server_1=^${LAB_VPC_DNS//./\\.} through the tunnel: ([1-9][0-9]*) of \\1 queries timed out\$"
sc_ping laptop "$LAB_VPC_DB"
sc_fault dns-down off
sc_resolved dns-no-route
sc_history dns-no-route
sc_pass
