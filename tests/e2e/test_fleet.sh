#!/bin/bash
# The fleet, end to end with systemd's own tools. A laptop (network, mount and
# UTS namespaces of its own, its own machine id and host name, journald on
# tmpfs as in test_journal.sh) runs vpndoctord, which opens, resolves and
# opens again config-invalid; systemd-journal-upload sends its journal over a
# veth to systemd-journal-remote in a second namespace, and the entries
# arrive with every VPNDOCTOR_* field the laptop wrote. Then 20 more machines
# are written into the same directory through systemd-journal-remote reading
# export format, each with a story, and `vpndoctor fleet` must give the exact
# counts: per cause open now, gateways, recovered in the last hour, --since,
# --machine. A garbage and a truncated journal file are named on stderr and
# the rest is still read. Every address is in the two namespaces made here.
set -u

bin=${VD_BIN:?} src=${VD_SRC:?}
PY=/usr/bin/python3
UPLOAD=/lib/systemd/systemd-journal-upload
REMOTE=/lib/systemd/systemd-journal-remote
JOURNALD=/lib/systemd/systemd-journald

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# wait_for TENTHS CMD...: polls CMD every 0.1 s.
wait_for() {
	local n=$1
	shift
	until "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}

# ---------------------------------------------------------------------------
# The laptop: runs inside its own mount and UTS namespace (and the laptop's
# network namespace), so /run, /var/log, /etc/machine-id and the host name it
# changes are its own.
if [ "${1:-}" = --laptop ]; then
	work=$2
	jd= vd=
	trap 'for p in $vd $jd; do kill $p 2>/dev/null; wait $p 2>/dev/null; done' EXIT
	hostname vd-laptop-real
	mount -t tmpfs -o mode=0755 tmpfs /run
	mount -t tmpfs -o mode=0755 tmpfs /var/log
	mount -t tmpfs -o mode=0755 tmpfs /var/lib/systemd
	# ip netns exec gave this namespace a /sys of its own, without the cgroup
	# file system that journald needs to start
	mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup
	echo 0123456789abcdef0123456789abcdef > "$work/machine-id"
	mount --bind "$work/machine-id" /etc/machine-id
	"$JOURNALD" > "$work/journald.log" 2>&1 &
	jd=$!
	wait_for 100 test -S /run/systemd/journal/socket || fail "journald did not start"

	p=$work/profiles
	mkdir -p "$p"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$p/ca.key" \
		-out "$p/ca.crt.keep" -days 3650 -subj /CN=vd-fleet-ca 2>/dev/null || fail "openssl"
	printf 'client\ndev tun\nproto udp\nremote 10.231.0.2 1194\nca ca.crt\nauth-user-pass\nverb 3\n' > "$p/office.ovpn"
	{
		printf '[Clock]\nEnabled=no\n[Profile]\nInterval=1h\n'
		# only the profile probe: nothing is sent to the gateway named in it
		for s in OpenVPN Routes Conflicts DNS Transport Path Ping MTU Throughput Firewall Reflector; do
			printf '[%s]\nEnabled=no\n' $s
		done
		printf '[Tunnel office]\nConfig=%s/office.ovpn\n' "$p"
	} > "$work/vpndoctor.conf"
	"$bin/vpndoctord" --foreground --user nobody --config "$work/vpndoctor.conf" --socket "$work/sock" \
		--state-dir "$work/state" --log-target journal 2> "$work/vpndoctord.log" &
	vd=$!
	cli() { "$bin/vpndoctor" --socket "$work/sock" "$@"; }
	opened() { [ "$(journalctl -q -o cat VPNDOCTOR_EVENT=opened | wc -l)" -ge "$1" ]; }
	wait_for 100 opened 1 || fail "config-invalid (ca.crt missing) did not open"
	cp "$p/ca.crt.keep" "$p/ca.crt"
	cli check --probe profile >/dev/null
	wait_for 100 journalctl -q VPNDOCTOR_EVENT=resolved --grep=. || fail "config-invalid did not resolve"
	rm "$p/ca.crt"
	cli check --probe profile >/dev/null
	wait_for 100 opened 2 || fail "config-invalid did not open again"

	# what the laptop wrote, to compare with what arrives
	journalctl -q -o json VPNDOCTOR_EVENT=opened + VPNDOCTOR_EVENT=resolved > "$work/local.json"
	"$UPLOAD" --url=http://10.231.0.2:19532 --follow=no --save-state="$work/upload.state" \
		> "$work/upload.log" 2>&1 || fail "systemd-journal-upload: $(cat "$work/upload.log")"
	exit 0
fi

# ---------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || fail "needs root (namespaces)"
for x in "$UPLOAD" "$REMOTE" "$JOURNALD"; do
	[ -x "$x" ] || fail "no $x (scripts/deps.sh: systemd-journal-remote)"
done
central=vdcentral$$ laptop=vdlaptop$$
work=$(mktemp -d /tmp/vd-e2e-fleet.XXXXXX)
rp=
trap 'kill_pids; ip netns del $central 2>/dev/null; ip netns del $laptop 2>/dev/null; rm -rf "$work"' EXIT
kill_pids() { [ -n "$rp" ] && { kill $rp 2>/dev/null; wait $rp 2>/dev/null; }; return 0; }

ip netns add $central || fail "ip netns add"
ip netns add $laptop || fail "ip netns add"
ip -n $laptop link add veth0 type veth peer name veth0 netns $central
ip -n $laptop addr add 10.231.0.1/24 dev veth0
ip -n $central addr add 10.231.0.2/24 dev veth0
for ns in $central $laptop; do
	ip -n $ns link set lo up
	ip -n $ns link set veth0 up
done

remote=$work/remote
mkdir -p "$remote"
ip netns exec $central "$REMOTE" --listen-http=10.231.0.2:19532 --output="$remote/" --split-mode=host \
	> "$work/remote.log" 2>&1 &
rp=$!
wait_for 100 ip netns exec $central bash -c 'exec 3<>/dev/tcp/10.231.0.2/19532' || fail "journal-remote does not listen"

# --- forwarding ---------------------------------------------------------------
chmod 755 "$work"
ip netns exec $laptop unshare -m -u --propagation private /bin/bash "$0" --laptop "$work" ||
	fail "the laptop: $(cat "$work"/upload.log "$work"/vpndoctord.log 2>/dev/null)"
ls "$remote"/*.journal > /dev/null 2>&1 || fail "nothing arrived: $(cat "$work/remote.log")"
journalctl -q -D "$remote" -o json VPNDOCTOR_EVENT=opened + VPNDOCTOR_EVENT=resolved > "$work/arrived.json"
$PY - "$work/local.json" "$work/arrived.json" <<'EOP' || fail "forwarded entries differ"
import json, sys
def load(p):
    out = []
    for line in open(p):
        e = json.loads(line)
        out.append({k: v for k, v in e.items() if k.startswith("VPNDOCTOR_")} | {"_MACHINE_ID": e.get("_MACHINE_ID"), "_HOSTNAME": e.get("_HOSTNAME"), "MESSAGE_ID": e.get("MESSAGE_ID")})
    return out
local, arrived = load(sys.argv[1]), load(sys.argv[2])
assert len(local) == 3, local
assert local == arrived, (local, arrived)
need = {"VPNDOCTOR_CAUSE", "VPNDOCTOR_TUNNEL", "VPNDOCTOR_EVENT", "VPNDOCTOR_SUMMARY", "VPNDOCTOR_SEVERITY",
        "VPNDOCTOR_GATEWAY", "VPNDOCTOR_PROFILE", "VPNDOCTOR_DAEMON_VERSION", "VPNDOCTOR_SUMMARY_MESSAGE"}
for e in arrived:
    assert need <= set(e), sorted(set(e))
    assert json.loads(e["VPNDOCTOR_SUMMARY_MESSAGE"])["id"], e
    assert e["VPNDOCTOR_CAUSE"] == "config-invalid" and e["VPNDOCTOR_TUNNEL"] == "office", e
    assert e["VPNDOCTOR_GATEWAY"] == "10.231.0.2" and e["VPNDOCTOR_PROFILE"] == "office.ovpn", e
    assert e["_MACHINE_ID"] == "0123456789abcdef0123456789abcdef" and e["_HOSTNAME"] == "vd-laptop-real", e
    assert e["MESSAGE_ID"], e
print("forwarded: %d entries, fields %s" % (len(arrived), " ".join(sorted(k for k in arrived[0] if k.startswith("VPNDOCTOR_")))))
EOP
kill_pids
rp=

# --- 20 simulated machines, written by journal-remote from export format --------
now=$(date +%s)
$PY - "$now" "$work/sim" <<'EOP' || fail "export format"
import os, sys
now, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out)
def ev(f, host, mid, t, event, cause, tunnel="office", sev="warning", gw="10.231.1.1"):
    t = now - t
    f.write(f"__REALTIME_TIMESTAMP={t * 1000000}\n__MONOTONIC_TIMESTAMP={t * 1000000}\n"
            f"_BOOT_ID={mid[::-1]}\n_MACHINE_ID={mid}\n_HOSTNAME={host}\n"
            f"SYSLOG_IDENTIFIER=vpndoctord\nMESSAGE={cause} {event}\nVPNDOCTOR_EVENT={event}\n")
    if event != "stopped":
        f.write(f"VPNDOCTOR_CAUSE={cause}\nVPNDOCTOR_TUNNEL={tunnel}\nVPNDOCTOR_SEVERITY={sev}\n"
                f"VPNDOCTOR_SUMMARY={cause} on {host}\nVPNDOCTOR_GATEWAY={gw}\nVPNDOCTOR_PROFILE=office.ovpn\n"
                f"VPNDOCTOR_OPENVPN_VERSION=2.6.14\nVPNDOCTOR_DAEMON_VERSION=0.1.0\n")
    f.write("\n")
for i in range(1, 21):
    host, mid = f"sim{i:02d}", f"{i:032x}"
    with open(f"{out}/{host}.export", "w") as f:
        # an unrelated entry, as a real journal has
        f.write(f"__REALTIME_TIMESTAMP={(now - 9000) * 1000000}\n__MONOTONIC_TIMESTAMP=1\n_BOOT_ID={mid[::-1]}\n"
                f"_MACHINE_ID={mid}\n_HOSTNAME={host}\nMESSAGE=kernel noise\n\n")
        if i <= 8:
            ev(f, host, mid, 7200, "opened", "dns-no-route", sev="error")
        elif i == 9:
            ev(f, host, mid, 7000, "opened", "dns-no-route", sev="error", gw="10.231.1.2")
        if 9 <= i <= 12:
            ev(f, host, mid, 10800 - i, "opened", "clock-skew", tunnel="", sev="error", gw="")
        if 13 <= i <= 17:
            ev(f, host, mid, 3000, "opened", "udp-blocked", sev="error")
            ev(f, host, mid, 1200, "resolved", "udp-blocked", sev="error")
        if i == 18:
            ev(f, host, mid, 18000, "opened", "udp-blocked", sev="error")
            ev(f, host, mid, 10800, "resolved", "udp-blocked", sev="error")
        if i == 19:
            ev(f, host, mid, 1800, "opened", "cert-expired", sev="error")
            ev(f, host, mid, 600, "stopped", "")
        if i == 20:
            ev(f, host, mid, 2400, "opened", "config-invalid", sev="error", gw="10.231.1.2")
            ev(f, host, mid, 1800, "resolved", "config-invalid", sev="error", gw="10.231.1.2")
            ev(f, host, mid, 600, "opened", "config-invalid", sev="error", gw="10.231.1.2")
EOP
for f in "$work"/sim/*.export; do
	h=$(basename "$f" .export)
	"$REMOTE" --output="$remote/remote-$h.journal" - < "$f" > "$work/sim-$h.log" 2>&1 ||
		fail "journal-remote $h: $(cat "$work/sim-$h.log")"
done
[ "$(ls "$remote"/*.journal | wc -l)" -eq 21 ] || fail "expected 21 journal files: $(ls "$remote")"

# --- the fleet's counts -------------------------------------------------------------
fleet() { "$bin/vpndoctor" fleet --directory "$remote" "$@"; }
out=$(fleet --json 2> "$work/err")
rc=$?
[ $rc -eq 2 ] || fail "fleet exits $rc with errors open: $(cat "$work/err")"
[ ! -s "$work/err" ] || fail "fleet complained about good files: $(cat "$work/err")"
check() {
	$PY - "$@" <<'EOP'
import json, sys
d = json.loads(sys.argv[1])
mode = sys.argv[2]
causes = {c["cause"]: c for c in d.get("causes", [])}
opened = {k: c["open"] for k, c in causes.items()}
rec = sorted(r["hostname"] for r in d.get("recovered", []))
if mode == "all":
    assert d["machines"] == 21, d["machines"]
    assert opened == {"clock-skew": 4, "config-invalid": 2, "dns-no-route": 9}, opened
    gws = {g["gateway"]: g["findings"] for g in causes["dns-no-route"]["gateways"]}
    assert gws == {"10.231.1.1": 8, "10.231.1.2": 1}, gws
    gws = {g["gateway"]: g["findings"] for g in causes["config-invalid"]["gateways"]}
    assert gws == {"10.231.0.2": 1, "10.231.1.2": 1}, gws
    hosts = sorted(f["hostname"] for f in causes["config-invalid"]["findings"])
    assert hosts == ["sim20", "vd-laptop-real"], hosts
    assert rec == ["sim13", "sim14", "sim15", "sim16", "sim17"], rec
    assert causes["dns-no-route"]["since"] == int(sys.argv[3]) - 7200, causes["dns-no-route"]["since"]
    assert len(d["files"]) == 21 and d["errors"] == [], (d["files"], d["errors"])
elif mode == "since":
    assert d["machines"] == 8, d["machines"]
    assert opened == {"config-invalid": 2}, opened
    assert rec == ["sim13", "sim14", "sim15", "sim16", "sim17"], rec
elif mode == "machine":
    assert d["hostname"] == "sim20", d
    assert [e["event"] for e in d["events"]] == ["opened", "resolved", "opened"], d["events"]
    assert len(d["open"]) == 1 and d["open"][0]["gateway"] == "10.231.1.2", d["open"]
elif mode == "bad":
    assert opened == {"clock-skew": 4, "config-invalid": 2, "dns-no-route": 9}, opened
    assert len(d["files"]) >= 21, d["files"]
    bad = sorted(e["file"].rsplit("/", 1)[1] for e in d["errors"])
    assert "garbage.journal" in bad, d["errors"]
print(mode, "ok:", d.get("machines"), opened if mode != "machine" else len(d["events"]), rec)
EOP
}
check "$out" all "$now" || fail "fleet counts: $out"
check "$(fleet --since 1h --json)" since || fail "fleet --since 1h"
check "$(fleet --machine sim20 --json)" machine || fail "fleet --machine sim20"
fleet --machine sim20 | grep -q 'config-invalid on office (gateway 10.231.1.2)' || fail "fleet --machine text: $(fleet --machine sim20)"
text=$(fleet)
grep -q '^dns-no-route: open on 9 machines since ' <<<"$text" || fail "text: $text"
grep -q '^5 machines went from broken to healthy in the last hour:' <<<"$text" || fail "text: $text"
# in Japanese: the frame, and the real laptop's summaries from VPNDOCTOR_SUMMARY_MESSAGE
# (the simulated machines wrote none: their English summary is shown)
loc=$(cd "$bin/.." && pwd)/locale
jafleet() { LC_ALL=C.UTF-8 LANGUAGE=ja TZ=Asia/Tokyo VPNDOCTOR_LOCALEDIR=$loc "$bin/vpndoctor" fleet --directory "$remote" "$@"; }
text=$(jafleet)
grep -q '^21台のマシンがジャーナルにあります$' <<<"$text" || fail "fleet in Japanese: $text"
grep -q '^dns-no-route: 9台のマシンで発生中（[0-9/: ]*から）$' <<<"$text" || fail "fleet in Japanese: $text"
grep -q '^  sim01  office  [0-9/: ]*から  dns-no-route on sim01$' <<<"$text" || fail "fleet: English summary kept: $text"
text=$(jafleet --machine vd-laptop-real)
grep -Eq '^  [0-9]{4}/[0-9]{2}/[0-9]{2} [0-9:]{8}  発生 +config-invalid、トンネル office（ゲートウェイ 10.231.0.2）: [a-z]+ファイル.*が存在しません' <<<"$text" ||
	fail "fleet --machine in Japanese, the summary from its message: $text"
grep -q '^現在発生中: 1$' <<<"$text" || fail "fleet --machine in Japanese: $text"
fleet --machine vd-laptop-real | grep -Eq ' opened +config-invalid on office \(gateway 10.231.0.2\): the [a-z]+ file .* does not exist' ||
	fail "fleet --machine in English: $(fleet --machine vd-laptop-real)"
fleet --machine nobody > /dev/null 2>&1
[ $? -eq 64 ] || fail "an unknown machine is not a usage error"
fleet --since yesterday-ish > /dev/null 2>&1
[ $? -eq 64 ] || fail "a bad --since is not a usage error"

# --- damaged files: named, and the rest is read ------------------------------------------
head -c 4096 /dev/urandom > "$remote/garbage.journal"
f=$(ls "$remote"/remote-sim05.journal)
head -c $(( $(stat -c %s "$f") / 2 )) "$f" > "$remote/truncated.journal"
out=$(fleet --json 2> "$work/err")
grep -q "garbage.journal: not a journal file that can be read" "$work/err" || fail "no clear error for garbage: $(cat "$work/err")"
check "$out" bad || fail "the good files were not all read: $out"
grep -q "truncated.journal: " "$work/err" || fail "no clear error for a truncated file: $(cat "$work/err")"
rm "$remote"/*.journal
fleet > /dev/null 2>&1
[ $? -eq 3 ] || fail "an empty directory is not exit 3"
echo "ok: forwarded with every field; fleet counts exact on 21 machines; damaged files named"
