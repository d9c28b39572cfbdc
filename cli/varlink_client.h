/* A small blocking Varlink client for the CLI: one connection to vpndoctord,
 * calls written whole, replies read one NUL-framed message at a time. */
#ifndef VPNDOCTOR_CLI_VARLINK_CLIENT_H
#define VPNDOCTOR_CLI_VARLINK_CLIENT_H

#include <signal.h>

#include "vpndoctor/varlink.h"

struct cJSON;
struct vl_client;

/* Replies are bounded too: a reply larger than this is an error. */
#define VL_CLIENT_MAX_REPLY (16u * 1024u * 1024u)

/* 0 or -errno of socket()/connect() (-ENAMETOOLONG for a long path). */
int vl_client_connect(const char *path, struct vl_client **ret);
void vl_client_free(struct vl_client *c);
/* Sends one call (flags: VD_VARLINK_CALL_*). 0 or -errno. */
int vl_client_call(struct vl_client *c, const char *method, const struct cJSON *params, unsigned flags);
/* Blocks for the next reply. 0; -ECONNRESET when the daemon closed the
 * connection; -EBADMSG for a malformed or oversized reply; -errno. The
 * caller calls vd_varlink_reply_done(). */
int vl_client_read(struct vl_client *c, struct vd_varlink_reply *reply);

/* While *flag is non-zero a read interrupted by a signal returns -EINTR
 * (a Ctrl-C the caller handles) instead of reading on; NULL: never. */
void vl_client_set_interrupt(struct vl_client *c, volatile sig_atomic_t *flag);
/* Shuts down the writing side: the daemon reads the end of our calls (a
 * Record then ends early and still sends its samples). 0 or -errno. */
int vl_client_shutdown_write(struct vl_client *c);

/* Merges the parameters of one page of a reply called with "more" into dst:
 * arrays are appended to, objects merged member by member, anything else
 * replaced. The pages of GetStatus, GetFacts and GetHistory add up this way
 * to the single reply they stand for. 0 or -ENOMEM. */
int vl_merge(struct cJSON *dst, const struct cJSON *page);

#endif
