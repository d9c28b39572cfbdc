/* Helper programs for probes (see spawn.h), on the loop: lib's runner
 * (vpndoctor/spawn.h) starts the child and reads its pipe; the child is
 * reaped by polling waitpid(WNOHANG): a SIGCHLD handler would be one more
 * signal for the daemon's loop to share. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "spawn.h"
#include "vpndoctor/spawn.h"

#define SPAWN_POLL_MIN_MS 2
#define SPAWN_POLL_MAX_MS 100

struct spawn_job {
	struct vd_child c;
	struct event *rd, *timer;
	bool reading;
	int failed;          /* -ETIMEDOUT, -EFBIG, -ENOMEM or 0 */
	int64_t deadline_ms; /* CLOCK_MONOTONIC */
	unsigned poll_ms;
	spawn_done_fn done;
	void *arg;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void job_free(struct spawn_job *j)
{
	if (j->rd)
		event_free(j->rd);
	if (j->timer)
		event_free(j->timer);
	vd_child_free(&j->c);
	free(j);
}

void spawn_cancel(struct spawn_job *j)
{
	if (j)
		job_free(j); /* kills and reaps the child */
}

/* Killed, reaped by the next tick. */
static void stop_child(struct spawn_job *j)
{
	if (j->c.pid > 0)
		kill(j->c.pid, SIGKILL);
}

static void stop_reading(struct spawn_job *j)
{
	if (j->reading) {
		event_del(j->rd);
		j->reading = false;
	}
}

static void arm(struct spawn_job *j)
{
	int64_t left = j->deadline_ms - now_ms();
	unsigned ms = j->reading ? SPAWN_POLL_MAX_MS : j->poll_ms;
	struct timeval tv;

	if (j->reading && left < (int64_t)ms)
		ms = left > 0 ? (unsigned)left : 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(j->timer, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct spawn_job *j = arg;
	int status = 0, r;

	(void)fd;
	(void)what;
	if (now_ms() >= j->deadline_ms && (j->reading || !j->failed)) {
		/* still writing, or done writing but not exiting: either way too long */
		if (!j->failed)
			j->failed = -ETIMEDOUT;
		stop_reading(j);
		stop_child(j);
	}
	if (!j->reading) {
		r = vd_child_reap(&j->c, false, &status);
		if (r != 0) {
			if (j->failed)
				status = j->failed;
			else if (r < 0)
				status = r;
			j->done(j->arg, status, j->c.buf, j->c.len);
			job_free(j);
			return;
		}
		if (j->poll_ms < SPAWN_POLL_MAX_MS)
			j->poll_ms *= 2;
	}
	arm(j);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct spawn_job *j = arg;
	int r = vd_child_read(&j->c);

	(void)fd;
	(void)what;
	if (r == 1)
		return;
	if (r == -EFBIG || r == -ENOMEM) {
		j->failed = r;
		stop_reading(j);
		stop_child(j);
		return;
	}
	/* end of output (or a read error): now wait for the exit */
	stop_reading(j);
	event_del(j->timer);
	j->poll_ms = SPAWN_POLL_MIN_MS;
	arm(j);
}

int spawn_start(struct event_base *base, const char *path, char *const argv[], size_t max_out,
                unsigned timeout_ms, spawn_done_fn done, void *arg, struct spawn_job **ret)
{
	struct spawn_job *j;
	int r;

	if (!base || !path || !argv || !done || !ret || max_out == 0)
		return -EINVAL;
	if (!(j = calloc(1, sizeof(*j))))
		return -ENOMEM;
	j->done = done;
	j->arg = arg;
	r = vd_child_start(&j->c, path, argv, 0, max_out);
	if (r < 0) {
		free(j);
		return r;
	}
	j->reading = true;
	j->deadline_ms = now_ms() + timeout_ms;
	j->rd = event_new(base, j->c.fd, EV_READ | EV_PERSIST, on_read, j);
	j->timer = evtimer_new(base, on_timer, j);
	if (!j->rd || !j->timer || event_add(j->rd, NULL) < 0) {
		spawn_cancel(j);
		return -ENOMEM;
	}
	arm(j);
	*ret = j;
	return 0;
}
