/* See busutil.h. */
#include <poll.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "busutil.h"

static void on_bus(evutil_socket_t fd, short what, void *arg)
{
	struct pu_bus *b = arg;

	(void)fd;
	(void)what;
	/* sd_bus_process() may call a reply handler, which may end a run; on a
	 * lost connection it answers each pending call with an error first */
	while (b->bus && sd_bus_process(b->bus, NULL) > 0)
		;
	if (b->bus && sd_bus_is_open(b->bus) > 0) {
		pu_bus_arm(b);
	} else {
		/* pu_bus_get() opens a new one when next asked */
		event_del(b->ev);
		evtimer_del(b->timer);
	}
}

void pu_bus_arm(struct pu_bus *b)
{
	int events;
	uint64_t usec;

	if (!b->bus || !b->ev)
		return;
	events = sd_bus_get_events(b->bus);
	event_del(b->ev);
	event_assign(b->ev, event_get_base(b->ev), sd_bus_get_fd(b->bus),
	             (short)(((events & POLLIN) ? EV_READ : 0) | ((events & POLLOUT) ? EV_WRITE : 0)), on_bus, b);
	event_add(b->ev, NULL);
	evtimer_del(b->timer);
	if (sd_bus_get_timeout(b->bus, &usec) >= 0 && usec != UINT64_MAX) {
		struct timespec now;
		uint64_t n;
		clock_gettime(CLOCK_MONOTONIC, &now);
		n = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
		usec = usec > n ? usec - n : 0;
		struct timeval tv = {(time_t)(usec / 1000000u), (suseconds_t)(usec % 1000000u)};
		evtimer_add(b->timer, &tv);
	}
}

/* Connecting to a unix socket costs nothing, so a bus that is not there (a
 * container, dbus not started yet) or went away (dbus restarted) is simply
 * tried again. */
sd_bus *pu_bus_get(struct pu_bus *b, struct event_base *base)
{
	if (b->bus && sd_bus_is_open(b->bus) > 0)
		return b->bus;
	if (b->bus) {
		event_del(b->ev);
		evtimer_del(b->timer);
		b->bus = sd_bus_flush_close_unref(b->bus);
	}
	if ((!b->ev && !(b->ev = event_new(base, -1, 0, on_bus, b))) ||
	    (!b->timer && !(b->timer = evtimer_new(base, on_bus, b))))
		return NULL;
	if (sd_bus_open_system(&b->bus) < 0)
		b->bus = NULL;
	else
		b->opened++;
	return b->bus;
}

void pu_bus_close(struct pu_bus *b)
{
	if (b->ev)
		event_free(b->ev);
	if (b->timer)
		event_free(b->timer);
	b->ev = b->timer = NULL;
	b->bus = sd_bus_flush_close_unref(b->bus);
}
