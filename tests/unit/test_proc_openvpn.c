/* lib/proc_openvpn.c: openvpn command lines as /proc/PID/cmdline has them
 * (systemd's units, NetworkManager's helper, hand-started ones) and a config
 * file filling what the command line leaves out. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vpndoctor/ovpn_config.h"
#include "vpndoctor/proc_openvpn.h"

/* cmdline literals end with the kernel's NUL (sizeof - 1 keeps it). */
#define PARSE(lit, p) vd_proc_openvpn_parse((lit), sizeof(lit) - 1, (p))

static void test_systemd_unit(void **state)
{
	/* openvpn-client@.service: WorkingDirectory=/etc/openvpn/client */
	static const char cmd[] = "/usr/sbin/openvpn\0--suppress-timestamps\0--nobind\0--config\0office.conf\0";
	struct vd_proc_openvpn p;

	assert_int_equal(PARSE(cmd, &p), 0);
	assert_string_equal(p.config, "office.conf");
	assert_true(p.suppress_timestamps);
	assert_int_equal(p.log, VD_PROC_LOG_STDOUT);
	assert_null(p.log_file);
	assert_null(p.mgmt_unix);
	assert_false(p.mgmt_gui);
	vd_proc_openvpn_clear(&p);
	assert_true(vd_proc_is_openvpn(cmd, sizeof(cmd) - 1));
	assert_false(vd_proc_is_openvpn("/usr/bin/openvpn3\0", 18));
	assert_false(vd_proc_is_openvpn("nm-openvpn-service\0", 19));
	assert_true(vd_proc_is_openvpn("openvpn", 7)); /* no trailing NUL */
}

static void test_everything_on_the_command_line(void **state)
{
	static const char cmd[] =
		"openvpn\0--cd\0/srv/vpn\0--config\0c.ovpn\0--management\0/run/ovpn.sock\0unix\0"
		"--log-append\0/var/log/ovpn.log\0--remote\0vpn.example.com\0" "443\0tcp-client\0"
		"--remote\0backup.example.com\0--proto\0udp\0--cipher\0AES-128-CBC\0--data-ciphers\0"
		"AES-256-GCM:AES-128-GCM\0--dev\0tun7\0--management-hold\0--verb\0\x33\0";
	struct vd_proc_openvpn p;

	assert_int_equal(PARSE(cmd, &p), 0);
	assert_string_equal(p.cd, "/srv/vpn");
	assert_string_equal(p.config, "c.ovpn");
	assert_string_equal(p.mgmt_unix, "/run/ovpn.sock");
	assert_null(p.mgmt_host);
	assert_int_equal(p.log, VD_PROC_LOG_APPEND);
	assert_string_equal(p.log_file, "/var/log/ovpn.log");
	/* the first remote, with its own port and proto (the later --proto does not win) */
	assert_string_equal(p.remote, "vpn.example.com");
	assert_int_equal(p.remote_port, 443);
	assert_string_equal(p.proto, "tcp-client");
	assert_string_equal(p.cipher, "AES-128-CBC");
	assert_string_equal(p.data_ciphers, "AES-256-GCM:AES-128-GCM");
	assert_string_equal(p.dev, "tun7");
	assert_true(p.mgmt_gui);
	vd_proc_openvpn_clear(&p);
}

static void test_management_tcp_syslog_lone_config(void **state)
{
	/* (split literals: "\0" before a digit would be an octal escape) */
	static const char tcp[] = "openvpn\0--management\0" "127.0.0.1\0" "7505\0--daemon\0ovpn-office\0"
	                          "--remote\0gw\0--port\0" "1195\0";
	static const char lone[] = "openvpn\0/etc/openvpn/office.conf\0";
	static const char syslog_then_log[] = "openvpn\0--syslog\0--log\0/tmp/x.log\0";
	struct vd_proc_openvpn p;

	assert_int_equal(PARSE(tcp, &p), 0);
	assert_string_equal(p.mgmt_host, "127.0.0.1");
	assert_int_equal(p.mgmt_port, 7505);
	assert_null(p.mgmt_unix);
	assert_int_equal(p.log, VD_PROC_LOG_SYSLOG);
	assert_string_equal(p.syslog_name, "ovpn-office");
	assert_int_equal(p.remote_port, 1195);
	vd_proc_openvpn_clear(&p);

	assert_int_equal(PARSE(lone, &p), 0);
	assert_string_equal(p.config, "/etc/openvpn/office.conf");
	vd_proc_openvpn_clear(&p);

	/* --log wins over --syslog, as in OpenVPN; --syslog alone names "openvpn" */
	assert_int_equal(PARSE(syslog_then_log, &p), 0);
	assert_int_equal(p.log, VD_PROC_LOG_FILE);
	assert_string_equal(p.log_file, "/tmp/x.log");
	vd_proc_openvpn_clear(&p);
	assert_int_equal(vd_proc_openvpn_parse("openvpn\0--syslog\0", 17, &p), 0);
	assert_int_equal(p.log, VD_PROC_LOG_SYSLOG);
	assert_string_equal(p.syslog_name, "openvpn");
	vd_proc_openvpn_clear(&p);
}

static void test_odd_and_bad(void **state)
{
	struct vd_proc_openvpn p;
	char *big;

	assert_int_equal(vd_proc_openvpn_parse("", 0, &p), -EINVAL);
	assert_int_equal(vd_proc_openvpn_parse("\0--config\0x\0", 12, &p), -EINVAL);
	big = calloc(1, VD_PROC_CMDLINE_MAX + 2);
	assert_non_null(big);
	memset(big, 'a', VD_PROC_CMDLINE_MAX + 1);
	assert_int_equal(vd_proc_openvpn_parse(big, VD_PROC_CMDLINE_MAX + 1, &p), -E2BIG);
	free(big);
	/* stray words, options without their arguments, an empty argument, "--" alone */
	static const char odd[] = "openvpn\0stray\0--config\0--log\0\0--\0--management\0/x\0--remote\0";
	assert_int_equal(PARSE(odd, &p), 0);
	assert_null(p.config);
	assert_int_equal(p.log, VD_PROC_LOG_FILE);
	assert_string_equal(p.log_file, "");
	assert_null(p.mgmt_unix);
	assert_null(p.remote);
	vd_proc_openvpn_clear(&p);
	vd_proc_openvpn_clear(NULL);
}

static void test_config_fills_the_rest(void **state)
{
	static const char cmd[] = "openvpn\0--config\0c.conf\0--log\0/cmd.log\0--cipher\0AES-256-CBC\0";
	static const char conf[] = "client\ndev tun\nproto tcp\n"
	                           "<connection>\nremote first.example.com 1195 udp\n</connection>\n"
	                           "management /run/m.sock unix\nmanagement-query-passwords\n"
	                           "log-append /conf.log\ncipher BF-CBC\ncd /etc/openvpn\n";
	struct vd_proc_openvpn p;
	struct vd_ovpn_config *c;

	assert_int_equal(PARSE(cmd, &p), 0);
	assert_int_equal(vd_ovpn_config_parse("c.conf", conf, sizeof(conf) - 1, &c, NULL), 0);
	assert_int_equal(vd_proc_openvpn_apply_config(&p, c), 0);
	/* the command line wins */
	assert_int_equal(p.log, VD_PROC_LOG_FILE);
	assert_string_equal(p.log_file, "/cmd.log");
	assert_string_equal(p.cipher, "AES-256-CBC");
	/* the config fills the rest; <connection> rules for the remote */
	assert_string_equal(p.mgmt_unix, "/run/m.sock");
	assert_true(p.mgmt_gui);
	assert_string_equal(p.cd, "/etc/openvpn");
	assert_string_equal(p.dev, "tun");
	assert_string_equal(p.remote, "first.example.com");
	assert_int_equal(p.remote_port, 1195);
	assert_string_equal(p.proto, "udp");
	vd_proc_openvpn_clear(&p);
	vd_ovpn_config_free(c);

	/* a config with only top-level remotes and a global proto */
	static const char conf2[] = "remote a.example 1194\nremote b.example\nproto tcp-client\nsyslog\n";
	assert_int_equal(vd_proc_openvpn_parse("openvpn\0--config\0x\0", 19, &p), 0);
	assert_int_equal(vd_ovpn_config_parse("x", conf2, sizeof(conf2) - 1, &c, NULL), 0);
	assert_int_equal(vd_proc_openvpn_apply_config(&p, c), 0);
	assert_string_equal(p.remote, "a.example");
	assert_int_equal(p.remote_port, 1194);
	assert_string_equal(p.proto, "tcp");
	assert_int_equal(p.log, VD_PROC_LOG_SYSLOG);
	assert_string_equal(p.syslog_name, "openvpn");
	vd_proc_openvpn_clear(&p);
	vd_ovpn_config_free(c);
}

static void test_path_join(void **state)
{
	char buf[32];

	assert_int_equal(vd_proc_path_join("/etc/openvpn/client/", "office.conf", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/etc/openvpn/client/office.conf");
	assert_int_equal(vd_proc_path_join("/x", "/abs/p", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/abs/p");
	assert_int_equal(vd_proc_path_join("/", "rel", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/rel");
	assert_int_equal(vd_proc_path_join(NULL, "rel", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "rel");
	assert_int_equal(vd_proc_path_join("/a/very/long/directory/name", "and-a-file", buf, sizeof(buf)),
	                 -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_systemd_unit),
		cmocka_unit_test(test_everything_on_the_command_line),
		cmocka_unit_test(test_management_tcp_syslog_lone_config),
		cmocka_unit_test(test_odd_and_bad),
		cmocka_unit_test(test_config_fills_the_rest),
		cmocka_unit_test(test_path_join),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
