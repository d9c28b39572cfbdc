/* The timeline file (daemon/tlfile.c): its size, a torn last record, a
 * wrapped ring, a torn write over the oldest record, a corrupted record in
 * the middle, a broken header and a wrong size (records kept), the clock
 * set back (later records dropped, order kept), what may not be opened (a
 * FIFO without blocking, a symlink, a second link), the cursor's buckets,
 * filters and pages, and kill -9 during writes in a loop: the file stays
 * readable and loses at most the record being written.
 * vd-tier: check (no root, no namespace) */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
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

#include "tlfile.h"

#define T0 1790000040 /* a minute's start */

struct fx {
	char dir[64];
	int dirfd;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/vd-tlfile-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*state = f;
	return f->dirfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	close(f->dirfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* The record the tests write as number i: its figures say which it is. */
static struct vd_tl_rec rec_n(uint64_t i)
{
	struct vd_tl_rec r;

	vd_tl_rec_init(&r);
	r.time = T0 + (int64_t)i * 60;
	r.state = VD_TL_STATE_CONNECTED;
	r.inside.sent = 10;
	r.inside.received = (uint32_t)(i % 11);
	r.inside.rtt_median_ms = (float)(i % 1000);
	return r;
}

static void append_n(struct tlfile *tf, uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i <= to; i++) {
		struct vd_tl_rec r = rec_n(i);

		assert_int_equal(tlfile_append(tf, &r, NULL), 0);
		assert_true(r.seq == i);
	}
}

/* Every record of the file in order: n, the first and last seq, and that
 * each is the one rec_n wrote; *gaps counts seqs missing in between. */
static uint64_t read_all(struct fx *f, const char *tunnel, uint64_t *first, uint64_t *last, uint64_t *gaps,
                         uint64_t *bad)
{
	struct tlfile_iter *it;
	struct vd_tl_rec r;
	uint64_t n = 0, prev = 0;
	int64_t prev_time = INT64_MIN;
	int e;

	*gaps = 0;
	assert_int_equal(tlfile_iter_open(f->dirfd, tunnel, &it), 0);
	for (;;) {
		size_t budget = 1 << 20;

		e = tlfile_iter_next(it, &r, &budget);
		if (e == -EAGAIN)
			continue;
		assert_true(e >= 0);
		if (e == 0)
			break;
		assert_true(r.time == T0 + (int64_t)r.seq * 60);
		assert_true(r.inside.received == r.seq % 11);
		assert_true(r.time > prev_time);
		if (n == 0)
			*first = r.seq;
		else
			*gaps += r.seq - prev - 1;
		prev = r.seq;
		prev_time = r.time;
		n++;
	}
	*last = prev;
	if (bad)
		*bad = tlfile_iter_bad(it);
	tlfile_iter_free(it);
	return n;
}

static off_t slot_off(uint64_t seq)
{
	return (off_t)VD_TL_HEADER_SIZE + (off_t)(seq % VD_TL_SLOTS) * VD_TL_REC_SIZE;
}

static void scribble(struct fx *f, const char *tunnel, off_t off, const void *data, size_t len)
{
	char name[VD_TL_FILE_NAME_MAX];
	int fd;

	assert_int_equal(vd_tl_file_name(tunnel, name, sizeof(name)), 0);
	fd = openat(f->dirfd, name, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, len, off), (ssize_t)len);
	close(fd);
}

static void test_fresh(void **state)
{
	struct fx *f = *state;
	struct tlfile_open_info info;
	struct tlfile *tf;
	struct stat st;
	uint64_t first, last, gaps;

	assert_int_equal(tlfile_open(f->dirfd, "office", T0, &tf, &info), 0);
	assert_true(info.created && !info.header_rewritten && info.records == 0);
	assert_true(tlfile_last_seq(tf) == 0 && tlfile_last_time(tf) == INT64_MIN);
	append_n(tf, 1, 3);
	tlfile_close(tf);
	assert_int_equal(fstatat(f->dirfd, "timeline.office", &st, 0), 0);
	assert_int_equal(st.st_size, VD_TL_FILE_SIZE);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(read_all(f, "office", &first, &last, &gaps, NULL), 3);
	assert_true(first == 1 && last == 3 && gaps == 0);

	/* reopened: it goes on where it stopped */
	assert_int_equal(tlfile_open(f->dirfd, "office", T0, &tf, &info), 0);
	assert_true(!info.created && info.records == 3 && info.bad_slots == 0);
	assert_true(tlfile_last_seq(tf) == 3 && tlfile_last_time(tf) == T0 + 180);
	append_n(tf, 4, 4);
	tlfile_close(tf);
	assert_int_equal(read_all(f, "office", &first, &last, &gaps, NULL), 4);
}

static void test_torn_last(void **state)
{
	struct fx *f = *state;
	struct tlfile_open_info info;
	struct tlfile *tf;
	uint8_t junk[VD_TL_REC_SIZE / 2];
	uint64_t first, last, gaps, bad;

	assert_int_equal(tlfile_open(f->dirfd, "torn", T0, &tf, NULL), 0);
	append_n(tf, 1, 10);
	tlfile_close(tf);
	/* the 10th write cut halfway: its second half never came */
	memset(junk, 0, sizeof(junk));
	scribble(f, "torn", slot_off(10) + VD_TL_REC_SIZE / 2, junk, sizeof(junk));
	assert_int_equal(read_all(f, "torn", &first, &last, &gaps, &bad), 9);
	assert_true(first == 1 && last == 9 && gaps == 0 && bad == 1);
	/* the writer goes on after the last whole record, over the torn one */
	assert_int_equal(tlfile_open(f->dirfd, "torn", T0, &tf, &info), 0);
	assert_true(info.records == 9 && info.bad_slots == 1);
	assert_true(tlfile_last_seq(tf) == 9);
	append_n(tf, 10, 12);
	tlfile_close(tf);
	assert_int_equal(read_all(f, "torn", &first, &last, &gaps, &bad), 12);
	assert_true(bad == 0);
}

static void test_wrapped(void **state)
{
	struct fx *f = *state;
	struct tlfile_open_info info;
	struct tlfile *tf;
	uint8_t junk[16];
	uint64_t first, last, gaps, bad, end = VD_TL_SLOTS + 100;

	assert_int_equal(tlfile_open(f->dirfd, "ring", T0, &tf, NULL), 0);
	append_n(tf, 1, end);
	tlfile_close(tf);
	/* seven days: the newest VD_TL_SLOTS, oldest first */
	assert_int_equal(read_all(f, "ring", &first, &last, &gaps, &bad), VD_TL_SLOTS);
	assert_true(first == 101 && last == end && gaps == 0 && bad == 0);
	assert_int_equal(tlfile_open(f->dirfd, "ring", T0, &tf, &info), 0);
	assert_true(info.records == VD_TL_SLOTS && tlfile_last_seq(tf) == end);
	tlfile_close(tf);

	/* a write torn over the oldest record: that one (going anyway) and the
	 * one written are lost, nothing else */
	memset(junk, 0xa5, sizeof(junk));
	scribble(f, "ring", slot_off(end + 1) + 40, junk, sizeof(junk));
	assert_int_equal(read_all(f, "ring", &first, &last, &gaps, &bad), VD_TL_SLOTS - 1);
	assert_true(first == 102 && last == end && gaps == 0 && bad == 1);
	assert_int_equal(tlfile_open(f->dirfd, "ring", T0, &tf, NULL), 0);
	append_n(tf, end + 1, end + 1);
	tlfile_close(tf);
	assert_int_equal(read_all(f, "ring", &first, &last, &gaps, &bad), VD_TL_SLOTS);
	assert_true(first == 102 && last == end + 1);
}

static void test_corrupt_middle(void **state)
{
	struct fx *f = *state;
	struct tlfile_open_info info;
	struct tlfile *tf;
	uint8_t b = 0x5a;
	uint64_t first, last, gaps, bad;

	assert_int_equal(tlfile_open(f->dirfd, "mid", T0, &tf, NULL), 0);
	append_n(tf, 1, 10);
	tlfile_close(tf);
	scribble(f, "mid", slot_off(5) + 33, &b, 1);
	assert_int_equal(read_all(f, "mid", &first, &last, &gaps, &bad), 9);
	assert_true(first == 1 && last == 10 && gaps == 1 && bad == 1);
	assert_int_equal(tlfile_open(f->dirfd, "mid", T0, &tf, &info), 0);
	assert_true(tlfile_last_seq(tf) == 10 && info.bad_slots == 1);
	tlfile_close(tf);
}

static void test_header_and_size(void **state)
{
	struct fx *f = *state;
	struct tlfile_open_info info;
	struct tlfile *tf;
	uint8_t junk[64];
	uint64_t first, last, gaps;
	struct stat st;

	assert_int_equal(tlfile_open(f->dirfd, "hdr", T0, &tf, NULL), 0);
	append_n(tf, 1, 5);
	tlfile_close(tf);
	memset(junk, 'x', sizeof(junk));
	scribble(f, "hdr", 0, junk, sizeof(junk));
	assert_int_equal(tlfile_open(f->dirfd, "hdr", T0, &tf, &info), 0);
	assert_true(info.header_rewritten && !info.created && info.records == 5);
	tlfile_close(tf);
	assert_int_equal(read_all(f, "hdr", &first, &last, &gaps, NULL), 5);

	/* cut short after record 3: grown back, the first three kept */
	assert_int_equal(truncate(strcat(strcpy((char[96]){0}, f->dir), "/timeline.hdr"), slot_off(4)), 0);
	assert_int_equal(tlfile_open(f->dirfd, "hdr", T0, &tf, &info), 0);
	assert_true(info.resized && info.records == 3 && tlfile_last_seq(tf) == 3);
	tlfile_close(tf);
	assert_int_equal(fstatat(f->dirfd, "timeline.hdr", &st, 0), 0);
	assert_int_equal(st.st_size, VD_TL_FILE_SIZE);
}

static void test_clock_back(void **state)
{
	struct fx *f = *state;
	struct tlfile *tf;
	struct vd_tl_rec r = rec_n(0);
	uint64_t dropped = 0, first, last, gaps;

	assert_int_equal(tlfile_open(f->dirfd, "clock", T0, &tf, NULL), 0);
	append_n(tf, 1, 9);
	/* set back to minute 5: 6..9 were stamped in what is now the future */
	r.time = T0 + 5 * 60;
	assert_int_equal(tlfile_append(tf, &r, &dropped), 0);
	assert_true(dropped == 4 && r.seq == 6);
	/* the same minute again (a restart within it) is kept beside it */
	r.seq = 0;
	assert_int_equal(tlfile_append(tf, &r, &dropped), 0);
	assert_true(dropped == 4 && r.seq == 7);
	tlfile_close(tf);
	/* read as records 1-5 and two of minute 5 in write order */
	{
		struct tlfile_iter *it;
		size_t budget = 1 << 20, n = 0;
		int64_t prev = INT64_MIN;
		struct vd_tl_rec x;

		int e;

		assert_int_equal(tlfile_iter_open(f->dirfd, "clock", &it), 0);
		while ((e = tlfile_iter_next(it, &x, &budget)) != 0) {
			if (e == -EAGAIN) {
				budget = 1 << 20;
				continue;
			}
			assert_int_equal(e, 1);
			assert_true(x.time >= prev);
			prev = x.time;
			n++;
		}
		assert_int_equal(n, 7);
		assert_true(prev == T0 + 300);
		tlfile_iter_free(it);
	}
	(void)first;
	(void)last;
	(void)gaps;
}

static void test_refused(void **state)
{
	struct fx *f = *state;
	struct tlfile *tf = NULL;
	struct tlfile_iter *it = NULL;
	char path[128], other[128];

	/* a FIFO: refused at once, never waited on */
	snprintf(path, sizeof(path), "%s/timeline.fifo", f->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(5);
	assert_int_equal(tlfile_open(f->dirfd, "fifo", T0, &tf, NULL), -EINVAL);
	assert_int_equal(tlfile_iter_open(f->dirfd, "fifo", &it), -EINVAL);
	alarm(0);
	/* a symlink to a file elsewhere */
	snprintf(other, sizeof(other), "%s/elsewhere", f->dir);
	close(open(other, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	snprintf(path, sizeof(path), "%s/timeline.link", f->dir);
	assert_int_equal(symlink(other, path), 0);
	assert_int_equal(tlfile_open(f->dirfd, "link", T0, &tf, NULL), -ELOOP);
	/* a second name of another file */
	snprintf(path, sizeof(path), "%s/timeline.hard", f->dir);
	assert_int_equal(link(other, path), 0);
	assert_int_equal(tlfile_open(f->dirfd, "hard", T0, &tf, NULL), -EMLINK);
	/* and the file behind both is untouched */
	{
		struct stat st;

		assert_int_equal(stat(other, &st), 0);
		assert_int_equal(st.st_size, 0);
	}
	assert_int_equal(tlfile_open(f->dirfd, "", T0, &tf, NULL), -EINVAL);
	assert_int_equal(tlfile_iter_open(f->dirfd, "missing", &it), -ENOENT);
	assert_null(tf);
}

/* Every sample of a cursor, pages of at most max bytes. */
static cJSON *cursor_all(struct fx *f, const char *tunnel, int64_t since, int64_t until, uint32_t res, size_t max,
                         size_t *pages)
{
	struct tlfile_cursor *c;
	cJSON *all = cJSON_CreateArray(), *page = cJSON_CreateArray();
	size_t bytes = 0;
	int r;

	*pages = 0;
	assert_int_equal(tlfile_cursor_open(f->dirfd, tunnel, since, until, res, &c), 0);
	do {
		r = tlfile_cursor_step(c, page, &bytes, max);
		assert_true(r >= 0);
		if (r == TLFILE_AGAIN)
			continue;
		if (cJSON_GetArraySize(page) > 0)
			(*pages)++;
		while (cJSON_GetArraySize(page) > 0)
			cJSON_AddItemToArray(all, cJSON_DetachItemFromArray(page, 0));
		bytes = 0;
	} while (r != TLFILE_END);
	cJSON_Delete(page);
	tlfile_cursor_free(c);
	return all;
}

static void test_cursor(void **state)
{
	struct fx *f = *state;
	struct tlfile *tf;
	size_t pages;
	cJSON *all, *s;

	assert_int_equal(tlfile_open(f->dirfd, "cur", T0, &tf, NULL), 0);
	append_n(tf, 1, 100);
	tlfile_close(tf);

	all = cursor_all(f, "cur", INT64_MIN / 2, INT64_MAX / 2, 60, SIZE_MAX, &pages);
	assert_int_equal(cJSON_GetArraySize(all), 100);
	s = cJSON_GetArrayItem(all, 0);
	assert_string_equal(cJSON_GetObjectItem(s, "tunnel")->valuestring, "cur");
	assert_int_equal(cJSON_GetObjectItem(s, "time")->valuedouble, T0 + 60);
	assert_int_equal(cJSON_GetObjectItem(s, "period_s")->valueint, 60);
	assert_string_equal(cJSON_GetObjectItem(s, "state")->valuestring, "connected");
	cJSON_Delete(all);

	/* since/until: [minute 10, minute 20) */
	all = cursor_all(f, "cur", T0 + 600, T0 + 1200, 60, SIZE_MAX, &pages);
	assert_int_equal(cJSON_GetArraySize(all), 10);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(all, 0), "time")->valuedouble, T0 + 600);
	cJSON_Delete(all);

	/* 10-minute buckets, on the epoch's 10 minutes: T0 is 40 minutes past
	 * a 600 s boundary, so 1..100 fall in 11 buckets */
	all = cursor_all(f, "cur", INT64_MIN / 2, INT64_MAX / 2, 600, SIZE_MAX, &pages);
	assert_int_equal(cJSON_GetArraySize(all), 11);
	s = cJSON_GetArrayItem(all, 1);
	assert_int_equal((int64_t)cJSON_GetObjectItem(s, "time")->valuedouble % 600, 0);
	assert_int_equal(cJSON_GetObjectItem(s, "periods")->valueint, 10);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "inside"), "sent")->valueint, 100);
	cJSON_Delete(all);

	/* small pages: all of them still, in order, none lost or doubled */
	all = cursor_all(f, "cur", INT64_MIN / 2, INT64_MAX / 2, 60, 2000, &pages);
	assert_int_equal(cJSON_GetArraySize(all), 100);
	assert_true(pages > 5);
	for (int i = 0; i < 100; i++)
		assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(all, i), "time")->valuedouble,
		                 T0 + (i + 1) * 60);
	cJSON_Delete(all);
	assert_int_equal(tlfile_cursor_open(f->dirfd, "cur", 0, 1, 90, &(struct tlfile_cursor *){NULL}), -EINVAL);
}

/* kill -9 while a child writes as fast as it can, many times over: the
 * child reports each record once pwrite returned; after the kill every
 * reported record is in the file, in one unbroken run (the newest
 * VD_TL_SLOTS of them once the ring wrapped), and the file reads whole. The
 * record being written when the kill came is there or not: it is the only
 * one that may be lost. */
static void test_kill9(void **state)
{
	struct fx *f = *state;
	const char *env = getenv("VD_TL_KILL_LOOPS");
	unsigned loops = env ? (unsigned)atoi(env) : 100, kills = 0, landed = 0, missing = 0;
	uint64_t acked = 0;
	struct timespec seed;

	clock_gettime(CLOCK_MONOTONIC, &seed);
	srand((unsigned)seed.tv_nsec);
	for (unsigned k = 0; k < loops; k++) {
		int p[2];
		pid_t pid;
		uint64_t v, first, last, gaps, bad, n;
		struct timespec nap = {0, (rand() % 20000) * 1000L + 500};

		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
		/* room for every report, so the child is never held in write(2) */
		fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct tlfile *tf;

			close(p[0]);
			if (tlfile_open(f->dirfd, "kill", T0, &tf, NULL) < 0)
				_exit(2);
			for (uint64_t i = tlfile_last_seq(tf) + 1;; i++) {
				struct vd_tl_rec r = rec_n(i);

				if (tlfile_append(tf, &r, NULL) < 0 || r.seq != i)
					_exit(3);
				if (write(p[1], &i, sizeof(i)) != sizeof(i))
					_exit(4);
			}
		}
		close(p[1]);
		nanosleep(&nap, NULL);
		kill(pid, SIGKILL);
		{
			int st;

			assert_int_equal(waitpid(pid, &st, 0), pid);
			/* it ran until killed: no open or write failed */
			assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		}
		kills++;
		while (read(p[0], &v, sizeof(v)) == sizeof(v))
			acked = v;
		close(p[0]);
		if (acked == 0 && faccessat(f->dirfd, "timeline.kill", F_OK, 0) < 0)
			continue; /* killed before it made the file */
		n = read_all(f, "kill", &first, &last, &gaps, &bad);
		assert_true(last == acked || last == acked + 1);
		assert_int_equal(gaps, 0);
		assert_int_equal(bad, 0);
		assert_true(n == (last < VD_TL_SLOTS ? last : VD_TL_SLOTS));
		if (last == acked + 1)
			landed++;
		else
			missing++;
		acked = last; /* the next child goes on from what is there */
	}
	print_message("kill -9: %u kills over %llu records; every reported record kept; the record being "
	              "written landed %u times, not %u times\n",
	              kills, (unsigned long long)acked, landed, missing);
	assert_true(acked > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrapped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_middle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_and_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill9, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
