/* lib/sntp.c: requests, every kind of reply, Kiss-o'-Death, eras, the formulas. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vpndoctor/sntp.h"

#define COOKIE 0x1122334455667788ull
/* 2024-01-01T00:00:00Z */
#define T2024 1704067200

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static vd_ntp_ts ntp(int64_t unix_s, long ns)
{
	struct timespec ts = {.tv_sec = (time_t)unix_s, .tv_nsec = ns};
	return vd_ntp_from_timespec(&ts);
}

/* A good reply from a stratum-2 server (as chronyd sends it). */
static void good(uint8_t *b)
{
	memset(b, 0, VD_NTP_PACKET_LEN);
	b[0] = 0 << 6 | 4 << 3 | 4; /* LI 0, VN 4, mode 4 */
	b[1] = 2;
	b[2] = 6;
	b[3] = (uint8_t)-24;
	put32(b + 4, 0x00000a00);  /* root delay 0.039 s */
	put32(b + 8, 0x00001000);  /* root dispersion 0.0625 s */
	memcpy(b + 12, "\xc0\x00\x02\x01", 4);
	put64(b + 16, ntp(T2024 - 30, 0));
	put64(b + 24, COOKIE);
	put64(b + 32, ntp(T2024, 500000000));
	put64(b + 40, ntp(T2024, 500100000));
}

static void test_request(void **state)
{
	uint8_t b[VD_NTP_PACKET_LEN];

	(void)state;
	memset(b, 0xaa, sizeof(b));
	assert_int_equal(vd_sntp_request(b, COOKIE), 0);
	assert_int_equal(b[0], 0x23); /* LI 0, version 4, mode 3 */
	for (int i = 1; i < 40; i++)
		assert_int_equal(b[i], 0);
	assert_memory_equal(b + 40, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	assert_int_equal(vd_sntp_request(b, 0), -EINVAL);
	assert_int_equal(vd_sntp_request(NULL, COOKIE), -EINVAL);
}

static void test_good(void **state)
{
	uint8_t b[VD_NTP_PACKET_LEN + 20];
	struct vd_sntp_reply r;

	(void)state;
	good(b);
	assert_int_equal(vd_sntp_check(b, VD_NTP_PACKET_LEN, COOKIE, &r), VD_SNTP_OK);
	assert_int_equal(r.leap, 0);
	assert_int_equal(r.version, 4);
	assert_int_equal(r.mode, 4);
	assert_int_equal(r.stratum, 2);
	assert_int_equal(r.poll, 6);
	assert_int_equal(r.precision, -24);
	assert_true(fabs(r.root_delay_s - 0.0390625) < 1e-9);
	assert_true(fabs(r.root_dispersion_s - 0.0625) < 1e-9);
	assert_int_equal(r.refid, 0xc0000201u);
	assert_string_equal(r.kiss, "");
	assert_true(r.origin == COOKIE);
	assert_true(r.receive == ntp(T2024, 500000000));
	assert_true(r.transmit == ntp(T2024, 500100000));
	/* Extension fields or a MAC after the header are fine. */
	memset(b + VD_NTP_PACKET_LEN, 0x55, 20);
	assert_int_equal(vd_sntp_check(b, sizeof(b), COOKIE, NULL), VD_SNTP_OK);
	/* Versions 1..3 answer too (old servers copy the request's version or not). */
	for (unsigned v = 1; v <= 4; v++) {
		b[0] = (uint8_t)(v << 3 | 4);
		assert_int_equal(vd_sntp_check(b, VD_NTP_PACKET_LEN, COOKIE, NULL), VD_SNTP_OK);
	}
	/* A leap second announced (LI 1, 2) is still a valid time. */
	b[0] = 1 << 6 | 4 << 3 | 4;
	assert_int_equal(vd_sntp_check(b, VD_NTP_PACKET_LEN, COOKIE, NULL), VD_SNTP_OK);
	b[0] = 2 << 6 | 4 << 3 | 4;
	assert_int_equal(vd_sntp_check(b, VD_NTP_PACKET_LEN, COOKIE, NULL), VD_SNTP_OK);
	/* Stratum 15 is the last valid one. */
	b[1] = 15;
	assert_int_equal(vd_sntp_check(b, VD_NTP_PACKET_LEN, COOKIE, NULL), VD_SNTP_OK);
}

static void test_bogus(void **state)
{
	uint8_t b[VD_NTP_PACKET_LEN];

	(void)state;
	good(b);
	assert_int_equal(vd_sntp_check(b, 47, COOKIE, NULL), VD_SNTP_SHORT);
	assert_int_equal(vd_sntp_check(b, 0, COOKIE, NULL), VD_SNTP_SHORT);
	assert_int_equal(vd_sntp_check(NULL, 48, COOKIE, NULL), VD_SNTP_SHORT);

	for (unsigned mode = 0; mode < 8; mode++) {
		if (mode == 4)
			continue;
		good(b);
		b[0] = (uint8_t)(4 << 3 | mode); /* our own request echoed (3), broadcast (5), control (6)... */
		assert_int_equal(vd_sntp_check(b, sizeof(b), COOKIE, NULL), VD_SNTP_BAD_MODE);
	}
	good(b);
	b[0] = 0 << 3 | 4;
	assert_int_equal(vd_sntp_check(b, sizeof(b), COOKIE, NULL), VD_SNTP_BAD_VERSION);
	b[0] = 5 << 3 | 4;
	assert_int_equal(vd_sntp_check(b, sizeof(b), COOKIE, NULL), VD_SNTP_BAD_VERSION);
	b[0] = 7 << 3 | 4;
	assert_int_equal(vd_sntp_check(b, sizeof(b), COOKIE, NULL), VD_SNTP_BAD_VERSION);

	/* Origin: a reply to another request, an off-by-one forgery, none at all. */
	good(b);
	assert_int_equal(vd_sntp_check(b, sizeof(b), COOKIE + 1, NULL), VD_SNTP_BAD_ORIGIN);
	put64(b + 24, COOKIE ^ 1);
	assert_int_equal(vd_sntp_check(b, sizeof(b), COOKIE, NULL), VD_SNTP_BAD_ORIGIN);
	put64(b + 24, 0);
	assert_int_equal(vd_sntp_check(b, sizeof(b), 0, NULL), VD_SNTP_BAD_ORIGIN);

	good(b);
	b[0] = 3 << 6 | 4 << 3 | 4;
	assert_int_equal(vd_sntp_check(b, sizeof(b), COOKIE, NULL), VD_SNTP_UNSYNC);

	good(b);
	b[1] = 16;
	assert_int_equal(vd_sntp_check(b, sizeof(b), COOKIE, NULL), VD_SNTP_BAD_STRATUM);
	b[1] = 255;
	assert_int_equal(vd_sntp_check(b, sizeof(b), COOKIE, NULL), VD_SNTP_BAD_STRATUM);

	good(b);
	put64(b + 40, 0);
	assert_int_equal(vd_sntp_check(b, sizeof(b), COOKIE, NULL), VD_SNTP_ZERO_TIME);
	good(b);
	put64(b + 32, 0);
	assert_int_equal(vd_sntp_check(b, sizeof(b), COOKIE, NULL), VD_SNTP_ZERO_TIME);

	/* Root distance: delay / 2 + dispersion must stay below 16 s. */
	good(b);
	put32(b + 4, 0);
	put32(b + 8, 16u << 16);
	assert_int_equal(vd_sntp_check(b, sizeof(b), COOKIE, NULL), VD_SNTP_BAD_ROOT);
	put32(b + 8, (16u << 16) - 1);
	assert_int_equal(vd_sntp_check(b, sizeof(b), COOKIE, NULL), VD_SNTP_OK);
	put32(b + 4, 32u << 16);
	put32(b + 8, 0);
	assert_int_equal(vd_sntp_check(b, sizeof(b), COOKIE, NULL), VD_SNTP_BAD_ROOT);
	put32(b + 4, 0xffffffffu);
	assert_int_equal(vd_sntp_check(b, sizeof(b), COOKIE, NULL), VD_SNTP_BAD_ROOT);
}

static void test_kod(void **state)
{
	uint8_t b[VD_NTP_PACKET_LEN];
	struct vd_sntp_reply r;
	static const struct {
		const char *code;
		enum vd_sntp_kod_action act;
	} kods[] = {
		{"DENY", VD_SNTP_KOD_STOP}, {"RSTR", VD_SNTP_KOD_STOP}, {"RATE", VD_SNTP_KOD_SLOW},
		{"INIT", VD_SNTP_KOD_IGNORE}, {"STEP", VD_SNTP_KOD_IGNORE}, {"ACST", VD_SNTP_KOD_IGNORE},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(kods) / sizeof(kods[0]); i++) {
		good(b);
		b[0] = 3 << 6 | 4 << 3 | 4; /* ntpd sends KoD with LI 3: the kiss wins */
		b[1] = 0;
		memcpy(b + 12, kods[i].code, 4);
		put64(b + 32, 0);
		put64(b + 40, 0);
		assert_int_equal(vd_sntp_check(b, sizeof(b), COOKIE, &r), VD_SNTP_KOD);
		assert_string_equal(r.kiss, kods[i].code);
		assert_int_equal(vd_sntp_kod_action(r.kiss), kods[i].act);
		/* A KoD that does not answer our request is a forgery and obeyed by nobody. */
		assert_int_equal(vd_sntp_check(b, sizeof(b), COOKIE + 1, &r), VD_SNTP_BAD_ORIGIN);
		assert_string_equal(r.kiss, kods[i].code);
	}
	/* Unprintable kiss bytes are shown, not trusted. */
	good(b);
	b[1] = 0;
	memcpy(b + 12, "D\nN\xff", 4);
	assert_int_equal(vd_sntp_check(b, sizeof(b), COOKIE, &r), VD_SNTP_KOD);
	assert_string_equal(r.kiss, "D?N?");
	assert_int_equal(vd_sntp_kod_action(r.kiss), VD_SNTP_KOD_IGNORE);
	assert_int_equal(vd_sntp_kod_action(NULL), VD_SNTP_KOD_IGNORE);
	assert_int_equal(vd_sntp_kod_action("deny"), VD_SNTP_KOD_IGNORE); /* codes are case-sensitive */
}

static void test_timestamps(void **state)
{
	struct timespec ts;
	vd_ntp_ts t;

	(void)state;
	/* The epoch is 2208988800 s into era 0. */
	t = ntp(0, 0);
	assert_true(t == (uint64_t)2208988800u << 32);
	/* Half a second is 2^31 fractional units. */
	t = ntp(T2024, 500000000);
	assert_true((t & 0xffffffffu) == 0x80000000u);
	vd_ntp_to_timespec(t, T2024 + 1000, &ts);
	assert_int_equal(ts.tv_sec, T2024);
	assert_int_equal(ts.tv_nsec, 500000000);
	/* Round trip keeps nanoseconds within one (2^-32 s is 0.23 ns). */
	for (long ns = 0; ns < 1000000000; ns += 99999989) {
		t = ntp(T2024, ns);
		vd_ntp_to_timespec(t, T2024, &ts);
		assert_int_equal(ts.tv_sec, T2024);
		assert_true(labs(ts.tv_nsec - ns) <= 1);
	}
	/* The last nanosecond rounds into the next second, not to 1e9 ns. */
	t = ntp(T2024, 999999999);
	vd_ntp_to_timespec(t, T2024, &ts);
	assert_true(ts.tv_nsec < 1000000000);
}

/* Era 1 starts 2036-02-07T06:28:16Z = Unix 2085978496. */
#define ERA1 2085978496LL

static void test_era(void **state)
{
	struct timespec ts;
	vd_ntp_ts before, after;

	(void)state;
	before = ntp(ERA1 - 1, 0);
	after = ntp(ERA1 + 1, 0);
	assert_true(before >> 32 == 0xffffffffu);
	assert_true(after >> 32 == 1);
	/* The wire drops the era; the pivot brings it back on either side. */
	vd_ntp_to_timespec(after, ERA1 - 10, &ts);
	assert_int_equal(ts.tv_sec, ERA1 + 1);
	vd_ntp_to_timespec(before, ERA1 + 10, &ts);
	assert_int_equal(ts.tv_sec, ERA1 - 1);
	vd_ntp_to_timespec(after, T2024, &ts);
	assert_int_equal(ts.tv_sec, ERA1 + 1);
	/* 2100 with a pivot in 2099; 1990 with a pivot in 2024. */
	vd_ntp_to_timespec(ntp(4102444800LL, 0), 4102444800LL - 86400 * 300, &ts);
	assert_int_equal(ts.tv_sec, 4102444800LL);
	vd_ntp_to_timespec(ntp(631152000, 0), T2024, &ts);
	assert_int_equal(ts.tv_sec, 631152000);
	/* Differences across the wrap are small and signed. */
	assert_true(fabs(vd_ntp_diff(after, before) - 2.0) < 1e-9);
	assert_true(fabs(vd_ntp_diff(before, after) + 2.0) < 1e-9);
}

static void test_formula(void **state)
{
	struct vd_sntp_sample s;

	(void)state;
	/* Server 900 s ahead, 20 ms each way, 1 ms in the server:
	 * T1 = 0, T2 = 900.020, T3 = 900.021, T4 = 0.041 (local). */
	vd_sntp_sample(ntp(T2024, 0), ntp(T2024 + 900, 20000000), ntp(T2024 + 900, 21000000),
	               ntp(T2024, 41000000), &s);
	assert_true(s.valid);
	assert_true(fabs(s.offset_s - 900.0) < 1e-6);
	assert_true(fabs(s.delay_s - 0.040) < 1e-6);

	/* Asymmetric path: 30 ms out, 10 ms back, clocks equal: the offset error is
	 * half the asymmetry, (30 - 10) / 2 = 10 ms, the delay the full 40 ms. */
	vd_sntp_sample(ntp(T2024, 0), ntp(T2024, 30000000), ntp(T2024, 30000000), ntp(T2024, 40000000), &s);
	assert_true(s.valid);
	assert_true(fabs(s.offset_s - 0.010) < 1e-6);
	assert_true(fabs(s.delay_s - 0.040) < 1e-6);

	/* Local clock ahead by 3600.5 s (negative offset). */
	vd_sntp_sample(ntp(T2024 + 3600, 500000000), ntp(T2024, 1000000), ntp(T2024, 2000000),
	               ntp(T2024 + 3600, 503000000), &s);
	assert_true(s.valid);
	assert_true(fabs(s.offset_s + 3600.5) < 1e-6);
	assert_true(fabs(s.delay_s - 0.002) < 1e-6);

	/* Across the 2036 wrap: local just before, server just after. */
	vd_sntp_sample(ntp(ERA1 - 1, 0), ntp(ERA1 + 899, 10000000), ntp(ERA1 + 899, 10000000),
	               ntp(ERA1 - 1, 20000000), &s);
	assert_true(s.valid);
	assert_true(fabs(s.offset_s - 900.0) < 1e-6);
	assert_true(fabs(s.delay_s - 0.020) < 1e-6);

	/* A server that claims to send before it received: no measurement. */
	vd_sntp_sample(ntp(T2024, 0), ntp(T2024, 5000000), ntp(T2024, 4000000), ntp(T2024, 10000000), &s);
	assert_false(s.valid);
	/* Server time longer than the round trip (a clock stepped). */
	vd_sntp_sample(ntp(T2024, 0), ntp(T2024, 0), ntp(T2024 + 1, 0), ntp(T2024, 10000000), &s);
	assert_false(s.valid);
	/* T4 before T1: the local clock stepped back during the exchange. */
	vd_sntp_sample(ntp(T2024, 0), ntp(T2024, 0), ntp(T2024, 0), ntp(T2024 - 1, 0), &s);
	assert_false(s.valid);
}

static void test_best(void **state)
{
	struct vd_sntp_sample v[4] = {
		{.valid = true, .offset_s = 900.3, .delay_s = 0.30},
		{.valid = true, .offset_s = 900.01, .delay_s = 0.02},
		{.valid = false, .offset_s = 1.0, .delay_s = 0.001},
		{.valid = true, .offset_s = 900.1, .delay_s = 0.05},
	};

	(void)state;
	assert_int_equal(vd_sntp_best(v, 4), 1);
	assert_int_equal(vd_sntp_best(v, 1), 0);
	assert_int_equal(vd_sntp_best(v + 2, 1), 1); /* none valid: n */
	assert_int_equal(vd_sntp_best(v, 0), 0);
	assert_int_equal(vd_sntp_best(NULL, 3), 3);
	v[1].valid = false;
	assert_int_equal(vd_sntp_best(v, 4), 3);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(vd_sntp_verdict_name(VD_SNTP_OK), "ok");
	assert_string_equal(vd_sntp_verdict_name(VD_SNTP_KOD), "kod");
	assert_string_equal(vd_sntp_verdict_name(VD_SNTP_UNSYNC), "unsynchronised");
	assert_string_equal(vd_sntp_verdict_name(VD_SNTP_BAD_ROOT), "bad-root-distance");
	assert_string_equal(vd_sntp_verdict_name((enum vd_sntp_verdict)99), "invalid");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request), cmocka_unit_test(test_good),   cmocka_unit_test(test_bogus),
		cmocka_unit_test(test_kod),     cmocka_unit_test(test_timestamps), cmocka_unit_test(test_era),
		cmocka_unit_test(test_formula), cmocka_unit_test(test_best),   cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
