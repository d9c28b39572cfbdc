#!/bin/bash
# NetworkManager's connections are checked before they connect (issue 10): a
# daemon with no [Tunnel] section, in a network and mount namespace of the
# test's own, on a private system bus (DBUS_SYSTEM_BUS_ADDRESS) where
# python3-dbusmock plays NetworkManager (its networkmanager template, run as
# root as NetworkManager is). Asserts:
#  1. Two inactive OpenVPN connections, one with a client certificate that
#     expired 30 days ago, one with one that expires in 10 days (and 12
#     hours): each is a
#     tunnel named after its connection.id, idle, and `vpndoctor status`
#     names cert-expired (error) for the first and the 14-day warning for the
#     second, before anything connects; a third with nothing wrong is idle.
#  2. A process of root's that runs a connection (the plugin's management
#     socket, named after the connection's uuid) is that connection's tunnel,
#     not a second one; another with the same remote, ca, cert and key but no
#     such socket is tied by its profile; one whose remote differs, and one of
#     another user naming a connection's uuid, are tunnels of their own. When
#     the process ends the connection's tunnel is idle again.
#  3. Connections naming a FIFO, /proc/self/environ, a 1 GB file, a file only
#     root may read, and a symbolic link swapped back and forth between a
#     certificate and that file while the profile is checked again and again:
#     the daemon answers throughout, and no byte of the files (a marker in
#     them and in the daemon's environment) reaches its status, facts or log.
#     A connection kept to one user (the user daemon) has its files read as
#     that user: its own file is read, one only the daemon's user (nobody)
#     may read is refused.
#  4. A connection removed in NetworkManager takes its tunnel with it; a
#     bus without NetworkManager, and NetworkManager coming back
#     (NameOwnerChanged), are followed, and its absence is not logged again
#     and again.
#  5. After a reload with Discover=yes and a [Tunnel] whose Config= is the
#     same client as a connection, the [Tunnel] is its one tunnel; a
#     NetworkManager in another network namespace makes no tunnels here.
#  6. The real plugin (network-manager-openvpn's nm-openvpn-service) in a
#     cgroup named as NetworkManager's unit, told to Connect a connection the
#     mock also has: its openvpn (management socket named after the uuid) is
#     that connection's tunnel, not a second one. Skipped without the plugin
#     or a writable cgroup v2 hierarchy; the cgroups it makes are removed.
# No server runs and nothing leaves the namespaces (the clock probe is off).
set -u

# shellcheck source=ovpn-lab.sh
. "${VD_SRC:?}/tests/e2e/ovpn-lab.sh"
ovpn_lab_require
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
for t in dbus-daemon nsenter unshare busctl runuser; do
	command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }
done
[ -r "$FAKETIME_LIB" ] || { echo "SKIP: no libfaketime"; exit 77; }
/usr/bin/python3 -c 'import dbusmock' 2>/dev/null || { echo "SKIP: no python3-dbusmock"; exit 77; }

SLOW=1
[ -n "${VD_SANITIZED:-}" ] && SLOW=3
ovpn_lab_init nmset vdns
hpid= buspid= mockpid= swpid= o1= o2= o3= o4= o4c= popid= ppid_= cg= made_system_slice=
ovpn_lab_more_pids="swpid o1 o2 o3 o4c o4 popid ppid_ mockpid buspid hpid"
# (after the processes: the cgroup of part 6, empty then)
ovpn_lab_cleanup_hook() {
	[ -n "$cg" ] && rmdir "$cg" "$(dirname "$cg")" 2>/dev/null
	[ -n "$made_system_slice" ] && rmdir "$mnt/system.slice" 2>/dev/null
}
ovpn_lab_pki
ovpn_lab_net vs
MARK=VD-SECRET-$$-MARK

# --- the certificates: expired 30 days ago, and expiring in 10 days -------------------------
p=$work/pki
# shellcheck disable=SC2086 # ${3:+...}: the three words of the environment
sign() { # NAME DAYS [FAKETIME]
	openssl req -new -key "$p/client.key" -subj "/CN=vd-$1" -out "$p/$1.csr" >/dev/null 2>&1 &&
		env ${3:+LD_PRELOAD=$FAKETIME_LIB FAKETIME=$3 FAKETIME_DONT_FAKE_MONOTONIC=1} \
			openssl x509 -req -in "$p/$1.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial \
			-days "$2" -extfile "$p/client.ext" -out "$p/$1.crt" >/dev/null 2>&1 || fail "cannot sign $1"
}
sign client-expired 30 -60d
sign client-10d 11 -12h
sign client-long 365
na=$(date -d "$(openssl x509 -in "$p/client-expired.crt" -noout -enddate | cut -d= -f2)" +%s)
[ "$na" -lt "$(date +%s)" ] || fail "client-expired.crt is not expired (faketime?)"
# a system-wide connection's files are read as root (vpndoctord(8), PRIVILEGES);
# the directory is open for the user's own openvpn below
chmod 755 "$p"
# --- the hostile files ------------------------------------------------------------------------
h=$work/hostile
mkdir -m 755 "$h"
mkfifo -m 666 "$h/fifo.crt"
truncate -s 1G "$h/big.crt"
chmod 644 "$h/big.crt"
printf -- '-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n' "$MARK" >"$h/secret.crt"
chmod 600 "$h/secret.crt"
ln -s "$p/client-10d.crt" "$h/swap.crt"
# a connection kept to the user daemon reads as daemon: its own file, and not
# one only the daemon's user (nobody) may read
install -m 600 -o daemon "$p/client-10d.crt" "$h/daemons.crt"
install -m 600 -o nobody "$p/client-10d.crt" "$h/nobodys.crt"

# --- the laptop's mount namespace: /run of its own, the bus ----------------------------------
ip netns exec "$cns" unshare -m --propagation private /bin/sh -c \
	'mount -t tmpfs -o mode=755 vd-run /run && mkdir /run/dbus /run/NetworkManager && : > "$1/holder.ready" && exec sleep 3600' \
	sh "$work" &
hpid=$!
until_ok "[ -e '$work/holder.ready' ]" 50 || fail "the laptop's mount namespace"
lap=(nsenter -t "$hpid" -m -n)
in_lap() { "${lap[@]}" "$@"; }
in_lap test ! -e /run/netns || fail "/run is not the laptop's own"
cat >"$work/bus.conf" <<EOB
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
    <allow own="org.freedesktop.NetworkManager"/>
    <allow own_prefix="org.freedesktop.NetworkManager.openvpn"/>
  </policy>
</busconfig>
EOB
"${lap[@]}" dbus-daemon --config-file="$work/bus.conf" --nofork --nopidfile 2>"$work/bus.log" &
buspid=$!
until_ok "in_lap test -S /run/dbus/system_bus_socket" 50 || fail "dbus-daemon did not listen"
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/dbus/system_bus_socket
bus() { in_lap busctl --system "$@"; }
nm_up() {
	grep -q true <<<"$(bus call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s \
		org.freedesktop.NetworkManager 2>/dev/null)"
}
start_nm() {
	"${lap[@]}" /usr/bin/python3 -m dbusmock --system --template networkmanager >"$work/mock.log" 2>&1 &
	mockpid=$!
	until_ok nm_up 100 || fail "dbusmock's NetworkManager did not start"
}
stop_nm() {
	kill_wait "$mockpid"
	mockpid=
}
# add ID UUID DATA-COUNT DATA...: an OpenVPN connection (system-wide); its settings path on stdout
add() {
	local id=$1 uuid=$2 n=$3
	shift 3
	bus call org.freedesktop.NetworkManager /org/freedesktop/NetworkManager/Settings \
		org.freedesktop.NetworkManager.Settings AddConnection 'a{sa{sv}}' 2 \
		connection 3 id s "$id" type s vpn uuid s "$uuid" \
		vpn 2 service-type s org.freedesktop.NetworkManager.openvpn data 'a{ss}' "$n" "$@" |
		sed -n 's/^o "\(.*\)"$/\1/p'
}
# tls ID UUID CERT: a TLS connection to 198.18.0.1 with the lab's ca and key and CERT
tls() {
	add "$1" "$2" 5 connection-type tls remote 198.18.0.1:1194:udp ca "$p/ca.crt" cert "$3" key "$p/client.key"
}
# kept ID UUID CERT: the same, kept to the user daemon (connection.permissions)
kept() {
	bus call org.freedesktop.NetworkManager /org/freedesktop/NetworkManager/Settings \
		org.freedesktop.NetworkManager.Settings AddConnection 'a{sa{sv}}' 2 \
		connection 4 id s "$1" type s vpn uuid s "$2" permissions as 1 user:daemon: \
		vpn 2 service-type s org.freedesktop.NetworkManager.openvpn data 'a{ss}' 3 \
		connection-type tls remote 198.18.0.2:1194:udp cert "$3" >/dev/null
}
U_OFFICE=0b7e1d7c-7b5e-4f0f-9bde-3f9a9c1f2a11
U_LAB=5b0b6c2e-6f0f-4c5e-9a0e-6c8a3b1f2d10
start_nm

# --- the daemon: no tunnel; the marker in its environment ------------------------------------
cat >"$work/vpndoctor.conf" <<EOC
[Daemon]
MaxConcurrentProbes=2
[Clock]
Enabled=no
EOC
"${lap[@]}" env VD_TEST_MARK="$MARK" "$bin/vpndoctord" --foreground --user nobody --config "$work/vpndoctor.conf" \
	--socket "$sock" --state-dir "$work/state" --log-level debug 2>>"$dlog" &
dpid=$!
until_ok '[ -S "$sock" ]' 100 || fail "no daemon socket"
until_ok 'status_is "names() == []"' 50 || fail "tunnels before any connection: $(cli status --json)"

# --- 1. two connections, never connected -----------------------------------------------------
office=$(tls "Office VPN" $U_OFFICE "$p/client-expired.crt")
[ -n "$office" ] || fail "AddConnection office"
tls lab $U_LAB "$p/client-10d.crt" >/dev/null
t1=$(elapsed)
until_ok 'status_is "names() == [\"Office_VPN\", \"lab\"] and finding(\"cert-expired\", \"Office_VPN\") is not None and finding(\"cert-expired\", \"lab\") is not None"' $((100 * SLOW)) ||
	fail "the connections are not checked: $(cli status --json)"
echo "1. both connections checked $(elapsed_since "$t1") s after they were added"
cli status --json >"$work/status.json"
cli status >"$work/status.txt"
/usr/bin/python3 - "$work/status.json" <<'EOF' || fail "before anything connects: $(cat "$work/status.json")"
import json, sys
st = json.load(open(sys.argv[1]))
def finding(c, t):
    return next(f for f in st["findings"] if f["cause"] == c and f["tunnel"] == t)
f = finding("cert-expired", "Office_VPN")
assert f["severity"] == "error" and "expired 30 days ago" in f["summary"], f
w = finding("cert-expired", "lab")
assert w["severity"] == "warning" and "expires in 10 days" in w["summary"], w
for t in st["tunnels"]:
    assert t["discovered"] is True, t
print("1. %s: %s; %s (%s): %s" % (f["tunnel"], f["summary"], w["tunnel"], w["severity"], w["summary"]))
EOF
grep -q "cert-expired" "$work/status.txt" || fail "the text status does not name cert-expired: $(cat "$work/status.txt")"
grep -q "discovery: tunnel Office_VPN: NetworkManager connection $U_OFFICE" "$dlog" || fail "the tunnel was not logged"
# a connection with nothing wrong is idle, in words too
tls fine 22222222-0000-4000-8000-000000000001 "$p/client-long.crt" >/dev/null
until_ok 'status_is "(tunnel(\"fine\") or {}).get(\"health\") == \"idle\""' $((100 * SLOW)) ||
	fail "a connection with nothing wrong is not idle: $(cli status --json)"
cli status | grep -A1 '^tunnel fine' | grep -q 'idle' || fail "the text does not say fine is idle: $(cli status)"
echo "1. $(cli status | grep '^tunnel fine')"
bus call org.freedesktop.NetworkManager "$(bus call org.freedesktop.NetworkManager \
	/org/freedesktop/NetworkManager/Settings org.freedesktop.NetworkManager.Settings GetConnectionByUuid s \
	22222222-0000-4000-8000-000000000001 | sed -n 's/^o "\(.*\)"$/\1/p')" \
	org.freedesktop.NetworkManager.Settings.Connection Delete || fail "Delete fine"
# (fine's removal rebuilds the tunnels: lab's facts are back within a probe run)
until_ok 'json_is "$(cli facts --tunnel lab --json)" "d[\"facts\"][\"tunnels\"][0][\"profile\"][\"path\"] == \"nm:'$U_LAB'\""' $((50 * SLOW)) ||
	fail "lab's profile is not its connection's: $(cli facts --tunnel lab --json)"
until_ok 'json_is "$(cli facts --tunnel lab --json)" "d[\"facts\"][\"tunnels\"][0][\"openvpn\"][\"running\"] is False"' $((50 * SLOW)) ||
	fail "lab is not idle: $(cli facts --tunnel lab --json)"

# --- 2. processes tied to a connection, and not ------------------------------------------------
# fake CERT MGMT [USER]: an openvpn with the plugin's kind of command line (no
# --config), in the laptop's namespaces, no tun (--dev null); its pid on stdout
fake() {
	local -a as=()
	[ -n "${4:-}" ] && as=(runuser -u "$4" --)
	"${lap[@]}" "${as[@]}" openvpn --remote "$1" 1194 udp --nobind --dev null --client --ca "$p/ca.crt" \
		--cert "$2" --key "$p/client.key" ${3:+--management "$3" unix --management-query-passwords} \
		--verb 0 >/dev/null 2>&1 &
	echo $!
}
poke() { ip -n "$cns" link add vdpoke0 type veth peer name vdpoke1 && ip -n "$cns" link del vdpoke0; }
chmod a+r "$p/client.key" # (the user's own openvpn below reads it)
o1=$(fake 198.18.0.1 "$p/client-10d.crt" /run/NetworkManager/nm-openvpn-$U_LAB)
o2=$(fake 198.18.0.1 "$p/client-expired.crt" "")
o3=$(fake 198.18.0.9 "$p/client-expired.crt" "")
mkdir -m 1777 "$work/u"
o4=$(fake 198.18.0.1 "$p/client-10d.crt" "$work/u/nm-openvpn-$U_LAB" nobody)
until_ok 'o4c=$(pgrep -P "$o4" openvpn)' 50 || fail "the user's openvpn did not start"
poke
until_ok 'poke; status_is "names() == [\"198.18.0.1\", \"198.18.0.9\", \"Office_VPN\", \"lab\"]"' $((150 * SLOW)) ||
	fail "the processes are not tied as they should be: $(cli status --json)"
until_ok 'json_is "$(cli facts --json)" "run(\"lab\") and run(\"Office_VPN\") and run(\"198.18.0.1\")" "
def run(n):
    t = next(t for t in d[\"facts\"][\"tunnels\"] if t[\"name\"] == n)
    return t[\"openvpn\"][\"running\"] is True"' $((100 * SLOW)) || fail "the tied processes do not run their tunnels: $(cli facts --json)"
cli facts --json >"$work/facts.json"
/usr/bin/python3 - "$work/facts.json" "$o1" "$o2" "$o4c" <<'EOF' || fail "after the processes started"
import json, sys
fa = json.load(open(sys.argv[1]))["facts"]
o1, o2, o4 = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t = {t["name"]: t for t in fa["tunnels"]}
assert t["lab"]["openvpn"]["pid"] == o1, t["lab"]["openvpn"]
assert t["Office_VPN"]["openvpn"]["pid"] == o2, t["Office_VPN"]["openvpn"]
assert t["lab"]["profile"]["path"] == "/proc/%d/cmdline" % o1, t["lab"]["profile"]
assert t["198.18.0.1"]["openvpn"]["pid"] == o4, t["198.18.0.1"]["openvpn"]
print("2. lab: pid %d (its uuid), Office_VPN: pid %d (its profile); the user's pid %d and 198.18.0.9: their own"
      % (o1, o2, o4))
EOF
kill_wait "$o1" "$o2" "$o3" "$o4c" "$o4"
o1= o2= o3= o4= o4c=
until_ok 'poke; status_is "names() == [\"198.18.0.1\", \"198.18.0.9\", \"Office_VPN\", \"lab\"] and tunnel(\"lab\")[\"health\"] != \"healthy\""' $((100 * SLOW)) ||
	fail "$(cli status --json)"
until_ok 'json_is "$(cli facts --tunnel lab --json)" "d[\"facts\"][\"tunnels\"][0][\"profile\"][\"path\"] == \"nm:'$U_LAB'\""' $((100 * SLOW)) ||
	fail "lab does not go back to its settings: $(cli facts --tunnel lab --json)"
echo "2. lab's process ended: its settings are checked again"

# --- 3. hostile files ---------------------------------------------------------------------------
tls fifo 11111111-0000-4000-8000-000000000001 "$h/fifo.crt" >/dev/null
tls proc 11111111-0000-4000-8000-000000000002 /proc/self/environ >/dev/null
tls big 11111111-0000-4000-8000-000000000003 "$h/big.crt" >/dev/null
tls secret 11111111-0000-4000-8000-000000000004 "$h/secret.crt" >/dev/null
tls swap 11111111-0000-4000-8000-000000000005 "$h/swap.crt" >/dev/null
kept daemons 11111111-0000-4000-8000-000000000006 "$h/daemons.crt"
kept nobodys 11111111-0000-4000-8000-000000000007 "$h/nobodys.crt"
# swapped back and forth: the profile probe sees each change and checks again
(
	while :; do
		ln -sfn "$h/secret.crt" "$h/swap.crt.new" && mv -Tf "$h/swap.crt.new" "$h/swap.crt"
		ln -sfn "$p/client-10d.crt" "$h/swap.crt.new" && mv -Tf "$h/swap.crt.new" "$h/swap.crt"
	done
) &
swpid=$!
t3=$(elapsed)
for n in fifo proc big secret swap daemons nobodys; do
	until_ok 'json_is "$(timeout 10 "$bin/vpndoctor" --socket "$sock" facts --tunnel '$n' --json)" "\"profile\" in d[\"facts\"][\"tunnels\"][0]"' $((100 * SLOW)) ||
		fail "no profile for $n: $(cli facts --tunnel $n --json)"
done
for i in 1 2 3 4 5; do
	# (exit 0-2: the health; 3 unreachable, 124 no answer)
	timeout 5 "$bin/vpndoctor" --socket "$sock" status --json >"$work/status-$i.json"
	[ $? -le 2 ] || fail "the daemon did not answer within 5 s while the link was swapped"
	sleep 0.5
done
kill_wait "$swpid"
swpid=
cli facts --json >"$work/facts-hostile.json"
echo "3. hostile files checked, the daemon answered throughout ($(elapsed_since "$t3") s)"
grep -l "$MARK" "$work"/status-*.json "$work/facts-hostile.json" "$dlog" &&
	fail "a hostile file's bytes reached the output"
/usr/bin/python3 - "$work/facts-hostile.json" <<'EOF' || fail "the hostile files"
import json, sys
t = {t["name"]: t for t in json.load(open(sys.argv[1]))["facts"]["tunnels"]}
for n in ("fifo", "proc", "big", "secret"):
    p = t[n]["profile"]
    assert p.get("problems") or p.get("status") != "ok", (n, p)
    print("3. %s: %s" % (n, "; ".join(x.get("message", "") for x in p.get("problems", []))[:160]))
def certs(n):
    return [c for c in t[n]["profile"].get("certs", []) if c.get("role") == "cert"]
def denied(n):
    return [x["message"] for x in t[n]["profile"].get("problems", []) if "permission denied" in x.get("message", "")]
assert certs("daemons") and not denied("daemons"), t["daemons"]["profile"]
assert not certs("nobodys") and denied("nobodys"), t["nobodys"]["profile"]
assert "daemon (the user" in denied("nobodys")[0], denied("nobodys")
print("3. kept to daemon: its own file read, the daemon's user's refused: %s" % denied("nobodys")[0])
EOF
kill -0 "$dpid" || fail "the daemon is gone"

# --- 4. removed, NetworkManager gone and back ---------------------------------------------------
bus call org.freedesktop.NetworkManager "$office" org.freedesktop.NetworkManager.Settings.Connection Delete ||
	fail "Delete office"
until_ok '! status_is "tunnel(\"Office_VPN\") is not None"' $((50 * SLOW)) || fail "Office_VPN stays: $(cli status --json)"
until_ok '! status_is "finding(\"cert-expired\", \"Office_VPN\") is not None"' $((50 * SLOW)) ||
	fail "Office_VPN's finding stays: $(cli status --json)"
echo "4. a connection removed in NetworkManager: its tunnel is gone"
stop_nm
until_ok '! status_is "tunnel(\"lab\") is not None"' $((50 * SLOW)) || fail "lab stays without NetworkManager: $(cli status --json)"
n0=$(grep -c NetworkManager "$dlog")
sleep 3
[ "$(grep -c NetworkManager "$dlog")" = "$n0" ] || fail "NetworkManager's absence is logged again and again"
start_nm
tls lab $U_LAB "$p/client-10d.crt" >/dev/null
until_ok 'status_is "finding(\"cert-expired\", \"lab\") is not None"' $((100 * SLOW)) ||
	fail "NetworkManager's return is not followed: $(cli status --json)"
echo "4. NetworkManager went and came back: followed"

# --- 5. a [Tunnel] of the same client wins; NetworkManager of another namespace -------------
cat >"$work/lab.conf" <<EOC
client
remote 198.18.0.1 1194 udp
dev tun
ca $p/ca.crt
cert $p/client-10d.crt
key $p/client.key
EOC
chmod 644 "$work/lab.conf"
cat >"$work/vpndoctor.conf" <<EOC
[Daemon]
MaxConcurrentProbes=2
Discover=yes
[Clock]
Enabled=no
[Tunnel lab-by-hand]
Config=$work/lab.conf
EOC
kill -HUP "$dpid"
# (the processes' tunnels of part 2 stay their DiscoveryForgetSec=)
until_ok 'status_is "\"lab-by-hand\" in names() and \"lab\" not in names()"' $((100 * SLOW)) ||
	fail "the [Tunnel] of the same client does not win: $(cli status --json; cat "$work/vpndoctor.conf")"
echo "5. a [Tunnel] with the same client describes the connection: $(cli status --json | /usr/bin/python3 -c 'import json,sys; print([t["name"] for t in json.load(sys.stdin)["tunnels"]])')"
stop_nm
# NetworkManager on the laptop's bus but in the host's network namespace
nsenter -t "$hpid" -m /usr/bin/python3 -m dbusmock --system --template networkmanager >"$work/mock.log" 2>&1 &
mockpid=$!
until_ok nm_up 100 || fail "dbusmock's NetworkManager did not start"
tls elsewhere 11111111-0000-4000-8000-000000000009 "$p/client-expired.crt" >/dev/null
until_ok 'grep -q "NetworkManager runs in another network namespace" "$dlog"' $((50 * SLOW)) ||
	fail "NetworkManager of another namespace is not said"
sleep 1
status_is "\"elsewhere\" not in names() and \"lab\" not in names()" ||
	fail "another namespace's connection is a tunnel: $(cli status --json)"
echo "5. NetworkManager of another network namespace: its connections are not this one's tunnels"

# --- 6. the real plugin's openvpn, in NetworkManager's unit: the connection's tunnel -----------
plugin=/usr/lib/NetworkManager/nm-openvpn-service
mnt=$(findmnt -n -t cgroup2 -o TARGET 2>/dev/null | head -n 1)
self=$(sed -n 's/^0:://p' /proc/self/cgroup)
if [ ! -x "$plugin" ] || ! /usr/bin/python3 -c 'import dbus, gi.repository.GLib' 2>/dev/null ||
	[ -z "$mnt" ] || [ ! -w "$mnt" ] || [ -z "$self" ] || [ ! -d "$mnt$self" ]; then
	echo "6. SKIP: no network-manager-openvpn, python3-dbus/gi or writable cgroup v2 hierarchy"
else
	stop_nm
	start_nm
	U_PLUG=33333333-0000-4000-8000-000000000001
	tls plug $U_PLUG "$p/client-long.crt" >/dev/null
	until_ok 'status_is "tunnel(\"plug\") is not None"' $((100 * SLOW)) || fail "no tunnel plug: $(cli status --json)"
	# NetworkManager's unit (a slice of the test's own, as systemd names its units)
	[ -d "$mnt/system.slice" ] || { mkdir "$mnt/system.slice" && made_system_slice=1; }
	cg=$mnt/system.slice/system-vdnm$$.slice/NetworkManager.service
	mkdir -p "$cg" || fail "cgroup $cg"
	"${lap[@]}" "$plugin" --persist --debug >"$work/plugin.log" 2>&1 &
	ppid_=$!
	echo "$ppid_" >"$cg/cgroup.procs" || fail "the plugin into $cg"
	has_owner() { grep -q true <<<"$(bus call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s "$1" 2>/dev/null)"; }
	until_ok 'has_owner org.freedesktop.NetworkManager.openvpn' 100 || fail "the plugin did not take its bus name"
	cat >"$work/nm.py" <<'EOP'
import sys
import dbus
work, uuid = sys.argv[1], sys.argv[2]
plugin = dbus.Interface(dbus.SystemBus().get_object("org.freedesktop.NetworkManager.openvpn",
                        "/org/freedesktop/NetworkManager/VPN/Plugin"), "org.freedesktop.NetworkManager.VPN.Plugin")
data = {"remote": "198.18.0.1:1194:udp", "connection-type": "tls", "ca": work + "/pki/ca.crt",
        "cert": work + "/pki/client-long.crt", "key": work + "/pki/client.key", "cert-pass-flags": "4"}
plugin.Connect({
    "connection": {"id": "plug", "uuid": uuid, "type": "vpn"},
    "vpn": {"service-type": "org.freedesktop.NetworkManager.openvpn",
            "data": dbus.Dictionary(data, signature="ss"), "secrets": dbus.Dictionary({}, signature="ss")},
})
EOP
	"${lap[@]}" /usr/bin/python3 "$work/nm.py" "$work" $U_PLUG >"$work/nm.log" 2>&1 || fail "Connect"
	until_ok 'popid=$(in_lap pgrep -n -P "$ppid_" -f -- "--management-query-passwords")' 100 ||
		fail "no openvpn child of the plugin"
	tr '\0' ' ' </proc/"$popid"/cmdline | grep -q -- "nm-openvpn-$U_PLUG unix" ||
		fail "the plugin's management socket is not named after the uuid: $(tr '\0' ' ' </proc/"$popid"/cmdline)"
	poke
	until_ok 'poke; json_is "$(cli facts --tunnel plug --json)" "d[\"facts\"][\"tunnels\"][0][\"openvpn\"].get(\"pid\") == '"$popid"'"' $((150 * SLOW)) ||
		fail "the plugin's openvpn does not run the tunnel plug: $(cli status --json; cli facts --tunnel plug --json)"
	status_is "not [n for n in names() if n.startswith(\"198.18.0.1-\")]" ||
		fail "the plugin's openvpn is a second tunnel: $(cli status --json)"
	echo "6. the real plugin's openvpn (pid $popid, cgroup $(sed -n 's/^0:://p' /proc/"$popid"/cgroup)) runs the tunnel plug"
	kill_wait "$popid" "$ppid_"
	popid= ppid_=
fi

stop_daemon
echo "PASS ($(elapsed) s)"
