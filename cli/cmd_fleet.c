/* vpndoctor fleet: one view of many laptops from a journal directory that
 * systemd-journal-remote fills with their forwarded entries. Each journal
 * file is opened on its own (sd_journal_open_files), so that a damaged or
 * truncated one is named with what went wrong while the others are read;
 * the finding events (VPNDOCTOR_EVENT, vpndoctord(8) FIELDS) of all files are
 * then replayed in time order, per machine (_MACHINE_ID, shown by
 * _HOSTNAME). Nothing here trusts the entries: every string printed for
 * people goes through vd_text_escape, and the counts are bounded by memory
 * only as far as the directory is. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <systemd/sd-journal.h>

#include "vpndoctor/common.h"
#include "vpndoctor/i18n.h"
#include "vpndoctor/text.h"

#include "cli.h"

#define DEFAULT_DIR "/var/log/journal/remote"
#define RECOVERED_WINDOW_S 3600
#define FIELD_MAX 512 /* longer field values are cut: they are names, not prose */
/* a summary's message: a template and its values; the renderer bounds the rest */
#define MESSAGE_MAX 16384

enum ev_kind { EV_OPENED, EV_RESOLVED, EV_STOPPED };

struct event {
	int64_t time_us;   /* __REALTIME_TIMESTAMP */
	enum ev_kind kind;
	char *machine;     /* _MACHINE_ID */
	char *hostname;    /* _HOSTNAME */
	char *cause, *tunnel, *severity, *summary, *gateway, *profile, *openvpn_version;
	char *summary_message; /* JSON, as the daemon wrote it */
};

struct events {
	struct event *v;
	size_t n, cap;
};

/* One open finding as the replay leaves it. */
struct open_finding {
	const struct event *opened;
	bool open;
};

struct machine {
	const char *id, *hostname;     /* of its latest event */
	struct open_finding *f;
	size_t n_f;
	int64_t last_resolved_us;      /* when its last open finding went */
	int64_t broken_since_us;       /* the first of the findings open before that */
	int64_t last_seen_us;
	char **recovered_causes;       /* what resolved on the way back to healthy */
	size_t n_recovered;
	bool stopped;
};

static void event_free(struct event *e)
{
	free(e->machine);
	free(e->hostname);
	free(e->cause);
	free(e->tunnel);
	free(e->severity);
	free(e->summary);
	free(e->summary_message);
	free(e->gateway);
	free(e->profile);
	free(e->openvpn_version);
}

/* The value of field in the current entry cut at max bytes, or NULL (missing
 * or out of memory). */
static char *field_max(sd_journal *j, const char *name, size_t max)
{
	const void *data;
	size_t len, nl = strlen(name);

	if (sd_journal_get_data(j, name, &data, &len) < 0 || len <= nl || ((const char *)data)[nl] != '=')
		return NULL;
	len -= nl + 1;
	if (len > max)
		len = max;
	return strndup((const char *)data + nl + 1, len);
}

static char *field(sd_journal *j, const char *name)
{
	return field_max(j, name, FIELD_MAX);
}

static int read_entry(sd_journal *j, struct events *ev)
{
	struct event e = {0};
	char *kind = field(j, "VPNDOCTOR_EVENT");
	uint64_t usec;

	if (!kind)
		return 0;
	if (strcmp(kind, "opened") == 0)
		e.kind = EV_OPENED;
	else if (strcmp(kind, "resolved") == 0)
		e.kind = EV_RESOLVED;
	else if (strcmp(kind, "stopped") == 0)
		e.kind = EV_STOPPED;
	else {
		free(kind);
		return 0; /* "updated" is never logged; anything else is not ours to read */
	}
	free(kind);
	if (sd_journal_get_realtime_usec(j, &usec) < 0)
		return 0;
	e.time_us = (int64_t)usec;
	e.machine = field(j, "_MACHINE_ID");
	e.hostname = field(j, "_HOSTNAME");
	e.cause = field(j, "VPNDOCTOR_CAUSE");
	e.tunnel = field(j, "VPNDOCTOR_TUNNEL");
	e.severity = field(j, "VPNDOCTOR_SEVERITY");
	e.summary = field(j, "VPNDOCTOR_SUMMARY");
	/* a message cut short does not parse, and the English summary is shown */
	e.summary_message = field_max(j, "VPNDOCTOR_SUMMARY_MESSAGE", MESSAGE_MAX);
	e.gateway = field(j, "VPNDOCTOR_GATEWAY");
	e.profile = field(j, "VPNDOCTOR_PROFILE");
	e.openvpn_version = field(j, "VPNDOCTOR_OPENVPN_VERSION");
	if (!e.machine || (e.kind != EV_STOPPED && !e.cause)) {
		event_free(&e);
		return 0; /* not an entry a machine and a cause can be told from */
	}
	if (ev->n == ev->cap) {
		size_t cap = ev->cap ? ev->cap * 2 : 256;
		struct event *v = realloc(ev->v, cap * sizeof(*v));
		if (!v) {
			event_free(&e);
			return -ENOMEM;
		}
		ev->v = v;
		ev->cap = cap;
	}
	ev->v[ev->n++] = e;
	return 0;
}

struct read_report {
	cJSON *files, *errors; /* for --json; errors are also printed */
	unsigned read_ok;
};

static void report_error(struct read_report *rr, const char *path, const char *what, int err, size_t entries)
{
	char *p = vd_text_escape_dup(path);
	cJSON *o = cJSON_CreateObject();

	/* TRANSLATORS: a journal file, what went wrong with it, the system's reason */
	fprintf(stderr, _("vpndoctor: %s: %s: %s"), p ? p : "?", _(what), strerror(-err));
	if (entries)
		fprintf(stderr, P_(" (the %zu entry before it is used)", " (the %zu entries before it are used)", entries),
		        entries);
	fputc('\n', stderr);
	if (o) {
		cJSON_AddStringToObject(o, "file", path);
		cJSON_AddStringToObject(o, "error", what);
		cJSON_AddStringToObject(o, "reason", strerror(-err));
		cJSON_AddNumberToObject(o, "entries_read", (double)entries);
		cJSON_AddItemToArray(rr->errors, o);
	}
	free(p);
}

/* Every entry of one file at or after since_us; a file that cannot be opened
 * or that breaks off is reported, and what came before the break is kept. */
static int read_file(const char *path, int64_t since_us, struct events *ev, struct read_report *rr)
{
	const char *paths[] = {path, NULL};
	sd_journal *j = NULL;
	size_t n = 0;
	int r;

	r = sd_journal_open_files(&j, paths, 0);
	if (r < 0) {
		report_error(rr, path, N_("not a journal file that can be read"), r, 0);
		return 0;
	}
	r = sd_journal_add_match(j, "VPNDOCTOR_EVENT=opened", 0);
	if (r >= 0)
		r = sd_journal_add_match(j, "VPNDOCTOR_EVENT=resolved", 0);
	if (r >= 0)
		r = sd_journal_add_match(j, "VPNDOCTOR_EVENT=stopped", 0);
	if (r >= 0 && since_us > 0)
		r = sd_journal_seek_realtime_usec(j, (uint64_t)since_us);
	while (r >= 0 && (r = sd_journal_next(j)) > 0) {
		uint64_t usec;
		if (since_us > 0 && sd_journal_get_realtime_usec(j, &usec) >= 0 && (int64_t)usec < since_us)
			continue;
		r = read_entry(j, ev);
		n++;
	}
	sd_journal_close(j);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		report_error(rr, path, N_("damaged, read stopped"), r, n);
	} else {
		rr->read_ok++;
		cJSON_AddItemToArray(rr->files, cJSON_CreateString(path));
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* DIR/ *.journal (and *.journal~, journald's name for a file it found
 * damaged), by name; path may also be one journal file. */
static int read_dir(const char *dir, int64_t since_us, struct events *ev, struct read_report *rr)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int r = 0;

	if (stat(dir, &st) < 0) {
		r = -errno;
		fprintf(stderr, _("vpndoctor: %s: %s\n"), dir, strerror(-r));
		return r;
	}
	if (S_ISREG(st.st_mode))
		return read_file(dir, since_us, ev, rr);
	d = opendir(dir);
	if (!d) {
		r = -errno;
		fprintf(stderr, _("vpndoctor: %s: %s\n"), dir, strerror(-r));
		return r;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char **v;
		if (de->d_name[0] == '.' || !((l > 8 && strcmp(de->d_name + l - 8, ".journal") == 0) ||
		                              (l > 9 && strcmp(de->d_name + l - 9, ".journal~") == 0)))
			continue;
		v = realloc(names, (n + 1) * sizeof(*names));
		if (!v || asprintf(&v[n], "%s/%s", dir, de->d_name) < 0) {
			names = v ? v : names;
			r = -ENOMEM;
			break;
		}
		names = v;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = read_file(names[i], since_us, ev, rr);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (r == 0 && n == 0)
		fprintf(stderr, _("vpndoctor: %s: no journal files (*.journal)\n"), dir);
	return r;
}

static int cmp_event(const void *a, const void *b)
{
	const struct event *x = a, *y = b;
	return x->time_us < y->time_us ? -1 : x->time_us > y->time_us;
}

/* ---- the replay ---- */

struct fleet {
	struct machine *m;
	size_t n;
};

static struct machine *machine_get(struct fleet *fl, const struct event *e)
{
	struct machine *v;

	for (size_t i = 0; i < fl->n; i++)
		if (strcmp(fl->m[i].id, e->machine) == 0) {
			if (e->hostname)
				fl->m[i].hostname = e->hostname;
			return &fl->m[i];
		}
	v = realloc(fl->m, (fl->n + 1) * sizeof(*v));
	if (!v)
		return NULL;
	fl->m = v;
	v = &fl->m[fl->n++];
	memset(v, 0, sizeof(*v));
	v->id = e->machine;
	v->hostname = e->hostname ? e->hostname : e->machine;
	return v;
}

static bool same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static size_t n_open(const struct machine *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n_f; i++)
		n += m->f[i].open;
	return n;
}

static int replay(const struct events *ev, struct fleet *fl)
{
	for (size_t i = 0; i < ev->n; i++) {
		const struct event *e = &ev->v[i];
		struct machine *m = machine_get(fl, e);
		struct open_finding *f = NULL;
		size_t before;

		if (!m)
			return -ENOMEM;
		m->last_seen_us = e->time_us;
		before = n_open(m);
		if (e->kind == EV_STOPPED) {
			/* the daemon stopped: what was open is no longer known */
			for (size_t k = 0; k < m->n_f; k++)
				m->f[k].open = false;
			m->stopped = true;
			continue;
		}
		m->stopped = false;
		for (size_t k = 0; k < m->n_f && !f; k++)
			if (same(m->f[k].opened->cause, e->cause) && same(m->f[k].opened->tunnel, e->tunnel))
				f = &m->f[k];
		if (e->kind == EV_OPENED) {
			if (!f) {
				struct open_finding *v = realloc(m->f, (m->n_f + 1) * sizeof(*v));
				if (!v)
					return -ENOMEM;
				m->f = v;
				f = &m->f[m->n_f++];
				memset(f, 0, sizeof(*f));
			}
			if (!f->open || !f->opened)
				f->opened = e;
			f->open = true;
			if (before == 0) {
				m->broken_since_us = e->time_us;
				for (size_t k = 0; k < m->n_recovered; k++)
					free(m->recovered_causes[k]);
				m->n_recovered = 0;
			}
		} else if (f && f->open) {
			char **v = realloc(m->recovered_causes, (m->n_recovered + 1) * sizeof(*v));
			f->open = false;
			if (!v)
				return -ENOMEM;
			m->recovered_causes = v;
			bool dup = false;
			for (size_t k = 0; k < m->n_recovered; k++)
				dup = dup || strcmp(v[k], e->cause) == 0;
			if (!dup && !(v[m->n_recovered++] = strdup(e->cause)))
				return -ENOMEM;
			if (n_open(m) == 0)
				m->last_resolved_us = e->time_us;
		}
	}
	return 0;
}

static void fleet_free(struct fleet *fl)
{
	for (size_t i = 0; i < fl->n; i++) {
		free(fl->m[i].f);
		for (size_t k = 0; k < fl->m[i].n_recovered; k++)
			free(fl->m[i].recovered_causes[k]);
		free(fl->m[i].recovered_causes);
	}
	free(fl->m);
}

/* ---- output ---- */

static void put(FILE *f, const char *s);

/* A finding's summary in the reader's language when the journal entry had
 * its message (VPNDOCTOR_SUMMARY_MESSAGE), else the English one. */
static void put_summary(const cJSON *o)
{
	char *s = vd_i18n_render_member(o, "summary_message", "summary");

	put(stdout, s);
	free(s);
}

static void put(FILE *f, const char *s)
{
	vd_text_fputs(f, s ? s : "-");
}

static void add_str(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

/* "summary_message": the entry's message when it is a JSON object (any
 * machine can write to the journal: the renderer bounds what it holds). */
static void add_message(cJSON *o, const char *json)
{
	cJSON *m = json ? cJSON_Parse(json) : NULL;

	if (cJSON_IsObject(m))
		cJSON_AddItemToObject(o, "summary_message", m);
	else
		cJSON_Delete(m);
}

static cJSON *finding_json(const struct machine *m, const struct event *e)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	add_str(o, "machine", m->id);
	add_str(o, "hostname", m->hostname);
	add_str(o, "tunnel", e->tunnel);
	add_str(o, "severity", e->severity);
	cJSON_AddNumberToObject(o, "since", (double)(e->time_us / 1000000));
	add_str(o, "gateway", e->gateway);
	add_str(o, "profile", e->profile);
	add_str(o, "openvpn_version", e->openvpn_version);
	add_str(o, "summary", e->summary);
	add_message(o, e->summary_message);
	return o;
}

/* The causes open now, each with its machines, the earliest since and the
 * gateways; then the machines healthy again within the last hour. */
static cJSON *summary_json(const struct fleet *fl, int64_t now_us)
{
	cJSON *o = cJSON_CreateObject(), *causes, *rec;
	const char **seen = calloc(1, sizeof(char *));
	size_t n_seen = 0;

	if (!o || !seen) {
		cJSON_Delete(o);
		free(seen);
		return NULL;
	}
	cJSON_AddNumberToObject(o, "machines", (double)fl->n);
	causes = cJSON_AddArrayToObject(o, "causes");
	for (size_t i = 0; i < fl->n; i++)
		for (size_t k = 0; k < fl->m[i].n_f; k++) {
			const struct event *e = fl->m[i].f[k].opened;
			bool dup = false;
			const char **v;

			if (!fl->m[i].f[k].open)
				continue;
			for (size_t s = 0; s < n_seen && !dup; s++)
				dup = strcmp(seen[s], e->cause) == 0;
			if (dup)
				continue;
			v = realloc(seen, (n_seen + 1) * sizeof(*v));
			if (!v)
				continue;
			seen = v;
			seen[n_seen++] = e->cause;
		}
	qsort(seen, n_seen, sizeof(*seen), cmp_str);
	for (size_t s = 0; s < n_seen; s++) {
		cJSON *c = cJSON_CreateObject(), *ms, *gws;
		int64_t since = INT64_MAX;
		size_t machines = 0;
		const char *sev = NULL;

		if (!c)
			break;
		cJSON_AddStringToObject(c, "cause", seen[s]);
		ms = cJSON_CreateArray();
		gws = cJSON_CreateArray();
		for (size_t i = 0; i < fl->n; i++) {
			bool counted = false;
			for (size_t k = 0; k < fl->m[i].n_f; k++) {
				const struct event *e = fl->m[i].f[k].opened;
				if (!fl->m[i].f[k].open || strcmp(e->cause, seen[s]) != 0)
					continue;
				machines += !counted;
				counted = true;
				if (e->time_us < since)
					since = e->time_us;
				if (!sev || (e->severity && strcmp(e->severity, "error") == 0))
					sev = e->severity;
				cJSON_AddItemToArray(ms, finding_json(&fl->m[i], e));
				const char *gw = e->gateway ? e->gateway : "";
				cJSON *g;
				bool found = false;
				cJSON_ArrayForEach(g, gws) {
					if (strcmp(cJSON_GetObjectItem(g, "gateway")->valuestring, gw) == 0) {
						cJSON *n = cJSON_GetObjectItem(g, "findings");
						cJSON_SetNumberValue(n, n->valuedouble + 1);
						found = true;
					}
				}
				if (!found) {
					g = cJSON_CreateObject();
					cJSON_AddStringToObject(g, "gateway", gw);
					cJSON_AddNumberToObject(g, "findings", 1);
					cJSON_AddItemToArray(gws, g);
				}
			}
		}
		add_str(c, "severity", sev);
		cJSON_AddNumberToObject(c, "open", (double)machines);
		cJSON_AddNumberToObject(c, "since", (double)(since / 1000000));
		cJSON_AddItemToObject(c, "gateways", gws);
		cJSON_AddItemToObject(c, "findings", ms);
		cJSON_AddItemToArray(causes, c);
	}
	free(seen);
	rec = cJSON_AddArrayToObject(o, "recovered");
	for (size_t i = 0; i < fl->n; i++) {
		const struct machine *m = &fl->m[i];
		cJSON *r, *cs;
		if (n_open(m) || m->stopped || !m->last_resolved_us || now_us - m->last_resolved_us > RECOVERED_WINDOW_S * 1000000LL)
			continue;
		r = cJSON_CreateObject();
		if (!r)
			break;
		add_str(r, "machine", m->id);
		add_str(r, "hostname", m->hostname);
		cJSON_AddNumberToObject(r, "broken_since", (double)(m->broken_since_us / 1000000));
		cJSON_AddNumberToObject(r, "healthy_since", (double)(m->last_resolved_us / 1000000));
		cs = cJSON_AddArrayToObject(r, "causes");
		for (size_t k = 0; k < m->n_recovered; k++)
			cJSON_AddItemToArray(cs, cJSON_CreateString(m->recovered_causes[k]));
		cJSON_AddItemToArray(rec, r);
	}
	return o;
}

static void print_summary(const struct cli_ctx *ctx, const cJSON *o)
{
	const cJSON *c, *f, *g, *r;
	char t[64];
	int nm = cJSON_GetObjectItem(o, "machines")->valueint;

	printf(P_("%d machine in the journal\n", "%d machines in the journal\n", (unsigned long)(nm < 0 ? 0 : nm)), nm);
	if (!cJSON_GetArraySize(cJSON_GetObjectItem(o, "causes")))
		printf("\n%s\n", _("No finding is open on any machine."));
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(o, "causes")) {
		const char *sev = cJSON_GetStringValue(cJSON_GetObjectItem(c, "severity"));
		enum vd_severity s = VD_SEV_NONE;
		int n = cJSON_GetObjectItem(c, "open")->valueint;
		bool first = true;

		vd_severity_parse(sev ? sev : "", &s);
		printf("\n%s", out_sev_color(ctx, s));
		put(stdout, cJSON_GetStringValue(cJSON_GetObjectItem(c, "cause")));
		fputs(out_reset(ctx), stdout);
		/* TRANSLATORS: after a cause: on how many machines it is open, since when */
		printf(P_(": open on %d machine since %s\n", ": open on %d machines since %s\n",
		          (unsigned long)(n < 0 ? 0 : n)),
		       n, vd_i18n_format_time((int64_t)cJSON_GetObjectItem(c, "since")->valuedouble, t, sizeof(t)));
		printf("  %s", _("gateways:"));
		cJSON_ArrayForEach(g, cJSON_GetObjectItem(c, "gateways")) {
			const char *gw = cJSON_GetStringValue(cJSON_GetObjectItem(g, "gateway"));
			printf("%s ", first ? "" : ",");
			put(stdout, gw && *gw ? gw : C_("gateway", "unknown"));
			printf(" (%d)", cJSON_GetObjectItem(g, "findings")->valueint);
			first = false;
		}
		printf("\n");
		cJSON_ArrayForEach(f, cJSON_GetObjectItem(c, "findings")) {
			printf("  ");
			put(stdout, cJSON_GetStringValue(cJSON_GetObjectItem(f, "hostname")));
			printf("  ");
			put(stdout, cJSON_GetStringValue(cJSON_GetObjectItem(f, "tunnel")));
			printf("  ");
			/* TRANSLATORS: when a machine's finding opened */
			printf(_("since %s"),
			       vd_i18n_format_time((int64_t)cJSON_GetObjectItem(f, "since")->valuedouble, t, sizeof(t)));
			printf("  ");
			put_summary(f);
			printf("\n");
		}
	}
	r = cJSON_GetObjectItem(o, "recovered");
	putchar('\n');
	if (cJSON_GetArraySize(r))
		printf(P_("%d machine went from broken to healthy in the last hour:\n",
		          "%d machines went from broken to healthy in the last hour:\n", (unsigned long)cJSON_GetArraySize(r)),
		       cJSON_GetArraySize(r));
	else
		printf("%s\n", _("0 machines went from broken to healthy in the last hour."));
	cJSON_ArrayForEach(f, r) {
		const cJSON *cs;
		bool first = true;
		printf("  ");
		put(stdout, cJSON_GetStringValue(cJSON_GetObjectItem(f, "hostname")));
		printf("  ");
		printf(_("healthy since %s"),
		       vd_i18n_format_time((int64_t)cJSON_GetObjectItem(f, "healthy_since")->valuedouble, t, sizeof(t)));
		printf(" (");
		cJSON_ArrayForEach(cs, cJSON_GetObjectItem(f, "causes")) {
			printf("%s", first ? "" : ", ");
			put(stdout, cs->valuestring);
			first = false;
		}
		printf(")\n");
	}
}

/* --machine: every event of one machine (by hostname or machine id), oldest first. */
static cJSON *machine_json(const struct events *ev, const struct fleet *fl, const char *name)
{
	const struct machine *m = NULL;
	cJSON *o, *evs, *open;

	for (size_t i = 0; i < fl->n && !m; i++)
		if (strcmp(fl->m[i].id, name) == 0 || (fl->m[i].hostname && strcmp(fl->m[i].hostname, name) == 0))
			m = &fl->m[i];
	if (!m)
		return NULL;
	o = cJSON_CreateObject();
	if (!o)
		return NULL;
	add_str(o, "machine", m->id);
	add_str(o, "hostname", m->hostname);
	evs = cJSON_AddArrayToObject(o, "events");
	for (size_t i = 0; i < ev->n; i++) {
		const struct event *e = &ev->v[i];
		cJSON *x;
		if (strcmp(e->machine, m->id) != 0 || !(x = cJSON_CreateObject()))
			continue;
		cJSON_AddNumberToObject(x, "time", (double)(e->time_us / 1000000));
		cJSON_AddStringToObject(x, "event", e->kind == EV_OPENED ? "opened" : e->kind == EV_RESOLVED ? "resolved" : "stopped");
		add_str(x, "cause", e->cause);
		add_str(x, "tunnel", e->tunnel);
		add_str(x, "severity", e->severity);
		add_str(x, "gateway", e->gateway);
		add_str(x, "profile", e->profile);
		add_str(x, "openvpn_version", e->openvpn_version);
		add_str(x, "summary", e->summary);
		add_message(x, e->summary_message);
		cJSON_AddItemToArray(evs, x);
	}
	open = cJSON_AddArrayToObject(o, "open");
	for (size_t k = 0; k < m->n_f; k++)
		if (m->f[k].open)
			cJSON_AddItemToArray(open, finding_json(m, m->f[k].opened));
	return o;
}

static void print_machine(const cJSON *o)
{
	const cJSON *e;
	char t[64];

	put(stdout, cJSON_GetStringValue(cJSON_GetObjectItem(o, "hostname")));
	printf(" (%s ", _("machine"));
	put(stdout, cJSON_GetStringValue(cJSON_GetObjectItem(o, "machine")));
	printf(")\n");
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(o, "events")) {
		const char *gw = cJSON_GetStringValue(cJSON_GetObjectItem(e, "gateway"));
		const char *ev = cJSON_GetStringValue(cJSON_GetObjectItem(e, "event"));

		printf("  %s  ", vd_i18n_format_time((int64_t)cJSON_GetObjectItem(e, "time")->valuedouble, t, sizeof(t)));
		vd_text_pad(stdout, strcmp(ev, "opened") == 0     ? C_("event", "opened")
		                    : strcmp(ev, "resolved") == 0 ? C_("event", "resolved")
		                    : strcmp(ev, "stopped") == 0  ? C_("event", "stopped")
		                                                  : ev,
		            8);
		printf("  ");
		if (strcmp(ev, "stopped") == 0) {
			printf("%s\n", _("vpndoctord stopped"));
			continue;
		}
		{
			char *ca = vd_text_escape_dup(cJSON_GetStringValue(cJSON_GetObjectItem(e, "cause")));
			char *tu = vd_text_escape_dup(cJSON_GetStringValue(cJSON_GetObjectItem(e, "tunnel")));
			char *g = gw ? vd_text_escape_dup(gw) : NULL;

			/* TRANSLATORS: fleet --machine: a cause on a tunnel */
			printf(_("%s on %s"), ca ? ca : "-", tu ? tu : "-");
			if (g)
				/* TRANSLATORS: the gateway of the tunnel, after it */
				printf(_(" (gateway %s)"), g);
			free(ca);
			free(tu);
			free(g);
		}
		printf(": ");
		put_summary(e);
		printf("\n");
	}
	printf(_("Open now: %d\n"), cJSON_GetArraySize(cJSON_GetObjectItem(o, "open")));
}

/* "1h", "30min", "2d", "90s" ago, or what vd_parse_time takes. */
static int parse_since(const char *s, int64_t now, int64_t *ret)
{
	static const struct {
		const char *unit;
		int64_t mult;
	} units[] = {{"s", 1}, {"m", 60}, {"min", 60}, {"h", 3600}, {"d", 86400}};
	size_t n = strspn(s, "0123456789");
	char num[24];
	int64_t v;

	if (n > 0 && n < sizeof(num) && s[n]) {
		memcpy(num, s, n);
		num[n] = '\0';
		for (size_t i = 0; i < VD_ARRAY_SIZE(units); i++)
			if (strcmp(s + n, units[i].unit) == 0 && vd_parse_i64(num, 0, INT64_MAX / 86400, &v) == 0) {
				*ret = now - v * units[i].mult;
				return 0;
			}
	}
	return vd_parse_time(s, ret);
}

static int usage_fleet(FILE *f)
{
	fprintf(f,
	        _("usage: vpndoctor fleet [--directory DIR] [--since TIME] [--machine NAME] [--json]\n"
	          "Reads the findings many machines forwarded to a journal directory\n"
	          "(systemd-journal-remote; default %s) and prints, per cause,\n"
	          "the machines with it open now, since when and on which gateways, and the\n"
	          "machines that went from broken to healthy in the last hour. --machine NAME\n"
	          "(a host name or machine id) prints one machine's events instead. --since\n"
	          "reads only entries from TIME on (2026-11-27, 2026-11-27T10:00:00Z, @EPOCH,\n"
	          "or 90s, 30min, 2h, 7d ago). A damaged journal file is named on stderr and\n"
	          "the others are read. Exit status: 0 nothing open, 1 warnings, 2 errors open,\n"
	          "3 when no file could be read.\n"),
	        DEFAULT_DIR);
	return f == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

int cmd_fleet(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *dir = DEFAULT_DIR, *machine = NULL;
	int64_t now = (int64_t)time(NULL), since = -1;
	struct events ev = {0};
	struct fleet fl = {0};
	struct read_report rr = {0};
	cJSON *out = NULL;
	int r, rc = CLI_EXIT_UNKNOWN;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return usage_fleet(stdout);
		if (strcmp(a, "--json") == 0)
			continue;
		if ((strcmp(a, "--directory") == 0 || strcmp(a, "-D") == 0) && v && *v) {
			dir = v;
			i++;
		} else if (strncmp(a, "--directory=", 12) == 0 && a[12]) {
			dir = a + 12;
		} else if (strcmp(a, "--machine") == 0 && v && *v) {
			machine = v;
			i++;
		} else if (strncmp(a, "--machine=", 10) == 0 && a[10]) {
			machine = a + 10;
		} else if ((strcmp(a, "--since") == 0 && v) || strncmp(a, "--since=", 8) == 0) {
			const char *s = a[7] == '=' ? a + 8 : v;
			if (a[7] != '=')
				i++;
			if (parse_since(s, now, &since) < 0) {
				fprintf(stderr, _("vpndoctor: --since: not a time: %s\n"), s);
				return CLI_EXIT_USAGE;
			}
		} else {
			return usage_fleet(stderr);
		}
	}
	rr.files = cJSON_CreateArray();
	rr.errors = cJSON_CreateArray();
	if (!rr.files || !rr.errors)
		goto oom;
	r = read_dir(dir, since >= 0 ? since * 1000000 : 0, &ev, &rr);
	if (r == -ENOMEM)
		goto oom;
	if (r < 0 || rr.read_ok == 0) {
		if (r == 0)
			fprintf(stderr, _("vpndoctor: no journal file in %s could be read\n"), dir);
		goto out;
	}
	qsort(ev.v, ev.n, sizeof(*ev.v), cmp_event);
	if (replay(&ev, &fl) < 0)
		goto oom;
	if (machine) {
		out = machine_json(&ev, &fl, machine);
		if (!out) {
			char *m = vd_text_escape_dup(machine);
			fprintf(stderr, _("vpndoctor: no machine named %s in %s\n"), m ? m : "?", dir);
			free(m);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	} else {
		out = summary_json(&fl, now * 1000000);
		if (!out)
			goto oom;
	}
	cJSON_AddItemToObject(out, "files", rr.files);
	cJSON_AddItemToObject(out, "errors", rr.errors);
	rr.files = rr.errors = NULL;
	if (ctx->json)
		out_json(stdout, out);
	else if (machine)
		print_machine(out);
	else
		print_summary(ctx, out);

	/* the monitoring-plugins convention over what is open now */
	{
		enum vd_severity worst = VD_SEV_NONE;
		for (size_t i = 0; i < fl.n; i++) {
			if (machine && strcmp(fl.m[i].id, cJSON_GetStringValue(cJSON_GetObjectItem(out, "machine"))) != 0)
				continue;
			for (size_t k = 0; k < fl.m[i].n_f; k++) {
				enum vd_severity s;
				if (fl.m[i].f[k].open && fl.m[i].f[k].opened->severity &&
				    vd_severity_parse(fl.m[i].f[k].opened->severity, &s) == 0 && s > worst)
					worst = s;
			}
		}
		rc = out_exit_for(worst);
	}
	goto out;
oom:
	fputs(_("vpndoctor: out of memory\n"), stderr);
	rc = CLI_EXIT_UNKNOWN;
out:
	cJSON_Delete(out);
	cJSON_Delete(rr.files);
	cJSON_Delete(rr.errors);
	fleet_free(&fl);
	for (size_t i = 0; i < ev.n; i++)
		event_free(&ev.v[i]);
	free(ev.v);
	return rc;
}
