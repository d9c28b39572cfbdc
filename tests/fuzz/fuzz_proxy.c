/* libFuzzer target for lib/proxy.c: the input is what a proxy answers, read
 * as an HTTP proxy's head and as SOCKS5 replies, whole and cut short; a
 * complete answer never claims more bytes than it was given, and the status
 * line kept is escaped (no control character) and bounded. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpndoctor/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vd_proxy_http_reply r;
	size_t head = 0, used = 0;
	uint8_t m, rep;

	for (size_t n = size > 8 ? size - 8 : 0; n <= size; n++) {
		if (vd_proxy_http_parse((const char *)data, n, &r, &head) == 1) {
			size_t l = strlen(r.line);
			if (head > n || l >= VD_PROXY_REPLY_MAX || r.status < 100 || r.status > 599)
				abort();
			for (size_t i = 0; i < l; i++)
				if ((unsigned char)r.line[i] < 0x20 || r.line[i] == 0x7f)
					abort();
		}
		/* the shortest: a bound name of no bytes, 7 */
		if (vd_socks5_reply(data, n, &rep, &used) == 1 && (used > n || used < 7))
			abort();
		if (vd_socks5_method(data, n, &m) == 1 && n < 2)
			abort();
	}
	(void)vd_socks5_reply_name(size ? data[0] : 0);
	return 0;
}
