/* The OpenVPN control-channel packets of a handshake probe: the client's hard
 * reset (bare, tls-auth or tls-crypt; UDP or TCP framing) and the server's answer. */
#ifndef VPNDOCTOR_OVPN_WIRE_H
#define VPNDOCTOR_OVPN_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VD_OVPN_SID_LEN 8
#define VD_OVPN_STATIC_KEY_LEN 256 /* two keys of 64 cipher + 64 HMAC bytes */
#define VD_OVPN_MAX_ACKS 8         /* RELIABLE_ACK_SIZE: more is not OpenVPN */
/* Largest packet vd_ovpn_reset_build writes: TCP length, tls-auth with SHA512. */
#define VD_OVPN_RESET_MAX 128

/* Opcodes, in the top five bits of the first byte (key id in the low three). */
enum {
	VD_OVPN_P_CONTROL_SOFT_RESET_V1 = 3,
	VD_OVPN_P_CONTROL_V1 = 4,
	VD_OVPN_P_ACK_V1 = 5,
	VD_OVPN_P_DATA_V1 = 6,
	VD_OVPN_P_CONTROL_HARD_RESET_CLIENT_V2 = 7,
	VD_OVPN_P_CONTROL_HARD_RESET_SERVER_V2 = 8,
	VD_OVPN_P_DATA_V2 = 9,
	VD_OVPN_P_CONTROL_HARD_RESET_CLIENT_V3 = 10,
	VD_OVPN_P_CONTROL_WKC_V1 = 11,
};

/* "OpenVPN Static key V1" (openvpn --genkey secret). */
struct vd_ovpn_static_key {
	uint8_t data[VD_OVPN_STATIC_KEY_LEN];
};

/* Parses the PEM-like text: '#' comment lines, the BEGIN/END markers, 256 bytes
 * of hex between them. Returns 0, -EINVAL (malformed) or -ERANGE (wrong length). */
int vd_ovpn_static_key_parse(const char *text, size_t len, struct vd_ovpn_static_key *ret);

enum vd_ovpn_wrap_mode {
	VD_OVPN_WRAP_NONE,
	VD_OVPN_WRAP_AUTH,  /* tls-auth: HMAC with the profile's `auth` digest */
	VD_OVPN_WRAP_CRYPT, /* tls-crypt: AES-256-CTR + HMAC-SHA256, fixed directions */
};

/* `key-direction` of tls-auth (tls-crypt ignores it: a client always sends
 * with key 1 and receives with key 0). */
enum vd_ovpn_key_dir {
	VD_OVPN_KEYDIR_BIDI, /* no key-direction: both ways use key 0 */
	VD_OVPN_KEYDIR_0,    /* sends with key 0, receives with key 1 (servers) */
	VD_OVPN_KEYDIR_1,    /* sends with key 1, receives with key 0 (clients) */
};

struct vd_ovpn_wrap {
	enum vd_ovpn_wrap_mode mode;
	enum vd_ovpn_key_dir key_dir;
	char digest[32]; /* tls-auth: OpenSSL digest name; "" means SHA1 */
	struct vd_ovpn_static_key key;
};

/* Writes P_CONTROL_HARD_RESET_CLIENT_V2 with key id 0, session id `sid`, no
 * acks and message packet id 0, wrapped as `w` says (NULL: bare). `replay_id`
 * and `replay_time` are the tls-auth/tls-crypt replay packet id (a client's
 * first is 1) and its time (epoch seconds). With `tcp`, the 2-byte big-endian
 * length comes first. Returns 0, -EINVAL, -ENOSPC (cap too small), -ENOTSUP
 * (digest unknown to OpenSSL or longer than 64 bytes) or -EIO (OpenSSL failed). */
int vd_ovpn_reset_build(const struct vd_ovpn_wrap *w, const uint8_t sid[VD_OVPN_SID_LEN],
			uint32_t replay_id, uint32_t replay_time, bool tcp,
			uint8_t *buf, size_t cap, size_t *ret_len);

/* TCP: the first packet in `buf`. Returns the bytes it takes (length field
 * included) and sets *pkt and *pkt_len, -EAGAIN when more bytes are needed, or
 * -EBADMSG for a zero length (no OpenVPN peer sends one). */
int vd_ovpn_tcp_unframe(const uint8_t *buf, size_t len, const uint8_t **pkt, size_t *pkt_len);

enum vd_ovpn_reply_kind {
	VD_OVPN_REPLY_ANSWERED,      /* HARD_RESET_SERVER_V2 acking our session id */
	VD_OVPN_REPLY_ACK_ONLY,      /* P_ACK_V1 acking our session: the reset may follow */
	VD_OVPN_REPLY_WRONG_SESSION, /* a well-formed reply that acks another session or none */
	VD_OVPN_REPLY_UNEXPECTED,    /* well formed, authenticated, but another opcode */
	VD_OVPN_REPLY_BAD_HMAC,      /* the tls-auth HMAC or tls-crypt tag does not verify */
	VD_OVPN_REPLY_NOT_OPENVPN,   /* too short, unknown or data opcode, truncated fields */
};

const char *vd_ovpn_reply_kind_name(enum vd_ovpn_reply_kind k);

struct vd_ovpn_reply {
	enum vd_ovpn_reply_kind kind;
	unsigned opcode, key_id;
	uint8_t server_sid[VD_OVPN_SID_LEN];
	uint32_t replay_id, replay_time; /* tls-auth/tls-crypt only */
	unsigned n_acks;
	uint32_t acks[VD_OVPN_MAX_ACKS];
	uint8_t acked_sid[VD_OVPN_SID_LEN]; /* valid when n_acks > 0 */
	bool has_msg_id;                    /* all but P_ACK_V1 */
	uint32_t msg_id;
	size_t payload_len; /* bytes after the message packet id (TLS or TLVs) */
};

/* Classifies one UDP datagram (or one unframed TCP packet) sent to the client
 * whose session id is `sid`, unwrapping it as `w` says (NULL: bare). Returns 0
 * with ret->kind set (fields as far as they were read), -EINVAL, -ENOTSUP or
 * -EIO as vd_ovpn_reset_build. */
int vd_ovpn_reply_parse(const struct vd_ovpn_wrap *w, const uint8_t sid[VD_OVPN_SID_LEN],
			const uint8_t *pkt, size_t len, struct vd_ovpn_reply *ret);

/* A server's side, for tests and the lab's fake gateways: writes
 * HARD_RESET_SERVER_V2 from `server_sid` acking packet id 0 of `client_sid`,
 * wrapped as a server does (tls-crypt: key 0 out; tls-auth: w->key_dir as
 * the server's). Same returns as vd_ovpn_reset_build. */
int vd_ovpn_server_reset_build(const struct vd_ovpn_wrap *w,
			       const uint8_t server_sid[VD_OVPN_SID_LEN],
			       const uint8_t client_sid[VD_OVPN_SID_LEN],
			       uint32_t replay_id, uint32_t replay_time, bool tcp,
			       uint8_t *buf, size_t cap, size_t *ret_len);

#endif
