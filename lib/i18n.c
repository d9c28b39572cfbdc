/* The reader's language for messages: the one part of the library that
 * reads the locale and the translations (gettext), for the CLI and the
 * notifier; the daemon never calls it and renders its messages in English. */
#include <errno.h>
#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "vpndoctor/i18n.h"
#include "vpndoctor/message.h"

static const char *lang_gettext(const char *id)
{
	return dgettext(VD_TEXTDOMAIN, id);
}

static const char *lang_ngettext(const char *id, const char *plural, unsigned long n)
{
	return dngettext(VD_TEXTDOMAIN, id, plural, n);
}

/* The process keeps LC_NUMERIC "C" (JSON and parsing); numbers for people use
 * the environment's, for this thread and this call only. */
static void lang_number(char *buf, size_t len, double v, int digits)
{
	locale_t loc = newlocale(LC_NUMERIC_MASK, "", (locale_t)0), old;

	if (loc == (locale_t)0) {
		snprintf(buf, len, "%.*f", digits, v);
		return;
	}
	old = uselocale(loc);
	snprintf(buf, len, "%'.*f", digits, v);
	uselocale(old);
	freelocale(loc);
}

static bool c_locale(const char *name)
{
	return !name || strcmp(name, "C") == 0 || strcmp(name, "POSIX") == 0 || strncmp(name, "C.", 2) == 0;
}

char *vd_i18n_format_time(int64_t t, char *buf, size_t len)
{
	/* TRANSLATORS: how a date and time is written for people (strftime(3),
	 * the reader's local time), e.g. "%Y年%-m月%-d日 %H:%M:%S". Untranslated,
	 * it is the locale's own "%x %X", and ISO 8601 in UTC in the C locale.
	 * xgettext:no-c-format */
	const char *fmt = C_("time format", "%x %X");
	time_t tt = (time_t)t;
	struct tm tm;

	if (strcmp(fmt, "%x %X") == 0 && c_locale(setlocale(LC_TIME, NULL)))
		return vd_format_time(t, buf, len);
	if (!localtime_r(&tt, &tm))
		return vd_format_time(t, buf, len);
	/* the format is the translation's: only conversions, no arguments to misread */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	size_t n = strftime(buf, len, fmt, &tm);
#pragma GCC diagnostic pop
	return n ? buf : vd_format_time(t, buf, len);
}

static void lang_time(char *buf, size_t len, int64_t t)
{
	vd_i18n_format_time(t, buf, len);
}

const struct vd_msg_lang *vd_i18n_lang(void)
{
	static const struct vd_msg_lang lang = {
		.gettext = lang_gettext,
		.ngettext = lang_ngettext,
		.number = lang_number,
		.time = lang_time,
	};
	return &lang;
}

char *vd_i18n_render(const cJSON *msg)
{
	return vd_msg_render(msg, vd_i18n_lang());
}

char *vd_i18n_render_member(const cJSON *obj, const char *key, const char *fallback)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, key);
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, fallback);
	char *s = cJSON_IsObject(m) ? vd_i18n_render(m) : NULL;

	if (!s && cJSON_IsString(f))
		s = strdup(f->valuestring);
	return s;
}
