/* IPv4 and IPv6 prefixes: parsing, formatting, containment and sizes. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vpndoctor/cidr.h"
#include "vpndoctor/common.h"

/* Longer than any address text inet_pton accepts ("ffff:...:255.255.255.255"). */
#define ADDR_TEXT_MAX 64

static unsigned family_bits(int family)
{
	return family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
}

static void clear_host_bits(struct vd_prefix *p)
{
	unsigned bits = family_bits(p->family);

	for (unsigned i = p->len; i < bits; i++)
		p->addr[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
}

static bool has_host_bits(const struct vd_prefix *p)
{
	unsigned bits = family_bits(p->family);

	for (unsigned i = p->len; i < bits; i++)
		if (p->addr[i / 8] & (0x80u >> (i % 8)))
			return true;
	return false;
}

/* inet_pton of at most n bytes of s; the family follows from a ':' in the text. */
static int addr_parse_n(const char *s, size_t n, struct vd_prefix *ret)
{
	char buf[ADDR_TEXT_MAX];
	struct vd_prefix p = {0};

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	p.family = memchr(buf, ':', n) ? AF_INET6 : AF_INET;
	if (inet_pton(p.family, buf, p.addr) != 1)
		return -EINVAL;
	p.len = family_bits(p.family);
	*ret = p;
	return 0;
}

int vd_addr_parse(const char *s, struct vd_prefix *ret)
{
	if (!s || !ret)
		return -EINVAL;
	return addr_parse_n(s, strlen(s), ret);
}

int vd_prefix_parse(const char *s, bool allow_host_bits, struct vd_prefix *ret)
{
	struct vd_prefix p;
	const char *slash;
	uint64_t len;
	int r;

	if (!s || !ret)
		return -EINVAL;
	slash = strchr(s, '/');
	r = addr_parse_n(s, slash ? (size_t)(slash - s) : strlen(s), &p);
	if (r < 0)
		return r;
	if (slash) {
		/* vd_parse_u64 refuses signs and spaces, so "/+8" and "/ 8" fail. */
		if (vd_parse_u64(slash + 1, 0, family_bits(p.family), &len) < 0)
			return -EINVAL;
		p.len = (unsigned)len;
	}
	if (has_host_bits(&p)) {
		if (!allow_host_bits)
			return -EINVAL;
		clear_host_bits(&p);
	}
	*ret = p;
	return 0;
}

int vd_prefix_parse_netmask(const char *net, const char *mask, struct vd_prefix *ret)
{
	struct vd_prefix p, m;
	uint32_t bits;
	unsigned len;

	if (!net || !mask || !ret)
		return -EINVAL;
	if (vd_addr_parse(net, &p) < 0 || p.family != AF_INET)
		return -EINVAL;
	if (vd_addr_parse(mask, &m) < 0 || m.family != AF_INET)
		return -EINVAL;
	bits = (uint32_t)m.addr[0] << 24 | (uint32_t)m.addr[1] << 16 | (uint32_t)m.addr[2] << 8 |
	       (uint32_t)m.addr[3];
	/* Contiguous: the inverted mask plus one is a power of two (or zero). */
	if (((~bits + 1) & ~bits) != 0)
		return -EINVAL;
	len = (unsigned)__builtin_popcount(bits);
	p.len = len;
	if (has_host_bits(&p))
		return -EINVAL;
	*ret = p;
	return 0;
}

char *vd_prefix_format(const struct vd_prefix *p, bool bare_host, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!buf || len == 0)
		return buf;
	buf[0] = '\0';
	if (!p || family_bits(p->family) == 0 || !inet_ntop(p->family, p->addr, a, sizeof(a)))
		return buf;
	if (bare_host && p->len == family_bits(p->family))
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, p->len);
	return buf;
}

static bool valid(const struct vd_prefix *p)
{
	return p && family_bits(p->family) != 0 && p->len <= family_bits(p->family);
}

/* The first n bits of a and b agree. */
static bool same_bits(const uint8_t *a, const uint8_t *b, unsigned n)
{
	unsigned whole = n / 8, rest = n % 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xffu << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

bool vd_prefix_contains(const struct vd_prefix *a, const struct vd_prefix *b)
{
	if (!valid(a) || !valid(b) || a->family != b->family || a->len > b->len)
		return false;
	return same_bits(a->addr, b->addr, a->len);
}

bool vd_prefix_overlaps(const struct vd_prefix *a, const struct vd_prefix *b)
{
	return vd_prefix_contains(a, b) || vd_prefix_contains(b, a);
}

bool vd_prefix_equal(const struct vd_prefix *a, const struct vd_prefix *b)
{
	if (!valid(a) || !valid(b) || a->family != b->family || a->len != b->len)
		return false;
	return same_bits(a->addr, b->addr, a->len);
}

/* 2^bits, saturating at UINT64_MAX. */
static uint64_t pow2_sat(unsigned bits)
{
	return bits >= 64 ? UINT64_MAX : (uint64_t)1 << bits;
}

uint64_t vd_prefix_count(const struct vd_prefix *p)
{
	if (!valid(p))
		return 0;
	return pow2_sat(family_bits(p->family) - p->len);
}

uint64_t vd_prefix_client_capacity(const struct vd_prefix *p)
{
	unsigned host;

	if (!valid(p))
		return 0;
	/* Each client takes a /30, so the capacity is 2^(host bits - 2); computed
	 * directly so that an IPv6 /64 gives 2^62 rather than a saturated count / 4. */
	host = family_bits(p->family) - p->len;
	return host < 2 ? 0 : pow2_sat(host - 2);
}
