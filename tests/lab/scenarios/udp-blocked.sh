#!/bin/bash
# A network on the way drops UDP to the gateway's port while the gateway's
# second server still answers over TCP (lab up --both): udp-blocked, with the
# transport probe's UDP timeout and TCP answer.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp --both
sc_daemon
sc_calm
sc_fault udp-block on
sc_expect udp-blocked --severity error --evidence 'udp=^timeout$' --evidence 'tcp=^answered$' \
	--evidence 'tunnel_proto=^udp$'
sc_fault udp-block off
sc_resolved udp-blocked
sc_history udp-blocked
sc_openvpn_log laptop "Initialization Sequence Completed" 60
sc_ping laptop "$LAB_VPC_DB"
sc_pass
