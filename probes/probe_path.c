/* The path probe: loss, round trip and jitter to the gateway's public address
 * over the physical link, outside the tunnel (lib/icmp.c builds and matches
 * the echoes, and computes the figures as iputils ping does).
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
 * are ours by id (raw), sequence and a per-run 16-byte cookie.
 *
 * Why these numbers: 10 echoes of 64 bytes, 200 ms apart (ping -i 0.2, the
 * fastest interval iputils allows an unprivileged user), then 1.5 s for the
 * last replies: 2 s per run and about 1.3 kB both ways, every 120 s by
 * default: about 1 MB a day, polite on a metered link, and 10 samples are
 * enough to see the 2% and more of loss the rules look at within a few runs.
 * The framework has no per-probe keys besides Interval= and Enabled=, so the
 * count and spacing are fixed here.
 *
 * Where ICMP gets no answer at all (filtered on the way or at the gateway),
 * the probe measures with OpenVPN hard resets instead (method "handshake"):
 * 5 of them, 200 ms apart, over the protocol the transport probe saw
 * answered (the tunnel's own when both did); 5 is the rules' minimum sample. */
#include <errno.h>
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
#include "probe_util.h"
#include "probe_transport.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/icmp.h"

#define PATH_ECHOES 10
#define PATH_SPACING_MS 200
#define PATH_WAIT_MS 1500
#define PATH_ECHO_SIZE 64 /* ICMP bytes, as ping's default 56 + 8 */
#define PATH_HS_N 5
#define PATH_HS_WAIT_MS 1000

struct path_run {
	struct probe_run *run;
	struct tp_resolve *res;
	struct tp_gateway gw;
	struct sockaddr_storage dst;
	int fd;
	bool dgram, v6;
	struct event *rd, *tick, *finish;
	struct vd_icmp_match m;
	uint16_t id;
	unsigned sent, received, unreachable, ttl_exceeded, send_errors;
	char send_error[96];
	double sent_ms[PATH_ECHOES];
	double sent_rt[PATH_ECHOES]; /* CLOCK_REALTIME, against the kernel's receive stamp */
	double rtt[PATH_ECHOES];
	bool got[PATH_ECHOES];
	/* the handshake fallback */
	bool hs_phase, hs_tcp;
	struct tp_hs *hs;
	unsigned hs_sent, hs_got;
	double hs_rtt[PATH_HS_N];
	double hs_t;
};

static double r3(double v)
{
	return (double)(long long)(v * 1000 + 0.5) / 1000;
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

static void add_stats(cJSON *sec, const double *rtt, size_t n, unsigned sent)
{
	struct vd_rtt_stats s;
	double sorted[PATH_ECHOES];

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
	cJSON_AddNumberToObject(sec, VDF_ECHO_RTT_MDEV_MS, r3(s.mdev_ms));
	cJSON_AddNumberToObject(sec, VDF_ECHO_RTT_P95_MS, r3(s.p95_ms));
	cJSON_AddNumberToObject(sec, VDF_ECHO_JITTER_MS, r3(s.jitter_ms));
}

static void on_finish(evutil_socket_t fd, short what, void *arg)
{
	struct path_run *pr = arg;
	cJSON *sec = cJSON_CreateObject();
	double rtt[PATH_ECHOES];
	size_t n = 0;
	char *text;

	if (!sec) {
		pr_end(pr, PROBE_FAIL, NULL);
		return;
	}
	cJSON_AddStringToObject(sec, VDF_ECHO_ADDR, pr->gw.addr);
	if (pr->hs_got > 0) {
		cJSON_AddStringToObject(sec, VDF_PATH_METHOD, "handshake");
		cJSON_AddStringToObject(sec, VDF_PATH_HANDSHAKE_PROTO, pr->hs_tcp ? "tcp" : "udp");
		add_stats(sec, pr->hs_rtt, pr->hs_got, pr->hs_sent);
		cJSON_AddNumberToObject(sec, VDF_PATH_ICMP_SENT, pr->sent);
		cJSON_AddNumberToObject(sec, VDF_PATH_ICMP_RECEIVED, 0);
	} else {
		for (unsigned i = 0; i < pr->sent; i++)
			if (pr->got[i])
				rtt[n++] = pr->rtt[i];
		cJSON_AddStringToObject(sec, VDF_PATH_METHOD, "icmp");
		add_stats(sec, rtt, n, pr->sent);
		if (pr->hs_sent)
			cJSON_AddNumberToObject(sec, VDF_PATH_HANDSHAKE_SENT, pr->hs_sent);
	}
	cJSON_AddStringToObject(sec, VDF_PATH_SOCKET, pr->dgram ? "dgram" : "raw");
	cJSON_AddNumberToObject(sec, VDF_ECHO_UNREACHABLE, pr->unreachable);
	cJSON_AddNumberToObject(sec, VDF_ECHO_TTL_EXCEEDED, pr->ttl_exceeded);
	if (pr->send_errors) {
		cJSON_AddNumberToObject(sec, VDF_PATH_SEND_ERRORS, pr->send_errors);
		cJSON_AddStringToObject(sec, VDF_PATH_SEND_ERROR, pr->send_error);
	}
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

	if (strcmp(res->result, "answered") == 0)
		pr->hs_rtt[pr->hs_got++] = res->rtt_ms;
	if (pr->hs_sent >= PATH_HS_N) {
		event_active(pr->finish, EV_TIMEOUT, 0);
		return;
	}
	pu_ms_tv(pr->hs_t + PATH_SPACING_MS - pu_mono_ms(), &tv);
	evtimer_add(pr->tick, &tv);
}

static void hs_next(struct path_run *pr)
{
	struct tp_hs *old = pr->hs;

	pr->hs = NULL;
	probe_transport_hs_free(old);
	pr->hs_t = pu_mono_ms();
	pr->hs_sent++;
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

static void icmp_done(struct path_run *pr)
{
	sock_close(pr);
	evtimer_del(pr->tick);
	if (pr->received == 0 && hs_choose(pr)) {
		pr->hs_phase = true;
		hs_next(pr);
		return;
	}
	event_active(pr->finish, EV_TIMEOUT, 0);
}

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
	if (pr->sent == PATH_ECHOES && pr->received == PATH_ECHOES)
		icmp_done(pr); /* all in: no need to wait */
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

	if (pr->hs_phase) {
		hs_next(pr);
		return;
	}
	if (pr->sent == PATH_ECHOES) {
		icmp_done(pr);
		return;
	}
	send_echo(pr);
	pu_ms_tv(pr->sent < PATH_ECHOES ? PATH_SPACING_MS : PATH_WAIT_MS, &tv);
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

static void on_gateway(void *arg, struct tp_gateway *gw, int err)
{
	struct path_run *pr = arg;
	int r;

	pr->gw = *gw;
	if (err < 0) {
		/* the transport probe reports an unresolvable name */
		probe_run_error(pr->run, "%s", gw->error);
		pr_end(pr, PROBE_UNKNOWN, NULL);
		return;
	}
	pr->v6 = gw->ss.ss_family == AF_INET6;
	memcpy(&pr->dst, &gw->ss, sizeof(pr->dst));
	if (pr->v6)
		((struct sockaddr_in6 *)&pr->dst)->sin6_port = 0;
	else
		((struct sockaddr_in *)&pr->dst)->sin_port = 0;
	r = icmp_open(pr);
	if (r < 0) {
		probe_run_error(pr->run, "no ICMP socket: %s%s", strerror(-r),
				r == -EPERM || r == -EACCES ? " (needs CAP_NET_RAW or net.ipv4.ping_group_range)" : "");
		pr_end(pr, PROBE_FAIL, NULL);
		return;
	}
	if (getrandom(pr->m.cookie, sizeof(pr->m.cookie), 0) != (ssize_t)sizeof(pr->m.cookie) ||
	    getrandom(&pr->id, sizeof(pr->id), 0) != (ssize_t)sizeof(pr->id)) {
		probe_run_error(pr->run, "getrandom: %s", strerror(errno));
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

static int path_start(struct probe_run *run)
{
	struct path_run *pr = calloc(1, sizeof(*pr));
	int r;

	if (!pr)
		return -ENOMEM;
	pr->fd = -1;
	pr->run = run;
	pr->tick = evtimer_new(run->base, on_tick, pr);
	pr->finish = event_new(run->base, -1, 0, on_finish, pr);
	if (!pr->tick || !pr->finish) {
		pr_free(pr);
		return -ENOMEM;
	}
	run->priv = pr;
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
	.interval_s = 120,
	.events = PROBE_EV_NET | PROBE_EV_OPENVPN | PROBE_EV_RELOAD,
	.needs = (const char *const[]){VDF_TUNNEL_TRANSPORT, NULL},
	.start = path_start,
	.cancel = path_cancel,
	.free_state = NULL,
};
