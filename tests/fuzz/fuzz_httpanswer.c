/* libFuzzer target for lib/httpanswer.c: the input is what the connectivity
 * check's server (or whatever answers in its place: a login page, something
 * that is no web server) sends. Fed whole and fed in pieces whose sizes the
 * input's first byte picks, the answer read is the same; the Location kept is
 * escaped (no control character) and bounded, the body within its bounds and
 * never past Content-Length, and the verdict one of the two. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpndoctor/httpanswer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct vd_http_answer *a, int r)
{
	size_t l = strlen(a->redirect);
	const char *v = vd_http_answer_verdict(a, NULL), *w = vd_http_answer_verdict(a, "success");

	if (r != a->state || (r == 1 && !a->head_done) || l > VD_HTTPANS_REDIRECT_MAX)
		abort();
	for (size_t i = 0; i < l; i++)
		if ((unsigned char)a->redirect[i] < 0x20 || a->redirect[i] == 0x7f)
			abort();
	if (a->body_len > VD_HTTPANS_BODY_MAX || a->body[a->body_len] != '\0' ||
	    (a->content_length >= 0 && a->body_len > (unsigned long long)a->content_length))
		abort();
	if (a->status != 0 && (a->status < 100 || a->status > 599))
		abort();
	if ((strcmp(v, "full") != 0 && strcmp(v, "portal") != 0) || (strcmp(w, "full") != 0 && strcmp(w, "portal") != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vd_http_answer whole, pieces;
	size_t step = size ? (size_t)(data[0] % 16) + 1 : 1;
	int rw, rp = 0;

	vd_http_answer_init(&whole);
	rw = vd_http_answer_feed(&whole, (const char *)data, size);
	check(&whole, rw);
	vd_http_answer_init(&pieces);
	for (size_t i = 0; i < size && rp == 0; i += step)
		rp = vd_http_answer_feed(&pieces, (const char *)data + i, size - i < step ? size - i : step);
	check(&pieces, rp);
	if (rw != rp || whole.status != pieces.status || whole.head_done != pieces.head_done ||
	    whole.content_length != pieces.content_length || strcmp(whole.redirect, pieces.redirect) != 0 ||
	    whole.body_len != pieces.body_len || memcmp(whole.body, pieces.body, whole.body_len) != 0 ||
	    vd_http_answer_usable(&whole) != vd_http_answer_usable(&pieces))
		abort();
	return 0;
}
