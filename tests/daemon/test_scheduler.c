/* The scheduler with a fake asynchronous probe on a real loop: the bound on
 * concurrent runs and its queue, coalescing of triggers, backoff while
 * failing, a first run skipped on reload, cancellation on free, and first
 * runs in the order of what probes need of each other.
 * A run that must still be in flight when the test looks is held (never
 * ends by itself), not timed: a test descheduled on a loaded machine would
 * find a timed one over.
 * vd-tier: check (no root, no namespace) */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <event2/event.h>

#include "config.h"
#include "scheduler.h"
#include "vpndoctor/sampler.h"

/* run_ms < 0: a run ends only when cancelled */
static int n_running, max_running, n_cancel, n_state_free, run_ms = 30;
static bool fail_mode;
static bool start_fails;           /* start() returns -EIO */
static double next_s;              /* what the fake asks for its next run */
static unsigned seen_interval_s;   /* the period its last run was told */
static int n_anew;                 /* runs started as following a restart (probe_run.anew) */

struct fake_run {
	struct event *ev;
	struct probe_run *run;
};

static void fake_done(evutil_socket_t fd, short what, void *arg)
{
	struct fake_run *fr = arg;
	cJSON *s = cJSON_CreateObject();

	n_running--;
	cJSON_AddStringToObject(s, "status", fail_mode ? "fail" : "ok");
	if (fail_mode) /* as a message: the scheduler hands both on (probe.h) */
		PROBE_ERROR(fr->run, N_("fake failure"));
	seen_interval_s = fr->run->interval_s;
	fr->run->next_s = next_s;
	probe_run_done(fr->run, fail_mode ? PROBE_FAIL : PROBE_OK, s);
	event_free(fr->ev);
	free(fr);
}

static int fake_start(struct probe_run *run)
{
	struct fake_run *fr;
	struct timeval tv = {0, run_ms * 1000};

	if (start_fails)
		return -EIO;
	fr = calloc(1, sizeof(*fr));
	if (!*run->state)
		*run->state = calloc(1, 16);
	fr->run = run;
	n_anew += run->anew;
	fr->ev = evtimer_new(run->base, fake_done, fr);
	if (run_ms >= 0)
		evtimer_add(fr->ev, &tv);
	run->priv = fr;
	if (++n_running > max_running)
		max_running = n_running;
	return 0;
}

static void fake_cancel(struct probe_run *run)
{
	struct fake_run *fr = run->priv;

	n_running--;
	n_cancel++;
	event_free(fr->ev);
	free(fr);
}

static void fake_free_state(void *st)
{
	n_state_free++;
	free(st);
}

static const struct probe fake = {
	.name = "fake", .section = "fake", .per_tunnel = true, .interval_s = 100,
	.events = PROBE_EV_NET, .start = fake_start, .cancel = fake_cancel, .free_state = fake_free_state,
};
static const struct probe *const table[] = {&fake};

struct results {
	int n;
	int fails;
	uint64_t last_seq;
	char last_error[64];
	char last_error_id[64]; /* its message's template, "" without one */
};

static void on_result(void *ud, struct probe_slot *slot, struct sched_result *r)
{
	struct results *res = ud;

	res->n++;
	res->fails += r->status == PROBE_FAIL;
	res->last_seq = r->seq;
	snprintf(res->last_error, sizeof(res->last_error), "%s", r->error);
	snprintf(res->last_error_id, sizeof(res->last_error_id), "%s",
	         r->error_message ? cJSON_GetObjectItem(r->error_message, "id")->valuestring : "");
	assert_string_equal(r->probe->name, "fake");
	assert_non_null(r->tunnel);
	assert_non_null(r->section);
	cJSON_Delete(r->section);
}

static void run_loop(struct event_base *base, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static struct config *five(void)
{
	struct config *c = NULL;
	struct vd_error err;

	assert_int_equal(config_parse_string("t.conf",
	                                     "[Daemon]\nMaxConcurrentProbes=2\n[Tunnel a]\n[Tunnel b]\n[Tunnel c]\n"
	                                     "[Tunnel d]\n[Tunnel e]\n",
	                                     &c, &err), 0);
	return c;
}

static void reset(void)
{
	n_running = max_running = n_cancel = n_state_free = 0;
	fail_mode = false;
	start_fails = false;
	run_ms = 30;
	next_s = 0;
	seen_interval_s = 0;
}

static void test_bound_and_coalescing(void **state)
{
	struct event_base *base = event_base_new();
	struct config *cfg = five();
	struct results res = {0};
	struct scheduler *s = NULL;

	reset();
	assert_int_equal(scheduler_new_with(base, cfg, table, 1, on_result, &res, NULL, &s), 0);
	assert_int_equal(scheduler_n_slots(s), 5);
	assert_int_equal(res.n, 0); /* nothing runs inside scheduler_new */
	for (int i = 0; i < 50 && res.n < 5; i++)
		run_loop(base, 20);
	assert_int_equal(res.n, 5);
	assert_int_equal(max_running, 2); /* five due at once, two at a time */
	assert_int_equal(scheduler_running(s), 0);
	assert_int_equal(scheduler_queued(s), 0);

	/* two triggers in a row: two slots are running (each runs once more
	 * afterwards), three are queued (they run once) */
	scheduler_trigger(s, PROBE_EV_NET);
	assert_int_equal(scheduler_running(s), 2);
	assert_int_equal(scheduler_queued(s), 3);
	scheduler_trigger(s, PROBE_EV_NET);
	scheduler_trigger(s, PROBE_EV_FILE); /* not its event: nothing */
	assert_int_equal(scheduler_queued(s), 3);
	for (int i = 0; i < 50 && res.n < 12; i++)
		run_loop(base, 20);
	run_loop(base, 100);
	assert_int_equal(res.n, 12);
	assert_int_equal(max_running, 2);

	/* a run asked for while one is in flight is answered by a later run */
	struct probe_slot *slot = scheduler_slot(s, 0);
	uint64_t want = scheduler_run_now(s, slot);
	assert_true(scheduler_slot_running(slot));
	uint64_t again = scheduler_run_now(s, slot);
	assert_int_equal(again, want + 1);
	for (int i = 0; i < 50 && res.n < 14; i++)
		run_loop(base, 20);
	assert_int_equal(res.n, 14);
	assert_int_equal(res.last_seq, again);

	/* each slot timed at its interval +/- 10% */
	for (size_t i = 0; i < 5; i++) {
		double next = scheduler_slot_next_s(scheduler_slot(s, i));
		assert_true(next > 89 && next < 111);
	}
	scheduler_free(s);
	assert_int_equal(n_state_free, 5);
	config_free(cfg);
	event_base_free(base);
}

/* Runs asked for again and again (a flapping link: each change a trigger)
 * do not starve the slots that wait in the queue: a slot asked for as its
 * run ends goes behind them. */
static struct scheduler *fair_s;
static int fair_n[5], fair_total;
static bool fair_on;

static void on_fair(void *ud, struct probe_slot *slot, struct sched_result *r)
{
	(void)ud;
	fair_n[r->tunnel[0] - 'a']++;
	fair_total++;
	cJSON_Delete(r->section);
	/* a and b are asked for again the moment they end, as long as the test lasts */
	if (fair_on && r->tunnel[0] <= 'b' && fair_total < 60)
		scheduler_run_now(fair_s, slot);
}

static void test_fairness(void **state)
{
	struct event_base *base = event_base_new();
	struct config *cfg = five();

	reset();
	run_ms = 5;
	memset(fair_n, 0, sizeof(fair_n));
	fair_total = 0;
	fair_on = false;
	assert_int_equal(scheduler_new_with(base, cfg, table, 1, on_fair, NULL, NULL, &fair_s), 0);
	for (int i = 0; i < 100 && fair_total < 5; i++)
		run_loop(base, 10);
	assert_int_equal(fair_total, 5);
	/* a and b take both places and are asked for again; c, d and e wait */
	memset(fair_n, 0, sizeof(fair_n));
	fair_on = true;
	for (size_t i = 0; i < 5; i++) {
		struct probe_slot *slot = scheduler_slot(fair_s, i);
		if (scheduler_slot_tunnel(slot)[0] <= 'b')
			scheduler_run_now(fair_s, slot);
	}
	for (size_t i = 0; i < 5; i++) {
		struct probe_slot *slot = scheduler_slot(fair_s, i);
		if (scheduler_slot_tunnel(slot)[0] > 'b')
			scheduler_run_now(fair_s, slot);
	}
	assert_int_equal(scheduler_queued(fair_s), 3);
	for (int i = 0; i < 200 && (fair_n[2] == 0 || fair_n[3] == 0 || fair_n[4] == 0); i++)
		run_loop(base, 10);
	/* each of the waiting ones ran once, while a and b ran at most twice more each */
	assert_int_equal(fair_n[2], 1);
	assert_int_equal(fair_n[3], 1);
	assert_int_equal(fair_n[4], 1);
	assert_true(fair_n[0] <= 3 && fair_n[1] <= 3);
	scheduler_free(fair_s);
	fair_s = NULL;
	config_free(cfg);
	event_base_free(base);
}

static void test_backoff(void **state)
{
	struct event_base *base = event_base_new();
	struct config *cfg = NULL;
	struct vd_error err;
	struct results res = {0};
	struct scheduler *s = NULL;
	struct probe_slot *slot;
	static const double lo[] = {180, 360, 720, 720};

	reset();
	fail_mode = true;
	assert_int_equal(config_parse_string("t.conf", "[Tunnel a]\n", &cfg, &err), 0);
	assert_int_equal(scheduler_new_with(base, cfg, table, 1, on_result, &res, NULL, &s), 0);
	slot = scheduler_slot(s, 0);
	for (int k = 0; k < 4; k++) {
		int n = res.n;
		if (k)
			scheduler_run_now(s, slot);
		for (int i = 0; i < 50 && res.n == n; i++)
			run_loop(base, 20);
		assert_int_equal(scheduler_slot_failures(slot), k + 1);
		double next = scheduler_slot_next_s(slot);
		/* 2x, 4x, then capped at 8x the 100 s interval, +/- 10% */
		if (!(next > lo[k] - 1 && next < lo[k] / 0.9 * 1.1 + 1))
			fail_msg("after %d failures the next run is in %.1f s", k + 1, next);
		assert_string_equal(res.last_error, "fake failure");
		assert_string_equal(res.last_error_id, "fake failure");
	}
	fail_mode = false;
	scheduler_run_now(s, slot);
	for (int i = 0; i < 50 && res.n < 5; i++)
		run_loop(base, 20);
	assert_int_equal(scheduler_slot_failures(slot), 0);
	assert_true(scheduler_slot_next_s(slot) < 111);
	assert_string_equal(res.last_error, "");
	assert_string_equal(res.last_error_id, ""); /* a new run forgets the last error's message */
	scheduler_free(s);
	config_free(cfg);
	event_base_free(base);
}

/* A probe that paces itself (a sampling one) times its next run; after a
 * failure the backoff applies whatever it asked. */
static void on_result_nosection(void *ud, struct probe_slot *slot, struct sched_result *r)
{
	struct results *res = ud;

	res->n++;
	res->fails += r->status == PROBE_FAIL;
	snprintf(res->last_error, sizeof(res->last_error), "%s", r->error);
	snprintf(res->last_error_id, sizeof(res->last_error_id), "%s",
	         r->error_message ? cJSON_GetObjectItem(r->error_message, "id")->valuestring : "");
	cJSON_Delete(r->section);
	(void)slot;
}

/* A probe that cannot start fails, and says so as a message too. */
static void test_start_fails(void **state)
{
	struct event_base *base = event_base_new();
	struct config *cfg = NULL;
	struct vd_error err;
	struct results res = {0};
	struct scheduler *s = NULL;

	(void)state;
	reset();
	start_fails = true;
	assert_int_equal(config_parse_string("t.conf", "[Tunnel a]\n", &cfg, &err), 0);
	assert_int_equal(scheduler_new_with(base, cfg, table, 1, on_result_nosection, &res, NULL, &s), 0);
	for (int i = 0; i < 50 && res.n == 0; i++)
		run_loop(base, 20);
	assert_int_equal(res.fails, 1);
	assert_string_equal(res.last_error, "could not start: Input/output error");
	assert_string_equal(res.last_error_id, "could not start: {error}");
	assert_int_equal(n_running, 0);
	scheduler_free(s);
	config_free(cfg);
	event_base_free(base);
}

static void test_probe_paces(void **state)
{
	struct event_base *base = event_base_new();
	struct config *cfg = NULL;
	struct vd_error err;
	struct results res = {0};
	struct scheduler *s = NULL;
	struct probe_slot *slot;

	reset();
	next_s = 2.5;
	assert_int_equal(config_parse_string("t.conf", "[Tunnel a]\n", &cfg, &err), 0);
	assert_int_equal(scheduler_new_with(base, cfg, table, 1, on_result, &res, NULL, &s), 0);
	slot = scheduler_slot(s, 0);
	for (int i = 0; i < 50 && res.n < 1; i++)
		run_loop(base, 20);
	assert_int_equal(res.n, 1);
	assert_int_equal(seen_interval_s, 100);
	double next = scheduler_slot_next_s(slot);
	/* what it asks for, moved to the nearest point of the grid the timers
	 * at rest share (vd_tick_align): at most half a grid off, on the grid */
	{
		struct timespec ts;
		double due, off;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		due = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + next;
		off = due - VD_TICK_GRID_S * floor(due / VD_TICK_GRID_S + 0.5);
		if (!(next > 2.3 - VD_TICK_GRID_S / 2 && next <= 2.5 + VD_TICK_GRID_S / 2) || fabs(off) > 0.01)
			fail_msg("asked for 2.5 s, the next run is in %.2f s (%.3f s off the grid)", next, off);
	}
	/* a failed run backs off from the interval, not from its wish */
	fail_mode = true;
	scheduler_run_now(s, slot);
	for (int i = 0; i < 50 && res.n < 2; i++)
		run_loop(base, 20);
	assert_int_equal(res.n, 2);
	next = scheduler_slot_next_s(slot);
	if (!(next > 179))
		fail_msg("after a failure the next run is in %.1f s", next);
	scheduler_free(s);
	config_free(cfg);
	event_base_free(base);
}

static bool skip_all(void *ud, const struct probe *p, const char *tunnel)
{
	return true;
}

static void test_skip_first_and_cancel(void **state)
{
	struct event_base *base = event_base_new();
	struct config *cfg = five();
	struct results res = {0};
	struct scheduler *s = NULL;

	reset();
	/* after a reload, a probe with a fresh result waits for its interval */
	assert_int_equal(scheduler_new_with(base, cfg, table, 1, on_result, &res, skip_all, &s), 0);
	run_loop(base, 100);
	assert_int_equal(res.n, 0);
	assert_true(scheduler_slot_next_s(scheduler_slot(s, 0)) > 89);
	scheduler_free(s);

	/* freed with runs in flight: they are cancelled, no result arrives */
	run_ms = -1;
	assert_int_equal(scheduler_new_with(base, cfg, table, 1, on_result, &res, NULL, &s), 0);
	run_loop(base, 50);
	assert_int_equal(n_running, 2);
	assert_int_equal(scheduler_queued(s), 3);
	scheduler_free(s);
	assert_int_equal(n_cancel, 2);
	assert_int_equal(n_running, 0);
	assert_int_equal(n_state_free, 2);
	run_loop(base, 50);
	assert_int_equal(res.n, 0);
	config_free(cfg);
	event_base_free(base);
}

/* Sleep and resume, and a change of network: paused, nothing runs and what
 * was in flight is dropped; a fresh round starts every slot at once, past
 * the concurrency bound, and a run in flight is started again. */
static void test_pause_and_restart(void **state)
{
	struct event_base *base = event_base_new();
	struct config *cfg = five();
	struct results res = {0};
	struct scheduler *s = NULL;

	(void)state;
	reset();
	run_ms = -1;
	assert_int_equal(scheduler_new_with(base, cfg, table, 1, on_result, &res, NULL, &s), 0);
	run_loop(base, 50);
	assert_int_equal(n_running, 2);
	assert_int_equal(scheduler_queued(s), 3);
	run_ms = 300;
	scheduler_pause(s);
	assert_true(scheduler_paused(s));
	assert_int_equal(n_cancel, 2);
	assert_int_equal(n_running, 0);
	assert_int_equal(scheduler_running(s), 0);
	assert_int_equal(scheduler_queued(s), 0);
	/* asleep: triggers and asked-for runs wait, no timer fires */
	scheduler_trigger(s, PROBE_EV_NET);
	scheduler_run_now(s, scheduler_slot(s, 3));
	run_loop(base, 400);
	assert_int_equal(res.n, 0);
	assert_int_equal(n_running, 0);
	for (size_t i = 0; i < 5; i++)
		assert_false(scheduler_slot_running(scheduler_slot(s, i)));

	/* resumed: all five start now, past the bound of 2, each told that
	 * what it measured before the sleep was of another path */
	n_anew = 0;
	scheduler_restart(s, 0);
	assert_false(scheduler_paused(s));
	assert_int_equal(n_running, 5);
	assert_int_equal(n_anew, 5);
	assert_int_equal(scheduler_running(s), 5);
	for (int i = 0; i < 50 && res.n < 5; i++)
		run_loop(base, 20);
	assert_int_equal(res.n, 5);
	assert_int_equal(max_running, 5);
	for (size_t i = 0; i < 5; i++) {
		double next = scheduler_slot_next_s(scheduler_slot(s, i));
		assert_true(next > 89 && next < 111);
	}

	/* a new network: the listening slots start again, a run in flight is
	 * dropped and started afresh, the others keep their timers */
	run_ms = 200;
	n_anew = 0;
	scheduler_run_now(s, scheduler_slot(s, 0));
	assert_int_equal(n_running, 1);
	assert_int_equal(n_anew, 0); /* an asked-for run is no restart */
	int cancels = n_cancel;
	scheduler_restart(s, PROBE_EV_FILE); /* not its event: nothing */
	assert_int_equal(n_running, 1);
	scheduler_restart(s, PROBE_EV_NET);
	assert_int_equal(n_cancel, cancels + 1);
	assert_int_equal(n_running, 5);
	assert_int_equal(n_anew, 5);
	for (int i = 0; i < 50 && res.n < 10; i++)
		run_loop(base, 20);
	run_loop(base, 250);
	assert_int_equal(res.n, 10); /* the dropped run gave no result */
	assert_int_equal(scheduler_running(s), 0);
	scheduler_free(s);
	config_free(cfg);
	event_base_free(base);
}

/* ---- first runs in the order of needs ----------------------------------- */

/* "up" fills a section after up_ms (with up_ms < 0, when up_release says);
 * "down" needs it and notes, at each start, whether up had delivered for its
 * tunnel, and how long after the scheduler's start it first ran. */
static int up_ms, n_up_done[2], n_down_started[2], n_down_before_up[2];
static double t_start, t_down_first[2];
static struct up_run *up_held[2];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int tunnel_index(const struct probe_run *run)
{
	return strcmp(run->tunnel->name, "a") == 0 ? 0 : 1;
}

struct up_run {
	struct event *ev;
	struct probe_run *run;
};

static void up_done(evutil_socket_t fd, short what, void *arg)
{
	struct up_run *ur = arg;

	n_up_done[tunnel_index(ur->run)]++;
	up_held[tunnel_index(ur->run)] = NULL;
	probe_run_done(ur->run, PROBE_OK, cJSON_CreateObject());
	event_free(ur->ev);
	free(ur);
}

static int up_start(struct probe_run *run)
{
	struct up_run *ur = calloc(1, sizeof(*ur));
	struct timeval tv = {0, up_ms * 1000};

	ur->run = run;
	ur->ev = evtimer_new(run->base, up_done, ur);
	if (up_ms >= 0)
		evtimer_add(ur->ev, &tv);
	else
		up_held[tunnel_index(run)] = ur;
	run->priv = ur;
	return 0;
}

/* the held runs of up deliver now */
static void up_release(void)
{
	static const struct timeval zero = {0, 0};

	for (int t = 0; t < 2; t++)
		if (up_held[t])
			evtimer_add(up_held[t]->ev, &zero);
}

static void up_cancel(struct probe_run *run)
{
	struct up_run *ur = run->priv;

	up_held[tunnel_index(run)] = NULL;
	event_free(ur->ev);
	free(ur);
}

static int down_start(struct probe_run *run)
{
	int t = tunnel_index(run);

	n_down_started[t]++;
	if (n_down_started[t] == 1) {
		t_down_first[t] = now_s() - t_start;
		if (n_up_done[t] == 0)
			n_down_before_up[t]++;
	}
	probe_run_done(run, PROBE_OK, cJSON_CreateObject());
	return 0;
}

/* named as real probes so that [OpenVPN] Enabled=no turns "up" off */
static const struct probe up = {
	.name = "openvpn", .section = "up", .per_tunnel = true, .interval_s = 100,
	.start = up_start, .cancel = up_cancel,
};
static const struct probe down = {
	.name = "routes", .section = "down", .per_tunnel = true, .interval_s = 100,
	.events = PROBE_EV_NET, .needs = (const char *const[]){"up", NULL}, .start = down_start,
};
/* the table lists down first: the order of needs, not the table's, counts */
static const struct probe *const needs_table[] = {&down, &up};

static void count_result(void *ud, struct probe_slot *slot, struct sched_result *r)
{
	(*(int *)ud)++;
	cJSON_Delete(r->section);
}

static void reset_needs(void)
{
	memset(n_up_done, 0, sizeof(n_up_done));
	memset(n_down_started, 0, sizeof(n_down_started));
	memset(n_down_before_up, 0, sizeof(n_down_before_up));
	memset(up_held, 0, sizeof(up_held));
	t_start = now_s();
}

static struct config *two(const char *extra)
{
	struct config *c = NULL;
	struct vd_error err;
	char text[256];

	snprintf(text, sizeof(text), "%s[Tunnel a]\n[Tunnel b]\n", extra);
	assert_int_equal(config_parse_string("t.conf", text, &c, &err), 0);
	return c;
}

static void test_first_runs_after_needs(void **state)
{
	struct event_base *base = event_base_new();
	struct config *cfg = two("");
	struct scheduler *s = NULL;
	int n = 0;

	(void)state;
	reset_needs();
	up_ms = -1;
	assert_int_equal(scheduler_new_with(base, cfg, needs_table, 2, count_result, &n, NULL, &s), 0);
	/* slots in the order of first runs: up's before down's */
	assert_ptr_equal(scheduler_slot_probe(scheduler_slot(s, 0)), &up);
	assert_ptr_equal(scheduler_slot_probe(scheduler_slot(s, 2)), &down);
	/* an event meanwhile does not start down before up has delivered (up
	 * held; the default first wait, 10 s, far away) */
	run_loop(base, 50);
	scheduler_trigger(s, PROBE_EV_NET);
	run_loop(base, 50);
	assert_int_equal(n_down_started[0] + n_down_started[1], 0);
	up_release();
	for (int i = 0; i < 50 && n < 4; i++)
		run_loop(base, 20);
	assert_int_equal(n, 4);
	assert_int_equal(n_up_done[0], 1);
	assert_int_equal(n_up_done[1], 1);
	assert_int_equal(n_down_started[0], 1); /* once: the trigger waited with it */
	assert_int_equal(n_down_started[1], 1);
	assert_int_equal(n_down_before_up[0] + n_down_before_up[1], 0);
	scheduler_free(s);

	/* up never ends: down runs without it once it has waited long enough */
	reset_needs();
	up_ms = -1;
	n = 0;
	assert_int_equal(scheduler_new_with(base, cfg, needs_table, 2, count_result, &n, NULL, &s), 0);
	scheduler_set_first_wait(s, 0.2);
	for (int i = 0; i < 50 && n < 2; i++)
		run_loop(base, 20);
	assert_int_equal(n, 2);
	assert_int_equal(n_down_before_up[0], 1);
	assert_int_equal(n_down_before_up[1], 1);
	/* not before it had waited (the clock's, not the loop's, account) */
	for (int t = 0; t < 2; t++)
		if (t_down_first[t] < 0.19)
			fail_msg("down ran without up after %.3f s, not 0.2 s", t_down_first[t]);
	scheduler_free(s);
	config_free(cfg);

	/* up is off: down waits for nothing */
	reset_needs();
	up_ms = 150;
	n = 0;
	cfg = two("[OpenVPN]\nEnabled=no\n");
	assert_int_equal(scheduler_new_with(base, cfg, needs_table, 2, count_result, &n, NULL, &s), 0);
	assert_int_equal(scheduler_n_slots(s), 2);
	for (int i = 0; i < 50 && n < 2; i++)
		run_loop(base, 20);
	assert_int_equal(n_down_started[0], 1);
	assert_int_equal(n_down_started[1], 1);
	scheduler_free(s);
	config_free(cfg);
	event_base_free(base);
}

static const struct probe orphan = {
	.name = "routes", .section = "down", .per_tunnel = true, .interval_s = 100,
	.needs = (const char *const[]){"nobody-fills-this", NULL}, .start = down_start,
};
static const struct probe *const orphan_table[] = {&orphan};
static const struct probe cyc_a = {
	.name = "openvpn", .section = "a", .per_tunnel = true, .interval_s = 100,
	.needs = (const char *const[]){"b", NULL}, .start = down_start,
};
static const struct probe cyc_b = {
	.name = "routes", .section = "b", .per_tunnel = true, .interval_s = 100,
	.needs = (const char *const[]){"a", NULL}, .start = down_start,
};
static const struct probe *const cycle_table[] = {&cyc_a, &cyc_b};

/* A table whose needs do not hold together starts nothing. */
static void test_needs_refused(void **state)
{
	struct event_base *base = event_base_new();
	struct config *cfg = two("");
	struct scheduler *s = NULL;
	int n = 0;

	(void)state;
	assert_int_equal(scheduler_new_with(base, cfg, orphan_table, 1, count_result, &n, NULL, &s), -ENOENT);
	assert_null(s);
	assert_int_equal(scheduler_new_with(base, cfg, cycle_table, 2, count_result, &n, NULL, &s), -ELOOP);
	assert_null(s);
	config_free(cfg);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bound_and_coalescing),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_start_fails),
		cmocka_unit_test(test_probe_paces),
		cmocka_unit_test(test_skip_first_and_cancel),
		cmocka_unit_test(test_pause_and_restart),
		cmocka_unit_test(test_first_runs_after_needs),
		cmocka_unit_test(test_needs_refused),
		cmocka_unit_test(test_fairness),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
