#!/bin/sh
# Regenerates NAME.json from NAME.nft with the nft on this machine, each in a
# private network namespace (root; nothing touches the host's ruleset).
set -eu
cd "$(dirname "$0")"
for f in *.nft; do
	unshare -n sh -c "ip tuntap add dev tun0 mode tun && nft -f '$f' && nft -j list ruleset" >"${f%.nft}.json"
done
unshare -n nft -j list ruleset >empty.json
