/* libFuzzer target for lib/icmp.c: the first byte picks IPv4 with or
 * without the IP header or IPv6, and whether the id is checked; the rest is
 * one received packet, and also a ping socket's error-queue message whose
 * type, code and info come from its first bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpndoctor/icmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sane(const struct vd_icmp_result *r, size_t size)
{
	if (r->kind == VD_ICMP_ECHO_REPLY && (!r->cookie_checked || !r->has_sent_ns ||
					      r->size < VD_ICMP_ECHO_MIN || r->size > size))
		abort();
	if (r->mtu && r->kind != VD_ICMP_TOO_BIG)
		abort();
	if (strcmp(vd_icmp_kind_name(r->kind), "unknown") == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vd_icmp_match m = {.id = 0x1234};
	struct vd_icmp_result r;
	bool with_ip;

	if (size < 1)
		return 0;
	memcpy(m.cookie, "0123456789abcdef", sizeof(m.cookie));
	m.v6 = (data[0] & 3) == 2;
	with_ip = (data[0] & 3) == 1;
	m.check_id = !(data[0] & 4);
	data++;
	size--;
	if (vd_icmp_parse(&m, with_ip, data, size, &r) != 0)
		abort();
	sane(&r, size);
	if (size >= 6) {
		uint32_t info = (uint32_t)data[2] << 24 | (uint32_t)data[3] << 16 |
				(uint32_t)data[4] << 8 | data[5];

		if (vd_icmp_parse_errqueue(&m, data[0], data[1], info, data + 6, size - 6, &r) != 0)
			abort();
		sane(&r, size);
	}
	return 0;
}
