/* The tunnel's OpenVPN gateway as the transport and path probes see it: where
 * it is (resolved on the loop), and one hard reset to it over UDP or TCP. */
#ifndef VPNDOCTOR_PROBE_TRANSPORT_H
#define VPNDOCTOR_PROBE_TRANSPORT_H

#include <stdbool.h>
#include <sys/socket.h>

#include "vpndoctor/ovpn_wire.h"
#include "vpndoctor/proxy.h"

struct event_base;
struct probe_run;

struct tp_gateway {
	char host[256];      /* as OpenVPN or the profile names it */
	char addr[64];       /* numeric, once resolved */
	unsigned port;
	char proto[4];       /* the tunnel's: "udp" or "tcp" */
	struct sockaddr_storage ss;
	socklen_t slen;
	struct vd_ovpn_wrap wrap;
	const char *wrap_name; /* "none", "tls-auth", "tls-crypt", "tls-crypt-v2" */
	bool speakable;      /* false: tls-crypt-v2, or a key that could not be read */
	char error[320];     /* why it is not resolved or not speakable */
	const char *error_id; /* error as a template (probe.h), or NULL; its values: */
	char error_key[32];   /* {key}, the directive (tls-auth, tls-crypt) */
	char error_path[208]; /* {path} or {host}, at most 200 bytes */
	char error_text[128]; /* {error}, the system's or the resolver's words */
	/* the profile's http-proxy or socks-proxy; host empty without one */
	struct {
		bool socks;
		char host[256];
		unsigned port;
	} proxy;
};

/* gw->error as run's error (probe_run_error_msg), in the reader's language. */
void probe_transport_gateway_error(struct probe_run *run, const struct tp_gateway *gw);

/* Finds the gateway of run's tunnel (the openvpn section's remote, else the
 * profile's first remote) and resolves it; cb runs from the loop, never from
 * inside this call. The calling probe reads the openvpn and profile sections
 * through its run: both are in its needs. err: 0 resolved, -ENOENT no remote known, -EHOSTUNREACH
 * the name did not resolve (gw->error says why). */
typedef void (*tp_gateway_fn)(void *userdata, struct tp_gateway *gw, int err);
struct tp_resolve;
int probe_transport_gateway(const struct probe_run *run, tp_gateway_fn cb, void *userdata,
			    struct tp_resolve **ret);
/* The same, but when the profile names a proxy (gw->proxy) the gateway is
 * not resolved: the profile's first remote as it names it is what OpenVPN
 * asks its proxy to connect to (addr and ss stay empty; err is 0 or
 * -ENOENT). */
int probe_transport_gateway_named(const struct probe_run *run, tp_gateway_fn cb, void *userdata,
				  struct tp_resolve **ret);
void probe_transport_gateway_free(struct tp_resolve *r); /* cancels; cb is not called */

/* One P_CONTROL_HARD_RESET_CLIENT_V2 with a fresh session id. result is
 * "answered", "refused", "timeout" or "error" (why says more). */
struct tp_result {
	const char *result;
	double rtt_ms;     /* reset sent to reply in (answered) */
	double connect_ms; /* TCP: the connection's handshake; else < 0 */
	char why[320];
	/* through a proxy (probe_transport_hs_proxy): what it answered, else NULL */
	const char *proxy_result;        /* "connected", "auth-required", "refused", "timeout", "error" */
	char proxy_reply[VD_PROXY_REPLY_MAX]; /* its status line or SOCKS5 reply in words, escaped */
	char proxy_error[320];           /* why nothing came back */
};
typedef void (*tp_hs_fn)(void *userdata, const struct tp_result *res);
struct tp_hs;
/* cb runs from the loop once (the caller may free hs in it). */
int probe_transport_hs(struct event_base *base, const struct tp_gateway *gw, bool tcp, unsigned timeout_ms,
		       tp_hs_fn cb, void *userdata, struct tp_hs **ret);
void probe_transport_hs_free(struct tp_hs *hs);

/* The same over TCP through a proxy, as OpenVPN goes through it: an HTTP
 * CONNECT or a SOCKS5 CONNECT (no credentials offered: the daemon never
 * sends a user's proxy password) to gw's host and port, then the reset over
 * the tunnel the proxy opened. result is "skipped" when the proxy did not
 * connect (proxy_result says what it did); connect_ms is the time until it
 * did. */
struct tp_proxy {
	bool socks;
	struct sockaddr_storage ss; /* the proxy's address and port */
	socklen_t slen;
};
int probe_transport_hs_proxy(struct event_base *base, const struct tp_gateway *gw, const struct tp_proxy *px,
			     unsigned timeout_ms, tp_hs_fn cb, void *userdata, struct tp_hs **ret);

#endif
