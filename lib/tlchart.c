/* Pictures of the timeline: the sparkline (and, below, the HTML page). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "vpndoctor/common.h"
#include "vpndoctor/i18n.h"
#include "vpndoctor/tlchart.h"

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* ---- the sparkline ------------------------------------------------------------ */

#define SPARK_LEVELS 8

static const char *const spark_utf8[SPARK_LEVELS] = {
	"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588",
};
static const char spark_ascii[SPARK_LEVELS] = {'_', '.', ',', '-', '=', '+', '*', '#'};
/* Loss: the lowest level is none at all; then any, 1, 2, 5, 10, 20, 50 %. */
static const double loss_steps[SPARK_LEVELS - 1] = {0, 1, 2, 5, 10, 20, 50};

static double metric_of(const cJSON *s, enum vd_tlchart_metric m)
{
	const cJSON *in = cJSON_GetObjectItemCaseSensitive(s, "inside");

	if (!cJSON_IsObject(in))
		return NAN;
	return m == VD_TLCHART_RTT ? jnum(in, "rtt_median_ms") : jnum(in, "loss_pct");
}

static void fmt_ms(char *buf, size_t len, double v)
{
	if (v < 10)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.0f", v);
}

size_t vd_tlchart_spark(const cJSON *samples, const char *tunnel, int64_t end, unsigned cells, unsigned period_s,
                        enum vd_tlchart_metric m, bool utf8, char *buf, size_t len, char *legend, size_t legend_len)
{
	double v[512], lo = INFINITY, hi = -INFINITY;
	int64_t start;
	size_t have = 0, o = 0;
	const cJSON *s;

	if (cells > 512)
		cells = 512;
	if (period_s == 0)
		period_s = 60;
	start = end - (int64_t)cells * period_s;
	for (unsigned i = 0; i < cells; i++)
		v[i] = NAN;
	cJSON_ArrayForEach(s, samples) {
		const char *t = jstr(s, "tunnel");
		double time = jnum(s, "time"), x = metric_of(s, m);
		int64_t cell;

		if (!t || !tunnel || strcmp(t, tunnel) != 0 || isnan(time) || isnan(x) || time < start || time >= end)
			continue;
		cell = ((int64_t)time - start) / period_s;
		/* two samples of one cell (a restart in a minute): the worse counts */
		if (isnan(v[cell]) || x > v[cell])
			v[cell] = x;
	}
	for (unsigned i = 0; i < cells; i++) {
		if (isnan(v[i]))
			continue;
		have++;
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	for (unsigned i = 0; i < cells && o + 4 < len; i++) {
		int level = -1;

		if (!isnan(v[i])) {
			if (m == VD_TLCHART_LOSS) {
				level = 0;
				for (int k = SPARK_LEVELS - 2; k >= 0; k--)
					if (v[i] > loss_steps[k] || (k > 0 && v[i] >= loss_steps[k])) {
						level = k + 1;
						break;
					}
			} else {
				level = hi > 0 ? (int)ceil(v[i] / hi * SPARK_LEVELS) - 1 : 0;
				level = level < 0 ? 0 : level >= SPARK_LEVELS ? SPARK_LEVELS - 1 : level;
			}
		}
		if (level < 0)
			buf[o++] = ' ';
		else if (utf8) {
			memcpy(buf + o, spark_utf8[level], 3);
			o += 3;
		} else {
			buf[o++] = spark_ascii[level];
		}
	}
	if (len)
		buf[o < len ? o : len - 1] = '\0';
	if (legend && legend_len) {
		char a[16], b[16];

		if (!have)
			snprintf(legend, legend_len, "%s", _("no measurement"));
		else if (m == VD_TLCHART_LOSS && hi <= 0)
			/* TRANSLATORS: no packet was lost in the last hour */
			snprintf(legend, legend_len, "%s", _("none"));
		else if (m == VD_TLCHART_LOSS)
			/* TRANSLATORS: the worst packet loss of a minute in the last hour, "max 15 %" */
			snprintf(legend, legend_len, _("max %.*f %%"), hi < 10 && hi != floor(hi) ? 1 : 0, hi);
		else {
			fmt_ms(a, sizeof(a), lo);
			fmt_ms(b, sizeof(b), hi);
			if (strcmp(a, b) == 0)
				snprintf(legend, legend_len, "%s ms", a);
			else
				snprintf(legend, legend_len, "%s-%s ms", a, b);
		}
	}
	return have;
}

/* ---- the page ------------------------------------------------------------------------- */

#define W 960
#define H 190
#define PX0 58.0
#define PX1 944.0
#define PY0 16.0
#define PY1 150.0
#define COLS 886 /* PX1 - PX0: one per pixel column */

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			/* C0 controls (but tab and newline) have no place in HTML text */
			if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n')
				fputc('?', f);
			else
				fputc(*s, f);
		}
	}
}

static void put_time(FILE *f, int64_t t, bool date)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char buf[32];

	if (!gmtime_r(&tt, &tm))
		return;
	strftime(buf, sizeof(buf), date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
	fputs(buf, f);
}

typedef double (*getter)(const cJSON *s);

static double g_in_med(const cJSON *s)
{
	return jnum(cJSON_GetObjectItemCaseSensitive(s, "inside"), "rtt_median_ms");
}
static double g_in_p95(const cJSON *s)
{
	return jnum(cJSON_GetObjectItemCaseSensitive(s, "inside"), "rtt_p95_ms");
}
static double g_out_med(const cJSON *s)
{
	return jnum(cJSON_GetObjectItemCaseSensitive(s, "outside"), "rtt_median_ms");
}
static double g_in_loss(const cJSON *s)
{
	return jnum(cJSON_GetObjectItemCaseSensitive(s, "inside"), "loss_pct");
}
static double g_back_loss(const cJSON *s)
{
	return jnum(cJSON_GetObjectItemCaseSensitive(s, "reflected"), "loss_pct");
}
static double g_out_loss(const cJSON *s)
{
	return jnum(cJSON_GetObjectItemCaseSensitive(s, "outside"), "loss_pct");
}
static double g_in_jit(const cJSON *s)
{
	return jnum(cJSON_GetObjectItemCaseSensitive(s, "inside"), "jitter_ms");
}
static double g_out_jit(const cJSON *s)
{
	return jnum(cJSON_GetObjectItemCaseSensitive(s, "outside"), "jitter_ms");
}
static double g_clock(const cJSON *s)
{
	return jnum(s, "clock_offset_s");
}

struct series_def {
	const char *cls;   /* CSS class: its colour */
	const char *label;
	getter get;
};

struct chart_def {
	const char *id;
	const char *title;
	const char *unit;
	bool symmetric;    /* around 0 (the clock) */
	double min_top;    /* the scale's least top */
	struct series_def s[3];
};

/* A column's value: the largest of its samples (the one furthest from 0 for
 * a symmetric chart), and when the last of them was. */
struct col {
	double v;
	int64_t t;
	int64_t gap;       /* the longest a line may bridge from here */
};

static double nice_top(double v, double min_top)
{
	double m = 1, steps[] = {1, 2, 2.5, 5, 10};

	if (!(v > min_top))
		v = min_top;
	while (m * 10 < v)
		m *= 10;
	while (m > v)
		m /= 10;
	for (size_t i = 0; i < VD_ARRAY_SIZE(steps); i++)
		if (steps[i] * m >= v)
			return steps[i] * m;
	return 10 * m;
}

static double xpos(int64_t t, int64_t since, int64_t until)
{
	return PX0 + (PX1 - PX0) * (double)(t - since) / (double)(until - since);
}

static const char *const sev_names[] = {"info", "warning", "error"};

static const char *sev_class(const char *sev)
{
	for (size_t i = 0; i < VD_ARRAY_SIZE(sev_names); i++)
		if (sev && strcmp(sev, sev_names[i]) == 0)
			return sev_names[i];
	return "info";
}

static bool event_of(const cJSON *e, const char *tunnel, int64_t since, int64_t until)
{
	const char *t = jstr(e, "tunnel");
	double time = jnum(e, "time");

	return !isnan(time) && time >= since && time < until && t && (!*t || strcmp(t, tunnel) == 0);
}

/* Time ticks: at most 8 across the window, on round times. */
static void axis(FILE *f, int64_t since, int64_t until)
{
	static const int64_t steps[] = {1, 5, 10, 30, 60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400};
	int64_t span = until - since, step = steps[VD_ARRAY_SIZE(steps) - 1];
	bool days = span > 2 * 86400;

	for (size_t i = 0; i < VD_ARRAY_SIZE(steps); i++)
		if (span / steps[i] <= 8) {
			step = steps[i];
			break;
		}
	while (span / step > 8)
		step *= 2;
	for (int64_t t = (since / step + 1) * step; t < until; t += step) {
		double x = xpos(t, since, until);
		struct tm tm;
		time_t tt = (time_t)t;
		char buf[32];

		gmtime_r(&tt, &tm);
		strftime(buf, sizeof(buf), days ? "%m-%d %H:%M" : span < 600 ? "%H:%M:%S" : "%H:%M", &tm);
		fprintf(f, "<line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x, PY0, x, PY1);
		fprintf(f, "<text class=\"tl\" x=\"%.1f\" y=\"%.1f\">%s</text>\n", x, PY1 + 14, buf);
	}
}

static bool chart(FILE *f, const struct chart_def *c, const char *tunnel, const cJSON *samples, const cJSON *events,
                  int64_t since, int64_t until, bool labels)
{
	struct col (*cols)[COLS] = calloc(3, sizeof(*cols));
	double top = 0, lo, hi;
	size_t points[3] = {0};
	const cJSON *s, *e;
	int n_ser = 0;

	if (!cols)
		return false;
	while (n_ser < 3 && c->s[n_ser].get)
		n_ser++;
	for (int k = 0; k < n_ser; k++)
		for (int i = 0; i < COLS; i++)
			cols[k][i] = (struct col){NAN, 0, 0};
	cJSON_ArrayForEach(s, samples) {
		const char *t = jstr(s, "tunnel");
		double time = jnum(s, "time"), period = jnum(s, "period_s");
		int i;

		if (!t || strcmp(t, tunnel) != 0 || isnan(time) || time < since || time >= until)
			continue;
		i = (int)((xpos((int64_t)time, since, until) - PX0));
		i = i < 0 ? 0 : i >= COLS ? COLS - 1 : i;
		for (int k = 0; k < n_ser; k++) {
			double v = c->s[k].get(s);
			struct col *cl = &cols[k][i];

			if (isnan(v) || isinf(v))
				continue;
			if (isnan(cl->v) || (c->symmetric ? fabs(v) > fabs(cl->v) : v > cl->v))
				cl->v = v;
			cl->t = (int64_t)time;
			cl->gap = 2 * (int64_t)(isnan(period) || period < 1 ? 60 : period);
			top = fabs(v) > top ? fabs(v) : top;
		}
	}
	top = nice_top(top, c->min_top);
	lo = c->symmetric ? -top : 0;
	hi = top;
	fprintf(f, "<figure class=\"chart\" data-chart=\"%s\">\n<figcaption>%s (%s)</figcaption>\n", c->id, c->title,
	        c->unit);
	fprintf(f, "<svg class=\"chart\" data-chart=\"%s\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
	        "aria-label=\"", c->id, W, H, W, H);
	esc(f, c->title);
	fputs("\">\n<rect class=\"plot\" x=\"58\" y=\"16\" width=\"886\" height=\"134\"/>\n", f);
	for (int g = 0; g <= 2; g++) {
		double v = lo + (hi - lo) * g / 2, y = PY1 - (PY1 - PY0) * g / 2;

		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", PX0, y, PX1, y);
		fprintf(f, "<text class=\"yl\" x=\"%.1f\" y=\"%.1f\">%g</text>\n", PX0 - 4, y + 4, v);
	}
	axis(f, since, until);
	/* findings: the span each was open, then a mark at each event */
	cJSON_ArrayForEach(e, events) {
		const char *ev = jstr(e, "event"), *cause = jstr(e, "cause");
		const cJSON *r;
		int64_t t0, t1 = until;

		if (!event_of(e, tunnel, since, until) || !ev || !cause || strcmp(ev, "opened") != 0)
			continue;
		t0 = (int64_t)jnum(e, "time");
		for (r = e->next; r; r = r->next)
			if (jstr(r, "event") && strcmp(jstr(r, "event"), "resolved") == 0 && jstr(r, "cause") &&
			    strcmp(jstr(r, "cause"), cause) == 0 && jstr(r, "tunnel") && jstr(e, "tunnel") &&
			    strcmp(jstr(r, "tunnel"), jstr(e, "tunnel")) == 0) {
				t1 = (int64_t)jnum(r, "time");
				break;
			}
		if (t1 > until)
			t1 = until;
		fprintf(f, "<rect class=\"span %s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>",
		        sev_class(jstr(e, "severity")), xpos(t0, since, until), PY0,
		        fmax(1.0, xpos(t1, since, until) - xpos(t0, since, until)), PY1 - PY0);
		esc(f, cause);
		fputs("</title></rect>\n", f);
	}
	for (int k = 0; k < n_ser; k++) {
		int64_t prev_t = 0, prev_gap = 0, col_s = (until - since) / COLS;
		int run = 0, last_i = -1;

		fprintf(f, "<path class=\"series %s\" d=\"", c->s[k].cls);
		for (int i = 0; i < COLS; i++) {
			const struct col *cl = &cols[k][i];
			int64_t bridge = prev_gap > 2 * col_s ? prev_gap : 2 * col_s;

			if (isnan(cl->v))
				continue;
			if (!run || cl->t - prev_t > bridge) {
				fprintf(f, "%sM%d %.1f", points[k] ? " " : "", (int)PX0 + i,
				        PY1 - (PY1 - PY0) * (cl->v - lo) / (hi - lo));
				run = 0;
			} else {
				fprintf(f, " L%d %.1f", (int)PX0 + i, PY1 - (PY1 - PY0) * (cl->v - lo) / (hi - lo));
			}
			run++;
			prev_t = cl->t;
			prev_gap = cl->gap;
			points[k]++;
			last_i = i;
		}
		fprintf(f, "\" data-points=\"%zu\"/>\n", points[k]);
		/* a point with no neighbour to draw a line to is a dot */
		run = 0;
		prev_t = 0;
		for (int i = 0, prev_i = -1; i <= last_i; i++) {
			const struct col *cl = &cols[k][i];
			bool alone_before, alone_after = true;

			if (isnan(cl->v))
				continue;
			alone_before = prev_i < 0 || cl->t - prev_t > (prev_gap > 2 * col_s ? prev_gap : 2 * col_s);
			for (int j = i + 1; j <= last_i; j++)
				if (!isnan(cols[k][j].v)) {
					alone_after = cols[k][j].t - cl->t > (cl->gap > 2 * col_s ? cl->gap : 2 * col_s);
					break;
				}
			if (alone_before && alone_after)
				fprintf(f, "<circle class=\"dot %s\" cx=\"%d\" cy=\"%.1f\" r=\"2.2\"/>\n", c->s[k].cls,
				        (int)PX0 + i, PY1 - (PY1 - PY0) * (cl->v - lo) / (hi - lo));
			prev_i = i;
			prev_t = cl->t;
			prev_gap = cl->gap;
		}
	}
	{
		unsigned n = 0;

		cJSON_ArrayForEach(e, events) {
			const char *ev = jstr(e, "event"), *cause = jstr(e, "cause");
			double x;

			if (!event_of(e, tunnel, since, until) || !ev || !cause)
				continue;
			x = xpos((int64_t)jnum(e, "time"), since, until);
			fprintf(f, "<g class=\"marker %s %s\" data-cause=\"", strcmp(ev, "opened") == 0 ? "opened" : "resolved",
			        sev_class(jstr(e, "severity")));
			esc(f, cause);
			fprintf(f, "\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x, PY0, x, PY1);
			/* near the right edge the label goes to the left of its line */
			if (labels)
				fprintf(f, "<text x=\"%.1f\" y=\"%.1f\"%s>%s", x > PX1 - 150 ? x - 3 : x + 3,
				        PY0 + 10 + (n % 3) * 11, x > PX1 - 150 ? " text-anchor=\"end\"" : "",
				        strcmp(ev, "opened") == 0 ? "\u25b2 " : "\u25bc ");
			else
				fputs("<text class=\"hidden\">", f);
			esc(f, cause);
			fputs("</text><title>", f);
			put_time(f, (int64_t)jnum(e, "time"), true);
			fprintf(f, " %s ", strcmp(ev, "opened") == 0 ? _("opened") : _("resolved"));
			esc(f, cause);
			if (jstr(e, "summary") && *jstr(e, "summary")) {
				fputs(": ", f);
				esc(f, jstr(e, "summary"));
			}
			fputs("</title></g>\n", f);
			n++;
		}
	}
	if (!points[0] && (n_ser < 2 || !points[1]) && (n_ser < 3 || !points[2]))
		fprintf(f, "<text class=\"none\" x=\"%d\" y=\"%d\">%s</text>\n", W / 2, H / 2, _("nothing measured"));
	fputs("</svg>\n<p class=\"legend\">", f);
	for (int k = 0; k < n_ser; k++)
		fprintf(f, "<span class=\"key %s\">%s</span> ", c->s[k].cls, c->s[k].label);
	fputs("</p>\n</figure>\n", f);
	free(cols);
	return true;
}

static bool charts(FILE *f, const char *tunnel, const cJSON *samples, const cJSON *events, int64_t since,
                   int64_t until)
{
	const struct chart_def defs[] = {
		{"rtt", _("Round trip"), "ms", false, 1,
		 {{"s1", _("inside the tunnel, median"), g_in_med},
		  {"s2", _("inside the tunnel, 95th percentile"), g_in_p95},
		  {"s3", _("outside, to the gateway, median"), g_out_med}}},
		{"loss", _("Packets lost"), "%", false, 1,
		 {{"s1", _("inside, the client's echoes"), g_in_loss},
		  {"s2", _("inside, the VPC's echoes back"), g_back_loss},
		  {"s3", _("outside, to the gateway"), g_out_loss}}},
		{"jitter", _("Jitter"), "ms", false, 1,
		 {{"s1", _("inside the tunnel"), g_in_jit}, {"s3", _("outside, to the gateway"), g_out_jit}, {0}}},
		{"clock", _("Clock offset to NTP"), "s", true, 0.01, {{"s1", _("NTP's time minus this machine's"), g_clock}, {0}, {0}}},
	};

	for (size_t i = 0; i < VD_ARRAY_SIZE(defs); i++)
		if (!chart(f, &defs[i], tunnel, samples, events, since, until, i == 0))
			return false;
	return true;
}

/* The tunnels of the samples and events, each once, in order of appearance. */
static size_t tunnels_of(const cJSON *samples, const cJSON *events, const char **v, size_t max)
{
	const cJSON *lists[2] = {samples, events}, *s;
	size_t n = 0;

	for (int l = 0; l < 2; l++)
		cJSON_ArrayForEach(s, lists[l]) {
			const char *t = jstr(s, "tunnel");
			bool seen = false;

			if (!t || !*t)
				continue;
			for (size_t i = 0; i < n && !seen; i++)
				seen = strcmp(v[i], t) == 0;
			if (!seen && n < max)
				v[n++] = t;
		}
	return n;
}

static void event_list(FILE *f, const char *tunnel, const cJSON *events, int64_t since, int64_t until)
{
	const cJSON *e;
	bool any = false;

	cJSON_ArrayForEach(e, events) {
		const char *ev = jstr(e, "event"), *cause = jstr(e, "cause");

		if (!event_of(e, tunnel, since, until) || !ev || !cause)
			continue;
		if (!any)
			fputs("<ul class=\"events\">\n", f);
		any = true;
		fprintf(f, "<li class=\"%s\"><time>", sev_class(jstr(e, "severity")));
		put_time(f, (int64_t)jnum(e, "time"), true);
		fprintf(f, "</time> %s <b>", strcmp(ev, "opened") == 0 ? _("opened") : _("resolved"));
		esc(f, cause);
		fputs("</b> ", f);
		esc(f, jstr(e, "summary"));
		fputs("</li>\n", f);
	}
	if (any)
		fputs("</ul>\n", f);
	else
		fprintf(f, "<p class=\"quiet\">%s</p>\n", _("No finding opened or resolved in this window."));
}

char *vd_tlchart_html(const cJSON *samples, const cJSON *events, const cJSON *recording, int64_t since, int64_t until,
                      int64_t generated)
{
	const char *tunnels[64];
	size_t n;
	char *buf = NULL;
	size_t len = 0;
	bool ok = true;
	FILE *f;

	if (until <= since)
		until = since + 60;
	{
		/* the window starts where something is to be seen (a timeline
		 * younger than the kept week), on the hour before it */
		int64_t first = until;
		const cJSON *lists[2] = {samples, events}, *s;

		for (int l = 0; l < 2; l++)
			cJSON_ArrayForEach(s, lists[l]) {
				double t = jnum(s, "time");

				if (!isnan(t) && t >= since && t < first)
					first = (int64_t)t;
			}
		first -= first % 3600;
		if (first > since && until - first >= 3600)
			since = first;
		else if (first > since)
			since = until - 3600;
	}
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n<title>", f);
	esc(f, _("vpndoctor: the VPN's timeline"));
	fputs("</title>\n<style>\n"
	      "body{font-family:sans-serif;margin:1.5em auto;max-width:62em;padding:0 1em;color:#222}\n"
	      "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc}\n"
	      "figure{margin:1em 0}figcaption{font-weight:bold;font-size:.9em}\n"
	      "svg.chart{max-width:100%;height:auto;font-size:11px}\n"
	      ".plot{fill:#fafafa;stroke:#bbb}.grid{stroke:#ddd}.tick{stroke:#eee}\n"
	      ".yl{text-anchor:end;fill:#555}.tl{text-anchor:middle;fill:#555}\n"
	      ".series{fill:none;stroke-width:1.4}.s1{stroke:#1f6fb4;color:#1f6fb4;fill:#1f6fb4}\n"
	      ".s2{stroke:#e08a1e;color:#e08a1e;fill:#e08a1e}.s3{stroke:#3a9a4a;color:#3a9a4a;fill:#3a9a4a}\n"
	      "path.series{fill:none}.span{opacity:.13}.span.error{fill:#d62728}.span.warning{fill:#e0a800}\n"
	      ".span.info{fill:#1f77b4}.marker line{stroke-width:1.2;stroke-dasharray:3 2}\n"
	      ".marker.error line{stroke:#d62728}.marker.warning line{stroke:#c08000}.marker.info line{stroke:#1f77b4}\n"
	      ".marker text{font-size:10px;fill:#333}.marker text.hidden{display:none}\n"
	      ".none{text-anchor:middle;fill:#999}.legend{font-size:.85em;margin:.2em 0}\n"
	      ".key{margin-right:1.2em}.key::before{content:'\\2014\\2014 ';font-weight:bold}\n"
	      ".events{font-size:.9em;padding-left:1.2em}.events li.error b{color:#b00}\n"
	      ".events li.warning b{color:#a06000}.quiet,.meta{color:#666;font-size:.9em}\n"
	      "</style></head><body>\n<h1>", f);
	esc(f, _("vpndoctor: the VPN's timeline"));
	fputs("</h1>\n<p class=\"meta\">", f);
	put_time(f, since, true);
	fputs(" \u2013 ", f);
	put_time(f, until, true);
	fprintf(f, " UTC. %s ", _("Made"));
	put_time(f, generated, true);
	fprintf(f, " UTC. %s</p>\n", _("Per tunnel and minute, what vpndoctord measured; the findings it opened and "
	                               "resolved are marked on the time axis (hover for the summary)."));
	n = tunnels_of(samples, events, tunnels, VD_ARRAY_SIZE(tunnels));
	if (n == 0)
		fprintf(f, "<p class=\"quiet\">%s</p>\n", _("No tunnel has a timeline yet."));
	for (size_t i = 0; i < n; i++) {
		fputs("<section class=\"tunnel\" data-tunnel=\"", f);
		esc(f, tunnels[i]);
		fprintf(f, "\">\n<h2>%s ", _("Tunnel"));
		esc(f, tunnels[i]);
		fputs("</h2>\n", f);
		event_list(f, tunnels[i], events, since, until);
		ok = ok && charts(f, tunnels[i], samples, events, since, until);
		fputs("</section>\n", f);
	}
	if (recording) {
		const cJSON *rs = cJSON_GetObjectItemCaseSensitive(recording, "samples");
		int64_t r0 = (int64_t)jnum(recording, "started"), r1 = (int64_t)jnum(recording, "ended") + 1;
		const char *rt[64];
		size_t rn = tunnels_of(rs, NULL, rt, VD_ARRAY_SIZE(rt));

		fprintf(f, "<section class=\"recording\">\n<h2>%s</h2>\n<p class=\"meta\">", _("The recording"));
		put_time(f, r0, true);
		fputs(" \u2013 ", f);
		put_time(f, r1, false);
		fprintf(f, " UTC. %s</p>\n", _("Per second, while the probes that sample ran back to back."));
		if (rn == 0)
			fprintf(f, "<p class=\"quiet\">%s</p>\n", _("Nothing was measured while it ran."));
		for (size_t i = 0; i < rn; i++) {
			fputs("<h3>", f);
			fprintf(f, "%s ", _("Tunnel"));
			esc(f, rt[i]);
			fputs("</h3>\n<div class=\"tunnel\" data-tunnel=\"", f);
			esc(f, rt[i]);
			fputs("\">\n", f);
			ok = ok && charts(f, rt[i], rs, events, r0, r1 > r0 ? r1 : r0 + 1);
			fputs("</div>\n", f);
		}
		fputs("</section>\n", f);
	}
	fputs("</body></html>\n", f);
	if (fclose(f) != 0 || !ok) {
		free(buf);
		return NULL;
	}
	return buf;
}
