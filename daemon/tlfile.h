/* A tunnel's timeline file in the state directory: a fixed-size ring of
 * fixed-size records (vpndoctor/timeline.h), each with its CRC and sequence
 * number, written one record per pwrite(2) and never rewritten whole. A
 * kill -9 loses nothing written; a torn write (a power cut, a full disk)
 * loses the record being written, whose slot then fails its CRC, and nothing
 * else. The records' times never go back in write order: a clock set back
 * drops the records stamped after the new time before the next one lands. */
#ifndef VPNDOCTORD_TLFILE_H
#define VPNDOCTORD_TLFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vpndoctor/timeline.h"

struct cJSON;
struct tlfile;

/* What opening found and mended (for one log line). */
struct tlfile_open_info {
	bool created;          /* there was no file */
	bool header_rewritten; /* not a valid header for this tunnel: a new one, records kept */
	bool resized;          /* another size than the ring's: cut or grown to it */
	uint64_t records;      /* valid records in it */
	uint64_t bad_slots;    /* slots whose record failed its check (torn, foreign) */
};

/* Opens (creating) DIRFD/timeline.NAME for appending, as the history is
 * opened: no symlink followed, O_NONBLOCK so a FIFO or device planted there
 * cannot stall the loop, a regular file with one link only. Reads the ring
 * once to find where it ends. 0 or -errno (-EINVAL: not a regular file or a
 * bad tunnel name; -EMLINK: more than one link). info may be NULL. */
int tlfile_open(int dirfd, const char *tunnel, int64_t now, struct tlfile **ret, struct tlfile_open_info *info);
/* Writes r as the next record (r->seq is set). A time before the last
 * record's first drops the records after it (*dropped counts them; may be
 * NULL). 0 or -errno; on error nothing was added. */
int tlfile_append(struct tlfile *f, struct vd_tl_rec *r, uint64_t *dropped);
uint64_t tlfile_last_seq(const struct tlfile *f); /* 0: none yet */
int64_t tlfile_last_time(const struct tlfile *f); /* INT64_MIN: none yet */
void tlfile_close(struct tlfile *f);

/* Reading, in steps so that one loop turn reads a bounded amount: the
 * records of one file in the order written (so in time order), as they were
 * when the iterator was opened. */
struct tlfile_iter;
int tlfile_iter_open(int dirfd, const char *tunnel, struct tlfile_iter **ret);
/* 1 and *r: the next record; 0: no more; -EAGAIN: *budget bytes were read
 * (call again with a fresh budget); -errno. A record whose slot fails its
 * check is skipped (and counted). */
int tlfile_iter_next(struct tlfile_iter *it, struct vd_tl_rec *r, size_t *budget);
uint64_t tlfile_iter_bad(const struct tlfile_iter *it);
void tlfile_iter_free(struct tlfile_iter *it);

/* GetTimeline's samples of one tunnel: records with since <= time < until,
 * merged into buckets of resolution seconds (a multiple of 60, aligned to
 * the epoch), as JSON samples appended to a page; the protocol of
 * history_cursor_step: TLFILE_FULL (a sample is held for the next page),
 * TLFILE_END, TLFILE_AGAIN (the step's reading budget ran out), or -errno. */
#define TLFILE_STEP (512 * 1024)
enum { TLFILE_END = 0, TLFILE_FULL = 1, TLFILE_AGAIN = 2 };
struct tlfile_cursor;
int tlfile_cursor_open(int dirfd, const char *tunnel, int64_t since, int64_t until, uint32_t resolution,
                       struct tlfile_cursor **ret);
int tlfile_cursor_step(struct tlfile_cursor *c, struct cJSON *page, size_t *page_bytes, size_t max_bytes);
void tlfile_cursor_free(struct tlfile_cursor *c);

#endif
