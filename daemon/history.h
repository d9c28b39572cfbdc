/* History: every opened/resolved event appended to a file in the state dir.
 * One JSON object per line, written with a single write(2) and fdatasync'ed, so a
 * kill -9 loses at most the line being written; a torn last line is skipped on
 * read. Bounded: past max_bytes the file is rotated to history.1 (one old
 * generation kept) and queries read both. */
#ifndef VPNDOCTORD_HISTORY_H
#define VPNDOCTORD_HISTORY_H

#include <stddef.h>
#include <stdint.h>

struct cJSON;
struct history;

/* Opens (creating) DIR/history; max_bytes 0 means the default (1 MiB). */
int history_open(const char *dir, size_t max_bytes, struct history **ret);
/* ev: {"time","event","tunnel","cause","severity","summary"}. 0 or -errno. */
int history_append(struct history *h, const struct cJSON *ev);
/* {"events": [...]} oldest first; since < 0 / limit 0: unbounded (limit keeps the newest). */
struct cJSON *history_query(struct history *h, int64_t since, size_t limit);
void history_close(struct history *h);

#endif
