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
#include "nmsettings.h"
#include "priv.h"
#include "probes/probe.h"
#include "vpndoctor/ovpn_argv.h"
#include "vpndoctor/ovpn_config.h"

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
	/* A NetworkManager connection's (nm_uuid set): it stays while
	 * NetworkManager has the connection, idle (pid 0) while no process of
	 * NetworkManager's runs it */
	char *nm_match;      /* vd_ovpn_profile_match_key of its profile, or NULL */
	char *nm_base;       /* the name it was given before any "-2" */
	bool tied;           /* a process was tied to it at the last scan */
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
	struct nmsettings *nm; /* NetworkManager's connections, while discovery is on */
	struct event *nm_soon; /* a sync after a change NetworkManager said */
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
	free(dt->ct.nm_uuid);
	free(dt->ct.nm_profile);
	free(dt->ct.nm_user);
	free(dt->key);
	free(dt->nm_match);
	free(dt->nm_base);
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
	nmsettings_free(ds->nm);
	if (ds->nm_soon)
		event_free(ds->nm_soon);
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

/* ---- NetworkManager's connections ---- */

/* A [Tunnel] of cfg already describes the connection: its Management= is the
 * socket the plugin names after the uuid, or its Config= is the same client
 * (the same match key: remotes, ca, cert, key). The file is read as the
 * administrator's, as the profile probe reads it. */
static bool nm_configured(const struct config *cfg, const char *uuid, const char *match)
{
	for (size_t i = 0; i < cfg->n_tunnels; i++) {
		const struct config_tunnel *ct = &cfg->tunnels[i];
		const char *m = ct->management, *tail;
		char *text = NULL, *key = NULL;
		size_t len = 0;
		bool same;

		if (m && ((tail = strrchr(m, '/')) && strncmp(tail, "/nm-openvpn-", 12) == 0 && strcmp(tail + 12, uuid) == 0))
			return true;
		if (!match || !ct->config || priv_read(NULL, ct->config, VD_OVPN_MAX_INPUT, &text, &len) < 0)
			continue;
		same = vd_ovpn_profile_match_key(text, len, &key) == 0 && strcmp(key, match) == 0;
		free(text);
		free(key);
		if (same)
			return true;
	}
	return false;
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static struct disc_tunnel *nm_find(struct discoverer *ds, const char *uuid)
{
	for (size_t i = 0; i < ds->n_disc; i++)
		if (ds->disc[i]->ct.nm_uuid && strcmp(ds->disc[i]->ct.nm_uuid, uuid) == 0)
			return ds->disc[i];
	return NULL;
}

static void disc_remove(struct discoverer *ds, size_t i);
static bool name_taken(const struct discoverer *ds, const struct config *cfg, const char *name);

/* A tunnel of the connection c: named after its connection.id (its name in
 * NetworkManager's GUI and nmcli), other bytes '_', "-2" and on when the
 * name is taken; idle until a process of NetworkManager's runs it. */
static int nm_add(struct discoverer *ds, const struct nm_openvpn_conn *c, const char *base)
{
	struct disc_tunnel *dt = calloc(1, sizeof(*dt)), **v;
	char name[DISCOVERY_NAME_MAX + 16];
	int r;

	if (!dt)
		return -ENOMEM;
	snprintf(name, sizeof(name), "%s", base);
	for (unsigned k = 2; name_taken(ds, *ds->cfg, name) && k < 1000; k++)
		snprintf(name, sizeof(name), "%.*s-%u", DISCOVERY_NAME_MAX - 4, base, k);
	dt->ct.name = strdup(name);
	dt->ct.discovered = true;
	dt->ct.nm_uuid = strdup(c->uuid);
	dt->ct.nm_profile = strdup(c->profile);
	dt->nm_base = strdup(base);
	dt->ct.nm_user = c->user ? strdup(c->user) : NULL;
	/* its files are read with the rights NetworkManager's settings give
	 * (daemon/nmprincipal.h), asked by the privileged parent itself */
	snprintf(dt->ct.owner.nm_uuid, sizeof(dt->ct.owner.nm_uuid), "%s", c->uuid);
	dt->key = NULL;
	if (asprintf(&dt->key, "nm:%s", c->uuid) < 0)
		dt->key = NULL;
	/* (no remote: nothing ties a process to it but the uuid) */
	if (vd_ovpn_profile_match_key(c->profile, strlen(c->profile), &dt->nm_match) == -ENOMEM)
		dt->nm_match = NULL;
	dt->seen = true;
	v = realloc(ds->disc, (ds->n_disc + 1) * sizeof(*v));
	if (!dt->ct.name || !dt->ct.nm_uuid || !dt->ct.nm_profile || !dt->nm_base || (c->user && !dt->ct.nm_user) ||
	    !dt->key || !v) {
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
	log_notice("discovery: tunnel %s: NetworkManager connection %s%s%s", dt->ct.name, c->uuid,
	           c->user ? ", kept to user " : "", c->user ? dt->ct.nm_user : "");
	return 0;
}

/* A tunnel a user made (a connection kept to users, a process of a user's
 * other than root) that holds name, taken out for a system-wide connection
 * of that name: it comes back as name-2 (the connection at once, below; the
 * process at the next scan). Whether one was. */
static bool nm_evict(struct discoverer *ds, const char *name)
{
	for (size_t i = 0; i < ds->n_disc; i++) {
		const struct disc_tunnel *dt = ds->disc[i];
		bool users = dt->ct.nm_uuid ? dt->ct.nm_user != NULL : !dt->root;

		if (strcmp(dt->ct.name, name) != 0 || !users)
			continue;
		log_info("discovery: tunnel %s renamed: the name is a system-wide NetworkManager connection's", name);
		disc_remove(ds, i);
		return true;
	}
	return false;
}

/* The tunnels become NetworkManager's connections as they are now: a
 * connection removed takes its tunnel, one changed (its profile, its user,
 * its name) is made again, a new one is added. */
static void nm_sync(struct discoverer *ds)
{
	const struct config *cfg = *ds->cfg;
	bool on = discoverer_on(cfg) && ds->nm, changed = false;

	for (size_t i = ds->n_disc; i-- > 0;) {
		const struct disc_tunnel *dt = ds->disc[i];
		const struct nm_openvpn_conn *c;
		char *base;
		bool keep;

		if (!dt->ct.nm_uuid)
			continue;
		c = on ? nmsettings_find_uuid(ds->nm, dt->ct.nm_uuid) : NULL;
		base = c ? discovery_name(c->id, strlen(c->id)) : NULL;
		keep = c && base && strcmp(c->profile, dt->ct.nm_profile) == 0 && same_str(c->user, dt->ct.nm_user) &&
		       strcmp(base, dt->nm_base) == 0 && !config_tunnel_find(cfg, dt->ct.name) &&
		       !nm_configured(cfg, dt->ct.nm_uuid, dt->nm_match);
		free(base);
		if (keep)
			continue;
		log_info("discovery: tunnel %s removed: NetworkManager connection %s %s", dt->ct.name, dt->ct.nm_uuid,
		         c ? "changed" : "is gone");
		disc_remove(ds, i);
		changed = true;
	}
	/* the system-wide connections first, then those kept to users (which
	 * any local user may add): a user's never takes the name of one the
	 * administrator made */
	for (size_t k = 0; on && k < 2 * nmsettings_count(ds->nm); k++) {
		size_t i = k % nmsettings_count(ds->nm);
		const struct nm_openvpn_conn *c = nmsettings_at(ds->nm, i);
		char *base, *match = NULL;
		int r;

		if ((k < nmsettings_count(ds->nm)) == (c->user != NULL))
			continue;
		/* (a uuid NetworkManager would not make is no connection of its) */
		if (!c->uuid || !vd_nm_uuid_valid(c->uuid) || nm_find(ds, c->uuid))
			continue;
		if (vd_ovpn_profile_match_key(c->profile, strlen(c->profile), &match) == -ENOMEM)
			continue;
		if (nm_configured(cfg, c->uuid, match)) {
			free(match);
			continue;
		}
		free(match);
		base = discovery_name(c->id, strlen(c->id));
		if (base && !c->user)
			changed |= nm_evict(ds, base);
		r = base ? nm_add(ds, c, base) : -ENOMEM;
		free(base);
		if (r < 0) {
			errno = -r;
			log_warn("discovery: cannot add the tunnel of NetworkManager connection %s", c->uuid);
			continue;
		}
		changed = true;
	}
	if (changed) {
		ds->h.scanned(ds->ud, true);
		/* a connection already up: its process is tied at the next scan */
		discoverer_events(ds, PROBE_EV_OPENVPN);
	}
}

static void on_nm_soon(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	nm_sync(arg);
}

/* From the bus's dispatch: the sync runs from the loop, after it. */
static void on_nm_changed(void *userdata)
{
	struct discoverer *ds = userdata;
	struct timeval now = {0, 0};

	if (ds->nm_soon)
		evtimer_add(ds->nm_soon, &now);
}

/* The NetworkManager tunnel a process without a config runs, or NULL. The
 * process must be root's (NetworkManager.service's cgroup makes it so;
 * anyone can start an openvpn that looks like the plugin's). Then, first,
 * the uuid its management socket is named after: the plugin names it so
 * (nm-openvpn-service.c: RUNDIR "/nm-openvpn-" UUID), and it holds while the
 * connection is edited under a running client. NetworkManager's D-Bus API
 * itself does not say which process runs a connection (VPN.Connection has
 * only VpnState and Banner; Connection.Active names the settings, not the
 * plugin or its openvpn), so nothing on the bus ties them more surely. Else
 * (a plugin that names its socket otherwise) the one connection whose
 * profile has the same match key (remotes, ca, cert, key,
 * vd_ovpn_profile_match_key); two such connections are the same client to
 * us, and tie nothing: the process is a tunnel of its own. */
static struct disc_tunnel *nm_tie(struct discoverer *ds, const struct discovered *f)
{
	struct disc_tunnel *hit = NULL;

	if (f->config || !f->root)
		return NULL;
	if (f->nm_uuid)
		return nm_find(ds, f->nm_uuid);
	for (size_t i = 0; f->match && i < ds->n_disc; i++) {
		struct disc_tunnel *dt = ds->disc[i];
		if (!dt->ct.nm_uuid || !dt->nm_match || strcmp(dt->nm_match, f->match) != 0)
			continue;
		if (hit)
			return NULL;
		hit = dt;
	}
	return hit;
}

void discoverer_prune(struct discoverer *ds, const struct config *cfg)
{
	for (size_t i = ds->n_disc; i-- > 0;) {
		const struct disc_tunnel *dt = ds->disc[i];
		if (dt->ct.nm_uuid) {
			if (!discoverer_on(cfg) || config_tunnel_find(cfg, dt->ct.name) ||
			    nm_configured(cfg, dt->ct.nm_uuid, dt->nm_match))
				disc_remove(ds, i);
			continue;
		}
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
	for (size_t i = 0; i < ds->n_disc; i++) {
		/* a connection's tunnel stays while NetworkManager has it */
		ds->disc[i]->seen = ds->disc[i]->ct.nm_uuid != NULL;
		ds->disc[i]->tied = false;
	}
	for (size_t i = 0; i < n; i++) {
		const struct discovered *f = &v[i];
		struct disc_tunnel *dt;

		if (disc_configured(*ds->cfg, f->config, f->mgmt_any))
			continue;
		dt = nm_tie(ds, f);
		if (dt && !dt->tied) {
			/* the process and the connection are one tunnel */
			struct disc_tunnel *own = disc_find(ds, f->key);
			dt->tied = true;
			if (own) {
				/* a tunnel made of the process before the connection was known */
				for (size_t k = 0; k < ds->n_disc; k++)
					if (ds->disc[k] == own) {
						disc_remove(ds, k);
						break;
					}
				changed = true;
			}
			if (dt->ct.pid != f->pid || dt->ct.owner.start != f->starttime) {
				log_info("discovery: tunnel %s: NetworkManager's openvpn pid %d runs it", dt->ct.name,
				         (int)f->pid);
				dt->ct.pid = f->pid;
				dt->ct.owner = (struct vd_proc_id){.pid = f->pid, .start = f->starttime};
				dt->pid = f->pid;
				dt->root = f->root;
				dt->uid = f->uid;
				ds->h.recheck(ds->ud, &dt->ct);
			}
			continue;
		}
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

		if (dt->ct.nm_uuid && !dt->tied && dt->ct.pid) {
			/* its process ended: idle again, its profile from the settings */
			log_info("discovery: tunnel %s: NetworkManager's openvpn pid %d is gone", dt->ct.name,
			         (int)dt->ct.pid);
			dt->ct.pid = 0;
			dt->ct.owner = (struct vd_proc_id){0};
			snprintf(dt->ct.owner.nm_uuid, sizeof(dt->ct.owner.nm_uuid), "%s", dt->ct.nm_uuid);
			dt->pid = 0;
			ds->h.recheck(ds->ud, &dt->ct);
		}
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
		/* (its tunnels went with discoverer_prune) */
		nmsettings_free(ds->nm);
		ds->nm = NULL;
		return 0;
	}
	if (!ds->nm_soon && !(ds->nm_soon = evtimer_new(ds->base, on_nm_soon, ds)))
		return -ENOMEM;
	/* NetworkManager's connections: without a system bus or NetworkManager
	 * there are none, said nowhere; it is looked for again when it takes
	 * its name (nmsettings.h) */
	if (!ds->nm && nmsettings_new(ds->base, on_nm_changed, ds, &ds->nm) < 0)
		return -ENOMEM;
	on_nm_changed(ds); /* a reload may have freed or taken a connection's tunnel */
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
