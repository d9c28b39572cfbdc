/* Unit tests of the Varlink codec: framing in every split, limits, call
 * validation, reply and error encoding, client-side reply decoding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "vpndoctor/varlink.h"

static const char stream[] =
	"{\"method\":\"org.varlink.service.GetInfo\"}\0"
	"{\"method\":\"io.vpndoctor.GetStatus\",\"parameters\":{}}\0"
	"{\"method\":\"io.vpndoctor.Subscribe\",\"more\":true}\0";
static const char *const stream_msgs[] = {
	"{\"method\":\"org.varlink.service.GetInfo\"}",
	"{\"method\":\"io.vpndoctor.GetStatus\",\"parameters\":{}}",
	"{\"method\":\"io.vpndoctor.Subscribe\",\"more\":true}",
};

/* Feeds stream in chunks of every size from 1 to all of it. */
static void test_decoder_splits(void **state)
{
	size_t total = sizeof(stream) - 1, chunk;

	for (chunk = 1; chunk <= total; chunk++) {
		struct vd_varlink_decoder *d;
		size_t off = 0, got = 0;

		assert_int_equal(vd_varlink_decoder_new(4096, &d), 0);
		while (off < total) {
			size_t n = total - off < chunk ? total - off : chunk;
			const char *m;
			size_t len;
			int r;

			assert_int_equal(vd_varlink_decoder_feed(d, stream + off, n), 0);
			off += n;
			while ((r = vd_varlink_decoder_next(d, &m, &len)) == 1) {
				assert_true(got < 3);
				assert_int_equal(len, strlen(stream_msgs[got]));
				assert_memory_equal(m, stream_msgs[got], len);
				assert_int_equal(m[len], '\0');
				got++;
			}
			assert_int_equal(r, 0);
		}
		assert_int_equal(got, 3);
		assert_int_equal(vd_varlink_decoder_pending(d), 0);
		vd_varlink_decoder_free(d);
	}
}

static void test_decoder_pending_and_empty(void **state)
{
	struct vd_varlink_decoder *d;
	const char *m;
	size_t len;

	assert_int_equal(vd_varlink_decoder_new(64, &d), 0);
	assert_int_equal(vd_varlink_decoder_next(d, &m, &len), 0);
	assert_int_equal(vd_varlink_decoder_feed(d, "{\"a\"", 4), 0);
	assert_int_equal(vd_varlink_decoder_pending(d), 4);
	assert_int_equal(vd_varlink_decoder_next(d, &m, &len), 0);
	/* An empty message is a message (the call parser rejects it). */
	assert_int_equal(vd_varlink_decoder_feed(d, ":1}\0\0", 5), 0);
	assert_int_equal(vd_varlink_decoder_next(d, &m, &len), 1);
	assert_string_equal(m, "{\"a\":1}");
	assert_int_equal(vd_varlink_decoder_next(d, &m, &len), 1);
	assert_int_equal(len, 0);
	assert_int_equal(vd_varlink_decoder_next(d, &m, &len), 0);
	assert_int_equal(vd_varlink_decoder_pending(d), 0);
	vd_varlink_decoder_free(d);
}

/* A message of exactly max bytes passes; one byte more fails, whether it
 * arrives without a NUL (never buffered) or complete in one chunk. */
static void test_decoder_limit(void **state)
{
	enum { MAX = 100 };
	char buf[3 * MAX];
	struct vd_varlink_decoder *d;
	const char *m;
	size_t len;

	memset(buf, 'x', sizeof(buf));
	buf[MAX] = '\0';
	assert_int_equal(vd_varlink_decoder_new(MAX, &d), 0);
	assert_int_equal(vd_varlink_decoder_feed(d, buf, MAX + 1), 0);
	assert_int_equal(vd_varlink_decoder_next(d, &m, &len), 1);
	assert_int_equal(len, MAX);
	vd_varlink_decoder_free(d);

	/* No NUL, trickled: fails as soon as the tail passes max. */
	assert_int_equal(vd_varlink_decoder_new(MAX, &d), 0);
	assert_int_equal(vd_varlink_decoder_feed(d, "ok\0", 3), 0);
	assert_int_equal(vd_varlink_decoder_feed(d, buf, MAX / 2), 0);
	assert_int_equal(vd_varlink_decoder_feed(d, buf, MAX / 2), 0);
	assert_int_equal(vd_varlink_decoder_pending(d), MAX);
	assert_int_equal(vd_varlink_decoder_feed(d, buf, 1), 0);
	assert_int_equal(vd_varlink_decoder_pending(d), 0);
	/* The complete message before it still comes out, in order. */
	assert_int_equal(vd_varlink_decoder_next(d, &m, &len), 1);
	assert_string_equal(m, "ok");
	assert_int_equal(vd_varlink_decoder_next(d, &m, &len), -EMSGSIZE);
	assert_int_equal(vd_varlink_decoder_feed(d, "{}\0", 3), -EMSGSIZE);
	assert_int_equal(vd_varlink_decoder_next(d, &m, &len), -EMSGSIZE);
	vd_varlink_decoder_free(d);

	/* Too long but complete in one chunk, between good ones. */
	assert_int_equal(vd_varlink_decoder_new(MAX, &d), 0);
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "a\0", 2);
	buf[2 + MAX + 1] = '\0';
	memcpy(buf + 2 + MAX + 2, "b\0", 2);
	assert_int_equal(vd_varlink_decoder_feed(d, buf, 2 + MAX + 2 + 2), 0);
	assert_int_equal(vd_varlink_decoder_next(d, &m, &len), 1);
	assert_string_equal(m, "a");
	assert_int_equal(vd_varlink_decoder_next(d, &m, &len), -EMSGSIZE);
	assert_int_equal(vd_varlink_decoder_next(d, &m, &len), -EMSGSIZE);
	vd_varlink_decoder_free(d);

	/* 10 MiB without a NUL in 64 KiB chunks never holds more than max. */
	{
		static char big[65536];
		size_t i;
		int failed_at = -1;

		memset(big, '[', sizeof(big));
		assert_int_equal(vd_varlink_decoder_new(65536, &d), 0);
		for (i = 0; i < 160; i++) {
			int r = vd_varlink_decoder_feed(d, big, sizeof(big));

			assert_true(vd_varlink_decoder_pending(d) <= 65536);
			if (r < 0 && failed_at < 0)
				failed_at = (int)i;
		}
		assert_int_equal(failed_at, 2);
		assert_int_equal(vd_varlink_decoder_next(d, &m, &len), -EMSGSIZE);
		vd_varlink_decoder_free(d);
	}

	assert_int_equal(vd_varlink_decoder_new(0, &d), -EINVAL);
}

static int call(const char *s, struct vd_varlink_call *c, const char **bad)
{
	return vd_varlink_call_parse(s, strlen(s), c, bad);
}

static void test_call_valid(void **state)
{
	struct vd_varlink_call c;
	const char *bad = "x";

	assert_int_equal(call("{\"method\":\"io.vpndoctor.Check\",\"parameters\":{\"probes\":[\"profile\"]},"
	                      "\"more\":true}", &c, &bad), 0);
	assert_null(bad);
	assert_string_equal(c.method, "io.vpndoctor.Check");
	assert_string_equal(c.member, "Check");
	assert_int_equal(c.interface_len, strlen("io.vpndoctor"));
	assert_true(c.more);
	assert_false(c.oneway);
	assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(c.parameters, "probes")));
	vd_varlink_call_done(&c);
	vd_varlink_call_done(&c); /* idempotent */

	/* parameters absent or null: an empty object; whitespace around is fine. */
	assert_int_equal(call(" {\"method\":\"org.varlink.service.GetInfo\",\"oneway\":true} \n", &c, &bad), 0);
	assert_true(cJSON_IsObject(c.parameters));
	assert_null(c.parameters->child);
	assert_true(c.oneway);
	vd_varlink_call_done(&c);
	assert_int_equal(call("{\"method\":\"a-b.c1.X\",\"parameters\":null,\"more\":null}", &c, &bad), 0);
	assert_true(cJSON_IsObject(c.parameters));
	assert_false(c.more);
	vd_varlink_call_done(&c);
}

/* A reply carrying bytes that are not UTF-8 (from a user's profile, say)
 * still goes out as a message the peer accepts: U+FFFD in their place. */
static void test_reply_not_utf8(void **state)
{
	cJSON *p = cJSON_CreateObject();
	struct vd_varlink_reply r;
	char *out;
	size_t len;

	(void)state;
	cJSON_AddStringToObject(p, "summary", "bad \xff byte, caf\xc3\xa9");
	assert_int_equal(vd_varlink_encode_reply(p, false, &out, &len), 0);
	assert_int_equal(vd_varlink_reply_parse(out, len - 1, &r), 0);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(r.parameters, "summary")->valuestring,
	                    "bad \xef\xbf\xbd byte, caf\xc3\xa9");
	vd_varlink_reply_done(&r);
	free(out);
	cJSON_Delete(p);
}

static void test_call_invalid(void **state)
{
	static const struct {
		const char *msg;
		int err;
		const char *bad;
	} cases[] = {
		{"", -EBADMSG, "message"},
		{"not json", -EBADMSG, "message"},
		{"[1,2]", -EBADMSG, "message"},
		{"\"str\"", -EBADMSG, "message"},
		{"42", -EBADMSG, "message"},
		{"{\"method\":\"io.vpndoctor.GetStatus\"} {}", -EBADMSG, "message"},
		{"{\"method\":\"io.vpndoctor.GetStatus\"", -EBADMSG, "message"},
		{"{}", -EINVAL, "method"},
		{"{\"method\":42}", -EINVAL, "method"},
		{"{\"method\":\"GetStatus\"}", -EINVAL, "method"},
		{"{\"method\":\"io.vpndoctor.\"}", -EINVAL, "method"},
		{"{\"method\":\"io.vpndoctor.getStatus\"}", -EINVAL, "method"},
		{"{\"method\":\"io..vpndoctor.GetStatus\"}", -EINVAL, "method"},
		{"{\"method\":\"io.vpndoctor-.GetStatus\"}", -EINVAL, "method"},
		{"{\"method\":\"1o.vpndoctor.GetStatus\"}", -EINVAL, "method"},
		{"{\"method\":\"vpndoctor.Get-Status\"}", -EINVAL, "method"},
		{"{\"method\":\"io.vpndoctor.GetStatus\",\"parameters\":[]}", -EINVAL, "parameters"},
		{"{\"method\":\"io.vpndoctor.GetStatus\",\"parameters\":\"x\"}", -EINVAL, "parameters"},
		{"{\"method\":\"io.vpndoctor.GetStatus\",\"more\":1}", -EINVAL, "more"},
		{"{\"method\":\"io.vpndoctor.GetStatus\",\"oneway\":\"yes\"}", -EINVAL, "oneway"},
		{"{\"method\":\"io.vpndoctor.GetStatus\",\"upgrade\":{}}", -EINVAL, "upgrade"},
		{"{\"method\":\"io.vpndoctor.GetStatus\",\"more\":true,\"oneway\":true}", -EINVAL, "oneway"},
		{"{\"method\":\"io.vpndoctor.GetStatus\",\"bogus\":1}", -EINVAL, "message"},
		{"{\"Method\":\"io.vpndoctor.GetStatus\"}", -EINVAL, "message"},
		/* a member named twice, at any depth (found by fuzz_varlink) */
		{"{\"method\":\"io.vpndoctor.GetStatus\",\"method\":\"io.vpndoctor.Check\"}", -EBADMSG, "message"},
		{"{\"method\":\"io.vpndoctor.GetHistory\",\"parameters\":{\"limit\":0,\"limit\":5}}", -EBADMSG,
		 "message"},
		/* a number past a double's range parses as infinity, which JSON
		 * cannot carry (found by fuzz_varlink in CI) */
		{"{\"method\":\"io.vpndoctor.GetHistory\",\"parameters\":{\"limit\":1e999}}", -EBADMSG,
		 "message"},
		{"{\"method\":\"io.vpndoctor.GetHistory\",\"parameters\":{\"x\":[1,-1e400]}}", -EBADMSG,
		 "message"},
		/* a NUL escape cuts the C string: the method read as GetStatus
		 * (issue 16 item 9), or a parameter read as a shorter one */
		{"{\"method\":\"io.vpndoctor.GetStatus\\u0000x\"}", -EBADMSG, "message"},
		{"{\"method\":\"io.vpndoctor.GetFacts\",\"parameters\":{\"tunnel\":\"a\\u0000b\"}}", -EBADMSG,
		 "message"},
		{"{\"method\":\"io.vpndoctor.GetStatus\",\"parameters\":{\"a\\u0000\":1}}", -EBADMSG, "message"},
		/* not UTF-8: a stray byte, an overlong form, a surrogate, a cut sequence */
		{"{\"method\":\"io.vpndoctor.Explain\",\"parameters\":{\"cause\":\"\xff\"}}", -EBADMSG, "message"},
		{"{\"method\":\"io.vpndoctor.Explain\",\"parameters\":{\"cause\":\"\xc0\xaf\"}}", -EBADMSG,
		 "message"},
		{"{\"method\":\"io.vpndoctor.Explain\",\"parameters\":{\"cause\":\"\xed\xa0\x80\"}}", -EBADMSG,
		 "message"},
		{"{\"method\":\"io.vpndoctor.Explain\",\"parameters\":{\"cause\":\"\xe6\x97\"}}", -EBADMSG,
		 "message"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vd_varlink_call c;
		const char *bad = NULL;

		assert_int_equal(call(cases[i].msg, &c, &bad), cases[i].err);
		assert_non_null(bad);
		assert_string_equal(bad, cases[i].bad);
		assert_null(c.root);
		assert_null(c.method);
	}
	/* What looks like a NUL escape but is an escaped backslash followed by
	 * "u0000", and UTF-8 text, are fine. */
	{
		struct vd_varlink_call c;
		const char *bad = NULL;
		const cJSON *v;

		assert_int_equal(call("{\"method\":\"io.vpndoctor.Explain\",\"parameters\":{\"cause\":\"a\\\\u0000\"}}",
		                      &c, &bad), 0);
		v = cJSON_GetObjectItemCaseSensitive(c.parameters, "cause");
		assert_string_equal(v->valuestring, "a\\u0000");
		vd_varlink_call_done(&c);
		assert_int_equal(call("{\"method\":\"io.vpndoctor.Explain\",\"parameters\":{\"cause\":\"caf\xc3\xa9 \\u00e9\"}}",
		                      &c, &bad), 0);
		vd_varlink_call_done(&c);
	}
	/* An embedded NUL inside the given length is not one message. */
	{
		struct vd_varlink_call c;

		assert_int_equal(vd_varlink_call_parse("{}\0{}", 5, &c, NULL), -EBADMSG);
	}
}

static void test_params(void **state)
{
	cJSON *p = cJSON_Parse("{\"since\":1700000000,\"limit\":2.5,\"neg\":-3,\"big\":1e300,"
	                       "\"s\":\"x\",\"n\":null,\"t\":true}");
	int64_t v = 7;
	const char *s;

	assert_non_null(p);
	assert_int_equal(vd_varlink_param_int(p, "since", 0, INT64_MAX, &v), 0);
	assert_int_equal(v, 1700000000);
	assert_int_equal(vd_varlink_param_int(p, "limit", 0, 100, &v), -EINVAL);
	assert_int_equal(vd_varlink_param_int(p, "neg", 0, 100, &v), -EINVAL);
	assert_int_equal(vd_varlink_param_int(p, "neg", -5, 100, &v), 0);
	assert_int_equal(v, -3);
	assert_int_equal(vd_varlink_param_int(p, "big", 0, INT64_MAX, &v), -EINVAL);
	assert_int_equal(vd_varlink_param_int(p, "s", 0, 100, &v), -EINVAL);
	assert_int_equal(vd_varlink_param_int(p, "n", 0, 100, &v), -ENOENT);
	assert_int_equal(vd_varlink_param_int(p, "missing", 0, 100, &v), -ENOENT);
	assert_int_equal(vd_varlink_param_int(p, "SINCE", 0, INT64_MAX, &v), -ENOENT);
	assert_int_equal(vd_varlink_param_string(p, "s", &s), 0);
	assert_string_equal(s, "x");
	assert_int_equal(vd_varlink_param_string(p, "t", &s), -EINVAL);
	assert_int_equal(vd_varlink_param_string(p, "n", &s), -ENOENT);
	cJSON_Delete(p);
}

static void test_encode_reply_error(void **state)
{
	cJSON *p = cJSON_Parse("{\"health\":\"healthy\",\"tunnels\":[]}");
	char *out;
	size_t len;

	assert_int_equal(vd_varlink_encode_reply(p, false, &out, &len), 0);
	assert_int_equal(len, strlen(out) + 1);
	assert_string_equal(out, "{\"parameters\":{\"health\":\"healthy\",\"tunnels\":[]}}");
	free(out);
	assert_int_equal(vd_varlink_encode_reply(p, true, &out, &len), 0);
	assert_string_equal(out, "{\"parameters\":{\"health\":\"healthy\",\"tunnels\":[]},\"continues\":true}");
	free(out);
	/* The caller's object is untouched by the reference. */
	assert_non_null(cJSON_GetObjectItemCaseSensitive(p, "tunnels"));
	cJSON_Delete(p);

	assert_int_equal(vd_varlink_encode_reply(NULL, false, &out, &len), 0);
	assert_string_equal(out, "{\"parameters\":{}}");
	free(out);

	assert_int_equal(vd_varlink_encode_error_str(VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter",
	                                             "since\"\n", &out, &len), 0);
	assert_string_equal(out, "{\"error\":\"org.varlink.service.InvalidParameter\","
	                         "\"parameters\":{\"parameter\":\"since\\\"\\n\"}}");
	free(out);
	assert_int_equal(vd_varlink_encode_error(VD_VARLINK_ERROR_EXPECTED_MORE, NULL, &out, &len), 0);
	assert_string_equal(out, "{\"error\":\"org.varlink.service.ExpectedMore\",\"parameters\":{}}");
	free(out);

	p = cJSON_CreateArray();
	assert_int_equal(vd_varlink_encode_reply(p, false, &out, &len), -EINVAL);
	cJSON_Delete(p);
}

static void test_client_roundtrip(void **state)
{
	cJSON *p = cJSON_Parse("{\"probes\":[\"profile\"]}");
	struct vd_varlink_call c;
	struct vd_varlink_reply r;
	char *out;
	size_t len;

	assert_int_equal(vd_varlink_encode_call("io.vpndoctor.Check", p, VD_VARLINK_CALL_MORE, &out, &len), 0);
	assert_int_equal(out[len - 1], '\0');
	assert_int_equal(vd_varlink_call_parse(out, len - 1, &c, NULL), 0);
	assert_true(c.more);
	assert_string_equal(c.member, "Check");
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c.parameters, "probes"), 0)->valuestring,
	                    "profile");
	vd_varlink_call_done(&c);
	free(out);
	assert_int_equal(vd_varlink_encode_call("io.vpndoctor.Check", p,
	                                        VD_VARLINK_CALL_MORE | VD_VARLINK_CALL_ONEWAY, &out, &len), -EINVAL);
	assert_int_equal(vd_varlink_encode_call("nodots", NULL, 0, &out, &len), -EINVAL);

	assert_int_equal(vd_varlink_encode_reply(p, true, &out, &len), 0);
	assert_int_equal(vd_varlink_reply_parse(out, len - 1, &r), 0);
	assert_null(r.error);
	assert_true(r.continues);
	assert_non_null(cJSON_GetObjectItemCaseSensitive(r.parameters, "probes"));
	vd_varlink_reply_done(&r);
	free(out);
	cJSON_Delete(p);

	assert_int_equal(vd_varlink_encode_error_str("io.vpndoctor.NoSuchCause", "cause", "nope", &out, &len), 0);
	assert_int_equal(vd_varlink_reply_parse(out, len - 1, &r), 0);
	assert_string_equal(r.error, "io.vpndoctor.NoSuchCause");
	assert_false(r.continues);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(r.parameters, "cause")->valuestring, "nope");
	vd_varlink_reply_done(&r);
	free(out);

	assert_int_equal(vd_varlink_reply_parse("{}", 2, &r), 0);
	assert_true(cJSON_IsObject(r.parameters));
	vd_varlink_reply_done(&r);
	assert_int_equal(vd_varlink_reply_parse("[]", 2, &r), -EBADMSG);
	assert_int_equal(vd_varlink_reply_parse("{\"error\":1}", 11, &r), -EBADMSG);
	assert_int_equal(vd_varlink_reply_parse("{\"error\":\"\"}", 12, &r), -EBADMSG);
	assert_int_equal(vd_varlink_reply_parse("{\"parameters\":[]}", 17, &r), -EBADMSG);
	assert_int_equal(vd_varlink_reply_parse("{\"continues\":\"y\"}", 17, &r), -EBADMSG);
	assert_int_equal(vd_varlink_reply_parse("{\"parameters\":{\"x\":1e999}}", 26, &r), -EBADMSG);
	assert_null(r.root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decoder_splits),
		cmocka_unit_test(test_decoder_pending_and_empty),
		cmocka_unit_test(test_decoder_limit),
		cmocka_unit_test(test_call_valid),
		cmocka_unit_test(test_call_invalid),
		cmocka_unit_test(test_reply_not_utf8),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_encode_reply_error),
		cmocka_unit_test(test_client_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
