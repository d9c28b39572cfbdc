/* lib/sockaddr.c: Unix socket paths (empty, longest that fits, one too long)
 * and "host:port" literals (IPv4, bracketed IPv6, every way one is wrong). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vpndoctor/sockaddr.h"

static void test_un(void **state)
{
	struct sockaddr_un sa;
	char path[sizeof(sa.sun_path) + 1];

	(void)state;
	memset(&sa, 0x5a, sizeof(sa));
	assert_int_equal(vd_sockaddr_un_set(&sa, "/run/vpndoctor/io.vpndoctor"), 0);
	assert_int_equal(sa.sun_family, AF_UNIX);
	assert_string_equal(sa.sun_path, "/run/vpndoctor/io.vpndoctor");

	assert_int_equal(vd_sockaddr_un_set(&sa, NULL), -EINVAL);
	assert_int_equal(vd_sockaddr_un_set(&sa, ""), -EINVAL);

	/* the longest path that fits leaves room for its NUL */
	memset(path, 'a', sizeof(path));
	path[sizeof(sa.sun_path) - 1] = '\0';
	assert_int_equal(vd_sockaddr_un_set(&sa, path), 0);
	assert_int_equal(strlen(sa.sun_path), sizeof(sa.sun_path) - 1);
	path[sizeof(sa.sun_path) - 1] = 'a';
	path[sizeof(sa.sun_path)] = '\0';
	assert_int_equal(vd_sockaddr_un_set(&sa, path), -ENAMETOOLONG);
}

/* s parsed: its family, port and length as wanted; the address is the caller's. */
static void parse_ok(const char *s, struct sockaddr_storage *ss, int family, uint16_t port)
{
	socklen_t len = 0;

	assert_int_equal(vd_parse_hostport(s, ss, &len), 0);
	assert_int_equal(ss->ss_family, family);
	if (family == AF_INET) {
		assert_int_equal(len, sizeof(struct sockaddr_in));
		assert_int_equal(ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port), port);
	} else {
		assert_int_equal(len, sizeof(struct sockaddr_in6));
		assert_int_equal(ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port), port);
	}
}

static void test_hostport(void **state)
{
	struct sockaddr_storage ss;
	const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)&ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)&ss;
	struct in6_addr want, any = IN6ADDR_ANY_INIT;

	(void)state;
	parse_ok("192.0.2.1:7070", &ss, AF_INET, 7070);
	assert_int_equal(ntohl(in->sin_addr.s_addr), 0xc0000201);
	parse_ok("0.0.0.0:65535", &ss, AF_INET, 65535);
	assert_int_equal(in->sin_addr.s_addr, 0);

	parse_ok("[2001:db8::1]:1", &ss, AF_INET6, 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &want), 1);
	assert_memory_equal(&in6->sin6_addr, &want, sizeof(want));
	parse_ok("[::]:7070", &ss, AF_INET6, 7070);
	assert_memory_equal(&in6->sin6_addr, &any, sizeof(any));
}

static void test_hostport_bad(void **state)
{
	static const char *const bad[] = {
		"192.0.2.1",           /* no port */
		"192.0.2.1:",          /* empty port */
		"192.0.2.1:0",         /* port out of range */
		"192.0.2.1:65536",     /* port out of range */
		"192.0.2.1:70x",       /* not a number */
		":7070",               /* no host */
		"a:7070",              /* too short to be an address */
		"vpn.example.com:1194", /* names are not resolved */
		"2001:db8::1:7070",    /* IPv6 without brackets */
		"[192.0.2.1]:7070",    /* brackets around IPv4 */
		"[2001:db8::1:7070",   /* no closing bracket */
		"999.0.2.1:7070",
		"[0000000000000000000000000000000000000000000000000000000000000000000]:1", /* too long */
	};
	struct sockaddr_storage ss;
	socklen_t len = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vd_parse_hostport(bad[i], &ss, &len) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
	}
	assert_int_equal(vd_parse_hostport(NULL, &ss, &len), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_un),
		cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_hostport_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
