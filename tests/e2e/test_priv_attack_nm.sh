#!/bin/bash
# A local user's NetworkManager connection named as the administrator's: any
# local user may add a connection kept to himself (settings.modify.own),
# visible to the daemon when it also names the daemon's user, and with the
# connection.id of a system-wide one ("Office VPN"). The tunnel name
# Office_VPN is the system-wide connection's, whichever came first; the
# user's is Office_VPN-2. A daemon with no [Tunnel] in a network and mount
# namespace of the test's own, python3-dbusmock's NetworkManager on a private
# system bus (as test_nm_settings.sh).
set -u

# shellcheck source=ovpn-lab.sh
. "${VD_SRC:?}/tests/e2e/ovpn-lab.sh"
ovpn_lab_require
for t in dbus-daemon nsenter unshare busctl; do
	command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }
done
/usr/bin/python3 -c 'import dbusmock' 2>/dev/null || { echo "SKIP: no python3-dbusmock"; exit 77; }

SLOW=1
[ -n "${VD_SANITIZED:-}" ] && SLOW=3
ovpn_lab_init nmsquat vdsq
hpid= buspid= mockpid=
ovpn_lab_more_pids="mockpid buspid hpid"
ovpn_lab_net vq

ip netns exec "$cns" unshare -m --propagation private /bin/sh -c \
	'mount -t tmpfs -o mode=755 vd-run /run && mkdir /run/dbus /run/NetworkManager && : > "$1/holder.ready" && exec sleep 3600' \
	sh "$work" &
hpid=$!
until_ok "[ -e '$work/holder.ready' ]" 50 || fail "the mount namespace"
lap=(nsenter -t "$hpid" -m -n)
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
  </policy>
</busconfig>
EOB
"${lap[@]}" dbus-daemon --config-file="$work/bus.conf" --nofork --nopidfile 2>"$work/bus.log" &
buspid=$!
until_ok "${lap[*]} test -S /run/dbus/system_bus_socket" 50 || fail "dbus-daemon did not listen"
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/dbus/system_bus_socket
bus() { "${lap[@]}" busctl --system "$@"; }
nm_up() {
	grep -q true <<<"$(bus call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s \
		org.freedesktop.NetworkManager 2>/dev/null)"
}
"${lap[@]}" /usr/bin/python3 -m dbusmock --system --template networkmanager >"$work/mock.log" 2>&1 &
mockpid=$!
until_ok nm_up 100 || fail "dbusmock's NetworkManager did not start"
# add UUID REMOTE [PERMS...]: an OpenVPN connection "Office VPN"
add() {
	local uuid=$1 remote=$2
	shift 2
	local n=3 perms=()
	[ $# -gt 0 ] && { n=4; perms=(permissions as $# "$@"); }
	bus call org.freedesktop.NetworkManager /org/freedesktop/NetworkManager/Settings \
		org.freedesktop.NetworkManager.Settings AddConnection 'a{sa{sv}}' 2 \
		connection $n id s "Office VPN" type s vpn uuid s "$uuid" "${perms[@]}" \
		vpn 2 service-type s org.freedesktop.NetworkManager.openvpn data 'a{ss}' 2 \
		connection-type password remote "$remote" >/dev/null || fail "AddConnection $uuid"
}
U_ADMIN=0b7e1d7c-7b5e-4f0f-9bde-3f9a9c1f2a11
U_USER=5b0b6c2e-6f0f-4c5e-9a0e-6c8a3b1f2d10

cat >"$work/vpndoctor.conf" <<EOC
[Daemon]
MaxConcurrentProbes=2
[Clock]
Enabled=no
EOC
"${lap[@]}" "$bin/vpndoctord" --foreground --user nobody --config "$work/vpndoctor.conf" \
	--socket "$sock" --state-dir "$work/state" --log-level debug 2>>"$dlog" &
dpid=$!
until_ok '[ -S "$sock" ]' 100 || fail "no daemon socket"

# the user's first: it takes the name while it is the only one
add $U_USER 198.18.0.66 user:daemon: user:nobody:
until_ok 'status_is "names() == [\"Office_VPN\"]"' $((100 * SLOW)) || fail "the user's tunnel: $(cli status --json)"
# then the administrator's
add $U_ADMIN 198.18.0.1
until_ok 'status_is "names() == [\"Office_VPN\", \"Office_VPN-2\"]"' $((100 * SLOW)) ||
	fail "two tunnels: $(cli status --json)"
uuid_of() { # TUNNEL: the uuid its facts' profile names
	cli facts --tunnel "$1" --json | /usr/bin/python3 -c \
		'import json,sys; print(json.load(sys.stdin)["facts"]["tunnels"][0]["profile"]["path"])'
}
until_ok '[ "$(uuid_of Office_VPN)" = "nm:$U_ADMIN" ] && [ "$(uuid_of Office_VPN-2)" = "nm:$U_USER" ]' $((100 * SLOW)) ||
	fail "Office_VPN is $(uuid_of Office_VPN), not the administrator's connection nm:$U_ADMIN"
echo "Office_VPN: the system-wide connection; the user's: Office_VPN-2"
stop_daemon
echo "PASS ($(elapsed) s)"
