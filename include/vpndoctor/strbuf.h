/* The one growing text buffer, for lib (the OpenVPN config parser, the
 * redactor) and the CLI (the report): appends that remember running out of
 * memory, so a caller checks once, at the end. Always NUL-terminated once
 * anything was added. */
#ifndef VPNDOCTOR_STRBUF_H
#define VPNDOCTOR_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct vd_strbuf {
	char *p;     /* NULL until something is added */
	size_t len, cap;
	bool oom;    /* an append ran out of memory: later ones do nothing */
};

void vd_sb_add(struct vd_strbuf *b, const char *s, size_t n);
void vd_sb_str(struct vd_strbuf *b, const char *s);
/* The whole of the formatted text, however long. */
void vd_sb_printf(struct vd_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the text over (an empty one as ""), *len may be NULL; or -ENOMEM,
 * the buffer freed. */
int vd_sb_finish(struct vd_strbuf *b, char **ret, size_t *ret_len);
/* Frees the text: b is empty again (and may run out of memory anew). */
void vd_sb_free(struct vd_strbuf *b);

#endif
