/* The node_exporter textfile: what metrics_render() makes of a status and a
 * facts snapshot (names, units, labels escaped and bounded), and the file
 * written atomically. promtool's checks of real output are in
 * tests/e2e/test_metrics.sh.
 * vd-tier: check (no root, no namespace) */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "metrics.h"

static char *render(const char *status, const char *facts)
{
	cJSON *s = cJSON_Parse(status), *f = cJSON_Parse(facts);
	char *text = NULL;
	size_t len = 0;

	assert_non_null(s);
	assert_non_null(f);
	assert_int_equal(metrics_render(s, f, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	cJSON_Delete(s);
	cJSON_Delete(f);
	return text;
}

static void has(const char *text, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (!strstr(text, want))
		fail_msg("missing line: %s\n---\n%s", line, text);
}

static void lacks(const char *text, const char *part)
{
	if (strstr(text, part))
		fail_msg("unexpected: %s\n---\n%s", part, text);
}

static const char status[] =
	"{\"health\":\"broken\",\"tunnels\":[{\"name\":\"office\",\"health\":\"broken\",\"state\":\"connected\"},"
	"{\"name\":\"home\",\"health\":\"idle\",\"state\":\"unknown\"}],"
	"\"findings\":[{\"cause\":\"dns-no-route\",\"tunnel\":\"office\",\"severity\":\"error\",\"since\":1795770000,"
	"\"summary\":\"a \\\"summary\\\" never goes into a label\"},"
	"{\"cause\":\"clock-skew\",\"tunnel\":\"\",\"severity\":\"warning\",\"since\":1795770100}],"
	"\"probes\":[{\"name\":\"ping\",\"tunnel\":\"office\",\"status\":\"ok\",\"last_run\":1795770200,\"duration_ms\":1500},"
	"{\"name\":\"clock\",\"tunnel\":null,\"status\":\"never\",\"last_run\":null,\"duration_ms\":null}]}";

static const char facts[] =
	"{\"now\":1795770300,\"host\":{\"clock\":{\"status\":\"ok\",\"offset_s\":-1.25}},"
	"\"tunnels\":[{\"name\":\"office\","
	"\"ping\":{\"status\":\"ok\",\"server_end\":{\"addr\":\"10.8.0.1\",\"rtt_avg_ms\":12.5,\"loss_pct\":10,\"jitter_ms\":0.5},"
	"\"targets\":[{\"addr\":\"172.16.1.20\",\"rtt_avg_ms\":20,\"loss_pct\":0,\"jitter_ms\":1}]},"
	"\"path\":{\"status\":\"ok\",\"rtt_avg_ms\":180,\"loss_pct\":2.5,\"jitter_ms\":3},"
	"\"transport\":{\"status\":\"ok\",\"udp\":{\"result\":\"answered\",\"rtt_ms\":40},\"tcp\":{\"result\":\"timeout\",\"connect_ms\":3}},"
	"\"throughput\":{\"status\":\"ok\",\"rx_mbps\":8,\"tx_mbps\":0.4},"
	"\"profile\":{\"status\":\"ok\",\"certs\":[{\"role\":\"cert\",\"not_after\":1800000000},"
	"{\"role\":\"ca\",\"not_after\":1900000000},{\"role\":\"ca\",\"not_after\":1850000000},"
	"{\"role\":\"Evil Role\",\"not_after\":1}]}},"
	"{\"name\":\"home\",\"ping\":{\"status\":\"unknown\",\"server_end\":{\"rtt_avg_ms\":1}}}]}";

static void test_render(void **state)
{
	char *t = render(status, facts);

	has(t, "# TYPE vpndoctor_build_info gauge");
	has(t, "vpndoctor_health{health=\"broken\"} 1");
	has(t, "vpndoctor_health{health=\"healthy\"} 0");
	has(t, "vpndoctor_tunnel_health{tunnel=\"home\",health=\"idle\"} 1");
	has(t, "vpndoctor_tunnel_up{tunnel=\"office\"} 1");
	lacks(t, "vpndoctor_tunnel_up{tunnel=\"home\"}"); /* unknown: no sample */
	has(t, "vpndoctor_tunnel_state{tunnel=\"office\",state=\"connected\"} 1");
	has(t, "vpndoctor_finding{tunnel=\"office\",cause=\"dns-no-route\",severity=\"error\"} 1");
	/* a host finding has no tunnel label */
	has(t, "vpndoctor_finding{cause=\"clock-skew\",severity=\"warning\"} 1");
	has(t, "vpndoctor_finding_since_timestamp_seconds{tunnel=\"office\",cause=\"dns-no-route\",severity=\"error\"} 1795770000");
	lacks(t, "summary");
	has(t, "vpndoctor_probe_status{probe=\"ping\",tunnel=\"office\",status=\"ok\"} 1");
	has(t, "vpndoctor_probe_status{probe=\"clock\",status=\"never\"} 1");
	has(t, "vpndoctor_probe_duration_seconds{probe=\"ping\",tunnel=\"office\"} 1.5");
	has(t, "vpndoctor_probe_last_run_timestamp_seconds{probe=\"ping\",tunnel=\"office\"} 1795770200");
	lacks(t, "vpndoctor_probe_duration_seconds{probe=\"clock\"");
	/* base units: seconds and ratios */
	has(t, "vpndoctor_ping_rtt_seconds{tunnel=\"office\",target=\"server_end\"} 0.0125");
	has(t, "vpndoctor_ping_rtt_seconds{tunnel=\"office\",target=\"172.16.1.20\"} 0.02");
	has(t, "vpndoctor_ping_loss_ratio{tunnel=\"office\",target=\"server_end\"} 0.1");
	has(t, "vpndoctor_ping_jitter_seconds{tunnel=\"office\",target=\"server_end\"} 0.0005");
	lacks(t, "vpndoctor_ping_rtt_seconds{tunnel=\"home\""); /* an unknown section counts as missing */
	has(t, "vpndoctor_path_rtt_seconds{tunnel=\"office\"} 0.18");
	has(t, "vpndoctor_path_loss_ratio{tunnel=\"office\"} 0.025");
	has(t, "vpndoctor_handshake_seconds{tunnel=\"office\",proto=\"udp\"} 0.04");
	lacks(t, "proto=\"tcp\""); /* timed out: no handshake time */
	has(t, "vpndoctor_clock_offset_seconds -1.25");
	has(t, "vpndoctor_certificate_expiry_timestamp_seconds{tunnel=\"office\",role=\"cert\"} 1800000000");
	/* the earliest of a role, one series per role */
	has(t, "vpndoctor_certificate_expiry_timestamp_seconds{tunnel=\"office\",role=\"ca\"} 1850000000");
	lacks(t, "Evil");
	has(t, "vpndoctor_receive_bytes_per_second{tunnel=\"office\"} 1000000");
	has(t, "vpndoctor_transmit_bytes_per_second{tunnel=\"office\"} 50000");
	has(t, "vpndoctor_metrics_series_omitted 0");
	free(t);
}

/* A name from discovery is another user's text: controls and bad UTF-8 made
 * visible (vd_text_escape), then backslash and quote escaped as the
 * exposition format says; two names that would print the same shown once;
 * at most METRICS_MAX_TUNNELS tunnels. */
static void test_labels_bounded(void **state)
{
	cJSON *s = cJSON_CreateObject(), *tun = cJSON_AddArrayToObject(s, "tunnels"), *t;
	char name[32], *text = NULL;
	size_t len;

	cJSON_AddStringToObject(s, "health", "healthy");
	cJSON_AddArrayToObject(s, "findings");
	cJSON_AddArrayToObject(s, "probes");
	t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "name", "a\"b\\c\nd\te\xc3\xa9\xff");
	cJSON_AddItemToArray(tun, t);
	t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "name", "a\"b\\c\\nd\\te\xc3\xa9\\xff"); /* prints the same as the first */
	cJSON_AddItemToArray(tun, t);
	for (int i = 0; i < METRICS_MAX_TUNNELS + 5; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "name", name);
		cJSON_AddStringToObject(t, "health", "healthy");
		cJSON_AddItemToArray(tun, t);
	}
	assert_int_equal(metrics_render(s, s, &text, &len), 0);
	has(text, "vpndoctor_tunnel_health{tunnel=\"a\\\"b\\\\c\\\\nd\\\\te\xc3\xa9\\\\xff\",health=\"healthy\"} 0");
	/* 1 + 31 shown; the lookalike and 6 of the 37 t* left out */
	snprintf(name, sizeof(name), "tunnel=\"t%d\"", METRICS_MAX_TUNNELS - 2);
	assert_non_null(strstr(text, name));
	snprintf(name, sizeof(name), "tunnel=\"t%d\"", METRICS_MAX_TUNNELS - 1);
	assert_null(strstr(text, name));
	has(text, "vpndoctor_metrics_series_omitted 7");
	/* every line is a comment or a sample: no raw newline got through */
	for (char *line = text; *line; line = strchr(line, '\n') + 1)
		assert_true(line[0] == '#' || strncmp(line, "vpndoctor_", 10) == 0);
	free(text);
	cJSON_Delete(s);
}

static void test_write_file(void **state)
{
	char dir[] = "/tmp/vd-test-metrics.XXXXXX", path[128], buf[64];
	struct stat st;
	int fd;
	ssize_t n;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(metrics_write_file(dir, "x 1\n", 4), 0);
	assert_int_equal(metrics_write_file(dir, "y 2\n", 4), 0);
	snprintf(path, sizeof(path), "%s/vpndoctor.prom", dir);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "y 2\n", 4);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* a link planted as the temporary file is not written through */
	snprintf(path, sizeof(path), "%s/.vpndoctor.prom.tmp", dir);
	assert_int_equal(symlink("/etc/passwd-not-ours", path), 0);
	assert_int_equal(metrics_write_file(dir, "z 3\n", 4), 0);
	assert_int_equal(lstat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/vpndoctor.prom", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(metrics_write_file(dir, "x", 1), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_labels_bounded),
		cmocka_unit_test(test_write_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
