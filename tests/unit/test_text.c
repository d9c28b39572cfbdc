/* lib/text.c: escaping (every class of the header's list, the boundaries of
 * UTF-8 validity, truncation at a buffer's end) and a paragraph wrapped at a
 * width, with and without an indent, runs of spaces, a word longer than the
 * width, escaped words, and a failing stream; Japanese (two columns a
 * character, breaks between characters with the kinsoku rules), display
 * widths, padding and cutting at a break. */
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

/* vd_text_escape of s (len bytes) into a large buffer must give want. */
static void esc(const char *s, size_t len, const char *want)
{
	char buf[256];
	size_t n = vd_text_escape(buf, sizeof(buf), s, len);

	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
	assert_true(vd_text_clean(s, len) == (len == strlen(want) && memcmp(s, want, len) == 0));
}

#define ESC(lit, want) esc(lit, sizeof(lit) - 1, want)

static void test_escape(void **state)
{
	(void)state;
	/* kept: ASCII text, a backslash, UTF-8 of every length */
	ESC("plain text", "plain text");
	ESC("C:\\dir", "C:\\dir");
	ESC("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x94\x92", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x94\x92");
	ESC("\xc2\xa0nbsp", "\xc2\xa0nbsp"); /* U+00A0: past C1 */
	ESC("\xef\xbf\xbd", "\xef\xbf\xbd"); /* U+FFFD */
	ESC("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
	ESC("", "");
	/* C0, DEL */
	ESC("a\tb\nc\rd", "a\\tb\\nc\\rd");
	ESC("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07");
	ESC("\x1b[2J\x7f\x01\x1f", "\\x1b[2J\\x7f\\x01\\x1f");
	esc("a\0b", 3, "a\\x00b");
	/* C1 (CSI as one byte pair), separators, bidi controls */
	ESC("\xc2\x9b" "31m", "\\u009b31m");
	ESC("\xc2\x80\xc2\x9f", "\\u0080\\u009f");
	ESC("x\xe2\x80\xa8y\xe2\x80\xa9", "x\\u2028y\\u2029");
	ESC("\xe2\x80\xaekcah", "\\u202ekcah");
	ESC("\xe2\x80\xaa\xe2\x81\xa6\xe2\x81\xa9", "\\u202a\\u2066\\u2069");
	ESC("\xe2\x80\xa9\xe2\x80\xaf", "\\u2029\xe2\x80\xaf"); /* U+202F is a space */
	/* invalid UTF-8: each bad byte on its own */
	ESC("\xff", "\\xff");
	ESC("\x80x", "\\x80x");                       /* stray continuation */
	ESC("\xc0\xaf", "\\xc0\\xaf");               /* overlong '/' */
	ESC("\xe0\x80\xaf", "\\xe0\\x80\\xaf");     /* overlong, 3 bytes */
	ESC("\xed\xa0\x80", "\\xed\\xa0\\x80");     /* surrogate U+D800 */
	ESC("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* past U+10FFFF */
	ESC("\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80");
	ESC("ab\xe6\x97", "ab\\xe6\\x97");              /* cut short at the end */
	ESC("\xe6\x97x", "\\xe6\\x97x");                /* cut short by ASCII */
}

static void test_utf8_valid(void **state)
{
	(void)state;
	assert_true(vd_text_utf8_valid("", 0));
	assert_true(vd_text_utf8_valid("a\0b", 3));
	assert_true(vd_text_utf8_valid("caf\xc3\xa9 \xf4\x8f\xbf\xbf \xe2\x80\xae", 14));
	assert_false(vd_text_utf8_valid("\xff", 1));
	assert_false(vd_text_utf8_valid("\xc0\xaf", 2));
	assert_false(vd_text_utf8_valid("\xed\xa0\x80", 3));
	assert_false(vd_text_utf8_valid("\xf4\x90\x80\x80", 4));
	assert_false(vd_text_utf8_valid("ab\xe6\x97", 4));
	assert_false(vd_text_utf8_valid("\x80", 1));
}

static void test_escape_truncated(void **state)
{
	char buf[8];

	(void)state;
	/* like snprintf: the full length comes back, the buffer ends at a unit */
	assert_int_equal(vd_text_escape(buf, sizeof(buf), "abc\x1b", 4), 7);
	assert_string_equal(buf, "abc\\x1b");
	assert_int_equal(vd_text_escape(buf, 7, "abc\x1b", 4), 7);
	assert_string_equal(buf, "abc");
	assert_int_equal(vd_text_escape(buf, 4, "ab\xc3\xa9", 4), 4);
	assert_string_equal(buf, "ab"); /* never half of the two-byte character */
	assert_int_equal(vd_text_escape(buf, 1, "abc", 3), 3);
	assert_string_equal(buf, "");
	assert_int_equal(vd_text_escape(NULL, 0, "a\nb", 3), 4);
	/* once full, stays full: a later short unit does not slip in */
	assert_int_equal(vd_text_escape(buf, 5, "ab\x1b" "cd", 5), 8);
	assert_string_equal(buf, "ab");
}

static void test_escape_dup_fputs(void **state)
{
	char *s = vd_text_escape_dup("t\x1b[1mx\xff"), *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(s);
	assert_string_equal(s, "t\\x1b[1mx\\xff");
	free(s);
	assert_null(vd_text_escape_dup(NULL));
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(vd_text_fputs(f, "a\x07" "b"), 0);
	assert_int_equal(vd_text_fputs(f, NULL), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, "a\\x07b");
	free(buf);
}

static void test_fputs_json(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	/* layout whitespace stays; C1, DEL, bidi become JSON escapes; a bad byte U+FFFD */
	assert_int_equal(vd_text_fputs_json(f, "{\n\t\"a\":\t\"x\xc2\x9b" "1m\x7f\xe2\x80\xae\xff\xc3\xa9\"\n}"), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, "{\n\t\"a\":\t\"x\\u009b1m\\u007f\\u202e\\ufffd\xc3\xa9\"\n}");
	free(buf);
}

static void test_wrap_escaped(void **state)
{
	(void)state;
	/* a control character never reaches the stream; an escape counts its
	 * width when lines are filled, a UTF-8 character one column */
	check("a\x1b[31mb c", "", 80, "a\\x1b[31mb c\n");
	check("aa \x1b", "", 6, "aa\n\\x1b\n");
	check("\xc3\xa9\xc3\xa9\xc3\xa9 \xc3\xa9\xc3\xa9", "", 6, "\xc3\xa9\xc3\xa9\xc3\xa9 \xc3\xa9\xc3\xa9\n");
	check("one\ntwo", "", 80, "one\\ntwo\n");
}

static void test_wrap_japanese(void **state)
{
	(void)state;
	/* 4 characters of 2 columns: 8 columns; breaks between them, no space added */
	check("時刻同期", "", 8, "時刻同期\n");
	check("時刻同期", "", 7, "時刻同\n期\n");
	check("時刻同期", "", 4, "時刻\n同期\n");
	/* an ASCII word next to kana stays with it; no line starts with ー */
	check("SSLサーバー", "  ", 8, "  SSLサー\n  バー\n");
	check("SSLサーバー", "  ", 12, "  SSLサー\n  バー\n");
	check("SSLサーバー", "  ", 13, "  SSLサーバー\n");
	/* 。 never starts a line: す goes down with it */
	check("接続します。再接続", "", 10, "接続しま\nす。再接続\n");
	/* a line never ends with 「 nor starts with 」 */
	check("「設定」を", "", 4, "「設\n定」\nを\n");
	/* a Latin word may start a line after Japanese, never end one before it */
	check("時刻はchrony", "", 8, "時刻は\nchrony\n");
	check("はTCPに変更", "", 8, "はTCPに\n変更\n");
	check("はTCPに変更", "", 6, "は\nTCPに\n変更\n");
	check("（TCP）に", "", 4, "（TCP）\nに\n");
	/* spaces between English and Japanese words stay single spaces */
	check("OpenVPN  2.4.0以降を使う", "", 80, "OpenVPN 2.4.0以降を使う\n");
	check("OpenVPN 2.4.0以降を使う", "", 12, "OpenVPN\n2.4.0以降を\n使う\n");
}

static void test_width_pad_cut(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	const char *ja = "時刻同期"; /* 12 bytes */

	(void)state;
	assert_int_equal(vd_text_width(""), 0);
	assert_int_equal(vd_text_width("SEVERITY"), 8);
	assert_int_equal(vd_text_width("時刻"), 4);
	assert_int_equal(vd_text_width("SSLサーバー（TCP）"), 3 + 8 + 2 + 3 + 2);
	assert_int_equal(vd_text_width("caf\xc3\xa9"), 4);       /* é: one column */
	assert_int_equal(vd_text_width("a\xff\xe6\x99"), 4);     /* invalid, truncated: a column a byte */
	assert_int_equal(vd_text_width("\xed\xa0\x80"), 3);      /* a surrogate is not UTF-8 */

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(vd_text_pad(f, "重大度", 8), 0);
	assert_int_equal(vd_text_pad(f, "|SEVERITY", 8), 0);
	assert_int_equal(vd_text_pad(f, "|", 3), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, "重大度  |SEVERITY|  ");
	free(buf);

	/* ASCII: the last space at or before max, as a cut between words */
	assert_int_equal(vd_text_cut("aaa bbb ccc", 11, 6), 3);
	assert_int_equal(vd_text_cut("aaa bbb ccc", 11, 7), 7);
	assert_int_equal(vd_text_cut("aaa bbb ccc", 11, 11), 11);
	assert_int_equal(vd_text_cut("abcdefgh", 8, 4), 0);
	/* Japanese: between characters, never inside one, never before 」 */
	assert_int_equal(vd_text_cut(ja, 12, 7), 6);
	assert_int_equal(vd_text_cut(ja, 12, 5), 3);
	assert_int_equal(vd_text_cut(ja, 12, 2), 0);
	assert_int_equal(vd_text_cut("「設定」", 12, 6), 6);
	assert_int_equal(vd_text_cut("「設定」", 12, 5), 0);
	assert_int_equal(vd_text_cut("「設定」", 12, 11), 6);
	assert_int_equal(vd_text_cut("\xc3\xa9\xc3\xa9\xc3\xa9", 6, 3), 0);
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
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_escape_truncated),
		cmocka_unit_test(test_escape_dup_fputs),
		cmocka_unit_test(test_fputs_json),
		cmocka_unit_test(test_wrap_escaped),
		cmocka_unit_test(test_wrap_japanese),
		cmocka_unit_test(test_width_pad_cut),
		cmocka_unit_test(test_stream_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
