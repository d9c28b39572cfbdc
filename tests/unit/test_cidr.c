/* lib/cidr.c: parsing, formatting, containment, counts and the 4-per-client rule. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vpndoctor/cidr.h"

static struct vd_prefix P(const char *s)
{
	struct vd_prefix p;
	assert_int_equal(vd_prefix_parse(s, false, &p), 0);
	return p;
}

static const char *fmt(const struct vd_prefix *p, bool bare)
{
	static char buf[VD_PREFIX_STRLEN];
	return vd_prefix_format(p, bare, buf, sizeof(buf));
}

static void test_parse_v4(void **state)
{
	struct vd_prefix p;

	(void)state;
	assert_int_equal(vd_prefix_parse("10.0.0.0/8", false, &p), 0);
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.len, 8);
	assert_int_equal(p.addr[0], 10);
	assert_string_equal(fmt(&p, false), "10.0.0.0/8");

	assert_int_equal(vd_prefix_parse("10.1.2.3", false, &p), 0);
	assert_int_equal(p.len, 32);
	assert_string_equal(fmt(&p, false), "10.1.2.3/32");
	assert_string_equal(fmt(&p, true), "10.1.2.3");

	assert_int_equal(vd_prefix_parse("0.0.0.0/0", false, &p), 0);
	assert_int_equal(p.len, 0);
	assert_int_equal(vd_prefix_parse("255.255.255.255/32", false, &p), 0);
}

static void test_parse_v6(void **state)
{
	struct vd_prefix p;

	(void)state;
	assert_int_equal(vd_prefix_parse("fd00::/8", false, &p), 0);
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(p.len, 8);
	assert_int_equal(p.addr[0], 0xfd);
	assert_string_equal(fmt(&p, false), "fd00::/8");

	assert_int_equal(vd_prefix_parse("::1", false, &p), 0);
	assert_int_equal(p.len, 128);
	assert_string_equal(fmt(&p, true), "::1");
	assert_string_equal(fmt(&p, false), "::1/128");

	/* Formatting is canonical (RFC 5952), whatever the input spelling. */
	assert_int_equal(vd_prefix_parse("2001:DB8:0:0::/64", false, &p), 0);
	assert_string_equal(fmt(&p, false), "2001:db8::/64");
	assert_int_equal(vd_prefix_parse("::ffff:10.0.0.1", false, &p), 0);
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(vd_prefix_parse("::/0", false, &p), 0);
	assert_int_equal(p.len, 0);

	char big[VD_PREFIX_STRLEN];
	assert_int_equal(vd_prefix_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", false, &p), 0);
	assert_string_equal(vd_prefix_format(&p, false, big, sizeof(big)),
			    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"", "/", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/ 8",
		"10.0.0.0/8 ", " 10.0.0.0/8", "10.0.0/8", "10.0.0.256", "10.0.0.0.0", "010.0.0.1",
		"10.0.0.0/8/8", "10.0.0.0/99999999999999999999999", "fd00::/129", "fd00:::/8",
		"fe80::1%eth0", "fd00::/8x", "1.2.3.4/0x8", "localhost", "::g",
		"1111111111111111111111111111111111111111111111111111111111111111111111.0.0.0",
	};
	struct vd_prefix p = {.family = 12345};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vd_prefix_parse(bad[i], true, &p) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	/* Outputs are untouched on failure. */
	assert_int_equal(p.family, 12345);
	assert_int_equal(vd_prefix_parse(NULL, false, &p), -EINVAL);
	assert_int_equal(vd_addr_parse(NULL, &p), -EINVAL);
	assert_int_equal(vd_addr_parse("10.0.0.0/8", &p), -EINVAL);
}

static void test_host_bits(void **state)
{
	struct vd_prefix p;

	(void)state;
	assert_int_equal(vd_prefix_parse("10.1.2.3/8", false, &p), -EINVAL);
	assert_int_equal(vd_prefix_parse("10.1.2.3/8", true, &p), 0);
	assert_string_equal(fmt(&p, false), "10.0.0.0/8");
	assert_int_equal(vd_prefix_parse("192.168.1.130/25", true, &p), 0);
	assert_string_equal(fmt(&p, false), "192.168.1.128/25");
	assert_int_equal(vd_prefix_parse("2001:db8::1/64", false, &p), -EINVAL);
	assert_int_equal(vd_prefix_parse("2001:db8::1/64", true, &p), 0);
	assert_string_equal(fmt(&p, false), "2001:db8::/64");
	/* A prefix length that is not a multiple of 8 clears the right bits. */
	assert_int_equal(vd_prefix_parse("fdff::/13", true, &p), 0);
	assert_string_equal(fmt(&p, false), "fdf8::/13");
}

static void test_addr_parse(void **state)
{
	struct vd_prefix p;

	(void)state;
	assert_int_equal(vd_addr_parse("172.16.1.10", &p), 0);
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.len, 32);
	assert_int_equal(vd_addr_parse("fd00::53", &p), 0);
	assert_int_equal(p.len, 128);
	assert_int_equal(vd_addr_parse("", &p), -EINVAL);
	assert_int_equal(vd_addr_parse("vpn.example.com", &p), -EINVAL);
}

static void test_netmask(void **state)
{
	struct vd_prefix p;

	(void)state;
	assert_int_equal(vd_prefix_parse_netmask("172.16.1.0", "255.255.255.0", &p), 0);
	assert_string_equal(fmt(&p, false), "172.16.1.0/24");
	assert_int_equal(vd_prefix_parse_netmask("10.8.0.4", "255.255.255.252", &p), 0);
	assert_int_equal(p.len, 30);
	assert_int_equal(vd_prefix_parse_netmask("0.0.0.0", "0.0.0.0", &p), 0);
	assert_int_equal(p.len, 0);
	assert_int_equal(vd_prefix_parse_netmask("10.1.2.3", "255.255.255.255", &p), 0);
	assert_int_equal(p.len, 32);
	assert_int_equal(vd_prefix_parse_netmask("172.16.0.0", "255.240.0.0", &p), 0);
	assert_int_equal(p.len, 12);
	assert_int_equal(vd_prefix_parse_netmask("128.0.0.0", "128.0.0.0", &p), 0);
	assert_int_equal(p.len, 1);

	/* Non-contiguous masks, host bits, wrong families, junk. */
	assert_int_equal(vd_prefix_parse_netmask("10.0.0.0", "255.0.255.0", &p), -EINVAL);
	assert_int_equal(vd_prefix_parse_netmask("10.0.0.0", "0.255.255.255", &p), -EINVAL);
	assert_int_equal(vd_prefix_parse_netmask("10.0.0.0", "255.255.255.253", &p), -EINVAL);
	assert_int_equal(vd_prefix_parse_netmask("172.16.1.5", "255.255.255.0", &p), -EINVAL);
	assert_int_equal(vd_prefix_parse_netmask("fd00::", "255.0.0.0", &p), -EINVAL);
	assert_int_equal(vd_prefix_parse_netmask("10.0.0.0", "ffff::", &p), -EINVAL);
	assert_int_equal(vd_prefix_parse_netmask("10.0.0.0", "24", &p), -EINVAL);
	assert_int_equal(vd_prefix_parse_netmask("10.0.0.0/8", "255.0.0.0", &p), -EINVAL);
	assert_int_equal(vd_prefix_parse_netmask("vpn_gateway", "255.255.255.255", &p), -EINVAL);
	assert_int_equal(vd_prefix_parse_netmask(NULL, "255.0.0.0", &p), -EINVAL);
}

static void test_contains_overlaps(void **state)
{
	struct vd_prefix a = P("172.16.0.0/16"), b = P("172.16.1.0/24"), c = P("172.17.0.0/16");
	struct vd_prefix h = P("172.16.1.10"), all = P("0.0.0.0/0"), v6 = P("::/0");
	struct vd_prefix x = P("10.8.0.4/30"), y = P("10.8.0.0/24"), z = P("10.8.0.8/30");

	(void)state;
	assert_true(vd_prefix_contains(&a, &b));
	assert_false(vd_prefix_contains(&b, &a));
	assert_true(vd_prefix_contains(&a, &a));
	assert_true(vd_prefix_contains(&b, &h));
	assert_false(vd_prefix_contains(&c, &b));
	assert_true(vd_prefix_contains(&all, &c));
	assert_false(vd_prefix_contains(&v6, &c)); /* families never mix */
	assert_true(vd_prefix_overlaps(&a, &b));
	assert_true(vd_prefix_overlaps(&b, &a));
	assert_false(vd_prefix_overlaps(&a, &c));
	assert_true(vd_prefix_overlaps(&y, &x));
	assert_false(vd_prefix_overlaps(&x, &z)); /* neighbours */

	/* Bits past a non-octet boundary: 172.16.0.0/15 holds 172.17/16 but not 172.18/16. */
	struct vd_prefix w = P("172.16.0.0/15"), r = P("172.18.0.0/16");
	assert_true(vd_prefix_contains(&w, &c));
	assert_false(vd_prefix_contains(&w, &r));

	struct vd_prefix p6 = P("fd00::/8"), q6 = P("fd12:3456::/32"), r6 = P("fe80::/10");
	assert_true(vd_prefix_contains(&p6, &q6));
	assert_false(vd_prefix_overlaps(&p6, &r6));
	assert_true(vd_prefix_contains(&v6, &r6));

	struct vd_prefix junk = {0};
	assert_false(vd_prefix_contains(&junk, &junk));
	assert_false(vd_prefix_overlaps(&junk, &a));
}

static void test_equal(void **state)
{
	struct vd_prefix a = P("10.0.0.0/8"), b, c = P("10.0.0.0/9");

	(void)state;
	assert_int_equal(vd_prefix_parse("10.0.0.0/8", false, &b), 0);
	assert_true(vd_prefix_equal(&a, &b));
	assert_false(vd_prefix_equal(&a, &c));
	struct vd_prefix d = P("::a00:0/104");
	assert_false(vd_prefix_equal(&a, &d));
	/* Equal ignores bits beyond the length, so a hand-built prefix compares by its network. */
	b.addr[3] = 7;
	assert_true(vd_prefix_equal(&a, &b));
}

static void test_count_capacity(void **state)
{
	(void)state;
	struct vd_prefix p30 = P("10.8.0.4/30"), p24 = P("10.8.0.0/24"), p32 = P("10.8.0.1");
	struct vd_prefix p31 = P("10.8.0.0/31"), p0 = P("0.0.0.0/0"), p29 = P("10.8.0.0/29");
	struct vd_prefix p16 = P("10.8.0.0/16");

	assert_int_equal(vd_prefix_count(&p30), 4);
	assert_int_equal(vd_prefix_client_capacity(&p30), 1); /* the FAQ's /30 example */
	assert_int_equal(vd_prefix_count(&p24), 256);
	assert_int_equal(vd_prefix_client_capacity(&p24), 64);
	assert_int_equal(vd_prefix_client_capacity(&p29), 2);
	assert_int_equal(vd_prefix_client_capacity(&p16), 16384);
	assert_int_equal(vd_prefix_count(&p32), 1);
	assert_int_equal(vd_prefix_client_capacity(&p32), 0);
	assert_int_equal(vd_prefix_client_capacity(&p31), 0);
	assert_true(vd_prefix_count(&p0) == UINT64_C(4294967296));
	assert_true(vd_prefix_client_capacity(&p0) == UINT64_C(1073741824));

	struct vd_prefix v128 = P("::1"), v120 = P("fd00::/120"), v65 = P("fd00::/65");
	struct vd_prefix v64 = P("fd00::/64"), v62 = P("fd00::/62"), v0 = P("::/0");
	assert_int_equal(vd_prefix_count(&v128), 1);
	assert_int_equal(vd_prefix_count(&v120), 256);
	assert_true(vd_prefix_count(&v65) == UINT64_C(1) << 63);
	assert_true(vd_prefix_count(&v64) == UINT64_MAX); /* 2^64 saturates */
	assert_true(vd_prefix_count(&v0) == UINT64_MAX);
	assert_true(vd_prefix_client_capacity(&v64) == UINT64_C(1) << 62);
	assert_true(vd_prefix_client_capacity(&v62) == UINT64_MAX);
	assert_true(vd_prefix_client_capacity(&v0) == UINT64_MAX);

	struct vd_prefix junk = {.family = AF_INET, .len = 40};
	assert_int_equal(vd_prefix_count(&junk), 0);
	assert_int_equal(vd_prefix_count(NULL), 0);
	assert_int_equal(vd_prefix_client_capacity(NULL), 0);
}

static void test_format_edges(void **state)
{
	struct vd_prefix p = P("192.168.100.200/32");
	char small[8];

	(void)state;
	/* Truncated, but always terminated. */
	assert_ptr_equal(vd_prefix_format(&p, false, small, sizeof(small)), small);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	struct vd_prefix junk = {.family = 99};
	char buf[VD_PREFIX_STRLEN] = "x";
	assert_string_equal(vd_prefix_format(&junk, false, buf, sizeof(buf)), "");
	assert_string_equal(vd_prefix_format(NULL, false, buf, sizeof(buf)), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4),	 cmocka_unit_test(test_parse_v6),
		cmocka_unit_test(test_parse_bad),	 cmocka_unit_test(test_host_bits),
		cmocka_unit_test(test_addr_parse),	 cmocka_unit_test(test_netmask),
		cmocka_unit_test(test_contains_overlaps), cmocka_unit_test(test_equal),
		cmocka_unit_test(test_count_capacity),	 cmocka_unit_test(test_format_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
