/* Sequential tests (see vpndoctor/sprt.h): Bernoulli log-likelihood ratios
 * run as a two-sided CUSUM with hysteresis, and the approximations that
 * say what a test costs in samples. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "vpndoctor/sprt.h"

int vd_sprt_limits(const struct vd_sprt_spec *spec, struct vd_sprt_limits *ret)
{
	const struct vd_sprt_spec *s = spec;

	if (!s || !ret || !(s->p0 > 0) || !(s->p1 > s->p0) || !(s->p1 < 1) || !(s->alpha > 0) ||
	    !(s->beta >= s->alpha) || !(s->beta < 1))
		return -EINVAL;
	ret->up = log(s->p1 / s->p0);
	ret->down = log((1 - s->p1) / (1 - s->p0));
	ret->upper = -log(s->alpha);
	ret->lower = ret->upper + log(s->beta);
	ret->quiet = -log(VD_SPRT_QUIET_P) / -log1p(-s->p0);
	return 0;
}

void vd_sprt_start(struct vd_sprt *t)
{
	memset(t, 0, sizeof(*t));
	t->decision = VD_SPRT_UNDECIDED;
	t->since_quiet = UINT64_MAX;
}

enum vd_sprt_decision vd_sprt_feed(struct vd_sprt *t, const struct vd_sprt_limits *l, bool event)
{
	double s = t->s + (event ? l->up : l->down);

	if (s < 0)
		s = 0;
	if (s > l->upper)
		s = l->upper;
	t->s = s;
	t->samples++;
	if (t->since_quiet < UINT64_MAX)
		t->since_quiet++;
	if (event) {
		if ((double)t->quiet >= l->quiet)
			t->since_quiet = 0;
		t->news = (double)t->since_quiet < l->quiet;
		t->quiet = 0;
	} else {
		t->quiet++;
	}
	if (s > 0) {
		t->evidence_samples++;
		t->evidence_events += event;
	} else {
		t->evidence_samples = t->evidence_events = 0;
	}
	if (event || s <= 0)
		t->resolved = false;
	if (s >= l->upper) {
		t->decision = VD_SPRT_H1;
	} else if (s <= l->lower && t->decision != VD_SPRT_H0) {
		t->resolved = t->decision == VD_SPRT_H1 && s > 0;
		t->decision = VD_SPRT_H0;
	}
	/* undecided above lower: the first samples were events, not enough yet */
	/* at h1 the evidence of health starts again; below it, it is the
	 * plain sum of the steps since, no floor: a clean verdict has to
	 * outweigh every event since the test last stood at h1 or restarted */
	if (t->decision == VD_SPRT_H1) {
		t->fresh = 0;
		t->fresh_llr = t->fresh_llr_min = 0;
	} else {
		t->fresh++;
		t->fresh_llr += event ? l->up : l->down;
		if (t->fresh_llr < t->fresh_llr_min)
			t->fresh_llr_min = t->fresh_llr;
	}
	return t->decision;
}

enum vd_sprt_pace vd_sprt_pace(const struct vd_sprt *t, const struct vd_sprt_limits *l)
{
	switch (t->decision) {
	case VD_SPRT_H0:
		if (t->s <= 0)
			return VD_SPRT_SLOW;
		return t->resolved ? VD_SPRT_WATCH : VD_SPRT_FAST;
	case VD_SPRT_H1:
		return t->s < l->upper - l->up ? VD_SPRT_FAST : VD_SPRT_WATCH;
	case VD_SPRT_UNDECIDED:
	default:
		return VD_SPRT_FAST;
	}
}

void vd_sprt_follow(struct vd_sprt *t, const struct vd_sprt_limits *l, enum vd_sprt_decision leader_before,
                    enum vd_sprt_decision leader_now, bool event)
{
	if (leader_now == VD_SPRT_H1)
		return;
	if (leader_before == VD_SPRT_H1) {
		uint64_t n = t->samples;

		vd_sprt_start(t);
		t->decision = VD_SPRT_H0;
		t->samples = n;
	}
	vd_sprt_feed(t, l, event);
}

enum vd_sprt_pace vd_sprt_follower_pace(const struct vd_sprt *t, const struct vd_sprt_limits *l,
                                        enum vd_sprt_decision leader)
{
	/* frozen behind its leader's h1, even at h1 itself: its evidence
	 * cannot move, and a pace of its own would hold the probe there (a
	 * follower receding from h1 when its leader opens would keep it FAST,
	 * out of no budget, for all of the leader's fault) */
	if (leader == VD_SPRT_H1)
		return VD_SPRT_SLOW;
	/* fed: as a leader's (FAST off the floor at h0, WATCH just resolved;
	 * at h1 receding or watching); undecided (no sample yet) it leaves
	 * the first samples' pace to its leader */
	if (t->decision == VD_SPRT_UNDECIDED)
		return VD_SPRT_SLOW;
	/* one event's evidence is the leader's to settle (30 samples where
	 * this one's decay takes 70); a second within this one's memory,
	 * which a light fault brings soon and a healthy path seldom, makes
	 * it pending (a healthy 0.5% path: 0.63 samples a second against
	 * 0.78 with the fast pace from every first event); so does a first
	 * one after a quiet stretch, rare on a path that loses now and then */
	if (t->decision == VD_SPRT_H0 && !t->resolved && t->s <= l->up && !t->news)
		return VD_SPRT_SLOW;
	return vd_sprt_pace(t, l);
}

const char *vd_sprt_decision_name(enum vd_sprt_decision d)
{
	switch (d) {
	case VD_SPRT_H0:
		return "h0";
	case VD_SPRT_H1:
		return "h1";
	case VD_SPRT_UNDECIDED:
	default:
		return "undecided";
	}
}

int vd_sprt_decision_parse(const char *s, enum vd_sprt_decision *ret)
{
	static const enum vd_sprt_decision all[] = {VD_SPRT_UNDECIDED, VD_SPRT_H0, VD_SPRT_H1};

	for (size_t i = 0; s && i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, vd_sprt_decision_name(all[i])) == 0) {
			*ret = all[i];
			return 0;
		}
	}
	return -EINVAL;
}

double vd_sprt_drift(const struct vd_sprt_limits *l, double p)
{
	return p * l->up + (1 - p) * l->down;
}

/* The nonzero root r of p e^(r up) + (1-p) e^(r down) = 1 (the function is
 * convex, 0 at 0, with slope drift there: the root lies on the side the
 * drift points away from). 0 when the drift is 0. */
static double wald_root(const struct vd_sprt_limits *l, double p)
{
	double mu = vd_sprt_drift(l, p), lo, hi, step;

	if (fabs(mu) < 1e-12)
		return 0;
	step = mu < 0 ? 1 : -1;
	lo = 0;
	hi = step;
	for (int i = 0; i < 64; i++) {
		if (p * exp(hi * l->up) + (1 - p) * exp(hi * l->down) - 1 > 0)
			break;
		lo = hi;
		hi *= 2;
	}
	/* f(lo) <= 0 < f(hi) with lo between 0 and hi (lo may be 0 itself,
	 * where f is 0 but the root is not: bisection keeps away from it) */
	for (int i = 0; i < 200; i++) {
		double m = (lo + hi) / 2;
		if (p * exp(m * l->up) + (1 - p) * exp(m * l->down) - 1 > 0)
			hi = m;
		else
			lo = m;
	}
	return (lo + hi) / 2;
}

/* Wald's approximation (Basseville and Nikiforov 1993, 5.2.44) for a CUSUM
 * of threshold h whose steps X have mean mu and Wald root r (E[e^(r X)] =
 * 1): ARL = (e^(r h) - r h - 1) / (-r mu); h^2 / variance when mu is 0. */
static double cusum_arl(double h, double mu, double r, double var)
{
	if (fabs(r) < 1e-9 || fabs(mu) < 1e-12)
		return var > 0 ? h * h / var : INFINITY;
	return (exp(r * h) - r * h - 1) / (-r * mu);
}

static double variance(const struct vd_sprt_limits *l, double p)
{
	return p * (1 - p) * (l->up - l->down) * (l->up - l->down);
}

double vd_sprt_arl_open(const struct vd_sprt_limits *l, double p)
{
	if (!(p >= 0 && p <= 1))
		return -1;
	if (p == 0)
		return INFINITY;
	if (p == 1)
		return ceil(l->upper / l->up);
	return cusum_arl(l->upper, vd_sprt_drift(l, p), wald_root(l, p), variance(l, p));
}

double vd_sprt_arl_resolve(const struct vd_sprt_limits *l, double p)
{
	if (!(p >= 0 && p <= 1))
		return -1;
	if (p == 1)
		return INFINITY;
	if (p == 0)
		return ceil((l->upper - l->lower) / -l->down);
	/* the mirrored CUSUM's steps are -Z: mean -mu, root -r */
	return cusum_arl(l->upper - l->lower, -vd_sprt_drift(l, p), -wald_root(l, p), variance(l, p));
}

double vd_sprt_false_alarms(const struct vd_sprt_spec *spec, double samples_per_s, double days)
{
	if (!spec || !(samples_per_s >= 0) || !(days >= 0))
		return -1;
	return spec->alpha * samples_per_s * days * 86400.0;
}
