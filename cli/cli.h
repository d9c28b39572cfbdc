/* The vpndoctor CLI: one file per command group, dispatched from main.c.
 * Each command takes the arguments after its name (argv[0] is the command)
 * and returns the process exit status (0 healthy/ok, 1 warning, 2 error,
 * 3 unknown or daemon unreachable; 64 for a usage error, as sysexits). */
#ifndef VPNDOCTOR_CLI_H
#define VPNDOCTOR_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vpndoctor/common.h"

#define CLI_EXIT_OK      0
#define CLI_EXIT_WARNING 1
#define CLI_EXIT_ERROR   2
#define CLI_EXIT_UNKNOWN 3
#define CLI_EXIT_USAGE   64

struct cli_ctx {
	const char *socket_path; /* --socket, else $VPNDOCTOR_SOCKET, else the default */
	bool json;               /* --json anywhere on the command line */
	bool color;              /* stdout is a tty and NO_COLOR is unset */
};

int cmd_lint(struct cli_ctx *ctx, int argc, char **argv);     /* cli/cmd_lint.c */
int cmd_causes(struct cli_ctx *ctx, int argc, char **argv);   /* cli/cmd_causes.c */
int cmd_explain(struct cli_ctx *ctx, int argc, char **argv);  /* cli/cmd_causes.c */
int cmd_status(struct cli_ctx *ctx, int argc, char **argv);   /* cli/cmd_status.c */
int cmd_check(struct cli_ctx *ctx, int argc, char **argv);    /* cli/cmd_status.c */
int cmd_watch(struct cli_ctx *ctx, int argc, char **argv);    /* cli/cmd_status.c */
int cmd_history(struct cli_ctx *ctx, int argc, char **argv);  /* cli/cmd_status.c */
int cmd_facts(struct cli_ctx *ctx, int argc, char **argv);    /* cli/cmd_status.c */
int cmd_config(struct cli_ctx *ctx, int argc, char **argv);    /* cli/cmd_status.c */

int cmd_fleet(struct cli_ctx *ctx, int argc, char **argv);     /* cli/cmd_fleet.c */
int cmd_report(struct cli_ctx *ctx, int argc, char **argv);   /* cli/cmd_report.c */
int cmd_timeline(struct cli_ctx *ctx, int argc, char **argv); /* cli/cmd_timeline.c */

/* cli/cmd_timeline.c, for status and report too. */
struct cJSON;
struct vl_client;
/* "90", "90s", "5m", "5min", "2h", "1d" into seconds at most max; -EINVAL. */
int cli_parse_duration(const char *s, uint64_t max, uint64_t *ret);
/* GetTimeline's pages merged into *ret ({"resolution", "samples"}); 0, or
 * -errno with why (a Varlink error's name, -EPROTO) filled. */
int cli_timeline_fetch(struct vl_client *c, int64_t since, int64_t until, unsigned resolution, const char *tunnel,
                       struct cJSON **ret, char *why, size_t why_len);
/* The last hour's sparklines of tunnel (round trips, loss), two lines
 * indented under it; nothing when the hour has no measurement. */
void cli_timeline_sparks(FILE *f, const struct cJSON *timeline, const char *tunnel, int64_t now);
/* report --record: a Record of duration s on every tunnel, with its progress
 * on a terminal's stderr; Ctrl-C (or TERM) ends it early and its samples
 * still come. 0 and *ret (Record's reply, the pages merged), or -errno with
 * why filled. */
int cli_record(const struct cli_ctx *ctx, unsigned duration, struct cJSON **ret, char *why, size_t why_len);
/* timeline.html from the report's (cleaned) parts: timeline.json,
 * history.json and recording.json (each may be NULL). NULL: out of memory. */
char *cli_timeline_page(const char *timeline, size_t tl_len, const char *history, size_t h_len,
                        const char *recording, size_t r_len, int64_t since, int64_t until, int64_t now);

/* cli/output.c: the human renderer shared by lint, status, check and watch. */
const char *out_sev_color(const struct cli_ctx *ctx, enum vd_severity s); /* "" without colour */
const char *out_reset(const struct cli_ctx *ctx);
struct cJSON;
/* The width of the severity column in the reader's language, and one
 * severity word there, padded to width columns (coloured on a tty). */
size_t out_sev_width(void);
void out_sev_label(const struct cli_ctx *ctx, FILE *f, enum vd_severity s, size_t width);
/* One finding, indented: severity, title, summary, remedy (wrapped); the
 * title, summary and remedy in the reader's language when it has them. */
void out_finding(const struct cli_ctx *ctx, FILE *f, const struct cJSON *finding, bool with_remedy);
/* A health, OpenVPN state, probe status or event word of the daemon as
 * people read it: ours translated, one we do not know as it came. */
const char *out_health_word(const char *w);
const char *out_state_word(const char *w);
const char *out_probe_word(const char *w);
const char *out_event_word(const char *w);
/* Exit status for the worst severity: none/info 0, warning 1, error 2. */
int out_exit_for(enum vd_severity worst);
/* Text from the daemon (a summary, a tunnel name, a path, a probe's error:
 * any of it may come from a user's profile or process) printed escaped
 * (vd_text_escape); out_field pads it to width terminal columns. */
void out_text(FILE *f, const char *s);
void out_field(FILE *f, const char *s, int width);
/* Text of several lines (ours, holding values from elsewhere): each line
 * escaped, the newlines kept. */
void out_lines(FILE *f, const char *text);
/* Print a cJSON value as one JSON document and a newline. */
void out_json(FILE *f, const struct cJSON *v);

#endif
