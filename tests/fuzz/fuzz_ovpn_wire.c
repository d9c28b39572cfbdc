/* libFuzzer target for lib/ovpn_wire.c: the first byte picks how the reply
 * is read (bare, tls-auth SHA1 key-direction 1, tls-auth SHA256 without,
 * tls-crypt), the rest is one reply datagram and also a TCP stream of
 * framed replies; the whole input is also tried as a static key file. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* the keys of the unit test, whose real server replies are the seed corpus:
 * the seeds reach past the HMAC */
#include "ovpn_test_keys.h"
#include "vpndoctor/ovpn_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t SID[VD_OVPN_SID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};


static void check(const struct vd_ovpn_wrap *w, const uint8_t *p, size_t n)
{
	struct vd_ovpn_reply r;

	if (vd_ovpn_reply_parse(w, SID, p, n, &r) != 0)
		abort();
	if (r.n_acks > VD_OVPN_MAX_ACKS || r.payload_len > n)
		abort();
	/* An answer acks packet 0 of our session, always. */
	if (r.kind == VD_OVPN_REPLY_ANSWERED || r.kind == VD_OVPN_REPLY_ACK_ONLY) {
		bool zero = false;

		if (r.n_acks == 0 || memcmp(r.acked_sid, SID, sizeof(SID)) != 0)
			abort();
		for (unsigned i = 0; i < r.n_acks; i++)
			zero |= r.acks[i] == 0;
		if (!zero)
			abort();
	}
	if (strcmp(vd_ovpn_reply_kind_name(r.kind), "unknown") == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vd_ovpn_wrap w[4];
	static bool init;
	struct vd_ovpn_static_key k;
	const struct vd_ovpn_wrap *wp;
	size_t off;

	if (!init) {
		if (vd_ovpn_static_key_parse(TA_KEY, strlen(TA_KEY), &w[1].key) != 0 ||
		    vd_ovpn_static_key_parse(TC_KEY, strlen(TC_KEY), &w[3].key) != 0)
			abort();
		w[2].key = w[1].key;
		w[1].mode = VD_OVPN_WRAP_AUTH;
		w[1].key_dir = VD_OVPN_KEYDIR_1;
		w[2].mode = VD_OVPN_WRAP_AUTH;
		strcpy(w[2].digest, "SHA256");
		w[3].mode = VD_OVPN_WRAP_CRYPT;
		init = true;
	}
	(void)vd_ovpn_static_key_parse((const char *)data, size, &k);
	if (size < 1)
		return 0;
	wp = &w[data[0] & 3];
	data++;
	size--;
	check(wp, data, size);
	for (off = 0; off < size;) {
		const uint8_t *p;
		size_t n;
		int r = vd_ovpn_tcp_unframe(data + off, size - off, &p, &n);

		if (r < 0)
			break;
		if ((size_t)r != n + 2 || p != data + off + 2 || off + (size_t)r > size)
			abort();
		check(wp, p, n);
		off += (size_t)r;
	}
	return 0;
}
