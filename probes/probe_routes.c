/* The routes probe: the tunnel's link and subnet, the laptop's other
 * subnets, the routes pushed into the tunnel, and where the kernel sends each
 * target, DNS server and the gateway (docs/facts.md "routes"). It reads the
 * shared netlink monitor's caches, so a run is a few microseconds of lookups;
 * the monitor re-runs it (PROBE_EV_NET) within NETLINK_DEBOUNCE_MS of a change.
 * What OpenVPN knows (tun name, pushed routes and DNS, remote address) comes
 * from the openvpn section when there is one. */
#include <errno.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "netlink.h"
#include "probe.h"
#include "probe_util.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/ovpn_config.h"
#include "vpndoctor/profile.h"

#define ROUTES_MAX_CONFIG (1 << 20)
#define ROUTES_MAX_ITEMS 256 /* per list: bounds the section on a router-sized table */

static bool has_string(const cJSON *arr, const char *s)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr)
		if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0)
			return true;
	return false;
}

/* The link's first global address of family (local_ip preferred). */
static struct rtnl_addr *tun_addr(struct netlink *nl, int ifindex, int family, const char *local_ip)
{
	struct rtnl_addr *first = NULL;
	struct vd_prefix want, p;
	bool have_want = local_ip && vd_addr_parse(local_ip, &want) == 0 && want.family == family;

	for (struct nl_object *o = nl_cache_get_first(netlink_addrs(nl)); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_family(a) != family ||
		    rtnl_addr_get_scope(a) >= RT_SCOPE_LINK)
			continue;
		if (have_want && netlink_prefix_from_nl(rtnl_addr_get_local(a), &p) &&
		    memcmp(p.addr, want.addr, family == AF_INET ? 4 : 16) == 0)
			return a;
		if (!first)
			first = a;
	}
	return first;
}

static int add_tunnel_subnet(struct netlink *nl, cJSON *sec, int tun_ifindex, const cJSON *ovpn)
{
	struct rtnl_addr *a = NULL;
	struct vd_prefix local, sub;
	char buf[VD_PREFIX_STRLEN];
	const char *topo = pu_jstr_set(pu_jobj(ovpn, VDF_OPENVPN_PUSHED), VDF_PUSHED_TOPOLOGY);

	if (tun_ifindex > 0)
		a = tun_addr(nl, tun_ifindex, AF_INET, pu_jstr_set(ovpn, VDF_OPENVPN_LOCAL_IP));
	if (tun_ifindex > 0 && !a)
		a = tun_addr(nl, tun_ifindex, AF_INET6, pu_jstr_set(ovpn, VDF_OPENVPN_LOCAL_IP));
	if (!a || !netlink_prefix_from_nl(rtnl_addr_get_local(a), &local)) {
		return cJSON_AddNullToObject(sec, VDF_ROUTES_TUNNEL_SUBNET) ? 0 : -ENOMEM;
	}
	netlink_tunnel_subnet(&local, (unsigned)rtnl_addr_get_prefixlen(a), rtnl_addr_get_peer(a) != NULL, topo, &sub);
	return cJSON_AddStringToObject(sec, VDF_ROUTES_TUNNEL_SUBNET, vd_prefix_format(&sub, false, buf, sizeof(buf))) ? 0
	                                                                                                       : -ENOMEM;
}

/* Connected prefixes of every link but the tunnel's and loopback. */
static int add_local_subnets(struct netlink *nl, cJSON *sec, int tun_ifindex)
{
	cJSON *arr = cJSON_AddArrayToObject(sec, VDF_ROUTES_LOCAL_SUBNETS);
	size_t n = 0;

	if (!arr)
		return -ENOMEM;
	for (struct nl_object *o = nl_cache_get_first(netlink_addrs(nl)); o && n < ROUTES_MAX_ITEMS;
	     o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		int ifi = rtnl_addr_get_ifindex(a);
		struct rtnl_link *l;
		struct nl_addr *pa = rtnl_addr_get_peer(a) ? rtnl_addr_get_peer(a) : rtnl_addr_get_local(a);
		struct vd_prefix p;
		char buf[VD_PREFIX_STRLEN], dev[NETLINK_DEV_LEN];
		bool loop, dup = false;
		const cJSON *it;

		if (ifi == tun_ifindex || rtnl_addr_get_scope(a) >= RT_SCOPE_LINK || !pa ||
		    !netlink_prefix_from_nl(pa, &p))
			continue;
		l = rtnl_link_get(netlink_links(nl), ifi);
		if (!l)
			continue;
		loop = rtnl_link_get_flags(l) & IFF_LOOPBACK;
		snprintf(dev, sizeof(dev), "%s", rtnl_link_get_name(l) ? rtnl_link_get_name(l) : "?");
		rtnl_link_put(l);
		if (loop)
			continue;
		/* the network of the address; a point-to-point address's peer is a host */
		netlink_tunnel_subnet(&p, rtnl_addr_get_peer(a) ? (p.family == AF_INET ? 32u : 128u)
		                                                 : (unsigned)rtnl_addr_get_prefixlen(a),
		                      false, NULL, &p);
		vd_prefix_format(&p, false, buf, sizeof(buf));
		cJSON_ArrayForEach(it, arr)
			dup |= strcmp(pu_jstr_set(it, VDF_SUBNET_PREFIX), buf) == 0 && strcmp(pu_jstr_set(it, VDF_SUBNET_DEV), dev) == 0;
		if (dup)
			continue;
		cJSON *e = cJSON_CreateObject();
		if (!e || !cJSON_AddItemToArray(arr, e)) {
			cJSON_Delete(e);
			return -ENOMEM;
		}
		if (!cJSON_AddStringToObject(e, VDF_SUBNET_PREFIX, buf) || !cJSON_AddStringToObject(e, VDF_SUBNET_DEV, dev))
			return -ENOMEM;
		n++;
	}
	return 0;
}

static bool route_via(struct rtnl_route *r, int ifindex)
{
	for (int i = 0; i < rtnl_route_get_nnexthops(r); i++)
		if (rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, i)) == ifindex)
			return true;
	return false;
}

/* The pushed routes: OpenVPN's own list when known, else the routes the
 * tunnel's link carries (not its own subnet route, not a redirect-gateway). */
static int add_pushed_routes(struct netlink *nl, cJSON *sec, int tun_ifindex, const cJSON *ovpn)
{
	const cJSON *pushed = cJSON_GetObjectItemCaseSensitive(pu_jobj(ovpn, VDF_OPENVPN_PUSHED), VDF_PUSHED_ROUTES);
	cJSON *arr;
	const cJSON *it;
	size_t n = 0;

	if (!cJSON_IsArray(pushed) && tun_ifindex <= 0)
		return 0; /* unknown: the tunnel is not up and OpenVPN said nothing */
	if (!(arr = cJSON_AddArrayToObject(sec, VDF_ROUTES_PUSHED_ROUTES)))
		return -ENOMEM;
	if (cJSON_IsArray(pushed)) {
		cJSON_ArrayForEach(it, pushed) {
			struct vd_prefix p;
			if (n < ROUTES_MAX_ITEMS && cJSON_IsString(it) && vd_prefix_parse(it->valuestring, true, &p) == 0 &&
			    !netlink_is_redirect(&p) && !has_string(arr, it->valuestring)) {
				cJSON *s = cJSON_CreateString(it->valuestring);
				if (!s || !cJSON_AddItemToArray(arr, s)) {
					cJSON_Delete(s);
					return -ENOMEM;
				}
				n++;
			}
		}
		return 0;
	}
	for (struct nl_object *o = nl_cache_get_first(netlink_routes(nl)); o && n < ROUTES_MAX_ITEMS;
	     o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct vd_prefix p;
		char buf[VD_PREFIX_STRLEN];

		if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST ||
		    rtnl_route_get_protocol(r) == RTPROT_KERNEL || !route_via(r, tun_ifindex) ||
		    !netlink_prefix_from_nl(rtnl_route_get_dst(r), &p) || netlink_is_redirect(&p))
			continue;
		vd_prefix_format(&p, false, buf, sizeof(buf));
		if (has_string(arr, buf))
			continue;
		cJSON *s = cJSON_CreateString(buf);
		if (!s || !cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			return -ENOMEM;
		}
		n++;
	}
	return 0;
}

/* {"addr", "dev", "via_tunnel"}: via_tunnel only when the tunnel's link is known. */
static cJSON *lookup(struct netlink *nl, const char *addr, const char *tun)
{
	struct netlink_route rt;
	struct vd_prefix p;
	cJSON *e = cJSON_CreateObject();
	int r;

	if (!e || !cJSON_AddStringToObject(e, VDF_LOOKUP_ADDR, addr))
		goto oom;
	if (vd_addr_parse(addr, &p) < 0) {
		if (!cJSON_AddStringToObject(e, VDF_LOOKUP_ERROR, "not an address"))
			goto oom;
		return e;
	}
	r = netlink_route_get(nl, &p, &rt);
	if (r < 0) {
		if (!cJSON_AddStringToObject(e, VDF_LOOKUP_ERROR,
		                             r == -ENETUNREACH || r == -EHOSTUNREACH ? "no route" : strerror(-r)))
			goto oom;
		/* no route at all is not through the tunnel either */
		if (tun[0] && (r == -ENETUNREACH || r == -EHOSTUNREACH) && !cJSON_AddFalseToObject(e, VDF_LOOKUP_VIA_TUNNEL))
			goto oom;
		return e;
	}
	if (rt.dev[0] && !cJSON_AddStringToObject(e, VDF_LOOKUP_DEV, rt.dev))
		goto oom;
	if (rt.has_gateway) {
		char buf[VD_PREFIX_STRLEN];
		if (!cJSON_AddStringToObject(e, VDF_LOOKUP_GATEWAY, vd_prefix_format(&rt.gateway, true, buf, sizeof(buf))))
			goto oom;
	}
	if (tun[0] && !cJSON_AddBoolToObject(e, VDF_LOOKUP_VIA_TUNNEL, strcmp(rt.dev, tun) == 0))
		goto oom;
	return e;
oom:
	cJSON_Delete(e);
	return NULL;
}

static int add_lookups(struct netlink *nl, cJSON *sec, const char *key, const char *const *addrs, size_t n,
                       const char *tun)
{
	cJSON *arr = cJSON_AddArrayToObject(sec, key);

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < n && i < ROUTES_MAX_ITEMS; i++) {
		cJSON *e = lookup(nl, addrs[i], tun);
		if (!e || !cJSON_AddItemToArray(arr, e)) {
			cJSON_Delete(e);
			return -ENOMEM;
		}
	}
	return 0;
}

/* The first remote of the profile written as an address (no DNS here). */
static char *profile_remote_addr(const struct probe_tunnel *t)
{
	struct vd_ovpn_config *cfg = NULL;
	struct vd_ovpn_remote *rem = NULL;
	struct vd_error err;
	char *data = NULL, *out = NULL;
	size_t len, n = 0;
	struct vd_prefix p;

	if (!t->config || probe_read(&t->owner, t->config, ROUTES_MAX_CONFIG, &data, &len) < 0)
		return NULL;
	if (vd_ovpn_config_parse(t->config, data, len, &cfg, &err) == 0 && vd_ovpn_config_remotes(cfg, &rem, &n) == 0) {
		for (size_t i = 0; i < n && !out; i++)
			if (rem[i].host && vd_addr_parse(rem[i].host, &p) == 0)
				out = strdup(rem[i].host);
		free(rem);
	}
	vd_ovpn_config_free(cfg);
	free(data);
	return out;
}

static bool has_default_route(struct netlink *nl)
{
	bool low = false, high = false;

	for (struct nl_object *o = nl_cache_get_first(netlink_routes(nl)); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct vd_prefix p;

		if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST ||
		    !netlink_prefix_from_nl(rtnl_route_get_dst(r), &p) || p.family != AF_INET)
			continue;
		if (p.len == 0)
			return true;
		if (p.len == 1 && (p.addr[0] & 0x80))
			high = true;
		else if (p.len == 1)
			low = true;
	}
	return low && high; /* redirect-gateway def1 */
}

static int build(struct probe_run *run, struct netlink *nl, cJSON *sec)
{
	const struct probe_tunnel *t = run->tunnel;
	const cJSON *ovpn = probe_run_section(run, VDF_TUNNEL_OPENVPN), *pushed_from, *dns, *it;
	const char *st = pu_jstr_set(ovpn, VDF_SECTION_STATUS);
	char tun[NETLINK_DEV_LEN];
	int tun_ifindex = 0, r;

	if (!st || strcmp(st, "ok") != 0)
		ovpn = NULL;
	/* What was pushed counts only for a session in progress; between
	 * sessions the routing table is the truth. */
	if (!pu_jstr_set(ovpn, VDF_OPENVPN_STATE) || strcmp(pu_jstr_set(ovpn, VDF_OPENVPN_STATE), "connected") != 0)
		pushed_from = NULL;
	else
		pushed_from = ovpn;
	netlink_tun_dev(nl, t, ovpn, tun, sizeof(tun));
	if (tun[0]) {
		struct rtnl_link *l = rtnl_link_get_by_name(netlink_links(nl), tun);
		if (l) {
			tun_ifindex = rtnl_link_get_ifindex(l);
			rtnl_link_put(l);
		}
	}
	if (!(tun[0] ? cJSON_AddStringToObject(sec, VDF_ROUTES_TUN_DEV, tun) : cJSON_AddNullToObject(sec, VDF_ROUTES_TUN_DEV)))
		return -ENOMEM;
	if ((r = add_tunnel_subnet(nl, sec, tun_ifindex, ovpn)) < 0 || (r = add_local_subnets(nl, sec, tun_ifindex)) < 0 ||
	    (r = add_pushed_routes(nl, sec, tun_ifindex, pushed_from)) < 0 ||
	    (r = add_lookups(nl, sec, VDF_ROUTES_TARGETS, (const char *const *)t->targets.v, t->targets.n, tun)) < 0)
		return r;

	/* The tunnel's DNS servers, when OpenVPN told us which they are. */
	dns = cJSON_GetObjectItemCaseSensitive(pu_jobj(pushed_from, VDF_OPENVPN_PUSHED), VDF_PUSHED_DNS);
	if (cJSON_IsArray(dns)) {
		const char *v[ROUTES_MAX_ITEMS];
		size_t n = 0;
		cJSON_ArrayForEach(it, dns)
			if (cJSON_IsString(it) && n < ROUTES_MAX_ITEMS)
				v[n++] = it->valuestring;
		if ((r = add_lookups(nl, sec, VDF_ROUTES_DNS, v, n, tun)) < 0)
			return r;
	}

	const char *gw = pu_jstr_set(pu_jobj(ovpn, VDF_OPENVPN_REMOTE), VDF_OVPN_REMOTE_ADDR);
	char *from_profile = gw ? NULL : profile_remote_addr(t);
	if (gw || from_profile) {
		cJSON *e = lookup(nl, gw ? gw : from_profile, tun);
		free(from_profile);
		if (!e)
			return -ENOMEM;
		cJSON_AddItemToObject(sec, VDF_ROUTES_GATEWAY, e);
	}
	return cJSON_AddBoolToObject(sec, VDF_ROUTES_DEFAULT_ROUTE, has_default_route(nl)) ? 0 : -ENOMEM;
}

static int routes_start(struct probe_run *run)
{
	struct netlink *nl;
	cJSON *sec;
	int r;

	if ((r = netlink_probe_begin(run, &nl)) != 0)
		return r < 0 ? r : 0;
	if (!(sec = cJSON_CreateObject()))
		return -ENOMEM;
	r = build(run, nl, sec);
	if (r < 0) {
		cJSON_Delete(sec);
		return r;
	}
	netlink_probe_done(run, sec);
	return 0;
}

const struct probe probe_routes = {
	.name = "routes",
	.section = VDF_TUNNEL_ROUTES,
	.config_section = "Routes",
	.per_tunnel = true,
	.interval_s = 60,
	.events = PROBE_EV_NET | PROBE_EV_OPENVPN | PROBE_EV_RELOAD,
	.needs = (const char *const[]){VDF_TUNNEL_OPENVPN, NULL},
	.start = routes_start,
	.cancel = NULL, /* start() always finishes the run */
	.free_state = netlink_probe_free_state,
};
