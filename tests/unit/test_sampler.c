/* lib/sampler.c: the banks of tests per destination and the pacer. What an
 * echo feeds, what the facts say, the pace and its budget; and a simulated
 * path probe (the banks and pacer as the probe drives them, fixed seed)
 * showing the design's delays and its quiet on a healthy 0.5% path. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "vpndoctor/facts.h"
#include "vpndoctor/sampler.h"
#include "sim_path.h"

static const char *const path_keys[] = {"loss_heavy", "loss_light", "rtt_long", "rtt_very_long", "jitter", NULL};
static const char *const inside_keys[] = {"loss_heavy", "loss_light", "excess_delay", "silent", NULL};

static void test_init(void **state)
{
	struct vd_bank b;
	static const char *const unknown[] = {"loss_heavy", "nonsense", NULL};
	static const char *const wrong_section[] = {"one_way", NULL};
	static const char *const follower_first[] = {"loss_light", "loss_heavy", NULL};

	(void)state;
	assert_int_equal(vd_bank_init(&b, "path", path_keys), 0);
	assert_int_equal(b.n, 5);
	assert_int_equal(b.leader[1], 0); /* loss_light follows loss_heavy */
	assert_int_equal(b.leader[0], -1);
	for (size_t i = 0; i < b.n; i++)
		assert_int_equal(b.t[i].decision, VD_SPRT_UNDECIDED);
	assert_int_equal(vd_bank_init(&b, "path", unknown), -EINVAL);
	assert_int_equal(vd_bank_init(&b, "path", wrong_section), -EINVAL);
	assert_int_equal(vd_bank_init(&b, "ping", follower_first), -EINVAL);
	assert_int_equal(vd_bank_init(&b, "ping", inside_keys), 0);
	assert_non_null(vd_bank_test(&b, "silent"));
	assert_null(vd_bank_test(&b, "jitter"));
}

/* A loss feeds only the loss tests; an answer the round-trip ones too; two
 * answers in a row the step test; the excess test needs a baseline. */
static void test_what_an_echo_feeds(void **state)
{
	struct vd_bank b, in;

	(void)state;
	assert_int_equal(vd_bank_init(&b, "path", path_keys), 0);
	vd_bank_echo(&b, false, 0, NAN);
	assert_int_equal(vd_bank_test(&b, "loss_heavy")->samples, 1);
	assert_int_equal(vd_bank_test(&b, "loss_light")->samples, 1);
	assert_int_equal(vd_bank_test(&b, "rtt_long")->samples, 0);
	assert_int_equal(vd_bank_test(&b, "jitter")->samples, 0);
	vd_bank_echo(&b, true, 10, NAN);
	assert_int_equal(vd_bank_test(&b, "rtt_long")->samples, 1);
	assert_int_equal(vd_bank_test(&b, "jitter")->samples, 0); /* no pair yet */
	vd_bank_echo(&b, true, 50, NAN);
	assert_int_equal(vd_bank_test(&b, "jitter")->samples, 1);
	assert_int_equal(vd_bank_test(&b, "jitter")->evidence_events, 1); /* |50 - 10| > 30 */
	vd_bank_echo(&b, true, 200, NAN);
	assert_int_equal(vd_bank_test(&b, "rtt_long")->evidence_events, 1); /* 200 > 150 */
	assert_int_equal(vd_bank_test(&b, "rtt_very_long")->evidence_events, 0);
	/* an answer without a number is a loss */
	vd_bank_echo(&b, true, NAN, NAN);
	assert_int_equal(vd_bank_test(&b, "loss_heavy")->evidence_events, 2);

	assert_int_equal(vd_bank_init(&in, "ping", inside_keys), 0);
	vd_bank_echo(&in, true, 90, NAN);
	assert_int_equal(vd_bank_test(&in, "excess_delay")->samples, 0);
	vd_bank_echo(&in, true, 90, 20);
	assert_int_equal(vd_bank_test(&in, "excess_delay")->samples, 1);
	assert_int_equal(vd_bank_test(&in, "excess_delay")->evidence_events, 1); /* 70 > 50 */
	assert_int_equal(vd_bank_test(&in, "silent")->samples, 2);
}

/* A tunnel with 200 ms added: the round-trip test decides within a dozen
 * echoes, the loss tests stay at h0, and the facts say so. */
static void test_long_path_and_facts(void **state)
{
	struct vd_bank b;
	cJSON *j;
	const cJSON *t;
	int n = 0;

	(void)state;
	assert_int_equal(vd_bank_init(&b, "path", path_keys), 0);
	while (vd_bank_test(&b, "rtt_long")->decision != VD_SPRT_H1 && n < 100) {
		vd_bank_echo(&b, true, 201 + (n % 3), NAN);
		n++;
	}
	print_message("200 ms added: rtt_long at h1 after %d echoes\n", n);
	assert_true(n <= 10);
	assert_int_equal(vd_bank_test(&b, "loss_heavy")->decision, VD_SPRT_H0);
	assert_true(vd_bank_any_h1(&b));
	assert_int_equal(vd_bank_pace(&b), VD_SPRT_WATCH);
	j = vd_bank_json(&b);
	assert_non_null(j);
	t = cJSON_GetObjectItem(j, VDF_TESTS_RTT_LONG);
	assert_string_equal(cJSON_GetObjectItem(t, VDF_TEST_DECISION)->valuestring, "h1");
	assert_float_equal(cJSON_GetObjectItem(t, VDF_TEST_STATISTIC)->valuedouble,
	                   cJSON_GetObjectItem(t, VDF_TEST_UPPER)->valuedouble, 1e-9);
	assert_int_equal(cJSON_GetObjectItem(t, VDF_TEST_SAMPLES)->valueint, n);
	assert_int_equal(cJSON_GetObjectItem(t, VDF_TEST_EVIDENCE_EVENTS)->valueint, n);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, VDF_TESTS_LOSS_HEAVY), VDF_TEST_DECISION)->valuestring,
	                    "h0");
	/* the evidence of health since a fresh start: none for the test at
	 * h1, every sample for the loss test beside it */
	assert_int_equal(cJSON_GetObjectItem(t, VDF_TEST_FRESH_SAMPLES)->valueint, 0);
	assert_float_equal(cJSON_GetObjectItem(t, VDF_TEST_FRESH_EVIDENCE)->valuedouble, 0, 0);
	t = cJSON_GetObjectItem(j, VDF_TESTS_LOSS_LIGHT);
	assert_int_equal(cJSON_GetObjectItem(t, VDF_TEST_FRESH_SAMPLES)->valueint, n);
	assert_float_equal(cJSON_GetObjectItem(t, VDF_TEST_FRESH_EVIDENCE)->valuedouble,
	                   vd_bank_test(&b, "loss_light")->fresh_llr_min, 1e-12);
	assert_true(cJSON_GetObjectItem(t, VDF_TEST_FRESH_EVIDENCE)->valuedouble < 0);
	assert_int_equal(cJSON_GetArraySize(j), 5);
	cJSON_Delete(j);
	/* a new path: every test afresh */
	vd_bank_restart(&b);
	assert_int_equal(vd_bank_test(&b, "rtt_long")->decision, VD_SPRT_UNDECIDED);
	assert_int_equal(vd_bank_test(&b, "rtt_long")->samples, 0);
	assert_int_equal(vd_bank_test(&b, "loss_light")->fresh, 0);
	assert_true(vd_bank_test(&b, "loss_light")->fresh_llr_min == 0);
	assert_false(vd_bank_any_h1(&b));
}

/* A gateway that answers nothing (gone, and no handshake either: the path
 * probe stays on echoes): the loss tests stand at h1 and are watched at 1
 * a second, out of no budget, and the round-trip tests, which only an
 * answer feeds, ask for nothing. Before, with no sample they asked a burst
 * at every run: 1800 echoes an hour from the budget on top of the watch. */
static void test_pace_no_answer(void **state)
{
	struct sim m = {.now = 0};
	const struct vd_sampling *s = vd_sampling_find("path");
	uint64_t n0;

	(void)state;
	assert_int_equal(vd_bank_init(&m.b, "path", path_keys), 0);
	vd_pacer_init(&m.p, s, 0);
	sim_rng = 3;
	assert_true(sim_until(&m, 1.0, 1, 600, true) >= 0);
	assert_int_equal(vd_bank_test(&m.b, "rtt_long")->samples, 0);
	assert_int_equal(vd_bank_test(&m.b, "rtt_long")->decision, VD_SPRT_UNDECIDED);
	assert_int_equal(vd_bank_pace(&m.b), VD_SPRT_WATCH);
	n0 = m.samples;
	/* an hour of it: one echo a second, the budget untouched */
	assert_true(sim_until(&m, 1.0, 1, 3600, false) < 0);
	assert_in_range(m.samples - n0, 3500, 3700);
	assert_true(m.p.tokens >= s->fast_per_hour - s->burst);
	/* an answer at last: the round-trip tests have a sample, and decide */
	vd_bank_echo(&m.b, true, 10, NAN);
	assert_int_equal(vd_bank_test(&m.b, "rtt_long")->decision, VD_SPRT_H0);
}

/* The pace: a lost echo on a healthy path makes the heavy loss test
 * pending, and it rests after 30 answers; one event's evidence in the
 * light test (a follower) sets no pace. A second loss while the light
 * test remembers the first makes it pending too, until it rests. */
static void test_pace(void **state)
{
	struct vd_bank b;

	(void)state;
	assert_int_equal(vd_bank_init(&b, "path", path_keys), 0);
	assert_int_equal(vd_bank_pace(&b), VD_SPRT_FAST); /* undecided */
	vd_bank_echo(&b, true, 10, NAN);
	vd_bank_echo(&b, true, 10, NAN);
	assert_int_equal(vd_bank_pace(&b), VD_SPRT_SLOW);
	vd_bank_echo(&b, false, 0, NAN);
	assert_int_equal(vd_bank_pace(&b), VD_SPRT_FAST);
	/* ln(0.1/0.005) / -ln(0.9/0.995) = 29.9: the 30th answer rests it */
	for (int i = 0; i < 29; i++)
		vd_bank_echo(&b, true, 10, NAN);
	assert_int_equal(vd_bank_pace(&b), VD_SPRT_FAST);
	vd_bank_echo(&b, true, 10, NAN);
	assert_float_equal(vd_bank_test(&b, "loss_heavy")->s, 0, 0);
	assert_true(vd_bank_test(&b, "loss_light")->s > 0); /* still above its floor */
	assert_int_equal(vd_bank_pace(&b), VD_SPRT_SLOW);
	/* a second loss: the heavy test from its floor, the light one above
	 * one event's evidence: both pending */
	vd_bank_echo(&b, false, 0, NAN);
	assert_true(vd_bank_test(&b, "loss_light")->s > log(0.03 / 0.005));
	for (int i = 0; i < 30; i++)
		vd_bank_echo(&b, true, 10, NAN);
	assert_float_equal(vd_bank_test(&b, "loss_heavy")->s, 0, 0);
	assert_int_equal(vd_bank_pace(&b), VD_SPRT_FAST);
	/* until the light test is back within one event's evidence */
	while (vd_bank_test(&b, "loss_light")->s > log(0.03 / 0.005))
		vd_bank_echo(&b, true, 10, NAN);
	assert_int_equal(vd_bank_pace(&b), VD_SPRT_SLOW);
}

/* The fault's pace (vd_bank_pace_h1): the tests at h1 and those of their
 * kind. A chance loss while a long round trip holds is not the fault's
 * (its FAST comes out of the budget); the heavy loss test settling beside
 * a light loss fault at h1 is. */
static void test_pace_h1(void **state)
{
	struct vd_bank b;
	int n = 0;

	(void)state;
	assert_int_equal(vd_bank_init(&b, "path", path_keys), 0);
	vd_bank_echo(&b, true, 10, NAN);
	assert_int_equal(vd_bank_pace_h1(&b), VD_SPRT_SLOW); /* nothing at h1 */
	while (vd_bank_test(&b, "rtt_long")->decision != VD_SPRT_H1 && n++ < 100)
		vd_bank_echo(&b, true, 201, NAN);
	assert_int_equal(vd_bank_pace_h1(&b), VD_SPRT_WATCH);
	vd_bank_echo(&b, false, 0, NAN); /* a chance loss */
	assert_int_equal(vd_bank_pace(&b), VD_SPRT_FAST);
	assert_int_equal(vd_bank_pace_h1(&b), VD_SPRT_WATCH);
	/* the round trips recede: the fault's own FAST */
	while (vd_bank_test(&b, "rtt_long")->decision == VD_SPRT_H1 &&
	       vd_sprt_pace(vd_bank_test(&b, "rtt_long"), &b.lim[2]) != VD_SPRT_FAST)
		vd_bank_echo(&b, true, 10, NAN);
	assert_int_equal(vd_bank_test(&b, "rtt_long")->decision, VD_SPRT_H1);
	assert_int_equal(vd_bank_pace_h1(&b), VD_SPRT_FAST);
	/* a light loss fault at h1, the heavy test settling beside it */
	assert_int_equal(vd_bank_init(&b, "path", path_keys), 0);
	for (n = 0; n < 5000 && vd_bank_test(&b, "loss_light")->decision != VD_SPRT_H1; n++)
		vd_bank_echo(&b, n % 25 != 0, 10, NAN); /* 4% */
	assert_int_equal(vd_bank_test(&b, "loss_light")->decision, VD_SPRT_H1);
	assert_int_equal(vd_bank_test(&b, "loss_heavy")->decision, VD_SPRT_H0);
	vd_bank_echo(&b, false, 0, NAN);
	assert_int_equal(vd_sprt_pace(vd_bank_test(&b, "loss_heavy"), &b.lim[0]), VD_SPRT_FAST);
	assert_int_equal(vd_bank_pace_h1(&b), VD_SPRT_FAST);
}

/* A test just resolved asks WATCH, out of no budget: a burst for another
 * test that the spent budget refuses falls back to it, not to a slow run
 * (before, only a test at h1 kept WATCH). */
static void test_pace_h1_resolved(void **state)
{
	const struct vd_sampling *s = vd_sampling_find("path");
	struct vd_bank b;
	struct vd_pacer p;
	unsigned count;
	double delay;
	int n = 0;

	(void)state;
	assert_non_null(s);
	assert_int_equal(vd_bank_init(&b, "path", path_keys), 0);
	while (vd_bank_test(&b, "rtt_long")->decision != VD_SPRT_H1 && n++ < 100)
		vd_bank_echo(&b, true, 201, NAN);
	for (n = 0; n < 100 && vd_bank_test(&b, "rtt_long")->decision == VD_SPRT_H1; n++)
		vd_bank_echo(&b, true, 10, NAN);
	assert_int_equal(vd_bank_test(&b, "rtt_long")->decision, VD_SPRT_H0);
	assert_true(vd_bank_test(&b, "rtt_long")->resolved);
	assert_int_equal(vd_bank_n_h1(&b), 0);
	assert_int_equal(vd_bank_pace(&b), VD_SPRT_WATCH);
	assert_int_equal(vd_bank_pace_h1(&b), VD_SPRT_WATCH);
	vd_bank_echo(&b, false, 0, NAN); /* a chance loss: a burst, budgeted */
	assert_int_equal(vd_bank_pace(&b), VD_SPRT_FAST);
	assert_int_equal(vd_bank_pace_h1(&b), VD_SPRT_WATCH);
	vd_pacer_init(&p, s, 0);
	assert_int_equal(vd_pacer_plan(&p, vd_bank_pace(&b), vd_bank_pace_h1(&b), 0, 0, 1, &count, &delay), VD_SPRT_FAST);
	assert_int_equal(count, s->burst);
	p.tokens = 0; /* the budget spent */
	assert_int_equal(vd_pacer_plan(&p, vd_bank_pace(&b), vd_bank_pace_h1(&b), 0, 0, 2, &count, &delay), VD_SPRT_WATCH);
	assert_float_equal(delay, s->watch_s, 1e-9);
	/* nothing to watch: slow */
	assert_int_equal(vd_pacer_plan(&p, VD_SPRT_FAST, VD_SPRT_SLOW, 0, 0, 3, &count, &delay), VD_SPRT_SLOW);
	assert_float_equal(delay, s->slow_s, 1e-9);
}

/* Another probe's loss evidence, read from its facts: settling while a
 * loss test is off its floor at h0, not at rest, not once one stands at
 * h1, and nothing from what is not a tests object. */
static bool pending_of(const struct vd_bank *b)
{
	cJSON *j = vd_bank_json(b);
	bool r;

	assert_non_null(j);
	r = vd_tests_loss_pending("ping", j);
	cJSON_Delete(j);
	return r;
}

static void test_loss_pending(void **state)
{
	struct vd_bank b;
	cJSON *j;

	(void)state;
	assert_int_equal(vd_bank_init(&b, "ping", inside_keys), 0);
	assert_false(pending_of(&b)); /* undecided: no evidence yet */
	vd_bank_echo(&b, true, 10, NAN);
	assert_false(pending_of(&b)); /* h0 at the floor */
	vd_bank_echo(&b, false, 0, NAN);
	assert_true(pending_of(&b));
	/* the heavy test rests after 30 answers; the light one's single
	 * event is not pending (its decay took 40 minutes at the ping's rest) */
	for (int i = 0; i < 30; i++)
		vd_bank_echo(&b, true, 10, NAN);
	assert_float_equal(vd_bank_test(&b, "loss_heavy")->s, 0, 0);
	assert_true(vd_bank_test(&b, "loss_light")->s > 0);
	assert_false(pending_of(&b));
	/* a second loss within its memory: both pending, and the light test
	 * still settles once the heavy one rests */
	vd_bank_echo(&b, false, 0, NAN);
	for (int i = 0; i < 30; i++)
		vd_bank_echo(&b, true, 10, NAN);
	assert_float_equal(vd_bank_test(&b, "loss_heavy")->s, 0, 0);
	assert_true(vd_bank_test(&b, "loss_light")->s > log(0.03 / 0.005));
	assert_true(pending_of(&b));
	while (vd_bank_test(&b, "loss_light")->s > log(0.03 / 0.005))
		vd_bank_echo(&b, true, 10, NAN);
	assert_false(pending_of(&b));
	while (vd_bank_test(&b, "loss_light")->s > 0)
		vd_bank_echo(&b, true, 10, NAN);
	assert_false(pending_of(&b));
	/* a fault decided: h1 is not pending, whatever the light test shows */
	while (vd_bank_test(&b, "loss_heavy")->decision != VD_SPRT_H1)
		vd_bank_echo(&b, false, 0, NAN);
	assert_false(pending_of(&b));
	/* what is not a test is no evidence */
	assert_false(vd_tests_loss_pending("ping", NULL));
	j = cJSON_Parse("{\"loss_heavy\":{\"decision\":\"maybe\",\"statistic\":3},"
	                "\"loss_light\":{\"decision\":\"h0\",\"statistic\":\"3\"}}");
	assert_non_null(j);
	assert_false(vd_tests_loss_pending("ping", j));
	cJSON_Delete(j);
	/* one event's evidence of the light test (ln 6 = 1.79) is not pending,
	 * more is; the heavy test's is from its first */
	j = cJSON_Parse("{\"loss_light\":{\"decision\":\"h0\",\"statistic\":1.5}}");
	assert_false(vd_tests_loss_pending("ping", j));
	cJSON_Delete(j);
	j = cJSON_Parse("{\"loss_light\":{\"decision\":\"h0\",\"statistic\":2.5}}");
	assert_true(vd_tests_loss_pending("ping", j));
	cJSON_Delete(j);
	j = cJSON_Parse("{\"loss_heavy\":{\"decision\":\"h0\",\"statistic\":0.5}}");
	assert_true(vd_tests_loss_pending("ping", j));
	cJSON_Delete(j);
}

static void test_pacer(void **state)
{
	const struct vd_sampling *s = vd_sampling_find("path");
	struct vd_pacer p;
	unsigned count;
	double delay, now = 1000;
	int bursts = 0;

	(void)state;
	assert_non_null(s);
	vd_pacer_init(&p, s, now);
	vd_pacer_plan(&p, VD_SPRT_SLOW, VD_SPRT_SLOW, 0, 0, now, &count, &delay);
	assert_int_equal(count, s->per_run);
	assert_float_equal(delay, s->slow_s, 0);
	/* Interval= sets the slow pace */
	vd_pacer_plan(&p, VD_SPRT_SLOW, VD_SPRT_SLOW, 0, 10, now, &count, &delay);
	assert_float_equal(delay, 10, 0);
	vd_pacer_plan(&p, VD_SPRT_WATCH, VD_SPRT_WATCH, 1, 0, now, &count, &delay);
	assert_int_equal(count, s->per_run);
	assert_float_equal(delay, s->watch_s, 0);
	/* a burst cut short by the probe takes what it sent, no more (the
	 * path's handshakes: five of the twenty planned) */
	{
		double t0 = p.tokens;

		assert_int_equal(vd_pacer_plan(&p, VD_SPRT_FAST, VD_SPRT_SLOW, 0, 0, now, &count, &delay), VD_SPRT_FAST);
		assert_float_equal(p.tokens, t0 - s->burst, 1e-9);
		vd_pacer_sent(&p, 5);
		assert_float_equal(p.tokens, t0 - 5, 1e-9);
		assert_float_equal(p.episode, 5, 1e-9);
		vd_pacer_sent(&p, 5); /* once */
		assert_float_equal(p.tokens, t0 - 5, 1e-9);
		/* a run out of no budget gives nothing back */
		vd_pacer_plan(&p, VD_SPRT_FAST, VD_SPRT_FAST, 1, 0, now, &count, &delay);
		t0 = p.tokens;
		vd_pacer_sent(&p, 5);
		assert_float_equal(p.tokens, t0, 1e-9);
		vd_pacer_init(&p, s, now);
	}
	/* pending bursts on a healthy tunnel come out of the hour's budget */
	for (;;) {
		vd_pacer_plan(&p, VD_SPRT_FAST, VD_SPRT_SLOW, 0, 0, now, &count, &delay);
		if (count != s->burst)
			break;
		assert_float_equal(delay, s->burst_spacing_s, 0);
		bursts++;
	}
	assert_int_equal(bursts, s->fast_per_hour / s->burst);
	assert_int_equal(count, s->per_run);
	assert_float_equal(delay, s->slow_s, 0);
	/* the episode ends at rest: what it took was a healthy tunnel's */
	vd_pacer_plan(&p, VD_SPRT_SLOW, VD_SPRT_SLOW, 0, 0, now, &count, &delay);
	/* not while a test stands at h1, and reaching h1 gives back nothing
	 * of an episode that had ended */
	vd_pacer_plan(&p, VD_SPRT_FAST, VD_SPRT_FAST, 1, 0, now, &count, &delay);
	assert_int_equal(count, s->burst);
	assert_true(p.tokens < s->burst);
	vd_pacer_plan(&p, VD_SPRT_SLOW, VD_SPRT_SLOW, 0, 0, now, &count, &delay);
	/* the budget comes back with time: a burst's worth after burst/rate s */
	now += (double)s->burst * 3600 / s->fast_per_hour + 0.01;
	vd_pacer_plan(&p, VD_SPRT_FAST, VD_SPRT_SLOW, 0, 0, now, &count, &delay);
	assert_int_equal(count, s->burst);
	vd_pacer_plan(&p, VD_SPRT_FAST, VD_SPRT_SLOW, 0, 0, now, &count, &delay);
	assert_int_equal(count, s->per_run);
	/* an episode that ends at h1 was a fault's: its samples come back,
	 * and a fault named does not leave the next to the sentinel's pace */
	now += 3600; /* a full budget again */
	vd_pacer_plan(&p, VD_SPRT_SLOW, VD_SPRT_SLOW, 0, 0, now, &count, &delay);
	bursts = 0;
	for (;;) {
		vd_pacer_plan(&p, VD_SPRT_FAST, VD_SPRT_SLOW, 0, 0, now, &count, &delay);
		if (count != s->burst)
			break;
		bursts++;
	}
	assert_int_equal(bursts, s->fast_per_hour / s->burst);
	vd_pacer_plan(&p, VD_SPRT_WATCH, VD_SPRT_WATCH, 1, 0, now, &count, &delay);
	assert_float_equal(p.tokens, s->fast_per_hour, 0);
	/* once: staying at h1 gives back nothing more */
	vd_pacer_plan(&p, VD_SPRT_WATCH, VD_SPRT_WATCH, 1, 0, now, &count, &delay);
	assert_float_equal(p.tokens, s->fast_per_hour, 0);
	assert_float_equal(p.episode, 0, 0);
}


/* The pace a plan returns is the one planned: a FAST the budget refused is
 * a run at rest (the path's handshakes are capped by it). And a probe whose
 * pace follows another probe's evidence (the path, the ping probe's loss
 * inside) spends on it from the budget even while a finding of its own
 * holds: a long path (rtt_long at h1) with the inside's light loss test
 * settling for an hour takes at most the budget in bursts, and watches at
 * its own pace once the budget is spent. */
static void test_pacer_with(void **state)
{
	const struct vd_sampling *s = vd_sampling_find("path");
	struct vd_pacer p;
	unsigned count;
	double delay, now = 1000, end;
	unsigned long samples = 0, bursts = 0;

	(void)state;
	assert_non_null(s);
	vd_pacer_init(&p, s, now);
	assert_int_equal(vd_pacer_plan(&p, VD_SPRT_SLOW, VD_SPRT_SLOW, 0, 0, now, &count, &delay), VD_SPRT_SLOW);
	assert_int_equal(vd_pacer_plan(&p, VD_SPRT_WATCH, VD_SPRT_WATCH, 1, 0, now, &count, &delay), VD_SPRT_WATCH);
	assert_int_equal(vd_pacer_plan(&p, VD_SPRT_FAST, VD_SPRT_FAST, 1, 0, now, &count, &delay), VD_SPRT_FAST);
	p.tokens = 0;
	assert_int_equal(vd_pacer_plan(&p, VD_SPRT_FAST, VD_SPRT_SLOW, 0, 0, now, &count, &delay), VD_SPRT_SLOW);
	assert_int_equal(count, s->per_run);
	/* its own FAST asked by a test at h1 (a fault receding toward its
	 * resolution): no budget, as before */
	assert_int_equal(vd_pacer_plan_with(&p, VD_SPRT_FAST, VD_SPRT_FAST, 1, true, 0, now, &count, &delay), VD_SPRT_FAST);
	assert_int_equal(count, s->burst);
	/* but another test's FAST beside a fault that holds (h1 WATCH: a long
	 * round trip at h1, a chance loss settling) comes out of the budget,
	 * and with the budget spent the run watches the fault */
	assert_int_equal(vd_pacer_plan(&p, VD_SPRT_FAST, VD_SPRT_WATCH, 1, 0, now, &count, &delay), VD_SPRT_WATCH);
	assert_int_equal(count, s->per_run);
	assert_float_equal(delay, s->watch_s, 0);
	p.tokens = s->burst;
	assert_int_equal(vd_pacer_plan(&p, VD_SPRT_FAST, VD_SPRT_WATCH, 1, 0, now, &count, &delay), VD_SPRT_FAST);
	assert_int_equal(count, s->burst);
	assert_true(p.tokens < 1);
	/* nothing pending elsewhere: its own pace */
	assert_int_equal(vd_pacer_plan_with(&p, VD_SPRT_WATCH, VD_SPRT_WATCH, 1, false, 0, now, &count, &delay), VD_SPRT_WATCH);
	assert_float_equal(delay, s->watch_s, 0);
	/* an hour watching its own finding with the other's evidence pending */
	vd_pacer_init(&p, s, now);
	for (end = now + 3600; now < end; now += delay) {
		enum vd_sprt_pace q = vd_pacer_plan_with(&p, VD_SPRT_WATCH, VD_SPRT_WATCH, 1, true, 0, now, &count, &delay);

		assert_true(q == VD_SPRT_FAST || q == VD_SPRT_WATCH);
		assert_float_equal(delay, q == VD_SPRT_FAST ? s->burst_spacing_s : s->watch_s, 0);
		if (q == VD_SPRT_FAST) {
			bursts++;
			now += (count - 1) * s->burst_spacing_s; /* the run itself */
		}
		samples += count;
	}
	/* the full budget at the start, and what an hour adds back */
	assert_true(bursts * s->burst <= 2 * s->fast_per_hour);
	assert_true(samples <= 2 * s->fast_per_hour + 3600 / s->watch_s + 1);
	/* a second test reaching h1 beside a fault that holds (a loss named
	 * while a long round trip holds) gets back what the bursts beside the
	 * fault took, as the first does; at most one budget an hour */
	vd_pacer_init(&p, s, now);
	assert_int_equal(vd_pacer_plan(&p, VD_SPRT_WATCH, VD_SPRT_WATCH, 1, 0, now, &count, &delay), VD_SPRT_WATCH);
	bursts = 0;
	while (vd_pacer_plan(&p, VD_SPRT_FAST, VD_SPRT_WATCH, 1, 0, now, &count, &delay) == VD_SPRT_FAST)
		bursts++;
	assert_int_equal(bursts, s->fast_per_hour / s->burst);
	assert_true(p.tokens < s->burst);
	assert_int_equal(vd_pacer_plan(&p, VD_SPRT_WATCH, VD_SPRT_WATCH, 2, 0, now, &count, &delay), VD_SPRT_WATCH);
	assert_float_equal(p.tokens, s->fast_per_hour, 0);
	/* once: staying there, or one resolving and coming back within the
	 * hour after the budget came back, gives nothing more */
	while (vd_pacer_plan(&p, VD_SPRT_FAST, VD_SPRT_WATCH, 2, 0, now, &count, &delay) == VD_SPRT_FAST)
		;
	vd_pacer_plan(&p, VD_SPRT_WATCH, VD_SPRT_WATCH, 1, 0, now, &count, &delay);
	vd_pacer_plan(&p, VD_SPRT_WATCH, VD_SPRT_WATCH, 2, 0, now, &count, &delay);
	assert_true(p.tokens < s->burst);
	/* with nothing of its own open, the same bound: a FAST refused is SLOW */
	vd_pacer_init(&p, s, now);
	p.tokens = 0;
	assert_int_equal(vd_pacer_plan_with(&p, VD_SPRT_SLOW, VD_SPRT_SLOW, 0, true, 0, now, &count, &delay), VD_SPRT_SLOW);
	assert_float_equal(delay, s->slow_s, 0);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median_of(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* From a healthy steady state (0.5% loss for a random while): the delays
 * to a finding and to its resolution, as the benchmark would see them on
 * a perfect lab (no run time, no RTT). */
static void test_simulated_delays(void **state)
{
	static const struct {
		double loss, rtt;
		const char *what;
	} f[] = {{0.10, 1, "10% loss"}, {0.03, 1, "3% loss"}, {0, 200, "200 ms added"}};
	double det[101], res[101];

	(void)state;
	sim_rng = 7;
	for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
		int n = 0;
		for (int r = 0; r < 101; r++) {
			struct sim m = {.now = 0};
			assert_int_equal(vd_bank_init(&m.b, "path", path_keys), 0);
			vd_pacer_init(&m.p, vd_sampling_find("path"), 0);
			assert_true(sim_until(&m, 0.005, 1, 600 + sim_rnd() * 600, true) < 0);
			det[n] = sim_until(&m, f[k].loss, f[k].rtt, 3600, true);
			res[n] = det[n] < 0 ? -1 : sim_until(&m, 0, 1, 3600, false);
			assert_true(det[n] >= 0);
			assert_true(res[n] >= 0);
			n++;
		}
		double md = median_of(det, n), mr = median_of(res, n);
		print_message("%s: named after %.1f s, resolved %.1f s after the fix (median of %d)\n", f[k].what, md, mr, n);
		/* loose: the design's figures are the benchmark's to show; but
		 * the design itself must leave room for issue 12's 30 s at 10%
		 * (the lab adds the 2 s to notice the first loss, the 1.5 s
		 * deadline and the runs' own time) */
		assert_true(md < 600 && mr < 600);
		if (k == 0)
			assert_true(md < 20);
	}
}

/* A day of the soak's healthy path (0.5% loss): no test opens, and the
 * samples stay within the rate the false-alarm bound assumes. */
static void test_simulated_quiet(void **state)
{
	struct sim m = {.now = 0};
	const struct vd_sampling *s = vd_sampling_find("path");
	uint64_t before;

	(void)state;
	sim_rng = 99;
	assert_int_equal(vd_bank_init(&m.b, "path", path_keys), 0);
	vd_pacer_init(&m.p, s, 0);
	sim_until(&m, 0.005, 5, 3600, true); /* settle, and an hour's budget */
	before = vd_bank_test(&m.b, "loss_heavy")->samples;
	assert_true(sim_until(&m, 0.005, 5, 86400, true) < 0);
	double rate = (double)(vd_bank_test(&m.b, "loss_heavy")->samples - before) / 86400;
	print_message("a healthy day: %.3f samples/s (the bound assumes at most %.3f)\n", rate,
	              vd_sampling_max_rate(s, s->slow_s));
	assert_true(rate <= vd_sampling_max_rate(s, s->slow_s));
}

/* Faults one after another, each named and fixed, 5 to 20 minutes apart
 * on a healthy path (0.5% loss): what their detections took comes back
 * when each is named, and the settling after each fix is watched, not
 * sampled fast, so the budget stays for the next (before: three 3% faults
 * in an hour emptied it, and the next was named in minutes). */
static void test_pacer_faults_in_a_row(void **state)
{
	double d[10], low = INFINITY;

	(void)state;
	sim_rng = 5;
	struct sim m = {.now = 0};
	assert_int_equal(vd_bank_init(&m.b, "path", path_keys), 0);
	vd_pacer_init(&m.p, vd_sampling_find("path"), 0);
	for (int r = 0; r < 10; r++) {
		sim_until(&m, 0.005, 1, 300 + sim_rnd() * 900, true);
		if (m.p.tokens < low)
			low = m.p.tokens;
		d[r] = sim_until(&m, 0.03, 1, 3600, true);
		assert_true(d[r] >= 0);
		assert_true(sim_until(&m, 0, 1, 3600, false) >= 0);
	}
	print_message("3%% loss, ten faults 5-20 min apart: named after a median of %.1f s; the budget at least %.0f of %u "
	              "when one began\n",
	              median_of(d, 10), low, m.p.s->fast_per_hour);
	assert_true(low >= 0.5 * m.p.s->fast_per_hour);
}

/* The grid the timers at rest share: short delays untouched, long ones to
 * the nearest grid point (never now or before), so that two timers of
 * different periods armed at different moments meet on the same point. */
static void test_tick_align(void **state)
{
	(void)state;
	assert_float_equal(vd_tick_align(100.3, 0.1, 2), 0.1, 1e-9);
	assert_float_equal(vd_tick_align(100.3, 1.0, 2), 1.0, 1e-9);
	/* a run at 100.004 asks for 2 s: 102, not 104 */
	assert_float_equal(vd_tick_align(100.004, 2, 2), 1.996, 1e-9);
	assert_float_equal(vd_tick_align(100.9, 2, 2), 1.1, 1e-9);
	assert_float_equal(vd_tick_align(101.1, 2, 2), 2.9, 1e-9);
	/* 5 s from 100.004: 106 (nearest to 105.004, even) */
	assert_float_equal(vd_tick_align(100.004, 5, 2), 5.996, 1e-9);
	assert_float_equal(vd_tick_align(100.004, 60, 2), 59.996, 1e-9);
	/* the grid point is never now or in the past */
	assert_true(vd_tick_align(99.0, 2, 4) > 0);
	assert_float_equal(vd_tick_align(98.0, 2, 4), 2.0, 1e-9);
	/* nonsense is left alone */
	assert_float_equal(vd_tick_align(100, 3, 0), 3, 0);
	assert_true(isnan(vd_tick_align(100, NAN, 2)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_what_an_echo_feeds),
		cmocka_unit_test(test_long_path_and_facts),
		cmocka_unit_test(test_pace),
		cmocka_unit_test(test_pace_no_answer),
		cmocka_unit_test(test_pace_h1),
		cmocka_unit_test(test_pace_h1_resolved),
		cmocka_unit_test(test_loss_pending),
		cmocka_unit_test(test_pacer),
		cmocka_unit_test(test_pacer_faults_in_a_row),
		cmocka_unit_test(test_pacer_with),
		cmocka_unit_test(test_simulated_delays),
		cmocka_unit_test(test_simulated_quiet),
		cmocka_unit_test(test_tick_align),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
