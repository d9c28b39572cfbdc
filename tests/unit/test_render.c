/* notify/render.c: the words of a notification and of the Details page, in
 * English exactly as before translations existed, and in Japanese under
 * LANGUAGE=ja (the build tree's .mo): titles and remedies from the catalogue's
 * translation, the first sentence cut at 。, plural-aware durations, the page's
 * lang and headings; a cut never splits a UTF-8 sequence. */
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

#include "render.h"
#include "vpndoctor/cause.h"
#include "vpndoctor/i18n.h"

#define SINCE 1795773600 /* 2026-11-27 10:00 UTC */

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

static void eq(char *got, const char *want)
{
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void has(const char *s, const char *part)
{
	if (!strstr(s, part))
		fail_msg("'%s' not in:\n%s", part, s);
}

static cJSON *finding(const char *cause, const char *tunnel)
{
	const struct vd_cause *c = vd_cause_find(cause);
	cJSON *f = cJSON_CreateObject(), *ev;

	assert_non_null(c);
	cJSON_AddStringToObject(f, "cause", cause);
	cJSON_AddStringToObject(f, "severity", "error");
	cJSON_AddStringToObject(f, "title", c->title);   /* the daemon's English */
	cJSON_AddStringToObject(f, "remedy", c->remedy);
	cJSON_AddStringToObject(f, "summary", "the key client.key does not exist");
	cJSON_AddStringToObject(f, "tunnel", tunnel);
	cJSON_AddNumberToObject(f, "since", SINCE);
	ev = cJSON_AddObjectToObject(f, "evidence");
	cJSON_AddStringToObject(ev, "file", "/home/u/R&D/office.ovpn");
	return f;
}

static void test_english(void **state)
{
	const struct vd_cause *c = vd_cause_find("config-invalid");
	cJSON *f = finding("config-invalid", "R&D");
	char *s;

	(void)state;
	use(NULL);
	eq(render_summary("The SSL client certificate is invalid or expired", "office", false),
	   "The SSL client certificate is invalid or expired (office)");
	eq(render_summary("T", "office", true), "Resolved: T (office)");
	eq(render_summary("T", "", false), "T");
	eq(render_summary("T", NULL, true), "Resolved: T");
	eq(render_body("the key x does not exist", "Do this. Then that.", false),
	   "the key x does not exist\nWhat to do: Do this. …");
	eq(render_body("a<b", "Fix & go", true), "a&lt;b\n<b>What to do:</b> Fix &amp; go");
	eq(render_resolved_body(SINCE, SINCE + 12 * 60),
	   "No longer seen after 12 min (open since 2026-11-27 10:00).");
	eq(render_resolved_body(SINCE, SINCE + 3 * 3600), "No longer seen after 3 h (open since 2026-11-27 10:00).");
	eq(render_resolved_body(0, SINCE), "No longer seen (open since an unknown time).");
	/* a text the catalogue has is the daemon's (it may be newer) */
	assert_string_equal(render_text("from the daemon", c->title), "from the daemon");
	assert_string_equal(render_text(NULL, c->title), c->title);
	assert_null(render_text(NULL, NULL));

	s = render_details_html(f, c, NULL);
	{
		char *l = render_details_html(f, c, "timeline-a&b.html");

		/* the link to the timeline, its name escaped; none without one */
		has(l, "<a href=\"timeline-a&amp;b.html\">The tunnel's timeline</a>");
		assert_null(strstr(s, "timeline"));
		free(l);
	}
	assert_non_null(s);
	has(s, "<html lang=\"en\">");
	has(s, "<h1>The SSL server or client configuration is invalid</h1>");
	has(s, "<p>Tunnel <b>R&amp;D</b>, error, open since 2026-11-27 10:00.</p>");
	has(s, "<h2>What was measured</h2>\n<p>the key client.key does not exist</p>");
	has(s, "<h2>What it means</h2>");
	has(s, "<h2>What you may notice</h2>\n<ul>\n<li>The client fails to connect to the SSL server</li>");
	has(s, "<h2>What to do</h2>\n<p>Download the client configuration again");
	has(s, "<p>More: <code>vpndoctor explain config-invalid</code>, <code>vpndoctor status</code>, "
	       "<code>journalctl -x -u vpndoctord</code>.</p>");
	free(s);
	s = render_details_text(f, c, false);
	has(s, "the key client.key does not exist\n\nThe client profile cannot work");
	has(s, "\n\nWhat to do: Download the client configuration again");
	free(s);
	cJSON_Delete(f);
}

static void test_japanese(void **state)
{
	const struct vd_cause *c = vd_cause_find("cert-expired");
	cJSON *f = finding("cert-expired", "office");
	char *s, *body;
	char longsum[600];

	(void)state;
	use("ja");
	/* the catalogue's translation wins over the daemon's English */
	assert_string_equal(render_text(c->title, c->title), "SSLクライアント証明書が無効または期限切れ");
	assert_string_equal(render_text("not in the catalogue", "nor this"), "not in the catalogue");
	eq(render_summary(render_text(c->title, c->title), "office", false),
	   "SSLクライアント証明書が無効または期限切れ（office）");
	eq(render_summary("T", "office", true), "解決: T（office）");
	eq(render_summary("T", NULL, true), "解決: T");
	/* the remedy's first sentence ends at 。 */
	eq(render_body("expired 3 days ago", render_text(c->remedy, c->remedy), false),
	   "expired 3 days ago\n対処方法: VPN Gatewayコンソールで、このSSLサーバーのSSLクライアント証明書を"
	   "新しく作成し、新しいクライアント設定をダウンロードして、古い証明書と鍵を置き換えます。 …");
	eq(render_resolved_body(SINCE, SINCE + 12 * 60), "12分後に検出されなくなりました（2026-11-27 10:00から発生）。");
	eq(render_resolved_body(SINCE, SINCE + 3 * 3600), "3時間後に検出されなくなりました（2026-11-27 10:00から発生）。");
	eq(render_resolved_body(0, SINCE), "検出されなくなりました（不明な時刻から発生）。");

	s = render_details_html(f, c, NULL);
	assert_non_null(s);
	has(s, "<html lang=\"ja\">");
	has(s, "<h1>SSLクライアント証明書が無効または期限切れ</h1>");
	has(s, "<p>トンネル <b>office</b>: エラー（2026-11-27 10:00から継続中）。</p>");
	has(s, "<h2>測定結果</h2>");
	has(s, "<h2>この原因について</h2>\n<p>クライアント証明書が有効期間外です。");
	has(s, "<h2>現れる症状</h2>\n<ul>\n<li>クライアントがSSLサーバーに接続できない</li>");
	has(s, "<h2>対処方法</h2>\n<p>VPN Gatewayコンソールで");
	has(s, "10分を超えて");
	has(s, "<p>詳しくは <code>vpndoctor explain cert-expired</code>、<code>vpndoctor status</code>、"
	       "<code>journalctl -x -u vpndoctord</code> を参照してください。</p>");
	free(s);
	s = render_details_text(f, c, true);
	has(s, "<b>対処方法:</b> VPN Gatewayコンソールで");
	free(s);

	/* a long Japanese summary is cut between characters, never inside one */
	longsum[0] = '\0';
	for (int i = 0; i < 40; i++)
		strcat(longsum, "時刻が"); /* 9 bytes each: 360 */
	body = render_body(longsum, "直してください。", false);
	assert_non_null(body);
	assert_int_equal(strncmp(body, longsum, RENDER_BODY_MAX / 2 / 9 * 9), 0);
	has(body, "…\n対処方法: 直してください。");
	for (const unsigned char *p = (const unsigned char *)body; *p; p++)
		if (*p >= 0x80 && (*p & 0xc0) != 0x80) { /* a lead byte: its sequence is whole */
			int n = *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : 1;
			for (int k = 1; k <= n; k++)
				assert_int_equal(p[k] & 0xc0, 0x80);
		}
	free(body);
	cJSON_Delete(f);
	use(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_english),
		cmocka_unit_test(test_japanese),
	};
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
