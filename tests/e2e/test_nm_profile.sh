#!/bin/bash
# A client NetworkManager's OpenVPN plugin started is linted like any other,
# with no [Tunnel] section (issue 10): the real plugin (network-manager-openvpn's
# nm-openvpn-service) on a private system bus in a mount namespace of the
# test's own, as test_nm_openvpn.sh sets it up, playing NetworkManager's part
# (Connect with a connection's vpn.data). Its openvpn has no --config: the
# daemon checks the options of its command line (/proc/PID/cmdline), the
# files they name read as that process's principal.
#  1. A client certificate that expired 30 days ago: cert-expired, error, the
#     profile's path the process's command line, the client certificate and
#     the CA listed from the files the command line names; the transport
#     probe wraps its handshake in the connection's tls-auth key (ta, ta-dir);
#     the path probe pings the gateway the command line names.
#  2. After the plugin's Disconnect, a connection whose certificate is valid
#     for 31 more days by the local clock, against an NTP server (chronyd
#     under libfaketime, in the server's namespace) 20 days ahead: the warning
#     (cert-expired, severity warning, "expires in 10 days ... by the
#     NTP-corrected clock"), the 14-day warning judged by the corrected clock.
# No server runs: the client keeps trying, as on a laptop off the network.
# Nothing leaves the namespaces.
set -u

# shellcheck source=ovpn-lab.sh
. "${VD_SRC:?}/tests/e2e/ovpn-lab.sh"
ovpn_lab_require
plugin=/usr/lib/NetworkManager/nm-openvpn-service
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
[ -x "$plugin" ] || { echo "SKIP: no $plugin (network-manager-openvpn)"; exit 77; }
for t in dbus-daemon nsenter unshare busctl chronyd ntpdate; do
	command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }
done
[ -r "$FAKETIME_LIB" ] || { echo "SKIP: no libfaketime"; exit 77; }
/usr/bin/python3 -c 'import dbus, gi.repository.GLib' 2>/dev/null || { echo "SKIP: no python3-dbus/gi"; exit 77; }

SLOW=1
[ -n "${VD_SANITIZED:-}" ] && SLOW=3
ovpn_lab_init nmprof vdnp
hpid= buspid= ppid_= nmpid= chrony_pid= opid=
# the plugin's openvpn outlives the plugin: it goes too, also on failure
ovpn_lab_more_pids="opid nmpid ppid_ buspid hpid chrony_pid"
ovpn_lab_pki
ovpn_lab_net vp

# --- the certificates: expired 30 days ago, and valid 31 more days ------------------------
p=$work/pki
# shellcheck disable=SC2086 # ${3:+...}: the three words of the environment
sign() { # NAME DAYS [FAKETIME]
	openssl req -new -key "$p/client.key" -subj "/CN=vd-$1" -out "$p/$1.csr" >/dev/null 2>&1 &&
		env ${3:+LD_PRELOAD=$FAKETIME_LIB FAKETIME=$3 FAKETIME_DONT_FAKE_MONOTONIC=1} \
			openssl x509 -req -in "$p/$1.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial \
			-days "$2" -extfile "$p/client.ext" -out "$p/$1.crt" >/dev/null 2>&1 || fail "cannot sign $1"
}
sign client-expired 30 -60d
sign client-31d 31
openvpn --genkey secret "$p/ta.key" || fail "openvpn --genkey"
na=$(date -d "$(openssl x509 -in "$p/client-expired.crt" -noout -enddate | cut -d= -f2)" +%s)
[ "$na" -lt "$(date +%s)" ] || fail "client-expired.crt is not expired (faketime?)"
# the plugin's openvpn drops to nm-openvpn (--user): its files are read as that
# user, as a NetworkManager.service cgroup's would be as root
chmod a+r "$p"/*

# --- an NTP server 20 days ahead, on the server's side ------------------------------------
mkdir -m 0700 "$work/ntp"
cat >"$work/ntp/chrony.conf" <<EOC
local stratum 8
allow
bindaddress 198.18.0.1
bindcmdaddress $work/ntp/chronyd.sock
pidfile $work/ntp/chronyd.pid
EOC
ip netns exec "$sns" env LD_PRELOAD="$FAKETIME_LIB" FAKETIME=+20d FAKETIME_DONT_FAKE_MONOTONIC=1 \
	chronyd -x -n -u root -f "$work/ntp/chrony.conf" >"$work/chronyd.log" 2>&1 &
chrony_pid=$!
until_ok "ip netns exec $cns ntpdate -q 198.18.0.1 2>&1 | grep -q -- '+/-'" 100 || fail "chronyd does not answer"

# --- the laptop's mount namespace: /run of its own, the bus, the plugin -------------------
ip netns exec "$cns" unshare -m --propagation private /bin/sh -c \
	'mount -t tmpfs -o mode=755 vd-run /run && mkdir /run/dbus && : > "$1/holder.ready" && exec sleep 3600' \
	sh "$work" &
hpid=$!
until_ok "[ -e '$work/holder.ready' ]" 50 || fail "the laptop's mount namespace"
lap=(nsenter -t "$hpid" -m -n)
in_lap() { "${lap[@]}" "$@"; }
in_lap test ! -e /run/netns || fail "/run is not the laptop's own"
cat > "$work/bus.conf" <<EOB
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=/run/dbus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
  <policy user="root">
    <allow own_prefix="org.freedesktop.NetworkManager.openvpn"/>
  </policy>
</busconfig>
EOB
"${lap[@]}" dbus-daemon --config-file="$work/bus.conf" --nofork --nopidfile 2>"$work/bus.log" &
buspid=$!
until_ok "in_lap test -S /run/dbus/system_bus_socket" 50 || fail "dbus-daemon did not listen"
"${lap[@]}" "$plugin" --persist --debug >"$work/plugin.log" 2>&1 &
ppid_=$!
has_owner() { grep -q true <<<"$(in_lap busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s "$1" 2>/dev/null)"; }
until_ok 'has_owner org.freedesktop.NetworkManager.openvpn' 100 || fail "the plugin did not take its bus name"

# --- the daemon, with no tunnel; its clock from the NTP server ----------------------------
cat > "$work/vpndoctor.conf" <<EOC
[Daemon]
MaxConcurrentProbes=2
DiscoveryForgetSec=1s
[Clock]
NTPServers=198.18.0.1
EOC
"${lap[@]}" "$bin/vpndoctord" --foreground --user nobody --config "$work/vpndoctor.conf" --socket "$sock" \
	--state-dir "$work/state" --log-level info 2>>"$dlog" &
dpid=$!
until_ok '[ -S "$sock" ]' 100 || fail "no daemon socket"
until_ok 'status_is "names() == []"' 50 || fail "tunnels before the plugin connects: $(cli status --json)"

# --- NetworkManager's part: Connect with a connection's vpn.data, Disconnect on SIGUSR1 ----
cat > "$work/nm.py" <<'EOF'
import signal, sys
import dbus, dbus.mainloop.glib
from gi.repository import GLib

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
work, cert = sys.argv[1], sys.argv[2]
plugin = dbus.Interface(dbus.SystemBus().get_object("org.freedesktop.NetworkManager.openvpn",
                        "/org/freedesktop/NetworkManager/VPN/Plugin"), "org.freedesktop.NetworkManager.VPN.Plugin")
plugin.connect_to_signal("StateChanged", lambda s: print("StateChanged %d" % s, flush=True))
data = {
    "remote": "198.18.0.1", "port": "1194", "connection-type": "tls",
    "ca": work + "/pki/ca.crt", "cert": work + "/pki/" + cert, "key": work + "/pki/client.key",
    "ta": work + "/pki/ta.key", "ta-dir": "1", "remote-cert-tls": "server", "cert-pass-flags": "4",
}
plugin.Connect({
    "connection": {"id": "office-nm", "uuid": "5b0b6c2e-6f0f-4c5e-9a0e-6c8a3b1f2d10", "type": "vpn"},
    "vpn": {"service-type": "org.freedesktop.NetworkManager.openvpn",
            "data": dbus.Dictionary(data, signature="ss"), "secrets": dbus.Dictionary({}, signature="ss")},
})
print("Connect returned", flush=True)
def on_usr1(*_):
    plugin.Disconnect()
    print("Disconnect returned", flush=True)
    return True
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGUSR1, on_usr1)
GLib.MainLoop().run()
EOF

# connect CERT: the plugin's openvpn with CERT runs; $opid
connect() {
	: >"$work/nm.log"
	"${lap[@]}" /usr/bin/python3 "$work/nm.py" "$work" "$1" >>"$work/nm.log" 2>&1 &
	nmpid=$!
	until_ok 'in_lap pgrep -P "$ppid_" -f -- "--management-query-passwords" >/dev/null' 100 ||
		fail "no openvpn client child of the plugin: $(in_lap pgrep -a -P "$ppid_")"
	opid=$(in_lap pgrep -n -P "$ppid_" -f -- "--management-query-passwords")
	tr '\0' ' ' </proc/"$opid"/cmdline >"$work/openvpn.cmdline"
	grep -q -- '--config' "$work/openvpn.cmdline" && fail "the plugin's openvpn has a --config"
	grep -q -- "--cert $work/pki/$1" "$work/openvpn.cmdline" || fail "not $1: $(cat "$work/openvpn.cmdline")"
	grep -q -- "--tls-auth $work/pki/ta.key 1" "$work/openvpn.cmdline" || fail "no tls-auth: $(cat "$work/openvpn.cmdline")"
	# discovery looks when a link appears (vpndoctord(8)): one now
	ip -n "$cns" link add vdpoke0 type veth peer name vdpoke1 && ip -n "$cns" link del vdpoke0 ||
		fail "a link in the laptop's namespace"
	until_ok 'status_is "names() == [\"198.18.0.1\"] and tunnel(\"198.18.0.1\")[\"discovered\"] is True"' $((400 * SLOW)) ||
		fail "the plugin's openvpn was not discovered: $(cli status --json)"
}

disconnect() {
	kill -USR1 "$nmpid"
	until_ok 'grep -q "StateChanged 6" "$work/nm.log"' $((200 * SLOW)) || fail "the plugin did not stop"
	until_ok '! kill -0 "$opid" 2>/dev/null' 100 || fail "the plugin's openvpn still runs"
	kill "$nmpid"
	wait "$nmpid" 2>/dev/null
	nmpid=
	# gone and forgotten (DiscoveryForgetSec=1s) at discovery's next looks
	poke() { ip -n "$cns" link add vdpoke0 type veth peer name vdpoke1 && ip -n "$cns" link del vdpoke0; }
	until_ok 'poke; sleep 1; poke; status_is "names() == []"' 60 ||
		fail "the plugin's tunnel stays: $(cli status --json)"
}

# --- 1. expired ---------------------------------------------------------------------------
connect client-expired.crt
until_ok 'status_is "finding(\"cert-expired\", \"198.18.0.1\") is not None"' $((300 * SLOW)) ||
	fail "no cert-expired for the plugin's client: $(cli status --json; cli facts --tunnel 198.18.0.1 --json)"
cli status --json >"$work/status.json"
cli facts --tunnel 198.18.0.1 --json >"$work/facts.json"
until_ok 'cli facts --tunnel 198.18.0.1 --json | grep -q "\"wrap\""' $((300 * SLOW)) ||
	fail "no transport section: $(cli facts --tunnel 198.18.0.1 --json)"
# the path probe finds the gateway as the transport probe does (its needs)
until_ok 'json_is "$(cli facts --tunnel 198.18.0.1 --json)" "p[\"addr\"] == \"198.18.0.1\" and p[\"method\"] == \"icmp\" and p[\"received\"] > 0" "p = d[\"facts\"][\"tunnels\"][0][\"path\"]"' $((300 * SLOW)) ||
	fail "no path to the plugin's gateway: $(cli facts --tunnel 198.18.0.1 --json)"
cli facts --tunnel 198.18.0.1 --json >"$work/facts.json"
/usr/bin/python3 - "$work/status.json" "$work/facts.json" "$opid" "$work" <<'EOF' || fail "after the expired client"
import json, sys
st, fa, pid, work = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["facts"], int(sys.argv[3]), sys.argv[4]
f = next(f for f in st["findings"] if f["cause"] == "cert-expired" and f["tunnel"] == "198.18.0.1")
assert f["severity"] == "error" and "expired 30 days ago" in f["summary"], f
t = next(t for t in fa["tunnels"] if t["name"] == "198.18.0.1")
p = t["profile"]
assert p["path"] == "/proc/%d/cmdline" % pid, p
roles = sorted((c["role"], c["file"]) for c in p["certs"])
assert ("ca", work + "/pki/ca.crt") in roles and ("cert", work + "/pki/client-expired.crt") in roles, roles
tr = t["transport"]
assert tr["wrap"] == "tls-auth" and tr["gateway"] == "198.18.0.1" and tr["port"] == 1194, tr
print("1. %s: %s; profile %s; transport wrap %s" % (f["cause"], f["summary"], p["path"], tr["wrap"]))
EOF
disconnect

# --- 2. valid 31 more days by the local clock, 10 by the NTP server's -----------------------
connect client-31d.crt
until_ok 'status_is "(finding(\"cert-expired\", \"198.18.0.1\") or {}).get(\"severity\") == \"warning\""' $((300 * SLOW)) ||
	fail "no warning for the plugin's client: $(cli status --json; cli facts --json)"
cli status --json >"$work/status.json"
/usr/bin/python3 - "$work/status.json" <<'EOF' || fail "after the client expiring soon: $(cat "$work/status.json")"
import json, sys
st = json.load(open(sys.argv[1]))
f = next(f for f in st["findings"] if f["cause"] == "cert-expired" and f["tunnel"] == "198.18.0.1")
assert f["severity"] == "warning" and "by the NTP-corrected clock" in f["summary"], f
assert "expires in 10 days" in f["summary"], f
print("2. %s (%s): %s" % (f["cause"], f["severity"], f["summary"]))
EOF
disconnect

stop_daemon
echo "PASS ($(elapsed) s)"
