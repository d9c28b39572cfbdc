/* Messages as data (vpndoctor/message.h): built by the rules from a template
 * and named values, rendered in English by the daemon and in the reader's
 * language by the clients. A client renders what a daemon sent, so the
 * renderer bounds everything: nesting, output size, digits. */
#include <errno.h>
#include <math.h> /* isfinite: a macro, no libm */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "vpndoctor/common.h"
#include "vpndoctor/message.h"

#define MAX_DEPTH 8
/* A summary is a line; nesting could multiply a hostile message's size. */
#define MAX_OUT 16384
#define MAX_NAME 64

/* ---- templates -------------------------------------------------------------- */

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* At p (a '{'): the length of "{name}" and the name's, or 0 when p does not
 * start a placeholder (a lone brace is text). */
static size_t placeholder(const char *p, size_t *name_len)
{
	size_t n = 0;

	if (*p != '{')
		return 0;
	while (name_char(p[1 + n]))
		n++;
	if (n == 0 || n > MAX_NAME || p[1 + n] != '}')
		return 0;
	*name_len = n;
	return n + 2;
}

static bool arg_named(const struct vd_arg *args, const char *name, size_t len)
{
	for (size_t i = 0; args && args[i].kind != VD_ARG_END; i++)
		if (strlen(args[i].name) == len && memcmp(args[i].name, name, len) == 0)
			return true;
	return false;
}

/* Every placeholder of tmpl names one of args. */
static bool names_given(const char *tmpl, const struct vd_arg *args)
{
	for (const char *p = tmpl; *p; p++) {
		size_t nl, l = placeholder(p, &nl);
		if (!l)
			continue;
		if (!arg_named(args, p + 1, nl))
			return false;
		p += l - 1;
	}
	return true;
}

/* ---- building ----------------------------------------------------------------- */

static cJSON *value_json(const struct vd_arg *a)
{
	cJSON *v = cJSON_CreateObject(), *m = NULL;

	if (!v)
		return NULL;
	switch (a->kind) {
	case VD_ARG_TEXT:
		if (!cJSON_AddStringToObject(v, "text", a->text))
			goto fail;
		break;
	case VD_ARG_NUMBER:
		if (!cJSON_AddNumberToObject(v, "number", a->number) ||
		    (a->digits && !cJSON_AddNumberToObject(v, "digits", a->digits)))
			goto fail;
		break;
	case VD_ARG_TIME:
		if (!cJSON_AddNumberToObject(v, "time", (double)a->time))
			goto fail;
		break;
	case VD_ARG_PHRASE:
		if (!(m = cJSON_AddObjectToObject(v, "message")) || !cJSON_AddStringToObject(m, "id", a->text))
			goto fail;
		break;
	case VD_ARG_MESSAGE:
		if (!(m = cJSON_Duplicate(a->message, true)))
			goto fail;
		cJSON_AddItemToObject(v, "message", m);
		break;
	case VD_ARG_END:
		goto fail;
	}
	return v;
fail:
	cJSON_Delete(v);
	return NULL;
}

static bool arg_valid(const struct vd_arg *a)
{
	size_t nl;
	char buf[MAX_NAME + 3];

	if (!a->name || snprintf(buf, sizeof(buf), "{%s}", a->name) >= (int)sizeof(buf) ||
	    placeholder(buf, &nl) != strlen(buf))
		return false;
	switch (a->kind) {
	case VD_ARG_TEXT:
	case VD_ARG_PHRASE:
		return a->text != NULL;
	case VD_ARG_NUMBER:
		return isfinite(a->number) && a->digits >= 0 && a->digits <= 9;
	case VD_ARG_TIME:
		return a->time > -1000000000000LL && a->time < 1000000000000LL;
	case VD_ARG_MESSAGE:
		return cJSON_IsObject(a->message);
	case VD_ARG_END:
		break;
	}
	return false;
}

int vd_msg_new(const char *id, const char *plural, const char *count, const struct vd_arg *args, cJSON **ret)
{
	cJSON *m, *vals = NULL;
	bool counted = false;

	if (!id || !ret || !plural != !count || !names_given(id, args) || (plural && !names_given(plural, args)))
		return -EINVAL;
	for (size_t i = 0; args && args[i].kind != VD_ARG_END; i++) {
		if (!arg_valid(&args[i]))
			return -EINVAL;
		for (size_t k = 0; k < i; k++)
			if (strcmp(args[k].name, args[i].name) == 0)
				return -EINVAL;
		if (count && strcmp(args[i].name, count) == 0)
			counted = args[i].kind == VD_ARG_NUMBER;
	}
	if (count && !counted)
		return -EINVAL;
	if (!(m = cJSON_CreateObject()))
		return -ENOMEM;
	if (!cJSON_AddStringToObject(m, "id", id) || (plural && (!cJSON_AddStringToObject(m, "plural", plural) ||
	                                                         !cJSON_AddStringToObject(m, "count", count))))
		goto nomem;
	for (size_t i = 0; args && args[i].kind != VD_ARG_END; i++) {
		cJSON *v;
		if ((!vals && !(vals = cJSON_AddObjectToObject(m, "values"))) || !(v = value_json(&args[i])))
			goto nomem;
		cJSON_AddItemToObject(vals, args[i].name, v);
	}
	*ret = m;
	return 0;
nomem:
	cJSON_Delete(m);
	return -ENOMEM;
}

/* ---- rendering ---------------------------------------------------------------- */

struct out {
	char *p;
	size_t len, cap;
	int err; /* first error: -EINVAL, -ENOMEM */
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->err)
		return;
	if (o->len + n >= MAX_OUT) {
		o->err = -EINVAL;
		return;
	}
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 128;
		char *p;
		while (cap < o->len + n + 1)
			cap *= 2;
		if (!(p = realloc(o->p, cap))) {
			o->err = -ENOMEM;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool jnum(const cJSON *o, const char *key, double *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return false;
	*ret = v->valuedouble;
	return true;
}

static int digits_of(const cJSON *v)
{
	double d = 0;
	if (!jnum(v, "digits", &d) || d < 0 || d > 9)
		return 0;
	return (int)d;
}

static void render_msg(struct out *o, const cJSON *msg, const struct vd_msg_lang *lang, int depth);

static void render_value(struct out *o, const cJSON *v, const struct vd_msg_lang *lang, int depth)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(v, "message");
	const char *s = jstr(v, "text");
	char buf[128];
	double x;

	if (s) {
		put(o, s, strlen(s));
	} else if (jnum(v, "number", &x)) {
		if (x > 1e300 || x < -1e300) /* "%.9f" of 1e300 is 310 digits */
			snprintf(buf, sizeof(buf), "%g", x);
		else if (lang && lang->number)
			lang->number(buf, sizeof(buf), x, digits_of(v));
		else
			snprintf(buf, sizeof(buf), "%.*f", digits_of(v), x);
		put(o, buf, strlen(buf));
	} else if (jnum(v, "time", &x) && x > -1e12 && x < 1e12) {
		if (lang && lang->time)
			lang->time(buf, sizeof(buf), (int64_t)x);
		else
			vd_format_time((int64_t)x, buf, sizeof(buf));
		put(o, buf, strlen(buf));
	} else if (cJSON_IsObject(m)) {
		render_msg(o, m, lang, depth + 1);
	} else if (!o->err) {
		o->err = -EINVAL;
	}
}

/* tmpl with its values; -EINVAL in o->err for a name values lacks. */
static void expand(struct out *o, const char *tmpl, const cJSON *values, const struct vd_msg_lang *lang,
                   int depth)
{
	const char *p = tmpl, *lit = tmpl;

	for (; *p && !o->err; p++) {
		size_t nl, l = placeholder(p, &nl);
		char name[MAX_NAME + 1];
		const cJSON *v;

		if (!l)
			continue;
		put(o, lit, (size_t)(p - lit));
		memcpy(name, p + 1, nl);
		name[nl] = '\0';
		v = cJSON_GetObjectItemCaseSensitive(values, name);
		if (!cJSON_IsObject(v)) {
			if (!o->err)
				o->err = -EINVAL;
			return;
		}
		render_value(o, v, lang, depth);
		p += l - 1;
		lit = p + 1;
	}
	put(o, lit, strlen(lit));
}

static void render_msg(struct out *o, const cJSON *msg, const struct vd_msg_lang *lang, int depth)
{
	const char *id = jstr(msg, "id"), *plural = jstr(msg, "plural"), *count = jstr(msg, "count");
	const cJSON *values = cJSON_GetObjectItemCaseSensitive(msg, "values");
	const char *en = id, *tr = id;
	size_t mark = o->len;

	if (o->err)
		return;
	if (depth > MAX_DEPTH || !id || (values && !cJSON_IsObject(values))) {
		o->err = -EINVAL;
		return;
	}
	if (plural && count) {
		double x;
		unsigned long n;
		if (!jnum(cJSON_GetObjectItemCaseSensitive(values, count), "number", &x)) {
			o->err = -EINVAL;
			return;
		}
		/* the number as it is shown picks the form: 0.6 is "1" */
		x = x < 0 ? -x : x;
		n = x >= 4e9 ? 4000000000UL : (unsigned long)(x + 0.5);
		en = n == 1 ? id : plural;
		tr = lang && lang->ngettext ? lang->ngettext(id, plural, n) : en;
	} else if (lang && lang->gettext) {
		tr = lang->gettext(id);
	}
	if (!tr)
		tr = en;
	expand(o, tr, values, lang, depth);
	/* a translation that names what the message lacks: the English one */
	if (o->err == -EINVAL && tr != en && strcmp(tr, en) != 0) {
		o->err = 0;
		o->len = mark;
		if (o->p)
			o->p[mark] = '\0';
		expand(o, en, values, lang, depth);
	}
}

char *vd_msg_render(const cJSON *msg, const struct vd_msg_lang *lang)
{
	struct out o = {0};

	if (!cJSON_IsObject(msg)) {
		errno = EINVAL;
		return NULL;
	}
	render_msg(&o, msg, lang, 0);
	if (!o.err && !o.p)
		put(&o, "", 0);
	if (o.err) {
		free(o.p);
		errno = -o.err;
		return NULL;
	}
	return o.p;
}
