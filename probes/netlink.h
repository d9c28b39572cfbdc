/* The shared netlink monitor of the routes and conflicts probes: one libnl
 * route socket per daemon on the loop, link/address/route caches kept current,
 * PROBE_EV_NET on every change, and route lookups as `ip route get` does.
 * Below it, the pure helpers both probes use (unit-tested). */
#ifndef VPNDOCTOR_PROBES_NETLINK_H
#define VPNDOCTOR_PROBES_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vpndoctor/cidr.h"

struct cJSON;
struct probe_tunnel;
struct event_base;
struct nl_addr;
struct nl_cache;
struct probe_run;
struct probe_slot;
struct rtnl_link;

#define NETLINK_DEV_LEN 16 /* IFNAMSIZ; net/if.h clashes with the kernel headers libnl pulls in */
#define NETLINK_DEBOUNCE_MS 200 /* one resync and one trigger for a burst of changes */

struct netlink;

/* The monitor of base, created (with a first full dump) by the first ref.
 * slot is triggered (PROBE_EV_NET, daemon-wide) after each change; the
 * monitor lives until the last unref. Returns 0 or -errno. */
int netlink_ref(struct event_base *base, struct probe_slot *slot, struct netlink **ret);
void netlink_unref(struct netlink *nl, struct probe_slot *slot);

/* The caches as of the last resync (at most NETLINK_DEBOUNCE_MS behind). */
struct nl_cache *netlink_links(struct netlink *nl);
struct nl_cache *netlink_addrs(struct netlink *nl);
struct nl_cache *netlink_routes(struct netlink *nl);
/* Resyncs done so far (each after a change, an overrun or the first ref). */
uint64_t netlink_generation(const struct netlink *nl);

struct netlink_route {
	int ifindex;
	char dev[NETLINK_DEV_LEN];
	bool has_gateway;
	struct vd_prefix gateway; /* full-length */
};

/* The kernel's route for addr (full-length prefix), as `ip route get`.
 * Returns 0, -ENETUNREACH/-EHOSTUNREACH (no route, or unreachable/prohibit),
 * or -errno. Synchronous: see netlink.c. */
int netlink_route_get(struct netlink *nl, const struct vd_prefix *addr, struct netlink_route *ret);

/* Which link is this tunnel's tun: the openvpn section's tun.name, the link
 * carrying its local_ip or peering its server_ip, the profile's `dev` when it
 * names a device, or the only tun/tap link there is. ret gets "" when none
 * can be told. ovpn may be NULL. */
void netlink_tun_dev(struct netlink *nl, const struct probe_tunnel *t, const struct cJSON *ovpn, char *ret,
                     size_t len);
/* The VPN kind of a link ("tun", "tap", "wireguard", "ppp", "xfrm", "vti",
 * "vti6", "ipsec"), or NULL when it is not one. */
const char *netlink_link_vpn_kind(struct rtnl_link *link);

/* The run of a probe that reads the monitor (routes, conflicts): the monitor,
 * held in the slot's state from its first run on. Returns 0 with *ret set; 1
 * when it ended the run (no tunnel: unknown; no monitor: failed); -ENOMEM. */
int netlink_probe_begin(struct probe_run *run, struct netlink **ret);
/* Such a probe's free_state. */
void netlink_probe_free_state(void *state);
/* Ends such a run with sec (handed over, logged at debug level). */
void netlink_probe_done(struct probe_run *run, struct cJSON *sec);

/* ---- pure helpers ---- */

/* nl_addr (as libnl gives it) to a prefix; false when not IPv4/IPv6. */
bool netlink_prefix_from_nl(const struct nl_addr *a, struct vd_prefix *ret);
/* The subnet of a tunnel address: local/prefixlen with host bits cleared; a
 * point-to-point /32 (a peer set) is OpenVPN's net30, so the /30 of local,
 * unless the topology says "p2p". */
void netlink_tunnel_subnet(const struct vd_prefix *local, unsigned prefixlen, bool has_peer,
                           const char *topology, struct vd_prefix *ret);
/* A redirect-gateway route (/0, or a def1 half /1): never a "pushed route". */
bool netlink_is_redirect(const struct vd_prefix *p);
/* The VPN kind from what the kernel says: IFLA_INFO_KIND, the ARPHRD type,
 * and /sys/class/net/X/tun_flags (tun_flags < 0: not a tun device). */
const char *netlink_vpn_kind(const char *info_kind, unsigned arptype, long tun_flags);
/* `dev` of an OpenVPN config names a device ("tun7", "vpn0"), not only its
 * type ("tun", "tap", "null"). */
bool netlink_dev_is_name(const char *dev);

/* ---- probe_conflicts.c helpers (pure) ---- */

/* The VPN program a process is, from its comm (the kernel's 15-byte name),
 * or NULL: "openconnect", "wg-quick", "charon", "charon-nm", "vpnc", "pppd",
 * "openfortivpn", "openvpn". */
const char *probe_conflicts_process_kind(const char *comm);
/* From an OpenVPN command line (/proc/PID/cmdline: NUL-separated, len bytes),
 * the --config file and the --cd directory before it (either may be NULL).
 * `openvpn FILE` alone is FILE as the config, as OpenVPN takes it. */
void probe_conflicts_openvpn_args(const char *cmdline, size_t len, const char **config, const char **cd);

#endif
