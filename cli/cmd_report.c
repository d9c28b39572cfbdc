/* vpndoctor report: one tar.gz with what a network team needs to see what is
 * wrong with the VPN (status, findings, history, facts, OpenVPN's version and
 * log, links, addresses, routes, resolvers, the profiles) and no secret: every
 * text goes through the scrubber of lib/redact.c, profiles are re-written
 * without keys, and --anonymize maps public addresses and host names.
 * The archive is made by tar(1) (Essential on Debian, so no new library) from a
 * private staging directory; the output file is ours, 0600, from the start. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
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
#include "vpndoctor/ovpn_config.h"
#include "vpndoctor/profile.h"
#include "vpndoctor/redact.h"
#include "vpndoctor/varlink.h"

#include "cli.h"
#include "varlink_client.h"

extern char **environ;

#define CMD_TIMEOUT_MS  10000           /* ip, resolvectl, journalctl, openvpn --version */
#define CMD_MAX_OUTPUT  (8u << 20)
#define LOG_LINES       200
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
	char **missing; /* "NAME: why", for the MANIFEST */
	size_t n_missing;
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
	a->what = strdup(what);
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

__attribute__((format(printf, 2, 3)))
static void missing(struct report *r, const char *fmt, ...)
{
	char tmp[512], **a, *s;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	s = strdup(tmp);
	a = s ? reallocarray(r->missing, r->n_missing + 1, sizeof(*a)) : NULL;
	if (!a) {
		free(s);
		r->oom = true;
		return;
	}
	a[r->n_missing++] = s;
	r->missing = a;
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
	posix_spawn_file_actions_t fa;
	char *buf = NULL, **envp;
	size_t n = 0, cap = 0, ne = 0;
	int p[2], r, st;
	pid_t pid;
	struct timespec t0, t1;

	for (char **e = environ; *e; e++)
		ne++;
	envp = calloc(ne + 2, sizeof(*envp));
	if (!envp)
		return -ENOMEM;
	ne = 0;
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "LC_", 3) != 0 && strncmp(*e, "LANG=", 5) != 0 && strncmp(*e, "LANGUAGE=", 9) != 0)
			envp[ne++] = *e;
	envp[ne++] = (char *)"LC_ALL=C";
	if (pipe2(p, O_CLOEXEC) < 0) {
		free(envp);
		return -errno;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	close(p[1]);
	if (r != 0) {
		close(p[0]);
		return -r;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = 0;
	for (;;) {
		struct pollfd pfd = {.fd = p[0], .events = POLLIN};
		long left;
		ssize_t k;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = CMD_TIMEOUT_MS - ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		if (poll(&pfd, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n + 4096 + 1 > cap) {
			char *nb;

			if (cap >= CMD_MAX_OUTPUT) {
				r = -EFBIG;
				break;
			}
			cap = cap ? cap * 2 : 16384;
			nb = realloc(buf, cap);
			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
		}
		k = read(p[0], buf + n, cap - n - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			break;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	close(p[0]);
	if (r < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (r < 0) {
		free(buf);
		return r;
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[n] = '\0';
	*out = buf;
	*len = n;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return 0;
}

static void add_cmd(struct report *r, const char *name, const char *what, char *const argv[])
{
	char *out = NULL;
	size_t len = 0;
	int st = 0, e = run_cmd(argv, &out, &len, &st);

	if (e == -ENOENT) {
		missing(r, "%s: %s is not installed", name, argv[0]);
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

/* The last n lines of buf (in place). */
static const char *last_lines(const char *buf, size_t len, unsigned n)
{
	size_t i = len;

	if (i > 0 && buf[i - 1] == '\n')
		i--;
	while (i > 0) {
		if (buf[i - 1] == '\n' && --n == 0)
			break;
		i--;
	}
	return buf + i;
}

/* The last LOG_LINES lines of a log file (which may be large). */
static int tail_file(const char *path, char **ret)
{
	struct stat st;
	off_t off;
	char *buf;
	ssize_t k;
	size_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	off = st.st_size > LOG_TAIL_BYTES ? st.st_size - LOG_TAIL_BYTES : 0;
	n = (size_t)(st.st_size - off);
	buf = malloc(n + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	k = pread(fd, buf, n, off);
	close(fd);
	if (k < 0) {
		free(buf);
		return -errno;
	}
	buf[k] = '\0';
	*ret = strdup(last_lines(buf, (size_t)k, LOG_LINES));
	free(buf);
	return *ret ? 0 : -ENOMEM;
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

static void from_daemon(const struct cli_ctx *ctx, struct report *r, cJSON **status, cJSON **facts)
{
	struct vl_client *c = NULL;
	struct vd_varlink_reply reply;
	char why[256];
	int e = vl_client_connect(ctx->socket_path, &c);

	if (e < 0) {
		snprintf(r->daemon_why, sizeof(r->daemon_why), "cannot reach vpndoctord at %.300s: %s", ctx->socket_path,
		         strerror(-e));
		return;
	}
	if (daemon_call(c, "io.vpndoctor.GetStatus", NULL, &reply, why, sizeof(why)) < 0) {
		snprintf(r->daemon_why, sizeof(r->daemon_why), "vpndoctord at %.200s: GetStatus: %.200s", ctx->socket_path, why);
		vl_client_free(c);
		return;
	}
	r->daemon_ok = true;
	add_json(r, "status.json", "the daemon's status: health, tunnels, findings and probe results (GetStatus)",
	         reply.parameters);
	add_json(r, "findings.json", "the active findings, with evidence and remedy (from GetStatus)",
	         cJSON_GetObjectItemCaseSensitive(reply.parameters, "findings"));
	*status = cJSON_Duplicate(reply.parameters, true);
	vd_varlink_reply_done(&reply);

	if (daemon_call(c, "io.vpndoctor.GetHistory", NULL, &reply, why, sizeof(why)) == 0) {
		add_json(r, "history.json", "findings opened and resolved, oldest first (GetHistory)", reply.parameters);
		vd_varlink_reply_done(&reply);
	} else {
		missing(r, "history.json: GetHistory: %s", why);
	}
	if (daemon_call(c, "io.vpndoctor.GetFacts", NULL, &reply, why, sizeof(why)) == 0) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(reply.parameters, "facts");

		add_json(r, "facts.json", "the last facts of every probe, per tunnel, as the rules see them (GetFacts)",
		         f ? f : reply.parameters);
		*facts = cJSON_Duplicate(f ? f : reply.parameters, true);
		vd_varlink_reply_done(&reply);
	} else {
		missing(r, "facts.json: GetFacts: %s", why);
	}
	vl_client_free(c);
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

struct prof_ref {
	char name[128];
	char path[PATH_MAX];
	char basedir[PATH_MAX];
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

static void add_ref(struct prof_ref *refs, size_t *n, const char *name, const char *path, const char *basedir)
{
	if (!path || !*path || *n >= MAX_PROFILES)
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(refs[i].path, path) == 0)
			return;
	safe_name(name, refs[*n].name, sizeof(refs[*n].name));
	/* two tunnels' names may clash once made safe */
	for (size_t i = 0; i < *n; i++)
		if (strcmp(refs[i].name, refs[*n].name) == 0) {
			size_t l = strlen(refs[*n].name);

			snprintf(refs[*n].name + (l > 100 ? 100 : l), 28, "-%zu", *n + 1);
		}
	snprintf(refs[*n].path, sizeof(refs[*n].path), "%s", path);
	snprintf(refs[*n].basedir, sizeof(refs[*n].basedir), "%s", basedir ? basedir : "");
	(*n)++;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The profile's own log file (log / log-append), last lines. */
static void profile_log(struct report *r, const struct prof_ref *p, const char *data, size_t len)
{
	struct vd_ovpn_config *cfg = NULL;
	const struct vd_ovpn_option *o;
	struct vd_error err;
	char path[PATH_MAX * 2 + 2], name[200], *text = NULL, dir[PATH_MAX];
	const char *slash;
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
	e = tail_file(path, &text);
	if (e < 0) {
		missing(r, "%s: the log %s: %s", name, path, strerror(-e));
		return;
	}
	add_part(r, name, "the last 200 lines of the profile's OpenVPN log file", text, strlen(text));
}

static void profile_parts(struct report *r, const cJSON *status, const cJSON *facts, char **extra, size_t n_extra)
{
	static struct prof_ref refs[MAX_PROFILES];
	const cJSON *t;
	size_t n = 0;

	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(facts, "tunnels")) {
		const cJSON *pr = cJSON_GetObjectItemCaseSensitive(t, "profile");

		add_ref(refs, &n, jstr(t, "name") ? jstr(t, "name") : "tunnel", jstr(pr, "path"), jstr(pr, "basedir"));
	}
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(status, "tunnels"))
		add_ref(refs, &n, jstr(t, "name") ? jstr(t, "name") : "tunnel", jstr(t, "config"), NULL);
	for (size_t i = 0; i < n_extra; i++) {
		const char *b = strrchr(extra[i], '/');
		char nm[128];
		size_t l;

		snprintf(nm, sizeof(nm), "%s", b ? b + 1 : extra[i]);
		l = strlen(nm);
		if (l > 5 && (strcmp(nm + l - 5, ".ovpn") == 0 || strcmp(nm + l - 5, ".conf") == 0))
			nm[l - 5] = '\0';
		add_ref(refs, &n, nm, extra[i], NULL);
	}

	for (size_t i = 0; i < n; i++) {
		struct vd_redact_profile_opts o = {.basedir = *refs[i].basedir ? refs[i].basedir : NULL,
		                                   .read = vd_read_file};
		struct vd_redact_notes notes = {0};
		struct vd_error err = {0};
		char name[200], what[PATH_MAX + 64], *data = NULL, *out = NULL;
		size_t len = 0, olen = 0;
		struct part *pt;
		int e;

		snprintf(name, sizeof(name), "profiles/%s.conf", refs[i].name);
		e = vd_read_file(NULL, refs[i].path, VD_OVPN_MAX_INPUT, &data, &len);
		if (e < 0) {
			missing(r, "%s: %s: %s%s", name, refs[i].path, strerror(-e),
			        e == -EACCES ? " (run vpndoctor report as root to include it)" : "");
			continue;
		}
		profile_log(r, &refs[i], data, len);
		e = vd_redact_profile(refs[i].path, data, len, &o, &out, &olen, &notes, &err);
		explicit_bzero(data, len);
		free(data);
		snprintf(what, sizeof(what), "the client profile %s, re-written without secrets", refs[i].path);
		if (e == -EINVAL) {
			char msg[PATH_MAX + 512];

			snprintf(msg, sizeof(msg),
			         "# %s could not be parsed (line %u: %s), so it is left out: vpndoctor only\n"
			         "# writes back a profile it has read whole.\n",
			         refs[i].path, err.line, err.msg);
			add_text(r, name, what, msg);
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

struct sbuf_lite {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sl_printf(struct sbuf_lite *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sl_printf(struct sbuf_lite *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->p && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t cap = (b->cap ? b->cap : 1024) * 2 + (size_t)n;
			char *np = realloc(b->p, cap);

			if (!np) {
				b->oom = true;
				return;
			}
			b->p = np;
			b->cap = cap;
		}
	}
}

/* Removal notes, the same ones counted, at most MAX_NOTES_SHOWN. */
static void manifest_notes(struct sbuf_lite *b, const struct vd_redact_notes *n)
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
				sl_printf(b, "    - %s (%zu times)\n", n->lines[i], same);
			else
				sl_printf(b, "    - %s\n", n->lines[i]);
			shown++;
		}
	}
	if (distinct > shown)
		sl_printf(b, "    - ... and %zu more kinds\n", distinct - shown);
}

static char *manifest(const struct cli_ctx *ctx, const struct report *r, const struct vd_anon *anon, time_t now)
{
	struct sbuf_lite b = {0};
	char ts[32];

	sl_printf(&b, "vpndoctor report\n\n");
	sl_printf(&b, "created:    %s by vpndoctor %s\n", vd_format_time(now, ts, sizeof(ts)), VD_VERSION);
	if (r->daemon_ok)
		sl_printf(&b, "daemon:     reached at %s\n", ctx->socket_path);
	else
		sl_printf(&b, "daemon:     NOT reached (%s): status, findings, history and facts are missing\n",
		          r->daemon_why);
	if (anon) {
		size_t n4, n6, nn;

		vd_anon_counts(anon, &n4, &n6, &nn);
		sl_printf(&b, "anonymized: yes: %zu public IPv4 and %zu IPv6 addresses and %zu host names replaced by\n"
		              "            stand-ins (203.0.113.x, 198.51.100.x, 192.0.2.x, 2001:db8:ffff::x,\n"
		              "            hostN.example.invalid), the same one for the same input everywhere in\n"
		              "            this report; the mapping itself is not in it. Private, lab and\n"
		              "            documentation addresses and .internal/.local/.lan names are kept.\n",
		          n4, n6, nn);
	} else {
		sl_printf(&b, "anonymized: no (vpndoctor report --anonymize maps public addresses and host names)\n");
	}
	sl_printf(&b, "secrets:    every file went through vpndoctor's scrubber, which removes private keys,\n"
	              "            OpenVPN static and tls-crypt-v2 keys (any PEM block but certificates, CRLs,\n"
	              "            requests, public keys and parameters) and password-like values. Profiles\n"
	              "            are re-written option by option: comments dropped, inline keys and\n"
	              "            passwords removed, certificates reduced to subject, issuer, dates and\n"
	              "            SHA-256 fingerprint; key and password files are named, never included.\n\n");
	sl_printf(&b, "files:\n");
	sl_printf(&b, "  MANIFEST\n    this list\n");
	for (size_t i = 0; i < r->n; i++) {
		sl_printf(&b, "  %s (%zu bytes)\n    %s\n", r->parts[i].name, r->parts[i].len, r->parts[i].what);
		manifest_notes(&b, &r->parts[i].notes);
	}
	if (r->n_missing) {
		sl_printf(&b, "\nmissing:\n");
		for (size_t i = 0; i < r->n_missing; i++)
			sl_printf(&b, "  %s\n", r->missing[i]);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
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
	fprintf(stderr, "Usage: vpndoctor report [-o FILE] [--anonymize] [--no-daemon] [--profile PATH]...\n");
	return CLI_EXIT_USAGE;
}

int cmd_report(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *output = NULL;
	bool anonymize = false, no_daemon = false;
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
		else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			printf("Usage: vpndoctor report [-o FILE] [--anonymize] [--no-daemon] [--profile PATH]...\n\n"
			       "Writes one tar.gz for the network team: status, findings, history and facts from\n"
			       "the daemon, OpenVPN's version and log, links, addresses, routes, resolvers and\n"
			       "each profile, without a secret. See vpndoctor(1).\n");
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

	/* collect */
	if (no_daemon)
		snprintf(r.daemon_why, sizeof(r.daemon_why), "--no-daemon");
	else
		from_daemon(ctx, &r, &status, &facts);
	if (!r.daemon_ok && !no_daemon)
		fprintf(stderr, "vpndoctor: %s; the report has only what this machine shows\n", r.daemon_why);
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
		else
			missing(&r, "resolv.conf: /etc/resolv.conf: %s", strerror(-e));
		add_cmd(&r, "resolvectl-status.txt", "systemd-resolved's per-link DNS servers and domains (resolvectl status)",
		        rctl);
	}
	profile_parts(&r, status, facts, extra, n_extra);
	cJSON_Delete(status);
	cJSON_Delete(facts);

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
		fprintf(stderr, "vpndoctor: out of memory\n");
		rc = CLI_EXIT_ERROR;
		goto out;
	}

	/* write */
	snprintf(stage, sizeof(stage), "%s/vpndoctor-report.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(stage)) {
		fprintf(stderr, "vpndoctor: cannot make a staging directory in %s: %m\n", tmp && *tmp ? tmp : "/tmp");
		rc = CLI_EXIT_ERROR;
		goto out;
	}
	fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0 || fchmod(fd, 0600) < 0) {
		fprintf(stderr, "vpndoctor: cannot write %s: %m\n", output);
		remove_stage(&r, stage, top);
		rc = CLI_EXIT_ERROR;
		goto out;
	}
	e = write_bundle(&r, man, stage, top, fd);
	remove_stage(&r, stage, top);
	close(fd);
	if (e < 0) {
		fprintf(stderr, "vpndoctor: cannot write %s: %s\n", output,
		        e == -EIO ? "tar failed" : strerror(-e));
		unlink(output);
		rc = CLI_EXIT_ERROR;
		goto out;
	}

	if (ctx->json) {
		cJSON *o = cJSON_CreateObject(), *files;

		cJSON_AddStringToObject(o, "output", output);
		cJSON_AddBoolToObject(o, "complete", r.daemon_ok && r.n_missing == 0);
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
		out_json(stdout, o);
		cJSON_Delete(o);
	} else {
		printf("wrote %s\n", output);
		printf("  %s/MANIFEST\n", top);
		for (size_t i = 0; i < r.n; i++)
			printf("  %s/%-28s %8zu bytes  %s\n", top, r.parts[i].name, r.parts[i].len, r.parts[i].what);
		for (size_t i = 0; i < r.n_missing; i++)
			printf("  missing: %s\n", r.missing[i]);
	}
	/* the daemon's sections missing unasked is worth a non-zero status */
	rc = r.daemon_ok || no_daemon ? CLI_EXIT_OK : CLI_EXIT_WARNING;
out:
	free(man);
	report_free(&r);
	return rc;
}
