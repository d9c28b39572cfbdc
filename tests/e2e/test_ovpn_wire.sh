#!/bin/bash
# The hard reset of lib/ovpn_wire.c against a real OpenVPN 2.6 server, in a
# network namespace of its own: bare, tls-auth (SHA1 with key-direction,
# SHA256 bidirectional) and tls-crypt, each over UDP and TCP, must draw the
# server's HARD_RESET_SERVER_V2 acking our session; a wrong tls-auth or
# tls-crypt key must draw nothing (the server drops it), and a closed UDP
# port must show as refused. The driver is bin/ovpn_hello (tests/tools),
# or compiled here against libvpndoctor.a when the build has no tools.
set -euo pipefail

: "${VD_BIN:?VD_BIN must name the directory of the built programs}"
: "${VD_SRC:?VD_SRC must name the source tree}"

if [ "${1:-}" != "--inside" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "test_ovpn_wire: needs root for a network namespace" >&2
		exit 1
	fi
	exec unshare -n /bin/bash "$0" --inside
fi

work=$(mktemp -d /tmp/vd-ovpn-wire.XXXXXX)
pids=()

cleanup() {
	local rc=$?
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	if [ $rc != 0 ]; then
		for f in "$work"/*.log; do
			[ -f "$f" ] || continue
			echo "--- $f" >&2
			tail -n 30 "$f" >&2
		done
	fi
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

command -v openvpn >/dev/null || fail "no openvpn"
[ -c /dev/net/tun ] || fail "no /dev/net/tun"
ip link set lo up

# --- the driver --------------------------------------------------------------
hello="$VD_BIN/ovpn_hello"
if [ ! -x "$hello" ]; then
	lib="$VD_BIN/../lib/libvpndoctor.a"
	[ -r "$lib" ] || fail "neither $hello nor $lib"
	san=()
	[ -n "${VD_SANITIZED:-}" ] && san=(-fsanitize=address,undefined)
	cc "${san[@]}" -D_GNU_SOURCE -I"$VD_SRC/include" "$VD_SRC/tests/tools/ovpn_hello.c" \
		"$lib" -lcrypto -lcjson -o "$work/ovpn_hello" || fail "cannot build the driver"
	hello="$work/ovpn_hello"
fi

# --- a throwaway PKI and keys --------------------------------------------------
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=vd-test-ca -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-subj /CN=vd-test-server -keyout server.key -out server.csr 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyAgreement\nextendedKeyUsage=serverAuth\n' >ext.cnf
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
	-extfile ext.cnf -out server.crt 2>/dev/null
for k in ta ta-wrong tc tc-wrong; do
	openvpn --genkey secret "$k.key" >/dev/null
done

# --- servers: one per mode and protocol, all on 127.0.0.1 ------------------
# start_server NAME PROTO PORT SUBNET_INDEX OPTIONS...
start_server() {
	local name=$1 proto=$2 port=$3 net=$4
	shift 4
	openvpn --mode server --tls-server --proto "$proto" --local 127.0.0.1 --lport "$port" \
		--dev tun --topology subnet --ifconfig "10.99.$net.1" 255.255.255.0 \
		--ca ca.crt --cert server.crt --key server.key --dh none \
		--disable-dco --verb 4 --writepid "$work/$name.pid" "$@" \
		>"$work/$name.log" 2>&1 &
	pids+=($!)
}

start_server plain-udp udp4 11940 1
start_server plain-tcp tcp4-server 11941 2
start_server auth-udp udp4 11942 3 --tls-auth ta.key 0
start_server auth-tcp tcp4-server 11943 4 --tls-auth ta.key 0
start_server auth256-udp udp4 11944 5 --tls-auth ta.key --auth SHA256
start_server auth256-tcp tcp4-server 11945 6 --tls-auth ta.key --auth SHA256
start_server crypt-udp udp4 11946 7 --tls-crypt tc.key
start_server crypt-tcp tcp4-server 11947 8 --tls-crypt tc.key

for f in plain-udp plain-tcp auth-udp auth-tcp auth256-udp auth256-tcp crypt-udp crypt-tcp; do
	n=100
	until grep -q "Initialization Sequence Completed" "$work/$f.log" 2>/dev/null; do
		n=$((n - 1))
		[ $n -gt 0 ] || fail "openvpn $f did not start"
		sleep 0.1
	done
done

# expect NAME WANT_RC WANT_WORD ovpn_hello-args...: runs the driver and checks
# its exit status and the first word it prints.
expect() {
	local name=$1 want_rc=$2 want=$3 out rc=0
	shift 3
	out=$("$hello" "$@") || rc=$?
	echo "$name: $out (rc $rc)"
	[ "$rc" = "$want_rc" ] || fail "$name: exit $rc, wanted $want_rc ($out)"
	[ "${out%% *}" = "$want" ] || fail "$name: '$out', wanted '$want'"
	last=$out
}

for proto in udp tcp; do
	# Over UDP the server drops what fails its HMAC; over TCP it also
	# closes the connection.
	case $proto in udp) base=11940 drop=timeout ;; tcp) base=11941 drop=closed ;; esac
	expect "plain/$proto" 0 answered $proto 127.0.0.1 $base
	# A bare server reset: opcode, session id, one ack + its session id, message id.
	case $last in *" bytes=26 "*) ;; *) fail "plain/$proto: not 26 bytes: $last" ;; esac
	case $last in *" opcode=8 "*) ;; *) fail "plain/$proto: not opcode 8: $last" ;; esac
	expect "tls-auth/$proto" 0 answered $proto 127.0.0.1 $((base + 2)) \
		--tls-auth ta.key --key-direction 1
	# 26 + a SHA1 HMAC (20) + the replay id and time (8).
	case $last in *" bytes=54 "*) ;; *) fail "tls-auth/$proto: not 54 bytes: $last" ;; esac
	expect "tls-auth-sha256-bidi/$proto" 0 answered $proto 127.0.0.1 $((base + 4)) \
		--tls-auth ta.key --auth SHA256
	expect "tls-crypt/$proto" 0 answered $proto 127.0.0.1 $((base + 6)) --tls-crypt tc.key
	# 26 + the replay id and time (8) + the tag (32).
	case $last in *" bytes=66 "*) ;; *) fail "tls-crypt/$proto: not 66 bytes: $last" ;; esac

	# What the server drops without a word.
	expect "tls-auth-wrong-key/$proto" 2 $drop $proto 127.0.0.1 $((base + 2)) \
		--tls-auth ta-wrong.key --key-direction 1 --timeout 1500
	expect "tls-auth-wrong-direction/$proto" 2 $drop $proto 127.0.0.1 $((base + 2)) \
		--tls-auth ta.key --key-direction 0 --timeout 1500
	expect "bare-to-tls-auth-server/$proto" 2 $drop $proto 127.0.0.1 $((base + 2)) \
		--timeout 1500
	expect "tls-crypt-wrong-key/$proto" 2 $drop $proto 127.0.0.1 $((base + 6)) \
		--tls-crypt tc-wrong.key --timeout 1500
done

# Nothing listens here: a connect()ed UDP socket sees the port unreachable.
expect "closed-udp" 3 refused udp 127.0.0.1 11999 --timeout 1500
expect "closed-tcp" 3 refused tcp 127.0.0.1 11999 --timeout 1500

# The servers logged the drops as what they are.
grep -q "HMAC\|authentication failed\|packet authentication" "$work/auth-udp.log" ||
	fail "the tls-auth server did not log the bad HMAC"
grep -q "tls-crypt unwrap" "$work/crypt-udp.log" ||
	fail "the tls-crypt server did not log the failed unwrap"
echo "PASS"
