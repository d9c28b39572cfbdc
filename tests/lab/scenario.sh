#!/bin/bash
# Helpers for the lab scenarios (tests/lab/scenarios/*.sh): bring the lab up, run
# vpndoctord in the laptop, break something, and assert what the daemon says.
# A scenario is a short script:
#
#   . "$(dirname "$0")/../scenario.sh"
#   sc_begin --proto udp            # root or exit 77; lab up; teardown on any exit
#   sc_daemon                       # vpndoctord in the laptop, [Tunnel lab] on its profile
#   sc_quiet                        # nothing wrong yet
#   sc_fault cert-expired on        # see lab.sh faults
#   sc_expect cert-expired --evidence 'cert_1=client-expired'
#   sc_fault cert-expired off
#   sc_resolved cert-expired
#   sc_history cert-expired
#   sc_pass
#
# Needs $VD_BIN (the built programs; ctest sets it). Every wait has a timeout;
# every wait prints how long it took. VD_LAB_RESULTS=FILE appends
# "SCENARIO STEP SECONDS" lines there; VD_LAB_KEEP=1 keeps the lab's files.

set -u
SC_NAME=$(basename "$0" .sh)
# shellcheck source=lab.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lab.sh"

SC_TIMEOUT=${SC_TIMEOUT:-60}
SC_FAILED=""

sc__now() { date +%s.%N; }
sc__since() { echo "$1 $(sc__now)" | awk '{printf "%.1f", $2 - $1}'; }
sc_say() { echo "[$SC_NAME] $*"; }
sc__result() { # STEP SECONDS
	sc_say "$1: $2 s"
	[ -n "${VD_LAB_RESULTS:-}" ] && echo "$SC_NAME $1 $2" >>"$VD_LAB_RESULTS"
	return 0
}

sc_fail() {
	SC_FAILED=$*
	sc_say "FAIL: $*"
	exit 1
}

# On any exit: show what the daemon and OpenVPN said when it failed, then take
# the whole lab down (every process by pid, every namespace).
sc__exit() {
	local rc=$?
	trap - EXIT INT TERM
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "${LAB_DIR:-}" ] && [ -d "$LAB_DIR" ]; then
		sc_say "--- last check:"
		[ -f "$LAB_DIR/check.json" ] && /usr/bin/python3 "$LAB_SRC/tools/findings.py" show <"$LAB_DIR/check.json"
		sc_say "--- vpndoctord:"
		tail -n 25 "$LAB_DIR/logs/vpndoctord.out" 2>/dev/null
		sc_say "--- laptop openvpn:"
		tail -n 15 "$LAB_DIR/laptop/openvpn.log" 2>/dev/null
	fi
	[ -n "${VD_LAB_KEEP:-}" ] && LAB_KEEP=1
	[ -n "${LAB_DIR:-}" ] && lab_down
	[ -n "${SC_BUS_DIR:-}" ] && rm -rf "$SC_BUS_DIR"
	if [ "$rc" -eq 0 ]; then
		sc__result total "$(sc__since "$SC_T0")"
		sc_say "PASS"
	elif [ "$rc" -ne 77 ]; then
		sc_say "FAILED after $(sc__since "$SC_T0") s${SC_FAILED:+: $SC_FAILED}"
	fi
	exit "$rc"
}

# sc_begin [lab up options]: skip (77) unless root; bring the lab up.
sc_begin() {
	SC_T0=$(sc__now)
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the lab needs root (network namespaces)"
		exit 77
	fi
	: "${VD_BIN:=$LAB_SRC/../../build/bin}"
	[ -x "$VD_BIN/vpndoctord" ] || sc_fail "no vpndoctord in $VD_BIN (build it first)"
	[ -x "$VD_BIN/vpndoctor" ] || sc_fail "no vpndoctor in $VD_BIN (build it first)"
	trap sc__exit EXIT
	trap 'exit 130' INT TERM
	LAB_OWNER="$$ $(sed 's/.*) //' /proc/$$/stat | awk '{print $20}')"
	LAB_QUIET=1 lab_up "$@" || sc_fail "lab up"
	sc__result "lab up" "$LAB_UP_SECONDS"
}

# sc_daemon [CONFIG LINES...]: write vpndoctor.conf (one [Tunnel lab] on the
# laptop's profile, plus the lines given, which may open further sections) and
# start vpndoctord inside the laptop's namespace.
sc_daemon() {
	SC_SOCK=$LAB_DIR/vpndoctor.sock
	SC_CONF=$LAB_DIR/vpndoctor.conf
	mkdir -p "$LAB_DIR/vdstate"
	{
		echo "[Clock]"
		echo "NTPServers=$LAB_NTP_IP"
		# Its four samples 2 s apart make every check take 6 s: only the
		# scenarios about the clock and the healthy baselines (nothing false
		# on a healthy lab) run it (SC_CLOCK=1).
		[ "${SC_CLOCK:-0}" = 1 ] || echo "Enabled=no"
		echo
		echo "[Tunnel lab]"
		echo "Config=$LAB_DIR/laptop/client.conf"
		echo "Management=$LAB_DIR/laptop/mgmt.sock"
		echo "Targets=$LAB_VPC_DB"
		echo "Names=$LAB_VPC_NAME"
		echo "ClientCIDR=$LAB_CLIENT_CIDR"
		echo "LocalNetworks=$LAB_VPC_NET"
		echo "MaxConnections=$LAB_MAX_CLIENTS"
		local l
		for l in "$@"; do echo "$l"; done
	} >"$SC_CONF"
	sc__start_daemon
}

sc__start_daemon() {
	local t0
	t0=$(sc__now)
	# shellcheck disable=SC2086 # SC_DAEMON_ENV: VAR=VALUE words
	lab__spawn vpndoctord laptop ${SC_DAEMON_ENV:+env $SC_DAEMON_ENV} "$VD_BIN/vpndoctord" --foreground \
		--user nobody --log-target stderr --config "$SC_CONF" --socket "$SC_SOCK" --state-dir "$LAB_DIR/vdstate"
	local i
	for i in $(seq 1 100); do
		[ -S "$SC_SOCK" ] && break
		lab__alive vpndoctord || sc_fail "vpndoctord exited: $(tail -n 5 "$LAB_DIR/logs/vpndoctord.out")"
		sleep 0.1
	done
	[ -S "$SC_SOCK" ] || sc_fail "vpndoctord did not listen on $SC_SOCK within 10 s"
	sc__result "daemon ready" "$(sc__since "$t0")"
}

# sc_daemon_discovered [CONFIG LINES...]: as a laptop is set up, no [Tunnel]
# at all: vpndoctord finds the laptop's openvpn (a tunnel named after its
# profile, client) and reads the cloud facts files of $LAB_DIR/cloud.d
# (sc_cloud_facts); the lines given may open further sections.
sc_daemon_discovered() {
	SC_SOCK=$LAB_DIR/vpndoctor.sock
	SC_CONF=$LAB_DIR/vpndoctor.conf
	SC_TUNNEL=client
	mkdir -p "$LAB_DIR/vdstate" "$LAB_DIR/cloud.d"
	{
		echo "[Clock]"
		echo "NTPServers=$LAB_NTP_IP"
		[ "${SC_CLOCK:-0}" = 1 ] || echo "Enabled=no"
		echo
		echo "[Cloud]"
		echo "Directory=$LAB_DIR/cloud.d"
		local l
		for l in "$@"; do echo "$l"; done
	} >"$SC_CONF"
	sc__start_daemon
	local t0 i
	t0=$(sc__now)
	for i in $(seq 1 300); do
		sc_vd status --json 2>/dev/null | grep -q '"name":"client"' && break
		sleep 0.1
	done
	sc_vd status --json 2>/dev/null | grep -q '"name":"client"' ||
		sc_fail "the laptop's openvpn was not discovered within 30 s: $(sc_vd status 2>&1 | head -5)"
	sc__result "discovered" "$(sc__since "$t0")"
}

# sc_cloud_facts [FIELD=VALUE...]: $LAB_DIR/cloud.d/lab.json, the lab gateway as
# the IT team exports it (`aliyun vpc DescribeSslVpnServers ...;
# DescribeVpnGateways ...; DescribeVpnRouteEntries ...`, tests/lab/tools/
# cloudfacts.py), written whole; each FIELD=VALUE changes a field of the SSL
# server (ClientIpPool=10.8.0.0/29). sc_cloud_facts --remove takes it away.
sc_cloud_facts() {
	mkdir -p "$LAB_DIR/cloud.d"
	if [ "${1:-}" = --remove ]; then
		rm -f "$LAB_DIR/cloud.d/lab.json"
	else
		/usr/bin/python3 "$LAB_SRC/tools/cloudfacts.py" "$LAB_GW_IP" "$LAB_PROTO" "$LAB_PORT" "$LAB_CLIENT_CIDR" \
			"$LAB_VPC_NET" "$LAB_MAX_CLIENTS" "$@" >"$LAB_DIR/cloud.d/.lab.json.tmp" &&
			mv "$LAB_DIR/cloud.d/.lab.json.tmp" "$LAB_DIR/cloud.d/lab.json" || sc_fail "cloud facts file"
	fi
	SC_FAULT_T=$(sc__now)
}

# sc_unchecked PYTHON: the expression holds over the last check's list of
# causes not checked on the tunnel (u: cause -> its entry).
sc_unchecked() {
	sc_check || sc_fail "check failed"
	/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = next(t for t in d["tunnels"] if t["name"] == sys.argv[2])
u = {e["cause"]: e for e in t["unchecked"]}
sys.exit(0 if eval(sys.argv[3]) else 1)' "$LAB_DIR/check.json" "$SC_TUNNEL" "$1" ||
		sc_fail "unchecked: not ($1): $(/usr/bin/python3 -c 'import json,sys; print([(t["name"], [e["cause"] for e in t["unchecked"]]) for t in json.load(open(sys.argv[1]))["tunnels"]])' "$LAB_DIR/check.json")"
	sc_say "unchecked: $1"
}

# sc_vd ARGS...: the CLI against the lab's daemon (a Unix socket: no network).
sc_vd() { "$VD_BIN/vpndoctor" --socket "$SC_SOCK" "$@"; }

# sc_check: run every probe now; the answer lands in $LAB_DIR/check.json.
sc_check() {
	sc_vd check --json >"$LAB_DIR/check.json" 2>"$LAB_DIR/check.err"
	local rc=$?
	[ "$rc" -le 2 ] || { sc_say "check: exit $rc: $(head -c 300 "$LAB_DIR/check.err")"; return 1; }
	return 0
}

# sc__until TIMEOUT FINDINGS-ARGS...: check until findings.py agrees, or fail.
sc__until() {
	local timeout=$1 deadline why=""
	shift
	deadline=$(($(date +%s) + timeout))
	while :; do
		if sc_check; then
			why=$(/usr/bin/python3 "$LAB_SRC/tools/findings.py" "$@" <"$LAB_DIR/check.json") && {
				[ -n "$why" ] && sc_say "$why"
				return 0
			}
		else
			why="check failed"
		fi
		[ "$(date +%s)" -lt "$deadline" ] || { SC_WHY=$why; return 1; }
		lab__alive vpndoctord || { SC_WHY="vpndoctord died"; return 1; }
		sleep 1
	done
}

# sc__opts ARGS: split --timeout N off the findings.py arguments (which get
# the tunnel's name: lab, or client when discovered).
sc__opts() {
	SC_T=$SC_TIMEOUT
	SC_ARGS=(--tunnel "${SC_TUNNEL:-lab}")
	while [ $# -gt 0 ]; do
		if [ "$1" = --timeout ]; then SC_T=$2; shift 2; else SC_ARGS+=("$1"); shift; fi
	done
}

# sc_quiet [--timeout N]: no warning and no error, and it stays so for 3 checks.
sc_quiet() {
	sc__opts "$@"
	local t0 i
	t0=$(sc__now)
	sc__until "$SC_T" quiet "${SC_ARGS[@]}" || sc_fail "not quiet: $SC_WHY"
	for i in 1 2 3; do
		sleep 1
		sc_check || sc_fail "check failed"
		/usr/bin/python3 "$LAB_SRC/tools/findings.py" quiet "${SC_ARGS[@]}" <"$LAB_DIR/check.json" ||
			sc_fail "not quiet on a healthy lab (above)"
	done
	sc__result "quiet" "$(sc__since "$t0")"
}

# sc_calm [--timeout N]: no warning and no error now (one clean check): a fault
# scenario's starting point; that it stays so is the healthy baselines' part.
sc_calm() {
	sc__opts "$@"
	local t0
	t0=$(sc__now)
	sc__until "$SC_T" quiet "${SC_ARGS[@]}" || sc_fail "not calm before the fault: $SC_WHY"
	sc__result "calm" "$(sc__since "$t0")"
}

# sc_fault NAME on|off [ARGS]: the lab's fault; diagnosis time counts from its end.
sc_fault() {
	local t0
	t0=$(sc__now)
	sc_mark
	LAB_QUIET=1 lab_fault "$@" || sc_fail "fault $*"
	SC_FAULT_T=$(sc__now)
	sc__result "fault $1 $2" "$(sc__since "$t0")"
}

# sc_expect CAUSE [--evidence KEY[=REGEX]]... [--severity S] [--timeout N]
sc_expect() {
	local cause=$1
	shift
	sc__opts "$@"
	sc__until "$SC_T" expect "$cause" "${SC_ARGS[@]}" || sc_fail "expected $cause: $SC_WHY"
	sc__result "diagnosis $cause" "$(sc__since "$SC_FAULT_T")"
}

# sc_resolved CAUSE [--timeout N]: the finding goes away after the fault is off.
sc_resolved() {
	local cause=$1
	shift
	sc__opts "$@"
	sc__until "$SC_T" absent "$cause" "${SC_ARGS[@]}" || sc_fail "$cause did not resolve: $SC_WHY"
	sc__result "resolved $cause" "$(sc__since "$SC_FAULT_T")"
}

# sc_history CAUSE: opened then resolved in `vpndoctor history`, and both events
# in the daemon's log (its journal stand-in: --log-target stderr).
sc_history() {
	local cause=$1 why
	sc_vd history --json >"$LAB_DIR/history.json" 2>"$LAB_DIR/history.err" ||
		[ $? -le 2 ] || sc_fail "history: $(head -c 300 "$LAB_DIR/history.err")"
	local tn=${SC_TUNNEL:-lab}
	why=$(/usr/bin/python3 "$LAB_SRC/tools/findings.py" history "$cause" --tunnel "$tn" <"$LAB_DIR/history.json") ||
		sc_fail "$why"
	grep -Eq "opened $cause on $tn" "$LAB_DIR/logs/vpndoctord.out" ||
		sc_fail "no 'opened $cause on $tn' in the daemon's log"
	grep -Eq "resolved $cause on $tn" "$LAB_DIR/logs/vpndoctord.out" ||
		sc_fail "no 'resolved $cause on $tn' in the daemon's log"
	sc_say "history and log have $cause opened and resolved"
}

# sc_openvpn_log WHO REGEX [TIMEOUT]: WHO is laptop, laptop2 or server; the line
# must appear after the last sc_fault (or sc_mark).
sc_mark() {
	SC_MARK_laptop=$(lab_log_mark laptop)
	SC_MARK_laptop2=$(lab_log_mark laptop2)
	SC_MARK_server=$(stat -c %s "$LAB_DIR/gateway/server.log" 2>/dev/null || echo 0)
}
sc_openvpn_log() {
	local who=$1 re=$2 t=${3:-$SC_TIMEOUT} f off t0
	t0=$(sc__now)
	case "$who" in
	server) f=$LAB_DIR/gateway/server.log ;;
	*) f=$LAB_DIR/$who/openvpn.log ;;
	esac
	eval "off=\${SC_MARK_$who:-0}"
	lab_log_wait "$f" "$off" "$re" "$t" || sc_fail "no /$re/ in the $who's OpenVPN log within $t s"
	sc_say "$who log: $(tail -c +"$((off + 1))" "$f" | grep -E -m1 -- "$re" | cut -c1-160)"
}

# sc_ping NODE ADDR: one ping must pass (from NODE's namespace).
sc_ping() {
	lab_exec "$1" ping -c 3 -i 0.2 -W 1 -q "$2" >/dev/null || sc_fail "$1 cannot ping $2"
}

# sc_never CAUSE|loud [--since EPOCH]: the history has no CAUSE opened ("loud":
# no warning or error at all), since EPOCH.
sc_never() {
	local why
	sc_vd history --json >"$LAB_DIR/history.json" 2>"$LAB_DIR/history.err" ||
		[ $? -le 2 ] || sc_fail "history: $(head -c 300 "$LAB_DIR/history.err")"
	why=$(/usr/bin/python3 "$LAB_SRC/tools/findings.py" never "$@" <"$LAB_DIR/history.json") || sc_fail "$why"
}

# sc_system_bus [logind] [nm]: a private system bus (a dbus-daemon of the lab's
# own; its socket is a file, so namespaces do not matter) with python3-dbusmock's
# logind and NetworkManager mocks as asked; the daemon started after this uses
# it (SC_DAEMON_ENV), and busmock.py drives the mocks. Skips (77) without them.
sc_system_bus() {
	local m
	command -v dbus-daemon >/dev/null || { echo "SKIP: no dbus-daemon"; exit 77; }
	/usr/bin/python3 -c 'import dbusmock' 2>/dev/null || { echo "SKIP: no python3-dbusmock"; exit 77; }
	# beside the lab's directory, which the daemon's engine (nobody) cannot enter
	SC_BUS_DIR=$(mktemp -d /tmp/vdlab-bus.XXXXXX) || sc_fail "no directory for the bus"
	chmod 0711 "$SC_BUS_DIR"
	SC_BUS="unix:path=$SC_BUS_DIR/system_bus_socket"
	cat >"$LAB_DIR/bus.conf" <<-EOB
	<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
	 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
	<busconfig>
	  <type>system</type>
	  <listen>$SC_BUS</listen>
	  <auth>EXTERNAL</auth>
	  <policy context="default">
	    <allow user="*"/>
	    <allow own="*"/>
	    <allow send_destination="*"/>
	    <allow receive_sender="*"/>
	  </policy>
	</busconfig>
	EOB
	lab__spawn system-bus laptop dbus-daemon --config-file="$LAB_DIR/bus.conf" --nofork --nopidfile
	lab__wait_file "$SC_BUS_DIR/system_bus_socket" 10 || sc_fail "the lab's system bus did not start"
	SC_DAEMON_ENV="DBUS_SYSTEM_BUS_ADDRESS=$SC_BUS"
	for m in "$@"; do
		case "$m" in
		logind) lab__spawn mock-logind laptop env "DBUS_SYSTEM_BUS_ADDRESS=$SC_BUS" "$LAB_PY" -m dbusmock \
			--system --template logind ;;
		nm) lab__spawn mock-nm laptop env "DBUS_SYSTEM_BUS_ADDRESS=$SC_BUS" "$LAB_PY" -m dbusmock \
			--system --template networkmanager ;;
		*) sc_fail "sc_system_bus: no mock '$m'" ;;
		esac
		sc_busmock wait "$m" || sc_fail "the $m mock did not start: $(tail -n 5 "$LAB_DIR/logs/mock-$m.out")"
	done
}

# sc_busmock ARGS: tools/busmock.py on the lab's system bus.
sc_busmock() { DBUS_SYSTEM_BUS_ADDRESS=$SC_BUS "$LAB_PY" "$LAB_SRC/tools/busmock.py" "$@"; }

# sc_status_json: the daemon's status (no probe is run for it).
sc_status_json() { sc_vd status --json 2>/dev/null; }

sc_pass() { exit 0; }
