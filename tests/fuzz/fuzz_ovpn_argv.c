/* libFuzzer target for lib/ovpn_argv.c: any bytes as an openvpn command line
 * (NUL-separated), and as NetworkManager vpn.data items (the same words taken
 * two by two as key and value); every text made is lines of one directive
 * each, as the profile check reads them, and its match key lines as well. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpndoctor/ovpn_argv.h"
#include "vpndoctor/ovpn_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *text, size_t len)
{
	struct vd_ovpn_config *cfg = NULL;

	if (strlen(text) != len || (len && text[len - 1] != '\n'))
		abort();
	char *key = NULL;
	int r;

	/* whatever it says of the directives, the parser takes the text */
	if (vd_ovpn_config_parse("fuzz", text, len, &cfg, NULL) == 0)
		vd_ovpn_config_free(cfg);
	/* and the key that ties a process to a connection is lines too */
	r = vd_ovpn_profile_match_key(text, len, &key);
	if (r == 0) {
		if (!key[0] || key[strlen(key) - 1] != '\n')
			abort();
		free(key);
	} else if (r != -EINVAL && r != -ENOMEM) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *keys[32], *values[32];
	size_t n = 0, len;
	char *text = NULL, *copy;
	int r;

	r = vd_ovpn_argv_profile((const char *)data, size, &text, &len);
	if (r == 0) {
		check_text(text, len);
		free(text);
	} else if (r != -EINVAL && r != -E2BIG && r != -ENOMEM) {
		abort();
	}
	if (!(copy = malloc(size + 1)))
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (char *p = copy; p < copy + size && n < 64; p += strlen(p) + 1, n++)
		(n % 2 ? values : keys)[n / 2] = p;
	r = vd_nm_openvpn_profile(keys, values, n / 2, &text, &len);
	if (r == 0) {
		check_text(text, len);
		free(text);
	} else if (r != -ENOMEM) {
		abort();
	}
	free(copy);
	return 0;
}
