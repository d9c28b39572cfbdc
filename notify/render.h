/* The words of a notification: summary, short body and the Details page, from
 * a finding and its catalogue entry, in the reader's language (gettext).
 * Pure: no I/O, no state. */
#ifndef VPNDOCTOR_NOTIFY_RENDER_H
#define VPNDOCTOR_NOTIFY_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;
struct vd_cause;

/* The body is cut to this many bytes (at a word, with an ellipsis): servers
 * show three or four lines; the rest is behind Details. */
#define RENDER_BODY_MAX 280

/* Each returns a malloc'ed string, or NULL when out of memory. */

/* A text of the cause catalogue in the reader's language: the translation of
 * catalogue when there is one, else from_daemon (the daemon's English, which
 * may be newer than this agent's catalogue), else catalogue. Not malloc'ed. */
const char *render_text(const char *from_daemon, const char *catalogue);
/* s with &, < and > as entities (the Desktop Notifications markup is XML). */
char *render_escape(const char *s);
/* "TITLE (TUNNEL)", "Resolved: TITLE (TUNNEL)"; without a tunnel, no parens.
 * The summary is plain text by the spec: never escaped. */
char *render_summary(const char *title, const char *tunnel, bool resolved);
/* The measured summary, then the first sentence of the remedy; escaped (and
 * "What to do:" in bold) when markup is true. */
char *render_body(const char *summary, const char *remedy, bool markup);
/* "No longer seen after 12 min (open since 2026-11-27 10:00)." */
char *render_resolved_body(int64_t since, int64_t now);
/* A self-contained HTML page: the finding (summary, evidence, since) and the
 * cause's description, symptoms and full remedy. cause may be NULL. All in
 * the reader's language but the evidence (keys and values as the daemon
 * wrote them); the summary from its summary_message when it has one.
 * timeline_href (may be NULL): a page beside it to link to, the tunnel's
 * timeline (a file name, escaped here). */
char *render_details_html(const struct cJSON *finding, const struct vd_cause *cause, const char *timeline_href);
/* The same as plain text, for a notification when no browser can show it. */
char *render_details_text(const struct cJSON *finding, const struct vd_cause *cause, bool markup);

#endif
