/* How the path probe measures the way to the gateway: ICMP echoes, or
 * OpenVPN handshakes while the gateway answers no echo (ICMP filtered on
 * the way or at the gateway), trying ICMP again now and then. */
#ifndef VPNDOCTOR_PROBE_PATH_H
#define VPNDOCTOR_PROBE_PATH_H

#include <stdbool.h>

#define PATH_ICMP_GIVE_UP 10  /* echoes unanswered in a row, none ever answered: handshakes instead */
#define PATH_ICMP_RETRY_S 600 /* and ICMP again after this */

struct path_mode {
	bool hs;             /* measuring by handshakes */
	bool ever_answered;  /* an echo was answered on this way (a handshake is not an echo) */
	unsigned unanswered; /* echoes in a row without an answer */
	double hs_since;     /* monotonic s the handshakes began */
};

/* A new way to the gateway: echoes, nothing known of them. */
void path_mode_reset(struct path_mode *m);
/* One sample, an echo or a handshake as m->hs says, answered or not. */
void path_mode_sample(struct path_mode *m, bool answered);
/* Echoes, and the gateway has answered none of the last PATH_ICMP_GIVE_UP
 * nor any before on this way: handshakes would measure where echoes
 * cannot (if the gateway speaks one: the caller's to say). */
bool path_mode_gives_up_icmp(const struct path_mode *m);
/* Handshakes from now on. */
void path_mode_handshakes(struct path_mode *m, double now_s);
/* Handshakes for PATH_ICMP_RETRY_S: echoes again (true), the count of
 * unanswered ones from 0, so that ICMP still filtered brings handshakes
 * back after PATH_ICMP_GIVE_UP more. */
bool path_mode_retries_icmp(struct path_mode *m, double now_s);

#endif
