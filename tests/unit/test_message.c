/* lib/message.c and lib/i18n.c: messages built from a template and named
 * values, rendered in the daemon's English (the finding's summary, byte for
 * byte as printf wrote it before), through a language's hooks, and in
 * Japanese from the build's .mo; bad input (from a daemon a client cannot
 * trust) is refused or bounded, never read past. */
#include <errno.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "vpndoctor/i18n.h"
#include "vpndoctor/message.h"

#define END ((struct vd_arg){0})
#define NA 1794729600 /* 2026-11-15T08:00:00Z */

static cJSON *make(const char *id, const char *plural, const char *count, const struct vd_arg *args)
{
	cJSON *m = NULL;
	assert_int_equal(vd_msg_new(id, plural, count, args, &m), 0);
	assert_non_null(m);
	return m;
}

static void eq(char *got, const char *want)
{
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* The same text as the JSON a client gets. */
static cJSON *wire(cJSON *m)
{
	char *s = cJSON_PrintUnformatted(m);
	cJSON *r = cJSON_Parse(s);
	free(s);
	cJSON_Delete(m);
	assert_non_null(r);
	return r;
}

static void test_english(void **state)
{
	cJSON *role = make("client certificate", NULL, NULL, (struct vd_arg[]){END});
	cJSON *m = wire(make("the {role} {subject} expired {days} day ago (not after {not_after}, {judged})",
	                     "the {role} {subject} expired {days} days ago (not after {not_after}, {judged})", "days",
	                     (struct vd_arg[]){VD_MSG("role", role), VD_TEXT("subject", "CN=laptop"),
	                                       VD_NUM("days", 12, 0), VD_TIME("not_after", NA),
	                                       VD_PHRASE("judged", "by the NTP-corrected clock"), END}));

	eq(vd_msg_render(m, NULL),
	   "the client certificate CN=laptop expired 12 days ago (not after 2026-11-15T08:00:00Z, by the "
	   "NTP-corrected clock)");
	cJSON_SetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "values"), "days"),
	                                         "number"),
	                     1);
	eq(vd_msg_render(m, NULL),
	   "the client certificate CN=laptop expired 1 day ago (not after 2026-11-15T08:00:00Z, by the "
	   "NTP-corrected clock)");
	cJSON_Delete(m);
	cJSON_Delete(role);
}

static void test_numbers(void **state)
{
	/* "%.1f%%" and "%.0f" as the rules wrote them: the same rounding */
	cJSON *m = make("{loss}% of packets, {rtt} ms, {n} and {big}", NULL, NULL,
	                (struct vd_arg[]){VD_NUM("loss", 12.25, 1), VD_NUM("rtt", 171.5, 0), VD_NUM("n", 0.4, 0),
	                                  VD_NUM("big", 65536, 0), END});
	char want[128];

	snprintf(want, sizeof(want), "%.1f%% of packets, %.0f ms, %.0f and %.0f", 12.25, 171.5, 0.4, 65536.0);
	eq(vd_msg_render(m, NULL), want);
	cJSON_Delete(m);
	/* zero, one, many: English picks the singular for 1 only */
	for (int n = 0; n < 3; n++) {
		m = make("{n} line", "{n} lines", "n", (struct vd_arg[]){VD_NUM("n", n, 0), END});
		eq(vd_msg_render(m, NULL), n == 1 ? "1 line" : n == 0 ? "0 lines" : "2 lines");
		cJSON_Delete(m);
	}
}

static void test_braces(void **state)
{
	/* only {name} with a-z, 0-9, _ is a placeholder; the rest is text */
	cJSON *m = make("a {b c} {} {A} {x", NULL, NULL, (struct vd_arg[]){END});
	eq(vd_msg_render(m, NULL), "a {b c} {} {A} {x");
	cJSON_Delete(m);
	/* a value is never read as a template */
	m = make("[{v}]", NULL, NULL, (struct vd_arg[]){VD_TEXT("v", "{v}{v}"), END});
	eq(vd_msg_render(m, NULL), "[{v}{v}]");
	cJSON_Delete(m);
}

static void test_new_refuses(void **state)
{
	cJSON *m = (cJSON *)1;

	/* a placeholder with no value, in the id or the plural */
	assert_int_equal(vd_msg_new("a {x}", NULL, NULL, (struct vd_arg[]){END}, &m), -EINVAL);
	assert_int_equal(vd_msg_new("{n} a", "{n} a {y}", "n", (struct vd_arg[]){VD_NUM("n", 1, 0), END}, &m),
	                 -EINVAL);
	/* a name twice, a name that is no placeholder, a NULL text */
	assert_int_equal(vd_msg_new("{x}", NULL, NULL, (struct vd_arg[]){VD_TEXT("x", "1"), VD_TEXT("x", "2"), END},
	                            &m),
	                 -EINVAL);
	assert_int_equal(vd_msg_new("{x}", NULL, NULL, (struct vd_arg[]){VD_TEXT("x", "1"), VD_TEXT("Bad", "2"), END},
	                            &m),
	                 -EINVAL);
	assert_int_equal(vd_msg_new("{x}", NULL, NULL, (struct vd_arg[]){VD_TEXT("x", NULL), END}, &m), -EINVAL);
	/* a plural without its count, a count that is no number, digits out of range */
	assert_int_equal(vd_msg_new("a", "b", NULL, (struct vd_arg[]){END}, &m), -EINVAL);
	assert_int_equal(vd_msg_new("{n}", "{n}s", "n", (struct vd_arg[]){VD_TEXT("n", "1"), END}, &m), -EINVAL);
	assert_int_equal(vd_msg_new("{n}", NULL, NULL, (struct vd_arg[]){VD_NUM("n", 1, 12), END}, &m), -EINVAL);
	assert_ptr_equal(m, (cJSON *)1); /* untouched on failure */
}

static void render_fails(const char *json)
{
	cJSON *m = cJSON_Parse(json);
	char *s;

	assert_non_null(m);
	errno = 0;
	s = vd_msg_render(m, NULL);
	if (s)
		fail_msg("rendered %s as '%s'", json, s);
	assert_int_equal(errno, EINVAL);
	cJSON_Delete(m);
}

static void test_render_refuses(void **state)
{
	render_fails("{}");
	render_fails("{\"id\": 5}");
	render_fails("{\"id\": \"{x}\"}");
	render_fails("{\"id\": \"{x}\", \"values\": {\"x\": \"bare string\"}}");
	render_fails("{\"id\": \"{x}\", \"values\": {\"x\": {\"number\": \"5\"}}}");
	render_fails("{\"id\": \"{x}\", \"values\": {\"x\": {\"time\": 1e300}}}");
	render_fails("{\"id\": \"{n}\", \"plural\": \"{n}s\", \"count\": \"n\", \"values\": {\"n\": {\"text\": \"1\"}}}");
	render_fails("{\"id\": \"x\", \"values\": []}");
	assert_null(vd_msg_render(NULL, NULL));

	/* nesting: 8 levels render, 9 do not */
	for (int depth = 8; depth <= 9; depth++) {
		cJSON *m = make("end", NULL, NULL, (struct vd_arg[]){END});
		for (int i = 0; i < depth; i++) {
			cJSON *o = make("({x})", NULL, NULL, (struct vd_arg[]){VD_MSG("x", m), END});
			cJSON_Delete(m);
			m = o;
		}
		char *s = vd_msg_render(m, NULL);
		if (depth == 8)
			eq(s, "((((((((end))))))))");
		else
			assert_null(s);
		cJSON_Delete(m);
	}
	/* a message that multiplies itself stops at the size bound */
	{
		cJSON *m = make("0123456789", NULL, NULL, (struct vd_arg[]){END});
		for (int i = 0; i < 6; i++) {
			cJSON *o = make("{x}{x}{x}{x}{x}{x}{x}{x}{x}{x}", NULL, NULL, (struct vd_arg[]){VD_MSG("x", m), END});
			cJSON_Delete(m);
			m = o;
		}
		errno = 0;
		assert_null(vd_msg_render(m, NULL));
		assert_int_equal(errno, EINVAL);
		cJSON_Delete(m);
	}
	/* digits out of range from the wire: none, not 10^9 zeros */
	{
		cJSON *m = cJSON_Parse("{\"id\": \"{x}\", \"values\": {\"x\": {\"number\": 1.5, \"digits\": 1e9}}}");
		eq(vd_msg_render(m, NULL), "2");
		cJSON_Delete(m);
	}
}

/* A language whose translation of "{n} file" names a value the message lacks,
 * and which writes numbers and times its own way. */
static const char *bad_gettext(const char *id)
{
	return strcmp(id, "{n} file!") == 0 ? "{m} Datei!" : strcmp(id, "in {t}") == 0 ? "um {t}" : id;
}

static const char *bad_ngettext(const char *id, const char *plural, unsigned long n)
{
	return strcmp(id, "{n} file") == 0 ? "{n} Datei{en" : n == 1 ? id : plural;
}

static void de_number(char *buf, size_t len, double v, int digits)
{
	snprintf(buf, len, "<%.*f>", digits, v);
}

static void de_time(char *buf, size_t len, int64_t t)
{
	snprintf(buf, len, "T%lld", (long long)t);
}

static void test_lang(void **state)
{
	const struct vd_msg_lang de = {bad_gettext, bad_ngettext, de_number, de_time};
	cJSON *m = make("{n} file!", NULL, NULL, (struct vd_arg[]){VD_NUM("n", 3, 1), END});

	/* the translation names {m}: the English one is used, the hooks still */
	eq(vd_msg_render(m, &de), "<3.0> file!");
	cJSON_Delete(m);
	/* a translation with a lone brace is text, and is used */
	m = make("{n} file", "{n} files", "n", (struct vd_arg[]){VD_NUM("n", 2, 0), END});
	eq(vd_msg_render(m, &de), "<2> Datei{en");
	cJSON_Delete(m);
	m = make("in {t}", NULL, NULL, (struct vd_arg[]){VD_TIME("t", 5), END});
	eq(vd_msg_render(m, &de), "um T5");
	cJSON_Delete(m);
}

/* The reader's language: Japanese from the build's .mo under LANGUAGE=ja. */
static void use(const char *lang)
{
	static char dir[4096];
	const char *bin = getenv("VD_BIN");

	if (!dir[0]) {
		assert_non_null(bin);
		snprintf(dir, sizeof(dir), "%s/../locale", bin);
		bindtextdomain(VD_TEXTDOMAIN, dir);
		bind_textdomain_codeset(VD_TEXTDOMAIN, "UTF-8");
	}
	if (lang) {
		setenv("LANGUAGE", lang, 1);
		assert_non_null(setlocale(LC_ALL, "C.UTF-8"));
	} else {
		unsetenv("LANGUAGE");
		assert_non_null(setlocale(LC_ALL, "C"));
	}
	textdomain(textdomain(NULL)); /* flush gettext's caches */
}

static void test_japanese(void **state)
{
	cJSON *m = wire(make("the {role} {subject} expired {days} day ago (not after {not_after}, {judged})",
	                     "the {role} {subject} expired {days} days ago (not after {not_after}, {judged})", "days",
	                     (struct vd_arg[]){VD_PHRASE("role", "client certificate"), VD_TEXT("subject", "CN=laptop"),
	                                       VD_NUM("days", 12, 0), VD_TIME("not_after", NA),
	                                       VD_PHRASE("judged", "by the NTP-corrected clock"), END}));
	cJSON *more = NULL;
	char tb[64];

	setenv("TZ", "JST-9", 1);
	tzset();
	use("ja");
	eq(vd_i18n_render(m),
	   "SSLクライアント証明書（CN=laptop）の有効期限が12日前に切れています（期限：2026/11/15 "
	   "17:00:00、NTPで補正した時刻で判定）");
	/* nested in "and N more", placed where Japanese puts it */
	assert_int_equal(vd_msg_new("{summary}, and {more} more", "{summary}, and {more} more", "more",
	                            (struct vd_arg[]){VD_MSG("summary", m), VD_NUM("more", 2, 0), END}, &more),
	                 0);
	eq(vd_i18n_render(more),
	   "SSLクライアント証明書（CN=laptop）の有効期限が12日前に切れています（期限：2026/11/15 "
	   "17:00:00、NTPで補正した時刻で判定）（ほか2件）");
	assert_string_equal(vd_i18n_format_time(NA, tb, sizeof(tb)), "2026/11/15 17:00:00");

	/* the C locale: the daemon's English, times in UTC, whatever TZ says */
	use(NULL);
	eq(vd_i18n_render(m),
	   "the client certificate CN=laptop expired 12 days ago (not after 2026-11-15T08:00:00Z, by the "
	   "NTP-corrected clock)");
	cJSON_Delete(more);
	cJSON_Delete(m);
	unsetenv("TZ");
	tzset();
}

static void test_member_fallback(void **state)
{
	cJSON *f = cJSON_Parse("{\"summary\": \"as the daemon wrote it\", \"summary_message\": {\"id\": \"{gone}\"}}");

	use(NULL);
	/* a message this client cannot render: the English text */
	eq(vd_i18n_render_member(f, "summary_message", "summary"), "as the daemon wrote it");
	cJSON_DeleteItemFromObject(f, "summary_message");
	eq(vd_i18n_render_member(f, "summary_message", "summary"), "as the daemon wrote it");
	cJSON_DeleteItemFromObject(f, "summary");
	assert_null(vd_i18n_render_member(f, "summary_message", "summary"));
	cJSON_Delete(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_english),      cmocka_unit_test(test_numbers),     cmocka_unit_test(test_braces),
		cmocka_unit_test(test_new_refuses),  cmocka_unit_test(test_render_refuses), cmocka_unit_test(test_lang),
		cmocka_unit_test(test_japanese),     cmocka_unit_test(test_member_fallback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
