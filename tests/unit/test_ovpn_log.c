/* lib/ovpn_log.c: OpenVPN 2.4-2.6 log lines to events, and PUSH_REPLY options. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vpndoctor/ovpn_log.h"

struct sample {
	const char *line;
	enum vd_log_event event;
	const char *arg; /* NULL: not checked */
};

#define PUSH_2614                                                                                   \
	"PUSH: Received control message: 'PUSH_REPLY,dhcp-option DNS 172.16.1.10,route 172.16.1.0 "   \
	"255.255.255.0,topology net30,ping 10,ping-restart 60,ifconfig 10.8.0.6 10.8.0.5,peer-id 0,"   \
	"cipher AES-256-GCM'"
#define PUSH_2614_ARG                                                                               \
	"dhcp-option DNS 172.16.1.10,route 172.16.1.0 255.255.255.0,topology net30,ping 10,"           \
	"ping-restart 60,ifconfig 10.8.0.6 10.8.0.5,peer-id 0,cipher AES-256-GCM"

/* Lines as OpenVPN 2.6.14 printed them here, and 2.4/2.5 wordings from their source. */
static const struct sample samples[] = {
	{"Initialization Sequence Completed", VD_LOG_CONNECTED, ""},
	{"Initialization Sequence Completed With Errors ( see http://openvpn.net/faq.html#dhcpclientserv )",
	 VD_LOG_CONNECTED, "with errors"},
	{"Data Channel: cipher 'AES-256-GCM', peer-id: 0", VD_LOG_DATA_CIPHER, "AES-256-GCM"},
	{"Data Channel: cipher 'AES-128-CBC', auth 'SHA1', peer-id: 0", VD_LOG_DATA_CIPHER, "AES-128-CBC"},
	{"Data Channel: using negotiated cipher 'AES-256-GCM'", VD_LOG_DATA_CIPHER, "AES-256-GCM"},
	{"Data Channel Encrypt: Cipher 'AES-256-GCM' initialized with 256 bit key", VD_LOG_DATA_CIPHER,
	 "AES-256-GCM"},
	{"Outgoing Data Channel: Cipher 'AES-256-GCM' initialized with 256 bit key", VD_LOG_DATA_CIPHER,
	 "AES-256-GCM"},
	{"Incoming Data Channel: Cipher 'CHACHA20-POLY1305' initialized with 256 bit key",
	 VD_LOG_DATA_CIPHER, "CHACHA20-POLY1305"},
	{"Outgoing Data Channel: Using 160 bit message hash 'SHA1' for HMAC authentication", VD_LOG_NONE,
	 ""},
	{"WARNING: Your certificate has expired!", VD_LOG_CERT_EXPIRED, "local"},
	{"WARNING: Your certificate is not yet valid!", VD_LOG_CERT_NOT_YET_VALID, "local"},
	{"TLS Error: TLS key negotiation failed to occur within 60 seconds (check your network "
	 "connectivity)",
	 VD_LOG_TLS_TIMEOUT, "60"},
	{"TLS Error: TLS key negotiation failed to occur within 20 seconds (check your network "
	 "connectivity)",
	 VD_LOG_TLS_TIMEOUT, "20"},
	{"TLS Error: TLS handshake failed", VD_LOG_TLS_HANDSHAKE_FAILED, ""},
	{"TLS Error: incoming packet authentication failed from [AF_INET]198.18.0.1:1194",
	 VD_LOG_TLS_HANDSHAKE_FAILED, "incoming packet authentication failed from [AF_INET]198.18.0.1:1194"},
	{"TLS Error: tls-crypt unwrapping failed from [AF_INET]198.18.0.1:1194",
	 VD_LOG_TLS_HANDSHAKE_FAILED, NULL},
	{"OpenSSL: error:0A000415:SSL routines::sslv3 alert certificate expired:ssl/record/rec_layer_s3.c:1605:SSL alert number 45",
	 VD_LOG_CERT_EXPIRED, "local"},
	{"OpenSSL: error:0A000418:SSL routines::tlsv1 alert unknown ca:ssl/record/rec_layer_s3.c:1605:SSL alert number 48",
	 VD_LOG_TLS_HANDSHAKE_FAILED,
	 "error:0A000418:SSL routines::tlsv1 alert unknown ca:ssl/record/rec_layer_s3.c:1605:SSL alert number 48"},
	{"OpenSSL: error:0A000086:SSL routines::certificate verify failed", VD_LOG_ERROR_OTHER, NULL},
	{"TLS_ERROR: BIO read tls_read_plaintext error", VD_LOG_ERROR_OTHER, NULL},
	{"TLS Error: TLS object -> incoming plaintext read error", VD_LOG_ERROR_OTHER, NULL},
	{"SIGUSR1[soft,tls-error] received, process restarting", VD_LOG_RESTARTING, "tls-error"},
	{"SIGUSR1[soft,ping-restart] received, process restarting", VD_LOG_RESTARTING, "ping-restart"},
	{"SIGUSR1[soft,server-pushed-connection-reset] received, process restarting", VD_LOG_RESTARTING,
	 "server-pushed-connection-reset"},
	{"SIGUSR1[connection failed(soft),connection-failed] received, process restarting",
	 VD_LOG_RESTARTING, "connection-failed"},
	{"SIGHUP[hard,] received, process restarting", VD_LOG_RESTARTING, "SIGHUP"},
	{"SIGTERM[hard,] received, process exiting", VD_LOG_EXITING, "SIGTERM"},
	{"SIGINT[hard,] received, process exiting", VD_LOG_EXITING, "SIGINT"},
	{"SIGTERM[soft,auth-failure] received, process exiting", VD_LOG_EXITING, "auth-failure"},
	{"SIGUSR1[soft,ping-restart] received, client-instance restarting", VD_LOG_NONE, ""},
	{"SIGUSR1[soft,tls-error] received, process", VD_LOG_NONE, ""},
	{"SIGNAL", VD_LOG_NONE, ""},
	{"Inactivity timeout (--ping-restart), restarting", VD_LOG_PING_RESTART, ""},
	{"[server] Inactivity timeout (--ping-restart), restarting", VD_LOG_PING_RESTART, ""},
	{"Inactivity timeout (--ping-exit), exiting", VD_LOG_EXITING, "ping-exit"},
	{"Inactivity timeout (--inactive), exiting", VD_LOG_EXITING, "inactive"},
	{"Connection reset command was pushed by server ('')", VD_LOG_SERVER_RESET, ""},
	{"Connection reset command was pushed by server ('maintenance')", VD_LOG_SERVER_RESET,
	 "maintenance"},
	{"Connection reset, restarting [-1]", VD_LOG_CONNECTION_RESET, "-1"},
	{"Connection reset, restarting [0]", VD_LOG_CONNECTION_RESET, "0"},
	{"NOTE: Pulled options changed on restart, will need to close and reopen TUN/TAP device.",
	 VD_LOG_PULLED_CHANGED, ""},
	{PUSH_2614, VD_LOG_PUSH_REPLY, PUSH_2614_ARG},
	{"PUSH: Received control message: 'PUSH_REPLY'", VD_LOG_PUSH_REPLY, ""},
	{"PUSH: Received control message: 'PUSH_REQUEST'", VD_LOG_NONE, ""},
	{"PUSH: Received control message: 'PUSH_REPLYX,route 1.2.3.4'", VD_LOG_NONE, ""},
	{"DEPRECATED OPTION: --cipher set to 'AES-128-CBC' but missing in --data-ciphers "
	 "(AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305). OpenVPN ignores --cipher for cipher "
	 "negotiations. ",
	 VD_LOG_DEPRECATED_CIPHER, "AES-128-CBC"},
	{"DEPRECATED OPTION: --cipher set to 'BF-CBC' but missing in --data-ciphers "
	 "(AES-256-GCM:AES-128-GCM). Future OpenVPN version will ignore --cipher for cipher "
	 "negotiations. Add 'BF-CBC' to --data-ciphers or change --cipher 'BF-CBC' to "
	 "--data-ciphers-fallback 'BF-CBC' to silence this warning.",
	 VD_LOG_DEPRECATED_CIPHER, "BF-CBC"},
	{"DEPRECATED OPTION: --max-routes option ignored.", VD_LOG_NONE, ""},
	{"VERIFY ERROR: depth=0, error=certificate has expired: CN=client, serial=2", VD_LOG_CERT_EXPIRED,
	 "depth=0, error=certificate has expired: CN=client, serial=2"},
	{"VERIFY ERROR: depth=0, error=certificate is not yet valid: CN=server, serial=1",
	 VD_LOG_CERT_NOT_YET_VALID, "depth=0, error=certificate is not yet valid: CN=server, serial=1"},
	{"VERIFY ERROR: depth=0, error=unable to get local issuer certificate: CN=server, serial=1",
	 VD_LOG_VERIFY_ERROR, "depth=0, error=unable to get local issuer certificate: CN=server, serial=1"},
	{"VERIFY X509NAME ERROR: CN=evil, must be server", VD_LOG_VERIFY_ERROR, "CN=evil, must be server"},
	{"VERIFY KU ERROR", VD_LOG_VERIFY_ERROR, "VERIFY KU ERROR"},
	{"VERIFY EKU ERROR", VD_LOG_VERIFY_ERROR, NULL},
	{"VERIFY OK: depth=0, CN=server", VD_LOG_NONE, ""},
	{"VERIFY ERRORS: x", VD_LOG_ERROR_OTHER, NULL},
	{"MULTI: new incoming connection would exceed maximum number of clients (1)", VD_LOG_MAX_CLIENTS,
	 "1"},
	{"AUTH: Received control message: AUTH_FAILED", VD_LOG_AUTH_FAILED, ""},
	{"AUTH: Received control message: AUTH_FAILED,session expired", VD_LOG_AUTH_FAILED,
	 "session expired"},
	{"AUTH: Received control message: AUTH_PENDING,timeout 180", VD_LOG_NONE, ""},
	{"TLS Auth Error: Auth Username/Password verification failed for peer", VD_LOG_AUTH_FAILED, NULL},
	{"Options error: --ca fails with 'ca.crt': No such file or directory (errno=2)",
	 VD_LOG_OPTIONS_ERROR, "--ca fails with 'ca.crt': No such file or directory (errno=2)"},
	{"Options error: In [CMD-LINE]:1: Error opening configuration file: nope.conf",
	 VD_LOG_OPTIONS_ERROR, "In [CMD-LINE]:1: Error opening configuration file: nope.conf"},
	{"ERROR: Linux route add command failed: external program exited with error status: 2",
	 VD_LOG_ROUTE_ERROR, NULL},
	{"ERROR: Linux route add command failed", VD_LOG_ROUTE_ERROR, "ERROR: Linux route add command failed"},
	{"ERROR: Windows route add command failed [adaptive]", VD_LOG_ROUTE_ERROR, NULL},
	{"NOTE: Linux route add command failed because route exists", VD_LOG_ROUTE_ERROR, NULL},
	{"ROUTE: route addition failed using service: The object already exists. [status=5010 if_index=12]",
	 VD_LOG_ROUTE_ERROR, NULL},
	{"ERROR: Cannot open TUN/TAP dev /dev/net/tun: No such file or directory (errno=2)",
	 VD_LOG_TUN_ERROR, "ERROR: Cannot open TUN/TAP dev /dev/net/tun: No such file or directory (errno=2)"},
	{"ERROR: Cannot ioctl TUNSETIFF tun0: Operation not permitted (errno=1)", VD_LOG_TUN_ERROR, NULL},
	{"Cannot open TUN/TAP dev /dev/tun0: Permission denied (errno=13)", VD_LOG_TUN_ERROR, NULL},
	{"Linux ip addr add failed: external program exited with error status: 2", VD_LOG_TUN_ERROR, NULL},
	{"All TAP-Windows adapters on this system are currently in use or disabled.", VD_LOG_TUN_ERROR, NULL},
	{"TAP-Windows adapter 'OpenVPN TAP' not found", VD_LOG_TUN_ERROR, NULL},
	{"TUN/TAP device tun0 opened", VD_LOG_NONE, ""},
	{"RESOLVE: Cannot resolve host address: vpn.example.com:1194 (Name or service not known)",
	 VD_LOG_RESOLVE_ERROR, "vpn.example.com"},
	{"RESOLVE: Cannot resolve host address: vpn.example.com:1194 (Temporary failure in name "
	 "resolution) (I would have retried this name query if you had specified the --resolv-retry "
	 "option.)",
	 VD_LOG_RESOLVE_ERROR, "vpn.example.com"},
	{"Exiting due to fatal error", VD_LOG_EXITING, "fatal-error"},
	{"TLS: Initial packet from [AF_INET]198.18.0.1:1194, sid=5a1c2a1c 8a1b2c3d", VD_LOG_TLS_INITIAL_PACKET,
	 "[AF_INET]198.18.0.1:1194"},
	{"[server] Peer Connection Initiated with [AF_INET]198.18.0.1:1194", VD_LOG_PEER_CONNECTION,
	 "[AF_INET]198.18.0.1:1194"},
	{"198.18.0.2:51234 [client1] Peer Connection Initiated with [AF_INET]198.18.0.2:51234",
	 VD_LOG_PEER_CONNECTION, "[AF_INET]198.18.0.2:51234"},
	{"Note: --data-cipher-fallback with cipher 'BF-CBC' disables data channel offload.", VD_LOG_NONE, ""},
	{"write to TUN/TAP : Input/output error (fd=-1,code=5)", VD_LOG_ERROR_OTHER, NULL},
	{"Cannot load certificate file client.crt", VD_LOG_OPTIONS_ERROR, "Cannot load certificate file client.crt"},
	{"Cannot load private key file [[INLINE]]", VD_LOG_OPTIONS_ERROR, NULL},
	{"Error: private key password verification failed", VD_LOG_OPTIONS_ERROR, NULL},
	{"sitnl_send: rtnl: generic error (-17): File exists", VD_LOG_ERROR_OTHER,
	 "sitnl_send: rtnl: generic error (-17): File exists"},
	{"FATAL: Cannot allocate memory", VD_LOG_ERROR_OTHER, NULL},
	{"Some terrors and ferrors and Errorless lines", VD_LOG_NONE, ""},
	{"UDPv4 link remote: [AF_INET]198.18.0.1:1194", VD_LOG_NONE, ""},
	/* manage.c's echo of its own conversation, seen in the lab: not an error */
	{"MANAGEMENT: >STATE:1795775090,RECONNECTING,tls-error,,,,,", VD_LOG_NONE, ""},
	{"MANAGEMENT: CMD 'log on all'", VD_LOG_NONE, ""},
	{"", VD_LOG_NONE, ""},
	{"   ", VD_LOG_NONE, ""},
};

static void test_samples(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		const struct sample *s = &samples[i];
		struct vd_log_line l;
		enum vd_log_event e = vd_ovpn_log_classify(s->line, strlen(s->line), &l);
		if (e != s->event || l.event != e)
			fail_msg("\"%s\": %s, want %s", s->line, vd_log_event_name(e),
				 vd_log_event_name(s->event));
		if (s->arg && strcmp(l.arg, s->arg) != 0)
			fail_msg("\"%s\": arg \"%s\", want \"%s\"", s->line, l.arg, s->arg);
	}
}

/* Every sample again behind each prefix a log source puts in front. */
static void test_prefixes(void **state)
{
	static const char *const prefixes[] = {
		"2026-11-27 10:00:00 ",
		"2026-11-27 10:00:00 us=123456 ",
		"Fri Nov 27 10:00:00 2026 ",
		"Sat Nov  7 09:05:01 2026 ",
		"1795770000.123456 1 ",
		"1795770000.123456 2a ",
		"Nov 27 10:00:00 laptop openvpn[1234]: ",
		"2026-11-27T10:00:00+0100 laptop ovpn-office[4567]: ",
		"ovpn-client[1]: ",
		"Nov 27 10:00:00 laptop openvpn[1234]: 2026-11-27 10:00:00 ",
		">LOG:1795770000,W,",
		">LOG:1795770000,,",
		"  ",
	};
	char line[2048];

	(void)state;
	for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++)
		for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
			const struct sample *s = &samples[i];
			struct vd_log_line l;
			snprintf(line, sizeof(line), "%s%s\r\n", prefixes[p], s->line);
			enum vd_log_event e = vd_ovpn_log_classify(line, strlen(line), &l);
			if (e != s->event)
				fail_msg("\"%s\": %s, want %s", line, vd_log_event_name(e),
					 vd_log_event_name(s->event));
			if (s->arg && strcmp(l.arg, s->arg) != 0)
				fail_msg("\"%s\": arg \"%s\", want \"%s\"", line, l.arg, s->arg);
			/* every prefix but white space says it is a log line */
			if (s->line[strspn(s->line, " \t")] && l.stamped != (prefixes[p][0] != ' '))
				fail_msg("\"%s\": stamped %d", line, l.stamped);
		}
}

/* A line without OpenVPN's prefixes may be any file's: it still counts,
 * but says it is not known to be a log line (its text is not quoted). */
static void test_stamped(void **state)
{
	struct vd_log_line l;

	(void)state;
	assert_int_equal(vd_ovpn_log_classify("ROOTONLY_SECRET error", 21, &l), VD_LOG_ERROR_OTHER);
	assert_false(l.stamped);
	assert_int_equal(vd_ovpn_log_classify("2026-11-27 10:00:00 ERROR: x", 28, &l), VD_LOG_ERROR_OTHER);
	assert_true(l.stamped);
}

static void test_server_prefix(void **state)
{
	struct vd_log_line l;
	const char *a = "2026-11-27 10:00:00 client1/198.18.0.2:51234 VERIFY ERROR: depth=0, "
			"error=certificate has expired: CN=client1, serial=2";
	const char *b = "198.18.0.2:51234 TLS Error: TLS handshake failed";
	const char *c = "client1/198.18.0.2:51234 SIGUSR1[soft,ping-restart] received, client-instance restarting";

	(void)state;
	assert_int_equal(vd_ovpn_log_classify(a, strlen(a), &l), VD_LOG_CERT_EXPIRED);
	assert_string_equal(l.arg, "depth=0, error=certificate has expired: CN=client1, serial=2");
	assert_int_equal(vd_ovpn_log_classify(b, strlen(b), &l), VD_LOG_TLS_HANDSHAKE_FAILED);
	assert_int_equal(vd_ovpn_log_classify(c, strlen(c), &l), VD_LOG_NONE);
}

static void test_len_and_nul(void **state)
{
	struct vd_log_line l;
	const char *s = "Initialization Sequence Completed";

	(void)state;
	/* len bounds the line: a prefix of it is not the message. */
	assert_int_equal(vd_ovpn_log_classify(s, 10, &l), VD_LOG_NONE);
	/* an embedded NUL ends it */
	const char nul[] = "TLS Error: TLS handshake failed\0 and more";
	assert_int_equal(vd_ovpn_log_classify(nul, sizeof(nul) - 1, &l), VD_LOG_TLS_HANDSHAKE_FAILED);
	const char nul2[] = "TLS Error: TLS hand\0shake failed";
	assert_int_equal(vd_ovpn_log_classify(nul2, sizeof(nul2) - 1, &l), VD_LOG_ERROR_OTHER);
	assert_int_equal(vd_ovpn_log_classify(NULL, 5, &l), VD_LOG_NONE);
	assert_int_equal(vd_ovpn_log_classify(s, strlen(s), NULL), VD_LOG_CONNECTED);
	assert_int_equal(vd_ovpn_log_classify("", 0, &l), VD_LOG_NONE);
	assert_string_equal(l.arg, "");
}

static void test_long_lines(void **state)
{
	static char big[64 * 1024];
	struct vd_log_line l;

	(void)state;
	/* A PUSH_REPLY longer than arg: cut at the last whole option, never mid-option. */
	size_t n = (size_t)snprintf(big, sizeof(big), "PUSH: Received control message: 'PUSH_REPLY");
	for (int i = 0; n < 3000; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, ",route 10.%d.%d.0 255.255.255.0",
				      i / 250, i % 250);
	n += (size_t)snprintf(big + n, sizeof(big) - n, ",ping-restart 120'");
	assert_int_equal(vd_ovpn_log_classify(big, n, &l), VD_LOG_PUSH_REPLY);
	size_t an = strlen(l.arg);
	assert_true(an < sizeof(l.arg));
	assert_true(an > sizeof(l.arg) - 64);
	assert_non_null(strstr(big, l.arg));
	assert_true(big[strlen("PUSH: Received control message: 'PUSH_REPLY,") + an] == ',');
	assert_null(strstr(l.arg, "ping-restart"));

	/* 64 KiB of anything: no crash, arg bounded. */
	memset(big, 'E', sizeof(big));
	memcpy(big, "ERROR: ", 7);
	assert_int_equal(vd_ovpn_log_classify(big, sizeof(big), &l), VD_LOG_ERROR_OTHER);
	assert_int_equal(strlen(l.arg), sizeof(l.arg) - 1);
	memset(big, '[', sizeof(big));
	assert_int_equal(vd_ovpn_log_classify(big, sizeof(big), &l), VD_LOG_NONE);
}

static void test_names(void **state)
{
	static const char *const want[VD_LOG__MAX] = {
		"none", "connected", "tls-timeout", "tls-handshake-failed", "cert-expired",
		"cert-not-yet-valid", "verify-error", "options-error", "auth-failed", "ping-restart",
		"server-reset", "connection-reset", "restarting", "push-reply", "pulled-changed",
		"data-cipher", "deprecated-cipher", "route-error", "tun-error", "resolve-error",
		"max-clients", "exiting", "tls-initial-packet", "peer-connection", "error-other",
	};

	(void)state;
	for (int e = 0; e < VD_LOG__MAX; e++)
		assert_string_equal(vd_log_event_name((enum vd_log_event)e), want[e]);
	assert_string_equal(vd_log_event_name(VD_LOG__MAX), "none");
	assert_string_equal(vd_log_event_name((enum vd_log_event)-1), "none");
}

static void test_pushed_2614(void **state)
{
	struct vd_pushed p;
	struct vd_log_line l;

	(void)state;
	assert_int_equal(vd_ovpn_log_classify(PUSH_2614, strlen(PUSH_2614), &l), VD_LOG_PUSH_REPLY);
	assert_int_equal(vd_pushed_parse(l.arg, &p), 0);
	assert_int_equal(p.n_routes, 1);
	assert_string_equal(p.routes[0], "172.16.1.0/24");
	assert_int_equal(p.n_dns, 1);
	assert_string_equal(p.dns[0], "172.16.1.10");
	assert_string_equal(p.topology, "net30");
	assert_string_equal(p.cipher, "AES-256-GCM");
	assert_string_equal(p.ifconfig_local, "10.8.0.6");
	assert_string_equal(p.ifconfig_remote, "10.8.0.5");
	assert_int_equal(p.ping, 10);
	assert_int_equal(p.ping_restart, 60);
	assert_string_equal(p.domain, "");
}

static void test_pushed_more(void **state)
{
	struct vd_pushed p;

	(void)state;
	assert_int_equal(
		vd_pushed_parse("PUSH_REPLY,route-gateway 10.8.0.1,topology subnet,ifconfig 10.8.0.2 "
				"255.255.255.0,route 192.168.0.0 255.255.0.0 10.8.0.1 5,route 10.9.9.9,"
				"route-ipv6 fd00:1::1/64,dhcp-option DNS6 FD00::53,dhcp-option DOMAIN "
				"vpc.internal,dns server 0 address 172.16.1.11 172.16.1.10,"
				"dhcp-option DNS 172.16.1.10,route vpn_gateway 255.255.255.255,"
				"route 172.16.1.5 255.255.255.0,route 10.0.0.0 255.0.255.0,"
				"route 192.168.0.0 255.255.0.0,ping x,ping-restart -1,unknown-option 1 2 3,"
				",  ,explicit-exit-notify",
				&p),
		0);
	assert_string_equal(p.topology, "subnet");
	assert_string_equal(p.ifconfig_local, "10.8.0.2");
	assert_string_equal(p.ifconfig_remote, "255.255.255.0");
	assert_int_equal(p.n_routes, 3); /* bad and duplicate routes skipped */
	assert_string_equal(p.routes[0], "192.168.0.0/16");
	assert_string_equal(p.routes[1], "10.9.9.9/32");
	assert_string_equal(p.routes[2], "fd00:1::/64");
	assert_int_equal(p.n_dns, 3);
	assert_string_equal(p.dns[0], "fd00::53");
	assert_string_equal(p.dns[1], "172.16.1.11");
	assert_string_equal(p.dns[2], "172.16.1.10");
	assert_string_equal(p.domain, "vpc.internal");
	assert_int_equal(p.ping, 0);
	assert_int_equal(p.ping_restart, 0);

	/* later values win, as OpenVPN applies options in order */
	assert_int_equal(vd_pushed_parse("ping 10,ping 5,cipher AES-128-GCM,cipher AES-256-GCM", &p), 0);
	assert_int_equal(p.ping, 5);
	assert_string_equal(p.cipher, "AES-256-GCM");
	assert_int_equal(vd_pushed_parse("", &p), 0);
	assert_int_equal(p.n_routes, 0);
	assert_int_equal(vd_pushed_parse("PUSH_REPLY", &p), 0);
	assert_int_equal(vd_pushed_parse("ping 4294967295,ping-restart 4294967296", &p), 0);
	assert_int_equal(p.ping, 4294967295u);
	assert_int_equal(p.ping_restart, 0);
}

static void test_pushed_bounds(void **state)
{
	static char buf[16384];
	struct vd_pushed p;
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "route 10.%d.0.0 255.255.0.0,dhcp-option DNS 10.%d.0.53,",
				      i, i);
	/* fields too long are ignored, not cut */
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "topology ");
	memset(buf + n, 't', 100);
	n += 100;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, ",cipher ");
	memset(buf + n, 'c', 600); /* longer than one option may be */
	n += 600;
	buf[n] = '\0';
	assert_int_equal(vd_pushed_parse(buf, &p), 0);
	assert_int_equal(p.n_routes, 16);
	assert_string_equal(p.routes[15], "10.15.0.0/16");
	assert_int_equal(p.n_dns, 8);
	assert_string_equal(p.dns[7], "10.7.0.53");
	assert_string_equal(p.topology, "");
	assert_string_equal(p.cipher, "");
}

static void test_pushed_bad(void **state)
{
	struct vd_pushed p = {.ping = 77};

	(void)state;
	assert_int_equal(vd_pushed_parse(NULL, &p), -EINVAL);
	assert_int_equal(vd_pushed_parse("route 1.2.3.4", NULL), -EINVAL);
	assert_int_equal(vd_pushed_parse("PUSH_REQUEST", &p), -EINVAL);
	assert_int_equal(vd_pushed_parse("PUSH_REPLYX,route 1.2.3.4", &p), -EINVAL);
	assert_int_equal(vd_pushed_parse("AUTH_FAILED,nope", &p), -EINVAL);
	assert_int_equal(vd_pushed_parse("route 1.2.3.4\n,ping 3", &p), -EINVAL);
	assert_int_equal(vd_pushed_parse("ping 3\x7f", &p), -EINVAL);
	assert_int_equal(p.ping, 77); /* untouched on failure */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples),	      cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_stamped),
		cmocka_unit_test(test_server_prefix), cmocka_unit_test(test_len_and_nul),
		cmocka_unit_test(test_long_lines),    cmocka_unit_test(test_names),
		cmocka_unit_test(test_pushed_2614),   cmocka_unit_test(test_pushed_more),
		cmocka_unit_test(test_pushed_bounds), cmocka_unit_test(test_pushed_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
