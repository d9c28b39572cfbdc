/* The daemon's commands: status, check, watch, history. Each is one Varlink
 * call to vpndoctord; --json prints the reply's parameters as they came. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "vpndoctor/common.h"
#include "vpndoctor/confdump.h"
#include "vpndoctor/i18n.h"
#include "vpndoctor/rules.h"
#include "vpndoctor/text.h"
#include "vpndoctor/varlink.h"

#include "cli.h"
#include "varlink_client.h"

#define MAX_PROBE_ARGS 64
/* The lines of status the CLI wraps stay within this many columns. */
#define STATUS_WIDTH 78

static const char *jstr(const cJSON *o, const char *key, const char *def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring ? v->valuestring : def;
}

static bool jint(const cJSON *o, const char *key, int64_t *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v))
		return false;
	*ret = (int64_t)v->valuedouble;
	return true;
}

static int connect_daemon(const struct cli_ctx *ctx, struct vl_client **ret)
{
	int r = vl_client_connect(ctx->socket_path, ret);

	if (r < 0)
		fprintf(stderr, _("vpndoctor: cannot reach vpndoctord at %s: %s\n"), ctx->socket_path, strerror(-r));
	return r;
}

/* Reads one reply; prints why not (or the daemon's error) and returns the
 * exit status to use, or -1 with *reply filled on success. */
static int read_reply(const struct cli_ctx *ctx, struct vl_client *c, const char *method,
                      struct vd_varlink_reply *reply)
{
	int r = vl_client_read(c, reply);
	char *params, *esc;

	if (r == -ECONNRESET) {
		fprintf(stderr, _("vpndoctor: vpndoctord at %s closed the connection\n"), ctx->socket_path);
		return CLI_EXIT_UNKNOWN;
	}
	if (r < 0) {
		fprintf(stderr, _("vpndoctor: bad reply from vpndoctord at %s: %s\n"), ctx->socket_path,
		        r == -EBADMSG ? _("not a Varlink reply") : strerror(-r));
		return CLI_EXIT_UNKNOWN;
	}
	if (!reply->error)
		return -1;

	if (strcmp(reply->error, VD_VARLINK_ERROR_PERMISSION_DENIED) == 0) {
		fprintf(stderr, _("vpndoctor: vpndoctord denied %s: only root and members of group "
		                  "vpndoctor may query it\n"),
		        method);
		r = CLI_EXIT_UNKNOWN;
	} else if (strcmp(reply->error, "io.vpndoctor.NoSuchTunnel") == 0) {
		esc = vd_text_escape_dup(jstr(reply->parameters, "tunnel", "?"));
		fprintf(stderr, _("vpndoctor: no such tunnel: %s\n"), esc ? esc : "?");
		free(esc);
		r = CLI_EXIT_USAGE;
	} else if (strcmp(reply->error, "io.vpndoctor.NoSuchProbe") == 0) {
		esc = vd_text_escape_dup(jstr(reply->parameters, "probe", "?"));
		fprintf(stderr, _("vpndoctor: no such probe: %s\n"), esc ? esc : "?");
		free(esc);
		r = CLI_EXIT_USAGE;
	} else {
		char *e1, *e2;

		params = cJSON_PrintUnformatted(reply->parameters);
		e1 = vd_text_escape_dup(reply->error);
		e2 = vd_text_escape_dup(params ? params : "");
		/* TRANSLATORS: a method of the daemon, the Varlink error and its parameters */
		fprintf(stderr, _("vpndoctor: %s failed: %s %s\n"), method, e1 ? e1 : "", e2 ? e2 : "");
		free(e1);
		free(e2);
		free(params);
		r = CLI_EXIT_UNKNOWN;
	}
	vd_varlink_reply_done(reply);
	return r;
}

static int health_exit(const char *health)
{
	/* idle: no client runs, and nothing is wrong with what is there */
	if (strcmp(health, "healthy") == 0 || strcmp(health, "idle") == 0)
		return CLI_EXIT_OK;
	if (strcmp(health, "degraded") == 0)
		return CLI_EXIT_WARNING;
	if (strcmp(health, "broken") == 0)
		return CLI_EXIT_ERROR;
	return CLI_EXIT_UNKNOWN;
}

static enum vd_severity finding_severity(const cJSON *f)
{
	enum vd_severity s;

	if (vd_severity_parse(jstr(f, "severity", ""), &s) < 0)
		return VD_SEV_NONE;
	return s;
}

static const char *health_severity_color(const struct cli_ctx *ctx, const char *health)
{
	if (strcmp(health, "broken") == 0)
		return out_sev_color(ctx, VD_SEV_ERROR);
	if (strcmp(health, "degraded") == 0)
		return out_sev_color(ctx, VD_SEV_WARNING);
	if (strcmp(health, "healthy") == 0)
		return out_sev_color(ctx, VD_SEV_INFO);
	return "";
}

/* pre, then a word (a daemon's word escaped), then post, into buf. */
static void clean_word(char *buf, size_t len, const char *pre, const char *w, const char *post)
{
	size_t n = (size_t)snprintf(buf, len, "%s", pre);

	if (n < len)
		n += vd_text_escape(buf + n, len - n, w, strlen(w));
	if (n < len)
		snprintf(buf + n, len - n, "%s", post);
}

static void format_age(int64_t age, char *buf, size_t len)
{
	long long n;

	if (age < 0) {
		snprintf(buf, len, "-");
	} else if (age < 120) {
		n = (long long)age;
		/* TRANSLATORS: a probe's last run, seconds ago (short) */
		snprintf(buf, len, P_("%llds ago", "%llds ago", (unsigned long)n), n);
	} else if (age < 2 * 3600) {
		n = (long long)(age / 60);
		/* TRANSLATORS: minutes ago (short) */
		snprintf(buf, len, P_("%lldm ago", "%lldm ago", (unsigned long)n), n);
	} else if (age < 2 * 86400) {
		n = (long long)(age / 3600);
		/* TRANSLATORS: hours ago (short) */
		snprintf(buf, len, P_("%lldh ago", "%lldh ago", (unsigned long)n), n);
	} else {
		n = (long long)(age / 86400);
		/* TRANSLATORS: days ago (short) */
		snprintf(buf, len, P_("%lldd ago", "%lldd ago", (unsigned long)n), n);
	}
}

static bool is_suppressed(const cJSON *f)
{
	return cJSON_IsString(cJSON_GetObjectItemCaseSensitive(f, "suppressed_by"));
}

/* The health as the text says it: "healthy" only when nothing was left
 * unchecked; with causes the rules could not decide it is "partly checked"
 * (the JSON's health and the exit status stay "healthy": vpndoctor(1)). */
static const char *health_text_word(const char *health, int unchecked)
{
	if (strcmp(health, "healthy") == 0 && unchecked > 0)
		/* TRANSLATORS: the health of status' text when no finding is open
		 * but some causes could not be checked ("not checked: ...") */
		return C_("health", "partly checked");
	return out_health_word(health);
}

/* "degraded: 1 error, 2 warnings on 2 tunnels" */
static void print_health_line(const struct cli_ctx *ctx, const cJSON *status, const char *health)
{
	const cJSON *findings = cJSON_GetObjectItemCaseSensitive(status, "findings");
	const cJSON *tunnels = cJSON_GetObjectItemCaseSensitive(status, "tunnels");
	unsigned n[4] = {0};
	const cJSON *f, *t;
	int nt = cJSON_GetArraySize(tunnels), nu = 0;

	char hw[160], counts[256] = "", part[64];
	size_t l = 0;

	cJSON_ArrayForEach(f, findings)
		if (!is_suppressed(f))
			n[finding_severity(f)]++;
	cJSON_ArrayForEach(t, tunnels)
		nu += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(t, "unchecked"));
	clean_word(hw, sizeof(hw), health_severity_color(ctx, health), health_text_word(health, nu), out_reset(ctx));
	for (enum vd_severity s = VD_SEV_ERROR; s >= VD_SEV_INFO; s--) {
		if (!n[s])
			continue;
		if (s == VD_SEV_ERROR)
			snprintf(part, sizeof(part), P_("%u error", "%u errors", n[s]), n[s]);
		else if (s == VD_SEV_WARNING)
			snprintf(part, sizeof(part), P_("%u warning", "%u warnings", n[s]), n[s]);
		else
			snprintf(part, sizeof(part), P_("%u note", "%u notes", n[s]), n[s]);
		/* TRANSLATORS: between the counts of errors, warnings and notes */
		l += (size_t)snprintf(counts + l, sizeof(counts) - l, "%s%s", l ? C_("list", ", ") : "", part);
		if (l >= sizeof(counts))
			break;
	}
	/* TRANSLATORS: the health line of status: the health (healthy, degraded,
	 * broken...), then "1 error, 2 warnings" or "no findings", then how many
	 * tunnels */
	printf(P_("%s: %s on %d tunnel\n", "%s: %s on %d tunnels\n", (unsigned long)(nt < 0 ? 0 : nt)), hw,
	       *counts ? counts : _("no findings"), nt);
}

static void print_findings_of(const struct cli_ctx *ctx, const cJSON *findings, const char *tunnel)
{
	const cJSON *f;
	bool any = false;

	cJSON_ArrayForEach(f, findings) {
		if (strcmp(jstr(f, "tunnel", ""), tunnel) != 0 || is_suppressed(f))
			continue;
		out_finding(ctx, stdout, f, true);
		any = true;
	}
	if (!any)
		printf("  %s\n", _("no findings"));
}

/* A need of GetStatus's unchecked: a configuration key as it is, a state in
 * the reader's words. */
static const char *need_word(const char *need)
{
	if (strcmp(need, VD_NEED_CLIENT) == 0)
		return _("a running client");
	if (strcmp(need, VD_NEED_CONNECTED) == 0)
		return _("a connected tunnel");
	return need;
}

/* The needs of one entry (e), or of all of them (e NULL, each once, in the
 * order they first come), as "Targets=, CloudFacts=" into buf (vd_text_wrap
 * escapes it on the way out). */
static void needs_text(const cJSON *unchecked, const cJSON *e, char *buf, size_t len)
{
	const char *seen[16];
	size_t n_seen = 0, l = 0;
	const cJSON *x, *n;

	buf[0] = '\0';
	cJSON_ArrayForEach(x, unchecked) {
		if (e && x != e)
			continue;
		cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(x, "needs")) {
			const char *w;
			bool dup = false;

			if (!cJSON_IsString(n))
				continue;
			for (size_t i = 0; i < n_seen; i++)
				dup |= strcmp(seen[i], n->valuestring) == 0;
			if (dup || n_seen == VD_ARRAY_SIZE(seen))
				continue;
			seen[n_seen++] = n->valuestring;
			w = need_word(n->valuestring);
			if (l + strlen(w) + 3 >= len)
				continue;
			l += (size_t)snprintf(buf + l, len - l, "%s%s", l ? C_("list", ", ") : "", w);
		}
	}
}

/* What the facts of a tunnel could not decide: one line, or each cause with
 * its reason under --verbose; wrapped within the status's 78 columns. */
/* A tunnel in its settle window, after a sleep or a move: why nothing about
 * its reconnection shows yet. */
static void print_settling(const cJSON *t)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(t, "settling"), *a;
	const cJSON *until = cJSON_GetObjectItemCaseSensitive(st, "until");
	bool resume = false, roam = false;
	char when[64], line[400];

	if (!cJSON_IsNumber(until))
		return;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(st, "after")) {
		resume |= cJSON_IsString(a) && strcmp(a->valuestring, "resume") == 0;
		roam |= cJSON_IsString(a) && strcmp(a->valuestring, "roam") == 0;
	}
	vd_i18n_format_time((int64_t)until->valuedouble, when, sizeof(when));
	/* TRANSLATORS: %s is a time; after a sleep or a change of network, what
	 * a tunnel that reconnects by itself shows is not a finding until then */
	snprintf(line, sizeof(line),
	         resume && !roam ? _("settling after a resume: a tunnel that reconnects by itself is no finding until %s")
	         : roam && !resume
	                 ? _("settling after a change of network: a tunnel that reconnects by itself is no finding until %s")
	                 : _("settling after a resume or a change of network: a tunnel that reconnects by itself is no "
	                     "finding until %s"),
	         when);
	vd_text_wrap(stdout, line, "  ", STATUS_WIDTH);
}

static void print_unchecked(const cJSON *t, bool verbose)
{
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(t, "unchecked"), *e;
	int n = cJSON_GetArraySize(u);
	char needs[512], line[1024];

	if (n <= 0)
		return;
	needs_text(u, NULL, needs, sizeof(needs));
	if (verbose)
		snprintf(line, sizeof(line), P_("not checked: %d cause", "not checked: %d causes", (unsigned long)n), n);
	else if (*needs)
		/* TRANSLATORS: how many causes could not be checked on a tunnel,
		 * then what would let them be (configuration keys such as Targets=,
		 * or "a running client") */
		snprintf(line, sizeof(line),
		         P_("not checked: %d cause (need %s); vpndoctor status --verbose lists it",
		            "not checked: %d causes (need %s); vpndoctor status --verbose lists them", (unsigned long)n),
		         n, needs);
	else
		snprintf(line, sizeof(line),
		         P_("not checked: %d cause; vpndoctor status --verbose lists it",
		            "not checked: %d causes; vpndoctor status --verbose lists them", (unsigned long)n),
		         n);
	vd_text_wrap(stdout, line, "  ", STATUS_WIDTH);
	if (!verbose)
		return;
	cJSON_ArrayForEach(e, u) {
		char *reason = vd_i18n_render_member(e, "reason_message", "reason");

		needs_text(u, e, needs, sizeof(needs));
		if (*needs)
			/* TRANSLATORS: a cause that could not be checked, why, and
			 * what would let it be */
			snprintf(line, sizeof(line), _("%s: %s (need %s)"), jstr(e, "cause", "?"), reason ? reason : "",
			         needs);
		else
			/* TRANSLATORS: a cause that could not be checked, and why */
			snprintf(line, sizeof(line), _("%s: %s"), jstr(e, "cause", "?"), reason ? reason : "");
		vd_text_wrap(stdout, line, "    ", STATUS_WIDTH);
		free(reason);
	}
}

/* timeline (may be NULL): the last hour of GetTimeline, drawn under each tunnel. */
static void print_status(const struct cli_ctx *ctx, const cJSON *status, const cJSON *timeline, bool verbose)
{
	const cJSON *tunnels = cJSON_GetObjectItemCaseSensitive(status, "tunnels");
	const cJSON *findings = cJSON_GetObjectItemCaseSensitive(status, "findings");
	const cJSON *probes = cJSON_GetObjectItemCaseSensitive(status, "probes");
	const char *health = jstr(status, "health", "unknown");
	const cJSON *t, *f, *p;
	bool orphans = false;

	print_health_line(ctx, status, health);
	if (cJSON_GetArraySize(tunnels) == 0)
		fputs(_("no tunnel configured or discovered: no [Tunnel] in vpndoctor.conf and no openvpn\n"
		        "client runs in the daemon's network namespace (see vpndoctor.conf(5))\n"),
		      stdout);

	cJSON_ArrayForEach(t, tunnels) {
		const char *name = jstr(t, "name", "?"), *th = jstr(t, "health", "unknown");

		char hw[160], sw[96], *nm = vd_text_escape_dup(name);

		clean_word(hw, sizeof(hw), health_severity_color(ctx, th),
		           health_text_word(th, cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(t, "unchecked"))),
		           out_reset(ctx));
		clean_word(sw, sizeof(sw), "", out_state_word(jstr(t, "state", "unknown")), "");
		putchar('\n');
		/* TRANSLATORS: a tunnel's name, its health, its OpenVPN state */
		printf(_("tunnel %s: %s, %s"), nm ? nm : "?", hw, sw);
		free(nm);
		if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "config"))) {
			printf(" (");
			out_text(stdout, jstr(t, "config", ""));
			printf(")");
		}
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "discovered")))
			/* TRANSLATORS: a tunnel found running, not configured */
			printf(" [%s]", _("discovered"));
		printf("\n");
		if (timeline)
			cli_timeline_sparks(stdout, timeline, name, (int64_t)time(NULL));
		print_settling(t);
		if (strcmp(th, "idle") == 0)
			vd_text_wrap(stdout, _("idle: no OpenVPN client runs, so nothing in the tunnel can be checked"), "  ",
			             STATUS_WIDTH);
		print_findings_of(ctx, findings, name);
		print_unchecked(t, verbose);
	}
	/* Findings of no listed tunnel (host-wide ones) still show. */
	cJSON_ArrayForEach(f, findings) {
		bool listed = false;

		cJSON_ArrayForEach(t, tunnels)
			if (strcmp(jstr(t, "name", ""), jstr(f, "tunnel", "")) == 0)
				listed = true;
		if (listed || is_suppressed(f))
			continue;
		if (!orphans)
			/* TRANSLATORS: findings of no listed tunnel */
			printf("\n%s\n", _("other:"));
		orphans = true;
		out_finding(ctx, stdout, f, true);
	}

	if (cJSON_GetArraySize(probes) > 0) {
		printf("\n%s\n", _("probes:"));
		cJSON_ArrayForEach(p, probes) {
			const char *tn = jstr(p, "tunnel", "-"), *st = jstr(p, "status", "unknown");
			const char *color = strcmp(st, "fail") == 0 ? out_sev_color(ctx, VD_SEV_ERROR) : "";
			int64_t age, dur;
			char agebuf[64];

			snprintf(agebuf, sizeof(agebuf), "%s", C_("probe age", "never"));
			if (jint(p, "age_s", &age))
				format_age(age, agebuf, sizeof(agebuf));
			printf("  ");
			out_field(stdout, jstr(p, "name", "?"), 12);
			putchar(' ');
			out_field(stdout, tn, 12);
			printf(" %s", color);
			out_field(stdout, out_probe_word(st), 8);
			printf("%s ", *color ? out_reset(ctx) : "");
			vd_text_pad(stdout, agebuf, 9);
			if (jint(p, "duration_ms", &dur)) {
				putchar(' ');
				/* TRANSLATORS: how long a probe ran, in milliseconds */
				printf(_("%lld ms"), (long long)dur);
			}
			if (jstr(p, "error", NULL) && *jstr(p, "error", "")) {
				char *error = vd_i18n_render_member(p, "error_message", "error");

				printf("  ");
				out_text(stdout, error ? error : jstr(p, "error", ""));
				free(error);
			}
			printf("\n");
		}
	}
}

static int finish_status(const struct cli_ctx *ctx, const cJSON *params, const cJSON *timeline, bool verbose)
{
	if (ctx->json)
		out_json(stdout, params);
	else
		print_status(ctx, params, timeline, verbose);
	return health_exit(jstr(params, "health", "unknown"));
}

/* The replies of GetStatus or Check called with "more": Check's progress
 * replies (printed when progress), then the status in pages, merged into
 * the one status they stand for and printed (with the last hour's pictures
 * when with_timeline, from a daemon that keeps a timeline: an older one
 * answers MethodNotFound, and there are none then). Returns the exit
 * status. */
static int read_status(const struct cli_ctx *ctx, struct vl_client *c, const char *method, bool progress,
                       bool with_timeline, bool verbose)
{
	struct vd_varlink_reply reply;
	bool had_progress = false;
	cJSON *status = cJSON_CreateObject();
	int r;

	for (;;) {
		const cJSON *pr;
		bool more;

		r = read_reply(ctx, c, method, &reply);
		if (r >= 0)
			break;
		more = reply.continues;
		pr = cJSON_GetObjectItemCaseSensitive(reply.parameters, "progress");
		if (more && cJSON_IsObject(pr)) {
			if (progress) {
				fputs("  ", stderr);
				out_field(stderr, jstr(pr, "probe", "?"), 12);
				fputc(' ', stderr);
				out_field(stderr, jstr(pr, "tunnel", "-"), 12);
				fputc(' ', stderr);
				out_text(stderr, out_probe_word(jstr(pr, "status", "?")));
				fputc('\n', stderr);
				had_progress = true;
			}
			vd_varlink_reply_done(&reply);
			continue;
		}
		if (!status || vl_merge(status, reply.parameters) < 0) {
			vd_varlink_reply_done(&reply);
			fprintf(stderr, "vpndoctor: out of memory\n");
			r = CLI_EXIT_UNKNOWN;
			break;
		}
		vd_varlink_reply_done(&reply);
		if (more)
			continue;
		if (had_progress)
			fprintf(stderr, "\n");
		cJSON *timeline = NULL;
		if (with_timeline && !ctx->json) {
			int64_t end = (int64_t)time(NULL) / 60 * 60;
			char why[128];

			cli_timeline_fetch(c, end - 3600, end, 60, NULL, &timeline, why, sizeof(why));
		}
		r = finish_status(ctx, status, timeline, verbose);
		cJSON_Delete(timeline);
		break;
	}
	cJSON_Delete(status);
	return r;
}

static bool is_json_flag(const char *a)
{
	return strcmp(a, "--json") == 0;
}

static bool is_verbose_flag(const char *a)
{
	return strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0;
}

static int usage(const char *text)
{
	fprintf(stderr, _("usage: vpndoctor [--socket PATH] %s [--json]\n"), text);
	return CLI_EXIT_USAGE;
}

int cmd_status(struct cli_ctx *ctx, int argc, char **argv)
{
	struct vl_client *c;
	bool verbose = false;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(_("usage: vpndoctor [--socket PATH] status [--verbose] [--json]\n"
			        "Shows the health of every tunnel, its findings, what could not be checked and the\n"
			        "probes' last results; --verbose lists each cause not checked and why.\n"),
			      stdout);
			return CLI_EXIT_OK;
		}
		if (is_verbose_flag(argv[i]))
			verbose = true;
		else if (!is_json_flag(argv[i]))
			return usage("status [--verbose]");
	}
	if (connect_daemon(ctx, &c) < 0)
		return CLI_EXIT_UNKNOWN;
	/* in pages (with "more"): no reply limit, whatever the tunnel count */
	r = vl_client_call(c, "io.vpndoctor.GetStatus", NULL, VD_VARLINK_CALL_MORE);
	if (r < 0) {
		fprintf(stderr, _("vpndoctor: cannot send to vpndoctord at %s: %s\n"), ctx->socket_path, strerror(-r));
		vl_client_free(c);
		return CLI_EXIT_UNKNOWN;
	}
	r = read_status(ctx, c, "GetStatus", false, true, verbose);
	vl_client_free(c);
	return r;
}

int cmd_check(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *probes[MAX_PROBE_ARGS];
	struct vl_client *c;
	size_t n = 0;
	bool progress = !ctx->json && isatty(STDERR_FILENO), verbose = false;
	cJSON *params = NULL, *arr;
	int i, r;

	for (i = 1; i < argc; i++) {
		const char *name = NULL;

		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(_("usage: vpndoctor [--socket PATH] check [--probe NAME]... [--verbose] [--json]\n"
			        "Runs the probes now (all, or those named) and shows the status after.\n"),
			      stdout);
			return CLI_EXIT_OK;
		}
		if (is_json_flag(argv[i]))
			continue;
		if (is_verbose_flag(argv[i])) {
			verbose = true;
			continue;
		}
		if ((strcmp(argv[i], "--probe") == 0 || strcmp(argv[i], "-p") == 0) && i + 1 < argc)
			name = argv[++i];
		else if (strncmp(argv[i], "--probe=", 8) == 0)
			name = argv[i] + 8;
		if (!name || !*name || n >= MAX_PROBE_ARGS)
			return usage("check [--probe NAME]...");
		probes[n++] = name;
	}
	if (n > 0) {
		params = cJSON_CreateObject();
		arr = cJSON_CreateStringArray(probes, (int)n);
		if (!params || !arr || !cJSON_AddItemToObject(params, "probes", arr)) {
			cJSON_Delete(arr);
			cJSON_Delete(params);
			return CLI_EXIT_UNKNOWN;
		}
	}
	if (connect_daemon(ctx, &c) < 0) {
		cJSON_Delete(params);
		return CLI_EXIT_UNKNOWN;
	}
	/* with "more": progress (shown on a terminal), then the status in pages */
	r = vl_client_call(c, "io.vpndoctor.Check", params, VD_VARLINK_CALL_MORE);
	cJSON_Delete(params);
	if (r < 0) {
		fprintf(stderr, _("vpndoctor: cannot send to vpndoctord at %s: %s\n"), ctx->socket_path, strerror(-r));
		vl_client_free(c);
		return CLI_EXIT_UNKNOWN;
	}
	r = read_status(ctx, c, "Check", progress, false, verbose);
	vl_client_free(c);
	return r;
}

static void print_event(const struct cli_ctx *ctx, const cJSON *ev)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(ev, "finding");
	const char *event = jstr(ev, "event", "?");
	char when[64] = "?";
	char *summary = vd_i18n_render_member(f, "summary_message", "summary");
	int64_t t;

	if (jint(ev, "time", &t))
		vd_i18n_format_time(t, when, sizeof(when));
	printf("%s ", when);
	out_field(stdout, out_event_word(event), 8);
	putchar(' ');
	{
		char *ca = vd_text_escape_dup(jstr(f, "cause", "?")), *tu = vd_text_escape_dup(jstr(f, "tunnel", "?"));
		char *su = vd_text_escape_dup(summary ? summary : "");

		/* TRANSLATORS: watch: a cause, the tunnel, the finding's summary */
		printf(_("%s on %s: %s\n"), ca ? ca : "?", tu ? tu : "?", su ? su : "");
		free(ca);
		free(tu);
		free(su);
	}
	free(summary);
	if (strcmp(event, "resolved") != 0)
		out_finding(ctx, stdout, f, strcmp(event, "opened") == 0);
}

int cmd_watch(struct cli_ctx *ctx, int argc, char **argv)
{
	struct vd_varlink_reply reply;
	struct vl_client *c;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(_("usage: vpndoctor [--socket PATH] watch [--json]\n"
			        "Prints each finding as it opens, changes or resolves, until interrupted.\n"),
			      stdout);
			return CLI_EXIT_OK;
		}
		if (!is_json_flag(argv[i]))
			return usage("watch");
	}
	if (connect_daemon(ctx, &c) < 0)
		return CLI_EXIT_UNKNOWN;
	r = vl_client_call(c, "io.vpndoctor.Subscribe", NULL, VD_VARLINK_CALL_MORE);
	if (r < 0) {
		fprintf(stderr, _("vpndoctor: cannot send to vpndoctord at %s: %s\n"), ctx->socket_path, strerror(-r));
		vl_client_free(c);
		return CLI_EXIT_UNKNOWN;
	}
	for (;;) {
		const char *event;

		r = read_reply(ctx, c, "Subscribe", &reply);
		if (r >= 0)
			break;
		event = jstr(reply.parameters, "event", "");
		if (strcmp(event, "subscribed") == 0) {
			if (!ctx->json)
				fprintf(stderr, _("watching vpndoctord at %s (Ctrl-C to stop)\n"), ctx->socket_path);
		} else if (ctx->json) {
			out_json(stdout, reply.parameters);
		} else {
			print_event(ctx, reply.parameters);
		}
		fflush(stdout);
		if (!reply.continues) {
			vd_varlink_reply_done(&reply);
			r = CLI_EXIT_OK;
			break;
		}
		vd_varlink_reply_done(&reply);
	}
	vl_client_free(c);
	return r;
}

static void print_history_event(const struct cli_ctx *ctx, const cJSON *e)
{
	enum vd_severity sev = VD_SEV_NONE;
	char when[64] = "?";
	int64_t t;

	if (jint(e, "time", &t))
		vd_i18n_format_time(t, when, sizeof(when));
	printf("%s  ", when);
	out_field(stdout, out_event_word(jstr(e, "event", "?")), 8);
	putchar(' ');
	if (vd_severity_parse(jstr(e, "severity", ""), &sev) == 0 && sev != VD_SEV_NONE) {
		out_sev_label(ctx, stdout, sev, 7 > out_sev_width() ? 7 : out_sev_width());
	} else {
		fputs(out_sev_color(ctx, sev), stdout);
		out_field(stdout, jstr(e, "severity", "?"), 7);
		fputs(out_reset(ctx), stdout);
	}
	putchar(' ');
	out_field(stdout, jstr(e, "tunnel", "?"), 12);
	putchar(' ');
	out_field(stdout, jstr(e, "cause", "?"), 22);
	putchar(' ');
	{
		char *summary = vd_i18n_render_member(e, "summary_message", "summary");
		out_text(stdout, summary ? summary : "");
		free(summary);
	}
	putchar('\n');
}

/* The history comes in pages (GetHistory with "more"), printed as they come:
 * the CLI holds one page whatever the history's size, and --json still
 * prints one document, {"events": [...]}, the pages' events in order. */
int cmd_history(struct cli_ctx *ctx, int argc, char **argv)
{
	struct vd_varlink_reply reply;
	struct vl_client *c;
	cJSON *params;
	int64_t since = -1;
	uint64_t limit = 0;
	size_t n = 0;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(_("usage: vpndoctor [--socket PATH] history [--since TIME] [--limit N] [--json]\n"
			        "Lists findings opened and resolved, oldest first. TIME: 2026-11-27,\n"
			        "2026-11-27T10:00:00Z or @EPOCH (UTC).\n"),
			      stdout);
			return CLI_EXIT_OK;
		}
		if (is_json_flag(argv[i]))
			continue;
		if (strcmp(argv[i], "--since") == 0 && i + 1 < argc) {
			if (vd_parse_time(argv[++i], &since) < 0) {
				fprintf(stderr, _("vpndoctor: --since: not a time: %s\n"), argv[i]);
				return CLI_EXIT_USAGE;
			}
		} else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
			if (vd_parse_u64(argv[++i], 1, 1000000, &limit) < 0) {
				fprintf(stderr, _("vpndoctor: --limit: not a number in 1..1000000: %s\n"), argv[i]);
				return CLI_EXIT_USAGE;
			}
		} else {
			return usage("history [--since TIME] [--limit N]");
		}
	}
	params = cJSON_CreateObject();
	if (!params || (since >= 0 && !cJSON_AddNumberToObject(params, "since", (double)since)) ||
	    (limit > 0 && !cJSON_AddNumberToObject(params, "limit", (double)limit))) {
		cJSON_Delete(params);
		return CLI_EXIT_UNKNOWN;
	}
	if (connect_daemon(ctx, &c) < 0) {
		cJSON_Delete(params);
		return CLI_EXIT_UNKNOWN;
	}
	r = vl_client_call(c, "io.vpndoctor.GetHistory", params, VD_VARLINK_CALL_MORE);
	cJSON_Delete(params);
	if (r < 0) {
		fprintf(stderr, _("vpndoctor: cannot send to vpndoctord at %s: %s\n"), ctx->socket_path, strerror(-r));
		vl_client_free(c);
		return CLI_EXIT_UNKNOWN;
	}
	if (ctx->json)
		fputs("{\"events\":[", stdout);
	for (;;) {
		const cJSON *events, *e;
		bool more;

		r = read_reply(ctx, c, "GetHistory", &reply);
		if (r >= 0)
			break; /* an error, after the pages before it went out */
		events = cJSON_GetObjectItemCaseSensitive(reply.parameters, "events");
		cJSON_ArrayForEach(e, events) {
			if (ctx->json) {
				char *t = cJSON_PrintUnformatted(e);

				if (n)
					putchar(',');
				vd_text_fputs_json(stdout, t ? t : "null");
				free(t);
			} else {
				print_history_event(ctx, e);
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
	if (ctx->json)
		fputs("]}\n", stdout);
	else if (r == CLI_EXIT_OK && n == 0)
		printf("%s\n", _("no events"));
	vl_client_free(c);
	return fflush(stdout) == 0 || r != CLI_EXIT_OK ? r : CLI_EXIT_UNKNOWN;
}

int cmd_facts(struct cli_ctx *ctx, int argc, char **argv)
{
	struct vd_varlink_reply reply;
	struct vl_client *c;
	const char *tunnel = NULL;
	cJSON *params, *merged;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(_("usage: vpndoctor [--socket PATH] facts [--tunnel NAME] [--json]\n"
			        "Prints the facts snapshot the daemon's rules see now (docs/facts.md):\n"
			        "indented JSON, or one line with --json.\n"),
			      stdout);
			return CLI_EXIT_OK;
		}
		if (is_json_flag(argv[i]))
			continue;
		if (strcmp(argv[i], "--tunnel") == 0 && i + 1 < argc && argv[i + 1][0])
			tunnel = argv[++i];
		else if (strncmp(argv[i], "--tunnel=", 9) == 0 && argv[i][9])
			tunnel = argv[i] + 9;
		else
			return usage("facts [--tunnel NAME]");
	}
	params = cJSON_CreateObject();
	if (!params || (tunnel && !cJSON_AddStringToObject(params, "tunnel", tunnel))) {
		cJSON_Delete(params);
		return CLI_EXIT_UNKNOWN;
	}
	if (connect_daemon(ctx, &c) < 0) {
		cJSON_Delete(params);
		return CLI_EXIT_UNKNOWN;
	}
	r = vl_client_call(c, "io.vpndoctor.GetFacts", params, VD_VARLINK_CALL_MORE);
	cJSON_Delete(params);
	if (r < 0) {
		fprintf(stderr, _("vpndoctor: cannot send to vpndoctord at %s: %s\n"), ctx->socket_path, strerror(-r));
		vl_client_free(c);
		return CLI_EXIT_UNKNOWN;
	}
	/* pages: "now" and "host" first, then runs of "tunnels", merged into
	 * the one snapshot they are */
	merged = cJSON_CreateObject();
	for (;;) {
		bool more;

		r = read_reply(ctx, c, "GetFacts", &reply);
		if (r >= 0)
			break;
		more = reply.continues;
		if (!merged || vl_merge(merged, reply.parameters) < 0) {
			vd_varlink_reply_done(&reply);
			fprintf(stderr, _("vpndoctor: out of memory\n"));
			r = CLI_EXIT_UNKNOWN;
			break;
		}
		vd_varlink_reply_done(&reply);
		if (more)
			continue;
		if (ctx->json) {
			out_json(stdout, merged);
		} else {
			char *s = cJSON_Print(cJSON_GetObjectItemCaseSensitive(merged, "facts"));
			if (s)
				vd_text_fputs_json(stdout, s);
			putchar('\n');
			free(s);
		}
		r = CLI_EXIT_OK;
		break;
	}
	cJSON_Delete(merged);
	vl_client_free(c);
	return r;
}

/* The configuration the daemon runs with, each value with its origin. */
int cmd_config(struct cli_ctx *ctx, int argc, char **argv)
{
	struct vd_varlink_reply reply;
	struct vl_client *c;
	char *text = NULL;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(_("usage: vpndoctor [--socket PATH] config [--json]\n"
			        "Prints the configuration vpndoctord runs with: vpndoctor.conf and its\n"
			        "drop-ins merged, each value after a comment naming the file and line it\n"
			        "comes from; keys no file sets are commented out with their built-in value.\n"
			        "'vpndoctord --dump-config' prints the same from the files on disk.\n"),
			      stdout);
			return CLI_EXIT_OK;
		}
		if (!is_json_flag(argv[i]))
			return usage("config");
	}
	if (connect_daemon(ctx, &c) < 0)
		return CLI_EXIT_UNKNOWN;
	r = vl_client_call(c, "io.vpndoctor.GetConfig", NULL, 0);
	if (r < 0) {
		fprintf(stderr, _("vpndoctor: cannot send to vpndoctord at %s: %s\n"), ctx->socket_path, strerror(-r));
		vl_client_free(c);
		return CLI_EXIT_UNKNOWN;
	}
	r = read_reply(ctx, c, "GetConfig", &reply);
	if (r < 0) {
		r = CLI_EXIT_OK;
		if (ctx->json) {
			out_json(stdout, reply.parameters);
		} else if (vd_confdump_text(reply.parameters, &text) == 0) {
			out_lines(stdout, text);
			free(text);
		} else {
			fprintf(stderr, _("vpndoctor: vpndoctord's GetConfig reply has an unexpected shape\n"));
			r = CLI_EXIT_UNKNOWN;
		}
		vd_varlink_reply_done(&reply);
	}
	vl_client_free(c);
	return r;
}
