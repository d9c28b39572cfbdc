/* lib/ovpn_argv.c: a profile from an openvpn command line (as
 * NetworkManager's plugin starts it) and from NetworkManager's vpn.data, and
 * lib/profile.c checking such a profile (vd_profile_check_text). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "vpndoctor/facts.h"
#include "vpndoctor/ovpn_argv.h"
#include "vpndoctor/profile.h"

/* argv words joined with NULs, as /proc/PID/cmdline holds them */
static size_t cmdline(char *buf, size_t size, const char *const *argv)
{
	size_t n = 0;

	for (size_t i = 0; argv[i]; i++) {
		size_t l = strlen(argv[i]) + 1;
		assert_true(n + l <= size);
		memcpy(buf + n, argv[i], l);
		n += l;
	}
	return n;
}

static char *profile_of(const char *const *argv)
{
	char buf[4096], *text = NULL;
	size_t n = cmdline(buf, sizeof(buf), argv), len = 0;

	assert_int_equal(vd_ovpn_argv_profile(buf, n, &text, &len), 0);
	assert_int_equal(len, strlen(text));
	return text;
}

/* What NetworkManager's plugin runs (nm-openvpn-service.c) for a TLS
 * connection with a tls-auth key. */
static const char *const nm_argv[] = {
	"/usr/sbin/openvpn", "--remote", "203.0.113.7", "1194", "udp", "--explicit-exit-notify", "--nobind",
	"--dev", "tun", "--cipher", "AES-128-CBC", "--auth-nocache", "--tls-auth", "/home/alice/vpn/ta.key",
	"1", "--remote-cert-tls", "server", "--reneg-sec", "0", "--verb", "1", "--syslog", "nm-openvpn",
	"--script-security", "2", "--up",
	"/usr/libexec/nm-openvpn-service-openvpn-helper --debug 0 4242 --bus-name "
	"org.freedesktop.NetworkManager.openvpn.Connection_3 --tun --",
	"--up-restart", "--persist-key", "--persist-tun", "--management",
	"/var/run/NetworkManager/nm-openvpn-0b7e1d7c-7b5e-4f0f-9bde-3f9a9c1f2a11", "unix",
	"--management-client-user", "root", "--management-client-group", "root", "--management-query-passwords",
	"--auth-retry", "interact", "--route-noexec", "--ifconfig-noexec", "--client", "--ca",
	"/home/alice/vpn/ca.crt", "--cert", "/home/alice/vpn/client.crt", "--key", "/home/alice/vpn/client.key",
	"--user", "nm-openvpn", "--group", "nm-openvpn", NULL};

static void test_nm_cmdline(void **state)
{
	char *text = profile_of(nm_argv);

	(void)state;
	assert_string_equal(text,
		"remote 203.0.113.7 1194 udp\n"
		"explicit-exit-notify\n"
		"nobind\n"
		"dev tun\n"
		"cipher AES-128-CBC\n"
		"auth-nocache\n"
		"tls-auth /home/alice/vpn/ta.key 1\n"
		"remote-cert-tls server\n"
		"reneg-sec 0\n"
		"verb 1\n"
		"syslog nm-openvpn\n"
		"script-security 2\n"
		"up \"/usr/libexec/nm-openvpn-service-openvpn-helper --debug 0 4242 --bus-name "
		"org.freedesktop.NetworkManager.openvpn.Connection_3 --tun --\"\n"
		"up-restart\n"
		"persist-key\n"
		"persist-tun\n"
		"management /var/run/NetworkManager/nm-openvpn-0b7e1d7c-7b5e-4f0f-9bde-3f9a9c1f2a11 unix\n"
		"management-client-user root\n"
		"management-client-group root\n"
		"management-query-passwords\n"
		"auth-retry interact\n"
		"route-noexec\n"
		"ifconfig-noexec\n"
		"client\n"
		"ca /home/alice/vpn/ca.crt\n"
		"cert /home/alice/vpn/client.crt\n"
		"key /home/alice/vpn/client.key\n"
		"user nm-openvpn\n"
		"group nm-openvpn\n");
	free(text);
}

static void test_cmdline_edges(void **state)
{
	static const char *const cfg[] = {"openvpn", "--cd", "/etc/openvpn", "--config", "office.conf", "--verb", "3", NULL};
	static const char *const lone[] = {"openvpn", "office.conf", NULL};
	static const char *const odd[] = {"openvpn", "stray", "--", "--setenv", "X", "a\nb", "--dev", "tun",
	                                  "--setenv", "NAME", "two words \"quoted\" \\ #", "--remote", "h", NULL};
	char *text;

	(void)state;
	/* --config and --cd are the caller's: the file is its own profile */
	text = profile_of(cfg);
	assert_string_equal(text, "verb 3\n");
	free(text);
	/* `openvpn FILE`: nothing on the command line */
	text = profile_of(lone);
	assert_string_equal(text, "");
	free(text);
	/* a stray word and a bare "--" are not options; a line break cannot be
	 * written on a line (the option goes); quotes and backslashes are */
	text = profile_of(odd);
	assert_string_equal(text, "dev tun\nsetenv NAME \"two words \\\"quoted\\\" \\\\ #\"\nremote h\n");
	free(text);
	/* an unterminated last word ends at the length */
	assert_int_equal(vd_ovpn_argv_profile("openvpn\0--dev\0tap", 17, &text, NULL), 0);
	assert_string_equal(text, "dev tap\n");
	free(text);
	assert_int_equal(vd_ovpn_argv_profile("", 0, &text, NULL), -EINVAL);
	assert_int_equal(vd_ovpn_argv_profile("\0--dev", 6, &text, NULL), -EINVAL);
}

static const char *sample_dir(void)
{
	static char dir[512];
	const char *d = getenv("VD_TESTDATA");

	snprintf(dir, sizeof(dir), "%s/sample", d ? d : "tests/data");
	return dir;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The profile of a command line is checked as a file's: remotes, certificates
 * read from its working directory, problems with the pseudo file's name. */
static void test_check_text(void **state)
{
	static const char *const argv[] = {"openvpn", "--client", "--dev", "tun", "--proto", "udp", "--remote",
	                                   "vpn.example.com", "1194", "--ca", "ca.crt", "--cert", "client.crt", "--key",
	                                   "client.key", "--remote-cert-tls", "server", "--tls-auth", "missing-ta.key",
	                                   "1", NULL};
	struct vd_profile_opts o = {.basedir = sample_dir()};
	char *text = profile_of(argv);
	cJSON *sec = NULL, *it;
	bool ca = false, missing = false;

	(void)state;
	assert_int_equal(vd_profile_check_text("/proc/4242/cmdline", text, strlen(text), &o, &sec), 0);
	assert_string_equal(jstr(sec, VDF_PROFILE_PATH), "/proc/4242/cmdline");
	assert_string_equal(jstr(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(sec, VDF_PROFILE_REMOTES), 0),
	                         VDF_REMOTE_HOST), "vpn.example.com");
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(sec, VDF_PROFILE_CERTS))
		ca |= jstr(it, VDF_CERT_ROLE) && strcmp(jstr(it, VDF_CERT_ROLE), "ca") == 0;
	assert_true(ca);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(sec, VDF_PROFILE_PROBLEMS))
		missing |= strstr(jstr(it, VDF_PROBLEM_MESSAGE), "missing-ta.key") &&
		           strcmp(jstr(it, VDF_PROBLEM_FILE), "/proc/4242/cmdline") == 0;
	assert_true(missing);
	cJSON_Delete(sec);
	free(text);
}

static char *nm_profile(const char *const *kv)
{
	const char *keys[64], *values[64];
	size_t n = 0;
	char *text = NULL;

	for (; kv[2 * n]; n++) {
		keys[n] = kv[2 * n];
		values[n] = kv[2 * n + 1];
	}
	assert_int_equal(vd_nm_openvpn_profile(keys, values, n, &text, NULL), 0);
	return text;
}

static void test_nm_data(void **state)
{
	/* a connection as the GNOME editor stores one from an imported .ovpn */
	static const char *const tls[] = {
		"connection-type", "tls", "remote", "vpn.example.com:1195:udp, 203.0.113.7 [2001:db8::7]:443:tcp",
		"port", "1194", "ca", "/home/alice/.cert/nm-openvpn/office-ca.pem", "cert",
		"/home/alice/.cert/nm-openvpn/office-cert.pem", "key", "/home/alice/.cert/nm-openvpn/office-key.pem",
		"ta", "/home/alice/.cert/nm-openvpn/office-tls-auth.pem", "ta-dir", "1", "cipher", "AES-256-CBC",
		"comp-lzo", "yes", "remote-cert-tls", "server", "verify-x509-name", "name:vpn.example.com",
		"password", "NOT-READ", "cert-pass-flags", "0", "dev", "tun", "mssfix", "1360", NULL};
	static const char *const pw[] = {"connection-type", "password", "remote", "vpn.example.com", "proto-tcp",
	                                 "yes", "ca", "/etc/ca\\040dir/ca.crt", "comp-lzo", "no", NULL};
	static const char *const sk[] = {"connection-type", "static-key", "remote", "10.0.0.1", "static-key",
	                                 "/etc/static.key", "static-key-direction", "0", "tap-dev", "yes", NULL};
	char *text;

	(void)state;
	text = nm_profile(tls);
	assert_string_equal(text,
		"client\n"
		"nobind\n"
		"remote vpn.example.com 1195 udp\n"
		"remote 203.0.113.7 1194 udp\n"
		"remote 2001:db8::7 443 tcp-client\n"
		"dev tun\n"
		"compress lzo\n"
		"cipher AES-256-CBC\n"
		"auth-nocache\n"
		"tls-auth /home/alice/.cert/nm-openvpn/office-tls-auth.pem 1\n"
		"verify-x509-name vpn.example.com name\n"
		"remote-cert-tls server\n"
		"mssfix 1360\n"
		"ca /home/alice/.cert/nm-openvpn/office-ca.pem\n"
		"cert /home/alice/.cert/nm-openvpn/office-cert.pem\n"
		"key /home/alice/.cert/nm-openvpn/office-key.pem\n");
	assert_null(strstr(text, "NOT-READ"));
	free(text);
	/* a password connection over TCP; a path NetworkManager escaped */
	text = nm_profile(pw);
	assert_string_equal(text,
		"client\n"
		"nobind\n"
		"remote vpn.example.com 1194 tcp-client\n"
		"dev tun\n"
		"auth-nocache\n"
		"auth-user-pass\n"
		"ca \"/etc/ca dir/ca.crt\"\n");
	free(text);
	text = nm_profile(sk);
	assert_string_equal(text,
		"nobind\n"
		"remote 10.0.0.1 1194 udp\n"
		"dev tap\n"
		"auth-nocache\n"
		"secret /etc/static.key 0\n");
	free(text);
}

/* The plugin's command line and the vpn.data it came from give the same key;
 * another remote, port, certificate or key does not; no remote, no key. */
static void test_match_key(void **state)
{
	static const char *const data[] = {"connection-type", "tls", "remote", "203.0.113.7", "cipher", "AES-128-CBC",
	                                   "ca", "/home/alice/vpn/ca.crt", "cert", "/home/alice/vpn/client.crt",
	                                   "key", "/home/alice/vpn/client.key", "ta", "/home/alice/vpn/ta.key",
	                                   "ta-dir", "1", NULL};
	static const char *const other_port[] = {"connection-type", "tls", "remote", "203.0.113.7:1195", "ca",
	                                         "/home/alice/vpn/ca.crt", "cert", "/home/alice/vpn/client.crt",
	                                         "key", "/home/alice/vpn/client.key", "ta", "/home/alice/vpn/ta.key",
	                                         "ta-dir", "1", NULL};
	static const char *const other_cert[] = {"connection-type", "tls", "remote", "203.0.113.7", "ca",
	                                         "/home/alice/vpn/ca.crt", "cert", "/home/alice/vpn/other.crt",
	                                         "key", "/home/alice/vpn/client.key", "ta", "/home/alice/vpn/ta.key",
	                                         "ta-dir", "1", NULL};
	char *cmd = profile_of(nm_argv), *nm = nm_profile(data), *a = NULL, *b = NULL, *c = NULL;

	(void)state;
	assert_int_equal(vd_ovpn_profile_match_key(cmd, strlen(cmd), &a), 0);
	assert_int_equal(vd_ovpn_profile_match_key(nm, strlen(nm), &b), 0);
	assert_string_equal(a, b);
	assert_string_equal(a, "remote 203.0.113.7 1194 udp\n"
	                       "ca /home/alice/vpn/ca.crt\n"
	                       "cert /home/alice/vpn/client.crt\n"
	                       "key /home/alice/vpn/client.key\n"
	                       "tls-auth /home/alice/vpn/ta.key\n");
	free(nm);
	free(b);
	nm = nm_profile(other_port);
	assert_int_equal(vd_ovpn_profile_match_key(nm, strlen(nm), &b), 0);
	assert_string_not_equal(a, b);
	free(nm);
	nm = nm_profile(other_cert);
	assert_int_equal(vd_ovpn_profile_match_key(nm, strlen(nm), &c), 0);
	assert_string_not_equal(a, c);
	free(nm);
	free(b);
	free(c);
	b = NULL;
	assert_int_equal(vd_ovpn_profile_match_key("client\nca /x\n", 13, &b), -EINVAL);
	assert_int_equal(vd_ovpn_profile_match_key("remote \"x\n", 10, &b), -EINVAL);
	assert_null(b);
	free(a);
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nm_cmdline), cmocka_unit_test(test_cmdline_edges),
		cmocka_unit_test(test_check_text), cmocka_unit_test(test_nm_data), cmocka_unit_test(test_match_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
