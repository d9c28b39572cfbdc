/* The openvpn probe's own header: the state one tunnel's probe keeps between
 * runs and the parts that share it, one file per job:
 *
 *   openvpn.c  the probe: the state's life, its changes, the event window,
 *              the tick, the "openvpn" section
 *   lines.c    what a log line says, from whichever source it came
 *   follow.c   the log file, followed by inotify
 *   journal.c  the journal, for a unit's or a --syslog client
 *   version.c  the version, from the log, the management interface or the
 *              binary's bytes (never run)
 *   mgmt.c     the management interface, as a listener that yields
 *   proc.c     the process: /proc scanned for it, adopted, watched by pidfd
 *   nm.c       NetworkManager's openvpn plugin, over D-Bus, and its tun link
 *
 * The probe keeps to the daemon's thread: nothing here locks. */
#ifndef VPNDOCTOR_PROBES_OPENVPN_OV_H
#define VPNDOCTOR_PROBES_OPENVPN_OV_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include <event2/event.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-journal.h>

#include "../busutil.h"
#include "../probe.h"
#include "../probe_util.h"
#include "vpndoctor/ovpn_log.h"
#include "vpndoctor/ovpn_mgmt.h"
#include "vpndoctor/proc_inspect.h"
#include "vpndoctor/proc_openvpn.h"

#define OV_RING 1024             /* timestamped events kept for the window */
#define OV_ERR_LINES 5
#define OV_RESCAN_S 5            /* /proc rescan while no process is known */
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

/* Where the version came from, best first. */
enum { VR_NONE, VR_PACKAGE, VR_BINARY, VR_LOG, VR_MANAGEMENT };

static inline double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int64_t wall(void)
{
	return (int64_t)time(NULL);
}

static inline void cpy(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

#define SCPY(dst, src) cpy((dst), sizeof(dst), (src), strlen(src))

/* The process the probe follows, as daemon/priv.h names it; none (pid -1,
 * never the administrator's 0) before one was found. */
static inline struct vd_proc_id who_of(const struct ov_state *st)
{
	return (struct vd_proc_id){.pid = st->pid > 0 ? st->pid : -1, .start = st->starttime};
}

/* openvpn.c */
void ov_clean_cpy(char *dst, size_t size, const char *src, size_t len);
#define CLEAN(dst, src) ov_clean_cpy((dst), sizeof(dst), (src), strlen(src))
void ov_changed(struct ov_state *st);
void ov_set_state(struct ov_state *st, const char *state, const char *reason, int64_t since, const char *src);
void ov_ending(struct ov_state *st, const char *reason, int64_t since, const char *src);
void ov_count(struct ov_state *st, unsigned kind, int64_t t);
void ov_tick_arm(struct ov_state *st);

/* lines.c */
void ov_log_line(struct ov_state *st, const char *line, size_t len, bool live);
void ov_end_handshake(struct ov_state *st, int64_t t, bool live);

/* follow.c */
int ov_follow_open(struct ov_state *st, const char *path, bool from_start);
void ov_follow_close(struct ov_state *st);
void ov_follow_poll(struct ov_state *st);
void ov_watch(struct ov_state *st);

/* journal.c */
int ov_journal_open(struct ov_state *st, const char *match, const char *match2);
void ov_journal_close(struct ov_state *st);

/* version.c */
void ov_set_version(struct ov_state *st, const char *title, unsigned rank, const char *src);
void ov_version_learn(struct ov_state *st);

/* mgmt.c */
void ov_mgmt_close(struct ov_state *st, bool failed);
void ov_mgmt_upkeep(struct ov_state *st);

/* proc.c */
bool ov_alive(const struct ov_state *st);
void ov_rescan(struct ov_state *st);
void ov_vanished(struct ov_state *st);
void ov_pid_watch(struct ov_state *st);

/* nm.c */
void ov_nm_bus_name(const char *cmd, size_t len, char *out, size_t size);
void ov_nm_ask(struct ov_state *st);
void ov_nm_forget(struct ov_state *st);
void ov_nm_link(struct ov_state *st);
void ov_nm_infer(struct ov_state *st);

#endif
