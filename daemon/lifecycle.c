/* See lifecycle.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "connectivity.h"
#include "gwmemory.h"
#include "lifecycle.h"
#include "log.h"
#include "model.h"
#include "scheduler.h"
#include "sleepwatch.h"
#include "timeline.h"
#include "vpndoctor/cause.h"
#include "vpndoctor/uplink.h"

#define LIFECYCLE_MAX_TUNNELS 256

struct uplink_seen {
	char *tunnel;
	char fp[VD_UPLINK_LEN + 32];
	bool moved;          /* a roam to act on */
	char was[VD_UPLINK_LEN + 32];
};

struct lifecycle {
	struct event_base *base;
	struct vd_daemon *d;
	struct lifecycle_parts parts;
	struct sleepwatch *sleep;
	struct uplink_seen *seen;
	size_t n_seen;
	struct event *roam_ev;   /* acts on roams from the loop */
	struct event *window_ev; /* a settle window ends: one more round */
	int64_t window_end;
};

unsigned lifecycle_settle_s(struct vd_daemon *d, const char *tunnel)
{
	(void)d, (void)tunnel;
	/* The value the server pushed is not among the openvpn probe's facts
	 * yet; until it is, every tunnel gets the common one. */
	return LIFECYCLE_PING_RESTART_S + LIFECYCLE_MARGIN_S;
}

static void window_until(struct lifecycle *l, int64_t end)
{
	int64_t now = model_now(l->d);
	struct timeval tv;

	if (end <= l->window_end && evtimer_pending(l->window_ev, NULL))
		return;
	l->window_end = end;
	tv.tv_sec = end > now ? (time_t)(end - now) : 0;
	tv.tv_usec = 0;
	evtimer_del(l->window_ev);
	evtimer_add(l->window_ev, &tv);
}

static void on_window_end(evutil_socket_t fd, short what, void *arg)
{
	struct lifecycle *l = arg;
	struct scheduler *s = daemon_scheduler(l->d);

	(void)fd, (void)what;
	/* what opens after the window is measured after it */
	log_info("the settle window is over: every probe runs once more");
	if (s && !scheduler_paused(s))
		scheduler_restart(s, 0);
	if (l->parts.connectivity)
		connectivity_check(l->parts.connectivity);
}

/* ---- sleep ---- */

static void before_sleep(void *userdata)
{
	struct lifecycle *l = userdata;
	struct scheduler *s = daemon_scheduler(l->d);

	if (s)
		scheduler_pause(s);
	if (l->parts.connectivity)
		connectivity_pause(l->parts.connectivity);
	evtimer_del(l->window_ev);
	/* the history is synced event by event; these keep a little in memory */
	if (l->parts.timeline)
		timeline_flush(l->parts.timeline);
	if (l->parts.memory) {
		int r = gwmemory_save(l->parts.memory);
		if (r < 0) {
			errno = -r;
			log_warn("sleep: cannot save the gateway memory");
		}
	}
}

static void resumed(void *userdata, uint64_t slept_ms)
{
	struct lifecycle *l = userdata;
	struct scheduler *s = daemon_scheduler(l->d);
	int64_t now = model_now(l->d), end = now;
	size_t n = daemon_n_tunnels(l->d);

	(void)slept_ms;
	for (size_t i = 0; i < n; i++) {
		cJSON *t = daemon_facts_tunnel(l->d, i);
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(t, "name");
		if (cJSON_IsString(name)) {
			int64_t until = now + (int64_t)lifecycle_settle_s(l->d, name->valuestring);
			model_settle(l->d, name->valuestring, VD_SETTLE_ANY, until);
			if (until > end)
				end = until;
		}
		cJSON_Delete(t);
	}
	if (s)
		scheduler_restart(s, 0);
	if (l->parts.connectivity)
		connectivity_check(l->parts.connectivity);
	if (end > now)
		window_until(l, end);
}

static const struct sleepwatch_ops sleep_ops = {
	.before_sleep = before_sleep,
	.resumed = resumed,
};

/* ---- roaming ---- */

static struct uplink_seen *seen_get(struct lifecycle *l, const char *tunnel)
{
	struct uplink_seen *v;

	for (size_t i = 0; i < l->n_seen; i++)
		if (strcmp(l->seen[i].tunnel, tunnel) == 0)
			return &l->seen[i];
	if (l->n_seen >= LIFECYCLE_MAX_TUNNELS || !(v = realloc(l->seen, (l->n_seen + 1) * sizeof(*v))))
		return NULL;
	l->seen = v;
	v += l->n_seen;
	memset(v, 0, sizeof(*v));
	if (!(v->tunnel = strdup(tunnel)))
		return NULL;
	l->n_seen++;
	return v;
}

static void on_roam(evutil_socket_t fd, short what, void *arg)
{
	struct lifecycle *l = arg;
	struct scheduler *s = daemon_scheduler(l->d);
	int64_t now = model_now(l->d), end = now;
	bool any = false;

	(void)fd, (void)what;
	for (size_t i = 0; i < l->n_seen; i++) {
		struct uplink_seen *u = &l->seen[i];
		unsigned w;

		if (!u->moved)
			continue;
		u->moved = false;
		if (daemon_tunnel_index(l->d, u->tunnel) < 0)
			continue;
		w = lifecycle_settle_s(l->d, u->tunnel);
		log_notice("tunnel %s: the network changed (%s, was %s): the probes of the path run again; %u s for "
		           "the tunnel to reconnect by itself", u->tunnel, u->fp, u->was, w);
		model_settle(l->d, u->tunnel, VD_SETTLE_ROAM, now + w);
		if (now + w > end)
			end = now + w;
		any = true;
	}
	if (!any)
		return;
	/* the path changed for every probe that follows it */
	if (s && !scheduler_paused(s))
		scheduler_restart(s, PROBE_EV_NET | PROBE_EV_OPENVPN);
	if (l->parts.connectivity)
		connectivity_check(l->parts.connectivity);
	window_until(l, end);
}

static void on_result(void *userdata, const struct probe *p, const char *tunnel, enum probe_status st,
                      const cJSON *section)
{
	struct lifecycle *l = userdata;
	struct uplink_seen *u;
	char fp[sizeof(u->fp)];

	(void)st;
	if (!tunnel || strcmp(p->section, "routes") != 0 || vd_uplink_fingerprint(section, fp, sizeof(fp)) < 0)
		return;
	if (!(u = seen_get(l, tunnel)) || strcmp(u->fp, fp) == 0)
		return;
	if (u->fp[0] && !u->moved) {
		snprintf(u->was, sizeof(u->was), "%s", u->fp);
		u->moved = true;
		/* from the loop, not from inside the model's result */
		event_active(l->roam_ev, 0, 0);
	}
	snprintf(u->fp, sizeof(u->fp), "%s", fp);
}

int lifecycle_new(struct event_base *base, struct vd_daemon *d, const struct lifecycle_parts *parts,
                  struct lifecycle **ret)
{
	struct lifecycle *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return -ENOMEM;
	l->base = base;
	l->d = d;
	if (parts)
		l->parts = *parts;
	l->roam_ev = event_new(base, -1, 0, on_roam, l);
	l->window_ev = evtimer_new(base, on_window_end, l);
	if (!l->roam_ev || !l->window_ev) {
		lifecycle_free(l);
		return -ENOMEM;
	}
	r = daemon_add_result_cb(d, on_result, l);
	if (r == 0)
		r = sleepwatch_new(base, &sleep_ops, l, &l->sleep);
	if (r < 0) {
		lifecycle_free(l);
		return r;
	}
	*ret = l;
	return 0;
}

void lifecycle_free(struct lifecycle *l)
{
	if (!l)
		return;
	sleepwatch_free(l->sleep);
	daemon_remove_result_cb(l->d, on_result, l);
	if (l->roam_ev)
		event_free(l->roam_ev);
	if (l->window_ev)
		event_free(l->window_ev);
	for (size_t i = 0; i < l->n_seen; i++)
		free(l->seen[i].tunnel);
	free(l->seen);
	free(l);
}
