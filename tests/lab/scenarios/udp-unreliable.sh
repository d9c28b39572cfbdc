#!/bin/bash
# A network on the way drops a quarter of the gateway's OpenVPN datagrams but
# lets ICMP through: loss inside the UDP tunnel while the path to the gateway's
# public address is clean: udp-unreliable (the lab's own loss fault drops every
# protocol at the router, inside and outside alike, so it cannot show this).
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon
sc_quiet
sc_fault udp-loss on 25
sc_expect udp-unreliable --severity warning --timeout 120 --evidence 'proto=udp' \
	--evidence 'inside_loss_pct=^([2-9]|[1-9][0-9])' --evidence 'outside_loss_heavy=^h0: '
sc_fault udp-loss off
sc_resolved udp-unreliable --timeout 120 # when the inside loss test comes back to h0
sc_ping laptop "$LAB_VPC_DB"
sc_history udp-unreliable
sc_pass
