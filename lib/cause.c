/* The cause catalogue as one static table. Texts are ours, faithful to the
 * SSL-VPN FAQ; MESSAGE_IDs were made once with `systemd-id128 new` and must
 * never change (journal entries and the catalog are keyed on them). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "vpndoctor/cause.h"
#include "vpndoctor/i18n.h"
#include "vpndoctor/rules.h"

const struct vd_symptom vd_symptoms[] = {
	{"connect-fails", N_("The client fails to connect to the SSL server")},
	{"drops-periodically", N_("The client is disconnected from the SSL server now and then")},
	{"only-some-connect", N_("Only some clients can connect")},
	{"connected-no-ping", N_("Connected, but ping does not work")},
	{"ping-one-way", N_("Connected, but ping works only from the client or only from the VPC")},
	{"connected-no-dns", N_("Connected, but domain names or applications are unreachable")},
	{"connected-no-cloud", N_("Connected, but cloud resources are unreachable")},
	{"connected-loss", N_("Connected, but packets are lost")},
	{"connected-latency", N_("Connected, but responses are slow")},
	{"cipher-differs", N_("The data channel uses a cipher other than the configured one")},
};
const size_t vd_n_symptoms = VD_ARRAY_SIZE(vd_symptoms);

/* Causes that keep the tunnel from coming up at all. While one of them holds,
 * every "connected, but ..." cause is unobservable (its probes measure a tunnel
 * that is not there), so those causes list all of these as suppressors. */
#define TUNNEL_DOWN \
	"config-invalid", "cert-expired", "clock-skew", "too-many-clients", \
	"udp-blocked", "gateway-unreachable", "client-exception", "vpn-port-silent", \
	"captive-portal", "no-internet", "proxy-failed"

/* What the network the laptop is on explains: behind a login page or without
 * internet, the gateway, its port and the path to it all look broken. */
#define NETWORK_DOWN "captive-portal", "no-internet"

/* Grace periods: 0 for facts read from files or configuration (they do not
 * flicker); 30 s for route/process facts that pass through transient states
 * while links come and go. The sampled causes (loss, delay, silent hosts:
 * unstable-internet, long-distance-udp, asymmetric-path, security-group,
 * gateway-bandwidth, udp-unreliable, gateway-old-version) have neither a
 * grace nor a hold: their rules open and resolve on sequential tests whose
 * error rates are stated beside them (lib/rules.c, vpndoctor/sprt.h), so one
 * bad burst is not an alarm and one clean one is not a resolution, by
 * design rather than by waiting. */

/* The ids, from causes.def: each entry names its cause by symbol, so the table
 * and the list cannot drift apart. */
#define VD_CAUSE(sym, id) static const char cause_id_##sym[] = id;
#include "vpndoctor/causes.def"
#undef VD_CAUSE

const struct vd_cause vd_causes[] = {
	[VD_CAUSE_CONFIG_INVALID] = {
		.id = cause_id_CONFIG_INVALID,
		.title = N_("The SSL server or client configuration is invalid"),
		.severity = VD_SEV_ERROR,
		.symptoms = {"connect-fails"},
		.suppressed_by = {NULL},
		.grace_s = 0,
		.description =
			N_("The client profile cannot work as written: it has no 'remote', a file it "
			"names (ca, cert, key, tls-auth) is missing or unreadable, the key does not "
			"belong to the certificate, the certificate is not signed by the profile's "
			"CA, or a directive is unknown or malformed. OpenVPN refuses to start or "
			"fails the TLS handshake, and reports an 'Options error'."),
		.remedy =
			N_("Download the client configuration again from the SSL server's page in the "
			"VPN Gateway console and replace the local copy, keeping ca, cert and key "
			"together with the .ovpn file (or inline). Fix each problem listed in the "
			"evidence at the file and line given. If the server side was edited, check "
			"that its settings (protocol, port, cipher, compression) match the profile, "
			"and reconnect."),
		.message_id = "2c4902b0c05b40a597c3e30f3fc2ed00",
	},
	[VD_CAUSE_CERT_EXPIRED] = {
		.id = cause_id_CERT_EXPIRED,
		.title = N_("The SSL client certificate is invalid or expired"),
		.severity = VD_SEV_ERROR,
		.symptoms = {"connect-fails"},
		/* The OpenVPN log's "certificate has expired" is what a skewed clock
		 * produces too; the profile check judges with the NTP-corrected clock
		 * and marks its findings independent of clock-skew. */
		.suppressed_by = {"clock-skew", NULL},
		.grace_s = 0,
		.description =
			N_("The client certificate is outside its validity period: its notAfter date "
			"has passed or its notBefore date is still ahead, judged by the "
			"NTP-corrected time. The server rejects it during the TLS handshake, so "
			"the tunnel never comes up. A certificate with fewer than 14 days left is "
			"reported as a warning before it breaks."),
		.remedy =
			N_("Create a new SSL client certificate for this SSL server in the VPN Gateway "
			"console, download the new client configuration and replace the old "
			"certificate and key. If the dates look right, check the clock first "
			"(vpndoctor explain clock-skew): a client clock more than 10 minutes off "
			"makes a valid certificate look expired or not yet valid."),
		.message_id = "8cafdee3cbeb46349fea1d7b11f870a7",
	},
	[VD_CAUSE_TOO_MANY_CLIENTS] = {
		.id = cause_id_TOO_MANY_CLIENTS,
		.title = N_("More clients are connected than the SSL server allows"),
		.severity = VD_SEV_ERROR,
		.symptoms = {"connect-fails", "only-some-connect"},
		/* A rejected certificate or clock also ends handshakes early; a client
		 * CIDR too small to hand out an address does too and is the cause to fix;
		 * a lossy or blocked path times TLS out as well. */
		.suppressed_by = {"config-invalid", "cert-expired", "clock-skew", "client-cidr-too-small",
		                  "unstable-internet", "udp-blocked", "gateway-unreachable", "vpn-port-silent",
		                  "proxy-failed", NETWORK_DOWN, NULL},
		.grace_s = 0,
		.description =
			N_("The SSL server accepts a fixed number of concurrent SSL-VPN connections. "
			"Once that many clients are connected, a new client's TLS handshake starts "
			"and the server then drops the session before it sends the tunnel "
			"configuration (PUSH_REPLY), again and again."),
		.remedy =
			N_("Disconnect clients that are not in use (every device and every extra "
			"OpenVPN process using the same certificate counts), or raise the SSL-VPN "
			"connection limit of the VPN gateway (upgrade its specification in the VPN "
			"Gateway console). When raising it, make the client CIDR block hold at "
			"least 4 addresses per allowed connection."),
		.message_id = "e15d05c23b2a43cabb3d07aa8d036ebe",
		.settles = VD_SETTLE_ANY,
	},
	[VD_CAUSE_IP_CONFLICT] = {
		.id = cause_id_IP_CONFLICT,
		.title = N_("Addresses in the VPC conflict with the client's own"),
		.severity = VD_SEV_ERROR,
		.symptoms = {"connect-fails"},
		.suppressed_by = {NULL},
		.grace_s = 30,
		.description =
			N_("A network the client sits on (its Wi-Fi or LAN subnet) overlaps the "
			"VPC or vSwitch blocks that the SSL server pushes, or the client CIDR "
			"block. Traffic meant for the VPC then leaves through the local network "
			"instead of the tunnel, or the tunnel's own addresses collide."),
		.remedy =
			N_("Change the SSL server's Local Network (the VPC or vSwitch CIDR blocks) or "
			"its Client CIDR block so that neither overlaps the networks clients use "
			"locally (home and office ranges such as 192.168.0.0/16 are common), then "
			"reconnect. As a stop-gap, connect the laptop to a network whose subnet "
			"does not overlap."),
		.message_id = "375ce87bfd6d4f55ad1a466563dfb28b",
	},
	[VD_CAUSE_CLIENT_CIDR_TOO_SMALL] = {
		.id = cause_id_CLIENT_CIDR_TOO_SMALL,
		.title = N_("The client CIDR block holds too few addresses"),
		.severity = VD_SEV_ERROR,
		.symptoms = {"connect-fails"},
		.suppressed_by = {NULL},
		.grace_s = 0,
		.description =
			N_("The SSL server carves its Client CIDR block into /30 subnets and gives one "
			"to each client: every client uses 4 addresses (for example 192.168.0.4/30 "
			"out of 192.168.0.0/24: one for the client, three for the network around "
			"it). When the block holds fewer than 4 addresses per allowed connection, "
			"the server runs out of addresses and later clients get none."),
		.remedy =
			N_("Set the SSL server's Client CIDR block to a block with at least 4 times as "
			"many addresses as the gateway's maximum number of SSL-VPN connections "
			"(each client takes a /30, 4 addresses; a /24 serves at most 64 clients), "
			"and make sure it overlaps neither the VPC nor the clients' own networks."),
		.message_id = "a7abacc983bc4046ad0806e2e2539c81",
	},
	[VD_CAUSE_VPN_APP_CONFLICT] = {
		.id = cause_id_VPN_APP_CONFLICT,
		.title = N_("Another VPN application conflicts"),
		.severity = VD_SEV_WARNING,
		.symptoms = {"connect-fails"},
		.suppressed_by = {NULL},
		.grace_s = 30,
		.description =
			N_("Another VPN is active on the client: other tun, tap, WireGuard, PPP or "
			"IPsec links, VPN programs such as openconnect, wg-quick, strongSwan's "
			"charon, vpnc or pppd, or a second OpenVPN on the same profile. They fight "
			"over routes and DNS, or take the default route or the VPC's routes."),
		.remedy =
			N_("Disconnect and stop the other VPN (and make sure only one OpenVPN runs "
			"per profile), then reconnect this one. If both must run, give them "
			"non-overlapping routes and turn off 'route all traffic' in the other."),
		.message_id = "a1c79aa66fd84fea9682a677e4305be0",
	},
	[VD_CAUSE_UNSTABLE_INTERNET] = {
		.id = cause_id_UNSTABLE_INTERNET,
		.title = N_("The internet path to the VPN gateway is unstable"),
		.severity = VD_SEV_WARNING,
		.symptoms = {"drops-periodically", "connected-loss"},
		/* Nothing answering is gateway-unreachable; UDP alone failing is
		 * udp-blocked; high RTT with UDP is the FAQ's long-distance case. */
		.suppressed_by = {"gateway-unreachable", "udp-blocked", "long-distance-udp", "vpn-port-silent",
		                  NETWORK_DOWN, NULL},
		.grace_s = 0,
		.description =
			N_("Packets between the client and the VPN gateway's public address are lost, "
			"delayed or arrive with large jitter outside the tunnel, so OpenVPN's "
			"keepalives time out (ping-restart) and the tunnel drops and reconnects."),
		.remedy =
			N_("The problem is on the client's internet connection or its provider, not in "
			"the VPN. Try another network (wired instead of Wi-Fi, another hotspot) to "
			"confirm, and contact the Internet Service Provider with the loss and "
			"latency figures in the evidence."),
		.message_id = "f615ade3c523477981dbc99474b28aa8",
		.settles = VD_SETTLE_ANY,
	},
	[VD_CAUSE_LONG_DISTANCE_UDP] = {
		.id = cause_id_LONG_DISTANCE_UDP,
		.title = N_("A long-distance UDP connection drops"),
		.severity = VD_SEV_WARNING,
		.symptoms = {"drops-periodically", "only-some-connect"},
		.suppressed_by = {"udp-blocked", "gateway-unreachable", "vpn-port-silent", NETWORK_DOWN, NULL},
		.grace_s = 0,
		.description =
			N_("Over long distances, such as between US (Silicon Valley) and Singapore, an "
			"SSL-VPN connection over UDP loses packets and the client is disconnected "
			"now and then while it reaches the VPC."),
		.remedy =
			N_("Change the SSL server's protocol to TCP in the VPN Gateway console, "
			"download the new client configuration (proto tcp) and reconnect; TCP "
			"retransmits what the long path loses. If TCP does not solve it, connect "
			"the client to the VPC through Cloud Enterprise Network (CEN) and Smart "
			"Access Gateway (SAG) instead of the public internet."),
		.message_id = "3162a0430f394ef2b422f8179464cab1",
		.settles = VD_SETTLE_ANY,
	},
	[VD_CAUSE_SERVER_CONFIG_CHANGED] = {
		.id = cause_id_SERVER_CONFIG_CHANGED,
		.title = N_("The SSL server's configuration changed"),
		.severity = VD_SEV_INFO,
		.symptoms = {"drops-periodically"},
		.suppressed_by = {NULL},
		.grace_s = 0,
		.description =
			N_("The SSL server's settings were modified, so the server reset the client's "
			"session and pushed different options (routes, DNS, cipher, topology). The "
			"disconnect that came with it is expected."),
		.remedy =
			N_("Reconnect the client after the SSL server's configuration has been "
			"changed. If the protocol, port, cipher or certificates changed, download "
			"the new client configuration first."),
		.message_id = "8bfd7acfe43a454caaf1b7b1b6333fb5",
	},
	[VD_CAUSE_CLIENT_EXCEPTION] = {
		.id = cause_id_CLIENT_EXCEPTION,
		.title = N_("The client or its VPN application misbehaves"),
		.severity = VD_SEV_ERROR,
		.symptoms = {"only-some-connect"},
		/* A reconnect loop or a dead process is what most connect failures look
		 * like from outside; blame the client only when none of them explains it. */
		.suppressed_by = {"config-invalid", "cert-expired", "clock-skew", "too-many-clients",
		                  "client-cidr-too-small", "vpn-app-conflict", "udp-blocked",
		                  "gateway-unreachable", "unstable-internet", "long-distance-udp",
		                  "vpn-port-silent", "proxy-failed", NETWORK_DOWN, NULL},
		.grace_s = 30,
		.description =
			N_("The OpenVPN client does not run as expected: its process has exited or "
			"crashed, it loops reconnecting, or its tun device is gone, so the client "
			"is disconnected from the SSL server."),
		.remedy =
			N_("Restart the VPN client (systemctl restart openvpn-client@NAME, or the "
			"desktop's VPN switch). If it happens again, reinstall OpenVPN and "
			"re-import the client configuration from the VPN Gateway console, and "
			"read the last lines of the OpenVPN log for the reason it stopped."),
		.message_id = "43577d4b7e52424d9681c14b6adfba84",
		.settles = VD_SETTLE_ANY,
	},
	[VD_CAUSE_CLOCK_SKEW] = {
		.id = cause_id_CLOCK_SKEW,
		.title = N_("Client and server clocks differ; TLS verification fails"),
		.severity = VD_SEV_ERROR,
		.symptoms = {"only-some-connect"},
		.suppressed_by = {NULL},
		.grace_s = 0,
		.description =
			N_("The client's clock differs from the SSL server's time by more than the "
			"SSL-VPN tolerates: the difference must not exceed 10 minutes (600 s). "
			"Beyond that, certificate checks in the TLS handshake fail and the client "
			"cannot connect. Offsets above 60 s are reported as a warning."),
		.remedy =
			N_("Set the client's system time to standard time and keep it synchronised: "
			"enable NTP (timedatectl set-ntp true, or chrony/systemd-timesyncd) and "
			"check the time zone. The difference to the server must stay within "
			"10 minutes (600 s). Then reconnect."),
		.message_id = "645fdcb4f8ca40f7a04be1dc0e32dd5b",
		/* the clock jump of a long sleep: NTP steps the clock back in line
		 * within the window, so an offset measured then is not the skew */
		.settles = VD_SETTLE_RESUME,
	},
	[VD_CAUSE_ICMP_BLOCKED_LOCALLY] = {
		.id = cause_id_ICMP_BLOCKED_LOCALLY,
		.title = N_("The client's firewall or ACL drops ICMP"),
		.severity = VD_SEV_WARNING,
		.symptoms = {"connected-no-ping", "ping-one-way"},
		.suppressed_by = {TUNNEL_DOWN, NULL},
		.grace_s = 0,
		.description =
			N_("The client's firewall or network ACL drops or rejects inbound ICMP echo "
			"requests on the tunnel, so hosts in the VPC cannot ping the client even "
			"though the client can ping them (Windows' firewall does this by default)."),
		.remedy =
			N_("Allow inbound ICMP echo requests on the tunnel interface in the client's "
			"firewall, for example 'nft add rule inet filter input iifname tun0 icmp "
			"type echo-request accept' (before the rule named in the evidence), or "
			"the matching ufw/firewalld rule; on Windows, enable 'File and Printer "
			"Sharing (Echo Request - ICMPv4-In)'."),
		.message_id = "6cd23e97d1d64feab3e3fb8967d27769",
		.settles = VD_SETTLE_ANY,
	},
	[VD_CAUSE_ASYMMETRIC_PATH] = {
		.id = cause_id_ASYMMETRIC_PATH,
		.title = N_("The path from the client to the VPC differs from the path back"),
		.severity = VD_SEV_WARNING,
		.symptoms = {"ping-one-way"},
		.suppressed_by = {TUNNEL_DOWN, "icmp-blocked-locally", NULL},
		.grace_s = 0,
		.description =
			N_("Pings from the client reach the VPC, but pings from the VPC to the client "
			"are lost although the client does not block them: the route from the VPC "
			"back to the client's tunnel address goes elsewhere, or an address is "
			"translated on the way."),
		.remedy =
			N_("Check the return route in the VPC: the route table of the VPC and vSwitch "
			"must send the client CIDR block to the VPN gateway, and no other route "
			"(another gateway, a NAT or a more specific entry) may capture it. Check "
			"that the source address the VPC host sees is the client's tunnel address."),
		.message_id = "099a6cf4e7834599bd0bf3e41cdbb699",
		.settles = VD_SETTLE_ANY,
	},
	[VD_CAUSE_DNS_NO_ROUTE] = {
		.id = cause_id_DNS_NO_ROUTE,
		.title = N_("No route sends DNS queries to the DNS server"),
		.severity = VD_SEV_ERROR,
		.symptoms = {"connected-no-dns"},
		.suppressed_by = {TUNNEL_DOWN, "local-network-missing", "ip-conflict", "vpn-app-conflict", NULL},
		.grace_s = 30,
		.description =
			N_("The DNS server the tunnel should use (pushed by the server or configured "
			"on the client) is not routed through the tunnel, or does not answer while "
			"the tunnel is up, so names in the VPC cannot be resolved."),
		.remedy =
			N_("Add the DNS server's address (or its VPC block) to the SSL server's Local "
			"Network so a route to it is pushed, or add 'route DNS_ADDRESS "
			"255.255.255.255' to the client configuration. Make the client use the "
			"pushed DNS server: with systemd-resolved install the update-systemd-"
			"resolved script (or use NetworkManager's OpenVPN plugin) so dhcp-option "
			"DNS is applied to the tunnel link."),
		.message_id = "90f3ef1c3e3a4f80858ef53105dbbbac",
		.settles = VD_SETTLE_ANY,
	},
	[VD_CAUSE_LOCAL_NETWORK_MISSING] = {
		.id = cause_id_LOCAL_NETWORK_MISSING,
		.title = N_("The SSL server's Local Network is missing or wrong"),
		.severity = VD_SEV_ERROR,
		.symptoms = {"connected-no-cloud"},
		.suppressed_by = {TUNNEL_DOWN, "ip-conflict", "vpn-app-conflict", "local-network-overlap", NULL},
		.grace_s = 30,
		.description =
			N_("The SSL server's Local Network parameter does not name the VPC or vSwitch "
			"blocks the client wants to reach, so no route for them is pushed and "
			"their traffic leaves outside the tunnel."),
		.remedy =
			N_("In the VPN Gateway console, set the SSL server's Local Network to the CIDR "
			"blocks of the VPCs or vSwitches the clients must reach (the targets in "
			"the evidence), then reconnect the client so the new routes are pushed."),
		.message_id = "a6a45999df7d4fcaa9aeb209aaacca2f",
		.settles = VD_SETTLE_ANY,
	},
	[VD_CAUSE_LOCAL_NETWORK_OVERLAP] = {
		.id = cause_id_LOCAL_NETWORK_OVERLAP,
		.title = N_("The Local Network overlaps the Client CIDR block"),
		.severity = VD_SEV_ERROR,
		.symptoms = {"connected-no-cloud"},
		.suppressed_by = {NULL},
		.grace_s = 0,
		.description =
			N_("A CIDR block in the SSL server's Local Network overlaps its Client CIDR "
			"block (Client Subnet), so the addresses given to clients and the VPC "
			"addresses they want to reach collide."),
		.remedy =
			N_("Check the SSL server's Local Network and Client Subnet in the VPN Gateway "
			"console and change one of them so they do not overlap, then reconnect."),
		.message_id = "9aa72cab934747fdb1d5979ee9ead731",
	},
	[VD_CAUSE_IPSEC_ROUTE_OVERLAP] = {
		.id = cause_id_IPSEC_ROUTE_OVERLAP,
		.title = N_("An IPsec-VPN route on the same gateway overlaps the client CIDR"),
		.severity = VD_SEV_WARNING,
		.symptoms = {"connected-no-cloud"},
		.suppressed_by = {NULL},
		.grace_s = 0,
		.description =
			N_("The VPN gateway of this SSL server also has an IPsec-VPN connection whose "
			"route (policy-based or destination-based) covers the SSL server's Client "
			"Subnet, so replies meant for SSL-VPN clients are sent into the IPsec "
			"tunnel instead."),
		.remedy =
			N_("Narrow the IPsec-VPN connection's route to the specific blocks it needs "
			"(change the policy-based or destination-based route), or move the SSL "
			"server's Client Subnet to a block that no IPsec route covers."),
		.message_id = "8da2265c3adf4b75a6cb4dd9280fea40",
	},
	[VD_CAUSE_SECURITY_GROUP] = {
		.id = cause_id_SECURITY_GROUP,
		.title = N_("A security group or ACL blocks the client"),
		.severity = VD_SEV_WARNING,
		.symptoms = {"connected-no-cloud"},
		.suppressed_by = {TUNNEL_DOWN, "ipsec-route-overlap", "local-network-missing", "ip-conflict",
		                  "local-network-overlap", "openvpn-version", NULL},
		.grace_s = 0,
		.description =
			N_("The tunnel works (the server end answers and the routes are right), but "
			"the VPC hosts do not answer: a security group rule of the instances, a "
			"network ACL of the vSwitch, or the client's own ACL keeps the VPC and the "
			"client from talking to each other."),
		.remedy =
			N_("Allow the client CIDR block in the inbound rules of the security groups of "
			"the instances the client must reach (the ports and ICMP it uses), and in "
			"the network ACL of their vSwitch; check the client's own ACL as well."),
		.message_id = "13ee6c2ff2104fb5bc687202d3f0b083",
		.settles = VD_SETTLE_ANY,
	},
	[VD_CAUSE_OPENVPN_VERSION] = {
		.id = cause_id_OPENVPN_VERSION,
		.title = N_("The OpenVPN version is too old or known to be bad"),
		.severity = VD_SEV_WARNING,
		.symptoms = {"connected-no-cloud", "cipher-differs"},
		.suppressed_by = {NULL},
		.grace_s = 0,
		.description =
			N_("The OpenVPN client is too old or too new for the gateway: releases before "
			"2.4.0 cannot negotiate the data cipher (NCP), and some releases have "
			"data-path bugs; OpenVPN 2.6.6 on Windows, for example, cannot ping cloud "
			"resources through the tunnel."),
		.remedy =
			N_("Install the OpenVPN version that the VPN Gateway documentation recommends: "
			"at least 2.4.0 so the cipher is negotiated, and not 2.6.6 on Windows; on "
			"Debian and Ubuntu use the distribution's current openvpn package."),
		.message_id = "858ffa53464843b1b64ea1764512007b",
	},
	[VD_CAUSE_GATEWAY_BANDWIDTH] = {
		.id = cause_id_GATEWAY_BANDWIDTH,
		.title = N_("Traffic exceeds the VPN gateway's bandwidth"),
		.severity = VD_SEV_WARNING,
		.symptoms = {"connected-loss", "connected-latency"},
		.suppressed_by = {TUNNEL_DOWN, NULL},
		.grace_s = 0,
		.description =
			N_("A sudden surge of traffic exceeds the maximum bandwidth of the VPN gateway: "
			"the tunnel carries close to the gateway's limit while loss or latency "
			"rises. The gateway's traffic monitoring in the VPN Gateway console shows "
			"the surge."),
		.remedy =
			N_("Check the VPN gateway's traffic monitoring in the console for bursts, and "
			"upgrade the VPN gateway to a higher bandwidth specification, or spread or "
			"limit the bulk transfers."),
		.message_id = "874ec2ce8a284b869f4bea69489ebc14",
		.settles = VD_SETTLE_ANY,
	},
	[VD_CAUSE_UDP_UNRELIABLE] = {
		.id = cause_id_UDP_UNRELIABLE,
		.title = N_("The SSL server uses UDP, which does not retransmit"),
		.severity = VD_SEV_WARNING,
		.symptoms = {"connected-loss"},
		.suppressed_by = {TUNNEL_DOWN, "gateway-bandwidth", "unstable-internet", "long-distance-udp", NULL},
		.grace_s = 0,
		.description =
			N_("The SSL-VPN connection runs over UDP, which does not retransmit lost "
			"datagrams: packets are lost inside the tunnel while the path to the "
			"gateway outside looks clean."),
		.remedy =
			N_("Change the SSL server's protocol from UDP to TCP in the VPN Gateway "
			"console, download the new client configuration (proto tcp) and reconnect."),
		.message_id = "d4d7604975ec47e69495d9ff49316dcf",
		.settles = VD_SETTLE_ANY,
	},
	[VD_CAUSE_GATEWAY_OLD_VERSION] = {
		.id = cause_id_GATEWAY_OLD_VERSION,
		.title = N_("The VPN gateway predates 2021-04-01 and forwards slowly"),
		.severity = VD_SEV_WARNING,
		.symptoms = {"connected-latency"},
		.suppressed_by = {TUNNEL_DOWN, "gateway-bandwidth", NULL},
		.grace_s = 0,
		.description =
			N_("VPN gateways created before 2021-04-01 run an older version whose "
			"forwarding does not keep up with heavy traffic: responses through the "
			"tunnel are slow although the path to the gateway is fast."),
		.remedy =
			N_("If the VPN gateway was created before 2021-04-01, upgrade it in the VPN "
			"Gateway console; later versions give SSL-VPN connections better "
			"performance."),
		.message_id = "b7354e3d91ab40f2a10d1c751d15a647",
		.settles = VD_SETTLE_ANY,
	},
	[VD_CAUSE_NCP_CIPHER] = {
		.id = cause_id_NCP_CIPHER,
		.title = N_("NCP negotiated a stronger cipher than the configured one"),
		.severity = VD_SEV_INFO,
		.symptoms = {"cipher-differs"},
		.suppressed_by = {NULL},
		.grace_s = 0,
		.description =
			N_("The SSL server and OpenVPN 2.4.0 and later negotiate the data channel "
			"cipher (NCP) and pick the strongest one both support, AES-256-GCM or "
			"AES-128-GCM by default, instead of the cipher configured for the SSL "
			"server. The log shows it as \"Data Channel: using negotiated cipher "
			"'AES-256-GCM'\". This is expected and safe."),
		.remedy =
			N_("Nothing needs fixing. Keep the client at OpenVPN 2.4.0 or later so the "
			"cipher is negotiated; Tunnelblick negotiates it by default too. To silence "
			"OpenVPN 2.6's warning, list the configured cipher in data-ciphers (for "
			"example data-ciphers AES-256-GCM:AES-128-GCM:AES-128-CBC)."),
		.message_id = "f6b88d96e5c44e6983daccc2914cf900",
	},
	[VD_CAUSE_OTHER] = {
		.id = cause_id_OTHER,
		.title = N_("Something else is wrong"),
		.severity = VD_SEV_WARNING,
		.symptoms = {NULL}, /* any */
		/* Every specific error cause explains OpenVPN's error lines better. */
		.suppressed_by = {"config-invalid", "cert-expired", "too-many-clients", "ip-conflict",
		                  "client-cidr-too-small", "client-exception", "clock-skew", "dns-no-route",
		                  "local-network-missing", "local-network-overlap", "udp-blocked",
		                  "gateway-unreachable", "vpn-port-silent", "proxy-failed", NETWORK_DOWN, NULL},
		.grace_s = 0,
		.description =
			N_("OpenVPN reports errors that match none of the known causes."),
		.remedy =
			N_("Read the OpenVPN log lines in the evidence (journalctl -u "
			"openvpn-client@NAME, or the file named by 'log') and troubleshoot from "
			"them; the VPN Gateway console's SSL-VPN connection logs show the server's "
			"side of the same events."),
		.message_id = "3797f957bdc949bb80bd8f6c45fc3472",
		.settles = VD_SETTLE_ANY,
	},
	[VD_CAUSE_UDP_BLOCKED] = {
		.id = cause_id_UDP_BLOCKED,
		.title = N_("A network on the way drops UDP to the gateway's port"),
		.severity = VD_SEV_ERROR,
		.symptoms = {"connect-fails", "drops-periodically"},
		.suppressed_by = {NETWORK_DOWN, NULL},
		.grace_s = 30,
		.description =
			N_("The VPN gateway's host answers (an OpenVPN handshake or a refusal over "
			"TCP, or ping after it answered over UDP from another network) but the "
			"OpenVPN handshake over UDP never does: a firewall or provider on the way "
			"drops UDP to the gateway's port, so a UDP tunnel cannot come up or stops "
			"after a while."),
		.remedy =
			N_("Change the SSL server's protocol to TCP in the VPN Gateway console and "
			"download the new client configuration (proto tcp), or use a network that "
			"lets UDP to the gateway's port through."),
		.message_id = "86b2a735737540d49dcc3e7ff97b044e",
		.beyond_faq = true,
		.settles = VD_SETTLE_ANY,
	},
	[VD_CAUSE_GATEWAY_UNREACHABLE] = {
		.id = cause_id_GATEWAY_UNREACHABLE,
		.title = N_("The VPN gateway cannot be reached"),
		.severity = VD_SEV_ERROR,
		.symptoms = {"connect-fails"},
		.suppressed_by = {NETWORK_DOWN, NULL},
		.grace_s = 30,
		.description =
			N_("Nothing answers at the gateway's public address: no OpenVPN handshake and "
			"no refusal over UDP or TCP, and no reply to ping; or the client has no "
			"default route, or the 'remote' name cannot be resolved."),
		.remedy =
			N_("Check the client's own internet access first (a default route, working "
			"DNS, no captive portal). Check that the 'remote' address and port in the "
			"profile are the VPN gateway's current public IP and the SSL server's port, "
			"and that the gateway and SSL server are running in the console."),
		.message_id = "102c527a05fd44a8aab0e1858b4d2d1b",
		.beyond_faq = true,
		.settles = VD_SETTLE_ANY,
	},
	[VD_CAUSE_MTU_BLACKHOLE] = {
		.id = cause_id_MTU_BLACKHOLE,
		.title = N_("Large packets through the tunnel are lost"),
		.severity = VD_SEV_WARNING,
		.symptoms = {"connected-no-cloud"},
		.suppressed_by = {TUNNEL_DOWN, NULL},
		.grace_s = 60,
		.description =
			N_("Small packets pass through the tunnel, but packets above some size vanish "
			"without an ICMP 'fragmentation needed' error, so pings work while web "
			"pages, file copies and SSH sessions hang."),
		.remedy =
			N_("Lower the tunnel MTU to the largest size that passes (tun-mtu in the "
			"client configuration, as given in the evidence) or clamp TCP with mssfix, "
			"and check that the networks on the way let ICMP 'fragmentation needed' "
			"through."),
		.message_id = "e7125029eb404baa9493e526a19b082b",
		.beyond_faq = true,
		.settles = VD_SETTLE_ANY,
	},
	[VD_CAUSE_VPN_PORT_SILENT] = {
		.id = cause_id_VPN_PORT_SILENT,
		.title = N_("The VPN gateway answers, but its OpenVPN port does not"),
		.severity = VD_SEV_ERROR,
		.symptoms = {"connect-fails"},
		.suppressed_by = {NETWORK_DOWN, NULL},
		.grace_s = 30,
		.description =
			N_("The gateway's host is there (it answers ping, or a handshake or refusal "
			"over the other protocol), but the port the profile names gives no OpenVPN "
			"answer over the tunnel's protocol: it is silent or refuses. Either the SSL "
			"server is not running or listens on another port or protocol than the "
			"profile says, or a network on the way drops that port; nothing seen from "
			"the client tells which."),
		.remedy =
			N_("In the VPN Gateway console, check that the SSL server is enabled and that "
			"its protocol and port match the profile's 'proto' and 'remote' (download "
			"the client configuration again if they changed), and reconnect. If they "
			"match, the port is blocked on the way: try TCP if the SSL server offers it "
			"(proto tcp), or another network."),
		.message_id = "fdd08363e4724793b9704cf7e0fdf272",
		.beyond_faq = true,
		.settles = VD_SETTLE_ANY,
	},
	[VD_CAUSE_CAPTIVE_PORTAL] = {
		.id = cause_id_CAPTIVE_PORTAL,
		.title = N_("The network the laptop is on wants a login first"),
		.severity = VD_SEV_ERROR,
		.symptoms = {"connect-fails"},
		.suppressed_by = {NULL},
		/* a state NetworkManager (or the HTTP check) holds, not a sample; 10 s
		 * let the check settle while a new network comes up */
		.grace_s = 10,
		.description =
			N_("The laptop is on a network with a captive portal (a hotel, airport or guest "
			"Wi-Fi): until someone logs in on the network's web page, it answers web "
			"requests with that page and drops or redirects everything else, so the VPN "
			"cannot reach its gateway. NetworkManager's connectivity check, or the "
			"daemon's own ([Connectivity] URL=), got the login page instead of the "
			"expected answer."),
		.remedy =
			N_("Open a web browser and log in to the network's page (open any http:// "
			"address if it does not appear by itself) and accept its terms, then "
			"reconnect the VPN. The finding clears once the network lets traffic "
			"through."),
		.message_id = "7c399af9d9ed4bdaa6db49d7605fa97c",
		.beyond_faq = true,
	},
	[VD_CAUSE_NO_INTERNET] = {
		.id = cause_id_NO_INTERNET,
		.title = N_("The network the laptop is on does not reach the internet"),
		.severity = VD_SEV_ERROR,
		.symptoms = {"connect-fails"},
		/* a login page is the more specific reason for the same silence */
		.suppressed_by = {"captive-portal", NULL},
		/* the network's own state, as captive-portal's: it does not settle;
		 * 30 s cover a Wi-Fi that associates after a resume */
		.grace_s = 30,
		.description =
			N_("The laptop is connected to a network (Wi-Fi or LAN) that does not reach the "
			"internet: NetworkManager's connectivity check, or the daemon's own "
			"([Connectivity] URL=), gets no answer at all, and the VPN gateway does not "
			"answer either. The fault is in the local network or its uplink, not in "
			"the VPN."),
		.remedy =
			N_("Check the local connection: the right Wi-Fi network and its signal, or the "
			"cable; restart the router, or ask the network's administrator. Once web "
			"pages load again, reconnect the VPN. Meanwhile another network (a phone's "
			"hotspot) shows whether the VPN itself works."),
		.message_id = "78eaf90cfe4f45ba8c8dfbec4e655147",
		.beyond_faq = true,
	},
	[VD_CAUSE_PROXY_FAILED] = {
		.id = cause_id_PROXY_FAILED,
		.title = N_("The proxy the profile names does not let the VPN through"),
		.severity = VD_SEV_ERROR,
		.symptoms = {"connect-fails"},
		.suppressed_by = {NETWORK_DOWN, NULL},
		.grace_s = 30,
		.description =
			N_("The client profile sends OpenVPN through a proxy (http-proxy or socks-proxy), "
			"and the proxy does not connect it to the VPN gateway: it refuses (an HTTP "
			"status such as 403, a SOCKS5 reply such as 'connection not allowed by "
			"ruleset'), wants credentials the profile does not give, or does not answer "
			"at all. OpenVPN reaches the gateway only through it, over TCP."),
		.remedy =
			N_("Ask the network's administrator whether the proxy lets a connection to the "
			"gateway's address and port through (many proxies allow CONNECT to port 443 "
			"only: the SSL server can listen on TCP 443), and put the credentials it "
			"wants in the authfile of http-proxy or socks-proxy (or "
			"<http-proxy-user-pass>). If the network needs no proxy, remove the "
			"directive from the profile and reconnect."),
		.message_id = "7691129abb664acf8a66908c21bdbc7d",
		.beyond_faq = true,
		.settles = VD_SETTLE_ANY,
	},
};
const size_t vd_n_causes = VD_ARRAY_SIZE(vd_causes);
/* A cause missing at the end shrinks the table; one missing in between leaves
 * a hole without an id (tests/unit/test_cause.c). */
_Static_assert(VD_ARRAY_SIZE(vd_causes) == VD_N_CAUSES, "a cause of causes.def has no catalogue entry");

const struct vd_cause *vd_cause_find(const char *id)
{
	int i = vd_cause_index(id);

	return i < 0 ? NULL : &vd_causes[i];
}

int vd_cause_index(const char *id)
{
	if (!id)
		return -1;
	for (size_t i = 0; i < vd_n_causes; i++)
		if (strcmp(vd_causes[i].id, id) == 0)
			return (int)i;
	return -1;
}

const struct vd_symptom *vd_symptom_find(const char *id)
{
	if (!id)
		return NULL;
	for (size_t i = 0; i < vd_n_symptoms; i++)
		if (strcmp(vd_symptoms[i].id, id) == 0)
			return &vd_symptoms[i];
	return NULL;
}

cJSON *vd_cause_to_json(const struct vd_cause *c)
{
	cJSON *o, *a;

	if (!c)
		return NULL;
	o = cJSON_CreateObject();
	if (!o)
		return NULL;
	if (!cJSON_AddStringToObject(o, "id", c->id) || !cJSON_AddStringToObject(o, "title", c->title) ||
	    !cJSON_AddStringToObject(o, "severity", vd_severity_name(c->severity)))
		goto fail;
	a = cJSON_AddArrayToObject(o, "symptoms");
	if (!a)
		goto fail;
	for (size_t i = 0; c->symptoms[i]; i++) {
		const struct vd_symptom *s = vd_symptom_find(c->symptoms[i]);
		cJSON *so = cJSON_CreateObject();

		if (!so)
			goto fail;
		cJSON_AddItemToArray(a, so);
		if (!cJSON_AddStringToObject(so, "id", c->symptoms[i]) ||
		    !cJSON_AddStringToObject(so, "question", s ? s->question : ""))
			goto fail;
	}
	a = cJSON_AddArrayToObject(o, "suppressed_by");
	if (!a)
		goto fail;
	for (size_t i = 0; c->suppressed_by[i]; i++) {
		cJSON *s = cJSON_CreateString(c->suppressed_by[i]);
		if (!s)
			goto fail;
		cJSON_AddItemToArray(a, s);
	}
	if (!cJSON_AddNumberToObject(o, "grace_s", c->grace_s) ||
	    !cJSON_AddStringToObject(o, "description", c->description) ||
	    !cJSON_AddStringToObject(o, "remedy", c->remedy) ||
	    !cJSON_AddStringToObject(o, "message_id", c->message_id) ||
	    !cJSON_AddBoolToObject(o, "beyond_faq", c->beyond_faq) || !(a = cJSON_AddArrayToObject(o, "settles")))
		goto fail;
	if (((c->settles & VD_SETTLE_RESUME) && !cJSON_AddItemToArray(a, cJSON_CreateString("resume"))) ||
	    ((c->settles & VD_SETTLE_ROAM) && !cJSON_AddItemToArray(a, cJSON_CreateString("roam"))))
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

/* ---- a sampled cause's tests (vd_rule_tests_add_json, vpndoctor/rules.h) ---- */

static bool add_num(cJSON *o, const char *k, double v)
{
	/* JSON has no infinity: a figure that never comes is left out */
	return !isfinite(v) || cJSON_AddNumberToObject(o, k, v);
}

int vd_rule_tests_add_json(const char *cause_id, cJSON *entry)
{
	const struct vd_sprt_spec *const *t = vd_rule_tests(cause_id), *c;
	double total = 0;
	cJSON *a;

	if (!t)
		return 0;
	if (!(a = cJSON_AddArrayToObject(entry, "tests")))
		return -ENOMEM;
	for (size_t i = 0; t[i]; i++) {
		const struct vd_sampling *sm = vd_sampling_find(t[i]->section);
		struct vd_sprt_limits l;
		char name[64];
		cJSON *o = cJSON_CreateObject();
		double fa = vd_test_false_alarms(t[i], 30);

		if (!o)
			return -ENOMEM;
		cJSON_AddItemToArray(a, o);
		if (vd_sprt_limits(t[i], &l) < 0)
			return -EINVAL; /* the table is wrong: the unit test says which */
		snprintf(name, sizeof(name), "%s.%s", t[i]->section, t[i]->key);
		total += fa;
		if (!cJSON_AddStringToObject(o, "test", name) || !cJSON_AddStringToObject(o, "event", t[i]->meaning) ||
		    (t[i]->event != VD_SPRT_EV_LOST && !add_num(o, "bound_ms", t[i]->bound_ms)) ||
		    !add_num(o, "p0", t[i]->p0) || !add_num(o, "p1", t[i]->p1) || !add_num(o, "alpha", t[i]->alpha) ||
		    !add_num(o, "beta", t[i]->beta) || !add_num(o, "upper", l.upper) || !add_num(o, "lower", l.lower) ||
		    (t[i]->after && !cJSON_AddStringToObject(o, "follows", t[i]->after)) ||
		    !add_num(o, "max_samples_per_s", vd_sampling_max_rate(sm, sm ? sm->slow_s : 0)) ||
		    !add_num(o, "false_alarms_per_30_days", fa) ||
		    !add_num(o, "samples_to_open", vd_sprt_arl_open(&l, t[i]->p1)) ||
		    !add_num(o, "samples_to_resolve", vd_sprt_arl_resolve(&l, t[i]->p0)))
			return -ENOMEM;
	}
	if ((c = vd_rule_clean_test(cause_id))) {
		char name[64];
		cJSON *o = cJSON_AddObjectToObject(entry, "clean");

		if (!o)
			return -ENOMEM;
		snprintf(name, sizeof(name), "%s.%s", c->section, c->key);
		if (!cJSON_AddStringToObject(o, "test", name) || !add_num(o, "p0", c->p0) || !add_num(o, "p1", c->p1) ||
		    !add_num(o, "beta", vd_loss_clean_beta()) || !add_num(o, "evidence_at_most", vd_loss_clean_evidence()) ||
		    !add_num(o, "samples_clean", vd_loss_clean_samples_at(0)) ||
		    !add_num(o, "samples_at_p0", vd_loss_clean_samples_at(c->p0)) ||
		    !add_num(o, "max_samples", vd_loss_clean_samples()))
			return -ENOMEM;
	}
	return add_num(entry, "false_alarms_per_30_days", total) ? 0 : -ENOMEM;
}
