/* The discoverer: discovery's tunnels through their lives. It scans /proc
 * (discovery.h) every DISCOVERY_RESCAN_S and soon after a link or a client
 * changed, makes a tunnel of each OpenVPN client no [Tunnel] describes,
 * follows a tunnel's process across restarts, and forgets a tunnel whose
 * process has been gone for DiscoveryForget=. Each tunnel's config_tunnel
 * lives here until it is forgotten (the scheduler's slots point at it); the
 * model (model.c) learns of each change through the hooks. */
#ifndef VPNDOCTORD_DISCOVERER_H
#define VPNDOCTORD_DISCOVERER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct config_tunnel;
struct event_base;
struct discoverer;

struct discoverer_hooks {
	/* ct joined the tunnels: the model rebuilds its own and gives ct the
	 * scheduler's slots; < 0 takes ct out again */
	int (*add)(void *userdata, const struct config_tunnel *ct);
	/* ct is about to go (its slots with it); the model rebuilds later */
	void (*remove)(void *userdata, const struct config_tunnel *ct);
	/* the tunnels changed without a scan ending (an add undone) */
	int (*rebuild)(void *userdata);
	/* ct's process changed: its profile is read again now */
	void (*recheck)(void *userdata, const struct config_tunnel *ct);
	/* a scan ended; changed: tunnels came or went */
	void (*scanned)(void *userdata, bool changed);
	/* the model's clock (daemon_set_clock) */
	int64_t (*now)(void *userdata);
};

/* *cfg is read at each scan: the model's current configuration. */
int discoverer_new(struct event_base *base, struct config *const *cfg, const struct discoverer_hooks *hooks,
                   void *userdata, struct discoverer **ret);
void discoverer_free(struct discoverer *ds);

/* Whether cfg has discovery on (Discover=yes, or auto without [Tunnel]). */
bool discoverer_on(const struct config *cfg);
/* Starts (or, with discovery off, stops) the scans, and scans now. */
int discoverer_start(struct discoverer *ds);
/* A reload to cfg: what cfg describes itself, or a name it now uses, is no
 * longer discovery's; with discovery off, nothing is. */
void discoverer_prune(struct discoverer *ds, const struct config *cfg);
/* Scheduler events (PROBE_EV_*): a link or a client changed, scan soon. */
void discoverer_events(struct discoverer *ds, unsigned events);

size_t discoverer_n(const struct discoverer *ds);
const struct config_tunnel *discoverer_tunnel(const struct discoverer *ds, size_t i);

#endif
