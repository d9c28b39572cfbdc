/* A non-blocking Varlink client connection on sd-event: connect, queue calls,
 * hand each reply to a callback as it arrives. The codec is libvpndoctor's. */
#ifndef VPNDOCTOR_NOTIFY_VLCONN_H
#define VPNDOCTOR_NOTIFY_VLCONN_H

#include <systemd/sd-event.h>

#include "vpndoctor/varlink.h"

struct cJSON;
struct vlconn;

/* Replies larger than this close the connection (a GetStatus of many tunnels
 * is the largest we expect, well below it). */
#define VLCONN_MAX_REPLY (16u * 1024u * 1024u)

/* reply is valid during the call only. closed: the peer went away or broke the
 * protocol (err < 0), after which no callback comes; either callback may free
 * the connection. */
struct vlconn_ops {
	void (*reply)(void *userdata, struct vlconn *c, const struct vd_varlink_reply *reply);
	void (*closed)(void *userdata, struct vlconn *c, int err);
};

/* 0, or -errno of socket()/connect() when the daemon is not there
 * (-ENOENT, -ECONNREFUSED, -EACCES). */
int vlconn_open(sd_event *e, const char *path, const struct vlconn_ops *ops, void *userdata,
                struct vlconn **ret);
void vlconn_free(struct vlconn *c);
/* Queues one call (VD_VARLINK_CALL_* flags). 0, -ENOMEM, -ENOTCONN. */
int vlconn_call(struct vlconn *c, const char *method, const struct cJSON *params, unsigned flags);

#endif
