/* lib/spawn.c: a helper's output and exit status, its environment (fixed,
 * or the caller's without its locale), a program that is not there, one
 * that takes too long (writing or not), one that writes too much. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "vpndoctor/spawn.h"

static int run(const char *path, unsigned flags, size_t max, unsigned ms, char *script, char **out, int *st)
{
	char *const argv[] = {(char *)"sh", (char *)"-c", script, NULL};
	size_t len = 0;
	int r;

	*out = NULL;
	r = vd_run(path, argv, flags, max, ms, out, &len, st);
	if (r == 0)
		assert_int_equal(strlen(*out), len);
	return r;
}

/* Not there: -ENOENT. Under valgrind, which runs posix_spawn's child its own
 * way, the exec's failure comes back as the child's exit 127 instead. */
static void assert_enoent(const char *path, unsigned flags)
{
	const char *pre = getenv("LD_PRELOAD");
	char *out = NULL;
	int st = 0, r = run(path, flags, 100, 5000, (char *)"true", &out, &st);

	if (pre && strstr(pre, "vgpreload") && r == 0) {
		assert_int_equal(st, 127);
		free(out);
		return;
	}
	assert_int_equal(r, -ENOENT);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_output(void **state)
{
	char *out;
	int st = -1;

	(void)state;
	assert_int_equal(run("/bin/sh", 0, 100, 5000, "echo hello", &out, &st), 0);
	assert_string_equal(out, "hello\n");
	assert_int_equal(st, 0);
	free(out);
	assert_int_equal(run("/bin/sh", 0, 100, 5000, "printf x; exit 3", &out, &st), 0);
	assert_string_equal(out, "x");
	assert_int_equal(st, 3);
	free(out);
	/* killed by a signal: 128 + it */
	assert_int_equal(run("/bin/sh", 0, 100, 5000, "kill -9 $$", &out, &st), 0);
	assert_string_equal(out, "");
	assert_int_equal(st, 137);
	free(out);
	/* stdin and stderr are /dev/null */
	assert_int_equal(run("/bin/sh", 0, 100, 5000, "cat; echo err >&2", &out, &st), 0);
	assert_string_equal(out, "");
	free(out);
	/* exactly max bytes is fine; one more is not */
	assert_int_equal(run("/bin/sh", 0, 10, 5000, "printf 0123456789", &out, &st), 0);
	assert_string_equal(out, "0123456789");
	free(out);
	assert_int_equal(run("/bin/sh", 0, 10, 5000, "printf 0123456789A", &out, &st), -EFBIG);
	assert_int_equal(run("/bin/sh", 0, 100, 5000, "yes", &out, &st), -EFBIG);
}

static void test_env(void **state)
{
	char *out;
	int st;

	(void)state;
	/* a PATH of the system's alone: an inherited one may hold a directory
	 * this user cannot search (root's, under su), and a lookup that meets
	 * one says EACCES, not ENOENT, as execvp(3) does */
	setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
	setenv("LANG", "ja_JP.UTF-8", 1);
	setenv("LC_MESSAGES", "ja_JP.UTF-8", 1);
	setenv("VD_TEST_KEPT", "yes", 1);
	/* a daemon's helper: the path as given, C and a fixed PATH alone */
	assert_int_equal(run("/bin/sh", 0, 4096, 5000, "echo \"$LC_ALL|${LANG-}|${LC_MESSAGES-}|${VD_TEST_KEPT-}|$PATH\"",
	                     &out, &st), 0);
	assert_string_equal(out, "C||||/usr/sbin:/usr/bin:/sbin:/bin\n");
	free(out);
	/* the CLI's: looked up in PATH, the caller's environment but its locale */
	assert_int_equal(run("sh", VD_SPAWN_CALLER_ENV, 4096, 5000,
	                     "echo \"$LC_ALL|${LANG-}|${LC_MESSAGES-}|${VD_TEST_KEPT-}\"", &out, &st), 0);
	assert_string_equal(out, "C|||yes\n");
	free(out);
	assert_enoent("/nonexistent/vd-no-such-program", 0);
	assert_enoent("/nonexistent/vd-no-such-program", VD_SPAWN_CALLER_ENV);
	assert_enoent("vd-no-such-program", VD_SPAWN_CALLER_ENV);
}

static void test_timeout(void **state)
{
	char *out;
	double t0;
	int st;

	(void)state;
	t0 = now_s();
	assert_int_equal(run("/bin/sh", 0, 100, 200, "sleep 5", &out, &st), -ETIMEDOUT);
	assert_true(now_s() - t0 < 3);
	/* its output closed, but it does not end */
	t0 = now_s();
	assert_int_equal(run("/bin/sh", 0, 100, 200, "exec >&-; sleep 5", &out, &st), -ETIMEDOUT);
	assert_true(now_s() - t0 < 3);
}

/* The loop's face: what probes/spawn.c does with it. */
static void test_child(void **state)
{
	char *const argv[] = {(char *)"sh", (char *)"-c", (char *)"echo a; sleep 5", NULL};
	struct vd_child c;
	int st = -1, r;

	(void)state;
	assert_int_equal(vd_child_start(&c, "/bin/sh", argv, 0, 100), 0);
	assert_true(c.pid > 0);
	for (int i = 0; i < 500 && (r = vd_child_read(&c)) == 1 && c.len < 2; i++)
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	assert_string_equal(c.buf, "a\n");
	assert_int_equal(vd_child_read(&c), 1); /* more may come */
	assert_int_equal(vd_child_reap(&c, false, &st), 0); /* still runs */
	vd_child_kill(&c);
	assert_int_equal(c.pid, 0);
	vd_child_free(&c);
	assert_int_equal(vd_child_start(&c, "/bin/sh", argv, 0, 0), -EINVAL);
}

/* 'Z' (ended, not yet reaped by whoever adopted it), 0 gone, or its state. */
static char proc_state(long pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "re")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* A kill takes what the helper started too (its process group). */
static void test_kill_group(void **state)
{
	char *const argv[] = {(char *)"sh", (char *)"-c", (char *)"sleep 30 & echo $!; wait", NULL};
	struct vd_child c;
	long grandchild;
	char st = 'R';

	(void)state;
	assert_int_equal(vd_child_start(&c, "/bin/sh", argv, 0, 100), 0);
	for (int i = 0; i < 500 && vd_child_read(&c) == 1 && !strchr(c.buf, '\n'); i++)
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	grandchild = strtol(c.buf, NULL, 10);
	assert_true(grandchild > 1);
	assert_true(proc_state(grandchild) != 0 && proc_state(grandchild) != 'Z');
	vd_child_kill(&c);
	vd_child_free(&c);
	/* SIGKILL is delivered at once; its end is seen within moments */
	for (int i = 0; i < 500 && (st = proc_state(grandchild)) != 0 && st != 'Z'; i++)
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	assert_true(st == 0 || st == 'Z');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_child),
		cmocka_unit_test(test_kill_group),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
