/* History file: append and query, rotation at the bound, read back after a
 * reopen, torn and garbage lines, kill -9 in the middle of appending, and
 * the stepped cursor the control socket pages with: pages that add up to the
 * query, a limit over both generations, a snapshot that appends and
 * rotations after the open do not change, the reading budget of one step,
 * and a history.1 that is a FIFO or far over the bound.
 * vd-tier: check (no root, no namespace) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "../../daemon/history.h"

struct fixture {
	char dir[64];
	char cur[96];
	char old[96];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vd-history-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->cur, sizeof(f->cur), "%s/history", f->dir);
	snprintf(f->old, sizeof(f->old), "%s/history.1", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->cur);
	unlink(f->old);
	snprintf(f->cur, sizeof(f->cur), "%s/lock", f->dir);
	unlink(f->cur);
	rmdir(f->dir);
	free(f);
	return 0;
}

static cJSON *make_event(int64_t t, long seq, const char *event, size_t pad)
{
	cJSON *ev = cJSON_CreateObject();
	char summary[512];

	assert_true(pad < sizeof(summary) - 64);
	int n = snprintf(summary, sizeof(summary), "seq %ld: the clock is 903 s behind", seq);
	memset(summary + n, 'x', pad);
	summary[n + (int)pad] = '\0';
	cJSON_AddNumberToObject(ev, "time", (double)t);
	cJSON_AddStringToObject(ev, "event", event);
	cJSON_AddStringToObject(ev, "tunnel", "office");
	cJSON_AddStringToObject(ev, "cause", "clock-skew");
	cJSON_AddStringToObject(ev, "severity", "error");
	cJSON_AddStringToObject(ev, "summary", summary);
	cJSON_AddNumberToObject(ev, "seq", (double)seq);
	return ev;
}

static int append_one(struct history *h, int64_t t, long seq, size_t pad)
{
	cJSON *ev = make_event(t, seq, seq % 2 ? "resolved" : "opened", pad);
	int r = history_append(h, ev);

	cJSON_Delete(ev);
	return r;
}

static cJSON *events_of(cJSON *res)
{
	cJSON *evs = cJSON_GetObjectItemCaseSensitive(res, "events");

	assert_non_null(evs);
	assert_true(cJSON_IsArray(evs));
	return evs;
}

static long seq_at(cJSON *evs, int i)
{
	cJSON *s = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(evs, i), "seq");

	assert_true(cJSON_IsNumber(s));
	return (long)s->valuedouble;
}

static off_t file_size(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	return st.st_size;
}

static void append_raw(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

/* Every descriptor the module leaves open must not leak into probes' children. */
static void assert_all_cloexec(const char *dir)
{
	char link[64], target[256];
	ssize_t n;

	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int found = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		if (*end || end == de->d_name || fd <= 2 || fd == dirfd(d))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%ld", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		/* only ours: the test runner may hand us descriptors of its own */
		if (strncmp(target, dir, strlen(dir)) != 0)
			continue;
		found++;
		assert_true(fcntl((int)fd, F_GETFD) & FD_CLOEXEC);
	}
	closedir(d);
	assert_int_equal(found, 3); /* the directory, the file and the lock */
}

static void test_append_query(void **state)
{
	struct fixture *f = *state;
	struct history *h = NULL;
	cJSON *res, *evs;

	assert_int_equal(history_open(f->dir, 0, &h), 0);
	assert_all_cloexec(f->dir);
	res = history_query(h, -1, 0);
	assert_int_equal(cJSON_GetArraySize(events_of(res)), 0);
	cJSON_Delete(res);

	for (long i = 0; i < 5; i++)
		assert_int_equal(append_one(h, 1000 + i, i, 0), 0);

	res = history_query(h, -1, 0);
	evs = events_of(res);
	assert_int_equal(cJSON_GetArraySize(evs), 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(seq_at(evs, i), i);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(evs, 0), "event")->valuestring, "opened");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(evs, 0), "summary")->valuestring,
	                    "seq 0: the clock is 903 s behind");
	cJSON_Delete(res);

	/* since is inclusive */
	res = history_query(h, 1002, 0);
	evs = events_of(res);
	assert_int_equal(cJSON_GetArraySize(evs), 3);
	assert_int_equal(seq_at(evs, 0), 2);
	cJSON_Delete(res);

	/* limit keeps the newest, oldest first */
	res = history_query(h, -1, 2);
	evs = events_of(res);
	assert_int_equal(cJSON_GetArraySize(evs), 2);
	assert_int_equal(seq_at(evs, 0), 3);
	assert_int_equal(seq_at(evs, 1), 4);
	cJSON_Delete(res);

	res = history_query(h, 1001, 10);
	assert_int_equal(cJSON_GetArraySize(events_of(res)), 4);
	cJSON_Delete(res);

	res = history_query(h, 2000, 0);
	assert_int_equal(cJSON_GetArraySize(events_of(res)), 0);
	cJSON_Delete(res);

	/* one line per event, newline-terminated */
	{
		char buf[8192];
		int fd = open(f->cur, O_RDONLY | O_CLOEXEC);
		ssize_t n = read(fd, buf, sizeof(buf));
		int lines = 0;
		close(fd);
		assert_true(n > 0);
		assert_int_equal(buf[n - 1], '\n');
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
		assert_int_equal(lines, 5);
	}
	history_close(h);
}

static void test_bad_input(void **state)
{
	struct fixture *f = *state;
	struct history *h = NULL;
	cJSON *ev, *res;
	char big[20000];

	assert_int_equal(history_open(f->dir, 0, &h), 0);
	ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "event", "opened");
	assert_int_equal(history_append(h, ev), -EINVAL); /* no time */
	cJSON_AddNumberToObject(ev, "time", 5);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cJSON_AddStringToObject(ev, "summary", big);
	assert_int_equal(history_append(h, ev), -EMSGSIZE);
	cJSON_Delete(ev);
	ev = cJSON_CreateArray();
	assert_int_equal(history_append(h, ev), -EINVAL);
	cJSON_Delete(ev);
	/* a newline inside a string stays escaped: still one line */
	ev = make_event(7, 1, "opened", 0);
	cJSON_ReplaceItemInObject(ev, "summary", cJSON_CreateString("two\nlines"));
	assert_int_equal(history_append(h, ev), 0);
	cJSON_Delete(ev);
	history_close(h);
	assert_int_equal(history_open(f->dir, 0, &h), 0);
	res = history_query(h, -1, 0);
	assert_int_equal(cJSON_GetArraySize(events_of(res)), 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(events_of(res), 0), "summary")->valuestring,
	                    "two\nlines");
	cJSON_Delete(res);
	history_close(h);

	assert_int_equal(history_open("/nonexistent/vd", 0, &h), -ENOENT);
	history_close(NULL);
}

static void test_rotation(void **state)
{
	struct fixture *f = *state;
	struct history *h = NULL;
	const size_t max = 4096;
	long n = 0;
	cJSON *res, *evs;
	int count;

	assert_int_equal(history_open(f->dir, max, &h), 0);
	/* about 300 bytes per line: 3 generations' worth */
	while (n < 45) {
		assert_int_equal(append_one(h, 100 + n, n, 200), 0);
		n++;
		assert_true((size_t)file_size(f->cur) <= max);
		if (file_size(f->old) >= 0)
			assert_true((size_t)file_size(f->old) <= max);
	}
	assert_true(file_size(f->old) > 0);

	res = history_query(h, -1, 0);
	evs = events_of(res);
	count = cJSON_GetArraySize(evs);
	/* the oldest generation is gone, the two newest are all there, in order */
	assert_true(count < n);
	assert_true(count > (int)(max / 400));
	for (int i = 0; i < count; i++)
		assert_int_equal(seq_at(evs, i), n - count + i);
	cJSON_Delete(res);

	/* the first append after a rotation starts an empty file */
	{
		off_t before = file_size(f->cur);
		long m = n;
		while (file_size(f->cur) >= before) {
			before = file_size(f->cur);
			assert_int_equal(append_one(h, 100 + m, m, 200), 0);
			m++;
			assert_true(m < n + 40);
		}
		assert_true(file_size(f->cur) < 400);
		res = history_query(h, -1, 1);
		assert_int_equal(seq_at(events_of(res), 0), m - 1);
		cJSON_Delete(res);
	}
	history_close(h);

	/* a smaller bound at the next start rotates what is there */
	assert_int_equal(history_open(f->dir, 0, &h), 0);
	history_close(h);
	assert_true(file_size(f->cur) > 0);
	assert_int_equal(history_open(f->dir, 4096, &h), 0);
	for (int i = 0; i < 12; i++)
		assert_int_equal(append_one(h, 1000 + i, 1000 + i, 200), 0);
	history_close(h);
	assert_int_equal(history_open(f->dir, 1, &h), 0); /* clamped to the minimum, 4096 */
	assert_true((size_t)file_size(f->cur) <= 4096);
	history_close(h);
}

static void test_reopen(void **state)
{
	struct fixture *f = *state;
	struct history *h = NULL;
	cJSON *res, *evs;

	assert_int_equal(history_open(f->dir, 0, &h), 0);
	for (long i = 0; i < 3; i++)
		assert_int_equal(append_one(h, 50 + i, i, 0), 0);
	history_close(h);

	assert_int_equal(history_open(f->dir, 0, &h), 0);
	res = history_query(h, -1, 0);
	assert_int_equal(cJSON_GetArraySize(events_of(res)), 3);
	cJSON_Delete(res);
	assert_int_equal(append_one(h, 53, 3, 0), 0);
	res = history_query(h, -1, 0);
	evs = events_of(res);
	assert_int_equal(cJSON_GetArraySize(evs), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(seq_at(evs, i), i);
	cJSON_Delete(res);
	history_close(h);
}

static void test_torn_and_garbage(void **state)
{
	struct fixture *f = *state;
	struct history *h = NULL;
	cJSON *res, *evs;
	char *longline;
	off_t clean;

	assert_int_equal(history_open(f->dir, 0, &h), 0);
	assert_int_equal(append_one(h, 10, 0, 0), 0);
	append_raw(f->cur, "this is not json\n");
	append_raw(f->cur, "[1,2,3]\n");
	append_raw(f->cur, "{\"event\":\"opened\"}\n");          /* no time */
	append_raw(f->cur, "{\"time\":11}\n");                    /* no event */
	append_raw(f->cur, "\n");
	append_raw(f->cur, "{\"time\":12,\"event\":\"opened\"} trailing\n");
	longline = malloc(40000);
	assert_non_null(longline);
	memset(longline, ' ', 39998);
	{
		static const char head[] = "{\"time\":13,\"event\":\"opened\",\"s\":\"";
		memcpy(longline, head, sizeof(head) - 1);
	}
	memcpy(longline + 39996, "\"}", 2);
	longline[39998] = '\n';
	longline[39999] = '\0';
	append_raw(f->cur, longline); /* too long: not ours */
	free(longline);
	assert_int_equal(append_one(h, 14, 1, 0), 0);
	clean = file_size(f->cur);
	append_raw(f->cur, "{\"time\":15,\"event\":\"opened\",\"tunnel\":\"off"); /* torn */

	/* on read the torn last line and the garbage are skipped */
	res = history_query(h, -1, 0);
	evs = events_of(res);
	assert_int_equal(cJSON_GetArraySize(evs), 2);
	assert_int_equal(seq_at(evs, 0), 0);
	assert_int_equal(seq_at(evs, 1), 1);
	cJSON_Delete(res);
	history_close(h);

	/* reopen cuts the torn tail, so the next append is a line of its own */
	assert_int_equal(history_open(f->dir, 0, &h), 0);
	assert_int_equal(file_size(f->cur), clean);
	assert_int_equal(append_one(h, 16, 2, 0), 0);
	res = history_query(h, -1, 0);
	evs = events_of(res);
	assert_int_equal(cJSON_GetArraySize(evs), 3);
	assert_int_equal(seq_at(evs, 2), 2);
	cJSON_Delete(res);
	history_close(h);

	/* a file that is nothing but a torn line */
	unlink(f->cur);
	unlink(f->old);
	close(open(f->cur, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	append_raw(f->cur, "{\"time\":1,\"ev");
	assert_int_equal(history_open(f->dir, 0, &h), 0);
	assert_int_equal(file_size(f->cur), 0);
	history_close(h);
}

/* Checks the raw files: every newline-terminated line parses, and only the end
 * of the current file may hold a fragment. Returns the number of good lines. */
static int check_raw(const char *path, int allow_tail)
{
	FILE *fp = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int good = 0;

	if (!fp)
		return 0;
	while ((n = getline(&line, &cap, fp)) > 0) {
		if (line[n - 1] != '\n') {
			assert_true(allow_tail);
			assert_int_equal(fgetc(fp), EOF);
			break;
		}
		cJSON *ev = cJSON_ParseWithLength(line, (size_t)n - 1);
		if (!ev)
			fail_msg("corrupt line in %s: %s", path, line);
		cJSON_Delete(ev);
		good++;
	}
	free(line);
	fclose(fp);
	return good;
}

static void test_kill9(void **state)
{
	struct fixture *f = *state;
	long next = 0;
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();

	fprintf(stderr, "# kill -9 test seed %u\n", seed);
	srand(seed);
	for (int round = 0; round < 20; round++) {
		struct history *h = NULL;
		pid_t pid;
		int status;
		cJSON *res, *evs;
		int count;

		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct history *ch = NULL;
			/* small bound: the kill also lands around rotations */
			if (history_open(f->dir, 8192, &ch) < 0)
				_exit(2);
			for (long s = next;; s++)
				if (append_one(ch, 1000 + s, s, (size_t)(s * 37 % 300)) < 0)
					_exit(3);
		}
		/* random moment: 1..40 ms after start */
		struct timespec ts = {0, (long)(1 + rand() % 40) * 1000000L};
		nanosleep(&ts, NULL);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

		check_raw(f->old, 0);
		check_raw(f->cur, 1);

		assert_int_equal(history_open(f->dir, 8192, &h), 0);
		/* after the open nothing is left but whole lines */
		check_raw(f->cur, 0);
		res = history_query(h, -1, 0);
		evs = events_of(res);
		count = cJSON_GetArraySize(evs);
		/* consecutive: only the event being written can be missing, and
		 * it is the last one, so the next sequence continues from here */
		for (int i = 1; i < count; i++)
			assert_int_equal(seq_at(evs, i), seq_at(evs, i - 1) + 1);
		if (count > 0) {
			assert_true(seq_at(evs, count - 1) >= next - 1);
			next = seq_at(evs, count - 1) + 1;
		}
		cJSON_Delete(res);

		/* appends continue cleanly */
		assert_int_equal(append_one(h, 1000 + next, next, 5), 0);
		res = history_query(h, -1, 1);
		assert_int_equal(cJSON_GetArraySize(events_of(res)), 1);
		assert_int_equal(seq_at(events_of(res), 0), next);
		cJSON_Delete(res);
		next++;
		history_close(h);
		check_raw(f->cur, 0);
	}
	assert_true(next > 20);
}

/* One daemon per state directory: a second open is refused while the first
 * holds the lock, the lock names its holder, and it goes with the holder,
 * closed or killed. */
static void test_lock(void **state)
{
	struct fixture *f = *state;
	struct history *h = NULL, *h2 = NULL;
	int status;
	pid_t pid;

	assert_int_equal(history_open(f->dir, 0, &h), 0);
	assert_int_equal(history_open(f->dir, 0, &h2), -EBUSY);
	assert_null(h2);
	assert_int_equal(history_lock_owner(f->dir), getpid());
	history_close(h);
	assert_int_equal(history_open(f->dir, 0, &h2), 0);
	history_close(h2);

	/* a holder killed with SIGKILL leaves no stale lock */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct history *ch = NULL;
		if (history_open(f->dir, 0, &ch) < 0)
			_exit(2);
		pause();
		_exit(0);
	}
	for (int i = 0; i < 500 && history_lock_owner(f->dir) != pid; i++)
		usleep(10000);
	assert_int_equal(history_lock_owner(f->dir), pid);
	assert_int_equal(history_open(f->dir, 0, &h), -EBUSY);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(history_open(f->dir, 0, &h), 0);
	history_close(h);
}

/* Runs a cursor to its end in pages of at most max_bytes; returns all the
 * events in order, checks each page's bound and counts pages and steps. */
static cJSON *run_pages(struct history *h, int64_t since, size_t limit, size_t max_bytes, size_t *pages,
			size_t *steps)
{
	struct history_cursor *c = NULL;
	cJSON *all = cJSON_CreateArray(), *page = cJSON_CreateArray();
	size_t bytes = 0;
	int r;

	*pages = *steps = 0;
	assert_int_equal(history_cursor_open(h, since, limit, &c), 0);
	for (;;) {
		r = history_cursor_step(c, page, &bytes, max_bytes);
		(*steps)++;
		assert_true(r >= 0);
		if (r == HISTORY_AGAIN)
			continue;
		/* a page never passes the bound unless one event alone does */
		if (cJSON_GetArraySize(page) > 1) {
			char *txt = cJSON_PrintUnformatted(page);
			assert_true(strlen(txt) <= max_bytes + 1);
			free(txt);
		}
		assert_true(r == HISTORY_END || cJSON_GetArraySize(page) > 0);
		(*pages)++;
		while (cJSON_GetArraySize(page) > 0)
			cJSON_AddItemToArray(all, cJSON_DetachItemFromArray(page, 0));
		bytes = 0;
		if (r == HISTORY_END)
			break;
	}
	cJSON_Delete(page);
	history_cursor_free(c);
	return all;
}

static void test_cursor_pages(void **state)
{
	struct fixture *f = *state;
	struct history *h = NULL;
	size_t pages, steps;
	cJSON *all;

	/* a small bound: 300 events of ~170 bytes spread over both files */
	assert_int_equal(history_open(f->dir, 8192, &h), 0);
	for (long i = 0; i < 300; i++)
		assert_int_equal(append_one(h, 1000 + i, i, 0), 0);
	assert_true(file_size(f->old) > 0);

	all = run_pages(h, -1, 0, 2048, &pages, &steps);
	/* only the newest two generations are kept */
	long first = seq_at(all, 0), n = cJSON_GetArraySize(all);
	assert_true(n > 40 && first > 0);
	for (long i = 0; i < n; i++)
		assert_int_equal(seq_at(all, (int)i), first + i);
	assert_int_equal(seq_at(all, (int)n - 1), 299);
	assert_true(pages >= (size_t)n * 150 / 2048);
	cJSON_Delete(all);

	/* limit: the newest, over the seam of the two files, in pages */
	all = run_pages(h, -1, (size_t)n - 3, 1024, &pages, &steps);
	assert_int_equal(cJSON_GetArraySize(all), n - 3);
	assert_int_equal(seq_at(all, 0), first + 3);
	assert_int_equal(seq_at(all, (int)n - 4), 299);
	cJSON_Delete(all);
	all = run_pages(h, 1290, 5, 1024, &pages, &steps);
	assert_int_equal(cJSON_GetArraySize(all), 5);
	assert_int_equal(seq_at(all, 0), 295);
	cJSON_Delete(all);
	/* a limit above the count and since past the end */
	all = run_pages(h, 1298, 1000, 1024, &pages, &steps);
	assert_int_equal(cJSON_GetArraySize(all), 2);
	cJSON_Delete(all);
	all = run_pages(h, 5000, 3, 1024, &pages, &steps);
	assert_int_equal(cJSON_GetArraySize(all), 0);
	assert_int_equal(pages, 1);
	cJSON_Delete(all);

	/* one event larger than a page comes alone */
	all = run_pages(h, -1, 2, 10, &pages, &steps);
	assert_int_equal(cJSON_GetArraySize(all), 2);
	assert_int_equal(pages, 2);
	cJSON_Delete(all);
	history_close(h);
}

static void test_cursor_snapshot(void **state)
{
	struct fixture *f = *state;
	struct history *h = NULL;
	struct history_cursor *c = NULL;
	cJSON *page = cJSON_CreateArray();
	size_t bytes = 0;
	int r;

	assert_int_equal(history_open(f->dir, 4096, &h), 0);
	for (long i = 0; i < 10; i++)
		assert_int_equal(append_one(h, 1000 + i, i, 0), 0);
	assert_int_equal(history_cursor_open(h, -1, 0, &c), 0);
	/* appended after the open, and rotating twice: not seen, nothing lost */
	for (long i = 10; i < 60; i++)
		assert_int_equal(append_one(h, 1000 + i, i, 0), 0);
	while ((r = history_cursor_step(c, page, &bytes, SIZE_MAX)) == HISTORY_AGAIN)
		;
	assert_int_equal(r, HISTORY_END);
	assert_int_equal(cJSON_GetArraySize(page), 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(seq_at(page, i), i);
	cJSON_Delete(page);
	history_cursor_free(c);
	history_close(h);
}

/* A history.1 of 8 MB, far past the bound (written by someone else): the
 * query reads it in steps of HISTORY_STEP, and one page stays one page. */
static void test_cursor_big(void **state)
{
	struct fixture *f = *state;
	struct history *h = NULL;
	size_t pages, steps, lines = 0;
	char line[256];
	FILE *fp = fopen(f->old, "w");
	cJSON *all;

	assert_non_null(fp);
	while (ftell(fp) < 8L * 1024 * 1024) {
		int n = snprintf(line, sizeof(line),
				 "{\"time\":%zu,\"event\":\"opened\",\"tunnel\":\"office\",\"cause\":\"clock-skew\","
				 "\"severity\":\"error\",\"summary\":\"the clock is 903 s behind\",\"seq\":%zu}\n",
				 1000 + lines, lines);
		fwrite(line, 1, (size_t)n, fp);
		lines++;
	}
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(history_open(f->dir, 0, &h), 0);
	all = run_pages(h, -1, 7, 256 * 1024, &pages, &steps);
	assert_int_equal(cJSON_GetArraySize(all), 7);
	assert_int_equal(seq_at(all, 6), (long)lines - 1);
	/* two passes of 8 MB in steps of at most HISTORY_STEP (+ a line) */
	assert_true(steps >= 2 * 8 * 1024 * 1024 / (HISTORY_STEP + 16384));
	cJSON_Delete(all);
	history_close(h);
}

/* A FIFO named history.1: the query must not block in open(2) and goes on
 * with the readable generation. */
static void test_cursor_fifo(void **state)
{
	struct fixture *f = *state;
	struct history *h = NULL;
	cJSON *res;

	assert_int_equal(mkfifo(f->old, 0600), 0);
	assert_int_equal(history_open(f->dir, 0, &h), 0);
	assert_int_equal(append_one(h, 1000, 0, 0), 0);
	alarm(10); /* a blocking open would hang the test: fail it instead */
	res = history_query(h, -1, 0);
	alarm(0);
	assert_int_equal(cJSON_GetArraySize(events_of(res)), 1);
	cJSON_Delete(res);
	history_close(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_and_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill9, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_fifo, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
