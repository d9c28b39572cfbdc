/* The human renderer shared by the commands: severity labels aligned and
 * coloured only on a tty, long texts wrapped at 78 columns, JSON as is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "vpndoctor/i18n.h"
#include "vpndoctor/text.h"

#include "cli.h"

#define WIDTH 78
#define LABEL_WIDTH 7 /* strlen("warning") */

const char *out_sev_color(const struct cli_ctx *ctx, enum vd_severity s)
{
	if (!ctx || !ctx->color)
		return "";
	switch (s) {
	case VD_SEV_ERROR:
		return "\033[1;31m";
	case VD_SEV_WARNING:
		return "\033[1;33m";
	case VD_SEV_INFO:
		return "\033[36m";
	case VD_SEV_NONE:
		break;
	}
	return "";
}

const char *out_reset(const struct cli_ctx *ctx)
{
	return ctx && ctx->color ? "\033[0m" : "";
}

/* Words of text from column `col`, continuation lines indented by `indent`. */
static void wrap(FILE *f, const char *text, size_t indent, size_t col)
{
	const char *p = text;
	bool first = true;

	while (*p) {
		const char *w = p;
		size_t n;

		while (*w == ' ' || *w == '\n' || *w == '\t')
			w++;
		n = strcspn(w, " \n\t");
		if (n == 0)
			break;
		char word[512], *e = word;
		size_t need = vd_text_escape(word, sizeof(word), w, n);
		if (need >= sizeof(word) && (e = malloc(need + 1)))
			vd_text_escape(e, need + 1, w, n);
		else if (need >= sizeof(word))
			e = word; /* cut at a unit rather than nothing */
		if (!first && col + 1 + need > WIDTH) {
			fprintf(f, "\n%*s", (int)indent, "");
			col = indent;
		} else if (!first) {
			fputc(' ', f);
			col++;
		}
		fputs(e, f);
		col += need;
		if (e != word)
			free(e);
		first = false;
		p = w + n;
	}
	fputc('\n', f);
}

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/*   error    Title [cause]
 *            summary
 *            Fix: remedy ...                                   (with_remedy) */
void out_finding(const struct cli_ctx *ctx, FILE *f, const cJSON *finding, bool with_remedy)
{
	enum vd_severity sev = VD_SEV_NONE;
	const char *title = jstr(finding, "title"), *cause = jstr(finding, "cause");
	const char *remedy = jstr(finding, "remedy");
	/* the measured values in the reader's language (the daemon's English without) */
	char *summary = vd_i18n_render_member(finding, "summary_message", "summary");
	const char *by = jstr(finding, "suppressed_by");
	const size_t indent = 2 + LABEL_WIDTH + 2;
	char head[512];

	vd_severity_parse(jstr(finding, "severity"), &sev);
	fprintf(f, "  %s%-*s%s  ", out_sev_color(ctx, sev), LABEL_WIDTH, vd_severity_name(sev), out_reset(ctx));
	snprintf(head, sizeof(head), "%s [%s]%s%s%s", title ? title : "?", cause ? cause : "?",
	         by ? " (suppressed by " : "", by ? by : "", by ? ")" : "");
	wrap(f, head, indent, indent);
	if (summary && *summary) {
		fprintf(f, "%*s", (int)indent, "");
		wrap(f, summary, indent, indent);
	}
	if (with_remedy && remedy && *remedy) {
		fprintf(f, "%*sFix: ", (int)indent, "");
		wrap(f, remedy, indent + 5, indent + 5);
	}
	free(summary);
}

int out_exit_for(enum vd_severity worst)
{
	switch (worst) {
	case VD_SEV_ERROR:
		return CLI_EXIT_ERROR;
	case VD_SEV_WARNING:
		return CLI_EXIT_WARNING;
	case VD_SEV_INFO:
	case VD_SEV_NONE:
		break;
	}
	return CLI_EXIT_OK;
}

void out_text(FILE *f, const char *s)
{
	vd_text_fputs(f, s);
}

void out_field(FILE *f, const char *s, int width)
{
	char buf[256], *e = buf;
	size_t len = s ? strlen(s) : 0;

	/* too long for buf: a copy, or else buf cut at a unit rather than nothing */
	if (vd_text_escape(buf, sizeof(buf), s, len) >= sizeof(buf) && !(e = vd_text_escape_dup(s)))
		e = buf;
	fprintf(f, "%-*s", width, e);
	if (e != buf)
		free(e);
}

void out_lines(FILE *f, const char *text)
{
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, n);

		vd_text_fputs(f, line ? line : "");
		free(line);
		if (nl)
			fputc('\n', f);
		p += n + (nl ? 1 : 0);
	}
}

void out_json(FILE *f, const cJSON *v)
{
	char *s = v ? cJSON_PrintUnformatted(v) : NULL;

	/* One document per line, so `watch --json` output is JSON lines;
	 * what a terminal would act on goes out as JSON escapes. */
	vd_text_fputs_json(f, s ? s : "null");
	fputc('\n', f);
	free(s);
	fflush(f);
}
