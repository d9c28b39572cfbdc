/* lib/proc_inspect.c: a process is counted in this network namespace when
 * its /proc/PID/ns/net is this process's, not when it is gone; what cannot
 * be stat()ed is asked through the caller's io, and counted when even that
 * cannot tell. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "vpndoctor/proc_inspect.h"

static int asked;

static int netns_self(const struct vd_proc_id *who)
{
	(void)who;
	asked++;
	return 1;
}

static void test_same_netns(void **state)
{
	const struct vd_proc_io io = {.same_netns = netns_self};
	struct vd_proc_id self;
	pid_t child;
	int st;

	(void)state;
	assert_int_equal(vd_proc_id_of(getpid(), &self), 0);
	assert_true(vd_proc_same_netns(&self, NULL));
	asked = 0;
	assert_true(vd_proc_same_netns(&self, &io));
	assert_int_equal(asked, 0); /* its own link is there to stat: io is not asked */

	/* a process that is gone is not ours */
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_false(vd_proc_same_netns(&(struct vd_proc_id){.pid = child, .start = 1}, &io));
	assert_int_equal(asked, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_netns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
