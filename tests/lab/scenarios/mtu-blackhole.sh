#!/bin/bash
# The gateway drops packets over 1300 bytes coming out of the tunnel and sends
# no ICMP error: small pings pass, large ones vanish: mtu-blackhole with the
# size that passes (1300) and the tun-mtu and MSS to set.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon
sc_quiet
sc_fault mtu-blackhole on 1300
sc_expect mtu-blackhole --severity warning --timeout 150 --evidence 'largest_ok=^1300$' \
	--evidence 'smallest_lost=^1301$' --evidence 'tun_mtu=^1500$' --evidence 'suggested_tcp_mss=^1260$'
sc_ping laptop "$LAB_VPC_DB"
sc_fault mtu-blackhole off
sc_resolved mtu-blackhole --timeout 60
sc_history mtu-blackhole
sc_pass
