/* The clock probe on a real loop, through the scheduler, against chronyd run
 * 15 minutes ahead under libfaketime, in a network namespace of this process
 * only (unshare: nothing can leave it). Also a fake server on the same loop
 * that sends Kiss-o'-Death packets, unreachable servers (unknown, never
 * skew) and cancellation mid-resolve and mid-burst.
 *
 * `daemon_test_probe_clock --bench N ADDR` runs the probe N times against
 * ADDR in the current namespace and prints one line per run (bench_clock.sh). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <event2/event.h>

#include "config.h"
#include "scheduler.h"
#include "vpndoctor/sntp.h"

#define CHRONYD "/usr/sbin/chronyd"
#define FAKETIME_LIB "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
#define SKEW_S 900.0
#define TOLERANCE_S 0.050

static char tmpdir[64];
static pid_t chronyd_pid = -1;
static bool have_env;

/* ---- driving the probe through the scheduler ---------------------------- */

struct result {
	struct event_base *base;
	int runs, want;
	enum probe_status status;
	cJSON *section;
	char error[160];
	uint64_t duration_ms;
};

static void on_result(void *userdata, struct probe_slot *slot, struct sched_result *r)
{
	struct result *res = userdata;

	if (r->probe != &probe_clock) {
		cJSON_Delete(r->section);
		return;
	}
	cJSON_Delete(res->section);
	res->section = r->section;
	r->section = NULL;
	res->status = r->status;
	res->duration_ms = r->duration_ms;
	snprintf(res->error, sizeof(res->error), "%s", r->error);
	if (++res->runs >= res->want)
		event_base_loopbreak(res->base);
}

static struct probe_slot *clock_slot(struct scheduler *s)
{
	for (size_t i = 0; i < scheduler_n_slots(s); i++)
		if (scheduler_slot_probe(scheduler_slot(s, i)) == &probe_clock)
			return scheduler_slot(s, i);
	return NULL;
}

static struct config *config_with(const char *servers)
{
	char text[512];
	struct config *cfg = NULL;
	struct vd_error err;

	snprintf(text, sizeof(text), "[Clock]\nNTPServers=%s\n", servers);
	if (config_parse_string("test", text, &cfg, &err) != 0)
		fail_msg("config: %s", err.msg);
	return cfg;
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

/* Runs the clock probe `runs` times (the first run starts by itself). */
/* What the probe left to the loop after its scheduler is gone runs, as the
 * daemon's drain() at exit lets it: its resolver is freed by a timer due
 * 50 ms later (pu_resolver_free), which libevent runs before a timer due at
 * 100 ms whatever the load; without it event_base_free() drops that free. */
static void drain(struct event_base *base)
{
	struct timeval tv = {0, 100 * 1000};
	struct event *stop = evtimer_new(base, on_stop, base);

	evtimer_add(stop, &tv);
	event_base_dispatch(base);
	event_free(stop);
}

static void run_probe(struct event_base *base, const struct config *cfg, int runs, struct result *res)
{
	struct scheduler *s = NULL;
	struct timeval limit = {60, 0};
	/* A timer of our own, not event_base_loopexit(): that one cannot be
	 * taken back and would end a later run early. */
	struct event *guard = evtimer_new(base, on_stop, base);

	memset(res, 0, sizeof(*res));
	res->base = base;
	for (int i = 0; i < runs; i++) {
		res->want = i + 1;
		if (!s)
			assert_int_equal(scheduler_new(base, cfg, on_result, res, NULL, &s), 0);
		else
			scheduler_run_now(s, clock_slot(s));
		evtimer_add(guard, &limit);
		event_base_dispatch(base);
		evtimer_del(guard);
		assert_int_equal(res->runs, i + 1);
	}
	event_free(guard);
	scheduler_free(s);
	drain(base);
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsNumber(v))
		fail_msg("no number %s", k);
	return v->valuedouble;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *tried(const cJSON *sec, int i)
{
	return str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(sec, "servers"), i), "result");
}

/* ---- the namespace and chronyd ------------------------------------------- */

static int lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		r = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (r == 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* One blocking SNTP exchange: true when addr answers validly. */
static bool answers(const char *addr)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(VD_NTP_PORT)};
	struct timeval tv = {0, 200000};
	uint8_t pkt[VD_NTP_PACKET_LEN], buf[256];
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = false;
	ssize_t n;

	inet_pton(AF_INET, addr, &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	vd_sntp_request(pkt, 0x0102030405060708ull);
	if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&sa, sizeof(sa)) == sizeof(pkt) &&
	    (n = recv(fd, buf, sizeof(buf), 0)) > 0)
		ok = vd_sntp_check(buf, (size_t)n, 0x0102030405060708ull, NULL) == VD_SNTP_OK;
	close(fd);
	return ok;
}

static void chronyd_stop(void)
{
	if (chronyd_pid > 0) {
		kill(chronyd_pid, SIGTERM);
		waitpid(chronyd_pid, NULL, 0);
		chronyd_pid = -1;
	}
}

/* chronyd serving its own clock (moved by skew via libfaketime) on 127.0.0.1 only. */
static void chronyd_start(const char *skew)
{
	char conf[128], text[512];
	FILE *f;

	chronyd_stop();
	snprintf(conf, sizeof(conf), "%s/chrony.conf", tmpdir);
	snprintf(text, sizeof(text),
	         "local stratum 8\nallow\nbindaddress 127.0.0.1\nport 123\n"
	         "bindcmdaddress %s/chronyd.sock\npidfile %s/chronyd.pid\n",
	         tmpdir, tmpdir);
	f = fopen(conf, "we");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chronyd_pid = fork();
	assert_true(chronyd_pid >= 0);
	if (chronyd_pid == 0) {
		if (skew) {
			setenv("LD_PRELOAD", FAKETIME_LIB, 1);
			setenv("FAKETIME", skew, 1);
			setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1", 1);
		}
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(null, 1);
		dup2(null, 2);
		execl(CHRONYD, "chronyd", "-x", "-n", "-u", "root", "-f", conf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		if (answers("127.0.0.1"))
			return;
		if (waitpid(chronyd_pid, NULL, WNOHANG) == chronyd_pid) {
			chronyd_pid = -1;
			fail_msg("chronyd exited");
		}
	}
	fail_msg("chronyd does not answer");
}

static int group_setup(void **state)
{
	have_env = geteuid() == 0 && access(CHRONYD, X_OK) == 0 && access(FAKETIME_LIB, R_OK) == 0;
	if (!have_env)
		return 0;
	/* This process's own network namespace: only its loopback exists. */
	if (unshare(CLONE_NEWNET) < 0 || lo_up() < 0) {
		have_env = false;
		return 0;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vd-clock-XXXXXX");
	if (!mkdtemp(tmpdir)) /* mode 0700, as chronyd wants for its socket's folder */
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	chronyd_stop();
	if (tmpdir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

#define NEED_ENV()                                                                  \
	do {                                                                        \
		if (!have_env) {                                                    \
			fprintf(stderr, "needs root, " CHRONYD " and libfaketime\n"); \
			skip();                                                     \
		}                                                                   \
	} while (0)

/* ---- fake server on the loop: answers with a kiss code -------------------- */

struct fake {
	int fd;
	struct event *ev;
	char kiss[5];
	int requests;
};

static void on_fake(evutil_socket_t fd, short what, void *arg)
{
	struct fake *f = arg;
	uint8_t buf[256];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);

	if (n < VD_NTP_PACKET_LEN)
		return;
	f->requests++;
	memcpy(buf + 24, buf + 40, 8); /* origin = the client's transmit */
	buf[0] = 3 << 6 | 4 << 3 | 4;
	buf[1] = 0;
	memcpy(buf + 12, f->kiss, 4);
	memset(buf + 32, 0, 16);
	sendto(fd, buf, VD_NTP_PACKET_LEN, 0, (struct sockaddr *)&from, flen);
}

static void fake_start(struct event_base *base, struct fake *f, const char *addr, const char *kiss)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(VD_NTP_PORT)};

	memset(f, 0, sizeof(*f));
	snprintf(f->kiss, sizeof(f->kiss), "%s", kiss);
	inet_pton(AF_INET, addr, &sa.sin_addr);
	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	f->ev = event_new(base, f->fd, EV_READ | EV_PERSIST, on_fake, f);
	event_add(f->ev, NULL);
}

static void fake_stop(struct fake *f)
{
	if (f->ev)
		event_free(f->ev);
	if (f->fd > 0)
		close(f->fd);
	f->ev = NULL;
	f->fd = -1;
}

/* A failed assertion leaves the test early: stop what it started. */
static struct fake fake;

static int teardown(void **state)
{
	fake_stop(&fake);
	chronyd_stop();
	return 0;
}

/* ---- tests ------------------------------------------------------------- */

static void check_measured(const cJSON *sec, double want)
{
	double off = num(sec, "offset_s"), delay = num(sec, "delay_s");

	assert_string_equal(str(sec, "status"), "ok");
	assert_string_equal(str(sec, "server"), "127.0.0.1");
	if (fabs(off - want) > TOLERANCE_S)
		fail_msg("offset %.6f s, want %.1f s within %.3f s", off, want, TOLERANCE_S);
	assert_true(delay >= 0 && delay < 0.05);
	assert_true(num(sec, "samples") >= 1 && num(sec, "samples") <= 4);
	assert_true(num(sec, "stratum") == 8); /* chronyd's "local stratum 8" */
	assert_true(num(sec, "at") > 1e9);
	/* The kernel's state is read too. */
	assert_true(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(sec, "kernel_unsynced")));
	assert_true(num(sec, "maxerror_us") >= 0);
}

static void test_skewed(void **state)
{
	struct event_base *base;
	struct config *cfg;
	struct result res;

	NEED_ENV();
	chronyd_start("+15m");
	base = event_base_new();
	/* The first server refuses (nothing listens there): the next one counts. */
	cfg = config_with("127.0.0.2 127.0.0.1");
	run_probe(base, cfg, 1, &res);
	assert_int_equal(res.status, PROBE_OK);
	check_measured(res.section, SKEW_S);
	assert_non_null(strstr(tried(res.section, 0), "refused"));
	assert_non_null(strstr(tried(res.section, 1), "ok"));
	fprintf(stderr, "offset %.6f s delay %.6f s in %llu ms\n", num(res.section, "offset_s"),
	        num(res.section, "delay_s"), (unsigned long long)res.duration_ms);
	cJSON_Delete(res.section);
	config_free(cfg);
	event_base_free(base);
	chronyd_stop();
}

/* A name goes through evdns (here /etc/hosts: "localhost"). */
static void test_name(void **state)
{
	struct event_base *base;
	struct config *cfg;
	struct result res;

	NEED_ENV();
	chronyd_start("+15m");
	base = event_base_new();
	cfg = config_with("localhost");
	run_probe(base, cfg, 1, &res);
	assert_int_equal(res.status, PROBE_OK);
	assert_string_equal(str(res.section, "server"), "localhost");
	assert_string_equal(str(res.section, "address"), "127.0.0.1");
	cJSON_Delete(res.section);
	config_free(cfg);
	event_base_free(base);
	chronyd_stop();
}

static void test_in_sync(void **state)
{
	struct event_base *base;
	struct config *cfg;
	struct result res;

	NEED_ENV();
	chronyd_start(NULL);
	base = event_base_new();
	cfg = config_with("127.0.0.1");
	run_probe(base, cfg, 1, &res);
	assert_int_equal(res.status, PROBE_OK);
	check_measured(res.section, 0.0);
	cJSON_Delete(res.section);
	config_free(cfg);
	event_base_free(base);
	chronyd_stop();
}

/* Nobody answers: "unknown", and no offset at all (the rules see no skew). */
static void test_unreachable(void **state)
{
	struct event_base *base;
	struct config *cfg;
	struct result res;

	NEED_ENV();
	base = event_base_new();
	cfg = config_with("127.0.0.2 192.0.2.1");
	run_probe(base, cfg, 1, &res);
	assert_int_equal(res.status, PROBE_UNKNOWN);
	assert_string_equal(str(res.section, "status"), "unknown");
	assert_null(cJSON_GetObjectItemCaseSensitive(res.section, "offset_s"));
	assert_non_null(strstr(tried(res.section, 0), "refused"));
	assert_non_null(tried(res.section, 1));
	assert_non_null(strstr(res.error, "no NTP server answered"));
	cJSON_Delete(res.section);
	config_free(cfg);
	event_base_free(base);
}

/* DENY: one request, then never again; the next server measures. RATE: the
 * burst stops and the server is skipped while it backs off. */
static void kod_case(const char *kiss, const char *skipped_word)
{
	struct event_base *base;
	struct config *cfg;
	struct result res;
	struct fake *f = &fake;

	base = event_base_new();
	fake_start(base, f, "127.0.0.3", kiss);
	cfg = config_with("127.0.0.3 127.0.0.1");
	run_probe(base, cfg, 2, &res); /* two runs of one scheduler share the state */
	assert_int_equal(f->requests, 1);
	assert_int_equal(res.status, PROBE_OK);
	check_measured(res.section, SKEW_S);
	assert_non_null(strstr(tried(res.section, 0), "skipped"));
	assert_non_null(strstr(tried(res.section, 0), skipped_word));
	cJSON_Delete(res.section);
	fake_stop(f);
	config_free(cfg);
	event_base_free(base);
}

static void test_kod(void **state)
{
	NEED_ENV();
	chronyd_start("+15m");
	kod_case("DENY", "DENY");
	kod_case("RATE", "RATE");
	chronyd_stop();
}

/* A kiss code with no rule (INIT) is not obeyed: the burst goes on. */
static void test_kod_other(void **state)
{
	struct event_base *base;
	struct config *cfg;
	struct result res;
	struct fake *f = &fake;

	NEED_ENV();
	base = event_base_new();
	fake_start(base, f, "127.0.0.3", "INIT");
	cfg = config_with("127.0.0.3");
	run_probe(base, cfg, 1, &res);
	assert_int_equal(f->requests, 4);
	assert_int_equal(res.status, PROBE_UNKNOWN);
	assert_non_null(strstr(tried(res.section, 0), "INIT"));
	cJSON_Delete(res.section);
	fake_stop(f);
	config_free(cfg);
	event_base_free(base);
}

/* Freeing the scheduler cancels a run mid-resolve and mid-burst: no callback,
 * nothing leaked (valgrind and ASan runs of this test check). */
static void test_cancel(void **state)
{
	const char *lists[] = {"ntp.invalid", "127.0.0.3"};
	struct fake *f = &fake;

	NEED_ENV();
	for (size_t i = 0; i < 2; i++) {
		struct event_base *base = event_base_new();
		struct config *cfg = config_with(lists[i]);
		struct scheduler *s = NULL;
		struct result res = {.base = base, .want = 1};
		struct timeval tv = {0, 300000};
		struct event *stop = evtimer_new(base, on_stop, base);

		fake_start(base, f, "127.0.0.3", "INIT");
		assert_int_equal(scheduler_new(base, cfg, on_result, &res, NULL, &s), 0);
		evtimer_add(stop, &tv);
		event_base_dispatch(base);
		assert_int_equal(res.runs, 0);
		assert_true(scheduler_slot_running(clock_slot(s)));
		scheduler_free(s);
		/* The daemon's loop goes on after a cancel (a reload): libevent
		 * finishes the cancelled resolution and the probe frees its resolver. */
		tv.tv_sec = 1;
		tv.tv_usec = 200000;
		evtimer_add(stop, &tv);
		event_base_dispatch(base);
		event_free(stop);
		fake_stop(f);
		config_free(cfg);
		event_base_free(base);
	}
}

static int bench(int n, const char *addr)
{
	struct event_base *base = event_base_new();
	struct config *cfg = config_with(addr);
	struct result res;

	for (int i = 0; i < n; i++) {
		run_probe(base, cfg, 1, &res);
		if (res.status != PROBE_OK) {
			fprintf(stderr, "run %d: %s\n", i, res.error);
			return 1;
		}
		printf("%.6f %.6f %llu\n", num(res.section, "offset_s"), num(res.section, "delay_s"),
		       (unsigned long long)res.duration_ms);
		fflush(stdout);
		cJSON_Delete(res.section);
	}
	config_free(cfg);
	event_base_free(base);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_skewed, teardown),    cmocka_unit_test_teardown(test_name, teardown),    cmocka_unit_test_teardown(test_in_sync, teardown),
		cmocka_unit_test_teardown(test_unreachable, teardown), cmocka_unit_test_teardown(test_kod, teardown),
		cmocka_unit_test_teardown(test_kod_other, teardown), cmocka_unit_test_teardown(test_cancel, teardown),
	};

	uint64_t n;

	if (argc == 4 && strcmp(argv[1], "--bench") == 0) {
		if (vd_parse_u64(argv[2], 1, 1000, &n) < 0) {
			fprintf(stderr, "--bench N: 1..1000\n");
			return 2;
		}
		return bench((int)n, argv[3]);
	}
	if (geteuid() != 0 || access(CHRONYD, X_OK) != 0 || access(FAKETIME_LIB, R_OK) != 0) {
		printf("SKIP: needs root, " CHRONYD " and " FAKETIME_LIB "\n");
		return 77; /* skipped, as ctest and make check count it */
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
