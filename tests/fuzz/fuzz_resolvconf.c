/* libFuzzer target for lib/resolvconf.c: any bytes as a resolv.conf, and as
 * a reply to a fixed query (the first byte picks the query's type). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vpndoctor/resolvconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vd_resolvconf rc;
	struct vd_dns_reply r;
	uint8_t q[VD_DNS_QUERY_MAX];
	size_t qn;
	int ret;

	ret = vd_resolvconf_parse((const char *)data, size, &rc);
	if (ret != 0 && ret != -E2BIG)
		abort();
	if (rc.n_ns > VD_RESOLVCONF_MAX_NS || rc.n_search > VD_RESOLVCONF_MAX_SEARCH || rc.ndots > 15 ||
	    rc.timeout_s > 30 || rc.attempts > 5)
		abort();
	for (size_t i = 0; i < rc.n_ns; i++)
		if ((rc.ns[i].family != AF_INET && rc.ns[i].family != AF_INET6) ||
		    strnlen(rc.ns[i].text, sizeof(rc.ns[i].text)) == sizeof(rc.ns[i].text) ||
		    strnlen(rc.ns[i].scope, sizeof(rc.ns[i].scope)) == sizeof(rc.ns[i].scope))
			abort();
	for (size_t i = 0; i < rc.n_search; i++)
		if (strlen(rc.search[i]) == 0 || strlen(rc.search[i]) > VD_DNS_NAME_MAX + 1)
			abort();

	if (vd_dns_query_build(0x4142, "db.vpc.internal", size && (data[0] & 1) ? VD_DNS_TYPE_SOA : VD_DNS_TYPE_A,
	                       q, sizeof(q), &qn) < 0)
		abort();
	ret = vd_dns_reply_parse(q, qn, data, size, &r);
	if (ret == 0) {
		if (r.rcode > 15 || r.id != 0x4142 || (r.truncated && r.answers) || r.answers > 0xffff)
			abort();
		if (strlen(vd_dns_result_name(vd_dns_reply_result(&r))) == 0)
			abort();
	} else if (ret != -EBADMSG && ret != -EPROTO) {
		abort();
	}
	return 0;
}
