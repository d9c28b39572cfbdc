/* notify/render.c (compiled in here: the notifier is a program, not a lib
 * module): what a notification or the details page shows of a finding is
 * escaped, terminal and bidi controls and bytes that are not UTF-8 (which
 * D-Bus would refuse) as vd_text_escape does, and for markup also & < >
 * (issue 16 item 9). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../notify/render.c"

static void test_summary(void **state)
{
	char *s = render_summary("Title\x1b]0;pwned\x07", "t\xff\xe2\x80\xae", false);

	(void)state;
	assert_string_equal(s, "Title\\x1b]0;pwned\\x07 (t\\xff\\u202e)");
	free(s);
	s = render_summary("Plain", NULL, true);
	assert_string_equal(s, "Resolved: Plain");
	free(s);
}

static void test_body(void **state)
{
	char *s;

	(void)state;
	s = render_body("the ca file /x/\x1b[31mR&D<b>.crt does not exist", "Fix it. Then more.", true);
	assert_string_equal(s, "the ca file /x/\\x1b[31mR&amp;D&lt;b&gt;.crt does not exist\n"
	                       "<b>What to do:</b> Fix it. …");
	free(s);
	s = render_body("a\nb\x9b", NULL, false); /* a stray byte, not UTF-8 */
	assert_string_equal(s, "a\\nb\\x9b\n");
	free(s);
}

static void test_details(void **state)
{
	cJSON *f = cJSON_Parse("{\"title\":\"T\",\"tunnel\":\"x\\u001b[2J\",\"cause\":\"config-invalid\","
	                       "\"severity\":\"error\\u0085\",\"summary\":\"s\\u0007\",\"remedy\":\"r\","
	                       "\"evidence\":{\"k\\u001b\":\"v\\u009b\"}}");
	char *html, *text;

	(void)state;
	assert_non_null(f);
	html = render_details_html(f, NULL, NULL);
	assert_non_null(strstr(html, "Tunnel <b>x\\x1b[2J</b>, finding, open since"));
	assert_non_null(strstr(html, "<p>s\\x07</p>"));
	assert_non_null(strstr(html, "<tr><th>k\\x1b</th><td>v\\u009b</td></tr>"));
	assert_null(strchr(html, '\x1b'));
	text = render_details_text(f, NULL, false);
	assert_string_equal(text, "s\\x07\n\nWhat to do: r");
	free(html);
	free(text);
	cJSON_Delete(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_details),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
