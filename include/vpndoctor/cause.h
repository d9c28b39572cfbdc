/* The cause catalogue: every cause of the SSL-VPN FAQ (and those beyond it)
 * as data. The rules, `vpndoctor causes`/`explain`, the daemon's journal entries
 * and the generated journal catalog all read this one table (lib/cause.c).
 * The texts are English, marked N_() for po/: a reader's language is applied
 * where they are shown (_() in the CLI and the notifier), never here. */
#ifndef VPNDOCTOR_CAUSE_H
#define VPNDOCTOR_CAUSE_H

#include <stdbool.h>
#include <stddef.h>

#include "vpndoctor/common.h"

struct cJSON;

/* The causes in catalogue order: vd_causes[VD_CAUSE_CLOCK_SKEW] is clock-skew. */
enum vd_cause_id {
#define VD_CAUSE(sym, id) VD_CAUSE_##sym,
#include "vpndoctor/causes.def"
#undef VD_CAUSE
	VD_N_CAUSES
};

#define VD_CAUSE_MAX_SYMPTOMS   4
#define VD_CAUSE_MAX_SUPPRESSED 16

struct vd_symptom {
	const char *id;       /* "connect-fails" */
	const char *question; /* the FAQ's question, in English (N_: translated where shown) */
};

struct vd_cause {
	const char *id;           /* stable id from CAUSES.md: "clock-skew" */
	const char *title;        /* one line: "Client and server clocks differ" */
	enum vd_severity severity;/* the catalogue's severity; a finding may be lower */
	const char *symptoms[VD_CAUSE_MAX_SYMPTOMS + 1];        /* symptom ids, NULL-ended */
	const char *suppressed_by[VD_CAUSE_MAX_SUPPRESSED + 1]; /* cause ids, NULL-ended */
	unsigned grace_s;         /* how long the condition must hold before it opens
	                           * (0 for the sampled causes: their rules decide
	                           * by sequential tests, vd_rule_tests) */
	const char *description;  /* what it means and why it breaks the VPN */
	const char *remedy;       /* what to do, faithful to the FAQ, with its numbers */
	const char *message_id;   /* 32 lowercase hex digits, from systemd-id128 new */
	bool beyond_faq;          /* udp-blocked, gateway-unreachable, mtu-blackhole, ... */
	unsigned settles;         /* VD_SETTLE_*: after which events it waits out the
	                           * settle window (the daemon's: a tunnel that
	                           * reconnects by itself shows it for a while) before
	                           * it may open; its grace period starts again then */
};

/* The events after which a cause settles (vd_cause.settles). */
enum {
	VD_SETTLE_RESUME = 1u << 0, /* the machine woke from sleep */
	VD_SETTLE_ROAM = 1u << 1,   /* the uplink changed: default route, address, link */
	VD_SETTLE_ANY = VD_SETTLE_RESUME | VD_SETTLE_ROAM,
};

extern const struct vd_cause vd_causes[];
extern const size_t vd_n_causes; /* VD_N_CAUSES */
extern const struct vd_symptom vd_symptoms[];
extern const size_t vd_n_symptoms;

const struct vd_cause *vd_cause_find(const char *id);
const struct vd_symptom *vd_symptom_find(const char *id);
/* Index of the cause in vd_causes (catalogue order), or -1. */
int vd_cause_index(const char *id);

/* {"id","title","severity","symptoms":[{"id","question"}],"suppressed_by":[],
 *  "grace_s","description","remedy","message_id","beyond_faq",
 *  "settles": ["resume", "roam"]} */
struct cJSON *vd_cause_to_json(const struct vd_cause *c);

#endif
