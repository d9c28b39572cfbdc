/* libFuzzer target for lib/reflector.c: the input is a datagram, parsed as a
 * request and as a response under a fixed key; what parses must rebuild to
 * the same bytes (there is one encoding of each message). The last bytes
 * also drive the replay cache and the rate limits. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vpndoctor/reflector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t KEY[] = "fuzzing key, 32 bytes long......";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vd_rfl_replay replay;
	static struct vd_rfl_limits limits;
	struct vd_rfl_request q;
	struct vd_rfl_response a;
	uint8_t buf[128];

	if (vd_rfl_request_parse(data, size, KEY, sizeof(KEY) - 1, &q) == 0) {
		if (q.count < 1 || q.count > VD_RFL_MAX_COUNT ||
		    vd_rfl_request_build(&q, KEY, sizeof(KEY) - 1, buf, sizeof(buf)) != VD_RFL_REQUEST_LEN ||
		    memcmp(buf, data, VD_RFL_REQUEST_LEN) != 0)
			abort();
	}
	if (vd_rfl_response_parse(data, size, KEY, sizeof(KEY) - 1, &a) == 0) {
		if (a.received > a.sent ||
		    vd_rfl_response_build(&a, KEY, sizeof(KEY) - 1, buf, sizeof(buf)) != VD_RFL_RESPONSE_LEN ||
		    memcmp(buf, data, VD_RFL_RESPONSE_LEN) != 0)
			abort();
	}
	/* the MAC is not forgeable by a fuzzer: also take the bytes unauthenticated
	 * through the guards, as if they had passed */
	if (size >= 24) {
		int64_t ts, now;
		int r;
		memcpy(&ts, data, 8);
		memcpy(&now, data + 8, 8);
		r = vd_rfl_replay_add(&replay, data + 8, ts, now);
		if (r != 0 && r != -EALREADY && r != -ENOSPC && r != -EINVAL)
			abort();
		if (replay.n > VD_RFL_REPLAY_MAX)
			abort();
		if (limits.src_rate == 0)
			vd_rfl_limits_init(&limits, 0.5, 5, 5, 20);
		r = vd_rfl_limits_take(&limits, data[16] & 1 ? AF_INET6 : AF_INET, data + 8, now / 1000);
		if (r != 0 && r != -EAGAIN && r != -EBUSY)
			abort();
		if (limits.n > VD_RFL_SOURCES_MAX)
			abort();
	}
	return 0;
}
