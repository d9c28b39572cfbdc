/* The daemon's model: tunnels, probe results, facts, findings and health.
 * Everything here runs on the loop; events go out to the log, the history and
 * subscribers in the order they happen. Callbacks into control.c may cancel
 * checks or subscriptions, so both lists are swept only outside dispatch. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "cloud.h"
#include "config.h"
#include "discoverer.h"
#include "history.h"
#include "log.h"
#include "model.h"
#include "scheduler.h"
#include "vpndoctor/cause.h"
#include "vpndoctor/cloudfacts.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/rules.h"

/* The latest result of one probe; keyed by the probe so that a test may feed
 * sections of probes that are not in the table yet. */
struct probe_rec {
	const struct probe *p;
	cJSON *section;
	enum probe_status status;
	bool ran;
	int64_t last_run;
	uint64_t duration_ms;
	char error[160];
	cJSON *error_message; /* error as a message (the probe's), or NULL */
};

struct recs {
	struct probe_rec *v;
	size_t n;
};

struct tracked;

/* A tunnel: its probes' latest sections and the findings tracked on it.
 * Each is evaluated on its own (its sections and the host's): a probe
 * result costs the rules on one tunnel, never on all of them (at 1,000
 * tunnels every result rebuilt the whole snapshot and the daemon spun a
 * core, issue 16 item 7). Its health and counts are kept up to date as it
 * is evaluated, so the overall health is a few counters, not a scan. */
struct tunnel {
	char *name;
	char *config;
	cJSON *cloud;
	char *cloud_facts;  /* CloudFacts= (cloud.h), or NULL */
	cJSON *unchecked;   /* what the last evaluation could not decide (rules.h) */
	struct recs *recs;
	bool discovered;
	bool has_targets;   /* Targets= set: no derived ones */
	int64_t settle_until;  /* the settle window (model_settle) */
	unsigned settle_kinds;
	bool ran;              /* a probe of it has a result */
	struct tracked *f;     /* open, held, or waiting out a grace period */
	size_t nf;
	unsigned nsev[4];      /* open findings by severity */
	unsigned cat;          /* health: HEALTH_* below, counted in d->ncat */
	int64_t deadline;      /* a grace or hold ends: evaluate again then */
};

#define MODEL_MAX_OBSERVERS 4

/* Health categories, in order of badness. */
enum { HEALTH_HEALTHY, HEALTH_IDLE, HEALTH_UNKNOWN, HEALTH_DEGRADED, HEALTH_BROKEN, HEALTH_N };
static const char *const health_names[HEALTH_N] = {"healthy", "idle", "unknown", "degraded", "broken"};

struct tracked {
	char *cause;
	char *tunnel;
	cJSON *finding;     /* latest, as the rules made it */
	int64_t first_seen; /* when the condition was first seen (grace starts) */
	int64_t since;      /* when it opened */
	int64_t last_seen;
	bool open, mark;
};

struct daemon_sub {
	struct vd_daemon *d;
	daemon_event_fn cb;
	void *userdata;
	bool dead;
	struct daemon_sub *next;
};

struct check_item {
	struct probe_slot *slot;
	uint64_t seq;
	bool done;
};

struct daemon_check {
	struct vd_daemon *d;
	daemon_progress_fn progress;
	daemon_done_fn done;
	void *userdata;
	struct check_item *items;
	size_t n_items, remaining;
	size_t *by_slot;     /* slot pointer hash: item index + 1, 0 empty */
	size_t by_slot_cap;
	struct event *finish_ev;
	bool dead, finished;
	struct daemon_check *next;
};

struct vd_daemon {
	struct event_base *base;
	struct config *cfg;
	struct history *hist;
	struct scheduler *sched;
	struct tunnel *tunnels;
	size_t n_tunnels;
	struct recs *host;
	size_t *index;       /* tunnel name hash: index + 1 per slot, 0 empty */
	size_t index_cap;
	unsigned ncat[HEALTH_N]; /* tunnels per health category */
	unsigned nsev[4];    /* open findings by severity, all tunnels */
	bool health_dirty;   /* the health line needs building again */
	struct event *grace_ev;
	int64_t grace_at;    /* when grace_ev fires (INT64_MAX: not armed) */
	struct daemon_sub *subs;
	struct daemon_check *checks;
	unsigned dispatching;
	daemon_health_fn health_cb;
	void *health_ud;
	daemon_evaluated_fn evaluated_cb;
	void *evaluated_ud;
	daemon_result_fn result_cb;
	void *result_ud;
	struct {
		daemon_result_fn cb;
		void *ud;
	} observers[MODEL_MAX_OBSERVERS];
	struct timeline *timeline;
	struct cloud *cloud;
	int64_t (*now)(void);
	unsigned check_deadline_ms;
	char health_line[384];
	uint64_t gen;        /* bumped on every change daemon_status() shows but age_s */
	uint64_t tunnels_gen; /* bumped whenever d->tunnels is rebuilt */
	uint64_t ev_serial;  /* of the last event sent to subscribers */
	struct discoverer *disc; /* discovery's tunnels */
};

static int64_t wall_now(void)
{
	return (int64_t)time(NULL);
}

static void recs_free(struct recs *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		cJSON_Delete(r->v[i].section);
		cJSON_Delete(r->v[i].error_message);
	}
	free(r->v);
	free(r);
}

static struct probe_rec *rec_get(struct recs *r, const struct probe *p, bool create)
{
	struct probe_rec *v;

	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].p == p)
			return &r->v[i];
	if (!create || !(v = realloc(r->v, (r->n + 1) * sizeof(*v))))
		return NULL;
	r->v = v;
	v += r->n++;
	memset(v, 0, sizeof(*v));
	v->p = p;
	return v;
}

static void tracked_free(struct tracked *t)
{
	free(t->cause);
	free(t->tunnel);
	cJSON_Delete(t->finding);
}

static void tunnel_free(struct tunnel *t)
{
	free(t->name);
	free(t->config);
	cJSON_Delete(t->cloud);
	free(t->cloud_facts);
	cJSON_Delete(t->unchecked);
	recs_free(t->recs);
	for (size_t i = 0; i < t->nf; i++)
		tracked_free(&t->f[i]);
	free(t->f);
}

/* FNV-1a: tunnel names are short and few; what matters is O(1) per lookup
 * where a probe result, a section read or a status line used to scan every
 * tunnel by name. */
static size_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)h;
}

/* The name index of tunnels v[0..n): open addressing, at most half full. */
static int index_new(const struct tunnel *v, size_t n, size_t **ret, size_t *ret_cap)
{
	size_t cap = 16, *idx;

	while (cap < 2 * n)
		cap *= 2;
	idx = calloc(cap, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t k = name_hash(v[i].name) & (cap - 1);

		while (idx[k])
			k = (k + 1) & (cap - 1);
		idx[k] = i + 1;
	}
	*ret = idx;
	*ret_cap = cap;
	return 0;
}

static struct tunnel *tunnel_find(const struct vd_daemon *d, const char *name)
{
	if (!name || !d->index)
		return NULL;
	for (size_t k = name_hash(name) & (d->index_cap - 1); d->index[k]; k = (k + 1) & (d->index_cap - 1))
		if (strcmp(d->tunnels[d->index[k] - 1].name, name) == 0)
			return &d->tunnels[d->index[k] - 1];
	return NULL;
}

/* cfg's tunnels, then the discovered ones */
static const struct config_tunnel *ct_at(const struct vd_daemon *d, const struct config *cfg, size_t i)
{
	return i < cfg->n_tunnels ? &cfg->tunnels[i] : discoverer_tunnel(d->disc, i - cfg->n_tunnels);
}

static void emit(struct vd_daemon *d, const char *event, const struct tracked *t, int64_t now);
static unsigned tunnel_cat(const struct tunnel *t);

/* d's counters and the grace timer from its tunnels as they are. */
static void counters_rebuild(struct vd_daemon *d)
{
	memset(d->ncat, 0, sizeof(d->ncat));
	memset(d->nsev, 0, sizeof(d->nsev));
	for (size_t i = 0; i < d->n_tunnels; i++) {
		struct tunnel *t = &d->tunnels[i];

		t->cat = tunnel_cat(t);
		d->ncat[t->cat]++;
		for (int k = 0; k < 4; k++)
			d->nsev[k] += t->nsev[k];
	}
	d->health_dirty = true;
}

/* New tunnels from cfg and discovery; the records and findings of tunnels
 * that keep their name move over. A tunnel no longer there takes its
 * findings with it: the open ones resolve. */
static int tunnels_build(struct vd_daemon *d, const struct config *cfg)
{
	size_t n = cfg->n_tunnels + discoverer_n(d->disc), *idx = NULL, cap = 0;
	struct tunnel *v = calloc(n ? n : 1, sizeof(*v));
	int64_t now = d->now();

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct config_tunnel *ct = ct_at(d, cfg, i);

		v[i].name = strdup(ct->name);
		v[i].config = ct->config ? strdup(ct->config) : NULL;
		v[i].cloud = config_tunnel_cloud(ct);
		v[i].cloud_facts = ct->cloud_facts ? strdup(ct->cloud_facts) : NULL;
		v[i].discovered = ct->discovered;
		v[i].has_targets = ct->targets.n > 0;
		v[i].deadline = INT64_MAX;
		v[i].recs = calloc(1, sizeof(struct recs));
		if (!v[i].name || (ct->config && !v[i].config) || !v[i].recs || (ct->cloud_facts && !v[i].cloud_facts)) {
			for (size_t j = 0; j <= i; j++)
				tunnel_free(&v[j]);
			free(v);
			return -ENOMEM;
		}
	}
	if (index_new(v, n, &idx, &cap) < 0) {
		for (size_t j = 0; j < n; j++)
			tunnel_free(&v[j]);
		free(v);
		return -ENOMEM;
	}
	/* nothing fails from here on */
	for (size_t i = 0; i < n; i++) {
		struct tunnel *old = tunnel_find(d, v[i].name);

		if (old) {
			v[i].settle_until = old->settle_until;
			v[i].settle_kinds = old->settle_kinds;
		}
		if (!old || !old->recs)
			continue;
		recs_free(v[i].recs);
		v[i].recs = old->recs;
		v[i].ran = old->ran;
		v[i].f = old->f;
		v[i].nf = old->nf;
		memcpy(v[i].nsev, old->nsev, sizeof(v[i].nsev));
		v[i].deadline = old->deadline;
		old->recs = NULL;
		old->f = NULL;
		old->nf = 0;
	}
	/* the events name the old tunnels' sections: all sent before any is freed */
	for (size_t i = 0; i < d->n_tunnels; i++)
		for (size_t k = 0; k < d->tunnels[i].nf; k++)
			if (d->tunnels[i].f[k].open)
				emit(d, "resolved", &d->tunnels[i].f[k], now);
	for (size_t i = 0; i < d->n_tunnels; i++)
		tunnel_free(&d->tunnels[i]);
	free(d->tunnels);
	free(d->index);
	d->tunnels = v;
	d->n_tunnels = n;
	d->index = idx;
	d->index_cap = cap;
	d->gen++;
	d->tunnels_gen++;
	counters_rebuild(d);
	return 0;
}

static void evaluate_tunnel(struct vd_daemon *d, struct tunnel *tn, int64_t now);
static void evaluated(struct vd_daemon *d);

/* Arms the grace timer for a deadline, unless it fires sooner already. */
static void grace_arm(struct vd_daemon *d, int64_t deadline, int64_t now)
{
	struct timeval tv = {0};

	if (deadline == INT64_MAX || deadline >= d->grace_at)
		return;
	tv.tv_sec = deadline > now ? (time_t)(deadline - now) : 0;
	d->grace_at = deadline;
	evtimer_add(d->grace_ev, &tv);
}

/* A grace period or a hold time ended: the tunnels whose deadline it was
 * are evaluated again, and the timer goes to the next deadline. */
static void on_grace(evutil_socket_t fd, short what, void *arg)
{
	struct vd_daemon *d = arg;
	int64_t now = d->now(), next = INT64_MAX;

	d->grace_at = INT64_MAX;
	for (size_t i = 0; i < d->n_tunnels; i++) {
		struct tunnel *t = &d->tunnels[i];

		if (t->deadline <= now)
			evaluate_tunnel(d, t, now);
		if (t->deadline < next)
			next = t->deadline;
	}
	grace_arm(d, next, now);
	evaluated(d);
}

static const struct discoverer_hooks disc_hooks;

/* The cloud facts files changed, or a remote's name resolved. */
static void on_cloud(void *arg)
{
	model_evaluate(arg);
}

int daemon_new(struct event_base *base, struct config *cfg, struct history *hist, struct vd_daemon **ret)
{
	struct vd_daemon *d = calloc(1, sizeof(*d));

	if (!d) {
		config_free(cfg);
		return -ENOMEM;
	}
	d->base = base;
	d->cfg = cfg;
	d->hist = hist;
	d->now = wall_now;
	d->check_deadline_ms = DAEMON_CHECK_DEADLINE_S * 1000;
	d->grace_at = INT64_MAX;
	d->host = calloc(1, sizeof(*d->host));
	d->grace_ev = evtimer_new(base, on_grace, d);
	if (!d->host || !d->grace_ev || discoverer_new(base, &d->cfg, &disc_hooks, d, &d->disc) < 0 ||
	    cloud_new(base, on_cloud, d, &d->cloud) < 0 || tunnels_build(d, cfg) < 0) {
		daemon_free(d);
		return -ENOMEM;
	}
	cloud_load(d->cloud, cfg);
	model_evaluate(d);
	*ret = d;
	return 0;
}

static bool recs_ran(const struct recs *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].ran)
			return true;
	return false;
}

static void checks_sweep(struct vd_daemon *d);
static void subs_sweep(struct vd_daemon *d);

void daemon_free(struct vd_daemon *d)
{
	if (!d)
		return;
	scheduler_free(d->sched);
	for (struct daemon_check *c = d->checks; c; c = c->next)
		c->dead = true;
	for (struct daemon_sub *s = d->subs; s; s = s->next)
		s->dead = true;
	d->dispatching = 0;
	checks_sweep(d);
	subs_sweep(d);
	for (size_t i = 0; i < d->n_tunnels; i++)
		tunnel_free(&d->tunnels[i]);
	free(d->tunnels);
	discoverer_free(d->disc);
	recs_free(d->host);
	free(d->index);
	if (d->grace_ev)
		event_free(d->grace_ev);
	cloud_free(d->cloud);
	config_free(d->cfg);
	free(d);
}

const struct config *daemon_config(const struct vd_daemon *d)
{
	return d->cfg;
}

struct scheduler *daemon_scheduler(struct vd_daemon *d)
{
	return d->sched;
}

void daemon_set_health_cb(struct vd_daemon *d, daemon_health_fn cb, void *userdata)
{
	d->health_cb = cb;
	d->health_ud = userdata;
}

void daemon_set_evaluated_cb(struct vd_daemon *d, daemon_evaluated_fn cb, void *userdata)
{
	d->evaluated_cb = cb;
	d->evaluated_ud = userdata;
}

int daemon_add_result_cb(struct vd_daemon *d, daemon_result_fn cb, void *userdata)
{
	for (size_t i = 0; i < MODEL_MAX_OBSERVERS; i++)
		if (!d->observers[i].cb) {
			d->observers[i].cb = cb;
			d->observers[i].ud = userdata;
			return 0;
		}
	return -ENOSPC;
}

void daemon_remove_result_cb(struct vd_daemon *d, daemon_result_fn cb, void *userdata)
{
	for (size_t i = 0; i < MODEL_MAX_OBSERVERS; i++)
		if (d->observers[i].cb == cb && d->observers[i].ud == userdata)
			d->observers[i].cb = NULL;
}

void model_settle(struct vd_daemon *d, const char *tunnel, unsigned kinds, int64_t until)
{
	for (size_t i = 0; i < d->n_tunnels; i++) {
		struct tunnel *t = &d->tunnels[i];

		if (tunnel && strcmp(t->name, tunnel) != 0)
			continue;
		if (t->settle_until < d->now())
			t->settle_kinds = 0; /* the old window is over */
		if (until > t->settle_until)
			t->settle_until = until;
		t->settle_kinds |= kinds;
	}
	model_evaluate(d);
}

void model_settle_end(struct vd_daemon *d, const char *tunnel)
{
	struct tunnel *t = tunnel_find(d, tunnel);
	int64_t now = d->now();

	if (!t || t->settle_until <= now)
		return;
	t->settle_until = now;
	t->settle_kinds = 0;
	/* what waited for the window's end waits from now */
	for (size_t i = 0; i < t->nf; i++)
		if (!t->f[i].open && t->f[i].first_seen > now)
			t->f[i].first_seen = now;
	evaluate_tunnel(d, t, now);
	evaluated(d);
}

int64_t model_settling(struct vd_daemon *d, const char *tunnel, unsigned *kinds)
{
	const struct tunnel *t = tunnel_find(d, tunnel);

	if (!t || t->settle_until <= d->now()) {
		if (kinds)
			*kinds = 0;
		return 0;
	}
	if (kinds)
		*kinds = t->settle_kinds;
	return t->settle_until;
}

void daemon_set_result_cb(struct vd_daemon *d, daemon_result_fn cb, void *userdata)
{
	d->result_cb = cb;
	d->result_ud = userdata;
}

void daemon_set_timeline(struct vd_daemon *d, struct timeline *tl)
{
	d->timeline = tl;
}

struct timeline *daemon_timeline(struct vd_daemon *d)
{
	return d->timeline;
}

void daemon_set_clock(struct vd_daemon *d, int64_t (*now)(void))
{
	d->now = now ? now : wall_now;
}

/* ---- facts ---- */

static void add_sections(cJSON *o, const struct recs *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].section)
			cJSON_AddItemToObject(o, r->v[i].p->section, cJSON_Duplicate(r->v[i].section, true));
}

/* The tunnel's facts: its sections, and the cloud side as [Tunnel] keys give
 * it, then the cloud facts files, then what the sections themselves show. */
/* by_ref: the sections by reference (the rules' snapshot, gone before the
 * next result), else copies (what leaves the model). The cloud section is
 * always the tunnel's own copy: the cloud facts are applied to it. */
static cJSON *facts_tunnel(struct vd_daemon *d, const struct tunnel *tn, bool by_ref)
{
	cJSON *t = cJSON_CreateObject(), *cloud;
	bool ok = true;

	if (!t)
		return NULL;
	cJSON_AddStringToObject(t, VDF_TUNNEL_NAME, tn->name);
	cloud = tn->cloud ? cJSON_Duplicate(tn->cloud, true) : cJSON_CreateObject();
	if (!cloud || !cJSON_AddItemToObject(t, VDF_TUNNEL_CLOUD, cloud)) {
		cJSON_Delete(cloud);
		cJSON_Delete(t);
		return NULL;
	}
	if (by_ref) {
		for (size_t i = 0; ok && i < tn->recs->n; i++)
			if (tn->recs->v[i].section)
				ok = cJSON_AddItemReferenceToObject(t, tn->recs->v[i].p->section, tn->recs->v[i].section);
	} else {
		add_sections(t, tn->recs);
	}
	if (!ok) {
		cJSON_Delete(t);
		return NULL;
	}
	/* the targets the scheduler gives a tunnel without Targets= (scheduler.c,
	 * derived_targets_of): from the sections and the cloud as applied */
	if (cloud_apply(d->cloud, tn->cloud_facts, t) < 0 || vd_cloud_derive(t) < 0 ||
	    (!tn->has_targets && vd_cloud_derive_section(t) < 0)) {
		cJSON_Delete(t);
		return NULL;
	}
	if (!cloud->child)
		cJSON_DeleteItemFromObjectCaseSensitive(t, VDF_TUNNEL_CLOUD);
	return t;
}

struct cJSON *daemon_facts_head(struct vd_daemon *d)
{
	cJSON *facts = cJSON_CreateObject(), *host;

	if (!facts)
		return NULL;
	cJSON_AddNumberToObject(facts, VDF_FACTS_NOW, (double)d->now());
	host = cJSON_AddObjectToObject(facts, VDF_FACTS_HOST);
	if (!host) {
		cJSON_Delete(facts);
		return NULL;
	}
	add_sections(host, d->host);
	return facts;
}

struct cJSON *daemon_facts_tunnel(struct vd_daemon *d, size_t i)
{
	return i < d->n_tunnels ? facts_tunnel(d, &d->tunnels[i], false) : NULL;
}

size_t daemon_n_tunnels(const struct vd_daemon *d)
{
	return d->n_tunnels;
}

uint64_t daemon_tunnels_gen(const struct vd_daemon *d)
{
	return d->tunnels_gen;
}

const char *daemon_tunnel_name(const struct vd_daemon *d, size_t i)
{
	return i < d->n_tunnels ? d->tunnels[i].name : NULL;
}

ssize_t daemon_tunnel_index(const struct vd_daemon *d, const char *name)
{
	const struct tunnel *t = tunnel_find(d, name);

	return t ? (ssize_t)(t - d->tunnels) : -1;
}

/* Under test the daemon holds every snapshot it builds against the facts
 * definition (VD_FACTS_VALIDATE in the environment, which the suite sets for
 * the daemons of its cli, e2e and lab tests): a probe that writes a key the
 * definition lacks, of another type, or leaves out one the rules read, then
 * stops the daemon and fails the test that saw it. "log" only logs. */
static void check_facts(const cJSON *facts)
{
	static int mode = -1; /* 0 off, 1 stop, 2 log */
	struct vd_fact_violation v[16];
	char buf[300];
	size_t n = 0;

	if (mode < 0) {
		const char *e = getenv("VD_FACTS_VALIDATE");
		mode = !e || !*e || strcmp(e, "0") == 0 ? 0 : strcmp(e, "log") == 0 ? 2 : 1;
	}
	if (!mode || vd_facts_validate(facts, v, VD_ARRAY_SIZE(v), &n) < 0 || n == 0)
		return;
	for (size_t i = 0; i < n && i < VD_ARRAY_SIZE(v); i++)
		log_warnx("facts: %s", vd_fact_violation_format(&v[i], buf, sizeof(buf)));
	if (mode == 1)
		fatalx("facts: %zu violation%s of include/vpndoctor/facts.def (VD_FACTS_VALIDATE): stopping", n,
		       n == 1 ? "" : "s");
}

struct cJSON *model_facts(struct vd_daemon *d)
{
	cJSON *facts = daemon_facts_head(d), *tunnels;

	if (!facts)
		return NULL;
	tunnels = cJSON_AddArrayToObject(facts, VDF_FACTS_TUNNELS);
	if (!tunnels) {
		cJSON_Delete(facts);
		return NULL;
	}
	for (size_t i = 0; i < d->n_tunnels; i++) {
		cJSON *t = facts_tunnel(d, &d->tunnels[i], false);
		if (!t)
			break;
		cJSON_AddItemToArray(tunnels, t);
	}
	check_facts(facts);
	return facts;
}

/* ---- events ---- */

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static cJSON *finding_json(const struct tracked *t)
{
	cJSON *f = cJSON_Duplicate(t->finding, true);

	if (!f)
		return NULL;
	cJSON_DeleteItemFromObjectCaseSensitive(f, "since");
	cJSON_DeleteItemFromObjectCaseSensitive(f, "last_seen");
	cJSON_AddNumberToObject(f, "since", (double)t->since);
	cJSON_AddNumberToObject(f, "last_seen", (double)t->last_seen);
	return f;
}

static const cJSON *tunnel_section(const struct tunnel *t, const char *section)
{
	for (size_t k = 0; k < t->recs->n; k++)
		if (strcmp(t->recs->v[k].p->section, section) == 0 && t->recs->v[k].section)
			return t->recs->v[k].section;
	return NULL;
}

/* The gateway: the address the client uses, else the transport probe's or
 * the route lookup's, else the profile's first remote. */
void model_finding_ctx(struct vd_daemon *d, const char *tunnel, struct log_finding_ctx *ctx, char *ver,
                       size_t ver_len)
{
	const struct tunnel *t = tunnel && *tunnel ? tunnel_find(d, tunnel) : NULL;
	const cJSON *ovpn, *tr, *rt, *prof, *v;

	memset(ctx, 0, sizeof(*ctx));
	if (!t)
		return;
	ovpn = tunnel_section(t, "openvpn");
	tr = tunnel_section(t, "transport");
	rt = tunnel_section(t, "routes");
	prof = tunnel_section(t, "profile");
	ctx->gateway = jstr(cJSON_GetObjectItemCaseSensitive(ovpn, "remote"), "addr");
	if (!ctx->gateway)
		ctx->gateway = jstr(tr, "gateway");
	if (!ctx->gateway)
		ctx->gateway = jstr(cJSON_GetObjectItemCaseSensitive(rt, "gateway"), "addr");
	if (!ctx->gateway)
		ctx->gateway = jstr(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(prof, "remotes"), 0), "host");
	v = cJSON_GetObjectItemCaseSensitive(ovpn, "version");
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(v, "major"))) {
		snprintf(ver, ver_len, "%d.%d.%d", cJSON_GetObjectItemCaseSensitive(v, "major")->valueint,
		         cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(v, "minor")) ?
		                 cJSON_GetObjectItemCaseSensitive(v, "minor")->valueint : 0,
		         cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(v, "patch")) ?
		                 cJSON_GetObjectItemCaseSensitive(v, "patch")->valueint : 0);
		ctx->openvpn_version = ver;
	}
	if (t->config) {
		const char *slash = strrchr(t->config, '/');
		ctx->profile = slash ? slash + 1 : t->config;
	}
}

static void emit(struct vd_daemon *d, const char *event, const struct tracked *t, int64_t now)
{
	cJSON *f = finding_json(t), *ev;

	if (!f)
		return;
	if (strcmp(event, "updated") != 0) {
		struct log_finding_ctx ctx;
		char ver[48];

		/* updates would flood the journal and history with every new
		 * measurement; they go to subscribers only */
		model_finding_ctx(d, t->tunnel, &ctx, ver, sizeof(ver));
		log_finding(event, f, &ctx);
		if (d->hist) {
			cJSON *h = cJSON_CreateObject();
			if (h) {
				const char *sev = jstr(f, "severity"), *sum = jstr(f, "summary");
				cJSON_AddNumberToObject(h, "time", (double)now);
				cJSON_AddStringToObject(h, "event", event);
				cJSON_AddStringToObject(h, "tunnel", t->tunnel);
				cJSON_AddStringToObject(h, "cause", t->cause);
				cJSON_AddStringToObject(h, "severity", sev ? sev : "");
				cJSON_AddStringToObject(h, "summary", sum ? sum : "");
				/* so a client can say it in its reader's language */
				const cJSON *m = cJSON_GetObjectItemCaseSensitive(f, "summary_message");
				if (cJSON_IsObject(m))
					cJSON_AddItemToObject(h, "summary_message", cJSON_Duplicate(m, true));
				int r = history_append(d->hist, h);
				if (r < 0) {
					errno = -r;
					log_warn("history: cannot append the %s event of %s", event, t->cause);
				}
				cJSON_Delete(h);
			}
		}
	}
	ev = cJSON_CreateObject();
	if (ev) {
		cJSON_AddStringToObject(ev, "event", event);
		cJSON_AddNumberToObject(ev, "time", (double)now);
		cJSON_AddItemToObject(ev, "finding", f);
		f = NULL;
		d->dispatching++;
		d->ev_serial++;
		for (struct daemon_sub *s = d->subs; s; s = s->next)
			if (!s->dead)
				s->cb(s->userdata, ev, d->ev_serial);
		d->dispatching--;
		subs_sweep(d);
		cJSON_Delete(ev);
	}
	cJSON_Delete(f);
}

/* ---- findings ---- */

static struct tracked *tracked_find(struct tunnel *tn, const char *cause)
{
	for (size_t i = 0; i < tn->nf; i++)
		if (strcmp(tn->f[i].cause, cause) == 0)
			return &tn->f[i];
	return NULL;
}

static struct tracked *tracked_add(struct tunnel *tn, const char *cause, int64_t now)
{
	struct tracked *v = realloc(tn->f, (tn->nf + 1) * sizeof(*v)), *t;

	if (!v)
		return NULL;
	tn->f = v;
	t = &v[tn->nf];
	memset(t, 0, sizeof(*t));
	t->cause = strdup(cause);
	t->tunnel = strdup(tn->name);
	if (!t->cause || !t->tunnel) {
		tracked_free(t);
		return NULL;
	}
	t->first_seen = now;
	tn->nf++;
	return t;
}

static void tracked_remove(struct tunnel *tn, size_t i)
{
	tracked_free(&tn->f[i]);
	memmove(&tn->f[i], &tn->f[i + 1], (tn->nf - i - 1) * sizeof(tn->f[0]));
	tn->nf--;
}

static enum vd_severity finding_sev(const struct tracked *t)
{
	enum vd_severity s = VD_SEV_NONE;
	const char *n = jstr(t->finding, "severity");

	if (n)
		vd_severity_parse(n, &s);
	return s;
}

/* The tunnel's client is known not to run: the openvpn section says so
 * (a client that is gone keeps its findings: a crash is an error, not idle). */
static bool tunnel_idle(const struct tunnel *t)
{
	for (size_t i = 0; t && i < t->recs->n; i++) {
		const cJSON *sec = t->recs->v[i].section;
		if (!sec || strcmp(t->recs->v[i].p->section, VDF_TUNNEL_OPENVPN) != 0)
			continue;
		return cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(sec, VDF_OPENVPN_RUNNING));
	}
	return false;
}

/* Nothing wrong and nothing to look at is idle, not healthy. */
static unsigned tunnel_cat(const struct tunnel *t)
{
	if (t->nsev[VD_SEV_ERROR])
		return HEALTH_BROKEN;
	if (t->nsev[VD_SEV_WARNING])
		return HEALTH_DEGRADED;
	if (tunnel_idle(t))
		return HEALTH_IDLE;
	return t->ran ? HEALTH_HEALTHY : HEALTH_UNKNOWN;
}

const char *model_health(struct vd_daemon *d, const char *tunnel)
{
	if (tunnel) {
		struct tunnel *t = tunnel_find(d, tunnel);
		return health_names[t ? tunnel_cat(t) : HEALTH_UNKNOWN];
	}
	/* overall: the worst of the tunnels that run; a tunnel not measured
	 * yet makes the whole unknown unless another is worse; an idle one does
	 * not count, and when every tunnel is idle the whole is; with no
	 * tunnel, what the host probes say */
	for (int k = HEALTH_N - 1; k > HEALTH_IDLE; k--)
		if (d->ncat[k])
			return health_names[k];
	if (d->ncat[HEALTH_HEALTHY])
		return health_names[HEALTH_HEALTHY];
	if (d->n_tunnels && d->ncat[HEALTH_IDLE] == d->n_tunnels)
		return health_names[HEALTH_IDLE];
	if (!d->n_tunnels && !recs_ran(d->host))
		return health_names[HEALTH_UNKNOWN];
	return health_names[HEALTH_HEALTHY];
}

static void update_health(struct vd_daemon *d)
{
	char line[sizeof(d->health_line)], names[160] = "";
	const unsigned *n = d->nsev;
	const char *h = model_health(d, NULL);
	size_t off = 0;
	int len;

	if (!d->health_dirty)
		return;
	d->health_dirty = false;
	/* the tunnels with open findings, in order, as many as fit */
	for (size_t i = 0; i < d->n_tunnels && off < sizeof(names); i++) {
		const struct tunnel *t = &d->tunnels[i];

		if (!t->nsev[VD_SEV_ERROR] && !t->nsev[VD_SEV_WARNING] && !t->nsev[VD_SEV_INFO])
			continue;
		len = snprintf(names + off, sizeof(names) - off, "%s%s", off ? ", " : "", t->name);
		off += len > 0 ? (size_t)len : 0;
	}
	if (n[VD_SEV_ERROR] + n[VD_SEV_WARNING] + n[VD_SEV_INFO] == 0) {
		if (strcmp(h, "unknown") == 0)
			snprintf(line, sizeof(line), "unknown: %s",
			         d->n_tunnels ? "no probe has completed yet" : "no tunnel configured");
		else if (strcmp(h, "idle") == 0)
			snprintf(line, sizeof(line), "idle: %zu tunnel%s, no OpenVPN client running", d->n_tunnels,
			         d->n_tunnels == 1 ? "" : "s");
		else
			snprintf(line, sizeof(line), "%s: %zu tunnel%s, no findings", h, d->n_tunnels,
			         d->n_tunnels == 1 ? "" : "s");
	} else {
		char parts[96] = "";
		size_t p = 0;
		static const enum vd_severity sevs[] = {VD_SEV_ERROR, VD_SEV_WARNING, VD_SEV_INFO};
		for (size_t k = 0; k < VD_ARRAY_SIZE(sevs); k++) {
			unsigned c = n[sevs[k]];
			if (!c || p >= sizeof(parts))
				continue;
			len = snprintf(parts + p, sizeof(parts) - p, "%s%u %s%s", p ? ", " : "", c,
			               vd_severity_name(sevs[k]), c == 1 ? "" : "s");
			p += len > 0 ? (size_t)len : 0;
		}
		snprintf(line, sizeof(line), "%s: %s on %s", h, parts, names);
	}
	if (strcmp(line, d->health_line) != 0) {
		snprintf(d->health_line, sizeof(d->health_line), "%s", line);
		if (d->health_cb)
			d->health_cb(d->health_ud, d->health_line);
	}
}

const char *daemon_health_line(struct vd_daemon *d)
{
	return d->health_line;
}

size_t model_pending(const struct vd_daemon *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_tunnels; i++)
		for (size_t k = 0; k < d->tunnels[i].nf; k++)
			n += !d->tunnels[i].f[k].open;
	return n;
}

/* The snapshot the rules see for one tunnel: "now", the host sections and
 * this tunnel alone, by reference (nothing copied). */
static cJSON *facts_for(struct vd_daemon *d, const struct tunnel *tn, int64_t now)
{
	cJSON *facts = cJSON_CreateObject(), *host, *arr, *t;
	bool ok;

	if (!facts)
		return NULL;
	host = cJSON_AddObjectToObject(facts, VDF_FACTS_HOST);
	arr = cJSON_AddArrayToObject(facts, VDF_FACTS_TUNNELS);
	t = facts_tunnel(d, tn, true);
	ok = cJSON_AddNumberToObject(facts, VDF_FACTS_NOW, (double)now) && host && arr && t &&
	     cJSON_AddItemToArray(arr, t);
	if (!ok) {
		if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
			cJSON_Delete(t);
		cJSON_Delete(facts);
		return NULL;
	}
	for (size_t i = 0; ok && i < d->host->n; i++)
		if (d->host->v[i].section)
			ok = cJSON_AddItemReferenceToObject(host, d->host->v[i].p->section, d->host->v[i].section);
	if (!ok) {
		cJSON_Delete(facts);
		return NULL;
	}
	return facts;
}

/* The rules on one tunnel: its findings open (after their grace), update,
 * resolve (after their hold), and its health and the daemon's counters
 * follow. tn->deadline says when time alone changes something. */
static void evaluate_tunnel(struct vd_daemon *d, struct tunnel *tn, int64_t now)
{
	int64_t deadline = INT64_MAX;
	cJSON *facts = facts_for(d, tn, now), *found = NULL, *unchecked = NULL, *f;
	unsigned before[4];
	int r;

	d->gen++;
	if (!facts)
		return;
	check_facts(facts);
	r = vd_rules_run_ex(facts, true, &found, &unchecked);
	cJSON_Delete(facts);
	if (r < 0) {
		errno = -r;
		log_warn("rules: cannot evaluate the facts of %s", tn->name);
		return;
	}
	/* every cause the facts could not decide, for the status */
	cJSON_Delete(tn->unchecked);
	tn->unchecked = cJSON_DetachItemFromObjectCaseSensitive(unchecked, tn->name);
	cJSON_Delete(unchecked);
	memcpy(before, tn->nsev, sizeof(before));
	for (size_t i = 0; i < tn->nf; i++)
		tn->f[i].mark = false;

	cJSON_ArrayForEach(f, found) {
		const char *cause = jstr(f, "cause");
		const struct vd_cause *vc;
		struct tracked *t;

		if (!cause)
			continue;
		t = tracked_find(tn, cause);
		if (jstr(f, "suppressed_by")) {
			/* A cause it depends on explains it: it never opens, and an open
			 * one resolves, naming what suppressed it. */
			if (t && t->open) {
				cJSON_Delete(t->finding);
				t->finding = cJSON_Duplicate(f, true);
				t->last_seen = now;
				if (t->finding)
					emit(d, "resolved", t, now);
			}
			if (t)
				tracked_remove(tn, (size_t)(t - tn->f));
			continue;
		}
		if (!t && !(t = tracked_add(tn, cause, now)))
			continue;
		t->mark = true;
		bool changed = t->open && t->finding &&
		               (!cJSON_Compare(cJSON_GetObjectItemCaseSensitive(t->finding, "severity"),
		                               cJSON_GetObjectItemCaseSensitive(f, "severity"), true) ||
		                !cJSON_Compare(cJSON_GetObjectItemCaseSensitive(t->finding, "summary"),
		                               cJSON_GetObjectItemCaseSensitive(f, "summary"), true));
		cJSON *copy = cJSON_Duplicate(f, true);
		if (copy) {
			cJSON_Delete(t->finding);
			t->finding = copy;
		}
		t->last_seen = now;
		if (t->open) {
			if (changed)
				emit(d, "updated", t, now);
			continue;
		}
		vc = vd_cause_find(cause);
		int64_t grace = vc ? (int64_t)vc->grace_s : 0;
		/* After sleep or a change of network a tunnel reconnects by itself:
		 * what that shows does not open within the window, and its grace
		 * period starts when the window ends. */
		if (vc && (vc->settles & tn->settle_kinds) && now < tn->settle_until &&
		    t->first_seen < tn->settle_until)
			t->first_seen = tn->settle_until;
		if (now - t->first_seen >= grace) {
			t->open = true;
			t->since = now;
			emit(d, "opened", t, now);
		} else if (t->first_seen + grace < deadline) {
			deadline = t->first_seen + grace;
		}
	}
	cJSON_Delete(found);

	/* What no longer shows resolves at once (no grace on the way down; a
	 * sampled cause's rule shows it until its test resolves, so one burst
	 * that got through does not). */
	for (size_t i = tn->nf; i-- > 0;) {
		struct tracked *t = &tn->f[i];

		if (t->mark)
			continue;
		if (t->open)
			emit(d, "resolved", t, now);
		tracked_remove(tn, i);
	}

	memset(tn->nsev, 0, sizeof(tn->nsev));
	for (size_t i = 0; i < tn->nf; i++)
		if (tn->f[i].open)
			tn->nsev[finding_sev(&tn->f[i])]++;
	for (int k = 0; k < 4; k++)
		d->nsev[k] += tn->nsev[k] - before[k];
	unsigned cat = tunnel_cat(tn);
	if (cat != tn->cat || memcmp(before, tn->nsev, sizeof(before)) != 0) {
		d->ncat[tn->cat]--;
		d->ncat[cat]++;
		tn->cat = cat;
		d->health_dirty = true;
	}
	tn->deadline = deadline;
	grace_arm(d, deadline, now);
}

/* After one or more tunnels were evaluated. */
static void evaluated(struct vd_daemon *d)
{
	update_health(d);
	if (d->evaluated_cb)
		d->evaluated_cb(d->evaluated_ud);
}

void model_evaluate(struct vd_daemon *d)
{
	int64_t now = d->now();

	d->gen++;
	d->health_dirty = true; /* the tunnel count, the host's results */
	for (size_t i = 0; i < d->n_tunnels; i++)
		evaluate_tunnel(d, &d->tunnels[i], now);
	evaluated(d);
}

/* ---- probe results ---- */

static void check_progress(struct vd_daemon *d, struct probe_slot *slot, uint64_t seq, const char *status);

void model_probe_result(struct vd_daemon *d, const struct probe *p, const char *tunnel,
                        enum probe_status st, struct cJSON *section, const char *error,
                        int64_t started, uint64_t duration_ms)
{
	model_probe_result_msg(d, p, tunnel, st, section, error, NULL, started, duration_ms);
}

void model_probe_result_msg(struct vd_daemon *d, const struct probe *p, const char *tunnel,
                            enum probe_status st, struct cJSON *section, const char *error,
                            const struct cJSON *error_message, int64_t started, uint64_t duration_ms)
{
	struct tunnel *t = tunnel ? tunnel_find(d, tunnel) : NULL;
	struct probe_rec *rec = NULL;

	if (!tunnel || t)
		rec = rec_get(t ? t->recs : d->host, p, true);
	if (!rec) {
		cJSON_Delete(section);
		return;
	}
	if (!section)
		section = cJSON_CreateObject();
	if (section) {
		/* every section says how it was measured and when (docs/facts.md) */
		if (!cJSON_GetObjectItemCaseSensitive(section, VDF_SECTION_STATUS))
			cJSON_AddStringToObject(section, VDF_SECTION_STATUS, probe_status_name(st));
		if (!cJSON_GetObjectItemCaseSensitive(section, VDF_SECTION_AT))
			cJSON_AddNumberToObject(section, VDF_SECTION_AT, (double)started);
	}
	cJSON_Delete(rec->section);
	rec->section = section;
	rec->status = st;
	rec->ran = true;
	rec->last_run = started;
	rec->duration_ms = duration_ms;
	snprintf(rec->error, sizeof(rec->error), "%s", error ? error : "");
	cJSON_Delete(rec->error_message);
	/* out of memory: the English error alone */
	rec->error_message = rec->error[0] && error_message ? cJSON_Duplicate(error_message, true) : NULL;
	if (d->result_cb)
		d->result_cb(d->result_ud, p, tunnel, st, section);
	for (size_t i = 0; i < MODEL_MAX_OBSERVERS; i++)
		if (d->observers[i].cb)
			d->observers[i].cb(d->observers[i].ud, p, tunnel, st, section);
	if (st == PROBE_FAIL)
		log_info("probe %s%s%s failed%s%s", p->name, tunnel ? " on " : "", tunnel ? tunnel : "",
		         rec->error[0] ? ": " : "", rec->error);
	/* a tunnel's result: its rules alone; the host's: every tunnel's */
	if (!t) {
		model_evaluate(d);
		return;
	}
	t->ran = true;
	evaluate_tunnel(d, t, d->now());
	evaluated(d);
}

static void on_sched_result(void *userdata, struct probe_slot *slot, struct sched_result *r)
{
	struct vd_daemon *d = userdata;
	const char *status = probe_status_name(r->status);

	model_probe_result_msg(d, r->probe, r->tunnel, r->status, r->section, r->error, r->error_message, r->started,
	                       r->duration_ms);
	check_progress(d, slot, r->seq, status);
}

static bool skip_first(void *userdata, const struct probe *p, const char *tunnel)
{
	struct vd_daemon *d = userdata;
	struct tunnel *t = tunnel ? tunnel_find(d, tunnel) : NULL;
	const struct probe_rec *rec = (!tunnel || t) ? rec_get(t ? t->recs : d->host, p, false) : NULL;

	return !(p->events & PROBE_EV_RELOAD) && rec && rec->ran;
}

/* probe_run_section(): a probe reading another's latest facts (routes reads openvpn). */
static const cJSON *section_of(void *userdata, const char *tunnel, const char *section)
{
	struct vd_daemon *d = userdata;
	struct tunnel *t = tunnel ? tunnel_find(d, tunnel) : NULL;
	const struct recs *r = tunnel ? (t ? t->recs : NULL) : d->host;

	for (size_t i = 0; r && i < r->n; i++)
		if (r->v[i].section && strcmp(r->v[i].p->section, section) == 0)
			return r->v[i].section;
	return NULL;
}

const cJSON *model_section(struct vd_daemon *d, const char *tunnel, const char *section)
{
	return section_of(d, tunnel, section);
}

/* The targets of a tunnel without Targets=, as its facts show them. */
static size_t derived_targets_of(void *userdata, const char *tunnel, struct vd_derived_target *out, size_t max)
{
	struct vd_daemon *d = userdata;
	struct tunnel *tn = tunnel_find(d, tunnel);
	cJSON *t;
	size_t n;

	if (!tn || tn->has_targets || !(t = facts_tunnel(d, tn, true)))
		return 0;
	n = vd_cloud_derive_targets(t, out, max);
	cJSON_Delete(t);
	return n;
}

static void on_sched_event(void *userdata, unsigned events);

/* The hooks of a new scheduler, and the slots of the discovered tunnels. */
static int sched_setup(struct vd_daemon *d)
{
	int r = 0;

	scheduler_set_section_fn(d->sched, section_of);
	scheduler_set_targets_fn(d->sched, derived_targets_of);
	scheduler_set_change_counter(d->sched, &d->gen);
	scheduler_set_event_fn(d->sched, on_sched_event);
	for (size_t i = 0; r == 0 && i < discoverer_n(d->disc); i++)
		r = scheduler_add_tunnel(d->sched, discoverer_tunnel(d->disc, i));
	return r;
}

static int sched_create(struct vd_daemon *d, bool (*skip)(void *, const struct probe *, const char *))
{
	int r = scheduler_new(d->base, d->cfg, on_sched_result, d, skip, &d->sched);

	return r == 0 ? sched_setup(d) : r;
}


int daemon_start_probes(struct vd_daemon *d)
{
	int r;

	if (d->sched)
		return 0;
	r = sched_create(d, NULL);
	return r == 0 ? discoverer_start(d->disc) : r;
}

int daemon_start_probes_with(struct vd_daemon *d, const struct probe *const *probes, size_t n)
{
	int r;

	if (d->sched)
		return 0;
	r = scheduler_new_with(d->base, d->cfg, probes, n, on_sched_result, d, NULL, &d->sched);
	return r == 0 ? sched_setup(d) : r;
}

uint64_t model_generation(const struct vd_daemon *d)
{
	return d->gen;
}

int64_t model_now(const struct vd_daemon *d)
{
	return d->now();
}

void daemon_set_check_deadline(struct vd_daemon *d, unsigned ms)
{
	d->check_deadline_ms = ms;
}

static void checks_abort(struct vd_daemon *d);

int daemon_reload(struct vd_daemon *d, struct config *cfg)
{
	struct config *old = d->cfg;
	bool had_sched = d->sched != NULL;
	int r;

	/* checks wait on slots that are about to go: they end now */
	checks_abort(d);
	scheduler_free(d->sched);
	d->sched = NULL;
	discoverer_prune(d->disc, cfg);
	r = tunnels_build(d, cfg);
	if (r < 0) {
		config_free(cfg);
		if (had_sched)
			sched_create(d, skip_first);
		return r;
	}
	d->cfg = cfg;
	config_free(old);
	cloud_load(d->cloud, cfg);
	if (had_sched) {
		r = sched_create(d, skip_first);
		if (r == 0)
			r = discoverer_start(d->disc);
		if (r < 0)
			return r;
	}
	model_evaluate(d);
	return 0;
}


/* ---- discovery (discoverer.h) ---- */

/* Checks waiting on slots that are about to go count them as ended. */
static void checks_forget_tunnel(struct vd_daemon *d, const char *tunnel)
{
	for (struct daemon_check *c = d->checks; c; c = c->next) {
		if (c->dead || c->finished)
			continue;
		for (size_t i = 0; i < c->n_items; i++) {
			struct check_item *it = &c->items[i];
			const char *st = it->slot ? scheduler_slot_tunnel(it->slot) : NULL;
			if (it->done || !st || strcmp(st, tunnel) != 0)
				continue;
			it->done = true;
			it->slot = NULL;
			c->remaining--;
		}
		if (c->remaining == 0)
			event_active(c->finish_ev, 0, 0);
	}
}

static int disc_add(void *userdata, const struct config_tunnel *ct)
{
	struct vd_daemon *d = userdata;
	int r = tunnels_build(d, d->cfg);

	return r == 0 && d->sched ? scheduler_add_tunnel(d->sched, ct) : r;
}

static void disc_remove(void *userdata, const struct config_tunnel *ct)
{
	struct vd_daemon *d = userdata;

	if (d->sched) {
		checks_forget_tunnel(d, ct->name);
		scheduler_remove_tunnel(d->sched, ct);
	}
}

static int disc_rebuild(void *userdata)
{
	struct vd_daemon *d = userdata;

	return tunnels_build(d, d->cfg);
}

/* The tunnel's profile and openvpn probes, now: its process changed. */
static void disc_recheck(void *userdata, const struct config_tunnel *ct)
{
	struct vd_daemon *d = userdata;

	for (size_t i = 0; d->sched && i < scheduler_n_slots(d->sched); i++) {
		struct probe_slot *slot = scheduler_slot(d->sched, i);
		const char *t = scheduler_slot_tunnel(slot);

		if (t && strcmp(t, ct->name) == 0 && (strcmp(scheduler_slot_probe(slot)->name, "profile") == 0 ||
		                                      strcmp(scheduler_slot_probe(slot)->name, "openvpn") == 0))
			scheduler_run_now(d->sched, slot);
	}
}

static void disc_scanned(void *userdata, bool changed)
{
	struct vd_daemon *d = userdata;

	if (changed) {
		if (tunnels_build(d, d->cfg) < 0)
			log_warnx("discovery: out of memory");
		model_evaluate(d);
	}
	d->gen++;
}

static int64_t disc_now(void *userdata)
{
	struct vd_daemon *d = userdata;

	return d->now();
}

static const struct discoverer_hooks disc_hooks = {
	.add = disc_add,
	.remove = disc_remove,
	.rebuild = disc_rebuild,
	.recheck = disc_recheck,
	.scanned = disc_scanned,
	.now = disc_now,
};

/* A link or an OpenVPN client changed: discovery looks again soon. */
static void on_sched_event(void *userdata, unsigned events)
{
	struct vd_daemon *d = userdata;

	discoverer_events(d->disc, events);
}

/* ---- status ---- */

/* Which slots run now, by tunnel and probe: one pass over the slots for a
 * whole status (looking each up by name cost tunnels x slots). Index
 * ti * probes_n + pi, the host's at n_tunnels * probes_n. NULL when out of
 * memory (nothing shows as running then). */
static bool *running_map(struct vd_daemon *d)
{
	bool *run = calloc((d->n_tunnels + 1) * probes_n + 1, sizeof(*run));

	if (!run)
		return NULL;
	for (size_t i = 0; i < scheduler_n_slots(d->sched); i++) {
		struct probe_slot *sl = scheduler_slot(d->sched, i);
		const struct probe *p = scheduler_slot_probe(sl);
		const char *tn = scheduler_slot_tunnel(sl);
		struct tunnel *t = tn ? tunnel_find(d, tn) : NULL;
		size_t ti = t ? (size_t)(t - d->tunnels) : d->n_tunnels;

		if (!scheduler_slot_running(sl) || (tn && !t))
			continue;
		for (unsigned pi = 0; pi < probes_n; pi++)
			if (probes_all[pi] == p)
				run[ti * probes_n + pi] = true;
	}
	return run;
}

static void add_probe(cJSON *arr, const struct probe *p, const char *tunnel, struct recs *recs, bool running,
                      int64_t now)
{
	static const struct probe_rec never;
	cJSON *o = cJSON_CreateObject();
	const struct probe_rec *rec = rec_get(recs, p, false);
	const char *status;

	if (!rec)
		rec = &never;

	if (!o)
		return;
	if (running)
		status = "running";
	else if (!rec->ran)
		status = "never";
	else
		status = probe_status_name(rec->status);
	cJSON_AddStringToObject(o, "name", p->name);
	if (tunnel)
		cJSON_AddStringToObject(o, "tunnel", tunnel);
	else
		cJSON_AddNullToObject(o, "tunnel");
	cJSON_AddStringToObject(o, "status", status);
	if (rec->ran) {
		cJSON_AddNumberToObject(o, "last_run", (double)rec->last_run);
		cJSON_AddNumberToObject(o, "age_s", (double)(now > rec->last_run ? now - rec->last_run : 0));
		cJSON_AddNumberToObject(o, "duration_ms", (double)rec->duration_ms);
	} else {
		cJSON_AddNullToObject(o, "last_run");
		cJSON_AddNullToObject(o, "age_s");
		cJSON_AddNullToObject(o, "duration_ms");
	}
	if (rec->error[0])
		cJSON_AddStringToObject(o, "error", rec->error);
	else
		cJSON_AddNullToObject(o, "error");
	/* the error in the reader's language (vpndoctor/message.h); absent for
	 * a probe that has none, or whose error is plain text */
	if (rec->error[0] && rec->error_message)
		cJSON_AddItemToObject(o, "error_message", cJSON_Duplicate(rec->error_message, true));
	cJSON_AddItemToArray(arr, o);
}

static bool probe_shown(struct vd_daemon *d, const struct probe *p)
{
	const struct config_probe *cp = config_probe(d->cfg, p->name);

	return !cp || cp->enabled;
}

/* One tunnel's part of the status: its entry, its open findings, its
 * probes. */
static void status_tunnel(struct vd_daemon *d, size_t i, const bool *run, int64_t now, cJSON *tunnels,
                          cJSON *findings, cJSON *probes)
{
	struct tunnel *t = &d->tunnels[i];
	cJSON *to = cJSON_CreateObject();
	const char *state = NULL;

	if (to) {
		/* the openvpn probe's section, whoever delivers it */
		for (size_t k = 0; k < t->recs->n && !state; k++)
			if (strcmp(t->recs->v[k].p->section, "openvpn") == 0 && t->recs->v[k].section)
				state = jstr(t->recs->v[k].section, "state");
		cJSON_AddStringToObject(to, "name", t->name);
		cJSON_AddStringToObject(to, "health", health_names[tunnel_cat(t)]);
		if (t->config)
			cJSON_AddStringToObject(to, "config", t->config);
		else
			cJSON_AddNullToObject(to, "config");
		cJSON_AddStringToObject(to, "state", state ? state : "unknown");
		cJSON_AddBoolToObject(to, "discovered", t->discovered);
		/* after a sleep or a move: what a reconnecting tunnel shows waits */
		if (t->settle_until > d->now()) {
			cJSON *st = cJSON_AddObjectToObject(to, "settling"), *after;
			if (st && cJSON_AddNumberToObject(st, "until", (double)t->settle_until) &&
			    (after = cJSON_AddArrayToObject(st, "after"))) {
				if (t->settle_kinds & VD_SETTLE_RESUME)
					cJSON_AddItemToArray(after, cJSON_CreateString("resume"));
				if (t->settle_kinds & VD_SETTLE_ROAM)
					cJSON_AddItemToArray(after, cJSON_CreateString("roam"));
			}
		}
		/* every cause the facts could not decide, so "healthy" hides none */
		cJSON_AddItemToObject(to, "unchecked", t->unchecked ? cJSON_Duplicate(t->unchecked, true)
		                                                    : cJSON_CreateArray());
		cJSON_AddItemToArray(tunnels, to);
	}
	for (size_t k = 0; k < t->nf; k++)
		if (t->f[k].open)
			cJSON_AddItemToArray(findings, finding_json(&t->f[k]));
	for (unsigned pi = 0; pi < probes_n; pi++)
		if (probes_all[pi]->per_tunnel && probe_shown(d, probes_all[pi]))
			add_probe(probes, probes_all[pi], t->name, t->recs, run && run[i * probes_n + pi], now);
}

static void status_host(struct vd_daemon *d, const bool *run, int64_t now, cJSON *probes)
{
	for (unsigned pi = 0; pi < probes_n; pi++)
		if (!probes_all[pi]->per_tunnel && probe_shown(d, probes_all[pi]))
			add_probe(probes, probes_all[pi], NULL, d->host, run && run[d->n_tunnels * probes_n + pi],
			          now);
}

/* {"health", "tunnels": [], "findings": [], "probes": []} for tunnels
 * [from, to), and the host's probes when with_host. */
static cJSON *status_part(struct vd_daemon *d, size_t from, size_t to, bool with_host)
{
	cJSON *o = cJSON_CreateObject(), *tunnels, *findings, *probes;
	int64_t now = d->now();
	bool *run;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "health", model_health(d, NULL));
	tunnels = cJSON_AddArrayToObject(o, "tunnels");
	findings = cJSON_AddArrayToObject(o, "findings");
	probes = cJSON_AddArrayToObject(o, "probes");
	if (!tunnels || !findings || !probes) {
		cJSON_Delete(o);
		return NULL;
	}
	run = running_map(d);
	for (size_t i = from; i < to && i < d->n_tunnels; i++)
		status_tunnel(d, i, run, now, tunnels, findings, probes);
	if (with_host)
		status_host(d, run, now, probes);
	free(run);
	return o;
}

/* The probes: each tunnel's in table order, tunnel after tunnel, then the
 * host's (a page of GetStatus holds whole tunnels). */
struct cJSON *daemon_status(struct vd_daemon *d)
{
	return status_part(d, 0, d->n_tunnels, true);
}

struct cJSON *daemon_status_page(struct vd_daemon *d, size_t from, size_t to)
{
	return status_part(d, from, to, to >= d->n_tunnels);
}

struct cJSON *daemon_history(struct vd_daemon *d, int64_t since, size_t limit)
{
	if (!d->hist) {
		cJSON *o = cJSON_CreateObject();
		if (o && !cJSON_AddArrayToObject(o, "events")) {
			cJSON_Delete(o);
			return NULL;
		}
		return o;
	}
	return history_query(d->hist, since, limit);
}

int daemon_history_cursor(struct vd_daemon *d, int64_t since, size_t limit, struct history_cursor **ret)
{
	*ret = NULL;
	return d->hist ? history_cursor_open(d->hist, since, limit, ret) : 0;
}

/* ---- subscriptions ---- */

struct daemon_sub *daemon_subscribe(struct vd_daemon *d, daemon_event_fn cb, void *userdata)
{
	struct daemon_sub *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->d = d;
	s->cb = cb;
	s->userdata = userdata;
	s->next = d->subs;
	d->subs = s;
	return s;
}

static void subs_sweep(struct vd_daemon *d)
{
	struct daemon_sub **pp = &d->subs;

	if (d->dispatching)
		return;
	while (*pp) {
		struct daemon_sub *s = *pp;
		if (s->dead) {
			*pp = s->next;
			free(s);
		} else {
			pp = &s->next;
		}
	}
}

void daemon_unsubscribe(struct daemon_sub *s)
{
	if (!s)
		return;
	s->dead = true;
	subs_sweep(s->d);
}

/* ---- checks ---- */

static void check_free(struct daemon_check *c)
{
	if (c->finish_ev)
		event_free(c->finish_ev);
	free(c->items);
	free(c->by_slot);
	free(c);
}

static size_t slot_hash(const struct probe_slot *slot, size_t cap)
{
	uint64_t h = (uint64_t)(uintptr_t)slot * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 20) & (cap - 1);
}

/* The item of slot in c, or NULL: a result looks its slot up in O(1) (a
 * Check of every probe on 1,000 tunnels has 13,000 items and as many
 * results). */
static struct check_item *check_item_of(struct daemon_check *c, const struct probe_slot *slot)
{
	if (!c->by_slot)
		return NULL;
	for (size_t k = slot_hash(slot, c->by_slot_cap); c->by_slot[k]; k = (k + 1) & (c->by_slot_cap - 1))
		if (c->items[c->by_slot[k] - 1].slot == slot)
			return &c->items[c->by_slot[k] - 1];
	return NULL;
}

static void checks_sweep(struct vd_daemon *d)
{
	struct daemon_check **pp = &d->checks;

	if (d->dispatching)
		return;
	while (*pp) {
		struct daemon_check *c = *pp;
		if (c->dead) {
			*pp = c->next;
			check_free(c);
		} else {
			pp = &c->next;
		}
	}
}

/* The check is over: done() once, then the check is gone. */
static void check_finish(struct daemon_check *c)
{
	if (c->dead || c->finished)
		return;
	c->finished = true;
	c->dead = true;
	c->d->dispatching++;
	if (c->done)
		c->done(c->userdata);
	c->d->dispatching--;
}

static void on_check_finish(evutil_socket_t fd, short what, void *arg)
{
	struct daemon_check *c = arg;
	struct vd_daemon *d = c->d;

	check_finish(c);
	checks_sweep(d);
}

static void check_progress(struct vd_daemon *d, struct probe_slot *slot, uint64_t seq, const char *status)
{
	d->dispatching++;
	for (struct daemon_check *c = d->checks; c; c = c->next) {
		struct check_item *it;

		if (c->dead)
			continue;
		it = check_item_of(c, slot);
		if (it && !it->done && seq >= it->seq) {
			it->done = true;
			c->remaining--;
			if (c->progress)
				c->progress(c->userdata, scheduler_slot_probe(slot)->name, scheduler_slot_tunnel(slot),
				            status);
		}
		if (!c->dead && c->remaining == 0)
			check_finish(c);
	}
	d->dispatching--;
	checks_sweep(d);
}

static void checks_abort(struct vd_daemon *d)
{
	for (struct daemon_check *c = d->checks; c; c = c->next)
		if (!c->dead && !c->finished) {
			c->remaining = 0;
			for (size_t i = 0; i < c->n_items; i++)
				c->items[i].slot = NULL;
			event_active(c->finish_ev, 0, 0);
		}
}

/* A name of the table, or of a probe the scheduler runs (tests run others). */
static bool probe_known(struct vd_daemon *d, const char *name)
{
	if (probes_find(name))
		return true;
	for (size_t i = 0; i < scheduler_n_slots(d->sched); i++)
		if (strcmp(scheduler_slot_probe(scheduler_slot(d->sched, i))->name, name) == 0)
			return true;
	return false;
}

struct daemon_check *daemon_check_start(struct vd_daemon *d, const char *const *probes, size_t n,
                                        daemon_progress_fn progress, daemon_done_fn done,
                                        void *userdata, int *err, const char **bad_name)
{
	struct daemon_check *c;
	size_t n_slots = scheduler_n_slots(d->sched);

	for (size_t i = 0; i < n; i++)
		if (!probes[i] || !probe_known(d, probes[i])) {
			*err = -ENOENT;
			if (bad_name)
				*bad_name = probes[i];
			return NULL;
		}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->items = calloc(n_slots ? n_slots : 1, sizeof(*c->items))) ||
	    !(c->finish_ev = event_new(d->base, -1, 0, on_check_finish, c))) {
		if (c)
			check_free(c);
		*err = -ENOMEM;
		return NULL;
	}
	c->d = d;
	c->progress = progress;
	c->done = done;
	c->userdata = userdata;
	for (size_t i = 0; i < n_slots; i++) {
		struct probe_slot *slot = scheduler_slot(d->sched, i);
		bool want = n == 0;
		for (size_t j = 0; j < n && !want; j++)
			want = strcmp(probes[j], scheduler_slot_probe(slot)->name) == 0;
		if (want)
			c->items[c->n_items++].slot = slot;
	}
	c->by_slot_cap = 16;
	while (c->by_slot_cap < 2 * c->n_items)
		c->by_slot_cap *= 2;
	c->by_slot = calloc(c->by_slot_cap, sizeof(*c->by_slot));
	if (!c->by_slot) {
		check_free(c);
		*err = -ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < c->n_items; i++) {
		size_t k = slot_hash(c->items[i].slot, c->by_slot_cap);

		while (c->by_slot[k])
			k = (k + 1) & (c->by_slot_cap - 1);
		c->by_slot[k] = i + 1;
	}
	c->remaining = c->n_items;
	c->next = d->checks;
	d->checks = c;
	/* Results arrive through the loop (never inside this call), so the
	 * items can be started here without a callback racing the return. */
	for (size_t i = 0; i < c->n_items; i++)
		c->items[i].seq = scheduler_run_now(d->sched, c->items[i].slot);
	if (c->n_items == 0) {
		event_active(c->finish_ev, 0, 0);
	} else {
		/* a probe that takes long (several NTP samples, DNS timeouts) must
		 * not hold the client forever: it shows as "running" then */
		struct timeval tv = {d->check_deadline_ms / 1000, (d->check_deadline_ms % 1000) * 1000};
		event_add(c->finish_ev, &tv);
	}
	return c;
}

void daemon_check_cancel(struct daemon_check *c)
{
	if (!c)
		return;
	c->dead = true;
	checks_sweep(c->d);
}
