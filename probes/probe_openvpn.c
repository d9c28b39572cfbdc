/* The openvpn probe: per tunnel, the OpenVPN client process that runs its
 * Config= (found in /proc), the version of the binary it runs, its state from
 * the management interface, and its log (file or journal) classified by the
 * lib. Sources live in the slot's persistent state and keep watching between
 * runs; a run only snapshots them into the "openvpn" section, and a source
 * that sees a change runs the slot (and, on a state change, the probes that
 * depend on PROBE_EV_OPENVPN) at once.
 *
 * The management interface takes one client at a time, and a GUI that cannot
 * connect breaks. So the daemon connects only where it is free and plainly
 * not a GUI's: always to a configured Management= (the user gave it to us),
 * and to a discovered `--management PATH unix` only when the process has none
 * of the --management-hold/-query-passwords/-client/... options a GUI starts
 * it with. While connected it looks every 2 s at the socket's accept queue
 * (/proc/net/unix): when another client waits there it disconnects at once,
 * and it comes back only once the socket is free again (and not before 60 s).
 * It never sends `hold release`, passwords or signals: it only listens.
 *
 * A process NetworkManager's openvpn plugin started has neither: the plugin
 * holds the management interface and reads the log. Its helper's --bus-name
 * names the plugin on the system bus, whose StateChanged gives the state
 * (see nm_apply), and the tun link NetworkManager configured gives the
 * addresses. */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <ifaddrs.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-journal.h>

#include "busutil.h"
#include "probe.h"
#include "probe_util.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/ovpn_config.h"
#include "vpndoctor/ovpn_log.h"
#include "vpndoctor/ovpn_mgmt.h"
#include "vpndoctor/principal.h"
#include "vpndoctor/proc_inspect.h"
#include "vpndoctor/proc_openvpn.h"
#include "vpndoctor/profile.h"
#include "vpndoctor/version.h"

#define OV_WINDOW_S 600          /* events count over the last 10 minutes (docs/facts.md) */
#define OV_RING 1024             /* timestamped events kept for the window */
#define OV_ERR_LINES 5
#define OV_TICK_MS 1000          /* the tick when something must be polled (see tick_delay) */
#define OV_FALLBACK_S 30         /* the tick when inotify and a pidfd watch: a safety net */
#define OV_YIELD_CHECK_S 2       /* another management client waiting for the socket */
#define OV_RESCAN_S 5            /* /proc rescan while no process is known */
#define OV_READ_MAX (256 * 1024) /* log bytes read per tick: a burst waits a tick */
#define OV_TAIL_MAX (64 * 1024)  /* log history read when a file is first followed */
#define OV_JOURNAL_HISTORY 200   /* journal entries read back when first opened */
#define OV_JOURNAL_BATCH 1000    /* entries handled per wakeup */
#define OV_EXE_WINDOW (256 * 1024) /* a binary is scanned for its title in windows of this */
#define OV_EXE_MAX (64 * 1024 * 1024) /* and no further (the privileged parent's bound too) */
#define OV_DPKG_STATUS "/var/lib/dpkg/status"
#define OV_DPKG_MAX (64 * 1024 * 1024)
#define OV_MGMT_BACKOFF_MAX 60
#define OV_MGMT_YIELD_S 60
#define OV_NOTIFY_MS 100         /* one run for a burst of lines */
#define OV_CONFIG_MAX (1024 * 1024)
#define OV_NM_HELPER "/nm-openvpn-service-openvpn-helper"
#define OV_NM_PATH "/org/freedesktop/NetworkManager/VPN/Plugin"
#define OV_NM_IFACE "org.freedesktop.NetworkManager.VPN.Plugin"
#define OV_NM_TIMEOUT_US (5 * 1000000ULL)

/* Pseudo events beside the log's, for the window. */
enum {
	K_HS_STARTED = VD_LOG__MAX,
	K_HS_COMPLETED,
	K_HS_DROPPED,
	K_RECONNECT,
	K__MAX,
};

struct ov_event {
	int64_t t;
	unsigned kind;
};

enum log_src { SRC_NONE, SRC_FILE, SRC_JOURNAL };

struct ov_follow {
	char *path;
	int fd;
	dev_t dev;
	ino_t ino;
	off_t off;
	struct vd_linesplit split;
	int wd_file, wd_dir;    /* inotify watches, -1 when none */
	ino_t wd_ino;           /* the inode wd_file watches */
	const char *base;       /* the file's name in its directory, inside path */
	bool more;              /* the read budget ran out: data is left */
};

struct ov_state {
	struct probe_slot *slot;
	struct event_base *base;
	struct event *tick, *notify;
	double tick_due;      /* mono() when the pending tick fires */
	int ifd;              /* inotify, for the log file; -1 without */
	struct event *iev;
	int pidfd;            /* the followed process, readable once it exits; -1 without */
	pid_t pidfd_pid;
	unsigned long long pidfd_start;
	struct event *pidev;
	char name[64];        /* the tunnel's, for the log */
	char *conf_real;      /* realpath of Config= */
	char *mgmt_conf;      /* Management=, or the --management of the process discovery found */
	bool configured;      /* a [Tunnel] of vpndoctor.conf: what it names is the administrator's */
	pid_t disc_pid;       /* a discovered tunnel without a config: its process */

	/* the process */
	pid_t pid;            /* the one followed, or the last one seen */
	unsigned long long starttime;
	bool running, ever_seen;
	struct vd_proc_openvpn proc;
	bool have_proc;
	char proc_argv0[256];
	char cwd[PATH_MAX];
	char unit[256];
	bool saw_exit, fatal_exit, crashed;
	char exit_reason[128];
	const char *exit_src; /* what told the exit (static), as state_src */
	double last_scan;

	/* state */
	char state[16];
	const char *state_src; /* what said it (static): "management", "log", "nm-plugin", "process" */
	char state_reason[128];
	int64_t state_since;
	int64_t connected_at; /* when the state last became connected (0: never) */
	char notified_state[16];
	char local_ip[64], server_ip[64];
	char remote_addr[64];
	unsigned remote_port;
	char proto[8];
	char tun[IFNAMSIZ + 1];
	char negotiated[64];
	struct vd_pushed pushed, prev_pushed;
	bool have_pushed, have_prev;
	bool hs_open;
	struct ov_event ring[OV_RING];
	size_t ring_next, ring_n;
	char err_lines[OV_ERR_LINES][256];
	unsigned n_err, err_next;

	/* version: never by running the binary (a user's program, as root) */
	char version[256];
	const char *version_src; /* management|log|binary|package (static) */
	unsigned version_rank;   /* VR_*: a better source replaces a worse one */
	dev_t exe_dev;
	ino_t exe_ino;
	struct timespec exe_mtime;
	bool exe_seen;
	char read_as[96];        /* whose rights the process's files are read with */
	char log_error[320];     /* why its log file is not read, or "" */

	/* log */
	enum log_src src;
	struct ov_follow f;
	sd_journal *j;
	struct event *jev;
	char jmatch[300];

	/* management */
	struct bufferevent *bev;
	struct vd_mgmt_reader *rd;
	char mgmt_target[PATH_MAX];
	bool mgmt_up, mgmt_unix;
	unsigned backoff_s;
	double next_try;

	/* NetworkManager's plugin, when it started the process: its State */
	char nm_bus[256];     /* the plugin's bus name, from the command line; "" for none */
	struct pu_bus bus;
	char nm_owner[256];   /* its unique name, which signals come from */
	sd_bus_slot *nm_call, *nm_owner_call, *nm_match;
	unsigned nm_match_on; /* bus.opened when the match was added */
	bool nm_known;        /* it told a state (State or StateChanged) */
	/* the tun link as NetworkManager configured it */
	bool link_up;
	char link_local[64], link_server[64];
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t wall(void)
{
	return (int64_t)time(NULL);
}

static void cpy(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

#define SCPY(dst, src) cpy((dst), sizeof(dst), (src), strlen(src))

/* Where the version came from, best first. */
enum { VR_NONE, VR_PACKAGE, VR_BINARY, VR_LOG, VR_MANAGEMENT };

/* The process the probe follows, as daemon/priv.h names it; none (pid -1,
 * never the administrator's 0) before one was found. */
static struct vd_proc_id who_of(const struct ov_state *st)
{
	return (struct vd_proc_id){.pid = st->pid > 0 ? st->pid : -1, .start = st->starttime};
}

/* Text of the process (its log, its management interface) into a fact:
 * control bytes escaped as \xNN, cut to the buffer. */
static void clean_cpy(char *dst, size_t size, const char *src, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && src[i] && o + 1 < size; i++) {
		unsigned char c = (unsigned char)src[i];
		if (c < 0x20 || c == 0x7f) {
			if (o + 5 > size)
				break;
			o += (size_t)snprintf(dst + o, size - o, "\\x%02x", c);
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
}

#define CLEAN(dst, src) clean_cpy((dst), sizeof(dst), (src), strlen(src))

static void changed(struct ov_state *st);

static void set_version(struct ov_state *st, const char *title, unsigned rank, const char *src)
{
	char buf[sizeof(st->version)];
	struct vd_ovpn_version v;

	CLEAN(buf, title);
	if (rank < st->version_rank || vd_ovpn_version_parse(buf, &v) < 0)
		return;
	st->version_rank = rank;
	st->version_src = src;
	if (strcmp(st->version, buf) != 0) {
		if (rank >= VR_BINARY)
			probe_log(LOG_INFO, "openvpn on %s: pid %d runs '%s' (from its %s)", st->name, (int)st->pid, buf, src);
		SCPY(st->version, buf);
		changed(st);
	}
}

/* ---- change notification ---------------------------------------------------- */

static void join_list(char *buf, size_t size, const char (*v)[64], unsigned n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && off < size; i++) {
		int len = snprintf(buf + off, size - off, "%s%s", i ? " " : "", v[i]);
		off += len > 0 ? (size_t)len : 0;
	}
}

/* A state change goes to the log once: the journal then tells when the
 * tunnel came up, with what, and when it went down and why. */
static void log_state(const struct ov_state *st)
{
	char routes[256] = "", dns[256] = "";

	if (st->have_pushed) {
		join_list(routes, sizeof(routes), st->pushed.routes, st->pushed.n_routes);
		join_list(dns, sizeof(dns), st->pushed.dns, st->pushed.n_dns);
	}
	probe_log(LOG_INFO, "openvpn on %s: %s%s%s%s, pid %d, version '%s', routes '%s', dns '%s', cipher '%s'", st->name,
	         st->state, *st->state_reason ? " (" : "", st->state_reason, *st->state_reason ? ")" : "",
	         (int)st->pid, st->version, routes, dns, st->negotiated);
}

static void on_notify(evutil_socket_t fd, short what, void *arg)
{
	struct ov_state *st = arg;

	probe_slot_trigger(st->slot);
	if (strcmp(st->state, st->notified_state) != 0) {
		SCPY(st->notified_state, st->state);
		log_state(st);
		probe_slot_trigger_events(st->slot, PROBE_EV_OPENVPN);
	}
}

static void changed(struct ov_state *st)
{
	struct timeval tv = {0, OV_NOTIFY_MS * 1000};

	if (!evtimer_pending(st->notify, NULL))
		evtimer_add(st->notify, &tv);
}

static void set_state(struct ov_state *st, const char *state, const char *reason, int64_t since, const char *src)
{
	if (strcmp(st->state, state) != 0 || (reason && strcmp(st->state_reason, reason) != 0))
		st->state_src = src; /* the source of what changed: a repeat keeps the first */
	if (strcmp(st->state, state) != 0) {
		SCPY(st->state, state);
		st->state_since = since ? since : wall();
		if (strcmp(state, "connected") == 0)
			st->connected_at = st->state_since;
		changed(st);
	}
	if (reason && strcmp(st->state_reason, reason) != 0) {
		SCPY(st->state_reason, reason);
		changed(st);
	}
}

/* The client said it ends: its log ("process exiting"), its management
 * interface (EXITING) or NetworkManager's plugin (stopping). Until its
 * process is gone the state is "exiting", never "exited": a snapshot that
 * says a running client has exited contradicts itself. vanished() makes it
 * "exited" with this reason and source. */
static void ending(struct ov_state *st, const char *reason, int64_t since, const char *src)
{
	st->saw_exit = true;
	SCPY(st->exit_reason, reason);
	st->exit_src = src;
	set_state(st, st->running ? "exiting" : "exited", st->exit_reason, since, src);
}

/* ---- events in the window ------------------------------------------------------ */

static void count(struct ov_state *st, unsigned kind, int64_t t)
{
	st->ring[st->ring_next] = (struct ov_event){.t = t, .kind = kind};
	st->ring_next = (st->ring_next + 1) % OV_RING;
	if (st->ring_n < OV_RING)
		st->ring_n++;
}

/* Counts over the window; with after > 0 only what came later than that. */
static void window_counts(const struct ov_state *st, unsigned *n, int64_t now, int64_t after)
{
	memset(n, 0, K__MAX * sizeof(*n));
	for (size_t i = 0; i < st->ring_n; i++) {
		const struct ov_event *e = &st->ring[i];
		if (e->t >= now - OV_WINDOW_S && (after <= 0 || e->t > after) && e->kind < K__MAX)
			n[e->kind]++;
	}
}

static cJSON *events_json(const unsigned *n)
{
	cJSON *x = cJSON_CreateObject();

	if (x)
		for (unsigned k = VD_LOG_NONE + 1; k < VD_LOG__MAX; k++)
			if (n[k])
				cJSON_AddNumberToObject(x, vd_log_event_name((enum vd_log_event)k), n[k]);
	return x;
}

/* ---- log lines ------------------------------------------------------------------ */

/* "UDPv4 link remote: [AF_INET]203.0.113.7:1194",
 * "TCP_CLIENT link remote: [AF_INET6]2001:db8::1:443" (socket.c link_socket_connection_initiated). */
static void link_remote(struct ov_state *st, const char *line)
{
	const char *p = strstr(line, " link remote: [AF_INET"), *a, *colon = NULL;
	const char *w;
	uint64_t port;
	char buf[8];

	if (!p)
		return;
	a = strchr(p, ']');
	if (!a)
		return;
	a++;
	for (const char *q = a; *q && *q != ' '; q++)
		if (*q == ':')
			colon = q;
	if (!colon || (size_t)(colon - a) >= sizeof(st->remote_addr))
		return;
	cpy(buf, sizeof(buf), colon + 1, strcspn(colon + 1, " "));
	if (vd_parse_u64(buf, 1, 65535, &port) < 0)
		return;
	cpy(st->remote_addr, sizeof(st->remote_addr), a, (size_t)(colon - a));
	st->remote_port = (unsigned)port;
	for (w = p; w > line && w[-1] != ' ' && w[-1] != ']'; w--)
		;
	if (strncmp(w, "UDP", 3) == 0)
		SCPY(st->proto, "udp");
	else if (strncmp(w, "TCP", 3) == 0)
		SCPY(st->proto, "tcp");
}

/* "TUN/TAP device tun0 opened" (tun.c). */
static void tun_opened(struct ov_state *st, const char *line)
{
	const char *p = strstr(line, "TUN/TAP device "), *e;

	if (!p)
		return;
	p += strlen("TUN/TAP device ");
	e = strstr(p, " opened");
	if (!e || e <= p || (size_t)(e - p) >= sizeof(st->tun))
		return;
	for (const char *c = p; c < e; c++)
		if (*c <= ' ' || *c >= 0x7f || *c == '/')
			return; /* no link name */
	cpy(st->tun, sizeof(st->tun), p, (size_t)(e - p));
}

/* The banner "OpenVPN 2.6.14 x86_64-pc-linux-gnu [SSL (OpenSSL)] ..." that
 * OpenVPN logs first: better than the binary's bytes (it is what runs),
 * second to the management interface's own answer. */
static void banner(struct ov_state *st, const char *line)
{
	const char *p = strstr(line, "OpenVPN ");

	if (!p || !isdigit((unsigned char)p[8]) || !strstr(p, " [SSL"))
		return;
	if (p == line || p[-1] == ' ')
		set_version(st, p, VR_LOG, "log");
}

static void end_handshake(struct ov_state *st, int64_t t, bool live)
{
	if (st->hs_open && live)
		count(st, K_HS_DROPPED, t);
	st->hs_open = false;
}

/* One log line. History (lines from before we watched) sets what the session
 * is like but is not counted: its times are unknown, and it may be old. */
static void log_line(struct ov_state *st, const char *line, size_t len, bool live)
{
	static struct vd_log_line l; /* 1 KiB argument: not on the stack, the loop is single-threaded */
	char text[VD_MGMT_MAX_LINE + 1];
	enum vd_log_event e;
	int64_t now = wall();
	struct vd_pushed p;

	cpy(text, sizeof(text), line, len);
	e = vd_ovpn_log_classify(text, strlen(text), &l);
	link_remote(st, text);
	tun_opened(st, text);
	banner(st, text);
	if (e == VD_LOG_NONE)
		return;
	if (live)
		count(st, e, now);
	switch (e) {
	case VD_LOG_TLS_INITIAL_PACKET:
		end_handshake(st, now, live);
		if (live)
			count(st, K_HS_STARTED, now);
		st->hs_open = true;
		if (!st->mgmt_up && strcmp(st->state, "connected") != 0)
			set_state(st, strcmp(st->state, "reconnecting") == 0 ? "reconnecting" : "connecting", NULL,
			          0, "log");
		break;
	case VD_LOG_PUSH_REPLY:
		if (vd_pushed_parse(l.arg, &p) < 0)
			break;
		if (st->hs_open && live)
			count(st, K_HS_COMPLETED, now);
		st->hs_open = false;
		/* the session before is kept: a change between sessions is a finding */
		if (st->have_pushed) {
			st->prev_pushed = st->pushed;
			st->have_prev = true;
		}
		st->pushed = p;
		st->have_pushed = true;
		if (*p.cipher)
			SCPY(st->negotiated, p.cipher);
		changed(st);
		break;
	case VD_LOG_DATA_CIPHER:
		CLEAN(st->negotiated, l.arg);
		changed(st);
		break;
	case VD_LOG_CONNECTED:
		if (!st->mgmt_up)
			set_state(st, "connected", "", 0, "log");
		break;
	case VD_LOG_RESTARTING:
		end_handshake(st, now, live);
		if (live)
			count(st, K_RECONNECT, now);
		if (!st->mgmt_up) {
			char reason[128];
			CLEAN(reason, l.arg);
			set_state(st, "reconnecting", reason, 0, "log");
		}
		break;
	case VD_LOG_EXITING:
		end_handshake(st, now, live);
		if (!live)
			break; /* an earlier run's end, in the history */
		st->fatal_exit = strcmp(l.arg, "fatal-error") == 0;
		if (!st->mgmt_up) {
			char reason[sizeof(st->exit_reason)];
			CLEAN(reason, l.arg);
			ending(st, reason, 0, "log");
		} else { /* the management interface tells the state */
			st->saw_exit = true;
			CLEAN(st->exit_reason, l.arg);
			if (!st->exit_src)
				st->exit_src = "log";
		}
		break;
	case VD_LOG_ERROR_OTHER:
		/* quoted only when it is plainly an OpenVPN log line: from the
		 * journal or the management interface, or with OpenVPN's prefix */
		if (live && (l.stamped || st->src != SRC_FILE)) {
			CLEAN(st->err_lines[st->err_next], text);
			st->err_next = (st->err_next + 1) % OV_ERR_LINES;
			if (st->n_err < OV_ERR_LINES)
				st->n_err++;
		}
		break;
	default:
		break;
	}
	if (live)
		changed(st);
}

static void on_file_line(void *userdata, const char *line, size_t len, bool truncated)
{
	struct ov_state *st = userdata;

	log_line(st, line, len, true);
}

static void on_history_line(void *userdata, const char *line, size_t len, bool truncated)
{
	struct ov_state *st = userdata;

	log_line(st, line, len, false);
}

/* ---- the log file ---------------------------------------------------------------- */

static void follow_poll(struct ov_state *st);

static void unwatch(struct ov_state *st)
{
	struct ov_follow *f = &st->f;

	if (st->ifd >= 0 && f->wd_file >= 0)
		inotify_rm_watch(st->ifd, f->wd_file);
	if (st->ifd >= 0 && f->wd_dir >= 0)
		inotify_rm_watch(st->ifd, f->wd_dir);
	f->wd_file = f->wd_dir = -1;
}

static void follow_close(struct ov_state *st)
{
	struct ov_follow *f = &st->f;

	unwatch(st);
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	free(f->path);
	f->path = NULL;
	f->base = NULL;
	f->more = false;
}

static void on_inotify(evutil_socket_t fd, short what, void *arg);

/* The file being followed, by inotify: its writes and truncations (IN_MODIFY)
 * and, on its directory, a new file taking its name (rotation) or it going
 * away. A file watch is on the inode, so after a rotation it moves to the new
 * file. Without inotify (no watches left, a file system without it) the tick
 * polls every second, as before. */
static void watch(struct ov_state *st)
{
	const struct vd_proc_id who = who_of(st);
	struct ov_follow *f = &st->f;
	char dir[PATH_MAX];
	const char *slash;

	if (f->fd < 0 || !f->path)
		return;
	if (st->ifd < 0) {
		st->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (st->ifd < 0)
			return;
		st->iev = event_new(st->base, st->ifd, EV_READ | EV_PERSIST, on_inotify, st);
		if (!st->iev || event_add(st->iev, NULL) < 0) {
			if (st->iev)
				event_free(st->iev);
			st->iev = NULL;
			close(st->ifd);
			st->ifd = -1;
			return;
		}
	}
	if (f->wd_file >= 0 && f->wd_ino != f->ino) {
		inotify_rm_watch(st->ifd, f->wd_file);
		f->wd_file = -1;
	}
	/* added as the process's principal, as its log is read (daemon/priv.h) */
	if (f->wd_file < 0) {
		f->wd_file = probe_watch(&who, st->ifd, f->path, IN_MODIFY | IN_DELETE_SELF | IN_MOVE_SELF);
		f->wd_ino = f->ino;
	}
	slash = strrchr(f->path, '/');
	f->base = slash ? slash + 1 : f->path;
	if (f->wd_dir < 0) {
		if (!slash)
			snprintf(dir, sizeof(dir), ".");
		else if (slash == f->path)
			snprintf(dir, sizeof(dir), "/");
		else
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - f->path), f->path);
		f->wd_dir = probe_watch(&who, st->ifd, dir, IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM |
		                                           IN_ONLYDIR);
	}
	if (f->wd_file < 0 || f->wd_dir < 0)
		unwatch(st); /* half a watch misses rotations: poll instead */
}

/* from_start: a file the process truncated when it started (--log): all of it
 * is this process's and new to us. Else from the end, with the last part read
 * as history. */
static int follow_open(struct ov_state *st, const char *path, bool from_start)
{
	struct ov_follow *f = &st->f;
	struct stat sb;
	char *buf;
	ssize_t n;

	const struct vd_proc_id who = who_of(st);
	int r;

	follow_close(st);
	f->path = strdup(path);
	if (!f->path)
		return -ENOMEM;
	/* as the process's principal: a regular file its user may read */
	r = probe_open(&who, path, SIZE_MAX, &f->fd);
	if (r < 0 || fstat(f->fd, &sb) < 0) {
		if (r == 0)
			r = -errno;
		f->fd = -1;
		follow_close(st);
		return r;
	}
	f->dev = sb.st_dev;
	f->ino = sb.st_ino;
	vd_linesplit_init(&f->split);
	watch(st);
	if (from_start) {
		f->off = 0;
		follow_poll(st);
		return 0;
	}
	f->off = sb.st_size > OV_TAIL_MAX ? sb.st_size - OV_TAIL_MAX : 0;
	buf = malloc(OV_TAIL_MAX);
	if (buf && (n = pread(f->fd, buf, OV_TAIL_MAX, f->off)) > 0) {
		const char *p = buf;
		size_t len = (size_t)n;
		if (f->off > 0) { /* a partial first line */
			const char *nl = memchr(p, '\n', len);
			len = nl ? len - (size_t)(nl + 1 - p) : 0;
			p = nl ? nl + 1 : p;
		}
		vd_linesplit_feed(&f->split, p, len, on_history_line, st);
		f->off += n;
	}
	free(buf);
	/* a partial last line is completed by what comes next: it stays */
	return 0;
}

static void follow_read(struct ov_state *st, size_t *budget)
{
	struct ov_follow *f = &st->f;
	char buf[16384];
	ssize_t n;

	while (*budget > 0) {
		n = pread(f->fd, buf, sizeof(buf) < *budget ? sizeof(buf) : *budget, f->off);
		if (n <= 0)
			break;
		f->off += n;
		*budget -= (size_t)n;
		vd_linesplit_feed(&f->split, buf, (size_t)n, on_file_line, st);
	}
	f->more = *budget == 0;
}

/* Truncation (a restarted openvpn with --log) starts over; rotation (a new
 * file at the path) reads the old file to its end and then the new one. */
static void follow_poll(struct ov_state *st)
{
	struct ov_follow *f = &st->f;
	size_t budget = OV_READ_MAX;
	struct stat sb, path_sb;

	if (f->fd < 0)
		return;
	if (fstat(f->fd, &sb) == 0 && sb.st_size < f->off) {
		f->off = 0;
		vd_linesplit_init(&f->split);
	}
	follow_read(st, &budget);
	if (budget > 0 && stat(f->path, &path_sb) == 0 && (path_sb.st_ino != f->ino || path_sb.st_dev != f->dev)) {
		const struct vd_proc_id who = who_of(st);
		int fd;
		/* rotated: the new file, opened as the process's principal too */
		if (probe_open(&who, f->path, SIZE_MAX, &fd) == 0) {
			vd_linesplit_flush(&f->split, on_file_line, st);
			close(f->fd);
			f->fd = fd;
			f->dev = path_sb.st_dev;
			f->ino = path_sb.st_ino;
			f->off = 0;
			follow_read(st, &budget);
			watch(st);
		}
	}
}

static void tick_arm(struct ov_state *st);

static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct ov_state *st = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool ours = false;
	ssize_t n;

	(void)what;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)(void *)p;
			if (e->wd == st->f.wd_file && (e->mask & IN_IGNORED))
				st->f.wd_file = -1; /* the inode is gone: watch() adds the new one */
			else if (e->wd == st->f.wd_file)
				ours = true;
			else if (e->wd == st->f.wd_dir && (e->mask & IN_IGNORED))
				st->f.wd_dir = -1;
			else if (e->wd == st->f.wd_dir && e->len && st->f.base && strcmp(e->name, st->f.base) == 0)
				ours = true;
			p += sizeof(*e) + e->len;
		}
	}
	if (ours && st->src == SRC_FILE) {
		follow_poll(st);
		watch(st);
	}
	tick_arm(st);
}

/* ---- the journal -------------------------------------------------------------------- */

static void journal_close(struct ov_state *st)
{
	if (st->jev)
		event_free(st->jev);
	st->jev = NULL;
	if (st->j)
		sd_journal_close(st->j);
	st->j = NULL;
	st->jmatch[0] = '\0';
}

static void journal_drain(struct ov_state *st, bool live)
{
	for (unsigned i = 0; i < OV_JOURNAL_BATCH; i++) {
		const void *data;
		size_t len;
		int r = sd_journal_next(st->j);

		if (r <= 0)
			return;
		if (sd_journal_get_data(st->j, "MESSAGE", &data, &len) < 0 || len < 8)
			continue;
		log_line(st, (const char *)data + 8, len - 8, live);
	}
	if (live && st->jev)
		event_active(st->jev, EV_READ, 0); /* more waits: after others had their turn */
}

static void on_journal(evutil_socket_t fd, short what, void *arg)
{
	struct ov_state *st = arg;

	if (sd_journal_process(st->j) < 0)
		return;
	journal_drain(st, true);
}

/* match: "_SYSTEMD_UNIT=openvpn-client@office.service", or a syslog identifier
 * with the pid (a --syslog openvpn outside a unit). */
static int journal_open(struct ov_state *st, const char *match, const char *match2)
{
	char key[sizeof(st->jmatch)];
	int r, fd;

	snprintf(key, sizeof(key), "%s|%s", match, match2 ? match2 : "");
	if (st->j && strcmp(key, st->jmatch) == 0)
		return 0;
	journal_close(st);
	r = sd_journal_open(&st->j, SD_JOURNAL_LOCAL_ONLY);
	if (r < 0) {
		st->j = NULL;
		return r;
	}
	if ((r = sd_journal_add_match(st->j, match, 0)) < 0 ||
	    (match2 && (r = sd_journal_add_match(st->j, match2, 0)) < 0))
		goto fail;
	if ((r = sd_journal_seek_tail(st->j)) < 0)
		goto fail;
	sd_journal_previous_skip(st->j, OV_JOURNAL_HISTORY);
	journal_drain(st, false);
	fd = sd_journal_get_fd(st->j);
	if (fd < 0) {
		r = fd;
		goto fail;
	}
	st->jev = event_new(st->base, fd, EV_READ | EV_PERSIST, on_journal, st);
	if (!st->jev || event_add(st->jev, NULL) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	SCPY(st->jmatch, key);
	return 0;
fail:
	journal_close(st);
	return r;
}

/* ---- the version ------------------------------------------------------------------ */

/* The binary's title string, read from its bytes (never run: the binary is
 * whatever the process's user put there): /proc/PID/exe opened as the
 * process's principal, scanned in windows that overlap by a title's length.
 * Once per binary (its inode and mtime). */
static int exe_title(struct ov_state *st, char *out, size_t size, char *path, size_t path_size)
{
	const struct vd_proc_id who = who_of(st);
	struct stat sb;
	char *buf;
	off_t off = 0;
	int fd, r;

	path[0] = '\0';
	r = probe_proc(&who, PROBE_PROC_EXE, &fd);
	if (r < 0)
		return r;
	if (vd_fd_path(fd, path, path_size) < 0)
		path[0] = '\0';
	if (fstat(fd, &sb) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (st->exe_seen && sb.st_dev == st->exe_dev && sb.st_ino == st->exe_ino &&
	    sb.st_mtim.tv_sec == st->exe_mtime.tv_sec && sb.st_mtim.tv_nsec == st->exe_mtime.tv_nsec) {
		close(fd);
		return -EALREADY;
	}
	st->exe_seen = true;
	st->exe_dev = sb.st_dev;
	st->exe_ino = sb.st_ino;
	st->exe_mtime = sb.st_mtim;
	buf = malloc(OV_EXE_WINDOW + VD_OVPN_TITLE_MAX);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	r = -ENOENT;
	while (off < (off_t)OV_EXE_MAX) {
		ssize_t n = pread(fd, buf, OV_EXE_WINDOW + VD_OVPN_TITLE_MAX, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (vd_ovpn_version_scan(buf, (size_t)n, out, size) == 0) {
			r = 0;
			break;
		}
		if (n < OV_EXE_WINDOW + VD_OVPN_TITLE_MAX)
			break;
		off += OV_EXE_WINDOW;
	}
	free(buf);
	close(fd);
	return r;
}

/* The installed package's version, the last resort: only for the binary
 * the package installs. */
static int package_version(const char *exe, const char *argv0, char *out, size_t size)
{
	char ver[64], *data = NULL;
	size_t len;
	int r;

	if (!(exe && strcmp(exe, "/usr/sbin/openvpn") == 0) &&
	    !(!exe[0] && argv0 && (strcmp(argv0, "/usr/sbin/openvpn") == 0 || strcmp(argv0, "openvpn") == 0)))
		return -ENOENT;
	r = vd_read_file(NULL, OV_DPKG_STATUS, OV_DPKG_MAX, &data, &len);
	if (r < 0)
		return r;
	r = vd_dpkg_version(data, len, "openvpn", ver, sizeof(ver));
	free(data);
	if (r == 0)
		snprintf(out, size, "OpenVPN %s", ver);
	return r;
}

/* The version without the management interface or the log: the binary's
 * bytes, else the package. Each upgrade of the binary is seen (its inode
 * changes). */
static void version_learn(struct ov_state *st)
{
	char title[VD_OVPN_TITLE_MAX], exe[PATH_MAX];
	int r;

	if (st->pid <= 0 || !st->running || st->version_rank >= VR_LOG)
		return;
	r = exe_title(st, title, sizeof(title), exe, sizeof(exe));
	if (r == -EALREADY)
		return;
	if (r == 0) {
		set_version(st, title, VR_BINARY, "binary");
		return;
	}
	if (r == -ESRCH)
		return;
	if (package_version(exe, st->have_proc ? st->proc_argv0 : NULL, title, sizeof(title)) == 0)
		set_version(st, title, VR_PACKAGE, "package");
}

/* ---- management ------------------------------------------------------------------- */

static void mgmt_close(struct ov_state *st, bool failed)
{
	if (st->bev)
		bufferevent_free(st->bev);
	st->bev = NULL;
	vd_mgmt_reader_free(st->rd);
	st->rd = NULL;
	if (st->mgmt_up || failed) {
		st->backoff_s = st->mgmt_up ? 1 : (st->backoff_s ? st->backoff_s * 2 : 1);
		if (st->backoff_s > OV_MGMT_BACKOFF_MAX)
			st->backoff_s = OV_MGMT_BACKOFF_MAX;
		st->next_try = mono() + st->backoff_s;
	}
	st->mgmt_up = false;
	if (st->tick)
		tick_arm(st); /* the retry is due sooner than a slow tick */
}

static const char *mgmt_state_name(const char *s)
{
	if (strcmp(s, "CONNECTED") == 0)
		return "connected";
	if (strcmp(s, "RECONNECTING") == 0)
		return "reconnecting";
	return "connecting"; /* EXITING: see ending() */
}

static void on_mgmt_msg(void *userdata, const struct vd_mgmt_msg *m)
{
	struct ov_state *st = userdata;
	const struct vd_mgmt_state *s = &m->u.state;

	switch (m->kind) {
	case VD_MGMT_STATE: {
		const char *name = mgmt_state_name(s->name);
		char detail[sizeof(st->state_reason)];
		CLEAN(detail, s->detail);
		if (strcmp(s->name, "EXITING") == 0)
			ending(st, detail, s->time, "management");
		else
			set_state(st, name, strcmp(name, "reconnecting") == 0 ? detail : "", s->time, "management");
		if (*s->local_ip)
			SCPY(st->local_ip, s->local_ip);
		if (*s->remote_ip) {
			SCPY(st->remote_addr, s->remote_ip);
			st->remote_port = s->remote_port;
		}
		break;
	}
	case VD_MGMT_LOG:
		if (st->src == SRC_NONE)
			log_line(st, m->u.log.msg, m->u.log.msg_len, !m->reply);
		break;
	case VD_MGMT_HOLD:
		set_state(st, "connecting", "management-hold", 0, "management");
		break;
	case VD_MGMT_FATAL:
		st->saw_exit = true;
		st->fatal_exit = true;
		clean_cpy(st->exit_reason, sizeof(st->exit_reason), m->text, m->text_len);
		changed(st);
		break;
	case VD_MGMT_DATA:
		/* the `version` command's answer: what runs, said by itself */
		if (m->reply && m->text_len > 17 && memcmp(m->text, "OpenVPN Version: ", 17) == 0) {
			char title[VD_OVPN_TITLE_MAX];
			clean_cpy(title, sizeof(title), m->text + 17, m->text_len - 17);
			set_version(st, title, VR_MANAGEMENT, "management");
		}
		break;
	default:
		break;
	}
}

static void on_mgmt_read(struct bufferevent *bev, void *arg)
{
	struct ov_state *st = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char buf[8192];
	int n;

	while ((n = evbuffer_remove(in, buf, sizeof(buf))) > 0)
		vd_mgmt_feed(st->rd, buf, (size_t)n, on_mgmt_msg, st);
}

static void on_mgmt_event(struct bufferevent *bev, short what, void *arg)
{
	struct ov_state *st = arg;
	static const struct {
		const char *cmd;
		enum vd_mgmt_reply reply;
	} cmds[] = {
		{"state on\n", VD_MGMT_REPLY_STATUS},
		{"log on all\n", VD_MGMT_REPLY_STATUS_LOG_LIST},
		{"bytecount 5\n", VD_MGMT_REPLY_STATUS},
		{"state\n", VD_MGMT_REPLY_STATE_LIST},
		{"version\n", VD_MGMT_REPLY_DATA_LIST},
	};

	if (what & BEV_EVENT_CONNECTED) {
		st->mgmt_up = true;
		st->backoff_s = 0;
		for (size_t i = 0; i < VD_ARRAY_SIZE(cmds); i++) {
			bufferevent_write(bev, cmds[i].cmd, strlen(cmds[i].cmd));
			vd_mgmt_expect(st->rd, cmds[i].reply);
		}
		bufferevent_enable(bev, EV_READ);
		changed(st);
		tick_arm(st); /* the yield check's period starts now */
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		/* OpenVPN went away or restarts: the tick reconnects with backoff */
		mgmt_close(st, true);
		changed(st);
	}
}

/* Clients other than the listener at a unix socket path (/proc/net/unix: the
 * listener has __SO_ACCEPTCON, 00010000; accepted and queued ones do not). */
static int unix_clients(const char *path)
{
	FILE *f = fopen("/proc/net/unix", "re");
	char line[PATH_MAX + 128];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char flags[16], p[PATH_MAX];
		unsigned long long num;
		unsigned ref, proto, type, state, inode;
		size_t l = strlen(line);

		if (l && line[l - 1] == '\n')
			line[--l] = '\0';
		if (sscanf(line, "%llx: %x %x %15s %x %x %u %4095s", &num, &ref, &proto, flags, &type, &state,
		           &inode, p) != 8)
			continue;
		if (strcmp(p, path) == 0 && strcmp(flags, "00010000") != 0)
			n++;
	}
	fclose(f);
	return n;
}

static int mgmt_addr(const char *target, struct sockaddr_storage *ss, socklen_t *len)
{
	if (target[0] == '/') {
		struct sockaddr_un *un = (struct sockaddr_un *)ss;
		if (strlen(target) >= sizeof(un->sun_path))
			return -ENAMETOOLONG;
		memset(un, 0, sizeof(*un));
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, target, strlen(target));
		*len = (socklen_t)sizeof(*un);
		return 0;
	}
	/* HOST:PORT, numeric only: no name lookups on the loop */
	{
		char host[256];
		const char *colon = strrchr(target, ':');
		struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM}, *ai;
		if (!colon || (size_t)(colon - target) >= sizeof(host))
			return -EINVAL;
		cpy(host, sizeof(host), target, (size_t)(colon - target));
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = '\0';
		}
		if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
			return -EINVAL;
		memcpy(ss, ai->ai_addr, ai->ai_addrlen);
		*len = ai->ai_addrlen;
		freeaddrinfo(ai);
		return 0;
	}
}

/* A unix socket is connected as the principal of whoever named it (the
 * administrator for Management=, else the process, daemon/priv.h); a
 * HOST:PORT of Management= needs no file and is the engine's own. */
static void mgmt_connect(struct ov_state *st)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	int fd, r;

	if (st->mgmt_unix) {
		/* Management= of vpndoctor.conf is the administrator's; anything
		 * else a process named (discovery passes its --management on) */
		const struct vd_proc_id who = who_of(st), admin = {0};
		r = probe_connect(st->mgmt_conf && st->configured ? &admin : &who, st->mgmt_target, &fd);
		if (r < 0) {
			mgmt_close(st, true);
			return;
		}
	} else {
		if (mgmt_addr(st->mgmt_target, &ss, &len) < 0)
			return;
		fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return;
	}
	if (vd_mgmt_reader_new(&st->rd) < 0) {
		close(fd);
		return;
	}
	st->bev = bufferevent_socket_new(st->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!st->bev) {
		close(fd);
		mgmt_close(st, true);
		return;
	}
	bufferevent_setcb(st->bev, on_mgmt_read, NULL, on_mgmt_event, st);
	if (st->mgmt_unix)
		on_mgmt_event(st->bev, BEV_EVENT_CONNECTED, st); /* connected already */
	else if (bufferevent_socket_connect(st->bev, (struct sockaddr *)&ss, (int)len) < 0)
		mgmt_close(st, true);
}

/* Where to connect, if anywhere (see the top of the file). */
static void mgmt_upkeep(struct ov_state *st)
{
	char target[PATH_MAX] = "";

	if (st->mgmt_conf) {
		SCPY(target, st->mgmt_conf);
	} else if (st->running && st->have_proc && st->proc.mgmt_unix && !st->proc.mgmt_gui) {
		if (vd_proc_path_join(st->cwd, st->proc.mgmt_unix, target, sizeof(target)) < 0)
			target[0] = '\0';
	}
	if (strcmp(target, st->mgmt_target) != 0) {
		mgmt_close(st, false);
		SCPY(st->mgmt_target, target);
		st->mgmt_unix = target[0] == '/';
		st->backoff_s = 0;
		st->next_try = 0;
	}
	if (!*target)
		return;
	if (st->bev) {
		/* another client waits in the queue: it is theirs */
		if (st->mgmt_up && st->mgmt_unix && unix_clients(target) >= 2) {
			probe_log(LOG_INFO, "openvpn: another client waits for the management interface %s: releasing it", target);
			mgmt_close(st, false);
			st->next_try = mono() + OV_MGMT_YIELD_S;
			changed(st);
		}
		return;
	}
	if (mono() < st->next_try)
		return;
	if (st->mgmt_unix && unix_clients(target) > 0) {
		st->next_try = mono() + 2; /* in use: look again soon */
		return;
	}
	mgmt_connect(st);
}

/* ---- the process ------------------------------------------------------------------- */

static int read_small(const char *path, char *buf, size_t size, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t off = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (off < size - 1 && (n = read(fd, buf + off, size - 1 - off)) > 0)
		off += (size_t)n;
	close(fd);
	buf[off] = '\0';
	if (len)
		*len = off;
	return 0;
}

/* Field 22 of /proc/PID/stat: tells a pid reused by another process apart. */
static int proc_starttime(pid_t pid, unsigned long long *ret)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf), NULL) < 0 || !(p = strrchr(buf, ')')))
		return -ENOENT;
	p++; /* the space before field 3 */
	for (int field = 3; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &v) != 1)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* "0::/system.slice/system-openvpn\x2dclient.slice/openvpn-client@office.service":
 * only a root-owned OpenVPN unit's own cgroup (vd_cgroup_root_unit) names
 * the journal to follow. A user can give a process of theirs a cgroup of
 * that name in their own subtree, and root's unit's journal is not theirs. */
static void proc_unit(pid_t pid, char *unit, size_t size)
{
	char path[64], buf[2048];
	size_t len;

	unit[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (read_small(path, buf, sizeof(buf), &len) < 0 || !vd_cgroup_root_unit(buf, len, unit, size) ||
	    strncmp(unit, "openvpn", 7) != 0)
		unit[0] = '\0';
}

/* ---- NetworkManager's plugin ------------------------------------------------------ */

/* NetworkManager's openvpn plugin keeps the management interface and the log
 * to itself, so its State on the system bus says how the tunnel is. The
 * plugin runs openvpn with its helper as --up and --tls-verify, one argument
 * each: "/usr/lib/NetworkManager/nm-openvpn-service-openvpn-helper --debug 0
 * 1234 --bus-name org.freedesktop.NetworkManager.openvpn --tun --"; the bus
 * name there is the plugin's. */
static void nm_bus_name(const char *cmd, size_t len, char *out, size_t size)
{
	static const char opt[] = " --bus-name ";

	out[0] = '\0';
	for (size_t off = 0; off < len; off += strnlen(cmd + off, len - off) + 1) {
		const char *a = cmd + off, *p;
		size_t word = strcspn(a, " "), n;
		if (word < strlen(OV_NM_HELPER) || memcmp(a + word - strlen(OV_NM_HELPER), OV_NM_HELPER,
		                                          strlen(OV_NM_HELPER)) != 0 ||
		    !(p = strstr(a + word, opt)))
			continue;
		p += strlen(opt);
		n = strcspn(p, " ");
		/* a well-known D-Bus name: dotted, [A-Za-z0-9_-], at most 255 */
		if (n == 0 || n >= size || n > 255 || strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		                                               "0123456789_-.") < n ||
		    !memchr(p, '.', n) || *p == '.' || isdigit((unsigned char)*p))
			continue;
		cpy(out, size, p, n);
		return;
	}
}

/* The plugin's state (NMVpnServiceState) as the section's state. Stopping
 * comes only from a Disconnect (nmcli con down, NetworkManager going down),
 * before the plugin ends the process: that exit is the user's, no crash,
 * whichever of the two the daemon sees first. A process that dies on its own
 * makes the plugin go to stopped without stopping, which changes nothing here:
 * the process's exit tells it. */
static void nm_apply(struct ov_state *st, uint32_t s)
{
	if (s >= 1 && s <= 6)
		st->nm_known = true;
	switch (s) {
	case 1: /* init */
	case 3: /* starting */
		if (st->running)
			set_state(st, "connecting", "", 0, "nm-plugin");
		break;
	case 4: /* started */
		if (st->running)
			set_state(st, "connected", "", 0, "nm-plugin");
		break;
	case 2: /* shutdown */
	case 5: /* stopping */
		st->fatal_exit = st->crashed = false;
		ending(st, "stopped by the user through NetworkManager", 0, "nm-plugin");
		changed(st);
		break;
	default: /* 0: unknown; 6: stopped, see above */
		break;
	}
}

/* The State property: libnm's plugins (network-manager-openvpn among them)
 * leave it at 0 and only signal StateChanged, so it counts only when set. */
static int on_nm_state(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct ov_state *st = userdata;
	uint32_t s;

	(void)ret_error;
	st->nm_call = sd_bus_slot_unref(st->nm_call);
	/* an error (the plugin gone, no such object): the process says the rest */
	if (!sd_bus_message_is_method_error(m, NULL) && sd_bus_message_read(m, "v", "u", &s) >= 0)
		nm_apply(st, s);
	return 0;
}

static int on_nm_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct ov_state *st = userdata;
	const char *owner;

	(void)ret_error;
	st->nm_owner_call = sd_bus_slot_unref(st->nm_owner_call);
	if (!sd_bus_message_is_method_error(m, NULL) && sd_bus_message_read(m, "s", &owner) >= 0)
		SCPY(st->nm_owner, owner);
	return 0;
}

/* StateChanged of any VPN plugin: the match names no sender, as sd-bus
 * compares it with the message's unique sender, never a well-known name; the
 * plugin's unique name (GetNameOwner) picks ours. */
static int on_nm_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct ov_state *st = userdata;
	const char *sender = sd_bus_message_get_sender(m);
	uint32_t s;

	(void)ret_error;
	if (sender && *st->nm_owner && strcmp(sender, st->nm_owner) == 0 && sd_bus_message_read(m, "u", &s) >= 0)
		nm_apply(st, s);
	return 0;
}

static int nm_call(struct ov_state *st, sd_bus *bus, sd_bus_slot **slot, const char *dest, const char *path,
                   const char *iface, const char *member, sd_bus_message_handler_t cb, const char *arg1,
                   const char *arg2)
{
	sd_bus_message *m = NULL;
	int r = sd_bus_message_new_method_call(bus, &m, dest, path, iface, member);

	if (r >= 0)
		r = sd_bus_message_set_auto_start(m, 0); /* the plugin gone: no new one for us */
	if (r >= 0 && arg1)
		r = sd_bus_message_append(m, "s", arg1);
	if (r >= 0 && arg2)
		r = sd_bus_message_append(m, "s", arg2);
	if (r >= 0)
		r = sd_bus_call_async(bus, slot, m, cb, st, OV_NM_TIMEOUT_US);
	sd_bus_message_unref(m);
	return r;
}

/* Subscribes to StateChanged and learns the plugin's unique name (once per
 * connection to the bus), and asks State, each unless already under way. */
static void nm_ask(struct ov_state *st)
{
	sd_bus *bus;

	if (!*st->nm_bus || !st->running || !(bus = pu_bus_get(&st->bus, st->base)))
		return;
	if (!st->nm_match || st->nm_match_on != st->bus.opened) {
		st->nm_match = sd_bus_slot_unref(st->nm_match);
		st->nm_owner[0] = '\0';
		if (sd_bus_match_signal_async(bus, &st->nm_match, NULL, OV_NM_PATH, OV_NM_IFACE, "StateChanged",
		                              on_nm_signal, NULL, st) >= 0)
			st->nm_match_on = st->bus.opened;
	}
	/* after the match: a change between the two is not missed */
	if (!*st->nm_owner && !st->nm_owner_call)
		nm_call(st, bus, &st->nm_owner_call, "org.freedesktop.DBus", "/org/freedesktop/DBus",
		        "org.freedesktop.DBus", "GetNameOwner", on_nm_owner, st->nm_bus, NULL);
	if (!st->nm_call)
		nm_call(st, bus, &st->nm_call, st->nm_bus, OV_NM_PATH, "org.freedesktop.DBus.Properties", "Get",
		        on_nm_state, OV_NM_IFACE, "State");
	pu_bus_arm(&st->bus);
}

static void nm_forget(struct ov_state *st)
{
	st->nm_call = sd_bus_slot_unref(st->nm_call);
	st->nm_owner_call = sd_bus_slot_unref(st->nm_owner_call);
	st->nm_match = sd_bus_slot_unref(st->nm_match);
	st->nm_bus[0] = st->nm_owner[0] = '\0';
	st->nm_known = st->link_up = false;
	st->link_local[0] = st->link_server[0] = '\0';
}

/* The tun link of the process: its /dev/net/tun descriptor's fdinfo names
 * it ("iff:\ttun0"); the privileged parent finds and opens that fdinfo as
 * the process's principal (daemon/priv.h). */
static void proc_tun(const struct ov_state *st, char *out, size_t size)
{
	const struct vd_proc_id who = who_of(st);
	char info[512], *p;
	ssize_t n;
	int fd;

	if (probe_proc(&who, PROBE_PROC_TUN, &fd) < 0)
		return;
	n = read(fd, info, sizeof(info) - 1);
	close(fd);
	if (n <= 0)
		return;
	info[n] = '\0';
	if ((p = strstr(info, "\niff:\t"))) {
		p += strlen("\niff:\t");
		size_t len = strcspn(p, "\n");
		if (len > 0 && len < size && len <= IFNAMSIZ)
			cpy(out, size, p, len);
	}
}

/* NetworkManager, not openvpn, configures the link (the plugin runs it with
 * --ifconfig-noexec --route-noexec), so the link tells the tunnel's
 * addresses: the local one, and the server's tunnel address, which is the
 * peer (p2p) unless a host route on the link inside the /24 around the local
 * one names it (net30, where the peer is a virtual address: "route 10.8.0.1"
 * of --server). */
static void nm_link(struct ov_state *st)
{
	struct ifaddrs *ifa = NULL;
	char peer[INET_ADDRSTRLEN] = "", line[256];
	struct in_addr local = {0};
	FILE *f;

	st->link_local[0] = st->link_server[0] = '\0';
	st->link_up = false;
	proc_tun(st, st->tun, sizeof(st->tun)); /* a new link after a restart */
	if (!*st->tun || getifaddrs(&ifa) < 0)
		return;
	for (const struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || strcmp(i->ifa_name, st->tun) != 0)
			continue;
		local = ((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
		inet_ntop(AF_INET, &local, st->link_local, sizeof(st->link_local));
		st->link_up = (i->ifa_flags & IFF_UP) != 0;
		if ((i->ifa_flags & IFF_POINTOPOINT) && i->ifa_dstaddr && i->ifa_dstaddr->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)i->ifa_dstaddr)->sin_addr, peer,
			          sizeof(peer));
		break;
	}
	freeifaddrs(ifa);
	if (!*st->link_local)
		return;
	/* Iface Destination Gateway Flags RefCnt Use Metric Mask ... (hex, network order) */
	if ((f = fopen("/proc/net/route", "re"))) {
		while (fgets(line, sizeof(line), f)) {
			char dev[IFNAMSIZ + 1];
			unsigned dst, gw, flags, mask;
			if (sscanf(line, "%16s %x %x %x %*s %*s %*s %x", dev, &dst, &gw, &flags, &mask) != 5 ||
			    strcmp(dev, st->tun) != 0 || mask != 0xffffffffu || dst == local.s_addr)
				continue;
			/* the file's hex words are s_addr as stored: the /24 around the local address */
			if ((ntohl(dst) >> 8) != (ntohl(local.s_addr) >> 8))
				continue;
			inet_ntop(AF_INET, &(struct in_addr){dst}, st->link_server, sizeof(st->link_server));
			break;
		}
		fclose(f);
	}
	if (!*st->link_server)
		SCPY(st->link_server, peer);
}

/* Until the plugin tells a state (libnm's State stays 0, and its StateChanged
 * may have come before the daemon looked): NetworkManager configures the tun
 * link only once the plugin reported the tunnel up (its Ip4Config), so the
 * link up with its address says connected, and without it, connecting. A
 * log or management interface of the process's own, where there is one,
 * knows better. */
static void nm_infer(struct ov_state *st)
{
	if (st->nm_known || st->mgmt_up || st->src != SRC_NONE)
		return;
	if (st->link_up && *st->link_local)
		set_state(st, "connected", "", 0, "nm-link");
	else if (strcmp(st->state, "connected") == 0)
		set_state(st, "connecting", "", 0, "nm-link");
}

struct found {
	pid_t pid;
	unsigned long long starttime;
	bool root;              /* its principal is root (vpndoctor/principal.h) */
	struct vd_proc_openvpn proc;
	char cwd[PATH_MAX];
	char config_real[PATH_MAX]; /* its --config as the kernel resolved it for its user, else as
	                             * written (under its directory), or "" */
	char argv0[256];
	char nm_bus[256];
};

/* Reads one candidate process's options (command line, then its config,
 * read as its principal: daemon/priv.h). */
static int inspect(pid_t pid, unsigned long long start, struct found *f)
{
	const struct vd_proc_id who = {.pid = pid, .start = start};
	struct vd_principal pr;
	char path[PATH_MAX + 64], *cmd;
	size_t len;
	int r, fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (read_small(path, path, 64, &len) < 0 || strcmp(path, "openvpn\n") != 0)
		return -ENOENT;
	cmd = malloc(VD_PROC_CMDLINE_MAX + 1);
	if (!cmd)
		return -ENOMEM;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	r = read_small(path, cmd, VD_PROC_CMDLINE_MAX + 1, &len);
	if (r == 0)
		r = vd_proc_openvpn_parse(cmd, len, &f->proc);
	if (r == 0) {
		nm_bus_name(cmd, len, f->nm_bus, sizeof(f->nm_bus));
		cpy(f->argv0, sizeof(f->argv0), cmd, strnlen(cmd, len));
	}
	free(cmd);
	if (r < 0)
		return r;
	f->pid = pid;
	f->starttime = start;
	f->root = vd_principal_of_pid(pid, start, &pr, NULL) == 0 && vd_principal_is_root(&pr);
	if (probe_cwd(&who, f->cwd, sizeof(f->cwd)) < 0)
		f->cwd[0] = '\0';
	if (f->proc.config) {
		char cfg[PATH_MAX], *data = NULL;
		size_t dlen;
		struct vd_ovpn_config *c = NULL;

		/* the path as written (joined to its directory) names it when its
		 * user may not open it: discovery names the tunnel so too */
		if (vd_proc_path_join(f->cwd, f->proc.config, cfg, sizeof(cfg)) == 0 && cfg[0] == '/')
			SCPY(f->config_real, cfg);
		if (f->config_real[0] && probe_open(&who, cfg, OV_CONFIG_MAX, &fd) == 0) {
			if (vd_fd_path(fd, f->config_real, sizeof(f->config_real)) < 0)
				SCPY(f->config_real, cfg);
			if (vd_read_fd(fd, OV_CONFIG_MAX, &data, &dlen) == 0 &&
			    vd_ovpn_config_parse(cfg, data, dlen, &c, NULL) == 0)
				vd_proc_openvpn_apply_config(&f->proc, c);
			close(fd);
		}
		vd_ovpn_config_free(c);
		free(data);
	}
	return 0;
}

static bool matches(const struct ov_state *st, pid_t pid, const struct found *f)
{
	char real[PATH_MAX];

	if (st->conf_real && *f->config_real)
		return strcmp(f->config_real, st->conf_real) == 0;
	if (!st->conf_real && !st->mgmt_conf && st->disc_pid)
		return pid == st->disc_pid; /* discovered without a config: that process only */
	if (!st->conf_real && st->mgmt_conf && f->proc.mgmt_unix &&
	    vd_proc_path_join(f->cwd, f->proc.mgmt_unix, real, sizeof(real)) == 0)
		return strcmp(real, st->mgmt_conf) == 0;
	return false;
}

/* Whether f is a better process for the tunnel than have: root's (a unit's)
 * before another user's running the same profile, then the oldest. */
static bool better(const struct found *f, const struct found *have)
{
	if (f->root != have->root)
		return f->root;
	return f->starttime < have->starttime;
}

/* The processes named openvpn in our network namespace (pid and start
 * time), from one pass over /proc a second at most, shared by every
 * tunnel's probe: with a thousand tunnels and no client running, each of
 * them passed over /proc every OV_RESCAN_S, 200 passes a second, and the
 * loop did little else (issue 16 item 7). A process found a second late is
 * found. */
#define OV_PIDS_TTL_S 1.0
static struct {
	double at;
	struct vd_proc_id *v;
	size_t n, cap;
	bool valid;
} ov_pids;

static bool openvpn_named(pid_t pid)
{
	char path[64];
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	return read_small(path, path, 64, &len) == 0 && strcmp(path, "openvpn\n") == 0;
}

static bool candidates(void)
{
	struct dirent *de;
	DIR *d;

	if (ov_pids.valid && mono() - ov_pids.at < OV_PIDS_TTL_S)
		return true;
	d = opendir("/proc");
	if (!d)
		return false;
	ov_pids.n = 0;
	while ((de = readdir(d))) {
		struct vd_proc_id id;
		uint64_t pid;

		/* a client in another network namespace is not this machine's tunnel */
		if (vd_parse_u64(de->d_name, 1, INT_MAX, &pid) < 0 || !openvpn_named((pid_t)pid) ||
		    vd_proc_id_of((pid_t)pid, &id) < 0 || !vd_proc_same_netns(&id, &pu_proc_io))
			continue;
		if (ov_pids.n == ov_pids.cap) {
			size_t cap = ov_pids.cap ? ov_pids.cap * 2 : 16;
			struct vd_proc_id *v = realloc(ov_pids.v, cap * sizeof(*v));

			if (!v)
				break;
			ov_pids.v = v;
			ov_pids.cap = cap;
		}
		ov_pids.v[ov_pids.n++] = id;
	}
	closedir(d);
	ov_pids.at = mono();
	ov_pids.valid = true;
	return true;
}

/* The openvpn process of this tunnel. */
static bool scan(struct ov_state *st, struct found *ret)
{
	bool have = false;

	if (!candidates())
		return false;
	for (size_t i = 0; i < ov_pids.n; i++) {
		const struct vd_proc_id id = ov_pids.v[i];
		struct vd_proc_id again;
		struct found f;

		memset(&f, 0, sizeof(f));
		/* the same process still (its pid not reused since the pass) */
		if (vd_proc_id_of(id.pid, &again) < 0 || again.start != id.start || inspect(id.pid, id.start, &f) < 0)
			continue;
		if (matches(st, id.pid, &f) && (!have || better(&f, ret))) {
			if (have)
				vd_proc_openvpn_clear(&ret->proc);
			*ret = f;
			have = true;
		} else {
			vd_proc_openvpn_clear(&f.proc);
		}
	}
	return have;
}

/* A new openvpn process for this tunnel: its sources. */
static void adopt(struct ov_state *st, struct found *f)
{
	char path[PATH_MAX];
	int r;
	bool new_pid = f->pid != st->pid || f->starttime != st->starttime;

	if (st->have_proc)
		vd_proc_openvpn_clear(&st->proc);
	st->proc = f->proc;
	st->have_proc = true;
	memset(&f->proc, 0, sizeof(f->proc));
	SCPY(st->cwd, f->cwd);
	SCPY(st->proc_argv0, f->argv0);
	if (new_pid || strcmp(st->nm_bus, f->nm_bus) != 0) {
		nm_forget(st);
		SCPY(st->nm_bus, f->nm_bus);
	}
	if (new_pid) {
		st->pid = f->pid;
		st->starttime = f->starttime;
		st->running = true;
		st->ever_seen = true;
		st->saw_exit = st->fatal_exit = st->crashed = false;
		st->exit_reason[0] = '\0';
		st->exit_src = NULL;
		st->hs_open = false;
		/* another process, maybe another binary: its version is learnt anew */
		st->version[0] = '\0';
		st->version_rank = VR_NONE;
		st->version_src = NULL;
		st->exe_seen = false;
		{
			const struct vd_proc_id who = who_of(st);
			vd_proc_describe(&who, st->read_as, sizeof(st->read_as));
		}
		proc_unit(st->pid, st->unit, sizeof(st->unit));
		if (!st->mgmt_up)
			set_state(st, "connecting", "", 0, "process");
		changed(st);
	}
	/* the log: a file, else the journal (a unit's stdout or --syslog) */
	if ((st->proc.log == VD_PROC_LOG_FILE || st->proc.log == VD_PROC_LOG_APPEND) &&
	    vd_proc_path_join(st->cwd, st->proc.log_file, path, sizeof(path)) == 0) {
		/* a new process that truncated its --log starts the file over: read
		 * it from the start, as a missed truncation would read from the
		 * middle; with --log-append the file just goes on */
		bool restart = new_pid && st->proc.log == VD_PROC_LOG_FILE && st->f.path;
		journal_close(st);
		if (!restart && st->f.path && strcmp(st->f.path, path) == 0 && st->f.fd >= 0) {
			st->src = SRC_FILE;
		} else if ((r = follow_open(st, path, restart)) == 0) {
			st->src = SRC_FILE;
			st->log_error[0] = '\0';
		} else {
			char e[sizeof(st->log_error)];
			snprintf(e, sizeof(e), "the log %.80s cannot be read as %.95s: %.100s", path, st->read_as,
			         r == -EINVAL ? "not a regular file" : strerror(-r));
			if (strcmp(e, st->log_error) != 0)
				probe_log(LOG_INFO, "openvpn on %s: %s", st->name, e);
			SCPY(st->log_error, e);
			st->src = SRC_NONE;
		}
	} else {
		char m1[300], m2[64];
		r = -ENOENT;
		st->log_error[0] = '\0';
		follow_close(st);
		if (*st->unit) {
			snprintf(m1, sizeof(m1), "_SYSTEMD_UNIT=%s", st->unit);
			r = journal_open(st, m1, NULL);
		} else if (st->proc.log == VD_PROC_LOG_SYSLOG) {
			snprintf(m1, sizeof(m1), "SYSLOG_IDENTIFIER=%s", st->proc.syslog_name);
			snprintf(m2, sizeof(m2), "_PID=%d", (int)st->pid);
			r = journal_open(st, m1, m2);
		}
		st->src = r == 0 ? SRC_JOURNAL : SRC_NONE;
	}
	version_learn(st);
	nm_ask(st);
}

/* The process is gone: without an exit it logged, it crashed (kill -9, a
 * segfault, the OOM killer). */
static void vanished(struct ov_state *st)
{
	st->running = false;
	st->crashed = !st->saw_exit || st->fatal_exit;
	end_handshake(st, wall(), true);
	if (st->src == SRC_FILE)
		follow_poll(st); /* its last words */
	if (st->pidfd >= 0) {
		event_free(st->pidev);
		st->pidev = NULL;
		close(st->pidfd);
		st->pidfd = -1;
	}
	mgmt_close(st, false);
	/* "exiting" becomes "exited" as said by what told the end */
	set_state(st, "exited", st->saw_exit ? st->exit_reason : "the process vanished without logging an exit",
	          0, st->saw_exit && st->exit_src ? st->exit_src : "process");
	st->crashed = !st->saw_exit || st->fatal_exit;
	changed(st);
}

static bool alive(const struct ov_state *st)
{
	unsigned long long t;

	return st->pid > 0 && proc_starttime(st->pid, &t) == 0 && t == st->starttime;
}

static void rescan(struct ov_state *st)
{
	struct found f;

	st->last_scan = mono();
	memset(&f, 0, sizeof(f));
	if (scan(st, &f)) {
		adopt(st, &f);
		vd_proc_openvpn_clear(&f.proc);
	}
}

static void on_pidfd(evutil_socket_t fd, short what, void *arg)
{
	struct ov_state *st = arg;

	(void)fd;
	(void)what;
	/* it exited: a zombie still has its /proc entry, so alive() is no judge */
	if (st->running && st->pid == st->pidfd_pid && st->starttime == st->pidfd_start)
		vanished(st);
	if (st->pidfd >= 0) {
		event_free(st->pidev);
		st->pidev = NULL;
		close(st->pidfd);
		st->pidfd = -1;
	}
	tick_arm(st);
}

/* The followed process, by a pidfd (Linux 5.3), which is readable once it
 * exits; without one the tick checks /proc every second. */
static void pid_watch(struct ov_state *st)
{
	int fd;

	if (st->pidfd >= 0 && (!st->running || st->pidfd_pid != st->pid || st->pidfd_start != st->starttime)) {
		event_free(st->pidev);
		st->pidev = NULL;
		close(st->pidfd);
		st->pidfd = -1;
	}
	if (st->pidfd >= 0 || !st->running || st->pid <= 0)
		return;
	fd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	if (fd < 0)
		return;
	st->pidev = event_new(st->base, fd, EV_READ, on_pidfd, st);
	if (!st->pidev || event_add(st->pidev, NULL) < 0 || !alive(st)) {
		/* or it exited and its pid was reused before we looked */
		if (st->pidev)
			event_free(st->pidev);
		st->pidev = NULL;
		close(fd);
		return;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC); /* pidfd_open sets it; said for the reader */
	st->pidfd = fd;
	st->pidfd_pid = st->pid;
	st->pidfd_start = st->starttime;
}

/* When the tick must come next: each thing that is polled rather than
 * watched asks for its own period, and a slow tick stays as a safety net
 * (a missed inotify event, a process that escaped its pidfd). Idle, with a
 * watched log and process, that is one wake-up per OV_FALLBACK_S. */
static double tick_delay(struct ov_state *st)
{
	double d = OV_FALLBACK_S, now = mono();
	bool mgmt = st->mgmt_conf || (st->running && st->have_proc && st->proc.mgmt_unix && !st->proc.mgmt_gui);

	if (!st->running)
		d = st->last_scan + OV_RESCAN_S - now;
	else if (st->pidfd < 0)
		d = OV_TICK_MS / 1000.0;
	if (st->src == SRC_FILE && (st->f.wd_file < 0 || st->f.more) && d > OV_TICK_MS / 1000.0)
		d = OV_TICK_MS / 1000.0;
	if (mgmt && st->bev && st->mgmt_up && st->mgmt_unix && d > OV_YIELD_CHECK_S)
		d = OV_YIELD_CHECK_S;
	else if (mgmt && !st->bev && d > st->next_try - now)
		d = st->next_try - now;
	return d < OV_TICK_MS / 1000.0 / 10 ? OV_TICK_MS / 1000.0 / 10 : d;
}

/* Re-arms the tick when it is not pending or is due later than now needed;
 * never postpones a pending one, so frequent calls cannot starve it. */
static void tick_arm(struct ov_state *st)
{
	double d, now = mono();
	struct timeval tv;

	pid_watch(st);
	d = tick_delay(st);
	if (evtimer_pending(st->tick, NULL) && st->tick_due <= now + d)
		return;
	tv.tv_sec = (time_t)d;
	tv.tv_usec = (suseconds_t)((d - (double)tv.tv_sec) * 1e6);
	if (evtimer_add(st->tick, &tv) == 0)
		st->tick_due = now + d;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ov_state *st = arg;

	(void)fd;
	(void)what;
	if (st->running && !alive(st))
		vanished(st);
	if (!st->running && mono() - st->last_scan >= OV_RESCAN_S)
		rescan(st);
	if (st->src == SRC_FILE) {
		follow_poll(st);
		watch(st);
	}
	mgmt_upkeep(st);
	tick_arm(st);
}

/* ---- the section ----------------------------------------------------------------------- */

static cJSON *pushed_json(const struct vd_pushed *p)
{
	cJSON *o = cJSON_CreateObject(), *routes, *dns;

	if (!o)
		return NULL;
	routes = cJSON_AddArrayToObject(o, VDF_PUSHED_ROUTES);
	dns = cJSON_AddArrayToObject(o, VDF_PUSHED_DNS);
	for (unsigned i = 0; routes && i < p->n_routes; i++)
		cJSON_AddItemToArray(routes, cJSON_CreateString(p->routes[i]));
	for (unsigned i = 0; dns && i < p->n_dns; i++)
		cJSON_AddItemToArray(dns, cJSON_CreateString(p->dns[i]));
	if (*p->domain)
		cJSON_AddStringToObject(o, VDF_PUSHED_DOMAIN, p->domain);
	if (*p->topology)
		cJSON_AddStringToObject(o, VDF_PUSHED_TOPOLOGY, p->topology);
	if (*p->cipher)
		cJSON_AddStringToObject(o, VDF_PUSHED_CIPHER, p->cipher);
	return o;
}

static cJSON *build(struct ov_state *st)
{
	cJSON *o = cJSON_CreateObject(), *x;
	unsigned n[K__MAX];
	int64_t now = wall();
	struct vd_ovpn_version v;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, VDF_SECTION_STATUS, "ok");
	cJSON_AddBoolToObject(o, VDF_OPENVPN_RUNNING, st->running);
	if (st->pid > 0)
		cJSON_AddNumberToObject(o, VDF_OPENVPN_PID, st->pid);
	cJSON_AddBoolToObject(o, VDF_OPENVPN_CRASHED, st->crashed);
	cJSON_AddStringToObject(o, VDF_OPENVPN_STATE, *st->state ? st->state : "absent");
	if (*st->state_reason)
		cJSON_AddStringToObject(o, VDF_OPENVPN_STATE_REASON, st->state_reason);
	if (st->state_src && *st->state)
		cJSON_AddStringToObject(o, VDF_OPENVPN_STATE_SOURCE, st->state_src);
	if (*st->nm_bus)
		cJSON_AddStringToObject(o, VDF_OPENVPN_NM_PLUGIN, st->nm_bus);
	if (st->state_since)
		cJSON_AddNumberToObject(o, VDF_OPENVPN_STATE_SINCE, (double)st->state_since);
	if (*st->version && vd_ovpn_version_parse(st->version, &v) == 0 &&
	    (x = cJSON_AddObjectToObject(o, VDF_OPENVPN_VERSION))) {
		cJSON_AddStringToObject(x, VDF_VERSION_STRING, st->version);
		cJSON_AddNumberToObject(x, VDF_VERSION_MAJOR, v.major);
		cJSON_AddNumberToObject(x, VDF_VERSION_MINOR, v.minor);
		cJSON_AddNumberToObject(x, VDF_VERSION_PATCH, v.patch);
		if (*v.platform)
			cJSON_AddStringToObject(x, VDF_VERSION_PLATFORM, v.platform);
		if (st->version_src)
			cJSON_AddStringToObject(x, VDF_VERSION_SOURCE, st->version_src);
	}
	if (*st->read_as && st->running)
		cJSON_AddStringToObject(o, VDF_OPENVPN_READ_AS, st->read_as);
	if (*st->log_error)
		cJSON_AddStringToObject(o, VDF_OPENVPN_LOG_ERROR, st->log_error);
	if (*st->tun && (x = cJSON_AddObjectToObject(o, VDF_OPENVPN_TUN))) {
		cJSON_AddStringToObject(x, VDF_TUN_NAME, st->tun);
		cJSON_AddBoolToObject(x, VDF_TUN_PRESENT, if_nametoindex(st->tun) != 0);
	}
	{
		const char *local = *st->local_ip ? st->local_ip : st->have_pushed ? st->pushed.ifconfig_local
		                                                                     : st->link_local;
		/* with topology subnet the second ifconfig word is a netmask, not the server */
		const char *server = st->have_pushed && strcmp(st->pushed.topology, "subnet") != 0
		                             ? st->pushed.ifconfig_remote
		                             : st->link_server;
		if (*local && st->running)
			cJSON_AddStringToObject(o, VDF_OPENVPN_LOCAL_IP, local);
		if (*server && st->running)
			cJSON_AddStringToObject(o, VDF_OPENVPN_SERVER_IP, server);
	}
	{
		const char *addr = *st->remote_addr ? st->remote_addr : st->have_proc && st->proc.remote ? st->proc.remote : "";
		unsigned port = *st->remote_addr ? st->remote_port : st->have_proc ? st->proc.remote_port : 0;
		const char *proto = *st->proto ? st->proto : st->have_proc && st->proc.proto ? st->proc.proto : "";
		enum vd_ovpn_proto pr;
		if ((*addr || *proto) && (x = cJSON_AddObjectToObject(o, VDF_OPENVPN_REMOTE))) {
			if (*addr)
				cJSON_AddStringToObject(x, VDF_OVPN_REMOTE_ADDR, addr);
			if (port)
				cJSON_AddNumberToObject(x, VDF_OVPN_REMOTE_PORT, port);
			if (*proto && vd_ovpn_proto_parse(proto, &pr) == 0)
				cJSON_AddStringToObject(x, VDF_OVPN_REMOTE_PROTO, vd_ovpn_proto_name(pr));
		}
	}
	if (st->have_proc && st->proc.cipher)
		cJSON_AddStringToObject(o, VDF_OPENVPN_CONFIGURED_CIPHER, st->proc.cipher);
	if (*st->negotiated)
		cJSON_AddStringToObject(o, VDF_OPENVPN_NEGOTIATED_CIPHER, st->negotiated);
	if (st->have_pushed)
		cJSON_AddItemToObject(o, VDF_OPENVPN_PUSHED, pushed_json(&st->pushed));
	if (st->have_prev)
		cJSON_AddItemToObject(o, VDF_OPENVPN_PREVIOUS_PUSHED, pushed_json(&st->prev_pushed));
	/* What happened since the last connection: configuration and certificate
	 * errors from before it are history once a session came up. */
	window_counts(st, n, now, st->connected_at);
	if (st->connected_at > 0)
		cJSON_AddItemToObject(o, VDF_OPENVPN_EVENTS_SINCE_CONNECTED, events_json(n));
	window_counts(st, n, now, 0);
	cJSON_AddItemToObject(o, VDF_OPENVPN_EVENTS, events_json(n));
	if ((x = cJSON_AddObjectToObject(o, VDF_OPENVPN_HANDSHAKES))) {
		cJSON_AddNumberToObject(x, VDF_HANDSHAKES_STARTED, n[K_HS_STARTED]);
		cJSON_AddNumberToObject(x, VDF_HANDSHAKES_COMPLETED, n[K_HS_COMPLETED]);
		cJSON_AddNumberToObject(x, VDF_HANDSHAKES_DROPPED_BEFORE_PUSH, n[K_HS_DROPPED]);
	}
	cJSON_AddNumberToObject(o, VDF_OPENVPN_RECONNECTS, n[K_RECONNECT]);
	if ((x = cJSON_AddArrayToObject(o, VDF_OPENVPN_ERROR_LINES)))
		for (unsigned i = 0; i < st->n_err; i++)
			cJSON_AddItemToArray(x, cJSON_CreateString(
				st->err_lines[(st->err_next + OV_ERR_LINES - st->n_err + i) % OV_ERR_LINES]));
	return o;
}

/* ---- the probe ------------------------------------------------------------------------ */

static void openvpn_free_state(void *p)
{
	struct ov_state *st = p;

	if (!st)
		return;
	if (st->tick)
		event_free(st->tick);
	st->tick = NULL; /* mgmt_close below must not re-arm it */
	if (st->notify)
		event_free(st->notify);
	mgmt_close(st, false);
	journal_close(st);
	follow_close(st);
	if (st->iev)
		event_free(st->iev);
	if (st->ifd >= 0)
		close(st->ifd);
	if (st->pidev)
		event_free(st->pidev);
	if (st->pidfd >= 0)
		close(st->pidfd);
	if (st->have_proc)
		vd_proc_openvpn_clear(&st->proc);
	nm_forget(st);
	pu_bus_close(&st->bus);
	free(st->conf_real);
	free(st->mgmt_conf);
	free(st);
}

static int state_new(struct probe_run *run, struct ov_state **ret)
{
	const struct probe_tunnel *t = run->tunnel;
	struct ov_state *st = calloc(1, sizeof(*st));
	char real[PATH_MAX];

	if (!st)
		return -ENOMEM;
	st->slot = run->slot;
	st->base = run->base;
	st->f.fd = -1;
	st->f.wd_file = st->f.wd_dir = -1;
	st->ifd = st->pidfd = -1;
	SCPY(st->name, t->name);
	if (t->config) {
		int fd;
		/* as the kernel resolves it for whoever named it */
		if (probe_open(&t->owner, t->config, SIZE_MAX, &fd) == 0) {
			if (vd_fd_path(fd, real, sizeof(real)) == 0)
				st->conf_real = strdup(real);
			close(fd);
		}
		if (!st->conf_real && realpath(t->config, real))
			st->conf_real = strdup(real);
		else if (!st->conf_real)
			st->conf_real = strdup(t->config); /* not there yet: compared as written */
	}
	if (t->management)
		st->mgmt_conf = strdup(t->management);
	st->disc_pid = t->pid;
	st->configured = !t->discovered;
	st->tick = evtimer_new(run->base, on_tick, st);
	st->notify = evtimer_new(run->base, on_notify, st);
	if ((t->config && !st->conf_real) || (t->management && !st->mgmt_conf) || !st->tick || !st->notify) {
		openvpn_free_state(st);
		return -ENOMEM;
	}
	*ret = st;
	return 0;
}

static int openvpn_start(struct probe_run *run)
{
	const struct probe_tunnel *t = run->tunnel;
	struct ov_state *st = *run->state;
	int r;

	if (!t || (!t->config && !t->management && !t->pid)) {
		probe_run_error(run, "no Config= or Management= for this tunnel");
		probe_run_done(run, PROBE_UNKNOWN, NULL);
		return 0;
	}
	if (!st) {
		r = state_new(run, &st);
		if (r < 0)
			return r;
		*run->state = st;
	}
	/* the timer's run looks again: a process restarted between ticks, or a
	 * second one on the same profile */
	if (!st->running || !alive(st)) {
		if (st->running)
			vanished(st);
		rescan(st);
	}
	if (st->running) {
		version_learn(st); /* the binary may have been upgraded under it */
		nm_ask(st);        /* a safety net under StateChanged */
	}
	if (*st->nm_bus && st->running) {
		nm_link(st);
		nm_infer(st);
	}
	tick_arm(st);
	if (!st->running && !st->ever_seen)
		probe_run_error(run, "no openvpn process runs %s",
		                t->config ? t->config : t->management ? t->management : "this tunnel");
	probe_run_done(run, PROBE_OK, build(st));
	return 0;
}

const struct probe probe_openvpn = {
	.name = "openvpn",
	.section = VDF_TUNNEL_OPENVPN,
	.config_section = "OpenVPN",
	.per_tunnel = true,
	.interval_s = 30,
	.events = PROBE_EV_RELOAD,
	.start = openvpn_start,
	.cancel = NULL, /* start() always finishes the run */
	.free_state = openvpn_free_state,
};
