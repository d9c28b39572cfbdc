/* The timeline: per tunnel and per minute, what the probes measured (round
 * trips, loss both ways, jitter, handshake time, clock offset, throughput)
 * and the tunnel's state and health, kept for seven days in one ring file per
 * tunnel beside the history (tlfile.h). The figures come from the sections
 * the probes publish, as the model receives them; nothing here probes. Also
 * the recording on demand (Record): the same figures per second while the
 * probes that sample run back to back (recording.h). */
#ifndef VPNDOCTORD_TIMELINE_H
#define VPNDOCTORD_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;
struct event_base;
struct vd_daemon;
struct vd_tl_acc;
struct timeline;

/* At most this many timeline files in the state directory (one per tunnel):
 * 32 x 1.3 MB. A tunnel past it has no timeline, said once in the log. */
#define TIMELINE_MAX_FILES 32

/* Starts keeping the timeline of d's tunnels in the directory dirfd (which
 * it duplicates): the state directory, opened after the history, whose lock
 * makes this daemon its only writer. Follows d's probe results (it takes
 * d's result callback) and writes a record per tunnel each minute. Files of
 * tunnels gone for longer than the kept window are removed. 0 or -errno. */
int timeline_new(struct event_base *base, struct vd_daemon *d, int dirfd, struct timeline **ret);
/* Writes what the current minute has so far (shutdown, suspend): the next
 * record of the same minute is merged with it when read. */
void timeline_flush(struct timeline *tl);
/* Ends a recording (its client gets no more replies), flushes, frees. */
void timeline_free(struct timeline *tl);

/* The figures a probe section gives (section: its name in the facts, the
 * host's "clock" included), added to a minute's or a second's record. */
void timeline_feed(struct vd_tl_acc *a, const char *section, const struct cJSON *sec);

/* GetTimeline: the samples of one tunnel (or of every tunnel with a
 * timeline, by name), since <= time < until, in buckets of resolution s.
 * -ENOENT: a tunnel neither configured nor with a file. The steps follow
 * tlfile_cursor_step (TLFILE_END, TLFILE_FULL, TLFILE_AGAIN, -errno). */
struct timeline_query;
int timeline_query_open(struct timeline *tl, const char *tunnel, int64_t since, int64_t until, uint32_t resolution,
                        struct timeline_query **ret);
int timeline_query_step(struct timeline_query *q, struct cJSON *page, size_t *page_bytes, size_t max_bytes);
void timeline_query_free(struct timeline_query *q);

/* The running recording (recording.h), or NULL; timeline.c hands it the
 * probe results, recording.c sets it. */
struct recording;
struct recording *timeline_recording(struct timeline *tl);
void timeline_set_recording(struct timeline *tl, struct recording *r);
struct vd_daemon *timeline_daemon(struct timeline *tl);
struct event_base *timeline_base(struct timeline *tl);

#endif
