/* vpndoctor.conf: the daemon's configuration (libinih), every key with a
 * built-in default, every value checked; errors name FILE:LINE. */
#ifndef VPNDOCTORD_CONFIG_H
#define VPNDOCTORD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vpndoctor/common.h"
#include "vpndoctor/principal.h"

struct cJSON;

#define CONFIG_DEFAULT_PATH "/etc/vpndoctor/vpndoctor.conf"
#define CONFIG_DEFAULT_MAX_CONCURRENT 4
#define CONFIG_DEFAULT_NTP_SERVERS "ntp.aliyun.com ntp1.aliyun.com pool.ntp.org"

#define CONFIG_DEFAULT_IDLE_TIMEOUT_S 60
#define CONFIG_DEFAULT_MAX_CONNECTIONS 256
#define CONFIG_DEFAULT_MAX_PER_UID 32
#define CONFIG_DEFAULT_DISCOVERY_FORGET_S 600
/* Debian's node_exporter textfile collector directory. */
#define CONFIG_DEFAULT_METRICS_DIR "/var/lib/prometheus/node-exporter"
/* As NetworkManager's connectivity check: every 5 minutes. */
#define CONFIG_DEFAULT_CONNECTIVITY_INTERVAL_S 300
/* The VPN Gateway API's answers, as the vendor's CLI prints them (daemon/cloud.c). */
#define CONFIG_DEFAULT_CLOUD_DIR "/etc/vpndoctor/cloud.d"

/* Discover=: auto runs discovery when the file has no [Tunnel] section. */
enum config_discover { CONFIG_DISCOVER_AUTO, CONFIG_DISCOVER_YES, CONFIG_DISCOVER_NO };

struct config_list {
	char **v;
	size_t n;
};

struct config_tunnel {
	char *name;
	const char *file;          /* where its first [Tunnel NAME] header is (one of config.files) */
	unsigned line;             /* of that header */
	char *config;              /* Config=: absolute path of the OpenVPN client config, or NULL */
	char *management;          /* Management=: "/path" or "HOST:PORT", or NULL */
	struct config_list targets;        /* addresses */
	struct config_list names;          /* DNS names */
	char *client_cidr;                 /* prefix, or NULL */
	struct config_list local_networks; /* prefixes */
	uint64_t max_connections;          /* 0: unset */
	uint64_t bandwidth_mbps;           /* 0: unset */
	char *created_on;                  /* as written ("2020-11-02"), or NULL */
	int64_t created_on_t;
	struct config_list ipsec_routes;   /* prefixes */
	char *reflector;                   /* Reflector=: "ADDR:PORT" ("[v6]:PORT"), or NULL */
	char *reflector_key;               /* ReflectorKey=: absolute path, or NULL */
	char *cloud_facts;                 /* CloudFacts=: absolute path, "" (none, not even
	                                    * [Cloud] Directory='s), or NULL (the directory's) */
	/* Set by discovery (daemon/discovery.c), never by the file: */
	bool discovered;
	struct vd_proc_id owner;           /* the process whose principal reads what it names
	                                    * (Config= and the files in it); pid 0: the
	                                    * administrator's, for a [Tunnel] of the file */
	pid_t pid;                         /* a process without --config (NetworkManager's): the
	                                    * openvpn probe follows this pid, as nothing else names it */
	/* Set for a NetworkManager connection (daemon/discoverer.c): */
	char *nm_uuid;                     /* its connection.uuid, or NULL */
	char *nm_profile;                  /* its vpn.data as the plugin gives it to openvpn: the
	                                    * profile checked while no process runs it (pid 0) */
	char *nm_user;                     /* its connection.permissions' one user, or NULL */
};

struct config_probe {
	const char *probe;   /* probe name (static, from the probe table) */
	unsigned interval_s;
	bool enabled;
};

/* Where a key's value came from, for `vpndoctord --dump-config` and
 * io.vpndoctor.GetConfig. A list key set in several places keeps each. */
struct config_origin {
	char *section;     /* "Daemon", "Ping", "Tunnel office" */
	const char *key;   /* static, from the key tables */
	char *value;       /* the effective value as the files build it */
	char *origin;      /* "FILE:LINE", or "FILE:LINE, FILE:LINE" for a list built in steps */
};

struct config {
	char *path;            /* the main file read, or NULL when none was */
	char **files;          /* every file read, in order: the main file, then its drop-ins */
	size_t n_files;
	struct config_origin *origins; /* one per key that a file sets */
	size_t n_origins;
	char *socket;          /* [Daemon] Socket=, NULL: the built-in default */
	char *state_dir;       /* [Daemon] StateDir=, NULL: the built-in default */
	int log_level;         /* [Daemon] LogLevel=, -1: unset */
	unsigned max_concurrent; /* [Daemon] MaxConcurrentProbes= */
	unsigned idle_timeout_s;         /* [Daemon] IdleTimeoutSec= (control socket; 0: never) */
	unsigned max_connections;        /* [Daemon] MaxConnections= */
	unsigned max_connections_per_uid; /* [Daemon] MaxConnectionsPerUser= */
	enum config_discover discover;   /* [Daemon] Discover= */
	unsigned discovery_forget_s;     /* [Daemon] DiscoveryForgetSec=: a discovered tunnel whose
	                                  * process is gone is kept this long */
	struct config_list ntp_servers; /* [Clock] NTPServers= */
	struct config_probe *probes;    /* one per probe of the table, table order */
	size_t n_probes;
	struct config_tunnel *tunnels;  /* [Tunnel NAME] sections, file order */
	size_t n_tunnels;
	char *metrics_dir;     /* [Metrics] TextfileDirectory=: NULL unset (config_metrics_dir()), "" off */
	/* [Connectivity]: is the network the machine is on the internet, or a login page? */
	char *connectivity_url;          /* URL=: the daemon's own HTTP check; NULL or "": none */
	char *connectivity_response;     /* Response=: the start of the expected body; NULL or "": a 204 */
	unsigned connectivity_interval_s; /* Interval= */
	bool connectivity_nm;            /* NetworkManager=: use its Connectivity where it runs */
	char *cloud_dir;       /* [Cloud] Directory=: NULL unset (config_cloud_dir()), "" off */
};

/* Reads path (NULL: CONFIG_DEFAULT_PATH, where a missing file is fine and
 * yields the defaults), then the drop-ins PATH.d/ *.conf in lexical (byte)
 * order: the same keys, a later value wins (a list key appends, an empty
 * value empties it), [Tunnel NAME] sections of the same name are one tunnel.
 * Returns 0, or -errno with err set ("FILE:LINE: msg" via vd_error) naming
 * the file at fault; nothing of a failed load is kept. */
int config_load(const char *path, struct config **ret, struct vd_error *err);
/* The same from a string (tests); name is used in messages. */
int config_parse_string(const char *name, const char *text, struct config **ret, struct vd_error *err);
/* Parses text as one more drop-in on top of c (tests, config_load). On
 * failure c may hold part of the file: free it. */
int config_parse_more(struct config *c, const char *name, const char *text, struct vd_error *err);
/* [Metrics] TextfileDirectory= as it applies now: the directory to write
 * vpndoctor.prom into, or NULL (off). Unset, it is CONFIG_DEFAULT_METRICS_DIR
 * when that exists and the daemon runs under systemd ($INVOCATION_ID). */
const char *config_metrics_dir(const struct config *c);
/* [Cloud] Directory= as it applies: the directory of cloud facts files, or
 * NULL (off). Unset, CONFIG_DEFAULT_CLOUD_DIR (a missing directory is none). */
const char *config_cloud_dir(const struct config *c);
/* The effective configuration, each key with its value and origin:
 * {"files": [FILE...], "sections": [{"name": "Daemon", "keys": [{"key",
 * "value", "origin" (null: the built-in default)}]}]}. Caller owns it. */
struct cJSON *config_dump(const struct config *c);
/* Only the defaults. */
int config_new_default(struct config **ret);
void config_free(struct config *c);

const struct config_probe *config_probe(const struct config *c, const char *probe);
const struct config_tunnel *config_tunnel_find(const struct config *c, const char *name);
/* The tunnel's "cloud" facts section (docs/facts.md), or NULL when it sets none
 * of the cloud-side keys. Caller owns it. */
struct cJSON *config_tunnel_cloud(const struct config_tunnel *t);
/* "FILE:LINE: msg" (or "FILE: msg") into buf; returns buf. */
const char *config_error_string(const struct vd_error *err, char *buf, size_t len);

#endif
