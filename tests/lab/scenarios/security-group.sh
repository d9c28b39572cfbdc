#!/bin/bash
# The VPC host drops everything from the client pool (a security group without
# a rule for the SSL-VPN clients): the tunnel's server end answers, the route to
# the host goes through the tunnel, the host is silent: security-group.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon
sc_quiet
sc_fault security-group on
sc_expect security-group --severity warning --timeout 60 --evidence "target_1=^${LAB_VPC_DB//./\\.}: ([0-9]+) of \\1 lost$"
sc_ping laptop 10.8.0.1
sc_fault security-group off
sc_resolved security-group --timeout 60
sc_ping laptop "$LAB_VPC_DB"
sc_history security-group
sc_pass
