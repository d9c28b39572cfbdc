#!/bin/bash
# The gateway's uplink is shaped to 5 Mbit/s (BandwidthMbps=5) and a download
# from the VPC pushes 8 Mbit/s through the tunnel: the tun carries >= 90% of the
# bandwidth while pings inside are lost: gateway-bandwidth. A 30-packet queue
# under the lab's htb keeps the queueing delay near 70 ms (its default 1000
# packets would hold replies for 2.4 s, past the ping probe's timeout).
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon BandwidthMbps=5
sc_quiet
sc_fault bandwidth on 5
lab_exec gateway tc qdisc add dev wan0 parent 1:10 pfifo limit 30 || sc_fail "pfifo"
lab__spawn udpblast vpc "$LAB_PY" "$LAB_SRC/tools/udpblast.py" --dst 10.8.0.6 --mbps 8
sc_expect gateway-bandwidth --severity warning --timeout 180 --evidence 'bandwidth_mbps=^5$' \
	--evidence 'rx_mbps=^(4\.[5-9]|5)'
lab__stop udpblast
sc_fault bandwidth off
sc_resolved gateway-bandwidth --timeout 60
sc_history gateway-bandwidth
sc_pass
