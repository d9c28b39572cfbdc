/* See connectivity.h.
 *
 * NetworkManager answers for itself: its Connectivity property (NONE 1,
 * PORTAL 2, LIMITED 3, FULL 4; UNKNOWN 0 when its checking is off) is read
 * at each look and followed through PropertiesChanged, both the standard
 * signal and NetworkManager's own older one. Where it is not on the bus, or
 * says UNKNOWN, the daemon asks URL= itself and compares the answer with the
 * one it expects (Response=, else "204 No Content"), as NetworkManager and
 * Android do: a redirect, a 511, or another page is a login page in the way
 * (a portal), no answer at all is a network without internet (limited), and
 * no default route is no network (none).
 *
 * The request is written here, not with libevent's evhttp: evhttp makes its
 * own socket, and this one must be bound to the uplink (SO_BINDTODEVICE, as
 * NetworkManager's check is), or a tunnel that carries the default route
 * (redirect-gateway, and persist-tun keeps its routes while it reconnects)
 * would swallow the check and call the hotel's network "no internet". What
 * comes back is remote text: read bounded by lib/httpanswer.c (fuzzed), and
 * only the status code, a Location and the start of the body are kept (the
 * Location escaped and cut to 200 bytes before it goes anywhere). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>
#include <systemd/sd-bus.h>

#include "config.h"
#include "connectivity.h"
#include "log.h"
#include "model.h"
#include "probes/busutil.h"
#include "probes/probe.h"
#include "probes/probe_util.h"
#include "vpndoctor/cidr.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/httpanswer.h"

#define NM_NAME "org.freedesktop.NetworkManager"
#define NM_PATH "/org/freedesktop/NetworkManager"
#define NM_IFACE "org.freedesktop.NetworkManager"
#define PROPS_IFACE "org.freedesktop.DBus.Properties"


enum nm_connectivity { NM_UNKNOWN = 0, NM_NONE = 1, NM_PORTAL = 2, NM_LIMITED = 3, NM_FULL = 4 };

struct http_check;

/* What the resolver's callback holds: the check, or NULL once it is gone
 * (the callback frees it either way). */
struct http_token {
	struct http_check *h;
};

struct connectivity {
	struct event_base *base;
	struct vd_daemon *d;
	struct pu_bus bus;
	unsigned bus_opened;
	sd_bus_slot *match_std, *match_old, *get_call;
	bool paused;
	struct event *timer;
	struct http_check *http;
	/* what was published */
	char state[16], source[16];
	int64_t since;
	connectivity_change_fn change_cb;
	void *change_ud;
};

struct http_check {
	struct connectivity *c;
	struct evdns_base *dns;
	struct evdns_getaddrinfo_request *req;
	struct http_token *token; /* while a lookup is on its way */
	struct bufferevent *bev;
	struct event *timeout;
	char url[520], host[256], target[768];
	int port;
	struct vd_http_answer ans;
};

static const struct probe connectivity_probe = {
	.name = "connectivity",
	.section = "connectivity",
	.per_tunnel = false,
};

static void arm(struct connectivity *c);

/* ---- the result ---- */

static void publish(struct connectivity *c, const char *source, const char *state, const struct http_check *h,
                    const char *error)
{
	const struct config *cfg = daemon_config(c->d);
	int64_t now = model_now(c->d);
	cJSON *sec = cJSON_CreateObject();
	enum probe_status st = state ? PROBE_OK : PROBE_UNKNOWN;

	if (!sec)
		return;
	char from[sizeof(c->state)] = "";
	if (state && (strcmp(state, c->state) != 0 || strcmp(source, c->source) != 0)) {
		if (!c->state[0] || strcmp(state, c->state) != 0) {
			c->since = now;
			snprintf(from, sizeof(from), "%s", c->state);
		}
		log_info("connectivity: %s (%s%s%s)", state, source, error ? ": " : "", error ? error : "");
		snprintf(c->state, sizeof(c->state), "%s", state);
		snprintf(c->source, sizeof(c->source), "%s", source);
	} else if (!state) {
		c->state[0] = c->source[0] = '\0';
	}
	cJSON_AddStringToObject(sec, VDF_SECTION_STATUS, probe_status_name(st));
	cJSON_AddNumberToObject(sec, VDF_SECTION_AT, (double)now);
	if (state) {
		cJSON_AddStringToObject(sec, VDF_CONNECTIVITY_SOURCE, source);
		cJSON_AddStringToObject(sec, VDF_CONNECTIVITY_STATE, state);
		cJSON_AddNumberToObject(sec, VDF_CONNECTIVITY_SINCE, (double)c->since);
		if (strcmp(source, "http") == 0 && cfg->connectivity_url)
			cJSON_AddStringToObject(sec, VDF_CONNECTIVITY_URL, cfg->connectivity_url);
		if (h && h->ans.status > 0 && h->ans.state >= 0)
			cJSON_AddNumberToObject(sec, VDF_CONNECTIVITY_HTTP_STATUS, h->ans.status);
		if (h && h->ans.redirect[0])
			cJSON_AddStringToObject(sec, VDF_CONNECTIVITY_REDIRECT, h->ans.redirect);
		if (error)
			cJSON_AddStringToObject(sec, VDF_CONNECTIVITY_ERROR, error);
	}
	/* the change first (lifecycle opens the settle window and restarts
	 * the probes of the path), then the facts the rules see */
	if (from[0] && c->change_cb)
		c->change_cb(c->change_ud, from, state);
	model_probe_result(c->d, &connectivity_probe, NULL, st, sec,
	                   state ? NULL : "no NetworkManager answers and [Connectivity] URL= is not set", now, 0);
	arm(c);
}

/* ---- the HTTP check ---- */

static void http_free(struct http_check *h)
{
	if (!h)
		return;
	if (h->token) {
		h->token->h = NULL; /* its callback frees the token */
		if (h->req)
			evdns_getaddrinfo_cancel(h->req);
	}
	pu_resolver_free(h->c->base, h->dns);
	if (h->bev)
		bufferevent_free(h->bev);
	if (h->timeout)
		event_free(h->timeout);
	if (h->c->http == h)
		h->c->http = NULL;
	free(h);
}

/* Compares the answer with the expected one. */
static void http_finish(struct http_check *h, const char *error)
{
	struct connectivity *c = h->c;
	const struct config *cfg = daemon_config(c->d);
	const char *want = cfg->connectivity_response;
	const char *state;

	int status = h->ans.state < 0 ? -1 : h->ans.status;

	if (error && status <= 0)
		state = strcmp(error, "no default route") == 0 ? "none" : "limited";
	else
		state = vd_http_answer_verdict(&h->ans, want);
	if (strcmp(state, "portal") == 0 && status >= 200 && status < 300 && !h->ans.redirect[0])
		log_debug("connectivity: %s answered %d with another page than expected", h->url, status);
	publish(c, "http", state, h, strcmp(state, "full") == 0 || strcmp(state, "portal") == 0 ? NULL : error);
	http_free(h);
}

static void on_http_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	http_finish(arg, "timeout");
}

static void on_http_read(struct bufferevent *bev, void *arg)
{
	struct http_check *h = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char buf[4096];
	int n, r = 0;

	while (r == 0 && (n = evbuffer_remove(in, buf, sizeof(buf))) > 0)
		r = vd_http_answer_feed(&h->ans, buf, (size_t)n);
	evbuffer_drain(in, evbuffer_get_length(in));
	if (r < 0)
		http_finish(h, "not an HTTP answer");
	else if (r > 0)
		http_finish(h, NULL);
}

static void on_http_event(struct bufferevent *bev, short what, void *arg)
{
	struct http_check *h = arg;
	int e = EVUTIL_SOCKET_ERROR();
	char req[1400];

	if (what & BEV_EVENT_CONNECTED) {
		snprintf(req, sizeof(req),
		         "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: vpndoctord/" VD_VERSION
		         "\r\nAccept: */*\r\nConnection: close\r\n\r\n",
		         h->target, h->host);
		bufferevent_write(bev, req, strlen(req));
		bufferevent_enable(bev, EV_READ);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		/* the rest of what came, then the end */
		on_http_read(bev, h);
		if (h->c->http != h)
			return;
		if (vd_http_answer_usable(&h->ans))
			http_finish(h, NULL);
		else
			http_finish(h, h->ans.status == 0 && h->ans.state == 0 ? "the connection closed without an answer"
			                                                       : "not an HTTP answer");
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		if (e == ECONNREFUSED)
			http_finish(h, "connection refused");
		else if (e == ENETUNREACH || e == EHOSTUNREACH)
			http_finish(h, "no route to the host");
		else if (e == ETIMEDOUT)
			http_finish(h, "timeout");
		else
			http_finish(h, e ? strerror(e) : "connection failed");
	}
}

/* The link of the IPv4 default route that is not a tunnel's (the lowest
 * metric), from /proc/net/route; false when there is none. */
static bool uplink_dev(char *dev, size_t len)
{
	FILE *f = fopen("/proc/net/route", "re");
	char line[256], ifname[64], best[64] = "";
	unsigned long dst, gw, flags, mask, refcnt, use, metric, best_metric = ~0ul;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char path[128];
		struct stat st;

		if (sscanf(line, "%63s %lx %lx %lx %lu %lu %lu %lx", ifname, &dst, &gw, &flags, &refcnt, &use, &metric,
		           &mask) != 8 || dst != 0 || mask != 0 || !(flags & 1))
			continue;
		/* tun and tap links have tun_flags; a tunnel's route is not the uplink */
		snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", ifname);
		if (stat(path, &st) == 0)
			continue;
		if (metric < best_metric) {
			best_metric = metric;
			snprintf(best, sizeof(best), "%s", ifname);
		}
	}
	fclose(f);
	if (!best[0])
		return false;
	snprintf(dev, len, "%s", best);
	return true;
}

static void http_connect(struct http_check *h, const struct sockaddr *sa, socklen_t salen)
{
	char dev[64];
	int fd;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		http_finish(h, strerror(errno));
		return;
	}
	if (sa->sa_family == AF_INET) {
		if (!uplink_dev(dev, sizeof(dev))) {
			close(fd);
			http_finish(h, "no default route");
			return;
		}
		/* past a tunnel that carries the default route */
		if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev) + 1) < 0)
			log_debug("connectivity: cannot bind the check to %s: %s", dev, strerror(errno));
	}
	h->bev = bufferevent_socket_new(h->c->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!h->bev) {
		close(fd);
		http_finish(h, "out of memory");
		return;
	}
	bufferevent_setcb(h->bev, on_http_read, NULL, on_http_event, h);
	if (bufferevent_socket_connect(h->bev, sa, (int)salen) < 0) {
		int e = EVUTIL_SOCKET_ERROR();
		http_finish(h, e == ENETUNREACH || e == EHOSTUNREACH ? "no route to the host" : strerror(e));
	}
}

static void on_resolved(int result, struct evutil_addrinfo *ai, void *arg)
{
	struct http_token *token = arg;
	struct http_check *h = token->h;

	free(token);
	if (!h) { /* cancelled: the check is gone */
		if (ai)
			evutil_freeaddrinfo(ai);
		return;
	}
	h->token = NULL;
	h->req = NULL;
	if (result != 0 || !ai) {
		if (ai)
			evutil_freeaddrinfo(ai);
		http_finish(h, "name not resolved");
		return;
	}
	((struct sockaddr_in *)ai->ai_addr)->sin_port = htons((uint16_t)h->port); /* sin6_port is there too */
	http_connect(h, ai->ai_addr, (socklen_t)ai->ai_addrlen);
	evutil_freeaddrinfo(ai);
}

static void http_start(struct connectivity *c, const char *url)
{
	struct http_check *h = calloc(1, sizeof(*h));
	struct evhttp_uri *u = NULL;
	struct timeval tv = {CONNECTIVITY_HTTP_TIMEOUT_S, 0};
	struct vd_prefix lit;
	const char *host, *path, *query;

	if (!h)
		return;
	h->c = c;
	vd_http_answer_init(&h->ans);
	c->http = h;
	snprintf(h->url, sizeof(h->url), "%s", url);
	u = evhttp_uri_parse_with_flags(url, 0);
	host = u ? evhttp_uri_get_host(u) : NULL;
	if (!host || !*host || strlen(host) >= sizeof(h->host)) {
		if (u)
			evhttp_uri_free(u);
		http_finish(h, "the URL cannot be read");
		return;
	}
	snprintf(h->host, sizeof(h->host), "%s", host);
	/* an IPv6 literal keeps its brackets in the Host: header, not in the address */
	char addr[256];
	size_t hl = strlen(host);
	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']')
		snprintf(addr, sizeof(addr), "%.*s", (int)(hl - 2), host + 1);
	else
		snprintf(addr, sizeof(addr), "%s", host);
	h->port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : 80;
	path = evhttp_uri_get_path(u);
	query = evhttp_uri_get_query(u);
	snprintf(h->target, sizeof(h->target), "%s%s%s", path && *path ? path : "/", query ? "?" : "",
	         query ? query : "");
	evhttp_uri_free(u);
	h->timeout = evtimer_new(c->base, on_http_timeout, h);
	if (!h->timeout || evtimer_add(h->timeout, &tv) < 0) {
		http_finish(h, "out of memory");
		return;
	}
	if (vd_addr_parse(addr, &lit) == 0) {
		struct sockaddr_storage sa;
		socklen_t len;
		pu_sockaddr_from_prefix(&lit, &sa, &len);
		((struct sockaddr_in *)&sa)->sin_port = htons((uint16_t)h->port);
		http_connect(h, (struct sockaddr *)&sa, len);
		return;
	}
	h->dns = pu_resolver_new(c->base);
	if (!h->dns) {
		http_finish(h, "no resolver");
		return;
	}
	struct evutil_addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct evdns_getaddrinfo_request *req;
	if (!(h->token = malloc(sizeof(*h->token)))) {
		http_finish(h, "out of memory");
		return;
	}
	h->token->h = h;
	req = evdns_getaddrinfo(h->dns, addr, NULL, &hints, on_resolved, h->token);
	/* NULL: the callback ran already, and h may be gone */
	if (req)
		h->req = req;
}

/* ---- NetworkManager ---- */

static const char *nm_state_name(uint32_t v)
{
	switch (v) {
	case NM_NONE:
		return "none";
	case NM_PORTAL:
		return "portal";
	case NM_LIMITED:
		return "limited";
	case NM_FULL:
		return "full";
	default:
		return NULL;
	}
}

/* NetworkManager said nothing usable: the daemon's own check, or nothing. */
static void fallback(struct connectivity *c)
{
	const struct config *cfg = daemon_config(c->d);

	if (c->http)
		return;
	if (cfg->connectivity_url && *cfg->connectivity_url)
		http_start(c, cfg->connectivity_url);
	else
		publish(c, NULL, NULL, NULL, NULL);
}

static void nm_value(struct connectivity *c, uint32_t v)
{
	const char *name = nm_state_name(v);

	if (!name) {
		/* UNKNOWN: its checking is off; ours, if there is one */
		if (strcmp(c->source, "networkmanager") == 0)
			c->source[0] = '\0';
		fallback(c);
		return;
	}
	if (c->http)
		http_free(c->http);
	publish(c, "networkmanager", name, NULL, NULL);
}

static int on_nm_get(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct connectivity *c = userdata;
	uint32_t v = NM_UNKNOWN;

	(void)ret_error;
	c->get_call = sd_bus_slot_unref(c->get_call);
	if (sd_bus_message_is_method_error(m, NULL) || sd_bus_message_read(m, "v", "u", &v) < 0) {
		fallback(c);
		return 0;
	}
	nm_value(c, v);
	return 0;
}

/* a{sv} of changed properties: Connectivity, if it is there */
static void nm_changed_dict(struct connectivity *c, sd_bus_message *m)
{
	const char *name;
	uint32_t v;

	if (sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
		return;
	while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
		if (sd_bus_message_read(m, "s", &name) < 0)
			return;
		if (strcmp(name, "Connectivity") == 0 && sd_bus_message_read(m, "v", "u", &v) >= 0) {
			if (!c->paused && daemon_config(c->d)->connectivity_nm)
				nm_value(c, v);
		} else if (sd_bus_message_skip(m, "v") < 0) {
			return;
		}
		if (sd_bus_message_exit_container(m) < 0)
			return;
	}
}

static int on_nm_std(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const char *iface;

	(void)ret_error;
	if (sd_bus_message_read(m, "s", &iface) >= 0 && strcmp(iface, NM_IFACE) == 0)
		nm_changed_dict(userdata, m);
	return 0;
}

static int on_nm_old(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	(void)ret_error;
	nm_changed_dict(userdata, m);
	return 0;
}

static bool nm_ask(struct connectivity *c)
{
	sd_bus *bus = pu_bus_get(&c->bus, c->base);
	int r;

	if (!bus)
		return false;
	if (c->bus_opened != c->bus.opened) {
		c->match_std = sd_bus_slot_unref(c->match_std);
		c->match_old = sd_bus_slot_unref(c->match_old);
		c->get_call = sd_bus_slot_unref(c->get_call);
		if (sd_bus_match_signal_async(bus, &c->match_std, NM_NAME, NM_PATH, PROPS_IFACE, "PropertiesChanged",
		                              on_nm_std, NULL, c) < 0 ||
		    sd_bus_match_signal_async(bus, &c->match_old, NM_NAME, NM_PATH, NM_IFACE, "PropertiesChanged",
		                              on_nm_old, NULL, c) < 0)
			log_debug("connectivity: cannot follow NetworkManager's signals");
		c->bus_opened = c->bus.opened;
	}
	if (c->get_call)
		return true;
	/* never started by asking: a NetworkManager that is installed but not
	 * running stays so (the bus would activate it) */
	sd_bus_message *m = NULL;
	r = sd_bus_message_new_method_call(bus, &m, NM_NAME, NM_PATH, PROPS_IFACE, "Get");
	if (r >= 0)
		r = sd_bus_message_set_auto_start(m, 0);
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", NM_IFACE, "Connectivity");
	if (r >= 0)
		r = sd_bus_call_async(bus, &c->get_call, m, on_nm_get, c, 0);
	sd_bus_message_unref(m);
	pu_bus_arm(&c->bus);
	return r >= 0;
}

/* ---- rounds ---- */

void connectivity_check(struct connectivity *c)
{
	const struct config *cfg = daemon_config(c->d);

	c->paused = false;
	if (c->http)
		http_free(c->http);
	if (cfg->connectivity_nm && nm_ask(c))
		return;
	fallback(c);
}

void connectivity_set_change_cb(struct connectivity *c, connectivity_change_fn fn, void *userdata)
{
	c->change_cb = fn;
	c->change_ud = userdata;
}

void connectivity_pause(struct connectivity *c)
{
	c->paused = true;
	if (c->http)
		http_free(c->http);
	c->get_call = sd_bus_slot_unref(c->get_call);
	evtimer_del(c->timer);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	connectivity_check(arg);
}

static void arm(struct connectivity *c)
{
	const struct config *cfg = daemon_config(c->d);
	unsigned s = cfg->connectivity_interval_s;
	struct timeval tv;

	if (c->paused)
		return;
	/* not the internet: soon again, so a login shows */
	if (c->state[0] && strcmp(c->state, "full") != 0 && s > CONNECTIVITY_RECHECK_S)
		s = CONNECTIVITY_RECHECK_S;
	tv.tv_sec = s;
	tv.tv_usec = 0;
	evtimer_del(c->timer);
	evtimer_add(c->timer, &tv);
}

int connectivity_new(struct event_base *base, struct vd_daemon *d, struct connectivity **ret)
{
	struct connectivity *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->base = base;
	c->d = d;
	c->timer = evtimer_new(base, on_timer, c);
	if (!c->timer) {
		free(c);
		return -ENOMEM;
	}
	connectivity_check(c);
	*ret = c;
	return 0;
}

void connectivity_free(struct connectivity *c)
{
	if (!c)
		return;
	if (c->http)
		http_free(c->http);
	sd_bus_slot_unref(c->match_std);
	sd_bus_slot_unref(c->match_old);
	sd_bus_slot_unref(c->get_call);
	pu_bus_close(&c->bus);
	event_free(c->timer);
	free(c);
}
