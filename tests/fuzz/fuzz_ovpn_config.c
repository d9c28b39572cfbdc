/* libFuzzer target for the OpenVPN config parser: a config fed whole and fed
 * in two pieces must parse the same; validate and remotes run on the result. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "vpndoctor/message.h"
#include "vpndoctor/ovpn_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A problem's message says in English what its text says. */
static void problem(void *userdata, const struct vd_ovpn_problem *pr)
{
	char *r;

	if (pr->msg) {
		r = vd_msg_render(pr->msg, NULL);
		if (!r || !pr->text || strcmp(r, pr->text) != 0)
			abort();
		free(r);
	}
	(*(unsigned *)userdata)++;
}

static void same_or_abort(const struct vd_ovpn_config *a, const struct vd_ovpn_config *b)
{
	if (a->n_opts != b->n_opts || a->n_connections != b->n_connections)
		abort();
	for (size_t i = 0; i < a->n_opts; i++) {
		const struct vd_ovpn_option *x = &a->opts[i], *y = &b->opts[i];

		if (strcmp(x->name, y->name) || x->argc != y->argc || x->line != y->line ||
		    x->connection != y->connection || !x->inline_body != !y->inline_body ||
		    (x->inline_body && strcmp(x->inline_body, y->inline_body)))
			abort();
		for (size_t j = 0; j < x->argc; j++)
			if (strcmp(x->argv[j], y->argv[j]))
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct vd_ovpn_config *whole = NULL, *split = NULL;
	struct vd_ovpn_parser *p = NULL;
	struct vd_error e1 = { 0 }, e2 = { 0 };
	struct vd_ovpn_remote *r = NULL;
	size_t cut, n = 0;
	unsigned count = 0;
	cJSON *msg = NULL;
	int r1, r2;

	r1 = vd_ovpn_config_parse_msg("fuzz.ovpn", text, size, &whole, &e1, &msg);
	/* the error's message is its English text (which is cut at 255 bytes) */
	if (r1 < 0 && r1 != -ENOMEM) {
		char *en = vd_msg_render(msg, NULL);

		if (!en || strncmp(en, e1.msg, sizeof(e1.msg) - 1) != 0)
			abort();
		free(en);
	}
	cJSON_Delete(msg);

	cut = size ? data[0] % (size + 1) : 0;
	if (vd_ovpn_parser_new("fuzz.ovpn", &p) < 0)
		abort();
	if (vd_ovpn_parser_feed(p, text, cut) == 0)
		(void)vd_ovpn_parser_feed(p, text + cut, size - cut);
	r2 = vd_ovpn_parser_finish(p, &split, &e2);

	if (r1 != r2 || (r1 < 0 && (e1.line != e2.line || strcmp(e1.msg, e2.msg))))
		abort();
	if (r1 < 0) {
		if (whole || split)
			abort();
		return 0;
	}
	same_or_abort(whole, split);

	if (vd_ovpn_config_validate(whole, problem, &count) != count)
		abort();
	if (vd_ovpn_config_remotes(whole, &r, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			if (!r[i].host || r[i].port > 65535)
				abort();
		free(r);
	}
	for (const struct vd_ovpn_option *o = vd_ovpn_config_next(whole, "remote", NULL); o;
	     o = vd_ovpn_config_next(whole, "remote", o))
		(void)vd_ovpn_config_get(whole, o->name);
	vd_ovpn_config_free(whole);
	vd_ovpn_config_free(split);
	return 0;
}
