/* The answer to the connectivity check's GET (daemon/connectivity.c), read
 * as it comes off the network: its status line, the two headers the check
 * uses (Location, Content-Length) and the start of its body. Whoever runs
 * the network writes it (a hotel's login page), so it is remote text: every
 * line is read bounded, the head as a whole too, and the Location is kept
 * escaped and cut. Pure: the caller feeds the bytes. */
#ifndef VPNDOCTOR_HTTPANSWER_H
#define VPNDOCTOR_HTTPANSWER_H

#include <stdbool.h>
#include <stddef.h>

/* Status line and headers, all of them: beyond this it is no answer. */
#define VD_HTTPANS_HEAD_MAX 16384
/* Of the body, this much is kept and compared. */
#define VD_HTTPANS_BODY_MAX 4096
/* Of the Location, this much is kept (escaped, cut at a character). */
#define VD_HTTPANS_REDIRECT_MAX 200
/* Of each head line, this much is looked at. */
#define VD_HTTPANS_LINE_MAX 1024

struct vd_http_answer {
	int status;                /* 0 until the status line is in */
	bool head_done;            /* the blank line after the headers came */
	long long content_length;  /* -1 when not given */
	char redirect[VD_HTTPANS_REDIRECT_MAX + 1];
	char body[VD_HTTPANS_BODY_MAX + 1]; /* NUL-terminated; body_len bytes of it */
	size_t body_len;
	/* where the reading is */
	int state;                 /* 0 reading, 1 complete, < 0 the error */
	size_t head_len;
	char line[VD_HTTPANS_LINE_MAX + 1];
	size_t line_len;           /* kept of the current line (at most LINE_MAX) */
};

void vd_http_answer_init(struct vd_http_answer *a);
/* The next len bytes of the answer. 1 when it is complete as far as the check
 * reads it (the head, and the body up to Content-Length or BODY_MAX; no body
 * after 1xx, 204 and 304), 0 when more may come, -EINVAL when it is not an
 * HTTP answer, -E2BIG when its head passes HEAD_MAX. Once it is not 0,
 * feeding more changes nothing and returns the same. */
int vd_http_answer_feed(struct vd_http_answer *a, const char *data, size_t len);
/* At the end of the stream: whether what came is an answer to judge (a status
 * and the whole head; a body cut short is what it is). */
bool vd_http_answer_usable(const struct vd_http_answer *a);
/* "full" when it is the expected answer, else "portal" (a redirect, a 511,
 * another page: something in the way answers for the internet). want: the
 * start of the expected body of a 200; NULL or "" expects "204 No Content"
 * or a 200 without a body, as NetworkManager's and Android's checks do. */
const char *vd_http_answer_verdict(const struct vd_http_answer *a, const char *want);

#endif
