#!/bin/bash
# Silicon Valley to Singapore over UDP: 200 ms added to everything the gateway
# sends to the internet (its OpenVPN datagrams and its echo replies alike) and
# 40% of the laptop's packets lost at the router: the path outside is long and
# lossy and the tunnel is UDP: long-distance-udp, which suppresses the
# unstable-internet the loss test may name first (both decide on the path's
# sequential tests: the loss and the round-trip ones).
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon
sc_quiet
sc_fault latency on 200
sc_fault loss on 40
sc_expect long-distance-udp --severity warning --timeout 60 --evidence 'proto=udp' \
	--evidence 'rtt_long=^h1: ' --evidence 'loss_pct=^([1-9]|[1-9][0-9])'
sc_fault loss off
sc_fault latency off
sc_resolved long-distance-udp --timeout 60 # when the round-trip test comes back to h0
sc_ping laptop "$LAB_VPC_DB"
sc_history long-distance-udp
sc_pass
