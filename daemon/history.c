/* History file: JSON lines appended and fdatasync'ed one event at a time, with
 * one older generation (history.1) kept after rotation.
 *
 * No in-memory index: a query re-reads history.1 and history. Both are bounded
 * by max_bytes (2 x 1 MiB by default), queries come from a person at a CLI, and
 * a parsed copy kept resident would cost several times the file size in heap,
 * against the daemon's 2 MiB private memory budget. Reading from disk also makes
 * "survives restarts" the only code path there is, not a second one.
 *
 * A query streams: the control socket takes its events a page at a time
 * (history_cursor_step), so a history.1 grown far past the bound by someone
 * else (80 MB took 465 MB of heap when queries parsed it whole) costs one
 * line buffer and one page, and each loop turn reads at most HISTORY_STEP. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "history.h"

#define HISTORY_DEFAULT_MAX (1024 * 1024)
/* An event is a few hundred bytes; a longer line is not one we wrote. */
#define HISTORY_MAX_LINE (16 * 1024)
#define HISTORY_MIN_MAX 4096

struct history {
	int fd;
	int dirfd;
	int lockfd;
	size_t max_bytes;
	off_t size;
};

static int open_current(struct history *h)
{
	int fd = openat(h->dirfd, "history", O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	h->fd = fd;
	h->size = st.st_size;
	return 0;
}

/* A torn write leaves bytes after the last newline; cut them so the next
 * append starts a line of its own instead of gluing onto the fragment. */
static int truncate_torn_tail(struct history *h)
{
	char buf[4096];
	off_t end = h->size, keep = 0;

	while (end > 0) {
		size_t n = end > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)end;
		ssize_t r = pread(h->fd, buf, n, end - (off_t)n);

		if (r < 0)
			return -errno;
		if ((size_t)r != n)
			return -EIO;
		const char *nl = memrchr(buf, '\n', n);
		if (nl) {
			keep = end - (off_t)n + (nl - buf) + 1;
			break;
		}
		end -= (off_t)n;
	}
	if (keep == h->size)
		return 0;
	if (ftruncate(h->fd, keep) < 0)
		return -errno;
	if (fdatasync(h->fd) < 0)
		return -errno;
	h->size = keep;
	return 0;
}

/* history -> history.1, then a fresh empty history. A crash between the two
 * steps leaves no "history", which the next open creates: nothing is lost. */
static int rotate(struct history *h)
{
	int r;

	if (renameat(h->dirfd, "history", h->dirfd, "history.1") < 0)
		return -errno;
	close(h->fd);
	h->fd = -1;
	r = open_current(h);
	if (r < 0)
		return r;
	if (h->size > 0 && ftruncate(h->fd, 0) < 0)
		return -errno;
	h->size = 0;
	/* The rename must be on disk before events land in the new file. */
	if (fsync(h->dirfd) < 0)
		return -errno;
	return 0;
}

/* Two daemons on one state directory would interleave and rotate each
 * other's files: the second is refused. flock, not a pid file: the kernel
 * drops the lock with the process, kill -9 included, so no stale lock is
 * ever left to clear. The pid inside is only for the message. */
static int take_lock(struct history *h)
{
	int fd = openat(h->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0640);
	struct stat st;
	char pid[24];
	int n;

	if (fd < 0)
		return -errno;
	h->lockfd = fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		return -errno;
	return 0;
}

int history_lock_busy(int dirfd)
{
	int fd = openat(dirfd, "lock", O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY), r = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
	close(fd); /* and with it the shared lock, had it been taken */
	return r;
}

int history_lock_owner(const char *dir)
{
	char path[4096], buf[24];
	ssize_t n;
	long pid;
	char *end;
	int fd;

	if (snprintf(path, sizeof(path), "%s/lock", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	buf[n] = '\0';
	errno = 0;
	pid = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || pid <= 0 || pid > INT32_MAX)
		return -EINVAL;
	return (int)pid;
}

int history_open(const char *dir, size_t max_bytes, struct history **ret)
{
	int fd;

	if (!dir || !ret)
		return -EINVAL;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return history_open_dirfd(fd, max_bytes, ret);
}

int history_open_dirfd(int dirfd, size_t max_bytes, struct history **ret)
{
	struct history *h;
	int r;

	if (dirfd < 0 || !ret) {
		if (dirfd >= 0)
			close(dirfd);
		return -EINVAL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		close(dirfd);
		return -ENOMEM;
	}
	h->fd = -1;
	h->lockfd = -1;
	h->max_bytes = max_bytes ? max_bytes : HISTORY_DEFAULT_MAX;
	if (h->max_bytes < HISTORY_MIN_MAX)
		h->max_bytes = HISTORY_MIN_MAX;
	h->dirfd = dirfd;
	r = take_lock(h);
	if (r < 0)
		goto fail;
	r = open_current(h);
	if (r < 0)
		goto fail;
	r = truncate_torn_tail(h);
	if (r < 0)
		goto fail;
	/* A smaller bound than last time, or a file grown by someone else. */
	if ((size_t)h->size > h->max_bytes) {
		r = rotate(h);
		if (r < 0)
			goto fail;
	}
	*ret = h;
	return 0;
fail:
	history_close(h);
	return r;
}

int history_append(struct history *h, const cJSON *ev)
{
	char *line;
	size_t len;
	ssize_t n;
	int r = 0;

	if (!h || !cJSON_IsObject(ev) || !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(ev, "time")))
		return -EINVAL;
	/* A failed rotation left no file open: try again rather than stay mute. */
	if (h->fd < 0 && (r = open_current(h)) < 0)
		return r;
	line = cJSON_PrintUnformatted(ev);
	if (!line)
		return -ENOMEM;
	/* cJSON escapes control characters in strings, so the unformatted text
	 * has no newline of its own and the '\n' added here is the only one. */
	len = strlen(line);
	if (len + 1 > HISTORY_MAX_LINE) {
		free(line);
		return -EMSGSIZE;
	}
	line[len++] = '\n'; /* overwrites the NUL; len is now the byte count */

	if (h->size > 0 && (size_t)h->size + len > h->max_bytes) {
		r = rotate(h);
		if (r < 0)
			goto out;
	}
	/* One write(2): the line lands whole or (crash, ENOSPC) as a tail that
	 * we cut off here or at the next open. */
	n = write(h->fd, line, len);
	if (n < 0 || (size_t)n != len) {
		r = n < 0 ? -errno : -ENOSPC;
		if (n > 0 && ftruncate(h->fd, h->size) < 0)
			r = -errno;
		goto out;
	}
	h->size += (off_t)len;
	if (fdatasync(h->fd) < 0)
		r = -errno;
out:
	free(line);
	return r;
}

/* ---- queries ------------------------------------------------------------ */

enum { GEN_OLD, GEN_CUR, GEN_N }; /* history.1, then history */

struct history_cursor {
	int fd[GEN_N];
	off_t end[GEN_N];   /* sizes when opened: later appends are not ours */
	off_t pos[GEN_N];
	int gen;            /* the file being read */
	int64_t since;
	size_t limit;
	bool counting;      /* first pass of a limited query */
	size_t count;       /* matching events seen in this pass */
	size_t skip;        /* matching events before the newest `limit` */
	char *buf;          /* HISTORY_MAX_LINE: the line being assembled */
	size_t fill;
	bool skipping;      /* inside a line too long to be ours */
	cJSON *held;        /* read, but the page was full */
	size_t held_bytes;
};

/* The event a line holds when it is one we wrote and is at or after since:
 * a JSON object alone on its line with a numeric time and a string event. */
static cJSON *line_event(const char *s, size_t len, int64_t since)
{
	cJSON *ev, *t;
	const char *end = NULL;

	if (len == 0)
		return NULL;
	ev = cJSON_ParseWithLengthOpts(s, len, &end, false);
	if (!ev)
		return NULL;
	while (end < s + len && (*end == ' ' || *end == '\t' || *end == '\r'))
		end++;
	t = cJSON_GetObjectItemCaseSensitive(ev, "time");
	if (end != s + len || !cJSON_IsObject(ev) || !cJSON_IsNumber(t) ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ev, "event")) ||
	    (since >= 0 && t->valuedouble < (double)since)) {
		cJSON_Delete(ev);
		return NULL;
	}
	return ev;
}

/* Regular files only, opened without blocking: a FIFO or a device put in
 * the state directory must not stall the loop. */
static int open_gen(struct history *h, const char *name, off_t *size)
{
	int fd = openat(h->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	*size = st.st_size;
	return fd;
}

int history_cursor_open(struct history *h, int64_t since, size_t limit, struct history_cursor **ret)
{
	struct history_cursor *c;

	if (!h || !ret)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->buf = malloc(HISTORY_MAX_LINE);
	if (!c->buf) {
		free(c);
		return -ENOMEM;
	}
	/* An unreadable generation loses its events from the answer, not the
	 * answer: what is readable still comes. */
	c->fd[GEN_OLD] = open_gen(h, "history.1", &c->end[GEN_OLD]);
	c->fd[GEN_CUR] = open_gen(h, "history", &c->end[GEN_CUR]);
	c->since = since;
	c->limit = limit;
	c->counting = limit > 0;
	*ret = c;
	return 0;
}

void history_cursor_free(struct history_cursor *c)
{
	if (!c)
		return;
	for (int i = 0; i < GEN_N; i++)
		if (c->fd[i] >= 0)
			close(c->fd[i]);
	cJSON_Delete(c->held);
	free(c->buf);
	free(c);
}

/* One complete line: counted in the first pass, else added to the page (or
 * held when the page is full). Returns HISTORY_FULL when it was held. */
static int cursor_line(struct history_cursor *c, const char *s, size_t len, cJSON *page, size_t *page_bytes,
		       size_t max_bytes)
{
	cJSON *ev = line_event(s, len, c->since);

	if (!ev)
		return HISTORY_AGAIN;
	if (c->counting) {
		c->count++;
		cJSON_Delete(ev);
		return HISTORY_AGAIN;
	}
	if (c->count++ < c->skip) {
		cJSON_Delete(ev);
		return HISTORY_AGAIN;
	}
	/* the stored line is the event's JSON text as the reply will carry it */
	if (*page_bytes > 0 && *page_bytes + len + 1 > max_bytes) {
		c->held = ev;
		c->held_bytes = len + 1;
		return HISTORY_FULL;
	}
	cJSON_AddItemToArray(page, ev);
	*page_bytes += len + 1;
	return HISTORY_AGAIN;
}

/* The end of the files: a counting pass starts the second one; a torn last
 * line (no newline) is not an event. */
static int cursor_rewind(struct history_cursor *c)
{
	if (!c->counting)
		return HISTORY_END;
	c->counting = false;
	c->skip = c->count > c->limit ? c->count - c->limit : 0;
	c->count = 0;
	c->gen = GEN_OLD;
	c->pos[GEN_OLD] = c->pos[GEN_CUR] = 0;
	c->fill = 0;
	c->skipping = false;
	return HISTORY_AGAIN;
}

/* Takes the complete lines buffered; HISTORY_FULL when the page filled. */
static int cursor_drain(struct history_cursor *c, cJSON *page, size_t *page_bytes, size_t max_bytes)
{
	char *p = c->buf, *nl;
	int r = HISTORY_AGAIN;

	while (r != HISTORY_FULL && (nl = memchr(p, '\n', c->fill - (size_t)(p - c->buf)))) {
		if (!c->skipping)
			r = cursor_line(c, p, (size_t)(nl - p), page, page_bytes, max_bytes);
		c->skipping = false;
		p = nl + 1;
	}
	c->fill -= (size_t)(p - c->buf);
	memmove(c->buf, p, c->fill);
	if (c->fill == HISTORY_MAX_LINE) {
		c->skipping = true; /* not ours: skipped to its newline */
		c->fill = 0;
	}
	return r;
}

int history_cursor_step(struct history_cursor *c, cJSON *page, size_t *page_bytes, size_t max_bytes)
{
	size_t budget = HISTORY_STEP;

	if (!c || !page || !page_bytes)
		return -EINVAL;
	if (c->held) {
		cJSON_AddItemToArray(page, c->held);
		*page_bytes += c->held_bytes;
		c->held = NULL;
	}
	for (;;) {
		int g = c->gen;
		size_t want;
		ssize_t n;

		if (cursor_drain(c, page, page_bytes, max_bytes) == HISTORY_FULL)
			return HISTORY_FULL;
		if (g >= GEN_N) {
			if (cursor_rewind(c) == HISTORY_END)
				return HISTORY_END;
			continue;
		}
		if (c->fd[g] < 0 || c->pos[g] >= c->end[g]) {
			c->gen++;
			c->fill = 0; /* a last line with no newline is torn: dropped */
			c->skipping = false;
			continue;
		}
		if (budget == 0)
			return HISTORY_AGAIN;
		want = HISTORY_MAX_LINE - c->fill;
		if ((off_t)want > c->end[g] - c->pos[g])
			want = (size_t)(c->end[g] - c->pos[g]);
		n = pread(c->fd[g], c->buf + c->fill, want, c->pos[g]);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) { /* an error or a file cut meanwhile: the rest of it is lost */
			c->pos[g] = c->end[g];
			continue;
		}
		c->pos[g] += n;
		c->fill += (size_t)n;
		budget = budget > (size_t)n ? budget - (size_t)n : 0;
	}
}

cJSON *history_query(struct history *h, int64_t since, size_t limit)
{
	struct history_cursor *c = NULL;
	cJSON *res, *events;
	size_t bytes = 0;
	int r;

	if (!h)
		return NULL;
	res = cJSON_CreateObject();
	events = cJSON_AddArrayToObject(res, "events");
	if (!events || history_cursor_open(h, since, limit, &c) < 0) {
		cJSON_Delete(res);
		return NULL;
	}
	while ((r = history_cursor_step(c, events, &bytes, SIZE_MAX)) == HISTORY_AGAIN)
		;
	history_cursor_free(c);
	if (r < 0) {
		cJSON_Delete(res);
		return NULL;
	}
	return res;
}

void history_close(struct history *h)
{
	if (!h)
		return;
	if (h->fd >= 0)
		close(h->fd);
	if (h->dirfd >= 0)
		close(h->dirfd);
	if (h->lockfd >= 0)
		close(h->lockfd); /* and with it the lock */
	free(h);
}
