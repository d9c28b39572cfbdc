/* The reflector's wire format and its guards: an HMAC-SHA256 request (time,
 * nonce, echo count), the answer (loss, RTT, the source seen), a replay cache
 * and token-bucket rate limits. Pure: the caller brings the clock. */
#ifndef VPNDOCTOR_REFLECTOR_H
#define VPNDOCTOR_REFLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VD_RFL_VERSION 1
#define VD_RFL_NONCE_LEN 16
#define VD_RFL_MAC_LEN 32
#define VD_RFL_KEY_MIN 16          /* bytes of key file (after trimming) */
#define VD_RFL_KEY_MAX 512
#define VD_RFL_MAX_COUNT 20        /* echoes per request */
#define VD_RFL_WINDOW_S 30         /* a request's time may differ from ours by this much */
/* The request is padded to the answer's size or more, so that an answer
 * never amplifies what a (replayed or forged) request could trigger. */
#define VD_RFL_REQUEST_LEN 96
#define VD_RFL_RESPONSE_LEN 92

struct vd_rfl_request {
	int64_t timestamp;                 /* the client's clock, epoch seconds */
	uint8_t nonce[VD_RFL_NONCE_LEN];   /* random, never reused */
	uint8_t count;                     /* echoes wanted: 1..VD_RFL_MAX_COUNT */
};

enum vd_rfl_status {
	VD_RFL_OK = 0,           /* pinged: the counts are the measurement */
	VD_RFL_RATE_LIMITED = 1, /* this source, or everyone, asked too often */
	VD_RFL_BUSY = 2,         /* too many measurements in flight */
	VD_RFL_FAILED = 3,       /* the reflector could not send echoes */
};

const char *vd_rfl_status_name(enum vd_rfl_status s); /* "ok", "rate-limited", "busy", "failed" */

struct vd_rfl_response {
	uint8_t nonce[VD_RFL_NONCE_LEN]; /* the request's */
	enum vd_rfl_status status;
	uint8_t sent, received;
	uint32_t rtt_min_us, rtt_avg_us, rtt_max_us; /* 0 without replies */
	int family;                      /* AF_INET or AF_INET6: the source the reflector saw */
	uint8_t addr[16];
	uint16_t port;
};

/* Builds into buf (cap >= VD_RFL_REQUEST_LEN); returns the length or -EINVAL
 * (count out of range, key length) / -ENOSPC / -EIO (HMAC failed). */
int vd_rfl_request_build(const struct vd_rfl_request *q, const uint8_t *key, size_t keylen, uint8_t *buf,
                         size_t cap);
/* Checks size, version and MAC (in constant time). Returns 0, -EBADMSG (not
 * a request), -EPROTONOSUPPORT (another version), -EACCES (wrong MAC) or
 * -EINVAL. Freshness and replay are the caller's: vd_rfl_fresh, vd_rfl_replay. */
int vd_rfl_request_parse(const uint8_t *buf, size_t len, const uint8_t *key, size_t keylen,
                         struct vd_rfl_request *ret);

int vd_rfl_response_build(const struct vd_rfl_response *a, const uint8_t *key, size_t keylen, uint8_t *buf,
                          size_t cap);
int vd_rfl_response_parse(const uint8_t *buf, size_t len, const uint8_t *key, size_t keylen,
                          struct vd_rfl_response *ret);

/* |now - timestamp| <= VD_RFL_WINDOW_S. */
bool vd_rfl_fresh(int64_t timestamp, int64_t now);

/* Nonces seen within the window. A full cache of live entries refuses new
 * ones (fails closed); the rate limits keep it from filling. */
#define VD_RFL_REPLAY_MAX 1024
struct vd_rfl_replay {
	struct {
		uint8_t nonce[VD_RFL_NONCE_LEN];
		int64_t expires;
	} v[VD_RFL_REPLAY_MAX];
	size_t n;
};

/* Records the nonce of a fresh request. Returns 0, -EALREADY (a replay) or
 * -ENOSPC (full). */
int vd_rfl_replay_add(struct vd_rfl_replay *r, const uint8_t nonce[VD_RFL_NONCE_LEN], int64_t timestamp,
                      int64_t now);

struct vd_rfl_bucket {
	double tokens;
	int64_t last_ms;
	bool init;
};

/* Token bucket: rate tokens a second up to burst; takes one if there is one. */
bool vd_rfl_bucket_take(struct vd_rfl_bucket *b, double rate, double burst, int64_t now_ms);

/* One bucket per source (the least recently used one is reused when the
 * table is full) and one for everyone. */
#define VD_RFL_SOURCES_MAX 256
struct vd_rfl_limits {
	double src_rate, src_burst, all_rate, all_burst;
	struct {
		int family;
		uint8_t addr[16];
		struct vd_rfl_bucket b;
	} src[VD_RFL_SOURCES_MAX];
	size_t n;
	struct vd_rfl_bucket all;
};

void vd_rfl_limits_init(struct vd_rfl_limits *l, double src_rate, double src_burst, double all_rate,
                        double all_burst);
/* 0: go ahead; -EAGAIN: this source is over its rate; -EBUSY: everyone is. */
int vd_rfl_limits_take(struct vd_rfl_limits *l, int family, const uint8_t *addr, int64_t now_ms);

/* A key file's contents: trailing whitespace trimmed (a newline from echo or
 * an editor); VD_RFL_KEY_MIN..VD_RFL_KEY_MAX bytes remain, else -EINVAL.
 * Returns the key length. */
int vd_rfl_key_from_text(const uint8_t *text, size_t len, uint8_t *key, size_t cap);

#endif
