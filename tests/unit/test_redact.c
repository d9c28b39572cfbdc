/* lib/redact.c: the profile redactor, the scrubber and the anonymizer, with the
 * demo PKI of tests/data/sample (public throwaway keys) as the planted secrets. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "vpndoctor/ovpn_config.h"
#include "vpndoctor/profile.h"
#include "vpndoctor/redact.h"

#include "ovpn_directives.h"

static char sample[PATH_MAX];

static char *slurp(const char *name, size_t *len)
{
	char path[PATH_MAX + 64], *p = NULL;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", sample, name);
	assert_int_equal(vd_read_file(NULL, path, 1 << 20, &p, &n), 0);
	if (len)
		*len = n;
	return p;
}

static int setup(void **state)
{
	const char *data = getenv("VD_TESTDATA");
	char here[PATH_MAX - 32], *slash;

	(void)state;
	snprintf(here, sizeof(here), "%s", __FILE__);
	slash = strrchr(here, '/');
	if (slash)
		*slash = '\0';
	if (data)
		snprintf(sample, sizeof(sample), "%s/sample", data);
	else
		snprintf(sample, sizeof(sample), "%s/../data/sample", here);
	return 0;
}

#define STATIC_KEY \
	"#\n# 2048 bit OpenVPN static key\n#\n-----BEGIN OpenVPN Static key V1-----\n" \
	"d4e1190c7f78d8bbb01b9d566bc83d5d\n652b5b6f1f292bdc283f6b3d50ae9cbd\n" \
	"19badacdb70928a53769ea2a0f3f7976\n67e498f5213d928e33908ec10b85ba57\n" \
	"-----END OpenVPN Static key V1-----\n"
#define CRYPT_KEY \
	"-----BEGIN OpenVPN Static key V1-----\n" \
	"0b7f1c33cafe0f8e6a1d9b2c3d4e5f60\n718293a4b5c6d7e8f90a1b2c3d4e5f60\n" \
	"-----END OpenVPN Static key V1-----\n"
#define V2_KEY \
	"-----BEGIN OpenVPN tls-crypt-v2 client key-----\n" \
	"u5wrgy+Bts1tESOeF+VXpsEuNKz5DqSciCntxlVBW9/4VH4Q/1rRPrnyqOldqznB\n" \
	"-----END OpenVPN tls-crypt-v2 client key-----\n"
#define ENC_KEY \
	"-----BEGIN ENCRYPTED PRIVATE KEY-----\n" \
	"MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAhQzZ3ZRm9wCAgIIAAwDAYI\n" \
	"-----END ENCRYPTED PRIVATE KEY-----\n"
#define RSA_KEY \
	"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n" \
	"DEK-Info: AES-256-CBC,0011223344556677\n\nQmFzZTY0Qm9keU9mQW5SU0FLZXlUaGF0TXVzdEdv\n" \
	"-----END RSA PRIVATE KEY-----\n"

static void assert_absent(const char *hay, const char *needle)
{
	if (strstr(hay, needle)) {
		print_error("found \"%s\" in:\n%s\n", needle, hay);
		fail();
	}
}

static void assert_present(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		print_error("missing \"%s\" in:\n%s\n", needle, hay);
		fail();
	}
}

static bool notes_have(const struct vd_redact_notes *n, const char *needle)
{
	for (size_t i = 0; i < n->n; i++)
		if (strstr(n->lines[i], needle))
			return true;
	return false;
}

static void test_profile_inline(void **state)
{
	size_t klen, clen, alen;
	char *key = slurp("client.key", &klen), *crt = slurp("client.crt", &clen), *ca = slurp("ca.crt", &alen);
	char *prof, *out = NULL, keyline[65];
	size_t plen, olen = 0;
	struct vd_redact_notes notes = {0};
	struct vd_ovpn_config *cfg = NULL;
	struct vd_error err;
	int n;

	(void)state;
	plen = klen + clen + alen + 4096;
	prof = malloc(plen);
	assert_non_null(prof);
	n = snprintf(prof, plen,
	             "# my password is hunter2\nclient\ndev tun\nremote vpn.example.test 1194 udp\n"
	             "setenv DB_PASSWORD \"s3cr3t value\"\nauth-token SESSIONTOKEN123\n"
	             "verify-x509-name \"C=DE, CN=vpn\" subject\n"
	             "<ca>\n%s</ca>\n<cert>\n%s</cert>\n<key>\n%s</key>\n"
	             "key-direction 1\n<tls-auth>\n" STATIC_KEY "</tls-auth>\n"
	             "<tls-crypt>\n" CRYPT_KEY "</tls-crypt>\n<tls-crypt-v2>\n" V2_KEY "</tls-crypt-v2>\n"
	             "<auth-user-pass>\nalice\nPa55w0rdXYZ\n</auth-user-pass>\n"
	             "<http-proxy-user-pass>\nproxyuser\nPr0xyPass\n</http-proxy-user-pass>\n"
	             "<pkcs12>\nMIIJqQIBAzCCCW8GCSqGSIb3DQEHAaCCCWAEgglcMIIJWDCCA48GCSqGSIb3\n</pkcs12>\n"
	             "<connection>\nremote 192.0.2.9 443 tcp\n</connection>\n",
	             ca, crt, key);
	assert_true(n > 0 && (size_t)n < plen);

	assert_int_equal(vd_redact_profile("/x/office.ovpn", prof, (size_t)n, NULL, &out, &olen, &notes, &err), 0);
	assert_int_equal(strlen(out), olen);
	/* every line of the private key body, the static keys, the passwords */
	for (const char *p = strchr(key, '\n') + 1; *p && strncmp(p, "-----END", 8) != 0;) {
		const char *nl = strchr(p, '\n');

		snprintf(keyline, sizeof(keyline), "%.*s", (int)(nl - p), p);
		assert_absent(out, keyline);
		p = nl + 1;
	}
	assert_absent(out, "d4e1190c7f78d8bbb01b9d566bc83d5d");
	assert_absent(out, "67e498f5213d928e33908ec10b85ba57");
	assert_absent(out, "0b7f1c33cafe0f8e6a1d9b2c3d4e5f60");
	assert_absent(out, "u5wrgy+Bts1tESOeF");
	assert_absent(out, "Pa55w0rdXYZ");
	assert_absent(out, "alice");
	assert_absent(out, "Pr0xyPass");
	assert_absent(out, "MIIJqQIBAzCCCW8");
	assert_absent(out, "hunter2");
	assert_absent(out, "s3cr3t");
	assert_absent(out, "SESSIONTOKEN123");
	assert_absent(out, "PRIVATE KEY");
	assert_absent(out, "Static key");
	assert_absent(out, "-----BEGIN");
	/* what stays */
	assert_present(out, "remote vpn.example.test 1194 udp\n");
	assert_present(out, "verify-x509-name \"C=DE, CN=vpn\" subject\n");
	assert_present(out, "key-direction 1\n");
	assert_present(out, "setenv [REDACTED] [REDACTED]\n");
	assert_absent(out, "DB_PASSWORD");
	assert_present(out, "<ca>\n# certificate: subject=CN=");
	assert_present(out, "notAfter=2045-01-01T00:00:00Z; sha256=");
	assert_present(out, "<tls-auth>\n# [vpndoctor: removed");
	assert_present(out, "<connection>\nremote 192.0.2.9 443 tcp\n</connection>\n");
	assert_true(notes_have(&notes, "<key>: the private key removed"));
	assert_true(notes_have(&notes, "<tls-crypt-v2>: the tls-crypt-v2 client key removed"));
	assert_true(notes_have(&notes, "<auth-user-pass>: the user name and password removed"));
	assert_true(notes_have(&notes, "<cert>: 1 certificate reduced"));

	/* what comes out is still a profile OpenVPN's syntax accepts */
	assert_int_equal(vd_ovpn_config_parse("out", out, olen, &cfg, &err), 0);
	assert_non_null(vd_ovpn_config_get(cfg, "tls-crypt-v2"));
	assert_int_equal(cfg->n_connections, 1);
	vd_ovpn_config_free(cfg);

	vd_redact_notes_free(&notes);
	free(out);
	free(prof);
	free(key);
	free(crt);
	free(ca);
}

static void test_profile_files(void **state)
{
	const char prof[] = "client\nremote vpn.example.test\nca ca.crt\ncert client.crt\nkey client.key\n"
	                    "tls-auth ta.key 1\nauth-user-pass /etc/openvpn/pass.txt\naskpass pw.txt\n"
	                    "extra-certs missing.pem\n";
	struct vd_redact_profile_opts o = { .basedir = sample, .read = vd_read_file };
	struct vd_redact_notes notes = {0};
	char *out = NULL, *key = slurp("client.key", NULL);
	struct vd_error err;
	size_t olen;

	(void)state;
	assert_int_equal(vd_redact_profile("p.ovpn", prof, sizeof(prof) - 1, &o, &out, &olen, &notes, &err), 0);
	assert_present(out, "ca ca.crt\n#   certificate: subject=CN=");
	assert_present(out, "cert client.crt\n#   certificate: subject=CN=");
	assert_present(out, "key client.key\n");
	assert_present(out, "auth-user-pass /etc/openvpn/pass.txt\n");
	assert_present(out, "extra-certs missing.pem\n#   (");
	assert_absent(out, "PRIVATE");
	assert_absent(out, key + 28); /* the key file is never read */
	assert_true(notes_have(&notes, "key client.key: the private key in that file is not included"));
	assert_true(notes_have(&notes, "tls-auth ta.key: the tls-auth static key"));
	assert_true(notes_have(&notes, "askpass pw.txt: the private key's passphrase"));
	vd_redact_notes_free(&notes);
	free(out);
	free(key);

	/* without a reader, files are not summarised (and nothing is read) */
	assert_int_equal(vd_redact_profile("p.ovpn", prof, sizeof(prof) - 1, NULL, &out, &olen, NULL, &err), 0);
	assert_present(out, "ca ca.crt\ncert client.crt\n");
	free(out);
}

static void test_profile_bad(void **state)
{
	const char prof[] = "client\n<key>\n-----BEGIN PRIVATE KEY-----\nAAAA\n";
	struct vd_error err = {0};
	char *out = NULL;
	size_t olen;

	(void)state;
	assert_int_equal(vd_redact_profile("bad.ovpn", prof, sizeof(prof) - 1, NULL, &out, &olen, NULL, &err), -EINVAL);
	assert_null(out);
	assert_true(err.msg[0] != '\0');
}

static void test_profile_quoting(void **state)
{
	const char prof[] = "client\nremote vpn.example.test 1194\nauth-user-pass \"/a dir/pass file\"\n"
	                    "verify-x509-name \"a;b#c \\\"d\\\"\" name\n";
	struct vd_ovpn_config *cfg = NULL;
	const struct vd_ovpn_option *op;
	struct vd_error err;
	char *out = NULL;
	size_t olen;

	(void)state;
	assert_int_equal(vd_redact_profile("q.ovpn", prof, sizeof(prof) - 1, NULL, &out, &olen, NULL, &err), 0);
	assert_int_equal(vd_ovpn_config_parse("out", out, olen, &cfg, &err), 0);
	op = vd_ovpn_config_get(cfg, "auth-user-pass");
	assert_non_null(op);
	assert_string_equal(op->argv[0], "/a dir/pass file");
	op = vd_ovpn_config_get(cfg, "verify-x509-name");
	assert_non_null(op);
	assert_int_equal(op->argc, 2);
	assert_string_equal(op->argv[0], "a;b#c \"d\"");
	vd_ovpn_config_free(cfg);
	free(out);
}

/* Issue 17: OpenVPN strips one "--" before a name, so "----<ca>" is an option
 * named "--<ca>"; written back as such it read back as the inline tag <ca>
 * (an unclosed block: the fuzzer's abort). Such names are no directive
 * OpenVPN knows, so they become comments now, and the result parses. */
static void test_profile_doubledash(void **state)
{
	const char prof[] = "client\n----<ca>\n------x 1\n\"----a b\" c\n-- y\n--dev tun\n";
	const char *const names[] = {"client", "--<ca>", "----x", "--a b", "--", "dev"};
	struct vd_ovpn_config *in = NULL, *cfg = NULL;
	struct vd_error err;
	char *out = NULL;
	size_t olen;

	(void)state;
	assert_int_equal(vd_ovpn_config_parse("in", prof, sizeof(prof) - 1, &in, &err), 0);
	assert_int_equal(in->n_opts, VD_ARRAY_SIZE(names));
	for (size_t i = 0; i < in->n_opts; i++)
		assert_string_equal(in->opts[i].name, names[i]);
	vd_ovpn_config_free(in);

	assert_int_equal(vd_redact_profile("d.ovpn", prof, sizeof(prof) - 1, NULL, &out, &olen, NULL, &err), 0);
	if (vd_ovpn_config_parse("out", out, olen, &cfg, &err) != 0) {
		print_error("%s: %s in:\n%s\n", err.file, err.msg, out);
		fail();
	}
	assert_int_equal(cfg->n_opts, 2);
	assert_string_equal(cfg->opts[0].name, "client");
	assert_string_equal(cfg->opts[1].name, "dev");
	assert_null(cfg->opts[1].inline_body);
	assert_absent(out, "<ca>");
	assert_present(out, "# [vpndoctor: line 2: a directive OpenVPN does not know and its 0 arguments removed]\n");
	vd_ovpn_config_free(cfg);
	free(out);
}

/* A line "connection x" inside a <connection> block is an option, not a
 * second block: written back as "<connection>" it nested a block. */
static void test_profile_connection_word(void **state)
{
	const char prof[] = "client\n<connection>\nremote 192.0.2.1\nconnection foo\n</connection>\n";
	struct vd_ovpn_config *cfg = NULL;
	struct vd_error err;
	char *out = NULL;
	size_t olen;

	(void)state;
	assert_int_equal(vd_redact_profile("c.ovpn", prof, sizeof(prof) - 1, NULL, &out, &olen, NULL, &err), 0);
	assert_present(out, "<connection>\nremote 192.0.2.1\nconnection foo\n</connection>\n");
	assert_int_equal(vd_ovpn_config_parse("out", out, olen, &cfg, &err), 0);
	assert_int_equal(cfg->n_connections, 1);
	vd_ovpn_config_free(cfg);
	free(out);
}

/* The allowlist has one entry per directive OpenVPN knows, no more, each with
 * a reason, in bsearch() order. */
static void test_allowlist_complete(void **state)
{
	const char *name, *reason, *prev = "";
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < VD_ARRAY_SIZE(ovpn_directives); i++)
		if (!vd_redact_known(ovpn_directives[i])) {
			print_error("no allowlist entry for \"%s\"\n", ovpn_directives[i]);
			fail();
		}
	for (; vd_redact_rule(n, &name, &reason) == 0; n++) {
		bool found = false;

		assert_true(strcmp(prev, name) < 0);
		assert_true(reason && strlen(reason) > 10);
		for (size_t i = 0; i < VD_ARRAY_SIZE(ovpn_directives) && !found; i++)
			found = strcmp(ovpn_directives[i], name) == 0;
		if (!found) {
			print_error("\"%s\" is no OpenVPN directive\n", name);
			fail();
		}
		prev = name;
	}
	assert_int_equal(n, VD_ARRAY_SIZE(ovpn_directives));
	assert_int_equal(vd_redact_rule(n, &name, &reason), -ENOENT);
	assert_false(vd_redact_known("hunter2"));
	assert_false(vd_redact_known("--remote"));
}

/* Redacts prof, checks that none of secrets is in the result or in its
 * anonymized form, and returns the plain result. */
static char *redact_without(const char *prof, const char *const *secrets, size_t n_secrets)
{
	struct vd_redact_notes notes = {0};
	struct vd_anon *a = NULL;
	struct vd_error err;
	char *out = NULL, *anon = NULL;
	size_t olen, alen;
	struct vd_ovpn_config *cfg = NULL;

	if (vd_redact_profile("s.ovpn", prof, strlen(prof), NULL, &out, &olen, &notes, &err) != 0) {
		print_error("%s: line %u: %s\n", err.file, err.line, err.msg);
		fail();
	}
	assert_int_equal(vd_anon_new(&a), 0);
	assert_int_equal(vd_anon_reserve(a, out, olen), 0);
	assert_int_equal(vd_anon_apply(a, out, olen, &anon, &alen), 0);
	for (size_t i = 0; i < n_secrets; i++) {
		assert_absent(out, secrets[i]);
		assert_absent(anon, secrets[i]);
		for (size_t k = 0; k < notes.n; k++)
			assert_absent(notes.lines[k], secrets[i]);
	}
	/* and it is still a profile */
	if (vd_ovpn_config_parse("out", out, olen, &cfg, &err) != 0) {
		print_error("%s: line %u: %s in:\n%s\n", err.file, err.line, err.msg, out);
		fail();
	}
	vd_ovpn_config_free(cfg);
	vd_anon_free(a);
	vd_redact_notes_free(&notes);
	free(anon);
	return out;
}

/* Issue 16 item 5, one case per kind of secret the report kept. */
static void test_secret_proxy_authorization(void **state)
{
	const char prof[] = "client\nhttp-proxy proxy.example.test 3128\n"
	                    "http-proxy-option CUSTOM-HEADER Proxy-Authorization \"Basic YWxpY2U6UHIweHlQYXNz\"\n"
	                    "http-proxy-option VERSION 1.1\n";
	const char *const secrets[] = {"YWxpY2U6UHIweHlQYXNz", "Basic", "Proxy-Authorization"};
	char *out;

	(void)state;
	out = redact_without(prof, secrets, VD_ARRAY_SIZE(secrets));
	assert_present(out, "\nhttp-proxy-option CUSTOM-HEADER [REDACTED] [REDACTED]\n");
	assert_present(out, "\nhttp-proxy-option VERSION 1.1\n");
	assert_present(out, "\nhttp-proxy proxy.example.test 3128\n");
	free(out);
}

static void test_secret_custom_headers(void **state)
{
	const char prof[] = "client\nhttp-proxy-option CUSTOM-HEADER X-Api-Key k-7781-QUUX\n"
	                    "http-proxy-option CUSTOM-HEADER Cookie \"session=c00kieM0nster\"\n"
	                    "http-proxy-option AGENT \"corp-agent/1.0 (id 55-TRACKME)\"\n"
	                    "http-proxy-option EXT1 \"X-Forwarded-Secret: ext1value\"\n";
	const char *const secrets[] = {"k-7781-QUUX", "c00kieM0nster", "TRACKME", "ext1value", "EXT1", "X-Api-Key",
	                               "Cookie"};
	char *out;

	(void)state;
	out = redact_without(prof, secrets, VD_ARRAY_SIZE(secrets));
	assert_present(out, "\nhttp-proxy-option AGENT [REDACTED]\n");
	assert_present(out, "\nhttp-proxy-option [REDACTED] [REDACTED]\n");
	free(out);
}

static void test_secret_setenv(void **state)
{
	const char prof[] = "client\nsetenv DB_PASSWORD s3tenvVal\nsetenv-safe SESSION q9-safeVal\n"
	                    "setenv UV_ROLE \"admin with key ZZ-uvkey\"\nsetenv PLAIN_NAME_ONLY\n"
	                    "setenv FORWARD_COMPATIBLE 1\nsetenv CLIENT_CERT tokenNotABit\n"
	                    "setenv opt block-outside-dns\nsetenv opt auth-token opt-T0KEN\n"
	                    "setenv opt future-option fut-VALUE\n";
	const char *const secrets[] = {"s3tenvVal", "q9-safeVal", "ZZ-uvkey", "DB_PASSWORD", "SESSION",
	                               "PLAIN_NAME_ONLY", "tokenNotABit", "opt-T0KEN", "future-option", "fut-VALUE"};
	char *out;

	(void)state;
	out = redact_without(prof, secrets, VD_ARRAY_SIZE(secrets));
	assert_present(out, "\nsetenv [REDACTED] [REDACTED]\nsetenv-safe [REDACTED] [REDACTED]\n");
	assert_present(out, "\nsetenv FORWARD_COMPATIBLE 1\n");
	assert_present(out, "\nsetenv [REDACTED] [REDACTED]\nsetenv opt block-outside-dns\n");
	assert_present(out, "\nsetenv opt auth-token [REDACTED]\n");
	assert_present(out, "\nsetenv opt [REDACTED] [REDACTED]\n");
	free(out);
}

static void test_secret_script_args(void **state)
{
	const char prof[] = "client\nscript-security 2\n"
	                    "up \"/etc/openvpn/up.sh --user bob --password upPassw0rd\"\n"
	                    "down \"/usr/local/bin/down --token=d0wnTok\"\n"
	                    "route-up \"/bin/sh -c 'curl -u bob:r0uteUp https://x'\"\n"
	                    "route-pre-down \"API_KEY=preD0wnKey /bin/hook\"\n"
	                    "ipchange \"/bin/ipc ipch4nge\"\ntls-verify \"/bin/verify tlsV3rify\"\n"
	                    "learn-address \"/bin/learn le4rn\"\nclient-connect \"/bin/cc c0nnect\"\n"
	                    "auth-user-pass-verify \"/usr/bin/check-pw ch3ckpw\" via-env\n"
	                    "plugin /usr/lib/openvpn/plugins/openvpn-plugin-auth-pam.so \"login USERNAME password pluginPw\"\n"
	                    "down /etc/openvpn/update-resolv-conf\n";
	const char *const secrets[] = {"upPassw0rd", "bob", "d0wnTok", "r0uteUp", "preD0wnKey", "ipch4nge",
	                               "tlsV3rify", "le4rn", "c0nnect", "ch3ckpw", "pluginPw", "USERNAME"};
	char *out;

	(void)state;
	out = redact_without(prof, secrets, VD_ARRAY_SIZE(secrets));
	assert_present(out, "\nup \"/etc/openvpn/up.sh [REDACTED]\"\n");
	assert_present(out, "\nroute-pre-down [REDACTED]\n");
	assert_present(out, "\nauth-user-pass-verify \"/usr/bin/check-pw [REDACTED]\" via-env\n");
	assert_present(out, "\nplugin /usr/lib/openvpn/plugins/openvpn-plugin-auth-pam.so [REDACTED]\n");
	assert_present(out, "\ndown /etc/openvpn/update-resolv-conf\n");
	free(out);
}

/* The other directives of OpenVPN's list that can carry a secret, and text
 * that is no directive at all (a file that is not a profile). */
static void test_secret_other_directives(void **state)
{
	const char prof[] = "client\nauth-token aUthT0ken\nauth-token-user YWxpY2UtdG9rZW4=\n"
	                    "static-challenge \"Enter PIN for st4ticText\" 1\npush \"auth-token pushT0k\"\n"
	                    "echo \"msg ech0Text\"\nparameter paramN4me paramV4lue\noverride-username 0verrideUser\n"
	                    "management 127.0.0.1 7505 /etc/openvpn/mgmt.pw\n"
	                    "pull-filter ignore \"route 10.9.9.0\"\npull-filter ignore redirect-gateway\n"
	                    "ignore-unknown-option block-outside-dns ign0redWord\n"
	                    "ROOTONLY_SECRET_e7f1 with arguments\nroot:$6$saltsalt$ha5hha5h:19000:0:99999:7:::\n"
	                    "<my-secret-block>\nbl0ckBody\n</my-secret-block>\n"
	                    "remote vpn.example.test 1194 udp\n";
	const char *const secrets[] = {"aUthT0ken", "YWxpY2UtdG9rZW4=", "st4ticText", "pushT0k", "ech0Text",
	                               "paramN4me", "paramV4lue", "0verrideUser", "10.9.9.0", "ign0redWord",
	                               "ROOTONLY", "saltsalt", "ha5h", "root", "my-secret-block", "bl0ckBody"};
	char *out;

	(void)state;
	out = redact_without(prof, secrets, VD_ARRAY_SIZE(secrets));
	assert_present(out, "\nstatic-challenge [REDACTED] 1\n");
	assert_present(out, "\nmanagement 127.0.0.1 7505 /etc/openvpn/mgmt.pw\n");
	assert_present(out, "\npull-filter ignore [REDACTED]\npull-filter ignore redirect-gateway\n");
	assert_present(out, "\nignore-unknown-option block-outside-dns [REDACTED]\n");
	assert_present(out, "\n# [vpndoctor: line 13: a directive OpenVPN does not know and its 2 arguments removed]\n");
	assert_present(out, "\n# [vpndoctor: line 15: an inline block of a directive OpenVPN does not know, 10 bytes, "
	                    "removed]\n");
	assert_present(out, "\nremote vpn.example.test 1194 udp\n");
	free(out);
}

/* A kept argument still goes through the scrubber, before it is quoted, and a
 * line the scrubber cuts across arguments becomes a comment: the result
 * parses either way. */
static void test_kept_args_scrubbed(void **state)
{
	const char prof[] = "client\nverify-x509-name \"password=kept4rgPw\" name\n"
	                    "verify-x509-name \"x password:\\\"spl1t\" name\n"
	                    "ca \"-----BEGIN RSA PRIVATE KEY-----MIIpemInArg\"\n";
	const char *const secrets[] = {"kept4rgPw", "spl1t", "MIIpemInArg"};
	char *out;

	(void)state;
	out = redact_without(prof, secrets, VD_ARRAY_SIZE(secrets));
	assert_present(out, "\nverify-x509-name password=[REDACTED] name\n");
	free(out);
}

static char *scrub(const char *in, unsigned *count)
{
	char *out = NULL;
	size_t len;

	assert_int_equal(vd_redact_scrub(in, strlen(in), &out, &len, count, NULL), 0);
	assert_int_equal(strlen(out), len);
	return out;
}

static void test_scrub_pem(void **state)
{
	size_t clen;
	char *crt = slurp("client.crt", &clen), *key = slurp("client.key", NULL), *in, *out;
	unsigned count;

	(void)state;
	in = malloc(clen + strlen(key) + 4096);
	assert_non_null(in);
	sprintf(in, "log line\n%s" STATIC_KEY V2_KEY ENC_KEY RSA_KEY "%smiddle\n", crt, key);
	out = scrub(in, &count);
	assert_int_equal(count, 5);
	assert_present(out, crt); /* certificates stay whole */
	assert_present(out, "log line\n");
	assert_present(out, "middle\n");
	assert_absent(out, "PRIVATE KEY-");
	assert_absent(out, "Static key V1-");
	assert_absent(out, "d4e1190c7f78d8bb");
	assert_absent(out, "u5wrgy");
	assert_absent(out, "MIHsMFcGCSqG");
	assert_absent(out, "QmFzZTY0Qm9k");
	assert_absent(out, key + 28);
	assert_present(out, "[vpndoctor: removed a PEM block (OpenVPN tls-crypt-v2 client key)]");
	free(out);
	free(in);
	free(key);
	free(crt);

	/* JSON-escaped, lower case, and unterminated: still removed */
	out = scrub("{\"k\":\"-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIBody\\n-----END EC PRIVATE KEY-----\\n\",\"n\":1}",
	            &count);
	assert_int_equal(count, 1);
	assert_string_equal(out, "{\"k\":\"[vpndoctor: removed a PEM block (EC PRIVATE KEY)]\\n\",\"n\":1}");
	free(out);
	out = scrub("a\n-----begin private key-----\nSECRETBODY\n-----end private key-----\nb\n", &count);
	assert_absent(out, "SECRETBODY");
	assert_present(out, "\nb\n");
	free(out);
	out = scrub("a\n-----BEGIN PRIVATE KEY-----\nSECRETBODY\nMORE\n", &count);
	assert_string_equal(out, "a\n[vpndoctor: removed a PEM block (PRIVATE KEY)]");
	free(out);
	out = scrub("x -----BEGIN PRIVATE KEY\nSECRETBODY\n-----END PRIVATE KEY-----\ny", &count);
	assert_string_equal(out, "x [vpndoctor: removed a PEM block (unterminated)]\ny");
	free(out);
	/* a mismatched end still ends the block, not the text */
	out = scrub("-----BEGIN RSA PRIVATE KEY-----\nSECRET\n-----END PRIVATE KEY-----\nkept", &count);
	assert_string_equal(out, "[vpndoctor: removed a PEM block (RSA PRIVATE KEY)]\nkept");
	free(out);
	/* markers sharing their dashes cannot hide a block */
	out = scrub("-----BEGIN CERTIFICATE-------BEGIN PRIVATE KEY-----\nSECRETBODY\n-----END PRIVATE KEY-----\nz", &count);
	assert_string_equal(out, "[vpndoctor: removed a PEM block (PRIVATE KEY)]\nz");
	free(out);
	out = scrub("-----BEGIN PRIVATE KEY-----\nA\n-----END PRIVATE KEY-------BEGIN RSA PRIVATE KEY-----\nSECRETBODY\n"
	            "-----END RSA PRIVATE KEY-----\nz", &count);
	assert_string_equal(out, "[vpndoctor: removed a PEM block (PRIVATE KEY)]\nz");
	free(out);
	/* public markers sharing dashes with one another and then with a key's:
	 * the removal takes them all, none is left cut in two (found by
	 * fuzz_redact) */
	out = scrub("---------BEGIN CERTIFICATE-------BEGIN CERTIFICATE-------BEGIN PRIVATE KEY--\nSECRETBODY", &count);
	assert_string_equal(out, "----[vpndoctor: removed a PEM block (unterminated)]");
	free(out);
	/* a NUL inside a label does not make "CERTIFICATE<NUL>...KEY" public
	 * (found by fuzz_redact) */
	{
		static const char nul[] = "-----BEGIN CERTIFICATE\0\0 RSA PRIVATE KEY-----\nSECRETBODY\n"
		                          "-----END CERTIFICATE\0\0 RSA PRIVATE KEY-----\nz";
		size_t olen = 0;

		out = NULL;
		assert_int_equal(vd_redact_scrub(nul, sizeof(nul) - 1, &out, &olen, &count, NULL), 0);
		assert_int_equal(count, 1);
		assert_null(memmem(out, olen, "SECRETBODY", 10));
		assert_null(memmem(out, olen, "-----BEGIN", 10));
		free(out);
	}
	/* a key glued to a password value does not leave its body behind */
	out = scrub("password=-----BEGIN PRIVATE KEY-----\nSECRETBODY\n-----END PRIVATE KEY-----\n", &count);
	assert_absent(out, "SECRETBODY");
	free(out);
}

static void test_scrub_values(void **state)
{
	static const struct { const char *in, *want; } t[] = {
		{"password=hunter2 next", "password=[REDACTED] next"},
		{"Password: hunter2\n", "Password: [REDACTED]\n"},
		{"DB_PASSWORD='a b c'", "DB_PASSWORD='[REDACTED]'"},
		{"{\"password\":\"hu\\\"nter2\",\"x\":1}", "{\"password\":\"[REDACTED]\",\"x\":1}"},
		{"{\"db_passwd\": 1234}", "{\"db_passwd\": \"[REDACTED]\"}"},
		{"{\"password\": true, \"token\": null}", "{\"password\": true, \"token\": null}"},
		{"X-Api-Key: abc123;", "X-Api-Key: [REDACTED];"},
		{"client_secret=abc&x=1", "client_secret=[REDACTED]&x=1"},
		{"PUSH_REPLY,auth-token SESS_ID_AT_xyz,ping 10", "PUSH_REPLY,auth-token [REDACTED],ping 10"},
		/* a quoted value inside a JSON string (a log line in facts.json) */
		{"{\"l\":\"pushed password: \\\"abc def\\\" ok\"}", "{\"l\":\"pushed password: \\\"[REDACTED]\\\" ok\"}"},
		{"{\"l\":\"token=\\\"abc def\"}", "{\"l\":\"token=\\\"[REDACTED]\"}"},
		{"x password:\\\"[REDACTED]\\\" y", "x password:\\\"[REDACTED]\\\" y"},
		/* not secrets */
		{"bypass=1 passwords: 3 password_file=/x", "bypass=1 passwords: 3 password_file=/x"},
		{"auth-user-pass /etc/openvpn/pass.txt", "auth-user-pass /etc/openvpn/pass.txt"},
		{"password=[REDACTED]", "password=[REDACTED]"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *out = scrub(t[i].in, NULL);

		if (strcmp(out, t[i].want) != 0) {
			print_error("scrub(%s) = %s, want %s\n", t[i].in, out, t[i].want);
			fail();
		}
		free(out);
	}
}

static bool is_v4_public(const char *s)
{
	uint8_t a[4];

	assert_int_equal(inet_pton(AF_INET, s, a), 1);
	return vd_anon_ipv4_is_public(a);
}

static bool is_v6_public(const char *s)
{
	uint8_t a[16];

	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
	return vd_anon_ipv6_is_public(a);
}

static void test_anon_classes(void **state)
{
	static const char *const v4_kept[] = {
		"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1", "100.127.255.254",
		"127.0.0.1", "169.254.1.1", "0.0.0.0", "192.0.2.1", "198.51.100.7", "203.0.113.7",
		"198.18.1.123", "198.19.0.1", "224.0.0.251", "255.255.255.0", "255.255.255.255", "128.0.0.0",
		"240.0.0.1",
	};
	static const char *const v4_public[] = {
		"8.8.8.8", "1.1.1.1", "172.32.0.1", "172.15.255.255", "100.128.0.1", "198.20.0.1",
		"203.0.114.1", "52.1.2.3", "129.0.0.0",
	};
	static const char *const v6_kept[] = {
		"::", "::1", "fe80::1", "fd00::1", "fc00::2", "ff02::1", "2001:db8::1", "2001:2::5",
		"::ffff:10.0.0.1", "100::1", "ffff:ffff:ffff:ffff::",
	};
	static const char *const v6_public[] = {
		"2a00:1450:4001:80b::200e", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2001:db9::1",
	};
	static const char *const names_kept[] = {
		"db.vpc.internal", "printer.local", "nas.lan", "router.home.arpa", "vpn.example.test",
		"host1.example.invalid", "www.example.com", "a.example", "ca.crt", "office.ovpn",
		"resolv.conf", "io.vpndoctor", "localhost", "libc.so.6", "x86_64",
	};
	static const char *const names_public[] = {
		"vpn.acme.com", "VPN.Acme.COM", "gw.corp.de", "a.b.co.uk", "api.service.io", "x.aws",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v4_kept) / sizeof(*v4_kept); i++)
		if (is_v4_public(v4_kept[i]))
			fail_msg("%s counted as public", v4_kept[i]);
	for (size_t i = 0; i < sizeof(v4_public) / sizeof(*v4_public); i++)
		if (!is_v4_public(v4_public[i]))
			fail_msg("%s not counted as public", v4_public[i]);
	for (size_t i = 0; i < sizeof(v6_kept) / sizeof(*v6_kept); i++)
		if (is_v6_public(v6_kept[i]))
			fail_msg("%s counted as public", v6_kept[i]);
	for (size_t i = 0; i < sizeof(v6_public) / sizeof(*v6_public); i++)
		if (!is_v6_public(v6_public[i]))
			fail_msg("%s not counted as public", v6_public[i]);
	for (size_t i = 0; i < sizeof(names_kept) / sizeof(*names_kept); i++)
		if (vd_anon_name_is_public(names_kept[i], strlen(names_kept[i])))
			fail_msg("%s counted as public", names_kept[i]);
	for (size_t i = 0; i < sizeof(names_public) / sizeof(*names_public); i++)
		if (!vd_anon_name_is_public(names_public[i], strlen(names_public[i])))
			fail_msg("%s not counted as public", names_public[i]);
}

static char *anon(struct vd_anon *a, const char *in)
{
	char *out = NULL;
	size_t len;

	assert_int_equal(vd_anon_apply(a, in, strlen(in), &out, &len), 0);
	assert_int_equal(strlen(out), len);
	return out;
}

static void test_anon_apply(void **state)
{
	struct vd_anon *a = NULL;
	const char *in = "remote vpn.acme.com 1194 (8.8.8.8:53, 10.0.0.1, 203.0.113.1)\n"
	                 "{\"gw\":\"8.8.8.8\",\"v6\":\"2a00:1450::1\",\"ll\":\"fe80::1%eth0\",\"url\":\"https://VPN.acme.com/x\"}\n"
	                 "[2a00:1450:0:0::1]:443 /usr/lib/x.so ca.crt 1.2.840.113549.1 OpenVPN 2.6.14 12:34:56 "
	                 "52:54:00:12:34:56 db.vpc.internal laptop-alice laptop-alice.lan 198.18.1.1 "
	                 "route 0.0.0.0 128.0.0.0 mail alice@mx.acme.com. 1.2.3.4.5";
	char *out, *again;
	size_t n4, n6, nn;

	(void)state;
	assert_int_equal(vd_anon_new(&a), 0);
	assert_int_equal(vd_anon_add_name(a, "laptop-alice"), 0);
	assert_int_equal(vd_anon_add_name(a, "bad.name"), -EINVAL);
	assert_int_equal(vd_anon_reserve(a, in, strlen(in)), 0);
	out = anon(a, in);
	/* 203.0.113.1 is in the text: 8.8.8.8 gets the next stand-in */
	assert_string_equal(out,
	                    "remote host1.example.invalid 1194 (203.0.113.2:53, 10.0.0.1, 203.0.113.1)\n"
	                    "{\"gw\":\"203.0.113.2\",\"v6\":\"2001:db8:ffff::1\",\"ll\":\"fe80::1%eth0\","
	                    "\"url\":\"https://host1.example.invalid/x\"}\n"
	                    "[2001:db8:ffff::1]:443 /usr/lib/x.so ca.crt 1.2.840.113549.1 OpenVPN 2.6.14 12:34:56 "
	                    "52:54:00:12:34:56 db.vpc.internal host2.example.invalid host3.example.invalid 198.18.1.1 "
	                    "route 0.0.0.0 128.0.0.0 mail alice@host4.example.invalid. 1.2.3.4.5");
	vd_anon_counts(a, &n4, &n6, &nn);
	assert_int_equal(n4, 1);
	assert_int_equal(n6, 1);
	assert_int_equal(nn, 4);
	/* the same input, later: the same stand-ins */
	again = anon(a, "8.8.8.8 vpn.ACME.com 2a00:1450:0000::0001 1.1.1.1");
	assert_string_equal(again, "203.0.113.2 host1.example.invalid 2001:db8:ffff::1 203.0.113.3");
	free(again);
	vd_anon_free(a);

	/* stand-ins are themselves kept: anonymizing twice changes nothing */
	assert_int_equal(vd_anon_new(&a), 0);
	again = anon(a, out);
	assert_string_equal(again, out);
	vd_anon_counts(a, &n4, &n6, &nn);
	assert_int_equal(n4 + n6 + nn, 0);
	free(again);
	free(out);
	vd_anon_free(a);

	/* a part with a leading zero is no dotted quad: "03.0.113.1" stays, so
	 * a stand-in cannot turn a malformed IPv6 into a valid one that a
	 * second pass would map (found by fuzz_redact) */
	assert_int_equal(vd_anon_new(&a), 0);
	out = anon(a, "[2606:4700::03.0.113.1] 08.8.8.8 8.8.8.08 8.8.8.8");
	assert_string_equal(out, "[2606:4700::03.0.113.1] 08.8.8.8 8.8.8.08 203.0.113.1");
	vd_anon_free(a);
	assert_int_equal(vd_anon_new(&a), 0);
	again = anon(a, out);
	assert_string_equal(again, out);
	free(again);
	free(out);
	vd_anon_free(a);
}

static void test_anon_many(void **state)
{
	struct vd_anon *a = NULL;
	char in[32], *out;

	(void)state;
	assert_int_equal(vd_anon_new(&a), 0);
	/* more addresses than the three documentation /24s hold */
	for (unsigned i = 0; i < 800; i++) {
		snprintf(in, sizeof(in), "8.8.%u.%u", i / 256, i % 256);
		out = anon(a, in);
		if (i == 0)
			assert_string_equal(out, "203.0.113.1");
		else if (i == 254)
			assert_string_equal(out, "198.51.100.1");
		else if (i == 799)
			assert_string_equal(out, "[ipv4-800]");
		free(out);
	}
	out = anon(a, "8.8.0.0");
	assert_string_equal(out, "203.0.113.1");
	free(out);
	vd_anon_free(a);
	vd_anon_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile_inline),
		cmocka_unit_test(test_profile_files),
		cmocka_unit_test(test_profile_bad),
		cmocka_unit_test(test_profile_quoting),
		cmocka_unit_test(test_profile_doubledash),
		cmocka_unit_test(test_profile_connection_word),
		cmocka_unit_test(test_allowlist_complete),
		cmocka_unit_test(test_secret_proxy_authorization),
		cmocka_unit_test(test_secret_custom_headers),
		cmocka_unit_test(test_secret_setenv),
		cmocka_unit_test(test_secret_script_args),
		cmocka_unit_test(test_secret_other_directives),
		cmocka_unit_test(test_kept_args_scrubbed),
		cmocka_unit_test(test_scrub_pem),
		cmocka_unit_test(test_scrub_values),
		cmocka_unit_test(test_anon_classes),
		cmocka_unit_test(test_anon_apply),
		cmocka_unit_test(test_anon_many),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
