/* A seeded random stream, and the path probe's tests and pacer driven as the
 * probe drives them (lib/sampler.c): what the unit tests (tests/unit/
 * test_sampler.c, test_sprt.c) and the design's benchmark (tests/bench/
 * bench_sim_detect_driver.c) simulate with, so that they simulate the same
 * probe. Test code only; header-only. */
#ifndef VD_TESTS_SIM_PATH_H
#define VD_TESTS_SIM_PATH_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "vpndoctor/sampler.h"

/* splitmix64: a fixed seed, the same stream on every machine */
static uint64_t sim_rng;

static inline double sim_rnd(void)
{
	uint64_t z = (sim_rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

/* The path probe: its bank of tests, its pacer, the time, the samples. */
struct sim {
	struct vd_bank b;
	struct vd_pacer p;
	double now;
	uint64_t samples;
};

/* Runs as the probe plans them (one run's echoes, then the pace for the
 * next), each echo lost with p_loss, answered in rtt to rtt + 2 ms, until
 * a test stands at h1 (want_h1) or none does: the time that took, or -1
 * after limit_s. */
static inline double sim_until(struct sim *m, double p_loss, double rtt, double limit_s, bool want_h1)
{
	double t0 = m->now;
	const struct vd_sampling *s = m->p.s;

	while (m->now - t0 < limit_s) {
		unsigned count;
		double delay;

		vd_pacer_plan(&m->p, vd_bank_pace(&m->b), vd_bank_pace_h1(&m->b), vd_bank_n_h1(&m->b), 0, m->now, &count,
		              &delay);
		for (unsigned k = 0; k < count; k++) {
			vd_bank_echo(&m->b, sim_rnd() >= p_loss, rtt + sim_rnd() * 2, NAN);
			m->samples++;
			if (vd_bank_any_h1(&m->b) == want_h1)
				return m->now - t0;
			m->now += count > 1 ? s->burst_spacing_s : 0;
		}
		m->now += delay;
	}
	return -1;
}

#endif
