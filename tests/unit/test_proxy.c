/* The proxies' requests and replies (lib/proxy.c): bytes as OpenVPN would
 * send them, answers fed in pieces, and what a hostile proxy may send. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vpndoctor/proxy.h"

static void test_http_request(void **state)
{
	char b[512];
	int n;

	(void)state;
	n = vd_proxy_http_request("203.0.113.7", 1194, "vpndoctord/1", b, sizeof(b));
	assert_int_equal(n, (int)strlen(b));
	assert_string_equal(b, "CONNECT 203.0.113.7:1194 HTTP/1.1\r\nHost: 203.0.113.7:1194\r\n"
	                       "User-Agent: vpndoctord/1\r\nProxy-Connection: keep-alive\r\n\r\n");
	assert_true(vd_proxy_http_request("2001:db8::7", 443, NULL, b, sizeof(b)) > 0);
	assert_non_null(strstr(b, "CONNECT [2001:db8::7]:443 HTTP/1.1\r\nHost: [2001:db8::7]:443\r\n"));
	assert_null(strstr(b, "User-Agent"));
	assert_true(vd_proxy_http_request("vpn.example.test", 1194, NULL, b, sizeof(b)) > 0);
	/* nothing a request line cannot carry */
	assert_int_equal(vd_proxy_http_request("vpn.example.test\r\nX: y", 1194, NULL, b, sizeof(b)), -EINVAL);
	assert_int_equal(vd_proxy_http_request("vpn example", 1194, NULL, b, sizeof(b)), -EINVAL);
	assert_int_equal(vd_proxy_http_request("", 1194, NULL, b, sizeof(b)), -EINVAL);
	assert_int_equal(vd_proxy_http_request("h", 0, NULL, b, sizeof(b)), -EINVAL);
	assert_int_equal(vd_proxy_http_request("h", 65536, NULL, b, sizeof(b)), -EINVAL);
	assert_int_equal(vd_proxy_http_request("h", 1, "a\nb", b, sizeof(b)), -EINVAL);
	assert_int_equal(vd_proxy_http_request("h", 1, NULL, b, 20), -ENOSPC);
}

static void test_http_reply(void **state)
{
	static const char ok[] = "HTTP/1.1 200 Connection established\r\nVia: squid\r\n\r\n\x38\x00TLS...";
	struct vd_proxy_http_reply r;
	size_t head = 0;

	(void)state;
	/* fed in pieces: nothing until the blank line */
	for (size_t n = 0; n < 48; n++)
		assert_int_equal(vd_proxy_http_parse(ok, n, &r, &head), 0);
	assert_int_equal(vd_proxy_http_parse(ok, sizeof(ok) - 1, &r, &head), 1);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.line, "HTTP/1.1 200 Connection established");
	assert_int_equal(head, 51);
	assert_int_equal(ok[head], 0x38); /* the tunnel's first byte */

	assert_int_equal(vd_proxy_http_parse("HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: "
	                                     "Basic realm=\"corp\"\r\n\r\n", 87, &r, &head), 1);
	assert_int_equal(r.status, 407);
	assert_string_equal(r.line, "HTTP/1.0 407 Proxy Authentication Required");
	/* a sloppy proxy's bare newlines */
	assert_int_equal(vd_proxy_http_parse("HTTP/1.1 403 Forbidden\n\n", 24, &r, &head), 1);
	assert_int_equal(r.status, 403);
	assert_int_equal(head, 24);
	/* remote text: escaped, and cut */
	assert_int_equal(vd_proxy_http_parse("HTTP/1.1 403 \x1b[31mno\x7f\r\n\r\n", 27, &r, &head), 1);
	assert_string_equal(r.line, "HTTP/1.1 403 \\x1b[31mno\\x7f");
	char big[600];
	memset(big, 'x', sizeof(big));
	memcpy(big, "HTTP/1.1 502 ", 13);
	memcpy(big + 590, "\r\n\r\n", 4);
	assert_int_equal(vd_proxy_http_parse(big, 594, &r, &head), 1);
	assert_int_equal(strlen(r.line), VD_PROXY_REPLY_MAX - 1);
	/* not HTTP: said at once, not waited for */
	assert_int_equal(vd_proxy_http_parse("SSH-2.0-OpenSSH\r\n", 17, &r, &head), -EINVAL);
	assert_int_equal(vd_proxy_http_parse("\x05\x00", 2, &r, &head), -EINVAL);
	assert_int_equal(vd_proxy_http_parse("HTTP/1.1 2000 x\r\n\r\n", 19, &r, &head), -EINVAL);
	assert_int_equal(vd_proxy_http_parse("HTTP/1.1 099 x\r\n\r\n", 18, &r, &head), -EINVAL);
	assert_int_equal(vd_proxy_http_parse("HTTP/x.1 200 x\r\n\r\n", 18, &r, &head), -EINVAL);
	/* a head that never ends */
	static char endless[VD_PROXY_HEAD_MAX + 10];
	memset(endless, 'a', sizeof(endless));
	memcpy(endless, "HTTP/1.1 200 OK\r\n", 17);
	assert_int_equal(vd_proxy_http_parse(endless, sizeof(endless), &r, &head), -E2BIG);
	assert_int_equal(vd_proxy_http_parse(endless, 100, &r, &head), 0);
}

static void test_socks5(void **state)
{
	uint8_t b[300], m;
	size_t used;
	int n;

	(void)state;
	vd_socks5_greeting(b);
	assert_memory_equal(b, "\x05\x01\x00", 3);
	assert_int_equal(vd_socks5_method((const uint8_t *)"\x05", 1, &m), 0);
	assert_int_equal(vd_socks5_method((const uint8_t *)"\x05\x00", 2, &m), 1);
	assert_int_equal(m, 0);
	assert_int_equal(vd_socks5_method((const uint8_t *)"\x05\xff", 2, &m), 1);
	assert_int_equal(m, 0xff);
	assert_int_equal(vd_socks5_method((const uint8_t *)"\x04\x5a", 2, &m), -EINVAL);
	assert_int_equal(vd_socks5_method((const uint8_t *)"HTTP", 4, &m), -EINVAL);

	n = vd_socks5_request("203.0.113.7", 1194, b, sizeof(b));
	assert_int_equal(n, 10);
	assert_memory_equal(b, "\x05\x01\x00\x01\xcb\x00\x71\x07\x04\xaa", 10);
	n = vd_socks5_request("2001:db8::7", 443, b, sizeof(b));
	assert_int_equal(n, 22);
	assert_int_equal(b[3], 4);
	assert_int_equal(b[20], 0x01);
	assert_int_equal(b[21], 0xbb);
	n = vd_socks5_request("vpn.example.test", 1194, b, sizeof(b));
	assert_int_equal(n, 4 + 1 + 16 + 2);
	assert_int_equal(b[3], 3);
	assert_int_equal(b[4], 16);
	assert_memory_equal(b + 5, "vpn.example.test", 16);
	assert_int_equal(vd_socks5_request("a:b", 1194, b, sizeof(b)), -EINVAL);
	assert_int_equal(vd_socks5_request("vpn.example.test", 1194, b, 10), -ENOSPC);
	assert_int_equal(vd_socks5_request("x y", 1194, b, sizeof(b)), -EINVAL);

	/* replies, whole and in pieces, with each kind of bound address */
	static const uint8_t v4[] = {5, 0, 0, 1, 10, 0, 0, 1, 0x12, 0x34, 0x38};
	for (size_t k = 0; k < 10; k++)
		assert_int_equal(vd_socks5_reply(v4, k, &m, &used), 0);
	assert_int_equal(vd_socks5_reply(v4, sizeof(v4), &m, &used), 1);
	assert_int_equal(m, 0);
	assert_int_equal(used, 10);
	static const uint8_t name[] = {5, 2, 0, 3, 3, 'a', 'b', 'c', 0, 80};
	assert_int_equal(vd_socks5_reply(name, sizeof(name), &m, &used), 1);
	assert_int_equal(m, 2);
	assert_int_equal(used, sizeof(name));
	uint8_t v6[22] = {5, 5, 0, 4};
	assert_int_equal(vd_socks5_reply(v6, 21, &m, &used), 0);
	assert_int_equal(vd_socks5_reply(v6, 22, &m, &used), 1);
	assert_string_equal(vd_socks5_reply_name(m), "connection refused");
	static const uint8_t badatyp[] = {5, 0, 0, 9, 0, 0, 0, 0, 0, 0};
	assert_int_equal(vd_socks5_reply(badatyp, sizeof(badatyp), &m, &used), -EINVAL);
	static const uint8_t badrsv[] = {5, 0, 7, 1, 0, 0, 0, 0, 0, 0};
	assert_int_equal(vd_socks5_reply(badrsv, sizeof(badrsv), &m, &used), -EINVAL);
	assert_string_equal(vd_socks5_reply_name(2), "connection not allowed by ruleset");
	assert_string_equal(vd_socks5_reply_name(200), "unassigned");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_request),
		cmocka_unit_test(test_http_reply),
		cmocka_unit_test(test_socks5),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
