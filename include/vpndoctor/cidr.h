/* IPv4 and IPv6 addresses and CIDR prefixes: parse, format, contain, overlap,
 * count, and the FAQ's rule of four addresses (a /30) per VPN client. */
#ifndef VPNDOCTOR_CIDR_H
#define VPNDOCTOR_CIDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define VD_PREFIX_STRLEN 50 /* "ffff:...:ffff/128" with NUL, rounded up */

struct vd_prefix {
	int family;       /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network byte order; IPv4 uses the first 4 bytes */
	unsigned len;     /* prefix length: 0..32 or 0..128 */
};

/* "10.0.0.0/8", "10.1.2.3" (a /32), "fd00::/8", "::1" (a /128). Host bits set
 * below the prefix length are an error (-EINVAL) unless allow_host_bits, in
 * which case they are cleared. Returns 0, -EINVAL. */
int vd_prefix_parse(const char *s, bool allow_host_bits, struct vd_prefix *ret);
/* OpenVPN's "NETWORK NETMASK" form ("172.16.1.0", "255.255.255.0"); a
 * non-contiguous mask is -EINVAL. */
int vd_prefix_parse_netmask(const char *net, const char *mask, struct vd_prefix *ret);
/* A bare address, as a full-length prefix. */
int vd_addr_parse(const char *s, struct vd_prefix *ret);

/* "10.0.0.0/8" (addresses of full length print without "/len" when
 * bare_host). Returns buf. */
char *vd_prefix_format(const struct vd_prefix *p, bool bare_host, char *buf, size_t len);

/* a contains b (same family, a.len <= b.len, b inside a). */
bool vd_prefix_contains(const struct vd_prefix *a, const struct vd_prefix *b);
/* Either contains the other. */
bool vd_prefix_overlaps(const struct vd_prefix *a, const struct vd_prefix *b);
bool vd_prefix_equal(const struct vd_prefix *a, const struct vd_prefix *b);
/* Number of addresses, saturating at UINT64_MAX (IPv6 /64 and wider). */
uint64_t vd_prefix_count(const struct vd_prefix *p);
/* How many VPN clients the prefix holds at four addresses (a /30) each. */
uint64_t vd_prefix_client_capacity(const struct vd_prefix *p);

#endif
