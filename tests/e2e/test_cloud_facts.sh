#!/bin/bash
# Cloud facts files, end to end, with no [Tunnel] for the running client: a
# real OpenVPN 2.6 server (198.18.0.1) and client in namespaces of this test's
# own, the daemon beside the client with [Cloud] Directory= and nothing else.
# The files are the VPN Gateway API's answers as `aliyun vpc ...` prints them.
# Asserts: the discovered tunnel gets the SSL server's facts (matched by the
# gateway's address), each key marked cloud-facts; client-cidr-too-small fires
# for a pool too small for MaxConnections and is not among the unchecked
# causes; with no Targets= the pushed DNS server is the probes' VPC host,
# shown as derived, so security-group is checked too; a file that is not an answer
# is one log line naming it and the field, the other file still used; a file
# changed is read again at once (inotify): the server now on TCP 443 makes the
# profile config-invalid with both values in its summary; a configured tunnel
# whose remote is a name (resolved in the daemon's namespace: /etc/netns/NS/hosts)
# and whose client does not run matches by that name, is idle, not healthy; its
# own CloudFacts= file wins over the directory; SIGHUP reads a new Directory=.
# The daemon runs as root, its engine as nobody (vpndoctord(8) PRIVILEGES):
# a file of the configured directory that only root may read still is read.
# Nothing leaves the namespaces (no NTP, the server a veth away).
set -u

# shellcheck source=ovpn-lab.sh
. "${VD_SRC:?}/tests/e2e/ovpn-lab.sh"
ovpn_lab_require
SLOW=1
[ -n "${VD_SANITIZED:-}" ] && SLOW=3
ovpn_lab_init cloud vdcf
ovpn_lab_pki
hostsdir=
ovpn_lab_cleanup_hook() { [ -n "$hostsdir" ] && rm -rf "$hostsdir"; }

ovpn_lab_net vc
server_conf 172.16.1.0
start_server

# the daemon's namespace knows the gateway by a name (ip netns exec binds /etc/netns/NS/hosts)
hostsdir=/etc/netns/$cns
mkdir -p "$hostsdir" || fail "mkdir $hostsdir"
printf '127.0.0.1 localhost\n198.18.0.1 vpn.lab.test\n' >"$hostsdir/hosts"

# The IT team's export: { aliyun vpc DescribeSslVpnServers ...; aliyun vpc DescribeVpnGateways ...; } > FILE
answers() { # PROTO PORT
	cat <<EOJ
{
	"PageNumber": 1,
	"PageSize": 10,
	"RequestId": "D350187B-EA41-4577-950B-95434C8302E1",
	"SslVpnServers": {
		"SslVpnServer": [
			{
				"Cipher": "AES-128-CBC",
				"ClientIpPool": "10.8.0.0/28",
				"Compress": false,
				"Connections": 1,
				"CreateTime": 1650000000000,
				"InternetIp": "198.18.0.1",
				"LocalSubnet": "172.16.1.0/24",
				"MaxConnections": 10,
				"Name": "lab",
				"Port": $2,
				"Proto": "$1",
				"RegionId": "cn-hangzhou",
				"SslVpnServerId": "vss-lab0000000000000000",
				"VpnGatewayId": "vpn-lab0000000000000000"
			}
		]
	},
	"TotalCount": 1
}
{
	"PageNumber": 1,
	"PageSize": 10,
	"RequestId": "DF11D6F6-E35A-41C3-9B20-6FC8A901FE65",
	"TotalCount": 1,
	"VpnGateways": {
		"VpnGateway": [
			{
				"CreateTime": 1650000000000,
				"InternetIp": "198.18.0.1",
				"Spec": "10M",
				"SslMaxConnections": 10,
				"SslVpn": "enable",
				"Status": "active",
				"VpnGatewayId": "vpn-lab0000000000000000"
			}
		]
	}
}
EOJ
}
# the directory under one only root may enter: the engine (nobody) has the
# parent open and watch it, as the configuration names it
mkdir -p "$work/private/cloud.d" "$work/cloud2.d"
chmod 700 "$work/private"
ln -s private/cloud.d "$work/cloud.d"
put() { # FILE: stdin written whole, as a redirection then a rename would
	cat >"$1.tmp" && mv "$1.tmp" "$1"
}
answers UDP 1194 | put "$work/cloud.d/lab.json"
# root's alone: the engine (nobody) has the parent open it, as the directory
# is the configuration's
chmod 600 "$work/cloud.d/lab.json"

# no [Tunnel] at all: discovery, and the cloud facts directory
cat >"$work/vpndoctor.conf" <<EOC
[Daemon]
MaxConcurrentProbes=2
[Clock]
NTPServers=
[Profile]
Interval=1h
[Cloud]
Directory=$work/private/cloud.d
EOC
ovpn_client_conf client 198.18.0.1 "log $work/client.log"
(cd "$work" && exec ip netns exec "$cns" openvpn --config client.conf) &
cpid=$!
start_daemon
until_ok 'status_is "len(names()) == 1 and state(names()[0]) == \"connected\""' 600 ||
	fail "the client was not discovered connected: $(cli status --json)"
name=$(cli status --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["tunnels"][0]["name"])')

# the SSL server's facts, by the gateway's address
facts=$(cli facts --json --tunnel "$name")
json_is "$facts" '(c["client_cidr"] == "10.8.0.0/28" and c["max_connections"] == 10 and c["proto"] == "udp" and
    c["bandwidth_mbps"] == 10 and c["ssl_server"] == "vss-lab0000000000000000" and c["remote_addr"] == "198.18.0.1" and
    c["origin"]["client_cidr"] == "cloud-facts" and c["files"] == ["'"$work"'/private/cloud.d/lab.json"])' \
	'c = d["facts"]["tunnels"][0]["cloud"]' || fail "the cloud section: $facts"
echo "ok: the discovered tunnel has the SSL server's facts ($(elapsed) s)"

until_ok 'status_is "finding(\"client-cidr-too-small\", \"$name\") is not None"' 100 ||
	fail "client-cidr-too-small did not fire: $(cli status --json)"
status_is '([e["cause"] for e in tunnel("'"$name"'")["unchecked"]].count("client-cidr-too-small") == 0 and
    any(e["cause"] == "asymmetric-path" and "Reflector=" in e["needs"] for e in tunnel("'"$name"'")["unchecked"]))' ||
	fail "unchecked: $(cli status --json)"
# no Targets=: the pushed DNS server is the host inside the VPC the probes use, shown as derived
until_ok 'json_is "$(cli facts --json --tunnel "$name")" "(t[\"derived\"] == {\"targets\": [\"172.16.1.10\"], \"targets_from\": {\"172.16.1.10\": {\"source\": \"pushed-dns\"}}} and
    [x[\"addr\"] for x in t[\"ping\"][\"targets\"]] == [\"172.16.1.10\"])" "t = d[\"facts\"][\"tunnels\"][0]"' 100 ||
	fail "derived targets: $(cli facts --json --tunnel "$name")"
status_is '"security-group" not in [e["cause"] for e in tunnel("'"$name"'")["unchecked"]]' ||
	fail "security-group still unchecked with a derived target: $(cli status --json)"
cli status | grep -q 'not checked: ' || fail "status has no not-checked line: $(cli status)"
echo "ok: client-cidr-too-small from the file alone, gone from unchecked ($(elapsed) s)"

# a file that is not an answer: one line, naming it and the field; the other still used
printf '{"SslVpnServers": {"SslVpnServer": [{"InternetIp": "198.18.0.9", "Port": "https"}]}}\n' |
	put "$work/cloud.d/broken.json"
until_ok 'grep -q "cloud facts: $work/private/cloud.d/broken.json: DescribeSslVpnServers answer, SslVpnServers.SslVpnServer\[0\].Port: " "$dlog"' 50 ||
	fail "no log line for broken.json"
[ "$(grep -c 'broken.json' "$dlog")" = 1 ] || fail "more than one line for broken.json"
grep -q https "$dlog" && fail "the log echoes a value of the file"
json_is "$(cli facts --json --tunnel "$name")" 'd["facts"]["tunnels"][0]["cloud"]["client_cidr"] == "10.8.0.0/28"' ||
	fail "lab.json no longer used"
echo "ok: a refused file is one line, the other stays ($(elapsed) s)"

# the server moved to TCP 443 in the console, exported again: the profile no longer matches
answers TCP 443 | put "$work/cloud.d/lab.json"
until_ok 'status_is "finding(\"config-invalid\", \"$name\") is not None"' 50 ||
	fail "config-invalid did not fire after the change: $(cli status --json)"
sum=$(cli status --json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)
print(next(f["summary"] for f in d["findings"] if f["cause"] == "config-invalid"))')
case $sum in
*"over udp port 1194"*"over tcp port 443"*) ;;
*) fail "config-invalid does not name both: $sum" ;;
esac
echo "ok: a changed file is read again: $sum ($(elapsed) s)"
answers UDP 1194 | put "$work/cloud.d/lab.json"
until_ok 'status_is "finding(\"config-invalid\", \"$name\") is None"' 50 || fail "config-invalid stayed"

# a configured tunnel whose client does not run, its remote a name; and one with its own file
ovpn_client_conf byname vpn.lab.test
ovpn_client_conf own 198.18.0.1
sed 's/"ClientIpPool": "10.8.0.0\/28"/"ClientIpPool": "10.8.0.0\/24"/' "$work/cloud.d/lab.json" | put "$work/own.json"
cat >"$work/vpndoctor.conf" <<EOC
[Daemon]
MaxConcurrentProbes=2
Discover=yes
[Clock]
NTPServers=
[Profile]
Interval=1h
[Cloud]
Directory=$work/private/cloud.d
[Tunnel byname]
Config=$work/byname.conf
[Tunnel own]
Config=$work/own.conf
CloudFacts=$work/own.json
EOC
# (a restart: a Config= named by a reload is read with the engine's rights
# only, vpndoctord(8) PRIVILEGES, and the lab's key is root's)
stop_daemon
start_daemon
until_ok 'json_is "$(cli facts --json --tunnel byname)" "d[\"facts\"][\"tunnels\"][0][\"cloud\"][\"remote_host\"] == \"vpn.lab.test\""' 100 ||
	fail "byname: no match by its remote's name: $(cli facts --json --tunnel byname)"
json_is "$(cli facts --json --tunnel own)" 'd["facts"]["tunnels"][0]["cloud"]["client_cidr"] == "10.8.0.0/24"' ||
	fail "own: CloudFacts= did not win: $(cli facts --json --tunnel own)"
# no client runs for either: own (nothing wrong) is idle; byname has its
# error all the same (the pool is too small whoever connects), so broken
until_ok 'status_is "tunnel(\"own\")[\"health\"] == \"idle\" and finding(\"client-cidr-too-small\", \"byname\")"' 100 ||
	fail "own not idle, or byname without its finding: $(cli status --json)"
status_is 'finding("client-cidr-too-small", "own") is None and tunnel("byname")["health"] == "broken"' ||
	fail "own, or byname's health: $(cli status --json)"
cli status | grep -q '^tunnel own: idle, ' || fail "status does not say idle: $(cli status)"
echo "ok: a remote's name resolved in the daemon's namespace; CloudFacts= wins; idle said ($(elapsed) s)"

# SIGHUP: another directory, empty: the imported facts go
sed -i "s|^Directory=.*|Directory=$work/cloud2.d|" "$work/vpndoctor.conf"
kill -HUP "$dpid"
until_ok 'json_is "$(cli facts --json --tunnel "$name")" "\"cloud\" not in d[\"facts\"][\"tunnels\"][0]"' 50 ||
	fail "the old directory's facts stayed after SIGHUP: $(cli facts --json --tunnel "$name")"
until_ok 'status_is "finding(\"client-cidr-too-small\", \"$name\") is None"' 50 || fail "the finding stayed"
echo "ok: SIGHUP reads the new Directory= ($(elapsed) s)"

stop_daemon
echo "ok: test_cloud_facts ($(elapsed) s)"
