/* SNTP (RFC 4330, RFC 5905) client packets: build a mode-3 request, judge a
 * server's reply against it, and turn T1..T4 into offset and delay. Pure: no I/O. */
#ifndef VPNDOCTOR_SNTP_H
#define VPNDOCTOR_SNTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define VD_NTP_PACKET_LEN 48
#define VD_NTP_PORT 123
/* Seconds from 1900-01-01 (NTP era 0) to 1970-01-01. */
#define VD_NTP_UNIX_DELTA 2208988800u
/* RFC 5905 MAXDISP: a server whose root distance (root delay / 2 + root
 * dispersion) reaches this says it does not know the time. */
#define VD_SNTP_MAX_ROOT_DISTANCE_S 16.0

/* NTP timestamps are 32.32 fixed point seconds since the start of the
 * current era (era 0 began 1900, era 1 begins 2036-02-07 06:28:16 UTC). */
typedef uint64_t vd_ntp_ts;

/* The NTP timestamp of a Unix time (the era is dropped, as on the wire). */
vd_ntp_ts vd_ntp_from_timespec(const struct timespec *ts);
/* The Unix time of an NTP timestamp, in the era that puts it within 68 years
 * of pivot (Unix seconds; the local clock is a fine pivot). */
void vd_ntp_to_timespec(vd_ntp_ts t, int64_t pivot, struct timespec *ret);
/* a - b in seconds, era-safe while they are within 68 years of each other
 * (RFC 5905 section 6: differences are taken modulo 2^64, signed). */
double vd_ntp_diff(vd_ntp_ts a, vd_ntp_ts b);

/* A client request: LI 0, version 4, mode 3, every field zero but the
 * transmit timestamp, which is cookie. The probe uses a random 64-bit cookie,
 * not its clock (draft-ietf-ntp-data-minimization): it keeps T1 itself, the
 * request leaks nothing about the local clock, and an off-path forger must
 * guess 64 bits, not the few low bits RFC 5905 suggests randomising.
 * cookie must not be 0 (a reply's origin of 0 means "none"). */
int vd_sntp_request(uint8_t buf[VD_NTP_PACKET_LEN], vd_ntp_ts cookie);

enum vd_sntp_verdict {
	VD_SNTP_OK = 0,
	VD_SNTP_SHORT,       /* fewer than 48 bytes */
	VD_SNTP_BAD_MODE,    /* not mode 4 (a broadcast, mode 5, is no reply to us) */
	VD_SNTP_BAD_VERSION, /* version not 1..4 */
	VD_SNTP_BAD_ORIGIN,  /* origin != our cookie: stale, duplicated or forged */
	VD_SNTP_KOD,         /* stratum 0: Kiss-o'-Death, code in kiss */
	VD_SNTP_UNSYNC,      /* leap indicator 3: the server's clock is not synchronised */
	VD_SNTP_BAD_STRATUM, /* stratum 16 and up: unsynchronised or reserved */
	VD_SNTP_ZERO_TIME,   /* receive or transmit timestamp is 0 */
	VD_SNTP_BAD_ROOT,    /* root distance >= VD_SNTP_MAX_ROOT_DISTANCE_S */
};

struct vd_sntp_reply {
	unsigned leap, version, mode, stratum;
	int poll, precision;                  /* log2 seconds */
	double root_delay_s, root_dispersion_s;
	uint32_t refid;
	char kiss[5];                         /* stratum 0: the ASCII kiss code ("RATE"), NUL-ended */
	vd_ntp_ts reference, origin, receive, transmit;
};

/* Judges buf as the reply to the request carrying cookie. ret is filled
 * whenever len >= 48 (so a KoD's code can be read). The origin is checked
 * before the kiss code, so that a forged KoD cannot silence a server
 * (CVE-2015-7704). */
enum vd_sntp_verdict vd_sntp_check(const uint8_t *buf, size_t len, vd_ntp_ts cookie, struct vd_sntp_reply *ret);
/* "ok", "short", "bad-mode", "bad-version", "bad-origin", "kod", "unsynchronised",
 * "bad-stratum", "zero-timestamp", "bad-root-distance". */
const char *vd_sntp_verdict_name(enum vd_sntp_verdict v);

/* What RFC 5905 section 7.4 tells a client to do with a kiss code. */
enum vd_sntp_kod_action {
	VD_SNTP_KOD_IGNORE, /* any other code: drop the packet, keep asking */
	VD_SNTP_KOD_STOP,   /* DENY, RSTR: stop sending to this server */
	VD_SNTP_KOD_SLOW,   /* RATE: poll this server less often */
};
enum vd_sntp_kod_action vd_sntp_kod_action(const char *kiss);

/* One measurement: T1 (client send, local clock), T2 (server receive), T3
 * (server send), T4 (client receive, local clock). */
struct vd_sntp_sample {
	bool valid;
	double offset_s; /* ((T2 - T1) + (T3 - T4)) / 2: server minus local */
	double delay_s;  /* (T4 - T1) - (T3 - T2): the round trip minus server time */
};

/* RFC 5905's on-wire formulas. */
void vd_sntp_sample(vd_ntp_ts t1, vd_ntp_ts t2, vd_ntp_ts t3, vd_ntp_ts t4, struct vd_sntp_sample *ret);
/* The index of the valid sample with the least delay (the one least
 * disturbed by queueing: its offset error is at most delay / 2), or n when
 * none is valid. */
size_t vd_sntp_best(const struct vd_sntp_sample *v, size_t n);

#endif
