/* Timeline records: their encoding, the file's header and name, merging, and
 * JSON. The layout is written out byte by byte (little-endian), never as a
 * struct, so a file means the same whatever compiler or machine wrote it. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "vpndoctor/timeline.h"

/* ---- names ---------------------------------------------------------------- */

static const char *const state_names[VD_TL_STATE_N] = {
	"unknown", "connected", "connecting", "reconnecting", "exited", "absent",
};
static const char *const health_names[VD_TL_HEALTH_N] = {"unknown", "healthy", "degraded", "broken"};

const char *vd_tl_state_name(enum vd_tl_state s)
{
	return (unsigned)s < VD_TL_STATE_N ? state_names[s] : "unknown";
}

enum vd_tl_state vd_tl_state_parse(const char *s)
{
	for (unsigned i = 0; s && i < VD_TL_STATE_N; i++)
		if (strcmp(s, state_names[i]) == 0)
			return (enum vd_tl_state)i;
	return VD_TL_STATE_UNKNOWN;
}

const char *vd_tl_health_name(enum vd_tl_health h)
{
	return (unsigned)h < VD_TL_HEALTH_N ? health_names[h] : "unknown";
}

enum vd_tl_health vd_tl_health_parse(const char *s)
{
	for (unsigned i = 0; s && i < VD_TL_HEALTH_N; i++)
		if (strcmp(s, health_names[i]) == 0)
			return (enum vd_tl_health)i;
	return VD_TL_HEALTH_UNKNOWN;
}

/* ---- CRC-32 ------------------------------------------------------------------ */

/* Reflected polynomial 0xEDB88320, a nibble at a time: a 16-entry table is
 * small enough to write down and fast enough for a 1.3 MB scan. */
uint32_t vd_crc32(const void *data, size_t len)
{
	static const uint32_t t[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
		0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	const uint8_t *p = data;
	uint32_t c = 0xffffffffu;

	while (len--) {
		c ^= *p++;
		c = (c >> 4) ^ t[c & 15];
		c = (c >> 4) ^ t[c & 15];
	}
	return c ^ 0xffffffffu;
}

/* ---- encoding ---------------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void putf(uint8_t *p, float f)
{
	uint32_t v;

	memcpy(&v, &f, sizeof(v));
	put32(p, v);
}

static float getf(const uint8_t *p)
{
	uint32_t v = get32(p);
	float f;

	memcpy(&f, &v, sizeof(f));
	return f;
}

static uint16_t sat16(uint32_t v)
{
	return v > 0xffff ? 0xffff : (uint16_t)v;
}

/* Offsets of the record's fields. */
enum {
	R_SEQ = 0, R_TIME = 8, R_PERIOD = 16, R_STATE = 18, R_HEALTH = 19,
	R_IN_SENT = 20, R_IN_RECV = 22, R_REFL_SENT = 24, R_REFL_RECV = 26, R_OUT_SENT = 28, R_OUT_RECV = 30,
	R_IN_RTT = 32,   /* min, median, p95, jitter */
	R_OUT_RTT = 48,  /* the same */
	R_HANDSHAKE = 64, R_CLOCK = 68, R_RX = 72, R_TX = 76, R_RX_PEAK = 80, R_TX_PEAK = 84,
	R_PERIODS = 88,  /* u32 */
	R_END = 92,      /* reserved up to R_CRC: zero */
	R_CRC = VD_TL_REC_SIZE - 4,
};

static void put_echo(uint8_t *p, const struct vd_tl_echo *e)
{
	putf(p, e->rtt_min_ms);
	putf(p + 4, e->rtt_median_ms);
	putf(p + 8, e->rtt_p95_ms);
	putf(p + 12, e->jitter_ms);
}

static void get_echo(const uint8_t *p, struct vd_tl_echo *e)
{
	e->rtt_min_ms = getf(p);
	e->rtt_median_ms = getf(p + 4);
	e->rtt_p95_ms = getf(p + 8);
	e->jitter_ms = getf(p + 12);
}

void vd_tl_rec_init(struct vd_tl_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->period_s = VD_TL_PERIOD;
	r->periods = 1;
	r->inside.rtt_min_ms = r->inside.rtt_median_ms = r->inside.rtt_p95_ms = r->inside.jitter_ms = NAN;
	r->outside = r->inside;
	r->handshake_ms = r->clock_offset_s = NAN;
	r->rx_mbps = r->tx_mbps = r->rx_peak_mbps = r->tx_peak_mbps = NAN;
}

bool vd_tl_rec_empty(const struct vd_tl_rec *r)
{
	return r->inside.sent == 0 && r->outside.sent == 0 && r->reflected_sent == 0 && isnan(r->handshake_ms) &&
	       isnan(r->clock_offset_s) && isnan(r->rx_mbps) && isnan(r->tx_mbps);
}

void vd_tl_rec_encode(const struct vd_tl_rec *r, uint8_t out[VD_TL_REC_SIZE])
{
	memset(out, 0, VD_TL_REC_SIZE);
	put64(out + R_SEQ, r->seq);
	put64(out + R_TIME, (uint64_t)r->time);
	put16(out + R_PERIOD, sat16(r->period_s));
	out[R_STATE] = r->state;
	out[R_HEALTH] = r->health;
	put16(out + R_IN_SENT, sat16(r->inside.sent));
	put16(out + R_IN_RECV, sat16(r->inside.received));
	put16(out + R_REFL_SENT, sat16(r->reflected_sent));
	put16(out + R_REFL_RECV, sat16(r->reflected_received));
	put16(out + R_OUT_SENT, sat16(r->outside.sent));
	put16(out + R_OUT_RECV, sat16(r->outside.received));
	put_echo(out + R_IN_RTT, &r->inside);
	put_echo(out + R_OUT_RTT, &r->outside);
	putf(out + R_HANDSHAKE, r->handshake_ms);
	putf(out + R_CLOCK, r->clock_offset_s);
	putf(out + R_RX, r->rx_mbps);
	putf(out + R_TX, r->tx_mbps);
	putf(out + R_RX_PEAK, r->rx_peak_mbps);
	putf(out + R_TX_PEAK, r->tx_peak_mbps);
	put32(out + R_PERIODS, r->periods);
	put32(out + R_CRC, vd_crc32(out, R_CRC));
}

int vd_tl_rec_decode(const uint8_t in[VD_TL_REC_SIZE], struct vd_tl_rec *r)
{
	uint64_t seq = get64(in + R_SEQ);

	if (seq == 0)
		return -ENOENT;
	if (get32(in + R_CRC) != vd_crc32(in, R_CRC))
		return -EBADMSG;
	for (size_t i = R_END; i < R_CRC; i++)
		if (in[i])
			return -EBADMSG;
	if (in[R_STATE] >= VD_TL_STATE_N || in[R_HEALTH] >= VD_TL_HEALTH_N || get16(in + R_PERIOD) == 0)
		return -EBADMSG;
	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->time = (int64_t)get64(in + R_TIME);
	r->period_s = get16(in + R_PERIOD);
	r->periods = get32(in + R_PERIODS);
	r->state = in[R_STATE];
	r->health = in[R_HEALTH];
	r->inside.sent = get16(in + R_IN_SENT);
	r->inside.received = get16(in + R_IN_RECV);
	r->reflected_sent = get16(in + R_REFL_SENT);
	r->reflected_received = get16(in + R_REFL_RECV);
	r->outside.sent = get16(in + R_OUT_SENT);
	r->outside.received = get16(in + R_OUT_RECV);
	get_echo(in + R_IN_RTT, &r->inside);
	get_echo(in + R_OUT_RTT, &r->outside);
	r->handshake_ms = getf(in + R_HANDSHAKE);
	r->clock_offset_s = getf(in + R_CLOCK);
	r->rx_mbps = getf(in + R_RX);
	r->tx_mbps = getf(in + R_TX);
	r->rx_peak_mbps = getf(in + R_RX_PEAK);
	r->tx_peak_mbps = getf(in + R_TX_PEAK);
	return 0;
}

/* ---- header -------------------------------------------------------------------- */

static const char tl_magic[8] = {'V', 'D', 'T', 'L', 'I', 'N', 'E', '\n'};

enum {
	H_MAGIC = 0, H_VERSION = 8, H_REC_SIZE = 12, H_SLOTS = 16, H_PERIOD = 20, H_CREATED = 24,
	H_NAME = 32, H_CRC = H_NAME + VD_TL_NAME_MAX + 4, H_USED = H_CRC + 4,
};

void vd_tl_header_encode(const char *tunnel, int64_t created, uint8_t out[VD_TL_HEADER_SIZE])
{
	size_t n = tunnel ? strnlen(tunnel, VD_TL_NAME_MAX) : 0;

	memset(out, 0, VD_TL_HEADER_SIZE);
	memcpy(out + H_MAGIC, tl_magic, sizeof(tl_magic));
	put32(out + H_VERSION, VD_TL_VERSION);
	put32(out + H_REC_SIZE, VD_TL_REC_SIZE);
	put32(out + H_SLOTS, VD_TL_SLOTS);
	put32(out + H_PERIOD, VD_TL_PERIOD);
	put64(out + H_CREATED, (uint64_t)created);
	memcpy(out + H_NAME, tunnel, n);
	put32(out + H_CRC, vd_crc32(out, H_CRC));
}

int vd_tl_header_decode(const uint8_t in[VD_TL_HEADER_SIZE], char tunnel[VD_TL_NAME_MAX + 1], int64_t *created)
{
	if (memcmp(in + H_MAGIC, tl_magic, sizeof(tl_magic)) != 0 || get32(in + H_CRC) != vd_crc32(in, H_CRC) ||
	    get32(in + H_VERSION) != VD_TL_VERSION || get32(in + H_REC_SIZE) != VD_TL_REC_SIZE ||
	    get32(in + H_SLOTS) != VD_TL_SLOTS || get32(in + H_PERIOD) != VD_TL_PERIOD)
		return -EBADMSG;
	if (tunnel) {
		memcpy(tunnel, in + H_NAME, VD_TL_NAME_MAX);
		tunnel[VD_TL_NAME_MAX] = '\0';
	}
	if (created)
		*created = (int64_t)get64(in + H_CREATED);
	return 0;
}

/* ---- file names ------------------------------------------------------------------ */

static bool name_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == '@' || c == '-';
}

int vd_tl_file_name(const char *tunnel, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n, o = sizeof(VD_TL_FILE_PREFIX) - 1;

	if (!tunnel || !*tunnel || (n = strlen(tunnel)) > VD_TL_NAME_MAX || len < VD_TL_FILE_NAME_MAX)
		return -EINVAL;
	memcpy(buf, VD_TL_FILE_PREFIX, o);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tunnel[i];

		if (name_plain(c)) {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '%';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	buf[o] = '\0';
	return 0;
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int vd_tl_file_tunnel(const char *file, char *buf, size_t len)
{
	size_t pl = sizeof(VD_TL_FILE_PREFIX) - 1, o = 0;
	const char *p;

	if (!file || strncmp(file, VD_TL_FILE_PREFIX, pl) != 0 || !file[pl])
		return -EINVAL;
	for (p = file + pl; *p; p++) {
		int c = (unsigned char)*p;

		if (*p == '%') {
			int hi = unhex(p[1]), lo = hi < 0 ? -1 : unhex(p[2]);

			/* only the one spelling this encoding makes */
			if (lo < 0 || name_plain((unsigned char)(hi << 4 | lo)) || (hi << 4 | lo) == 0)
				return -EINVAL;
			c = hi << 4 | lo;
			p += 2;
		} else if (!name_plain((unsigned char)c)) {
			return -EINVAL;
		}
		if (o + 1 >= len || o >= VD_TL_NAME_MAX)
			return -EINVAL;
		buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return 0;
}

/* ---- merging ------------------------------------------------------------------------ */

struct wv {
	float v;
	uint32_t w;
};

struct wlist {
	struct wv *v;
	size_t n, cap;
};

struct echo_acc {
	uint64_t sent, received;
	float min;
	struct wlist med, p95;
	double jit_sum, jit_w;
};

struct mean {
	double sum;
	unsigned n;
};

struct vd_tl_acc {
	struct echo_acc in, out;
	uint64_t refl_sent, refl_recv;
	struct mean hs, clock, rx, tx;
	float rx_peak, tx_peak;
	uint8_t state, health;
	bool have;   /* any measurement */
	size_t parts;
	uint64_t periods;
};

/* Far more than a day of minutes in one bucket: a bound on what a caller can
 * make this hold, past which parts are counted but not kept. */
#define WLIST_MAX 8192

static int wlist_add(struct wlist *l, double v, uint32_t w)
{
	if (isnan(v) || w == 0)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct wv *nv;

		if (l->n >= WLIST_MAX)
			return 0;
		nv = realloc(l->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = (struct wv){(float)v, w};
	return 0;
}

static int wv_cmp(const void *a, const void *b)
{
	float x = ((const struct wv *)a)->v, y = ((const struct wv *)b)->v;

	return x < y ? -1 : x > y;
}

/* The value where the weights, in order of value, first reach q of their
 * sum; sorts l in place (callers are done adding). */
static float wlist_quantile(const struct wlist *l, double q)
{
	uint64_t total = 0, run = 0;

	if (l->n == 0)
		return NAN;
	if (l->n == 1)
		return l->v[0].v;
	qsort(l->v, l->n, sizeof(*l->v), wv_cmp);
	for (size_t i = 0; i < l->n; i++)
		total += l->v[i].w;
	for (size_t i = 0; i < l->n; i++) {
		run += l->v[i].w;
		if ((double)run >= q * (double)total)
			return l->v[i].v;
	}
	return l->v[l->n - 1].v;
}

static void echo_reset(struct echo_acc *e)
{
	free(e->med.v);
	free(e->p95.v);
	memset(e, 0, sizeof(*e));
	e->min = NAN;
}

struct vd_tl_acc *vd_tl_acc_new(void)
{
	struct vd_tl_acc *a = calloc(1, sizeof(*a));

	if (a)
		vd_tl_acc_reset(a);
	return a;
}

void vd_tl_acc_reset(struct vd_tl_acc *a)
{
	echo_reset(&a->in);
	echo_reset(&a->out);
	a->refl_sent = a->refl_recv = 0;
	memset(&a->hs, 0, sizeof(a->hs));
	a->clock = a->rx = a->tx = a->hs;
	a->rx_peak = a->tx_peak = NAN;
	a->state = VD_TL_STATE_UNKNOWN;
	a->health = VD_TL_HEALTH_UNKNOWN;
	a->have = false;
	a->parts = 0;
	a->periods = 0;
}

void vd_tl_acc_free(struct vd_tl_acc *a)
{
	if (!a)
		return;
	echo_reset(&a->in);
	echo_reset(&a->out);
	free(a);
}

bool vd_tl_acc_has_data(const struct vd_tl_acc *a)
{
	return a->have;
}

size_t vd_tl_acc_parts(const struct vd_tl_acc *a)
{
	return a->parts;
}

static void mean_add(struct mean *m, double v)
{
	if (isnan(v) || isinf(v))
		return;
	m->sum += v;
	m->n++;
}

static float mean_of(const struct mean *m)
{
	return m->n ? (float)(m->sum / m->n) : NAN;
}

static float fmin_nan(float a, double b)
{
	if (isnan(b))
		return a;
	return isnan(a) || b < a ? (float)b : a;
}

static float fmax_nan(float a, double b)
{
	if (isnan(b))
		return a;
	return isnan(a) || b > a ? (float)b : a;
}

static struct echo_acc *echo_of(struct vd_tl_acc *a, char which)
{
	return which == 'o' ? &a->out : &a->in;
}

int vd_tl_acc_add_echo(struct vd_tl_acc *a, char which, uint32_t sent, uint32_t received, double rtt_min,
                       double rtt_median, double rtt_p95, double jitter)
{
	struct echo_acc *e = echo_of(a, which);

	if (sent == 0)
		return 0;
	if (received > sent)
		received = sent;
	a->have = true;
	e->sent += sent;
	e->received += received;
	if (received == 0)
		return 0; /* no reply is no round trip */
	e->min = fmin_nan(e->min, rtt_min);
	if (!isnan(jitter) && !isinf(jitter)) {
		e->jit_sum += jitter * received;
		e->jit_w += received;
	}
	if (wlist_add(&e->med, rtt_median, received) < 0 || wlist_add(&e->p95, rtt_p95, received) < 0)
		return -ENOMEM;
	return 0;
}

void vd_tl_acc_add_reflected(struct vd_tl_acc *a, uint32_t sent, uint32_t received)
{
	if (sent == 0)
		return;
	a->have = true;
	a->refl_sent += sent;
	a->refl_recv += received > sent ? sent : received;
}

void vd_tl_acc_add_handshake(struct vd_tl_acc *a, double ms)
{
	if (isnan(ms))
		return;
	a->have = true;
	mean_add(&a->hs, ms);
}

void vd_tl_acc_add_clock(struct vd_tl_acc *a, double offset_s)
{
	if (isnan(offset_s))
		return;
	a->have = true;
	mean_add(&a->clock, offset_s);
}

void vd_tl_acc_add_rates(struct vd_tl_acc *a, double rx, double tx, double rx_peak, double tx_peak)
{
	if (isnan(rx) && isnan(tx))
		return;
	a->have = true;
	mean_add(&a->rx, rx);
	mean_add(&a->tx, tx);
	a->rx_peak = fmax_nan(a->rx_peak, rx_peak);
	a->tx_peak = fmax_nan(a->tx_peak, tx_peak);
}

void vd_tl_acc_set_state(struct vd_tl_acc *a, enum vd_tl_state s)
{
	a->state = (uint8_t)s;
}

void vd_tl_acc_set_health(struct vd_tl_acc *a, enum vd_tl_health h)
{
	/* the worst: broken > degraded > healthy > unknown */
	if ((uint8_t)h > a->health)
		a->health = (uint8_t)h;
}

int vd_tl_acc_add_rec(struct vd_tl_acc *a, const struct vd_tl_rec *r)
{
	int e;

	a->parts++;
	a->periods += r->periods ? r->periods : 1;
	/* the record's own counts and figures as one part each */
	e = vd_tl_acc_add_echo(a, 'i', r->inside.sent, r->inside.received, r->inside.rtt_min_ms,
	                       r->inside.rtt_median_ms, r->inside.rtt_p95_ms, r->inside.jitter_ms);
	if (e == 0)
		e = vd_tl_acc_add_echo(a, 'o', r->outside.sent, r->outside.received, r->outside.rtt_min_ms,
		                       r->outside.rtt_median_ms, r->outside.rtt_p95_ms, r->outside.jitter_ms);
	vd_tl_acc_add_reflected(a, r->reflected_sent, r->reflected_received);
	vd_tl_acc_add_handshake(a, r->handshake_ms);
	vd_tl_acc_add_clock(a, r->clock_offset_s);
	vd_tl_acc_add_rates(a, r->rx_mbps, r->tx_mbps, r->rx_peak_mbps, r->tx_peak_mbps);
	vd_tl_acc_set_state(a, (enum vd_tl_state)r->state);
	vd_tl_acc_set_health(a, (enum vd_tl_health)r->health);
	return e;
}

static uint32_t sat32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static void echo_result(const struct echo_acc *e, struct vd_tl_echo *o)
{
	o->sent = sat32(e->sent);
	o->received = sat32(e->received);
	o->rtt_min_ms = e->min;
	o->rtt_median_ms = wlist_quantile(&e->med, 0.5);
	o->rtt_p95_ms = wlist_quantile(&e->p95, 0.95);
	o->jitter_ms = e->jit_w > 0 ? (float)(e->jit_sum / e->jit_w) : NAN;
}

void vd_tl_acc_result(const struct vd_tl_acc *a, int64_t time, uint32_t period_s, struct vd_tl_rec *out)
{
	vd_tl_rec_init(out);
	out->time = time;
	out->period_s = period_s;
	out->periods = a->periods ? sat32(a->periods) : 1;
	out->state = a->state;
	out->health = a->health;
	echo_result(&a->in, &out->inside);
	echo_result(&a->out, &out->outside);
	out->reflected_sent = sat32(a->refl_sent);
	out->reflected_received = sat32(a->refl_recv);
	out->handshake_ms = mean_of(&a->hs);
	out->clock_offset_s = mean_of(&a->clock);
	out->rx_mbps = mean_of(&a->rx);
	out->tx_mbps = mean_of(&a->tx);
	out->rx_peak_mbps = a->rx_peak;
	out->tx_peak_mbps = a->tx_peak;
}

/* ---- JSON ---------------------------------------------------------------------------- */

/* Figures to a tenth of a microsecond's worth of digits: a float holds about
 * seven, and "12.300000190734863" says nothing the reader needs. */
static double round_fig(double v)
{
	double m = fabs(v) >= 100 ? 100 : fabs(v) >= 1 ? 1000 : 1e6;

	return round(v * m) / m;
}

static bool add_fig(cJSON *o, const char *k, double v)
{
	if (isnan(v) || isinf(v))
		return true;
	return cJSON_AddNumberToObject(o, k, round_fig(v)) != NULL;
}

static bool add_echo(cJSON *o, const char *k, uint32_t sent, uint32_t received, const struct vd_tl_echo *e)
{
	cJSON *x;

	if (sent == 0)
		return true;
	x = cJSON_AddObjectToObject(o, k);
	if (!x || !cJSON_AddNumberToObject(x, "sent", sent) || !cJSON_AddNumberToObject(x, "received", received) ||
	    !cJSON_AddNumberToObject(x, "loss_pct", round_fig(100.0 * (double)(sent - received) / sent)))
		return false;
	if (e && !(add_fig(x, "rtt_min_ms", e->rtt_min_ms) && add_fig(x, "rtt_median_ms", e->rtt_median_ms) &&
	           add_fig(x, "rtt_p95_ms", e->rtt_p95_ms) && add_fig(x, "jitter_ms", e->jitter_ms)))
		return false;
	return true;
}

cJSON *vd_tl_rec_to_json(const struct vd_tl_rec *r, const char *tunnel)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddStringToObject(o, "tunnel", tunnel ? tunnel : "") ||
	    !cJSON_AddNumberToObject(o, "time", (double)r->time) ||
	    !cJSON_AddNumberToObject(o, "period_s", r->period_s) ||
	    !cJSON_AddNumberToObject(o, "periods", r->periods) ||
	    !cJSON_AddStringToObject(o, "state", vd_tl_state_name((enum vd_tl_state)r->state)) ||
	    !cJSON_AddStringToObject(o, "health", vd_tl_health_name((enum vd_tl_health)r->health)) ||
	    !add_echo(o, "inside", r->inside.sent, r->inside.received, &r->inside) ||
	    !add_echo(o, "reflected", r->reflected_sent, r->reflected_received, NULL) ||
	    !add_echo(o, "outside", r->outside.sent, r->outside.received, &r->outside) ||
	    !add_fig(o, "handshake_ms", r->handshake_ms) || !add_fig(o, "clock_offset_s", r->clock_offset_s) ||
	    !add_fig(o, "rx_mbps", r->rx_mbps) || !add_fig(o, "tx_mbps", r->tx_mbps) ||
	    !add_fig(o, "rx_peak_mbps", r->rx_peak_mbps) || !add_fig(o, "tx_peak_mbps", r->tx_peak_mbps)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}
