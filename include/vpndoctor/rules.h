/* The rules: a pure function from a facts snapshot to findings. One rule per
 * cause, table-driven; a rule that lacks the facts it needs yields nothing.
 * Suppression follows the catalogue's suppressed_by lists. The facts are
 * defined in vpndoctor/facts.def (docs/facts.md is made from it). */
#ifndef VPNDOCTOR_RULES_H
#define VPNDOCTOR_RULES_H

#include "vpndoctor/cause.h"
#include "vpndoctor/sprt.h"

struct cJSON;

/* facts: {"now": EPOCH, "host": {...}, "tunnels": [{"name": ..., ...}, ...]}.
 * Returns 0 and a JSON array of findings in *ret (tunnel order, then catalogue
 * order), or -EINVAL when facts is not an object with a tunnels array.
 * A finding: {"cause","severity","title","summary","evidence":{k:"v"},
 *             "remedy","symptoms":[ids],"tunnel"}.
 * Suppressed findings are dropped; with keep_suppressed they stay, with
 * "suppressed_by": "CAUSE" added (the daemon keeps them out of health). */
int vd_rules_run(const struct cJSON *facts, bool keep_suppressed, struct cJSON **ret);

/* The same, and what the facts could not decide: *ret_unchecked (may be
 * NULL) gets an object with an array per tunnel name (tunnel order), one entry
 * per cause whose rule lacked the facts it needs and did not fire:
 *   {"cause", "needs": [NEED...], "reason", "reason_message"}
 * reason is one English sentence, reason_message the same as a message
 * (vpndoctor/message.h). needs say what would let it be checked, from the
 * VD_NEED_ names below (the CLI translates them); none when only time will
 * (a probe that has not measured yet). */
int vd_rules_run_ex(const struct cJSON *facts, bool keep_suppressed, struct cJSON **ret_findings,
                    struct cJSON **ret_unchecked);

#define VD_NEED_CLIENT "a running client"
#define VD_NEED_CONNECTED "a connected tunnel"
#define VD_NEED_TARGETS "Targets="
#define VD_NEED_CLOUD "CloudFacts="
#define VD_NEED_REFLECTOR "Reflector="
#define VD_NEED_PROFILE "Config="
#define VD_NEED_NTP "NTPServers="
#define VD_NEED_CONNECTIVITY "[Connectivity] URL="

/* Worst severity in a findings array (suppressed ones ignored). */
enum vd_severity vd_findings_worst(const struct cJSON *findings);

/* Names of the facts sections a cause's rule reads ("openvpn", "host.clock"),
 * NULL-ended; for `explain` and for the daemon to know which probes matter to
 * which cause. */
const char *const *vd_rule_inputs(const char *cause_id);

/* ---- the sequential tests of the sampled causes ----------------------------
 * Each is designed beside the rule that reads it (lib/rules.c): its event,
 * hypotheses p0/p1 and error rates alpha/beta. The probe that samples feeds
 * it and publishes its state in its section's "tests" (facts.def: TEST);
 * the rules read only the decisions. */
enum vd_test_id {
	VD_TEST_PATH_LOSS_HEAVY,
	VD_TEST_PATH_LOSS_LIGHT,
	VD_TEST_PATH_RTT_LONG,
	VD_TEST_PATH_RTT_VERY_LONG,
	VD_TEST_PATH_JITTER,
	VD_TEST_INSIDE_LOSS_HEAVY,
	VD_TEST_INSIDE_LOSS_LIGHT,
	VD_TEST_INSIDE_EXCESS_DELAY,
	VD_TEST_INSIDE_SILENT,
	VD_TEST_REFLECTOR_ONE_WAY,
	VD_N_TESTS
};
extern const struct vd_sprt_spec vd_tests[VD_N_TESTS];

/* The test of that section and key ("ping", "silent"), or NULL. */
const struct vd_sprt_spec *vd_test_find(const char *section, const char *key);
/* The tests whose h1 a cause's rule opens on, NULL-ended; NULL for a cause
 * that samples nothing. */
const struct vd_sprt_spec *const *vd_rule_tests(const char *cause_id);
/* The test whose verdict of health a cause's rule also needs (udp-unreliable:
 * the path's light loss test, shown clean: vd_loss_clean_evidence), or
 * NULL. */
const struct vd_sprt_spec *vd_rule_clean_test(const char *cause_id);

/* How a probe samples for its tests; slow_s is the default of Interval= in
 * the probe's section of vpndoctor.conf. */
struct vd_sampling {
	const char *section;     /* "path", "ping", "reflector" */
	double slow_s;           /* between runs while every test rests (h0 at its floor) */
	double watch_s;          /* between runs while a test stands at h1 near its ceiling */
	unsigned per_run;        /* samples per destination in a run at rest */
	unsigned burst;          /* samples per destination in a run while a test is pending */
	double burst_spacing_s;  /* between them */
	unsigned fast_per_hour;  /* pending samples a healthy tunnel may take in an hour, at most */
	double deadline_s;       /* an echo not answered within this is lost */
};

/* NULL for a section that runs no test. */
const struct vd_sampling *vd_sampling_find(const char *section);
/* The host inside the tunnel whose echoes feed the loss and delay tests, in
 * the ping probe's section: the server end, else the first target with a
 * loss test (the ping probe's choice); NULL when none has one. The rules
 * read it, and the path probe's pace follows its loss tests. */
const struct cJSON *vd_ping_inside(const struct cJSON *ping);
/* A clean path (both loss tests at h0) is a verdict of its own: the light
 * test's log-likelihood ratio since it last started afresh or stood at h1
 * (facts: fresh_evidence) must have come down to this, ln beta (negative):
 * a light test just restarted when the heavy one resolved, or a new path,
 * has not shown it, and udp-unreliable's "clean outside" waits. */
double vd_loss_clean_evidence(void);
/* That bound's beta: the chance a path at 3% or more is shown clean after a
 * fresh start (at most). */
double vd_loss_clean_beta(void);
/* How many samples a path losing p (per sample) takes on average to show
 * it: ln beta over the light test's drift at p (362 at 0, 563 at its p0);
 * INFINITY where it does not (at or above the indifference point, 1.4%). */
double vd_loss_clean_samples_at(double p);
/* How many samples since the light test's fresh start the path probe takes
 * (out of its budget) to show it while the inside stands at h1: twice what
 * a path losing 1% takes on average (2534); a lossier one is not clean. */
double vd_loss_clean_samples(void);
/* The most samples per second a test of s takes while nothing is open: the
 * runs at rest, every slow_s, and the pending budget (the false alarms of
 * its tests scale with it). */
double vd_sampling_max_rate(const struct vd_sampling *s, double slow_s);
/* Expected false alarms of the test in `days` at the section's default
 * sampling, from Lorden's bound (vd_sprt_false_alarms); -1 when unknown. */
double vd_test_false_alarms(const struct vd_sprt_spec *t, double days);

/* Adds to a catalogue entry (vd_cause_to_json) what its tests are, when its
 * cause samples: "tests": [{"test" ("path.loss_heavy"), "event", "bound_ms"
 * (a bound's test), "p0", "p1", "alpha", "beta", "upper", "lower",
 * "follows" (when it does), "max_samples_per_s", "false_alarms_per_30_days",
 * "samples_to_open" (at p1), "samples_to_resolve" (at p0; both Wald's)}],
 * and "false_alarms_per_30_days" for them all. 0, or -ENOMEM. */
int vd_rule_tests_add_json(const char *cause_id, struct cJSON *entry);

#endif
