/* The netlink monitor. Two sockets: a non-blocking one on the loop that only
 * hears the multicast groups (link, IPv4/IPv6 address and route), and a
 * blocking one for dumps and lookups. A change is not applied message by
 * message: the caches are dumped again NETLINK_DEBOUNCE_MS after the first
 * change of a burst. A laptop has tens of links, addresses and routes, so a
 * dump takes well under a millisecond of the loop, and it cannot go wrong
 * the way incremental updates can after a lost message: an overrun (ENOBUFS)
 * is just one more change. */
#include <errno.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include "netlink.h"
#include "probe.h"
#include "probe_util.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/ovpn_config.h"
#include "vpndoctor/profile.h"

#define NETLINK_RCVBUF (1 << 20)
#define NETLINK_MAX_CONFIG (1 << 20)
#define TUN_FLAG_TAP 0x0002 /* IFF_TAP of linux/if_tun.h, which clashes with net/if.h */

struct netlink {
	struct event_base *base;
	struct nl_sock *ev_sk;
	struct nl_sock *q_sk;
	struct event *ev;
	struct event *debounce;
	struct nl_cache *links, *addrs, *routes;
	struct probe_slot **slots;
	size_t n_slots;
	uint64_t gen;
	struct netlink *next;
};

/* One monitor per loop; the daemon has one loop (tests may have more). */
static struct netlink *monitors;

static void monitor_free(struct netlink *nl)
{
	if (nl->ev)
		event_free(nl->ev);
	if (nl->debounce)
		event_free(nl->debounce);
	nl_cache_free(nl->links);
	nl_cache_free(nl->addrs);
	nl_cache_free(nl->routes);
	nl_socket_free(nl->ev_sk);
	nl_socket_free(nl->q_sk);
	free(nl->slots);
	free(nl);
}

static int nlerr(int e)
{
	switch (-e) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	default:
		return -EIO;
	}
}

/* New caches replace the old only when all three dumps worked. */
static int resync(struct netlink *nl)
{
	struct nl_cache *l = NULL, *a = NULL, *r = NULL;
	int e;

	if ((e = rtnl_link_alloc_cache(nl->q_sk, AF_UNSPEC, &l)) < 0 ||
	    (e = rtnl_addr_alloc_cache(nl->q_sk, &a)) < 0 || (e = rtnl_route_alloc_cache(nl->q_sk, AF_UNSPEC, 0, &r)) < 0) {
		nl_cache_free(l);
		nl_cache_free(a);
		nl_cache_free(r);
		return nlerr(e);
	}
	nl_cache_free(nl->links);
	nl_cache_free(nl->addrs);
	nl_cache_free(nl->routes);
	nl->links = l;
	nl->addrs = a;
	nl->routes = r;
	nl->gen++;
	return 0;
}

static void arm_debounce(struct netlink *nl)
{
	struct timeval tv = {0, NETLINK_DEBOUNCE_MS * 1000};

	/* Not re-armed while pending: a steady stream of changes still gets a
	 * resync every NETLINK_DEBOUNCE_MS. */
	if (!evtimer_pending(nl->debounce, NULL))
		evtimer_add(nl->debounce, &tv);
}

static void on_debounce(evutil_socket_t fd, short what, void *arg)
{
	struct netlink *nl = arg;
	int r = resync(nl);

	if (r < 0) {
		errno = -r;
		probe_log(LOG_WARNING, "netlink: cannot dump links, addresses and routes: %s", strerror(errno));
		arm_debounce(nl); /* try again rather than keep stale caches */
		return;
	}
	probe_log(LOG_DEBUG, "netlink: change seen, caches resynced (generation %llu)", (unsigned long long)nl->gen);
	if (nl->n_slots && nl->slots[0]) /* tests hold it without a slot */
		probe_slot_trigger_events(nl->slots[0], PROBE_EV_NET);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct netlink *nl = arg;
	char buf[8192];
	bool changed = false;

	/* The content does not matter: any message means a resync. */
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			changed = true;
		} else if (n < 0 && errno == ENOBUFS) {
			probe_log(LOG_DEBUG, "netlink: receive buffer overrun, full resync");
			changed = true;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			break;
		}
	}
	if (changed)
		arm_debounce(nl);
}

static int monitor_new(struct event_base *base, struct netlink **ret)
{
	struct netlink *nl = calloc(1, sizeof(*nl));
	struct timeval tmo = {1, 0};
	int e;

	if (!nl)
		return -ENOMEM;
	nl->base = base;
	nl->ev_sk = nl_socket_alloc();
	nl->q_sk = nl_socket_alloc();
	if (!nl->ev_sk || !nl->q_sk) {
		monitor_free(nl);
		return -ENOMEM;
	}
	nl_socket_disable_seq_check(nl->ev_sk);
	nl_socket_disable_auto_ack(nl->q_sk);
	if ((e = nl_connect(nl->ev_sk, NETLINK_ROUTE)) < 0 || (e = nl_connect(nl->q_sk, NETLINK_ROUTE)) < 0 ||
	    (e = nl_socket_add_memberships(nl->ev_sk, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
	                                   RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, 0)) < 0 ||
	    (e = nl_socket_set_nonblocking(nl->ev_sk)) < 0) {
		monitor_free(nl);
		return nlerr(e);
	}
	/* A bigger buffer makes overruns rare; they are handled anyway. */
	nl_socket_set_buffer_size(nl->ev_sk, NETLINK_RCVBUF, 0);
	/* The kernel answers a dump or a lookup at once; the timeout only
	 * bounds what a kernel bug could cost the loop. */
	setsockopt(nl_socket_get_fd(nl->q_sk), SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	nl->ev = event_new(base, nl_socket_get_fd(nl->ev_sk), EV_READ | EV_PERSIST, on_readable, nl);
	nl->debounce = evtimer_new(base, on_debounce, nl);
	if (!nl->ev || !nl->debounce || event_add(nl->ev, NULL) < 0) {
		monitor_free(nl);
		return -ENOMEM;
	}
	/* Subscribed before the first dump: nothing falls between the two. */
	if ((e = resync(nl)) < 0) {
		monitor_free(nl);
		return e;
	}
	*ret = nl;
	return 0;
}

int netlink_ref(struct event_base *base, struct probe_slot *slot, struct netlink **ret)
{
	struct netlink *nl;
	struct probe_slot **v;
	int r;

	for (nl = monitors; nl && nl->base != base; nl = nl->next)
		;
	if (!nl) {
		if ((r = monitor_new(base, &nl)) < 0)
			return r;
		nl->next = monitors;
		monitors = nl;
	}
	v = realloc(nl->slots, (nl->n_slots + 1) * sizeof(*v));
	if (!v) {
		if (!nl->n_slots)
			netlink_unref(nl, NULL);
		return -ENOMEM;
	}
	nl->slots = v;
	v[nl->n_slots++] = slot;
	*ret = nl;
	return 0;
}

void netlink_unref(struct netlink *nl, struct probe_slot *slot)
{
	struct netlink **pp;

	if (!nl)
		return;
	for (size_t i = 0; i < nl->n_slots; i++) {
		if (nl->slots[i] == slot) {
			memmove(&nl->slots[i], &nl->slots[i + 1], (nl->n_slots - i - 1) * sizeof(*nl->slots));
			nl->n_slots--;
			break;
		}
	}
	if (nl->n_slots)
		return;
	for (pp = &monitors; *pp && *pp != nl; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = nl->next;
	monitor_free(nl);
}

struct nl_cache *netlink_links(struct netlink *nl)
{
	return nl->links;
}

struct nl_cache *netlink_addrs(struct netlink *nl)
{
	return nl->addrs;
}

struct nl_cache *netlink_routes(struct netlink *nl)
{
	return nl->routes;
}

uint64_t netlink_generation(const struct netlink *nl)
{
	return nl->gen;
}

/* ---- route lookup ---- */

struct lookup {
	struct netlink_route *out;
	int err;
	bool got;
};

static int on_route_reply(struct nl_msg *msg, void *arg)
{
	struct lookup *lk = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[RTA_MAX + 1];
	const struct rtmsg *rtm;

	if (h->nlmsg_type != RTM_NEWROUTE || nlmsg_parse(h, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return NL_SKIP;
	rtm = nlmsg_data(h);
	lk->got = true;
	if (rtm->rtm_type == RTN_UNREACHABLE || rtm->rtm_type == RTN_PROHIBIT || rtm->rtm_type == RTN_BLACKHOLE) {
		lk->err = -EHOSTUNREACH;
		return NL_STOP;
	}
	if (tb[RTA_OIF] && nla_len(tb[RTA_OIF]) == sizeof(uint32_t))
		lk->out->ifindex = (int)nla_get_u32(tb[RTA_OIF]);
	if (tb[RTA_GATEWAY]) {
		size_t n = (size_t)nla_len(tb[RTA_GATEWAY]);
		if ((rtm->rtm_family == AF_INET && n == 4) || (rtm->rtm_family == AF_INET6 && n == 16)) {
			memset(&lk->out->gateway, 0, sizeof(lk->out->gateway));
			lk->out->gateway.family = rtm->rtm_family;
			lk->out->gateway.len = (unsigned)n * 8;
			memcpy(lk->out->gateway.addr, nla_data(tb[RTA_GATEWAY]), n);
			lk->out->has_gateway = true;
		}
	}
	return NL_STOP;
}

static int on_route_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct lookup *lk = arg;

	lk->err = e->error < 0 ? e->error : -EIO;
	return NL_STOP;
}

/* Synchronous on purpose: a RTM_GETROUTE is a FIB lookup the kernel answers
 * in the sendmsg() call itself, in microseconds, so the reply is waiting by
 * the time we read; an async path would only add state. */
int netlink_route_get(struct netlink *nl, const struct vd_prefix *addr, struct netlink_route *ret)
{
	struct rtmsg rtm = {.rtm_family = (unsigned char)addr->family};
	struct netlink_route out = {.ifindex = 0};
	struct lookup lk = {.out = &out, .err = 0};
	size_t alen = addr->family == AF_INET ? 4 : 16;
	struct nl_msg *msg;
	struct nl_cb *cb;
	int e;

	if (addr->family != AF_INET && addr->family != AF_INET6)
		return -EAFNOSUPPORT;
	rtm.rtm_dst_len = (unsigned char)(alen * 8);
	msg = nlmsg_alloc_simple(RTM_GETROUTE, 0);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 || nla_put(msg, RTA_DST, (int)alen, addr->addr) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	e = nl_send_auto(nl->q_sk, msg);
	nlmsg_free(msg);
	if (e < 0)
		return nlerr(e);
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_route_reply, &lk);
	nl_cb_err(cb, NL_CB_CUSTOM, on_route_error, &lk);
	e = nl_recvmsgs(nl->q_sk, cb);
	nl_cb_put(cb);
	if (lk.err < 0)
		return lk.err;
	if (e < 0)
		return nlerr(e);
	if (!lk.got)
		return -EIO;
	/* a link newer than the cache has no name yet: the next resync brings it */
	if (out.ifindex > 0 && !rtnl_link_i2name(nl->links, out.ifindex, out.dev, sizeof(out.dev)))
		snprintf(out.dev, sizeof(out.dev), "if%d", out.ifindex);
	*ret = out;
	return 0;
}

/* ---- the tunnel's link ---- */

const char *netlink_link_vpn_kind(struct rtnl_link *link)
{
	const char *name = rtnl_link_get_name(link);
	long flags = -1;
	char path[64 + NETLINK_DEV_LEN], *data = NULL;
	size_t len;

	/* tun_flags is read only where netlink cannot tell (no IFLA_INFO_KIND);
	 * /sys shows the namespace it was mounted in, not necessarily ours. */
	if (!rtnl_link_get_type(link) && name) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", name);
		if (vd_read_file(NULL, path, 64, &data, &len) == 0) {
			char *end;
			errno = 0;
			flags = strtol(data, &end, 16);
			if (errno || end == data || flags < 0)
				flags = -1;
			free(data);
		}
	}
	return netlink_vpn_kind(rtnl_link_get_type(link), rtnl_link_get_arptype(link), flags);
}

static bool addr_equals(struct nl_addr *a, const struct vd_prefix *p)
{
	struct vd_prefix q;

	return a && netlink_prefix_from_nl(a, &q) && q.family == p->family &&
	       memcmp(q.addr, p->addr, p->family == AF_INET ? 4 : 16) == 0;
}

/* The link holding an address whose local (peer: its peer) is ip. */
static bool link_with_addr(struct netlink *nl, const char *ip, bool peer, char *ret, size_t len)
{
	struct vd_prefix p;
	char name[NETLINK_DEV_LEN];

	if (!ip || vd_addr_parse(ip, &p) < 0)
		return false;
	for (struct nl_object *o = nl_cache_get_first(nl->addrs); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		if (!addr_equals(peer ? rtnl_addr_get_peer(a) : rtnl_addr_get_local(a), &p))
			continue;
		if (rtnl_link_i2name(nl->links, rtnl_addr_get_ifindex(a), name, sizeof(name))) {
			snprintf(ret, len, "%s", name);
			return true;
		}
	}
	return false;
}

static bool link_exists(struct netlink *nl, const char *name)
{
	struct rtnl_link *l = rtnl_link_get_by_name(nl->links, name);

	if (l)
		rtnl_link_put(l);
	return l != NULL;
}

/* The `dev` of the tunnel's OpenVPN profile, or NULL. */
static char *profile_dev(const struct probe_tunnel *t)
{
	struct vd_ovpn_config *cfg = NULL;
	const struct vd_ovpn_option *o;
	struct vd_error err;
	char *data = NULL, *dev = NULL;
	size_t len;

	if (!t || !t->config || probe_read(&t->owner, t->config, NETLINK_MAX_CONFIG, &data, &len) < 0)
		return NULL;
	if (vd_ovpn_config_parse(t->config, data, len, &cfg, &err) == 0) {
		o = vd_ovpn_config_get(cfg, "dev");
		if (o && o->argc >= 1)
			dev = strdup(o->argv[0]);
		vd_ovpn_config_free(cfg);
	}
	free(data);
	return dev;
}

void netlink_tun_dev(struct netlink *nl, const struct probe_tunnel *t, const cJSON *ovpn, char *ret, size_t len)
{
	const cJSON *tunj = cJSON_GetObjectItemCaseSensitive(ovpn, VDF_OPENVPN_TUN);
	const char *name = cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(tunj, VDF_TUN_PRESENT))
	                           ? NULL
	                           : pu_jstr_set(tunj, VDF_TUN_NAME);
	const char *only = NULL;
	char *dev;
	size_t n = 0;

	ret[0] = '\0';
	if (name && link_exists(nl, name)) {
		snprintf(ret, len, "%s", name);
		return;
	}
	if (link_with_addr(nl, pu_jstr_set(ovpn, VDF_OPENVPN_LOCAL_IP), false, ret, len) ||
	    link_with_addr(nl, pu_jstr_set(ovpn, VDF_OPENVPN_SERVER_IP), true, ret, len))
		return;
	dev = profile_dev(t);
	if (dev && netlink_dev_is_name(dev)) {
		/* A named device that is not there: the tunnel is down. */
		if (link_exists(nl, dev))
			snprintf(ret, len, "%s", dev);
		free(dev);
		return;
	}
	/* `dev tun` (or no profile): the one tun/tap link there is, of that type. */
	for (struct nl_object *o = nl_cache_get_first(nl->links); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		const char *kind = netlink_link_vpn_kind(l);
		if (!kind || (strcmp(kind, "tun") != 0 && strcmp(kind, "tap") != 0))
			continue;
		if (dev && strncmp(dev, kind, 3) != 0)
			continue;
		n++;
		only = rtnl_link_get_name(l);
	}
	if (n == 1 && only)
		snprintf(ret, len, "%s", only);
	free(dev);
}

/* ---- pure helpers ---- */

bool netlink_prefix_from_nl(const struct nl_addr *a, struct vd_prefix *ret)
{
	struct nl_addr *m = (struct nl_addr *)(uintptr_t)a; /* libnl's getters take no const */
	int fam = nl_addr_get_family(m);
	unsigned alen = nl_addr_get_len(m), plen = nl_addr_get_prefixlen(m);
	size_t want = fam == AF_INET ? 4 : 16;

	if (fam != AF_INET && fam != AF_INET6)
		return false;
	memset(ret, 0, sizeof(*ret));
	ret->family = fam;
	/* A default route's destination comes with no address bytes at all. */
	if (alen == want)
		memcpy(ret->addr, nl_addr_get_binary_addr(m), want);
	else if (alen != 0)
		return false;
	if (plen > want * 8)
		return false;
	ret->len = alen == 0 ? 0 : plen;
	return true;
}

static void clear_host_bits(struct vd_prefix *p)
{
	unsigned bits = p->family == AF_INET ? 32 : 128;

	for (unsigned i = p->len; i < bits; i++)
		p->addr[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
}

void netlink_tunnel_subnet(const struct vd_prefix *local, unsigned prefixlen, bool has_peer,
                           const char *topology, struct vd_prefix *ret)
{
	unsigned bits = local->family == AF_INET ? 32 : 128;

	*ret = *local;
	ret->len = prefixlen > bits ? bits : prefixlen;
	if (local->family == AF_INET && has_peer && ret->len == 32 && !(topology && strcmp(topology, "p2p") == 0))
		ret->len = 30;
	clear_host_bits(ret);
}

bool netlink_is_redirect(const struct vd_prefix *p)
{
	return p->len <= 1;
}

const char *netlink_vpn_kind(const char *info_kind, unsigned arptype, long tun_flags)
{
	static const char *const kinds[] = {"wireguard", "ppp", "xfrm", "vti", "vti6"};

	if (info_kind && strcmp(info_kind, "tun") == 0)
		return arptype == ARPHRD_ETHER ? "tap" : "tun";
	if (!info_kind && tun_flags >= 0)
		return (tun_flags & TUN_FLAG_TAP) ? "tap" : "tun";
	for (size_t i = 0; info_kind && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(info_kind, kinds[i]) == 0)
			return kinds[i];
	if (arptype == ARPHRD_PPP)
		return "ppp";
	return NULL;
}

bool netlink_dev_is_name(const char *dev)
{
	return dev && dev[0] && strcmp(dev, "tun") != 0 && strcmp(dev, "tap") != 0 && strcmp(dev, "null") != 0;
}

/* ---- the probes on the monitor ---- */

struct netlink_probe_state {
	struct netlink *nl;
	struct probe_slot *slot;
};

void netlink_probe_free_state(void *state)
{
	struct netlink_probe_state *st = state;

	if (!st)
		return;
	netlink_unref(st->nl, st->slot);
	free(st);
}

int netlink_probe_begin(struct probe_run *run, struct netlink **ret)
{
	struct netlink_probe_state *st = *run->state;
	int r;

	if (!run->tunnel) {
		probe_run_done(run, PROBE_UNKNOWN, NULL);
		return 1;
	}
	if (!st) {
		if (!(st = calloc(1, sizeof(*st))))
			return -ENOMEM;
		st->slot = run->slot;
		r = netlink_ref(run->base, run->slot, &st->nl);
		if (r < 0) {
			free(st);
			PROBE_ERROR(run, N_("netlink: {error}"), VD_TEXT("error", strerror(-r)));
			probe_run_done(run, PROBE_FAIL, NULL);
			return 1;
		}
		*run->state = st;
	}
	*ret = st->nl;
	return 0;
}

void netlink_probe_done(struct probe_run *run, cJSON *sec)
{
	char *text = cJSON_PrintUnformatted(sec);

	probe_log(LOG_DEBUG, "%s on %s: %s", run->probe->name, run->tunnel->name, text ? text : "?");
	free(text);
	probe_run_done(run, PROBE_OK, sec);
}
