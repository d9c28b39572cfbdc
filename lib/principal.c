/* Principals and the safe open (include/vpndoctor/principal.h). The open
 * walks the path with O_PATH as the principal, so that nothing but a regular
 * file is ever opened for reading (no FIFO waits for a writer, no device sees
 * an open), then reopens that same inode through /proc/self/fd as the
 * principal, and checks the descriptor a second time by its mode bits and
 * its directories'. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vpndoctor/common.h"
#include "vpndoctor/principal.h"

#define PROC_TEXT_MAX 16384 /* /proc/PID/status with 256 groups fits easily */

/* ---- pure ----------------------------------------------------------------- */

/* A decimal id at *p, ended by a space, a tab, a newline or the end; *p moves past it. */
static int take_id(const char **p, const char *end, uint32_t *ret)
{
	uint64_t v = 0;
	const char *s = *p;

	if (s >= end || *s < '0' || *s > '9')
		return -EINVAL;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX - 1) /* (uid_t)-1 is no id */
			return -EINVAL;
	}
	if (s < end && *s != ' ' && *s != '\t' && *s != '\n')
		return -EINVAL;
	*p = s;
	*ret = (uint32_t)v;
	return 0;
}

static const char *line_value(const char *text, size_t len, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (ll > kl && memcmp(p, key, kl) == 0)
			return p + kl;
		p += ll + 1;
	}
	return NULL;
}

int vd_principal_parse_status(const char *text, size_t len, struct vd_principal *ret)
{
	struct vd_principal p;
	const char *u, *g, *gr, *end = text + len;
	uint32_t id;

	memset(&p, 0, sizeof(p));
	if (!text)
		return -EINVAL;
	u = line_value(text, len, "Uid:\t");
	g = line_value(text, len, "Gid:\t");
	gr = line_value(text, len, "Groups:");
	/* the real id is the first of four: real, effective, saved, file system */
	if (!u || !g || !gr || take_id(&u, end, &id) < 0)
		return -EINVAL;
	p.uid = id;
	if (take_id(&g, end, &id) < 0)
		return -EINVAL;
	p.gid = id;
	for (const char *s = gr; s < end && *s != '\n';) {
		if (*s == ' ' || *s == '\t') {
			s++;
			continue;
		}
		if (take_id(&s, end, &id) < 0)
			return -EINVAL;
		if (p.n_groups == VD_PRINCIPAL_GROUPS_MAX)
			return -E2BIG;
		p.groups[p.n_groups++] = id;
	}
	p.kind = VD_PRINCIPAL_USER;
	*ret = p;
	return 0;
}

static bool has_prefix(const char *s, size_t n, const char *pre)
{
	size_t pl = strlen(pre);

	return n >= pl && memcmp(s, pre, pl) == 0;
}

static bool has_suffix(const char *s, size_t n, const char *suf)
{
	size_t sl = strlen(suf);

	return n >= sl && memcmp(s + n - sl, suf, sl) == 0;
}

static bool root_unit_name(const char *u, size_t n)
{
	static const char *const templates[] = {"openvpn-client@", "openvpn@", "openvpn-server@"};

	if (memchr(u, '/', n))
		return false;
	if (n == strlen("NetworkManager.service") && memcmp(u, "NetworkManager.service", n) == 0)
		return true;
	for (size_t i = 0; i < VD_ARRAY_SIZE(templates); i++) {
		size_t tl = strlen(templates[i]);
		/* an instance of at least one byte */
		if (has_prefix(u, n, templates[i]) && has_suffix(u, n, ".service") && n > tl + strlen(".service"))
			return true;
	}
	return false;
}

bool vd_cgroup_root_unit(const char *text, size_t len, char *unit, size_t unit_size)
{
	const char *path = NULL, *end = text ? text + len : NULL;
	size_t n = 0;

	if (!text)
		return false;
	for (const char *p = text; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (has_prefix(p, ll, "0::")) {
			if (path)
				return false; /* the kernel writes one: this is not its text */
			path = p + 3;
			n = ll - 3;
		}
		p += ll + 1;
	}
	if (!path || !has_prefix(path, n, "/system.slice/"))
		return false;
	path += strlen("/system.slice/");
	n -= strlen("/system.slice/");
	{
		const char *slash = memchr(path, '/', n);
		if (slash) {
			/* one slice in between: system-openvpn\x2dclient.slice */
			size_t sl = (size_t)(slash - path);
			if (!has_prefix(path, sl, "system-") || !has_suffix(path, sl, ".slice") ||
			    sl <= strlen("system-.slice"))
				return false;
			n -= sl + 1;
			path = slash + 1;
		}
	}
	if (!root_unit_name(path, n))
		return false;
	if (unit && unit_size) {
		size_t c = n < unit_size - 1 ? n : unit_size - 1;
		memcpy(unit, path, c);
		unit[c] = '\0';
	}
	return true;
}

int vd_proc_stat_starttime(const char *text, size_t len, uint64_t *ret)
{
	const char *p = NULL, *end = text ? text + len : NULL;
	uint64_t v = 0;

	if (!text)
		return -EINVAL;
	/* comm may hold spaces and parentheses: the fields follow the last ')' */
	for (const char *q = text; q < end; q++)
		if (*q == ')')
			p = q;
	if (!p)
		return -EINVAL;
	p++;
	/* " S ppid ...": field 3 starts after one space; 22 is 20 fields on */
	for (int field = 3; field <= 22; field++) {
		if (p >= end || *p != ' ')
			return -EINVAL;
		p++;
		if (field == 22)
			break;
		while (p < end && *p != ' ' && *p != '\n')
			p++;
	}
	if (p >= end || *p < '0' || *p > '9')
		return -EINVAL;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p < end && *p != ' ' && *p != '\n')
		return -EINVAL;
	*ret = v;
	return 0;
}

bool vd_principal_is_root(const struct vd_principal *p)
{
	return p && (p->kind != VD_PRINCIPAL_USER || p->uid == 0);
}

void vd_principal_admin(struct vd_principal *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->kind = VD_PRINCIPAL_ADMIN;
}

static bool in_group(const struct vd_principal *p, gid_t g)
{
	if (p->gid == g)
		return true;
	for (size_t i = 0; i < p->n_groups; i++)
		if (p->groups[i] == g)
			return true;
	return false;
}

bool vd_principal_may(const struct vd_principal *p, uid_t owner, gid_t group, mode_t mode, int want)
{
	unsigned bits;

	if (!p)
		return false;
	if (vd_principal_is_root(p))
		return true;
	if (p->uid == owner)
		bits = (mode >> 6) & 7;
	else if (in_group(p, group))
		bits = (mode >> 3) & 7;
	else
		bits = mode & 7;
	want &= R_OK | W_OK | X_OK; /* 4, 2, 1: the bits' own values */
	return ((unsigned)want & bits) == (unsigned)want;
}

/* ---- /proc ------------------------------------------------------------------ */

static int read_at(int dirfd, const char *name, char *buf, size_t size, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t off = 0;
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	while (off < size - 1) {
		n = read(fd, buf + off, size - 1 - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = errno == ENOENT ? -ESRCH : -errno;
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	*len = off;
	return 0;
}

int vd_principal_of_procfd(int procfd, uint64_t start, struct vd_principal *ret, uint64_t *ret_start)
{
	char *buf = malloc(PROC_TEXT_MAX);
	struct vd_principal p;
	uint64_t st;
	size_t len;
	int r;

	if (!buf)
		return -ENOMEM;
	r = read_at(procfd, "stat", buf, PROC_TEXT_MAX, &len);
	if (r == 0)
		r = vd_proc_stat_starttime(buf, len, &st);
	if (r == 0 && start && st != start)
		r = -ESRCH;
	if (r == 0)
		r = read_at(procfd, "status", buf, PROC_TEXT_MAX, &len);
	if (r == 0 && len >= PROC_TEXT_MAX - 1)
		r = -E2BIG;
	if (r == 0)
		r = vd_principal_parse_status(buf, len, &p);
	if (r == 0)
		r = read_at(procfd, "cgroup", buf, PROC_TEXT_MAX, &len);
	if (r == 0 && vd_cgroup_root_unit(buf, len, p.unit, sizeof(p.unit)))
		p.kind = VD_PRINCIPAL_UNIT;
	free(buf);
	if (r < 0)
		return r;
	*ret = p;
	if (ret_start)
		*ret_start = st;
	return 0;
}

int vd_principal_of_pid(pid_t pid, uint64_t start, struct vd_principal *ret, uint64_t *ret_start)
{
	char path[32];
	int fd, r;

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	r = vd_principal_of_procfd(fd, start, ret, ret_start);
	close(fd);
	return r;
}

int vd_proc_id_of(pid_t pid, struct vd_proc_id *ret)
{
	char path[32], buf[1024];
	uint64_t start;
	size_t len;
	int r;

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	r = read_at(AT_FDCWD, path, buf, sizeof(buf), &len);
	if (r == 0 && vd_proc_stat_starttime(buf, len, &start) < 0)
		r = -ESRCH; /* a zombie's or a kernel thread's odd line: nothing to follow */
	if (r < 0)
		return r;
	*ret = (struct vd_proc_id){.pid = pid, .start = start};
	return 0;
}

int vd_fd_path(int fd, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, size - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= size - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return buf[0] == '/' ? 0 : -ENOENT;
}

/* ---- identity ------------------------------------------------------------------ */

int vd_identity_enter(const struct vd_principal *p, struct vd_identity *s)
{
	int n;

	memset(s, 0, sizeof(*s));
	if (!p || vd_principal_is_root(p) || geteuid() != 0)
		return 0;
	n = getgroups(VD_PRINCIPAL_GROUPS_MAX, s->groups);
	if (n < 0)
		return errno == EINVAL ? -E2BIG : -errno;
	s->n_groups = n;
	/* an invalid id changes nothing and returns the current one */
	s->fsuid = (uid_t)setfsuid((uid_t)-1);
	s->fsgid = (gid_t)setfsgid((gid_t)-1);
	s->active = true;
	if (setgroups(p->n_groups, p->groups) < 0) {
		int r = -errno;
		vd_identity_leave(s);
		return r;
	}
	setfsgid(p->gid);
	if ((gid_t)setfsgid((gid_t)-1) != p->gid) {
		vd_identity_leave(s);
		return -EPERM;
	}
	setfsuid(p->uid);
	if ((uid_t)setfsuid((uid_t)-1) != p->uid) {
		vd_identity_leave(s);
		return -EPERM;
	}
	return 0;
}

void vd_identity_leave(struct vd_identity *s)
{
	if (!s->active)
		return;
	setfsuid(s->fsuid);
	setfsgid(s->fsgid);
	if ((uid_t)setfsuid((uid_t)-1) != s->fsuid || (gid_t)setfsgid((gid_t)-1) != s->fsgid ||
	    setgroups((size_t)s->n_groups, s->groups) < 0)
		abort(); /* going on with another user's identity is worse than stopping */
	s->active = false;
}

/* ---- the checks ----------------------------------------------------------------- */

/* Every directory of the absolute path p, "/" included, searchable by who. */
static int ancestors_searchable(const struct vd_principal *who, const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	struct stat st;

	if (n >= sizeof(buf) || path[0] != '/')
		return -EINVAL;
	memcpy(buf, path, n + 1);
	for (size_t i = n; i-- > 0;) {
		if (buf[i] != '/')
			continue;
		buf[i == 0 ? 1 : i] = '\0';
		if (lstat(buf, &st) < 0)
			return -errno;
		if (!S_ISDIR(st.st_mode) || !vd_principal_may(who, st.st_uid, st.st_gid, st.st_mode, X_OK))
			return -EACCES;
	}
	return 0;
}

static int type_and_size(const struct stat *st, size_t max)
{
	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if ((uint64_t)st->st_size > max)
		return -EFBIG;
	return 0;
}

/* The real path of fd (/proc/self/fd) leads to this very inode (st) and
 * its directories are ones who may search. Not so in another mount
 * namespace, or after a rename: then its directories are unknown. */
static int fd_dirs_searchable(const struct vd_principal *who, int fd, const struct stat *st)
{
	char link[64], path[PATH_MAX];
	struct stat pst;
	ssize_t n;

	if (st->st_nlink == 0)
		return -ENOENT;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return -errno;
	if (n == 0 || (size_t)n >= sizeof(path) - 1)
		return -ENAMETOOLONG;
	path[n] = '\0';
	if (path[0] != '/' || lstat(path, &pst) < 0 || pst.st_dev != st->st_dev || pst.st_ino != st->st_ino)
		return -EACCES;
	return ancestors_searchable(who, path);
}

int vd_check_fd(const struct vd_principal *p, int fd, size_t max)
{
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0)
		return -errno;
	r = type_and_size(&st, max);
	if (r < 0 || !p || vd_principal_is_root(p))
		return r;
	if (!vd_principal_may(p, st.st_uid, st.st_gid, st.st_mode, R_OK))
		return -EACCES;
	return fd_dirs_searchable(p, fd, &st);
}

int vd_open_as(const struct vd_principal *p, int dirfd, const char *path, size_t max, int *ret_fd)
{
	struct vd_identity id;
	char link[64];
	struct stat st;
	int pfd, fd = -1, r, fl;

	if (!path || !*path)
		return -EINVAL;
	r = vd_identity_enter(p, &id);
	if (r < 0)
		return r;
	/* O_PATH opens nothing: the kernel only walks the path (as p) */
	pfd = openat(dirfd, path, O_PATH | O_CLOEXEC);
	if (pfd < 0) {
		r = -errno;
	} else if (fstat(pfd, &st) < 0) {
		r = -errno;
	} else if ((r = type_and_size(&st, max)) == 0) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", pfd);
		fd = open(link, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			r = -errno;
	}
	vd_identity_leave(&id);
	if (pfd >= 0)
		close(pfd);
	if (r < 0)
		return r;
	r = vd_check_fd(p, fd, max);
	if (r == 0 && ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0))
		r = -errno;
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int vd_read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	struct stat st;
	size_t len = 0, cap;
	char *buf;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max)
		return -EFBIG;
	/* the size may change under us: read to the end, never past max */
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096;
	if (cap > max + 1)
		cap = max + 1;
	buf = malloc(cap + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (len > max) {
				free(buf);
				return -EFBIG;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;
			free(buf);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		free(buf);
		return -EFBIG;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

int vd_read_file_as(const struct vd_principal *p, const char *path, size_t max, char **ret, size_t *ret_len)
{
	int fd, r = vd_open_as(p, AT_FDCWD, path, max, &fd);

	if (r < 0)
		return r;
	r = vd_read_fd(fd, max, ret, ret_len);
	close(fd);
	return r;
}

/* connect(2) gives the peer the caller's credentials (SO_PEERCRED: its
 * effective ids; SO_PEERGROUPS), not the file system ids the path walk used:
 * a connection root makes with setfsuid would be root's to the server (the
 * system bus, systemd's private socket), whoever then holds the descriptor.
 * So as root, for any other user, the connection is made by a child that has
 * taken all of the principal's ids and ends at once; the socket is the
 * parent's. The child's status is its errno. */
static int connect_in_child(const struct vd_principal *p, int fd, const struct sockaddr_un *sa)
{
	pid_t pid, w;
	int st;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int e = 0;

		if (setgroups(p->n_groups, p->groups) < 0 || setresgid(p->gid, p->gid, p->gid) < 0 ||
		    setresuid(p->uid, p->uid, p->uid) < 0 || geteuid() != p->uid || getegid() != p->gid)
			e = EPERM;
		else if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0)
			e = errno;
		_exit(e > 0 && e < 256 ? e : e ? EIO : 0);
	}
	do
		w = waitpid(pid, &st, 0);
	while (w < 0 && errno == EINTR);
	if (w != pid || !WIFEXITED(st))
		return -EIO;
	return -WEXITSTATUS(st);
}

int vd_connect_unix_as(const struct vd_principal *p, const char *path, vd_socket_allow_fn *allow, void *arg,
                       int *ret_fd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct vd_identity id;
	struct stat st;
	int pfd, fd, r;

	if (!path || path[0] != '/')
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	/* the path is walked once, as p (O_PATH opens nothing), and what is
	 * connected is that inode, through its descriptor: nothing can be
	 * swapped in between the check and the connection */
	r = vd_identity_enter(p, &id);
	if (r < 0)
		return r;
	pfd = openat(AT_FDCWD, path, O_PATH | O_CLOEXEC);
	r = pfd < 0 ? -errno : 0;
	vd_identity_leave(&id);
	if (r < 0)
		return r;
	if (fstat(pfd, &st) < 0)
		r = -errno;
	else if (!S_ISSOCK(st.st_mode))
		r = -ENOTSOCK;
	/* the second check, by the mode bits (write) and the directories' */
	else if (p && !vd_principal_is_root(p) && !vd_principal_may(p, st.st_uid, st.st_gid, st.st_mode, W_OK))
		r = -EACCES;
	else if (p && !vd_principal_is_root(p))
		r = fd_dirs_searchable(p, pfd, &st);
	/* and the caller's own word on this inode (whose socket it is) */
	if (r == 0 && allow)
		r = allow(pfd, &st, arg);
	if (r < 0) {
		close(pfd);
		return r;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d", pfd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		close(pfd);
		return r;
	}
	if (p && !vd_principal_is_root(p) && geteuid() == 0)
		r = connect_in_child(p, fd, &sa);
	else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		r = -errno;
	close(pfd);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

const char *vd_principal_describe(const struct vd_principal *p, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (!p)
		snprintf(buf, size, "nobody in particular");
	else if (p->kind == VD_PRINCIPAL_ADMIN)
		snprintf(buf, size, "root (the administrator)");
	else if (p->kind == VD_PRINCIPAL_UNIT)
		snprintf(buf, size, "root (unit %s)", p->unit);
	else if (p->kind == VD_PRINCIPAL_NM)
		snprintf(buf, size, "root (a NetworkManager connection of no one user)");
	else if (getpwuid_r(p->uid, &pw, tmp, sizeof(tmp), &res) == 0 && res && res->pw_name)
		snprintf(buf, size, "%s (uid %u)", res->pw_name, (unsigned)p->uid);
	else
		snprintf(buf, size, "uid %u", (unsigned)p->uid);
	return buf;
}

const char *vd_proc_describe(const struct vd_proc_id *who, char *buf, size_t size)
{
	struct vd_principal p;

	if (who && who->pid == 0 && who->nm_uuid[0]) {
		snprintf(buf, size, "the user of NetworkManager connection %s, or root when it is kept to no one",
		         vd_nm_uuid_valid(who->nm_uuid) ? who->nm_uuid : "?");
		return buf;
	}
	if (!who || who->pid == 0)
		vd_principal_admin(&p);
	else if (vd_principal_of_pid(who->pid, who->start, &p, NULL) < 0) {
		snprintf(buf, size, "the user of process %d", (int)who->pid);
		return buf;
	}
	return vd_principal_describe(&p, buf, size);
}

bool vd_nm_uuid_valid(const char *s)
{
	size_t n = s ? strnlen(s, VD_NM_UUID_MAX) : 0;

	return n > 0 && n < VD_NM_UUID_MAX && strspn(s, "0123456789abcdefABCDEF-") == n;
}

int vd_nm_principal(const char *const *perms, size_t n_perms, const char *const *files, size_t n_files,
                    const char *path, bool dir, char *user, size_t user_size)
{
	const char *one = NULL;
	size_t one_len = 0, users = 0;
	bool named = false;

	for (size_t i = 0; i < n_files && !named; i++) {
		const char *f = files[i], *slash = strrchr(f, '/');
		if (f[0] != '/')
			continue; /* the plugin takes absolute paths only */
		if (!dir)
			named = strcmp(f, path) == 0;
		else if (slash == f)
			named = strcmp(path, "/") == 0;
		else
			named = strlen(path) == (size_t)(slash - f) && strncmp(f, path, (size_t)(slash - f)) == 0;
	}
	if (!named)
		return -EPERM;
	for (size_t i = 0; i < n_perms; i++) {
		const char *e = perms[i], *end;
		if (strncmp(e, "user:", 5) != 0)
			continue;
		users++;
		one = e + 5;
		end = strchr(one, ':');
		one_len = end ? (size_t)(end - one) : strlen(one);
	}
	if (users == 0)
		return 0;
	if (users > 1 || one_len == 0 || one_len >= user_size || memchr(one, '/', one_len))
		return -EACCES;
	memcpy(user, one, one_len);
	user[one_len] = '\0';
	return 1;
}
