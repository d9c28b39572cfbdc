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
#include "vpndoctor/facts.h"
#include "vpndoctor/uplink.h"

#define LIFECYCLE_MAX_TUNNELS 256

struct uplink_seen {
	char *tunnel;
	char fp[VD_UPLINK_LEN + 32];
	bool moved;          /* a roam to act on */
	bool back;           /* carries again: its window ends */
	char was[VD_UPLINK_LEN + 32];
	int64_t settle_from; /* the window this daemon gave it began then (0: none) */
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
	char net_change[64];     /* the network's answer changed: every tunnel settles */
};

unsigned lifecycle_settle_s(struct vd_daemon *d, const char *tunnel)
{
	const cJSON *prof = model_section(d, tunnel, "profile");
	const cJSON *pr = cJSON_GetObjectItemCaseSensitive(prof, VDF_PROFILE_PING_RESTART_S);

	/* The profile's keepalive or ping-restart; what a server pushes
	 * overrides it, but is not among the openvpn probe's facts yet: then
	 * the common value. */
	if (cJSON_IsNumber(pr) && pr->valuedouble >= 1 && pr->valuedouble <= 3600)
		return (unsigned)pr->valuedouble + LIFECYCLE_MARGIN_S;
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

static struct uplink_seen *seen_get(struct lifecycle *l, const char *tunnel);

static void settle(struct lifecycle *l, const char *tunnel, unsigned kinds, int64_t now, int64_t until)
{
	struct uplink_seen *u = seen_get(l, tunnel);

	if (u)
		u->settle_from = now;
	model_settle(l->d, tunnel, kinds, until);
}

/* The tunnel carries again: connected, and a ping measured since the window
 * began came back. Then the window has done its work. */
static bool back(struct lifecycle *l, const char *tunnel, int64_t from)
{
	const cJSON *ovpn = model_section(l->d, tunnel, "openvpn"), *ping = model_section(l->d, tunnel, "ping");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(ovpn, VDF_OPENVPN_STATE);
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(ping, VDF_SECTION_AT), *t;
	const cJSON *se = cJSON_GetObjectItemCaseSensitive(ping, VDF_PING_SERVER_END);

	if (!cJSON_IsString(st) || strcmp(st->valuestring, "connected") != 0 || !cJSON_IsNumber(at) ||
	    at->valuedouble < (double)from)
		return false;
	t = cJSON_GetObjectItemCaseSensitive(se, VDF_SAMPLE_RECEIVED);
	if (cJSON_IsNumber(t) && t->valuedouble > 0)
		return true;
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(ping, VDF_PING_TARGETS)) {
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(t, VDF_SAMPLE_RECEIVED);
		if (cJSON_IsNumber(r) && r->valuedouble > 0)
			return true;
	}
	return false;
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
			settle(l, name->valuestring, VD_SETTLE_ANY, now, until);
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

		if (u->back) {
			u->back = false;
			if (model_settling(l->d, u->tunnel, NULL)) {
				log_info("tunnel %s carries again: its settle window ends", u->tunnel);
				model_settle_end(l->d, u->tunnel);
			}
		}
		if (!u->moved)
			continue;
		u->moved = false;
		if (daemon_tunnel_index(l->d, u->tunnel) < 0)
			continue;
		w = lifecycle_settle_s(l->d, u->tunnel);
		log_notice("tunnel %s: the network changed (%s, was %s): the probes of the path run again; %u s for "
		           "the tunnel to reconnect by itself", u->tunnel, u->fp, u->was, w);
		settle(l, u->tunnel, VD_SETTLE_ROAM, now, now + w);
		if (now + w > end)
			end = now + w;
		any = true;
	}
	/* A login page that lets go, a network that gets its internet back:
	 * the tunnels reconnect by themselves, as after a move. */
	if (l->net_change[0]) {
		size_t n = daemon_n_tunnels(l->d);
		for (size_t i = 0; i < n; i++) {
			cJSON *t = daemon_facts_tunnel(l->d, i);
			const cJSON *name = cJSON_GetObjectItemCaseSensitive(t, "name");
			if (cJSON_IsString(name)) {
				unsigned w = lifecycle_settle_s(l->d, name->valuestring);
				settle(l, name->valuestring, VD_SETTLE_ROAM, now, now + w);
				if (now + w > end)
					end = now + w;
			}
			cJSON_Delete(t);
		}
		log_notice("the network's connectivity changed (%s): the probes of the path run again; %lld s for "
		           "the tunnels to reconnect by themselves", l->net_change, (long long)(end - now));
		l->net_change[0] = '\0';
	} else if (!any) {
		return;
	} else if (l->parts.connectivity) {
		/* a new network: is it the internet? */
		connectivity_check(l->parts.connectivity);
	}
	/* the path changed for every probe that follows it */
	if (s && !scheduler_paused(s))
		scheduler_restart(s, PROBE_EV_NET | PROBE_EV_OPENVPN);
	window_until(l, end);
}

static void on_connectivity(void *userdata, const char *from, const char *to)
{
	struct lifecycle *l = userdata;

	/* only the way back: a network that breaks is named at once (the
	 * causes of the network explain the rest) */
	if (strcmp(to, "full") != 0)
		return;
	snprintf(l->net_change, sizeof(l->net_change), "%s, was %s", to, from);
	/* at once, not from the loop: the settle window and the probes' fresh
	 * start come before the rules see the network back, or they judge it
	 * on what the sampling tests weighed while it was not */
	on_roam(-1, 0, l);
}

static void on_result(void *userdata, const struct probe *p, const char *tunnel, enum probe_status st,
                      const cJSON *section)
{
	struct lifecycle *l = userdata;
	struct uplink_seen *u;
	char fp[sizeof(u->fp)];

	(void)st;
	if (!tunnel)
		return;
	/* a tunnel that carries again ends its window early */
	if (strcmp(p->section, "ping") == 0 || strcmp(p->section, "openvpn") == 0) {
		if ((u = seen_get(l, tunnel)) && u->settle_from && model_settling(l->d, tunnel, NULL) &&
		    back(l, tunnel, u->settle_from)) {
			u->settle_from = 0;
			u->back = true;
			event_active(l->roam_ev, 0, 0);
		}
		return;
	}
	if (strcmp(p->section, "routes") != 0 || vd_uplink_fingerprint(section, fp, sizeof(fp)) < 0)
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
	if (l->parts.connectivity)
		connectivity_set_change_cb(l->parts.connectivity, on_connectivity, l);
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
	if (l->parts.connectivity)
		connectivity_set_change_cb(l->parts.connectivity, NULL, NULL);
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
