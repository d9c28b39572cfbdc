#!/bin/bash
# `make demo`: the lab comes up, vpndoctord runs in the laptop, and a few faults are
# broken and repaired live, with `vpndoctor status` after each. Everything it
# starts is stopped at the end (or on Ctrl-C).
# Usage: demo.sh BUILD_DIR
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

# The walk-through: FAULT|ARGS|CAUSE|what happens. Add a line when a probe lands.
DEMO_STEPS="
cert-expired||cert-expired|The laptop's profile now uses a client certificate that expired last year.
profile-broken||config-invalid|The profile names a CA file that does not exist.
cert-notyet||cert-expired|The profile uses a certificate that becomes valid only next month.
"

build=${1:-build}
[ -d "$build/bin" ] || { echo "demo: no $build/bin; run 'make' first" >&2; exit 1; }
VD_BIN=$(cd "$build/bin" && pwd)
export VD_BIN
. "$(cd "$(dirname "$0")" && pwd)/scenario.sh"
SC_NAME=demo

if [ -t 1 ]; then
	title() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	title() { printf '\n== %s\n' "$*"; }
fi
status() { echo "\$ vpndoctor status"; sc_vd status; true; }

title "Bringing the lab up: laptop, home router, OpenVPN gateway, VPC with DNS, NTP server"
sc_begin --proto udp
echo "tunnel up in $LAB_UP_SECONDS s; laptop $LAB_LAPTOP_IP -> gateway $LAB_GW_IP, VPC $LAB_VPC_NET"
lab_exec laptop ping -c 2 -q "$LAB_VPC_DB" | tail -n 1
sc_daemon
title "A healthy tunnel"
sc_quiet
status

while IFS='|' read -r fault args cause what; do
	[ -n "$fault" ] || continue
	title "$what"
	# shellcheck disable=SC2086
	sc_fault "$fault" on $args
	sc_expect "$cause"
	status
	title "Repairing it"
	sc_fault "$fault" off
	sc_resolved "$cause"
	status
done <<<"$DEMO_STEPS"

title "What the daemon remembers"
echo "\$ vpndoctor history"
sc_vd history || true
title "Tearing the lab down"
sc_pass
