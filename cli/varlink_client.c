/* The CLI's Varlink client; see varlink_client.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "varlink_client.h"
#include "vpndoctor/sockaddr.h"

struct vl_client {
	int fd;
	struct vd_varlink_decoder *dec;
	volatile sig_atomic_t *intr;
};

int vl_client_connect(const char *path, struct vl_client **ret)
{
	struct sockaddr_un sa;
	struct vl_client *c;
	int r = vd_sockaddr_un_set(&sa, path);

	if (r < 0)
		return r;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	r = vd_varlink_decoder_new(VL_CLIENT_MAX_REPLY, &c->dec);
	if (r < 0) {
		free(c);
		return r;
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		vl_client_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

void vl_client_free(struct vl_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	vd_varlink_decoder_free(c->dec);
	free(c);
}

int vl_client_call(struct vl_client *c, const char *method, const struct cJSON *params, unsigned flags)
{
	char *msg;
	size_t len, off = 0;
	int r;

	r = vd_varlink_encode_call(method, params, flags, &msg, &len);
	if (r < 0)
		return r;
	while (off < len) {
		ssize_t n = send(c->fd, msg + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		off += (size_t)n;
	}
	free(msg);
	return r;
}

int vl_client_read(struct vl_client *c, struct vd_varlink_reply *reply)
{
	char buf[16384];

	for (;;) {
		const char *m;
		size_t len;
		ssize_t n;
		int r = vd_varlink_decoder_next(c->dec, &m, &len);

		if (r == 1)
			return vd_varlink_reply_parse(m, len, reply);
		if (r < 0)
			return -EBADMSG;
		n = read(c->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR) {
			if (c->intr && *c->intr)
				return -EINTR;
			continue;
		}
		if (n < 0)
			return errno == ECONNRESET ? -ECONNRESET : -errno;
		if (n == 0)
			return -ECONNRESET;
		r = vd_varlink_decoder_feed(c->dec, buf, (size_t)n);
		if (r < 0)
			return r == -EMSGSIZE ? -EBADMSG : r;
	}
}

void vl_client_set_interrupt(struct vl_client *c, volatile sig_atomic_t *flag)
{
	c->intr = flag;
}

int vl_client_shutdown_write(struct vl_client *c)
{
	return shutdown(c->fd, SHUT_WR) < 0 ? -errno : 0;
}

int vl_merge(cJSON *dst, const cJSON *page)
{
	return vd_varlink_merge(dst, page);
}
