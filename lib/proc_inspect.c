/* Running OpenVPN processes from /proc (see vpndoctor/proc_inspect.h). */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "vpndoctor/proc_inspect.h"

/* A process's namespace, looked up through io->same_netns, is kept a while: every
 * openvpn probe scans /proc, and a host with many clients in other
 * namespaces (containers, a lab) would ask the same questions again and
 * again. A process that moves to another namespace is seen at most
 * NETNS_CACHE_S late. */
#define NETNS_CACHE 128
#define NETNS_CACHE_S 30

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
