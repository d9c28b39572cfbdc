#!/bin/bash
# The gateway's uplink is shaped to 5 Mbit/s (BandwidthMbps=5) and a download
# from the VPC pushes 10 Mbit/s through the tunnel: the tun carries >= 90% of
# the bandwidth while pings inside queue and are lost: gateway-bandwidth. A
# 40-packet queue under the lab's htb holds every reply into the tunnel for
# 80-90 ms (its default 1000 packets would hold them for 2.4 s, past the ping
# probe's timeout) and drops some (10-20% of the echoes). The gateway's own
# ICMP (its answers to the path probe; the tunnel itself is UDP) goes to an
# unshaped class, as the bandwidth a VPN gateway sells is its VPN traffic's:
# the path probe's round trip outside stays the baseline against which the
# queue shows on every burst, lossy or not, so the finding does not flap.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon BandwidthMbps=5
sc_quiet
sc_fault bandwidth on 5
lab_exec gateway tc qdisc add dev wan0 parent 1:10 pfifo limit 40 || sc_fail "pfifo"
lab_exec gateway tc class add dev wan0 parent 1: classid 1:20 htb quantum 1514 rate 1gbit || sc_fail "icmp class"
lab_exec gateway tc filter add dev wan0 parent 1: protocol ip prio 1 u32 match ip protocol 1 0xff \
	flowid 1:20 || sc_fail "icmp filter"
lab__spawn udpblast vpc "$LAB_PY" "$LAB_SRC/tools/udpblast.py" --dst 10.8.0.6 --mbps 10
sc_expect gateway-bandwidth --severity warning --timeout 120 --evidence 'bandwidth_mbps=^5$' \
	--evidence 'rx_mbps=^(4\.[5-9]|5)' --evidence 'rtt_outside_ms=^[0-9](\.[0-9]+)?$'
lab__stop udpblast
sc_fault bandwidth off
sc_resolved gateway-bandwidth --timeout 60 # when the throughput falls (or the tests come back to h0)
sc_history gateway-bandwidth
sc_pass
