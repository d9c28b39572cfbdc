/* The timeline in the daemon (daemon/timeline.c, daemon/recording.c): probe
 * results through the model become minute records (echoes pooled, the
 * tunnel's own transport's handshake, the host's clock in every tunnel,
 * rates, state and the worst health), written when the next minute starts
 * and by a flush, read back by a query (one tunnel, all, unknown, a FIFO in
 * the way); a restart goes on in the same file; expired files and the
 * bound on files; and a recording on a real loop with fake probes: driven
 * back to back, per-second samples, one at a time, stopped early, bounds.
 * vd-tier: check (no root, no namespace) */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <event2/event.h>

#include "config.h"
#include "model.h"
#include "recording.h"
#include "scheduler.h"
#include "timeline.h"
#include "tlfile.h"

static const struct probe fake_ping = {.name = "ping", .section = "ping", .per_tunnel = true};
static const struct probe fake_path = {.name = "path", .section = "path", .per_tunnel = true};
static const struct probe fake_transport = {.name = "transport", .section = "transport", .per_tunnel = true};
static const struct probe fake_throughput = {.name = "throughput", .section = "throughput", .per_tunnel = true};
static const struct probe fake_openvpn = {.name = "openvpn", .section = "openvpn", .per_tunnel = true};
static const struct probe fake_clock = {.name = "clock", .section = "clock"};

#define M0 1790000040 /* a minute's start */
static int64_t fake_now = M0;
static int64_t clock_fn(void)
{
	return fake_now;
}

struct fx {
	char dir[64];
	int dirfd;
	struct event_base *base;
	struct vd_daemon *d;
	struct timeline *tl;
};

/* The directories made, removed by the group's teardown too: a failed
 * assertion leaves a test before its fx_free. */
static char made[8][64];
static size_t n_made;

static int remove_made(void **state)
{
	char cmd[96];

	for (size_t i = 0; i < n_made; i++) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%.63s'", made[i]);
		if (system(cmd) != 0)
			return -1;
	}
	n_made = 0;
	return 0;
}

static struct fx *fx_new(const char *conf)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct config *cfg = NULL;
	struct vd_error err;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/vd-tl-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	if (n_made < 8)
		snprintf(made[n_made++], sizeof(made[0]), "%s", f->dir);
	f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->dirfd >= 0);
	assert_int_equal(config_parse_string("/tmp/t.conf", conf, &cfg, &err), 0);
	f->base = event_base_new();
	assert_int_equal(daemon_new(f->base, cfg, NULL, &f->d), 0);
	daemon_set_clock(f->d, clock_fn);
	assert_int_equal(timeline_new(f->base, f->d, f->dirfd, &f->tl), 0);
	return f;
}

static void fx_free(struct fx *f)
{
	char cmd[128];

	timeline_free(f->tl);
	daemon_free(f->d);
	event_base_free(f->base);
	close(f->dirfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
}

static void result(struct fx *f, const struct probe *p, const char *tunnel, const char *json)
{
	cJSON *sec = cJSON_Parse(json);

	assert_non_null(sec);
	model_probe_result(f->d, p, tunnel, PROBE_OK, sec, NULL, fake_now, 10);
}

/* Every sample a query gives. */
static cJSON *query(struct fx *f, const char *tunnel, int64_t since, int64_t until, uint32_t res, int *err)
{
	struct timeline_query *q;
	cJSON *page = cJSON_CreateArray();
	size_t bytes = 0;
	int r;

	*err = timeline_query_open(f->tl, tunnel, since, until, res, &q);
	if (*err < 0) {
		cJSON_Delete(page);
		return NULL;
	}
	while ((r = timeline_query_step(q, page, &bytes, SIZE_MAX)) != TLFILE_END)
		assert_true(r == TLFILE_AGAIN || r == TLFILE_FULL);
	timeline_query_free(q);
	return page;
}

static double num(const cJSON *o, const char *path)
{
	char buf[128], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save))
		o = cJSON_GetObjectItemCaseSensitive(o, tok);
	return cJSON_IsNumber(o) ? o->valuedouble : NAN;
}

static const char *echo_json =
	"{\"status\":\"ok\",\"at\":0,\"server_end\":{\"addr\":\"10.8.0.1\",\"sent\":10,\"received\":10,"
	"\"loss_pct\":0,\"rtt_min_ms\":9,\"rtt_avg_ms\":10,\"rtt_max_ms\":14,\"rtt_p95_ms\":13,\"jitter_ms\":1,"
	"\"unreachable\":0,\"ttl_exceeded\":0},\"targets\":[{\"addr\":\"172.16.1.20\",\"sent\":10,\"received\":5,"
	"\"loss_pct\":50,\"rtt_min_ms\":30,\"rtt_avg_ms\":31,\"rtt_max_ms\":40,\"rtt_p95_ms\":39,\"jitter_ms\":4,"
	"\"unreachable\":0,\"ttl_exceeded\":0}]}";

static void test_minutes(void **state)
{
	struct fx *f;
	cJSON *all, *s;
	int err;

	fake_now = M0 + 5;
	f = fx_new("[Tunnel office]\nConfig=/nonexistent/office.conf\n[Tunnel home]\nConfig=/nonexistent/home.conf\n");
	result(f, &fake_openvpn, "office", "{\"status\":\"ok\",\"state\":\"connected\"}");
	result(f, &fake_ping, "office", echo_json);
	fake_now = M0 + 30;
	result(f, &fake_path, "office",
	       "{\"status\":\"ok\",\"method\":\"icmp\",\"socket\":\"dgram\",\"addr\":\"192.0.2.1\",\"sent\":10,"
	       "\"received\":9,\"loss_pct\":10,\"rtt_min_ms\":20,\"rtt_avg_ms\":25,\"rtt_median_ms\":22,"
	       "\"rtt_p95_ms\":30,\"jitter_ms\":2,\"unreachable\":0,\"ttl_exceeded\":0}");
	result(f, &fake_transport, "office",
	       "{\"status\":\"ok\",\"gateway\":\"192.0.2.1\",\"port\":1194,\"proto\":\"tcp\",\"wrap\":\"none\","
	       "\"udp\":{\"result\":\"answered\",\"rtt_ms\":5},\"tcp\":{\"result\":\"answered\",\"rtt_ms\":44}}");
	result(f, &fake_throughput, "office",
	       "{\"status\":\"ok\",\"dev\":\"tun0\",\"rx_mbps\":2,\"tx_mbps\":1,\"rx_peak_mbps\":8,\"tx_peak_mbps\":3,"
	       "\"rx_pps\":10,\"tx_pps\":10,\"window_s\":30}");
	result(f, &fake_clock, NULL, "{\"status\":\"ok\",\"offset_s\":-1.5}");
	/* a run that could not measure adds nothing */
	model_probe_result(f->d, &fake_ping, "office", PROBE_FAIL, cJSON_Parse("{\"status\":\"fail\"}"), "x", fake_now,
	                   1);
	/* the next minute: office's first result writes minute M0 */
	fake_now = M0 + 61;
	result(f, &fake_ping, "office", echo_json);
	all = query(f, "office", 0, INT64_MAX / 2, 60, &err);
	assert_int_equal(err, 0);
	assert_int_equal(cJSON_GetArraySize(all), 1);
	s = cJSON_GetArrayItem(all, 0);
	assert_int_equal(num(s, "time"), M0);
	assert_string_equal(cJSON_GetObjectItem(s, "state")->valuestring, "connected");
	/* the server end and the target pooled: 20 sent, 15 back */
	assert_int_equal(num(s, "inside.sent"), 20);
	assert_int_equal(num(s, "inside.received"), 15);
	assert_float_equal(num(s, "inside.loss_pct"), 25, 1e-9);
	assert_int_equal(num(s, "inside.rtt_min_ms"), 9);
	assert_int_equal(num(s, "inside.rtt_median_ms"), 10); /* 10 answers at 10, 5 at 31 */
	assert_int_equal(num(s, "inside.rtt_p95_ms"), 39);
	assert_float_equal(num(s, "inside.jitter_ms"), (10 * 1 + 5 * 4) / 15.0, 1e-3);
	assert_int_equal(num(s, "outside.rtt_median_ms"), 22);
	assert_int_equal(num(s, "outside.received"), 9);
	assert_int_equal(num(s, "handshake_ms"), 44); /* TCP: the tunnel's own */
	assert_float_equal(num(s, "clock_offset_s"), -1.5, 1e-9);
	assert_int_equal(num(s, "rx_mbps"), 2);
	assert_int_equal(num(s, "tx_peak_mbps"), 3);
	/* office has no config file: its health is what the model says now */
	assert_non_null(cJSON_GetObjectItem(s, "health"));
	cJSON_Delete(all);

	/* the minute in progress reaches the file with a flush; home (no result)
	 * has a record only from the minute timer, which has not run */
	timeline_flush(f->tl);
	all = query(f, NULL, 0, INT64_MAX / 2, 60, &err);
	assert_int_equal(cJSON_GetArraySize(all), 2);
	s = cJSON_GetArrayItem(all, 1);
	assert_int_equal(num(s, "time"), M0 + 60);
	assert_int_equal(num(s, "inside.sent"), 20);
	cJSON_Delete(all);

	/* a restart in the same minute: the same file goes on, the two records
	 * of the minute read as one */
	timeline_free(f->tl);
	assert_int_equal(timeline_new(f->base, f->d, f->dirfd, &f->tl), 0);
	fake_now = M0 + 70;
	result(f, &fake_ping, "office", echo_json);
	fake_now = M0 + 125;
	result(f, &fake_ping, "office", echo_json);
	all = query(f, "office", 0, INT64_MAX / 2, 60, &err);
	assert_int_equal(cJSON_GetArraySize(all), 2);
	s = cJSON_GetArrayItem(all, 1);
	assert_int_equal(num(s, "time"), M0 + 60);
	assert_int_equal(num(s, "periods"), 2);
	assert_int_equal(num(s, "inside.sent"), 40);
	cJSON_Delete(all);

	/* since/until and a coarser resolution */
	all = query(f, "office", M0 + 60, M0 + 120, 60, &err);
	assert_int_equal(cJSON_GetArraySize(all), 1);
	cJSON_Delete(all);
	all = query(f, "office", 0, INT64_MAX / 2, 3600, &err);
	assert_int_equal(cJSON_GetArraySize(all), 1);
	assert_int_equal(num(cJSON_GetArrayItem(all, 0), "periods"), 3);
	cJSON_Delete(all);

	/* a tunnel with neither a configuration nor a file; a bad resolution */
	assert_null(query(f, "nowhere", 0, 1, 60, &err));
	assert_int_equal(err, -ENOENT);
	assert_null(query(f, "office", 0, 1, 90, &err));
	assert_int_equal(err, -EINVAL);
	/* home is configured: no file yet is no sample, not an error */
	all = query(f, "home", 0, INT64_MAX / 2, 60, &err);
	assert_int_equal(err, 0);
	assert_int_equal(cJSON_GetArraySize(all), 0);
	cJSON_Delete(all);
	fx_free(f);
}

static void test_files(void **state)
{
	struct fx *f;
	char path[160];
	struct timeval old[2] = {{0, 0}, {0, 0}};
	cJSON *all;
	int err, fd;

	fake_now = (int64_t)time(NULL) / 60 * 60;
	f = fx_new("[Tunnel office]\nConfig=/nonexistent/office.conf\n");
	timeline_free(f->tl);
	f->tl = NULL;
	/* a file nobody wrote for nine days goes; one of yesterday stays */
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/timeline.%s", f->dir, i ? "fresh" : "stale");
		fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0640);
		assert_true(fd >= 0);
		close(fd);
		old[0].tv_sec = old[1].tv_sec = (time_t)(fake_now - (i ? 86400 : 9 * 86400));
		assert_int_equal(utimes(path, old), 0);
	}
	/* a FIFO in the way is not read (and does not block the query) */
	snprintf(path, sizeof(path), "%s/timeline.fifo", f->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(timeline_new(f->base, f->d, f->dirfd, &f->tl), 0);
	snprintf(path, sizeof(path), "%s/timeline.stale", f->dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/timeline.fresh", f->dir);
	assert_int_equal(access(path, F_OK), 0);
	alarm(10);
	all = query(f, NULL, 0, INT64_MAX / 2, 60, &err);
	alarm(0);
	assert_int_equal(err, 0);
	assert_int_equal(cJSON_GetArraySize(all), 0);
	cJSON_Delete(all);

	/* the bound: with TIMELINE_MAX_FILES files of tunnels gone, a new
	 * tunnel's file takes the place of the least recently written */
	for (int i = 0; i < TIMELINE_MAX_FILES - 1; i++) {
		snprintf(path, sizeof(path), "%s/timeline.gone%02d", f->dir, i);
		fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0640);
		assert_true(fd >= 0);
		close(fd);
		old[0].tv_sec = old[1].tv_sec = (time_t)(fake_now - 3600 + i);
		assert_int_equal(utimes(path, old), 0);
	}
	/* with fresh (a day old) and gone00..gone30 (an hour) there are 32:
	 * office takes the place of fresh, the least recently written */
	result(f, &fake_ping, "office", echo_json);
	fake_now += 60;
	result(f, &fake_ping, "office", echo_json);
	snprintf(path, sizeof(path), "%s/timeline.fresh", f->dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/timeline.gone00", f->dir);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/timeline.office", f->dir);
	assert_int_equal(access(path, F_OK), 0);
	fx_free(f);
}

/* ---- recording on a real loop ------------------------------------------------------ */

static unsigned ping_runs;

static int fake_ping_start(struct probe_run *run)
{
	ping_runs++;
	probe_run_done(run, PROBE_OK, cJSON_Parse(echo_json));
	return 0;
}

static const struct probe drv_ping = {
	.name = "ping", .section = "ping", .per_tunnel = true, .interval_s = 3600, .start = fake_ping_start,
};
static const struct probe *const drv_probes[] = {&drv_ping};

struct rec_watch {
	unsigned progress, done;
	unsigned last_elapsed;
	struct event_base *base;
};

static void on_progress(void *userdata, unsigned elapsed_s, unsigned duration_s, size_t samples)
{
	struct rec_watch *w = userdata;

	w->progress++;
	w->last_elapsed = elapsed_s;
	assert_true(elapsed_s <= duration_s);
}

static void on_done(void *userdata)
{
	struct rec_watch *w = userdata;

	w->done++;
	event_base_loopbreak(w->base);
}

static int64_t real_now(void)
{
	return (int64_t)time(NULL);
}

static cJSON *result_all(struct recording *r, cJSON **head)
{
	cJSON *all = cJSON_CreateArray();
	int e;

	*head = cJSON_CreateObject();
	do {
		cJSON *page = cJSON_CreateArray();
		size_t bytes = 0;

		cJSON_Delete(*head);
		*head = cJSON_CreateObject();
		e = recording_result_step(r, *head, page, &bytes, 4096);
		assert_true(e == TLFILE_FULL || e == TLFILE_END);
		while (cJSON_GetArraySize(page))
			cJSON_AddItemToArray(all, cJSON_DetachItemFromArray(page, 0));
		cJSON_Delete(page);
	} while (e == TLFILE_FULL);
	return all;
}

static void test_recording(void **state)
{
	struct fx *f = fx_new("[Tunnel office]\nConfig=/nonexistent/office.conf\n"
	                      "[Tunnel home]\nConfig=/nonexistent/home.conf\n");
	struct rec_watch w = {.base = f->base};
	struct recording *r = NULL, *r2 = NULL;
	struct timeval guard = {6, 0};
	int64_t since = 0;
	cJSON *all, *head, *s;

	daemon_set_clock(f->d, real_now);
	assert_int_equal(daemon_start_probes_with(f->d, drv_probes, 1), 0);
	/* the bounds */
	assert_int_equal(recording_start(f->tl, NULL, 0, on_progress, on_done, &w, &r, &since), -EINVAL);
	assert_int_equal(recording_start(f->tl, NULL, RECORDING_MAX_S + 1, on_progress, on_done, &w, &r, &since),
	                 -EINVAL);
	assert_int_equal(recording_start(f->tl, "nowhere", 2, on_progress, on_done, &w, &r, &since), -ENOENT);
	/* two seconds of office only */
	assert_int_equal(recording_start(f->tl, "office", 2, on_progress, on_done, &w, &r, &since), 0);
	assert_int_equal(recording_start(f->tl, NULL, 2, on_progress, on_done, &w, &r2, &since), -EBUSY);
	assert_true(since > 0);
	assert_ptr_equal(timeline_recording(f->tl), r);
	ping_runs = 0;
	event_base_loopexit(f->base, &guard);
	event_base_dispatch(f->base);
	assert_int_equal(w.done, 1);
	assert_true(w.progress >= 1);
	assert_null(timeline_recording(f->tl));
	/* once a second at most, for office only: 2 or 3 runs in 2 s */
	assert_true(ping_runs >= 1 && ping_runs <= 5);
	all = result_all(r, &head);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(head, "stopped_early")));
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(head, "truncated")));
	assert_string_equal(cJSON_GetObjectItem(head, "tunnel")->valuestring, "office");
	assert_int_equal(num(head, "duration_s"), 2);
	assert_true(cJSON_GetArraySize(all) >= 2);
	cJSON_ArrayForEach(s, all) {
		assert_string_equal(cJSON_GetObjectItem(s, "tunnel")->valuestring, "office");
		assert_int_equal(num(s, "period_s"), 1);
		assert_true(num(s, "inside.sent") >= 20);
		assert_true(num(s, "time") >= num(head, "started") && num(s, "time") <= num(head, "ended"));
	}
	cJSON_Delete(all);
	cJSON_Delete(head);
	recording_free(r);

	/* every tunnel, stopped early: done still comes, with what it had */
	memset(&w, 0, sizeof(w));
	w.base = f->base;
	assert_int_equal(recording_start(f->tl, NULL, 60, on_progress, on_done, &w, &r, &since), 0);
	{
		struct timeval half = {1, 500000};

		event_base_loopexit(f->base, &half);
		event_base_dispatch(f->base);
	}
	assert_int_equal(w.done, 0);
	recording_stop(r);
	event_base_loopexit(f->base, &guard);
	event_base_dispatch(f->base);
	assert_int_equal(w.done, 1);
	all = result_all(r, &head);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(head, "stopped_early")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(head, "tunnel")));
	{
		bool office = false, home = false;

		cJSON_ArrayForEach(s, all) {
			office |= strcmp(cJSON_GetObjectItem(s, "tunnel")->valuestring, "office") == 0;
			home |= strcmp(cJSON_GetObjectItem(s, "tunnel")->valuestring, "home") == 0;
		}
		assert_true(office && home);
	}
	cJSON_Delete(all);
	cJSON_Delete(head);
	recording_free(r);

	/* the client goes before the end: nothing is called after */
	memset(&w, 0, sizeof(w));
	w.base = f->base;
	assert_int_equal(recording_start(f->tl, NULL, 60, on_progress, on_done, &w, &r, &since), 0);
	recording_free(r);
	assert_null(timeline_recording(f->tl));
	{
		struct timeval one = {1, 200000};

		event_base_loopexit(f->base, &one);
		event_base_dispatch(f->base);
	}
	assert_int_equal(w.done + w.progress, 0);

	/* the timeline goes before the client (shutdown): detached, still freed */
	assert_int_equal(recording_start(f->tl, NULL, 60, on_progress, on_done, &w, &r, &since), 0);
	timeline_free(f->tl);
	f->tl = NULL;
	recording_free(r);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minutes),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_recording),
	};

	return cmocka_run_group_tests(tests, NULL, remove_made);
}
