/* The daemon under test holds its facts against the definition: with
 * VD_FACTS_VALIDATE=1 a snapshot with a key facts.def does not have stops it,
 * with "log" it is logged, without it nothing happens. Each case runs in a
 * child process of its own: the daemon reads the variable once.
 * vd-tier: check (no root, no namespace) */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "model.h"

static const struct probe fake_routes = {.name = "routes", .section = "routes", .per_tunnel = true};

/* In a child with VD_FACTS_VALIDATE=mode (NULL: unset): a daemon whose routes
 * section is the given JSON builds its facts; exits 0 when model_facts returned
 * them. The parent gets the exit status and what the child logged. */
static int child(const char *mode, const char *routes, char *log, size_t len)
{
	int p[2], status;
	pid_t pid;
	ssize_t n;
	size_t got = 0;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct event_base *base;
		struct config *cfg = NULL;
		struct vd_daemon *d = NULL;
		struct vd_error err;
		cJSON *facts;
		int r;

		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		close(p[1]);
		if (mode)
			setenv("VD_FACTS_VALIDATE", mode, 1);
		else
			unsetenv("VD_FACTS_VALIDATE");
		log_init(LOG_TARGET_STDERR, LOG_DEBUG);
		if (config_parse_string("/tmp/t.conf", "[Tunnel office]\n", &cfg, &err) < 0 ||
		    !(base = event_base_new()) || daemon_new(base, cfg, NULL, &d) < 0)
			_exit(70);
		model_probe_result(d, &fake_routes, "office", PROBE_OK, cJSON_Parse(routes), NULL, 1000, 1);
		facts = model_facts(d);
		r = facts ? 0 : 71;
		cJSON_Delete(facts);
		daemon_free(d);
		event_base_free(base);
		_exit(r);
	}
	close(p[1]);
	while (got + 1 < len && (n = read(p[0], log + got, len - got - 1)) > 0)
		got += (size_t)n;
	log[got] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static const char *valid_routes =
	"{\"status\":\"ok\",\"tun_dev\":\"tun0\",\"tunnel_subnet\":null,\"local_subnets\":[],"
	"\"targets\":[],\"default_route\":true}";
static const char *bad_routes =
	"{\"status\":\"ok\",\"tun_dev\":\"tun0\",\"tunnel_subnet\":null,\"local_subnets\":[],"
	"\"targets\":[],\"default_route\":true,\"defualt_route\":true}";

static void test_stop(void **state)
{
	char log[8192];

	(void)state;
	assert_int_equal(child("1", bad_routes, log, sizeof(log)), 1);
	assert_non_null(strstr(log, "facts: tunnels[0].routes.defualt_route: not a key of routes"));
	assert_non_null(strstr(log, "1 violation of include/vpndoctor/facts.def (VD_FACTS_VALIDATE): stopping"));
	/* a valid snapshot goes on */
	assert_int_equal(child("1", valid_routes, log, sizeof(log)), 0);
	assert_null(strstr(log, "facts:"));
}

static void test_log(void **state)
{
	char log[8192];

	(void)state;
	assert_int_equal(child("log", bad_routes, log, sizeof(log)), 0);
	assert_non_null(strstr(log, "facts: tunnels[0].routes.defualt_route: not a key of routes"));
	assert_null(strstr(log, "stopping"));
}

static void test_off(void **state)
{
	char log[8192];

	(void)state;
	assert_int_equal(child(NULL, bad_routes, log, sizeof(log)), 0);
	assert_null(strstr(log, "facts:"));
	assert_int_equal(child("0", bad_routes, log, sizeof(log)), 0);
	assert_null(strstr(log, "facts:"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
