/* The cloud side's facts as the vendor's command line tool prints the VPN
 * Gateway API's answers (`aliyun vpc DescribeSslVpnServers ...`): parsed into
 * records, matched to a tunnel by the gateway's public address, and written
 * as the tunnel's "cloud" facts section. Pure: no I/O, nothing logged. */
#ifndef VPNDOCTOR_CLOUDFACTS_H
#define VPNDOCTOR_CLOUDFACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

#define VD_CLOUD_FILE_MAX (1024 * 1024) /* a larger file is no API answer we read */
#define VD_CLOUD_MAX_RECORDS 4096       /* servers, gateways and routes of one set */
#define VD_CLOUD_MAX_LOCAL 32           /* LocalSubnet's CIDR blocks of one server */
#define VD_CLOUD_ID_MAX 64              /* "vss-bp15j3du13gq1dgey****" and the like */
#define VD_CLOUD_NAME_MAX 256           /* a name (100 characters of UTF-8), cut */
#define VD_CLOUD_CIDR_MAX 50            /* VD_PREFIX_STRLEN */

/* The answers read; a file may hold several, one after the other (what
 * `{ aliyun ...; aliyun ...; } > FILE` writes). */
enum vd_cloud_answer {
	VD_CLOUD_SSL_SERVERS,   /* DescribeSslVpnServers */
	VD_CLOUD_GATEWAYS,      /* DescribeVpnGateways */
	VD_CLOUD_GATEWAY,       /* DescribeVpnGateway (one gateway, its fields at the top) */
	VD_CLOUD_ROUTES,        /* DescribeVpnRouteEntries (destination-based routes) */
	VD_CLOUD_PBR_ROUTES,    /* DescribeVpnPbrRouteEntries (policy-based routes) */
	VD_CLOUD_N_ANSWERS,
};

const char *vd_cloud_answer_name(enum vd_cloud_answer a); /* "DescribeSslVpnServers", ... */

/* Unknown numbers are -1; unknown strings "". */
struct vd_cloud_server {
	char id[VD_CLOUD_ID_MAX];             /* SslVpnServerId */
	char gateway_id[VD_CLOUD_ID_MAX];     /* VpnGatewayId */
	char name[VD_CLOUD_NAME_MAX];         /* Name */
	char internet_ip[48];                 /* InternetIp: the gateway's public address */
	char client_ip_pool[VD_CLOUD_CIDR_MAX]; /* ClientIpPool */
	char local_subnets[VD_CLOUD_MAX_LOCAL][VD_CLOUD_CIDR_MAX]; /* LocalSubnet, split at commas */
	size_t n_local_subnets;
	bool has_local_subnet;
	char proto[4];                        /* Proto, lower case: "udp", "tcp" */
	char cipher[32];                      /* Cipher: "AES-128-CBC", ..., "none" */
	int port;                             /* Port */
	int compress;                         /* Compress: 0, 1 */
	int64_t connections;                  /* Connections */
	int64_t max_connections;              /* MaxConnections */
	int64_t create_time_ms;               /* CreateTime, ms since the epoch */
	unsigned source;                      /* vd_cloud_set_merge's source */
};

struct vd_cloud_gateway {
	char id[VD_CLOUD_ID_MAX];             /* VpnGatewayId */
	char name[VD_CLOUD_NAME_MAX];         /* Name */
	char internet_ip[48];                 /* InternetIp */
	char ssl_internet_ip[48];             /* SslVpnInternetIp (dual-tunnel gateways) */
	int64_t spec_mbps;                    /* Spec: "5M" */
	int64_t ssl_max_connections;          /* SslMaxConnections */
	int64_t create_time_ms;               /* CreateTime */
	int upgraded;                         /* Tag's VpnNewImage: 0, 1 */
	int ssl_vpn;                          /* SslVpn: 1 "enable", 0 "disable" */
	unsigned source;
};

struct vd_cloud_route {
	char gateway_id[VD_CLOUD_ID_MAX];     /* VpnInstanceId */
	char dest[VD_CLOUD_CIDR_MAX];         /* RouteDest */
	char source_cidr[VD_CLOUD_CIDR_MAX];  /* RouteSource (policy-based routes) */
	char next_hop[VD_CLOUD_ID_MAX];       /* NextHop */
	char type[16];                        /* RouteEntryType, lower case ("custom", "system", "bgp") */
	bool policy;                          /* from DescribeVpnPbrRouteEntries */
	unsigned source;
};

struct vd_cloud_set {
	struct vd_cloud_server *servers;
	size_t n_servers;
	struct vd_cloud_gateway *gateways;
	size_t n_gateways;
	struct vd_cloud_route *routes;
	size_t n_routes;
	/* An answer of one page whose TotalCount says there are more: the
	 * records are used, and the file should be made with --pager. */
	bool partial;
	enum vd_cloud_answer partial_answer;
};

/* Why a file was refused: the answer and the field ("" when it is the JSON
 * itself), and what is wrong in words; never a value of the file. */
struct vd_cloud_error {
	char answer[32];
	char field[96];   /* "SslVpnServers.SslVpnServer[0].MaxConnections" */
	char msg[128];
	unsigned line;    /* where the JSON is not JSON (1-based), else 0 */
};

/* Parses the text of a file (len bytes; need not be NUL-terminated): one or
 * more JSON documents, each one of the answers above as the CLI prints it
 * (the whole body, or with --pager the merged list alone). Unknown fields are
 * ignored (the API grows); a known field of the wrong type or form refuses
 * the whole file. On success *ret holds the records (source 0), else it is
 * empty and err says why. 0, -EINVAL (err set), -E2BIG (over
 * VD_CLOUD_FILE_MAX or VD_CLOUD_MAX_RECORDS), -ENOMEM. */
int vd_cloud_parse(const char *text, size_t len, struct vd_cloud_set *ret, struct vd_cloud_error *err);
/* Moves src's records to the end of dst, marked as from source; src is
 * emptied. 0, -E2BIG (dst would exceed VD_CLOUD_MAX_RECORDS), -ENOMEM. */
int vd_cloud_set_merge(struct vd_cloud_set *dst, struct vd_cloud_set *src, unsigned source);
void vd_cloud_set_free(struct vd_cloud_set *s); /* the records; s itself stays */
/* "FIELD: MSG", "line N: MSG" or "MSG" into buf; returns buf. */
const char *vd_cloud_error_format(const struct vd_cloud_error *e, char *buf, size_t len);

/* What applies to a tunnel: the SSL server and gateway whose public address
 * is one of the tunnel's gateway addresses (or, with any_one, the one SSL
 * server or gateway of the set when nothing matches: a file a tunnel names
 * itself). Where several match, the one of the highest source wins (the
 * caller numbers its files by age, newest highest). */
struct vd_cloud_pick {
	const struct vd_cloud_server *server;   /* or NULL */
	const struct vd_cloud_gateway *gateway; /* or NULL */
	const char *addr;                       /* the address that matched (one of addrs), or NULL */
};

/* addrs: the tunnel's gateway addresses, as text ("203.0.113.7"); compared
 * as addresses. Returns true when something applies. */
bool vd_cloud_match(const struct vd_cloud_set *s, const char *const *addrs, size_t n_addrs, bool any_one,
                    struct vd_cloud_pick *ret);

/* Adds to cloud (a tunnel's "cloud" facts section, docs/facts.md) every key
 * the pick gives that cloud does not have yet, each with origin
 * "cloud-facts": keys written in [Tunnel] come first and win. files[i] is the
 * name of source i (for "files"), exported_at[i] its time (epoch s, or -1).
 * 0 or -ENOMEM. */
int vd_cloud_section(const struct vd_cloud_set *s, const struct vd_cloud_pick *pick, const char *const *files,
                     const int64_t *exported_at, size_t n_files, struct cJSON *cloud);

/* Values the tunnel's own facts give when nothing else does (each with
 * origin "derived" and a "derived_from" line): the client CIDR block from a
 * pushed `topology subnet` (the tun link's network). tunnel is one entry of
 * the snapshot's "tunnels"; its "cloud" is made when there was none.
 * 0 or -ENOMEM. */
int vd_cloud_derive(struct cJSON *tunnel);

/* Hosts a tunnel already knows to be inside the VPC, for a tunnel with no
 * Targets= (tunnel is one entry of the snapshot's "tunnels", its sections
 * and cloud as the facts have them), while the client is connected:
 *  1. the DNS servers the server pushed in this session;
 *  2. the addresses the tunnel's DNS servers gave the Names= names (the dns
 *     section's answers), taken only from a server whose route leaves by
 *     the tunnel (an answer from outside it is what a spoofer on the LAN
 *     could write) and only inside a route the tunnel carries that is no
 *     wider than a VPC's block (/8, /32 for IPv6: not a redirect-gateway's
 *     half of the internet), and inside the SSL server's Local Network when
 *     that is known: never an address the probes would reach outside the
 *     tunnel, nor one of the tunnel's own (its ends, its subnet, the client
 *     pool). The names take turns (each one's smallest address first), so
 *     a name with many addresses does not crowd the others out, and the same
 *     answers give the same targets in the same order.
 * At most max, without duplicates; returns how many. */
#define VD_CLOUD_DERIVED_TARGETS_MAX 4
#define VD_CLOUD_DERIVED_NAME_MAX 253 /* VD_DNS_NAME_MAX */
struct vd_derived_target {
	char addr[48];
	char name[VD_CLOUD_DERIVED_NAME_MAX + 1]; /* the Names= name it answers; "" for a pushed DNS server */
	char server[48];                          /* for a name: the DNS server that gave it */
};
size_t vd_cloud_derive_targets(const struct cJSON *tunnel, struct vd_derived_target *out, size_t max);

/* The tunnel's "derived" object (docs/facts.md) from vd_cloud_derive_targets:
 * added when there is a target, else nothing. 0 or -ENOMEM. */
int vd_cloud_derive_section(struct cJSON *tunnel);

#endif
