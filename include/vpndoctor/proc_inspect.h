/* The one inspector of running OpenVPN processes in /proc, for discovery and
 * the openvpn and conflicts probes. What /proc does not show its caller (the
 * files another user's process names, its working directory, its network
 * namespace) it reaches through struct vd_proc_io: the caller's way of
 * looking as that process's principal (vpndoctord's privileged parent, see
 * vpndoctor/principal.h). I/O: reads /proc; never logs. */
#ifndef VPNDOCTOR_PROC_INSPECT_H
#define VPNDOCTOR_PROC_INSPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "vpndoctor/principal.h"

/* Each returns 0 or -errno, -ESRCH when the process is gone (or its pid is
 * another's now). A member may be NULL: what it would open is then not
 * looked at. */
struct vd_proc_io {
	/* whether who's /proc/PID/ns/net is the caller's network namespace: 1
	 * or 0 (an answer: a descriptor of another process's namespace is more
	 * than a look needs) */
	int (*same_netns)(const struct vd_proc_id *who);
	/* who's working directory, as a path */
	int (*cwd)(const struct vd_proc_id *who, char *buf, size_t size);
	/* a regular file of at most max bytes that who names, opened as who's principal */
	int (*open)(const struct vd_proc_id *who, const char *path, size_t max, int *ret_fd);
};

/* Whether who lives in the caller's network namespace (/proc/PID/ns/net
 * against /proc/self/ns/net; through io->same_netns when the link is another
 * user's, the answer kept for 30 s). A process that is gone does not; when it
 * cannot be told (no io->same_netns, no permission, who->start 0) it does: the
 * process is counted, as before namespaces were looked at. */
bool vd_proc_same_netns(const struct vd_proc_id *who, const struct vd_proc_io *io);

#endif
