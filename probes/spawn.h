/* A helper program run from a probe without blocking the loop: posix_spawn,
 * its stdout through a pipe on the loop, a deadline, the child reaped by polling. */
#ifndef VPNDOCTOR_PROBES_SPAWN_H
#define VPNDOCTOR_PROBES_SPAWN_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct spawn_job;

/* status: the exit code (0..255), 128 + signal when killed by one, or
 * -ETIMEDOUT / -EFBIG (more output than max_out; the child is killed). out
 * (NUL-terminated, len bytes) is borrowed until the callback returns. The
 * job is freed after the callback. */
typedef void (*spawn_done_fn)(void *arg, int status, const char *out, size_t len);

/* Runs path with argv and a fixed environment (LC_ALL=C), stdin and stderr
 * on /dev/null. Returns 0, or -errno (not started: no callback). */
int spawn_start(struct event_base *base, const char *path, char *const argv[], size_t max_out,
                unsigned timeout_ms, spawn_done_fn done, void *arg, struct spawn_job **ret);
/* Kills and reaps the child; no callback. NULL is fine. */
void spawn_cancel(struct spawn_job *j);

#endif
