/* The probe table: the one list of probes the daemon knows (see probe.h). */
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
