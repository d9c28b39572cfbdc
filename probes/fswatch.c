/* Directory watches on one inotify instance per event loop (see fswatch.h). */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <event2/event.h>

#include "fswatch.h"
#include "probe.h"

struct fswatch_loop {
	struct event_base *base;
	int fd;
	struct event *ev;
	struct fswatch *watches;
	struct fswatch_loop *next;
};

struct fswatch {
	struct fswatch_loop *l;
	int wd;
	uint32_t mask;
	fswatch_fn fn;
	void *userdata;
	struct fswatch *next;
};

static struct fswatch_loop *loops;

static void loop_free(struct fswatch_loop *l)
{
	struct fswatch_loop **pp;

	for (pp = &loops; *pp && *pp != l; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = l->next;
	if (l->ev)
		event_free(l->ev);
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct fswatch_loop *l = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	(void)what;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)(void *)p;
			bool all = (e->mask & IN_Q_OVERFLOW) != 0;

			p += sizeof(*e) + e->len;
			for (struct fswatch *w = l->watches; w; w = w->next)
				if (all || (w->wd >= 0 && w->wd == e->wd &&
				            (e->mask & (w->mask | IN_IGNORED | IN_UNMOUNT))))
					w->fn(w->userdata, e);
			if (e->mask & IN_IGNORED) /* the kernel dropped the watch */
				for (struct fswatch *w = l->watches; w; w = w->next)
					if (w->wd == e->wd)
						w->wd = -1;
		}
	}
}

static int add(struct event_base *base, bool as_who, const struct vd_proc_id *who, const char *dir, uint32_t mask,
               fswatch_fn fn, void *userdata, struct fswatch **ret);

int fswatch_add(struct event_base *base, const char *dir, uint32_t mask, fswatch_fn fn, void *userdata,
                struct fswatch **ret)
{
	return add(base, false, NULL, dir, mask, fn, userdata, ret);
}

int fswatch_add_as(struct event_base *base, const struct vd_proc_id *who, const char *dir, uint32_t mask,
                   fswatch_fn fn, void *userdata, struct fswatch **ret)
{
	return add(base, true, who, dir, mask, fn, userdata, ret);
}

/* as_who: through daemon/priv.h as who's principal, else with our own rights */
static int add(struct event_base *base, bool as_who, const struct vd_proc_id *who, const char *dir, uint32_t mask,
               fswatch_fn fn, void *userdata, struct fswatch **ret)
{
	struct fswatch_loop *l;
	struct fswatch *w;
	int r;

	for (l = loops; l && l->base != base; l = l->next)
		;
	if (!l) {
		if (!(l = calloc(1, sizeof(*l))))
			return -ENOMEM;
		l->base = base;
		l->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (l->fd < 0) {
			r = -errno;
			free(l);
			return r;
		}
		l->next = loops;
		loops = l;
		l->ev = event_new(base, l->fd, EV_READ | EV_PERSIST, on_read, l);
		if (!l->ev || event_add(l->ev, NULL) < 0) {
			loop_free(l);
			return -ENOMEM;
		}
	}
	if (!(w = calloc(1, sizeof(*w)))) {
		r = -ENOMEM;
	} else if ((w->wd = as_who ? probe_watch(who, l->fd, dir, mask | IN_MASK_ADD)
	                           : inotify_add_watch(l->fd, dir, mask | IN_MASK_ADD)) < 0) {
		/* IN_MASK_ADD: another watch of the directory keeps its events */
		r = as_who ? w->wd : -errno;
		free(w);
	} else {
		w->l = l;
		w->mask = mask;
		w->fn = fn;
		w->userdata = userdata;
		w->next = l->watches;
		l->watches = w;
		*ret = w;
		return 0;
	}
	if (!l->watches)
		loop_free(l);
	return r;
}

int fswatch_wd(const struct fswatch *w)
{
	return w ? w->wd : -1;
}

void fswatch_free(struct fswatch *w)
{
	struct fswatch_loop *l;
	struct fswatch **pp;
	bool shared = false;

	if (!w)
		return;
	l = w->l;
	for (pp = &l->watches; *pp && *pp != w; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = w->next;
	for (struct fswatch *o = l->watches; o && w->wd >= 0; o = o->next)
		shared |= o->wd == w->wd;
	if (w->wd >= 0 && !shared)
		inotify_rm_watch(l->fd, w->wd);
	free(w);
	if (!l->watches)
		loop_free(l);
}
