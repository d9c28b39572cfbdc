#!/bin/bash
# Drop-ins: vpndoctord reads FILE.d/*.conf after FILE in lexical order and
# says where each value came from (`vpndoctord --dump-config` from the files,
# `vpndoctor config` from the running daemon); a broken drop-in stops start-up
# with its FILE:LINE, and on SIGHUP the running configuration is kept, the
# reload naming the drop-in at fault. The daemon runs in its own network
# namespace (unshare -n) with no probe that needs the network.
set -u

bin=${VD_BIN:?} src=${VD_SRC:?}
# shellcheck source=../tools/testlib.sh
. "${VD_SRC:?}/tests/tools/testlib.sh"
work=$(mktemp -d /tmp/vd-e2e-dropins.XXXXXX)
sock=$work/run/io.vpndoctor
log=$work/daemon.log
pid=
trap 'kill_wait "$pid"; rm -rf "$work"' EXIT

fail() {
	echo "FAIL: $*" >&2
	[ -f "$log" ] && sed 's/^/  log: /' "$log" >&2
	exit 1
}

cli() { "$bin/vpndoctor" --socket "$sock" "$@"; }

# value SECTION KEY [ORIGIN]: the value (and with ORIGIN=1 the origin) of a key
# in the JSON of `vpndoctor config --json` on stdin
value() {
	/usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
for s in d["sections"]:
    if s["name"] == sys.argv[1]:
        for k in s["keys"]:
            if k["key"] == sys.argv[2]:
                print(k["origin" if len(sys.argv) > 3 else "value"])
' "$@"
}

cp "$src"/tests/data/sample/* "$work/"
conf=$work/vpndoctor.conf
mkdir "$conf.d"
cat > "$conf" <<EOC
[Daemon]
LogLevel=notice
MaxConcurrentProbes=2
[Profile]
Interval=1h
[Clock]
Enabled=no
[Tunnel office]
Config=$work/sample.ovpn
EOC
# the IT team's drop-ins: a site-wide one and a later, more specific one
cat > "$conf.d/50-site.conf" <<EOC
[Daemon]
LogLevel=info
[Tunnel office]
ClientCIDR=10.8.0.0/26
MaxConnections=10
EOC
cat > "$conf.d/70-team.conf" <<EOC
[Tunnel office]
MaxConnections=60
EOC
printf '[Daemon]\nLogLevel=err\n' > "$conf.d/80-note.conf.disabled"

# --- the files, without a daemon -----------------------------------------------------
out=$("$bin/vpndoctord" --config "$conf" --dump-config) || fail "--dump-config: $out"
grep -q "^# $conf.d/70-team.conf:2$" <<<"$out" || fail "--dump-config names no origin of MaxConnections: $out"
grep -A1 "^# $conf.d/70-team.conf:2$" <<<"$out" | grep -q '^MaxConnections=60$' || fail "--dump-config: later does not win: $out"
grep -q '^#IdleTimeoutSec=60$' <<<"$out" || fail "--dump-config does not show a default: $out"
"$bin/vpndoctord" --help | grep -q -- '--dump-config' || fail "--help lacks --dump-config"
printf '[Tunnel office]\nMaxConnections=lots\n' > "$conf.d/60-broken.conf"
out=$("$bin/vpndoctord" --config "$conf" --socket "$sock" --state-dir "$work/state" 2>&1)
[ $? -eq 1 ] || fail "a broken drop-in does not stop start-up"
grep -q "$conf.d/60-broken.conf:2: MaxConnections=: 'lots'" <<<"$out" || fail "start-up error does not name the drop-in: $out"
rm "$conf.d/60-broken.conf"

# --- the running daemon --------------------------------------------------------------
unshare -n "$bin/vpndoctord" --foreground --user nobody --config "$conf" --socket "$sock" --state-dir "$work/state" 2>"$log" &
pid=$!
until_ok '[ -S "$sock" ]' || fail "no socket"
# MaxConnections=60 (70-team.conf) > 10 (50-site.conf): a /26 holds 64 addresses, 4 x 60 > 64
until_ok 'cli status --json | grep -q "\"cause\":\"client-cidr-too-small\""' ||
	fail "the merged tunnel keys are not used: $(cli status --json)"
json=$(cli config --json) || fail "config --json"
[ "$(value 'Tunnel office' MaxConnections <<<"$json")" = 60 ] || fail "MaxConnections: $json"
[ "$(value 'Tunnel office' MaxConnections 1 <<<"$json")" = "$conf.d/70-team.conf:2" ] || fail "origin: $json"
[ "$(value 'Tunnel office' Config 1 <<<"$json")" = "$conf:9" ] || fail "Config origin: $json"
[ "$(value Daemon LogLevel <<<"$json")" = info ] || fail "LogLevel: $json"
[ "$(value Daemon MaxConnections 1 <<<"$json")" = None ] || fail "a default has an origin: $json"
grep -q 'disabled' <<<"$json" && fail "a file not named *.conf was read: $json"
text=$(cli config) || fail "config"
grep -q "^#   $conf.d/50-site.conf$" <<<"$text" || fail "config does not list the files: $text"
cli config --bogus >/dev/null 2>&1
[ $? -eq 64 ] || fail "config --bogus is not a usage error"

# --- SIGHUP with a broken drop-in keeps the running configuration ---------------------
printf '[Tunnel office]\nMaxConnections=5\n' > "$conf.d/90-late.conf"
printf '[Tunnel office]\n\nBandwidthMbps=fast\n' > "$conf.d/60-broken.conf"
kill -HUP $pid
until_ok "grep -q 'reload failed, keeping the running configuration: $conf.d/60-broken.conf:3: BandwidthMbps=' '$log'" ||
	fail "the failed reload does not name the broken drop-in"
json=$(cli config --json)
[ "$(value 'Tunnel office' MaxConnections <<<"$json")" = 60 ] || fail "a failed reload changed the configuration: $json"
cli status --json | grep -q '"cause":"client-cidr-too-small"' || fail "the finding went with a failed reload"

# --- fixed: the reload applies, the later drop-in wins ---------------------------------------
rm "$conf.d/60-broken.conf"
kill -HUP $pid
until_ok 'grep -q "configuration reloaded" "$log"' || fail "no reload after the fix"
until_ok '[ "$(cli config --json | value "Tunnel office" MaxConnections)" = 5 ]' || fail "90-late.conf not applied"
[ "$(cli config --json | value 'Tunnel office' MaxConnections 1)" = "$conf.d/90-late.conf:2" ] || fail "origin after reload"
# 4 x 5 = 20 addresses fit in a /26: the finding resolves
until_ok '! cli status --json | grep -q "\"cause\":\"client-cidr-too-small\""' || fail "the reloaded drop-in is not used"

kill -TERM $pid
wait $pid
rc=$?
pid=
[ $rc -eq 0 ] || fail "SIGTERM exit $rc"
echo "ok: drop-ins merged in order with origins, a broken one refused at start and kept out on reload"
