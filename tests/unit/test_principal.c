/* lib/principal.c: /proc/PID/status, cgroup and stat texts read strictly;
 * only a root-owned OpenVPN unit's own cgroup raises a principal; the mode
 * bits read as the kernel reads them; the safe open refuses FIFOs, devices,
 * directories and oversized files at once, and the descriptor check refuses
 * a file the principal could not reach. */
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
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "vpndoctor/principal.h"

#define STATUS(uid, gid, groups)                                                                 \
	"Name:\topenvpn\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nPid:\t4242\nPPid:\t1\n" \
	"Uid:\t" uid "\nGid:\t" gid "\nFDSize:\t64\nGroups:\t" groups "\nNStgid:\t4242\n"

static int parse(const char *text, struct vd_principal *p)
{
	return vd_principal_parse_status(text, strlen(text), p);
}

static void test_status(void **state)
{
	struct vd_principal p;

	(void)state;
	/* the real ids, not the effective ones: a setuid program stays its user's */
	assert_int_equal(parse(STATUS("1000\t0\t0\t0", "1000\t0\t0\t0", "4 24 1000 "), &p), 0);
	assert_int_equal(p.kind, VD_PRINCIPAL_USER);
	assert_int_equal(p.uid, 1000);
	assert_int_equal(p.gid, 1000);
	assert_int_equal(p.n_groups, 3);
	assert_int_equal(p.groups[0], 4);
	assert_int_equal(p.groups[2], 1000);
	assert_false(vd_principal_is_root(&p));
	/* no supplementary groups */
	assert_int_equal(parse(STATUS("0\t0\t0\t0", "0\t0\t0\t0", ""), &p), 0);
	assert_int_equal(p.n_groups, 0);
	assert_true(vd_principal_is_root(&p));
	/* malformed or missing lines: no principal at all */
	assert_int_equal(parse(STATUS("x\t0\t0\t0", "0\t0\t0\t0", ""), &p), -EINVAL);
	assert_int_equal(parse(STATUS("-1\t0\t0\t0", "0\t0\t0\t0", ""), &p), -EINVAL);
	assert_int_equal(parse(STATUS("4294967295\t0\t0\t0", "0\t0\t0\t0", ""), &p), -EINVAL);
	assert_int_equal(parse(STATUS("99999999999\t0\t0\t0", "0\t0\t0\t0", ""), &p), -EINVAL);
	assert_int_equal(parse(STATUS("1000x\t0\t0\t0", "0\t0\t0\t0", ""), &p), -EINVAL);
	assert_int_equal(parse(STATUS("1000\t0\t0\t0", "1000\t0\t0\t0", "4 x"), &p), -EINVAL);
	assert_int_equal(parse("Uid:\t1000\t1000\t1000\t1000\nGroups:\t\n", &p), -EINVAL);
	assert_int_equal(parse("Gid:\t1000\t1000\t1000\t1000\nGroups:\t\n", &p), -EINVAL);
	assert_int_equal(parse("", &p), -EINVAL);
	/* "XUid:" is not "Uid:" */
	assert_int_equal(parse("XUid:\t0\nUid:\t5\t5\t5\t5\nGid:\t5\t5\t5\t5\nGroups:\t\n", &p), 0);
	assert_int_equal(p.uid, 5);
}

static void test_status_groups_max(void **state)
{
	char *s = malloc(32 * 1024), *q;
	struct vd_principal p;

	(void)state;
	assert_non_null(s);
	q = s + sprintf(s, "Uid:\t7\t7\t7\t7\nGid:\t7\t7\t7\t7\nGroups:\t");
	for (int i = 0; i < VD_PRINCIPAL_GROUPS_MAX; i++)
		q += sprintf(q, "%d ", 100 + i);
	strcpy(q, "\n");
	assert_int_equal(parse(s, &p), 0);
	assert_int_equal(p.n_groups, VD_PRINCIPAL_GROUPS_MAX);
	/* one more: refused, as a cut list could grant what a group denies */
	q += sprintf(q, "%d\n", 99);
	assert_int_equal(parse(s, &p), -E2BIG);
	free(s);
}

static bool unit(const char *text, char *out, size_t size)
{
	return vd_cgroup_root_unit(text, strlen(text), out, size);
}

static void test_cgroup(void **state)
{
	char u[64];

	(void)state;
	assert_true(unit("0::/system.slice/system-openvpn\\x2dclient.slice/openvpn-client@office.service\n", u,
	                 sizeof(u)));
	assert_string_equal(u, "openvpn-client@office.service");
	assert_true(unit("0::/system.slice/openvpn-client@office.service\n", NULL, 0));
	assert_true(unit("0::/system.slice/system-openvpn.slice/openvpn@home.service\n", u, sizeof(u)));
	assert_string_equal(u, "openvpn@home.service");
	assert_true(unit("0::/system.slice/system-openvpn\\x2dserver.slice/openvpn-server@s.service", u, sizeof(u)));
	assert_true(unit("0::/system.slice/NetworkManager.service\n", u, sizeof(u)));
	assert_string_equal(u, "NetworkManager.service");
	/* a hybrid hierarchy: the v2 line counts, the v1 lines not */
	assert_true(unit("12:pids:/user.slice\n1:name=systemd:/user.slice/x\n0::/system.slice/openvpn@a.service\n",
	                 NULL, 0));
	/* cut to the buffer */
	assert_true(unit("0::/system.slice/openvpn-client@a-very-long-instance.service\n", u, 10));
	assert_string_equal(u, "openvpn-c");

	/* a user's delegated subtree may hold any name */
	assert_false(unit("0::/user.slice/user-1000.slice/user@1000.service/app.slice/openvpn-client@x.service\n",
	                  NULL, 0));
	assert_false(unit("0::/user.slice/user-1000.slice/user@1000.service/system.slice/openvpn@x.service\n",
	                  NULL, 0));
	/* deeper than the unit, beside it, or not quite it */
	assert_false(unit("0::/system.slice/openvpn-client@x.service/sub\n", NULL, 0));
	assert_false(unit("0::/system.slice/foo.slice/bar/openvpn-client@x.service\n", NULL, 0));
	assert_false(unit("0::/system.slice/foo.slice/openvpn-client@x.service\n", NULL, 0));
	assert_false(unit("0::/system.slice/system-.slice/openvpn-client@x.service\n", NULL, 0));
	assert_false(unit("0::/system.slice/openvpn-client@.service\n", NULL, 0));
	assert_false(unit("0::/system.slice/openvpn-clientx@a.service\n", NULL, 0));
	assert_false(unit("0::/system.slice/openvpn-client@a.scope\n", NULL, 0));
	assert_false(unit("0::/system.slice/NetworkManager-dispatcher.service\n", NULL, 0));
	assert_false(unit("0::/system.slice/sshd.service\n", NULL, 0));
	assert_false(unit("0::/system.slice\n", NULL, 0));
	assert_false(unit("0::/openvpn-client@x.service\n", NULL, 0));
	assert_false(unit("0::/\n", NULL, 0));
	assert_false(unit("0::/../../system.slice/openvpn-client@x.service\n", NULL, 0));
	/* cgroup v1 only, or nothing */
	assert_false(unit("1:name=systemd:/system.slice/openvpn-client@x.service\n", NULL, 0));
	assert_false(unit("", NULL, 0));
	/* two v2 lines: not the kernel's text */
	assert_false(unit("0::/system.slice/openvpn@a.service\n0::/system.slice/openvpn@a.service\n", NULL, 0));
	assert_false(vd_cgroup_root_unit(NULL, 0, NULL, 0));
}

static void test_starttime(void **state)
{
	const char *s = "4242 (open vpn) x) S 1 4242 4242 0 -1 4194560 123 0 0 0 5 6 0 0 20 0 1 0 "
	                "987654 123456 789 18446744073709551615 1 1 0 0 0 0 0 4096 17\n";
	uint64_t v = 0;

	(void)state;
	assert_int_equal(vd_proc_stat_starttime(s, strlen(s), &v), 0);
	assert_int_equal(v, 987654);
	assert_int_equal(vd_proc_stat_starttime("1 (a) S 1 2 3", 13, &v), -EINVAL);
	assert_int_equal(vd_proc_stat_starttime("no parenthesis", 14, &v), -EINVAL);
	s = "1 (a) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 x 0\n";
	assert_int_equal(vd_proc_stat_starttime(s, strlen(s), &v), -EINVAL);
}

static void test_may(void **state)
{
	struct vd_principal p = {.kind = VD_PRINCIPAL_USER, .uid = 1000, .gid = 1000, .groups = {24}, .n_groups = 1};
	struct vd_principal root, unitp = {.kind = VD_PRINCIPAL_UNIT, .uid = 65534, .gid = 65534};

	(void)state;
	vd_principal_admin(&root);
	/* owner */
	assert_true(vd_principal_may(&p, 1000, 0, 0400, R_OK));
	assert_false(vd_principal_may(&p, 1000, 0, 0044, R_OK)); /* the owner's bits only */
	/* a group, primary or supplementary */
	assert_true(vd_principal_may(&p, 0, 1000, 0040, R_OK));
	assert_true(vd_principal_may(&p, 0, 24, 0050, R_OK | X_OK));
	assert_false(vd_principal_may(&p, 0, 24, 0604, R_OK)); /* the group's bits deny */
	/* others */
	assert_true(vd_principal_may(&p, 0, 0, 0604, R_OK));
	assert_false(vd_principal_may(&p, 0, 0, 0600, R_OK));
	assert_false(vd_principal_may(&p, 0, 0, 0754, X_OK));
	assert_true(vd_principal_may(&p, 0, 0, 0755, X_OK));
	assert_false(vd_principal_may(&p, 0, 0, 0755, W_OK));
	assert_true(vd_principal_may(&p, 1000, 0, 0200, W_OK));
	/* root by kind or uid */
	assert_true(vd_principal_may(&root, 0, 0, 0, R_OK));
	assert_true(vd_principal_may(&unitp, 0, 0, 0, R_OK));
	assert_false(vd_principal_may(NULL, 0, 0, 0777, R_OK));
}

/* ---- the open ----------------------------------------------------------------- */

static char dir[32];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vd-principal.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx %s; rm -rf %s", dir, dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *name, const char *text, mode_t mode)
{
	char path[96];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static const char *at(const char *name)
{
	static char path[96];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_open_kinds(void **state)
{
	char *data = NULL;
	size_t len = 0;
	double t;
	int fd;

	(void)state;
	put("ok", "hello\n", 0644);
	assert_int_equal(vd_read_file_as(NULL, at("ok"), 100, &data, &len), 0);
	assert_int_equal(len, 6);
	assert_string_equal(data, "hello\n");
	free(data);
	/* the descriptor it gives is blocking */
	assert_int_equal(vd_open_as(NULL, AT_FDCWD, at("ok"), 100, &fd), 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	/* relative to a directory */
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	{
		int f2;
		assert_int_equal(vd_open_as(NULL, fd, "ok", 100, &f2), 0);
		close(f2);
	}
	close(fd);
	/* too large, a directory, a device, missing */
	assert_int_equal(vd_read_file_as(NULL, at("ok"), 5, &data, &len), -EFBIG);
	assert_int_equal(vd_read_file_as(NULL, dir, 100, &data, &len), -EISDIR);
	assert_int_equal(vd_read_file_as(NULL, "/dev/null", 100, &data, &len), -EINVAL);
	assert_int_equal(vd_read_file_as(NULL, at("missing"), 100, &data, &len), -ENOENT);
	assert_int_equal(vd_read_file_as(NULL, "", 100, &data, &len), -EINVAL);
	/* a FIFO nobody writes to: refused at once, never waited on */
	assert_int_equal(mkfifo(at("fifo"), 0644), 0);
	t = now();
	assert_int_equal(vd_read_file_as(NULL, at("fifo"), 100, &data, &len), -EINVAL);
	assert_true(now() - t < 1.0);
	/* a symlink to a FIFO too */
	{
		char target[96];
		snprintf(target, sizeof(target), "%s", at("fifo"));
		assert_int_equal(symlink(target, at("link")), 0);
	}
	assert_int_equal(vd_read_file_as(NULL, at("link"), 100, &data, &len), -EINVAL);
}

static void test_check_fd(void **state)
{
	/* a principal that is not this process's user: the check reads the
	 * mode bits as that user, whoever runs the test */
	struct vd_principal other = {.kind = VD_PRINCIPAL_USER, .uid = 4000001, .gid = 4000001};
	struct vd_principal self = {.kind = VD_PRINCIPAL_USER, .uid = getuid(), .gid = getgid()};
	struct vd_principal root;
	char sub[128];
	int fd;

	(void)state;
	vd_principal_admin(&root);
	assert_int_equal(chmod(dir, 0755), 0);
	put("public", "x\n", 0644);
	put("private", "x\n", 0600);
	fd = open(at("public"), O_RDONLY | O_CLOEXEC);
	assert_int_equal(vd_check_fd(&other, fd, 100), 0);
	assert_int_equal(vd_check_fd(&other, fd, 1), -EFBIG);
	close(fd);
	fd = open(at("private"), O_RDONLY | O_CLOEXEC);
	assert_int_equal(vd_check_fd(&other, fd, 100), -EACCES);
	assert_int_equal(vd_check_fd(&self, fd, 100), 0);
	assert_int_equal(vd_check_fd(&root, fd, 100), 0);
	assert_int_equal(vd_check_fd(NULL, fd, 100), 0);
	close(fd);
	/* readable itself, but under a directory the principal cannot search */
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	put("sub/public", "x\n", 0644);
	fd = open(at("sub/public"), O_RDONLY | O_CLOEXEC);
	assert_int_equal(vd_check_fd(&other, fd, 100), -EACCES);
	assert_int_equal(vd_check_fd(&self, fd, 100), 0);
	/* the same for vd_open_as: the open itself succeeds for this process,
	 * the check refuses */
	{
		int f2 = -1;
		assert_int_equal(vd_open_as(&other, AT_FDCWD, at("sub/public"), 100, &f2), -EACCES);
		assert_int_equal(vd_open_as(&other, AT_FDCWD, at("private"), 100, &f2), -EACCES);
		assert_int_equal(vd_open_as(&other, AT_FDCWD, at("public"), 100, &f2), 0);
		close(f2);
	}
	close(fd);
	/* deleted since it was opened: its directories are unknown */
	fd = open(at("public"), O_RDONLY | O_CLOEXEC);
	assert_int_equal(unlink(at("public")), 0);
	assert_int_equal(vd_check_fd(&other, fd, 100), -ENOENT);
	close(fd);
	/* not a regular file */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(vd_check_fd(NULL, fd, 100), -EISDIR);
	close(fd);
}

/* As root, the open is the kernel's own as the principal: a file only root
 * may read is refused before any descriptor exists, and root's identity is
 * back afterwards. */
static void test_identity(void **state)
{
	struct vd_principal other = {.kind = VD_PRINCIPAL_USER, .uid = 4000001, .gid = 4000001};
	struct vd_identity id;
	int fd = -1;

	(void)state;
	if (geteuid() != 0) {
		skip();
		return;
	}
	assert_int_equal(chmod(dir, 0755), 0);
	put("rootonly", "secret\n", 0600);
	put("public", "x\n", 0644);
	assert_int_equal(vd_open_as(&other, AT_FDCWD, at("rootonly"), 100, &fd), -EACCES);
	assert_int_equal(vd_open_as(&other, AT_FDCWD, at("public"), 100, &fd), 0);
	close(fd);
	assert_int_equal(vd_identity_enter(&other, &id), 0);
	assert_true(id.active);
	assert_int_equal(open(at("rootonly"), O_RDONLY | O_CLOEXEC), -1);
	vd_identity_leave(&id);
	fd = open(at("rootonly"), O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	close(fd);
	/* a root principal changes nothing */
	other.kind = VD_PRINCIPAL_UNIT;
	assert_int_equal(vd_identity_enter(&other, &id), 0);
	assert_false(id.active);
	assert_int_equal(vd_open_as(&other, AT_FDCWD, at("rootonly"), 100, &fd), 0);
	close(fd);
}

static void test_describe(void **state)
{
	struct vd_principal p = {.kind = VD_PRINCIPAL_UNIT, .unit = "openvpn@a.service"};
	char buf[128];

	(void)state;
	assert_string_equal(vd_principal_describe(&p, buf, sizeof(buf)), "root (unit openvpn@a.service)");
	vd_principal_admin(&p);
	assert_string_equal(vd_principal_describe(&p, buf, sizeof(buf)), "root (the administrator)");
	p.kind = VD_PRINCIPAL_USER;
	p.uid = 4000001;
	assert_string_equal(vd_principal_describe(&p, buf, sizeof(buf)), "uid 4000001");
}

static void test_of_pid(void **state)
{
	struct vd_principal p;
	uint64_t start = 0, again = 0;

	(void)state;
	assert_int_equal(vd_principal_of_pid(getpid(), 0, &p, &start), 0);
	assert_int_equal(p.uid, getuid());
	assert_int_equal(p.gid, getgid());
	assert_true(start > 0);
	assert_int_equal(vd_principal_of_pid(getpid(), start, &p, &again), 0);
	assert_int_equal(again, start);
	/* another start time: another process that has the pid now */
	assert_int_equal(vd_principal_of_pid(getpid(), start + 1, &p, NULL), -ESRCH);
	assert_int_equal(vd_principal_of_pid(0, 0, &p, NULL), -EINVAL);
	assert_int_equal(vd_principal_of_pid(0x7ffffff0, 0, &p, NULL), -ESRCH);
}

/* A listening unix socket at name in dir, of this mode. */
static int listen_at(const char *name, mode_t mode)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, name);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(chmod(sa.sun_path, mode), 0);
	return fd;
}

/* A connection made for a principal is that principal's to the peer: the
 * server sees its uid, gid and groups in SO_PEERCRED and SO_PEERGROUPS, not
 * root's (who made it), since a peer that trusts uid 0 (the system bus,
 * systemd's private socket) would obey whoever holds the descriptor. And
 * what is connected is the socket the check looked at: a file that is no
 * socket is refused as one. */
static void test_connect_as(void **state)
{
	struct vd_principal other = {.kind = VD_PRINCIPAL_USER, .uid = 4000001, .gid = 4000002,
	                             .groups = {4000003}, .n_groups = 1};
	struct ucred cred;
	gid_t groups[8];
	socklen_t l = sizeof(cred);
	char path[96];
	int lfd, fd = -1, a;

	(void)state;
	assert_int_equal(chmod(dir, 0755), 0);
	put("file", "x\n", 0666);
	snprintf(path, sizeof(path), "%s/file", dir);
	assert_int_equal(vd_connect_unix_as(NULL, path, NULL, NULL, &fd), -ENOTSOCK);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(vd_connect_unix_as(NULL, path, NULL, NULL, &fd), -ENOENT);
	if (geteuid() != 0) {
		skip();
		return;
	}
	lfd = listen_at("open.sock", 0666);
	snprintf(path, sizeof(path), "%s/open.sock", dir);
	assert_int_equal(vd_connect_unix_as(&other, path, NULL, NULL, &fd), 0);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	a = accept(lfd, NULL, NULL);
	assert_true(a >= 0);
	assert_int_equal(getsockopt(a, SOL_SOCKET, SO_PEERCRED, &cred, &l), 0);
	assert_int_equal(cred.uid, 4000001);
	assert_int_equal(cred.gid, 4000002);
	l = sizeof(groups);
	assert_int_equal(getsockopt(a, SOL_SOCKET, SO_PEERGROUPS, groups, &l), 0);
	assert_int_equal(l, sizeof(gid_t));
	assert_int_equal(groups[0], 4000003);
	close(a);
	close(fd);
	/* and this process is root again, its file system ids too */
	assert_int_equal(geteuid(), 0);
	assert_int_equal(setfsuid((uid_t)-1), 0);
	assert_int_equal(setfsgid((gid_t)-1), 0);
	/* a socket only root may use: refused, nothing reaches it */
	close(lfd);
	lfd = listen_at("root.sock", 0600);
	snprintf(path, sizeof(path), "%s/root.sock", dir);
	assert_int_equal(vd_connect_unix_as(&other, path, NULL, NULL, &fd), -EACCES);
	assert_int_equal(fcntl(lfd, F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(accept(lfd, NULL, NULL), -1);
	/* root's own principal connects as root */
	other.kind = VD_PRINCIPAL_UNIT;
	assert_int_equal(vd_connect_unix_as(&other, path, NULL, NULL, &fd), 0);
	a = accept(lfd, NULL, NULL);
	assert_true(a >= 0);
	l = sizeof(cred);
	assert_int_equal(getsockopt(a, SOL_SOCKET, SO_PEERCRED, &cred, &l), 0);
	assert_int_equal(cred.uid, 0);
	close(a);
	close(fd);
	close(lfd);
}

/* A process as the inspector names it; the path the kernel resolved for a
 * descriptor; who a read is made as, in words. */
static void test_proc_id_fd_path(void **state)
{
	struct vd_proc_id id, admin = {0}, gone = {.pid = 0x7ffffff0, .start = 1};
	char tmpl[] = "/tmp/vd-principal-XXXXXX", buf[PATH_MAX], real[PATH_MAX];
	uint64_t start = 0;
	struct vd_principal p;
	int fd, pipefd[2];

	(void)state;
	assert_int_equal(vd_proc_id_of(getpid(), &id), 0);
	assert_int_equal(id.pid, getpid());
	assert_int_equal(vd_principal_of_pid(getpid(), 0, &p, &start), 0);
	assert_int_equal(id.start, start);
	assert_int_equal(vd_proc_id_of(0, &id), -EINVAL);
	assert_int_equal(vd_proc_id_of(0x7ffffff0, &id), -ESRCH);

	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	assert_non_null(realpath(tmpl, real));
	assert_int_equal(vd_fd_path(fd, buf, sizeof(buf)), 0);
	assert_string_equal(buf, real);
	assert_int_equal(vd_fd_path(fd, buf, 4), -ENAMETOOLONG);
	close(fd);
	unlink(tmpl);
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(vd_fd_path(pipefd[0], buf, sizeof(buf)), -ENOENT); /* "pipe:[N]" */
	close(pipefd[0]);
	close(pipefd[1]);

	assert_string_equal(vd_proc_describe(NULL, buf, sizeof(buf)), "root (the administrator)");
	assert_string_equal(vd_proc_describe(&admin, buf, sizeof(buf)), "root (the administrator)");
	assert_string_equal(vd_proc_describe(&gone, buf, sizeof(buf)), "the user of process 2147483632");
}

/* A NetworkManager connection's files: only what its vpn.data names (or a
 * directory of one, to watch), as its one user or as root; several users,
 * or a name that is no user's, none. */
static void test_nm_principal(void **state)
{
	const char *files[] = {"/home/alice/vpn/ca.crt", "/home/alice/vpn/client.crt", "/etc/ta.key", "rel.key"};
	const char *alice[] = {"user:alice:"}, *two[] = {"user:alice:", "user:bob:"}, *odd[] = {"user::"};
	const char *slash[] = {"user:../x:"}, *other[] = {"group:staff:"};
	char user[64];

	(void)state;
	assert_int_equal(vd_nm_principal(NULL, 0, files, 4, "/home/alice/vpn/ca.crt", false, user, sizeof(user)), 0);
	assert_int_equal(vd_nm_principal(other, 1, files, 4, "/etc/ta.key", false, user, sizeof(user)), 0);
	assert_int_equal(vd_nm_principal(alice, 1, files, 4, "/home/alice/vpn/client.crt", false, user, sizeof(user)),
	                 1);
	assert_string_equal(user, "alice");
	/* the directory of a file it names, for a watch; not its parent */
	assert_int_equal(vd_nm_principal(alice, 1, files, 4, "/home/alice/vpn", true, user, sizeof(user)), 1);
	assert_int_equal(vd_nm_principal(alice, 1, files, 4, "/home/alice", true, user, sizeof(user)), -EPERM);
	assert_int_equal(vd_nm_principal(NULL, 0, files, 4, "/etc", true, user, sizeof(user)), 0);
	/* a file it does not name, a prefix, a relative path, a directory asked as a file */
	assert_int_equal(vd_nm_principal(NULL, 0, files, 4, "/etc/shadow", false, user, sizeof(user)), -EPERM);
	assert_int_equal(vd_nm_principal(NULL, 0, files, 4, "/etc/ta.ke", false, user, sizeof(user)), -EPERM);
	assert_int_equal(vd_nm_principal(NULL, 0, files, 4, "rel.key", false, user, sizeof(user)), -EPERM);
	assert_int_equal(vd_nm_principal(NULL, 0, files, 4, "/etc", false, user, sizeof(user)), -EPERM);
	assert_int_equal(vd_nm_principal(NULL, 0, NULL, 0, "/etc/ta.key", false, user, sizeof(user)), -EPERM);
	/* no one principal */
	assert_int_equal(vd_nm_principal(two, 2, files, 4, "/etc/ta.key", false, user, sizeof(user)), -EACCES);
	assert_int_equal(vd_nm_principal(odd, 1, files, 4, "/etc/ta.key", false, user, sizeof(user)), -EACCES);
	assert_int_equal(vd_nm_principal(slash, 1, files, 4, "/etc/ta.key", false, user, sizeof(user)), -EACCES);
	assert_int_equal(vd_nm_principal(alice, 1, files, 4, "/etc/ta.key", false, user, 4), -EACCES);
	/* uuids */
	assert_true(vd_nm_uuid_valid("0b7e1d7c-7b5e-4f0f-9bde-3f9a9c1f2a11"));
	assert_false(vd_nm_uuid_valid(""));
	assert_false(vd_nm_uuid_valid("../../etc"));
	assert_false(vd_nm_uuid_valid("0b7e1d7c-7b5e-4f0f-9bde-3f9a9c1f2a11-0b7e1d7c"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_nm_principal),
		cmocka_unit_test(test_status_groups_max),
		cmocka_unit_test(test_cgroup),
		cmocka_unit_test(test_starttime),
		cmocka_unit_test(test_may),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_of_pid),
		cmocka_unit_test(test_proc_id_fd_path),
		cmocka_unit_test_setup_teardown(test_open_kinds, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_check_fd, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_identity, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_connect_as, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
