/* Running OpenVPN processes from /proc (see vpndoctor/proc_inspect.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vpndoctor/ovpn_config.h"
#include "vpndoctor/proc_inspect.h"

/* A process's namespace, looked up through io->same_netns, is kept a while: every
 * openvpn probe scans /proc, and a host with many clients in other
 * namespaces (containers, a lab) would ask the same questions again and
 * again, each one a wake-up of the privileged parent (the conflicts probe
 * looks every 2 minutes: a shorter memory woke it for every such process at
 * each look). A process that moves to another namespace (OpenVPN never
 * does; the entry is of one process, pid and start time) is seen at most
 * NETNS_CACHE_S late. */
#define NETNS_CACHE 128
#define NETNS_CACHE_S 900

static struct netns_seen {
	pid_t pid;
	uint64_t start;
	bool same;
	time_t until;
} netns_cache[NETNS_CACHE];

static bool netns_lookup(const struct vd_proc_id *who, bool *same)
{
	const struct netns_seen *e = &netns_cache[(unsigned)who->pid % NETNS_CACHE];

	if (e->pid != who->pid || e->start != who->start || time(NULL) >= e->until)
		return false;
	*same = e->same;
	return true;
}

static bool netns_store(const struct vd_proc_id *who, bool same)
{
	netns_cache[(unsigned)who->pid % NETNS_CACHE] = (struct netns_seen){
		.pid = who->pid, .start = who->start, .same = same, .until = time(NULL) + NETNS_CACHE_S};
	return same;
}

bool vd_proc_same_netns(const struct vd_proc_id *who, const struct vd_proc_io *io)
{
	static dev_t self_dev;
	static ino_t self_ino;
	static bool have_self;
	char path[64];
	struct stat st;
	bool same;
	int r;

	if (!have_self) {
		if (stat("/proc/self/ns/net", &st) < 0)
			return true;
		self_dev = st.st_dev;
		self_ino = st.st_ino;
		have_self = true;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)who->pid);
	if (stat(path, &st) == 0)
		return st.st_dev == self_dev && st.st_ino == self_ino;
	if (errno == ENOENT)
		return false; /* gone: not ours */
	/* another user's process: the caller's privileged side looks (or tells
	 * it is gone); else it is counted */
	if (who->start == 0 || !io || !io->same_netns)
		return true;
	if (netns_lookup(who, &same))
		return same;
	r = io->same_netns(who);
	if (r == -ESRCH)
		return false;
	return netns_store(who, r != 0); /* cannot tell (r < 0): counted */
}

int vd_proc_read_small(const char *path, char *buf, size_t size, size_t *len)
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

bool vd_proc_openvpn_named(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	return vd_proc_read_small(path, path, 64, NULL) == 0 && strcmp(path, "openvpn\n") == 0;
}

void vd_proc_openvpn_info_clear(struct vd_proc_openvpn_info *info)
{
	vd_proc_openvpn_clear(&info->opts);
	free(info->cmdline);
	info->cmdline = NULL;
	info->cmdline_len = 0;
}

/* Its --config, read as its principal: what the command line leaves out. */
static void read_config(const struct vd_proc_openvpn_info *f, const struct vd_proc_io *io, size_t max,
                        struct vd_proc_openvpn *opts, char *config, size_t size)
{
	char full[PATH_MAX], *data = NULL;
	struct vd_ovpn_config *c = NULL;
	size_t dlen;
	int fd;

	config[0] = '\0';
	/* the path as written (joined to its directory) names it when its user
	 * may not open it: a file that user could not read is not read */
	if (vd_proc_path_join(f->cwd, opts->config, full, sizeof(full)) < 0 || full[0] != '/')
		return;
	snprintf(config, size, "%s", full);
	if (!io || !io->open || io->open(&f->who, full, max, &fd) < 0)
		return;
	if (vd_fd_path(fd, config, size) < 0)
		snprintf(config, size, "%s", full);
	if (vd_read_fd(fd, max, &data, &dlen) == 0 && vd_ovpn_config_parse(config, data, dlen, &c, NULL) == 0)
		vd_proc_openvpn_apply_config(opts, c);
	close(fd);
	vd_ovpn_config_free(c);
	free(data);
}

int vd_proc_openvpn_inspect(const struct vd_proc_id *who, const struct vd_proc_io *io, size_t max_config,
                            struct vd_proc_openvpn_info *ret)
{
	struct vd_proc_openvpn_info f = {0};
	struct vd_principal pr;
	uint64_t start;
	char path[64];
	int r;

	if (!vd_proc_openvpn_named(who->pid))
		return -ENOENT;
	/* whose it is, and that it is still the process the caller meant */
	r = vd_principal_of_pid(who->pid, who->start, &pr, &start);
	if (r < 0)
		return r == -ENOMEM ? r : -ESRCH;
	f.who = (struct vd_proc_id){.pid = who->pid, .start = start};
	f.root = vd_principal_is_root(&pr);
	f.uid = f.root ? 0 : pr.uid;
	f.cmdline = malloc(VD_PROC_CMDLINE_MAX + 1);
	if (!f.cmdline)
		return -ENOMEM;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)who->pid);
	r = vd_proc_read_small(path, f.cmdline, VD_PROC_CMDLINE_MAX + 1, &f.cmdline_len);
	if (r == 0)
		r = vd_proc_openvpn_parse(f.cmdline, f.cmdline_len, &f.opts);
	if (r < 0) {
		free(f.cmdline);
		return r == -ENOMEM ? r : -ENOENT;
	}
	/* --cd was carried out while the options were read, so the process's
	 * directory is already the one its relative paths are under */
	if (!io || !io->cwd || io->cwd(&f.who, f.cwd, sizeof(f.cwd)) < 0)
		f.cwd[0] = '\0';
	if (f.opts.config)
		read_config(&f, io, max_config, &f.opts, f.config, sizeof(f.config));
	*ret = f;
	return 0;
}
