/* Discovery: the OpenVPN clients running in this daemon's network namespace,
 * read from /proc, each with what makes it a tunnel (name, Config=, Management=). */
#ifndef VPNDOCTORD_DISCOVERY_H
#define VPNDOCTORD_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vpndoctor/principal.h"

#define DISCOVERY_RESCAN_S 30   /* /proc is read again this often (and on link changes) */
#define DISCOVERY_NAME_MAX 32   /* as a [Tunnel NAME] */
/* A user other than root has at most this many processes read per scan and
 * this many discovered tunnels (gone ones included): each process costs a
 * read of its command line and its --config, each tunnel all of its probes,
 * and a local user can start thousands. Root's (and a root unit's) are not
 * limited. */
#define DISCOVERY_USER_MAX 8

struct discovered {
	pid_t pid;
	unsigned long long starttime; /* tells a reused pid apart */
	bool root;        /* its principal is root (vpndoctor/principal.h) */
	uid_t uid;        /* its principal's uid (0 when root) */
	char *key;        /* the identity across scans: "config:PATH", else "pid:PID:START" */
	char *name;       /* the unit instance (openvpn-client@NAME), the config's basename
	                   * without .conf/.ovpn, else the remote host, else "openvpn-PID";
	                   * A-Z a-z 0-9 - _ . @ only, at most DISCOVERY_NAME_MAX */
	char *config;     /* absolute (resolved against the process's directory), or NULL:
	                   * a process driven by its command line (NetworkManager's) */
	char *management; /* its unix management socket, only when it has no GUI options */
	char *mgmt_any;   /* its unix management socket in any case (matching only) */
	/* Without a config, what ties it to a NetworkManager connection
	 * (daemon/discoverer.c): */
	char *nm_uuid;    /* the UUID NetworkManager's plugin names its management socket
	                   * after (/run/NetworkManager/nm-openvpn-UUID), only for a process
	                   * whose principal is root; else NULL */
	char *match;      /* vd_ovpn_profile_match_key of its command line, or NULL */
};

/* A name as [Tunnel NAME] allows (A-Z a-z 0-9 - _ . @, other bytes '_'), at
 * most DISCOVERY_NAME_MAX bytes of s; NULL: no memory. */
char *discovery_name(const char *s, size_t n);

/* The openvpn processes (comm "openvpn") in this process's network namespace,
 * those whose principal is root first, each part oldest first; of another
 * user's, the first DISCOVERY_USER_MAX in /proc's order (and no more than
 * four times that many looked at in all namespaces), the others counted in
 * *ret_skipped (may be NULL). What a process names is read as its principal
 * (daemon/priv.h). 0 or -errno (opendir of /proc). */
int discovery_scan(struct discovered **ret, size_t *n, unsigned *ret_skipped);
/* Frees the strings of n entries; the array stays the caller's. */
void discovery_free(struct discovered *v, size_t n);

/* A netlink socket (non-blocking) that becomes readable when a link comes
 * or goes (a new tun: a client started), for a rescan before the timer's.
 * fd or -errno; discovery_link_drain() reads what is queued. */
int discovery_link_socket(void);
void discovery_link_drain(int fd);

#endif
