/* OpenVPN client configuration parser: a byte-for-byte model of the way
 * OpenVPN 2.6's options.c splits a config into options, plus the directive
 * table that tells which of them OpenVPN 2.4 to 2.6 accepts on a client.
 *
 * Its errors and the check's problems are messages (vpndoctor/message.h):
 * an English template marked N_() with {name} where a value goes, the values
 * by name, so that `vpndoctor lint` says them in its reader's language; the
 * English rendering is the text callers always had. A value from the file is
 * VD_TEXT, and only a known directive's name may be one when the caller asks
 * for no quoting (a file read for another user's process). */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "vpndoctor/i18n.h"
#include "vpndoctor/message.h"
#include "vpndoctor/ovpn_config.h"
#include "vpndoctor/strbuf.h"

/* OpenVPN's OPTION_LINE_SIZE: fgets() reads 256 bytes, and a read that fills
 * them is a fatal "Maximum option line length (256) exceeded". */
#define OVPN_LINE_SIZE 256
#define OVPN_PARM_SIZE 256
#define INLINE_ARG "[[INLINE]]"

/* An inline <tag> block being read: its body goes to opts[opt]. */
struct inline_state {
	bool open;
	size_t opt;
	char close_tag[OVPN_LINE_SIZE + 4];
	unsigned line;          /* of the opening tag */
	unsigned mismatch_line; /* first other </...> line seen inside, for the message */
	char mismatch[64];
	struct vd_strbuf body;
};

struct vd_ovpn_parser {
	struct vd_ovpn_config *cfg;
	size_t opts_cap;
	struct vd_strbuf line; /* the current, not yet complete line */
	size_t total;
	unsigned lineno; /* lines completed so far */
	bool failed;
	int error;
	struct vd_error err;
	cJSON *msg; /* err as a message; NULL for -ENOMEM */
	struct inline_state top;
	/* A <connection> block is read raw first and parsed when it is complete,
	 * as OpenVPN does: its end is the first line starting with </connection>. */
	bool in_conn;
	unsigned conn_line;
	unsigned conn_no;
	size_t conn_opt;
	struct vd_strbuf conn_body;
};

static int buf_append(struct vd_strbuf *b, const char *s, size_t n)
{
	vd_sb_add(b, s, n);
	return b->oom ? -ENOMEM : 0;
}

static const char *fname(const struct vd_ovpn_parser *p)
{
	return p->cfg->filename ? p->cfg->filename : "<input>";
}

/* A number that names a place (a line) is text: not grouped like a quantity. */
static const char *u_str(char *buf, size_t len, unsigned v)
{
	snprintf(buf, len, "%u", v);
	return buf;
}
#define LINE_ARG(n, v) VD_TEXT(n, u_str((char[16]){ 0 }, 16, (v)))

/* The first error is kept: as a message, and in English in p->err. */
static int fail_msg(struct vd_ovpn_parser *p, int r, unsigned line, const char *id, const struct vd_arg *args)
{
	char *text = NULL;
	int e = r;

	if (p->failed)
		return p->error;
	snprintf(p->err.file, sizeof(p->err.file), "%s", fname(p));
	p->err.line = line;
	if (r != -ENOMEM) {
		e = vd_msg_new(id, NULL, NULL, args, &p->msg);
		if (e == 0 && !(text = vd_msg_render(p->msg, NULL)))
			e = -ENOMEM;
	}
	if (text)
		snprintf(p->err.msg, sizeof(p->err.msg), "%s", text);
	else
		/* the template when it names a value it is not given: a bug the tests see */
		snprintf(p->err.msg, sizeof(p->err.msg), "%s", e == -ENOMEM ? "out of memory" : id);
	if (!text) {
		cJSON_Delete(p->msg);
		p->msg = NULL;
	}
	free(text);
	p->failed = true;
	p->error = r;
	return r;
}
#define fail(p, r, line, id, ...) \
	fail_msg(p, r, line, id, (const struct vd_arg[]){ __VA_ARGS__ __VA_OPT__(,) { 0 } })

/* isspace() of the C locale, as OpenVPN runs; NUL counts as space (space()). */
static bool is_space(char c)
{
	return c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static void option_clear(struct vd_ovpn_option *o)
{
	free(o->name);
	for (size_t i = 0; i < o->argc; i++)
		free(o->argv[i]);
	free(o->argv);
	free(o->inline_body);
}

void vd_ovpn_config_free(struct vd_ovpn_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_opts; i++)
		option_clear(&c->opts[i]);
	free(c->opts);
	free(c->filename);
	free(c);
}

int vd_ovpn_parser_new(const char *filename, struct vd_ovpn_parser **ret)
{
	struct vd_ovpn_parser *p;

	if (!ret)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->cfg = calloc(1, sizeof(*p->cfg));
	if (!p->cfg)
		goto oom;
	p->cfg->filename = strdup(filename ? filename : "<input>");
	if (!p->cfg->filename)
		goto oom;
	*ret = p;
	return 0;
oom:
	vd_ovpn_parser_free(p);
	return -ENOMEM;
}

void vd_ovpn_parser_free(struct vd_ovpn_parser *p)
{
	if (!p)
		return;
	vd_ovpn_config_free(p->cfg);
	vd_sb_free(&p->line);
	vd_sb_free(&p->top.body);
	vd_sb_free(&p->conn_body);
	cJSON_Delete(p->msg);
	free(p);
}

const struct vd_error *vd_ovpn_parser_error(const struct vd_ovpn_parser *p)
{
	return p && p->failed ? &p->err : NULL;
}

/* Appends an option; words[0] is the name. Returns its index or -ENOMEM. */
static ssize_t add_option(struct vd_ovpn_parser *p, const char *const *words, size_t n, unsigned line, unsigned conn)
{
	struct vd_ovpn_config *c = p->cfg;
	struct vd_ovpn_option *o;

	if (c->n_opts == p->opts_cap) {
		size_t cap = p->opts_cap ? p->opts_cap * 2 : 32;
		struct vd_ovpn_option *a = reallocarray(c->opts, cap, sizeof(*a));

		if (!a)
			return -ENOMEM;
		c->opts = a;
		p->opts_cap = cap;
	}
	o = &c->opts[c->n_opts];
	*o = (struct vd_ovpn_option){ .line = line, .connection = conn };
	o->name = strdup(words[0]);
	if (!o->name)
		return -ENOMEM;
	if (n > 1) {
		o->argv = calloc(n - 1, sizeof(char *));
		if (!o->argv) {
			free(o->name);
			return -ENOMEM;
		}
		for (size_t i = 1; i < n; i++) {
			o->argv[i - 1] = strdup(words[i]);
			if (!o->argv[i - 1]) {
				o->argc = i - 1;
				option_clear(o);
				return -ENOMEM;
			}
		}
		o->argc = n - 1;
	}
	return (ssize_t)c->n_opts++;
}

/* parse_line() of options.c: splits one line into at most VD_OVPN_MAX_ARGS
 * words (further words are dropped silently, as OpenVPN does). The words are
 * written NUL-separated into out (which holds len + VD_OVPN_MAX_ARGS + 1). */
static int split_words(struct vd_ovpn_parser *p, const char *s, size_t len, unsigned line,
                       char *out, char **words, size_t *n_words)
{
	enum { INITIAL, QUOTED, UNQUOTED, DONE, SQUOTED } state = INITIAL;
	bool backslash = false;
	size_t n = 0, parm_len = 0, w = 0;

	for (size_t i = 0;; i++) {
		char in = i < len ? s[i] : '\0';
		char o = 0;

		if (!backslash && in == '\\' && state != SQUOTED) {
			backslash = true;
		} else {
			if (state == INITIAL) {
				if (!is_space(in)) {
					/* even "\#" starts a comment here: OpenVPN tests
					 * for it before it looks at the backslash */
					if (in == ';' || in == '#')
						break;
					if (!backslash && in == '"')
						state = QUOTED;
					else if (!backslash && in == '\'')
						state = SQUOTED;
					else {
						o = in;
						state = UNQUOTED;
					}
				}
			} else if (state == UNQUOTED) {
				if (!backslash && is_space(in))
					state = DONE;
				else
					o = in;
			} else if (state == QUOTED) {
				if (!backslash && in == '"')
					state = DONE;
				else
					o = in;
			} else if (state == SQUOTED) {
				if (in == '\'')
					state = DONE;
				else
					o = in;
			}
			if (state == DONE) {
				out[w + parm_len] = '\0';
				words[n++] = out + w;
				w += parm_len + 1;
				parm_len = 0;
				state = INITIAL;
			}
			if (backslash && o && !(o == '\\' || o == '"' || is_space(o)))
				return fail(p, -EINVAL, line,
				            N_("bad backslash ('\\') usage: OpenVPN treats a backslash as an escape "
				               "only before \\, \" or a space; write \\\\ for a literal one"));
			backslash = false;
		}
		if (o) {
			if (parm_len >= OVPN_PARM_SIZE)
				return fail(p, -EINVAL, line, N_("parameter is too long ({max} characters max)"),
				            VD_NUM("max", OVPN_PARM_SIZE, 0));
			out[w + parm_len++] = o;
		}
		if (n >= VD_OVPN_MAX_ARGS || in == '\0')
			break;
	}
	if (state == QUOTED)
		return fail(p, -EINVAL, line, N_("no closing quotation (\")"));
	if (state == SQUOTED)
		return fail(p, -EINVAL, line, N_("no closing single quotation (')"));
	if (state != INITIAL)
		return fail(p, -EINVAL, line, N_("backslash at the end of the line"));
	*n_words = n;
	return 0;
}

/* read_inline_file(): the block ends at the first line that starts, after
 * white space, with the closing tag; the rest of that line is ignored. */
static bool is_close_line(const char *s, size_t len, const char *tag)
{
	size_t i = 0, tl = strlen(tag);

	while (i < len && is_space(s[i]) && s[i] != '\0')
		i++;
	return len - i >= tl && memcmp(s + i, tag, tl) == 0;
}

static void note_mismatch(struct inline_state *st, const char *s, size_t len, unsigned line)
{
	size_t i = 0, j;

	if (st->mismatch_line)
		return;
	while (i < len && is_space(s[i]))
		i++;
	if (len - i < 3 || s[i] != '<' || s[i + 1] != '/')
		return;
	for (j = i + 2; j < len && s[j] != '>' && !is_space(s[j]); j++)
		;
	if (j >= len || s[j] != '>' || j - i + 1 >= sizeof(st->mismatch))
		return;
	memcpy(st->mismatch, s + i, j - i + 1);
	st->mismatch[j - i + 1] = '\0';
	st->mismatch_line = line;
}

static int inline_feed(struct vd_ovpn_parser *p, struct inline_state *st, const char *s, size_t len,
                       unsigned line)
{
	if (is_close_line(s, len, st->close_tag)) {
		struct vd_ovpn_option *o = &p->cfg->opts[st->opt];

		if (!st->body.p && buf_append(&st->body, "", 0) < 0)
			return fail(p, -ENOMEM, line, "out of memory");
		o->inline_body = st->body.p;
		st->body = (struct vd_strbuf){ 0 };
		st->open = false;
		return 0;
	}
	note_mismatch(st, s, len, line);
	if (buf_append(&st->body, s, len) < 0)
		return fail(p, -ENOMEM, line, "out of memory");
	return 0;
}

static const struct directive *directive_find(const char *name);

/* Text of the file in a message only when it names a known directive: a
 * file read for another user's process may be anything (a key, a password
 * file), and its words must not reach the daemon's output. */
static const char *known(const char *tag)
{
	return strcmp(tag, "connection") == 0 || directive_find(tag) ? tag : NULL;
}

static int inline_unterminated(struct vd_ovpn_parser *p, const struct inline_state *st)
{
	const char *tag = known(p->cfg->opts[st->opt].name);

	if (!tag)
		return fail(p, -EINVAL, st->line, N_("an inline block of an unknown directive is not closed"));
	if (st->mismatch_line) {
		/* "</cert>": quoted when it closes a known directive */
		char inner[sizeof(st->mismatch)];
		size_t n = strlen(st->mismatch);
		bool named = n > 3 && memcmp(st->mismatch, "</", 2) == 0;
		if (named) {
			memcpy(inner, st->mismatch + 2, n - 3);
			inner[n - 3] = '\0';
			named = known(inner) != NULL;
		}
		if (named)
			return fail(p, -EINVAL, st->line,
			            /* TRANSLATORS: {tag} and {other} are OpenVPN directives (ca,
			             * cert...): a <ca> block with a </cert> line where </ca> belongs */
			            N_("inline block <{tag}> is not closed: </{other}> at line {line} does not match, "
			               "endtag </{tag}> missing"),
			            VD_TEXT("tag", tag), VD_TEXT("other", inner), LINE_ARG("line", st->mismatch_line));
		return fail(p, -EINVAL, st->line,
		            N_("inline block <{tag}> is not closed: the closing tag at line {line} does not match, "
		               "endtag </{tag}> missing"),
		            VD_TEXT("tag", tag), LINE_ARG("line", st->mismatch_line));
	}
	return fail(p, -EINVAL, st->line, N_("inline block <{tag}> is not closed: endtag </{tag}> missing"),
	            VD_TEXT("tag", tag));
}

static int parse_conn_body(struct vd_ovpn_parser *p);

/* One complete line outside any inline block. s includes the "\n" at top
 * level (fgets) and not inside <connection> (buf_parse), as in OpenVPN. */
static int option_line(struct vd_ovpn_parser *p, struct inline_state *st, const char *s, size_t len,
                       unsigned line, unsigned conn)
{
	char out[2 * OVPN_LINE_SIZE + VD_OVPN_MAX_ARGS + 1];
	char *words[VD_OVPN_MAX_ARGS];
	size_t n = 0, wl;
	ssize_t idx;
	int r;

	if (len >= OVPN_LINE_SIZE)
		return fail(p, -EINVAL, line,
		            /* TRANSLATORS: "Maximum option line length exceeded" is
		             * OpenVPN's own message, in English */
		            N_("line is {length} characters long; OpenVPN reads at most {max} per option line "
		               "(Maximum option line length exceeded)"),
		            VD_NUM("length", (double)len, 0), VD_NUM("max", OVPN_LINE_SIZE - 1, 0));
	if (line == 1 && conn == 0 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		s += 3;
		len -= 3;
	}
	r = split_words(p, s, len, line, out, words, &n);
	if (r < 0 || n == 0)
		return r;
	/* bypass_doubledash(): only the option name, and not a bare "--" */
	if (strlen(words[0]) >= 3 && strncmp(words[0], "--", 2) == 0)
		words[0] += 2;
	wl = strlen(words[0]);
	if (n == 1 && wl >= 2 && words[0][0] == '<' && words[0][wl - 1] == '>') {
		char *tag = words[0] + 1;
		const char *inl[2] = { tag, INLINE_ARG };

		tag[wl - 2] = '\0';
		if (tag[0] == '/') {
			if (!known(tag + 1))
				return fail(p, -EINVAL, line, N_("a closing tag without its opening tag"));
			return fail(p, -EINVAL, line, N_("closing tag </{tag}> without an open <{tag}> block"),
			            VD_TEXT("tag", tag + 1));
		}
		if (strcmp(tag, "connection") == 0) {
			if (conn)
				return fail(p, -EINVAL, line,
				            N_("<connection> inside the <connection> block of line {line}: blocks cannot nest"),
				            LINE_ARG("line", p->conn_line));
			idx = add_option(p, inl, 2, line, ++p->cfg->n_connections);
			if (idx < 0)
				return fail(p, -ENOMEM, line, "out of memory");
			p->in_conn = true;
			p->conn_line = line;
			p->conn_no = p->cfg->n_connections;
			p->conn_opt = (size_t)idx;
			return 0;
		}
		idx = add_option(p, inl, 2, line, conn);
		if (idx < 0)
			return fail(p, -ENOMEM, line, "out of memory");
		st->open = true;
		st->opt = (size_t)idx;
		st->line = line;
		st->mismatch_line = 0;
		snprintf(st->close_tag, sizeof(st->close_tag), "</%s>", tag);
		return 0;
	}
	if (add_option(p, (const char *const *)words, n, line, conn) < 0)
		return fail(p, -ENOMEM, line, "out of memory");
	return 0;
}

static int top_line(struct vd_ovpn_parser *p, const char *s, size_t len, unsigned line)
{
	if (p->in_conn) {
		if (is_close_line(s, len, "</connection>")) {
			p->in_conn = false;
			return parse_conn_body(p);
		}
		if (buf_append(&p->conn_body, s, len) < 0)
			return fail(p, -ENOMEM, line, "out of memory");
		return 0;
	}
	if (p->top.open)
		return inline_feed(p, &p->top, s, len, line);
	return option_line(p, &p->top, s, len, line, 0);
}

/* read_config_string("[CONNECTION-OPTIONS]") over the block's body. */
static int parse_conn_body(struct vd_ovpn_parser *p)
{
	struct inline_state st = { 0 };
	const char *s = p->conn_body.p ? p->conn_body.p : "";
	size_t left = p->conn_body.len;
	unsigned line = p->conn_line;
	int r = 0;

	while (left > 0) {
		const char *nl = memchr(s, '\n', left);
		size_t len = nl ? (size_t)(nl - s) : left;

		line++;
		if (st.open)
			r = inline_feed(p, &st, s, nl ? len + 1 : len, line);
		else if (len >= OVPN_LINE_SIZE)
			r = fail(p, -EINVAL, line,
			         N_("line is {length} characters long; OpenVPN reads at most {max} per line in a "
			            "<connection> block"),
			         VD_NUM("length", (double)len, 0), VD_NUM("max", OVPN_LINE_SIZE - 1, 0));
		else
			r = option_line(p, &st, s, len, line, p->conn_no);
		if (r < 0)
			break;
		s += nl ? len + 1 : len;
		left -= nl ? len + 1 : len;
	}
	if (r == 0 && st.open)
		r = inline_unterminated(p, &st);
	vd_sb_free(&st.body);
	p->cfg->opts[p->conn_opt].inline_body = p->conn_body.p;
	p->conn_body = (struct vd_strbuf){ 0 };
	if (!p->cfg->opts[p->conn_opt].inline_body) {
		p->cfg->opts[p->conn_opt].inline_body = strdup("");
		if (!p->cfg->opts[p->conn_opt].inline_body && r == 0)
			r = fail(p, -ENOMEM, p->conn_line, "out of memory");
	}
	return r;
}

int vd_ovpn_parser_feed(struct vd_ovpn_parser *p, const char *data, size_t len)
{
	if (!p || (!data && len))
		return -EINVAL;
	if (p->failed)
		return p->error;
	if (len > VD_OVPN_MAX_INPUT - p->total)
		return fail(p, -E2BIG, p->lineno + 1, N_("config is larger than {max} bytes"),
		            VD_NUM("max", VD_OVPN_MAX_INPUT, 0));
	p->total += len;
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) + 1 : len;
		int r;

		if (memchr(data, '\0', n))
			return fail(p, -EINVAL, p->lineno + 1, N_("binary data (a NUL byte): not a config file"));
		if (p->line.len + n > VD_OVPN_MAX_LINE + 1 ||
		    (!nl && p->line.len + n > VD_OVPN_MAX_LINE))
			return fail(p, -E2BIG, p->lineno + 1, N_("line is longer than {max} bytes"),
			            VD_NUM("max", VD_OVPN_MAX_LINE, 0));
		data += n;
		len -= n;
		if (!nl) {
			if (buf_append(&p->line, data - n, n) < 0)
				return fail(p, -ENOMEM, p->lineno + 1, "out of memory");
			break;
		}
		p->lineno++;
		if (p->line.len) {
			if (buf_append(&p->line, data - n, n) < 0)
				return fail(p, -ENOMEM, p->lineno, "out of memory");
			r = top_line(p, p->line.p, p->line.len, p->lineno);
			p->line.len = 0;
		} else {
			r = top_line(p, data - n, n, p->lineno);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int vd_ovpn_parser_finish(struct vd_ovpn_parser *p, struct vd_ovpn_config **ret, struct vd_error *err)
{
	return vd_ovpn_parser_finish_msg(p, ret, err, NULL);
}

int vd_ovpn_parser_finish_msg(struct vd_ovpn_parser *p, struct vd_ovpn_config **ret, struct vd_error *err,
                              cJSON **ret_msg)
{
	int r = 0;

	if (!p)
		return -EINVAL;
	if (p->failed)
		r = p->error;
	if (r == 0 && p->line.len > 0) {
		p->lineno++;
		r = top_line(p, p->line.p, p->line.len, p->lineno);
	}
	if (r == 0 && p->in_conn)
		r = fail(p, -EINVAL, p->conn_line, N_("<connection> block is not closed: endtag </connection> missing"));
	if (r == 0 && p->top.open)
		r = inline_unterminated(p, &p->top);
	if (r < 0) {
		if (err)
			*err = p->err;
		if (ret_msg) {
			*ret_msg = p->msg;
			p->msg = NULL;
		}
	} else if (ret) {
		*ret = p->cfg;
		p->cfg = NULL;
	}
	vd_ovpn_parser_free(p);
	return r;
}

int vd_ovpn_config_parse(const char *filename, const char *data, size_t len,
                         struct vd_ovpn_config **ret, struct vd_error *err)
{
	return vd_ovpn_config_parse_msg(filename, data, len, ret, err, NULL);
}

int vd_ovpn_config_parse_msg(const char *filename, const char *data, size_t len, struct vd_ovpn_config **ret,
                             struct vd_error *err, cJSON **ret_msg)
{
	struct vd_ovpn_parser *p;
	int r;

	r = vd_ovpn_parser_new(filename, &p);
	if (r < 0) {
		vd_error_set(err, filename ? filename : "<input>", 0, "out of memory");
		if (ret_msg)
			*ret_msg = NULL;
		return r;
	}
	(void)vd_ovpn_parser_feed(p, data, len);
	return vd_ovpn_parser_finish_msg(p, ret, err, ret_msg);
}

const struct vd_ovpn_option *vd_ovpn_config_get(const struct vd_ovpn_config *c, const char *name)
{
	if (!c || !name)
		return NULL;
	for (size_t i = c->n_opts; i > 0; i--)
		if (c->opts[i - 1].connection == 0 && strcmp(c->opts[i - 1].name, name) == 0)
			return &c->opts[i - 1];
	return NULL;
}

const struct vd_ovpn_option *vd_ovpn_config_next(const struct vd_ovpn_config *c, const char *name,
                                                 const struct vd_ovpn_option *prev)
{
	size_t i;

	if (!c || !name)
		return NULL;
	if (!prev)
		i = 0;
	else if (prev >= c->opts && prev < c->opts + c->n_opts)
		i = (size_t)(prev - c->opts) + 1;
	else
		return NULL;
	for (; i < c->n_opts; i++)
		if (strcmp(c->opts[i].name, name) == 0)
			return &c->opts[i];
	return NULL;
}

/* proto_names[] of OpenVPN's socket.c */
static const struct {
	const char *name;
	enum vd_ovpn_proto proto;
} protos[] = {
	{ "udp", VD_PROTO_UDP },          { "udp4", VD_PROTO_UDP },         { "udp6", VD_PROTO_UDP },
	{ "tcp", VD_PROTO_TCP },          { "tcp4", VD_PROTO_TCP },         { "tcp6", VD_PROTO_TCP },
	{ "tcp-client", VD_PROTO_TCP },   { "tcp4-client", VD_PROTO_TCP },  { "tcp6-client", VD_PROTO_TCP },
	{ "tcp-server", VD_PROTO_TCP },   { "tcp4-server", VD_PROTO_TCP },  { "tcp6-server", VD_PROTO_TCP },
};

int vd_ovpn_proto_parse(const char *s, enum vd_ovpn_proto *ret)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < VD_ARRAY_SIZE(protos); i++)
		if (strcmp(s, protos[i].name) == 0) {
			if (ret)
				*ret = protos[i].proto;
			return 0;
		}
	return -EINVAL;
}

const char *vd_ovpn_proto_name(enum vd_ovpn_proto p)
{
	switch (p) {
	case VD_PROTO_UDP:
		return "udp";
	case VD_PROTO_TCP:
		return "tcp";
	default:
		return "";
	}
}

/* OpenVPN's connection_entry, reduced to what decides where a remote is. */
struct conn_entry {
	const char *host;
	const char *port;
	enum vd_ovpn_proto proto;
	unsigned line;
};

static unsigned port_number(const char *s)
{
	uint64_t v;

	return s && vd_parse_u64(s, 1, 65535, &v) == 0 ? (unsigned)v : 0;
}

/* `setenv opt NAME ARGS...` is NAME ARGS... to OpenVPN (errors become
 * warnings); returns the effective name and arguments. */
static bool effective(const struct vd_ovpn_option *o, const char **name, char *const **argv, size_t *argc)
{
	if (strcmp(o->name, "setenv") == 0 && o->argc >= 1 && strcmp(o->argv[0], "opt") == 0) {
		if (o->argc < 2)
			return false;
		*name = o->argv[1];
		*argv = o->argv + 2;
		*argc = o->argc - 2;
		return true;
	}
	*name = o->name;
	*argv = o->argv;
	*argc = o->argc;
	return true;
}

/* port, rport, proto and remote change a connection entry as in add_option(). */
static void conn_apply(struct conn_entry *ce, const struct vd_ovpn_option *o, bool global, bool *is_remote)
{
	const char *name;
	char *const *argv;
	size_t argc;
	enum vd_ovpn_proto pr = VD_PROTO_UNSPEC;

	*is_remote = false;
	if (!effective(o, &name, &argv, &argc))
		return;
	if ((strcmp(name, "port") == 0 || strcmp(name, "rport") == 0) && argc == 1)
		ce->port = argv[0];
	else if (strcmp(name, "proto") == 0 && argc == 1 && vd_ovpn_proto_parse(argv[0], &pr) == 0)
		ce->proto = pr;
	else if (strcmp(name, "remote") == 0 && argc >= 1 && argc <= 3) {
		if (argc == 3 && vd_ovpn_proto_parse(argv[2], &pr) < 0)
			return; /* OpenVPN refuses the option */
		*is_remote = true;
		if (global)
			return;
		ce->host = argv[0];
		ce->line = o->line;
		if (argc >= 2)
			ce->port = argv[1];
		if (argc == 3)
			ce->proto = pr;
	}
}

int vd_ovpn_config_remotes(const struct vd_ovpn_config *c, struct vd_ovpn_remote **ret, size_t *n)
{
	struct conn_entry global = { .port = "1194", .proto = VD_PROTO_UDP };
	struct vd_ovpn_remote *r;
	size_t k = 0;
	bool is_remote;

	if (!c || !ret || !n)
		return -EINVAL;
	r = calloc(c->n_opts + 1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_opts; i++) {
		const struct vd_ovpn_option *o = &c->opts[i];
		struct conn_entry ce;
		unsigned conn = o->connection;

		if (conn == 0) {
			conn_apply(&global, o, true, &is_remote);
			continue;
		}
		if (strcmp(o->name, "connection") != 0)
			continue;
		/* a block starts from the global entry as it is at the block
		 * (sub.ce = options->ce), so later global options miss it */
		ce = global;
		ce.host = NULL;
		for (size_t j = i + 1; j < c->n_opts && c->opts[j].connection == conn; j++)
			conn_apply(&ce, &c->opts[j], false, &is_remote);
		if (ce.host)
			r[k++] = (struct vd_ovpn_remote){ ce.host, port_number(ce.port), ce.proto, ce.line };
	}
	/* Global remotes only count when there is no <connection> block. */
	if (c->n_connections == 0)
		for (size_t i = 0; i < c->n_opts; i++) {
			struct conn_entry ce = global;

			conn_apply(&ce, &c->opts[i], false, &is_remote);
			if (is_remote)
				r[k++] = (struct vd_ovpn_remote){ ce.host, port_number(ce.port), ce.proto, ce.line };
		}
	*ret = r;
	*n = k;
	return 0;
}

enum {
	OC = 1 << 0, /* allowed in a <connection> block (OPT_P_CONNECTION) */
	OI = 1 << 1, /* may be an inline <tag> block (OPT_P_INLINE) */
	OW = 1 << 2, /* exists only in Windows builds: unknown to OpenVPN on Linux */
	OS = 1 << 3, /* server-only: "requires --mode server" on a client */
};

struct directive {
	const char *name;
	unsigned char min, max; /* arguments after the name */
	unsigned char flags;
	unsigned char removed;  /* 25: gone since OpenVPN 2.5, 26: since 2.6; 0: in 2.6 */
};

/* Every directive of add_option() in OpenVPN 2.6 (argument counts from its
 * p[n] tests), plus those 2.4/2.5 had and 2.6 dropped. Sorted by strcmp(). */
static const struct directive directives[] = {
	{ "allow-compression", 1, 1, 0, 0 },
	{ "allow-nonadmin", 0, 1, OW, 0 },
	{ "allow-pull-fqdn", 0, 0, 0, 0 },
	{ "allow-recursive-routing", 0, 0, 0, 0 },
	{ "askpass", 0, 1, 0, 0 },
	{ "auth", 1, 1, 0, 0 },
	{ "auth-gen-token", 0, 15, OS, 0 },
	{ "auth-gen-token-secret", 1, 1, OI, 0 },
	{ "auth-nocache", 0, 0, 0, 0 },
	{ "auth-retry", 1, 1, 0, 0 },
	{ "auth-token", 1, 1, 0, 0 },
	{ "auth-token-user", 1, 1, 0, 0 },
	{ "auth-user-pass", 0, 1, OI, 0 },
	{ "auth-user-pass-optional", 0, 0, OS, 0 },
	{ "auth-user-pass-verify", 1, 2, OS, 0 },
	{ "bcast-buffers", 1, 1, 0, 0 },
	{ "bind", 0, 1, OC, 0 },
	{ "bind-dev", 1, 15, 0, 0 },
	{ "block-ipv6", 0, 0, 0, 0 },
	{ "block-outside-dns", 0, 0, OW, 0 },
	{ "ca", 1, 1, OI, 0 },
	{ "capath", 1, 1, 0, 0 },
	{ "ccd-exclusive", 0, 0, OS, 0 },
	{ "cd", 1, 1, 0, 0 },
	{ "cert", 1, 1, OI, 0 },
	{ "chroot", 1, 1, 0, 0 },
	{ "cipher", 1, 1, 0, 0 },
	{ "client", 0, 0, 0, 0 },
	{ "client-cert-not-required", 0, 0, OS, 0 },
	{ "client-config-dir", 1, 1, OS, 0 },
	{ "client-connect", 1, 1, OS, 0 },
	{ "client-crresponse", 1, 1, OS, 0 },
	{ "client-disconnect", 1, 1, OS, 0 },
	{ "client-nat", 4, 4, 0, 0 },
	{ "client-to-client", 0, 0, OS, 0 },
	{ "comp-lzo", 0, 1, 0, 0 },
	{ "comp-noadapt", 0, 0, 0, 0 },
	{ "compat-mode", 1, 2, OC, 0 },
	{ "compat-names", 0, 15, 0, 0 },
	{ "compress", 0, 1, 0, 0 },
	{ "config", 1, 1, 0, 0 },
	{ "connect-freq", 2, 2, OS, 0 },
	{ "connect-freq-initial", 2, 2, 0, 0 },
	{ "connect-retry", 1, 2, OC, 0 },
	{ "connect-retry-max", 1, 1, OC, 0 },
	{ "connect-timeout", 1, 1, OC, 0 },
	{ "connection", 1, 2, OI, 0 },
	{ "crl-verify", 1, 2, OI, 0 },
	{ "cryptoapicert", 1, 1, 0, 0 },
	{ "daemon", 0, 1, 0, 0 },
	{ "data-ciphers", 1, 1, 0, 0 },
	{ "data-ciphers-fallback", 1, 1, 0, 0 },
	{ "dev", 1, 1, 0, 0 },
	{ "dev-node", 1, 1, 0, 0 },
	{ "dev-type", 1, 1, 0, 0 },
	{ "dh", 1, 1, OI, 0 },
	{ "dhcp-internal", 1, 1, OW, 0 },
	{ "dhcp-option", 1, 2, 0, 0 },
	{ "dhcp-pre-release", 0, 0, OW, 0 },
	{ "dhcp-release", 0, 0, OC|OW, 0 },
	{ "dhcp-renew", 0, 0, OW, 0 },
	{ "disable", 0, 0, 0, 0 },
	{ "disable-dco", 0, 15, OC, 0 },
	{ "disable-occ", 0, 0, 0, 0 },
	{ "dns", 1, 15, 0, 0 },
	{ "down", 1, 1, 0, 0 },
	{ "down-pre", 0, 0, 0, 0 },
	{ "duplicate-cn", 0, 0, OS, 0 },
	{ "ecdh-curve", 1, 1, 0, 0 },
	{ "echo", 0, 15, 0, 0 },
	{ "engine", 0, 1, 0, 0 },
	{ "errors-to-stderr", 0, 0, 0, 0 },
	{ "explicit-exit-notify", 0, 1, OC, 0 },
	{ "extra-certs", 1, 1, OI, 0 },
	{ "fast-io", 0, 0, 0, 0 },
	{ "float", 0, 0, OC, 0 },
	{ "force-tls-key-material-export", 0, 15, OS, 0 },
	{ "fragment", 1, 2, OC, 0 },
	{ "genkey", 0, 3, 0, 0 },
	{ "gremlin", 1, 1, 0, 0 },
	{ "group", 1, 1, 0, 0 },
	{ "hand-window", 1, 1, 0, 0 },
	{ "hash-size", 2, 2, OS, 0 },
	{ "help", 0, 15, 0, 0 },
	{ "http-proxy", 1, 4, OC, 0 },
	{ "http-proxy-option", 1, 3, OC, 0 },
	{ "http-proxy-override", 2, 3, 0, 0 },
	{ "http-proxy-retry", 0, 15, OC, 0 },
	{ "http-proxy-timeout", 1, 1, OC, 0 },
	{ "http-proxy-user-pass", 1, 15, OI, 0 },
	{ "ifconfig", 2, 2, 0, 0 },
	{ "ifconfig-ipv6", 2, 2, 0, 0 },
	{ "ifconfig-ipv6-pool", 1, 1, OS, 0 },
	{ "ifconfig-ipv6-push", 1, 2, 0, 0 },
	{ "ifconfig-noexec", 0, 0, 0, 0 },
	{ "ifconfig-nowarn", 0, 0, 0, 0 },
	{ "ifconfig-pool", 2, 3, OS, 0 },
	{ "ifconfig-pool-linear", 0, 15, 0, 25 },
	{ "ifconfig-pool-persist", 1, 2, OS, 0 },
	{ "ifconfig-push", 2, 3, 0, 0 },
	{ "ifconfig-push-constraint", 2, 2, 0, 0 },
	{ "ignore-unknown-option", 1, 15, 0, 0 },
	{ "inactive", 1, 2, 0, 0 },
	{ "inetd", 0, 15, 0, 26 },
	{ "ip-remote-hint", 0, 1, 0, 0 },
	{ "ip-win32", 1, 3, OW, 0 },
	{ "ipchange", 1, 1, 0, 0 },
	{ "iproute", 1, 1, 0, 0 },
	{ "iroute", 1, 2, 0, 0 },
	{ "iroute-ipv6", 1, 1, 0, 0 },
	{ "keepalive", 2, 2, 0, 0 },
	{ "key", 1, 1, OI, 0 },
	{ "key-derivation", 1, 15, 0, 0 },
	{ "key-direction", 1, 1, OC, 0 },
	{ "key-method", 0, 15, 0, 25 },
	{ "keying-material-exporter", 2, 15, 0, 0 },
	{ "keysize", 0, 15, 0, 26 },
	{ "learn-address", 1, 1, OS, 0 },
	{ "link-mtu", 1, 1, OC, 0 },
	{ "lladdr", 1, 1, 0, 0 },
	{ "local", 1, 1, OC, 0 },
	{ "log", 1, 1, 0, 0 },
	{ "log-append", 1, 1, 0, 0 },
	{ "lport", 1, 1, OC, 0 },
	{ "machine-readable-output", 0, 0, 0, 0 },
	{ "management", 2, 3, 0, 0 },
	{ "management-client", 0, 0, 0, 0 },
	{ "management-client-auth", 0, 0, 0, 0 },
	{ "management-client-group", 1, 1, 0, 0 },
	{ "management-client-pf", 0, 15, 0, 26 },
	{ "management-client-user", 1, 1, 0, 0 },
	{ "management-external-cert", 1, 1, 0, 0 },
	{ "management-external-key", 0, 15, 0, 0 },
	{ "management-forget-disconnect", 0, 0, 0, 0 },
	{ "management-hold", 0, 0, 0, 0 },
	{ "management-log-cache", 1, 1, 0, 0 },
	{ "management-query-passwords", 0, 0, 0, 0 },
	{ "management-query-proxy", 0, 0, 0, 0 },
	{ "management-query-remote", 0, 0, 0, 0 },
	{ "management-signal", 0, 0, 0, 0 },
	{ "management-up-down", 0, 0, 0, 0 },
	{ "mark", 1, 1, 0, 0 },
	{ "max-clients", 1, 1, 0, 0 },
	{ "max-packet-size", 1, 1, OC, 0 },
	{ "max-routes", 0, 1, OC, 0 },
	{ "max-routes-per-client", 1, 1, 0, 0 },
	{ "memstats", 1, 1, 0, 0 },
	{ "mktun", 0, 0, 0, 0 },
	{ "mlock", 0, 0, 0, 0 },
	{ "mode", 1, 1, 0, 0 },
	{ "msg-channel", 1, 15, 0, 0 },
	{ "mssfix", 0, 2, OC, 0 },
	{ "mtu-disc", 1, 1, OC, 0 },
	{ "mtu-dynamic", 0, 15, OC, 0 },
	{ "mtu-test", 0, 0, 0, 0 },
	{ "multihome", 0, 0, 0, 0 },
	{ "mute", 1, 1, 0, 0 },
	{ "mute-replay-warnings", 0, 0, 0, 0 },
	{ "ncp-ciphers", 1, 1, 0, 0 },
	{ "ncp-disable", 0, 15, 0, 26 },
	{ "nice", 1, 1, 0, 0 },
	{ "no-iv", 0, 15, 0, 25 },
	{ "no-name-remapping", 0, 0, 0, 0 },
	{ "no-replay", 0, 0, 0, 0 },
	{ "nobind", 0, 0, OC, 0 },
	{ "ns-cert-type", 1, 1, 0, 0 },
	{ "opt-verify", 0, 0, OS, 0 },
	{ "parameter", 0, 15, 0, 0 },
	{ "passtos", 0, 0, 0, 0 },
	{ "pause-exit", 0, 0, OW, 0 },
	{ "peer-fingerprint", 1, 1, OI, 0 },
	{ "peer-id", 1, 1, 0, 0 },
	{ "persist-key", 0, 0, 0, 0 },
	{ "persist-local-ip", 0, 0, 0, 0 },
	{ "persist-remote-ip", 0, 0, 0, 0 },
	{ "persist-tun", 0, 0, 0, 0 },
	{ "ping", 1, 1, 0, 0 },
	{ "ping-exit", 1, 1, 0, 0 },
	{ "ping-restart", 1, 1, 0, 0 },
	{ "ping-timer-rem", 0, 0, 0, 0 },
	{ "pkcs11-cert-private", 0, 15, 0, 0 },
	{ "pkcs11-id", 1, 1, 0, 0 },
	{ "pkcs11-id-management", 0, 0, 0, 0 },
	{ "pkcs11-pin-cache", 1, 1, 0, 0 },
	{ "pkcs11-private-mode", 1, 15, 0, 0 },
	{ "pkcs11-protected-authentication", 0, 15, 0, 0 },
	{ "pkcs11-providers", 1, 15, 0, 0 },
	{ "pkcs12", 1, 1, OI, 0 },
	{ "plugin", 1, 15, 0, 0 },
	{ "port", 1, 1, OC, 0 },
	{ "port-share", 2, 3, OS, 0 },
	{ "preresolve", 0, 1, 0, 0 },
	{ "prng", 1, 2, OC, 0 },
	{ "proto", 1, 1, OC, 0 },
	{ "proto-force", 1, 1, 0, 0 },
	{ "protocol-flags", 1, 15, 0, 0 },
	{ "providers", 1, 15, OC, 0 },
	{ "pull", 0, 0, 0, 0 },
	{ "pull-filter", 2, 2, 0, 0 },
	{ "push", 1, 1, 0, 0 },
	{ "push-continuation", 1, 1, 0, 0 },
	{ "push-peer-info", 0, 0, 0, 0 },
	{ "push-remove", 1, 1, 0, 0 },
	{ "push-reset", 0, 0, 0, 0 },
	{ "rcvbuf", 1, 1, 0, 0 },
	{ "rdns-internal", 0, 0, OW, 0 },
	{ "redirect-gateway", 0, 15, 0, 0 },
	{ "redirect-private", 0, 15, 0, 0 },
	{ "register-dns", 0, 0, OW, 0 },
	{ "remap-usr1", 1, 1, 0, 0 },
	{ "remote", 1, 3, OC, 0 },
	{ "remote-cert-eku", 1, 1, 0, 0 },
	{ "remote-cert-ku", 0, 15, 0, 0 },
	{ "remote-cert-tls", 1, 1, 0, 0 },
	{ "remote-random", 0, 0, 0, 0 },
	{ "remote-random-hostname", 0, 0, 0, 0 },
	{ "reneg-bytes", 1, 1, 0, 0 },
	{ "reneg-pkts", 1, 1, 0, 0 },
	{ "reneg-sec", 1, 2, 0, 0 },
	{ "replay-persist", 1, 1, 0, 0 },
	{ "replay-window", 0, 2, 0, 0 },
	{ "resolv-retry", 1, 1, 0, 0 },
	{ "rmtun", 0, 0, 0, 0 },
	{ "route", 1, 4, 0, 0 },
	{ "route-delay", 0, 2, 0, 0 },
	{ "route-gateway", 1, 1, 0, 0 },
	{ "route-ipv6", 1, 3, 0, 0 },
	{ "route-ipv6-gateway", 1, 1, OC, 0 },
	{ "route-method", 1, 1, 0, 0 },
	{ "route-metric", 1, 1, 0, 0 },
	{ "route-noexec", 0, 0, 0, 0 },
	{ "route-nopull", 0, 0, 0, 0 },
	{ "route-pre-down", 1, 1, 0, 0 },
	{ "route-up", 1, 1, 0, 0 },
	{ "rport", 1, 1, OC, 0 },
	{ "script-security", 1, 1, 0, 0 },
	{ "secret", 1, 2, OI, 0 },
	{ "server", 2, 3, 0, 0 },
	{ "server-bridge", 0, 4, 0, 0 },
	{ "server-ipv6", 1, 1, 0, 0 },
	{ "server-poll-timeout", 1, 1, OC, 0 },
	{ "service", 1, 2, OW, 0 },
	{ "session-timeout", 1, 1, 0, 0 },
	{ "setcon", 1, 1, 0, 0 },
	{ "setenv", 1, 2, 0, 0 },
	{ "setenv-safe", 1, 2, 0, 0 },
	{ "shaper", 1, 1, 0, 0 },
	{ "show-adapters", 0, 0, OW, 0 },
	{ "show-ciphers", 0, 0, 0, 0 },
	{ "show-curves", 0, 0, 0, 0 },
	{ "show-digests", 0, 0, 0, 0 },
	{ "show-engines", 0, 0, 0, 0 },
	{ "show-gateway", 0, 1, 0, 0 },
	{ "show-groups", 0, 0, 0, 0 },
	{ "show-net", 0, 0, OW, 0 },
	{ "show-net-up", 0, 0, OW, 0 },
	{ "show-pkcs11-ids", 0, 2, 0, 0 },
	{ "show-tls", 0, 0, 0, 0 },
	{ "show-valid-subnets", 0, 0, OW, 0 },
	{ "single-session", 0, 0, 0, 0 },
	{ "sndbuf", 1, 1, 0, 0 },
	{ "socket-flags", 0, 15, 0, 0 },
	{ "socks-proxy", 1, 3, OC, 0 },
	{ "socks-proxy-retry", 0, 15, OC, 0 },
	{ "stale-routes-check", 1, 2, OS, 0 },
	{ "static-challenge", 2, 2, 0, 0 },
	{ "status", 1, 2, 0, 0 },
	{ "status-version", 1, 1, 0, 0 },
	{ "suppress-timestamps", 0, 0, 0, 0 },
	{ "syslog", 0, 1, 0, 0 },
	{ "tap-sleep", 1, 1, OW, 0 },
	{ "tcp-nodelay", 0, 0, 0, 0 },
	{ "tcp-queue-limit", 1, 1, 0, 0 },
	{ "test-crypto", 0, 0, 0, 0 },
	{ "tls-auth", 1, 2, OC|OI, 0 },
	{ "tls-cert-profile", 1, 1, 0, 0 },
	{ "tls-cipher", 1, 1, 0, 0 },
	{ "tls-ciphersuites", 1, 1, 0, 0 },
	{ "tls-client", 0, 0, 0, 0 },
	{ "tls-crypt", 1, 2, OC|OI, 0 },
	{ "tls-crypt-v2", 1, 2, OC|OI, 0 },
	{ "tls-crypt-v2-verify", 1, 1, 0, 0 },
	{ "tls-exit", 0, 0, 0, 0 },
	{ "tls-export-cert", 1, 1, 0, 0 },
	{ "tls-groups", 1, 1, 0, 0 },
	{ "tls-server", 0, 0, 0, 0 },
	{ "tls-timeout", 1, 1, 0, 0 },
	{ "tls-verify", 1, 1, 0, 0 },
	{ "tls-version-max", 1, 1, 0, 0 },
	{ "tls-version-min", 1, 2, 0, 0 },
	{ "tmp-dir", 1, 1, 0, 0 },
	{ "topology", 1, 1, 0, 0 },
	{ "tran-window", 1, 1, 0, 0 },
	{ "tun-ipv6", 0, 0, OC, 0 },
	{ "tun-mtu", 1, 2, OC, 0 },
	{ "tun-mtu-extra", 1, 1, OC, 0 },
	{ "tun-mtu-max", 1, 2, OC, 0 },
	{ "txqueuelen", 1, 1, 0, 0 },
	{ "udp-mtu", 1, 1, OC, 0 },
	{ "up", 1, 1, 0, 0 },
	{ "up-delay", 0, 0, 0, 0 },
	{ "up-restart", 0, 0, 0, 0 },
	{ "use-prediction-resistance", 0, 0, 0, 0 },
	{ "user", 1, 1, 0, 0 },
	{ "username-as-common-name", 0, 0, OS, 0 },
	{ "verb", 1, 1, 0, 0 },
	{ "verify-client-cert", 0, 1, OS, 0 },
	{ "verify-hash", 1, 1, OI, 0 },
	{ "verify-x509-name", 1, 2, 0, 0 },
	{ "version", 0, 0, 0, 0 },
	{ "vlan-accept", 1, 1, 0, 0 },
	{ "vlan-pvid", 1, 1, 0, 0 },
	{ "vlan-tagging", 0, 0, OS, 0 },
	{ "win-sys", 1, 1, OW, 0 },
	{ "windows-driver", 1, 1, OW, 0 },
	{ "writepid", 1, 1, 0, 0 },
	{ "x509-track", 1, 1, 0, 0 },
	{ "x509-username-field", 1, 15, 0, 0 },
};

static int directive_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct directive *)elem)->name);
}

static const struct directive *directive_find(const char *name)
{
	return bsearch(name, directives, VD_ARRAY_SIZE(directives), sizeof(directives[0]), directive_cmp);
}

struct ignore_list {
	const char **names;
	size_t n;
};

static bool ignored(const struct ignore_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return true;
	return false;
}

static bool is_server_config(const struct vd_ovpn_config *c)
{
	const struct vd_ovpn_option *m = vd_ovpn_config_get(c, "mode");

	if (m)
		return m->argc == 1 && strcmp(m->argv[0], "server") == 0;
	return vd_ovpn_config_get(c, "server") || vd_ovpn_config_get(c, "server-bridge");
}

static bool block_has_remote(const struct vd_ovpn_config *c, size_t i)
{
	unsigned conn = c->opts[i].connection;

	for (size_t j = i + 1; j < c->n_opts && c->opts[j].connection == conn; j++) {
		const char *name;
		char *const *argv;
		size_t argc;

		if (effective(&c->opts[j], &name, &argv, &argc) && strcmp(name, "remote") == 0 &&
		    argc >= 1 && argc <= 3)
			return true;
	}
	return false;
}

/* One problem to cb: its message, and that in English. */
static void problem_msg(vd_ovpn_problem_cb cb, void *userdata, unsigned line, bool unknown, const char *id,
                        const char *plural, const char *count, const struct vd_arg *args)
{
	struct vd_ovpn_problem pr = { .line = line, .unknown = unknown };
	cJSON *m = NULL;
	char *text = NULL;

	if (!cb)
		return;
	/* without memory the problem still counts, with no words */
	if (vd_msg_new(id, plural, count, args, &m) == 0 && (text = vd_msg_render(m, NULL))) {
		pr.text = text;
		pr.msg = m;
	}
	cb(userdata, &pr);
	free(text);
	cJSON_Delete(m);
}

unsigned vd_ovpn_config_validate(const struct vd_ovpn_config *c, vd_ovpn_problem_cb cb, void *userdata)
{
	return vd_ovpn_config_check(c, 0, cb, userdata);
}

unsigned vd_ovpn_config_check(const struct vd_ovpn_config *c, unsigned flags, vd_ovpn_problem_cb cb,
                              void *userdata)
{
	const bool quote = !(flags & VD_OVPN_NO_QUOTE);
	struct ignore_list ign = { 0 };
	bool server, forward_compatible = false;
	unsigned count = 0;

	/* KIND is unknown (OpenVPN does not take the option) or bad (it does, not so) */
#define PROBLEM(line, kind, id, ...)                                                                  \
	do {                                                                                          \
		count++;                                                                              \
		problem_msg(cb, userdata, (line), (kind) == UNKNOWN, id, NULL, NULL,                  \
		            (const struct vd_arg[]){ __VA_ARGS__ __VA_OPT__(,) { 0 } });              \
	} while (0)
	/* IDS: NP_(singular, plural); N names the number that picks one */
#define PROBLEM_N(line, ids, n, ...)                                                                  \
	do {                                                                                          \
		count++;                                                                              \
		problem_msg(cb, userdata, (line), false, ids, n,                                      \
		            (const struct vd_arg[]){ __VA_ARGS__, { 0 } });                           \
	} while (0)
	enum { UNKNOWN, BAD };

	if (!c)
		return 0;
	server = is_server_config(c);
	for (size_t i = 0; i < c->n_opts; i++) {
		const struct vd_ovpn_option *o = &c->opts[i];
		const struct directive *d;
		const char *name;
		char *const *argv;
		size_t argc;
		bool soft, known;

		if (strcmp(o->name, "connection") == 0 && o->connection) {
			if (!block_has_remote(c, i))
				PROBLEM(o->line, BAD,
				        N_("<connection> block has no 'remote' (OpenVPN needs exactly one per block)"));
			continue;
		}
		if (!effective(o, &name, &argv, &argc))
			continue; /* a bare "setenv opt": OpenVPN only warns */
		/* Errors about options behind "setenv opt", after an earlier
		 * "setenv FORWARD_COMPATIBLE 1" or named by an earlier
		 * ignore-unknown-option are warnings to OpenVPN; neither of the
		 * last two reaches into a <connection> block (it gets fresh options). */
		soft = name != o->name ||
		       (o->connection == 0 && (forward_compatible || ignored(&ign, name)));
		d = directive_find(name);
		known = d && !d->removed && !(d->flags & OW);
		if (!known || argc < d->min || argc > d->max) {
			struct vd_arg opt = VD_TEXT("option", name);
			char version[16];

			if (soft)
				continue;
			if (!d && quote) {
				/* TRANSLATORS: "Unrecognized option" is OpenVPN's own
				 * message, in English; {option} is the word of the profile */
				PROBLEM(o->line, UNKNOWN, N_("unknown option '{option}' (OpenVPN: Unrecognized option)"), opt);
			} else if (!d) {
				/* TRANSLATORS: "Unrecognized option" is OpenVPN's own message, in English */
				PROBLEM(o->line, UNKNOWN, N_("an unknown directive (OpenVPN: Unrecognized option)"));
			} else if (d->removed) {
				snprintf(version, sizeof(version), "2.%u", d->removed % 10);
				PROBLEM(o->line, UNKNOWN,
				        /* TRANSLATORS: {option} is a directive OpenVPN had; {version} is 2.5 or 2.6 */
				        N_("option '{option}' was removed in OpenVPN {version}; newer versions refuse it"), opt,
				        VD_TEXT("version", version));
			} else if (d->flags & OW) {
				PROBLEM(o->line, UNKNOWN,
				        N_("option '{option}' exists only in OpenVPN for Windows; OpenVPN on Linux refuses it"),
				        opt);
			} else if (d->min == d->max) {
				PROBLEM_N(o->line, NP_("option '{option}' takes {count} argument, not {given}",
				                       "option '{option}' takes {count} arguments, not {given}"),
				          "count", opt, VD_NUM("count", d->min, 0), VD_NUM("given", (double)argc, 0));
			} else {
				PROBLEM(o->line, BAD, N_("option '{option}' takes {min} to {max} arguments, not {given}"), opt,
				        VD_NUM("min", d->min, 0), VD_NUM("max", d->max, 0), VD_NUM("given", (double)argc, 0));
			}
			continue;
		}
		if (o->connection && !(d->flags & OC)) {
			PROBLEM(o->line, BAD, N_("option '{option}' cannot be used in a <connection> block"),
			        VD_TEXT("option", d->name));
			continue;
		}
		if (o->inline_body && !(d->flags & OI)) {
			PROBLEM(o->line, BAD, N_("option '{option}' cannot be an inline <{option}> block"),
			        VD_TEXT("option", d->name));
			continue;
		}
		if ((d->flags & OS) && !server)
			PROBLEM(o->line, BAD, N_("option '{option}' is server-only: it requires --mode server"),
			        VD_TEXT("option", d->name));
		if ((strcmp(name, "proto") == 0 && vd_ovpn_proto_parse(argv[0], NULL) < 0) ||
		    (strcmp(name, "remote") == 0 && argc == 3 && vd_ovpn_proto_parse(argv[2], NULL) < 0)) {
			if (quote)
				/* TRANSLATORS: {protocol} is the word of the profile */
				PROBLEM(o->line, BAD, N_("bad protocol '{protocol}'"), VD_TEXT("protocol", argv[argc - 1]));
			else
				PROBLEM(o->line, BAD, N_("option '{option}' names a protocol OpenVPN does not know"),
				        VD_TEXT("option", d->name));
		}
		if (o->connection)
			continue;
		if (strcmp(name, "ignore-unknown-option") == 0) {
			const char **a = reallocarray(ign.names, ign.n + argc, sizeof(*a));

			if (a) { /* without memory the check is only stricter */
				ign.names = a;
				for (size_t j = 0; j < argc; j++)
					/* "--opt" is accepted too */
					ign.names[ign.n++] = strncmp(argv[j], "--", 2) == 0 ? argv[j] + 2 : argv[j];
			}
		} else if (strcmp(name, "setenv") == 0 && argc == 2 && strcmp(argv[0], "FORWARD_COMPATIBLE") == 0 &&
		           strcmp(argv[1], "1") == 0) {
			forward_compatible = true;
		}
	}
#undef PROBLEM
#undef PROBLEM_N
	free(ign.names);
	return count;
}
