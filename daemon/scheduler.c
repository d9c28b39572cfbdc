/* Probe slots (probe x tunnel) on libevent timers. A run's end is delivered
 * through an event made active by probe_run_done(), so a probe may finish
 * inside start() without re-entering the scheduler or the model. The
 * scheduler is the probes' host (probes/probe.h): it shows them a tunnel as
 * struct probe_tunnel, and lends them the privileged parent and the log. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "priv.h"
#include "scheduler.h"
#include "vpndoctor/cloudfacts.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/sampler.h"

struct probe_slot {
	struct scheduler *s;
	const struct probe *p;
	const struct config_tunnel *t;
	struct probe_tunnel pt;  /* t as the probe sees it, as of the run's start */
	/* a tunnel without Targets=: the hosts it knows to be in the VPC (pt's targets) */
	struct vd_derived_target derived[VD_CLOUD_DERIVED_TARGETS_MAX];
	char *derived_v[VD_CLOUD_DERIVED_TARGETS_MAX];
	unsigned interval_s;
	struct event *timer;
	struct event *done_ev;
	struct probe_run run;
	void *state;
	bool running, queued, again, done_pending;
	bool burst;              /* its next run starts whatever the concurrency bound */
	bool anew;               /* its next run follows a restart (probe_run.anew) */
	bool waiting;            /* its first run waits for the probes whose sections it needs */
	bool delivered;          /* a run of it has ended: what needs it may start */
	const struct probe_slot **deps; /* while waiting: the slots of what it needs */
	size_t n_deps;
	bool deps_known;
	TAILQ_ENTRY(probe_slot) wq; /* in the scheduler's waiting list */
	enum probe_status d_status;
	cJSON *d_section;
	char error[160];
	cJSON *error_msg;        /* error as a message (vpndoctor/message.h), or NULL */
	unsigned failures;
	uint64_t seq;            /* runs started */
	struct timespec t_start;
	int64_t started_wall;
	double due;              /* monotonic seconds of the next timed run */
	TAILQ_ENTRY(probe_slot) q;
};

struct scheduler {
	struct event_base *base;
	const struct config *cfg;
	struct probe_settings settings; /* cfg as probes see it */
	sched_result_fn cb;
	void *userdata;
	sched_section_fn section_fn;
	sched_targets_fn targets_fn;
	sched_event_fn event_fn;
	const struct probe **probes; /* the table, in the order of first runs (probes_order) */
	size_t n_probes;
	uint64_t *changes;
	uint64_t own_changes;
	struct probe_slot **slots;
	size_t n_slots;
	unsigned running, queued, max_running;
	bool paused;             /* asleep: no run starts, no timer is armed */
	double first_wait_s;     /* how long a first run waits for what it needs at most */
	uint64_t rng;
	TAILQ_HEAD(, probe_slot) queue;
	TAILQ_HEAD(, probe_slot) waiting; /* slots whose first run waits (release_waiting) */
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*: jitter needs no cryptographic quality, only to differ per slot. */
static double rand01(struct scheduler *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (double)((s->rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

double scheduler_delay(unsigned interval_s, unsigned failures, double r01)
{
	unsigned mult = 1;

	while (failures-- > 0 && mult < SCHED_BACKOFF_CAP)
		mult *= 2;
	return (double)interval_s * mult * (0.9 + 0.2 * r01);
}

static void arm(struct probe_slot *slot, double delay)
{
	struct timeval tv;

	if (delay < 0)
		delay = 0;
	/* at rest, on the grid the other timers share: one wake-up for all */
	delay = vd_tick_align(mono_now(), delay, VD_TICK_GRID_S);
	tv.tv_sec = (time_t)delay;
	tv.tv_usec = (suseconds_t)((delay - (double)tv.tv_sec) * 1e6);
	slot->due = mono_now() + delay;
	evtimer_add(slot->timer, &tv);
}

static void unwait(struct scheduler *s, struct probe_slot *slot);
static void release_waiting(struct scheduler *s, const struct probe_slot *from);

static void tunnel_view(const struct config_tunnel *t, struct probe_tunnel *ret)
{
	*ret = (struct probe_tunnel){
		.name = t->name,
		.config = t->config,
		.management = t->management,
		.targets = {t->targets.v, t->targets.n},
		.names = {t->names.v, t->names.n},
		.client_cidr = t->client_cidr,
		.reflector = t->reflector,
		.reflector_key = t->reflector_key,
		.discovered = t->discovered,
		.owner = t->owner,
		.pid = t->pid,
		.nm_uuid = t->nm_uuid,
		.nm_profile = t->nm_profile,
		.nm_user = t->nm_user,
	};
}

static void sched_run_done(struct probe_run *run, enum probe_status status, struct cJSON *section);

static void start(struct probe_slot *slot)
{
	struct scheduler *s = slot->s;
	int r;

	evtimer_del(slot->timer);
	(*s->changes)++;
	slot->running = true;
	slot->again = false;
	slot->done_pending = false;
	slot->error[0] = '\0';
	cJSON_Delete(slot->error_msg);
	slot->error_msg = NULL;
	slot->seq++;
	s->running++;
	clock_gettime(CLOCK_MONOTONIC, &slot->t_start);
	slot->started_wall = (int64_t)time(NULL);
	/* discovery updates a tunnel in place (another process, another owner) */
	if (slot->t)
		tunnel_view(slot->t, &slot->pt);
	/* no Targets=: the hosts the tunnel knows to be inside the VPC, as the
	 * facts show them (derived, lib/cloudfacts.c); the same answers give the
	 * same list, so a probe sees no change while nothing changed */
	if (slot->t && slot->t->targets.n == 0 && s->targets_fn) {
		size_t n = s->targets_fn(s->userdata, slot->t->name, slot->derived, VD_CLOUD_DERIVED_TARGETS_MAX);
		for (size_t i = 0; i < n; i++)
			slot->derived_v[i] = slot->derived[i].addr;
		slot->pt.targets = (struct probe_list){slot->derived_v, n};
	}
	slot->run = (struct probe_run){
		.probe = slot->p,
		.base = s->base,
		.tunnel = slot->t ? &slot->pt : NULL,
		.state = &slot->state,
		.slot = slot,
		.settings = &s->settings,
		.interval_s = slot->interval_s,
		.anew = slot->anew,
	};
	slot->anew = false;
	r = slot->p->start(&slot->run);
	if (r < 0 && !slot->done_pending) {
		probe_run_start_failed(&slot->run, r); /* the error, and as a message */
		sched_run_done(&slot->run, PROBE_FAIL, NULL);
	}
}

static void pump(struct scheduler *s)
{
	struct probe_slot *slot;

	while (!s->paused && s->running < s->max_running && (slot = TAILQ_FIRST(&s->queue))) {
		TAILQ_REMOVE(&s->queue, slot, q);
		slot->queued = false;
		s->queued--;
		start(slot);
	}
}

uint64_t scheduler_run_now(struct scheduler *s, struct probe_slot *slot)
{
	if (s->paused)
		return slot->seq + 1; /* a run that comes after the resume answers it */
	if (slot->waiting)
		return slot->seq + 1; /* its first run, once what it needs is there, answers it */
	if (slot->running) {
		slot->again = true;
	} else if (!slot->queued) {
		/* those already waiting go first: a slot asked for again and again
		 * (a link that flaps, each change a trigger) must not jump the
		 * queue every time it ends and starve the others */
		if (s->running < s->max_running && TAILQ_EMPTY(&s->queue)) {
			start(slot);
			return slot->seq;
		}
		evtimer_del(slot->timer);
		(*s->changes)++;
		slot->queued = true;
		s->queued++;
		TAILQ_INSERT_TAIL(&s->queue, slot, q);
	}
	return slot->seq + 1;
}

/* A run in flight is dropped: cancelled without a callback. */
static void drop_run(struct scheduler *s, struct probe_slot *slot)
{
	if (slot->queued) {
		TAILQ_REMOVE(&s->queue, slot, q);
		slot->queued = false;
		s->queued--;
	}
	if (slot->running && !slot->done_pending) {
		if (slot->p->cancel)
			slot->p->cancel(&slot->run);
		slot->running = false;
		s->running--;
	}
	slot->again = false;
	(*s->changes)++;
}

void scheduler_pause(struct scheduler *s)
{
	s->paused = true;
	for (size_t i = 0; i < s->n_slots; i++) {
		evtimer_del(s->slots[i]->timer);
		drop_run(s, s->slots[i]);
	}
}

bool scheduler_paused(const struct scheduler *s)
{
	return s->paused;
}

void scheduler_restart(struct scheduler *s, unsigned events)
{
	s->paused = false;
	for (size_t i = 0; i < s->n_slots; i++) {
		struct probe_slot *slot = s->slots[i];

		if (events && !(slot->p->events & events))
			continue;
		slot->anew = true;
		if (slot->running && slot->done_pending) {
			/* its result is on the way: the new run follows at once */
			slot->again = slot->burst = true;
			continue;
		}
		drop_run(s, slot);
		unwait(s, slot);
		start(slot);
	}
	/* the slots this round left alone get their timers back */
	for (size_t i = 0; i < s->n_slots; i++) {
		struct probe_slot *slot = s->slots[i];
		if (!slot->running && !slot->queued && !evtimer_pending(slot->timer, NULL))
			arm(slot, slot->waiting ? s->first_wait_s
			                        : scheduler_delay(slot->interval_s, slot->failures, rand01(s)));
	}
	release_waiting(s, NULL);
}

static void sched_slot_trigger(struct probe_slot *slot)
{
	scheduler_run_now(slot->s, slot);
}

static void sched_slot_trigger_events(struct probe_slot *slot, unsigned events)
{
	scheduler_trigger(slot->s, events);
}

void scheduler_set_first_wait(struct scheduler *s, double seconds)
{
	struct probe_slot *w;

	s->first_wait_s = seconds;
	if (!s->paused)
		TAILQ_FOREACH(w, &s->waiting, wq)
			arm(w, seconds);
}

void scheduler_set_change_counter(struct scheduler *s, uint64_t *ctr)
{
	s->changes = ctr ? ctr : &s->own_changes;
}

void scheduler_set_targets_fn(struct scheduler *s, sched_targets_fn fn)
{
	s->targets_fn = fn;
}

void scheduler_set_section_fn(struct scheduler *s, sched_section_fn fn)
{
	s->section_fn = fn;
}

static const struct cJSON *sched_run_section(const struct probe_run *run, const char *section)
{
	struct scheduler *s = run->slot->s;

	if (!s->section_fn || !section)
		return NULL;
	return s->section_fn(s->userdata, run->tunnel ? run->tunnel->name : NULL, section);
}

void scheduler_set_event_fn(struct scheduler *s, sched_event_fn fn)
{
	s->event_fn = fn;
}

void scheduler_trigger(struct scheduler *s, unsigned events)
{
	if (s->event_fn)
		s->event_fn(s->userdata, events);
	for (size_t i = 0; i < s->n_slots; i++)
		if (s->slots[i]->p->events & events)
			scheduler_run_now(s, s->slots[i]);
}

/* ---- first runs in the order of needs ----------------------------------------
 * A slot's first run starts once each probe it needs has delivered a result
 * for its tunnel (or for the host), or when it has waited first_wait_s: a
 * probe that hangs delays the others no longer. A need whose probe is off
 * (or not in the table) is no need. */

static void unwait(struct scheduler *s, struct probe_slot *slot)
{
	if (!slot->waiting)
		return;
	slot->waiting = false;
	TAILQ_REMOVE(&s->waiting, slot, wq);
	free(slot->deps);
	slot->deps = NULL;
	slot->n_deps = 0;
}

/* The slot of tunnel t (NULL: the host's) whose probe fills section, or NULL. */
static const struct probe_slot *provider(const struct scheduler *s, const struct config_tunnel *t,
                                         const char *section)
{
	for (size_t i = 0; i < s->n_slots; i++) {
		const struct probe_slot *o = s->slots[i];
		if ((o->t == t || o->t == NULL) && strcmp(o->p->section, section) == 0 &&
		    o->t == (o->p->per_tunnel ? t : NULL))
			return o;
	}
	return NULL;
}

/* Once every slot of a batch is there (scheduler_new, scheduler_add_tunnel). */
static void resolve_deps(struct scheduler *s)
{
	struct probe_slot *w;

	TAILQ_FOREACH(w, &s->waiting, wq) {
		size_t n = 0;

		if (w->deps_known)
			continue;
		w->deps_known = true;
		for (const char *const *need = w->p->needs; need && *need; need++)
			n++;
		if (!(w->deps = calloc(n, sizeof(*w->deps))))
			continue; /* out of memory: it waits for nothing */
		for (const char *const *need = w->p->needs; need && *need; need++) {
			const struct probe_slot *o = provider(s, w->t, *need);
			if (o)
				w->deps[w->n_deps++] = o;
		}
	}
}

static bool needs_met(const struct probe_slot *slot)
{
	for (size_t i = 0; i < slot->n_deps; i++)
		if (!slot->deps[i]->delivered)
			return false;
	return true;
}

/* The waiting slots whose needs are met start from the loop (as every first
 * run does: never inside the caller); from: the slot that just delivered its
 * first result (only its tunnel's can be met now), or NULL for all. */
static void release_waiting(struct scheduler *s, const struct probe_slot *from)
{
	struct probe_slot *w, *next;

	if (s->paused)
		return;
	for (w = TAILQ_FIRST(&s->waiting); w; w = next) {
		next = TAILQ_NEXT(w, wq);
		if (from && from->t && w->t != from->t)
			continue;
		if (needs_met(w)) {
			unwait(s, w);
			evtimer_del(w->timer);
			arm(w, 0);
		}
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct probe_slot *slot = arg;

	unwait(slot->s, slot); /* a first run that waited long enough runs without */
	scheduler_run_now(slot->s, slot);
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct probe_slot *slot = arg;
	struct scheduler *s = slot->s;
	struct timespec now;
	struct sched_result r;
	bool first;

	if (!slot->running || !slot->done_pending)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	(*s->changes)++;
	slot->running = false;
	slot->done_pending = false;
	s->running--;
	if (slot->d_status == PROBE_FAIL) {
		if (slot->failures < 16)
			slot->failures++;
	} else {
		slot->failures = 0;
	}
	if (!s->paused)
		arm(slot, slot->d_status != PROBE_FAIL && slot->run.next_s > 0 ?
		                  slot->run.next_s :
		                  scheduler_delay(slot->interval_s, slot->failures, rand01(s)));
	r = (struct sched_result){
		.probe = slot->p,
		.tunnel = slot->t ? slot->t->name : NULL,
		.status = slot->d_status,
		.section = slot->d_section,
		.error = slot->error,
		.error_message = slot->error_msg,
		.started = slot->started_wall,
		.duration_ms = (uint64_t)((now.tv_sec - slot->t_start.tv_sec) * 1000 +
		                          (now.tv_nsec - slot->t_start.tv_nsec) / 1000000),
		.seq = slot->seq,
	};
	slot->d_section = NULL;
	first = !slot->delivered;
	slot->delivered = true;
	s->cb(s->userdata, slot, &r);
	if (slot->again && slot->burst && !s->paused) {
		slot->burst = false;
		start(slot);
	} else if (slot->again) {
		scheduler_run_now(s, slot);
	}
	if (first)
		release_waiting(s, slot);
	pump(s);
}

static void sched_run_done(struct probe_run *run, enum probe_status status, struct cJSON *section)
{
	struct probe_slot *slot = run->slot;

	if (!slot->running || slot->done_pending) {
		cJSON_Delete(section); /* a probe bug; never let it corrupt the slot */
		return;
	}
	slot->done_pending = true;
	slot->d_status = status;
	slot->d_section = section;
	event_active(slot->done_ev, 0, 0);
}

static void sched_run_error(struct probe_run *run, const char *msg)
{
	snprintf(run->slot->error, sizeof(run->slot->error), "%s", msg);
	cJSON_Delete(run->slot->error_msg);
	run->slot->error_msg = NULL;
}

static void sched_run_error_msg(struct probe_run *run, const char *text, const cJSON *msg)
{
	sched_run_error(run, text);
	/* out of memory: the English alone */
	run->slot->error_msg = cJSON_Duplicate(msg, true);
}

static int host_proc(const struct vd_proc_id *who, enum probe_proc which, int *ret_fd)
{
	switch (which) {
	case PROBE_PROC_EXE:
		return priv_proc(who, PRIV_PROC_EXE, ret_fd);
	case PROBE_PROC_TUN:
		return priv_proc(who, PRIV_PROC_TUN, ret_fd);
	}
	return -EINVAL;
}

static const struct probe_host host = {
	.run_done = sched_run_done,
	.run_error = sched_run_error,
	.run_error_msg = sched_run_error_msg,
	.slot_trigger = sched_slot_trigger,
	.slot_trigger_events = sched_slot_trigger_events,
	.run_section = sched_run_section,
	.log = log_vmsg,
	.open = priv_open,
	.connect = priv_connect,
	.proc = host_proc,
	.same_netns = priv_same_netns,
	.watch = priv_watch,
	.cwd = priv_cwd,
};

static int add_slot(struct scheduler *s, const struct probe *p, const struct config_tunnel *t,
                    unsigned interval_s, bool skip)
{
	struct probe_slot *slot, **v;

	v = realloc(s->slots, (s->n_slots + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->slots = v;
	slot = calloc(1, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	slot->s = s;
	slot->p = p;
	slot->t = t;
	slot->interval_s = interval_s ? interval_s : 1;
	slot->timer = evtimer_new(s->base, on_timer, slot);
	slot->done_ev = event_new(s->base, -1, 0, on_done, slot);
	if (!slot->timer || !slot->done_ev) {
		if (slot->timer)
			event_free(slot->timer);
		if (slot->done_ev)
			event_free(slot->done_ev);
		free(slot);
		return -ENOMEM;
	}
	s->slots[s->n_slots++] = slot;
	/* A first run at once gives a diagnosis right after start (the
	 * concurrency bound spreads the burst), after the runs of what it needs
	 * when it needs something (release_waiting). */
	if (!skip && p->needs && p->needs[0]) {
		slot->waiting = true;
		TAILQ_INSERT_TAIL(&s->waiting, slot, wq);
	}
	arm(slot, skip ? scheduler_delay(slot->interval_s, 0, rand01(s)) : slot->waiting ? s->first_wait_s : 0);
	return 0;
}

struct event_base *scheduler_event_base_new(void)
{
	struct event_config *ec = event_config_new();
	struct event_base *base;

	if (!ec)
		return NULL;
	event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	/* CLOCK_MONOTONIC, not its coarse variant: with a clock 4 ms behind,
	 * the loop woke at a timer's time, found it not yet due and slept 1 ms
	 * more, two wake-ups for each timer */
	event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
	/* After 32 callbacks of priority 1 (everything but signals) the loop
	 * looks for new events again, so SIGTERM (priority 0) is handled after
	 * at most that many, not after every result a burst queued. */
	event_config_set_max_dispatch_interval(ec, NULL, 32, 1);
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	if (base && event_base_priority_init(base, SCHED_PRIORITIES) < 0) {
		event_base_free(base);
		return NULL;
	}
	return base;
}

int scheduler_new(struct event_base *base, const struct config *cfg, sched_result_fn cb, void *userdata,
                  bool (*skip_first)(void *userdata, const struct probe *p, const char *tunnel),
                  struct scheduler **ret)
{
	return scheduler_new_with(base, cfg, probes_all, probes_n, cb, userdata, skip_first, ret);
}

int scheduler_new_with(struct event_base *base, const struct config *cfg, const struct probe *const *probes,
                       size_t n_probes, sched_result_fn cb, void *userdata,
                       bool (*skip_first)(void *userdata, const struct probe *p, const char *tunnel),
                       struct scheduler **ret)
{
	struct scheduler *s;
	char err[256];
	int r;

	/* what the probes need of each other holds together, or nothing runs */
	if ((r = probes_check(probes, n_probes, err, sizeof(err))) < 0) {
		log_warnx("probes: %s", err);
		return r;
	}
	if (!(s = calloc(1, sizeof(*s))))
		return -ENOMEM;
	if (!(s->probes = calloc(n_probes ? n_probes : 1, sizeof(*s->probes)))) {
		free(s);
		return -ENOMEM;
	}
	probes_order(probes, n_probes, s->probes);
	s->n_probes = n_probes;
	probe_host_set(&host);
	s->base = base;
	s->cfg = cfg;
	s->settings = (struct probe_settings){.ntp_servers = {cfg->ntp_servers.v, cfg->ntp_servers.n}};
	s->cb = cb;
	s->userdata = userdata;
	s->max_running = cfg->max_concurrent ? cfg->max_concurrent : 1;
	s->changes = &s->own_changes;
	s->first_wait_s = SCHED_FIRST_WAIT_S;
	TAILQ_INIT(&s->queue);
	TAILQ_INIT(&s->waiting);
	if (getrandom(&s->rng, sizeof(s->rng), GRND_NONBLOCK) != sizeof(s->rng))
		s->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	s->rng |= 1; /* xorshift must not start at zero */

	for (size_t i = 0; r == 0 && i < n_probes; i++) {
		const struct probe *p = s->probes[i];
		const struct config_probe *cp = config_probe(cfg, p->name);
		unsigned interval = cp ? cp->interval_s : p->interval_s;

		if (cp && !cp->enabled)
			continue;
		if (!p->per_tunnel) {
			r = add_slot(s, p, NULL, interval, skip_first && skip_first(userdata, p, NULL));
			continue;
		}
		for (size_t j = 0; r == 0 && j < cfg->n_tunnels; j++)
			r = add_slot(s, p, &cfg->tunnels[j], interval,
			             skip_first && skip_first(userdata, p, cfg->tunnels[j].name));
	}
	if (r < 0) {
		scheduler_free(s);
		return r;
	}
	resolve_deps(s);
	release_waiting(s, NULL); /* what needs a probe that is off waits for nothing */
	*ret = s;
	return 0;
}

static void slot_free(struct probe_slot *slot)
{
	unwait(slot->s, slot);
	if (slot->running && !slot->done_pending && slot->p->cancel)
		slot->p->cancel(&slot->run);
	cJSON_Delete(slot->d_section);
	cJSON_Delete(slot->error_msg);
	if (slot->state && slot->p->free_state)
		slot->p->free_state(slot->state);
	event_free(slot->timer);
	event_free(slot->done_ev);
	free(slot);
}

void scheduler_free(struct scheduler *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_slots; i++)
		slot_free(s->slots[i]);
	free(s->slots);
	free(s->probes);
	free(s);
}

int scheduler_add_tunnel(struct scheduler *s, const struct config_tunnel *t)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < s->n_probes; i++) {
		const struct probe *p = s->probes[i];
		const struct config_probe *cp = config_probe(s->cfg, p->name);

		if (!p->per_tunnel || (cp && !cp->enabled))
			continue;
		r = add_slot(s, p, t, cp ? cp->interval_s : p->interval_s, false);
	}
	if (r < 0) {
		scheduler_remove_tunnel(s, t);
		return r;
	}
	resolve_deps(s);
	release_waiting(s, NULL);
	return 0;
}

void scheduler_remove_tunnel(struct scheduler *s, const struct config_tunnel *t)
{
	size_t k = 0;
	bool freed = false;

	for (size_t i = 0; i < s->n_slots; i++) {
		struct probe_slot *slot = s->slots[i];

		if (slot->t != t) {
			s->slots[k++] = slot;
			continue;
		}
		if (slot->queued) {
			TAILQ_REMOVE(&s->queue, slot, q);
			s->queued--;
		}
		if (slot->running)
			s->running--;
		(*s->changes)++;
		slot_free(slot);
		freed = true;
	}
	s->n_slots = k;
	if (freed)
		pump(s);
}

size_t scheduler_n_slots(const struct scheduler *s)
{
	return s ? s->n_slots : 0;
}

struct probe_slot *scheduler_slot(struct scheduler *s, size_t i)
{
	return i < s->n_slots ? s->slots[i] : NULL;
}

const struct probe *scheduler_slot_probe(const struct probe_slot *slot)
{
	return slot->p;
}

const char *scheduler_slot_tunnel(const struct probe_slot *slot)
{
	return slot->t ? slot->t->name : NULL;
}

bool scheduler_slot_running(const struct probe_slot *slot)
{
	return slot->running || slot->queued;
}

unsigned scheduler_slot_failures(const struct probe_slot *slot)
{
	return slot->failures;
}

double scheduler_slot_next_s(const struct probe_slot *slot)
{
	if (slot->running || slot->queued)
		return 0;
	return slot->due - mono_now();
}

unsigned scheduler_running(const struct scheduler *s)
{
	return s->running;
}

unsigned scheduler_queued(const struct scheduler *s)
{
	return s->queued;
}
