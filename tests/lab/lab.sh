#!/bin/bash
# The vpndoctor network lab: a laptop with a real OpenVPN client and a cloud with a
# real OpenVPN 2.6 server, in network namespaces on this machine, and faults to break it.
#
# Library (source it) and CLI:
#   lab.sh up [--proto udp|tcp] [--tls-auth|--tls-crypt] [--max-clients N] [--both]
#   lab.sh down | status | fault NAME on|off [ARGS] | exec NODE CMD... | faults
# The CLI finds its lab through $VDLAB_DIR (printed by `up`), or the only lab there is.
# --both adds a second server on the other protocol (clients 10.8.1.0/24), so the
# gateway still answers over TCP while UDP is blocked.
#
# Topology (every address exists only inside the lab's namespaces):
#
#   laptop  eth0 198.18.1.2 --- lap0 198.18.1.1 \                 / wan0 198.19.0.2  gateway (openvpn server)
#           lan0 192.168.77.2 (its own LAN)       router (NAT,   |         10.8.0.0/24 clients, net30
#   laptop2 eth0 198.18.2.2 --- lap20 198.18.2.1  faults) wan0 198.19.0.1     vpc0 172.16.1.1
#                                   ntp0 198.19.1.1 --- ntp 198.19.1.123         |
#                                                   (chronyd, faketime)    vpc eth0 172.16.1.10 (dnsmasq)
#                                                                                  172.16.1.20 (db.vpc.internal)
# The web: lab_web starts a connectivity check server on the NTP host
# (http://$LAB_NTP_IP/generate_204 answers 204); the captive-portal fault adds
# a login page on the router ($LAB_PORTAL_IP:80).
#
# Names: namespaces are PREFIX-NODE with PREFIX vdl<pid> (unique per run); links are
# created inside the namespaces, so the host's own network is never touched.

LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_NODES="laptop laptop2 router gateway vpc ntp"

LAB_LAPTOP_IP=198.18.1.2
LAB_LAPTOP2_IP=198.18.2.2
LAB_ROUTER_WAN=198.19.0.1
LAB_GW_IP=198.19.0.2
LAB_NTP_IP=198.19.1.123
LAB_VPC_GW=172.16.1.1
LAB_VPC_DNS=172.16.1.10
LAB_VPC_DB=172.16.1.20
LAB_VPC_NET=172.16.0.0/16
LAB_VPC_NAME=db.vpc.internal
LAB_CLIENT_CIDR=10.8.0.0/24
LAB_CLIENT_CIDR_TCP2=10.8.1.0/24
LAB_PORT=1194
LAB_LAN_IP=192.168.77.2/24
LAB_LAN_OVERLAP_IP=172.16.1.2/24
LAB_OTHER_VPN_IP=100.100.7.2/24
LAB_FAKETIME_LIB=${LAB_FAKETIME_LIB:-/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1}
LAB_PY=/usr/bin/python3
LAB_PORTAL_IP=198.18.1.1
LAB_CHECK_URL=http://$LAB_NTP_IP/generate_204
LAB_ROAM_IP=198.18.3.2
LAB_ROAM_GW=198.18.3.1

# Faults, in the order `lab.sh faults` lists them: NAME|ARGS|what it does.
LAB_FAULTS="
loss|PCT|drop PCT% (one decimal: 0.5) of the laptops' packets at the internet router (nftables numgen)
latency|RTT_MS [JITTER_MS]|add RTT_MS (+-JITTER_MS) on the gateway's way out (userspace delay line)
udp-block||the router drops UDP to the gateway's OpenVPN port
icmp-in-block||the laptop's nftables drops inbound ICMP echo requests
no-vpc-route||the server stops pushing the VPC route (server restarted)
lan-overlap||the laptop's own LAN becomes ${LAB_LAN_OVERLAP_IP}, inside the VPC
dns-down||the VPC's DNS server (dnsmasq) is stopped
ntp-ahead|[OFFSET]|the NTP server runs OFFSET ahead (default +15m; chronyd restarted)
cert-expired||the laptop's profile uses an expired client certificate (client restarted)
cert-notyet||the laptop's profile uses a certificate valid only from next month
cert-wrongca||the laptop's profile uses a certificate from another CA
profile-broken||the laptop's profile names a CA file that does not exist
max-clients||laptop2 takes the server's only client slot, then the laptop retries
server-change||the server pushes an extra route and domain (server restarted)
other-vpn||a second VPN link (tun, 100.100.7.2/24) appears on the laptop
bandwidth|MBIT|htb limits the gateway's uplink and VPC link to MBIT Mbit/s
security-group||the VPC host ${LAB_VPC_DB} drops everything from the client pool (its DNS neighbour does not)
udp-loss|PCT|the router drops PCT% of the gateway's OpenVPN UDP datagrams to the laptops (ICMP passes)
inner-latency|MS|the gateway delays by MS what it sends into the tunnel (not its public traffic)
mtu-blackhole|[BYTES]|the gateway drops packets over BYTES (1300) from the tunnel, without ICMP
push-overlap||the server also pushes 10.0.0.0/8, over its own client pool (server restarted)
profile-cipher|[CIPHER]|the laptop's profile says 'cipher CIPHER' (AES-128-CBC), as old profiles do
client-kill||the laptop's OpenVPN client is killed with SIGKILL (off: started again)
captive-portal||the router catches the laptop's web requests with a login page and drops the rest
roam|[udp-blocked]|the laptop moves to another uplink (wlan0, 198.18.3.2/24); with udp-blocked, one that drops UDP to the gateway's port
"

lab__die() { echo "lab: $*" >&2; exit 1; }
lab__log() { [ -n "${LAB_QUIET:-}" ] || echo "lab: $*" >&2; }
lab__ns() { echo "${LAB_PREFIX}-$1"; }
lab_ns() { lab__ns "$1"; }

lab_exec() {
	local node=$1; shift
	ip netns exec "$(lab__ns "$node")" "$@"
}

# State lives in $LAB_DIR/state as shell assignments, so the CLI can act on a lab
# another process brought up.
lab__save() {
	{
		printf 'LAB_PREFIX=%q\n' "$LAB_PREFIX"
		printf 'LAB_PROTO=%q\n' "$LAB_PROTO"
		printf 'LAB_TLS=%q\n' "$LAB_TLS"
		printf 'LAB_MAX_CLIENTS=%q\n' "$LAB_MAX_CLIENTS"
		printf 'LAB_BOTH=%q\n' "$LAB_BOTH"
		printf 'LAB_PUSH_VPC=%q\n' "$LAB_PUSH_VPC"
		printf 'LAB_PUSH_EXTRA=%q\n' "$LAB_PUSH_EXTRA"
		printf 'LAB_PUSH_OVERLAP=%q\n' "${LAB_PUSH_OVERLAP:-0}"
		printf 'LAB_FAULTS_ON=%q\n' "$LAB_FAULTS_ON"
		printf 'LAB_OWNER=%q\n' "${LAB_OWNER:-}"
		printf 'LAB_MAX_CLIENTS_SAVED=%q\n' "${LAB_MAX_CLIENTS_SAVED:-}"
	} >"$LAB_DIR/state.tmp" && mv "$LAB_DIR/state.tmp" "$LAB_DIR/state"
}

lab_load() {
	if [ -z "${LAB_DIR:-}" ]; then
		LAB_DIR=${VDLAB_DIR:-}
	fi
	if [ -z "$LAB_DIR" ]; then
		local d found=""
		for d in /tmp/vdlab.*; do
			[ -f "$d/state" ] || continue
			[ -z "$found" ] || lab__die "several labs exist; set VDLAB_DIR"
			found=$d
		done
		[ -n "$found" ] || lab__die "no lab is up (set VDLAB_DIR)"
		LAB_DIR=$found
	fi
	[ -f "$LAB_DIR/state" ] || lab__die "$LAB_DIR: no lab state"
	# shellcheck disable=SC1091
	. "$LAB_DIR/state"
}

# ---- processes: every one started here is recorded with its start time, so a
# reused pid is never killed by mistake.

# The comm field may hold spaces: take what follows the last ')'.
lab__alive() {
	local name=$1 pid st
	[ -f "$LAB_DIR/pids/$name" ] || return 1
	read -r pid st <"$LAB_DIR/pids/$name"
	[ -d "/proc/$pid" ] || return 1
	[ "$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $20}')" = "$st" ]
}
lab__pid() { local pid st; read -r pid st <"$LAB_DIR/pids/$1" && echo "$pid"; }

# lab__spawn NAME NODE CMD...: run CMD in NODE's namespace, in the background,
# stdout+stderr to $LAB_DIR/logs/NAME.out. `ip netns exec` and `env` exec in
# place, so $! is the program itself.
lab__spawn() {
	local name=$1 node=$2; shift 2
	ip netns exec "$(lab__ns "$node")" "$@" </dev/null >>"$LAB_DIR/logs/$name.out" 2>&1 &
	local pid=$! st=""
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		st=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $20}')
		[ -n "$st" ] && break
		sleep 0.05
	done
	echo "$pid $st" >"$LAB_DIR/pids/$name"
	disown "$pid" 2>/dev/null || true
}

# lab__stop NAME: SIGTERM, wait up to 5 s, then SIGKILL.
lab__stop() {
	local name=$1 pid i
	if lab__alive "$name"; then
		pid=$(lab__pid "$name")
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 50); do
			lab__alive "$name" || break
			sleep 0.1
		done
		if lab__alive "$name"; then
			kill -KILL "$pid" 2>/dev/null || true
			sleep 0.1
		fi
	fi
	rm -f "$LAB_DIR/pids/$name"
}

# ---- PKI: EC P-256 keys (fast), dates moved with libfaketime.

lab__pki() {
	local p=$LAB_DIR/pki
	mkdir -p "$p"
	(
		cd "$p" || exit 1
		set -e
		cat >ext.cnf <<-'EOF'
		[ca]
		basicConstraints=critical,CA:TRUE
		keyUsage=critical,keyCertSign,cRLSign
		subjectKeyIdentifier=hash
		[server]
		basicConstraints=CA:FALSE
		keyUsage=critical,digitalSignature,keyAgreement
		extendedKeyUsage=serverAuth
		[client]
		basicConstraints=CA:FALSE
		keyUsage=critical,digitalSignature,keyAgreement
		extendedKeyUsage=clientAuth
		EOF
		key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
		ca() {
			key "$1"
			openssl req -new -x509 -key "$1.key" -out "$1.crt" -days 3650 -subj "/CN=$2" \
				-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
		}
		# sign NAME CN CA EXT DAYS [FAKETIME]
		sign() {
			key "$1"
			openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
			if [ -n "${6:-}" ]; then
				LD_PRELOAD=$LAB_FAKETIME_LIB FAKETIME=$6 FAKETIME_DONT_FAKE_MONOTONIC=1 \
					openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial \
					-out "$1.crt" -days "$5" -extfile ext.cnf -extensions "$4" 2>/dev/null
			else
				openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial \
					-out "$1.crt" -days "$5" -extfile ext.cnf -extensions "$4" 2>/dev/null
			fi
			rm -f "$1.csr"
		}
		ca ca "vdlab CA"
		ca wrongca "vdlab other CA"
		sign server gateway ca server 825
		sign client laptop ca client 365
		sign client2 laptop2 ca client 365
		sign client-expired laptop ca client 30 -400d
		sign client-notyet laptop ca client 365 +30d
		sign client-wrongca laptop wrongca client 365
		openvpn --genkey secret ta.key 2>/dev/null
	) || lab__die "PKI generation failed"
	# the dates must really be what the scenarios rely on
	local now na nb
	now=$(date +%s)
	na=$(date -d "$(openssl x509 -in "$p/client-expired.crt" -noout -enddate | cut -d= -f2)" +%s)
	nb=$(date -d "$(openssl x509 -in "$p/client-notyet.crt" -noout -startdate | cut -d= -f2)" +%s)
	[ "$na" -lt "$now" ] || lab__die "client-expired.crt is not expired (faketime?)"
	[ "$nb" -gt "$now" ] || lab__die "client-notyet.crt is already valid (faketime?)"
}

# ---- configuration files

lab__tls_lines() { # $1: server|client
	case "$LAB_TLS" in
	tls-auth) [ "$1" = server ] && echo "tls-auth ta.key 0" || echo "tls-auth ta.key 1" ;;
	tls-crypt) echo "tls-crypt ta.key" ;;
	esac
}

# lab__server_conf NAME PROTO NET: the gateway's server config, from the current state.
lab__server_conf() {
	local name=$1 proto=$2 net=$3 d=$LAB_DIR/gateway
	local ovproto=$proto
	[ "$proto" = tcp ] && ovproto=tcp-server
	{
		echo "# vdlab gateway ($name)"
		echo "mode server"
		echo "tls-server"
		echo "local $LAB_GW_IP"
		echo "port $LAB_PORT"
		echo "proto $ovproto"
		echo "dev tun"
		echo "topology net30"
		echo "server ${net%/*} 255.255.255.0"
		echo "ca ca.crt"
		echo "cert server.crt"
		echo "key server.key"
		echo "dh none"
		lab__tls_lines server
		echo "keepalive 5 30"
		[ "$LAB_PUSH_VPC" = 1 ] && echo "push \"route ${LAB_VPC_NET%/*} 255.255.0.0\""
		echo "push \"dhcp-option DNS $LAB_VPC_DNS\""
		echo "push \"dhcp-option DOMAIN vpc.internal\""
		if [ "$LAB_PUSH_EXTRA" = 1 ]; then
			echo "push \"route 172.31.0.0 255.255.0.0\""
			echo "push \"dhcp-option DOMAIN-SEARCH corp.internal\""
		fi
		# a Local Network that takes in the client CIDR, as a console lets one set it
		[ "${LAB_PUSH_OVERLAP:-0}" = 1 ] && echo "push \"route 10.0.0.0 255.0.0.0\""
		echo "max-clients $LAB_MAX_CLIENTS"
		echo "disable-dco"
		echo "hand-window 20"
		[ "$proto" = udp ] && echo "explicit-exit-notify 1"
		echo "management $d/$name-mgmt.sock unix"
		echo "status $d/$name-status.log 2"
		echo "status-version 2"
		echo "verb 3"
		echo "log-append $d/$name.log"
	} >"$d/$name.conf"
}

# lab__client_conf NODE: the laptop's profile, the way a cloud console hands it out.
lab__client_conf() {
	local node=$1 d=$LAB_DIR/$1 cert=client
	[ "$node" = laptop2 ] && cert=client2
	{
		echo "client"
		echo "dev tun"
		echo "proto $LAB_PROTO"
		echo "remote $LAB_GW_IP $LAB_PORT"
		echo "resolv-retry infinite"
		echo "nobind"
		echo "persist-key"
		echo "persist-tun"
		echo "ca ca.crt"
		echo "cert $cert.crt"
		echo "key $cert.key"
		lab__tls_lines client
		echo "remote-cert-tls server"
		echo "connect-retry 1 5"
		# leave the server's client slot at once when stopped (restarts are part of the lab)
		[ "$LAB_PROTO" = udp ] && echo "explicit-exit-notify 1"
		echo "disable-dco"
		echo "hand-window 20"
		echo "verb 3"
		echo "log-append $d/openvpn.log"
		echo "management $d/mgmt.sock unix"
	} >"$d/client.conf"
}

# lab_profile_set NODE DIRECTIVE VALUE: replace a directive of the laptop's profile.
lab_profile_set() {
	local f=$LAB_DIR/$1/client.conf
	sed -i "s|^$2 .*|$2 $3|" "$f"
	grep -q "^$2 $3\$" "$f" || lab__die "could not set '$2 $3' in $f"
}

# ---- daemons

lab__server_start() {
	local name=$1
	lab__spawn "$name" gateway openvpn --cd "$LAB_DIR/gateway" --config "$LAB_DIR/gateway/$name.conf"
}
lab__servers() { if [ "$LAB_BOTH" = 1 ]; then echo server server2; else echo server; fi; }
lab__server_confs() {
	lab__server_conf server "$LAB_PROTO" "$LAB_CLIENT_CIDR"
	if [ "$LAB_BOTH" = 1 ]; then
		local other=tcp
		[ "$LAB_PROTO" = tcp ] && other=udp
		lab__server_conf server2 "$other" "$LAB_CLIENT_CIDR_TCP2"
	fi
}
lab__servers_restart() {
	local s off
	off=$(lab_log_mark laptop)
	lab__server_confs
	for s in $(lab__servers); do lab__stop "$s"; done
	for s in $(lab__servers); do lab__server_start "$s"; done
	lab__wait_file "$LAB_DIR/gateway/server-mgmt.sock" 10 || lab__die "server did not start"
	# a restarted server tells its UDP clients to reconnect (explicit-exit-notify);
	# TCP clients see the reset: either way the fault is in place once they are back
	if lab__alive openvpn-laptop; then
		lab_wait_tunnel laptop 60 "$off" || lab__die "the laptop did not reconnect after the server restart"
	fi
}

lab__client_start() {
	local node=$1
	lab__spawn "openvpn-$node" "$node" openvpn --cd "$LAB_DIR/$node" --config "$LAB_DIR/$node/client.conf"
}
lab_client_restart() {
	local node=${1:-laptop}
	lab__stop "openvpn-$node"
	lab__client_start "$node"
}

lab__dns_start() {
	lab__spawn dnsmasq vpc dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
		--user=root --pid-file= --listen-address="$LAB_VPC_DNS" --bind-interfaces \
		--local=/vpc.internal/ --host-record="$LAB_VPC_NAME,$LAB_VPC_DB" \
		--host-record="dns.vpc.internal,$LAB_VPC_DNS" --log-facility=-
}

# chronyd under libfaketime, as it must be: environment, not the `faketime`
# wrapper (which forks, so its pid is not chronyd's).
lab__ntp_start() {
	local offset=${1:-+0} d=$LAB_DIR/ntp
	mkdir -p "$d/run"
	chmod 0700 "$d/run"
	cat >"$d/chrony.conf" <<-EOF
	local stratum 8
	allow all
	bindaddress $LAB_NTP_IP
	bindcmdaddress $d/run/chronyd.sock
	cmdport 0
	pidfile $d/run/chronyd.pid
	EOF
	lab__spawn chronyd ntp env LD_PRELOAD="$LAB_FAKETIME_LIB" FAKETIME="$offset" \
		FAKETIME_DONT_FAKE_MONOTONIC=1 chronyd -x -n -u root -f "$d/chrony.conf"
}

lab__wait_file() { # FILE SECONDS
	local i n=$(($2 * 10))
	for ((i = 0; i < n; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# lab_log_mark NODE: the current size of NODE's OpenVPN log, for lab_log_wait.
lab_log_mark() { stat -c %s "$LAB_DIR/$1/openvpn.log" 2>/dev/null || echo 0; }
# lab_log_wait FILE OFFSET REGEX SECONDS: wait for REGEX in FILE after OFFSET.
lab_log_wait() {
	local f=$1 off=$2 re=$3 i n=$(($4 * 5))
	for ((i = 0; i < n; i++)); do
		tail -c +"$((off + 1))" "$f" 2>/dev/null | grep -Eq -- "$re" && return 0
		sleep 0.2
	done
	return 1
}

# lab_wait_tunnel NODE SECONDS [OFFSET]: wait until NODE's client completed its
# handshake (after OFFSET in its log) and the VPC answers a ping through it.
lab_wait_tunnel() {
	local node=${1:-laptop} t=${2:-60} off=${3:-0}
	lab_log_wait "$LAB_DIR/$node/openvpn.log" "$off" "Initialization Sequence Completed" "$t" || return 1
	[ "$LAB_PUSH_VPC" = 1 ] || return 0
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		lab_exec "$node" ping -c1 -W1 -q "$LAB_VPC_DB" >/dev/null 2>&1 && return 0
	done
	return 1
}

# ---- the network

lab__veth() { # NODE_A IF_A ADDR_A NODE_B IF_B ADDR_B
	ip -n "$(lab__ns "$1")" link add name "$2" type veth peer name "$5" netns "$(lab__ns "$4")" || return 1
	ip -n "$(lab__ns "$1")" addr add "$3" dev "$2" || return 1
	ip -n "$(lab__ns "$4")" addr add "$6" dev "$5" || return 1
	ip -n "$(lab__ns "$1")" link set "$2" up && ip -n "$(lab__ns "$4")" link set "$5" up
}

lab__net() {
	local n
	for n in $LAB_NODES; do
		ip netns add "$(lab__ns "$n")" || return 1
		ip -n "$(lab__ns "$n")" link set lo up
		lab_exec "$n" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	done
	# The laptops' own resolv.conf (`ip netns exec` mounts /etc/netns/NS/* over
	# /etc): the VPC's DNS server, as OpenVPN's update-resolv-conf would set it,
	# so no program in a laptop asks the host's resolver.
	for n in laptop laptop2; do
		mkdir -p "/etc/netns/$(lab__ns "$n")" &&
			echo "nameserver $LAB_VPC_DNS" >"/etc/netns/$(lab__ns "$n")/resolv.conf" || return 1
	done
	lab__veth laptop eth0 "$LAB_LAPTOP_IP/24" router lap0 198.18.1.1/24 || return 1
	lab__veth laptop2 eth0 "$LAB_LAPTOP2_IP/24" router lap20 198.18.2.1/24 || return 1
	lab__veth router wan0 "$LAB_ROUTER_WAN/24" gateway wan0 "$LAB_GW_IP/24" || return 1
	lab__veth router ntp0 198.19.1.1/24 ntp eth0 "$LAB_NTP_IP/24" || return 1
	lab__veth gateway vpc0 "$LAB_VPC_GW/24" vpc eth0 "$LAB_VPC_DNS/24" || return 1
	ip -n "$(lab__ns vpc)" addr add "$LAB_VPC_DB/24" dev eth0
	# the laptop's own LAN (a docking station's wired network): a veth pair inside it
	ip -n "$(lab__ns laptop)" link add name lan0 type veth peer name lan0p || return 1
	ip -n "$(lab__ns laptop)" addr add "$LAB_LAN_IP" dev lan0
	ip -n "$(lab__ns laptop)" link set lan0p up
	ip -n "$(lab__ns laptop)" link set lan0 up
	ip -n "$(lab__ns laptop)" route add default via 198.18.1.1
	ip -n "$(lab__ns laptop2)" route add default via 198.18.2.1
	ip -n "$(lab__ns gateway)" route add default via "$LAB_ROUTER_WAN"
	ip -n "$(lab__ns ntp)" route add default via 198.19.1.1
	ip -n "$(lab__ns vpc)" route add default via "$LAB_VPC_GW"
	lab_exec router sysctl -qw net.ipv4.ip_forward=1
	lab_exec gateway sysctl -qw net.ipv4.ip_forward=1
	# the home router: NAT out to the internet; faults go in its forward chain
	lab_exec router nft -f - <<-EOF || return 1
	table inet vdlab {
		chain forward {
			type filter hook forward priority 0; policy accept;
		}
		chain postrouting {
			type nat hook postrouting priority 100; policy accept;
			ip saddr 198.18.0.0/16 oifname { "wan0", "ntp0" } masquerade
		}
	}
	EOF
}

# ---- up / down / status

lab_up() {
	local t0
	t0=$(date +%s.%N)
	LAB_PROTO=udp LAB_TLS=none LAB_MAX_CLIENTS=4 LAB_BOTH=0 LAB_PUSH_VPC=1 LAB_PUSH_EXTRA=0 LAB_FAULTS_ON=""
	while [ $# -gt 0 ]; do
		case "$1" in
		--proto) LAB_PROTO=$2; shift ;;
		--proto=*) LAB_PROTO=${1#*=} ;;
		--tls-auth) LAB_TLS=tls-auth ;;
		--tls-crypt) LAB_TLS=tls-crypt ;;
		--max-clients) LAB_MAX_CLIENTS=$2; shift ;;
		--both) LAB_BOTH=1 ;;
		*) lab__die "up: unknown option $1" ;;
		esac
		shift
	done
	case "$LAB_PROTO" in udp | tcp) ;; *) lab__die "--proto udp|tcp" ;; esac
	[ "$(id -u)" = 0 ] || lab__die "the lab needs root"
	local b
	for b in openvpn dnsmasq chronyd nft openssl ip; do
		command -v "$b" >/dev/null || lab__die "$b is missing (make deps)"
	done
	[ -r "$LAB_FAKETIME_LIB" ] || lab__die "libfaketime is missing (make deps)"

	lab__reap
	if [ -z "${LAB_DIR:-}" ]; then
		LAB_DIR=${VDLAB_DIR:-$(mktemp -d /tmp/vdlab.XXXXXX)}
	fi
	mkdir -p "$LAB_DIR"/{pids,logs,pki,gateway,laptop,laptop2,ntp,vpc}
	LAB_PREFIX=vdl$$
	while ip netns list | grep -q "^$LAB_PREFIX-"; do LAB_PREFIX=vdl$$x$RANDOM; done
	lab__save
	export VDLAB_DIR=$LAB_DIR

	lab__pki
	cp "$LAB_DIR"/pki/{ca.crt,server.crt,server.key,ta.key} "$LAB_DIR/gateway/"
	local n
	for n in laptop laptop2; do
		cp "$LAB_DIR"/pki/{ca.crt,ta.key,client.crt,client.key,client2.crt,client2.key} "$LAB_DIR/$n/"
		cp "$LAB_DIR"/pki/client-{expired,notyet,wrongca}.{crt,key} "$LAB_DIR/$n/"
		lab__client_conf "$n"
	done
	lab__net || { lab_down; lab__die "network setup failed"; }
	lab__dns_start
	lab__ntp_start +0
	lab__server_confs
	for n in $(lab__servers); do lab__server_start "$n"; done
	lab__wait_file "$LAB_DIR/gateway/server-mgmt.sock" 10 || { lab_down; lab__die "server did not start"; }
	lab__client_start laptop
	if ! lab_wait_tunnel laptop 60; then
		lab__log "tunnel did not come up; last client log lines:"
		tail -n 15 "$LAB_DIR/laptop/openvpn.log" >&2
		lab_down
		lab__die "up failed"
	fi
	LAB_UP_SECONDS=$(echo "$t0 $(date +%s.%N)" | awk '{printf "%.1f", $2 - $1}')
	lab__log "up in ${LAB_UP_SECONDS} s ($LAB_PROTO, tls $LAB_TLS): VDLAB_DIR=$LAB_DIR"
}

# A scenario killed with SIGKILL (a ctest timeout) cannot run its EXIT trap: its
# lab records the scenario's pid and start time (LAB_OWNER), and the next lab_up
# takes down the labs whose owner is gone. Labs from `lab.sh up` have no owner
# and stay until `lab.sh down`.
lab__reap() {
	local d
	for d in /tmp/vdlab.*; do
		[ -f "$d/state" ] || continue
		(
			LAB_OWNER="" LAB_PREFIX=""
			. "$d/state"
			[ -n "$LAB_OWNER" ] || exit 0
			set -- $LAB_OWNER
			[ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}')" = "$2" ] && exit 0
			LAB_DIR=$d
			lab__log "taking down $d: its owner $1 is gone"
			lab_down
		)
	done
}

lab_down() {
	[ -n "${LAB_DIR:-}" ] && [ -d "$LAB_DIR" ] || return 0
	[ -n "${LAB_PREFIX:-}" ] || { [ -f "$LAB_DIR/state" ] && . "$LAB_DIR/state"; }
	local f name n pid
	for f in "$LAB_DIR"/pids/*; do
		[ -e "$f" ] || continue
		name=${f##*/}
		lab__stop "$name"
	done
	# Anything else still inside our namespaces was started by us (a scenario's
	# daemon, a stray helper): end it by pid, then remove the namespaces, which
	# removes their links.
	for n in $LAB_NODES; do
		ip netns list | grep -q "^$(lab__ns "$n")\b" || continue
		for pid in $(ip netns pids "$(lab__ns "$n")" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
	done
	for n in $LAB_NODES; do
		ip netns del "$(lab__ns "$n")" 2>/dev/null || true
		rm -rf "/etc/netns/$(lab__ns "$n")"
	done
	rmdir /etc/netns 2>/dev/null || true
	rm -f "$LAB_DIR/state"
	if [ -z "${LAB_KEEP:-}" ]; then
		rm -rf "$LAB_DIR"
	else
		lab__log "kept $LAB_DIR"
	fi
}

lab_status() {
	local n f name
	echo "lab $LAB_PREFIX in $LAB_DIR: proto $LAB_PROTO, tls $LAB_TLS, max-clients $LAB_MAX_CLIENTS"
	echo "faults on:${LAB_FAULTS_ON:- none}"
	for f in "$LAB_DIR"/pids/*; do
		[ -e "$f" ] || continue
		name=${f##*/}
		if lab__alive "$name"; then echo "  $name: pid $(lab__pid "$name")"; else echo "  $name: dead"; fi
	done
	for n in laptop laptop2; do
		lab_exec "$n" ip -br addr show 2>/dev/null | awk -v n="$n" '$1 ~ /^tun/ {print "  " n ": " $1 " " $3}'
	done
}

# ---- faults

lab__fault_mark() { # NAME on|off
	local l=" ${LAB_FAULTS_ON} "
	l=${l// $1 / }
	[ "$2" = on ] && l="$l $1"
	LAB_FAULTS_ON=$(echo $l)
	lab__save
}

lab__nft_router() { lab_exec router nft "$@"; }
lab__nft_del_comment() { # NODE TABLE CHAIN COMMENT: delete the rule tagged COMMENT
	local h
	for h in $(lab_exec "$1" nft -a list chain inet "$2" "$3" 2>/dev/null |
		awk -v c="\"$4\"" '$0 ~ "comment " c {print $NF}'); do
		lab_exec "$1" nft delete rule inet "$2" "$3" handle "$h"
	done
}

# lab__profile_swap CERTBASE: point the laptop's profile at CERTBASE.crt/.key, restart it.
lab__profile_swap() {
	lab_profile_set laptop cert "$1.crt"
	lab_profile_set laptop key "$1.key"
	lab__client_restart_wait "$1"
}
# restart the laptop's client; with the good certificate, wait for its tunnel
lab__client_restart_wait() {
	local off
	off=$(lab_log_mark laptop)
	lab_client_restart laptop
	if [ "$1" = client ]; then
		lab_wait_tunnel laptop 60 "$off" || lab__die "the laptop's tunnel did not come back"
	fi
}

lab_fault() {
	local name=$1 mode=$2
	shift 2 || lab__die "fault NAME on|off"
	case "$mode" in on | off) ;; *) lab__die "fault $name: on or off" ;; esac
	case "$name" in
	loss)
		lab__nft_del_comment router vdlab forward vdlab-loss
		if [ "$mode" = on ]; then
			local pct=${1:?loss on PCT} pm
			# in tenths of a percent, so a healthy link's 0.5% can be made too
			[[ "$pct" =~ ^([0-9]|[1-9][0-9]|100)(\.[0-9])?$ ]] || lab__die "loss on PCT: 0-100, one decimal at most"
			pm=$(awk -v p="$pct" 'BEGIN {printf "%d", p * 10 + 0.5}')
			lab__nft_router add rule inet vdlab forward iifname '{ "lap0", "lap20" }' \
				numgen random mod 1000 '<' "$pm" drop comment '"vdlab-loss"'
		fi
		;;
	latency)
		lab__stop delayline
		lab_exec gateway ip rule del pref 50 2>/dev/null || true
		lab_exec gateway ip link del dly0 2>/dev/null || true
		if [ "$mode" = on ]; then
			local rtt=${1:?latency on RTT_MS [JITTER_MS]} jit=${2:-0}
			lab_exec gateway ip tuntap add dev dly0 mode tun
			# its pidfile is written once it holds the device: what is routed
			# into dly0 from then on is carried, not dropped
			rm -f "$LAB_DIR/delayline.pid"
			lab__spawn delayline gateway "$LAB_PY" "$LAB_SRC/tools/delayline.py" --dev dly0 \
				--delay-ms "$rtt" --jitter-ms "$jit" --pidfile "$LAB_DIR/delayline.pid"
			lab__wait_file "$LAB_DIR/delayline.pid" 10 && lab__alive delayline || lab__die "delay line did not start: $(cat "$LAB_DIR/logs/delayline.out")"
			lab_exec gateway sysctl -qw net.ipv4.conf.dly0.rp_filter=0 net.ipv4.conf.dly0.accept_local=1
			lab_exec gateway ip link set dly0 up
			lab_exec gateway ip route replace default dev dly0 src "$LAB_GW_IP" table 100
			# the gateway's own packets to the internet go through the delay line;
			# written back, they arrive on dly0 and leave by the main table
			lab_exec gateway ip rule add pref 50 iif lo to 198.18.0.0/15 lookup 100
		fi
		;;
	udp-block)
		lab__nft_del_comment router vdlab forward vdlab-udp-block
		# both ways, as a stateful firewall would: the server's keepalives must stop too
		if [ "$mode" = on ]; then
			lab__nft_router add rule inet vdlab forward ip daddr "$LAB_GW_IP" \
				udp dport "$LAB_PORT" drop comment '"vdlab-udp-block"'
			lab__nft_router add rule inet vdlab forward ip saddr "$LAB_GW_IP" \
				udp sport "$LAB_PORT" drop comment '"vdlab-udp-block"'
		fi
		;;
	icmp-in-block)
		lab_exec laptop nft delete table inet vdlab_fw 2>/dev/null || true
		[ "$mode" = on ] && lab_exec laptop nft -f - <<-'EOF'
		table inet vdlab_fw {
			chain input {
				type filter hook input priority 0; policy accept;
				icmp type echo-request drop
			}
		}
		EOF
		;;
	no-vpc-route)
		[ "$mode" = on ] && LAB_PUSH_VPC=0 || LAB_PUSH_VPC=1
		lab__save
		lab__servers_restart
		;;
	server-change)
		[ "$mode" = on ] && LAB_PUSH_EXTRA=1 || LAB_PUSH_EXTRA=0
		lab__save
		lab__servers_restart
		;;
	lan-overlap)
		if [ "$mode" = on ]; then
			lab_exec laptop ip addr del "$LAB_LAN_IP" dev lan0 2>/dev/null || true
			lab_exec laptop ip addr add "$LAB_LAN_OVERLAP_IP" dev lan0
		else
			lab_exec laptop ip addr del "$LAB_LAN_OVERLAP_IP" dev lan0 2>/dev/null || true
			lab_exec laptop ip addr add "$LAB_LAN_IP" dev lan0
		fi
		;;
	dns-down)
		if [ "$mode" = on ]; then lab__stop dnsmasq; else lab__alive dnsmasq || lab__dns_start; fi
		;;
	ntp-ahead)
		lab__stop chronyd
		if [ "$mode" = on ]; then lab__ntp_start "${1:-+15m}"; else lab__ntp_start +0; fi
		;;
	cert-expired | cert-notyet | cert-wrongca)
		if [ "$mode" = on ]; then lab__profile_swap "client-${name#cert-}"; else lab__profile_swap client; fi
		;;
	profile-broken)
		if [ "$mode" = on ]; then
			lab_profile_set laptop ca missing-ca.crt
			lab__client_restart_wait broken
		else
			lab_profile_set laptop ca ca.crt
			lab__client_restart_wait client
		fi
		;;
	max-clients)
		if [ "$mode" = on ]; then
			# one slot, and laptop2 takes it first, so the laptop is the one turned away
			lab__stop openvpn-laptop
			LAB_MAX_CLIENTS_SAVED=$LAB_MAX_CLIENTS LAB_MAX_CLIENTS=1
			lab__save
			lab__servers_restart
			local off2
			off2=$(lab_log_mark laptop2)
			lab__client_start laptop2
			lab_wait_tunnel laptop2 60 "$off2" || lab__die "laptop2 did not connect"
			lab__client_start laptop
		else
			# the user gives up and reconnects: no wait for the failed handshake to expire
			lab__stop openvpn-laptop2
			lab__stop openvpn-laptop
			LAB_MAX_CLIENTS=${LAB_MAX_CLIENTS_SAVED:-4}
			lab__save
			lab__servers_restart
			local off
			off=$(lab_log_mark laptop)
			lab__client_start laptop
			lab_wait_tunnel laptop 60 "$off" || lab__die "the laptop did not reconnect"
		fi
		;;
	other-vpn)
		lab__stop other-vpn
		lab_exec laptop ip link del tailscale0 2>/dev/null || true
		if [ "$mode" = on ]; then
			# a tun held open by a process, as another VPN client's would be
			lab_exec laptop ip tuntap add dev tailscale0 mode tun
			lab__spawn other-vpn laptop "$LAB_PY" "$LAB_SRC/tools/delayline.py" --dev tailscale0 --sink
			lab_exec laptop ip addr add "$LAB_OTHER_VPN_IP" dev tailscale0
			lab_exec laptop ip link set tailscale0 up
			local i
			for i in $(seq 1 50); do
				lab_exec laptop ip link show tailscale0 | grep -q LOWER_UP && break
				sleep 0.1
			done
		fi
		;;
	bandwidth)
		local dev
		for dev in wan0 vpc0; do
			lab_exec gateway tc qdisc del dev "$dev" root 2>/dev/null || true
			if [ "$mode" = on ]; then
				local mbit=${1:?bandwidth on MBIT}
				lab_exec gateway tc qdisc add dev "$dev" root handle 1: htb default 10
				lab_exec gateway tc class add dev "$dev" parent 1: classid 1:10 htb quantum 1514 \
					rate "${mbit}mbit" ceil "${mbit}mbit"
			fi
		done
		;;
	security-group)
		lab_exec vpc nft delete table inet vdlab_sg 2>/dev/null || true
		[ "$mode" = on ] && lab_exec vpc nft -f - <<-EOF
		table inet vdlab_sg {
			chain input {
				type filter hook input priority 0; policy accept;
				ip saddr 10.8.0.0/16 ip daddr $LAB_VPC_DB drop
			}
		}
		EOF
		;;
	udp-loss)
		lab__nft_del_comment router vdlab forward vdlab-udp-loss
		if [ "$mode" = on ]; then
			local upct=${1:?udp-loss on PCT}
			lab__nft_router add rule inet vdlab forward ip saddr "$LAB_GW_IP" udp sport "$LAB_PORT" \
				numgen random mod 100 '<' "$upct" drop comment '"vdlab-udp-loss"'
		fi
		;;
	inner-latency)
		# as the latency fault, on a second delay line: what the gateway answers
		# itself (iif lo) or forwards from the VPC towards the tunnel's clients
		lab__stop delayline-inner
		lab_exec gateway ip rule del pref 51 2>/dev/null || true
		lab_exec gateway ip rule del pref 52 2>/dev/null || true
		lab_exec gateway ip link del dly1 2>/dev/null || true
		if [ "$mode" = on ]; then
			local ims=${1:?inner-latency on MS}
			lab_exec gateway ip tuntap add dev dly1 mode tun
			rm -f "$LAB_DIR/delayline-inner.pid"
			lab__spawn delayline-inner gateway "$LAB_PY" "$LAB_SRC/tools/delayline.py" --dev dly1 --delay-ms "$ims" \
				--pidfile "$LAB_DIR/delayline-inner.pid"
			lab__wait_file "$LAB_DIR/delayline-inner.pid" 10 && lab__alive delayline-inner || lab__die "delay line did not start: $(cat "$LAB_DIR/logs/delayline-inner.out")"
			lab_exec gateway sysctl -qw net.ipv4.conf.dly1.rp_filter=0 net.ipv4.conf.dly1.accept_local=1
			lab_exec gateway ip link set dly1 up
			lab_exec gateway ip route replace default dev dly1 table 101
			lab_exec gateway ip rule add pref 51 iif lo to 10.8.0.0/16 lookup 101
			lab_exec gateway ip rule add pref 52 iif vpc0 to 10.8.0.0/16 lookup 101
		fi
		;;
	mtu-blackhole)
		lab_exec gateway nft delete table inet vdlab_mtu 2>/dev/null || true
		[ "$mode" = on ] && lab_exec gateway nft -f - <<-EOF
		table inet vdlab_mtu {
			chain prerouting {
				type filter hook prerouting priority -150; policy accept;
				iifname "tun*" meta length > ${1:-1300} drop
			}
		}
		EOF
		;;
	push-overlap)
		[ "$mode" = on ] && LAB_PUSH_OVERLAP=1 || LAB_PUSH_OVERLAP=0
		lab__save
		lab__servers_restart
		;;
	profile-cipher)
		sed -i '/^cipher /d' "$LAB_DIR/laptop/client.conf"
		[ "$mode" = on ] && echo "cipher ${1:-AES-128-CBC}" >>"$LAB_DIR/laptop/client.conf"
		lab__client_restart_wait client
		;;
	captive-portal)
		lab_exec router nft delete chain inet vdlab portal_pre 2>/dev/null || true
		lab__nft_del_comment router vdlab forward vdlab-portal
		if [ "$mode" = on ]; then
			lab__alive portal || lab__spawn portal router "$LAB_PY" "$LAB_SRC/tools/webcheck.py" \
				--listen "$LAB_PORTAL_IP:80" --portal
			# every web request of the laptops goes to the login page; nothing else passes
			lab__nft_router add chain inet vdlab portal_pre '{ type nat hook prerouting priority -100 ; }'
			lab__nft_router add rule inet vdlab portal_pre iifname '{ "lap0", "lap20" }' tcp dport 80 \
				dnat ip to "$LAB_PORTAL_IP:80"
			lab__nft_router add rule inet vdlab forward iifname '{ "lap0", "lap20" }' drop \
				comment '"vdlab-portal"'
			lab__nft_router add rule inet vdlab forward oifname '{ "lap0", "lap20" }' drop \
				comment '"vdlab-portal"'
			local w
			for w in $(seq 1 50); do
				lab_exec router ss -Hltn "sport = :80" | grep -q . && break
				sleep 0.1
			done
		else
			lab__stop portal
		fi
		;;
	roam)
		lab__nft_del_comment router vdlab forward vdlab-roam
		if [ "$mode" = on ]; then
			# a second uplink (the Wi-Fi of another place), and the move to it
			if ! lab_exec laptop ip link show wlan0 >/dev/null 2>&1; then
				lab__veth laptop wlan0 "$LAB_ROAM_IP/24" router lap3 "$LAB_ROAM_GW/24" || lab__die "roam: no link"
			fi
			if [ "${1:-}" = udp-blocked ]; then
				lab__nft_router add rule inet vdlab forward iifname lap3 ip daddr "$LAB_GW_IP" \
					udp dport "$LAB_PORT" drop comment '"vdlab-roam"'
				lab__nft_router add rule inet vdlab forward oifname lap3 ip saddr "$LAB_GW_IP" \
					udp sport "$LAB_PORT" drop comment '"vdlab-roam"'
			fi
			lab_exec laptop ip link set wlan0 up
			lab_exec laptop ip route replace default via "$LAB_ROAM_GW" dev wlan0
			lab_exec laptop ip link set eth0 down
		else
			lab_exec laptop ip link set eth0 up
			lab_exec laptop ip route replace default via 198.18.1.1 dev eth0
			lab_exec laptop ip link del wlan0 2>/dev/null || true
		fi
		;;
	client-kill)
		if [ "$mode" = on ]; then
			lab__alive openvpn-laptop || lab__die "the laptop's client is not running"
			kill -KILL "$(lab__pid openvpn-laptop)"
			local k
			for k in $(seq 1 50); do
				lab__alive openvpn-laptop || break
				sleep 0.1
			done
		else
			lab__client_restart_wait client
		fi
		;;
	*) lab__die "unknown fault '$name' (lab.sh faults lists them)" ;;
	esac
	lab__fault_mark "$name" "$mode"
}

# lab_web: the internet's connectivity check ($LAB_CHECK_URL answers 204).
lab_web() {
	lab__alive webcheck && return 0
	lab__spawn webcheck ntp "$LAB_PY" "$LAB_SRC/tools/webcheck.py" --listen "$LAB_NTP_IP:80" --check
	local i
	for i in $(seq 1 50); do
		lab_exec ntp ss -Hltn "sport = :80" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

lab_faults() {
	echo "$LAB_FAULTS" | awk -F'|' 'NF == 3 {printf "  %-15s %-20s %s\n", $1, $2, $3}'
}

lab_main() {
	local cmd=${1:-}
	shift || true
	case "$cmd" in
	up)
		lab_up "$@"
		echo "VDLAB_DIR=$LAB_DIR"
		;;
	down) lab_load && lab_down ;;
	status) lab_load && lab_status ;;
	fault) lab_load && lab_fault "$@" ;;
	exec)
		lab_load
		local node=${1:?exec NODE CMD...}
		shift
		lab_exec "$node" "$@"
		;;
	faults) lab_faults ;;
	*)
		sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
		exit 64
		;;
	esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	lab_main "$@"
fi
