/* libFuzzer target for the allowlist of lib/redact.c (issue 16): the input
 * steers a generator that writes a profile with every directive OpenVPN
 * knows, then more lines of its choosing, and puts a unique marker in every
 * argument the allowlist does not keep (a secret's stand-in), in the names
 * and inline blocks of directives OpenVPN does not know, in the bodies of
 * inline blocks and in comments, with "--" and "setenv opt" prefixes,
 * quoting, escapes, PEM markers and <connection> blocks. The redacted
 * profile, its anonymized form and the notes for the MANIFEST must hold no
 * marker, and what the allowlist keeps must come out as it went in: the same
 * directives in the same order, kept arguments unchanged, the others
 * [REDACTED]. The empty input goes through every directive; any other
 * through a window of 40 it chooses, then lines of its own; when the input
 * runs out, the choices go on from a generator seeded by it. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpndoctor/ovpn_config.h"
#include "vpndoctor/redact.h"

#include "ovpn_directives.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MARK       "VDMK"
#define PROFILE_MAX (256 * 1024)
#define EXPECT_MAX 2048
#define LINE_MAX_OK 250 /* OpenVPN reads 255 characters a line */
#define SWEEP_WINDOW 40 /* directives a run with input goes through (all: ~15 runs/s) */

/* The throwaway demo CA of tests/data/sample: a real certificate for the
 * blocks that are summarised. */
static const char sample_ca[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBbjCCARSgAwIBAgICEAEwCgYIKoZIzj0EAwIwHjEcMBoGA1UEAwwTdnBuZG9j\n"
	"dG9yIHNhbXBsZSBDQTAeFw0yNTAxMDEwMDAwMDBaFw00NTAxMDEwMDAwMDBaMB4x\n"
	"HDAaBgNVBAMME3ZwbmRvY3RvciBzYW1wbGUgQ0EwWTATBgcqhkjOPQIBBggqhkjO\n"
	"PQMBBwNCAAQkQ5Sek4b1TN9Z4DiAiJg79J80l0f/x0NfTPsdm9jdHLj20YoMbeBZ\n"
	"m4lJhNodPQZCIBb0TzUE/JjRcs/bjBuAo0IwQDAPBgNVHRMBAf8EBTADAQH/MA4G\n"
	"A1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQUlOPB1JbaaJBfbYL9BoH47Cf3B80wCgYI\n"
	"KoZIzj0EAwIDSAAwRQIhAKJZC30EMIsROWg0PGn3X2aFUUGLTMEZU7KTocwWQIU7\n"
	"AiAWIxutw1d4lm8sV8N6fqiVOkRbKiHEOeG1ie/+fM0BsQ==\n"
	"-----END CERTIFICATE-----\n";

/* Arguments with no secret, for the positions the allowlist keeps (none
 * holds a marker, a password-like word or a PEM marker). */
static const char *const benign[] = {
	"1194", "udp", "tcp-client", "10.8.0.1", "255.255.255.0", "vpn.example.test", "2001:db8::1",
	"AES-256-GCM:CHACHA20-POLY1305", "/etc/openvpn/ca.crt", "ca.crt", "0", "1", "name", "tun0", "def1",
	"bypass-dhcp", "opt", "FORWARD_COMPATIBLE", "CLIENT_CERT", "VERSION", "AGENT", "CUSTOM-HEADER",
	"via-env", "[[INLINE]]", "route", "block-outside-dns", "dhcp-option", "/usr/sbin/helper",
	"a dir/with space", "x\"q\\z", "3600", "infinite", "stdin", "DNS", "10.0.0.0/8", "subnet",
};

/* What the redaction must give back for one option. */
struct expect {
	const char *name;
	size_t argc;
	char *argv[VD_OVPN_MAX_ARGS]; /* a kept argument; NULL: [REDACTED]; "" a program */
	unsigned connection;
};

struct gen {
	const uint8_t *d;
	size_t n;
	uint64_t rng;
	char *buf;
	size_t len;
	bool full;
	unsigned markers;
	struct expect *exp;
	size_t n_exp;
	unsigned conn; /* the <connection> block being written, 0 outside */
	unsigned n_conn;
};

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static unsigned take(struct gen *g, unsigned mod)
{
	unsigned v;

	if (g->n) {
		v = *g->d++;
		g->n--;
	} else {
		g->rng ^= g->rng << 13;
		g->rng ^= g->rng >> 7;
		g->rng ^= g->rng << 17;
		v = (unsigned)(g->rng >> 24);
	}
	return mod ? v % mod : v;
}

static void put(struct gen *g, const char *s, size_t n)
{
	if (g->full || g->len + n + 1 > PROFILE_MAX) {
		g->full = true;
		return;
	}
	memcpy(g->buf + g->len, s, n);
	g->len += n;
	g->buf[g->len] = '\0';
}

static void puts_(struct gen *g, const char *s)
{
	put(g, s, strlen(s));
}

/* shape with every '@' replaced by m; malloc'ed. */
static char *fill(const char *shape, const char *m)
{
	size_t n = 1, ml = strlen(m);
	char *out, *o;

	for (const char *s = shape; *s; s++)
		n += *s == '@' ? ml : 1;
	o = out = malloc(n);
	if (!out)
		abort();
	for (const char *s = shape; *s; s++) {
		if (*s == '@') {
			memcpy(o, m, ml);
			o += ml;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

/* A value holding a fresh marker, in one of the shapes a secret comes in;
 * program: the shape of a script's command line whose first word is kept. */
static char *marker_value(struct gen *g, bool program)
{
	static const char *const shapes[] = {
		"@", "password=@", "x @ y", "-----BEGIN RSA PRIVATE KEY-----@", "@\"q\\", "#@", "<@>", "--@",
		"\xc3\xa9@\x1b[31m", "[[INLINE]]@", "@;@", "Basic @", "'@'", "@\\",
	};
	static const char *const programs[] = {
		"/usr/bin/prog @", "/etc/openvpn/up.sh --password=@ x", "@=1 /bin/x", "'@' /x",
		"/bin/sh -c 'curl -u u:@'", "\"@\"",
	};
	char m[32];

	snprintf(m, sizeof(m), MARK "%05u", g->markers++);
	return fill(program ? programs[take(g, VD_ARRAY_SIZE(programs))] : shapes[take(g, VD_ARRAY_SIZE(shapes))], m);
}

/* One word as the profile's author might write it: bare when it can be,
 * else in double quotes with \" and \\ escaped (a marker may sit in either). */
static void put_word(struct gen *g, const char *w)
{
	bool plain = *w != '\0' && w[0] != '<' && w[0] != '#' && w[0] != ';';

	for (const char *s = w; *s; s++)
		if (*s == ' ' || *s == '\t' || *s == '"' || *s == '\'' || *s == '\\' || *s == '#' || *s == ';')
			plain = false;
	if (plain) {
		puts_(g, w);
		return;
	}
	puts_(g, "\"");
	for (const char *s = w; *s; s++) {
		if (*s == '"' || *s == '\\')
			puts_(g, "\\");
		put(g, s, 1);
	}
	puts_(g, "\"");
}

/* The length put_word() gives w. */
static size_t word_len(const char *w)
{
	bool plain = *w != '\0' && w[0] != '<' && w[0] != '#' && w[0] != ';';
	size_t n = 2;

	for (const char *s = w; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '"' || *s == '\'' || *s == '\\' || *s == '#' || *s == ';')
			plain = false;
		n += 1 + (*s == '"' || *s == '\\');
	}
	return plain ? strlen(w) : n;
}

/* Settles which arguments carry markers: every one the allowlist drops, as
 * the arguments stand (dropping one may drop another: setenv's name with a
 * value that is no longer 0 or 1), until nothing changes. */
static void plant(struct gen *g, const char *name, char **argv, size_t argc, bool *marked)
{
	bool changed = true;

	while (changed) {
		changed = false;
		for (size_t i = 0; i < argc; i++) {
			enum vd_redact_arg c = vd_redact_arg_class(name, (const char *const *)argv, argc, i);

			if (marked[i] || c == VD_REDACT_KEEP)
				continue;
			free(argv[i]);
			argv[i] = marker_value(g, c == VD_REDACT_PROGRAM);
			marked[i] = true;
			changed = true;
		}
	}
	for (size_t i = 0; i < argc; i++)
		if (marked[i] &&
		    vd_redact_arg_class(name, (const char *const *)argv, argc, i) == VD_REDACT_KEEP)
			die("%s: argument %zu would keep its marker: %s", name, i, argv[i]);
}

static void expect_add(struct gen *g, const char *name, char **argv, size_t argc)
{
	struct expect *e;

	if (g->n_exp >= EXPECT_MAX) {
		g->full = true;
		return;
	}
	e = &g->exp[g->n_exp++];
	memset(e, 0, sizeof(*e));
	e->name = name;
	e->argc = argc;
	e->connection = g->conn;
	for (size_t i = 0; i < argc; i++) {
		enum vd_redact_arg c = vd_redact_arg_class(name, (const char *const *)argv, argc, i);

		if (c == VD_REDACT_KEEP)
			e->argv[i] = strdup(argv[i]);
		else if (c == VD_REDACT_PROGRAM)
			e->argv[i] = strdup("");
	}
}

/* One option line of a known directive (name), its arguments settled. */
static void known_line(struct gen *g, const char *name, size_t argc)
{
	char *argv[VD_OVPN_MAX_ARGS] = {0}, *comment = NULL;
	bool marked[VD_OVPN_MAX_ARGS] = {0}, tabs[VD_OVPN_MAX_ARGS] = {0};
	bool setenv_opt = argc >= 2 && take(g, 8) == 0, dashes = take(g, 4) == 0, crlf = take(g, 16) == 0;
	size_t len;

	if (argc > VD_OVPN_MAX_ARGS - 1)
		argc = VD_OVPN_MAX_ARGS - 1;
	for (size_t i = 0; i < argc; i++) {
		argv[i] = strdup(benign[take(g, VD_ARRAY_SIZE(benign))]);
		tabs[i] = take(g, 6) == 0;
	}
	/* a comment after the arguments: OpenVPN's parser ends the line there */
	if (take(g, 8) == 0) {
		char *m = marker_value(g, false);

		if (asprintf(&comment, "%s%s", take(g, 2) ? " #" : " ;", m) < 0)
			abort();
		free(m);
	}
	/* "setenv opt NAME ...": the option NAME, guarded */
	if (setenv_opt) {
		free(argv[0]);
		free(argv[1]);
		argv[0] = strdup("opt");
		argv[1] = strdup(name);
		name = "setenv";
	}
	/* a line OpenVPN would refuse as too long loses arguments from its end */
	for (;;) {
		plant(g, name, argv, argc, marked);
		len = (dashes ? 2 : 0) + strlen(name) + (comment ? strlen(comment) : 0) + (crlf ? 2 : 1);
		for (size_t i = 0; i < argc; i++)
			len += (tabs[i] ? 3 : 1) + word_len(argv[i]);
		if (len < LINE_MAX_OK || argc == 0)
			break;
		free(argv[--argc]);
		argv[argc] = NULL;
	}
	if (dashes)
		puts_(g, "--");
	puts_(g, name);
	for (size_t i = 0; i < argc; i++) {
		puts_(g, tabs[i] ? " \t " : " ");
		put_word(g, argv[i]);
	}
	if (comment && len < LINE_MAX_OK)
		puts_(g, comment);
	puts_(g, crlf ? "\r\n" : "\n");
	expect_add(g, name, argv, argc);
	for (size_t i = 0; i < argc; i++)
		free(argv[i]);
	free(comment);
}

/* A directive OpenVPN does not know: its name is a marker. */
static void unknown_line(struct gen *g)
{
	static const char *const names[] = {"@", "--@", "----<@>", "@-password", "--<ca>@", "ROOTONLY_@"};
	char m[32], *name;
	size_t argc = take(g, 4);

	snprintf(m, sizeof(m), MARK "%05u", g->markers++);
	name = fill(names[take(g, VD_ARRAY_SIZE(names))], m);
	puts_(g, name);
	free(name);
	for (size_t i = 0; i < argc; i++) {
		char *v = take(g, 2) ? marker_value(g, false) : strdup(benign[take(g, VD_ARRAY_SIZE(benign))]);

		puts_(g, " ");
		put_word(g, v);
		free(v);
	}
	puts_(g, "\n");
}

/* An inline block: a known tag (its body goes, or is summarised) or a marker. */
static void inline_block(struct gen *g)
{
	static const char *const tags[] = {
		"ca", "cert", "extra-certs", "key", "tls-auth", "tls-crypt", "tls-crypt-v2", "secret", "pkcs12",
		"auth-user-pass", "http-proxy-user-pass", "auth-gen-token-secret", "dh", "crl-verify",
		"peer-fingerprint", "verify-hash", NULL,
	};
	const char *tag = tags[take(g, VD_ARRAY_SIZE(tags))];
	char m[32], *body_marker;
	size_t lines = take(g, 5);

	snprintf(m, sizeof(m), MARK "%05u", g->markers++);
	if (!tag)
		tag = m;
	puts_(g, "<");
	puts_(g, tag);
	puts_(g, ">\n");
	for (size_t i = 0; i < lines; i++) {
		switch (take(g, 5)) {
		case 0:
			puts_(g, sample_ca);
			break;
		case 1:
			puts_(g, "-----BEGIN OpenVPN Static key V1-----\n");
			break;
		case 2:
			puts_(g, "-----END OpenVPN Static key V1-----\n");
			break;
		default:
			body_marker = marker_value(g, false);
			puts_(g, body_marker);
			puts_(g, "\n");
			free(body_marker);
		}
	}
	puts_(g, "</");
	puts_(g, tag);
	puts_(g, ">\n");
	if (tag != m && g->n_exp < EXPECT_MAX) {
		struct expect *e = &g->exp[g->n_exp++];

		memset(e, 0, sizeof(*e));
		e->name = tag;
		e->argc = 1;
		e->argv[0] = strdup("[[INLINE]]");
		e->connection = g->conn;
	}
}

static void comment_line(struct gen *g)
{
	char *m = marker_value(g, false);

	puts_(g, take(g, 2) ? "# " : "; ");
	puts_(g, m);
	puts_(g, "\n");
	free(m);
}

static void any_line(struct gen *g)
{
	switch (take(g, 8)) {
	case 0:
		unknown_line(g);
		break;
	case 1:
		inline_block(g);
		break;
	case 2:
		comment_line(g);
		break;
	default:
		known_line(g, ovpn_directives[(take(g, 0) << 8 | take(g, 0)) % VD_ARRAY_SIZE(ovpn_directives)],
		           take(g, 17));
	}
}

static void expect_free(struct gen *g)
{
	for (size_t i = 0; i < g->n_exp; i++)
		for (size_t k = 0; k < g->exp[i].argc; k++)
			free(g->exp[i].argv[k]);
}

static bool has_marker(const char *s, size_t len)
{
	return memmem(s, len, MARK, strlen(MARK)) != NULL;
}

static size_t longest_line(const char *s, size_t len)
{
	size_t best = 0, cur = 0;

	for (size_t i = 0; i < len; i++) {
		cur = s[i] == '\n' ? 0 : cur + 1;
		if (cur > best)
			best = cur;
	}
	return best;
}

/* The kept directives, in order, with their kept arguments as written. */
static void check_kept(const struct gen *g, const char *out, size_t len)
{
	struct vd_ovpn_config *cfg = NULL;
	struct vd_error err;
	size_t k = 0;

	if (vd_ovpn_config_parse("out", out, len, &cfg, &err) != 0) {
		if (longest_line(out, len) < 255)
			die("the redacted profile does not parse: line %u: %s\n%s", err.line, err.msg, out);
		return;
	}
	for (size_t i = 0; i < cfg->n_opts; i++) {
		const struct vd_ovpn_option *o = &cfg->opts[i];
		const struct expect *e;

		if (strcmp(o->name, "connection") == 0 && o->inline_body)
			continue;
		if (k >= g->n_exp)
			die("output line %u: %s: more options than went in", o->line, o->name);
		e = &g->exp[k++];
		if (strcmp(o->name, e->name) != 0 || o->argc != e->argc || !o->connection != !e->connection)
			die("output line %u: %s with %zu arguments (connection %u), want %s with %zu (connection %u)",
			    o->line, o->name, o->argc, o->connection, e->name, e->argc, e->connection);
		for (size_t a = 0; a < o->argc; a++) {
			if (!e->argv[a] ? strcmp(o->argv[a], "[REDACTED]") != 0
			                : *e->argv[a] && strcmp(o->argv[a], e->argv[a]) != 0)
				die("output line %u: %s: argument %zu is \"%s\", want \"%s\"", o->line, o->name, a,
				    o->argv[a], e->argv[a] ? e->argv[a] : "[REDACTED]");
		}
	}
	if (k != g->n_exp)
		die("%zu options came out, %zu went in", k, g->n_exp);
	vd_ovpn_config_free(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct expect exp[EXPECT_MAX];
	struct gen g = {.d = data, .n = size, .rng = 0x9e3779b97f4a7c15ULL ^ size, .exp = exp};
	struct vd_redact_notes notes = {0};
	struct vd_ovpn_config *in = NULL;
	struct vd_anon *anon = NULL;
	struct vd_error err;
	char *out = NULL, *aout = NULL;
	size_t olen = 0, alen = 0, extra, first, count;

	if (size > 4096)
		return 0;
	for (size_t i = 0; i < size; i++)
		g.rng = (g.rng ^ data[i]) * 0x100000001b3ULL;
	g.buf = malloc(PROFILE_MAX);
	if (!g.buf)
		return 0;
	g.buf[0] = '\0';
	puts_(&g, "client\n");
	g.exp[g.n_exp++] = (struct expect){.name = "client"};

	/* every directive OpenVPN knows, some inside a <connection> block: all
	 * of them for the empty input (libFuzzer runs it first, and every replay
	 * of the corpus has it), else a window of them where the input says */
	first = 0;
	count = VD_ARRAY_SIZE(ovpn_directives);
	if (size) {
		first = (take(&g, 0) << 8 | take(&g, 0)) % count;
		count = SWEEP_WINDOW;
	}
	for (size_t w = 0; w < count && !g.full; w++) {
		size_t i = (first + w) % VD_ARRAY_SIZE(ovpn_directives);

		if (strcmp(ovpn_directives[i], "connection") == 0)
			continue;
		if (!g.conn && take(&g, 32) == 0) {
			puts_(&g, "<connection>\n");
			g.conn = ++g.n_conn;
		} else if (g.conn && take(&g, 4) == 0) {
			puts_(&g, "</connection>\n");
			g.conn = 0;
		}
		known_line(&g, ovpn_directives[i], take(&g, 17));
		if (take(&g, 16) == 0)
			any_line(&g);
	}
	if (g.conn) {
		puts_(&g, "</connection>\n");
		g.conn = 0;
	}
	/* and what the input asks for on top */
	extra = take(&g, 32);
	for (size_t i = 0; i < extra && !g.full; i++)
		any_line(&g);

	if (g.full)
		goto done;
	/* the generator writes only what OpenVPN's syntax accepts */
	if (vd_ovpn_config_parse("in", g.buf, g.len, &in, &err) != 0)
		die("the generated profile does not parse: line %u: %s", err.line, err.msg);
	vd_ovpn_config_free(in);

	if (vd_redact_profile("fuzz.ovpn", g.buf, g.len, NULL, &out, &olen, &notes, &err) != 0)
		die("vd_redact_profile failed: line %u: %s", err.line, err.msg);
	if (has_marker(out, olen))
		die("a marker survived: %.80s\nin:\n%s", (const char *)memmem(out, olen, MARK, strlen(MARK)), out);
	for (size_t i = 0; i < notes.n; i++)
		if (has_marker(notes.lines[i], strlen(notes.lines[i])))
			die("a marker in a note: %s", notes.lines[i]);
	if (vd_anon_new(&anon) == 0 && vd_anon_reserve(anon, out, olen) == 0 &&
	    vd_anon_apply(anon, out, olen, &aout, &alen) == 0 && has_marker(aout, alen))
		die("a marker in the anonymized profile");
	check_kept(&g, out, olen);
done:
	vd_anon_free(anon);
	vd_redact_notes_free(&notes);
	free(aout);
	free(out);
	expect_free(&g);
	free(g.buf);
	return 0;
}
