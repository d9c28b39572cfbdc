/* Small helpers the probes share: reading other probes' sections, the tunnel's
 * server end, clocks, and the ICMP socket of the echo probes (ping, mtu, path). */
#ifndef VPNDOCTOR_PROBES_PROBE_UTIL_H
#define VPNDOCTOR_PROBES_PROBE_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>

struct probe_run;

struct cJSON;
struct cmsghdr;
struct event_base;
struct evdns_base;
struct probe_tunnel;
struct sock_extended_err;
struct vd_icmp_match;
struct vd_prefix;
struct vd_proc_io;

/* o's string member k, or NULL (o may be NULL). */
const char *pu_jstr(const struct cJSON *o, const char *k);
/* The same, but NULL for "" too. */
const char *pu_jstr_set(const struct cJSON *o, const char *k);
/* o's object member k, or NULL. */
const struct cJSON *pu_jobj(const struct cJSON *o, const char *k);
/* A section whose "status" is "ok" (s may be NULL). */
bool pu_section_ok(const struct cJSON *s);

/* How probes look at a process in /proc (vpndoctor/proc_inspect.h): through
 * the host, as its principal (probe_proc, probe_cwd, probe_open). */
extern const struct vd_proc_io pu_proc_io;

/* The openvpn section's state when it is ok and says the tunnel is not
 * "connected" (the probes inside the tunnel then have nothing to measure),
 * else NULL. */
const char *pu_tunnel_down(const struct cJSON *ovpn);
/* run's error "the tunnel is STATE" for pu_tunnel_down's state, as a message
 * whose state is a phrase (translated) when it is one of the known states. */
void pu_error_tunnel_down(struct probe_run *run, const char *state);
/* The tun link's name: the routes section's tun_dev, else the openvpn
 * section's tun.name while tun.present (each only from an ok section); NULL. */
const char *pu_tun_dev(const struct cJSON *ovpn, const struct cJSON *routes);

/* The tunnel's server end to send echoes to, from the openvpn section: a
 * pushed IPv4 host route inside the client pool (net30), else server_ip; NULL
 * when neither is known. Borrowed from ovpn. */
const char *pu_server_end(const struct cJSON *ovpn, const struct probe_tunnel *t);

int64_t pu_mono_ns(void);     /* CLOCK_MONOTONIC */
int64_t pu_realtime_ns(void); /* CLOCK_REALTIME, the clock of SO_TIMESTAMPNS */
double pu_mono_ms(void);
double pu_realtime_ms(void);
/* ms (negative: 0) as a timeval for evtimer_add. */
void pu_ms_tv(double ms, struct timeval *tv);

/* The same host: family and address alike (the port is not looked at). */
bool pu_same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
/* A full-length prefix as a socket address (port 0); *len gets its size. */
void pu_sockaddr_from_prefix(const struct vd_prefix *p, struct sockaddr_storage *sa, socklen_t *len);

/* An ICMP (v6: ICMPv6) socket, non-blocking and close-on-exec: the datagram
 * ("ping") socket when allowed, else raw; *dgram says which. *fd gets it as
 * soon as it exists (-1 before), so the caller closes it on any return. With
 * dev set and non-empty it is bound to that link: -ENODEV when there is no
 * such link; another failure is not fatal (a ping socket without
 * CAP_NET_RAW may not bind) and its errno goes to *bind_err (else 0).
 * Returns 0 or -errno. */
int pu_icmp_open(bool v6, const char *dev, int *fd, bool *dgram, int *bind_err);
/* Makes fd's answers ours to match with m (sets m->v6, check_id, id): a
 * datagram socket gets its errors on the error queue and is bound, so its
 * kernel-chosen id is known before the first send; a raw socket gets the ICMP
 * type filter (pu_icmp_raw_filter) and id, and with bpf_id also a socket
 * filter that drops other programs' echo replies. Returns 0 or -errno. */
int pu_icmp_setup(int fd, bool dgram, bool v6, uint16_t id, bool bpf_id, struct vd_icmp_match *m);
/* A raw ICMP socket's type filter: echo reply, unreachable, time exceeded
 * (and ICMPv6 packet too big) pass. Returns 0 or -errno. */
int pu_icmp_raw_filter(int fd, bool v6);
/* A control message of MSG_ERRQUEUE that carries an ICMP error: copied to *ee. */
bool pu_icmp_errqueue_ee(const struct cmsghdr *cm, struct sock_extended_err *ee);

/* A resolver on the loop (libevent's evdns, from resolv.conf) bounded to 2
 * tries of 2 s instead of libevent's 3 x 5 s; NULL when there is none. */
struct evdns_base *pu_resolver_new(struct event_base *base);
/* Frees it from the loop, 50 ms from now, never at once: libevent finishes a
 * cancelled getaddrinfo in deferred callbacks that still read the
 * evdns_base, so freeing it right after evdns_getaddrinfo_cancel() is a use
 * after free (issue 16: a reload while lookups ran). Every evdns_base of the
 * probes goes through here. dns may be NULL. */
void pu_resolver_free(struct event_base *base, struct evdns_base *dns);

/* The profile of a tunnel with no Config= whose process the daemon found
 * (NetworkManager's openvpn plugin starts openvpn with its options on the
 * command line, no file): the command line as a config file's text
 * (vd_ovpn_argv_profile of vpndoctor/ovpn_argv.h), the name that stands for
 * it ("/proc/PID/cmdline") and the process's working directory, where its
 * relative paths resolve (cwd[0] 0: unknown). Read only while t->owner is
 * still that process (its start time). 0 and a malloc'ed *text; -ENOENT (no
 * such process named: t->pid 0), -ESRCH (gone), -errno. */
int pu_cmdline_profile(const struct probe_tunnel *t, char **text, size_t *len, char *name, size_t name_size,
                       char *cwd, size_t cwd_size);

#endif
