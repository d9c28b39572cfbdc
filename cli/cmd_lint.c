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
#include "vpndoctor/profile.h"
#include "vpndoctor/rules.h"

static void usage(FILE *f)
{
	fputs("Usage: vpndoctor lint PROFILE [--json] [--at TIME] [--basedir DIR]\n"
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
	      "  -h, --help     show this help\n", f);
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
			return "--basedir";
	} else {
		if (!s)
			snprintf(dir, sizeof(dir), ".");
		else if (s == path)
			snprintf(dir, sizeof(dir), "/");
		else
			snprintf(dir, sizeof(dir), "%.*s", (int)(s - path), path);
		if (realpath(dir, real) && strcmp(real, resolved) == 0)
			return "the profile's folder; --basedir changes it";
	}
	return "set by `cd` in the profile";
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
	printf("  %d problems, in file order:\n", i);
	for (int j = 0; j < i; j++) {
		const char *sev = cJSON_GetStringValue(cJSON_GetObjectItem(v[j].p, "severity"));

		if (v[j].line > 0)
			printf("    line %-5d %-7s ", v[j].line, sev ? sev : "");
		else
			printf("    %-10s %-7s ", "", sev ? sev : "");
		/* a message may quote the profile: escaped */
		out_text(stdout, cJSON_GetStringValue(cJSON_GetObjectItem(v[j].p, "message")));
		putchar('\n');
	}
	free(v);
}

static void print_human(const struct cli_ctx *ctx, const char *path, const char *basedir,
                        const cJSON *sec, const cJSON *findings, int64_t now)
{
	const cJSON *it;
	const char *base = cJSON_GetStringValue(cJSON_GetObjectItem(sec, "basedir"));
	char tb[40];
	bool first = true;

	printf("Profile ");
	out_text(stdout, path);
	putchar('\n');
	if (base) {
		printf("  relative paths resolved against ");
		out_text(stdout, base);
		printf(" (%s)\n", base_origin(path, basedir, base));
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(sec, "remotes")) {
		printf("  %s ", first ? "remote " : "       ");
		out_text(stdout, cJSON_GetStringValue(cJSON_GetObjectItem(it, "host")));
		printf(" port %d/", (int)cJSON_GetNumberValue(cJSON_GetObjectItem(it, "port")));
		out_text(stdout, cJSON_GetStringValue(cJSON_GetObjectItem(it, "proto")));
		putchar('\n');
		first = false;
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(sec, "certs")) {
		int64_t na = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(it, "not_after"));
		int64_t nb = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(it, "not_before"));
		/* whole days, as the rules count them */
		int64_t days = (na >= now ? na - now : now - na) / 86400;

		printf("  %-7s ", cJSON_GetStringValue(cJSON_GetObjectItem(it, "role")));
		out_text(stdout, cJSON_GetStringValue(cJSON_GetObjectItem(it, "subject")));
		printf(", valid until %s (", vd_format_time(na, tb, sizeof(tb)));
		if (nb > now)
			printf("not valid before %s)\n", vd_format_time(nb, tb, sizeof(tb)));
		else if (na < now)
			printf("expired %lld days ago)\n", (long long)days);
		else
			printf("%lld days left)\n", (long long)days);
	}
	print_problems(sec);
	printf("\n");
	if (cJSON_GetArraySize(findings) == 0) {
		printf("No problems found.\n");
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
						fprintf(stderr, "vpndoctor lint: one profile at a time ('%s' is extra)\n",
						        argv[optind]);
						return CLI_EXIT_USAGE;
					}
					path = argv[optind];
				}
				break;
			}
			if (path) {
				fprintf(stderr, "vpndoctor lint: one profile at a time ('%s' is extra)\n", argv[optind]);
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
				fprintf(stderr, "vpndoctor lint: --at '%s' is not a time "
				        "(2026-11-27, 2026-11-27T10:00:00Z or @EPOCH)\n", optarg);
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
			fprintf(stderr, "vpndoctor lint: %s needs a value\n", argv[optind - 1]);
			fputs("Try 'vpndoctor lint --help'.\n", stderr);
			return CLI_EXIT_USAGE;
		default:
			fprintf(stderr, "vpndoctor lint: unknown option '%s'\n", argv[optind - 1]);
			fputs("Try 'vpndoctor lint --help'.\n", stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (!path) {
		fprintf(stderr, "vpndoctor lint: which profile? Give the path of an OpenVPN client config.\n");
		fputs("Try 'vpndoctor lint --help'.\n", stderr);
		return CLI_EXIT_USAGE;
	}

	r = vd_profile_check(path, &opts, &sec);
	if (r < 0) {
		fprintf(stderr, "vpndoctor lint: cannot check %s: %s\n", path, strerror(-r));
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
		fprintf(stderr, "vpndoctor lint: the rules failed: %s\n", strerror(-r));
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
	fprintf(stderr, "vpndoctor lint: out of memory\n");
out:
	cJSON_Delete(findings);
	cJSON_Delete(facts);
	cJSON_Delete(sec);
	return rc;
}
