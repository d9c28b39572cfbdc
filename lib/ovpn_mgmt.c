/* OpenVPN management interface lines (manage.c: man_state_info_print,
 * man_log_print, man_bytecount_output_client, msg(M_CLIENT, ...)). Replies
 * carry no command tag, so the reader keeps the shapes of the replies still
 * owed, in the order the commands were sent. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vpndoctor/common.h"
#include "vpndoctor/ovpn_mgmt.h"

struct vd_mgmt_reader {
	struct vd_linesplit split;
	enum vd_mgmt_reply pending[VD_MGMT_MAX_PENDING];
	unsigned head, n;
	bool status_seen; /* the head's SUCCESS line came; its list follows */
	vd_mgmt_fn fn;
	void *userdata;
};

/* ---- lines ------------------------------------------------------------------ */

void vd_linesplit_init(struct vd_linesplit *s)
{
	s->len = 0;
	s->skipping = false;
}

static void emit_line(struct vd_linesplit *s, vd_line_fn fn, void *userdata, bool truncated)
{
	size_t len = s->len;

	if (!truncated && len > 0 && s->buf[len - 1] == '\r')
		len--;
	fn(userdata, s->buf, len, truncated);
	s->len = 0;
}

void vd_linesplit_feed(struct vd_linesplit *s, const char *data, size_t len, vd_line_fn fn, void *userdata)
{
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;

		if (s->skipping) {
			if (nl)
				s->skipping = false;
		} else if (s->len + take > sizeof(s->buf)) {
			size_t room = sizeof(s->buf) - s->len;
			memcpy(s->buf + s->len, data, room);
			s->len += room;
			emit_line(s, fn, userdata, true);
			s->skipping = !nl;
		} else {
			memcpy(s->buf + s->len, data, take);
			s->len += take;
			if (nl)
				emit_line(s, fn, userdata, false);
		}
		if (!nl)
			break;
		take++;
		data += take;
		len -= take;
	}
}

void vd_linesplit_flush(struct vd_linesplit *s, vd_line_fn fn, void *userdata)
{
	if (s->len > 0 && !s->skipping)
		emit_line(s, fn, userdata, false);
	s->len = 0;
	s->skipping = false;
}

/* ---- fields ----------------------------------------------------------------- */

/* The next comma-separated field of [*p, end): its start and length. */
static bool field(const char **p, const char *end, const char **f, size_t *flen)
{
	const char *c;

	if (*p > end)
		return false;
	c = memchr(*p, ',', (size_t)(end - *p));
	*f = *p;
	*flen = c ? (size_t)(c - *p) : (size_t)(end - *p);
	*p = c ? c + 1 : end + 1;
	return true;
}

static int copy_field(char *dst, size_t size, const char *f, size_t len)
{
	if (len >= size)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (f[i] == '\0')
			return -EINVAL;
	memcpy(dst, f, len);
	dst[len] = '\0';
	return 0;
}

static int num_field(const char *f, size_t len, uint64_t max, uint64_t *ret)
{
	char buf[24];

	if (copy_field(buf, sizeof(buf), f, len) < 0)
		return -EINVAL;
	return vd_parse_u64(buf, 0, max, ret);
}

int vd_mgmt_state_parse(const char *s, size_t len, struct vd_mgmt_state *ret)
{
	struct vd_mgmt_state st;
	const char *p = s, *end = s + len, *f;
	size_t flen;
	uint64_t v;
	char *const strs[] = {st.detail, st.local_ip, st.remote_ip};
	const size_t sizes[] = {sizeof(st.detail), sizeof(st.local_ip), sizeof(st.remote_ip)};

	memset(&st, 0, sizeof(st));
	if (!field(&p, end, &f, &flen) || num_field(f, flen, INT64_MAX, &v) < 0)
		return -EINVAL;
	st.time = (int64_t)v;
	if (!field(&p, end, &f, &flen) || flen == 0 || copy_field(st.name, sizeof(st.name), f, flen) < 0)
		return -EINVAL;
	for (size_t i = 0; i < flen; i++)
		if (!((f[i] >= 'A' && f[i] <= 'Z') || f[i] == '_'))
			return -EINVAL;
	/* The detail is free text from OpenVPN (a signal reason, "SUCCESS"); it
	 * never holds a comma, as the format has no quoting. */
	for (size_t i = 0; i < VD_ARRAY_SIZE(strs); i++) {
		if (!field(&p, end, &f, &flen))
			goto done;
		if (copy_field(strs[i], sizes[i], f, flen) < 0)
			return -EINVAL;
	}
	if (!field(&p, end, &f, &flen))
		goto done;
	if (flen && num_field(f, flen, 65535, &v) < 0)
		return -EINVAL;
	st.remote_port = flen ? (unsigned)v : 0;
	if (!field(&p, end, &f, &flen))
		goto done;
	if (copy_field(st.local_addr, sizeof(st.local_addr), f, flen) < 0)
		return -EINVAL;
	if (!field(&p, end, &f, &flen))
		goto done;
	if (flen && num_field(f, flen, 65535, &v) < 0)
		return -EINVAL;
	st.local_port = flen ? (unsigned)v : 0;
	if (!field(&p, end, &f, &flen))
		goto done;
	if (copy_field(st.local_ipv6, sizeof(st.local_ipv6), f, flen) < 0)
		return -EINVAL;
	/* later versions may add fields: they are ignored */
done:
	*ret = st;
	return 0;
}

int vd_mgmt_log_parse(const char *s, size_t len, struct vd_mgmt_log *ret)
{
	struct vd_mgmt_log l;
	const char *p = s, *end = s + len, *f;
	size_t flen;
	uint64_t v;

	memset(&l, 0, sizeof(l));
	if (!field(&p, end, &f, &flen) || num_field(f, flen, INT64_MAX, &v) < 0)
		return -EINVAL;
	l.time = (int64_t)v;
	if (!field(&p, end, &f, &flen) || p > end + 1 || flen >= sizeof(l.flags))
		return -EINVAL;
	if (p > end) /* no message field at all */
		return -EINVAL;
	for (size_t i = 0; i < flen; i++)
		if (!strchr("IFNWD", f[i]) || f[i] == '\0')
			return -EINVAL;
	memcpy(l.flags, f, flen);
	l.msg = p;
	l.msg_len = (size_t)(end - p);
	*ret = l;
	return 0;
}

int vd_mgmt_bytecount_parse(const char *s, size_t len, uint64_t *in, uint64_t *out)
{
	const char *p = s, *end = s + len, *f;
	size_t flen;
	uint64_t a, b;

	if (!field(&p, end, &f, &flen) || num_field(f, flen, UINT64_MAX, &a) < 0)
		return -EINVAL;
	if (!field(&p, end, &f, &flen) || p <= end || num_field(f, flen, UINT64_MAX, &b) < 0)
		return -EINVAL;
	*in = a;
	*out = b;
	return 0;
}

/* ---- messages --------------------------------------------------------------- */

static bool starts(const char *line, size_t len, const char *prefix, size_t *plen)
{
	size_t n = strlen(prefix);

	if (len < n || memcmp(line, prefix, n) != 0)
		return false;
	*plen = n;
	return true;
}

static int realtime(const char *line, size_t len, struct vd_mgmt_msg *m)
{
	static const struct {
		const char *name;
		enum vd_mgmt_kind kind;
	} sources[] = {
		{"STATE", VD_MGMT_STATE}, {"LOG", VD_MGMT_LOG},     {"BYTECOUNT", VD_MGMT_BYTECOUNT},
		{"HOLD", VD_MGMT_HOLD},   {"INFO", VD_MGMT_INFO},   {"FATAL", VD_MGMT_FATAL},
		{"PASSWORD", VD_MGMT_PASSWORD},
	};
	const char *colon = memchr(line, ':', len);
	size_t slen;

	if (!colon)
		return -EINVAL;
	slen = (size_t)(colon - line) - 1;
	if (copy_field(m->source, sizeof(m->source), line + 1, slen) < 0)
		m->source[0] = '\0';
	m->text = colon + 1;
	m->text_len = len - (size_t)(colon + 1 - line);
	m->kind = VD_MGMT_NOTIFY;
	for (size_t i = 0; i < VD_ARRAY_SIZE(sources); i++)
		if (strlen(sources[i].name) == slen && memcmp(sources[i].name, line + 1, slen) == 0)
			m->kind = sources[i].kind;
	switch (m->kind) {
	case VD_MGMT_STATE:
		return vd_mgmt_state_parse(m->text, m->text_len, &m->u.state);
	case VD_MGMT_LOG:
		return vd_mgmt_log_parse(m->text, m->text_len, &m->u.log);
	case VD_MGMT_BYTECOUNT:
		return vd_mgmt_bytecount_parse(m->text, m->text_len, &m->u.bytes.in, &m->u.bytes.out);
	default:
		return 0;
	}
}

int vd_mgmt_parse_line(const char *line, size_t len, enum vd_mgmt_kind ctx, struct vd_mgmt_msg *ret)
{
	struct vd_mgmt_msg m;
	size_t n;
	int r = 0;

	memset(&m, 0, sizeof(m));
	if (len > 0 && line[0] == '>') {
		r = realtime(line, len, &m);
	} else if (starts(line, len, "SUCCESS:", &n) || starts(line, len, "ERROR:", &n)) {
		m.kind = line[0] == 'S' ? VD_MGMT_SUCCESS : VD_MGMT_ERROR;
		m.reply = true;
		while (n < len && line[n] == ' ')
			n++;
		m.text = line + n;
		m.text_len = len - n;
	} else if (len == 3 && memcmp(line, "END", 3) == 0) {
		m.kind = VD_MGMT_END;
		m.reply = true;
		m.text = line + len;
	} else {
		m.reply = true;
		m.text = line;
		m.text_len = len;
		m.kind = VD_MGMT_DATA;
		if (ctx == VD_MGMT_STATE && vd_mgmt_state_parse(line, len, &m.u.state) == 0)
			m.kind = VD_MGMT_STATE;
		else if (ctx == VD_MGMT_LOG && vd_mgmt_log_parse(line, len, &m.u.log) == 0)
			m.kind = VD_MGMT_LOG;
	}
	if (r < 0) {
		memset(&m.u, 0, sizeof(m.u));
		m.kind = VD_MGMT_INVALID;
	}
	*ret = m;
	return r;
}

const char *vd_mgmt_kind_name(enum vd_mgmt_kind k)
{
	static const char *const names[] = {
		[VD_MGMT_STATE] = "state",       [VD_MGMT_LOG] = "log",     [VD_MGMT_BYTECOUNT] = "bytecount",
		[VD_MGMT_HOLD] = "hold",         [VD_MGMT_INFO] = "info",   [VD_MGMT_FATAL] = "fatal",
		[VD_MGMT_PASSWORD] = "password", [VD_MGMT_NOTIFY] = "notify", [VD_MGMT_SUCCESS] = "success",
		[VD_MGMT_ERROR] = "error",       [VD_MGMT_END] = "end",     [VD_MGMT_DATA] = "data",
		[VD_MGMT_INVALID] = "invalid",
	};
	if ((unsigned)k < VD_ARRAY_SIZE(names) && names[k])
		return names[k];
	return "unknown";
}

/* ---- the reader ------------------------------------------------------------- */

int vd_mgmt_reader_new(struct vd_mgmt_reader **ret)
{
	struct vd_mgmt_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	vd_linesplit_init(&r->split);
	*ret = r;
	return 0;
}

void vd_mgmt_reader_free(struct vd_mgmt_reader *r)
{
	free(r);
}

int vd_mgmt_expect(struct vd_mgmt_reader *r, enum vd_mgmt_reply reply)
{
	if (reply < VD_MGMT_REPLY_STATUS || reply > VD_MGMT_REPLY_DATA_LIST)
		return -EINVAL;
	if (r->n >= VD_MGMT_MAX_PENDING)
		return -ENOBUFS;
	r->pending[(r->head + r->n) % VD_MGMT_MAX_PENDING] = reply;
	if (r->n == 0)
		r->status_seen = false;
	r->n++;
	return 0;
}

unsigned vd_mgmt_pending(const struct vd_mgmt_reader *r)
{
	return r->n;
}

static void pop(struct vd_mgmt_reader *r)
{
	if (!r->n)
		return;
	r->head = (r->head + 1) % VD_MGMT_MAX_PENDING;
	r->n--;
	r->status_seen = false;
}

/* How the head reply wants a plain line read. */
static enum vd_mgmt_kind head_ctx(const struct vd_mgmt_reader *r)
{
	if (!r->n)
		return 0;
	switch (r->pending[r->head]) {
	case VD_MGMT_REPLY_STATE_LIST:
	case VD_MGMT_REPLY_STATUS_STATE_LIST:
		return VD_MGMT_STATE;
	case VD_MGMT_REPLY_LOG_LIST:
	case VD_MGMT_REPLY_STATUS_LOG_LIST:
		return VD_MGMT_LOG;
	default:
		return 0;
	}
}

static bool head_has_status(const struct vd_mgmt_reader *r)
{
	enum vd_mgmt_reply h = r->pending[r->head];
	return h == VD_MGMT_REPLY_STATUS || h == VD_MGMT_REPLY_STATUS_LOG_LIST ||
	       h == VD_MGMT_REPLY_STATUS_STATE_LIST;
}

static void on_line(void *userdata, const char *line, size_t len, bool truncated)
{
	struct vd_mgmt_reader *r = userdata;
	struct vd_mgmt_msg m;

	vd_mgmt_parse_line(line, len, head_ctx(r), &m);
	m.truncated = truncated;
	if (m.reply && r->n) {
		switch (m.kind) {
		case VD_MGMT_SUCCESS:
			/* a list follows a status line only when it succeeded */
			if (head_has_status(r) && !r->status_seen) {
				if (r->pending[r->head] == VD_MGMT_REPLY_STATUS)
					pop(r);
				else
					r->status_seen = true;
			}
			break;
		case VD_MGMT_ERROR:
			pop(r);
			break;
		case VD_MGMT_END:
			if (r->pending[r->head] != VD_MGMT_REPLY_STATUS)
				pop(r);
			break;
		default:
			break;
		}
	}
	r->fn(r->userdata, &m);
}

int vd_mgmt_feed(struct vd_mgmt_reader *r, const char *data, size_t len, vd_mgmt_fn fn, void *userdata)
{
	r->fn = fn;
	r->userdata = userdata;
	vd_linesplit_feed(&r->split, data, len, on_line, r);
	return 0;
}
