/* A text for people as data, so that each client says it in its reader's
 * language: a template in English (the gettext msgid) with "{name}" where a
 * value goes, its plural form when it counts something, and the named values.
 * The daemon keeps its English rendering (a finding's "summary") beside it.
 *
 * As JSON (the Varlink type Message of io.vpndoctor):
 *   {"id": TEMPLATE, "plural": TEMPLATE?, "count": NAME?, "values": {NAME: VALUE}?}
 * VALUE is one of
 *   {"text": S}                 from the machine (an address, a name, a log
 *                               line): shown as is, never translated
 *   {"number": X, "digits": D}  a quantity, D decimals (0-9, 0 when absent)
 *   {"time": EPOCH}             a moment, in seconds since the epoch
 *   {"message": MESSAGE}        a message of its own (a word such as "client
 *                               certificate" is one with no values)
 * With plural, the number named by count picks the form: in English id when
 * it is 1, plural otherwise (ngettext's rule for the other languages). */
#ifndef VPNDOCTOR_MESSAGE_H
#define VPNDOCTOR_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

struct cJSON;

enum vd_arg_kind {
	VD_ARG_END = 0,
	VD_ARG_TEXT,
	VD_ARG_NUMBER,
	VD_ARG_TIME,
	VD_ARG_PHRASE,  /* text is a msgid: a message with no values */
	VD_ARG_MESSAGE, /* message is a message's JSON, copied */
};

struct vd_arg {
	const char *name;
	enum vd_arg_kind kind;
	const char *text;
	double number;
	int digits;
	int64_t time;
	const struct cJSON *message;
};

#define VD_TEXT(n, s)     ((struct vd_arg){.name = (n), .kind = VD_ARG_TEXT, .text = (s)})
#define VD_NUM(n, v, d)   ((struct vd_arg){.name = (n), .kind = VD_ARG_NUMBER, .number = (v), .digits = (d)})
#define VD_TIME(n, t)     ((struct vd_arg){.name = (n), .kind = VD_ARG_TIME, .time = (t)})
#define VD_PHRASE(n, id)  ((struct vd_arg){.name = (n), .kind = VD_ARG_PHRASE, .text = (id)})
#define VD_MSG(n, m)      ((struct vd_arg){.name = (n), .kind = VD_ARG_MESSAGE, .message = (m)})

/* The message of template id (with plural and count, or both NULL) and the
 * values args, ended by an argument of kind VD_ARG_END. Returns 0, -EINVAL
 * (a value without a name or with a NULL text, a name twice, a template
 * naming a value not given, count not a number) or -ENOMEM. */
int vd_msg_new(const char *id, const char *plural, const char *count, const struct vd_arg *args,
               struct cJSON **ret);

/* How a language says things. NULL members (or lang NULL) are the daemon's
 * English: templates as they are, numbers "%.*f", times ISO 8601 in UTC. */
struct vd_msg_lang {
	const char *(*gettext)(const char *id);
	const char *(*ngettext)(const char *id, const char *plural, unsigned long n);
	void (*number)(char *buf, size_t len, double v, int digits);
	void (*time)(char *buf, size_t len, int64_t t);
};

/* The message rendered in lang: a malloc'ed string, or NULL when msg is not
 * a message (or nests deeper than 8) or a value its template names is
 * missing or not a value; errno then says which (EINVAL, ENOMEM). A
 * translation that is malformed or names a value the message lacks is not
 * used: the English template is. */
char *vd_msg_render(const struct cJSON *msg, const struct vd_msg_lang *lang);

#endif
