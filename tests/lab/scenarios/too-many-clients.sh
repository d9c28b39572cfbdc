#!/bin/bash
# The server allows one client and laptop2 holds the slot: the laptop's TLS
# handshakes start and die before PUSH_REPLY, again and again (over UDP each
# takes hand-window, 20 s, to time out): too-many-clients after 3 of them.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon
sc_calm
sc_fault max-clients on
sc_openvpn_log server 'MULTI: new incoming connection would exceed maximum number of clients \(1\)' 30
sc_expect too-many-clients --severity error --timeout 120 --evidence 'dropped_before_push=^([3-9]|[1-9][0-9])$'
sc_fault max-clients off
sc_resolved too-many-clients
sc_ping laptop "$LAB_VPC_DB"
sc_history too-many-clients
sc_pass
