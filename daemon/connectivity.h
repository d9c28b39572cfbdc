/* Is the network the machine is on the internet, a login page (a captive
 * portal), or nothing? NetworkManager's Connectivity property where
 * NetworkManager runs and checks ([Connectivity] NetworkManager=yes), else
 * the daemon's own HTTP check of [Connectivity] URL= (off when no URL is
 * set: the daemon never asks an address the configuration does not name).
 * The answer is the host's "connectivity" facts section. */
#ifndef VPNDOCTORD_CONNECTIVITY_H
#define VPNDOCTORD_CONNECTIVITY_H

struct connectivity;
struct event_base;
struct vd_daemon;

/* While the network is not the internet, it is looked at this often, so a
 * login shows within half a minute. */
#define CONNECTIVITY_RECHECK_S 30
/* One HTTP check: connection, request and answer. */
#define CONNECTIVITY_HTTP_TIMEOUT_S 10
/* Of the answer's body, VD_HTTPANS_BODY_MAX bytes are read and compared
 * (vpndoctor/httpanswer.h). */

int connectivity_new(struct event_base *base, struct vd_daemon *d, struct connectivity **ret);
void connectivity_free(struct connectivity *c);
/* A fresh look now (a resume, a new network, a reload); ends a pause. */
void connectivity_check(struct connectivity *c);
/* Sleep: nothing runs until connectivity_check(). */
void connectivity_pause(struct connectivity *c);
/* Called when the state changes (not for the first one): a login done, a
 * network that lost its internet. from/to: "full", "portal", ... */
typedef void (*connectivity_change_fn)(void *userdata, const char *from, const char *to);
void connectivity_set_change_cb(struct connectivity *c, connectivity_change_fn fn, void *userdata);

#endif
