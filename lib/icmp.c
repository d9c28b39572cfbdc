/* ICMP and ICMPv6 echo: building requests, recognising our replies and the
 * errors that quote our requests, and ping's RTT statistics. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vpndoctor/icmp.h"

#define ICMP4_ECHO_REPLY 0
#define ICMP4_UNREACH 3
#define ICMP4_UNREACH_NEEDFRAG 4
#define ICMP4_ECHO 8
#define ICMP4_TIME_EXCEEDED 11
#define ICMP6_UNREACH 1
#define ICMP6_TOO_BIG 2
#define ICMP6_TIME_EXCEEDED 3
#define ICMP6_ECHO 128
#define ICMP6_ECHO_REPLY 129
#define IPPROTO_ICMP_ 1
#define IPPROTO_ICMPV6_ 58
#define IP4_MIN_HDR 20
#define IP6_HDR 40
#define ECHO_MAX 65507 /* 65535 - 20 (IPv4) - 8 */
#define OFF_COOKIE VD_ICMP_HDR_LEN
#define OFF_TIME (OFF_COOKIE + VD_ICMP_COOKIE_LEN)

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

uint16_t vd_icmp_checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int vd_icmp_echo_build(const struct vd_icmp_echo *e, size_t size, uint8_t *buf, size_t cap)
{
	uint16_t sum;

	if (!e || !buf || size < VD_ICMP_ECHO_MIN || size > ECHO_MAX)
		return -EINVAL;
	if (size > cap)
		return -ENOSPC;
	buf[0] = e->v6 ? ICMP6_ECHO : ICMP4_ECHO;
	buf[1] = 0;
	buf[2] = buf[3] = 0;
	buf[4] = (uint8_t)(e->id >> 8);
	buf[5] = (uint8_t)e->id;
	buf[6] = (uint8_t)(e->seq >> 8);
	buf[7] = (uint8_t)e->seq;
	memcpy(buf + OFF_COOKIE, e->cookie, VD_ICMP_COOKIE_LEN);
	for (int i = 0; i < 8; i++)
		buf[OFF_TIME + i] = (uint8_t)(e->sent_ns >> (56 - 8 * i));
	/* A counting pattern, as ping's: a link that corrupts or truncates
	 * large packets shows in the reply. */
	for (size_t i = VD_ICMP_ECHO_MIN; i < size; i++)
		buf[i] = (uint8_t)i;
	if (!e->v6) {
		sum = vd_icmp_checksum(buf, size);
		buf[2] = (uint8_t)(sum >> 8);
		buf[3] = (uint8_t)sum;
	}
	return 0;
}

int vd_icmp_echo_build_bare(const struct vd_icmp_echo *e, uint8_t *buf, size_t cap)
{
	uint16_t sum;

	if (!e || !buf)
		return -EINVAL;
	if (cap < VD_ICMP_HDR_LEN)
		return -ENOSPC;
	buf[0] = e->v6 ? ICMP6_ECHO : ICMP4_ECHO;
	buf[1] = 0;
	buf[2] = buf[3] = 0;
	buf[4] = (uint8_t)(e->id >> 8);
	buf[5] = (uint8_t)e->id;
	buf[6] = (uint8_t)(e->seq >> 8);
	buf[7] = (uint8_t)e->seq;
	if (!e->v6) {
		sum = vd_icmp_checksum(buf, VD_ICMP_HDR_LEN);
		buf[2] = (uint8_t)(sum >> 8);
		buf[3] = (uint8_t)sum;
	}
	return 0;
}

const char *vd_icmp_kind_name(enum vd_icmp_kind k)
{
	switch (k) {
	case VD_ICMP_NOT_OURS:
		return "not-ours";
	case VD_ICMP_MALFORMED:
		return "malformed";
	case VD_ICMP_ECHO_REPLY:
		return "echo-reply";
	case VD_ICMP_UNREACHABLE:
		return "unreachable";
	case VD_ICMP_TOO_BIG:
		return "too-big";
	case VD_ICMP_TIME_EXCEEDED:
		return "time-exceeded";
	}
	return "unknown";
}

static bool cookie_eq(const struct vd_icmp_match *m, const uint8_t *p)
{
	return memcmp(m->cookie, p, VD_ICMP_COOKIE_LEN) == 0;
}

/* An echo (request or reply: `icmp` of `len` bytes) is ours when id and
 * cookie match. A quoted request may be cut short (RFC 792 routers quote 8
 * bytes): then id alone decides and cookie_checked stays false. */
static bool echo_is_ours(const struct vd_icmp_match *m, const uint8_t *icmp, size_t len,
			 bool quoted, struct vd_icmp_result *r)
{
	if (m->bare) {
		/* a bare echo is the header alone: a reply of another size is
		 * not to one of ours (a quote holds at least the header) */
		if ((m->check_id && get_be16(icmp + 4) != m->id) || (!quoted && len != VD_ICMP_HDR_LEN))
			return false;
		r->seq = get_be16(icmp + 6);
		return true;
	}
	/* We never send less than cookie and time: a shorter reply is not
	 * to one of ours. */
	if ((m->check_id && get_be16(icmp + 4) != m->id) || (!quoted && len < VD_ICMP_ECHO_MIN))
		return false;
	if (len >= OFF_COOKIE + VD_ICMP_COOKIE_LEN) {
		if (!cookie_eq(m, icmp + OFF_COOKIE))
			return false;
		r->cookie_checked = true;
	}
	r->seq = get_be16(icmp + 6);
	if (len >= VD_ICMP_ECHO_MIN) {
		r->has_sent_ns = true;
		r->sent_ns = get_be64(icmp + OFF_TIME);
	}
	return true;
}

/* Finds the ICMP(v6) message in a quoted IP packet. Returns its offset,
 * -1 when the quote is malformed, -2 when it quotes something else. */
static long quoted_icmp(bool v6, const uint8_t *q, size_t len)
{
	size_t off;
	uint8_t next;

	if (!v6) {
		size_t ihl;

		if (len < IP4_MIN_HDR || q[0] >> 4 != 4)
			return -1;
		ihl = (size_t)(q[0] & 0x0f) * 4;
		if (ihl < IP4_MIN_HDR || len < ihl)
			return -1;
		if (q[9] != IPPROTO_ICMP_ || (get_be16(q + 6) & 0x1fff) != 0)
			return -2;
		return len >= ihl + VD_ICMP_HDR_LEN ? (long)ihl : -1;
	}
	if (len < IP6_HDR || q[0] >> 4 != 6)
		return -1;
	next = q[6];
	off = IP6_HDR;
	/* Extension headers a probe's own packet may carry. */
	for (int hops = 0; next != IPPROTO_ICMPV6_; hops++) {
		if (hops == 8 || len < off + 8)
			return -1;
		switch (next) {
		case 0:  /* hop-by-hop */
		case 43: /* routing */
		case 60: /* destination options */
			next = q[off];
			off += ((size_t)q[off + 1] + 1) * 8;
			break;
		case 44: /* fragment: only the first one holds the ICMP header */
			if ((get_be16(q + off + 2) & 0xfff8) != 0)
				return -2;
			next = q[off];
			off += 8;
			break;
		default:
			return -2;
		}
	}
	return len >= off + VD_ICMP_HDR_LEN ? (long)off : -1;
}

static enum vd_icmp_kind error_kind(bool v6, uint8_t type, uint8_t code, bool *is_error)
{
	*is_error = true;
	if (!v6) {
		if (type == ICMP4_UNREACH)
			return code == ICMP4_UNREACH_NEEDFRAG ? VD_ICMP_TOO_BIG : VD_ICMP_UNREACHABLE;
		if (type == ICMP4_TIME_EXCEEDED)
			return VD_ICMP_TIME_EXCEEDED;
	} else {
		if (type == ICMP6_UNREACH)
			return VD_ICMP_UNREACHABLE;
		if (type == ICMP6_TOO_BIG)
			return VD_ICMP_TOO_BIG;
		if (type == ICMP6_TIME_EXCEEDED)
			return VD_ICMP_TIME_EXCEEDED;
	}
	*is_error = false;
	return VD_ICMP_NOT_OURS;
}

static void parse_icmp(const struct vd_icmp_match *m, const uint8_t *p, size_t len,
		       struct vd_icmp_result *r)
{
	enum vd_icmp_kind kind;
	bool is_error;
	long off;

	if (len < VD_ICMP_HDR_LEN) {
		r->kind = VD_ICMP_MALFORMED;
		return;
	}
	/* The kernel checks ICMPv6 checksums itself; IPv4 raw sockets get
	 * whatever arrived. */
	if (!m->v6 && vd_icmp_checksum(p, len) != 0) {
		r->kind = VD_ICMP_MALFORMED;
		return;
	}
	r->type = p[0];
	r->code = p[1];
	if (r->type == (m->v6 ? ICMP6_ECHO_REPLY : ICMP4_ECHO_REPLY)) {
		if (echo_is_ours(m, p, len, false, r)) {
			r->kind = VD_ICMP_ECHO_REPLY;
			r->size = len;
		}
		return;
	}
	kind = error_kind(m->v6, r->type, r->code, &is_error);
	if (!is_error)
		return;
	off = quoted_icmp(m->v6, p + VD_ICMP_HDR_LEN, len - VD_ICMP_HDR_LEN);
	if (off == -1)
		r->kind = VD_ICMP_MALFORMED;
	if (off < 0)
		return;
	p += VD_ICMP_HDR_LEN;
	len -= VD_ICMP_HDR_LEN;
	if (p[off] != (m->v6 ? ICMP6_ECHO : ICMP4_ECHO) || p[off + 1] != 0)
		return;
	if (!echo_is_ours(m, p + off, len - (size_t)off, true, r))
		return;
	r->kind = kind;
	if (kind == VD_ICMP_TOO_BIG)
		r->mtu = m->v6 ? get_be32(p - VD_ICMP_HDR_LEN + 4)
			       : get_be16(p - VD_ICMP_HDR_LEN + 6);
}

int vd_icmp_parse(const struct vd_icmp_match *m, bool with_ip_header, const uint8_t *pkt,
		  size_t len, struct vd_icmp_result *ret)
{
	struct vd_icmp_result r = {.kind = VD_ICMP_NOT_OURS};

	if (!m || (!pkt && len) || !ret || (with_ip_header && m->v6))
		return -EINVAL;
	if (with_ip_header) {
		size_t ihl, tot;

		r.kind = VD_ICMP_MALFORMED;
		if (len < IP4_MIN_HDR || pkt[0] >> 4 != 4)
			goto out;
		ihl = (size_t)(pkt[0] & 0x0f) * 4;
		tot = get_be16(pkt + 2);
		if (ihl < IP4_MIN_HDR || len < ihl || tot < ihl || pkt[9] != IPPROTO_ICMP_)
			goto out;
		/* Linux hands raw sockets the header as received; a total
		 * length beyond what was read means a truncated read. */
		if (tot > len)
			goto out;
		r.kind = VD_ICMP_NOT_OURS;
		r.has_ip = true;
		r.ttl = pkt[8];
		memcpy(r.src, pkt + 12, 4);
		pkt += ihl;
		len = tot - ihl;
	}
	parse_icmp(m, pkt, len, &r);
out:
	*ret = r;
	return 0;
}

int vd_icmp_parse_errqueue(const struct vd_icmp_match *m, uint8_t type, uint8_t code,
			   uint32_t info, const uint8_t *orig, size_t len,
			   struct vd_icmp_result *ret)
{
	struct vd_icmp_result r = {.kind = VD_ICMP_NOT_OURS};
	enum vd_icmp_kind kind;
	bool is_error;

	if (!m || (!orig && len) || !ret)
		return -EINVAL;
	r.type = type;
	r.code = code;
	kind = error_kind(m->v6, type, code, &is_error);
	if (!is_error)
		goto out;
	if (len < VD_ICMP_HDR_LEN) {
		r.kind = VD_ICMP_MALFORMED;
		goto out;
	}
	if (orig[0] != (m->v6 ? ICMP6_ECHO : ICMP4_ECHO) || orig[1] != 0)
		goto out;
	if (!echo_is_ours(m, orig, len, true, &r))
		goto out;
	r.kind = kind;
	if (kind == VD_ICMP_TOO_BIG)
		r.mtu = info;
out:
	*ret = r;
	return 0;
}

/* Newton's iteration: keeps libvpndoctor free of libm for one square root. */
static double sqrt_pos(double v)
{
	double x;

	if (!(v > 0))
		return 0;
	x = v > 1 ? v : 1;
	for (int i = 0; i < 200; i++) {
		double nx = (x + v / x) / 2;

		if (nx >= x)
			break;
		x = nx;
	}
	return x;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double vd_jitter_update(double jitter, double prev_rtt, double rtt)
{
	double d = rtt - prev_rtt;

	if (d < 0)
		d = -d;
	return jitter + (d - jitter) / 16;
}

int vd_rtt_stats_compute(const double *rtt_ms, size_t n, unsigned sent, struct vd_rtt_stats *ret)
{
	struct vd_rtt_stats s = {.sent = sent, .received = (unsigned)n};
	double sum = 0, var = 0, *sorted;

	if ((!rtt_ms && n) || !ret || n > sent)
		return -EINVAL;
	if (sent)
		s.loss_pct = 100.0 * (double)(sent - n) / sent;
	if (n == 0) {
		*ret = s;
		return 0;
	}
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, rtt_ms, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	s.min_ms = sorted[0];
	s.max_ms = sorted[n - 1];
	s.p95_ms = sorted[(95 * n + 99) / 100 - 1];
	free(sorted);
	for (size_t i = 0; i < n; i++)
		sum += rtt_ms[i];
	s.avg_ms = sum / (double)n;
	/* mean of squares minus square of mean, as ping prints it, computed
	 * the stable way. */
	for (size_t i = 0; i < n; i++)
		var += (rtt_ms[i] - s.avg_ms) * (rtt_ms[i] - s.avg_ms);
	s.mdev_ms = sqrt_pos(var / (double)n);
	for (size_t i = 1; i < n; i++)
		s.jitter_ms = vd_jitter_update(s.jitter_ms, rtt_ms[i - 1], rtt_ms[i]);
	*ret = s;
	return 0;
}

unsigned vd_icmp_tries_for_loss(unsigned sent, unsigned lost, unsigned min, unsigned max)
{
	double p, miss = 1.0;
	unsigned n = 0;

	if (max < min)
		max = min;
	if (sent == 0 || lost == 0)
		return min;
	if (lost >= sent)
		return max;
	p = (double)lost / (double)sent;
	while (n < max && (n < min || miss >= 0.01)) {
		miss *= p;
		n++;
	}
	return n;
}
