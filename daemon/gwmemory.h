/* The gateway memory: from which networks each gateway's OpenVPN port
 * answered over UDP, kept across restarts in the state directory (the file
 * "gateways", small and bounded), and offered to the rules as each tunnel's
 * "gateway_memory" section. A gateway whose UDP answered from another
 * network and is silent on this one has its UDP dropped here (udp-blocked),
 * not its server stopped. */
#ifndef VPNDOCTORD_GWMEMORY_H
#define VPNDOCTORD_GWMEMORY_H

#include <stdbool.h>
#include <stdint.h>

struct cJSON;
struct event_base;
struct gwmemory;
struct vd_daemon;

#define GWMEMORY_FILE "gateways"
#define GWMEMORY_MAX_GATEWAYS 64 /* the least recently answering one goes first */
#define GWMEMORY_MAX_NETWORKS 8  /* per gateway, the oldest goes first */
#define GWMEMORY_MAX_BYTES (64 * 1024) /* a larger file is not ours: started afresh */
/* A network already known is written again at most this often (its time
 * moves on; the disk need not follow every handshake). */
#define GWMEMORY_REFRESH_S 3600

/* Reads DIR/gateways through dirfd (duplicated; the state directory, whose
 * lock the history holds): regular file only, never following a link, never
 * blocking on a FIFO, bounded. A file that is missing, not ours or malformed
 * is started afresh (said in the log). 0 or -errno (-ENOMEM). */
int gwmemory_open(int dirfd, struct gwmemory **ret);
/* Saves what changed, then frees. */
void gwmemory_free(struct gwmemory *g);

/* The gateway's port answered over UDP from network at when. Returns 1 when
 * that is news worth writing at once (a gateway or network not known, or a
 * known one not written for GWMEMORY_REFRESH_S), 0 otherwise, -errno. */
int gwmemory_note(struct gwmemory *g, const char *gateway, unsigned port, const char *network, int64_t when);
/* Writes the file if anything changed since it was last written: a new file
 * beside it, synced, renamed over it. 0 or -errno. */
int gwmemory_save(struct gwmemory *g);
/* The gateway_memory section (docs/facts.md) for gateway:port as seen from
 * network (NULL when not known); NULL when out of memory. */
struct cJSON *gwmemory_section(const struct gwmemory *g, const char *gateway, unsigned port, const char *network,
                               int64_t now);

/* Follows d's probe results: notes what the transport probe and a connected
 * UDP tunnel show, and hands each tunnel its gateway_memory section. */
int gwmemory_follow(struct gwmemory *g, struct event_base *base, struct vd_daemon *d);

#endif
