/* SNTP packet codec and the on-wire offset/delay formulas (RFC 5905 section 8). */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "vpndoctor/sntp.h"

#define NTP_MODE_CLIENT 3
#define NTP_MODE_SERVER 4
#define NTP_VERSION 4
#define NTP_LEAP_UNSYNC 3
#define NTP_MAX_STRATUM 15
#define TWO32 4294967296.0

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* NTP short format: 16.16 unsigned seconds. */
static double short_s(uint32_t v)
{
	return (double)v / 65536.0;
}

vd_ntp_ts vd_ntp_from_timespec(const struct timespec *ts)
{
	uint32_t sec = (uint32_t)((uint64_t)ts->tv_sec + VD_NTP_UNIX_DELTA);
	/* nsec * 2^32 / 1e9, rounded; < 2^32 for nsec < 1e9 */
	uint64_t frac = ((uint64_t)ts->tv_nsec * 4294967296ull + 500000000ull) / 1000000000ull;

	if (frac > UINT32_MAX)
		frac = UINT32_MAX;
	return (uint64_t)sec << 32 | frac;
}

void vd_ntp_to_timespec(vd_ntp_ts t, int64_t pivot, struct timespec *ret)
{
	uint32_t sec = (uint32_t)(t >> 32);
	uint32_t pivot_ntp = (uint32_t)((uint64_t)pivot + VD_NTP_UNIX_DELTA);
	/* The signed 32-bit distance from the pivot picks the era nearest to it. */
	int64_t unix_s = pivot + (int32_t)(sec - pivot_ntp);
	uint64_t ns = ((t & 0xffffffffull) * 1000000000ull + (1ull << 31)) >> 32;

	if (ns >= 1000000000ull) {
		ns -= 1000000000ull;
		unix_s++;
	}
	ret->tv_sec = (time_t)unix_s;
	ret->tv_nsec = (long)ns;
}

double vd_ntp_diff(vd_ntp_ts a, vd_ntp_ts b)
{
	return (double)(int64_t)(a - b) / TWO32;
}

int vd_sntp_request(uint8_t buf[VD_NTP_PACKET_LEN], vd_ntp_ts cookie)
{
	if (!buf || cookie == 0)
		return -EINVAL;
	memset(buf, 0, VD_NTP_PACKET_LEN);
	buf[0] = NTP_VERSION << 3 | NTP_MODE_CLIENT;
	put64(buf + 40, cookie);
	return 0;
}

enum vd_sntp_verdict vd_sntp_check(const uint8_t *buf, size_t len, vd_ntp_ts cookie, struct vd_sntp_reply *ret)
{
	struct vd_sntp_reply r;

	if (!buf || len < VD_NTP_PACKET_LEN)
		return VD_SNTP_SHORT;
	memset(&r, 0, sizeof(r));
	r.leap = buf[0] >> 6;
	r.version = (buf[0] >> 3) & 7;
	r.mode = buf[0] & 7;
	r.stratum = buf[1];
	r.poll = (int8_t)buf[2];
	r.precision = (int8_t)buf[3];
	r.root_delay_s = short_s(get32(buf + 4));
	r.root_dispersion_s = short_s(get32(buf + 8));
	r.refid = get32(buf + 12);
	r.reference = get64(buf + 16);
	r.origin = get64(buf + 24);
	r.receive = get64(buf + 32);
	r.transmit = get64(buf + 40);
	if (r.stratum == 0) {
		/* The kiss code is four ASCII characters; anything else is shown as '?'. */
		for (int i = 0; i < 4; i++) {
			uint8_t c = buf[12 + i];
			r.kiss[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		}
	}
	if (ret)
		*ret = r;

	if (r.mode != NTP_MODE_SERVER)
		return VD_SNTP_BAD_MODE;
	if (r.version < 1 || r.version > 4)
		return VD_SNTP_BAD_VERSION;
	if (cookie == 0 || r.origin != cookie)
		return VD_SNTP_BAD_ORIGIN;
	if (r.stratum == 0)
		return VD_SNTP_KOD;
	if (r.leap == NTP_LEAP_UNSYNC)
		return VD_SNTP_UNSYNC;
	if (r.stratum > NTP_MAX_STRATUM)
		return VD_SNTP_BAD_STRATUM;
	if (r.receive == 0 || r.transmit == 0)
		return VD_SNTP_ZERO_TIME;
	if (r.root_delay_s / 2 + r.root_dispersion_s >= VD_SNTP_MAX_ROOT_DISTANCE_S)
		return VD_SNTP_BAD_ROOT;
	return VD_SNTP_OK;
}

const char *vd_sntp_verdict_name(enum vd_sntp_verdict v)
{
	static const char *const names[] = {
		[VD_SNTP_OK] = "ok",
		[VD_SNTP_SHORT] = "short",
		[VD_SNTP_BAD_MODE] = "bad-mode",
		[VD_SNTP_BAD_VERSION] = "bad-version",
		[VD_SNTP_BAD_ORIGIN] = "bad-origin",
		[VD_SNTP_KOD] = "kod",
		[VD_SNTP_UNSYNC] = "unsynchronised",
		[VD_SNTP_BAD_STRATUM] = "bad-stratum",
		[VD_SNTP_ZERO_TIME] = "zero-timestamp",
		[VD_SNTP_BAD_ROOT] = "bad-root-distance",
	};

	if ((unsigned)v >= sizeof(names) / sizeof(names[0]) || !names[v])
		return "invalid";
	return names[v];
}

enum vd_sntp_kod_action vd_sntp_kod_action(const char *kiss)
{
	if (!kiss)
		return VD_SNTP_KOD_IGNORE;
	if (strcmp(kiss, "DENY") == 0 || strcmp(kiss, "RSTR") == 0)
		return VD_SNTP_KOD_STOP;
	if (strcmp(kiss, "RATE") == 0)
		return VD_SNTP_KOD_SLOW;
	return VD_SNTP_KOD_IGNORE;
}

void vd_sntp_sample(vd_ntp_ts t1, vd_ntp_ts t2, vd_ntp_ts t3, vd_ntp_ts t4, struct vd_sntp_sample *ret)
{
	/* Each difference on its own (era-safe), summed as doubles so that two
	 * large differences cannot overflow 64 bits. */
	double a = vd_ntp_diff(t2, t1), b = vd_ntp_diff(t3, t4);
	double rtt = vd_ntp_diff(t4, t1), server = vd_ntp_diff(t3, t2);

	ret->offset_s = (a + b) / 2;
	ret->delay_s = rtt - server;
	/* A negative round trip or server time is no measurement: a clock was
	 * stepped between the timestamps, or the server's are made up. */
	ret->valid = rtt >= 0 && server >= 0 && ret->delay_s >= 0 && isfinite(ret->offset_s);
}

size_t vd_sntp_best(const struct vd_sntp_sample *v, size_t n)
{
	size_t best = n;

	for (size_t i = 0; v && i < n; i++)
		if (v[i].valid && (best == n || v[i].delay_s < v[best].delay_s))
			best = i;
	return best;
}
