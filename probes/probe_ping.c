/* The ping probe: ICMP echo inside the tunnel, to the tunnel's server end
 * (the openvpn section's server_ip) and to each Targets= host, as a burst of
 * PING_COUNT echoes PING_SPACING_MS apart; RTT statistics as iputils ping
 * gives them, RFC 3550 jitter, and ICMP errors counted as what they are.
 *
 * How many and how often: every echo feeds the sequential tests of its
 * host (lib/rules.c designs them, vpndoctor/sampler.h keeps them: loss and
 * excess delay over the path outside on the server end, or on the first
 * target without one; silence on every host), and the tests pace the probe
 * (vd_pacer_plan, the ping's vd_sampling): at rest one small echo (52
 * bytes of IP) to each host every Interval= (60 s by default), a burst
 * of a few 200 ms apart while a test is undecided, and one every few
 * seconds while a fault stands. The tests are the slot's state, kept per
 * host from run to run; a host no longer pinged takes its tests with it.
 *
 * Sockets: the ICMP datagram ("ping") socket first, which needs no privilege
 * where net.ipv4.ping_group_range covers our gid and where the kernel matches
 * replies to us by id; else a raw socket (CAP_NET_RAW) with an ICMP type
 * filter, so the host's other ICMP traffic is not even copied to us. Both
 * are bound to the tun link when it is known, so the echoes take the tunnel
 * even where a route would send them elsewhere. RTT is the kernel's receive
 * timestamp (SO_TIMESTAMPNS) minus the send time, as ping does, so a busy
 * loop does not inflate it.
 *
 * Cost (tests/bench/bench_ping.sh against iputils ping): the sockets are the
 * slot's state and outlive a run, because opening a raw socket and attaching
 * its id filter (a BPF program the kernel compiles) cost more than the ten
 * echoes of a burst. Since the RTT comes from the kernel's stamp, not from
 * when we read, the replies wait in the socket and are read in one call a
 * few times a burst rather than on a wake-up each (see on_tick): only the
 * last round waits on the socket, so a burst ends as soon as it is answered,
 * and a burst to one host costs 10 sends, about 12 wake-ups and 4 reads
 * (strace) where ping spends 10 sends and 20 reads. A fresh socket is
 * read at once during its first run: the kernel turns receive stamping on
 * lazily, and an unstamped reply gets the time it is read. A per-run random
 * sequence base stands in for the per-run id: a late error about an echo of
 * an earlier run does not count in this one. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <math.h>
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
#include "vpndoctor/cidr.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/icmp.h"
#include "vpndoctor/sampler.h"

#define PING_COUNT 10        /* the most echoes a run sends each host */
#define PING_SPACING_MS 200
#define PING_TIMEOUT_MS 2000 /* after the last send: a later reply is a loss */
#define PING_SIZE VD_ICMP_ECHO_MIN /* ICMP bytes: header, cookie and send time (52 of IP) */
#define PING_MAX_DESTS 17    /* the server end and 16 targets */
#define PING_RECV_BATCH 64   /* datagrams read per wake-up before yielding to the loop */
/* Echoes left unread in the socket at most: a small reply takes about 1 KiB
 * of the receive buffer's 208 KiB (rmem_default), so this stays far inside. */
#define PING_UNREAD_MAX 32
#define PING_DEV_LEN 16

struct ping_ctx;

struct ping_sock {
	struct ping_ctx *c;     /* the run reading it; NULL between runs */
	int fd;
	bool dgram;             /* an ICMP datagram socket (else raw) */
	bool v6;
	bool tstamp;            /* SO_TIMESTAMPNS is on */
	bool warm;              /* and has been through a run: stamps are sure */
	bool watched;           /* ev is added */
	struct event *ev;
	char dev[PING_DEV_LEN]; /* the link it is bound to ("" for none) */
	struct vd_icmp_match m;
};

/* One host's tests. */
struct ping_bank {
	char addr[INET6_ADDRSTRLEN];
	bool lead;              /* it carries the loss and delay tests */
	struct vd_bank bank;
};

/* The slot's state: the sockets kept from run to run, the hosts' tests and
 * their pace. */
struct ping_state {
	struct ping_sock s4, s6;
	struct ping_bank b[PING_MAX_DESTS];
	size_t nb;
	struct vd_pacer pacer;
	bool paced;             /* pacer and count are set */
	unsigned count;         /* echoes of the next run, to each host */
};

static const char *const lead_tests[] = {VDF_TESTS_LOSS_HEAVY, VDF_TESTS_LOSS_LIGHT, VDF_TESTS_EXCESS_DELAY,
                                         VDF_TESTS_SILENT, NULL};
static const char *const host_tests[] = {VDF_TESTS_SILENT, NULL};

struct ping_dest {
	char addr[INET6_ADDRSTRLEN];
	struct sockaddr_storage sa;
	socklen_t len;
	bool v6;
	bool server_end;
	unsigned sent, unreachable, ttl_exceeded;
	int64_t sent_ns[PING_COUNT]; /* CLOCK_REALTIME, as the kernel's receive stamp */
	bool done[PING_COUNT];       /* answered, by a reply or an error */
	bool got[PING_COUNT];
	double rtt_ms[PING_COUNT];
};

struct ping_ctx {
	struct probe_run *run;
	struct ping_state *st;
	unsigned count;            /* echoes to each destination this run */
	struct ping_dest d[PING_MAX_DESTS];
	size_t n;
	struct ping_sock *s4, *s6; /* the state's, NULL when not needed */
	uint16_t seq0;             /* this run's sequence base */
	uint8_t cookie[VD_ICMP_COOKIE_LEN];
	unsigned k;             /* echoes sent to each destination so far */
	unsigned resolved;      /* echoes answered or failed at send */
	unsigned unread;        /* rounds sent since the sockets were last read */
	struct event *tick, *deadline, *fin;
	char dev[PING_DEV_LEN];
	int bind_err;           /* a socket not bound to dev: errno, else 0 */
};

static void sock_close(struct ping_sock *s)
{
	if (s->ev)
		event_free(s->ev);
	if (s->fd >= 0)
		close(s->fd);
	s->ev = NULL;
	s->fd = -1;
	s->c = NULL;
	s->watched = false;
}

static void sock_watch(struct ping_sock *s, bool on)
{
	if (!s || s->watched == on)
		return;
	if (on ? event_add(s->ev, NULL) == 0 : event_del(s->ev) == 0)
		s->watched = on;
}

/* Read on arrival rather than once a round: the stamps are not sure yet. */
static bool sock_eager(const struct ping_sock *s)
{
	return !(s->tstamp && s->warm);
}

/* Ends the run's hold on a socket: it stays open for the next run. */
static void sock_release(struct ping_sock *s)
{
	if (!s)
		return;
	s->warm = s->c != NULL;
	sock_watch(s, false);
	/* a socket that could not be unwatched must not fire into a freed run */
	if (s->watched)
		sock_close(s);
	s->c = NULL;
}

static void state_free(void *p)
{
	struct ping_state *st = p;

	if (!st)
		return;
	sock_close(&st->s4);
	sock_close(&st->s6);
	free(st);
}

static void ctx_free(struct ping_ctx *c)
{
	if (!c)
		return;
	sock_release(c->s4);
	sock_release(c->s6);
	if (c->tick)
		event_free(c->tick);
	if (c->deadline)
		event_free(c->deadline);
	if (c->fin)
		event_free(c->fin);
	free(c);
}

/* ---- sockets ---- */

static void on_read(evutil_socket_t fd, short what, void *arg);

/* The ping socket when allowed, else raw; bound to dev when given. A failed
 * bind to the device is not fatal (a ping socket without CAP_NET_RAW may not
 * bind): the echo then follows the routes, which the routes probe checks.
 * A socket kept from an earlier run on the same link is bound again, since
 * the link may have been recreated under the same name. */
static int sock_open(struct ping_ctx *c, struct ping_sock *s, bool v6)
{
	int one = 1, bind_err = 0, r;
	uint16_t id;

	if (s->fd >= 0 && strcmp(s->dev, c->dev) != 0)
		sock_close(s);
	s->v6 = v6;
	if (s->fd >= 0) {
		if (*c->dev && setsockopt(s->fd, SOL_SOCKET, SO_BINDTODEVICE, c->dev, (socklen_t)strlen(c->dev) + 1) < 0) {
			if (errno == ENODEV)
				return -ENODEV;
			bind_err = errno;
		}
	} else {
		if (getrandom(&id, sizeof(id), 0) != sizeof(id))
			return -errno;
		if ((r = pu_icmp_open(v6, c->dev, &s->fd, &s->dgram, &bind_err)) < 0)
			return r;
		snprintf(s->dev, sizeof(s->dev), "%s", c->dev);
		s->warm = false;
		/* without it, replies are read at once and stamped by us */
		s->tstamp = setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) == 0;
		if ((r = pu_icmp_setup(s->fd, s->dgram, v6, id, true, &s->m)) < 0)
			return r;
		if (!(s->ev = event_new(c->run->base, s->fd, EV_READ | EV_PERSIST, on_read, s)))
			return -ENOMEM;
	}
	if (bind_err)
		c->bind_err = bind_err;
	memcpy(s->m.cookie, c->cookie, sizeof(s->m.cookie));
	s->c = c;
	return 0;
}

static void check_done(struct ping_ctx *c)
{
	if (c->k == c->count && c->resolved == c->n * c->count)
		event_active(c->fin, EV_TIMEOUT, 0);
}

/* One parsed packet: our reply or an error quoting our echo. */
static void account(struct ping_ctx *c, const struct vd_icmp_result *r, const struct sockaddr_storage *from,
                    int64_t rx_ns)
{
	uint16_t rel = (uint16_t)(r->seq - c->seq0);
	size_t di = rel % c->n;
	unsigned k = (unsigned)(rel / c->n);
	struct ping_dest *d = &c->d[di];

	if (k >= c->k || d->done[k])
		return; /* a duplicate, or not a sequence of this run */
	switch (r->kind) {
	case VD_ICMP_ECHO_REPLY:
		if (!r->cookie_checked || !pu_same_addr(&d->sa, from))
			return;
		d->got[k] = true;
		d->rtt_ms[k] = rx_ns > d->sent_ns[k] ? (double)(rx_ns - d->sent_ns[k]) / 1e6 : 0;
		break;
	case VD_ICMP_UNREACHABLE:
	case VD_ICMP_TOO_BIG:
		d->unreachable++;
		break;
	case VD_ICMP_TIME_EXCEEDED:
		d->ttl_exceeded++;
		break;
	default:
		return;
	}
	d->done[k] = true;
	c->resolved++;
}

static int64_t rx_stamp(struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		}
	}
	return pu_realtime_ns();
}

/* A ping socket's error queue: the ICMP error and our own echo as data.
 * Returns how many were read (dropped between runs). */
static int read_errqueue(struct ping_sock *s)
{
	int i;

	for (i = 0; i < PING_RECV_BATCH; i++) {
		uint8_t buf[512];
		char cbuf[256] __attribute__((aligned(__alignof__(struct cmsghdr))));
		struct sockaddr_storage from;
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
		                    .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
		ssize_t n = recvmsg(s->fd, &mh, MSG_ERRQUEUE);

		if (n < 0)
			break;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); s->c && cm; cm = CMSG_NXTHDR(&mh, cm)) {
			struct sock_extended_err ee;
			struct vd_icmp_result r;

			if (!pu_icmp_errqueue_ee(cm, &ee))
				continue;
			if (vd_icmp_parse_errqueue(&s->m, ee.ee_type, ee.ee_code, ee.ee_info, buf, (size_t)n, &r) == 0) {
				/* the error's source is the reporting router, not ours to match */
				struct sockaddr_storage none = {.ss_family = AF_UNSPEC};
				account(s->c, &r, &none, 0);
			}
		}
	}
	return i;
}

/* recvmmsg: one system call per read in the usual case (a call that
 * returns fewer than PING_MMSG messages has emptied the queue), also for the
 * whole burst to one host read at once. */
#define PING_MMSG 16

/* Reads what is queued (up to PING_RECV_BATCH datagrams) and accounts it to
 * the socket's run; between runs (s->c NULL) it is dropped. */
static void drain(struct ping_sock *s)
{
	struct ping_ctx *c = s->c;
	static uint8_t buf[PING_MMSG][2048];
	static char cbuf[PING_MMSG][256] __attribute__((aligned(__alignof__(struct cmsghdr))));
	struct sockaddr_storage from[PING_MMSG];
	struct iovec iov[PING_MMSG];
	struct mmsghdr mm[PING_MMSG];

	for (int round = 0; round < PING_RECV_BATCH / PING_MMSG; round++) {
		int n;

		for (int i = 0; i < PING_MMSG; i++) {
			iov[i] = (struct iovec){buf[i], sizeof(buf[i])};
			mm[i].msg_hdr = (struct msghdr){.msg_name = &from[i], .msg_namelen = sizeof(from[i]), .msg_iov = &iov[i],
			                                .msg_iovlen = 1, .msg_control = cbuf[i],
			                                .msg_controllen = sizeof(cbuf[i])};
			mm[i].msg_len = 0;
		}
		n = recvmmsg(s->fd, mm, PING_MMSG, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			continue; /* a pending error: read below */
		}
		for (int i = 0; c && i < n; i++) {
			struct vd_icmp_result r;

			if (mm[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue;
			if (vd_icmp_parse(&s->m, !s->dgram && !s->v6, buf[i], mm[i].msg_len, &r) < 0 ||
			    r.kind == VD_ICMP_NOT_OURS || r.kind == VD_ICMP_MALFORMED)
				continue;
			account(c, &r, &from[i], rx_stamp(&mm[i].msg_hdr));
		}
		if (n < PING_MMSG)
			break;
	}
	/* A non-blocking read does not report a ping socket's pending ICMP
	 * error (only a blocking one does, as iputils ping reads): look at
	 * the error queue each time, or its errors would stay unread, keep
	 * the socket signalled and fail the next send instead. */
	if (s->dgram)
		read_errqueue(s);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct ping_sock *s = arg;

	(void)fd;
	(void)what;
	drain(s);
	if (s->c)
		check_done(s->c);
}

/* ---- sending ---- */

static void send_echo(struct ping_ctx *c, size_t di, unsigned k)
{
	struct ping_dest *d = &c->d[di];
	struct ping_sock *s = d->v6 ? c->s6 : c->s4;
	struct vd_icmp_echo e = {.v6 = d->v6, .id = s->m.id, .seq = (uint16_t)(c->seq0 + k * c->n + di)};
	uint8_t buf[PING_SIZE];
	ssize_t r;
	int err;

	memcpy(e.cookie, c->cookie, sizeof(e.cookie));
	e.sent_ns = (uint64_t)pu_mono_ns();
	d->sent++;
	if (s->fd < 0 || vd_icmp_echo_build(&e, sizeof(buf), buf, sizeof(buf)) < 0) {
		d->done[k] = true;
		c->resolved++;
		return;
	}
	d->sent_ns[k] = pu_realtime_ns();
	r = sendto(s->fd, buf, sizeof(buf), 0, (struct sockaddr *)&d->sa, d->len);
	/* On a ping socket an ICMP error about an earlier echo, come since the
	 * last read, fails the send once (its sk_err): it is not this echo's.
	 * Read it as what it is and send again. */
	err = r < 0 ? errno : 0;
	if (err && err != EAGAIN && s->dgram && read_errqueue(s) > 0) {
		d->sent_ns[k] = pu_realtime_ns();
		r = sendto(s->fd, buf, sizeof(buf), 0, (struct sockaddr *)&d->sa, d->len);
		err = r < 0 ? errno : 0;
	}
	if (err) {
		/* the local stack's own "unreachable" (no route, neighbour failed) */
		if (err == EHOSTUNREACH || err == ENETUNREACH)
			d->unreachable++;
		d->done[k] = true;
		c->resolved++;
	}
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct ping_ctx *c = arg;

	(void)fd;
	(void)what;
	/* what a socket that could not be watched holds */
	if (c->s4 && !c->s4->watched)
		drain(c->s4);
	if (c->s6 && !c->s6->watched)
		drain(c->s6);
	event_active(c->fin, EV_TIMEOUT, 0);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ping_ctx *c = arg;

	(void)fd;
	(void)what;
	/* The earlier rounds' replies, stamped on arrival, read in one call:
	 * before the first round (what came between runs, read and dropped, as
	 * account() takes nothing before a round is sent), before the last (the
	 * wait for it then starts on an empty socket), and before a round that
	 * would leave more than PING_UNREAD_MAX echoes unread. */
	if (c->k == 0 || c->k + 1 == c->count || (c->unread + 1) * c->n > PING_UNREAD_MAX) {
		if (c->s4 && !c->s4->watched)
			drain(c->s4);
		if (c->s6 && !c->s6->watched)
			drain(c->s6);
		c->unread = 0;
	}
	/* counted as sent first: an error about this round may come back
	 * while it is being sent (see send_echo) */
	c->k++;
	c->unread++;
	for (size_t i = 0; i < c->n; i++)
		send_echo(c, i, c->k - 1);
	if (c->k < c->count) {
		struct timeval tv = {0, PING_SPACING_MS * 1000};
		evtimer_add(c->tick, &tv);
	} else {
		struct timeval tv = {PING_TIMEOUT_MS / 1000, (PING_TIMEOUT_MS % 1000) * 1000};
		evtimer_add(c->deadline, &tv);
		/* the last replies end the run as they come */
		sock_watch(c->s4, true);
		sock_watch(c->s6, true);
		check_done(c);
	}
}

/* ---- the section ---- */

static double round3(double v)
{
	return (double)(long long)(v * 1000.0 + (v >= 0 ? 0.5 : -0.5)) / 1000.0;
}

static cJSON *dest_json(const struct ping_dest *d)
{
	cJSON *o = cJSON_CreateObject();
	double rtt[PING_COUNT];
	struct vd_rtt_stats st;
	size_t n = 0;

	if (!o)
		return NULL;
	for (unsigned k = 0; k < PING_COUNT && k < d->sent; k++)
		if (d->got[k])
			rtt[n++] = d->rtt_ms[k];
	if (vd_rtt_stats_compute(rtt, n, d->sent, &st) < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	cJSON_AddStringToObject(o, VDF_ECHO_ADDR, d->addr);
	cJSON_AddNumberToObject(o, VDF_SAMPLE_SENT, st.sent);
	cJSON_AddNumberToObject(o, VDF_SAMPLE_RECEIVED, st.received);
	cJSON_AddNumberToObject(o, VDF_SAMPLE_LOSS_PCT, round3(st.loss_pct));
	/* no reply, no round trip: a rule must not read 0 ms as a measurement */
	if (st.received) {
		cJSON_AddNumberToObject(o, VDF_SAMPLE_RTT_MIN_MS, round3(st.min_ms));
		cJSON_AddNumberToObject(o, VDF_SAMPLE_RTT_AVG_MS, round3(st.avg_ms));
		cJSON_AddNumberToObject(o, VDF_SAMPLE_RTT_MAX_MS, round3(st.max_ms));
		cJSON_AddNumberToObject(o, VDF_ECHO_RTT_MDEV_MS, round3(st.mdev_ms));
		cJSON_AddNumberToObject(o, VDF_ECHO_RTT_P95_MS, round3(st.p95_ms));
		cJSON_AddNumberToObject(o, VDF_ECHO_JITTER_MS, round3(st.jitter_ms));
	}
	cJSON_AddNumberToObject(o, VDF_ECHO_UNREACHABLE, d->unreachable);
	cJSON_AddNumberToObject(o, VDF_ECHO_TTL_EXCEEDED, d->ttl_exceeded);
	return o;
}

/* The tests of this run's hosts: each keeps its own from earlier runs (the
 * lead's only while it leads), a new one starts fresh, a host no longer
 * pinged is dropped. NULL for a host whose tests could not be made. */
static void banks_match(struct ping_ctx *c, struct vd_bank *ret[PING_MAX_DESTS])
{
	struct ping_state *st = c->st;
	struct ping_bank nb[PING_MAX_DESTS];
	bool lead_taken = false;

	for (size_t i = 0; i < c->n; i++) {
		bool lead = !lead_taken && (c->d[i].server_end || i == 0);
		size_t k;

		lead_taken |= lead;
		for (k = 0; k < st->nb; k++)
			if (st->b[k].lead == lead && strcmp(st->b[k].addr, c->d[i].addr) == 0)
				break;
		if (k < st->nb) {
			nb[i] = st->b[k];
		} else {
			snprintf(nb[i].addr, sizeof(nb[i].addr), "%s", c->d[i].addr);
			nb[i].lead = lead;
			if (vd_bank_init(&nb[i].bank, VDF_TUNNEL_PING, lead ? lead_tests : host_tests) < 0)
				nb[i].addr[0] = '\0';
		}
	}
	memcpy(st->b, nb, c->n * sizeof(nb[0]));
	st->nb = c->n;
	for (size_t i = 0; i < c->n; i++)
		ret[i] = st->b[i].addr[0] ? &st->b[i].bank : NULL;
}

/* The path outside's shortest round trip: what the tunnel's excess is
 * measured against (NaN without one). */
static double path_baseline(const struct probe_run *run)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(probe_run_section(run, VDF_TUNNEL_PATH),
	                                                  VDF_SAMPLE_RTT_MIN_MS);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Feeds each host's echoes, in the order they were sent, to its tests, and
 * plans the next run. */
static void feed_tests(struct ping_ctx *c, struct vd_bank *banks[PING_MAX_DESTS])
{
	const struct vd_sampling *smp = vd_sampling_find(VDF_TUNNEL_PING);
	enum vd_sprt_pace pace = VD_SPRT_SLOW;
	double base = path_baseline(c->run), delay, now = pu_mono_ms() / 1e3;
	enum vd_sprt_pace h1 = VD_SPRT_SLOW;
	unsigned count, n_h1 = 0;

	banks_match(c, banks);
	for (size_t i = 0; i < c->n; i++) {
		const struct ping_dest *d = &c->d[i];
		enum vd_sprt_pace p, q;

		if (!banks[i])
			continue;
		for (unsigned k = 0; k < d->sent && k < PING_COUNT; k++)
			vd_bank_echo(banks[i], d->got[k], d->got[k] ? d->rtt_ms[k] : NAN, base);
		p = vd_bank_pace(banks[i]);
		q = vd_bank_pace_h1(banks[i]);
		if (p > pace)
			pace = p;
		if (q > h1)
			h1 = q;
		n_h1 += vd_bank_n_h1(banks[i]);
	}
	if (!smp)
		return;
	if (!c->st->paced) {
		vd_pacer_init(&c->st->pacer, smp, now);
		c->st->paced = true;
	}
	vd_pacer_plan(&c->st->pacer, pace, h1, n_h1, c->run->interval_s, now, &count, &delay);
	c->st->count = count;
	c->run->next_s = delay;
}

static void on_fin(evutil_socket_t fd, short what, void *arg)
{
	struct ping_ctx *c = arg;
	struct probe_run *run = c->run;
	cJSON *sec = cJSON_CreateObject(), *targets = NULL, *o;
	struct vd_bank *banks[PING_MAX_DESTS];
	bool ok = sec != NULL;

	(void)fd;
	(void)what;
	feed_tests(c, banks);
	if (sec)
		targets = cJSON_AddArrayToObject(sec, VDF_PING_TARGETS);
	for (size_t i = 0; ok && i < c->n; i++) {
		cJSON *tests;

		if (!(o = dest_json(&c->d[i]))) {
			ok = false;
			break;
		}
		if (banks[i] && (tests = vd_bank_json(banks[i])))
			cJSON_AddItemToObject(o, VDF_SAMPLE_TESTS, tests);
		if (c->d[i].server_end)
			cJSON_AddItemToObject(sec, VDF_PING_SERVER_END, o);
		else if (targets)
			cJSON_AddItemToArray(targets, o);
	}
	if (c->bind_err)
		PROBE_ERROR(run, N_("not bound to {device}: {error}"), VD_TEXT("device", c->dev),
		            VD_TEXT("error", strerror(c->bind_err)));
	ctx_free(c);
	run->priv = NULL;
	if (!ok) {
		cJSON_Delete(sec);
		PROBE_ERROR(run, N_("out of memory"));
		probe_run_done(run, PROBE_FAIL, NULL);
		return;
	}
	probe_run_done(run, PROBE_OK, sec);
}

/* ---- start ---- */

static void add_dest(struct ping_ctx *c, const char *text, bool server_end)
{
	struct vd_prefix p;
	struct ping_dest *d;

	if (c->n == PING_MAX_DESTS || vd_prefix_parse(text, false, &p) < 0 || p.len != (p.family == AF_INET ? 32u : 128u))
		return;
	d = &c->d[c->n];
	memset(d, 0, sizeof(*d));
	d->v6 = p.family == AF_INET6;
	pu_sockaddr_from_prefix(&p, &d->sa, &d->len);
	for (size_t i = 0; i < c->n; i++)
		if (pu_same_addr(&c->d[i].sa, &d->sa))
			return; /* the server end listed as a target too: once */
	inet_ntop(p.family, p.addr, d->addr, sizeof(d->addr));
	d->server_end = server_end;
	c->n++;
}

static int ping_start(struct probe_run *run)
{
	const struct probe_tunnel *t = run->tunnel;
	const cJSON *ovpn = probe_run_section(run, VDF_TUNNEL_OPENVPN), *routes = probe_run_section(run, VDF_TUNNEL_ROUTES);
	const char *server = NULL, *dev = NULL, *state;
	struct ping_state *st;
	struct ping_ctx *c;
	bool need4 = false, need6 = false;
	int r;

	if (!t)
		return -EINVAL;
	if (!(st = *run->state)) {
		if (!(st = calloc(1, sizeof(*st))))
			return -ENOMEM;
		st->s4.fd = st->s6.fd = -1;
		*run->state = st;
	}
	/* a restart (a resume, a new network, a login page let go): what the
	 * tests weighed was of the old path and the old session */
	if (run->anew)
		for (size_t i = 0; i < PING_MAX_DESTS; i++)
			if (st->b[i].addr[0])
				vd_bank_restart(&st->b[i].bank);
	if (!st->paced) {
		const struct vd_sampling *smp = vd_sampling_find(VDF_TUNNEL_PING);
		/* fresh tests are undecided: a first burst decides them */
		st->count = smp ? smp->burst : PING_COUNT;
	}
	if ((state = pu_tunnel_down(ovpn))) {
		/* no echoes for a while: the sockets need not wait for them */
		sock_close(&st->s4);
		sock_close(&st->s6);
		pu_error_tunnel_down(run, state);
		probe_run_done(run, PROBE_UNKNOWN, NULL);
		return 0;
	}
	if (pu_section_ok(ovpn))
		server = pu_server_end(ovpn, t);
	dev = pu_tun_dev(ovpn, routes);

	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	c->run = run;
	c->st = st;
	c->count = st->count < 1 ? 1 : st->count > PING_COUNT ? PING_COUNT : st->count;
	if (dev)
		snprintf(c->dev, sizeof(c->dev), "%s", dev);
	if (server)
		add_dest(c, server, true);
	for (size_t i = 0; i < t->targets.n; i++)
		add_dest(c, t->targets.v[i], false);
	if (c->n == 0) {
		ctx_free(c);
		sock_close(&st->s4);
		sock_close(&st->s6);
		PROBE_ERROR(run, N_("nothing to ping: no server end known and no Targets="));
		probe_run_done(run, PROBE_UNKNOWN, NULL);
		return 0;
	}
	{
		uint8_t rnd[sizeof(c->cookie) + sizeof(c->seq0)];

		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
			r = errno ? -errno : -EIO;
			ctx_free(c);
			return r;
		}
		memcpy(c->cookie, rnd, sizeof(c->cookie));
		memcpy(&c->seq0, rnd + sizeof(c->cookie), sizeof(c->seq0));
	}
	for (size_t i = 0; i < c->n; i++) {
		need6 |= c->d[i].v6;
		need4 |= !c->d[i].v6;
	}
	/* a family not needed now is not held open */
	if (!need4)
		sock_close(&st->s4);
	if (!need6)
		sock_close(&st->s6);
	run->priv = c;
	r = 0;
	if (need4 && (r = sock_open(c, &st->s4, false)) < 0)
		sock_close(&st->s4);
	else if (need4)
		c->s4 = &st->s4;
	if (r == 0 && need6 && (r = sock_open(c, &st->s6, true)) < 0)
		sock_close(&st->s6);
	else if (r == 0 && need6)
		c->s6 = &st->s6;
	if (r < 0) {
		PROBE_ERROR(run, *c->dev ? N_("ICMP socket on {device}: {error}") : N_("ICMP socket: {error}"),
		            VD_TEXT("device", c->dev), VD_TEXT("error", strerror(-r)));
		ctx_free(c);
		run->priv = NULL;
		probe_run_done(run, r == -ENODEV ? PROBE_UNKNOWN : PROBE_FAIL, NULL);
		return 0;
	}
	c->tick = evtimer_new(run->base, on_tick, c);
	c->deadline = evtimer_new(run->base, on_deadline, c);
	c->fin = event_new(run->base, -1, 0, on_fin, c);
	if (!c->tick || !c->deadline || !c->fin) {
		ctx_free(c);
		run->priv = NULL;
		return -ENOMEM;
	}
	/* a fresh socket's first replies may come unstamped: read them at once */
	if (c->s4 && sock_eager(c->s4))
		sock_watch(c->s4, true);
	if (c->s6 && sock_eager(c->s6))
		sock_watch(c->s6, true);
	if ((c->s4 && sock_eager(c->s4) && !c->s4->watched) || (c->s6 && sock_eager(c->s6) && !c->s6->watched)) {
		ctx_free(c);
		run->priv = NULL;
		return -ENOMEM;
	}
	on_tick(-1, EV_TIMEOUT, c);
	return 0;
}

static void ping_cancel(struct probe_run *run)
{
	ctx_free(run->priv);
	run->priv = NULL;
}

const struct probe probe_ping = {
	.name = "ping",
	.section = VDF_TUNNEL_PING,
	.config_section = "Ping",
	.per_tunnel = true,
	.interval_s = 60,
	.events = PROBE_EV_OPENVPN,
	.needs = (const char *const[]){VDF_TUNNEL_OPENVPN, VDF_TUNNEL_ROUTES, VDF_TUNNEL_PATH, NULL},
	.start = ping_start,
	.cancel = ping_cancel,
	.free_state = state_free,
};
