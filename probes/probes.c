/* The probe table: the one list of probes the daemon knows (see probe.h),
 * and the check of what they need of each other. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "probe.h"

const struct probe *const probes_all[] = {
	&probe_profile,
	&probe_openvpn,
	&probe_clock,
	&probe_routes,
	&probe_conflicts,
	&probe_dns,
	&probe_transport,
	&probe_path,
	&probe_ping,
	&probe_mtu,
	&probe_throughput,
	&probe_firewall,
	&probe_reflector,
};
const unsigned probes_n = sizeof(probes_all) / sizeof(probes_all[0]);

const struct probe *probes_find(const char *name)
{
	for (unsigned i = 0; name && i < probes_n; i++)
		if (strcmp(probes_all[i]->name, name) == 0)
			return probes_all[i];
	return NULL;
}

/* The index of the probe of v that fills section, or n. */
static size_t provider(const struct probe *const *v, size_t n, const char *section)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i]->section, section) == 0)
			return i;
	return n;
}

#define PROBES_MAX 64 /* what the checks below track */

enum { WHITE, GREY, BLACK };

/* Depth first from i: a need met again while its probe is on the path
 * (GREY) closes a cycle. The path is written into err as it unwinds. */
static int visit(const struct probe *const *v, size_t n, size_t i, unsigned char *colour, char *err,
                 size_t err_size)
{
	colour[i] = GREY;
	for (const char *const *need = v[i]->needs; need && *need; need++) {
		size_t k = provider(v, n, *need);
		int r;

		if (colour[k] == GREY) {
			snprintf(err, err_size, "probe %s needs %s of probe %s, which needs it back", v[i]->name,
			         *need, v[k]->name);
			return -ELOOP;
		}
		if (colour[k] == WHITE && (r = visit(v, n, k, colour, err, err_size)) < 0)
			return r;
	}
	colour[i] = BLACK;
	return 0;
}

int probes_check(const struct probe *const *v, size_t n, char *err, size_t err_size)
{
	unsigned char colour[PROBES_MAX];

	if (n > PROBES_MAX) {
		snprintf(err, err_size, "%zu probes: at most %d", n, PROBES_MAX);
		return -E2BIG;
	}
	for (size_t i = 0; i < n; i++) {
		/* needs, then peeks: both must be another probe's section that
		 * this probe can see; only needs order the first runs */
		for (int peek = 0; peek < 2; peek++) {
			const char *verb = peek ? "peeks at" : "needs";

			for (const char *const *need = peek ? v[i]->peeks : v[i]->needs; need && *need; need++) {
				size_t k = provider(v, n, *need);

				if (k == n) {
					snprintf(err, err_size, "probe %s %s the section %s, which no probe fills",
					         v[i]->name, verb, *need);
					return -ENOENT;
				}
				if (k == i) {
					snprintf(err, err_size, "probe %s %s its own section %s", v[i]->name, verb, *need);
					return -ELOOP;
				}
				if (!v[i]->per_tunnel && v[k]->per_tunnel) {
					snprintf(err, err_size, "probe %s runs for the host but %s %s, a tunnel's section",
					         v[i]->name, verb, *need);
					return -EINVAL;
				}
			}
		}
	}
	memset(colour, WHITE, sizeof(colour));
	for (size_t i = 0; i < n; i++) {
		int r = colour[i] == WHITE ? visit(v, n, i, colour, err, err_size) : 0;
		if (r < 0)
			return r;
	}
	if (err_size)
		err[0] = '\0';
	return 0;
}

void probes_order(const struct probe *const *v, size_t n, const struct probe **order)
{
	bool placed[PROBES_MAX] = {false};
	size_t done = 0;

	if (n > PROBES_MAX) { /* refused by probes_check */
		for (size_t i = 0; i < n; i++)
			order[i] = v[i];
		return;
	}
	/* Kahn's, taking the first probe of v whose needs are all placed: the
	 * table's order wherever the needs leave a choice */
	while (done < n) {
		size_t before = done;

		for (size_t i = 0; i < n; i++) {
			bool ready = !placed[i];

			for (const char *const *need = v[i]->needs; ready && need && *need; need++) {
				size_t k = provider(v, n, *need);
				ready = k == n || placed[k];
			}
			if (ready) {
				placed[i] = true;
				order[done++] = v[i];
				break;
			}
		}
		if (done == before)
			break; /* a cycle: probes_check refuses such a table */
	}
	/* what a cycle left over, in table order */
	for (size_t i = 0; done < n && i < n; i++)
		if (!placed[i])
			order[done++] = v[i];
}
