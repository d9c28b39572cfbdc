/* lib/ovpn_wire.c: static keys, the client's hard reset in every wrap, and
 * replies: real OpenVPN 2.6.14 server answers (captured with
 * tests/tools/ovpn_hello --dump against `openvpn --mode server` with the keys
 * below and our session id 0102030405060708), round trips and every way a
 * reply can be broken. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ovpn_test_keys.h"
#include "vpndoctor/ovpn_wire.h"

static const uint8_t SID[8] = {1, 2, 3, 4, 5, 6, 7, 8};

/* The servers' answers to SID, as received. */
static const char REPLY_BARE[] = "40058cef1c3d505c390100000000010203040506070800000000";
/* --tls-auth ta.key 0 (SHA1), our side key-direction 1. */
static const char REPLY_AUTH[] =
	"40ff12827932bd65de5573d7c499e11beb82d36a86ca95071c64a7eadf000000016b0951da"
	"0100000000010203040506070800000000";
/* --tls-auth ta.key --auth SHA256, no key-direction. */
static const char REPLY_AUTH256[] =
	"4068fa00eedbe89f0db37f781a7ce7b501c1e98dd9040941f54f541eaae23a2099631ed8926d6b84fb"
	"000000016b0951da0100000000010203040506070800000000";
/* --tls-crypt tc.key. */
static const char REPLY_CRYPT[] =
	"40d21351a13998c145000000016b0951daed5430b49e9b948b0355b4980007ea6b4626d445b45494"
	"6ff13a962f8b1ac432deeef057ec4669acf9d1543381b5960f8e";

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s) / 2;

	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static struct vd_ovpn_wrap wrap(enum vd_ovpn_wrap_mode mode, const char *key,
				enum vd_ovpn_key_dir dir, const char *digest)
{
	struct vd_ovpn_wrap w = {.mode = mode, .key_dir = dir};

	if (key)
		assert_int_equal(vd_ovpn_static_key_parse(key, strlen(key), &w.key), 0);
	snprintf(w.digest, sizeof(w.digest), "%s", digest ? digest : "");
	return w;
}

static void test_static_key(void **state)
{
	struct vd_ovpn_static_key k;
	char buf[2048];
	const char *p;

	(void)state;
	assert_int_equal(vd_ovpn_static_key_parse(TA_KEY, strlen(TA_KEY), &k), 0);
	assert_int_equal(k.data[0], 0x27);
	assert_int_equal(k.data[1], 0xbc);
	assert_int_equal(k.data[255], 0xf2);
	assert_int_equal(k.data[128], 0x19); /* line 9: second key's cipher half */

	/* CRLF, blanks and anything before the marker, no trailing newline. */
	snprintf(buf, sizeof(buf), "<tls-auth>\r\n  %s", strstr(TA_KEY, "-----BEGIN"));
	for (char *c = buf; (c = strstr(c, "\n27bc")); c++)
		;
	assert_int_equal(vd_ovpn_static_key_parse(buf, strlen(buf) - 1, &k), 0);
	assert_int_equal(k.data[255], 0xf2);

	/* No END marker. */
	p = strstr(TA_KEY, "-----END");
	assert_int_equal(vd_ovpn_static_key_parse(TA_KEY, (size_t)(p - TA_KEY), &k), -EINVAL);
	/* No BEGIN marker. */
	assert_int_equal(vd_ovpn_static_key_parse("0011\n", 5, &k), -EINVAL);
	/* One line missing: 240 bytes. */
	snprintf(buf, sizeof(buf), "%s", TA_KEY);
	p = strstr(buf, "27bc8c777b01997523b811f810a09a8f\n");
	memmove((char *)buf + (p - buf), p + 33, strlen(p + 33) + 1);
	assert_int_equal(vd_ovpn_static_key_parse(buf, strlen(buf), &k), -ERANGE);
	/* One line too many: 272 bytes. */
	snprintf(buf, sizeof(buf), "-----BEGIN OpenVPN Static key V1-----\n00112233445566778899aabbccddeeff\n%s",
		 strstr(TA_KEY, "-----BEGIN") + 38);
	assert_int_equal(vd_ovpn_static_key_parse(buf, strlen(buf), &k), -ERANGE);
	/* Not hex. */
	snprintf(buf, sizeof(buf), "%s", TA_KEY);
	*strstr(buf, "27bc") = 'g';
	assert_int_equal(vd_ovpn_static_key_parse(buf, strlen(buf), &k), -EINVAL);
	/* An odd number of digits. */
	snprintf(buf, sizeof(buf), "%s", TA_KEY);
	p = strstr(buf, "27bc");
	memmove((char *)buf + (p - buf), p + 1, strlen(p + 1) + 1);
	assert_int_equal(vd_ovpn_static_key_parse(buf, strlen(buf), &k), -EINVAL);
	assert_int_equal(vd_ovpn_static_key_parse(NULL, 0, &k), -EINVAL);
}

static void test_reset_bare(void **state)
{
	static const uint8_t want[14] = {0x38, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0};
	uint8_t buf[VD_OVPN_RESET_MAX];
	size_t len = 0;

	(void)state;
	assert_int_equal(vd_ovpn_reset_build(NULL, SID, 1, 0, false, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 14);
	assert_memory_equal(buf, want, 14);

	assert_int_equal(vd_ovpn_reset_build(NULL, SID, 1, 0, true, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 16);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[1], 14);
	assert_memory_equal(buf + 2, want, 14);

	assert_int_equal(vd_ovpn_reset_build(NULL, SID, 1, 0, true, buf, 15, &len), -ENOSPC);
	assert_int_equal(vd_ovpn_reset_build(NULL, SID, 1, 0, false, buf, 13, &len), -ENOSPC);
	assert_int_equal(vd_ovpn_reset_build(NULL, NULL, 1, 0, false, buf, 64, &len), -EINVAL);
}

/* tls-auth: wire [op][sid][hmac][pid][time][acks][msgid], the HMAC over
 * [pid][time][op][sid][acks][msgid] with the second key's HMAC half for
 * key-direction 1 and the first key's for none. */
static void check_auth(enum vd_ovpn_key_dir dir, const char *digest, const EVP_MD *md,
		       unsigned key_idx)
{
	struct vd_ovpn_wrap w = wrap(VD_OVPN_WRAP_AUTH, TA_KEY, dir, digest);
	uint8_t buf[VD_OVPN_RESET_MAX], in[VD_OVPN_RESET_MAX], mac[64];
	unsigned hlen = (unsigned)EVP_MD_get_size(md), maclen = 0;
	size_t len = 0, n = 0;

	assert_int_equal(vd_ovpn_reset_build(&w, SID, 1, 0x6b0951da, false, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 14 + hlen + 8);
	assert_int_equal(buf[0], 0x38);
	assert_memory_equal(buf + 1, SID, 8);
	assert_memory_equal(buf + 9 + hlen, "\x00\x00\x00\x01\x6b\x09\x51\xda", 8);
	assert_memory_equal(buf + 9 + hlen + 8, "\x00\x00\x00\x00\x00", 5);

	memcpy(in + n, buf + 9 + hlen, 8), n += 8;
	memcpy(in + n, buf, 9), n += 9;
	memcpy(in + n, "\x00\x00\x00\x00\x00", 5), n += 5;
	assert_non_null(HMAC(md, w.key.data + key_idx * 128 + 64, (int)hlen, in, n, mac, &maclen));
	assert_int_equal(maclen, hlen);
	assert_memory_equal(buf + 9, mac, hlen);

	/* Over TCP: the same packet after its length. */
	assert_int_equal(vd_ovpn_reset_build(&w, SID, 1, 0x6b0951da, true, in, sizeof(in), &n), 0);
	assert_int_equal(n, len + 2);
	assert_int_equal(in[1], len);
	assert_memory_equal(in + 2, buf, len);
}

static void test_reset_auth(void **state)
{
	(void)state;
	check_auth(VD_OVPN_KEYDIR_1, "", EVP_sha1(), 1);
	check_auth(VD_OVPN_KEYDIR_0, "SHA1", EVP_sha1(), 0);
	check_auth(VD_OVPN_KEYDIR_BIDI, "SHA256", EVP_sha256(), 0);
	check_auth(VD_OVPN_KEYDIR_1, "sha512", EVP_sha512(), 1);
}

/* tls-crypt: [op][sid][pid][time][tag][AES-256-CTR(acks, msgid)], the tag an
 * HMAC-SHA256 over header and plaintext, its first 16 bytes the IV; a client
 * uses the second key of the file. */
static void test_reset_crypt(void **state)
{
	struct vd_ovpn_wrap w = wrap(VD_OVPN_WRAP_CRYPT, TC_KEY, VD_OVPN_KEYDIR_0, "SHA1");
	uint8_t buf[VD_OVPN_RESET_MAX], in[64], tag[32], pt[5];
	unsigned taglen = 0;
	size_t len = 0;
	int outl = 0;
	EVP_CIPHER_CTX *c;

	(void)state;
	assert_int_equal(vd_ovpn_reset_build(&w, SID, 1, 0x6b0951da, false, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 9 + 8 + 32 + 5);
	assert_int_equal(buf[0], 0x38);
	assert_memory_equal(buf + 1, SID, 8);
	assert_memory_equal(buf + 9, "\x00\x00\x00\x01\x6b\x09\x51\xda", 8);

	memcpy(in, buf, 17);
	memset(in + 17, 0, 5);
	assert_non_null(HMAC(EVP_sha256(), w.key.data + 128 + 64, 32, in, 22, tag, &taglen));
	assert_memory_equal(buf + 17, tag, 32);

	c = EVP_CIPHER_CTX_new();
	assert_non_null(c);
	assert_int_equal(EVP_DecryptInit_ex(c, EVP_aes_256_ctr(), NULL, w.key.data + 128, tag), 1);
	assert_int_equal(EVP_DecryptUpdate(c, pt, &outl, buf + 49, 5), 1);
	EVP_CIPHER_CTX_free(c);
	assert_int_equal(outl, 5);
	assert_memory_equal(pt, "\x00\x00\x00\x00\x00", 5);
}

static void test_reset_bad_args(void **state)
{
	struct vd_ovpn_wrap w = wrap(VD_OVPN_WRAP_AUTH, TA_KEY, VD_OVPN_KEYDIR_1, "NOSUCHDIGEST");
	uint8_t buf[VD_OVPN_RESET_MAX];
	size_t len;

	(void)state;
	assert_int_equal(vd_ovpn_reset_build(&w, SID, 1, 0, false, buf, sizeof(buf), &len), -ENOTSUP);
	snprintf(w.digest, sizeof(w.digest), "SHA1");
	assert_int_equal(vd_ovpn_reset_build(&w, SID, 1, 0, false, buf, 41, &len), -ENOSPC);
	assert_int_equal(vd_ovpn_reset_build(&w, SID, 1, 0, false, buf, 42, &len), 0);
	w.mode = 7;
	assert_int_equal(vd_ovpn_reset_build(&w, SID, 1, 0, false, buf, sizeof(buf), &len), -EINVAL);
	w.mode = VD_OVPN_WRAP_AUTH;
	w.key_dir = 9;
	assert_int_equal(vd_ovpn_reset_build(&w, SID, 1, 0, false, buf, sizeof(buf), &len), -EINVAL);
	w.key_dir = VD_OVPN_KEYDIR_1;
	memset(w.digest, 'A', sizeof(w.digest));
	assert_int_equal(vd_ovpn_reset_build(&w, SID, 1, 0, false, buf, sizeof(buf), &len), -EINVAL);
}

static void expect_answered(const struct vd_ovpn_wrap *w, const char *hex, uint32_t replay_id)
{
	uint8_t pkt[256];
	size_t n = unhex(hex, pkt, sizeof(pkt));
	struct vd_ovpn_reply r;

	assert_int_equal(vd_ovpn_reply_parse(w, SID, pkt, n, &r), 0);
	assert_string_equal(vd_ovpn_reply_kind_name(r.kind), "answered");
	assert_int_equal(r.opcode, VD_OVPN_P_CONTROL_HARD_RESET_SERVER_V2);
	assert_int_equal(r.key_id, 0);
	assert_memory_equal(r.server_sid, pkt + 1, 8);
	assert_int_equal(r.n_acks, 1);
	assert_int_equal(r.acks[0], 0);
	assert_memory_equal(r.acked_sid, SID, 8);
	assert_true(r.has_msg_id);
	assert_int_equal(r.msg_id, 0);
	assert_int_equal(r.payload_len, 0);
	assert_int_equal(r.replay_id, replay_id);
	if (replay_id)
		assert_int_equal(r.replay_time, 0x6b0951da);
}

static void test_real_replies(void **state)
{
	struct vd_ovpn_wrap auth = wrap(VD_OVPN_WRAP_AUTH, TA_KEY, VD_OVPN_KEYDIR_1, "");
	struct vd_ovpn_wrap auth256 = wrap(VD_OVPN_WRAP_AUTH, TA_KEY, VD_OVPN_KEYDIR_BIDI, "SHA256");
	struct vd_ovpn_wrap crypt = wrap(VD_OVPN_WRAP_CRYPT, TC_KEY, VD_OVPN_KEYDIR_BIDI, "");
	struct vd_ovpn_wrap none = {.mode = VD_OVPN_WRAP_NONE};
	uint8_t pkt[256];
	struct vd_ovpn_reply r;
	size_t n;

	(void)state;
	expect_answered(NULL, REPLY_BARE, 0);
	expect_answered(&none, REPLY_BARE, 0);
	expect_answered(&auth, REPLY_AUTH, 1);
	expect_answered(&auth256, REPLY_AUTH256, 1);
	expect_answered(&crypt, REPLY_CRYPT, 1);

	/* Another client's session. */
	n = unhex(REPLY_BARE, pkt, sizeof(pkt));
	assert_int_equal(vd_ovpn_reply_parse(NULL, (const uint8_t *)"\1\2\3\4\5\6\7\x09", pkt, n, &r), 0);
	assert_int_equal(r.kind, VD_OVPN_REPLY_WRONG_SESSION);

	/* The wrong key, direction or digest, or no wrap expected. */
	struct {
		struct vd_ovpn_wrap w;
		const char *hex;
		enum vd_ovpn_reply_kind want;
	} bad[] = {
		{wrap(VD_OVPN_WRAP_AUTH, TC_KEY, VD_OVPN_KEYDIR_1, ""), REPLY_AUTH, VD_OVPN_REPLY_BAD_HMAC},
		{wrap(VD_OVPN_WRAP_AUTH, TA_KEY, VD_OVPN_KEYDIR_0, ""), REPLY_AUTH, VD_OVPN_REPLY_BAD_HMAC},
		/* The server sent with key 0, which a client without
		 * key-direction also reads with (it would send with key 0 too,
		 * and that the server drops). */
		{wrap(VD_OVPN_WRAP_AUTH, TA_KEY, VD_OVPN_KEYDIR_BIDI, ""), REPLY_AUTH, VD_OVPN_REPLY_ANSWERED},
		{wrap(VD_OVPN_WRAP_AUTH, TA_KEY, VD_OVPN_KEYDIR_1, "SHA256"), REPLY_AUTH, VD_OVPN_REPLY_BAD_HMAC},
		{wrap(VD_OVPN_WRAP_AUTH, TA_KEY, VD_OVPN_KEYDIR_BIDI, "SHA1"), REPLY_AUTH256, VD_OVPN_REPLY_BAD_HMAC},
		{wrap(VD_OVPN_WRAP_CRYPT, TA_KEY, VD_OVPN_KEYDIR_BIDI, ""), REPLY_CRYPT, VD_OVPN_REPLY_BAD_HMAC},
		{wrap(VD_OVPN_WRAP_CRYPT, TC_KEY, VD_OVPN_KEYDIR_BIDI, ""), REPLY_AUTH, VD_OVPN_REPLY_BAD_HMAC},
		{wrap(VD_OVPN_WRAP_AUTH, TA_KEY, VD_OVPN_KEYDIR_1, ""), REPLY_BARE, VD_OVPN_REPLY_NOT_OPENVPN},
		{wrap(VD_OVPN_WRAP_CRYPT, TC_KEY, VD_OVPN_KEYDIR_BIDI, ""), REPLY_BARE, VD_OVPN_REPLY_NOT_OPENVPN},
		/* Read bare, a wrapped reply's HMAC is taken for acks. */
		{wrap(VD_OVPN_WRAP_NONE, NULL, VD_OVPN_KEYDIR_BIDI, ""), REPLY_AUTH, VD_OVPN_REPLY_NOT_OPENVPN},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = unhex(bad[i].hex, pkt, sizeof(pkt));
		assert_int_equal(vd_ovpn_reply_parse(&bad[i].w, SID, pkt, n, &r), 0);
		if (r.kind != bad[i].want)
			fail_msg("case %zu: %s", i, vd_ovpn_reply_kind_name(r.kind));
	}
}

static const struct vd_ovpn_wrap *mode_wrap(int i)
{
	static struct vd_ovpn_wrap w[4];

	w[0] = wrap(VD_OVPN_WRAP_NONE, NULL, VD_OVPN_KEYDIR_BIDI, "");
	w[1] = wrap(VD_OVPN_WRAP_AUTH, TA_KEY, VD_OVPN_KEYDIR_1, "");
	w[2] = wrap(VD_OVPN_WRAP_AUTH, TA_KEY, VD_OVPN_KEYDIR_BIDI, "SHA512");
	w[3] = wrap(VD_OVPN_WRAP_CRYPT, TC_KEY, VD_OVPN_KEYDIR_BIDI, "");
	return &w[i];
}

/* Our server-side builder with the server's direction, read back by the
 * client: every mode, UDP and TCP. */
static void test_round_trip(void **state)
{
	static const uint8_t ssid[8] = {0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 0x10, 0x11};
	uint8_t buf[256];
	const uint8_t *pkt;
	size_t len, plen;
	struct vd_ovpn_reply r;

	(void)state;
	for (int i = 0; i < 4; i++) {
		struct vd_ovpn_wrap sw = *mode_wrap(i);

		if (sw.key_dir == VD_OVPN_KEYDIR_1)
			sw.key_dir = VD_OVPN_KEYDIR_0;
		for (int tcp = 0; tcp < 2; tcp++) {
			assert_int_equal(vd_ovpn_server_reset_build(&sw, ssid, SID, 7, 99, tcp, buf,
								    sizeof(buf), &len), 0);
			pkt = buf;
			plen = len;
			if (tcp) {
				assert_int_equal(vd_ovpn_tcp_unframe(buf, len, &pkt, &plen), (int)len);
				assert_int_equal(plen, len - 2);
			}
			assert_int_equal(vd_ovpn_reply_parse(mode_wrap(i), SID, pkt, plen, &r), 0);
			assert_int_equal(r.kind, VD_OVPN_REPLY_ANSWERED);
			assert_memory_equal(r.server_sid, ssid, 8);
			assert_int_equal(r.replay_id, i ? 7 : 0);
			assert_int_equal(r.replay_time, i ? 99 : 0);
		}
	}
	/* The client's own reset is not an answer. */
	assert_int_equal(vd_ovpn_reset_build(mode_wrap(0), SID, 1, 0, false, buf, sizeof(buf), &len), 0);
	assert_int_equal(vd_ovpn_reply_parse(mode_wrap(0), SID, buf, len, &r), 0);
	assert_int_equal(r.kind, VD_OVPN_REPLY_UNEXPECTED);
	assert_int_equal(r.opcode, VD_OVPN_P_CONTROL_HARD_RESET_CLIENT_V2);
}

/* Every truncation and every single-bit flip of an answer, in every mode. */
static void test_truncated_and_flipped(void **state)
{
	static const uint8_t ssid[8] = {9, 9, 9, 9, 9, 9, 9, 9};
	uint8_t buf[256], copy[256];
	size_t len;
	struct vd_ovpn_reply r;

	(void)state;
	for (int i = 0; i < 4; i++) {
		struct vd_ovpn_wrap sw = *mode_wrap(i);

		if (sw.key_dir == VD_OVPN_KEYDIR_1)
			sw.key_dir = VD_OVPN_KEYDIR_0;
		assert_int_equal(vd_ovpn_server_reset_build(&sw, ssid, SID, 1, 2, false, buf,
							    sizeof(buf), &len), 0);
		for (size_t n = 0; n < len; n++) {
			assert_int_equal(vd_ovpn_reply_parse(mode_wrap(i), SID, buf, n, &r), 0);
			/* Short of the HMAC it cannot be checked; past it, it fails. */
			if (r.kind != VD_OVPN_REPLY_NOT_OPENVPN && r.kind != VD_OVPN_REPLY_BAD_HMAC)
				fail_msg("mode %d len %zu: %s", i, n, vd_ovpn_reply_kind_name(r.kind));
			if (i == 0 && r.kind != VD_OVPN_REPLY_NOT_OPENVPN)
				fail_msg("bare len %zu: %s", n, vd_ovpn_reply_kind_name(r.kind));
		}
		for (size_t b = 0; b < len * 8; b++) {
			memcpy(copy, buf, len);
			copy[b / 8] ^= (uint8_t)(1u << (b % 8));
			assert_int_equal(vd_ovpn_reply_parse(mode_wrap(i), SID, copy, len, &r), 0);
			/* Bare: the opcode byte and the ack fields (bytes 9..21)
			 * decide; the server's sid and message id are free. */
			if (r.kind == VD_OVPN_REPLY_ANSWERED && (i || b < 8 || (b >= 72 && b < 176)))
				fail_msg("mode %d bit %zu still answered", i, b);
			/* Wrapped: all past the opcode is authenticated. */
			if (i && b >= 8 && r.kind != VD_OVPN_REPLY_BAD_HMAC)
				fail_msg("mode %d bit %zu: %s", i, b, vd_ovpn_reply_kind_name(r.kind));
		}
	}
}

/* Bare replies built by hand: what each field's damage turns into. */
static void test_malformed_bare(void **state)
{
	uint8_t pkt[128];
	size_t n;
	struct vd_ovpn_reply r;

	(void)state;
#define PARSE_HEX(hex) (n = unhex(hex, pkt, sizeof(pkt)), \
	assert_int_equal(vd_ovpn_reply_parse(NULL, SID, pkt, n, &r), 0), r.kind)
	/* The real answer, then with a payload after it (TLVs): still answered. */
	assert_int_equal(PARSE_HEX("40aaaaaaaaaaaaaaaa010000000001020304050607080000000000010002ffff"),
			 VD_OVPN_REPLY_ANSWERED);
	assert_int_equal(r.payload_len, 6);
	/* Two acks, ours second. */
	assert_int_equal(PARSE_HEX("40aaaaaaaaaaaaaaaa02000000050000000001020304050607080000000000"),
			 VD_OVPN_REPLY_ANSWERED);
	/* No ack. */
	assert_int_equal(PARSE_HEX("40aaaaaaaaaaaaaaaa0000000000"), VD_OVPN_REPLY_WRONG_SESSION);
	/* Acks packet id 1, not our reset. */
	assert_int_equal(PARSE_HEX("40aaaaaaaaaaaaaaaa0100000001010203040506070800000000"),
			 VD_OVPN_REPLY_WRONG_SESSION);
	/* Key id 1. */
	assert_int_equal(PARSE_HEX("41aaaaaaaaaaaaaaaa0100000000010203040506070800000000"),
			 VD_OVPN_REPLY_UNEXPECTED);
	/* P_ACK_V1 acking us: no message id. */
	assert_int_equal(PARSE_HEX("28aaaaaaaaaaaaaaaa01000000000102030405060708"),
			 VD_OVPN_REPLY_ACK_ONLY);
	assert_false(r.has_msg_id);
	assert_int_equal(PARSE_HEX("28aaaaaaaaaaaaaaaa00"), VD_OVPN_REPLY_WRONG_SESSION);
	/* P_CONTROL_V1; P_DATA_V1 and P_DATA_V2 are no answer to a reset. */
	assert_int_equal(PARSE_HEX("20aaaaaaaaaaaaaaaa0000000001"), VD_OVPN_REPLY_UNEXPECTED);
	assert_int_equal(PARSE_HEX("30aaaaaaaaaaaaaaaa"), VD_OVPN_REPLY_NOT_OPENVPN);
	assert_int_equal(PARSE_HEX("48000001aaaaaaaaaaaa"), VD_OVPN_REPLY_NOT_OPENVPN);
	/* Opcodes 0 and 12..31. */
	assert_int_equal(PARSE_HEX("00aaaaaaaaaaaaaaaa0100000000010203040506070800000000"),
			 VD_OVPN_REPLY_NOT_OPENVPN);
	for (unsigned op = 12; op < 32; op++) {
		n = unhex("40aaaaaaaaaaaaaaaa0100000000010203040506070800000000", pkt, sizeof(pkt));
		pkt[0] = (uint8_t)(op << 3);
		assert_int_equal(vd_ovpn_reply_parse(NULL, SID, pkt, n, &r), 0);
		assert_int_equal(r.kind, VD_OVPN_REPLY_NOT_OPENVPN);
	}
	/* Nine acks; acks running past the end; ack session id cut. */
	assert_int_equal(PARSE_HEX("40aaaaaaaaaaaaaaaa09000000000000000000000000000000000000000000000000"
				   "00000000000000000000000000010203040506070800000000"),
			 VD_OVPN_REPLY_NOT_OPENVPN);
	assert_int_equal(PARSE_HEX("40aaaaaaaaaaaaaaaa0400000000"), VD_OVPN_REPLY_NOT_OPENVPN);
	assert_int_equal(PARSE_HEX("40aaaaaaaaaaaaaaaa0100000000010203"), VD_OVPN_REPLY_NOT_OPENVPN);
	/* Empty, a byte, a header without the ack count. */
	assert_int_equal(vd_ovpn_reply_parse(NULL, SID, NULL, 0, &r), 0);
	assert_int_equal(r.kind, VD_OVPN_REPLY_NOT_OPENVPN);
	assert_int_equal(PARSE_HEX("40"), VD_OVPN_REPLY_NOT_OPENVPN);
	assert_int_equal(PARSE_HEX("40aaaaaaaaaaaaaaaa"), VD_OVPN_REPLY_NOT_OPENVPN);
	/* DNS, HTTP: not OpenVPN. */
	assert_int_equal(PARSE_HEX("123401000001000000000000"), VD_OVPN_REPLY_NOT_OPENVPN);
	assert_int_equal(vd_ovpn_reply_parse(NULL, SID, (const uint8_t *)"HTTP/1.1 400", 12, &r), 0);
	assert_int_equal(r.kind, VD_OVPN_REPLY_NOT_OPENVPN);
#undef PARSE_HEX
	assert_int_equal(vd_ovpn_reply_parse(NULL, NULL, pkt, n, &r), -EINVAL);
	assert_int_equal(vd_ovpn_reply_parse(NULL, SID, pkt, n, NULL), -EINVAL);
}

static void test_tcp_unframe(void **state)
{
	const uint8_t s[] = {0, 3, 'a', 'b', 'c', 0, 1, 'd', 0};
	const uint8_t *p;
	size_t n;

	(void)state;
	assert_int_equal(vd_ovpn_tcp_unframe(s, 0, &p, &n), -EAGAIN);
	assert_int_equal(vd_ovpn_tcp_unframe(s, 1, &p, &n), -EAGAIN);
	assert_int_equal(vd_ovpn_tcp_unframe(s, 4, &p, &n), -EAGAIN);
	assert_int_equal(vd_ovpn_tcp_unframe(s, sizeof(s), &p, &n), 5);
	assert_ptr_equal(p, s + 2);
	assert_int_equal(n, 3);
	assert_int_equal(vd_ovpn_tcp_unframe(s + 5, sizeof(s) - 5, &p, &n), 3);
	assert_int_equal(*p, 'd');
	assert_int_equal(vd_ovpn_tcp_unframe(s + 8, 1, &p, &n), -EAGAIN);
	assert_int_equal(vd_ovpn_tcp_unframe((const uint8_t *)"\0\0x", 3, &p, &n), -EBADMSG);
	assert_int_equal(vd_ovpn_tcp_unframe((const uint8_t *)"\xff\xff", 2, &p, &n), -EAGAIN);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(vd_ovpn_reply_kind_name(VD_OVPN_REPLY_ANSWERED), "answered");
	assert_string_equal(vd_ovpn_reply_kind_name(VD_OVPN_REPLY_BAD_HMAC), "bad-hmac");
	assert_string_equal(vd_ovpn_reply_kind_name(VD_OVPN_REPLY_NOT_OPENVPN), "not-openvpn");
	assert_string_equal(vd_ovpn_reply_kind_name(VD_OVPN_REPLY_WRONG_SESSION), "wrong-session");
	assert_string_equal(vd_ovpn_reply_kind_name(VD_OVPN_REPLY_ACK_ONLY), "ack-only");
	assert_string_equal(vd_ovpn_reply_kind_name(VD_OVPN_REPLY_UNEXPECTED), "unexpected");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static_key),
		cmocka_unit_test(test_reset_bare),
		cmocka_unit_test(test_reset_auth),
		cmocka_unit_test(test_reset_crypt),
		cmocka_unit_test(test_reset_bad_args),
		cmocka_unit_test(test_real_replies),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncated_and_flipped),
		cmocka_unit_test(test_malformed_bare),
		cmocka_unit_test(test_tcp_unframe),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
