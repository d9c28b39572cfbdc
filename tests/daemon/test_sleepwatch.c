/* A suspend nobody announced (no logind on the bus) is seen by the clocks:
 * CLOCK_BOOTTIME runs on while the machine sleeps, CLOCK_MONOTONIC stops, so
 * their difference grows by the time slept; a difference that does not grow
 * (or by less than SLEEPWATCH_MIN_GAP_MS) is no sleep. The real clocks'
 * difference does not move while this runs.
 * vd-tier: check (no root, no namespace) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <event2/event.h>

#include "sleepwatch.h"

static uint64_t fake_offset;
static unsigned n_sleep, n_resume;
static uint64_t last_slept;

static uint64_t offset_fn(void)
{
	return fake_offset;
}

static void before_sleep(void *ud)
{
	(void)ud;
	n_sleep++;
}

static void resumed(void *ud, uint64_t slept_ms)
{
	(void)ud;
	n_resume++;
	last_slept = slept_ms;
}

static const struct sleepwatch_ops ops = {.before_sleep = before_sleep, .resumed = resumed};

static void test_clock_gap(void **state)
{
	struct event_base *base = event_base_new();
	struct sleepwatch *w = NULL;

	(void)state;
	/* no logind here: a bus that is not there */
	setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/vd-test-bus", 1);
	assert_int_equal(sleepwatch_new(base, &ops, NULL, &w), 0);
	/* the real clocks: nothing slept while the test ran */
	sleepwatch_check_clocks(w);
	assert_int_equal(n_resume, 0);

	fake_offset = 5000;
	sleepwatch_set_offset_fn(w, offset_fn);
	fake_offset += SLEEPWATCH_MIN_GAP_MS - 1; /* drift, or a busy machine: no sleep */
	sleepwatch_check_clocks(w);
	assert_int_equal(n_resume, 0);
	fake_offset += 3600 * 1000; /* an hour asleep */
	sleepwatch_check_clocks(w);
	assert_int_equal(n_sleep, 1); /* state saved late, but saved */
	assert_int_equal(n_resume, 1);
	assert_int_equal(last_slept, 3600 * 1000); /* the drift before it is no sleep */
	/* once */
	sleepwatch_check_clocks(w);
	assert_int_equal(n_resume, 1);
	fake_offset += SLEEPWATCH_MIN_GAP_MS;
	sleepwatch_check_clocks(w);
	assert_int_equal(n_resume, 2);
	assert_int_equal(last_slept, SLEEPWATCH_MIN_GAP_MS);
	sleepwatch_free(w);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock_gap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
