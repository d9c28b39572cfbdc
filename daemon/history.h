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

/* Opens (creating) DIR/history; max_bytes 0 means the default (1 MiB).
 * The state directory is one daemon's: DIR/lock is held (flock, exclusive)
 * until history_close, and -EBUSY comes back while another process holds it
 * (history_lock_owner names it). */
int history_open(const char *dir, size_t max_bytes, struct history **ret);
/* -EBUSY while a daemon holds the lock of the state directory open at
 * dirfd (for a check before the engine, which takes it, is started), else
 * 0 or another -errno. */
int history_lock_busy(int dirfd);
/* The pid written in DIR/lock by the daemon that holds it, or -errno. */
int history_lock_owner(const char *dir);
/* The same in a directory already open (O_DIRECTORY), whose descriptor it
 * takes over even on failure: the privileged parent opens the state
 * directory, which the engine's user may not reach by its path. */
int history_open_dirfd(int dirfd, size_t max_bytes, struct history **ret);
/* ev: {"time","event","tunnel","cause","severity","summary"}. 0 or -errno. */
int history_append(struct history *h, const struct cJSON *ev);
/* A query read in steps, so that neither the daemon's memory nor one turn of
 * its loop grows with the files: events at or after since (< 0: all), the
 * newest limit of them (0: all), oldest first. It reads the files as they
 * were when it was opened (a rotation or an append meanwhile changes
 * nothing); a limit costs a first pass that counts. */
struct history_cursor;
int history_cursor_open(struct history *h, int64_t since, size_t limit, struct history_cursor **ret);
/* Adds the next events to the cJSON array page, while *page_bytes (their
 * JSON text, counted with a separator each) stays below max_bytes, reading
 * at most about HISTORY_STEP bytes of the files. Returns
 *   HISTORY_FULL  the page is full and more events follow (one is held);
 *   HISTORY_END   no event is left: the page holds the last ones;
 *   HISTORY_AGAIN the step's reading budget ran out: call again;
 * or -errno (-ENOMEM). An event longer than max_bytes fills a page alone. */
#define HISTORY_STEP (1024 * 1024)
enum { HISTORY_END = 0, HISTORY_FULL = 1, HISTORY_AGAIN = 2 };
int history_cursor_step(struct history_cursor *c, struct cJSON *page, size_t *page_bytes, size_t max_bytes);
void history_cursor_free(struct history_cursor *c);
/* All of a query at once, {"events": [...]} (tests, small histories). */
struct cJSON *history_query(struct history *h, int64_t since, size_t limit);
void history_close(struct history *h);

#endif
