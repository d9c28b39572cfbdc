/* vpndoctor: global options, then one command from the table below. The
 * commands live one group per file (cmd_*.c) and return the exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "vpndoctor/i18n.h"

#define DEFAULT_SOCKET "/run/vpndoctor/io.vpndoctor"

struct command {
	const char *name;
	int (*fn)(struct cli_ctx *ctx, int argc, char **argv);
	const char *args;
	const char *help;
};

static const struct command commands[] = {
	{"status", cmd_status, "", N_("health, findings and probes from the daemon")},
	{"check", cmd_check, "[--probe NAME]...", N_("run the probes now and show the result")},
	{"watch", cmd_watch, "", N_("print findings as they open, change and resolve")},
	{"history", cmd_history, "[--since TIME] [--limit N]", N_("past opened and resolved findings")},
	{"facts", cmd_facts, "[--tunnel NAME]", N_("the facts the daemon's rules see now (JSON)")},
	{"timeline", cmd_timeline, "[--tunnel NAME] [--since TIME] ...", N_("what was measured per minute, 7 days kept")},
	{"report", cmd_report, "[-o FILE] [--anonymize] [--no-daemon]", N_("one tar.gz for the network team, without secrets")},
	{"lint", cmd_lint, "PROFILE [--at TIME] [--basedir DIR]", N_("check an OpenVPN client profile offline")},
	{"causes", cmd_causes, "", N_("list the causes vpndoctor knows")},
	{"explain", cmd_explain, "CAUSE", N_("describe one cause and what to do about it")},
	{"fleet", cmd_fleet, "[--directory DIR] [--since TIME] ...", N_("many laptops' findings from a journal directory")},
	{"config", cmd_config, "", N_("the daemon's configuration, each value's origin")},
};

static void usage(FILE *f)
{
	fputs(_("Usage: vpndoctor [--socket PATH] [--json] COMMAND [ARGS]\n\n"
	        "Diagnoses OpenVPN (SSL-VPN) connections.\n\nCommands:\n"),
	      f);
	for (size_t i = 0; i < VD_ARRAY_SIZE(commands); i++) {
		char left[64];
		snprintf(left, sizeof(left), "%s %s", commands[i].name, commands[i].args);
		fprintf(f, "  %-44s %s\n", left, _(commands[i].help));
	}
	fprintf(f,
	        _("\nOptions:\n"
	          "  --socket PATH   the daemon's socket (default: $VPNDOCTOR_SOCKET, else\n"
	          "                  %s)\n"
	          "  --json          print JSON instead of text (any position)\n"
	          "  --help          this text ('vpndoctor COMMAND --help' for a command)\n"
	          "  --version       print the version\n\n"
	          "Exit status: 0 healthy, 1 warning, 2 error, 3 unknown or daemon unreachable,\n"
	          "64 usage error. See vpndoctor(1).\n"),
	        DEFAULT_SOCKET);
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = {0};
	const char *env = getenv("VPNDOCTOR_SOCKET");
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");
	char **args;
	int n = 0, i;
	bool dashdash = false;

	vd_i18n_init();
	ctx.socket_path = env && *env ? env : DEFAULT_SOCKET;
	/* no-color.org: NO_COLOR set to any non-empty value turns colour off. */
	ctx.color = isatty(STDOUT_FILENO) && !(nc && *nc) && !(term && strcmp(term, "dumb") == 0);

	/* --json and --socket may come anywhere (before "--"); everything else
	 * goes to the command in order. */
	args = calloc((size_t)argc + 1, sizeof(*args));
	if (!args) {
		fprintf(stderr, _("vpndoctor: out of memory\n"));
		return CLI_EXIT_UNKNOWN;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!dashdash && strcmp(a, "--") == 0) {
			dashdash = true;
			args[n++] = argv[i];
		} else if (!dashdash && strcmp(a, "--json") == 0) {
			ctx.json = true;
		} else if (!dashdash && strcmp(a, "--socket") == 0) {
			if (i + 1 >= argc || !*argv[i + 1]) {
				fprintf(stderr, _("vpndoctor: --socket needs a PATH\n"));
				free(args);
				return CLI_EXIT_USAGE;
			}
			ctx.socket_path = argv[++i];
		} else if (!dashdash && strncmp(a, "--socket=", 9) == 0) {
			if (!a[9]) {
				fprintf(stderr, _("vpndoctor: --socket needs a PATH\n"));
				free(args);
				return CLI_EXIT_USAGE;
			}
			ctx.socket_path = a + 9;
		} else if (n == 0 && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
			usage(stdout);
			free(args);
			return CLI_EXIT_OK;
		} else if (n == 0 && (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0)) {
			printf("vpndoctor %s\n", VD_VERSION);
			free(args);
			return CLI_EXIT_OK;
		} else if (n == 0 && a[0] == '-' && a[1]) {
			fprintf(stderr, _("vpndoctor: unknown option '%s'\n\n"), a);
			usage(stderr);
			free(args);
			return CLI_EXIT_USAGE;
		} else {
			args[n++] = argv[i];
		}
	}
	if (n == 0 || strcmp(args[0], "--") == 0) {
		usage(stderr);
		free(args);
		return CLI_EXIT_USAGE;
	}
	for (size_t k = 0; k < VD_ARRAY_SIZE(commands); k++) {
		if (strcmp(args[0], commands[k].name) == 0) {
			int r = commands[k].fn(&ctx, n, args);
			free(args);
			return r;
		}
	}
	fprintf(stderr, _("vpndoctor: unknown command '%s'\n\n"), args[0]);
	usage(stderr);
	free(args);
	return CLI_EXIT_USAGE;
}
