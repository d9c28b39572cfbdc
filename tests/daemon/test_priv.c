/* daemon/priv.c from the engine's side, as root (else skipped): this
 * process separates (priv_separate, the engine as nobody) and then asks its
 * parent. What the administrator named in the configuration (the file, a
 * Config='s directory and below, ReflectorKey=) is opened as root; anything
 * else asked as the administrator (/etc/shadow, a root-only file beside the
 * configuration's) is refused, as from an engine that broke. A request the
 * protocol does not know ends the parent, and the engine's next request
 * fails instead of hanging. A socket the parent connects for a process is
 * that process's user's connection to the server, never root's, and only
 * one that the process itself listens on. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nsfs.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "priv.h"

static char dir[64];
static char pub[64]; /* 0755: a socket anyone may use, lfd listening on it */
static int lfd = -1;
static int bus = -1; /* pub/bus: a root service's socket, open to all (a bus) */
static pid_t parent, fake = -1;
static pid_t root_fake = -1; /* root, named openvpn, listening on pub/m only */
static char wdir[64]; /* the engine's user's, a Config='s directory: a tree it may write in */
static int rootbus = -1; /* pub/rootbus: a root-only service (0600) */

static void put(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static char *at(const char *name)
{
	static char buf[4][160];
	static unsigned i;
	char *p = buf[i++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
	return p;
}

static void test_admin_named(void **state)
{
	char *data = NULL;
	size_t len = 0;

	(void)state;
	/* root-only, but named: the configuration file, the profile and a file
	 * below its directory, the reflector key */
	assert_int_equal(priv_read(NULL, at("vd.conf"), 4096, &data, &len), 0);
	assert_non_null(strstr(data, "[Tunnel a]"));
	free(data);
	assert_int_equal(priv_read(NULL, at("prof/a.ovpn"), 4096, &data, &len), 0);
	assert_string_equal(data, "client\n");
	free(data);
	assert_int_equal(priv_read(NULL, at("prof/keys/ca.crt"), 4096, &data, &len), 0);
	free(data);
	assert_int_equal(priv_read(NULL, at("key"), 4096, &data, &len), 0);
	free(data);
}

static void test_admin_not_named(void **state)
{
	char *data = NULL;
	size_t len = 0;
	int fd = -1;

	(void)state;
	/* root-only and not named: refused, whatever the engine claims */
	assert_int_equal(priv_read(NULL, at("secret"), 4096, &data, &len), -EACCES);
	assert_int_equal(priv_read(NULL, "/etc/shadow", 1 << 20, &data, &len), -EACCES);
	assert_int_equal(priv_opendir(NULL, "/root", &fd), -EACCES);
	/* through a link in a named directory: the real path counts */
	assert_int_equal(priv_read(NULL, at("prof/link"), 4096, &data, &len), -EACCES);
	/* a process that does not exist has no principal */
	{
		const struct vd_proc_id gone = {.pid = 0x7ffffff0, .start = 1};
		assert_int_equal(priv_read(&gone, at("prof/a.ovpn"), 4096, &data, &len), -ESRCH);
	}
	/* the engine's own process is no openvpn: nothing is opened for it */
	{
		struct vd_principal p;
		uint64_t start;
		struct vd_proc_id self;
		assert_int_equal(vd_principal_of_pid(getpid(), 0, &p, &start), 0);
		self = (struct vd_proc_id){.pid = getpid(), .start = start};
		assert_int_equal(priv_read(&self, at("vd.conf"), 4096, &data, &len), -EPERM);
	}
}

/* The channel, found as the one SOCK_SEQPACKET descriptor. */
static int channel_fd(void)
{
	for (int fd = 3; fd < 256; fd++) {
		int type;
		socklen_t l = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) == 0 && type == SOCK_SEQPACKET)
			return fd;
	}
	return -1;
}

/* The engine's own process named openvpn, as a broken engine could make
 * one: the parent connects as its principal (nobody), and the server sees
 * nobody in SO_PEERCRED, not root, so that a bus or systemd's private
 * socket does not take the descriptor for root's. */
/* A process of the engine's own, named openvpn, as a broken engine could
 * make one (it dies with the test: fake_gone). */
static struct vd_proc_id spawn_fake(void)
{
	struct vd_principal p;
	uint64_t start = 0;
	char path[64];

	fake = fork();
	assert_true(fake >= 0);
	if (fake == 0) {
		prctl(PR_SET_NAME, "openvpn");
		for (;;)
			pause();
	}
	for (int i = 0; i < 100; i++) {
		char comm[32] = "";
		FILE *f;
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)fake);
		f = fopen(path, "re");
		if (f && fgets(comm, sizeof(comm), f) && strcmp(comm, "openvpn\n") == 0) {
			fclose(f);
			break;
		}
		if (f)
			fclose(f);
		usleep(10000);
	}
	assert_int_equal(vd_principal_of_pid(fake, 0, &p, &start), 0);
	return (struct vd_proc_id){.pid = fake, .start = start};
}

static void test_connect_peer(void **state)
{
	char path[96], *data = NULL;
	struct vd_proc_id who;
	struct ucred cred;
	socklen_t l = sizeof(cred);
	size_t len;
	int fd = -1, a;

	(void)state;
	who = spawn_fake();
	snprintf(path, sizeof(path), "%s/s", pub);
	assert_int_equal(priv_connect(&who, path, &fd), 0);
	a = accept(lfd, NULL, NULL);
	assert_true(a >= 0);
	assert_int_equal(getsockopt(a, SOL_SOCKET, SO_PEERCRED, &cred, &l), 0);
	assert_int_equal(cred.uid, getuid());
	assert_int_not_equal(cred.uid, 0);
	close(a);
	close(fd);
	/* and a root-only file is still not that process's to read */
	assert_int_equal(priv_read(&who, at("vd.conf"), 4096, &data, &len), -EACCES);
}

/* The fake openvpn goes, whatever the test said (it holds the verdict's pipe). */
static int fake_gone(void **state)
{
	(void)state;
	if (fake > 0) {
		kill(fake, SIGKILL);
		waitpid(fake, NULL, 0);
	}
	fake = -1;
	return 0;
}

/* A root process named openvpn (a unit's, or one an engine that broke
 * found): the parent connects, as root, only a socket that process listens
 * on (its --management), never a bus's or another service's. */
static void test_connect_not_its(void **state)
{
	struct vd_principal p;
	uint64_t start = 0;
	struct vd_proc_id who;
	char path[96];
	int fd = -1, a;

	(void)state;
	assert_true(root_fake > 0);
	assert_int_equal(vd_principal_of_pid(root_fake, 0, &p, &start), 0);
	assert_int_equal(p.uid, 0);
	who = (struct vd_proc_id){.pid = root_fake, .start = start};
	snprintf(path, sizeof(path), "%s/bus", pub);
	assert_int_equal(priv_connect(&who, path, &fd), -EPERM);
	/* nothing reached the service */
	assert_int_equal(fcntl(bus, F_SETFL, O_NONBLOCK), 0);
	a = accept(bus, NULL, NULL);
	assert_int_equal(a, -1);
	assert_int_equal(errno, EAGAIN);
	/* its own socket it does listen on */
	snprintf(path, sizeof(path), "%s/m", pub);
	assert_int_equal(priv_connect(&who, path, &fd), 0);
	close(fd);
	/* a path where nothing listens is refused as the kernel would */
	snprintf(path, sizeof(path), "%s/s", dir);
	assert_int_not_equal(priv_connect(&who, path, &fd), 0);
}

/* A child of the engine that swaps the link wdir/NAME between good (made
 * slow to resolve: d/.. 600 times, as an attacker widens the window between
 * a check and the use) and bad, until it is killed. */
static pid_t flipper(const char *name, const char *good, const char *bad, char *lnk, size_t lnk_size)
{
	char tmp[96], ok[3200];
	size_t n;
	pid_t pid;

	snprintf(lnk, lnk_size, "%s/%s", wdir, name);
	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", wdir, name);
	n = (size_t)snprintf(ok, sizeof(ok), "%s", wdir);
	for (int i = 0; i < 600; i++)
		n += (size_t)snprintf(ok + n, sizeof(ok) - n, "/d/..");
	snprintf(ok + n, sizeof(ok) - n, "/%s", good);
	assert_int_equal(symlink(ok, lnk), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (unsigned i = 0;; i++) {
			if (symlink(i % 2 ? bad : ok, tmp) == 0 && rename(tmp, lnk) < 0)
				unlink(tmp);
		}
	}
	return pid;
}

static void flipper_end(pid_t pid, const char *lnk)
{
	char tmp[112];

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(lnk);
	snprintf(tmp, sizeof(tmp), "%s.tmp", lnk);
	unlink(tmp);
}

/* A Config= in a directory the engine may write in (its user's, or /tmp)
 * makes that tree the administrator's: a link there that the engine swaps
 * between the check and the connection must not lead root to another
 * socket (a bus). */
static void test_connect_admin_swap(void **state)
{
	char lnk[96], bad[96];
	pid_t flip;
	int got = 0;

	(void)state;
	snprintf(bad, sizeof(bad), "%s/rootbus", pub);
	flip = flipper("lnk", "ok", bad, lnk, sizeof(lnk));
	for (int i = 0; i < 3000; i++) {
		int fd = -1;
		if (priv_connect(NULL, lnk, &fd) == 0) {
			got++;
			close(fd);
		}
	}
	flipper_end(flip, lnk);
	/* the link did lead to the named tree's socket now and then */
	assert_true(got > 0);
	/* and never to root's service */
	assert_int_equal(fcntl(rootbus, F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(accept(rootbus, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
}

/* The same for a watch: never on a root-only directory outside the tree
 * (its events would name what is made in it). */
static void test_watch_admin_swap(void **state)
{
	char lnk[96], line[256], path[64];
	struct stat secret;
	pid_t flip;
	FILE *f;
	int ifd, got = 0;

	(void)state;
	assert_int_equal(stat(dir, &secret), 0);
	ifd = inotify_init1(IN_CLOEXEC);
	assert_true(ifd >= 0);
	flip = flipper("wl", "okfile", dir, lnk, sizeof(lnk));
	for (int i = 0; i < 3000; i++)
		if (priv_watch(NULL, ifd, lnk, IN_ATTRIB) >= 0)
			got++;
	flipper_end(flip, lnk);
	assert_true(got > 0);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ifd);
	f = fopen(path, "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long ino = 0;
		const char *p = strstr(line, " ino:");
		if (p && sscanf(p, " ino:%lx", &ino) == 1)
			assert_int_not_equal(ino, (unsigned long)secret.st_ino);
	}
	fclose(f);
	close(ifd);
}

/* No answer of the parent is a namespace's descriptor (with CAP_NET_ADMIN
 * the engine could make or move links in it): whether a process shares the
 * engine's network namespace comes back as yes or no. */
static void test_no_netns_fd(void **state)
{
	struct vd_proc_id who;

	(void)state;
	who = spawn_fake();
	for (int which = PRIV_PROC_EXE; which <= PRIV_PROC_TUN; which++) {
		int fd = -1;
		if (priv_proc(&who, (enum priv_proc)which, &fd) == 0) {
			assert_true(ioctl(fd, NS_GET_NSTYPE) < 0);
			close(fd);
		}
	}
	assert_int_equal(priv_same_netns(&who), 1);
	{
		const struct vd_proc_id gone = {.pid = 0x7ffffff0, .start = 1};
		assert_int_equal(priv_same_netns(&gone), -ESRCH);
	}
}

static void test_malformed(void **state)
{
	char *data = NULL;
	size_t len = 0;
	int ch = channel_fd();
	struct timespec nap = {0, 100 * 1000 * 1000};

	(void)state;
	assert_true(ch >= 0);
	/* 12 bytes of nothing the protocol knows: the parent closes its ends
	 * (the engine's requests fail at once), gives the engine 5 s, exits */
	assert_int_equal(send(ch, "not a request", 12, MSG_NOSIGNAL), 12);
	{
		struct timespec brief = {0, 300 * 1000 * 1000};
		nanosleep(&brief, NULL);
		assert_int_equal(priv_read(NULL, at("vd.conf"), 4096, &data, &len), -EPIPE);
	}
	for (int i = 0; i < 100 && getppid() == parent; i++) /* it waits 5 s for the engine */
		nanosleep(&nap, NULL);
	assert_int_not_equal(getppid(), parent);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_admin_named),
		cmocka_unit_test(test_admin_not_named),
		cmocka_unit_test_teardown(test_connect_peer, fake_gone),
		cmocka_unit_test(test_connect_not_its),
		cmocka_unit_test(test_connect_admin_swap),
		cmocka_unit_test(test_watch_admin_swap),
		cmocka_unit_test_teardown(test_no_netns_fd, fake_gone),
		cmocka_unit_test(test_malformed),
	};
	struct config *cfg = NULL;
	struct vd_error err = {0};
	struct priv_user u;
	char text[512], msg[256];
	int r = 1;

	if (geteuid() != 0) {
		printf("SKIP: needs root\n");
		return 77;
	}
	snprintf(dir, sizeof(dir), "/tmp/vd-test-priv.XXXXXX");
	if (!mkdtemp(dir) || chmod(dir, 0700) < 0)
		return 1;
	snprintf(pub, sizeof(pub), "/tmp/vd-test-priv-pub.XXXXXX");
	if (!mkdtemp(pub) || chmod(pub, 0755) < 0)
		return 1;
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s", pub);
		lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0 ||
		    chmod(sa.sun_path, 0666) < 0)
			return 1;
	}
	/* root's openvpn, holding pub/m; pub/bus is made after it, not its */
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int m = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/m", pub);
		if (m < 0 || bind(m, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(m, 4) < 0)
			return 1;
		root_fake = fork();
		if (root_fake == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			prctl(PR_SET_NAME, "openvpn");
			for (;;)
				pause();
		}
		close(m);
		if (root_fake < 0)
			goto fail;
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/bus", pub);
		bus = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (bus < 0 || bind(bus, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(bus, 4) < 0 ||
		    chmod(sa.sun_path, 0666) < 0)
			goto fail;
	}
	/* a root-only service, and a root-only socket in the engine's tree */
	snprintf(wdir, sizeof(wdir), "/tmp/vd-test-privw.XXXXXX");
	if (!mkdtemp(wdir) || chmod(wdir, 0755) < 0 || priv_user_lookup("nobody", &u, msg, sizeof(msg)) < 0 ||
	    chown(wdir, u.uid, u.gid) < 0)
		goto fail;
	snprintf(text, sizeof(text), "%s/d", wdir);
	if (mkdir(text, 0755) < 0)
		goto fail;
	snprintf(text, sizeof(text), "%s/okfile", wdir);
	put(text, "x\n", 0600);
	{
		const char *names[2] = {"rootbus", "ok"};
		for (int i = 0; i < 2; i++) {
			struct sockaddr_un sa = {.sun_family = AF_UNIX};
			int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", i ? wdir : pub, names[i]);
			if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 4096) < 0 ||
			    chmod(sa.sun_path, 0600) < 0)
				goto fail;
			if (i == 0)
				rootbus = s; /* the ok one stays open in this process and the engine */
		}
	}
	mkdir(at("prof"), 0700);
	mkdir(at("prof/keys"), 0700);
	put(at("prof/a.ovpn"), "client\n", 0600);
	put(at("prof/keys/ca.crt"), "x\n", 0600);
	put(at("key"), "0123456789abcdef0123456789abcdef\n", 0600);
	put(at("secret"), "ROOTONLY\n", 0600);
	if (symlink(at("secret"), at("prof/link")) < 0)
		goto fail;
	snprintf(text, sizeof(text), "[Tunnel a]\nConfig=%s\nReflector=127.0.0.1:7\nReflectorKey=%s\n"
	         "[Tunnel b]\nConfig=%s/b.ovpn\n", at("prof/a.ovpn"), at("key"), wdir);
	put(at("vd.conf"), text, 0600);
	if (config_parse_string(at("vd.conf"), text, &cfg, &err) < 0 || priv_user_lookup("nobody", &u, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "setup: %s\n", err.msg[0] ? err.msg : msg);
		goto fail;
	}
	priv_admin_allow(cfg, at("vd.conf"));
	config_free(cfg);
	/* the separated pair in a child: this process, root, cleans up after
	 * it; the engine's verdict comes back on a pipe (the parent's own exit
	 * status says it ended the engine for a broken request) */
	int verdict[2];
	if (pipe2(verdict, O_CLOEXEC) < 0)
		goto fail;
	pid_t pair = fork();
	if (pair == 0) {
		unsigned char v;
		close(verdict[0]);
		signal(SIGTERM, SIG_IGN); /* a lost channel stops the engine with it */
		parent = getpid();
		r = priv_separate(&u, NULL, NULL, 0);
		if (r < 0) {
			fprintf(stderr, "priv_separate: %s\n", strerror(-r));
			_exit(1);
		}
		/* the engine, as nobody */
		v = cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
		_exit(write(verdict[1], &v, 1) == 1 ? 0 : 1);
	}
	close(verdict[1]);
	r = 1;
	if (pair > 0) {
		unsigned char v = 1;
		if (read(verdict[0], &v, 1) == 1)
			r = v;
		while (waitpid(pair, NULL, 0) < 0 && errno == EINTR)
			;
	}
	close(verdict[0]);
fail:
	if (bus >= 0)
		close(bus);
	if (root_fake > 0) {
		kill(root_fake, SIGKILL);
		waitpid(root_fake, NULL, 0);
	}
	if (rootbus >= 0)
		close(rootbus);
	snprintf(text, sizeof(text), "rm -rf '%s' '%s' '%s'", dir, pub, wdir);
	if (system(text) != 0)
		r = 1;
	return r;
}
