/* vpndoctor report: one tar.gz with what a network team needs to see what is
 * wrong with the VPN (status, findings, history, facts, OpenVPN's version and
 * log, links, addresses, routes, resolvers, the profiles) and no secret: every
 * text goes through the scrubber of lib/redact.c, profiles are re-written
 * as an allowlist (lib/redact.c) and read, with the files they name, only
 * with the rights of whoever named them (lib/principal.c), logs keep only
 * OpenVPN's lines, --anonymize maps public addresses and host names, and
 * what could not be included is listed in MISSING (exit 1).
 * The archive is made by tar(1) (Essential on Debian, so no new library) from a
 * private staging directory; the output file is ours, 0600, from the start. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "vpndoctor/common.h"
#include "vpndoctor/i18n.h"
#include "vpndoctor/ovpn_config.h"
#include "vpndoctor/ovpn_log.h"
#include "vpndoctor/principal.h"
#include "vpndoctor/proc_openvpn.h"
#include "vpndoctor/profile.h"
#include "vpndoctor/redact.h"
#include "vpndoctor/spawn.h"
#include "vpndoctor/strbuf.h"
#include "vpndoctor/text.h"
#include "vpndoctor/varlink.h"

#include "cli.h"
#include "varlink_client.h"

extern char **environ;

#define CMD_TIMEOUT_MS  10000           /* ip, resolvectl, journalctl, openvpn --version */
#define CMD_MAX_OUTPUT  (8u << 20)
#define LOG_LINES       200
/* history.json holds at most the newest this many events (a few MB). */
#define HISTORY_MAX      20000
/* From a daemon that cannot page its history: the newest this many. */
#define HISTORY_FALLBACK 2000
#define LOG_TAIL_BYTES  (512 * 1024)
#define MAX_PROFILES    64
#define MAX_NOTES_SHOWN 40

struct part {
	char *name;   /* path inside the bundle's directory */
	char *what;   /* one line for the MANIFEST */
	char *data;
	size_t len;
	bool profile; /* already redacted by vd_redact_profile */
	struct vd_redact_notes notes;
};

struct report {
	struct part *parts;
	size_t n;
	char **missing; /* "NAME: why", escaped, for MISSING, the MANIFEST and stderr */
	size_t n_missing;
	unsigned incomplete; /* how many of them the report should have held (exit 1) */
	bool daemon_ok;
	char daemon_why[512];
	bool oom;
};

/* ---- collecting ------------------------------------------------------------------ */

static struct part *add_part(struct report *r, const char *name, const char *what, char *data, size_t len)
{
	struct part *a = reallocarray(r->parts, r->n + 1, sizeof(*a));

	if (!a) {
		free(data);
		r->oom = true;
		return NULL;
	}
	r->parts = a;
	a = &r->parts[r->n];
	memset(a, 0, sizeof(*a));
	a->name = strdup(name);
	a->what = vd_text_escape_dup(what); /* it may quote a path another user chose */
	if (!a->name || !a->what) {
		free(a->name);
		free(a->what);
		free(data);
		r->oom = true;
		return NULL;
	}
	a->data = data;
	a->len = len;
	r->n++;
	return a;
}

static void add_text(struct report *r, const char *name, const char *what, const char *text)
{
	char *d = strdup(text);

	if (!d) {
		r->oom = true;
		return;
	}
	add_part(r, name, what, d, strlen(d));
}

__attribute__((format(printf, 3, 0)))
static void vmissing(struct report *r, bool counts, const char *fmt, va_list ap)
{
	char tmp[PATH_MAX + 512], **a, *s;

	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	/* paths and reasons may come from another user's process or file */
	s = vd_text_escape_dup(tmp);
	a = s ? reallocarray(r->missing, r->n_missing + 1, sizeof(*a)) : NULL;
	if (!a) {
		free(s);
		r->oom = true;
		return;
	}
	a[r->n_missing++] = s;
	r->missing = a;
	if (counts)
		r->incomplete++;
}

/* Something the report should hold and does not: listed, and exit 1. */
__attribute__((format(printf, 2, 3)))
static void missing(struct report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmissing(r, true, fmt, ap);
	va_end(ap);
}

/* Something this machine does not have (a tool not installed): listed only. */
__attribute__((format(printf, 2, 3)))
static void absent(struct report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmissing(r, false, fmt, ap);
	va_end(ap);
}

static void add_json(struct report *r, const char *name, const char *what, const cJSON *v)
{
	char *s = cJSON_Print(v);

	if (!s) {
		r->oom = true;
		return;
	}
	add_part(r, name, what, s, strlen(s));
}

/* Runs argv with stdout into *out (stdin and stderr /dev/null, LC_ALL=C),
 * for at most CMD_TIMEOUT_MS. 0 and the exit status in *status, or -errno
 * (-ENOENT: not installed, -ETIMEDOUT). */
static int run_cmd(char *const argv[], char **out, size_t *len, int *status)
{
	return vd_run(argv[0], argv, VD_SPAWN_CALLER_ENV, CMD_MAX_OUTPUT, CMD_TIMEOUT_MS, out, len, status);
}

static void add_cmd(struct report *r, const char *name, const char *what, char *const argv[])
{
	char *out = NULL;
	size_t len = 0;
	int st = 0, e = run_cmd(argv, &out, &len, &st);

	if (e == -ENOENT) {
		absent(r, "%s: %s is not installed", name, argv[0]);
		return;
	}
	if (e < 0) {
		missing(r, "%s: %s failed: %s", name, argv[0], strerror(-e));
		return;
	}
	if (st != 0 && len == 0) {
		missing(r, "%s: %s exited with status %d", name, argv[0], st);
		free(out);
		return;
	}
	add_part(r, name, what, out, len);
}

/* The last LOG_LINES lines of a log file (which may be large) that OpenVPN's
 * log parser recognises, each escaped; the others are counted in *dropped.
 * A log names what a profile says, so another user may have chosen it: it
 * is opened with that profile's principal (p; NULL: the caller). */
static int tail_log(const struct vd_principal *p, const char *path, char **ret, unsigned *kept, unsigned *dropped)
{
	struct vd_strbuf out = {0};
	struct stat st;
	off_t off;
	char *buf;
	size_t n, start[LOG_LINES], end[LOG_LINES], k = 0;
	ssize_t got;
	int fd, e = vd_open_as(p, AT_FDCWD, path, SIZE_MAX, &fd);

	*kept = *dropped = 0;
	if (e < 0)
		return e;
	if (fstat(fd, &st) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	off = st.st_size > LOG_TAIL_BYTES ? st.st_size - LOG_TAIL_BYTES : 0;
	n = (size_t)(st.st_size - off);
	buf = malloc(n + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	got = pread(fd, buf, n, off);
	close(fd);
	if (got < 0) {
		free(buf);
		return -errno;
	}
	/* the lines, the first one only when it starts the file; the newest
	 * LOG_LINES recognised ones in a ring */
	for (size_t i = 0, ls = 0; i <= (size_t)got; i++) {
		struct vd_log_line ll;
		size_t le = i;

		if (i < (size_t)got && buf[i] != '\n')
			continue;
		if (le > ls && buf[le - 1] == '\r')
			le--;
		if ((off == 0 || ls > 0) && le > ls) {
			if (vd_ovpn_log_classify(buf + ls, le - ls, &ll) != VD_LOG_NONE) {
				start[k % LOG_LINES] = ls;
				end[k % LOG_LINES] = le;
				k++;
			} else {
				(*dropped)++;
			}
		}
		ls = i + 1;
	}
	for (size_t j = k > LOG_LINES ? k - LOG_LINES : 0; j < k; j++) {
		size_t ls = start[j % LOG_LINES], le = end[j % LOG_LINES];
		size_t need = vd_text_escape(NULL, 0, buf + ls, le - ls);
		char *line = malloc(need + 1);

		if (!line) {
			out.oom = true;
			break;
		}
		vd_text_escape(line, need + 1, buf + ls, le - ls);
		vd_sb_printf(&out, "%s\n", line);
		free(line);
	}
	*kept = (unsigned)(k > LOG_LINES ? LOG_LINES : k);
	explicit_bzero(buf, n);
	free(buf);
	if (out.oom) {
		free(out.p);
		return -ENOMEM;
	}
	if (!out.p && !(out.p = strdup("")))
		return -ENOMEM;
	*ret = out.p;
	return 0;
}

/* ---- the daemon ------------------------------------------------------------------- */

/* One call; 0 and the reply, or -1 with why. */
static int daemon_call(struct vl_client *c, const char *method, const cJSON *params,
                       struct vd_varlink_reply *reply, char *why, size_t wl)
{
	int e = vl_client_call(c, method, params, 0);

	if (e == 0)
		e = vl_client_read(c, reply);
	if (e < 0) {
		snprintf(why, wl, "%s", e == -EBADMSG ? "not a Varlink reply" : strerror(-e));
		return -1;
	}
	if (reply->error) {
		snprintf(why, wl, "%s", strcmp(reply->error, VD_VARLINK_ERROR_PERMISSION_DENIED) == 0
		                            ? "permission denied: only root and group vpndoctor may query it"
		                            : reply->error);
		vd_varlink_reply_done(reply);
		return -1;
	}
	return 0;
}

/* One call on a connection made when needed; after a failed call the
 * connection is dropped (the daemon closes one whose reply would pass its
 * output limit), so the next call starts a new one. */
struct dconn {
	const char *path;
	struct vl_client *c;
};

static int dcall(struct dconn *d, const char *method, const cJSON *params, struct vd_varlink_reply *reply,
                 char *why, size_t wl)
{
	int e;

	if (!d->c && (e = vl_client_connect(d->path, &d->c)) < 0) {
		snprintf(why, wl, "cannot reach vpndoctord: %s", strerror(-e));
		return -1;
	}
	if (daemon_call(d->c, method, params, reply, why, wl) == 0)
		return 0;
	vl_client_free(d->c);
	d->c = NULL;
	return -1;
}

/* A call with "more": its pages (GetHistory, GetFacts) merged into the one
 * reply they stand for. 0 and *ret, or -1 with why (the connection dropped). */
static int dcall_pages(struct dconn *d, const char *method, const cJSON *params, cJSON **ret, char *why, size_t wl)
{
	struct vd_varlink_reply reply;
	cJSON *merged = NULL;
	bool more = true;
	int e;

	if (!d->c && (e = vl_client_connect(d->path, &d->c)) < 0) {
		snprintf(why, wl, "cannot reach vpndoctord: %s", strerror(-e));
		return -1;
	}
	e = vl_client_call(d->c, method, params, VD_VARLINK_CALL_MORE);
	if (e == 0 && !(merged = cJSON_CreateObject()))
		e = -ENOMEM;
	while (e == 0 && more) {
		e = vl_client_read(d->c, &reply);
		if (e < 0)
			break;
		if (reply.error) {
			snprintf(why, wl, "%s", strcmp(reply.error, VD_VARLINK_ERROR_PERMISSION_DENIED) == 0
			                            ? "permission denied: only root and group vpndoctor may query it"
			                            : reply.error);
			vd_varlink_reply_done(&reply);
			e = -EPROTO;
			break;
		}
		more = reply.continues;
		if (vl_merge(merged, reply.parameters) < 0)
			e = -ENOMEM;
		vd_varlink_reply_done(&reply);
	}
	if (e == 0) {
		*ret = merged;
		return 0;
	}
	if (e != -EPROTO)
		snprintf(why, wl, "%s", e == -EBADMSG ? "not a Varlink reply" : strerror(-e));
	cJSON_Delete(merged);
	vl_client_free(d->c);
	d->c = NULL;
	return -1;
}

static void history_part(struct report *r, struct dconn *d)
{
	struct vd_varlink_reply reply;
	char why[256], why_all[256];
	cJSON *params, *all = NULL, *events;
	int n;

	/* one more than we keep, to know whether there were more */
	params = cJSON_CreateObject();
	if (!params || !cJSON_AddNumberToObject(params, "limit", HISTORY_MAX + 1)) {
		cJSON_Delete(params);
		r->oom = true;
		return;
	}
	if (dcall_pages(d, "io.vpndoctor.GetHistory", params, &all, why_all, sizeof(why_all)) == 0) {
		events = cJSON_GetObjectItemCaseSensitive(all, "events");
		if (cJSON_GetArraySize(events) > HISTORY_MAX) {
			cJSON_DeleteItemFromArray(events, 0);
			absent(r, "history.json: holds the newest %d events; the older ones are left out (vpndoctor "
			          "history --json has them all)", HISTORY_MAX);
		}
		add_json(r, "history.json", "findings opened and resolved, oldest first (GetHistory)", all);
		cJSON_Delete(all);
		cJSON_Delete(params);
		return;
	}
	/* a daemon that sends no pages, and whose whole history does not fit
	 * one reply: the newest part of it, said so */
	cJSON_ReplaceItemInObjectCaseSensitive(params, "limit", cJSON_CreateNumber(HISTORY_FALLBACK));
	if (dcall(d, "io.vpndoctor.GetHistory", params, &reply, why, sizeof(why)) == 0) {
		n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(reply.parameters, "events"));
		add_json(r, "history.json", "the newest findings opened and resolved, oldest first (GetHistory with a limit)",
		         reply.parameters);
		vd_varlink_reply_done(&reply);
		missing(r, "history.json: holds only the newest %d events: the whole history could not be fetched "
		           "(GetHistory: %s)", n, why_all);
	} else {
		missing(r, "history.json: GetHistory: %s", why_all);
	}
	cJSON_Delete(params);
}

/* The timeline: every tunnel's minutes of the kept week (GetTimeline, in
 * pages); the page timeline.html is drawn from it once it is cleaned. */
static void timeline_part(struct report *r, struct dconn *d, int64_t now)
{
	cJSON *params = cJSON_CreateObject(), *all = NULL;
	char why[256];

	if (!params || !cJSON_AddNumberToObject(params, "since", (double)(now - 7 * 86400)) ||
	    !cJSON_AddNumberToObject(params, "resolution", 60)) {
		cJSON_Delete(params);
		r->oom = true;
		return;
	}
	if (dcall_pages(d, "io.vpndoctor.GetTimeline", params, &all, why, sizeof(why)) == 0) {
		add_json(r, "timeline.json", "what the probes measured per tunnel and minute, the kept week (GetTimeline)",
		         all);
		cJSON_Delete(all);
	} else if (strcmp(why, VD_VARLINK_ERROR_METHOD_NOT_FOUND) == 0) {
		absent(r, "timeline.json, timeline.html: this vpndoctord keeps no timeline");
	} else {
		missing(r, "timeline.json, timeline.html: GetTimeline: %s", why);
	}
	cJSON_Delete(params);
}

static void from_daemon(const struct cli_ctx *ctx, struct report *r, cJSON **status, cJSON **facts)
{
	struct dconn d = {.path = ctx->socket_path};
	struct vd_varlink_reply reply;
	char why[256];
	int e = vl_client_connect(ctx->socket_path, &d.c);

	if (e < 0) {
		snprintf(r->daemon_why, sizeof(r->daemon_why), "cannot reach vpndoctord at %.300s: %s", ctx->socket_path,
		         strerror(-e));
		return;
	}
	if (dcall(&d, "io.vpndoctor.GetStatus", NULL, &reply, why, sizeof(why)) < 0) {
		snprintf(r->daemon_why, sizeof(r->daemon_why), "vpndoctord at %.200s: GetStatus: %.200s", ctx->socket_path,
		         why);
		vl_client_free(d.c);
		return;
	}
	r->daemon_ok = true;
	add_json(r, "status.json", "the daemon's status: health, tunnels, findings and probe results (GetStatus)",
	         reply.parameters);
	add_json(r, "findings.json", "the active findings, with evidence and remedy (from GetStatus)",
	         cJSON_GetObjectItemCaseSensitive(reply.parameters, "findings"));
	*status = cJSON_Duplicate(reply.parameters, true);
	vd_varlink_reply_done(&reply);

	history_part(r, &d);
	timeline_part(r, &d, (int64_t)time(NULL));
	/* in pages; a reload or discovery while they go out ends the call with
	 * InternalError: once more then */
	for (int tries = 0; tries < 2; tries++) {
		cJSON *all = NULL, *f;

		if (dcall_pages(&d, "io.vpndoctor.GetFacts", NULL, &all, why, sizeof(why)) < 0)
			continue;
		/* facts.json is added once the profiles are read (profile_parts) */
		f = cJSON_DetachItemFromObjectCaseSensitive(all, "facts");
		*facts = f ? f : all;
		if (f)
			cJSON_Delete(all);
		break;
	}
	if (!*facts)
		missing(r, "facts.json: GetFacts: %s", why);
	vl_client_free(d.c);
}

/* ---- OpenVPN ------------------------------------------------------------------------ */

static void openvpn_part(struct report *r, const cJSON *facts)
{
	const cJSON *t, *tunnels = cJSON_GetObjectItemCaseSensitive(facts, "tunnels");
	char *const ver[] = {"openvpn", "--version", NULL};
	char *const jrn[] = {"journalctl", "--no-pager", "-q", "-o", "short-iso", "-n", "200", "_COMM=openvpn", NULL};
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "tunnels");
	char *out = NULL, *s;
	size_t len;
	int st;

	if (!o || !arr) {
		cJSON_Delete(o);
		r->oom = true;
		return;
	}
	/* what the daemon saw of each tunnel's OpenVPN */
	cJSON_ArrayForEach(t, tunnels) {
		const cJSON *ov = cJSON_GetObjectItemCaseSensitive(t, "openvpn");
		cJSON *e = cJSON_CreateObject();
		static const char *const keys[] = {"status", "running", "state", "state_reason", "version",
		                                   "events", "handshakes", "reconnects", "error_lines"};

		if (!e) {
			r->oom = true;
			break;
		}
		cJSON_AddItemToObject(e, "name", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(t, "name"), true));
		for (size_t i = 0; ov && i < VD_ARRAY_SIZE(keys); i++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(ov, keys[i]);

			if (v)
				cJSON_AddItemToObject(e, keys[i], cJSON_Duplicate(v, true));
		}
		cJSON_AddItemToArray(arr, e);
	}
	/* the installed one, even without a daemon */
	if (run_cmd(ver, &out, &len, &st) == 0) {
		char *nl = strchr(out, '\n');

		if (nl)
			*nl = '\0';
		cJSON_AddStringToObject(o, "installed_version", out);
		free(out);
	} else {
		cJSON_AddNullToObject(o, "installed_version");
	}
	s = cJSON_Print(o);
	cJSON_Delete(o);
	if (!s) {
		r->oom = true;
		return;
	}
	add_part(r, "openvpn.json",
	         "OpenVPN: the installed version, and per tunnel the daemon's view (version, state, events, "
	         "last error lines)", s, strlen(s));
	add_cmd(r, "openvpn-journal.txt", "the last 200 journal lines of openvpn processes (journalctl _COMM=openvpn)",
	        jrn);
}

/* ---- profiles ------------------------------------------------------------------------ */

/* A profile to include, and whose rights it is read with: the report runs
 * as root, and a discovered tunnel's profile is whatever file its openvpn
 * process named, so it is read, with the files it names (certificates, its
 * log), only as that process's owner could read it. */
struct prof_ref {
	char name[128];
	char path[PATH_MAX];
	char basedir[PATH_MAX];
	bool as_caller;        /* named on our command line: the caller's rights */
	struct vd_principal who;
	char whose[192];       /* whose rights, for the messages */
	char tunnel[128];      /* the tunnel whose profile it is; "" for --profile */
};

static void safe_name(const char *in, char *out, size_t len)
{
	size_t i = 0;

	for (; *in && i + 1 < len; in++, i++) {
		bool ok = isalnum((unsigned char)*in) || *in == '-' || *in == '_' || (*in == '.' && i > 0);

		out[i] = ok ? *in : '_';
	}
	out[i] = '\0';
	if (!i)
		snprintf(out, len, "profile");
}

static struct prof_ref *add_ref(struct prof_ref *refs, size_t *n, const char *name, const char *path,
                                const char *basedir)
{
	if (!path || !*path || *n >= MAX_PROFILES)
		return NULL;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(refs[i].path, path) == 0)
			return NULL;
	memset(&refs[*n], 0, sizeof(refs[*n]));
	safe_name(name, refs[*n].name, sizeof(refs[*n].name));
	/* two tunnels' names may clash once made safe */
	for (size_t i = 0; i < *n; i++)
		if (strcmp(refs[i].name, refs[*n].name) == 0) {
			size_t l = strlen(refs[*n].name);

			snprintf(refs[*n].name + (l > 100 ? 100 : l), 28, "-%zu", *n + 1);
		}
	snprintf(refs[*n].path, sizeof(refs[*n].path), "%s", path);
	snprintf(refs[*n].basedir, sizeof(refs[*n].basedir), "%s", basedir ? basedir : "");
	return &refs[(*n)++];
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *tunnel_named(const cJSON *snapshot, const char *name)
{
	const cJSON *t;

	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(snapshot, "tunnels")) {
		const char *n = jstr(t, "name");

		if (n && name && strcmp(n, name) == 0)
			return t;
	}
	return NULL;
}

/* The principal of the openvpn process pid, if it still runs and names path
 * as its --config (joined to its working directory, as discovery does). The
 * /proc/PID directory is held open, so every file read is that process's. */
static int process_principal(pid_t pid, const char *path, struct vd_principal *ret)
{
	struct vd_proc_openvpn po;
	char dir[64], cwd[PATH_MAX], full[PATH_MAX], real[PATH_MAX], *cmd = NULL;
	size_t len = 0;
	ssize_t k;
	int fd, cfd, e;

	if (pid <= 0)
		return -ESRCH;
	snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	cfd = openat(fd, "cmdline", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	e = cfd < 0 ? -ESRCH : vd_read_fd(cfd, VD_PROC_CMDLINE_MAX, &cmd, &len);
	if (cfd >= 0)
		close(cfd);
	if (e == 0 && (!vd_proc_is_openvpn(cmd, len) || vd_proc_openvpn_parse(cmd, len, &po) < 0))
		e = -ESRCH;
	free(cmd);
	if (e < 0) {
		close(fd);
		return e;
	}
	k = readlinkat(fd, "cwd", cwd, sizeof(cwd) - 1);
	cwd[k > 0 ? k : 0] = '\0';
	if (!po.config || vd_proc_path_join(cwd, po.config, full, sizeof(full)) < 0 ||
	    (strcmp(full, path) != 0 && !(realpath(full, real) && strcmp(real, path) == 0)))
		e = -ESRCH;
	else
		e = vd_principal_of_procfd(fd, 0, ret, NULL);
	vd_proc_openvpn_clear(&po);
	close(fd);
	return e;
}

/* Whose rights a tunnel's profile is read with: the administrator's for a
 * tunnel of vpndoctor.conf; for a discovered one its openvpn process's (the
 * pid in its facts), else, the process gone, nobody's: then only a file
 * anyone may read is included. */
static void tunnel_principal(const cJSON *status, const cJSON *facts, const char *tunnel, struct prof_ref *ref)
{
	const cJSON *st = tunnel_named(status, tunnel), *ft = tunnel_named(facts, tunnel);
	const cJSON *disc = cJSON_GetObjectItemCaseSensitive(st, "discovered");
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ft, "openvpn"), "pid");
	char desc[160];

	if (st && cJSON_IsFalse(disc)) {
		vd_principal_admin(&ref->who);
		snprintf(ref->whose, sizeof(ref->whose), "the administrator (a [Tunnel] of vpndoctor.conf)");
		return;
	}
	if (cJSON_IsNumber(pid) && pid->valuedouble >= 1 && pid->valuedouble < 4194305 &&
	    process_principal((pid_t)pid->valuedouble, ref->path, &ref->who) == 0) {
		snprintf(ref->whose, sizeof(ref->whose), "%s, whose openvpn (pid %d) named it",
		         vd_principal_describe(&ref->who, desc, sizeof(desc)), (int)pid->valuedouble);
		return;
	}
	memset(&ref->who, 0, sizeof(ref->who));
	ref->who.kind = VD_PRINCIPAL_USER;
	ref->who.uid = 65534;
	ref->who.gid = 65534;
	snprintf(ref->whose, sizeof(ref->whose), "anyone (the openvpn process that named it is gone)");
}

static const struct vd_principal *ref_principal(const struct prof_ref *ref)
{
	return ref->as_caller ? NULL : &ref->who;
}

/* The reader for the files a profile names (certificates to summarise). */
static int read_as_ref(void *userdata, const char *path, size_t max, char **ret, size_t *ret_len)
{
	return vd_read_file_as(ref_principal(userdata), path, max, ret, ret_len);
}

/* Why a file was not read, for MISSING. */
static void not_read(struct report *r, const char *name, const char *path, int e, const struct prof_ref *ref)
{
	if (e == -EACCES && !ref->as_caller)
		missing(r, "%s: %s: not included: %s may not read it, so vpndoctor does not either", name, path,
		        ref->whose);
	else if (e == -EACCES)
		missing(r, "%s: %s: %s (run vpndoctor report as root to include it)", name, path, strerror(-e));
	else
		missing(r, "%s: %s: %s", name, path, e == -EINVAL ? "not a regular file" : strerror(-e));
}

/* The profile's own log file (log / log-append): its last lines that are
 * OpenVPN's, escaped. */
static void profile_log(struct report *r, const struct prof_ref *p, const char *data, size_t len)
{
	struct vd_ovpn_config *cfg = NULL;
	const struct vd_ovpn_option *o;
	struct vd_error err;
	char path[PATH_MAX * 2 + 2], name[200], what[256], *text = NULL, dir[PATH_MAX];
	const char *slash;
	unsigned kept, dropped;
	struct part *pt;
	int e;

	if (vd_ovpn_config_parse(p->path, data, len, &cfg, &err) < 0)
		return;
	o = vd_ovpn_config_get(cfg, "log-append");
	if (!o)
		o = vd_ovpn_config_get(cfg, "log");
	if (!o || o->argc < 1) {
		vd_ovpn_config_free(cfg);
		return;
	}
	if (*p->basedir) {
		snprintf(dir, sizeof(dir), "%s", p->basedir);
	} else {
		slash = strrchr(p->path, '/');
		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - p->path) : 1, slash ? p->path : ".");
	}
	if (o->argv[0][0] == '/')
		snprintf(path, sizeof(path), "%s", o->argv[0]);
	else
		snprintf(path, sizeof(path), "%s/%s", dir, o->argv[0]);
	vd_ovpn_config_free(cfg);
	snprintf(name, sizeof(name), "openvpn-log-%s.txt", p->name);
	e = tail_log(ref_principal(p), path, &text, &kept, &dropped);
	if (e < 0) {
		not_read(r, name, path, e, p);
		return;
	}
	snprintf(what, sizeof(what), "the last %u lines of the profile's OpenVPN log file that OpenVPN's log parser "
	         "recognises", kept);
	pt = add_part(r, name, what, text, strlen(text));
	if (pt && dropped) {
		char note[160];
		char *line;

		snprintf(note, sizeof(note), "%u line%s OpenVPN's log parser does not recognise left out", dropped,
		         dropped == 1 ? "" : "s");
		line = strdup(note);
		pt->notes.lines = line ? reallocarray(NULL, 1, sizeof(char *)) : NULL;
		if (pt->notes.lines) {
			pt->notes.lines[0] = line;
			pt->notes.n = 1;
		} else {
			free(line);
			r->oom = true;
		}
	}
}

/* What the daemon derived from a profile the report may not read (its
 * remotes, its problems, which quote it) does not go into facts.json. */
static void facts_forget_profile(cJSON *facts, const char *tunnel)
{
	cJSON *t, *o;

	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(facts, "tunnels")) {
		const char *n = jstr(t, "name");

		if (!n || strcmp(n, tunnel) != 0 || !cJSON_GetObjectItemCaseSensitive(t, "profile"))
			continue;
		o = cJSON_CreateObject();
		if (!o || !cJSON_AddStringToObject(o, "omitted", "the report could not read this profile with the "
		                                                 "rights of whoever named it (see MISSING)") ||
		    !cJSON_ReplaceItemInObjectCaseSensitive(t, "profile", o)) {
			/* without memory for the note, the section goes all the same */
			cJSON_Delete(o);
			cJSON_DeleteItemFromObjectCaseSensitive(t, "profile");
		}
	}
}

static void profile_parts(struct report *r, const cJSON *status, cJSON *facts, char **extra, size_t n_extra)
{
	static struct prof_ref refs[MAX_PROFILES];
	const cJSON *t;
	struct prof_ref *ref;
	size_t n = 0;

	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(facts, "tunnels")) {
		const cJSON *pr = cJSON_GetObjectItemCaseSensitive(t, "profile");
		const char *tn = jstr(t, "name"), *path = jstr(pr, "path");

		/* a file's path only: a NetworkManager connection's "nm:UUID" is
		 * its settings, and a file of that name in the directory the
		 * report runs in is anyone's (/tmp, another user's home) */
		if (!path || path[0] != '/')
			continue;
		ref = add_ref(refs, &n, tn ? tn : "tunnel", path, jstr(pr, "basedir"));
		if (ref) {
			tunnel_principal(status, facts, tn, ref);
			snprintf(ref->tunnel, sizeof(ref->tunnel), "%s", tn ? tn : "");
		}
	}
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(status, "tunnels")) {
		const char *tn = jstr(t, "name"), *path = jstr(t, "config");

		if (!path || path[0] != '/')
			continue; /* (as above) */
		ref = add_ref(refs, &n, tn ? tn : "tunnel", path, NULL);
		if (ref) {
			tunnel_principal(status, facts, tn, ref);
			snprintf(ref->tunnel, sizeof(ref->tunnel), "%s", tn ? tn : "");
		}
	}
	for (size_t i = 0; i < n_extra; i++) {
		const char *b = strrchr(extra[i], '/');
		char nm[128];
		size_t l;

		snprintf(nm, sizeof(nm), "%s", b ? b + 1 : extra[i]);
		l = strlen(nm);
		if (l > 5 && (strcmp(nm + l - 5, ".ovpn") == 0 || strcmp(nm + l - 5, ".conf") == 0))
			nm[l - 5] = '\0';
		ref = add_ref(refs, &n, nm, extra[i], NULL);
		if (ref) {
			ref->as_caller = true;
			snprintf(ref->whose, sizeof(ref->whose), "the caller (--profile)");
		}
	}

	for (size_t i = 0; i < n; i++) {
		struct vd_redact_profile_opts o = {.basedir = *refs[i].basedir ? refs[i].basedir : NULL,
		                                   .read = read_as_ref, .userdata = &refs[i]};
		struct vd_redact_notes notes = {0};
		struct vd_error err = {0};
		char name[200], what[PATH_MAX + 256], *data = NULL, *out = NULL;
		size_t len = 0, olen = 0;
		struct part *pt;
		int e;

		snprintf(name, sizeof(name), "profiles/%s.conf", refs[i].name);
		e = vd_read_file_as(ref_principal(&refs[i]), refs[i].path, VD_OVPN_MAX_INPUT, &data, &len);
		if (e < 0) {
			not_read(r, name, refs[i].path, e, &refs[i]);
			if (e == -EACCES && *refs[i].tunnel)
				facts_forget_profile(facts, refs[i].tunnel);
			continue;
		}
		profile_log(r, &refs[i], data, len);
		e = vd_redact_profile(refs[i].path, data, len, &o, &out, &olen, &notes, &err);
		explicit_bzero(data, len);
		free(data);
		snprintf(what, sizeof(what), "the client profile %s, re-written without secrets (read as %s)",
		         refs[i].path, refs[i].whose);
		if (e == -EINVAL) {
			char msg[PATH_MAX + 512];

			/* not err.msg: it may quote the file, whatever the file is */
			snprintf(msg, sizeof(msg),
			         "# %s could not be parsed (line %u), so it is left out: vpndoctor only\n"
			         "# writes back a profile it has read whole.\n",
			         refs[i].path, err.line);
			add_text(r, name, what, msg);
			missing(r, "%s: %s does not parse as a profile (line %u): only a note is included", name,
			        refs[i].path, err.line);
			vd_redact_notes_free(&notes);
			continue;
		}
		if (e < 0) {
			vd_redact_notes_free(&notes);
			r->oom = true;
			continue;
		}
		pt = add_part(r, name, what, out, olen);
		if (pt) {
			pt->profile = true;
			pt->notes = notes;
		} else {
			vd_redact_notes_free(&notes);
		}
	}
}

/* ---- the bundle ---------------------------------------------------------------------- */

/* MISSING: what the report could not include and why, one line each. */
static void missing_part(struct report *r)
{
	struct vd_strbuf b = {0};

	if (!r->n_missing)
		return;
	vd_sb_printf(&b, "What this report could not include, and why. vpndoctor report exits 1 when a\n"
	              "part it should hold is missing; a tool this machine lacks is listed only.\n\n");
	for (size_t i = 0; i < r->n_missing; i++)
		vd_sb_printf(&b, "%s\n", r->missing[i]);
	if (b.oom) {
		free(b.p);
		r->oom = true;
		return;
	}
	add_part(r, "MISSING", "what the report could not include, and why", b.p, b.len);
}

/* Removal notes, the same ones counted, at most MAX_NOTES_SHOWN. */
static void manifest_notes(struct vd_strbuf *b, const struct vd_redact_notes *n)
{
	size_t shown = 0, distinct = 0;

	for (size_t i = 0; i < n->n; i++) {
		size_t same = 0;
		bool seen = false;

		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(n->lines[k], n->lines[i]) == 0;
		if (seen)
			continue;
		distinct++;
		for (size_t k = i; k < n->n; k++)
			same += strcmp(n->lines[k], n->lines[i]) == 0;
		if (shown < MAX_NOTES_SHOWN) {
			if (same > 1)
				vd_sb_printf(b, "    - %s (%zu times)\n", n->lines[i], same);
			else
				vd_sb_printf(b, "    - %s\n", n->lines[i]);
			shown++;
		}
	}
	if (distinct > shown)
		vd_sb_printf(b, "    - ... and %zu more kinds\n", distinct - shown);
}

static char *manifest(const struct cli_ctx *ctx, const struct report *r, const struct vd_anon *anon, time_t now)
{
	struct vd_strbuf b = {0};
	char ts[32];

	vd_sb_printf(&b, "vpndoctor report\n\n");
	vd_sb_printf(&b, "created:    %s by vpndoctor %s\n", vd_format_time(now, ts, sizeof(ts)), VD_VERSION);
	if (r->daemon_ok)
		vd_sb_printf(&b, "daemon:     reached at %s\n", ctx->socket_path);
	else
		vd_sb_printf(&b, "daemon:     NOT reached (%s): status, findings, history and facts are missing\n",
		          r->daemon_why);
	if (anon) {
		size_t n4, n6, nn;

		vd_anon_counts(anon, &n4, &n6, &nn);
		vd_sb_printf(&b, "anonymized: yes: %zu public IPv4 and %zu IPv6 addresses and %zu host names replaced by\n"
		              "            stand-ins (203.0.113.x, 198.51.100.x, 192.0.2.x, 2001:db8:ffff::x,\n"
		              "            hostN.example.invalid), the same one for the same input everywhere in\n"
		              "            this report; the mapping itself is not in it. Private, lab and\n"
		              "            documentation addresses and .internal/.local/.lan names are kept.\n",
		          n4, n6, nn);
	} else {
		vd_sb_printf(&b, "anonymized: no (vpndoctor report --anonymize maps public addresses and host names)\n");
	}
	vd_sb_printf(&b, "secrets:    every file went through vpndoctor's scrubber, which removes private keys,\n"
	              "            OpenVPN static and tls-crypt-v2 keys (any PEM block but certificates, CRLs,\n"
	              "            requests, public keys and parameters) and password-like values. Profiles\n"
	              "            are re-written option by option: comments dropped, inline keys and\n"
	              "            passwords removed, certificates reduced to subject, issuer, dates and\n"
	              "            SHA-256 fingerprint; key and password files are named, never included.\n\n");
	vd_sb_printf(&b, "files:\n");
	vd_sb_printf(&b, "  MANIFEST\n    this list\n");
	for (size_t i = 0; i < r->n; i++) {
		vd_sb_printf(&b, "  %s (%zu bytes)\n    %s\n", r->parts[i].name, r->parts[i].len, r->parts[i].what);
		manifest_notes(&b, &r->parts[i].notes);
	}
	if (r->n_missing) {
		vd_sb_printf(&b, "\nmissing:\n");
		for (size_t i = 0; i < r->n_missing; i++)
			vd_sb_printf(&b, "  %s\n", r->missing[i]);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

static const struct part *part_named(const struct report *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->parts[i].name, name) == 0)
			return &r->parts[i];
	return NULL;
}

/* timeline.html, drawn from the parts as they were cleaned (anonymized
 * alike), so that it needs no cleaning of its own. */
static void timeline_page(struct report *r, int64_t now)
{
	const struct part *t = part_named(r, "timeline.json"), *h = part_named(r, "history.json");
	const struct part *rec = part_named(r, "recording.json");
	char *page;

	if (!t && !rec)
		return;
	page = cli_timeline_page(t ? t->data : NULL, t ? t->len : 0, h ? h->data : NULL, h ? h->len : 0,
	                         rec ? rec->data : NULL, rec ? rec->len : 0, now - 7 * 86400, now, now);
	if (!page) {
		r->oom = true;
		return;
	}
	add_part(r, "timeline.html",
	         "the timeline as a page: charts of round trips, loss, jitter and clock offset per tunnel, with "
	         "the findings on the time axis (and the recording, per second); open it in a browser", page,
	         strlen(page));
}

/* Scrub, then anonymize, every part in place. */
static int clean_parts(struct report *r, struct vd_anon *anon)
{
	for (size_t i = 0; i < r->n; i++) {
		struct part *p = &r->parts[i];
		char *out = NULL;
		size_t len = 0;
		int e;

		if (!p->profile) {
			e = vd_redact_scrub(p->data, p->len, &out, &len, NULL, &p->notes);
			if (e < 0)
				return e;
			explicit_bzero(p->data, p->len);
			free(p->data);
			p->data = out;
			p->len = len;
		}
	}
	if (!anon)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		int e = vd_anon_reserve(anon, r->parts[i].data, r->parts[i].len);

		if (e < 0)
			return e;
	}
	for (size_t i = 0; i < r->n; i++) {
		struct part *p = &r->parts[i];
		char *out = NULL;
		size_t len = 0;
		int e = vd_anon_apply(anon, p->data, p->len, &out, &len);

		if (e < 0)
			return e;
		free(p->data);
		p->data = out;
		p->len = len;
	}
	return 0;
}

static int write_at(int dirfd, const char *name, const char *data, size_t len)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	size_t off = 0;

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t k = write(fd, data + off, len - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = -errno;

			close(fd);
			return e;
		}
		off += (size_t)k;
	}
	return close(fd) < 0 ? -errno : 0;
}

/* Stages the parts under stage/top/ and runs tar into outfd. */
static int write_bundle(const struct report *r, const char *man, char *stage, char *top, int outfd)
{
	posix_spawn_file_actions_t fa;
	char *const argv[] = {"tar", "-C", stage, "--sort=name", "--owner=0", "--group=0", "--numeric-owner",
	                      "-czf", "-", "--", top, NULL};
	int sfd, tfd, e = 0, st;
	pid_t pid;

	sfd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0)
		return -errno;
	if (mkdirat(sfd, top, 0700) < 0 || (tfd = openat(sfd, top, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		e = -errno;
		close(sfd);
		return e;
	}
	close(sfd);
	if (mkdirat(tfd, "profiles", 0700) < 0)
		e = -errno;
	if (e == 0)
		e = write_at(tfd, "MANIFEST", man, strlen(man));
	for (size_t i = 0; e == 0 && i < r->n; i++)
		e = write_at(tfd, r->parts[i].name, r->parts[i].data, r->parts[i].len);
	close(tfd);
	if (e < 0)
		return e;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outfd, 1);
	e = posix_spawnp(&pid, "tar", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e != 0)
		return -e;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -EIO;
	return fsync(outfd) < 0 ? -errno : 0;
}

static void remove_stage(const struct report *r, const char *stage, const char *top)
{
	char p[PATH_MAX * 2];

	for (size_t i = 0; i < r->n; i++) {
		snprintf(p, sizeof(p), "%s/%s/%s", stage, top, r->parts[i].name);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/%s/MANIFEST", stage, top);
	unlink(p);
	snprintf(p, sizeof(p), "%s/%s/profiles", stage, top);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/%s", stage, top);
	rmdir(p);
	rmdir(stage);
}

static void report_free(struct report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->parts[i].name);
		free(r->parts[i].what);
		free(r->parts[i].data);
		vd_redact_notes_free(&r->parts[i].notes);
	}
	free(r->parts);
	for (size_t i = 0; i < r->n_missing; i++)
		free(r->missing[i]);
	free(r->missing);
}

static int usage(void)
{
	fputs(_("Usage: vpndoctor report [-o FILE] [--anonymize] [--no-daemon] [--profile PATH]...\n"
	        "       [--record DURATION]\n"),
	      stderr);
	return CLI_EXIT_USAGE;
}

int cmd_report(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *output = NULL;
	bool anonymize = false, no_daemon = false;
	uint64_t record = 0;
	char *extra[MAX_PROFILES];
	size_t n_extra = 0;
	struct report r = {0};
	struct vd_anon *anon = NULL;
	cJSON *status = NULL, *facts = NULL;
	char host[256], hostsafe[128], ts[32], defname[512], top[256], stage[PATH_MAX], *man = NULL;
	const char *tmp = getenv("TMPDIR"), *base;
	time_t now = time(NULL);
	struct tm tm;
	int rc = CLI_EXIT_OK, fd = -1, e;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc && argv[i + 1][0])
			output = argv[++i];
		else if (strncmp(a, "--output=", 9) == 0 && a[9])
			output = a + 9;
		else if (strcmp(a, "--anonymize") == 0)
			anonymize = true;
		else if (strcmp(a, "--no-daemon") == 0)
			no_daemon = true;
		else if (strcmp(a, "--profile") == 0 && i + 1 < argc && argv[i + 1][0] && n_extra < MAX_PROFILES)
			extra[n_extra++] = argv[++i];
		else if ((strcmp(a, "--record") == 0 && i + 1 < argc) || strncmp(a, "--record=", 9) == 0) {
			const char *v = a[8] == '=' ? a + 9 : argv[++i];

			if (cli_parse_duration(v, 600, &record) < 0 || record == 0) {
				fprintf(stderr, _("vpndoctor: --record: not a duration from 1 s to 10 min: %s\n"), v);
				return CLI_EXIT_USAGE;
			}
		}
		else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(_("Usage: vpndoctor report [-o FILE] [--anonymize] [--no-daemon] [--profile PATH]...\n"
			        "       [--record DURATION]\n\n"
			        "Writes one tar.gz for the network team: status, findings, history and facts from\n"
			        "the daemon, OpenVPN's version and log, links, addresses, routes, resolvers and\n"
			        "each profile, without a secret; a profile and the files it names are read only\n"
			        "with the rights of whoever named it. Exits 1 when a part it should hold is\n"
			        "missing (listed on standard error and in MISSING). With the daemon it holds\n"
			        "timeline.html, a page of the kept week's charts with the findings on them.\n"
			        "--record DURATION (90s, 5m; at most 10 min) first has the daemon probe at a high\n"
			        "rate for that long while you reproduce the problem (Ctrl-C ends it early), and\n"
			        "the report holds that recording, per second. See vpndoctor(1).\n"),
			      stdout);
			return CLI_EXIT_OK;
		} else
			return usage();
	}
	umask(077);

	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	safe_name(host, hostsafe, sizeof(hostsafe));
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(defname, sizeof(defname), "vpndoctor-report-%s-%s.tar.gz", anonymize ? "anonymized" : hostsafe, ts);
	if (!output)
		output = defname;
	base = strrchr(output, '/');
	base = base ? base + 1 : output;
	{
		size_t bl = strlen(base);
		char tmpname[256];

		if (bl > 7 && strcmp(base + bl - 7, ".tar.gz") == 0)
			bl -= 7;
		else if (bl > 4 && strcmp(base + bl - 4, ".tgz") == 0)
			bl -= 4;
		snprintf(tmpname, sizeof(tmpname), "%.*s", (int)(bl > 200 ? 200 : bl), base);
		safe_name(tmpname, top, sizeof(top));
	}

	if (no_daemon && record) {
		fputs(_("vpndoctor: --record needs the daemon; not with --no-daemon\n"), stderr);
		return CLI_EXIT_USAGE;
	}

	/* the recording first: the rest shows the state right after it */
	if (record) {
		cJSON *rec = NULL;
		char why[PATH_MAX + 128];

		if (cli_record(ctx, (unsigned)record, &rec, why, sizeof(why)) == 0) {
			add_json(&r, "recording.json", "what the probes measured per second while the daemon recorded "
			                               "(Record; report --record)", rec);
			cJSON_Delete(rec);
		} else {
			missing(&r, "recording.json: %s", why);
		}
	}

	/* collect */
	if (no_daemon)
		snprintf(r.daemon_why, sizeof(r.daemon_why), "--no-daemon");
	else
		from_daemon(ctx, &r, &status, &facts);
	if (!r.daemon_ok && !no_daemon)
		/* TRANSLATORS: %s says why the daemon was not asked (in English) */
		fprintf(stderr, _("vpndoctor: %s; the report has only what this machine shows\n"), r.daemon_why);
	openvpn_part(&r, facts);
	{
		char *const addr[] = {"ip", "-j", "-d", "addr", "show", NULL};
		char *const link[] = {"ip", "-j", "-d", "-s", "link", "show", NULL};
		char *const route4[] = {"ip", "-j", "-4", "route", "show", "table", "all", NULL};
		char *const route6[] = {"ip", "-j", "-6", "route", "show", "table", "all", NULL};
		char *const rule[] = {"ip", "-j", "rule", "show", NULL};
		char *const rctl[] = {"resolvectl", "status", "--no-pager", NULL};
		char *rc_data = NULL;
		size_t rc_len = 0;

		add_cmd(&r, "ip-addr.json", "addresses of every link (ip -j -d addr show)", addr);
		add_cmd(&r, "ip-link.json", "links with their kind and counters (ip -j -d -s link show)", link);
		add_cmd(&r, "ip-route.json", "IPv4 routes of every table (ip -j -4 route show table all)", route4);
		add_cmd(&r, "ip-route6.json", "IPv6 routes of every table (ip -j -6 route show table all)", route6);
		add_cmd(&r, "ip-rule.json", "routing policy rules (ip -j rule show)", rule);
		e = vd_read_file(NULL, "/etc/resolv.conf", 1 << 20, &rc_data, &rc_len);
		if (e == 0)
			add_part(&r, "resolv.conf", "the resolver configuration (/etc/resolv.conf)", rc_data, rc_len);
		else if (e == -ENOENT)
			absent(&r, "resolv.conf: /etc/resolv.conf: %s", strerror(-e));
		else
			missing(&r, "resolv.conf: /etc/resolv.conf: %s", strerror(-e));
		add_cmd(&r, "resolvectl-status.txt", "systemd-resolved's per-link DNS servers and domains (resolvectl status)",
		        rctl);
	}
	profile_parts(&r, status, facts, extra, n_extra);
	if (facts)
		add_json(&r, "facts.json", "the last facts of every probe, per tunnel, as the rules see them (GetFacts)",
		         facts);
	cJSON_Delete(status);
	cJSON_Delete(facts);
	if (!r.daemon_ok && !no_daemon)
		missing(&r, "status.json, findings.json, history.json, timeline.json, timeline.html, facts.json: %s",
		        r.daemon_why);
	missing_part(&r);

	/* clean */
	if (!r.oom && anonymize) {
		e = vd_anon_new(&anon);
		if (e == 0 && strcmp(hostsafe, "localhost") != 0 && strchr(host, '.') == NULL)
			vd_anon_add_name(anon, host); /* a host name it refuses is left as it is */
		if (e < 0)
			r.oom = true;
	}
	if (!r.oom && clean_parts(&r, anon) < 0)
		r.oom = true;
	if (!r.oom)
		timeline_page(&r, (int64_t)now);
	if (!r.oom) {
		char *m = manifest(ctx, &r, anon, now);
		size_t ml;

		/* the manifest quotes option names and paths: it is cleaned too */
		if (!m || vd_redact_scrub(m, strlen(m), &man, &ml, NULL, NULL) < 0)
			r.oom = true;
		free(m);
		if (man && anon) {
			char *a = NULL;

			if (vd_anon_apply(anon, man, ml, &a, &ml) < 0)
				r.oom = true;
			free(man);
			man = a;
		}
	}
	vd_anon_free(anon);
	if (r.oom || !man) {
		fputs(_("vpndoctor: out of memory\n"), stderr);
		rc = CLI_EXIT_ERROR;
		goto out;
	}

	/* write */
	snprintf(stage, sizeof(stage), "%s/vpndoctor-report.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(stage)) {
		fprintf(stderr, _("vpndoctor: cannot make a staging directory in %s: %s\n"), tmp && *tmp ? tmp : "/tmp",
		        strerror(errno));
		rc = CLI_EXIT_ERROR;
		goto out;
	}
	fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0 || fchmod(fd, 0600) < 0) {
		fprintf(stderr, _("vpndoctor: cannot write %s: %s\n"), output, strerror(errno));
		remove_stage(&r, stage, top);
		rc = CLI_EXIT_ERROR;
		goto out;
	}
	e = write_bundle(&r, man, stage, top, fd);
	remove_stage(&r, stage, top);
	close(fd);
	if (e < 0) {
		fprintf(stderr, _("vpndoctor: cannot write %s: %s\n"), output,
		        e == -EIO ? "tar failed" : strerror(-e));
		unlink(output);
		rc = CLI_EXIT_ERROR;
		goto out;
	}

	if (ctx->json) {
		cJSON *o = cJSON_CreateObject(), *files;

		cJSON_AddStringToObject(o, "output", output);
		cJSON_AddBoolToObject(o, "complete", r.incomplete == 0);
		cJSON_AddBoolToObject(o, "daemon", r.daemon_ok);
		cJSON_AddBoolToObject(o, "anonymized", anonymize);
		files = cJSON_AddArrayToObject(o, "files");
		for (size_t i = 0; files && i < r.n; i++) {
			cJSON *f = cJSON_CreateObject();

			cJSON_AddStringToObject(f, "name", r.parts[i].name);
			cJSON_AddNumberToObject(f, "bytes", (double)r.parts[i].len);
			cJSON_AddStringToObject(f, "what", r.parts[i].what);
			cJSON_AddItemToArray(files, f);
		}
		files = cJSON_AddArrayToObject(o, "missing");
		for (size_t i = 0; files && i < r.n_missing; i++)
			cJSON_AddItemToArray(files, cJSON_CreateString(r.missing[i]));
		out_json(stdout, o);
		cJSON_Delete(o);
	} else {
		/* the files' descriptions are the MANIFEST's, in English as the
		 * archive for the network team is */
		printf(_("wrote %s\n"), output);
		printf("  %s/MANIFEST\n", top);
		for (size_t i = 0; i < r.n; i++) {
			printf("  %s/%-28s ", top, r.parts[i].name);
			/* TRANSLATORS: a file's size in the report's listing, 8 columns for the number */
			printf(P_("%8zu bytes", "%8zu bytes", r.parts[i].len), r.parts[i].len);
			printf(" %s\n", r.parts[i].what);
		}
	}
	/* what is not in it, on stderr whatever the output format: a report
	 * that lacks a part it should hold exits 1 */
	for (size_t i = 0; i < r.n_missing; i++)
		/* TRANSLATORS: %s is a MISSING line of the report, in English */
		fprintf(stderr, _("vpndoctor: not in the report: %s\n"), r.missing[i]);
	if (r.incomplete)
		fputs(_("vpndoctor: the report is incomplete (see MISSING in it)\n"), stderr);
	rc = r.incomplete ? CLI_EXIT_WARNING : CLI_EXIT_OK;
out:
	free(man);
	report_free(&r);
	return rc;
}
