/* daemon/cloud.c: the cloud facts files of a directory and of CloudFacts=,
 * a file refused with one log line naming it and the field while the others
 * stay in use, changes seen through inotify, and what applies to a tunnel.
 * vd-tier: check (no root, no namespace) */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <event2/event.h>

#include "cloud.h"
#include "config.h"
#include "log.h"
#include "vpndoctor/facts.h"

static char dir[64], logpath[128];
static int changed, saved_stderr = -1;

static void on_changed(void *ud)
{
	(void)ud;
	changed++;
}

/* The file name under dir, written whole (as `aliyun ... > tmp && mv` would). */
static void put(const char *name, const char *text)
{
	char path[256], tmp[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(rename(tmp, path), 0);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);

	assert_non_null(buf);
	if (f) {
		size_t n = fread(buf, 1, 65535, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

static const char office[] =
	"{\n\t\"PageNumber\": 1,\n\t\"PageSize\": 10,\n\t\"RequestId\": \"D350187B-EA41-4577-950B-95434C8302E1\",\n"
	"\t\"SslVpnServers\": {\n\t\t\"SslVpnServer\": [\n\t\t\t{\n\t\t\t\t\"ClientIpPool\": \"10.8.0.0/28\",\n"
	"\t\t\t\t\"InternetIp\": \"203.0.113.7\",\n\t\t\t\t\"LocalSubnet\": \"172.16.1.0/24\",\n"
	"\t\t\t\t\"MaxConnections\": 10,\n\t\t\t\t\"Connections\": 1,\n\t\t\t\t\"Proto\": \"UDP\",\n"
	"\t\t\t\t\"Port\": 1194,\n\t\t\t\t\"SslVpnServerId\": \"vss-office\",\n"
	"\t\t\t\t\"VpnGatewayId\": \"vpn-office\"\n\t\t\t}\n\t\t]\n\t},\n\t\"TotalCount\": 1\n}\n";
static const char branch[] =
	"{\"SslVpnServers\": {\"SslVpnServer\": [{\"ClientIpPool\": \"10.9.0.0/24\", \"InternetIp\": \"198.51.100.20\","
	" \"MaxConnections\": 50, \"SslVpnServerId\": \"vss-branch\", \"VpnGatewayId\": \"vpn-branch\"}]}}\n";
static const char bad[] =
	"{\"SslVpnServers\": {\"SslVpnServer\": [{\"InternetIp\": \"198.51.100.99\", \"MaxConnections\": \"many\"}]}}\n";

static int setup(void **state)
{
	int fd;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vd-test-cloud-XXXXXX");
	assert_non_null(mkdtemp(dir));
	/* the log lines go to a file the test reads */
	snprintf(logpath, sizeof(logpath), "%s.log", dir);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	close(fd);
	log_init(LOG_TARGET_STDERR, LOG_INFO);
	changed = 0;
	return 0;
}

static int teardown(void **state)
{
	char cmd[200];

	(void)state;
	/* stderr back, with what went to it meanwhile (a failure's message too) */
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	{
		char *lg = slurp(logpath);
		fputs(lg, stderr);
		free(lg);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", dir, logpath);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static struct config *conf(const char *text)
{
	struct config *c = NULL;
	struct vd_error err = {0};
	char path[128];

	snprintf(path, sizeof(path), "%s/vpndoctor.conf", dir);
	if (config_parse_string(path, text, &c, &err) != 0)
		fail_msg("%s:%u: %s", err.file, err.line, err.msg);
	return c;
}

/* A tunnel's facts whose client talks to addr. */
static cJSON *tunnel(const char *addr)
{
	cJSON *t = cJSON_CreateObject(), *ov = cJSON_AddObjectToObject(t, VDF_TUNNEL_OPENVPN);
	cJSON *rem = cJSON_AddObjectToObject(ov, VDF_OPENVPN_REMOTE);

	cJSON_AddStringToObject(t, VDF_TUNNEL_NAME, "t");
	cJSON_AddStringToObject(rem, VDF_OVPN_REMOTE_ADDR, addr);
	return t;
}

static const char *cloud_str(const cJSON *t, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t, VDF_TUNNEL_CLOUD), key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Changes are seen through inotify; root's 128 instances may all be taken by
 * something else on a shared machine (a daemon of 400 tunnels): then the
 * parts that need it are skipped, saying so. */
static bool inotify_free(void)
{
	int fd = inotify_init1(IN_CLOEXEC);

	if (fd < 0) {
		print_message("inotify: %s: change notifications not tested\n", strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

static void run_until(struct event_base *base, int *what, int want, int ms)
{
	for (int i = 0; i < ms / 20 && *what < want; i++) {
		struct timeval tv = {0, 20000};
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
}

static void test_directory(void **state)
{
	struct event_base *base = event_base_new();
	struct cloud *cl = NULL;
	struct config *c;
	char text[200], *lg;
	cJSON *t;

	(void)state;
	put("office.json", office);
	put("bad.json", bad);
	put("notes.txt", "not read: not *.json");
	snprintf(text, sizeof(text), "[Cloud]\nDirectory=%s\n", dir);
	c = conf(text);
	assert_int_equal(cloud_new(base, on_changed, NULL, &cl), 0);
	cloud_load(cl, c);
	assert_int_equal(cloud_files_used(cl), 1);
	assert_int_equal(changed, 0);

	/* one line for the refused file: its name, the answer and the field; no value */
	fflush(stderr);
	lg = slurp(logpath);
	snprintf(text, sizeof(text), "cloud facts: %s/bad.json: DescribeSslVpnServers answer, "
	         "SslVpnServers.SslVpnServer[0].MaxConnections: a whole number", dir);
	if (!strstr(lg, text))
		fail_msg("log: %s", lg);
	/* (the value "many" in no line of the file) */
	for (const char *l = strstr(lg, "bad.json"); l && *l != '\n'; l++)
		assert_false(strncmp(l, "many", 4) == 0);
	assert_null(strstr(lg, "notes.txt"));
	assert_non_null(strstr(lg, "cloud facts: 1 file in use"));
	free(lg);

	/* the tunnel of the address gets the server's facts, each saying where from */
	t = tunnel("203.0.113.7");
	assert_int_equal(cloud_apply(cl, NULL, t), 0);
	assert_string_equal(cloud_str(t, VDF_CLOUD_CLIENT_CIDR), "10.8.0.0/28");
	assert_string_equal(cloud_str(t, VDF_CLOUD_SSL_SERVER), "vss-office");
	assert_string_equal(cloud_str(t, VDF_CLOUD_REMOTE_HOST), "203.0.113.7");
	snprintf(text, sizeof(text), "%s/office.json", dir);
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(t, VDF_TUNNEL_CLOUD), VDF_CLOUD_FILES), 0)->valuestring, text);
	cJSON_Delete(t);
	/* another gateway: nothing */
	t = tunnel("198.51.100.20");
	assert_int_equal(cloud_apply(cl, NULL, t), 0);
	assert_null(cJSON_GetObjectItemCaseSensitive(t, VDF_TUNNEL_CLOUD));
	cJSON_Delete(t);

	if (!inotify_free()) {
		cloud_free(cl);
		config_free(c);
		event_base_free(base);
		skip();
	}
	/* a new file: read within moments, and the model told */
	put("branch.json", branch);
	run_until(base, &changed, 1, 3000);
	assert_int_equal(changed, 1);
	assert_int_equal(cloud_files_used(cl), 2);
	t = tunnel("198.51.100.20");
	assert_int_equal(cloud_apply(cl, NULL, t), 0);
	assert_string_equal(cloud_str(t, VDF_CLOUD_SSL_SERVER), "vss-branch");
	cJSON_Delete(t);

	/* the bad one mended: three files; a file of other names changes nothing */
	put("bad.json", branch);
	run_until(base, &changed, 2, 3000);
	assert_int_equal(cloud_files_used(cl), 3);
	put("notes.txt", "still not read");
	run_until(base, &changed, 3, 600);
	assert_int_equal(changed, 2);

	/* removed: gone from what applies */
	snprintf(text, sizeof(text), "%s/office.json", dir);
	assert_int_equal(unlink(text), 0);
	run_until(base, &changed, 3, 3000);
	assert_int_equal(cloud_files_used(cl), 2);
	t = tunnel("203.0.113.7");
	assert_int_equal(cloud_apply(cl, NULL, t), 0);
	assert_null(cJSON_GetObjectItemCaseSensitive(t, VDF_TUNNEL_CLOUD));
	cJSON_Delete(t);

	cloud_free(cl);
	config_free(c);
	event_base_free(base);
}

static void test_named(void **state)
{
	struct event_base *base = event_base_new();
	struct cloud *cl = NULL;
	struct config *c;
	char text[400];
	cJSON *t;

	(void)state;
	put("office.json", office);
	put("branch.json", branch);
	/* a: its own file (another directory's would do); b: none at all */
	snprintf(text, sizeof(text),
	         "[Cloud]\nDirectory=%s\n[Tunnel a]\nCloudFacts=branch.json\n[Tunnel b]\nCloudFacts=\n", dir);
	c = conf(text);
	assert_int_equal(cloud_new(base, on_changed, NULL, &cl), 0);
	cloud_load(cl, c);
	assert_int_equal(cloud_files_used(cl), 3);
	/* the named file's one server applies, whatever the address */
	snprintf(text, sizeof(text), "%s/branch.json", dir);
	t = tunnel("192.0.2.1");
	assert_int_equal(cloud_apply(cl, text, t), 0);
	assert_string_equal(cloud_str(t, VDF_CLOUD_SSL_SERVER), "vss-branch");
	assert_null(cloud_str(t, VDF_CLOUD_REMOTE_HOST));
	cJSON_Delete(t);
	/* and only it: not the directory's server of the address */
	t = tunnel("203.0.113.7");
	assert_int_equal(cloud_apply(cl, text, t), 0);
	assert_string_equal(cloud_str(t, VDF_CLOUD_SSL_SERVER), "vss-branch");
	cJSON_Delete(t);
	t = tunnel("203.0.113.7");
	assert_int_equal(cloud_apply(cl, "", t), 0);
	assert_null(cJSON_GetObjectItemCaseSensitive(t, VDF_TUNNEL_CLOUD));
	cJSON_Delete(t);
	/* keys written in [Tunnel] stay */
	t = tunnel("203.0.113.7");
	cJSON_AddItemToObject(t, VDF_TUNNEL_CLOUD, cJSON_Parse("{\"max_connections\": 4, \"origin\": "
	                                                       "{\"max_connections\": \"config\"}}"));
	assert_int_equal(cloud_apply(cl, NULL, t), 0);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t, VDF_TUNNEL_CLOUD),
	                                                  VDF_CLOUD_MAX_CONNECTIONS)->valuedouble, 4);
	assert_string_equal(cloud_str(t, VDF_CLOUD_CLIENT_CIDR), "10.8.0.0/28");
	cJSON_Delete(t);

	/* the named file changes: read again */
	if (!inotify_free()) {
		cloud_free(cl);
		config_free(c);
		event_base_free(base);
		skip();
	}
	put("branch.json", office);
	run_until(base, &changed, 1, 3000);
	assert_true(changed >= 1);
	snprintf(text, sizeof(text), "%s/branch.json", dir);
	t = tunnel("192.0.2.1");
	assert_int_equal(cloud_apply(cl, text, t), 0);
	assert_string_equal(cloud_str(t, VDF_CLOUD_SSL_SERVER), "vss-office");
	cJSON_Delete(t);
	cloud_free(cl);
	config_free(c);
	event_base_free(base);
}

/* What is not there, or not a file, is one line and nothing held. */
static void test_missing(void **state)
{
	struct event_base *base = event_base_new();
	struct cloud *cl = NULL;
	struct config *c;
	char text[400], *lg;

	(void)state;
	assert_int_equal(mkfifo("/tmp/vd-test-cloud-fifo.json", 0600) == 0 || errno == EEXIST, 1);
	snprintf(text, sizeof(text), "[Cloud]\nDirectory=%s/nope\n[Tunnel a]\nCloudFacts=/tmp/vd-test-cloud-fifo.json\n",
	         dir);
	c = conf(text);
	assert_int_equal(cloud_new(base, on_changed, NULL, &cl), 0);
	cloud_load(cl, c); /* a FIFO is not waited on */
	assert_int_equal(cloud_files_used(cl), 0);
	fflush(stderr);
	lg = slurp(logpath);
	if (!strstr(lg, "cloud facts: /tmp/vd-test-cloud-fifo.json: not a regular file; the file is not used") ||
	    !strstr(lg, "/nope: No such file or directory"))
		fail_msg("log: %s", lg);
	free(lg);
	unlink("/tmp/vd-test-cloud-fifo.json");
	cloud_free(cl);
	config_free(c);
	/* an empty directory: none in use, nothing said */
	snprintf(text, sizeof(text), "[Cloud]\nDirectory=%s\n", dir);
	c = conf(text);
	assert_int_equal(cloud_new(base, on_changed, NULL, &cl), 0);
	cloud_load(cl, c);
	assert_int_equal(cloud_files_used(cl), 0);
	cloud_free(cl);
	config_free(c);
	/* the default directory missing is no news */
	c = conf("");
	assert_int_equal(cloud_new(base, on_changed, NULL, &cl), 0);
	cloud_free(cl);
	config_free(c);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
