/* lib/text.c: a paragraph wrapped at a width, with and without an indent,
 * runs of spaces, a word longer than the width, and a failing stream. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vpndoctor/text.h"

/* vd_text_wrap's output for these arguments, as a string (caller frees). */
static char *wrapped(const char *text, const char *indent, size_t width)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(vd_text_wrap(f, text, indent, width), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void check(const char *text, const char *indent, size_t width, const char *want)
{
	char *got = wrapped(text, indent, width);

	assert_string_equal(got, want);
	free(got);
}

static void test_wrap(void **state)
{
	(void)state;
	/* "aaa bbb" is 7 columns: fits in 7, not in 6 */
	check("aaa bbb ccc", "", 7, "aaa bbb\nccc\n");
	check("aaa bbb ccc", "", 6, "aaa\nbbb\nccc\n");
	check("aaa bbb ccc", "", 80, "aaa bbb ccc\n");
	/* the indent counts towards the width and starts every line */
	check("aaa bbb ccc", "  ", 9, "  aaa bbb\n  ccc\n");
	check("aaa bbb ccc", "  ", 8, "  aaa\n  bbb\n  ccc\n");
	/* runs of spaces, leading and trailing ones, fold into one */
	check("  aaa   bbb  ", "", 80, "aaa bbb\n");
	/* a word longer than the width stands alone, never cut */
	check("a bbbbbbbbbb c", "", 5, "a\nbbbbbbbbbb\nc\n");
	check("bbbbbbbbbb", "  ", 5, "  bbbbbbbbbb\n");
	/* nothing to say: just the line end */
	check("", "", 10, "\n");
	check("   ", "> ", 10, "> \n");
}

static void test_stream_error(void **state)
{
	FILE *f = fopen("/dev/null", "r"); /* writing to a read-only stream fails */

	(void)state;
	assert_non_null(f);
	assert_int_equal(vd_text_wrap(f, "aaa bbb", "", 10), -EIO);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_stream_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
