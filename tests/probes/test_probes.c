/* The probes as a layer: the real probe table, and the host through which
 * probes reach the daemon (probes/probe.h), and what probes need of each
 * other: checked, ordered, and no undeclared read. This binary links the probes'
 * library and libvpndoctor alone: a probe that calls into the daemon does
 * not link here. vd-tier: check */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "probes/probe.h"
#include "probes/probe_util.h"

/* ---- the table ------------------------------------------------------------ */

static void table_names_and_sections(void **unused)
{
	(void)unused;
	assert_true(probes_n > 0);
	for (unsigned i = 0; i < probes_n; i++) {
		const struct probe *p = probes_all[i];

		assert_non_null(p->name);
		assert_non_null(p->section);
		assert_non_null(p->config_section);
		assert_non_null(p->start);
		assert_ptr_equal(probes_find(p->name), p);
		for (unsigned k = 0; k < i; k++) {
			assert_string_not_equal(probes_all[k]->name, p->name);
			assert_string_not_equal(probes_all[k]->section, p->section);
		}
	}
	assert_null(probes_find("no-such-probe"));
	assert_null(probes_find(NULL));
}

/* ---- needs ---------------------------------------------------------------- */

static size_t index_in(const struct probe *const *v, size_t n, const struct probe *p)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == p)
			return i;
	return n;
}

static bool needs(const struct probe *p, const char *section)
{
	for (const char *const *need = p->needs; need && *need; need++)
		if (strcmp(*need, section) == 0)
			return true;
	return false;
}

/* The real table holds together, as the daemon checks at start-up. */
static void real_table_needs(void **unused)
{
	const struct probe *order[64];
	char err[256] = "unset";

	(void)unused;
	assert_int_equal(probes_check(probes_all, probes_n, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	probes_order(probes_all, probes_n, order);
	for (unsigned i = 0; i < probes_n; i++) {
		assert_true(index_in(order, probes_n, probes_all[i]) < probes_n); /* each once */
		for (const char *const *need = probes_all[i]->needs; need && *need; need++)
			for (unsigned k = 0; k < probes_n; k++)
				if (strcmp(probes_all[k]->section, *need) == 0)
					assert_true(index_in(order, probes_n, probes_all[k]) <
					            index_in(order, probes_n, probes_all[i]));
	}
	/* what the probes read of each other, as their code does */
	assert_true(needs(&probe_path, probe_transport.section));
	/* probe_transport_gateway() reads both through the path probe's run */
	assert_true(needs(&probe_path, probe_openvpn.section));
	assert_true(needs(&probe_path, probe_profile.section));
	assert_true(needs(&probe_transport, probe_profile.section));
	assert_true(needs(&probe_transport, probe_openvpn.section));
	assert_true(needs(&probe_dns, probe_routes.section));
	assert_true(needs(&probe_ping, probe_openvpn.section));
	/* the ping probe needs the path's round trips, and the path's pace
	 * follows the ping probe's loss tests: a peek, not a need */
	assert_true(needs(&probe_ping, probe_path.section));
	assert_false(needs(&probe_path, probe_ping.section));
	assert_non_null(probe_path.peeks);
	assert_string_equal(probe_path.peeks[0], probe_ping.section);
	assert_null(probe_openvpn.needs);
	assert_null(probe_profile.needs);
	assert_null(probe_clock.needs);
}

static int nop_start(struct probe_run *run)
{
	(void)run;
	return 0;
}

#define P(var, nm, sec, tun, ...)                                                             \
	static const struct probe var = {.name = nm, .section = sec, .config_section = nm,        \
	                                 .per_tunnel = tun, .start = nop_start, .needs = __VA_ARGS__}

P(p_a, "a", "sa", true, NULL);
P(p_b, "b", "sb", true, (const char *const[]){"sa", NULL});
P(p_c, "c", "sc", true, (const char *const[]){"sa", "sb", NULL});
P(p_d, "d", "sd", true, (const char *const[]){"sc", "sh", NULL});
P(p_h, "h", "sh", false, NULL);
P(p_self, "self", "sself", true, (const char *const[]){"sself", NULL});
P(p_x, "x", "sx", true, (const char *const[]){"sy", NULL});
P(p_y, "y", "sy", true, (const char *const[]){"sz", NULL});
P(p_z, "z", "sz", true, (const char *const[]){"sx", NULL});
P(p_orphan, "orphan", "so", true, (const char *const[]){"nobody", NULL});
P(p_hostneeds, "hn", "shn", false, (const char *const[]){"sa", NULL});
/* peeks: p_peek looks at sb, whose probe needs sa, and at sq, whose probe
 * needs sp: no order, so no cycle */
static const struct probe p_peek = {.name = "peek", .section = "sp", .config_section = "peek", .per_tunnel = true,
                                    .start = nop_start, .peeks = (const char *const[]){"sq", NULL}};
P(p_q, "q", "sq", true, (const char *const[]){"sp", NULL});
static const struct probe p_peek_orphan = {.name = "po", .section = "spo", .config_section = "po", .per_tunnel = true,
                                           .start = nop_start, .peeks = (const char *const[]){"nobody", NULL}};
static const struct probe p_peek_self = {.name = "ps", .section = "sps", .config_section = "ps", .per_tunnel = true,
                                         .start = nop_start, .peeks = (const char *const[]){"sps", NULL}};
static const struct probe p_host_peek = {.name = "hp", .section = "shp", .config_section = "hp", .per_tunnel = false,
                                         .start = nop_start, .peeks = (const char *const[]){"sa", NULL}};

static void check_fails(const struct probe *const *v, size_t n, int want, const char *words)
{
	char err[256] = "";

	assert_int_equal(probes_check(v, n, err, sizeof(err)), want);
	assert_non_null(strstr(err, words));
}

static void needs_refused(void **unused)
{
	(void)unused;
	check_fails((const struct probe *const[]){&p_a, &p_orphan}, 2, -ENOENT,
	            "probe orphan needs the section nobody, which no probe fills");
	check_fails((const struct probe *const[]){&p_self}, 1, -ELOOP, "probe self needs its own section sself");
	check_fails((const struct probe *const[]){&p_a, &p_x, &p_y, &p_z}, 4, -ELOOP, "which needs it back");
	check_fails((const struct probe *const[]){&p_a, &p_hostneeds}, 2, -EINVAL,
	            "probe hn runs for the host but needs sa, a tunnel's section");
	check_fails((const struct probe *const[]){&p_a, &p_peek_orphan}, 2, -ENOENT,
	            "probe po peeks at the section nobody, which no probe fills");
	check_fails((const struct probe *const[]){&p_peek_self}, 1, -ELOOP, "probe ps peeks at its own section sps");
	check_fails((const struct probe *const[]){&p_a, &p_host_peek}, 2, -EINVAL,
	            "probe hp runs for the host but peeks at sa, a tunnel's section");
}

/* A peek orders nothing: a probe may peek at one that needs it, and the
 * order follows the needs alone. */
static void peeks_order_nothing(void **unused)
{
	const struct probe *const v[] = {&p_q, &p_peek};
	const struct probe *order[2];
	char err[64];

	(void)unused;
	assert_int_equal(probes_check(v, 2, err, sizeof(err)), 0);
	probes_order(v, 2, order);
	assert_ptr_equal(order[0], &p_peek);
	assert_ptr_equal(order[1], &p_q);
}

static void needs_order(void **unused)
{
	/* listed backwards; a tunnel's probe may need the host's */
	const struct probe *const v[] = {&p_d, &p_c, &p_b, &p_h, &p_a};
	const struct probe *order[5];
	char err[64];

	(void)unused;
	assert_int_equal(probes_check(v, 5, err, sizeof(err)), 0);
	probes_order(v, 5, order);
	assert_ptr_equal(order[0], &p_h); /* the first ready in the table's order */
	assert_ptr_equal(order[1], &p_a);
	assert_ptr_equal(order[2], &p_b);
	assert_ptr_equal(order[3], &p_c);
	assert_ptr_equal(order[4], &p_d);
}

/* ---- the host ------------------------------------------------------------- */

static struct {
	const struct probe_run *run;
	char section[64];
	char error[200];
	char log[200];
	int log_prio;
	struct vd_proc_id who;
	char path[256];
	size_t max;
	struct probe_slot *triggered;
	unsigned events;
	enum probe_status status;
	bool done;
} seen;

static const cJSON *fake_section_obj;

static void fake_done(struct probe_run *run, enum probe_status status, struct cJSON *section)
{
	seen.run = run;
	seen.status = status;
	seen.done = true;
	cJSON_Delete(section);
}

static void fake_error(struct probe_run *run, const char *msg)
{
	seen.run = run;
	snprintf(seen.error, sizeof(seen.error), "%s", msg);
}

static char seen_text[160];
static cJSON *seen_msg;

static void fake_error_msg(struct probe_run *run, const char *text, const struct cJSON *msg)
{
	seen.run = run;
	snprintf(seen_text, sizeof(seen_text), "%s", text);
	cJSON_Delete(seen_msg);
	seen_msg = cJSON_Duplicate(msg, true);
}

static void fake_trigger(struct probe_slot *slot)
{
	seen.triggered = slot;
}

static void fake_trigger_events(struct probe_slot *slot, unsigned events)
{
	seen.triggered = slot;
	seen.events = events;
}

static const struct cJSON *fake_section(const struct probe_run *run, const char *section)
{
	seen.run = run;
	snprintf(seen.section, sizeof(seen.section), "%s", section);
	return fake_section_obj;
}

__attribute__((format(printf, 2, 0)))
static void fake_log(int prio, const char *fmt, va_list ap)
{
	seen.log_prio = prio;
	vsnprintf(seen.log, sizeof(seen.log), fmt, ap);
}

static int fake_open(const struct vd_proc_id *who, const char *path, size_t max, int *ret_fd)
{
	int fd;

	seen.who = who ? *who : (struct vd_proc_id){0};
	snprintf(seen.path, sizeof(seen.path), "%s", path);
	seen.max = max;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

static const struct probe_host fake_host = {
	.run_done = fake_done,
	.run_error = fake_error,
	.slot_trigger = fake_trigger,
	.slot_trigger_events = fake_trigger_events,
	.run_section = fake_section,
	.log = fake_log,
	.open = fake_open,
	/* connect, proc, watch, cwd: not lent */
};

static const struct probe_host fake_host_msg = {
	.run_done = fake_done,
	.run_error = fake_error,
	.run_error_msg = fake_error_msg,
	.run_section = fake_section,
	.log = fake_log,
};

static const char *msg_value(const cJSON *msg, const char *name, const char *kind)
{
	const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(msg, "values"), name), kind);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A probe's error as a message: its English rendering is the text the
 * printf-built one was, byte for byte, and the message goes beside it. */
static void error_as_message(void **unused)
{
	struct probe_run run = {.probe = &probe_ping};
	const cJSON *state;

	(void)unused;
	probe_host_set(&fake_host_msg);
	PROBE_ERROR(&run, N_("ICMP socket on {device}: {error}"), VD_TEXT("device", "tun0"),
	            VD_TEXT("error", "Operation not permitted"));
	assert_string_equal(seen_text, "ICMP socket on tun0: Operation not permitted");
	assert_string_equal(cJSON_GetObjectItem(seen_msg, "id")->valuestring, "ICMP socket on {device}: {error}");
	assert_string_equal(msg_value(seen_msg, "device", "text"), "tun0");
	PROBE_ERROR(&run, N_("nft -j list ruleset: no answer within {seconds} s"), VD_NUM("seconds", 5, 0));
	assert_string_equal(seen_text, "nft -j list ruleset: no answer within 5 s");
	PROBE_ERROR(&run, N_("no tun link known"));
	assert_string_equal(seen_text, "no tun link known");
	assert_null(cJSON_GetObjectItem(seen_msg, "values"));

	/* a known state is a phrase (translated), another one text */
	pu_error_tunnel_down(&run, "connecting");
	assert_string_equal(seen_text, "the tunnel is connecting");
	state = cJSON_GetObjectItem(cJSON_GetObjectItem(seen_msg, "values"), "state");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(state, "message"), "id")->valuestring,
	                    "connecting");
	pu_error_tunnel_down(&run, "weird");
	assert_string_equal(seen_text, "the tunnel is weird");
	assert_string_equal(msg_value(seen_msg, "state", "text"), "weird");

	/* a template naming a value not given: its words, as plain text */
	seen_text[0] = '\0';
	PROBE_ERROR(&run, N_("{device}: {error}"), VD_TEXT("device", "tun0"));
	assert_string_equal(seen.error, "{device}: {error}");
	assert_string_equal(seen_text, "");

	/* a host without run_error_msg gets the English */
	probe_host_set(&fake_host);
	PROBE_ERROR(&run, N_("getrandom: {error}"), VD_TEXT("error", "Function not implemented"));
	assert_string_equal(seen.error, "getrandom: Function not implemented");
	cJSON_Delete(seen_msg);
	seen_msg = NULL;
}

/* Runs first: no host has been set in this process yet. */
static void without_host(void **unused)
{
	const struct vd_proc_id who = {.pid = 1, .start = 1};
	char buf[64], *data = NULL;
	size_t len;
	int fd = -1;

	(void)unused;
	assert_int_equal(probe_open(&who, "/etc/hostname", 100, &fd), -ENOSYS);
	assert_int_equal(probe_read(&who, "/etc/hostname", 100, &data, &len), -ENOSYS);
	assert_int_equal(probe_connect(&who, "/run/x.sock", &fd), -ENOSYS);
	assert_int_equal(probe_proc(&who, PROBE_PROC_EXE, &fd), -ENOSYS);
	assert_int_equal(probe_watch(&who, 3, "/tmp", 1), -ENOSYS);
	assert_int_equal(probe_cwd(&who, buf, sizeof(buf)), -ENOSYS);
	assert_int_equal(fd, -1);
	assert_null(data);
	probe_log(LOG_DEBUG, "no host: this line goes to stderr (%d)", 42);
}

static void host_lends_the_scheduler(void **unused)
{
	struct probe_run run = {.probe = &probe_routes};
	struct probe_slot *slot = (struct probe_slot *)&run; /* opaque: only passed on */
	cJSON *obj = cJSON_CreateObject();

	(void)unused;
	probe_host_set(&fake_host);
	fake_section_obj = obj;
	memset(&seen, 0, sizeof(seen));
	assert_ptr_equal(probe_run_section(&run, "openvpn"), obj);
	assert_ptr_equal(seen.run, &run);
	assert_string_equal(seen.section, "openvpn");
	assert_null(probe_run_section(&run, NULL));

	probe_run_error(&run, "cannot reach %s on port %d", "203.0.113.7", 1194);
	assert_string_equal(seen.error, "cannot reach 203.0.113.7 on port 1194");

	probe_slot_trigger(slot);
	assert_ptr_equal(seen.triggered, slot);
	probe_slot_trigger_events(slot, PROBE_EV_OPENVPN);
	assert_int_equal(seen.events, PROBE_EV_OPENVPN);

	probe_run_done(&run, PROBE_UNKNOWN, cJSON_CreateObject());
	assert_true(seen.done);
	assert_int_equal(seen.status, PROBE_UNKNOWN);

	probe_log(LOG_NOTICE, "openvpn on %s: %s", "office", "connected");
	assert_int_equal(seen.log_prio, LOG_NOTICE);
	assert_string_equal(seen.log, "openvpn on office: connected");
	fake_section_obj = NULL;
	cJSON_Delete(obj);
}

/* A section the probe does not declare is refused: NULL without asking the
 * host, and in a debug build (no NDEBUG) an assertion that stops it. */
static void undeclared_section_refused(void **unused)
{
	struct probe_run run = {.probe = &probe_ping};
	pid_t child;
	int st;

	(void)unused;
	probe_host_set(&fake_host);
	fake_section_obj = (const cJSON *)&run; /* any pointer: not to be returned */
	memset(&seen, 0, sizeof(seen));
	assert_ptr_equal(probe_run_section(&run, probe_openvpn.section), fake_section_obj); /* declared */
	/* a peek is declared too */
	run.probe = &probe_path;
	assert_ptr_equal(probe_run_section(&run, probe_ping.section), fake_section_obj);
	assert_string_equal(seen.section, probe_ping.section);
	run.probe = &probe_ping;
	memset(&seen, 0, sizeof(seen));
	fflush(NULL);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* ping reads no DNS section */
		const struct cJSON *got = probe_run_section(&run, probe_dns.section);
		_exit(got == NULL && seen.section[0] == '\0' && strstr(seen.log, "without declaring") ? 0 : 1);
	}
	assert_int_equal(waitpid(child, &st, 0), child);
#ifdef NDEBUG
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
#else
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
#endif
	fake_section_obj = NULL;
}

static void host_opens_as_who(void **unused)
{
	const struct vd_proc_id who = {.pid = 4242, .start = 99};
	char tmpl[] = "/tmp/vd-probes-XXXXXX", buf[16], *data = NULL;
	size_t len = 0;
	int fd;

	(void)unused;
	probe_host_set(&fake_host);
	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "remote gw 1194\n", 15), 15);
	close(fd);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(probe_read(&who, tmpl, 1024, &data, &len), 0);
	assert_int_equal(len, 15);
	assert_string_equal(data, "remote gw 1194\n");
	assert_int_equal(seen.who.pid, 4242);
	assert_int_equal(seen.who.start, 99);
	assert_string_equal(seen.path, tmpl);
	assert_int_equal(seen.max, 1024);
	free(data);
	/* larger than max: refused by the read, the descriptor closed */
	data = NULL;
	assert_int_equal(probe_read(&who, tmpl, 4, &data, &len), -EFBIG);
	assert_null(data);
	/* what the host does not lend fails as without one */
	assert_int_equal(probe_cwd(&who, buf, sizeof(buf)), -ENOSYS);
	assert_int_equal(probe_connect(&who, "/run/x.sock", &fd), -ENOSYS);
	unlink(tmpl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(without_host),
		cmocka_unit_test(table_names_and_sections),
		cmocka_unit_test(real_table_needs),
		cmocka_unit_test(needs_refused),
		cmocka_unit_test(needs_order),
		cmocka_unit_test(peeks_order_nothing),
		cmocka_unit_test(host_lends_the_scheduler),
		cmocka_unit_test(error_as_message),
		cmocka_unit_test(undeclared_section_refused),
		cmocka_unit_test(host_opens_as_who),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
