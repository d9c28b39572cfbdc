#!/bin/bash
# The laptop's OpenVPN client is killed with SIGKILL (as a crash or the OOM
# killer would): it logs no exit, its tun link goes: client-exception naming
# the pid that vanished.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon
sc_calm
pid=$(lab__pid openvpn-laptop)
sc_fault client-kill on
sc_expect client-exception --severity error --evidence "pid=^$pid\$" --evidence 'state=^exited$' \
	--evidence 'state_reason=vanished'
sc_fault client-kill off
sc_resolved client-exception
sc_ping laptop "$LAB_VPC_DB"
sc_history client-exception
sc_pass
