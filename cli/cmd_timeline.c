/* vpndoctor timeline: the daemon's per-minute timeline (GetTimeline), as a
 * table per tunnel or as JSON; and the last hour of it for `status`, whose
 * sparklines lib/tlchart.c draws. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <unistd.h>
#include <langinfo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "vpndoctor/common.h"
#include "vpndoctor/i18n.h"
#include "vpndoctor/text.h"
#include "vpndoctor/tlchart.h"
#include "vpndoctor/varlink.h"

#include "cli.h"
#include "varlink_client.h"

#define TL_MAX_RES 86400

static const char *jstr(const cJSON *o, const char *k, const char *def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : def;
}

static double jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* "90", "90s", "5m", "5min", "2h", "7d": seconds, or -EINVAL. */
int cli_parse_duration(const char *s, uint64_t max, uint64_t *ret)
{
	size_t n = strspn(s, "0123456789");
	char num[24];
	const char *unit = s + n;
	uint64_t v, mult;

	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	if (!*unit || strcmp(unit, "s") == 0)
		mult = 1;
	else if (strcmp(unit, "m") == 0 || strcmp(unit, "min") == 0)
		mult = 60;
	else if (strcmp(unit, "h") == 0)
		mult = 3600;
	else if (strcmp(unit, "d") == 0)
		mult = 86400;
	else
		return -EINVAL;
	if (vd_parse_u64(num, 0, UINT64_MAX / 86400, &v) < 0 || v * mult > max)
		return -EINVAL;
	*ret = v * mult;
	return 0;
}

/* A TIME of vd_parse_time, "now", or "-DURATION" before now. */
static int parse_when(const char *s, int64_t now, int64_t *ret)
{
	uint64_t d;

	if (strcmp(s, "now") == 0) {
		*ret = now;
		return 0;
	}
	if (s[0] == '-') {
		if (cli_parse_duration(s + 1, 10 * 366 * 86400ull, &d) < 0)
			return -EINVAL;
		*ret = now - (int64_t)d;
		return 0;
	}
	return vd_parse_time(s, ret);
}

int cli_timeline_fetch(struct vl_client *c, int64_t since, int64_t until, unsigned resolution, const char *tunnel,
                       cJSON **ret, char *why, size_t why_len)
{
	cJSON *params = cJSON_CreateObject(), *all = cJSON_CreateObject();
	struct vd_varlink_reply reply;
	int r = -ENOMEM;

	if (!params || !all || !cJSON_AddNumberToObject(params, "since", (double)since) ||
	    !cJSON_AddNumberToObject(params, "until", (double)until) ||
	    !cJSON_AddNumberToObject(params, "resolution", resolution) ||
	    (tunnel && !cJSON_AddStringToObject(params, "tunnel", tunnel)))
		goto out;
	r = vl_client_call(c, "io.vpndoctor.GetTimeline", params, VD_VARLINK_CALL_MORE);
	while (r == 0) {
		bool more;

		r = vl_client_read(c, &reply);
		if (r < 0)
			break;
		if (reply.error) {
			snprintf(why, why_len, "%s", reply.error);
			vd_varlink_reply_done(&reply);
			r = -EPROTO;
			break;
		}
		more = reply.continues;
		r = vl_merge(all, reply.parameters);
		vd_varlink_reply_done(&reply);
		if (!more)
			break;
	}
	if (r == 0) {
		*ret = all;
		all = NULL;
	} else if (r != -EPROTO) {
		snprintf(why, why_len, "%s", strerror(-r));
	}
out:
	cJSON_Delete(params);
	cJSON_Delete(all);
	return r;
}

/* UTF-8 blocks when the locale's character set is UTF-8 (vd_i18n_init set
 * the locale from the environment). */
static bool utf8_locale(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

void cli_timeline_sparks(FILE *f, const cJSON *timeline, const char *tunnel, int64_t now)
{
	const cJSON *samples = cJSON_GetObjectItemCaseSensitive(timeline, "samples");
	int64_t end = now - now % 60;
	char line[60 * 3 + 1], legend[64];
	bool utf8 = utf8_locale();

	if (vd_tlchart_spark(samples, tunnel, end, 60, 60, VD_TLCHART_RTT, utf8, line, sizeof(line), legend,
	                     sizeof(legend)) +
	            vd_tlchart_spark(samples, tunnel, end, 60, 60, VD_TLCHART_LOSS, utf8, line, sizeof(line), NULL, 0) ==
	    0)
		return; /* nothing measured in the hour: no picture of nothing */
	vd_tlchart_spark(samples, tunnel, end, 60, 60, VD_TLCHART_RTT, utf8, line, sizeof(line), legend,
	                 sizeof(legend));
	fputs("  ", f);
	/* TRANSLATORS: the label of a one-line chart of the last hour's round trips (4 columns) */
	vd_text_pad(f, _("rtt"), 6);
	fprintf(f, "%s  %s\n", line, legend);
	vd_tlchart_spark(samples, tunnel, end, 60, 60, VD_TLCHART_LOSS, utf8, line, sizeof(line), legend,
	                 sizeof(legend));
	fputs("  ", f);
	/* TRANSLATORS: the label of a one-line chart of the last hour's packet loss (4 columns) */
	vd_text_pad(f, _("loss"), 6);
	fprintf(f, "%s  %s\n", line, legend);
}

/* ---- the table --------------------------------------------------------------------- */

/* v with decimals digits after the point (a sign when signed), then unit;
 * "-" when not measured. */
static void fig(char *buf, size_t len, double v, int decimals, const char *unit, bool sign)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (sign)
		snprintf(buf, len, "%+.*f%s", decimals, v, unit);
	else
		snprintf(buf, len, "%.*f%s", decimals, v, unit);
}

/* A column head in terminal columns (it may be Japanese): left-aligned in
 * -width columns, right-aligned in width, then the gap. */
static void head(const char *h, int width)
{
	size_t w = vd_text_width(h), want = (size_t)(width < 0 ? -width : width);

	if (width > 0)
		for (size_t i = w; i < want; i++)
			putchar(' ');
	fputs(h, stdout);
	if (width < 0)
		for (size_t i = w; i < want; i++)
			putchar(' ');
	fputs("  ", stdout);
}

static void print_header(const cJSON *s, unsigned res)
{
	char *name = vd_text_escape_dup(jstr(s, "tunnel", "?"));

	printf("\n");
	printf(_("tunnel %s, every %u s:\n"), name ? name : "?", res);
	free(name);
	/* TRANSLATORS: column heads of the timeline; keep each within its width */
	head(_("TIME"), -20);
	head(_("STATE"), -12);
	head(_("IN min/med/p95"), -17);
	head(_("LOSS"), 5);
	head(_("BACK"), 5);
	head(_("OUT med/p95"), -11);
	head(_("LOSS"), 5);
	head(_("JIT"), 5);
	head(_("HS"), 6);
	head(_("CLOCK"), 7);
	printf("%s\n", _("RX/TX Mbit/s"));
}

static void print_sample(const cJSON *s)
{
	const cJSON *in = cJSON_GetObjectItemCaseSensitive(s, "inside");
	const cJSON *back = cJSON_GetObjectItemCaseSensitive(s, "reflected");
	const cJSON *out = cJSON_GetObjectItemCaseSensitive(s, "outside");
	char when[64], a[16], b[16], c[16], d[48], e[48], l1[16], l2[16], l3[16], jit[16], hs[16], clk[16], rx[16],
		tx[16];
	int64_t t = (int64_t)jnum(s, "time");

	vd_i18n_format_time(t, when, sizeof(when));
	fig(a, sizeof(a), jnum(in, "rtt_min_ms"), 1, "", false);
	fig(b, sizeof(b), jnum(in, "rtt_median_ms"), 1, "", false);
	fig(c, sizeof(c), jnum(in, "rtt_p95_ms"), 1, "", false);
	snprintf(d, sizeof(d), "%s/%s/%s", a, b, c);
	fig(a, sizeof(a), jnum(out, "rtt_median_ms"), 1, "", false);
	fig(b, sizeof(b), jnum(out, "rtt_p95_ms"), 1, "", false);
	snprintf(e, sizeof(e), "%s/%s", a, b);
	fig(l1, sizeof(l1), jnum(in, "loss_pct"), 0, "%", false);
	fig(l2, sizeof(l2), jnum(back, "loss_pct"), 0, "%", false);
	fig(l3, sizeof(l3), jnum(out, "loss_pct"), 0, "%", false);
	fig(jit, sizeof(jit), jnum(in, "jitter_ms"), 1, "", false);
	fig(hs, sizeof(hs), jnum(s, "handshake_ms"), 0, "", false);
	fig(clk, sizeof(clk), jnum(s, "clock_offset_s"), 3, "", true);
	fig(rx, sizeof(rx), jnum(s, "rx_mbps"), 2, "", false);
	fig(tx, sizeof(tx), jnum(s, "tx_mbps"), 2, "", false);
	vd_text_pad(stdout, when, 20);
	fputs("  ", stdout);
	out_field(stdout, out_state_word(jstr(s, "state", "?")), 12);
	printf("  %-17s  %5s  %5s  %-11s  %5s  %5s  %6s  %7s  %s/%s\n", d, l1, l2, e, l3, jit, hs, clk, rx, tx);
}

static int usage(void)
{
	fprintf(stderr, "%s", _("usage: vpndoctor [--socket PATH] timeline [--tunnel NAME] [--since TIME] [--until TIME]\n"
	                        "       [--resolution DURATION] [--json]\n"));
	return CLI_EXIT_USAGE;
}

/* The samples come in pages, printed as they come: the CLI holds one page
 * whatever the window, and --json still prints one document. */
int cmd_timeline(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *tunnel = NULL, *prev = NULL;
	int64_t now = (int64_t)time(NULL), since = now - 86400, until = now;
	uint64_t res = 60;
	struct vd_varlink_reply reply;
	struct vl_client *c;
	cJSON *params;
	char *prev_name = NULL;
	size_t n = 0;
	int r;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			printf("%s", _("usage: vpndoctor [--socket PATH] timeline [--tunnel NAME] [--since TIME] [--until TIME]\n"
			               "       [--resolution DURATION] [--json]\n"
			               "Prints what the daemon measured per tunnel and minute (kept 7 days): round\n"
			               "trips inside the tunnel (min/median/p95) and outside it, loss both ways,\n"
			               "jitter, handshake time, clock offset, throughput and state. By default the\n"
			               "last 24 hours, per minute. TIME: 2026-11-27, 2026-11-27T10:00:00Z, @EPOCH,\n"
			               "now, or -DURATION before now (-2h); DURATION: 90s, 5m, 1h, 1d (a multiple\n"
			               "of a minute, at most a day).\n"));
			return CLI_EXIT_OK;
		}
		if (strcmp(a, "--tunnel") == 0 && v && *v) {
			tunnel = argv[++i];
		} else if (strcmp(a, "--since") == 0 && v) {
			if (parse_when(argv[++i], now, &since) < 0) {
				fprintf(stderr, _("vpndoctor: --since: not a time: %s\n"), argv[i]);
				return CLI_EXIT_USAGE;
			}
		} else if (strcmp(a, "--until") == 0 && v) {
			if (parse_when(argv[++i], now, &until) < 0) {
				fprintf(stderr, _("vpndoctor: --until: not a time: %s\n"), argv[i]);
				return CLI_EXIT_USAGE;
			}
		} else if (strcmp(a, "--resolution") == 0 && v) {
			if (cli_parse_duration(argv[++i], TL_MAX_RES, &res) < 0 || res < 60 || res % 60) {
				fprintf(stderr, _("vpndoctor: --resolution: not a whole number of minutes up to a day: %s\n"),
				        argv[i]);
				return CLI_EXIT_USAGE;
			}
		} else {
			return usage();
		}
	}
	if (until <= since) {
		fprintf(stderr, "%s", _("vpndoctor: --until must come after --since\n"));
		return CLI_EXIT_USAGE;
	}
	params = cJSON_CreateObject();
	if (!params || !cJSON_AddNumberToObject(params, "since", (double)since) ||
	    !cJSON_AddNumberToObject(params, "until", (double)until) ||
	    !cJSON_AddNumberToObject(params, "resolution", (double)res) ||
	    (tunnel && !cJSON_AddStringToObject(params, "tunnel", tunnel))) {
		cJSON_Delete(params);
		return CLI_EXIT_UNKNOWN;
	}
	r = vl_client_connect(ctx->socket_path, &c);
	if (r < 0) {
		fprintf(stderr, _("vpndoctor: cannot reach vpndoctord at %s: %s\n"), ctx->socket_path, strerror(-r));
		cJSON_Delete(params);
		return CLI_EXIT_UNKNOWN;
	}
	r = vl_client_call(c, "io.vpndoctor.GetTimeline", params, VD_VARLINK_CALL_MORE);
	cJSON_Delete(params);
	if (r < 0) {
		fprintf(stderr, _("vpndoctor: cannot send to vpndoctord at %s: %s\n"), ctx->socket_path, strerror(-r));
		vl_client_free(c);
		return CLI_EXIT_UNKNOWN;
	}
	if (ctx->json)
		printf("{\"resolution\":%" PRIu64 ",\"samples\":[", res);
	for (;;) {
		const cJSON *samples, *s;
		bool more;

		r = vl_client_read(c, &reply);
		if (r < 0) {
			fprintf(stderr, _("vpndoctor: bad reply from vpndoctord at %s: %s\n"), ctx->socket_path,
			        r == -ECONNRESET ? _("the connection was closed") : strerror(-r));
			r = CLI_EXIT_UNKNOWN;
			break;
		}
		if (reply.error) {
			if (strcmp(reply.error, "io.vpndoctor.NoSuchTunnel") == 0) {
				fprintf(stderr, _("vpndoctor: no such tunnel: %s\n"), tunnel ? tunnel : "?");
				r = CLI_EXIT_USAGE;
			} else if (strcmp(reply.error, VD_VARLINK_ERROR_PERMISSION_DENIED) == 0) {
				fprintf(stderr, "%s", _("vpndoctor: vpndoctord denied GetTimeline: only root and members of "
				                        "group vpndoctor may query it\n"));
				r = CLI_EXIT_UNKNOWN;
			} else {
				fprintf(stderr, _("vpndoctor: GetTimeline failed: %s\n"), reply.error);
				r = CLI_EXIT_UNKNOWN;
			}
			vd_varlink_reply_done(&reply);
			break;
		}
		samples = cJSON_GetObjectItemCaseSensitive(reply.parameters, "samples");
		cJSON_ArrayForEach(s, samples) {
			if (ctx->json) {
				char *t = cJSON_PrintUnformatted(s);

				if (n)
					putchar(',');
				vd_text_fputs_json(stdout, t ? t : "null");
				free(t);
			} else {
				const char *name = jstr(s, "tunnel", "?");

				if (!prev || strcmp(prev, name) != 0) {
					free(prev_name);
					prev = prev_name = strdup(name);
					print_header(s, (unsigned)res);
				}
				print_sample(s);
			}
			n++;
		}
		more = reply.continues;
		vd_varlink_reply_done(&reply);
		if (!more) {
			r = CLI_EXIT_OK;
			break;
		}
	}
	free(prev_name);
	if (ctx->json)
		fputs("]}\n", stdout);
	else if (r == CLI_EXIT_OK && n == 0)
		printf("%s", _("no samples in that window\n"));
	vl_client_free(c);
	return fflush(stdout) == 0 || r != CLI_EXIT_OK ? r : CLI_EXIT_UNKNOWN;
}

/* ---- report: the recording and the page ------------------------------------------- */

static volatile sig_atomic_t record_interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	record_interrupted = 1;
}

int cli_record(const struct cli_ctx *ctx, unsigned duration, cJSON **ret, char *why, size_t why_len)
{
	struct sigaction sa = {.sa_handler = on_interrupt}, old_int, old_term;
	bool tty = isatty(STDERR_FILENO), stopping = false;
	struct vd_varlink_reply reply;
	cJSON *params = cJSON_CreateObject(), *all = cJSON_CreateObject();
	struct vl_client *c = NULL;
	int r;

	if (!params || !all || !cJSON_AddNumberToObject(params, "duration", duration)) {
		r = -ENOMEM;
		goto out;
	}
	r = vl_client_connect(ctx->socket_path, &c);
	if (r < 0) {
		snprintf(why, why_len, _("cannot reach vpndoctord at %s: %s"), ctx->socket_path, strerror(-r));
		goto out;
	}
	/* Ctrl-C (or a TERM) ends the recording early: the daemon still sends
	 * what it has, and the report is written with it. No SA_RESTART: the
	 * read is interrupted. A second one stops us as usual. */
	record_interrupted = 0;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	vl_client_set_interrupt(c, &record_interrupted);
	r = vl_client_call(c, "io.vpndoctor.Record", params, VD_VARLINK_CALL_MORE);
	while (r == 0) {
		const cJSON *pr;

		r = vl_client_read(c, &reply);
		if (r == -EINTR) {
			record_interrupted = 0;
			vl_client_set_interrupt(c, NULL);
			stopping = true;
			if (tty)
				fprintf(stderr, "\n%s\n", _("ending the recording early; the report follows"));
			r = vl_client_shutdown_write(c);
			continue;
		}
		if (r < 0) {
			snprintf(why, why_len, "%s", r == -ECONNRESET ? _("the connection was closed") : strerror(-r));
			break;
		}
		if (reply.error) {
			if (strcmp(reply.error, "io.vpndoctor.RecordingBusy") == 0)
				snprintf(why, why_len, "%s", _("another recording is running (vpndoctor report --record "
				                              "elsewhere); try again when it ends"));
			else
				snprintf(why, why_len, "Record: %s", reply.error);
			vd_varlink_reply_done(&reply);
			r = -EPROTO;
			break;
		}
		pr = cJSON_GetObjectItemCaseSensitive(reply.parameters, "progress");
		if (cJSON_IsObject(pr)) {
			if (tty && !stopping)
			{
				fputc('\r', stderr);
				fprintf(stderr, _("recording: %.0f of %.0f s, %.0f samples (Ctrl-C ends it early) "),
				        jnum(pr, "elapsed_s"), jnum(pr, "duration_s"), jnum(pr, "samples"));
			}
			vd_varlink_reply_done(&reply);
			continue;
		}
		r = vl_merge(all, reply.parameters);
		if (!reply.continues) {
			vd_varlink_reply_done(&reply);
			break;
		}
		vd_varlink_reply_done(&reply);
	}
	if (tty && !stopping)
		fputc('\n', stderr);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (r == 0) {
		*ret = all;
		all = NULL;
	} else if (r == -ENOMEM) {
		snprintf(why, why_len, "%s", strerror(ENOMEM));
	}
out:
	vl_client_free(c);
	cJSON_Delete(params);
	cJSON_Delete(all);
	return r;
}

char *cli_timeline_page(const char *timeline, size_t tl_len, const char *history, size_t h_len,
                        const char *recording, size_t r_len, int64_t since, int64_t until, int64_t now)
{
	cJSON *t = timeline ? cJSON_ParseWithLength(timeline, tl_len) : NULL;
	cJSON *h = history ? cJSON_ParseWithLength(history, h_len) : NULL;
	cJSON *rec = recording ? cJSON_ParseWithLength(recording, r_len) : NULL;
	char *page = vd_tlchart_html(cJSON_GetObjectItemCaseSensitive(t, "samples"),
	                             cJSON_GetObjectItemCaseSensitive(h, "events"), rec, since, until, now);

	cJSON_Delete(t);
	cJSON_Delete(h);
	cJSON_Delete(rec);
	return page;
}
