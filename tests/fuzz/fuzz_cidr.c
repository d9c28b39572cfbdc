/* libFuzzer target for lib/cidr.c: parse each half of the input, then run every
 * operation on the results and check the invariants that must always hold. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpndoctor/cidr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_one(const struct vd_prefix *p)
{
	char buf[VD_PREFIX_STRLEN], small[9];
	struct vd_prefix q;

	vd_prefix_format(p, true, small, sizeof(small));
	/* Formatting and parsing again gives the same prefix. */
	vd_prefix_format(p, false, buf, sizeof(buf));
	if (vd_prefix_parse(buf, false, &q) != 0 || !vd_prefix_equal(p, &q))
		abort();
	if (!vd_prefix_contains(p, p) || !vd_prefix_overlaps(p, p))
		abort();
	uint64_t n = vd_prefix_count(p), c = vd_prefix_client_capacity(p);
	if (n == 0 || (n != UINT64_MAX && c != n / 4))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char a[128], b[128];
	struct vd_prefix pa, pb;
	const uint8_t *split;
	size_t na, nb;

	if (size > 256)
		return 0;
	/* Two strings separated by the first newline. */
	split = memchr(data, '\n', size);
	na = split ? (size_t)(split - data) : size;
	nb = split ? size - na - 1 : 0;
	if (na >= sizeof(a) || nb >= sizeof(b))
		return 0;
	memcpy(a, data, na);
	a[na] = '\0';
	memcpy(b, split ? split + 1 : data, nb);
	b[nb] = '\0';

	bool ha = vd_prefix_parse(a, true, &pa) == 0;
	bool hb = vd_prefix_parse(b, true, &pb) == 0;
	if (ha)
		check_one(&pa);
	if (hb)
		check_one(&pb);
	if (ha && hb) {
		bool ab = vd_prefix_contains(&pa, &pb), ba = vd_prefix_contains(&pb, &pa);
		if (vd_prefix_overlaps(&pa, &pb) != (ab || ba))
			abort();
		if (vd_prefix_equal(&pa, &pb) != (ab && ba))
			abort();
	}
	/* The netmask form, with the two halves as network and mask. */
	struct vd_prefix m;
	if (vd_prefix_parse_netmask(a, b, &m) == 0) {
		if (m.family != AF_INET)
			abort();
		check_one(&m);
	}
	if (vd_addr_parse(a, &m) == 0 && m.len != (m.family == AF_INET ? 32u : 128u))
		abort();
	return 0;
}
