/* `vpndoctor causes` and `vpndoctor explain CAUSE`: the cause catalogue,
 * read from the library's table, so they work without the daemon. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "vpndoctor/cause.h"
#include "vpndoctor/rules.h"
#include "vpndoctor/text.h"

#define WIDTH 78

static bool want_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	}
	return false;
}

int cmd_causes(struct cli_ctx *ctx, int argc, char **argv)
{
	size_t w = 0;

	if (want_help(argc, argv)) {
		printf("Usage: vpndoctor causes [--json]\n\n"
		       "List every cause vpndoctor diagnoses: id, severity and title.\n"
		       "'vpndoctor explain CAUSE' describes one.\n");
		return CLI_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			ctx->json = true;
			continue;
		}
		fprintf(stderr, "vpndoctor causes: unexpected argument '%s'\n"
		                "Usage: vpndoctor causes [--json]\n", argv[i]);
		return CLI_EXIT_USAGE;
	}
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject(), *a = doc ? cJSON_AddArrayToObject(doc, "causes") : NULL;
		if (!a) {
			cJSON_Delete(doc);
			fprintf(stderr, "vpndoctor: out of memory\n");
			return CLI_EXIT_UNKNOWN;
		}
		for (size_t i = 0; i < vd_n_causes; i++) {
			cJSON *c = vd_cause_to_json(&vd_causes[i]);
			if (!c) {
				cJSON_Delete(doc);
				fprintf(stderr, "vpndoctor: out of memory\n");
				return CLI_EXIT_UNKNOWN;
			}
			cJSON_AddItemToArray(a, c);
		}
		out_json(stdout, doc);
		cJSON_Delete(doc);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < vd_n_causes; i++)
		if (strlen(vd_causes[i].id) > w)
			w = strlen(vd_causes[i].id);
	printf("%-*s  %-8s %s\n", (int)w, "CAUSE", "SEVERITY", "TITLE");
	for (size_t i = 0; i < vd_n_causes; i++) {
		const struct vd_cause *c = &vd_causes[i];
		printf("%-*s  %s%-8s%s %s\n", (int)w, c->id, out_sev_color(ctx, c->severity),
		       vd_severity_name(c->severity), out_reset(ctx), c->title);
	}
	return CLI_EXIT_OK;
}

int cmd_explain(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *id = NULL;
	const struct vd_cause *c;
	const char *const *inputs;

	if (want_help(argc, argv)) {
		printf("Usage: vpndoctor explain CAUSE [--json]\n\n"
		       "Describe one cause: its symptoms (the FAQ's questions), what it means,\n"
		       "what to do, and which causes suppress it. 'vpndoctor causes' lists the ids.\n");
		return CLI_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			ctx->json = true;
		} else if (strcmp(argv[i], "--") == 0 && !id && i + 1 < argc) {
			id = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "vpndoctor explain: unknown option '%s'\n"
			                "Usage: vpndoctor explain CAUSE [--json]\n", argv[i]);
			return CLI_EXIT_USAGE;
		} else if (!id) {
			id = argv[i];
		} else {
			fprintf(stderr, "vpndoctor explain: one CAUSE at a time ('%s' is extra)\n", argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	if (!id) {
		fprintf(stderr, "Usage: vpndoctor explain CAUSE [--json]\n"
		                "'vpndoctor causes' lists the causes.\n");
		return CLI_EXIT_USAGE;
	}
	c = vd_cause_find(id);
	if (!c) {
		fprintf(stderr, "vpndoctor: unknown cause '%s' (see 'vpndoctor causes')\n", id);
		return CLI_EXIT_USAGE;
	}
	if (ctx->json) {
		cJSON *j = vd_cause_to_json(c);
		if (!j) {
			fprintf(stderr, "vpndoctor: out of memory\n");
			return CLI_EXIT_UNKNOWN;
		}
		out_json(stdout, j);
		cJSON_Delete(j);
		return CLI_EXIT_OK;
	}
	printf("%s: %s\n\n", c->id, c->title);
	printf("Severity:      %s%s%s\n", out_sev_color(ctx, c->severity), vd_severity_name(c->severity),
	       out_reset(ctx));
	printf("Symptoms:     ");
	if (!c->symptoms[0])
		printf(" any\n");
	for (size_t i = 0; c->symptoms[i]; i++) {
		const struct vd_symptom *s = vd_symptom_find(c->symptoms[i]);
		printf("%s %s (\"%s\")\n", i ? "              " : "", c->symptoms[i], s ? s->question : "");
	}
	printf("\nDescription:\n");
	vd_text_wrap(stdout, c->description, "  ", WIDTH);
	printf("\nRemedy:\n");
	vd_text_wrap(stdout, c->remedy, "  ", WIDTH);
	printf("\nSuppressed by:");
	if (!c->suppressed_by[0])
		printf(" nothing");
	for (size_t i = 0; c->suppressed_by[i]; i++)
		printf("%s %s", i ? "," : "", c->suppressed_by[i]);
	printf("\n");
	inputs = vd_rule_inputs(c->id);
	if (inputs && inputs[0]) {
		printf("Facts read:   ");
		for (size_t i = 0; inputs[i]; i++)
			printf("%s %s", i ? "," : "", inputs[i]);
		printf("\n");
	}
	printf("Grace period:  %u s\n", c->grace_s);
	if (c->hold_s)
		printf("Hold time:     %u s after the last check that showed it\n", c->hold_s);
	printf("Message ID:    %s\n", c->message_id);
	if (c->beyond_faq)
		printf("Source:        beyond the FAQ\n");
	return CLI_EXIT_OK;
}
