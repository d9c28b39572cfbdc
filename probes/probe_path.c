/* The path probe: loss, round trip and jitter to the gateway's public address
 * over the physical link, outside the tunnel (lib/icmp.c builds and matches
 * the echoes), and the sequential tests those echoes feed (lib/sampler.c:
 * loss, long round trips, jitter; their design stands beside the rules in
 * lib/rules.c). It is the tunnel's sentinel: a healthy path costs one small
 * echo every few seconds, and the tests say when to look closer.
 *
 * Outside the tunnel without binding to a device: the route table already
 * sends the gateway's address over the physical link, because OpenVPN adds a
 * host route to its remote via the old default gateway before it redirects
 * anything into the tunnel (redirect-gateway), and without redirect-gateway
 * the default route is the physical one anyway. Binding to the link would
 * pick a source address by hand and break when the laptop roams.
 *
 * The socket: the unprivileged ICMP datagram socket when
 * net.ipv4.ping_group_range admits our group (the kernel then owns the echo
 * id), else a raw socket (CAP_NET_RAW; the daemon's unit grants it). Replies
 * are ours by id (raw), sequence and a per-run 16-byte cookie; the round trip
 * is the kernel's receive stamp minus the send time.
 *
 * How much: a run sends as many echoes as the pacer says (one while the
 * tests rest, a burst of them 100 ms apart while one is undecided or its
 * evidence moves), of VD_ICMP_ECHO_MIN bytes (32 of ICMP, 52 of IP: 104 both
 * ways), and asks to run again after the pacer's delay (vd_sampling "path":
 * every 3 s at rest, [Path] Interval=). An echo not answered 2 s after the
 * last one was sent is lost. The tests start afresh when the way to the
 * gateway changes (its address, or the link and next hop the route takes):
 * the evidence of another network says nothing about this one.
 *
 * Where ICMP gets no answer at all (filtered on the way or at the gateway:
 * PATH_ICMP_GIVE_UP echoes in a row, none ever answered on this way), the
 * probe measures with OpenVPN hard resets instead (method "handshake"), over
 * the protocol the transport probe saw answered (the tunnel's own when both
 * did), one per echo it would have sent; it tries ICMP again after
 * PATH_ICMP_RETRY_S. */
#include <errno.h>
#include <math.h>
#include <time.h> /* before linux/errqueue.h, which needs struct timespec */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "probe.h"
#include "probe_transport.h"
#include "probe_util.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/icmp.h"
#include "vpndoctor/sampler.h"

#define PATH_MAX_BURST 16
#define PATH_ECHO_SIZE VD_ICMP_ECHO_MIN
#define PATH_HS_WAIT_MS 1000
#define PATH_ICMP_GIVE_UP 10  /* echoes unanswered in a row, none ever answered: handshakes instead */
#define PATH_ICMP_RETRY_S 600 /* and ICMP again after this */
#define PATH_GW_TTL_S 300     /* a resolved gateway is good for this long */

static const char *const path_tests[] = {
	VDF_TESTS_LOSS_HEAVY, VDF_TESTS_LOSS_LIGHT, VDF_TESTS_RTT_LONG, VDF_TESTS_RTT_VERY_LONG, VDF_TESTS_JITTER, NULL,
};

/* The slot's state: the tests and the pace, kept from run to run. */
struct path_state {
	struct vd_bank bank;
	struct vd_pacer pacer;
	unsigned next_count;   /* echoes the next run sends */
	char way[192];         /* the gateway and the route to it the tests are about */
	bool hs_mode;          /* measuring by handshakes */
	double hs_since;       /* monotonic s */
	unsigned unanswered;   /* echoes in a row without an answer */
	bool ever_answered;    /* an echo was answered on this way */
	struct tp_gateway gw;  /* the last resolved gateway */
	double gw_at;          /* monotonic s; 0: none */
};

struct path_run {
	struct probe_run *run;
	struct path_state *st;
	struct tp_resolve *res;
	struct tp_gateway gw;
	struct sockaddr_storage dst;
	int fd;
	bool dgram, v6;
	struct event *rd, *tick, *finish;
	struct vd_icmp_match m;
	uint16_t id;
	unsigned count;        /* echoes (or handshakes) this run */
	unsigned sent, received, unreachable, ttl_exceeded, send_errors;
	char send_error[96];
	double sent_ms[PATH_MAX_BURST];
	double sent_rt[PATH_MAX_BURST]; /* CLOCK_REALTIME, against the kernel's receive stamp */
	double rtt[PATH_MAX_BURST];
	bool got[PATH_MAX_BURST];
	/* handshakes */
	bool hs_tcp;
	struct tp_hs *hs;
	double hs_t;
};

static double r3(double v)
{
	return (double)(long long)(v * 1000 + 0.5) / 1000;
}

static double mono_s(void)
{
	return pu_mono_ms() / 1000.0;
}

static void state_free(void *p)
{
	free(p);
}

static void sock_close(struct path_run *pr)
{
	if (pr->rd) {
		event_free(pr->rd);
		pr->rd = NULL;
	}
	if (pr->fd >= 0) {
		close(pr->fd);
		pr->fd = -1;
	}
}

static void pr_free(struct path_run *pr)
{
	if (!pr)
		return;
	probe_transport_gateway_free(pr->res);
	probe_transport_hs_free(pr->hs);
	sock_close(pr);
	if (pr->tick)
		event_free(pr->tick);
	if (pr->finish)
		event_free(pr->finish);
	free(pr);
}

static void pr_end(struct path_run *pr, enum probe_status st, cJSON *sec)
{
	struct probe_run *run = pr->run;

	run->priv = NULL;
	pr_free(pr);
	probe_run_done(run, st, sec);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* This run's echoes, as the section's figures (the timeline adds them up). */
static void add_stats(cJSON *sec, const double *rtt, size_t n, unsigned sent)
{
	struct vd_rtt_stats s;
	double sorted[PATH_MAX_BURST];

	if (vd_rtt_stats_compute(rtt, n, sent, &s) < 0)
		return;
	cJSON_AddNumberToObject(sec, VDF_SAMPLE_SENT, s.sent);
	cJSON_AddNumberToObject(sec, VDF_SAMPLE_RECEIVED, s.received);
	cJSON_AddNumberToObject(sec, VDF_SAMPLE_LOSS_PCT, r3(s.loss_pct));
	if (s.received == 0)
		return;
	cJSON_AddNumberToObject(sec, VDF_SAMPLE_RTT_MIN_MS, r3(s.min_ms));
	cJSON_AddNumberToObject(sec, VDF_SAMPLE_RTT_AVG_MS, r3(s.avg_ms));
	/* the median, for comparing with ping and fping (tests/bench/bench_path.sh) */
	memcpy(sorted, rtt, n * sizeof(*rtt));
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	cJSON_AddNumberToObject(sec, VDF_PATH_RTT_MEDIAN_MS,
	                        r3(n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2));
	cJSON_AddNumberToObject(sec, VDF_SAMPLE_RTT_MAX_MS, r3(s.max_ms));
	if (s.received > 1) {
		cJSON_AddNumberToObject(sec, VDF_ECHO_RTT_MDEV_MS, r3(s.mdev_ms));
		cJSON_AddNumberToObject(sec, VDF_ECHO_RTT_P95_MS, r3(s.p95_ms));
		cJSON_AddNumberToObject(sec, VDF_ECHO_JITTER_MS, r3(s.jitter_ms));
	}
}

/* The next run's size and time, from the tests as they stand now. */
static void pace(struct path_run *pr)
{
	struct path_state *st = pr->st;
	double delay;

	vd_pacer_plan(&st->pacer, vd_bank_pace(&st->bank), vd_bank_any_h1(&st->bank), pr->run->interval_s,
	              mono_s(), &st->next_count, &delay);
	if (st->next_count > PATH_MAX_BURST)
		st->next_count = PATH_MAX_BURST;
	pr->run->next_s = delay;
}

static void on_finish(evutil_socket_t fd, short what, void *arg)
{
	struct path_run *pr = arg;
	struct path_state *st = pr->st;
	cJSON *sec = cJSON_CreateObject(), *tests;
	double rtt[PATH_MAX_BURST];
	size_t n = 0;
	char *text;

	(void)fd;
	(void)what;
	/* every echo sent is a sample, in the order sent */
	for (unsigned i = 0; i < pr->sent; i++) {
		vd_bank_echo(&st->bank, pr->got[i], pr->rtt[i], NAN);
		if (pr->got[i]) {
			rtt[n++] = pr->rtt[i];
			st->unanswered = 0;
			st->ever_answered = true;
		} else {
			st->unanswered++;
		}
	}
	pace(pr);
	if (!sec) {
		pr_end(pr, PROBE_FAIL, NULL);
		return;
	}
	cJSON_AddStringToObject(sec, VDF_ECHO_ADDR, pr->gw.addr);
	cJSON_AddStringToObject(sec, VDF_PATH_METHOD, st->hs_mode ? "handshake" : "icmp");
	if (st->hs_mode)
		cJSON_AddStringToObject(sec, VDF_PATH_HANDSHAKE_PROTO, pr->hs_tcp ? "tcp" : "udp");
	add_stats(sec, rtt, n, pr->sent);
	cJSON_AddStringToObject(sec, VDF_PATH_SOCKET, pr->dgram ? "dgram" : "raw");
	cJSON_AddNumberToObject(sec, VDF_ECHO_UNREACHABLE, pr->unreachable);
	cJSON_AddNumberToObject(sec, VDF_ECHO_TTL_EXCEEDED, pr->ttl_exceeded);
	if (pr->send_errors) {
		cJSON_AddNumberToObject(sec, VDF_PATH_SEND_ERRORS, pr->send_errors);
		cJSON_AddStringToObject(sec, VDF_PATH_SEND_ERROR, pr->send_error);
	}
	if ((tests = vd_bank_json(&st->bank)))
		cJSON_AddItemToObject(sec, VDF_SAMPLE_TESTS, tests);
	text = cJSON_PrintUnformatted(sec);
	probe_log(LOG_DEBUG, "path on %s: %s", pr->run->tunnel->name, text ? text : "?");
	free(text);
	pr_end(pr, PROBE_OK, sec);
}

/* ---- handshakes where ICMP is filtered ------------------------------------------- */

static void hs_next(struct path_run *pr);

static void on_hs(void *arg, const struct tp_result *res)
{
	struct path_run *pr = arg;
	struct timeval tv;
	unsigned k = pr->sent - 1;

	if (strcmp(res->result, "answered") == 0) {
		pr->got[k] = true;
		pr->rtt[k] = res->rtt_ms;
		pr->received++;
	}
	if (pr->sent >= pr->count) {
		event_active(pr->finish, EV_TIMEOUT, 0);
		return;
	}
	pu_ms_tv(pr->hs_t + pr->st->pacer.s->burst_spacing_s * 1000 - pu_mono_ms(), &tv);
	evtimer_add(pr->tick, &tv);
}

static void hs_next(struct path_run *pr)
{
	struct tp_hs *old = pr->hs;

	pr->hs = NULL;
	probe_transport_hs_free(old);
	pr->hs_t = pu_mono_ms();
	pr->sent++;
	if (probe_transport_hs(pr->run->base, &pr->gw, pr->hs_tcp, PATH_HS_WAIT_MS, on_hs, pr, &pr->hs) < 0)
		event_active(pr->finish, EV_TIMEOUT, 0);
}

/* The protocol to measure with: one the transport probe saw answered, the
 * tunnel's own first; without its facts yet, the tunnel's. false: none. */
static bool hs_choose(struct path_run *pr)
{
	const cJSON *tr = probe_run_section(pr->run, VDF_TUNNEL_TRANSPORT);
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(tr, VDF_TRANSPORT_UDP),
	                                                  VDF_TRANSPORT_TRY_RESULT);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(tr, VDF_TRANSPORT_TCP),
	                                                  VDF_TRANSPORT_TRY_RESULT);
	bool u_ok = cJSON_IsString(u) && strcmp(u->valuestring, "answered") == 0;
	bool t_ok = cJSON_IsString(t) && strcmp(t->valuestring, "answered") == 0;
	bool tunnel_tcp = strcmp(pr->gw.proto, "tcp") == 0;

	if (!pr->gw.speakable)
		return false;
	if (!tr) {
		pr->hs_tcp = tunnel_tcp;
		return true;
	}
	if (!u_ok && !t_ok)
		return false;
	pr->hs_tcp = (tunnel_tcp && t_ok) || !u_ok;
	return true;
}

/* ---- ICMP ------------------------------------------------------------------------ */

static void got(struct path_run *pr, const struct vd_icmp_result *res, double now)
{
	switch (res->kind) {
	case VD_ICMP_ECHO_REPLY:
		if (res->seq < pr->sent && !pr->got[res->seq]) {
			pr->got[res->seq] = true;
			pr->rtt[res->seq] = now - pr->sent_ms[res->seq];
			pr->received++;
		}
		break;
	case VD_ICMP_UNREACHABLE:
	case VD_ICMP_TOO_BIG:
		pr->unreachable++;
		break;
	case VD_ICMP_TIME_EXCEEDED:
		pr->ttl_exceeded++;
		break;
	default:
		break;
	}
}

/* A ping socket reports ICMP errors on its error queue. */
static void read_errqueue(struct path_run *pr)
{
	for (;;) {
		uint8_t buf[512], cbuf[512];
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
		ssize_t n = recvmsg(pr->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);

		if (n < 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			struct sock_extended_err ee;
			struct vd_icmp_result res;

			if (!pu_icmp_errqueue_ee(c, &ee))
				continue;
			if (vd_icmp_parse_errqueue(&pr->m, ee.ee_type, ee.ee_code, ee.ee_info, buf, (size_t)n, &res) == 0)
				got(pr, &res, pu_mono_ms());
		}
	}
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct path_run *pr = arg;

	(void)fd;
	(void)what;
	if (pr->dgram)
		read_errqueue(pr);
	for (;;) {
		uint8_t buf[1500], cbuf[256];
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
		struct vd_icmp_result res;
		ssize_t n = recvmsg(pr->fd, &mh, MSG_DONTWAIT);
		double now = pu_mono_ms(), stamp = -1;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && pr->dgram)
				read_errqueue(pr);
			break;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			struct timespec ts;

			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
			    c->cmsg_len >= CMSG_LEN(sizeof(ts))) {
				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				stamp = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
			}
		}
		if (vd_icmp_parse(&pr->m, !pr->dgram && !pr->v6, buf, (size_t)n, &res) == 0) {
			/* The kernel's receive stamp leaves out our wake-up, as ping's
			 * SO_TIMESTAMP does; a realtime step during the burst (an
			 * implausible value) falls back to the monotonic clock. */
			if (res.kind == VD_ICMP_ECHO_REPLY && stamp > 0 && res.seq < pr->sent) {
				double rtt = stamp - pr->sent_rt[res.seq];
				if (rtt >= 0 && rtt <= now - pr->sent_ms[res.seq] + 1)
					now = pr->sent_ms[res.seq] + rtt;
			}
			got(pr, &res, now);
		}
	}
	if (pr->sent == pr->count && pr->received == pr->count)
		event_active(pr->finish, EV_TIMEOUT, 0); /* all in: no need to wait */
}

static void send_echo(struct path_run *pr)
{
	struct vd_icmp_echo e = {.v6 = pr->v6, .id = pr->id, .seq = (uint16_t)pr->sent};
	uint8_t buf[PATH_ECHO_SIZE];
	socklen_t dl = pr->v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

	memcpy(e.cookie, pr->m.cookie, sizeof(e.cookie));
	e.sent_ns = (uint64_t)pu_mono_ns();
	pr->sent_ms[pr->sent] = pu_mono_ms();
	pr->sent_rt[pr->sent] = pu_realtime_ms();
	if (vd_icmp_echo_build(&e, sizeof(buf), buf, sizeof(buf)) == 0 &&
	    sendto(pr->fd, buf, sizeof(buf), 0, (const struct sockaddr *)&pr->dst, dl) < 0) {
		/* no route, a local firewall: the echo is lost like any other */
		pr->send_errors++;
		snprintf(pr->send_error, sizeof(pr->send_error), "%s", strerror(errno));
	}
	pr->sent++;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct path_run *pr = arg;
	struct timeval tv;
	double spacing = pr->st->pacer.s->burst_spacing_s * 1000, wait = pr->st->pacer.s->deadline_s * 1000;

	(void)fd;
	(void)what;
	if (pr->st->hs_mode) {
		hs_next(pr);
		return;
	}
	if (pr->sent == pr->count) {
		event_active(pr->finish, EV_TIMEOUT, 0); /* the deadline: what is not in is lost */
		return;
	}
	send_echo(pr);
	pu_ms_tv(pr->sent < pr->count ? spacing : wait, &tv);
	evtimer_add(pr->tick, &tv);
}

/* Not pu_icmp_open/pu_icmp_setup: outside the tunnel there is no link to bind
 * to, the ping socket is left unbound (its kernel sets and checks the id) and
 * every option is best effort. */
static int icmp_open(struct path_run *pr)
{
	int proto = pr->v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, fam = pr->v6 ? AF_INET6 : AF_INET, on = 1;

	pr->fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (pr->fd >= 0)
		setsockopt(pr->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	if (pr->fd >= 0) {
		pr->dgram = true;
		if (pr->v6)
			setsockopt(pr->fd, SOL_IPV6, IPV6_RECVERR, &on, sizeof(on));
		else
			setsockopt(pr->fd, SOL_IP, IP_RECVERR, &on, sizeof(on));
		return 0;
	}
	pr->fd = socket(fam, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (pr->fd < 0)
		return -errno;
	setsockopt(pr->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	/* best effort, as everything here: matching stays ours without it */
	(void)pu_icmp_raw_filter(pr->fd, pr->v6);
	return 0;
}

/* What the tests are about: the gateway's address and the route to it (the
 * routes probe's lookup: link and next hop). */
static void way_of(struct path_run *pr, char *buf, size_t len)
{
	const cJSON *lk = pu_jobj(probe_run_section(pr->run, VDF_TUNNEL_ROUTES), VDF_ROUTES_GATEWAY);
	const char *dev = pu_jstr(lk, VDF_LOOKUP_DEV), *nh = pu_jstr(lk, VDF_LOOKUP_GATEWAY);

	snprintf(buf, len, "%s %s %s", pr->gw.addr, dev ? dev : "-", nh ? nh : "-");
}

static void start_sending(struct path_run *pr)
{
	struct path_state *st = pr->st;
	char way[sizeof(st->way)];
	int r;

	way_of(pr, way, sizeof(way));
	if (strcmp(way, st->way) != 0 || pr->run->anew) {
		/* another way to the gateway (the laptop moved, the gateway
		 * changed), or the same way on a network that changed under it
		 * (a login page let go, a resume): what the tests knew was
		 * about the old one */
		if (st->way[0] && strcmp(way, st->way) != 0)
			probe_log(LOG_INFO, "path on %s: the way to the gateway is now %s: its tests start afresh", pr->run->tunnel->name,
			         way);
		else if (st->way[0])
			probe_log(LOG_INFO, "path on %s: the network changed: its tests start afresh", pr->run->tunnel->name);
		snprintf(st->way, sizeof(st->way), "%s", way);
		vd_bank_restart(&st->bank);
		st->hs_mode = false;
		st->unanswered = 0;
		st->ever_answered = false;
		st->next_count = st->pacer.s->burst;
		pr->count = st->next_count;
	}
	/* ICMP filtered: handshakes for a while, then ICMP again */
	if (!st->hs_mode && !st->ever_answered && st->unanswered >= PATH_ICMP_GIVE_UP && hs_choose(pr)) {
		st->hs_mode = true;
		st->hs_since = mono_s();
		vd_bank_restart(&st->bank);
		probe_log(LOG_INFO, "path on %s: %s answers no echo: measuring with OpenVPN handshakes", pr->run->tunnel->name,
		         pr->gw.addr);
	} else if (st->hs_mode && mono_s() - st->hs_since > PATH_ICMP_RETRY_S) {
		st->hs_mode = false;
		st->unanswered = 0;
		vd_bank_restart(&st->bank);
	}
	if (st->hs_mode) {
		if (!hs_choose(pr)) {
			st->hs_mode = false;
		} else {
			event_active(pr->tick, EV_TIMEOUT, 0);
			return;
		}
	}
	pr->v6 = pr->gw.ss.ss_family == AF_INET6;
	memcpy(&pr->dst, &pr->gw.ss, sizeof(pr->dst));
	if (pr->v6)
		((struct sockaddr_in6 *)&pr->dst)->sin6_port = 0;
	else
		((struct sockaddr_in *)&pr->dst)->sin_port = 0;
	r = icmp_open(pr);
	if (r < 0) {
		PROBE_ERROR(pr->run,
		            r == -EPERM || r == -EACCES ? N_("no ICMP socket: {error} (needs CAP_NET_RAW or net.ipv4.ping_group_range)")
		                                        : N_("no ICMP socket: {error}"),
		            VD_TEXT("error", strerror(-r)));
		pr_end(pr, PROBE_FAIL, NULL);
		return;
	}
	if (getrandom(pr->m.cookie, sizeof(pr->m.cookie), 0) != (ssize_t)sizeof(pr->m.cookie) ||
	    getrandom(&pr->id, sizeof(pr->id), 0) != (ssize_t)sizeof(pr->id)) {
		PROBE_ERROR(pr->run, N_("getrandom: {error}"), VD_TEXT("error", strerror(errno)));
		pr_end(pr, PROBE_FAIL, NULL);
		return;
	}
	pr->m.v6 = pr->v6;
	pr->m.id = pr->id;
	pr->m.check_id = !pr->dgram; /* a ping socket's kernel sets the id and filters by it */
	pr->rd = event_new(pr->run->base, pr->fd, EV_READ | EV_PERSIST, on_read, pr);
	if (!pr->rd || event_add(pr->rd, NULL) < 0) {
		pr_end(pr, PROBE_FAIL, NULL);
		return;
	}
	event_active(pr->tick, EV_TIMEOUT, 0);
}

static void on_gateway(void *arg, struct tp_gateway *gw, int err)
{
	struct path_run *pr = arg;

	pr->gw = *gw;
	if (err < 0) {
		/* the transport probe reports an unresolvable name */
		probe_transport_gateway_error(pr->run, gw);
		pr_end(pr, PROBE_UNKNOWN, NULL);
		return;
	}
	pr->st->gw = *gw;
	pr->st->gw_at = mono_s();
	start_sending(pr);
}

/* The resolved gateway is reused for a while unless what OpenVPN talks to
 * changed: a run every few seconds must not resolve a name each time. */
static bool gateway_cached(struct path_run *pr)
{
	struct path_state *st = pr->st;
	const char *addr = pu_jstr_set(pu_jobj(probe_run_section(pr->run, VDF_TUNNEL_OPENVPN), VDF_OPENVPN_REMOTE),
	                               VDF_OVPN_REMOTE_ADDR);

	if (!st->gw_at || mono_s() - st->gw_at > PATH_GW_TTL_S)
		return false;
	if (addr && strcmp(addr, st->gw.host) != 0 && strcmp(addr, st->gw.addr) != 0)
		return false;
	pr->gw = st->gw;
	return true;
}

static int path_start(struct probe_run *run)
{
	struct path_state *st = *run->state;
	struct path_run *pr;
	int r;

	if (!st) {
		const struct vd_sampling *sm = vd_sampling_find(VDF_TUNNEL_PATH);

		if (!sm || !(st = calloc(1, sizeof(*st))))
			return -ENOMEM;
		if (vd_bank_init(&st->bank, VDF_TUNNEL_PATH, path_tests) < 0) {
			free(st);
			return -EINVAL;
		}
		vd_pacer_init(&st->pacer, sm, mono_s());
		st->next_count = sm->burst; /* undecided: a first burst */
		*run->state = st;
	}
	if (!(pr = calloc(1, sizeof(*pr))))
		return -ENOMEM;
	pr->fd = -1;
	pr->run = run;
	pr->st = st;
	pr->count = st->next_count ? st->next_count : 1;
	pr->tick = evtimer_new(run->base, on_tick, pr);
	pr->finish = event_new(run->base, -1, 0, on_finish, pr);
	if (!pr->tick || !pr->finish) {
		pr_free(pr);
		return -ENOMEM;
	}
	run->priv = pr;
	if (gateway_cached(pr)) {
		start_sending(pr);
		return 0;
	}
	r = probe_transport_gateway(run, on_gateway, pr, &pr->res);
	if (r < 0) {
		run->priv = NULL;
		pr_free(pr);
		return r;
	}
	return 0;
}

static void path_cancel(struct probe_run *run)
{
	pr_free(run->priv);
	run->priv = NULL;
}

const struct probe probe_path = {
	.name = "path",
	.section = VDF_TUNNEL_PATH,
	.config_section = "Path",
	.per_tunnel = true,
	.interval_s = 3,
	.events = PROBE_EV_NET | PROBE_EV_OPENVPN | PROBE_EV_RELOAD,
	.needs = (const char *const[]){VDF_TUNNEL_TRANSPORT, VDF_TUNNEL_PROFILE, VDF_TUNNEL_OPENVPN, VDF_TUNNEL_ROUTES, NULL},
	.start = path_start,
	.cancel = path_cancel,
	.free_state = state_free,
};
