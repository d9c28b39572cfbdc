/* The probe framework: a probe gathers one facts section (docs/facts.md) for a
 * tunnel or for the host, asynchronously on the daemon's event loop; the
 * scheduler (daemon/scheduler.c) decides when it runs, and the model turns
 * its sections into findings through the rules.
 *
 * Adding a probe:
 *  1. write probes/probe_NAME.c defining `const struct probe probe_NAME`
 *     (functions prefixed probe_NAME_), and declare it at the end of this file;
 *  2. list it in probes/probes.c (that table is the only registry: the
 *     scheduler, Check's probe names and the [Section] of its interval in
 *     vpndoctor.conf all come from it);
 *  3. start() begins non-blocking work on run->base and ends with exactly one
 *     probe_run_done() (it may do so before returning); cancel() drops work in
 *     flight without calling probe_run_done(); state that must outlive a run
 *     (a watch, a connection) goes in *run->state and is freed by free_state();
 *  4. define its section and keys in include/vpndoctor/facts.def (docs/facts.md
 *     is made from it) and write them through their VDF_ constants; document its
 *     configuration keys in vpndoctor.conf(5). */
#ifndef VPNDOCTOR_PROBE_H
#define VPNDOCTOR_PROBE_H

#include <stdbool.h>

struct cJSON;
struct event_base;
struct config;
struct config_tunnel;
struct probe_slot;

/* Events that re-run dependent probes at once (scheduler_trigger). */
enum probe_event {
	PROBE_EV_FILE = 1u << 0,    /* a watched file changed (the probe watches itself) */
	PROBE_EV_NET = 1u << 1,     /* a link, address or route changed */
	PROBE_EV_OPENVPN = 1u << 2, /* an OpenVPN client changed state */
	PROBE_EV_RELOAD = 1u << 3,  /* the configuration was reloaded */
};

enum probe_status {
	PROBE_OK,      /* the facts were measured */
	PROBE_FAIL,    /* the probe could not measure (backs off) */
	PROBE_UNKNOWN, /* nothing to measure here (no config, not applicable) */
};

struct probe_run {
	const struct probe *probe;
	struct event_base *base;
	const struct config_tunnel *tunnel; /* NULL for a host-wide probe */
	void **state;             /* the slot's persistent state (NULL until set) */
	struct probe_slot *slot;  /* for probe_slot_trigger() from persistent state */
	void *priv;               /* the probe's own per-run data */
	const struct config *config; /* the daemon's configuration ([Clock] NTPServers=) */
};

struct probe {
	const char *name;           /* "profile": Check's name, log and status key */
	const char *section;        /* facts section it fills: "profile" */
	const char *config_section; /* vpndoctor.conf section with Interval=: "Profile" */
	bool per_tunnel;            /* one run per tunnel, else one host-wide */
	unsigned interval_s;        /* default period */
	unsigned events;            /* enum probe_event bits that run it at once */
	int (*start)(struct probe_run *run); /* 0, or -errno: the run failed at once */
	void (*cancel)(struct probe_run *run); /* may be NULL when start() always finishes */
	void (*free_state)(void *state);       /* may be NULL */
};

/* Ends a run: section (may be NULL) is handed over; status says what it is.
 * Exactly once per started run, never after cancel(). */
void probe_run_done(struct probe_run *run, enum probe_status status, struct cJSON *section);
/* A one-line reason shown in the status' probe list; call before probe_run_done. */
void probe_run_error(struct probe_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Run this slot's probe now (coalesced with a run already queued or running). */
void probe_slot_trigger(struct probe_slot *slot);
/* From persistent state: run every slot whose probe listens for any of events
 * now (scheduler_trigger on the slot's scheduler; an OpenVPN state change). */
void probe_slot_trigger_events(struct probe_slot *slot, unsigned events);
/* Another probe's latest section (by section name) for this run's tunnel, the
 * host's for a host-wide run, or NULL; borrowed until the run returns to the loop. */
const struct cJSON *probe_run_section(const struct probe_run *run, const char *section);

const char *probe_status_name(enum probe_status s); /* "ok", "fail", "unknown" */

/* probes/probes.c */
extern const struct probe *const probes_all[];
extern const unsigned probes_n;
const struct probe *probes_find(const char *name);

extern const struct probe probe_profile; /* probes/probe_profile.c */
extern const struct probe probe_clock;   /* probes/probe_clock.c */
extern const struct probe probe_openvpn; /* probes/probe_openvpn.c */
extern const struct probe probe_routes;    /* probes/probe_routes.c */
extern const struct probe probe_conflicts; /* probes/probe_conflicts.c */
extern const struct probe probe_dns;       /* probes/probe_dns.c */
extern const struct probe probe_transport; /* probes/probe_transport.c */
extern const struct probe probe_path;      /* probes/probe_path.c */
extern const struct probe probe_ping;       /* probes/probe_ping.c */
extern const struct probe probe_mtu;        /* probes/probe_mtu.c */
extern const struct probe probe_throughput; /* probes/probe_throughput.c */
extern const struct probe probe_firewall;   /* probes/probe_firewall.c */
extern const struct probe probe_reflector;  /* probes/probe_reflector.c */

#endif
