/* Prometheus metrics for node_exporter's textfile collector: after each
 * evaluation, at most every METRICS_MIN_INTERVAL_S, DIR/vpndoctor.prom is
 * rewritten atomically (write, fsync, rename) from the daemon's status and
 * facts. The text is made by a pure function, so tests and the bench drive it. */
#ifndef VPNDOCTORD_METRICS_H
#define VPNDOCTORD_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct cJSON;
struct event_base;
struct metrics;
struct vd_daemon;

#define METRICS_MIN_INTERVAL_S 15
#define METRICS_FILE "vpndoctor.prom"
/* Tunnels and ping targets beyond these are left out (and counted in
 * vpndoctor_metrics_series_omitted): a scrape's size stays bounded whatever
 * discovery finds. */
#define METRICS_MAX_TUNNELS 32
#define METRICS_MAX_TARGETS 16

/* The exposition text (format 0.0.4) of status (daemon_status()) and facts
 * (model_facts()). Returns 0 with *ret malloc'd and *len its length, or
 * -ENOMEM. */
int metrics_render(const struct cJSON *status, const struct cJSON *facts, char **ret, size_t *len);

/* Writes text to dir/vpndoctor.prom through a temporary file in dir that
 * node_exporter does not read (not *.prom): write, fsync, rename. 0 or
 * -errno. */
int metrics_write_file(const char *dir, const char *text, size_t len);

/* dir NULL: nothing is written until metrics_set_dir() gives one. */
int metrics_new(struct event_base *base, struct vd_daemon *d, const char *dir, struct metrics **ret);
void metrics_free(struct metrics *m);
/* A reload: another directory, or NULL (off; a file written before is
 * removed so that node_exporter does not serve stale values). */
int metrics_set_dir(struct metrics *m, const char *dir);
/* An evaluation happened: write now, or when METRICS_MIN_INTERVAL_S has
 * passed since the last write (one timer, the latest state). */
void metrics_changed(struct metrics *m);
/* Number of files written (tests, the bench). */
uint64_t metrics_writes(const struct metrics *m);

#endif
