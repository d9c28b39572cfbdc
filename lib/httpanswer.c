/* See vpndoctor/httpanswer.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vpndoctor/httpanswer.h"
#include "vpndoctor/text.h"

void vd_http_answer_init(struct vd_http_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->content_length = -1;
}

static bool no_body(int status)
{
	return status == 204 || status == 304 || (status >= 100 && status < 200);
}

/* One line of the head, without its end ("\r\n" or "\n"), as much of it as
 * was kept: 0, or -EINVAL for a status line that is not HTTP's. */
static int head_line(struct vd_http_answer *a, const char *line, size_t n)
{
	if (a->status == 0) {
		int maj, min, code;
		char sp;

		if (sscanf(line, "HTTP/%d.%d %3d%c", &maj, &min, &code, &sp) < 3 || code < 100 || code > 599)
			return -EINVAL;
		a->status = code;
	} else if (n == 0) {
		a->head_done = true;
	} else if (strncasecmp(line, "Location:", 9) == 0 && !a->redirect[0]) {
		const char *v = line + 9;

		while (*v == ' ' || *v == '\t')
			v++;
		/* remote text: escaped, then cut at a character boundary */
		vd_text_escape(a->redirect, sizeof(a->redirect), v, n - (size_t)(v - line));
	} else if (strncasecmp(line, "Content-Length:", 15) == 0) {
		char *end;
		long long l = strtoll(line + 15, &end, 10);

		if (end != line + 15 && l >= 0)
			a->content_length = l;
	}
	return 0;
}

static int body(struct vd_http_answer *a, const char *data, size_t len)
{
	size_t room = VD_HTTPANS_BODY_MAX - a->body_len;
	size_t n;

	/* what follows the body is none of it */
	if (a->content_length >= 0 && (unsigned long long)a->content_length - a->body_len < room)
		room = (size_t)((unsigned long long)a->content_length - a->body_len);
	n = len < room ? len : room;

	memcpy(a->body + a->body_len, data, n);
	a->body_len += n;
	a->body[a->body_len] = '\0';
	if (no_body(a->status) || a->body_len >= VD_HTTPANS_BODY_MAX ||
	    (a->content_length >= 0 && a->body_len >= (unsigned long long)a->content_length))
		a->state = 1;
	return a->state;
}

int vd_http_answer_feed(struct vd_http_answer *a, const char *data, size_t len)
{
	size_t i = 0;

	if (a->state != 0)
		return a->state;
	while (!a->head_done && i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t take = nl ? (size_t)(nl - (data + i)) : len - i;

		if (a->head_len + take + (nl ? 1 : 0) > VD_HTTPANS_HEAD_MAX)
			return a->state = -E2BIG;
		a->head_len += take + (nl ? 1 : 0);
		/* keep the line's start; the rest of a long one is only counted */
		size_t keep = VD_HTTPANS_LINE_MAX - a->line_len < take ? VD_HTTPANS_LINE_MAX - a->line_len : take;
		memcpy(a->line + a->line_len, data + i, keep);
		a->line_len += keep;
		i += take;
		if (!nl)
			break;
		i++; /* the '\n' */
		size_t n = a->line_len;
		if (n && a->line[n - 1] == '\r')
			n--;
		a->line[n] = '\0';
		a->line_len = 0;
		if (head_line(a, a->line, n) < 0)
			return a->state = -EINVAL;
	}
	if (!a->head_done)
		return 0;
	if (no_body(a->status)) {
		a->state = 1;
		return 1;
	}
	return body(a, data + i, len - i);
}

bool vd_http_answer_usable(const struct vd_http_answer *a)
{
	return a->state >= 0 && a->status > 0 && a->head_done;
}

const char *vd_http_answer_verdict(const struct vd_http_answer *a, const char *want)
{
	if (want && *want) {
		size_t n = strlen(want);
		return a->status == 200 && a->body_len >= n && memcmp(a->body, want, n) == 0 ? "full" : "portal";
	}
	return a->status == 204 || (a->status == 200 && a->body_len == 0) ? "full" : "portal";
}
