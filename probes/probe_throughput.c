/* The throughput probe: the tun link's byte and packet counters sampled every
 * TP_SAMPLE_S seconds into a ring covering TP_WINDOW_S, and the rates over it:
 * rx_mbps/tx_mbps are the mean over the window (what gateway-bandwidth reads:
 * a gateway "sits at" its limit, so a sustained rate, not a burst), with the
 * busiest sample interval as rx_peak_mbps/tx_peak_mbps next to them.
 *
 * Counters come from netlink (RTM_GETLINK for the one link, libnl's
 * rtnl_link_get_kernel) rather than /sys/class/net/DEV/statistics: one
 * request gives all counters of one instant as 64-bit values together with
 * the ifindex, so a tun that OpenVPN re-created between two samples (counters
 * back at zero) is seen as such instead of as a negative rate; and it works
 * where /sys is not mounted. The sampler lives in the slot's state from the
 * first run on; a run reads the ring and ends at once (the first one waits
 * for a second sample). Sampling costs one netlink round trip per 4-6 s (on
 * the grid of the timers at rest: no wake-up of its own), and
 * only while a tun link exists: the sampler stops when the openvpn and routes
 * sections know none or the link is gone, and a run that finds one starts it
 * again, so an idle daemon without a tunnel up is not woken for it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "vpndoctor/facts.h"
#include "vpndoctor/sampler.h"

#include "probe.h"

#define TP_SAMPLE_S 5
#define TP_WINDOW_S 30
#define TP_RING (TP_WINDOW_S / TP_SAMPLE_S + 1)
#define TP_DEV_LEN 16

struct tp_sample {
	double t; /* monotonic seconds */
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets;
};

struct tp_state {
	struct nl_sock *sk;
	struct event *timer;
	char dev[TP_DEV_LEN];
	int ifindex;
	struct tp_sample ring[TP_RING];
	size_t head, n;              /* oldest at head */
	struct probe_run *waiting;   /* a first run waiting for its second sample */
	const char *err;             /* why the last sample failed: a template (probe.h), or NULL */
	const char *err_text;        /* its {error}: libnl's words */
};

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool section_ok(const cJSON *s)
{
	const char *st = jstr(s, VDF_SECTION_STATUS);
	return st && strcmp(st, "ok") == 0;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void state_free(void *p)
{
	struct tp_state *st = p;

	if (!st)
		return;
	if (st->timer)
		event_free(st->timer);
	if (st->sk)
		nl_socket_free(st->sk);
	free(st);
}

static const struct tp_sample *ring_at(const struct tp_state *st, size_t i)
{
	return &st->ring[(st->head + i) % TP_RING];
}

/* One sample of dev. A counter that went down or a new ifindex restarts the
 * ring: the rates across it would be meaningless. */
static void sample(struct tp_state *st)
{
	struct rtnl_link *link = NULL;
	struct tp_sample s;
	int r, ifindex;

	if (!*st->dev)
		return;
	if (!st->sk) {
		if (!(st->sk = nl_socket_alloc()))
			return;
		if (nl_connect(st->sk, NETLINK_ROUTE) < 0) {
			nl_socket_free(st->sk);
			st->sk = NULL;
			st->err = N_("netlink: cannot connect");
			return;
		}
	}
	r = rtnl_link_get_kernel(st->sk, 0, st->dev, &link);
	if (r < 0) {
		st->err = N_("{device}: {error}");
		st->err_text = nl_geterror(r);
		st->n = 0;
		evtimer_del(st->timer); /* the link is gone: the next run looks again */
		return;
	}
	st->err = NULL;
	s.t = mono_s();
	s.rx_bytes = rtnl_link_get_stat(link, RTNL_LINK_RX_BYTES);
	s.tx_bytes = rtnl_link_get_stat(link, RTNL_LINK_TX_BYTES);
	s.rx_packets = rtnl_link_get_stat(link, RTNL_LINK_RX_PACKETS);
	s.tx_packets = rtnl_link_get_stat(link, RTNL_LINK_TX_PACKETS);
	ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	if (st->n) {
		const struct tp_sample *last = ring_at(st, st->n - 1);
		if (ifindex != st->ifindex || s.rx_bytes < last->rx_bytes || s.tx_bytes < last->tx_bytes)
			st->n = 0;
	}
	st->ifindex = ifindex;
	if (st->n == TP_RING) {
		st->head = (st->head + 1) % TP_RING;
		st->n--;
	}
	st->ring[(st->head + st->n) % TP_RING] = s;
	st->n++;
}

static double mbps(uint64_t bytes, double s)
{
	double v = s > 0 ? (double)bytes * 8.0 / s / 1e6 : 0;
	return (double)(long long)(v * 1000.0 + 0.5) / 1000.0;
}

static void report(struct tp_state *st, struct probe_run *run)
{
	const struct tp_sample *a, *b;
	double rx_peak = 0, tx_peak = 0, span;
	cJSON *sec;

	if (st->n < 2) {
		PROBE_ERROR(run, st->err ? st->err : N_("no counters yet"), VD_TEXT("device", st->dev),
		            VD_TEXT("error", st->err_text ? st->err_text : ""));
		probe_run_done(run, st->err ? PROBE_FAIL : PROBE_UNKNOWN, NULL);
		return;
	}
	for (size_t i = 1; i < st->n; i++) {
		a = ring_at(st, i - 1);
		b = ring_at(st, i);
		double r = mbps(b->rx_bytes - a->rx_bytes, b->t - a->t), t = mbps(b->tx_bytes - a->tx_bytes, b->t - a->t);
		rx_peak = r > rx_peak ? r : rx_peak;
		tx_peak = t > tx_peak ? t : tx_peak;
	}
	a = ring_at(st, 0);
	b = ring_at(st, st->n - 1);
	span = b->t - a->t;
	if (!(sec = cJSON_CreateObject())) {
		probe_run_done(run, PROBE_FAIL, NULL);
		return;
	}
	cJSON_AddStringToObject(sec, VDF_THROUGHPUT_DEV, st->dev);
	cJSON_AddNumberToObject(sec, VDF_THROUGHPUT_RX_MBPS, mbps(b->rx_bytes - a->rx_bytes, span));
	cJSON_AddNumberToObject(sec, VDF_THROUGHPUT_TX_MBPS, mbps(b->tx_bytes - a->tx_bytes, span));
	cJSON_AddNumberToObject(sec, VDF_THROUGHPUT_RX_PEAK_MBPS, rx_peak);
	cJSON_AddNumberToObject(sec, VDF_THROUGHPUT_TX_PEAK_MBPS, tx_peak);
	cJSON_AddNumberToObject(sec, VDF_THROUGHPUT_RX_PPS,
	                        (double)(long long)((double)(b->rx_packets - a->rx_packets) / span + 0.5));
	cJSON_AddNumberToObject(sec, VDF_THROUGHPUT_TX_PPS,
	                        (double)(long long)((double)(b->tx_packets - a->tx_packets) / span + 0.5));
	cJSON_AddNumberToObject(sec, VDF_THROUGHPUT_WINDOW_S, (double)(long long)(span + 0.5));
	probe_run_done(run, PROBE_OK, sec);
}

/* The next sample in about TP_SAMPLE_S, on the grid the other timers at rest
 * share (4 or 6 s: the rates are over the samples' own times). */
static int arm(struct tp_state *st)
{
	struct timespec ts;
	struct timeval tv;
	double d;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	d = vd_tick_align((double)ts.tv_sec + (double)ts.tv_nsec / 1e9, TP_SAMPLE_S, VD_TICK_GRID_S);
	tv.tv_sec = (time_t)d;
	tv.tv_usec = (suseconds_t)((d - (double)tv.tv_sec) * 1e6);
	return evtimer_add(st->timer, &tv);
}

static void on_sample(evutil_socket_t fd, short what, void *arg)
{
	struct tp_state *st = arg;
	struct probe_run *w = st->waiting;

	(void)fd;
	(void)what;
	arm(st);
	sample(st);
	if (w) {
		st->waiting = NULL;
		report(st, w);
	}
}

static int tp_start(struct probe_run *run)
{
	const cJSON *ovpn = probe_run_section(run, VDF_TUNNEL_OPENVPN), *routes = probe_run_section(run, VDF_TUNNEL_ROUTES);
	const char *dev = NULL;
	struct tp_state *st = *run->state;

	if (!run->tunnel)
		return -EINVAL;
	if (section_ok(ovpn)) {
		const cJSON *tun = cJSON_GetObjectItemCaseSensitive(ovpn, VDF_OPENVPN_TUN);
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(tun, VDF_TUN_PRESENT)))
			dev = jstr(tun, VDF_TUN_NAME);
	}
	if (section_ok(routes) && jstr(routes, VDF_ROUTES_TUN_DEV) && *jstr(routes, VDF_ROUTES_TUN_DEV))
		dev = jstr(routes, VDF_ROUTES_TUN_DEV);
	if (!dev || !*dev) {
		if (st) {
			st->n = 0;
			evtimer_del(st->timer);
		}
		PROBE_ERROR(run, N_("no tun link known"));
		probe_run_done(run, PROBE_UNKNOWN, NULL);
		return 0;
	}
	if (!st) {
		if (!(st = calloc(1, sizeof(*st))))
			return -ENOMEM;
		if (!(st->timer = evtimer_new(run->base, on_sample, st))) {
			state_free(st);
			return -ENOMEM;
		}
		*run->state = st;
	}
	if (!evtimer_pending(st->timer, NULL)) {
		if (arm(st) < 0)
			return -ENOMEM;
		st->n = 0; /* a gap in the samples: start the window over */
	}
	if (strcmp(st->dev, dev) != 0) {
		snprintf(st->dev, sizeof(st->dev), "%s", dev);
		st->n = 0;
	}
	if (st->n == 0)
		sample(st);
	if (st->n >= 2) {
		report(st, run);
		return 0;
	}
	if (st->err && st->n == 0) {
		report(st, run);
		return 0;
	}
	/* the next sample ends this run (within TP_SAMPLE_S) */
	st->waiting = run;
	return 0;
}

static void tp_cancel(struct probe_run *run)
{
	struct tp_state *st = *run->state;

	if (st && st->waiting == run)
		st->waiting = NULL;
}

const struct probe probe_throughput = {
	.name = "throughput",
	.section = VDF_TUNNEL_THROUGHPUT,
	.config_section = "Throughput",
	.per_tunnel = true,
	.interval_s = 30,
	.events = 0,
	.needs = (const char *const[]){VDF_TUNNEL_OPENVPN, VDF_TUNNEL_ROUTES, NULL},
	.start = tp_start,
	.cancel = tp_cancel,
	.free_state = state_free,
};
