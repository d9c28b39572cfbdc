/* Severities, error details and checked number and time parsing. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vpndoctor/common.h"

static const char *const severity_names[] = {
	[VD_SEV_NONE] = "none",
	[VD_SEV_INFO] = "info",
	[VD_SEV_WARNING] = "warning",
	[VD_SEV_ERROR] = "error",
};

const char *vd_severity_name(enum vd_severity s)
{
	if ((size_t)s >= VD_ARRAY_SIZE(severity_names))
		return "none";
	return severity_names[s];
}

int vd_severity_parse(const char *s, enum vd_severity *ret)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < VD_ARRAY_SIZE(severity_names); i++)
		if (strcmp(s, severity_names[i]) == 0) {
			*ret = (enum vd_severity)i;
			return 0;
		}
	return -EINVAL;
}

void vd_error_set(struct vd_error *e, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
	e->line = line;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

int vd_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int vd_parse_i64(const char *s, int64_t min, int64_t max, int64_t *ret)
{
	uint64_t u;
	bool neg = false;
	int r;

	if (!s)
		return -EINVAL;
	if (*s == '-') {
		neg = true;
		s++;
	} else if (*s == '+') {
		s++;
	}
	r = vd_parse_u64(s, 0, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &u);
	if (r < 0)
		return r;
	int64_t v = neg ? (int64_t)(0 - u) : (int64_t)u;
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

/* Fixed-width decimal field; false unless every character is a digit. */
static bool digits(const char *s, size_t n, int *ret)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return true;
}

int vd_parse_time(const char *s, int64_t *ret)
{
	struct tm tm = {0};
	int y, mo, d, h = 0, mi = 0, se = 0;
	size_t len;

	if (!s)
		return -EINVAL;
	if (*s == '@')
		return vd_parse_i64(s + 1, INT64_MIN / 2, INT64_MAX / 2, ret) < 0 ? -EINVAL : 0;
	len = strlen(s);
	if (len < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d))
		return -EINVAL;
	if (len > 10) {
		if ((s[10] != 'T' && s[10] != ' ') || len < 19 || !digits(s + 11, 2, &h) || s[13] != ':' ||
		    !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
			return -EINVAL;
		if (len > 19 && !(len == 20 && s[19] == 'Z'))
			return -EINVAL;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	time_t t = timegm(&tm);
	/* timegm normalises 31 February into March: refuse such dates. */
	struct tm back;
	if (!gmtime_r(&t, &back) || back.tm_mday != d || back.tm_mon != mo - 1)
		return -EINVAL;
	*ret = (int64_t)t;
	return 0;
}

char *vd_format_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "@%lld", (long long)t);
	return buf;
}

int vd_path_join(const char *base, const char *p, char *out, size_t len)
{
	int n;

	if (p[0] == '/' || !base || !base[0])
		n = snprintf(out, len, "%s", p);
	else
		n = snprintf(out, len, "%s/%s", base, p);
	if (n < 0 || (size_t)n >= len) {
		if (len)
			out[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}
