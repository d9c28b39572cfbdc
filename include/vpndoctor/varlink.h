/* Varlink wire codec (varlink.org): NUL-framed JSON messages, pure and
 * I/O-free, shared by the daemon's control socket, the CLI and the fuzzer. */
#ifndef VPNDOCTOR_VARLINK_H
#define VPNDOCTOR_VARLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

#define VD_VARLINK_MAX_MESSAGE_DEFAULT (64u * 1024u)

/* Standard errors of org.varlink.service. */
#define VD_VARLINK_ERROR_INTERFACE_NOT_FOUND "org.varlink.service.InterfaceNotFound"
#define VD_VARLINK_ERROR_METHOD_NOT_FOUND    "org.varlink.service.MethodNotFound"
#define VD_VARLINK_ERROR_INVALID_PARAMETER   "org.varlink.service.InvalidParameter"
#define VD_VARLINK_ERROR_PERMISSION_DENIED   "org.varlink.service.PermissionDenied"
#define VD_VARLINK_ERROR_EXPECTED_MORE       "org.varlink.service.ExpectedMore"

/* --- Framing: a push decoder ---------------------------------------------
 * feed() appends bytes; next() hands out each complete message (the bytes
 * before a NUL) in order. An incomplete message longer than max_message is
 * never buffered: the decoder fails, and next() reports -EMSGSIZE once the
 * complete messages before it are drained. The caller drains next() between
 * feeds, so memory stays within one chunk plus max_message. */
struct vd_varlink_decoder;

int vd_varlink_decoder_new(size_t max_message, struct vd_varlink_decoder **ret);
void vd_varlink_decoder_free(struct vd_varlink_decoder *d);
/* 0, or -EMSGSIZE when the decoder has failed (data dropped), -ENOMEM. */
int vd_varlink_decoder_feed(struct vd_varlink_decoder *d, const void *data, size_t len);
/* 1 with *msg (NUL-terminated, valid until the next feed) and *len (without
 * the NUL); 0 when no complete message is buffered; -EMSGSIZE. */
int vd_varlink_decoder_next(struct vd_varlink_decoder *d, const char **msg, size_t *len);
/* Bytes of an incomplete message held (0 between messages). */
size_t vd_varlink_decoder_pending(const struct vd_varlink_decoder *d);

/* --- Calls (server side) -------------------------------------------------- */
struct vd_varlink_call {
	struct cJSON *root;              /* owned */
	const char *method;              /* "io.vpndoctor.GetStatus" */
	size_t interface_len;            /* "io.vpndoctor" is method[0..interface_len) */
	const char *member;              /* "GetStatus" */
	const struct cJSON *parameters;  /* always an object (empty when absent) */
	bool more, oneway, upgrade;
};

/* msg[len] must be the NUL. Returns 0; -EBADMSG when msg is not one JSON
 * object (*bad_field = "message"); -EINVAL when a member is missing, of the
 * wrong type or unknown, or the method is not "interface.Method", or both
 * more and oneway are set (*bad_field names it); -ENOMEM. On failure
 * *call is left zeroed. */
int vd_varlink_call_parse(const char *msg, size_t len, struct vd_varlink_call *call,
                          const char **bad_field);
void vd_varlink_call_done(struct vd_varlink_call *call);

/* true when s is "reverse.domain.Interface.Method" by the Varlink grammar. */
bool vd_varlink_method_valid(const char *s);
/* true when s is a valid interface name ("io.vpndoctor"). */
bool vd_varlink_interface_valid(const char *s, size_t len);

/* Parameter helpers: 0 and *ret when present and valid, -ENOENT when absent
 * or null, -EINVAL on the wrong type or a value outside [min, max]. */
int vd_varlink_param_int(const struct cJSON *params, const char *name, int64_t min, int64_t max,
                         int64_t *ret);
int vd_varlink_param_string(const struct cJSON *params, const char *name, const char **ret);

/* --- Replies (server side) ------------------------------------------------
 * Each returns 0 and a malloc'ed message *ret with its length *ret_len,
 * the terminating NUL included (ready to write), or -ENOMEM/-EINVAL.
 * params NULL means {}. */
int vd_varlink_encode_reply(const struct cJSON *params, bool continues, char **ret, size_t *ret_len);
int vd_varlink_encode_error(const char *error, const struct cJSON *params, char **ret,
                            size_t *ret_len);
/* An error with one string parameter: {"error":E,"parameters":{key:value}}. */
int vd_varlink_encode_error_str(const char *error, const char *key, const char *value, char **ret,
                                size_t *ret_len);

/* --- Client side ---------------------------------------------------------- */
#define VD_VARLINK_CALL_MORE   (1u << 0)
#define VD_VARLINK_CALL_ONEWAY (1u << 1)
int vd_varlink_encode_call(const char *method, const struct cJSON *params, unsigned flags, char **ret,
                           size_t *ret_len);

struct vd_varlink_reply {
	struct cJSON *root;              /* owned */
	const char *error;               /* NULL on success */
	const struct cJSON *parameters;  /* always an object (empty when absent) */
	bool continues;
};
/* msg[len] must be the NUL. 0, -EBADMSG (not a reply object: wrong types,
 * not JSON), -ENOMEM. */
int vd_varlink_reply_parse(const char *msg, size_t len, struct vd_varlink_reply *reply);
void vd_varlink_reply_done(struct vd_varlink_reply *reply);

/* Merges the parameters of one page of a reply called with "more" into dst,
 * as io.vpndoctor.varlink says pages add up: arrays appended to, objects
 * merged member by member, anything else replaced. 0 or -ENOMEM. */
int vd_varlink_merge(struct cJSON *dst, const struct cJSON *page);

#endif
