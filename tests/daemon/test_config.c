/* vpndoctor.conf: defaults, a full good file, and every kind of error with
 * the FILE:LINE it must name.
 * vd-tier: check (no root, no namespace) */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include <sys/stat.h>
#include <syslog.h>

#include "config.h"
#include "probes/probe.h"
#include "vpndoctor/confdump.h"

static void test_defaults(void **state)
{
	struct config *c = NULL;
	struct vd_error err = {0};
	const struct config_probe *p;

	assert_int_equal(config_parse_string("/etc/t.conf", "", &c, &err), 0);
	assert_null(c->socket);
	assert_null(c->state_dir);
	assert_int_equal(c->log_level, -1);
	assert_int_equal(c->max_concurrent, CONFIG_DEFAULT_MAX_CONCURRENT);
	assert_int_equal(c->ntp_servers.n, 3);
	assert_string_equal(c->ntp_servers.v[0], "ntp.aliyun.com");
	assert_string_equal(c->ntp_servers.v[1], "ntp1.aliyun.com");
	assert_string_equal(c->ntp_servers.v[2], "pool.ntp.org");
	p = config_probe(c, "profile");
	assert_non_null(p);
	assert_int_equal(p->interval_s, 300);
	assert_true(p->enabled);
	assert_int_equal(c->n_tunnels, 0);
	config_free(c);

	/* config_new_default is the same thing */
	assert_int_equal(config_new_default(&c), 0);
	assert_int_equal(c->max_concurrent, CONFIG_DEFAULT_MAX_CONCURRENT);
	assert_null(c->path);
	config_free(c);
}

static const char good[] =
	"# a comment\n"
	"; another\n"
	"[Daemon]\n"
	"Socket=/run/x/io.vpndoctor\n"
	"StateDir = /var/lib/x\n"
	"LogLevel=debug\n"
	"MaxConcurrentProbes=2\n"
	"\n"
	"[Clock]\n"
	"NTPServers=ntp.example.com, 192.0.2.1 2001:db8::1\n"
	"\n"
	"[Profile]\n"
	"Interval=5min\n"
	"Enabled=no\n"
	"\n"
	"[Tunnel office]\n"
	"Config=/etc/openvpn/client/office.conf\n"
	"Management=127.0.0.1:7505\n"
	"Targets=172.16.1.20, 172.16.1.21\n"
	"Targets=172.16.2.1\n"
	"Names=db.vpc.internal\n"
	"ClientCIDR=10.8.0.0/24\n"
	"LocalNetworks=172.16.0.0/16 192.168.10.0/24\n"
	"MaxConnections=60\n"
	"BandwidthMbps=10\n"
	"CreatedOn=2020-11-02\n"
	"IPsecRoutes=192.168.0.0/16\n"
	"\n"
	"[Tunnel home]\n"
	"Config=home.ovpn\n"
	"Management=/run/openvpn/home.sock\n";

static void test_good(void **state)
{
	struct config *c = NULL;
	struct vd_error err = {0};
	const struct config_tunnel *t;
	cJSON *cloud, *expect;

	assert_int_equal(config_parse_string("/etc/vpndoctor/vpndoctor.conf", good, &c, &err), 0);
	assert_string_equal(c->path, "/etc/vpndoctor/vpndoctor.conf");
	assert_string_equal(c->socket, "/run/x/io.vpndoctor");
	assert_string_equal(c->state_dir, "/var/lib/x");
	assert_int_equal(c->log_level, 7);
	assert_int_equal(c->max_concurrent, 2);
	assert_int_equal(c->ntp_servers.n, 3);
	assert_string_equal(c->ntp_servers.v[2], "2001:db8::1");
	assert_int_equal(config_probe(c, "profile")->interval_s, 300);
	assert_false(config_probe(c, "profile")->enabled);
	assert_int_equal(c->n_tunnels, 2);

	t = config_tunnel_find(c, "office");
	assert_non_null(t);
	assert_int_equal(t->line, 16);
	assert_string_equal(t->config, "/etc/openvpn/client/office.conf");
	assert_string_equal(t->management, "127.0.0.1:7505");
	assert_int_equal(t->targets.n, 3); /* a repeated list key appends */
	assert_string_equal(t->targets.v[2], "172.16.2.1");
	assert_int_equal(t->names.n, 1);
	assert_int_equal(t->max_connections, 60);
	assert_int_equal(t->bandwidth_mbps, 10);
	assert_int_equal(t->created_on_t, 1604275200);

	cloud = config_tunnel_cloud(t);
	expect = cJSON_Parse("{\"client_cidr\":\"10.8.0.0/24\",\"local_networks\":[\"172.16.0.0/16\","
	                     "\"192.168.10.0/24\"],\"max_connections\":60,\"bandwidth_mbps\":10,"
	                     "\"created_on\":\"2020-11-02\",\"ipsec_routes\":[\"192.168.0.0/16\"],\"origin\":{\"client_cidr\":"
	                     "\"config\",\"local_networks\":\"config\",\"max_connections\":\"config\",\"bandwidth_mbps\":"
	                     "\"config\",\"created_on\":\"config\",\"ipsec_routes\":\"config\"}}");
	assert_true(cJSON_Compare(cloud, expect, true));
	cJSON_Delete(cloud);
	cJSON_Delete(expect);

	t = config_tunnel_find(c, "home");
	assert_non_null(t);
	/* relative paths are taken from the configuration file's directory */
	assert_string_equal(t->config, "/etc/vpndoctor/home.ovpn");
	assert_null(config_tunnel_cloud(t)); /* no cloud keys, no section */
	assert_null(config_tunnel_find(c, "nope"));
	config_free(c);
}

static void test_list_reset(void **state)
{
	struct config *c = NULL;
	struct vd_error err = {0};

	/* a UTF-8 byte order mark before the first section */
	assert_int_equal(config_parse_string("t.conf", "\xEF\xBB\xBF[Daemon]\nMaxConcurrentProbes=3\n", &c, &err), 0);
	assert_int_equal(c->max_concurrent, 3);
	config_free(c);

	/* a continuation line adds to the list */
	assert_int_equal(config_parse_string("t.conf", "[Tunnel a]\nTargets=10.0.0.1\n  10.0.0.2, 10.0.0.3\n", &c, &err), 0);
	assert_int_equal(c->tunnels[0].targets.n, 3);
	config_free(c);

	assert_int_equal(config_parse_string("t.conf", "[Clock]\nNTPServers=\nNTPServers=a.example\n", &c, &err), 0);
	assert_int_equal(c->ntp_servers.n, 1);
	assert_string_equal(c->ntp_servers.v[0], "a.example");
	config_free(c);
	assert_int_equal(config_parse_string("t.conf", "[Clock]\nNTPServers=\n", &c, &err), 0);
	assert_int_equal(c->ntp_servers.n, 0);
	config_free(c);
}

struct bad {
	const char *text;
	unsigned line;
	const char *msg; /* a part of the message */
};

static const struct bad bad[] = {
	{"[Daemon]\nSocket=/a\n[Bogus]\n", 3, "unknown section [Bogus]"},
	{"[Daemon]\n[Nope]", 2, "unknown section [Nope]"},
	{"Socket=/a\n", 1, "outside of a section"},
	{"[Daemon]\nSockett=/a\n", 2, "unknown key Sockett= in [Daemon]"},
	{"[Daemon]\nSocket=relative\n", 2, "Socket=: an absolute path"},
	{"[Daemon]\nStateDir=var\n", 2, "StateDir="},
	{"[Daemon]\nLogLevel=loud\n", 2, "LogLevel=: 'loud'"},
	{"[Daemon]\nMaxConcurrentProbes=0\n", 2, "MaxConcurrentProbes=: '0'"},
	{"[Daemon]\nMaxConcurrentProbes=65\n", 2, "from 1 to 64"},
	{"[Daemon]\nMaxConcurrentProbes=4x\n", 2, "MaxConcurrentProbes="},
	{"[Daemon]\nSocket=/a\nSocket=/b\n", 3, "Socket= is set twice"},
	{"[Clock]\nNTPServers=ok.example bad!host\n", 2, "'bad!host'"},
	{"[Profile]\nInterval=0s\n", 2, "Interval=: '0s' is not a duration from 1s"},
	{"[Profile]\nInterval=5 parsecs\n", 2, "Interval="},
	{"[Profile]\nInterval=2d\n", 2, "Interval="},
	{"[Profile]\nEnabled=maybe\n", 2, "Enabled=: 'maybe' is not a boolean"},
	{"[Tunnel a]\n\n[Tunnel a]\n", 3, "tunnel 'a' is already defined on line 1"},
	{"[Tunnel ]\n", 1, "tunnel name"},
	{"[Tunnel a/b]\n", 1, "tunnel name"},
	{"[Tunnel a]\nConfig=\n", 2, "Config=: a path"},
	{"[Tunnel a]\nManagement=localhost\n", 2, "Management="},
	{"[Tunnel a]\nManagement=127.0.0.1:70000\n", 2, "Management="},
	{"[Tunnel a]\nTargets=10.0.0.1 db.example\n", 2, "Targets=: 'db.example'"},
	{"[Tunnel a]\nNames=ok.example no_thing?\n", 2, "Names="},
	{"[Tunnel a]\nClientCIDR=10.8.0.1/24\n", 2, "ClientCIDR=: '10.8.0.1/24'"},
	{"[Tunnel a]\nClientCIDR=10.8.0.0/33\n", 2, "ClientCIDR="},
	{"[Tunnel a]\nLocalNetworks=172.16.0.0/16, 300.1.0.0/16\n", 2, "LocalNetworks=: '300.1.0.0/16'"},
	{"[Tunnel a]\nIPsecRoutes=fd00::/8 nonsense\n", 2, "IPsecRoutes=: 'nonsense'"},
	{"[Tunnel a]\nMaxConnections=-1\n", 2, "MaxConnections="},
	{"[Tunnel a]\nBandwidthMbps=0\n", 2, "BandwidthMbps="},
	{"[Tunnel a]\nCreatedOn=2020-02-30\n", 2, "CreatedOn=: '2020-02-30'"},
	{"[Tunnel a]\nConfig=/x\nthis line has no equals sign\n", 3, "syntax error"},
	{"[Daemon\nSocket=/a\n", 1, "without ']'"},
	{"[Daemon] junk\n", 1, "text after the section header"},
};

static void test_errors(void **state)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config *c = NULL;
		struct vd_error err = {0};
		char buf[600];
		int r = config_parse_string("/etc/t.conf", bad[i].text, &c, &err);

		if (r != -EINVAL || err.line != bad[i].line || !strstr(err.msg, bad[i].msg))
			fail_msg("case %zu (%s): r=%d line=%u msg=%s", i, bad[i].text, r, err.line, err.msg);
		assert_null(c);
		config_error_string(&err, buf, sizeof(buf));
		assert_true(strncmp(buf, "/etc/t.conf:", 12) == 0);
	}
}

/* Every probe's Interval= and Enabled= in its section, even one that has keys
 * of its own ([Clock]). */
static void test_probe_sections(void **state)
{
	for (unsigned i = 0; i < probes_n; i++) {
		const char *cs = probes_all[i]->config_section;
		struct config *c = NULL;
		struct vd_error err = {0};
		char text[200];

		assert_non_null(cs);
		snprintf(text, sizeof(text), "[%s]\nInterval=10min\nEnabled=off\n", cs);
		if (config_parse_string("t.conf", text, &c, &err) != 0)
			fail_msg("[%s]: %u: %s", cs, err.line, err.msg);
		assert_int_equal(config_probe(c, probes_all[i]->name)->interval_s, 600);
		assert_false(config_probe(c, probes_all[i]->name)->enabled);
		config_free(c);
		snprintf(text, sizeof(text), "[%s]\nEnabled=on\nEnabled=off\n", cs);
		assert_int_equal(config_parse_string("t.conf", text, &c, &err), -EINVAL);
		assert_int_equal(err.line, 3);
	}
}

static void test_long_line(void **state)
{
	char text[1024];
	struct config *c = NULL;
	struct vd_error err = {0};

	memset(text, 'a', sizeof(text));
	memcpy(text, "[Daemon]\nSocket=/", 17);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(config_parse_string("t.conf", text, &c, &err), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "line too long"));
}

/* The shipped example must parse, and with every key commented out it must be
 * the defaults. */
static void test_shipped_example(void **state)
{
	char path[512], *text, *p;
	const char *src = getenv("VD_SRC");
	struct config *c = NULL;
	struct vd_error err = {0};
	FILE *f;
	long n;

	if (src)
		snprintf(path, sizeof(path), "%s/packaging/vpndoctor.conf", src);
	else {
		snprintf(path, sizeof(path), "%s", __FILE__);
		p = strstr(path, "/tests/daemon/");
		assert_non_null(p);
		snprintf(p, sizeof(path) - (size_t)(p - path), "/packaging/vpndoctor.conf");
	}
	assert_int_equal(config_load(path, &c, &err), 0);
	assert_int_equal(c->n_tunnels, 0);
	assert_int_equal(c->max_concurrent, CONFIG_DEFAULT_MAX_CONCURRENT);
	config_free(c);

	/* uncommented, each key is valid too */
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n * 2 + 1);
	assert_non_null(text);
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' && line[1] != ' ' && line[1] != '\n')
			strcat(text, line + 1);
		else
			strcat(text, line);
	}
	fclose(f);
	if (config_parse_string(path, text, &c, &err) != 0)
		fail_msg("uncommented example: %s:%u: %s", err.file, err.line, err.msg);
	assert_int_equal(c->n_tunnels, 1);
	assert_string_equal(c->socket, "/run/vpndoctor/io.vpndoctor");
	assert_int_equal(c->ntp_servers.n, 3);
	assert_int_equal(config_probe(c, "profile")->interval_s, probes_all[0]->interval_s);
	config_free(c);
	free(text);
}

static void test_files(void **state)
{
	char dir[] = "/tmp/vd-test-config-XXXXXX", path[256], buf[600];
	struct config *c = NULL;
	struct vd_error err = {0};
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	/* a named file that is missing is an error */
	assert_int_equal(config_load(path, &c, &err), -ENOENT);
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(config_error_string(&err, buf, sizeof(buf)), "missing.conf: cannot open"));

	snprintf(path, sizeof(path), "%s/vpndoctor.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[Tunnel t]\nConfig=t.ovpn\n\n[Profile]\nInterval=1h\n", f);
	fclose(f);
	assert_int_equal(config_load(path, &c, &err), 0);
	char expect[300];
	snprintf(expect, sizeof(expect), "%s/t.ovpn", dir);
	assert_string_equal(c->tunnels[0].config, expect);
	assert_int_equal(config_probe(c, "profile")->interval_s, 3600);
	config_free(c);
	c = NULL;

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[Tunnel t]\nConfig=t.ovpn\n\n[Profile]\nInterval=forever\n", f);
	fclose(f);
	assert_int_equal(config_load(path, &c, &err), -EINVAL);
	snprintf(expect, sizeof(expect), "%s:5: Interval=: 'forever'", path);
	assert_true(strncmp(config_error_string(&err, buf, sizeof(buf)), expect, strlen(expect)) == 0);

	/* a directory is not a configuration file */
	assert_true(config_load(dir, &c, &err) < 0);
	unlink(path);
	rmdir(dir);
}

/* The default directory is the systemd service's only: a daemon started by
 * hand (every test) must not write into node_exporter's directory. */
static void test_metrics_dir(void **state)
{
	struct config *c = NULL;
	struct vd_error err = {0};

	unsetenv("INVOCATION_ID");
	assert_int_equal(config_parse_string("t", "", &c, &err), 0);
	assert_null(config_metrics_dir(c));
	config_free(c);
	assert_int_equal(config_parse_string("t", "[Metrics]\nTextfileDirectory=/tmp/x\n", &c, &err), 0);
	assert_string_equal(config_metrics_dir(c), "/tmp/x");
	config_free(c);
	setenv("INVOCATION_ID", "0123", 1);
	assert_int_equal(config_parse_string("t", "[Metrics]\nTextfileDirectory=\n", &c, &err), 0);
	assert_null(config_metrics_dir(c)); /* empty: off even under systemd */
	config_free(c);
	unsetenv("INVOCATION_ID");
	assert_int_equal(config_parse_string("t", "[Metrics]\nTextfileDirectory=relative\n", &c, &err), -EINVAL);
	assert_string_equal(err.msg, "TextfileDirectory=: an absolute path is needed (or nothing, to write no metrics)");
}

static void test_cloud_keys(void **state)
{
	struct config *c = NULL;
	struct vd_error err = {0};

	assert_int_equal(config_parse_string("/etc/vpndoctor/vpndoctor.conf", "", &c, &err), 0);
	assert_string_equal(config_cloud_dir(c), "/etc/vpndoctor/cloud.d");
	config_free(c);
	assert_int_equal(config_parse_string("/etc/vpndoctor/vpndoctor.conf",
	                                     "[Cloud]\nDirectory=/srv/cloud\n[Tunnel a]\nCloudFacts=a.json\n"
	                                     "[Tunnel b]\nCloudFacts=\n[Tunnel c]\nConfig=/c.conf\n",
	                                     &c, &err), 0);
	assert_string_equal(config_cloud_dir(c), "/srv/cloud");
	/* relative to the file's directory; empty is none; unset is the directory's */
	assert_string_equal(config_tunnel_find(c, "a")->cloud_facts, "/etc/vpndoctor/a.json");
	assert_string_equal(config_tunnel_find(c, "b")->cloud_facts, "");
	assert_null(config_tunnel_find(c, "c")->cloud_facts);
	config_free(c);
	assert_int_equal(config_parse_string("t", "[Cloud]\nDirectory=\n", &c, &err), 0);
	assert_null(config_cloud_dir(c)); /* empty: off */
	config_free(c);
	assert_int_equal(config_parse_string("t", "[Cloud]\nDirectory=cloud.d\n", &c, &err), -EINVAL);
	assert_string_equal(err.msg,
	                    "Directory=: an absolute path is needed (or nothing, to read no cloud facts directory)");
	assert_int_equal(err.line, 2);
	assert_int_equal(config_parse_string("t", "[Cloud]\nDirectry=/x\n", &c, &err), -EINVAL);
	assert_int_equal(err.line, 2);
}

/* ---- drop-ins ---- */

static char dir[64];

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int dropin_setup(void **state)
{
	char path[128];

	snprintf(dir, sizeof(dir), "/tmp/vd-test-config.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/v.conf.d", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	return 0;
}

static int dropin_teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static const struct config_origin *origin(const struct config *c, const char *section, const char *key)
{
	for (size_t i = 0; i < c->n_origins; i++)
		if (strcmp(c->origins[i].section, section) == 0 && strcmp(c->origins[i].key, key) == 0)
			return &c->origins[i];
	return NULL;
}

/* Lexical order whatever the directory's order; later wins for a scalar, a
 * list appends (and an empty value empties it), a tunnel is merged by name,
 * files that are not *.conf or start with '.' are not read. */
static void test_dropin_merge(void **state)
{
	struct config *c = NULL;
	struct vd_error err = {0};
	const struct config_tunnel *t;
	const struct config_origin *o;
	char main_path[128], buf[256];

	snprintf(main_path, sizeof(main_path), "%s/v.conf", dir);
	put("v.conf", "[Daemon]\nLogLevel=notice\nMaxConcurrentProbes=2\n"
	              "[Clock]\nNTPServers=192.0.2.1\n"
	              "[Tunnel office]\nConfig=office.ovpn\nTargets=172.16.1.1\nBandwidthMbps=10\n");
	/* written in the reverse of the order they must be read in */
	put("v.conf.d/90-late.conf", "[Daemon]\nLogLevel=debug\n[Tunnel office]\nBandwidthMbps=100\n");
	put("v.conf.d/10-early.conf", "[Daemon]\nLogLevel=warning\nMaxConcurrentProbes=3\n"
	                              "[Clock]\nNTPServers=192.0.2.2\n"
	                              "[Tunnel \"office\"]\nTargets=172.16.1.2\n"
	                              "[Tunnel home]\nTargets=10.1.1.1\n"
	                              "[Metrics]\nTextfileDirectory=/tmp/prom\n");
	put("v.conf.d/50-reset.conf", "[Tunnel office]\nTargets=\nTargets=172.16.9.9\n");
	put("v.conf.d/99-ignored.conf.dpkg-old", "[Daemon]\nLogLevel=err\n");
	put("v.conf.d/.hidden.conf", "[Daemon]\nLogLevel=err\n");
	put("v.conf.d/README", "not a drop-in\n");

	assert_int_equal(config_load(main_path, &c, &err), 0);
	assert_string_equal(c->path, main_path);
	assert_int_equal(c->n_files, 4);
	assert_string_equal(c->files[0], main_path);
	assert_non_null(strstr(c->files[1], "/10-early.conf"));
	assert_non_null(strstr(c->files[2], "/50-reset.conf"));
	assert_non_null(strstr(c->files[3], "/90-late.conf"));
	assert_int_equal(c->log_level, LOG_DEBUG);
	assert_int_equal(c->max_concurrent, 3);
	assert_int_equal(c->ntp_servers.n, 2);
	assert_string_equal(c->ntp_servers.v[1], "192.0.2.2");
	assert_string_equal(c->metrics_dir, "/tmp/prom");
	assert_int_equal(c->n_tunnels, 2);
	t = config_tunnel_find(c, "office");
	assert_non_null(t);
	assert_int_equal(t->bandwidth_mbps, 100);
	assert_int_equal(t->targets.n, 1);
	assert_string_equal(t->targets.v[0], "172.16.9.9");
	snprintf(buf, sizeof(buf), "%s/office.ovpn", dir);
	assert_string_equal(t->config, buf);
	assert_non_null(config_tunnel_find(c, "home"));

	o = origin(c, "Daemon", "LogLevel");
	assert_non_null(o);
	assert_string_equal(o->value, "debug");
	snprintf(buf, sizeof(buf), "%s/v.conf.d/90-late.conf:2", dir);
	assert_string_equal(o->origin, buf);
	o = origin(c, "Clock", "NTPServers");
	assert_string_equal(o->value, "192.0.2.1 192.0.2.2");
	snprintf(buf, sizeof(buf), "%s/v.conf:5, %s/v.conf.d/10-early.conf:5", dir, dir);
	assert_string_equal(o->origin, buf);
	o = origin(c, "Tunnel office", "Targets");
	assert_string_equal(o->value, "172.16.9.9");
	o = origin(c, "Tunnel office", "Config");
	snprintf(buf, sizeof(buf), "%s/office.ovpn", dir);
	assert_string_equal(o->value, buf);
	assert_null(origin(c, "Daemon", "Socket"));

	/* the dump: every key, set or not, and the rendered text says where */
	cJSON *d = config_dump(c);
	char *text = NULL;
	assert_non_null(d);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(d, "files")), 4);
	assert_int_equal(vd_confdump_text(d, &text), 0);
	snprintf(buf, sizeof(buf), "# %s/v.conf.d/90-late.conf:2\nLogLevel=debug\n", dir);
	assert_non_null(strstr(text, buf));
	assert_non_null(strstr(text, "#Discover=auto\n"));
	assert_non_null(strstr(text, "\n[Tunnel home]\n"));
	snprintf(buf, sizeof(buf), "# %s/v.conf.d/90-late.conf:4\nBandwidthMbps=100\n", dir);
	assert_non_null(strstr(text, buf));
	free(text);
	cJSON_Delete(d);
	config_free(c);

	/* the dump's text is itself a configuration that loads to the same values */
	{
		struct config *c2 = NULL;
		assert_int_equal(config_load(main_path, &c, &err), 0);
		d = config_dump(c);
		assert_int_equal(vd_confdump_text(d, &text), 0);
		assert_int_equal(config_parse_string("dump", text, &c2, &err), 0);
		assert_int_equal(c2->log_level, LOG_DEBUG);
		assert_int_equal(config_tunnel_find(c2, "office")->bandwidth_mbps, 100);
		assert_int_equal(c2->ntp_servers.n, 2);
		free(text);
		cJSON_Delete(d);
		config_free(c2);
		config_free(c);
	}
}

/* A broken drop-in fails the whole load and its message names that file and
 * line; a tunnel defined twice in one drop-in is still an error. */
static void test_dropin_errors(void **state)
{
	struct config *c = NULL;
	struct vd_error err = {0};
	char main_path[128], msg[600], want[300];

	snprintf(main_path, sizeof(main_path), "%s/v.conf", dir);
	put("v.conf", "[Daemon]\nLogLevel=notice\n");
	put("v.conf.d/20-bad.conf", "[Daemon]\n\nMaxConcurrentProbes=999\n");
	assert_int_equal(config_load(main_path, &c, &err), -EINVAL);
	assert_null(c);
	snprintf(want, sizeof(want), "%s/v.conf.d/20-bad.conf:3: MaxConcurrentProbes=: '999' is not a number from 1 to 64", dir);
	assert_string_equal(config_error_string(&err, msg, sizeof(msg)), want);

	put("v.conf.d/20-bad.conf", "[Tunnel a]\nTargets=10.0.0.1\n[Tunnel a]\n");
	memset(&err, 0, sizeof(err));
	assert_int_equal(config_load(main_path, &c, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s/v.conf.d/20-bad.conf:3: tunnel 'a' is already defined on line 1", dir);
	assert_string_equal(config_error_string(&err, msg, sizeof(msg)), want);

	/* a directory named like a drop-in is not a file to read */
	snprintf(want, sizeof(want), "%s/v.conf.d/20-bad.conf", dir);
	assert_int_equal(unlink(want), 0);
	snprintf(want, sizeof(want), "%s/v.conf.d/30-dir.conf", dir);
	assert_int_equal(mkdir(want, 0755), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(config_load(main_path, &c, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s/v.conf.d/30-dir.conf: not a regular file of at most 1048576 bytes", dir);
	assert_string_equal(config_error_string(&err, msg, sizeof(msg)), want);
	snprintf(want, sizeof(want), "%s/v.conf.d/30-dir.conf", dir);
	assert_int_equal(rmdir(want), 0);

	/* with the main file named but missing, nothing is read */
	assert_int_equal(unlink(main_path), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(config_load(main_path, &c, &err), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults), cmocka_unit_test(test_good),
		cmocka_unit_test(test_list_reset), cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_line), cmocka_unit_test(test_files),
		cmocka_unit_test(test_shipped_example), cmocka_unit_test(test_probe_sections),
		cmocka_unit_test(test_metrics_dir), cmocka_unit_test(test_cloud_keys),
		cmocka_unit_test_setup_teardown(test_dropin_merge, dropin_setup, dropin_teardown),
		cmocka_unit_test_setup_teardown(test_dropin_errors, dropin_setup, dropin_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
