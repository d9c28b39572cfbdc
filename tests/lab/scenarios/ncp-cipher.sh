#!/bin/bash
# The laptop's profile says `cipher AES-128-CBC`, as old profiles do; OpenVPN
# 2.6 negotiates AES-256-GCM with the server: ncp-cipher (info) with both.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon
sc_calm
sc_fault profile-cipher on AES-128-CBC
sc_openvpn_log laptop "DEPRECATED OPTION: --cipher set to 'AES-128-CBC'" 10
sc_expect ncp-cipher --severity info --evidence 'configured_cipher=^AES-128-CBC$' \
	--evidence 'negotiated_cipher=^AES-256-GCM$'
sc_fault profile-cipher off
sc_resolved ncp-cipher
sc_history ncp-cipher
sc_pass
