#!/bin/bash
# Baseline over UDP: a real tunnel, the VPC answers through it, and the daemon
# reports no warning and no error.
SC_CLOCK=1
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_ping laptop "$LAB_VPC_DB"
sc_daemon
sc_quiet
sc_ping laptop "$LAB_VPC_DB"
sc_pass
