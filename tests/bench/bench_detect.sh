#!/bin/bash
# Benchmark of how fast vpndoctord names and clears the sampled causes, and
# what watching a healthy tunnel costs (issue 12). Prints figures; not a
# pass/fail test. Drives the project's lab (tests/lab/lab.sh: a real OpenVPN
# client and server in network namespaces) with the lab's own faults.
#
#   cost     a healthy live tunnel, COST_S seconds with no client asking the
#            daemon anything: its wake-ups (voluntary context switches of
#            all its threads, /proc/PID/task/*/status: a block and a
#            return; the engine and the privileged parent apart, and the
#            nonvoluntary ones, preemptions by other load, apart), and its
#            traffic on the
#            laptop's uplink, tunnel encapsulation included (nftables
#            counters in the laptop: eth0 without OpenVPN's own flow, plus
#            tun0's packets with the encapsulation's bytes per packet,
#            measured on a calibration burst before the daemon starts).
#            Bytes are IP bytes (add 14 per packet for Ethernet headers).
#   detect   RUNS runs of each fault: 10% loss and 3% loss at the internet
#            router (the lab's loss fault: inside and outside the tunnel
#            alike), and 200 ms added to what the gateway sends to the
#            internet (the lab's latency fault: the UDP tunnel and the
#            gateway's public address alike). Time from the fault's onset
#            to the first sampled finding in GetStatus (`vpndoctor status`,
#            polled every POLL_S: it runs no probe), and from the fix to its
#            resolution; medians over the runs.
#   soak     SOAK_S seconds of a healthy tunnel with 0.5% random loss and
#            5 ms jitter (a delay line at 5 +- 5 ms): every warning or error
#            that shows in GetStatus (polled every 2 s) or opens in the log;
#            and what it cost, as the cost phase counts it (soak_*: the
#            chance losses' settling included, and the polling's wake-ups).
#   rates    the false-alarm rate each sampled cause's tests are built for,
#            as `vpndoctor explain CAUSE --json` gives it.
#
# Usage: tests/bench/bench_detect.sh [BUILD_BIN_DIR]
#   env: PHASES="cost detect soak rates" RUNS=5 COST_S=3600 SOAK_S=1800
#        COST_BREAKDOWN=1 (the cost phase also prints its packets by kind:
#        traffic_breakdown.py in the laptop)
#        COST_LOSS=PCT (the cost phase on a tunnel losing PCT%, the soak's
#        0.5 for one: its results are loss0.5_*)
#        COST_LATENCY=MS (the cost phase with MS of round trip added, as a
#        real path has: a reply that comes after the daemon went back to
#        sleep wakes it again, which the lab's sub-millisecond path hides;
#        its results are rttMS_*)
#        DETECT_TIMEOUT=300 RESOLVE_TIMEOUT=300 POLL_S=0.5 LABEL=name
#        DETECT_FAULTS="loss10 loss3 latency200" (which faults detect runs)
#        DETECT_FROM_REST=1 (each fault only once the path's loss tests are
#        back at their floor, not soon after the last one's resolution)
#        RESULTS=FILE (appends "LABEL KEY VALUE" lines), BENCH_KEEP=1 (keep
#        the lab's files), BENCH_DEBUG=1 (the daemon logs at debug level)
set -u

VD_BIN=${1:-${VD_BIN:-build/bin}}
VD_BIN=$(cd "$VD_BIN" && pwd)
PHASES=${PHASES:-cost detect soak rates}
RUNS=${RUNS:-5}
DETECT_FAULTS=${DETECT_FAULTS:-loss10 loss3 latency200}
COST_S=${COST_S:-3600} # one period of the MTU probe (hourly, large packets): a shorter window can miss it
SOAK_S=${SOAK_S:-1800}
DETECT_TIMEOUT=${DETECT_TIMEOUT:-300}
RESOLVE_TIMEOUT=${RESOLVE_TIMEOUT:-300}
POLL_S=${POLL_S:-0.5}
LABEL=${LABEL:-$(basename "$(dirname "$VD_BIN")")}
RESULTS=${RESULTS:-}
SAMPLED="unstable-internet long-distance-udp udp-unreliable gateway-bandwidth gateway-old-version asymmetric-path security-group"

[ -x "$VD_BIN/vpndoctord" ] || { echo "no $VD_BIN/vpndoctord" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root (the lab's namespaces)" >&2; exit 1; }

# shellcheck source=../lab/lab.sh
. "$(cd "$(dirname "$0")/../lab" && pwd)/lab.sh"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }
say() { echo "[$LABEL] $*"; }
result() { # KEY VALUE
	say "$1: $2"
	[ -n "$RESULTS" ] && echo "$LABEL $1 $2" >>"$RESULTS"
	return 0
}

cleanup() {
	trap - EXIT INT TERM
	# BENCH_KEEP=1 keeps the lab's files (the daemon's log) for a look afterwards
	[ -n "${BENCH_KEEP:-}" ] && LAB_KEEP=1
	[ -n "${LAB_DIR:-}" ] && lab_down
}
trap cleanup EXIT
trap 'exit 130' INT TERM

vd() { "$VD_BIN/vpndoctor" --socket "$SOCK" "$@"; }

# The findings GetStatus has on the lab's tunnel, not suppressed: "CAUSE:SEVERITY" lines.
findings() {
	vd status --json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
for f in d.get("findings", []):
    if f.get("tunnel") == "lab" and not f.get("suppressed_by"):
        print("%s:%s" % (f.get("cause"), f.get("severity")))
'
}

# The first sampled cause in the findings, or nothing.
sampled_finding() {
	local f c
	for f in $(findings); do
		c=${f%%:*}
		case " $SAMPLED " in *" $c "*) echo "$c"; return 0 ;; esac
	done
	return 1
}

median() { sort -g | awk '{v[NR] = $1} END {if (!NR) {print "-"; exit} if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

start_daemon() {
	SOCK=$LAB_DIR/vpndoctor.sock
	mkdir -p "$LAB_DIR/vdstate"
	cat >"$LAB_DIR/vpndoctor.conf" <<-EOF
	[Clock]
	NTPServers=$LAB_NTP_IP

	[Tunnel lab]
	Config=$LAB_DIR/laptop/client.conf
	Management=$LAB_DIR/laptop/mgmt.sock
	Targets=$LAB_VPC_DB
	Names=$LAB_VPC_NAME
	ClientCIDR=$LAB_CLIENT_CIDR
	LocalNetworks=$LAB_VPC_NET
	MaxConnections=$LAB_MAX_CLIENTS
	EOF
	lab__spawn vpndoctord laptop "$VD_BIN/vpndoctord" --foreground --user nobody --log-target stderr \
		${BENCH_DEBUG:+--log-level debug} \
		--config "$LAB_DIR/vpndoctor.conf" --socket "$SOCK" --state-dir "$LAB_DIR/vdstate"
	local i
	for i in $(seq 1 100); do
		[ -S "$SOCK" ] && break
		sleep 0.1
	done
	[ -S "$SOCK" ] || { echo "vpndoctord did not start" >&2; tail "$LAB_DIR/logs/vpndoctord.out" >&2; exit 1; }
	DPID=$(lab__pid vpndoctord)
}

# Healthy: no warning or error for 10 s in a row (at most 300 s).
wait_calm() {
	local t0 calm=0 f
	t0=$(date +%s)
	while [ $(($(date +%s) - t0)) -lt 300 ]; do
		f=$(findings | grep -E ':(warning|error)$' || true)
		if [ -z "$f" ]; then
			calm=$((calm + 1))
			[ "$calm" -ge 10 ] && return 0
		else
			calm=0
		fi
		sleep 1
	done
	say "not calm after 300 s: $f"
	return 1
}

# At rest: every loss test of the path at its floor, none just resolved (a
# fault soon after the last one's resolution starts from that test's head
# start, and is watched at 1 a second: faster than from rest). At most
# 600 s; for DETECT_FROM_REST=1.
wait_rest() {
	local t0
	t0=$(date +%s)
	while [ $(($(date +%s) - t0)) -lt 600 ]; do
		vd facts --json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)["facts"]
t = [x for x in d.get("tunnels", []) if x.get("name") == "lab"][0]
tests = t["path"]["tests"]
sys.exit(0 if all(tests[k]["statistic"] == 0 and not tests[k].get("resolved") for k in ("loss_heavy", "loss_light")) else 1)
' 2>/dev/null && return 0
		sleep 2
	done
	say "not at rest after 600 s"
	return 1
}

# ---- nftables counters in the laptop

OVPN_PORT=""
counters_setup() {
	OVPN_PORT=$(lab_exec laptop ss -Huanp 2>/dev/null | awk '/openvpn/ {n = split($4, a, ":"); print a[n]; exit}')
	[ -n "$OVPN_PORT" ] || { echo "OpenVPN's UDP port not found in the laptop" >&2; exit 1; }
	# The kernel's own IPv6 neighbour discovery and multicast reports (on
	# tun0 too: router solicitations) are not the daemon's: about 0.1 KB a
	# minute in the lab, counted before 2026-12-07 (traffic_breakdown.py).
	# OpenVPN's own packets are counted apart, for the encapsulation.
	lab_exec laptop nft -f - <<-EOF || exit 1
	define kernel_own = { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, mld2-listener-report }
	table inet vdbench {
		counter eth_out {}
		counter eth_in {}
		counter ovpn_out {}
		counter ovpn_in {}
		counter tun_out {}
		counter tun_in {}
		chain out {
			type filter hook output priority -300; policy accept;
			oifname "eth0" udp sport $OVPN_PORT counter name ovpn_out accept
			icmpv6 type \$kernel_own accept
			oifname "eth0" counter name eth_out
			oifname "tun0" counter name tun_out
		}
		chain in {
			type filter hook input priority -300; policy accept;
			iifname "eth0" udp dport $OVPN_PORT counter name ovpn_in accept
			icmpv6 type \$kernel_own accept
			iifname "eth0" counter name eth_in
			iifname "tun0" counter name tun_in
		}
	}
	EOF
}

# "PACKETS BYTES" of a counter
counter() {
	lab_exec laptop nft list counter inet vdbench "$1" | awk '/packets/ {for (i = 1; i < NF; i++) {if ($i == "packets") p = $(i + 1); if ($i == "bytes") b = $(i + 1)} print p, b}'
}
counters_all() { local c; for c in eth_out eth_in ovpn_out ovpn_in tun_out tun_in; do counter "$c"; done | tr '\n' ' '; }

# Bytes OpenVPN adds to each packet of the tunnel (IP, UDP, its data channel
# header and tag): a burst of pings through the tunnel before the daemon runs.
calibrate() {
	local a b
	a=$(counters_all)
	lab_exec laptop ping -c 50 -i 0.01 -q "$LAB_VPC_DB" >/dev/null 2>&1
	b=$(counters_all)
	ENCAP=$(echo "$a $b" | awk '{
		dob = $18 - $6; dtb = $22 - $10; dtp = $21 - $9
		dib = $20 - $8; dtib = $24 - $12; dtip = $23 - $11
		if (dtp + dtip > 0) printf "%.0f", (dob + dib - dtb - dtib) / (dtp + dtip); else print 0 }')
	result "encapsulation_bytes_per_packet" "$ENCAP"
}

# Context switches of one process, every thread: "VOLUNTARY NONVOLUNTARY".
# A voluntary one is a wake-up: the thread blocked (epoll_wait, poll) and
# came back. A nonvoluntary one is a preemption by other load on the
# machine, not a wake-up of ours: counted apart, for information.
ctx_of() {
	local f v=0 n=0 a b
	for f in /proc/"$1"/task/*/status; do
		a=$(awk '/^voluntary_ctxt_switches/ {print $2}' "$f" 2>/dev/null || echo 0)
		b=$(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$f" 2>/dev/null || echo 0)
		v=$((v + ${a:-0}))
		n=$((n + ${b:-0}))
	done
	echo "$v $n"
}

# The daemon's processes: the privileged parent lab__spawn started, then its
# children (the engine, as --user runs it): "PARENT_V PARENT_N ENGINE_V ENGINE_N".
ctx_all() {
	local p v=0 n=0 a b
	for p in $(pgrep -P "$DPID"); do
		read -r a b <<<"$(ctx_of "$p")"
		v=$((v + a))
		n=$((n + b))
	done
	echo "$(ctx_of "$DPID") $v $n"
}

phase_cost() {
	local c0 c1 w0 w1 pre=""
	say "== cost: healthy tunnel${COST_LOSS:+ at ${COST_LOSS}% loss}${COST_LATENCY:+ with ${COST_LATENCY} ms more round trip}, ${COST_S} s, nobody asking"
	wait_calm || return
	if [ -n "${COST_LOSS:-}" ]; then
		LAB_QUIET=1 lab_fault loss on "$COST_LOSS" || exit 1
		pre="loss${COST_LOSS}_"
	fi
	if [ -n "${COST_LATENCY:-}" ]; then
		LAB_QUIET=1 lab_fault latency on "$COST_LATENCY" || exit 1
		pre="${pre}rtt${COST_LATENCY}_"
	fi
	sleep 30 # the first rounds of every probe are over
	c0=$(counters_all)
	w0=$(ctx_all)
	if [ -n "${COST_BREAKDOWN:-}" ]; then
		# where the bytes go, by kind of packet (OpenVPN's own flow left out
		# on eth0: the tunnel's packets show on tun0)
		lab_exec laptop /usr/bin/python3 "$(dirname "$0")/traffic_breakdown.py" "$COST_S" eth0 tun0 \
			--skip-udp-port "$OVPN_PORT" | while read -r l; do say "breakdown: $l"; done
	else
		sleep "$COST_S"
	fi
	w1=$(ctx_all)
	c1=$(counters_all)
	[ -n "${COST_LOSS:-}" ] && LAB_QUIET=1 lab_fault loss off
	[ -n "${COST_LATENCY:-}" ] && LAB_QUIET=1 lab_fault latency off
	cost_results "$pre" "$COST_S" "$c0" "$c1" "$w0" "$w1"
}

# cost_results PREFIX SECONDS C0 C1 W0 W1: the wake-ups and traffic between
# two readings of the counters (counters_all) and switches (ctx_all)
cost_results() {
	local pre=$1 secs=$2 c0=$3 c1=$4 w0=$5 w1=$6
	# wake-ups: voluntary switches of both processes (the target); each
	# process apart, and the preemptions apart
	result "${pre}wakeups_per_s" "$(echo "$w0 $w1" | awk -v s="$secs" '{printf "%.2f", (($5 - $1) + ($7 - $3)) / s}')"
	result "${pre}wakeups_engine_per_s" "$(echo "$w0 $w1" | awk -v s="$secs" '{printf "%.2f", ($7 - $3) / s}')"
	result "${pre}wakeups_parent_per_s" "$(echo "$w0 $w1" | awk -v s="$secs" '{printf "%.2f", ($5 - $1) / s}')"
	result "${pre}preemptions_per_s" "$(echo "$w0 $w1" | awk -v s="$secs" '{printf "%.2f", (($6 - $2) + ($8 - $4)) / s}')"
	echo "$c0 $c1" | awk -v s="$secs" -v e="$ENCAP" '{
		op = ($13 - $1) + ($15 - $3); ob = ($14 - $2) + ($16 - $4)
		tp = ($21 - $9) + ($23 - $11); tb = ($22 - $10) + ($24 - $12)
		m = 60 / s
		printf "outside %.0f packets %.0f B/min; inside %.0f packets %.0f B/min, %.0f B/min on the wire; total %.0f B/min IP (%.0f with Ethernet headers)\n",
			op * m, ob * m, tp * m, tb * m, (tb + tp * e) * m, (ob + tb + tp * e) * m, (ob + tb + tp * e + 14 * (op + tp)) * m
		printf "%.0f %.0f\n", (ob + tb + tp * e) * m, (ob + tb + tp * e + 14 * (op + tp)) * m > "/dev/stderr"
	}' 2>"$LAB_DIR/cost.out" | while read -r l; do say "$l"; done
	read -r ip l2 <"$LAB_DIR/cost.out"
	[ -z "$pre" ] && COST_IP=$ip
	result "${pre}traffic_bytes_per_min" "$ip"
	result "${pre}traffic_bytes_per_min_l2" "$l2"
}

# The lab tunnel's tests at h1, "section.test" joined by commas (the path's
# and the ping probe's), or "-": which evidence named the fault (a round
# trip test opened by a loaded machine's jitter is not the loss test).
tests_h1() {
	vd facts --json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)["facts"]
    t = [x for x in d.get("tunnels", []) if x.get("name") == "lab"][0]
except (ValueError, KeyError, IndexError):
    print("-"); sys.exit(0)
out = ["path." + k for k, v in sorted(t.get("path", {}).get("tests", {}).items()) if v.get("decision") == "h1"]
ping = t.get("ping", {})
hosts = [("server_end", ping.get("server_end"))] + [("target", h) for h in ping.get("targets") or []]
for name, h in hosts:
    for k, v in sorted(((h or {}).get("tests") or {}).items()):
        if v.get("decision") == "h1":
            out.append("ping.%s.%s" % (name, k))
print(",".join(sorted(set(out))) or "-")
'
}

# detect_run NAME FAULT ARGS...: one run; prints "DETECT RESOLVE CAUSE TESTS"
detect_run() {
	local t0 t1 c="" d=">$DETECT_TIMEOUT" r="-" by="-"
	LAB_QUIET=1 lab_fault "$@" || exit 1
	t0=$(now)
	while awk -v a="$(since "$t0")" -v b="$DETECT_TIMEOUT" 'BEGIN {exit !(a < b)}'; do
		if c=$(sampled_finding); then
			d=$(since "$t0")
			by=$(tests_h1)
			break
		fi
		sleep "$POLL_S"
	done
	LAB_QUIET=1 lab_fault "$1" off || exit 1
	t1=$(now)
	if [ -n "$c" ]; then
		r=">$RESOLVE_TIMEOUT"
		while awk -v a="$(since "$t1")" -v b="$RESOLVE_TIMEOUT" 'BEGIN {exit !(a < b)}'; do
			if ! findings | grep -q "^$c:"; then
				r=$(since "$t1")
				break
			fi
			sleep "$POLL_S"
		done
	fi
	echo "$d $r ${c:--} $by"
}

phase_detect() {
	local spec name i out d r c by m
	for name in $DETECT_FAULTS; do
		case $name in
		loss10) spec="loss10:loss on 10" ;;
		loss3) spec="loss3:loss on 3" ;;
		latency200) spec="latency200:latency on 200" ;;
		*) echo "DETECT_FAULTS: unknown fault '$name' (loss10, loss3, latency200)" >&2; exit 2 ;;
		esac
		say "== detect $name: $RUNS runs (${spec#*:})"
		: >"$LAB_DIR/$name.d"
		: >"$LAB_DIR/$name.r"
		for i in $(seq 1 "$RUNS"); do
			wait_calm || true
			[ -n "${DETECT_FROM_REST:-}" ] && { wait_rest || true; }
			# shellcheck disable=SC2086
			out=$(detect_run ${spec#*:})
			read -r d r c by <<<"$out"
			say "run $i: named $c after $d s (tests at h1: $by), resolved $r s after the fix"
			echo "${d#>}" >>"$LAB_DIR/$name.d"
			[ "$r" != - ] && echo "${r#>}" >>"$LAB_DIR/$name.r"
			echo "$c" >>"$LAB_DIR/$name.c"
		done
		# a run that named nothing counts as its timeout: the median is then a bound
		m=$(median <"$LAB_DIR/$name.d")
		awk -v m="$m" -v t="$DETECT_TIMEOUT" 'BEGIN {exit !(m >= t)}' && m=">$m"
		result "detect_${name}_median_s" "$m"
		result "detect_${name}_runs_s" "$(tr '\n' ' ' <"$LAB_DIR/$name.d")"
		result "resolve_${name}_median_s" "$(median <"$LAB_DIR/$name.r")"
		result "resolve_${name}_runs_s" "$(tr '\n' ' ' <"$LAB_DIR/$name.r")"
		result "detect_${name}_causes" "$(sort "$LAB_DIR/$name.c" | uniq -c | awk '{printf "%s%s x%s", s, $2, $1; s = ", "}')"
	done
}

phase_soak() {
	say "== soak: ${SOAK_S} s healthy with 0.5% loss and 5 +- 5 ms delay"
	wait_calm || true
	local mark t0 f seen="" n=0
	local c0 c1 w0 w1
	mark=$(stat -c %s "$LAB_DIR/logs/vpndoctord.out")
	LAB_QUIET=1 lab_fault loss on 0.5 || exit 1
	LAB_QUIET=1 lab_fault latency on 5 5 || exit 1
	t0=$(date +%s)
	c0=$(counters_all)
	w0=$(ctx_all)
	while [ $(($(date +%s) - t0)) -lt "$SOAK_S" ]; do
		for f in $(findings | grep -E ':(warning|error)$'); do
			case " $seen " in *" $f "*) ;; *) seen="$seen $f"; say "soak: $f at $(($(date +%s) - t0)) s" ;; esac
			n=$((n + 1))
		done
		sleep 2
	done
	w1=$(ctx_all)
	c1=$(counters_all)
	LAB_QUIET=1 lab_fault loss off
	LAB_QUIET=1 lab_fault latency off
	local opened
	opened=$(tail -c +"$((mark + 1))" "$LAB_DIR/logs/vpndoctord.out" | grep -cE 'opened [a-z-]+ on lab' || true)
	result "soak_s" "$SOAK_S"
	result "soak_polls_with_warning_or_error" "$n"
	result "soak_findings_opened_in_log" "$opened"
	result "soak_causes" "${seen:- none}"
	# what the healthy but lossy tunnel cost: the settling of chance losses
	# (the pending budget bounds it), with the soak's own polling of
	# GetStatus counted among the wake-ups
	cost_results "soak_" "$SOAK_S" "$c0" "$c1" "$w0" "$w1"
	tail -c +"$((mark + 1))" "$LAB_DIR/logs/vpndoctord.out" | grep -E 'opened [a-z-]+ on lab' | head -5 | while read -r l; do say "log: $l"; done
}

phase_rates() {
	say "== false-alarm rates the tests are built for (vpndoctor explain)"
	local c out
	for c in $SAMPLED; do
		out=$("$VD_BIN/vpndoctor" explain "$c" --json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
t = d.get("tests")
if not t:
    print("no tests: a fixed grace of %s s and hold of %s s" % (d.get("grace_s"), d.get("hold_s")))
    sys.exit(0)
for x in t:
    ev = x["event"] + (" (%g ms)" % x["bound_ms"] if "bound_ms" in x else "")
    print("%s: %s; H0 p=%g, H1 p=%g, alpha %g, beta %g; ~%.0f samples to open at p1; <= %.3f false alarms/30 days at <= %.2f samples/s"
          % (x["test"], ev, x["p0"], x["p1"], x["alpha"], x["beta"], x["samples_to_open"],
             x["false_alarms_per_30_days"], x["max_samples_per_s"]))
print("cause total: <= %.3f false alarms per 30 days" % d["false_alarms_per_30_days"])
')
		while read -r l; do result "rates_$c" "$l"; done <<<"$out"
	done
	# one tunnel of the lab: every test once, the silence test per host (the
	# server end and its one target), the reflector's when it has one
	local tot
	tot=$(/usr/bin/python3 - "$VD_BIN/vpndoctor" $SAMPLED <<-'EOF'
	import json, subprocess, sys
	seen = {}
	for c in sys.argv[2:]:
	    d = json.loads(subprocess.run([sys.argv[1], "explain", c, "--json"], capture_output=True, text=True).stdout)
	    for t in d.get("tests", []):
	        seen[t["test"]] = t["false_alarms_per_30_days"] * (2 if t["test"].endswith(".silent") else 1)
	print("%.3f (%d tests)" % (sum(seen.values()), len(seen)) if seen else "none: no sequential tests")
	EOF
	)
	result "false_alarms_per_tunnel_per_30_days" "$tot"
	# what 3% loss needs, from the light test's own figures: its samples to
	# open at p1 at the fast phase's 20 echoes a second, after a first loss
	# that the sentinel at rest sees after a median of ln 2 / (0.03 r) s;
	# traffic as the path probe sends it, 56 bytes of IP an echo both ways
	local b3
	b3=$("$VD_BIN/vpndoctor" explain unstable-internet --json 2>/dev/null | COST_IP=${COST_IP:-} /usr/bin/python3 -c '
import json, math, sys
d = json.load(sys.stdin)
t = [x for x in d.get("tests", []) if x["test"] == "path.loss_light"]
if not t:
    print("no light loss test"); sys.exit(0)
n = t[0]["samples_to_open"]; fast = 20.0  # lib/rules.c, samplings: 20 echoes 50 ms apart
import os
first = 60 - n / fast - 2  # what is left of 60 s for the first loss (noticed one 2 s interval later)
if first <= 0:
    print("~%.0f samples: %.0f s at %g echoes/s alone, over 60 s: the 3%% target cannot be met" % (n, n / fast, fast)); sys.exit(0)
r = math.log(2) / (0.03 * first)
need = r * 56 * 60
msg = ("~%.0f samples to name 3%%: %.0f s at the fast %g echoes/s, so a 60 s median needs the first loss within %.0f s:"
       " a sentinel of >= %.2f echoes/s at rest, %.1f KB/min of echoes" % (n, n / fast, fast, first, r, need / 1000))
cost = os.environ.get("COST_IP")
if cost:
    other = float(cost) - 0.5 * 56 * 60  # the cost phase less the sentinel at one echo every 2 s
    msg += ("; with the other probes%s %.1f KB/min (the cost phase) %.1f KB/min against the 3 KB/min budget"
            % ("\x27", other / 1000, (need + other) / 1000))
msg += "; and the walk from one loss falls back to its floor before deciding about one time in six (a bound, not a median)"
print(msg)
')
	result "loss3_bound" "$b3"
}

say "vpndoctord at $VD_BIN: $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
if [ "$PHASES" != rates ]; then
	# shellcheck disable=SC2034 # lab.sh's: its reaper takes the lab down if this dies
	LAB_OWNER="$$ $(sed 's/.*) //' /proc/$$/stat | awk '{print $20}')"
	LAB_QUIET=1 lab_up --proto udp || { echo "lab up failed" >&2; exit 1; }
	counters_setup
	calibrate
	start_daemon
fi
for p in $PHASES; do
	case "$p" in
	cost) phase_cost ;;
	detect) phase_detect ;;
	soak) phase_soak ;;
	rates) phase_rates ;;
	*) echo "unknown phase $p" >&2; exit 1 ;;
	esac
done
say "done"
