/* What a sampling probe (path, ping, reflector) keeps per destination: the
 * sequential tests its echoes feed (vpndoctor/sprt.h, designed beside the
 * rules in lib/rules.c), and the pace of its next runs. Pure: the probe
 * sends and receives, tells its bank what came back, writes the bank's
 * facts, and asks its pacer when to run again and with how many echoes. */
#ifndef VPNDOCTOR_SAMPLER_H
#define VPNDOCTOR_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>

#include "vpndoctor/rules.h"
#include "vpndoctor/sprt.h"

struct cJSON;

#define VD_BANK_MAX 6

/* The tests of one destination. */
struct vd_bank {
	size_t n;
	const struct vd_sprt_spec *spec[VD_BANK_MAX];
	struct vd_sprt_limits lim[VD_BANK_MAX];
	struct vd_sprt t[VD_BANK_MAX];
	int leader[VD_BANK_MAX]; /* the index of the test it follows, or -1 */
	double prev_rtt_ms;      /* the last echo's round trip; NaN after a loss */
};

/* The tests of section with these keys (NULL-ended, in feeding order; a
 * follower after its leader), all fresh. 0, or -EINVAL for a key with no
 * test in that section, too many, or a follower before its leader. */
int vd_bank_init(struct vd_bank *b, const char *section, const char *const *keys);

/* Every test afresh (a new path: the laptop moved, the tunnel reconnected). */
void vd_bank_restart(struct vd_bank *b);

/* One echo: answered in rtt_ms, or lost. baseline_ms (NaN: unknown) is what
 * an excess test measures against (the path outside). A loss feeds the loss
 * tests; an answer the loss tests and the round-trip tests; two answers in
 * a row the step tests. */
void vd_bank_echo(struct vd_bank *b, bool answered, double rtt_ms, double baseline_ms);

/* The fastest pace any test asks for (a follower's: vd_sprt_follower_pace;
 * none from a round-trip test before its first sample). */
enum vd_sprt_pace vd_bank_pace(const struct vd_bank *b);
/* The fastest pace the fault's tests ask for: those that stand at h1 and
 * those fed the same kind of event (the heavy loss test, settling the
 * samples of a light loss fault at h1); at least VD_SPRT_WATCH when any
 * test asks that (one just resolved: watching costs no budget); else
 * VD_SPRT_SLOW. A follower frozen behind its leader's h1 asks none, its
 * leader does.
 * The pacer's h1: the fault's own FAST (receding toward its resolution,
 * or its samples settling) is out of no budget; the FAST of a test of
 * another kind beside it (a chance loss while a long round trip holds) is
 * not. */
enum vd_sprt_pace vd_bank_pace_h1(const struct vd_bank *b);
/* How many of its tests stand at h1. */
unsigned vd_bank_n_h1(const struct vd_bank *b);
/* A test stands at h1: something of this destination is open. */
bool vd_bank_any_h1(const struct vd_bank *b);
/* The state of the bank's test of that key, or NULL. */
const struct vd_sprt *vd_bank_test(const struct vd_bank *b, const char *key);

/* The facts' "tests" object (TESTS, of TEST) for the bank; NULL when out of
 * memory. */
struct cJSON *vd_bank_json(const struct vd_bank *b);

/* From such a "tests" object of section (another probe's, read from its
 * facts): its loss evidence is pending, a loss test (loss_heavy,
 * loss_light) off its floor at h0 (not just resolved) while none stands at
 * h1; a follower (the light test) only with more than one event's evidence,
 * as vd_sprt_follower_pace paces it: one inside loss left the light test
 * above its floor for some 40 samples, 40 minutes at the ping probe's
 * rest, and the path followed it at its fast pace all along (on a 0.5%
 * tunnel, 1.2 echoes a second outside in one 20-minute window of three).
 * A probe whose pace follows another probe's losses (the path's, the ping
 * probe's inside the tunnel) asks. */
bool vd_tests_loss_pending(const char *section, const struct cJSON *tests);
/* From such a "tests" object: a loss test stands at h1. */
bool vd_tests_loss_h1(const struct cJSON *tests);

/* A probe's pace over all its destinations, with the budget that bounds what
 * a healthy tunnel spends on pending tests (and with it the false alarms
 * vd_test_false_alarms states).
 *
 * What an episode (the samples taken from the budget since the probe's
 * tests last rested with nothing open) took comes back when one of its
 * tests reaches h1: those samples were a fault's, not a healthy tunnel's,
 * and a fault named must not leave the next one to the sentinel's pace (a
 * 3% loss takes about 540 samples: three such faults in an hour emptied
 * the budget, and the fourth was named in minutes); so does what was taken
 * since, when one more test reaches h1 beside a fault that holds (a loss
 * named while a long round trip holds: the bursts beside a fault come out
 * of the budget). On a healthy tunnel h1
 * is a false alarm, at most one in 30 days by design, so what comes back
 * there is at most one budget (1800 samples) in 30 days against the 2.6
 * million the false-alarm bound counts: the bound stands. An episode that
 * ends at rest (a chance loss settled) keeps its cost. At most one budget
 * comes back in an hour (refunds refill as the budget does): where one test
 * is truly at fault and flaps (a round trip near its bound), each of its
 * h1 would give back what the loss tests took too, and the bank's pace is
 * its fastest test's; uncapped, a simulated path with 35% of its round
 * trips over the bound fed its loss tests 10 samples a second (1.3 false
 * alarms a loss test in 30 days), capped 3.5. */
struct vd_pacer {
	const struct vd_sampling *s;
	double tokens;  /* pending samples left in the hour's budget */
	double refunds; /* what may still come back this hour */
	double at;      /* monotonic seconds of the last refill */
	double episode; /* taken from the budget since the tests last rested with nothing open */
	unsigned was_n_h1; /* the tests at h1 at the last plan */
	unsigned charged;  /* what the last plan took from the budget */
};

void vd_pacer_init(struct vd_pacer *p, const struct vd_sampling *s, double now);

/* The last plan's burst was cut to sent samples (a probe with a smaller
 * run of its own: the path's handshakes, five at most): what it took for
 * the ones not sent goes back to the budget. */
void vd_pacer_sent(struct vd_pacer *p, unsigned sent);

/* The next run: *count echoes to each destination (burst_spacing_s apart
 * when more than one), after *delay_s. pace is the fastest of its banks',
 * h1 the fastest their tests at h1 ask for (vd_bank_pace_h1; VD_SPRT_SLOW:
 * none stands at h1), n_h1 how many stand at h1 (vd_bank_n_h1, summed over
 * the banks); slow_s the Interval= of the probe's section (<= 0:
 * the default). A burst comes out of the budget unless a test at h1 asks
 * for it (a fault receding toward its resolution: h1 FAST): while one test
 * holds a fault (a long round trip at h1), the chance losses of another
 * are a healthy tunnel's, and the false alarms its budget bounds are its
 * own. With the budget spent the run is at WATCH when h1 says so (a test
 * at h1, or one just resolved), else a slow one. Returns the pace planned:
 * FAST for a burst, WATCH, or SLOW (also for a FAST the budget refused). */
enum vd_sprt_pace vd_pacer_plan(struct vd_pacer *p, enum vd_sprt_pace pace, enum vd_sprt_pace h1, unsigned n_h1,
                                double slow_s, double now, unsigned *count, double *delay_s);
/* The same for a probe whose pace also follows evidence not its own (the
 * path's follows the ping probe's loss tests inside the tunnel): while that
 * settles (other_pending) and its own tests ask for less than FAST, a burst
 * comes out of the budget even while one of its own tests stands at h1 (a
 * finding of its own that holds is no reason to spend without bound on
 * another probe's evidence, nor is the other's evidence its own fault's
 * end), and with the budget spent the run is at its own pace. */
enum vd_sprt_pace vd_pacer_plan_with(struct vd_pacer *p, enum vd_sprt_pace own, enum vd_sprt_pace h1,
                                     unsigned n_h1, bool other_pending, double slow_s, double now, unsigned *count,
                                     double *delay_s);

/* Wake-ups: the daemon's timers at rest fire together on a grid of
 * VD_TICK_GRID_S seconds of the monotonic clock, so that one wake-up serves
 * the path probe's sentinel, the openvpn probe's look at its management
 * socket, the counters' sample and every slower probe due about then. The
 * delay to arm for `delay` from `now` (monotonic seconds): delays shorter
 * than the grid as they are; longer ones moved to the nearest point of the
 * grid (at most half a grid earlier or later), never to now or before. */
#define VD_TICK_GRID_S 2.0
double vd_tick_align(double now, double delay, double grid);

#endif
