/* See vpndoctor/proxy.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vpndoctor/cidr.h"
#include "vpndoctor/proxy.h"
#include "vpndoctor/text.h"

/* A host as it may stand in a request line: letters, digits, '.', '-',
 * '_' and, for an IPv6 address, ':'. */
static bool host_ok(const char *host, bool *v6)
{
	size_t n = host ? strlen(host) : 0;

	if (n == 0 || n > 255)
		return false;
	*v6 = strchr(host, ':') != NULL;
	for (size_t i = 0; i < n; i++) {
		char c = host[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '-' || c == '_' || c == ':'))
			return false;
	}
	return true;
}

int vd_proxy_http_request(const char *host, unsigned port, const char *user_agent, char *buf, size_t len)
{
	bool v6;
	int n;

	if (!host_ok(host, &v6) || port == 0 || port > 65535 || !buf)
		return -EINVAL;
	if (user_agent)
		for (const char *c = user_agent; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
				return -EINVAL;
	n = snprintf(buf, len, "CONNECT %s%s%s:%u HTTP/1.1\r\nHost: %s%s%s:%u\r\n%s%s%sProxy-Connection: keep-alive\r\n\r\n",
	             v6 ? "[" : "", host, v6 ? "]" : "", port, v6 ? "[" : "", host, v6 ? "]" : "", port,
	             user_agent ? "User-Agent: " : "", user_agent ? user_agent : "", user_agent ? "\r\n" : "");
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

/* The end of the head: the blank line ("\r\n\r\n", or "\n\n" from a sloppy
 * proxy), or NULL. */
static const char *head_end(const char *data, size_t len, size_t *skip)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (data[i] == '\n' && data[i + 1] == '\n') {
			*skip = 2;
			return data + i;
		}
		if (i + 3 < len && memcmp(data + i, "\r\n\r\n", 4) == 0) {
			*skip = 4;
			return data + i;
		}
	}
	return NULL;
}

int vd_proxy_http_parse(const char *data, size_t len, struct vd_proxy_http_reply *ret, size_t *head)
{
	const char *end, *eol;
	size_t skip = 0, line_len;
	int maj, min, code, n = 0;

	if (!data || !ret || !head)
		return -EINVAL;
	/* "HTTP/" first: anything else is no HTTP answer, and need not be
	 * waited for */
	if (len >= 5 && memcmp(data, "HTTP/", 5) != 0)
		return -EINVAL;
	if (len < 5 && memcmp(data, "HTTP/", len) != 0)
		return -EINVAL;
	end = head_end(data, len, &skip);
	if (!end)
		return len > VD_PROXY_HEAD_MAX ? -E2BIG : 0;
	if ((size_t)(end - data) + skip > VD_PROXY_HEAD_MAX)
		return -E2BIG;
	eol = memchr(data, '\n', (size_t)(end - data) + skip); /* the blank line has one at least */
	line_len = (size_t)(eol - data);
	if (line_len && data[line_len - 1] == '\r')
		line_len--;
	{
		char line[256];
		size_t c = line_len < sizeof(line) - 1 ? line_len : sizeof(line) - 1;

		memcpy(line, data, c);
		line[c] = '\0';
		if (sscanf(line, "HTTP/%1d.%1d %3d%n", &maj, &min, &code, &n) != 3 || code < 100 || code > 599 ||
		    (line[n] != '\0' && line[n] != ' '))
			return -EINVAL;
	}
	ret->status = code;
	vd_text_escape(ret->line, sizeof(ret->line), data, line_len);
	*head = (size_t)(end - data) + skip;
	return 1;
}

void vd_socks5_greeting(uint8_t buf[VD_SOCKS5_GREETING_LEN])
{
	buf[0] = 5;    /* version */
	buf[1] = 1;    /* one method */
	buf[2] = 0x00; /* no authentication */
}

int vd_socks5_method(const uint8_t *data, size_t len, uint8_t *method)
{
	if (!data || !method)
		return -EINVAL;
	if (len >= 1 && data[0] != 5)
		return -EINVAL;
	if (len < 2)
		return 0;
	*method = data[1];
	return 1;
}

int vd_socks5_request(const char *host, unsigned port, uint8_t *buf, size_t len)
{
	struct vd_prefix a;
	size_t n = 0, hl;
	bool v6;

	if (!host_ok(host, &v6) || port == 0 || port > 65535 || !buf)
		return -EINVAL;
	if (len < 4)
		return -ENOSPC;
	buf[n++] = 5; /* version */
	buf[n++] = 1; /* CONNECT */
	buf[n++] = 0; /* reserved */
	if (vd_addr_parse(host, &a) == 0) {
		size_t al = a.family == AF_INET ? 4 : 16;
		if (len < n + 1 + al + 2)
			return -ENOSPC;
		buf[n++] = a.family == AF_INET ? 1 : 4;
		memcpy(buf + n, a.addr, al);
		n += al;
	} else {
		if (v6)
			return -EINVAL; /* a ':' in something that is no address */
		hl = strlen(host);
		if (len < n + 2 + hl + 2)
			return -ENOSPC;
		buf[n++] = 3;
		buf[n++] = (uint8_t)hl;
		memcpy(buf + n, host, hl);
		n += hl;
	}
	buf[n++] = (uint8_t)(port >> 8);
	buf[n++] = (uint8_t)(port & 0xff);
	return (int)n;
}

int vd_socks5_reply(const uint8_t *data, size_t len, uint8_t *rep, size_t *consumed)
{
	size_t need;

	if (!data || !rep || !consumed)
		return -EINVAL;
	if ((len >= 1 && data[0] != 5) || (len >= 3 && data[2] != 0))
		return -EINVAL;
	if (len < 5)
		return 0;
	switch (data[3]) {
	case 1:
		need = 4 + 4 + 2;
		break;
	case 4:
		need = 4 + 16 + 2;
		break;
	case 3:
		need = 4 + 1 + (size_t)data[4] + 2;
		break;
	default:
		return -EINVAL;
	}
	if (len < need)
		return 0;
	*rep = data[1];
	*consumed = need;
	return 1;
}

const char *vd_socks5_reply_name(uint8_t rep)
{
	static const char *const names[] = {
		"succeeded",
		"general SOCKS server failure",
		"connection not allowed by ruleset",
		"network unreachable",
		"host unreachable",
		"connection refused",
		"TTL expired",
		"command not supported",
		"address type not supported",
	};
	return rep < sizeof(names) / sizeof(names[0]) ? names[rep] : "unassigned";
}
