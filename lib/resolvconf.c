/* resolv.conf as glibc's res_init (resolv_conf.c, res_init.c) reads it: a
 * keyword at the very start of a line followed by a blank, comment lines
 * starting with '#' or ';', the first MAXNS nameservers, the last of domain or
 * search, and options; and the DNS messages of a stub resolver. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "vpndoctor/common.h"
#include "vpndoctor/resolvconf.h"

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The line [p, end) starts with keyword and a blank: returns the value after
 * the blanks, else NULL. */
static const char *keyword(const char *p, const char *end, const char *kw)
{
	size_t n = strlen(kw);

	if ((size_t)(end - p) <= n || memcmp(p, kw, n) != 0 || !blank(p[n]))
		return NULL;
	for (p += n; p < end && blank(*p); p++)
		;
	return p;
}

/* The next blank-separated word of [*p, end): 0 when there is none. */
static size_t word(const char **p, const char *end)
{
	const char *s = *p;
	size_t n = 0;

	while (s < end && blank(*s))
		s++;
	while (s + n < end && !blank(s[n]))
		n++;
	*p = s;
	return n;
}

static void nameserver(struct vd_resolvconf *rc, const char *p, const char *end, unsigned line)
{
	char buf[sizeof(rc->ns[0].text)];
	struct vd_resolv_ns ns;
	size_t n = word(&p, end); /* glibc ignores what follows the address */
	char *pct;

	if (n == 0)
		return;
	if (n >= sizeof(buf)) {
		rc->n_bad++;
		return;
	}
	memset(&ns, 0, sizeof(ns));
	memcpy(buf, p, n);
	buf[n] = '\0';
	memcpy(ns.text, buf, n + 1);
	ns.line = line;
	/* glibc takes inet_aton's forms ("10.1" too), then IPv6 with a scope */
	if (inet_aton(buf, &ns.addr.v4)) {
		ns.family = AF_INET;
	} else {
		if ((pct = strchr(buf, '%')) != NULL)
			*pct++ = '\0';
		if (inet_pton(AF_INET6, buf, &ns.addr.v6) != 1) {
			rc->n_bad++;
			return;
		}
		ns.family = AF_INET6;
		if (pct) {
			uint64_t v;
			if (vd_parse_u64(pct, 0, UINT32_MAX, &v) == 0)
				ns.scope_id = (uint32_t)v;
			else if (*pct && strlen(pct) < sizeof(ns.scope))
				snprintf(ns.scope, sizeof(ns.scope), "%s", pct);
			else {
				rc->n_bad++;
				return;
			}
		}
	}
	if (rc->n_ns == VD_RESOLVCONF_MAX_NS) {
		rc->n_ns_ignored++;
		return;
	}
	rc->ns[rc->n_ns++] = ns;
}

/* domain and search both replace the list; domain keeps its first word. */
static void search(struct vd_resolvconf *rc, const char *p, const char *end, bool one)
{
	size_t n;

	if (word(&p, end) == 0)
		return; /* glibc ignores an empty line and keeps the list it had */
	rc->n_search = 0;
	rc->n_search_ignored = 0;
	while ((n = word(&p, end)) > 0) {
		/* a trailing dot (the root) is not stored: "example.com." is example.com */
		size_t len = n > 1 && p[n - 1] == '.' ? n - 1 : n;

		if (len > VD_DNS_NAME_MAX)
			rc->n_bad++;
		else if (rc->n_search == VD_RESOLVCONF_MAX_SEARCH)
			rc->n_search_ignored++;
		else {
			memcpy(rc->search[rc->n_search], p, len);
			rc->search[rc->n_search++][len] = '\0';
		}
		p += n;
		if (one)
			break;
	}
}

/* "name:N" with N clamped to max as glibc does. */
static bool number_option(struct vd_resolvconf *rc, const char *w, size_t n, const char *name, unsigned max,
                          unsigned *ret)
{
	size_t k = strlen(name);
	char buf[24];
	uint64_t v;

	if (n < k || memcmp(w, name, k) != 0)
		return false;
	if (n - k == 0 || n - k >= sizeof(buf)) {
		rc->n_bad++;
		return true;
	}
	memcpy(buf, w + k, n - k);
	buf[n - k] = '\0';
	if (vd_parse_u64(buf, 0, UINT64_MAX, &v) < 0) {
		rc->n_bad++;
		return true;
	}
	*ret = v > max ? max : (unsigned)v;
	return true;
}

static bool flag_option(const char *w, size_t n, const char *name, bool *ret)
{
	if (strlen(name) != n || memcmp(w, name, n) != 0)
		return false;
	*ret = true;
	return true;
}

static void options(struct vd_resolvconf *rc, const char *p, const char *end)
{
	size_t n;

	for (; (n = word(&p, end)) > 0; p += n) {
		if (number_option(rc, p, n, "ndots:", 15, &rc->ndots) ||
		    number_option(rc, p, n, "timeout:", 30, &rc->timeout_s) ||
		    number_option(rc, p, n, "attempts:", 5, &rc->attempts))
			continue;
		/* unknown options are ignored, as glibc does */
		(void)(flag_option(p, n, "rotate", &rc->rotate) || flag_option(p, n, "edns0", &rc->edns0) ||
		       flag_option(p, n, "use-vc", &rc->use_vc) || flag_option(p, n, "trust-ad", &rc->trust_ad) ||
		       flag_option(p, n, "single-request", &rc->single_request) ||
		       flag_option(p, n, "no-aaaa", &rc->no_aaaa));
	}
}

int vd_resolvconf_parse(const char *text, size_t len, struct vd_resolvconf *ret)
{
	const char *p = text, *end = text + len, *nl, *v;
	unsigned line = 0;

	memset(ret, 0, sizeof(*ret));
	ret->ndots = 1;
	ret->timeout_s = 5;
	ret->attempts = 2;
	if (len > VD_RESOLVCONF_MAX)
		return -E2BIG;
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		line++;
		/* fgets gives glibc a C string: a NUL ends the line there */
		const char *le = memchr(p, '\0', (size_t)(nl - p));
		if (!le)
			le = nl;
		if (le > p && le[-1] == '\r')
			le--;
		if (p == le || *p == '#' || *p == ';')
			continue;
		if ((v = keyword(p, le, "nameserver")))
			nameserver(ret, v, le, line);
		else if ((v = keyword(p, le, "domain")))
			search(ret, v, le, true);
		else if ((v = keyword(p, le, "search")))
			search(ret, v, le, false);
		else if ((v = keyword(p, le, "options")))
			options(ret, v, le);
	}
	return 0;
}

/* ---- DNS messages ---- */

const char *vd_dns_result_name(enum vd_dns_result r)
{
	switch (r) {
	case VD_DNS_ANSWER:
		return "answer";
	case VD_DNS_NXDOMAIN:
		return "nxdomain";
	case VD_DNS_SERVFAIL:
		return "servfail";
	case VD_DNS_REFUSED:
		return "refused";
	case VD_DNS_TIMEOUT:
		return "timeout";
	case VD_DNS_ERROR:
		break;
	}
	return "error";
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int vd_dns_query_build(uint16_t id, const char *name, uint16_t qtype, uint8_t *buf, size_t len,
                       size_t *ret_len)
{
	size_t n = name ? strlen(name) : 0, o = VD_DNS_HEADER_LEN;
	const char *p = name, *dot;

	if (n && name[n - 1] == '.')
		n--;
	if (n == 0 || n > VD_DNS_NAME_MAX)
		return -EINVAL;
	if (len < VD_DNS_HEADER_LEN + n + 2 + 4)
		return -ENOBUFS;
	memset(buf, 0, VD_DNS_HEADER_LEN);
	put16(buf, id);
	buf[2] = 0x01; /* RD */
	put16(buf + 4, 1);
	while (p < name + n) {
		dot = memchr(p, '.', (size_t)(name + n - p));
		size_t l = (size_t)((dot ? dot : name + n) - p);
		if (l == 0 || l > 63)
			return -EINVAL;
		buf[o++] = (uint8_t)l;
		memcpy(buf + o, p, l);
		o += l;
		p += l + 1;
	}
	buf[o++] = 0;
	put16(buf + o, qtype);
	put16(buf + o + 2, 1); /* IN */
	*ret_len = o + 4;
	return 0;
}

/* Skips a name at *off (compression allowed, loops bounded): 0 or -1. */
static int skip_name(const uint8_t *m, size_t len, size_t *off)
{
	size_t o = *off;

	for (;;) {
		if (o >= len)
			return -1;
		uint8_t l = m[o];
		if ((l & 0xc0) == 0xc0) {
			if (o + 2 > len)
				return -1;
			*off = o + 2; /* a pointer ends the name */
			return 0;
		}
		if (l & 0xc0)
			return -1;
		o += 1u + l;
		if (l == 0) {
			*off = o;
			return 0;
		}
	}
}

/* The question of a reply equals the one sent: the same labels, ASCII case
 * folded (a server may echo 0x20-mixed case differently), and no compression
 * (there is nothing before it to point at). */
static bool same_question(const uint8_t *q, size_t qlen, const uint8_t *m, size_t len, size_t *end)
{
	size_t n = qlen - VD_DNS_HEADER_LEN;

	if (len < VD_DNS_HEADER_LEN + n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t a = q[VD_DNS_HEADER_LEN + i], b = m[VD_DNS_HEADER_LEN + i];
		if (a >= 'A' && a <= 'Z')
			a = (uint8_t)(a + 32);
		if (b >= 'A' && b <= 'Z')
			b = (uint8_t)(b + 32);
		if (a != b)
			return false;
	}
	*end = VD_DNS_HEADER_LEN + n;
	return true;
}

/* A name at off in its wire form, uncompressed, ASCII lower-cased, into out
 * (at most 255 bytes with the root label): its length, or 0 when it cannot
 * be read. Every compression pointer must point before the place the reading
 * jumped from last (or began at), so each jump goes strictly back and a loop
 * cannot be followed; the hops are bounded besides (RFC 1035 4.1.4 only
 * ever points at a prior occurrence). */
#define DNS_WIRE_NAME_MAX 255
#define DNS_POINTER_HOPS 64

static size_t read_name(const uint8_t *m, size_t len, size_t off, uint8_t *out)
{
	size_t o = off, limit = off, n = 0;
	unsigned hops = 0;

	for (;;) {
		if (o >= len)
			return 0;
		uint8_t l = m[o];
		if ((l & 0xc0) == 0xc0) {
			size_t to;
			if (o + 2 > len || ++hops > DNS_POINTER_HOPS)
				return 0;
			to = (size_t)(l & 0x3f) << 8 | m[o + 1];
			if (to >= limit)
				return 0;
			o = limit = to;
			continue;
		}
		if (l & 0xc0)
			return 0;
		if (o + 1 + l > len || n + 1 + l > DNS_WIRE_NAME_MAX)
			return 0;
		out[n++] = l;
		for (size_t i = 0; i < l; i++) {
			uint8_t ch = m[o + 1 + i];
			out[n++] = ch >= 'A' && ch <= 'Z' ? (uint8_t)(ch + 32) : ch;
		}
		o += 1u + l;
		if (l == 0)
			return n;
	}
}

/* addr into r's sorted, bounded set of addresses. */
static void keep_addr(struct vd_dns_reply *r, int family, const uint8_t *a)
{
	struct vd_dns_addr x = {.family = family};
	size_t i;

	memcpy(x.addr, a, family == AF_INET ? 4 : 16);
	for (i = 0; i < r->n_addrs; i++) {
		const struct vd_dns_addr *y = &r->addrs[i];
		int d = y->family != x.family ? (x.family == AF_INET ? -1 : 1) : memcmp(x.addr, y->addr, 16);
		if (d == 0)
			return;
		if (d < 0)
			break;
	}
	if (r->n_addrs == VD_DNS_ADDRS_MAX) {
		r->addrs_dropped++;
		if (i == VD_DNS_ADDRS_MAX)
			return;
		r->n_addrs--; /* the largest goes */
	}
	memmove(&r->addrs[i + 1], &r->addrs[i], (r->n_addrs - i) * sizeof(r->addrs[0]));
	r->addrs[i] = x;
	r->n_addrs++;
}

struct dns_rr {
	size_t owner;   /* offset of its name */
	uint16_t type, class;
	size_t rdata;   /* offset of its data */
	uint16_t rdlen;
};

/* The next record from *o, already checked to lie within the message
 * by vd_dns_reply_parse. */
static void next_rr(const uint8_t *m, size_t len, size_t *o, struct dns_rr *rr)
{
	rr->owner = *o;
	(void)skip_name(m, len, o);
	rr->type = get16(m + *o);
	rr->class = get16(m + *o + 2);
	rr->rdlen = get16(m + *o + 8);
	rr->rdata = *o + 10;
	*o = rr->rdata + rr->rdlen;
}

static bool in_chain(const uint8_t chain[][DNS_WIRE_NAME_MAX], const size_t *chain_len, size_t n,
                     const uint8_t *name, size_t nl)
{
	for (size_t i = 0; i < n; i++)
		if (chain_len[i] == nl && memcmp(chain[i], name, nl) == 0)
			return true;
	return false;
}

/* The addresses of the question's type that the question's name and its
 * aliases own. The chain is followed link by link whatever the order of the
 * records (a server need not put the CNAME first), each link found by a walk
 * over the answers: at most VD_DNS_CHAIN_MAX + 2 walks of a message of at
 * most 64 KiB. */
static void reply_addrs(const uint8_t *m, size_t len, size_t an_off, unsigned an, uint16_t qtype,
                        struct vd_dns_reply *r)
{
	uint8_t chain[VD_DNS_CHAIN_MAX + 1][DNS_WIRE_NAME_MAX], name[DNS_WIRE_NAME_MAX];
	size_t chain_len[VD_DNS_CHAIN_MAX + 1], n_chain = 1, nl, o;
	size_t alen = qtype == VD_DNS_TYPE_A ? 4 : 16;
	struct dns_rr rr;

	if (qtype != VD_DNS_TYPE_A && qtype != VD_DNS_TYPE_AAAA)
		return;
	if (!(chain_len[0] = read_name(m, len, VD_DNS_HEADER_LEN, chain[0])))
		return;
	while (n_chain <= VD_DNS_CHAIN_MAX) {
		bool found = false;
		o = an_off;
		for (unsigned i = 0; i < an && !found; i++) {
			next_rr(m, len, &o, &rr);
			if (rr.type != VD_DNS_TYPE_CNAME || rr.class != 1 || !(nl = read_name(m, len, rr.owner, name)) ||
			    nl != chain_len[n_chain - 1] || memcmp(name, chain[n_chain - 1], nl) != 0)
				continue;
			/* the alias's target must lie within its record's data */
			if (!(nl = read_name(m, rr.rdata + rr.rdlen, rr.rdata, name)))
				goto addrs;
			if (in_chain(chain, chain_len, n_chain, name, nl))
				goto addrs; /* a loop: the names so far, no further */
			memcpy(chain[n_chain], name, nl);
			chain_len[n_chain++] = nl;
			found = true;
		}
		if (!found)
			break;
	}
addrs:
	o = an_off;
	for (unsigned i = 0; i < an; i++) {
		next_rr(m, len, &o, &rr);
		if (rr.type != qtype || rr.class != 1 || rr.rdlen != alen || !(nl = read_name(m, len, rr.owner, name)) ||
		    !in_chain(chain, chain_len, n_chain, name, nl))
			continue;
		keep_addr(r, qtype == VD_DNS_TYPE_A ? AF_INET : AF_INET6, m + rr.rdata);
	}
}

int vd_dns_reply_parse(const uint8_t *query, size_t qlen, const uint8_t *msg, size_t len,
                       struct vd_dns_reply *ret)
{
	struct vd_dns_reply r = {0};
	size_t o, an_off;
	uint16_t qtype, an;

	if (qlen < VD_DNS_HEADER_LEN + 1 + 4 || len < VD_DNS_HEADER_LEN)
		return -EBADMSG;
	if (get16(msg) != get16(query) || !(msg[2] & 0x80) || (msg[2] & 0x78) != 0 || get16(msg + 4) != 1)
		return -EBADMSG;
	if (!same_question(query, qlen, msg, len, &o))
		return -EBADMSG;
	qtype = get16(query + qlen - 4);
	r.id = get16(msg);
	r.rcode = msg[3] & 0x0f;
	r.truncated = msg[2] & 0x02;
	r.authoritative = msg[2] & 0x04;
	an = get16(msg + 6);
	an_off = o;
	for (unsigned i = 0; i < an && !r.truncated; i++) {
		uint16_t type, rdlen;
		if (skip_name(msg, len, &o) < 0 || o + 10 > len)
			return -EPROTO;
		type = get16(msg + o);
		rdlen = get16(msg + o + 8);
		o += 10;
		if (o + rdlen > len)
			return -EPROTO;
		o += rdlen;
		if (type == qtype || type == VD_DNS_TYPE_CNAME)
			r.answers++;
	}
	if (!r.truncated && r.rcode == 0)
		reply_addrs(msg, len, an_off, an, qtype, &r);
	*ret = r;
	return 0;
}

enum vd_dns_result vd_dns_reply_result(const struct vd_dns_reply *r)
{
	switch (r->rcode) {
	case 0:
		/* NODATA (the name exists, not the type) is still an answer: the
		 * server works and knows the name */
		return VD_DNS_ANSWER;
	case 2:
		return VD_DNS_SERVFAIL;
	case 3:
		return VD_DNS_NXDOMAIN;
	case 5:
		return VD_DNS_REFUSED;
	default:
		return VD_DNS_ERROR;
	}
}
