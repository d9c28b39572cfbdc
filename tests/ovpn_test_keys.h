/* The two OpenVPN static keys of the ovpn_wire tests: TA_KEY for tls-auth,
 * TC_KEY for tls-crypt. tests/unit/test_ovpn_wire.c holds real server replies
 * made with them, which are also tests/fuzz's seed corpus. Test data only. */
#ifndef VD_TESTS_OVPN_TEST_KEYS_H
#define VD_TESTS_OVPN_TEST_KEYS_H

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

#endif
