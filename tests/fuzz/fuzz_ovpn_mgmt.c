/* libFuzzer target for lib/ovpn_mgmt.c: any bytes as a management stream, fed
 * in two pieces at a split the input chooses, with a few replies expected;
 * then the input as one line in each reading context. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpndoctor/ovpn_mgmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(void *userdata, const struct vd_mgmt_msg *m)
{
	size_t *n = userdata;

	(*n)++;
	if (m->kind < VD_MGMT_STATE || m->kind > VD_MGMT_INVALID)
		abort();
	if (m->text_len > VD_MGMT_MAX_LINE)
		abort();
	if (m->kind == VD_MGMT_STATE && (strnlen(m->u.state.name, sizeof(m->u.state.name)) == 0 ||
	                                 strnlen(m->u.state.detail, sizeof(m->u.state.detail)) ==
	                                         sizeof(m->u.state.detail)))
		abort();
	if (m->kind == VD_MGMT_LOG && m->u.log.msg_len > VD_MGMT_MAX_LINE)
		abort();
	/* the callback reads every byte it is given: ASan checks the bounds */
	if (m->text_len) {
		volatile char c = m->text[m->text_len - 1];
		(void)c;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vd_mgmt_reader *r;
	struct vd_mgmt_msg m;
	size_t n = 0, split;
	char *copy;

	if (vd_mgmt_reader_new(&r) < 0)
		return 0;
	vd_mgmt_expect(r, VD_MGMT_REPLY_STATUS);
	vd_mgmt_expect(r, VD_MGMT_REPLY_STATUS_LOG_LIST);
	vd_mgmt_expect(r, VD_MGMT_REPLY_STATE_LIST);
	split = size ? data[0] % (size + 1) : 0;
	vd_mgmt_feed(r, (const char *)data, split, check, &n);
	vd_mgmt_feed(r, (const char *)data + split, size - split, check, &n);
	if (vd_mgmt_pending(r) > VD_MGMT_MAX_PENDING)
		abort();
	vd_mgmt_reader_free(r);

	if (size > VD_MGMT_MAX_LINE)
		return 0;
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	vd_mgmt_parse_line(copy, size, 0, &m);
	vd_mgmt_parse_line(copy, size, VD_MGMT_STATE, &m);
	vd_mgmt_parse_line(copy, size, VD_MGMT_LOG, &m);
	free(copy);
	return 0;
}
