/* OpenVPN's title line (options.c title_string: PACKAGE_STRING, an optional
 * "[git:...]", TARGET_ALIAS, "[SSL (lib)]", feature flags) and the version policy. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "vpndoctor/common.h"
#include "vpndoctor/i18n.h"
#include "vpndoctor/message.h"
#include "vpndoctor/version.h"

/* 2.4.0 is the first release with NCP: older clients cannot take the
 * AES-256-GCM that the server negotiates. */
#define MIN_MAJOR 2
#define MIN_MINOR 4
#define MIN_PATCH 0
/* The FAQ's example of a client with data-path problems (on Windows). */
#define BAD_MAJOR 2
#define BAD_MINOR 6
#define BAD_PATCH 6
/* The newest release vpndoctor has data on (tag v2.7.6); anything newer is
 * UNKNOWN until someone looks at it. */
#define NEWEST_MAJOR 2
#define NEWEST_MINOR 7
#define NEWEST_PATCH 6

/* The last release of each older series we have data on: a 2.6.23 is as
 * unknown as a 2.8.0. */
static const struct {
	unsigned major, minor, patch;
} series_last[] = {
	{2, 4, 12},
	{2, 5, 11},
	{2, 6, 22}, /* v2.6.22, 2026-08-05: also the upgrade advised from 2.6.6 */
	{NEWEST_MAJOR, NEWEST_MINOR, NEWEST_PATCH},
};

#define NUM_MAX 9999u

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Decimal without sign, at most 4 digits; advances *p. */
static bool number(const char **p, unsigned *ret)
{
	unsigned v = 0, n = 0;

	while (is_digit(**p)) {
		if (++n > 4)
			return false;
		v = v * 10 + (unsigned)(**p - '0');
		(*p)++;
	}
	if (n == 0 || v > NUM_MAX)
		return false;
	*ret = v;
	return true;
}

static bool suffix_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == '-' || c == '.' || c == '+' || c == '~';
}

/* "2.6.14", "2.6_rc2", "2.7_git", "2.6.14_git"; stops at a space or the end. */
static int parse_number_part(const char **pp, struct vd_ovpn_version *v)
{
	const char *p = *pp;
	size_t n = 0;

	if (*p == 'v')
		p++;
	if (!number(&p, &v->major) || *p != '.')
		return -EINVAL;
	p++;
	if (!number(&p, &v->minor))
		return -EINVAL;
	v->patch = 0;
	if (*p == '.') {
		p++;
		if (!number(&p, &v->patch))
			return -EINVAL;
	}
	while (p[n] && !is_space(p[n]) && p[n] != '\r' && p[n] != '\n') {
		if (!suffix_char(p[n]) || n + 1 >= sizeof(v->suffix))
			return -EINVAL;
		v->suffix[n] = p[n];
		n++;
	}
	v->suffix[n] = '\0';
	/* A suffix starts with '_' ("_rc2", "_git") or '-' (packagers' "-1"). */
	if (n > 0 && p[0] != '_' && p[0] != '-')
		return -EINVAL;
	*pp = p + n;
	return 0;
}

/* Copies the token at *pp (up to a space) into buf; false if it does not fit. */
static bool token(const char **pp, char *buf, size_t len)
{
	const char *p = *pp;
	size_t n = 0;

	while (p[n] && !is_space(p[n]) && p[n] != '\r' && p[n] != '\n')
		n++;
	if (n >= len)
		return false;
	memcpy(buf, p, n);
	buf[n] = '\0';
	*pp = p + n;
	return true;
}

static void skip_spaces(const char **pp)
{
	while (is_space(**pp))
		(*pp)++;
}

/* After "OpenVPN X.Y.Z": an optional "[git:...]", TARGET_ALIAS, then bracketed
 * flags of which "[SSL (lib)]" names the TLS library. Unknown flags are fine. */
static void parse_rest(const char *p, struct vd_ovpn_version *v)
{
	skip_spaces(&p);
	if (strncmp(p, "[git:", 5) == 0) {
		while (*p && *p != ']' && *p != '\n')
			p++;
		if (*p == ']')
			p++;
		skip_spaces(&p);
	}
	if (*p && *p != '[' && *p != '\n' && *p != '\r') {
		const char *start = p;
		if (!token(&p, v->platform, sizeof(v->platform))) {
			v->platform[0] = '\0';
			p = start;
			while (*p && !is_space(*p) && *p != '\n')
				p++;
		}
	}
	const char *nl = strchr(p, '\n');
	const char *ssl = strstr(p, "[SSL");
	if (ssl && (!nl || ssl < nl)) {
		ssl += 4;
		if (strncmp(ssl, " (", 2) == 0) {
			const char *end = strchr(ssl + 2, ')');
			size_t n = end ? (size_t)(end - (ssl + 2)) : 0;
			if (end && (!nl || end < nl) && n < sizeof(v->ssl) && !memchr(ssl + 2, ']', n)) {
				memcpy(v->ssl, ssl + 2, n);
				v->ssl[n] = '\0';
			}
		}
	}
}

int vd_ovpn_version_parse(const char *line, struct vd_ovpn_version *ret)
{
	struct vd_ovpn_version v = {0};
	const char *p;
	int r;

	if (!line || !ret)
		return -EINVAL;
	p = line;
	skip_spaces(&p);
	if (strncmp(p, "OpenVPN ", 8) != 0) {
		/* A bare "2.6.14", or a log line that carries the title after a
		 * timestamp ("2025-03-11 14:54:51 OpenVPN 2.5.10 ..."). */
		const char *q = p;
		if (parse_number_part(&q, &v) == 0) {
			skip_spaces(&q);
			if (*q == '\0' || *q == '\n' || *q == '\r') {
				*ret = v;
				return 0;
			}
		}
		memset(&v, 0, sizeof(v));
		const char *nl = strchr(p, '\n');
		const char *t = strstr(p, "OpenVPN ");
		while (t && !is_digit(t[8]))
			t = strstr(t + 8, "OpenVPN ");
		if (!t || (nl && t > nl))
			return -EINVAL;
		p = t;
	}
	p += 8;
	r = parse_number_part(&p, &v);
	if (r < 0)
		return r;
	if (*p && !is_space(*p) && *p != '\n' && *p != '\r')
		return -EINVAL;
	parse_rest(p, &v);
	*ret = v;
	return 0;
}

static int cmp3(unsigned a1, unsigned a2, unsigned a3, unsigned b1, unsigned b2, unsigned b3)
{
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	if (a2 != b2)
		return a2 < b2 ? -1 : 1;
	if (a3 != b3)
		return a3 < b3 ? -1 : 1;
	return 0;
}

/* "_rc2", "_beta1", "_alpha3" come before the release they lead to. */
static bool prerelease(const char *suffix)
{
	return strncasecmp(suffix, "_rc", 3) == 0 || strncasecmp(suffix, "_beta", 5) == 0 ||
	       strncasecmp(suffix, "_alpha", 6) == 0;
}

static bool on_windows(const char *platform)
{
	return strcasestr(platform, "windows") || strcasestr(platform, "mingw") ||
	       strcasestr(platform, "win32") || strcasestr(platform, "win64") ||
	       strcasestr(platform, "cygwin");
}

#define VMSG(id, ...) vd_msg_new(id, NULL, NULL, (const struct vd_arg[]){__VA_ARGS__ __VA_OPT__(,) {0}}, ret)

static enum vd_version_verdict verdict_of(const struct vd_ovpn_version *v, cJSON **ret, int *err)
{
	char s[48], a[48], b[16];

	if (!v) {
		*err = VMSG(N_("no OpenVPN version known"));
		return VD_VERSION_UNKNOWN;
	}
	snprintf(s, sizeof(s), "%u.%u.%u%s", v->major, v->minor, v->patch, v->suffix);

	int c = cmp3(v->major, v->minor, v->patch, MIN_MAJOR, MIN_MINOR, MIN_PATCH);
	snprintf(a, sizeof(a), "%d.%d.%d", MIN_MAJOR, MIN_MINOR, MIN_PATCH);
	if (c < 0 || (c == 0 && prerelease(v->suffix))) {
		/* TRANSLATORS: {version} is the client's OpenVPN version, {first} 2.4.0 */
		*err = VMSG(N_("OpenVPN {version} is older than {first}, the first release with cipher negotiation "
		               "(NCP): it cannot take the AES-256-GCM the server negotiates"),
		            VD_TEXT("version", s), VD_TEXT("first", a));
		return VD_VERSION_TOO_OLD;
	}
	if (cmp3(v->major, v->minor, v->patch, BAD_MAJOR, BAD_MINOR, BAD_PATCH) == 0) {
		snprintf(a, sizeof(a), "%u.%u.%u", series_last[2].major, series_last[2].minor, series_last[2].patch);
		if (on_windows(v->platform))
			*err = VMSG(N_("OpenVPN {version} on Windows is a release with known data-path problems (the "
			               "FAQ's example); upgrade to {upgrade}"),
			            VD_TEXT("version", s), VD_TEXT("upgrade", a));
		else
			*err = VMSG(N_("OpenVPN {version} is a release with known data-path problems (the FAQ's example, "
			               "seen on Windows); upgrade to {upgrade}"),
			            VD_TEXT("version", s), VD_TEXT("upgrade", a));
		return VD_VERSION_KNOWN_BAD;
	}
	if (cmp3(v->major, v->minor, v->patch, NEWEST_MAJOR, NEWEST_MINOR, NEWEST_PATCH) > 0) {
		snprintf(a, sizeof(a), "%d.%d.%d", NEWEST_MAJOR, NEWEST_MINOR, NEWEST_PATCH);
		*err = VMSG(N_("OpenVPN {version} is newer than {newest}, the newest release vpndoctor has data on"),
		            VD_TEXT("version", s), VD_TEXT("newest", a));
		return VD_VERSION_UNKNOWN;
	}
	for (size_t i = 0; i < VD_ARRAY_SIZE(series_last); i++)
		if (v->major == series_last[i].major && v->minor == series_last[i].minor &&
		    v->patch > series_last[i].patch) {
			snprintf(a, sizeof(a), "%u.%u.%u", series_last[i].major, series_last[i].minor,
			         series_last[i].patch);
			snprintf(b, sizeof(b), "%u.%u", series_last[i].major, series_last[i].minor);
			/* TRANSLATORS: {series} is a release series such as 2.5 */
			*err = VMSG(N_("OpenVPN {version} is newer than {last}, the last {series} release vpndoctor has "
			               "data on"),
			            VD_TEXT("version", s), VD_TEXT("last", a), VD_TEXT("series", b));
			return VD_VERSION_UNKNOWN;
		}
	*err = VMSG(N_("OpenVPN {version} is {first} or later and not a known bad release"), VD_TEXT("version", s),
	            VD_TEXT("first", a));
	return VD_VERSION_OK;
}

int vd_ovpn_version_message(const struct vd_ovpn_version *v, enum vd_version_verdict *verdict, cJSON **ret)
{
	cJSON *m = NULL;
	int r = 0;
	enum vd_version_verdict vv = verdict_of(v, &m, &r);

	if (r < 0)
		return r;
	*verdict = vv;
	*ret = m;
	return 0;
}

enum vd_version_verdict vd_ovpn_version_check(const struct vd_ovpn_version *v, char *why, size_t len)
{
	cJSON *m = NULL;
	int r = 0;
	enum vd_version_verdict vv = verdict_of(v, &m, &r);
	char *s = r < 0 ? NULL : vd_msg_render(m, NULL);

	if (why && len > 0)
		snprintf(why, len, "%s", s ? s : "out of memory");
	free(s);
	cJSON_Delete(m);
	return vv;
}

const char *vd_version_verdict_name(enum vd_version_verdict v)
{
	switch (v) {
	case VD_VERSION_OK:
		return "ok";
	case VD_VERSION_TOO_OLD:
		return "too-old";
	case VD_VERSION_KNOWN_BAD:
		return "known-bad";
	case VD_VERSION_UNKNOWN:
		return "unknown";
	}
	return "unknown";
}

/* ---- versions found without running the binary ------------------------------- */

static bool title_at(const char *p, const char *end, char *out, size_t size)
{
	const char *q = p + 8, *word;
	struct vd_ovpn_version v;
	size_t n = 0;
	bool dash = false;

	/* the version: digits and dots, then an optional _suffix */
	if (q >= end || !is_digit(*q))
		return false;
	while (q < end && (is_digit(*q) || *q == '.' || (*q >= 'a' && *q <= 'z') || *q == '_'))
		q++;
	if (q >= end || *q != ' ')
		return false;
	word = ++q;
	while (q < end && *q > ' ' && *q < 0x7f) {
		dash |= *q == '-';
		q++;
	}
	if (q == word || !dash || end - q < 2 || q[0] != ' ' || q[1] != '[')
		return false;
	/* the whole title: to the first NUL or control byte */
	while (p + n < end && n + 1 < size && p[n] >= ' ' && p[n] < 0x7f)
		n++;
	if (n == 0 || n + 1 > size)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return vd_ovpn_version_parse(out, &v) == 0;
}

int vd_ovpn_version_scan(const char *buf, size_t len, char *out, size_t size)
{
	const char *end = buf + len, *p = buf;

	if (!buf || !out || size == 0)
		return -EINVAL;
	while (p < end && (p = memmem(p, (size_t)(end - p), "OpenVPN ", 8))) {
		if (title_at(p, end, out, size < VD_OVPN_TITLE_MAX ? size : VD_OVPN_TITLE_MAX))
			return 0;
		p += 8;
	}
	out[0] = '\0';
	return -ENOENT;
}

/* The value of "Key: value" in one stanza [s, e), or NULL; *n its length. */
static const char *stanza_field(const char *s, const char *e, const char *key, size_t *n)
{
	size_t kl = strlen(key);

	for (const char *l = s; l < e;) {
		const char *nl = memchr(l, '\n', (size_t)(e - l));
		size_t ll = nl ? (size_t)(nl - l) : (size_t)(e - l);

		if (ll > kl + 1 && memcmp(l, key, kl) == 0 && l[kl] == ':') {
			const char *v = l + kl + 1;
			while (v < l + ll && is_space(*v))
				v++;
			*n = (size_t)(l + ll - v);
			return v;
		}
		l += ll + 1;
	}
	return NULL;
}

int vd_dpkg_version(const char *status, size_t len, const char *package, char *out, size_t size)
{
	const char *end = status + len;

	if (!status || !package || !out || size == 0)
		return -EINVAL;
	for (const char *s = status; s < end;) {
		const char *e = memmem(s, (size_t)(end - s), "\n\n", 2);
		const char *v, *colon, *dash;
		size_t n;

		e = e ? e + 1 : end;
		v = stanza_field(s, e, "Package", &n);
		if (v && n == strlen(package) && memcmp(v, package, n) == 0) {
			const char *st = stanza_field(s, e, "Status", &n);
			struct vd_ovpn_version ver;

			if (!st || n != strlen("install ok installed") || memcmp(st, "install ok installed", n) != 0) {
				s = e < end ? e + 1 : end;
				continue; /* removed, or config-files only */
			}
			v = stanza_field(s, e, "Version", &n);
			if (!v || n == 0)
				return -EINVAL;
			colon = memchr(v, ':', n);
			if (colon) {
				n -= (size_t)(colon + 1 - v);
				v = colon + 1;
			}
			for (dash = NULL, colon = v; colon < v + n; colon++)
				if (*colon == '-')
					dash = colon;
			if (dash)
				n = (size_t)(dash - v);
			if (n == 0 || n + 1 > size)
				return -EINVAL;
			for (size_t i = 0; i < n; i++)
				if (v[i] <= ' ' || v[i] >= 0x7f)
					return -EINVAL;
			memcpy(out, v, n);
			out[n] = '\0';
			return vd_ovpn_version_parse(out, &ver) == 0 ? 0 : -EINVAL;
		}
		s = e < end ? e + 1 : end;
	}
	return -ENOENT;
}
