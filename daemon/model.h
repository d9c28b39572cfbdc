/* The model behind daemon.h: tunnels from the configuration, each probe's
 * latest section, the findings the rules make of them (grace, suppression,
 * open/update/resolve) and health. main.c drives it; tests feed it results. */
#ifndef VPNDOCTORD_MODEL_H
#define VPNDOCTORD_MODEL_H

#include <stdint.h>

#include "daemon.h"
#include "probes/probe.h"

struct config;
struct history;
struct scheduler;

/* Takes ownership of cfg (freed on failure too); hist may be NULL (no
 * history kept) and stays the caller's. */
int daemon_new(struct event_base *base, struct config *cfg, struct history *hist, struct vd_daemon **ret);
/* Cancels probes and checks (no callbacks), ends subscriptions, frees all. */
void daemon_free(struct vd_daemon *d);
/* Creates the scheduler: probes start running on the loop; with no [Tunnel]
 * (or Discover=yes) discovery starts: one tunnel per OpenVPN client found. */
int daemon_start_probes(struct vd_daemon *d);
/* The same over another probe table, and a shorter Check deadline (tests). */
int daemon_start_probes_with(struct vd_daemon *d, const struct probe *const *probes, size_t n);
void daemon_set_check_deadline(struct vd_daemon *d, unsigned ms);
/* SIGHUP: takes ownership of cfg (freed on failure) and swaps it in; findings, history and the
 * sections of tunnels that remain are kept; probes are rescheduled. */
int daemon_reload(struct vd_daemon *d, struct config *cfg);
const struct config *daemon_config(const struct vd_daemon *d);
struct scheduler *daemon_scheduler(struct vd_daemon *d);

/* Called with the new line whenever daemon_health_line() changes. */
typedef void (*daemon_health_fn)(void *userdata, const char *line);
void daemon_set_health_cb(struct vd_daemon *d, daemon_health_fn cb, void *userdata);
/* Called after every evaluation of the rules (the metrics file follows it). */
typedef void (*daemon_evaluated_fn)(void *userdata);
void daemon_set_evaluated_cb(struct vd_daemon *d, daemon_evaluated_fn cb, void *userdata);
/* Called with every probe result before the rules see it (the timeline
 * follows the measurements through it); section is borrowed. */
typedef void (*daemon_result_fn)(void *userdata, const struct probe *p, const char *tunnel,
                                 enum probe_status st, const struct cJSON *section);
void daemon_set_result_cb(struct vd_daemon *d, daemon_result_fn cb, void *userdata);
/* More followers of the probe results, called after that one (the gateway
 * memory, the laptop's life); at most 4: -ENOSPC. */
int daemon_add_result_cb(struct vd_daemon *d, daemon_result_fn cb, void *userdata);
void daemon_remove_result_cb(struct vd_daemon *d, daemon_result_fn cb, void *userdata);
/* The settle window of tunnel (every tunnel when NULL): until the epoch
 * second until, a finding whose cause settles after any of kinds
 * (VD_SETTLE_*, vpndoctor/cause.h) does not open, and its grace period
 * starts when the window ends; what is open stays as the rules say. A window
 * that is still running is extended (never shortened), its kinds added to.
 * Re-runs the rules. */
void model_settle(struct vd_daemon *d, const char *tunnel, unsigned kinds, int64_t until);
/* The tunnel is back before its window ends: the window ends now (the grace
 * periods that waited for it start now). */
void model_settle_end(struct vd_daemon *d, const char *tunnel);
/* The end of tunnel's window, 0 when none runs; *kinds (may be NULL) its kinds. */
int64_t model_settling(struct vd_daemon *d, const char *tunnel, unsigned *kinds);
/* Replaces time(NULL) (tests). */
void daemon_set_clock(struct vd_daemon *d, int64_t (*now)(void));

/* A probe run ended (the scheduler's callback; tests call it directly).
 * section is handed over. Re-runs the rules. */
void model_probe_result(struct vd_daemon *d, const struct probe *p, const char *tunnel,
                        enum probe_status st, struct cJSON *section, const char *error,
                        int64_t started, uint64_t duration_ms);
/* The same with error also as a message (vpndoctor/message.h; borrowed), which
 * GetStatus gives beside it as the probe's error_message. */
void model_probe_result_msg(struct vd_daemon *d, const struct probe *p, const char *tunnel,
                            enum probe_status st, struct cJSON *section, const char *error,
                            const struct cJSON *error_message, int64_t started, uint64_t duration_ms);
/* Re-runs the rules on the current facts (the grace timer does this). */
void model_evaluate(struct vd_daemon *d);
/* The latest section of tunnel (the host's when NULL) by its name in the
 * facts, or NULL; borrowed until the next probe result. */
const struct cJSON *model_section(struct vd_daemon *d, const char *tunnel, const char *section);
/* The facts snapshot now (docs/facts.md); caller owns it. */
struct cJSON *model_facts(struct vd_daemon *d);
/* "healthy", "degraded", "broken", "unknown" */
const char *model_health(struct vd_daemon *d, const char *tunnel /* NULL: overall */);
/* Changes with everything daemon_status() shows except the age_s fields
 * (which follow model_now()): a cached status is good while both stay. */
uint64_t model_generation(const struct vd_daemon *d);
int64_t model_now(const struct vd_daemon *d);
/* What a central reader of the journal needs beside a finding of tunnel
 * (log.h): its gateway, OpenVPN version and profile's file name, from the
 * current facts; members NULL when unknown. The strings live until the next
 * probe result; ver is the buffer for the version. */
struct log_finding_ctx;
void model_finding_ctx(struct vd_daemon *d, const char *tunnel, struct log_finding_ctx *ctx, char *ver,
                       size_t ver_len);
/* Findings waiting out their grace period (not yet open). */
size_t model_pending(const struct vd_daemon *d);

#endif
