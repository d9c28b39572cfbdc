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

int vd_dns_reply_parse(const uint8_t *query, size_t qlen, const uint8_t *msg, size_t len,
                       struct vd_dns_reply *ret)
{
	struct vd_dns_reply r = {0};
	size_t o;
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
