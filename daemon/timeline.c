/* The timeline: minute records per tunnel from the probes' sections, the ring
 * files they go to, and the queries GetTimeline pages through.
 *
 * Each tunnel has an accumulator for the minute in progress. A probe result
 * (through the model's result callback) adds its figures to it; the first
 * result of a later minute, or the timer at each minute's turn, writes the
 * minute that ended as one record, with the tunnel's last known OpenVPN state
 * and the worst health seen in it. Every tunnel the daemon knows gets a
 * record each minute, measured or not, so the state is on the time axis too.
 * A suspend leaves a gap: the timer comes late and writes one record, for the
 * minute it started in. The minute in progress is not on disk, and so not in
 * GetTimeline, until it ends (or timeline_flush writes it). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "vpndoctor/facts.h"
#include "vpndoctor/timeline.h"

#include "daemon.h"
#include "log.h"
#include "model.h"
#include "recording.h"
#include "timeline.h"
#include "tlfile.h"

struct tl_tunnel {
	char name[VD_TL_NAME_MAX + 1];
	struct tlfile *f;
	struct vd_tl_acc *acc;
	int64_t minute;     /* the minute acc is for; 0 before the first */
	uint8_t state;      /* the last OpenVPN state seen */
	bool flushed;       /* this minute went to disk early (timeline_flush) */
	bool failed;        /* the file could not be opened: said once */
	bool present;       /* still one of the daemon's tunnels */
};

struct timeline {
	struct event_base *base;
	struct vd_daemon *d;
	int dirfd;
	struct event *minute_ev;
	struct tl_tunnel **t;
	size_t n;
	struct recording *rec;
	bool full_logged;   /* TIMELINE_MAX_FILES reached: said once */
	bool write_logged;  /* a write failed: said once until one succeeds */
};

static int64_t floor_minute(int64_t t)
{
	int64_t m = t % VD_TL_PERIOD;

	return m < 0 ? t - m - VD_TL_PERIOD : t - m;
}

/* ---- what the probes' sections give -------------------------------------------- */

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static uint32_t count(const cJSON *o, const char *k)
{
	double v = num(o, k);

	return isnan(v) || v < 0 ? 0 : v > 1e9 ? 1000000000u : (uint32_t)v;
}

/* An echo object (facts: sample, echo, path). The path gives a median; the
 * ping probe a mean, which stands in for the median of its run; where no
 * p95 is given the longest round trip bounds it. */
static void feed_echo(struct vd_tl_acc *a, char which, const cJSON *e)
{
	double med = num(e, VDF_PATH_RTT_MEDIAN_MS), p95 = num(e, VDF_ECHO_RTT_P95_MS);

	if (!cJSON_IsObject(e))
		return;
	if (isnan(med))
		med = num(e, VDF_SAMPLE_RTT_AVG_MS);
	if (isnan(p95))
		p95 = num(e, VDF_SAMPLE_RTT_MAX_MS);
	vd_tl_acc_add_echo(a, which, count(e, VDF_SAMPLE_SENT), count(e, VDF_SAMPLE_RECEIVED),
	                   num(e, VDF_SAMPLE_RTT_MIN_MS), med, p95, num(e, VDF_ECHO_JITTER_MS));
}

void timeline_feed(struct vd_tl_acc *a, const char *section, const cJSON *sec)
{
	const char *status = str(sec, VDF_SECTION_STATUS);
	const cJSON *e;

	/* a run that could not measure gave no figures */
	if (!section || !status || strcmp(status, "ok") != 0)
		return;
	if (strcmp(section, VDF_TUNNEL_PING) == 0) {
		feed_echo(a, 'i', cJSON_GetObjectItemCaseSensitive(sec, VDF_PING_SERVER_END));
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(sec, VDF_PING_TARGETS))
			feed_echo(a, 'i', e);
	} else if (strcmp(section, VDF_TUNNEL_PATH) == 0) {
		feed_echo(a, 'o', sec);
	} else if (strcmp(section, VDF_TUNNEL_REFLECTOR) == 0) {
		vd_tl_acc_add_reflected(a, count(sec, VDF_SAMPLE_SENT), count(sec, VDF_SAMPLE_RECEIVED));
	} else if (strcmp(section, VDF_TUNNEL_TRANSPORT) == 0) {
		/* the tunnel's own transport: what its client's handshakes cost */
		const char *proto = str(sec, VDF_TRANSPORT_PROTO);
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(sec, proto && strcmp(proto, "tcp") == 0 ?
		                                                            VDF_TRANSPORT_TCP : VDF_TRANSPORT_UDP);
		const char *res = str(t, VDF_TRANSPORT_TRY_RESULT);

		if (res && strcmp(res, "answered") == 0)
			vd_tl_acc_add_handshake(a, num(t, VDF_TRANSPORT_TRY_RTT_MS));
	} else if (strcmp(section, VDF_TUNNEL_THROUGHPUT) == 0) {
		vd_tl_acc_add_rates(a, num(sec, VDF_THROUGHPUT_RX_MBPS), num(sec, VDF_THROUGHPUT_TX_MBPS),
		                    num(sec, VDF_THROUGHPUT_RX_PEAK_MBPS), num(sec, VDF_THROUGHPUT_TX_PEAK_MBPS));
	} else if (strcmp(section, VDF_HOST_CLOCK) == 0) {
		vd_tl_acc_add_clock(a, num(sec, VDF_CLOCK_OFFSET_S));
	}
}

/* ---- files ---------------------------------------------------------------------- */

struct tl_file_ent {
	char name[VD_TL_NAME_MAX + 1];
	int64_t mtime;
};

/* The timeline files in the directory (at most max), with their mtimes. */
static int list_files(struct timeline *tl, struct tl_file_ent **ret, size_t *n_ret)
{
	struct tl_file_ent *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int fd = dup(tl->dirfd);
	DIR *dir;

	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		int r = -errno;
		close(fd);
		return r;
	}
	rewinddir(dir);
	while ((de = readdir(dir))) {
		struct tl_file_ent ent;
		struct stat st;

		if (vd_tl_file_tunnel(de->d_name, ent.name, sizeof(ent.name)) < 0 ||
		    fstatat(tl->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		ent.mtime = (int64_t)st.st_mtime;
		if (n == cap) {
			struct tl_file_ent *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (!nv) {
				free(v);
				closedir(dir);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n++] = ent;
	}
	closedir(dir);
	*ret = v;
	*n_ret = n;
	return 0;
}

static int ent_by_name(const void *a, const void *b)
{
	return strcmp(((const struct tl_file_ent *)a)->name, ((const struct tl_file_ent *)b)->name);
}

static bool file_exists(struct timeline *tl, const char *tunnel)
{
	char fn[VD_TL_FILE_NAME_MAX];
	struct stat st;

	return vd_tl_file_name(tunnel, fn, sizeof(fn)) == 0 &&
	       fstatat(tl->dirfd, fn, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

static void remove_file(struct timeline *tl, const char *tunnel, const char *why)
{
	char fn[VD_TL_FILE_NAME_MAX];

	if (vd_tl_file_name(tunnel, fn, sizeof(fn)) < 0)
		return;
	if (unlinkat(tl->dirfd, fn, 0) < 0 && errno != ENOENT)
		log_warn("timeline: cannot remove %s", fn);
	else
		log_info("timeline: removed %s: %s", fn, why);
}

static struct tl_tunnel *tunnel_find(struct timeline *tl, const char *name)
{
	for (size_t i = 0; i < tl->n; i++)
		if (strcmp(tl->t[i]->name, name) == 0)
			return tl->t[i];
	return NULL;
}

static int ent_by_mtime(const void *a, const void *b)
{
	int64_t x = ((const struct tl_file_ent *)a)->mtime, y = ((const struct tl_file_ent *)b)->mtime;

	return x < y ? -1 : x > y;
}

/* Room for one more file: the least recently written of the tunnels that
 * are gone go; with every file a present tunnel's, there is none. */
static bool make_room(struct timeline *tl)
{
	struct tl_file_ent *v = NULL;
	size_t n = 0, over;

	if (list_files(tl, &v, &n) < 0)
		return false;
	if (n > 1)
		qsort(v, n, sizeof(*v), ent_by_mtime);
	over = n >= TIMELINE_MAX_FILES ? n - TIMELINE_MAX_FILES + 1 : 0;
	for (size_t i = 0; i < n && over > 0; i++) {
		struct tl_tunnel *tt = tunnel_find(tl, v[i].name);

		if (tt && tt->present)
			continue;
		remove_file(tl, v[i].name, "the least recently written timeline of a tunnel that is gone, for a new one");
		over--;
	}
	free(v);
	return over == 0;
}

static bool tunnel_open(struct timeline *tl, struct tl_tunnel *tt)
{
	struct tlfile_open_info info;
	int r;

	if (tt->f)
		return true;
	if (tt->failed)
		return false;
	if (!file_exists(tl, tt->name) && !make_room(tl)) {
		if (!tl->full_logged)
			log_warnx("timeline: %d tunnels have a timeline already; none is kept for %s (and others)",
			          TIMELINE_MAX_FILES, tt->name);
		tl->full_logged = true;
		tt->failed = true;
		return false;
	}
	r = tlfile_open(tl->dirfd, tt->name, model_now(tl->d), &tt->f, &info);
	if (r < 0) {
		errno = -r;
		log_warn("timeline: cannot open the timeline of %s%s", tt->name,
		         r == -EINVAL || r == -EMLINK ? " (not a regular file of its own)" : "");
		tt->failed = true;
		return false;
	}
	if (info.header_rewritten || info.resized || info.bad_slots)
		log_notice("timeline: %s: %llu records kept%s%s, %llu unreadable slots skipped", tt->name,
		           (unsigned long long)info.records, info.header_rewritten ? ", header written anew" : "",
		           info.resized ? ", size set right" : "", (unsigned long long)info.bad_slots);
	else if (info.created)
		log_info("timeline: new timeline for %s", tt->name);
	return true;
}

/* ---- minutes ------------------------------------------------------------------------ */

static enum vd_tl_health health_now(struct timeline *tl, const char *tunnel)
{
	return vd_tl_health_parse(model_health(tl->d, tunnel));
}

static void write_minute(struct timeline *tl, struct tl_tunnel *tt)
{
	struct vd_tl_rec rec;
	uint64_t dropped = 0;
	int r;

	vd_tl_acc_set_state(tt->acc, (enum vd_tl_state)tt->state);
	if (tt->present)
		vd_tl_acc_set_health(tt->acc, health_now(tl, tt->name));
	vd_tl_acc_result(tt->acc, tt->minute, VD_TL_PERIOD, &rec);
	vd_tl_acc_reset(tt->acc);
	if (!tunnel_open(tl, tt))
		return;
	r = tlfile_append(tt->f, &rec, &dropped);
	if (dropped)
		log_notice("timeline: %s: the clock went back; %llu minutes stamped after %lld dropped", tt->name,
		           (unsigned long long)dropped, (long long)rec.time);
	if (r < 0 && !tl->write_logged) {
		errno = -r;
		log_warn("timeline: cannot write the minute of %s", tt->name);
		tl->write_logged = true;
	} else if (r == 0) {
		tl->write_logged = false;
	}
}

/* Moves tt to minute m, writing the one it had. */
static void roll(struct timeline *tl, struct tl_tunnel *tt, int64_t m)
{
	if (tt->minute == m)
		return;
	if (tt->minute && (!tt->flushed || vd_tl_acc_has_data(tt->acc)))
		write_minute(tl, tt);
	vd_tl_acc_reset(tt->acc);
	tt->minute = m;
	tt->flushed = false;
}

static void tunnel_free(struct tl_tunnel *tt)
{
	if (!tt)
		return;
	tlfile_close(tt->f);
	vd_tl_acc_free(tt->acc);
	free(tt);
}

static struct tl_tunnel *tunnel_get(struct timeline *tl, const char *name, int64_t m)
{
	struct tl_tunnel *tt = tunnel_find(tl, name), **v;

	if (tt)
		return tt;
	if (strlen(name) > VD_TL_NAME_MAX)
		return NULL;
	tt = calloc(1, sizeof(*tt));
	v = tt ? realloc(tl->t, (tl->n + 1) * sizeof(*v)) : NULL;
	if (!v || !(tt->acc = vd_tl_acc_new())) {
		if (v)
			tl->t = v;
		tunnel_free(tt);
		return NULL;
	}
	tl->t = v;
	snprintf(tt->name, sizeof(tt->name), "%s", name);
	tt->minute = m;
	tt->present = true;
	tl->t[tl->n++] = tt;
	return tt;
}

static void on_result(void *userdata, const struct probe *p, const char *tunnel, enum probe_status st,
                      const cJSON *sec)
{
	struct timeline *tl = userdata;
	int64_t m = floor_minute(model_now(tl->d));
	struct tl_tunnel *tt;

	if (tl->rec)
		recording_result(tl->rec, p, tunnel, sec);
	if (!tunnel) {
		/* the host's clock belongs to every tunnel's minute */
		for (size_t i = 0; i < tl->n; i++) {
			if (!tl->t[i]->present)
				continue;
			roll(tl, tl->t[i], m);
			timeline_feed(tl->t[i]->acc, p->section, sec);
		}
		return;
	}
	tt = tunnel_get(tl, tunnel, m);
	if (!tt)
		return;
	roll(tl, tt, m);
	if (strcmp(p->section, VDF_TUNNEL_OPENVPN) == 0 && str(sec, VDF_OPENVPN_STATE))
		tt->state = (uint8_t)vd_tl_state_parse(str(sec, VDF_OPENVPN_STATE));
	timeline_feed(tt->acc, p->section, sec);
	vd_tl_acc_set_health(tt->acc, health_now(tl, tunnel));
}

/* Every minute: the minute that ended, for every tunnel; tunnels that are
 * gone write their last and are let go. */
static void minute_arm(struct timeline *tl)
{
	struct timespec now;
	struct timeval tv;
	double left;

	clock_gettime(CLOCK_REALTIME, &now);
	/* half a second past the turn, so that a result of the turn's second
	 * lands in the new minute before the old one is written */
	left = VD_TL_PERIOD - (double)(now.tv_sec % VD_TL_PERIOD) - now.tv_nsec / 1e9 + 0.5;
	tv.tv_sec = (time_t)left;
	tv.tv_usec = (suseconds_t)((left - (double)tv.tv_sec) * 1e6);
	evtimer_add(tl->minute_ev, &tv);
}

static void on_minute(evutil_socket_t fd, short what, void *arg)
{
	struct timeline *tl = arg;
	int64_t m = floor_minute(model_now(tl->d));

	for (size_t i = 0; i < tl->n; i++)
		tl->t[i]->present = false;
	for (size_t i = 0; i < daemon_n_tunnels(tl->d); i++) {
		const char *name = daemon_tunnel_name(tl->d, i);
		struct tl_tunnel *tt = name ? tunnel_get(tl, name, m) : NULL;

		if (tt) {
			tt->present = true;
			roll(tl, tt, m);
		}
	}
	for (size_t i = tl->n; i-- > 0;) {
		struct tl_tunnel *tt = tl->t[i];

		if (tt->present)
			continue;
		if (tt->minute && tt->minute != m && (!tt->flushed || vd_tl_acc_has_data(tt->acc)))
			write_minute(tl, tt);
		tunnel_free(tt);
		memmove(&tl->t[i], &tl->t[i + 1], (tl->n - i - 1) * sizeof(tl->t[0]));
		tl->n--;
	}
	minute_arm(tl);
}

void timeline_flush(struct timeline *tl)
{
	if (!tl)
		return;
	for (size_t i = 0; i < tl->n; i++) {
		struct tl_tunnel *tt = tl->t[i];

		if (!tt->minute || (tt->flushed && !vd_tl_acc_has_data(tt->acc)))
			continue;
		write_minute(tl, tt);
		tt->flushed = true;
	}
}

/* Files not written for longer than the window hold nothing it keeps. */
static void remove_expired(struct timeline *tl)
{
	struct tl_file_ent *v = NULL;
	int64_t now = model_now(tl->d);
	size_t n = 0;

	if (list_files(tl, &v, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (v[i].mtime < now - (int64_t)(VD_TL_DAYS + 1) * 86400)
			remove_file(tl, v[i].name, "nothing in it is younger than the kept window");
	free(v);
}

int timeline_new(struct event_base *base, struct vd_daemon *d, int dirfd, struct timeline **ret)
{
	struct timeline *tl = calloc(1, sizeof(*tl));

	if (!tl)
		return -ENOMEM;
	tl->base = base;
	tl->d = d;
	tl->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (tl->dirfd < 0) {
		int r = -errno;
		free(tl);
		return r;
	}
	tl->minute_ev = evtimer_new(base, on_minute, tl);
	if (!tl->minute_ev) {
		close(tl->dirfd);
		free(tl);
		return -ENOMEM;
	}
	remove_expired(tl);
	minute_arm(tl);
	daemon_set_result_cb(d, on_result, tl);
	daemon_set_timeline(d, tl);
	*ret = tl;
	return 0;
}

void timeline_free(struct timeline *tl)
{
	if (!tl)
		return;
	recording_detach(tl->rec);
	daemon_set_result_cb(tl->d, NULL, NULL);
	daemon_set_timeline(tl->d, NULL);
	timeline_flush(tl);
	for (size_t i = 0; i < tl->n; i++)
		tunnel_free(tl->t[i]);
	free(tl->t);
	event_free(tl->minute_ev);
	close(tl->dirfd);
	free(tl);
}

struct recording *timeline_recording(struct timeline *tl)
{
	return tl ? tl->rec : NULL;
}

void timeline_set_recording(struct timeline *tl, struct recording *r)
{
	tl->rec = r;
}

struct vd_daemon *timeline_daemon(struct timeline *tl)
{
	return tl->d;
}

struct event_base *timeline_base(struct timeline *tl)
{
	return tl->base;
}

/* ---- queries ------------------------------------------------------------------------ */

struct timeline_query {
	struct timeline *tl;
	struct tl_file_ent *names;
	size_t n, i;
	int64_t since, until;
	uint32_t res;
	struct tlfile_cursor *cur;
};

int timeline_query_open(struct timeline *tl, const char *tunnel, int64_t since, int64_t until, uint32_t resolution,
                        struct timeline_query **ret)
{
	struct timeline_query *q;
	int r = 0;

	if (resolution < VD_TL_PERIOD || resolution % VD_TL_PERIOD)
		return -EINVAL;
	if (tunnel && (strlen(tunnel) > VD_TL_NAME_MAX ||
	               (daemon_tunnel_index(tl->d, tunnel) < 0 && !file_exists(tl, tunnel))))
		return -ENOENT;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	if (tunnel) {
		q->names = calloc(1, sizeof(*q->names));
		if (!q->names)
			r = -ENOMEM;
		else {
			snprintf(q->names[0].name, sizeof(q->names[0].name), "%s", tunnel);
			q->n = 1;
		}
	} else {
		r = list_files(tl, &q->names, &q->n);
		if (r == 0 && q->n > 1)
			qsort(q->names, q->n, sizeof(*q->names), ent_by_name);
	}
	if (r < 0) {
		free(q);
		return r;
	}
	q->tl = tl;
	q->since = since;
	q->until = until;
	q->res = resolution;
	*ret = q;
	return 0;
}

int timeline_query_step(struct timeline_query *q, cJSON *page, size_t *page_bytes, size_t max_bytes)
{
	for (;;) {
		int r;

		if (!q->cur) {
			if (q->i >= q->n)
				return TLFILE_END;
			r = tlfile_cursor_open(q->tl->dirfd, q->names[q->i].name, q->since, q->until, q->res, &q->cur);
			if (r == -ENOMEM)
				return r;
			if (r < 0) {
				/* no file yet, or one that is not ours to read: nothing of it */
				q->i++;
				continue;
			}
		}
		r = tlfile_cursor_step(q->cur, page, page_bytes, max_bytes);
		if (r != TLFILE_END)
			return r;
		tlfile_cursor_free(q->cur);
		q->cur = NULL;
		q->i++;
		/* a file read whole is one step's reading: the next file the next turn */
		if (q->i < q->n)
			return TLFILE_AGAIN;
	}
}

void timeline_query_free(struct timeline_query *q)
{
	if (!q)
		return;
	tlfile_cursor_free(q->cur);
	free(q->names);
	free(q);
}
