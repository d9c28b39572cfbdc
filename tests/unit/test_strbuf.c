/* lib/strbuf.c: appends, formatted text of any length, the hand-over (an
 * empty buffer as ""), and running out of memory remembered until freed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vpndoctor/strbuf.h"

static void test_append(void **state)
{
	struct vd_strbuf b = {0};
	char *s, big[5000];
	size_t len;

	(void)state;
	vd_sb_str(&b, "ab");
	vd_sb_add(&b, "cdef", 2);
	vd_sb_printf(&b, "-%d-%s", 42, "x");
	assert_string_equal(b.p, "abcd-42-x");
	assert_int_equal(b.len, 9);
	/* longer than any fixed scratch buffer: all of it */
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	vd_sb_printf(&b, "%s!", big);
	assert_int_equal(b.len, 9 + sizeof(big));
	assert_int_equal(b.p[b.len - 1], '!');
	assert_int_equal(strlen(b.p), b.len);
	assert_int_equal(vd_sb_finish(&b, &s, &len), 0);
	assert_int_equal(len, strlen(s));
	assert_null(b.p);
	free(s);
}

static void test_empty(void **state)
{
	struct vd_strbuf b = {0};
	char *s;

	(void)state;
	assert_int_equal(vd_sb_finish(&b, &s, NULL), 0);
	assert_string_equal(s, "");
	free(s);
}

static void test_oom(void **state)
{
	struct vd_strbuf b = {0};
	char *s = NULL;

	(void)state;
	vd_sb_str(&b, "abc");
	vd_sb_add(&b, "x", SIZE_MAX - 2); /* cannot be: remembered */
	assert_true(b.oom);
	vd_sb_str(&b, "more");
	assert_string_equal(b.p, "abc");
	assert_int_equal(vd_sb_finish(&b, &s, NULL), -ENOMEM);
	assert_null(s);
	assert_null(b.p);
	assert_false(b.oom); /* freed: a fresh buffer */
	vd_sb_str(&b, "ok");
	assert_string_equal(b.p, "ok");
	vd_sb_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_oom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
