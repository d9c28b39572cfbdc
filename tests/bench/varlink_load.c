/* Load generator for the control socket: N clients on one epoll loop, each
 * sending one Varlink call, waiting for its NUL-ended reply, and sending the
 * next, for S seconds; prints round trips per second and latency percentiles.
 * Usage: varlink_load [-m METHOD] [-r CALLS_PER_S_PER_CLIENT] [-u UID:GID:PROCS]
 *                     SOCKET CLIENTS SECONDS
 * Without -r each client sends its next call as soon as the reply is in (the
 * daemon's throughput; latency is then N clients / rate by Little's law). With
 * -r each client paces itself, which measures latency under a given load.
 * With -u the clients are spread over PROCS processes running as UID, UID+1,
 * ... with GID as their group: the daemon bounds connections per uid (32), so
 * 100 clients of one uid would measure the limit, not the loop. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct client {
	int fd;
	bool waiting;     /* paced: reply in, next call not yet due */
	uint64_t next_ns; /* paced: when the next call is due */
	uint64_t sent_ns;
	size_t got;     /* reply bytes so far (only the head is kept) */
	char head[64];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static long parse_long(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "varlink_load: '%s' is not a number from %ld to %ld\n", s, min, max);
		exit(2);
	}
	return v;
}

struct result {
	uint64_t *lat;
	size_t n;
	uint64_t errors, closed, elapsed_ns;
};

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* nclients on one epoll loop for `seconds`; latencies into res. */
static void run(const struct sockaddr_un *sa, const char *req, size_t reqlen, long nclients, long seconds,
                double rate, struct result *res)
{
	uint64_t interval = rate > 0 ? (uint64_t)(1e9 / rate) : 0;
	size_t cap = 1 << 16;
	uint64_t start, end;
	struct client *cl = calloc((size_t)nclients, sizeof(*cl));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	long open_clients = nclients;

	memset(res, 0, sizeof(*res));
	res->lat = malloc(cap * sizeof(*res->lat));
	if (!res->lat || !cl || ep < 0)
		die("varlink_load");
	for (long i = 0; i < nclients; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0 || connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0)
			die("varlink_load: connect");
		cl[i].fd = fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			die("varlink_load: epoll_ctl");
	}
	start = now_ns();
	end = start + (uint64_t)seconds * 1000000000u;
	for (long i = 0; i < nclients; i++) {
		if (interval) {
			/* spread the first calls over one interval: no thundering herd */
			cl[i].waiting = true;
			cl[i].next_ns = start + interval * (uint64_t)i / (uint64_t)nclients;
			continue;
		}
		cl[i].sent_ns = now_ns();
		if (write(cl[i].fd, req, reqlen) != (ssize_t)reqlen)
			die("varlink_load: write");
	}
	while (open_clients > 0) {
		struct epoll_event evs[256];
		struct timespec tmo = {1, 0};
		uint64_t t = now_ns(), due = UINT64_MAX;
		int n;

		for (long i = 0; interval && i < nclients; i++) {
			struct client *c = &cl[i];
			if (c->fd < 0 || !c->waiting)
				continue;
			if (c->next_ns <= t) {
				c->waiting = false;
				c->sent_ns = t;
				if (write(c->fd, req, reqlen) != (ssize_t)reqlen)
					die("varlink_load: write");
			} else if (c->next_ns < due) {
				due = c->next_ns;
			}
		}
		if (due != UINT64_MAX && due - t < 1000000000u)
			tmo = (struct timespec){0, (long)(due - t)};
		n = epoll_pwait2(ep, evs, 256, &tmo, NULL);
		t = now_ns();

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("varlink_load: epoll_wait");
		}
		if (n == 0 && t > end + 5000000000u && !interval) {
			fprintf(stderr, "varlink_load: %ld clients got no reply for 5 s\n", open_clients);
			break;
		}
		for (int k = 0; k < n; k++) {
			struct client *c = &cl[evs[k].data.u64];
			char buf[65536];
			ssize_t r = read(c->fd, buf, sizeof(buf));

			if (r <= 0) {
				/* closed by the daemon: a limit, not a reply */
				res->closed++;
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				c->fd = -1;
				open_clients--;
				continue;
			}
			if (c->got < sizeof(c->head)) {
				size_t take = (size_t)r < sizeof(c->head) - c->got ? (size_t)r : sizeof(c->head) - c->got;
				memcpy(c->head + c->got, buf, take);
			}
			c->got += (size_t)r;
			/* One call in flight per client, so a NUL ends our reply. */
			if (!memchr(buf, '\0', (size_t)r))
				continue;
			if (res->n == cap) {
				cap *= 2;
				res->lat = realloc(res->lat, cap * sizeof(*res->lat));
				if (!res->lat)
					die("varlink_load");
			}
			res->lat[res->n++] = t - c->sent_ns;
			/* A Varlink error reply names "error" at the top level; ours
			 * start with "parameters" when they succeed. */
			if (strncmp(c->head, "{\"parameters\"", 13) != 0 &&
			    memmem(c->head, sizeof(c->head), "\"error\"", 7))
				res->errors++;
			c->got = 0;
			memset(c->head, 0, sizeof(c->head));
			if (t >= end) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				c->fd = -1;
				open_clients--;
				continue;
			}
			if (interval) {
				c->next_ns += interval;
				if (c->next_ns > t) {
					c->waiting = true;
					continue;
				}
			}
			c->sent_ns = now_ns();
			if (write(c->fd, req, reqlen) != (ssize_t)reqlen)
				die("varlink_load: write");
		}
	}
	res->elapsed_ns = now_ns() - start;
	free(cl);
	close(ep);
}

static void write_all(int fd, const void *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n <= 0)
			die("varlink_load: pipe");
		p = (const char *)p + n;
		len -= (size_t)n;
	}
}

static void read_all(int fd, void *p, size_t len)
{
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n <= 0)
			die("varlink_load: pipe");
		p = (char *)p + n;
		len -= (size_t)n;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *method = "io.vpndoctor.GetStatus";
	char req[256];
	size_t reqlen;
	long nclients, seconds, procs = 1, uid = -1, gid = -1;
	struct result all = {0};
	double rps = 0, rate = 0;
	int opt;

	while ((opt = getopt(argc, argv, "m:r:u:")) != -1) {
		char *a, *b;

		switch (opt) {
		case 'm':
			method = optarg;
			break;
		case 'r':
			rate = (double)parse_long(optarg, 1, 1000000);
			break;
		case 'u':
			a = strchr(optarg, ':');
			b = a ? strchr(a + 1, ':') : NULL;
			if (!b) {
				fprintf(stderr, "varlink_load: -u UID:GID:PROCS\n");
				return 2;
			}
			*a++ = '\0';
			*b++ = '\0';
			uid = parse_long(optarg, 1, 2000000000);
			gid = parse_long(a, 1, 2000000000);
			procs = parse_long(b, 1, 64);
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 3) {
		fprintf(stderr, "usage: varlink_load [-m METHOD] [-r RATE] [-u UID:GID:PROCS] SOCKET CLIENTS SECONDS\n");
		return 2;
	}
	if (strlen(argv[optind]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "varlink_load: socket path too long\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[optind]);
	nclients = parse_long(argv[optind + 1], 1, 10000);
	seconds = parse_long(argv[optind + 2], 1, 3600);
	if (procs > nclients)
		procs = nclients;
	reqlen = (size_t)snprintf(req, sizeof(req), "{\"method\":\"%s\"}", method) + 1; /* with the NUL */

	if (procs == 1 && uid < 0) {
		run(&sa, req, reqlen, nclients, seconds, rate, &all);
		rps = (double)all.n / ((double)all.elapsed_ns / 1e9);
	} else {
		int fds[64];
		pid_t pids[64];

		for (long p = 0; p < procs; p++) {
			int pp[2];
			long n = nclients / procs + (p < nclients % procs);

			if (pipe2(pp, O_CLOEXEC) < 0)
				die("varlink_load: pipe");
			pids[p] = fork();
			if (pids[p] < 0)
				die("varlink_load: fork");
			if (pids[p] == 0) {
				struct result r;
				gid_t g = (gid_t)gid;

				close(pp[0]);
				if (uid >= 0 && (setgroups(1, &g) < 0 || setgid(g) < 0 || setuid((uid_t)(uid + p)) < 0))
					die("varlink_load: setuid");
				run(&sa, req, reqlen, n, seconds, rate, &r);
				write_all(pp[1], &r, sizeof(r));
				write_all(pp[1], r.lat, r.n * sizeof(*r.lat));
				_exit(0);
			}
			close(pp[1]);
			fds[p] = pp[0];
		}
		all.lat = NULL;
		for (long p = 0; p < procs; p++) {
			struct result r;
			int st;

			read_all(fds[p], &r, sizeof(r));
			all.lat = realloc(all.lat, (all.n + r.n + 1) * sizeof(*all.lat));
			if (!all.lat)
				die("varlink_load");
			read_all(fds[p], all.lat + all.n, r.n * sizeof(*all.lat));
			close(fds[p]);
			all.n += r.n;
			all.errors += r.errors;
			all.closed += r.closed;
			/* the processes ran side by side: their rates add up */
			rps += (double)r.n / ((double)r.elapsed_ns / 1e9);
			waitpid(pids[p], &st, 0);
		}
	}

	if (all.n == 0) {
		printf("clients=%ld requests=0 errors=0 closed_by_daemon=%llu rps=0 p50_us=0 p99_us=0 max_us=0\n",
		       nclients, (unsigned long long)all.closed);
		return 1;
	}
	qsort(all.lat, all.n, sizeof(*all.lat), cmp_u64);
	printf("clients=%ld requests=%zu errors=%llu closed_by_daemon=%llu rps=%.0f p50_us=%.0f p99_us=%.0f max_us=%.0f\n",
	       nclients, all.n, (unsigned long long)all.errors, (unsigned long long)all.closed, rps,
	       (double)all.lat[all.n / 2] / 1e3, (double)all.lat[all.n * 99 / 100] / 1e3,
	       (double)all.lat[all.n - 1] / 1e3);
	free(all.lat);
	return 0;
}
