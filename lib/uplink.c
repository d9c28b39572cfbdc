/* See vpndoctor/uplink.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "vpndoctor/facts.h"
#include "vpndoctor/uplink.h"

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

static const cJSON *measured(const cJSON *routes)
{
	const char *st = str(routes, VDF_SECTION_STATUS);
	return st && strcmp(st, "ok") == 0 ? routes : NULL;
}

static int put(char *buf, size_t len, int n)
{
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int vd_uplink_network(const cJSON *routes, char *buf, size_t len)
{
	const cJSON *rt = measured(routes), *gw, *it;
	const char *dev, *hop, *subnet = NULL;

	if (!buf || !len)
		return -EINVAL;
	gw = rt ? cJSON_GetObjectItemCaseSensitive(rt, VDF_ROUTES_GATEWAY) : NULL;
	dev = str(gw, VDF_LOOKUP_DEV);
	hop = str(gw, VDF_LOOKUP_GATEWAY);
	if (!dev || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(gw, VDF_LOOKUP_VIA_TUNNEL)))
		return -ENOENT;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(rt, VDF_ROUTES_LOCAL_SUBNETS)) {
		const char *d = str(it, VDF_SUBNET_DEV), *p = str(it, VDF_SUBNET_PREFIX);
		/* the first IPv4 subnet of the link, if it has one (an IPv6 link-local
		 * prefix is on every link and names no network) */
		if (d && p && strcmp(d, dev) == 0 && (!subnet || (strchr(subnet, ':') && !strchr(p, ':'))))
			subnet = p;
	}
	/* a link not (yet) listed with its subnet: the network is not known,
	 * rather than named another way than it will be a moment later */
	if (!subnet)
		return -ENOENT;
	if (hop)
		return put(buf, len, snprintf(buf, len, "%s via %s", subnet, hop));
	return put(buf, len, snprintf(buf, len, "%s", subnet));
}

int vd_uplink_fingerprint(const cJSON *routes, char *buf, size_t len)
{
	const cJSON *rt = measured(routes), *gw;
	char net[VD_UPLINK_LEN];
	const char *dev, *hop;

	if (!buf || !len)
		return -EINVAL;
	gw = rt ? cJSON_GetObjectItemCaseSensitive(rt, VDF_ROUTES_GATEWAY) : NULL;
	if (!cJSON_IsObject(gw))
		return -ENOENT;
	dev = str(gw, VDF_LOOKUP_DEV);
	hop = str(gw, VDF_LOOKUP_GATEWAY);
	if (!dev)
		return put(buf, len, snprintf(buf, len, "no route"));
	if (vd_uplink_network(rt, net, sizeof(net)) == 0)
		return put(buf, len, snprintf(buf, len, "%s dev %s", net, dev));
	/* through the tunnel, or a link whose subnet is not listed yet */
	if (hop)
		return put(buf, len, snprintf(buf, len, "via %s dev %s", hop, dev));
	return put(buf, len, snprintf(buf, len, "dev %s", dev));
}
