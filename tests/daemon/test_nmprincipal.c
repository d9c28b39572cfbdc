/* daemon/nmprincipal.c against python-dbusmock's NetworkManager on a private
 * bus of the test's own (DBUS_SYSTEM_BUS_ADDRESS): a system-wide
 * connection's file is root's (kind NM), one kept to this process's user is
 * that user's, a path the connection does not name is refused; and a
 * NetworkManager that stops answering (SIGSTOP: its name owned, no reply)
 * costs the caller, which blocks (the privileged parent, and the engine
 * waiting on it), one timeout, not one per file of a profile check; and
 * signals any peer may send to the asker's unique name are not kept.
 * vd-tier: check (no root, no namespace) */
#include <errno.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "nmprincipal.h"

static char dir[64], addr[512];
static pid_t bus_pid, mock_pid;

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

static int setup(void **state)
{
	char path[128];
	FILE *f;

	(void)state;
	if (sh("/usr/bin/python3 -c 'import dbusmock' 2>/dev/null") != 0 || sh("command -v dbus-daemon >/dev/null") != 0) {
		print_message("SKIP: no python3-dbusmock or dbus-daemon\n");
		exit(77);
	}
	snprintf(dir, sizeof(dir), "/tmp/vd-test-nmp-XXXXXX");
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
	assert_int_equal(sh("cd %s && /usr/bin/python3 -m dbusmock --system --template networkmanager >mock.log 2>&1 & "
	                    "echo $! >%s/mock.pid",
	                    dir, dir),
	                 0);
	mock_pid = read_pid("mock.pid");
	for (int i = 0; i < 100 && !mock_up(); i++)
		usleep(100000);
	assert_true(mock_up());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nmprincipal_close();
	if (mock_pid > 0) {
		kill(mock_pid, SIGCONT);
		kill(mock_pid, SIGTERM);
		waitpid(mock_pid, NULL, 0);
		mock_pid = 0;
	}
	if (bus_pid > 0)
		kill(bus_pid, SIGTERM);
	sh("rm -rf %s", dir);
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#define SYS_UUID "0b7e1d7c-7b5e-4f0f-9bde-3f9a9c1f2a11"
#define FLOOD_UUID "cccccccc-0000-4000-8000-000000000001"
#define KEPT_UUID "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"

static void add(const char *uuid, const char *perms)
{
	assert_int_equal(sh("busctl --address='%s' call org.freedesktop.NetworkManager "
	                    "/org/freedesktop/NetworkManager/Settings org.freedesktop.NetworkManager.Settings "
	                    "AddConnection 'a{sa{sv}}' 2 connection %d id s c type s vpn uuid s %s %s vpn 2 "
	                    "service-type s org.freedesktop.NetworkManager.openvpn data 'a{ss}' 5 connection-type tls "
	                    "remote 192.0.2.1 ca /vd/ca.crt cert /vd/c.crt key /vd/k/c.key >/dev/null",
	                    addr, perms[0] ? 4 : 3, uuid, perms),
	                 0);
}

static void test_principal(void **state)
{
	struct vd_principal p;
	struct passwd *pw = getpwuid(getuid());
	char perms[128];
	uint64_t t0, took;
	int r;

	(void)state;
	assert_non_null(pw);
	add(SYS_UUID, "");
	snprintf(perms, sizeof(perms), "permissions as 1 user:%s:", pw->pw_name);
	add(KEPT_UUID, perms);

	/* a system-wide connection's files: root's */
	assert_int_equal(nmprincipal_of(SYS_UUID, "/vd/c.crt", false, &p), 0);
	assert_int_equal(p.kind, VD_PRINCIPAL_NM);
	assert_int_equal(nmprincipal_of(SYS_UUID, "/vd/k", true, &p), 0);
	/* what it does not name: nothing */
	assert_int_equal(nmprincipal_of(SYS_UUID, "/etc/shadow", false, &p), -EPERM);
	assert_int_equal(nmprincipal_of(SYS_UUID, "/vd/k", false, &p), -EPERM);
	assert_int_equal(nmprincipal_of(SYS_UUID, "/etc", true, &p), -EPERM);
	/* kept to this user: this user's */
	assert_int_equal(nmprincipal_of(KEPT_UUID, "/vd/ca.crt", false, &p), 0);
	assert_int_equal(p.kind, VD_PRINCIPAL_USER);
	assert_int_equal(p.uid, getuid());
	assert_int_equal(nmprincipal_of("00000000-0000-4000-8000-000000000000", "/vd/ca.crt", false, &p), -ENOENT);

	/* NetworkManager stops answering: a profile check's burst of opens and
	 * watches (its ca, cert, key and their directories, of two
	 * connections) waits for one timeout, not for each */
	assert_int_equal(kill(mock_pid, SIGSTOP), 0);
	usleep(2100 * 1000); /* (past what is kept of the answers) */
	t0 = now_ms();
	for (int i = 0; i < 4; i++) {
		r = nmprincipal_of(i % 2 ? SYS_UUID : KEPT_UUID, "/vd/c.crt", false, &p);
		assert_int_equal(r, -ETIMEDOUT);
		r = nmprincipal_of(i % 2 ? SYS_UUID : KEPT_UUID, "/vd/k", true, &p);
		assert_int_equal(r, -ETIMEDOUT);
	}
	took = now_ms() - t0;
	print_message("8 requests with NetworkManager stalled: %llu ms\n", (unsigned long long)took);
	assert_true(took < 2 * NMPRINCIPAL_TIMEOUT_MS + 500);

	/* answering again: believed again once the pause is over */
	assert_int_equal(kill(mock_pid, SIGCONT), 0);
	t0 = now_ms();
	do {
		r = nmprincipal_of(SYS_UUID, "/vd/c.crt", false, &p);
		if (r == -ETIMEDOUT)
			usleep(200 * 1000);
	} while (r == -ETIMEDOUT && now_ms() - t0 < 30000);
	assert_int_equal(r, 0);
	assert_int_equal(p.kind, VD_PRINCIPAL_NM);
}

static long rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Anyone may send a signal to anyone on the system bus (its policy allows
 * send_type="signal"), to the parent's unique name too, which never
 * dispatches: a blocking call queues what is not its answer. 1000 signals
 * of 64 KiB sent to it between two questions are not kept. */
static void test_flood(void **state)
{
	struct vd_principal p;
	long before, after;

	(void)state;
	add(FLOOD_UUID, "");
	assert_int_equal(nmprincipal_of(FLOOD_UUID, "/vd/c.crt", false, &p), 0);
	before = rss_kib();
	assert_int_equal(sh("DBUS_SYSTEM_BUS_ADDRESS='%s' /usr/bin/python3 -c '"
	                    "import dbus, dbus.lowlevel, sys\n"
	                    "b = dbus.SystemBus()\n"
	                    "d = b.get_object(\"org.freedesktop.DBus\", \"/org/freedesktop/DBus\")\n"
	                    "names = [n for n in d.ListNames(dbus_interface=\"org.freedesktop.DBus\") if n.startswith(\":\") and "
	                    "d.GetConnectionUnixProcessID(n, dbus_interface=\"org.freedesktop.DBus\") == %d]\n"
	                    "for n in names:\n"
	                    "    for i in range(1000):\n"
	                    "        m = dbus.lowlevel.SignalMessage(\"/x\", \"vd.Flood\", \"F\")\n"
	                    "        m.set_destination(n)\n"
	                    "        m.append(\"A\" * 65536)\n"
	                    "        b.send_message(m)\n"
	                    "b.flush()\n"
	                    "print(\"flooded\", names)\n'",
	                    addr, (int)getpid()),
	                 0);
	usleep(2100 * 1000); /* (past what is kept of the answers) */
	assert_int_equal(nmprincipal_of(FLOOD_UUID, "/vd/c.crt", false, &p), 0);
	usleep(2100 * 1000);
	assert_int_equal(nmprincipal_of(FLOOD_UUID, "/vd/ca.crt", false, &p), 0);
	after = rss_kib();
	print_message("RSS %ld KiB before the flood, %ld KiB after\n", before, after);
	assert_true(after - before < 16 * 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_principal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
