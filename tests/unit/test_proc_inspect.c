/* lib/proc_inspect.c: a process is counted in this network namespace when
 * its /proc/PID/ns/net is this process's, not when it is gone; what cannot
 * be stat()ed is asked through the caller's io, and counted when even that
 * cannot tell. An openvpn process (this test run again under the name
 * "openvpn") is read as OpenVPN reads its options: its command line, then
 * its --config opened through io, never directly; a pid reused or gone is
 * refused. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "vpndoctor/proc_inspect.h"

static int asked;

static int netns_self(const struct vd_proc_id *who)
{
	(void)who;
	asked++;
	return 1;
}

static void test_same_netns(void **state)
{
	const struct vd_proc_io io = {.same_netns = netns_self};
	struct vd_proc_id self;
	pid_t child;
	int st;

	(void)state;
	assert_int_equal(vd_proc_id_of(getpid(), &self), 0);
	assert_true(vd_proc_same_netns(&self, NULL));
	asked = 0;
	assert_true(vd_proc_same_netns(&self, &io));
	assert_int_equal(asked, 0); /* its own link is there to stat: io is not asked */

	/* a process that is gone is not ours */
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_false(vd_proc_same_netns(&(struct vd_proc_id){.pid = child, .start = 1}, &io));
	assert_int_equal(asked, 0);
}

static char dir[] = "/tmp/vd-proc-inspect-XXXXXX";
static char self[PATH_MAX]; /* this test's binary (not /proc/self/exe: valgrind's, under valgrind) */
static int opened, cwd_asked;
static int open_err; /* what io_open answers: 0 opens the file */

static int io_cwd(const struct vd_proc_id *who, char *buf, size_t size)
{
	(void)who;
	cwd_asked++;
	snprintf(buf, size, "%s", dir);
	return 0;
}

static int io_open(const struct vd_proc_id *who, const char *path, size_t max, int *ret_fd)
{
	(void)who;
	(void)max;
	opened++;
	if (open_err)
		return open_err;
	*ret_fd = open(path, O_RDONLY | O_CLOEXEC);
	return *ret_fd < 0 ? -errno : 0;
}

/* This test's binary as "openvpn --config client.conf --management m.sock
 * unix" in dir, until killed; its start time, once it runs as that. */
static pid_t start_openvpn(uint64_t *start)
{
	char link[PATH_MAX + 16];
	struct vd_proc_id id;
	pid_t pid;

	snprintf(link, sizeof(link), "%s/openvpn", dir);
	unlink(link);
	assert_int_equal(symlink(self, link), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (chdir(dir) == 0)
			execl(link, "openvpn", "--config", "client.conf", "--management", "m.sock", "unix", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && !vd_proc_openvpn_named(pid); i++)
		usleep(10000);
	assert_true(vd_proc_openvpn_named(pid));
	assert_int_equal(vd_proc_id_of(pid, &id), 0);
	*start = id.start;
	return pid;
}

static void stop(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

static void test_inspect(void **state)
{
	const struct vd_proc_io io = {.cwd = io_cwd, .open = io_open};
	struct vd_proc_openvpn_info info;
	char conf[PATH_MAX + 16], real[PATH_MAX];
	uint64_t start;
	FILE *f;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/client.conf", dir);
	f = fopen(conf, "w");
	assert_non_null(f);
	fputs("client\nremote gw.example.net 1194 udp\ncipher AES-256-GCM\n", f);
	fclose(f);
	assert_non_null(realpath(conf, real));
	pid = start_openvpn(&start);

	/* its config, opened through io as its principal */
	open_err = 0;
	opened = cwd_asked = 0;
	assert_int_equal(vd_proc_openvpn_inspect(&(struct vd_proc_id){.pid = pid, .start = start}, &io, 4096, &info), 0);
	assert_int_equal(info.who.pid, pid);
	assert_true(info.who.start == start);
	assert_int_equal(info.root, getuid() == 0);
	assert_int_equal(info.uid, getuid() == 0 ? 0 : getuid());
	assert_string_equal(info.cwd, dir);
	assert_string_equal(info.config, real);
	assert_string_equal(info.opts.config, "client.conf");
	assert_string_equal(info.opts.mgmt_unix, "m.sock");
	assert_non_null(info.opts.remote);
	assert_string_equal(info.opts.remote, "gw.example.net"); /* from the config */
	assert_string_equal(info.opts.cipher, "AES-256-GCM");
	assert_int_equal(opened, 1);
	assert_int_equal(cwd_asked, 1);
	assert_string_equal(info.cmdline, "openvpn");
	vd_proc_openvpn_info_clear(&info);

	/* start 0: the one running now */
	assert_int_equal(vd_proc_openvpn_inspect(&(struct vd_proc_id){.pid = pid}, &io, 4096, &info), 0);
	assert_true(info.who.start == start);
	vd_proc_openvpn_info_clear(&info);

	/* a config its user may not open: named as written, not read */
	open_err = -EACCES;
	assert_int_equal(vd_proc_openvpn_inspect(&(struct vd_proc_id){.pid = pid, .start = start}, &io, 4096, &info), 0);
	assert_string_equal(info.config, conf);
	assert_null(info.opts.remote);
	vd_proc_openvpn_info_clear(&info);

	/* without io nothing is opened, and a relative config stays unnamed */
	assert_int_equal(vd_proc_openvpn_inspect(&(struct vd_proc_id){.pid = pid, .start = start}, NULL, 4096, &info), 0);
	assert_string_equal(info.cwd, "");
	assert_string_equal(info.config, "");
	assert_null(info.opts.remote);
	vd_proc_openvpn_info_clear(&info);

	/* another start time: its pid is another process's now */
	opened = 0;
	assert_int_equal(vd_proc_openvpn_inspect(&(struct vd_proc_id){.pid = pid, .start = start + 1}, &io, 4096, &info),
	                 -ESRCH);
	assert_int_equal(opened, 0);
	/* not an openvpn: this test itself */
	assert_int_equal(vd_proc_openvpn_inspect(&(struct vd_proc_id){.pid = getpid()}, &io, 4096, &info), -ENOENT);
	stop(pid);
	/* gone */
	assert_int_equal(vd_proc_openvpn_inspect(&(struct vd_proc_id){.pid = pid, .start = start}, &io, 4096, &info),
	                 -ENOENT);
	assert_int_equal(opened, 0);

	snprintf(conf, sizeof(conf), "%s/openvpn", dir);
	unlink(conf);
	snprintf(conf, sizeof(conf), "%s/client.conf", dir);
	unlink(conf);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_netns),
		cmocka_unit_test(test_inspect),
	};

	/* run as "openvpn" by test_inspect: a process to be inspected */
	if (argc > 0 && strcmp(argv[0], "openvpn") == 0) {
		for (;;)
			pause();
	}
	if (argc < 1 || !realpath(argv[0], self))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
