/* OpenVPN log lines to events. The wordings are OpenVPN's own (2.4 to 2.6:
 * ssl.c, ssl_verify*.c, push.c, init.c, ping.c, sig.c, error.c, multi.c,
 * socket.c, route.c, tun.c); each match names the message it stands for. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "vpndoctor/cidr.h"
#include "vpndoctor/common.h"
#include "vpndoctor/ovpn_log.h"

/* OpenVPN formats messages into ERR_BUF_SIZE (10240) bytes; room for a prefix. */
#define LINE_BUF 10752

static const char *const event_names[VD_LOG__MAX] = {
	[VD_LOG_NONE] = "none",
	[VD_LOG_CONNECTED] = "connected",
	[VD_LOG_TLS_TIMEOUT] = "tls-timeout",
	[VD_LOG_TLS_HANDSHAKE_FAILED] = "tls-handshake-failed",
	[VD_LOG_CERT_EXPIRED] = "cert-expired",
	[VD_LOG_CERT_NOT_YET_VALID] = "cert-not-yet-valid",
	[VD_LOG_VERIFY_ERROR] = "verify-error",
	[VD_LOG_OPTIONS_ERROR] = "options-error",
	[VD_LOG_AUTH_FAILED] = "auth-failed",
	[VD_LOG_PING_RESTART] = "ping-restart",
	[VD_LOG_SERVER_RESET] = "server-reset",
	[VD_LOG_CONNECTION_RESET] = "connection-reset",
	[VD_LOG_RESTARTING] = "restarting",
	[VD_LOG_PUSH_REPLY] = "push-reply",
	[VD_LOG_PULLED_CHANGED] = "pulled-changed",
	[VD_LOG_DATA_CIPHER] = "data-cipher",
	[VD_LOG_DEPRECATED_CIPHER] = "deprecated-cipher",
	[VD_LOG_ROUTE_ERROR] = "route-error",
	[VD_LOG_TUN_ERROR] = "tun-error",
	[VD_LOG_RESOLVE_ERROR] = "resolve-error",
	[VD_LOG_MAX_CLIENTS] = "max-clients",
	[VD_LOG_EXITING] = "exiting",
	[VD_LOG_TLS_INITIAL_PACKET] = "tls-initial-packet",
	[VD_LOG_PEER_CONNECTION] = "peer-connection",
	[VD_LOG_ERROR_OTHER] = "error-other",
};

const char *vd_log_event_name(enum vd_log_event e)
{
	if ((unsigned)e >= VD_LOG__MAX || !event_names[e])
		return "none";
	return event_names[e];
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* s starts with prefix: the rest, else NULL. */
static const char *after(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

/* The text after the first occurrence of needle, else NULL. */
static const char *after_in(const char *s, const char *needle)
{
	const char *p = strstr(s, needle);
	return p ? p + strlen(needle) : NULL;
}

static void set_arg(struct vd_log_line *l, const char *s, size_t n)
{
	if (n >= sizeof(l->arg))
		n = sizeof(l->arg) - 1;
	memcpy(l->arg, s, n);
	l->arg[n] = '\0';
}

static void set_arg_str(struct vd_log_line *l, const char *s)
{
	set_arg(l, s, strlen(s));
}

/* The argument up to (not including) the first of the stop characters. */
static void set_arg_until(struct vd_log_line *l, const char *s, const char *stop)
{
	set_arg(l, s, strcspn(s, stop));
}

/* --- prefixes --------------------------------------------------------- */

static bool digits_at(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

/* " us=123456" that OpenVPN adds to its timestamp at high verbosity. */
static const char *skip_usec(const char *p)
{
	const char *q = after(p, "us=");
	if (!q || !is_digit(*q))
		return p;
	while (is_digit(*q))
		q++;
	return *q == ' ' ? q + 1 : p;
}

/* OpenVPN's own timestamps: 2.5+ "2026-11-27 10:00:00 ", 2.4 ctime
 * "Fri Nov 27 10:00:00 2026 ", --machine-readable-output "EPOCH.USEC FLAGS ". */
static const char *skip_ovpn_time(const char *p)
{
	if (digits_at(p, 4) && p[4] == '-' && digits_at(p + 5, 2) && p[7] == '-' &&
	    digits_at(p + 8, 2) && p[10] == ' ' && digits_at(p + 11, 2) && p[13] == ':' &&
	    digits_at(p + 14, 2) && p[16] == ':' && digits_at(p + 17, 2) && p[19] == ' ')
		return skip_usec(p + 20);
	if (is_alpha(p[0]) && is_alpha(p[1]) && is_alpha(p[2]) && p[3] == ' ' && is_alpha(p[4]) &&
	    is_alpha(p[5]) && is_alpha(p[6]) && p[7] == ' ' && (p[8] == ' ' || is_digit(p[8])) &&
	    is_digit(p[9]) && p[10] == ' ' && digits_at(p + 11, 2) && p[13] == ':' &&
	    digits_at(p + 14, 2) && p[16] == ':' && digits_at(p + 17, 2) && p[19] == ' ' &&
	    digits_at(p + 20, 4) && p[24] == ' ')
		return skip_usec(p + 25);
	if (is_digit(*p)) {
		const char *q = p;
		while (is_digit(*q))
			q++;
		if (*q == '.' && digits_at(q + 1, 6) && q[7] == ' ') {
			q += 8;
			const char *h = q;
			while (is_digit(*q) || (lower(*q) >= 'a' && lower(*q) <= 'f'))
				q++;
			if (q > h && *q == ' ')
				return q + 1;
		}
	}
	return p;
}

/* syslog and journal text: "... openvpn[123]: ", "... ovpn-office[4567]: ".
 * Only near the start, so that message text cannot be mistaken for it. */
static const char *skip_syslog_ident(const char *p)
{
	const char *end = p;
	size_t limit = 192;

	while (*end && (size_t)(end - p) < limit)
		end++;
	for (const char *b = p; b < end; b++) {
		if (*b != '[' || b == p || is_space(b[-1]))
			continue;
		const char *q = b + 1;
		if (!is_digit(*q))
			continue;
		while (is_digit(*q))
			q++;
		if (q[0] == ']' && q[1] == ':' && q[2] == ' ')
			return q + 3;
	}
	return p;
}

/* The management interface's ">LOG:TIME,FLAGS,MESSAGE". */
static const char *skip_management(const char *p)
{
	const char *q = after(p, ">LOG:");
	if (!q)
		return p;
	while (is_digit(*q))
		q++;
	if (*q != ',')
		return p;
	q++;
	while (*q && *q != ',')
		q++;
	return *q == ',' ? q + 1 : p;
}

/* A server prefixes a client's lines with "CN/ADDR:PORT " or "ADDR:PORT "
 * (multi.c set_prefix), and ping.c with "[CN] ". */
static const char *skip_peer(const char *p)
{
	if (*p == '[') {
		const char *q = strstr(p, "] ");
		if (q && !memchr(p, ' ', (size_t)(q - p)))
			return q + 2;
		return p;
	}
	size_t n = strcspn(p, " ");
	if (p[n] != ' ' || n < 3 || !memchr(p, ':', n) || !is_digit(p[n - 1]))
		return p;
	return p + n + 1;
}

/* --- events ----------------------------------------------------------- */

/* "'X'" after s: X. */
static void quoted_arg(struct vd_log_line *l, const char *s)
{
	set_arg_until(l, s, "'");
}

/* Cut a PUSH_REPLY option list that does not fit at its last whole option, so
 * that "ping-restart 120" is never read as "ping-restart 1". */
static void push_arg(struct vd_log_line *l, const char *s, size_t n)
{
	if (n >= sizeof(l->arg)) {
		n = sizeof(l->arg) - 1;
		while (n > 0 && s[n] != ',')
			n--;
	}
	set_arg(l, s, n);
}

/* "SIGUSR1[soft,tls-error] received, process restarting" (sig.c print_signal). */
static enum vd_log_event signal_event(const char *m, struct vd_log_line *l)
{
	const char *p = m + 3, *open, *close, *comma, *title;
	bool restart;

	while (is_alpha(*p) || is_digit(*p))
		p++;
	if (*p != '[')
		return VD_LOG_NONE;
	open = p;
	close = strchr(open, ']');
	if (!close)
		return VD_LOG_NONE;
	title = after(close, "] received, ");
	if (!title)
		return VD_LOG_NONE;
	/* Only the process itself: a server's "client-instance restarting" is one
	 * of its clients, not the tunnel on this machine. */
	if (strcmp(title, "process restarting") == 0)
		restart = true;
	else if (strcmp(title, "process exiting") == 0)
		restart = false;
	else
		return VD_LOG_NONE;
	comma = memchr(open, ',', (size_t)(close - open));
	if (comma && comma + 1 < close)
		set_arg(l, comma + 1, (size_t)(close - comma - 1));
	else
		set_arg(l, m, (size_t)(open - m)); /* no reason: the signal's name */
	return restart ? VD_LOG_RESTARTING : VD_LOG_EXITING;
}

static const char *const cipher_prefixes[] = {
	"Data Channel: cipher '",                /* 2.6 init.c */
	"Data Channel: using negotiated cipher '", /* 2.4, 2.5 ssl.c */
	"Outgoing Data Channel: Cipher '",       /* crypto.c init_key_ctx, TLS mode */
	"Incoming Data Channel: Cipher '",
	"Data Channel Encrypt: Cipher '",        /* 2.4 key-method 1 */
	"Data Channel Decrypt: Cipher '",
	"Outgoing Static Encrypt: Cipher '",     /* static-key mode */
	"Incoming Static Decrypt: Cipher '",
	"Static Encrypt: Cipher '",
	"Static Decrypt: Cipher '",
};

static bool tun_error(const char *m)
{
	static const char *const starts[] = {
		"ERROR: Cannot open TUN",      /* tun.c, Linux and Windows */
		"Cannot open TUN/TAP dev",     /* tun.c, BSDs and dynamic */
		"ERROR: Cannot ioctl TUNSETIFF",
		"Cannot ioctl TUNSET",         /* PERSIST, OWNER, GROUP */
		"Cannot allocate TUN/TAP dev",
		"Cannot open utun device",
		"Opening utun",
		"Error retrieving utun",
		"open_tun: ",
		"There are no TAP-Windows",
		"All TAP-Windows adapters",
		"All wintun adapters",
		"All ovpn-dco adapters",
		"TAP-Windows adapter '",       /* ... not found */
		"Linux ip link set",           /* tun.c ... failed */
		"Linux ip addr add failed",
		"Linux ip -6 addr add failed",
		"I don't recognize device",
		"Error: problem with tun vs. tap",
	};
	for (size_t i = 0; i < VD_ARRAY_SIZE(starts); i++)
		if (after(m, starts[i]))
			return !after(m, "TAP-Windows adapter '") || strstr(m, "not found");
	/* tun.c on Windows: "TUN: ... failed using service: ..." */
	return after(m, "TUN: ") && strstr(m, " failed");
}

static bool route_error(const char *m)
{
	/* route.c / networking_*.c: "ERROR: Linux route add command failed",
	 * "ERROR: Windows route add command failed [adaptive]", ... */
	if (after(m, "ERROR: ") && strstr(m, " route ") && strstr(m, "failed"))
		return true;
	/* sitnl's EEXIST: a route to that network is already there. */
	if (after(m, "NOTE: Linux route add command failed because route exists"))
		return true;
	/* "ROUTE: route addition failed using ...", "ROUTE6: cannot parse gateway spec" */
	if ((after(m, "ROUTE: ") || after(m, "ROUTE6: ") || after(m, "OpenVPNROUTE6: ")) &&
	    (strstr(m, "failed") || strstr(m, "cannot") || strstr(m, "Cannot")))
		return true;
	return false;
}

/* A word that says error or fatal: "ERROR:", "error", "TLS_ERROR", "errno=",
 * "FATAL", not part of a longer word such as "terror". */
static bool says_error(const char *m)
{
	for (const char *p = m; *p; p++) {
		if (p != m && (is_alpha(p[-1]) || is_digit(p[-1])))
			continue;
		const char *w = p;
		size_t n = 0;
		char word[8];
		while (is_alpha(w[n]) && n < sizeof(word) - 1) {
			word[n] = lower(w[n]);
			n++;
		}
		word[n] = '\0';
		if (is_alpha(w[n]))
			continue;
		if (strcmp(word, "error") == 0 || strcmp(word, "errors") == 0 ||
		    strcmp(word, "errno") == 0 || strcmp(word, "fatal") == 0)
			return true;
	}
	return false;
}

static enum vd_log_event classify(const char *m, struct vd_log_line *l)
{
	const char *p, *q;

	/* push.c: PUSH: Received control message: 'PUSH_REPLY,...' */
	if ((p = after(m, "PUSH: Received control message: '"))) {
		if (!(q = after(p, "PUSH_REPLY")) || (*q != ',' && *q != '\'' && *q != '\0'))
			return VD_LOG_NONE; /* PUSH_REQUEST on a server, other messages */
		if (*q == ',')
			q++;
		const char *end = strrchr(q, '\'');
		push_arg(l, q, end ? (size_t)(end - q) : strlen(q));
		return VD_LOG_PUSH_REPLY;
	}
	/* push.c: AUTH: Received control message: AUTH_FAILED[,reason] */
	if ((p = after(m, "AUTH: Received control message: "))) {
		if (!(q = after(p, "AUTH_FAILED")))
			return VD_LOG_NONE;
		if (*q == ',')
			set_arg_str(l, q + 1);
		return VD_LOG_AUTH_FAILED;
	}
	/* ssl_verify.c on a server: "TLS Auth Error: Auth Username/Password verification failed for peer" */
	if (after(m, "TLS Auth Error: ")) {
		set_arg_str(l, m + strlen("TLS Auth Error: "));
		return VD_LOG_AUTH_FAILED;
	}
	/* init.c initialization_sequence_completed */
	if ((p = after(m, "Initialization Sequence Completed"))) {
		if (after(p, " With Errors"))
			set_arg_str(l, "with errors");
		return VD_LOG_CONNECTED;
	}
	/* ssl.c tls_process: "TLS Error: TLS key negotiation failed to occur within %d seconds ..." */
	if ((p = after_in(m, "TLS key negotiation failed to occur within "))) {
		set_arg(l, p, strspn(p, "0123456789"));
		return VD_LOG_TLS_TIMEOUT;
	}
	/* ssl_openssl.c / ssl_mbedtls.c: our own certificate's dates */
	if (after(m, "WARNING: Your certificate has expired")) {
		set_arg_str(l, "local");
		return VD_LOG_CERT_EXPIRED;
	}
	if (after(m, "WARNING: Your certificate is not yet valid")) {
		set_arg_str(l, "local");
		return VD_LOG_CERT_NOT_YET_VALID;
	}
	/* ssl_verify*.c: "VERIFY ERROR: depth=0, error=certificate has expired: CN=..",
	 * "VERIFY X509NAME ERROR: ..", "VERIFY KU ERROR", "VERIFY EKU ERROR", ... */
	if ((p = after(m, "VERIFY "))) {
		q = p;
		while ((*q >= 'A' && *q <= 'Z') || is_digit(*q))
			q++;
		if (*q == ' ')
			q++;
		else
			q = p;
		if ((p = after(q, "ERROR")) && (*p == ':' || *p == '\0')) {
			if (*p == ':')
				p++;
			while (is_space(*p))
				p++;
			set_arg_str(l, *p ? p : m);
			if (strstr(p, "certificate has expired"))
				return VD_LOG_CERT_EXPIRED;
			if (strstr(p, "certificate is not yet valid"))
				return VD_LOG_CERT_NOT_YET_VALID;
			return VD_LOG_VERIFY_ERROR;
		}
	}
	/* crypto_openssl.c crypto_print_openssl_errors: the peer's TLS alert.
	 * "sslv3 alert certificate expired" means it refused our certificate. */
	if ((p = after(m, "OpenSSL: ")) && strstr(p, " alert ")) {
		if (strstr(p, "alert certificate expired")) {
			set_arg_str(l, "local");
			return VD_LOG_CERT_EXPIRED;
		}
		set_arg_str(l, p);
		return VD_LOG_TLS_HANDSHAKE_FAILED;
	}
	/* ssl.c */
	if ((p = after(m, "TLS Error: "))) {
		if (after(p, "TLS handshake failed"))
			return VD_LOG_TLS_HANDSHAKE_FAILED;
		/* A tls-auth / tls-crypt key that does not match the peer's. */
		if (after(p, "incoming packet authentication failed") ||
		    after(p, "tls-crypt unwrapping failed") || after(p, "cannot locate HMAC")) {
			set_arg_str(l, p);
			return VD_LOG_TLS_HANDSHAKE_FAILED;
		}
	}
	/* ping.c trigger_ping_timeout_signal, forward.c check_inactivity_timeout */
	if ((p = after_in(m, "Inactivity timeout (--"))) {
		if (after(p, "ping-restart)"))
			return VD_LOG_PING_RESTART;
		if (after(p, "ping-exit)")) {
			set_arg_str(l, "ping-exit");
			return VD_LOG_EXITING;
		}
		if (after(p, "inactive)")) {
			set_arg_str(l, "inactive");
			return VD_LOG_EXITING;
		}
	}
	/* push.c receive_cr_response / server_pushed_restart */
	if ((p = after(m, "Connection reset command was pushed by server ('"))) {
		const char *end = strrchr(p, '\'');
		set_arg(l, p, end ? (size_t)(end - p) : strlen(p));
		return VD_LOG_SERVER_RESET;
	}
	/* forward.c / socket.c on TCP: "Connection reset, restarting [%d]" */
	if ((p = after(m, "Connection reset, restarting"))) {
		if ((p = after(p, " [")))
			set_arg_until(l, p, "]");
		return VD_LOG_CONNECTION_RESET;
	}
	if (after(m, "SIG"))
		return signal_event(m, l);
	/* init.c do_up */
	if (after(m, "NOTE: Pulled options changed on restart"))
		return VD_LOG_PULLED_CHANGED;
	for (size_t i = 0; i < VD_ARRAY_SIZE(cipher_prefixes); i++)
		if ((p = after(m, cipher_prefixes[i]))) {
			quoted_arg(l, p);
			return VD_LOG_DATA_CIPHER;
		}
	/* options.c 2.5+: "DEPRECATED OPTION: --cipher set to '%s' but missing in --data-ciphers (...)" */
	if ((p = after(m, "DEPRECATED OPTION: --cipher set to '"))) {
		quoted_arg(l, p);
		return VD_LOG_DEPRECATED_CIPHER;
	}
	/* multi.c multi_create_instance */
	if ((p = after(m, "MULTI: new incoming connection would exceed maximum number of clients"))) {
		if ((p = after(p, " (")))
			set_arg_until(l, p, ")");
		return VD_LOG_MAX_CLIENTS;
	}
	/* socket.c openvpn_getaddrinfo: "RESOLVE: Cannot resolve host address: HOST:PORT (why)" */
	if ((p = after(m, "RESOLVE: Cannot resolve host address: ")) ||
	    (p = after(m, "RESOLVE: Cannot parse IP address: "))) {
		size_t n = strcspn(p, " ");
		const char *colon = NULL;
		for (size_t i = 0; i < n; i++)
			if (p[i] == ':')
				colon = p + i;
		set_arg(l, p, colon ? (size_t)(colon - p) : n);
		return VD_LOG_RESOLVE_ERROR;
	}
	if (tun_error(m)) {
		set_arg_str(l, m);
		return VD_LOG_TUN_ERROR;
	}
	if (route_error(m)) {
		set_arg_str(l, m);
		return VD_LOG_ROUTE_ERROR;
	}
	/* error.c x_msg_va after M_FATAL */
	if (after(m, "Exiting due to fatal error")) {
		set_arg_str(l, "fatal-error");
		return VD_LOG_EXITING;
	}
	/* ssl.c tls_pre_decrypt: "TLS: Initial packet from [AF_INET]A:P, sid=..." */
	if ((p = after(m, "TLS: Initial packet from "))) {
		set_arg_until(l, p, ", ");
		return VD_LOG_TLS_INITIAL_PACKET;
	}
	/* ssl.c: "[CN] Peer Connection Initiated with [AF_INET]A:P" */
	if ((p = after_in(m, "Peer Connection Initiated with "))) {
		set_arg_until(l, p, " \t");
		return VD_LOG_PEER_CONNECTION;
	}
	/* error.c M_OPTERR: "Options error: ..." (with a "In FILE:LINE: " at times) */
	if ((p = after_in(m, "Options error: "))) {
		set_arg_str(l, p);
		return VD_LOG_OPTIONS_ERROR;
	}
	/* ssl_openssl.c / ssl_mbedtls.c / crypto.c: a file of the profile that does
	 * not load is a configuration error as much as a bad option is. */
	if (after(m, "Cannot load ") || after(m, "Cannot open key file") ||
	    after(m, "Error: private key password verification failed")) {
		set_arg_str(l, m);
		return VD_LOG_OPTIONS_ERROR;
	}
	if (says_error(m)) {
		set_arg_str(l, m);
		return VD_LOG_ERROR_OTHER;
	}
	return VD_LOG_NONE;
}

enum vd_log_event vd_ovpn_log_classify(const char *line, size_t len, struct vd_log_line *ret)
{
	char buf[LINE_BUF];
	struct vd_log_line l = {0};
	const char *m;
	size_t n = 0;
	bool stamped;

	if (!line)
		len = 0;
	/* A NUL ends the line, as it would for OpenVPN's own strings. */
	while (n < len && n < sizeof(buf) - 1 && line[n] != '\0')
		n++;
	if (n)
		memcpy(buf, line, n);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || is_space(buf[n - 1])))
		n--;
	buf[n] = '\0';

	m = buf;
	while (is_space(*m))
		m++;
	{
		const char *start = m;
		m = skip_management(m);
		m = skip_syslog_ident(m);
		m = skip_ovpn_time(m);
		stamped = m != start;
	}
	m = skip_peer(m);

	/* manage.c echoes its own conversation into the log ("MANAGEMENT: CMD
	 * 'state'", "MANAGEMENT: >STATE:...,RECONNECTING,tls-error,..."): what it
	 * repeats is already classified from its original line. */
	if (strncmp(m, "MANAGEMENT: ", 12) == 0)
		l.event = VD_LOG_NONE;
	else
		l.event = classify(m, &l);
	l.stamped = stamped;
	if (ret)
		*ret = l;
	return l.event;
}

/* --- PUSH_REPLY options ----------------------------------------------- */

#define OPT_MAX 512 /* longer than any option worth reading */
#define TOK_MAX 8

static bool copy_field(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (n >= size)
		return false; /* never store half a value */
	memcpy(dst, src, n + 1);
	return true;
}

static void add_unique(char (*list)[64], unsigned *n, unsigned max, const char *s)
{
	for (unsigned i = 0; i < *n; i++)
		if (strcmp(list[i], s) == 0)
			return;
	if (*n < max && copy_field(list[*n], sizeof(list[*n]), s))
		(*n)++;
}

static void add_dns(struct vd_pushed *r, const char *addr)
{
	struct vd_prefix a;
	char buf[VD_PREFIX_STRLEN];

	if (vd_addr_parse(addr, &a) < 0)
		return;
	add_unique(r->dns, &r->n_dns, VD_ARRAY_SIZE(r->dns), vd_prefix_format(&a, true, buf, sizeof(buf)));
}

static void set_addr(char *dst, size_t size, const char *s)
{
	struct vd_prefix a;
	char buf[VD_PREFIX_STRLEN];

	if (vd_addr_parse(s, &a) == 0)
		copy_field(dst, size, vd_prefix_format(&a, true, buf, sizeof(buf)));
}

static void set_uint(unsigned *dst, const char *s)
{
	uint64_t v;

	if (vd_parse_u64(s, 0, UINT32_MAX, &v) == 0)
		*dst = (unsigned)v;
}

static void pushed_option(struct vd_pushed *r, char *opt)
{
	char *tok[TOK_MAX];
	unsigned n = 0;
	struct vd_prefix p;
	char buf[VD_PREFIX_STRLEN];

	for (char *s = opt; *s && n < TOK_MAX;) {
		while (is_space(*s))
			s++;
		if (!*s)
			break;
		tok[n++] = s;
		while (*s && !is_space(*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
	if (n == 0)
		return;
	if (strcmp(tok[0], "route") == 0 && n >= 2) {
		/* "route NETWORK [NETMASK [GATEWAY [METRIC]]]"; the mask defaults to a host.
		 * Names and vpn_gateway-style keywords are not prefixes: skipped. */
		if (vd_prefix_parse_netmask(tok[1], n >= 3 ? tok[2] : "255.255.255.255", &p) == 0)
			add_unique(r->routes, &r->n_routes, VD_ARRAY_SIZE(r->routes),
				   vd_prefix_format(&p, false, buf, sizeof(buf)));
	} else if (strcmp(tok[0], "route-ipv6") == 0 && n >= 2) {
		/* OpenVPN clears IPv6 host bits itself (route.c route_ipv6_clear_host_bits). */
		if (vd_prefix_parse(tok[1], true, &p) == 0 && p.family == AF_INET6)
			add_unique(r->routes, &r->n_routes, VD_ARRAY_SIZE(r->routes),
				   vd_prefix_format(&p, false, buf, sizeof(buf)));
	} else if (strcmp(tok[0], "dhcp-option") == 0 && n >= 3) {
		if (strcmp(tok[1], "DNS") == 0 || strcmp(tok[1], "DNS6") == 0)
			add_dns(r, tok[2]);
		else if (strcmp(tok[1], "DOMAIN") == 0 || strcmp(tok[1], "ADAPTER_DOMAIN_SUFFIX") == 0)
			copy_field(r->domain, sizeof(r->domain), tok[2]);
	} else if (strcmp(tok[0], "dns") == 0 && n >= 5 && strcmp(tok[1], "server") == 0 &&
		   strcmp(tok[3], "address") == 0) {
		/* 2.6: "dns server PRIORITY address ADDR [ADDR...]" */
		for (unsigned i = 4; i < n; i++)
			add_dns(r, tok[i]);
	} else if (strcmp(tok[0], "topology") == 0 && n >= 2) {
		copy_field(r->topology, sizeof(r->topology), tok[1]);
	} else if (strcmp(tok[0], "cipher") == 0 && n >= 2) {
		copy_field(r->cipher, sizeof(r->cipher), tok[1]);
	} else if (strcmp(tok[0], "ifconfig") == 0 && n >= 3) {
		struct vd_prefix a, b;
		if (vd_addr_parse(tok[1], &a) == 0 && vd_addr_parse(tok[2], &b) == 0) {
			set_addr(r->ifconfig_local, sizeof(r->ifconfig_local), tok[1]);
			set_addr(r->ifconfig_remote, sizeof(r->ifconfig_remote), tok[2]);
		}
	} else if (strcmp(tok[0], "ping") == 0 && n >= 2) {
		set_uint(&r->ping, tok[1]);
	} else if (strcmp(tok[0], "ping-restart") == 0 && n >= 2) {
		set_uint(&r->ping_restart, tok[1]);
	}
}

int vd_pushed_parse(const char *options, struct vd_pushed *ret)
{
	struct vd_pushed r = {0};
	char opt[OPT_MAX];
	const char *s, *p;

	if (!options || !ret)
		return -EINVAL;
	s = options;
	if ((p = after(s, "PUSH_REPLY"))) {
		if (*p != ',' && *p != '\0')
			return -EINVAL;
		s = *p ? p + 1 : p;
	} else if (after(s, "PUSH_") || after(s, "AUTH_FAILED")) {
		return -EINVAL; /* another control message */
	}
	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -EINVAL;

	while (*s) {
		size_t n = strcspn(s, ",");
		if (n < sizeof(opt)) {
			memcpy(opt, s, n);
			opt[n] = '\0';
			pushed_option(&r, opt);
		}
		s += n;
		if (*s == ',')
			s++;
	}
	*ret = r;
	return 0;
}
