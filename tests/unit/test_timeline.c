/* lib/timeline.c: the record's encoding (every field through a round trip,
 * counts saturated, an empty slot, a torn or foreign record refused), the
 * CRC against its check value, the header, file names both ways (only the
 * spelling the encoding makes is taken back), merging (weighted median and
 * p95, minimum, jitter, loss, means, peaks, state and worst health) and the
 * JSON sample (figures only where measured). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "vpndoctor/timeline.h"

static void test_crc(void **state)
{
	/* the CRC-32 check value of the catalogue of parametrised CRCs */
	assert_int_equal(vd_crc32("123456789", 9), 0xCBF43926u);
	assert_int_equal(vd_crc32("", 0), 0);
}

static struct vd_tl_rec full_rec(void)
{
	struct vd_tl_rec r;

	vd_tl_rec_init(&r);
	r.seq = 12345678901ull;
	r.time = 1790000040;
	r.period_s = 60;
	r.periods = 3;
	r.state = VD_TL_STATE_RECONNECTING;
	r.health = VD_TL_HEALTH_DEGRADED;
	r.inside = (struct vd_tl_echo){20, 18, 10.5f, 12.25f, 30.0f, 1.5f};
	r.outside = (struct vd_tl_echo){10, 10, 5.0f, 5.5f, 7.0f, 0.25f};
	r.reflected_sent = 10;
	r.reflected_received = 7;
	r.handshake_ms = 44.0f;
	r.clock_offset_s = -0.125f;
	r.rx_mbps = 12.5f;
	r.tx_mbps = 1.25f;
	r.rx_peak_mbps = 40.0f;
	r.tx_peak_mbps = 2.0f;
	return r;
}

static void test_round_trip(void **state)
{
	struct vd_tl_rec r = full_rec(), b;
	uint8_t buf[VD_TL_REC_SIZE];

	vd_tl_rec_encode(&r, buf);
	assert_int_equal(vd_tl_rec_decode(buf, &b), 0);
	assert_true(b.seq == r.seq && b.time == r.time && b.period_s == 60 && b.periods == 3);
	assert_int_equal(b.state, VD_TL_STATE_RECONNECTING);
	assert_int_equal(b.health, VD_TL_HEALTH_DEGRADED);
	assert_memory_equal(&b.inside, &r.inside, sizeof(r.inside));
	assert_memory_equal(&b.outside, &r.outside, sizeof(r.outside));
	assert_int_equal(b.reflected_sent, 10);
	assert_int_equal(b.reflected_received, 7);
	assert_true(b.handshake_ms == 44.0f && b.clock_offset_s == -0.125f);
	assert_true(b.rx_mbps == 12.5f && b.tx_mbps == 1.25f && b.rx_peak_mbps == 40.0f && b.tx_peak_mbps == 2.0f);

	/* unmeasured stays unmeasured; counts past 16 bits saturate */
	vd_tl_rec_init(&r);
	r.seq = 1;
	r.inside.sent = 70000;
	r.inside.received = 69999;
	vd_tl_rec_encode(&r, buf);
	assert_int_equal(vd_tl_rec_decode(buf, &b), 0);
	assert_int_equal(b.inside.sent, 65535);
	assert_int_equal(b.inside.received, 65535);
	assert_true(isnan(b.inside.rtt_median_ms) && isnan(b.handshake_ms) && isnan(b.clock_offset_s));
	assert_false(vd_tl_rec_empty(&b));
	b.inside.sent = 0;
	assert_true(vd_tl_rec_empty(&b));
}

static void test_decode_refuses(void **state)
{
	struct vd_tl_rec r = full_rec(), b;
	uint8_t buf[VD_TL_REC_SIZE], zero[VD_TL_REC_SIZE] = {0};

	assert_int_equal(vd_tl_rec_decode(zero, &b), -ENOENT);
	vd_tl_rec_encode(&r, buf);
	/* any one bit flipped anywhere */
	for (size_t i = 8; i < VD_TL_REC_SIZE; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			buf[i] ^= (uint8_t)(1 << bit);
			assert_int_equal(vd_tl_rec_decode(buf, &b), -EBADMSG);
			buf[i] ^= (uint8_t)(1 << bit);
		}
	}
	/* a torn write: the new record's first half over an old one */
	{
		struct vd_tl_rec old = full_rec();
		uint8_t ob[VD_TL_REC_SIZE];

		old.seq = 7;
		old.time = 100;
		vd_tl_rec_encode(&old, ob);
		memcpy(ob, buf, VD_TL_REC_SIZE / 2);
		assert_int_equal(vd_tl_rec_decode(ob, &b), -EBADMSG);
	}
	/* a state this version does not know, with a right CRC: not ours */
	r.state = 200;
	vd_tl_rec_encode(&r, buf);
	assert_int_equal(vd_tl_rec_decode(buf, &b), -EBADMSG);
}

static void test_header(void **state)
{
	uint8_t h[VD_TL_HEADER_SIZE];
	char name[VD_TL_NAME_MAX + 1];
	int64_t created;

	vd_tl_header_encode("office", 1790000000, h);
	assert_int_equal(vd_tl_header_decode(h, name, &created), 0);
	assert_string_equal(name, "office");
	assert_true(created == 1790000000);
	h[40] ^= 1;
	assert_int_equal(vd_tl_header_decode(h, name, NULL), -EBADMSG);
	memset(h, 0, sizeof(h));
	assert_int_equal(vd_tl_header_decode(h, name, NULL), -EBADMSG);
	assert_int_equal(VD_TL_FILE_SIZE, 1294336);
	assert_true(VD_TL_FILE_SIZE <= 2u * 1024 * 1024);
	assert_int_equal(VD_TL_HEADER_SIZE % VD_TL_REC_SIZE, 0);
}

static void test_file_names(void **state)
{
	char buf[VD_TL_FILE_NAME_MAX], back[VD_TL_NAME_MAX + 1];
	char long_name[VD_TL_NAME_MAX + 2];

	assert_int_equal(vd_tl_file_name("office", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "timeline.office");
	assert_int_equal(vd_tl_file_name("a/b c%", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "timeline.a%2Fb%20c%25");
	assert_int_equal(vd_tl_file_tunnel(buf, back, sizeof(back)), 0);
	assert_string_equal(back, "a/b c%");
	assert_int_equal(vd_tl_file_name("..", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "timeline..."); /* a file name, not the parent */
	assert_int_equal(vd_tl_file_name("", buf, sizeof(buf)), -EINVAL);
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(vd_tl_file_name(long_name, buf, sizeof(buf)), -EINVAL);
	long_name[VD_TL_NAME_MAX] = '\0';
	assert_int_equal(vd_tl_file_name(long_name, buf, sizeof(buf)), 0);

	assert_int_equal(vd_tl_file_tunnel("timeline.office@2", back, sizeof(back)), 0);
	assert_string_equal(back, "office@2");
	/* only the one spelling: no lower-case hex, no escaped plain byte, no NUL */
	assert_int_equal(vd_tl_file_tunnel("timeline.a%2f", back, sizeof(back)), -EINVAL);
	assert_int_equal(vd_tl_file_tunnel("timeline.%41", back, sizeof(back)), -EINVAL);
	assert_int_equal(vd_tl_file_tunnel("timeline.%00", back, sizeof(back)), -EINVAL);
	assert_int_equal(vd_tl_file_tunnel("timeline.a%2", back, sizeof(back)), -EINVAL);
	assert_int_equal(vd_tl_file_tunnel("timeline.", back, sizeof(back)), -EINVAL);
	assert_int_equal(vd_tl_file_tunnel("history", back, sizeof(back)), -EINVAL);
	assert_int_equal(vd_tl_file_tunnel("timeline.a b", back, sizeof(back)), -EINVAL);
}

static void test_merge(void **state)
{
	struct vd_tl_acc *a = vd_tl_acc_new();
	struct vd_tl_rec r;

	assert_non_null(a);
	assert_false(vd_tl_acc_has_data(a));
	/* three ping runs: medians 10 (9 answers), 12 (1 answer), 50 (10 answers) */
	assert_int_equal(vd_tl_acc_add_echo(a, 'i', 10, 9, 8, 10, 11, 1.0), 0);
	assert_int_equal(vd_tl_acc_add_echo(a, 'i', 10, 1, 11, 12, 13, 3.0), 0);
	assert_int_equal(vd_tl_acc_add_echo(a, 'i', 10, 10, 40, 50, 90, 2.0), 0);
	/* an all-lost run counts, and gives no round trip */
	assert_int_equal(vd_tl_acc_add_echo(a, 'i', 10, 0, NAN, NAN, NAN, NAN), 0);
	assert_true(vd_tl_acc_has_data(a));
	vd_tl_acc_add_reflected(a, 10, 9);
	vd_tl_acc_add_reflected(a, 10, 11); /* more answers than echoes: capped */
	vd_tl_acc_add_handshake(a, 40);
	vd_tl_acc_add_handshake(a, 60);
	vd_tl_acc_add_handshake(a, NAN);
	vd_tl_acc_add_clock(a, 0.5);
	vd_tl_acc_add_rates(a, 10, 1, 20, 2);
	vd_tl_acc_add_rates(a, 20, 3, 25, 1);
	vd_tl_acc_set_state(a, VD_TL_STATE_CONNECTING);
	vd_tl_acc_set_state(a, VD_TL_STATE_CONNECTED);
	vd_tl_acc_set_health(a, VD_TL_HEALTH_BROKEN);
	vd_tl_acc_set_health(a, VD_TL_HEALTH_HEALTHY);
	vd_tl_acc_result(a, 600, 60, &r);

	assert_true(r.time == 600 && r.period_s == 60 && r.periods == 1);
	assert_int_equal(r.inside.sent, 40);
	assert_int_equal(r.inside.received, 20);
	assert_true(r.inside.rtt_min_ms == 8.0f);
	/* weights 9, 1, 10 of 20: half is reached at the second value (12) */
	assert_true(r.inside.rtt_median_ms == 12.0f);
	/* p95: 95 % of 20 = 19 is reached only by the last (90) */
	assert_true(r.inside.rtt_p95_ms == 90.0f);
	assert_float_equal(r.inside.jitter_ms, (9 * 1.0 + 1 * 3.0 + 10 * 2.0) / 20, 1e-6);
	assert_int_equal(r.reflected_sent, 20);
	assert_int_equal(r.reflected_received, 19);
	assert_true(r.handshake_ms == 50.0f);
	assert_true(r.clock_offset_s == 0.5f);
	assert_true(r.rx_mbps == 15.0f && r.tx_mbps == 2.0f && r.rx_peak_mbps == 25.0f && r.tx_peak_mbps == 2.0f);
	assert_int_equal(r.state, VD_TL_STATE_CONNECTED);
	assert_int_equal(r.health, VD_TL_HEALTH_BROKEN);
	assert_true(r.outside.sent == 0 && isnan(r.outside.rtt_median_ms));

	/* records into a bucket: counts add, periods count, state the last */
	vd_tl_acc_reset(a);
	assert_false(vd_tl_acc_has_data(a));
	{
		struct vd_tl_rec x = full_rec(), y = full_rec(), m;

		x.periods = 1;
		y.periods = 1;
		y.state = VD_TL_STATE_CONNECTED;
		y.health = VD_TL_HEALTH_HEALTHY;
		y.inside.rtt_min_ms = 9.0f;
		assert_int_equal(vd_tl_acc_add_rec(a, &x), 0);
		assert_int_equal(vd_tl_acc_add_rec(a, &y), 0);
		assert_int_equal(vd_tl_acc_parts(a), 2);
		vd_tl_acc_result(a, 300, 300, &m);
		assert_int_equal(m.periods, 2);
		assert_int_equal(m.inside.sent, 40);
		assert_int_equal(m.inside.received, 36);
		assert_true(m.inside.rtt_min_ms == 9.0f);
		assert_true(m.inside.rtt_median_ms == 12.25f);
		assert_int_equal(m.state, VD_TL_STATE_CONNECTED);
		assert_int_equal(m.health, VD_TL_HEALTH_DEGRADED);
		assert_int_equal(m.reflected_received, 14);
	}
	vd_tl_acc_free(a);
}

static void test_json(void **state)
{
	struct vd_tl_rec r = full_rec();
	cJSON *j = vd_tl_rec_to_json(&r, "office"), *in;
	char *s;

	assert_non_null(j);
	assert_string_equal(cJSON_GetObjectItem(j, "tunnel")->valuestring, "office");
	assert_int_equal(cJSON_GetObjectItem(j, "time")->valuedouble, 1790000040);
	assert_string_equal(cJSON_GetObjectItem(j, "state")->valuestring, "reconnecting");
	assert_string_equal(cJSON_GetObjectItem(j, "health")->valuestring, "degraded");
	in = cJSON_GetObjectItem(j, "inside");
	assert_int_equal(cJSON_GetObjectItem(in, "sent")->valueint, 20);
	assert_float_equal(cJSON_GetObjectItem(in, "loss_pct")->valuedouble, 10.0, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(in, "rtt_median_ms")->valuedouble, 12.25, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "reflected"), "loss_pct")->valuedouble, 30.0,
	                   1e-9);
	/* the reflected echoes carry counts only */
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "reflected"), "rtt_min_ms"));
	assert_float_equal(cJSON_GetObjectItem(j, "clock_offset_s")->valuedouble, -0.125, 1e-9);
	s = cJSON_PrintUnformatted(j);
	/* a float's noise does not reach the text */
	assert_null(strstr(s, "0000001"));
	free(s);
	cJSON_Delete(j);

	vd_tl_rec_init(&r);
	r.time = 60;
	j = vd_tl_rec_to_json(&r, "x");
	assert_null(cJSON_GetObjectItem(j, "inside"));
	assert_null(cJSON_GetObjectItem(j, "outside"));
	assert_null(cJSON_GetObjectItem(j, "handshake_ms"));
	assert_null(cJSON_GetObjectItem(j, "rx_mbps"));
	assert_string_equal(cJSON_GetObjectItem(j, "state")->valuestring, "unknown");
	cJSON_Delete(j);

	assert_int_equal(vd_tl_state_parse("exited"), VD_TL_STATE_EXITED);
	assert_int_equal(vd_tl_state_parse("nonsense"), VD_TL_STATE_UNKNOWN);
	assert_int_equal(vd_tl_health_parse("broken"), VD_TL_HEALTH_BROKEN);
	assert_string_equal(vd_tl_health_name(VD_TL_HEALTH_N), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc),        cmocka_unit_test(test_round_trip), cmocka_unit_test(test_decode_refuses),
		cmocka_unit_test(test_header),     cmocka_unit_test(test_file_names), cmocka_unit_test(test_merge),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
