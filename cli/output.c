/* The human renderer shared by the commands: severity labels aligned (in
 * terminal columns, whatever the language) and coloured only on a tty, long
 * texts wrapped at 78 columns, JSON as is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "vpndoctor/cause.h"
#include "vpndoctor/i18n.h"
#include "vpndoctor/text.h"

#include "cli.h"

#define WIDTH 78

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

/* text wrapped at WIDTH after a lead already printed (lead_cols columns),
 * continuation lines indented by indent columns (vd_text_wrap: Japanese
 * breaks between characters, words escaped). */
static void wrap(FILE *f, const char *text, size_t lead_cols, size_t indent)
{
	char *buf = NULL, pad[WIDTH + 1];
	size_t len = 0, n = indent < WIDTH ? indent : WIDTH;
	FILE *m;

	memset(pad, ' ', n);
	pad[n] = '\0';
	/* the first line's indent stands for the lead: print the lines after it */
	if (lead_cols != indent || !(m = open_memstream(&buf, &len))) {
		vd_text_wrap(f, text, "", WIDTH > lead_cols ? WIDTH - lead_cols : 1);
		return;
	}
	vd_text_wrap(m, text, pad, WIDTH);
	if (fclose(m) == 0 && buf && len >= n)
		fwrite(buf + n, 1, len - n, f);
	free(buf);
}

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The severity words' column: as wide as the widest in the reader's language
 * ("warning", 7, in English). */
size_t out_sev_width(void)
{
	size_t w = 0;

	for (enum vd_severity s = VD_SEV_INFO; s <= VD_SEV_ERROR; s++)
		if (vd_text_width(vd_severity_label(s)) > w)
			w = vd_text_width(vd_severity_label(s));
	return w;
}

void out_sev_label(const struct cli_ctx *ctx, FILE *f, enum vd_severity s, size_t width)
{
	fputs(out_sev_color(ctx, s), f);
	vd_text_pad(f, vd_severity_label(s), width);
	fputs(out_reset(ctx), f);
}

/*   error    Title [cause]
 *            summary
 *            Fix: remedy ...                                   (with_remedy) */
void out_finding(const struct cli_ctx *ctx, FILE *f, const cJSON *finding, bool with_remedy)
{
	enum vd_severity sev = VD_SEV_NONE;
	const char *title = jstr(finding, "title"), *cause = jstr(finding, "cause");
	const char *remedy = jstr(finding, "remedy");
	const char *by = jstr(finding, "suppressed_by");
	const struct vd_cause *c = cause ? vd_cause_find(cause) : NULL;
	/* the measured values in the reader's language (the daemon's English without) */
	char *summary = vd_i18n_render_member(finding, "summary_message", "summary");
	const size_t label = out_sev_width(), indent = 2 + label + 2;
	char head[1024], suppressed[512] = "";

	/* the catalogue's words when this client knows the cause and has them
	 * translated, else as the daemon sent them */
	if (c && vd_translated(c->title))
		title = _(c->title);
	if (c && with_remedy && vd_translated(c->remedy))
		remedy = _(c->remedy);
	vd_severity_parse(jstr(finding, "severity"), &sev);
	fputs("  ", f);
	out_sev_label(ctx, f, sev, label);
	fputs("  ", f);
	if (by)
		/* TRANSLATORS: after a finding's title: the cause that explains it away */
		snprintf(suppressed, sizeof(suppressed), _(" (suppressed by %s)"), by);
	snprintf(head, sizeof(head), "%s [%s]%s", title ? title : "?", cause ? cause : "?", suppressed);
	wrap(f, head, indent, indent);
	if (summary && *summary) {
		fprintf(f, "%*s", (int)indent, "");
		wrap(f, summary, indent, indent);
	}
	if (with_remedy && remedy && *remedy) {
		/* TRANSLATORS: before a finding's remedy in status; keep it short */
		const char *fix = _("Fix: ");
		size_t w = vd_text_width(fix);
		fprintf(f, "%*s%s", (int)indent, "", fix);
		wrap(f, remedy, indent + w, indent + w);
	}
	free(summary);
}

/* A health, state, probe status or event word as people read it: ours
 * translated, one we do not know (a newer daemon's) as it came. */
const char *out_health_word(const char *w)
{
	static const char *const words[][2] = {
		{"healthy", NC_("health", "healthy")},
		{"degraded", NC_("health", "degraded")},
		{"broken", NC_("health", "broken")},
		{"unknown", NC_("health", "unknown")},
		{"idle", NC_("health", "idle")},
	};
	for (size_t i = 0; i < VD_ARRAY_SIZE(words); i++)
		if (strcmp(w, words[i][0]) == 0)
			return vd_pgettext(words[i][1], w);
	return w;
}

const char *out_state_word(const char *w)
{
	static const char *const words[][2] = {
		{"connected", NC_("state", "connected")},
		{"connecting", NC_("state", "connecting")},
		{"reconnecting", NC_("state", "reconnecting")},
		{"exited", NC_("state", "exited")},
		{"absent", NC_("state", "absent")},
		{"unknown", NC_("state", "unknown")},
	};
	for (size_t i = 0; i < VD_ARRAY_SIZE(words); i++)
		if (strcmp(w, words[i][0]) == 0)
			return vd_pgettext(words[i][1], w);
	return w;
}

const char *out_probe_word(const char *w)
{
	static const char *const words[][2] = {
		{"ok", NC_("probe status", "ok")},
		{"fail", NC_("probe status", "fail")},
		{"unknown", NC_("probe status", "unknown")},
		{"running", NC_("probe status", "running")},
		{"never", NC_("probe status", "never")},
		{"skipped", NC_("probe status", "skipped")},
	};
	for (size_t i = 0; i < VD_ARRAY_SIZE(words); i++)
		if (strcmp(w, words[i][0]) == 0)
			return vd_pgettext(words[i][1], w);
	return w;
}

const char *out_event_word(const char *w)
{
	static const char *const words[][2] = {
		{"opened", NC_("event", "opened")},
		{"updated", NC_("event", "updated")},
		{"resolved", NC_("event", "resolved")},
	};
	for (size_t i = 0; i < VD_ARRAY_SIZE(words); i++)
		if (strcmp(w, words[i][0]) == 0)
			return vd_pgettext(words[i][1], w);
	return w;
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
	/* in terminal columns: a translated word may be Japanese */
	vd_text_pad(f, e, width > 0 ? (size_t)width : 0);
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
