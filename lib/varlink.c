/* Varlink framing and message shapes; see include/vpndoctor/varlink.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "vpndoctor/common.h"
#include "vpndoctor/text.h"
#include "vpndoctor/varlink.h"

struct vd_varlink_decoder {
	char *buf;
	size_t cap;
	size_t start; /* first byte not yet handed out */
	size_t len;   /* bytes held */
	size_t scan;  /* [start, scan) holds no NUL: never searched twice */
	size_t tail;  /* bytes after the last NUL held: the incomplete message */
	size_t max;
	bool failed;  /* an over-long message was seen: nothing is taken any more */
};

int vd_varlink_decoder_new(size_t max_message, struct vd_varlink_decoder **ret)
{
	struct vd_varlink_decoder *d;

	if (!ret || max_message == 0 || max_message > SIZE_MAX / 4)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->max = max_message;
	*ret = d;
	return 0;
}

void vd_varlink_decoder_free(struct vd_varlink_decoder *d)
{
	if (!d)
		return;
	free(d->buf);
	free(d);
}

size_t vd_varlink_decoder_pending(const struct vd_varlink_decoder *d)
{
	return d ? d->tail : 0;
}

static int decoder_append(struct vd_varlink_decoder *d, const char *p, size_t n)
{
	size_t need, cap;
	char *nb;

	/* Drop what was handed out before growing. */
	if (d->start > 0) {
		memmove(d->buf, d->buf + d->start, d->len - d->start);
		d->len -= d->start;
		d->scan -= d->start;
		d->start = 0;
	}
	if (n > SIZE_MAX / 2 - d->len)
		return -ENOMEM;
	need = d->len + n;
	if (need > d->cap) {
		cap = d->cap ? d->cap : 4096;
		while (cap < need)
			cap *= 2;
		nb = realloc(d->buf, cap);
		if (!nb)
			return -ENOMEM;
		d->buf = nb;
		d->cap = cap;
	}
	memcpy(d->buf + d->len, p, n);
	d->len += n;
	return 0;
}

int vd_varlink_decoder_feed(struct vd_varlink_decoder *d, const void *data, size_t len)
{
	const char *p = data, *q, *last_nul = NULL;
	size_t complete, tail;
	int r;

	if (!d || (!data && len > 0))
		return -EINVAL;
	if (d->failed)
		return -EMSGSIZE;
	if (len == 0)
		return 0;

	for (q = p; (q = memchr(q, '\0', len - (size_t)(q - p))); q++)
		last_nul = q;
	complete = last_nul ? (size_t)(last_nul - p) + 1 : 0;
	tail = last_nul ? len - complete : d->tail + len;

	if (tail > d->max) {
		/* Never buffer a message past the limit: keep the complete ones
		 * before it (next() hands them out, then fails), drop the rest. */
		if (complete > 0) {
			r = decoder_append(d, p, complete);
			if (r < 0)
				return r;
		} else {
			d->len -= d->tail;
			if (d->scan > d->len)
				d->scan = d->len;
		}
		d->tail = 0;
		d->failed = true;
		return 0;
	}
	r = decoder_append(d, p, len);
	if (r < 0)
		return r;
	d->tail = tail;
	return 0;
}

int vd_varlink_decoder_next(struct vd_varlink_decoder *d, const char **msg, size_t *len)
{
	const char *nul;
	size_t n;

	if (!d || !msg || !len)
		return -EINVAL;
	if (d->len > d->scan) {
		nul = memchr(d->buf + d->scan, '\0', d->len - d->scan);
		if (nul) {
			n = (size_t)(nul - (d->buf + d->start));
			if (n > d->max) {
				/* Too long though complete in one chunk: fail here, in order. */
				d->len = d->scan = d->start;
				d->tail = 0;
				d->failed = true;
				return -EMSGSIZE;
			}
			*msg = d->buf + d->start;
			*len = n;
			d->start += n + 1;
			d->scan = d->start;
			return 1;
		}
		d->scan = d->len;
	}
	return d->failed ? -EMSGSIZE : 0;
}

/* --- names ------------------------------------------------------------------ */

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

/* Reverse domain: labels of [A-Za-z0-9-] that neither start nor end with '-',
 * the first starting with a letter, at least two labels. */
bool vd_varlink_interface_valid(const char *s, size_t len)
{
	size_t i, labels = 1;

	if (!s || len == 0 || len > 255 || !is_alpha(s[0]))
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (i + 1 >= len || !is_alnum(s[i + 1]) || !is_alnum(s[i - 1]))
				return false;
			labels++;
		} else if (c == '-') {
			if (i + 1 >= len || s[i + 1] == '.')
				return false;
		} else if (!is_alnum(c)) {
			return false;
		}
	}
	return labels >= 2;
}

static bool member_valid(const char *s)
{
	size_t i;

	if (!(s[0] >= 'A' && s[0] <= 'Z'))
		return false;
	for (i = 1; s[i]; i++)
		if (!is_alnum(s[i]))
			return false;
	return i <= 255;
}

bool vd_varlink_method_valid(const char *s)
{
	const char *dot;

	if (!s)
		return false;
	dot = strrchr(s, '.');
	if (!dot || dot == s)
		return false;
	return vd_varlink_interface_valid(s, (size_t)(dot - s)) && member_valid(dot + 1);
}

/* --- calls ------------------------------------------------------------------ */

/* What cJSON parses but the two ends could read two ways is refused:
 * - an object naming a member twice: which value counts would be up to the
 *   parser. The check is pairwise, so an object is also refused past 1024
 *   members (none of ours comes near): a 64 KiB message then costs at most a
 *   few million compares;
 * - a number past the range of a double (1e999): it parses as infinity, which
 *   JSON cannot carry, and would be sent on as null. */
#define MAX_MEMBERS 1024

static bool unacceptable(const cJSON *v)
{
	size_t n = 0;

	if (cJSON_IsNumber(v) && !isfinite(v->valuedouble))
		return true;
	for (const cJSON *a = v ? v->child : NULL; a; a = a->next) {
		if (cJSON_IsObject(v)) {
			if (++n > MAX_MEMBERS)
				return true;
			for (const cJSON *b = a->next; b; b = b->next)
				if (a->string && b->string && strcmp(a->string, b->string) == 0)
					return true;
		}
		if (unacceptable(a))
			return true;
	}
	return false;
}

/* A string escape \u0000: cJSON decodes it into a NUL that ends the C
 * string, so "GetStatus\u0000x" would read as "GetStatus" here and as
 * something else to the peer. JSON text outside strings has no backslash, so
 * every one is inside a string; each escape is stepped over whole. */
static bool has_nul_escape(const char *msg, size_t len)
{
	for (const char *p = memchr(msg, '\\', len); p; p = memchr(p, '\\', len - (size_t)(p - msg))) {
		size_t left = len - (size_t)(p - msg);

		if (left >= 6 && p[1] == 'u' && memcmp(p + 2, "0000", 4) == 0)
			return true;
		p += left >= 2 ? 2 : 1; /* the backslash and the character it escapes */
		if (p >= msg + len)
			break;
	}
	return false;
}

/* Parses exactly msg[0..len) followed by its NUL; NULL when it is not one
 * JSON value, is followed by anything but whitespace, or is unacceptable().
 * Text that is not UTF-8 (RFC 8259 requires it) or holds a NUL escape is
 * refused before it is parsed: neither could be echoed back, logged or
 * compared safely. */
static cJSON *parse_exact(const char *msg, size_t len)
{
	cJSON *v;

	if (!msg || memchr(msg, '\0', len) || !vd_text_utf8_valid(msg, len) || has_nul_escape(msg, len))
		return NULL;
	v = cJSON_ParseWithLengthOpts(msg, len + 1, NULL, true);
	if (v && unacceptable(v)) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

/* Makes sure obj has an object member "parameters" (added when absent). */
static const cJSON *ensure_params(cJSON *root)
{
	cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "parameters");
	cJSON *o;

	if (p)
		return p;
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddItemToObject(root, "parameters", o)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static int get_bool(const cJSON *root, const char *name, bool *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, name);

	*ret = false;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsBool(v))
		return -EINVAL;
	*ret = cJSON_IsTrue(v);
	return 0;
}

int vd_varlink_call_parse(const char *msg, size_t len, struct vd_varlink_call *call,
                          const char **bad_field)
{
	static const char *const known[] = {"method", "parameters", "more", "oneway", "upgrade"};
	const char *dummy;
	const cJSON *it, *m, *p;
	cJSON *root;
	size_t i;

	if (!call)
		return -EINVAL;
	if (!bad_field)
		bad_field = &dummy;
	memset(call, 0, sizeof(*call));
	*bad_field = NULL;

	root = parse_exact(msg, len);
	if (!root || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		*bad_field = "message";
		return -EBADMSG;
	}

	cJSON_ArrayForEach(it, root) {
		bool ok = false;

		for (i = 0; i < VD_ARRAY_SIZE(known); i++)
			if (it->string && strcmp(it->string, known[i]) == 0)
				ok = true;
		if (!ok) {
			*bad_field = "message";
			goto invalid;
		}
	}

	m = cJSON_GetObjectItemCaseSensitive(root, "method");
	if (!cJSON_IsString(m) || !vd_varlink_method_valid(m->valuestring)) {
		*bad_field = "method";
		goto invalid;
	}
	p = cJSON_GetObjectItemCaseSensitive(root, "parameters");
	if (p && !cJSON_IsObject(p) && !cJSON_IsNull(p)) {
		*bad_field = "parameters";
		goto invalid;
	}
	if (p && cJSON_IsNull(p))
		cJSON_DeleteItemFromObjectCaseSensitive(root, "parameters");
	if (get_bool(root, "more", &call->more) < 0) {
		*bad_field = "more";
		goto invalid;
	}
	if (get_bool(root, "oneway", &call->oneway) < 0) {
		*bad_field = "oneway";
		goto invalid;
	}
	if (get_bool(root, "upgrade", &call->upgrade) < 0) {
		*bad_field = "upgrade";
		goto invalid;
	}
	if (call->more && call->oneway) {
		*bad_field = "oneway";
		goto invalid;
	}
	call->parameters = ensure_params(root);
	if (!call->parameters) {
		cJSON_Delete(root);
		memset(call, 0, sizeof(*call));
		return -ENOMEM;
	}
	call->root = root;
	call->method = m->valuestring;
	call->member = strrchr(call->method, '.') + 1;
	call->interface_len = (size_t)(call->member - call->method) - 1;
	return 0;

invalid:
	cJSON_Delete(root);
	memset(call, 0, sizeof(*call));
	return -EINVAL;
}

void vd_varlink_call_done(struct vd_varlink_call *call)
{
	if (!call)
		return;
	cJSON_Delete(call->root);
	memset(call, 0, sizeof(*call));
}

int vd_varlink_param_int(const cJSON *params, const char *name, int64_t min, int64_t max,
                         int64_t *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, name);
	double d;

	if (!v || cJSON_IsNull(v))
		return -ENOENT;
	if (!cJSON_IsNumber(v))
		return -EINVAL;
	d = v->valuedouble;
	/* JSON has no integers: accept only doubles that hold one exactly. */
	if (!isfinite(d) || d < -9007199254740992.0 || d > 9007199254740992.0 || (double)(int64_t)d != d)
		return -EINVAL;
	if (d < (double)min || d > (double)max)
		return -EINVAL;
	*ret = (int64_t)d;
	return 0;
}

int vd_varlink_param_string(const cJSON *params, const char *name, const char **ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, name);

	if (!v || cJSON_IsNull(v))
		return -ENOENT;
	if (!cJSON_IsString(v) || !v->valuestring)
		return -EINVAL;
	*ret = v->valuestring;
	return 0;
}

/* --- encoding --------------------------------------------------------------- */

/* Prints obj and hands it out with its NUL counted, as the wire wants. A
 * string the daemon got from a file or a process may hold bytes that are
 * not UTF-8, which cJSON prints as they are; the peer (rightly) refuses such
 * a message, so a user could make every reply unreadable with one byte in a
 * profile. Those go out as U+FFFD (and the characters vd_text_escape would
 * escape as \u escapes, which mean the same). */
static int finish(cJSON *obj, char **ret, size_t *ret_len)
{
	char *s = cJSON_PrintUnformatted(obj);

	if (!s)
		return -ENOMEM;
	if (!vd_text_utf8_valid(s, strlen(s))) {
		char *safe = vd_text_json_dup(s);

		free(s);
		if (!safe)
			return -ENOMEM;
		s = safe;
	}
	*ret = s;
	*ret_len = strlen(s) + 1;
	return 0;
}

/* Adds params (not copied: a reference to its members) as "parameters". */
static int add_params(cJSON *obj, const cJSON *params)
{
	cJSON *ref;

	if (params && !cJSON_IsObject(params))
		return -EINVAL;
	ref = cJSON_CreateObjectReference(params ? params->child : NULL);
	if (!ref)
		return -ENOMEM;
	if (!cJSON_AddItemToObject(obj, "parameters", ref)) {
		cJSON_Delete(ref);
		return -ENOMEM;
	}
	return 0;
}

int vd_varlink_encode_reply(const cJSON *params, bool continues, char **ret, size_t *ret_len)
{
	cJSON *obj;
	int r;

	if (!ret || !ret_len)
		return -EINVAL;
	obj = cJSON_CreateObject();
	if (!obj)
		return -ENOMEM;
	r = add_params(obj, params);
	if (r == 0 && continues && !cJSON_AddTrueToObject(obj, "continues"))
		r = -ENOMEM;
	if (r == 0)
		r = finish(obj, ret, ret_len);
	cJSON_Delete(obj);
	return r;
}

int vd_varlink_encode_error(const char *error, const cJSON *params, char **ret, size_t *ret_len)
{
	cJSON *obj;
	int r = 0;

	if (!error || !ret || !ret_len)
		return -EINVAL;
	obj = cJSON_CreateObject();
	if (!obj)
		return -ENOMEM;
	if (!cJSON_AddStringToObject(obj, "error", error))
		r = -ENOMEM;
	if (r == 0)
		r = add_params(obj, params);
	if (r == 0)
		r = finish(obj, ret, ret_len);
	cJSON_Delete(obj);
	return r;
}

int vd_varlink_encode_error_str(const char *error, const char *key, const char *value, char **ret,
                                size_t *ret_len)
{
	cJSON *p;
	int r;

	if (!key || !value)
		return -EINVAL;
	p = cJSON_CreateObject();
	if (!p)
		return -ENOMEM;
	if (!cJSON_AddStringToObject(p, key, value)) {
		cJSON_Delete(p);
		return -ENOMEM;
	}
	r = vd_varlink_encode_error(error, p, ret, ret_len);
	cJSON_Delete(p);
	return r;
}

int vd_varlink_encode_call(const char *method, const cJSON *params, unsigned flags, char **ret,
                           size_t *ret_len)
{
	cJSON *obj;
	int r = 0;

	if (!vd_varlink_method_valid(method) || !ret || !ret_len)
		return -EINVAL;
	if ((flags & VD_VARLINK_CALL_MORE) && (flags & VD_VARLINK_CALL_ONEWAY))
		return -EINVAL;
	obj = cJSON_CreateObject();
	if (!obj)
		return -ENOMEM;
	if (!cJSON_AddStringToObject(obj, "method", method))
		r = -ENOMEM;
	if (r == 0 && params)
		r = add_params(obj, params);
	if (r == 0 && (flags & VD_VARLINK_CALL_MORE) && !cJSON_AddTrueToObject(obj, "more"))
		r = -ENOMEM;
	if (r == 0 && (flags & VD_VARLINK_CALL_ONEWAY) && !cJSON_AddTrueToObject(obj, "oneway"))
		r = -ENOMEM;
	if (r == 0)
		r = finish(obj, ret, ret_len);
	cJSON_Delete(obj);
	return r;
}

int vd_varlink_reply_parse(const char *msg, size_t len, struct vd_varlink_reply *reply)
{
	const cJSON *e, *p, *c;
	cJSON *root;

	if (!reply)
		return -EINVAL;
	memset(reply, 0, sizeof(*reply));
	root = parse_exact(msg, len);
	if (!root || !cJSON_IsObject(root))
		goto bad;
	e = cJSON_GetObjectItemCaseSensitive(root, "error");
	p = cJSON_GetObjectItemCaseSensitive(root, "parameters");
	c = cJSON_GetObjectItemCaseSensitive(root, "continues");
	if (e && !cJSON_IsNull(e) && (!cJSON_IsString(e) || !e->valuestring[0]))
		goto bad;
	if (p && !cJSON_IsObject(p) && !cJSON_IsNull(p))
		goto bad;
	if (c && !cJSON_IsBool(c) && !cJSON_IsNull(c))
		goto bad;
	if (p && cJSON_IsNull(p))
		cJSON_DeleteItemFromObjectCaseSensitive(root, "parameters");
	reply->parameters = ensure_params(root);
	if (!reply->parameters) {
		cJSON_Delete(root);
		memset(reply, 0, sizeof(*reply));
		return -ENOMEM;
	}
	reply->root = root;
	reply->error = cJSON_IsString(e) ? e->valuestring : NULL;
	reply->continues = cJSON_IsTrue(c);
	return 0;

bad:
	cJSON_Delete(root);
	return -EBADMSG;
}

void vd_varlink_reply_done(struct vd_varlink_reply *reply)
{
	if (!reply)
		return;
	cJSON_Delete(reply->root);
	memset(reply, 0, sizeof(*reply));
}

int vd_varlink_merge(cJSON *dst, const cJSON *page)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, page) {
		cJSON *have = cJSON_GetObjectItemCaseSensitive(dst, m->string);

		if (have && cJSON_IsArray(have) && cJSON_IsArray(m)) {
			for (const cJSON *e = m->child; e; e = e->next) {
				cJSON *copy = cJSON_Duplicate(e, true);
				if (!copy || !cJSON_AddItemToArray(have, copy)) {
					cJSON_Delete(copy);
					return -ENOMEM;
				}
			}
		} else if (have && cJSON_IsObject(have) && cJSON_IsObject(m)) {
			if (vd_varlink_merge(have, m) < 0)
				return -ENOMEM;
		} else {
			cJSON *copy = cJSON_Duplicate(m, true);
			if (!copy)
				return -ENOMEM;
			if (have ? !cJSON_ReplaceItemViaPointer(dst, have, copy) : !cJSON_AddItemToObject(dst, m->string, copy)) {
				cJSON_Delete(copy);
				return -ENOMEM;
			}
		}
	}
	return 0;
}
