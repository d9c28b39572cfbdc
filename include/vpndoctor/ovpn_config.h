/* OpenVPN client configuration files, parsed exactly as OpenVPN's options.c
 * reads them: whitespace-separated words, "double" and 'single' quotes,
 * backslash escapes, '#' and ';' comments, CRLF line ends, an optional "--"
 * before the option name, inline <tag>...</tag> blocks and <connection> blocks.
 * Push API: vd_ovpn_parser_feed() takes the file in chunks of any size. */
#ifndef VPNDOCTOR_OVPN_CONFIG_H
#define VPNDOCTOR_OVPN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "vpndoctor/common.h"

struct cJSON;

#define VD_OVPN_MAX_LINE   (16 * 1024)        /* a longer line is -E2BIG (OpenVPN itself reads 256 bytes a line) */
#define VD_OVPN_MAX_INPUT  (4 * 1024 * 1024)  /* a config larger than this is rejected */
#define VD_OVPN_MAX_ARGS   16                 /* OpenVPN's MAX_PARMS */

struct vd_ovpn_option {
	char *name;        /* without the leading "--", as written ("remote") */
	char **argv;       /* the arguments after the name, unquoted */
	size_t argc;
	char *inline_body; /* <tag> blocks: the text between the tags; else NULL.
	                    * An inline block is an option whose name is the tag and
	                    * whose argv is { "[[INLINE]]" }. */
	unsigned line;     /* 1-based line of the option (of the opening tag) */
	unsigned connection; /* 0 outside <connection>; n for the n-th block */
};

struct vd_ovpn_config {
	char *filename; /* as passed to vd_ovpn_parser_new(), for messages */
	struct vd_ovpn_option *opts; /* in file order, <connection> contents included */
	size_t n_opts;
	unsigned n_connections;
};

struct vd_ovpn_parser;

/* filename is only used in error messages (may be NULL: "<input>"). */
int vd_ovpn_parser_new(const char *filename, struct vd_ovpn_parser **ret);
/* Returns 0, or -EINVAL (syntax: unbalanced quote, unterminated or mismatched
 * inline block, NUL byte / binary data), -E2BIG (line or input too long),
 * -ENOMEM. After an error the parser refuses further input; the error is in
 * vd_ovpn_parser_error(). */
int vd_ovpn_parser_feed(struct vd_ovpn_parser *p, const char *data, size_t len);
/* Ends the input (an unterminated inline block is -EINVAL) and hands over the
 * config; the parser is consumed either way (freed). */
int vd_ovpn_parser_finish(struct vd_ovpn_parser *p, struct vd_ovpn_config **ret, struct vd_error *err);
const struct vd_error *vd_ovpn_parser_error(const struct vd_ovpn_parser *p);
void vd_ovpn_parser_free(struct vd_ovpn_parser *p);

/* The same, and on failure the error also as a message (vpndoctor/message.h)
 * for a client to say in its reader's language: *ret_msg is the caller's,
 * NULL when the error is -ENOMEM or there was no memory for it; err->msg is
 * its English (cut at 255 bytes). Untouched on success. */
int vd_ovpn_parser_finish_msg(struct vd_ovpn_parser *p, struct vd_ovpn_config **ret, struct vd_error *err,
                              struct cJSON **ret_msg);

/* Convenience: parse a whole buffer (with the error as a message, _msg). */
int vd_ovpn_config_parse(const char *filename, const char *data, size_t len,
                         struct vd_ovpn_config **ret, struct vd_error *err);
int vd_ovpn_config_parse_msg(const char *filename, const char *data, size_t len, struct vd_ovpn_config **ret,
                             struct vd_error *err, struct cJSON **ret_msg);
void vd_ovpn_config_free(struct vd_ovpn_config *c);

/* The last occurrence of NAME outside <connection> blocks (OpenVPN: last wins),
 * or NULL. */
const struct vd_ovpn_option *vd_ovpn_config_get(const struct vd_ovpn_config *c, const char *name);
/* Iterate every occurrence of NAME (any block): pass NULL to start. */
const struct vd_ovpn_option *vd_ovpn_config_next(const struct vd_ovpn_config *c, const char *name,
                                                 const struct vd_ovpn_option *prev);

enum vd_ovpn_proto { VD_PROTO_UNSPEC = 0, VD_PROTO_UDP, VD_PROTO_TCP };
const char *vd_ovpn_proto_name(enum vd_ovpn_proto p); /* "udp", "tcp", "" */
/* "udp", "udp4", "udp6", "tcp", "tcp-client", "tcp4-client", ...; -EINVAL else. */
int vd_ovpn_proto_parse(const char *s, enum vd_ovpn_proto *ret);

struct vd_ovpn_remote {
	const char *host;         /* points into the config */
	unsigned port;            /* remote's own port, else port/rport, else 1194 */
	enum vd_ovpn_proto proto; /* remote's own proto, else proto, else udp */
	unsigned line;
};

/* The remotes OpenVPN would try, in order, with the defaults applied. As in
 * OpenVPN, when any <connection> block exists the top-level `remote`s are
 * ignored and each block's remote takes the global port/proto as they stand
 * where the block begins, then its own. *ret is malloc'ed (free() it); *n may
 * be 0. */
int vd_ovpn_config_remotes(const struct vd_ovpn_config *c, struct vd_ovpn_remote **ret, size_t *n);

/* Directive table check: unknown option names, and known ones with the wrong
 * number of arguments or in the wrong place. Calls cb for each problem;
 * returns the count. A problem is a message (vpndoctor/message.h), so that
 * a client says it in its reader's language, and its English rendering;
 * both are NULL when there was no memory to make them (the problem still
 * counts). They live until cb returns. */
struct vd_ovpn_problem {
	unsigned line;
	bool unknown;             /* an option OpenVPN on Linux does not take at all
	                           * (unknown, removed, Windows only); else a known
	                           * one with wrong arguments or in the wrong place */
	const char *text;         /* English, one sentence without its final stop */
	const struct cJSON *msg;
};
typedef void (*vd_ovpn_problem_cb)(void *userdata, const struct vd_ovpn_problem *p);
unsigned vd_ovpn_config_validate(const struct vd_ovpn_config *c, vd_ovpn_problem_cb cb, void *userdata);
/* The same; with VD_OVPN_NO_QUOTE no word of the file is in a message but
 * the names of known directives ("an unknown directive", "option 'proto'
 * names a protocol OpenVPN does not know"): for a file read on behalf of
 * another user's process. The parser's own messages never quote more. */
#define VD_OVPN_NO_QUOTE 1u
unsigned vd_ovpn_config_check(const struct vd_ovpn_config *c, unsigned flags, vd_ovpn_problem_cb cb,
                              void *userdata);

#endif
