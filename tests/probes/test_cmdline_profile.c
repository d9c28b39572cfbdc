/* pu_cmdline_profile (probes/probe_util.h): the profile of a client with no
 * config file is its command line, read only while the process is the one
 * discovery saw. A child whose command line reads like the options
 * NetworkManager's plugin gives openvpn stands for it. vd-tier: check */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "probes/probe.h"
#include "probes/probe_util.h"
#include "vpndoctor/principal.h"

static pid_t child(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		setpgid(0, 0); /* sh and its sleep, killed together */
		/* sh keeps its own command line while it waits (no exec of sleep) */
		execl("/bin/sh", "sh", "-c", "sleep 30; :", "openvpn", "--client", "--remote", "vpn.example", "1194",
		      "udp", "--cert", "client.crt", "--tls-auth", "ta.key", "1", (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	/* until the child is sh, not this test's copy */
	for (int i = 0; i < 200; i++) {
		char path[64], buf[16] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		f = fopen(path, "r");
		if (f) {
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = '\0';
			fclose(f);
		}
		if (strcmp(buf, "sh\n") == 0)
			break;
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	return pid;
}

static void reap(pid_t pid)
{
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void the_command_line_as_a_profile(void **unused)
{
	pid_t pid = child();
	struct probe_tunnel t = {.name = "nm", .pid = pid};
	char *text = NULL, name[64], cwd[256];
	size_t len = 0;

	(void)unused;
	assert_int_equal(vd_proc_id_of(pid, &t.owner), 0);
	assert_int_equal(pu_cmdline_profile(&t, &text, &len, name, sizeof(name), cwd, sizeof(cwd)), 0);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	assert_non_null(strstr(text, "client\n"));
	assert_non_null(strstr(text, "remote vpn.example 1194 udp\n"));
	assert_non_null(strstr(text, "cert client.crt\n"));
	assert_non_null(strstr(text, "tls-auth ta.key 1\n"));
	assert_null(strstr(text, "sleep")); /* a word before the first option is no directive */
	char want[64];
	snprintf(want, sizeof(want), "/proc/%d/cmdline", (int)pid);
	assert_string_equal(name, want);
	assert_string_equal(cwd, ""); /* no host to ask: unknown */
	free(text);
	reap(pid);
}

static void another_process_or_none(void **unused)
{
	pid_t pid = child();
	struct probe_tunnel t = {.name = "nm", .pid = pid};
	char *text = NULL, name[64], cwd[256];
	size_t len = 0;

	(void)unused;
	assert_int_equal(vd_proc_id_of(pid, &t.owner), 0);
	/* the pid is another process's now: another start time */
	t.owner.start++;
	assert_int_equal(pu_cmdline_profile(&t, &text, &len, name, sizeof(name), cwd, sizeof(cwd)), -ESRCH);
	assert_null(text);
	t.owner.start--;
	/* a tunnel whose owner is not its process, or with no process */
	t.owner.pid = getpid();
	assert_int_equal(pu_cmdline_profile(&t, &text, &len, name, sizeof(name), cwd, sizeof(cwd)), -ENOENT);
	t.owner.pid = pid;
	t.pid = 0;
	assert_int_equal(pu_cmdline_profile(&t, &text, &len, name, sizeof(name), cwd, sizeof(cwd)), -ENOENT);
	assert_int_equal(pu_cmdline_profile(NULL, &text, &len, name, sizeof(name), cwd, sizeof(cwd)), -ENOENT);
	t.pid = pid;
	/* gone */
	reap(pid);
	assert_int_equal(pu_cmdline_profile(&t, &text, &len, name, sizeof(name), cwd, sizeof(cwd)), -ESRCH);
	assert_null(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_command_line_as_a_profile),
		cmocka_unit_test(another_process_or_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
