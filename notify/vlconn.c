/* See vlconn.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vlconn.h"
#include "vpndoctor/sockaddr.h"

struct vlconn {
	int fd;
	sd_event_source *io;
	struct vd_varlink_decoder *dec;
	const struct vlconn_ops *ops;
	void *userdata;
	char *out;            /* queued bytes of our calls */
	size_t out_len, out_off;
	bool connecting;
	bool dispatching;     /* inside io_cb: free is deferred to its end */
	bool dead;            /* no more callbacks */
	bool freed;           /* the owner let go during dispatch */
};

static void really_free(struct vlconn *c)
{
	sd_event_source_disable_unref(c->io);
	if (c->fd >= 0)
		close(c->fd);
	vd_varlink_decoder_free(c->dec);
	free(c->out);
	free(c);
}

void vlconn_free(struct vlconn *c)
{
	if (!c)
		return;
	if (c->dispatching) {
		c->dead = c->freed = true;
		return;
	}
	really_free(c);
}

static void update_events(struct vlconn *c)
{
	uint32_t ev = EPOLLIN | EPOLLRDHUP;

	if (c->connecting || c->out_off < c->out_len)
		ev |= EPOLLOUT;
	(void)sd_event_source_set_io_events(c->io, ev);
}

static void fail(struct vlconn *c, int err)
{
	if (c->dead)
		return;
	c->dead = true; /* no more callbacks, whatever the owner does */
	sd_event_source_set_enabled(c->io, SD_EVENT_OFF);
	c->ops->closed(c->userdata, c, err);
}

static int flush_out(struct vlconn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return -errno;
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
	}
	return 0;
}

static int read_in(struct vlconn *c)
{
	char buf[65536];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	int r;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	r = vd_varlink_decoder_feed(c->dec, buf, (size_t)n);
	if (r < 0)
		return r == -EMSGSIZE ? -EBADMSG : r;
	for (;;) {
		struct vd_varlink_reply reply;
		const char *m;
		size_t len;

		r = vd_varlink_decoder_next(c->dec, &m, &len);
		if (r == 0)
			return 0;
		if (r < 0)
			return -EBADMSG;
		r = vd_varlink_reply_parse(m, len, &reply);
		if (r < 0)
			return r;
		c->ops->reply(c->userdata, c, &reply);
		vd_varlink_reply_done(&reply);
		if (c->dead)
			return 0;
	}
}

static int io_cb(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct vlconn *c = userdata;
	int r = 0;

	c->dispatching = true;
	if (c->connecting && (revents & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
			err = errno;
		if (err)
			r = -err;
		c->connecting = false;
	}
	if (r == 0 && !c->connecting && (revents & EPOLLOUT))
		r = flush_out(c);
	if (r == 0 && !c->connecting && (revents & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR)))
		r = read_in(c);
	if (r < 0)
		fail(c, r);
	else if (!c->dead)
		update_events(c);
	c->dispatching = false;
	if (c->freed)
		really_free(c);
	return 0;
}

int vlconn_open(sd_event *e, const char *path, const struct vlconn_ops *ops, void *userdata,
                struct vlconn **ret)
{
	struct sockaddr_un sa;
	struct vlconn *c;
	int r = vd_sockaddr_un_set(&sa, path);

	if (r < 0)
		return r;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ops = ops;
	c->userdata = userdata;
	r = vd_varlink_decoder_new(VLCONN_MAX_REPLY, &c->dec);
	if (r < 0) {
		c->fd = -1;
		really_free(c);
		return r;
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		r = -errno;
		really_free(c);
		return r;
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		/* a full listen backlog: wait for it rather than fail */
		if (errno != EAGAIN && errno != EINPROGRESS) {
			r = -errno;
			really_free(c);
			return r;
		}
		c->connecting = true;
	}
	r = sd_event_add_io(e, &c->io, c->fd, EPOLLIN | EPOLLRDHUP | (c->connecting ? EPOLLOUT : 0), io_cb, c);
	if (r < 0) {
		really_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

int vlconn_call(struct vlconn *c, const char *method, const struct cJSON *params, unsigned flags)
{
	char *msg, *out;
	size_t len;
	int r;

	if (c->dead)
		return -ENOTCONN;
	r = vd_varlink_encode_call(method, params, flags, &msg, &len);
	if (r < 0)
		return r;
	out = realloc(c->out, c->out_len + len);
	if (!out) {
		free(msg);
		return -ENOMEM;
	}
	memcpy(out + c->out_len, msg, len);
	free(msg);
	c->out = out;
	c->out_len += len;
	update_events(c);
	return 0;
}
