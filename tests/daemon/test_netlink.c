/* The pure helpers of the routes and conflicts probes (tunnel subnet, VPN
 * link kinds, redirect routes, VPN process names, OpenVPN command lines); the
 * monitor itself is test_netlink_monitor.c (root).
 * vd-tier: check (no root, no namespace) */
#include <errno.h>
#include <linux/if_arp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <netlink/addr.h>

#include "probes/netlink.h"

static void subnet(const char *addr, unsigned len, bool peer, const char *topo, const char *want)
{
	struct vd_prefix a, r;
	char buf[VD_PREFIX_STRLEN];

	assert_int_equal(vd_addr_parse(addr, &a), 0);
	netlink_tunnel_subnet(&a, len, peer, topo, &r);
	assert_string_equal(vd_prefix_format(&r, false, buf, sizeof(buf)), want);
}

static void test_tunnel_subnet(void **state)
{
	subnet("10.8.0.6", 32, true, NULL, "10.8.0.4/30");      /* net30 */
	subnet("10.8.0.6", 32, true, "net30", "10.8.0.4/30");
	subnet("10.8.0.6", 32, true, "p2p", "10.8.0.6/32");
	subnet("10.8.0.6", 32, false, NULL, "10.8.0.6/32");     /* no peer: as it is */
	subnet("10.8.0.2", 24, false, "subnet", "10.8.0.0/24"); /* topology subnet */
	subnet("10.8.0.2", 24, true, NULL, "10.8.0.0/24");
	subnet("fd00:1::1000", 64, false, NULL, "fd00:1::/64");
	subnet("fd00:1::1000", 200, false, NULL, "fd00:1::1000/128"); /* clamped */
}

static void test_redirect(void **state)
{
	static const char *const yes[] = {"0.0.0.0/0", "0.0.0.0/1", "128.0.0.0/1", "::/0", "8000::/1"};
	static const char *const no[] = {"10.0.0.0/8", "192.168.1.0/24", "0.0.0.0/2", "2000::/3"};
	struct vd_prefix p;

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		assert_int_equal(vd_prefix_parse(yes[i], false, &p), 0);
		assert_true(netlink_is_redirect(&p));
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		assert_int_equal(vd_prefix_parse(no[i], false, &p), 0);
		assert_false(netlink_is_redirect(&p));
	}
}

static void test_vpn_kind(void **state)
{
	assert_string_equal(netlink_vpn_kind("tun", ARPHRD_NONE, -1), "tun");
	assert_string_equal(netlink_vpn_kind("tun", ARPHRD_ETHER, -1), "tap");
	assert_string_equal(netlink_vpn_kind(NULL, ARPHRD_NONE, 0x1001), "tun"); /* IFF_TUN|IFF_NO_PI */
	assert_string_equal(netlink_vpn_kind(NULL, ARPHRD_ETHER, 0x1002), "tap");
	assert_string_equal(netlink_vpn_kind("wireguard", ARPHRD_NONE, -1), "wireguard");
	assert_string_equal(netlink_vpn_kind("xfrm", ARPHRD_NONE, -1), "xfrm");
	assert_string_equal(netlink_vpn_kind("vti", ARPHRD_TUNNEL, -1), "vti");
	assert_string_equal(netlink_vpn_kind("ppp", ARPHRD_PPP, -1), "ppp");
	assert_string_equal(netlink_vpn_kind(NULL, ARPHRD_PPP, -1), "ppp"); /* older kernels: no kind */
	assert_null(netlink_vpn_kind("dummy", ARPHRD_ETHER, -1));
	assert_null(netlink_vpn_kind("veth", ARPHRD_ETHER, -1));
	assert_null(netlink_vpn_kind("bridge", ARPHRD_ETHER, -1));
	assert_null(netlink_vpn_kind(NULL, ARPHRD_ETHER, -1));
	assert_null(netlink_vpn_kind(NULL, ARPHRD_LOOPBACK, -1));
}

static void test_dev_is_name(void **state)
{
	assert_true(netlink_dev_is_name("tun7"));
	assert_true(netlink_dev_is_name("vpn-office"));
	assert_false(netlink_dev_is_name("tun"));
	assert_false(netlink_dev_is_name("tap"));
	assert_false(netlink_dev_is_name("null"));
	assert_false(netlink_dev_is_name(""));
	assert_false(netlink_dev_is_name(NULL));
}

static void from_nl(const char *s, int family, const char *want)
{
	struct nl_addr *a = NULL;
	struct vd_prefix p;
	char buf[VD_PREFIX_STRLEN];

	assert_int_equal(nl_addr_parse(s, family, &a), 0);
	assert_true(netlink_prefix_from_nl(a, &p));
	assert_string_equal(vd_prefix_format(&p, false, buf, sizeof(buf)), want);
	nl_addr_put(a);
}

static void test_prefix_from_nl(void **state)
{
	from_nl("10.1.2.0/24", AF_INET, "10.1.2.0/24");
	from_nl("10.1.2.3", AF_INET, "10.1.2.3/32");
	from_nl("default", AF_INET, "0.0.0.0/0"); /* a default route has no address bytes */
	from_nl("fd00::/8", AF_INET6, "fd00::/8");
}

static void test_process_kind(void **state)
{
	assert_string_equal(probe_conflicts_process_kind("openconnect"), "openconnect");
	assert_string_equal(probe_conflicts_process_kind("charon-systemd"), "charon");
	assert_string_equal(probe_conflicts_process_kind("charon-nm"), "charon-nm");
	assert_string_equal(probe_conflicts_process_kind("openfortivpn"), "openfortivpn");
	assert_string_equal(probe_conflicts_process_kind("wg-quick"), "wg-quick");
	assert_string_equal(probe_conflicts_process_kind("openvpn"), "openvpn");
	assert_null(probe_conflicts_process_kind("openvpn-helper")); /* exact names only */
	assert_null(probe_conflicts_process_kind("bash"));
	assert_null(probe_conflicts_process_kind(""));
	assert_null(probe_conflicts_process_kind(NULL));
}

#define ARGS(lit) lit, sizeof(lit) - 1 /* the literal's own NUL is cmdline's last */

static void args(const char *cmd, size_t len, const char *want_config, const char *want_cd)
{
	const char *config, *cd;

	probe_conflicts_openvpn_args(cmd, len, &config, &cd);
	if (want_config)
		assert_string_equal(config, want_config);
	else
		assert_null(config);
	if (want_cd)
		assert_string_equal(cd, want_cd);
	else
		assert_null(cd);
}

static void test_openvpn_args(void **state)
{
	args(ARGS("openvpn\0--config\0office.conf\0"), "office.conf", NULL);
	args(ARGS("/usr/sbin/openvpn\0--suppress-timestamps\0--cd\0/etc/openvpn/client\0--config\0office.conf\0"),
	     "office.conf", "/etc/openvpn/client");
	args(ARGS("openvpn\0--config\0a.conf\0--cd\0/x\0"), "a.conf", NULL); /* --cd after: not for the config */
	args(ARGS("openvpn\0--config\0a.conf\0--config\0b.conf\0"), "a.conf", NULL);
	args(ARGS("openvpn\0client.ovpn\0"), "client.ovpn", NULL);        /* the lone-file form */
	args(ARGS("openvpn\0--daemon\0"), NULL, NULL);
	args(ARGS("openvpn\0--remote\0h\0--dev\0tun\0"), NULL, NULL);
	args(ARGS("openvpn\0--config\0"), NULL, NULL);                    /* missing value */
	args("openvpn\0--config\0trunc", sizeof("openvpn\0--config\0trunc") - 1, NULL, NULL); /* cut off */
	args("", 0, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tunnel_subnet),
		cmocka_unit_test(test_redirect),
		cmocka_unit_test(test_vpn_kind),
		cmocka_unit_test(test_dev_is_name),
		cmocka_unit_test(test_prefix_from_nl),
		cmocka_unit_test(test_process_kind),
		cmocka_unit_test(test_openvpn_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
