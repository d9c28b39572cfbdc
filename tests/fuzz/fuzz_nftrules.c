/* libFuzzer target for lib/nftrules.c: the input is an `nft -j list ruleset`
 * document; the first byte picks IPv4 or IPv6 and the input link (tun0, lo,
 * eth0), so jumps, sets, ranges and wildcards all see packets. */
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vpndoctor/nftrules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const devs[] = {"tun0", "lo", "eth0", "tun1"};
	struct vd_nft_packet p;
	struct vd_nft_result r;
	int rc;

	if (size < 1)
		return 0;
	memset(&p, 0, sizeof(p));
	p.family = data[0] & 1 ? AF_INET6 : AF_INET;
	strcpy(p.iifname, devs[(data[0] >> 1) & 3]);
	memcpy(p.saddr, p.family == AF_INET ? "\xac\x10\x01\x0a" : "\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0a", p.family == AF_INET ? 4 : 16);
	memcpy(p.daddr, p.family == AF_INET ? "\x0a\x08\x00\x06" : "\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x06", p.family == AF_INET ? 4 : 16);
	p.icmp_type = p.family == AF_INET ? 8 : 128;
	rc = vd_nft_eval((const char *)data + 1, size - 1, &p, &r);
	if (rc == 0) {
		if (!memchr(r.text, '\0', sizeof(r.text)) || !memchr(r.reason, '\0', sizeof(r.reason)))
			abort();
		/* a blocking verdict always names where; an unknown one says why */
		if ((r.verdict == VD_NFT_DROP || r.verdict == VD_NFT_REJECT) && !r.text[0])
			abort();
		if (r.verdict == VD_NFT_UNKNOWN && !r.reason[0])
			abort();
		if (r.verdict == VD_NFT_ACCEPT && r.reason[0])
			abort();
	} else if (rc != -EINVAL && rc != -ENOMEM) {
		abort();
	}
	(void)vd_nft_count_tables((const char *)data + 1, size - 1);
	return 0;
}
