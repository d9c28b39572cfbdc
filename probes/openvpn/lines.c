/* The openvpn probe: what a log line says, whichever source it came from (the
 * log file, the journal, the management interface's log): the events of the
 * window, the session's pushed options, the state when the management
 * interface does not tell it, the version of the banner. */

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ov.h"
#include "vpndoctor/common.h"

/* ---- log lines ------------------------------------------------------------------ */

/* "UDPv4 link remote: [AF_INET]203.0.113.7:1194",
 * "TCP_CLIENT link remote: [AF_INET6]2001:db8::1:443" (socket.c link_socket_connection_initiated). */
static void link_remote(struct ov_state *st, const char *line)
{
	const char *p = strstr(line, " link remote: [AF_INET"), *a, *colon = NULL;
	const char *w;
	uint64_t port;
	char buf[8];

	if (!p)
		return;
	a = strchr(p, ']');
	if (!a)
		return;
	a++;
	for (const char *q = a; *q && *q != ' '; q++)
		if (*q == ':')
			colon = q;
	if (!colon || (size_t)(colon - a) >= sizeof(st->remote_addr))
		return;
	cpy(buf, sizeof(buf), colon + 1, strcspn(colon + 1, " "));
	if (vd_parse_u64(buf, 1, 65535, &port) < 0)
		return;
	cpy(st->remote_addr, sizeof(st->remote_addr), a, (size_t)(colon - a));
	st->remote_port = (unsigned)port;
	for (w = p; w > line && w[-1] != ' ' && w[-1] != ']'; w--)
		;
	if (strncmp(w, "UDP", 3) == 0)
		SCPY(st->proto, "udp");
	else if (strncmp(w, "TCP", 3) == 0)
		SCPY(st->proto, "tcp");
}

/* "TUN/TAP device tun0 opened" (tun.c). */
static void tun_opened(struct ov_state *st, const char *line)
{
	const char *p = strstr(line, "TUN/TAP device "), *e;

	if (!p)
		return;
	p += strlen("TUN/TAP device ");
	e = strstr(p, " opened");
	if (!e || e <= p || (size_t)(e - p) >= sizeof(st->tun))
		return;
	for (const char *c = p; c < e; c++)
		if (*c <= ' ' || *c >= 0x7f || *c == '/')
			return; /* no link name */
	cpy(st->tun, sizeof(st->tun), p, (size_t)(e - p));
}

/* The banner "OpenVPN 2.6.14 x86_64-pc-linux-gnu [SSL (OpenSSL)] ..." that
 * OpenVPN logs first: better than the binary's bytes (it is what runs),
 * second to the management interface's own answer. */
static void banner(struct ov_state *st, const char *line)
{
	const char *p = strstr(line, "OpenVPN ");

	if (!p || !isdigit((unsigned char)p[8]) || !strstr(p, " [SSL"))
		return;
	if (p == line || p[-1] == ' ')
		ov_set_version(st, p, VR_LOG, "log");
}

void ov_end_handshake(struct ov_state *st, int64_t t, bool live)
{
	if (st->hs_open && live)
		ov_count(st, K_HS_DROPPED, t);
	st->hs_open = false;
}

/* One log line. History (lines from before we watched) sets what the session
 * is like but is not counted: its times are unknown, and it may be old. */
void ov_log_line(struct ov_state *st, const char *line, size_t len, bool live)
{
	static struct vd_log_line l; /* 1 KiB argument: not on the stack, the loop is single-threaded */
	char text[VD_MGMT_MAX_LINE + 1];
	enum vd_log_event e;
	int64_t now = wall();
	struct vd_pushed p;

	cpy(text, sizeof(text), line, len);
	e = vd_ovpn_log_classify(text, strlen(text), &l);
	link_remote(st, text);
	tun_opened(st, text);
	banner(st, text);
	if (e == VD_LOG_NONE)
		return;
	if (live)
		ov_count(st, e, now);
	switch (e) {
	case VD_LOG_TLS_INITIAL_PACKET:
		ov_end_handshake(st, now, live);
		if (live)
			ov_count(st, K_HS_STARTED, now);
		st->hs_open = true;
		if (!st->mgmt_up && strcmp(st->state, "connected") != 0)
			ov_set_state(st, strcmp(st->state, "reconnecting") == 0 ? "reconnecting" : "connecting", NULL,
			          0, "log");
		break;
	case VD_LOG_PUSH_REPLY:
		if (vd_pushed_parse(l.arg, &p) < 0)
			break;
		if (st->hs_open && live)
			ov_count(st, K_HS_COMPLETED, now);
		st->hs_open = false;
		/* the session before is kept: a change between sessions is a finding */
		if (st->have_pushed) {
			st->prev_pushed = st->pushed;
			st->have_prev = true;
		}
		st->pushed = p;
		st->have_pushed = true;
		if (*p.cipher)
			SCPY(st->negotiated, p.cipher);
		ov_changed(st);
		break;
	case VD_LOG_DATA_CIPHER:
		CLEAN(st->negotiated, l.arg);
		ov_changed(st);
		break;
	case VD_LOG_CONNECTED:
		if (!st->mgmt_up)
			ov_set_state(st, "connected", "", 0, "log");
		break;
	case VD_LOG_RESTARTING:
		ov_end_handshake(st, now, live);
		if (live)
			ov_count(st, K_RECONNECT, now);
		if (!st->mgmt_up) {
			char reason[128];
			CLEAN(reason, l.arg);
			ov_set_state(st, "reconnecting", reason, 0, "log");
		}
		break;
	case VD_LOG_EXITING:
		ov_end_handshake(st, now, live);
		if (!live)
			break; /* an earlier run's end, in the history */
		st->fatal_exit = strcmp(l.arg, "fatal-error") == 0;
		if (!st->mgmt_up) {
			char reason[sizeof(st->exit_reason)];
			CLEAN(reason, l.arg);
			ov_ending(st, reason, 0, "log");
		} else { /* the management interface tells the state */
			st->saw_exit = true;
			CLEAN(st->exit_reason, l.arg);
			if (!st->exit_src)
				st->exit_src = "log";
		}
		break;
	case VD_LOG_ERROR_OTHER:
		/* quoted only when it is plainly an OpenVPN log line: from the
		 * journal or the management interface, or with OpenVPN's prefix */
		if (live && (l.stamped || st->src != SRC_FILE)) {
			CLEAN(st->err_lines[st->err_next], text);
			st->err_next = (st->err_next + 1) % OV_ERR_LINES;
			if (st->n_err < OV_ERR_LINES)
				st->n_err++;
		}
		break;
	default:
		break;
	}
	if (live)
		ov_changed(st);
}
