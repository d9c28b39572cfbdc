#!/bin/bash
# No [Tunnel] section: the discovered client against its SSL server as the IT
# team exported it. The export lists a Local Network the server does not
# push: local-network-missing, with no target host configured; exported
# again as the server really is, it resolves. Then the console's server moved
# to TCP 443 while the laptop's profile still says UDP 1194: config-invalid,
# both values in its summary; fixed in the export, resolved.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_cloud_facts
sc_daemon_discovered
sc_calm
sc_cloud_facts "LocalSubnet=$LAB_VPC_NET,172.20.0.0/16"
# its grace is 30 s: the margin is the lab's (a loaded 2-core machine)
sc_expect local-network-missing --severity error --timeout 60 --evidence 'local_network_1=^172\.20\.0\.0/16 '
sc_cloud_facts
sc_resolved local-network-missing --timeout 30
sc_cloud_facts Proto=TCP Port=443
sc_expect config-invalid --severity error --timeout 30 --evidence 'profile_remote=udp 1194$' \
	--evidence 'ssl_server=tcp 443$'
sc_cloud_facts
sc_resolved config-invalid --timeout 30
sc_history config-invalid
sc_ping laptop "$LAB_VPC_DB"
sc_pass
