#!/bin/bash
# The server is reconfigured (an extra route, a search domain) and restarted:
# the new session's pushed options differ from the last: server-config-changed
# (info) with the routes before and after. The finding also counts the
# server's resets over 10 minutes, so it resolves only after a session equal
# to the one before and 10 minutes after the last reset: VD_LAB_LONG=1 waits
# for that, else the scenario stops at the change back.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon
sc_calm
sc_fault server-change on
sc_expect server-config-changed --severity info --evidence 'routes=^172\.16\.0\.0/16, 10\.8\.0\.1/32 -> .*172\.31\.0\.0/16' \
	--evidence 'log_server_resets=^1$'
sc_fault server-change off
sc_expect server-config-changed --severity info --evidence 'routes=172\.31\.0\.0/16.* -> 172\.16\.0\.0/16, 10\.8\.0\.1/32$' \
	--evidence 'log_server_resets=^2$'
[ -n "${VD_LAB_LONG:-}" ] || { sc_say "resolution takes 10 minutes: not waited (VD_LAB_LONG=1 does)"; sc_pass; }
lab__client_restart_wait client
sc_resolved server-config-changed --timeout 720
sc_history server-config-changed
sc_pass
