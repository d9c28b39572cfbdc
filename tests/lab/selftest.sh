#!/bin/bash
# The lab's own test: every fault, on and off, has the effect it claims on the real
# OpenVPN and the network (ping, DNS, NTP, OpenVPN's logs), without vpndoctord.
# Exit 77 without root. Prints each fault's seconds.
set -u
. "$(cd "$(dirname "$0")" && pwd)/lab.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: the lab needs root"; exit 77; }
T0=$SECONDS
FAILS=0
trap 'rc=$?; lab_down; exit $rc' EXIT
trap 'exit 130' INT TERM

ok() { echo "  ok   $*"; }
bad() { echo "  FAIL $*"; FAILS=$((FAILS + 1)); }
check() { # DESCRIPTION CMD...: CMD must succeed
	local d=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$d"; else bad "$d"; fi
}
check_not() { local d=$1; shift; if "$@" >/dev/null 2>&1; then bad "$d"; else ok "$d"; fi; }
in_range() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }
ping_vpc() { lab_exec laptop ping -c 2 -i 0.2 -W 1 -q "$LAB_VPC_DB"; }
loss_pct() { lab_exec laptop ping -c 200 -i 0.005 -W 1 -q "$LAB_GW_IP" | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p'; }
rtt_avg() { lab_exec laptop ping -c 10 -i 0.1 -q "$LAB_GW_IP" | awk -F/ '/^rtt/ {print $5}'; }
dns() { lab_exec laptop "$LAB_PY" "$LAB_SRC/tools/dnsq.py" "$LAB_VPC_DNS" "$LAB_VPC_NAME" 1; }
ntp_offset() { lab_exec laptop ntpdate -q "$LAB_NTP_IP" 2>/dev/null | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^[+-][0-9.]+$/) {print $i; exit}}'; }
srvlog_after() { tail -c +"$(($1 + 1))" "$LAB_DIR/gateway/server.log"; }
mark_srv() { stat -c %s "$LAB_DIR/gateway/server.log"; }
# Upload rate as the VPC host receives it (the sender's count would include
# what sits in socket buffers).
upload_mbit() {
	rm -f "$LAB_DIR/logs/sink.out"
	lab__spawn sink vpc "$LAB_PY" -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("'"$LAB_VPC_DB"'", 5001)); s.listen(1); c, _ = s.accept()
n = 0; t0 = None
while True:
    d = c.recv(65536)
    if not d: break
    if t0 is None: t0 = time.time()
    else: n += len(d)
print("%.1f" % (n * 8 / (time.time() - t0) / 1e6))'
	sleep 0.3
	lab_exec laptop "$LAB_PY" -c '
import socket, time
s = socket.create_connection(("'"$LAB_VPC_DB"'", 5001)); b = b"x" * 16384; t = time.time()
while time.time() - t < 2: s.sendall(b)'
	local i
	for i in $(seq 1 100); do lab__alive sink || break; sleep 0.1; done
	lab__stop sink
	cat "$LAB_DIR/logs/sink.out"
}
step() { echo "-- $* ($((SECONDS - T0)) s)"; }

LAB_QUIET=1 lab_up --proto udp
echo "lab up in $LAB_UP_SECONDS s"
check "VPC reachable through the tunnel" ping_vpc
check "VPC DNS answers" dns
v=$(ntp_offset); check "NTP offset ~0 ($v s)" in_range "${v:-x}" -1 1

step loss
lab_fault loss on 30; v=$(loss_pct); check "loss 30% gives 15..45% ($v%)" in_range "${v:-x}" 15 45
lab_fault loss off; v=$(loss_pct); check "loss off gives 0% ($v%)" in_range "${v:-x}" 0 0

step latency
lab_fault latency on 200 20; v=$(rtt_avg); check "latency 200+-20 ms gives RTT ~200 ($v ms)" in_range "${v:-x}" 170 240
check "ping through the tunnel passes the delay line" ping_vpc
lab_fault latency off; v=$(rtt_avg); check "latency off gives RTT < 20 ($v ms)" in_range "${v:-x}" 0 20

step udp-block
lab_fault udp-block on; check_not "no tunnel traffic with UDP blocked" ping_vpc
lab_fault udp-block off; check "tunnel traffic back" ping_vpc

step icmp-in-block
lab_fault icmp-in-block on
tun=$(lab_exec laptop ip -4 -br addr show tun0 | awk '{print $3}'); tun=${tun%%/*}
check_not "the VPC cannot ping the laptop's $tun" lab_exec vpc ping -c 2 -i 0.2 -W 1 -q "$tun"
check "the laptop still pings the VPC" ping_vpc
lab_fault icmp-in-block off
check "the VPC pings the laptop again" lab_exec vpc ping -c 2 -i 0.2 -W 1 -q "$tun"

step no-vpc-route
lab_fault no-vpc-route on
check_not "no route to the VPC through the tunnel" sh -c "ip netns exec $(lab_ns laptop) ip route get $LAB_VPC_DB | grep -q tun"
check_not "VPC unreachable" ping_vpc
lab_fault no-vpc-route off; check "VPC reachable again" ping_vpc

step lan-overlap
lab_fault lan-overlap on
check "the VPC address routes out of the LAN" sh -c "ip netns exec $(lab_ns laptop) ip route get $LAB_VPC_DB | grep -q lan0"
check_not "VPC unreachable" ping_vpc
lab_fault lan-overlap off; check "VPC reachable again" ping_vpc

step dns-down
lab_fault dns-down on; check_not "VPC DNS does not answer" dns
lab_fault dns-down off; sleep 0.3; check "VPC DNS answers again" dns

step ntp-ahead
lab_fault ntp-ahead on; sleep 0.5; v=$(ntp_offset); check "NTP server 900 s ahead ($v s)" in_range "${v:-x}" 899 901
lab_fault ntp-ahead off; sleep 0.5; v=$(ntp_offset); check "NTP offset ~0 again ($v s)" in_range "${v:-x}" -1 1

step cert-expired, cert-notyet, cert-wrongca
for c in expired:"certificate has expired" notyet:"certificate is not yet valid" wrongca:"unable to get local issuer"; do
	m=$(mark_srv)
	lab_fault "cert-${c%%:*}" on
	lab_log_wait "$LAB_DIR/gateway/server.log" "$m" "VERIFY ERROR: depth=0, error=${c#*:}" 15
	check "cert-${c%%:*}: server logs '${c#*:}'" test $? = 0
	lab_fault "cert-${c%%:*}" off; check "cert-${c%%:*} off: VPC reachable" ping_vpc
done
m=$(lab_log_mark laptop)
lab_log_wait "$LAB_DIR/laptop/openvpn.log" 0 "WARNING: Your certificate has expired!" 1
check "client logs 'Your certificate has expired!'" test $? = 0

step profile-broken
m=$(lab_log_mark laptop)
lab_fault profile-broken on
check "OpenVPN refuses the profile" lab_log_wait "$LAB_DIR/laptop/openvpn.log" "$m" "Options error: --ca fails" 10
lab_fault profile-broken off; check "VPC reachable again" ping_vpc

step max-clients
m=$(mark_srv)
lab_fault max-clients on
check "server turns the laptop away" lab_log_wait "$LAB_DIR/gateway/server.log" "$m" \
	"MULTI: new incoming connection would exceed maximum number of clients \(1\)" 15
check "laptop2 holds the slot" lab_exec laptop2 ping -c 2 -i 0.2 -W 1 -q "$LAB_VPC_DB"
lab_fault max-clients off; check "VPC reachable again" ping_vpc
check "laptop2 gone" test ! -e "$LAB_DIR/pids/openvpn-laptop2"

step server-change
m=$(lab_log_mark laptop)
lab_fault server-change on
check "new session pushes the extra route" lab_log_wait "$LAB_DIR/laptop/openvpn.log" "$m" "PUSH_REPLY.*route 172.31.0.0" 1
check "route 172.31.0.0/16 via the tunnel" sh -c "ip netns exec $(lab_ns laptop) ip route | grep -q '172.31.0.0/16 via .* tun0'"
lab_fault server-change off
check_not "route 172.31.0.0/16 gone" sh -c "ip netns exec $(lab_ns laptop) ip route | grep -q '172.31.0.0/16'"

step other-vpn
lab_fault other-vpn on
check "tailscale0 is up with its address" sh -c "ip -n $(lab_ns laptop) -br addr show tailscale0 | grep -q 'UP.*100.100.7.2'"
lab_fault other-vpn off
check_not "tailscale0 gone" ip -n "$(lab_ns laptop)" link show tailscale0

step bandwidth
lab_fault bandwidth on 5; v=$(upload_mbit); check "5 Mbit/s limit gives 3..6 Mbit/s up ($v)" in_range "${v:-x}" 3 6
lab_fault bandwidth off; v=$(upload_mbit); check "without limit > 20 Mbit/s ($v)" in_range "${v:-x}" 20 100000

step down
pids=$(cat "$LAB_DIR"/pids/* 2>/dev/null | awk '{print $1}')
prefix=$LAB_PREFIX
lab_down
trap - EXIT
left=0
for p in $pids; do [ -d "/proc/$p" ] && left=$((left + 1)); done
check "no process left after down" test "$left" = 0
check_not "no namespace left after down" sh -c "ip netns list | grep -q '^$prefix-'"
echo "selftest: $FAILS failure(s) in $((SECONDS - T0)) s"
[ "$FAILS" = 0 ]
