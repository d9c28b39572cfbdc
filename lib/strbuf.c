/* A growing text buffer (see vpndoctor/strbuf.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpndoctor/strbuf.h"

/* Room for n more bytes and the NUL. */
static bool reserve(struct vd_strbuf *b, size_t n)
{
	size_t cap;
	char *np;

	if (b->oom)
		return false;
	if (n > SIZE_MAX - b->len - 1) {
		b->oom = true;
		return false;
	}
	if (b->len + n + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return false;
		}
		cap *= 2;
	}
	np = realloc(b->p, cap);
	if (!np) {
		b->oom = true;
		return false;
	}
	b->p = np;
	b->cap = cap;
	return true;
}

void vd_sb_add(struct vd_strbuf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void vd_sb_str(struct vd_strbuf *b, const char *s)
{
	vd_sb_add(b, s, strlen(s));
}

void vd_sb_printf(struct vd_strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(b, (size_t)n)) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

int vd_sb_finish(struct vd_strbuf *b, char **ret, size_t *ret_len)
{
	vd_sb_add(b, "", 0);
	if (b->oom) {
		vd_sb_free(b);
		return -ENOMEM;
	}
	*ret = b->p;
	if (ret_len)
		*ret_len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return 0;
}

void vd_sb_free(struct vd_strbuf *b)
{
	free(b->p);
	*b = (struct vd_strbuf){0};
}
