/* lib/reflector.c: the reflector's messages, replay cache and rate limits.
 * The known-answer MACs were computed with Python's hmac module over the
 * layout documented in lib/reflector.c, not with this code. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "vpndoctor/reflector.h"

static const uint8_t KEY[] = "0123456789abcdef0123456789abcdef";
#define KEYLEN (sizeof(KEY) - 1)

static void hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static struct vd_rfl_request sample_request(void)
{
	struct vd_rfl_request q = {.timestamp = 1795770000, .count = 5};

	for (unsigned i = 0; i < VD_RFL_NONCE_LEN; i++)
		q.nonce[i] = (uint8_t)i;
	return q;
}

static struct vd_rfl_response sample_response(void)
{
	struct vd_rfl_response a = {.status = VD_RFL_OK, .sent = 10, .received = 7, .rtt_min_us = 1000,
	                            .rtt_avg_us = 1500, .rtt_max_us = 2500, .family = AF_INET,
	                            .addr = {10, 8, 0, 6}, .port = 40000};

	for (unsigned i = 0; i < VD_RFL_NONCE_LEN; i++)
		a.nonce[i] = (uint8_t)i;
	return a;
}

static void test_request(void **state)
{
	struct vd_rfl_request q = sample_request(), back;
	uint8_t buf[128], want[VD_RFL_MAC_LEN];

	(void)state;
	assert_int_equal(vd_rfl_request_build(&q, KEY, KEYLEN, buf, sizeof(buf)), VD_RFL_REQUEST_LEN);
	assert_memory_equal(buf, "VDRF\x01\x01\x05\x00", 8);
	hex("cf8b109b6476a6e142b76bdc3e0bd1dac5426e4c62733829b08760671c9adb1c", want, sizeof(want));
	assert_memory_equal(buf + 64, want, sizeof(want));
	assert_int_equal(vd_rfl_request_parse(buf, VD_RFL_REQUEST_LEN, KEY, KEYLEN, &back), 0);
	assert_int_equal(back.timestamp, q.timestamp);
	assert_int_equal(back.count, 5);
	assert_memory_equal(back.nonce, q.nonce, VD_RFL_NONCE_LEN);

	/* every bit counts */
	for (size_t i = 0; i < VD_RFL_REQUEST_LEN; i++) {
		uint8_t t[VD_RFL_REQUEST_LEN];
		memcpy(t, buf, sizeof(t));
		t[i] ^= 0x01;
		assert_true(vd_rfl_request_parse(t, sizeof(t), KEY, KEYLEN, &back) < 0);
	}
	buf[4] = 2;
	assert_int_equal(vd_rfl_request_parse(buf, VD_RFL_REQUEST_LEN, KEY, KEYLEN, &back), -EPROTONOSUPPORT);
	buf[4] = 1;
	assert_int_equal(vd_rfl_request_parse(buf, VD_RFL_REQUEST_LEN - 1, KEY, KEYLEN, &back), -EBADMSG);
	assert_int_equal(vd_rfl_request_parse(buf, VD_RFL_REQUEST_LEN, (const uint8_t *)"another key of 32 bytes.........", 32,
	                                      &back),
	                 -EACCES);
	/* a short key is refused on both sides */
	assert_int_equal(vd_rfl_request_build(&q, KEY, 15, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(vd_rfl_request_parse(buf, VD_RFL_REQUEST_LEN, KEY, 15, &back), -EINVAL);
	q.count = 0;
	assert_int_equal(vd_rfl_request_build(&q, KEY, KEYLEN, buf, sizeof(buf)), -EINVAL);
	q.count = VD_RFL_MAX_COUNT + 1;
	assert_int_equal(vd_rfl_request_build(&q, KEY, KEYLEN, buf, sizeof(buf)), -EINVAL);
	q.count = VD_RFL_MAX_COUNT;
	assert_int_equal(vd_rfl_request_build(&q, KEY, KEYLEN, buf, VD_RFL_REQUEST_LEN - 1), -ENOSPC);
	/* the padding keeps the question no smaller than the answer */
	assert_true(VD_RFL_REQUEST_LEN >= VD_RFL_RESPONSE_LEN);
}

static void test_response(void **state)
{
	struct vd_rfl_response a = sample_response(), back;
	uint8_t buf[128], want[VD_RFL_MAC_LEN];

	(void)state;
	assert_int_equal(vd_rfl_response_build(&a, KEY, KEYLEN, buf, sizeof(buf)), VD_RFL_RESPONSE_LEN);
	hex("5a0b43d9055c603bc6c57135ecc54d176335cf1b55deaa22efeea1c8d8361968", want, sizeof(want));
	assert_memory_equal(buf + 60, want, sizeof(want));
	assert_int_equal(vd_rfl_response_parse(buf, VD_RFL_RESPONSE_LEN, KEY, KEYLEN, &back), 0);
	assert_int_equal(back.status, VD_RFL_OK);
	assert_int_equal(back.sent, 10);
	assert_int_equal(back.received, 7);
	assert_int_equal(back.rtt_min_us, 1000);
	assert_int_equal(back.rtt_avg_us, 1500);
	assert_int_equal(back.rtt_max_us, 2500);
	assert_int_equal(back.family, AF_INET);
	assert_memory_equal(back.addr, "\x0a\x08\x00\x06", 4);
	assert_int_equal(back.port, 40000);
	for (size_t i = 0; i < VD_RFL_RESPONSE_LEN; i++) {
		uint8_t t[VD_RFL_RESPONSE_LEN];
		memcpy(t, buf, sizeof(t));
		t[i] ^= 0x80;
		assert_true(vd_rfl_response_parse(t, sizeof(t), KEY, KEYLEN, &back) < 0);
	}
	/* a request is not a response, even with the right key */
	{
		struct vd_rfl_request q = sample_request();
		uint8_t r[VD_RFL_REQUEST_LEN];
		assert_int_equal(vd_rfl_request_build(&q, KEY, KEYLEN, r, sizeof(r)), VD_RFL_REQUEST_LEN);
		assert_int_equal(vd_rfl_response_parse(r, VD_RFL_RESPONSE_LEN, KEY, KEYLEN, &back), -EBADMSG);
		assert_int_equal(vd_rfl_request_parse(buf, VD_RFL_REQUEST_LEN, KEY, KEYLEN, &q), -EBADMSG);
	}
	/* IPv6, all lost */
	a.family = AF_INET6;
	memset(a.addr, 0xfd, sizeof(a.addr));
	a.received = 0;
	a.rtt_min_us = a.rtt_avg_us = a.rtt_max_us = 0;
	a.status = VD_RFL_RATE_LIMITED;
	assert_int_equal(vd_rfl_response_build(&a, KEY, KEYLEN, buf, sizeof(buf)), VD_RFL_RESPONSE_LEN);
	assert_int_equal(vd_rfl_response_parse(buf, VD_RFL_RESPONSE_LEN, KEY, KEYLEN, &back), 0);
	assert_int_equal(back.family, AF_INET6);
	assert_int_equal(back.status, VD_RFL_RATE_LIMITED);
	assert_memory_equal(back.addr, a.addr, 16);
	assert_string_equal(vd_rfl_status_name(back.status), "rate-limited");
	/* impossible counts are not built */
	a.received = 11;
	assert_int_equal(vd_rfl_response_build(&a, KEY, KEYLEN, buf, sizeof(buf)), -EINVAL);
	a.received = 0;
	a.family = AF_UNIX;
	assert_int_equal(vd_rfl_response_build(&a, KEY, KEYLEN, buf, sizeof(buf)), -EINVAL);
}

static void test_fresh(void **state)
{
	(void)state;
	assert_true(vd_rfl_fresh(1000, 1000));
	assert_true(vd_rfl_fresh(1030, 1000));
	assert_true(vd_rfl_fresh(970, 1000));
	assert_false(vd_rfl_fresh(1031, 1000));
	assert_false(vd_rfl_fresh(969, 1000));
	assert_false(vd_rfl_fresh(INT64_MIN, INT64_MAX));
	assert_false(vd_rfl_fresh(INT64_MAX, 0));
}

static void test_replay(void **state)
{
	struct vd_rfl_replay *r = calloc(1, sizeof(*r));
	uint8_t n[VD_RFL_NONCE_LEN] = {1};

	(void)state;
	assert_non_null(r);
	assert_int_equal(vd_rfl_replay_add(r, n, 1000, 1000), 0);
	assert_int_equal(vd_rfl_replay_add(r, n, 1000, 1010), -EALREADY);
	assert_int_equal(vd_rfl_replay_add(r, n, 1000, 1030), -EALREADY);
	/* past the window the request is stale, and so refused anyway */
	assert_int_equal(vd_rfl_replay_add(r, n, 1000, 1031), -EINVAL);
	/* fill it with live nonces: the next is refused, not let in */
	for (unsigned i = 0; r->n < VD_RFL_REPLAY_MAX; i++) {
		uint8_t m[VD_RFL_NONCE_LEN] = {0};
		memcpy(m + 4, &i, sizeof(i));
		assert_int_equal(vd_rfl_replay_add(r, m, 2000, 2000), 0);
	}
	n[0] = 2;
	assert_int_equal(vd_rfl_replay_add(r, n, 2000, 2000), -ENOSPC);
	/* once they expire there is room again */
	assert_int_equal(vd_rfl_replay_add(r, n, 2040, 2040), 0);
	assert_int_equal(r->n, 1);
	free(r);
}

static void test_limits(void **state)
{
	struct vd_rfl_bucket b = {0};
	struct vd_rfl_limits *l = calloc(1, sizeof(*l));
	const uint8_t a1[4] = {10, 8, 0, 6}, a2[4] = {10, 8, 0, 10};

	(void)state;
	assert_non_null(l);
	assert_true(vd_rfl_bucket_take(&b, 1, 2, 0));
	assert_true(vd_rfl_bucket_take(&b, 1, 2, 0));
	assert_false(vd_rfl_bucket_take(&b, 1, 2, 0));
	assert_false(vd_rfl_bucket_take(&b, 1, 2, 999));
	assert_true(vd_rfl_bucket_take(&b, 1, 2, 1000));
	/* a clock going back neither refills nor breaks it */
	assert_false(vd_rfl_bucket_take(&b, 1, 2, 500));

	vd_rfl_limits_init(l, 0.5, 2, 1, 3);
	assert_int_equal(vd_rfl_limits_take(l, AF_INET, a1, 0), 0);
	assert_int_equal(vd_rfl_limits_take(l, AF_INET, a1, 0), 0);
	assert_int_equal(vd_rfl_limits_take(l, AF_INET, a1, 0), -EAGAIN);
	/* another source has its own allowance, until everyone's runs out */
	assert_int_equal(vd_rfl_limits_take(l, AF_INET, a2, 0), 0);
	assert_int_equal(vd_rfl_limits_take(l, AF_INET, a2, 0), -EBUSY);
	assert_int_equal(vd_rfl_limits_take(l, AF_INET, a1, 2000), 0);
	/* the table is bounded: the least recently seen source makes room */
	vd_rfl_limits_init(l, 0.5, 2, 1000, 1000);
	for (unsigned i = 0; i < VD_RFL_SOURCES_MAX + 10; i++) {
		uint8_t a[4] = {10, 9, (uint8_t)(i >> 8), (uint8_t)i};
		assert_int_equal(vd_rfl_limits_take(l, AF_INET, a, (int64_t)i), 0);
	}
	assert_int_equal(l->n, VD_RFL_SOURCES_MAX);
	free(l);
}

static void test_key(void **state)
{
	uint8_t key[VD_RFL_KEY_MAX];

	(void)state;
	assert_int_equal(vd_rfl_key_from_text((const uint8_t *)"0123456789abcdef\n", 17, key, sizeof(key)), 16);
	assert_memory_equal(key, "0123456789abcdef", 16);
	assert_int_equal(vd_rfl_key_from_text((const uint8_t *)"0123456789abcde\r\n", 17, key, sizeof(key)), -EINVAL);
	assert_int_equal(vd_rfl_key_from_text((const uint8_t *)"0123456789abcdef", 16, key, 8), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request), cmocka_unit_test(test_response), cmocka_unit_test(test_fresh),
		cmocka_unit_test(test_replay),  cmocka_unit_test(test_limits),   cmocka_unit_test(test_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
