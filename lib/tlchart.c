/* Pictures of the timeline: the sparkline (and, below, the HTML page). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

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
