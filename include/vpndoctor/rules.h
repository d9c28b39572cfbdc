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

/* Worst severity in a findings array (suppressed ones ignored). */
enum vd_severity vd_findings_worst(const struct cJSON *findings);

/* Names of the facts sections a cause's rule reads ("openvpn", "host.clock"),
 * NULL-ended; for `explain` and for the daemon to know which probes matter to
 * which cause. */
const char *const *vd_rule_inputs(const char *cause_id);

#endif
