/* vpndoctor-notify: the per-user agent that turns vpndoctord's findings into
 * desktop notifications. Options and start-up here; the work is in agent.c. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-event.h>

#include "agent.h"
#include "nlog.h"
#include "settings.h"
#include "vpndoctor/i18n.h"

#define DEFAULT_SOCKET "/run/vpndoctor/io.vpndoctor"
#define EXIT_USAGE 64

static void usage(FILE *f)
{
	fprintf(f,
	        _("usage: vpndoctor-notify [OPTION]...\n"
	          "Shows vpndoctord's findings about your VPN as desktop notifications.\n\n"
	          "  -s, --socket PATH        vpndoctord's control socket ($VPNDOCTOR_SOCKET,\n"
	          "                           default %s)\n"
	          "  -c, --config FILE        settings (default $XDG_CONFIG_HOME/vpndoctor/notify.conf)\n"
	          "      --min-severity SEV   info, warning or error: nothing below it is shown\n"
	          "      --once               notify the findings open now, then exit\n"
	          "  -v, --verbose            log debug messages\n"
	          "      --version            print the version and exit\n"
	          "  -h, --help               print this help and exit\n\n"
	          "See vpndoctor-notify(1).\n"),
	        DEFAULT_SOCKET);
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	nlog(LOG_INFO, "stopping on signal %u", si->ssi_signo);
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

int main(int argc, char **argv)
{
	enum { OPT_MIN_SEVERITY = 256, OPT_ONCE, OPT_VERSION };
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"config", required_argument, NULL, 'c'},
		{"min-severity", required_argument, NULL, OPT_MIN_SEVERITY},
		{"once", no_argument, NULL, OPT_ONCE},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, OPT_VERSION},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *socket_path = getenv("VPNDOCTOR_SOCKET"), *config = NULL, *min_sev = NULL;
	bool once = false, verbose = false;
	struct settings set;
	struct vd_error err = {0};
	struct agent *a = NULL;
	sd_event *e = NULL;
	char path[4096];
	sigset_t mask;
	int c, r, status = 1;

	vd_i18n_init();
	while ((c = getopt_long(argc, argv, "s:c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 's': socket_path = optarg; break;
		case 'c': config = optarg; break;
		case 'v': verbose = true; break;
		case OPT_MIN_SEVERITY: min_sev = optarg; break;
		case OPT_ONCE: once = true; break;
		case OPT_VERSION:
			printf("vpndoctor-notify %s\n", VD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, _("vpndoctor-notify: unexpected argument '%s'\n"), argv[optind]);
		return EXIT_USAGE;
	}
	if (!socket_path || !socket_path[0])
		socket_path = DEFAULT_SOCKET;
	nlog_init(verbose);

	settings_init(&set);
	if (config) {
		r = settings_load(&set, config, &err);
	} else if (settings_default_path(path, sizeof(path)) == 0) {
		r = settings_load(&set, path, &err);
		if (r == -ENOENT)
			r = 0; /* no file: the defaults */
	} else {
		r = 0;
	}
	if (r < 0) {
		if (err.line)
			fprintf(stderr, "vpndoctor-notify: %s:%u: %s\n", err.file, err.line, err.msg);
		else if (err.file[0])
			fprintf(stderr, "vpndoctor-notify: %s: %s\n", err.file, err.msg);
		else
			fprintf(stderr, _("vpndoctor-notify: cannot read the settings: %s\n"), strerror(-r));
		goto out;
	}
	if (min_sev && (vd_severity_parse(min_sev, &set.min_severity) < 0 || set.min_severity == VD_SEV_NONE)) {
		fprintf(stderr, _("vpndoctor-notify: --min-severity: '%s' is not info, warning or error\n"), min_sev);
		status = EXIT_USAGE;
		goto out;
	}

	/* signals and children are events of the loop */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	r = sd_event_default(&e);
	if (r >= 0)
		r = sd_event_add_signal(e, NULL, SIGTERM, on_signal, NULL);
	if (r >= 0)
		r = sd_event_add_signal(e, NULL, SIGINT, on_signal, NULL);
	if (r < 0) {
		fprintf(stderr, _("vpndoctor-notify: cannot set up the event loop: %s\n"), strerror(-r));
		goto out;
	}
	r = agent_new(e, socket_path, &set, once, &a);
	if (r < 0) {
		fprintf(stderr, _("vpndoctor-notify: cannot connect to the session bus: %s\n"), strerror(-r));
		goto out;
	}
	r = sd_event_loop(e);
	if (r < 0)
		nlog(LOG_ERR, "event loop: %s", strerror(-r));
	status = r != 0 ? 1 : agent_exit_status(a);
	if (r > 0 && agent_exit_status(a) == 0)
		nlog(LOG_ERR, "the session bus went away: exiting");
out:
	agent_free(a);
	sd_event_unref(e);
	settings_done(&set);
	return status;
}
