/* The openvpn probe: the management interface, as a listener that yields
 * to any other client (see openvpn.c's top). */

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "ov.h"
#include "vpndoctor/common.h"
#include "vpndoctor/version.h"

#define OV_MGMT_BACKOFF_MAX 60
#define OV_MGMT_YIELD_S 60

/* ---- management ------------------------------------------------------------------- */

void ov_mgmt_close(struct ov_state *st, bool failed)
{
	if (st->bev)
		bufferevent_free(st->bev);
	st->bev = NULL;
	vd_mgmt_reader_free(st->rd);
	st->rd = NULL;
	if (st->mgmt_up || failed) {
		st->backoff_s = st->mgmt_up ? 1 : (st->backoff_s ? st->backoff_s * 2 : 1);
		if (st->backoff_s > OV_MGMT_BACKOFF_MAX)
			st->backoff_s = OV_MGMT_BACKOFF_MAX;
		st->next_try = mono() + st->backoff_s;
	}
	st->mgmt_up = false;
	if (st->tick)
		ov_tick_arm(st); /* the retry is due sooner than a slow tick */
}

static const char *mgmt_state_name(const char *s)
{
	if (strcmp(s, "CONNECTED") == 0)
		return "connected";
	if (strcmp(s, "RECONNECTING") == 0)
		return "reconnecting";
	return "connecting"; /* EXITING: see ov_ending() */
}

static void on_mgmt_msg(void *userdata, const struct vd_mgmt_msg *m)
{
	struct ov_state *st = userdata;
	const struct vd_mgmt_state *s = &m->u.state;

	switch (m->kind) {
	case VD_MGMT_STATE: {
		const char *name = mgmt_state_name(s->name);
		char detail[sizeof(st->state_reason)];
		CLEAN(detail, s->detail);
		if (strcmp(s->name, "EXITING") == 0)
			ov_ending(st, detail, s->time, "management");
		else
			ov_set_state(st, name, strcmp(name, "reconnecting") == 0 ? detail : "", s->time, "management");
		if (*s->local_ip)
			SCPY(st->local_ip, s->local_ip);
		if (*s->remote_ip) {
			SCPY(st->remote_addr, s->remote_ip);
			st->remote_port = s->remote_port;
		}
		break;
	}
	case VD_MGMT_LOG:
		if (st->src == SRC_NONE)
			ov_log_line(st, m->u.log.msg, m->u.log.msg_len, !m->reply);
		break;
	case VD_MGMT_HOLD:
		ov_set_state(st, "connecting", "management-hold", 0, "management");
		break;
	case VD_MGMT_FATAL:
		st->saw_exit = true;
		st->fatal_exit = true;
		ov_clean_cpy(st->exit_reason, sizeof(st->exit_reason), m->text, m->text_len);
		ov_changed(st);
		break;
	case VD_MGMT_DATA:
		/* the `version` command's answer: what runs, said by itself */
		if (m->reply && m->text_len > 17 && memcmp(m->text, "OpenVPN Version: ", 17) == 0) {
			char title[VD_OVPN_TITLE_MAX];
			ov_clean_cpy(title, sizeof(title), m->text + 17, m->text_len - 17);
			ov_set_version(st, title, VR_MANAGEMENT, "management");
		}
		break;
	default:
		break;
	}
}

static void on_mgmt_read(struct bufferevent *bev, void *arg)
{
	struct ov_state *st = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char buf[8192];
	int n;

	while ((n = evbuffer_remove(in, buf, sizeof(buf))) > 0)
		vd_mgmt_feed(st->rd, buf, (size_t)n, on_mgmt_msg, st);
}

static void on_mgmt_event(struct bufferevent *bev, short what, void *arg)
{
	struct ov_state *st = arg;
	static const struct {
		const char *cmd;
		enum vd_mgmt_reply reply;
	} cmds[] = {
		{"state on\n", VD_MGMT_REPLY_STATUS},
		{"log on all\n", VD_MGMT_REPLY_STATUS_LOG_LIST},
		{"state\n", VD_MGMT_REPLY_STATE_LIST},
		{"version\n", VD_MGMT_REPLY_DATA_LIST},
	};

	if (what & BEV_EVENT_CONNECTED) {
		st->mgmt_up = true;
		st->backoff_s = 0;
		for (size_t i = 0; i < VD_ARRAY_SIZE(cmds); i++) {
			bufferevent_write(bev, cmds[i].cmd, strlen(cmds[i].cmd));
			vd_mgmt_expect(st->rd, cmds[i].reply);
		}
		bufferevent_enable(bev, EV_READ);
		ov_changed(st);
		ov_tick_arm(st); /* the yield check's period starts now */
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		/* OpenVPN went away or restarts: the tick reconnects with backoff */
		ov_mgmt_close(st, true);
		ov_changed(st);
	}
}

/* Clients other than the listener at a unix socket path (/proc/net/unix: the
 * listener has __SO_ACCEPTCON, 00010000; accepted and queued ones do not). */
static int unix_clients(const char *path)
{
	FILE *f = fopen("/proc/net/unix", "re");
	char line[PATH_MAX + 128];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char flags[16], p[PATH_MAX];
		unsigned long long num;
		unsigned ref, proto, type, state, inode;
		size_t l = strlen(line);

		if (l && line[l - 1] == '\n')
			line[--l] = '\0';
		if (sscanf(line, "%llx: %x %x %15s %x %x %u %4095s", &num, &ref, &proto, flags, &type, &state,
		           &inode, p) != 8)
			continue;
		if (strcmp(p, path) == 0 && strcmp(flags, "00010000") != 0)
			n++;
	}
	fclose(f);
	return n;
}

static int mgmt_addr(const char *target, struct sockaddr_storage *ss, socklen_t *len)
{
	if (target[0] == '/') {
		struct sockaddr_un *un = (struct sockaddr_un *)ss;
		if (strlen(target) >= sizeof(un->sun_path))
			return -ENAMETOOLONG;
		memset(un, 0, sizeof(*un));
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, target, strlen(target));
		*len = (socklen_t)sizeof(*un);
		return 0;
	}
	/* HOST:PORT, numeric only: no name lookups on the loop */
	{
		char host[256];
		const char *colon = strrchr(target, ':');
		struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM}, *ai;
		if (!colon || (size_t)(colon - target) >= sizeof(host))
			return -EINVAL;
		cpy(host, sizeof(host), target, (size_t)(colon - target));
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = '\0';
		}
		if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
			return -EINVAL;
		memcpy(ss, ai->ai_addr, ai->ai_addrlen);
		*len = ai->ai_addrlen;
		freeaddrinfo(ai);
		return 0;
	}
}

/* A unix socket is connected as the principal of whoever named it (the
 * administrator for Management=, else the process, daemon/priv.h); a
 * HOST:PORT of Management= needs no file and is the engine's own. */
static void mgmt_connect(struct ov_state *st)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	int fd, r;

	if (st->mgmt_unix) {
		/* Management= of vpndoctor.conf is the administrator's; anything
		 * else a process named (discovery passes its --management on) */
		const struct vd_proc_id who = who_of(st), admin = {0};
		r = probe_connect(st->mgmt_conf && st->configured ? &admin : &who, st->mgmt_target, &fd);
		if (r < 0) {
			ov_mgmt_close(st, true);
			return;
		}
	} else {
		if (mgmt_addr(st->mgmt_target, &ss, &len) < 0)
			return;
		fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return;
	}
	if (vd_mgmt_reader_new(&st->rd) < 0) {
		close(fd);
		return;
	}
	st->bev = bufferevent_socket_new(st->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!st->bev) {
		close(fd);
		ov_mgmt_close(st, true);
		return;
	}
	bufferevent_setcb(st->bev, on_mgmt_read, NULL, on_mgmt_event, st);
	if (st->mgmt_unix)
		on_mgmt_event(st->bev, BEV_EVENT_CONNECTED, st); /* connected already */
	else if (bufferevent_socket_connect(st->bev, (struct sockaddr *)&ss, (int)len) < 0)
		ov_mgmt_close(st, true);
}

/* Where to connect, if anywhere (see openvpn.c's top). */
void ov_mgmt_upkeep(struct ov_state *st)
{
	char target[PATH_MAX] = "";

	if (st->mgmt_conf) {
		SCPY(target, st->mgmt_conf);
	} else if (st->running && st->have_proc && st->proc.mgmt_unix && !st->proc.mgmt_gui) {
		if (vd_proc_path_join(st->cwd, st->proc.mgmt_unix, target, sizeof(target)) < 0)
			target[0] = '\0';
	}
	if (strcmp(target, st->mgmt_target) != 0) {
		ov_mgmt_close(st, false);
		SCPY(st->mgmt_target, target);
		st->mgmt_unix = target[0] == '/';
		st->backoff_s = 0;
		st->next_try = 0;
	}
	if (!*target)
		return;
	if (st->bev) {
		/* another client waits in the queue: it is theirs */
		if (st->mgmt_up && st->mgmt_unix && unix_clients(target) >= 2) {
			probe_log(LOG_INFO, "openvpn: another client waits for the management interface %s: releasing it", target);
			ov_mgmt_close(st, false);
			st->next_try = mono() + OV_MGMT_YIELD_S;
			ov_changed(st);
		}
		return;
	}
	if (mono() < st->next_try)
		return;
	if (st->mgmt_unix && unix_clients(target) > 0) {
		st->next_try = mono() + 2; /* in use: look again soon */
		return;
	}
	mgmt_connect(st);
}
