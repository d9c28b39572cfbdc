/* ICMP echo for the ping, path and MTU probes: requests with a cookie and a
 * send time, replies and ICMP errors mapped back to our sequence; RTT statistics. */
#ifndef VPNDOCTOR_ICMP_H
#define VPNDOCTOR_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VD_ICMP_COOKIE_LEN 16
#define VD_ICMP_HDR_LEN 8
/* Header, cookie and the 8-byte send time: the smallest echo we send. */
#define VD_ICMP_ECHO_MIN (VD_ICMP_HDR_LEN + VD_ICMP_COOKIE_LEN + 8)

struct vd_icmp_echo {
	bool v6;
	uint16_t id, seq;
	uint8_t cookie[VD_ICMP_COOKIE_LEN];
	uint64_t sent_ns; /* the sender's clock (CLOCK_MONOTONIC), echoed back */
};

/* Writes an echo request of `size` bytes of ICMP (header included; for MTU
 * probing, size = MTU - IP header), padded with a counting pattern. IPv4
 * gets its checksum; IPv6's is left 0 for the kernel, which fills it on raw
 * ICMPv6 and ping sockets. Returns 0, -EINVAL (size < VD_ICMP_ECHO_MIN or
 * > 65507) or -ENOSPC. */
int vd_icmp_echo_build(const struct vd_icmp_echo *e, size_t size, uint8_t *buf, size_t cap);
/* A bare echo request: the 8-byte header alone (28 bytes of IPv4, 48 of
 * IPv6), no cookie and no time. The sender keeps the send time per sequence
 * number, and matches replies by id and sequence (vd_icmp_match.bare): what
 * a sentinel that sends one every few seconds saves is 24 bytes each way.
 * Returns 0, -EINVAL or -ENOSPC (cap < VD_ICMP_HDR_LEN). */
int vd_icmp_echo_build_bare(const struct vd_icmp_echo *e, uint8_t *buf, size_t cap);

/* RFC 1071 Internet checksum of `len` bytes (the value to store, network order). */
uint16_t vd_icmp_checksum(const uint8_t *p, size_t len);

/* What a received packet must match to be ours. On an ICMP datagram ("ping")
 * socket the kernel replaces the id with the socket's port: pass that id
 * (getsockname) or clear check_id. */
struct vd_icmp_match {
	bool v6;
	bool check_id;
	/* our echoes are bare (vd_icmp_echo_build_bare): a reply of the header
	 * alone is ours by id (check_id) and sequence, the caller's to check
	 * against what it sent; the cookie is not looked at */
	bool bare;
	uint16_t id;
	uint8_t cookie[VD_ICMP_COOKIE_LEN];
};

enum vd_icmp_kind {
	VD_ICMP_NOT_OURS,      /* well formed, someone else's (or not echo-related) */
	VD_ICMP_MALFORMED,     /* truncated, bad IP header, bad IPv4 checksum */
	VD_ICMP_ECHO_REPLY,    /* our reply: seq, sent_ns, size */
	VD_ICMP_UNREACHABLE,   /* destination unreachable (not too big): see code */
	VD_ICMP_TOO_BIG,       /* v4 fragmentation needed (3/4) or v6 packet too big (2) */
	VD_ICMP_TIME_EXCEEDED, /* TTL / hop limit exceeded in transit */
};

const char *vd_icmp_kind_name(enum vd_icmp_kind k);

struct vd_icmp_result {
	enum vd_icmp_kind kind;
	uint8_t type, code; /* of the received message */
	uint16_t seq;       /* of our echo (the reply's or the one an error quotes) */
	bool cookie_checked; /* false: an error quoting too little of our echo to hold it */
	bool has_sent_ns;
	uint64_t sent_ns;
	uint32_t mtu;        /* VD_ICMP_TOO_BIG: next-hop MTU (0 if the router gave none) */
	size_t size;         /* echo reply: ICMP bytes (header included) */
	bool has_ip;         /* parsed with the IPv4 header: */
	uint8_t ttl;         /* its TTL */
	uint8_t src[4];      /* and source: the replying host or reporting router */
};

/* Parses one packet from a raw IPv4 socket (with_ip_header: the IP header
 * first) or from a ping socket / raw ICMPv6 socket (ICMP message only).
 * Returns 0 with ret->kind set, or -EINVAL for bad arguments. */
int vd_icmp_parse(const struct vd_icmp_match *m, bool with_ip_header, const uint8_t *pkt,
		  size_t len, struct vd_icmp_result *ret);

/* A ping socket reports ICMP errors on its error queue (IP_RECVERR /
 * IPV6_RECVERR): the ICMP type, code and info (the MTU for "too big") of
 * struct sock_extended_err, and our own echo request as the message. Maps
 * them like vd_icmp_parse does. */
int vd_icmp_parse_errqueue(const struct vd_icmp_match *m, uint8_t type, uint8_t code,
			   uint32_t info, const uint8_t *orig, size_t len,
			   struct vd_icmp_result *ret);

/* Ping statistics as iputils ping reports them, plus what it does not. */
struct vd_rtt_stats {
	unsigned sent, received;
	double loss_pct;
	double min_ms, avg_ms, max_ms;
	double mdev_ms;   /* sqrt(mean(rtt^2) - mean(rtt)^2), iputils' mdev */
	double p95_ms;    /* nearest rank: the ceil(0.95 n)-th smallest */
	double jitter_ms; /* RFC 3550 interarrival jitter over consecutive replies */
};

/* `rtt_ms` holds the received replies' RTTs in sequence order (lost ones
 * left out); n <= sent. All RTT fields are 0 when n == 0. Returns 0,
 * -EINVAL or -ENOMEM. */
int vd_rtt_stats_compute(const double *rtt_ms, size_t n, unsigned sent, struct vd_rtt_stats *ret);

/* One RFC 3550 step: J += (|D| - J) / 16, D the change of transit time
 * between consecutive packets (for ping, of RTT). */
double vd_jitter_update(double jitter, double prev_rtt, double rtt);

/* How many echoes a probe must lose in a row before it may call a packet
 * size lost rather than unlucky, when `lost` of `sent` echoes of sizes known
 * to pass were lost on the same path: the fewest n >= min with p^n < 1 %
 * (p = lost / sent), at most max. With nothing measured yet, min. */
unsigned vd_icmp_tries_for_loss(unsigned sent, unsigned lost, unsigned min, unsigned max);

#endif
