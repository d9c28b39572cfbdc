/* node_exporter textfile metrics. Names and units follow Prometheus'
 * conventions (base units: seconds, bytes, ratios 0..1; _timestamp_seconds
 * for epoch times; a state as one 0/1 series per possible value). Labels
 * take only bounded values: tunnel names (from the configuration or
 * discovery, at most METRICS_MAX_TUNNELS), cause ids, severities, probe
 * names, states, certificate roles and ping target addresses (at most
 * METRICS_MAX_TARGETS per tunnel). No summary, error text or other free
 * text goes into a label, and what goes in is escaped (put_label). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "vpndoctor/text.h"
#include "vpndoctor/version.h"

#define TMP_NAME ".vpndoctor.prom.tmp"

/* ---- rendering ---- */

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool jnum(const cJSON *o, const char *k, double *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return false;
	*ret = v->valuedouble;
	return true;
}

static const cJSON *jobj(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsObject(v) ? v : NULL;
}

/* A section of the facts counts only when its probe measured (docs/facts.md:
 * "unknown" is as good as missing). */
static const cJSON *section(const cJSON *o, const char *k)
{
	const cJSON *s = jobj(o, k);
	const char *st = s ? jstr(s, "status") : NULL;

	return s && (!st || strcmp(st, "unknown") != 0) ? s : NULL;
}

/* A label value: text from elsewhere (a tunnel name from discovery is
 * another user's text) goes through the one escaper of text for people
 * (vd_text_escape: controls, bidi marks and bad UTF-8 made visible, so the
 * file stays valid UTF-8 on one line), then gets the exposition format's own
 * escapes for backslash and double quote. NULL: out of memory. */
static char *label_text(const char *v)
{
	return vd_text_escape_dup(v ? v : "");
}

static void put_label(FILE *f, const char *name, const char *v)
{
	char *e = label_text(v);

	fprintf(f, "%s=\"", name);
	for (const char *p = e ? e : "?"; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		fputc(*p, f);
	}
	fputc('"', f);
	free(e);
}

struct lbl {
	const char *name, *value;
};

static void put_value(FILE *f, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		fprintf(f, " %.0f\n", v);
	else
		fprintf(f, " %.9g\n", v);
}

/* One sample: name{labels} value. n labels; a label whose value is NULL is left out. */
static void sample(FILE *f, const char *name, const struct lbl *l, size_t n, double v)
{
	bool any = false;

	fputs(name, f);
	for (size_t i = 0; i < n; i++) {
		if (!l[i].value)
			continue;
		fputc(any ? ',' : '{', f);
		put_label(f, l[i].name, l[i].value);
		any = true;
	}
	if (any)
		fputc('}', f);
	put_value(f, v);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The tunnels that get series: the status's, in order, without two whose
 * labels would be the same after escaping (a duplicate series would make
 * node_exporter drop the whole file), at most METRICS_MAX_TUNNELS. */
struct view {
	const cJSON *status, *facts;
	const cJSON *tunnels[METRICS_MAX_TUNNELS];
	const cJSON *tfacts[METRICS_MAX_TUNNELS];
	size_t n;
	unsigned omitted;
};

/* Two names whose labels would read the same after escaping. */
static bool same_label(const char *a, const char *b)
{
	char *x = label_text(a), *y = label_text(b);
	bool same = !x || !y || strcmp(x, y) == 0; /* out of memory: leave it out */

	free(x);
	free(y);
	return same;
}

static void view_build(struct view *v, const cJSON *status, const cJSON *facts)
{
	const cJSON *t, *ft;

	memset(v, 0, sizeof(*v));
	v->status = status;
	v->facts = facts;
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(status, "tunnels")) {
		const char *name = jstr(t, "name");
		bool dup = false;

		if (!name)
			continue;
		for (size_t i = 0; i < v->n && !dup; i++)
			dup = same_label(jstr(v->tunnels[i], "name"), name);
		if (dup || v->n == METRICS_MAX_TUNNELS) {
			v->omitted++;
			continue;
		}
		v->tfacts[v->n] = NULL;
		cJSON_ArrayForEach(ft, cJSON_GetObjectItemCaseSensitive(facts, "tunnels")) {
			const char *fn = jstr(ft, "name");
			if (fn && strcmp(fn, name) == 0)
				v->tfacts[v->n] = ft;
		}
		v->tunnels[v->n++] = t;
	}
}

/* Whether a series of this tunnel (NULL or "": the host) is one we print. */
static bool tunnel_shown(const struct view *v, const char *tunnel)
{
	if (!tunnel || !*tunnel)
		return true;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(jstr(v->tunnels[i], "name"), tunnel) == 0)
			return true;
	return false;
}

static void states(FILE *f, const char *name, const char *label, const char *const *all, size_t n_all,
                   const char *tunnel, const char *now)
{
	for (size_t i = 0; i < n_all; i++) {
		struct lbl l[] = {{"tunnel", tunnel}, {label, all[i]}};
		sample(f, name, l, 2, now && strcmp(now, all[i]) == 0 ? 1 : 0);
	}
}

static const char *const healths[] = {"healthy", "degraded", "broken", "unknown", "idle"};
static const char *const ovpn_states[] = {"connected", "connecting", "reconnecting", "exiting", "exited", "absent"};
static const char *const probe_states[] = {"ok", "fail", "unknown", "running", "never"};

static void render_findings(FILE *f, const struct view *v, bool since)
{
	const cJSON *fd;

	cJSON_ArrayForEach(fd, cJSON_GetObjectItemCaseSensitive(v->status, "findings")) {
		const char *cause = jstr(fd, "cause"), *tunnel = jstr(fd, "tunnel"), *sev = jstr(fd, "severity");
		struct lbl l[] = {{"tunnel", tunnel && *tunnel ? tunnel : NULL}, {"cause", cause}, {"severity", sev}};
		double t = 0;

		if (!cause || !sev || !tunnel_shown(v, tunnel))
			continue;
		if (!since)
			sample(f, "vpndoctor_finding", l, 3, 1);
		else if (jnum(fd, "since", &t))
			sample(f, "vpndoctor_finding_since_timestamp_seconds", l, 3, t);
	}
}

static void render_probes(FILE *f, const struct view *v, int what)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(v->status, "probes")) {
		const char *name = jstr(p, "name"), *tunnel = jstr(p, "tunnel"), *st = jstr(p, "status");
		struct lbl l[] = {{"probe", name}, {"tunnel", tunnel}};
		double x;

		if (!name || !tunnel_shown(v, tunnel))
			continue;
		if (what == 0) {
			for (size_t i = 0; i < VD_ARRAY_SIZE(probe_states); i++) {
				struct lbl ls[] = {{"probe", name}, {"tunnel", tunnel}, {"status", probe_states[i]}};
				sample(f, "vpndoctor_probe_status", ls, 3, st && strcmp(st, probe_states[i]) == 0);
			}
		} else if (what == 1 && jnum(p, "duration_ms", &x)) {
			sample(f, "vpndoctor_probe_duration_seconds", l, 2, x / 1000.0);
		} else if (what == 2 && jnum(p, "last_run", &x)) {
			sample(f, "vpndoctor_probe_last_run_timestamp_seconds", l, 2, x);
		}
	}
}

/* field of each ping result of the tunnel (the server end, then the
 * targets), as seconds (scale 1e-3 for _ms) or a ratio (1e-2 for _pct). */
static void render_ping(FILE *f, const struct view *v, const char *name, const char *field, double scale,
                        unsigned *omitted)
{
	for (size_t i = 0; i < v->n; i++) {
		const cJSON *ping = section(v->tfacts[i], "ping"), *se, *t;
		const char *tunnel = jstr(v->tunnels[i], "name");
		unsigned n = 0;
		double x;

		if (!ping)
			continue;
		if ((se = jobj(ping, "server_end")) && jnum(se, field, &x)) {
			struct lbl l[] = {{"tunnel", tunnel}, {"target", "server_end"}};
			sample(f, name, l, 2, x * scale);
		}
		cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(ping, "targets")) {
			const char *addr = jstr(t, "addr");
			bool dup = false;

			if (!addr || !jnum(t, field, &x))
				continue;
			for (const cJSON *u = cJSON_GetObjectItemCaseSensitive(ping, "targets")->child; u != t; u = u->next)
				dup = dup || (jstr(u, "addr") && strcmp(jstr(u, "addr"), addr) == 0);
			if (dup || strcmp(addr, "server_end") == 0)
				continue;
			if (n++ >= METRICS_MAX_TARGETS) {
				if (omitted)
					(*omitted)++;
				continue;
			}
			struct lbl l[] = {{"tunnel", tunnel}, {"target", addr}};
			sample(f, name, l, 2, x * scale);
		}
	}
}

/* One gauge per tunnel from facts: sect.field (sub: a nested object first). */
static void render_tunnel_field(FILE *f, const struct view *v, const char *name, const char *sect,
                                const char *sub, const char *field, double scale)
{
	for (size_t i = 0; i < v->n; i++) {
		const cJSON *s = section(v->tfacts[i], sect);
		struct lbl l[] = {{"tunnel", jstr(v->tunnels[i], "name")}};
		double x;

		if (s && sub)
			s = jobj(s, sub);
		if (s && jnum(s, field, &x))
			sample(f, name, l, 1, x * scale);
	}
}

static void render_handshake(FILE *f, const struct view *v)
{
	for (size_t i = 0; i < v->n; i++) {
		const cJSON *s = section(v->tfacts[i], "transport"), *u, *t;
		const char *tunnel = jstr(v->tunnels[i], "name");
		double x;

		if (!s)
			continue;
		u = jobj(s, "udp");
		t = jobj(s, "tcp");
		if (u && jstr(u, "result") && strcmp(jstr(u, "result"), "answered") == 0 && jnum(u, "rtt_ms", &x)) {
			struct lbl l[] = {{"tunnel", tunnel}, {"proto", "udp"}};
			sample(f, "vpndoctor_handshake_seconds", l, 2, x / 1000.0);
		}
		if (t && jstr(t, "result") && strcmp(jstr(t, "result"), "answered") == 0 && jnum(t, "connect_ms", &x)) {
			struct lbl l[] = {{"tunnel", tunnel}, {"proto", "tcp"}};
			sample(f, "vpndoctor_handshake_seconds", l, 2, x / 1000.0);
		}
	}
}

/* The earliest notAfter of each certificate role (a chain may hold several
 * CAs: one series per role). Roles are the profile parser's words. */
static void render_certs(FILE *f, const struct view *v)
{
	for (size_t i = 0; i < v->n; i++) {
		const cJSON *prof = section(v->tfacts[i], "profile"), *c;
		const char *roles[8];
		double min[8];
		size_t n = 0;

		if (!prof)
			continue;
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(prof, "certs")) {
			const char *role = jstr(c, "role");
			double na;
			size_t k;

			if (!role || !jnum(c, "not_after", &na) || strspn(role, "abcdefghijklmnopqrstuvwxyz-") != strlen(role))
				continue;
			for (k = 0; k < n && strcmp(roles[k], role) != 0; k++)
				;
			if (k == n) {
				if (n == VD_ARRAY_SIZE(roles))
					continue;
				roles[n] = role;
				min[n++] = na;
			} else if (na < min[k]) {
				min[k] = na;
			}
		}
		for (size_t k = 0; k < n; k++) {
			struct lbl l[] = {{"tunnel", jstr(v->tunnels[i], "name")}, {"role", roles[k]}};
			sample(f, "vpndoctor_certificate_expiry_timestamp_seconds", l, 2, min[k]);
		}
	}
}

int metrics_render(const cJSON *status, const cJSON *facts, char **ret, size_t *len)
{
	struct view *v = calloc(1, sizeof(*v));
	char *buf = NULL;
	size_t n = 0;
	unsigned omitted_targets = 0;
	double x;
	FILE *f;

	if (!v)
		return -ENOMEM;
	view_build(v, status, facts);
	f = open_memstream(&buf, &n);
	if (!f) {
		free(v);
		return -ENOMEM;
	}

	family(f, "vpndoctor_build_info", "gauge", "The vpndoctord that wrote these metrics: 1, with its version.");
	{
		struct lbl l[] = {{"version", VD_VERSION}};
		sample(f, "vpndoctor_build_info", l, 1, 1);
	}
	family(f, "vpndoctor_health", "gauge", "Health of the machine's VPN as a whole: 1 for the current state.");
	for (size_t i = 0; i < 4; i++) {
		struct lbl l[] = {{"health", healths[i]}};
		const char *h = jstr(status, "health");
		sample(f, "vpndoctor_health", l, 1, h && strcmp(h, healths[i]) == 0);
	}
	family(f, "vpndoctor_tunnel_health", "gauge", "Health of each tunnel: 1 for the current state.");
	for (size_t i = 0; i < v->n; i++)
		states(f, "vpndoctor_tunnel_health", "health", healths, VD_ARRAY_SIZE(healths),
		       jstr(v->tunnels[i], "name"), jstr(v->tunnels[i], "health"));
	family(f, "vpndoctor_tunnel_state", "gauge",
	       "State of each tunnel's OpenVPN client: 1 for the current state (all 0 while unknown).");
	for (size_t i = 0; i < v->n; i++)
		states(f, "vpndoctor_tunnel_state", "state", ovpn_states, VD_ARRAY_SIZE(ovpn_states),
		       jstr(v->tunnels[i], "name"), jstr(v->tunnels[i], "state"));
	family(f, "vpndoctor_tunnel_up", "gauge", "1 when the tunnel's OpenVPN client is connected, else 0.");
	for (size_t i = 0; i < v->n; i++) {
		const char *st = jstr(v->tunnels[i], "state");
		struct lbl l[] = {{"tunnel", jstr(v->tunnels[i], "name")}};
		if (st && strcmp(st, "unknown") != 0)
			sample(f, "vpndoctor_tunnel_up", l, 1, strcmp(st, "connected") == 0);
	}
	family(f, "vpndoctor_finding", "gauge",
	       "1 for each open finding: a cause (vpndoctor causes) on a tunnel, with its severity.");
	render_findings(f, v, false);
	family(f, "vpndoctor_finding_since_timestamp_seconds", "gauge", "When each open finding opened.");
	render_findings(f, v, true);
	family(f, "vpndoctor_probe_status", "gauge", "Result of each probe's latest run: 1 for the current status.");
	render_probes(f, v, 0);
	family(f, "vpndoctor_probe_duration_seconds", "gauge", "How long each probe's latest run took.");
	render_probes(f, v, 1);
	family(f, "vpndoctor_probe_last_run_timestamp_seconds", "gauge", "When each probe last ran.");
	render_probes(f, v, 2);

	family(f, "vpndoctor_ping_rtt_seconds", "gauge", "Mean round-trip time of the latest echoes inside the tunnel.");
	render_ping(f, v, "vpndoctor_ping_rtt_seconds", "rtt_avg_ms", 1e-3, &omitted_targets);
	family(f, "vpndoctor_ping_loss_ratio", "gauge", "Share of the latest echoes inside the tunnel that were lost (0-1).");
	render_ping(f, v, "vpndoctor_ping_loss_ratio", "loss_pct", 1e-2, NULL);
	family(f, "vpndoctor_ping_jitter_seconds", "gauge", "Jitter of the latest echoes inside the tunnel.");
	render_ping(f, v, "vpndoctor_ping_jitter_seconds", "jitter_ms", 1e-3, NULL);

	family(f, "vpndoctor_path_rtt_seconds", "gauge",
	       "Mean round-trip time to the gateway's public address, outside the tunnel.");
	render_tunnel_field(f, v, "vpndoctor_path_rtt_seconds", "path", NULL, "rtt_avg_ms", 1e-3);
	family(f, "vpndoctor_path_loss_ratio", "gauge", "Share of probes to the gateway outside the tunnel that were lost (0-1).");
	render_tunnel_field(f, v, "vpndoctor_path_loss_ratio", "path", NULL, "loss_pct", 1e-2);
	family(f, "vpndoctor_path_jitter_seconds", "gauge", "Jitter to the gateway's public address, outside the tunnel.");
	render_tunnel_field(f, v, "vpndoctor_path_jitter_seconds", "path", NULL, "jitter_ms", 1e-3);

	family(f, "vpndoctor_handshake_seconds", "gauge",
	       "Time the gateway's OpenVPN port took to answer a handshake, by transport.");
	render_handshake(f, v);

	family(f, "vpndoctor_clock_offset_seconds", "gauge",
	       "NTP server time minus this machine's time (OpenVPN's TLS fails past 600 s).");
	if (jnum(section(jobj(facts, "host"), "clock"), "offset_s", &x))
		sample(f, "vpndoctor_clock_offset_seconds", NULL, 0, x);

	family(f, "vpndoctor_certificate_expiry_timestamp_seconds", "gauge",
	       "When the earliest certificate of each role (cert, ca) in the tunnel's profile expires.");
	render_certs(f, v);

	family(f, "vpndoctor_receive_bytes_per_second", "gauge", "Mean rate received through the tunnel over the throughput window.");
	render_tunnel_field(f, v, "vpndoctor_receive_bytes_per_second", "throughput", NULL, "rx_mbps", 1e6 / 8);
	family(f, "vpndoctor_transmit_bytes_per_second", "gauge", "Mean rate sent through the tunnel over the throughput window.");
	render_tunnel_field(f, v, "vpndoctor_transmit_bytes_per_second", "throughput", NULL, "tx_mbps", 1e6 / 8);

	family(f, "vpndoctor_metrics_series_omitted", "gauge",
	       "Tunnels and ping targets left out of these metrics to keep them bounded.");
	sample(f, "vpndoctor_metrics_series_omitted", NULL, 0, v->omitted + omitted_targets);

	free(v);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return -ENOMEM;
	}
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	*len = n;
	return 0;
}

/* ---- the file ---- */

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int metrics_write_file(const char *dir, const char *text, size_t len)
{
	int dfd, fd, r;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	/* O_EXCL|O_NOFOLLOW: whoever else can write in dir cannot make us
	 * write through a link; a leftover of ours (a crash) is removed first */
	(void)unlinkat(dfd, TMP_NAME, 0);
	fd = openat(dfd, TMP_NAME, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		close(dfd);
		return r;
	}
	/* node_exporter (another user) reads it: 0644 whatever our umask */
	r = fchmod(fd, 0644) < 0 ? -errno : 0;
	if (!r)
		r = write_all(fd, text, len);
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && renameat(dfd, TMP_NAME, dfd, METRICS_FILE) < 0)
		r = -errno;
	if (r)
		(void)unlinkat(dfd, TMP_NAME, 0);
	close(dfd);
	return r;
}

struct metrics {
	struct vd_daemon *d;
	struct event *timer;
	char *dir;
	struct timespec last;  /* CLOCK_MONOTONIC when the last write attempt ended */
	bool written_once;
	int last_err;          /* logged once until it changes */
	uint64_t writes;
};

static void write_now(struct metrics *m)
{
	cJSON *status = NULL, *facts = NULL;
	char *text = NULL;
	size_t len = 0;
	int r = -ENOMEM;

	status = daemon_status(m->d);
	facts = model_facts(m->d);
	if (status && facts)
		r = metrics_render(status, facts, &text, &len);
	if (r == 0)
		r = metrics_write_file(m->dir, text, len);
	free(text);
	cJSON_Delete(status);
	cJSON_Delete(facts);
	/* from the rename on: fsync takes its time, and two files must not
	 * appear closer than METRICS_MIN_INTERVAL_S */
	clock_gettime(CLOCK_MONOTONIC, &m->last);
	m->written_once = true;
	if (r < 0 && r != m->last_err) {
		errno = -r;
		log_warn("metrics: cannot write %s/" METRICS_FILE, m->dir);
	} else if (r == 0 && m->last_err) {
		log_notice("metrics: writing %s/" METRICS_FILE " again", m->dir);
	}
	m->last_err = r < 0 ? r : 0;
	if (r == 0)
		m->writes++;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct metrics *m = arg;

	if (m->dir)
		write_now(m);
}

void metrics_changed(struct metrics *m)
{
	const int64_t min_us = (int64_t)METRICS_MIN_INTERVAL_S * 1000000;
	struct timespec now;
	int64_t since_us, wait_us;

	if (!m || !m->dir || evtimer_pending(m->timer, NULL))
		return; /* the pending write will show this change too */
	clock_gettime(CLOCK_MONOTONIC, &now);
	since_us = (int64_t)(now.tv_sec - m->last.tv_sec) * 1000000 + (now.tv_nsec - m->last.tv_nsec) / 1000;
	if (!m->written_once || since_us >= min_us) {
		write_now(m);
		return;
	}
	/* a microsecond more, so that the rounding down above never makes it early */
	wait_us = min_us - since_us + 1;
	struct timeval tv = {.tv_sec = (time_t)(wait_us / 1000000), .tv_usec = (suseconds_t)(wait_us % 1000000)};
	evtimer_add(m->timer, &tv);
}

int metrics_set_dir(struct metrics *m, const char *dir)
{
	char *copy = NULL;

	if (dir && !(copy = strdup(dir)))
		return -ENOMEM;
	if (m->dir && (!dir || strcmp(m->dir, dir) != 0)) {
		/* what node_exporter would go on serving from the old place */
		char *old = NULL;
		if (asprintf(&old, "%s/" METRICS_FILE, m->dir) >= 0 && unlink(old) < 0 && errno != ENOENT)
			log_warn("metrics: cannot remove %s", old);
		free(old);
	}
	if (!dir)
		evtimer_del(m->timer);
	if (dir && (!m->dir || strcmp(m->dir, dir) != 0))
		log_info("metrics: writing %s/" METRICS_FILE " at most every %d s", dir, METRICS_MIN_INTERVAL_S);
	free(m->dir);
	m->dir = copy;
	m->last_err = 0;
	return 0;
}

int metrics_new(struct event_base *base, struct vd_daemon *d, const char *dir, struct metrics **ret)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->d = d;
	m->timer = evtimer_new(base, on_timer, m);
	if (!m->timer || metrics_set_dir(m, dir) < 0) {
		metrics_free(m);
		return -ENOMEM;
	}
	*ret = m;
	return 0;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	if (m->timer)
		event_free(m->timer);
	free(m->dir);
	free(m);
}

uint64_t metrics_writes(const struct metrics *m)
{
	return m->writes;
}
