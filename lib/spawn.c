/* Helper programs (see vpndoctor/spawn.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vpndoctor/spawn.h"

extern char **environ;

/* The caller's environment without its locale, and LC_ALL=C. */
static char **caller_env(void)
{
	size_t n = 0;
	char **envp;

	for (char **e = environ; e && *e; e++)
		n++;
	envp = calloc(n + 2, sizeof(*envp));
	if (!envp)
		return NULL;
	n = 0;
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "LC_", 3) != 0 && strncmp(*e, "LANG=", 5) != 0 && strncmp(*e, "LANGUAGE=", 9) != 0)
			envp[n++] = *e;
	envp[n] = (char *)"LC_ALL=C";
	return envp;
}

int vd_child_start(struct vd_child *c, const char *path, char *const argv[], unsigned flags, size_t max_out)
{
	static char *const fixed_env[] = {(char *)"LC_ALL=C", (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	char **envp = NULL;
	int p[2], r;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (!path || !argv || max_out == 0)
		return -EINVAL;
	c->max = max_out;
	c->cap = max_out + 1 < 4096 ? max_out + 1 : 4096;
	if (!(c->buf = malloc(c->cap)))
		return -ENOMEM;
	c->buf[0] = '\0';
	if ((flags & VD_SPAWN_CALLER_ENV) && !(envp = caller_env())) {
		vd_child_free(c);
		return -ENOMEM;
	}
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		free(envp);
		vd_child_free(c);
		return r;
	}
	if ((r = posix_spawn_file_actions_init(&fa)) != 0) {
		close(p[0]);
		close(p[1]);
		free(envp);
		vd_child_free(c);
		return -r;
	}
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	/* a process group of its own (its stdin is /dev/null: no terminal is
	 * asked), so that a kill takes whatever it started too */
	if ((r = posix_spawnattr_init(&attr)) == 0) {
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
		posix_spawnattr_setpgroup(&attr, 0);
		if (flags & VD_SPAWN_CALLER_ENV)
			r = posix_spawnp(&c->pid, path, &fa, &attr, argv, envp);
		else
			r = posix_spawn(&c->pid, path, &fa, &attr, argv, fixed_env);
		posix_spawnattr_destroy(&attr);
	}
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	close(p[1]);
	c->fd = p[0];
	if (r != 0) {
		c->pid = 0;
		vd_child_free(c);
		return -r;
	}
	return 0;
}

int vd_child_read(struct vd_child *c)
{
	for (;;) {
		ssize_t n;

		if (c->len + 1 == c->cap) {
			size_t cap = c->cap * 2 > c->max + 1 ? c->max + 1 : c->cap * 2;
			char *b;

			if (cap <= c->cap) {
				/* full: one byte more tells the end from too much */
				char x;

				n = read(c->fd, &x, 1);
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0)
					return errno == EAGAIN ? 1 : -errno;
				return n == 0 ? 0 : -EFBIG;
			}
			if (!(b = realloc(c->buf, cap)))
				return -ENOMEM;
			c->buf = b;
			c->cap = cap;
		}
		n = read(c->fd, c->buf + c->len, c->cap - 1 - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 1;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
	}
}

int vd_child_reap(struct vd_child *c, bool wait, int *status)
{
	int ws;
	pid_t r;

	if (c->pid <= 0)
		return -ECHILD;
	do
		r = waitpid(c->pid, &ws, wait ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 0;
	c->pid = 0;
	if (r < 0)
		return -errno;
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
	return 1;
}

void vd_child_kill(struct vd_child *c)
{
	int st;

	if (c->pid <= 0)
		return;
	kill(-c->pid, SIGKILL); /* its group: what it started goes too */
	kill(c->pid, SIGKILL);
	vd_child_reap(c, true, &st);
}

void vd_child_free(struct vd_child *c)
{
	vd_child_kill(c);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vd_run(const char *path, char *const argv[], unsigned flags, size_t max_out, unsigned timeout_ms, char **out,
           size_t *len, int *status)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct vd_child c;
	int r;

	r = vd_child_start(&c, path, argv, flags, max_out);
	if (r < 0)
		return r;
	while ((r = vd_child_read(&c)) == 1) {
		struct pollfd pfd = {.fd = c.fd, .events = POLLIN};
		int64_t left = deadline - now_ms();

		if (left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
	}
	if (r < 0) {
		vd_child_free(&c);
		return r;
	}
	/* its output ended: it exits, or is killed at the deadline */
	while ((r = vd_child_reap(&c, false, status)) == 0) {
		int64_t left = deadline - now_ms();

		if (left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		usleep(left < 10 ? (useconds_t)left * 1000 : 10000);
	}
	if (r < 0) {
		vd_child_free(&c);
		return r;
	}
	*out = c.buf;
	*len = c.len;
	c.buf = NULL;
	vd_child_free(&c);
	return 0;
}
