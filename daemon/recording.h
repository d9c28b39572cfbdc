/* Record: a recording on demand. While it runs (one at a time, at most
 * RECORDING_MAX_S seconds), the probes that sample (ping, path, reflector,
 * throughput; transport every 10 s) run back to back on the tunnels it
 * covers, and their figures are kept per second, as the timeline keeps them
 * per minute, for the client that asked (vpndoctor report --record). */
#ifndef VPNDOCTORD_RECORDING_H
#define VPNDOCTORD_RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;
struct probe;
struct timeline;
struct recording;

#define RECORDING_MAX_S 600
/* Per-second samples kept at most (about 1.5 MB): 10 minutes of 27 tunnels. */
#define RECORDING_MAX_SAMPLES 16384

typedef void (*recording_progress_fn)(void *userdata, unsigned elapsed_s, unsigned duration_s, size_t samples);
typedef void (*recording_done_fn)(void *userdata);

/* Starts one: progress() once a second, done() once when it ends (the time
 * is up, recording_stop(), or its tunnel went away), from the loop, never
 * inside this call. -EBUSY (one runs; *busy_since says since when),
 * -ENOENT (no such tunnel), -EINVAL (duration not 1..RECORDING_MAX_S),
 * -ENOMEM. */
int recording_start(struct timeline *tl, const char *tunnel, unsigned duration_s, recording_progress_fn progress,
                    recording_done_fn done, void *userdata, struct recording **ret, int64_t *busy_since);
/* Ends it early; done() follows from the loop. Nothing after done(). */
void recording_stop(struct recording *r);
/* The client's end of it: no callback after this; frees it. */
void recording_free(struct recording *r);
/* After done(): a page of the reply, the samples (by tunnel, then time) that
 * fit in page and the recording's figures (started, ended, duration_s,
 * tunnel, stopped_early, truncated, samples_lost) in head: TLFILE_FULL (more
 * pages follow), TLFILE_END, or -ENOMEM. */
int recording_result_step(struct recording *r, struct cJSON *head, struct cJSON *page, size_t *page_bytes,
                          size_t max_bytes);

/* From timeline.c, when it goes before the recording's client: it stops,
 * no callback comes, and the client's recording_free() is still due. */
void recording_detach(struct recording *r);
/* From timeline.c: a probe result on tunnel (NULL: host-wide). */
void recording_result(struct recording *r, const struct probe *p, const char *tunnel, const struct cJSON *sec);

#endif
