/* Directory watches on one inotify instance per loop (probes/fswatch.c): one
 * instance for many watchers, each seeing only the events it asked for,
 * watches of one directory sharing the kernel's watch (freeing one leaves the
 * other working), the watch's end when the directory goes, and the instance
 * closed with the last watch.
 * vd-tier: check (no root, no namespace) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "probes/fswatch.h"

struct seen {
	int n, ignored;
	char last[64];
};

static void on_event(void *userdata, const struct inotify_event *e)
{
	struct seen *s = userdata;

	if (e->mask & IN_IGNORED) {
		s->ignored++;
		return;
	}
	s->n++;
	snprintf(s->last, sizeof(s->last), "%s", e->len ? e->name : "");
}

/* This process's inotify instances. */
static int instances(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	char path[64], link[64];
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		ssize_t len;
		snprintf(path, sizeof(path), "/proc/self/fd/%.20s", de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len > 0) {
			link[len] = '\0';
			n += strcmp(link, "anon_inode:inotify") == 0;
		}
	}
	closedir(d);
	return n;
}

static void touch(const char *dir, const char *name)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
}

static void run_loop(struct event_base *base)
{
	struct timeval tv = {0, 50 * 1000};

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static void test_shared(void **state)
{
	char a[] = "/tmp/vd-fswatch-XXXXXX", b[] = "/tmp/vd-fswatch-XXXXXX", cmd[100];
	struct event_base *base = event_base_new();
	struct fswatch *w[40], *wb = NULL;
	struct seen s[40], sb;
	int before = instances();

	assert_non_null(base);
	assert_non_null(mkdtemp(a));
	assert_non_null(mkdtemp(b));
	memset(s, 0, sizeof(s));
	memset(&sb, 0, sizeof(sb));
	/* 40 watchers of one directory and one of another: one instance */
	for (int i = 0; i < 40; i++)
		assert_int_equal(fswatch_add(base, a, IN_CLOSE_WRITE, on_event, &s[i], &w[i]), 0);
	assert_int_equal(fswatch_add(base, b, IN_CREATE, on_event, &sb, &wb), 0);
	assert_int_equal(instances(), before + 1);
	assert_int_equal(fswatch_wd(w[0]), fswatch_wd(w[39])); /* the kernel's one watch */
	assert_true(fswatch_wd(wb) != fswatch_wd(w[0]));

	touch(a, "x.conf");
	run_loop(base);
	for (int i = 0; i < 40; i++) {
		assert_int_equal(s[i].n, 1);
		assert_string_equal(s[i].last, "x.conf");
	}
	assert_int_equal(sb.n, 0); /* another directory's */

	/* freeing most watchers of a directory leaves the rest working */
	for (int i = 1; i < 40; i++)
		fswatch_free(w[i]);
	touch(a, "y.conf");
	run_loop(base);
	assert_int_equal(s[0].n, 2);
	assert_string_equal(s[0].last, "y.conf");
	assert_int_equal(s[1].n, 1);

	/* each sees the events it asked for: b's watcher wants IN_CREATE only,
	 * a second one of b IN_CLOSE_WRITE only (the kernel's mask is both) */
	struct seen sb2 = {0};
	struct fswatch *wb2 = NULL;
	assert_int_equal(fswatch_add(base, b, IN_CLOSE_WRITE, on_event, &sb2, &wb2), 0);
	touch(b, "z"); /* IN_CREATE, then IN_CLOSE_WRITE */
	run_loop(base);
	assert_int_equal(sb.n, 1);
	assert_int_equal(sb2.n, 1);
	fswatch_free(wb2);

	/* the directory goes: its watchers hear the watch's end */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b);
	assert_int_equal(system(cmd), 0);
	run_loop(base);
	assert_int_equal(sb.ignored, 1);
	assert_int_equal(fswatch_wd(wb), -1);
	fswatch_free(wb);

	/* a directory that is not there */
	assert_int_equal(fswatch_add(base, b, IN_CREATE, on_event, &sb, &wb), -ENOENT);

	/* the last watch closes the instance */
	fswatch_free(w[0]);
	assert_int_equal(instances(), before);
	fswatch_free(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", a);
	assert_int_equal(system(cmd), 0);
	event_base_free(base);
}

/* Two loops (the daemon's and a test's) do not share an instance. */
static void test_per_loop(void **state)
{
	struct event_base *b1 = event_base_new(), *b2 = event_base_new();
	struct fswatch *w1 = NULL, *w2 = NULL;
	struct seen s1 = {0}, s2 = {0};
	int before = instances();

	assert_int_equal(fswatch_add(b1, "/tmp", IN_CREATE, on_event, &s1, &w1), 0);
	assert_int_equal(fswatch_add(b2, "/tmp", IN_CREATE, on_event, &s2, &w2), 0);
	assert_int_equal(instances(), before + 2);
	fswatch_free(w1);
	fswatch_free(w2);
	assert_int_equal(instances(), before);
	event_base_free(b1);
	event_base_free(b2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared),
		cmocka_unit_test(test_per_loop),
	};

	int fd = inotify_init1(IN_CLOEXEC);

	if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
		/* every instance of this user is taken (fs.inotify.max_user_instances) */
		printf("SKIP: no inotify instance left: %s\n", strerror(errno));
		return 77;
	}
	if (fd >= 0)
		close(fd);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
