/* One OpenVPN hard reset to the gateway, over UDP or TCP, direct or through
 * the profile's proxy as OpenVPN goes through it (probe_transport.h): the
 * transport probe's and the path probe's handshake. See probe_transport.c's
 * top for what it leaves behind on the server and why the probe times it
 * so. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "probe_transport.h"
#include "probe_util.h"
#include "vpndoctor/common.h"
#include "vpndoctor/proxy.h"
#include "vpndoctor/text.h"

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
