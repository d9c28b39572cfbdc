/* lib/cloudfacts.c: the VPN Gateway API's answers as the vendor's CLI prints
 * them (tests/data/cloud/: real-shaped, tab-indented as `aliyun` indents),
 * matched to a tunnel and written as its "cloud" facts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "vpndoctor/cloudfacts.h"
#include "vpndoctor/facts.h"

static char *slurp(const char *name, size_t *len)
{
	const char *dir = getenv("VD_TESTDATA");
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/cloud/%s", dir ? dir : "tests/data", name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void load(const char *name, struct vd_cloud_set *s)
{
	struct vd_cloud_error err;
	size_t len;
	char *text = slurp(name, &len);
	char buf[300];
	int r = vd_cloud_parse(text, len, s, &err);

	if (r != 0)
		print_error("%s: %s\n", name, vd_cloud_error_format(&err, buf, sizeof(buf)));
	assert_int_equal(r, 0);
	free(text);
}

/* The error a text gets, formatted. */
static int refuse(const char *text, char *buf, size_t len)
{
	struct vd_cloud_set s;
	struct vd_cloud_error err;
	int r = vd_cloud_parse(text, strlen(text), &s, &err);

	assert_true(r < 0);
	assert_int_equal(s.n_servers + s.n_gateways + s.n_routes, 0);
	vd_cloud_error_format(&err, buf, len);
	return r;
}

static void test_ssl_servers(void **state)
{
	struct vd_cloud_set s;
	const struct vd_cloud_server *sv;

	(void)state;
	load("ssl-servers.json", &s);
	assert_int_equal(s.n_servers, 1);
	assert_int_equal(s.n_gateways, 0);
	assert_false(s.partial);
	sv = &s.servers[0];
	assert_string_equal(sv->id, "vss-bp15j3du13gq1dgey0a1b");
	assert_string_equal(sv->gateway_id, "vpn-bp1on0xae9d771ggi0a1b");
	assert_string_equal(sv->name, "office");
	assert_string_equal(sv->internet_ip, "203.0.113.7");
	assert_string_equal(sv->client_ip_pool, "10.8.0.0/28");
	assert_int_equal(sv->n_local_subnets, 2);
	assert_string_equal(sv->local_subnets[0], "172.16.0.0/16");
	assert_string_equal(sv->local_subnets[1], "192.168.10.0/24");
	assert_string_equal(sv->proto, "udp");
	assert_int_equal(sv->port, 1194);
	assert_string_equal(sv->cipher, "AES-128-CBC");
	assert_int_equal(sv->compress, 0);
	assert_int_equal(sv->connections, 2);
	assert_int_equal(sv->max_connections, 10);
	assert_int_equal(sv->create_time_ms, INT64_C(1613800884000));
	vd_cloud_set_free(&s);
}

/* --pager prints the merged list alone, without the page fields. */
static void test_pager(void **state)
{
	struct vd_cloud_set s;

	(void)state;
	load("ssl-servers-pager.json", &s);
	assert_int_equal(s.n_servers, 2);
	assert_string_equal(s.servers[1].proto, "tcp");
	assert_int_equal(s.servers[1].port, 443);
	assert_int_equal(s.servers[1].connections, 50);
	vd_cloud_set_free(&s);
}

static void test_gateways(void **state)
{
	struct vd_cloud_set s;
	const struct vd_cloud_gateway *g;

	(void)state;
	load("gateways.json", &s);
	assert_int_equal(s.n_gateways, 1);
	g = &s.gateways[0];
	assert_string_equal(g->id, "vpn-bp1on0xae9d771ggi0a1b");
	assert_string_equal(g->internet_ip, "203.0.113.7");
	assert_string_equal(g->ssl_internet_ip, "");
	assert_int_equal(g->spec_mbps, 5);         /* "5M" */
	assert_int_equal(g->ssl_max_connections, 10);
	assert_int_equal(g->create_time_ms, INT64_C(1597910400000));
	assert_int_equal(g->upgraded, 0);          /* Tag: VpnNewImage "false" */
	assert_int_equal(g->ssl_vpn, 1);
	vd_cloud_set_free(&s);

	/* DescribeVpnGateway: one gateway at the top, Spec "10" */
	load("gateway.json", &s);
	assert_int_equal(s.n_gateways, 1);
	assert_int_equal(s.gateways[0].spec_mbps, 10);
	assert_int_equal(s.gateways[0].upgraded, 1);
	vd_cloud_set_free(&s);
}

static void test_routes(void **state)
{
	struct vd_cloud_set s;

	(void)state;
	load("routes.json", &s);
	assert_int_equal(s.n_routes, 3);
	assert_string_equal(s.routes[0].dest, "10.8.0.0/24");
	assert_string_equal(s.routes[0].type, "custom");
	assert_string_equal(s.routes[0].next_hop, "vco-bp1tui07ob10fmuro0a1b");
	assert_string_equal(s.routes[2].type, "system");
	assert_false(s.routes[0].policy);
	vd_cloud_set_free(&s);
	load("pbr-routes.json", &s);
	assert_int_equal(s.n_routes, 1);
	assert_true(s.routes[0].policy);
	assert_string_equal(s.routes[0].source_cidr, "172.16.0.0/16");
	assert_string_equal(s.routes[0].dest, "10.8.0.8/29");
	vd_cloud_set_free(&s);
}

/* `{ aliyun ...; aliyun ...; aliyun ...; } > office.json`: three answers. */
static void test_several_answers(void **state)
{
	struct vd_cloud_set s;

	(void)state;
	load("office.json", &s);
	assert_int_equal(s.n_servers, 1);
	assert_int_equal(s.n_gateways, 1);
	assert_int_equal(s.n_routes, 3);
	vd_cloud_set_free(&s);
}

static void test_forms(void **state)
{
	/* a byte order mark, CRLF, numbers as strings of digits, nulls as absent */
	static const char bom[] = "\xEF\xBB\xBF{\r\n\"SslVpnServers\": {\"SslVpnServer\": [{\"MaxConnections\": \"5\","
	                          " \"Port\": null, \"Proto\": \"tcp\", \"Compress\": \"true\"}]}}\r\n";
	static const char empty[] = "{\"SslVpnServers\": {\"SslVpnServer\": []}, \"TotalCount\": 0}";
	struct vd_cloud_set s;

	(void)state;
	assert_int_equal(vd_cloud_parse(bom, strlen(bom), &s, NULL), 0);
	assert_int_equal(s.n_servers, 1);
	assert_int_equal(s.servers[0].max_connections, 5);
	assert_int_equal(s.servers[0].port, -1);
	assert_int_equal(s.servers[0].connections, -1);
	assert_int_equal(s.servers[0].compress, 1);
	assert_false(s.servers[0].has_local_subnet);
	vd_cloud_set_free(&s);
	/* an empty list is an answer */
	assert_int_equal(vd_cloud_parse(empty, strlen(empty), &s, NULL), 0);
	assert_int_equal(s.n_servers, 0);
	vd_cloud_set_free(&s);
}

/* One page of several: used, and marked so the daemon can say --pager. */
static void test_partial(void **state)
{
	static const char text[] = "{\"PageNumber\": 1, \"PageSize\": 1, \"TotalCount\": 3, \"VpnGateways\": "
	                           "{\"VpnGateway\": [{\"VpnGatewayId\": \"vpn-1\", \"Spec\": \"20M\"}]}}";
	struct vd_cloud_set s;

	(void)state;
	assert_int_equal(vd_cloud_parse(text, strlen(text), &s, NULL), 0);
	assert_int_equal(s.n_gateways, 1);
	assert_true(s.partial);
	assert_int_equal(s.partial_answer, VD_CLOUD_GATEWAYS);
	vd_cloud_set_free(&s);
}

static void test_errors(void **state)
{
	char buf[300];

	(void)state;
	assert_int_equal(refuse("{\n\"SslVpnServers\": {\n\"SslVpnServer\": [ {\"Port\": 1194,,} ]}}", buf, sizeof(buf)),
	                 -EINVAL);
	assert_string_equal(buf, "line 3: not valid JSON");
	refuse("", buf, sizeof(buf));
	assert_string_equal(buf, "empty: no API answer");
	refuse("[1, 2]", buf, sizeof(buf));
	assert_string_equal(buf, "a JSON object (an API answer) is needed");
	refuse("{\"Vpcs\": {\"Vpc\": []}}", buf, sizeof(buf));
	assert_non_null(strstr(buf, "not an answer of DescribeSslVpnServers"));
	refuse("{\"Code\": \"Forbidden.RAM\", \"Message\": \"User not authorized\", \"RequestId\": \"x\"}", buf, sizeof(buf));
	assert_string_equal(buf, "an error answer of the API, not the facts");
	/* the field, with its place in the list; never the value */
	refuse("{\"SslVpnServers\": {\"SslVpnServer\": [{}, {\"MaxConnections\": \"ten\"}]}}", buf, sizeof(buf));
	assert_string_equal(buf, "SslVpnServers.SslVpnServer[1].MaxConnections: a whole number from 0 to 1000000 is needed");
	refuse("{\"SslVpnServers\": {\"SslVpnServer\": [{\"MaxConnections\": -3}]}}", buf, sizeof(buf));
	assert_string_equal(buf, "SslVpnServers.SslVpnServer[0].MaxConnections: a whole number from 0 to 1000000 is needed");
	refuse("{\"SslVpnServers\": {\"SslVpnServer\": [{\"MaxConnections\": 2.5}]}}", buf, sizeof(buf));
	assert_non_null(strstr(buf, "MaxConnections"));
	refuse("{\"SslVpnServers\": {\"SslVpnServer\": [{\"Proto\": \"SCTP\"}]}}", buf, sizeof(buf));
	assert_string_equal(buf, "SslVpnServers.SslVpnServer[0].Proto: UDP or TCP is needed");
	refuse("{\"SslVpnServers\": {\"SslVpnServer\": [{\"LocalSubnet\": \"172.16.0.0/16,172.16.1.5/24\"}]}}", buf,
	       sizeof(buf));
	assert_string_equal(buf, "SslVpnServers.SslVpnServer[0].LocalSubnet: a CIDR block like 10.0.0.0/8 is needed "
	                         "(host bits zero)");
	refuse("{\"SslVpnServers\": {\"SslVpnServer\": [{\"ClientIpPool\": 10}]}}", buf, sizeof(buf));
	assert_string_equal(buf, "SslVpnServers.SslVpnServer[0].ClientIpPool: a string is needed");
	refuse("{\"SslVpnServers\": {\"SslVpnServer\": [{\"InternetIp\": \"47.5.XX.XX\"}]}}", buf, sizeof(buf));
	assert_string_equal(buf, "SslVpnServers.SslVpnServer[0].InternetIp: an IP address is needed");
	refuse("{\"SslVpnServers\": {\"SslVpnServer\": [{\"Compress\": 1}]}}", buf, sizeof(buf));
	assert_string_equal(buf, "SslVpnServers.SslVpnServer[0].Compress: true or false is needed");
	refuse("{\"SslVpnServers\": [1]}", buf, sizeof(buf));
	assert_string_equal(buf, "SslVpnServers: an object holding SslVpnServer is needed");
	refuse("{\"VpnGateways\": {\"VpnGateway\": {}}}", buf, sizeof(buf));
	assert_string_equal(buf, "VpnGateways.VpnGateway: a list is needed");
	refuse("{\"VpnGateways\": {\"VpnGateway\": [{\"Spec\": \"5G\"}]}}", buf, sizeof(buf));
	assert_string_equal(buf, "VpnGateways.VpnGateway[0].Spec: a bandwidth like 5M (Mbit/s) is needed");
	refuse("{\"VpnRouteEntries\": {\"VpnRouteEntry\": [{\"NextHop\": \"vco-1\"}]}}", buf, sizeof(buf));
	assert_string_equal(buf, "VpnRouteEntries.VpnRouteEntry[0].RouteDest: is missing");
	refuse("{\"VpnRouteEntries\": {\"VpnRouteEntry\": [{\"RouteDest\": \"10.0.0.0/8\", \"NextHop\": \"a b\"}]}}", buf,
	       sizeof(buf));
	assert_non_null(strstr(buf, "NextHop: an identifier"));
	/* an answer, then something that is not */
	refuse("{\"VpnGateways\": {\"VpnGateway\": []}} {\"Foo\": 1}", buf, sizeof(buf));
	assert_non_null(strstr(buf, "not an answer"));
	refuse("{\"VpnGateways\": {\"VpnGateway\": []}} garbage", buf, sizeof(buf));
	assert_string_equal(buf, "line 1: the JSON after the first answer is not valid");
}

static void test_limits(void **state)
{
	struct vd_cloud_set s;
	struct vd_cloud_error err;
	size_t n = VD_CLOUD_FILE_MAX + 1;
	char *big = malloc(n);
	char *many;
	size_t len = 0;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', n);
	assert_int_equal(vd_cloud_parse(big, n, &s, &err), -E2BIG);
	free(big);
	/* more records than a set holds */
	many = malloc(64 * (VD_CLOUD_MAX_RECORDS + 2) + 64);
	assert_non_null(many);
	len += (size_t)sprintf(many, "{\"VpnRouteEntries\": {\"VpnRouteEntry\": [");
	for (int i = 0; i <= VD_CLOUD_MAX_RECORDS; i++)
		len += (size_t)sprintf(many + len, "%s{\"RouteDest\": \"10.0.0.0/8\"}", i ? "," : "");
	len += (size_t)sprintf(many + len, "]}}");
	assert_int_equal(vd_cloud_parse(many, len, &s, &err), -E2BIG);
	assert_int_equal(s.n_routes, 0);
	free(many);
	/* too many local networks */
	{
		char text[4096];
		int k = sprintf(text, "{\"SslVpnServers\": {\"SslVpnServer\": [{\"LocalSubnet\": \"");
		for (int i = 0; i <= VD_CLOUD_MAX_LOCAL; i++)
			k += sprintf(text + k, "%s10.%d.0.0/16", i ? "," : "", i);
		k += sprintf(text + k, "\"}]}}");
		assert_int_equal(vd_cloud_parse(text, (size_t)k, &s, &err), -EINVAL);
		assert_string_equal(err.field, "SslVpnServers.SslVpnServer[0].LocalSubnet");
	}
}

static void two_files(struct vd_cloud_set *all)
{
	struct vd_cloud_set s;

	memset(all, 0, sizeof(*all));
	load("office.json", &s);
	assert_int_equal(vd_cloud_set_merge(all, &s, 0), 0);
	assert_int_equal(s.n_servers, 0);
	load("ssl-servers-pager.json", &s);
	assert_int_equal(vd_cloud_set_merge(all, &s, 1), 0);
	assert_int_equal(all->n_servers, 3);
	assert_int_equal(all->servers[0].source, 0);
	assert_int_equal(all->servers[2].source, 1);
}

static void test_match(void **state)
{
	struct vd_cloud_set all;
	struct vd_cloud_pick pk;
	const char *addrs[] = {"192.0.2.1", "203.0.113.7"};
	const char *other[] = {"198.51.100.20"};
	const char *none[] = {"192.0.2.99"};

	(void)state;
	two_files(&all);
	/* the server of the address; of two (both files list it), the newer file's */
	assert_true(vd_cloud_match(&all, addrs, 2, false, &pk));
	assert_non_null(pk.server);
	assert_int_equal(pk.server->source, 1);
	assert_string_equal(pk.addr, "203.0.113.7");
	assert_non_null(pk.gateway);
	assert_string_equal(pk.gateway->id, "vpn-bp1on0xae9d771ggi0a1b");
	assert_true(vd_cloud_match(&all, other, 1, false, &pk));
	assert_string_equal(pk.server->id, "vss-bp1second00000000000");
	assert_null(pk.gateway);
	assert_false(vd_cloud_match(&all, none, 1, false, &pk));
	/* several servers: any_one does not pick among them */
	assert_false(vd_cloud_match(&all, none, 1, true, &pk));
	vd_cloud_set_free(&all);

	/* one server in a file a tunnel names: it applies, matched or not */
	load("ssl-servers.json", &all);
	assert_true(vd_cloud_match(&all, none, 1, true, &pk));
	assert_null(pk.addr);
	vd_cloud_set_free(&all);

	/* a gateway alone, by its SSL-VPN address (dual-tunnel gateways) */
	{
		static const char text[] = "{\"VpnGateways\": {\"VpnGateway\": [{\"VpnGatewayId\": \"vpn-2\", \"InternetIp\": "
		                           "\"192.0.2.50\", \"SslVpnInternetIp\": \"192.0.2.51\", \"Spec\": \"50M\"}]}}";
		const char *ssl[] = {"192.0.2.51"};
		assert_int_equal(vd_cloud_parse(text, strlen(text), &all, NULL), 0);
		assert_true(vd_cloud_match(&all, ssl, 1, false, &pk));
		assert_null(pk.server);
		assert_int_equal(pk.gateway->spec_mbps, 50);
		vd_cloud_set_free(&all);
	}
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static void test_section(void **state)
{
	struct vd_cloud_set all;
	struct vd_cloud_pick pk;
	const char *addrs[] = {"203.0.113.7"};
	const char *files[] = {"/etc/vpndoctor/cloud.d/office.json", "/etc/vpndoctor/cloud.d/all.json"};
	const int64_t at[] = {1795000000, 1795500000};
	cJSON *cloud = cJSON_Parse("{\"max_connections\": 60, \"origin\": {\"max_connections\": \"config\"}}");
	const cJSON *origin, *a;
	struct vd_fact_violation v[4];
	size_t nv;

	(void)state;
	two_files(&all);
	assert_true(vd_cloud_match(&all, addrs, 1, false, &pk));
	assert_int_equal(vd_cloud_section(&all, &pk, files, at, 2, cloud), 0);
	origin = cJSON_GetObjectItemCaseSensitive(cloud, VDF_CLOUD_ORIGIN);
	/* [Tunnel]'s key wins */
	assert_int_equal(jnum(cloud, VDF_CLOUD_MAX_CONNECTIONS), 60);
	assert_string_equal(jstr(origin, VDF_CLOUD_MAX_CONNECTIONS), "config");
	assert_string_equal(jstr(cloud, VDF_CLOUD_CLIENT_CIDR), "10.8.0.0/28");
	assert_string_equal(jstr(origin, VDF_CLOUD_CLIENT_CIDR), "cloud-facts");
	assert_int_equal(jnum(cloud, VDF_CLOUD_CONNECTIONS), 2);
	assert_string_equal(jstr(cloud, VDF_CLOUD_PROTO), "udp");
	assert_int_equal(jnum(cloud, VDF_CLOUD_PORT), 1194);
	assert_string_equal(jstr(cloud, VDF_CLOUD_CIPHER), "AES-128-CBC");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(cloud, VDF_CLOUD_COMPRESS)));
	assert_int_equal(jnum(cloud, VDF_CLOUD_BANDWIDTH_MBPS), 5);
	assert_string_equal(jstr(cloud, VDF_CLOUD_CREATED_ON), "2020-08-20");
	assert_string_equal(jstr(cloud, VDF_CLOUD_SERVER_CREATED_ON), "2021-02-20");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(cloud, VDF_CLOUD_GATEWAY_UPGRADED)));
	assert_string_equal(jstr(cloud, VDF_CLOUD_SSL_SERVER), "vss-bp15j3du13gq1dgey0a1b");
	assert_string_equal(jstr(cloud, VDF_CLOUD_GATEWAY), "vpn-bp1on0xae9d771ggi0a1b");
	assert_string_equal(jstr(cloud, VDF_CLOUD_INTERNET_IP), "203.0.113.7");
	assert_string_equal(jstr(cloud, VDF_CLOUD_REMOTE_ADDR), "203.0.113.7");
	a = cJSON_GetObjectItemCaseSensitive(cloud, VDF_CLOUD_LOCAL_NETWORKS);
	assert_int_equal(cJSON_GetArraySize(a), 2);
	/* the IPsec routes of the gateway, the system's left out */
	a = cJSON_GetObjectItemCaseSensitive(cloud, VDF_CLOUD_IPSEC_ROUTES);
	assert_int_equal(cJSON_GetArraySize(a), 2);
	assert_string_equal(cJSON_GetArrayItem(a, 0)->valuestring, "10.8.0.0/24");
	assert_string_equal(cJSON_GetArrayItem(a, 1)->valuestring, "192.168.50.0/24");
	/* the server came from the newer file, gateway and routes from the older */
	a = cJSON_GetObjectItemCaseSensitive(cloud, VDF_CLOUD_FILES);
	assert_int_equal(cJSON_GetArraySize(a), 2);
	assert_string_equal(cJSON_GetArrayItem(a, 0)->valuestring, files[1]);
	assert_string_equal(cJSON_GetArrayItem(a, 1)->valuestring, files[0]);
	assert_int_equal(jnum(cloud, VDF_CLOUD_EXPORTED_AT), 1795500000);

	/* the definition knows every key written */
	{
		cJSON *facts = cJSON_CreateObject(), *tunnels = cJSON_AddArrayToObject(facts, "tunnels");
		cJSON *t = cJSON_CreateObject();
		cJSON_AddNumberToObject(facts, "now", 1795770000);
		cJSON_AddStringToObject(t, "name", "office");
		cJSON_AddItemToObject(t, "cloud", cJSON_Duplicate(cloud, true));
		cJSON_AddItemToArray(tunnels, t);
		assert_int_equal(vd_facts_validate(facts, v, 4, &nv), 0);
		for (size_t i = 0; i < nv && i < 4; i++) {
			char b[300];
			print_error("%s\n", vd_fact_violation_format(&v[i], b, sizeof(b)));
		}
		assert_int_equal(nv, 0);
		cJSON_Delete(facts);
	}
	cJSON_Delete(cloud);
	vd_cloud_set_free(&all);
}

static void test_derive(void **state)
{
	cJSON *t = cJSON_Parse("{\"name\": \"x\", \"openvpn\": {\"status\": \"ok\", \"pushed\": {\"routes\": [], \"dns\": [], "
	                       "\"topology\": \"subnet\"}}, \"routes\": {\"status\": \"ok\", \"tunnel_subnet\": "
	                       "\"10.9.0.0/24\"}}");
	const cJSON *cloud;

	(void)state;
	assert_int_equal(vd_cloud_derive(t), 0);
	cloud = cJSON_GetObjectItemCaseSensitive(t, "cloud");
	assert_string_equal(jstr(cloud, VDF_CLOUD_CLIENT_CIDR), "10.9.0.0/24");
	assert_string_equal(jstr(cJSON_GetObjectItemCaseSensitive(cloud, VDF_CLOUD_ORIGIN), VDF_CLOUD_CLIENT_CIDR),
	                    "derived");
	assert_non_null(strstr(jstr(cJSON_GetObjectItemCaseSensitive(cloud, VDF_CLOUD_DERIVED_FROM), VDF_CLOUD_CLIENT_CIDR),
	                       "10.9.0.0/24"));
	cJSON_Delete(t);

	/* net30: the tun link's /30 is one client's, not the pool */
	t = cJSON_Parse("{\"openvpn\": {\"pushed\": {\"topology\": \"net30\"}}, \"routes\": {\"status\": \"ok\", "
	                "\"tunnel_subnet\": \"10.8.0.4/30\"}}");
	assert_int_equal(vd_cloud_derive(t), 0);
	assert_null(cJSON_GetObjectItemCaseSensitive(t, "cloud"));
	cJSON_Delete(t);

	/* a client CIDR the cloud side gives stays */
	t = cJSON_Parse("{\"cloud\": {\"client_cidr\": \"10.9.0.0/16\"}, \"openvpn\": {\"pushed\": {\"topology\": "
	                "\"subnet\"}}, \"routes\": {\"status\": \"ok\", \"tunnel_subnet\": \"10.9.0.0/24\"}}");
	assert_int_equal(vd_cloud_derive(t), 0);
	cloud = cJSON_GetObjectItemCaseSensitive(t, "cloud");
	assert_string_equal(jstr(cloud, VDF_CLOUD_CLIENT_CIDR), "10.9.0.0/16");
	assert_null(cJSON_GetObjectItemCaseSensitive(cloud, VDF_CLOUD_ORIGIN));
	cJSON_Delete(t);
}


/* A connected tunnel: pushed DNS 172.16.1.10, a route to 172.16.1.0/24 and a
 * wide one, the DNS answers given in SERVERS (the dns section's servers). */
static cJSON *tunnel_with(const char *servers, const char *cloud)
{
	char buf[4096];
	cJSON *t;

	snprintf(buf, sizeof(buf),
	         "{\"name\": \"office\", %s%s%s \"openvpn\": {\"status\": \"ok\", \"state\": \"connected\", "
	         "\"pushed\": {\"dns\": [\"172.16.1.10\"]}}, \"routes\": {\"status\": \"ok\", \"pushed_routes\": "
	         "[\"172.16.1.0/24\", \"10.0.0.0/7\", \"127.0.0.0/8\", \"224.0.0.0/8\"]}, \"dns\": {\"status\": \"ok\", "
	         "\"servers\": %s}}",
	         cloud ? "\"cloud\": " : "", cloud ? cloud : "", cloud ? "," : "", servers);
	t = cJSON_Parse(buf);
	assert_non_null(t);
	return t;
}

static void test_derive_targets(void **state)
{
	struct vd_derived_target v[VD_CLOUD_DERIVED_TARGETS_MAX];
	cJSON *t;

	(void)state;
	/* through the tunnel: db's and web's addresses in turns, each name's
	 * smallest first; not what lies outside the tunnel's routes (192.0.2.5),
	 * in a route wider than a VPC's (10.1.1.1 in a /7), loopback or
	 * multicast whatever route covers them; nothing from a server reached
	 * outside the tunnel (a spoofer on the LAN could be it) */
	t = tunnel_with("[{\"addr\": \"172.16.1.10\", \"source\": \"pushed\", \"via_tunnel\": true, \"results\": {}, "
	                "\"answers\": {\"db.vpc.internal\": {\"addresses\": [\"172.16.1.21\", \"192.0.2.5\", "
	                "\"172.16.1.20\", \"10.1.1.1\", \"127.0.0.1\", \"224.0.0.5\"]}, "
	                "\"web.vpc.internal\": {\"addresses\": [\"172.16.1.30\"]}}}, "
	                "{\"addr\": \"192.168.1.1\", \"source\": \"resolv.conf\", \"via_tunnel\": false, \"results\": {}, "
	                "\"answers\": {\"db.vpc.internal\": {\"addresses\": [\"172.16.1.2\"]}}}]",
	                NULL);
	assert_int_equal(vd_cloud_derive_targets(t, v, VD_CLOUD_DERIVED_TARGETS_MAX), 4);
	assert_string_equal(v[0].addr, "172.16.1.10");
	assert_string_equal(v[0].name, "");
	assert_string_equal(v[1].addr, "172.16.1.20");
	assert_string_equal(v[1].name, "db.vpc.internal");
	assert_string_equal(v[1].server, "172.16.1.10");
	assert_string_equal(v[2].addr, "172.16.1.30");
	assert_string_equal(v[2].name, "web.vpc.internal");
	assert_string_equal(v[3].addr, "172.16.1.21");
	assert_string_equal(v[3].name, "db.vpc.internal");
	/* bounded by max */
	assert_int_equal(vd_cloud_derive_targets(t, v, 2), 2);
	assert_string_equal(v[1].addr, "172.16.1.20");

	/* the section: each target with where it comes from */
	assert_int_equal(vd_cloud_derive_section(t), 0);
	const cJSON *der = cJSON_GetObjectItemCaseSensitive(t, VDF_TUNNEL_DERIVED);
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(der, VDF_DERIVED_TARGETS_FROM);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(der, VDF_DERIVED_TARGETS)), 4);
	assert_string_equal(jstr(cJSON_GetObjectItemCaseSensitive(from, "172.16.1.10"), VDF_DERIVED_FROM_SOURCE),
	                    "pushed-dns");
	assert_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(from, "172.16.1.10"),
	                                             VDF_DERIVED_FROM_NAME));
	assert_string_equal(jstr(cJSON_GetObjectItemCaseSensitive(from, "172.16.1.30"), VDF_DERIVED_FROM_SOURCE), "names");
	assert_string_equal(jstr(cJSON_GetObjectItemCaseSensitive(from, "172.16.1.30"), VDF_DERIVED_FROM_NAME),
	                    "web.vpc.internal");
	assert_string_equal(jstr(cJSON_GetObjectItemCaseSensitive(from, "172.16.1.30"), VDF_DERIVED_FROM_SERVER),
	                    "172.16.1.10");
	cJSON_Delete(t);

	/* the same answers in another order: the same targets (no churn) */
	t = tunnel_with("[{\"addr\": \"172.16.1.10\", \"source\": \"pushed\", \"via_tunnel\": true, \"results\": {}, "
	                "\"answers\": {\"db.vpc.internal\": {\"addresses\": [\"172.16.1.20\", \"10.1.1.1\", "
	                "\"172.16.1.21\"], \"kept\": true}, \"web.vpc.internal\": {\"addresses\": [\"172.16.1.30\"]}}}]",
	                NULL);
	assert_int_equal(vd_cloud_derive_targets(t, v, VD_CLOUD_DERIVED_TARGETS_MAX), 4);
	assert_string_equal(v[1].addr, "172.16.1.20");
	assert_string_equal(v[2].addr, "172.16.1.30");
	assert_string_equal(v[3].addr, "172.16.1.21");
	cJSON_Delete(t);

	/* the Local Network known: only inside it; a name answering the DNS
	 * server's own address adds nothing */
	t = tunnel_with("[{\"addr\": \"172.16.1.10\", \"source\": \"pushed\", \"via_tunnel\": true, \"results\": {}, "
	                "\"answers\": {\"db.vpc.internal\": {\"addresses\": [\"172.16.1.200\", \"172.16.1.10\", "
	                "\"172.16.1.5\"]}}}]",
	                "{\"local_networks\": [\"172.16.1.0/25\"]}");
	assert_int_equal(vd_cloud_derive_targets(t, v, VD_CLOUD_DERIVED_TARGETS_MAX), 2);
	assert_string_equal(v[1].addr, "172.16.1.5");
	cJSON_Delete(t);

	/* the tunnel's own addresses (the server end under net30's pushed
	 * route, the client pool) are not the VPC's */
	t = tunnel_with("[{\"addr\": \"172.16.1.10\", \"source\": \"pushed\", \"via_tunnel\": true, \"results\": {}, "
	                "\"answers\": {\"db.vpc.internal\": {\"addresses\": [\"10.8.0.1\", \"172.16.1.7\", "
	                "\"172.16.1.20\"]}}}]",
	                "{\"client_cidr\": \"172.16.1.0/29\"}");
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t, "routes"),
	                                                      "pushed_routes"),
	                     cJSON_CreateString("10.8.0.1/32"));
	cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(t, "openvpn"), "server_ip", "10.8.0.1");
	assert_int_equal(vd_cloud_derive_targets(t, v, VD_CLOUD_DERIVED_TARGETS_MAX), 2);
	assert_string_equal(v[1].addr, "172.16.1.20");
	cJSON_Delete(t);

	/* the DNS server's route not known: its answers are not taken */
	t = tunnel_with("[{\"addr\": \"172.16.1.10\", \"source\": \"pushed\", \"results\": {}, "
	                "\"answers\": {\"db.vpc.internal\": {\"addresses\": [\"172.16.1.20\"]}}}]",
	                NULL);
	assert_int_equal(vd_cloud_derive_targets(t, v, VD_CLOUD_DERIVED_TARGETS_MAX), 1);
	cJSON_Delete(t);

	/* not connected: nothing of this session is known */
	t = tunnel_with("[{\"addr\": \"172.16.1.10\", \"source\": \"pushed\", \"via_tunnel\": true, \"results\": {}, "
	                "\"answers\": {\"db.vpc.internal\": {\"addresses\": [\"172.16.1.20\"]}}}]",
	                NULL);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItemCaseSensitive(t, "openvpn"), "state", cJSON_CreateString("reconnecting"));
	assert_int_equal(vd_cloud_derive_targets(t, v, VD_CLOUD_DERIVED_TARGETS_MAX), 0);
	assert_int_equal(vd_cloud_derive_section(t), 0);
	assert_null(cJSON_GetObjectItemCaseSensitive(t, VDF_TUNNEL_DERIVED));
	cJSON_Delete(t);

	/* hostile shapes: no crash, nothing taken */
	t = tunnel_with("[{\"addr\": 5, \"via_tunnel\": true, \"answers\": {\"x\": {\"addresses\": [\"172.16.1.40\"]}}}, "
	                "{\"addr\": \"172.16.1.10\", \"via_tunnel\": true, \"answers\": {\"\": {\"addresses\": "
	                "[\"172.16.1.41\"]}, \"y\": {\"addresses\": [7, null, \"not an address\", \"172.16.1.0/24\"]}, "
	                "\"z\": [\"172.16.1.42\"]}}]",
	                NULL);
	assert_int_equal(vd_cloud_derive_targets(t, v, VD_CLOUD_DERIVED_TARGETS_MAX), 1);
	cJSON_Delete(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ssl_servers), cmocka_unit_test(test_pager),    cmocka_unit_test(test_gateways),
		cmocka_unit_test(test_routes),      cmocka_unit_test(test_several_answers),
		cmocka_unit_test(test_forms),       cmocka_unit_test(test_partial),  cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),      cmocka_unit_test(test_match),    cmocka_unit_test(test_section),
		cmocka_unit_test(test_derive),      cmocka_unit_test(test_derive_targets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
