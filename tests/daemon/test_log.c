/* Logging: the stderr "<N>" format, levels, errno kept, fatalx, finding lines,
 * escaping of what came from elsewhere, the rate limit, and the parsing of
 * --log-target and --log-level.
 * vd-tier: check (no root, no namespace) */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "../../daemon/log.h"

/* stderr goes to a file while a test runs; capture() returns what was written. */
struct capture {
	char path[64];
	int fd;
	int saved;
	char buf[8192];
};

static int setup(void **state)
{
	struct capture *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	snprintf(c->path, sizeof(c->path), "/tmp/vd-log-XXXXXX");
	c->fd = mkostemp(c->path, O_CLOEXEC);
	if (c->fd < 0) {
		free(c);
		return -1;
	}
	fflush(stderr);
	c->saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	dup2(c->fd, STDERR_FILENO);
	log_init(LOG_TARGET_STDERR, LOG_INFO);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct capture *c = *state;

	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	close(c->fd);
	unlink(c->path);
	free(c);
	return 0;
}

static const char *captured(struct capture *c)
{
	ssize_t n = pread(c->fd, c->buf, sizeof(c->buf) - 1, 0);

	assert_true(n >= 0);
	c->buf[n] = '\0';
	return c->buf;
}

static void test_stderr_format(void **state)
{
	struct capture *c = *state;

	log_info("listening on %s", "/run/x");
	log_notice("reloaded");
	log_warnx("bad key %d", 7);
	log_debug("not shown at info");
	assert_false(log_to_journal());
	assert_string_equal(captured(c),
	                    "<6>vpndoctord: listening on /run/x\n"
	                    "<5>vpndoctord: reloaded\n"
	                    "<4>vpndoctord: bad key 7\n");
}

static void test_levels(void **state)
{
	struct capture *c = *state;

	log_init(LOG_TARGET_STDERR, LOG_DEBUG);
	log_debug("d%d", 1);
	log_init(LOG_TARGET_STDERR, LOG_WARNING);
	log_info("dropped");
	log_notice("dropped");
	log_warnx("kept");
	log_init(LOG_TARGET_STDERR, LOG_ERR);
	log_warnx("dropped");
	assert_string_equal(captured(c), "<7>vpndoctord: d1\n<4>vpndoctord: kept\n");
}

static void test_warn_errno(void **state)
{
	struct capture *c = *state;

	errno = ENOENT;
	log_warn("open %s", "/etc/vpndoctor/x.conf");
	assert_int_equal(errno, ENOENT);
	errno = EACCES;
	log_warnx("no strerror here");
	assert_int_equal(errno, EACCES);
	errno = EPERM;
	log_info("info keeps it too");
	assert_int_equal(errno, EPERM);
	assert_string_equal(captured(c),
	                    "<4>vpndoctord: open /etc/vpndoctor/x.conf: No such file or directory\n"
	                    "<4>vpndoctord: no strerror here\n"
	                    "<6>vpndoctord: info keeps it too\n");
}

static void test_long_message(void **state)
{
	struct capture *c = *state;
	char big[6000];
	const char *out;

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_info("%s", big);
	out = captured(c);
	/* cut, but still one line with its prefix and newline */
	assert_true(strncmp(out, "<6>vpndoctord: zzz", 18) == 0);
	assert_int_equal(out[strlen(out) - 1], '\n');
	assert_null(strchr(out, '\n') + 1 == out + strlen(out) ? NULL : "more than one line");
}

static void test_fatalx(void **state)
{
	struct capture *c = *state;
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		fatalx("cannot bind %s", "/run/vpndoctor/io.vpndoctor");
		_exit(42); /* not reached */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_string_equal(captured(c), "<2>vpndoctord: cannot bind /run/vpndoctor/io.vpndoctor\n");
}

static cJSON *finding(const char *cause, const char *severity)
{
	cJSON *f = cJSON_CreateObject();

	cJSON_AddStringToObject(f, "cause", cause);
	cJSON_AddStringToObject(f, "tunnel", "office");
	cJSON_AddStringToObject(f, "severity", severity);
	cJSON_AddStringToObject(f, "summary", "the clock is 903 s behind the NTP server");
	return f;
}

static void test_finding_stderr(void **state)
{
	struct capture *c = *state;
	cJSON *e = finding("clock-skew", "error");
	cJSON *w = finding("cert-expired", "warning");
	cJSON *i = finding("clock-skew", "info");

	log_finding("opened", e, NULL);
	log_finding("resolved", e, NULL);
	log_finding("updated", w, NULL);
	log_finding("resolved", w, NULL);
	log_finding("opened", i, NULL);   /* info: 6, shown at info */
	log_finding("resolved", i, NULL);
	log_init(LOG_TARGET_STDERR, LOG_NOTICE);
	log_finding("opened", i, NULL);   /* dropped at notice */
	log_finding("resolved", e, NULL); /* kept */
	assert_string_equal(captured(c),
	                    "<3>vpndoctord: opened clock-skew on office: the clock is 903 s behind the NTP server\n"
	                    "<5>vpndoctord: resolved clock-skew on office: the clock is 903 s behind the NTP server\n"
	                    "<4>vpndoctord: updated cert-expired on office: the clock is 903 s behind the NTP server\n"
	                    "<5>vpndoctord: resolved cert-expired on office: the clock is 903 s behind the NTP server\n"
	                    "<6>vpndoctord: opened clock-skew on office: the clock is 903 s behind the NTP server\n"
	                    "<6>vpndoctord: resolved clock-skew on office: the clock is 903 s behind the NTP server\n"
	                    "<5>vpndoctord: resolved clock-skew on office: the clock is 903 s behind the NTP server\n");
	cJSON_Delete(e);
	cJSON_Delete(w);
	cJSON_Delete(i);
}

/* Issue 16 item 9: a tunnel name or a summary from a user's profile with a
 * terminal escape, a newline or a bad byte reached the log as it was. */
static void test_escaped(void **state)
{
	struct capture *c = *state;
	cJSON *f = finding("clock-skew", "error");

	log_info("discovery: tunnel %s: config %s", "evil\x1b]0;root\x07", "/tmp/a\nforged line");
	cJSON_ReplaceItemInObject(f, "tunnel", cJSON_CreateString("t\xc2\x9b" "1m"));
	cJSON_ReplaceItemInObject(f, "summary", cJSON_CreateString("bad \xff byte\r\x7f"));
	log_finding("opened", f, NULL);
	cJSON_Delete(f);
	assert_string_equal(captured(c),
	                    "<6>vpndoctord: discovery: tunnel evil\\x1b]0;root\\x07: config /tmp/a\\nforged line\n"
	                    "<3>vpndoctord: opened clock-skew on t\\u009b1m: bad \\xff byte\\r\\x7f\n");
}

/* A line a client can trigger: `burst` per window, then one line with the
 * count of those suppressed when the next window opens. */
static void test_ratelimit(void **state)
{
	struct capture *c = *state;
	struct log_ratelimit rl = LOG_RATELIMIT_INIT(1, 3);
	const char *out;
	int lines = 0;

	for (int i = 0; i < 100; i++)
		log_rl(&rl, LOG_INFO, "dropping client %d", i);
	sleep(2); /* the next window */
	log_rl(&rl, LOG_INFO, "dropping client %d", 100);
	log_rl(&rl, LOG_DEBUG, "below the level: neither shown nor counted");
	out = captured(c);
	for (const char *p = out; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 5);
	assert_non_null(strstr(out, "<6>vpndoctord: dropping client 2\n"));
	assert_null(strstr(out, "dropping client 3\n"));
	assert_non_null(strstr(out, "<5>vpndoctord: 97 similar messages suppressed in the last "));
	assert_non_null(strstr(out, "<6>vpndoctord: dropping client 100\n"));
}

static void test_finding_odd_input(void **state)
{
	struct capture *c = *state;
	cJSON *f = cJSON_CreateObject();

	/* missing fields, an unknown cause, a missing severity: still one line, no crash */
	log_finding("opened", f, NULL);
	cJSON_AddStringToObject(f, "cause", "no-such-cause");
	cJSON_AddNumberToObject(f, "tunnel", 5);
	log_finding("opened", f, NULL);
	log_finding(NULL, NULL, NULL);
	cJSON_Delete(f);
	/* an unknown severity falls back to the catalogue's (clock-skew: error) */
	f = finding("clock-skew", "bogus");
	log_finding("opened", f, NULL);
	cJSON_Delete(f);
	assert_string_equal(captured(c),
	                    "<6>vpndoctord: opened unknown on -: \n"
	                    "<6>vpndoctord: opened no-such-cause on -: \n"
	                    "<6>vpndoctord: updated unknown on -: \n"
	                    "<3>vpndoctord: opened clock-skew on office: the clock is 903 s behind the NTP server\n");
}

static void test_target_parse(void **state)
{
	enum log_target t = LOG_TARGET_STDERR;

	assert_int_equal(log_target_parse("auto", &t), 0);
	assert_int_equal(t, LOG_TARGET_AUTO);
	assert_int_equal(log_target_parse("journal", &t), 0);
	assert_int_equal(t, LOG_TARGET_JOURNAL);
	assert_int_equal(log_target_parse("stderr", &t), 0);
	assert_int_equal(t, LOG_TARGET_STDERR);
	t = LOG_TARGET_JOURNAL;
	assert_int_equal(log_target_parse("syslog", &t), -EINVAL);
	assert_int_equal(log_target_parse("", &t), -EINVAL);
	assert_int_equal(log_target_parse("Journal", &t), -EINVAL);
	assert_int_equal(log_target_parse(NULL, &t), -EINVAL);
	assert_int_equal(t, LOG_TARGET_JOURNAL); /* untouched on failure */
}

static void test_level_parse(void **state)
{
	int l = -1;
	static const struct {
		const char *s;
		int level;
	} good[] = {
		{"err", LOG_ERR},       {"error", LOG_ERR},     {"warning", LOG_WARNING},
		{"warn", LOG_WARNING},  {"notice", LOG_NOTICE}, {"info", LOG_INFO},
		{"debug", LOG_DEBUG},   {"crit", LOG_CRIT},     {"0", 0},
		{"7", 7},               {"3", 3},
	};
	static const char *const bad[] = {"8", "-1", "", "3x", " 3", "INFO", "information", "99999999999999999999"};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(log_level_parse(good[i].s, &l), 0);
		assert_int_equal(l, good[i].level);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		l = 42;
		assert_int_equal(log_level_parse(bad[i], &l), -EINVAL);
		assert_int_equal(l, 42);
	}
	assert_int_equal(log_level_parse(NULL, &l), -EINVAL);
}

static void test_auto_without_journald(void **state)
{
	struct stat st;

	/* Only meaningful where no journald listens (a build container, CI);
	 * the e2e journal test covers the other side inside its namespace. */
	if (stat("/run/systemd/journal/socket", &st) == 0)
		skip();
	log_init(LOG_TARGET_AUTO, LOG_INFO);
	assert_false(log_to_journal());
	log_init(LOG_TARGET_JOURNAL, LOG_INFO);
	assert_true(log_to_journal());
	log_init(LOG_TARGET_STDERR, LOG_INFO);
	assert_false(log_to_journal());
}

static void test_journal_forced_without_journald(void **state)
{
	struct capture *c = *state;
	struct stat st;

	/* --log-target journal with no journald: honoured, but sd_journal_send
	 * would drop everything silently, so one warning says so on stderr. */
	if (stat("/run/systemd/journal/socket", &st) == 0)
		skip();
	log_init(LOG_TARGET_JOURNAL, LOG_INFO);
	assert_true(log_to_journal());
	assert_string_equal(captured(c), "<4>vpndoctord: log target journal, but journald is not listening on "
	                                 "/run/systemd/journal/socket: messages will be lost\n");
	log_init(LOG_TARGET_AUTO, LOG_INFO);
	assert_false(log_to_journal());
	log_info("auto picked stderr");
	assert_true(strstr(captured(c), "\n<6>vpndoctord: auto picked stderr\n") != NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stderr_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warn_errno, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fatalx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finding_stderr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finding_odd_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ratelimit, setup, teardown),
		cmocka_unit_test(test_target_parse),
		cmocka_unit_test(test_level_parse),
		cmocka_unit_test_setup_teardown(test_auto_without_journald, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_forced_without_journald, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
