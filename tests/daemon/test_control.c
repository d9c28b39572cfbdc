/* The control socket's bounds on subscribers (issue 16 item 8): with a real
 * model and socket, clients that subscribe and never read while events flow.
 * - "updated" events to a subscriber that is behind are coalesced (the
 *   latest per finding), and what it finally reads ends with the latest;
 * - "opened"/"resolved" are never dropped: a subscriber that falls
 *   CONTROL_SUB_MAX behind on them is disconnected;
 * - a subscriber that reads gets every event, in order;
 * - the daemon's heap stays bounded however many do not read, because one
 *   event is encoded once and shared by every queue it is in.
 * vd-tier: check (no root, no namespace) */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <event2/event.h>

#include "../../daemon/config.h"
#include "../../daemon/control.h"
#include "../../daemon/log.h"
#include "../../daemon/model.h"

static const struct probe fake_profile = {.name = "profile", .section = "profile", .per_tunnel = true};
static int64_t fake_now = 1000000;
static int64_t clock_fn(void)
{
	return fake_now;
}

struct fx {
	char dir[64], sock[96];
	struct event_base *base;
	struct vd_daemon *d;
	struct control *ctl;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct config *cfg = NULL;
	struct vd_error err;
	struct control_limits lim;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vd-control-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->sock, sizeof(f->sock), "%s/sock", f->dir);
	log_init(LOG_TARGET_STDERR, LOG_WARNING);
	if (config_parse_string("/tmp/t.conf", "[Tunnel office]\n", &cfg, &err) < 0)
		return -1;
	f->base = event_base_new();
	if (daemon_new(f->base, cfg, NULL, &f->d) < 0)
		return -1;
	daemon_set_clock(f->d, clock_fn);
	control_limits_default(&lim);
	lim.idle_timeout_s = 0; /* only the bounds under test drop anyone */
	if (control_start(f->d, f->base, -1, f->sock, &lim, &f->ctl) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	control_free(f->ctl);
	daemon_free(f->d);
	/* the loop's leftovers (deferred frees) */
	for (int i = 0; i < 10; i++)
		event_base_loop(f->base, EVLOOP_NONBLOCK);
	event_base_free(f->base);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void pump(struct fx *f)
{
	for (int i = 0; i < 4; i++)
		event_base_loop(f->base, EVLOOP_NONBLOCK);
}

/* A client with a small receive buffer, so that not reading shows soon. */
static int client(struct fx *f)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), small = 4096;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

/* What a client has read: whole messages, split at the NULs; the buffer is
 * mapped apart from the heap the test measures. */
#define READER_MAX (16u << 20)
struct reader {
	int fd;
	char *buf;
	size_t len, cap;
	bool eof;
};

static void reader_read(struct reader *r)
{
	if (!r->buf) {
		r->buf = mmap(NULL, READER_MAX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(r->buf != MAP_FAILED);
		r->cap = READER_MAX;
	}
	for (;;) {
		ssize_t n;

		assert_true(r->len < r->cap);
		n = read(r->fd, r->buf + r->len, r->cap - r->len);
		if (n > 0) {
			r->len += (size_t)n;
			continue;
		}
		if (n == 0)
			r->eof = true;
		else
			assert_true(errno == EAGAIN || errno == ECONNRESET);
		if (n < 0 && errno == ECONNRESET)
			r->eof = true;
		return;
	}
}

/* Calls fn on every message read so far. */
static size_t reader_each(struct reader *r, void (*fn)(const cJSON *params, void *ud), void *ud)
{
	size_t n = 0;

	for (char *p = r->buf; p && p < r->buf + r->len;) {
		char *nul = memchr(p, '\0', (size_t)(r->buf + r->len - p));
		cJSON *m;

		if (!nul)
			break;
		m = cJSON_Parse(p);
		assert_non_null(m);
		fn(cJSON_GetObjectItemCaseSensitive(m, "parameters"), ud);
		cJSON_Delete(m);
		n++;
		p = nul + 1;
	}
	return n;
}

static void subscribe(struct fx *f, int fd)
{
	static const char call[] = "{\"method\":\"io.vpndoctor.Subscribe\",\"more\":true}";

	assert_int_equal(write(fd, call, sizeof(call)), (ssize_t)sizeof(call));
	pump(f);
}

/* A profile section with one config-invalid problem naming n (or none). */
static cJSON *profile(long n)
{
	char buf[1024];

	if (n < 0)
		return cJSON_Parse("{\"status\":\"ok\",\"path\":\"/x/office.conf\",\"problems\":[]}");
	snprintf(buf, sizeof(buf),
	         "{\"status\":\"ok\",\"path\":\"/x/office.conf\",\"problems\":[{\"cause\":\"config-invalid\","
	         "\"severity\":\"error\",\"code\":\"file-missing\",\"message\":\"the ca file /x/ca-%ld.crt "
	         "does not exist\",\"file\":\"/x/office.conf\",\"line\":12}]}",
	         n);
	return cJSON_Parse(buf);
}

static void feed(struct fx *f, long n)
{
	model_probe_result(f->d, &fake_profile, "office", PROBE_OK, profile(n), NULL, fake_now, 3);
}

struct tally {
	long opened, updated, resolved, other;
	char last[256];  /* the summary of the last finding event */
	char kinds[8192]; /* o/u/r in order, as far as they fit */
	size_t nk;
};

static void count(const cJSON *p, void *ud)
{
	struct tally *t = ud;
	const char *ev = cJSON_GetObjectItemCaseSensitive(p, "event")->valuestring;
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(p, "finding");

	if (strcmp(ev, "opened") == 0)
		t->opened++;
	else if (strcmp(ev, "updated") == 0)
		t->updated++;
	else if (strcmp(ev, "resolved") == 0)
		t->resolved++;
	else
		t->other++;
	if (f) {
		snprintf(t->last, sizeof(t->last), "%s",
		         cJSON_GetObjectItemCaseSensitive(f, "summary")->valuestring);
		if (t->nk < sizeof(t->kinds) - 1)
			t->kinds[t->nk++] = ev[0];
	}
}

static size_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

#define LAGGARDS 60

/* 3000 updates of one finding: a reader gets them all, the ones that do
 * not read are not dropped (updates only restate an open finding) and, when
 * they finally read, end with the latest. */
static void test_updates_coalesced(void **state)
{
	struct fx *f = *state;
	struct reader rd = {.fd = client(f)}, lag[LAGGARDS];
	struct tally t = {0};
	size_t before, peak = 0;

	subscribe(f, rd.fd);
	for (int i = 0; i < LAGGARDS; i++) {
		lag[i] = (struct reader){.fd = client(f)};
		subscribe(f, lag[i].fd);
	}
	before = heap_used();
	for (long n = 0; n < 3000; n++) {
		feed(f, n);
		pump(f);
		reader_read(&rd);
		if (heap_used() > peak)
			peak = heap_used();
	}
	pump(f);
	reader_read(&rd);
	reader_each(&rd, count, &t);
	assert_int_equal(t.opened, 1);
	assert_int_equal(t.updated, 2999);
	assert_string_equal(t.last, "the ca file /x/ca-2999.crt does not exist (/x/office.conf line 12)");
	/* 60 clients that read nothing: the heap grew by a little buffer and
	 * a few pointers each, not by their 60 x 3000 events of ~900 bytes */
	fprintf(stderr, "# %d laggards, 3000 updates: heap before %zu kB, peak %zu kB\n", LAGGARDS,
	        before / 1024, peak / 1024);
	assert_true(peak < before + 4 * 1024 * 1024);

	for (int i = 0; i < LAGGARDS; i++) {
		struct tally lt = {0};

		/* now it reads: the held update comes once it has caught up */
		for (int k = 0; k < 200 && !strstr(lt.last, "ca-2999"); k++) {
			reader_read(&lag[i]);
			pump(f);
			memset(&lt, 0, sizeof(lt));
			reader_each(&lag[i], count, &lt);
		}
		assert_false(lag[i].eof);
		assert_int_equal(lt.opened, 1);
		assert_true(lt.updated < 2999);
		assert_string_equal(lt.last, "the ca file /x/ca-2999.crt does not exist (/x/office.conf line 12)");
		close(lag[i].fd);
		munmap(lag[i].buf, READER_MAX);
	}
	close(rd.fd);
	munmap(rd.buf, READER_MAX);
	pump(f);
}

/* Opened and resolved, 600 of them: every one reaches the reader in order;
 * the clients that never read are dropped once they are CONTROL_SUB_MAX
 * behind, having lost nothing before that. */
static void test_laggard_dropped(void **state)
{
	struct fx *f = *state;
	struct reader rd = {.fd = client(f)}, lag[LAGGARDS];
	struct tally t = {0};
	size_t before, peak = 0;

	subscribe(f, rd.fd);
	for (int i = 0; i < LAGGARDS; i++) {
		lag[i] = (struct reader){.fd = client(f)};
		subscribe(f, lag[i].fd);
	}
	before = heap_used();
	for (long n = 0; n < 600; n++) {
		feed(f, n % 2 ? -1 : n); /* opened, resolved, opened... */
		pump(f);
		reader_read(&rd);
		if (heap_used() > peak)
			peak = heap_used();
	}
	pump(f);
	reader_read(&rd);
	reader_each(&rd, count, &t);
	assert_int_equal(t.opened, 300);
	assert_int_equal(t.resolved, 300);
	for (size_t i = 0; i < t.nk; i++)
		assert_int_equal(t.kinds[i], i % 2 ? 'r' : 'o');
	fprintf(stderr, "# %d laggards, 600 opened/resolved: heap before %zu kB, peak %zu kB\n", LAGGARDS,
	        before / 1024, peak / 1024);
	assert_true(peak < before + 4 * 1024 * 1024);

	for (int i = 0; i < LAGGARDS; i++) {
		struct tally lt = {0};

		for (int k = 0; k < 200 && !lag[i].eof; k++) {
			reader_read(&lag[i]);
			pump(f);
		}
		assert_true(lag[i].eof); /* dropped */
		reader_each(&lag[i], count, &lt);
		/* what it got before the drop is a prefix of the truth */
		assert_true(lt.opened + lt.resolved < 600);
		for (size_t k = 0; k < lt.nk; k++)
			assert_int_equal(lt.kinds[k], k % 2 ? 'r' : 'o');
		close(lag[i].fd);
		munmap(lag[i].buf, READER_MAX);
	}
	close(rd.fd);
	munmap(rd.buf, READER_MAX);
	pump(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_updates_coalesced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_laggard_dropped, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
