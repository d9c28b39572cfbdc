/* Sleep and resume: logind's PrepareForSleep on the system bus, with a delay
 * inhibitor held while awake so that the daemon can save its state before
 * the machine sleeps, and released as soon as that is done. A suspend that
 * logind did not announce (no logind, a lost bus) shows as CLOCK_BOOTTIME
 * running ahead of CLOCK_MONOTONIC, which stops while the machine sleeps. */
#ifndef VPNDOCTORD_SLEEPWATCH_H
#define VPNDOCTORD_SLEEPWATCH_H

#include <stdint.h>

struct event_base;
struct sleepwatch;

struct sleepwatch_ops {
	/* The machine is about to sleep: stop work and save state, now; the
	 * inhibitor is released when this returns. */
	void (*before_sleep)(void *userdata);
	/* It woke: slept_ms is how long it slept (0 when not known). */
	void (*resumed)(void *userdata, uint64_t slept_ms);
};

/* How often the clocks are compared when logind says nothing. */
#define SLEEPWATCH_TICK_S 30
/* A gap between the clocks below this is no sleep (their tick rates differ a
 * little, and a descheduled daemon is not asleep either: it is monotonic). */
#define SLEEPWATCH_MIN_GAP_MS 2000

int sleepwatch_new(struct event_base *base, const struct sleepwatch_ops *ops, void *userdata,
                   struct sleepwatch **ret);
void sleepwatch_free(struct sleepwatch *w);
/* Compares the clocks now (the tick; tests call it). */
void sleepwatch_check_clocks(struct sleepwatch *w);
/* CLOCK_BOOTTIME minus CLOCK_MONOTONIC in ms: grows only while the machine
 * sleeps. Replaceable for tests (NULL: the real clocks). */
void sleepwatch_set_offset_fn(struct sleepwatch *w, uint64_t (*fn)(void));

#endif
