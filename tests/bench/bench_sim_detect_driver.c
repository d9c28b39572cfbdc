/* The path probe's tests and pacer (lib/sampler.c, lib/sprt.c, the
 * sampling of lib/rules.c) driven as the probe drives them, over many
 * simulated faults: what the design alone gives, without the lab's own
 * time (noticing a loss at the next run, the 1.5 s deadline, the runs).
 * A fault after a healthy gap (GAP_MIN..2*GAP_MIN s at GAP_LOSS), then
 * the time to h1 at LOSS, then the fix (no loss) until every test
 * resolves; N faults in a row, fixed seed. Prints the distribution of the
 * times to h1, and the samples a second the healthy gaps took.
 * Usage: driver LOSS GAP_MIN GAP_LOSS N
 * Another design than the shipped one, for bench_sim_detect.sh's frontier
 * (what naming 3% within a minute would take): env SENTINEL_S and PER_RUN
 * (the run at rest: PER_RUN echoes every SENTINEL_S), BURST and SPACING_S
 * (the fast phase), ALPHA_LIGHT and ALPHA_HEAVY (the path's loss tests). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_path.h" /* the probe's pacing, as tests/unit/test_sampler.c simulates it */

static const char *const keys[] = {"loss_heavy", "loss_light", "rtt_long", "rtt_very_long", "jitter", NULL};

/* env NAME as a positive number, else def */
static double env_num(const char *name, double def)
{
	const char *v = getenv(name);
	char *end;
	double x;

	if (!v || !*v)
		return def;
	x = strtod(v, &end);
	if (*end || !(x > 0)) {
		fprintf(stderr, "%s: not a positive number: %s\n", name, v);
		exit(2);
	}
	return x;
}

/* The design's own figures: the sentinel's echoes and bytes (56 of IP an
 * echo both ways), and the light loss test's threshold, its samples to
 * open at p1, and its false alarms in 30 days at the path's most samples a
 * second (the sentinel and the whole budget): Lorden's bound, which the
 * shipped design states, and Wald's approximation of the ARL at p0 and at
 * 0.7% (a path a little lossier than healthy: the margin the bound keeps). */
static int design(void)
{
	const struct vd_sampling *s = vd_sampling_find("path");
	const struct vd_sprt_spec *l0 = vd_test_find("path", "loss_light");
	struct vd_sprt_spec l;
	struct vd_sprt_limits lim;
	double r, rate, month = 30 * 86400.0;

	if (!s || !l0)
		return 1;
	l = *l0;
	l.alpha = env_num("ALPHA_LIGHT", l.alpha);
	if (vd_sprt_limits(&l, &lim) < 0)
		return 1;
	r = env_num("PER_RUN", s->per_run) / env_num("SENTINEL_S", s->slow_s);
	rate = r + s->fast_per_hour / 3600.0;
	printf("sentinel %.2f echoes/s (%.2f KB/min of IP); fast %.0f/s; light test: alpha %g, threshold %.1f nats, "
	       "%.0f samples to open at 3%%; false alarms in 30 days at %.2f samples/s: %.3f (Lorden's bound), "
	       "%.4f at 0.5%% and %.2f at 0.7%% loss (Wald's ARL)\n",
	       r, r * 56 * 60 / 1000, env_num("BURST", s->burst) / (env_num("BURST", s->burst) * env_num("SPACING_S", s->burst_spacing_s)),
	       l.alpha, lim.upper, vd_sprt_arl_open(&lim, l.p1), rate, l.alpha * rate * month, rate * month / vd_sprt_arl_open(&lim, 0.005),
	       rate * month / vd_sprt_arl_open(&lim, 0.007));
	return 0;
}

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
	static struct vd_sampling smp;
	static struct vd_sprt_spec spec[VD_BANK_MAX];

	if (argc == 2 && strcmp(argv[1], "design") == 0)
		return design();
	if (argc != 5 || (loss = atof(argv[1])) <= 0 || (gap = atof(argv[2])) <= 0 || (gap_loss = atof(argv[3])) < 0 ||
	    (n = atoi(argv[4])) <= 0 || !(v = calloc((size_t)n, sizeof(*v)))) {
		fprintf(stderr, "usage: %s LOSS GAP_MIN_S GAP_LOSS N\n", argv[0]);
		return 2;
	}
	if (vd_bank_init(&m.b, "path", keys) < 0 || !vd_sampling_find("path"))
		return 1;
	smp = *vd_sampling_find("path");
	smp.slow_s = env_num("SENTINEL_S", smp.slow_s);
	smp.per_run = (unsigned)env_num("PER_RUN", smp.per_run);
	smp.burst = (unsigned)env_num("BURST", smp.burst);
	smp.burst_spacing_s = env_num("SPACING_S", smp.burst_spacing_s);
	for (size_t i = 0; i < m.b.n; i++) {
		spec[i] = *m.b.spec[i];
		if (strcmp(spec[i].key, "loss_light") == 0)
			spec[i].alpha = env_num("ALPHA_LIGHT", spec[i].alpha);
		else if (strcmp(spec[i].key, "loss_heavy") == 0)
			spec[i].alpha = env_num("ALPHA_HEAVY", spec[i].alpha);
		m.b.spec[i] = &spec[i];
		if (vd_sprt_limits(&spec[i], &m.b.lim[i]) < 0)
			return 1;
	}
	vd_pacer_init(&m.p, &smp, 0);
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
