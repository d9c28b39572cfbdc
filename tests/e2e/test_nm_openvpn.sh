#!/bin/bash
# Discovery of a client started by NetworkManager's OpenVPN plugin, the real one
# (network-manager-openvpn's nm-openvpn-service), without NetworkManager: this test
# plays NetworkManager's part on a private system bus. A real OpenVPN 2.6 server in
# one namespace of the test's own; in the "laptop" namespace, a mount namespace
# with a fresh tmpfs on /run (the plugin's openvpn runs its --up helper with a
# clean environment, so the helper finds the bus only at the default
# /run/dbus/system_bus_socket, and the plugin puts its management socket in
# /run/NetworkManager) holds dbus-daemon (a policy letting root own
# org.freedesktop.NetworkManager.openvpn), the plugin and vpndoctord with no
# [Tunnel]. The test calls the plugin's Connect with a vpn connection's settings
# (remote, connection-type tls, ca/cert/key) and, as NetworkManager does, applies
# the Ip4Config the plugin reports to the tun link (the plugin runs openvpn with
# --ifconfig-noexec --route-noexec). Asserts: the openvpn process the plugin
# started (no --config, --management-query-passwords) is discovered as a tunnel
# named after its remote, "connecting" while the server is not up yet (it is
# started only then); once it is, "connected" from the plugin's StateChanged on
# the bus named by the helper's --bus-name (state_source nm-plugin: the
# management interface and the log are the plugin's); after a daemon restart
# (the signal gone, and libnm leaves the State property at 0) "connected" from
# the link NetworkManager configured (nm-link); the remote address, proto and
# port, the tun link and the routes NetworkManager applied, the tunnel's
# addresses from that link, so the ping probe runs inside the tunnel to the
# server's tunnel address (net30: the host route 10.8.0.1) and gets answers;
# the plugin's Disconnect ends it (exiting while the process stops, then
# exited, said by the plugin's stopping, no crash, no client-exception; never
# exited while the process runs). Nothing leaves the namespaces: no NTP
# (clock off).
set -u

# shellcheck source=ovpn-lab.sh
. "${VD_SRC:?}/tests/e2e/ovpn-lab.sh"
ovpn_lab_require
plugin=/usr/lib/NetworkManager/nm-openvpn-service
[ -x "$plugin" ] || { echo "SKIP: no $plugin (network-manager-openvpn)"; exit 77; }
for t in dbus-daemon nsenter unshare busctl; do
	command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }
done
/usr/bin/python3 -c 'import dbus, gi.repository.GLib' 2>/dev/null || { echo "SKIP: no python3-dbus/gi"; exit 77; }

SLOW=1
[ -n "${VD_SANITIZED:-}" ] && SLOW=3
ovpn_lab_init nmovpn vdnm
hpid= buspid= ppid_= nmpid= opid= stopper=
ovpn_lab_more_pids="stopper opid nmpid ppid_ buspid hpid"
ovpn_lab_pki
ovpn_lab_net vm
server_conf 172.16.1.0 # started once the daemon saw the client connecting

# --- the laptop's mount namespace: /run of its own -------------------------------------
ip netns exec "$cns" unshare -m --propagation private /bin/sh -c \
	'mount -t tmpfs -o mode=755 vd-run /run && mkdir /run/dbus && : > "$1/holder.ready" && exec sleep 3600' \
	sh "$work" &
hpid=$!
until_ok "[ -e '$work/holder.ready' ]" 50 || fail "the laptop's mount namespace"
lap=(nsenter -t "$hpid" -m -n) # a command, not a function: $! must be the process itself
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
  <!-- as network-manager-openvpn's own nm-openvpn-service.conf -->
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

# --- the daemon, with no tunnel ----------------------------------------------------------
cat > "$work/vpndoctor.conf" <<EOC
[Daemon]
MaxConcurrentProbes=2
[Clock]
Enabled=no
[Profile]
Interval=1h
EOC
start_daemon() {
	"${lap[@]}" "$bin/vpndoctord" --foreground --user nobody --config "$work/vpndoctor.conf" --socket "$sock" \
		--state-dir "$work/state" --log-level info 2>>"$dlog" &
	dpid=$!
	until_ok '[ -S "$sock" ]' 100 || fail "no daemon socket"
}
start_daemon
until_ok 'status_is "names() == []"' 50 || fail "tunnels before the plugin connects: $(cli status --json)"

# --- NetworkManager's part: Connect, then the Ip4Config applied to the tun link -----------
cat > "$work/nm.py" <<'EOF'
import subprocess, sys, time
import dbus, dbus.mainloop.glib
from gi.repository import GLib

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
work = sys.argv[1]
bus = dbus.SystemBus()
obj = bus.get_object("org.freedesktop.NetworkManager.openvpn", "/org/freedesktop/NetworkManager/VPN/Plugin")
plugin = dbus.Interface(obj, "org.freedesktop.NetworkManager.VPN.Plugin")
loop = GLib.MainLoop()
tundev = [None]

def ip4(n):
    return "%d.%d.%d.%d" % (n & 255, n >> 8 & 255, n >> 16 & 255, n >> 24 & 255)

def on_config(cfg):
    tundev[0] = str(cfg.get("tundev", ""))
    print("Config tundev=%s gateway=%s" % (tundev[0], ip4(int(cfg["gateway"])) if "gateway" in cfg else "-"), flush=True)

def on_ip4(cfg):
    dev = tundev[0]
    addr, ptp, prefix = ip4(int(cfg["address"])), ip4(int(cfg.get("ptp", 0))), int(cfg["prefix"])
    print("Ip4Config address=%s ptp=%s prefix=%d" % (addr, ptp, prefix), flush=True)
    if "ptp" in cfg:
        subprocess.run(["ip", "addr", "add", addr, "peer", ptp, "dev", dev], check=True)
    else:
        subprocess.run(["ip", "addr", "add", "%s/%d" % (addr, prefix), "dev", dev], check=True)
    subprocess.run(["ip", "link", "set", dev, "up"], check=True)
    for r in cfg.get("routes", []):  # aau: dest, prefix, next hop, metric
        dst = "%s/%d" % (ip4(int(r[0])), int(r[1]))
        print("route %s dev %s" % (dst, dev), flush=True)
        subprocess.run(["ip", "route", "replace", dst, "dev", dev], check=True)
    print("dns %s" % " ".join(ip4(int(d)) for d in cfg.get("dns", [])), flush=True)

def on_state(state):
    print("StateChanged %d" % state, flush=True)  # 4: started, 6: stopped

def on_failure(reason):
    print("Failure %d" % reason, flush=True)

plugin.connect_to_signal("Config", on_config)
plugin.connect_to_signal("Ip4Config", on_ip4)
plugin.connect_to_signal("StateChanged", on_state)
plugin.connect_to_signal("Failure", on_failure)
data = {
    "remote": "198.18.0.1", "port": "1194", "connection-type": "tls",
    "ca": work + "/pki/ca.crt", "cert": work + "/pki/client.crt", "key": work + "/pki/client.key",
    "remote-cert-tls": "server", "cert-pass-flags": "4",
}
plugin.Connect({
    "connection": {"id": "office-nm", "uuid": "5b0b6c2e-6f0f-4c5e-9a0e-6c8a3b1f2d10", "type": "vpn"},
    "vpn": {"service-type": "org.freedesktop.NetworkManager.openvpn",
            "data": dbus.Dictionary(data, signature="ss"), "secrets": dbus.Dictionary({}, signature="ss")},
})
print("Connect returned", flush=True)
# Disconnect when told (SIGUSR1), as NetworkManager does on "nmcli con down"
import signal
def on_usr1(*_):
    plugin.Disconnect()
    print("Disconnect returned", flush=True)
    return True
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGUSR1, on_usr1)
loop.run()
EOF
"${lap[@]}" /usr/bin/python3 "$work/nm.py" "$work" >"$work/nm.log" 2>&1 &
nmpid=$!
t_conn=$(elapsed)
# the plugin first runs `openvpn --version` (to learn the version), then the
# client: wait for the one with the plugin's management options
until_ok 'in_lap pgrep -P "$ppid_" -f -- "--management-query-passwords" >/dev/null' 100 ||
	fail "no openvpn client child of the plugin: $(in_lap pgrep -a -P "$ppid_")"
opid=$(in_lap pgrep -n -P "$ppid_" -f -- "--management-query-passwords")
tr '\0' ' ' </proc/"$opid"/cmdline >"$work/openvpn.cmdline"
grep -q -- '--config' "$work/openvpn.cmdline" && fail "the plugin's openvpn has a --config: $(cat "$work/openvpn.cmdline")"
grep -q -- '--management-query-passwords' "$work/openvpn.cmdline" || fail "not the plugin's command line"
# the plugin's State is asked on the bus named by the helper's --bus-name
grep -q -- '--bus-name org.freedesktop.NetworkManager.openvpn' "$work/openvpn.cmdline" ||
	fail "no --bus-name in the plugin's command line: $(cat "$work/openvpn.cmdline")"

# --- discovered while the server is not up yet: connecting --------------------------------
# The daemon reads /proc every 30 s and when a link appears (vpndoctord(8)).
# The plugin's openvpn makes its tun only once connected, and the plugin gives
# up after 60 s, which a client left 30 s without a server can miss (its
# retries back off): a link made here has discovery look now, instead of
# relying on one the namespace happens to make (its IPv6 link-local address
# comes ~2 s after the veth is up, early or late for the Connect by chance).
ip -n "$cns" link add vdpoke0 type veth peer name vdpoke1 && ip -n "$cns" link del vdpoke0 ||
	fail "a link in the laptop's namespace"
until_ok 'status_is "names() == [\"198.18.0.1\"] and tunnel(\"198.18.0.1\")[\"discovered\"] is True"' $((400 * SLOW)) ||
	fail "the plugin's openvpn was not discovered: $(cli status --json)"
echo "discovered $(elapsed_since "$t_conn") s after Connect"
grep -q "discovery: tunnel 198.18.0.1: openvpn pid $opid" "$dlog" || fail "the discovery was not logged with pid $opid"
grep -q "StateChanged 4" "$work/nm.log" && fail "connected without a server"
until_ok 'status_is "state(\"198.18.0.1\") == \"connecting\""' 100 ||
	fail "the plugin's tunnel is not connecting: $(cli status --json)"

# --- the server comes up: the plugin's StateChanged says connected ------------------------
# The management interface is the plugin's (--management-query-passwords) and
# openvpn logs to the plugin's stdout; the plugin's StateChanged is the source.
start_server
t_up=$(elapsed)
until_ok 'grep -q "StateChanged 4" "$work/nm.log"' $((300 * SLOW)) || fail "the plugin did not reach state started"
until_ok 'grep -q "^dns" "$work/nm.log"' 50 || fail "no Ip4Config applied"
echo "the plugin's client connected $(elapsed_since "$t_up") s after the server started"
conn_by() {
	until_ok "status_is 'state(\"198.18.0.1\") == \"connected\"'" $((300 * SLOW)) ||
		fail "the plugin's tunnel is not connected: $(cli facts --tunnel 198.18.0.1 --json)"
	cli facts --tunnel 198.18.0.1 --json >"$work/facts.json"
	json_is "$(cat "$work/facts.json")" 'o["state_source"] == "'"$1"'"' \
		'o = [t for t in d["facts"]["tunnels"] if t["name"] == "198.18.0.1"][0]["openvpn"]' ||
		fail "connected, but not by $1: $(cat "$work/facts.json")"
}
conn_by nm-plugin
echo "connected (the plugin's StateChanged) $(elapsed_since "$t_up") s after the server started"

# --- a daemon started after the tunnel came up: libnm leaves the State property at 0 and
# the signal is gone, so the link NetworkManager configured tells it ----------------------
stop_daemon
start_daemon
until_ok 'status_is "names() == [\"198.18.0.1\"]"' $((400 * SLOW)) || fail "not discovered again: $(cli status --json)"
conn_by nm-link
echo "connected (the link) after a daemon restart"

# the ping probe, which skips a tunnel that is not connected, runs inside it
ping_answered() {
	cli facts --tunnel 198.18.0.1 --json >"$work/facts.json" &&
		/usr/bin/python3 -c 'import json, sys
t = [t for t in json.load(open(sys.argv[1]))["facts"]["tunnels"] if t["name"] == "198.18.0.1"][0]
sys.exit(0 if t.get("ping", {}).get("server_end", {}).get("received", 0) > 0 else 1)' "$work/facts.json"
}
until_ok ping_answered $((300 * SLOW)) ||
	fail "no answered ping inside the plugin's tunnel: $(cat "$work/facts.json")"
cli facts --tunnel 198.18.0.1 --json >"$work/facts.json"
/usr/bin/python3 - "$work/facts.json" "$opid" <<'EOF' || fail "the facts of the plugin's tunnel: $(cat "$work/facts.json")"
import json, sys
d = json.load(open(sys.argv[1]))["facts"]
t = next(t for t in d["tunnels"] if t["name"] == "198.18.0.1")
o = t["openvpn"]
assert o["status"] == "ok" and o["running"] is True and o["pid"] == int(sys.argv[2]), o
assert o["state"] == "connected" and o["state_source"] == "nm-link", o
assert o["nm_plugin"] == "org.freedesktop.NetworkManager.openvpn", o
# the link as NetworkManager configured it from the plugin's Ip4Config (net30)
assert o["tun"] == {"name": "tun0", "present": True}, o
assert o["local_ip"] == "10.8.0.6" and o["server_ip"] == "10.8.0.1", o
p = t["ping"]
assert p["status"] == "ok", p
se = p["server_end"]
assert se["addr"] == "10.8.0.1" and se["received"] > 0 and se["loss_pct"] < 50, se
r = o["remote"]
assert r["addr"] == "198.18.0.1" and r["port"] == 1194 and r["proto"] == "udp", r
# no log line names the tun link: the routes probe finds the one tun there is
rt = t["routes"]
assert rt["tun_dev"] == "tun0" and "172.16.1.0/24" in rt["pushed_routes"], rt
print("facts: pid %d state %s (%s) remote %s %s/%d tun %s local %s server %s" % (o["pid"], o["state"], o["state_source"],
      r["addr"], r["proto"], r["port"], rt["tun_dev"], o["local_ip"], o["server_ip"]))
print("ping inside the tunnel: %s %d/%d rtt %.2f ms" % (se["addr"], se["received"], se["sent"], se["rtt_avg_ms"]))
EOF
status_is 'finding("client-exception", "198.18.0.1") is None' || fail "client-exception on a healthy tunnel"
# the management interface stays the plugin's: it still answers the plugin
grep -q "VPN request '>INFO:OpenVPN Management Interface" "$work/plugin.log" || fail "the plugin never talked to its management interface"

# --- Disconnect: the process ends cleanly ----------------------------------------------
# Every facts snapshot on the way is one the daemon can stand by: never
# "exited" while its process still runs (the plugin's stopping comes before
# the process ends: "exiting" until it has), and the test waits for the end
# it asserts, not for the first sign of it.
/usr/bin/python3 - "$bin/vpndoctor" "$sock" $((300 * SLOW)) >"$work/stop.log" 2>&1 <<'EOF' &
import json, subprocess, sys, time
cli, sock, tenths = sys.argv[1], sys.argv[2], int(sys.argv[3])
deadline, seen = time.monotonic() + tenths / 10, []
while time.monotonic() < deadline:
    p = subprocess.run([cli, "--socket", sock, "facts", "--tunnel", "198.18.0.1", "--json"], capture_output=True)
    try:
        t = [t for t in json.loads(p.stdout)["facts"]["tunnels"] if t["name"] == "198.18.0.1"]
    except ValueError:
        t = []
    o = t[0]["openvpn"] if t else {}
    s = "%s/%s" % (o.get("state"), "running" if o.get("running") else "gone")
    if not seen or seen[-1] != s:
        seen.append(s)
    if o.get("state") == "exited" and o.get("running"):
        sys.exit("the facts say the client exited while its process runs: %s (seen: %s)" % (json.dumps(o), " -> ".join(seen)))
    if o.get("state") == "exited":
        print("facts on the way: " + " -> ".join(seen))
        print(json.dumps(o))
        sys.exit(0)
    time.sleep(0.02)
sys.exit("the facts did not say exited (seen: %s)" % " -> ".join(seen))
EOF
stopper=$!
kill -USR1 "$nmpid"
wait "$stopper" || fail "after Disconnect: $(cat "$work/stop.log")"
stopper=
head -1 "$work/stop.log"
until_ok 'grep -q "StateChanged 6" "$work/nm.log"' $((200 * SLOW)) || fail "the plugin did not stop"
until_ok '! kill -0 "$opid" 2>/dev/null' 50 || fail "the facts say exited, but the plugin's openvpn still runs"
status_is 'tunnel("198.18.0.1") is None or state("198.18.0.1") == "exited"' ||
	fail "the status does not say exited as the facts do: $(cli status --json)"
status_is 'finding("client-exception", "198.18.0.1") is None' || fail "client-exception after a clean Disconnect: $(cli status --json)"
# the plugin's StateChanged (stopping) said it was the user's stop, not a crash
tail -1 "$work/stop.log" >"$work/facts.json"
json_is "$(cat "$work/facts.json")" '(d["state"] == "exited" and d["crashed"] is False and d["running"] is False and
    d["state_source"] == "nm-plugin" and "NetworkManager" in d["state_reason"])' ||
	fail "the facts after Disconnect: $(cat "$work/facts.json")"

stop_daemon
echo "PASS ($(elapsed) s)"
