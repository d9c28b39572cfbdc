/* The rules: a pure function from a facts snapshot to findings. One rule per
 * cause, table-driven; a rule that lacks the facts it needs yields nothing.
 * Suppression follows the catalogue's suppressed_by lists. The facts are
 * defined in vpndoctor/facts.def (docs/facts.md is made from it). */
#ifndef VPNDOCTOR_RULES_H
#define VPNDOCTOR_RULES_H

#include "vpndoctor/cause.h"

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

#endif
