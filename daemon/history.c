/* History file: JSON lines appended and fdatasync'ed one event at a time, with
 * one older generation (history.1) kept after rotation.
 *
 * No in-memory index: a query re-reads history.1 and history. Both are bounded
 * by max_bytes (2 x 1 MiB by default), queries come from a person at a CLI, and
 * a parsed copy kept resident would cost several times the file size in heap,
 * against the daemon's 2 MiB private memory budget. Reading from disk also makes
 * "survives restarts" the only code path there is, not a second one. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int history_open(const char *dir, size_t max_bytes, struct history **ret)
{
	struct history *h;
	int r;

	if (!dir || !ret)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fd = -1;
	h->dirfd = -1;
	h->max_bytes = max_bytes ? max_bytes : HISTORY_DEFAULT_MAX;
	if (h->max_bytes < HISTORY_MIN_MAX)
		h->max_bytes = HISTORY_MIN_MAX;
	h->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h->dirfd < 0) {
		r = -errno;
		goto fail;
	}
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

struct query {
	int64_t since;
	size_t limit;
	cJSON *events;
	size_t count;
};

static void query_line(struct query *q, const char *s, size_t len)
{
	cJSON *ev, *t;
	const char *end = NULL;

	if (len == 0)
		return;
	/* The whole line must be the one object: "{...} trailing" is not ours. */
	ev = cJSON_ParseWithLengthOpts(s, len, &end, false);
	if (!ev)
		return;
	while (end < s + len && (*end == ' ' || *end == '\t' || *end == '\r'))
		end++;
	if (end != s + len) {
		cJSON_Delete(ev);
		return;
	}
	t = cJSON_GetObjectItemCaseSensitive(ev, "time");
	if (!cJSON_IsObject(ev) || !cJSON_IsNumber(t) ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ev, "event")) ||
	    (q->since >= 0 && t->valuedouble < (double)q->since)) {
		cJSON_Delete(ev);
		return;
	}
	cJSON_AddItemToArray(q->events, ev);
	/* Keep only the newest `limit`; dropping from the head is O(1) in cJSON. */
	if (q->limit && ++q->count > q->limit) {
		cJSON_DeleteItemFromArray(q->events, 0);
		q->count--;
	}
}

/* Streams the file line by line through a fixed buffer; a line longer than
 * the buffer is not ours and is skipped, as is a last line with no newline
 * (a write torn by a crash, not yet cut by history_open). */
static int query_file(struct history *h, const char *name, struct query *q)
{
	char *buf;
	size_t fill = 0;
	bool skipping = false;
	int fd = openat(h->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int r = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	buf = malloc(HISTORY_MAX_LINE);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, buf + fill, HISTORY_MAX_LINE - fill);
		char *p, *nl;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		fill += (size_t)n;
		p = buf;
		while ((nl = memchr(p, '\n', fill - (size_t)(p - buf)))) {
			if (!skipping)
				query_line(q, p, (size_t)(nl - p));
			skipping = false;
			p = nl + 1;
		}
		fill -= (size_t)(p - buf);
		memmove(buf, p, fill);
		if (fill == HISTORY_MAX_LINE) {
			skipping = true;
			fill = 0;
		}
	}
	free(buf);
	close(fd);
	return r;
}

cJSON *history_query(struct history *h, int64_t since, size_t limit)
{
	struct query q = {.since = since, .limit = limit};
	cJSON *res;

	if (!h)
		return NULL;
	res = cJSON_CreateObject();
	q.events = cJSON_AddArrayToObject(res, "events");
	if (!q.events) {
		cJSON_Delete(res);
		return NULL;
	}
	/* An unreadable generation loses its events from the answer, not the
	 * answer: the caller logs nothing here and still gets what is readable. */
	(void)query_file(h, "history.1", &q);
	(void)query_file(h, "history", &q);
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
	free(h);
}
