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
 * id), else a raw socket (CAP_NET_RAW; the daemon's unit grants it, and a
 * socket filter keeps other programs' replies out). The round trip is the
 * kernel's receive stamp minus the send time.
 *
 * How much, and when it wakes: the socket lives as long as the way to the
 * gateway, in the slot's state, and nothing waits on it. A run reads what
 * came back since the last one (the kernel's receive stamp, SO_TIMESTAMPNS,
 * gives each reply's arrival however late it is read), calls an echo lost
 * when it is older than the sampling's deadline and still unanswered, feeds
 * the tests in the order the echoes were sent, and sends as many as the
 * pacer says: one while the tests rest (every 2 s, [Path] Interval=), and a
 * run of 20 echoes 50 ms apart, run after run, while one is undecided or
 * its evidence moves (or the ping probe's loss evidence inside the tunnel
 * does: inside_loss_pending, always from the pending budget). At rest a run
 * is one wake-up: the previous echo's reply read, the next echo sent. The
 * echoes are bare (the 8-byte header: 28 bytes of IPv4, 56 both ways): the
 * send time is kept per sequence number,
 * and a reply is ours by sequence (and, on a raw socket, by its random id;
 * a ping socket's kernel checks the id itself); an off-path forger has to
 * hit the id and a sequence number in flight, where a cookie would have cost
 * 24 bytes each way of every echo. The tests start afresh when the way to the
 * gateway changes (its address, or the link and next hop the route takes):
 * the evidence of another network says nothing about this one.
 *
 * Where ICMP gets no answer at all (filtered on the way or at the gateway:
 * PATH_ICMP_GIVE_UP echoes in a row, none ever answered on this way; or
 * PATH_ICMP_GIVE_UP_ANSWERED after some were, a trial's handshake answered
 * and PATH_ICMP_GIVE_UP echoes after it not), the probe measures with OpenVPN hard resets instead (method "handshake"), over
 * the protocol the transport probe saw answered (the tunnel's own when both
 * did), at a pace the gateway's shared allowance of handshakes can bear
 * (PATH_HS_*); it tries ICMP again after PATH_ICMP_RETRY_S, and goes back to
 * handshakes when the echoes still go unanswered (probe_path.h). */
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
#include "probe_path.h"
#include "probe_util.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/icmp.h"
#include "vpndoctor/sampler.h"

#define PATH_MAX_BURST 20
#define PATH_OUT_MAX 64       /* echoes in flight at most (20/s for the deadline, and then some) */
#define PATH_RUN_SAMPLES (PATH_OUT_MAX + PATH_MAX_BURST) /* samples one run makes at most */
#define PATH_HS_WAIT_MS 1000
/* Handshakes are not echoes: the gateway answers each hard reset, and
 * OpenVPN 2.6 answers at most 100 initial packets in 10 s for all its
 * clients together (--connect-freq-initial), so that a prober at echo pace
 * (20 a second) would take its whole allowance and lock real clients out.
 * By handshakes the path samples at most 1 a second (runs of 5) while a
 * test settles, one every 10 s while a finding holds and one every 30 s at
 * rest: a hundred laptops measuring so take a third of the default
 * allowance at rest. */
#define PATH_HS_SPACING_MS 1000
#define PATH_HS_MAX_RUN 5
#define PATH_HS_WATCH_S 10
#define PATH_HS_REST_S 30
#define PATH_SETTLE_MARGIN_S 0.25 /* after the deadline, a burst's tail is read */
#define PATH_GW_TTL_S 300     /* a resolved gateway is good for this long */

static const char *const path_tests[] = {
	VDF_TESTS_LOSS_HEAVY, VDF_TESTS_LOSS_LIGHT, VDF_TESTS_RTT_LONG, VDF_TESTS_RTT_VERY_LONG, VDF_TESTS_JITTER, NULL,
};

/* An echo sent and not yet a sample. */
struct path_echo {
	uint16_t seq;
	double sent_ms;  /* monotonic */
	double sent_rt;  /* CLOCK_REALTIME, against the kernel's receive stamp */
	bool got;
	double rtt;
};

void path_mode_reset(struct path_mode *m)
{
	*m = (struct path_mode){0};
}

bool path_mode_feeds(const struct path_mode *m, bool answered)
{
	if (m->trial)
		return false;
	return m->hs || answered || !(m->retrying || m->confirming);
}

bool path_mode_sample(struct path_mode *m, bool answered)
{
	bool ended = false;

	if (m->hs)
		return false; /* a handshake answered says nothing of echoes */
	if (answered) {
		/* a retry's evidence was the handshakes' (afresh); a
		 * confirmation's is the echoes' of before (kept) */
		ended = m->retrying;
		m->retrying = false;
		m->confirming = false;
		m->unanswered = 0;
		m->ever_answered = true;
	} else {
		m->unanswered++;
	}
	return ended;
}

bool path_mode_gives_up_icmp(const struct path_mode *m)
{
	bool long_count = m->ever_answered && !m->confirming;

	return !m->hs && m->unanswered >= (long_count ? PATH_ICMP_GIVE_UP_ANSWERED : PATH_ICMP_GIVE_UP);
}

bool path_mode_handshakes(struct path_mode *m, double now_s)
{
	bool trial = m->ever_answered && !m->retrying && !m->confirming;
	bool kept = m->retrying || trial;

	m->hs = true;
	m->trial = trial;
	m->retrying = false;
	if (m->confirming) /* ICMP filtered, confirmed: what a retry finds is news */
		m->ever_answered = false;
	m->confirming = false;
	m->hs_since = now_s;
	return kept;
}

int path_mode_trial_end(struct path_mode *m, bool answered)
{
	if (!m->hs || !m->trial)
		return 0;
	m->trial = false;
	m->hs = false;
	m->unanswered = 0;
	m->confirming = answered;
	return answered ? 1 : -1;
}

bool path_mode_retries_icmp(struct path_mode *m, double now_s)
{
	if (!m->hs || m->trial || !(now_s - m->hs_since > PATH_ICMP_RETRY_S))
		return false;
	m->hs = false;
	m->retrying = true;
	m->unanswered = 0;
	return true;
}

bool path_mode_no_handshakes(struct path_mode *m)
{
	bool kept = m->trial || m->confirming;

	m->hs = false;
	m->trial = false;
	m->retrying = false;
	m->confirming = false;
	m->unanswered = 0;
	return kept;
}

/* The slot's state: the tests and the pace, kept from run to run. */
struct path_state {
	struct vd_bank bank;
	struct vd_pacer pacer;
	unsigned next_count;   /* echoes the next run sends */
	char way[192];         /* the gateway and the route to it the tests are about */
	struct path_mode mode; /* echoes or handshakes (probe_path.h) */
	double hs_last_ms;     /* monotonic ms of the last handshake sent; 0: none */
	struct tp_gateway gw;  /* the last resolved gateway */
	double gw_at;          /* monotonic s; 0: none */
	/* the ICMP socket of this way, and its echoes in flight, oldest first */
	int fd;
	bool dgram, v6;
	struct sockaddr_storage dst;
	struct vd_icmp_match m;
	uint16_t seq;
	struct path_echo out[PATH_OUT_MAX];
	unsigned out_head, out_n;
};

struct path_run {
	struct probe_run *run;
	struct path_state *st;
	struct tp_resolve *res;
	struct tp_gateway gw;
	struct event *tick, *finish;
	unsigned count;        /* echoes (or handshakes) this run sends */
	unsigned sent, received, unreachable, ttl_exceeded, send_errors;
	char send_error[96];
	/* handshakes: this run's, in order */
	double rtt[PATH_MAX_BURST];
	bool got[PATH_MAX_BURST];
	/* ICMP: the samples this run made (of echoes this run or an earlier one sent) */
	unsigned samples;
	double sample_rtt[PATH_RUN_SAMPLES];
	/* handshakes */
	bool hs_tcp;
	struct tp_hs *hs;
};

static double r3(double v)
{
	return (double)(long long)(v * 1000 + 0.5) / 1000;
}

static double mono_s(void)
{
	return pu_mono_ms() / 1000.0;
}

static void sock_close(struct path_state *st)
{
	if (st->fd >= 0) {
		close(st->fd);
		st->fd = -1;
	}
	st->out_head = st->out_n = 0;
}

static void state_free(void *p)
{
	struct path_state *st = p;

	if (st)
		sock_close(st);
	free(st);
}

static void pr_free(struct path_run *pr)
{
	if (!pr)
		return;
	probe_transport_gateway_free(pr->res);
	probe_transport_hs_free(pr->hs);
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
	double sorted[PATH_RUN_SAMPLES];

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

/* A loss test of the ping probe's host inside the tunnel (the one the rules
 * read: the server end, else the first target with tests) is off its floor
 * and not at h1: echoes are being lost inside, and that evidence is
 * settling. udp-unreliable says the path outside is clean while the inside
 * loses; that must rest on as many samples outside as inside, not on the
 * sentinel's one every 2 s: 30 of those in a row come through a 10% loss
 * once in 25 faults, and the lab's 10% loss, inside and outside alike, was
 * named udp-unreliable so. While this holds, the path samples fast too
 * (from the pending budget: a healthy tunnel's false alarms stay bounded). */
static bool inside_loss_pending(const struct path_run *pr)
{
	const cJSON *tests = pu_jobj(vd_ping_inside(probe_run_section(pr->run, VDF_TUNNEL_PING)), VDF_SAMPLE_TESTS);
	const struct vd_sprt *heavy = vd_bank_test(&pr->st->bank, VDF_TESTS_LOSS_HEAVY);
	const struct vd_sprt *light = vd_bank_test(&pr->st->bank, VDF_TESTS_LOSS_LIGHT);

	if (!tests)
		return false;
	if (vd_tests_loss_pending(VDF_TUNNEL_PING, tests))
		return true;
	/* the inside stands at h1 while our light test has not yet shown the
	 * path clean (vd_loss_clean_evidence): sample until it has, or has
	 * taken as many samples since its fresh start as vd_loss_clean_samples
	 * allows, or udp-unreliable waits for the sentinel's pace. Only where
	 * that can be named (a UDP tunnel), and only while our loss tests can
	 * show it: one at h1 (the light one's count starts again at every
	 * sample) or frozen behind the heavy one's h1 never does, and a fault
	 * outside is the path's own to sample, out of its own pace. Not by
	 * handshakes either: a few a second at most, where the budget counts
	 * a burst of echoes, would empty it long before showing anything */
	return strcmp(pr->gw.proto, "udp") == 0 && !pr->st->mode.hs && heavy && light &&
	       heavy->decision != VD_SPRT_H1 && light->decision != VD_SPRT_H1 &&
	       light->fresh_llr_min > vd_loss_clean_evidence() && (double)light->fresh < vd_loss_clean_samples() &&
	       vd_tests_loss_h1(tests);
}

/* The tests afresh, and the pacer's episode with them: what the budget
 * gave the old tests is no fault of the new ones'. */
static void tests_afresh(struct path_state *st)
{
	vd_bank_restart(&st->bank);
	st->pacer.episode = 0;
}

/* How long the next handshake waits: a spacing after the last one, whatever
 * started the run (PATH_HS_SPACING_MS). */
static double hs_wait_ms(const struct path_state *st)
{
	return st->hs_last_ms > 0 ? st->hs_last_ms + PATH_HS_SPACING_MS - pu_mono_ms() : 0;
}

/* The next run's size and time, from the tests as they stand now. */
static void pace(struct path_run *pr)
{
	struct path_state *st = pr->st;
	enum vd_sprt_pace own = vd_bank_pace(&st->bank), p;
	double delay;

	/* the inside's evidence is not ours: from the budget even while one
	 * of ours stands at h1 (vd_pacer_plan_with) */
	p = vd_pacer_plan_with(&st->pacer, own, vd_bank_pace_h1(&st->bank), vd_bank_n_h1(&st->bank),
	                       own < VD_SPRT_FAST && inside_loss_pending(pr),
	                       pr->run->interval_s, mono_s(), &st->next_count, &delay);
	if (st->next_count > PATH_MAX_BURST)
		st->next_count = PATH_MAX_BURST;
	if (st->mode.hs) {
		/* the gateway's allowance of handshakes is shared (PATH_HS_*);
		 * by the pace planned, not the one asked for: a FAST the budget
		 * refused is a run at rest */
		if (st->next_count > PATH_HS_MAX_RUN)
			st->next_count = PATH_HS_MAX_RUN;
		vd_pacer_sent(&st->pacer, st->next_count); /* a burst of 20 taken, 5 sent */
		if (p == VD_SPRT_FAST && delay < PATH_HS_SPACING_MS / 1000.0)
			delay = PATH_HS_SPACING_MS / 1000.0; /* between runs as between handshakes */
		else if (p == VD_SPRT_WATCH && delay < PATH_HS_WATCH_S)
			delay = PATH_HS_WATCH_S;
		else if (p == VD_SPRT_SLOW && delay < PATH_HS_REST_S)
			delay = PATH_HS_REST_S;
	} else if (st->out_n > 1 && delay > st->pacer.s->deadline_s + PATH_SETTLE_MARGIN_S) {
		/* a burst ends with its last echoes in flight (its lost ones
		 * all are: the deadline is longer than the burst), and the tests
		 * have weighed only what came back: the next run comes when they
		 * are due, not after Interval= (with Interval=1h, a burst at 50%
		 * loss read as clean for an hour). More than one: a run at rest
		 * leaves its own echo in flight, for the next one to read; the
		 * margin makes sure the one before it is due by then (the timer
		 * counts from the loop's cached time, before the send), or an
		 * unanswered path would re-arm this at every run */
		delay = st->pacer.s->deadline_s + PATH_SETTLE_MARGIN_S;
	}
	pr->run->next_s = delay;
}

/* One sample for the tests, in the order the echoes were sent. */
static void sample(struct path_run *pr, bool answered, double rtt)
{
	struct path_state *st = pr->st;
	bool feeds = path_mode_feeds(&st->mode, answered);

	if (path_mode_sample(&st->mode, answered)) {
		/* ICMP answers again: what the tests hold was measured by
		 * handshakes */
		tests_afresh(st);
		probe_log(LOG_INFO, "path on %s: %s answers echoes again: measuring with ICMP", pr->run->tunnel->name,
		         pr->gw.addr);
	}
	if (!feeds)
		return; /* nor in the run's figures: no test measured it */
	vd_bank_echo(&st->bank, answered, rtt, NAN);
	if (answered)
		pr->sample_rtt[pr->received++] = rtt;
	pr->samples++;
}

static void on_finish(evutil_socket_t fd, short what, void *arg)
{
	struct path_run *pr = arg;
	struct path_state *st = pr->st;
	cJSON *sec = cJSON_CreateObject(), *tests;
	char *text;

	(void)fd;
	(void)what;
	/* handshakes: every one sent is a sample, in the order sent (ICMP's
	 * samples were made as their echoes came back or timed out) */
	if (st->mode.hs) {
		bool any = false;

		pr->received = 0;
		for (unsigned i = 0; i < pr->sent; i++) {
			sample(pr, pr->got[i], pr->rtt[i]);
			any = any || pr->got[i];
		}
		/* a trial's handshakes: the gateway answers them, so the path
		 * is up now: its ICMP filtered, or an outage that has just
		 * ended; echoes confirm which (path_mode_trial_end). None
		 * answered: the path itself is down, echoes again, their
		 * evidence kept */
		switch (path_mode_trial_end(&st->mode, any)) {
		case 1:
			probe_log(LOG_DEBUG, "path on %s: %s answers handshakes: echoes to confirm ICMP is filtered",
			          pr->run->tunnel->name, pr->gw.addr);
			break;
		case -1:
			probe_log(LOG_DEBUG, "path on %s: %s answers no handshake either: echoes again",
			          pr->run->tunnel->name, pr->gw.addr);
			break;
		default:
			break;
		}
	}
	pace(pr);
	if (!sec) {
		pr_end(pr, PROBE_FAIL, NULL);
		return;
	}
	cJSON_AddStringToObject(sec, VDF_ECHO_ADDR, pr->gw.addr);
	cJSON_AddStringToObject(sec, VDF_PATH_METHOD, st->mode.hs ? "handshake" : "icmp");
	if (st->mode.hs)
		cJSON_AddStringToObject(sec, VDF_PATH_HANDSHAKE_PROTO, pr->hs_tcp ? "tcp" : "udp");
	add_stats(sec, pr->sample_rtt, pr->received, pr->samples);
	cJSON_AddStringToObject(sec, VDF_PATH_SOCKET, st->dgram ? "dgram" : "raw");
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
	pu_ms_tv(hs_wait_ms(pr->st), &tv);
	evtimer_add(pr->tick, &tv);
}

static void hs_next(struct path_run *pr)
{
	struct tp_hs *old = pr->hs;

	pr->hs = NULL;
	probe_transport_hs_free(old);
	pr->st->hs_last_ms = pu_mono_ms();
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

static struct path_echo *in_flight(struct path_state *st, uint16_t seq)
{
	for (unsigned i = 0; i < st->out_n; i++) {
		struct path_echo *e = &st->out[(st->out_head + i) % PATH_OUT_MAX];
		if (e->seq == seq)
			return e;
	}
	return NULL;
}

/* stamp: the kernel's receive time (CLOCK_REALTIME ms), or < 0; from: the
 * reply's source, or NULL for an error from the error queue. An echo reply
 * of the right id and sequence from another address than the gateway's (a
 * stray, or forged) is no answer of its, and one would otherwise keep the
 * probe on echoes for PATH_ICMP_GIVE_UP_ANSWERED more (path_mode). */
static void got(struct path_run *pr, const struct vd_icmp_result *res, double stamp, const struct sockaddr_storage *from)
{
	struct path_echo *e;
	double now = pu_mono_ms(), rtt;

	switch (res->kind) {
	case VD_ICMP_ECHO_REPLY:
		if (!from || !pu_same_addr(&pr->st->dst, from) || !(e = in_flight(pr->st, res->seq)) || e->got)
			break;
		/* The receive stamp leaves out how long the reply waited to be
		 * read (until this run); a realtime step meanwhile (an
		 * implausible value) falls back to the monotonic clock, which
		 * counts the wait. */
		rtt = stamp - e->sent_rt;
		if (!(stamp > 0 && rtt >= 0 && rtt <= now - e->sent_ms + 1))
			rtt = now - e->sent_ms;
		e->got = true;
		e->rtt = rtt;
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
	struct path_state *st = pr->st;

	for (;;) {
		uint8_t buf[512], cbuf[512];
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
		ssize_t n = recvmsg(st->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);

		if (n < 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			struct sock_extended_err ee;
			struct vd_icmp_result res;

			if (!pu_icmp_errqueue_ee(c, &ee))
				continue;
			if (vd_icmp_parse_errqueue(&st->m, ee.ee_type, ee.ee_code, ee.ee_info, buf, (size_t)n, &res) == 0)
				got(pr, &res, -1, NULL);
		}
	}
}

/* Everything that came back since the last look. */
static void drain(struct path_run *pr)
{
	struct path_state *st = pr->st;

	if (st->dgram)
		read_errqueue(pr);
	for (;;) {
		uint8_t buf[1500], cbuf[256];
		struct sockaddr_storage from = {0};
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
		                    .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
		struct vd_icmp_result res;
		ssize_t n = recvmsg(st->fd, &mh, MSG_DONTWAIT);
		double stamp = -1;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && st->dgram)
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
		if (vd_icmp_parse(&st->m, !st->dgram && !st->v6, buf, (size_t)n, &res) == 0)
			got(pr, &res, stamp, &from);
	}
}

/* The echoes in flight that are samples now, oldest first: answered, or
 * unanswered for longer than the deadline (all of them with `all`: the
 * ring is full). The tests see them in the order they were sent. */
static void settle(struct path_run *pr, bool all)
{
	struct path_state *st = pr->st;
	double now = pu_mono_ms(), deadline = st->pacer.s->deadline_s * 1000;

	while (st->out_n > 0) {
		struct path_echo *e = &st->out[st->out_head];

		if (!e->got && !all && now - e->sent_ms < deadline)
			break;
		sample(pr, e->got, e->rtt);
		st->out_head = (st->out_head + 1) % PATH_OUT_MAX;
		st->out_n--;
		if (all)
			break;
	}
}

static void send_echo(struct path_run *pr)
{
	struct path_state *st = pr->st;
	struct vd_icmp_echo e = {.v6 = st->v6, .id = st->m.id, .seq = st->seq};
	struct path_echo *o;
	uint8_t buf[VD_ICMP_HDR_LEN];
	socklen_t dl = st->v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

	if (st->out_n == PATH_OUT_MAX)
		settle(pr, true);
	o = &st->out[(st->out_head + st->out_n++) % PATH_OUT_MAX];
	*o = (struct path_echo){.seq = st->seq++, .sent_ms = pu_mono_ms(), .sent_rt = pu_realtime_ms()};
	if (vd_icmp_echo_build_bare(&e, buf, sizeof(buf)) == 0 &&
	    sendto(st->fd, buf, sizeof(buf), 0, (const struct sockaddr *)&st->dst, dl) < 0) {
		/* no route, a local firewall: the echo is lost like any other */
		pr->send_errors++;
		snprintf(pr->send_error, sizeof(pr->send_error), "%s", strerror(errno));
	}
	pr->sent++;
}

/* A run: what came back, the samples it makes, and the next echo; then the
 * next one 100 ms later, or the end. Nothing waits for a reply: the next
 * tick (or run) reads it with its arrival stamp. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct path_run *pr = arg;
	struct timeval tv;

	(void)fd;
	(void)what;
	if (pr->st->mode.hs) {
		hs_next(pr);
		return;
	}
	drain(pr);
	settle(pr, false);
	if (pr->sent < pr->count)
		send_echo(pr);
	if (pr->sent < pr->count) {
		pu_ms_tv(pr->st->pacer.s->burst_spacing_s * 1000, &tv);
		evtimer_add(pr->tick, &tv);
		return;
	}
	event_active(pr->finish, EV_TIMEOUT, 0);
}

/* Not pu_icmp_open: outside the tunnel there is no link to bind to, and the
 * socket is left unbound but for its id (a ping socket's port: its kernel
 * sets and checks the id). */
static int icmp_open(struct path_state *st)
{
	int proto = st->v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, fam = st->v6 ? AF_INET6 : AF_INET, on = 1, r;
	uint16_t id = 0;

	memset(&st->m, 0, sizeof(st->m));
	st->fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	st->dgram = st->fd >= 0;
	if (st->fd < 0) {
		st->fd = socket(fam, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
		if (st->fd < 0)
			return -errno;
		if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id)) {
			r = -errno;
			sock_close(st);
			return r;
		}
	}
	/* the receive stamp is what makes reading late exact */
	if (setsockopt(st->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0 ||
	    (r = pu_icmp_setup(st->fd, st->dgram, st->v6, id, true, &st->m)) < 0) {
		r = -errno;
		sock_close(st);
		return r ? r : -EIO;
	}
	st->m.bare = true;
	/* where the sequence starts is one more thing a forger has to guess */
	if (getrandom(&st->seq, sizeof(st->seq), 0) != (ssize_t)sizeof(st->seq))
		st->seq = (uint16_t)id;
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
		sock_close(st); /* and the echoes in flight on the old way */
		tests_afresh(st);
		path_mode_reset(&st->mode);
		st->next_count = st->pacer.s->burst;
		pr->count = st->next_count;
	}
	/* ICMP filtered: handshakes for a while, then ICMP again */
	if (!path_mode_gives_up_icmp(&st->mode)) {
		/* ICMP again now and then: the tests keep the handshakes'
		 * evidence until an echo is answered (path_mode_feeds) */
		path_mode_retries_icmp(&st->mode, mono_s());
	} else if (hs_choose(pr)) {
		bool confirmed = st->mode.confirming;

		sock_close(st);
		if (!path_mode_handshakes(&st->mode, mono_s())) {
			tests_afresh(st);
			probe_log(LOG_INFO, "path on %s: %s answers no echo%s: measuring with OpenVPN handshakes",
			         pr->run->tunnel->name, pr->gw.addr, confirmed ? " any more" : "");
		} else if (st->mode.trial) {
			probe_log(LOG_DEBUG, "path on %s: %s answered echoes, and none of the last %d: a handshake "
			          "tells a filter from an outage", pr->run->tunnel->name, pr->gw.addr,
			          PATH_ICMP_GIVE_UP_ANSWERED);
		}
	} else if (st->mode.retrying || st->mode.confirming) {
		/* a retry that finds ICMP still filtered and no handshake to go
		 * back to: the handshakes' evidence is stale, and echoes fed to
		 * nothing would leave the tests undecided for good; echoes from
		 * here, fed as any (all lost: no unstable path, rules.c). A
		 * confirmation's tests hold the echoes' evidence: kept */
		if (!path_mode_no_handshakes(&st->mode))
			tests_afresh(st);
	}
	if (st->mode.hs) {
		if (!hs_choose(pr)) {
			/* no handshake answered any more: echoes, fed as any
			 * (not a retry: fed nothing, the tests would stay
			 * undecided and sample from the budget for good), and
			 * what the handshakes showed is no evidence of theirs
			 * (a trial's fed them nothing: the echoes' stands) */
			if (!path_mode_no_handshakes(&st->mode))
				tests_afresh(st);
		} else {
			double wait_ms = hs_wait_ms(st);
			struct timeval tv;

			if (pr->count > PATH_HS_MAX_RUN) { /* planned as echoes */
				pr->count = PATH_HS_MAX_RUN;
				vd_pacer_sent(&st->pacer, pr->count);
			}
			/* a run at once (OpenVPN's state changed, a link, a check)
			 * still waits its turn after the last handshake: a client
			 * that reconnects in a loop does not make the path flood the
			 * gateway it cannot reach */
			if (wait_ms > 0) {
				pu_ms_tv(wait_ms, &tv);
				evtimer_add(pr->tick, &tv);
			} else {
				event_active(pr->tick, EV_TIMEOUT, 0);
			}
			return;
		}
	}
	if (st->fd < 0) {
		st->v6 = pr->gw.ss.ss_family == AF_INET6;
		memcpy(&st->dst, &pr->gw.ss, sizeof(st->dst));
		if (st->v6)
			((struct sockaddr_in6 *)&st->dst)->sin6_port = 0;
		else
			((struct sockaddr_in *)&st->dst)->sin_port = 0;
		r = icmp_open(st);
		if (r < 0) {
			PROBE_ERROR(pr->run,
			            r == -EPERM || r == -EACCES
			                    ? N_("no ICMP socket: {error} (needs CAP_NET_RAW or net.ipv4.ping_group_range)")
			                    : N_("no ICMP socket: {error}"),
			            VD_TEXT("error", strerror(-r)));
			pr_end(pr, PROBE_FAIL, NULL);
			return;
		}
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
		st->fd = -1;
		*run->state = st;
	}
	if (!(pr = calloc(1, sizeof(*pr))))
		return -ENOMEM;
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
	.interval_s = 2,
	.events = PROBE_EV_NET | PROBE_EV_OPENVPN | PROBE_EV_RELOAD,
	.needs = (const char *const[]){VDF_TUNNEL_TRANSPORT, VDF_TUNNEL_PROFILE, VDF_TUNNEL_OPENVPN, VDF_TUNNEL_ROUTES, NULL},
	/* the ping probe needs the path's round trips; the path's pace follows
	 * the ping probe's loss tests (inside_loss_pending) */
	.peeks = (const char *const[]){VDF_TUNNEL_PING, NULL},
	.start = path_start,
	.cancel = path_cancel,
	.free_state = state_free,
};
