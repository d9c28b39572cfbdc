/* Driver of bench_metrics.sh: the daemon's model and metrics writer on a real
 * event loop, fed probe results as fast as a busy laptop could give them
 * (every 100 ms, with findings opening and resolving), for CADENCE_S
 * seconds. Prints every interval between two renames of vpndoctor.prom (seen
 * with inotify) and then the cost of one write (status + facts + render +
 * write + fsync + rename), as the mean of N writes, in CPU and wall time.
 * Usage: driver DIR CADENCE_S N TUNNELS */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "config.h"
#include "metrics.h"
#include "model.h"
#include "probes/probe.h"

struct bench {
	struct vd_daemon *d;
	struct metrics *m;
	struct event_base *base;
	unsigned tunnels;
	unsigned tick;
	double start, last_write, min_gap, max_gap;
	unsigned writes;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/* The sections a connected tunnel's probes give, with values that move, and
 * loss high enough every few seconds to open and then resolve findings. */
static void feed(struct bench *b)
{
	char name[32];
	int64_t t = (int64_t)time(NULL);

	for (unsigned i = 0; i < b->tunnels; i++) {
		double loss = (b->tick / 30 + i) % 2 ? 40 : 0;
		cJSON *ping = cJSON_CreateObject(), *se = cJSON_AddObjectToObject(ping, "server_end");
		cJSON *targets = cJSON_AddArrayToObject(ping, "targets"), *path = cJSON_CreateObject();
		cJSON *tp = cJSON_CreateObject(), *ovpn = cJSON_CreateObject();

		snprintf(name, sizeof(name), "t%u", i);
		cJSON_AddStringToObject(se, "addr", "10.8.0.1");
		cJSON_AddNumberToObject(se, "sent", 10);
		cJSON_AddNumberToObject(se, "received", 10 - loss / 10);
		cJSON_AddNumberToObject(se, "loss_pct", loss);
		cJSON_AddNumberToObject(se, "rtt_avg_ms", 10 + b->tick % 7);
		cJSON_AddNumberToObject(se, "jitter_ms", 0.5);
		for (int k = 0; k < 4; k++) {
			cJSON *x = cJSON_CreateObject();
			char a[32];
			snprintf(a, sizeof(a), "172.16.%u.%d", i, k + 10);
			cJSON_AddStringToObject(x, "addr", a);
			cJSON_AddNumberToObject(x, "loss_pct", loss);
			cJSON_AddNumberToObject(x, "rtt_avg_ms", 20 + k);
			cJSON_AddNumberToObject(x, "jitter_ms", 1);
			cJSON_AddItemToArray(targets, x);
		}
		model_probe_result(b->d, &probe_ping, name, PROBE_OK, ping, NULL, t, 900);
		cJSON_AddNumberToObject(path, "loss_pct", 0);
		cJSON_AddNumberToObject(path, "rtt_avg_ms", 30);
		cJSON_AddNumberToObject(path, "jitter_ms", 2);
		model_probe_result(b->d, &probe_path, name, PROBE_OK, path, NULL, t, 1100);
		cJSON_AddNumberToObject(tp, "rx_mbps", 8.5 + b->tick % 3);
		cJSON_AddNumberToObject(tp, "tx_mbps", 0.4);
		model_probe_result(b->d, &probe_throughput, name, PROBE_OK, tp, NULL, t, 1);
		cJSON_AddStringToObject(ovpn, "state", "connected");
		cJSON_AddBoolToObject(ovpn, "running", true);
		model_probe_result(b->d, &probe_openvpn, name, PROBE_OK, ovpn, NULL, t, 2);
	}
	b->tick++;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	feed(arg);
}

static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;
	char buf[4096] __attribute__((aligned(8)));
	ssize_t n = read(fd, buf, sizeof(buf));

	for (char *p = buf; n > 0 && p < buf + n;) {
		struct inotify_event *ev = (struct inotify_event *)p;
		if (ev->len && strcmp(ev->name, METRICS_FILE) == 0) {
			double t = now_s();
			if (b->writes) {
				double gap = t - b->last_write;
				printf("write %u at %.3f s, %.3f s after the one before\n", b->writes + 1, t - b->start, gap);
				if (b->writes == 1 || gap < b->min_gap)
					b->min_gap = gap;
				if (gap > b->max_gap)
					b->max_gap = gap;
			} else {
				printf("write 1 at %.3f s\n", t - b->start);
			}
			b->last_write = t;
			b->writes++;
		}
		p += sizeof(*ev) + ev->len;
	}
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

static void on_evaluated(void *ud)
{
	metrics_changed(((struct bench *)ud)->m);
}

int main(int argc, char **argv)
{
	struct bench b = {0};
	struct config *cfg = NULL;
	struct vd_error err = {0};
	char *text = NULL;
	size_t len = 0;
	int ifd;

	if (argc != 5) {
		fprintf(stderr, "usage: %s DIR CADENCE_S N TUNNELS\n", argv[0]);
		return 64;
	}
	const char *dir = argv[1];
	int cadence_s = atoi(argv[2]), n = atoi(argv[3]);
	b.tunnels = (unsigned)atoi(argv[4]);
	if (asprintf(&text, "[Metrics]\nTextfileDirectory=%s\n", dir) < 0)
		return 1;
	for (unsigned i = 0; i < b.tunnels; i++) {
		char *more = NULL;
		if (asprintf(&more, "%s[Tunnel t%u]\nTargets=172.16.%u.10\n", text, i, i) < 0)
			return 1;
		free(text);
		text = more;
	}
	if (config_parse_string("bench.conf", text, &cfg, &err) < 0) {
		fprintf(stderr, "config: %s\n", err.msg);
		return 1;
	}
	free(text);
	text = NULL;
	b.base = event_base_new();
	if (daemon_new(b.base, cfg, NULL, &b.d) < 0 || metrics_new(b.base, b.d, dir, &b.m) < 0)
		return 1;
	daemon_set_evaluated_cb(b.d, on_evaluated, &b);

	ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ifd < 0 || inotify_add_watch(ifd, dir, IN_MOVED_TO) < 0)
		return 1;
	struct event *iev = event_new(b.base, ifd, EV_READ | EV_PERSIST, on_inotify, &b);
	struct event *tick = event_new(b.base, -1, EV_PERSIST, on_tick, &b);
	struct event *stop = evtimer_new(b.base, on_stop, b.base);
	struct timeval tv_tick = {0, 100000}, tv_stop = {cadence_s, 0};
	event_add(iev, NULL);
	event_add(tick, &tv_tick);
	evtimer_add(stop, &tv_stop);
	b.start = now_s();
	feed(&b);
	event_base_dispatch(b.base);
	printf("cadence: %u probe results fed in %d s (%u evaluations), %u writes, interval min %.3f s max %.3f s (limit %d s)\n",
	       b.tick * b.tunnels * 4, cadence_s, b.tick * b.tunnels * 4, b.writes, b.min_gap, b.max_gap,
	       METRICS_MIN_INTERVAL_S);

	/* cost of one write, the same path the timer takes */
	cJSON *st = daemon_status(b.d), *facts = model_facts(b.d);
	double c0 = cpu_s(), w0 = now_s(), r_cpu, r_wall;
	for (int i = 0; i < n; i++) {
		cJSON *s2 = daemon_status(b.d), *f2 = model_facts(b.d);
		free(text);
		text = NULL;
		if (metrics_render(s2, f2, &text, &len) < 0)
			return 1;
		cJSON_Delete(s2);
		cJSON_Delete(f2);
	}
	r_cpu = (cpu_s() - c0) / n;
	r_wall = (now_s() - w0) / n;
	c0 = cpu_s();
	w0 = now_s();
	for (int i = 0; i < n; i++)
		if (metrics_write_file(dir, text, len) < 0)
			return 1;
	printf("cost per write (%u tunnels, %zu bytes, %d runs): status+facts+render %.1f us CPU %.1f us wall; "
	       "write+fsync+rename %.1f us CPU %.1f us wall\n",
	       b.tunnels, len, n, r_cpu * 1e6, r_wall * 1e6, (cpu_s() - c0) / n * 1e6, (now_s() - w0) / n * 1e6);
	free(text);
	cJSON_Delete(st);
	cJSON_Delete(facts);
	event_free(iev);
	event_free(tick);
	event_free(stop);
	close(ifd);
	metrics_free(b.m);
	daemon_free(b.d);
	event_base_free(b.base);
	return b.writes > 1 && b.min_gap < METRICS_MIN_INTERVAL_S ? 1 : 0;
}
