#!/bin/bash
# The laptop's profile names a CA file that does not exist: OpenVPN refuses to
# start, and the daemon names config-invalid with the file and line.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon
sc_quiet
sc_fault profile-broken on
sc_expect config-invalid --severity error --evidence 'problem_1=missing-ca\.crt.*file-missing'
sc_openvpn_log laptop "Options error: --ca fails with 'missing-ca.crt'" 10
sc_fault profile-broken off
sc_resolved config-invalid
sc_ping laptop "$LAB_VPC_DB"
sc_history config-invalid
sc_pass
