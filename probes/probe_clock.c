/* The clock probe: an SNTP client on the loop (lib/sntp.c does the packets)
 * and the kernel's own view (adjtimex). Servers of [Clock] NTPServers= are
 * asked in order; the first that answers validly gives the offset, from the
 * least-delay sample of its burst. A server that never answers leaves the
 * section "unknown": no answer is never reported as skew.
 *
 * Why these numbers:
 * - 4 samples: as ntpdate and chrony's iburst; the least delay of 4 cuts a
 *   Wi-Fi or bufferbloat queueing error down to the best round trip.
 * - 2 s apart: ntpd's default guard time ("discard minimum") is 2 s, and
 *   public servers with "restrict limited kod" drop or RATE-kiss packets that
 *   come closer; chrony's iburst uses the same spacing.
 * - every 1800 s: the FAQ's failure is at 600 s and the warning at 60 s; a
 *   free-running laptop clock (< 100 ppm) needs a week to drift 60 s, so what
 *   matters is steps (resume, a wrong RTC, `date -s`), and those are caught
 *   at once through a timerfd cancelled on clock set. 4 packets per half
 *   hour is well within what any public pool asks of a client. */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "probe.h"
#include "probe_util.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/sntp.h"

#define CLOCK_SAMPLES 4
#define CLOCK_SPACING_MS 2000
#define CLOCK_WAIT_MS 2000          /* after the last request: a reply later than 2 s is no use */
#define CLOCK_MAX_ADDRS 4           /* of one name; more is a pool we need not walk */
#define CLOCK_MAX_SERVERS 16
#define CLOCK_RATE_BACKOFF_S 3600   /* a RATE kiss: skip the server for 1 h, doubling */
#define CLOCK_RATE_BACKOFF_MAX_S 86400
#define CLOCK_RETRY_S 300           /* no server answered: try again sooner than the interval */

struct srv_memo {
	char *name;
	bool denied;        /* DENY/RSTR: never again (until a reload makes new state) */
	double not_before;  /* monotonic: RATE backoff */
	double backoff_s;
};

struct clock_state {
	struct probe_slot *slot;
	struct event_base *base;
	struct evdns_base *dns;  /* kept across runs; freed through pu_resolver_free() */
	struct srv_memo memo[CLOCK_MAX_SERVERS];
	size_t n_memo;
	int tfd;                 /* fires when the realtime clock is set */
	struct event *tfd_ev;
	struct event *retry;
};

struct clock_run {
	struct probe_run *run;
	struct clock_state *st;
	struct event_base *base;
	struct evdns_getaddrinfo_request *req;
	struct event *step;      /* moves the state machine from the loop, never from a callback of libevent's */
	struct event *tick;
	struct event *rd;
	int fd;
	cJSON *tried;

	size_t si;               /* server index in the config list */
	bool started;
	bool resolving;
	struct sockaddr_storage addr[CLOCK_MAX_ADDRS];
	socklen_t alen[CLOCK_MAX_ADDRS];
	size_t n_addr, ai;
	char result[96];         /* this server's outcome when no address answered */

	/* the burst to one address */
	unsigned sent, answered, bogus;
	bool stop_server;        /* DENY, RSTR, RATE: no more to this server */
	bool refused;
	vd_ntp_ts cookie[CLOCK_SAMPLES];
	vd_ntp_ts t1[CLOCK_SAMPLES];
	struct vd_sntp_sample s[CLOCK_SAMPLES];
	unsigned stratum;
	char last_bogus[32];
};

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void ms_tv(unsigned ms, struct timeval *tv)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (suseconds_t)(ms % 1000) * 1000;
}

static const struct probe_list *servers(const struct clock_run *cr)
{
	const struct probe_settings *c = cr->run->settings;
	return c ? &c->ntp_servers : NULL;
}

static const char *server_name(const struct clock_run *cr)
{
	return servers(cr)->v[cr->si];
}

static struct srv_memo *memo_get(struct clock_state *st, const char *name)
{
	for (size_t i = 0; i < st->n_memo; i++)
		if (strcmp(st->memo[i].name, name) == 0)
			return &st->memo[i];
	if (st->n_memo == CLOCK_MAX_SERVERS)
		return NULL;
	st->memo[st->n_memo].name = strdup(name);
	if (!st->memo[st->n_memo].name)
		return NULL;
	return &st->memo[st->n_memo++];
}

/* ---- persistent state: the resolver, KoD memory, the clock-set watch ----- */

static void clock_free_state(void *p)
{
	struct clock_state *st = p;

	if (!st)
		return;
	pu_resolver_free(st->base, st->dns);
	if (st->tfd_ev)
		event_free(st->tfd_ev);
	if (st->retry)
		event_free(st->retry);
	if (st->tfd >= 0)
		close(st->tfd);
	for (size_t i = 0; i < st->n_memo; i++)
		free(st->memo[i].name);
	free(st);
}

/* An absolute realtime timer far away, cancelled by the kernel whenever the
 * clock is set: read() then fails with ECANCELED and we measure again. */
static int tfd_arm(int fd)
{
	struct itimerspec its = {.it_value = {.tv_sec = (time_t)1 << 40}};

	return timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL) < 0 ? -errno : 0;
}

static void on_clock_set(evutil_socket_t fd, short what, void *arg)
{
	struct clock_state *st = arg;
	uint64_t n;

	if (read(st->tfd, &n, sizeof(n)) < 0 && errno == ECANCELED) {
		tfd_arm(st->tfd);
		probe_slot_trigger(st->slot);
	}
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct clock_state *st = arg;

	probe_slot_trigger(st->slot);
}

static struct clock_state *state_get(struct probe_run *run)
{
	struct clock_state *st = *run->state;

	if (st)
		return st;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->slot = run->slot;
	st->base = run->base;
	st->retry = evtimer_new(run->base, on_retry, st);
	st->tfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	/* Without the watch the timer still runs the probe: not fatal. */
	if (st->tfd >= 0 && tfd_arm(st->tfd) == 0) {
		st->tfd_ev = event_new(run->base, st->tfd, EV_READ | EV_PERSIST, on_clock_set, st);
		if (st->tfd_ev)
			event_add(st->tfd_ev, NULL);
	}
	if (!st->retry) {
		clock_free_state(st);
		return NULL;
	}
	*run->state = st;
	return st;
}

/* ---- one run --------------------------------------------------------------- */

static void run_free(struct clock_run *cr)
{
	if (!cr)
		return;
	if (cr->req) {
		struct evdns_getaddrinfo_request *req = cr->req;
		cr->req = NULL;
		/* on_resolved() is called later, from the loop, with
		 * EVUTIL_EAI_CANCEL; it must not touch cr then. */
		evdns_getaddrinfo_cancel(req);
	}
	if (cr->step)
		event_free(cr->step);
	if (cr->tick)
		event_free(cr->tick);
	if (cr->rd)
		event_free(cr->rd);
	if (cr->fd >= 0)
		close(cr->fd);
	cJSON_Delete(cr->tried);
	free(cr);
}

static void kick(struct clock_run *cr)
{
	event_active(cr->step, EV_TIMEOUT, 0);
}

static void addr_str(const struct sockaddr_storage *ss, socklen_t len, char *buf, size_t n)
{
	if (getnameinfo((const struct sockaddr *)ss, len, buf, (socklen_t)n, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(buf, n, "?");
}

static void note(struct clock_run *cr, const char *addr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void note(struct clock_run *cr, const char *addr, const char *fmt, ...)
{
	cJSON *o = cJSON_CreateObject();
	char buf[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!o || !cJSON_AddStringToObject(o, VDF_CLOCK_TRY_SERVER, server_name(cr)) ||
	    (addr && !cJSON_AddStringToObject(o, VDF_CLOCK_TRY_ADDRESS, addr)) ||
	    !cJSON_AddStringToObject(o, VDF_CLOCK_TRY_RESULT, buf) ||
	    !cJSON_AddItemToArray(cr->tried, o))
		cJSON_Delete(o);
}

/* The kernel's discipline state; read-only (modes 0) needs no privilege. */
static void add_kernel(cJSON *sec)
{
	struct timex tx = {.modes = 0};
	int r = ntp_adjtime(&tx);

	if (r < 0)
		return; /* seccomp (ProtectClock=) forbids it: leave the fields out */
	cJSON_AddBoolToObject(sec, VDF_CLOCK_KERNEL_UNSYNCED, r == TIME_ERROR || (tx.status & STA_UNSYNC));
	cJSON_AddNumberToObject(sec, VDF_CLOCK_MAXERROR_US, (double)tx.maxerror);
}

static void finish(struct clock_run *cr, size_t best)
{
	struct probe_run *run = cr->run;
	struct clock_state *st = cr->st;
	cJSON *sec = cJSON_CreateObject();
	bool ok = best < CLOCK_SAMPLES;
	char addr[INET6_ADDRSTRLEN + 16];

	if (sec) {
		cJSON_AddStringToObject(sec, VDF_SECTION_STATUS, ok ? "ok" : "unknown");
		cJSON_AddNumberToObject(sec, VDF_SECTION_AT, (double)time(NULL));
		if (ok) {
			addr_str(&cr->addr[cr->ai], cr->alen[cr->ai], addr, sizeof(addr));
			cJSON_AddStringToObject(sec, VDF_CLOCK_SERVER, server_name(cr));
			cJSON_AddStringToObject(sec, VDF_CLOCK_ADDRESS, addr);
			cJSON_AddNumberToObject(sec, VDF_CLOCK_STRATUM, cr->stratum);
			cJSON_AddNumberToObject(sec, VDF_CLOCK_OFFSET_S, cr->s[best].offset_s);
			cJSON_AddNumberToObject(sec, VDF_CLOCK_DELAY_S, cr->s[best].delay_s);
			cJSON_AddNumberToObject(sec, VDF_CLOCK_SAMPLES, cr->answered);
		}
		add_kernel(sec);
		cJSON_AddItemToObject(sec, VDF_CLOCK_SERVERS, cr->tried);
		cr->tried = NULL;
	}
	if (!ok) {
		PROBE_ERROR(run, servers(cr) && servers(cr)->n ? N_("no NTP server answered")
		                 : N_("no NTPServers= configured"));
		if (st) {
			struct timeval tv = {CLOCK_RETRY_S, 0};
			evtimer_add(st->retry, &tv);
		}
	} else if (st) {
		evtimer_del(st->retry);
	}
	run->priv = NULL;
	run_free(cr);
	probe_run_done(run, ok ? PROBE_OK : PROBE_UNKNOWN, sec);
}

static int send_sample(struct clock_run *cr)
{
	uint8_t pkt[VD_NTP_PACKET_LEN];
	unsigned i = cr->sent;
	struct timespec ts;
	vd_ntp_ts c = 0;

	while (c == 0)
		if (getrandom(&c, sizeof(c), 0) != sizeof(c))
			return -EIO;
	cr->cookie[i] = c;
	vd_sntp_request(pkt, c);
	clock_gettime(CLOCK_REALTIME, &ts);
	cr->t1[i] = vd_ntp_from_timespec(&ts);
	if (send(cr->fd, pkt, sizeof(pkt), 0) < 0)
		return -errno;
	cr->sent++;
	return 0;
}

static void addr_end(struct clock_run *cr);

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct clock_run *cr = arg;
	struct timeval tv;
	int r;

	if (cr->sent >= CLOCK_SAMPLES || cr->stop_server) {
		addr_end(cr);
		return;
	}
	r = send_sample(cr);
	if (r < 0) {
		cr->refused = r == -ECONNREFUSED;
		if (!cr->refused)
			snprintf(cr->result, sizeof(cr->result), "send: %s", strerror(-r));
		addr_end(cr);
		return;
	}
	ms_tv(cr->sent < CLOCK_SAMPLES ? CLOCK_SPACING_MS : CLOCK_WAIT_MS, &tv);
	evtimer_add(cr->tick, &tv);
}

static void on_reply(struct clock_run *cr, const uint8_t *buf, size_t len, const struct timespec *t4)
{
	struct vd_sntp_reply r;
	enum vd_sntp_verdict v = VD_SNTP_BAD_ORIGIN;
	unsigned i;

	for (i = 0; i < cr->sent; i++) {
		v = vd_sntp_check(buf, len, cr->cookie[i], &r);
		if (v != VD_SNTP_BAD_ORIGIN)
			break;
	}
	if (v == VD_SNTP_OK) {
		if (cr->s[i].valid)
			return; /* a duplicate */
		vd_sntp_sample(cr->t1[i], r.receive, r.transmit, vd_ntp_from_timespec(t4), &cr->s[i]);
		if (cr->s[i].valid) {
			cr->answered++;
			cr->stratum = r.stratum;
		} else {
			cr->bogus++;
			snprintf(cr->last_bogus, sizeof(cr->last_bogus), "negative delay");
		}
		return;
	}
	if (v == VD_SNTP_KOD) {
		struct srv_memo *m = cr->st ? memo_get(cr->st, server_name(cr)) : NULL;

		switch (vd_sntp_kod_action(r.kiss)) {
		case VD_SNTP_KOD_STOP:
			if (m)
				m->denied = true;
			cr->stop_server = true;
			snprintf(cr->result, sizeof(cr->result), "kiss-o'-death %s: not asked again", r.kiss);
			return;
		case VD_SNTP_KOD_SLOW:
			if (m) {
				m->backoff_s = m->backoff_s ? m->backoff_s * 2 : CLOCK_RATE_BACKOFF_S;
				if (m->backoff_s > CLOCK_RATE_BACKOFF_MAX_S)
					m->backoff_s = CLOCK_RATE_BACKOFF_MAX_S;
				m->not_before = mono_s() + m->backoff_s;
			}
			cr->stop_server = true;
			snprintf(cr->result, sizeof(cr->result), "kiss-o'-death RATE: backing off %.0f s",
			         m ? m->backoff_s : (double)CLOCK_RATE_BACKOFF_S);
			return;
		case VD_SNTP_KOD_IGNORE:
			break;
		}
		cr->bogus++;
		snprintf(cr->last_bogus, sizeof(cr->last_bogus), "kiss-o'-death %s", r.kiss);
		return;
	}
	cr->bogus++;
	snprintf(cr->last_bogus, sizeof(cr->last_bogus), "%s", vd_sntp_verdict_name(v));
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct clock_run *cr = arg;

	for (;;) {
		uint8_t buf[512];
		union {
			char b[CMSG_SPACE(sizeof(struct timespec))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b)};
		struct timespec t4;
		bool have_t4 = false;
		ssize_t n = recvmsg(cr->fd, &mh, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			/* ECONNREFUSED: an ICMP port unreachable for our connected socket */
			cr->refused = errno == ECONNREFUSED;
			if (!cr->refused)
				snprintf(cr->result, sizeof(cr->result), "receive: %s", strerror(errno));
			addr_end(cr);
			return;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
			    c->cmsg_len >= CMSG_LEN(sizeof(t4))) {
				memcpy(&t4, CMSG_DATA(c), sizeof(t4));
				have_t4 = true;
			}
		if (!have_t4)
			clock_gettime(CLOCK_REALTIME, &t4);
		on_reply(cr, buf, (size_t)n, &t4);
		if (cr->stop_server || (cr->sent == CLOCK_SAMPLES && cr->answered == CLOCK_SAMPLES)) {
			addr_end(cr);
			return;
		}
	}
}

/* Opens a socket to the current address and sends the first request. */
static int addr_start(struct clock_run *cr)
{
	const struct sockaddr *sa = (const struct sockaddr *)&cr->addr[cr->ai];
	int one = 1, r;

	cr->sent = cr->answered = cr->bogus = 0;
	cr->refused = false;
	cr->last_bogus[0] = '\0';
	memset(cr->s, 0, sizeof(cr->s));
	cr->fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (cr->fd < 0)
		return -errno;
	/* The kernel's receive time is T4 without our scheduling delay in it. */
	(void)setsockopt(cr->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	/* connect(): only this peer's datagrams arrive, and ICMP errors show. */
	if (connect(cr->fd, sa, cr->alen[cr->ai]) < 0)
		return -errno;
	cr->rd = event_new(cr->base, cr->fd, EV_READ | EV_PERSIST, on_read, cr);
	if (!cr->rd || event_add(cr->rd, NULL) < 0)
		return -ENOMEM;
	r = send_sample(cr);
	if (r < 0)
		return r;
	struct timeval tv;
	ms_tv(CLOCK_SAMPLES > 1 ? CLOCK_SPACING_MS : CLOCK_WAIT_MS, &tv);
	evtimer_add(cr->tick, &tv);
	return 0;
}

static void addr_close(struct clock_run *cr)
{
	evtimer_del(cr->tick);
	if (cr->rd) {
		event_free(cr->rd);
		cr->rd = NULL;
	}
	if (cr->fd >= 0) {
		close(cr->fd);
		cr->fd = -1;
	}
}

/* The burst to one address is over: use it, or go on. */
static void addr_end(struct clock_run *cr)
{
	size_t best = vd_sntp_best(cr->s, CLOCK_SAMPLES);
	char addr[INET6_ADDRSTRLEN + 16];

	addr_close(cr);
	addr_str(&cr->addr[cr->ai], cr->alen[cr->ai], addr, sizeof(addr));
	if (best < CLOCK_SAMPLES) {
		struct srv_memo *m = cr->st ? memo_get(cr->st, server_name(cr)) : NULL;
		if (m && !cr->stop_server)
			m->backoff_s = 0; /* a clean answer ends a RATE backoff */
		note(cr, addr, "ok: %u of %u answered", cr->answered, cr->sent);
		finish(cr, best);
		return;
	}
	if (cr->refused)
		note(cr, addr, "refused (ICMP port unreachable)");
	else if (cr->result[0])
		note(cr, addr, "%s", cr->result);
	else if (cr->bogus)
		note(cr, addr, "no valid reply (%u bogus, last: %s)", cr->bogus, cr->last_bogus);
	else
		note(cr, addr, "timeout (%u requests)", cr->sent);
	cr->result[0] = '\0';
	cr->ai = cr->stop_server ? cr->n_addr : cr->ai + 1;
	kick(cr);
}

static void on_resolved(int err, struct evutil_addrinfo *res, void *arg)
{
	struct clock_run *cr = arg;

	if (err == EVUTIL_EAI_CANCEL)
		return; /* run_free() is cancelling us: cr is going away */
	cr->req = NULL;
	cr->resolving = false;
	cr->n_addr = 0;
	if (err)
		snprintf(cr->result, sizeof(cr->result), "resolve: %s", evutil_gai_strerror(err));
	for (struct evutil_addrinfo *a = res; a && cr->n_addr < CLOCK_MAX_ADDRS; a = a->ai_next) {
		if (a->ai_addrlen > sizeof(cr->addr[0]) || (a->ai_family != AF_INET && a->ai_family != AF_INET6))
			continue;
		memcpy(&cr->addr[cr->n_addr], a->ai_addr, a->ai_addrlen);
		cr->alen[cr->n_addr++] = (socklen_t)a->ai_addrlen;
	}
	if (res)
		evutil_freeaddrinfo(res);
	if (!err && cr->n_addr == 0)
		snprintf(cr->result, sizeof(cr->result), "resolve: no IPv4 or IPv6 address");
	kick(cr);
}

/* Begins the current server: 1 addresses ready, 0 resolving, < 0 skip it. */
static int server_begin(struct clock_run *cr)
{
	const char *name = server_name(cr);
	struct srv_memo *m = cr->st ? memo_get(cr->st, name) : NULL;
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct evutil_addrinfo ehints = {.ai_socktype = SOCK_DGRAM, .ai_flags = EVUTIL_AI_ADDRCONFIG};
	struct addrinfo *res = NULL;

	cr->n_addr = cr->ai = 0;
	cr->result[0] = '\0';
	cr->stop_server = false;
	if (m && m->denied) {
		note(cr, NULL, "skipped: it sent a DENY/RSTR kiss-o'-death");
		return -EPERM;
	}
	if (m && m->not_before > mono_s()) {
		note(cr, NULL, "skipped: RATE backoff, %.0f s left", m->not_before - mono_s());
		return -EAGAIN;
	}
	/* A literal address needs no DNS; getaddrinfo() with AI_NUMERICHOST never blocks. */
	if (getaddrinfo(name, "123", &hints, &res) == 0) {
		for (struct addrinfo *a = res; a && cr->n_addr < CLOCK_MAX_ADDRS; a = a->ai_next) {
			if (a->ai_addrlen > sizeof(cr->addr[0]))
				continue;
			memcpy(&cr->addr[cr->n_addr], a->ai_addr, a->ai_addrlen);
			cr->alen[cr->n_addr++] = a->ai_addrlen;
		}
		freeaddrinfo(res);
		return 1;
	}
	if (!cr->st) {
		note(cr, NULL, "resolve: out of memory");
		return -ENOMEM;
	}
	if (!cr->st->dns) {
		cr->st->dns = pu_resolver_new(cr->base);
		if (!cr->st->dns) {
			note(cr, NULL, "resolve: no resolver (resolv.conf)");
			return -ENOMEM;
		}
	}
	cr->resolving = true;
	/* The callback may run before this returns (cached or failed at once);
	 * it only records and kicks, so nothing here is freed under us. */
	struct evdns_getaddrinfo_request *req = evdns_getaddrinfo(cr->st->dns, name, "123", &ehints, on_resolved, cr);
	if (cr->resolving && !req) {
		cr->resolving = false;
		note(cr, NULL, "resolve: could not start");
		return -EIO;
	}
	if (cr->resolving)
		cr->req = req;
	return 0;
}

static void on_step(evutil_socket_t fd, short what, void *arg)
{
	struct clock_run *cr = arg;

	if (cr->resolving)
		return;
	for (;;) {
		if (cr->started && cr->ai < cr->n_addr) {
			int r = addr_start(cr);
			char addr[INET6_ADDRSTRLEN + 16];

			if (r == 0)
				return; /* the burst is under way */
			addr_close(cr);
			addr_str(&cr->addr[cr->ai], cr->alen[cr->ai], addr, sizeof(addr));
			note(cr, addr, "%s", r == -ECONNREFUSED ? "refused (ICMP port unreachable)" : strerror(-r));
			cr->ai++;
			continue;
		}
		if (cr->started && cr->n_addr == 0 && cr->result[0]) {
			note(cr, NULL, "%s", cr->result); /* resolution failed */
			cr->result[0] = '\0';
		}
		if (cr->started)
			cr->si++;
		cr->started = true;
		if (cr->si >= servers(cr)->n) {
			finish(cr, CLOCK_SAMPLES);
			return;
		}
		int r = server_begin(cr);
		if (r == 0)
			return; /* resolving: on_resolved() kicks us */
		if (r < 0)
			cr->n_addr = 0;
	}
}

static void clock_cancel(struct probe_run *run)
{
	struct clock_run *cr = run->priv;

	run->priv = NULL;
	run_free(cr);
}

static int clock_start(struct probe_run *run)
{
	struct clock_run *cr;

	if (!run->settings || run->settings->ntp_servers.n == 0) {
		cJSON *sec = cJSON_CreateObject();
		if (sec) {
			cJSON_AddStringToObject(sec, VDF_SECTION_STATUS, "unknown");
			cJSON_AddNumberToObject(sec, VDF_SECTION_AT, (double)time(NULL));
			add_kernel(sec);
		}
		PROBE_ERROR(run, N_("no NTPServers= configured"));
		probe_run_done(run, PROBE_UNKNOWN, sec);
		return 0;
	}
	cr = calloc(1, sizeof(*cr));
	if (!cr)
		return -ENOMEM;
	cr->run = run;
	cr->base = run->base;
	cr->fd = -1;
	cr->st = state_get(run); /* NULL: no KoD memory and no names; addresses still work */
	if (cr->st) {
		/* a fresh resolver per run: resolv.conf follows the VPN */
		pu_resolver_free(cr->base, cr->st->dns);
		cr->st->dns = NULL;
	}
	cr->tried = cJSON_CreateArray();
	cr->step = event_new(run->base, -1, 0, on_step, cr);
	cr->tick = evtimer_new(run->base, on_tick, cr);
	if (!cr->tried || !cr->step || !cr->tick) {
		run_free(cr);
		return -ENOMEM;
	}
	run->priv = cr;
	kick(cr);
	return 0;
}

const struct probe probe_clock = {
	.name = "clock",
	.section = VDF_HOST_CLOCK,
	.config_section = "Clock",
	.per_tunnel = false,
	.interval_s = 1800,
	.events = PROBE_EV_RELOAD,
	.start = clock_start,
	.cancel = clock_cancel,
	.free_state = clock_free_state,
};
