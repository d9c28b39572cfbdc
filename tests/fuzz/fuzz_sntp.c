/* libFuzzer target for lib/sntp.c: any datagram judged as a reply, and its
 * timestamps run through the conversions and formulas. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpndoctor/sntp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vd_sntp_reply r;
	struct vd_sntp_sample s[2];
	struct timespec ts;
	enum vd_sntp_verdict v;
	vd_ntp_ts cookie = 0;

	/* An odd 49th byte makes the cookie match the origin field, so that the
	 * checks after the origin one are reached; otherwise the cookie is fixed. */
	if (size > VD_NTP_PACKET_LEN && (data[VD_NTP_PACKET_LEN] & 1)) {
		for (int i = 24; i < 32; i++)
			cookie = cookie << 8 | data[i];
	} else {
		cookie = 0x0123456789abcdefull;
	}
	v = vd_sntp_check(data, size, cookie, &r);
	if (strlen(vd_sntp_verdict_name(v)) == 0 || strcmp(vd_sntp_verdict_name(v), "invalid") == 0)
		abort();
	if (size < VD_NTP_PACKET_LEN) {
		if (v != VD_SNTP_SHORT)
			abort();
		return 0;
	}
	if (strnlen(r.kiss, sizeof(r.kiss)) == sizeof(r.kiss))
		abort();
	if (v == VD_SNTP_OK && (r.mode != 4 || r.stratum == 0 || r.stratum > 15 || r.leap == 3 || r.origin != cookie))
		abort();
	if (v == VD_SNTP_KOD)
		(void)vd_sntp_kod_action(r.kiss);

	vd_ntp_to_timespec(r.transmit, (int64_t)(int32_t)(r.reference >> 32) * 64, &ts);
	if (ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		abort();
	/* Conversions round-trip the seconds of the era. */
	{
		/* Equal seconds, or one more when the fraction rounded up to a
		 * whole second (modulo the era: 0xffffffff.ffffffff becomes 0). */
		uint32_t back = (uint32_t)(vd_ntp_from_timespec(&ts) >> 32), sec = (uint32_t)(r.transmit >> 32);
		if (back != sec && back != (uint32_t)(sec + 1))
			abort();
	}
	vd_sntp_sample(r.reference, r.receive, r.transmit, r.origin, &s[0]);
	vd_sntp_sample(r.origin, r.receive, r.transmit, r.reference, &s[1]);
	for (int i = 0; i < 2; i++)
		if (s[i].valid && (!isfinite(s[i].offset_s) || s[i].delay_s < 0))
			abort();
	size_t b = vd_sntp_best(s, 2);
	if (b > 2 || (b < 2 && !s[b].valid))
		abort();
	return 0;
}
