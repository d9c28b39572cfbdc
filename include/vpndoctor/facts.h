/* The facts snapshot as code: the key constants probes and rules use, the
 * definition's tables (from vpndoctor/facts.def) and a validator. */
#ifndef VPNDOCTOR_FACTS_H
#define VPNDOCTOR_FACTS_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

enum vd_fact_kind {
	VD_FK_NONE = 0,
	VD_FK_STRING,
	VD_FK_NUMBER,
	VD_FK_INT, /* a number without a fraction */
	VD_FK_BOOL,
	VD_FK_OBJECT,
	VD_FK_ARRAY,
	VD_FK_MAP, /* an object whose keys are data (DNS names), all of one kind */
};

enum vd_fact_presence {
	VD_FP_REQ = 0,     /* always there */
	VD_FP_OPT = 1,     /* may be absent */
	VD_FP_NULLABLE = 2,/* may be null */
	VD_FP_REQ_NULL = VD_FP_REQ | VD_FP_NULLABLE,
	VD_FP_OPT_NULL = VD_FP_OPT | VD_FP_NULLABLE,
};

enum vd_fact_object_id {
	VD_FO_NONE = -1,
#define VD_FACT_OBJECT(id, base, section, name, meaning) VD_FO_##id,
#define VD_FACT(object, id, key, kind, item, shape, presence, unit, values, meaning)
#include "vpndoctor/facts.def"
#undef VD_FACT
#undef VD_FACT_OBJECT
	VD_N_FACT_OBJECTS
};

enum vd_fact_id {
#define VD_FACT_OBJECT(id, base, section, name, meaning)
#define VD_FACT(object, id, key, kind, item, shape, presence, unit, values, meaning) VD_F_##object##_##id,
#include "vpndoctor/facts.def"
#undef VD_FACT
#undef VD_FACT_OBJECT
	VD_N_FACTS
};

/* The constants: VDF_OBJECT_KEY is the key (VDF_OPENVPN_STATE is "state"),
 * VDF_OBJ_OBJECT the object's name (VDF_OBJ_CLOCK is "host.clock"). */
#define VD_FACT_OBJECT(id, base, section, name, meaning) extern const char VDF_OBJ_##id[];
#define VD_FACT(object, id, key, kind, item, shape, presence, unit, values, meaning) \
	extern const char VDF_##object##_##id[];
#include "vpndoctor/facts.def"
#undef VD_FACT
#undef VD_FACT_OBJECT

struct vd_fact_object {
	const char *name;
	enum vd_fact_object_id base; /* its keys are this one's too */
	bool section;                /* a probe section: status and at as well */
	const char *meaning;
};

struct vd_fact {
	enum vd_fact_object_id object;
	const char *key;
	enum vd_fact_kind kind;
	enum vd_fact_kind item;        /* an ARRAY's or MAP's members */
	enum vd_fact_object_id shape;  /* an OBJECT's, or its members' */
	enum vd_fact_presence presence;
	const char *unit;              /* "" for none */
	const char *values;            /* "a|b|c", or "" for any string */
	const char *meaning;
};

extern const struct vd_fact_object vd_fact_objects[VD_N_FACT_OBJECTS];
extern const struct vd_fact vd_facts[VD_N_FACTS];

/* The key of object (or of its bases, or a section's status/at), or NULL. */
const struct vd_fact *vd_fact_find(enum vd_fact_object_id object, const char *key);
/* s is one of a "|"-separated list (values "" allows any string). */
bool vd_fact_value_allowed(const char *values, const char *s);

/* ---- validation ---- */

enum vd_fact_violation_kind {
	VD_FV_UNKNOWN_KEY, /* a key the definition does not have here */
	VD_FV_DUPLICATE,   /* a key twice in one object */
	VD_FV_WRONG_TYPE,  /* a value of another JSON type (or null where none may be) */
	VD_FV_BAD_VALUE,   /* a string not among the allowed values */
	VD_FV_MISSING,     /* a required key absent */
};

struct vd_fact_violation {
	enum vd_fact_violation_kind kind;
	char path[160];  /* "tunnels[0].ping.targets[1].sent" */
	char detail[96]; /* what was there, or what was wanted */
};

/* Checks a facts snapshot against the definition: the first max violations
 * go to v (may be NULL with max 0), *n gets how many there are in all.
 * Pure: nothing is logged or kept. Returns 0 (with *n == 0 the snapshot is
 * valid) or -EINVAL when facts or n is NULL. */
int vd_facts_validate(const struct cJSON *facts, struct vd_fact_violation *v, size_t max, size_t *n);

/* RFC 7386 JSON Merge Patch: patch applied to target, which it takes (NULL is
 * nothing); returns the result (target itself when both are objects), or NULL
 * when out of memory (target is then freed). Members keep their place; new
 * ones come last. The golden rule cases are patches over one base snapshot
 * (Debian's cJSON has no cJSON_Utils, whose cJSONUtils_MergePatch this is). */
struct cJSON *vd_facts_merge_patch(struct cJSON *target, const struct cJSON *patch);

/* "PATH: DETAIL" for people, into buf; returns buf. */
const char *vd_fact_violation_format(const struct vd_fact_violation *v, char *buf, size_t len);

#endif
