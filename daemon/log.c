/* Logging to the journal or to stderr with sd-daemon(3) "<N>" prefixes, and the
 * one journal entry per finding event that the catalog explains. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "vpndoctor/cause.h"
#include "vpndoctor/common.h"
#include "vpndoctor/text.h"
#include "vpndoctor/version.h"

#define LOG_IDENT "vpndoctord"
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

/* Before log_init (option parsing) messages go to stderr at info. */
static bool use_journal;
static int max_level = LOG_INFO;

/* sd_journal_send() to a socket nobody listens on fails quietly as far as the
 * admin is concerned, so look for a journald that accepts datagrams first. */
static bool journald_present(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* One write(2) per line so that lines from a forked helper cannot interleave. */
static void stderr_line(int prio, const char *msg)
{
	char line[4096];
	int n = snprintf(line, sizeof(line) - 1, "<%d>" LOG_IDENT ": %s", prio, msg);

	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

void log_init(enum log_target target, int level)
{
	int saved = errno;

	max_level = level < LOG_EMERG ? LOG_EMERG : level > LOG_DEBUG ? LOG_DEBUG : level;
	switch (target) {
	case LOG_TARGET_JOURNAL:
		use_journal = true;
		/* Asked for by name, so honoured; but sd_journal_send() drops
		 * entries without a word when nobody listens, so say it once. */
		if (!journald_present())
			stderr_line(LOG_WARNING, "log target journal, but journald is not listening on "
			            JOURNAL_SOCKET ": messages will be lost");
		break;
	case LOG_TARGET_STDERR:
		use_journal = false;
		break;
	case LOG_TARGET_AUTO:
	default:
		use_journal = journald_present();
		break;
	}
	errno = saved;
}

bool log_to_journal(void)
{
	return use_journal;
}

int log_target_parse(const char *s, enum log_target *ret)
{
	static const struct {
		const char *name;
		enum log_target t;
	} names[] = {
		{"auto", LOG_TARGET_AUTO},
		{"journal", LOG_TARGET_JOURNAL},
		{"stderr", LOG_TARGET_STDERR},
	};

	if (!s || !ret)
		return -EINVAL;
	for (size_t i = 0; i < VD_ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i].name) == 0) {
			*ret = names[i].t;
			return 0;
		}
	return -EINVAL;
}

int log_level_parse(const char *s, int *ret)
{
	/* syslog(3) names plus the spellings people type (error, warn). */
	static const struct {
		const char *name;
		int level;
	} names[] = {
		{"emerg", LOG_EMERG},   {"alert", LOG_ALERT},   {"crit", LOG_CRIT},
		{"err", LOG_ERR},       {"error", LOG_ERR},     {"warning", LOG_WARNING},
		{"warn", LOG_WARNING},  {"notice", LOG_NOTICE}, {"info", LOG_INFO},
		{"debug", LOG_DEBUG},
	};
	uint64_t v;

	if (!s || !ret)
		return -EINVAL;
	for (size_t i = 0; i < VD_ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i].name) == 0) {
			*ret = names[i].level;
			return 0;
		}
	if (vd_parse_u64(s, LOG_EMERG, LOG_DEBUG, &v) < 0)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

static void emit(int prio, const char *msg)
{
	if (use_journal &&
	    sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", prio, "SYSLOG_IDENTIFIER=" LOG_IDENT, NULL) >= 0)
		return;
	/* A send error (not an absent journald: that one is silent) must not
	 * swallow the message. */
	stderr_line(prio, msg);
}

/* The escaped form of s, into buf (cut at a character, never inside an
 * escape); returns buf. */
static const char *esc(char *buf, size_t size, const char *s)
{
	vd_text_escape(buf, size, s, strlen(s));
	return buf;
}

static void vlog(int prio, const char *errstr, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
static void vlog(int prio, const char *errstr, const char *fmt, va_list ap)
{
	char msg[2048], out[3072];
	int n;

	if (prio > max_level)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if (errstr && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", errstr);
	emit(prio, esc(out, sizeof(out), msg));
}

static int64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

void log_rl(struct log_ratelimit *rl, int prio, const char *fmt, ...)
{
	int64_t now = mono_s();
	int saved = errno;
	va_list ap;

	if (prio > max_level)
		return;
	if (rl->n == 0 || now - rl->begin >= (int64_t)rl->interval_s) {
		if (rl->suppressed)
			log_notice("%u similar messages suppressed in the last %u s", rl->suppressed,
			           (unsigned)(now - rl->begin));
		rl->begin = now;
		rl->n = 0;
		rl->suppressed = 0;
	}
	if (rl->n >= rl->burst) {
		rl->suppressed++;
		errno = saved;
		return;
	}
	rl->n++;
	va_start(ap, fmt);
	vlog(prio, NULL, fmt, ap);
	va_end(ap);
	errno = saved;
}

/* Warnings are logged where an error is handled and the daemon carries on;
 * what stops it goes through fatalx at LOG_CRIT. */
void log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

#define LOG_FN(name, prio)                        \
	void name(const char *fmt, ...)          \
	{                                         \
		int saved = errno;                \
		va_list ap;                       \
		va_start(ap, fmt);                \
		vlog(prio, NULL, fmt, ap);        \
		va_end(ap);                       \
		errno = saved;                    \
	}

void log_vmsg(int prio, const char *fmt, va_list ap)
{
	int saved = errno;

	vlog(prio, NULL, fmt, ap);
	errno = saved;
}

LOG_FN(log_warnx, LOG_WARNING)
LOG_FN(log_notice, LOG_NOTICE)
LOG_FN(log_info, LOG_INFO)
LOG_FN(log_debug, LOG_DEBUG)

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

static const char *json_str(const cJSON *o, const char *key, const char *dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring ? v->valuestring : dflt;
}

/* A resolution is worth a notice (5) when the problem was a warning or an
 * error, so `journalctl -p notice` shows each such problem open and close;
 * resolving an info finding stays at info. */
static int finding_priority(const char *event, enum vd_severity sev)
{
	bool resolved = strcmp(event, "resolved") == 0;

	switch (sev) {
	case VD_SEV_ERROR:
		return resolved ? LOG_NOTICE : LOG_ERR;
	case VD_SEV_WARNING:
		return resolved ? LOG_NOTICE : LOG_WARNING;
	case VD_SEV_INFO:
	case VD_SEV_NONE:
	default:
		return LOG_INFO;
	}
}

/* One entry of the fields below (vpndoctord(8) FIELDS: a stable interface
 * that central readers such as `vpndoctor fleet` rely on). A field whose
 * value is unknown is left out, never sent empty. */
static int send_finding(const char *msg, const char *message_id, int prio, const char *cause,
                        const char *tunnel, const char *event, const char *summary, const char *summary_message,
                        const char *sev, const struct log_finding_ctx *ctx)
{
	const struct {
		const char *name, *value;
	} fields[] = {
		{"MESSAGE", msg},
		{"MESSAGE_ID", message_id}, /* none without a catalogue entry */
		{"SYSLOG_IDENTIFIER", LOG_IDENT},
		{"VPNDOCTOR_CAUSE", cause},
		{"VPNDOCTOR_TUNNEL", tunnel},
		{"VPNDOCTOR_EVENT", event},
		{"VPNDOCTOR_SUMMARY", summary},
		{"VPNDOCTOR_SUMMARY_MESSAGE", summary_message},
		{"VPNDOCTOR_SEVERITY", sev},
		{"VPNDOCTOR_GATEWAY", ctx ? ctx->gateway : NULL},
		{"VPNDOCTOR_OPENVPN_VERSION", ctx ? ctx->openvpn_version : NULL},
		{"VPNDOCTOR_PROFILE", ctx ? ctx->profile : NULL},
		{"VPNDOCTOR_DAEMON_VERSION", VD_VERSION},
	};
	struct iovec iov[VD_ARRAY_SIZE(fields) + 1];
	char *bufs[VD_ARRAY_SIZE(fields) + 1] = {0};
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; i < VD_ARRAY_SIZE(fields); i++) {
		if (!fields[i].value || !*fields[i].value)
			continue;
		if (asprintf(&bufs[n], "%s=%s", fields[i].name, fields[i].value) < 0) {
			bufs[n] = NULL;
			r = -ENOMEM;
			break;
		}
		iov[n].iov_base = bufs[n];
		iov[n].iov_len = strlen(bufs[n]);
		n++;
	}
	if (!r && asprintf(&bufs[n], "PRIORITY=%d", prio) < 0) {
		bufs[n] = NULL;
		r = -ENOMEM;
	} else if (!r) {
		iov[n].iov_base = bufs[n];
		iov[n].iov_len = strlen(bufs[n]);
		n++;
	}
	if (!r)
		r = sd_journal_sendv(iov, (int)n);
	for (size_t i = 0; i < VD_ARRAY_SIZE(bufs); i++)
		free(bufs[i]);
	return r;
}

void log_finding(const char *event, const cJSON *finding, const struct log_finding_ctx *ctx)
{
	char e_cause[128], e_tunnel[200], e_summary[1500];
	const char *cause = esc(e_cause, sizeof(e_cause), json_str(finding, "cause", "unknown"));
	const char *tunnel = esc(e_tunnel, sizeof(e_tunnel), json_str(finding, "tunnel", "-"));
	const char *summary = esc(e_summary, sizeof(e_summary), json_str(finding, "summary", ""));
	const char *sevname = json_str(finding, "severity", "none");
	const struct vd_cause *c = vd_cause_find(json_str(finding, "cause", "unknown"));
	enum vd_severity sev = VD_SEV_NONE;
	char msg[2048 + 128];
	int prio, saved = errno, r = -1;

	if (!event)
		event = "updated";
	if (vd_severity_parse(sevname, &sev) < 0 && c)
		sev = c->severity;
	prio = finding_priority(event, sev);
	if (prio > max_level)
		goto out;
	if (use_journal) {
		if (strcmp(event, "resolved") == 0)
			snprintf(msg, sizeof(msg), "%s resolved on %s (was: %s)", cause, tunnel, summary);
		else
			snprintf(msg, sizeof(msg), "%s %s on %s: %s", cause, event, tunnel, summary);
		/* the context's values come from files and processes too */
		char e_gw[200], e_ver[64], e_prof[300];
		struct log_finding_ctx ectx = {
			.gateway = ctx && ctx->gateway ? esc(e_gw, sizeof(e_gw), ctx->gateway) : NULL,
			.openvpn_version = ctx && ctx->openvpn_version ? esc(e_ver, sizeof(e_ver), ctx->openvpn_version)
			                                               : NULL,
			.profile = ctx && ctx->profile ? esc(e_prof, sizeof(e_prof), ctx->profile) : NULL,
		};
		/* the summary as a message (JSON), for a reader in another language;
		 * JSON escapes every control character */
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(finding, "summary_message");
		char *sm = cJSON_IsObject(m) ? cJSON_PrintUnformatted(m) : NULL;
		r = send_finding(msg, c ? c->message_id : NULL, prio, cause, tunnel, event, summary, sm,
		                 vd_severity_name(sev), &ectx);
		free(sm);
	}
	if (r < 0) {
		snprintf(msg, sizeof(msg), "%s %s on %s: %s", event, cause, tunnel, summary);
		stderr_line(prio, msg);
	}
out:
	errno = saved;
}

void log_stopping(const char *why)
{
	char msg[256];
	int saved = errno;

	snprintf(msg, sizeof(msg), "%s: stopping", why);
	if (LOG_NOTICE <= max_level) {
		if (!use_journal ||
		    sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", LOG_NOTICE, "SYSLOG_IDENTIFIER=" LOG_IDENT,
		                    "VPNDOCTOR_EVENT=stopped", "VPNDOCTOR_DAEMON_VERSION=" VD_VERSION, NULL) < 0)
			stderr_line(LOG_NOTICE, msg);
	}
	errno = saved;
}
