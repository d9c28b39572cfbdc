/* The system's stub resolver: /etc/resolv.conf read as glibc's res_init reads
 * it, and the few DNS messages a stub sends and judges (RFC 1035). Pure. */
#ifndef VPNDOCTOR_RESOLVCONF_H
#define VPNDOCTOR_RESOLVCONF_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VD_RESOLVCONF_MAX (64 * 1024) /* a larger file is not a resolv.conf */
#define VD_RESOLVCONF_MAX_NS 3        /* glibc's MAXNS: later nameservers are ignored */
#define VD_RESOLVCONF_MAX_SEARCH 8
#define VD_DNS_NAME_MAX 253           /* presentation form, without the final dot */
#define VD_IFNAME_MAX 16              /* IF_NAMESIZE */

struct vd_resolv_ns {
	int family;                     /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	uint32_t scope_id;              /* "%N": N; 0 when none or a name */
	char scope[VD_IFNAME_MAX];      /* "%NAME": NAME (the caller maps it to an index) */
	char text[64];                  /* the address as written, scope included */
	unsigned line;
};

struct vd_resolvconf {
	struct vd_resolv_ns ns[VD_RESOLVCONF_MAX_NS];
	size_t n_ns;
	size_t n_ns_ignored;            /* valid nameservers past the first MAXNS */
	size_t n_bad;                   /* nameserver or option values that did not parse */
	char search[VD_RESOLVCONF_MAX_SEARCH][VD_DNS_NAME_MAX + 1];
	size_t n_search;                /* "domain X" is a search list of one; the last line wins */
	size_t n_search_ignored;
	unsigned ndots;                 /* options ndots:N (default 1, at most 15) */
	unsigned timeout_s;             /* options timeout:N (default 5, at most 30) */
	unsigned attempts;              /* options attempts:N (default 2, at most 5) */
	bool rotate, edns0, use_vc, trust_ad, single_request, no_aaaa;
};

/* Parses the text of a resolv.conf (len bytes; need not be NUL-terminated)
 * into *ret, which is always set to the defaults first. Lines that glibc
 * ignores are ignored. 0, or -E2BIG (over VD_RESOLVCONF_MAX). */
int vd_resolvconf_parse(const char *text, size_t len, struct vd_resolvconf *ret);

/* ---- DNS messages ---- */

#define VD_DNS_TYPE_A 1
#define VD_DNS_TYPE_CNAME 5
#define VD_DNS_TYPE_SOA 6
#define VD_DNS_TYPE_AAAA 28
#define VD_DNS_HEADER_LEN 12
#define VD_DNS_QUERY_MAX (VD_DNS_HEADER_LEN + VD_DNS_NAME_MAX + 2 + 4)
#define VD_DNS_UDP_MAX 512 /* no EDNS0: a larger answer comes truncated, then over TCP */

/* What a query came to; the names are docs/facts.md's. */
enum vd_dns_result {
	VD_DNS_ANSWER,   /* NOERROR, with or without records of the type */
	VD_DNS_NXDOMAIN,
	VD_DNS_SERVFAIL,
	VD_DNS_REFUSED,
	VD_DNS_TIMEOUT,
	VD_DNS_ERROR,    /* any other rcode, a malformed reply, a socket error */
};

const char *vd_dns_result_name(enum vd_dns_result r); /* "answer", "nxdomain", ... */

/* A recursive query (RD) for name (presentation form, a final dot allowed)
 * of qtype, class IN, into buf. 0, -EINVAL (not a valid name), -ENOBUFS. */
int vd_dns_query_build(uint16_t id, const char *name, uint16_t qtype, uint8_t *buf, size_t len,
                       size_t *ret_len);

#define VD_DNS_ADDRS_MAX 8  /* addresses kept of one answer: the smallest */
#define VD_DNS_CHAIN_MAX 8  /* CNAMEs followed from the question's name */

struct vd_dns_addr {
	int family;           /* AF_INET or AF_INET6 */
	uint8_t addr[16];     /* 4 or 16 bytes, network order */
};

struct vd_dns_reply {
	uint16_t id;
	unsigned rcode;       /* 0..15 */
	bool truncated;       /* TC: ask again over TCP */
	bool authoritative;
	unsigned answers;     /* records of the question's type, or CNAMEs */
	/* A NOERROR reply's addresses of the question's type (A or AAAA, class
	 * IN) owned by the question's name or an alias its CNAME chain reaches
	 * (at most VD_DNS_CHAIN_MAX links, no loop): what a stub resolver
	 * would return. Records of other owners (a server that adds what was
	 * not asked) are not kept. Sorted (IPv4 first, then bytewise), without
	 * duplicates; past VD_DNS_ADDRS_MAX the largest are left out, so that
	 * a server rotating a larger set gives the same ones each time. */
	struct vd_dns_addr addrs[VD_DNS_ADDRS_MAX];
	size_t n_addrs;
	unsigned addrs_dropped; /* records left out past the bound (a repeated address each time) */
};

/* Judges msg as the reply to query (both as sent on the wire, without TCP's
 * length prefix): 0 when it is a response with query's id and question,
 * -EBADMSG when it is not (a stray or spoofed datagram: keep waiting),
 * -EPROTO when it is ours but malformed past the question (a record cut
 * short, a bad label type). A name that cannot be read (a compression
 * pointer that does not point back before it, a loop, over 255 bytes)
 * leaves its record's address unkept, not the reply rejected. A truncated
 * reply's records are neither counted nor kept. */
int vd_dns_reply_parse(const uint8_t *query, size_t qlen, const uint8_t *msg, size_t len,
                       struct vd_dns_reply *ret);
/* The result of a parsed reply (not truncated). */
enum vd_dns_result vd_dns_reply_result(const struct vd_dns_reply *r);

#endif
