/* OpenVPN control-channel packets for the handshake probe. The formats follow
 * OpenVPN 2.6's ssl_pkt.c (swap_hmac, tls_wrap_control), tls_crypt.c,
 * reliable.c (ack arrays) and packet_id.c (long-form replay ids). */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "vpndoctor/ovpn_wire.h"

#define HDR_LEN (1 + VD_OVPN_SID_LEN) /* opcode/key id + session id */
#define PID_LEN 8                     /* replay packet id + time, long form */
#define KEY_HALF 64                   /* struct key: cipher[64], hmac[64] */
#define MAX_DIGEST 64
#define CRYPT_TAG_LEN 32 /* HMAC-SHA256 */
#define CRYPT_KEY_LEN 32 /* AES-256 */
#define CRYPT_IV_LEN 16
#define CRYPT_OFF_TAG (HDR_LEN + PID_LEN)
#define CRYPT_OFF_CT (CRYPT_OFF_TAG + CRYPT_TAG_LEN)
/* Ack count, the acks, their session id and the message packet id: all a
 * reply's plaintext the parser looks at. */
#define INNER_HEAD_MAX (1 + 4 * VD_OVPN_MAX_ACKS + VD_OVPN_SID_LEN + 4)

static const char key_begin[] = "-----BEGIN OpenVPN Static key V1-----";
static const char key_end[] = "-----END OpenVPN Static key V1-----";

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* [*s, *e) without surrounding blanks. */
static void trim(const char **s, const char **e)
{
	while (*s < *e && is_space(**s))
		(*s)++;
	while (*e > *s && is_space((*e)[-1]))
		(*e)--;
}

static bool line_is(const char *s, const char *e, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(e - s) == n && memcmp(s, word, n) == 0;
}

int vd_ovpn_static_key_parse(const char *text, size_t len, struct vd_ovpn_static_key *ret)
{
	struct vd_ovpn_static_key k;
	const char *p = text, *end = text + len;
	enum { BEFORE, INSIDE, DONE } state = BEFORE;
	size_t n = 0;
	int hi = -1;

	if (!text || !ret)
		return -EINVAL;
	while (p < end && state != DONE) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *s = p, *e = nl ? nl : end;

		p = nl ? nl + 1 : end;
		trim(&s, &e);
		if (state == BEFORE) {
			if (line_is(s, e, key_begin))
				state = INSIDE;
			/* openvpn --genkey writes '#' comments before the marker;
			 * inline blocks may carry anything there. */
			continue;
		}
		if (line_is(s, e, key_end)) {
			state = DONE;
			break;
		}
		for (; s < e; s++) {
			int v;

			if (is_space(*s))
				continue;
			v = hexval(*s);
			if (v < 0)
				return -EINVAL;
			if (hi < 0) {
				hi = v;
				continue;
			}
			if (n == sizeof(k.data))
				return -ERANGE;
			k.data[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (state != DONE || hi >= 0)
		return -EINVAL;
	if (n != sizeof(k.data))
		return -ERANGE;
	*ret = k;
	OPENSSL_cleanse(&k, sizeof(k));
	return 0;
}

const char *vd_ovpn_reply_kind_name(enum vd_ovpn_reply_kind k)
{
	switch (k) {
	case VD_OVPN_REPLY_ANSWERED:
		return "answered";
	case VD_OVPN_REPLY_ACK_ONLY:
		return "ack-only";
	case VD_OVPN_REPLY_WRONG_SESSION:
		return "wrong-session";
	case VD_OVPN_REPLY_UNEXPECTED:
		return "unexpected";
	case VD_OVPN_REPLY_BAD_HMAC:
		return "bad-hmac";
	case VD_OVPN_REPLY_NOT_OPENVPN:
		return "not-openvpn";
	}
	return "unknown";
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The key of a struct key2 (OpenVPN's crypto_read_openvpn_key layout). */
static const uint8_t *cipher_key(const struct vd_ovpn_wrap *w, unsigned idx)
{
	return w->key.data + idx * 2 * KEY_HALF;
}

static const uint8_t *hmac_key(const struct vd_ovpn_wrap *w, unsigned idx)
{
	return w->key.data + idx * 2 * KEY_HALF + KEY_HALF;
}

/* key_direction_state_init(): which of the two keys each way uses. */
static unsigned auth_key_index(enum vd_ovpn_key_dir d, bool outgoing)
{
	switch (d) {
	case VD_OVPN_KEYDIR_0:
		return outgoing ? 0 : 1;
	case VD_OVPN_KEYDIR_1:
		return outgoing ? 1 : 0;
	case VD_OVPN_KEYDIR_BIDI:
		break;
	}
	return 0;
}

/* tls_crypt_init_key(): a server is KEY_DIRECTION_NORMAL, a client INVERSE. */
static unsigned crypt_key_index(bool server, bool outgoing)
{
	return (server == outgoing) ? 0 : 1;
}

struct mac {
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
	size_t size;
};

static void mac_free(struct mac *m)
{
	EVP_MAC_CTX_free(m->ctx);
	EVP_MAC_free(m->mac);
	m->ctx = NULL;
	m->mac = NULL;
}

static int mac_init(struct mac *m, const char *digest, const uint8_t *key)
{
	OSSL_PARAM params[2];
	char name[64];
	EVP_MD *md;
	int size;

	m->mac = NULL;
	m->ctx = NULL;
	if (strlen(digest) >= sizeof(name))
		return -ENOTSUP;
	strcpy(name, digest);
	md = EVP_MD_fetch(NULL, name, NULL);
	if (!md)
		return -ENOTSUP;
	size = EVP_MD_get_size(md);
	EVP_MD_free(md);
	if (size <= 0 || size > MAX_DIGEST)
		return -ENOTSUP;
	m->size = (size_t)size;
	m->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!m->mac)
		return -EIO;
	m->ctx = EVP_MAC_CTX_new(m->mac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* OpenVPN keys the HMAC with the first digest-size bytes of the half. */
	if (!m->ctx || !EVP_MAC_init(m->ctx, key, m->size, params)) {
		mac_free(m);
		return -EIO;
	}
	return 0;
}

static int mac_update(struct mac *m, const uint8_t *p, size_t n)
{
	return EVP_MAC_update(m->ctx, p, n) ? 0 : -EIO;
}

static int mac_final(struct mac *m, uint8_t out[MAX_DIGEST])
{
	size_t n = 0;

	return EVP_MAC_final(m->ctx, out, &n, MAX_DIGEST) && n == m->size ? 0 : -EIO;
}

static const char *auth_digest(const struct vd_ovpn_wrap *w)
{
	return w->digest[0] ? w->digest : "SHA1";
}

/* AES-256-CTR with the first 128 bits of the tag as IV; encrypting and
 * decrypting are the same keystream XOR. */
static EVP_CIPHER_CTX *ctr_init(const uint8_t *key, const uint8_t *tag)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, "AES-256-CTR", NULL);
	EVP_CIPHER_CTX *ctx = c ? EVP_CIPHER_CTX_new() : NULL;

	if (ctx && !EVP_EncryptInit_ex2(ctx, c, key, tag, NULL)) {
		EVP_CIPHER_CTX_free(ctx);
		ctx = NULL;
	}
	EVP_CIPHER_free(c);
	return ctx;
}

static int ctr_apply(EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in, size_t n)
{
	int outl = 0;

	if (n > (size_t)INT32_MAX)
		return -EIO;
	if (!EVP_EncryptUpdate(ctx, out, &outl, in, (int)n) || (size_t)outl != n)
		return -EIO;
	return 0;
}

static bool wrap_valid(const struct vd_ovpn_wrap *w)
{
	if (!w)
		return true;
	if (w->mode != VD_OVPN_WRAP_NONE && w->mode != VD_OVPN_WRAP_AUTH &&
	    w->mode != VD_OVPN_WRAP_CRYPT)
		return false;
	if (w->key_dir != VD_OVPN_KEYDIR_BIDI && w->key_dir != VD_OVPN_KEYDIR_0 &&
	    w->key_dir != VD_OVPN_KEYDIR_1)
		return false;
	return memchr(w->digest, '\0', sizeof(w->digest)) != NULL;
}

/* Writes [op][sid] + the wrap + `inner` (acks, message id, payload), as
 * tls_wrap_control() does, after the TCP length when asked for. */
static int wrap_packet(const struct vd_ovpn_wrap *w, bool server, uint8_t header,
		       const uint8_t sid[VD_OVPN_SID_LEN], const uint8_t *inner, size_t inner_len,
		       uint32_t replay_id, uint32_t replay_time, bool tcp,
		       uint8_t *buf, size_t cap, size_t *ret_len)
{
	enum vd_ovpn_wrap_mode mode = w ? w->mode : VD_OVPN_WRAP_NONE;
	size_t off = tcp ? 2 : 0, total;
	uint8_t *p, pid[PID_LEN], digest[MAX_DIGEST];
	struct mac m = {0};
	EVP_CIPHER_CTX *c;
	int r;

	put_be32(pid, replay_id);
	put_be32(pid + 4, replay_time);
	if (mode == VD_OVPN_WRAP_AUTH) {
		r = mac_init(&m, auth_digest(w), hmac_key(w, auth_key_index(w->key_dir, true)));
		if (r < 0)
			return r;
		total = HDR_LEN + m.size + PID_LEN + inner_len;
	} else if (mode == VD_OVPN_WRAP_CRYPT) {
		r = mac_init(&m, "SHA256", hmac_key(w, crypt_key_index(server, true)));
		if (r < 0)
			return r;
		total = CRYPT_OFF_CT + inner_len;
	} else {
		total = HDR_LEN + inner_len;
	}
	if (total + off > cap || total > UINT16_MAX) {
		mac_free(&m);
		return -ENOSPC;
	}
	p = buf + off;
	p[0] = header;
	memcpy(p + 1, sid, VD_OVPN_SID_LEN);
	switch (mode) {
	case VD_OVPN_WRAP_NONE:
		memcpy(p + HDR_LEN, inner, inner_len);
		break;
	case VD_OVPN_WRAP_AUTH:
		/* The HMAC covers pid+time, then opcode and session id, then the
		 * rest; on the wire it sits between the session id and the pid
		 * (swap_hmac). */
		r = mac_update(&m, pid, PID_LEN);
		if (!r)
			r = mac_update(&m, p, HDR_LEN);
		if (!r)
			r = mac_update(&m, inner, inner_len);
		if (!r)
			r = mac_final(&m, digest);
		if (r < 0)
			goto out;
		memcpy(p + HDR_LEN, digest, m.size);
		memcpy(p + HDR_LEN + m.size, pid, PID_LEN);
		memcpy(p + HDR_LEN + m.size + PID_LEN, inner, inner_len);
		break;
	case VD_OVPN_WRAP_CRYPT:
		memcpy(p + HDR_LEN, pid, PID_LEN);
		r = mac_update(&m, p, CRYPT_OFF_TAG);
		if (!r)
			r = mac_update(&m, inner, inner_len);
		if (!r)
			r = mac_final(&m, digest);
		if (r < 0)
			goto out;
		memcpy(p + CRYPT_OFF_TAG, digest, CRYPT_TAG_LEN);
		c = ctr_init(cipher_key(w, crypt_key_index(server, true)), digest);
		r = c ? ctr_apply(c, p + CRYPT_OFF_CT, inner, inner_len) : -EIO;
		EVP_CIPHER_CTX_free(c);
		if (r < 0)
			goto out;
		break;
	}
	if (tcp) {
		buf[0] = (uint8_t)(total >> 8);
		buf[1] = (uint8_t)total;
	}
	*ret_len = total + off;
	r = 0;
out:
	OPENSSL_cleanse(digest, sizeof(digest));
	mac_free(&m);
	return r;
}

int vd_ovpn_reset_build(const struct vd_ovpn_wrap *w, const uint8_t sid[VD_OVPN_SID_LEN],
			uint32_t replay_id, uint32_t replay_time, bool tcp,
			uint8_t *buf, size_t cap, size_t *ret_len)
{
	/* No acks, message packet id 0: the client's first reliable packet. */
	static const uint8_t inner[1 + 4] = {0};

	if (!sid || !buf || !ret_len || !wrap_valid(w))
		return -EINVAL;
	return wrap_packet(w, false, VD_OVPN_P_CONTROL_HARD_RESET_CLIENT_V2 << 3, sid,
			   inner, sizeof(inner), replay_id, replay_time, tcp, buf, cap, ret_len);
}

int vd_ovpn_server_reset_build(const struct vd_ovpn_wrap *w,
			       const uint8_t server_sid[VD_OVPN_SID_LEN],
			       const uint8_t client_sid[VD_OVPN_SID_LEN],
			       uint32_t replay_id, uint32_t replay_time, bool tcp,
			       uint8_t *buf, size_t cap, size_t *ret_len)
{
	/* tls_reset_standalone(): one ack of packet id 0, the client's session
	 * id, then our own message packet id 0. */
	uint8_t inner[1 + 4 + VD_OVPN_SID_LEN + 4] = {1};

	if (!server_sid || !client_sid || !buf || !ret_len || !wrap_valid(w))
		return -EINVAL;
	memcpy(inner + 5, client_sid, VD_OVPN_SID_LEN);
	return wrap_packet(w, true, VD_OVPN_P_CONTROL_HARD_RESET_SERVER_V2 << 3, server_sid,
			   inner, sizeof(inner), replay_id, replay_time, tcp, buf, cap, ret_len);
}

int vd_ovpn_tcp_unframe(const uint8_t *buf, size_t len, const uint8_t **pkt, size_t *pkt_len)
{
	size_t n;

	if (!buf || !pkt || !pkt_len)
		return -EINVAL;
	if (len < 2)
		return -EAGAIN;
	n = (size_t)buf[0] << 8 | buf[1];
	if (n == 0)
		return -EBADMSG;
	if (len < 2 + n)
		return -EAGAIN;
	*pkt = buf + 2;
	*pkt_len = n;
	return (int)(2 + n);
}

static bool opcode_known(unsigned op)
{
	return op >= 1 && op <= VD_OVPN_P_CONTROL_WKC_V1;
}

/* Verifies a tls-auth packet; points *inner at the rest after the replay
 * pid. Leaves *inner alone when the packet is too short to hold the HMAC. */
static int unwrap_auth(const struct vd_ovpn_wrap *w, const uint8_t *pkt, size_t len,
		       struct vd_ovpn_reply *rep, const uint8_t **inner, size_t *inner_len)
{
	uint8_t digest[MAX_DIGEST];
	struct mac m;
	const uint8_t *pid;
	int r;

	r = mac_init(&m, auth_digest(w), hmac_key(w, auth_key_index(w->key_dir, false)));
	if (r < 0)
		return r;
	if (len < HDR_LEN + m.size + PID_LEN) {
		mac_free(&m);
		rep->kind = VD_OVPN_REPLY_NOT_OPENVPN;
		return 0;
	}
	/* swap_hmac()'s internal order: [pid][op][sid][rest]. */
	pid = pkt + HDR_LEN + m.size;
	r = mac_update(&m, pid, PID_LEN);
	if (!r)
		r = mac_update(&m, pkt, HDR_LEN);
	if (!r)
		r = mac_update(&m, pid + PID_LEN, len - (size_t)(pid + PID_LEN - pkt));
	if (!r)
		r = mac_final(&m, digest);
	if (r < 0)
		goto out;
	rep->replay_id = get_be32(pid);
	rep->replay_time = get_be32(pid + 4);
	if (CRYPTO_memcmp(digest, pkt + HDR_LEN, m.size) != 0)
		rep->kind = VD_OVPN_REPLY_BAD_HMAC;
	*inner = pid + PID_LEN;
	*inner_len = len - (size_t)(pid + PID_LEN - pkt);
out:
	OPENSSL_cleanse(digest, sizeof(digest));
	mac_free(&m);
	return r;
}

/* Decrypts and verifies a tls-crypt packet in chunks, keeping the first
 * INNER_HEAD_MAX plaintext bytes in `head` (*inner) and the full length in
 * *inner_len. Leaves *inner alone when the packet is too short. */
static int unwrap_crypt(const struct vd_ovpn_wrap *w, const uint8_t *pkt, size_t len,
			struct vd_ovpn_reply *rep, uint8_t head[INNER_HEAD_MAX],
			const uint8_t **inner, size_t *inner_len)
{
	uint8_t digest[MAX_DIGEST], chunk[256];
	const uint8_t *ct = pkt + CRYPT_OFF_CT;
	EVP_CIPHER_CTX *c = NULL;
	struct mac m;
	size_t n, done = 0;
	int r;

	if (len < CRYPT_OFF_CT) {
		rep->kind = VD_OVPN_REPLY_NOT_OPENVPN;
		return 0;
	}
	r = mac_init(&m, "SHA256", hmac_key(w, crypt_key_index(false, false)));
	if (r < 0)
		return r;
	c = ctr_init(cipher_key(w, crypt_key_index(false, false)), pkt + CRYPT_OFF_TAG);
	if (!c)
		r = -EIO;
	if (!r)
		r = mac_update(&m, pkt, CRYPT_OFF_TAG);
	n = len - CRYPT_OFF_CT;
	while (!r && done < n) {
		size_t k = n - done < sizeof(chunk) ? n - done : sizeof(chunk);

		r = ctr_apply(c, chunk, ct + done, k);
		if (!r)
			r = mac_update(&m, chunk, k);
		if (!r && done < INNER_HEAD_MAX)
			memcpy(head + done, chunk,
			       k < INNER_HEAD_MAX - done ? k : INNER_HEAD_MAX - done);
		done += k;
	}
	if (!r)
		r = mac_final(&m, digest);
	if (!r) {
		rep->replay_id = get_be32(pkt + HDR_LEN);
		rep->replay_time = get_be32(pkt + HDR_LEN + 4);
		if (CRYPTO_memcmp(digest, pkt + CRYPT_OFF_TAG, CRYPT_TAG_LEN) != 0)
			rep->kind = VD_OVPN_REPLY_BAD_HMAC;
		*inner = head;
		*inner_len = n;
	}
	OPENSSL_cleanse(digest, sizeof(digest));
	OPENSSL_cleanse(chunk, sizeof(chunk));
	EVP_CIPHER_CTX_free(c);
	mac_free(&m);
	return r;
}

/* reliable_ack_read() + the message packet id. `p` holds at least
 * min(len, INNER_HEAD_MAX) bytes. */
static void parse_inner(const uint8_t *sid, const uint8_t *p, size_t len,
			struct vd_ovpn_reply *rep)
{
	size_t need, off;
	bool acks_us = false;

	rep->kind = VD_OVPN_REPLY_NOT_OPENVPN;
	if (len < 1)
		return;
	rep->n_acks = p[0];
	if (rep->n_acks > VD_OVPN_MAX_ACKS) {
		rep->n_acks = 0;
		return;
	}
	need = 1 + 4 * (size_t)rep->n_acks + (rep->n_acks ? VD_OVPN_SID_LEN : 0);
	if (len < need) {
		rep->n_acks = 0;
		return;
	}
	for (unsigned i = 0; i < rep->n_acks; i++)
		rep->acks[i] = get_be32(p + 1 + 4 * i);
	off = 1 + 4 * (size_t)rep->n_acks;
	if (rep->n_acks) {
		memcpy(rep->acked_sid, p + off, VD_OVPN_SID_LEN);
		off += VD_OVPN_SID_LEN;
	}
	if (rep->opcode != VD_OVPN_P_ACK_V1) {
		if (len < off + 4)
			return;
		rep->has_msg_id = true;
		rep->msg_id = get_be32(p + off);
		off += 4;
	}
	rep->payload_len = len - off;
	if (rep->n_acks && memcmp(rep->acked_sid, sid, VD_OVPN_SID_LEN) == 0)
		for (unsigned i = 0; i < rep->n_acks; i++)
			if (rep->acks[i] == 0)
				acks_us = true;
	switch (rep->opcode) {
	case VD_OVPN_P_CONTROL_HARD_RESET_SERVER_V2:
		rep->kind = rep->key_id != 0 ? VD_OVPN_REPLY_UNEXPECTED
			    : acks_us      ? VD_OVPN_REPLY_ANSWERED
					   : VD_OVPN_REPLY_WRONG_SESSION;
		break;
	case VD_OVPN_P_ACK_V1:
		rep->kind = acks_us ? VD_OVPN_REPLY_ACK_ONLY : VD_OVPN_REPLY_WRONG_SESSION;
		break;
	default:
		rep->kind = VD_OVPN_REPLY_UNEXPECTED;
		break;
	}
}

int vd_ovpn_reply_parse(const struct vd_ovpn_wrap *w, const uint8_t sid[VD_OVPN_SID_LEN],
			const uint8_t *pkt, size_t len, struct vd_ovpn_reply *ret)
{
	enum vd_ovpn_wrap_mode mode = w ? w->mode : VD_OVPN_WRAP_NONE;
	struct vd_ovpn_reply rep = {.kind = VD_OVPN_REPLY_NOT_OPENVPN};
	uint8_t head[INNER_HEAD_MAX];
	const uint8_t *inner = NULL;
	size_t inner_len = 0;
	int r = 0;

	if (!sid || (!pkt && len) || !ret || !wrap_valid(w))
		return -EINVAL;
	if (len < HDR_LEN)
		goto done;
	rep.opcode = pkt[0] >> 3;
	rep.key_id = pkt[0] & 7;
	if (!opcode_known(rep.opcode))
		goto done;
	memcpy(rep.server_sid, pkt + 1, VD_OVPN_SID_LEN);
	/* No server sends data to a session without keys, and data packets
	 * carry no control header to check: what looks like one ('H' of an
	 * HTTP answer is P_DATA_V2) is taken for something else. */
	if (rep.opcode == VD_OVPN_P_DATA_V1 || rep.opcode == VD_OVPN_P_DATA_V2)
		goto done;
	switch (mode) {
	case VD_OVPN_WRAP_NONE:
		inner = pkt + HDR_LEN;
		inner_len = len - HDR_LEN;
		break;
	case VD_OVPN_WRAP_AUTH:
		r = unwrap_auth(w, pkt, len, &rep, &inner, &inner_len);
		break;
	case VD_OVPN_WRAP_CRYPT:
		r = unwrap_crypt(w, pkt, len, &rep, head, &inner, &inner_len);
		break;
	}
	if (r < 0)
		goto out;
	if (rep.kind == VD_OVPN_REPLY_BAD_HMAC || !inner)
		goto done;
	parse_inner(sid, inner, inner_len, &rep);
done:
	*ret = rep;
out:
	OPENSSL_cleanse(head, sizeof(head));
	return r;
}
