/* The VPN Gateway API's answers as Alibaba Cloud's CLI prints them.
 *
 * `aliyun vpc DescribeSslVpnServers --RegionId R --VpnGatewayId G` prints the
 * API's JSON body, indented (aliyun-cli openapi/format.go: json.Indent); with
 * --pager it prints only the merged list under its path, e.g.
 * {"SslVpnServers": {"SslVpnServer": [...]}} (openapi/pager.go). The fields,
 * their types and units, from the API reference (Virtual Private Cloud API
 * 2016-04-28) and the SDK models generated from it:
 *
 *   DescribeSslVpnServers  https://www.alibabacloud.com/help/doc-detail/120380.htm
 *     (alibabacloud-csharp-sdk vpc-20160428 DescribeSslVpnServersResponseBody):
 *     SslVpnServers.SslVpnServer[]: SslVpnServerId, VpnGatewayId, Name (String),
 *     InternetIp (String, the gateway's public address), ClientIpPool (String,
 *     a CIDR block), LocalSubnet (String: CIDR blocks joined by commas,
 *     "10.0.1.0/24,10.0.2.0/24": terraform-provider-alicloud's
 *     alicloud_ssl_vpn_server local_subnet), Proto (String, "UDP" | "TCP"),
 *     Port (Integer), Cipher (String: AES-128-CBC | AES-192-CBC | AES-256-CBC |
 *     none, CreateSslVpnServer), Compress (Boolean), Connections (Integer,
 *     current connections), MaxConnections (Integer), CreateTime (Long, ms);
 *     PageNumber, PageSize, TotalCount (Integer).
 *   DescribeVpnGateways  https://www.alibabacloud.com/help/en/vpn-gateway/latest/describevpngateways
 *     VpnGateways.VpnGateway[]: VpnGatewayId, Name, InternetIp,
 *     SslVpnInternetIp (String, dual-tunnel gateways' SSL-VPN address), Spec
 *     (String, the bandwidth: "5M", M is Mbit/s), SslMaxConnections (Long),
 *     SslVpn (String, enable | disable), CreateTime (Long, ms), Tag (String:
 *     a JSON object whose VpnNewImage says whether the gateway was upgraded).
 *   DescribeVpnGateway  https://www.alibabacloud.com/help/en/virtual-private-cloud/latest/describevpngateway
 *     the same fields at the top of the body (Spec "5", Unit: Mbit/s).
 *   DescribeVpnRouteEntries (destination-based routes)
 *     VpnRouteEntries.VpnRouteEntry[]: VpnInstanceId, RouteDest (a CIDR
 *     block), NextHop (an IPsec-VPN connection, "vco-..."), RouteEntryType
 *     (Custom | System; bgp in the counts), Weight, State.
 *   DescribeVpnPbrRouteEntries (policy-based routes)
 *     VpnPbrRouteEntries.VpnPbrRouteEntry[]: VpnInstanceId, RouteSource,
 *     RouteDest, NextHop, Weight, Priority, State.
 *
 * A field is taken only in the form the reference gives; a number also as a
 * string of digits (the CLI passes the body through as the API sent it). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "vpndoctor/cidr.h"
#include "vpndoctor/cloudfacts.h"
#include "vpndoctor/common.h"
#include "vpndoctor/facts.h"

static const char *const answer_names[VD_CLOUD_N_ANSWERS] = {
	[VD_CLOUD_SSL_SERVERS] = "DescribeSslVpnServers",
	[VD_CLOUD_GATEWAYS] = "DescribeVpnGateways",
	[VD_CLOUD_GATEWAY] = "DescribeVpnGateway",
	[VD_CLOUD_ROUTES] = "DescribeVpnRouteEntries",
	[VD_CLOUD_PBR_ROUTES] = "DescribeVpnPbrRouteEntries",
};

const char *vd_cloud_answer_name(enum vd_cloud_answer a)
{
	return (size_t)a < VD_CLOUD_N_ANSWERS ? answer_names[a] : "?";
}

/* ---- the parse ---- */

struct pctx {
	struct vd_cloud_set *set;
	struct vd_cloud_error *err;
	enum vd_cloud_answer answer;
	const char *list;  /* "SslVpnServers.SslVpnServer", or NULL at the top */
	size_t index;
	size_t records;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct pctx *p, const char *field, const char *fmt, ...)
{
	va_list ap;
	struct vd_cloud_error *e = p->err;

	snprintf(e->answer, sizeof(e->answer), "%s", vd_cloud_answer_name(p->answer));
	if (p->list && field)
		snprintf(e->field, sizeof(e->field), "%s[%zu].%s", p->list, p->index, field);
	else
		snprintf(e->field, sizeof(e->field), "%s", field ? field : (p->list ? p->list : ""));
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The member key of o, or NULL. A null is as good as absent. */
static const cJSON *member(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return v && !cJSON_IsNull(v) ? v : NULL;
}

/* A string field into buf: absent leaves buf "" (0); too long or not a string fails. */
static int get_str(struct pctx *p, const cJSON *o, const char *key, char *buf, size_t len)
{
	const cJSON *v = member(o, key);

	buf[0] = '\0';
	if (!v)
		return 0;
	if (!cJSON_IsString(v))
		return fail(p, key, "a string is needed");
	if (strlen(v->valuestring) >= len)
		return fail(p, key, "longer than %zu bytes", len - 1);
	memcpy(buf, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

/* A name, cut at a character boundary when long: it is only shown. */
static int get_name(struct pctx *p, const cJSON *o, const char *key, char *buf, size_t len)
{
	const cJSON *v = member(o, key);
	size_t n;

	buf[0] = '\0';
	if (!v)
		return 0;
	if (!cJSON_IsString(v))
		return fail(p, key, "a string is needed");
	n = strlen(v->valuestring);
	if (n >= len) {
		n = len - 1;
		while (n > 0 && ((unsigned char)v->valuestring[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(buf, v->valuestring, n);
	buf[n] = '\0';
	return 0;
}

/* An integer field in [min, max]: a JSON number without a fraction, or a
 * string of digits. Absent leaves *ret -1. */
static int get_int(struct pctx *p, const cJSON *o, const char *key, int64_t min, int64_t max, int64_t *ret)
{
	const cJSON *v = member(o, key);
	int64_t n;

	*ret = -1;
	if (!v)
		return 0;
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (!(d >= (double)min && d <= (double)max) || d != (double)(int64_t)d)
			return fail(p, key, "a whole number from %lld to %lld is needed", (long long)min, (long long)max);
		n = (int64_t)d;
	} else if (cJSON_IsString(v)) {
		if (vd_parse_i64(v->valuestring, min, max, &n) < 0 || v->valuestring[0] == '-' ||
		    v->valuestring[0] == '+')
			return fail(p, key, "a whole number from %lld to %lld is needed", (long long)min, (long long)max);
	} else {
		return fail(p, key, "a number is needed");
	}
	*ret = n;
	return 0;
}

/* A boolean: true/false, or the strings "true"/"false". -1 when absent. */
static int get_bool(struct pctx *p, const cJSON *o, const char *key, int *ret)
{
	const cJSON *v = member(o, key);

	*ret = -1;
	if (!v)
		return 0;
	if (cJSON_IsBool(v))
		*ret = cJSON_IsTrue(v);
	else if (cJSON_IsString(v) && strcasecmp(v->valuestring, "true") == 0)
		*ret = 1;
	else if (cJSON_IsString(v) && strcasecmp(v->valuestring, "false") == 0)
		*ret = 0;
	else
		return fail(p, key, "true or false is needed");
	return 0;
}

static int get_addr(struct pctx *p, const cJSON *o, const char *key, char *buf, size_t len)
{
	struct vd_prefix a;
	int r = get_str(p, o, key, buf, len);

	if (r < 0 || !buf[0])
		return r;
	if (vd_addr_parse(buf, &a) < 0)
		return fail(p, key, "an IP address is needed");
	vd_prefix_format(&a, true, buf, len);
	return 0;
}

/* One CIDR block, normalised ("10.8.0.0/24"). */
static int cidr(struct pctx *p, const char *key, const char *s, size_t n, char *buf, size_t len)
{
	char tmp[VD_CLOUD_CIDR_MAX];
	struct vd_prefix pr;

	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(tmp) || !memchr(s, '/', n))
		return fail(p, key, "a CIDR block like 10.0.0.0/8 is needed");
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (vd_prefix_parse(tmp, false, &pr) < 0)
		return fail(p, key, "a CIDR block like 10.0.0.0/8 is needed (host bits zero)");
	vd_prefix_format(&pr, false, buf, len);
	return 0;
}

static int get_cidr(struct pctx *p, const cJSON *o, const char *key, char *buf, size_t len)
{
	char tmp[VD_CLOUD_CIDR_MAX];
	int r = get_str(p, o, key, tmp, sizeof(tmp));

	buf[0] = '\0';
	if (r < 0 || !tmp[0])
		return r;
	return cidr(p, key, tmp, strlen(tmp), buf, len);
}

/* An id: printable ASCII without spaces (they go into evidence). */
static int get_id(struct pctx *p, const cJSON *o, const char *key, char *buf, size_t len)
{
	int r = get_str(p, o, key, buf, len);

	if (r < 0)
		return r;
	for (const char *c = buf; *c; c++)
		if (*c <= ' ' || *c > '~')
			return fail(p, key, "an identifier of printable characters is needed");
	return 0;
}

static void *grow(void *v, size_t n, size_t size)
{
	return realloc(v, (n + 1) * size);
}

static int count_record(struct pctx *p)
{
	if (++p->records > VD_CLOUD_MAX_RECORDS) {
		fail(p, NULL, "more than %d records", VD_CLOUD_MAX_RECORDS);
		return -E2BIG;
	}
	return 0;
}

static int server(struct pctx *p, const cJSON *o)
{
	struct vd_cloud_server s, *v;
	char proto[8], local[2048];
	int64_t port;
	int r;

	memset(&s, 0, sizeof(s));
	if (!cJSON_IsObject(o))
		return fail(p, NULL, "an object is needed");
	if ((r = get_id(p, o, "SslVpnServerId", s.id, sizeof(s.id))) < 0 ||
	    (r = get_id(p, o, "VpnGatewayId", s.gateway_id, sizeof(s.gateway_id))) < 0 ||
	    (r = get_name(p, o, "Name", s.name, sizeof(s.name))) < 0 ||
	    (r = get_addr(p, o, "InternetIp", s.internet_ip, sizeof(s.internet_ip))) < 0 ||
	    (r = get_cidr(p, o, "ClientIpPool", s.client_ip_pool, sizeof(s.client_ip_pool))) < 0 ||
	    (r = get_str(p, o, "Proto", proto, sizeof(proto))) < 0 ||
	    (r = get_str(p, o, "Cipher", s.cipher, sizeof(s.cipher))) < 0 ||
	    (r = get_int(p, o, "Port", 1, 65535, &port)) < 0 ||
	    (r = get_bool(p, o, "Compress", &s.compress)) < 0 ||
	    (r = get_int(p, o, "Connections", 0, 1000000, &s.connections)) < 0 ||
	    (r = get_int(p, o, "MaxConnections", 0, 1000000, &s.max_connections)) < 0 ||
	    (r = get_int(p, o, "CreateTime", 0, INT64_C(100000000000000), &s.create_time_ms)) < 0)
		return r;
	s.port = (int)port;
	if (proto[0]) {
		if (strcasecmp(proto, "udp") != 0 && strcasecmp(proto, "tcp") != 0)
			return fail(p, "Proto", "UDP or TCP is needed");
		s.proto[0] = (char)(proto[0] | 0x20);
		s.proto[1] = (char)(proto[1] | 0x20);
		s.proto[2] = (char)(proto[2] | 0x20);
	}
	for (const char *c = s.cipher; *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
			return fail(p, "Cipher", "a cipher name like AES-128-CBC is needed");
	if ((r = get_str(p, o, "LocalSubnet", local, sizeof(local))) < 0)
		return r;
	s.has_local_subnet = member(o, "LocalSubnet") != NULL;
	for (const char *c = local; *c;) {
		const char *end = strchr(c, ',');
		size_t n = end ? (size_t)(end - c) : strlen(c);

		if (s.n_local_subnets == VD_CLOUD_MAX_LOCAL)
			return fail(p, "LocalSubnet", "more than %d CIDR blocks", VD_CLOUD_MAX_LOCAL);
		if ((r = cidr(p, "LocalSubnet", c, n, s.local_subnets[s.n_local_subnets],
		              sizeof(s.local_subnets[0]))) < 0)
			return r;
		s.n_local_subnets++;
		c += n + (end ? 1 : 0);
	}
	if ((r = count_record(p)) < 0)
		return r;
	if (!(v = grow(p->set->servers, p->set->n_servers, sizeof(*v))))
		return -ENOMEM;
	p->set->servers = v;
	v[p->set->n_servers++] = s;
	return 0;
}

/* Tag: "{\"VpnNewImage\":\"true\",...}", a JSON object in a string, for the
 * system's use; read for VpnNewImage alone, and never a reason to refuse. */
static int tag_upgraded(const cJSON *o)
{
	const cJSON *t = member(o, "Tag"), *v;
	cJSON *j;
	int r = -1;

	if (!cJSON_IsString(t) || !(j = cJSON_Parse(t->valuestring)))
		return -1;
	v = cJSON_GetObjectItemCaseSensitive(j, "VpnNewImage");
	if (cJSON_IsString(v) && strcasecmp(v->valuestring, "true") == 0)
		r = 1;
	else if (cJSON_IsString(v) && strcasecmp(v->valuestring, "false") == 0)
		r = 0;
	else if (cJSON_IsBool(v))
		r = cJSON_IsTrue(v);
	cJSON_Delete(j);
	return r;
}

static int gateway(struct pctx *p, const cJSON *o)
{
	struct vd_cloud_gateway g, *v;
	char spec[32], ssl[16];
	int r;

	memset(&g, 0, sizeof(g));
	if (!cJSON_IsObject(o))
		return fail(p, NULL, "an object is needed");
	if ((r = get_id(p, o, "VpnGatewayId", g.id, sizeof(g.id))) < 0 ||
	    (r = get_name(p, o, "Name", g.name, sizeof(g.name))) < 0 ||
	    (r = get_addr(p, o, "InternetIp", g.internet_ip, sizeof(g.internet_ip))) < 0 ||
	    (r = get_addr(p, o, "SslVpnInternetIp", g.ssl_internet_ip, sizeof(g.ssl_internet_ip))) < 0 ||
	    (r = get_int(p, o, "SslMaxConnections", 0, 1000000, &g.ssl_max_connections)) < 0 ||
	    (r = get_int(p, o, "CreateTime", 0, INT64_C(100000000000000), &g.create_time_ms)) < 0 ||
	    (r = get_str(p, o, "SslVpn", ssl, sizeof(ssl))) < 0)
		return r;
	g.spec_mbps = -1;
	/* Spec: "5M" in DescribeVpnGateways, "5" in DescribeVpnGateway; a number too */
	{
		const cJSON *sv = member(o, "Spec");
		if (cJSON_IsNumber(sv)) {
			if ((r = get_int(p, o, "Spec", 1, 1000000, &g.spec_mbps)) < 0)
				return r;
		} else if ((r = get_str(p, o, "Spec", spec, sizeof(spec))) < 0) {
			return r;
		} else if (spec[0]) {
			size_t n = strlen(spec);
			uint64_t u;
			if (spec[n - 1] == 'M' || spec[n - 1] == 'm')
				spec[--n] = '\0';
			if (vd_parse_u64(spec, 1, 1000000, &u) < 0)
				return fail(p, "Spec", "a bandwidth like 5M (Mbit/s) is needed");
			g.spec_mbps = (int64_t)u;
		}
	}
	g.ssl_vpn = !ssl[0] ? -1 : strcasecmp(ssl, "enable") == 0 ? 1 : strcasecmp(ssl, "disable") == 0 ? 0 : -1;
	g.upgraded = tag_upgraded(o);
	if ((r = count_record(p)) < 0)
		return r;
	if (!(v = grow(p->set->gateways, p->set->n_gateways, sizeof(*v))))
		return -ENOMEM;
	p->set->gateways = v;
	v[p->set->n_gateways++] = g;
	return 0;
}

static int route(struct pctx *p, const cJSON *o)
{
	struct vd_cloud_route rt, *v;
	int r;

	memset(&rt, 0, sizeof(rt));
	rt.policy = p->answer == VD_CLOUD_PBR_ROUTES;
	if (!cJSON_IsObject(o))
		return fail(p, NULL, "an object is needed");
	if ((r = get_id(p, o, "VpnInstanceId", rt.gateway_id, sizeof(rt.gateway_id))) < 0 ||
	    (r = get_cidr(p, o, "RouteDest", rt.dest, sizeof(rt.dest))) < 0 ||
	    (r = get_id(p, o, "NextHop", rt.next_hop, sizeof(rt.next_hop))) < 0 ||
	    (r = get_id(p, o, "RouteEntryType", rt.type, sizeof(rt.type))) < 0)
		return r;
	if (rt.policy && (r = get_cidr(p, o, "RouteSource", rt.source_cidr, sizeof(rt.source_cidr))) < 0)
		return r;
	if (!rt.dest[0])
		return fail(p, "RouteDest", "is missing");
	for (char *c = rt.type; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c | 0x20);
	if ((r = count_record(p)) < 0)
		return r;
	if (!(v = grow(p->set->routes, p->set->n_routes, sizeof(*v))))
		return -ENOMEM;
	p->set->routes = v;
	v[p->set->n_routes++] = rt;
	return 0;
}

struct answer_shape {
	enum vd_cloud_answer answer;
	const char *outer, *inner; /* the list: body.outer.inner[] */
	int (*record)(struct pctx *p, const cJSON *o);
};

static const struct answer_shape shapes[] = {
	{VD_CLOUD_SSL_SERVERS, "SslVpnServers", "SslVpnServer", server},
	{VD_CLOUD_GATEWAYS, "VpnGateways", "VpnGateway", gateway},
	{VD_CLOUD_ROUTES, "VpnRouteEntries", "VpnRouteEntry", route},
	{VD_CLOUD_PBR_ROUTES, "VpnPbrRouteEntries", "VpnPbrRouteEntry", route},
};

static int document(struct pctx *p, const cJSON *doc)
{
	int r;

	p->list = NULL;
	if (!cJSON_IsObject(doc)) {
		p->answer = VD_CLOUD_N_ANSWERS;
		return fail(p, NULL, "a JSON object (an API answer) is needed");
	}
	for (size_t i = 0; i < VD_ARRAY_SIZE(shapes); i++) {
		const struct answer_shape *sh = &shapes[i];
		const cJSON *outer = member(doc, sh->outer), *list, *it;
		char path[64];
		int64_t total, size, num;
		size_t n = 0;

		if (!outer)
			continue;
		p->answer = sh->answer;
		snprintf(path, sizeof(path), "%s.%s", sh->outer, sh->inner);
		if (!cJSON_IsObject(outer))
			return fail(p, sh->outer, "an object holding %s is needed", sh->inner);
		list = member(outer, sh->inner);
		if (list && !cJSON_IsArray(list))
			return fail(p, path, "a list is needed");
		p->list = path;
		cJSON_ArrayForEach(it, list) {
			p->index = n++;
			if ((r = sh->record(p, it)) < 0)
				return r;
		}
		p->list = NULL;
		/* one page of several: use it, and say so */
		if ((r = get_int(p, doc, "TotalCount", 0, INT32_MAX, &total)) < 0 ||
		    (r = get_int(p, doc, "PageSize", 0, INT32_MAX, &size)) < 0 ||
		    (r = get_int(p, doc, "PageNumber", 0, INT32_MAX, &num)) < 0)
			return r;
		if (total > 0 && (uint64_t)total > n && !p->set->partial) {
			p->set->partial = true;
			p->set->partial_answer = sh->answer;
		}
		return 0;
	}
	/* DescribeVpnGateway: one gateway, its fields at the top */
	if (member(doc, "VpnGatewayId") && (member(doc, "Spec") || member(doc, "InternetIp"))) {
		p->answer = VD_CLOUD_GATEWAY;
		return gateway(p, doc);
	}
	p->answer = VD_CLOUD_N_ANSWERS;
	if (member(doc, "Code") && member(doc, "Message"))
		return fail(p, NULL, "an error answer of the API, not the facts");
	return fail(p, NULL,
	            "not an answer of DescribeSslVpnServers, DescribeVpnGateways, DescribeVpnGateway, "
	            "DescribeVpnRouteEntries or DescribeVpnPbrRouteEntries");
}

static unsigned line_of(const char *text, const char *at)
{
	unsigned line = 1;

	for (const char *c = text; c < at; c++)
		line += *c == '\n';
	return line;
}

int vd_cloud_parse(const char *text, size_t len, struct vd_cloud_set *ret, struct vd_cloud_error *err)
{
	struct vd_cloud_error dummy;
	struct pctx p = {.set = ret, .err = err ? err : &dummy};
	const char *pos = text, *end = text + len;
	size_t docs = 0;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	memset(p.err, 0, sizeof(*p.err));
	p.answer = VD_CLOUD_N_ANSWERS;
	if (len > VD_CLOUD_FILE_MAX) {
		snprintf(p.err->msg, sizeof(p.err->msg), "larger than %d bytes", VD_CLOUD_FILE_MAX);
		return -E2BIG;
	}
	if (!text && len)
		return -EINVAL;
	/* A UTF-8 byte order mark (a file saved by an editor) is no JSON. */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		pos += 3;
	for (;;) {
		const char *parse_end = NULL;
		cJSON *doc;

		while (pos < end && (*pos == ' ' || *pos == '\t' || *pos == '\n' || *pos == '\r'))
			pos++;
		if (pos >= end)
			break;
		doc = cJSON_ParseWithLengthOpts(pos, (size_t)(end - pos), &parse_end, false);
		if (!doc) {
			const char *at = cJSON_GetErrorPtr();
			/* cJSON keeps the failure point in a global; within our buffer it is ours */
			if (!at || at < pos || at > end)
				at = pos;
			p.err->line = line_of(text, at);
			snprintf(p.err->msg, sizeof(p.err->msg), "%s",
			         docs ? "the JSON after the first answer is not valid" : "not valid JSON");
			r = -EINVAL;
			break;
		}
		docs++;
		r = document(&p, doc);
		cJSON_Delete(doc);
		if (r < 0)
			break;
		if (!parse_end || parse_end <= pos)
			break;
		pos = parse_end;
	}
	if (r == 0 && docs == 0) {
		snprintf(p.err->msg, sizeof(p.err->msg), "empty: no API answer");
		r = -EINVAL;
	}
	if (r < 0) {
		vd_cloud_set_free(ret);
		memset(ret, 0, sizeof(*ret));
	}
	return r;
}

void vd_cloud_set_free(struct vd_cloud_set *s)
{
	if (!s)
		return;
	free(s->servers);
	free(s->gateways);
	free(s->routes);
	s->servers = NULL;
	s->gateways = NULL;
	s->routes = NULL;
	s->n_servers = s->n_gateways = s->n_routes = 0;
}

/* Appends n records of size from *src to *dst (count *dn), setting source. */
#define APPEND(dst, dn, src, sn, source_)                                          \
	do {                                                                           \
		if (sn) {                                                                  \
			void *v_ = realloc(dst, ((dn) + (sn)) * sizeof(*(dst)));               \
			if (!v_)                                                               \
				return -ENOMEM;                                                    \
			dst = v_;                                                              \
			memcpy(&(dst)[dn], src, (sn) * sizeof(*(dst)));                        \
			for (size_t i_ = 0; i_ < (sn); i_++)                                   \
				(dst)[(dn) + i_].source = (source_);                               \
			(dn) += (sn);                                                          \
		}                                                                          \
	} while (0)

int vd_cloud_set_merge(struct vd_cloud_set *dst, struct vd_cloud_set *src, unsigned source)
{
	size_t total = dst->n_servers + dst->n_gateways + dst->n_routes + src->n_servers + src->n_gateways +
	               src->n_routes;

	if (total > VD_CLOUD_MAX_RECORDS)
		return -E2BIG;
	APPEND(dst->servers, dst->n_servers, src->servers, src->n_servers, source);
	APPEND(dst->gateways, dst->n_gateways, src->gateways, src->n_gateways, source);
	APPEND(dst->routes, dst->n_routes, src->routes, src->n_routes, source);
	if (src->partial && !dst->partial) {
		dst->partial = true;
		dst->partial_answer = src->partial_answer;
	}
	vd_cloud_set_free(src);
	src->partial = false;
	return 0;
}

const char *vd_cloud_error_format(const struct vd_cloud_error *e, char *buf, size_t len)
{
	if (e->field[0])
		snprintf(buf, len, "%s: %s", e->field, e->msg);
	else if (e->line)
		snprintf(buf, len, "line %u: %s", e->line, e->msg);
	else
		snprintf(buf, len, "%s", e->msg);
	return buf;
}

/* ---- matching ---- */

static bool addr_in(const char *a, const char *const *addrs, size_t n, const char **which)
{
	struct vd_prefix x, y;

	if (!a[0] || vd_addr_parse(a, &x) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (addrs[i] && vd_addr_parse(addrs[i], &y) == 0 && vd_prefix_equal(&x, &y)) {
			*which = addrs[i];
			return true;
		}
	return false;
}

static const struct vd_cloud_gateway *gateway_by_id(const struct vd_cloud_set *s, const char *id)
{
	const struct vd_cloud_gateway *best = NULL;

	for (size_t i = 0; id[0] && i < s->n_gateways; i++)
		if (strcmp(s->gateways[i].id, id) == 0 && (!best || s->gateways[i].source >= best->source))
			best = &s->gateways[i];
	return best;
}

static const struct vd_cloud_server *server_by_gateway(const struct vd_cloud_set *s, const char *id)
{
	const struct vd_cloud_server *best = NULL;

	for (size_t i = 0; id[0] && i < s->n_servers; i++)
		if (strcmp(s->servers[i].gateway_id, id) == 0 && (!best || s->servers[i].source >= best->source))
			best = &s->servers[i];
	return best;
}

bool vd_cloud_match(const struct vd_cloud_set *s, const char *const *addrs, size_t n_addrs, bool any_one,
                    struct vd_cloud_pick *ret)
{
	const struct vd_cloud_server *sv = NULL;
	const struct vd_cloud_gateway *gw = NULL;
	const char *which = NULL, *w;

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < s->n_servers; i++)
		if (addr_in(s->servers[i].internet_ip, addrs, n_addrs, &w) && (!sv || s->servers[i].source >= sv->source)) {
			sv = &s->servers[i];
			which = w;
		}
	if (sv) {
		gw = gateway_by_id(s, sv->gateway_id);
	} else {
		for (size_t i = 0; i < s->n_gateways; i++) {
			const struct vd_cloud_gateway *g = &s->gateways[i];
			if ((addr_in(g->internet_ip, addrs, n_addrs, &w) || addr_in(g->ssl_internet_ip, addrs, n_addrs, &w)) &&
			    (!gw || g->source >= gw->source)) {
				gw = g;
				which = w;
			}
		}
		if (gw)
			sv = server_by_gateway(s, gw->id);
	}
	if (!sv && !gw && any_one) {
		if (s->n_servers == 1) {
			sv = &s->servers[0];
			gw = gateway_by_id(s, sv->gateway_id);
		} else if (s->n_servers == 0 && s->n_gateways == 1) {
			gw = &s->gateways[0];
		}
	}
	if (!sv && !gw)
		return false;
	ret->server = sv;
	ret->gateway = gw;
	ret->addr = which;
	return true;
}

/* ---- the facts section ---- */

static const char ORIGIN_CLOUD[] = "cloud-facts";
static const char ORIGIN_DERIVED[] = "derived";

static cJSON *origin_map(cJSON *cloud)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(cloud, VDF_CLOUD_ORIGIN);

	if (cJSON_IsObject(o))
		return o;
	return cJSON_AddObjectToObject(cloud, VDF_CLOUD_ORIGIN);
}

/* key = item, unless cloud has key already (item is then freed). */
static int put(cJSON *cloud, const char *key, cJSON *item, const char *origin)
{
	cJSON *om;

	if (!item)
		return -ENOMEM;
	if (cJSON_GetObjectItemCaseSensitive(cloud, key)) {
		cJSON_Delete(item);
		return 0;
	}
	if (!(om = origin_map(cloud))) {
		cJSON_Delete(item);
		return -ENOMEM;
	}
	cJSON_AddItemToObject(cloud, key, item);
	cJSON_DeleteItemFromObjectCaseSensitive(om, key);
	return cJSON_AddStringToObject(om, key, origin) ? 0 : -ENOMEM;
}

static cJSON *date_of(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[16];

	if (!gmtime_r(&t, &tm))
		return NULL;
	strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
	return cJSON_CreateString(buf);
}

/* A string that is not "" (the records keep unknown strings as ""). */
#define PUT_STR(cloud, key, s) \
	((s)[0] ? put(cloud, key, cJSON_CreateString(s), ORIGIN_CLOUD) : 0)
#define PUT_NUM(cloud, key, n) \
	((n) >= 0 ? put(cloud, key, cJSON_CreateNumber((double)(n)), ORIGIN_CLOUD) : 0)

int vd_cloud_section(const struct vd_cloud_set *s, const struct vd_cloud_pick *pick, const char *const *files,
                     const int64_t *exported_at, size_t n_files, cJSON *cloud)
{
	const struct vd_cloud_server *sv = pick->server;
	const struct vd_cloud_gateway *gw = pick->gateway;
	const char *gw_id = gw ? gw->id : sv ? sv->gateway_id : "";
	unsigned used[3];
	size_t n_used = 0;
	int64_t newest = -1;
	cJSON *a;
	int r = 0;

	if (sv) {
		if ((r = PUT_STR(cloud, VDF_CLOUD_CLIENT_CIDR, sv->client_ip_pool)) < 0)
			return r;
		if (sv->has_local_subnet) {
			if (!(a = cJSON_CreateArray()))
				return -ENOMEM;
			for (size_t i = 0; i < sv->n_local_subnets; i++)
				cJSON_AddItemToArray(a, cJSON_CreateString(sv->local_subnets[i]));
			if ((r = put(cloud, VDF_CLOUD_LOCAL_NETWORKS, a, ORIGIN_CLOUD)) < 0)
				return r;
		}
		if ((r = PUT_NUM(cloud, VDF_CLOUD_MAX_CONNECTIONS, sv->max_connections)) < 0 ||
		    (r = PUT_NUM(cloud, VDF_CLOUD_CONNECTIONS, sv->connections)) < 0 ||
		    (r = PUT_STR(cloud, VDF_CLOUD_PROTO, sv->proto)) < 0 ||
		    (r = PUT_NUM(cloud, VDF_CLOUD_PORT, sv->port)) < 0 ||
		    (r = PUT_STR(cloud, VDF_CLOUD_CIPHER, sv->cipher)) < 0 ||
		    (r = PUT_STR(cloud, VDF_CLOUD_SSL_SERVER, sv->id)) < 0 ||
		    (r = PUT_STR(cloud, VDF_CLOUD_INTERNET_IP, sv->internet_ip)) < 0)
			return r;
		if (sv->compress >= 0 && (r = put(cloud, VDF_CLOUD_COMPRESS, cJSON_CreateBool(sv->compress), ORIGIN_CLOUD)) < 0)
			return r;
		if (sv->create_time_ms >= 0 &&
		    (r = put(cloud, VDF_CLOUD_SERVER_CREATED_ON, date_of(sv->create_time_ms), ORIGIN_CLOUD)) < 0)
			return r;
		used[n_used++] = sv->source;
	}
	if (gw) {
		if ((r = PUT_NUM(cloud, VDF_CLOUD_BANDWIDTH_MBPS, gw->spec_mbps)) < 0 ||
		    (r = PUT_NUM(cloud, VDF_CLOUD_MAX_CONNECTIONS, gw->ssl_max_connections)) < 0 ||
		    (r = PUT_STR(cloud, VDF_CLOUD_INTERNET_IP, gw->ssl_internet_ip[0] ? gw->ssl_internet_ip : gw->internet_ip)) < 0)
			return r;
		if (gw->create_time_ms >= 0 &&
		    (r = put(cloud, VDF_CLOUD_CREATED_ON, date_of(gw->create_time_ms), ORIGIN_CLOUD)) < 0)
			return r;
		if (gw->upgraded >= 0 &&
		    (r = put(cloud, VDF_CLOUD_GATEWAY_UPGRADED, cJSON_CreateBool(gw->upgraded), ORIGIN_CLOUD)) < 0)
			return r;
		used[n_used++] = gw->source;
	}
	if ((r = PUT_STR(cloud, VDF_CLOUD_GATEWAY, gw_id)) < 0)
		return r;
	/* The IPsec-VPN routes of the same gateway; the system's own routes
	 * (RouteEntryType System) are the gateway's, not an IPsec connection's. */
	if (gw_id[0]) {
		bool any = false;
		unsigned src = 0;

		for (size_t i = 0; i < s->n_routes; i++)
			if (strcmp(s->routes[i].gateway_id, gw_id) == 0) {
				any = true;
				src = s->routes[i].source;
			}
		if (any) {
			if (!(a = cJSON_CreateArray()))
				return -ENOMEM;
			for (size_t i = 0; i < s->n_routes; i++) {
				const struct vd_cloud_route *rt = &s->routes[i];
				bool dup = false;
				cJSON *it;

				if (strcmp(rt->gateway_id, gw_id) != 0 || strcmp(rt->type, "system") == 0)
					continue;
				cJSON_ArrayForEach(it, a)
					dup |= strcmp(it->valuestring, rt->dest) == 0;
				if (!dup)
					cJSON_AddItemToArray(a, cJSON_CreateString(rt->dest));
			}
			if ((r = put(cloud, VDF_CLOUD_IPSEC_ROUTES, a, ORIGIN_CLOUD)) < 0)
				return r;
			used[n_used++] = src;
		}
	}
	if (pick->addr && (r = put(cloud, VDF_CLOUD_REMOTE_ADDR, cJSON_CreateString(pick->addr), ORIGIN_CLOUD)) < 0)
		return r;
	/* where it came from */
	if (!(a = cJSON_CreateArray()))
		return -ENOMEM;
	for (size_t i = 0; i < n_used; i++) {
		bool dup = false;
		for (size_t j = 0; j < i; j++)
			dup |= used[j] == used[i];
		if (dup || used[i] >= n_files || !files[used[i]])
			continue;
		cJSON_AddItemToArray(a, cJSON_CreateString(files[used[i]]));
		if (exported_at && exported_at[used[i]] > newest)
			newest = exported_at[used[i]];
	}
	if ((r = put(cloud, VDF_CLOUD_FILES, a, ORIGIN_CLOUD)) < 0)
		return r;
	if (newest >= 0 && (r = put(cloud, VDF_CLOUD_EXPORTED_AT, cJSON_CreateNumber((double)newest), ORIGIN_CLOUD)) < 0)
		return r;
	return 0;
}

/* ---- derived ---- */

int vd_cloud_derive(cJSON *tunnel)
{
	const cJSON *ovpn = cJSON_GetObjectItemCaseSensitive(tunnel, VDF_TUNNEL_OPENVPN);
	const cJSON *rt = cJSON_GetObjectItemCaseSensitive(tunnel, VDF_TUNNEL_ROUTES);
	const cJSON *pushed = cJSON_GetObjectItemCaseSensitive(ovpn, VDF_OPENVPN_PUSHED);
	const cJSON *topo = cJSON_GetObjectItemCaseSensitive(pushed, VDF_PUSHED_TOPOLOGY);
	const cJSON *sub = cJSON_GetObjectItemCaseSensitive(rt, VDF_ROUTES_TUNNEL_SUBNET);
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(rt, VDF_SECTION_STATUS);
	cJSON *cloud, *df;
	struct vd_prefix p;
	char line[160];
	int r;

	if (!cJSON_IsObject(tunnel))
		return -EINVAL;
	/* topology subnet: every client's address is in one subnet, the pool, and
	 * the tun link carries its netmask (net30 and p2p give a /30 or a peer). */
	if (!cJSON_IsString(topo) || strcmp(topo->valuestring, "subnet") != 0 || !cJSON_IsString(sub) ||
	    !cJSON_IsString(st) || strcmp(st->valuestring, "ok") != 0 ||
	    vd_prefix_parse(sub->valuestring, false, &p) < 0 || p.family != AF_INET || p.len >= 30)
		return 0;
	cloud = cJSON_GetObjectItemCaseSensitive(tunnel, VDF_TUNNEL_CLOUD);
	if (!cloud && !(cloud = cJSON_AddObjectToObject(tunnel, VDF_TUNNEL_CLOUD)))
		return -ENOMEM;
	if (cJSON_GetObjectItemCaseSensitive(cloud, VDF_CLOUD_CLIENT_CIDR))
		return 0;
	if ((r = put(cloud, VDF_CLOUD_CLIENT_CIDR, cJSON_CreateString(sub->valuestring), ORIGIN_DERIVED)) < 0)
		return r;
	df = cJSON_GetObjectItemCaseSensitive(cloud, VDF_CLOUD_DERIVED_FROM);
	if (!cJSON_IsObject(df) && !(df = cJSON_AddObjectToObject(cloud, VDF_CLOUD_DERIVED_FROM)))
		return -ENOMEM;
	snprintf(line, sizeof(line), "the tunnel's subnet %s under the pushed topology subnet", sub->valuestring);
	return cJSON_AddStringToObject(df, VDF_CLOUD_CLIENT_CIDR, line) ? 0 : -ENOMEM;
}

/* Routes no wider than this are a VPC's; a wider one (a redirect-gateway's
 * half of the internet, a /4) says nothing about where the VPC is. */
#define DERIVED_ROUTE_MIN_V4 8
#define DERIVED_ROUTE_MIN_V6 32
#define DERIVED_NAMES_MAX 16 /* the dns probe's DNS_MAX_NAMES */
#define DERIVED_NAME_ADDRS 8 /* per name, the smallest: VD_DNS_ADDRS_MAX */

static bool in_list(const struct vd_prefix *a, const cJSON *list, bool host_bits, unsigned min4, unsigned min6)
{
	const cJSON *it;
	struct vd_prefix p;

	cJSON_ArrayForEach(it, list) {
		if (cJSON_IsString(it) && vd_prefix_parse(it->valuestring, host_bits, &p) == 0 &&
		    p.len >= (p.family == AF_INET ? min4 : min6) && vd_prefix_contains(&p, a))
			return true;
	}
	return false;
}

/* Never a target, whatever route covers it: no host of a VPC is there. */
static bool special_addr(const struct vd_prefix *a)
{
	const uint8_t *b = a->addr;

	if (a->family == AF_INET)
		return b[0] == 0 || b[0] == 127 || b[0] >= 224 || (b[0] == 169 && b[1] == 254);
	static const uint8_t zero[16];
	return memcmp(b, zero, 15) == 0 /* :: and ::1 */ || b[0] == 0xff || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

struct name_addrs {
	const char *name;
	struct {
		struct vd_prefix a;
		const char *server;
	} v[DERIVED_NAME_ADDRS];
	size_t n;
};

static int addr_cmp(const struct vd_prefix *x, const struct vd_prefix *y)
{
	if (x->family != y->family)
		return x->family == AF_INET ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

/* a into na's sorted set of at most DERIVED_NAME_ADDRS (the smallest kept). */
static void name_addr_add(struct name_addrs *na, const struct vd_prefix *a, const char *server)
{
	size_t i;

	for (i = 0; i < na->n; i++) {
		int d = addr_cmp(a, &na->v[i].a);
		if (d == 0)
			return;
		if (d < 0)
			break;
	}
	if (i == DERIVED_NAME_ADDRS)
		return;
	if (na->n == DERIVED_NAME_ADDRS)
		na->n--;
	memmove(&na->v[i + 1], &na->v[i], (na->n - i) * sizeof(na->v[0]));
	na->v[i].a = *a;
	na->v[i].server = server;
	na->n++;
}

static bool have(const struct vd_derived_target *out, size_t n, const char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(out[i].addr, addr) == 0)
			return true;
	return false;
}

/* The tunnel's own addresses (the client pool, its subnet, its two ends): the
 * client side of the VPN, not a host of the VPC, whatever route covers them. */
static bool tunnel_own(const cJSON *tunnel, const struct vd_prefix *a)
{
	const cJSON *ovpn = cJSON_GetObjectItemCaseSensitive(tunnel, VDF_TUNNEL_OPENVPN);
	const cJSON *rt = cJSON_GetObjectItemCaseSensitive(tunnel, VDF_TUNNEL_ROUTES);
	const cJSON *cloud = cJSON_GetObjectItemCaseSensitive(tunnel, VDF_TUNNEL_CLOUD);
	const cJSON *v[] = {
		cJSON_GetObjectItemCaseSensitive(ovpn, VDF_OPENVPN_LOCAL_IP),
		cJSON_GetObjectItemCaseSensitive(ovpn, VDF_OPENVPN_SERVER_IP),
		cJSON_GetObjectItemCaseSensitive(rt, VDF_ROUTES_TUNNEL_SUBNET),
		cJSON_GetObjectItemCaseSensitive(cloud, VDF_CLOUD_CLIENT_CIDR),
	};
	struct vd_prefix p;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (cJSON_IsString(v[i]) && vd_prefix_parse(v[i]->valuestring, true, &p) == 0 &&
		    vd_prefix_contains(&p, a))
			return true;
	return false;
}

static bool is_ok(const cJSON *section)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(section, VDF_SECTION_STATUS);
	return cJSON_IsString(st) && strcmp(st->valuestring, "ok") == 0;
}

size_t vd_cloud_derive_targets(const cJSON *tunnel, struct vd_derived_target *out, size_t max)
{
	const cJSON *ovpn = cJSON_GetObjectItemCaseSensitive(tunnel, VDF_TUNNEL_OPENVPN);
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(ovpn, VDF_OPENVPN_STATE);
	const cJSON *pushed = cJSON_GetObjectItemCaseSensitive(ovpn, VDF_OPENVPN_PUSHED), *it, *srv, *ans;
	const cJSON *rt = cJSON_GetObjectItemCaseSensitive(tunnel, VDF_TUNNEL_ROUTES);
	const cJSON *dns = cJSON_GetObjectItemCaseSensitive(tunnel, VDF_TUNNEL_DNS);
	const cJSON *routes = cJSON_GetObjectItemCaseSensitive(rt, VDF_ROUTES_PUSHED_ROUTES);
	const cJSON *lns = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(tunnel, VDF_TUNNEL_CLOUD),
	                                                    VDF_CLOUD_LOCAL_NETWORKS);
	struct name_addrs names[DERIVED_NAMES_MAX];
	size_t n = 0, n_names = 0;
	char text[48];

	/* what this session pushed: a tunnel that is down knows nothing of now */
	if (!cJSON_IsString(st) || strcmp(st->valuestring, "connected") != 0)
		return 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(pushed, VDF_PUSHED_DNS)) {
		struct vd_prefix a;

		if (n == max || !cJSON_IsString(it) || vd_addr_parse(it->valuestring, &a) < 0)
			continue;
		vd_prefix_format(&a, true, text, sizeof(text));
		if (have(out, n, text))
			continue;
		out[n] = (struct vd_derived_target){0};
		snprintf(out[n].addr, sizeof(out[n].addr), "%s", text);
		n++;
	}
	if (n == max || !is_ok(dns) || !is_ok(rt) || !cJSON_IsArray(routes))
		return n;
	if (lns && (!cJSON_IsArray(lns) || cJSON_GetArraySize(lns) == 0))
		lns = NULL;

	/* each name's addresses inside the tunnel, from the servers reached through it */
	cJSON_ArrayForEach(srv, cJSON_GetObjectItemCaseSensitive(dns, VDF_DNS_SERVERS)) {
		const cJSON *via = cJSON_GetObjectItemCaseSensitive(srv, VDF_DNS_SERVER_VIA_TUNNEL);
		const cJSON *addr = cJSON_GetObjectItemCaseSensitive(srv, VDF_DNS_SERVER_ADDR);

		if (!cJSON_IsTrue(via) || !cJSON_IsString(addr))
			continue;
		cJSON_ArrayForEach(ans, cJSON_GetObjectItemCaseSensitive(srv, VDF_DNS_SERVER_ANSWERS)) {
			struct name_addrs *na = NULL;

			if (!ans->string || !*ans->string || strlen(ans->string) > VD_CLOUD_DERIVED_NAME_MAX)
				continue;
			for (size_t i = 0; i < n_names && !na; i++)
				if (strcasecmp(names[i].name, ans->string) == 0)
					na = &names[i];
			if (!na) {
				if (n_names == DERIVED_NAMES_MAX)
					continue;
				na = &names[n_names++];
				na->name = ans->string;
				na->n = 0;
			}
			cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(ans, VDF_DNS_ANSWER_ADDRESSES)) {
				struct vd_prefix a;

				if (!cJSON_IsString(it) || vd_addr_parse(it->valuestring, &a) < 0 || special_addr(&a) ||
				    tunnel_own(tunnel, &a) ||
				    !in_list(&a, routes, true, DERIVED_ROUTE_MIN_V4, DERIVED_ROUTE_MIN_V6) ||
				    (lns && !in_list(&a, lns, true, 0, 0)))
					continue;
				name_addr_add(na, &a, addr->valuestring);
			}
		}
	}
	/* the names take turns: each one's smallest address, then the next */
	for (size_t round = 0; round < DERIVED_NAME_ADDRS && n < max; round++)
		for (size_t i = 0; i < n_names && n < max; i++) {
			if (round >= names[i].n)
				continue;
			vd_prefix_format(&names[i].v[round].a, true, text, sizeof(text));
			if (have(out, n, text))
				continue;
			out[n] = (struct vd_derived_target){0};
			snprintf(out[n].addr, sizeof(out[n].addr), "%s", text);
			snprintf(out[n].name, sizeof(out[n].name), "%s", names[i].name);
			snprintf(out[n].server, sizeof(out[n].server), "%s", names[i].v[round].server);
			n++;
		}
	return n;
}

int vd_cloud_derive_section(cJSON *tunnel)
{
	struct vd_derived_target v[VD_CLOUD_DERIVED_TARGETS_MAX];
	size_t n = vd_cloud_derive_targets(tunnel, v, VD_CLOUD_DERIVED_TARGETS_MAX);
	cJSON *der, *a, *from, *o;

	if (!n)
		return 0;
	if (!(der = cJSON_AddObjectToObject(tunnel, VDF_TUNNEL_DERIVED)) ||
	    !(a = cJSON_AddArrayToObject(der, VDF_DERIVED_TARGETS)) ||
	    !(from = cJSON_AddObjectToObject(der, VDF_DERIVED_TARGETS_FROM)))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		cJSON *s = cJSON_CreateString(v[i].addr);
		if (!s)
			return -ENOMEM;
		cJSON_AddItemToArray(a, s);
		if (!(o = cJSON_AddObjectToObject(from, v[i].addr)) ||
		    !cJSON_AddStringToObject(o, VDF_DERIVED_FROM_SOURCE, v[i].name[0] ? "names" : "pushed-dns") ||
		    (v[i].name[0] && (!cJSON_AddStringToObject(o, VDF_DERIVED_FROM_NAME, v[i].name) ||
		                      !cJSON_AddStringToObject(o, VDF_DERIVED_FROM_SERVER, v[i].server))))
			return -ENOMEM;
	}
	return 0;
}
