/* The netlink monitor in a network namespace of this process's own: route
 * lookups as `ip route get`, and a resync after a link change. Needs root
 * (unshare): without it, it says so and exits 77 (skipped). */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "probes/netlink.h"

static void test_monitor(void **state)
{
	struct event_base *base;
	struct netlink *nl, *nl2;
	struct netlink_route rt;
	struct vd_prefix p;
	struct timeval tv = {0, (NETLINK_DEBOUNCE_MS + 300) * 1000};
	uint64_t gen;

	assert_non_null(base = event_base_new());
	assert_int_equal(netlink_ref(base, NULL, &nl), 0);
	assert_int_equal(netlink_ref(base, NULL, &nl2), 0);
	assert_ptr_equal(nl, nl2); /* one per loop */
	assert_non_null(netlink_links(nl));
	gen = netlink_generation(nl);

	/* lo is down in a new namespace: nothing routes */
	assert_int_equal(vd_addr_parse("127.0.0.1", &p), 0);
	assert_int_equal(netlink_route_get(nl, &p, &rt), -ENETUNREACH);

	assert_int_equal(system("ip link set lo up && ip link add vdt0 type veth peer name vdt1 && "
	                        "ip addr add 192.0.2.2/24 dev vdt0 && ip link set vdt1 up && ip link set vdt0 up && "
	                        "ip route add 198.51.100.0/24 via 192.0.2.1"),
	                 0);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	assert_true(netlink_generation(nl) > gen); /* the change was heard and resynced */

	assert_int_equal(netlink_route_get(nl, &p, &rt), 0);
	assert_string_equal(rt.dev, "lo");
	assert_int_equal(vd_addr_parse("198.51.100.9", &p), 0);
	assert_int_equal(netlink_route_get(nl, &p, &rt), 0);
	assert_string_equal(rt.dev, "vdt0");
	assert_true(rt.has_gateway);
	assert_int_equal(vd_addr_parse("192.0.2.1", &p), 0);
	assert_true(vd_prefix_equal(&rt.gateway, &p));
	assert_int_equal(vd_addr_parse("203.0.113.1", &p), 0);
	assert_int_equal(netlink_route_get(nl, &p, &rt), -ENETUNREACH); /* no default route */
	assert_int_equal(vd_addr_parse("fd00::1", &p), 0);
	assert_int_equal(netlink_route_get(nl, &p, &rt), -ENETUNREACH);

	netlink_unref(nl2, NULL);
	netlink_unref(nl, NULL);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monitor),
	};

	if (unshare(CLONE_NEWNET) < 0) {
		printf("SKIP: a network namespace of its own: %s (needs root)\n", strerror(errno));
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
