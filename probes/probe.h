/* The probe framework: a probe gathers one facts section (docs/facts.md) for a
 * tunnel or for the host, asynchronously on the daemon's event loop; the
 * scheduler (daemon/scheduler.c) decides when it runs, and the model turns
 * its sections into findings through the rules.
 *
 * probes/ is a layer of its own (the library vpndoctor-probes), above lib/
 * and below the daemon: a probe sees a tunnel and the daemon's settings only
 * as this header describes them (struct probe_tunnel, struct probe_settings,
 * filled by the daemon from its configuration), and reaches the daemon only
 * through struct probe_host. No file under probes/ includes a daemon header.
 *
 * Adding a probe:
 *  1. write probes/probe_NAME.c defining `const struct probe probe_NAME`
 *     (functions prefixed probe_NAME_), and declare it at the end of this file;
 *  2. list it in probes/probes.c (that table is the only registry: the
 *     scheduler, Check's probe names and the [Section] of its interval in
 *     vpndoctor.conf all come from it);
 *  3. start() begins non-blocking work on run->base and ends with exactly one
 *     probe_run_done() (it may do so before returning); cancel() drops work in
 *     flight without calling probe_run_done(); state that must outlive a run
 *     (a watch, a connection) goes in *run->state and is freed by free_state();
 *  4. define its section and keys in include/vpndoctor/facts.def (docs/facts.md
 *     is made from it) and write them through their VDF_ constants; document its
 *     configuration keys in vpndoctor.conf(5);
 *  5. list in .needs the sections of other probes it reads: probe_run_section()
 *     refuses any other, and its first run comes after theirs (or in .peeks,
 *     for a section it may read before that section's first run). */
#ifndef VPNDOCTOR_PROBE_H
#define VPNDOCTOR_PROBE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <syslog.h>

#include "vpndoctor/message.h"
#include "vpndoctor/principal.h"

struct cJSON;
struct event_base;
struct probe_slot;

/* A list of strings of the configuration (borrowed). */
struct probe_list {
	char *const *v;
	size_t n;
};

/* A tunnel as its probes see it: what its [Tunnel NAME] section of
 * vpndoctor.conf (or discovery) says, filled by the daemon. Borrowed: valid
 * while the slot lives; its values are those of the run's start. */
struct probe_tunnel {
	const char *name;
	const char *config;           /* Config=: absolute path of the OpenVPN client config, or NULL */
	const char *management;       /* Management=: "/path" or "HOST:PORT", or NULL */
	struct probe_list targets;    /* Targets=: addresses in the VPC */
	struct probe_list names;      /* Names=: DNS names to resolve through the tunnel */
	const char *client_cidr;      /* ClientCIDR=: the cloud side's client prefix, or NULL */
	const char *reflector;        /* Reflector=: "ADDR:PORT" ("[v6]:PORT"), or NULL */
	const char *reflector_key;    /* ReflectorKey=: absolute path, or NULL */
	bool discovered;              /* made by discovery, not by a [Tunnel] of the file */
	struct vd_proc_id owner;      /* whose principal reads what the tunnel names (Config=
	                               * and the files in it); pid 0: the administrator's */
	pid_t pid;                    /* a process without --config (NetworkManager's): the
	                               * openvpn probe follows this pid, as nothing else names it */
	const char *nm_uuid;          /* a NetworkManager connection's uuid, or NULL */
	const char *nm_profile;       /* its profile (vpn.data as the plugin gives it), checked
	                               * while pid is 0: before it connects */
	const char *nm_user;          /* the one user it is kept to, or NULL: for messages (whose
	                               * rights its files are read with: daemon/priv.h) */
};

/* The daemon's settings that probes read. */
struct probe_settings {
	struct probe_list ntp_servers; /* [Clock] NTPServers= */
};

/* Events that re-run dependent probes at once (scheduler_trigger). */
enum probe_event {
	PROBE_EV_FILE = 1u << 0,    /* a watched file changed (the probe watches itself) */
	PROBE_EV_NET = 1u << 1,     /* a link, address or route changed */
	PROBE_EV_OPENVPN = 1u << 2, /* an OpenVPN client changed state */
	PROBE_EV_RELOAD = 1u << 3,  /* the configuration was reloaded */
};

enum probe_status {
	PROBE_OK,      /* the facts were measured */
	PROBE_FAIL,    /* the probe could not measure (backs off) */
	PROBE_UNKNOWN, /* nothing to measure here (no config, not applicable) */
};

struct probe_run {
	const struct probe *probe;
	struct event_base *base;
	const struct probe_tunnel *tunnel; /* NULL for a host-wide probe */
	void **state;             /* the slot's persistent state (NULL until set) */
	struct probe_slot *slot;  /* for probe_slot_trigger() from persistent state */
	void *priv;               /* the probe's own per-run data */
	const struct probe_settings *settings; /* the daemon's settings ([Clock] NTPServers=) */
	unsigned interval_s;      /* the slot's period: its section's Interval=, or the probe's default */
	bool anew;                /* the daemon restarted the probes (a resume, a new network, a
	                           * login page let go): what it measured before was of another path */
	double next_s;            /* a probe that paces itself (a sampling one, vpndoctor/sampler.h)
	                           * sets it before probe_run_done: its next timed run after this
	                           * many seconds; 0 (and after a failure): interval_s, jittered */
};

struct probe {
	const char *name;           /* "profile": Check's name, log and status key */
	const char *section;        /* facts section it fills: "profile" */
	const char *config_section; /* vpndoctor.conf section with Interval=: "Profile" */
	bool per_tunnel;            /* one run per tunnel, else one host-wide */
	unsigned interval_s;        /* default period */
	unsigned events;            /* enum probe_event bits that run it at once */
	/* The sections of other probes it reads (probe_run_section), NULL-ended;
	 * NULL for none. Checked at start-up (probes_check), and its first run
	 * comes after theirs (iwd's IWD_MODULE_DEPENDS). */
	const char *const *needs;
	/* Sections of other probes it looks at without waiting for them: a
	 * sampling probe whose pace follows another's evidence. NULL-ended,
	 * NULL for none; checked as needs are, but they order nothing, so a
	 * probe may peek at one that needs it (until that one's first run it
	 * reads NULL). */
	const char *const *peeks;
	int (*start)(struct probe_run *run); /* 0, or -errno: the run failed at once */
	void (*cancel)(struct probe_run *run); /* may be NULL when start() always finishes */
	void (*free_state)(void *state);       /* may be NULL */
};

/* Ends a run: section (may be NULL) is handed over; status says what it is.
 * Exactly once per started run, never after cancel(). */
void probe_run_done(struct probe_run *run, enum probe_status status, struct cJSON *section);
/* A one-line reason shown in the status' probe list; call before probe_run_done. */
void probe_run_error(struct probe_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same as a message (vpndoctor/message.h): id is an English template
 * marked N_() ("no tun link known", "ICMP socket on {device}: {error}"), args
 * its named values ended by { 0 }. Its English rendering is the reason, and
 * the message goes beside it in the probe list, so that the CLI says it in
 * its reader's language. Values from the machine (a device, an address,
 * strerror's text) are VD_TEXT and shown as they are. PROBE_ERROR() ends the
 * list itself. */
void probe_run_error_msg(struct probe_run *run, const char *id, const struct vd_arg *args);
#define PROBE_ERROR(run, id, ...) \
	probe_run_error_msg((run), (id), (const struct vd_arg[]){ __VA_ARGS__ __VA_OPT__(,) { 0 } })
#ifndef N_
#define N_(s) s /* marks a template for xgettext (po/CMakeLists.txt reads probes/) */
#endif
/* For the host: run's error when its probe's start() returned err (-errno). */
void probe_run_start_failed(struct probe_run *run, int err);
/* Run this slot's probe now (coalesced with a run already queued or running). */
void probe_slot_trigger(struct probe_slot *slot);
/* From persistent state: run every slot whose probe listens for any of events
 * now (scheduler_trigger on the slot's scheduler; an OpenVPN state change). */
void probe_slot_trigger_events(struct probe_slot *slot, unsigned events);
/* Another probe's latest section (by section name) for this run's tunnel, the
 * host's for a host-wide run, or NULL; borrowed until the run returns to the
 * loop. Only a section the probe declares in needs or peeks: any other is refused
 * (NULL, a line in the log, and an assertion in a debug build). */
const struct cJSON *probe_run_section(const struct probe_run *run, const char *section);

const char *probe_status_name(enum probe_status s); /* "ok", "fail", "unknown" */

/* ---- the host: what the daemon lends its probes ------------------------------ */

/* Links of a process's /proc directory that the host opens for a probe. */
enum probe_proc {
	PROBE_PROC_EXE,   /* /proc/PID/exe, for reading: the binary's bytes */
	PROBE_PROC_TUN,   /* /proc/PID/fdinfo/N of its first /dev/net/tun descriptor */
};

/* Set once, before the first run (the daemon's scheduler does it). The first
 * five are the scheduler's side of the functions above. The rest open what a
 * process names as that process's principal (daemon/priv.h: through the
 * privileged parent when there is one): who is the process (pid and start
 * time), NULL or pid 0 for what the administrator named; they return 0 or
 * -errno, -ESRCH when the process is gone (or its pid is another's now). */
struct probe_host {
	void (*run_done)(struct probe_run *run, enum probe_status status, struct cJSON *section);
	void (*run_error)(struct probe_run *run, const char *msg);
	/* msg's English rendering and msg (borrowed); NULL: run_error(text) */
	void (*run_error_msg)(struct probe_run *run, const char *text, const struct cJSON *msg);
	void (*slot_trigger)(struct probe_slot *slot);
	void (*slot_trigger_events)(struct probe_slot *slot, unsigned events);
	const struct cJSON *(*run_section)(const struct probe_run *run, const char *section);
	/* a line for the daemon's log; priority: LOG_ERR..LOG_DEBUG of syslog.h */
	void (*log)(int priority, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
	/* a regular file of at most max bytes (SIZE_MAX: any), close-on-exec */
	int (*open)(const struct vd_proc_id *who, const char *path, size_t max, int *ret_fd);
	/* a unix stream socket connected to path, non-blocking */
	int (*connect)(const struct vd_proc_id *who, const char *path, int *ret_fd);
	/* one of the process's /proc links (never for pid 0) */
	int (*proc)(const struct vd_proc_id *who, enum probe_proc which, int *ret_fd);
	/* whether the process's network namespace is the daemon's: 1, 0, -errno
	 * (an answer, not a descriptor of the namespace) */
	int (*same_netns)(const struct vd_proc_id *who);
	/* a watch on path added to inotify_fd (the caller's instance): its
	 * descriptor, or -errno */
	int (*watch)(const struct vd_proc_id *who, int inotify_fd, const char *path, uint32_t mask);
	/* the process's working directory as a path */
	int (*cwd)(const struct vd_proc_id *who, char *buf, size_t size);
};
void probe_host_set(const struct probe_host *host);

/* The host's services for probes (probes/probe.c); without a host the log
 * goes to stderr and the others fail with -ENOSYS. */
void probe_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int probe_open(const struct vd_proc_id *who, const char *path, size_t max, int *ret_fd);
/* probe_open + vd_read_fd: the whole file, NUL-terminated. */
int probe_read(const struct vd_proc_id *who, const char *path, size_t max, char **ret, size_t *ret_len);
int probe_connect(const struct vd_proc_id *who, const char *path, int *ret_fd);
int probe_proc(const struct vd_proc_id *who, enum probe_proc which, int *ret_fd);
int probe_same_netns(const struct vd_proc_id *who);
int probe_watch(const struct vd_proc_id *who, int inotify_fd, const char *path, uint32_t mask);
int probe_cwd(const struct vd_proc_id *who, char *buf, size_t size);

/* probes/probes.c */
extern const struct probe *const probes_all[];
extern const unsigned probes_n;
const struct probe *probes_find(const char *name);
/* Whether the needs of the n probes of v hold together: each is the section
 * of a probe of v, a host-wide probe needs no tunnel's section, and no probe
 * needs itself through others. 0, or -ENOENT (a need no probe fills),
 * -EINVAL (a host-wide probe needing a tunnel's section), -ELOOP (a cycle),
 * with a sentence in err. */
int probes_check(const struct probe *const *v, size_t n, char *err, size_t err_size);
/* v's probes into order, each after the probes it needs and otherwise in v's
 * order (the order of first runs). v must pass probes_check. */
void probes_order(const struct probe *const *v, size_t n, const struct probe **order);

extern const struct probe probe_profile; /* probes/probe_profile.c */
extern const struct probe probe_clock;   /* probes/probe_clock.c */
extern const struct probe probe_openvpn; /* probes/openvpn/ */
extern const struct probe probe_routes;    /* probes/probe_routes.c */
extern const struct probe probe_conflicts; /* probes/probe_conflicts.c */
extern const struct probe probe_dns;       /* probes/probe_dns.c */
extern const struct probe probe_transport; /* probes/probe_transport.c */
extern const struct probe probe_path;      /* probes/probe_path.c */
extern const struct probe probe_ping;       /* probes/probe_ping.c */
extern const struct probe probe_mtu;        /* probes/probe_mtu.c */
extern const struct probe probe_throughput; /* probes/probe_throughput.c */
extern const struct probe probe_firewall;   /* probes/probe_firewall.c */
extern const struct probe probe_reflector;  /* probes/probe_reflector.c */

#endif
