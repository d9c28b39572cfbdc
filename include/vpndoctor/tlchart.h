/* Pictures of the timeline, from GetTimeline's samples (TimelineSample in
 * io.vpndoctor.varlink): a one-line sparkline for a terminal (vpndoctor
 * status) and a self-contained HTML page with SVG charts and the findings on
 * the time axis (vpndoctor report's timeline.html, and the notifier's copy).
 * Pure: text in memory, no I/O, no clock (the caller says when "now" is). */
#ifndef VPNDOCTOR_TLCHART_H
#define VPNDOCTOR_TLCHART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

enum vd_tlchart_metric {
	VD_TLCHART_RTT,  /* inside the tunnel: each sample's median round trip */
	VD_TLCHART_LOSS, /* inside the tunnel: echoes lost, % */
};

/* One cell per period_s seconds of [end - cells * period_s, end), from the
 * samples of tunnel (others are skipped): a block character per cell in
 * UTF-8 (U+2581-U+2588), else one of "_.-=*#" and the like in ASCII; a space
 * where nothing was measured. Round trips are scaled from 0 to the largest
 * in the line, loss on fixed steps (any, 1, 2, 5, 10, 20, 50, 100 %) so that
 * a small loss still shows. The line goes to buf (NUL-terminated; at most
 * cells * 3 + 1 bytes are needed) and what the scale means ("12-48 ms",
 * "max 15 %", "none") to legend. Returns the cells that had a value. */
size_t vd_tlchart_spark(const struct cJSON *samples, const char *tunnel, int64_t end, unsigned cells,
                        unsigned period_s, enum vd_tlchart_metric m, bool utf8, char *buf, size_t len,
                        char *legend, size_t legend_len);

/* The page: per tunnel, charts of round trips (inside and outside the
 * tunnel), loss (both ways inside, and outside), jitter and clock offset
 * over [since, until), and every history event of the tunnel (or of no
 * tunnel) in that window marked on the time axis with its cause, an opened
 * finding's span shaded until it resolved; the events listed too. Each chart
 * draws at most one point per pixel column (the largest of the samples in
 * it), so a week of minutes stays a small page. recording (may be NULL):
 * Record's reply ({"started", "ended", "samples"}), drawn per second after
 * the timeline. generated: when the page was made. Everything from
 * elsewhere is escaped; no script, no external resource (a
 * Content-Security-Policy tells the browser so). Returns a malloc'ed
 * string, or NULL when out of memory. */
char *vd_tlchart_html(const struct cJSON *samples, const struct cJSON *events, const struct cJSON *recording,
                      int64_t since, int64_t until, int64_t generated);

#endif
