# shellcheck shell=bash
# Shell helpers of the script tests (tests/cli, tests/e2e); source it:
#   . "$VD_SRC/tests/tools/testlib.sh"
# It defines functions only: each test keeps its own set -u, traps and checks.

# until_ok CMD [TENTHS]: evaluates CMD every 0.1 s until it succeeds; returns 1
# when it has not after TENTHS tenths of a second (default 50), times $SLOW
# when a test sets it (a sanitized build runs slower).
until_ok() {
	local i
	for ((i = 0; i < ${2:-50} * ${SLOW:-1}; i++)); do
		eval "$1" && return 0
		sleep 0.1
	done
	return 1
}

# kill_wait PID...: SIGKILL and reap each PID given; empty ones are skipped,
# so a cleanup trap can name pids that were never started.
kill_wait() {
	local p
	for p in "$@"; do
		[ -n "$p" ] && kill -KILL "$p" 2>/dev/null
	done
	for p in "$@"; do
		[ -n "$p" ] && wait "$p" 2>/dev/null
	done
	return 0
}

# netns_test_init TAG: for a test of one program in one network namespace:
# $ns (vdTAG<pid>, not made yet), a throwaway $work (/tmp/vd-e2e-TAG.*), an
# empty $pid; on exit $pid is killed, $ns deleted and $work removed.
netns_test_init() {
	ns=vd$1$$
	work=$(mktemp -d "/tmp/vd-e2e-$1.XXXXXX") || { echo "FAIL: mktemp" >&2; exit 1; }
	pid=
	trap 'kill_wait "$pid"; ip netns del "$ns" 2>/dev/null; rm -rf "$work"' EXIT
}

# vd_pki DIR NAME...: a throwaway EC CA (DIR/ca.crt, DIR/ca.key) and for each
# NAME a certificate DIR/NAME.crt with its key DIR/NAME.key, CN=vd-NAME, signed
# by it for a year; "server" gets serverAuth, any other name clientAuth.
vd_pki() {
	local o=$1 n eku
	shift
	mkdir -p "$o" || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
		-subj /CN=vd-test-ca -keyout "$o/ca.key" -out "$o/ca.crt" >/dev/null 2>&1 || return 1
	for n in "$@"; do
		eku=clientAuth
		[ "$n" = server ] && eku=serverAuth
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=vd-$n" \
			-keyout "$o/$n.key" -out "$o/$n.csr" >/dev/null 2>&1 || return 1
		printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=%s\nkeyUsage=digitalSignature\n' $eku >"$o/$n.ext"
		openssl x509 -req -in "$o/$n.csr" -CA "$o/ca.crt" -CAkey "$o/ca.key" -CAcreateserial \
			-days 365 -extfile "$o/$n.ext" -out "$o/$n.crt" >/dev/null 2>&1 || return 1
	done
}

# tun_lab LAP VPC WORK: two new network namespaces, a laptop and a VPC, joined
# by a LAN (LAP veth0 192.168.77.2/24 -- VPC veth1 192.168.77.1/24, the
# laptop's default route) and by a tunnel: tun0 10.8.0.6 in LAP, tunv 10.8.0.5
# in VPC, two tun devices whose packets a Python bridge (in WORK; its pid left
# in $bpid for the caller's cleanup) copies across, as OpenVPN would carry
# them; 172.16.1.0/24 is routed into tun0 and 172.16.1.10 answers in VPC.
# Says what failed on stderr and returns 1.
tun_lab() {
	local lap=$1 vpc=$2 work=$3
	bpid=
	ip netns add "$lap" && ip netns add "$vpc" || { echo "tun_lab: ip netns add" >&2; return 1; }
	ip -n "$lap" link set lo up
	ip -n "$vpc" link set lo up
	ip -n "$lap" link add veth0 type veth peer name veth1 netns "$vpc" || { echo "tun_lab: veth" >&2; return 1; }
	ip -n "$lap" addr add 192.168.77.2/24 dev veth0
	ip -n "$vpc" addr add 192.168.77.1/24 dev veth1
	ip -n "$lap" link set veth0 up
	ip -n "$vpc" link set veth1 up
	# the LAN's router: without a default route the gateway is unreachable,
	# and that (the tunnel down) rightly silences dns-no-route
	ip -n "$lap" route add default via 192.168.77.1
	cat >"$work/tunbridge.py" <<'PY'
import fcntl, os, select, struct, sys
TUNSETIFF, IFF_TUN, IFF_NO_PI = 0x400454CA, 0x0001, 0x1000
def tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd
a, b = tun(sys.argv[1]), tun(sys.argv[2])
with open(sys.argv[3], "w") as f:
    f.write("ready\n")
while True:
    for fd in select.select([a, b], [], [])[0]:
        pkt = os.read(fd, 65535)
        try:  # a link that is down yet (EIO) drops the packet, as a wire would
            os.write(b if fd == a else a, pkt)
        except OSError:
            pass
PY
	ip netns exec "$lap" /usr/bin/python3 "$work/tunbridge.py" tun0 tunv "$work/bridge.ready" &
	bpid=$!
	until_ok "[ -s '$work/bridge.ready' ]" 50 || { echo "tun_lab: the tun bridge did not start" >&2; return 1; }
	ip -n "$lap" link set tunv netns "$vpc" || { echo "tun_lab: moving tunv" >&2; return 1; }
	ip -n "$lap" addr add 10.8.0.6 peer 10.8.0.5 dev tun0
	ip -n "$lap" link set tun0 up
	ip -n "$lap" route add 172.16.1.0/24 dev tun0
	ip -n "$vpc" addr add 10.8.0.5 peer 10.8.0.6 dev tunv
	ip -n "$vpc" link set tunv up
	ip -n "$vpc" addr add 172.16.1.10/32 dev lo
	ip netns exec "$lap" ping -c1 -W2 172.16.1.10 >/dev/null || { echo "tun_lab: no path through the tunnel" >&2; return 1; }
}
