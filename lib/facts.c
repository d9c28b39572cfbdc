/* The facts definition (vpndoctor/facts.def) as constants and tables, and the
 * validator that holds a snapshot against it: the golden cases before the
 * rules read them, and (VD_FACTS_VALIDATE) every snapshot the daemon builds
 * under test. */
#include <errno.h>
#include <math.h> /* isfinite: a macro, no libm */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "vpndoctor/common.h"
#include "vpndoctor/facts.h"

#define VD_FACT_OBJECT(id, base, section, name, meaning) const char VDF_OBJ_##id[] = name;
#define VD_FACT(object, id, key, kind, item, shape, presence, unit, values, meaning) \
	const char VDF_##object##_##id[] = key;
#include "vpndoctor/facts.def"
#undef VD_FACT
#undef VD_FACT_OBJECT

const struct vd_fact_object vd_fact_objects[VD_N_FACT_OBJECTS] = {
#define VD_FACT_OBJECT(id, base_, section_, name_, meaning_) \
	[VD_FO_##id] = {.name = VDF_OBJ_##id, .base = VD_FO_##base_, .section = section_, .meaning = meaning_},
#define VD_FACT(object, id, key, kind, item, shape, presence, unit, values, meaning)
#include "vpndoctor/facts.def"
#undef VD_FACT
#undef VD_FACT_OBJECT
};

const struct vd_fact vd_facts[VD_N_FACTS] = {
#define VD_FACT_OBJECT(id, base, section, name, meaning)
#define VD_FACT(object_, id, key_, kind_, item_, shape_, presence_, unit_, values_, meaning_) \
	[VD_F_##object_##_##id] = {.object = VD_FO_##object_, .key = VDF_##object_##_##id, .kind = VD_FK_##kind_,    \
	                           .item = VD_FK_##item_, .shape = VD_FO_##shape_, .presence = VD_FP_##presence_, \
	                           .unit = unit_, .values = values_, .meaning = meaning_},
#include "vpndoctor/facts.def"
#undef VD_FACT
#undef VD_FACT_OBJECT
};

/* The definition's own consistency, as far as the compiler can see it. */
#define VD_FACT_OBJECT(id, base, section, name, meaning)
#define VD_FACT(object, id, key, kind, item, shape, presence, unit, values, meaning)                        \
	_Static_assert((VD_FK_##kind == VD_FK_ARRAY || VD_FK_##kind == VD_FK_MAP) == (VD_FK_##item != VD_FK_NONE), \
	               #object "." key ": an ARRAY or MAP says what its members are, nothing else does");        \
	_Static_assert((VD_FK_##kind == VD_FK_OBJECT || VD_FK_##item == VD_FK_OBJECT) == (VD_FO_##shape != VD_FO_NONE), \
	               #object "." key ": an OBJECT (or members that are) names its shape, nothing else does");  \
	_Static_assert(VD_FK_##item != VD_FK_ARRAY && VD_FK_##item != VD_FK_MAP, \
	               #object "." key ": no arrays of arrays");
#include "vpndoctor/facts.def"
#undef VD_FACT
#undef VD_FACT_OBJECT

const struct vd_fact *vd_fact_find(enum vd_fact_object_id object, const char *key)
{
	enum vd_fact_object_id o = object;
	int depth = 0;

	if (!key || object < 0 || object >= VD_N_FACT_OBJECTS)
		return NULL;
	/* the object, its bases, then a section's status and at */
	while (o != VD_FO_NONE && depth++ < VD_N_FACT_OBJECTS) {
		for (size_t i = 0; i < VD_N_FACTS; i++)
			if (vd_facts[i].object == o && strcmp(vd_facts[i].key, key) == 0)
				return &vd_facts[i];
		o = vd_fact_objects[o].base;
	}
	if (vd_fact_objects[object].section)
		return vd_fact_find(VD_FO_SECTION, key);
	return NULL;
}

bool vd_fact_value_allowed(const char *values, const char *s)
{
	size_t len;

	if (!values || !*values)
		return true;
	if (!s)
		return false;
	len = strlen(s);
	for (const char *p = values;;) {
		const char *bar = strchr(p, '|');
		size_t l = bar ? (size_t)(bar - p) : strlen(p);
		if (l == len && memcmp(p, s, len) == 0)
			return true;
		if (!bar)
			return false;
		p = bar + 1;
	}
}

/* ---- validation ---- */

struct vctx {
	struct vd_fact_violation *v;
	size_t max, n;
};

__attribute__((format(printf, 4, 5)))
static void violation(struct vctx *c, enum vd_fact_violation_kind kind, const char *path, const char *fmt, ...)
{
	struct vd_fact_violation *x;
	va_list ap;

	if (c->n++ >= c->max)
		return;
	x = &c->v[c->n - 1];
	x->kind = kind;
	snprintf(x->path, sizeof(x->path), "%s", path);
	va_start(ap, fmt);
	vsnprintf(x->detail, sizeof(x->detail), fmt, ap);
	va_end(ap);
}

static const char *json_type(const cJSON *v)
{
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	return "not JSON";
}

static const char *kind_name(enum vd_fact_kind k)
{
	switch (k) {
	case VD_FK_STRING:
		return "a string";
	case VD_FK_NUMBER:
		return "a number";
	case VD_FK_INT:
		return "an integer";
	case VD_FK_BOOL:
		return "a boolean";
	case VD_FK_OBJECT:
	case VD_FK_MAP:
		return "an object";
	case VD_FK_ARRAY:
		return "an array";
	case VD_FK_NONE:
		break;
	}
	return "nothing";
}

static void check_object(struct vctx *c, const cJSON *o, enum vd_fact_object_id shape, const char *path);

/* One value against a kind; path names it. */
static void check_value(struct vctx *c, const cJSON *v, enum vd_fact_kind kind, enum vd_fact_kind item,
                        enum vd_fact_object_id shape, const char *values, const char *path)
{
	char sub[sizeof(((struct vd_fact_violation *)0)->path)];
	const cJSON *it;
	bool ok;
	size_t i = 0;

	switch (kind) {
	case VD_FK_STRING:
		ok = cJSON_IsString(v);
		break;
	case VD_FK_NUMBER:
		ok = cJSON_IsNumber(v) && isfinite(v->valuedouble);
		break;
	case VD_FK_INT:
		/* within a double's exact integers */
		ok = cJSON_IsNumber(v) && v->valuedouble >= -9007199254740992.0 && v->valuedouble <= 9007199254740992.0 &&
		     (double)(int64_t)v->valuedouble == v->valuedouble;
		break;
	case VD_FK_BOOL:
		ok = cJSON_IsBool(v);
		break;
	case VD_FK_OBJECT:
	case VD_FK_MAP:
		ok = cJSON_IsObject(v);
		break;
	case VD_FK_ARRAY:
		ok = cJSON_IsArray(v);
		break;
	default:
		ok = false;
		break;
	}
	if (!ok) {
		if (kind == VD_FK_INT && cJSON_IsNumber(v))
			violation(c, VD_FV_WRONG_TYPE, path, "%g is not an integer", v->valuedouble);
		else
			violation(c, VD_FV_WRONG_TYPE, path, "%s, not %s", json_type(v), kind_name(kind));
		return;
	}
	switch (kind) {
	case VD_FK_STRING:
		if (!vd_fact_value_allowed(values, v->valuestring))
			violation(c, VD_FV_BAD_VALUE, path, "\"%.40s\" is none of %.40s", v->valuestring, values);
		break;
	case VD_FK_OBJECT:
		check_object(c, v, shape, path);
		break;
	case VD_FK_ARRAY:
		cJSON_ArrayForEach(it, v) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i++);
			check_value(c, it, item, VD_FK_NONE, shape, values, sub);
		}
		break;
	case VD_FK_MAP:
		cJSON_ArrayForEach(it, v) {
			snprintf(sub, sizeof(sub), "%s.%s", path, it->string ? it->string : "?");
			check_value(c, it, item, VD_FK_NONE, shape, values, sub);
		}
		break;
	default:
		break;
	}
}

static void check_required(struct vctx *c, const cJSON *o, enum vd_fact_object_id shape, const char *path)
{
	char sub[sizeof(((struct vd_fact_violation *)0)->path)];

	for (size_t i = 0; i < VD_N_FACTS; i++) {
		const struct vd_fact *f = &vd_facts[i];
		if (f->object != shape || (f->presence & VD_FP_OPT) || cJSON_GetObjectItemCaseSensitive(o, f->key))
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", f->key);
		violation(c, VD_FV_MISSING, sub, "missing (%s)", kind_name(f->kind));
	}
}

static void check_object(struct vctx *c, const cJSON *o, enum vd_fact_object_id shape, const char *path)
{
	char sub[sizeof(((struct vd_fact_violation *)0)->path)];
	const struct vd_fact_object *obj = &vd_fact_objects[shape];
	const cJSON *m, *p, *status;
	bool full;
	int depth = 0;

	cJSON_ArrayForEach(m, o) {
		const char *k = m->string ? m->string : "";
		const struct vd_fact *f = vd_fact_find(shape, k);
		bool dup = false;

		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k);
		for (p = o->child; p != m && !dup; p = p->next)
			dup = p->string && strcmp(p->string, k) == 0;
		if (dup) {
			violation(c, VD_FV_DUPLICATE, sub, "the key is there twice");
			continue;
		}
		if (!f) {
			violation(c, VD_FV_UNKNOWN_KEY, sub, "not a key of %s", obj->name);
			continue;
		}
		if (cJSON_IsNull(m) && (f->presence & VD_FP_NULLABLE))
			continue;
		check_value(c, m, f->kind, f->item, f->shape, f->values, sub);
	}
	/* A section that did not measure may lack anything but status and at. */
	status = cJSON_GetObjectItemCaseSensitive(o, VDF_SECTION_STATUS);
	full = !obj->section || (cJSON_IsString(status) && strcmp(status->valuestring, "ok") == 0);
	if (obj->section)
		check_required(c, o, VD_FO_SECTION, path);
	for (enum vd_fact_object_id s = shape; full && s != VD_FO_NONE && depth++ < VD_N_FACT_OBJECTS;
	     s = vd_fact_objects[s].base)
		check_required(c, o, s, path);
}

int vd_facts_validate(const cJSON *facts, struct vd_fact_violation *v, size_t max, size_t *n)
{
	struct vctx c = {.v = v, .max = v ? max : 0};

	if (!facts || !n)
		return -EINVAL;
	check_value(&c, facts, VD_FK_OBJECT, VD_FK_NONE, VD_FO_FACTS, "", "");
	*n = c.n;
	return 0;
}

cJSON *vd_facts_merge_patch(cJSON *target, const cJSON *patch)
{
	const cJSON *p;

	if (!cJSON_IsObject(patch)) {
		cJSON_Delete(target);
		return cJSON_Duplicate(patch, true);
	}
	if (!cJSON_IsObject(target)) {
		cJSON_Delete(target);
		if (!(target = cJSON_CreateObject()))
			return NULL;
	}
	cJSON_ArrayForEach(p, patch) {
		cJSON *cur, *n;

		if (!p->string)
			continue;
		cur = cJSON_GetObjectItemCaseSensitive(target, p->string);
		if (cJSON_IsNull(p)) {
			cJSON_Delete(cJSON_DetachItemViaPointer(target, cur));
			continue;
		}
		/* merged into a copy, which then takes the member's place */
		n = cur ? cJSON_Duplicate(cur, true) : NULL;
		if ((cur && !n) || !(n = vd_facts_merge_patch(n, p)))
			goto oom;
		if (cur ? !cJSON_ReplaceItemInObjectCaseSensitive(target, p->string, n)
		        : !cJSON_AddItemToObject(target, p->string, n)) {
			cJSON_Delete(n);
			goto oom;
		}
	}
	return target;
oom:
	cJSON_Delete(target);
	return NULL;
}

const char *vd_fact_violation_format(const struct vd_fact_violation *v, char *buf, size_t len)
{
	snprintf(buf, len, "%s: %s", *v->path ? v->path : "(the snapshot)", v->detail);
	return buf;
}
