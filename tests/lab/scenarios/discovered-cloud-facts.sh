#!/bin/bash
# As a laptop is set up: no [Tunnel] section at all. The daemon discovers the
# laptop's openvpn, and with no cloud facts file says it cannot check
# client-cidr-too-small (needs CloudFacts=). The IT team's export of the lab
# gateway (the aliyun answers, matched by the gateway's address) then decides
# it: quiet, nothing false, the cloud causes checked (and security-group, on
# the pushed DNS server taken as the VPC host to ping). An export whose pool is
# too small for MaxConnections (a /29: 2 clients for 4) makes
# client-cidr-too-small an error at once (the file is read again when it is
# replaced); the file taken away, the finding resolves and the cause is
# unchecked again.
SC_CLOCK=1
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon_discovered
sc_quiet
sc_unchecked 'u["client-cidr-too-small"]["needs"] == ["CloudFacts="] and "gateway-old-version" in u'
sc_cloud_facts
sc_quiet
sc_unchecked '"client-cidr-too-small" not in u and "gateway-old-version" not in u and "ipsec-route-overlap" not in u'
# no Targets=: the pushed DNS server is the VPC host pinged (derived), so
# security-group is checked, and quiet above
sc_unchecked '"security-group" not in u'
sc_cloud_facts ClientIpPool=10.8.0.0/29
sc_expect client-cidr-too-small --severity error --timeout 30 --evidence 'max_connections=^4$' \
	--evidence 'clients_at_4_addresses=^2$'
sc_cloud_facts --remove
sc_resolved client-cidr-too-small --timeout 30
sc_unchecked 'u["client-cidr-too-small"]["needs"] == ["CloudFacts="]'
sc_history client-cidr-too-small
sc_ping laptop "$LAB_VPC_DB"
sc_pass
