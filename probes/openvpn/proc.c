/* The openvpn probe: the process. One pass over /proc a second at most,
 * shared by every tunnel, finds the openvpn processes of our network
 * namespace; each tunnel's probe inspects them (command line, then its
 * config read as its principal), adopts the one that runs its profile with
 * its log, journal, version and plugin, and watches it by a pidfd. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ov.h"
#include "vpndoctor/common.h"
#include "vpndoctor/principal.h"

#define OV_CONFIG_MAX (1024 * 1024)

/* ---- the process ------------------------------------------------------------------- */

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
	if (vd_proc_read_small(path, buf, sizeof(buf), &len) < 0 || !vd_cgroup_root_unit(buf, len, unit, size) ||
	    strncmp(unit, "openvpn", 7) != 0)
		unit[0] = '\0';
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

/* Reads one candidate process's options: the command line, then its config
 * read as its principal (lib/proc_inspect.c, daemon/priv.h). */
static int inspect(pid_t pid, unsigned long long start, struct found *f)
{
	struct vd_proc_openvpn_info i;
	int r = vd_proc_openvpn_inspect(&(struct vd_proc_id){.pid = pid, .start = start}, &pu_proc_io, OV_CONFIG_MAX,
	                                &i);

	if (r < 0)
		return r;
	f->pid = pid;
	f->starttime = i.who.start;
	f->root = i.root;
	f->proc = i.opts;
	memset(&i.opts, 0, sizeof(i.opts));
	SCPY(f->cwd, i.cwd);
	SCPY(f->config_real, i.config);
	ov_nm_bus_name(i.cmdline, i.cmdline_len, f->nm_bus, sizeof(f->nm_bus));
	cpy(f->argv0, sizeof(f->argv0), i.cmdline, strnlen(i.cmdline, i.cmdline_len));
	vd_proc_openvpn_info_clear(&i);
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
		if (vd_parse_u64(de->d_name, 1, INT_MAX, &pid) < 0 || !vd_proc_openvpn_named((pid_t)pid) ||
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
		ov_nm_forget(st);
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
			ov_set_state(st, "connecting", "", 0, "process");
		ov_changed(st);
	}
	/* the log: a file, else the journal (a unit's stdout or --syslog) */
	if ((st->proc.log == VD_PROC_LOG_FILE || st->proc.log == VD_PROC_LOG_APPEND) &&
	    vd_proc_path_join(st->cwd, st->proc.log_file, path, sizeof(path)) == 0) {
		/* a new process that truncated its --log starts the file over: read
		 * it from the start, as a missed truncation would read from the
		 * middle; with --log-append the file just goes on */
		bool restart = new_pid && st->proc.log == VD_PROC_LOG_FILE && st->f.path;
		ov_journal_close(st);
		if (!restart && st->f.path && strcmp(st->f.path, path) == 0 && st->f.fd >= 0) {
			st->src = SRC_FILE;
		} else if ((r = ov_follow_open(st, path, restart)) == 0) {
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
		ov_follow_close(st);
		if (*st->unit) {
			snprintf(m1, sizeof(m1), "_SYSTEMD_UNIT=%s", st->unit);
			r = ov_journal_open(st, m1, NULL);
		} else if (st->proc.log == VD_PROC_LOG_SYSLOG) {
			snprintf(m1, sizeof(m1), "SYSLOG_IDENTIFIER=%s", st->proc.syslog_name);
			snprintf(m2, sizeof(m2), "_PID=%d", (int)st->pid);
			r = ov_journal_open(st, m1, m2);
		}
		st->src = r == 0 ? SRC_JOURNAL : SRC_NONE;
	}
	ov_version_learn(st);
	ov_nm_ask(st);
}

/* The process is gone: without an exit it logged, it crashed (kill -9, a
 * segfault, the OOM killer). */
void ov_vanished(struct ov_state *st)
{
	st->running = false;
	st->crashed = !st->saw_exit || st->fatal_exit;
	ov_end_handshake(st, wall(), true);
	if (st->src == SRC_FILE)
		ov_follow_poll(st); /* its last words */
	if (st->pidfd >= 0) {
		event_free(st->pidev);
		st->pidev = NULL;
		close(st->pidfd);
		st->pidfd = -1;
	}
	ov_mgmt_close(st, false);
	/* "exiting" becomes "exited" as said by what told the end */
	ov_set_state(st, "exited", st->saw_exit ? st->exit_reason : "the process vanished without logging an exit",
	          0, st->saw_exit && st->exit_src ? st->exit_src : "process");
	st->crashed = !st->saw_exit || st->fatal_exit;
	ov_changed(st);
}

bool ov_alive(const struct ov_state *st)
{
	struct vd_proc_id id;

	/* its start time tells a pid reused by another process apart */
	return st->pid > 0 && vd_proc_id_of(st->pid, &id) == 0 && id.start == st->starttime;
}

void ov_rescan(struct ov_state *st)
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
	/* it exited: a zombie still has its /proc entry, so ov_alive() is no judge */
	if (st->running && st->pid == st->pidfd_pid && st->starttime == st->pidfd_start)
		ov_vanished(st);
	if (st->pidfd >= 0) {
		event_free(st->pidev);
		st->pidev = NULL;
		close(st->pidfd);
		st->pidfd = -1;
	}
	ov_tick_arm(st);
}

/* The followed process, by a pidfd (Linux 5.3), which is readable once it
 * exits; without one the tick checks /proc every second. */
void ov_pid_watch(struct ov_state *st)
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
	if (!st->pidev || event_add(st->pidev, NULL) < 0 || !ov_alive(st)) {
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
