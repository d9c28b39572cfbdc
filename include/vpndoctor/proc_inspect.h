/* The one inspector of running OpenVPN processes in /proc, for discovery and
 * the openvpn and conflicts probes. What /proc does not show its caller (the
 * files another user's process names, its working directory, its network
 * namespace) it reaches through struct vd_proc_io: the caller's way of
 * looking as that process's principal (vpndoctord's privileged parent, see
 * vpndoctor/principal.h). I/O: reads /proc; never logs. */
#ifndef VPNDOCTOR_PROC_INSPECT_H
#define VPNDOCTOR_PROC_INSPECT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "vpndoctor/principal.h"
#include "vpndoctor/proc_openvpn.h"

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

/* A small file of /proc (path), NUL-terminated: at most size - 1 bytes, the
 * count in *len (may be NULL). 0 or -errno. */
int vd_proc_read_small(const char *path, char *buf, size_t size, size_t *len);

/* Whether pid's /proc/PID/comm says "openvpn" (a cheap first look). */
bool vd_proc_openvpn_named(pid_t pid);

/* One openvpn process as OpenVPN reads its options. */
struct vd_proc_openvpn_info {
	struct vd_proc_id who;       /* its pid and start time */
	bool root;                   /* its principal is root (a root unit's, or root's own) */
	uid_t uid;                   /* its principal's uid; 0 when root */
	struct vd_proc_openvpn opts; /* its command line, then what its --config adds */
	char cwd[PATH_MAX];          /* its working directory; "" when unknown */
	char config[PATH_MAX];       /* its --config: the real path of the file opened as its
	                              * principal, else as written (joined to cwd) when its
	                              * user may not open it; "" without one, or relative
	                              * with cwd unknown */
	char *cmdline;               /* its command line as read: NUL-separated words */
	size_t cmdline_len;
};

/* Reads who (pid and start time; start 0 takes the one running now): comm
 * "openvpn", its principal, its command line (/proc), and through io as its
 * principal its working directory and its --config (at most max_config
 * bytes), never as the caller's and never by running anything. 0, -ENOENT
 * (not an openvpn, or gone, or its command line is not OpenVPN's), -ESRCH
 * (its pid is another's now, or it went while read), -ENOMEM. *ret is cleared with
 * vd_proc_openvpn_info_clear() after 0 only. */
int vd_proc_openvpn_inspect(const struct vd_proc_id *who, const struct vd_proc_io *io, size_t max_config,
                            struct vd_proc_openvpn_info *ret);
void vd_proc_openvpn_info_clear(struct vd_proc_openvpn_info *info);

#endif
