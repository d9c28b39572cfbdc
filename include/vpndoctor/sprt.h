/* Sequential tests for the sampled causes: each sample (an echo lost or
 * answered, a round trip above a bound or not) moves a log-likelihood ratio,
 * and a cause opens when that evidence reaches an error rate stated in
 * advance, not after a fixed wait. Pure: no I/O, no clock, no globals.
 *
 * The test (Wald 1945, run as Page's CUSUM for continuous monitoring): H0
 * says the event has probability p0 per sample, H1 says p1 > p0. A sample
 * adds ln(p1/p0) when the event happens and ln((1-p1)/(1-p0)) < 0 when it
 * does not. The statistic S lives in [0, upper]:
 *
 *   - S starts at 0 (the floor: no evidence of a fault) and the decision is
 *     "undecided" until the first sample;
 *   - S >= upper: decision h1 (the cause opens), S is held at upper;
 *   - S <= lower after h1: decision h0 (the cause resolves);
 *   - S is held at 0 from below: old evidence of health does not pile up,
 *     so a fault that starts after a long healthy stretch is seen as soon
 *     as if the test had just begun (Page's reflecting barrier).
 *
 * upper = ln(1/alpha), lower = upper - ln(1/beta). In h0 the test is a
 * CUSUM of threshold upper, so a healthy stream at p0 waits at least
 * 1/alpha samples on average before a false alarm (Lorden 1971: ARL0 >=
 * e^h); in h1 the mirrored CUSUM of threshold upper - lower waits at least
 * 1/beta samples at p1 before a false resolution. alpha and beta are
 * therefore per-sample bounds of the monitoring, not the error
 * probabilities of one fixed test; alpha <= beta, since a false resolution
 * during a fault is corrected by the next detection and a false alarm on a
 * healthy tunnel is not. */
#ifndef VPNDOCTOR_SPRT_H
#define VPNDOCTOR_SPRT_H

#include <stdbool.h>
#include <stdint.h>

enum vd_sprt_decision {
	VD_SPRT_UNDECIDED = 0, /* no sample yet */
	VD_SPRT_H0,            /* the healthy hypothesis stands */
	VD_SPRT_H1,            /* the fault's hypothesis stands: the cause is open */
};

/* What one sample's event is. */
enum vd_sprt_event {
	VD_SPRT_EV_LOST,   /* an echo is not answered (every echo is a sample) */
	VD_SPRT_EV_ABOVE,  /* a round trip exceeds bound_ms (every answered echo) */
	VD_SPRT_EV_EXCESS, /* a round trip exceeds a baseline (the path outside) by bound_ms */
	VD_SPRT_EV_STEP,   /* two successive round trips differ by more than bound_ms */
};

/* A test's design, a constant beside the rule that reads it. */
struct vd_sprt_spec {
	const char *section; /* the facts section whose echoes it is fed: "path", "ping", "reflector" */
	const char *key;     /* its key under that section's "tests": "loss_heavy" */
	enum vd_sprt_event event;
	double bound_ms;     /* all but VD_SPRT_EV_LOST: the bound */
	const char *meaning; /* the event in words, for `explain`: "an echo to the gateway is lost" */
	double p0, p1;       /* P(event) per sample under H0 and under H1; 0 < p0 < p1 < 1 */
	double alpha, beta;  /* per-sample false alarm and false resolution bounds; 0 < alpha <= beta < 1 */
	const char *after;   /* NULL, or the key of the test it follows (vd_sprt_follow) */
};

/* The numbers a running test needs, from its spec. */
struct vd_sprt_limits {
	double up;     /* ln(p1/p0): an event's step, > 0 */
	double down;   /* ln((1-p1)/(1-p0)): a non-event's step, < 0 */
	double upper;  /* ln(1/alpha): opens at or above */
	double lower;  /* upper - ln(1/beta): resolves at or below, >= 0 */
	double quiet;  /* samples without an event that a stream at p0 outlasts at most
	                * VD_SPRT_QUIET_P of the time: ln(1/VD_SPRT_QUIET_P) / -ln(1 - p0) */
};

/* What makes an event after a quiet stretch news (vd_sprt_follower_pace):
 * a stream at p0 goes that long without one at most this often. */
#define VD_SPRT_QUIET_P 0.05

/* A running test: plain data, copied and reset by value. */
struct vd_sprt {
	double s;                        /* the statistic, in [0, upper] */
	enum vd_sprt_decision decision;
	uint64_t samples;                /* since it started */
	uint64_t evidence_samples;       /* since s last stood at 0 (the samples that moved it) */
	uint64_t evidence_events;        /* how many of those were events */
	bool resolved;                   /* resolved from h1, no event since, the statistic not yet
	                                  * back at 0: decided, watched (vd_sprt_pace) */
	uint64_t quiet;                  /* samples since the last event (or the start) */
	uint64_t since_quiet;            /* samples since an event ended a quiet stretch
	                                  * (vd_sprt_limits.quiet), or UINT64_MAX */
	bool news;                       /* the last event came within that many samples of one */
	uint64_t fresh;                  /* samples since it started afresh (vd_sprt_start, a
	                                  * follower's restart) or last stood at h1 */
	double fresh_llr;                /* the log-likelihood ratio summed over those, unbounded */
	double fresh_llr_min;            /* the least it has been since: at or below ln(beta) it
	                                  * has shown the rate below p1, wrongly (a rate at or
	                                  * above p1) with probability at most beta per fresh
	                                  * start (Wald's SPRT, Ville's inequality) */
};

/* 0, or -EINVAL for a spec out of its ranges (then ret is untouched). */
int vd_sprt_limits(const struct vd_sprt_spec *spec, struct vd_sprt_limits *ret);

/* A fresh test: undecided, at the floor. */
void vd_sprt_start(struct vd_sprt *t);

/* One sample; returns the decision after it. */
enum vd_sprt_decision vd_sprt_feed(struct vd_sprt *t, const struct vd_sprt_limits *l, bool event);

/* How fast a probe should sample for this test:
 *   FAST  no sample yet, or the evidence is off its resting place in h0
 *         (above the floor): a few more samples settle it either way;
 *   WATCH h0 just resolved (t->resolved) and no event since: decided,
 *         and a light test's evidence falls from lower to the floor over
 *         some 300 samples, 15 s of the fast phase and a sixth of the
 *         path's hourly budget after every fault; watched at the moderate
 *         rate (out of no budget), so that a fault that comes back soon
 *         shows its first event soon; that event ends it, and the pace is
 *         FAST again;
 *   WATCH h1 and the evidence near the ceiling: the fault holds, and is
 *         watched at a moderate rate rather than the fastest;
 *   FAST  h1 and the evidence more than one event's step below the
 *         ceiling: it is receding, the resolution may be near;
 *   SLOW  h0 at the floor: nothing to settle. */
enum vd_sprt_pace {
	VD_SPRT_SLOW = 0,
	VD_SPRT_WATCH,
	VD_SPRT_FAST,
};
enum vd_sprt_pace vd_sprt_pace(const struct vd_sprt *t, const struct vd_sprt_limits *l);

/* A test that follows another (spec->after: a test of smaller effect on the
 * same samples, a light loss behind a heavy one): fed only while its leader
 * does not stand at h1 (the leader already explains the samples), and
 * started afresh, h0 at its floor, when the leader resolves (so the end of
 * a heavy fault is not held up by the many samples a light test needs to
 * resolve; a light fault that remains is found again). Call after feeding
 * the leader the same sample, with the leader's decision before and after. */
void vd_sprt_follow(struct vd_sprt *t, const struct vd_sprt_limits *l, enum vd_sprt_decision leader_before,
                    enum vd_sprt_decision leader_now, bool event);
/* A follower's pace, given its leader's decision now: none (SLOW) while
 * it is frozen behind its leader's h1, whatever its own decision: it
 * leaves the pace to the leader; none before its first sample, nor while
 * its evidence is one event's or less (the leader settles that) unless
 * that event is news (t->news): it ended a quiet stretch of l->quiet
 * samples or more, or came within l->quiet samples of one that did; else its
 * own, as a leader's (FAST off the floor at h0, WATCH just resolved). A
 * light test's evidence decays slowly (70 samples after one event at 3%
 * against 0.5%, where the heavy test's takes 30), and it is that evidence
 * which a light fault builds on: a probe that went back to rest with the
 * heavy test whatever the light one held would feed it at the sentinel's
 * pace, minutes for 3% instead of about 540 samples at the fast pace.
 *
 * One event: on a path that loses now and then (0.5%: one in 200) it is
 * the path's habit, and settling every one at the fast pace would cost
 * 70 samples each (0.15 samples a second more on a 0.5% path, 0.5 KB a
 * minute); after a long quiet stretch (600 samples at 0.5%: 20 minutes
 * of the sentinel, which a 0.5% path shows one time in 20) it is news,
 * the onset of a fault as likely as not, and waiting for a second event
 * at the sentinel's pace is most of the time a 3% fault takes to name
 * (half of the faults from a clean rest). The pending budget bounds what
 * either costs a healthy tunnel. */
enum vd_sprt_pace vd_sprt_follower_pace(const struct vd_sprt *t, const struct vd_sprt_limits *l,
                                        enum vd_sprt_decision leader);

/* "undecided", "h0", "h1"; parse returns 0 or -EINVAL. */
const char *vd_sprt_decision_name(enum vd_sprt_decision d);
int vd_sprt_decision_parse(const char *s, enum vd_sprt_decision *ret);

/* Kullback-Leibler divergence per sample of Bernoulli(p) from the test's
 * other hypothesis: the mean step of S when the event's probability is p
 * (negative below the test's indifference point). */
double vd_sprt_drift(const struct vd_sprt_limits *l, double p);

/* Wald's approximations (ignoring the overshoot of the last step) for the
 * monitoring test, when the event's probability is p: the average samples
 * from the floor to an alarm (at p0: the false alarm's ARL; at p1: the
 * detection's delay), and from the ceiling to a resolution. With r the
 * nonzero root of E[e^(r Z)] = 1 and mu = E[Z] for the steps Z of the
 * CUSUM, ARL = (e^(r h) - r h - 1) / (-r mu) (Basseville and Nikiforov
 * 1993, eq. 5.2.44). p = 0 or 1 give the exact count (or INFINITY); -1
 * when p is outside [0, 1]. */
double vd_sprt_arl_open(const struct vd_sprt_limits *l, double p);
double vd_sprt_arl_resolve(const struct vd_sprt_limits *l, double p);

/* Expected false alarms of one test in `days` at `samples_per_s` on a
 * healthy tunnel (p <= p0), from Lorden's bound: at most one per 1/alpha
 * samples. */
double vd_sprt_false_alarms(const struct vd_sprt_spec *spec, double samples_per_s, double days);

#endif
