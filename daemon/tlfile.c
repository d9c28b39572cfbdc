/* Timeline files: the ring on disk (see tlfile.h), its iterator and the
 * cursor GetTimeline pages through.
 *
 * Where the ring ends is found by reading it: the record with the highest
 * sequence number whose slot is seq % VD_TL_SLOTS is the last one written,
 * and the ring holds the VD_TL_SLOTS sequence numbers up to it. Nothing but
 * the records says where the ring is, so there is no header to keep in step
 * with them and no second write that a crash could separate from the first.
 * A slot that fails its CRC, holds zeros, or holds a record of an earlier lap
 * (a write the kernel never got to disk) is a gap of one record.
 *
 * Not synced: a kill -9 loses nothing (the page cache has every pwrite), and
 * what a power cut loses is what the kernel had not written back, each lost
 * record a gap of its own; a fdatasync a minute per tunnel would wake a
 * laptop's disk for a record of 128 bytes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "tlfile.h"

#define CHUNK_RECS 512 /* 64 KiB read at a time */

struct tlfile {
	int fd;
	uint64_t next_seq;
	int64_t last_time;
};

static off_t slot_off(uint64_t seq)
{
	return (off_t)VD_TL_HEADER_SIZE + (off_t)(seq % VD_TL_SLOTS) * VD_TL_REC_SIZE;
}

/* pread that fills the rest with zeros at the end of a short file. */
static int pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, off + (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	memset((char *)buf + got, 0, len - got);
	return 0;
}

static int pwrite_full(int fd, const void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done, off + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

/* Regular files only, opened without blocking (a FIFO planted in the state
 * directory must not stall the loop in open(2)), no symlink followed, one
 * link: what a local attacker could put there is refused, not read. */
static int open_file(int dirfd, const char *tunnel, int flags, struct stat *st)
{
	char name[VD_TL_FILE_NAME_MAX];
	int fd, fl, r;

	r = vd_tl_file_name(tunnel, name, sizeof(name));
	if (r < 0)
		return r;
	fd = openat(dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (!S_ISREG(st->st_mode) || st->st_nlink > 1) {
		close(fd);
		return S_ISREG(st->st_mode) ? -EMLINK : -EINVAL;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* ---- the iterator ------------------------------------------------------------ */

struct tlfile_iter {
	int fd;
	bool scanned;
	uint64_t scan_slot;
	uint64_t max_seq, valid, bad;
	uint64_t next, last;  /* sequence numbers still to read */
	uint8_t *buf;
	uint64_t buf_seq;     /* the seq buf[0] stands for */
	size_t buf_n, buf_i;
};

static struct tlfile_iter *iter_new(int fd)
{
	struct tlfile_iter *it = calloc(1, sizeof(*it));

	if (!it || !(it->buf = malloc(CHUNK_RECS * VD_TL_REC_SIZE))) {
		free(it);
		return NULL;
	}
	it->fd = fd;
	return it;
}

/* The first pass: the highest sequence number in its own slot. */
static int iter_scan(struct tlfile_iter *it, size_t *budget)
{
	while (it->scan_slot < VD_TL_SLOTS) {
		size_t n = VD_TL_SLOTS - it->scan_slot;
		int r;

		if (*budget == 0)
			return -EAGAIN;
		if (n > CHUNK_RECS)
			n = CHUNK_RECS;
		r = pread_full(it->fd, it->buf, n * VD_TL_REC_SIZE,
		               (off_t)VD_TL_HEADER_SIZE + (off_t)it->scan_slot * VD_TL_REC_SIZE);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			struct vd_tl_rec rec;
			int d = vd_tl_rec_decode(it->buf + i * VD_TL_REC_SIZE, &rec);

			if (d == -EBADMSG)
				it->bad++;
			if (d < 0)
				continue;
			if (rec.seq % VD_TL_SLOTS != it->scan_slot + i) {
				it->bad++; /* a valid record in a slot not its own: not ours */
				continue;
			}
			it->valid++;
			if (rec.seq > it->max_seq)
				it->max_seq = rec.seq;
		}
		it->scan_slot += n;
		*budget = *budget > n * VD_TL_REC_SIZE ? *budget - n * VD_TL_REC_SIZE : 0;
	}
	it->scanned = true;
	it->last = it->max_seq;
	it->next = it->max_seq >= VD_TL_SLOTS ? it->max_seq - VD_TL_SLOTS + 1 : 1;
	return 0;
}

int tlfile_iter_open(int dirfd, const char *tunnel, struct tlfile_iter **ret)
{
	struct tlfile_iter *it;
	struct stat st;
	int fd = open_file(dirfd, tunnel, O_RDONLY, &st);

	if (fd < 0)
		return fd;
	it = iter_new(fd);
	if (!it) {
		close(fd);
		return -ENOMEM;
	}
	*ret = it;
	return 0;
}

int tlfile_iter_next(struct tlfile_iter *it, struct vd_tl_rec *r, size_t *budget)
{
	int e;

	if (!it->scanned && (e = iter_scan(it, budget)) < 0)
		return e;
	for (;;) {
		uint64_t seq;

		if (it->buf_i < it->buf_n) {
			seq = it->buf_seq + it->buf_i;
			e = vd_tl_rec_decode(it->buf + it->buf_i * VD_TL_REC_SIZE, r);
			it->buf_i++;
			if (e == 0 && r->seq == seq)
				return 1;
			continue; /* a gap: torn, never written, or an earlier lap */
		}
		if (it->next == 0 || it->next > it->last)
			return 0;
		if (*budget == 0)
			return -EAGAIN;
		{
			uint64_t slot = it->next % VD_TL_SLOTS, n = it->last - it->next + 1;

			if (n > CHUNK_RECS)
				n = CHUNK_RECS;
			if (n > VD_TL_SLOTS - slot)
				n = VD_TL_SLOTS - slot;
			e = pread_full(it->fd, it->buf, n * VD_TL_REC_SIZE, slot_off(it->next));
			if (e < 0)
				return e;
			it->buf_seq = it->next;
			it->buf_n = n;
			it->buf_i = 0;
			it->next += n;
			*budget = *budget > n * VD_TL_REC_SIZE ? *budget - n * VD_TL_REC_SIZE : 0;
		}
	}
}

uint64_t tlfile_iter_bad(const struct tlfile_iter *it)
{
	return it->bad;
}

void tlfile_iter_free(struct tlfile_iter *it)
{
	if (!it)
		return;
	if (it->fd >= 0)
		close(it->fd);
	free(it->buf);
	free(it);
}

/* ---- the writer ------------------------------------------------------------------ */

int tlfile_open(int dirfd, const char *tunnel, int64_t now, struct tlfile **ret, struct tlfile_open_info *info)
{
	struct tlfile_open_info dummy;
	uint8_t hdr[VD_TL_HEADER_SIZE], rec[VD_TL_REC_SIZE];
	char name[VD_TL_NAME_MAX + 1];
	struct tlfile_iter *it = NULL;
	struct tlfile *f;
	struct stat st;
	size_t budget = SIZE_MAX;
	int fd, r;

	if (!info)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	fd = open_file(dirfd, tunnel, O_RDWR | O_CREAT, &st);
	if (fd < 0)
		return fd;
	info->created = st.st_size == 0;
	r = pread_full(fd, hdr, sizeof(hdr), 0);
	if (r < 0)
		goto fail;
	if (vd_tl_header_decode(hdr, name, NULL) < 0 || strcmp(name, tunnel) != 0) {
		/* records are checked one by one: a header written anew keeps them */
		info->header_rewritten = !info->created;
		vd_tl_header_encode(tunnel, now, hdr);
		r = pwrite_full(fd, hdr, sizeof(hdr), 0);
		if (r < 0)
			goto fail;
	}
	if (st.st_size != (off_t)VD_TL_FILE_SIZE) {
		info->resized = !info->created;
		if (ftruncate(fd, (off_t)VD_TL_FILE_SIZE) < 0) {
			r = -errno;
			goto fail;
		}
		/* the blocks now, so that a full disk later fails no record
		 * (a file system without fallocate keeps the file sparse) */
		if (info->created && fallocate(fd, 0, 0, (off_t)VD_TL_FILE_SIZE) < 0 && errno != EOPNOTSUPP &&
		    errno != ENOSYS) {
			r = -errno;
			goto fail;
		}
	}
	it = iter_new(fd);
	f = calloc(1, sizeof(*f));
	if (!it || !f) {
		free(f);
		r = -ENOMEM;
		goto fail;
	}
	r = iter_scan(it, &budget);
	if (r < 0) {
		free(f);
		goto fail;
	}
	info->records = it->valid;
	info->bad_slots = it->bad;
	f->fd = fd;
	f->next_seq = it->max_seq + 1;
	f->last_time = INT64_MIN;
	if (it->max_seq) {
		struct vd_tl_rec last;

		r = pread_full(fd, rec, sizeof(rec), slot_off(it->max_seq));
		if (r < 0 || vd_tl_rec_decode(rec, &last) < 0) {
			free(f);
			r = r < 0 ? r : -EIO;
			goto fail;
		}
		f->last_time = last.time;
	}
	it->fd = -1;
	tlfile_iter_free(it);
	*ret = f;
	return 0;
fail:
	if (it)
		it->fd = -1;
	tlfile_iter_free(it);
	close(fd);
	return r;
}

/* The clock went back: the records stamped after t go, newest first, so
 * that the ring stays in time order. A crash halfway leaves the rest for
 * the next append to drop. */
static int drop_after(struct tlfile *f, int64_t t, uint64_t *dropped)
{
	static const uint8_t zero[VD_TL_REC_SIZE];
	uint8_t buf[VD_TL_REC_SIZE];
	uint64_t steps = 0;

	f->last_time = INT64_MIN;
	while (f->next_seq > 1 && steps++ < VD_TL_SLOTS) {
		uint64_t seq = f->next_seq - 1;
		struct vd_tl_rec rec;
		int r = pread_full(f->fd, buf, sizeof(buf), slot_off(seq)), d;

		if (r < 0)
			return r;
		d = vd_tl_rec_decode(buf, &rec);
		if (d == 0 && rec.seq == seq && rec.time <= t) {
			f->last_time = rec.time;
			break;
		}
		if (d == 0 && rec.seq == seq && dropped)
			(*dropped)++;
		if (d != -ENOENT && (r = pwrite_full(f->fd, zero, sizeof(zero), slot_off(seq))) < 0)
			return r;
		f->next_seq--;
	}
	return 0;
}

int tlfile_append(struct tlfile *f, struct vd_tl_rec *r, uint64_t *dropped)
{
	uint8_t buf[VD_TL_REC_SIZE];
	int e;

	if (f->last_time != INT64_MIN && r->time < f->last_time && (e = drop_after(f, r->time, dropped)) < 0)
		return e;
	r->seq = f->next_seq;
	vd_tl_rec_encode(r, buf);
	/* one write of one record: it lands whole, or (a power cut, a full
	 * disk) leaves a slot that fails its CRC */
	e = pwrite_full(f->fd, buf, sizeof(buf), slot_off(r->seq));
	if (e < 0)
		return e;
	f->next_seq++;
	f->last_time = r->time;
	return 0;
}

uint64_t tlfile_last_seq(const struct tlfile *f)
{
	return f->next_seq - 1;
}

int64_t tlfile_last_time(const struct tlfile *f)
{
	return f->last_time;
}

void tlfile_close(struct tlfile *f)
{
	if (!f)
		return;
	close(f->fd);
	free(f);
}

/* ---- the cursor -------------------------------------------------------------------- */

struct tlfile_cursor {
	struct tlfile_iter *it;
	char tunnel[VD_TL_NAME_MAX + 1];
	int64_t since, until;
	uint32_t res;
	struct vd_tl_acc *acc;
	int64_t bucket;
	bool in_bucket, ended;
	cJSON *held;
	size_t held_bytes;
};

int tlfile_cursor_open(int dirfd, const char *tunnel, int64_t since, int64_t until, uint32_t resolution,
                       struct tlfile_cursor **ret)
{
	struct tlfile_cursor *c;
	int r;

	if (!tunnel || strlen(tunnel) > VD_TL_NAME_MAX || resolution < VD_TL_PERIOD || resolution % VD_TL_PERIOD)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->acc = vd_tl_acc_new())) {
		free(c);
		return -ENOMEM;
	}
	r = tlfile_iter_open(dirfd, tunnel, &c->it);
	if (r < 0) {
		tlfile_cursor_free(c);
		return r;
	}
	snprintf(c->tunnel, sizeof(c->tunnel), "%s", tunnel);
	c->since = since;
	c->until = until;
	c->res = resolution;
	*ret = c;
	return 0;
}

void tlfile_cursor_free(struct tlfile_cursor *c)
{
	if (!c)
		return;
	tlfile_iter_free(c->it);
	vd_tl_acc_free(c->acc);
	cJSON_Delete(c->held);
	free(c);
}

static int64_t floor_to(int64_t t, uint32_t res)
{
	int64_t m = t % (int64_t)res;

	return m < 0 ? t - m - (int64_t)res : t - m;
}

/* The bucket as a sample on the page, or held when the page is full. */
static int emit(struct tlfile_cursor *c, cJSON *page, size_t *page_bytes, size_t max_bytes)
{
	struct vd_tl_rec out;
	cJSON *s;
	char *t;
	size_t len;

	vd_tl_acc_result(c->acc, c->bucket, c->res, &out);
	vd_tl_acc_reset(c->acc);
	c->in_bucket = false;
	s = vd_tl_rec_to_json(&out, c->tunnel);
	t = s ? cJSON_PrintUnformatted(s) : NULL;
	if (!t) {
		cJSON_Delete(s);
		return -ENOMEM;
	}
	len = strlen(t) + 1;
	free(t);
	if (*page_bytes > 0 && *page_bytes + len > max_bytes) {
		c->held = s;
		c->held_bytes = len;
		return TLFILE_FULL;
	}
	cJSON_AddItemToArray(page, s);
	*page_bytes += len;
	return TLFILE_AGAIN;
}

int tlfile_cursor_step(struct tlfile_cursor *c, cJSON *page, size_t *page_bytes, size_t max_bytes)
{
	size_t budget = TLFILE_STEP;

	if (c->held) {
		cJSON_AddItemToArray(page, c->held);
		*page_bytes += c->held_bytes;
		c->held = NULL;
	}
	while (!c->ended) {
		struct vd_tl_rec r;
		int64_t b;
		int e = tlfile_iter_next(c->it, &r, &budget);

		if (e == -EAGAIN)
			return TLFILE_AGAIN;
		if (e < 0)
			return e;
		if (e == 0) {
			c->ended = true;
			if (c->in_bucket && (e = emit(c, page, page_bytes, max_bytes)) != TLFILE_AGAIN)
				return e;
			break;
		}
		if (r.time < c->since || r.time >= c->until)
			continue;
		b = floor_to(r.time, c->res);
		if (c->in_bucket && b != c->bucket) {
			e = emit(c, page, page_bytes, max_bytes);
			if (e < 0)
				return e;
			c->in_bucket = true;
			c->bucket = b;
			if (vd_tl_acc_add_rec(c->acc, &r) < 0)
				return -ENOMEM;
			if (e == TLFILE_FULL)
				return TLFILE_FULL;
			continue;
		}
		c->in_bucket = true;
		c->bucket = b;
		if (vd_tl_acc_add_rec(c->acc, &r) < 0)
			return -ENOMEM;
	}
	return TLFILE_END;
}
