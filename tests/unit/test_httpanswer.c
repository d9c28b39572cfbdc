/* The connectivity check's answer (lib/httpanswer.c): what a network's web
 * server, a hotel's login page or something that is no web server at all may
 * send, whole and in pieces. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vpndoctor/httpanswer.h"

static int feed_str(struct vd_http_answer *a, const char *s)
{
	return vd_http_answer_feed(a, s, strlen(s));
}

static void test_no_content(void **state)
{
	struct vd_http_answer a;

	(void)state;
	vd_http_answer_init(&a);
	assert_int_equal(feed_str(&a, "HTTP/1.1 204 No Content\r\nServer: x\r\n"), 0);
	assert_false(vd_http_answer_usable(&a));
	assert_int_equal(feed_str(&a, "\r\n"), 1);
	assert_int_equal(a.status, 204);
	assert_true(vd_http_answer_usable(&a));
	assert_string_equal(vd_http_answer_verdict(&a, NULL), "full");
	assert_string_equal(vd_http_answer_verdict(&a, ""), "full");
	/* expected a body: a 204 is not it */
	assert_string_equal(vd_http_answer_verdict(&a, "success"), "portal");
	/* more changes nothing */
	assert_int_equal(feed_str(&a, "HTTP/1.1 302 Found\r\n"), 1);
	assert_int_equal(a.status, 204);
}

static void test_expected_body(void **state)
{
	struct vd_http_answer a;

	(void)state;
	vd_http_answer_init(&a);
	assert_int_equal(feed_str(&a, "HTTP/1.0 200 OK\nContent-Length: 8\n\nsuccess\nTRAILING"), 1);
	assert_int_equal(a.content_length, 8);
	assert_int_equal(a.body_len, 8);
	assert_string_equal(a.body, "success\n");
	assert_string_equal(vd_http_answer_verdict(&a, "success"), "full");
	assert_string_equal(vd_http_answer_verdict(&a, "succeeded"), "portal");
	/* nothing expected: a 200 with a body is somebody's page */
	assert_string_equal(vd_http_answer_verdict(&a, NULL), "portal");

	/* no Content-Length: the body runs to the end of the stream */
	vd_http_answer_init(&a);
	assert_int_equal(feed_str(&a, "HTTP/1.1 200 OK\r\n\r\nsucc"), 0);
	assert_int_equal(feed_str(&a, "ess"), 0);
	assert_true(vd_http_answer_usable(&a));
	assert_string_equal(vd_http_answer_verdict(&a, "success"), "full");

	/* an empty 200 is what NetworkManager's default check wants */
	vd_http_answer_init(&a);
	assert_int_equal(feed_str(&a, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), 1);
	assert_string_equal(vd_http_answer_verdict(&a, NULL), "full");
}

static void test_login_page(void **state)
{
	struct vd_http_answer a;

	(void)state;
	vd_http_answer_init(&a);
	assert_int_equal(feed_str(&a, "HTTP/1.1 302 Found\r\nlocation:\t http://login.example/\x1b[2J?a\x07\r\n"
	                              "Location: http://second.example/\r\nContent-Length: 0\r\n\r\n"),
	                 1);
	assert_int_equal(a.status, 302);
	/* the first Location, escaped: no control character is left */
	assert_non_null(strstr(a.redirect, "http://login.example/"));
	assert_null(strstr(a.redirect, "second"));
	for (const char *c = a.redirect; *c; c++)
		assert_true((unsigned char)*c >= 0x20 && *c != 0x7f);
	assert_string_equal(vd_http_answer_verdict(&a, NULL), "portal");

	vd_http_answer_init(&a);
	assert_int_equal(feed_str(&a, "HTTP/1.1 511 Network Authentication Required\r\nContent-Length: 5\r\n\r\n<html"), 1);
	assert_string_equal(vd_http_answer_verdict(&a, NULL), "portal");
	assert_string_equal(vd_http_answer_verdict(&a, "success"), "portal");
}

static void test_not_http(void **state)
{
	struct vd_http_answer a;

	(void)state;
	vd_http_answer_init(&a);
	assert_int_equal(feed_str(&a, "SSH-2.0-OpenSSH_9.6\r\n"), -EINVAL);
	assert_int_equal(feed_str(&a, "HTTP/1.1 204 No Content\r\n\r\n"), -EINVAL);
	assert_false(vd_http_answer_usable(&a));

	vd_http_answer_init(&a);
	assert_int_equal(feed_str(&a, "HTTP/1.1 99 Odd\r\n"), -EINVAL);
	vd_http_answer_init(&a);
	assert_int_equal(feed_str(&a, "HTTP/1.1 600 Odd\r\n"), -EINVAL);
	vd_http_answer_init(&a);
	assert_int_equal(feed_str(&a, "\r\nHTTP/1.1 204 No Content\r\n\r\n"), -EINVAL);
	/* a NUL in the status line ends what is read of it */
	vd_http_answer_init(&a);
	assert_int_equal(vd_http_answer_feed(&a, "HTTP/1.1\0 204\r\n", 15), -EINVAL);

	/* a head cut short by the end of the stream is no answer to judge */
	vd_http_answer_init(&a);
	assert_int_equal(feed_str(&a, "HTTP/1.1 200 OK\r\nContent-"), 0);
	assert_false(vd_http_answer_usable(&a));
}

static void test_bounds(void **state)
{
	struct vd_http_answer a;
	char *big = malloc(VD_HTTPANS_HEAD_MAX + 64);

	(void)state;
	assert_non_null(big);
	/* one endless header line: refused once the head passes its bound */
	vd_http_answer_init(&a);
	assert_int_equal(feed_str(&a, "HTTP/1.1 200 OK\r\nX: "), 0);
	memset(big, 'a', VD_HTTPANS_HEAD_MAX + 63);
	big[VD_HTTPANS_HEAD_MAX + 63] = '\0';
	assert_int_equal(feed_str(&a, big), -E2BIG);

	/* many short header lines, the same */
	vd_http_answer_init(&a);
	assert_int_equal(feed_str(&a, "HTTP/1.1 200 OK\r\n"), 0);
	int r = 0;
	for (int i = 0; i < VD_HTTPANS_HEAD_MAX && r == 0; i++)
		r = feed_str(&a, "X: y\r\n");
	assert_int_equal(r, -E2BIG);

	/* a Location longer than a line is kept: cut to its bound */
	vd_http_answer_init(&a);
	assert_int_equal(feed_str(&a, "HTTP/1.1 302 Found\r\nLocation: http://"), 0);
	memset(big, 'b', 3000);
	big[3000] = '\0';
	assert_int_equal(feed_str(&a, big), 0);
	assert_int_equal(feed_str(&a, "\r\n\r\n"), 0);
	assert_true(strlen(a.redirect) <= VD_HTTPANS_REDIRECT_MAX);
	assert_memory_equal(a.redirect, "http://bbb", 10);

	/* a body longer than what is kept: complete at its bound */
	vd_http_answer_init(&a);
	assert_int_equal(feed_str(&a, "HTTP/1.1 200 OK\r\n\r\n"), 0);
	memset(big, 'c', VD_HTTPANS_BODY_MAX + 10);
	assert_int_equal(vd_http_answer_feed(&a, big, VD_HTTPANS_BODY_MAX + 10), 1);
	assert_int_equal(a.body_len, VD_HTTPANS_BODY_MAX);
	assert_int_equal(a.body[VD_HTTPANS_BODY_MAX], '\0');
	free(big);
}

/* Byte by byte or whole: the same answer. */
static void test_pieces(void **state)
{
	static const char ans[] = "HTTP/1.1 302 Moved\r\nContent-Length: 11\r\nLocation: /login\r\n\r\n<html></ht>";
	struct vd_http_answer whole, bytes;
	int r = 0;

	(void)state;
	vd_http_answer_init(&whole);
	assert_int_equal(vd_http_answer_feed(&whole, ans, sizeof(ans) - 1), 1);
	vd_http_answer_init(&bytes);
	for (size_t i = 0; i < sizeof(ans) - 1; i++) {
		assert_int_equal(r, 0);
		r = vd_http_answer_feed(&bytes, ans + i, 1);
	}
	assert_int_equal(r, 1);
	assert_int_equal(whole.status, bytes.status);
	assert_string_equal(whole.redirect, "/login");
	assert_string_equal(bytes.redirect, "/login");
	assert_int_equal(bytes.body_len, 11);
	assert_string_equal(whole.body, bytes.body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_content), cmocka_unit_test(test_expected_body),
		cmocka_unit_test(test_login_page), cmocka_unit_test(test_not_http),
		cmocka_unit_test(test_bounds),     cmocka_unit_test(test_pieces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
