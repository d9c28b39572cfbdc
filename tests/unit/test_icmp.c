/* lib/icmp.c: echo requests (v4 and v6), replies with and without the IPv4
 * header, ICMP errors quoting our echo (also from a ping socket's error
 * queue), every malformed shape, bare echoes, and ping's statistics. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vpndoctor/icmp.h"

static const uint8_t COOKIE[16] = "0123456789abcdef";

static struct vd_icmp_echo echo(bool v6, uint16_t seq)
{
	struct vd_icmp_echo e = {.v6 = v6, .id = 0x1234, .seq = seq,
				 .sent_ns = 0x0102030405060708ull};

	memcpy(e.cookie, COOKIE, 16);
	return e;
}

static struct vd_icmp_match match(bool v6)
{
	struct vd_icmp_match m = {.v6 = v6, .check_id = true, .id = 0x1234};

	memcpy(m.cookie, COOKIE, 16);
	return m;
}

static void set_checksum(uint8_t *icmp, size_t len)
{
	uint16_t s;

	icmp[2] = icmp[3] = 0;
	s = vd_icmp_checksum(icmp, len);
	icmp[2] = (uint8_t)(s >> 8);
	icmp[3] = (uint8_t)s;
}

/* An IPv4 header of `ihl` bytes (options zero) before `len` bytes at p. */
static size_t ip4(uint8_t *out, size_t ihl, uint8_t proto, const uint8_t src[4],
		  const uint8_t *p, size_t len)
{
	memset(out, 0, ihl);
	out[0] = (uint8_t)(0x40 | ihl / 4);
	out[2] = (uint8_t)((ihl + len) >> 8);
	out[3] = (uint8_t)(ihl + len);
	out[8] = 57;
	out[9] = proto;
	memcpy(out + 12, src, 4);
	out[16] = 10, out[17] = 8, out[18] = 0, out[19] = 6;
	memcpy(out + ihl, p, len);
	return ihl + len;
}

/* An ICMPv4 error of type/code with `rest` (bytes 4..7) quoting q. */
static size_t err4(uint8_t *out, uint8_t type, uint8_t code, uint32_t rest, const uint8_t *q,
		   size_t qlen)
{
	out[0] = type;
	out[1] = code;
	out[4] = (uint8_t)(rest >> 24), out[5] = (uint8_t)(rest >> 16);
	out[6] = (uint8_t)(rest >> 8), out[7] = (uint8_t)rest;
	memcpy(out + 8, q, qlen);
	set_checksum(out, 8 + qlen);
	return 8 + qlen;
}

static void test_checksum(void **state)
{
	/* RFC 1071 section 3's example: sum ddf2, checksum 220d. */
	static const uint8_t v[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	static const uint8_t odd[] = {0xff, 0xff, 0x01};

	(void)state;
	assert_int_equal(vd_icmp_checksum(v, sizeof(v)), 0x220d);
	/* An odd byte counts as the high half of a word. */
	assert_int_equal(vd_icmp_checksum(odd, 3), 0xfeff);
	assert_int_equal(vd_icmp_checksum(odd, 0), 0xffff);
}

static void test_build_v4(void **state)
{
	struct vd_icmp_echo e = echo(false, 0x0506);
	uint8_t buf[1500];

	(void)state;
	assert_int_equal(vd_icmp_echo_build(&e, 64, buf, sizeof(buf)), 0);
	assert_int_equal(buf[0], 8);
	assert_int_equal(buf[1], 0);
	assert_int_equal(buf[4], 0x12);
	assert_int_equal(buf[5], 0x34);
	assert_int_equal(buf[6], 0x05);
	assert_int_equal(buf[7], 0x06);
	assert_memory_equal(buf + 8, COOKIE, 16);
	assert_memory_equal(buf + 24, "\1\2\3\4\5\6\7\x08", 8);
	for (size_t i = 32; i < 64; i++)
		assert_int_equal(buf[i], (uint8_t)i);
	assert_int_equal(vd_icmp_checksum(buf, 64), 0);
	assert_int_not_equal(buf[2] | buf[3], 0);

	/* MTU probing: 1500 - 20. */
	assert_int_equal(vd_icmp_echo_build(&e, 1480, buf, sizeof(buf)), 0);
	assert_int_equal(vd_icmp_checksum(buf, 1480), 0);
	assert_int_equal(buf[1479], (uint8_t)1479);

	assert_int_equal(vd_icmp_echo_build(&e, VD_ICMP_ECHO_MIN, buf, sizeof(buf)), 0);
	assert_int_equal(vd_icmp_echo_build(&e, VD_ICMP_ECHO_MIN - 1, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(vd_icmp_echo_build(&e, 1501, buf, sizeof(buf)), -ENOSPC);
	assert_int_equal(vd_icmp_echo_build(&e, 65508, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(vd_icmp_echo_build(NULL, 64, buf, sizeof(buf)), -EINVAL);
}

static void test_build_v6(void **state)
{
	struct vd_icmp_echo e = echo(true, 7);
	uint8_t buf[128];

	(void)state;
	assert_int_equal(vd_icmp_echo_build(&e, 56, buf, sizeof(buf)), 0);
	assert_int_equal(buf[0], 128);
	assert_int_equal(buf[2], 0); /* the kernel's */
	assert_int_equal(buf[3], 0);
	assert_int_equal(buf[7], 7);
	assert_memory_equal(buf + 8, COOKIE, 16);
}

/* Our request turned into the peer's reply. */
static size_t reply_of(bool v6, uint16_t seq, size_t size, uint8_t *buf)
{
	struct vd_icmp_echo e = echo(v6, seq);

	assert_int_equal(vd_icmp_echo_build(&e, size, buf, 2000), 0);
	buf[0] = v6 ? 129 : 0;
	if (!v6)
		set_checksum(buf, size);
	return size;
}

static void test_reply_v4(void **state)
{
	static const uint8_t peer[4] = {10, 8, 0, 5};
	struct vd_icmp_match m = match(false);
	struct vd_icmp_result r;
	uint8_t icmp[2000], pkt[2100];
	size_t n = reply_of(false, 42, 100, icmp), pn;

	(void)state;
	/* Ping socket: the ICMP message alone. */
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_string_equal(vd_icmp_kind_name(r.kind), "echo-reply");
	assert_int_equal(r.seq, 42);
	assert_true(r.cookie_checked);
	assert_true(r.has_sent_ns);
	assert_true(r.sent_ns == 0x0102030405060708ull);
	assert_int_equal(r.size, 100);
	assert_false(r.has_ip);

	/* Raw socket: with the IP header, also with options. */
	for (size_t ihl = 20; ihl <= 60; ihl += 40) {
		pn = ip4(pkt, ihl, 1, peer, icmp, n);
		assert_int_equal(vd_icmp_parse(&m, true, pkt, pn, &r), 0);
		assert_int_equal(r.kind, VD_ICMP_ECHO_REPLY);
		assert_int_equal(r.seq, 42);
		assert_int_equal(r.size, 100);
		assert_true(r.has_ip);
		assert_int_equal(r.ttl, 57);
		assert_memory_equal(r.src, peer, 4);
	}

	/* A ping socket's kernel-chosen id: not checked. */
	m.check_id = false;
	icmp[4] = 0x77;
	set_checksum(icmp, n);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_ECHO_REPLY);
	m.check_id = true;
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_NOT_OURS);
	icmp[4] = 0x12;

	/* Another ping's cookie. */
	icmp[10] ^= 1;
	set_checksum(icmp, n);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_NOT_OURS);
	icmp[10] ^= 1;

	/* Corrupted on the way: the checksum tells. */
	icmp[60] ^= 0x40;
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_MALFORMED);
	icmp[60] ^= 0x40;

	/* Our own request looped back, a redirect: not ours. */
	icmp[0] = 8;
	set_checksum(icmp, n);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_NOT_OURS);
	icmp[0] = 5;
	set_checksum(icmp, n);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_NOT_OURS);
	assert_int_equal(r.type, 5);
}

static void test_bad_ip_header(void **state)
{
	static const uint8_t peer[4] = {10, 8, 0, 5};
	struct vd_icmp_match m = match(false);
	struct vd_icmp_result r;
	uint8_t icmp[2000], pkt[2100];
	size_t n = reply_of(false, 1, 64, icmp), pn;

	(void)state;
	pn = ip4(pkt, 20, 1, peer, icmp, n);
	/* Every truncation: the total length no longer fits. */
	for (size_t k = 0; k < pn; k++) {
		assert_int_equal(vd_icmp_parse(&m, true, pkt, k, &r), 0);
		assert_int_equal(r.kind, VD_ICMP_MALFORMED);
	}
	pkt[0] = 0x65; /* version 6 */
	assert_int_equal(vd_icmp_parse(&m, true, pkt, pn, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_MALFORMED);
	pkt[0] = 0x44; /* IHL 16 bytes */
	assert_int_equal(vd_icmp_parse(&m, true, pkt, pn, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_MALFORMED);
	pkt[0] = 0x4f; /* IHL 60 bytes, total length 84: ICMP cut to 24 */
	assert_int_equal(vd_icmp_parse(&m, true, pkt, pn, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_MALFORMED);
	pkt[0] = 0x45;
	pkt[9] = 17; /* UDP */
	assert_int_equal(vd_icmp_parse(&m, true, pkt, pn, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_MALFORMED);
	pkt[9] = 1;
	pkt[3] = 10; /* total length shorter than the header */
	assert_int_equal(vd_icmp_parse(&m, true, pkt, pn, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_MALFORMED);
	pkt[3] = (uint8_t)pn;
	/* Trailing bytes past the total length (Ethernet padding) are ignored. */
	assert_int_equal(vd_icmp_parse(&m, true, pkt, pn + 3, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_ECHO_REPLY);
	/* A reply shorter than cookie and time cannot be ours; under 8 bytes
	 * it is no ICMP. */
	n = reply_of(false, 1, 64, icmp);
	icmp[0] = 0;
	set_checksum(icmp, 20);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, 20, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_NOT_OURS);
	/* The cookie but not the time (fuzz_icmp found it taken for ours). */
	set_checksum(icmp, 24);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, 24, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_NOT_OURS);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, 7, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_MALFORMED);
	assert_int_equal(vd_icmp_parse(&m, false, NULL, 0, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_MALFORMED);
	assert_int_equal(vd_icmp_parse(&m, false, NULL, 5, &r), -EINVAL);
	assert_int_equal(vd_icmp_parse(NULL, false, icmp, n, &r), -EINVAL);
	m.v6 = true;
	assert_int_equal(vd_icmp_parse(&m, true, pkt, pn, &r), -EINVAL);
}

static void test_errors_v4(void **state)
{
	static const uint8_t router[4] = {192, 0, 2, 1}, us[4] = {10, 8, 0, 6};
	struct vd_icmp_match m = match(false);
	struct vd_icmp_echo e = echo(false, 9);
	struct vd_icmp_result r;
	uint8_t req[1500], quoted[1600], icmp[1700], pkt[1800];
	size_t qn, n, pn;

	(void)state;
	assert_int_equal(vd_icmp_echo_build(&e, 1472, req, sizeof(req)), 0);
	qn = ip4(quoted, 20, 1, us, req, 1472);
	assert_int_equal(qn, 1492);

	/* Fragmentation needed, next-hop MTU 1400, a Linux router's quote
	 * (up to 576 bytes in all). */
	n = err4(icmp, 3, 4, 1400, quoted, 576 - 28);
	pn = ip4(pkt, 20, 1, router, icmp, n);
	assert_int_equal(vd_icmp_parse(&m, true, pkt, pn, &r), 0);
	assert_string_equal(vd_icmp_kind_name(r.kind), "too-big");
	assert_int_equal(r.mtu, 1400);
	assert_int_equal(r.seq, 9);
	assert_true(r.cookie_checked);
	assert_true(r.has_sent_ns);
	assert_memory_equal(r.src, router, 4);

	/* An RFC 792 router: IP header + 8 bytes, no MTU (RFC 1191 absent). */
	n = err4(icmp, 3, 4, 0, quoted, 28);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_TOO_BIG);
	assert_int_equal(r.mtu, 0);
	assert_int_equal(r.seq, 9);
	assert_false(r.cookie_checked);
	assert_false(r.has_sent_ns);

	/* Port / host unreachable, TTL exceeded. */
	n = err4(icmp, 3, 1, 0, quoted, 60);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_UNREACHABLE);
	assert_int_equal(r.code, 1);
	assert_true(r.cookie_checked);
	n = err4(icmp, 11, 0, 0, quoted, 60);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_string_equal(vd_icmp_kind_name(r.kind), "time-exceeded");
	assert_int_equal(r.seq, 9);

	/* Someone else's echo, quoted. */
	quoted[20 + 12] ^= 1;
	n = err4(icmp, 11, 0, 0, quoted, 60);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_NOT_OURS);
	quoted[20 + 12] ^= 1;
	quoted[20 + 5] ^= 1; /* id */
	n = err4(icmp, 11, 0, 0, quoted, 28);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_NOT_OURS);
	quoted[20 + 5] ^= 1;
	/* Quoting a UDP datagram, an echo reply, a later fragment. */
	quoted[9] = 17;
	n = err4(icmp, 3, 3, 0, quoted, 60);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_NOT_OURS);
	quoted[9] = 1;
	quoted[20] = 0;
	n = err4(icmp, 3, 3, 0, quoted, 60);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_NOT_OURS);
	quoted[20] = 8;
	quoted[7] = 0xb9; /* fragment offset 185 * 8 */
	n = err4(icmp, 3, 3, 0, quoted, 60);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_NOT_OURS);
	quoted[7] = 0;
	/* A quote too short for the ICMP header, or with a broken header. */
	n = err4(icmp, 3, 3, 0, quoted, 27);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_MALFORMED);
	quoted[0] = 0x43;
	n = err4(icmp, 3, 3, 0, quoted, 60);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_MALFORMED);
	quoted[0] = 0x45;

	/* Every truncation of a full error: never ours with a wrong seq. */
	n = err4(icmp, 3, 4, 1400, quoted, 100);
	for (size_t k = 0; k <= n; k++) {
		assert_int_equal(vd_icmp_parse(&m, false, icmp, k, &r), 0);
		assert_true(r.kind == VD_ICMP_MALFORMED || r.kind == VD_ICMP_NOT_OURS ||
			    (k == n && r.kind == VD_ICMP_TOO_BIG && r.seq == 9));
	}
}

/* An IPv6 header (next header `nh`) and `ext` bytes of extension headers
 * before our request. */
static size_t ip6_quote(uint8_t *out, uint8_t nh, const uint8_t *ext, size_t ext_len,
			const uint8_t *req, size_t len)
{
	memset(out, 0, 40);
	out[0] = 0x60;
	out[4] = (uint8_t)((ext_len + len) >> 8);
	out[5] = (uint8_t)(ext_len + len);
	out[6] = nh;
	out[7] = 64;
	if (ext_len)
		memcpy(out + 40, ext, ext_len);
	memcpy(out + 40 + ext_len, req, len);
	return 40 + ext_len + len;
}

static size_t err6(uint8_t *out, uint8_t type, uint8_t code, uint32_t rest, const uint8_t *q,
		   size_t qlen)
{
	out[0] = type;
	out[1] = code;
	out[2] = out[3] = 0;
	out[4] = (uint8_t)(rest >> 24), out[5] = (uint8_t)(rest >> 16);
	out[6] = (uint8_t)(rest >> 8), out[7] = (uint8_t)rest;
	memcpy(out + 8, q, qlen);
	return 8 + qlen;
}

static void test_v6(void **state)
{
	/* hop-by-hop (padding) then a first fragment, then ICMPv6. */
	static const uint8_t hbh_frag[16] = {44, 0, 1, 4, 0, 0, 0, 0,
					     58, 0, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef};
	struct vd_icmp_match m = match(true);
	struct vd_icmp_echo e = echo(true, 300);
	struct vd_icmp_result r;
	uint8_t req[1500], quoted[1600], icmp[1700];
	size_t qn, n;

	(void)state;
	n = reply_of(true, 300, 64, icmp);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_ECHO_REPLY);
	assert_int_equal(r.seq, 300);
	/* A v4 reply type on a v6 socket is not a reply. */
	icmp[0] = 0;
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_NOT_OURS);

	assert_int_equal(vd_icmp_echo_build(&e, 1452, req, sizeof(req)), 0);
	qn = ip6_quote(quoted, 58, NULL, 0, req, 1232 - 48);
	n = err6(icmp, 2, 0, 1280, quoted, qn);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_TOO_BIG);
	assert_int_equal(r.mtu, 1280);
	assert_int_equal(r.seq, 300);
	assert_true(r.cookie_checked);

	n = err6(icmp, 1, 4, 0, quoted, 40 + 8);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_UNREACHABLE);
	assert_int_equal(r.code, 4);
	assert_false(r.cookie_checked);
	n = err6(icmp, 3, 0, 0, quoted, 200);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_TIME_EXCEEDED);

	/* Through extension headers. */
	qn = ip6_quote(quoted, 0, hbh_frag, sizeof(hbh_frag), req, 200);
	n = err6(icmp, 3, 0, 0, quoted, qn);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_TIME_EXCEEDED);
	assert_int_equal(r.seq, 300);
	/* A later fragment holds no ICMP header. */
	quoted[40 + 8 + 2] = 0x05;
	n = err6(icmp, 3, 0, 0, quoted, qn);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_NOT_OURS);
	/* The chain cut short, and a chain of UDP. */
	n = err6(icmp, 3, 0, 0, quoted, 44);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_MALFORMED);
	qn = ip6_quote(quoted, 17, NULL, 0, req, 100);
	n = err6(icmp, 1, 4, 0, quoted, qn);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_NOT_OURS);
	/* Nine hop-by-hop headers: more than any probe sends. */
	{
		uint8_t ext[72];

		for (int i = 0; i < 9; i++) {
			memset(ext + 8 * i, 0, 8);
			ext[8 * i] = i == 8 ? 58 : 0;
		}
		qn = ip6_quote(quoted, 0, ext, sizeof(ext), req, 100);
		n = err6(icmp, 1, 4, 0, quoted, qn);
		assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
		assert_int_equal(r.kind, VD_ICMP_MALFORMED);
	}
	/* A version-4 header in a v6 quote. */
	qn = ip6_quote(quoted, 58, NULL, 0, req, 100);
	quoted[0] = 0x45;
	n = err6(icmp, 1, 4, 0, quoted, qn);
	assert_int_equal(vd_icmp_parse(&m, false, icmp, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_MALFORMED);
}

static void test_errqueue(void **state)
{
	struct vd_icmp_match m4 = match(false), m6 = match(true);
	struct vd_icmp_echo e4 = echo(false, 11), e6 = echo(true, 12);
	struct vd_icmp_result r;
	uint8_t req4[1472], req6[1452];

	(void)state;
	assert_int_equal(vd_icmp_echo_build(&e4, sizeof(req4), req4, sizeof(req4)), 0);
	assert_int_equal(vd_icmp_echo_build(&e6, sizeof(req6), req6, sizeof(req6)), 0);
	assert_int_equal(vd_icmp_parse_errqueue(&m4, 3, 4, 1400, req4, sizeof(req4), &r), 0);
	assert_int_equal(r.kind, VD_ICMP_TOO_BIG);
	assert_int_equal(r.mtu, 1400);
	assert_int_equal(r.seq, 11);
	assert_true(r.cookie_checked);
	assert_int_equal(vd_icmp_parse_errqueue(&m4, 11, 0, 0, req4, sizeof(req4), &r), 0);
	assert_int_equal(r.kind, VD_ICMP_TIME_EXCEEDED);
	assert_int_equal(vd_icmp_parse_errqueue(&m4, 3, 3, 0, req4, sizeof(req4), &r), 0);
	assert_int_equal(r.kind, VD_ICMP_UNREACHABLE);
	assert_int_equal(vd_icmp_parse_errqueue(&m6, 2, 0, 1280, req6, sizeof(req6), &r), 0);
	assert_int_equal(r.kind, VD_ICMP_TOO_BIG);
	assert_int_equal(r.mtu, 1280);
	assert_int_equal(r.seq, 12);
	/* Not an error type; too short; another family's request; another id. */
	assert_int_equal(vd_icmp_parse_errqueue(&m4, 0, 0, 0, req4, sizeof(req4), &r), 0);
	assert_int_equal(r.kind, VD_ICMP_NOT_OURS);
	assert_int_equal(vd_icmp_parse_errqueue(&m4, 3, 4, 0, req4, 7, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_MALFORMED);
	assert_int_equal(vd_icmp_parse_errqueue(&m4, 3, 4, 0, req6, sizeof(req6), &r), 0);
	assert_int_equal(r.kind, VD_ICMP_NOT_OURS);
	m4.id = 1;
	assert_int_equal(vd_icmp_parse_errqueue(&m4, 3, 4, 0, req4, sizeof(req4), &r), 0);
	assert_int_equal(r.kind, VD_ICMP_NOT_OURS);
	assert_int_equal(vd_icmp_parse_errqueue(&m4, 3, 4, 0, NULL, 3, &r), -EINVAL);
}

/* Bare echoes: 8 bytes, a valid checksum; their replies are ours by id and
 * sequence alone, a reply of another size is not, nor one with a cookie-ful
 * body; an error quoting a bare echo maps back to its sequence. */
static void test_bare(void **state)
{
	static const uint8_t router[4] = {10, 8, 0, 1};
	struct vd_icmp_echo e = echo(false, 0xbeef), e6 = echo(true, 7);
	struct vd_icmp_match m = match(false);
	struct vd_icmp_result r;
	uint8_t req[8], req6[8], rep[40], err[64], pkt[128];
	size_t n;

	(void)state;
	m.bare = true;
	assert_int_equal(vd_icmp_echo_build_bare(&e, req, 7), -ENOSPC);
	assert_int_equal(vd_icmp_echo_build_bare(NULL, req, 8), -EINVAL);
	assert_int_equal(vd_icmp_echo_build_bare(&e, req, sizeof(req)), 0);
	assert_int_equal(req[0], 8);
	assert_int_equal(vd_icmp_checksum(req, 8), 0);
	assert_int_equal(req[4] << 8 | req[5], 0x1234);
	assert_int_equal(req[6] << 8 | req[7], 0xbeef);
	assert_int_equal(vd_icmp_echo_build_bare(&e6, req6, sizeof(req6)), 0);
	assert_int_equal(req6[0], 128);

	/* its reply */
	memcpy(rep, req, 8);
	rep[0] = 0;
	set_checksum(rep, 8);
	assert_int_equal(vd_icmp_parse(&m, false, rep, 8, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_ECHO_REPLY);
	assert_int_equal(r.seq, 0xbeef);
	assert_false(r.cookie_checked);
	assert_false(r.has_sent_ns);
	assert_int_equal(r.size, 8);
	n = ip4(pkt, 20, 1, router, rep, 8);
	assert_int_equal(vd_icmp_parse(&m, true, pkt, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_ECHO_REPLY);
	/* another id; a reply with a body (another program's, or the
	 * cookie-ful kind) */
	m.id = 0x4321;
	assert_int_equal(vd_icmp_parse(&m, false, rep, 8, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_NOT_OURS);
	m.id = 0x1234;
	memset(rep + 8, 0, 32);
	set_checksum(rep, 40);
	assert_int_equal(vd_icmp_parse(&m, false, rep, 40, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_NOT_OURS);
	/* the cookie-ful matcher takes no bare reply */
	m.bare = false;
	set_checksum(rep, 8);
	assert_int_equal(vd_icmp_parse(&m, false, rep, 8, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_NOT_OURS);
	m.bare = true;

	/* an error that quotes it: IP header and the 8 bytes, as RFC 792 asks */
	n = ip4(pkt, 20, 1, router, req, 8);
	n = err4(err, 11, 0, 0, pkt, n);
	assert_int_equal(vd_icmp_parse(&m, false, err, n, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_TIME_EXCEEDED);
	assert_int_equal(r.seq, 0xbeef);
	assert_int_equal(vd_icmp_parse_errqueue(&m, 3, 3, 0, req, 8, &r), 0);
	assert_int_equal(r.kind, VD_ICMP_UNREACHABLE);
	assert_int_equal(r.seq, 0xbeef);
}

static void test_stats(void **state)
{
	static const double a[] = {1, 2, 3, 4, 5};
	static const double b[] = {10, 12, 11, 15, 10};
	double c[100];
	struct vd_rtt_stats s;

	(void)state;
	assert_int_equal(vd_rtt_stats_compute(a, 5, 10, &s), 0);
	assert_int_equal(s.sent, 10);
	assert_int_equal(s.received, 5);
	assert_float_equal(s.loss_pct, 50.0, 1e-9);
	assert_float_equal(s.min_ms, 1, 1e-12);
	assert_float_equal(s.avg_ms, 3, 1e-12);
	assert_float_equal(s.max_ms, 5, 1e-12);
	assert_float_equal(s.mdev_ms, 1.4142135623730951, 1e-9);
	assert_float_equal(s.p95_ms, 5, 1e-12);
	assert_float_equal(s.jitter_ms, 0.2275238037109375, 1e-12);

	/* Order matters to jitter, not to the rest. */
	assert_int_equal(vd_rtt_stats_compute(b, 5, 5, &s), 0);
	assert_float_equal(s.loss_pct, 0, 1e-12);
	assert_float_equal(s.avg_ms, 11.6, 1e-9);
	assert_float_equal(s.mdev_ms, 1.8547236990991407, 1e-9);
	assert_float_equal(s.jitter_ms, 0.704803466796875, 1e-12);
	assert_float_equal(s.p95_ms, 15, 1e-12);

	/* Nearest rank: the 95th of 100, the 19th of 20, the 1st of 1. */
	for (int i = 0; i < 100; i++)
		c[i] = 100 - i;
	assert_int_equal(vd_rtt_stats_compute(c, 100, 100, &s), 0);
	assert_float_equal(s.p95_ms, 95, 1e-12);
	assert_float_equal(s.mdev_ms, 28.86607004772212, 1e-9);
	assert_int_equal(vd_rtt_stats_compute(c + 80, 20, 20, &s), 0);
	assert_float_equal(s.p95_ms, 19, 1e-12);
	assert_int_equal(vd_rtt_stats_compute(c + 99, 1, 3, &s), 0);
	assert_float_equal(s.p95_ms, 1, 1e-12);
	assert_float_equal(s.mdev_ms, 0, 1e-12);
	assert_float_equal(s.jitter_ms, 0, 1e-12);
	assert_float_equal(s.loss_pct, 200.0 / 3, 1e-9);

	/* Nothing came back; nothing was sent. */
	assert_int_equal(vd_rtt_stats_compute(NULL, 0, 4, &s), 0);
	assert_float_equal(s.loss_pct, 100, 1e-12);
	assert_float_equal(s.avg_ms, 0, 1e-12);
	assert_int_equal(vd_rtt_stats_compute(NULL, 0, 0, &s), 0);
	assert_float_equal(s.loss_pct, 0, 1e-12);
	assert_int_equal(vd_rtt_stats_compute(a, 5, 4, &s), -EINVAL);
	assert_int_equal(vd_rtt_stats_compute(NULL, 1, 4, &s), -EINVAL);

	/* One RFC 3550 step, either direction of change. */
	assert_float_equal(vd_jitter_update(0, 10, 26), 1, 1e-12);
	assert_float_equal(vd_jitter_update(0, 26, 10), 1, 1e-12);
	assert_float_equal(vd_jitter_update(2, 5, 5), 1.875, 1e-12);
}

static void test_tries_for_loss(void **state)
{
	(void)state;
	/* nothing measured, or nothing lost: the minimum */
	assert_int_equal(vd_icmp_tries_for_loss(0, 0, 3, 8), 3);
	assert_int_equal(vd_icmp_tries_for_loss(12, 0, 3, 8), 3);
	/* 10 %: 3 misses in a row happen 1 time in 1000 */
	assert_int_equal(vd_icmp_tries_for_loss(10, 1, 3, 8), 3);
	/* 40 %: 0.4^5 = 1.02 % is not below 1 %, 0.4^6 = 0.41 % is */
	assert_int_equal(vd_icmp_tries_for_loss(10, 4, 3, 8), 6);
	/* 50 %: 0.5^7 = 0.78 % */
	assert_int_equal(vd_icmp_tries_for_loss(2, 1, 3, 8), 7);
	/* the cap, and everything lost */
	assert_int_equal(vd_icmp_tries_for_loss(10, 9, 3, 8), 8);
	assert_int_equal(vd_icmp_tries_for_loss(5, 5, 3, 8), 8);
	assert_int_equal(vd_icmp_tries_for_loss(5, 1, 4, 2), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum),
		cmocka_unit_test(test_build_v4),
		cmocka_unit_test(test_build_v6),
		cmocka_unit_test(test_reply_v4),
		cmocka_unit_test(test_bad_ip_header),
		cmocka_unit_test(test_errors_v4),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_errqueue),
		cmocka_unit_test(test_bare),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_tries_for_loss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
