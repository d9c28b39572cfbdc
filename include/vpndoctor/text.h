/* Plain-text layout shared by the CLI and the packaging tools: one paragraph
 * word-wrapped to a width, so `vpndoctor explain` and the journal catalog agree. */
#ifndef VPNDOCTOR_TEXT_H
#define VPNDOCTOR_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* Writes text to f as one paragraph: words (split at spaces) joined by one
 * space, each line starting with indent and kept within width columns unless
 * a single word is longer; ends with a newline. Returns 0 or -EIO when the
 * stream reports an error. */
int vd_text_wrap(FILE *f, const char *text, const char *indent, size_t width);

#endif
