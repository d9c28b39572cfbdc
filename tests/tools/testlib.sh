# shellcheck shell=bash
# Shell helpers of the script tests (tests/cli, tests/e2e); source it:
#   . "$VD_SRC/tests/tools/testlib.sh"
# It defines functions only: each test keeps its own set -u, traps and checks.

# until_ok CMD [TENTHS]: evaluates CMD every 0.1 s until it succeeds; returns 1
# when it has not after TENTHS tenths of a second (default 50).
until_ok() {
	local i
	for ((i = 0; i < ${2:-50}; i++)); do
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
