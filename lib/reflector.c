/* The reflector protocol (see reflector.h). Both messages are fixed-size,
 * big-endian, and end with HMAC-SHA256 over everything before it:
 *
 *   request  (96): "VDRF" ver=1 type=1 count rsv=0 | time:8 | nonce:16 | zero:32 | mac:32
 *   response (92): "VDRF" ver=1 type=2 status rsv=0 | nonce:16 | sent received rsv:2 |
 *                  rtt min avg max (us, 4 each) | family(4|6) rsv port:2 | addr:16 | mac:32
 *
 * The response carries the request's nonce, so it cannot be replayed onto
 * another request, and its own MAC, so a forged one is dropped. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "vpndoctor/reflector.h"

#define MAGIC "VDRF"
#define TYPE_REQUEST 1
#define TYPE_RESPONSE 2
#define REQ_MAC_AT (VD_RFL_REQUEST_LEN - VD_RFL_MAC_LEN)
#define RSP_MAC_AT (VD_RFL_RESPONSE_LEN - VD_RFL_MAC_LEN)

const char *vd_rfl_status_name(enum vd_rfl_status s)
{
	switch (s) {
	case VD_RFL_OK:
		return "ok";
	case VD_RFL_RATE_LIMITED:
		return "rate-limited";
	case VD_RFL_BUSY:
		return "busy";
	case VD_RFL_FAILED:
		return "failed";
	}
	return "?";
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static bool key_ok(const uint8_t *key, size_t keylen)
{
	return key && keylen >= VD_RFL_KEY_MIN && keylen <= VD_RFL_KEY_MAX;
}

static int mac(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len, uint8_t out[VD_RFL_MAC_LEN])
{
	unsigned n = 0;

	if (!HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &n) || n != VD_RFL_MAC_LEN)
		return -EIO;
	return 0;
}

static int mac_check(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len, const uint8_t *want)
{
	uint8_t m[VD_RFL_MAC_LEN];

	if (mac(key, keylen, data, len, m) < 0)
		return -EIO;
	return CRYPTO_memcmp(m, want, VD_RFL_MAC_LEN) == 0 ? 0 : -EACCES;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

int vd_rfl_request_build(const struct vd_rfl_request *q, const uint8_t *key, size_t keylen, uint8_t *buf,
                         size_t cap)
{
	if (!q || !buf || !key_ok(key, keylen) || q->count < 1 || q->count > VD_RFL_MAX_COUNT)
		return -EINVAL;
	if (cap < VD_RFL_REQUEST_LEN)
		return -ENOSPC;
	memset(buf, 0, VD_RFL_REQUEST_LEN);
	memcpy(buf, MAGIC, 4);
	buf[4] = VD_RFL_VERSION;
	buf[5] = TYPE_REQUEST;
	buf[6] = q->count;
	put_be(buf + 8, (uint64_t)q->timestamp, 8);
	memcpy(buf + 16, q->nonce, VD_RFL_NONCE_LEN);
	if (mac(key, keylen, buf, REQ_MAC_AT, buf + REQ_MAC_AT) < 0)
		return -EIO;
	return VD_RFL_REQUEST_LEN;
}

int vd_rfl_request_parse(const uint8_t *buf, size_t len, const uint8_t *key, size_t keylen,
                         struct vd_rfl_request *ret)
{
	struct vd_rfl_request q;
	int r;

	if (!buf || !ret || !key_ok(key, keylen))
		return -EINVAL;
	if (len != VD_RFL_REQUEST_LEN || memcmp(buf, MAGIC, 4) != 0 || buf[5] != TYPE_REQUEST)
		return -EBADMSG;
	if (buf[4] != VD_RFL_VERSION)
		return -EPROTONOSUPPORT;
	if ((r = mac_check(key, keylen, buf, REQ_MAC_AT, buf + REQ_MAC_AT)) < 0)
		return r;
	/* authentic, yet not what this version sends: refuse it all the same */
	if (buf[6] < 1 || buf[6] > VD_RFL_MAX_COUNT || buf[7] != 0 || !all_zero(buf + 32, 32))
		return -EBADMSG;
	q.count = buf[6];
	q.timestamp = (int64_t)get_be(buf + 8, 8);
	memcpy(q.nonce, buf + 16, VD_RFL_NONCE_LEN);
	*ret = q;
	return 0;
}

int vd_rfl_response_build(const struct vd_rfl_response *a, const uint8_t *key, size_t keylen, uint8_t *buf,
                          size_t cap)
{
	if (!a || !buf || !key_ok(key, keylen) || a->sent > VD_RFL_MAX_COUNT || a->received > a->sent ||
	    (a->family != AF_INET && a->family != AF_INET6) || (unsigned)a->status > VD_RFL_FAILED)
		return -EINVAL;
	if (cap < VD_RFL_RESPONSE_LEN)
		return -ENOSPC;
	memset(buf, 0, VD_RFL_RESPONSE_LEN);
	memcpy(buf, MAGIC, 4);
	buf[4] = VD_RFL_VERSION;
	buf[5] = TYPE_RESPONSE;
	buf[6] = (uint8_t)a->status;
	memcpy(buf + 8, a->nonce, VD_RFL_NONCE_LEN);
	buf[24] = a->sent;
	buf[25] = a->received;
	put_be(buf + 28, a->rtt_min_us, 4);
	put_be(buf + 32, a->rtt_avg_us, 4);
	put_be(buf + 36, a->rtt_max_us, 4);
	buf[40] = a->family == AF_INET ? 4 : 6;
	put_be(buf + 42, a->port, 2);
	memcpy(buf + 44, a->addr, a->family == AF_INET ? 4 : 16);
	if (mac(key, keylen, buf, RSP_MAC_AT, buf + RSP_MAC_AT) < 0)
		return -EIO;
	return VD_RFL_RESPONSE_LEN;
}

int vd_rfl_response_parse(const uint8_t *buf, size_t len, const uint8_t *key, size_t keylen,
                          struct vd_rfl_response *ret)
{
	struct vd_rfl_response a;
	int r;

	if (!buf || !ret || !key_ok(key, keylen))
		return -EINVAL;
	if (len != VD_RFL_RESPONSE_LEN || memcmp(buf, MAGIC, 4) != 0 || buf[5] != TYPE_RESPONSE)
		return -EBADMSG;
	if (buf[4] != VD_RFL_VERSION)
		return -EPROTONOSUPPORT;
	if ((r = mac_check(key, keylen, buf, RSP_MAC_AT, buf + RSP_MAC_AT)) < 0)
		return r;
	memset(&a, 0, sizeof(a));
	memcpy(a.nonce, buf + 8, VD_RFL_NONCE_LEN);
	a.status = (enum vd_rfl_status)buf[6];
	a.sent = buf[24];
	a.received = buf[25];
	a.rtt_min_us = (uint32_t)get_be(buf + 28, 4);
	a.rtt_avg_us = (uint32_t)get_be(buf + 32, 4);
	a.rtt_max_us = (uint32_t)get_be(buf + 36, 4);
	a.port = (uint16_t)get_be(buf + 42, 2);
	if (buf[6] > VD_RFL_FAILED || buf[7] != 0 || a.sent > VD_RFL_MAX_COUNT || a.received > a.sent ||
	    (buf[40] != 4 && buf[40] != 6) || buf[26] != 0 || buf[27] != 0 || buf[41] != 0 ||
	    (buf[40] == 4 && !all_zero(buf + 48, 12)) ||
	    (a.received && (a.rtt_min_us > a.rtt_avg_us || a.rtt_avg_us > a.rtt_max_us)))
		return -EBADMSG;
	a.family = buf[40] == 4 ? AF_INET : AF_INET6;
	memcpy(a.addr, buf + 44, a.family == AF_INET ? 4 : 16);
	*ret = a;
	return 0;
}

bool vd_rfl_fresh(int64_t timestamp, int64_t now)
{
	/* in unsigned arithmetic, so that no timestamp overflows the difference */
	uint64_t d = timestamp > now ? (uint64_t)timestamp - (uint64_t)now : (uint64_t)now - (uint64_t)timestamp;
	return d <= VD_RFL_WINDOW_S;
}

int vd_rfl_replay_add(struct vd_rfl_replay *r, const uint8_t nonce[VD_RFL_NONCE_LEN], int64_t timestamp,
                      int64_t now)
{
	size_t i, keep = 0;

	if (!r || !nonce || !vd_rfl_fresh(timestamp, now))
		return -EINVAL;
	/* drop what has expired: a request that old is refused as stale anyway */
	for (i = 0; i < r->n; i++)
		if (r->v[i].expires >= now)
			r->v[keep++] = r->v[i];
	r->n = keep;
	for (i = 0; i < r->n; i++)
		if (memcmp(r->v[i].nonce, nonce, VD_RFL_NONCE_LEN) == 0)
			return -EALREADY;
	if (r->n == VD_RFL_REPLAY_MAX)
		return -ENOSPC;
	memcpy(r->v[r->n].nonce, nonce, VD_RFL_NONCE_LEN);
	/* fresh while now <= timestamp + window: remember it that long (and a second) */
	r->v[r->n].expires = timestamp > INT64_MAX - VD_RFL_WINDOW_S - 1 ? INT64_MAX : timestamp + VD_RFL_WINDOW_S + 1;
	r->n++;
	return 0;
}

bool vd_rfl_bucket_take(struct vd_rfl_bucket *b, double rate, double burst, int64_t now_ms)
{
	if (!b->init) {
		b->tokens = burst;
		b->last_ms = now_ms;
		b->init = true;
	}
	if (now_ms > b->last_ms) {
		b->tokens += rate * ((double)now_ms - (double)b->last_ms) / 1000.0;
		if (b->tokens > burst)
			b->tokens = burst;
	}
	b->last_ms = now_ms > b->last_ms ? now_ms : b->last_ms;
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

void vd_rfl_limits_init(struct vd_rfl_limits *l, double src_rate, double src_burst, double all_rate,
                        double all_burst)
{
	memset(l, 0, sizeof(*l));
	l->src_rate = src_rate;
	l->src_burst = src_burst;
	l->all_rate = all_rate;
	l->all_burst = all_burst;
}

int vd_rfl_limits_take(struct vd_rfl_limits *l, int family, const uint8_t *addr, int64_t now_ms)
{
	size_t i, alen = family == AF_INET6 ? 16 : 4, lru = 0;

	for (i = 0; i < l->n; i++)
		if (l->src[i].family == family && memcmp(l->src[i].addr, addr, alen) == 0)
			break;
	if (i == l->n) {
		if (l->n < VD_RFL_SOURCES_MAX) {
			l->n++;
		} else {
			for (size_t k = 1; k < l->n; k++)
				if (l->src[k].b.last_ms < l->src[lru].b.last_ms)
					lru = k;
			i = lru;
		}
		memset(&l->src[i], 0, sizeof(l->src[i]));
		l->src[i].family = family;
		memcpy(l->src[i].addr, addr, alen);
	}
	/* the source's token first: one source over its rate costs the others nothing */
	if (!vd_rfl_bucket_take(&l->src[i].b, l->src_rate, l->src_burst, now_ms))
		return -EAGAIN;
	if (!vd_rfl_bucket_take(&l->all, l->all_rate, l->all_burst, now_ms))
		return -EBUSY;
	return 0;
}

int vd_rfl_key_from_text(const uint8_t *text, size_t len, uint8_t *key, size_t cap)
{
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	if (len < VD_RFL_KEY_MIN || len > VD_RFL_KEY_MAX || len > cap)
		return -EINVAL;
	memcpy(key, text, len);
	return (int)len;
}
