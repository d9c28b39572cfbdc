/* The privileged parent, the engine's drop, and the requests between them
 * (daemon/priv.h). The parent has no event loop, no parser and no network:
 * one blocking loop over a SOCK_SEQPACKET socketpair and a signalfd. A
 * request is one fixed-size message (kind, pid, start time, size bound,
 * path); the reply is an errno and, on success, one descriptor by
 * SCM_RIGHTS. A message of another size or shape, or with descriptors in
 * it, is a broken engine: the parent ends it and exits. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/sysmacros.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include <cap-ng.h>
#include <systemd/sd-daemon.h>

#include "config.h"
#include "log.h"
#include "nmprincipal.h"
#include "priv.h"
#include "vpndoctor/common.h"

#define PRIV_MAGIC 0x76647031u /* "vdp1": the protocol's version is in it */
#define PRIV_TIMEOUT_MS 10000  /* a parent this slow is stuck (a hung NFS open) */
#define PRIV_FD_SCAN_MAX 65536 /* descriptors of one process looked at for its tun */

enum priv_kind { PRIV_OPEN = 1, PRIV_CONNECT, PRIV_PROC, PRIV_WATCH, PRIV_OPENDIR };

/* What a watch may ask for (inotify(7)): events, only-a-directory, and
 * adding to a watch of the directory that the instance already has. */
#define PRIV_WATCH_MASK (IN_ALL_EVENTS | IN_ONLYDIR | IN_MASK_ADD)

struct priv_req {
	uint32_t magic;
	uint32_t seq;
	uint32_t kind;  /* enum priv_kind */
	uint32_t which; /* enum priv_proc for PRIV_PROC, the mask for PRIV_WATCH, else 0 */
	int32_t pid;    /* 0: the administrator */
	uint32_t zero;
	uint64_t start; /* the process's start time; never 0 for a pid */
	uint64_t max;   /* PRIV_OPEN: the size bound */
	char path[PATH_MAX];
	char nm_uuid[VD_NM_UUID_MAX]; /* with pid 0: a NetworkManager connection's files */
};

struct priv_rep {
	uint32_t magic;
	uint32_t seq;
	int32_t err;   /* 0 (a descriptor comes with it, but for PRIV_WATCH and the
	                * working directory) or an errno */
	int32_t value; /* PRIV_WATCH: the watch descriptor; PRIV_PROC_NETNS: 1 when
	                * the process's network namespace is the parent's (and the
	                * engine's, which cannot change its own), else 0 */
	char path[PATH_MAX]; /* PRIV_PROC_CWD: the directory, NUL-terminated */
};

/* A working directory comes back as its name: a descriptor of it would let
 * the engine reach, below it, what that user's closed parents hide. A
 * network namespace comes back as an answer (the engine's or not): with its
 * descriptor, CAP_NET_ADMIN could make or move links in any process's
 * namespace, a container's or a sandboxed service's. */
static bool gives_fd(uint32_t kind, uint32_t which)
{
	return kind != PRIV_WATCH && !(kind == PRIV_PROC && (which == PRIV_PROC_CWD || which == PRIV_PROC_NETNS));
}

/* Whether fd is a descriptor of this process's own network namespace. */
static int netns_is_own(int fd)
{
	struct stat a, b;

	if (fstat(fd, &a) < 0 || stat("/proc/self/ns/net", &b) < 0)
		return -errno;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* What the administrator named, as the parent saw the configuration before
 * the fork (admin_paths): the only paths the engine may have opened as root
 * by asking for the administrator (pid 0), so that an engine that broke
 * cannot read /etc/shadow that way. A directory entry covers what is below
 * it. */
struct admin_path {
	char *path;
	bool tree;
};
static struct admin_path *admin_paths;
static size_t n_admin;

static int chan = -1;     /* the engine's end; -1: no parent */
static int from_parent = -1; /* the engine's read end of the signal pipe */
static bool is_parent;    /* this process is the parent (CAP_SYS_PTRACE may be raised) */
static uint32_t next_seq;

/* ---- what both sides run ------------------------------------------------------ */

static bool ptrace_raise(bool up)
{
	if (!is_parent)
		return false;
	capng_update(up ? CAPNG_ADD : CAPNG_DROP, CAPNG_EFFECTIVE, CAP_SYS_PTRACE);
	if (capng_apply(CAPNG_SELECT_CAPS) < 0 && up)
		return false;
	return up;
}

/* A /proc link of the process, followed as its principal: the kernel's
 * ptrace access check (PTRACE_MODE_READ_FSCREDS) then judges with the
 * principal's ids; a root principal's process may hold capabilities the
 * parent does not, which CAP_SYS_PTRACE answers. Never both at once: the
 * capability raise would also give back what setfsuid took. */
struct window {
	struct vd_identity id;
	bool ptrace;
};

static int window_open(const struct vd_principal *p, struct window *w)
{
	memset(w, 0, sizeof(*w));
	if (vd_principal_is_root(p)) {
		w->ptrace = ptrace_raise(true);
		return 0;
	}
	return vd_identity_enter(p, &w->id);
}

static void window_close(struct window *w)
{
	if (w->ptrace)
		ptrace_raise(false);
	vd_identity_leave(&w->id);
}

static int open_tun(int procfd, int *ret_fd)
{
	int dfd = openat(procfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = -ENOENT;
	unsigned seen = 0;
	struct dirent *de;
	DIR *d;

	if (dfd < 0)
		return -errno;
	d = fdopendir(dfd);
	if (!d) {
		r = -errno;
		close(dfd);
		return r;
	}
	while ((de = readdir(d)) && seen++ < PRIV_FD_SCAN_MAX) {
		char link[32], name[64];
		uint64_t n;
		ssize_t l;

		if (vd_parse_u64(de->d_name, 0, INT_MAX, &n) < 0)
			continue;
		l = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
		if (l != (ssize_t)strlen("/dev/net/tun") || memcmp(link, "/dev/net/tun", (size_t)l) != 0)
			continue;
		snprintf(name, sizeof(name), "fdinfo/%llu", (unsigned long long)n);
		*ret_fd = openat(procfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		r = *ret_fd < 0 ? -errno : 0;
		break;
	}
	closedir(d);
	return r;
}

static int proc_open(int procfd, const struct vd_principal *p, uint32_t which, int *ret_fd, int *ret_value,
                     char *ret_path)
{
	struct vd_principal admin;
	struct window w;
	int fd = -1, r;

	/* Its directory and its binary are opened as its principal (what they
	 * lead to is files). Its network namespace and the tun link its
	 * descriptor names are facts about the process, not files it names:
	 * those are looked at as root, which a process that dropped root (NM's
	 * openvpn as nm-openvpn, no longer dumpable) needs. */
	if (which == PRIV_PROC_NETNS || which == PRIV_PROC_TUN) {
		vd_principal_admin(&admin);
		p = &admin;
	}
	r = window_open(p, &w);
	if (r < 0)
		return r;
	switch (which) {
	case PRIV_PROC_CWD:
		fd = openat(procfd, "cwd", O_PATH | O_DIRECTORY | O_CLOEXEC);
		break;
	case PRIV_PROC_EXE:
		/* the binary that runs, opened as the principal: it may read it */
		fd = openat(procfd, "exe", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		break;
	case PRIV_PROC_NETNS:
		fd = openat(procfd, "ns/net", O_RDONLY | O_CLOEXEC);
		break;
	case PRIV_PROC_TUN:
		r = open_tun(procfd, &fd);
		break;
	default:
		r = -EINVAL;
		break;
	}
	if (r == 0 && fd < 0)
		r = -errno;
	window_close(&w);
	if (r == 0 && which == PRIV_PROC_CWD) {
		r = vd_fd_path(fd, ret_path, PATH_MAX);
		close(fd);
		return r;
	}
	if (r == 0 && which == PRIV_PROC_NETNS) {
		r = netns_is_own(fd);
		close(fd);
		if (r < 0)
			return r;
		*ret_value = r;
		return 0;
	}
	if (r == 0 && which == PRIV_PROC_EXE) {
		r = vd_check_fd(p, fd, PRIV_FILE_MAX);
		if (r == 0)
			r = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0 ? -errno : 0;
	}
	if (r < 0 && fd >= 0)
		close(fd);
	if (r == 0)
		*ret_fd = fd;
	return r;
}

/* The sockfs inodes of the listening unix sockets bound to the file of st,
 * in this network namespace (unix_diag, UDIAG_SHOW_VFS): up to max of them
 * in ino[]; their count, or -errno. */
static int listeners_at(const struct stat *st, uint32_t *ino, int max)
{
	struct {
		struct nlmsghdr nh;
		struct unix_diag_req rq;
	} q = {
		.nh = {.nlmsg_len = sizeof(q), .nlmsg_type = SOCK_DIAG_BY_FAMILY, .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
		.rq = {.sdiag_family = AF_UNIX, .udiag_states = 1u << 10 /* TCP_LISTEN */, .udiag_show = UDIAG_SHOW_VFS},
	};
	/* the kernel's dev_t, as unix_diag gives it (MINORBITS 20) */
	uint32_t dev = (major(st->st_dev) << 20) | minor(st->st_dev);
	int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG), n = 0, r = 0;
	long buf[8192 / sizeof(long)];

	if (nl < 0)
		return -errno;
	if (send(nl, &q, sizeof(q), 0) != (ssize_t)sizeof(q)) {
		r = -errno;
		goto out;
	}
	for (;;) {
		ssize_t len = recv(nl, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (len < 0) {
			r = -errno;
			goto out;
		}
		for (; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			struct unix_diag_msg *m = NLMSG_DATA(h);
			struct rtattr *a;
			int alen;

			if (h->nlmsg_type == NLMSG_DONE)
				goto out;
			if (h->nlmsg_type == NLMSG_ERROR) {
				r = -EIO;
				goto out;
			}
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				continue;
			alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
			for (a = (struct rtattr *)(m + 1); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
				struct unix_diag_vfs *v = RTA_DATA(a);
				if (a->rta_type == UNIX_DIAG_VFS && RTA_PAYLOAD(a) >= sizeof(*v) &&
				    v->udiag_vfs_ino == st->st_ino && v->udiag_vfs_dev == dev && n < max)
					ino[n++] = m->udiag_ino;
			}
		}
	}
out:
	close(nl);
	return r < 0 ? r : n;
}

/* A socket the parent connects for a process is one that process listens on
 * (vd_socket_allow_fn; arg: its /proc directory). OpenVPN's --management
 * socket is; a bus's, systemd's or another service's never is, so that an
 * engine that broke cannot have root connect it there by naming a root
 * process that it merely calls openvpn, or a unit's real one. Looked at as
 * root (its descriptors), in this network namespace, which is the engine's
 * and its tunnels'. -ECONNREFUSED: nothing listens there; -EPERM: another
 * process does. */
static int listener_is_its(int pfd, const struct stat *st, void *arg)
{
	int procfd = *(const int *)arg, dfd, r = -EPERM;
	struct vd_principal admin;
	struct window w;
	uint32_t ino[8];
	unsigned seen = 0;
	struct dirent *de;
	DIR *d;
	int n = listeners_at(st, ino, (int)VD_ARRAY_SIZE(ino));

	(void)pfd;
	if (n <= 0)
		return n < 0 ? n : -ECONNREFUSED;
	vd_principal_admin(&admin);
	r = window_open(&admin, &w);
	if (r < 0)
		return r;
	dfd = openat(procfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = dfd < 0 ? -errno : -EPERM;
	d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (dfd >= 0 && !d) {
		r = -errno;
		close(dfd);
	}
	while (d && r == -EPERM && (de = readdir(d)) && seen++ < PRIV_FD_SCAN_MAX) {
		char link[64];
		uint64_t sino;
		ssize_t l = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);

		if (l <= 0)
			continue;
		link[l] = '\0';
		if (strncmp(link, "socket:[", 8) != 0 || link[l - 1] != ']')
			continue;
		link[l - 1] = '\0';
		if (vd_parse_u64(link + 8, 0, UINT32_MAX, &sino) < 0)
			continue;
		for (int i = 0; i < n; i++)
			if (ino[i] == sino)
				r = 0;
	}
	if (d)
		closedir(d);
	window_close(&w);
	return r;
}

/* Only a process named openvpn is discovery's: whatever else runs with the
 * pid's start time is no client, and nothing is opened for it. */
static int is_openvpn(int procfd)
{
	char comm[32];
	int fd = openat(procfd, "comm", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	if (n < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	comm[n] = '\0';
	return strcmp(comm, "openvpn\n") == 0 ? 0 : -EPERM;
}

static int admin_fd_allowed(int fd);

/* A watch on path in the engine's inotify instance, added as the principal
 * (inotify_add_watch checks read permission on the path then, and only then).
 * The path is walked once, as the principal (O_PATH), and the watch is added
 * to that inode (/proc/self/fd), which for the administrator must be what the
 * configuration named: a link swapped after the check leads nowhere else. */
static int add_watch(const struct vd_principal *p, bool admin, int ifd, const char *path, uint32_t mask,
                     int *ret_wd)
{
	char link[64], what[32];
	struct window w;
	ssize_t n;
	int wd = -1, pfd, r;

	/* the engine's descriptor must be what it says */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", ifd);
	n = readlink(link, what, sizeof(what) - 1);
	if (n < 0 || (what[n] = '\0', strcmp(what, "anon_inode:inotify") != 0))
		return -EBADF;
	r = window_open(p, &w);
	if (r < 0)
		return r;
	pfd = open(path, O_PATH | O_CLOEXEC);
	r = pfd < 0 ? -errno : admin ? admin_fd_allowed(pfd) : 0;
	if (r == 0) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", pfd);
		wd = inotify_add_watch(ifd, link, mask);
		r = wd < 0 ? -errno : 0;
	}
	if (pfd >= 0)
		close(pfd);
	window_close(&w);
	if (r == 0)
		*ret_wd = wd;
	return r;
}

/* A directory to list, opened as the principal. */
static int open_dir(const struct vd_principal *p, const char *path, int *ret_fd)
{
	struct window w;
	int fd, r = window_open(p, &w);

	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	r = fd < 0 ? -errno : 0;
	window_close(&w);
	if (r == 0)
		*ret_fd = fd;
	return r;
}

static void admin_add(const char *path, bool tree)
{
	char real[PATH_MAX], *copy;
	struct admin_path *v;

	if (!path || !path[0])
		return;
	/* what does not exist yet is kept as written, when that is absolute */
	if (realpath(path, real))
		copy = strdup(real);
	else if (path[0] == '/')
		copy = strdup(path);
	else
		return;
	v = copy ? realloc(admin_paths, (n_admin + 1) * sizeof(*v)) : NULL;
	if (!v) {
		free(copy);
		return; /* the list is only shorter: stricter */
	}
	admin_paths = v;
	admin_paths[n_admin++] = (struct admin_path){.path = copy, .tree = tree};
}

static void admin_add_dir_of(const char *file)
{
	char real[PATH_MAX], dir[PATH_MAX], *slash;

	if (!file || file[0] != '/')
		return;
	snprintf(dir, sizeof(dir), "%s", realpath(file, real) ? real : file);
	slash = strrchr(dir, '/');
	if (!slash)
		return;
	*(slash == dir ? slash + 1 : slash) = '\0';
	admin_add(dir, true);
}

/* Whether the real path is one the administrator named (see admin above). */
static bool admin_allows(const char *real)
{
	for (size_t i = 0; i < n_admin; i++) {
		const struct admin_path *a = &admin_paths[i];
		size_t n = strlen(a->path);
		if (strcmp(real, a->path) == 0)
			return true;
		if (a->tree && strncmp(real, a->path, n) == 0 && (real[n] == '/' || (n == 1 && a->path[0] == '/')))
			return true;
	}
	return false;
}

/* The descriptor's real path is the administrator's, else -EACCES. */
static int admin_fd_allowed(int fd)
{
	char real[PATH_MAX];

	return vd_fd_path(fd, real, sizeof(real)) == 0 && admin_allows(real) ? 0 : -EACCES;
}

/* The socket a path led to is the administrator's (vd_socket_allow_fn): its
 * real path, of the inode that is then connected, not of the path resolved
 * once more, which a link swapped in between could lead elsewhere. */
static int admin_socket_allowed(int pfd, const struct stat *st, void *arg)
{
	(void)st;
	(void)arg;
	return admin_fd_allowed(pfd);
}

void priv_admin_allow(const struct config *cfg, const char *config_path)
{
	char dropins[PATH_MAX];

	/* the file and its drop-ins, read again on a reload */
	admin_add(config_path, false);
	if (snprintf(dropins, sizeof(dropins), "%s.d", config_path) < (int)sizeof(dropins))
		admin_add(dropins, true);
	for (size_t i = 0; cfg && i < cfg->n_tunnels; i++) {
		const struct config_tunnel *t = &cfg->tunnels[i];
		/* the profile and what it names beside or below it */
		admin_add_dir_of(t->config);
		admin_add(t->reflector_key, false);
		if (t->management && t->management[0] == '/')
			admin_add(t->management, false);
		admin_add(t->cloud_facts, false);
	}
	/* the cloud facts files (daemon/cloud.c) */
	if (cfg)
		admin_add(config_cloud_dir(cfg), true);
}

/* One request, checked: the principal comes from /proc, never from the request. */
static int handle(const struct priv_req *q, int in_fd, int *ret_fd, int *ret_value, char *ret_path)
{
	struct vd_principal p;
	char path[32];
	int procfd = -1, r = 0;

	if (q->pid == 0 && q->nm_uuid[0]) {
		/* a NetworkManager connection's: the principal NetworkManager says,
		 * for a file its vpn.data names (or the directory of one) only */
		if (q->kind != PRIV_OPEN && q->kind != PRIV_WATCH && q->kind != PRIV_OPENDIR)
			return -EINVAL;
		r = nmprincipal_of(q->nm_uuid, q->path, q->kind != PRIV_OPEN, &p);
		if (r < 0)
			return r == -EPERM || r == -ENOENT || r == -EHOSTDOWN ? -EACCES : r;
	} else if (q->pid == 0) {
		if (q->kind == PRIV_PROC)
			return -EINVAL;
		vd_principal_admin(&p);
	} else {
		snprintf(path, sizeof(path), "/proc/%d", (int)q->pid);
		procfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (procfd < 0)
			return errno == ENOENT ? -ESRCH : -errno;
		r = vd_principal_of_procfd(procfd, q->start, &p, NULL);
		/* what a process names is opened for an openvpn only; which
		 * network namespace it is in may be asked of any (the conflicts
		 * probe's other VPN clients) */
		if (r == 0 && !(q->kind == PRIV_PROC && q->which == PRIV_PROC_NETNS))
			r = is_openvpn(procfd);
	}
	/* the administrator's, from the engine: only what the configuration named */
	if (r == 0) {
		switch (q->kind) {
		case PRIV_OPEN:
			r = vd_open_as(&p, AT_FDCWD, q->path, (size_t)q->max, ret_fd);
			break;
		case PRIV_CONNECT:
			/* (as root only: without root the engine itself would connect
			 * with the same rights, and could not see whose socket it is) */
			if (q->pid == 0)
				r = vd_connect_unix_as(&p, q->path, is_parent ? admin_socket_allowed : NULL, NULL, ret_fd);
			else
				r = vd_connect_unix_as(&p, q->path, geteuid() == 0 ? listener_is_its : NULL, &procfd,
				                       ret_fd);
			break;
		case PRIV_PROC:
			r = proc_open(procfd, &p, q->which, ret_fd, ret_value, ret_path);
			break;
		case PRIV_WATCH:
			r = add_watch(&p, q->pid == 0 && !q->nm_uuid[0] && is_parent, in_fd, q->path, q->which, ret_value);
			break;
		case PRIV_OPENDIR:
			r = open_dir(&p, q->path, ret_fd);
			break;
		default:
			r = -EINVAL;
			break;
		}
	}
	if (procfd >= 0)
		close(procfd);
	if (r == 0 && q->pid == 0 && !q->nm_uuid[0] && is_parent && (q->kind == PRIV_OPEN || q->kind == PRIV_OPENDIR) &&
	    (r = admin_fd_allowed(*ret_fd)) < 0)
		close(*ret_fd);
	return r;
}

static bool req_valid(const struct priv_req *q)
{
	if (q->magic != PRIV_MAGIC || q->zero || q->pid < 0 || (q->pid > 0 && q->start == 0))
		return false;
	if (!memchr(q->nm_uuid, '\0', sizeof(q->nm_uuid)) ||
	    (q->nm_uuid[0] && (q->pid != 0 || !vd_nm_uuid_valid(q->nm_uuid))))
		return false;
	if (!memchr(q->path, '\0', sizeof(q->path)))
		return false;
	switch (q->kind) {
	case PRIV_OPEN:
		return q->which == 0 && q->path[0] == '/';
	case PRIV_CONNECT:
		return q->which == 0 && q->path[0] == '/' && q->max == 0;
	case PRIV_PROC:
		return q->pid > 0 && q->which >= PRIV_PROC_CWD && q->which <= PRIV_PROC_TUN && q->path[0] == '\0' &&
		       q->max == 0;
	case PRIV_WATCH:
		return q->which && !(q->which & ~PRIV_WATCH_MASK) && q->path[0] == '/' && q->max == 0;
	case PRIV_OPENDIR:
		return q->which == 0 && q->path[0] == '/' && q->max == 0;
	default:
		return false;
	}
}

/* ---- the engine's side ------------------------------------------------------- */

static void channel_lost(const char *what)
{
	static bool said;

	if (!said) {
		log_warnx("privileged process: %s; stopping", what);
		said = true;
		raise(SIGTERM); /* the loop stops cleanly */
	}
}

static int request(const struct vd_proc_id *who, uint32_t kind, uint32_t which, const char *path, size_t max,
                   int in_fd, int *ret_fd, int *ret_value, char *ret_path)
{
	struct priv_req q;
	struct priv_rep a;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = &a, .iov_len = sizeof(a)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	struct pollfd pfd;
	int fd = -1;
	ssize_t n;

	memset(&q, 0, sizeof(q));
	q.magic = PRIV_MAGIC;
	q.kind = kind;
	q.which = which;
	q.pid = who ? who->pid : 0;
	q.start = who && who->pid ? who->start : 0;
	if (who && who->pid == 0 && who->nm_uuid[0]) {
		if (!vd_nm_uuid_valid(who->nm_uuid))
			return -EINVAL;
		memcpy(q.nm_uuid, who->nm_uuid, strlen(who->nm_uuid) + 1);
	}
	q.max = max;
	if (path && path[0] && path[0] != '/') {
		/* relative to this process's directory (--config ./x.conf), which the
		 * parent, a process of its own, is told in full */
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		if (vd_path_join(cwd, path, q.path, sizeof(q.path)) < 0)
			return -ENAMETOOLONG;
	} else if (path) {
		if (strlen(path) >= sizeof(q.path))
			return -ENAMETOOLONG;
		memcpy(q.path, path, strlen(path) + 1);
	}
	if (q.pid < 0 || (q.pid > 0 && q.start == 0))
		return -ESRCH;
	if (kind != PRIV_PROC && q.path[0] != '/')
		return -EINVAL;
	if (chan < 0)
		return handle(&q, in_fd, ret_fd, ret_value, ret_path);
	if (q.pid == 0 && !q.nm_uuid[0]) {
		/* the administrator's: with the engine's own rights first (no
		 * round trip), root's through the parent only where those fail
		 * (a NetworkManager connection's never: its user may not read
		 * what the engine's user may) */
		int r = handle(&q, in_fd, ret_fd, ret_value, ret_path);
		if (r != -EACCES && r != -EPERM)
			return r;
	}

	q.seq = ++next_seq;
	{
		char sbuf[CMSG_SPACE(sizeof(int))];
		struct iovec siov = {.iov_base = &q, .iov_len = sizeof(q)};
		struct msghdr smh = {.msg_iov = &siov, .msg_iovlen = 1};

		if (in_fd >= 0) {
			memset(sbuf, 0, sizeof(sbuf));
			smh.msg_control = sbuf;
			smh.msg_controllen = sizeof(sbuf);
			cm = CMSG_FIRSTHDR(&smh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &in_fd, sizeof(int));
		}
		do
			n = sendmsg(chan, &smh, MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
	}
	if (n != (ssize_t)sizeof(q)) {
		channel_lost("cannot send it a request");
		return -EPIPE;
	}
	pfd = (struct pollfd){.fd = chan, .events = POLLIN};
	for (;;) {
		int k = poll(&pfd, 1, PRIV_TIMEOUT_MS);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			channel_lost(k == 0 ? "no answer in 10 s" : "poll failed");
			return -ETIMEDOUT;
		}
		break;
	}
	do
		n = recvmsg(chan, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)) && fd < 0)
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (n != (ssize_t)sizeof(a) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || a.magic != PRIV_MAGIC ||
	    a.seq != q.seq || (a.err == 0 && gives_fd(kind, which)) != (fd >= 0) || a.err < 0 ||
	    !memchr(a.path, '\0', sizeof(a.path))) {
		if (fd >= 0)
			close(fd);
		channel_lost(n == 0 ? "it is gone" : "a malformed answer");
		return -EPIPE;
	}
	if (a.err)
		return -a.err;
	if (kind == PRIV_WATCH || (kind == PRIV_PROC && which == PRIV_PROC_NETNS))
		*ret_value = a.value;
	else if (!gives_fd(kind, which))
		memcpy(ret_path, a.path, sizeof(a.path));
	else
		*ret_fd = fd;
	return 0;
}

int priv_open(const struct vd_proc_id *who, const char *path, size_t max, int *ret_fd)
{
	int fd, r;

	if (!path)
		return -EINVAL;
	r = request(who, PRIV_OPEN, 0, path, max, -1, &fd, NULL, NULL);
	/* what came from the parent is checked once more for type and size */
	if (r == 0 && (r = vd_check_fd(NULL, fd, max)) < 0)
		close(fd);
	if (r == 0)
		*ret_fd = fd;
	return r;
}

int priv_read(const struct vd_proc_id *who, const char *path, size_t max, char **ret, size_t *ret_len)
{
	int fd, r = priv_open(who, path, max, &fd);

	if (r < 0)
		return r;
	r = vd_read_fd(fd, max, ret, ret_len);
	close(fd);
	return r;
}

int priv_connect(const struct vd_proc_id *who, const char *path, int *ret_fd)
{
	struct stat st;
	int fd, r;

	if (!path)
		return -EINVAL;
	r = request(who, PRIV_CONNECT, 0, path, 0, -1, &fd, NULL, NULL);
	if (r == 0 && (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))) {
		close(fd);
		r = -ENOTSOCK;
	}
	if (r == 0)
		*ret_fd = fd;
	return r;
}

int priv_proc(const struct vd_proc_id *who, enum priv_proc which, int *ret_fd)
{
	if (!who || who->pid <= 0 || which == PRIV_PROC_CWD || which == PRIV_PROC_NETNS)
		return -EINVAL; /* priv_cwd, priv_same_netns */
	return request(who, PRIV_PROC, (uint32_t)which, "", 0, -1, ret_fd, NULL, NULL);
}

int priv_same_netns(const struct vd_proc_id *who)
{
	int same = 0, r;

	if (!who || who->pid <= 0)
		return -EINVAL;
	r = request(who, PRIV_PROC, PRIV_PROC_NETNS, "", 0, -1, NULL, &same, NULL);
	return r < 0 ? r : same != 0;
}

int priv_opendir(const struct vd_proc_id *who, const char *path, int *ret_fd)
{
	struct stat st;
	int fd, r;

	if (!path)
		return -EINVAL;
	r = request(who, PRIV_OPENDIR, 0, path, 0, -1, &fd, NULL, NULL);
	if (r == 0 && (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))) {
		close(fd);
		r = -ENOTDIR;
	}
	if (r == 0)
		*ret_fd = fd;
	return r;
}

int priv_watch(const struct vd_proc_id *who, int inotify_fd, const char *path, uint32_t mask)
{
	int wd = -1, r;

	if (!path || inotify_fd < 0)
		return -EINVAL;
	r = request(who, PRIV_WATCH, mask, path, 0, inotify_fd, NULL, &wd, NULL);
	return r < 0 ? r : wd;
}

int priv_cwd(const struct vd_proc_id *who, char *buf, size_t size)
{
	char path[PATH_MAX];
	int r;

	if (!who || who->pid <= 0)
		return -EINVAL;
	r = request(who, PRIV_PROC, PRIV_PROC_CWD, "", 0, -1, NULL, NULL, path);
	if (r < 0)
		return r;
	if (strlen(path) >= size)
		return -ENAMETOOLONG;
	memcpy(buf, path, strlen(path) + 1);
	return buf[0] == '/' ? 0 : -ENOENT;
}

bool priv_separated(void)
{
	return chan >= 0;
}

int priv_parent_fd(void)
{
	return from_parent;
}

int priv_parent_event(void)
{
	unsigned char b;
	ssize_t n;

	if (from_parent < 0)
		return 0;
	do
		n = read(from_parent, &b, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		return b;
	return n < 0 && errno == EAGAIN ? 0 : -1;
}

/* ---- start-up ------------------------------------------------------------------ */

int priv_user_lookup(const char *name, struct priv_user *ret, char *err, size_t err_size)
{
	struct passwd pw, *pr = NULL;
	struct group gr, *grr = NULL;
	char buf[4096];
	int r;

	memset(ret, 0, sizeof(*ret));
	r = getpwnam_r(name, &pw, buf, sizeof(buf), &pr);
	if (r != 0 || !pr) {
		snprintf(err, err_size,
		         "user '%s' does not exist: create it (systemd-sysusers, with the package's "
		         "sysusers.d/vpndoctor.conf) or name another with --user",
		         name);
		return r ? -r : -ENOENT;
	}
	if (strlen(name) >= sizeof(ret->name)) {
		snprintf(err, err_size, "user name '%s' is too long", name);
		return -ENAMETOOLONG;
	}
	snprintf(ret->name, sizeof(ret->name), "%s", name);
	ret->uid = pw.pw_uid;
	ret->gid = pw.pw_gid;
	ret->groups[ret->n_groups++] = pw.pw_gid;
	/* the journal reader (openvpn units log there) */
	if (getgrnam_r("systemd-journal", &gr, buf, sizeof(buf), &grr) == 0 && grr && grr->gr_gid != ret->gid)
		ret->groups[ret->n_groups++] = grr->gr_gid;
	return 0;
}

int priv_state_dir(const char *dir, const struct priv_user *u)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, r = 0;

	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchown(fd, u->uid, u->gid) < 0 || fchmod(fd, 0750) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	/* what a run as root left (history, history.1): regular files with one
	 * link only, never through a symbolic link */
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode) && st.st_nlink == 1 && (st.st_uid != u->uid || st.st_gid != u->gid) &&
		    fchownat(dirfd(d), de->d_name, u->uid, u->gid, AT_SYMLINK_NOFOLLOW) < 0 && !r)
			r = -errno;
	}
	closedir(d);
	return r;
}

/* Exactly these capabilities in /proc/self/status: what the kernel says, not
 * what a library believes. */
static bool caps_are(uint64_t eff, uint64_t prm, uint64_t bnd, uint64_t amb)
{
	static const char *const keys[] = {"CapEff:\t", "CapPrm:\t", "CapBnd:\t", "CapAmb:\t"};
	const uint64_t want[] = {eff, prm, bnd, amb};
	char line[256];
	unsigned ok = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		for (size_t i = 0; i < VD_ARRAY_SIZE(keys); i++) {
			char *end;
			unsigned long long v;
			if (strncmp(line, keys[i], strlen(keys[i])) != 0)
				continue;
			errno = 0;
			v = strtoull(line + strlen(keys[i]), &end, 16);
			if (errno == 0 && *end == '\n' && v == want[i])
				ok |= 1u << i;
		}
	fclose(f);
	return ok == 0xf;
}

#define CAPBIT(c) (1ull << (c))

static int drop_engine(const struct priv_user *u)
{
	const uint64_t keep = CAPBIT(CAP_NET_RAW) | CAPBIT(CAP_NET_ADMIN);
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	capng_clear(CAPNG_SELECT_ALL);
	capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_INHERITABLE | CAPNG_BOUNDING_SET,
	              CAP_NET_RAW, CAP_NET_ADMIN, -1);
	/* the bounding set while CAP_SETPCAP is still there */
	if (capng_apply(CAPNG_SELECT_BOUNDS) < 0)
		return -EPERM;
	if (setgroups(u->n_groups, u->groups) < 0)
		return -errno;
	if (capng_change_id((int)u->uid, (int)u->gid, CAPNG_NO_FLAG) < 0)
		return -EPERM;
	/* ambient: nft, which the firewall probe runs, lists the ruleset with them */
	capng_updatev(CAPNG_ADD, CAPNG_AMBIENT, CAP_NET_RAW, CAP_NET_ADMIN, -1);
	if (capng_apply(CAPNG_SELECT_AMBIENT) < 0)
		return -EPERM;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 || ru != u->uid || eu != u->uid ||
	    su != u->uid || rg != u->gid || eg != u->gid || sg != u->gid)
		return -EPERM;
	if (u->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		return -EPERM;
	if (!caps_are(keep, keep, keep, keep))
		return -EPERM;
	return 0;
}

static int drop_parent(void)
{
	const uint64_t eff = CAPBIT(CAP_SETUID) | CAPBIT(CAP_SETGID) | CAPBIT(CAP_DAC_READ_SEARCH);
	const uint64_t prm = eff | CAPBIT(CAP_SYS_PTRACE);

	capng_clear(CAPNG_SELECT_ALL);
	capng_updatev(CAPNG_ADD, CAPNG_PERMITTED | CAPNG_BOUNDING_SET, CAP_SETUID, CAP_SETGID, CAP_DAC_READ_SEARCH,
	              CAP_SYS_PTRACE, -1);
	capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE, CAP_SETUID, CAP_SETGID, CAP_DAC_READ_SEARCH, -1);
	if (capng_apply(CAPNG_SELECT_BOUNDS) < 0 || capng_apply(CAPNG_SELECT_CAPS) < 0 ||
	    capng_apply(CAPNG_SELECT_AMBIENT) < 0)
		return -EPERM;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return caps_are(eff, prm, prm, 0) ? 0 : -EPERM;
}

static int reply(int fd_chan, uint32_t seq, int err, int fd, int value, const char *path)
{
	static struct priv_rep a; /* 4 KiB: not on the stack of each call */

	memset(&a, 0, sizeof(a));
	a.magic = PRIV_MAGIC;
	a.seq = seq;
	a.err = err;
	a.value = value;
	if (path)
		snprintf(a.path, sizeof(a.path), "%s", path);
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = &a, .iov_len = sizeof(a)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *cm;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do
		n = sendmsg(fd_chan, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(a) ? 0 : -EPIPE;
}

/* 1: served; 0: the engine closed its end; -1: a broken request. */
static int serve_one(int fd_chan)
{
	struct priv_req q;
	struct iovec iov = {.iov_base = &q, .iov_len = sizeof(q)};
	/* room for one descriptor, which only PRIV_WATCH brings; more are
	 * closed by the kernel, and MSG_CTRUNC says there were some */
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	static char path[PATH_MAX];
	ssize_t n;
	int fd = -1, in_fd = -1, value = 0, r, extra = 0;

	do
		n = recvmsg(fd_chan, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return 1;
	if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE)))
		return 0;
	for (cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS && cm->cmsg_len == CMSG_LEN(sizeof(int)) &&
		    in_fd < 0)
			memcpy(&in_fd, CMSG_DATA(cm), sizeof(int));
		else
			extra++;
	}
	if (n != (ssize_t)sizeof(q) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || extra || !req_valid(&q) ||
	    (q.kind == PRIV_WATCH) != (in_fd >= 0)) {
		if (in_fd >= 0)
			close(in_fd);
		log_warnx("privileged process: a malformed request from the engine (%zd bytes); ending it", n);
		return -1;
	}
	path[0] = '\0';
	r = handle(&q, in_fd, &fd, &value, path);
	if (in_fd >= 0)
		close(in_fd);
	if (r < 0)
		r = reply(fd_chan, q.seq, -r, -1, 0, NULL);
	else if (!gives_fd(q.kind, q.which))
		r = reply(fd_chan, q.seq, 0, -1, value, path);
	else if (fd < 0)
		r = reply(fd_chan, q.seq, EIO, -1, 0, NULL);
	else
		r = reply(fd_chan, q.seq, 0, fd, 0, NULL);
	if (fd >= 0)
		close(fd);
	return r < 0 ? 0 : 1;
}

static int exit_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

/* Waits at most timeout_ms for the engine to end; true when it did. */
static bool reap(pid_t engine, int sfd, int *st, int timeout_ms)
{
	for (int waited = 0;; waited += 100) {
		pid_t w = waitpid(engine, st, WNOHANG);
		if (w == engine)
			return true;
		if (w < 0 && errno != EINTR)
			return false;
		if (waited >= timeout_ms)
			return false;
		if (sfd >= 0) {
			struct pollfd p = {.fd = sfd, .events = POLLIN};
			struct signalfd_siginfo si;
			if (poll(&p, 1, 100) > 0 && read(sfd, &si, sizeof(si)) < 0)
				continue;
		} else {
			usleep(100 * 1000);
		}
	}
}

static _Noreturn void parent_run(int fd_chan, int to_engine, pid_t engine, const char *socket_path)
{
	sigset_t set;
	int sfd, st = 0, code = 1;
	bool reaped = false, broken = false;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		log_warn("privileged process: signalfd"); /* the pipe's end stops the engine */
	while (sfd >= 0 && !reaped) {
		struct pollfd p[2] = {{.fd = fd_chan, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
		int k = poll(p, 2, -1);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGCHLD) {
					pid_t w = waitpid(engine, &st, WNOHANG);
					reaped = w == engine;
				} else {
					/* a stop or a reload is the engine's: the byte is the signal */
					unsigned char b = (unsigned char)si.ssi_signo;
					if (write(to_engine, &b, 1) < 0 && errno != EAGAIN)
						break;
				}
			}
		}
		if (reaped)
			break;
		if (p[0].revents & POLLIN) {
			int r = serve_one(fd_chan);
			broken = r < 0;
			if (r <= 0)
				break;
		} else if (p[0].revents & (POLLHUP | POLLERR)) {
			break;
		}
	}
	/* the engine's ends: its requests fail, its pipe says the parent is gone */
	close(fd_chan);
	close(to_engine);
	/* it closed its end, so it is on its way out; one that broke the
	 * protocol gets 5 s, then is left behind (it holds nothing of ours) */
	if (!reaped && !reap(engine, sfd, &st, broken ? 5000 : INT_MAX))
		st = 1 << 8;
	code = broken ? 1 : exit_status(st);
	if (socket_path)
		unlink(socket_path);
	log_debug("privileged process: the engine ended (status %d)", code);
	_exit(code);
}

int priv_separate(const struct priv_user *u, const char *socket_path, const int *engine_fds, size_t n)
{
	int sv[2], pp[2], r;
	pid_t parent = getpid(), pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	if (pipe2(pp, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		close(pp[0]);
		close(pp[1]);
		return r;
	}
	if (pid > 0) {
		close(sv[1]);
		close(pp[0]);
		for (size_t i = 0; i < n; i++)
			if (engine_fds[i] >= 0)
				close(engine_fds[i]);
		/* READY=1, STATUS= and WATCHDOG=1 come from the engine, which
		 * waits for this byte: systemd hears MAINPID= first */
		if (getenv("NOTIFY_SOCKET"))
			sd_notifyf(0, "MAINPID=%d", (int)pid);
		{
			unsigned char go = 0;
			if (write(pp[1], &go, 1) != 1)
				log_warn("privileged process: cannot start the engine");
		}
		r = drop_parent();
		if (r < 0) {
			errno = -r;
			log_warn("privileged process: cannot drop its capabilities");
			close(sv[0]);
			close(pp[1]); /* the engine sees its parent gone and stops */
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			_exit(1);
		}
		is_parent = true;
		parent_run(sv[0], pp[1], pid, socket_path);
	}
	close(sv[0]);
	close(pp[1]);
	chan = sv[1];
	from_parent = pp[0];
	{
		struct pollfd pfd = {.fd = from_parent, .events = POLLIN};
		unsigned char go = 1;
		while (poll(&pfd, 1, PRIV_TIMEOUT_MS) < 0 && errno == EINTR)
			;
		if (read(from_parent, &go, 1) != 1 || go != 0)
			return -ESRCH;
	}
	{
		/* the watchdog systemd set for the main process is now the engine's */
		const char *wp = getenv("WATCHDOG_PID");
		char buf[24];
		snprintf(buf, sizeof(buf), "%d", (int)parent);
		if (wp && strcmp(wp, buf) == 0) {
			snprintf(buf, sizeof(buf), "%d", (int)getpid());
			setenv("WATCHDOG_PID", buf, 1);
		}
	}
	/* No PR_SET_PDEATHSIG: the kernel sends it with the dying parent's
	 * rights, which without CAP_KILL do not reach the engine's user; the
	 * pipe's end (priv_parent_fd) tells the engine instead. */
	r = drop_engine(u);
	if (r < 0)
		return r;
	return getppid() == parent ? 0 : -ESRCH;
}
