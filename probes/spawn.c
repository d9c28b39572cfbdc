/* Helper programs for probes (see spawn.h). The child is reaped by polling
 * waitpid(WNOHANG): a SIGCHLD handler would be one more signal for the
 * daemon's loop to share. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "spawn.h"

#define SPAWN_POLL_MIN_MS 2
#define SPAWN_POLL_MAX_MS 100

struct spawn_job {
	pid_t child;
	int fd;
	struct event *rd, *timer;
	char *buf;
	size_t len, cap, max;
	bool reading;
	int failed;          /* -ETIMEDOUT, -E2BIG, or 0 */
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
	if (j->fd >= 0)
		close(j->fd);
	free(j->buf);
	free(j);
}

void spawn_cancel(struct spawn_job *j)
{
	if (!j)
		return;
	if (j->child > 0) {
		kill(j->child, SIGKILL);
		/* SIGKILL ends it at once: a brief wait beats leaving a zombie */
		while (waitpid(j->child, NULL, 0) < 0 && errno == EINTR)
			;
	}
	job_free(j);
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
	int ws, status;
	pid_t r;

	(void)fd;
	(void)what;
	if (now_ms() >= j->deadline_ms && (j->reading || !j->failed)) {
		/* still writing, or done writing but not exiting: either way too long */
		if (!j->failed)
			j->failed = -ETIMEDOUT;
		stop_reading(j);
		kill(j->child, SIGKILL);
	}
	if (!j->reading) {
		r = waitpid(j->child, &ws, WNOHANG);
		if (r == j->child || (r < 0 && errno != EINTR)) {
			j->child = 0;
			if (j->failed)
				status = j->failed;
			else if (r < 0)
				status = -errno;
			else if (WIFEXITED(ws))
				status = WEXITSTATUS(ws);
			else
				status = 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
			j->buf[j->len] = '\0';
			j->done(j->arg, status, j->buf, j->len);
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
	ssize_t n;

	(void)what;
	if (j->len + 1 == j->cap) {
		size_t cap = j->cap * 2 > j->max + 1 ? j->max + 1 : j->cap * 2;
		char *b = cap > j->cap ? realloc(j->buf, cap) : NULL;
		if (!b) {
			j->failed = cap > j->cap ? -ENOMEM : -E2BIG;
			stop_reading(j);
			kill(j->child, SIGKILL);
			return;
		}
		j->buf = b;
		j->cap = cap;
	}
	n = read(fd, j->buf + j->len, j->cap - 1 - j->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		j->len += (size_t)n;
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
	static char *const envp[] = {(char *)"LC_ALL=C", (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	posix_spawn_file_actions_t fa;
	struct spawn_job *j;
	int p[2], r;

	if (!base || !path || !argv || !done || !ret || max_out == 0)
		return -EINVAL;
	if (!(j = calloc(1, sizeof(*j))))
		return -ENOMEM;
	j->fd = -1;
	j->max = max_out;
	j->cap = max_out + 1 < 4096 ? max_out + 1 : 4096;
	j->done = done;
	j->arg = arg;
	if (!(j->buf = malloc(j->cap))) {
		job_free(j);
		return -ENOMEM;
	}
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		job_free(j);
		return r;
	}
	j->fd = p[0];
	if ((r = posix_spawn_file_actions_init(&fa)) != 0) {
		close(p[1]);
		job_free(j);
		return -r;
	}
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	r = posix_spawn(&j->child, path, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (r != 0) {
		j->child = 0;
		job_free(j);
		return -r;
	}
	j->reading = true;
	j->deadline_ms = now_ms() + timeout_ms;
	j->rd = event_new(base, j->fd, EV_READ | EV_PERSIST, on_read, j);
	j->timer = evtimer_new(base, on_timer, j);
	if (!j->rd || !j->timer || event_add(j->rd, NULL) < 0) {
		spawn_cancel(j);
		return -ENOMEM;
	}
	arm(j);
	*ret = j;
	return 0;
}
