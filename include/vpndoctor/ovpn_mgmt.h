/* The client side of OpenVPN's management interface (management-notes.txt,
 * manage.c): a bounded line splitter for the byte stream, and a reader that
 * turns each line into a message, pairing command replies with the commands
 * sent. Pure; no I/O, no allocation but the reader itself. */
#ifndef VPNDOCTOR_OVPN_MGMT_H
#define VPNDOCTOR_OVPN_MGMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* OpenVPN formats a message into ERR_BUF_SIZE (10240) bytes; a PUSH_REPLY log
 * line fits with room to spare. A longer line is cut (truncated = true). */
#define VD_MGMT_MAX_LINE 10752

/* ---- lines ------------------------------------------------------------------ */

/* Splits a stream into lines at LF, dropping a CR before it; a line longer than
 * VD_MGMT_MAX_LINE is handed on cut, once, and the rest of it skipped. */
struct vd_linesplit {
	char buf[VD_MGMT_MAX_LINE];
	size_t len;
	bool skipping; /* inside the rest of a cut line */
};

typedef void (*vd_line_fn)(void *userdata, const char *line, size_t len, bool truncated);

void vd_linesplit_init(struct vd_linesplit *s);
/* Calls fn for every complete line in data; keeps a partial one for the next call. */
void vd_linesplit_feed(struct vd_linesplit *s, const char *data, size_t len, vd_line_fn fn, void *userdata);
/* The partial line held (a stream that ended without a newline), if any. */
void vd_linesplit_flush(struct vd_linesplit *s, vd_line_fn fn, void *userdata);

/* ---- messages --------------------------------------------------------------- */

enum vd_mgmt_kind {
	VD_MGMT_STATE = 1, /* ">STATE:" or a line of the `state` command's list */
	VD_MGMT_LOG,       /* ">LOG:" or a line of the `log` command's list */
	VD_MGMT_BYTECOUNT, /* ">BYTECOUNT:in,out" */
	VD_MGMT_HOLD,      /* ">HOLD:Waiting for hold release:N" */
	VD_MGMT_INFO,      /* ">INFO:OpenVPN Management Interface Version 5 -- ..." */
	VD_MGMT_FATAL,     /* ">FATAL:msg", just before OpenVPN exits */
	VD_MGMT_PASSWORD,  /* ">PASSWORD:Need 'Auth' ..." / "Verification Failed: ..." */
	VD_MGMT_NOTIFY,    /* any other ">SOURCE:text" (source names it) */
	VD_MGMT_SUCCESS,   /* "SUCCESS: text" */
	VD_MGMT_ERROR,     /* "ERROR: text" */
	VD_MGMT_END,       /* "END": a list reply is complete */
	VD_MGMT_DATA,      /* a line of a reply that is none of the above */
	VD_MGMT_INVALID,   /* a ">STATE:", ">LOG:" or ">BYTECOUNT:" line that does not parse */
};

/* One state line: "time,STATE,detail,local_ip,remote_ip,remote_port,local_addr,
 * local_port,local_ipv6" (fields after the name are optional). */
struct vd_mgmt_state {
	int64_t time;
	char name[32];        /* "CONNECTED", "RECONNECTING", ... as sent */
	char detail[256];     /* "SUCCESS", "ping-restart", "SIGTERM", ... */
	char local_ip[64];    /* tun/tap IPv4 */
	char remote_ip[64];   /* the server's address */
	unsigned remote_port; /* 0: not given */
	char local_addr[64];
	unsigned local_port;
	char local_ipv6[64];
};

/* One log line: "time,flags,message"; flags from "IFNWD" (may be empty). */
struct vd_mgmt_log {
	int64_t time;
	char flags[8];
	const char *msg; /* points into the line; not NUL-terminated */
	size_t msg_len;
};

struct vd_mgmt_msg {
	enum vd_mgmt_kind kind;
	bool truncated;      /* the line was longer than VD_MGMT_MAX_LINE */
	bool reply;          /* part of a command's reply (not a real-time ">" line) */
	char source[32];     /* NOTIFY: the source keyword ("NEED-OK", "ECHO", ...) */
	const char *text;    /* the text after the prefix (">HOLD:", "SUCCESS: "),
	                      * the whole line for DATA; points into the line */
	size_t text_len;
	union {
		struct vd_mgmt_state state;
		struct vd_mgmt_log log;
		struct {
			uint64_t in, out;
		} bytes;
	} u;
};

/* What a command's reply looks like, so that the lines of a list can be read:
 * `state on` / `bytecount N` answer one SUCCESS/ERROR line; `state` and
 * `state all` answer a list of state lines and END; `log on all` answers
 * SUCCESS, then a list of log lines and END; `version` answers lines
 * ("OpenVPN Version: OpenVPN 2.6.14 ...", "Management Version: 5") and END. */
enum vd_mgmt_reply {
	VD_MGMT_REPLY_STATUS = 1,
	VD_MGMT_REPLY_STATE_LIST,
	VD_MGMT_REPLY_LOG_LIST,       /* `log all`, `log N`: the list alone */
	VD_MGMT_REPLY_STATUS_LOG_LIST, /* `log on all` */
	VD_MGMT_REPLY_STATUS_STATE_LIST, /* `state on all` */
	VD_MGMT_REPLY_DATA_LIST,      /* `version`, `help`: plain lines (DATA), then END */
};

#define VD_MGMT_MAX_PENDING 16

/* Parses one line (no newline). ctx says how to read a line that is not a
 * real-time message or a SUCCESS/ERROR/END: VD_MGMT_STATE, VD_MGMT_LOG, or 0
 * (DATA). Returns 0, or -EINVAL for a known message that does not parse
 * (ret->kind is then VD_MGMT_INVALID). */
int vd_mgmt_parse_line(const char *line, size_t len, enum vd_mgmt_kind ctx, struct vd_mgmt_msg *ret);
/* The fields of a state line / log line / "in,out" alone (without the prefix). */
int vd_mgmt_state_parse(const char *s, size_t len, struct vd_mgmt_state *ret);
int vd_mgmt_log_parse(const char *s, size_t len, struct vd_mgmt_log *ret);
int vd_mgmt_bytecount_parse(const char *s, size_t len, uint64_t *in, uint64_t *out);

/* ---- the reader ------------------------------------------------------------- */

struct vd_mgmt_reader;
typedef void (*vd_mgmt_fn)(void *userdata, const struct vd_mgmt_msg *m);

int vd_mgmt_reader_new(struct vd_mgmt_reader **ret);
void vd_mgmt_reader_free(struct vd_mgmt_reader *r);
/* Tells the reader a command was sent whose reply has this shape (replies come
 * in command order). -ENOBUFS with VD_MGMT_MAX_PENDING unanswered, -EINVAL. */
int vd_mgmt_expect(struct vd_mgmt_reader *r, enum vd_mgmt_reply reply);
/* Commands sent whose replies have not ended yet. */
unsigned vd_mgmt_pending(const struct vd_mgmt_reader *r);
/* Feeds received bytes; fn gets every message, in order. fn must not free the
 * reader. Returns 0. */
int vd_mgmt_feed(struct vd_mgmt_reader *r, const char *data, size_t len, vd_mgmt_fn fn, void *userdata);

const char *vd_mgmt_kind_name(enum vd_mgmt_kind k); /* "state", "log", ... */

#endif
