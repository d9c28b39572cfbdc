/* Helpers the probes share (probe_util.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h> /* before linux/errqueue.h, which needs struct timespec */
#include <linux/errqueue.h>
#include <linux/filter.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/dns.h>
#include <event2/event.h>

#include "probe.h"
#include "probe_util.h"
#include "vpndoctor/cidr.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/icmp.h"
#include "vpndoctor/ovpn_argv.h"
#include "vpndoctor/principal.h"
#include "vpndoctor/proc_inspect.h"
#include "vpndoctor/proc_openvpn.h"

/* ---- /proc ---- */

const struct vd_proc_io pu_proc_io = {.same_netns = probe_same_netns, .cwd = probe_cwd, .open = probe_open};

int pu_cmdline_profile(const struct probe_tunnel *t, char **text, size_t *len, char *name, size_t name_size,
                       char *cwd, size_t cwd_size)
{
	char path[32], *cmd;
	struct vd_principal pr;
	size_t off = 0;
	ssize_t n;
	int dfd, fd, r;

	if (!t || t->pid <= 0 || t->owner.pid != t->pid)
		return -ENOENT;
	snprintf(path, sizeof(path), "/proc/%d", (int)t->pid);
	dfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	/* the directory is the process's for as long as it is open: its start
	 * time is the one discovery saw, or another process has the pid now */
	r = vd_principal_of_procfd(dfd, t->owner.start, &pr, NULL);
	fd = r < 0 ? -1 : openat(dfd, "cmdline", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (r == 0 && fd < 0)
		r = errno == ENOENT ? -ESRCH : -errno;
	close(dfd);
	if (r < 0)
		return r;
	cmd = malloc(VD_PROC_CMDLINE_MAX + 1);
	if (!cmd) {
		close(fd);
		return -ENOMEM;
	}
	while (off <= VD_PROC_CMDLINE_MAX && (n = read(fd, cmd + off, VD_PROC_CMDLINE_MAX + 1 - off)) > 0)
		off += (size_t)n;
	close(fd);
	r = off > VD_PROC_CMDLINE_MAX ? -E2BIG : off == 0 ? -ESRCH /* a zombie's */ : 0;
	if (r == 0)
		r = vd_ovpn_argv_profile(cmd, off, text, len);
	free(cmd);
	if (r < 0)
		return r;
	snprintf(name, name_size, "/proc/%d/cmdline", (int)t->pid);
	if (probe_cwd(&t->owner, cwd, cwd_size) < 0 && cwd_size)
		cwd[0] = '\0';
	return 0;
}

/* ---- sections ---- */

const char *pu_jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *pu_jstr_set(const cJSON *o, const char *k)
{
	const char *s = pu_jstr(o, k);
	return s && s[0] ? s : NULL;
}

const cJSON *pu_jobj(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsObject(v) ? v : NULL;
}

bool pu_section_ok(const cJSON *s)
{
	const char *st = pu_jstr(s, VDF_SECTION_STATUS);
	return st && strcmp(st, "ok") == 0;
}

const char *pu_tunnel_down(const cJSON *ovpn)
{
	const char *state;

	if (!pu_section_ok(ovpn))
		return NULL;
	state = pu_jstr(ovpn, VDF_OPENVPN_STATE);
	return state && strcmp(state, "connected") != 0 ? state : NULL;
}

void pu_error_tunnel_down(struct probe_run *run, const char *state)
{
	/* TRANSLATORS: a tunnel's state in "the tunnel is {state}" */
	static const char *const words[] = {N_("connecting"), N_("reconnecting"), N_("exited"), N_("absent")};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(state, words[i]) == 0) {
			PROBE_ERROR(run, N_("the tunnel is {state}"), VD_PHRASE("state", words[i]));
			return;
		}
	PROBE_ERROR(run, N_("the tunnel is {state}"), VD_TEXT("state", state));
}

const char *pu_tun_dev(const cJSON *ovpn, const cJSON *routes)
{
	const cJSON *tun = cJSON_GetObjectItemCaseSensitive(ovpn, VDF_OPENVPN_TUN);
	const char *dev = NULL;

	if (pu_section_ok(ovpn) && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(tun, VDF_TUN_PRESENT)))
		dev = pu_jstr(tun, VDF_TUN_NAME);
	if (pu_section_ok(routes) && pu_jstr_set(routes, VDF_ROUTES_TUN_DEV))
		dev = pu_jstr(routes, VDF_ROUTES_TUN_DEV);
	return dev;
}

/* In net30 (OpenVPN's default topology) the ifconfig peer that the openvpn
 * section calls server_ip (10.8.0.5) is a virtual address nobody answers; the
 * server's own tun address is what --server pushes as a host route ("route
 * 10.8.0.1"): a pushed IPv4 /32 inside the client pool (ClientCIDR=, else the
 * /24 around our tunnel address, the --server default). Otherwise (p2p)
 * server_ip is the server's address. */
const char *pu_server_end(const cJSON *ovpn, const struct probe_tunnel *t)
{
	const cJSON *pushed = cJSON_GetObjectItemCaseSensitive(ovpn, VDF_OPENVPN_PUSHED), *it;
	const char *local = pu_jstr(ovpn, VDF_OPENVPN_LOCAL_IP);
	struct vd_prefix pool, a;

	if (!t->client_cidr || vd_prefix_parse(t->client_cidr, false, &pool) < 0) {
		if (!local || vd_addr_parse(local, &pool) < 0 || pool.family != AF_INET)
			return pu_jstr(ovpn, VDF_OPENVPN_SERVER_IP);
		pool.len = 24;
		pool.addr[3] = 0;
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(pushed, VDF_PUSHED_ROUTES)) {
		if (cJSON_IsString(it) && vd_prefix_parse(it->valuestring, false, &a) == 0 && a.family == AF_INET &&
		    a.len == 32 && vd_prefix_contains(&pool, &a))
			return it->valuestring;
	}
	return pu_jstr(ovpn, VDF_OPENVPN_SERVER_IP);
}

/* ---- clocks ---- */

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int64_t pu_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

int64_t pu_realtime_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

double pu_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

double pu_realtime_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

void pu_ms_tv(double ms, struct timeval *tv)
{
	if (ms < 0)
		ms = 0;
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)((ms - (double)tv->tv_sec * 1000) * 1000);
}

/* ---- ICMP sockets ---- */

bool pu_same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
		              &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr, 16) == 0;
	return a->ss_family == AF_INET && ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
	                                      ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
}

void pu_sockaddr_from_prefix(const struct vd_prefix *p, struct sockaddr_storage *sa, socklen_t *len)
{
	memset(sa, 0, sizeof(*sa));
	if (p->family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)sa;
		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, p->addr, 16);
		*len = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)(void *)sa;
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, p->addr, 4);
		*len = sizeof(*in);
	}
}

int pu_icmp_open(bool v6, const char *dev, int *fd, bool *dgram, int *bind_err)
{
	int family = v6 ? AF_INET6 : AF_INET, proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	int s = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);

	*bind_err = 0;
	*dgram = s >= 0;
	if (s < 0 && (s = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto)) < 0)
		return -errno;
	*fd = s;
	if (dev && *dev && setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev) + 1) < 0) {
		if (errno == ENODEV)
			return -ENODEV;
		*bind_err = errno;
	}
	return 0;
}

/* On a raw socket every echo reply of the namespace is copied to us (another
 * ping's too): a socket filter keeps replies with our id and the errors the
 * type filter lets through, as iputils ping does, so others cost no wake-up. */
static int attach_id_filter(int fd, bool v6, uint16_t id)
{
	struct sock_filter v4[] = {
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),            /* x = IP header length */
		BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0),             /* ICMP type */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ICMP_ECHOREPLY, 0, 3),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 4),             /* its id */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, id, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
	};
	struct sock_filter v6f[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ICMP6_ECHO_REPLY, 0, 3),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, id, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
	};
	struct sock_fprog prog = {
		.len = v6 ? (unsigned short)(sizeof(v6f) / sizeof(v6f[0])) : (unsigned short)(sizeof(v4) / sizeof(v4[0])),
		.filter = v6 ? v6f : v4,
	};

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ? -errno : 0;
}

int pu_icmp_raw_filter(int fd, bool v6)
{
	int r;

	/* every ICMP message of the host reaches a raw socket: let the kernel
	 * drop what cannot be ours */
	if (v6) {
		struct icmp6_filter f;
		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
		ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
		ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
		r = setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	} else {
		/* bits set are blocked */
		struct icmp_filter f = {~((1u << ICMP_ECHOREPLY) | (1u << ICMP_DEST_UNREACH) | (1u << ICMP_TIME_EXCEEDED))};
		r = setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f));
	}
	return r < 0 ? -errno : 0;
}

int pu_icmp_setup(int fd, bool dgram, bool v6, uint16_t id, bool bpf_id, struct vd_icmp_match *m)
{
	int one = 1, r;

	m->v6 = v6;
	if (dgram) {
		struct sockaddr_storage ss = {.ss_family = (sa_family_t)(v6 ? AF_INET6 : AF_INET)};
		socklen_t len = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

		/* errors quoting our echoes come on the error queue */
		if (setsockopt(fd, v6 ? SOL_IPV6 : SOL_IP, v6 ? IPV6_RECVERR : IP_RECVERR, &one, sizeof(one)) < 0)
			return -errno;
		/* bound, the socket has its id (the "port") before the first send */
		if (bind(fd, (struct sockaddr *)&ss, len) < 0 || getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
			return -errno;
		m->check_id = true;
		m->id = ntohs(v6 ? ((struct sockaddr_in6 *)(void *)&ss)->sin6_port
		                 : ((struct sockaddr_in *)(void *)&ss)->sin_port);
		return 0;
	}
	if ((r = pu_icmp_raw_filter(fd, v6)) < 0)
		return r;
	m->check_id = true;
	m->id = id;
	if (bpf_id)
		(void)attach_id_filter(fd, v6, id); /* an optimisation: matching stays ours */
	return 0;
}

bool pu_icmp_errqueue_ee(const struct cmsghdr *cm, struct sock_extended_err *ee)
{
	if (!((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
	      (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_RECVERR)) ||
	    cm->cmsg_len < CMSG_LEN(sizeof(*ee)))
		return false;
	memcpy(ee, CMSG_DATA(cm), sizeof(*ee));
	return ee->ee_origin == SO_EE_ORIGIN_ICMP || ee->ee_origin == SO_EE_ORIGIN_ICMP6;
}

/* ---- resolvers ---------------------------------------------------------------- */

struct evdns_base *pu_resolver_new(struct event_base *base)
{
	struct evdns_base *dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE);

	if (!dns)
		return NULL;
	evdns_base_set_option(dns, "timeout:", "2");
	evdns_base_set_option(dns, "attempts:", "2");
	return dns;
}

static void on_resolver_free(evutil_socket_t fd, short what, void *arg)
{
	evdns_base_free(arg, 0);
}

/* The deferred callbacks of a cancel are made active at the start of the
 * loop's next turn, before that turn's timers, so even a timer due at once
 * would run after them; 50 ms is margin on top (and all main.c's drain()
 * waits for at exit). Whether a lookup was cancelled is not tracked: a flag
 * per owner is one more thing to forget, and the delay is harmless when
 * none was. */
void pu_resolver_free(struct event_base *base, struct evdns_base *dns)
{
	struct timeval tv = {0, 50 * 1000};

	if (!dns)
		return;
	if (event_base_once(base, -1, EV_TIMEOUT, on_resolver_free, dns, &tv) < 0)
		evdns_base_clear_nameservers_and_suspend(dns); /* leak rather than use after free */
}
