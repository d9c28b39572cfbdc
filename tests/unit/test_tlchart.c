/* lib/tlchart.c: the sparkline (cells in time, blanks where nothing was
 * measured, the round trip's scale and loss's fixed steps, ASCII and UTF-8,
 * other tunnels and samples out of the window skipped, the legend) and the
 * page (a section and four charts per tunnel, events marked and listed with
 * their text escaped, a tunnel name that is markup, the window starting at
 * the data, a recording drawn per second, no script, an empty page). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "vpndoctor/tlchart.h"

#define END 1790003640 /* a minute's turn */

static cJSON *sample(const char *tunnel, int64_t t, double rtt, double loss)
{
	char buf[512];

	snprintf(buf, sizeof(buf),
	         "{\"tunnel\":\"%s\",\"time\":%lld,\"period_s\":60,\"state\":\"connected\",\"health\":\"healthy\","
	         "\"inside\":{\"sent\":20,\"received\":20,\"loss_pct\":%g,\"rtt_median_ms\":%g,\"rtt_p95_ms\":%g}}",
	         tunnel, (long long)t, loss, rtt, rtt + 5);
	return cJSON_Parse(buf);
}

static void test_spark(void **state)
{
	cJSON *s = cJSON_CreateArray();
	char line[256], legend[64];
	size_t n;

	/* 10 cells of a minute: 10, 20, gap, 40, then loss 0, 0.5, 1, 7, 60 */
	cJSON_AddItemToArray(s, sample("office", END - 600, 10, 0));
	cJSON_AddItemToArray(s, sample("office", END - 540, 20, 0));
	cJSON_AddItemToArray(s, sample("office", END - 420, 40, 0.5));
	cJSON_AddItemToArray(s, sample("office", END - 360, 40, 1));
	cJSON_AddItemToArray(s, sample("office", END - 300, 40, 7));
	cJSON_AddItemToArray(s, sample("office", END - 60, 0.5, 60));
	/* out of the window, and another tunnel: not drawn */
	cJSON_AddItemToArray(s, sample("office", END, 999, 100));
	cJSON_AddItemToArray(s, sample("office", END - 660, 999, 100));
	cJSON_AddItemToArray(s, sample("home", END - 600, 999, 100));

	n = vd_tlchart_spark(s, "office", END, 10, 60, VD_TLCHART_RTT, false, line, sizeof(line), legend,
	                     sizeof(legend));
	assert_int_equal(n, 6);
	assert_string_equal(line, ".- ###   _");
	assert_string_equal(legend, "0.5-40 ms");
	n = vd_tlchart_spark(s, "office", END, 10, 60, VD_TLCHART_LOSS, false, line, sizeof(line), legend,
	                     sizeof(legend));
	assert_int_equal(n, 6);
	assert_string_equal(line, "__ .,=   #");
	assert_string_equal(legend, "max 60 %");
	n = vd_tlchart_spark(s, "office", END, 10, 60, VD_TLCHART_RTT, true, line, sizeof(line), NULL, 0);
	assert_string_equal(line, "\u2582\u2584 \u2588\u2588\u2588   \u2581");
	/* a restart's two samples in one minute: the worse of them */
	cJSON_AddItemToArray(s, sample("office", END - 600 + 30, 30, 0));
	vd_tlchart_spark(s, "office", END, 10, 60, VD_TLCHART_RTT, false, line, sizeof(line), NULL, 0);
	assert_int_equal(line[0], '+');
	/* nothing measured */
	n = vd_tlchart_spark(s, "nowhere", END, 10, 60, VD_TLCHART_RTT, false, line, sizeof(line), legend,
	                     sizeof(legend));
	assert_int_equal(n, 0);
	assert_string_equal(line, "          ");
	assert_string_equal(legend, "no measurement");
	/* a small buffer is cut, never overrun, and still ends */
	vd_tlchart_spark(s, "office", END, 10, 60, VD_TLCHART_RTT, true, line, 8, NULL, 0);
	assert_true(strlen(line) < 8);
	cJSON_Delete(s);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_page(void **state)
{
	cJSON *s = cJSON_CreateArray(), *ev = cJSON_Parse(
		"[{\"time\":1790001000,\"event\":\"opened\",\"tunnel\":\"a<b>\",\"cause\":\"clock-skew\","
		"\"severity\":\"error\",\"summary\":\"<script>alert(1)</script> & 'x'\"},"
		"{\"time\":1790002000,\"event\":\"resolved\",\"tunnel\":\"a<b>\",\"cause\":\"clock-skew\","
		"\"severity\":\"error\",\"summary\":\"ok\"},"
		"{\"time\":1790002500,\"event\":\"opened\",\"tunnel\":\"\",\"cause\":\"host-wide\","
		"\"severity\":\"warning\",\"summary\":\"of every tunnel\"},"
		"{\"time\":1000,\"event\":\"opened\",\"tunnel\":\"a<b>\",\"cause\":\"long-ago\",\"severity\":\"info\"}]");
	cJSON *rec = cJSON_Parse("{\"started\":1790003000,\"ended\":1790003010,\"samples\":["
	                         "{\"tunnel\":\"a<b>\",\"time\":1790003001,\"period_s\":1,"
	                         "\"inside\":{\"sent\":10,\"received\":9,\"loss_pct\":10,\"rtt_median_ms\":12}},"
	                         "{\"tunnel\":\"a<b>\",\"time\":1790003002,\"period_s\":1,"
	                         "\"inside\":{\"sent\":10,\"received\":10,\"loss_pct\":0,\"rtt_median_ms\":14}}]}");
	char *page;

	for (int i = 0; i < 60; i++)
		cJSON_AddItemToArray(s, sample("a<b>", END - 3600 + 60 * i, 20 + i % 5, i == 30 ? 10 : 0));
	page = vd_tlchart_html(s, ev, rec, END - 7 * 86400, END, END);
	assert_non_null(page);
	assert_null(strstr(page, "<script"));
	assert_null(strstr(page, "a<b>"));
	assert_non_null(strstr(page, "default-src 'none'"));
	assert_non_null(strstr(page, "data-tunnel=\"a&lt;b&gt;\""));
	assert_non_null(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#39;x&#39;"));
	/* one tunnel: four charts, and four more for the recording */
	assert_int_equal(count(page, "<svg class=\"chart\""), 8);
	/* 3 events in the window (the one of long ago is not), on 4 charts;
	 * the recording's window has none */
	assert_int_equal(count(page, "<g class=\"marker"), 12);
	assert_null(strstr(page, "long-ago"));
	assert_int_equal(count(page, "<li class="), 3);
	/* the host-wide finding is on this tunnel's charts too, its span to the end */
	assert_int_equal(count(page, "data-cause=\"host-wide\""), 4);
	assert_int_equal(count(page, "<rect class=\"span"), 8);
	/* the window starts at the data's hour, not a week before it */
	assert_non_null(strstr(page, "2026-09-21"));
	assert_non_null(strstr(page, "<section class=\"recording\">"));
	assert_non_null(strstr(page, "data-points=\"2\""));
	free(page);

	/* nothing at all: still a page, that says so */
	page = vd_tlchart_html(NULL, NULL, NULL, END - 3600, END, END);
	assert_non_null(page);
	assert_non_null(strstr(page, "No tunnel has a timeline yet."));
	assert_null(strstr(page, "<svg"));
	free(page);
	cJSON_Delete(s);
	cJSON_Delete(ev);
	cJSON_Delete(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spark),
		cmocka_unit_test(test_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
