/* See gwmemory.h.
 *
 * The file is one JSON document, rewritten whole (it is at most 64 KiB) into
 * "gateways.new", synced and renamed over "gateways", so a crash leaves the
 * old one or the new one, never half of either:
 *   {"version": 1, "gateways": [{"gateway": "203.0.113.7", "port": 1194,
 *     "udp_answered": [{"network": "192.168.1.0/24 via 192.168.1.1", "last": EPOCH}]}]}
 * What it holds is the daemon's own making (addresses and route names from
 * its facts), but the directory is on disk: read back with the same care as
 * anything else, every field checked and bounded. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "gwmemory.h"
#include "log.h"
#include "model.h"
#include "probes/probe.h"
#include "vpndoctor/cidr.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/uplink.h"

#define GWMEMORY_VERSION 1
#define GWMEMORY_TMP GWMEMORY_FILE ".new"
#define GWMEMORY_MAX_PENDING 64

struct gw_net {
	char network[VD_UPLINK_LEN];
	int64_t last;     /* when it last answered from there */
	int64_t written;  /* last as the file has it */
};

struct gw_entry {
	char gateway[VD_PREFIX_STRLEN];
	unsigned port;
	struct gw_net nets[GWMEMORY_MAX_NETWORKS]; /* the latest first */
	size_t n;
};

/* The network a tunnel's gateway is reached from, and since when: what was
 * measured before the move is not an answer from the new network. */
struct tunnel_net {
	char *tunnel;
	char network[VD_UPLINK_LEN]; /* "" while not known */
	int64_t since;               /* 0: as long as the daemon has looked */
};

struct gwmemory {
	int dirfd;
	struct gw_entry *v; /* the latest answering first */
	size_t n;
	bool dirty;
	/* following the daemon */
	struct event_base *base;
	struct vd_daemon *d;
	struct event *update_ev;
	char *pending[GWMEMORY_MAX_PENDING]; /* tunnels whose sections changed */
	size_t n_pending;
	struct tunnel_net *nets;
	size_t n_nets;
};

/* The section's descriptor: not a probe the scheduler runs, the name the
 * model files the section under. */
static const struct probe gwmemory_probe = {
	.name = "gateway-memory",
	.section = "gateway_memory",
	.per_tunnel = true,
};

/* ---- the file ---- */

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool jnum(const cJSON *o, const char *k, double lo, double hi, double *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi ||
	    v->valuedouble != floor(v->valuedouble))
		return false;
	*ret = v->valuedouble;
	return true;
}

static bool valid_gateway(const char *s)
{
	struct vd_prefix p;
	return s && strlen(s) < VD_PREFIX_STRLEN && vd_addr_parse(s, &p) == 0;
}

static bool valid_network(const char *s)
{
	if (!s || !*s || strlen(s) >= VD_UPLINK_LEN)
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') || (*c >= 'A' && *c <= 'F') || *c == '.' ||
		      *c == ':' || *c == '/' || *c == ' ' || *c == 'v' || *c == 'i'))
			return false; /* "ADDR/LEN via ADDR": nothing else was ever written */
	return true;
}

/* Entries from a parsed document, skipping what is not well formed; the
 * count of skipped ones in *bad. */
static void load_doc(struct gwmemory *g, const cJSON *doc, unsigned *bad)
{
	const cJSON *e, *n;
	double v;

	if (!jnum(doc, "version", GWMEMORY_VERSION, GWMEMORY_VERSION, &v)) {
		(*bad)++;
		return;
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "gateways")) {
		struct gw_entry *en;
		double port;

		if (g->n >= GWMEMORY_MAX_GATEWAYS || !valid_gateway(jstr(e, "gateway")) ||
		    !jnum(e, "port", 1, 65535, &port)) {
			(*bad)++;
			continue;
		}
		en = &g->v[g->n];
		memset(en, 0, sizeof(*en));
		snprintf(en->gateway, sizeof(en->gateway), "%s", jstr(e, "gateway"));
		en->port = (unsigned)port;
		cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(e, "udp_answered")) {
			double last;
			if (en->n >= GWMEMORY_MAX_NETWORKS || !valid_network(jstr(n, "network")) ||
			    !jnum(n, "last", 0, 1e11, &last)) {
				(*bad)++;
				continue;
			}
			snprintf(en->nets[en->n].network, sizeof(en->nets[0].network), "%s", jstr(n, "network"));
			en->nets[en->n].last = en->nets[en->n].written = (int64_t)last;
			en->n++;
		}
		if (en->n)
			g->n++;
	}
}

static int load(struct gwmemory *g)
{
	int fd = openat(g->dirfd, GWMEMORY_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	char *buf = NULL;
	size_t off = 0;
	unsigned bad = 0;
	cJSON *doc;

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		log_warn("gateway memory: cannot open %s; starting afresh", GWMEMORY_FILE);
		return 0;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > GWMEMORY_MAX_BYTES) {
		log_warnx("gateway memory: %s is not a regular file of at most %d bytes; starting afresh",
		          GWMEMORY_FILE, GWMEMORY_MAX_BYTES);
		close(fd);
		g->dirty = true; /* replaced on the next save */
		return 0;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	doc = cJSON_ParseWithLength(buf, off);
	free(buf);
	if (!doc) {
		log_warnx("gateway memory: %s is not JSON; starting afresh", GWMEMORY_FILE);
		g->dirty = true;
		return 0;
	}
	load_doc(g, doc, &bad);
	cJSON_Delete(doc);
	if (bad) {
		log_warnx("gateway memory: %u malformed entr%s in %s skipped", bad, bad == 1 ? "y" : "ies", GWMEMORY_FILE);
		g->dirty = true;
	}
	return 0;
}

int gwmemory_open(int dirfd, struct gwmemory **ret)
{
	struct gwmemory *g = calloc(1, sizeof(*g));
	int r;

	if (!g)
		return -ENOMEM;
	g->dirfd = -1;
	g->v = calloc(GWMEMORY_MAX_GATEWAYS, sizeof(*g->v));
	if (g->v)
		g->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (!g->v || g->dirfd < 0) {
		r = g->v ? -errno : -ENOMEM;
		gwmemory_free(g);
		return r;
	}
	r = load(g);
	if (r < 0) {
		gwmemory_free(g);
		return r;
	}
	*ret = g;
	return 0;
}

static cJSON *to_json(const struct gwmemory *g)
{
	cJSON *doc = cJSON_CreateObject(), *arr;

	if (!doc || !cJSON_AddNumberToObject(doc, "version", GWMEMORY_VERSION) ||
	    !(arr = cJSON_AddArrayToObject(doc, "gateways")))
		goto fail;
	for (size_t i = 0; i < g->n; i++) {
		const struct gw_entry *en = &g->v[i];
		cJSON *e = cJSON_CreateObject(), *nets;

		if (!e || !cJSON_AddItemToArray(arr, e) || !cJSON_AddStringToObject(e, "gateway", en->gateway) ||
		    !cJSON_AddNumberToObject(e, "port", en->port) || !(nets = cJSON_AddArrayToObject(e, "udp_answered")))
			goto fail;
		for (size_t k = 0; k < en->n; k++) {
			cJSON *n = cJSON_CreateObject();
			if (!n || !cJSON_AddItemToArray(nets, n) ||
			    !cJSON_AddStringToObject(n, "network", en->nets[k].network) ||
			    !cJSON_AddNumberToObject(n, "last", (double)en->nets[k].last))
				goto fail;
		}
	}
	return doc;
fail:
	cJSON_Delete(doc);
	return NULL;
}

int gwmemory_save(struct gwmemory *g)
{
	cJSON *doc;
	char *text;
	size_t len, off = 0;
	int fd, r = 0;

	if (!g->dirty)
		return 0;
	doc = to_json(g);
	text = doc ? cJSON_PrintUnformatted(doc) : NULL;
	cJSON_Delete(doc);
	if (!text)
		return -ENOMEM;
	len = strlen(text);
	(void)unlinkat(g->dirfd, GWMEMORY_TMP, 0);
	fd = openat(g->dirfd, GWMEMORY_TMP, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0640);
	if (fd < 0) {
		r = -errno;
		free(text);
		return r;
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		off += (size_t)n;
	}
	free(text);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(g->dirfd, GWMEMORY_TMP, g->dirfd, GWMEMORY_FILE) < 0)
		r = -errno;
	if (r == 0 && fsync(g->dirfd) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(g->dirfd, GWMEMORY_TMP, 0);
		return r;
	}
	for (size_t i = 0; i < g->n; i++)
		for (size_t k = 0; k < g->v[i].n; k++)
			g->v[i].nets[k].written = g->v[i].nets[k].last;
	g->dirty = false;
	return 0;
}

static void save_logged(struct gwmemory *g)
{
	int r = gwmemory_save(g);
	if (r < 0) {
		errno = -r;
		log_warn("gateway memory: cannot write %s", GWMEMORY_FILE);
	}
}

int gwmemory_note(struct gwmemory *g, const char *gateway, unsigned port, const char *network, int64_t when)
{
	struct gw_entry *en = NULL, tmp;
	struct gw_net net;
	size_t i, k;
	bool news;

	if (!valid_gateway(gateway) || !valid_network(network) || port == 0 || port > 65535)
		return -EINVAL;
	for (i = 0; i < g->n && !en; i++)
		if (g->v[i].port == port && strcmp(g->v[i].gateway, gateway) == 0)
			en = &g->v[i];
	if (!en) {
		/* a new one, first; past the bound the least recent goes */
		if (g->n == GWMEMORY_MAX_GATEWAYS)
			g->n--;
		memmove(&g->v[1], &g->v[0], g->n * sizeof(g->v[0]));
		g->n++;
		en = &g->v[0];
		memset(en, 0, sizeof(*en));
		snprintf(en->gateway, sizeof(en->gateway), "%s", gateway);
		en->port = port;
	} else if (en != &g->v[0]) {
		tmp = *en;
		memmove(&g->v[1], &g->v[0], (size_t)(en - g->v) * sizeof(g->v[0]));
		g->v[0] = tmp;
		en = &g->v[0];
	}
	for (k = 0; k < en->n; k++)
		if (strcmp(en->nets[k].network, network) == 0)
			break;
	if (k < en->n) {
		net = en->nets[k];
		memmove(&en->nets[1], &en->nets[0], k * sizeof(en->nets[0]));
	} else {
		memset(&net, 0, sizeof(net));
		snprintf(net.network, sizeof(net.network), "%s", network);
		if (en->n < GWMEMORY_MAX_NETWORKS)
			en->n++;
		memmove(&en->nets[1], &en->nets[0], (en->n - 1) * sizeof(en->nets[0]));
	}
	if (when > net.last)
		net.last = when;
	en->nets[0] = net;
	news = net.written == 0 || net.last - net.written >= GWMEMORY_REFRESH_S;
	if (net.last != net.written)
		g->dirty = true;
	return news ? 1 : 0;
}

cJSON *gwmemory_section(const struct gwmemory *g, const char *gateway, unsigned port, const char *network,
                        int64_t now)
{
	cJSON *s = cJSON_CreateObject(), *arr;
	const struct gw_entry *en = NULL;

	if (!s)
		return NULL;
	for (size_t i = 0; i < g->n && !en; i++)
		if (g->v[i].port == port && strcmp(g->v[i].gateway, gateway) == 0)
			en = &g->v[i];
	if (!cJSON_AddStringToObject(s, VDF_SECTION_STATUS, "ok") ||
	    !cJSON_AddNumberToObject(s, VDF_SECTION_AT, (double)now) ||
	    !cJSON_AddStringToObject(s, VDF_GATEWAY_MEMORY_GATEWAY, gateway) ||
	    !cJSON_AddNumberToObject(s, VDF_GATEWAY_MEMORY_PORT, port) ||
	    !(network ? cJSON_AddStringToObject(s, VDF_GATEWAY_MEMORY_NETWORK, network)
	              : cJSON_AddNullToObject(s, VDF_GATEWAY_MEMORY_NETWORK)) ||
	    !(arr = cJSON_AddArrayToObject(s, VDF_GATEWAY_MEMORY_UDP_ANSWERED)))
		goto fail;
	for (size_t k = 0; en && k < en->n; k++) {
		cJSON *n = cJSON_CreateObject();
		if (!n || !cJSON_AddItemToArray(arr, n) ||
		    !cJSON_AddStringToObject(n, VDF_NETWORK_SEEN_NETWORK, en->nets[k].network) ||
		    !cJSON_AddNumberToObject(n, VDF_NETWORK_SEEN_LAST, (double)en->nets[k].last))
			goto fail;
	}
	return s;
fail:
	cJSON_Delete(s);
	return NULL;
}

/* ---- following the daemon ---- */

static const char *sec_str(const cJSON *o, const char *k)
{
	const char *s = o ? jstr(o, k) : NULL;
	return s && *s ? s : NULL;
}

static const char *status_ok(const cJSON *sec)
{
	const char *st = sec_str(sec, VDF_SECTION_STATUS);
	return st && strcmp(st, "ok") == 0 ? st : NULL;
}

static struct tunnel_net *tunnel_net(struct gwmemory *g, const char *tunnel)
{
	struct tunnel_net *v;

	for (size_t i = 0; i < g->n_nets; i++)
		if (strcmp(g->nets[i].tunnel, tunnel) == 0)
			return &g->nets[i];
	if (g->n_nets >= 256 || !(v = realloc(g->nets, (g->n_nets + 1) * sizeof(*v))))
		return NULL;
	g->nets = v;
	v += g->n_nets;
	memset(v, 0, sizeof(*v));
	if (!(v->tunnel = strdup(tunnel)))
		return NULL;
	g->n_nets++;
	return v;
}

/* One tunnel: what its sections show now, noted and handed back. */
static void update_tunnel(struct gwmemory *g, const char *tunnel)
{
	const cJSON *tr = model_section(g->d, tunnel, "transport");
	const cJSON *ovpn = model_section(g->d, tunnel, "openvpn");
	const cJSON *rt = model_section(g->d, tunnel, "routes");
	const cJSON *remote = ovpn ? cJSON_GetObjectItemCaseSensitive(ovpn, VDF_OPENVPN_REMOTE) : NULL;
	const cJSON *old = model_section(g->d, tunnel, gwmemory_probe.section);
	const char *gw = NULL, *state = sec_str(ovpn, VDF_OPENVPN_STATE);
	char network[VD_UPLINK_LEN];
	bool have_net;
	double port = 0;
	int64_t now = model_now(g->d);
	int news = 0;
	cJSON *sec;

	have_net = vd_uplink_network(rt, network, sizeof(network)) == 0;
	struct tunnel_net *tn = tunnel_net(g, tunnel);
	if (!tn)
		return;
	if (have_net && strcmp(tn->network, network) != 0) {
		/* a move (the first network seen has been there all along) */
		tn->since = tn->network[0] ? now : 0;
		snprintf(tn->network, sizeof(tn->network), "%s", network);
	}
	if (status_ok(tr) && (gw = sec_str(tr, VDF_TRANSPORT_GATEWAY)) && jnum(tr, VDF_TRANSPORT_PORT, 1, 65535, &port)) {
		const cJSON *udp = cJSON_GetObjectItemCaseSensitive(tr, VDF_TRANSPORT_UDP);
		const char *res = sec_str(udp, VDF_TRANSPORT_TRY_RESULT);
		double at = 0;
		/* a handshake that answered in this section, on this network */
		if (have_net && res && strcmp(res, "answered") == 0 && jnum(tr, VDF_SECTION_AT, 0, 1e11, &at) &&
		    (int64_t)at >= tn->since)
			news |= gwmemory_note(g, gw, (unsigned)port, network, (int64_t)at) > 0;
	}
	/* a UDP tunnel that came up on this network had its handshake answered,
	 * over UDP (one connected before the move proves nothing of this one) */
	if (status_ok(ovpn) && state && strcmp(state, "connected") == 0 && have_net) {
		const char *addr = sec_str(remote, VDF_OVPN_REMOTE_ADDR), *proto = sec_str(remote, VDF_OVPN_REMOTE_PROTO);
		double rport, since = -1;
		if (addr && proto && strncmp(proto, "udp", 3) == 0 && jnum(remote, VDF_OVPN_REMOTE_PORT, 1, 65535, &rport) &&
		    (tn->since == 0 || (jnum(ovpn, VDF_OPENVPN_STATE_SINCE, 0, 1e11, &since) && since >= tn->since))) {
			news |= gwmemory_note(g, addr, (unsigned)rport, network, now) > 0;
			if (!gw) {
				gw = addr;
				port = rport;
			}
		}
	}
	if (news > 0)
		save_logged(g);
	if (!gw || !valid_gateway(gw))
		return;
	sec = gwmemory_section(g, gw, (unsigned)port, have_net ? network : NULL, now);
	if (!sec)
		return;
	/* the same as before but for its time: no need to run the rules again */
	if (old) {
		cJSON *a = cJSON_Duplicate(old, true);
		bool same;
		cJSON_DeleteItemFromObjectCaseSensitive(a, VDF_SECTION_AT);
		cJSON_DeleteItemFromObjectCaseSensitive(sec, VDF_SECTION_AT);
		same = a && cJSON_Compare(a, sec, true);
		cJSON_Delete(a);
		cJSON_AddNumberToObject(sec, VDF_SECTION_AT, (double)now);
		if (same) {
			cJSON_Delete(sec);
			return;
		}
	}
	model_probe_result(g->d, &gwmemory_probe, tunnel, PROBE_OK, sec, NULL, now, 0);
}

static void on_update(evutil_socket_t fd, short what, void *arg)
{
	struct gwmemory *g = arg;

	(void)fd, (void)what;
	while (g->n_pending) {
		char *t = g->pending[--g->n_pending];
		update_tunnel(g, t);
		free(t);
	}
}

static void on_result(void *userdata, const struct probe *p, const char *tunnel, enum probe_status st,
                      const cJSON *section)
{
	struct gwmemory *g = userdata;

	(void)st, (void)section;
	if (!tunnel || p == &gwmemory_probe ||
	    (strcmp(p->section, "transport") != 0 && strcmp(p->section, "openvpn") != 0 &&
	     strcmp(p->section, "routes") != 0))
		return;
	for (size_t i = 0; i < g->n_pending; i++)
		if (strcmp(g->pending[i], tunnel) == 0)
			return;
	if (g->n_pending < GWMEMORY_MAX_PENDING && (g->pending[g->n_pending] = strdup(tunnel)))
		g->n_pending++;
	/* from the loop, not from inside the model's result */
	event_active(g->update_ev, 0, 0);
}

int gwmemory_follow(struct gwmemory *g, struct event_base *base, struct vd_daemon *d)
{
	g->base = base;
	g->d = d;
	g->update_ev = event_new(base, -1, 0, on_update, g);
	if (!g->update_ev)
		return -ENOMEM;
	return daemon_add_result_cb(d, on_result, g);
}

void gwmemory_free(struct gwmemory *g)
{
	if (!g)
		return;
	if (g->d)
		daemon_remove_result_cb(g->d, on_result, g);
	if (g->update_ev)
		event_free(g->update_ev);
	for (size_t i = 0; i < g->n_pending; i++)
		free(g->pending[i]);
	for (size_t i = 0; i < g->n_nets; i++)
		free(g->nets[i].tunnel);
	free(g->nets);
	if (g->dirfd >= 0 && g->v)
		save_logged(g);
	if (g->dirfd >= 0)
		close(g->dirfd);
	free(g->v);
	free(g);
}
