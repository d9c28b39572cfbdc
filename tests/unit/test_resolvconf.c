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


/* ---- the addresses of an answer ---- */

/* A message under construction: the reply header and question of q, then
 * records appended by the helpers below. */
struct msg {
	uint8_t b[4096];
	size_t n;
	unsigned an;
};

static void msg_start(struct msg *m, const uint8_t *q, size_t qlen, uint8_t flags2, uint8_t rcode)
{
	m->n = reply(q, qlen, flags2, rcode, 0, NULL, 0, m->b);
	m->an = 0;
}

/* Name bytes as written (labels, a pointer), appended raw. */
static void put(struct msg *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

/* A name in presentation form, uncompressed, at the end; returns its offset. */
static size_t put_name(struct msg *m, const char *name)
{
	size_t at = m->n;
	const char *p = name;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		uint8_t lb = (uint8_t)l;
		put(m, &lb, 1);
		put(m, p, l);
		p += l + (dot ? 1 : 0);
	}
	put(m, "", 1);
	return at;
}

static void put_ptr(struct msg *m, size_t to)
{
	uint8_t p[2] = {(uint8_t)(0xc0 | to >> 8), (uint8_t)to};
	put(m, p, 2);
}

/* The fixed part of a record after its owner name; one answer more. */
static void put_rr(struct msg *m, uint16_t type, uint16_t class, uint16_t rdlen)
{
	uint8_t h[10] = {(uint8_t)(type >> 8), (uint8_t)type, (uint8_t)(class >> 8), (uint8_t)class, 0, 0, 1, 0x2c,
	                 (uint8_t)(rdlen >> 8), (uint8_t)rdlen};
	put(m, h, sizeof(h));
	m->an++;
	m->b[6] = (uint8_t)(m->an >> 8);
	m->b[7] = (uint8_t)m->an;
}

static void put_a(struct msg *m, size_t owner, const char *addr)
{
	uint8_t a[4];
	assert_int_equal(inet_pton(AF_INET, addr, a), 1);
	put_ptr(m, owner);
	put_rr(m, VD_DNS_TYPE_A, 1, 4);
	put(m, a, 4);
}

static void put_aaaa(struct msg *m, size_t owner, const char *addr)
{
	uint8_t a[16];
	assert_int_equal(inet_pton(AF_INET6, addr, a), 1);
	put_ptr(m, owner);
	put_rr(m, VD_DNS_TYPE_AAAA, 1, 16);
	put(m, a, 16);
}

static const char *addr_text(const struct vd_dns_reply *r, size_t i, char *buf)
{
	assert_true(i < r->n_addrs);
	assert_non_null(inet_ntop(r->addrs[i].family, r->addrs[i].addr, buf, INET6_ADDRSTRLEN));
	return buf;
}

#define QNAME_OFF VD_DNS_HEADER_LEN /* the question's name: every reply has it there */

static void test_addrs_cname_chain(void **state)
{
	uint8_t q[VD_DNS_QUERY_MAX];
	struct vd_dns_reply r;
	struct msg m;
	char t[INET6_ADDRSTRLEN];
	size_t qn, alias;

	(void)state;
	assert_int_equal(vd_dns_query_build(0x1111, "db.vpc.internal", VD_DNS_TYPE_A, q, sizeof(q), &qn), 0);
	/* as a VPC resolver writes it: db CNAME db-1.<vpc.internal by pointer>,
	 * then the alias's two A records, owners by pointer to the target */
	msg_start(&m, q, qn, 0x01, 0);
	put_ptr(&m, QNAME_OFF);
	put_rr(&m, VD_DNS_TYPE_CNAME, 1, 7);
	alias = m.n;
	put(&m, "\4db-1", 5);
	put_ptr(&m, QNAME_OFF + 3); /* "vpc.internal" of the question */
	put_a(&m, alias, "172.16.1.21");
	put_a(&m, alias, "172.16.1.20");
	assert_int_equal(vd_dns_reply_parse(q, qn, m.b, m.n, &r), 0);
	assert_int_equal(r.answers, 3);
	assert_int_equal(r.n_addrs, 2);
	assert_int_equal(r.addrs_dropped, 0);
	assert_string_equal(addr_text(&r, 0, t), "172.16.1.20"); /* sorted */
	assert_string_equal(addr_text(&r, 1, t), "172.16.1.21");

	/* the same records in another order: the chain is followed anyway */
	msg_start(&m, q, qn, 0x01, 0);
	alias = put_name(&m, "DB-1.vpc.internal"); /* an owner in capitals */
	put_rr(&m, VD_DNS_TYPE_A, 1, 4);
	put(&m, "\xac\x10\x01\x14", 4);
	put_ptr(&m, QNAME_OFF);
	put_rr(&m, VD_DNS_TYPE_CNAME, 1, 2);
	put_ptr(&m, alias);
	assert_int_equal(vd_dns_reply_parse(q, qn, m.b, m.n, &r), 0);
	assert_int_equal(r.n_addrs, 1);
	assert_string_equal(addr_text(&r, 0, t), "172.16.1.20");

	/* a chain of two aliases */
	msg_start(&m, q, qn, 0x01, 0);
	put_ptr(&m, QNAME_OFF);
	put_rr(&m, VD_DNS_TYPE_CNAME, 1, 17);
	size_t a1 = put_name(&m, "a1.vpc.internal");
	put_ptr(&m, a1);
	put_rr(&m, VD_DNS_TYPE_CNAME, 1, 17);
	size_t a2 = put_name(&m, "a2.vpc.internal");
	put_a(&m, a2, "10.0.0.9");
	assert_int_equal(vd_dns_reply_parse(q, qn, m.b, m.n, &r), 0);
	assert_int_equal(r.n_addrs, 1);
	assert_string_equal(addr_text(&r, 0, t), "10.0.0.9");
}

static void test_addrs_several_and_bound(void **state)
{
	static const char *const rotated[] = {"10.0.0.7", "10.0.0.3", "10.0.0.10", "10.0.0.1", "10.0.0.3",
	                                      "10.0.0.9", "10.0.0.2", "10.0.0.8",  "10.0.0.5", "10.0.0.4",
	                                      "10.0.0.6"};
	static const char *const kept[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4",
	                                   "10.0.0.5", "10.0.0.6", "10.0.0.7", "10.0.0.8"};
	uint8_t q[VD_DNS_QUERY_MAX];
	struct vd_dns_reply r;
	struct msg m;
	char t[INET6_ADDRSTRLEN];
	size_t qn;

	(void)state;
	assert_int_equal(vd_dns_query_build(0x2222, "web.vpc.internal", VD_DNS_TYPE_A, q, sizeof(q), &qn), 0);
	/* eleven records, one twice: the eight smallest of ten, in order */
	for (int pass = 0; pass < 2; pass++) {
		msg_start(&m, q, qn, 0x01, 0);
		for (size_t i = 0; i < sizeof(rotated) / sizeof(rotated[0]); i++)
			put_a(&m, QNAME_OFF, rotated[pass ? sizeof(rotated) / sizeof(rotated[0]) - 1 - i : i]);
		assert_int_equal(vd_dns_reply_parse(q, qn, m.b, m.n, &r), 0);
		assert_int_equal(r.answers, 11);
		assert_int_equal(r.n_addrs, VD_DNS_ADDRS_MAX);
		assert_int_equal(r.addrs_dropped, 2);
		for (size_t i = 0; i < VD_DNS_ADDRS_MAX; i++)
			assert_string_equal(addr_text(&r, i, t), kept[i]);
	}
}

static void test_addrs_aaaa(void **state)
{
	uint8_t q[VD_DNS_QUERY_MAX];
	struct vd_dns_reply r;
	struct msg m;
	char t[INET6_ADDRSTRLEN];
	size_t qn;

	(void)state;
	assert_int_equal(vd_dns_query_build(0x3333, "db.vpc.internal", VD_DNS_TYPE_AAAA, q, sizeof(q), &qn), 0);
	msg_start(&m, q, qn, 0x01, 0);
	put_aaaa(&m, QNAME_OFF, "fd00:10::20");
	put_aaaa(&m, QNAME_OFF, "fd00:10::5");
	put_a(&m, QNAME_OFF, "10.0.0.1"); /* not the type asked */
	assert_int_equal(vd_dns_reply_parse(q, qn, m.b, m.n, &r), 0);
	assert_int_equal(r.n_addrs, 2);
	assert_int_equal(r.addrs[0].family, AF_INET6);
	assert_string_equal(addr_text(&r, 0, t), "fd00:10::5");
	assert_string_equal(addr_text(&r, 1, t), "fd00:10::20");

	/* an A query keeps no AAAA, an SOA query no address at all */
	assert_int_equal(vd_dns_query_build(0x3333, "db.vpc.internal", VD_DNS_TYPE_A, q, sizeof(q), &qn), 0);
	msg_start(&m, q, qn, 0x01, 0);
	put_aaaa(&m, QNAME_OFF, "fd00:10::20");
	assert_int_equal(vd_dns_reply_parse(q, qn, m.b, m.n, &r), 0);
	assert_int_equal(r.n_addrs, 0);
	assert_int_equal(vd_dns_query_build(0x3333, "db.vpc.internal", VD_DNS_TYPE_SOA, q, sizeof(q), &qn), 0);
	msg_start(&m, q, qn, 0x01, 0);
	put_a(&m, QNAME_OFF, "10.0.0.1");
	assert_int_equal(vd_dns_reply_parse(q, qn, m.b, m.n, &r), 0);
	assert_int_equal(r.n_addrs, 0);
}

/* What a spoofer or a broken server adds is not kept. */
static void test_addrs_not_ours(void **state)
{
	uint8_t q[VD_DNS_QUERY_MAX];
	struct vd_dns_reply r;
	struct msg m;
	char t[INET6_ADDRSTRLEN];
	size_t qn, other;

	(void)state;
	assert_int_equal(vd_dns_query_build(0x4444, "db.vpc.internal", VD_DNS_TYPE_A, q, sizeof(q), &qn), 0);
	msg_start(&m, q, qn, 0x01, 0);
	other = put_name(&m, "evil.example"); /* an A for a name not asked */
	put_rr(&m, VD_DNS_TYPE_A, 1, 4);
	put(&m, "\x08\x08\x08\x08", 4);
	put_ptr(&m, QNAME_OFF); /* class CH */
	put_rr(&m, VD_DNS_TYPE_A, 3, 4);
	put(&m, "\x01\x02\x03\x04", 4);
	put_ptr(&m, QNAME_OFF); /* an A of five bytes */
	put_rr(&m, VD_DNS_TYPE_A, 1, 5);
	put(&m, "\x01\x02\x03\x04\x05", 5);
	put_a(&m, QNAME_OFF, "10.1.2.3");
	put_a(&m, other, "9.9.9.9");
	assert_int_equal(vd_dns_reply_parse(q, qn, m.b, m.n, &r), 0);
	assert_int_equal(r.n_addrs, 1);
	assert_string_equal(addr_text(&r, 0, t), "10.1.2.3");

	/* NXDOMAIN, SERVFAIL with records: nothing kept */
	for (uint8_t rc = 2; rc <= 3; rc++) {
		msg_start(&m, q, qn, 0x01, rc);
		put_a(&m, QNAME_OFF, "10.1.2.3");
		assert_int_equal(vd_dns_reply_parse(q, qn, m.b, m.n, &r), 0);
		assert_int_equal(r.n_addrs, 0);
	}
	/* truncated: not kept, whatever follows */
	msg_start(&m, q, qn, 0x03, 0);
	put_a(&m, QNAME_OFF, "10.1.2.3");
	assert_int_equal(vd_dns_reply_parse(q, qn, m.b, m.n, &r), 0);
	assert_true(r.truncated);
	assert_int_equal(r.n_addrs, 0);
	/* cut inside the last record: the reply is malformed, nothing returned */
	msg_start(&m, q, qn, 0x01, 0);
	put_a(&m, QNAME_OFF, "10.1.2.3");
	put_a(&m, QNAME_OFF, "10.1.2.4");
	assert_int_equal(vd_dns_reply_parse(q, qn, m.b, m.n - 2, &r), -EPROTO);
	r.n_addrs = 99;
	assert_int_equal(vd_dns_reply_parse(q, qn, m.b, m.n, &r), 0);
	assert_int_equal(r.n_addrs, 2);
}

static void test_addrs_pointer_loops(void **state)
{
	uint8_t q[VD_DNS_QUERY_MAX];
	struct vd_dns_reply r;
	struct msg m;
	char t[INET6_ADDRSTRLEN];
	size_t qn, at, self;

	(void)state;
	assert_int_equal(vd_dns_query_build(0x5555, "db.vpc.internal", VD_DNS_TYPE_A, q, sizeof(q), &qn), 0);

	/* an owner that points at itself, one that points forward, one that
	 * points at a label which runs into the pointer again: each record is
	 * left out, the good one kept */
	msg_start(&m, q, qn, 0x01, 0);
	self = m.n;
	put_ptr(&m, self);
	put_rr(&m, VD_DNS_TYPE_A, 1, 4);
	put(&m, "\x0a\x00\x00\x01", 4);
	at = m.n;
	put_ptr(&m, at + 16); /* forward: into this record's data */
	put_rr(&m, VD_DNS_TYPE_A, 1, 4);
	put(&m, "\x0a\x00\x00\x02", 4);
	at = m.n;
	put(&m, "\1x", 2);
	put_ptr(&m, at); /* "x" then back to "x" */
	put_rr(&m, VD_DNS_TYPE_A, 1, 4);
	put(&m, "\x0a\x00\x00\x03", 4);
	put_a(&m, QNAME_OFF, "10.0.0.4");
	assert_int_equal(vd_dns_reply_parse(q, qn, m.b, m.n, &r), 0);
	assert_int_equal(r.answers, 4);
	assert_int_equal(r.n_addrs, 1);
	assert_string_equal(addr_text(&r, 0, t), "10.0.0.4");

	/* a CNAME whose target points at itself: the question's own records still count */
	msg_start(&m, q, qn, 0x01, 0);
	put_ptr(&m, QNAME_OFF);
	put_rr(&m, VD_DNS_TYPE_CNAME, 1, 2);
	self = m.n;
	put_ptr(&m, self);
	put_a(&m, QNAME_OFF, "10.0.0.5");
	assert_int_equal(vd_dns_reply_parse(q, qn, m.b, m.n, &r), 0);
	assert_int_equal(r.n_addrs, 1);
	assert_string_equal(addr_text(&r, 0, t), "10.0.0.5");

	/* a CNAME loop: db -> a -> db; the addresses of both names, once */
	msg_start(&m, q, qn, 0x01, 0);
	put_ptr(&m, QNAME_OFF);
	put_rr(&m, VD_DNS_TYPE_CNAME, 1, 16);
	at = put_name(&m, "a.vpc.internal");
	put_ptr(&m, at);
	put_rr(&m, VD_DNS_TYPE_CNAME, 1, 2);
	put_ptr(&m, QNAME_OFF);
	put_a(&m, at, "10.0.0.6");
	put_a(&m, QNAME_OFF, "10.0.0.6");
	assert_int_equal(vd_dns_reply_parse(q, qn, m.b, m.n, &r), 0);
	assert_int_equal(r.n_addrs, 1);
	assert_string_equal(addr_text(&r, 0, t), "10.0.0.6");

	/* a CNAME whose target runs past its record's data */
	msg_start(&m, q, qn, 0x01, 0);
	put_ptr(&m, QNAME_OFF);
	put_rr(&m, VD_DNS_TYPE_CNAME, 1, 4);
	put(&m, "\3abc", 4); /* no root label within its data */
	put(&m, "", 1);       /* the next record's owner: the root */
	put_rr(&m, 99, 1, 0); /* of an unknown type */
	put_a(&m, QNAME_OFF, "10.0.0.7");
	assert_int_equal(vd_dns_reply_parse(q, qn, m.b, m.n, &r), 0);
	assert_int_equal(r.n_addrs, 1);
	assert_string_equal(addr_text(&r, 0, t), "10.0.0.7");
}

/* Longer than VD_DNS_CHAIN_MAX: the aliases past it are not followed. */
static void test_addrs_long_chain(void **state)
{
	uint8_t q[VD_DNS_QUERY_MAX];
	struct vd_dns_reply r;
	struct msg m;
	char t[INET6_ADDRSTRLEN], name[32];
	size_t qn, prev, links[VD_DNS_CHAIN_MAX + 2];

	(void)state;
	assert_int_equal(vd_dns_query_build(0x6666, "db.vpc.internal", VD_DNS_TYPE_A, q, sizeof(q), &qn), 0);
	for (size_t len = VD_DNS_CHAIN_MAX; len <= VD_DNS_CHAIN_MAX + 1; len++) {
		msg_start(&m, q, qn, 0x01, 0);
		prev = QNAME_OFF;
		for (size_t i = 0; i < len; i++) {
			snprintf(name, sizeof(name), "n%zu.vpc.internal", i);
			put_ptr(&m, prev);
			put_rr(&m, VD_DNS_TYPE_CNAME, 1, (uint16_t)(strlen(name) + 2));
			prev = links[i] = put_name(&m, name);
		}
		put_a(&m, prev, "10.0.0.8");
		assert_int_equal(vd_dns_reply_parse(q, qn, m.b, m.n, &r), 0);
		if (len == VD_DNS_CHAIN_MAX) {
			assert_int_equal(r.n_addrs, 1);
			assert_string_equal(addr_text(&r, 0, t), "10.0.0.8");
		} else {
			assert_int_equal(r.n_addrs, 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),      cmocka_unit_test(test_resolved_stub),
		cmocka_unit_test(test_nameservers),   cmocka_unit_test(test_ignored_lines),
		cmocka_unit_test(test_search_domain), cmocka_unit_test(test_search_long_name),
		cmocka_unit_test(test_options),       cmocka_unit_test(test_nul_and_size),
		cmocka_unit_test(test_query_build),   cmocka_unit_test(test_reply_results),
		cmocka_unit_test(test_reply_mismatch),  cmocka_unit_test(test_addrs_cname_chain),
		cmocka_unit_test(test_addrs_several_and_bound), cmocka_unit_test(test_addrs_aaaa),
		cmocka_unit_test(test_addrs_not_ours),   cmocka_unit_test(test_addrs_pointer_loops),
		cmocka_unit_test(test_addrs_long_chain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
