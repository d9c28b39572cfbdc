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
 * - the whole run is bounded by 10 s, name resolution included. */
#include <errno.h>
#include <fcntl.h>
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
#include "vpndoctor/facts.h"
#include "vpndoctor/ovpn_config.h"
#include "vpndoctor/profile.h"

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

/* The profile's first remote and its wrapping; the config is read here (a
 * small local file, as the profile probe does) because the profile section
 * does not carry key material. */
static void from_profile(const struct probe_run *run, struct tp_gateway *gw)
{
	const char *config = run->tunnel ? run->tunnel->config : NULL;
	const char *basedir = pu_jstr_set(probe_run_section(run, VDF_TUNNEL_PROFILE), VDF_PROFILE_BASEDIR);
	struct vd_ovpn_config *cfg = NULL;
	struct vd_ovpn_remote *rem = NULL;
	struct vd_error err;
	char *data = NULL;
	size_t len = 0, n = 0;

	gw->wrap_name = "none";
	gw->speakable = true;
	if (!config || probe_read(&run->tunnel->owner, config, VD_OVPN_MAX_INPUT, &data, &len) < 0)
		return;
	memset(&err, 0, sizeof(err));
	if (vd_ovpn_config_parse(config, data, len, &cfg, &err) == 0) {
		if (vd_ovpn_config_remotes(cfg, &rem, &n) == 0 && n > 0) {
			snprintf(gw->host, sizeof(gw->host), "%s", rem[0].host);
			gw->port = rem[0].port;
			snprintf(gw->proto, sizeof(gw->proto), "%s", vd_ovpn_proto_name(rem[0].proto));
		}
		free(rem);
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

int probe_transport_gateway(const struct probe_run *run, tp_gateway_fn cb, void *userdata, struct tp_resolve **ret)
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
	/* What OpenVPN actually talks to wins over the profile's list. */
	const char *addr = pu_jstr_set(rem, VDF_OVPN_REMOTE_ADDR), *proto = pu_jstr_set(rem, VDF_OVPN_REMOTE_PROTO);
	if (addr) {
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

/* ---- one hard reset ----------------------------------------------------------- */

struct tp_hs {
	struct vd_ovpn_wrap wrap;
	bool tcp, finished;
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

static void hs_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct tp_hs *hs = arg;

	if (hs->res.result) { /* settled before the loop ran (a setup error) */
		hs_finish(hs, hs->res.result, NULL);
		return;
	}
	if (hs->seen_any && hs->seen == VD_OVPN_REPLY_BAD_HMAC)
		hs_finish(hs, "error", "replies fail the %s check: the key or key-direction differs from the server's",
			  hs->wrap.mode == VD_OVPN_WRAP_CRYPT ? "tls-crypt" : "tls-auth");
	else if (hs->tcp && hs->t_sent == 0)
		hs_finish(hs, "timeout", "no TCP connection within %.0f ms", pu_mono_ms() - hs->t_start);
	else
		hs_finish(hs, "timeout", NULL);
}

static void hs_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct tp_hs *hs = arg;

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

	if (hs->tcp && hs->res.connect_ms < 0) {
		if (getsockopt(hs->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			e = errno;
		if (e) {
			hs_errno(hs, e, "connect");
			return;
		}
		hs->res.connect_ms = pu_mono_ms() - hs->t_start;
	}
	hs_send(hs);
}

int probe_transport_hs(struct event_base *base, const struct tp_gateway *gw, bool tcp, unsigned timeout_ms,
		       tp_hs_fn cb, void *userdata, struct tp_hs **ret)
{
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
	hs->fd = socket(gw->ss.ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
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
	if (connect(hs->fd, (const struct sockaddr *)&gw->ss, gw->slen) < 0) {
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

/* ---- the probe ------------------------------------------------------------------ */

struct tr_run {
	struct probe_run *run;
	struct tp_resolve *res;
	struct tp_gateway gw;
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

static void tr_done(struct tr_run *tr, enum probe_status st)
{
	struct probe_run *run = tr->run;
	cJSON *sec = cJSON_CreateObject();
	char *text;

	if (sec) {
		cJSON_AddStringToObject(sec, VDF_TRANSPORT_GATEWAY, tr->gw.addr[0] ? tr->gw.addr : tr->gw.host);
		if (strcmp(tr->gw.addr, tr->gw.host) != 0)
			cJSON_AddStringToObject(sec, VDF_TRANSPORT_HOST, tr->gw.host);
		cJSON_AddNumberToObject(sec, VDF_TRANSPORT_PORT, tr->gw.port);
		cJSON_AddStringToObject(sec, VDF_TRANSPORT_PROTO, tr->gw.proto);
		cJSON_AddStringToObject(sec, VDF_TRANSPORT_WRAP, tr->gw.wrap_name ? tr->gw.wrap_name : "none");
		add_result(sec, VDF_TRANSPORT_UDP, &tr->udp_res, tr->udp_tries);
		add_result(sec, VDF_TRANSPORT_TCP, &tr->tcp_res, 0);
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
	r = probe_transport_gateway(run, on_gateway, tr, &tr->res);
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
