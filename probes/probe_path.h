/* How the path probe measures the way to the gateway: ICMP echoes, or
 * OpenVPN handshakes while the gateway answers no echo (ICMP filtered on
 * the way or at the gateway), trying ICMP again now and then. */
#ifndef VPNDOCTOR_PROBE_PATH_H
#define VPNDOCTOR_PROBE_PATH_H

#include <stdbool.h>

#define PATH_ICMP_GIVE_UP 10  /* echoes unanswered in a row, none ever answered: handshakes instead */
/* Echoes unanswered in a row after some were answered on this way: ICMP
 * filtered since (a firewall's policy changed), or the one answer was a
 * stray; or the path is down (a Wi-Fi outage of a minute), and its losses
 * are the evidence of an unstable path. A trial tells them apart: one run
 * of handshakes fed to no test. None answered: the path is down, echoes
 * again, the tests as they were. One answered: the path is up, and echoes
 * confirm (an outage that has just ended answers them: the tests as they
 * were); PATH_ICMP_GIVE_UP more unanswered, fed to no test, and ICMP is
 * filtered: handshakes from then on, the tests afresh. */
#define PATH_ICMP_GIVE_UP_ANSWERED 60
#define PATH_ICMP_RETRY_S 600 /* and ICMP again after this */

struct path_mode {
	bool hs;             /* measuring by handshakes */
	bool trial;          /* handshakes after PATH_ICMP_GIVE_UP_ANSWERED, fed to no test */
	bool confirming;     /* echoes after a trial answered: unanswered ones fed to no test */
	bool retrying;       /* echoes again after handshakes, none answered yet */
	bool ever_answered;  /* an echo was answered on this way since the probe last turned to
	                      * echoes (a handshake is not an echo) */
	unsigned unanswered; /* echoes in a row without an answer */
	double hs_since;     /* monotonic s the handshakes began */
};

/* A new way to the gateway: echoes, nothing known of them. */
void path_mode_reset(struct path_mode *m);
/* Whether a sample goes to the tests: an echo unanswered while retrying
 * does not (ICMP may well be filtered still: the handshakes' evidence stays
 * as it was, and the tests see no loss that is only the filter's); nor does
 * a trial's handshake, nor an echo unanswered while confirming. */
bool path_mode_feeds(const struct path_mode *m, bool answered);
/* One sample, an echo or a handshake as m->hs says, answered or not. An
 * echo answered ends a retry (the tests start afresh then: what they hold
 * was measured by handshakes; returns true) or a confirmation (the tests
 * keep the echoes' evidence; returns false). */
bool path_mode_sample(struct path_mode *m, bool answered);
/* Echoes, and the gateway has answered none of the last PATH_ICMP_GIVE_UP
 * nor any before on this way (or since a trial's handshake was answered),
 * or none of the last PATH_ICMP_GIVE_UP_ANSWERED after it answered some:
 * handshakes would
 * measure where echoes cannot (if the gateway speaks one: the caller's to
 * say). Before, one answer kept the probe on echoes for good: a gateway
 * whose ICMP was filtered later, or one forged reply, left the path's
 * tests fed nothing but losses, at 1 a second, until the laptop moved. */
bool path_mode_gives_up_icmp(const struct path_mode *m);
/* Handshakes from now on. Returns true when the tests keep what they hold:
 * the echoes of a retry fed them nothing, so their evidence is still the
 * handshakes' of before; or echoes were answered on this way before, and
 * these handshakes are a trial (m->trial) that feeds nothing; false when
 * they start afresh (the echoes before the first switch were fed as lost,
 * and no answer says they were the path's; or a confirmation found ICMP
 * filtered: its losses were the filter's). */
bool path_mode_handshakes(struct path_mode *m, double now_s);
/* A trial's run is over, a handshake of it answered or none; echoes again
 * either way, the tests as they are. 1: one was answered, the echoes
 * confirm (m->confirming): an answer, and the outage had ended; none of
 * PATH_ICMP_GIVE_UP, and ICMP is filtered (path_mode_gives_up_icmp).
 * -1: none was, the path is down, another trial after
 * PATH_ICMP_GIVE_UP_ANSWERED more unanswered. 0 when not in a trial. */
int path_mode_trial_end(struct path_mode *m, bool answered);
/* Handshakes for PATH_ICMP_RETRY_S: echoes again (true), retrying, the
 * count of unanswered ones from 0, so that ICMP still filtered brings
 * handshakes back after PATH_ICMP_GIVE_UP more. */
bool path_mode_retries_icmp(struct path_mode *m, double now_s);
/* No handshake to measure with any more (the transport probe saw none
 * answered, in handshakes or at the end of a retry): echoes, fed as any,
 * not a retry. Returns true when the tests keep what they hold (a trial or
 * a confirmation fed them nothing), else the caller starts them afresh. */
bool path_mode_no_handshakes(struct path_mode *m);

#endif
