/* The dns probe: the tunnel's DNS servers (pushed by OpenVPN, else
 * systemd-resolved's servers of the tun link, else /etc/resolv.conf's but for
 * a local stub) each asked for every Names= name and the pushed domain, and
 * the system resolver (resolv.conf's servers, judged as glibc would) for the
 * same names. Each server says where it was learnt ("source").
 *
 * Queries are our own (lib/resolvconf.c) rather than libevent's evdns: evdns
 * 2.1 turns SERVFAIL into a retry and then a timeout and reports a truncated
 * reply as an error without asking over TCP, and this probe exists to tell
 * exactly those apart. Each query is one UDP datagram, sent again once after
 * DNS_TIMEOUT_MS: a VPC resolver answers in milliseconds, one lost datagram is
 * forgiven, and a run ends within ~4 s (glibc's 5 s x 2 would hold a probe
 * slot for 10 s). A truncated reply is asked again over TCP. The sockets are
 * unconnected, so an ICMP port unreachable (a stopped server) is silence, as
 * for glibc's stub, not an error. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <systemd/sd-bus.h>

#include "busutil.h"
#include "netlink.h"
#include "probe.h"
#include "probe_util.h"
#include "vpndoctor/cidr.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/profile.h"
#include "vpndoctor/resolvconf.h"

#define DNS_TIMEOUT_MS 2000
#define DNS_TRIES 2          /* the first send and one retransmission */
#define DNS_MAX_SERVERS 8
#define DNS_MAX_NAMES 16
#define DNS_RESOLV_CONF "/etc/resolv.conf"
#define DNS_BUS_TIMEOUT_US (2 * 1000 * 1000)

struct dns_server {
	struct sockaddr_storage sa;
	socklen_t len;
	char text[64];
	bool tunnel;      /* one of the tunnel's servers */
	const char *source; /* where it was learnt as the tunnel's: pushed|resolved|resolv.conf */
	char dev[NETLINK_DEV_LEN]; /* the link its route leaves by, when known */
	int sys_rank;     /* its place in resolv.conf, -1: not there */
	int via_tunnel;   /* 1, 0, -1 unknown */
};

struct dns_name {
	char name[VD_DNS_NAME_MAX + 1];
	uint16_t qtype;
};

struct dns_query {
	struct dns_ctx *c;
	size_t srv, name;
	uint8_t q[VD_DNS_QUERY_MAX];
	size_t qlen;
	unsigned tries;
	struct event *timer;
	struct bufferevent *bev;  /* over TCP after a truncated reply */
	enum vd_dns_result result;
	bool done;
	struct vd_dns_addr addrs[VD_DNS_ADDRS_MAX]; /* of an answer, a reply's (lib/resolvconf.c) */
	size_t n_addrs;
	unsigned dropped;
};

/* A name's addresses as one server last answered them, kept while it does
 * not answer (silence, SERVFAIL, REFUSED, an error): a VPC that stops
 * answering keeps the targets derived from it (lib/cloudfacts.c), which is
 * when their pings matter. An answer without them (another set, NODATA,
 * NXDOMAIN) replaces them. */
struct dns_kept {
	char server[64];
	char name[VD_DNS_NAME_MAX + 1];
	struct vd_dns_addr addrs[VD_DNS_ADDRS_MAX];
	size_t n;
	unsigned dropped;
};

/* Persistent per tunnel: the netlink monitor (route lookups for servers the
 * routes probe did not look up) and the system bus. */
struct dns_state {
	struct netlink *nl;
	struct probe_slot *slot;
	struct pu_bus bus; /* kept open between runs */
	/* the last run's answers with addresses: at most one per query of a
	 * run (DNS_MAX_SERVERS x DNS_MAX_NAMES), only names and servers of
	 * that run */
	struct dns_kept *kept;
	size_t n_kept;
};

struct dns_ctx {
	struct probe_run *run;
	struct dns_state *st;
	struct dns_server srv[DNS_MAX_SERVERS];
	size_t n_srv;
	struct dns_name names[DNS_MAX_NAMES];
	size_t n_names;
	struct dns_query *q;
	size_t n_q, pending;
	int fd4, fd6;
	struct event *ev4, *ev6;
	struct event *fin;        /* ends the run from the loop, never inside a callback of ours */
	sd_bus_slot *bus_call;
	char tun[NETLINK_DEV_LEN];
	int tun_ifindex;
};

/* ---- servers and names ---- */

static bool same_sa(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)(const void *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)(const void *)b;
		return x->sin_addr.s_addr == y->sin_addr.s_addr && x->sin_port == y->sin_port;
	}
	const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)(const void *)a;
	const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)(const void *)b;
	return memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0 && x->sin6_port == y->sin6_port &&
	       x->sin6_scope_id == y->sin6_scope_id;
}

/* Adds a server once; returns its index or -1 (full). */
static int add_server(struct dns_ctx *c, int family, const void *addr, uint32_t scope, const char *text)
{
	struct dns_server s = {.sys_rank = -1, .via_tunnel = -1};

	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)(void *)&s.sa;
		in->sin_family = AF_INET;
		in->sin_port = htons(53);
		memcpy(&in->sin_addr, addr, 4);
		s.len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)&s.sa;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(53);
		memcpy(&in6->sin6_addr, addr, 16);
		/* the kernel reports a reply's scope only for link-local sources;
		 * one kept on a global address would match no reply */
		in6->sin6_scope_id = IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr) ? scope : 0;
		s.len = sizeof(*in6);
	}
	snprintf(s.text, sizeof(s.text), "%s", text);
	for (size_t i = 0; i < c->n_srv; i++)
		if (same_sa(&c->srv[i].sa, &s.sa))
			return (int)i;
	if (c->n_srv == DNS_MAX_SERVERS)
		return -1;
	c->srv[c->n_srv] = s;
	return (int)c->n_srv++;
}

static void add_name(struct dns_ctx *c, const char *name, uint16_t qtype)
{
	uint8_t q[VD_DNS_QUERY_MAX];
	size_t n;

	if (c->n_names == DNS_MAX_NAMES || vd_dns_query_build(0, name, qtype, q, sizeof(q), &n) < 0)
		return;
	for (size_t i = 0; i < c->n_names; i++)
		if (strcasecmp(c->names[i].name, name) == 0)
			return;
	snprintf(c->names[c->n_names].name, sizeof(c->names[0].name), "%s", name);
	c->names[c->n_names++].qtype = qtype;
}

static void mark_tunnel(struct dns_server *s, const char *source)
{
	if (!s->tunnel)
		s->source = source;
	s->tunnel = true;
}

/* A local forwarder (resolved's stub 127.0.0.53, NetworkManager's dnsmasq):
 * where it forwards is not known, and its route (lo) says nothing about the
 * tunnel. */
static bool is_loopback(const struct dns_server *s)
{
	if (s->sa.ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)&s->sa)->sin_addr.s_addr) >> 24) == 127;
	const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)&s->sa)->sin6_addr;
	return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

/* The tunnel's servers as OpenVPN pushed them. */
static void servers_pushed(struct dns_ctx *c, const cJSON *pushed)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(pushed, VDF_PUSHED_DNS)) {
		struct vd_prefix p;
		int i;
		if (!cJSON_IsString(it) || vd_addr_parse(it->valuestring, &p) < 0 ||
		    p.len != (p.family == AF_INET ? 32 : 128))
			continue;
		if ((i = add_server(c, p.family, p.addr, 0, it->valuestring)) >= 0)
			mark_tunnel(&c->srv[i], "pushed");
	}
}

/* resolv.conf: the system's servers; the tunnel's too when nothing better
 * says which they are. */
static int servers_resolv_conf(struct dns_ctx *c, bool tunnel)
{
	struct vd_resolvconf rc;
	char *text = NULL;
	size_t len = 0;
	int r;

	r = vd_read_file(NULL, DNS_RESOLV_CONF, VD_RESOLVCONF_MAX, &text, &len);
	if (r < 0)
		return r;
	r = vd_resolvconf_parse(text, len, &rc);
	free(text);
	if (r < 0)
		return r;
	for (size_t k = 0; k < rc.n_ns; k++) {
		const struct vd_resolv_ns *ns = &rc.ns[k];
		uint32_t scope = ns->scope_id;
		int i;
		if (ns->scope[0] && !(scope = if_nametoindex(ns->scope)))
			continue;
		i = add_server(c, ns->family, ns->family == AF_INET ? (const void *)&ns->addr.v4 : (const void *)&ns->addr.v6,
		               scope, ns->text);
		if (i < 0)
			continue;
		c->srv[i].sys_rank = (int)k;
		if (tunnel && !is_loopback(&c->srv[i]))
			mark_tunnel(&c->srv[i], "resolv.conf");
	}
	return 0;
}

/* Through the tunnel or not: the routes probe's lookup of this server when it
 * made one, else our own lookup when the tunnel's link is known. */
static void via_tunnel(struct dns_ctx *c, struct dns_server *s, const cJSON *routes)
{
	const cJSON *it, *v;
	struct vd_prefix p;
	struct netlink_route rt;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(routes, VDF_ROUTES_DNS)) {
		const char *a = pu_jstr(it, VDF_LOOKUP_ADDR);
		v = cJSON_GetObjectItemCaseSensitive(it, VDF_LOOKUP_VIA_TUNNEL);
		if (a && strcmp(a, s->text) == 0 && cJSON_IsBool(v)) {
			s->via_tunnel = cJSON_IsTrue(v);
			snprintf(s->dev, sizeof(s->dev), "%s", pu_jstr(it, VDF_LOOKUP_DEV) ? pu_jstr(it, VDF_LOOKUP_DEV) : "");
			return;
		}
	}
	if (!c->st->nl || !c->tun[0] || vd_addr_parse(s->text, &p) < 0)
		return;
	if (netlink_route_get(c->st->nl, &p, &rt) == 0) {
		s->via_tunnel = strcmp(rt.dev, c->tun) == 0;
		snprintf(s->dev, sizeof(s->dev), "%s", rt.dev);
	} else
		s->via_tunnel = 0; /* no route at all: certainly not through the tunnel */
}

/* ---- the run ---- */

static void ctx_free(struct dns_ctx *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_q; i++) {
		if (c->q[i].timer)
			event_free(c->q[i].timer);
		if (c->q[i].bev)
			bufferevent_free(c->q[i].bev);
	}
	free(c->q);
	if (c->fin)
		event_free(c->fin);
	if (c->ev4)
		event_free(c->ev4);
	if (c->ev6)
		event_free(c->ev6);
	if (c->fd4 >= 0)
		close(c->fd4);
	if (c->fd6 >= 0)
		close(c->fd6);
	sd_bus_slot_unref(c->bus_call);
	free(c);
}

static enum vd_dns_result system_result(struct dns_ctx *c, size_t name)
{
	enum vd_dns_result first = VD_DNS_ERROR;
	bool any = false;

	/* glibc asks the servers in order and takes the first answer or
	 * NXDOMAIN; SERVFAIL, REFUSED and silence move it on to the next */
	for (int rank = 0; rank < VD_RESOLVCONF_MAX_NS; rank++)
		for (size_t i = 0; i < c->n_q; i++) {
			struct dns_query *q = &c->q[i];
			if (q->name != name || c->srv[q->srv].sys_rank != rank)
				continue;
			if (q->result == VD_DNS_ANSWER || q->result == VD_DNS_NXDOMAIN)
				return q->result;
			if (!any)
				first = q->result;
			any = true;
		}
	return first;
}

static const struct dns_kept *kept_find(const struct dns_state *st, const char *server, const char *name)
{
	for (size_t i = 0; i < st->n_kept; i++)
		if (strcmp(st->kept[i].server, server) == 0 && strcasecmp(st->kept[i].name, name) == 0)
			return &st->kept[i];
	return NULL;
}

/* This run's addresses per tunnel server and name: an answer's, else the
 * last answer's while the server does not answer. Replaces st's. */
static int answers_update(struct dns_ctx *c, bool *kept_flags)
{
	struct dns_kept *v = calloc(c->n_q ? c->n_q : 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_q; i++) {
		const struct dns_query *q = &c->q[i];
		const struct dns_server *s = &c->srv[q->srv];
		const struct dns_kept *old;
		struct dns_kept *k = &v[n];

		kept_flags[i] = false;
		if (!s->tunnel || c->names[q->name].qtype != VD_DNS_TYPE_A)
			continue;
		snprintf(k->server, sizeof(k->server), "%s", s->text);
		snprintf(k->name, sizeof(k->name), "%s", c->names[q->name].name);
		if (q->result == VD_DNS_ANSWER || q->result == VD_DNS_NXDOMAIN) {
			memcpy(k->addrs, q->addrs, sizeof(k->addrs));
			k->n = q->n_addrs;
			k->dropped = q->dropped;
		} else if ((old = kept_find(c->st, k->server, k->name))) {
			*k = *old;
			kept_flags[i] = true;
		}
		if (k->n)
			n++;
		else
			memset(k, 0, sizeof(*k));
	}
	/* only what is kept stays allocated: one entry per name answered with
	 * addresses, not one per query */
	if (n == 0) {
		free(v);
		v = NULL;
	} else {
		struct dns_kept *w = realloc(v, n * sizeof(*v));
		if (w)
			v = w;
	}
	free(c->st->kept);
	c->st->kept = v;
	c->st->n_kept = n;
	return 0;
}

/* servers[].answers: per name, the addresses it has. */
static cJSON *answers_json(const struct dns_ctx *c, size_t srv, const bool *kept_flags)
{
	cJSON *ans = NULL;

	for (size_t i = 0; i < c->n_q; i++) {
		const struct dns_query *q = &c->q[i];
		const struct dns_kept *k;
		cJSON *o, *a;
		char text[INET6_ADDRSTRLEN];

		if (q->srv != srv || !(k = kept_find(c->st, c->srv[srv].text, c->names[q->name].name)))
			continue;
		if ((!ans && !(ans = cJSON_CreateObject())) || !(o = cJSON_AddObjectToObject(ans, k->name)) ||
		    !(a = cJSON_AddArrayToObject(o, VDF_DNS_ANSWER_ADDRESSES)))
			goto oom;
		for (size_t j = 0; j < k->n; j++) {
			cJSON *str;
			if (!inet_ntop(k->addrs[j].family, k->addrs[j].addr, text, sizeof(text)))
				continue;
			if (!(str = cJSON_CreateString(text)))
				goto oom;
			cJSON_AddItemToArray(a, str);
		}
		if ((kept_flags[i] && !cJSON_AddBoolToObject(o, VDF_DNS_ANSWER_KEPT, true)) ||
		    (k->dropped && !cJSON_AddNumberToObject(o, VDF_DNS_ANSWER_DROPPED, k->dropped)))
			goto oom;
	}
	return ans ? ans : cJSON_CreateObject();
oom:
	cJSON_Delete(ans);
	return NULL;
}

static void finish(struct dns_ctx *c)
{
	struct probe_run *run = c->run;
	cJSON *sec = cJSON_CreateObject(), *servers, *system;
	bool any_sys = false, *kept_flags = calloc(c->n_q ? c->n_q : 1, sizeof(bool));

	if (!sec || !kept_flags || !(servers = cJSON_AddArrayToObject(sec, VDF_DNS_SERVERS)) ||
	    answers_update(c, kept_flags) < 0)
		goto oom;
	for (size_t i = 0; i < c->n_srv; i++) {
		cJSON *o, *res;
		if (!c->srv[i].tunnel)
			continue;
		if (!(o = cJSON_CreateObject()))
			goto oom;
		cJSON_AddItemToArray(servers, o);
		if (!cJSON_AddStringToObject(o, VDF_DNS_SERVER_ADDR, c->srv[i].text) ||
		    !cJSON_AddStringToObject(o, VDF_DNS_SERVER_SOURCE, c->srv[i].source))
			goto oom;
		if (c->srv[i].dev[0] && !cJSON_AddStringToObject(o, VDF_DNS_SERVER_DEV, c->srv[i].dev))
			goto oom;
		if (c->srv[i].via_tunnel >= 0 && !cJSON_AddBoolToObject(o, VDF_DNS_SERVER_VIA_TUNNEL, c->srv[i].via_tunnel))
			goto oom;
		if (!(res = cJSON_AddObjectToObject(o, VDF_DNS_SERVER_RESULTS)))
			goto oom;
		for (size_t k = 0; k < c->n_q; k++)
			if (c->q[k].srv == i &&
			    !cJSON_AddStringToObject(res, c->names[c->q[k].name].name, vd_dns_result_name(c->q[k].result)))
				goto oom;
		if (!(res = answers_json(c, i, kept_flags)))
			goto oom;
		if (!res->child)
			cJSON_Delete(res);
		else
			cJSON_AddItemToObject(o, VDF_DNS_SERVER_ANSWERS, res);
	}
	for (size_t i = 0; i < c->n_srv; i++)
		any_sys |= c->srv[i].sys_rank >= 0;
	if (any_sys) {
		if (!(system = cJSON_AddArrayToObject(sec, VDF_DNS_SYSTEM)))
			goto oom;
		for (size_t n = 0; n < c->n_names; n++) {
			cJSON *o = cJSON_CreateObject();
			if (!o)
				goto oom;
			cJSON_AddItemToArray(system, o);
			if (!cJSON_AddStringToObject(o, VDF_DNS_NAME_NAME, c->names[n].name) ||
			    !cJSON_AddStringToObject(o, VDF_DNS_NAME_RESULT, vd_dns_result_name(system_result(c, n))))
				goto oom;
		}
	}
	free(kept_flags);
	ctx_free(c);
	run->priv = NULL;
	probe_run_done(run, PROBE_OK, sec);
	return;
oom:
	free(kept_flags);
	cJSON_Delete(sec);
	ctx_free(c);
	run->priv = NULL;
	PROBE_ERROR(run, N_("out of memory"));
	probe_run_done(run, PROBE_FAIL, NULL);
}

static void on_fin(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	finish(arg);
}

static void query_done(struct dns_query *q, enum vd_dns_result res)
{
	if (q->done)
		return;
	q->done = true;
	q->result = res;
	if (res != VD_DNS_ANSWER)
		q->n_addrs = q->dropped = 0;
	evtimer_del(q->timer);
	if (q->bev) {
		bufferevent_free(q->bev);
		q->bev = NULL;
	}
	if (--q->c->pending == 0)
		event_active(q->c->fin, EV_TIMEOUT, 0);
}

/* A reply's addresses, for the answer's (query_done drops them otherwise). */
static void reply_keep(struct dns_query *q, const struct vd_dns_reply *r)
{
	memcpy(q->addrs, r->addrs, sizeof(q->addrs));
	q->n_addrs = r->n_addrs;
	q->dropped = r->addrs_dropped;
}

static void udp_send(struct dns_query *q)
{
	struct dns_ctx *c = q->c;
	const struct dns_server *s = &c->srv[q->srv];
	int fd = s->sa.ss_family == AF_INET ? c->fd4 : c->fd6;
	struct timeval tv = {DNS_TIMEOUT_MS / 1000, (DNS_TIMEOUT_MS % 1000) * 1000};

	q->tries++;
	/* a send that fails (no route, no address of the family) is an error,
	 * not a silence: nothing left the machine */
	if (fd < 0 || sendto(fd, q->q, q->qlen, MSG_NOSIGNAL, (const struct sockaddr *)&s->sa, s->len) < 0) {
		query_done(q, VD_DNS_ERROR);
		return;
	}
	evtimer_add(q->timer, &tv);
}

static void on_query_timer(evutil_socket_t fd, short what, void *arg)
{
	struct dns_query *q = arg;

	(void)fd;
	(void)what;
	if (q->bev || q->tries >= DNS_TRIES)
		query_done(q, VD_DNS_TIMEOUT);
	else
		udp_send(q);
}

static void on_tcp_read(struct bufferevent *bev, void *arg)
{
	struct dns_query *q = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct vd_dns_reply r;
	uint8_t len[2], *msg;
	size_t n;

	if (evbuffer_copyout(in, len, 2) < 2)
		return;
	n = (size_t)len[0] << 8 | len[1];
	if (evbuffer_get_length(in) < n + 2)
		return;
	evbuffer_drain(in, 2);
	msg = evbuffer_pullup(in, (ev_ssize_t)n);
	if (!msg || vd_dns_reply_parse(q->q, q->qlen, msg, n, &r) < 0 || r.truncated) {
		query_done(q, VD_DNS_ERROR);
	} else {
		reply_keep(q, &r);
		query_done(q, vd_dns_reply_result(&r));
	}
}

static void on_tcp_event(struct bufferevent *bev, short what, void *arg)
{
	struct dns_query *q = arg;

	(void)bev;
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF))
		query_done(q, VD_DNS_ERROR);
}

/* RFC 1035 4.2.2 / RFC 7766: the same query over TCP, after a 2-byte length. */
static void tcp_start(struct dns_query *q)
{
	struct dns_ctx *c = q->c;
	const struct dns_server *s = &c->srv[q->srv];
	struct timeval tv = {DNS_TIMEOUT_MS / 1000, (DNS_TIMEOUT_MS % 1000) * 1000};
	uint8_t len[2] = {(uint8_t)(q->qlen >> 8), (uint8_t)q->qlen};

	int fd;

	evtimer_del(q->timer);
	/* our own socket: libevent 2.1 would make one without SOCK_CLOEXEC */
	fd = socket(s->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		query_done(q, VD_DNS_ERROR);
		return;
	}
	q->bev = bufferevent_socket_new(c->run->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!q->bev) {
		close(fd);
		query_done(q, VD_DNS_ERROR);
		return;
	}
	if (bufferevent_socket_connect(q->bev, (const struct sockaddr *)&s->sa, (int)s->len) < 0) {
		query_done(q, VD_DNS_ERROR);
		return;
	}
	bufferevent_setcb(q->bev, on_tcp_read, NULL, on_tcp_event, q);
	bufferevent_write(q->bev, len, 2);
	bufferevent_write(q->bev, q->q, q->qlen);
	bufferevent_enable(q->bev, EV_READ);
	evtimer_add(q->timer, &tv);
}

static void on_udp(evutil_socket_t fd, short what, void *arg)
{
	struct dns_ctx *c = arg;
	uint8_t buf[VD_DNS_UDP_MAX * 2];
	struct sockaddr_storage from;
	socklen_t fl;
	ssize_t n;

	(void)what;
	for (;;) {
		struct vd_dns_reply r;
		fl = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		for (size_t i = 0; i < c->n_q; i++) {
			struct dns_query *q = &c->q[i];
			if (q->done || q->bev || !same_sa(&c->srv[q->srv].sa, &from) ||
			    vd_dns_reply_parse(q->q, q->qlen, buf, (size_t)n, &r) == -EBADMSG)
				continue;
			if (vd_dns_reply_parse(q->q, q->qlen, buf, (size_t)n, &r) < 0)
				query_done(q, VD_DNS_ERROR);
			else if (r.truncated)
				tcp_start(q);
			else {
				reply_keep(q, &r);
				query_done(q, vd_dns_reply_result(&r));
			}
			break;
		}
	}
}

static int open_udp(struct dns_ctx *c, int family, int *fd, struct event **ev)
{
	*fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return -errno;
	*ev = event_new(c->run->base, *fd, EV_READ | EV_PERSIST, on_udp, c);
	if (!*ev || event_add(*ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

/* Every server that is the tunnel's or the system's, for every name. */
static int queries_start(struct dns_ctx *c)
{
	bool need4 = false, need6 = false;

	c->q = calloc(c->n_srv * c->n_names, sizeof(*c->q));
	if (!c->q)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_srv; i++) {
		need4 |= c->srv[i].sa.ss_family == AF_INET;
		need6 |= c->srv[i].sa.ss_family == AF_INET6;
	}
	/* a family without sockets leaves its servers with an error each */
	if (need4)
		(void)open_udp(c, AF_INET, &c->fd4, &c->ev4);
	if (need6)
		(void)open_udp(c, AF_INET6, &c->fd6, &c->ev6);
	for (size_t i = 0; i < c->n_srv; i++)
		for (size_t k = 0; k < c->n_names; k++) {
			struct dns_query *q = &c->q[c->n_q];
			uint16_t id;
			if (getrandom(&id, sizeof(id), 0) != sizeof(id))
				id = (uint16_t)(rand() ^ (int)c->n_q);
			q->c = c;
			q->srv = i;
			q->name = k;
			q->result = VD_DNS_ERROR;
			if (vd_dns_query_build(id, c->names[k].name, c->names[k].qtype, q->q, sizeof(q->q), &q->qlen) < 0 ||
			    !(q->timer = evtimer_new(c->run->base, on_query_timer, q)))
				return -ENOMEM;
			c->n_q++;
		}
	/* pending counts all first so that no early error finishes the run */
	c->pending = c->n_q + 1;
	for (size_t i = 0; i < c->n_q; i++)
		udp_send(&c->q[i]);
	if (--c->pending == 0)
		event_active(c->fin, EV_TIMEOUT, 0);
	return 0;
}

/* ---- systemd-resolved: the tun link's servers ---- */

static void state_free(void *p)
{
	struct dns_state *st = p;

	if (!st)
		return;
	if (st->nl)
		netlink_unref(st->nl, st->slot);
	pu_bus_close(&st->bus);
	free(st->kept);
	free(st);
}

static void start_queries_or_fail(struct dns_ctx *c);

/* Manager.DNS is a(iiay): (ifindex, family, address); 0 is global. */
static int on_resolved_dns(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct dns_ctx *c = userdata;
	int family, ifindex, r;

	(void)ret_error;
	c->bus_call = sd_bus_slot_unref(c->bus_call);
	if (!sd_bus_message_is_method_error(m, NULL) &&
	    sd_bus_message_enter_container(m, SD_BUS_TYPE_VARIANT, "a(iiay)") > 0 &&
	    sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "(iiay)") > 0) {
		while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_STRUCT, "iiay")) > 0) {
			const void *a;
			size_t n;
			char text[INET6_ADDRSTRLEN];
			if (sd_bus_message_read(m, "ii", &ifindex, &family) < 0 ||
			    sd_bus_message_read_array(m, 'y', &a, &n) < 0 || sd_bus_message_exit_container(m) < 0)
				break;
			if (ifindex != c->tun_ifindex || !((family == AF_INET && n == 4) || (family == AF_INET6 && n == 16)) ||
			    !inet_ntop(family, a, text, sizeof(text)))
				continue;
			int i = add_server(c, family, a, family == AF_INET6 ? (uint32_t)ifindex : 0, text);
			if (i >= 0)
				mark_tunnel(&c->srv[i], "resolved");
		}
	}
	/* resolved not running (ServiceUnknown: we asked it not to be started),
	 * or no servers on the link: resolv.conf says which the tunnel's are */
	start_queries_or_fail(c);
	return 0;
}

static bool resolved_ask(struct dns_ctx *c)
{
	sd_bus *bus = pu_bus_get(&c->st->bus, c->run->base);
	sd_bus_message *m = NULL;
	int r;

	if (!bus || c->tun_ifindex <= 0)
		return false;
	r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.resolve1", "/org/freedesktop/resolve1",
	                                   "org.freedesktop.DBus.Properties", "Get");
	/* no auto-start: an unowned name answers ServiceUnknown at once */
	if (r >= 0)
		r = sd_bus_message_set_auto_start(m, 0);
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", "org.freedesktop.resolve1.Manager", "DNS");
	if (r >= 0)
		r = sd_bus_call_async(bus, &c->bus_call, m, on_resolved_dns, c, DNS_BUS_TIMEOUT_US);
	sd_bus_message_unref(m);
	if (r < 0)
		return false;
	pu_bus_arm(&c->st->bus);
	return true;
}

/* ---- start ---- */

static void start_queries_or_fail(struct dns_ctx *c)
{
	struct probe_run *run = c->run;
	const cJSON *routes = probe_run_section(run, VDF_TUNNEL_ROUTES);
	bool have_tunnel = false;
	int r;

	for (size_t i = 0; i < c->n_srv; i++)
		have_tunnel |= c->srv[i].tunnel;
	r = servers_resolv_conf(c, !have_tunnel);
	if (r < 0 && !have_tunnel) {
		PROBE_ERROR(run, N_("{file}: {error}"),
		            VD_TEXT("file", DNS_RESOLV_CONF), VD_TEXT("error", strerror(-r)));
		goto fail;
	}
	if (c->n_srv == 0) {
		PROBE_ERROR(run, N_("no DNS server: none pushed, none in {file}"), VD_TEXT("file", DNS_RESOLV_CONF));
		ctx_free(c);
		run->priv = NULL;
		probe_run_done(run, PROBE_UNKNOWN, NULL);
		return;
	}
	for (size_t i = 0; i < c->n_srv; i++)
		if (c->srv[i].tunnel)
			via_tunnel(c, &c->srv[i], routes);
	if (queries_start(c) == 0)
		return;
	PROBE_ERROR(run, N_("out of memory"));
fail:
	ctx_free(c);
	run->priv = NULL;
	probe_run_done(run, PROBE_FAIL, NULL);
}

static int dns_start(struct probe_run *run)
{
	const struct probe_tunnel *t = run->tunnel;
	struct dns_state *st = *run->state;
	const cJSON *ovpn = probe_run_section(run, VDF_TUNNEL_OPENVPN), *pushed;
	const char *domain, *ost = pu_jstr(ovpn, VDF_SECTION_STATUS);
	struct dns_ctx *c;

	if (!t)
		return -EINVAL;
	if (!st) {
		if (!(st = calloc(1, sizeof(*st))))
			return -ENOMEM;
		st->slot = run->slot;
		*run->state = st;
	}
	if (!st->nl && netlink_ref(run->base, run->slot, &st->nl) < 0)
		st->nl = NULL; /* no own route lookups; the routes probe's still count */
	if (!ost || strcmp(ost, "ok") != 0)
		ovpn = NULL;
	pushed = cJSON_GetObjectItemCaseSensitive(ovpn, VDF_OPENVPN_PUSHED);

	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	c->run = run;
	c->st = st;
	c->fd4 = c->fd6 = -1;
	run->priv = c;
	if (!(c->fin = event_new(run->base, -1, 0, on_fin, c))) {
		ctx_free(c);
		run->priv = NULL;
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->names.n; i++)
		add_name(c, t->names.v[i], VD_DNS_TYPE_A);
	/* the domain itself need not have an address, but its zone has an SOA */
	if ((domain = pu_jstr(pushed, VDF_PUSHED_DOMAIN)))
		add_name(c, domain, VD_DNS_TYPE_SOA);
	if (c->n_names == 0) {
		ctx_free(c);
		run->priv = NULL;
		PROBE_ERROR(run, N_("no Names= for this tunnel and no pushed domain"));
		probe_run_done(run, PROBE_UNKNOWN, NULL);
		return 0;
	}
	if (st->nl)
		netlink_tun_dev(st->nl, t, ovpn, c->tun, sizeof(c->tun));
	if (c->tun[0])
		c->tun_ifindex = (int)if_nametoindex(c->tun);

	servers_pushed(c, pushed);
	if (c->n_srv > 0)
		start_queries_or_fail(c);
	else if (!resolved_ask(c)) {
		start_queries_or_fail(c);
	}
	return 0;
}

static void dns_cancel(struct probe_run *run)
{
	ctx_free(run->priv);
	run->priv = NULL;
}

const struct probe probe_dns = {
	.name = "dns",
	.section = VDF_TUNNEL_DNS,
	.config_section = "DNS",
	.per_tunnel = true,
	.interval_s = 300,
	.events = PROBE_EV_OPENVPN | PROBE_EV_NET,
	.needs = (const char *const[]){VDF_TUNNEL_OPENVPN, VDF_TUNNEL_ROUTES, NULL},
	.start = dns_start,
	.cancel = dns_cancel,
	.free_state = state_free,
};
