/* vpndoctord: options, paths, the one event loop, signals and systemd's
 * notification protocol. The daemon never goes to the background: it runs in
 * the foreground, as systemd (Type=notify) and a terminal both want. Started
 * as root it prepares what needs root (state directory, socket) and splits
 * into a privileged parent and the engine (daemon/priv.h) before anything
 * else runs. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "config.h"
#include "connectivity.h"
#include "control.h"
#include "gwmemory.h"
#include "history.h"
#include "lifecycle.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "priv.h"
#include "scheduler.h"
#include "timeline.h"
#include "vpndoctor/confdump.h"

#define DEFAULT_SYSTEM_SOCKET "/run/vpndoctor/io.vpndoctor"
#define DEFAULT_SYSTEM_STATE "/var/lib/vpndoctor"
#define DEFAULT_USER "vpndoctor"

struct opts {
	const char *config;
	const char *socket;
	const char *state_dir;
	enum log_target target;
	bool target_set;
	int level;
	bool level_set;
	bool foreground;
	bool dump_config;
	const char *user;
	bool user_set;
};

struct main_ctx {
	struct event_base *base;
	struct opts *o;
	struct vd_daemon *d;
	struct history *hist;
	struct timeline *tl;
	struct gwmemory *mem;
	struct connectivity *conn;
	struct lifecycle *life;
	struct control *ctl;
	struct metrics *metrics;
	struct event *sig_term, *sig_int, *sig_hup, *watchdog, *parent;
	const char *socket;
	const char *state_dir;
	int exit_code;
	bool parent_gone;
};

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: vpndoctord [OPTION]...\n"
	        "Diagnose the OpenVPN tunnels of this machine and serve the findings on a\n"
	        "Varlink socket (see vpndoctor(1), vpndoctord(8), vpndoctor.conf(5)).\n\n"
	        "  -c, --config FILE       configuration (default " CONFIG_DEFAULT_PATH ";\n"
	        "                          that one may be missing, a named one may not)\n"
	        "  -s, --socket PATH       control socket (default " DEFAULT_SYSTEM_SOCKET "\n"
	        "                          as root or under systemd, else\n"
	        "                          $XDG_RUNTIME_DIR/vpndoctor/io.vpndoctor)\n"
	        "  -d, --state-dir DIR     history (default " DEFAULT_SYSTEM_STATE " as root or\n"
	        "                          under systemd, else $XDG_STATE_HOME/vpndoctor)\n"
	        "      --log-target TARGET auto, journal or stderr (default auto)\n"
	        "      --log-level LEVEL   err, warning, notice, info, debug or 0-7 (default info)\n"
	        "  -f, --foreground        log to stderr unless --log-target says otherwise\n"
	        "                          (the daemon never goes to the background)\n"
	        "  -u, --user USER         started as root: the engine runs as USER (default\n"
	        "                          " DEFAULT_USER ") with CAP_NET_RAW and CAP_NET_ADMIN, a\n"
	        "                          small parent keeps root to open files as their\n"
	        "                          owners' users; 'root' keeps one process as root\n"
	        "                          (for debugging only)\n"
	        "      --dump-config       print the effective configuration (the file and its\n"
	        "                          drop-ins FILE.d/*.conf merged), each value with the\n"
	        "                          file and line it comes from, and exit\n"
	        "  -V, --version           print the version and exit\n"
	        "  -h, --help              print this help and exit\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	enum { OPT_LOG_TARGET = 0x100, OPT_LOG_LEVEL, OPT_DUMP_CONFIG };
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"socket", required_argument, NULL, 's'},
		{"state-dir", required_argument, NULL, 'd'},
		{"log-target", required_argument, NULL, OPT_LOG_TARGET},
		{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
		{"foreground", no_argument, NULL, 'f'},
		{"user", required_argument, NULL, 'u'},
		{"dump-config", no_argument, NULL, OPT_DUMP_CONFIG},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:s:d:fu:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 's':
			if (optarg[0] != '/' || strlen(optarg) >= 108) {
				fprintf(stderr, "vpndoctord: --socket needs an absolute path of at most 107 bytes\n");
				return 64;
			}
			o->socket = optarg;
			break;
		case 'd':
			if (optarg[0] != '/') {
				fprintf(stderr, "vpndoctord: --state-dir needs an absolute path\n");
				return 64;
			}
			o->state_dir = optarg;
			break;
		case OPT_LOG_TARGET:
			if (log_target_parse(optarg, &o->target) < 0) {
				fprintf(stderr, "vpndoctord: --log-target: '%s' is not auto, journal or stderr\n", optarg);
				return 64;
			}
			o->target_set = true;
			break;
		case OPT_LOG_LEVEL:
			if (log_level_parse(optarg, &o->level) < 0) {
				fprintf(stderr, "vpndoctord: --log-level: '%s' is not err, warning, notice, info, debug or 0-7\n",
				        optarg);
				return 64;
			}
			o->level_set = true;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'u':
			if (!optarg[0]) {
				fprintf(stderr, "vpndoctord: --user needs a user name\n");
				return 64;
			}
			o->user = optarg;
			o->user_set = true;
			break;
		case OPT_DUMP_CONFIG:
			o->dump_config = true;
			break;
		case 'V':
			printf("vpndoctord " VD_VERSION "\n");
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 64;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vpndoctord: unexpected argument '%s'\n", argv[optind]);
		return 64;
	}
	return -1;
}

/* Root or a systemd service uses the system paths; a user running it by hand
 * gets per-user ones, so `make run` needs no privileges. */
static bool system_instance(void)
{
	return geteuid() == 0 || getenv("INVOCATION_ID") || getenv("NOTIFY_SOCKET") || getenv("LISTEN_FDS");
}

static char *default_socket(void)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char *p = NULL;

	if (system_instance())
		return strdup(DEFAULT_SYSTEM_SOCKET);
	if (rt && rt[0] == '/') {
		if (asprintf(&p, "%s/vpndoctor/io.vpndoctor", rt) < 0)
			p = NULL;
	} else if (asprintf(&p, "/tmp/vpndoctor-%u/io.vpndoctor", (unsigned)geteuid()) < 0) {
		p = NULL;
	}
	return p;
}

static char *default_state_dir(void)
{
	const char *sd = getenv("STATE_DIRECTORY"), *xs = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *p = NULL;

	if (sd && sd[0] == '/')
		return strndup(sd, strcspn(sd, ":")); /* systemd's StateDirectory= */
	if (system_instance())
		return strdup(DEFAULT_SYSTEM_STATE);
	if (xs && xs[0] == '/') {
		if (asprintf(&p, "%s/vpndoctor", xs) < 0)
			p = NULL;
	} else if (home && home[0] == '/') {
		if (asprintf(&p, "%s/.local/state/vpndoctor", home) < 0)
			p = NULL;
	}
	return p;
}

/* Whether name is this process's own user (a --user that changes nothing). */
static bool is_me(const char *name)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	return getpwnam_r(name, &pw, buf, sizeof(buf), &res) == 0 && res && pw.pw_uid == geteuid();
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* libevent's own messages (evdns: "Nameserver ... has failed") would go to
 * stderr unprefixed; they belong in our log, and the probes report what
 * matters of them themselves, so below warnings they are debug. */
static void on_libevent_log(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN)
		log_warnx("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

static void on_health(void *userdata, const char *line)
{
	sd_notifyf(0, "STATUS=%s", line);
	log_debug("health: %s", line);
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct main_ctx *m = arg;

	log_stopping(strsignal((int)sig));
	sd_notify(0, "STOPPING=1");
	event_base_loopbreak(m->base);
}

static void on_reload(evutil_socket_t sig, short what, void *arg)
{
	struct main_ctx *m = arg;
	struct config *cfg = NULL;
	const struct config *old = daemon_config(m->d);
	struct vd_error err = {0};
	char msg[600];
	int r;

	sd_notify(0, "RELOADING=1");
	r = config_load(m->o->config, &cfg, &err);
	if (r < 0) {
		log_warnx("reload failed, keeping the running configuration: %s",
		          config_error_string(&err, msg, sizeof(msg)));
		sd_notify(0, "READY=1");
		return;
	}
	if ((cfg->socket && !m->o->socket && strcmp(cfg->socket, m->socket) != 0) ||
	    (cfg->state_dir && !m->o->state_dir && strcmp(cfg->state_dir, m->state_dir) != 0))
		log_notice("reload: Socket= and StateDir= take effect on restart");
	if (cfg->idle_timeout_s != old->idle_timeout_s || cfg->max_connections != old->max_connections ||
	    cfg->max_connections_per_uid != old->max_connections_per_uid)
		log_notice("reload: IdleTimeoutSec=, MaxConnections= and MaxConnectionsPerUser= take effect on restart");
	if (!m->o->level_set && cfg->log_level != old->log_level)
		log_init(m->o->target, cfg->log_level >= 0 ? cfg->log_level : LOG_INFO);
	size_t n = cfg->n_tunnels;
	r = daemon_reload(m->d, cfg);
	if (r == 0 && m->conn) /* URL= or NetworkManager= may have changed */
		connectivity_check(m->conn);
	if (r == 0 && metrics_set_dir(m->metrics, config_metrics_dir(daemon_config(m->d))) < 0)
		log_warnx("reload: out of memory for the metrics directory; metrics left as they were");
	if (r < 0) {
		errno = -r;
		log_warn("reload failed");
	} else {
		log_notice("configuration reloaded from %s: %zu tunnel%s", m->o->config ? m->o->config : CONFIG_DEFAULT_PATH,
		           n, n == 1 ? "" : "s");
	}
	sd_notifyf(0, "READY=1\nSTATUS=%s", daemon_health_line(m->d));
}

/* The privileged parent forwards the signals it gets (it may not send them:
 * no CAP_KILL), and its end of the pipe closing says it is gone. */
static void on_parent(evutil_socket_t fd, short what, void *arg)
{
	struct main_ctx *m = arg;
	int ev;

	while ((ev = priv_parent_event()) != 0) {
		if (ev < 0) {
			log_warnx("the privileged process is gone: stopping");
			sd_notify(0, "STOPPING=1");
			event_del(m->parent);
			m->exit_code = 1;
			m->parent_gone = true;
			event_base_loopbreak(m->base);
			return;
		}
		if (ev == SIGHUP)
			on_reload(ev, 0, m);
		else if (ev == SIGTERM || ev == SIGINT)
			on_stop(ev, 0, m);
	}
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	sd_notify(0, "WATCHDOG=1");
}

/* The socket systemd passed: the one named "varlink", or the only one. */
static int listen_fd_from_systemd(void)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(1, &names), fd = -1;

	if (n < 0) {
		errno = -n;
		log_warn("socket activation");
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (fd < 0 && names && names[i] && strcmp(names[i], "varlink") == 0)
			fd = SD_LISTEN_FDS_START + i;
	if (fd < 0 && n == 1)
		fd = SD_LISTEN_FDS_START;
	for (int i = 0; i < n; i++) {
		if (SD_LISTEN_FDS_START + i != fd)
			close(SD_LISTEN_FDS_START + i);
		if (names)
			free(names[i]);
	}
	free(names);
	if (n > 0 && fd < 0)
		log_warnx("socket activation: %d sockets but none named \"varlink\"; binding my own", n);
	return fd;
}

/* Some frees can only happen from the loop: the clock probe hands its
 * resolver back to a short timer after a cancelled lookup, because libevent
 * finishes the cancel in deferred callbacks. Once everything of ours is gone,
 * run the loop until nothing is left (at most 2 s), so that nothing leaks. */
static void drain(struct event_base *base)
{
	struct timespec start, now, nap = {0, 20 * 1000 * 1000};

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE) > 0) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= 2) {
			log_debug("stopping with %d events still pending",
			          event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED));
			break;
		}
		nanosleep(&nap, NULL);
	}
}

static void on_evaluated(void *userdata)
{
	struct main_ctx *m = userdata;

	metrics_changed(m->metrics);
}

static void cleanup(struct main_ctx *m)
{
	control_free(m->ctl);
	lifecycle_free(m->life);
	connectivity_free(m->conn);
	gwmemory_free(m->mem);
	timeline_free(m->tl); /* after the connections: a recording is theirs */
	metrics_free(m->metrics);
	daemon_free(m->d);
	history_close(m->hist);
	if (m->sig_term)
		event_free(m->sig_term);
	if (m->sig_int)
		event_free(m->sig_int);
	if (m->sig_hup)
		event_free(m->sig_hup);
	if (m->watchdog)
		event_free(m->watchdog);
	if (m->parent)
		event_free(m->parent);
	if (m->base) {
		drain(m->base);
		event_base_free(m->base);
	}
	libevent_global_shutdown();
}

/* --dump-config: what the daemon would run with, and nothing else done. */
static int dump_config(const struct opts *o)
{
	struct config *cfg = NULL;
	struct vd_error err = {0};
	char msg[600], *text = NULL;
	cJSON *dump;
	int r;

	r = config_load(o->config, &cfg, &err);
	if (r < 0) {
		fprintf(stderr, "vpndoctord: %s\n", config_error_string(&err, msg, sizeof(msg)));
		return 1;
	}
	dump = config_dump(cfg);
	r = dump ? vd_confdump_text(dump, &text) : -ENOMEM;
	cJSON_Delete(dump);
	config_free(cfg);
	if (r < 0) {
		fprintf(stderr, "vpndoctord: cannot print the configuration: %s\n", strerror(-r));
		return 1;
	}
	fputs(text, stdout);
	free(text);
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct opts o = {.target = LOG_TARGET_AUTO, .level = LOG_INFO, .user = DEFAULT_USER};
	struct main_ctx m = {.o = &o, .exit_code = 1};
	struct config *cfg = NULL;
	struct vd_error err = {0};
	struct control_limits lim;
	char *sock = NULL, *state = NULL, msg[600];
	uint64_t wd_usec = 0;
	struct priv_user user;
	bool separate = false, from_systemd = false;
	int r, listen_fd = -1, state_fd = -1, tl_fd = -1;

	r = parse_args(argc, argv, &o);
	if (r >= 0)
		return r;
	if (o.foreground && !o.target_set)
		o.target = LOG_TARGET_STDERR;
	log_init(o.target, o.level);

	if (o.dump_config)
		return dump_config(&o);
	r = config_load(o.config, &cfg, &err);
	if (r < 0) {
		log_warnx("%s", config_error_string(&err, msg, sizeof(msg)));
		fprintf(stderr, "vpndoctord: %s\n", msg);
		return 1;
	}
	if (!o.level_set && cfg->log_level >= 0)
		log_init(o.target, cfg->log_level);

	sock = o.socket ? strdup(o.socket) : cfg->socket ? strdup(cfg->socket) : default_socket();
	state = o.state_dir ? strdup(o.state_dir) : cfg->state_dir ? strdup(cfg->state_dir) : default_state_dir();
	if (!sock || !state) {
		log_warnx("cannot decide the socket path and state directory (set --socket and --state-dir)");
		goto out;
	}
	m.socket = sock;
	m.state_dir = state;
	signal(SIGPIPE, SIG_IGN);

	if (geteuid() == 0 && strcmp(o.user, "root") != 0) {
		r = priv_user_lookup(o.user, &user, msg, sizeof(msg));
		if (r < 0) {
			log_warnx("%s", msg);
			if (o.target != LOG_TARGET_STDERR)
				fprintf(stderr, "vpndoctord: %s\n", msg);
			goto out;
		}
		separate = true;
	} else if (geteuid() != 0 && o.user_set && !is_me(o.user)) {
		/* nothing to drop: the daemon is a user's already, with a user's rights */
		log_notice("not started as root: --user %s changes nothing (this is uid %u)", o.user,
		           (unsigned)geteuid());
	}

	/* Everything that needs root happens here, before the fork: the state
	 * directory handed to the engine's user, the socket bound. */
	if (separate) {
		char *slash = strrchr(state, '/');
		r = 0;
		if (slash && slash != state) {
			*slash = '\0';
			r = mkdir_p(state, 0755);
			*slash = '/';
		}
		if (r == 0)
			r = priv_state_dir(state, &user);
		/* opened here: the engine's user may not reach it by its path */
		if (r == 0 && (state_fd = open(state, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			r = -errno;
		/* another daemon's: said now, before a socket is bound and a
		 * process started for nothing (the engine's lock decides) */
		if (r == 0 && history_lock_busy(state_fd) == -EBUSY) {
			int owner = history_lock_owner(state);
			if (owner > 0)
				log_warnx("state directory %s is in use by another vpndoctord (pid %d holds %s/lock)",
				          state, owner, state);
			else
				log_warnx("state directory %s is in use by another vpndoctord (it holds %s/lock)", state,
				          state);
			goto out;
		}
	} else {
		r = mkdir_p(state, 0750);
	}
	if (r < 0) {
		errno = -r;
		log_warn("state directory %s", state);
		goto out;
	}
	listen_fd = listen_fd_from_systemd();
	from_systemd = listen_fd >= 0;
	if (listen_fd < 0) {
		/* the directory is made only when we bind ourselves; 0755 lets the
		 * socket's own mode and group decide who gets in */
		char *slash = strrchr(sock, '/');
		if (slash && slash != sock) {
			*slash = '\0';
			r = mkdir_p(sock, 0755);
			*slash = '/';
			if (r < 0) {
				errno = -r;
				log_warn("socket directory of %s", sock);
				goto out;
			}
		}
		if (separate && (r = control_bind(sock, &listen_fd)) < 0) {
			errno = -r;
			log_warn("control socket %s", sock);
			goto out;
		}
	}
	if (separate) {
		const int engine_fds[] = {listen_fd, state_fd};
		priv_admin_allow(cfg, o.config ? o.config : CONFIG_DEFAULT_PATH);
		r = priv_separate(&user, from_systemd ? NULL : sock, engine_fds, VD_ARRAY_SIZE(engine_fds));
		if (r < 0) {
			errno = -r;
			log_warn("cannot become %s", o.user);
			goto out;
		}
		log_debug("engine: uid %u, the privileged process is pid %d", (unsigned)user.uid, (int)getppid());
	}

	/* the timeline's copy: the engine's user may not reach the directory by its path */
	if (state_fd >= 0 && (tl_fd = fcntl(state_fd, F_DUPFD_CLOEXEC, 3)) < 0) {
		log_warn("state directory %s", state);
		goto out;
	}
	r = state_fd >= 0 ? history_open_dirfd(state_fd, 0, &m.hist) : history_open(state, 0, &m.hist);
	state_fd = -1;
	if (r == -EBUSY) {
		int owner = history_lock_owner(state);
		if (owner > 0)
			log_warnx("state directory %s is in use by another vpndoctord (pid %d holds %s/lock)", state,
			          owner, state);
		else
			log_warnx("state directory %s is in use by another vpndoctord (it holds %s/lock)", state, state);
		goto out;
	}
	if (r < 0) {
		errno = -r;
		log_warn("state directory %s", state);
		goto out;
	}
	event_set_log_callback(on_libevent_log);
	m.base = scheduler_event_base_new();
	if (!m.base) {
		log_warnx("cannot create the event loop");
		goto out;
	}
	r = daemon_new(m.base, cfg, m.hist, &m.d);
	cfg = NULL; /* the model owns it now, even on failure */
	if (r < 0) {
		errno = -r;
		log_warn("model");
		goto out;
	}

	/* after the history, which holds the state directory's lock */
	{
		int sfd = tl_fd >= 0 ? tl_fd : open(state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		tl_fd = -1;
		r = sfd < 0 ? -errno : timeline_new(m.base, m.d, sfd, &m.tl);
		if (r < 0) {
			if (sfd >= 0)
				close(sfd);
			errno = -r;
			log_warn("timeline in %s", state);
			goto out;
		}
		r = gwmemory_open(sfd, &m.mem);
		close(sfd);
		if (r == 0)
			r = gwmemory_follow(m.mem, m.base, m.d);
		if (r < 0) {
			errno = -r;
			log_warn("gateway memory in %s", state);
			goto out;
		}
	}
	/* the network the machine is on, and its sleep and moves */
	{
		struct lifecycle_parts parts = {.timeline = m.tl, .memory = m.mem};

		r = connectivity_new(m.base, m.d, &m.conn);
		parts.connectivity = m.conn;
		if (r == 0)
			r = lifecycle_new(m.base, m.d, &parts, &m.life);
		if (r < 0) {
			errno = -r;
			log_warn("connectivity, sleep and roaming");
			goto out;
		}
	}

	m.sig_term = evsignal_new(m.base, SIGTERM, on_stop, &m);
	m.sig_int = evsignal_new(m.base, SIGINT, on_stop, &m);
	m.sig_hup = evsignal_new(m.base, SIGHUP, on_reload, &m);
	/* a stop goes before the results of a burst of probes (scheduler.h) */
	if (m.sig_term && m.sig_int) {
		event_priority_set(m.sig_term, SCHED_PRIORITY_SIGNAL);
		event_priority_set(m.sig_int, SCHED_PRIORITY_SIGNAL);
	}
	if (!m.sig_term || !m.sig_int || !m.sig_hup || evsignal_add(m.sig_term, NULL) < 0 ||
	    evsignal_add(m.sig_int, NULL) < 0 || evsignal_add(m.sig_hup, NULL) < 0) {
		log_warnx("cannot set up signal handling");
		goto out;
	}
	if (priv_separated()) {
		m.parent = event_new(m.base, priv_parent_fd(), EV_READ | EV_PERSIST, on_parent, &m);
		if (!m.parent || event_add(m.parent, NULL) < 0) {
			log_warnx("cannot watch the privileged process");
			goto out;
		}
	}

	control_limits_default(&lim);
	lim.idle_timeout_s = daemon_config(m.d)->idle_timeout_s;
	lim.max_connections = daemon_config(m.d)->max_connections;
	lim.max_per_uid = daemon_config(m.d)->max_connections_per_uid;
	r = control_start(m.d, m.base, listen_fd, sock, &lim, &m.ctl);
	if (r < 0) {
		errno = -r;
		log_warn("control socket %s", from_systemd ? "(socket activation)" : sock);
		if (listen_fd >= 0)
			close(listen_fd);
		goto out;
	}

	daemon_set_health_cb(m.d, on_health, &m);
	r = metrics_new(m.base, m.d, config_metrics_dir(daemon_config(m.d)), &m.metrics);
	if (r < 0) {
		errno = -r;
		log_warn("metrics");
		goto out;
	}
	daemon_set_evaluated_cb(m.d, on_evaluated, &m);
	r = daemon_start_probes(m.d);
	if (r < 0) {
		errno = -r;
		log_warn("probes");
		goto out;
	}
	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0) {
		struct timeval tv = {.tv_sec = (time_t)(wd_usec / 2 / 1000000),
		                     .tv_usec = (suseconds_t)(wd_usec / 2 % 1000000)};
		m.watchdog = event_new(m.base, -1, EV_PERSIST, on_watchdog, &m);
		if (!m.watchdog || event_add(m.watchdog, &tv) < 0) {
			log_warnx("cannot arm the watchdog timer");
			goto out;
		}
	}
	log_notice("vpndoctord " VD_VERSION " ready on %s (state in %s, %zu tunnel%s)",
	           from_systemd ? "a socket from systemd" : sock, state, daemon_config(m.d)->n_tunnels,
	           daemon_config(m.d)->n_tunnels == 1 ? "" : "s");
	sd_notifyf(0, "READY=1\nSTATUS=%s", daemon_health_line(m.d));

	if (event_base_dispatch(m.base) < 0)
		log_warnx("event loop failed");
	else if (!m.parent_gone)
		m.exit_code = 0;
out:
	if (state_fd >= 0)
		close(state_fd);
	if (tl_fd >= 0)
		close(tl_fd);
	config_free(cfg);
	cleanup(&m);
	free(sock);
	free(state);
	return m.exit_code;
}
