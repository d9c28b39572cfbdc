/* Privilege separation, in OpenNTPD's style, and the one way the engine
 * opens what another process names. Started as root, vpndoctord forks: a
 * small parent keeps uid 0 with CAP_SETUID, CAP_SETGID and
 * CAP_DAC_READ_SEARCH (and CAP_SYS_PTRACE, raised only to open /proc links of
 * a process whose principal is root) and runs nothing but priv_parent's loop;
 * the engine (everything else) drops to its user with CAP_NET_RAW and
 * CAP_NET_ADMIN. For each request the parent re-derives the principal of the
 * process from /proc (vpndoctor/principal.h) and opens as that principal.
 * Without a parent (a daemon started by a user, or --user root) the same
 * requests run in the process itself. */
#ifndef VPNDOCTORD_PRIV_H
#define VPNDOCTORD_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vpndoctor/principal.h"

/* Files read on someone's behalf are at most this large (a binary's bytes,
 * scanned for its version, included). */
#define PRIV_FILE_MAX (64 * 1024 * 1024)

enum priv_proc {
	PRIV_PROC_CWD = 1, /* /proc/PID/cwd: by priv_cwd, as a name only */
	PRIV_PROC_EXE,     /* /proc/PID/exe opened for reading: the binary's bytes */
	PRIV_PROC_NETNS,   /* /proc/PID/ns/net: by priv_same_netns, as an answer only */
	PRIV_PROC_TUN,     /* /proc/PID/fdinfo/N of its first /dev/net/tun descriptor */
};

/* Each takes who: the process the path comes from (pid and start time), or
 * NULL / pid 0 for what the administrator named (vpndoctor.conf: read as
 * root, or as the daemon itself when it is not root). Paths are absolute.
 * They return 0 or -errno; -ESRCH: the process is gone (or its pid is now
 * another's), -EPERM: it is not an openvpn. */

/* A regular file of at most max bytes (SIZE_MAX: any, for a log that is
 * only followed), opened as who's principal and checked (vd_open_as);
 * blocking, close-on-exec. */
int priv_open(const struct vd_proc_id *who, const char *path, size_t max, int *ret_fd);
/* priv_open + vd_read_fd. */
int priv_read(const struct vd_proc_id *who, const char *path, size_t max, char **ret, size_t *ret_len);
/* A unix stream socket connected as who's principal; non-blocking. */
int priv_connect(const struct vd_proc_id *who, const char *path, int *ret_fd);
/* One of the process's /proc links, opened as its principal (never for pid
 * 0): its binary's bytes; its tun's fdinfo (a fact of the process rather
 * than a file it names, looked at as root). */
int priv_proc(const struct vd_proc_id *who, enum priv_proc which, int *ret_fd);
/* Whether the process's network namespace is this one's: 1, 0 or -errno,
 * looked at as root, of any process (the conflicts probe asks of other VPN
 * clients). Never a descriptor of the namespace: with one, CAP_NET_ADMIN
 * could make or move links in it. */
int priv_same_netns(const struct vd_proc_id *who);
/* A directory to list (O_RDONLY|O_DIRECTORY: fdopendir it), opened as who's
 * principal. */
int priv_opendir(const struct vd_proc_id *who, const char *path, int *ret_fd);
/* A watch on path added, as who's principal, to the engine's own inotify
 * instance (inotify_add_watch checks read permission when it adds the
 * watch; events then come to the engine); mask: IN_* events, IN_ONLYDIR,
 * IN_MASK_ADD.
 * The watch descriptor, or -errno. */
int priv_watch(const struct vd_proc_id *who, int inotify_fd, const char *path, uint32_t mask);
/* The process's working directory as a path (PRIV_PROC_CWD, then the
 * descriptor's own name). */
int priv_cwd(const struct vd_proc_id *who, char *buf, size_t size);

/* ---- start-up (daemon/main.c) ------------------------------------------------ */

struct priv_user {
	char name[64];
	uid_t uid;
	gid_t gid;
	gid_t groups[2]; /* its own group, and systemd-journal when it exists */
	size_t n_groups;
};

/* The engine's user by name: 0, or -ENOENT with a message in err. */
int priv_user_lookup(const char *name, struct priv_user *ret, char *err, size_t err_size);
struct config;
/* What the administrator named in cfg (read from config_path), for the
 * parent: the configuration file and its drop-in directory, each Config='s
 * directory and what is below it, ReflectorKey= and Management= sockets.
 * An engine asking as the administrator gets these opened as root and
 * nothing else; what a reload names anew it opens with its own rights. Call
 * before priv_separate. */
void priv_admin_allow(const struct config *cfg, const char *config_path);
/* Makes dir (mode 0750) and hands it and the regular files in it to u. */
int priv_state_dir(const char *dir, const struct priv_user *u);
/* Forks. In the engine: drops to u with CAP_NET_RAW and CAP_NET_ADMIN
 * (ambient too, for nft) and returns 0. In the parent: closes the n
 * descriptors of engine_fds (the listening socket, the state directory: the
 * engine's), tells systemd (when it listens) that the engine is the main
 * process, drops what it does not need, serves the engine until it ends,
 * unlinks socket_path (when not NULL) and exits with the engine's status;
 * it never returns. -errno when the fork or a drop fails (before the fork,
 * or in the engine, which then must exit). */
int priv_separate(const struct priv_user *u, const char *socket_path, const int *engine_fds, size_t n);
/* Whether a parent serves this process. */
bool priv_separated(void);
/* In the engine: the descriptor that becomes readable when the parent has a
 * signal for it (it forwards SIGTERM, SIGINT and SIGHUP, which it may not
 * send itself without CAP_KILL) or is gone; -1 without a parent. */
int priv_parent_fd(void);
/* What is there: a signal number, 0 for nothing more, -1 when the parent is
 * gone (the engine stops then). */
int priv_parent_event(void);

#endif
