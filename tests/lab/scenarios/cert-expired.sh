#!/bin/bash
# The laptop's profile points at an expired client certificate: the daemon names
# cert-expired with the certificate as evidence, while the real OpenVPN fails the
# way it does in the field; pointing the profile back resolves it.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon
sc_quiet
sc_fault cert-expired on
sc_expect cert-expired --severity error --evidence 'cert_1=client-expired\.crt'
sc_openvpn_log laptop 'WARNING: Your certificate has expired!' 10
sc_openvpn_log server 'VERIFY ERROR: depth=0, error=certificate has expired' 10
sc_openvpn_log laptop 'TLS Error: TLS key negotiation failed to occur within 20 seconds' 40
sc_fault cert-expired off
sc_resolved cert-expired
sc_ping laptop "$LAB_VPC_DB"
sc_history cert-expired
sc_pass
