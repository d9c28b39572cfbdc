/* vpndoctor lint: check a client profile offline. Builds a facts snapshot with
 * only the profile section and lets the rules judge it, as the daemon would. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "vpndoctor/common.h"
#include "vpndoctor/i18n.h"
#include "vpndoctor/profile.h"
#include "vpndoctor/rules.h"
#include "vpndoctor/text.h"

static void usage(FILE *f)
{
	fputs(_("Usage: vpndoctor lint PROFILE [--json] [--at TIME] [--basedir DIR]\n"
	        "\n"
	        "Check an OpenVPN client profile and every file it references, offline:\n"
	        "syntax, remotes, certificates (dates, key match, CA, strength), keys and\n"
	        "tls-auth/tls-crypt keys. Exit status: 0 no problem (or only notes),\n"
	        "1 warning, 2 error, 64 usage error.\n"
	        "\n"
	        "  --json         print {\"profile\": PATH, \"findings\": [...]}\n"
	        "  --at TIME      judge certificate dates at TIME instead of now\n"
	        "                 (2026-11-27, \"2026-11-27 10:00:00\", 2026-11-27T10:00:00Z, @EPOCH; UTC)\n"
	        "  --basedir DIR  resolve relative file names against DIR instead of the\n"
	        "                 profile's folder (a `cd` in the profile still wins)\n"
	        "  -h, --help     show this help\n"),
	      f);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s && s[1] ? s + 1 : p;
}

/* Where the base folder came from, for the one line that tells the user. */
static const char *base_origin(const char *path, const char *basedir, const char *resolved)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *s = strrchr(path, '/');

	if (basedir) {
		if (realpath(basedir, real) && strcmp(real, resolved) == 0)
			return _("--basedir");
	} else {
		if (!s)
			snprintf(dir, sizeof(dir), ".");
		else if (s == path)
			snprintf(dir, sizeof(dir), "/");
		else
			snprintf(dir, sizeof(dir), "%.*s", (int)(s - path), path);
		if (realpath(dir, real) && strcmp(real, resolved) == 0)
			return _("the profile's folder; --basedir changes it");
	}
	return _("set by `cd` in the profile");
}

struct pline {
	const cJSON *p;
	int line;
	int idx;
};

static int pline_cmp(const void *a, const void *b)
{
	const struct pline *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* A finding's summary carries one problem (the worst); with several, the
 * user needs the whole list to fix the profile in one go. */
static void print_problems(const cJSON *sec)
{
	const cJSON *probs = cJSON_GetObjectItem(sec, "problems"), *p;
	int n = cJSON_GetArraySize(probs), i = 0;
	struct pline *v;

	if (n < 2)
		return;
	v = calloc((size_t)n, sizeof(*v));
	if (!v)
		return;
	cJSON_ArrayForEach(p, probs) {
		if (i >= n)
			break;
		v[i].p = p;
		v[i].line = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(p, "line"));
		v[i].idx = i;
		i++;
	}
	qsort(v, (size_t)i, sizeof(*v), pline_cmp);
	printf(P_("  %d problem, in file order:\n", "  %d problems, in file order:\n", (unsigned long)i), i);
	for (int j = 0; j < i; j++) {
		const char *sev = cJSON_GetStringValue(cJSON_GetObjectItem(v[j].p, "severity"));
		/* the problem in the reader's language (the check's English without) */
		char *msg = vd_i18n_render_member(v[j].p, "message_i18n", "message"), where[64] = "";
		enum vd_severity sv;
		size_t sw = out_sev_width() > 7 ? out_sev_width() : 7;

		if (v[j].line > 0)
			/* TRANSLATORS: a line of the profile (lint's list of problems) */
			snprintf(where, sizeof(where), _("line %-5d"), v[j].line);
		fputs("    ", stdout);
		vd_text_pad(stdout, where, 10);
		putchar(' ');
		vd_text_pad(stdout, sev && vd_severity_parse(sev, &sv) == 0 ? vd_severity_label(sv) : sev ? sev : "", sw);
		/* a message may quote the profile: escaped */
		putchar(' ');
		out_text(stdout, msg);
		putchar('\n');
		free(msg);
	}
	free(v);
}

static void print_human(const struct cli_ctx *ctx, const char *path, const char *basedir,
                        const cJSON *sec, const cJSON *findings, int64_t now)
{
	const cJSON *it;
	const char *base = cJSON_GetStringValue(cJSON_GetObjectItem(sec, "basedir"));
	/* TRANSLATORS: lint: the label before the profile's remote servers */
	const char *rl = _("remote");
	size_t rw = vd_text_width(rl) + 1;
	char tb[64], *esc;
	bool first = true;

	/* what came from the profile (paths, names) escaped before it is printed */
	esc = vd_text_escape_dup(path);
	printf(_("Profile %s\n"), esc ? esc : "?");
	free(esc);
	if (base) {
		esc = vd_text_escape_dup(base);
		/* TRANSLATORS: a folder, then where it came from */
		printf(_("  relative paths resolved against %s (%s)\n"), esc ? esc : "?", base_origin(path, basedir, base));
		free(esc);
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(sec, "remotes")) {
		fputs("  ", stdout);
		vd_text_pad(stdout, first ? rl : "", rw);
		putchar(' ');
		out_text(stdout, cJSON_GetStringValue(cJSON_GetObjectItem(it, "host")));
		putchar(' ');
		esc = vd_text_escape_dup(cJSON_GetStringValue(cJSON_GetObjectItem(it, "proto")));
		/* TRANSLATORS: a remote's port and protocol (udp, tcp) */
		printf(_("port %d/%s\n"), (int)cJSON_GetNumberValue(cJSON_GetObjectItem(it, "port")), esc ? esc : "");
		free(esc);
		first = false;
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(sec, "certs")) {
		int64_t na = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(it, "not_after"));
		int64_t nb = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(it, "not_before"));
		/* whole days, as the rules count them */
		int64_t days = (na >= now ? na - now : now - na) / 86400;

		printf("  %-7s ", cJSON_GetStringValue(cJSON_GetObjectItem(it, "role")));
		esc = vd_text_escape_dup(cJSON_GetStringValue(cJSON_GetObjectItem(it, "subject")));
		/* TRANSLATORS: a certificate's subject and its notAfter date */
		printf(_("%s, valid until %s"), esc ? esc : "", vd_i18n_format_time(na, tb, sizeof(tb)));
		free(esc);
		fputs(" (", stdout);
		if (nb > now)
			printf(_("not valid before %s"), vd_i18n_format_time(nb, tb, sizeof(tb)));
		else if (na < now)
			/* English keeps "days" for 1 too, as it always printed */
			printf(P_("expired %lld days ago", "expired %lld days ago", (unsigned long)days), (long long)days);
		else
			printf(P_("%lld days left", "%lld days left", (unsigned long)days), (long long)days);
		puts(")");
	}
	print_problems(sec);
	printf("\n");
	if (cJSON_GetArraySize(findings) == 0) {
		printf("%s\n", _("No problems found."));
		return;
	}
	cJSON_ArrayForEach(it, findings)
		out_finding(ctx, stdout, it, true);
}

int cmd_lint(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "at", required_argument, NULL, 'a' },
		{ "basedir", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vd_profile_opts opts = { 0 };
	const char *path = NULL;
	cJSON *sec = NULL, *facts = NULL, *tunnels, *tun, *findings = NULL;
	int64_t now = (int64_t)time(NULL);
	bool json = ctx->json;
	int c, r, rc = CLI_EXIT_ERROR;

	/* "+" stops at the first operand instead of reordering argv; operands
	 * are collected here so options may still follow the profile. */
	optind = 0;
	opterr = 0;
	while (optind < argc) {
		c = getopt_long(argc, argv, "+:h", longopts, NULL);
		if (c == -1) {
			if (optind >= argc)
				break;
			if (optind > 1 && strcmp(argv[optind - 1], "--") == 0) {
				for (; optind < argc; optind++) {
					if (path) {
						fprintf(stderr, _("vpndoctor lint: one profile at a time ('%s' is extra)\n"),
						        argv[optind]);
						return CLI_EXIT_USAGE;
					}
					path = argv[optind];
				}
				break;
			}
			if (path) {
				fprintf(stderr, _("vpndoctor lint: one profile at a time ('%s' is extra)\n"), argv[optind]);
				return CLI_EXIT_USAGE;
			}
			path = argv[optind++];
			continue;
		}
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'a':
			if (vd_parse_time(optarg, &now) < 0) {
				fprintf(stderr,
				        _("vpndoctor lint: --at '%s' is not a time "
				          "(2026-11-27, 2026-11-27T10:00:00Z or @EPOCH)\n"),
				        optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'b':
			opts.basedir = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case ':':
			fprintf(stderr, _("vpndoctor lint: %s needs a value\n"), argv[optind - 1]);
			fputs(_("Try 'vpndoctor lint --help'.\n"), stderr);
			return CLI_EXIT_USAGE;
		default:
			fprintf(stderr, _("vpndoctor lint: unknown option '%s'\n"), argv[optind - 1]);
			fputs(_("Try 'vpndoctor lint --help'.\n"), stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (!path) {
		fputs(_("vpndoctor lint: which profile? Give the path of an OpenVPN client config.\n"), stderr);
		fputs(_("Try 'vpndoctor lint --help'.\n"), stderr);
		return CLI_EXIT_USAGE;
	}

	r = vd_profile_check(path, &opts, &sec);
	if (r < 0) {
		fprintf(stderr, _("vpndoctor lint: cannot check %s: %s\n"), path, strerror(-r));
		return CLI_EXIT_ERROR;
	}
	facts = cJSON_CreateObject();
	tunnels = cJSON_AddArrayToObject(facts, "tunnels");
	tun = cJSON_CreateObject();
	if (!facts || !tunnels || !tun || !cJSON_AddItemToArray(tunnels, tun) ||
	    !cJSON_AddNumberToObject(facts, "now", (double)now) ||
	    !cJSON_AddStringToObject(tun, "name", base_name(path))) {
		cJSON_Delete(tun);
		goto oom;
	}
	cJSON_AddItemToObject(tun, "profile", sec);
	sec = NULL;
	r = vd_rules_run(facts, false, &findings);
	if (r < 0) {
		fprintf(stderr, _("vpndoctor lint: the rules failed: %s\n"), strerror(-r));
		goto out;
	}
	if (json) {
		cJSON *doc = cJSON_CreateObject();

		if (!doc || !cJSON_AddStringToObject(doc, "profile", path)) {
			cJSON_Delete(doc);
			goto oom;
		}
		cJSON_AddItemToObject(doc, "findings", findings);
		findings = NULL;
		out_json(stdout, doc);
		rc = out_exit_for(vd_findings_worst(cJSON_GetObjectItem(doc, "findings")));
		cJSON_Delete(doc);
	} else {
		print_human(ctx, path, opts.basedir,
		            cJSON_GetObjectItem(cJSON_GetArrayItem(tunnels, 0), "profile"), findings, now);
		rc = out_exit_for(vd_findings_worst(findings));
	}
	goto out;
oom:
	fputs(_("vpndoctor lint: out of memory\n"), stderr);
out:
	cJSON_Delete(findings);
	cJSON_Delete(facts);
	cJSON_Delete(sec);
	return rc;
}
