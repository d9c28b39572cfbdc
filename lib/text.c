/* Plain text for people; see vpndoctor/text.h. */
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

/* Writes s[0..len) escaped; returns the columns it takes (a character
 * counts one, which is close enough for wrapping). */
static size_t put_escaped(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t cols = 0, used;
	char unit[8];

	for (size_t i = 0; i < len; i += used) {
		size_t n = escape_unit(p + i, len - i, unit, &used, false);

		fwrite(unit, 1, n, f);
		cols += n == used ? 1 : n;
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

		cols += n == used ? 1 : n;
	}
	return cols;
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

int vd_text_wrap(FILE *f, const char *text, const char *indent, size_t width)
{
	size_t start = strlen(indent), col = start;
	const char *p = text;

	fputs(indent, f);
	while (*p) {
		const char *w = p;
		size_t n;

		while (*w == ' ')
			w++;
		n = strcspn(w, " ");
		if (n == 0)
			break;
		size_t cols = escaped_cols(w, n);
		if (col > start && col + 1 + cols > width) {
			fputc('\n', f);
			fputs(indent, f);
			col = start;
		} else if (col > start) {
			fputc(' ', f);
			col++;
		}
		col += put_escaped(f, w, n);
		p = w + n;
	}
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}
