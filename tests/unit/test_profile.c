/* lib/profile.c on the profiles tests/data/mkprofiles.sh generates, and on
 * hostile input: the problems each profile must show, and nothing else. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "vpndoctor/common.h"
#include "vpndoctor/profile.h"

static char dir[PATH_MAX];

static int setup(void **state)
{
	const char *data = getenv("VD_TESTDATA");
	char cmd[PATH_MAX * 2 + 64];
	/* ctest sets VD_TESTDATA; by hand, the data sits next to this source */
	char here[PATH_MAX];
	char *slash;

	snprintf(here, sizeof(here), "%s", __FILE__);
	slash = strrchr(here, '/');
	snprintf(slash ? slash : here, sizeof(here) - (size_t)(slash ? slash - here : 0), "/../data");
	snprintf(dir, sizeof(dir), "/tmp/vd-test-profile-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "bash '%s/mkprofiles.sh' '%s'", data ? data : here, dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *at(const char *name)
{
	static char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static cJSON *check(const char *name, const struct vd_profile_opts *opts)
{
	cJSON *sec = NULL;

	assert_int_equal(vd_profile_check(at(name), opts, &sec), 0);
	assert_non_null(sec);
	return sec;
}

/* "code/severity code/severity ..." in the order found. */
static char *codes(const cJSON *sec, char *buf, size_t len)
{
	const cJSON *p;
	size_t off = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(sec, "problems")) {
		off += (size_t)snprintf(buf + off, len - off, "%s%s/%s", off ? " " : "",
		                        cJSON_GetStringValue(cJSON_GetObjectItem(p, "code")),
		                        cJSON_GetStringValue(cJSON_GetObjectItem(p, "severity")));
		assert_true(off < len);
	}
	return buf;
}

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));

	assert_non_null(s);
	return s;
}

static void test_profiles(void **state)
{
	static const struct {
		const char *file;
		const char *codes;
		const char *roles; /* the certs' roles, in order */
	} cases[] = {
		{ "valid-inline.ovpn", "", "ca cert" },
		{ "valid-files.ovpn", "", "ca cert" },
		{ "valid-cd.ovpn", "", "ca cert" },
		{ "valid-bundle.ovpn", "", "ca ca cert" },
		{ "valid-marker.ovpn", "", "ca cert" },
		{ "valid-auth.ovpn", "", "ca cert" },
		{ "pkcs12.ovpn", "", "ca cert" },
		{ "pkcs12-inline.ovpn", "", "ca cert" },
		/* dates are the rules' business: recorded, not judged */
		{ "expired.ovpn", "", "ca cert" },
		{ "notyet.ovpn", "", "ca cert" },
		{ "expiring.ovpn", "", "ca cert" },
		{ "pkcs12-pass.ovpn", "pkcs12-password/warning", "" },
		{ "encrypted-key.ovpn", "key-encrypted/warning", "ca cert" },
		{ "wrong-ca.ovpn", "wrong-ca/error", "ca cert" },
		{ "mismatch.ovpn", "key-mismatch/error", "ca cert" },
		{ "missing-file.ovpn", "file-missing/error", "cert" },
		{ "no-remote.ovpn", "no-remote/error", "ca cert" },
		{ "no-client.ovpn", "no-client-mode/error", "ca cert" },
		{ "weak.ovpn", "weak-key/error weak-digest/error", "ca cert" },
		{ "weak-digest.ovpn", "weak-digest/error", "ca cert" },
		{ "not-cert.ovpn", "not-a-certificate/error", "ca" },
		{ "not-key.ovpn", "not-a-key/error", "ca cert" },
		{ "no-cert.ovpn", "no-cert-or-key/error", "ca" },
		{ "no-ca.ovpn", "no-ca/error", "cert" },
		{ "bad-tls-auth.ovpn", "tls-key-invalid/error", "ca cert" },
		{ "unknown-directive.ovpn", "unknown-directive/error", "ca cert" },
		{ "unterminated.ovpn", "parse-error/error", "" },
		{ "alibaba.ovpn", "ncp-cipher/info comp-lzo-deprecated/info", "ca cert" },
	};
	char buf[512], roles[128];

	for (size_t i = 0; i < VD_ARRAY_SIZE(cases); i++) {
		cJSON *sec = check(cases[i].file, NULL);
		const cJSON *c, *p;
		size_t off = 0;

		roles[0] = '\0';
		cJSON_ArrayForEach(c, cJSON_GetObjectItem(sec, "certs"))
			off += (size_t)snprintf(roles + off, sizeof(roles) - off, "%s%s", off ? " " : "",
			                        str(c, "role"));
		if (strcmp(codes(sec, buf, sizeof(buf)), cases[i].codes) != 0)
			fail_msg("%s: problems '%s', want '%s'", cases[i].file, buf, cases[i].codes);
		if (strcmp(roles, cases[i].roles) != 0)
			fail_msg("%s: certs '%s', want '%s'", cases[i].file, roles, cases[i].roles);
		assert_string_equal(str(sec, "status"), "ok");
		assert_string_equal(str(sec, "path"), at(cases[i].file));
		/* one sentence each; where it is comes in file and line, which
		 * the rules add to the summary */
		cJSON_ArrayForEach(p, cJSON_GetObjectItem(sec, "problems")) {
			const char *m = str(p, "message");
			const char *code = str(p, "code");
			double line = cJSON_GetNumberValue(cJSON_GetObjectItem(p, "line"));

			assert_true(strlen(m) > 20);
			assert_null(strchr(m, '\n'));
			assert_int_not_equal(m[strlen(m) - 1], '.');
			assert_string_equal(str(p, "file"), at(cases[i].file));
			/* profile-wide ones have no line; the rest point at a directive */
			if (strncmp(code, "no-", 3) != 0)
				assert_true(line > 0);
			else
				assert_true(line == 0);
			assert_non_null(strstr("config-invalid ncp-cipher", str(p, "cause")));
		}
		cJSON_Delete(sec);
	}
}

static void test_fields(void **state)
{
	cJSON *sec = check("alibaba.ovpn", NULL);
	const cJSON *r, *p;

	assert_string_equal(str(sec, "cipher"), "AES-128-CBC");
	assert_string_equal(str(sec, "data_ciphers"), "");
	assert_string_equal(str(sec, "proto"), "udp");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(sec, "comp_lzo")));
	assert_string_equal(str(sec, "basedir"), dir);
	r = cJSON_GetArrayItem(cJSON_GetObjectItem(sec, "remotes"), 0);
	assert_string_equal(str(r, "host"), "198.51.100.7");
	assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(r, "port")), 1194);
	assert_string_equal(str(r, "proto"), "udp");
	p = cJSON_GetArrayItem(cJSON_GetObjectItem(sec, "problems"), 0);
	assert_string_equal(str(p, "cause"), "ncp-cipher");
	assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(p, "line")), 13);
	assert_non_null(strstr(str(p, "message"), "NCP"));
	p = cJSON_GetArrayItem(cJSON_GetObjectItem(sec, "problems"), 1);
	assert_string_equal(str(p, "cause"), "config-invalid");
	assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(p, "line")), 14);
	cJSON_Delete(sec);

	sec = check("expired.ovpn", NULL);
	{
		const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(sec, "certs"), 1);
		char want[PATH_MAX + 64];

		assert_string_equal(str(c, "role"), "cert");
		assert_string_equal(str(c, "subject"), "CN=client expired");
		assert_string_equal(str(c, "issuer"), "CN=vpndoctor test CA");
		assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(c, "not_after")) < (double)time(NULL));
		assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(c, "not_before")) <
		            cJSON_GetNumberValue(cJSON_GetObjectItem(c, "not_after")));
		snprintf(want, sizeof(want), "%s/expired.crt", dir);
		assert_string_equal(str(c, "file"), want);
	}
	cJSON_Delete(sec);

	/* inline certificates point at the profile itself */
	sec = check("valid-inline.ovpn", NULL);
	assert_string_equal(str(cJSON_GetArrayItem(cJSON_GetObjectItem(sec, "certs"), 0), "file"),
	                    at("valid-inline.ovpn"));
	cJSON_Delete(sec);
}

static void write_at(const char *name, const char *text)
{
	FILE *f = fopen(at(name), "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* When OpenVPN restarts a silent session, and the proxy it goes through. */
static void test_timers_and_proxy(void **state)
{
	cJSON *sec;
	const cJSON *px;

	(void)state;
	write_at("proxy-http.ovpn", "client\ndev tun\nproto tcp-client\nremote vpn.example.test 443\n"
	                            "http-proxy 10.0.0.1 3128\nkeepalive 10 60\n");
	sec = check("proxy-http.ovpn", NULL);
	assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(sec, "ping_restart_s")), 60);
	px = cJSON_GetObjectItem(sec, "proxy");
	assert_string_equal(str(px, "type"), "http");
	assert_string_equal(str(px, "host"), "10.0.0.1");
	assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(px, "port")), 3128);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(px, "credentials")));
	cJSON_Delete(sec);

	write_at("proxy-socks.ovpn", "client\ndev tun\nremote vpn.example.test 1194\n"
	                             "socks-proxy proxy.example.test 1081 socks.auth\nping-restart 45\n");
	sec = check("proxy-socks.ovpn", NULL);
	assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(sec, "ping_restart_s")), 45);
	px = cJSON_GetObjectItem(sec, "proxy");
	assert_string_equal(str(px, "type"), "socks");
	assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(px, "port")), 1081);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(px, "credentials")));
	cJSON_Delete(sec);

	write_at("proxy-inline.ovpn", "client\ndev tun\nproto tcp-client\nremote vpn.example.test 443\n"
	                              "http-proxy proxy.example.test\n<http-proxy-user-pass>\nu\np\n</http-proxy-user-pass>\n");
	sec = check("proxy-inline.ovpn", NULL);
	assert_null(cJSON_GetObjectItem(sec, "ping_restart_s"));
	px = cJSON_GetObjectItem(sec, "proxy");
	assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(px, "port")), 8080);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(px, "credentials")));
	cJSON_Delete(sec);

	write_at("no-proxy.ovpn", "client\ndev tun\nremote vpn.example.test 1194\nkeepalive 10 nonsense\n");
	sec = check("no-proxy.ovpn", NULL);
	assert_null(cJSON_GetObjectItem(sec, "proxy"));
	assert_null(cJSON_GetObjectItem(sec, "ping_restart_s"));
	cJSON_Delete(sec);
}

static void test_basedir(void **state)
{
	struct vd_profile_opts o = { 0 };
	char sub[PATH_MAX + 8], buf[256];
	cJSON *sec;

	sec = check("valid-cd.ovpn", NULL);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_string_equal(str(sec, "basedir"), sub);
	cJSON_Delete(sec);

	/* told to look elsewhere: ta.key is not in sub/ */
	o.basedir = sub;
	sec = check("valid-files.ovpn", &o);
	assert_string_equal(codes(sec, buf, sizeof(buf)), "file-missing/error");
	assert_string_equal(str(sec, "basedir"), sub);
	assert_non_null(strstr(str(cJSON_GetArrayItem(cJSON_GetObjectItem(sec, "problems"), 0), "message"),
	                       "sub/ta.key"));
	cJSON_Delete(sec);
	/* ... but a cd in the file wins over it */
	o.basedir = "/nonexistent";
	sec = check("valid-cd.ovpn", &o);
	assert_string_equal(codes(sec, buf, sizeof(buf)), "file-missing/error");
	assert_non_null(strstr(str(cJSON_GetArrayItem(cJSON_GetObjectItem(sec, "problems"), 0), "message"),
	                       "/nonexistent/sub"));
	cJSON_Delete(sec);
}

static void test_p12_pass(void **state)
{
	struct vd_profile_opts o = { .p12_pass = "secret" };
	char buf[256];
	cJSON *sec = check("pkcs12-pass.ovpn", &o);

	assert_string_equal(codes(sec, buf, sizeof(buf)), "");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(sec, "certs")), 2);
	cJSON_Delete(sec);
}

struct fake {
	const char *deny; /* basename refused with -EACCES */
	unsigned calls;
};

static int fake_read(void *userdata, const char *path, size_t max, char **ret, size_t *ret_len)
{
	struct fake *f = userdata;
	const char *b = strrchr(path, '/');

	f->calls++;
	if (strcmp(b ? b + 1 : path, f->deny) == 0)
		return -EACCES;
	return vd_read_file(NULL, path, max, ret, ret_len);
}

static void test_reader(void **state)
{
	struct fake f = { .deny = "client.key" };
	struct vd_profile_opts o = { .read = fake_read, .userdata = &f };
	char buf[256];
	cJSON *sec = check("valid-files.ovpn", &o);

	assert_string_equal(codes(sec, buf, sizeof(buf)), "file-unreadable/error");
	assert_non_null(strstr(str(cJSON_GetArrayItem(cJSON_GetObjectItem(sec, "problems"), 0), "message"),
	                       "permission denied"));
	assert_int_equal(f.calls, 5); /* profile, ca, cert, key, tls-auth */
	cJSON_Delete(sec);

	f.deny = "valid-files.ovpn";
	f.calls = 0;
	sec = check("valid-files.ovpn", &o);
	assert_string_equal(codes(sec, buf, sizeof(buf)), "file-unreadable/error");
	assert_int_equal(f.calls, 1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(sec, "remotes")), 0);
	cJSON_Delete(sec);

	/* read on a process's behalf: whose rights, in the section and the message */
	f.deny = "client.key";
	o.read_as = "alice (uid 1000)";
	sec = check("valid-files.ovpn", &o);
	assert_string_equal(str(sec, "read_as"), "alice (uid 1000)");
	assert_non_null(strstr(str(cJSON_GetArrayItem(cJSON_GetObjectItem(sec, "problems"), 0), "message"),
	                       "cannot be read as alice (uid 1000) (permission denied)"));
	cJSON_Delete(sec);
}

static void write_file(const char *name, const char *data, size_t len, size_t repeat);

/* A file that is no profile (a secret, say) read for another user's process:
 * each line an unknown directive, and not one of its words in the section. */
static void test_no_quote(void **state)
{
	struct vd_profile_opts o = {.no_quote = true};
	char *text;
	cJSON *sec;
	static const char secret[] = "ReflectorKey=ROOTONLY_SECRET_abc\nhunter2 is the password\n";

	(void)state;
	write_file("secret.conf", secret, sizeof(secret) - 1, 1);
	assert_int_equal(vd_profile_check(at("secret.conf"), &o, &sec), 0);
	text = cJSON_PrintUnformatted(sec);
	assert_non_null(text);
	assert_null(strstr(text, "ROOTONLY_SECRET"));
	assert_null(strstr(text, "hunter2"));
	assert_non_null(strstr(text, "an unknown directive"));
	free(text);
	cJSON_Delete(sec);
	/* lint, on the user's own file, names them */
	o.no_quote = false;
	assert_int_equal(vd_profile_check(at("secret.conf"), &o, &sec), 0);
	text = cJSON_PrintUnformatted(sec);
	assert_non_null(strstr(text, "ROOTONLY_SECRET"));
	free(text);
	cJSON_Delete(sec);
}

static void write_file(const char *name, const char *data, size_t len, size_t repeat)
{
	FILE *f = fopen(at(name), "wbe");

	assert_non_null(f);
	for (size_t i = 0; i < repeat; i++)
		assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_hostile(void **state)
{
	static const char bin[] = "client\n\x7f" "ELF\x02\x01\x01\0\0\0\0\xff\xfe";
	char chunk[4096], buf[256];
	cJSON *sec;

	/* binary data */
	write_file("binary.ovpn", bin, sizeof(bin), 1);
	sec = check("binary.ovpn", NULL);
	assert_string_equal(codes(sec, buf, sizeof(buf)), "parse-error/error");
	cJSON_Delete(sec);

	/* 10 MiB */
	memset(chunk, '#', sizeof(chunk));
	chunk[sizeof(chunk) - 1] = '\n';
	write_file("huge.ovpn", chunk, sizeof(chunk), 10 * 256);
	sec = check("huge.ovpn", NULL);
	assert_string_equal(codes(sec, buf, sizeof(buf)), "file-unreadable/error");
	assert_non_null(strstr(str(cJSON_GetArrayItem(cJSON_GetObjectItem(sec, "problems"), 0), "message"),
	                       "MiB"));
	cJSON_Delete(sec);

	/* one 100 KiB line */
	memset(chunk, 'a', sizeof(chunk));
	write_file("longline.ovpn", chunk, sizeof(chunk), 25);
	sec = check("longline.ovpn", NULL);
	assert_string_equal(codes(sec, buf, sizeof(buf)), "parse-error/error");
	cJSON_Delete(sec);

	/* not there, a directory, a FIFO */
	sec = check("nothere.ovpn", NULL);
	assert_string_equal(codes(sec, buf, sizeof(buf)), "file-missing/error");
	assert_non_null(strstr(str(cJSON_GetArrayItem(cJSON_GetObjectItem(sec, "problems"), 0), "message"),
	                       "does not exist"));
	cJSON_Delete(sec);
	sec = check("sub", NULL);
	assert_string_equal(codes(sec, buf, sizeof(buf)), "file-unreadable/error");
	cJSON_Delete(sec);
	assert_int_equal(mkfifo(at("fifo.ovpn"), 0600), 0);
	sec = check("fifo.ovpn", NULL);
	assert_string_equal(codes(sec, buf, sizeof(buf)), "file-unreadable/error");
	cJSON_Delete(sec);

	/* a referenced "certificate" that is a 10 MiB file */
	write_file("big.ovpn", "client\nremote x\nca huge.ovpn\ncert client.crt\nkey client.key\n", 59, 1);
	sec = check("big.ovpn", NULL);
	assert_string_equal(codes(sec, buf, sizeof(buf)), "file-unreadable/error");
	assert_non_null(strstr(str(cJSON_GetArrayItem(cJSON_GetObjectItem(sec, "problems"), 0), "message"),
	                       "larger than 1 MiB"));
	cJSON_Delete(sec);
}

static void test_read_file(void **state)
{
	char *b = NULL;
	size_t n = 0;

	write_file("small.txt", "0123456789", 10, 1);
	assert_int_equal(vd_read_file(NULL, at("small.txt"), 10, &b, &n), 0);
	assert_int_equal(n, 10);
	assert_string_equal(b, "0123456789");
	free(b);
	b = NULL;
	assert_int_equal(vd_read_file(NULL, at("small.txt"), 9, &b, &n), -EFBIG);
	assert_null(b);
	write_file("empty.txt", "", 0, 1);
	assert_int_equal(vd_read_file(NULL, at("empty.txt"), 9, &b, &n), 0);
	assert_int_equal(n, 0);
	assert_string_equal(b, "");
	free(b);
	b = NULL;
	assert_int_equal(vd_read_file(NULL, at("nothere"), 9, &b, &n), -ENOENT);
	assert_int_equal(vd_read_file(NULL, dir, 9, &b, &n), -EISDIR);
	assert_int_equal(vd_read_file(NULL, "/dev/null", 9, &b, &n), -EINVAL);
	assert_int_equal(mkfifo(at("fifo"), 0600), 0);
	assert_int_equal(vd_read_file(NULL, at("fifo"), 9, &b, &n), -EINVAL);
	assert_null(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_timers_and_proxy),
		cmocka_unit_test(test_basedir),
		cmocka_unit_test(test_p12_pass),
		cmocka_unit_test(test_reader),
		cmocka_unit_test(test_no_quote),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_read_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
