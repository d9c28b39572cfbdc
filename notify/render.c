/* See render.h. open_memstream keeps the string building short and bounded by
 * what the finding holds (the daemon's messages are at most 64 KiB). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "render.h"
#include "vpndoctor/cause.h"

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void put_escaped(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		switch (s[i]) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		default: fputc(s[i], f);
		}
	}
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

char *render_summary(const char *title, const char *tunnel, bool resolved)
{
	char *s;
	int r;

	if (tunnel && tunnel[0])
		r = asprintf(&s, "%s%s (%s)", resolved ? "Resolved: " : "", title, tunnel);
	else
		r = asprintf(&s, "%s%s", resolved ? "Resolved: " : "", title);
	return r < 0 ? NULL : s;
}

/* Length of the first sentence: up to ". " (or the end). */
static size_t first_sentence(const char *s)
{
	const char *p = strstr(s, ". ");
	return p ? (size_t)(p - s) + 1 : strlen(s);
}

/* Cuts s to at most max bytes at a space, so no word (or UTF-8 sequence) is split. */
static size_t cut(const char *s, size_t n, size_t max, bool *cut_ret)
{
	*cut_ret = n > max;
	if (n <= max)
		return n;
	while (max > 0 && s[max] != ' ')
		max--;
	return max;
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
			fwrite(summary, 1, n, f);
		fputs(more ? "…" : "", f);
		fputc('\n', f);
		room -= n;
	}
	if (remedy && remedy[0]) {
		n = cut(remedy, first_sentence(remedy), room, &more);
		fputs(markup ? "<b>What to do:</b> " : "What to do: ", f);
		if (markup)
			put_escaped(f, remedy, n);
		else
			fwrite(remedy, 1, n, f);
		fputs(more || n < strlen(remedy) ? " …" : "", f);
	}
	return finish(f, &buf);
}

static void put_time(FILE *f, int64_t t)
{
	char buf[64];
	time_t tt = (time_t)t;
	struct tm tm;

	if (t > 0 && localtime_r(&tt, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm))
		fputs(buf, f);
	else
		fputs("an unknown time", f);
}

char *render_resolved_body(int64_t since, int64_t now)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fputs("No longer seen", f);
	if (since > 0 && now >= since) {
		int64_t m = (now - since + 59) / 60;
		if (m < 120)
			fprintf(f, " after %lld min", (long long)m);
		else
			fprintf(f, " after %lld h", (long long)(m / 60));
	}
	fputs(" (open since ", f);
	put_time(f, since);
	fputs(").", f);
	return finish(f, &buf);
}

static int64_t jint(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static void html_para(FILE *f, const char *head, const char *text)
{
	if (!text || !text[0])
		return;
	fprintf(f, "<h2>%s</h2>\n<p>", head);
	put_escaped(f, text, strlen(text));
	fputs("</p>\n", f);
}

char *render_details_html(const cJSON *finding, const struct vd_cause *cause)
{
	const char *title = jstr(finding, "title"), *tunnel = jstr(finding, "tunnel");
	const char *id = jstr(finding, "cause"), *sev = jstr(finding, "severity");
	const cJSON *evidence = cJSON_GetObjectItemCaseSensitive(finding, "evidence"), *e;
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (!title)
		title = cause ? cause->title : "VPN problem";
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
	put_escaped(f, title, strlen(title));
	fputs("</title>\n<style>body{font-family:sans-serif;max-width:46em;margin:2em auto;padding:0 1em;"
	      "line-height:1.45}th{text-align:left;padding-right:1em;vertical-align:top}"
	      "code{background:#eee;padding:0 .2em}</style></head><body>\n<h1>", f);
	put_escaped(f, title, strlen(title));
	fputs("</h1>\n<p>", f);
	if (tunnel && tunnel[0]) {
		fputs("Tunnel <b>", f);
		put_escaped(f, tunnel, strlen(tunnel));
		fputs("</b>, ", f);
	}
	fprintf(f, "%s, open since ", sev ? sev : "finding");
	put_time(f, jint(finding, "since"));
	fputs(".</p>\n", f);
	html_para(f, "What was measured", jstr(finding, "summary"));
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
	if (cause) {
		html_para(f, "What it means", cause->description);
		if (cause->symptoms[0]) {
			fputs("<h2>What you may notice</h2>\n<ul>\n", f);
			for (size_t i = 0; cause->symptoms[i]; i++) {
				const struct vd_symptom *sy = vd_symptom_find(cause->symptoms[i]);
				const char *q = sy ? sy->question : cause->symptoms[i];
				fputs("<li>", f);
				put_escaped(f, q, strlen(q));
				fputs("</li>\n", f);
			}
			fputs("</ul>\n", f);
		}
	}
	html_para(f, "What to do", jstr(finding, "remedy") ? jstr(finding, "remedy") : cause ? cause->remedy : NULL);
	if (id) {
		fputs("<p>More: <code>vpndoctor explain ", f);
		put_escaped(f, id, strlen(id));
		fputs("</code>, <code>vpndoctor status</code>, <code>journalctl -x -u vpndoctord</code>.</p>\n", f);
	}
	fputs("</body></html>\n", f);
	return finish(f, &buf);
}

char *render_details_text(const cJSON *finding, const struct vd_cause *cause, bool markup)
{
	const char *remedy = jstr(finding, "remedy"), *sum = jstr(finding, "summary");
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (!remedy && cause)
		remedy = cause->remedy;
	if (sum) {
		markup ? put_escaped(f, sum, strlen(sum)) : (void)fputs(sum, f);
		fputs("\n\n", f);
	}
	if (cause && cause->description) {
		markup ? put_escaped(f, cause->description, strlen(cause->description))
		       : (void)fputs(cause->description, f);
		fputs("\n\n", f);
	}
	if (remedy) {
		fputs(markup ? "<b>What to do:</b> " : "What to do: ", f);
		markup ? put_escaped(f, remedy, strlen(remedy)) : (void)fputs(remedy, f);
	}
	return finish(f, &buf);
}
