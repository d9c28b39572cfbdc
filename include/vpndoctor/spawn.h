/* The one runner of helper programs, for the daemon's probes (nft) and the
 * CLI's report (ip, resolvectl, journalctl, tar's sibling commands): a
 * child with stdin and stderr on /dev/null, its stdout through a pipe into
 * a bounded buffer, the C locale. Its two faces: vd_child_* for a caller's
 * event loop (probes/spawn.c watches the pipe and reaps by polling), and
 * vd_run(), which blocks until the child is done or its time is up. I/O:
 * starts processes; never logs. */
#ifndef VPNDOCTOR_SPAWN_H
#define VPNDOCTOR_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* path is looked up in PATH, and the caller's environment is kept but for
 * its locale (LC_*, LANG, LANGUAGE); without it path is run as given with
 * LC_ALL=C and a fixed PATH alone (a daemon's helper, whatever its
 * environment). LC_ALL=C in both cases. */
#define VD_SPAWN_CALLER_ENV 1u

struct vd_child {
	pid_t pid;        /* 0 once reaped */
	int fd;           /* its stdout: non-blocking, close-on-exec; -1 when closed */
	char *buf;        /* what it wrote, NUL-terminated at len */
	size_t len, cap, max;
};

/* 0, or -errno (-ENOENT: no such program): nothing started then. */
int vd_child_start(struct vd_child *c, const char *path, char *const argv[], unsigned flags, size_t max_out);
/* Reads what the pipe holds: 1 more may come, 0 the end of its output,
 * -EFBIG more than max_out, -ENOMEM, -errno. */
int vd_child_read(struct vd_child *c);
/* Reaps it (wait: blocking): 1 and *status (the exit code 0..255, 128 +
 * the signal that killed it), 0 it still runs, -errno. */
int vd_child_reap(struct vd_child *c, bool wait, int *status);
/* SIGKILL to it and its process group (what it started), and reap: it ends
 * at once, so the wait is brief. */
void vd_child_kill(struct vd_child *c);
/* Kills it if it still runs, closes the pipe and frees the buffer. */
void vd_child_free(struct vd_child *c);

/* Runs path with argv (flags as above) for at most timeout_ms: 0 with its
 * output in *out (NUL-terminated, len bytes, the caller's to free) and its
 * exit status in *status, or -errno: -ENOENT (not installed), -ETIMEDOUT,
 * -EFBIG (more than max_out), -ENOMEM. */
int vd_run(const char *path, char *const argv[], unsigned flags, size_t max_out, unsigned timeout_ms, char **out,
           size_t *len, int *status);

#endif
