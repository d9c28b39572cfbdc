/* The mtu probe: the largest packet that crosses the tunnel to its server end
 * (else the first Targets= host), found with echoes that may not be
 * fragmented, in a binary search between the minimum every IPv4 path carries
 * (576; 1280 for IPv6) and the tun link's MTU. Sizes are whole IP packets.
 *
 * The socket uses IP_PMTUDISC_PROBE (IPV6_PMTUDISC_PROBE and IPV6_DONTFRAG):
 * the kernel sets DF but does not clamp to a path MTU it learnt, so every size
 * up to the link's MTU really leaves, and a frag-needed / packet-too-big is
 * seen as the error it is rather than as a local EMSGSIZE. Each size gets up
 * to MTU_TRIES echoes (more on a lossy tunnel: max_tries), one at a time, each
 * waited for a few round trips of a small echo: a lossy tunnel does not pass
 * for a small MTU, and a lost size costs about a second, so a run ends within
 * ~10 s on a clean tunnel (one per size, ~10 sizes).
 * Runs every hour and when OpenVPN's state changes: the path MTU of a
 * tunnel changes with the network under it, not by the minute; after 10
 * minutes while the path silently drops what the tun link's MTU allows (a
 * blackhole) or a search ended with no size answered (PROBE_MTU_RECHECK_S). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/if.h> /* struct ifreq */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "probe.h"
#include "probe_mtu.h"
#include "probe_util.h"
#include "vpndoctor/cidr.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/icmp.h"

#define MTU_MIN4 576
#define MTU_MIN6 1280
#define MTU_TRIES 3             /* per size while the tunnel loses little */
#define MTU_TRIES_MAX 8         /* on a lossy one (see max_tries) */
#define MTU_FIRST_WAIT_MS 1000 /* per try, until a small echo gave a round trip */
#define MTU_WAIT_MIN_MS 250
#define MTU_WAIT_MAX_MS 1500
#define MTU_MAX_SEQ 128        /* echoes in one run, all sizes and tries */
#define MTU_BUF 9216

struct mtu_ctx {
	struct probe_run *run;
	int fd;
	bool dgram, v6;
	struct event *ev, *timer, *fin;
	struct vd_icmp_match m;
	uint16_t id;
	struct sockaddr_storage sa;
	socklen_t salen;
	char addr[INET6_ADDRSTRLEN];
	char dev[IFNAMSIZ];
	unsigned tun_mtu;
	unsigned lo, hi;        /* largest passed, smallest lost (hi = tun_mtu + 1: none yet) */
	unsigned size, tries;   /* the size being tried, tries sent for it */
	unsigned ok_sent, ok_lost; /* echoes of sizes that passed, and of those lost */
	unsigned wait_ms;
	bool baseline_done;
	bool icmp_error;
	unsigned icmp_mtu;
	unsigned nseq;
	unsigned seq_size[MTU_MAX_SEQ];
	int64_t seq_sent[MTU_MAX_SEQ];
	enum probe_status result;
	bool finished;
	const char *why;  /* why it could not measure: a template of {address} and {size}, or NULL */
};

static void ctx_free(struct mtu_ctx *c)
{
	if (!c)
		return;
	if (c->ev)
		event_free(c->ev);
	if (c->timer)
		event_free(c->timer);
	if (c->fin)
		event_free(c->fin);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static void finish(struct mtu_ctx *c, enum probe_status st, const char *why)
{
	if (c->finished)
		return;
	c->finished = true;
	c->result = st;
	c->why = why;
	evtimer_del(c->timer);
	event_active(c->fin, EV_TIMEOUT, 0);
}

static unsigned hdr_len(const struct mtu_ctx *c)
{
	return c->v6 ? 40 : 20;
}

static void try_send(struct mtu_ctx *c);

/* Next size, or the end: the search is over when lo and hi meet. */
static void next_size(struct mtu_ctx *c)
{
	unsigned mid;

	c->tries = 0;
	if (c->hi == c->tun_mtu + 1 && c->lo < c->tun_mtu && c->size != c->tun_mtu) {
		c->size = c->tun_mtu; /* the common case, a clean tunnel, in one step */
	} else if (c->hi - c->lo <= 1) {
		finish(c, PROBE_OK, NULL);
		return;
	} else if (c->icmp_mtu > c->lo && c->icmp_mtu < c->hi && c->size != c->icmp_mtu) {
		c->size = c->icmp_mtu; /* the router said which size fits: check it */
	} else {
		mid = c->lo + (c->hi - c->lo) / 2;
		c->size = mid;
	}
	try_send(c);
}

/* A size is lost only after enough misses in a row that loss alone would
 * explain them less than 1 time in 100, loss as the sizes that passed met it:
 * at 40 % loss, three tries lose a size that fits 6 times in 100, and a
 * binary search of ten sizes would report a black hole one run in four. */
static unsigned max_tries(const struct mtu_ctx *c)
{
	return vd_icmp_tries_for_loss(c->ok_sent, c->ok_lost, MTU_TRIES, MTU_TRIES_MAX);
}

static void size_passed(struct mtu_ctx *c, int64_t rtt_ns)
{
	c->ok_sent += c->tries;
	c->ok_lost += c->tries - 1;
	if (!c->baseline_done) {
		/* a few round trips of a small echo, within bounds */
		unsigned ms = (unsigned)(rtt_ns / 1000000) * 4 + 100;
		c->wait_ms = ms < MTU_WAIT_MIN_MS ? MTU_WAIT_MIN_MS : ms > MTU_WAIT_MAX_MS ? MTU_WAIT_MAX_MS : ms;
		c->baseline_done = true;
	}
	if (c->size > c->lo)
		c->lo = c->size;
	next_size(c);
}

static void size_lost(struct mtu_ctx *c)
{
	if (!c->baseline_done) {
		finish(c, PROBE_UNKNOWN, N_("{address} does not answer echoes of {size} bytes"));
		return;
	}
	if (c->size < c->hi)
		c->hi = c->size;
	next_size(c);
}

static void try_send(struct mtu_ctx *c)
{
	struct vd_icmp_echo e = {.v6 = c->v6, .id = c->m.id};
	static uint8_t buf[MTU_BUF]; /* 9 KB: off the stack; the loop is single-threaded */
	unsigned icmp = c->size - hdr_len(c);
	struct timeval tv;

	if (c->nseq == MTU_MAX_SEQ) {
		finish(c, PROBE_FAIL, N_("too many echoes"));
		return;
	}
	e.seq = (uint16_t)c->nseq;
	memcpy(e.cookie, c->m.cookie, sizeof(e.cookie));
	e.sent_ns = (uint64_t)pu_mono_ns();
	if (vd_icmp_echo_build(&e, icmp, buf, sizeof(buf)) < 0) {
		finish(c, PROBE_FAIL, N_("cannot build an echo"));
		return;
	}
	c->seq_size[c->nseq] = c->size;
	c->seq_sent[c->nseq] = (int64_t)e.sent_ns;
	c->nseq++;
	c->tries++;
	if (sendto(c->fd, buf, icmp, 0, (struct sockaddr *)&c->sa, c->salen) < 0 && errno == EMSGSIZE) {
		/* larger than the link itself: lost by definition, no wait */
		size_lost(c);
		return;
	}
	tv.tv_sec = c->wait_ms / 1000;
	tv.tv_usec = (suseconds_t)(c->wait_ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct mtu_ctx *c = arg;

	(void)fd;
	(void)what;
	if (c->tries < max_tries(c))
		try_send(c);
	else
		size_lost(c);
}

/* Our echo's answer or error, for the size being tried (late answers to a
 * size already judged are ignored: the search has moved on). */
static void handle(struct mtu_ctx *c, const struct vd_icmp_result *r)
{
	unsigned size;

	if (c->finished || r->seq >= c->nseq)
		return;
	size = c->seq_size[r->seq];
	if (r->kind == VD_ICMP_TOO_BIG) {
		c->icmp_error = true;
		if (r->mtu >= (c->v6 ? MTU_MIN6 : MTU_MIN4) && r->mtu < size)
			c->icmp_mtu = r->mtu;
	}
	if (size != c->size)
		return;
	switch (r->kind) {
	case VD_ICMP_ECHO_REPLY:
		if (!r->cookie_checked)
			return;
		evtimer_del(c->timer);
		size_passed(c, pu_mono_ns() - c->seq_sent[r->seq]);
		break;
	case VD_ICMP_TOO_BIG:
		evtimer_del(c->timer);
		size_lost(c);
		break;
	default:
		break; /* unreachable, TTL: the next try or the timer decides */
	}
}

static void read_errqueue(struct mtu_ctx *c)
{
	for (int i = 0; i < 16; i++) {
		uint8_t buf[1024];
		char cbuf[256] __attribute__((aligned(__alignof__(struct cmsghdr))));
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
		ssize_t n = recvmsg(c->fd, &mh, MSG_ERRQUEUE);

		if (n < 0)
			return;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			struct sock_extended_err ee;
			struct vd_icmp_result r;
			if (!pu_icmp_errqueue_ee(cm, &ee))
				continue;
			if (vd_icmp_parse_errqueue(&c->m, ee.ee_type, ee.ee_code, ee.ee_info, buf, (size_t)n, &r) == 0 &&
			    r.kind != VD_ICMP_NOT_OURS && r.kind != VD_ICMP_MALFORMED)
				handle(c, &r);
		}
	}
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct mtu_ctx *c = arg;

	(void)what;
	for (int i = 0; i < 32 && !c->finished; i++) {
		static uint8_t buf[MTU_BUF + 128];
		struct vd_icmp_result r;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (c->dgram)
				read_errqueue(c);
			continue;
		}
		if (vd_icmp_parse(&c->m, !c->dgram && !c->v6, buf, (size_t)n, &r) == 0 && r.kind != VD_ICMP_NOT_OURS &&
		    r.kind != VD_ICMP_MALFORMED)
			handle(c, &r);
	}
}

static void on_fin(evutil_socket_t fd, short what, void *arg)
{
	struct mtu_ctx *c = arg;
	struct probe_run *run = c->run;
	cJSON *sec = NULL;

	(void)fd;
	(void)what;
	if (c->result == PROBE_OK && (sec = cJSON_CreateObject())) {
		cJSON_AddStringToObject(sec, VDF_MTU_ADDR, c->addr);
		cJSON_AddNumberToObject(sec, VDF_MTU_LARGEST_OK, c->lo);
		if (c->hi <= c->tun_mtu)
			cJSON_AddNumberToObject(sec, VDF_MTU_SMALLEST_LOST, c->hi);
		cJSON_AddBoolToObject(sec, VDF_MTU_ICMP_ERROR, c->icmp_error);
		cJSON_AddNumberToObject(sec, VDF_MTU_TUN_MTU, c->tun_mtu);
	}
	if (c->why) /* c->size is the size that went unanswered: finish() ends the search */
		PROBE_ERROR(run, c->why, VD_TEXT("address", c->addr), VD_NUM("size", c->size, 0));
	enum probe_status st = c->result == PROBE_OK && !sec ? PROBE_FAIL : c->result;
	/* a blackhole (no ICMP error said the size): the one the rules name */
	run->next_s = probe_mtu_next_s(st, st == PROBE_OK && c->hi <= c->tun_mtu && !c->icmp_error, run->interval_s);
	ctx_free(c);
	run->priv = NULL;
	probe_run_done(run, st, sec);
}

double probe_mtu_next_s(enum probe_status st, bool short_path, unsigned interval_s)
{
	if (st == PROBE_FAIL || (st == PROBE_OK && !short_path) || interval_s <= PROBE_MTU_RECHECK_S)
		return 0;
	return PROBE_MTU_RECHECK_S;
}

/* ---- start ---- */

static int sock_setup(struct mtu_ctx *c)
{
	int one = 1, bind_err, r;
	int probe = c->v6 ? IPV6_PMTUDISC_PROBE : IP_PMTUDISC_PROBE;
	struct ifreq ifr;

	/* a bind refused for another reason than ENODEV is not fatal */
	if ((r = pu_icmp_open(c->v6, c->dev, &c->fd, &c->dgram, &bind_err)) < 0)
		return r;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c->dev);
	if (ioctl(c->fd, SIOCGIFMTU, &ifr) < 0)
		return -errno;
	c->tun_mtu = (unsigned)ifr.ifr_mtu;
	if (c->v6 ? setsockopt(c->fd, SOL_IPV6, IPV6_MTU_DISCOVER, &probe, sizeof(probe)) < 0 ||
	                    setsockopt(c->fd, SOL_IPV6, IPV6_DONTFRAG, &one, sizeof(one)) < 0
	          : setsockopt(c->fd, SOL_IP, IP_MTU_DISCOVER, &probe, sizeof(probe)) < 0)
		return -errno;
	return pu_icmp_setup(c->fd, c->dgram, c->v6, c->id, false, &c->m);
}

static bool set_dest(struct mtu_ctx *c, const char *text)
{
	struct vd_prefix p;

	if (!text || vd_prefix_parse(text, false, &p) < 0 || p.len != (p.family == AF_INET ? 32u : 128u))
		return false;
	c->v6 = p.family == AF_INET6;
	pu_sockaddr_from_prefix(&p, &c->sa, &c->salen);
	inet_ntop(p.family, p.addr, c->addr, sizeof(c->addr));
	return true;
}

static int mtu_start(struct probe_run *run)
{
	const struct probe_tunnel *t = run->tunnel;
	const cJSON *ovpn = probe_run_section(run, VDF_TUNNEL_OPENVPN), *routes = probe_run_section(run, VDF_TUNNEL_ROUTES);
	const char *dev = NULL, *state;
	struct mtu_ctx *c;
	int r;

	if (!t)
		return -EINVAL;
	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	c->run = run;
	c->fd = -1;
	if ((state = pu_tunnel_down(ovpn))) {
		pu_error_tunnel_down(run, state);
		goto unknown;
	}
	if (pu_section_ok(ovpn))
		set_dest(c, pu_server_end(ovpn, t));
	dev = pu_tun_dev(ovpn, routes);
	if (!*c->addr && t->targets.n)
		set_dest(c, t->targets.v[0]);
	if (!dev || !*dev) {
		PROBE_ERROR(run, N_("no tun link known"));
		goto unknown;
	}
	if (!*c->addr) {
		PROBE_ERROR(run, N_("no server end known and no Targets="));
		goto unknown;
	}
	snprintf(c->dev, sizeof(c->dev), "%s", dev);
	if (getrandom(c->m.cookie, sizeof(c->m.cookie), 0) != sizeof(c->m.cookie) ||
	    getrandom(&c->id, sizeof(c->id), 0) != sizeof(c->id)) {
		r = -errno;
		ctx_free(c);
		return r;
	}
	if ((r = sock_setup(c)) < 0) {
		PROBE_ERROR(run, N_("ICMP socket on {device}: {error}"),
		            VD_TEXT("device", c->dev), VD_TEXT("error", strerror(-r)));
		ctx_free(c);
		probe_run_done(run, r == -ENODEV ? PROBE_UNKNOWN : PROBE_FAIL, NULL);
		return 0;
	}
	c->lo = 0;
	c->hi = c->tun_mtu + 1;
	c->size = c->v6 ? MTU_MIN6 : MTU_MIN4;
	if (c->size > c->tun_mtu) {
		PROBE_ERROR(run, N_("{device}'s MTU {mtu} is below the minimum {minimum}"),
		            VD_TEXT("device", c->dev), VD_NUM("mtu", c->tun_mtu, 0),
		            VD_NUM("minimum", c->size, 0));
		goto unknown;
	}
	c->wait_ms = MTU_FIRST_WAIT_MS;
	c->ev = event_new(run->base, c->fd, EV_READ | EV_PERSIST, on_read, c);
	c->timer = evtimer_new(run->base, on_timer, c);
	c->fin = event_new(run->base, -1, 0, on_fin, c);
	if (!c->ev || !c->timer || !c->fin || event_add(c->ev, NULL) < 0) {
		ctx_free(c);
		return -ENOMEM;
	}
	run->priv = c;
	try_send(c);
	return 0;
unknown:
	ctx_free(c);
	probe_run_done(run, PROBE_UNKNOWN, NULL);
	return 0;
}

static void mtu_cancel(struct probe_run *run)
{
	ctx_free(run->priv);
	run->priv = NULL;
}

const struct probe probe_mtu = {
	.name = "mtu",
	.section = VDF_TUNNEL_MTU,
	.config_section = "MTU",
	.per_tunnel = true,
	.interval_s = 3600,
	.events = PROBE_EV_OPENVPN,
	.needs = (const char *const[]){VDF_TUNNEL_OPENVPN, VDF_TUNNEL_ROUTES, NULL},
	.start = mtu_start,
	.cancel = mtu_cancel,
	.free_state = NULL,
};
