/* See sleepwatch.h.
 *
 * logind's protocol (org.freedesktop.login1, "Inhibitor Locks"): a program
 * that must do something before sleep takes a "delay" lock with Inhibit()
 * and keeps the file descriptor it returns; logind then sends
 * PrepareForSleep(true) and waits until every delay lock is closed (at most
 * InhibitDelayMaxSec, 5 s by default) before it suspends; after the resume
 * it sends PrepareForSleep(false), and the program takes a new lock. The
 * lock is held only as long as it takes to save the state: the callback runs
 * synchronously and the descriptor is closed right after it. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-bus.h>

#include "log.h"
#include "probes/busutil.h"
#include "sleepwatch.h"

#define LOGIN1_NAME "org.freedesktop.login1"
#define LOGIN1_PATH "/org/freedesktop/login1"
#define LOGIN1_IFACE "org.freedesktop.login1.Manager"

struct sleepwatch {
	struct event_base *base;
	const struct sleepwatch_ops *ops;
	void *userdata;
	struct pu_bus bus;
	unsigned bus_opened;     /* pu_bus.opened when the match was added */
	sd_bus_slot *match, *owner_match, *inhibit_call;
	int inhibit_fd;          /* the delay lock, -1 when none */
	bool asleep;             /* between PrepareForSleep(true) and the resume */
	uint64_t offset_ms;      /* BOOTTIME - MONOTONIC when last looked at */
	uint64_t (*offset_fn)(void);
	struct event *tick;
	bool lock_refused;       /* logind is not there (or said no) on this connection */
};

static uint64_t real_offset(void)
{
	struct timespec b, m;

	clock_gettime(CLOCK_BOOTTIME, &b);
	clock_gettime(CLOCK_MONOTONIC, &m);
	int64_t d = ((int64_t)b.tv_sec - (int64_t)m.tv_sec) * 1000 + ((int64_t)b.tv_nsec - (int64_t)m.tv_nsec) / 1000000;
	return d > 0 ? (uint64_t)d : 0;
}

static void release_lock(struct sleepwatch *w)
{
	if (w->inhibit_fd >= 0) {
		close(w->inhibit_fd);
		w->inhibit_fd = -1;
	}
}

static int on_inhibit(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct sleepwatch *w = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	int fd, r;

	(void)ret_error;
	w->inhibit_call = sd_bus_slot_unref(w->inhibit_call);
	if (e) {
		/* asked again on a new connection or after a resume, not every tick */
		if (!w->lock_refused)
			log_info("sleep: no delay lock from logind (%s): a suspend is seen after it, by the clocks",
			         e->message ? e->message : e->name);
		w->lock_refused = true;
		return 0;
	}
	w->lock_refused = false;
	r = sd_bus_message_read(m, "h", &fd);
	if (r < 0) {
		errno = -r;
		log_warn("sleep: logind's Inhibit reply");
		return 0;
	}
	/* the message owns its descriptor */
	release_lock(w);
	w->inhibit_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (w->inhibit_fd < 0)
		log_warn("sleep: cannot keep the delay lock");
	else
		log_debug("sleep: delay lock taken");
	if (w->asleep) /* the sleep began while we asked: do not hold it up */
		release_lock(w);
	return 0;
}

static void take_lock(struct sleepwatch *w)
{
	sd_bus *bus = pu_bus_get(&w->bus, w->base);
	int r;

	if (!bus || w->inhibit_fd >= 0 || w->inhibit_call)
		return;
	r = sd_bus_call_method_async(bus, &w->inhibit_call, LOGIN1_NAME, LOGIN1_PATH, LOGIN1_IFACE, "Inhibit",
	                             on_inhibit, w, "ssss", "sleep", "vpndoctord",
	                             "Saving the VPN diagnosis before sleep", "delay");
	if (r < 0) {
		errno = -r;
		log_warn("sleep: cannot ask logind for a delay lock");
		return;
	}
	pu_bus_arm(&w->bus);
}

static void go_to_sleep(struct sleepwatch *w)
{
	if (w->asleep)
		return;
	w->asleep = true;
	log_notice("sleep: the machine is about to sleep: probes stop, state is saved");
	w->ops->before_sleep(w->userdata);
	release_lock(w);
}

static void woke(struct sleepwatch *w, uint64_t slept_ms)
{
	w->asleep = false;
	w->offset_ms = w->offset_fn();
	if (slept_ms)
		log_notice("sleep: the machine woke after %llu s: every probe runs now",
		           (unsigned long long)(slept_ms / 1000));
	else
		log_notice("sleep: the machine woke: every probe runs now");
	w->ops->resumed(w->userdata, slept_ms);
	w->lock_refused = false;
	take_lock(w);
}

static int on_prepare(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct sleepwatch *w = userdata;
	int start = 0, r;

	(void)ret_error;
	r = sd_bus_message_read(m, "b", &start);
	if (r < 0)
		return 0;
	if (start) {
		go_to_sleep(w);
	} else {
		uint64_t off = w->offset_fn();
		woke(w, off > w->offset_ms ? off - w->offset_ms : 0);
	}
	return 0;
}

/* logind restarted (or came up): the lock we held was the old one's. */
static int on_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct sleepwatch *w = userdata;
	const char *name, *old, *new;

	(void)ret_error;
	if (sd_bus_message_read(m, "sss", &name, &old, &new) < 0 || strcmp(name, LOGIN1_NAME) != 0)
		return 0;
	release_lock(w);
	w->inhibit_call = sd_bus_slot_unref(w->inhibit_call);
	w->lock_refused = false;
	if (new && *new) {
		log_info("sleep: logind is back on the bus: a new delay lock");
		if (!w->asleep)
			take_lock(w);
	}
	return 0;
}

/* A new connection has lost the old one's match and lock (logind drops a
 * lock whose holder went away): set both up again. */
static void setup_bus(struct sleepwatch *w)
{
	sd_bus *bus = pu_bus_get(&w->bus, w->base);
	int r;

	if (!bus)
		return;
	if (w->match && w->bus_opened == w->bus.opened) {
		if (!w->lock_refused)
			take_lock(w);
		return;
	}
	w->lock_refused = false;
	w->match = sd_bus_slot_unref(w->match);
	w->owner_match = sd_bus_slot_unref(w->owner_match);
	w->inhibit_call = sd_bus_slot_unref(w->inhibit_call);
	release_lock(w);
	r = sd_bus_match_signal_async(bus, &w->match, LOGIN1_NAME, LOGIN1_PATH, LOGIN1_IFACE, "PrepareForSleep",
	                              on_prepare, NULL, w);
	if (r >= 0)
		r = sd_bus_add_match_async(bus, &w->owner_match,
		                           "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
		                           "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
		                           "arg0='" LOGIN1_NAME "'",
		                           on_owner, NULL, w);
	if (r < 0) {
		errno = -r;
		log_warn("sleep: cannot follow logind's PrepareForSleep");
		return;
	}
	w->bus_opened = w->bus.opened;
	take_lock(w);
	pu_bus_arm(&w->bus);
}

void sleepwatch_check_clocks(struct sleepwatch *w)
{
	uint64_t off = w->offset_fn();

	/* BOOTTIME ran ahead: the machine slept, and nobody said so (or logind's
	 * resume is still on its way: this one comes first, that one is then a
	 * resume without a sleep before it, and ends nothing) */
	if (off >= w->offset_ms + SLEEPWATCH_MIN_GAP_MS) {
		uint64_t gap = off - w->offset_ms;
		if (!w->asleep) {
			log_info("sleep: CLOCK_BOOTTIME ran %llu s ahead of CLOCK_MONOTONIC: the machine slept",
			         (unsigned long long)(gap / 1000));
			w->ops->before_sleep(w->userdata);
		}
		woke(w, gap);
	}
	w->offset_ms = off;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sleepwatch *w = arg;

	(void)fd, (void)what;
	sleepwatch_check_clocks(w);
	setup_bus(w);
}

void sleepwatch_set_offset_fn(struct sleepwatch *w, uint64_t (*fn)(void))
{
	w->offset_fn = fn ? fn : real_offset;
	w->offset_ms = w->offset_fn();
}

int sleepwatch_new(struct event_base *base, const struct sleepwatch_ops *ops, void *userdata,
                   struct sleepwatch **ret)
{
	struct sleepwatch *w = calloc(1, sizeof(*w));
	struct timeval tv = {SLEEPWATCH_TICK_S, 0};

	if (!w)
		return -ENOMEM;
	w->base = base;
	w->ops = ops;
	w->userdata = userdata;
	w->inhibit_fd = -1;
	w->offset_fn = real_offset;
	w->offset_ms = real_offset();
	w->tick = event_new(base, -1, EV_PERSIST, on_tick, w);
	if (!w->tick || event_add(w->tick, &tv) < 0) {
		sleepwatch_free(w);
		return -ENOMEM;
	}
	setup_bus(w);
	*ret = w;
	return 0;
}

void sleepwatch_free(struct sleepwatch *w)
{
	if (!w)
		return;
	if (w->tick)
		event_free(w->tick);
	sd_bus_slot_unref(w->match);
	sd_bus_slot_unref(w->owner_match);
	sd_bus_slot_unref(w->inhibit_call);
	release_lock(w);
	pu_bus_close(&w->bus);
	free(w);
}
