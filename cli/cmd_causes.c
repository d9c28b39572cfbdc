/* `vpndoctor causes` and `vpndoctor explain CAUSE`: the cause catalogue,
 * read from the library's table, so they work without the daemon; its texts in
 * the reader's language (po/), --json always as the table has them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "vpndoctor/cause.h"
#include "vpndoctor/i18n.h"
#include "vpndoctor/rules.h"
#include "vpndoctor/text.h"

#define WIDTH 78
#define LABEL_WIDTH 15 /* explain's "Severity:      " */

/* An explain label padded to LABEL_WIDTH columns, one space at least. */
static void label(const char *l)
{
	vd_text_pad(stdout, l, LABEL_WIDTH - 1);
	putchar(' ');
}

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
	const char *h_cause = _("CAUSE"), *h_sev = _("SEVERITY");
	size_t w = vd_text_width(h_cause), sw = vd_text_width(h_sev);

	if (want_help(argc, argv)) {
		fputs(_("Usage: vpndoctor causes [--json]\n\n"
		        "List every cause vpndoctor diagnoses: id, severity and title.\n"
		        "'vpndoctor explain CAUSE' describes one.\n"),
		      stdout);
		return CLI_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			ctx->json = true;
			continue;
		}
		fprintf(stderr,
		        _("vpndoctor causes: unexpected argument '%s'\n"
		          "Usage: vpndoctor causes [--json]\n"),
		        argv[i]);
		return CLI_EXIT_USAGE;
	}
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject(), *a = doc ? cJSON_AddArrayToObject(doc, "causes") : NULL;
		if (!a) {
			cJSON_Delete(doc);
			fputs(_("vpndoctor: out of memory\n"), stderr);
			return CLI_EXIT_UNKNOWN;
		}
		for (size_t i = 0; i < vd_n_causes; i++) {
			cJSON *c = vd_cause_to_json(&vd_causes[i]);
			if (!c) {
				cJSON_Delete(doc);
				fputs(_("vpndoctor: out of memory\n"), stderr);
				return CLI_EXIT_UNKNOWN;
			}
			cJSON_AddItemToArray(a, c);
		}
		out_json(stdout, doc);
		cJSON_Delete(doc);
		return CLI_EXIT_OK;
	}
	/* Columns as wide as their widest cell, in terminal columns. */
	for (size_t i = 0; i < vd_n_causes; i++) {
		if (vd_text_width(vd_causes[i].id) > w)
			w = vd_text_width(vd_causes[i].id);
		if (vd_text_width(vd_severity_label(vd_causes[i].severity)) > sw)
			sw = vd_text_width(vd_severity_label(vd_causes[i].severity));
	}
	vd_text_pad(stdout, h_cause, w);
	fputs("  ", stdout);
	vd_text_pad(stdout, h_sev, sw);
	printf(" %s\n", _("TITLE"));
	for (size_t i = 0; i < vd_n_causes; i++) {
		const struct vd_cause *c = &vd_causes[i];

		vd_text_pad(stdout, c->id, w);
		printf("  %s", out_sev_color(ctx, c->severity));
		vd_text_pad(stdout, vd_severity_label(c->severity), sw);
		printf("%s %s\n", out_reset(ctx), _(c->title));
	}
	return CLI_EXIT_OK;
}

/* A probability as a percentage, without trailing zeros: "0.5%", "10%". */
static void pct(char *buf, size_t len, double p)
{
	snprintf(buf, len, "%.3g%%", p * 100);
}

/* The sequential tests a sampled cause opens on, from the rules' table. */
static void explain_tests(const char *cause)
{
	const struct vd_sprt_spec *const *t = vd_rule_tests(cause), *c;
	double total = 0;

	printf("\n%s\n", _("Decided by sequential tests (Wald's SPRT run as a CUSUM), one step per sample:"));
	for (size_t i = 0; t[i]; i++) {
		const struct vd_sampling *sm = vd_sampling_find(t[i]->section);
		struct vd_sprt_limits l;
		char p0[16], p1[16], line[512];
		double fa = vd_test_false_alarms(t[i], 30);

		if (vd_sprt_limits(t[i], &l) < 0)
			continue;
		total += fa;
		pct(p0, sizeof(p0), t[i]->p0);
		pct(p1, sizeof(p1), t[i]->p1);
		printf("  %s.%s\n", t[i]->section, t[i]->key);
		if (t[i]->event != VD_SPRT_EV_LOST)
			/* TRANSLATORS: the event of a test, and its bound: "a round trip
			 * ... exceeds the bound (150 ms)" */
			snprintf(line, sizeof(line), _("event: %s (%.0f ms)"), _(t[i]->meaning), t[i]->bound_ms);
		else
			snprintf(line, sizeof(line), _("event: %s"), _(t[i]->meaning));
		vd_text_wrap(stdout, line, "    ", WIDTH);
		/* TRANSLATORS: H0 and H1 are the test's hypotheses, p the event's
		 * probability per sample; alpha and beta its error rates per sample */
		snprintf(line, sizeof(line), _("H0: p = %s (healthy), H1: p = %s (the fault); alpha %.0e, beta %.0e"), p0, p1,
		         t[i]->alpha, t[i]->beta);
		vd_text_wrap(stdout, line, "    ", WIDTH);
		snprintf(line, sizeof(line),
		         _("opens at %.1f, resolves at %.1f (log-likelihood ratio); about %.0f samples to open at H1, "
		           "%.0f to resolve at H0"),
		         l.upper, l.lower, vd_sprt_arl_open(&l, t[i]->p1), vd_sprt_arl_resolve(&l, t[i]->p0));
		vd_text_wrap(stdout, line, "    ", WIDTH);
		if (t[i]->after) {
			snprintf(line, sizeof(line), _("follows %s: fed while that does not stand at H1, afresh when it resolves"),
			         t[i]->after);
			vd_text_wrap(stdout, line, "    ", WIDTH);
		}
		if (sm && fa >= 0) {
			snprintf(line, sizeof(line),
			         _("false alarms: at most %.2g in 30 days (at most %.2g samples/s while healthy)"), fa,
			         vd_sampling_max_rate(sm, sm->slow_s));
			vd_text_wrap(stdout, line, "    ", WIDTH);
		}
	}
	if ((c = vd_rule_clean_test(cause))) {
		char p1[16], p0[16], line[512];

		pct(p0, sizeof(p0), c->p0);
		pct(p1, sizeof(p1), c->p1);
		printf("%s\n", _("Needs the path outside shown clean, a verdict of its own:"));
		printf("  %s.%s\n", c->section, c->key);
		/* TRANSLATORS: Wald's lower boundary ln(beta) on the sum of the
		 * test's log-likelihood ratio since it last started afresh or
		 * stood at H1; p1 the fault's rate, beta the chance of a clean
		 * verdict at that rate per fresh start */
		snprintf(line, sizeof(line),
		         _("its log-likelihood ratio summed since it last started afresh or stood at H1 at or "
		           "below %.1f (ln %.0e): wrongly clean at p >= %s at most once in %.0f fresh starts; "
		           "about %.0f samples of a clean path, %.0f at p = %s"),
		         vd_loss_clean_evidence(), vd_loss_clean_beta(), p1, 1 / vd_loss_clean_beta(),
		         vd_loss_clean_samples_at(0), vd_loss_clean_samples_at(c->p0), p0);
		vd_text_wrap(stdout, line, "    ", WIDTH);
	}
	label(_("False alarms:"));
	/* TRANSLATORS: the sum over the cause's tests, at the default sampling */
	printf(_("at most %.2g in 30 days on a healthy tunnel (default sampling)"), total);
	putchar('\n');
}

int cmd_explain(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *id = NULL;
	const struct vd_cause *c;
	const char *const *inputs;

	if (want_help(argc, argv)) {
		fputs(_("Usage: vpndoctor explain CAUSE [--json]\n\n"
		        "Describe one cause: its symptoms (the FAQ's questions), what it means,\n"
		        "what to do, and which causes suppress it. 'vpndoctor causes' lists the ids.\n"),
		      stdout);
		return CLI_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			ctx->json = true;
		} else if (strcmp(argv[i], "--") == 0 && !id && i + 1 < argc) {
			id = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr,
			        _("vpndoctor explain: unknown option '%s'\n"
			          "Usage: vpndoctor explain CAUSE [--json]\n"),
			        argv[i]);
			return CLI_EXIT_USAGE;
		} else if (!id) {
			id = argv[i];
		} else {
			fprintf(stderr, _("vpndoctor explain: one CAUSE at a time ('%s' is extra)\n"), argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	if (!id) {
		fputs(_("Usage: vpndoctor explain CAUSE [--json]\n"
		        "'vpndoctor causes' lists the causes.\n"),
		      stderr);
		return CLI_EXIT_USAGE;
	}
	c = vd_cause_find(id);
	if (!c) {
		fprintf(stderr, _("vpndoctor: unknown cause '%s' (see 'vpndoctor causes')\n"), id);
		return CLI_EXIT_USAGE;
	}
	if (ctx->json) {
		cJSON *j = vd_cause_to_json(c);
		if (j && vd_rule_tests_add_json(c->id, j) < 0) {
			cJSON_Delete(j);
			j = NULL;
		}
		if (!j) {
			fputs(_("vpndoctor: out of memory\n"), stderr);
			return CLI_EXIT_UNKNOWN;
		}
		out_json(stdout, j);
		cJSON_Delete(j);
		return CLI_EXIT_OK;
	}
	printf("%s: %s\n\n", c->id, _(c->title));
	label(_("Severity:"));
	printf("%s%s%s\n", out_sev_color(ctx, c->severity), vd_severity_label(c->severity), out_reset(ctx));
	label(_("Symptoms:"));
	if (!c->symptoms[0])
		printf("%s\n", _("any"));
	for (size_t i = 0; c->symptoms[i]; i++) {
		const struct vd_symptom *s = vd_symptom_find(c->symptoms[i]);

		if (i)
			printf("%*s", LABEL_WIDTH, "");
		/* TRANSLATORS: a symptom's id and the FAQ's question for it */
		printf(_("%s (\"%s\")"), c->symptoms[i], s ? _(s->question) : "");
		putchar('\n');
	}
	printf("\n%s\n", _("Description:"));
	vd_text_wrap(stdout, _(c->description), "  ", WIDTH);
	printf("\n%s\n", _("Remedy:"));
	vd_text_wrap(stdout, _(c->remedy), "  ", WIDTH);
	putchar('\n');
	label(_("Suppressed by:"));
	if (!c->suppressed_by[0])
		fputs(_("nothing"), stdout);
	for (size_t i = 0; c->suppressed_by[i]; i++)
		printf("%s%s", i ? ", " : "", c->suppressed_by[i]);
	putchar('\n');
	inputs = vd_rule_inputs(c->id);
	if (inputs && inputs[0]) {
		label(_("Facts read:"));
		for (size_t i = 0; inputs[i]; i++)
			printf("%s%s", i ? ", " : "", inputs[i]);
		putchar('\n');
	}
	if (vd_rule_tests(c->id))
		explain_tests(c->id);
	else {
		label(_("Grace period:"));
		printf(_("%u s"), c->grace_s);
		putchar('\n');
	}
	if (c->settles) {
		/* TRANSLATORS: a label: after what the daemon waits for a tunnel
		 * that reconnects by itself before this cause may open */
		label(_("Settles after:"));
		printf("%s\n", c->settles == VD_SETTLE_ANY         ? _("a resume or a change of network")
		                : (c->settles & VD_SETTLE_RESUME) ? _("a resume")
		                                                  : _("a change of network"));
	}
	label(_("Message ID:"));
	printf("%s\n", c->message_id);
	if (c->beyond_faq) {
		label(_("Source:"));
		printf("%s\n", _("beyond the FAQ"));
	}
	return CLI_EXIT_OK;
}
