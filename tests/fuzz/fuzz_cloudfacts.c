/* libFuzzer target for lib/cloudfacts.c: any bytes as a cloud facts file;
 * what parses is matched to two addresses and written as a cloud section,
 * which must satisfy the facts definition. The same bytes as a tunnel's facts
 * for the targets derived from them (vd_cloud_derive_targets): bounded,
 * addresses, no duplicate, each with where it comes from. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "vpndoctor/cidr.h"
#include "vpndoctor/cloudfacts.h"
#include "vpndoctor/facts.h"

static void derive(const uint8_t *data, size_t size)
{
	cJSON *t = cJSON_ParseWithLength((const char *)data, size);
	struct vd_derived_target v[VD_CLOUD_DERIVED_TARGETS_MAX];
	const cJSON *der, *from;
	struct vd_prefix p;
	size_t n;

	if (!t)
		return;
	n = vd_cloud_derive_targets(t, v, VD_CLOUD_DERIVED_TARGETS_MAX);
	if (n > VD_CLOUD_DERIVED_TARGETS_MAX)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (vd_addr_parse(v[i].addr, &p) < 0 || strnlen(v[i].name, sizeof(v[i].name)) == sizeof(v[i].name) ||
		    strnlen(v[i].server, sizeof(v[i].server)) == sizeof(v[i].server))
			abort();
		for (size_t k = 0; k < i; k++)
			if (strcmp(v[k].addr, v[i].addr) == 0)
				abort();
	}
	if (cJSON_IsObject(t) && !cJSON_GetObjectItemCaseSensitive(t, VDF_TUNNEL_DERIVED)) {
		if (vd_cloud_derive_section(t) < 0)
			abort();
		der = cJSON_GetObjectItemCaseSensitive(t, VDF_TUNNEL_DERIVED);
		from = cJSON_GetObjectItemCaseSensitive(der, VDF_DERIVED_TARGETS_FROM);
		if ((size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(der, VDF_DERIVED_TARGETS)) != n ||
		    (size_t)cJSON_GetArraySize(from) != n)
			abort();
	}
	cJSON_Delete(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const addrs[] = {"203.0.113.7", "2001:db8::7"};
	static const char *const files[] = {"fuzz.json"};
	static const int64_t at[] = {1795000000};
	struct vd_cloud_set s, all = {0};
	struct vd_cloud_error err;
	struct vd_cloud_pick pk;
	char buf[400];
	int r;

	derive(data, size);
	r = vd_cloud_parse((const char *)data, size, &s, &err);
	vd_cloud_error_format(&err, buf, sizeof(buf));
	if (r < 0) {
		if ((r != -EINVAL && r != -E2BIG && r != -ENOMEM) || s.n_servers || s.n_gateways || s.n_routes)
			abort();
		return 0;
	}
	if (s.n_servers + s.n_gateways + s.n_routes > VD_CLOUD_MAX_RECORDS)
		abort();
	for (size_t i = 0; i < s.n_servers; i++)
		if (s.servers[i].n_local_subnets > VD_CLOUD_MAX_LOCAL || (s.servers[i].proto[0] &&
		    strcmp(s.servers[i].proto, "udp") != 0 && strcmp(s.servers[i].proto, "tcp") != 0))
			abort();
	if (vd_cloud_set_merge(&all, &s, 0) < 0)
		abort();
	for (int any = 0; any < 2; any++) {
		cJSON *facts, *t, *cloud;
		size_t nv;

		if (!vd_cloud_match(&all, addrs, 2, any, &pk))
			continue;
		facts = cJSON_CreateObject();
		cJSON_AddNumberToObject(facts, "now", 1795770000);
		t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "name", "x");
		cloud = cJSON_AddObjectToObject(t, "cloud");
		cJSON_AddItemToArray(cJSON_AddArrayToObject(facts, "tunnels"), t);
		if (vd_cloud_section(&all, &pk, files, at, 1, cloud) < 0)
			abort();
		if (vd_facts_validate(facts, NULL, 0, &nv) < 0 || nv != 0)
			abort();
		cJSON_Delete(facts);
	}
	vd_cloud_set_free(&all);
	return 0;
}
