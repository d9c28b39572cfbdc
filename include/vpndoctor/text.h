/* Plain text for people: escaping what a terminal or a log reader would act
 * on, and one paragraph word-wrapped to a width, so `vpndoctor explain` and
 * the journal catalog agree, in English and in Japanese. Shared by the CLI,
 * the notifier, the daemon's log and the packaging tools. Widths are terminal
 * columns of UTF-8 text: East Asian wide characters take two, every other
 * character one, whatever the locale. */
#ifndef VPNDOCTOR_TEXT_H
#define VPNDOCTOR_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Text that came from elsewhere (a user's profile, a log, a process's command
 * line, a peer on the socket) reaches a root terminal and the journal only
 * escaped: a terminal acts on control sequences (title, colours, cursor,
 * clipboard through OSC 52), a bidi override makes "ok" read as something
 * else, and invalid UTF-8 breaks every consumer that decodes it.
 *
 * Kept: valid UTF-8 from U+0020, less what follows. Escaped: tab, newline and
 * carriage return as \t \n \r; the other C0 controls and DEL as \xNN; C1
 * controls (U+0080-U+009F), the line and paragraph separators (U+2028,
 * U+2029) and the bidirectional embeddings, overrides and isolates (U+202A-
 * U+202E, U+2066-U+2069) as \uNNNN; every byte that is not part of a valid
 * UTF-8 sequence (a stray continuation byte, an overlong form, a surrogate,
 * past U+10FFFF, a sequence cut short) as \xNN. A backslash stays itself:
 * the escaping is for safety, not to be undone, and a backslash does nothing
 * to a terminal.
 *
 * Writes the escaped form of s[0..len) to buf as snprintf does: at most size
 * bytes with the NUL (never half an escape or half a character), and returns
 * the length the whole escaped text needs (without the NUL). */
size_t vd_text_escape(char *buf, size_t size, const char *s, size_t len);
/* The escaped form of the string s, malloc'ed; NULL when out of memory or s
 * is NULL. */
char *vd_text_escape_dup(const char *s);
/* true when s[0..len) is valid UTF-8 (RFC 3629: no overlong form, no
 * surrogate, nothing past U+10FFFF; NUL bytes count as valid). */
bool vd_text_utf8_valid(const char *s, size_t len);
/* true when s[0..len) escapes to itself. */
bool vd_text_clean(const char *s, size_t len);
/* fputs() of the escaped form of s (NULL prints nothing). 0 or -EIO. */
int vd_text_fputs(FILE *f, const char *s);
/* fputs() of JSON text (a printer's output) with the same characters
 * escaped the JSON way, \uNNNN, so that the document means what it meant
 * (a byte of invalid UTF-8 becomes U+FFFD); tabs and newlines between
 * tokens stay. For --json output that may reach a terminal. */
int vd_text_fputs_json(FILE *f, const char *json);
/* The same into a malloc'ed string; NULL when out of memory or json is NULL. */
char *vd_text_json_dup(const char *json);

/* Writes text to f as one paragraph: words (split at spaces, and where
 * Japanese line breaking allows: between two wide characters, before a Latin
 * word that follows one) joined as they were (one space for a run of spaces,
 * nothing where no space was), each line starting with indent and kept within
 * width columns unless a single word is longer; ends with a newline. Words are
 * escaped as vd_text_escape() does (the indent is ours and is not). Returns 0
 * or -EIO when the stream reports an error. */
int vd_text_wrap(FILE *f, const char *text, const char *indent, size_t width);

/* Columns the UTF-8 string s takes on a terminal as it is (a byte that is not
 * valid UTF-8 counts one). */
size_t vd_text_width(const char *s);

/* Writes s, then spaces up to width columns: "%-*s" for table cells that may
 * be Japanese (printf counts bytes). Returns 0 or -EIO. */
int vd_text_pad(FILE *f, const char *s, size_t width);

/* The length of the longest prefix of s[0..n) of at most max bytes that ends
 * where a line could break (before a space, or where vd_text_wrap() may break
 * Japanese), so that neither a word nor a UTF-8 sequence is cut; 0 when there
 * is none; n itself when n <= max. */
size_t vd_text_cut(const char *s, size_t n, size_t max);

#endif
