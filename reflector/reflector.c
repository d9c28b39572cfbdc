/* vpndoctor-reflector: runs on a host in the VPC and, on an authenticated
 * request from a vpndoctord, pings the requester back and answers with loss,
 * RTT and the source address it saw. A program of its own rather than a mode
 * of vpndoctord: it runs on another machine (a server in the VPC, not the
 * laptop), faces the network, and so carries none of the daemon's code, needs
 * only CAP_NET_RAW and a UDP port, and gets its own unit and hardening.
 *
 * Guards (reflector.h): HMAC-SHA256 with a shared key, a timestamp within
 * 30 s and a nonce never seen before (so neither open nor replayable); at
 * most VD_RFL_MAX_COUNT echoes per request, RFL_SESSIONS measurements at a
 * time, a token bucket per source and one for everyone. Nothing unauthentic
 * gets an answer, and an answer is never larger than the request.
 *
 * With --query it is the client, for tests and for an administrator. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "vpndoctor/common.h"
#include "vpndoctor/icmp.h"
#include "vpndoctor/principal.h"
#include "vpndoctor/reflector.h"
#include "vpndoctor/sockaddr.h"

#define RFL_DEFAULT_LISTEN "0.0.0.0:7070"
#define RFL_SESSIONS 16          /* measurements in flight */
#define RFL_SPACING_MS 200       /* between echoes, as the ping probe */
#define RFL_WAIT_MS 2000         /* after the last echo: a later reply is a loss */
#define RFL_ECHO_SIZE 64
#define RFL_SRC_RATE 0.5         /* requests a second per source ... */
#define RFL_SRC_BURST 5.0        /* ... with this many at once */
#define RFL_ALL_RATE 5.0         /* and for everyone: at most 100 echoes/s */
#define RFL_ALL_BURST 20.0
#define RFL_RECV_BATCH 32

struct rfl;

struct session {
	struct rfl *r;
	bool used;
	int fd;
	bool raw, v6;
	struct event *rd, *tick, *deadline;
	struct vd_icmp_match m;
	uint8_t cookie[VD_ICMP_COOKIE_LEN];
	struct sockaddr_storage peer; /* the requester's address, to ping (no port) */
	struct sockaddr_storage reply_to; /* and with its port, to answer */
	socklen_t peer_len;
	uint8_t nonce[VD_RFL_NONCE_LEN];
	unsigned count, sent, received;
	int64_t sent_ns[VD_RFL_MAX_COUNT];
	bool got[VD_RFL_MAX_COUNT];
	uint32_t rtt_us[VD_RFL_MAX_COUNT];
};

struct rfl {
	struct event_base *base;
	int fd;
	struct event *rd, *sigterm, *sigint;
	uint8_t key[VD_RFL_KEY_MAX];
	size_t keylen;
	struct vd_rfl_replay *replay;
	struct vd_rfl_limits *limits;
	struct session s[RFL_SESSIONS];
	unsigned max_count;
};

static bool verbose;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int read_key(const char *path, uint8_t *key, size_t cap, size_t *len)
{
	uint8_t buf[VD_RFL_KEY_MAX + 64];
	struct stat st;
	ssize_t n;
	/* a regular file only: a FIFO there never holds the start */
	int fd, r = vd_open_as(NULL, AT_FDCWD, path, sizeof(buf), &fd);

	if (r < 0)
		return r;
	if (fstat(fd, &st) == 0 && (st.st_mode & S_IROTH))
		say("warning: %s is readable by everyone; the key is a shared secret (chmod 0600)", path);
	n = read(fd, buf, sizeof(buf));
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	if ((r = vd_rfl_key_from_text(buf, (size_t)n, key, cap)) < 0)
		return r;
	*len = (size_t)r;
	return 0;
}

static const char *addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, buf, (socklen_t)len);
	return buf;
}

/* ---- the measurement ---- */

static void session_end(struct session *s)
{
	if (s->rd)
		event_free(s->rd);
	if (s->tick)
		event_free(s->tick);
	if (s->deadline)
		event_free(s->deadline);
	if (s->fd >= 0)
		close(s->fd);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

static void answer(struct rfl *r, const struct sockaddr_storage *peer, socklen_t plen, const uint8_t *nonce,
                   enum vd_rfl_status st, const struct session *s)
{
	struct vd_rfl_response a = {.status = st};
	uint8_t buf[VD_RFL_RESPONSE_LEN];
	uint64_t sum = 0;

	memcpy(a.nonce, nonce, VD_RFL_NONCE_LEN);
	if (peer->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)peer;
		a.family = AF_INET6;
		memcpy(a.addr, &in6->sin6_addr, 16);
		a.port = ntohs(in6->sin6_port);
	} else {
		const struct sockaddr_in *in = (const struct sockaddr_in *)peer;
		a.family = AF_INET;
		memcpy(a.addr, &in->sin_addr, 4);
		a.port = ntohs(in->sin_port);
	}
	if (s) {
		a.sent = (uint8_t)s->sent;
		for (unsigned k = 0; k < s->sent; k++) {
			if (!s->got[k])
				continue;
			if (!a.received || s->rtt_us[k] < a.rtt_min_us)
				a.rtt_min_us = s->rtt_us[k];
			if (s->rtt_us[k] > a.rtt_max_us)
				a.rtt_max_us = s->rtt_us[k];
			sum += s->rtt_us[k];
			a.received++;
		}
		if (a.received)
			a.rtt_avg_us = (uint32_t)(sum / a.received);
	}
	if (vd_rfl_response_build(&a, r->key, r->keylen, buf, sizeof(buf)) < 0)
		return;
	if (sendto(r->fd, buf, sizeof(buf), 0, (const struct sockaddr *)peer, plen) < 0 && verbose)
		say("answer: %s", strerror(errno));
}

static void session_finish(struct session *s)
{
	char a[INET6_ADDRSTRLEN];

	/* said before the answer: who has the answer finds it in the log */
	say("pinged %s: %u sent, %u received", addr_str(&s->peer, a, sizeof(a)), s->sent, s->received);
	answer(s->r, &s->reply_to, s->peer_len, s->nonce, VD_RFL_OK, s);
	session_end(s);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	session_finish(arg);
}

static bool same_host(const struct session *s, const struct sockaddr_storage *from)
{
	if (from->ss_family != s->peer.ss_family)
		return false;
	if (s->v6)
		return memcmp(&((const struct sockaddr_in6 *)from)->sin6_addr,
		              &((const struct sockaddr_in6 *)&s->peer)->sin6_addr, 16) == 0;
	return ((const struct sockaddr_in *)from)->sin_addr.s_addr ==
	       ((const struct sockaddr_in *)&s->peer)->sin_addr.s_addr;
}

static void on_icmp(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	int64_t now = mono_ns();

	(void)what;
	for (int i = 0; i < RFL_RECV_BATCH; i++) {
		uint8_t buf[1500];
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		struct vd_icmp_result res;
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);

		if (n < 0)
			break;
		if (vd_icmp_parse(&s->m, s->raw && !s->v6, buf, (size_t)n, &res) < 0 || res.kind != VD_ICMP_ECHO_REPLY ||
		    !res.cookie_checked || !same_host(s, &from) || res.seq >= s->sent || s->got[res.seq])
			continue;
		s->got[res.seq] = true;
		s->rtt_us[res.seq] = (uint32_t)((now - s->sent_ns[res.seq]) / 1000);
		s->received++;
	}
	if (s->sent == s->count && s->received == s->count)
		session_finish(s);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	struct vd_icmp_echo e = {.v6 = s->v6, .id = s->m.id, .seq = (uint16_t)s->sent};
	uint8_t buf[RFL_ECHO_SIZE];
	struct timeval tv;

	(void)fd;
	(void)what;
	memcpy(e.cookie, s->cookie, sizeof(e.cookie));
	e.sent_ns = (uint64_t)mono_ns();
	s->sent_ns[s->sent] = (int64_t)e.sent_ns;
	if (vd_icmp_echo_build(&e, sizeof(buf), buf, sizeof(buf)) == 0)
		(void)sendto(s->fd, buf, sizeof(buf), 0, (struct sockaddr *)&s->peer, s->peer_len);
	s->sent++; /* a failed send is a lost echo, as ping counts it */
	if (s->sent < s->count) {
		tv = (struct timeval){0, RFL_SPACING_MS * 1000};
		evtimer_add(s->tick, &tv);
	} else {
		tv = (struct timeval){RFL_WAIT_MS / 1000, (RFL_WAIT_MS % 1000) * 1000};
		evtimer_add(s->deadline, &tv);
	}
}

/* The ICMP datagram socket where ping_group_range allows it, else raw. */
static int session_socket(struct session *s)
{
	int family = s->v6 ? AF_INET6 : AF_INET, proto = s->v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);

	s->raw = fd < 0;
	if (fd < 0 && (fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto)) < 0)
		return -errno;
	s->fd = fd;
	s->m.v6 = s->v6;
	s->m.check_id = true;
	memcpy(s->m.cookie, s->cookie, sizeof(s->cookie));
	if (!s->raw) {
		struct sockaddr_storage ss = {.ss_family = (sa_family_t)family};
		socklen_t len = s->v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
		if (bind(fd, (struct sockaddr *)&ss, len) < 0 || getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
			return -errno;
		s->m.id = ntohs(s->v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
	} else if (!s->v6) {
		struct icmp_filter f = {~(1u << ICMP_ECHOREPLY)};
		(void)setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f));
	} else {
		struct icmp6_filter f;
		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		(void)setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	}
	return 0;
}

static void session_start(struct rfl *r, const struct sockaddr_storage *peer, socklen_t plen,
                          const struct vd_rfl_request *q)
{
	struct session *s = NULL;
	char a[INET6_ADDRSTRLEN];
	int e;

	for (size_t i = 0; i < RFL_SESSIONS && !s; i++)
		if (!r->s[i].used)
			s = &r->s[i];
	if (!s) {
		answer(r, peer, plen, q->nonce, VD_RFL_BUSY, NULL);
		return;
	}
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->used = true;
	s->r = r;
	s->peer = *peer;
	s->reply_to = *peer;
	s->peer_len = plen;
	s->v6 = peer->ss_family == AF_INET6;
	/* the kernel's ping socket and raw sockets want no port */
	if (s->v6)
		((struct sockaddr_in6 *)&s->peer)->sin6_port = 0;
	else
		((struct sockaddr_in *)&s->peer)->sin_port = 0;
	memcpy(s->nonce, q->nonce, sizeof(s->nonce));
	s->count = q->count < r->max_count ? q->count : r->max_count;
	if (getrandom(s->cookie, sizeof(s->cookie), 0) != sizeof(s->cookie) ||
	    getrandom(&s->m.id, sizeof(s->m.id), 0) != sizeof(s->m.id) || (e = session_socket(s)) < 0) {
		say("cannot ping %s: %s", addr_str(peer, a, sizeof(a)), strerror(errno));
		answer(r, peer, plen, q->nonce, VD_RFL_FAILED, NULL);
		session_end(s);
		return;
	}
	s->rd = event_new(r->base, s->fd, EV_READ | EV_PERSIST, on_icmp, s);
	s->tick = evtimer_new(r->base, on_tick, s);
	s->deadline = evtimer_new(r->base, on_deadline, s);
	if (!s->rd || !s->tick || !s->deadline || event_add(s->rd, NULL) < 0) {
		answer(r, peer, plen, q->nonce, VD_RFL_FAILED, NULL);
		session_end(s);
		return;
	}
	on_tick(-1, EV_TIMEOUT, s);
}

/* ---- requests ---- */

static void on_request(evutil_socket_t fd, short what, void *arg)
{
	struct rfl *r = arg;

	(void)what;
	for (int i = 0; i < RFL_RECV_BATCH; i++) {
		uint8_t buf[VD_RFL_REQUEST_LEN + 1];
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		struct vd_rfl_request q;
		struct timespec now;
		char a[INET6_ADDRSTRLEN];
		const uint8_t *addr;
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&peer, &plen);
		int e;

		if (n < 0)
			break;
		if (peer.ss_family != AF_INET && peer.ss_family != AF_INET6)
			continue;
		/* a v4 client on a dual-stack socket: ping and name it as IPv4 */
		if (peer.ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)&peer)->sin6_addr)) {
			struct sockaddr_in6 in6 = *(struct sockaddr_in6 *)&peer;
			struct sockaddr_in *in = (struct sockaddr_in *)&peer;
			memset(&peer, 0, sizeof(peer));
			in->sin_family = AF_INET;
			in->sin_port = in6.sin6_port;
			memcpy(&in->sin_addr, in6.sin6_addr.s6_addr + 12, 4);
			plen = sizeof(*in);
		}
		addr_str(&peer, a, sizeof(a));
		/* nothing unauthentic, stale or replayed gets an answer */
		if ((e = vd_rfl_request_parse(buf, (size_t)n, r->key, r->keylen, &q)) < 0) {
			if (verbose)
				say("%s: dropped: %s", a, e == -EACCES ? "bad MAC" : "not a request");
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &now);
		if (!vd_rfl_fresh(q.timestamp, now.tv_sec)) {
			say("%s: dropped: its clock is %lld s off ours (more than %d)", a,
			    (long long)q.timestamp - (long long)now.tv_sec, VD_RFL_WINDOW_S);
			continue;
		}
		if ((e = vd_rfl_replay_add(r->replay, q.nonce, q.timestamp, now.tv_sec)) < 0) {
			say("%s: dropped: %s", a, e == -EALREADY ? "a replayed request" : "too many recent requests");
			continue;
		}
		addr = peer.ss_family == AF_INET6 ? (const uint8_t *)&((struct sockaddr_in6 *)&peer)->sin6_addr
		                                  : (const uint8_t *)&((struct sockaddr_in *)&peer)->sin_addr;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (vd_rfl_limits_take(r->limits, peer.ss_family, addr,
		                       (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000) < 0) {
			say("%s: rate limited", a);
			answer(r, &peer, plen, q.nonce, VD_RFL_RATE_LIMITED, NULL);
			continue;
		}
		session_start(r, &peer, plen, &q);
	}
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

static void rfl_free(struct rfl *r)
{
	for (size_t i = 0; i < RFL_SESSIONS; i++)
		if (r->s[i].used)
			session_end(&r->s[i]);
	if (r->rd)
		event_free(r->rd);
	if (r->sigterm)
		event_free(r->sigterm);
	if (r->sigint)
		event_free(r->sigint);
	if (r->fd >= 0)
		close(r->fd);
	if (r->base)
		event_base_free(r->base);
	free(r->replay);
	free(r->limits);
	explicit_bzero(r->key, sizeof(r->key));
	free(r);
}

static int serve(const char *listen_at, const uint8_t *key, size_t keylen, unsigned max_count)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct rfl *r = calloc(1, sizeof(*r));
	char a[INET6_ADDRSTRLEN];
	int rc = 1;

	if (!r)
		return 1;
	r->fd = -1;
	for (size_t i = 0; i < RFL_SESSIONS; i++)
		r->s[i].fd = -1;
	memcpy(r->key, key, keylen);
	r->keylen = keylen;
	r->max_count = max_count;
	if (vd_parse_hostport(listen_at, &ss, &len) < 0) {
		say("--listen: '%s' is not ADDRESS:PORT", listen_at);
		goto out;
	}
	r->replay = calloc(1, sizeof(*r->replay));
	r->limits = calloc(1, sizeof(*r->limits));
	r->base = event_base_new();
	if (!r->replay || !r->limits || !r->base)
		goto out;
	vd_rfl_limits_init(r->limits, RFL_SRC_RATE, RFL_SRC_BURST, RFL_ALL_RATE, RFL_ALL_BURST);
	r->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd < 0 || bind(r->fd, (struct sockaddr *)&ss, len) < 0) {
		say("listen on %s: %s", listen_at, strerror(errno));
		goto out;
	}
	r->rd = event_new(r->base, r->fd, EV_READ | EV_PERSIST, on_request, r);
	r->sigterm = evsignal_new(r->base, SIGTERM, on_signal, r->base);
	r->sigint = evsignal_new(r->base, SIGINT, on_signal, r->base);
	if (!r->rd || !r->sigterm || !r->sigint || event_add(r->rd, NULL) < 0 || event_add(r->sigterm, NULL) < 0 ||
	    event_add(r->sigint, NULL) < 0)
		goto out;
	say("listening on %s port %u (at most %u echoes a request)", addr_str(&ss, a, sizeof(a)),
	    ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port),
	    max_count);
	event_base_dispatch(r->base);
	say("stopping");
	rc = 0;
out:
	rfl_free(r);
	return rc;
}

/* ---- the client ---- */

static int query(const char *target, const uint8_t *key, size_t keylen, unsigned count)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct vd_rfl_request q = {.count = (uint8_t)count};
	struct vd_rfl_response a;
	uint8_t buf[VD_RFL_REQUEST_LEN + 1];
	struct timespec now;
	char addr[INET6_ADDRSTRLEN];
	int64_t deadline;
	int fd, n;

	if (vd_parse_hostport(target, &ss, &len) < 0) {
		say("--query: '%s' is not ADDRESS:PORT", target);
		return 2;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	q.timestamp = now.tv_sec;
	if (getrandom(q.nonce, sizeof(q.nonce), 0) != sizeof(q.nonce) ||
	    (n = vd_rfl_request_build(&q, key, keylen, buf, sizeof(buf))) < 0)
		return 2;
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0 || send(fd, buf, (size_t)n, 0) < 0) {
		say("%s: %s", target, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 2;
	}
	deadline = mono_ns() / 1000000 + (int64_t)count * RFL_SPACING_MS + RFL_WAIT_MS + 2000;
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		int64_t left = deadline - mono_ns() / 1000000;
		ssize_t got;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			say("%s: no answer", target);
			close(fd);
			return 2;
		}
		got = recv(fd, buf, sizeof(buf), 0);
		if (got < 0) {
			say("%s: %s", target, strerror(errno));
			close(fd);
			return 2;
		}
		if (vd_rfl_response_parse(buf, (size_t)got, key, keylen, &a) == 0 &&
		    memcmp(a.nonce, q.nonce, sizeof(q.nonce)) == 0)
			break;
	}
	close(fd);
	inet_ntop(a.family, a.addr, addr, sizeof(addr));
	printf("status=%s sent=%u received=%u loss_pct=%.0f rtt_min_ms=%.3f rtt_avg_ms=%.3f rtt_max_ms=%.3f "
	       "source_seen=%s source_port=%u\n",
	       vd_rfl_status_name(a.status), a.sent, a.received,
	       a.sent ? 100.0 * (a.sent - a.received) / a.sent : 0.0, a.rtt_min_us / 1000.0, a.rtt_avg_us / 1000.0,
	       a.rtt_max_us / 1000.0, addr, a.port);
	return a.status == VD_RFL_OK ? 0 : 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vpndoctor-reflector --key FILE [--listen ADDRESS:PORT] [--max-count N] [--verbose]\n"
	           "       vpndoctor-reflector --key FILE --query ADDRESS:PORT [--count N]\n"
	           "Answers vpndoctord's authenticated requests by pinging the requester back.\n"
	           "Default --listen %s; --max-count 1..%d (default %d).\n",
	        RFL_DEFAULT_LISTEN, VD_RFL_MAX_COUNT, VD_RFL_MAX_COUNT);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},   {"listen", required_argument, NULL, 'l'},
		{"max-count", required_argument, NULL, 'm'}, {"query", required_argument, NULL, 'q'},
		{"count", required_argument, NULL, 'c'}, {"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},        {"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *keyfile = NULL, *listen_at = RFL_DEFAULT_LISTEN, *target = NULL;
	uint64_t max_count = VD_RFL_MAX_COUNT, count = 5;
	uint8_t key[VD_RFL_KEY_MAX];
	size_t keylen = 0;
	int c, r;

	while ((c = getopt_long(argc, argv, "k:l:m:q:c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			keyfile = optarg;
			break;
		case 'l':
			listen_at = optarg;
			break;
		case 'm':
			if (vd_parse_u64(optarg, 1, VD_RFL_MAX_COUNT, &max_count) < 0) {
				say("--max-count: '%s' is not a number from 1 to %d", optarg, VD_RFL_MAX_COUNT);
				return 64;
			}
			break;
		case 'q':
			target = optarg;
			break;
		case 'c':
			if (vd_parse_u64(optarg, 1, VD_RFL_MAX_COUNT, &count) < 0) {
				say("--count: '%s' is not a number from 1 to %d", optarg, VD_RFL_MAX_COUNT);
				return 64;
			}
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vpndoctor-reflector %s\n", VD_VERSION);
			return 0;
		default:
			usage(stderr);
			return 64;
		}
	}
	if (!keyfile || optind != argc) {
		usage(stderr);
		return 64;
	}
	if ((r = read_key(keyfile, key, sizeof(key), &keylen)) < 0) {
		say("%s: %s", keyfile,
		    r == -EINVAL ? "a key is " "16 to 512 bytes (head -c 32 /dev/urandom | base64 > FILE)" : strerror(-r));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	r = target ? query(target, key, keylen, (unsigned)count) : serve(listen_at, key, keylen, (unsigned)max_count);
	explicit_bzero(key, sizeof(key));
	return r;
}
