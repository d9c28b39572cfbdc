/* The discoverer (discoverer.h): discovery's tunnels from the scan that finds
 * their process to the one that forgets them. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "discoverer.h"
#include "discovery.h"
#include "log.h"
#include "probes/probe.h"

/* A tunnel discovery made: its config_tunnel lives here (the scheduler's
 * slots point at it) until the tunnel is forgotten. */
struct disc_tunnel {
	struct config_tunnel ct;
	char *key;           /* struct discovered's identity */
	pid_t pid;
	bool root;           /* its process's principal is root */
	uid_t uid;           /* else its user (DISCOVERY_USER_MAX) */
	int64_t gone_since;  /* 0 while its process runs */
	bool seen;
};

struct discoverer {
	struct event_base *base;
	struct config *const *cfg;
	struct discoverer_hooks h;
	void *ud;
	struct disc_tunnel **disc;
	size_t n_disc;
	unsigned disc_skipped; /* processes left out at the last scan (DISCOVERY_USER_MAX) */
	struct event *disc_timer, *disc_soon, *disc_link;
	int disc_link_fd;
};

bool discoverer_on(const struct config *cfg)
{
	return cfg->discover == CONFIG_DISCOVER_YES || (cfg->discover == CONFIG_DISCOVER_AUTO && cfg->n_tunnels == 0);
}

static void disc_tunnel_free(struct disc_tunnel *dt)
{
	if (!dt)
		return;
	free(dt->ct.name);
	free(dt->ct.config);
	free(dt->ct.management);
	free(dt->key);
	free(dt);
}

int discoverer_new(struct event_base *base, struct config *const *cfg, const struct discoverer_hooks *hooks,
                   void *userdata, struct discoverer **ret)
{
	struct discoverer *ds = calloc(1, sizeof(*ds));

	if (!ds)
		return -ENOMEM;
	ds->base = base;
	ds->cfg = cfg;
	ds->h = *hooks;
	ds->ud = userdata;
	ds->disc_link_fd = -1;
	*ret = ds;
	return 0;
}

void discoverer_free(struct discoverer *ds)
{
	if (!ds)
		return;
	if (ds->disc_timer)
		event_free(ds->disc_timer);
	if (ds->disc_soon)
		event_free(ds->disc_soon);
	if (ds->disc_link)
		event_free(ds->disc_link);
	if (ds->disc_link_fd >= 0)
		close(ds->disc_link_fd);
	for (size_t i = 0; i < ds->n_disc; i++)
		disc_tunnel_free(ds->disc[i]);
	free(ds->disc);
	free(ds);
}

size_t discoverer_n(const struct discoverer *ds)
{
	return ds ? ds->n_disc : 0;
}

const struct config_tunnel *discoverer_tunnel(const struct discoverer *ds, size_t i)
{
	return &ds->disc[i]->ct;
}

/* A [Tunnel] of cfg already describes this process: same Config= (both
 * resolved) or same management socket. */
static bool disc_configured(const struct config *cfg, const char *config, const char *mgmt)
{
	char real[PATH_MAX];

	for (size_t i = 0; i < cfg->n_tunnels; i++) {
		const struct config_tunnel *ct = &cfg->tunnels[i];

		if (config && ct->config &&
		    (strcmp(ct->config, config) == 0 || (realpath(ct->config, real) && strcmp(real, config) == 0)))
			return true;
		if (mgmt && ct->management && strcmp(ct->management, mgmt) == 0)
			return true;
	}
	return false;
}

static bool name_taken(const struct discoverer *ds, const struct config *cfg, const char *name)
{
	if (config_tunnel_find(cfg, name))
		return true;
	for (size_t i = 0; i < ds->n_disc; i++)
		if (strcmp(ds->disc[i]->ct.name, name) == 0)
			return true;
	return false;
}

/* Takes dt out of the list (and the scheduler); the caller rebuilds the tunnels. */
static void disc_remove(struct discoverer *ds, size_t i)
{
	struct disc_tunnel *dt = ds->disc[i];

	ds->h.remove(ds->ud, &dt->ct);
	memmove(&ds->disc[i], &ds->disc[i + 1], (ds->n_disc - i - 1) * sizeof(ds->disc[0]));
	ds->n_disc--;
	disc_tunnel_free(dt);
}

void discoverer_prune(struct discoverer *ds, const struct config *cfg)
{
	for (size_t i = ds->n_disc; i-- > 0;) {
		const struct disc_tunnel *dt = ds->disc[i];
		if (!discoverer_on(cfg) || disc_configured(cfg, dt->ct.config, dt->ct.management) ||
		    config_tunnel_find(cfg, dt->ct.name))
			disc_remove(ds, i);
	}
}

static int disc_add(struct discoverer *ds, const struct discovered *f)
{
	struct disc_tunnel *dt = calloc(1, sizeof(*dt)), **v;
	char name[DISCOVERY_NAME_MAX + 16];
	int r;

	if (!dt)
		return -ENOMEM;
	snprintf(name, sizeof(name), "%s", f->name);
	for (unsigned k = 2; name_taken(ds, *ds->cfg, name) && k < 1000; k++)
		snprintf(name, sizeof(name), "%.*s-%u", DISCOVERY_NAME_MAX - 4, f->name, k);
	dt->ct.name = strdup(name);
	dt->ct.config = f->config ? strdup(f->config) : NULL;
	dt->ct.management = f->management ? strdup(f->management) : NULL;
	dt->ct.discovered = true;
	dt->ct.pid = f->config ? 0 : f->pid;
	/* what it names is read as its principal, never as the daemon */
	dt->ct.owner = (struct vd_proc_id){.pid = f->pid, .start = f->starttime};
	dt->key = strdup(f->key);
	dt->pid = f->pid;
	dt->root = f->root;
	dt->uid = f->uid;
	dt->seen = true;
	v = realloc(ds->disc, (ds->n_disc + 1) * sizeof(*v));
	if (!dt->ct.name || (f->config && !dt->ct.config) || (f->management && !dt->ct.management) || !dt->key ||
	    !v) {
		if (v)
			ds->disc = v;
		disc_tunnel_free(dt);
		return -ENOMEM;
	}
	ds->disc = v;
	ds->disc[ds->n_disc++] = dt;
	r = ds->h.add(ds->ud, &dt->ct);
	if (r < 0) {
		disc_remove(ds, ds->n_disc - 1);
		ds->h.rebuild(ds->ud);
		return r;
	}
	log_notice("discovery: tunnel %s: openvpn pid %d%s%s%s%s", dt->ct.name, (int)f->pid,
	           f->config ? ", config " : ", no config file", f->config ? f->config : "",
	           f->management ? ", management " : "", f->management ? f->management : "");
	return 0;
}

static struct disc_tunnel *disc_find(struct discoverer *ds, const char *key)
{
	for (size_t i = 0; i < ds->n_disc; i++)
		if (strcmp(ds->disc[i]->key, key) == 0)
			return ds->disc[i];
	return NULL;
}

/* Room for one more tunnel of f's user: true when it has fewer than
 * DISCOVERY_USER_MAX, or when the oldest of its tunnels whose process is
 * gone made way (its findings resolve, as when it is forgotten). A user
 * who starts and ends clients in a loop holds that many, not thousands. */
static bool disc_room(struct discoverer *ds, const struct discovered *f, bool *changed)
{
	size_t held = 0, oldest = SIZE_MAX;

	if (f->root)
		return true;
	for (size_t i = 0; i < ds->n_disc; i++) {
		const struct disc_tunnel *dt = ds->disc[i];
		if (dt->root || dt->uid != f->uid)
			continue;
		held++;
		if (dt->gone_since && (oldest == SIZE_MAX || dt->gone_since < ds->disc[oldest]->gone_since))
			oldest = i;
	}
	if (held < DISCOVERY_USER_MAX)
		return true;
	if (oldest == SIZE_MAX)
		return false;
	log_info("discovery: tunnel %s removed: uid %u has %d tunnels, and its openvpn pid %d is gone",
	         ds->disc[oldest]->ct.name, (unsigned)f->uid, DISCOVERY_USER_MAX, (int)ds->disc[oldest]->pid);
	disc_remove(ds, oldest);
	*changed = true;
	return true;
}

static void disc_rescan(struct discoverer *ds)
{
	struct discovered *v = NULL;
	size_t n = 0;
	int64_t now = ds->h.now(ds->ud);
	bool changed = false;
	unsigned skipped = 0;
	int r;

	if (!discoverer_on(*ds->cfg))
		return;
	r = discovery_scan(&v, &n, &skipped);
	if (r < 0) {
		errno = -r;
		log_warn("discovery: cannot read /proc");
		return;
	}
	for (size_t i = 0; i < ds->n_disc; i++)
		ds->disc[i]->seen = false;
	for (size_t i = 0; i < n; i++) {
		const struct discovered *f = &v[i];
		struct disc_tunnel *dt;

		if (disc_configured(*ds->cfg, f->config, f->mgmt_any))
			continue;
		dt = disc_find(ds, f->key);
		if (dt) {
			/* the oldest process of a profile is its tunnel (v is oldest first) */
			if (dt->seen)
				continue;
			dt->seen = true;
			if (dt->gone_since)
				log_info("discovery: tunnel %s: openvpn runs again (pid %d)", dt->ct.name, (int)f->pid);
			dt->gone_since = 0;
			dt->pid = f->pid;
			dt->root = f->root;
			dt->uid = f->uid;
			if (dt->ct.owner.pid != f->pid || dt->ct.owner.start != f->starttime) {
				/* another process, maybe another user: its files are read
				 * again as its principal, now rather than in 5 minutes */
				dt->ct.owner = (struct vd_proc_id){.pid = f->pid, .start = f->starttime};
				ds->h.recheck(ds->ud, &dt->ct);
			}
			continue;
		}
		if (!disc_room(ds, f, &changed)) {
			skipped++;
			continue;
		}
		r = disc_add(ds, f);
		if (r < 0) {
			errno = -r;
			log_warn("discovery: cannot add the tunnel of openvpn pid %d", (int)f->pid);
			continue;
		}
		changed = true;
	}
	discovery_free(v, n);
	free(v);
	/* said when it changes, not at every scan */
	if (skipped != ds->disc_skipped && skipped)
		log_notice("discovery: %u openvpn processes not diagnosed: a user other than root has at most %d "
		           "tunnels",
		           skipped, DISCOVERY_USER_MAX);
	ds->disc_skipped = skipped;
	/* A tunnel whose process is gone stays a while, so that a crash is seen
	 * and reported (client-exception) and a restart finds its history. */
	for (size_t i = ds->n_disc; i-- > 0;) {
		struct disc_tunnel *dt = ds->disc[i];

		if (dt->seen)
			continue;
		if (!dt->gone_since) {
			dt->gone_since = now;
			log_info("discovery: tunnel %s: openvpn pid %d is gone; forgetting it in %u s", dt->ct.name,
			         (int)dt->pid, (*ds->cfg)->discovery_forget_s);
		} else if (now - dt->gone_since >= (int64_t)(*ds->cfg)->discovery_forget_s) {
			log_notice("discovery: tunnel %s removed: its openvpn process has been gone for %lld s",
			           dt->ct.name, (long long)(now - dt->gone_since));
			disc_remove(ds, i);
			changed = true;
		}
	}
	ds->h.scanned(ds->ud, changed);
}

static void on_disc_timer(evutil_socket_t fd, short what, void *arg)
{
	struct discoverer *ds = arg;

	disc_rescan(ds);
	/* the forget deadline of a gone process may come before the next rescan */
	for (size_t i = 0; i < ds->n_disc; i++)
		if (ds->disc[i]->gone_since && !evtimer_pending(ds->disc_soon, NULL)) {
			int64_t left = ds->disc[i]->gone_since + (int64_t)(*ds->cfg)->discovery_forget_s - ds->h.now(ds->ud);
			struct timeval tv = {.tv_sec = left > 0 ? (time_t)left : 0};
			if (left < DISCOVERY_RESCAN_S)
				evtimer_add(ds->disc_soon, &tv);
		}
}

/* A link or an OpenVPN client changed: look again soon (coalesced; a new
 * openvpn has its tun before it is connected). Never rescans from inside
 * the scheduler's dispatch. */
void discoverer_events(struct discoverer *ds, unsigned events)
{
	struct timeval tv = {1, 0};

	if (ds->disc_soon && (events & (PROBE_EV_NET | PROBE_EV_OPENVPN)) && discoverer_on(*ds->cfg) &&
	    !evtimer_pending(ds->disc_soon, NULL))
		evtimer_add(ds->disc_soon, &tv);
}

static void on_disc_link(evutil_socket_t fd, short what, void *arg)
{
	struct discoverer *ds = arg;

	discovery_link_drain(fd);
	discoverer_events(ds, PROBE_EV_NET);
}

int discoverer_start(struct discoverer *ds)
{
	struct timeval every = {DISCOVERY_RESCAN_S, 0};

	if (!discoverer_on(*ds->cfg)) {
		if (ds->disc_timer)
			evtimer_del(ds->disc_timer);
		if (ds->disc_link)
			event_del(ds->disc_link);
		return 0;
	}
	if (ds->disc_link)
		event_add(ds->disc_link, NULL);
	if (!ds->disc_timer) {
		ds->disc_timer = event_new(ds->base, -1, EV_PERSIST, on_disc_timer, ds);
		ds->disc_soon = evtimer_new(ds->base, on_disc_timer, ds);
		if (!ds->disc_timer || !ds->disc_soon)
			return -ENOMEM;
		/* with no tunnel yet no probe watches the links: this does */
		ds->disc_link_fd = discovery_link_socket();
		if (ds->disc_link_fd < 0) {
			errno = -ds->disc_link_fd;
			log_warn("discovery: no netlink socket; new clients are seen within %d s", DISCOVERY_RESCAN_S);
		} else if (!(ds->disc_link = event_new(ds->base, ds->disc_link_fd, EV_READ | EV_PERSIST, on_disc_link, ds)) ||
		           event_add(ds->disc_link, NULL) < 0) {
			return -ENOMEM;
		}
	}
	if (event_add(ds->disc_timer, &every) < 0)
		return -ENOMEM;
	disc_rescan(ds);
	return 0;
}
