/* The network a gateway is reached from, and what a roam changes, from the
 * routes facts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "vpndoctor/uplink.h"

static int net(const char *json, char *buf, size_t len)
{
	cJSON *o = cJSON_Parse(json);
	int r;

	assert_non_null(o);
	r = vd_uplink_network(o, buf, len);
	cJSON_Delete(o);
	return r;
}

static int fp(const char *json, char *buf, size_t len)
{
	cJSON *o = cJSON_Parse(json);
	int r;

	assert_non_null(o);
	r = vd_uplink_fingerprint(o, buf, len);
	cJSON_Delete(o);
	return r;
}

#define SUBNETS "\"local_subnets\":[{\"prefix\":\"fe80::/64\",\"dev\":\"wlan0\"},{\"prefix\":\"192.168.1.0/24\"," \
	"\"dev\":\"wlan0\"},{\"prefix\":\"10.9.0.0/16\",\"dev\":\"eth1\"}]"

static void test_network(void **state)
{
	char b[128];

	(void)state;
	assert_int_equal(net("{\"status\":\"ok\"," SUBNETS ",\"gateway\":{\"addr\":\"203.0.113.7\",\"dev\":\"wlan0\","
	                     "\"gateway\":\"192.168.1.1\",\"via_tunnel\":false}}", b, sizeof(b)), 0);
	assert_string_equal(b, "192.168.1.0/24 via 192.168.1.1");
	/* on the gateway's own link */
	assert_int_equal(net("{\"status\":\"ok\"," SUBNETS ",\"gateway\":{\"addr\":\"10.9.0.7\",\"dev\":\"eth1\"}}", b,
	                     sizeof(b)), 0);
	assert_string_equal(b, "10.9.0.0/16");
	/* a link without a subnet listed (not yet, or a point-to-point uplink):
	 * not known, rather than named otherwise a moment later */
	assert_int_equal(net("{\"status\":\"ok\"," SUBNETS ",\"gateway\":{\"addr\":\"203.0.113.7\",\"dev\":\"ppp0\","
	                     "\"gateway\":\"100.64.0.1\"}}", b, sizeof(b)), -ENOENT);
	/* an IPv6-only link is named by its prefix */
	assert_int_equal(net("{\"status\":\"ok\",\"local_subnets\":[{\"prefix\":\"2001:db8:1::/64\",\"dev\":\"eth0\"}],"
	                     "\"gateway\":{\"addr\":\"2001:db8:9::7\",\"dev\":\"eth0\",\"gateway\":\"fe80::1\"}}",
	                     b, sizeof(b)), 0);
	assert_string_equal(b, "2001:db8:1::/64 via fe80::1");
	/* what does not tell */
	assert_int_equal(net("{\"status\":\"ok\"," SUBNETS "}", b, sizeof(b)), -ENOENT);
	assert_int_equal(net("{\"status\":\"unknown\"," SUBNETS ",\"gateway\":{\"addr\":\"203.0.113.7\",\"dev\":\"wlan0\","
	                     "\"gateway\":\"192.168.1.1\"}}", b, sizeof(b)), -ENOENT);
	assert_int_equal(net("{\"status\":\"ok\"," SUBNETS ",\"gateway\":{\"addr\":\"203.0.113.7\","
	                     "\"error\":\"no route\",\"via_tunnel\":false}}", b, sizeof(b)), -ENOENT);
	assert_int_equal(net("{\"status\":\"ok\"," SUBNETS ",\"gateway\":{\"addr\":\"203.0.113.7\",\"dev\":\"tun0\","
	                     "\"via_tunnel\":true}}", b, sizeof(b)), -ENOENT);
	assert_int_equal(net("{\"status\":\"ok\",\"local_subnets\":[],\"gateway\":{\"addr\":\"1.2.3.4\",\"dev\":\"x\"}}",
	                     b, sizeof(b)), -ENOENT);
	assert_int_equal(net("{\"status\":\"ok\"," SUBNETS ",\"gateway\":{\"addr\":\"203.0.113.7\",\"dev\":\"wlan0\","
	                     "\"gateway\":\"192.168.1.1\"}}", b, 10), -ENOSPC);
	assert_int_equal(vd_uplink_network(NULL, b, sizeof(b)), -ENOENT);
	assert_int_equal(vd_uplink_network(NULL, NULL, 0), -EINVAL);
}

static void test_fingerprint(void **state)
{
	char b[128];

	(void)state;
	assert_int_equal(fp("{\"status\":\"ok\"," SUBNETS ",\"gateway\":{\"addr\":\"203.0.113.7\",\"dev\":\"wlan0\","
	                    "\"gateway\":\"192.168.1.1\"}}", b, sizeof(b)), 0);
	assert_string_equal(b, "192.168.1.0/24 via 192.168.1.1 dev wlan0");
	/* the route gone (the link went down): a state of its own */
	assert_int_equal(fp("{\"status\":\"ok\"," SUBNETS ",\"gateway\":{\"addr\":\"203.0.113.7\","
	                    "\"error\":\"no route\"}}", b, sizeof(b)), 0);
	assert_string_equal(b, "no route");
	assert_int_equal(fp("{\"status\":\"ok\"," SUBNETS ",\"gateway\":{\"addr\":\"203.0.113.7\",\"dev\":\"tun0\","
	                    "\"via_tunnel\":true}}", b, sizeof(b)), 0);
	assert_string_equal(b, "dev tun0");
	assert_int_equal(fp("{\"status\":\"ok\"," SUBNETS "}", b, sizeof(b)), -ENOENT);
	assert_int_equal(fp("{\"status\":\"fail\"}", b, sizeof(b)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_network),
		cmocka_unit_test(test_fingerprint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
