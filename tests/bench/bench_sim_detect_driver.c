/* The path probe's tests and pacer (lib/sampler.c, lib/sprt.c, the
 * sampling of lib/rules.c) driven as the probe drives them, over many
 * simulated faults: what the design alone gives, without the lab's own
 * time (noticing a loss at the next run, the 1.5 s deadline, the runs).
 * A fault after a healthy gap (GAP_MIN..2*GAP_MIN s at GAP_LOSS), then
 * the time to h1 at LOSS, then the fix (no loss) until every test
 * resolves; N faults in a row, fixed seed. Prints the distribution of the
 * times to h1, and the samples a second the healthy gaps took.
 * Usage: driver LOSS GAP_MIN GAP_LOSS N */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim_path.h" /* the probe's pacing, as tests/unit/test_sampler.c simulates it */

static const char *const keys[] = {"loss_heavy", "loss_light", "rtt_long", "rtt_very_long", "jitter", NULL};

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	double loss, gap, gap_loss, *v, healthy_s = 0;
	uint64_t healthy_n = 0;
	int n, k = 0, missed = 0;
	struct sim m = {.now = 0};

	if (argc != 5 || (loss = atof(argv[1])) <= 0 || (gap = atof(argv[2])) <= 0 || (gap_loss = atof(argv[3])) < 0 ||
	    (n = atoi(argv[4])) <= 0 || !(v = calloc((size_t)n, sizeof(*v)))) {
		fprintf(stderr, "usage: %s LOSS GAP_MIN_S GAP_LOSS N\n", argv[0]);
		return 2;
	}
	if (vd_bank_init(&m.b, "path", keys) < 0)
		return 1;
	vd_pacer_init(&m.p, vd_sampling_find("path"), 0);
	sim_rng = 11;
	sim_until(&m, 0, 1, 600, true); /* a first decision */
	for (int r = 0; r < n; r++) {
		double g = gap + sim_rnd() * gap, t0 = m.now, d;
		uint64_t s0 = m.samples;

		if (sim_until(&m, gap_loss, 1, g, true) >= 0) { /* a false alarm in the gap */
			sim_until(&m, gap_loss, 1, 3600, false);
			continue;
		}
		healthy_s += m.now - t0;
		healthy_n += m.samples - s0;
		if ((d = sim_until(&m, loss, 1, 3600, true)) < 0)
			missed++;
		else
			v[k++] = d;
		sim_until(&m, 0, 1, 3600, false);
	}
	qsort(v, (size_t)k, sizeof(*v), cmp);
	printf("%g loss after %g-%g s at %g: %d faults, median %.1f s, p75 %.1f, p90 %.1f, p99 %.1f, max %.1f; "
	       "%d not named within 3600 s; the gaps took %.3f samples/s\n",
	       loss, gap, 2 * gap, gap_loss, k, k ? v[k / 2] : NAN, k ? v[k * 3 / 4] : NAN, k ? v[k * 9 / 10] : NAN,
	       k ? v[k * 99 / 100] : NAN, k ? v[k - 1] : NAN, missed, healthy_s > 0 ? healthy_n / healthy_s : 0);
	free(v);
	return 0;
}
