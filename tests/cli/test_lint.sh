#!/bin/bash
# vpndoctor lint on generated profiles (tests/data/mkprofiles.sh): the causes
# and severities found, the exit status, the --json shape, --at and --basedir,
# and hostile input that must give a clear error and exit 2, never a crash.
# vd-tier: check (no root, no daemon)
set -u
VD="${VD_BIN:?}/vpndoctor"
SRC="${VD_SRC:?}"
PY=/usr/bin/python3
tmp=$(mktemp -d /tmp/vd-test-lint-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
bash "$SRC/tests/data/mkprofiles.sh" "$tmp/p" || { echo "FAIL: mkprofiles.sh"; exit 1; }
P="$tmp/p"
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# Checks one --json document on stdin against the profile path; prints the
# findings as sorted "cause/severity" words, then each summary on a line.
shape='
import json, os, sys
path = sys.argv[1]
d = json.load(sys.stdin)
assert isinstance(d, dict) and set(d) == {"profile", "findings"}, "top-level keys %r" % list(d)
assert d["profile"] == path, "profile %r" % d["profile"]
assert isinstance(d["findings"], list)
for f in d["findings"]:
    for k, t in (("cause", str), ("severity", str), ("title", str), ("summary", str),
                 ("evidence", dict), ("remedy", str), ("symptoms", list), ("tunnel", str)):
        assert isinstance(f.get(k), t), "finding field %s: %r" % (k, f.get(k))
    assert f["severity"] in ("info", "warning", "error"), f["severity"]
    assert f["tunnel"] == os.path.basename(path), f["tunnel"]
    assert f["summary"] and f["title"] and f["remedy"]
print(" ".join(sorted("%s/%s" % (f["cause"], f["severity"]) for f in d["findings"])))
for f in d["findings"]:
    print(f["summary"])
'

# expect PROFILE RC "CAUSE/SEV ..." [SUMMARY-SUBSTRING] [-- LINT-ARGS...]
expect() {
	local f=$1 want_rc=$2 want=$3 sub=${4:-}
	local out rc got
	shift 3
	[ $# -gt 0 ] && shift
	[ "${1:-}" = "--" ] && shift
	out=$("$VD" lint "$P/$f" --json "$@" 2>"$tmp/err")
	rc=$?
	if [ $rc -ne "$want_rc" ]; then
		fail "$f $*: exit $rc, want $want_rc"
		cat "$tmp/err"
	fi
	if grep -q "Sanitizer\|runtime error" "$tmp/err"; then
		fail "$f $*: sanitizer report"
		cat "$tmp/err"
	fi
	if ! got=$(printf '%s\n' "$out" | $PY -c "$shape" "$P/$f" 2>"$tmp/pyerr"); then
		fail "$f: --json output is not the documented shape: $(tail -1 "$tmp/pyerr")"
		printf '%s\n' "$out" | head -5
		return
	fi
	if [ "$(printf '%s\n' "$got" | head -1)" != "$want" ]; then
		fail "$f $*: findings '$(printf '%s\n' "$got" | head -1)', want '$want'"
	fi
	if [ -n "$sub" ] && ! printf '%s\n' "$got" | tail -n +2 | grep -qF -- "$sub"; then
		fail "$f: no summary mentions '$sub':"
		printf '%s\n' "$got" | tail -n +2
	fi
	# the human output agrees on the exit status
	"$VD" lint "$P/$f" "$@" >"$tmp/human" 2>&1
	rc=$?
	[ $rc -eq "$want_rc" ] || fail "$f (human output): exit $rc, want $want_rc"
}

expect valid-inline.ovpn 0 ""
expect valid-files.ovpn 0 ""
expect valid-cd.ovpn 0 ""
expect valid-bundle.ovpn 0 ""
expect valid-marker.ovpn 0 ""
expect valid-auth.ovpn 0 ""
expect pkcs12.ovpn 0 ""
expect pkcs12-inline.ovpn 0 ""
expect expired.ovpn 2 "cert-expired/error" "expired"
expect notyet.ovpn 2 "cert-expired/error" "CN=client not yet valid"
expect expiring.ovpn 1 "cert-expired/warning" "CN=client expiring"
expect wrong-ca.ovpn 2 "config-invalid/error" "is not signed by the ca"
expect mismatch.ovpn 2 "config-invalid/error" "does not belong to the certificate"
expect missing-file.ovpn 2 "config-invalid/error" "nothere.crt does not exist"
expect no-remote.ovpn 2 "config-invalid/error" "no remote"
expect no-client.ovpn 2 "config-invalid/error" "neither client nor pull"
expect encrypted-key.ovpn 1 "config-invalid/warning" "passphrase"
expect pkcs12-pass.ovpn 1 "config-invalid/warning" "password"
expect weak.ovpn 2 "config-invalid/error" "1024 bits"
expect weak-digest.ovpn 2 "config-invalid/error" "signed with SHA1"
expect not-cert.ovpn 2 "config-invalid/error" "holds no certificate"
expect not-key.ovpn 2 "config-invalid/error" "holds no private key"
expect no-cert.ovpn 2 "config-invalid/error" "no way to authenticate"
expect no-ca.ovpn 2 "config-invalid/error" "there is no ca"
expect bad-tls-auth.ovpn 2 "config-invalid/error" "not an OpenVPN static key"
expect unknown-directive.ovpn 2 "config-invalid/error" "frobnicate"
expect unterminated.ovpn 2 "config-invalid/error" "<ca>"
expect alibaba.ovpn 0 "config-invalid/info ncp-cipher/info" "AES-128-CBC"

# --at moves a valid certificate (a year from yesterday) into and out of validity.
now=$(date +%s)
expect valid-files.ovpn 2 "cert-expired/error" "expired" -- --at 2030-01-01
expect valid-files.ovpn 1 "cert-expired/warning" "CN=client valid" -- --at "@$((now + 360 * 86400))"
expect valid-files.ovpn 2 "cert-expired/error" "not valid" -- --at "@$((now - 3 * 86400))"
expect valid-files.ovpn 0 "" "" -- --at "@$((now + 300 * 86400))"
expect expired.ovpn 0 "" "" -- --at "@$((now - 100 * 86400))"

# Options before the profile and the global --json work too.
out=$("$VD" --json lint --at 2030-01-01 "$P/valid-files.ovpn")
[ $? -eq 2 ] || fail "--json lint --at DATE PROFILE: exit status"
printf '%s\n' "$out" | $PY -c "$shape" "$P/valid-files.ovpn" >/dev/null 2>&1 ||
	fail "global --json: not the documented shape"

# The human output says where relative paths resolve, and why.
"$VD" lint "$P/valid-files.ovpn" >"$tmp/out" 2>&1
grep -qF "relative paths resolved against $P (the profile's folder" "$tmp/out" ||
	fail "human output does not name the base folder: $(cat "$tmp/out")"
grep -qF "No problems found." "$tmp/out" || fail "valid profile: no 'No problems found.'"
"$VD" lint "$P/valid-cd.ovpn" >"$tmp/out" 2>&1
grep -qF "relative paths resolved against $P/sub (set by \`cd\`" "$tmp/out" ||
	fail "cd: human output does not name $P/sub: $(cat "$tmp/out")"
expect valid-files.ovpn 2 "config-invalid/error" "sub/ta.key does not exist" -- --basedir "$P/sub"
"$VD" lint --basedir "$P/sub" "$P/valid-files.ovpn" >"$tmp/out" 2>&1
grep -qF "relative paths resolved against $P/sub (--basedir)" "$tmp/out" ||
	fail "--basedir: human output does not name $P/sub: $(cat "$tmp/out")"
# relative profile path: resolved against its own folder, not the cwd
(cd "$tmp" && "$VD" lint p/valid-files.ovpn >/dev/null 2>&1) || fail "relative profile path: exit $?"

# Several problems: the human output lists them all, in file order.
printf 'client\nca nothere.crt\ncert client.crt\nkey other.key\nfrobnicate\n' >"$P/multi.ovpn"
expect multi.ovpn 2 "config-invalid/error" ""
"$VD" lint "$P/multi.ovpn" >"$tmp/out" 2>&1
grep -qF "4 problems, in file order:" "$tmp/out" || fail "multi: no list of 4 problems: $(cat "$tmp/out")"
for w in "no remote" "line 2 " "line 4 " "line 5 "; do
	grep -A4 "4 problems" "$tmp/out" | grep -qF "$w" || fail "multi: problem list lacks '$w'"
done

# Hostile input: a clear config-invalid error and exit 2, never a crash.
head -c $((10 * 1024 * 1024)) /dev/zero | tr '\0' '#' >"$P/huge.ovpn"
head -c 65536 /dev/urandom >"$P/binary.ovpn"
$PY -c 'import sys; sys.stdout.write("remote " + "a" * 102400 + "\n")' >"$P/longline.ovpn"
mkfifo "$P/fifo.ovpn"
mkdir "$P/dir.ovpn"
expect huge.ovpn 2 "config-invalid/error" "larger than"
expect binary.ovpn 2 "config-invalid/error" ""
expect longline.ovpn 2 "config-invalid/error" "longer than"
expect fifo.ovpn 2 "config-invalid/error" "not a regular file"
expect dir.ovpn 2 "config-invalid/error" "directory"
expect nothere.ovpn 2 "config-invalid/error" "does not exist"

# The committed sample profile is clean (it is what `make run` shows).
out=$("$VD" lint "$SRC/tests/data/sample/sample.ovpn")
rc=$?
[ $rc -eq 0 ] || fail "sample profile: exit $rc: $out"

# Usage errors are 64, --help is 0 on stdout.
"$VD" lint >/dev/null 2>&1; [ $? -eq 64 ] || fail "no profile: not 64"
"$VD" lint --at nonsense "$P/valid-files.ovpn" >/dev/null 2>&1; [ $? -eq 64 ] || fail "bad --at: not 64"
"$VD" lint --frob "$P/valid-files.ovpn" >/dev/null 2>&1; [ $? -eq 64 ] || fail "unknown option: not 64"
"$VD" lint "$P/valid-files.ovpn" "$P/alibaba.ovpn" >/dev/null 2>&1; [ $? -eq 64 ] || fail "two profiles: not 64"
"$VD" lint --at >/dev/null 2>&1; [ $? -eq 64 ] || fail "--at without value: not 64"
out=$("$VD" lint --help 2>/dev/null)
[ $? -eq 0 ] || fail "--help: exit status"
printf '%s\n' "$out" | grep -q "^Usage: vpndoctor lint PROFILE" || fail "--help: no usage on stdout"

if [ $failures -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "test_lint: all passed"
