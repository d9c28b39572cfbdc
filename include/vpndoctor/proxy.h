/* OpenVPN's proxies as the transport probe speaks to them, the way OpenVPN
 * does: an HTTP proxy's CONNECT (RFC 9110 section 9.3.6) and a SOCKS5
 * proxy's CONNECT (RFC 1928), both TCP. Pure: the requests are built into
 * buffers and the replies parsed from the bytes the caller feeds. No
 * credentials are ever put in a request: the daemon does not send a user's
 * proxy password, so a proxy that wants one is reported as such. A proxy's
 * words are remote text: what is kept of them is escaped and cut. */
#ifndef VPNDOCTOR_PROXY_H
#define VPNDOCTOR_PROXY_H

#include <stddef.h>
#include <stdint.h>

/* What is kept of a proxy's status line, escaped, with the NUL. */
#define VD_PROXY_REPLY_MAX 160
/* An HTTP proxy's answer head larger than this is not one. */
#define VD_PROXY_HEAD_MAX 8192

/* "CONNECT host:port HTTP/1.1" with its Host: header and the blank line
 * ([v6] in brackets). The request's length, -EINVAL for a host with bytes
 * that do not belong in a request line, -ENOSPC when len is too small. */
int vd_proxy_http_request(const char *host, unsigned port, const char *user_agent, char *buf, size_t len);

struct vd_proxy_http_reply {
	int status;                      /* 200 */
	char line[VD_PROXY_REPLY_MAX];   /* the status line, escaped and cut */
};

/* The proxy's answer so far (data[0..len)): 0 when more is needed, 1 when
 * its head is complete (*ret filled, *head the bytes of the head: what
 * follows it is the tunnel's), -EINVAL when it is not an HTTP answer,
 * -E2BIG when the head passes VD_PROXY_HEAD_MAX. */
int vd_proxy_http_parse(const char *data, size_t len, struct vd_proxy_http_reply *ret, size_t *head);

/* SOCKS5: the greeting offers "no authentication" alone (05 01 00). */
#define VD_SOCKS5_GREETING_LEN 3
void vd_socks5_greeting(uint8_t buf[VD_SOCKS5_GREETING_LEN]);
/* The method the proxy chose (05 MM): 0 when more is needed, 1 with
 * *method (0x00 none needed, 0xFF none of those offered: it wants
 * credentials), -EINVAL when it is no SOCKS5 answer. */
int vd_socks5_method(const uint8_t *data, size_t len, uint8_t *method);
/* CONNECT to host:port, an IPv4 or IPv6 address or a name (at most 255
 * bytes): the request's length, -EINVAL, or -ENOSPC (len < 262 is enough
 * for any). */
int vd_socks5_request(const char *host, unsigned port, uint8_t *buf, size_t len);
/* The reply to it (05 REP 00 ATYP BND.ADDR BND.PORT): 0 when more is needed,
 * 1 with *rep and *consumed (its length: what follows is the tunnel's),
 * -EINVAL when it is no SOCKS5 reply. */
int vd_socks5_reply(const uint8_t *data, size_t len, uint8_t *rep, size_t *consumed);
/* RFC 1928's words for a reply code ("connection not allowed by ruleset"),
 * "unassigned" past 8. */
const char *vd_socks5_reply_name(uint8_t rep);

#endif
