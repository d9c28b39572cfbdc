/* lib/version.c: `openvpn --version` title lines, the version policy, and the
 * title found in a binary's bytes or dpkg's database without running anything. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vpndoctor/version.h"

static struct vd_ovpn_version V(const char *s)
{
	struct vd_ovpn_version v;
	if (vd_ovpn_version_parse(s, &v) != 0)
		fail_msg("refused \"%s\"", s);
	return v;
}

static void expect(const char *line, unsigned ma, unsigned mi, unsigned pa, const char *suffix,
		   const char *platform, const char *ssl)
{
	struct vd_ovpn_version v = V(line);
	assert_int_equal(v.major, ma);
	assert_int_equal(v.minor, mi);
	assert_int_equal(v.patch, pa);
	assert_string_equal(v.suffix, suffix);
	assert_string_equal(v.platform, platform);
	assert_string_equal(v.ssl, ssl);
}

static void test_distributions(void **state)
{
	(void)state;
	/* Debian 12 (this machine's openvpn 2.6.14 prints the same shape). */
	expect("OpenVPN 2.6.3 x86_64-pc-linux-gnu [SSL (OpenSSL)] [LZO] [LZ4] [EPOLL] [PKCS11] "
	       "[MH/PKTINFO] [AEAD] [DCO] built on Sep 30 2023",
	       2, 6, 3, "", "x86_64-pc-linux-gnu", "OpenSSL");
	expect("OpenVPN 2.6.14 x86_64-pc-linux-gnu [SSL (OpenSSL)] [LZO] [LZ4] [EPOLL] [PKCS11] "
	       "[MH/PKTINFO] [AEAD] [DCO]\nlibrary versions: OpenSSL 3.0.19 27 Jan 2026, LZO 2.10\n",
	       2, 6, 14, "", "x86_64-pc-linux-gnu", "OpenSSL");
	/* Fedora */
	expect("OpenVPN 2.6.12 x86_64-redhat-linux-gnu [SSL (OpenSSL)] [LZO] [LZ4] [EPOLL] [PKCS11] "
	       "[MH/PKTINFO] [AEAD] [DCO]",
	       2, 6, 12, "", "x86_64-redhat-linux-gnu", "OpenSSL");
	/* Homebrew on macOS */
	expect("OpenVPN 2.6.8 x86_64-apple-darwin23.0.0 [SSL (OpenSSL)] [LZO] [LZ4] [PKCS11] "
	       "[MH/RECVDA] [AEAD] built on Nov 17 2023",
	       2, 6, 8, "", "x86_64-apple-darwin23.0.0", "OpenSSL");
	/* Upstream Windows installer (MSVC build, with the git revision) */
	expect("OpenVPN 2.6.6 [git:v2.6.6/1e8c76d9f5ac5c1e] Windows-MSVC [SSL (OpenSSL)] [LZO] [LZ4] "
	       "[PKCS11] [AEAD] [DCO] built on Aug 15 2023",
	       2, 6, 6, "", "Windows-MSVC", "OpenSSL");
	expect("OpenVPN 2.5.10 [git:v2.5.10/fccae1fa71140bd6] Windows-MSVC [SSL (OpenSSL)] [LZO] [LZ4] "
	       "[PKCS11] [AEAD] built on Mar 22 2024",
	       2, 5, 10, "", "Windows-MSVC", "OpenSSL");
	/* Later upstream Windows builds use CMake: TARGET_ALIAS is CMAKE_SYSTEM_NAME. */
	expect("OpenVPN 2.6.14 [git:v2.6.14/abc] Windows [SSL (OpenSSL)] [LZO] [LZ4] [PKCS11] [AEAD] [DCO]",
	       2, 6, 14, "", "Windows", "OpenSSL");
	/* mbed TLS, mingw, an Arch-style git tag, a bare "[SSL]" */
	expect("OpenVPN 2.4.12 x86_64-w64-mingw32 [SSL (mbed TLS)] [LZO] [LZ4] [PKCS11] [AEAD]",
	       2, 4, 12, "", "x86_64-w64-mingw32", "mbed TLS");
	expect("OpenVPN 2.6.8 [git:makepkg/3b0d9489cc423da3+] x86_64-pc-linux-gnu [SSL (OpenSSL)] [LZO]",
	       2, 6, 8, "", "x86_64-pc-linux-gnu", "OpenSSL");
	expect("OpenVPN 2.3.18 i686-pc-linux-gnu [SSL]", 2, 3, 18, "", "i686-pc-linux-gnu", "");
	/* release candidates and git builds */
	expect("OpenVPN 2.6_rc2 x86_64-pc-linux-gnu [SSL (OpenSSL)]", 2, 6, 0, "_rc2",
	       "x86_64-pc-linux-gnu", "OpenSSL");
	expect("OpenVPN 2.7_git [git:master/0123456789abcdef] x86_64-pc-linux-gnu [SSL (OpenSSL)]", 2, 7,
	       0, "_git", "x86_64-pc-linux-gnu", "OpenSSL");
	expect("OpenVPN 2.6.14_git x86_64-pc-linux-gnu", 2, 6, 14, "_git", "x86_64-pc-linux-gnu", "");
	/* bare versions and a title found in a log */
	expect("2.6.14", 2, 6, 14, "", "", "");
	expect("2.6.14\n", 2, 6, 14, "", "", "");
	expect("2.4", 2, 4, 0, "", "", "");
	expect("2025-03-11 14:54:51 OpenVPN 2.5.10 [git:v2.5.10/fccae1fa71140bd6] Windows-MSVC "
	       "[SSL (OpenSSL)] [LZO]",
	       2, 5, 10, "", "Windows-MSVC", "OpenSSL");
	expect("OpenVPN 2.6.14", 2, 6, 14, "", "", "");
}

static void test_bad(void **state)
{
	static const char *const bad[] = {
		"", "OpenVPN", "OpenVPN ", "OpenVPN x.y.z", "OpenVPN 2", "OpenVPN 2.", "OpenVPN 2.6.",
		"OpenVPN .6.1", "OpenVPN 2.6.14x86_64", "OpenVPN 99999.1.1", "OpenVPN -2.6.1",
		"2.6.14 is fine", "openvpn: command not found", "OpenVPN Inc <sales@openvpn.net>",
		"OpenVPN 2.6.14_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "OpenVPN 2.6.14_\x01",
		"library versions: OpenSSL 3.0.19\nOpenVPN 2.6.14 x86_64",
	};
	struct vd_ovpn_version v = {.major = 77};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (vd_ovpn_version_parse(bad[i], &v) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(v.major, 77); /* untouched on failure */
	assert_int_equal(vd_ovpn_version_parse(NULL, &v), -EINVAL);
	assert_int_equal(vd_ovpn_version_parse("2.6.14", NULL), -EINVAL);
}

static void test_long_platform(void **state)
{
	char line[512];
	struct vd_ovpn_version v;

	(void)state;
	memset(line, 0, sizeof(line));
	strcpy(line, "OpenVPN 2.6.9 ");
	memset(line + strlen(line), 'p', 200);
	strcat(line, " [SSL (OpenSSL)]");
	assert_int_equal(vd_ovpn_version_parse(line, &v), 0);
	assert_int_equal(v.patch, 9);
	assert_string_equal(v.platform, ""); /* too long to keep: dropped, not cut */
	assert_string_equal(v.ssl, "OpenSSL");
}

static enum vd_version_verdict check(const char *line, char *why, size_t len)
{
	struct vd_ovpn_version v = V(line);
	return vd_ovpn_version_check(&v, why, len);
}

static void test_policy(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(check("OpenVPN 2.3.18 x86_64-pc-linux-gnu", why, sizeof(why)), VD_VERSION_TOO_OLD);
	assert_non_null(strstr(why, "2.3.18"));
	assert_non_null(strstr(why, "2.4.0"));
	assert_non_null(strstr(why, "NCP"));
	assert_non_null(strstr(why, "AES-256-GCM"));
	assert_int_equal(check("2.0.9", why, sizeof(why)), VD_VERSION_TOO_OLD);
	assert_int_equal(check("1.9.99", why, sizeof(why)), VD_VERSION_TOO_OLD);
	assert_int_equal(check("2.4_rc2", why, sizeof(why)), VD_VERSION_TOO_OLD);

	assert_int_equal(check("2.4.0", why, sizeof(why)), VD_VERSION_OK);
	assert_non_null(strstr(why, "2.4.0"));
	assert_int_equal(check("OpenVPN 2.4.12 x86_64-pc-linux-gnu", why, sizeof(why)), VD_VERSION_OK);
	assert_int_equal(check("OpenVPN 2.5.10 Windows-MSVC", why, sizeof(why)), VD_VERSION_OK);
	assert_int_equal(check("OpenVPN 2.6.5 Windows-MSVC", why, sizeof(why)), VD_VERSION_OK);
	assert_int_equal(check("OpenVPN 2.6.7 Windows-MSVC", why, sizeof(why)), VD_VERSION_OK);
	assert_int_equal(check("OpenVPN 2.6.14 x86_64-pc-linux-gnu", why, sizeof(why)), VD_VERSION_OK);
	assert_non_null(strstr(why, "2.6.14"));
	assert_int_equal(check("2.6.22", why, sizeof(why)), VD_VERSION_OK);
	assert_int_equal(check("2.6_rc2", why, sizeof(why)), VD_VERSION_OK);

	/* 2.6.6: flagged everywhere; "on Windows" only when it is. */
	assert_int_equal(check("OpenVPN 2.6.6 [git:v2.6.6/1e8c76d9f5ac5c1e] Windows-MSVC [SSL (OpenSSL)]",
			       why, sizeof(why)),
			 VD_VERSION_KNOWN_BAD);
	assert_non_null(strstr(why, "2.6.6 on Windows"));
	assert_int_equal(check("OpenVPN 2.6.6 x86_64-w64-mingw32", why, sizeof(why)), VD_VERSION_KNOWN_BAD);
	assert_non_null(strstr(why, "on Windows"));
	assert_int_equal(check("OpenVPN 2.6.6 x86_64-pc-linux-gnu [SSL (OpenSSL)]", why, sizeof(why)),
			 VD_VERSION_KNOWN_BAD);
	assert_non_null(strstr(why, "2.6.6"));
	assert_null(strstr(why, "2.6.6 on Windows"));
	assert_int_equal(check("2.6.6", why, sizeof(why)), VD_VERSION_KNOWN_BAD);

	/* Newer than anything the project has data on. */
	assert_int_equal(check("2.6.23", why, sizeof(why)), VD_VERSION_UNKNOWN);
	assert_non_null(strstr(why, "2.6.23"));
	assert_non_null(strstr(why, "2.6.22"));
	assert_int_equal(check("OpenVPN 2.7.0 x86_64-pc-linux-gnu", why, sizeof(why)), VD_VERSION_OK);
	assert_int_equal(check("OpenVPN 2.7.7 x86_64-pc-linux-gnu", why, sizeof(why)), VD_VERSION_UNKNOWN);
	assert_int_equal(check("OpenVPN 2.8.0 x86_64-pc-linux-gnu", why, sizeof(why)), VD_VERSION_UNKNOWN);
	assert_int_equal(check("2.8_rc2", why, sizeof(why)), VD_VERSION_UNKNOWN);
	assert_int_equal(check("3.0.0", why, sizeof(why)), VD_VERSION_UNKNOWN);

	/* why is always one terminated line, also when short or absent */
	char tiny[8];
	assert_int_equal(check("2.3.1", tiny, sizeof(tiny)), VD_VERSION_TOO_OLD);
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
	assert_int_equal(check("2.3.1", NULL, 0), VD_VERSION_TOO_OLD);
	assert_int_equal(vd_ovpn_version_check(NULL, why, sizeof(why)), VD_VERSION_UNKNOWN);
	assert_null(strchr(why, '\n'));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(vd_version_verdict_name(VD_VERSION_OK), "ok");
	assert_string_equal(vd_version_verdict_name(VD_VERSION_TOO_OLD), "too-old");
	assert_string_equal(vd_version_verdict_name(VD_VERSION_KNOWN_BAD), "known-bad");
	assert_string_equal(vd_version_verdict_name(VD_VERSION_UNKNOWN), "unknown");
	assert_string_equal(vd_version_verdict_name((enum vd_version_verdict)42), "unknown");
}

/* The title in a binary's bytes, found without running it. */
static void test_scan(void **state)
{
	static const char bin[] =
		"\x7f""ELF\0\0junk OpenVPN 2.7 will remove it\0"
		"NOTE: starting with OpenVPN 2.1, '--script-security 2'\0"
		"Upgrade to OpenVPN 2.6.0+)\0"
		"OpenVPN 2.6.14 x86_64-pc-linux-gnu [SSL (OpenSSL)] [LZO] [LZ4] [EPOLL] [PKCS11] [DCO]\0tail";
	char out[VD_OVPN_TITLE_MAX];
	struct vd_ovpn_version v;
	FILE *f;

	(void)state;
	assert_int_equal(vd_ovpn_version_scan(bin, sizeof(bin) - 1, out, sizeof(out)), 0);
	assert_string_equal(out, "OpenVPN 2.6.14 x86_64-pc-linux-gnu [SSL (OpenSSL)] [LZO] [LZ4] [EPOLL] [PKCS11] [DCO]");
	assert_int_equal(vd_ovpn_version_parse(out, &v), 0);
	assert_int_equal(v.patch, 14);
	/* a suffix, and a title cut by the window's end is not one */
	assert_int_equal(vd_ovpn_version_scan("OpenVPN 2.7_rc2 arm-apple-darwin [SSL", 37, out, sizeof(out)), 0);
	assert_string_equal(out, "OpenVPN 2.7_rc2 arm-apple-darwin [SSL");
	assert_int_equal(vd_ovpn_version_scan("OpenVPN 2.6.14 x86_64-pc-linux-gnu", 34, out, sizeof(out)), -ENOENT);
	assert_int_equal(vd_ovpn_version_scan("OpenVPN 2.6.14 nodash [SSL]", 27, out, sizeof(out)), -ENOENT);
	assert_int_equal(vd_ovpn_version_scan("nothing here", 12, out, sizeof(out)), -ENOENT);
	/* control bytes end it; a small buffer cuts it */
	assert_int_equal(vd_ovpn_version_scan("OpenVPN 2.5.1 x-y [SSL]\x1b[31m", 28, out, sizeof(out)), 0);
	assert_string_equal(out, "OpenVPN 2.5.1 x-y [SSL]");
	assert_int_equal(vd_ovpn_version_scan("OpenVPN 2.5.1 x-y [SSL (OpenSSL)]", 33, out, 20), 0);
	assert_string_equal(out, "OpenVPN 2.5.1 x-y [");
	/* the real binary, when there is one */
	f = fopen("/usr/sbin/openvpn", "rb");
	if (f) {
		char *buf = malloc(32 << 20);
		size_t n;
		assert_non_null(buf);
		n = fread(buf, 1, 32 << 20, f);
		fclose(f);
		assert_int_equal(vd_ovpn_version_scan(buf, n, out, sizeof(out)), 0);
		assert_int_equal(strncmp(out, "OpenVPN 2.", 10), 0);
		free(buf);
	}
}

static void test_dpkg(void **state)
{
	static const char db[] =
		"Package: openvpn-auth-ldap\nStatus: install ok installed\nVersion: 2.0.4-1\n\n"
		"Package: openvpn\nStatus: deinstall ok config-files\nVersion: 2.5.1-3\n\n"
		"Package: openvpn\nStatus: install ok installed\nPriority: optional\n"
		"Version: 1:2.6.14-0+deb12u2\nDepends: libc6\n\n"
		"Package: zzz\nStatus: install ok installed\nVersion: 1.0\n";
	char out[64];

	(void)state;
	assert_int_equal(vd_dpkg_version(db, sizeof(db) - 1, "openvpn", out, sizeof(out)), 0);
	assert_string_equal(out, "2.6.14");
	assert_int_equal(vd_dpkg_version(db, sizeof(db) - 1, "openvpn-auth-ldap", out, sizeof(out)), 0);
	assert_string_equal(out, "2.0.4");
	assert_int_equal(vd_dpkg_version(db, sizeof(db) - 1, "absent", out, sizeof(out)), -ENOENT);
	assert_int_equal(vd_dpkg_version("Package: openvpn\nStatus: deinstall ok config-files\nVersion: 2.5\n", 62,
	                                 "openvpn", out, sizeof(out)), -ENOENT);
	assert_int_equal(vd_dpkg_version("Package: openvpn\nStatus: install ok installed\n", 46, "openvpn", out,
	                                 sizeof(out)), -EINVAL);
	assert_int_equal(vd_dpkg_version("Package: openvpn\nStatus: install ok installed\nVersion: x y\n", 58,
	                                 "openvpn", out, sizeof(out)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distributions), cmocka_unit_test(test_bad),
		cmocka_unit_test(test_long_platform), cmocka_unit_test(test_policy),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_scan), cmocka_unit_test(test_dpkg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
