/* libFuzzer target for lib/version.c: any text, parsed and judged. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpndoctor/version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[4096], why[256];
	struct vd_ovpn_version v;

	if (size >= sizeof(line))
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (vd_ovpn_version_parse(line, &v) != 0)
		return 0;
	/* The fixed-size fields are always terminated. */
	if (strnlen(v.suffix, sizeof(v.suffix)) == sizeof(v.suffix) ||
	    strnlen(v.platform, sizeof(v.platform)) == sizeof(v.platform) ||
	    strnlen(v.ssl, sizeof(v.ssl)) == sizeof(v.ssl))
		abort();
	enum vd_version_verdict r = vd_ovpn_version_check(&v, why, sizeof(why));
	if (strlen(vd_version_verdict_name(r)) == 0 || why[0] == '\0' || strchr(why, '\n'))
		abort();
	return 0;
}
