/* The scheduler: runs every probe (per tunnel or host-wide) on its timer with
 * jitter, backs off while one keeps failing, bounds how many run at once, runs
 * dependent probes at once on events, and cancels everything on free. */
#ifndef VPNDOCTORD_SCHEDULER_H
#define VPNDOCTORD_SCHEDULER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probes/probe.h"

struct cJSON;
struct config;
struct config_tunnel;
struct event_base;
struct scheduler;

#define SCHED_BACKOFF_CAP 8 /* a failing probe waits at most 8 intervals */
#define SCHED_FIRST_WAIT_S 10 /* a first run waits at most this long for what it needs */

struct sched_result {
	const struct probe *probe;
	const char *tunnel;        /* NULL for host-wide */
	enum probe_status status;
	struct cJSON *section;     /* handed over to the callback (may be NULL) */
	const char *error;         /* "" when none */
	const struct cJSON *error_message; /* error as a message, or NULL (borrowed) */
	int64_t started;           /* epoch seconds */
	uint64_t duration_ms;
	uint64_t seq;              /* the slot's run number (see scheduler_run_now) */
};

typedef void (*sched_result_fn)(void *userdata, struct probe_slot *slot, struct sched_result *r);

/* The daemon's event loop, as its probes run on it (the benchmarks use it
 * too): epoll with its change list, so an event added and deleted within one
 * loop turn (a reply's write event, a probe socket watched for one round)
 * costs no epoll_ctl at all. NULL when out of memory. */
struct event_base *scheduler_event_base_new(void);
/* Its priorities: 0 for the signals that stop the daemon, 1 (the default
 * for every other event) for the rest. */
#define SCHED_PRIORITIES 2
#define SCHED_PRIORITY_SIGNAL 0

/* One slot per enabled probe and tunnel of cfg (cfg must outlive the
 * scheduler). Every slot runs once soon after creation, unless skip_first()
 * says it already has a fresh result (a reload); then it waits its interval. */
int scheduler_new(struct event_base *base, const struct config *cfg, sched_result_fn cb, void *userdata,
                  bool (*skip_first)(void *userdata, const struct probe *p, const char *tunnel),
                  struct scheduler **ret);
/* The same over another probe table (tests). A table whose needs do not
 * hold together (probes_check) is refused with -ENOENT, -EINVAL or -ELOOP,
 * said in the log. Slots are made, and first runs start, in the order of
 * needs (probes_order): a probe's first run after those of the probes whose
 * sections it needs, on the same tunnel, or SCHED_FIRST_WAIT_S at most. */
int scheduler_new_with(struct event_base *base, const struct config *cfg, const struct probe *const *probes,
                       size_t n_probes, sched_result_fn cb, void *userdata,
                       bool (*skip_first)(void *userdata, const struct probe *p, const char *tunnel),
                       struct scheduler **ret);
/* Where probe_run_section() looks (the model's latest sections); unset: NULL. */
typedef const struct cJSON *(*sched_section_fn)(void *userdata, const char *tunnel, const char *section);
void scheduler_set_section_fn(struct scheduler *s, sched_section_fn fn);
/* The hosts a tunnel without Targets= probes (vd_cloud_derive_targets of its
 * facts), asked at each run's start; unset: none. */
struct vd_derived_target;
typedef size_t (*sched_targets_fn)(void *userdata, const char *tunnel, struct vd_derived_target *out, size_t max);
void scheduler_set_targets_fn(struct scheduler *s, sched_targets_fn fn);
/* How long a first run waits at most for what it needs (tests). */
void scheduler_set_first_wait(struct scheduler *s, double seconds);
/* *ctr is incremented whenever a slot starts, queues or ends a run (what the
 * status' probe list shows); the model keys its cached status on it. */
void scheduler_set_change_counter(struct scheduler *s, uint64_t *ctr);
/* Cancels running probes (no callbacks), frees all slot state. */
void scheduler_free(struct scheduler *s);

/* Discovery: the slots of one more tunnel (t must outlive them; its first
 * runs start at once), and their removal (running probes cancelled, no
 * callbacks). Not to be called from inside a probe's or the result callback. */
int scheduler_add_tunnel(struct scheduler *s, const struct config_tunnel *t);
void scheduler_remove_tunnel(struct scheduler *s, const struct config_tunnel *t);
/* Called with the events of every scheduler_trigger() (discovery listens). */
typedef void (*sched_event_fn)(void *userdata, unsigned events);
void scheduler_set_event_fn(struct scheduler *s, sched_event_fn fn);

/* Runs every slot whose probe listens for any of events now (coalesced). */
void scheduler_trigger(struct scheduler *s, unsigned events);
/* Sleep: every run in flight is dropped (cancelled, no callback), no timer
 * stays armed and nothing starts (run_now and triggers wait) until
 * scheduler_restart(). */
void scheduler_pause(struct scheduler *s);
bool scheduler_paused(const struct scheduler *s);
/* A fresh round (a resume, a new network): every slot whose probe listens
 * for any of events (every slot when events is 0) starts now, whatever the
 * concurrency bound; a run in flight measured the old state, so it is
 * dropped and started again. Ends a pause; the other slots re-arm their
 * timers. */
void scheduler_restart(struct scheduler *s, unsigned events);
/* Runs a slot now; returns the run number whose result will answer this
 * request (a run already in progress started too early, so one more follows). */
uint64_t scheduler_run_now(struct scheduler *s, struct probe_slot *slot);

/* Iteration for Check and the status' probe list. */
size_t scheduler_n_slots(const struct scheduler *s);
struct probe_slot *scheduler_slot(struct scheduler *s, size_t i);
const struct probe *scheduler_slot_probe(const struct probe_slot *slot);
const char *scheduler_slot_tunnel(const struct probe_slot *slot); /* NULL: host */
bool scheduler_slot_running(const struct probe_slot *slot);
unsigned scheduler_slot_failures(const struct probe_slot *slot);
/* Seconds until the slot's next timed run (for tests and debugging). */
double scheduler_slot_next_s(const struct probe_slot *slot);
unsigned scheduler_running(const struct scheduler *s);
unsigned scheduler_queued(const struct scheduler *s);

/* The delay for a slot: interval * min(2^failures, SCHED_BACKOFF_CAP), +/- 10%.
 * r01 is a uniform random number in [0, 1). Exposed for the unit test. */
double scheduler_delay(unsigned interval_s, unsigned failures, double r01);

#endif
