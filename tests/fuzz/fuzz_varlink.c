/* libFuzzer target for the Varlink codec: the input is fed to the decoder in
 * splits chosen by its own bytes; every message is decoded as a call and as a
 * reply, and a valid call is re-encoded and must decode to the same call. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "vpndoctor/varlink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_message(const char *m, size_t len)
{
	struct vd_varlink_call c;
	struct vd_varlink_reply r;
	const char *bad;
	char *out;
	size_t out_len;

	if (vd_varlink_call_parse(m, len, &c, &bad) == 0) {
		unsigned flags = (c.more ? VD_VARLINK_CALL_MORE : 0) | (c.oneway ? VD_VARLINK_CALL_ONEWAY : 0);
		struct vd_varlink_call c2;

		if (vd_varlink_encode_call(c.method, c.parameters, flags, &out, &out_len) != 0)
			abort();
		if (out[out_len - 1] != '\0' || vd_varlink_call_parse(out, out_len - 1, &c2, NULL) != 0)
			abort();
		if (strcmp(c.method, c2.method) != 0 || c.more != c2.more || c.oneway != c2.oneway ||
		    !cJSON_Compare(c.parameters, c2.parameters, true))
			abort();
		vd_varlink_call_done(&c2);
		free(out);
		if (vd_varlink_encode_reply(c.parameters, c.more, &out, &out_len) != 0)
			abort();
		free(out);
		vd_varlink_call_done(&c);
	} else if (!bad) {
		abort();
	}
	if (vd_varlink_reply_parse(m, len, &r) == 0) {
		if (!cJSON_IsObject(r.parameters))
			abort();
		vd_varlink_reply_done(&r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vd_varlink_decoder *d;
	size_t off, max;
	unsigned seed;

	if (size < 2)
		return 0;
	/* First byte: the message limit (small ones reach the limit paths);
	 * second: the seed of the split sizes. */
	max = data[0] < 16 ? 65536 : (size_t)data[0] * 8;
	seed = data[1];
	data += 2;
	size -= 2;
	if (vd_varlink_decoder_new(max, &d) < 0)
		return 0;
	for (off = 0; off < size;) {
		size_t n = 1 + (seed = seed * 1103515245u + 12345u) % 97u;
		const char *m;
		size_t len;
		int r;

		if (n > size - off)
			n = size - off;
		r = vd_varlink_decoder_feed(d, data + off, n);
		off += n;
		if (vd_varlink_decoder_pending(d) > max)
			abort();
		while ((r = vd_varlink_decoder_next(d, &m, &len)) == 1) {
			if (len > max || m[len] != '\0' || memchr(m, '\0', len))
				abort();
			check_message(m, len);
		}
		if (r < 0)
			break;
	}
	vd_varlink_decoder_free(d);
	return 0;
}
