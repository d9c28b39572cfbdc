/* Discovery of running OpenVPN clients from /proc. A process is read as
 * OpenVPN reads its options (lib/proc_openvpn.c: the command line, then its
 * --config), and only in the daemon's own network namespace: a client in
 * another namespace (a container, a lab's second laptop) is not this
 * machine's tunnel, and its routes and links are not ours to judge. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "discovery.h"
#include "priv.h"
#include "vpndoctor/common.h"
#include "vpndoctor/ovpn_argv.h"
#include "vpndoctor/principal.h"
#include "vpndoctor/proc_inspect.h"
#include "vpndoctor/proc_openvpn.h"

#define DISC_CONFIG_MAX (1024 * 1024)

/* What /proc does not show the engine it asks the privileged parent for,
 * as the process's principal. */
static const struct vd_proc_io proc_io = {.same_netns = priv_same_netns, .cwd = priv_cwd, .open = priv_open};

/* "openvpn-client@office.service" or "openvpn@office.service" in
 * /proc/PID/cgroup: the instance, with systemd's \xNN escapes undone. */
static void unit_instance(pid_t pid, char *out, size_t size)
{
	static const char *const prefixes[] = {"openvpn-client@", "openvpn@"};
	char path[64], buf[4096], *save = NULL;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (vd_proc_read_small(path, buf, sizeof(buf), NULL) < 0)
		return;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *u = strrchr(line, '/'), *inst, *dot;
		size_t o = 0;

		if (!u)
			continue;
		u++;
		for (size_t i = 0; i < VD_ARRAY_SIZE(prefixes); i++) {
			size_t pl = strlen(prefixes[i]);
			if (strncmp(u, prefixes[i], pl) != 0 || !(dot = strstr(u, ".service")) || dot <= u + pl)
				continue;
			for (inst = u + pl; inst < dot && o + 1 < size; inst++) {
				unsigned hi, lo;
				if (inst[0] == '\\' && dot - inst >= 4 && inst[1] == 'x' &&
				    sscanf(inst + 2, "%1x%1x", &hi, &lo) == 2) {
					out[o++] = (char)(hi << 4 | lo);
					inst += 3;
				} else {
					out[o++] = *inst;
				}
			}
			out[o] = '\0';
			return;
		}
	}
}

/* A name as [Tunnel NAME] allows: other bytes become '_'. */
static char *make_name(const char *s, size_t n)
{
	char *r;

	if (n > DISCOVERY_NAME_MAX)
		n = DISCOVERY_NAME_MAX;
	r = strndup(s, n);
	for (char *p = r; p && *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.' || *p == '@'))
			*p = '_';
	return r;
}

char *discovery_name(const char *s, size_t n)
{
	return make_name(s, n);
}

static char *config_name(const char *config)
{
	const char *base = strrchr(config, '/'), *dot;
	size_t n;

	base = base ? base + 1 : config;
	n = strlen(base);
	dot = strrchr(base, '.');
	if (dot && dot > base && (strcmp(dot, ".conf") == 0 || strcmp(dot, ".ovpn") == 0))
		n = (size_t)(dot - base);
	return n ? make_name(base, n) : NULL;
}

/* How many processes of each user other than root one scan has looked at
 * (its network namespace asked, through the parent for another user's) and
 * read in full (those in ours). A user's processes in other namespaces
 * (containers) do not take its share of ours, but are looked at no more than
 * BUDGET_LOOK_FACTOR times that many. */
#define BUDGET_LOOK_FACTOR 4

struct user_share {
	uid_t uid;
	unsigned looked, read;
};

struct user_budget {
	struct user_share *v;
	size_t n;
	unsigned skipped;
};

/* The share of uid, made when it is new; NULL without memory. */
static struct user_share *budget_of(struct user_budget *b, uid_t uid)
{
	struct user_share *nv;

	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].uid == uid)
			return &b->v[i];
	nv = realloc(b->v, (b->n + 1) * sizeof(*b->v));
	if (!nv)
		return NULL;
	b->v = nv;
	b->v[b->n] = (struct user_share){.uid = uid};
	return &b->v[b->n++];
}

/* What ties a process without a config to a NetworkManager connection: the
 * UUID of its management socket, as the plugin names it
 * (nm-openvpn-service.c: RUNDIR "/nm-openvpn-" UUID), believed of a process
 * whose principal is root only (NetworkManager.service's; anyone can name a
 * socket so), and its profile's match key. 0 or -ENOMEM. */
static int nm_ties(const struct vd_proc_openvpn_info *f, struct discovered *d)
{
	static const char *const dirs[] = {"/run/NetworkManager/nm-openvpn-", "/var/run/NetworkManager/nm-openvpn-"};
	char *text = NULL;
	size_t len = 0;
	int r;

	for (size_t i = 0; d->root && d->mgmt_any && i < VD_ARRAY_SIZE(dirs); i++) {
		const char *u = d->mgmt_any + strlen(dirs[i]);
		size_t n = strlen(u);

		if (strncmp(d->mgmt_any, dirs[i], strlen(dirs[i])) != 0 || n < 1 || n > 64 ||
		    strspn(u, "0123456789abcdefABCDEF-") != n)
			continue;
		if (!(d->nm_uuid = strdup(u)))
			return -ENOMEM;
	}
	r = vd_ovpn_argv_profile(f->cmdline, f->cmdline_len, &text, &len);
	if (r == 0)
		r = vd_ovpn_profile_match_key(text, len, &d->match);
	free(text);
	return r == -ENOMEM ? r : 0;
}

/* One process; -ENOENT when it is not an openvpn of ours (or its user has
 * had its share of this scan). Everything it names is opened as its
 * principal (daemon/priv.h, lib/proc_inspect.c): its directory, its
 * --config, which may name the management socket. */
static int inspect(pid_t pid, struct discovered *d, struct user_budget *budget)
{
	struct vd_proc_openvpn_info f;
	char full[PATH_MAX], unit[256];
	const struct vd_proc_openvpn *p = &f.opts;
	struct vd_principal pr;
	struct vd_proc_id who;
	uint64_t start;
	int r;

	if (!vd_proc_openvpn_named(pid))
		return -ENOENT;
	/* whose it is, before anything costs: a user's share is bounded */
	if (vd_principal_of_pid(pid, 0, &pr, &start) < 0)
		return -ENOENT;
	who = (struct vd_proc_id){.pid = pid, .start = start};
	if (!vd_principal_is_root(&pr)) {
		struct user_share *u = budget_of(budget, pr.uid);
		if (!u)
			return -ENOMEM;
		if (u->looked >= BUDGET_LOOK_FACTOR * DISCOVERY_USER_MAX || u->read >= DISCOVERY_USER_MAX) {
			budget->skipped++;
			return -ENOENT;
		}
		u->looked++;
		if (!vd_proc_same_netns(&who, &proc_io))
			return -ENOENT;
		u->read++;
	} else if (!vd_proc_same_netns(&who, &proc_io)) {
		return -ENOENT;
	}
	r = vd_proc_openvpn_inspect(&who, &proc_io, DISC_CONFIG_MAX, &f);
	if (r < 0)
		return r == -ENOMEM ? r : -ENOENT;
	memset(d, 0, sizeof(*d));
	d->pid = pid;
	d->starttime = f.who.start;
	/* a root-owned unit's process, or root's own, is a profile's tunnel
	 * before any other user's process running the same profile */
	d->root = f.root;
	d->uid = f.uid;
	if (f.config[0] && !(d->config = strdup(f.config)))
		goto oom;
	if (p->mgmt_unix && vd_proc_path_join(f.cwd, p->mgmt_unix, full, sizeof(full)) == 0 && full[0] == '/') {
		if (!(d->mgmt_any = strdup(full)) || (!p->mgmt_gui && !(d->management = strdup(full))))
			goto oom;
	}
	unit_instance(pid, unit, sizeof(unit));
	if (*unit)
		d->name = make_name(unit, strlen(unit));
	else if (d->config)
		d->name = config_name(d->config);
	if (!d->name && p->remote)
		d->name = make_name(p->remote, strlen(p->remote));
	if (!d->name && asprintf(&d->name, "openvpn-%d", (int)pid) < 0)
		d->name = NULL;
	if (d->config)
		r = asprintf(&d->key, "config:%s", d->config);
	else
		r = asprintf(&d->key, "pid:%d:%llu", (int)pid, d->starttime);
	if (r < 0)
		d->key = NULL;
	if (!d->name || !d->key)
		goto oom;
	if (!d->config && nm_ties(&f, d) < 0)
		goto oom;
	vd_proc_openvpn_info_clear(&f);
	return 0;
oom:
	vd_proc_openvpn_info_clear(&f);
	discovery_free(d, 1);
	return -ENOMEM;
}

/* Root's processes first (see inspect), then the oldest. */
static int by_start(const void *a, const void *b)
{
	const struct discovered *x = a, *y = b;

	if (x->root != y->root)
		return x->root ? -1 : 1;
	return x->starttime < y->starttime ? -1 : x->starttime > y->starttime;
}

int discovery_scan(struct discovered **ret, size_t *ret_n, unsigned *ret_skipped)
{
	DIR *dir = opendir("/proc");
	struct user_budget budget = {0};
	struct discovered *v = NULL;
	size_t n = 0;
	struct dirent *de;
	int r = 0;

	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		struct discovered d, *nv;
		uint64_t pid;

		if (vd_parse_u64(de->d_name, 1, INT_MAX, &pid) < 0)
			continue;
		r = inspect((pid_t)pid, &d, &budget);
		if (r == -ENOENT) {
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			discovery_free(&d, 1);
			r = -ENOMEM;
			break;
		}
		v = nv;
		v[n++] = d;
	}
	closedir(dir);
	free(budget.v);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			discovery_free(&v[i], 1);
		free(v);
		return r;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_start);
	*ret = v;
	*ret_n = n;
	if (ret_skipped)
		*ret_skipped = budget.skipped;
	return 0;
}

/* Frees the strings of n entries (not the array: callers own it). */
void discovery_free(struct discovered *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].key);
		free(v[i].name);
		free(v[i].config);
		free(v[i].management);
		free(v[i].mgmt_any);
		free(v[i].nm_uuid);
		free(v[i].match);
		memset(&v[i], 0, sizeof(v[i]));
	}
}

int discovery_link_socket(void)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* Only that something changed matters (the rescan reads /proc), so the
 * messages are dropped unread; ENOBUFS (an overrun) says the same. */
void discovery_link_drain(int fd)
{
	char buf[8192];

	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 && errno != ENOBUFS)
			break;
	}
}
