/* lib/common.c: severities, error details, checked number and time parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vpndoctor/common.h"

static void test_severity(void **state)
{
	enum vd_severity s = VD_SEV_NONE;

	(void)state;
	assert_string_equal(vd_severity_name(VD_SEV_NONE), "none");
	assert_string_equal(vd_severity_name(VD_SEV_INFO), "info");
	assert_string_equal(vd_severity_name(VD_SEV_WARNING), "warning");
	assert_string_equal(vd_severity_name(VD_SEV_ERROR), "error");
	assert_string_equal(vd_severity_name((enum vd_severity)99), "none");
	assert_int_equal(vd_severity_parse("warning", &s), 0);
	assert_int_equal(s, VD_SEV_WARNING);
	assert_int_equal(vd_severity_parse("error", &s), 0);
	assert_int_equal(s, VD_SEV_ERROR);
	assert_int_equal(vd_severity_parse("Error", &s), -EINVAL);
	assert_int_equal(vd_severity_parse("", &s), -EINVAL);
	assert_int_equal(vd_severity_parse(NULL, &s), -EINVAL);
	assert_int_equal(s, VD_SEV_ERROR);
	/* Severities order by how bad they are: the CLI's exit status relies on it. */
	assert_true(VD_SEV_NONE < VD_SEV_INFO && VD_SEV_INFO < VD_SEV_WARNING &&
		    VD_SEV_WARNING < VD_SEV_ERROR);
}

static void test_error_set(void **state)
{
	struct vd_error e;
	char longname[600];

	(void)state;
	vd_error_set(&e, "office.ovpn", 12, "ca file '%s' not found", "ca.crt");
	assert_string_equal(e.file, "office.ovpn");
	assert_int_equal(e.line, 12);
	assert_string_equal(e.msg, "ca file 'ca.crt' not found");
	vd_error_set(&e, NULL, 0, "%s", "x");
	assert_string_equal(e.file, "");
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	vd_error_set(&e, longname, 1, "%s", longname);
	assert_int_equal(strlen(e.file), sizeof(e.file) - 1);
	assert_int_equal(strlen(e.msg), sizeof(e.msg) - 1);
	vd_error_set(NULL, "f", 1, "nothing to write to");
}

static void test_u64(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(vd_parse_u64("0", 0, UINT64_MAX, &v), 0);
	assert_true(v == 0);
	assert_int_equal(vd_parse_u64("1194", 1, 65535, &v), 0);
	assert_true(v == 1194);
	assert_int_equal(vd_parse_u64("007", 0, 10, &v), 0);
	assert_true(v == 7);
	assert_int_equal(vd_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	v = 42;
	assert_int_equal(vd_parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(vd_parse_u64("99999999999999999999999", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(vd_parse_u64("65536", 1, 65535, &v), -ERANGE);
	assert_int_equal(vd_parse_u64("0", 1, 65535, &v), -ERANGE);
	assert_int_equal(vd_parse_u64("", 0, 10, &v), -EINVAL);
	assert_int_equal(vd_parse_u64(NULL, 0, 10, &v), -EINVAL);
	assert_int_equal(vd_parse_u64("-1", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(vd_parse_u64("+1", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(vd_parse_u64(" 1", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(vd_parse_u64("1 ", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(vd_parse_u64("0x10", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(vd_parse_u64("1e3", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(vd_parse_u64("1.5", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(vd_parse_u64("١", 0, UINT64_MAX, &v), -EINVAL); /* Arabic-Indic one */
	assert_true(v == 42); /* untouched on failure */
}

static void test_i64(void **state)
{
	int64_t v = 7;

	(void)state;
	assert_int_equal(vd_parse_i64("-903", INT64_MIN, INT64_MAX, &v), 0);
	assert_true(v == -903);
	assert_int_equal(vd_parse_i64("+903", INT64_MIN, INT64_MAX, &v), 0);
	assert_true(v == 903);
	assert_int_equal(vd_parse_i64("-0", INT64_MIN, INT64_MAX, &v), 0);
	assert_true(v == 0);
	assert_int_equal(vd_parse_i64("9223372036854775807", INT64_MIN, INT64_MAX, &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(vd_parse_i64("-9223372036854775808", INT64_MIN, INT64_MAX, &v), 0);
	assert_true(v == INT64_MIN);
	v = 42;
	assert_int_equal(vd_parse_i64("9223372036854775808", INT64_MIN, INT64_MAX, &v), -ERANGE);
	assert_int_equal(vd_parse_i64("-9223372036854775809", INT64_MIN, INT64_MAX, &v), -ERANGE);
	assert_int_equal(vd_parse_i64("-1", 0, 10, &v), -ERANGE);
	assert_int_equal(vd_parse_i64("11", 0, 10, &v), -ERANGE);
	assert_int_equal(vd_parse_i64("-", INT64_MIN, INT64_MAX, &v), -EINVAL);
	assert_int_equal(vd_parse_i64("+", INT64_MIN, INT64_MAX, &v), -EINVAL);
	assert_int_equal(vd_parse_i64("--1", INT64_MIN, INT64_MAX, &v), -EINVAL);
	assert_int_equal(vd_parse_i64("+-1", INT64_MIN, INT64_MAX, &v), -EINVAL);
	assert_int_equal(vd_parse_i64("", INT64_MIN, INT64_MAX, &v), -EINVAL);
	assert_int_equal(vd_parse_i64(NULL, INT64_MIN, INT64_MAX, &v), -EINVAL);
	assert_int_equal(vd_parse_i64("1-", INT64_MIN, INT64_MAX, &v), -EINVAL);
	assert_true(v == 42);
}

static void test_time(void **state)
{
	int64_t t = 0;

	(void)state;
	assert_int_equal(vd_parse_time("1970-01-01", &t), 0);
	assert_true(t == 0);
	assert_int_equal(vd_parse_time("2026-11-27", &t), 0);
	assert_true(t == 1795737600);
	assert_int_equal(vd_parse_time("2026-11-27T10:00:00Z", &t), 0);
	assert_true(t == 1795773600);
	assert_int_equal(vd_parse_time("2026-11-27 10:00:00", &t), 0);
	assert_true(t == 1795773600);
	assert_int_equal(vd_parse_time("2026-11-27T10:00:00", &t), 0);
	assert_true(t == 1795773600);
	assert_int_equal(vd_parse_time("2021-04-01", &t), 0); /* the FAQ's gateway cut-off */
	assert_true(t == 1617235200);
	assert_int_equal(vd_parse_time("2024-02-29", &t), 0); /* leap day */
	assert_int_equal(vd_parse_time("1969-12-31T23:59:59Z", &t), 0);
	assert_true(t == -1);
	assert_int_equal(vd_parse_time("@1795770000", &t), 0);
	assert_true(t == 1795770000);
	assert_int_equal(vd_parse_time("@-5", &t), 0);
	assert_true(t == -5);

	t = 42;
	static const char *const bad[] = {
		"2026-02-31", "2026-02-29", "2100-02-29", "2026-04-31", "2026-13-01", "2026-00-10",
		"2026-11-00", "2026-11-32", "2026-11-27T24:00:00Z", "2026-11-27T10:60:00Z",
		"2026-11-27T10:00:61Z", "2026-11-27X10:00:00", "2026-11-27T10:00", "2026-11-27T10:00:00+01:00",
		"2026-11-27T10:00:00ZZ", "2026-11-27 ", "26-11-27", "2026/11/27", "2026-1-27",
		"2026-11-2a", "", "@", "@x", "@99999999999999999999", "now", "2026-11-27T1a:00:00Z",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (vd_parse_time(bad[i], &t) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(vd_parse_time(NULL, &t), -EINVAL);
	assert_true(t == 42);
}

static void test_format_time(void **state)
{
	char buf[32];
	int64_t t;

	(void)state;
	assert_string_equal(vd_format_time(0, buf, sizeof(buf)), "1970-01-01T00:00:00Z");
	assert_string_equal(vd_format_time(1795773600, buf, sizeof(buf)), "2026-11-27T10:00:00Z");
	assert_string_equal(vd_format_time(-1, buf, sizeof(buf)), "1969-12-31T23:59:59Z");
	/* round trip */
	assert_int_equal(vd_parse_time(vd_format_time(1617235199, buf, sizeof(buf)), &t), 0);
	assert_true(t == 1617235199);
	/* a buffer too small for the date falls back to "@EPOCH", terminated */
	char small[12];
	assert_string_equal(vd_format_time(1795773600, small, sizeof(small)), "@1795773600");
	/* a time gmtime cannot express */
	assert_string_equal(vd_format_time(INT64_MAX, buf, sizeof(buf)), "@9223372036854775807");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_severity), cmocka_unit_test(test_error_set),
		cmocka_unit_test(test_u64),	 cmocka_unit_test(test_i64),
		cmocka_unit_test(test_time),	 cmocka_unit_test(test_format_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
