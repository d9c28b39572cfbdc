/* lib/resolvconf.c: resolv.conf as glibc reads it; DNS queries and replies. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "vpndoctor/resolvconf.h"

static void parse(const char *text, struct vd_resolvconf *rc)
{
	assert_int_equal(vd_resolvconf_parse(text, strlen(text), rc), 0);
}

static void test_defaults(void **state)
{
	struct vd_resolvconf rc;

	(void)state;
	parse("", &rc);
	assert_int_equal(rc.n_ns, 0);
	assert_int_equal(rc.n_search, 0);
	assert_int_equal(rc.ndots, 1);
	assert_int_equal(rc.timeout_s, 5);
	assert_int_equal(rc.attempts, 2);
	assert_false(rc.rotate);
}

static void test_resolved_stub(void **state)
{
	/* what systemd-resolved writes to /run/systemd/resolve/stub-resolv.conf */
	static const char text[] =
		"# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).\n"
		"# Do not edit.\n"
		"nameserver 127.0.0.53\n"
		"options edns0 trust-ad\n"
		"search vpc.internal corp.example.com\n";
	struct vd_resolvconf rc;
	char buf[INET_ADDRSTRLEN];

	(void)state;
	parse(text, &rc);
	assert_int_equal(rc.n_ns, 1);
	assert_int_equal(rc.ns[0].family, AF_INET);
	assert_string_equal(inet_ntop(AF_INET, &rc.ns[0].addr.v4, buf, sizeof(buf)), "127.0.0.53");
	assert_int_equal(rc.ns[0].line, 3);
	assert_true(rc.edns0);
	assert_true(rc.trust_ad);
	assert_int_equal(rc.n_search, 2);
	assert_string_equal(rc.search[0], "vpc.internal");
	assert_string_equal(rc.search[1], "corp.example.com");
}

static void test_nameservers(void **state)
{
	static const char text[] =
		"nameserver 172.16.1.10 # the VPC's\n"
		"nameserver\tfe80::1%eth0\n"
		"nameserver fe80::2%3\r\n"
		"nameserver 10.1\n" /* inet_aton's short form, as glibc takes it */
		"nameserver 8.8.8.8\n";
	struct vd_resolvconf rc;
	struct in6_addr a6;
	char buf[INET6_ADDRSTRLEN];

	(void)state;
	parse(text, &rc);
	assert_int_equal(rc.n_ns, 3);
	assert_int_equal(rc.n_ns_ignored, 2);
	assert_string_equal(rc.ns[0].text, "172.16.1.10");
	assert_string_equal(inet_ntop(AF_INET, &rc.ns[0].addr.v4, buf, sizeof(buf)), "172.16.1.10");
	assert_int_equal(rc.ns[1].family, AF_INET6);
	inet_pton(AF_INET6, "fe80::1", &a6);
	assert_memory_equal(&rc.ns[1].addr.v6, &a6, sizeof(a6));
	assert_string_equal(rc.ns[1].scope, "eth0");
	assert_int_equal(rc.ns[1].scope_id, 0);
	assert_string_equal(rc.ns[1].text, "fe80::1%eth0");
	assert_int_equal(rc.ns[2].scope_id, 3);
	assert_string_equal(rc.ns[2].scope, "");
	assert_string_equal(rc.ns[2].text, "fe80::2%3");
	assert_int_equal(rc.ns[2].line, 3);
}

static void test_ignored_lines(void **state)
{
	static const char text[] =
		"#nameserver 1.1.1.1\n"
		";nameserver 1.1.1.2\n"
		" nameserver 1.1.1.3\n"     /* not at the start of the line */
		"nameserver1.1.1.4\n"      /* no blank after the keyword */
		"nameservers 1.1.1.5\n"
		"nameserver not-an-address\n"
		"nameserver 1.2.3.4.5\n"
		"nameserver fe80::1%\n"
		"nameserver ::1%waytoolonginterfacename\n"
		"nameserver\n"
		"sortlist 10.0.0.0/255.0.0.0\n"
		"nameserver 192.0.2.1";    /* no final newline */
	struct vd_resolvconf rc;

	(void)state;
	parse(text, &rc);
	assert_int_equal(rc.n_ns, 1);
	assert_string_equal(rc.ns[0].text, "192.0.2.1");
	assert_int_equal(rc.ns[0].line, 12);
	assert_int_equal(rc.n_bad, 4);
}

static void test_search_domain(void **state)
{
	struct vd_resolvconf rc;

	(void)state;
	/* the last of domain and search wins */
	parse("search a.example b.example\ndomain vpc.internal extra\n", &rc);
	assert_int_equal(rc.n_search, 1);
	assert_string_equal(rc.search[0], "vpc.internal");
	parse("domain vpc.internal\nsearch a.example\tb.example  \n", &rc);
	assert_int_equal(rc.n_search, 2);
	assert_string_equal(rc.search[1], "b.example");
	/* an empty search line keeps the list */
	parse("search a.example\nsearch   \n", &rc);
	assert_int_equal(rc.n_search, 1);
	parse("search a b c d e f g h i j\n", &rc);
	assert_int_equal(rc.n_search, VD_RESOLVCONF_MAX_SEARCH);
	assert_int_equal(rc.n_search_ignored, 2);
	assert_string_equal(rc.search[7], "h");
}

static void test_search_long_name(void **state)
{
	char text[600], name[300];
	struct vd_resolvconf rc;

	(void)state;
	memset(name, 'a', 254);
	name[254] = '\0';
	snprintf(text, sizeof(text), "search %s ok.example\n", name);
	parse(text, &rc);
	assert_int_equal(rc.n_search, 1);
	assert_string_equal(rc.search[0], "ok.example");
	assert_int_equal(rc.n_bad, 1);
	name[253] = '.'; /* 253 characters and the root's dot */
	snprintf(text, sizeof(text), "search %s\n", name);
	parse(text, &rc);
	assert_int_equal(rc.n_search, 1);
	assert_int_equal(strlen(rc.search[0]), 253); /* stored without the root's dot */
}

static void test_options(void **state)
{
	struct vd_resolvconf rc;

	(void)state;
	parse("options ndots:3 timeout:2 attempts:9 rotate use-vc single-request no-aaaa inet6 debug\n", &rc);
	assert_int_equal(rc.ndots, 3);
	assert_int_equal(rc.timeout_s, 2);
	assert_int_equal(rc.attempts, 5); /* clamped like glibc's RES_MAXRETRY */
	assert_true(rc.rotate);
	assert_true(rc.use_vc);
	assert_true(rc.single_request);
	assert_true(rc.no_aaaa);
	assert_int_equal(rc.n_bad, 0);
	parse("options ndots:99 timeout:x attempts: timeout:99999999999999999999999\n", &rc);
	assert_int_equal(rc.ndots, 15);
	assert_int_equal(rc.timeout_s, 5);
	assert_int_equal(rc.attempts, 2);
	assert_int_equal(rc.n_bad, 3);
}

static void test_nul_and_size(void **state)
{
	static const char text[] = "nameserver 10.0.0.1\0garbage\nnameserver 10.0.0.2\n";
	struct vd_resolvconf rc;
	char *big;

	(void)state;
	assert_int_equal(vd_resolvconf_parse(text, sizeof(text) - 1, &rc), 0);
	assert_int_equal(rc.n_ns, 2);
	assert_string_equal(rc.ns[0].text, "10.0.0.1");
	big = calloc(1, VD_RESOLVCONF_MAX + 1);
	assert_non_null(big);
	memset(big, '#', VD_RESOLVCONF_MAX + 1);
	assert_int_equal(vd_resolvconf_parse(big, VD_RESOLVCONF_MAX + 1, &rc), -E2BIG);
	assert_int_equal(rc.n_ns, 0);
	assert_int_equal(vd_resolvconf_parse(big, VD_RESOLVCONF_MAX, &rc), 0);
	free(big);
}

/* ---- messages ---- */

static void test_query_build(void **state)
{
	static const uint8_t want[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
	                               2, 'd', 'b', 3, 'v', 'p', 'c', 8, 'i', 'n', 't', 'e', 'r', 'n', 'a', 'l', 0,
	                               0, 1, 0, 1};
	uint8_t buf[VD_DNS_QUERY_MAX];
	char name[300];
	size_t n;

	(void)state;
	assert_int_equal(vd_dns_query_build(0x1234, "db.vpc.internal", VD_DNS_TYPE_A, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(vd_dns_query_build(0x1234, "db.vpc.internal.", VD_DNS_TYPE_A, buf, sizeof(buf), &n), 0);
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(vd_dns_query_build(1, "vpc.internal", VD_DNS_TYPE_SOA, buf, sizeof(buf), &n), 0);
	assert_int_equal(buf[n - 3], VD_DNS_TYPE_SOA);

	assert_int_equal(vd_dns_query_build(1, "", 1, buf, sizeof(buf), &n), -EINVAL);
	assert_int_equal(vd_dns_query_build(1, ".", 1, buf, sizeof(buf), &n), -EINVAL);
	assert_int_equal(vd_dns_query_build(1, "a..b", 1, buf, sizeof(buf), &n), -EINVAL);
	assert_int_equal(vd_dns_query_build(1, ".a", 1, buf, sizeof(buf), &n), -EINVAL);
	assert_int_equal(vd_dns_query_build(1, NULL, 1, buf, sizeof(buf), &n), -EINVAL);
	memset(name, 'a', 64);
	name[64] = '\0';
	assert_int_equal(vd_dns_query_build(1, name, 1, buf, sizeof(buf), &n), -EINVAL);
	name[63] = '\0';
	assert_int_equal(vd_dns_query_build(1, name, 1, buf, sizeof(buf), &n), 0);
	assert_int_equal(vd_dns_query_build(1, name, 1, buf, 20, &n), -ENOBUFS);
	/* 4 labels of 63 and one of 1: 253 characters, the longest name */
	memset(name, 'a', 253);
	name[63] = name[127] = name[191] = name[251] = '.';
	name[253] = '\0';
	assert_int_equal(vd_dns_query_build(1, name, 1, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, VD_DNS_QUERY_MAX);
	name[252] = 'b';
	name[253] = 'c';
	name[254] = '\0';
	assert_int_equal(vd_dns_query_build(1, name, 1, buf, sizeof(buf), &n), -EINVAL);
}

/* A reply to q: the header with flags and rcode, the question, then ans. */
static size_t reply(const uint8_t *q, size_t qlen, uint8_t flags2, uint8_t rcode, uint16_t ancount,
                    const uint8_t *ans, size_t alen, uint8_t *out)
{
	memcpy(out, q, qlen);
	out[2] = (uint8_t)(0x80 | flags2);
	out[3] = (uint8_t)(0x80 | rcode); /* RA */
	out[6] = (uint8_t)(ancount >> 8);
	out[7] = (uint8_t)ancount;
	if (alen)
		memcpy(out + qlen, ans, alen);
	return qlen + alen;
}

static void test_reply_results(void **state)
{
	/* db.vpc.internal CNAME via pointer, then A 172.16.1.20 */
	static const uint8_t ans[] = {0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 12,
	                              0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 172, 16, 1, 20};
	uint8_t q[VD_DNS_QUERY_MAX], m[600];
	struct vd_dns_reply r;
	size_t qn, n;

	(void)state;
	assert_int_equal(vd_dns_query_build(0xbeef, "db.vpc.internal", VD_DNS_TYPE_A, q, sizeof(q), &qn), 0);

	n = reply(q, qn, 0x05, 0, 2, ans, sizeof(ans), m); /* AA RD */
	assert_int_equal(vd_dns_reply_parse(q, qn, m, n, &r), 0);
	assert_int_equal(r.answers, 2);
	assert_true(r.authoritative);
	assert_false(r.truncated);
	assert_int_equal(vd_dns_reply_result(&r), VD_DNS_ANSWER);
	assert_string_equal(vd_dns_result_name(vd_dns_reply_result(&r)), "answer");

	n = reply(q, qn, 0x01, 0, 0, NULL, 0, m); /* NODATA */
	assert_int_equal(vd_dns_reply_parse(q, qn, m, n, &r), 0);
	assert_int_equal(r.answers, 0);
	assert_int_equal(vd_dns_reply_result(&r), VD_DNS_ANSWER);

	static const struct {
		uint8_t rcode;
		enum vd_dns_result res;
		const char *name;
	} rc[] = {
		{2, VD_DNS_SERVFAIL, "servfail"}, {3, VD_DNS_NXDOMAIN, "nxdomain"},
		{5, VD_DNS_REFUSED, "refused"},   {1, VD_DNS_ERROR, "error"},
		{4, VD_DNS_ERROR, "error"},       {9, VD_DNS_ERROR, "error"},
	};
	for (size_t i = 0; i < sizeof(rc) / sizeof(rc[0]); i++) {
		n = reply(q, qn, 0x01, rc[i].rcode, 0, NULL, 0, m);
		assert_int_equal(vd_dns_reply_parse(q, qn, m, n, &r), 0);
		assert_int_equal(r.rcode, rc[i].rcode);
		assert_int_equal(vd_dns_reply_result(&r), rc[i].res);
		assert_string_equal(vd_dns_result_name(rc[i].res), rc[i].name);
	}
	assert_string_equal(vd_dns_result_name(VD_DNS_TIMEOUT), "timeout");

	/* truncated: the answers that follow are not even looked at */
	n = reply(q, qn, 0x03, 0, 40, NULL, 0, m);
	assert_int_equal(vd_dns_reply_parse(q, qn, m, n, &r), 0);
	assert_true(r.truncated);
	assert_int_equal(r.answers, 0);
}

static void test_reply_mismatch(void **state)
{
	static const uint8_t ans[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 172, 16, 1, 20};
	uint8_t q[VD_DNS_QUERY_MAX], m[600];
	struct vd_dns_reply r;
	size_t qn, n;

	(void)state;
	assert_int_equal(vd_dns_query_build(0xbeef, "db.vpc.internal", VD_DNS_TYPE_A, q, sizeof(q), &qn), 0);
	n = reply(q, qn, 0x01, 0, 1, ans, sizeof(ans), m);
	assert_int_equal(vd_dns_reply_parse(q, qn, m, n, &r), 0);

	/* the case of the echoed name does not matter */
	m[13] = 'D';
	assert_int_equal(vd_dns_reply_parse(q, qn, m, n, &r), 0);
	m[13] = 'x';
	assert_int_equal(vd_dns_reply_parse(q, qn, m, n, &r), -EBADMSG);
	m[13] = 'd';
	m[1] ^= 1; /* another id */
	assert_int_equal(vd_dns_reply_parse(q, qn, m, n, &r), -EBADMSG);
	m[1] ^= 1;
	m[2] &= 0x7f; /* a query, not a response */
	assert_int_equal(vd_dns_reply_parse(q, qn, m, n, &r), -EBADMSG);
	m[2] |= 0x80;
	m[5] = 2; /* two questions */
	assert_int_equal(vd_dns_reply_parse(q, qn, m, n, &r), -EBADMSG);
	m[5] = 1;
	assert_int_equal(vd_dns_reply_parse(q, qn, m, 11, &r), -EBADMSG);
	assert_int_equal(vd_dns_reply_parse(q, qn, m, qn - 1, &r), -EBADMSG);
	/* ours but cut inside the answer, or an answer count that lies */
	assert_int_equal(vd_dns_reply_parse(q, qn, m, n - 1, &r), -EPROTO);
	m[7] = 2;
	assert_int_equal(vd_dns_reply_parse(q, qn, m, n, &r), -EPROTO);
	m[7] = 1;
	/* a bad label type in the answer's name */
	m[qn] = 0x80;
	assert_int_equal(vd_dns_reply_parse(q, qn, m, n, &r), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),      cmocka_unit_test(test_resolved_stub),
		cmocka_unit_test(test_nameservers),   cmocka_unit_test(test_ignored_lines),
		cmocka_unit_test(test_search_domain), cmocka_unit_test(test_search_long_name),
		cmocka_unit_test(test_options),       cmocka_unit_test(test_nul_and_size),
		cmocka_unit_test(test_query_build),   cmocka_unit_test(test_reply_results),
		cmocka_unit_test(test_reply_mismatch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
