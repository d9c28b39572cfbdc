/* The daemon's model as the control socket sees it: status, history, on-demand
 * checks and subscriptions. model.c implements it; control.c (Varlink) calls it.
 * Everything runs on the one event_base; no call blocks. */
#ifndef VPNDOCTORD_DAEMON_H
#define VPNDOCTORD_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cJSON;
struct event_base;
struct vd_daemon;

/* GetStatus parameters:
 * {"health": "healthy|degraded|broken|unknown",
 *  "tunnels": [{"name", "health", "config", "state"}],
 *  "findings": [finding + {"since": EPOCH, "last_seen": EPOCH}],
 *  "probes": [{"name", "tunnel", "status": "ok|fail|unknown|running|never",
 *              "last_run": EPOCH, "age_s", "duration_ms", "error"}]}
 * Caller owns the result. */
struct cJSON *daemon_status(struct vd_daemon *d);
/* The same for tunnels [from, to) only: their entries, findings and probes;
 * the host's probes come with the last page (to >= the tunnel count).
 * GetStatus with "more" sends the status as such pages. */
struct cJSON *daemon_status_page(struct vd_daemon *d, size_t from, size_t to);

/* GetHistory parameters: {"events": [{"time", "event": "opened|resolved",
 * "tunnel", "cause", "severity", "summary"}]}, oldest first; since < 0 and
 * limit == 0 mean no bound (limit keeps the newest). */
struct cJSON *daemon_history(struct vd_daemon *d, int64_t since, size_t limit);
/* The same query as a cursor to page through (history.h); *ret is NULL when
 * the daemon keeps no history. 0 or -errno. */
struct history_cursor;
int daemon_history_cursor(struct vd_daemon *d, int64_t since, size_t limit, struct history_cursor **ret);

/* Paging (GetFacts, GetStatus with "more"): the tunnels by index, in the
 * order GetStatus lists them. tunnels_gen changes whenever the list does
 * (a reload, discovery), so a pager can tell its indexes went stale. */
size_t daemon_n_tunnels(const struct vd_daemon *d);
uint64_t daemon_tunnels_gen(const struct vd_daemon *d);
ssize_t daemon_tunnel_index(const struct vd_daemon *d, const char *name); /* -1: none */
const char *daemon_tunnel_name(const struct vd_daemon *d, size_t i);       /* NULL: none */
/* GetFacts in parts: {"now", "host"}, and one element of "tunnels". */
struct cJSON *daemon_facts_head(struct vd_daemon *d);
struct cJSON *daemon_facts_tunnel(struct vd_daemon *d, size_t i);

/* Check: run the named probes (all when n == 0) now, on every tunnel. progress
 * is called as each probe run ends (may be NULL), done once when all have
 * ended; the caller then reads daemon_status(). Returns NULL with *err =
 * -ENOENT (unknown probe name; *bad_name set) or -ENOMEM. */
#define DAEMON_CHECK_DEADLINE_S 30 /* done() comes by then; probes still running show "running" */
struct daemon_check;
typedef void (*daemon_progress_fn)(void *userdata, const char *probe, const char *tunnel, const char *status);
typedef void (*daemon_done_fn)(void *userdata);
struct daemon_check *daemon_check_start(struct vd_daemon *d, const char *const *probes, size_t n,
                                        daemon_progress_fn progress, daemon_done_fn done,
                                        void *userdata, int *err, const char **bad_name);
/* The client went away: no callback will be made after this. After done()
 * has been called the check is freed by the daemon: do not cancel it then. */
void daemon_check_cancel(struct daemon_check *c);

/* Subscribe: cb gets {"event": "opened|updated|resolved", "time": EPOCH,
 * "finding": {...}} for every change, until daemon_unsubscribe(). Every
 * subscriber gets the same event with the same serial (one per event, never
 * reused), so a caller can encode it once for all of them. */
struct daemon_sub;
typedef void (*daemon_event_fn)(void *userdata, const struct cJSON *event, uint64_t serial);
struct daemon_sub *daemon_subscribe(struct vd_daemon *d, daemon_event_fn cb, void *userdata);
void daemon_unsubscribe(struct daemon_sub *s);

/* The timeline (timeline.h) the control socket serves, when one is kept. */
struct timeline;
void daemon_set_timeline(struct vd_daemon *d, struct timeline *tl);
struct timeline *daemon_timeline(struct vd_daemon *d);

/* Health of the daemon for STATUS= lines ("degraded: 1 warning on office"). */
const char *daemon_health_line(struct vd_daemon *d);

#endif
