/* The gateway memory: what it notes and gives the rules, its bounds, the
 * file across restarts, and a state directory holding something else under
 * its name (a FIFO, a link, a huge or broken file): never blocked on, never
 * followed, started afresh.
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

#include "gwmemory.h"
#include "vpndoctor/facts.h"

static char dir[64];
static int dirfd_;

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vd-gwmem-XXXXXX");
	assert_non_null(mkdtemp(dir));
	dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dirfd_ >= 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	close(dirfd_);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static const cJSON *nets(const cJSON *sec)
{
	const cJSON *a = cJSON_GetObjectItem(sec, VDF_GATEWAY_MEMORY_UDP_ANSWERED);
	assert_true(cJSON_IsArray(a));
	return a;
}

static void test_note_section_and_file(void **state)
{
	struct gwmemory *g = NULL;
	cJSON *sec;
	struct stat st;
	char path[128];

	(void)state;
	assert_int_equal(gwmemory_open(dirfd_, &g), 0);
	/* nothing known yet: the section says so */
	sec = gwmemory_section(g, "203.0.113.7", 1194, "192.168.1.0/24 via 192.168.1.1", 1000);
	assert_string_equal(cJSON_GetObjectItem(sec, "status")->valuestring, "ok");
	assert_string_equal(cJSON_GetObjectItem(sec, VDF_GATEWAY_MEMORY_NETWORK)->valuestring,
	                    "192.168.1.0/24 via 192.168.1.1");
	assert_int_equal(cJSON_GetArraySize(nets(sec)), 0);
	cJSON_Delete(sec);

	/* a new network is news, the same again is not, until an hour later */
	assert_int_equal(gwmemory_note(g, "203.0.113.7", 1194, "192.168.1.0/24 via 192.168.1.1", 1000), 1);
	assert_int_equal(gwmemory_save(g), 0);
	assert_int_equal(gwmemory_note(g, "203.0.113.7", 1194, "192.168.1.0/24 via 192.168.1.1", 1100), 0);
	assert_int_equal(gwmemory_note(g, "203.0.113.7", 1194, "192.168.1.0/24 via 192.168.1.1", 1000 + 3600), 1);
	assert_int_equal(gwmemory_note(g, "203.0.113.7", 1194, "10.20.0.0/16 via 10.20.0.1", 5000), 1);
	assert_int_equal(gwmemory_note(g, "203.0.113.7", 1194, "not a network!", 5000), -EINVAL);
	assert_int_equal(gwmemory_note(g, "not-an-address", 1194, "10.20.0.0/16", 5000), -EINVAL);
	assert_int_equal(gwmemory_note(g, "203.0.113.7", 0, "10.20.0.0/16", 5000), -EINVAL);
	/* seen from a third network: both others listed, the latest first */
	sec = gwmemory_section(g, "203.0.113.7", 1194, NULL, 6000);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(sec, VDF_GATEWAY_MEMORY_NETWORK)));
	assert_int_equal(cJSON_GetArraySize(nets(sec)), 2);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(nets(sec), 0), "network")->valuestring,
	                    "10.20.0.0/16 via 10.20.0.1");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(nets(sec), 1), "last")->valuedouble, 4600);
	cJSON_Delete(sec);
	/* another port of the same host is another gateway */
	sec = gwmemory_section(g, "203.0.113.7", 443, NULL, 6000);
	assert_int_equal(cJSON_GetArraySize(nets(sec)), 0);
	cJSON_Delete(sec);
	gwmemory_free(g); /* saves */

	snprintf(path, sizeof(path), "%s/%s", dir, GWMEMORY_FILE);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_true(st.st_size < 1024);
	assert_int_equal(gwmemory_open(dirfd_, &g), 0);
	sec = gwmemory_section(g, "203.0.113.7", 1194, "192.168.1.0/24 via 192.168.1.1", 7000);
	assert_int_equal(cJSON_GetArraySize(nets(sec)), 2);
	cJSON_Delete(sec);
	/* what was written is not news again */
	assert_int_equal(gwmemory_note(g, "203.0.113.7", 1194, "10.20.0.0/16 via 10.20.0.1", 5001), 0);
	gwmemory_free(g);
}

static void test_bounds(void **state)
{
	struct gwmemory *g = NULL;
	char gw[32], net[64];
	cJSON *sec;
	struct stat st;
	char path[128];

	(void)state;
	assert_int_equal(gwmemory_open(dirfd_, &g), 0);
	for (int i = 0; i < 12; i++) {
		snprintf(net, sizeof(net), "10.%d.0.0/16 via 10.%d.0.1", i, i);
		assert_int_equal(gwmemory_note(g, "198.51.100.1", 1194, net, 100 + i), 1);
	}
	sec = gwmemory_section(g, "198.51.100.1", 1194, NULL, 200);
	assert_int_equal(cJSON_GetArraySize(nets(sec)), GWMEMORY_MAX_NETWORKS);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(nets(sec), 0), "network")->valuestring,
	                    "10.11.0.0/16 via 10.11.0.1");
	cJSON_Delete(sec);
	/* 70 gateways: the 6 that answered least recently are forgotten */
	for (int i = 0; i < 70; i++) {
		snprintf(gw, sizeof(gw), "198.51.100.%d", i + 10);
		assert_int_equal(gwmemory_note(g, gw, 1194, "192.168.1.0/24 via 192.168.1.1", 1000 + i), 1);
	}
	sec = gwmemory_section(g, "198.51.100.1", 1194, NULL, 2000);
	assert_int_equal(cJSON_GetArraySize(nets(sec)), 0);
	cJSON_Delete(sec);
	sec = gwmemory_section(g, "198.51.100.79", 1194, NULL, 2000);
	assert_int_equal(cJSON_GetArraySize(nets(sec)), 1);
	cJSON_Delete(sec);
	sec = gwmemory_section(g, "198.51.100.15", 1194, NULL, 2000);
	assert_int_equal(cJSON_GetArraySize(nets(sec)), 0);
	cJSON_Delete(sec);
	sec = gwmemory_section(g, "198.51.100.16", 1194, NULL, 2000);
	assert_int_equal(cJSON_GetArraySize(nets(sec)), 1);
	cJSON_Delete(sec);
	gwmemory_free(g);
	snprintf(path, sizeof(path), "%s/%s", dir, GWMEMORY_FILE);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size < GWMEMORY_MAX_BYTES);
	unlink(path);
}

/* Something else under its name: started afresh, never blocked, never followed. */
static void test_hostile_files(void **state)
{
	struct gwmemory *g = NULL;
	char path[128], target[128], big[GWMEMORY_MAX_BYTES + 16];
	cJSON *sec;
	struct stat st;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/%s", dir, GWMEMORY_FILE);
	/* a FIFO: open(2) would block; O_NONBLOCK and the type check refuse it */
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(gwmemory_open(dirfd_, &g), 0);
	gwmemory_free(g);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode)); /* replaced by a file of ours */
	unlink(path);

	/* a link to a file elsewhere: not followed, not written through */
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	f = fopen(target, "w");
	assert_non_null(f);
	fputs("{\"version\":1,\"gateways\":[{\"gateway\":\"203.0.113.9\",\"port\":1194,\"udp_answered\":"
	      "[{\"network\":\"10.0.0.0/8\",\"last\":5}]}]}",
	      f);
	fclose(f);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(gwmemory_open(dirfd_, &g), 0);
	sec = gwmemory_section(g, "203.0.113.9", 1194, NULL, 10);
	assert_int_equal(cJSON_GetArraySize(nets(sec)), 0);
	cJSON_Delete(sec);
	assert_int_equal(gwmemory_note(g, "203.0.113.9", 1194, "10.1.0.0/16", 20), 1);
	gwmemory_free(g);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	f = fopen(target, "r");
	assert_non_null(f);
	assert_non_null(fgets(big, sizeof(big), f));
	fclose(f);
	assert_non_null(strstr(big, "10.0.0.0/8")); /* untouched */
	unlink(path);

	/* too large, or not JSON, or with malformed entries among good ones */
	memset(big, ' ', sizeof(big));
	f = fopen(path, "w");
	assert_non_null(f);
	fwrite(big, 1, sizeof(big), f);
	fclose(f);
	assert_int_equal(gwmemory_open(dirfd_, &g), 0);
	gwmemory_free(g);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size < 100);

	f = fopen(path, "w");
	fputs("{\"version\":1,\"gateways\":[{\"gateway\":\"203.0.113.9\",\"port\":1194,\"udp_answered\":"
	      "[{\"network\":\"10.0.0.0/8\",\"last\":5},{\"network\":\"\\u001b[31m\",\"last\":6},"
	      "{\"network\":\"10.2.0.0/16\",\"last\":1.5}]},{\"gateway\":\"x\",\"port\":1,\"udp_answered\":[]},"
	      "{\"gateway\":\"203.0.113.10\",\"port\":70000}]}",
	      f);
	fclose(f);
	assert_int_equal(gwmemory_open(dirfd_, &g), 0);
	sec = gwmemory_section(g, "203.0.113.9", 1194, NULL, 10);
	assert_int_equal(cJSON_GetArraySize(nets(sec)), 1);
	cJSON_Delete(sec);
	gwmemory_free(g);
	f = fopen(path, "w");
	fputs("not json", f);
	fclose(f);
	assert_int_equal(gwmemory_open(dirfd_, &g), 0);
	gwmemory_free(g);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_note_section_and_file),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_hostile_files),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
