/* A recording on demand (recording.h): a ticker drives the probes that sample
 * and a per-second accumulator per tunnel keeps their figures.
 *
 * Driving: every RECORDING_TICK_MS the slots of ping, path and reflector
 * that are not running start again (so they run back to back, a run of ten
 * echoes about every 2 s), throughput every 5 s (its sampling period) and
 * transport every 10 s (a handshake to the gateway is the costliest). The
 * slots are looked up afresh every tick: a reload rebuilds them. What the
 * runs give reaches the minute timeline too, as any result does.
 *
 * Bounds: one recording at a time, RECORDING_MAX_S seconds, at most
 * RECORDING_MAX_SAMPLES samples (past it they are counted as lost and the
 * reply says truncated). */
#include <errno.h>
#include <stdio.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "vpndoctor/common.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/timeline.h"

#include "daemon.h"
#include "model.h"
#include "recording.h"
#include "scheduler.h"
#include "timeline.h"
#include "tlfile.h"

#define RECORDING_TICK_MS 250

struct rec_sample {
	uint32_t tunnel; /* index into tunnels */
	struct vd_tl_rec rec;
};

struct rec_tunnel {
	char name[VD_TL_NAME_MAX + 1];
	struct vd_tl_acc *acc;
	int64_t second;
	uint8_t state, written_state;
};

/* The probes a recording drives (by the section they fill), and how often
 * at most: ms between two starts. */
static const struct {
	const char *section;
	unsigned spacing_ms;
} driven[] = {
	{VDF_TUNNEL_PING, 1000},       {VDF_TUNNEL_PATH, 1000},       {VDF_TUNNEL_REFLECTOR, 1000},
	{VDF_TUNNEL_THROUGHPUT, 5000}, {VDF_TUNNEL_TRANSPORT, 10000},
};

struct rec_drive {
	const struct probe *p;
	char tunnel[VD_TL_NAME_MAX + 1];
	double last_start;
};

struct recording {
	struct timeline *tl;
	struct vd_daemon *d;
	char tunnel[VD_TL_NAME_MAX + 1]; /* "" for every tunnel */
	unsigned duration_s;
	int64_t started, ended;
	double t0;
	struct event *tick, *done_ev;
	recording_progress_fn progress;
	recording_done_fn done;
	void *userdata;
	bool running, stopped_early, truncated;
	unsigned last_progress;
	struct rec_tunnel **tunnels;
	size_t n_tunnels;
	struct rec_drive *drives;
	size_t n_drives;
	struct rec_sample *samples;
	size_t n_samples, cap_samples, lost, out;
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned spacing_of(const struct probe *p)
{
	for (size_t i = 0; i < VD_ARRAY_SIZE(driven); i++)
		if (strcmp(p->section, driven[i].section) == 0)
			return driven[i].spacing_ms;
	return 0;
}

static bool covers(const struct recording *r, const char *tunnel)
{
	return tunnel && (!r->tunnel[0] || strcmp(r->tunnel, tunnel) == 0);
}

/* ---- samples ----------------------------------------------------------------- */

static void keep(struct recording *r, size_t ti, const struct vd_tl_rec *rec)
{
	if (r->n_samples == r->cap_samples) {
		size_t cap = r->cap_samples ? r->cap_samples * 2 : 256;
		struct rec_sample *v;

		if (r->n_samples >= RECORDING_MAX_SAMPLES ||
		    !(v = realloc(r->samples, (cap > RECORDING_MAX_SAMPLES ? RECORDING_MAX_SAMPLES : cap) * sizeof(*v)))) {
			r->truncated = true;
			r->lost++;
			return;
		}
		r->samples = v;
		r->cap_samples = cap > RECORDING_MAX_SAMPLES ? RECORDING_MAX_SAMPLES : cap;
	}
	r->samples[r->n_samples++] = (struct rec_sample){(uint32_t)ti, *rec};
}

/* The second rt has been adding up, as a sample when it measured anything
 * or the tunnel's state changed. */
static void flush_second(struct recording *r, size_t ti)
{
	struct rec_tunnel *rt = r->tunnels[ti];
	struct vd_tl_rec rec;

	if (rt->second && (vd_tl_acc_has_data(rt->acc) || rt->state != rt->written_state)) {
		vd_tl_acc_set_state(rt->acc, (enum vd_tl_state)rt->state);
		vd_tl_acc_set_health(rt->acc, vd_tl_health_parse(model_health(r->d, rt->name)));
		vd_tl_acc_result(rt->acc, rt->second, 1, &rec);
		keep(r, ti, &rec);
		rt->written_state = rt->state;
	}
	vd_tl_acc_reset(rt->acc);
}

static ssize_t tunnel_index(struct recording *r, const char *name)
{
	struct rec_tunnel *rt, **v;

	for (size_t i = 0; i < r->n_tunnels; i++)
		if (strcmp(r->tunnels[i]->name, name) == 0)
			return (ssize_t)i;
	if (strlen(name) > VD_TL_NAME_MAX)
		return -1;
	rt = calloc(1, sizeof(*rt));
	v = rt ? realloc(r->tunnels, (r->n_tunnels + 1) * sizeof(*v)) : NULL;
	if (!v || !(rt->acc = vd_tl_acc_new())) {
		if (v)
			r->tunnels = v;
		free(rt);
		return -1;
	}
	snprintf(rt->name, sizeof(rt->name), "%s", name);
	rt->written_state = 0xff; /* the first sample says the state */
	r->tunnels = v;
	r->tunnels[r->n_tunnels] = rt;
	return (ssize_t)r->n_tunnels++;
}

static void add_result(struct recording *r, size_t ti, const struct probe *p, const cJSON *sec, int64_t now)
{
	struct rec_tunnel *rt = r->tunnels[ti];
	const cJSON *st;

	if (rt->second != now) {
		flush_second(r, ti);
		rt->second = now;
	}
	if (strcmp(p->section, VDF_TUNNEL_OPENVPN) == 0 &&
	    cJSON_IsString(st = cJSON_GetObjectItemCaseSensitive(sec, VDF_OPENVPN_STATE)))
		rt->state = (uint8_t)vd_tl_state_parse(st->valuestring);
	timeline_feed(rt->acc, p->section, sec);
}

void recording_result(struct recording *r, const struct probe *p, const char *tunnel, const cJSON *sec)
{
	int64_t now;

	if (!r || !r->running)
		return;
	now = model_now(r->d);
	if (!tunnel) {
		for (size_t i = 0; i < r->n_tunnels; i++)
			add_result(r, i, p, sec, now);
		return;
	}
	if (covers(r, tunnel)) {
		ssize_t i = tunnel_index(r, tunnel);

		if (i >= 0)
			add_result(r, (size_t)i, p, sec, now);
	}
}

/* ---- driving ------------------------------------------------------------------ */

static struct rec_drive *drive_of(struct recording *r, const struct probe *p, const char *tunnel)
{
	struct rec_drive *v;

	for (size_t i = 0; i < r->n_drives; i++)
		if (r->drives[i].p == p && strcmp(r->drives[i].tunnel, tunnel) == 0)
			return &r->drives[i];
	if (strlen(tunnel) > VD_TL_NAME_MAX || !(v = realloc(r->drives, (r->n_drives + 1) * sizeof(*v))))
		return NULL;
	r->drives = v;
	v = &r->drives[r->n_drives++];
	memset(v, 0, sizeof(*v));
	v->p = p;
	snprintf(v->tunnel, sizeof(v->tunnel), "%s", tunnel);
	v->last_start = -1e9;
	return v;
}

static void drive(struct recording *r, double now)
{
	struct scheduler *s = daemon_scheduler(r->d);

	for (size_t i = 0; s && i < scheduler_n_slots(s); i++) {
		struct probe_slot *slot = scheduler_slot(s, i);
		const struct probe *p = scheduler_slot_probe(slot);
		const char *tunnel = scheduler_slot_tunnel(slot);
		unsigned spacing = spacing_of(p);
		struct rec_drive *dr;

		if (!spacing || !covers(r, tunnel) || scheduler_slot_running(slot))
			continue;
		dr = drive_of(r, p, tunnel);
		if (!dr || (now - dr->last_start) * 1000 < spacing)
			continue;
		dr->last_start = now;
		scheduler_run_now(s, slot);
	}
}

static int by_tunnel_time(const void *a, const void *b, void *arg)
{
	const struct rec_sample *x = a, *y = b;
	struct recording *r = arg;
	int c = strcmp(r->tunnels[x->tunnel]->name, r->tunnels[y->tunnel]->name);

	if (c)
		return c;
	return x->rec.time < y->rec.time ? -1 : x->rec.time > y->rec.time;
}

static void finish(struct recording *r, bool early)
{
	if (!r->running)
		return;
	r->running = false;
	r->stopped_early = early;
	r->ended = model_now(r->d);
	evtimer_del(r->tick);
	for (size_t i = 0; i < r->n_tunnels; i++)
		flush_second(r, i);
	if (r->n_samples > 1)
		qsort_r(r->samples, r->n_samples, sizeof(*r->samples), by_tunnel_time, r);
	if (r->tl)
		timeline_set_recording(r->tl, NULL);
	event_active(r->done_ev, EV_TIMEOUT, 1);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct recording *r = arg;
	double now = mono(), elapsed = now - r->t0;

	if (elapsed >= r->duration_s) {
		finish(r, false);
		return;
	}
	if (r->tunnel[0] && daemon_tunnel_index(r->d, r->tunnel) < 0) {
		finish(r, true); /* the tunnel went away (a reload, discovery) */
		return;
	}
	drive(r, now);
	if ((unsigned)elapsed > r->last_progress) {
		r->last_progress = (unsigned)elapsed;
		if (r->progress)
			r->progress(r->userdata, r->last_progress, r->duration_s, r->n_samples);
	}
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct recording *r = arg;

	if (r->done)
		r->done(r->userdata);
}

int recording_start(struct timeline *tl, const char *tunnel, unsigned duration_s, recording_progress_fn progress,
                    recording_done_fn done, void *userdata, struct recording **ret, int64_t *busy_since)
{
	struct vd_daemon *d = timeline_daemon(tl);
	struct timeval tv = {0, RECORDING_TICK_MS * 1000};
	struct recording *r;

	if (timeline_recording(tl)) {
		if (busy_since)
			*busy_since = timeline_recording(tl)->started;
		return -EBUSY;
	}
	if (duration_s < 1 || duration_s > RECORDING_MAX_S)
		return -EINVAL;
	if (tunnel && (strlen(tunnel) > VD_TL_NAME_MAX || daemon_tunnel_index(d, tunnel) < 0))
		return -ENOENT;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->tl = tl;
	r->d = d;
	snprintf(r->tunnel, sizeof(r->tunnel), "%s", tunnel ? tunnel : "");
	r->duration_s = duration_s;
	r->progress = progress;
	r->done = done;
	r->userdata = userdata;
	r->tick = event_new(timeline_base(tl), -1, EV_PERSIST, on_tick, r);
	r->done_ev = event_new(timeline_base(tl), -1, 0, on_done, r);
	if (!r->tick || !r->done_ev || event_add(r->tick, &tv) < 0) {
		recording_free(r);
		return -ENOMEM;
	}
	/* every covered tunnel has its place from the start, in GetStatus' order */
	for (size_t i = 0; i < daemon_n_tunnels(d); i++)
		if (covers(r, daemon_tunnel_name(d, i)))
			tunnel_index(r, daemon_tunnel_name(d, i));
	r->started = model_now(d);
	r->t0 = mono();
	r->running = true;
	timeline_set_recording(tl, r);
	drive(r, r->t0);
	*ret = r;
	return 0;
}

void recording_stop(struct recording *r)
{
	if (r)
		finish(r, true);
}

void recording_detach(struct recording *r)
{
	if (!r)
		return;
	r->running = false;
	r->progress = NULL;
	r->done = NULL;
	evtimer_del(r->tick);
	event_del(r->done_ev);
	if (r->tl && timeline_recording(r->tl) == r)
		timeline_set_recording(r->tl, NULL);
	r->tl = NULL;
}

void recording_free(struct recording *r)
{
	if (!r)
		return;
	if (r->running && r->tl)
		timeline_set_recording(r->tl, NULL);
	if (r->tick)
		event_free(r->tick);
	if (r->done_ev)
		event_free(r->done_ev);
	for (size_t i = 0; i < r->n_tunnels; i++) {
		vd_tl_acc_free(r->tunnels[i]->acc);
		free(r->tunnels[i]);
	}
	free(r->tunnels);
	free(r->drives);
	free(r->samples);
	free(r);
}

int recording_result_step(struct recording *r, cJSON *head, cJSON *page, size_t *page_bytes, size_t max_bytes)
{
	if (!cJSON_AddNumberToObject(head, "started", (double)r->started) ||
	    !cJSON_AddNumberToObject(head, "ended", (double)r->ended) ||
	    !cJSON_AddNumberToObject(head, "duration_s", r->duration_s) ||
	    !(r->tunnel[0] ? cJSON_AddStringToObject(head, "tunnel", r->tunnel) : cJSON_AddNullToObject(head, "tunnel")) ||
	    !cJSON_AddBoolToObject(head, "stopped_early", r->stopped_early) ||
	    !cJSON_AddBoolToObject(head, "truncated", r->truncated) ||
	    !cJSON_AddNumberToObject(head, "samples_lost", (double)r->lost))
		return -ENOMEM;
	while (r->out < r->n_samples) {
		const struct rec_sample *s = &r->samples[r->out];
		cJSON *j = vd_tl_rec_to_json(&s->rec, r->tunnels[s->tunnel]->name);
		char *t = j ? cJSON_PrintUnformatted(j) : NULL;
		size_t len = t ? strlen(t) + 1 : 0;

		free(t);
		if (!len) {
			cJSON_Delete(j);
			return -ENOMEM;
		}
		if (*page_bytes > 0 && *page_bytes + len > max_bytes) {
			cJSON_Delete(j);
			return TLFILE_FULL;
		}
		cJSON_AddItemToArray(page, j);
		*page_bytes += len;
		r->out++;
	}
	return TLFILE_END;
}
