/* The reflector probe: asks the tunnel's Reflector= (vpndoctor-reflector on a
 * VPC host) to ping us back through the tunnel, so the VPC-to-client way is
 * measured as the ping probe measures the other. One authenticated UDP
 * request (ReflectorKey=, lib/reflector.c) for REFL_COUNT echoes; the answer
 * comes once the reflector is done, about REFL_COUNT x 200 ms plus its 2 s
 * wait. One retry with a fresh nonce if no answer came; then "fail": no
 * answer is not a measurement (a wrong key, a stopped reflector and a clock
 * 30 s off all look alike from here, and say so in the probe's error).
 *
 * The answer's echoes feed the test of the way back (one_way, lib/rules.c;
 * kept in the slot's state from run to run, afresh for another reflector),
 * which paces the probe (vd_pacer_plan, the reflector's vd_sampling): every
 * Interval= at rest, sooner while the test is undecided or a fault stands.
 * The answer counts the echoes, not their order: the lost ones are fed
 * spread evenly among the answered. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
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
#include "vpndoctor/common.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/reflector.h"
#include "vpndoctor/sampler.h"
#include "vpndoctor/sockaddr.h"

#define REFL_COUNT 10
#define REFL_WAIT_MS (REFL_COUNT * 200 + 2000 + 2000) /* the reflector's time, and slack */
#define REFL_TRIES 2

/* The test of the way back and its pace (the slot's state). */
struct refl_state {
	struct vd_bank bank;
	struct vd_pacer pacer;
	char target[80];       /* the reflector it measures */
};

static const char *const refl_tests[] = {VDF_TESTS_ONE_WAY, NULL};

struct refl_ctx {
	struct probe_run *run;
	struct refl_state *st;
	int fd;
	struct event *rd, *timer;
	uint8_t key[VD_RFL_KEY_MAX];
	size_t keylen;
	uint8_t nonce[REFL_TRIES][VD_RFL_NONCE_LEN];
	unsigned tries;
	char target[80];
};

static void ctx_free(struct refl_ctx *c)
{
	if (!c)
		return;
	if (c->rd)
		event_free(c->rd);
	if (c->timer)
		event_free(c->timer);
	if (c->fd >= 0)
		close(c->fd);
	explicit_bzero(c->key, sizeof(c->key));
	free(c);
}

static void finish(struct refl_ctx *c, enum probe_status st, cJSON *sec)
{
	struct probe_run *run = c->run;

	ctx_free(c);
	run->priv = NULL;
	probe_run_done(run, st, sec);
}

/* ReflectorKey= is the administrator's (vpndoctor.conf): read as root by the
 * privileged parent, a regular file only (a FIFO there never blocks). */
static int read_key(const char *path, uint8_t *key, size_t cap, size_t *len, const char **why)
{
	uint8_t buf[VD_RFL_KEY_MAX + 64];
	int fd, r = probe_open(NULL, path, sizeof(buf), &fd);
	ssize_t n;

	if (r < 0) {
		*why = r == -EINVAL ? "not a regular file" : r == -EFBIG ? "larger than a key" : strerror(-r);
		return r;
	}
	*why = "not a key of 16 to 512 bytes";
	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	r = vd_rfl_key_from_text(buf, (size_t)n, key, cap);
	explicit_bzero(buf, sizeof(buf));
	if (r < 0)
		return r;
	*len = (size_t)r;
	return 0;
}

static int send_request(struct refl_ctx *c)
{
	struct vd_rfl_request q = {.count = REFL_COUNT};
	uint8_t buf[VD_RFL_REQUEST_LEN];
	struct timeval tv = {REFL_WAIT_MS / 1000, (REFL_WAIT_MS % 1000) * 1000};
	int n;

	q.timestamp = (int64_t)time(NULL);
	if (getrandom(q.nonce, sizeof(q.nonce), 0) != sizeof(q.nonce))
		return -errno;
	memcpy(c->nonce[c->tries], q.nonce, sizeof(q.nonce));
	c->tries++;
	if ((n = vd_rfl_request_build(&q, c->key, c->keylen, buf, sizeof(buf))) < 0)
		return n;
	if (send(c->fd, buf, (size_t)n, 0) < 0 && errno != ECONNREFUSED)
		return -errno;
	return evtimer_add(c->timer, &tv) < 0 ? -ENOMEM : 0;
}

static double ms(uint32_t us)
{
	return (double)us / 1000.0;
}

/* The answer's echoes to the test, and the next run's time. */
static void feed_tests(struct refl_ctx *c, const struct vd_rfl_response *a, cJSON *sec)
{
	struct refl_state *st = c->st;
	const struct vd_sampling *smp = vd_sampling_find(VDF_TUNNEL_REFLECTOR);
	double rtt = a->received ? ms(a->rtt_avg_us) : NAN, delay, now = pu_mono_ms() / 1e3;
	unsigned received = a->received < a->sent ? a->received : a->sent, count;
	cJSON *tests;

	if (strcmp(st->target, c->target) != 0) {
		vd_bank_restart(&st->bank);
		snprintf(st->target, sizeof(st->target), "%s", c->target);
	}
	/* echo i is answered when the even spread of received over sent
	 * steps there */
	for (unsigned i = 0; i < a->sent; i++) {
		bool answered = (uint64_t)(i + 1) * received / a->sent > (uint64_t)i * received / a->sent;
		vd_bank_echo(&st->bank, answered, answered ? rtt : NAN, NAN);
	}
	if ((tests = vd_bank_json(&st->bank)))
		cJSON_AddItemToObject(sec, VDF_SAMPLE_TESTS, tests);
	if (!smp)
		return;
	vd_pacer_plan(&st->pacer, vd_bank_pace(&st->bank), vd_bank_pace_h1(&st->bank), vd_bank_n_h1(&st->bank),
	              c->run->interval_s, now, &count, &delay);
	c->run->next_s = delay;
}

static void on_answer(struct refl_ctx *c, const struct vd_rfl_response *a)
{
	struct probe_run *run = c->run;
	char seen[INET6_ADDRSTRLEN];
	cJSON *sec;

	if (a->status != VD_RFL_OK) {
		PROBE_ERROR(run, N_("the reflector at {address} answered: {status}"), VD_TEXT("address", c->target),
		            VD_TEXT("status", vd_rfl_status_name(a->status)));
		finish(c, PROBE_FAIL, NULL);
		return;
	}
	if (!(sec = cJSON_CreateObject())) {
		finish(c, PROBE_FAIL, NULL);
		return;
	}
	inet_ntop(a->family, a->addr, seen, sizeof(seen));
	cJSON_AddStringToObject(sec, VDF_REFLECTOR_REFLECTOR, c->target);
	cJSON_AddNumberToObject(sec, VDF_SAMPLE_SENT, a->sent);
	cJSON_AddNumberToObject(sec, VDF_SAMPLE_RECEIVED, a->received);
	cJSON_AddNumberToObject(sec, VDF_SAMPLE_LOSS_PCT, a->sent ? 100.0 * (a->sent - a->received) / a->sent : 0);
	cJSON_AddStringToObject(sec, VDF_REFLECTOR_SOURCE_SEEN, seen);
	if (a->received) {
		cJSON_AddNumberToObject(sec, VDF_SAMPLE_RTT_MIN_MS, ms(a->rtt_min_us));
		cJSON_AddNumberToObject(sec, VDF_SAMPLE_RTT_AVG_MS, ms(a->rtt_avg_us));
		cJSON_AddNumberToObject(sec, VDF_SAMPLE_RTT_MAX_MS, ms(a->rtt_max_us));
	}
	if (a->sent)
		feed_tests(c, a, sec);
	finish(c, a->sent ? PROBE_OK : PROBE_FAIL, sec);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct refl_ctx *c = arg;

	(void)what;
	for (int i = 0; i < 8; i++) {
		uint8_t buf[VD_RFL_RESPONSE_LEN + 1];
		struct vd_rfl_response a;
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == ECONNREFUSED) {
				PROBE_ERROR(c->run, N_("the reflector at {address} refused (nothing listens on that port)"),
				            VD_TEXT("address", c->target));
				finish(c, PROBE_FAIL, NULL);
			}
			return;
		}
		if (vd_rfl_response_parse(buf, (size_t)n, c->key, c->keylen, &a) < 0)
			continue; /* not from the reflector we share the key with */
		for (unsigned k = 0; k < c->tries; k++)
			if (memcmp(a.nonce, c->nonce[k], VD_RFL_NONCE_LEN) == 0) {
				on_answer(c, &a);
				return;
			}
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct refl_ctx *c = arg;
	int r;

	(void)fd;
	(void)what;
	if (c->tries < REFL_TRIES && (r = send_request(c)) == 0)
		return;
	PROBE_ERROR(c->run,
	            N_("no answer from the reflector at {address} (is it running, with the same key, and a clock within {seconds} s?)"),
	            VD_TEXT("address", c->target), VD_NUM("seconds", VD_RFL_WINDOW_S, 0));
	finish(c, PROBE_FAIL, NULL);
}

static int reflector_start(struct probe_run *run)
{
	const struct probe_tunnel *t = run->tunnel;
	const cJSON *ovpn = probe_run_section(run, VDF_TUNNEL_OPENVPN), *routes = probe_run_section(run, VDF_TUNNEL_ROUTES);
	const char *state, *dev = NULL;
	struct sockaddr_storage ss;
	socklen_t len;
	struct refl_ctx *c;
	const char *why = "";
	struct refl_state *st = *run->state;
	const struct vd_sampling *smp = vd_sampling_find(VDF_TUNNEL_REFLECTOR);
	int r;

	if (!t || !smp)
		return -EINVAL;
	if (!st) {
		if (!(st = calloc(1, sizeof(*st))))
			return -ENOMEM;
		if (vd_bank_init(&st->bank, VDF_TUNNEL_REFLECTOR, refl_tests) < 0) {
			free(st);
			return -EINVAL;
		}
		vd_pacer_init(&st->pacer, smp, pu_mono_ms() / 1e3);
		*run->state = st;
	}
	if (!t->reflector || !t->reflector_key) {
		PROBE_ERROR(run, N_("no Reflector= and ReflectorKey= for this tunnel"));
		probe_run_done(run, PROBE_UNKNOWN, NULL);
		return 0;
	}
	state = pu_jstr(ovpn, VDF_OPENVPN_STATE);
	if (state && strcmp(state, "connected") != 0) {
		pu_error_tunnel_down(run, state);
		probe_run_done(run, PROBE_UNKNOWN, NULL);
		return 0;
	}
	if (pu_jstr(routes, VDF_ROUTES_TUN_DEV) && *pu_jstr(routes, VDF_ROUTES_TUN_DEV))
		dev = pu_jstr(routes, VDF_ROUTES_TUN_DEV);
	if (vd_parse_hostport(t->reflector, &ss, &len) < 0)
		return -EINVAL; /* config.c checked it */
	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	c->run = run;
	c->st = st;
	c->fd = -1;
	snprintf(c->target, sizeof(c->target), "%s", t->reflector);
	if ((r = read_key(t->reflector_key, c->key, sizeof(c->key), &c->keylen, &why)) < 0) {
		PROBE_ERROR(run, N_("ReflectorKey={file}: {error}"), VD_TEXT("file", t->reflector_key),
		            VD_TEXT("error", r == -EINVAL || r == -EFBIG ? why : strerror(-r)));
		ctx_free(c);
		probe_run_done(run, PROBE_FAIL, NULL);
		return 0;
	}
	c->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		r = -errno;
		ctx_free(c);
		return r;
	}
	/* through the tunnel even where a route would say otherwise; best
	 * effort (it takes CAP_NET_RAW): the routes probe checks the route */
	if (dev)
		(void)setsockopt(c->fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev) + 1);
	/* connected: an ICMP port unreachable becomes ECONNREFUSED */
	if (connect(c->fd, (struct sockaddr *)&ss, len) < 0) {
		PROBE_ERROR(run, N_("reflector {address}: {error}"),
		            VD_TEXT("address", c->target), VD_TEXT("error", strerror(errno)));
		ctx_free(c);
		probe_run_done(run, PROBE_FAIL, NULL);
		return 0;
	}
	c->rd = event_new(run->base, c->fd, EV_READ | EV_PERSIST, on_read, c);
	c->timer = evtimer_new(run->base, on_timer, c);
	if (!c->rd || !c->timer || event_add(c->rd, NULL) < 0) {
		ctx_free(c);
		return -ENOMEM;
	}
	run->priv = c;
	if ((r = send_request(c)) < 0) {
		PROBE_ERROR(run, N_("reflector {address}: {error}"),
		            VD_TEXT("address", c->target), VD_TEXT("error", strerror(-r)));
		finish(c, PROBE_FAIL, NULL);
	}
	return 0;
}

static void reflector_cancel(struct probe_run *run)
{
	ctx_free(run->priv);
	run->priv = NULL;
}

const struct probe probe_reflector = {
	.name = "reflector",
	.section = VDF_TUNNEL_REFLECTOR,
	.config_section = "Reflector",
	.per_tunnel = true,
	.interval_s = 120,
	.events = PROBE_EV_OPENVPN,
	.needs = (const char *const[]){VDF_TUNNEL_OPENVPN, VDF_TUNNEL_ROUTES, NULL},
	.start = reflector_start,
	.cancel = reflector_cancel,
	.free_state = free,
};
