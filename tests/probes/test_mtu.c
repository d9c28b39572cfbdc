/* The MTU probe's next timed run (probes/probe_mtu.h): an hour while the
 * path carries the tun link's MTU, ten minutes while it does not (a blackhole
 * fixed at the server shows within minutes) or a search could not tell; a
 * failure backs off as the scheduler does for every probe. vd-tier: check */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <cmocka.h>

#include "probes/probe.h"
#include "probes/probe_mtu.h"

static void next_after_run(void **unused)
{
	(void)unused;
	/* the default Interval=3600 */
	assert_true(probe_mtu_next_s(PROBE_OK, false, 3600) == 0);
	assert_true(probe_mtu_next_s(PROBE_OK, true, 3600) == PROBE_MTU_RECHECK_S);
	assert_true(probe_mtu_next_s(PROBE_UNKNOWN, false, 3600) == PROBE_MTU_RECHECK_S);
	assert_true(probe_mtu_next_s(PROBE_FAIL, true, 3600) == 0);
	assert_true(probe_mtu_next_s(PROBE_FAIL, false, 3600) == 0);
	/* an Interval= at or below the recheck is sooner already */
	assert_true(probe_mtu_next_s(PROBE_OK, true, PROBE_MTU_RECHECK_S) == 0);
	assert_true(probe_mtu_next_s(PROBE_UNKNOWN, false, 60) == 0);
	assert_true(probe_mtu_next_s(PROBE_OK, true, PROBE_MTU_RECHECK_S + 1) == PROBE_MTU_RECHECK_S);
	assert_int_equal(PROBE_MTU_RECHECK_S, 600);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(next_after_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
