/* Plain text for people; see vpndoctor/text.h. Widths follow Unicode's East
 * Asian Width (wide and fullwidth: 2 columns) without the locale, so the CLI
 * and the catalog generator lay Japanese out the same way in any environment.
 * Line breaks inside Japanese text follow the basic rules of JIS X 4051: not
 * before closing brackets, 、。, small kana and the prolonged sound mark; not
 * after opening brackets. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpndoctor/text.h"

/* The code point of the valid UTF-8 sequence at s[0..len) and its length in
 * *n, or -1 when the first byte starts none (RFC 3629: no overlong form, no
 * surrogate, nothing past U+10FFFF). */
static int32_t utf8_next(const unsigned char *s, size_t len, size_t *n)
{
	uint32_t cp, min;
	size_t k;

	if (s[0] < 0x80) {
		*n = 1;
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		k = 2, cp = s[0] & 0x1f, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		k = 3, cp = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		k = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return -1;
	}
	if (len < k)
		return -1;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*n = k;
	return (int32_t)cp;
}

static bool is_wide(uint32_t c)
{
	return (c >= 0x1100 && c <= 0x115f) ||   /* Hangul Jamo initials */
	       (c >= 0x2e80 && c <= 0x303e) ||   /* CJK radicals, symbols and punctuation */
	       (c >= 0x3041 && c <= 0x33ff) ||   /* kana, CJK compatibility */
	       (c >= 0x3400 && c <= 0x4dbf) ||   /* CJK extension A */
	       (c >= 0x4e00 && c <= 0x9fff) ||   /* CJK unified ideographs */
	       (c >= 0xa000 && c <= 0xa4cf) ||   /* Yi */
	       (c >= 0xac00 && c <= 0xd7a3) ||   /* Hangul syllables */
	       (c >= 0xf900 && c <= 0xfaff) ||   /* CJK compatibility ideographs */
	       (c >= 0xfe30 && c <= 0xfe4f) ||   /* CJK compatibility forms */
	       (c >= 0xff00 && c <= 0xff60) ||   /* fullwidth forms */
	       (c >= 0xffe0 && c <= 0xffe6) ||
	       (c >= 0x1f300 && c <= 0x1f64f) || /* pictographs, emoticons */
	       (c >= 0x20000 && c <= 0x3fffd);   /* CJK extensions B and on */
}

/* Characters a line must not start with, and ones it must not end with. */
static bool no_break_before(uint32_t c)
{
	static const uint32_t set[] = {
		0x3001, 0x3002, 0xff0c, 0xff0e, 0x30fb, 0xff1a, 0xff1b, 0xff01, 0xff1f, /* 、。，．・：；！？ */
		0xff09, 0x300d, 0x300f, 0x3011, 0x3015, 0x3009, 0x300b, 0xff3d, 0xff5d, /* ）」』】〕〉》］｝ */
		0x30fc, 0x3005, 0x301c, 0x309d, 0x309e, 0x30fd, 0x30fe,                 /* ー々〜ゝゞヽヾ */
		0x3041, 0x3043, 0x3045, 0x3047, 0x3049, 0x3063, 0x3083, 0x3085, 0x3087, 0x308e, /* small kana */
		0x30a1, 0x30a3, 0x30a5, 0x30a7, 0x30a9, 0x30c3, 0x30e3, 0x30e5, 0x30e7, 0x30ee,
		0x30f5, 0x30f6,
	};
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		if (set[i] == c)
			return true;
	return false;
}

static bool no_break_after(uint32_t c)
{
	static const uint32_t set[] = {
		0xff08, 0x300c, 0x300e, 0x3010, 0x3014, 0x3008, 0x300a, 0xff3b, 0xff5b, /* （「『【〔〈《［｛ */
	};
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		if (set[i] == c)
			return true;
	return false;
}

/* A line may break between a and b (with nothing between them): between two
 * wide characters, and before a Latin word or number that follows one; never
 * after a Latin word, so "SSLサーバー", "TCPに" and "10分" stay whole. */
static bool breakable(uint32_t a, uint32_t b)
{
	bool alnum = (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z');

	if (!is_wide(a) || no_break_after(a))
		return false;
	return alnum || (is_wide(b) && !no_break_before(b));
}

/* The code point at s[0..len) (U+FFFD for a byte that starts no valid
 * sequence) and its length in *n: for widths and breaks, not escaping. */
static uint32_t decode(const char *s, size_t len, size_t *n)
{
	int32_t cp = utf8_next((const unsigned char *)s, len, n);

	if (cp < 0) {
		*n = 1;
		return 0xfffd;
	}
	return (uint32_t)cp;
}

static bool cp_escaped(int32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static size_t u_escape(int32_t cp, char *out)
{
	static const char hex[] = "0123456789abcdef";

	out[0] = '\\', out[1] = 'u';
	for (int i = 0; i < 4; i++)
		out[2 + i] = hex[(cp >> (12 - 4 * i)) & 15];
	return 6;
}

/* The escape of one unit (a character or a bad byte) into out (at least 7
 * bytes); returns its length. In JSON text every escape is a JSON one: tab,
 * newline and return are the printer's layout (inside strings it escaped them
 * already), a bad byte becomes U+FFFD. */
static size_t escape_unit(const unsigned char *s, size_t len, char *out, size_t *used, bool json)
{
	static const char hex[] = "0123456789abcdef";
	size_t n;
	int32_t cp = utf8_next(s, len, &n);

	if (cp < 0 && json) {
		*used = 1;
		return u_escape(0xfffd, out);
	}
	if (json && (cp == '\t' || cp == '\n' || cp == '\r')) {
		*used = 1;
		out[0] = (char)cp;
		return 1;
	}
	if (json && cp_escaped(cp)) {
		*used = n;
		return u_escape(cp, out);
	}
	if (cp < 0) {
		*used = 1;
		out[0] = '\\', out[1] = 'x', out[2] = hex[s[0] >> 4], out[3] = hex[s[0] & 15];
		return 4;
	}
	*used = n;
	if (!cp_escaped(cp)) {
		memcpy(out, s, n);
		return n;
	}
	switch (cp) {
	case '\t':
		memcpy(out, "\\t", 2);
		return 2;
	case '\n':
		memcpy(out, "\\n", 2);
		return 2;
	case '\r':
		memcpy(out, "\\r", 2);
		return 2;
	default:
		break;
	}
	if (cp < 0x80) {
		out[0] = '\\', out[1] = 'x', out[2] = hex[cp >> 4], out[3] = hex[cp & 15];
		return 4;
	}
	return u_escape(cp, out);
}

size_t vd_text_escape(char *buf, size_t size, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t need = 0, off = 0, used;
	bool full = false;
	char unit[8];

	for (size_t i = 0; s && i < len; i += used) {
		size_t n = escape_unit(p + i, len - i, unit, &used, false);

		if (!full && size > 0 && off + n < size) {
			memcpy(buf + off, unit, n);
			off += n;
		} else {
			full = true;
		}
		need += n;
	}
	if (size > 0)
		buf[off] = '\0';
	return need;
}

char *vd_text_escape_dup(const char *s)
{
	size_t len, need;
	char *out;

	if (!s)
		return NULL;
	len = strlen(s);
	need = vd_text_escape(NULL, 0, s, len);
	out = malloc(need + 1);
	if (out)
		vd_text_escape(out, need + 1, s, len);
	return out;
}

bool vd_text_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	for (size_t i = 0; i < len; i += n) {
		if (p[i] < 0x80) { /* the common case, without the call */
			n = 1;
			continue;
		}
		if (utf8_next(p + i, len - i, &n) < 0)
			return false;
	}
	return true;
}

bool vd_text_clean(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	for (size_t i = 0; i < len; i += n) {
		int32_t cp = utf8_next(p + i, len - i, &n);

		if (cp < 0 || cp_escaped(cp))
			return false;
	}
	return true;
}

/* Columns of one unit as escape_unit() wrote it: an escape is as wide as it
 * is long, a character kept as it was takes one or two. */
static size_t unit_cols(const unsigned char *s, size_t len, size_t n, size_t used)
{
	size_t k;

	if (n != used)
		return n;
	return is_wide(decode((const char *)s, len, &k)) ? 2 : 1;
}

/* Writes s[0..len) escaped; returns the columns it takes. */
static size_t put_escaped(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t cols = 0, used;
	char unit[8];

	for (size_t i = 0; i < len; i += used) {
		size_t n = escape_unit(p + i, len - i, unit, &used, false);

		fwrite(unit, 1, n, f);
		cols += unit_cols(p + i, len - i, n, used);
	}
	return cols;
}

/* Columns of s[0..len) once escaped, as put_escaped() counts them. */
static size_t escaped_cols(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t cols = 0, used;
	char unit[8];

	for (size_t i = 0; i < len; i += used) {
		size_t n = escape_unit(p + i, len - i, unit, &used, false);

		cols += unit_cols(p + i, len - i, n, used);
	}
	return cols;
}

/* JSON mode into buf (NULL: only counts); returns the length. */
static size_t json_escape(char *buf, const char *json, size_t len)
{
	const unsigned char *p = (const unsigned char *)json;
	size_t off = 0, used;
	char unit[8];

	for (size_t i = 0; i < len; i += used) {
		size_t n = escape_unit(p + i, len - i, unit, &used, true);

		if (buf)
			memcpy(buf + off, unit, n);
		off += n;
	}
	return off;
}

char *vd_text_json_dup(const char *json)
{
	size_t len, need;
	char *out;

	if (!json)
		return NULL;
	len = strlen(json);
	need = json_escape(NULL, json, len);
	out = malloc(need + 1);
	if (!out)
		return NULL;
	json_escape(out, json, len);
	out[need] = '\0';
	return out;
}

int vd_text_fputs_json(FILE *f, const char *json)
{
	const unsigned char *p = (const unsigned char *)json;
	size_t len = json ? strlen(json) : 0, used;
	char unit[8];

	for (size_t i = 0; i < len; i += used) {
		size_t n = escape_unit(p + i, len - i, unit, &used, true);

		fwrite(unit, 1, n, f);
	}
	return ferror(f) ? -EIO : 0;
}

int vd_text_fputs(FILE *f, const char *s)
{
	if (s)
		put_escaped(f, s, strlen(s));
	return ferror(f) ? -EIO : 0;
}

size_t vd_text_width(const char *s)
{
	size_t w = 0, n, len = strlen(s);

	for (size_t i = 0; i < len; i += n)
		w += is_wide(decode(s + i, len - i, &n)) ? 2 : 1;
	return w;
}

int vd_text_pad(FILE *f, const char *s, size_t width)
{
	fputs(s, f);
	for (size_t w = vd_text_width(s); w < width; w++)
		fputc(' ', f);
	return ferror(f) ? -EIO : 0;
}

int vd_text_wrap(FILE *f, const char *text, const char *indent, size_t width)
{
	size_t start = vd_text_width(indent), col = start, left = strlen(text);
	const char *p = text;

	fputs(indent, f);
	while (*p) {
		const char *q;
		size_t gap = 0, cols, n;
		uint32_t prev = 0;

		while (*p == ' ') {
			p++;
			left--;
			gap = 1;
		}
		if (!*p)
			break;
		/* one word: up to a space or a place where Japanese may break */
		for (q = p; *q && *q != ' '; q += n) {
			uint32_t c = decode(q, left - (size_t)(q - p), &n);

			if (q > p && breakable(prev, c))
				break;
			prev = c;
		}
		cols = escaped_cols(p, (size_t)(q - p));
		if (col > start && col + gap + cols > width) {
			fputc('\n', f);
			fputs(indent, f);
			col = start;
		} else if (col > start && gap) {
			fputc(' ', f);
			col++;
		}
		col += put_escaped(f, p, (size_t)(q - p));
		left -= (size_t)(q - p);
		p = q;
	}
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

size_t vd_text_cut(const char *s, size_t n, size_t max)
{
	size_t best = 0, i = 0, len;
	uint32_t prev = 0;

	if (n <= max)
		return n;
	while (i <= max && i < n) {
		uint32_t c = decode(s + i, n - i, &len);

		if (i > 0 && (c == ' ' || breakable(prev, c)))
			best = i;
		prev = c;
		i += len;
	}
	return best;
}
