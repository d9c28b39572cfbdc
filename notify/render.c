/* See render.h. open_memstream keeps the string building short and bounded by
 * what the finding holds (the daemon's messages are at most 64 KiB). Texts are
 * in the reader's language (gettext): the cause's title, description and
 * remedy from the catalogue's translation when there is one, else as the
 * daemon sent them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "render.h"
#include "vpndoctor/cause.h"
#include "vpndoctor/i18n.h"
#include "vpndoctor/text.h"

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* s[0..n) as plain text: what a terminal or the desktop would act on, or
 * that is not UTF-8 (which D-Bus refuses), escaped (vd_text_escape). Text
 * in a finding may quote a user's profile or process. */
static void put_plain(FILE *f, const char *s, size_t n)
{
	char buf[1024], *e = buf;
	size_t len = strnlen(s, n), need = vd_text_escape(buf, sizeof(buf), s, len);

	if (need >= sizeof(buf) && (e = malloc(need + 1)))
		vd_text_escape(e, need + 1, s, len);
	else if (need >= sizeof(buf))
		e = buf; /* cut at a unit rather than nothing */
	fputs(e, f);
	if (e != buf)
		free(e);
}

/* put_plain's text as a string (NULL when out of memory). */
static char *plain_dup(const char *s)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	put_plain(f, s, strlen(s));
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The same, then escaped for Pango markup and HTML. */
static void put_escaped(FILE *f, const char *s, size_t n)
{
	char *m = NULL;
	size_t mlen = 0;
	FILE *mf = open_memstream(&m, &mlen);

	if (!mf)
		return;
	put_plain(mf, s, n);
	if (fclose(mf) != 0) {
		free(m);
		return;
	}
	for (size_t i = 0; i < mlen; i++) {
		switch (m[i]) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		default: fputc(m[i], f);
		}
	}
	free(m);
}

/* Ends the stream and hands out its string, NULL on any failure. */
static char *finish(FILE *f, char **buf)
{
	bool bad = ferror(f);

	if (fclose(f) != 0 || bad) {
		free(*buf);
		return NULL;
	}
	return *buf;
}

char *render_escape(const char *s)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	put_escaped(f, s, strlen(s));
	return finish(f, &buf);
}

const char *render_text(const char *from_daemon, const char *catalogue)
{
	if (vd_translated(catalogue))
		return _(catalogue);
	return from_daemon ? from_daemon : catalogue;
}

char *render_summary(const char *title, const char *tunnel, bool resolved)
{
	char *s = NULL, *t, *n;
	int r;

	t = plain_dup(title);
	n = tunnel && tunnel[0] ? plain_dup(tunnel) : NULL;
	if (!t || (tunnel && tunnel[0] && !n))
		r = -1;
	else if (n)
		/* TRANSLATORS: a notification's summary: the cause's title, the tunnel */
		r = asprintf(&s, resolved ? _("Resolved: %s (%s)") : _("%s (%s)"), t, n);
	else if (resolved)
		r = asprintf(&s, _("Resolved: %s"), t);
	else
		r = asprintf(&s, "%s", t);
	free(t);
	free(n);
	return r < 0 ? NULL : s;
}

/* Length of the first sentence: up to ". " or "。" (or the end). */
static size_t first_sentence(const char *s)
{
	const char *p = strstr(s, ". "), *q = strstr(s, "。");

	if (q && (!p || q < p))
		return (size_t)(q - s) + strlen("。");
	return p ? (size_t)(p - s) + 1 : strlen(s);
}

/* Cuts s to at most max bytes where a line could break, so no word (or UTF-8
 * sequence) is split. */
static size_t cut(const char *s, size_t n, size_t max, bool *cut_ret)
{
	*cut_ret = n > max;
	return vd_text_cut(s, n, max);
}

char *render_body(const char *summary, const char *remedy, bool markup)
{
	char *buf = NULL;
	size_t len, n, room = RENDER_BODY_MAX;
	bool more;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (summary && summary[0]) {
		n = cut(summary, strlen(summary), room / 2, &more);
		/* the summary starts lowercase ("the key ..."): a sentence on its own here */
		if (markup)
			put_escaped(f, summary, n);
		else
			put_plain(f, summary, n);
		fputs(more ? "…" : "", f);
		fputc('\n', f);
		room -= n;
	}
	if (remedy && remedy[0]) {
		n = cut(remedy, first_sentence(remedy), room, &more);
		fprintf(f, markup ? "<b>%s</b> " : "%s ", _("What to do:"));
		if (markup)
			put_escaped(f, remedy, n);
		else
			put_plain(f, remedy, n);
		fputs(more || n < strlen(remedy) ? " …" : "", f);
	}
	return finish(f, &buf);
}

/* "2026-11-27 10:00" in local time, or words saying it is not known. */
static const char *when(char *buf, size_t size, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t > 0 && localtime_r(&tt, &tm) && strftime(buf, size, "%Y-%m-%d %H:%M", &tm))
		return buf;
	return _("an unknown time");
}

char *render_resolved_body(int64_t since, int64_t now)
{
	char *buf = NULL, tb[64];
	size_t len;
	const char *t = when(tb, sizeof(tb), since);
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (since > 0 && now >= since) {
		long long m = (now - since + 59) / 60;
		if (m < 120)
			fprintf(f, P_("No longer seen after %lld min (open since %s).",
			              "No longer seen after %lld min (open since %s).", (unsigned long)m), m, t);
		else
			fprintf(f, P_("No longer seen after %lld h (open since %s).",
			              "No longer seen after %lld h (open since %s).", (unsigned long)(m / 60)),
			        m / 60, t);
	} else {
		fprintf(f, _("No longer seen (open since %s)."), t);
	}
	return finish(f, &buf);
}

static int64_t jint(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

/* The severity word of a finding ("error"), translated; "finding" when unknown. */
static const char *sev_word(const char *sev)
{
	enum vd_severity s;

	if (vd_severity_parse(sev, &s) < 0 || s == VD_SEV_NONE)
		return _("finding");
	return vd_severity_label(s);
}

static void html_para(FILE *f, const char *head, const char *text)
{
	if (!text || !text[0])
		return;
	fprintf(f, "<h2>%s</h2>\n<p>", head);
	put_escaped(f, text, strlen(text));
	fputs("</p>\n", f);
}

char *render_details_html(const cJSON *finding, const struct vd_cause *cause, const char *timeline_href)
{
	const char *title = render_text(jstr(finding, "title"), cause ? cause->title : NULL);
	const char *tunnel = jstr(finding, "tunnel"), *id = jstr(finding, "cause");
	const char *sev = sev_word(jstr(finding, "severity"));
	const cJSON *evidence = cJSON_GetObjectItemCaseSensitive(finding, "evidence"), *e;
	char *buf = NULL, tb[64];
	const char *since = when(tb, sizeof(tb), jint(finding, "since"));
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (!title)
		title = _("VPN problem");
	/* TRANSLATORS: the language code of the Details page (<html lang>): yours */
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">\n<title>",
	        C_("html lang", "en"));
	put_escaped(f, title, strlen(title));
	fputs("</title>\n<style>body{font-family:sans-serif;max-width:46em;margin:2em auto;padding:0 1em;"
	      "line-height:1.45}th{text-align:left;padding-right:1em;vertical-align:top}"
	      "code{background:#eee;padding:0 .2em}</style></head><body>\n<h1>", f);
	put_escaped(f, title, strlen(title));
	fputs("</h1>\n<p>", f);
	if (tunnel && tunnel[0]) {
		char *t = render_escape(tunnel);

		if (!t) {
			fclose(f);
			free(buf);
			return NULL;
		}
		/* TRANSLATORS: the tunnel's name (HTML), the severity, a date and time */
		fprintf(f, _("Tunnel <b>%s</b>, %s, open since %s."), t, sev, since);
		free(t);
	} else {
		fprintf(f, _("%s, open since %s."), sev, since);
	}
	fputs("</p>\n", f);
	{
		char *measured = vd_i18n_render_member(finding, "summary_message", "summary");
		html_para(f, _("What was measured"), measured);
		free(measured);
	}
	if (cJSON_IsObject(evidence) && evidence->child) {
		fputs("<table>\n", f);
		cJSON_ArrayForEach(e, evidence) {
			if (!cJSON_IsString(e) || !e->string)
				continue;
			fputs("<tr><th>", f);
			put_escaped(f, e->string, strlen(e->string));
			fputs("</th><td>", f);
			put_escaped(f, e->valuestring, strlen(e->valuestring));
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	if (timeline_href) {
		char *href = render_escape(timeline_href);

		if (!href) {
			fclose(f);
			free(buf);
			return NULL;
		}
		/* TRANSLATORS: a link (HTML) to the page of the tunnel's timeline */
		fprintf(f, _("<p><a href=\"%s\">The tunnel's timeline</a>: its round trips, loss, jitter and clock "
		             "offset over the last week, with the findings on them.</p>\n"), href);
		free(href);
	}
	if (cause) {
		html_para(f, _("What it means"), _(cause->description));
		if (cause->symptoms[0]) {
			fprintf(f, "<h2>%s</h2>\n<ul>\n", _("What you may notice"));
			for (size_t i = 0; cause->symptoms[i]; i++) {
				const struct vd_symptom *sy = vd_symptom_find(cause->symptoms[i]);
				const char *q = sy ? _(sy->question) : cause->symptoms[i];
				fputs("<li>", f);
				put_escaped(f, q, strlen(q));
				fputs("</li>\n", f);
			}
			fputs("</ul>\n", f);
		}
	}
	html_para(f, _("What to do"), render_text(jstr(finding, "remedy"), cause ? cause->remedy : NULL));
	if (id) {
		char *eid = render_escape(id), *explain = NULL;

		if (!eid || asprintf(&explain, "<code>vpndoctor explain %s</code>", eid) < 0) {
			free(eid);
			fclose(f);
			free(buf);
			return NULL;
		}
		fputs("<p>", f);
		/* TRANSLATORS: three commands (HTML) that tell more about a finding */
		fprintf(f, _("More: %s, %s, %s."), explain, "<code>vpndoctor status</code>",
		        "<code>journalctl -x -u vpndoctord</code>");
		fputs("</p>\n", f);
		free(explain);
		free(eid);
	}
	fputs("</body></html>\n", f);
	return finish(f, &buf);
}

char *render_details_text(const cJSON *finding, const struct vd_cause *cause, bool markup)
{
	const char *remedy = render_text(jstr(finding, "remedy"), cause ? cause->remedy : NULL);
	char *sum = vd_i18n_render_member(finding, "summary_message", "summary");
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		free(sum);
		return NULL;
	}
	if (sum) {
		markup ? put_escaped(f, sum, strlen(sum)) : put_plain(f, sum, strlen(sum));
		fputs("\n\n", f);
		free(sum);
	}
	if (cause && cause->description) {
		const char *d = _(cause->description);

		markup ? put_escaped(f, d, strlen(d)) : (void)fputs(d, f);
		fputs("\n\n", f);
	}
	if (remedy) {
		fprintf(f, markup ? "<b>%s</b> " : "%s ", _("What to do:"));
		markup ? put_escaped(f, remedy, strlen(remedy)) : put_plain(f, remedy, strlen(remedy));
	}
	return finish(f, &buf);
}
