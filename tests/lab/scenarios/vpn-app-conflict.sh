#!/bin/bash
# Another VPN's tun link (tailscale0, held open by a process) appears on the
# laptop beside the tunnel: vpn-app-conflict naming the link.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon
sc_calm
sc_fault other-vpn on
sc_expect vpn-app-conflict --severity warning --evidence 'link_1=^tun link tailscale0$'
sc_fault other-vpn off
sc_resolved vpn-app-conflict
sc_history vpn-app-conflict
sc_pass
