/* The timeline's pure parts: one record per tunnel and period (a minute on
 * disk, a second in a recording), its fixed 128-byte encoding with a CRC, the
 * file's header and name, merging records into coarser periods, and a record
 * as the JSON sample GetTimeline and Record send. No I/O: daemon/tlfile.c
 * keeps the ring of records on disk, daemon/timeline.c fills them. */
#ifndef VPNDOCTOR_TIMELINE_H
#define VPNDOCTOR_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

/* The file: a 4 KiB header, then VD_TL_SLOTS records of VD_TL_REC_SIZE
 * bytes, record seq in slot seq % VD_TL_SLOTS: seven days of minutes,
 * 1,294,336 bytes. Records never straddle a 4 KiB page. */
#define VD_TL_REC_SIZE    128
#define VD_TL_HEADER_SIZE 4096
#define VD_TL_PERIOD      60
#define VD_TL_DAYS        7
#define VD_TL_SLOTS       (VD_TL_DAYS * 24 * 3600 / VD_TL_PERIOD)
#define VD_TL_FILE_SIZE   ((size_t)VD_TL_HEADER_SIZE + (size_t)VD_TL_SLOTS * VD_TL_REC_SIZE)
#define VD_TL_VERSION     1
/* A tunnel name as the header keeps it (names are at most 36 bytes today). */
#define VD_TL_NAME_MAX    64
/* "timeline." and the name with every byte outside [A-Za-z0-9._@-] as %XX. */
#define VD_TL_FILE_PREFIX "timeline."
#define VD_TL_FILE_NAME_MAX (sizeof(VD_TL_FILE_PREFIX) + 3 * VD_TL_NAME_MAX)

/* What openvpn said of the tunnel, and the tunnel's health, when the period
 * ended (the last known one). */
enum vd_tl_state {
	VD_TL_STATE_UNKNOWN = 0,
	VD_TL_STATE_CONNECTED,
	VD_TL_STATE_CONNECTING,
	VD_TL_STATE_RECONNECTING,
	VD_TL_STATE_EXITED,
	VD_TL_STATE_ABSENT,
	VD_TL_STATE_N
};
enum vd_tl_health {
	VD_TL_HEALTH_UNKNOWN = 0,
	VD_TL_HEALTH_HEALTHY,
	VD_TL_HEALTH_DEGRADED,
	VD_TL_HEALTH_BROKEN,
	VD_TL_HEALTH_N
};
const char *vd_tl_state_name(enum vd_tl_state s);   /* "connected", ... "unknown" */
enum vd_tl_state vd_tl_state_parse(const char *s);  /* unknown for anything else */
const char *vd_tl_health_name(enum vd_tl_health h);
enum vd_tl_health vd_tl_health_parse(const char *s);

/* Echoes over a period: counts (at most 65535 each on disk) and round trips
 * in ms; NAN where nothing was measured. */
struct vd_tl_echo {
	uint32_t sent, received;
	float rtt_min_ms, rtt_median_ms, rtt_p95_ms, jitter_ms;
};

struct vd_tl_rec {
	uint64_t seq;           /* 1, 2, ...: the order written; 0 in no record */
	int64_t time;           /* epoch seconds the period starts */
	uint32_t period_s;      /* 60 on disk, 1 in a recording */
	uint32_t periods;       /* records merged into this one (1 as written) */
	uint8_t state, health;  /* enum vd_tl_state, enum vd_tl_health */
	struct vd_tl_echo inside;   /* ping: echoes the client sends through the tunnel */
	struct vd_tl_echo outside;  /* path: echoes to the gateway outside the tunnel */
	uint32_t reflected_sent, reflected_received; /* reflector: echoes the VPC sends back */
	float handshake_ms;     /* the tunnel's own transport's handshake */
	float clock_offset_s;   /* NTP's time minus ours */
	float rx_mbps, tx_mbps, rx_peak_mbps, tx_peak_mbps;
};

/* Every value unmeasured (NAN, counts 0), state and health unknown. */
void vd_tl_rec_init(struct vd_tl_rec *r);
/* True when nothing but state and health is in it. */
bool vd_tl_rec_empty(const struct vd_tl_rec *r);

/* Little-endian, floats as IEEE 754 binary32, a CRC-32 of the first 124
 * bytes in the last 4; counts past 65535 are stored as 65535. */
void vd_tl_rec_encode(const struct vd_tl_rec *r, uint8_t out[VD_TL_REC_SIZE]);
/* 0; -ENOENT for a slot never written (all zeros, or seq 0); -EBADMSG when
 * the CRC or a field is wrong (a torn or foreign write). */
int vd_tl_rec_decode(const uint8_t in[VD_TL_REC_SIZE], struct vd_tl_rec *r);

/* The header names the tunnel and the geometry above. decode: 0, or
 * -EBADMSG (not a timeline, or another version or geometry). */
void vd_tl_header_encode(const char *tunnel, int64_t created, uint8_t out[VD_TL_HEADER_SIZE]);
int vd_tl_header_decode(const uint8_t in[VD_TL_HEADER_SIZE], char tunnel[VD_TL_NAME_MAX + 1], int64_t *created);

/* CRC-32 (IEEE 802.3, as zlib's crc32). */
uint32_t vd_crc32(const void *data, size_t len);

/* "timeline.NAME" for a tunnel: 0, or -EINVAL for an empty name or one over
 * VD_TL_NAME_MAX bytes. The reverse: 0 and the tunnel, or -EINVAL for a name
 * that is not one this encoding makes. */
int vd_tl_file_name(const char *tunnel, char *buf, size_t len);
int vd_tl_file_tunnel(const char *file, char *buf, size_t len);

/* Merging: records of one tunnel in time order into one per bucket (GetTimeline's
 * resolution), or a minute's probe runs into one record (daemon/timeline.c).
 * Counts add up; minimums take the least; a median is the median of the parts'
 * medians and a p95 the 95th percentile of the parts' p95s, each part weighted
 * by the echoes it got back; jitter is the weighted mean; handshake, clock
 * offset and rates the mean of the parts that have them; peaks the largest;
 * state the last part's, health the worst part's. A part holding a single
 * period's round trips gives exact figures; merged parts give the estimates
 * above (what a chart of a week needs, and what is possible without keeping
 * every echo). */
struct vd_tl_acc;
struct vd_tl_acc *vd_tl_acc_new(void);
void vd_tl_acc_free(struct vd_tl_acc *a);
void vd_tl_acc_reset(struct vd_tl_acc *a);
bool vd_tl_acc_has_data(const struct vd_tl_acc *a); /* a part with a measurement */
size_t vd_tl_acc_parts(const struct vd_tl_acc *a);  /* vd_tl_acc_add_rec calls since reset */
/* One record (its periods count as its weight in "periods"). -ENOMEM. */
int vd_tl_acc_add_rec(struct vd_tl_acc *a, const struct vd_tl_rec *r);
/* One probe run's echoes: which is 'i'nside, 'o'utside; NAN for a figure the
 * run lacks. The median may be a mean where the probe gives no median. */
int vd_tl_acc_add_echo(struct vd_tl_acc *a, char which, uint32_t sent, uint32_t received, double rtt_min,
                       double rtt_median, double rtt_p95, double jitter);
void vd_tl_acc_add_reflected(struct vd_tl_acc *a, uint32_t sent, uint32_t received);
void vd_tl_acc_add_handshake(struct vd_tl_acc *a, double ms);
void vd_tl_acc_add_clock(struct vd_tl_acc *a, double offset_s);
void vd_tl_acc_add_rates(struct vd_tl_acc *a, double rx_mbps, double tx_mbps, double rx_peak, double tx_peak);
void vd_tl_acc_set_state(struct vd_tl_acc *a, enum vd_tl_state s);
void vd_tl_acc_set_health(struct vd_tl_acc *a, enum vd_tl_health h);
/* The merged record (seq 0). */
void vd_tl_acc_result(const struct vd_tl_acc *a, int64_t time, uint32_t period_s, struct vd_tl_rec *out);

/* A record as a TimelineSample (io.vpndoctor.varlink): tunnel, time,
 * period_s, periods, state, health, and inside/reflected/outside, handshake,
 * clock and rates only where measured. NULL when out of memory. */
struct cJSON *vd_tl_rec_to_json(const struct vd_tl_rec *r, const char *tunnel);

#endif
