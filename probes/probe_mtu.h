/* What the MTU probe shows outside its run: when it looks again. */
#ifndef VPNDOCTOR_PROBE_MTU_H
#define VPNDOCTOR_PROBE_MTU_H

#include <stdbool.h>

#include "probe.h"

/* A path that silently drops packets the tun link's MTU allows (a
 * blackhole, whose fix at the server should show within minutes, not the
 * hour of Interval=), or a search that ended with no size answered, is
 * looked at again after this long. A smaller path MTU that ICMP reports
 * (path MTU discovery working) is no finding and waits its Interval=. */
#define PROBE_MTU_RECHECK_S 600

/* The next timed run after one that ended with status st, short true when
 * a size at or below the tun link's MTU went unanswered with no ICMP error
 * to say so: PROBE_MTU_RECHECK_S then, or after a search that ended unknown
 * (no size answered), else 0: the slot's Interval= (also when that is the
 * shorter). A failure is left to the scheduler's backoff (probe_run.next_s). */
double probe_mtu_next_s(enum probe_status st, bool short_path, unsigned interval_s);

#endif
