/* The path probe's way of measuring (probes/probe_path.h): echoes while the
 * gateway answers them, handshakes after PATH_ICMP_GIVE_UP unanswered ones
 * when none was ever answered (after PATH_ICMP_GIVE_UP_ANSWERED when some
 * were, if a trial's handshake is answered and the echoes after it are not:
 * else the path was down, and its losses stay evidence), echoes again after
 * PATH_ICMP_RETRY_S. A
 * handshake answered is no echo answered: before, it was counted as one,
 * and after the first retry a gateway that filters ICMP was measured by
 * echoes that all went unanswered, for good. The echoes of a retry feed
 * the tests only once one is answered, so the handshakes' evidence lasts
 * through retries that find ICMP still filtered. vd-tier: check */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <cmocka.h>

#include "probes/probe_path.h"

static void filtered_gateway(void **unused)
{
	struct path_mode m;

	(void)unused;
	path_mode_reset(&m);
	for (int i = 0; i < PATH_ICMP_GIVE_UP - 1; i++)
		path_mode_sample(&m, false);
	assert_false(path_mode_gives_up_icmp(&m));
	/* the first echoes are fed (a gateway that is gone loses them all) */
	assert_true(path_mode_feeds(&m, false));
	assert_false(path_mode_sample(&m, false));
	assert_true(path_mode_gives_up_icmp(&m));
	assert_false(path_mode_handshakes(&m, 100)); /* the tests start afresh */
	assert_true(m.hs);
	assert_true(path_mode_feeds(&m, false) && path_mode_feeds(&m, true));
	assert_false(path_mode_gives_up_icmp(&m));
	/* the handshakes are answered: no echo is */
	for (int i = 0; i < 50; i++)
		path_mode_sample(&m, true);
	assert_false(m.ever_answered);
	assert_false(path_mode_retries_icmp(&m, 100 + PATH_ICMP_RETRY_S));
	assert_true(m.hs);
	assert_true(path_mode_retries_icmp(&m, 100 + PATH_ICMP_RETRY_S + 1));
	assert_false(m.hs);
	assert_true(m.retrying);
	assert_int_equal(m.unanswered, 0);
	/* ICMP still filtered: handshakes again, and again after each retry,
	 * the retries' unanswered echoes fed to no test, and the tests kept */
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < PATH_ICMP_GIVE_UP; i++) {
			assert_false(path_mode_feeds(&m, false));
			assert_false(path_mode_sample(&m, false));
		}
		assert_true(path_mode_gives_up_icmp(&m));
		assert_true(path_mode_handshakes(&m, 1000.0 * (round + 1)));
		assert_false(m.retrying);
		path_mode_sample(&m, true);
		assert_true(path_mode_retries_icmp(&m, 1000.0 * (round + 1) + PATH_ICMP_RETRY_S + 1));
	}
	/* an echo answered in a retry: ICMP for good, the tests afresh, and
	 * every echo fed from then on */
	assert_true(path_mode_feeds(&m, true));
	assert_true(path_mode_sample(&m, true));
	assert_false(m.retrying);
	assert_true(path_mode_feeds(&m, false));
	for (int i = 0; i < 3 * PATH_ICMP_GIVE_UP; i++)
		assert_false(path_mode_sample(&m, false));
	assert_false(path_mode_gives_up_icmp(&m));
}

/* The transport probe sees no handshake answered any more (in handshakes,
 * or when a retry gives up): echoes, fed as any, not a retry, so that the
 * tests are neither stale nor left undecided for good. */
static void handshakes_gone(void **unused)
{
	struct path_mode m;

	(void)unused;
	path_mode_reset(&m);
	for (int i = 0; i < PATH_ICMP_GIVE_UP; i++)
		path_mode_sample(&m, false);
	assert_false(path_mode_handshakes(&m, 0));
	path_mode_no_handshakes(&m);
	assert_false(m.hs);
	assert_false(m.retrying);
	assert_true(path_mode_feeds(&m, false));
	for (int i = 0; i < PATH_ICMP_GIVE_UP; i++)
		path_mode_sample(&m, false);
	/* back to handshakes when they answer again: the tests afresh */
	assert_true(path_mode_gives_up_icmp(&m));
	assert_false(path_mode_handshakes(&m, 10));
	/* a retry that gives up with no handshake to go back to */
	assert_true(path_mode_retries_icmp(&m, 10 + PATH_ICMP_RETRY_S + 1));
	for (int i = 0; i < PATH_ICMP_GIVE_UP; i++) {
		assert_false(path_mode_feeds(&m, false));
		path_mode_sample(&m, false);
	}
	assert_true(path_mode_gives_up_icmp(&m) && m.retrying);
	path_mode_no_handshakes(&m);
	assert_true(path_mode_feeds(&m, false));
}

static void answering_gateway(void **unused)
{
	struct path_mode m;

	(void)unused;
	path_mode_reset(&m);
	path_mode_sample(&m, true);
	/* one echo answered on this way: its losses are loss, not a filter,
	 * until more go unanswered in a row than loss makes */
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < PATH_ICMP_GIVE_UP_ANSWERED - 1; i++)
			path_mode_sample(&m, false);
		assert_int_equal(m.unanswered, PATH_ICMP_GIVE_UP_ANSWERED - 1);
		assert_false(path_mode_gives_up_icmp(&m));
		path_mode_sample(&m, true);
	}
	/* a new way knows nothing of it */
	path_mode_reset(&m);
	assert_false(m.ever_answered);
	assert_false(m.hs);
	for (int i = 0; i < PATH_ICMP_GIVE_UP; i++)
		path_mode_sample(&m, false);
	assert_true(path_mode_gives_up_icmp(&m));
	/* echoes that come back after the retry: echoes for good */
	path_mode_handshakes(&m, 0);
	assert_true(path_mode_retries_icmp(&m, PATH_ICMP_RETRY_S + 1));
	assert_true(path_mode_sample(&m, true));
	for (int i = 0; i < PATH_ICMP_GIVE_UP; i++)
		path_mode_sample(&m, false);
	assert_false(path_mode_gives_up_icmp(&m));
}

/* The gateway answered, then its ICMP was filtered (or the one answer was
 * forged): before, that kept the probe on echoes, every one lost, for good.
 * Now a trial after PATH_ICMP_GIVE_UP_ANSWERED: its handshake is answered,
 * PATH_ICMP_GIVE_UP echoes after it are not, so handshakes from then on,
 * and a retry that finds ICMP still filtered gives up as on a gateway that
 * never answered. */
static void answered_then_filtered(void **unused)
{
	struct path_mode m;

	(void)unused;
	path_mode_reset(&m);
	assert_false(path_mode_sample(&m, true));
	for (int i = 0; i < PATH_ICMP_GIVE_UP_ANSWERED - 1; i++) {
		assert_true(path_mode_feeds(&m, false)); /* loss, as far as anyone knows */
		path_mode_sample(&m, false);
	}
	assert_false(path_mode_gives_up_icmp(&m));
	path_mode_sample(&m, false);
	assert_true(path_mode_gives_up_icmp(&m));
	/* a trial: the tests keep the echoes' evidence, and are fed nothing */
	assert_true(path_mode_handshakes(&m, 50));
	assert_true(m.hs && m.trial);
	assert_false(path_mode_feeds(&m, true) || path_mode_feeds(&m, false));
	assert_false(path_mode_retries_icmp(&m, 50 + PATH_ICMP_RETRY_S + 1));
	/* the gateway answers it: echoes to confirm, the unanswered ones fed
	 * to no test */
	assert_int_equal(path_mode_trial_end(&m, true), 1);
	assert_false(m.hs || m.trial);
	assert_true(m.confirming);
	assert_int_equal(path_mode_trial_end(&m, true), 0); /* once */
	for (int i = 0; i < PATH_ICMP_GIVE_UP - 1; i++) {
		assert_false(path_mode_feeds(&m, false));
		assert_false(path_mode_sample(&m, false));
	}
	assert_true(path_mode_feeds(&m, true));
	assert_false(path_mode_gives_up_icmp(&m));
	path_mode_sample(&m, false);
	assert_true(path_mode_gives_up_icmp(&m));
	/* ICMP filtered: handshakes for good, the tests afresh */
	assert_false(path_mode_handshakes(&m, 60));
	assert_true(m.hs);
	assert_false(m.trial || m.confirming || m.ever_answered);
	assert_true(path_mode_feeds(&m, true) && path_mode_feeds(&m, false));
	assert_false(path_mode_retries_icmp(&m, 60 + PATH_ICMP_RETRY_S));
	assert_true(path_mode_retries_icmp(&m, 60 + PATH_ICMP_RETRY_S + 1));
	for (int i = 0; i < PATH_ICMP_GIVE_UP - 1; i++) {
		assert_false(path_mode_feeds(&m, false));
		path_mode_sample(&m, false);
	}
	assert_false(path_mode_gives_up_icmp(&m));
	path_mode_sample(&m, false);
	assert_true(path_mode_gives_up_icmp(&m));
	assert_true(path_mode_handshakes(&m, 2000)); /* the handshakes' evidence kept */
	assert_false(m.trial);
	/* answered again in a retry: echoes, and the long count again */
	assert_true(path_mode_retries_icmp(&m, 2000 + PATH_ICMP_RETRY_S + 1));
	assert_true(path_mode_sample(&m, true));
	for (int i = 0; i < PATH_ICMP_GIVE_UP; i++)
		path_mode_sample(&m, false);
	assert_false(path_mode_gives_up_icmp(&m));
}

/* The path itself down for minutes (Wi-Fi gone): the echoes go unanswered
 * as a filter's would, but so does the trial's handshake: echoes again,
 * every one fed, the tests' evidence of the outage kept (the review of the
 * first version: a 45 s outage switched to handshakes and its loss was
 * never named). And an outage that ends as its trial runs: the handshake
 * is answered, and so are the echoes that confirm (the review of the
 * second: a switch to handshakes, the outage's evidence gone). */
static void answered_then_outage(void **unused)
{
	struct path_mode m;

	(void)unused;
	path_mode_reset(&m);
	path_mode_sample(&m, true);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < PATH_ICMP_GIVE_UP_ANSWERED; i++) {
			assert_true(path_mode_feeds(&m, false));
			path_mode_sample(&m, false);
		}
		assert_true(path_mode_gives_up_icmp(&m));
		assert_true(path_mode_handshakes(&m, 100.0 * round)); /* kept */
		assert_true(m.trial);
		assert_int_equal(path_mode_trial_end(&m, false), -1);
		assert_false(m.hs || m.trial || m.retrying || m.confirming);
		assert_true(m.ever_answered);
		assert_int_equal(m.unanswered, 0);
	}
	/* the outage ends as the trial runs */
	for (int i = 0; i < PATH_ICMP_GIVE_UP_ANSWERED; i++)
		path_mode_sample(&m, false);
	assert_true(path_mode_handshakes(&m, 400));
	assert_int_equal(path_mode_trial_end(&m, true), 1);
	for (int i = 0; i < 3; i++)
		path_mode_sample(&m, false); /* the last ones in flight, fed to nothing */
	assert_true(path_mode_feeds(&m, true));
	assert_false(path_mode_sample(&m, true)); /* the tests kept */
	assert_false(m.confirming || m.hs);
	assert_true(path_mode_feeds(&m, false)); /* every echo fed again */
	assert_int_equal(m.unanswered, 0);
	/* the transport probe sees no handshake answered during a trial, or
	 * while the echoes confirm: echoes, the tests kept */
	for (int i = 0; i < PATH_ICMP_GIVE_UP_ANSWERED; i++)
		path_mode_sample(&m, false);
	assert_true(path_mode_handshakes(&m, 500));
	assert_true(path_mode_no_handshakes(&m));
	assert_false(m.hs || m.trial);
	for (int i = 0; i < PATH_ICMP_GIVE_UP_ANSWERED; i++)
		path_mode_sample(&m, false);
	assert_true(path_mode_handshakes(&m, 600));
	assert_int_equal(path_mode_trial_end(&m, true), 1);
	assert_true(path_mode_no_handshakes(&m));
	assert_false(m.confirming);
	/* the path back: an answer, and the count from 0 */
	path_mode_sample(&m, true);
	assert_int_equal(m.unanswered, 0);
	/* on handshakes proper (a gateway that never answered), no handshake
	 * any more: echoes, the tests afresh */
	path_mode_reset(&m);
	for (int i = 0; i < PATH_ICMP_GIVE_UP; i++)
		path_mode_sample(&m, false);
	assert_false(path_mode_handshakes(&m, 0));
	assert_false(path_mode_no_handshakes(&m));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(filtered_gateway),
		cmocka_unit_test(answering_gateway),
		cmocka_unit_test(answered_then_filtered),
		cmocka_unit_test(answered_then_outage),
		cmocka_unit_test(handshakes_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
