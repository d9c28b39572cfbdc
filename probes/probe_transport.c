/* The transport probe: does the gateway answer the OpenVPN handshake over UDP,
 * over TCP, both or neither? One P_CONTROL_HARD_RESET_CLIENT_V2 (lib/ovpn_wire.c,
 * wrapped with the profile's tls-auth or tls-crypt key) to the gateway's port
 * over each, at the same time; the answer is the server's HARD_RESET_SERVER_V2
 * acking our session id. It needs no tunnel, so it tells "the network drops UDP
 * to the gateway" (udp-blocked) and "nothing answers" (gateway-unreachable)
 * from "the gateway answers but the TLS session fails".
 *
 * What it leaves behind: an OpenVPN 2.6 server answers a hard reset
 * statelessly (its reply carries an HMAC cookie; a session exists only once the
 * client echoes it), so over UDP nothing stays. Over TCP the server keeps the
 * connection's instance until we close, and we close as soon as the reply is
 * in (or at the deadline). Servers before 2.6 keep a half-open session per
 * reset until their hand-window (60 s by default) ages it out; each run sends
 * at most four resets, every Interval (300 s by default).
 *
 * Why these numbers:
 * - UDP: three tries waiting 1, 2 and 4 s (7 s), each with a fresh session id
 *   so that a late answer still tells which try it belongs to: a reply takes a
 *   few ms to a few hundred ms, and one lost datagram is not a blocked port.
 * - TCP: one connection with 7 s for connect and answer: the kernel itself
 *   retransmits the SYN after 1 and 3 s.
 * - the whole run is bounded by 10 s, name resolution included.
 *
 * Through a proxy: a profile with http-proxy or socks-proxy reaches the
 * gateway only through it, over TCP, so the direct path tells nothing of what
 * OpenVPN meets. The probe then does what OpenVPN does: it connects to the
 * proxy, asks it to CONNECT to the remote as the profile names it (the proxy
 * resolves the name, not the laptop; an HTTP CONNECT, or SOCKS5 offering no
 * authentication: the daemon never sends a user's proxy password), and sends
 * the hard reset through the tunnel the proxy opens. UDP is "skipped"; the
 * proxy's answer (status line or SOCKS5 reply, escaped and cut: remote text)
 * is in the facts. With proto udp it tries nothing and says why: OpenVPN
 * refuses an HTTP proxy over UDP, and a SOCKS5 UDP relay is not probed. */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "probe.h"
#include "probe_util.h"
#include "probe_transport.h"
#include "vpndoctor/common.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/ovpn_config.h"
#include "vpndoctor/profile.h"
#include "vpndoctor/proxy.h"

#define TR_DEADLINE_MS 10000
#define TR_UDP_TRIES 3
#define TR_TCP_WAIT_MS 7000
#define TR_KEY_MAX (64 * 1024)

static const unsigned udp_wait_ms[TR_UDP_TRIES] = {1000, 2000, 4000};

static unsigned jport(const cJSON *o, const char *k)
{
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
	return cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble <= 65535 ? (unsigned)v->valuedouble : 0;
}

/* ---- the gateway ------------------------------------------------------------ */

struct tp_resolve {
	struct tp_gateway gw;
	struct event_base *base;
	struct evdns_base *dns;
	struct evdns_getaddrinfo_request *req;
	struct event *kick;
	tp_gateway_fn cb;
	void *userdata;
	int err;
};

/* Where a relative key file resolves: the profile probe's basedir (it follows
 * a `cd`), else the config's folder. */
static void key_path(const char *config, const char *basedir, const char *file, char *buf, size_t len)
{
	const char *slash = strrchr(config, '/');

	if (file[0] == '/')
		snprintf(buf, len, "%s", file);
	else if (basedir)
		snprintf(buf, len, "%s/%s", basedir, file);
	else if (slash)
		snprintf(buf, len, "%.*s/%s", (int)(slash - config), config, file);
	else
		snprintf(buf, len, "%s", file);
}

#define GW_ARGS(gw)                                                                                    \
	((const struct vd_arg[]){ VD_TEXT("key", (gw)->error_key), VD_TEXT("path", (gw)->error_path),         \
	                          VD_TEXT("host", (gw)->error_path), VD_TEXT("error", (gw)->error_text), { 0 } })

/* Why the gateway is not resolved or not speakable: the template id (N_())
 * with its values, and its English in gw->error (facts and logs). */
static void gw_fail(struct tp_gateway *gw, const char *id, const char *key, const char *path, const char *error)
{
	cJSON *m = NULL;
	char *text = NULL;

	gw->error_id = id;
	snprintf(gw->error_key, sizeof(gw->error_key), "%s", key ? key : "");
	snprintf(gw->error_path, sizeof(gw->error_path), "%.200s", path ? path : "");
	snprintf(gw->error_text, sizeof(gw->error_text), "%s", error ? error : "");
	if (vd_msg_new(id, NULL, NULL, GW_ARGS(gw), &m) == 0)
		text = vd_msg_render(m, NULL);
	snprintf(gw->error, sizeof(gw->error), "%s", text ? text : id);
	free(text);
	cJSON_Delete(m);
}

void probe_transport_gateway_error(struct probe_run *run, const struct tp_gateway *gw)
{
	if (gw->error_id)
		probe_run_error_msg(run, gw->error_id, GW_ARGS(gw));
	else
		probe_run_error(run, "%s", gw->error);
}

static int load_key(struct tp_gateway *gw, const struct vd_ovpn_option *o, const char *config,
		    const char *basedir, const struct vd_proc_id *owner)
{
	char path[4096], *data = NULL;
	size_t len = 0;
	int r;

	if (o->inline_body) {
		r = vd_ovpn_static_key_parse(o->inline_body, strlen(o->inline_body), &gw->wrap.key);
	} else if (o->argc >= 1) {
		key_path(config, basedir, o->argv[0], path, sizeof(path));
		/* as whoever named the profile (daemon/priv.h) */
		r = probe_read(owner, path, TR_KEY_MAX, &data, &len);
		if (r < 0) {
			gw_fail(gw, N_("cannot read the {key} key {path}: {error}"), o->name, path, strerror(-r));
			return r;
		}
		r = vd_ovpn_static_key_parse(data, len, &gw->wrap.key);
		free(data);
	} else {
		r = -EINVAL;
	}
	if (r < 0)
		gw_fail(gw, N_("the {key} key is not an OpenVPN static key"), o->name, NULL, NULL);
	return r;
}

static void wrap_from(struct tp_gateway *gw, const struct vd_ovpn_config *cfg, const char *config,
		      const char *basedir, const struct vd_proc_id *owner)
{
	const struct vd_ovpn_option *o;

	gw->wrap.mode = VD_OVPN_WRAP_NONE;
	gw->wrap_name = "none";
	gw->speakable = true;
	if (vd_ovpn_config_get(cfg, "tls-crypt-v2")) {
		/* Its wrapping key is the server's secret: the client sends its
		 * wrapped key in a reset of its own kind, which we do not build. */
		gw->wrap_name = "tls-crypt-v2";
		gw->speakable = false;
		gw_fail(gw, N_("tls-crypt-v2 handshakes are not probed"), NULL, NULL, NULL);
		return;
	}
	if ((o = vd_ovpn_config_get(cfg, "tls-crypt"))) {
		gw->wrap.mode = VD_OVPN_WRAP_CRYPT;
		gw->wrap_name = "tls-crypt";
		gw->speakable = load_key(gw, o, config, basedir, owner) == 0;
		return;
	}
	if ((o = vd_ovpn_config_get(cfg, "tls-auth"))) {
		const struct vd_ovpn_option *kd = vd_ovpn_config_get(cfg, "key-direction");
		const struct vd_ovpn_option *auth = vd_ovpn_config_get(cfg, "auth");
		const char *dir = !o->inline_body && o->argc >= 2 ? o->argv[1] : kd && kd->argc >= 1 ? kd->argv[0] : NULL;

		gw->wrap.mode = VD_OVPN_WRAP_AUTH;
		gw->wrap_name = "tls-auth";
		gw->wrap.key_dir = !dir ? VD_OVPN_KEYDIR_BIDI : strcmp(dir, "0") == 0 ? VD_OVPN_KEYDIR_0
				   : strcmp(dir, "1") == 0 ? VD_OVPN_KEYDIR_1 : VD_OVPN_KEYDIR_BIDI;
		if (auth && auth->argc >= 1)
			snprintf(gw->wrap.digest, sizeof(gw->wrap.digest), "%s", auth->argv[0]);
		gw->speakable = load_key(gw, o, config, basedir, owner) == 0;
	}
}

/* http-proxy SERVER PORT [AUTHFILE|auto|auto-nct [METHOD]], socks-proxy
 * SERVER [PORT [AUTHFILE]] (lib/profile.c says the same in the facts). */
static void proxy_from(struct tp_gateway *gw, const struct vd_ovpn_config *cfg)
{
	const struct vd_ovpn_option *o = vd_ovpn_config_get(cfg, "http-proxy");
	uint64_t port;

	gw->proxy.socks = !o;
	if (!o)
		o = vd_ovpn_config_get(cfg, "socks-proxy");
	if (!o || o->argc < 1)
		return;
	snprintf(gw->proxy.host, sizeof(gw->proxy.host), "%s", o->argv[0]);
	if (o->argc >= 2 && vd_parse_u64(o->argv[1], 1, 65535, &port) == 0)
		gw->proxy.port = (unsigned)port;
	else
		gw->proxy.port = gw->proxy.socks ? 1080 : 8080;
}

/* The profile's first remote, its proxy and its wrapping; the config is read here (a
 * small local file, as the profile probe does) because the profile section
 * does not carry key material. */
static void from_profile(const struct probe_run *run, struct tp_gateway *gw)
{
	const char *config = run->tunnel ? run->tunnel->config : NULL;
	const char *basedir = pu_jstr_set(probe_run_section(run, VDF_TUNNEL_PROFILE), VDF_PROFILE_BASEDIR);
	struct vd_ovpn_config *cfg = NULL;
	struct vd_ovpn_remote *rem = NULL;
	struct vd_error err;
	char *data = NULL, name[64], cwd[PATH_MAX];
	size_t len = 0, n = 0;

	gw->wrap_name = "none";
	gw->speakable = true;
	if (!config && run->tunnel && run->tunnel->pid > 0) {
		/* no file: the options NetworkManager's plugin gave on the command
		 * line, relative paths under the process's directory */
		if (pu_cmdline_profile(run->tunnel, &data, &len, name, sizeof(name), cwd, sizeof(cwd)) < 0)
			return;
		config = name;
		if (!basedir && cwd[0])
			basedir = cwd;
	} else if (!config && run->tunnel && run->tunnel->nm_profile) {
		/* a NetworkManager connection before it connects: its settings */
		if (!(data = strdup(run->tunnel->nm_profile)))
			return;
		len = strlen(data);
		config = "nm";
	} else if (!config || probe_read(&run->tunnel->owner, config, VD_OVPN_MAX_INPUT, &data, &len) < 0) {
		return;
	}
	memset(&err, 0, sizeof(err));
	if (vd_ovpn_config_parse(config, data, len, &cfg, &err) == 0) {
		if (vd_ovpn_config_remotes(cfg, &rem, &n) == 0 && n > 0) {
			snprintf(gw->host, sizeof(gw->host), "%s", rem[0].host);
			gw->port = rem[0].port;
			snprintf(gw->proto, sizeof(gw->proto), "%s", vd_ovpn_proto_name(rem[0].proto));
		}
		free(rem);
		proxy_from(gw, cfg);
		wrap_from(gw, cfg, config, basedir, &run->tunnel->owner);
		vd_ovpn_config_free(cfg);
	}
	free(data);
}

static void set_addr(struct tp_gateway *gw, const struct sockaddr *sa, socklen_t len)
{
	memcpy(&gw->ss, sa, len);
	gw->slen = len;
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)&gw->ss)->sin_port = htons((uint16_t)gw->port);
	else
		((struct sockaddr_in6 *)&gw->ss)->sin6_port = htons((uint16_t)gw->port);
	if (getnameinfo(sa, len, gw->addr, sizeof(gw->addr), NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(gw->addr, sizeof(gw->addr), "?");
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct tp_resolve *r = arg;

	r->cb(r->userdata, &r->gw, r->err);
}

static void on_resolved(int result, struct evutil_addrinfo *ai, void *arg)
{
	struct tp_resolve *r = arg;

	if (result == EVUTIL_EAI_CANCEL)
		return; /* freeing: r is going away */
	r->req = NULL;
	if (result == 0 && ai) {
		set_addr(&r->gw, ai->ai_addr, (socklen_t)ai->ai_addrlen);
		r->err = 0;
	} else {
		gw_fail(&r->gw, N_("cannot resolve {host}: {error}"), NULL, r->gw.host, evutil_gai_strerror(result));
		r->err = -EHOSTUNREACH;
	}
	if (ai)
		evutil_freeaddrinfo(ai);
	event_active(r->kick, EV_TIMEOUT, 0);
}

void probe_transport_gateway_free(struct tp_resolve *r)
{
	if (!r)
		return;
	if (r->req) {
		struct evdns_getaddrinfo_request *req = r->req;
		r->req = NULL;
		evdns_getaddrinfo_cancel(req);
	}
	pu_resolver_free(r->base, r->dns);
	if (r->kick)
		event_free(r->kick);
	free(r);
}

static int gateway_start(const struct probe_run *run, bool resolve, tp_gateway_fn cb, void *userdata,
			 struct tp_resolve **ret)
{
	const cJSON *rem = cJSON_GetObjectItemCaseSensitive(probe_run_section(run, VDF_TUNNEL_OPENVPN), VDF_OPENVPN_REMOTE);
	struct evutil_addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
					.ai_flags = EVUTIL_AI_ADDRCONFIG};
	struct addrinfo nhints = {.ai_family = AF_UNSPEC, .ai_flags = AI_NUMERICHOST}, *res = NULL;
	struct tp_resolve *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->cb = cb;
	r->userdata = userdata;
	r->base = run->base;
	r->kick = event_new(run->base, -1, 0, on_kick, r);
	if (!r->kick) {
		free(r);
		return -ENOMEM;
	}
	from_profile(run, &r->gw);
	/* What OpenVPN actually talks to wins over the profile's list; through
	 * a proxy, that is the proxy. */
	const char *addr = pu_jstr_set(rem, VDF_OVPN_REMOTE_ADDR), *proto = pu_jstr_set(rem, VDF_OVPN_REMOTE_PROTO);
	if (!r->gw.proxy.host[0])
		resolve = true;
	if (addr && resolve) {
		snprintf(r->gw.host, sizeof(r->gw.host), "%s", addr);
		if (jport(rem, VDF_OVPN_REMOTE_PORT))
			r->gw.port = jport(rem, VDF_OVPN_REMOTE_PORT);
		if (proto)
			snprintf(r->gw.proto, sizeof(r->gw.proto), "%s", strncmp(proto, "tcp", 3) == 0 ? "tcp" : "udp");
	}
	if (!r->gw.port)
		r->gw.port = 1194;
	if (!r->gw.proto[0])
		snprintf(r->gw.proto, sizeof(r->gw.proto), "udp");
	*ret = r;
	if (!r->gw.host[0]) {
		gw_fail(&r->gw, N_("no remote: neither OpenVPN nor the profile names the gateway"), NULL, NULL, NULL);
		r->err = -ENOENT;
		event_active(r->kick, EV_TIMEOUT, 0);
		return 0;
	}
	if (!resolve) {
		event_active(r->kick, EV_TIMEOUT, 0);
		return 0;
	}
	/* A literal address needs no DNS: AI_NUMERICHOST never blocks. */
	if (getaddrinfo(r->gw.host, NULL, &nhints, &res) == 0) {
		set_addr(&r->gw, res->ai_addr, res->ai_addrlen);
		freeaddrinfo(res);
		event_active(r->kick, EV_TIMEOUT, 0);
		return 0;
	}
	r->dns = pu_resolver_new(run->base);
	if (!r->dns) {
		gw_fail(&r->gw, N_("cannot resolve {host}: no resolver (resolv.conf)"), NULL, r->gw.host, NULL);
		r->err = -EHOSTUNREACH;
		event_active(r->kick, EV_TIMEOUT, 0);
		return 0;
	}
	r->err = 1; /* in progress: on_resolved may run before evdns_getaddrinfo returns */
	struct evdns_getaddrinfo_request *req = evdns_getaddrinfo(r->dns, r->gw.host, NULL, &hints, on_resolved, r);
	if (r->err == 1 && !req) {
		gw_fail(&r->gw, N_("cannot resolve {host}: the query could not start"), NULL, r->gw.host, NULL);
		r->err = -EHOSTUNREACH;
		event_active(r->kick, EV_TIMEOUT, 0);
	} else if (r->err == 1) {
		r->req = req;
	}
	return 0;
}

int probe_transport_gateway(const struct probe_run *run, tp_gateway_fn cb, void *userdata, struct tp_resolve **ret)
{
	return gateway_start(run, true, cb, userdata, ret);
}

int probe_transport_gateway_named(const struct probe_run *run, tp_gateway_fn cb, void *userdata,
				  struct tp_resolve **ret)
{
	return gateway_start(run, false, cb, userdata, ret);
}

/* ---- the probe ------------------------------------------------------------------ */

struct tr_run {
	struct probe_run *run;
	struct tp_resolve *res;
	struct tp_gateway gw;
	/* the profile's proxy, when it names one */
	bool has_proxy;
	struct tp_proxy px;
	char px_host[256], px_addr[64];
	unsigned px_port;
	struct evdns_base *px_dns;
	struct evdns_getaddrinfo_request *px_req;
	bool px_pending;
	struct tp_hs *udp, *tcp;
	struct tp_result udp_res, tcp_res;
	bool udp_done, tcp_done;
	unsigned udp_tries;
	double t0;
	struct event *finish;
};

static void tr_free(struct tr_run *tr)
{
	if (!tr)
		return;
	probe_transport_gateway_free(tr->res);
	if (tr->px_req) {
		struct evdns_getaddrinfo_request *req = tr->px_req;
		tr->px_req = NULL;
		evdns_getaddrinfo_cancel(req);
	}
	pu_resolver_free(tr->run->base, tr->px_dns);
	probe_transport_hs_free(tr->udp);
	probe_transport_hs_free(tr->tcp);
	if (tr->finish)
		event_free(tr->finish);
	free(tr);
}

static void add_result(cJSON *sec, const char *name, const struct tp_result *res, unsigned tries)
{
	cJSON *o = cJSON_AddObjectToObject(sec, name);

	if (!o)
		return;
	cJSON_AddStringToObject(o, VDF_TRANSPORT_TRY_RESULT, res->result ? res->result : "error");
	if (res->rtt_ms >= 0)
		cJSON_AddNumberToObject(o, VDF_TRANSPORT_TRY_RTT_MS, (double)(long long)(res->rtt_ms * 1000 + 0.5) / 1000);
	if (res->connect_ms >= 0)
		cJSON_AddNumberToObject(o, VDF_TRANSPORT_TRY_CONNECT_MS, (double)(long long)(res->connect_ms * 1000 + 0.5) / 1000);
	if (tries)
		cJSON_AddNumberToObject(o, VDF_TRANSPORT_TRY_TRIES, tries);
	if (res->why[0])
		cJSON_AddStringToObject(o, VDF_TRANSPORT_TRY_ERROR, res->why);
}

static void add_proxy(cJSON *sec, const struct tr_run *tr)
{
	cJSON *o = cJSON_AddObjectToObject(sec, VDF_TRANSPORT_PROXY);
	const struct tp_result *r = &tr->tcp_res;

	if (!o)
		return;
	cJSON_AddStringToObject(o, VDF_TRANSPORT_PROXY_TYPE, tr->px.socks ? "socks" : "http");
	cJSON_AddStringToObject(o, VDF_TRANSPORT_PROXY_ADDR, tr->px_addr[0] ? tr->px_addr : tr->px_host);
	cJSON_AddNumberToObject(o, VDF_TRANSPORT_PROXY_PORT, tr->px_port);
	cJSON_AddStringToObject(o, VDF_TRANSPORT_PROXY_RESULT, r->proxy_result);
	if (r->proxy_reply[0])
		cJSON_AddStringToObject(o, VDF_TRANSPORT_PROXY_REPLY, r->proxy_reply);
	if (r->proxy_error[0])
		cJSON_AddStringToObject(o, VDF_TRANSPORT_PROXY_ERROR, r->proxy_error);
}

static void tr_done(struct tr_run *tr, enum probe_status st)
{
	struct probe_run *run = tr->run;
	cJSON *sec = cJSON_CreateObject();
	char *text;

	if (sec) {
		cJSON_AddStringToObject(sec, VDF_TRANSPORT_GATEWAY, tr->gw.addr[0] ? tr->gw.addr : tr->gw.host);
		if (tr->gw.addr[0] && strcmp(tr->gw.addr, tr->gw.host) != 0)
			cJSON_AddStringToObject(sec, VDF_TRANSPORT_HOST, tr->gw.host);
		cJSON_AddNumberToObject(sec, VDF_TRANSPORT_PORT, tr->gw.port);
		cJSON_AddStringToObject(sec, VDF_TRANSPORT_PROTO, tr->gw.proto);
		cJSON_AddStringToObject(sec, VDF_TRANSPORT_WRAP, tr->gw.wrap_name ? tr->gw.wrap_name : "none");
		add_result(sec, VDF_TRANSPORT_UDP, &tr->udp_res, tr->udp_tries);
		add_result(sec, VDF_TRANSPORT_TCP, &tr->tcp_res, 0);
		if (tr->has_proxy && tr->tcp_res.proxy_result)
			add_proxy(sec, tr);
		text = cJSON_PrintUnformatted(sec);
		probe_log(LOG_DEBUG, "transport on %s: %s", run->tunnel->name, text ? text : "?");
		free(text);
	}
	run->priv = NULL;
	tr_free(tr);
	probe_run_done(run, st, sec);
}

static void on_finish(evutil_socket_t fd, short what, void *arg)
{
	tr_done(arg, PROBE_OK);
}

static void maybe_done(struct tr_run *tr)
{
	/* from the loop, never under a handshake's callback that still runs */
	if (tr->udp_done && tr->tcp_done)
		event_active(tr->finish, EV_TIMEOUT, 0);
}

static void udp_try(struct tr_run *tr);

static void on_udp(void *arg, const struct tp_result *res)
{
	struct tr_run *tr = arg;
	double left = TR_DEADLINE_MS - (pu_mono_ms() - tr->t0);

	tr->udp_res = *res;
	if (strcmp(res->result, "timeout") == 0 && tr->udp_tries < TR_UDP_TRIES && left > 200) {
		udp_try(tr);
		return;
	}
	tr->udp_done = true;
	maybe_done(tr);
}

static void udp_try(struct tr_run *tr)
{
	double left = TR_DEADLINE_MS - (pu_mono_ms() - tr->t0);
	unsigned wait = udp_wait_ms[tr->udp_tries];
	struct tp_hs *old = tr->udp;

	/* the previous try's callback is what calls us: free it from the loop */
	tr->udp = NULL;
	if (old)
		probe_transport_hs_free(old);
	if (wait > left)
		wait = (unsigned)left;
	tr->udp_tries++;
	if (probe_transport_hs(tr->run->base, &tr->gw, false, wait, on_udp, tr, &tr->udp) < 0) {
		tr->udp_res.result = "error";
		snprintf(tr->udp_res.why, sizeof(tr->udp_res.why), "out of memory");
		tr->udp_done = true;
		maybe_done(tr);
	}
}

static void on_tcp(void *arg, const struct tp_result *res)
{
	struct tr_run *tr = arg;

	tr->tcp_res = *res;
	tr->tcp_done = true;
	maybe_done(tr);
}

/* Nothing to measure: no gateway named, or one we cannot speak to. */
static void tr_unknown(struct tr_run *tr, const struct tp_gateway *gw)
{
	struct probe_run *run = tr->run;

	probe_transport_gateway_error(run, gw);
	run->priv = NULL;
	tr_free(tr);
	probe_run_done(run, PROBE_UNKNOWN, NULL);
}

static void on_tcp(void *arg, const struct tp_result *res);

/* Neither transport tried, for a reason the facts say. */
static void tr_skip(struct tr_run *tr, const char *why)
{
	tr->udp_res = (struct tp_result){.result = "skipped", .rtt_ms = -1, .connect_ms = -1};
	snprintf(tr->udp_res.why, sizeof(tr->udp_res.why), "%s", why);
	tr->tcp_res = tr->udp_res;
	tr->udp_done = tr->tcp_done = true;
	maybe_done(tr);
}

/* The proxy's own failure before any handshake: the facts name it. */
static void px_unreached(struct tr_run *tr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void px_unreached(struct tr_run *tr, const char *fmt, ...)
{
	va_list ap;

	tr->tcp_res = (struct tp_result){.result = "skipped", .rtt_ms = -1, .connect_ms = -1,
					 .proxy_result = "error"};
	snprintf(tr->tcp_res.why, sizeof(tr->tcp_res.why), "not tried: the proxy did not connect to the gateway");
	va_start(ap, fmt);
	vsnprintf(tr->tcp_res.proxy_error, sizeof(tr->tcp_res.proxy_error), fmt, ap);
	va_end(ap);
	tr->tcp_done = true;
	maybe_done(tr);
}

static void px_set(struct tr_run *tr, const struct sockaddr *sa, socklen_t len)
{
	if (len > sizeof(tr->px.ss))
		len = sizeof(tr->px.ss);
	memcpy(&tr->px.ss, sa, len);
	tr->px.slen = len;
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)&tr->px.ss)->sin_port = htons((uint16_t)tr->px_port);
	else
		((struct sockaddr_in6 *)&tr->px.ss)->sin6_port = htons((uint16_t)tr->px_port);
	if (getnameinfo(sa, len, tr->px_addr, sizeof(tr->px_addr), NULL, 0, NI_NUMERICHOST) != 0)
		tr->px_addr[0] = '\0';
}

static void px_go(struct tr_run *tr)
{
	double left = TR_DEADLINE_MS - (pu_mono_ms() - tr->t0);

	if (left < 1000)
		left = 1000;
	if (probe_transport_hs_proxy(tr->run->base, &tr->gw, &tr->px,
				     left < TR_TCP_WAIT_MS ? (unsigned)left : TR_TCP_WAIT_MS, on_tcp, tr, &tr->tcp) < 0)
		px_unreached(tr, "out of memory");
}

static void px_resolved(int result, struct evutil_addrinfo *ai, void *arg)
{
	struct tr_run *tr = arg;

	if (result == EVUTIL_EAI_CANCEL)
		return; /* freeing: tr is going away */
	tr->px_req = NULL;
	tr->px_pending = false;
	if (result == 0 && ai) {
		px_set(tr, ai->ai_addr, (socklen_t)ai->ai_addrlen);
		px_go(tr);
	} else {
		px_unreached(tr, "cannot resolve %.200s: %s", tr->px_host, evutil_gai_strerror(result));
	}
	if (ai)
		evutil_freeaddrinfo(ai);
}

/* As OpenVPN does with a proxy: no UDP (it goes through the proxy over TCP
 * alone), and over TCP through the proxy to the gateway's name as the
 * profile gives it (the proxy resolves it, not the laptop). */
static void px_start(struct tr_run *tr)
{
	struct evutil_addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
					.ai_flags = EVUTIL_AI_ADDRCONFIG};
	struct addrinfo nhints = {.ai_family = AF_UNSPEC, .ai_flags = AI_NUMERICHOST}, *res = NULL;

	if (strcmp(tr->gw.proto, "tcp") != 0) {
		/* OpenVPN refuses http-proxy over UDP; socks-proxy over UDP goes
		 * through the proxy's UDP relay, which we do not speak */
		tr_skip(tr, tr->px.socks ? "not tried: the handshake through a SOCKS5 proxy's UDP relay is not probed"
					 : "not tried: OpenVPN goes through an HTTP proxy over TCP only, and the "
					   "profile's proto is udp");
		return;
	}
	tr->udp_res = (struct tp_result){.result = "skipped", .rtt_ms = -1, .connect_ms = -1};
	snprintf(tr->udp_res.why, sizeof(tr->udp_res.why), "not tried: OpenVPN goes through its proxy over TCP");
	tr->udp_done = true;
	if (getaddrinfo(tr->px_host, NULL, &nhints, &res) == 0) {
		px_set(tr, res->ai_addr, res->ai_addrlen);
		freeaddrinfo(res);
		px_go(tr);
		return;
	}
	tr->px_dns = pu_resolver_new(tr->run->base);
	if (!tr->px_dns) {
		px_unreached(tr, "cannot resolve %.200s: no resolver (resolv.conf)", tr->px_host);
		return;
	}
	tr->px_pending = true; /* px_resolved may run before evdns_getaddrinfo returns */
	struct evdns_getaddrinfo_request *req = evdns_getaddrinfo(tr->px_dns, tr->px_host, NULL, &hints, px_resolved, tr);
	if (tr->px_pending && req) {
		tr->px_req = req;
	} else if (tr->px_pending) {
		tr->px_pending = false;
		px_unreached(tr, "cannot resolve %.200s: the query could not start", tr->px_host);
	}
}

static void on_gateway(void *arg, struct tp_gateway *gw, int err)
{
	struct tr_run *tr = arg;
	double left;

	tr->gw = *gw;
	if (err == -ENOENT) {
		tr_unknown(tr, gw);
		return;
	}
	if (err < 0) {
		/* a name that does not resolve is a fact about the gateway */
		tr->udp_res = (struct tp_result){.result = "error", .rtt_ms = -1, .connect_ms = -1};
		snprintf(tr->udp_res.why, sizeof(tr->udp_res.why), "%s", gw->error);
		tr->tcp_res = tr->udp_res;
		tr->udp_done = tr->tcp_done = true;
		maybe_done(tr);
		return;
	}
	if (!gw->speakable) {
		tr_unknown(tr, gw);
		return;
	}
	if (gw->proxy.host[0]) {
		tr->has_proxy = true;
		tr->px.socks = gw->proxy.socks;
		snprintf(tr->px_host, sizeof(tr->px_host), "%s", gw->proxy.host);
		tr->px_port = gw->proxy.port;
		px_start(tr);
		return;
	}
	left = TR_DEADLINE_MS - (pu_mono_ms() - tr->t0);
	if (left < 1000)
		left = 1000;
	udp_try(tr);
	if (probe_transport_hs(tr->run->base, &tr->gw, true, left < TR_TCP_WAIT_MS ? (unsigned)left : TR_TCP_WAIT_MS,
			       on_tcp, tr, &tr->tcp) < 0) {
		tr->tcp_res = (struct tp_result){.result = "error", .rtt_ms = -1, .connect_ms = -1};
		snprintf(tr->tcp_res.why, sizeof(tr->tcp_res.why), "out of memory");
		tr->tcp_done = true;
		maybe_done(tr);
	}
}

static int transport_start(struct probe_run *run)
{
	struct tr_run *tr = calloc(1, sizeof(*tr));
	int r;

	if (!tr)
		return -ENOMEM;
	tr->run = run;
	tr->t0 = pu_mono_ms();
	tr->finish = event_new(run->base, -1, 0, on_finish, tr);
	if (!tr->finish) {
		free(tr);
		return -ENOMEM;
	}
	run->priv = tr;
	/* through the profile's proxy, when it names one */
	r = probe_transport_gateway_named(run, on_gateway, tr, &tr->res);
	if (r < 0) {
		run->priv = NULL;
		tr_free(tr);
		return r;
	}
	return 0;
}

static void transport_cancel(struct probe_run *run)
{
	tr_free(run->priv);
	run->priv = NULL;
}

const struct probe probe_transport = {
	.name = "transport",
	.section = VDF_TUNNEL_TRANSPORT,
	.config_section = "Transport",
	.per_tunnel = true,
	.interval_s = 300,
	.events = PROBE_EV_NET | PROBE_EV_OPENVPN | PROBE_EV_RELOAD,
	.needs = (const char *const[]){VDF_TUNNEL_PROFILE, VDF_TUNNEL_OPENVPN, NULL},
	.start = transport_start,
	.cancel = transport_cancel,
	.free_state = NULL,
};
