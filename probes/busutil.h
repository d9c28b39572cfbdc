/* The system bus (sd-bus) driven by the probes' libevent loop: one connection
 * per user, opened on demand and again after it was lost. */
#ifndef VPNDOCTOR_PROBES_BUSUTIL_H
#define VPNDOCTOR_PROBES_BUSUTIL_H

#include <systemd/sd-bus.h>

struct event;
struct event_base;

/* Zero-initialised by its owner; pu_bus_close() frees what it holds. */
struct pu_bus {
	sd_bus *bus;
	struct event *ev, *timer;
	unsigned opened; /* counts connections opened: a new one has lost the old one's matches */
};

/* The open system bus, or NULL (no bus there yet, or no memory): a bus that
 * is not there or went away is tried again on the next call. */
sd_bus *pu_bus_get(struct pu_bus *b, struct event_base *base);
/* After a call or match was queued on b->bus: wakes the loop for its I/O
 * and timeouts. Replies and signals are handled from the loop. */
void pu_bus_arm(struct pu_bus *b);
/* Closes the connection and frees the events (b may be reused). */
void pu_bus_close(struct pu_bus *b);

#endif
