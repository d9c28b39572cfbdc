/* The control socket: Varlink (io.vpndoctor, org.varlink.service) over AF_UNIX,
 * with bounded resources per client and access checked with SO_PEERCRED. */
#ifndef VPNDOCTORD_CONTROL_H
#define VPNDOCTORD_CONTROL_H

#include <stddef.h>
#include <sys/types.h>

struct event_base;
struct vd_daemon;
struct control;

struct control_limits {
	size_t max_message;       /* bytes in one request (64 KiB) */
	size_t max_connections;   /* in all (256), the last control_root_slots() for root */
	size_t max_per_uid;       /* per peer uid but root's and the daemon's (32) */
	unsigned idle_timeout_s;  /* a connection with no complete request for this long is closed (60) */
	size_t max_output;        /* queued reply bytes before a slow reader is dropped (1 MiB) */
};
void control_limits_default(struct control_limits *l);
/* Of max_connections, those only root (and the daemon's uid) may take:
 * 8, or a quarter of a smaller limit. */
size_t control_root_slots(const struct control_limits *l);

/* listen_fd >= 0: a socket passed by systemd (already bound and listening);
 * otherwise bind path (0660, group `vpndoctor` when that group exists;
 * a stale socket file is replaced). Returns 0 or -errno. */
int control_start(struct vd_daemon *d, struct event_base *base, int listen_fd, const char *path,
                  const struct control_limits *lim, struct control **ret);
/* Binds and listens at path as control_start would (0660, group vpndoctor,
 * a stale socket replaced), for a caller that hands the socket on (the
 * privileged parent binds, the engine serves). 0 and *ret_fd, or -errno. */
int control_bind(const char *path, int *ret_fd);
/* Closes every connection; unlinks the socket file when it created it. */
void control_free(struct control *c);

#endif
