/* libFuzzer target for lib/ovpn_log.c: any bytes as a log line, and whatever a
 * PUSH_REPLY turns into through vd_pushed_parse. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpndoctor/ovpn_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_pushed(const struct vd_pushed *p)
{
	if (p->n_routes > 16 || p->n_dns > 8)
		abort();
	for (unsigned i = 0; i < p->n_routes; i++)
		if (strnlen(p->routes[i], sizeof(p->routes[i])) == sizeof(p->routes[i]))
			abort();
	for (unsigned i = 0; i < p->n_dns; i++)
		if (strnlen(p->dns[i], sizeof(p->dns[i])) == sizeof(p->dns[i]))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vd_log_line l;
	struct vd_pushed p;
	char *copy;

	/* The classifier takes a length: hand it the bytes as they are, in a
	 * buffer of exactly that size so that ASan sees any over-read. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	enum vd_log_event e = vd_ovpn_log_classify(copy, size, &l);
	free(copy);
	if ((unsigned)e >= VD_LOG__MAX || l.event != e || strnlen(l.arg, sizeof(l.arg)) == sizeof(l.arg))
		abort();
	if (strlen(vd_log_event_name(e)) == 0)
		abort();
	if (e == VD_LOG_PUSH_REPLY && vd_pushed_parse(l.arg, &p) == 0)
		check_pushed(&p);

	/* The input as an option list of its own. */
	copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	if (vd_pushed_parse(copy, &p) == 0)
		check_pushed(&p);
	free(copy);
	return 0;
}
