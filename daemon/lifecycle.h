/* A laptop's life: sleep, resume and moving to another network.
 *
 * Before sleep the probes stop and the state is saved (the timeline's
 * current minute, the gateway memory; the history is synced event by event)
 * while logind waits on the daemon's delay lock. After the resume every
 * probe runs at once, and each tunnel gets a settle window: OpenVPN notices
 * the broken session only after its ping-restart, then reconnects, and what
 * that shows meanwhile (a tunnel reconnecting, the gateway not answering on
 * the new network yet) is not a finding. A change of the uplink (the route
 * to a tunnel's gateway leaves by another link, subnet or next hop: a new
 * default route, address or link, as the routes probe sees netlink's events)
 * starts the probes that depend on the path again at once and gives that
 * tunnel a settle window too, as does a network whose login page lets go or
 * whose internet comes back. A tunnel that carries again (connected, and a
 * ping since the window began answered) ends its window at once. When a
 * window ends every probe runs once more,
 * so what opens then is measured after it. */
#ifndef VPNDOCTORD_LIFECYCLE_H
#define VPNDOCTORD_LIFECYCLE_H

#include <stdint.h>

struct connectivity;
struct event_base;
struct gwmemory;
struct lifecycle;
struct timeline;
struct vd_daemon;

/* OpenVPN servers commonly push "ping-restart 120" (keepalive 10 120);
 * a client that was told nothing waits that long before it reconnects. */
#define LIFECYCLE_PING_RESTART_S 120
/* After ping-restart: connect-retry's first wait, the TLS handshake, the
 * routes and a probe round to see it. */
#define LIFECYCLE_MARGIN_S 30

/* What to save before sleep and to look at again after (each may be NULL). */
struct lifecycle_parts {
	struct timeline *timeline;
	struct gwmemory *memory;
	struct connectivity *connectivity;
};

int lifecycle_new(struct event_base *base, struct vd_daemon *d, const struct lifecycle_parts *parts,
                  struct lifecycle **ret);
void lifecycle_free(struct lifecycle *l);

/* The settle window of a tunnel, in seconds (ping-restart and the margin). */
unsigned lifecycle_settle_s(struct vd_daemon *d, const char *tunnel);

#endif
