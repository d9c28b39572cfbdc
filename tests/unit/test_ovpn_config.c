/* Tests of the OpenVPN config parser: expected words are worked out from
 * parse_line() and friends in OpenVPN 2.6's options.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "vpndoctor/message.h"
#include "vpndoctor/ovpn_config.h"

static struct vd_ovpn_config *parse_ok(const char *text)
{
	struct vd_ovpn_config *c = NULL;
	struct vd_error err = { 0 };
	int r = vd_ovpn_config_parse("t.ovpn", text, strlen(text), &c, &err);

	if (r != 0)
		fail_msg("parse failed (%d): %s:%u: %s", r, err.file, err.line, err.msg);
	assert_non_null(c);
	return c;
}

/* A parse that fails: its error as a message too, which says in English
 * what err->msg says (but for -ENOMEM, which has no message). */
static int parse_err(const char *text, size_t len, struct vd_error *err)
{
	struct vd_ovpn_config *c = NULL;
	cJSON *m = NULL;
	char *en;
	int r = vd_ovpn_config_parse_msg("t.ovpn", text, len, &c, err, &m);

	assert_null(c);
	assert_string_equal(err->file, "t.ovpn");
	assert_true(r < 0);
	if (r != -ENOMEM) {
		assert_non_null(m);
		en = vd_msg_render(m, NULL);
		assert_non_null(en);
		assert_string_equal(en, err->msg);
		free(en);
	}
	cJSON_Delete(m);
	return r;
}

/* words: NULL-terminated list, name first */
static void assert_words(const char *line, const char *const *words)
{
	struct vd_ovpn_config *c = parse_ok(line);
	size_t n = 0;

	while (words[n])
		n++;
	if (c->n_opts != 1)
		fail_msg("%s: %zu options", line, c->n_opts);
	assert_string_equal(c->opts[0].name, words[0]);
	if (c->opts[0].argc != n - 1)
		fail_msg("'%s': %zu args, want %zu", line, c->opts[0].argc, n - 1);
	for (size_t i = 1; i < n; i++)
		assert_string_equal(c->opts[0].argv[i - 1], words[i]);
	vd_ovpn_config_free(c);
}

#define WORDS(line, ...) assert_words(line, (const char *const[]){ __VA_ARGS__, NULL })

static void test_quoting(void **state)
{
	WORDS("remote \"my host\" 1194\n", "remote", "my host", "1194");
	WORDS("cd 'C:\\Program Files\\x'\n", "cd", "C:\\Program Files\\x");
	WORDS("cd \"C:\\\\Program Files\\\\x\"\n", "cd", "C:\\Program Files\\x");
	WORDS("cd C:\\\\dir\\ name\n", "cd", "C:\\dir name");
	WORDS("auth-user-pass \"a\\\"b\"\n", "auth-user-pass", "a\"b");
	/* quotes inside an unquoted word are literal */
	WORDS("x a\"b c'd\n", "x", "a\"b", "c'd");
	/* a closing quote ends the word */
	WORDS("x \"ab\"cd\n", "x", "ab", "cd");
	WORDS("x \"\" ''\n", "x", "", "");
	WORDS("x \\\"y\n", "x", "\"y");
	/* an escaped space before a word is swallowed */
	WORDS("x \\ y\n", "x", "y");
	/* no escapes between single quotes */
	WORDS("x 'a\\'\n", "x", "a\\");
	WORDS("'a \"b' c\n", "a \"b", "c");
	/* a backslash before the newline keeps the newline (fgets keeps it) */
	WORDS("x foo\\\n", "x", "foo\n");
	WORDS("x foo\\\r\n", "x", "foo\r");
	WORDS("\tverb\t3  \t\n", "verb", "3");
	/* MAX_PARMS: the 17th word on is dropped */
	WORDS("x 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\n", "x", "1", "2", "3", "4", "5", "6", "7",
	      "8", "9", "10", "11", "12", "13", "14", "15");
}

static void test_quoting_errors(void **state)
{
	static const char *const bad[] = {
		"x \"a\\b\"\n", "x a\\b\n", "x \\'a'\n", "x \"abc\n", "x 'abc\n", "x foo\\",
		"x \\a\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vd_error err = { 0 };
		char text[64];

		snprintf(text, sizeof(text), "client\n%s", bad[i]);
		if (parse_err(text, strlen(text), &err) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(err.line, 2);
		assert_true(strlen(err.msg) > 0);
	}
}

static void test_comments(void **state)
{
	struct vd_ovpn_config *c = parse_ok("# c\n; c\n  # c\nremote a#b ;x\nx \\#y\nverb 3 # 4\n\n");

	assert_int_equal(c->n_opts, 3);
	assert_string_equal(c->opts[0].name, "remote");
	assert_int_equal(c->opts[0].argc, 1);
	assert_string_equal(c->opts[0].argv[0], "a#b");
	assert_int_equal(c->opts[0].line, 4);
	assert_string_equal(c->opts[1].name, "x");
	assert_int_equal(c->opts[1].argc, 0);
	assert_int_equal(c->opts[2].argc, 1);
	assert_string_equal(c->opts[2].argv[0], "3");
	assert_int_equal(c->opts[2].line, 6);
	vd_ovpn_config_free(c);
}

static void test_crlf_dashes_bom(void **state)
{
	struct vd_ovpn_config *c =
		parse_ok("\xEF\xBB\xBF--client\r\n--dev tun\r\n-- x\r\n---y\r\nremote h 1\r\nverb 3");

	assert_int_equal(c->n_opts, 6);
	assert_string_equal(c->opts[0].name, "client");
	assert_string_equal(c->opts[1].name, "dev");
	assert_string_equal(c->opts[1].argv[0], "tun");
	assert_string_equal(c->opts[2].name, "--");
	assert_string_equal(c->opts[3].name, "-y");
	assert_string_equal(c->opts[4].argv[1], "1");
	assert_string_equal(c->opts[5].argv[0], "3");
	assert_int_equal(c->opts[5].line, 6);
	vd_ovpn_config_free(c);
}

static void test_inline_tags(void **state)
{
	static const char *const tags[] = {
		"ca", "cert", "key", "tls-auth", "tls-crypt", "tls-crypt-v2", "pkcs12", "extra-certs", "dh",
		"secret", "http-proxy-user-pass", "auth-user-pass", "crl-verify", "anything-else",
	};
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		char text[512];
		struct vd_ovpn_config *c;

		snprintf(text, sizeof(text),
		         "client\n<%s>\n-----BEGIN X-----\r\n  indented\n\n-----END X-----\n  </%s> trailing\nverb 3\n",
		         tags[i], tags[i]);
		c = parse_ok(text);
		assert_int_equal(c->n_opts, 3);
		assert_string_equal(c->opts[1].name, tags[i]);
		assert_int_equal(c->opts[1].argc, 1);
		assert_string_equal(c->opts[1].argv[0], "[[INLINE]]");
		assert_string_equal(c->opts[1].inline_body,
		                    "-----BEGIN X-----\r\n  indented\n\n-----END X-----\n");
		assert_int_equal(c->opts[1].line, 2);
		assert_int_equal(c->opts[2].line, 8);
		assert_null(c->opts[0].inline_body);
		vd_ovpn_config_free(c);
	}
}

static void test_inline_misc(void **state)
{
	/* an empty block; "--<tag>" and a comment after the tag still open one;
	 * a long body line is fine (OpenVPN reads bodies in pieces) */
	char *text = malloc(4096);
	struct vd_ovpn_config *c;

	assert_non_null(text);
	strcpy(text, "<ca>\n</ca>\n--<cert> # x\n");
	memset(text + strlen(text), 'A', 3000);
	strcpy(text + strlen("<ca>\n</ca>\n--<cert> # x\n") + 3000, "\n</cert>\n<key> x\n");
	c = parse_ok(text);
	assert_int_equal(c->n_opts, 3);
	assert_string_equal(c->opts[0].inline_body, "");
	assert_string_equal(c->opts[1].name, "cert");
	assert_int_equal(strlen(c->opts[1].inline_body), 3001);
	/* "<key> x" is not a block: an option named "<key>" */
	assert_string_equal(c->opts[2].name, "<key>");
	assert_null(c->opts[2].inline_body);
	vd_ovpn_config_free(c);
	free(text);
}

static void test_inline_errors(void **state)
{
	struct vd_error err = { 0 };
	const char *t;

	t = "client\n<ca>\nAAAA\n";
	assert_int_equal(parse_err(t, strlen(t), &err), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "</ca>"));

	t = "client\n<ca>\nAAAA\n</cert>\nverb 3\n";
	assert_int_equal(parse_err(t, strlen(t), &err), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "</cert>"));
	assert_non_null(strstr(err.msg, "line 4"));

	t = "client\n</ca>\n";
	assert_int_equal(parse_err(t, strlen(t), &err), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "</ca>"));

	/* words of the file that name no directive are never in a message */
	t = "client\n<ca>\nAAAA\n</ROOTONLY_SECRET>\n";
	assert_int_equal(parse_err(t, strlen(t), &err), -EINVAL);
	assert_null(strstr(err.msg, "ROOTONLY_SECRET"));
	assert_non_null(strstr(err.msg, "line 4"));
	t = "client\n</ROOTONLY_SECRET>\n";
	assert_int_equal(parse_err(t, strlen(t), &err), -EINVAL);
	assert_null(strstr(err.msg, "ROOTONLY_SECRET"));
	t = "client\n<ROOTONLY_SECRET>\nAAAA\n";
	assert_int_equal(parse_err(t, strlen(t), &err), -EINVAL);
	assert_null(strstr(err.msg, "ROOTONLY_SECRET"));

	t = "<connection>\nremote a\n<connection>\nremote b\n</connection>\n</connection>\n";
	assert_int_equal(parse_err(t, strlen(t), &err), -EINVAL);
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.msg, "nest"));

	t = "<connection>\nremote a\n";
	assert_int_equal(parse_err(t, strlen(t), &err), -EINVAL);
	assert_int_equal(err.line, 1);

	t = "<connection>\nremote a\n<ca>\nx\n</connection>\n";
	assert_int_equal(parse_err(t, strlen(t), &err), -EINVAL);
	assert_int_equal(err.line, 3);
}

static void test_connection_blocks(void **state)
{
	const char *t = "port 1000\n"
	                "proto tcp\n"
	                "remote g1\n"
	                "<connection>\n"
	                "remote a\n"
	                "<ca>\n"
	                "CA\n"
	                "</ca>\n"
	                "</connection>\n"
	                "<connection>\r\n"
	                "remote b 2000 udp\r\n"
	                "port 3000\r\n"
	                "</connection>\r\n"
	                "proto udp\n"
	                "<connection>\n"
	                "remote c\n"
	                "</connection>\n"
	                "port 9\n";
	struct vd_ovpn_config *c = parse_ok(t);
	struct vd_ovpn_remote *r = NULL;
	const struct vd_ovpn_option *o;
	size_t n = 0;

	assert_int_equal(c->n_connections, 3);
	assert_string_equal(c->opts[3].name, "connection");
	assert_int_equal(c->opts[3].connection, 1);
	assert_int_equal(c->opts[3].line, 4);
	assert_string_equal(c->opts[4].name, "remote");
	assert_int_equal(c->opts[4].connection, 1);
	assert_int_equal(c->opts[4].line, 5);
	assert_string_equal(c->opts[5].name, "ca");
	assert_string_equal(c->opts[5].inline_body, "CA\n");
	assert_int_equal(c->opts[5].connection, 1);
	/* get: last wins, never from a block */
	o = vd_ovpn_config_get(c, "port");
	assert_non_null(o);
	assert_string_equal(o->argv[0], "9");
	o = vd_ovpn_config_get(c, "proto");
	assert_string_equal(o->argv[0], "udp");
	o = vd_ovpn_config_get(c, "remote");
	assert_string_equal(o->argv[0], "g1");
	assert_null(vd_ovpn_config_get(c, "ca"));
	/* next: every occurrence */
	n = 0;
	for (o = vd_ovpn_config_next(c, "remote", NULL); o; o = vd_ovpn_config_next(c, "remote", o))
		n++;
	assert_int_equal(n, 4);

	/* remote g1 is ignored next to <connection> blocks; each block takes
	 * the global settings as they are where it starts */
	assert_int_equal(vd_ovpn_config_remotes(c, &r, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(r[0].host, "a");
	assert_int_equal(r[0].port, 1000);
	assert_int_equal(r[0].proto, VD_PROTO_TCP);
	assert_int_equal(r[0].line, 5);
	assert_string_equal(r[1].host, "b");
	assert_int_equal(r[1].port, 3000);
	assert_int_equal(r[1].proto, VD_PROTO_UDP);
	assert_int_equal(r[1].line, 11);
	assert_string_equal(r[2].host, "c");
	assert_int_equal(r[2].port, 1000);
	assert_int_equal(r[2].proto, VD_PROTO_UDP);
	free(r);
	vd_ovpn_config_free(c);
}

static void test_remotes_defaults(void **state)
{
	struct vd_ovpn_config *c;
	struct vd_ovpn_remote *r = NULL;
	size_t n = 99;

	c = parse_ok("client\n");
	assert_int_equal(vd_ovpn_config_remotes(c, &r, &n), 0);
	assert_int_equal(n, 0);
	free(r);
	vd_ovpn_config_free(c);

	c = parse_ok("remote h1\nremote h2 443 tcp\nremote h3 80\nremote h4 1 bogus\nrport 555\nproto tcp-client\n"
	             "remote h5 x\n");
	assert_int_equal(vd_ovpn_config_remotes(c, &r, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(r[0].host, "h1");
	assert_int_equal(r[0].port, 555);
	assert_int_equal(r[0].proto, VD_PROTO_TCP);
	assert_int_equal(r[1].port, 443);
	assert_int_equal(r[1].proto, VD_PROTO_TCP);
	assert_int_equal(r[2].port, 80);
	assert_string_equal(r[3].host, "h5");
	assert_int_equal(r[3].port, 0); /* not a number */
	assert_int_equal(r[3].line, 7);
	free(r);
	vd_ovpn_config_free(c);

	c = parse_ok("remote h1\n");
	assert_int_equal(vd_ovpn_config_remotes(c, &r, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].port, 1194);
	assert_int_equal(r[0].proto, VD_PROTO_UDP);
	free(r);
	vd_ovpn_config_free(c);
}

static void test_proto(void **state)
{
	enum vd_ovpn_proto p = VD_PROTO_UNSPEC;

	assert_int_equal(vd_ovpn_proto_parse("udp6", &p), 0);
	assert_int_equal(p, VD_PROTO_UDP);
	assert_int_equal(vd_ovpn_proto_parse("tcp4-client", &p), 0);
	assert_int_equal(p, VD_PROTO_TCP);
	assert_int_equal(vd_ovpn_proto_parse("TCP", &p), -EINVAL);
	assert_int_equal(vd_ovpn_proto_parse("", &p), -EINVAL);
	assert_int_equal(vd_ovpn_proto_parse("proto-uninitialized", &p), -EINVAL);
	assert_string_equal(vd_ovpn_proto_name(VD_PROTO_TCP), "tcp");
	assert_string_equal(vd_ovpn_proto_name(VD_PROTO_UDP), "udp");
	assert_string_equal(vd_ovpn_proto_name(VD_PROTO_UNSPEC), "");
}

static const char sample[] =
	"# sample\r\n"
	"client\r\n"
	"dev tun\r\n"
	"remote \"vpn.example.com\" 1194 udp\r\n"
	"remote 'b c' 443 tcp ; backup\r\n"
	"cd C:\\\\Users\\ me\r\n"
	"<ca>\r\n-----BEGIN CERTIFICATE-----\r\nMIIB\r\n-----END CERTIFICATE-----\r\n</ca>\r\n"
	"<connection>\r\nremote x 1\r\n<tls-auth>\r\nKEY\r\n</tls-auth>\r\n</connection>\r\n"
	"key-direction 1\r\n"
	"verb 3";

static void assert_same(const struct vd_ovpn_config *a, const struct vd_ovpn_config *b)
{
	assert_int_equal(a->n_opts, b->n_opts);
	assert_int_equal(a->n_connections, b->n_connections);
	for (size_t i = 0; i < a->n_opts; i++) {
		const struct vd_ovpn_option *x = &a->opts[i], *y = &b->opts[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->argc, y->argc);
		for (size_t j = 0; j < x->argc; j++)
			assert_string_equal(x->argv[j], y->argv[j]);
		assert_int_equal(x->line, y->line);
		assert_int_equal(x->connection, y->connection);
		assert_int_equal(!x->inline_body, !y->inline_body);
		if (x->inline_body)
			assert_string_equal(x->inline_body, y->inline_body);
	}
}

static struct vd_ovpn_config *parse_chunks(const char *data, size_t len, unsigned seed, bool bytewise)
{
	struct vd_ovpn_parser *p = NULL;
	struct vd_ovpn_config *c = NULL;
	struct vd_error err;
	size_t off = 0;

	assert_int_equal(vd_ovpn_parser_new("t.ovpn", &p), 0);
	srand(seed);
	while (off < len) {
		size_t n = bytewise ? 1 : (size_t)(rand() % 7);

		if (n > len - off)
			n = len - off;
		assert_int_equal(vd_ovpn_parser_feed(p, data + off, n), 0);
		off += n;
	}
	assert_int_equal(vd_ovpn_parser_finish(p, &c, &err), 0);
	return c;
}

static void test_chunked(void **state)
{
	struct vd_ovpn_config *whole = parse_ok(sample), *c;

	assert_int_equal(whole->n_opts, 11);
	assert_string_equal(whole->opts[3].argv[0], "b c");
	assert_string_equal(whole->opts[4].argv[0], "C:\\Users me");
	assert_string_equal(whole->opts[5].inline_body,
	                    "-----BEGIN CERTIFICATE-----\r\nMIIB\r\n-----END CERTIFICATE-----\r\n");
	assert_string_equal(whole->opts[8].inline_body, "KEY\r\n");
	assert_int_equal(whole->opts[8].connection, 1);
	assert_int_equal(whole->opts[10].line, 19);
	c = parse_chunks(sample, strlen(sample), 0, true);
	assert_same(whole, c);
	vd_ovpn_config_free(c);
	for (unsigned seed = 1; seed < 50; seed++) {
		c = parse_chunks(sample, strlen(sample), seed, false);
		assert_same(whole, c);
		vd_ovpn_config_free(c);
	}
	vd_ovpn_config_free(whole);
}

static void test_limits(void **state)
{
	struct vd_error err = { 0 };
	size_t big = 10 * 1024 * 1024;
	char *buf = malloc(big);
	struct vd_ovpn_parser *p = NULL;
	struct vd_ovpn_config *c = NULL;

	assert_non_null(buf);
	/* 10 MiB of valid (comment) lines */
	for (size_t i = 0; i < big; i += 8)
		memcpy(buf + i, "# ---- \n", 8);
	assert_int_equal(parse_err(buf, big, &err), -E2BIG);
	assert_non_null(strstr(err.msg, "larger"));
	/* ...also when fed in pieces; later feeds are refused */
	assert_int_equal(vd_ovpn_parser_new("t.ovpn", &p), 0);
	for (size_t off = 0; off < big; off += 1024 * 1024) {
		int r = vd_ovpn_parser_feed(p, buf + off, 1024 * 1024);

		if (off + 1024 * 1024 <= VD_OVPN_MAX_INPUT)
			assert_int_equal(r, 0);
		else
			assert_int_equal(r, -E2BIG);
	}
	assert_non_null(vd_ovpn_parser_error(p));
	assert_int_equal(vd_ovpn_parser_finish(p, &c, &err), -E2BIG);
	assert_null(c);

	/* a 100 KiB line */
	memset(buf, 'a', 100 * 1024);
	memcpy(buf, "client\nremote ", 14);
	buf[100 * 1024] = '\n';
	assert_int_equal(parse_err(buf, 100 * 1024 + 1, &err), -E2BIG);
	assert_int_equal(err.line, 2);
	/* OpenVPN's own 256-byte option line */
	memset(buf, 'a', 300);
	memcpy(buf, "remote ", 7);
	buf[300] = '\n';
	assert_int_equal(parse_err(buf, 301, &err), -EINVAL);
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.msg, "255"));
	/* 254 + newline is the longest line OpenVPN takes */
	buf[254] = '\n';
	c = parse_ok((buf[255] = '\0', buf));
	assert_int_equal(strlen(c->opts[0].argv[0]), 247);
	vd_ovpn_config_free(c);
	buf[254] = 'a';
	buf[255] = '\n';
	assert_int_equal(parse_err(buf, 256, &err), -EINVAL);
	free(buf);
}

static void test_binary_empty(void **state)
{
	struct vd_error err = { 0 };
	struct vd_ovpn_config *c;
	static const char bin[] = "client\ndev tun\n\x7f" "ELF\0\x01\x02";

	assert_int_equal(parse_err(bin, sizeof(bin) - 1, &err), -EINVAL);
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.msg, "binary data"));

	assert_int_equal(vd_ovpn_config_parse(NULL, "", 0, &c, &err), 0);
	assert_int_equal(c->n_opts, 0);
	assert_string_equal(c->filename, "<input>");
	vd_ovpn_config_free(c);
	c = parse_ok("\n\r\n  \n# only comments\n");
	assert_int_equal(c->n_opts, 0);
	vd_ovpn_config_free(c);
}

struct problems {
	unsigned n;
	unsigned lines[32];
	bool unknown[32];
	char text[4096];
};

/* Each problem's English, and its message rendered in English is the same. */
static void collect(void *userdata, const struct vd_ovpn_problem *pr)
{
	struct problems *p = userdata;
	size_t len = strlen(p->text);
	char *r;

	assert_non_null(pr->text);
	assert_non_null(pr->msg);
	r = vd_msg_render(pr->msg, NULL);
	assert_non_null(r);
	assert_string_equal(r, pr->text);
	free(r);
	if (p->n < 32) {
		p->lines[p->n] = pr->line;
		p->unknown[p->n] = pr->unknown;
	}
	p->n++;
	snprintf(p->text + len, sizeof(p->text) - len, "%s\n", pr->text);
}

static unsigned validate(const char *text, struct problems *pr)
{
	struct vd_ovpn_config *c = parse_ok(text);
	unsigned n;

	memset(pr, 0, sizeof(*pr));
	n = vd_ovpn_config_validate(c, collect, pr);
	assert_int_equal(n, pr->n);
	vd_ovpn_config_free(c);
	return n;
}

static void test_validate(void **state)
{
	struct problems pr;

	assert_int_equal(validate("client\ndev tun\nproto udp\nremote 1.2.3.4 1194\nnobind\npersist-key\n"
	                          "persist-tun\nresolv-retry infinite\nverb 3\nmute 20\ncomp-lzo\ncompress lz4-v2\n"
	                          "remote-cert-tls server\nkey-direction 1\nverify-x509-name 'C=x, CN=s' subject\n"
	                          "route 10.0.0.0 255.0.0.0\ndhcp-option DNS 1.1.1.1\nauth-user-pass\nlog-append /x\n"
	                          "management 127.0.0.1 7505\ncd /etc\ndata-ciphers AES-256-GCM:AES-128-GCM\n"
	                          "auth SHA256\ncipher AES-256-CBC\nredirect-gateway def1 bypass-dhcp\nkeepalive 10 60\n"
	                          "explicit-exit-notify\nscript-security 2\nup /bin/true\nsetenv FOO bar\n"
	                          "<tls-crypt>\nK\n</tls-crypt>\n<connection>\nremote x\nproto tcp\n</connection>\n",
	                          &pr),
	                 0);

	assert_int_equal(validate("client\nfrobnicate 1\nverb\nremote\nremote a b c d\nnobind 1\n", &pr), 5);
	assert_int_equal(pr.lines[0], 2);
	assert_int_equal(pr.lines[1], 3);
	assert_int_equal(pr.lines[4], 6);
	assert_non_null(strstr(pr.text, "frobnicate"));
	assert_non_null(strstr(pr.text, "'verb' takes 1 argument, not 0"));

	/* ignore-unknown-option only helps after it; setenv opt always */
	assert_int_equal(validate("frob\nignore-unknown-option frob --block-outside-dns\nfrob 1 2\n"
	                          "block-outside-dns\nsetenv opt zap 1\nsetenv opt verb\nsetenv opt\n",
	                          &pr),
	                 1);
	assert_int_equal(pr.lines[0], 1);

	/* Windows-only, removed, server-only, bad proto */
	assert_int_equal(validate("block-outside-dns\nncp-disable\nclient-to-client\nproto quic\n"
	                          "remote a 1 sctp\n", &pr), 5);
	assert_non_null(strstr(pr.text, "Windows"));
	assert_non_null(strstr(pr.text, "removed in OpenVPN 2.6"));
	assert_non_null(strstr(pr.text, "server"));
	assert_non_null(strstr(pr.text, "'quic'"));
	assert_int_equal(validate("mode server\nclient-to-client\n", &pr), 0);

	/* inline and <connection> rules */
	assert_int_equal(validate("<dev>\ntun\n</dev>\n<connection>\nverb 3\nremote a\n</connection>\n"
	                          "<connection>\nport 1\n</connection>\n"
	                          "ignore-unknown-option zz\n<connection>\nremote b\nzz\n</connection>\n",
	                          &pr),
	                 4);
	assert_int_equal(pr.lines[0], 1);
	assert_int_equal(pr.lines[1], 5);
	assert_int_equal(pr.lines[2], 8);
	assert_int_equal(pr.lines[3], 14);
	assert_non_null(strstr(pr.text, "no 'remote'"));

	/* FORWARD_COMPATIBLE */
	assert_int_equal(validate("setenv FORWARD_COMPATIBLE 1\nfrob\n", &pr), 0);
	/* a NULL callback still counts */
	{
		struct vd_ovpn_config *c = parse_ok("frob\n");

		assert_int_equal(vd_ovpn_config_validate(c, NULL, NULL), 1);
		vd_ovpn_config_free(c);
	}
}

/* For a file read on another user's behalf, nothing but known directives' names. */
static void test_validate_no_quote(void **state)
{
	struct vd_ovpn_config *c = parse_ok("client\nROOTONLY_SECRET=hunter2\nproto SECRET2\n"
	                                    "remote vpn.example.com 1194 SECRET3\n");
	struct problems pr;

	(void)state;
	memset(&pr, 0, sizeof(pr));
	assert_int_equal(vd_ovpn_config_check(c, VD_OVPN_NO_QUOTE, collect, &pr), 3);
	assert_null(strstr(pr.text, "SECRET"));
	assert_null(strstr(pr.text, "hunter2"));
	assert_non_null(strstr(pr.text, "an unknown directive"));
	assert_non_null(strstr(pr.text, "option 'proto' names a protocol"));
	assert_non_null(strstr(pr.text, "option 'remote' names a protocol"));
	assert_int_equal(pr.lines[0], 2);
	/* lint's own files keep the words */
	memset(&pr, 0, sizeof(pr));
	assert_int_equal(vd_ovpn_config_validate(c, collect, &pr), 3);
	assert_non_null(strstr(pr.text, "ROOTONLY_SECRET=hunter2"));
	vd_ovpn_config_free(c);
}

/* The English of every error and problem, byte for byte what it was when it
 * was printf-built: lint's output in the C locale and the daemon's summaries
 * keep it. */
static void test_english_texts(void **state)
{
	static const struct {
		const char *in, *msg;
	} errs[] = {
		{ "remote a\\b\n", "bad backslash ('\\') usage: OpenVPN treats a backslash as an escape only before "
		                   "\\, \" or a space; write \\\\ for a literal one" },
		{ "remote \"abc\n", "no closing quotation (\")" },
		{ "remote 'abc\n", "no closing single quotation (')" },
		{ "remote abc\\", "backslash at the end of the line" },
		{ "<zzz>\nx\n", "an inline block of an unknown directive is not closed" },
		{ "client\n<ca>\nAAAA\n</cert>\nverb 3\n",
		  "inline block <ca> is not closed: </cert> at line 4 does not match, endtag </ca> missing" },
		{ "client\n<ca>\nAAAA\n</zzz>\n",
		  "inline block <ca> is not closed: the closing tag at line 4 does not match, endtag </ca> missing" },
		{ "client\n<ca>\nAAAA\n", "inline block <ca> is not closed: endtag </ca> missing" },
		{ "</zzz>\n", "a closing tag without its opening tag" },
		{ "client\n</ca>\n", "closing tag </ca> without an open <ca> block" },
		{ "<connection>\nremote a\n<connection>\n</connection>\n",
		  "<connection> inside the <connection> block of line 1: blocks cannot nest" },
		{ "<connection>\nremote a\n", "<connection> block is not closed: endtag </connection> missing" },
		{ "client\nx\0y\n", "binary data (a NUL byte): not a config file" },
	};
	static const struct {
		const char *in, *msg;
		bool unknown;
	} probs[] = {
		{ "<connection>\nport 1\n</connection>\n",
		  "<connection> block has no 'remote' (OpenVPN needs exactly one per block)", false },
		{ "frob 1\n", "unknown option 'frob' (OpenVPN: Unrecognized option)", true },
		{ "ncp-disable\n", "option 'ncp-disable' was removed in OpenVPN 2.6; newer versions refuse it", true },
		{ "key-method 2\n", "option 'key-method' was removed in OpenVPN 2.5; newer versions refuse it", true },
		{ "block-outside-dns\n",
		  "option 'block-outside-dns' exists only in OpenVPN for Windows; OpenVPN on Linux refuses it", true },
		{ "verb\n", "option 'verb' takes 1 argument, not 0", false },
		{ "nobind 1\n", "option 'nobind' takes 0 arguments, not 1", false },
		{ "keepalive 1\n", "option 'keepalive' takes 2 arguments, not 1", false },
		{ "remote a 1 udp x\n", "option 'remote' takes 1 to 3 arguments, not 4", false },
		{ "<connection>\nremote a\nverb 3\n</connection>\n",
		  "option 'verb' cannot be used in a <connection> block", false },
		{ "<dev>\ntun\n</dev>\n", "option 'dev' cannot be an inline <dev> block", false },
		{ "client-to-client\n", "option 'client-to-client' is server-only: it requires --mode server", false },
		{ "proto quic\n", "bad protocol 'quic'", false },
	};
	struct vd_error err;
	struct problems pr;
	char *buf;

	(void)state;
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		size_t len = strlen(errs[i].in);

		if (strcmp(errs[i].in, "client\nx") == 0)
			len = 11; /* the NUL byte and what follows */
		memset(&err, 0, sizeof(err));
		parse_err(errs[i].in, len, &err);
		assert_string_equal(err.msg, errs[i].msg);
	}
	/* limits */
	buf = malloc(VD_OVPN_MAX_INPUT + 2);
	assert_non_null(buf);
	memset(buf, 'a', 300);
	buf[299] = '\n';
	parse_err(buf, 300, &err);
	assert_string_equal(err.msg, "line is 300 characters long; OpenVPN reads at most 255 per option line "
	                             "(Maximum option line length exceeded)");
	memcpy(buf, "<connection>\n", 13);
	memcpy(buf + 313, "\n</connection>\n", 15);
	memset(buf + 13, 'a', 300);
	parse_err(buf, 328, &err);
	assert_string_equal(err.msg, "line is 300 characters long; OpenVPN reads at most 255 per line in a "
	                             "<connection> block");
	memset(buf, 'a', VD_OVPN_MAX_LINE + 2);
	parse_err(buf, VD_OVPN_MAX_LINE + 2, &err);
	assert_string_equal(err.msg, "line is longer than 16384 bytes");
	memset(buf, '\n', VD_OVPN_MAX_INPUT + 1);
	parse_err(buf, VD_OVPN_MAX_INPUT + 1, &err);
	assert_string_equal(err.msg, "config is larger than 4194304 bytes");
	free(buf);

	for (size_t i = 0; i < sizeof(probs) / sizeof(probs[0]); i++) {
		assert_int_equal(validate(probs[i].in, &pr), 1);
		assert_int_equal(pr.unknown[0], probs[i].unknown);
		pr.text[strlen(pr.text) - 1] = '\0';
		assert_string_equal(pr.text, probs[i].msg);
	}
	/* for another user's file */
	{
		struct vd_ovpn_config *c = parse_ok("frob\nproto quic\n");

		memset(&pr, 0, sizeof(pr));
		assert_int_equal(vd_ovpn_config_check(c, VD_OVPN_NO_QUOTE, collect, &pr), 2);
		assert_string_equal(pr.text, "an unknown directive (OpenVPN: Unrecognized option)\n"
		                             "option 'proto' names a protocol OpenVPN does not know\n");
		assert_true(pr.unknown[0]);
		assert_false(pr.unknown[1]);
		vd_ovpn_config_free(c);
	}
}

static void test_alibaba_profile(void **state)
{
	const char *dir = getenv("VD_TESTDATA");
	char path[1024], buf[8192];
	struct vd_ovpn_config *c;
	struct vd_ovpn_remote *r;
	struct problems pr = { 0 };
	size_t n, len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/profiles/alibaba-style.ovpn", dir ? dir : "tests/data");
	f = fopen(path, "re");
	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	c = parse_ok((buf[len] = '\0', buf));
	assert_int_equal(vd_ovpn_config_validate(c, collect, &pr), 0);
	assert_non_null(vd_ovpn_config_get(c, "client"));
	assert_string_equal(vd_ovpn_config_get(c, "cipher")->argv[0], "AES-128-CBC");
	assert_int_equal(vd_ovpn_config_get(c, "comp-lzo")->argc, 0);
	assert_string_equal(vd_ovpn_config_get(c, "ca")->argv[0], "ca.crt");
	assert_null(vd_ovpn_config_get(c, "ca")->inline_body);
	assert_string_equal(vd_ovpn_config_get(c, "key")->argv[0], "client.key");
	assert_string_equal(vd_ovpn_config_get(c, "resolv-retry")->argv[0], "infinite");
	assert_int_equal(vd_ovpn_config_remotes(c, &r, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].port, 1194);
	assert_int_equal(r[0].proto, VD_PROTO_UDP);
	free(r);
	vd_ovpn_config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_quoting_errors),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_crlf_dashes_bom),
		cmocka_unit_test(test_inline_tags),
		cmocka_unit_test(test_inline_misc),
		cmocka_unit_test(test_inline_errors),
		cmocka_unit_test(test_connection_blocks),
		cmocka_unit_test(test_remotes_defaults),
		cmocka_unit_test(test_proto),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_binary_empty),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_validate_no_quote),
		cmocka_unit_test(test_english_texts),
		cmocka_unit_test(test_alibaba_profile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
