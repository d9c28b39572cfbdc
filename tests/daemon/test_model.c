/* The model: grace period, suppression, open/update/resolve events, health,
 * the status document, history, and Check plus the profile probe's inotify
 * watch driving it on a real loop. Probe results are fed directly with a
 * fake clock, through probes that are not in the table (routes, clock).
 * vd-tier: check (no root, no namespace) */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <event2/event.h>

#include "vpndoctor/cause.h"

#include "config.h"
#include "history.h"
#include "log.h"
#include "model.h"
#include "scheduler.h"

static const struct probe fake_routes = {.name = "routes", .section = "routes", .per_tunnel = true};
static const struct probe fake_openvpn = {.name = "openvpn", .section = "openvpn", .per_tunnel = true};
static const struct probe fake_path = {.name = "path", .section = "path", .per_tunnel = true};

static int64_t fake_now = 1000000;
static int64_t clock_fn(void)
{
	return fake_now;
}

struct events {
	char ev[64][16];
	char cause[64][40];
	char suppressed_by[64][40];
	size_t n;
	uint64_t serial; /* of the last event: each new one is higher */
};

static void on_event(void *userdata, const cJSON *e, uint64_t serial)
{
	struct events *ev = userdata;
	const cJSON *f = cJSON_GetObjectItem(e, "finding");
	const cJSON *sb = cJSON_GetObjectItem(f, "suppressed_by");

	assert_true(ev->n < 64);
	assert_true(serial > ev->serial);
	ev->serial = serial;
	snprintf(ev->ev[ev->n], sizeof(ev->ev[0]), "%s", cJSON_GetObjectItem(e, "event")->valuestring);
	snprintf(ev->cause[ev->n], sizeof(ev->cause[0]), "%s", cJSON_GetObjectItem(f, "cause")->valuestring);
	snprintf(ev->suppressed_by[ev->n], sizeof(ev->suppressed_by[0]), "%s",
	         cJSON_IsString(sb) ? sb->valuestring : "");
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(f, "since")));
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(e, "time")));
	ev->n++;
}

struct fx {
	struct event_base *base;
	struct vd_daemon *d;
	struct daemon_sub *sub;
	struct events ev;
	char health[8][400];
	size_t n_health;
};

static void on_health(void *userdata, const char *line)
{
	struct fx *f = userdata;
	if (f->n_health < 8)
		snprintf(f->health[f->n_health++], sizeof(f->health[0]), "%s", line);
}

static struct fx *fx_new(const char *conf, struct history *h)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct config *cfg = NULL;
	struct vd_error err;

	assert_non_null(f);
	assert_int_equal(config_parse_string("/tmp/t.conf", conf, &cfg, &err), 0);
	f->base = event_base_new();
	assert_int_equal(daemon_new(f->base, cfg, h, &f->d), 0);
	daemon_set_clock(f->d, clock_fn);
	daemon_set_health_cb(f->d, on_health, f);
	f->sub = daemon_subscribe(f->d, on_event, &f->ev);
	return f;
}

static void fx_free(struct fx *f)
{
	daemon_unsubscribe(f->sub);
	daemon_free(f->d);
	event_base_free(f->base);
	free(f);
}

/* routes where the VPC target leaves outside the tunnel: local-network-missing (grace 30 s) */
static cJSON *routes(bool broken)
{
	char buf[512];
	snprintf(buf, sizeof(buf),
	         "{\"status\":\"ok\",\"tun_dev\":\"tun0\",\"pushed_routes\":[],"
	         "\"targets\":[{\"addr\":\"172.16.1.20\",\"dev\":\"%s\",\"via_tunnel\":%s}]}",
	         broken ? "wlan0" : "tun0", broken ? "false" : "true");
	return cJSON_Parse(buf);
}

/* a profile with a config-invalid problem (grace 0) */
static cJSON *profile(const char *msg)
{
	char buf[512];
	if (!msg)
		return cJSON_Parse("{\"status\":\"ok\",\"path\":\"/x/office.conf\",\"problems\":[]}");
	snprintf(buf, sizeof(buf),
	         "{\"status\":\"ok\",\"path\":\"/x/office.conf\",\"problems\":[{\"cause\":\"config-invalid\","
	         "\"severity\":\"error\",\"code\":\"file-missing\",\"message\":\"%s\",\"file\":\"/x/office.conf\","
	         "\"line\":12}]}",
	         msg);
	return cJSON_Parse(buf);
}

static void feed(struct fx *f, const struct probe *p, const char *tunnel, cJSON *section)
{
	model_probe_result(f->d, p, tunnel, PROBE_OK, section, NULL, fake_now, 3);
}

static const cJSON *find_tunnel(const cJSON *st, const char *name)
{
	const cJSON *t;
	cJSON_ArrayForEach(t, cJSON_GetObjectItem(st, "tunnels"))
		if (strcmp(cJSON_GetObjectItem(t, "name")->valuestring, name) == 0)
			return t;
	return NULL;
}

static const char *conf2 = "[Tunnel office]\n[Tunnel home]\n";

static void test_health_unknown_until_measured(void **state)
{
	struct fx *f = fx_new(conf2, NULL);

	assert_string_equal(model_health(f->d, NULL), "unknown");
	assert_string_equal(daemon_health_line(f->d), "unknown: no probe has completed yet");
	feed(f, &fake_routes, "office", routes(false));
	assert_string_equal(model_health(f->d, "office"), "healthy");
	assert_string_equal(model_health(f->d, "home"), "unknown");
	assert_string_equal(model_health(f->d, NULL), "unknown"); /* home not measured yet */
	feed(f, &fake_routes, "home", routes(false));
	assert_string_equal(model_health(f->d, NULL), "healthy");
	assert_string_equal(daemon_health_line(f->d), "healthy: 2 tunnels, no findings");
	assert_string_equal(f->health[f->n_health - 1], "healthy: 2 tunnels, no findings");
	/* a result for a tunnel that is not configured is dropped */
	feed(f, &fake_routes, "ghost", routes(true));
	assert_int_equal(f->ev.n, 0);
	assert_int_equal(model_pending(f->d), 0);
	fx_free(f);

	f = fx_new("", NULL);
	assert_string_equal(daemon_health_line(f->d), "unknown: no tunnel configured");
	fx_free(f);
}

static void test_grace(void **state)
{
	struct fx *f = fx_new(conf2, NULL);

	feed(f, &fake_routes, "home", routes(false));
	feed(f, &fake_routes, "office", routes(true));
	/* the condition holds, but not yet for its 30 s */
	assert_int_equal(f->ev.n, 0);
	assert_int_equal(model_pending(f->d), 1);
	assert_string_equal(model_health(f->d, "office"), "healthy");
	fake_now += 29;
	model_evaluate(f->d);
	assert_int_equal(f->ev.n, 0);
	fake_now += 1;
	model_evaluate(f->d);
	assert_int_equal(f->ev.n, 1);
	assert_string_equal(f->ev.ev[0], "opened");
	assert_string_equal(f->ev.cause[0], "local-network-missing");
	assert_int_equal(model_pending(f->d), 0);
	assert_string_equal(model_health(f->d, "office"), "broken");
	assert_string_equal(model_health(f->d, "home"), "healthy");
	assert_string_equal(model_health(f->d, NULL), "broken");
	assert_string_equal(daemon_health_line(f->d), "broken: 1 error on office");

	/* still there: no new event, last_seen moves */
	fake_now += 10;
	feed(f, &fake_routes, "office", routes(true));
	assert_int_equal(f->ev.n, 1);
	cJSON *st = daemon_status(f->d);
	const cJSON *fd = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "findings"), 0);
	assert_int_equal(cJSON_GetObjectItem(fd, "since")->valuedouble, fake_now - 10);
	assert_int_equal(cJSON_GetObjectItem(fd, "last_seen")->valuedouble, fake_now);
	assert_string_equal(cJSON_GetObjectItem(fd, "tunnel")->valuestring, "office");
	cJSON_Delete(st);

	/* gone: resolves at once, no grace on the way down */
	fake_now += 1;
	feed(f, &fake_routes, "office", routes(false));
	assert_int_equal(f->ev.n, 2);
	assert_string_equal(f->ev.ev[1], "resolved");
	assert_string_equal(model_health(f->d, NULL), "healthy");

	/* a blip shorter than the grace period never opens, and the next one
	 * starts its grace period afresh */
	feed(f, &fake_routes, "office", routes(true));
	fake_now += 20;
	feed(f, &fake_routes, "office", routes(false));
	assert_int_equal(model_pending(f->d), 0);
	feed(f, &fake_routes, "office", routes(true));
	fake_now += 20;
	model_evaluate(f->d);
	assert_int_equal(f->ev.n, 2);
	fake_now += 10;
	model_evaluate(f->d);
	assert_int_equal(f->ev.n, 3);
	assert_string_equal(f->ev.ev[2], "opened");
	fx_free(f);
}

/* loss on the way to the gateway, outside the tunnel: unstable-internet, a
 * sampled cause, on its heavy loss test's decision (what this run's echo
 * did is the window, not the decision) */
static cJSON *path(const char *decision, double statistic, unsigned received)
{
	char buf[512];
	snprintf(buf, sizeof(buf),
	         "{\"status\":\"ok\",\"addr\":\"203.0.113.7\",\"method\":\"icmp\",\"sent\":1,"
	         "\"received\":%u,\"loss_pct\":%g,\"tests\":{\"loss_heavy\":{\"decision\":\"%s\","
	         "\"statistic\":%g,\"upper\":16.1,\"lower\":6.9,\"samples\":300,\"evidence_samples\":80,"
	         "\"evidence_events\":9}}}",
	         received, received ? 0.0 : 100.0, decision, statistic);
	return cJSON_Parse(buf);
}

/* No grace and no hold: it opens with the run whose test reaches h1, stays
 * open through runs that lose nothing while the test stands there, and
 * resolves with the run whose test comes back to h0. */
static void test_sampled_decides(void **state)
{
	struct fx *f = fx_new("[Tunnel office]\n", NULL);
	const struct vd_cause *vc = vd_cause_find("unstable-internet");

	assert_non_null(vc);
	assert_int_equal(vc->grace_s, 0);
	/* evidence rising, still h0 (or undecided): nothing, and nothing pending */
	feed(f, &fake_path, "office", path("h0", 12.0, 0));
	feed(f, &fake_path, "office", path("undecided", 3.0, 0));
	assert_int_equal(f->ev.n, 0);
	assert_int_equal(model_pending(f->d), 0);
	fake_now += 1;
	feed(f, &fake_path, "office", path("h1", 16.1, 0));
	assert_int_equal(f->ev.n, 1);
	assert_string_equal(f->ev.ev[0], "opened");
	assert_string_equal(f->ev.cause[0], "unstable-internet");
	assert_string_equal(model_health(f->d, "office"), "degraded");
	/* answered echoes while the test holds h1: still open, no event */
	for (int i = 0; i < 30; i++) {
		fake_now += 1;
		feed(f, &fake_path, "office", path("h1", 15.0 - i * 0.1, 1));
	}
	assert_int_equal(f->ev.n, 1);
	/* and no timer resolves it behind the test's back */
	fake_now += 600;
	model_evaluate(f->d);
	assert_int_equal(f->ev.n, 1);
	/* the test resolves: so does the finding, with that very run */
	feed(f, &fake_path, "office", path("h0", 6.8, 1));
	assert_int_equal(f->ev.n, 2);
	assert_string_equal(f->ev.ev[1], "resolved");
	assert_string_equal(model_health(f->d, "office"), "healthy");
	fx_free(f);
}

static unsigned observed;
static void on_observe(void *userdata, const struct probe *p, const char *tunnel, enum probe_status st,
                       const cJSON *section)
{
	(void)p, (void)st;
	assert_non_null(section);
	if (tunnel && strcmp(tunnel, "office") == 0)
		*(unsigned *)userdata += 1;
}

/* After sleep or a change of network: what a reconnecting tunnel shows does
 * not open within the window, and its grace period starts when it ends. */
static void test_settle(void **state)
{
	struct fx *f = fx_new(conf2, NULL);
	unsigned kinds = 99;
	int64_t t0 = fake_now;

	(void)state;
	observed = 0;
	assert_int_equal(daemon_add_result_cb(f->d, on_observe, &observed), 0);
	assert_int_equal(model_settling(f->d, "office", &kinds), 0);
	assert_int_equal(kinds, 0);
	model_settle(f->d, "office", VD_SETTLE_ROAM, t0 + 60);
	model_settle(f->d, "office", VD_SETTLE_ROAM, t0 + 30); /* never shortened */
	assert_int_equal(model_settling(f->d, "office", &kinds), t0 + 60);
	assert_int_equal(kinds, VD_SETTLE_ROAM);
	assert_int_equal(model_settling(f->d, "home", NULL), 0);

	feed(f, &fake_routes, "office", routes(true)); /* local-network-missing: grace 30 s, settles */
	feed(f, &fake_routes, "home", routes(true));
	assert_int_equal(observed, 1);
	fake_now += 40;
	model_evaluate(f->d);
	/* home's grace is over; office waits for its window */
	assert_int_equal(f->ev.n, 1);
	assert_string_equal(f->ev.cause[0], "local-network-missing");
	assert_string_equal(model_health(f->d, "office"), "healthy");
	assert_string_equal(model_health(f->d, "home"), "broken");
	/* what does not settle opens within the window: a broken profile */
	feed(f, &probe_profile, "office", profile("ca.crt does not exist"));
	assert_int_equal(f->ev.n, 2);
	assert_string_equal(f->ev.cause[1], "config-invalid");
	feed(f, &probe_profile, "office", profile(NULL));
	assert_int_equal(f->ev.n, 3);
	/* the window ends at t0 + 60; the grace period starts there */
	fake_now = t0 + 60;
	model_evaluate(f->d);
	assert_int_equal(model_settling(f->d, "office", NULL), 0);
	assert_int_equal(f->ev.n, 3);
	fake_now = t0 + 89;
	model_evaluate(f->d);
	assert_int_equal(f->ev.n, 3);
	fake_now = t0 + 90;
	model_evaluate(f->d);
	assert_int_equal(f->ev.n, 4);
	assert_string_equal(f->ev.ev[3], "opened");
	assert_string_equal(model_health(f->d, "office"), "broken");

	/* a window of other kinds holds nothing back: clock-skew settles after a
	 * resume only, and what is already open stays open */
	model_settle(f->d, NULL, VD_SETTLE_RESUME, fake_now + 120);
	assert_int_equal(model_settling(f->d, "home", &kinds), fake_now + 120);
	assert_int_equal(kinds, VD_SETTLE_RESUME);
	assert_string_equal(model_health(f->d, "office"), "broken");
	feed(f, &fake_routes, "office", routes(false));
	assert_int_equal(f->ev.n, 5);
	assert_string_equal(f->ev.ev[4], "resolved");
	feed(f, &fake_routes, "office", routes(true)); /* breaks again during a resume window */
	fake_now += 100;
	model_evaluate(f->d);
	assert_int_equal(f->ev.n, 5);
	fake_now += 50; /* 120 s window + 30 s grace */
	model_evaluate(f->d);
	assert_int_equal(f->ev.n, 6);
	assert_string_equal(f->ev.ev[5], "opened");
	/* back before the window ends: it ends now, the grace period starts now */
	feed(f, &fake_routes, "office", routes(false));
	assert_int_equal(f->ev.n, 7);
	model_settle(f->d, "office", VD_SETTLE_ROAM, fake_now + 300);
	feed(f, &fake_routes, "office", routes(true));
	fake_now += 100;
	model_evaluate(f->d);
	assert_int_equal(f->ev.n, 7);
	model_settle_end(f->d, "office");
	assert_int_equal(model_settling(f->d, "office", NULL), 0);
	fake_now += 29;
	model_evaluate(f->d);
	assert_int_equal(f->ev.n, 7);
	fake_now += 1;
	model_evaluate(f->d);
	assert_int_equal(f->ev.n, 8);
	assert_string_equal(f->ev.ev[7], "opened");
	assert_int_equal(observed, 7);
	daemon_remove_result_cb(f->d, on_observe, &observed);
	feed(f, &fake_routes, "office", routes(true));
	assert_int_equal(observed, 7);
	fx_free(f);
}

static const struct probe fake_clock = {.name = "clock", .section = "clock", .per_tunnel = false};

static cJSON *clock_off(double offset)
{
	char buf[256];
	snprintf(buf, sizeof(buf),
	         "{\"status\":\"ok\",\"server\":\"ntp.example\",\"address\":\"192.0.2.123\",\"stratum\":2,"
	         "\"offset_s\":%g,\"delay_s\":0.01,\"samples\":4}",
	         offset);
	return cJSON_Parse(buf);
}

/* The clock jump of a long sleep is no clock skew: an offset measured right
 * after a resume, before NTP stepped the clock back, does not open within
 * the window; measured again after it, a clock in line opens nothing. After
 * a change of network the same offset is skew at once (no sleep explains it). */
static void test_resume_clock(void **state)
{
	struct fx *f = fx_new("[Tunnel office]\n", NULL);

	(void)state;
	model_settle(f->d, NULL, VD_SETTLE_ANY, fake_now + 150);
	model_probe_result(f->d, &fake_clock, NULL, PROBE_OK, clock_off(3600), NULL, fake_now, 3);
	fake_now += 60;
	model_evaluate(f->d);
	assert_int_equal(f->ev.n, 0);
	model_probe_result(f->d, &fake_clock, NULL, PROBE_OK, clock_off(0.2), NULL, fake_now, 3);
	fake_now += 120;
	model_evaluate(f->d);
	assert_int_equal(f->ev.n, 0);
	assert_int_equal(model_pending(f->d), 0);

	model_settle(f->d, NULL, VD_SETTLE_ROAM, fake_now + 150);
	model_probe_result(f->d, &fake_clock, NULL, PROBE_OK, clock_off(3600), NULL, fake_now, 3);
	assert_int_equal(f->ev.n, 1);
	assert_string_equal(f->ev.cause[0], "clock-skew");
	fx_free(f);
}

static void test_suppression_and_update(void **state)
{
	struct fx *f = fx_new("[Tunnel office]\n", NULL);

	feed(f, &fake_routes, "office", routes(true));
	fake_now += 30;
	model_evaluate(f->d);
	assert_int_equal(f->ev.n, 1);

	/* the profile is broken: the tunnel cannot be up, so the routing finding
	 * it explains resolves (naming why) and config-invalid opens at once */
	feed(f, &probe_profile, "office", profile("ca file 'ca.crt' not found"));
	assert_int_equal(f->ev.n, 3);
	size_t opened = 0, resolved = 0;
	for (size_t i = 1; i < 3; i++) {
		if (strcmp(f->ev.ev[i], "opened") == 0) {
			assert_string_equal(f->ev.cause[i], "config-invalid");
			opened++;
		} else {
			assert_string_equal(f->ev.ev[i], "resolved");
			assert_string_equal(f->ev.cause[i], "local-network-missing");
			assert_string_equal(f->ev.suppressed_by[i], "config-invalid");
			resolved++;
		}
	}
	assert_int_equal(opened, 1);
	assert_int_equal(resolved, 1);

	/* suppressed: it stays out of findings, health and events however long */
	fake_now += 300;
	model_evaluate(f->d);
	assert_int_equal(f->ev.n, 3);
	cJSON *st = daemon_status(f->d);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(st, "findings")), 1);
	cJSON_Delete(st);
	assert_string_equal(daemon_health_line(f->d), "broken: 1 error on office");

	/* the summary changes: one "updated" event */
	feed(f, &probe_profile, "office", profile("cert file 'client.crt' not found"));
	assert_int_equal(f->ev.n, 4);
	assert_string_equal(f->ev.ev[3], "updated");
	feed(f, &probe_profile, "office", profile("cert file 'client.crt' not found"));
	assert_int_equal(f->ev.n, 4);

	/* fixed: config-invalid resolves, and local-network-missing, no longer
	 * suppressed, waits out its grace period again */
	feed(f, &probe_profile, "office", profile(NULL));
	assert_int_equal(f->ev.n, 5);
	assert_string_equal(f->ev.ev[4], "resolved");
	assert_string_equal(f->ev.cause[4], "config-invalid");
	assert_int_equal(model_pending(f->d), 1);
	fake_now += 30;
	model_evaluate(f->d);
	assert_int_equal(f->ev.n, 6);
	assert_string_equal(f->ev.ev[5], "opened");
	assert_string_equal(f->ev.cause[5], "local-network-missing");
	fx_free(f);
}

static void test_status_document(void **state)
{
	struct fx *f = fx_new("[Tunnel office]\nConfig=/x/office.conf\n[Tunnel home]\n", NULL);
	cJSON *st, *o;

	feed(f, &probe_profile, "office", profile("ca file 'ca.crt' not found"));
	cJSON *emsg = cJSON_Parse("{\"id\":\"no Config= for this tunnel\"}");
	model_probe_result_msg(f->d, &probe_profile, "home", PROBE_UNKNOWN, NULL, "no Config= for this tunnel",
	                       emsg, fake_now, 0);
	cJSON_Delete(emsg); /* borrowed: the model keeps its own copy */
	feed(f, &fake_openvpn, "office", cJSON_Parse("{\"status\":\"ok\",\"state\":\"connecting\"}"));
	fake_now += 7;
	st = daemon_status(f->d);
	assert_string_equal(cJSON_GetObjectItem(st, "health")->valuestring, "broken");

	const cJSON *t = find_tunnel(st, "office");
	assert_non_null(t);
	assert_string_equal(cJSON_GetObjectItem(t, "health")->valuestring, "broken");
	assert_string_equal(cJSON_GetObjectItem(t, "config")->valuestring, "/x/office.conf");
	assert_string_equal(cJSON_GetObjectItem(t, "state")->valuestring, "connecting");
	t = find_tunnel(st, "home");
	assert_string_equal(cJSON_GetObjectItem(t, "health")->valuestring, "healthy");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(t, "config")));
	assert_string_equal(cJSON_GetObjectItem(t, "state")->valuestring, "unknown");

	const cJSON *fd = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "findings"), 0);
	assert_string_equal(cJSON_GetObjectItem(fd, "cause")->valuestring, "config-invalid");
	assert_string_equal(cJSON_GetObjectItem(fd, "severity")->valuestring, "error");
	assert_non_null(cJSON_GetObjectItem(fd, "remedy"));
	assert_non_null(strstr(cJSON_GetObjectItem(fd, "summary")->valuestring, "ca.crt"));

	/* the table's probes, per tunnel, with their last result and age */
	const cJSON *probes = cJSON_GetObjectItem(st, "probes");
	int n_profile = 0;
	cJSON_ArrayForEach(o, probes) {
		const cJSON *tun = cJSON_GetObjectItem(o, "tunnel");
		const struct probe *p = probes_find(cJSON_GetObjectItem(o, "name")->valuestring);
		assert_non_null(p);
		assert_true(p->per_tunnel ? cJSON_IsString(tun) : cJSON_IsNull(tun));
		if (p != &probe_profile) {
			assert_string_equal(cJSON_GetObjectItem(o, "status")->valuestring, "never");
			assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "last_run")));
			continue;
		}
		n_profile++;
		assert_int_equal(cJSON_GetObjectItem(o, "age_s")->valuedouble, 7);
		assert_int_equal(cJSON_GetObjectItem(o, "last_run")->valuedouble, fake_now - 7);
		if (strcmp(cJSON_GetObjectItem(o, "tunnel")->valuestring, "home") == 0) {
			assert_string_equal(cJSON_GetObjectItem(o, "status")->valuestring, "unknown");
			assert_string_equal(cJSON_GetObjectItem(o, "error")->valuestring, "no Config= for this tunnel");
			/* and as a message, for the CLI to say in its reader's language */
			assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "error_message"), "id")->valuestring,
			                    "no Config= for this tunnel");
		} else {
			assert_string_equal(cJSON_GetObjectItem(o, "status")->valuestring, "ok");
			assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "error")));
			assert_null(cJSON_GetObjectItem(o, "error_message"));
			assert_int_equal(cJSON_GetObjectItem(o, "duration_ms")->valuedouble, 3);
		}
	}
	assert_int_equal(n_profile, 2);
	cJSON_Delete(st);

	/* the facts carry the sections with "at", the cloud section and "now" */
	cJSON *facts = model_facts(f->d);
	assert_int_equal(cJSON_GetObjectItem(facts, "now")->valuedouble, fake_now);
	const cJSON *t0 = cJSON_GetArrayItem(cJSON_GetObjectItem(facts, "tunnels"), 0);
	assert_string_equal(cJSON_GetObjectItem(t0, "name")->valuestring, "office");
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(cJSON_GetObjectItem(t0, "profile"), "at")));
	const cJSON *t1 = cJSON_GetArrayItem(cJSON_GetObjectItem(facts, "tunnels"), 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(t1, "profile"), "status")->valuestring,
	                    "unknown");
	cJSON_Delete(facts);
	fx_free(f);
}

static void test_cloud_and_reload(void **state)
{
	/* 60 clients need a /24 at four addresses each: a /26 is too small, from
	 * the configuration alone */
	struct fx *f = fx_new("[Tunnel office]\nClientCIDR=10.8.0.0/26\nMaxConnections=60\n", NULL);
	struct config *cfg = NULL;
	struct vd_error err;

	feed(f, &fake_routes, "office", routes(false));
	cJSON *facts = model_facts(f->d);
	const cJSON *t0 = cJSON_GetArrayItem(cJSON_GetObjectItem(facts, "tunnels"), 0);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(t0, "cloud"), "client_cidr")->valuestring,
	                    "10.8.0.0/26");
	cJSON_Delete(facts);
	/* it opened from the configuration alone, before anyone subscribed */
	size_t n0 = f->ev.n;
	cJSON *st = daemon_status(f->d);
	const cJSON *fd = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "findings"), 0);
	assert_string_equal(cJSON_GetObjectItem(fd, "cause")->valuestring, "client-cidr-too-small");
	cJSON_Delete(st);
	assert_string_equal(model_health(f->d, "office"), "broken"); /* an error in the catalogue */

	/* reload with a bigger CIDR: the finding resolves, the routes section of
	 * the tunnel that stays is kept (health stays measured) */
	assert_int_equal(config_parse_string("/tmp/t.conf", "[Tunnel office]\nClientCIDR=10.8.0.0/24\nMaxConnections=60\n",
	                                     &cfg, &err), 0);
	assert_int_equal(daemon_reload(f->d, cfg), 0);
	assert_int_equal(f->ev.n, n0 + 1);
	assert_string_equal(f->ev.ev[n0], "resolved");
	assert_string_equal(model_health(f->d, "office"), "healthy");

	/* reload dropping the tunnel: its open findings resolve */
	feed(f, &fake_routes, "office", routes(true));
	fake_now += 30;
	model_evaluate(f->d);
	assert_string_equal(f->ev.ev[f->ev.n - 1], "opened");
	assert_int_equal(config_parse_string("/tmp/t.conf", "[Tunnel other]\n", &cfg, &err), 0);
	assert_int_equal(daemon_reload(f->d, cfg), 0);
	assert_string_equal(f->ev.ev[f->ev.n - 1], "resolved");
	assert_string_equal(model_health(f->d, NULL), "unknown");
	fx_free(f);
}

static void test_history(void **state)
{
	char dir[] = "/tmp/vd-test-model-XXXXXX", path[300];
	struct history *h = NULL;
	struct fx *f;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(history_open(dir, 0, &h), 0);
	f = fx_new("[Tunnel office]\n", h);
	feed(f, &probe_profile, "office", profile("ca file 'ca.crt' not found"));
	fake_now += 5;
	feed(f, &probe_profile, "office", profile(NULL));
	cJSON *hist = daemon_history(f->d, -1, 0);
	const cJSON *evs = cJSON_GetObjectItem(hist, "events");
	assert_int_equal(cJSON_GetArraySize(evs), 2);
	const cJSON *e0 = cJSON_GetArrayItem(evs, 0), *e1 = cJSON_GetArrayItem(evs, 1);
	assert_string_equal(cJSON_GetObjectItem(e0, "event")->valuestring, "opened");
	assert_string_equal(cJSON_GetObjectItem(e0, "cause")->valuestring, "config-invalid");
	assert_string_equal(cJSON_GetObjectItem(e0, "tunnel")->valuestring, "office");
	assert_string_equal(cJSON_GetObjectItem(e0, "severity")->valuestring, "error");
	assert_non_null(strstr(cJSON_GetObjectItem(e0, "summary")->valuestring, "ca.crt"));
	assert_string_equal(cJSON_GetObjectItem(e1, "event")->valuestring, "resolved");
	assert_int_equal(cJSON_GetObjectItem(e1, "time")->valuedouble, fake_now);
	cJSON_Delete(hist);
	fx_free(f);
	history_close(h);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

/* ---- Check and the profile probe on a real loop ---- */

struct check_state {
	int progress, done;
	double t_done; /* CLOCK_MONOTONIC at the (last) answer */
	char last_probe[32], last_tunnel[32], last_status[16];
};

static void on_progress(void *ud, const char *probe, const char *tunnel, const char *status)
{
	struct check_state *c = ud;
	c->progress++;
	snprintf(c->last_probe, sizeof(c->last_probe), "%s", probe);
	snprintf(c->last_tunnel, sizeof(c->last_tunnel), "%s", tunnel ? tunnel : "");
	snprintf(c->last_status, sizeof(c->last_status), "%s", status);
}

static void on_done(void *ud)
{
	struct check_state *c = ud;
	struct timespec ts;

	c->done++;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	c->t_done = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_file(const char *path, const char *text)
{
	char tmp[400];
	int fd;

	/* replace by rename, as editors do */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(rename(tmp, path), 0);
}

static void run_loop(struct event_base *base, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static bool has_finding(struct vd_daemon *d, const char *cause)
{
	cJSON *st = daemon_status(d), *f;
	bool found = false;
	cJSON_ArrayForEach(f, cJSON_GetObjectItem(st, "findings"))
		found |= strcmp(cJSON_GetObjectItem(f, "cause")->valuestring, cause) == 0;
	cJSON_Delete(st);
	return found;
}

/* Waits up to 2 s for the cause to be (or not be) a finding; when it is not
 * so, says why: the status names each probe's error ("inotify: Too many open
 * files" when something else holds every inotify instance of this user). */
static void wait_finding(struct fx *f, const char *cause, bool want)
{
	cJSON *st;
	char *txt;

	for (int i = 0; i < 100 && has_finding(f->d, cause) != want; i++)
		run_loop(f->base, 20);
	if (has_finding(f->d, cause) == want)
		return;
	st = daemon_status(f->d);
	txt = st ? cJSON_Print(st) : NULL;
	fprintf(stderr, "%s is %s a finding after 2 s; the status:\n%s\n", cause, want ? "not" : "still",
	        txt ? txt : "(none)");
	free(txt);
	cJSON_Delete(st);
	fail();
}

static void test_check_and_inotify(void **state)
{
	char dir[] = "/tmp/vd-test-check-XXXXXX", conf[2000], prof[300], cmd[700];
	const char *src = getenv("VD_SRC");
	struct check_state cs = {0};
	struct daemon_check *c;
	const char *bad = NULL;
	const char *names[] = {"nope"};
	int err = 0;
	struct fx *f;

	char srcbuf[300];
	if (!src) {
		/* run by hand: the tree this file is in */
		snprintf(srcbuf, sizeof(srcbuf), "%s", __FILE__);
		char *cut = strstr(srcbuf, "/tests/daemon/");
		assert_non_null(cut);
		*cut = '\0';
		src = srcbuf;
	}
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cp '%s'/tests/data/sample/* '%s'/", src, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(prof, sizeof(prof), "%s/sample.ovpn", dir);
	/* only the profile probe runs: the others would measure this machine */
	int off = snprintf(conf, sizeof(conf), "[Tunnel office]\nConfig=%s\n", prof);
	for (unsigned i = 0; i < probes_n; i++)
		if (probes_all[i] != &probe_profile && probes_all[i]->config_section)
			off += snprintf(conf + off, sizeof(conf) - (size_t)off, "[%s]\nEnabled=no\n",
			                probes_all[i]->config_section);
	f = fx_new(conf, NULL);
	daemon_set_clock(f->d, NULL);
	assert_int_equal(daemon_start_probes(f->d), 0);

	/* an unknown probe name is refused */
	assert_null(daemon_check_start(f->d, names, 1, on_progress, on_done, &cs, &err, &bad));
	assert_int_equal(err, -ENOENT);
	assert_string_equal(bad, "nope");

	c = daemon_check_start(f->d, NULL, 0, on_progress, on_done, &cs, &err, &bad);
	assert_non_null(c);
	assert_int_equal(cs.done, 0); /* never from inside the call */
	for (int i = 0; i < 50 && !cs.done; i++)
		run_loop(f->base, 20);
	assert_int_equal(cs.done, 1);
	assert_int_equal(cs.progress, 1);
	assert_string_equal(cs.last_probe, "profile");
	assert_string_equal(cs.last_tunnel, "office");
	assert_string_equal(cs.last_status, "ok");
	assert_string_equal(model_health(f->d, NULL), "healthy");

	/* the profile breaks (its key vanishes): inotify re-runs the probe */
	snprintf(cmd, sizeof(cmd), "%s/client.key", dir);
	char moved[400];
	snprintf(moved, sizeof(moved), "%s/client.key.away", dir);
	assert_int_equal(rename(cmd, moved), 0);
	wait_finding(f, "config-invalid", true);
	assert_string_equal(f->ev.ev[f->ev.n - 1], "opened");

	/* and comes back: resolved, again without any timer */
	assert_int_equal(rename(moved, cmd), 0);
	wait_finding(f, "config-invalid", false);
	assert_string_equal(f->ev.ev[f->ev.n - 1], "resolved");

	/* the profile itself replaced by rename with a broken one, then restored */
	char good[2048];
	FILE *fp = fopen(prof, "r");
	assert_non_null(fp);
	size_t n = fread(good, 1, sizeof(good) - 1, fp);
	good[n] = '\0';
	fclose(fp);
	write_file(prof, "client\nremote vpn.example.test 1194\nca ca.crt\ncert client.crt\nkey nothere.key\n");
	wait_finding(f, "config-invalid", true);
	write_file(prof, good);
	wait_finding(f, "config-invalid", false);

	/* a check in flight when the daemon goes away makes no callback */
	cs.done = 0;
	c = daemon_check_start(f->d, NULL, 0, on_progress, on_done, &cs, &err, &bad);
	assert_non_null(c);
	daemon_check_cancel(c);
	run_loop(f->base, 50);
	assert_int_equal(cs.done, 0);
	c = daemon_check_start(f->d, NULL, 0, on_progress, on_done, &cs, &err, &bad);
	assert_non_null(c);
	fx_free(f);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A probe that never finishes by itself. */
static int slow_cancels;
static int slow_start(struct probe_run *run)
{
	return 0;
}
static void slow_cancel(struct probe_run *run)
{
	slow_cancels++;
}
static const struct probe slow = {.name = "slow", .section = "slow", .per_tunnel = false, .interval_s = 3600,
                                  .start = slow_start, .cancel = slow_cancel};
static const struct probe *const slow_table[] = {&slow};

static void test_check_deadline(void **state)
{
	struct fx *f = fx_new("[Tunnel office]\n", NULL);
	struct check_state cs = {0};
	const char *bad = NULL, *names[] = {"slow"};
	int err = 0;

	daemon_set_clock(f->d, NULL);
	assert_int_equal(daemon_start_probes_with(f->d, slow_table, 1), 0);
	daemon_set_check_deadline(f->d, 200);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double t0 = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	assert_non_null(daemon_check_start(f->d, names, 1, on_progress, on_done, &cs, &err, &bad));
	for (int i = 0; i < 100 && !cs.done; i++)
		run_loop(f->base, 20);
	/* answered at the deadline (on the clock: a loop's time is no measure on a
	 * loaded machine), without a progress line for the slow probe */
	assert_int_equal(cs.done, 1);
	if (cs.t_done - t0 < 0.19)
		fail_msg("answered after %.3f s, before the 0.2 s deadline", cs.t_done - t0);
	assert_int_equal(cs.progress, 0);
	fx_free(f);
	assert_int_equal(slow_cancels, 1); /* cancelled when the daemon went */
}

static void test_scheduler_delay(void **state)
{
	/* +/- 10% jitter around the interval */
	assert_true(scheduler_delay(300, 0, 0.0) >= 270 - 1e-9);
	assert_true(scheduler_delay(300, 0, 0.999999) <= 330);
	assert_true(scheduler_delay(300, 0, 0.5) > 299.99 && scheduler_delay(300, 0, 0.5) < 300.01);
	/* doubling while failing, capped at 8x */
	assert_true(scheduler_delay(300, 1, 0.5) > 599.99 && scheduler_delay(300, 1, 0.5) < 600.01);
	assert_true(scheduler_delay(300, 2, 0.5) > 1199.99 && scheduler_delay(300, 2, 0.5) < 1200.01);
	assert_true(scheduler_delay(300, 3, 0.5) > 2399.99 && scheduler_delay(300, 3, 0.5) < 2400.01);
	assert_true(scheduler_delay(300, 10, 0.5) > 2399.99 && scheduler_delay(300, 10, 0.5) < 2400.01);
}

/* The journal fields a central reader needs (VPNDOCTOR_GATEWAY,
 * _OPENVPN_VERSION, _PROFILE), from the facts of the finding's tunnel. */
static void test_finding_ctx(void **state)
{
	struct fx *f = fx_new("[Tunnel office]\nConfig=/x/office.conf\n[Tunnel home]\nConfig=/y/home.ovpn\n", NULL);
	struct log_finding_ctx ctx;
	char ver[48];

	model_finding_ctx(f->d, "office", &ctx, ver, sizeof(ver));
	assert_null(ctx.gateway);
	assert_null(ctx.openvpn_version);
	assert_string_equal(ctx.profile, "office.conf");
	feed(f, &fake_openvpn, "office",
	     cJSON_Parse("{\"status\":\"ok\",\"state\":\"connected\",\"remote\":{\"addr\":\"203.0.113.7\"},"
	                 "\"version\":{\"string\":\"OpenVPN 2.6.14 x86_64\",\"major\":2,\"minor\":6,\"patch\":14}}"));
	model_finding_ctx(f->d, "office", &ctx, ver, sizeof(ver));
	assert_string_equal(ctx.gateway, "203.0.113.7");
	assert_string_equal(ctx.openvpn_version, "2.6.14");
	/* without a running client, the profile's first remote names the gateway */
	feed(f, &probe_profile, "home",
	     cJSON_Parse("{\"status\":\"ok\",\"remotes\":[{\"host\":\"vpn.example.com\",\"port\":1194}],\"problems\":[]}"));
	model_finding_ctx(f->d, "home", &ctx, ver, sizeof(ver));
	assert_string_equal(ctx.gateway, "vpn.example.com");
	assert_string_equal(ctx.profile, "home.ovpn");
	/* a host finding has none */
	model_finding_ctx(f->d, "", &ctx, ver, sizeof(ver));
	assert_null(ctx.gateway);
	assert_null(ctx.profile);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health_unknown_until_measured),
		cmocka_unit_test(test_grace),
		cmocka_unit_test(test_finding_ctx),
		cmocka_unit_test(test_sampled_decides),
		cmocka_unit_test(test_settle),
		cmocka_unit_test(test_resume_clock),
		cmocka_unit_test(test_suppression_and_update),
		cmocka_unit_test(test_status_document),
		cmocka_unit_test(test_cloud_and_reload),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_check_and_inotify),
		cmocka_unit_test(test_check_deadline),
		cmocka_unit_test(test_scheduler_delay),
	};
	log_init(LOG_TARGET_STDERR, LOG_WARNING);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
