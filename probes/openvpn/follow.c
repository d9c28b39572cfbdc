/* The openvpn probe: the log file of the process (--log, --log-append),
 * opened as the process's principal and followed by inotify (or the tick):
 * its lines, truncation and rotation. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ov.h"

#define OV_READ_MAX (256 * 1024) /* log bytes read per tick: a burst waits a tick */
#define OV_TAIL_MAX (64 * 1024)  /* log history read when a file is first followed */

static void on_file_line(void *userdata, const char *line, size_t len, bool truncated)
{
	struct ov_state *st = userdata;

	ov_log_line(st, line, len, true);
}

static void on_history_line(void *userdata, const char *line, size_t len, bool truncated)
{
	struct ov_state *st = userdata;

	ov_log_line(st, line, len, false);
}
/* ---- the log file ---------------------------------------------------------------- */

static void unwatch(struct ov_state *st)
{
	struct ov_follow *f = &st->f;

	if (st->ifd >= 0 && f->wd_file >= 0)
		inotify_rm_watch(st->ifd, f->wd_file);
	if (st->ifd >= 0 && f->wd_dir >= 0)
		inotify_rm_watch(st->ifd, f->wd_dir);
	f->wd_file = f->wd_dir = -1;
}

void ov_follow_close(struct ov_state *st)
{
	struct ov_follow *f = &st->f;

	unwatch(st);
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	free(f->path);
	f->path = NULL;
	f->base = NULL;
	f->more = false;
}

static void on_inotify(evutil_socket_t fd, short what, void *arg);

/* The file being followed, by inotify: its writes and truncations (IN_MODIFY)
 * and, on its directory, a new file taking its name (rotation) or it going
 * away. A file watch is on the inode, so after a rotation it moves to the new
 * file. Without inotify (no watches left, a file system without it) the tick
 * polls every second, as before. */
void ov_watch(struct ov_state *st)
{
	const struct vd_proc_id who = who_of(st);
	struct ov_follow *f = &st->f;
	char dir[PATH_MAX];
	const char *slash;

	if (f->fd < 0 || !f->path)
		return;
	if (st->ifd < 0) {
		st->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (st->ifd < 0)
			return;
		st->iev = event_new(st->base, st->ifd, EV_READ | EV_PERSIST, on_inotify, st);
		if (!st->iev || event_add(st->iev, NULL) < 0) {
			if (st->iev)
				event_free(st->iev);
			st->iev = NULL;
			close(st->ifd);
			st->ifd = -1;
			return;
		}
	}
	if (f->wd_file >= 0 && f->wd_ino != f->ino) {
		inotify_rm_watch(st->ifd, f->wd_file);
		f->wd_file = -1;
	}
	/* added as the process's principal, as its log is read (daemon/priv.h) */
	if (f->wd_file < 0) {
		f->wd_file = probe_watch(&who, st->ifd, f->path, IN_MODIFY | IN_DELETE_SELF | IN_MOVE_SELF);
		f->wd_ino = f->ino;
	}
	slash = strrchr(f->path, '/');
	f->base = slash ? slash + 1 : f->path;
	if (f->wd_dir < 0) {
		if (!slash)
			snprintf(dir, sizeof(dir), ".");
		else if (slash == f->path)
			snprintf(dir, sizeof(dir), "/");
		else
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - f->path), f->path);
		f->wd_dir = probe_watch(&who, st->ifd, dir, IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM |
		                                           IN_ONLYDIR);
	}
	if (f->wd_file < 0 || f->wd_dir < 0)
		unwatch(st); /* half a watch misses rotations: poll instead */
}

/* from_start: a file the process truncated when it started (--log): all of it
 * is this process's and new to us. Else from the end, with the last part read
 * as history. */
int ov_follow_open(struct ov_state *st, const char *path, bool from_start)
{
	struct ov_follow *f = &st->f;
	struct stat sb;
	char *buf;
	ssize_t n;

	const struct vd_proc_id who = who_of(st);
	int r;

	ov_follow_close(st);
	f->path = strdup(path);
	if (!f->path)
		return -ENOMEM;
	/* as the process's principal: a regular file its user may read */
	r = probe_open(&who, path, SIZE_MAX, &f->fd);
	if (r < 0 || fstat(f->fd, &sb) < 0) {
		if (r == 0)
			r = -errno;
		f->fd = -1;
		ov_follow_close(st);
		return r;
	}
	f->dev = sb.st_dev;
	f->ino = sb.st_ino;
	vd_linesplit_init(&f->split);
	ov_watch(st);
	if (from_start) {
		f->off = 0;
		ov_follow_poll(st);
		return 0;
	}
	f->off = sb.st_size > OV_TAIL_MAX ? sb.st_size - OV_TAIL_MAX : 0;
	buf = malloc(OV_TAIL_MAX);
	if (buf && (n = pread(f->fd, buf, OV_TAIL_MAX, f->off)) > 0) {
		const char *p = buf;
		size_t len = (size_t)n;
		if (f->off > 0) { /* a partial first line */
			const char *nl = memchr(p, '\n', len);
			len = nl ? len - (size_t)(nl + 1 - p) : 0;
			p = nl ? nl + 1 : p;
		}
		vd_linesplit_feed(&f->split, p, len, on_history_line, st);
		f->off += n;
	}
	free(buf);
	/* a partial last line is completed by what comes next: it stays */
	return 0;
}

static void follow_read(struct ov_state *st, size_t *budget)
{
	struct ov_follow *f = &st->f;
	char buf[16384];
	ssize_t n;

	while (*budget > 0) {
		n = pread(f->fd, buf, sizeof(buf) < *budget ? sizeof(buf) : *budget, f->off);
		if (n <= 0)
			break;
		f->off += n;
		*budget -= (size_t)n;
		vd_linesplit_feed(&f->split, buf, (size_t)n, on_file_line, st);
	}
	f->more = *budget == 0;
}

/* Truncation (a restarted openvpn with --log) starts over; rotation (a new
 * file at the path) reads the old file to its end and then the new one. */
void ov_follow_poll(struct ov_state *st)
{
	struct ov_follow *f = &st->f;
	size_t budget = OV_READ_MAX;
	struct stat sb, path_sb;

	if (f->fd < 0)
		return;
	if (fstat(f->fd, &sb) == 0 && sb.st_size < f->off) {
		f->off = 0;
		vd_linesplit_init(&f->split);
	}
	follow_read(st, &budget);
	if (budget > 0 && stat(f->path, &path_sb) == 0 && (path_sb.st_ino != f->ino || path_sb.st_dev != f->dev)) {
		const struct vd_proc_id who = who_of(st);
		int fd;
		/* rotated: the new file, opened as the process's principal too */
		if (probe_open(&who, f->path, SIZE_MAX, &fd) == 0) {
			vd_linesplit_flush(&f->split, on_file_line, st);
			close(f->fd);
			f->fd = fd;
			f->dev = path_sb.st_dev;
			f->ino = path_sb.st_ino;
			f->off = 0;
			follow_read(st, &budget);
			ov_watch(st);
		}
	}
}

static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct ov_state *st = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool ours = false;
	ssize_t n;

	(void)what;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)(void *)p;
			if (e->wd == st->f.wd_file && (e->mask & IN_IGNORED))
				st->f.wd_file = -1; /* the inode is gone: ov_watch() adds the new one */
			else if (e->wd == st->f.wd_file)
				ours = true;
			else if (e->wd == st->f.wd_dir && (e->mask & IN_IGNORED))
				st->f.wd_dir = -1;
			else if (e->wd == st->f.wd_dir && e->len && st->f.base && strcmp(e->name, st->f.base) == 0)
				ours = true;
			p += sizeof(*e) + e->len;
		}
	}
	if (ours && st->src == SRC_FILE) {
		ov_follow_poll(st);
		ov_watch(st);
	}
	ov_tick_arm(st);
}
