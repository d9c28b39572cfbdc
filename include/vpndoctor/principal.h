/* Whose rights a file is read with, and the one way to open what another
 * user's process names (vpndoctord(8), PRIVILEGES).
 *
 * The principal of a process is its real uid, gid and supplementary groups
 * (/proc/PID/status), read with its start time so that a reused pid is never
 * taken for it; only its cgroup raises it: a process in the unit of a
 * root-owned OpenVPN service (openvpn-client@, openvpn@, openvpn-server@,
 * NetworkManager) was started by root, and its principal is root. A file is
 * opened O_RDONLY|O_NONBLOCK|O_NOCTTY|O_CLOEXEC (a FIFO never blocks), must be
 * a regular file within a size bound, is opened with the principal's file
 * system identity when the caller is root, and is checked again on the
 * descriptor: read permission by its mode bits, search permission on every
 * directory of its real path. POSIX ACLs are not consulted, so the check can
 * refuse a file an ACL grants, never the reverse. A unix socket is connected
 * by a process with all of the principal's ids (the peer sees who it is).
 * The parsers are pure; the functions marked I/O read /proc and the file
 * system; none logs. */
#ifndef VPNDOCTOR_PRINCIPAL_H
#define VPNDOCTOR_PRINCIPAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* A process with more supplementary groups has no principal (-E2BIG): a
 * shorter list could grant what a group's own bits deny. */
#define VD_PRINCIPAL_GROUPS_MAX 256

enum vd_principal_kind {
	VD_PRINCIPAL_USER = 0, /* a process's real ids (uid 0 included) */
	VD_PRINCIPAL_UNIT,     /* root: its cgroup is a root-owned OpenVPN unit */
	VD_PRINCIPAL_ADMIN,    /* root: named by the administrator (vpndoctor.conf) */
	VD_PRINCIPAL_NM,       /* root: a NetworkManager connection kept to no user, whose
	                        * files NetworkManager hands to openvpn as root */
};

struct vd_principal {
	enum vd_principal_kind kind;
	uid_t uid;
	gid_t gid;
	gid_t groups[VD_PRINCIPAL_GROUPS_MAX];
	size_t n_groups;
	char unit[128]; /* kind UNIT: the unit ("openvpn-client@office.service") */
};

/* A process as it was inspected: the pid and its start time (field 22 of
 * /proc/PID/stat); pid 0 stands for the administrator, or, with nm_uuid
 * set, for a NetworkManager connection no process runs (whose principal the
 * privileged parent asks NetworkManager itself: vd_nm_principal). */
#define VD_NM_UUID_MAX 40
struct vd_proc_id {
	pid_t pid;
	uint64_t start;
	char nm_uuid[VD_NM_UUID_MAX]; /* with pid 0: the connection's uuid; "" otherwise */
};

/* ---- pure ----------------------------------------------------------------- */

/* The real Uid, Gid and the Groups of a /proc/PID/status text (kind USER).
 * 0, -EINVAL (a line missing or malformed), -E2BIG (too many groups). */
int vd_principal_parse_status(const char *text, size_t len, struct vd_principal *ret);
/* Whether the cgroup v2 line ("0::/...") of a /proc/PID/cgroup text is the
 * unit of a root-owned OpenVPN service: /system.slice/UNIT or
 * /system.slice/system-NAME.slice/UNIT, UNIT one of openvpn-client@I.service,
 * openvpn@I.service, openvpn-server@I.service, NetworkManager.service. A
 * user's delegated subtree, a deeper cgroup or a cgroup v1 line never is.
 * When it is and unit is not NULL, the unit's name goes there (cut to size). */
bool vd_cgroup_root_unit(const char *text, size_t len, char *unit, size_t unit_size);
/* Field 22 (starttime) of a /proc/PID/stat text. 0 or -EINVAL. */
int vd_proc_stat_starttime(const char *text, size_t len, uint64_t *ret);
/* Root by kind or uid. */
bool vd_principal_is_root(const struct vd_principal *p);
/* The principal for what the administrator named (kind ADMIN, uid 0). */
void vd_principal_admin(struct vd_principal *ret);
/* Whether s is a uuid as NetworkManager writes one (hex digits and '-', at
 * most VD_NM_UUID_MAX - 1 bytes, not empty). */
bool vd_nm_uuid_valid(const char *s);
/* Whose rights a NetworkManager connection's file is opened with
 * (vpndoctord(8), PRIVILEGES), from what NetworkManager says of it: perms,
 * its connection.permissions entries ("user:NAME:" and others), and files,
 * the paths its vpn.data names (the first word of ca, cert, key, pkcs12,
 * tls-auth, tls-crypt, tls-crypt-v2, secret of vd_nm_openvpn_profile's text).
 * path must be one of files, or (dir true: a directory to watch or list) the
 * directory of one; else -EPERM. Then: exactly one user named: 1 and that
 * name in user (the caller looks the user up); none: 0 (root, kind NM: the
 * plugin hands the files to openvpn as root); several users, or a name that
 * does not fit: -EACCES (no one principal). */
int vd_nm_principal(const char *const *perms, size_t n_perms, const char *const *files, size_t n_files,
                    const char *path, bool dir, char *user, size_t user_size);

/* Whether p may do want (an OR of R_OK, W_OK, X_OK) on a file of this owner,
 * group and mode, by the mode bits as the kernel reads them: the owner's bits
 * for the owner, else the group's for a member of the file's group (even when
 * they grant less than the others'), else the others'. Root always may. */
bool vd_principal_may(const struct vd_principal *p, uid_t owner, gid_t group, mode_t mode, int want);

/* ---- I/O ------------------------------------------------------------------ */

/* The principal of pid, by its /proc directory; start must match unless 0,
 * and the start time read goes to *ret_start (may be NULL). 0, -ESRCH (gone,
 * or another process now has the pid), -EINVAL, -E2BIG, -errno. */
int vd_principal_of_pid(pid_t pid, uint64_t start, struct vd_principal *ret, uint64_t *ret_start);
/* The same through an open /proc/PID directory (O_PATH is enough): every
 * file read through it belongs to that one process, whatever reuses the pid. */
int vd_principal_of_procfd(int procfd, uint64_t start, struct vd_principal *ret, uint64_t *ret_start);
/* pid as it runs now: with its start time. 0, -ESRCH (gone), -EINVAL. */
int vd_proc_id_of(pid_t pid, struct vd_proc_id *ret);
/* The path the kernel resolved for fd (/proc/self/fd/FD): a file's real path.
 * 0, -ENOENT (not a path: a socket, a pipe), -ENAMETOOLONG, -errno. */
int vd_fd_path(int fd, char *buf, size_t size);

/* The caller's file system identity as p's, for the opens in between:
 * setgroups, setfsgid, setfsuid (each checked) when the caller is root and p
 * is a user other than root; nothing otherwise. vd_identity_leave puts the
 * caller's back (and aborts if it cannot: the process would go on as p). */
struct vd_identity {
	bool active;
	uid_t fsuid;
	gid_t fsgid;
	gid_t groups[VD_PRINCIPAL_GROUPS_MAX];
	int n_groups;
};
int vd_identity_enter(const struct vd_principal *p, struct vd_identity *saved);
void vd_identity_leave(struct vd_identity *saved);

/* The second check, on an open descriptor: a regular file of at most max
 * bytes that p may read by its mode bits, whose real path (/proc/self/fd)
 * has directories p may search. NULL p checks only type and size.
 * 0, -EINVAL (not a regular file), -EISDIR, -EFBIG, -EACCES, -ENOENT
 * (deleted), -errno. */
int vd_check_fd(const struct vd_principal *p, int fd, size_t max);
/* Opens path (relative ones under dirfd, which may be AT_FDCWD) as described
 * at the top, as p (NULL: as the caller, type and size checked only); the
 * descriptor is left blocking, O_CLOEXEC. 0 and *ret_fd, or -errno as above. */
int vd_open_as(const struct vd_principal *p, int dirfd, const char *path, size_t max, int *ret_fd);
/* Reads fd to its end, at most max bytes (-EFBIG beyond): 0 and a malloc'ed,
 * NUL-terminated buffer. */
int vd_read_fd(int fd, size_t max, char **ret, size_t *ret_len);
/* vd_open_as + vd_read_fd. */
int vd_read_file_as(const struct vd_principal *p, const char *path, size_t max, char **ret, size_t *ret_len);
/* What the caller says of the socket file a path led to (vd_connect_unix_as:
 * pfd, its O_PATH descriptor, and its stat), before anything connects to it:
 * 0, or the -errno to fail with. */
typedef int vd_socket_allow_fn(int pfd, const struct stat *st, void *arg);
/* A SOCK_STREAM connection to the unix socket at the absolute path, made as p
 * (NULL: as the caller); non-blocking, close-on-exec. The path is walked
 * once, as p, and that socket (its O_PATH descriptor) is what is connected;
 * p is checked by its mode bits (write) and its directories' (search), then
 * by allow (may be NULL) on that same inode. As
 * root, for a user other than root, a child process with all of p's ids
 * connects (I/O: fork), so that the peer's SO_PEERCRED and SO_PEERGROUPS
 * name p, never root. 0 and *ret_fd, -EAGAIN (its backlog is full),
 * -EACCES, -ECONNREFUSED, -ENOTSOCK, -errno. */
int vd_connect_unix_as(const struct vd_principal *p, const char *path, vd_socket_allow_fn *allow, void *arg,
                       int *ret_fd);

/* Who p is, for messages: "alice (uid 1000)" (the name when the user
 * database knows it: I/O), "root (unit openvpn-client@x.service)",
 * "root (the administrator)". Returns buf. */
const char *vd_principal_describe(const struct vd_principal *p, char *buf, size_t size);
/* The same for whoever reads as who (vd_principal_of_pid; NULL or pid 0: the
 * administrator), "the user of process PID" when it is gone. Returns buf. */
const char *vd_proc_describe(const struct vd_proc_id *who, char *buf, size_t size);

#endif
