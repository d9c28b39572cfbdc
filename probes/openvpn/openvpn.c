/* The openvpn probe: per tunnel, the OpenVPN client process that runs its
 * Config= (found in /proc), the version of the binary it runs, its state from
 * the management interface, and its log (file or journal) classified by the
 * lib. Sources live in the slot's persistent state and keep watching between
 * runs; a run only snapshots them into the "openvpn" section, and a source
 * that sees a change runs the slot (and, on a state change, the probes that
 * depend on PROBE_EV_OPENVPN) at once.
 *
 * The management interface takes one client at a time, and a GUI that cannot
 * connect breaks. So the daemon connects only where it is free and plainly
 * not a GUI's: always to a configured Management= (the user gave it to us),
 * and to a discovered `--management PATH unix` only when the process has none
 * of the --management-hold/-query-passwords/-client/... options a GUI starts
 * it with. While connected it looks every 2 s at the socket's accept queue
 * (/proc/net/unix): when another client waits there it disconnects at once,
 * and it comes back only once the socket is free again (and not before 60 s).
 * It never sends `hold release`, passwords or signals: it only listens.
 *
 * A process NetworkManager's openvpn plugin started has neither: the plugin
 * holds the management interface and reads the log. Its helper's --bus-name
 * names the plugin on the system bus, whose StateChanged gives the state
 * (see nm.c), and the tun link NetworkManager configured gives the
 * addresses. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ov.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/ovpn_config.h"
#include "vpndoctor/sampler.h"
#include "vpndoctor/version.h"

#define OV_WINDOW_S 600          /* events count over the last 10 minutes (docs/facts.md) */
#define OV_TICK_MS 1000          /* the tick when something must be polled (see tick_delay) */
#define OV_FALLBACK_S 30         /* the tick when inotify and a pidfd watch: a safety net */
#define OV_YIELD_CHECK_S 2       /* another management client waiting for the socket */
#define OV_NOTIFY_MS 100         /* one run for a burst of lines */

/* Text of the process (its log, its management interface) into a fact:
 * control bytes escaped as \xNN, cut to the buffer. */
void ov_clean_cpy(char *dst, size_t size, const char *src, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && src[i] && o + 1 < size; i++) {
		unsigned char c = (unsigned char)src[i];
		if (c < 0x20 || c == 0x7f) {
			if (o + 5 > size)
				break;
			o += (size_t)snprintf(dst + o, size - o, "\\x%02x", c);
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
}

/* ---- change notification ---------------------------------------------------- */

static void join_list(char *buf, size_t size, const char (*v)[64], unsigned n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && off < size; i++) {
		int len = snprintf(buf + off, size - off, "%s%s", i ? " " : "", v[i]);
		off += len > 0 ? (size_t)len : 0;
	}
}

/* A state change goes to the log once: the journal then tells when the
 * tunnel came up, with what, and when it went down and why. */
static void log_state(const struct ov_state *st)
{
	char routes[256] = "", dns[256] = "";

	if (st->have_pushed) {
		join_list(routes, sizeof(routes), st->pushed.routes, st->pushed.n_routes);
		join_list(dns, sizeof(dns), st->pushed.dns, st->pushed.n_dns);
	}
	probe_log(LOG_INFO, "openvpn on %s: %s%s%s%s, pid %d, version '%s', routes '%s', dns '%s', cipher '%s'", st->name,
	         st->state, *st->state_reason ? " (" : "", st->state_reason, *st->state_reason ? ")" : "",
	         (int)st->pid, st->version, routes, dns, st->negotiated);
}

static void on_notify(evutil_socket_t fd, short what, void *arg)
{
	struct ov_state *st = arg;

	probe_slot_trigger(st->slot);
	if (strcmp(st->state, st->notified_state) != 0) {
		SCPY(st->notified_state, st->state);
		log_state(st);
		probe_slot_trigger_events(st->slot, PROBE_EV_OPENVPN);
	}
}

void ov_changed(struct ov_state *st)
{
	struct timeval tv = {0, OV_NOTIFY_MS * 1000};

	if (!evtimer_pending(st->notify, NULL))
		evtimer_add(st->notify, &tv);
}

void ov_set_state(struct ov_state *st, const char *state, const char *reason, int64_t since, const char *src)
{
	if (strcmp(st->state, state) != 0 || (reason && strcmp(st->state_reason, reason) != 0))
		st->state_src = src; /* the source of what changed: a repeat keeps the first */
	if (strcmp(st->state, state) != 0) {
		SCPY(st->state, state);
		st->state_since = since ? since : wall();
		if (strcmp(state, "connected") == 0)
			st->connected_at = st->state_since;
		ov_changed(st);
	}
	if (reason && strcmp(st->state_reason, reason) != 0) {
		SCPY(st->state_reason, reason);
		ov_changed(st);
	}
}

/* The client said it ends: its log ("process exiting"), its management
 * interface (EXITING) or NetworkManager's plugin (stopping). Until its
 * process is gone the state is "exiting", never "exited": a snapshot that
 * says a running client has exited contradicts itself. ov_vanished() makes it
 * "exited" with this reason and source. */
void ov_ending(struct ov_state *st, const char *reason, int64_t since, const char *src)
{
	st->saw_exit = true;
	SCPY(st->exit_reason, reason);
	st->exit_src = src;
	ov_set_state(st, st->running ? "exiting" : "exited", st->exit_reason, since, src);
}

/* ---- events in the window ------------------------------------------------------ */

void ov_count(struct ov_state *st, unsigned kind, int64_t t)
{
	st->ring[st->ring_next] = (struct ov_event){.t = t, .kind = kind};
	st->ring_next = (st->ring_next + 1) % OV_RING;
	if (st->ring_n < OV_RING)
		st->ring_n++;
}

/* Counts over the window; with after > 0 only what came later than that. */
static void window_counts(const struct ov_state *st, unsigned *n, int64_t now, int64_t after)
{
	memset(n, 0, K__MAX * sizeof(*n));
	for (size_t i = 0; i < st->ring_n; i++) {
		const struct ov_event *e = &st->ring[i];
		if (e->t >= now - OV_WINDOW_S && (after <= 0 || e->t > after) && e->kind < K__MAX)
			n[e->kind]++;
	}
}

static cJSON *events_json(const unsigned *n)
{
	cJSON *x = cJSON_CreateObject();

	if (x)
		for (unsigned k = VD_LOG_NONE + 1; k < VD_LOG__MAX; k++)
			if (n[k])
				cJSON_AddNumberToObject(x, vd_log_event_name((enum vd_log_event)k), n[k]);
	return x;
}
/* When the tick must come next: each thing that is polled rather than
 * watched asks for its own period, and a slow tick stays as a safety net
 * (a missed inotify event, a process that escaped its pidfd). Idle, with a
 * watched log and process, that is one wake-up per OV_FALLBACK_S. */
static double tick_delay(struct ov_state *st)
{
	double d = OV_FALLBACK_S, now = mono();
	bool mgmt = st->mgmt_conf || (st->running && st->have_proc && st->proc.mgmt_unix && !st->proc.mgmt_gui);

	if (!st->running)
		d = st->last_scan + OV_RESCAN_S - now;
	else if (st->pidfd < 0)
		d = OV_TICK_MS / 1000.0;
	if (st->src == SRC_FILE && (st->f.wd_file < 0 || st->f.more) && d > OV_TICK_MS / 1000.0)
		d = OV_TICK_MS / 1000.0;
	if (mgmt && st->bev && st->mgmt_up && st->mgmt_unix && d > OV_YIELD_CHECK_S)
		d = OV_YIELD_CHECK_S;
	else if (mgmt && !st->bev && d > st->next_try - now)
		d = st->next_try - now;
	return d < OV_TICK_MS / 1000.0 / 10 ? OV_TICK_MS / 1000.0 / 10 : d;
}

/* Re-arms the tick when it is not pending or is due later than now needed;
 * never postpones a pending one, so frequent calls cannot starve it. */
void ov_tick_arm(struct ov_state *st)
{
	double d, now = mono();
	struct timeval tv;

	ov_pid_watch(st);
	/* on the grid the other timers at rest share (the path probe's
	 * sentinel every 2 s): the yield check costs no wake-up of its own */
	d = vd_tick_align(now, tick_delay(st), VD_TICK_GRID_S);
	if (evtimer_pending(st->tick, NULL) && st->tick_due <= now + d)
		return;
	tv.tv_sec = (time_t)d;
	tv.tv_usec = (suseconds_t)((d - (double)tv.tv_sec) * 1e6);
	if (evtimer_add(st->tick, &tv) == 0)
		st->tick_due = now + d;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ov_state *st = arg;

	(void)fd;
	(void)what;
	if (st->running && !ov_alive(st))
		ov_vanished(st);
	if (!st->running && mono() - st->last_scan >= OV_RESCAN_S)
		ov_rescan(st);
	if (st->src == SRC_FILE) {
		ov_follow_poll(st);
		ov_watch(st);
	}
	ov_mgmt_upkeep(st);
	ov_tick_arm(st);
}

/* ---- the section ----------------------------------------------------------------------- */

static cJSON *pushed_json(const struct vd_pushed *p)
{
	cJSON *o = cJSON_CreateObject(), *routes, *dns;

	if (!o)
		return NULL;
	routes = cJSON_AddArrayToObject(o, VDF_PUSHED_ROUTES);
	dns = cJSON_AddArrayToObject(o, VDF_PUSHED_DNS);
	for (unsigned i = 0; routes && i < p->n_routes; i++)
		cJSON_AddItemToArray(routes, cJSON_CreateString(p->routes[i]));
	for (unsigned i = 0; dns && i < p->n_dns; i++)
		cJSON_AddItemToArray(dns, cJSON_CreateString(p->dns[i]));
	if (*p->domain)
		cJSON_AddStringToObject(o, VDF_PUSHED_DOMAIN, p->domain);
	if (*p->topology)
		cJSON_AddStringToObject(o, VDF_PUSHED_TOPOLOGY, p->topology);
	if (*p->cipher)
		cJSON_AddStringToObject(o, VDF_PUSHED_CIPHER, p->cipher);
	return o;
}

static cJSON *build(struct ov_state *st)
{
	cJSON *o = cJSON_CreateObject(), *x;
	unsigned n[K__MAX];
	int64_t now = wall();
	struct vd_ovpn_version v;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, VDF_SECTION_STATUS, "ok");
	cJSON_AddBoolToObject(o, VDF_OPENVPN_RUNNING, st->running);
	if (st->pid > 0)
		cJSON_AddNumberToObject(o, VDF_OPENVPN_PID, st->pid);
	cJSON_AddBoolToObject(o, VDF_OPENVPN_CRASHED, st->crashed);
	cJSON_AddStringToObject(o, VDF_OPENVPN_STATE, *st->state ? st->state : "absent");
	if (*st->state_reason)
		cJSON_AddStringToObject(o, VDF_OPENVPN_STATE_REASON, st->state_reason);
	if (st->state_src && *st->state)
		cJSON_AddStringToObject(o, VDF_OPENVPN_STATE_SOURCE, st->state_src);
	if (*st->nm_bus)
		cJSON_AddStringToObject(o, VDF_OPENVPN_NM_PLUGIN, st->nm_bus);
	if (st->state_since)
		cJSON_AddNumberToObject(o, VDF_OPENVPN_STATE_SINCE, (double)st->state_since);
	if (*st->version && vd_ovpn_version_parse(st->version, &v) == 0 &&
	    (x = cJSON_AddObjectToObject(o, VDF_OPENVPN_VERSION))) {
		cJSON_AddStringToObject(x, VDF_VERSION_STRING, st->version);
		cJSON_AddNumberToObject(x, VDF_VERSION_MAJOR, v.major);
		cJSON_AddNumberToObject(x, VDF_VERSION_MINOR, v.minor);
		cJSON_AddNumberToObject(x, VDF_VERSION_PATCH, v.patch);
		if (*v.platform)
			cJSON_AddStringToObject(x, VDF_VERSION_PLATFORM, v.platform);
		if (st->version_src)
			cJSON_AddStringToObject(x, VDF_VERSION_SOURCE, st->version_src);
	}
	if (*st->read_as && st->running)
		cJSON_AddStringToObject(o, VDF_OPENVPN_READ_AS, st->read_as);
	if (*st->log_error)
		cJSON_AddStringToObject(o, VDF_OPENVPN_LOG_ERROR, st->log_error);
	if (*st->tun && (x = cJSON_AddObjectToObject(o, VDF_OPENVPN_TUN))) {
		cJSON_AddStringToObject(x, VDF_TUN_NAME, st->tun);
		cJSON_AddBoolToObject(x, VDF_TUN_PRESENT, if_nametoindex(st->tun) != 0);
	}
	{
		const char *local = *st->local_ip ? st->local_ip : st->have_pushed ? st->pushed.ifconfig_local
		                                                                     : st->link_local;
		/* with topology subnet the second ifconfig word is a netmask, not the server */
		const char *server = st->have_pushed && strcmp(st->pushed.topology, "subnet") != 0
		                             ? st->pushed.ifconfig_remote
		                             : st->link_server;
		if (*local && st->running)
			cJSON_AddStringToObject(o, VDF_OPENVPN_LOCAL_IP, local);
		if (*server && st->running)
			cJSON_AddStringToObject(o, VDF_OPENVPN_SERVER_IP, server);
	}
	{
		const char *addr = *st->remote_addr ? st->remote_addr : st->have_proc && st->proc.remote ? st->proc.remote : "";
		unsigned port = *st->remote_addr ? st->remote_port : st->have_proc ? st->proc.remote_port : 0;
		const char *proto = *st->proto ? st->proto : st->have_proc && st->proc.proto ? st->proc.proto : "";
		enum vd_ovpn_proto pr;
		if ((*addr || *proto) && (x = cJSON_AddObjectToObject(o, VDF_OPENVPN_REMOTE))) {
			if (*addr)
				cJSON_AddStringToObject(x, VDF_OVPN_REMOTE_ADDR, addr);
			if (port)
				cJSON_AddNumberToObject(x, VDF_OVPN_REMOTE_PORT, port);
			if (*proto && vd_ovpn_proto_parse(proto, &pr) == 0)
				cJSON_AddStringToObject(x, VDF_OVPN_REMOTE_PROTO, vd_ovpn_proto_name(pr));
		}
	}
	if (st->have_proc && st->proc.cipher)
		cJSON_AddStringToObject(o, VDF_OPENVPN_CONFIGURED_CIPHER, st->proc.cipher);
	if (*st->negotiated)
		cJSON_AddStringToObject(o, VDF_OPENVPN_NEGOTIATED_CIPHER, st->negotiated);
	if (st->have_pushed)
		cJSON_AddItemToObject(o, VDF_OPENVPN_PUSHED, pushed_json(&st->pushed));
	if (st->have_prev)
		cJSON_AddItemToObject(o, VDF_OPENVPN_PREVIOUS_PUSHED, pushed_json(&st->prev_pushed));
	/* What happened since the last connection: configuration and certificate
	 * errors from before it are history once a session came up. */
	window_counts(st, n, now, st->connected_at);
	if (st->connected_at > 0)
		cJSON_AddItemToObject(o, VDF_OPENVPN_EVENTS_SINCE_CONNECTED, events_json(n));
	window_counts(st, n, now, 0);
	cJSON_AddItemToObject(o, VDF_OPENVPN_EVENTS, events_json(n));
	if ((x = cJSON_AddObjectToObject(o, VDF_OPENVPN_HANDSHAKES))) {
		cJSON_AddNumberToObject(x, VDF_HANDSHAKES_STARTED, n[K_HS_STARTED]);
		cJSON_AddNumberToObject(x, VDF_HANDSHAKES_COMPLETED, n[K_HS_COMPLETED]);
		cJSON_AddNumberToObject(x, VDF_HANDSHAKES_DROPPED_BEFORE_PUSH, n[K_HS_DROPPED]);
	}
	cJSON_AddNumberToObject(o, VDF_OPENVPN_RECONNECTS, n[K_RECONNECT]);
	if ((x = cJSON_AddArrayToObject(o, VDF_OPENVPN_ERROR_LINES)))
		for (unsigned i = 0; i < st->n_err; i++)
			cJSON_AddItemToArray(x, cJSON_CreateString(
				st->err_lines[(st->err_next + OV_ERR_LINES - st->n_err + i) % OV_ERR_LINES]));
	return o;
}

/* ---- the probe ------------------------------------------------------------------------ */

static void openvpn_free_state(void *p)
{
	struct ov_state *st = p;

	if (!st)
		return;
	if (st->tick)
		event_free(st->tick);
	st->tick = NULL; /* ov_mgmt_close below must not re-arm it */
	if (st->notify)
		event_free(st->notify);
	ov_mgmt_close(st, false);
	ov_journal_close(st);
	ov_follow_close(st);
	if (st->iev)
		event_free(st->iev);
	if (st->ifd >= 0)
		close(st->ifd);
	if (st->pidev)
		event_free(st->pidev);
	if (st->pidfd >= 0)
		close(st->pidfd);
	if (st->have_proc)
		vd_proc_openvpn_clear(&st->proc);
	ov_nm_forget(st);
	pu_bus_close(&st->bus);
	free(st->conf_real);
	free(st->mgmt_conf);
	free(st);
}

static int state_new(struct probe_run *run, struct ov_state **ret)
{
	const struct probe_tunnel *t = run->tunnel;
	struct ov_state *st = calloc(1, sizeof(*st));
	char real[PATH_MAX];

	if (!st)
		return -ENOMEM;
	st->slot = run->slot;
	st->base = run->base;
	st->f.fd = -1;
	st->f.wd_file = st->f.wd_dir = -1;
	st->ifd = st->pidfd = -1;
	SCPY(st->name, t->name);
	if (t->config) {
		int fd;
		/* as the kernel resolves it for whoever named it */
		if (probe_open(&t->owner, t->config, SIZE_MAX, &fd) == 0) {
			if (vd_fd_path(fd, real, sizeof(real)) == 0)
				st->conf_real = strdup(real);
			close(fd);
		}
		if (!st->conf_real && realpath(t->config, real))
			st->conf_real = strdup(real);
		else if (!st->conf_real)
			st->conf_real = strdup(t->config); /* not there yet: compared as written */
	}
	if (t->management)
		st->mgmt_conf = strdup(t->management);
	st->disc_pid = t->pid;
	st->configured = !t->discovered;
	st->tick = evtimer_new(run->base, on_tick, st);
	st->notify = evtimer_new(run->base, on_notify, st);
	if ((t->config && !st->conf_real) || (t->management && !st->mgmt_conf) || !st->tick || !st->notify) {
		openvpn_free_state(st);
		return -ENOMEM;
	}
	*ret = st;
	return 0;
}

static int openvpn_start(struct probe_run *run)
{
	const struct probe_tunnel *t = run->tunnel;
	struct ov_state *st = *run->state;
	int r;

	if (!t || (!t->config && !t->management && !t->pid && !t->nm_uuid)) {
		PROBE_ERROR(run, N_("no Config= or Management= for this tunnel"));
		probe_run_done(run, PROBE_UNKNOWN, NULL);
		return 0;
	}
	if (!st) {
		r = state_new(run, &st);
		if (r < 0)
			return r;
		*run->state = st;
	}
	/* a NetworkManager connection's tunnel follows the process discovery
	 * tied to it (daemon/discoverer.c): another one, or none (idle) */
	if (t->nm_uuid && !st->conf_real && !st->mgmt_conf && st->disc_pid != t->pid) {
		if (st->running)
			ov_vanished(st);
		st->disc_pid = t->pid;
	}
	/* the timer's run looks again: a process restarted between ticks, or a
	 * second one on the same profile */
	if (!st->running || !ov_alive(st)) {
		if (st->running)
			ov_vanished(st);
		ov_rescan(st);
	}
	if (st->running) {
		ov_version_learn(st); /* the binary may have been upgraded under it */
		ov_nm_ask(st);        /* a safety net under StateChanged */
	}
	if (*st->nm_bus && st->running) {
		ov_nm_link(st);
		ov_nm_infer(st);
	}
	ov_tick_arm(st);
	if (!st->running && !st->ever_seen) {
		if (t->config || t->management)
			PROBE_ERROR(run, N_("no openvpn process runs {file}"),
			            VD_TEXT("file", t->config ? t->config : t->management));
		else
			PROBE_ERROR(run, N_("no openvpn process runs this tunnel"));
	}
	probe_run_done(run, PROBE_OK, build(st));
	return 0;
}

const struct probe probe_openvpn = {
	.name = "openvpn",
	.section = VDF_TUNNEL_OPENVPN,
	.config_section = "OpenVPN",
	.per_tunnel = true,
	.interval_s = 30,
	.events = PROBE_EV_RELOAD,
	.start = openvpn_start,
	.cancel = NULL, /* start() always finishes the run */
	.free_state = openvpn_free_state,
};
