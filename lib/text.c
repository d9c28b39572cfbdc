/* Plain-text layout; see vpndoctor/text.h. */
#include <errno.h>
#include <string.h>

#include "vpndoctor/text.h"

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
		if (col > start && col + 1 + n > width) {
			fputc('\n', f);
			fputs(indent, f);
			col = start;
		} else if (col > start) {
			fputc(' ', f);
			col++;
		}
		fwrite(w, 1, n, f);
		col += n;
		p = w + n;
	}
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}
