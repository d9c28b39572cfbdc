/* daemon/nmsettings.c against python-dbusmock's NetworkManager on a private
 * bus of the test's own (DBUS_SYSTEM_BUS_ADDRESS): OpenVPN connections found,
 * their profile made from vpn.data, an update and a removal followed, another
 * VPN type and a Wi-Fi connection left out, a connection kept to one user,
 * NetworkManager going and coming back, and a peer that is not
 * NetworkManager saying a connection was removed; connections kept to users
 * (which any local user may add) never crowding out a system-wide one.
 * vd-tier: check (no root, no namespace) */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "nmsettings.h"

static char dir[64], addr[512];
static pid_t bus_pid, mock_pid;
static int changes;

static void on_change(void *ud)
{
	(void)ud;
	changes++;
}

__attribute__((format(printf, 1, 2)))
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static pid_t read_pid(const char *name)
{
	char path[128];
	FILE *f;
	long p = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &p) != 1)
			p = 0;
		fclose(f);
	}
	return (pid_t)p;
}

static bool mock_up(void)
{
	return sh("busctl --address='%s' status org.freedesktop.NetworkManager >/dev/null 2>&1", addr) == 0;
}

static void start_mock(void)
{
	assert_int_equal(sh("cd %s && DBUS_SYSTEM_BUS_ADDRESS='%s' /usr/bin/python3 -m dbusmock --system --template "
	                    "networkmanager >mock.log 2>&1 & echo $! >%s/mock.pid",
	                    dir, addr, dir),
	                 0);
	mock_pid = read_pid("mock.pid");
	for (int i = 0; i < 100 && !mock_up(); i++)
		usleep(100000);
	assert_true(mock_up());
}

static void stop_mock(void)
{
	if (mock_pid > 0) {
		kill(mock_pid, SIGTERM);
		waitpid(mock_pid, NULL, 0);
		mock_pid = 0;
	}
}

static int setup(void **state)
{
	char path[128];
	FILE *f;

	(void)state;
	if (sh("/usr/bin/python3 -c 'import dbusmock' 2>/dev/null") != 0 || sh("command -v dbus-daemon >/dev/null") != 0) {
		print_message("SKIP: no python3-dbusmock or dbus-daemon\n");
		exit(77);
	}
	snprintf(dir, sizeof(dir), "/tmp/vd-test-nms-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(sh("dbus-daemon --session --fork --print-address=1 --print-pid=2 >%s/addr 2>%s/bus.pid", dir,
	                    dir),
	                 0);
	bus_pid = read_pid("bus.pid");
	snprintf(path, sizeof(path), "%s/addr", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(addr, sizeof(addr), f));
	fclose(f);
	addr[strcspn(addr, "\n")] = '\0';
	setenv("DBUS_SYSTEM_BUS_ADDRESS", addr, 1);
	start_mock();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	stop_mock();
	if (bus_pid > 0)
		kill(bus_pid, SIGTERM);
	sh("rm -rf %s", dir);
	return 0;
}

static void run(struct event_base *base, int want_changes, int ms)
{
	for (int i = 0; i < ms / 20 && changes < want_changes; i++) {
		struct timeval tv = {0, 20000};
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
}

/* AddConnection with the settings given as busctl arguments after the signature. */
static void add(const char *settings)
{
	assert_int_equal(sh("busctl --address='%s' call org.freedesktop.NetworkManager "
	                    "/org/freedesktop/NetworkManager/Settings org.freedesktop.NetworkManager.Settings "
	                    "AddConnection 'a{sa{sv}}' %s >/dev/null",
	                    addr, settings),
	                 0);
}

#define OFFICE                                                                                                     \
	"2 connection 3 id s office type s vpn uuid s 0b7e1d7c-7b5e-4f0f-9bde-3f9a9c1f2a11 "                            \
	"vpn 2 service-type s org.freedesktop.NetworkManager.openvpn data 'a{ss}' 5 connection-type tls remote "         \
	"203.0.113.7 ca /home/alice/vpn/ca.crt cert /home/alice/vpn/client.crt key /home/alice/vpn/client.key"

static void test_connections(void **state)
{
	struct event_base *base = event_base_new();
	struct nmsettings *s = NULL;
	const struct nm_openvpn_conn *c;

	(void)state;
	changes = 0;
	/* one OpenVPN connection, another VPN's and a Wi-Fi one */
	add(OFFICE);
	add("2 connection 3 id s corp type s vpn uuid s 11111111-2222-3333-4444-555555555555 vpn 2 service-type s "
	    "org.freedesktop.NetworkManager.vpnc data 'a{ss}' 1 IPSec-gateway 192.0.2.9");
	add("1 connection 3 id s home-wifi type s 802-11-wireless uuid s 66666666-7777-8888-9999-000000000000");
	assert_int_equal(nmsettings_new(base, on_change, NULL, &s), 0);
	run(base, 1, 5000);
	assert_int_equal(nmsettings_count(s), 1);
	c = nmsettings_at(s, 0);
	assert_string_equal(c->id, "office");
	assert_string_equal(c->uuid, "0b7e1d7c-7b5e-4f0f-9bde-3f9a9c1f2a11");
	assert_null(c->user);
	assert_non_null(strstr(c->profile, "remote 203.0.113.7 1194 udp\n"));
	assert_non_null(strstr(c->profile, "ca /home/alice/vpn/ca.crt\n"));
	assert_ptr_equal(nmsettings_find_uuid(s, "0b7e1d7c-7b5e-4f0f-9bde-3f9a9c1f2a11"), c);

	/* a new one, kept to one user */
	add("2 connection 4 id s lab type s vpn uuid s aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee permissions as 1 "
	    "user:alice: vpn 2 service-type s org.freedesktop.NetworkManager.openvpn data 'a{ss}' 2 remote "
	    "vpn.lab.test:443:tcp connection-type password");
	run(base, 2, 5000);
	assert_int_equal(nmsettings_count(s), 2);
	c = nmsettings_find_uuid(s, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
	assert_non_null(c);
	assert_string_equal(c->user, "alice");
	assert_non_null(strstr(c->profile, "remote vpn.lab.test 443 tcp-client\n"));
	assert_non_null(strstr(c->profile, "auth-user-pass\n"));

	/* office edited in the GUI: the new remote */
	c = nmsettings_find_uuid(s, "0b7e1d7c-7b5e-4f0f-9bde-3f9a9c1f2a11");
	assert_int_equal(sh("busctl --address='%s' call org.freedesktop.NetworkManager %s "
	                    "org.freedesktop.NetworkManager.Settings.Connection Update 'a{sa{sv}}' 2 connection 1 "
	                    "id s office vpn 1 data 'a{ss}' 2 connection-type tls remote 198.51.100.9:1195",
	                    addr, c->path),
	                 0);
	run(base, 3, 5000);
	c = nmsettings_find_uuid(s, "0b7e1d7c-7b5e-4f0f-9bde-3f9a9c1f2a11");
	assert_non_null(strstr(c->profile, "remote 198.51.100.9 1195 udp\n"));
	assert_null(strstr(c->profile, "203.0.113.7"));

	/* another peer says it was removed, to everyone and to this process by
	 * its unique name: only NetworkManager is believed */
	{
		int before = changes;
		assert_int_equal(sh("busctl --address='%s' emit /org/freedesktop/NetworkManager/Settings "
		                    "org.freedesktop.NetworkManager.Settings ConnectionRemoved o %s",
		                    addr, c->path),
		                 0);
		assert_int_equal(sh("me=$(busctl --address='%s' list --no-legend --unique | awk '$2 == %d {print $1}'); "
		                    "test -n \"$me\" && busctl --address='%s' --destination=\"$me\" emit "
		                    "/org/freedesktop/NetworkManager/Settings org.freedesktop.NetworkManager.Settings "
		                    "ConnectionRemoved o %s",
		                    addr, (int)getpid(), addr, c->path),
		                 0);
		run(base, before + 1, 600);
		assert_int_equal(changes, before);
		assert_int_equal(nmsettings_count(s), 2);
	}

	/* deleted */
	assert_int_equal(sh("busctl --address='%s' call org.freedesktop.NetworkManager %s "
	                    "org.freedesktop.NetworkManager.Settings.Connection Delete",
	                    addr, c->path),
	                 0);
	run(base, 4, 5000);
	assert_int_equal(nmsettings_count(s), 1);
	assert_null(nmsettings_find_uuid(s, "0b7e1d7c-7b5e-4f0f-9bde-3f9a9c1f2a11"));

	/* NetworkManager stops: nothing; it starts again: what it has */
	stop_mock();
	run(base, 5, 5000);
	assert_int_equal(nmsettings_count(s), 0);
	start_mock();
	add(OFFICE);
	run(base, 6, 5000);
	assert_int_equal(nmsettings_count(s), 1);
	assert_string_equal(nmsettings_at(s, 0)->id, "office");

	nmsettings_free(s);
	event_base_free(base);
}

/* A user's own thousands of connections (here 400 Wi-Fi ones, before it)
 * do not push the system's OpenVPN connection out of reach. */
static void test_many(void **state)
{
	struct event_base *base = event_base_new();
	struct nmsettings *s = NULL;

	(void)state;
	changes = 0;
	assert_int_equal(sh("DBUS_SYSTEM_BUS_ADDRESS='%s' /usr/bin/python3 -c '"
	                    "import dbus\n"
	                    "st = dbus.Interface(dbus.SystemBus().get_object(\"org.freedesktop.NetworkManager\", "
	                    "\"/org/freedesktop/NetworkManager/Settings\"), \"org.freedesktop.NetworkManager.Settings\")\n"
	                    "for i in range(400):\n"
	                    "    st.AddConnection({\"connection\": {\"id\": \"w%%d\" %% i, \"type\": \"802-11-wireless\", "
	                    "\"uuid\": \"00000000-0000-4000-8000-%%012d\" %% i}})\n'",
	                    addr),
	                 0);
	add(OFFICE);
	assert_int_equal(nmsettings_new(base, on_change, NULL, &s), 0);
	run(base, 1, 10000);
	assert_int_equal(nmsettings_count(s), 1);
	assert_non_null(nmsettings_find_uuid(s, "0b7e1d7c-7b5e-4f0f-9bde-3f9a9c1f2a11"));
	nmsettings_free(s);
	event_base_free(base);
}

/* AddConnection of an OpenVPN connection: id, uuid number n, permissions
 * ("" none, else busctl's "as" arguments). */
static void add_n(const char *id, unsigned n, const char *perms)
{
	char s[1024];

	snprintf(s, sizeof(s),
	         "2 connection %d id s %s%u type s vpn uuid s 00000000-0000-4000-8000-%012u %s%s vpn 2 service-type s "
	         "org.freedesktop.NetworkManager.openvpn data 'a{ss}' 2 connection-type tls remote 192.0.2.%u",
	         perms[0] ? 4 : 3, id, n, n, perms[0] ? "permissions as " : "", perms, n % 250 + 1);
	add(s);
}

/* Connections kept to users are what any local user may add (one naming
 * himself and the daemon's user is visible to the daemon): however many
 * there are, they never crowd out a system-wide connection, nor one user's
 * the others'. */
static void test_crowd(void **state)
{
	struct event_base *base = event_base_new();
	struct nmsettings *s = NULL;
	size_t several = 0, mallory = 0, bob = 0;

	(void)state;
	changes = 0;
	assert_int_equal(nmsettings_new(base, on_change, NULL, &s), 0);
	for (unsigned i = 1; i <= NMSETTINGS_MAX; i++)
		add_n("mine", i, i % 2 ? "2 user:mallory: user:nobody:" : "1 user:mallory:");
	add_n("bob", 1000, "1 user:bob:");
	add_n("office", 2000, "");
	for (int i = 0; i < 500 && !nmsettings_find_uuid(s, "00000000-0000-4000-8000-000000002000"); i++)
		run(base, changes + 1, 100);
	run(base, changes + 1000, 500); /* the rest of the answers */
	assert_non_null(nmsettings_find_uuid(s, "00000000-0000-4000-8000-000000002000"));
	assert_null(nmsettings_find_uuid(s, "00000000-0000-4000-8000-000000002000")->user);
	for (size_t i = 0; i < nmsettings_count(s); i++) {
		const char *u = nmsettings_at(s, i)->user;
		several += u && strcmp(u, "(several users)") == 0;
		mallory += u && strcmp(u, "mallory") == 0;
		bob += u && strcmp(u, "bob") == 0;
	}
	assert_int_equal(several, NMSETTINGS_USER_MAX);
	assert_int_equal(mallory, NMSETTINGS_USER_MAX);
	assert_int_equal(bob, 1);
	assert_int_equal(nmsettings_count(s), 2 * NMSETTINGS_USER_MAX + 2);

	nmsettings_free(s);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crowd, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
