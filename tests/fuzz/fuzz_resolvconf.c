/* libFuzzer target for lib/resolvconf.c: any bytes as a resolv.conf, and as
 * a reply to each of three fixed queries (A, AAAA, SOA of one name): its
 * result and the addresses it keeps (hostile: pointer loops, CNAME chains). */
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

	/* the reply matches at most one of the queries: the question holds the type */
	static const uint16_t types[] = {VD_DNS_TYPE_A, VD_DNS_TYPE_AAAA, VD_DNS_TYPE_SOA};
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		if (vd_dns_query_build(0x4142, "db.vpc.internal", types[t], q, sizeof(q), &qn) < 0)
			abort();
		ret = vd_dns_reply_parse(q, qn, data, size, &r);
		if (ret == -EBADMSG || ret == -EPROTO)
			continue;
		if (ret != 0 || r.rcode > 15 || r.id != 0x4142 || (r.truncated && r.answers) || r.answers > 0xffff)
			abort();
		if (strlen(vd_dns_result_name(vd_dns_reply_result(&r))) == 0)
			abort();
		/* addresses: only of a whole NOERROR reply, of the type asked, bounded,
		 * strictly ascending (no duplicate), and no more than the records */
		if (r.n_addrs > VD_DNS_ADDRS_MAX || (r.n_addrs && (r.truncated || r.rcode != 0)) ||
		    r.n_addrs + r.addrs_dropped > r.answers || (r.addrs_dropped && r.n_addrs != VD_DNS_ADDRS_MAX))
			abort();
		for (size_t i = 0; i < r.n_addrs; i++) {
			if (r.addrs[i].family != (types[t] == VD_DNS_TYPE_A ? AF_INET : AF_INET6) ||
			    (i && memcmp(r.addrs[i - 1].addr, r.addrs[i].addr, 16) >= 0))
				abort();
			if (r.addrs[i].family == AF_INET)
				for (size_t k = 4; k < 16; k++)
					if (r.addrs[i].addr[k])
						abort();
		}
		if (types[t] == VD_DNS_TYPE_SOA && r.n_addrs)
			abort();
	}
	return 0;
}
