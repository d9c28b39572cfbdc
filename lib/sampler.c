/* The banks of tests a sampling probe keeps per destination, and its pacer
 * (see vpndoctor/sampler.h). */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "vpndoctor/facts.h"
#include "vpndoctor/sampler.h"

int vd_bank_init(struct vd_bank *b, const char *section, const char *const *keys)
{
	struct vd_bank nb;

	memset(&nb, 0, sizeof(nb));
	nb.prev_rtt_ms = NAN;
	for (size_t i = 0; keys && keys[i]; i++) {
		const struct vd_sprt_spec *s = vd_test_find(section, keys[i]);

		if (!s || nb.n == VD_BANK_MAX || vd_sprt_limits(s, &nb.lim[nb.n]) < 0)
			return -EINVAL;
		nb.spec[nb.n] = s;
		nb.leader[nb.n] = -1;
		if (s->after) {
			for (size_t k = 0; k < nb.n; k++)
				if (strcmp(nb.spec[k]->key, s->after) == 0)
					nb.leader[nb.n] = (int)k;
			if (nb.leader[nb.n] < 0)
				return -EINVAL;
		}
		vd_sprt_start(&nb.t[nb.n]);
		nb.n++;
	}
	*b = nb;
	return 0;
}

void vd_bank_restart(struct vd_bank *b)
{
	for (size_t i = 0; i < b->n; i++)
		vd_sprt_start(&b->t[i]);
	b->prev_rtt_ms = NAN;
}

/* Whether this echo is a sample of test i, and its event. */
static bool sample_of(const struct vd_bank *b, size_t i, bool answered, double rtt, double baseline, bool *event)
{
	const struct vd_sprt_spec *s = b->spec[i];

	switch (s->event) {
	case VD_SPRT_EV_LOST:
		*event = !answered;
		return true;
	case VD_SPRT_EV_ABOVE:
		*event = rtt > s->bound_ms;
		return answered;
	case VD_SPRT_EV_EXCESS:
		*event = rtt - baseline > s->bound_ms;
		return answered && isfinite(baseline);
	case VD_SPRT_EV_STEP:
		*event = fabs(rtt - b->prev_rtt_ms) > s->bound_ms;
		return answered && isfinite(b->prev_rtt_ms);
	}
	return false;
}

void vd_bank_echo(struct vd_bank *b, bool answered, double rtt_ms, double baseline_ms)
{
	enum vd_sprt_decision before[VD_BANK_MAX];
	bool event;

	if (answered && !isfinite(rtt_ms))
		answered = false;
	for (size_t i = 0; i < b->n; i++)
		before[i] = b->t[i].decision;
	/* leaders come first in the bank, so a follower sees its leader's new
	 * decision */
	for (size_t i = 0; i < b->n; i++) {
		if (!sample_of(b, i, answered, rtt_ms, baseline_ms, &event))
			continue;
		if (b->leader[i] >= 0)
			vd_sprt_follow(&b->t[i], &b->lim[i], before[b->leader[i]], b->t[b->leader[i]].decision, event);
		else
			vd_sprt_feed(&b->t[i], &b->lim[i], event);
	}
	b->prev_rtt_ms = answered ? rtt_ms : NAN;
}

/* One test's pace: a follower's as vd_sprt_follower_pace says. A test of
 * round trips with no sample yet asks none: its samples are the answers
 * the loss tests' runs bring, and where none comes back (the gateway gone,
 * the path outside unmeasured for the excess test) it would ask a burst
 * at every run, out of the budget, for good. */
static enum vd_sprt_pace test_pace(const struct vd_bank *b, size_t i)
{
	if (b->spec[i]->event != VD_SPRT_EV_LOST && b->t[i].samples == 0)
		return VD_SPRT_SLOW;
	return b->leader[i] >= 0 ? vd_sprt_follower_pace(&b->t[i], &b->lim[i], b->t[b->leader[i]].decision) :
	                           vd_sprt_pace(&b->t[i], &b->lim[i]);
}

enum vd_sprt_pace vd_bank_pace(const struct vd_bank *b)
{
	enum vd_sprt_pace p = VD_SPRT_SLOW;

	for (size_t i = 0; i < b->n; i++) {
		enum vd_sprt_pace q = test_pace(b, i);

		if (q > p)
			p = q;
	}
	return p;
}

enum vd_sprt_pace vd_bank_pace_h1(const struct vd_bank *b)
{
	enum vd_sprt_pace p = VD_SPRT_SLOW;
	unsigned events = 0; /* 1 << enum vd_sprt_event of the tests at h1 */

	for (size_t i = 0; i < b->n; i++)
		if (b->t[i].decision == VD_SPRT_H1)
			events |= 1u << b->spec[i]->event;
	for (size_t i = 0; i < b->n; i++) {
		enum vd_sprt_pace q;

		if (!(events & (1u << b->spec[i]->event)))
			continue;
		q = test_pace(b, i);
		/* a test of the fault's kind still at h0 is settling the
		 * fault's own samples (the heavy loss test beside the light
		 * one at h1): as the fault's, at most FAST; one at h1 asks
		 * WATCH or FAST */
		if (q > p)
			p = q;
	}
	/* a test just resolved is watched out of no budget too: a burst the
	 * budget refuses falls back to its WATCH, not to a slow run */
	for (size_t i = 0; p < VD_SPRT_WATCH && i < b->n; i++)
		if (test_pace(b, i) == VD_SPRT_WATCH)
			p = VD_SPRT_WATCH;
	return p;
}

unsigned vd_bank_n_h1(const struct vd_bank *b)
{
	unsigned n = 0;

	for (size_t i = 0; i < b->n; i++)
		n += b->t[i].decision == VD_SPRT_H1;
	return n;
}

bool vd_bank_any_h1(const struct vd_bank *b)
{
	return vd_bank_n_h1(b) > 0;
}

const struct vd_sprt *vd_bank_test(const struct vd_bank *b, const char *key)
{
	for (size_t i = 0; key && i < b->n; i++)
		if (strcmp(b->spec[i]->key, key) == 0)
			return &b->t[i];
	return NULL;
}

/* Three decimals: the statistic and thresholds are shown, not computed on. */
static double r3(double v)
{
	return round(v * 1000) / 1000;
}

cJSON *vd_bank_json(const struct vd_bank *b)
{
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; o && i < b->n; i++) {
		const struct vd_sprt *t = &b->t[i];
		cJSON *x = cJSON_AddObjectToObject(o, b->spec[i]->key);

		if (!x || !cJSON_AddStringToObject(x, VDF_TEST_DECISION, vd_sprt_decision_name(t->decision)) ||
		    !cJSON_AddNumberToObject(x, VDF_TEST_STATISTIC, r3(t->s)) ||
		    !cJSON_AddNumberToObject(x, VDF_TEST_UPPER, r3(b->lim[i].upper)) ||
		    !cJSON_AddNumberToObject(x, VDF_TEST_LOWER, r3(b->lim[i].lower)) ||
		    !cJSON_AddNumberToObject(x, VDF_TEST_SAMPLES, (double)t->samples) ||
		    !cJSON_AddNumberToObject(x, VDF_TEST_EVIDENCE_SAMPLES, (double)t->evidence_samples) ||
		    !cJSON_AddNumberToObject(x, VDF_TEST_EVIDENCE_EVENTS, (double)t->evidence_events) ||
		    !cJSON_AddNumberToObject(x, VDF_TEST_FRESH_SAMPLES, (double)t->fresh) ||
		    !cJSON_AddNumberToObject(x, VDF_TEST_FRESH_EVIDENCE, t->fresh_llr_min) ||
		    !cJSON_AddBoolToObject(x, VDF_TEST_RESOLVED, t->resolved)) {
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

bool vd_tests_loss_h1(const cJSON *tests)
{
	static const char *const keys[] = {VDF_TESTS_LOSS_HEAVY, VDF_TESTS_LOSS_LIGHT};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(tests, keys[i]),
		                                                  VDF_TEST_DECISION);
		enum vd_sprt_decision dec;

		if (cJSON_IsString(d) && vd_sprt_decision_parse(d->valuestring, &dec) == 0 && dec == VD_SPRT_H1)
			return true;
	}
	return false;
}

bool vd_tests_loss_pending(const char *section, const cJSON *tests)
{
	static const char *const keys[] = {VDF_TESTS_LOSS_HEAVY, VDF_TESTS_LOSS_LIGHT};
	bool pending = false;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(tests, keys[i]);
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(t, VDF_TEST_DECISION);
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(t, VDF_TEST_STATISTIC);
		const cJSON *resolved = cJSON_GetObjectItemCaseSensitive(t, VDF_TEST_RESOLVED);
		const struct vd_sprt_spec *spec = vd_test_find(section, keys[i]);
		struct vd_sprt_limits l;
		enum vd_sprt_decision dec;

		if (!cJSON_IsString(d) || vd_sprt_decision_parse(d->valuestring, &dec) < 0)
			continue;
		if (dec == VD_SPRT_H1)
			return false; /* decided: the loss stands (a light test is frozen behind a heavy h1) */
		if (dec != VD_SPRT_H0 || !cJSON_IsNumber(s) || cJSON_IsTrue(resolved))
			continue;
		/* just resolved is decided, not pending: a ping probe's light
		 * test falls to its floor over 300 of its samples, hours at its
		 * rest, and would hold the path fast all along; so would a
		 * follower's single event (see the header) */
		if (spec && spec->after && vd_sprt_limits(spec, &l) == 0 ? s->valuedouble > l.up : s->valuedouble > 0)
			pending = true;
	}
	return pending;
}

void vd_pacer_init(struct vd_pacer *p, const struct vd_sampling *s, double now)
{
	p->s = s;
	/* a full budget: the first minutes of a fresh start are decided fast */
	p->tokens = s ? s->fast_per_hour : 0;
	p->refunds = p->tokens;
	p->at = now;
	p->episode = 0;
	p->was_n_h1 = 0;
	p->charged = 0;
}

void vd_pacer_sent(struct vd_pacer *p, unsigned sent)
{
	double back;

	if (sent >= p->charged)
		return;
	back = p->charged - sent;
	p->tokens += back;
	p->episode = p->episode > back ? p->episode - back : 0;
	p->charged = sent;
}

/* The budget's refill since the last plan, and an episode's refund when a
 * test has just reached h1 (see struct vd_pacer). */
static void pacer_update(struct vd_pacer *p, unsigned n_h1, double now)
{
	const struct vd_sampling *s = p->s;

	if (now > p->at) {
		p->tokens += (now - p->at) * s->fast_per_hour / 3600.0;
		p->refunds += (now - p->at) * s->fast_per_hour / 3600.0;
		if (p->refunds > s->fast_per_hour)
			p->refunds = s->fast_per_hour;
	}
	p->at = now;
	/* a test reaching h1, the first or one more beside a fault that
	 * holds */
	if (n_h1 > p->was_n_h1) {
		double back = p->episode < p->refunds ? p->episode : p->refunds;

		p->tokens += back;
		p->refunds -= back;
		p->episode = 0;
	}
	p->was_n_h1 = n_h1;
	if (p->tokens > s->fast_per_hour)
		p->tokens = s->fast_per_hour;
}

static enum vd_sprt_pace pacer_run(struct vd_pacer *p, enum vd_sprt_pace pace, enum vd_sprt_pace h1, double slow_s,
                                   unsigned *count, double *delay_s)
{
	const struct vd_sampling *s = p->s;

	if (!(slow_s > 0))
		slow_s = s->slow_s;
	*count = s->per_run;
	*delay_s = slow_s;
	switch (pace) {
	case VD_SPRT_FAST:
		/* a fault receding toward its resolution is sampled out of no
		 * budget: a healthy tunnel's false alarms are what it bounds;
		 * any other test's burst comes out of it, even beside a fault
		 * that holds */
		if (h1 != VD_SPRT_FAST) {
			if (p->tokens < s->burst)
				return pacer_run(p, h1 == VD_SPRT_WATCH ? VD_SPRT_WATCH : VD_SPRT_SLOW, VD_SPRT_SLOW, slow_s,
				                 count, delay_s);
			p->tokens -= s->burst;
			p->episode += s->burst;
			p->charged = s->burst;
		}
		*count = s->burst;
		*delay_s = s->burst_spacing_s;
		return VD_SPRT_FAST;
	case VD_SPRT_WATCH:
		*delay_s = s->watch_s < slow_s ? s->watch_s : slow_s;
		return VD_SPRT_WATCH;
	case VD_SPRT_SLOW:
	default:
		return VD_SPRT_SLOW;
	}
}

enum vd_sprt_pace vd_pacer_plan(struct vd_pacer *p, enum vd_sprt_pace pace, enum vd_sprt_pace h1, unsigned n_h1,
                                double slow_s, double now, unsigned *count, double *delay_s)
{
	return vd_pacer_plan_with(p, pace, h1, n_h1, false, slow_s, now, count, delay_s);
}

enum vd_sprt_pace vd_pacer_plan_with(struct vd_pacer *p, enum vd_sprt_pace own, enum vd_sprt_pace h1,
                                     unsigned n_h1, bool other_pending, double slow_s, double now, unsigned *count,
                                     double *delay_s)
{
	bool any_h1 = n_h1 > 0;

	pacer_update(p, n_h1, now);
	p->charged = 0;
	if (own == VD_SPRT_SLOW && !any_h1 && !other_pending)
		p->episode = 0; /* at rest: what it took was a healthy tunnel's */
	if (other_pending && own < VD_SPRT_FAST &&
	    pacer_run(p, VD_SPRT_FAST, VD_SPRT_SLOW, slow_s, count, delay_s) == VD_SPRT_FAST)
		return VD_SPRT_FAST;
	return pacer_run(p, own, h1, slow_s, count, delay_s);
}

double vd_tick_align(double now, double delay, double grid)
{
	double t;

	if (!(grid > 0) || !(delay >= grid) || !isfinite(now) || !isfinite(delay))
		return delay;
	t = round((now + delay) / grid) * grid;
	while (t <= now)
		t += grid;
	return t - now;
}
