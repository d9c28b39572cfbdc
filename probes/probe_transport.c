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
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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
#include "vpndoctor/text.h"

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
			snprintf(gw->error, sizeof(gw->error), "cannot read the %s key %.200s: %s", o->name, path,
				 strerror(-r));
			return r;
		}
		r = vd_ovpn_static_key_parse(data, len, &gw->wrap.key);
		free(data);
	} else {
		r = -EINVAL;
	}
	if (r < 0)
		snprintf(gw->error, sizeof(gw->error), "the %s key is not an OpenVPN static key", o->name);
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
		snprintf(gw->error, sizeof(gw->error), "tls-crypt-v2 handshakes are not probed");
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
		snprintf(r->gw.error, sizeof(r->gw.error), "cannot resolve %.200s: %s", r->gw.host,
			 evutil_gai_strerror(result));
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
		snprintf(r->gw.error, sizeof(r->gw.error), "no remote: neither OpenVPN nor the profile names the gateway");
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
		snprintf(r->gw.error, sizeof(r->gw.error), "cannot resolve %.200s: no resolver (resolv.conf)", r->gw.host);
		r->err = -EHOSTUNREACH;
		event_active(r->kick, EV_TIMEOUT, 0);
		return 0;
	}
	r->err = 1; /* in progress: on_resolved may run before evdns_getaddrinfo returns */
	struct evdns_getaddrinfo_request *req = evdns_getaddrinfo(r->dns, r->gw.host, NULL, &hints, on_resolved, r);
	if (r->err == 1 && !req) {
		snprintf(r->gw.error, sizeof(r->gw.error), "cannot resolve %.200s: the query could not start", r->gw.host);
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

/* ---- one hard reset ----------------------------------------------------------- */

enum px_phase {
	PX_DONE,   /* no proxy, or it connected: the OpenVPN handshake */
	PX_HTTP,   /* the CONNECT sent (or being sent), its answer awaited */
	PX_METHOD, /* SOCKS5: the greeting, then the method it chose */
	PX_REPLY,  /* SOCKS5: the CONNECT, then its reply */
};

struct tp_hs {
	struct vd_ovpn_wrap wrap;
	bool tcp, finished;
	bool connected; /* the TCP connection is up (to the gateway, or to the proxy) */
	/* through a proxy: what is sent to it and what it answered */
	enum px_phase px;
	char gw_host[256];
	unsigned gw_port;
	uint8_t px_out[768];
	size_t px_out_len, px_out_off;
	char px_in[VD_PROXY_HEAD_MAX + 1];
	size_t px_in_len;
	int fd;
	struct event *rd, *wr, *timer;
	uint8_t sid[VD_OVPN_SID_LEN];
	uint8_t out[VD_OVPN_RESET_MAX];
	size_t out_len, out_off;
	uint8_t in[2048];
	size_t in_len;
	double t_start, t_sent;
	enum vd_ovpn_reply_kind seen; /* the last reply that was not an answer */
	bool seen_any;
	struct tp_result res;
	tp_hs_fn cb;
	void *userdata;
};

void probe_transport_hs_free(struct tp_hs *hs)
{
	if (!hs)
		return;
	if (hs->rd)
		event_free(hs->rd);
	if (hs->wr)
		event_free(hs->wr);
	if (hs->timer)
		event_free(hs->timer);
	if (hs->fd >= 0)
		close(hs->fd);
	free(hs);
}

/* Closes at once (the server drops a TCP instance when we go) and reports;
 * the callback may free hs, so nothing touches it afterwards. */
static void hs_finish(struct tp_hs *hs, const char *result, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void hs_finish(struct tp_hs *hs, const char *result, const char *fmt, ...)
{
	va_list ap;

	if (hs->finished)
		return;
	hs->finished = true;
	if (hs->rd)
		event_del(hs->rd);
	if (hs->wr)
		event_del(hs->wr);
	event_del(hs->timer);
	if (hs->fd >= 0) {
		close(hs->fd);
		hs->fd = -1;
	}
	hs->res.result = result;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(hs->res.why, sizeof(hs->res.why), fmt, ap);
		va_end(ap);
	}
	hs->cb(hs->userdata, &hs->res);
}

static void hs_errno(struct tp_hs *hs, int e, const char *what)
{
	if (e == ECONNREFUSED)
		hs_finish(hs, "refused", "%s", hs->tcp ? "connection refused (TCP RST)" : "port unreachable (ICMP)");
	else if (e == ETIMEDOUT)
		hs_finish(hs, "timeout", "%s: %s", what, strerror(e));
	else
		hs_finish(hs, "error", "%s: %s", what, strerror(e));
}

/* One packet from the server: true when the handshake is settled. */
static bool hs_packet(struct tp_hs *hs, const uint8_t *p, size_t len)
{
	struct vd_ovpn_reply rep;
	int r = vd_ovpn_reply_parse(&hs->wrap, hs->sid, p, len, &rep);

	if (r < 0) {
		hs_finish(hs, "error", "cannot check the reply: %s", strerror(-r));
		return true;
	}
	if (rep.kind == VD_OVPN_REPLY_ANSWERED) {
		hs->res.rtt_ms = pu_mono_ms() - hs->t_sent;
		hs_finish(hs, "answered", NULL);
		return true;
	}
	if (rep.kind != VD_OVPN_REPLY_ACK_ONLY) {
		hs->seen = rep.kind;
		hs->seen_any = true;
	}
	/* A stream cannot resync after something that is not OpenVPN. */
	if (hs->tcp && rep.kind != VD_OVPN_REPLY_ACK_ONLY) {
		hs_finish(hs, "error", "the reply is %s", vd_ovpn_reply_kind_name(rep.kind));
		return true;
	}
	return false;
}

/* The proxy did not connect to the gateway: the handshake was not tried. */
static void px_fail(struct tp_hs *hs, const char *result, const char *reply, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void px_fail(struct tp_hs *hs, const char *result, const char *reply, const char *fmt, ...)
{
	va_list ap;

	hs->res.proxy_result = result;
	if (reply)
		snprintf(hs->res.proxy_reply, sizeof(hs->res.proxy_reply), "%s", reply);
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(hs->res.proxy_error, sizeof(hs->res.proxy_error), fmt, ap);
		va_end(ap);
	}
	hs->px = PX_DONE;
	hs_finish(hs, "skipped", "not tried: the proxy did not connect to the gateway");
}

static void px_errno(struct tp_hs *hs, int e, const char *what)
{
	if (e == ECONNREFUSED)
		px_fail(hs, "error", NULL, "%s: connection refused (TCP RST)", what);
	else
		px_fail(hs, e == ETIMEDOUT ? "timeout" : "error", NULL, "%s: %s", what, strerror(e));
}

static void hs_send(struct tp_hs *hs);

/* What is queued for the proxy; then its answer is awaited. */
static void px_send(struct tp_hs *hs)
{
	while (hs->px_out_off < hs->px_out_len) {
		ssize_t n = send(hs->fd, hs->px_out + hs->px_out_off, hs->px_out_len - hs->px_out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			event_add(hs->wr, NULL);
			return;
		}
		if (n < 0) {
			px_errno(hs, errno, "send");
			return;
		}
		hs->px_out_off += (size_t)n;
	}
	event_add(hs->rd, NULL);
}

/* The proxy connected: what followed its answer is the gateway's (nothing,
 * before our reset), and the handshake goes on as over a direct connection. */
static void px_connected(struct tp_hs *hs, size_t used, const char *reply)
{
	size_t rest = hs->px_in_len - used;

	hs->res.proxy_result = "connected";
	snprintf(hs->res.proxy_reply, sizeof(hs->res.proxy_reply), "%s", reply);
	if (rest > sizeof(hs->in)) {
		px_fail(hs, "error", reply, "%zu bytes of more than an answer", rest);
		return;
	}
	memcpy(hs->in, hs->px_in + used, rest);
	hs->in_len = rest;
	hs->px = PX_DONE;
	hs->res.connect_ms = pu_mono_ms() - hs->t_start;
	hs_send(hs);
}

/* The proxy's answer so far: true when it is settled (failed, or the
 * handshake has started), false when more is needed. */
static bool px_parse(struct tp_hs *hs)
{
	char reply[VD_PROXY_REPLY_MAX], head[64];
	size_t used = 0;
	uint8_t v;
	int r;

	vd_text_escape(head, sizeof(head), hs->px_in, hs->px_in_len < 40 ? hs->px_in_len : 40);
	switch (hs->px) {
	case PX_HTTP: {
		struct vd_proxy_http_reply rep;

		r = vd_proxy_http_parse(hs->px_in, hs->px_in_len, &rep, &used);
		if (r == 0)
			return false;
		if (r == -E2BIG) {
			px_fail(hs, "error", NULL, "its answer's head passes %d bytes", VD_PROXY_HEAD_MAX);
			return true;
		}
		if (r < 0) {
			px_fail(hs, "error", NULL, "its answer is not HTTP: %s", head);
			return true;
		}
		if (rep.status >= 200 && rep.status <= 299)
			px_connected(hs, used, rep.line);
		else
			px_fail(hs, rep.status == 407 ? "auth-required" : "refused", rep.line, NULL);
		return true;
	}
	case PX_METHOD:
		r = vd_socks5_method((const uint8_t *)hs->px_in, hs->px_in_len, &v);
		if (r == 0)
			return false;
		if (r < 0) {
			px_fail(hs, "error", NULL, "its answer is not SOCKS5: %s", head);
			return true;
		}
		if (v == 0xff || v == 0x02) {
			/* none of ours (it wants credentials), or username and
			 * password though we did not offer them */
			snprintf(reply, sizeof(reply), "SOCKS5 method %u: %s", v,
				 v == 0xff ? "no acceptable method" : "username/password, not offered");
			px_fail(hs, "auth-required", reply, NULL);
			return true;
		}
		if (v != 0x00) {
			px_fail(hs, "error", NULL, "it chose SOCKS5 method %u, which was not offered", v);
			return true;
		}
		if (hs->px_in_len > 2) {
			/* it cannot reply to a request it has not had */
			px_fail(hs, "error", NULL, "more than a method in its answer: %s", head);
			return true;
		}
		hs->px_in_len = 0;
		r = vd_socks5_request(hs->gw_host, hs->gw_port, hs->px_out, sizeof(hs->px_out));
		if (r < 0) {
			px_fail(hs, "error", NULL, "cannot ask it for %.200s: %s", hs->gw_host, strerror(-r));
			return true;
		}
		hs->px_out_len = (size_t)r;
		hs->px_out_off = 0;
		hs->px = PX_REPLY;
		px_send(hs); /* last: a failure may free hs */
		return true;
	case PX_REPLY:
		r = vd_socks5_reply((const uint8_t *)hs->px_in, hs->px_in_len, &v, &used);
		if (r == 0)
			return false;
		if (r < 0) {
			px_fail(hs, "error", NULL, "its reply is not SOCKS5: %s", head);
			return true;
		}
		snprintf(reply, sizeof(reply), "SOCKS5 reply %u: %s", v, vd_socks5_reply_name(v));
		if (v == 0)
			px_connected(hs, used, reply);
		else
			px_fail(hs, "refused", reply, NULL);
		return true;
	case PX_DONE:
		break;
	}
	return true;
}

static void px_on_read(struct tp_hs *hs)
{
	for (;;) {
		size_t room = sizeof(hs->px_in) - hs->px_in_len;
		ssize_t n = room ? recv(hs->fd, hs->px_in + hs->px_in_len, room, 0) : 0;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			px_errno(hs, errno, "recv");
			return;
		}
		if (n == 0) {
			if (hs->px_in_len)
				vd_text_escape(hs->res.proxy_reply, sizeof(hs->res.proxy_reply), hs->px_in, hs->px_in_len);
			px_fail(hs, "error", NULL, "it closed the connection %s", hs->px_in_len ? "within its answer"
											: "without answering");
			return;
		}
		hs->px_in_len += (size_t)n;
		if (px_parse(hs))
			return;
	}
}

static void hs_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct tp_hs *hs = arg;

	if (hs->res.result) { /* settled before the loop ran (a setup error) */
		hs_finish(hs, hs->res.result, NULL);
		return;
	}
	if (hs->px != PX_DONE) {
		px_fail(hs, "timeout", NULL, hs->connected ? "no answer within %.0f ms" : "no TCP connection within %.0f ms",
			pu_mono_ms() - hs->t_start);
		return;
	}
	if (hs->seen_any && hs->seen == VD_OVPN_REPLY_BAD_HMAC)
		hs_finish(hs, "error", "replies fail the %s check: the key or key-direction differs from the server's",
			  hs->wrap.mode == VD_OVPN_WRAP_CRYPT ? "tls-crypt" : "tls-auth");
	else if (hs->tcp && !hs->connected)
		hs_finish(hs, "timeout", "no TCP connection within %.0f ms", pu_mono_ms() - hs->t_start);
	else
		hs_finish(hs, "timeout", NULL);
}

static void hs_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct tp_hs *hs = arg;

	if (hs->px != PX_DONE) {
		px_on_read(hs);
		return;
	}
	for (;;) {
		ssize_t n = recv(hs->fd, hs->in + hs->in_len, sizeof(hs->in) - hs->in_len, 0);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			hs_errno(hs, errno, "recv");
			return;
		}
		if (!hs->tcp) {
			if (hs_packet(hs, hs->in, (size_t)n))
				return;
			continue;
		}
		if (n == 0) {
			hs_finish(hs, "error", "the server closed the connection without answering (%s key?)",
				  hs->wrap.mode == VD_OVPN_WRAP_NONE ? "a tls-auth or tls-crypt" : "a wrong");
			return;
		}
		hs->in_len += (size_t)n;
		for (;;) {
			const uint8_t *p;
			size_t plen;
			int r = vd_ovpn_tcp_unframe(hs->in, hs->in_len, &p, &plen);

			if (r == -EAGAIN)
				break;
			if (r < 0) {
				hs_finish(hs, "error", "the reply is not OpenVPN (bad TCP framing)");
				return;
			}
			if (hs_packet(hs, p, plen))
				return;
			memmove(hs->in, hs->in + r, hs->in_len - (size_t)r);
			hs->in_len -= (size_t)r;
		}
		if (hs->in_len == sizeof(hs->in)) {
			hs_finish(hs, "error", "the reply is not OpenVPN (oversized packet)");
			return;
		}
	}
}

static void hs_send(struct tp_hs *hs)
{
	while (hs->out_off < hs->out_len) {
		ssize_t n = send(hs->fd, hs->out + hs->out_off, hs->out_len - hs->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			event_add(hs->wr, NULL);
			return;
		}
		if (n < 0) {
			hs_errno(hs, errno, "send");
			return;
		}
		if (hs->out_off == 0)
			hs->t_sent = pu_mono_ms();
		hs->out_off += (size_t)n;
	}
	event_add(hs->rd, NULL);
}

static void hs_on_write(evutil_socket_t fd, short what, void *arg)
{
	struct tp_hs *hs = arg;
	int e = 0;
	socklen_t el = sizeof(e);

	if (hs->tcp && !hs->connected) {
		if (getsockopt(hs->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			e = errno;
		if (e && hs->px != PX_DONE)
			px_errno(hs, e, "connect");
		else if (e)
			hs_errno(hs, e, "connect");
		if (e)
			return;
		hs->connected = true;
		if (hs->px == PX_DONE)
			hs->res.connect_ms = pu_mono_ms() - hs->t_start;
	}
	if (hs->px != PX_DONE)
		px_send(hs);
	else
		hs_send(hs);
}

static int hs_start(struct event_base *base, const struct tp_gateway *gw, bool tcp, const struct tp_proxy *px,
		    unsigned timeout_ms, tp_hs_fn cb, void *userdata, struct tp_hs **ret)
{
	const struct sockaddr_storage *to = px ? &px->ss : &gw->ss;
	socklen_t to_len = px ? px->slen : gw->slen;
	struct tp_hs *hs = calloc(1, sizeof(*hs));
	struct timeval tv;
	int r;

	if (!hs)
		return -ENOMEM;
	hs->fd = -1;
	hs->tcp = tcp;
	hs->wrap = gw->wrap;
	hs->cb = cb;
	hs->userdata = userdata;
	hs->res.rtt_ms = -1;
	hs->res.connect_ms = -1;
	hs->timer = evtimer_new(base, hs_on_timer, hs);
	if (!hs->timer) {
		free(hs);
		return -ENOMEM;
	}
	pu_ms_tv(timeout_ms, &tv);
	hs->t_start = pu_mono_ms();
	*ret = hs;
	/* From here on, a failure is the handshake's result, delivered from the loop. */
	if (getrandom(hs->sid, sizeof(hs->sid), 0) != (ssize_t)sizeof(hs->sid)) {
		hs->res.result = "error";
		snprintf(hs->res.why, sizeof(hs->res.why), "getrandom: %s", strerror(errno));
		goto settled;
	}
	r = vd_ovpn_reset_build(&hs->wrap, hs->sid, 1, (uint32_t)time(NULL), tcp, hs->out, sizeof(hs->out),
				&hs->out_len);
	if (r < 0) {
		hs->res.result = "error";
		snprintf(hs->res.why, sizeof(hs->res.why), "cannot build the reset: %s%s", strerror(-r),
			 r == -ENOTSUP ? " (auth digest unknown to OpenSSL)" : "");
		goto settled;
	}
	if (px) {
		snprintf(hs->gw_host, sizeof(hs->gw_host), "%s", gw->host);
		hs->gw_port = gw->port;
		if (px->socks) {
			vd_socks5_greeting(hs->px_out);
			r = VD_SOCKS5_GREETING_LEN;
		} else {
			r = vd_proxy_http_request(gw->host, gw->port, NULL, (char *)hs->px_out, sizeof(hs->px_out));
		}
		if (r < 0) {
			hs->res.result = "skipped";
			hs->res.proxy_result = "error";
			snprintf(hs->res.proxy_error, sizeof(hs->res.proxy_error), "cannot ask it for %.200s: %s",
				 gw->host, strerror(-r));
			goto settled;
		}
		hs->px_out_len = (size_t)r;
		hs->px = px->socks ? PX_METHOD : PX_HTTP;
	}
	hs->fd = socket(to->ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (hs->fd < 0) {
		hs->res.result = "error";
		snprintf(hs->res.why, sizeof(hs->res.why), "socket: %s", strerror(errno));
		goto settled;
	}
	hs->rd = event_new(base, hs->fd, EV_READ | EV_PERSIST, hs_on_read, hs);
	hs->wr = event_new(base, hs->fd, EV_WRITE, hs_on_write, hs);
	if (!hs->rd || !hs->wr) {
		probe_transport_hs_free(hs);
		*ret = NULL;
		return -ENOMEM;
	}
	/* connect()ed UDP: an ICMP port unreachable comes back as ECONNREFUSED,
	 * which tells a closed port from a silent (filtered) one. */
	if (connect(hs->fd, (const struct sockaddr *)to, to_len) < 0) {
		if (errno != EINPROGRESS && hs->px != PX_DONE) {
			hs->res.result = "skipped";
			hs->res.proxy_result = "error";
			snprintf(hs->res.proxy_error, sizeof(hs->res.proxy_error), "connect: %s", strerror(errno));
			goto settled;
		}
		if (errno != EINPROGRESS) {
			hs->res.result = errno == ECONNREFUSED ? "refused" : "error";
			snprintf(hs->res.why, sizeof(hs->res.why), "connect: %s", strerror(errno));
			goto settled;
		}
	}
	/* sending waits for the loop too, so that cb never runs inside this call */
	event_add(hs->wr, NULL);
	evtimer_add(hs->timer, &tv);
	return 0;
settled:
	event_active(hs->timer, EV_TIMEOUT, 0);
	return 0;
}

int probe_transport_hs(struct event_base *base, const struct tp_gateway *gw, bool tcp, unsigned timeout_ms,
		       tp_hs_fn cb, void *userdata, struct tp_hs **ret)
{
	return hs_start(base, gw, tcp, NULL, timeout_ms, cb, userdata, ret);
}

int probe_transport_hs_proxy(struct event_base *base, const struct tp_gateway *gw, const struct tp_proxy *px,
			     unsigned timeout_ms, tp_hs_fn cb, void *userdata, struct tp_hs **ret)
{
	return hs_start(base, gw, true, px, timeout_ms, cb, userdata, ret);
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
static void tr_unknown(struct tr_run *tr, const char *why)
{
	struct probe_run *run = tr->run;

	probe_run_error(run, "%s", why);
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
		tr_unknown(tr, gw->error);
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
		tr_unknown(tr, gw->error);
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
