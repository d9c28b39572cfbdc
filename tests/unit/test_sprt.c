/* lib/sprt.c: the sequential tests. Known sequences decide after exactly the
 * number of samples the thresholds give; Wald's approximations match their
 * closed forms; and a Monte Carlo run (fixed seed, so the test is
 * repeatable) shows the error rates within the stated bounds: a healthy
 * stream raises at most one false alarm per 1/alpha samples, a faulty one
 * at most one false resolution per 1/beta, and the average delays are
 * those Wald's approximation gives. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vpndoctor/sprt.h"
#include "sim_path.h"

static struct vd_sprt_limits L(double p0, double p1, double alpha, double beta)
{
	struct vd_sprt_spec s = {.p0 = p0, .p1 = p1, .alpha = alpha, .beta = beta};
	struct vd_sprt_limits l;

	assert_int_equal(vd_sprt_limits(&s, &l), 0);
	return l;
}

static void test_limits(void **state)
{
	struct vd_sprt_limits l = L(0.01, 0.1, 2e-3, 1e-2), keep = {1, 2, 3, 4, 5};
	struct vd_sprt_spec bad[] = {
		{.p0 = 0, .p1 = 0.1, .alpha = 1e-3, .beta = 1e-2},    /* p0 not > 0 */
		{.p0 = 0.1, .p1 = 0.1, .alpha = 1e-3, .beta = 1e-2},  /* p1 not > p0 */
		{.p0 = 0.1, .p1 = 1, .alpha = 1e-3, .beta = 1e-2},    /* p1 not < 1 */
		{.p0 = 0.01, .p1 = 0.1, .alpha = 0, .beta = 1e-2},    /* alpha not > 0 */
		{.p0 = 0.01, .p1 = 0.1, .alpha = 1e-2, .beta = 1e-3}, /* beta < alpha */
		{.p0 = 0.01, .p1 = 0.1, .alpha = 1e-3, .beta = 1},    /* beta not < 1 */
		{.p0 = NAN, .p1 = 0.1, .alpha = 1e-3, .beta = 1e-2},
	};

	(void)state;
	assert_float_equal(l.up, log(10), 1e-12);
	assert_float_equal(l.down, log(0.9 / 0.99), 1e-12);
	assert_float_equal(l.upper, log(500), 1e-12);
	assert_float_equal(l.lower, log(500) - log(100), 1e-12);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vd_sprt_limits(&bad[i], &keep), -EINVAL);
		assert_float_equal(keep.up, 1, 0); /* untouched */
	}
	assert_int_equal(vd_sprt_limits(NULL, &keep), -EINVAL);
}

/* p0 1%, p1 10%, alpha 2e-3, beta 1e-2: an event adds ln 10 = 2.303, a
 * non-event takes 0.0953; upper ln 500 = 6.215, lower ln 5 = 1.609. */
static void test_known_sequence(void **state)
{
	struct vd_sprt_limits l = L(0.01, 0.1, 2e-3, 1e-2);
	struct vd_sprt t;

	(void)state;
	vd_sprt_start(&t);
	assert_int_equal(t.decision, VD_SPRT_UNDECIDED);
	assert_int_equal(vd_sprt_pace(&t, &l), VD_SPRT_FAST);
	/* a first answer: the floor, at or below lower: h0 */
	assert_int_equal(vd_sprt_feed(&t, &l, false), VD_SPRT_H0);
	assert_float_equal(t.s, 0, 0);
	assert_int_equal(vd_sprt_pace(&t, &l), VD_SPRT_SLOW);
	assert_int_equal(t.evidence_samples, 0);
	/* ceil(6.215 / 2.303) = 3 events in a row open it, not 2 */
	assert_int_equal(vd_sprt_feed(&t, &l, true), VD_SPRT_H0);
	assert_int_equal(vd_sprt_pace(&t, &l), VD_SPRT_FAST);
	assert_int_equal(vd_sprt_feed(&t, &l, true), VD_SPRT_H0);
	assert_int_equal(vd_sprt_feed(&t, &l, true), VD_SPRT_H1);
	assert_float_equal(t.s, l.upper, 0); /* held at the ceiling */
	assert_int_equal(t.evidence_samples, 3);
	assert_int_equal(t.evidence_events, 3);
	assert_int_equal(vd_sprt_pace(&t, &l), VD_SPRT_WATCH);
	/* from the ceiling, ceil(ln 100 / 0.0953) = 49 answers resolve it */
	for (int i = 1; i <= 48; i++) {
		assert_int_equal(vd_sprt_feed(&t, &l, false), VD_SPRT_H1);
		/* receding once more than one event's step below the ceiling:
		 * ceil(2.303 / 0.0953) = 25 answers */
		assert_int_equal(vd_sprt_pace(&t, &l), i < 25 ? VD_SPRT_WATCH : VD_SPRT_FAST);
	}
	assert_int_equal(vd_sprt_feed(&t, &l, false), VD_SPRT_H0);
	assert_int_equal(t.samples, 53);
	assert_int_equal(t.evidence_samples, 52);
	assert_int_equal(t.evidence_events, 3);
	/* still above the floor (6.215 - 49 x 0.0953 = 1.544), but just
	 * resolved: decided, watched, until it is back there,
	 * ceil(1.544 / 0.0953) = 17 answers later */
	assert_true(t.resolved);
	assert_int_equal(vd_sprt_pace(&t, &l), VD_SPRT_WATCH);
	for (int i = 0; i < 17; i++)
		vd_sprt_feed(&t, &l, false);
	assert_float_equal(t.s, 0, 0);
	assert_false(t.resolved);
	assert_int_equal(vd_sprt_pace(&t, &l), VD_SPRT_SLOW);
	assert_int_equal(t.evidence_samples, 0);
	assert_int_equal(t.evidence_events, 0);
	/* one event that the next answers wash out does not open it */
	vd_sprt_feed(&t, &l, true);
	for (int i = 0; i < 30; i++)
		assert_int_equal(vd_sprt_feed(&t, &l, false), VD_SPRT_H0);
	assert_float_equal(t.s, 0, 0);
}

/* Just resolved, the test is watched; an event ends that, and the pace is
 * FAST again, as for any evidence off the floor. */
static void test_resolved(void **state)
{
	struct vd_sprt_limits l = L(0.01, 0.1, 2e-3, 1e-2);
	struct vd_sprt t;

	(void)state;
	vd_sprt_start(&t);
	for (int i = 0; i < 3; i++)
		vd_sprt_feed(&t, &l, true);
	assert_int_equal(t.decision, VD_SPRT_H1);
	assert_false(t.resolved);
	while (vd_sprt_feed(&t, &l, false) == VD_SPRT_H1)
		;
	assert_true(t.resolved && t.s > 0);
	assert_int_equal(vd_sprt_pace(&t, &l), VD_SPRT_WATCH);
	vd_sprt_feed(&t, &l, true); /* the fault again? */
	assert_false(t.resolved);
	assert_int_equal(t.decision, VD_SPRT_H0);
	assert_int_equal(vd_sprt_pace(&t, &l), VD_SPRT_FAST);
	/* a fresh start has resolved nothing, and neither has reaching h0
	 * from undecided */
	vd_sprt_start(&t);
	vd_sprt_feed(&t, &l, true);
	while (vd_sprt_feed(&t, &l, false) == VD_SPRT_UNDECIDED)
		;
	assert_false(t.resolved);
	assert_int_equal(vd_sprt_pace(&t, &l), VD_SPRT_FAST);
}

/* Events first: undecided until the evidence comes back to lower. */
static void test_undecided(void **state)
{
	struct vd_sprt_limits l = L(0.01, 0.1, 2e-3, 1e-2);
	struct vd_sprt t;
	int n = 0;

	(void)state;
	vd_sprt_start(&t);
	assert_int_equal(vd_sprt_feed(&t, &l, true), VD_SPRT_UNDECIDED);
	/* (2.303 - 1.609) / 0.0953 = 7.3: the 8th answer decides */
	while (vd_sprt_feed(&t, &l, false) == VD_SPRT_UNDECIDED)
		n++;
	assert_int_equal(n + 1, 8);
	assert_int_equal(t.decision, VD_SPRT_H0);
	/* and straight to h1 from undecided */
	vd_sprt_start(&t);
	for (int i = 0; i < 2; i++)
		assert_int_equal(vd_sprt_feed(&t, &l, true), VD_SPRT_UNDECIDED);
	assert_int_equal(vd_sprt_feed(&t, &l, true), VD_SPRT_H1);
}

/* One sample to a heavy test and to the light test that follows it, as
 * vd_bank_echo feeds them; FEED in the tests below, whose locals these are. */
static void feed_pair(struct vd_sprt *heavy, const struct vd_sprt_limits *hl, struct vd_sprt *light,
                      const struct vd_sprt_limits *ll, bool ev)
{
	enum vd_sprt_decision before = heavy->decision;

	vd_sprt_feed(heavy, hl, ev);
	vd_sprt_follow(light, ll, before, heavy->decision, ev);
}
#define FEED(ev) feed_pair(&heavy, &hl, &light, &ll, ev)

/* A light test behind a heavy one: not fed while the heavy one stands at h1,
 * afresh (h0 at the floor) when it resolves; a pace of its own while it is
 * fed and its evidence is off the floor, and at h1. */
static void test_follow(void **state)
{
	struct vd_sprt_limits hl = L(0.01, 0.1, 2e-3, 1e-2), ll = L(0.01, 0.03, 2e-3, 1e-2);
	struct vd_sprt heavy, light;

	(void)state;
	vd_sprt_start(&heavy);
	vd_sprt_start(&light);
	FEED(false);
	assert_int_equal(light.decision, VD_SPRT_H0);
	/* one event: the heavy test sets the pace, the light one's single
	 * event is the leader's to settle */
	FEED(true);
	assert_true(light.s > 0);
	assert_int_equal(vd_sprt_follower_pace(&light, &ll, heavy.decision), VD_SPRT_SLOW);
	assert_int_equal(vd_sprt_pace(&heavy, &hl), VD_SPRT_FAST);
	/* a second: more than one event's evidence, its own pace */
	FEED(true);
	assert_true(light.s > ll.up);
	assert_int_equal(vd_sprt_follower_pace(&light, &ll, heavy.decision), VD_SPRT_FAST);
	FEED(true);
	assert_int_equal(heavy.decision, VD_SPRT_H1);
	/* frozen behind its leader's h1, its evidence still off the floor, the
	 * follower leaves the pace to the leader */
	assert_true(light.decision == VD_SPRT_H0 && light.s > 0);
	assert_int_equal(vd_sprt_follower_pace(&light, &ll, heavy.decision), VD_SPRT_SLOW);
	/* the light test stood still while the heavy one was at h1 */
	double s = light.s;
	uint64_t n = light.samples;
	for (int i = 0; i < 10; i++)
		FEED(true);
	assert_float_equal(light.s, s, 0);
	assert_int_equal(light.samples, n);
	/* the heavy one resolves: the light one starts afresh at its floor */
	while (heavy.decision == VD_SPRT_H1)
		FEED(false);
	assert_int_equal(light.decision, VD_SPRT_H0);
	assert_float_equal(light.s, 0, 0);
	assert_int_equal(light.evidence_samples, 0);
	assert_int_equal(light.samples, n + 1);
	/* at h1 itself, a follower has a pace */
	light.decision = VD_SPRT_H1;
	light.s = ll.upper;
	assert_int_equal(vd_sprt_follower_pace(&light, &ll, VD_SPRT_H0), VD_SPRT_WATCH);
	light.s = ll.upper - 2 * ll.up;
	assert_int_equal(vd_sprt_follower_pace(&light, &ll, VD_SPRT_H0), VD_SPRT_FAST);
	/* but not frozen behind its leader's h1: receding there it cannot
	 * move, and FAST would hold the probe fast (while something is open,
	 * out of no budget) for all of the leader's fault */
	assert_int_equal(vd_sprt_follower_pace(&light, &ll, VD_SPRT_H1), VD_SPRT_SLOW);
	light.s = ll.upper;
	assert_int_equal(vd_sprt_follower_pace(&light, &ll, VD_SPRT_H1), VD_SPRT_SLOW);
	/* at its floor it asks for nothing */
	light.decision = VD_SPRT_H0;
	light.s = 0;
	assert_int_equal(vd_sprt_follower_pace(&light, &ll, VD_SPRT_H0), VD_SPRT_SLOW);
}

/* A follower's single event is news after a quiet stretch (l.quiet samples,
 * what a stream at p0 outlasts one time in 20), and for that many samples
 * after it: the light test is paced from its first event there, not from
 * its second. */
static void test_follow_news(void **state)
{
	struct vd_sprt_limits hl = L(0.005, 0.1, 5e-8, 1e-4), ll = L(0.005, 0.03, 5e-8, 1e-4);
	struct vd_sprt heavy, light;
	int i;

	(void)state;
	/* ln 20 / -ln(1 - 0.005): 597.6 */
	assert_float_equal(ll.quiet, log(20) / -log1p(-0.005), 1e-9);
	assert_true(ll.quiet > 597 && ll.quiet < 598);
	/* a fresh test knows no quiet stretch: a first event soon after the
	 * start is the leader's to settle */
	vd_sprt_start(&heavy);
	vd_sprt_start(&light);
	for (i = 0; i < 10; i++)
		FEED(false);
	FEED(true);
	assert_false(light.news);
	assert_int_equal(vd_sprt_follower_pace(&light, &ll, heavy.decision), VD_SPRT_SLOW);
	/* 597 quiet samples are not enough, 598 are */
	for (i = 0; i < 597; i++)
		FEED(false);
	FEED(true);
	assert_false(light.news);
	assert_int_equal(vd_sprt_follower_pace(&light, &ll, heavy.decision), VD_SPRT_SLOW);
	for (i = 0; i < 598; i++)
		FEED(false);
	assert_float_equal(light.s, 0, 0);
	FEED(true);
	assert_true(light.news);
	assert_true(light.s > 0 && light.s <= ll.up);
	assert_int_equal(vd_sprt_follower_pace(&light, &ll, heavy.decision), VD_SPRT_FAST);
	/* settled at the floor: nothing to ask */
	while (light.s > 0)
		FEED(false);
	assert_int_equal(vd_sprt_follower_pace(&light, &ll, heavy.decision), VD_SPRT_SLOW);
	/* within 597 samples of that event, a first event is news too (a light
	 * fault whose first episode fell back to the floor) */
	for (i = 0; i < 300; i++)
		FEED(false);
	FEED(true);
	assert_true(light.news);
	assert_int_equal(vd_sprt_follower_pace(&light, &ll, heavy.decision), VD_SPRT_FAST);
	/* but not after it: 598 samples on, with no quiet stretch since */
	for (i = 0; i < 300; i++)
		FEED(false);
	FEED(true);
	assert_false(light.news);
	assert_true(light.s > 0 && light.s <= ll.up);
	assert_int_equal(vd_sprt_follower_pace(&light, &ll, heavy.decision), VD_SPRT_SLOW);
	/* news or not, a follower frozen behind its leader's h1 leaves the
	 * pace to the leader */
	for (i = 0; i < 700; i++)
		FEED(false);
	FEED(true);
	assert_true(light.news);
	while (heavy.decision != VD_SPRT_H1)
		FEED(true);
	assert_true(light.news);
	assert_int_equal(vd_sprt_follower_pace(&light, &ll, heavy.decision), VD_SPRT_SLOW);
	/* a follower restarted when its leader resolves knows no quiet stretch */
	while (heavy.decision == VD_SPRT_H1)
		FEED(false);
	assert_int_equal(light.since_quiet, UINT64_MAX);
	FEED(true);
	assert_false(light.news);
	assert_int_equal(vd_sprt_follower_pace(&light, &ll, heavy.decision), VD_SPRT_SLOW);
}

/* fresh: the samples since the test started afresh or last stood at h1,
 * and the log-likelihood ratio summed over them with no floor: what a clean
 * verdict rests on (lib/rules.c, loss_clean) */
static void test_fresh(void **state)
{
	struct vd_sprt_limits hl = L(0.005, 0.1, 5e-8, 1e-4), ll = L(0.005, 0.03, 5e-8, 1e-4);
	struct vd_sprt heavy, light;
	int i, n;

	(void)state;
	vd_sprt_start(&heavy);
	vd_sprt_start(&light);
	assert_int_equal(light.fresh, 0);
	assert_true(light.fresh_llr == 0 && light.fresh_llr_min == 0);
	for (i = 0; i < 100; i++)
		FEED(false);
	assert_int_equal(heavy.fresh, 100);
	assert_int_equal(light.fresh, 100);
	assert_float_equal(light.fresh_llr, 100 * ll.down, 1e-9);
	assert_float_equal(light.fresh_llr_min, 100 * ll.down, 1e-9);
	/* an event counts against the sum from where the sum stood, while
	 * the CUSUM's statistic starts it from its floor; the least stays */
	FEED(true);
	assert_float_equal(light.fresh_llr, 100 * ll.down + ll.up, 1e-9);
	assert_float_equal(light.fresh_llr_min, 100 * ll.down, 1e-9);
	assert_float_equal(light.s, ll.up, 1e-9);
	/* Wald's lower boundary ln beta: shown after ceil(ln beta / down)
	 * samples without an event, counted from a fresh start */
	vd_sprt_start(&light);
	n = (int)ceil(log(1e-4) / ll.down);
	assert_int_equal(n, 362);
	for (i = 0; i < n - 1; i++)
		vd_sprt_feed(&light, &ll, false);
	assert_true(light.fresh_llr_min > log(1e-4));
	vd_sprt_feed(&light, &ll, false);
	assert_true(light.fresh_llr_min <= log(1e-4));
	/* the heavy test at h1: its count and sum start again there; the
	 * light one, restarted when the heavy one resolves, from that restart */
	vd_sprt_start(&light);
	for (i = 0; i < 100; i++)
		FEED(false);
	while (heavy.decision != VD_SPRT_H1)
		FEED(true);
	assert_int_equal(heavy.fresh, 0);
	assert_true(heavy.fresh_llr == 0 && heavy.fresh_llr_min == 0);
	while (heavy.decision == VD_SPRT_H1)
		FEED(false);
	assert_int_equal(heavy.fresh, 1);
	assert_int_equal(light.fresh, 1);
	assert_float_equal(light.fresh_llr, ll.down, 1e-9);
	assert_true(light.samples > 100);
}

/* The clean verdict's error rate: from a fresh start, a path at p1 brings
 * the fresh evidence down to ln beta with probability at most beta (Ville's
 * inequality; Wald's approximation without overshoot gives beta itself),
 * and a path at p0 does so within the samples its drift gives. beta 0.05
 * here so that 4000 walks count it (at 1e-4 none would); the generator is
 * seeded, so the counts are fixed. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static double uniform(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) / 9007199254740992.0;
}

static void test_fresh_error_rate(void **state)
{
	struct vd_sprt_limits ll = L(0.005, 0.03, 5e-8, 1e-4);
	const double beta = 0.05, bound = log(beta);
	const int walks = 4000;
	int shown_p1 = 0, shown_p0 = 0;
	double samples_p0 = 0;

	(void)state;
	for (int w = 0; w < walks; w++) {
		struct vd_sprt t;

		/* at p1 the walk drifts up: after 4000 samples (7 times the
		 * light test's samples to h1) it is some 100 nats above the
		 * boundary and does not come back */
		vd_sprt_start(&t);
		for (int i = 0; i < 4000 && t.fresh_llr_min > bound; i++)
			vd_sprt_feed(&t, &ll, uniform() < 0.03);
		shown_p1 += t.fresh_llr_min <= bound;
		vd_sprt_start(&t);
		for (int i = 0; i < 4000 && t.fresh_llr_min > bound; i++)
			vd_sprt_feed(&t, &ll, uniform() < 0.005);
		shown_p0 += t.fresh_llr_min <= bound;
		samples_p0 += (double)t.fresh;
	}
	print_message("fresh evidence to ln(%.2f): at p1 %d of %d walks, at p0 %d in %.1f samples (mean)\n", beta,
	              shown_p1, walks, shown_p0, samples_p0 / walks);
	assert_true(shown_p1 <= beta * walks);
	assert_true(shown_p1 > 0);
	/* a healthy path shows it every time, near ln beta / drift (183) */
	assert_int_equal(shown_p0, walks);
	assert_true(fabs(samples_p0 / walks - bound / vd_sprt_drift(&ll, 0.005)) < 0.1 * bound / vd_sprt_drift(&ll, 0.005));
}

static void test_names(void **state)
{
	enum vd_sprt_decision d;

	(void)state;
	assert_string_equal(vd_sprt_decision_name(VD_SPRT_UNDECIDED), "undecided");
	assert_string_equal(vd_sprt_decision_name(VD_SPRT_H0), "h0");
	assert_string_equal(vd_sprt_decision_name(VD_SPRT_H1), "h1");
	assert_int_equal(vd_sprt_decision_parse("h1", &d), 0);
	assert_int_equal(d, VD_SPRT_H1);
	assert_int_equal(vd_sprt_decision_parse("undecided", &d), 0);
	assert_int_equal(d, VD_SPRT_UNDECIDED);
	assert_int_equal(vd_sprt_decision_parse("H1", &d), -EINVAL);
	assert_int_equal(vd_sprt_decision_parse(NULL, &d), -EINVAL);
}

/* At p0 and p1 the Wald root is +1 and -1, and the approximations are the
 * textbook ones: ARL0 = (e^h - h - 1) / KL(p0, p1), delay = (e^-h + h - 1) /
 * KL(p1, p0). */
static void test_wald(void **state)
{
	struct vd_sprt_limits l = L(0.005, 0.1, 1e-7, 1e-4);
	double h = l.upper, hr = l.upper - l.lower;
	double kl0 = -vd_sprt_drift(&l, 0.005), kl1 = vd_sprt_drift(&l, 0.1);

	(void)state;
	assert_true(kl0 > 0 && kl1 > 0);
	assert_float_equal(kl0, 0.005 * log(0.005 / 0.1) + 0.995 * log(0.995 / 0.9), 1e-12);
	assert_float_equal(vd_sprt_arl_open(&l, 0.005) / ((exp(h) - h - 1) / kl0), 1, 1e-6);
	assert_float_equal(vd_sprt_arl_open(&l, 0.1) / ((exp(-h) + h - 1) / kl1), 1, 1e-6);
	/* resolving: the mirrored CUSUM, threshold upper - lower */
	assert_float_equal(vd_sprt_arl_resolve(&l, 0.1) / ((exp(hr) - hr - 1) / kl1), 1, 1e-6);
	assert_float_equal(vd_sprt_arl_resolve(&l, 0.005) / ((exp(-hr) + hr - 1) / kl0), 1, 1e-6);
	/* Lorden's bound is below Wald's figure */
	assert_true(vd_sprt_arl_open(&l, 0.005) >= 1 / 1e-7);
	/* deterministic ends */
	assert_float_equal(vd_sprt_arl_open(&l, 1), ceil(h / l.up), 0);
	assert_float_equal(vd_sprt_arl_resolve(&l, 0), ceil(hr / -l.down), 0);
	assert_true(isinf(vd_sprt_arl_open(&l, 0)));
	assert_true(isinf(vd_sprt_arl_resolve(&l, 1)));
	assert_float_equal(vd_sprt_arl_open(&l, -0.1), -1, 0);
	/* at the indifference point (zero drift) it is h^2 / variance */
	{
		double pz = -l.down / (l.up - l.down);
		double var = pz * (1 - pz) * (l.up - l.down) * (l.up - l.down);
		assert_float_equal(vd_sprt_arl_open(&l, pz) / (h * h / var), 1, 1e-3);
	}
	/* more loss, sooner; less, later */
	assert_true(vd_sprt_arl_open(&l, 0.2) < vd_sprt_arl_open(&l, 0.1));
	assert_true(vd_sprt_arl_open(&l, 0.01) < vd_sprt_arl_open(&l, 0.005));
	/* the bound in days */
	{
		struct vd_sprt_spec s = {.p0 = 0.005, .p1 = 0.1, .alpha = 1e-7, .beta = 1e-4};
		assert_float_equal(vd_sprt_false_alarms(&s, 0.5, 30), 1e-7 * 0.5 * 30 * 86400, 1e-9);
	}
}

/* Samples from the floor to an alarm (or from the ceiling to a resolution). */
static double run_until(const struct vd_sprt_limits *l, double p, bool from_top)
{
	struct vd_sprt t;
	uint64_t n = 0;

	vd_sprt_start(&t);
	if (from_top) {
		t.s = l->upper;
		t.decision = VD_SPRT_H1;
	} else {
		t.decision = VD_SPRT_H0;
	}
	for (;;) {
		enum vd_sprt_decision d = vd_sprt_feed(&t, l, sim_rnd() < p);
		n++;
		if (from_top ? d == VD_SPRT_H0 : d == VD_SPRT_H1)
			return (double)n;
	}
}

struct mc {
	double mean, se;
};

static struct mc mc_arl(const struct vd_sprt_limits *l, double p, bool from_top, int reps)
{
	double sum = 0, sq = 0;

	for (int i = 0; i < reps; i++) {
		double n = run_until(l, p, from_top);
		sum += n;
		sq += n * n;
	}
	double mean = sum / reps;
	return (struct mc){mean, sqrt((sq / reps - mean * mean) / reps)};
}

/* Error rates, on a test small enough to watch fail: alpha 1e-2, beta 5e-2
 * (an alarm at most once in 100 healthy samples, a false resolution at most
 * once in 20 faulty ones), 5% against 25%. Wald's figure for these leaves
 * out the overshoot of the last step, which here (a threshold of under
 * three event steps) is large: the truth is above it. */
static void test_monte_carlo_errors(void **state)
{
	struct vd_sprt_limits l = L(0.05, 0.25, 1e-2, 5e-2);
	struct mc fa, fr;

	(void)state;
	sim_rng = 20261207;
	fa = mc_arl(&l, 0.05, false, 4000);
	print_message("false alarm: one per %.1f +- %.1f samples (bound >= %.0f, Wald %.1f)\n", fa.mean, fa.se,
	              1 / 1e-2, vd_sprt_arl_open(&l, 0.05));
	assert_true(fa.mean - 3 * fa.se >= 1 / 1e-2);
	assert_true(fa.mean - 3 * fa.se >= vd_sprt_arl_open(&l, 0.05));
	fr = mc_arl(&l, 0.25, true, 4000);
	print_message("false resolution: one per %.1f +- %.1f samples (bound >= %.0f, Wald %.1f)\n", fr.mean, fr.se,
	              1 / 5e-2, vd_sprt_arl_resolve(&l, 0.25));
	assert_true(fr.mean - 3 * fr.se >= 1 / 5e-2);
	assert_true(fr.mean - 3 * fr.se >= vd_sprt_arl_resolve(&l, 0.25));
}

/* Delays, on tests shaped like the shipped ones (thresholds many steps
 * high): Wald's figures within 15% of what the tests do. */
static void test_monte_carlo_delays(void **state)
{
	static const struct {
		double p0, p1, p;
		bool resolve;
	} c[] = {
		{0.005, 0.10, 0.10, false}, /* heavy loss: detection at p1 */
		{0.005, 0.10, 0.20, false}, /* and at twice p1 */
		{0.005, 0.10, 0.001, true}, /* its resolution once fixed */
		{0.005, 0.03, 0.03, false}, /* light loss */
		{0.005, 0.03, 0.001, true},
		{0.10, 0.60, 0.60, false},  /* a round trip above a bound */
		{0.10, 0.60, 0.05, true},
		{0.50, 0.99, 0.99, false},  /* a silent host */
	};

	(void)state;
	sim_rng = 12;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct vd_sprt_limits l = L(c[i].p0, c[i].p1, 1e-7, 1e-4);
		struct mc m = mc_arl(&l, c[i].p, c[i].resolve, 2000);
		double w = c[i].resolve ? vd_sprt_arl_resolve(&l, c[i].p) : vd_sprt_arl_open(&l, c[i].p);

		print_message("%g vs %g at %g, %s: %.2f +- %.2f samples (Wald %.2f)\n", c[i].p0, c[i].p1, c[i].p,
		              c[i].resolve ? "resolution" : "detection", m.mean, m.se, w);
		assert_true(fabs(m.mean / w - 1) < 0.15);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_known_sequence),
		cmocka_unit_test(test_resolved),
		cmocka_unit_test(test_undecided),
		cmocka_unit_test(test_follow),
		cmocka_unit_test(test_follow_news),
		cmocka_unit_test(test_fresh),
		cmocka_unit_test(test_fresh_error_rate),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_wald),
		cmocka_unit_test(test_monte_carlo_errors),
		cmocka_unit_test(test_monte_carlo_delays),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
