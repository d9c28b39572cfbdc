/* The conflicts probe: other VPN software next to this tunnel (docs/facts.md
 * "conflicts"): VPN links that are not this tunnel's (tun/tap, WireGuard,
 * PPP, XFRM/VTI), VPN programs in /proc (and a second OpenVPN on the same
 * profile), and the routes through those links that take the default route
 * or a target away from the tunnel. Links and routes come from the shared
 * netlink monitor (re-run on every change); /proc is read on the timer and on
 * those changes, since a VPN program that matters brings a link up. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "netlink.h"
#include "probe.h"
#include "probe_util.h"
#include "vpndoctor/common.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/proc_inspect.h"
#include "vpndoctor/profile.h"

#define CONFLICTS_MAX_LINKS 64
#define CONFLICTS_MAX_ITEMS 64
#define CONFLICTS_MAX_CMDLINE 65536

/* ---- pure helpers ---- */

const char *probe_conflicts_process_kind(const char *comm)
{
	static const char *const names[] = {"openconnect", "wg-quick", "charon", "charon-nm", "vpnc",
	                                    "pppd",        "openfortivpn", "openvpn"};

	if (!comm)
		return NULL;
	/* strongSwan's systemd flavour; comm keeps 15 bytes */
	if (strcmp(comm, "charon-systemd") == 0)
		return "charon";
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(comm, names[i]) == 0)
			return names[i];
	return NULL;
}

void probe_conflicts_openvpn_args(const char *cmdline, size_t len, const char **config, const char **cd)
{
	const char *args[2] = {NULL, NULL}, *p = cmdline, *end = cmdline + len;
	size_t argc = 0;
	bool want_config = false, want_cd = false;

	*config = NULL;
	*cd = NULL;
	while (p < end) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		if (!nul)
			break; /* an unterminated last argument is cut off: ignore it */
		if (argc > 0 && argc <= 2)
			args[argc - 1] = p;
		if (want_config) {
			if (!*config)
				*config = p;
			want_config = false;
		} else if (want_cd) {
			if (!*config) /* --cd after --config does not move it */
				*cd = p;
			want_cd = false;
		} else if (argc > 0 && strcmp(p, "--config") == 0) {
			want_config = true;
		} else if (argc > 0 && strcmp(p, "--cd") == 0) {
			want_cd = true;
		}
		argc++;
		p = nul + 1;
	}
	/* `openvpn FILE`: a single argument that is not an option is the config */
	if (!*config && argc == 2 && args[0] && strncmp(args[0], "--", 2) != 0 && args[0][0])
		*config = args[0];
}

/* ---- /proc ---- */

/* The real path of an OpenVPN process's config file, or NULL: as the
 * kernel resolves it for the process's principal (daemon/priv.h), so that
 * nothing its user could not reach is looked at. */
static char *openvpn_config_of(long pid)
{
	char path[64], cwd[PATH_MAX], real[PATH_MAX], *cmd = NULL, *out = NULL, *full = NULL;
	const char *config, *cd;
	struct vd_proc_id who;
	size_t len;

	if (vd_proc_id_of((pid_t)pid, &who) < 0)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	if (vd_read_file(NULL, path, CONFLICTS_MAX_CMDLINE, &cmd, &len) < 0)
		return NULL;
	probe_conflicts_openvpn_args(cmd, len, &config, &cd);
	if (config) {
		int r = -1, fd;
		/* relative paths are the process's: its cwd, moved by --cd */
		if (config[0] == '/')
			r = asprintf(&full, "%s", config);
		else if (cd && cd[0] == '/')
			r = asprintf(&full, "%s/%s", cd, config);
		else if (probe_cwd(&who, cwd, sizeof(cwd)) == 0)
			r = cd ? asprintf(&full, "%s/%s/%s", cwd, cd, config) : asprintf(&full, "%s/%s", cwd, config);
		if (r >= 0 && probe_open(&who, full, SIZE_MAX, &fd) == 0) {
			if (vd_fd_path(fd, real, sizeof(real)) == 0)
				out = strdup(real);
			close(fd);
		}
		free(full);
	}
	free(cmd);
	return out;
}

static int add_proc(cJSON *arr, const char *name, long pid)
{
	cJSON *e = cJSON_CreateObject();

	if (!e || !cJSON_AddItemToArray(arr, e)) {
		cJSON_Delete(e);
		return -ENOMEM;
	}
	return cJSON_AddStringToObject(e, VDF_CONFLICT_PROCESS_NAME, name) &&
	               cJSON_AddNumberToObject(e, VDF_CONFLICT_PROCESS_PID, (double)pid)
	               ? 0
	                                                                                                 : -ENOMEM;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

/* The VPN programs in our network namespace, from one pass over /proc a
 * second at most, shared by every tunnel's probe: each tunnel's run used to
 * read every process's comm, and a thousand tunnels (run on their timers,
 * a Check, a link change) made that the loop's whole work (issue 16 item
 * 7). A program seen a second late is seen. */
#define CONFLICTS_PROCS_TTL_S 1.0
static struct {
	double at;
	bool valid;
	size_t n;
	struct {
		long pid;
		const char *kind; /* probe_conflicts_process_kind()'s, static */
	} v[4 * CONFLICTS_MAX_ITEMS];
} vpn_procs;

static int vpn_procs_scan(void)
{
	long self = (long)getpid();
	struct dirent *de;
	double now = pu_mono_ms() / 1000.0;
	DIR *d;

	if (vpn_procs.valid && now - vpn_procs.at < CONFLICTS_PROCS_TTL_S)
		return 0;
	d = opendir("/proc");
	if (!d)
		return -errno;
	vpn_procs.n = 0;
	while ((de = readdir(d)) && vpn_procs.n < VD_ARRAY_SIZE(vpn_procs.v)) {
		uint64_t pid;
		char path[64], *comm = NULL;
		struct vd_proc_id id;
		size_t len;
		const char *kind;

		if (vd_parse_u64(de->d_name, 1, INT_MAX, &pid) < 0 || (long)pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%llu/comm", (unsigned long long)pid);
		if (vd_read_file(NULL, path, 64, &comm, &len) < 0)
			continue; /* gone meanwhile, or hidden */
		comm[strcspn(comm, "\n")] = '\0';
		kind = probe_conflicts_process_kind(comm);
		free(comm);
		/* a VPN in another network namespace (a container) routes nothing of ours */
		if (!kind || vd_proc_id_of((pid_t)pid, &id) < 0 || !vd_proc_same_netns(&id, &pu_proc_io))
			continue;
		vpn_procs.v[vpn_procs.n].pid = (long)pid;
		vpn_procs.v[vpn_procs.n++].kind = kind;
	}
	closedir(d);
	vpn_procs.at = now;
	vpn_procs.valid = true;
	return 0;
}

static int add_processes(cJSON *sec, const struct probe_tunnel *t, const cJSON *ovpn)
{
	cJSON *arr = cJSON_AddArrayToObject(sec, VDF_CONFLICTS_PROCESSES);
	char *mine = t->config ? realpath(t->config, NULL) : NULL;
	long same[CONFLICTS_MAX_ITEMS], ours = -1;
	size_t n_same = 0, n = 0;
	const cJSON *jpid = cJSON_GetObjectItemCaseSensitive(ovpn, VDF_OPENVPN_PID);
	int r = 0;

	if (!arr) {
		free(mine);
		return -ENOMEM;
	}
	if (cJSON_IsNumber(jpid))
		ours = (long)jpid->valuedouble;
	r = vpn_procs_scan();
	if (r < 0) {
		free(mine);
		return r;
	}
	for (size_t i = 0; r == 0 && i < vpn_procs.n && n < CONFLICTS_MAX_ITEMS; i++) {
		long pid = vpn_procs.v[i].pid;
		const char *kind = vpn_procs.v[i].kind;

		if (strcmp(kind, "openvpn") == 0) {
			/* only a second client of this very profile conflicts with it */
			char *cfg = mine ? openvpn_config_of(pid) : NULL;
			bool match = cfg && strcmp(cfg, mine) == 0;
			free(cfg);
			if (match && n_same < CONFLICTS_MAX_ITEMS)
				same[n_same++] = pid;
			continue;
		}
		r = add_proc(arr, kind, pid);
		n++;
	}
	free(mine);
	if (r < 0 || n_same < 2)
		return r;
	/* The tunnel's own client is the openvpn section's pid, else the oldest
	 * (lowest pid, in the absence of wrap-around) of them. */
	qsort(same, n_same, sizeof(same[0]), cmp_long);
	if (ours < 0)
		ours = same[0];
	for (size_t i = 0; r == 0 && i < n_same; i++)
		if (same[i] != ours)
			r = add_proc(arr, "openvpn", same[i]);
	return r;
}

/* ---- links and routes ---- */

struct vpn_link {
	int ifindex;
	char name[NETLINK_DEV_LEN];
};

static int add_links(struct netlink *nl, cJSON *sec, const char *tun, struct vpn_link *v, size_t *n)
{
	cJSON *arr = cJSON_AddArrayToObject(sec, VDF_CONFLICTS_LINKS);

	if (!arr)
		return -ENOMEM;
	*n = 0;
	for (struct nl_object *o = nl_cache_get_first(netlink_links(nl)); o && *n < CONFLICTS_MAX_LINKS;
	     o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		const char *name = rtnl_link_get_name(l), *kind = netlink_link_vpn_kind(l);
		cJSON *e;

		if (!kind || !name || strcmp(name, tun) == 0)
			continue;
		v[*n].ifindex = rtnl_link_get_ifindex(l);
		snprintf(v[*n].name, sizeof(v[*n].name), "%s", name);
		(*n)++;
		e = cJSON_CreateObject();
		if (!e || !cJSON_AddItemToArray(arr, e)) {
			cJSON_Delete(e);
			return -ENOMEM;
		}
		if (!cJSON_AddStringToObject(e, VDF_CONFLICT_LINK_NAME, name) ||
		    !cJSON_AddStringToObject(e, VDF_CONFLICT_LINK_KIND, kind) ||
		    !cJSON_AddBoolToObject(e, VDF_CONFLICT_LINK_UP, (rtnl_link_get_flags(l) & IFF_UP) != 0))
			return -ENOMEM;
	}
	return 0;
}

static const char *vpn_dev(const struct rtnl_route *cr, const struct vpn_link *v, size_t n)
{
	struct rtnl_route *r = (struct rtnl_route *)(uintptr_t)cr; /* libnl's getters take no const */

	for (int i = 0; i < rtnl_route_get_nnexthops(r); i++) {
		int ifi = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, i));
		for (size_t k = 0; k < n; k++)
			if (v[k].ifindex == ifi)
				return v[k].name;
	}
	return NULL;
}

/* Routes through another VPN's link, in any table but the local one (wg-quick
 * and strongSwan use their own tables), that take the default route or a target. */
static int add_routes(struct netlink *nl, cJSON *sec, const struct probe_tunnel *t, const struct vpn_link *v,
                      size_t nv)
{
	cJSON *arr = cJSON_AddArrayToObject(sec, VDF_CONFLICTS_ROUTES);
	size_t n = 0;

	if (!arr)
		return -ENOMEM;
	for (struct nl_object *o = nl_cache_get_first(netlink_routes(nl)); o && n < CONFLICTS_MAX_ITEMS;
	     o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct vd_prefix p, a;
		const char *dev;
		bool hit;
		char buf[VD_PREFIX_STRLEN];

		if (rtnl_route_get_table(r) == RT_TABLE_LOCAL || rtnl_route_get_type(r) != RTN_UNICAST ||
		    !(dev = vpn_dev(r, v, nv)) || !netlink_prefix_from_nl(rtnl_route_get_dst(r), &p))
			continue;
		hit = netlink_is_redirect(&p);
		for (size_t i = 0; !hit && i < t->targets.n; i++)
			hit = vd_addr_parse(t->targets.v[i], &a) == 0 && vd_prefix_contains(&p, &a);
		if (!hit)
			continue;
		cJSON *e = cJSON_CreateObject();
		if (!e || !cJSON_AddItemToArray(arr, e)) {
			cJSON_Delete(e);
			return -ENOMEM;
		}
		if (!cJSON_AddStringToObject(e, VDF_CONFLICT_ROUTE_PREFIX, vd_prefix_format(&p, false, buf, sizeof(buf))) ||
		    !cJSON_AddStringToObject(e, VDF_CONFLICT_ROUTE_DEV, dev))
			return -ENOMEM;
		n++;
	}
	return 0;
}

static int conflicts_start(struct probe_run *run)
{
	struct netlink *nl;
	const cJSON *ovpn;
	struct vpn_link links[CONFLICTS_MAX_LINKS];
	size_t nl_links = 0;
	char tun[NETLINK_DEV_LEN];
	cJSON *sec;
	int r;

	if ((r = netlink_probe_begin(run, &nl)) != 0)
		return r < 0 ? r : 0;
	ovpn = probe_run_section(run, VDF_TUNNEL_OPENVPN);
	if (!pu_section_ok(ovpn))
		ovpn = NULL;
	netlink_tun_dev(nl, run->tunnel, ovpn, tun, sizeof(tun));
	if (!(sec = cJSON_CreateObject()))
		return -ENOMEM;
	r = add_links(nl, sec, tun, links, &nl_links);
	if (r == 0)
		r = add_routes(nl, sec, run->tunnel, links, nl_links);
	if (r == 0 && (r = add_processes(sec, run->tunnel, ovpn)) < 0 && r != -ENOMEM) {
		PROBE_ERROR(run, N_("/proc: {error}"), VD_TEXT("error", strerror(-r)));
		cJSON_DeleteItemFromObjectCaseSensitive(sec, VDF_CONFLICTS_PROCESSES); /* unknown, not none */
		r = 0; /* links and routes still stand */
	}
	if (r < 0) {
		cJSON_Delete(sec);
		return r;
	}
	netlink_probe_done(run, sec);
	return 0;
}

const struct probe probe_conflicts = {
	.name = "conflicts",
	.section = VDF_TUNNEL_CONFLICTS,
	.config_section = "Conflicts",
	.per_tunnel = true,
	.interval_s = 120,
	.events = PROBE_EV_NET | PROBE_EV_OPENVPN | PROBE_EV_RELOAD,
	.needs = (const char *const[]){VDF_TUNNEL_OPENVPN, NULL},
	.start = conflicts_start,
	.cancel = NULL, /* start() always finishes the run */
	.free_state = netlink_probe_free_state,
};
