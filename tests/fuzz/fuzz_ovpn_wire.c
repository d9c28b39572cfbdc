/* libFuzzer target for lib/ovpn_wire.c: the first byte picks how the reply
 * is read (bare, tls-auth SHA1 key-direction 1, tls-auth SHA256 without,
 * tls-crypt), the rest is one reply datagram and also a TCP stream of
 * framed replies; the whole input is also tried as a static key file. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpndoctor/ovpn_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t SID[VD_OVPN_SID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};

/* The keys of tests/unit/test_ovpn_wire.c, whose real server replies are
 * the seed corpus: the seeds reach past the HMAC. */
static const char TA_KEY[] =
	"#\n"
	"# 2048 bit OpenVPN static key\n"
	"#\n"
	"-----BEGIN OpenVPN Static key V1-----\n"
	"27bc8c777b01997523b811f810a09a8f\n"
	"0e3845a8fc1cfea92244bf3682c1dd92\n"
	"69b36d647abdfa29d19ae5c260fc4a77\n"
	"35c3e1c777ad9712a1fb9c61718bd634\n"
	"d188f6d8440d0b341c25312f4ee98ca5\n"
	"82b2312c2ad7282d4654c0f4a58a914a\n"
	"e5ccd63be52b752c51ffb961964fb68a\n"
	"3b5a98464f835f065621249deaab1377\n"
	"191399c82458cae17454153618b79a75\n"
	"e8e6ed0f2278e70335722b88add984c0\n"
	"c47bfaf8e456cb7a3832474c44baf0eb\n"
	"2fc125f092eaff954f8b607fb7d2a679\n"
	"1c98c84aaa1b2b9b7cb4301e74fdb069\n"
	"78dd10dad7ed7db95632998d6420082b\n"
	"fe81a315feb2f07c591216ef87271541\n"
	"02d06ef7ce0a1bd26005a21fddbdc1f2\n"
	"-----END OpenVPN Static key V1-----\n";
static const char TC_KEY[] =
	"#\n"
	"# 2048 bit OpenVPN static key\n"
	"#\n"
	"-----BEGIN OpenVPN Static key V1-----\n"
	"a0c60003c52251a4207f163c07ba11fe\n"
	"e6df7ee8492690bb13d531ed23f4569e\n"
	"6f367b7c6dfe31097badb2e89d9b566d\n"
	"60287081e4179b4998640729eea8f25e\n"
	"1c6fafa2d720ba9c4248da63918efda2\n"
	"8265a5739d812f876d3269211aa8c337\n"
	"1ac802537c808795a4db5c98b81df063\n"
	"d7fc53019ec25daea2fcbb7d092d7b0b\n"
	"72a8a00237ddc73e1d4c4f95be316539\n"
	"3fc8c0c87868e60a79132ab3e5fb51d2\n"
	"5ec214fbb4db46779749874129b61bc2\n"
	"1e6b0d7c6e197a60e75a68d5aba33d2d\n"
	"fcfe1afc99b4ba7262d1e73468f5d1de\n"
	"524ae956d4e0f3ed33ac25192679de3d\n"
	"6a3b3bfa4cc2330550e06420549db4d6\n"
	"25f73f4d1a16a3ea32655b196cc37eb6\n"
	"-----END OpenVPN Static key V1-----\n";

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
