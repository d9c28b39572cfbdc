/* The control socket: Varlink over AF_UNIX on the daemon's one event_base.
 *
 * Every resource a client controls is bounded (control_limits): one request
 * at most max_message bytes (the decoder never buffers more), connections in
 * all and per uid (refused by closing at accept; the last CONTROL_ROOT_SLOTS
 * of them are root's, and root is not held to the per-uid limit, so members
 * of the group holding subscriptions cannot lock the administrator out),
 * idle time (no complete request for idle_timeout_s closes the connection,
 * except while a Check, a Subscribe or a paged reply of that connection is
 * active; and output that the client does not read for as long drops it),
 * and queued output: a client is dropped when a reply comes while more than
 * max_output bytes of earlier ones wait unread (one reply may be larger: the
 * GetStatus of a thousand tunnels is), and a subscriber that falls behind
 * first has its "updated" events coalesced (the latest per finding is kept)
 * and is dropped past CONTROL_SUB_MAX. The loop never blocks.
 *
 * Memory: a reply or event that goes to many connections is encoded once
 * and queued by reference (struct shared), so a subscriber that does not
 * read costs the buffer's bookkeeping, not a copy of every event; and once a
 * burst of such clients is gone the heap is trimmed (malloc_trim).
 *
 * What a client can make the daemon log (a refused connection, a dropped or
 * misbehaving client) is rate-limited. 
 *
 * Calls on one connection are answered in order: a Check in progress or an
 * active Subscribe holds the calls after it, unread, until it ends.
 *
 * Access: root, the daemon's own uid and members of group `vpndoctor` (peer
 * gid or supplementary groups through SO_PEERGROUPS: the peer's real groups,
 * no NSS lookup in the loop) may call everything. Anyone else who can open
 * the socket may call org.varlink.service (GetInfo, GetInterfaceDescription:
 * static text that says nothing about this machine) and gets
 * org.varlink.service.PermissionDenied for every io.vpndoctor method.
 *
 * A malformed message (not JSON, not an object, a bad call envelope, over
 * the size limit) gets org.varlink.service.InvalidParameter naming the part
 * ("message", "method", "parameters", "more", "oneway", "upgrade") and the
 * connection is closed once that reply is written. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "vpndoctor/cause.h"
#include "vpndoctor/rules.h"
#include "vpndoctor/varlink.h"

#include "config.h"
#include "control.h"
#include "daemon.h"
#include "history.h"
#include "interface.h"
#include "log.h"
#include "model.h"
#include "recording.h"
#include "timeline.h"
#include "tlfile.h"

#ifndef VD_URL
#define VD_URL ""
#endif

#define CONTROL_GROUP       "vpndoctor"
#define CONTROL_CHUNK       16384
#define CONTROL_MAX_PROBES  64
#define CONTROL_MAX_LIMIT   1000000
/* A page of a reply called with "more": large enough that a page costs far
 * more than its framing, small enough that several fit under max_output. */
#define CONTROL_PAGE        (256 * 1024)
/* Connection slots only root (and the daemon's own uid) may take. */
#define CONTROL_ROOT_SLOTS  8
/* A subscriber's events wait in its own queue (a pointer each) and are
 * copied to the socket's buffer only while that holds less than this: an
 * evbuffer reference costs a 1 KiB chain, about what an event does. */
#define CONTROL_SUB_LOW     (16 * 1024)
/* A subscriber with more than this unread has its "updated" events held
 * (the latest per finding) until it catches up... */
#define CONTROL_SUB_SOFT    (64 * 1024)
/* ...and with more than this, or more held than this many, it is dropped. */
#define CONTROL_SUB_MAX     (256 * 1024)
#define CONTROL_SUB_HELD    1024
/* Freed output of at least this much schedules a malloc_trim. */
#define CONTROL_TRIM_BYTES  (256 * 1024)

static const char varlink_service_interface[] =
	"# The Varlink Service Interface is provided by every varlink service. It\n"
	"# describes the service and the interfaces it implements.\n"
	"interface org.varlink.service\n"
	"\n"
	"# Get a list of all the interfaces a service provides and information\n"
	"# about the implementation.\n"
	"method GetInfo() -> (\n"
	"  vendor: string,\n"
	"  product: string,\n"
	"  version: string,\n"
	"  url: string,\n"
	"  interfaces: []string\n"
	")\n"
	"\n"
	"# Get the description of an interface that is implemented by this service.\n"
	"method GetInterfaceDescription(interface: string) -> (description: string)\n"
	"\n"
	"# The requested interface was not found.\n"
	"error InterfaceNotFound (interface: string)\n"
	"\n"
	"# The requested method was not found\n"
	"error MethodNotFound (method: string)\n"
	"\n"
	"# The interface defines the requested method, but the service does not\n"
	"# implement it.\n"
	"error MethodNotImplemented (method: string)\n"
	"\n"
	"# One of the passed parameters is invalid.\n"
	"error InvalidParameter (parameter: string)\n"
	"\n"
	"# Client is denied access\n"
	"error PermissionDenied ()\n"
	"\n"
	"# Method is expected to be called with 'more' set to true, but wasn't\n"
	"error ExpectedMore ()\n";

struct conn;

/* An encoded message shared by every connection it is queued on
 * (evbuffer_add_reference): the GetStatus reply, rendered once per model
 * change or second, and each subscription event, encoded once for all. */
struct shared {
	char *msg;
	size_t len;
	unsigned refs;   /* output buffers holding it, +1 while it is a cache's */
	uint64_t gen;    /* status: the model generation and second it shows */
	int64_t now;
	uint64_t serial; /* event: the model's serial */
};

/* A subscriber's "updated" event held back while it is behind: the latest
 * one per finding (cause and tunnel). */
struct held {
	char *key;
	struct shared *m;
};

struct control {
	struct vd_daemon *d;
	struct event_base *base;
	struct evconnlistener *listener;
	struct control_limits lim;
	char *path;       /* set when this module bound it: unlinked at free */
	gid_t group;
	bool have_group;
	LIST_HEAD(, conn) conns;
	size_t n_conns;
	struct shared *status;
	struct shared *event;  /* the last subscription event encoded */
	struct event *trim;    /* malloc_trim once a burst of output is freed */
	struct event *resume;  /* the listener again, after EMFILE */
	struct log_ratelimit rl_refused, rl_dropped, rl_bad, rl_accept;
};

/* A reply that goes out in pages as the client reads them (GetHistory,
 * GetFacts): step() queues the next page, or does a bounded piece of the work
 * towards it, from the loop, whenever the connection's output has drained.
 * Called without "more", the whole answer must fit one reply of max_output
 * bytes; when it does not, the call gets ExpectedMore. */
enum { STREAM_AGAIN, STREAM_DONE };
struct stream {
	int (*step)(struct conn *k);
	void (*free)(struct stream *s);
	bool more;
	size_t budget;                /* bytes of one reply: a page, or max_output */
	union {
		struct {
			struct history_cursor *cur;
			cJSON *page;
			size_t bytes;
		} hist;
		struct {
			struct timeline_query *q;
			cJSON *page;
			size_t bytes;
			uint32_t res;
		} tl;
		struct {
			struct recording *r;
			cJSON *page;
			size_t bytes;
		} rec;
		struct {
			size_t next, end;     /* tunnel indexes still to send */
			uint64_t tunnels_gen;
			bool head_sent;
		} facts;
		struct {
			size_t next;          /* the first tunnel of the next page */
			size_t per_page;      /* tunnels a page, adapted to CONTROL_PAGE */
			uint64_t tunnels_gen;
		} status;
	} u;
};

struct conn {
	LIST_ENTRY(conn) link;
	struct control *c;
	struct bufferevent *bev;
	struct vd_varlink_decoder *dec;
	struct event *idle;
	struct event *work; /* deferred: resume reading after a Check, or free */
	uid_t uid;
	gid_t gid;
	pid_t pid;
	bool privileged;

	struct daemon_check *check; /* in progress: later calls wait */
	bool checking;              /* between daemon_check_start and done */
	bool check_more, check_oneway;
	cJSON *check_call;          /* keeps the probe names alive */

	struct daemon_sub *sub;     /* active Subscribe: later calls wait */
	struct held *held;          /* a subscriber's coalesced updates */
	size_t n_held;
	struct shared **q;          /* a subscriber's events not yet in the buffer */
	size_t q_head, q_len, q_cap;
	size_t q_bytes;
	struct recording *rec;      /* a Record running: later calls wait */
	struct stream *stream;      /* a paged reply going out: later calls wait */
	bool mute;                  /* handling a oneway call: no reply goes out */
	bool eof;                   /* the peer shut down its side */
	bool closing;               /* close once the output is written */
	bool dead;                  /* freed from the loop, never from a callback */
};

void control_limits_default(struct control_limits *l)
{
	l->max_message = VD_VARLINK_MAX_MESSAGE_DEFAULT;
	l->max_connections = 256;
	l->max_per_uid = 32; /* root and the daemon's own uid excepted */
	l->idle_timeout_s = 60;
	l->max_output = 1024 * 1024;
}

size_t control_root_slots(const struct control_limits *l)
{
	return l->max_connections / 4 < CONTROL_ROOT_SLOTS ? l->max_connections / 4 : CONTROL_ROOT_SLOTS;
}

/* --- connection life ------------------------------------------------------ */

static void shared_unref(struct shared *m)
{
	if (m && --m->refs == 0) {
		free(m->msg);
		free(m);
	}
}

static void shared_cleanup(const void *data, size_t len, void *extra)
{
	shared_unref(extra);
}

static void q_clear(struct conn *k)
{
	for (size_t i = 0; i < k->q_len; i++)
		shared_unref(k->q[(k->q_head + i) % k->q_cap]);
	free(k->q);
	k->q = NULL;
	k->q_head = k->q_len = k->q_cap = k->q_bytes = 0;
}

static void held_clear(struct conn *k)
{
	for (size_t i = 0; i < k->n_held; i++) {
		free(k->held[i].key);
		shared_unref(k->held[i].m);
	}
	free(k->held);
	k->held = NULL;
	k->n_held = 0;
}

/* Heap freed by a burst of clients (500 subscribers that never read held
 * 531 MB, and 318 MB of it stayed with the process after they were gone):
 * hand it back to the kernel once, a second after the burst. */
static void control_trim_later(struct control *c)
{
	struct timeval tv = {1, 0};

	if (c->trim && !evtimer_pending(c->trim, NULL))
		evtimer_add(c->trim, &tv);
}

static void stream_free(struct stream *s)
{
	if (!s)
		return;
	if (s->free)
		s->free(s);
	free(s);
}

static void conn_free(struct conn *k)
{
	if (k->bev && evbuffer_get_length(bufferevent_get_output(k->bev)) >= CONTROL_TRIM_BYTES)
		control_trim_later(k->c);
	if (k->q_bytes >= CONTROL_TRIM_BYTES)
		control_trim_later(k->c);
	held_clear(k);
	q_clear(k);
	stream_free(k->stream);
	recording_free(k->rec);
	if (k->check)
		daemon_check_cancel(k->check);
	if (k->sub)
		daemon_unsubscribe(k->sub);
	cJSON_Delete(k->check_call);
	LIST_REMOVE(k, link);
	k->c->n_conns--;
	if (k->idle)
		event_free(k->idle);
	if (k->work)
		event_free(k->work);
	if (k->bev)
		bufferevent_free(k->bev);
	vd_varlink_decoder_free(k->dec);
	free(k);
}

/* Callbacks of the daemon (progress, done, events) may want a connection
 * gone; freeing it there would cancel a check from inside its own callback,
 * so the free always happens on the next loop turn. */
static void conn_drop(struct conn *k)
{
	if (k->dead)
		return;
	k->dead = true;
	bufferevent_disable(k->bev, EV_READ | EV_WRITE);
	event_del(k->idle);
	event_active(k->work, EV_TIMEOUT, 1);
}

static void conn_idle_arm(struct conn *k)
{
	struct timeval tv = {.tv_sec = k->c->lim.idle_timeout_s};

	if (k->dead || k->sub || k->check || k->stream || k->rec || k->c->lim.idle_timeout_s == 0)
		event_del(k->idle);
	else
		event_add(k->idle, &tv);
}

/* A client that does not read: dropped, with a line the rate limit bounds. */
static void conn_laggard(struct conn *k, const char *what, size_t unread)
{
	log_rl(&k->c->rl_dropped, LOG_INFO, "control: dropping client pid %ld uid %u: %zu bytes of %s unread",
	       (long)k->pid, (unsigned)k->uid, unread, what);
	control_trim_later(k->c);
	conn_drop(k);
}

/* Whether another reply may be queued: not while more than max_output of
 * the earlier ones wait (the client is dropped then). One reply may be
 * larger than max_output on its own. */
static bool conn_room(struct conn *k)
{
	size_t unread = evbuffer_get_length(bufferevent_get_output(k->bev));

	if (unread <= k->c->lim.max_output)
		return true;
	conn_laggard(k, "replies", unread);
	return false;
}

/* Queues one encoded message (taking it). Returns false when the client was
 * dropped. */
static bool conn_send(struct conn *k, char *msg, size_t len)
{
	if (k->dead || k->mute || !conn_room(k)) {
		free(msg);
		return !k->dead;
	}
	if (evbuffer_add(bufferevent_get_output(k->bev), msg, len) < 0) {
		free(msg);
		conn_drop(k);
		return false;
	}
	free(msg);
	return true;
}

/* Queues a reference to a shared message. */
static bool conn_send_shared(struct conn *k, struct shared *m)
{
	m->refs++;
	if (evbuffer_add_reference(bufferevent_get_output(k->bev), m->msg, m->len, shared_cleanup, m) < 0) {
		m->refs--;
		conn_drop(k);
		return false;
	}
	return true;
}

static void conn_reply(struct conn *k, const cJSON *params, bool continues)
{
	char *m;
	size_t len;

	if (vd_varlink_encode_reply(params, continues, &m, &len) < 0) {
		conn_drop(k);
		return;
	}
	conn_send(k, m, len);
}

static void conn_error(struct conn *k, const char *error, const char *key, const char *value)
{
	char *m;
	size_t len;
	int r;

	if (key)
		r = vd_varlink_encode_error_str(error, key, value, &m, &len);
	else
		r = vd_varlink_encode_error(error, NULL, &m, &len);
	if (r < 0) {
		conn_drop(k);
		return;
	}
	conn_send(k, m, len);
}

/* Misbehaviour: tell the client why, then close once that is written. */
static void conn_protocol_error(struct conn *k, const char *what)
{
	log_rl(&k->c->rl_bad, LOG_DEBUG, "control: closing client pid %ld uid %u: bad %s", (long)k->pid,
	       (unsigned)k->uid, what);
	conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", what);
	k->closing = true;
	if (!k->dead && evbuffer_get_length(bufferevent_get_output(k->bev)) == 0)
		conn_drop(k);
}

/* --- methods -------------------------------------------------------------- */

/* Unknown parameter names are errors, as a typo would otherwise be silently
 * ignored; returns the first unknown name or NULL. */
static const char *unknown_param(const cJSON *params, const char *const *known)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, params) {
		const char *const *n;

		for (n = known; *n; n++)
			if (strcmp(it->string, *n) == 0)
				break;
		if (!*n)
			return it->string;
	}
	return NULL;
}

static void method_get_info(struct conn *k)
{
	cJSON *p = cJSON_CreateObject(), *ifs;

	if (!p || !cJSON_AddStringToObject(p, "vendor", "vpndoctor") ||
	    !cJSON_AddStringToObject(p, "product", "vpndoctord") ||
	    !cJSON_AddStringToObject(p, "version", VD_VERSION) ||
	    !cJSON_AddStringToObject(p, "url", VD_URL) ||
	    !(ifs = cJSON_AddArrayToObject(p, "interfaces")) ||
	    !cJSON_AddItemToArray(ifs, cJSON_CreateString("org.varlink.service")) ||
	    !cJSON_AddItemToArray(ifs, cJSON_CreateString("io.vpndoctor"))) {
		cJSON_Delete(p);
		conn_drop(k);
		return;
	}
	conn_reply(k, p, false);
	cJSON_Delete(p);
}

static void method_get_interface_description(struct conn *k, const cJSON *params)
{
	const char *name, *text;
	cJSON *p;

	if (vd_varlink_param_string(params, "interface", &name) < 0) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", "interface");
		return;
	}
	if (strcmp(name, "io.vpndoctor") == 0)
		text = vd_varlink_interface;
	else if (strcmp(name, "org.varlink.service") == 0)
		text = varlink_service_interface;
	else {
		conn_error(k, VD_VARLINK_ERROR_INTERFACE_NOT_FOUND, "interface", name);
		return;
	}
	p = cJSON_CreateObject();
	if (!p || !cJSON_AddStringToObject(p, "description", text)) {
		cJSON_Delete(p);
		conn_drop(k);
		return;
	}
	conn_reply(k, p, false);
	cJSON_Delete(p);
}

/* The current encoded status: a change of the model, or of the second the
 * age_s fields count from, renders it again. */
static struct shared *status_get(struct control *c)
{
	uint64_t gen = model_generation(c->d);
	int64_t now = model_now(c->d);
	struct shared *sc;
	cJSON *p;

	if (c->status && c->status->gen == gen && c->status->now == now)
		return c->status;
	p = daemon_status(c->d);
	sc = calloc(1, sizeof(*sc));
	if (!p || !sc || vd_varlink_encode_reply(p, false, &sc->msg, &sc->len) < 0) {
		cJSON_Delete(p);
		free(sc);
		return NULL;
	}
	cJSON_Delete(p);
	sc->refs = 1;
	sc->gen = gen;
	sc->now = now;
	shared_unref(c->status);
	c->status = sc;
	return sc;
}

static void stream_start(struct conn *k, struct stream *s, bool more);

/* The status in pages of whole tunnels (GetStatus or Check with "more"):
 * each page its tunnels' entries, findings and probes, the host's probes
 * in the last; as many tunnels a page as make about CONTROL_PAGE. */
static int status_step(struct conn *k)
{
	struct stream *s = k->stream;
	struct vd_daemon *d = k->c->d;
	size_t n = daemon_n_tunnels(d), to;
	char *m;
	size_t len;
	bool last;
	cJSON *p;

	if (daemon_tunnels_gen(d) != s->u.status.tunnels_gen) {
		conn_error(k, "io.vpndoctor.InternalError", "reason",
		           "the tunnels changed while the status was sent (a reload or discovery): call again");
		return STREAM_DONE;
	}
	to = s->u.status.next + s->u.status.per_page;
	if (to > n)
		to = n;
	last = to >= n;
	p = daemon_status_page(d, s->u.status.next, to);
	if (!p || vd_varlink_encode_reply(p, !last, &m, &len) < 0) {
		cJSON_Delete(p);
		conn_drop(k);
		return STREAM_DONE;
	}
	cJSON_Delete(p);
	if (len > CONTROL_PAGE && s->u.status.per_page > 1)
		s->u.status.per_page /= 2;
	else if (len < CONTROL_PAGE / 4)
		s->u.status.per_page *= 2;
	s->u.status.next = to;
	conn_send(k, m, len);
	return last ? STREAM_DONE : STREAM_AGAIN;
}

static void status_stream(struct conn *k)
{
	struct stream *s = calloc(1, sizeof(*s));

	if (!s) {
		conn_error(k, "io.vpndoctor.InternalError", "reason", "out of memory");
		return;
	}
	s->step = status_step;
	s->u.status.per_page = 32;
	s->u.status.tunnels_gen = daemon_tunnels_gen(k->c->d);
	stream_start(k, s, true);
}

static void method_get_status(struct conn *k, bool oneway, bool more)
{
	struct shared *sc;

	if (oneway || k->dead || k->mute || !conn_room(k))
		return;
	if (more) {
		status_stream(k);
		return;
	}
	sc = status_get(k->c);
	if (!sc) {
		conn_error(k, "io.vpndoctor.InternalError", "reason", "out of memory");
		return;
	}
	conn_send_shared(k, sc);
}

static void check_progress(void *userdata, const char *probe, const char *tunnel, const char *status)
{
	struct conn *k = userdata;
	cJSON *p, *pr;

	if (k->dead || !k->check_more)
		return;
	p = cJSON_CreateObject();
	pr = cJSON_AddObjectToObject(p, "progress");
	if (!pr || !cJSON_AddStringToObject(pr, "probe", probe ? probe : "") ||
	    !(tunnel ? cJSON_AddStringToObject(pr, "tunnel", tunnel) : cJSON_AddNullToObject(pr, "tunnel")) ||
	    !cJSON_AddStringToObject(pr, "status", status ? status : "unknown")) {
		cJSON_Delete(p);
		conn_drop(k);
		return;
	}
	conn_reply(k, p, true);
	cJSON_Delete(p);
}

static void check_done(void *userdata)
{
	struct conn *k = userdata;

	/* The daemon frees its check after this: never cancel it again. */
	k->check = NULL;
	k->checking = false;
	cJSON_Delete(k->check_call);
	k->check_call = NULL;
	if (k->dead)
		return;
	if (!k->check_oneway)
		method_get_status(k, false, k->check_more);
	/* Resume the calls queued behind this one from the loop, not from
	 * inside the daemon's callback. */
	if (!k->dead)
		event_active(k->work, EV_TIMEOUT, 1);
}

/* Takes call->root on success (the probe names point into it). */
static void method_check(struct conn *k, struct vd_varlink_call *call)
{
	static const char *const known[] = {"probes", NULL};
	const char *names[CONTROL_MAX_PROBES], *bad_name = NULL, *bad;
	const cJSON *probes, *it;
	struct daemon_check *chk;
	size_t n = 0;
	int err = 0;

	if ((bad = unknown_param(call->parameters, known))) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", bad);
		return;
	}
	probes = cJSON_GetObjectItemCaseSensitive(call->parameters, "probes");
	if (probes && !cJSON_IsNull(probes)) {
		if (!cJSON_IsArray(probes) || cJSON_GetArraySize(probes) > CONTROL_MAX_PROBES) {
			conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", "probes");
			return;
		}
		cJSON_ArrayForEach(it, probes) {
			if (!cJSON_IsString(it) || !it->valuestring[0]) {
				conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", "probes");
				return;
			}
			names[n++] = it->valuestring;
		}
	}

	k->check_more = call->more;
	k->check_oneway = call->oneway;
	k->checking = true;
	chk = daemon_check_start(k->c->d, names, n, check_progress, check_done, k, &err, &bad_name);
	if (!chk) {
		k->checking = false;
		if (err == -ENOENT)
			conn_error(k, "io.vpndoctor.NoSuchProbe", "probe", bad_name ? bad_name : "");
		else
			conn_error(k, "io.vpndoctor.InternalError", "reason", strerror(-err));
		return;
	}
	if (!k->checking)
		return; /* done already ran (nothing to run): chk is gone */
	k->check = chk;
	k->check_call = call->root;
	call->root = NULL;
}

/* The event encoded once for every subscriber (the model hands each the
 * same serial). */
static struct shared *event_get(struct control *c, const cJSON *event, uint64_t serial)
{
	struct shared *m;

	if (c->event && c->event->serial == serial)
		return c->event;
	m = calloc(1, sizeof(*m));
	if (!m || vd_varlink_encode_reply(event, true, &m->msg, &m->len) < 0) {
		free(m);
		return NULL;
	}
	m->refs = 1;
	m->serial = serial;
	shared_unref(c->event);
	c->event = m;
	return m;
}

/* "cause\ttunnel" of an event's finding: the key updates coalesce by. */
static char *event_key(const cJSON *event)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(event, "finding");
	const cJSON *cause = cJSON_GetObjectItemCaseSensitive(f, "cause");
	const cJSON *tunnel = cJSON_GetObjectItemCaseSensitive(f, "tunnel");
	char *key = NULL;

	if (asprintf(&key, "%s\t%s", cJSON_IsString(cause) ? cause->valuestring : "",
	             cJSON_IsString(tunnel) ? tunnel->valuestring : "") < 0)
		return NULL;
	return key;
}

static ssize_t held_find(struct conn *k, const char *key)
{
	for (size_t i = 0; i < k->n_held; i++)
		if (strcmp(k->held[i].key, key) == 0)
			return (ssize_t)i;
	return -1;
}

static void held_remove(struct conn *k, size_t i)
{
	free(k->held[i].key);
	shared_unref(k->held[i].m);
	memmove(&k->held[i], &k->held[i + 1], (k->n_held - i - 1) * sizeof(k->held[0]));
	k->n_held--;
}

/* Takes a reference to m into the subscriber's queue. */
static bool q_push(struct conn *k, struct shared *m)
{
	if (k->q_len == k->q_cap) {
		size_t cap = k->q_cap ? k->q_cap * 2 : 16;
		struct shared **v = malloc(cap * sizeof(*v));

		if (!v)
			return false;
		for (size_t i = 0; i < k->q_len; i++)
			v[i] = k->q[(k->q_head + i) % k->q_cap];
		free(k->q);
		k->q = v;
		k->q_cap = cap;
		k->q_head = 0;
	}
	k->q[(k->q_head + k->q_len++) % k->q_cap] = m;
	m->refs++;
	k->q_bytes += m->len;
	return true;
}

/* Moves queued events to the socket's buffer while it holds little; then,
 * once the queue is empty too, the updates held while it was behind. */
static void sub_pump(struct conn *k)
{
	struct evbuffer *out = bufferevent_get_output(k->bev);

	for (;;) {
		while (!k->dead && k->q_len > 0 && evbuffer_get_length(out) < CONTROL_SUB_LOW) {
			struct shared *m = k->q[k->q_head];

			k->q_head = (k->q_head + 1) % k->q_cap;
			k->q_len--;
			k->q_bytes -= m->len;
			if (evbuffer_add(out, m->msg, m->len) < 0)
				conn_drop(k);
			shared_unref(m);
		}
		if (k->dead || k->q_len > 0 || k->n_held == 0 || evbuffer_get_length(out) >= CONTROL_SUB_SOFT)
			return;
		/* caught up: the latest update of each finding held */
		for (size_t i = 0; i < k->n_held; i++)
			if (!q_push(k, k->held[i].m)) {
				conn_drop(k);
				return;
			}
		held_clear(k);
	}
}

/* A subscriber that reads keeps getting every event as it happens. One that
 * falls CONTROL_SUB_SOFT behind gets no more "updated" events until it
 * catches up, then the latest of each (an update only restates a finding
 * that is open); "opened" and "resolved" are never held or dropped, and
 * supersede a held update of the same finding. Past CONTROL_SUB_MAX unread
 * (or CONTROL_SUB_HELD findings held) it is dropped: it would only fall
 * further behind, and its buffer is the daemon's memory. */
static void sub_event(void *userdata, const cJSON *event, uint64_t serial)
{
	struct conn *k = userdata;
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(event, "event");
	bool update = cJSON_IsString(kind) && strcmp(kind->valuestring, "updated") == 0;
	size_t unread;
	struct shared *m;
	char *key;
	ssize_t i;

	if (k->dead)
		return;
	unread = evbuffer_get_length(bufferevent_get_output(k->bev)) + k->q_bytes;
	if (unread > CONTROL_SUB_MAX || k->n_held >= CONTROL_SUB_HELD) {
		conn_laggard(k, "events", unread);
		return;
	}
	m = event_get(k->c, event, serial);
	key = event_key(event);
	if (!m || !key) {
		free(key);
		conn_drop(k);
		return;
	}
	i = held_find(k, key);
	if (update && (unread > CONTROL_SUB_SOFT || k->n_held > 0)) {
		struct held *v;

		if (i >= 0) {
			shared_unref(k->held[i].m);
			k->held[i].m = m;
			m->refs++;
			free(key);
			return;
		}
		v = realloc(k->held, (k->n_held + 1) * sizeof(*v));
		if (!v) {
			free(key);
			conn_drop(k);
			return;
		}
		k->held = v;
		k->held[k->n_held].key = key;
		k->held[k->n_held++].m = m;
		m->refs++;
		return;
	}
	/* opened or resolved: never held, and an update of the same finding
	 * held from before is superseded */
	if (i >= 0)
		held_remove(k, (size_t)i);
	free(key);
	if (!q_push(k, m)) {
		conn_drop(k);
		return;
	}
	sub_pump(k);
}

static void method_subscribe(struct conn *k, struct vd_varlink_call *call)
{
	static const char *const known[] = {NULL};
	const char *bad;
	cJSON *p;

	if ((bad = unknown_param(call->parameters, known))) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", bad);
		return;
	}
	if (!call->more) {
		conn_error(k, VD_VARLINK_ERROR_EXPECTED_MORE, NULL, NULL);
		return;
	}
	k->sub = daemon_subscribe(k->c->d, sub_event, k);
	if (!k->sub) {
		conn_error(k, "io.vpndoctor.InternalError", "reason", "out of memory");
		return;
	}
	/* the write callback says when the buffer is low: time for more events */
	bufferevent_setwatermark(k->bev, EV_WRITE, CONTROL_SUB_LOW, 0);
	/* Says the subscription is in place, so a client knows no event after
	 * this moment can be missed. */
	p = cJSON_CreateObject();
	if (!p || !cJSON_AddStringToObject(p, "event", "subscribed") ||
	    !cJSON_AddNumberToObject(p, "time", (double)time(NULL))) {
		cJSON_Delete(p);
		conn_drop(k);
		return;
	}
	conn_reply(k, p, true);
	cJSON_Delete(p);
}

/* --- paged replies ---------------------------------------------------------- */

/* Starts s on k: later calls wait, and the loop runs its steps. */
static void stream_start(struct conn *k, struct stream *s, bool more)
{
	s->more = more;
	s->budget = more ? CONTROL_PAGE : k->c->lim.max_output;
	k->stream = s;
	conn_idle_arm(k);
	event_active(k->work, EV_TIMEOUT, 1);
}

/* One step when the output has room for a page; the next comes from the
 * loop (or from the write callback once the client has read). */
static void stream_pump(struct conn *k)
{
	struct evbuffer *out = bufferevent_get_output(k->bev);

	if (k->dead || !k->stream || evbuffer_get_length(out) >= CONTROL_PAGE)
		return;
	if (k->stream->step(k) == STREAM_DONE) {
		stream_free(k->stream);
		k->stream = NULL;
		conn_idle_arm(k);
	}
	/* more work, or the calls queued behind the stream */
	if (!k->dead && evbuffer_get_length(out) < CONTROL_PAGE)
		event_active(k->work, EV_TIMEOUT, 1);
}

/* The reply does not fit one message and the client did not ask for more. */
static int stream_expected_more(struct conn *k)
{
	conn_error(k, VD_VARLINK_ERROR_EXPECTED_MORE, NULL, NULL);
	return STREAM_DONE;
}

static void hist_free(struct stream *s)
{
	history_cursor_free(s->u.hist.cur);
	cJSON_Delete(s->u.hist.page);
}

static int hist_step(struct conn *k)
{
	struct stream *s = k->stream;
	int r = HISTORY_END;
	cJSON *p;

	if (!s->u.hist.page && !(s->u.hist.page = cJSON_CreateArray()))
		r = -ENOMEM;
	else if (s->u.hist.cur)
		r = history_cursor_step(s->u.hist.cur, s->u.hist.page, &s->u.hist.bytes, s->budget);
	if (r < 0) {
		conn_error(k, "io.vpndoctor.InternalError", "reason", "cannot read the history");
		return STREAM_DONE;
	}
	if (r == HISTORY_AGAIN)
		return STREAM_AGAIN;
	if (r == HISTORY_FULL && !s->more)
		return stream_expected_more(k);
	p = cJSON_CreateObject();
	if (!p || !cJSON_AddItemToObject(p, "events", s->u.hist.page)) {
		cJSON_Delete(p);
		conn_drop(k);
		return STREAM_DONE;
	}
	s->u.hist.page = NULL;
	s->u.hist.bytes = 0;
	conn_reply(k, p, r == HISTORY_FULL);
	cJSON_Delete(p);
	return r == HISTORY_FULL ? STREAM_AGAIN : STREAM_DONE;
}

static void method_get_history(struct conn *k, const struct vd_varlink_call *call)
{
	static const char *const known[] = {"since", "limit", NULL};
	const cJSON *params = call->parameters;
	struct stream *s;
	int64_t since = -1, limit = 0;
	const char *bad;
	int r;

	if ((bad = unknown_param(params, known))) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", bad);
		return;
	}
	r = vd_varlink_param_int(params, "since", INT64_MIN / 2, INT64_MAX / 2, &since);
	if (r == -EINVAL) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", "since");
		return;
	}
	r = vd_varlink_param_int(params, "limit", 0, CONTROL_MAX_LIMIT, &limit);
	if (r == -EINVAL) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", "limit");
		return;
	}
	if (call->oneway)
		return;
	s = calloc(1, sizeof(*s));
	if (!s || daemon_history_cursor(k->c->d, since, (size_t)limit, &s->u.hist.cur) < 0) {
		free(s);
		conn_error(k, "io.vpndoctor.InternalError", "reason", "cannot read the history");
		return;
	}
	s->step = hist_step;
	s->free = hist_free;
	stream_start(k, s, call->more);
}

/* The facts snapshot the rules see (docs/facts.md), whole or cut to one
 * tunnel (the host section stays: a tunnel's rules read it too). In pages,
 * the first carries "now" and "host", and every page a run of "tunnels";
 * the message is assembled from each part's JSON text, so a page is
 * measured as it is built and never printed twice. */
static char *json_text(cJSON *v)
{
	char *t = v ? cJSON_PrintUnformatted(v) : NULL;

	cJSON_Delete(v);
	return t;
}

/* evbuffer_add_printf's count as 0 or 1 (failed), to be or-ed. */
static int addf(struct evbuffer *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int addf(struct evbuffer *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = evbuffer_add_vprintf(b, fmt, ap);
	va_end(ap);
	return r < 0;
}

static int facts_step(struct conn *k)
{
	struct stream *s = k->stream;
	struct vd_daemon *d = k->c->d;
	struct evbuffer *page = evbuffer_new();
	size_t n = 0;
	bool last;
	int r = 0;

	if (!page) {
		conn_drop(k);
		return STREAM_DONE;
	}
	if (daemon_tunnels_gen(d) != s->u.facts.tunnels_gen) {
		evbuffer_free(page);
		conn_error(k, "io.vpndoctor.InternalError", "reason",
		           "the tunnels changed while the facts were sent (a reload or discovery): call again");
		return STREAM_DONE;
	}
	r |= addf(page, "{\"parameters\":{\"facts\":{");
	if (!s->u.facts.head_sent) {
		cJSON *head = daemon_facts_head(d);
		char *t = json_text(head);

		/* the head object's members, without its braces */
		if (!t || strlen(t) < 2) {
			free(t);
			evbuffer_free(page);
			conn_drop(k);
			return STREAM_DONE;
		}
		if (strlen(t) > 2)
			r |= addf(page, "%.*s,", (int)(strlen(t) - 2), t + 1);
		free(t);
		s->u.facts.head_sent = true;
	}
	r |= addf(page, "\"tunnels\":[");
	while (r == 0 && s->u.facts.next < s->u.facts.end) {
		char *t = json_text(daemon_facts_tunnel(d, s->u.facts.next));

		if (!t) {
			r = -1;
			break;
		}
		if (n > 0 && evbuffer_get_length(page) + strlen(t) + 64 > s->budget) {
			free(t);
			break;
		}
		r |= addf(page, "%s%s", n ? "," : "", t);
		free(t);
		n++;
		s->u.facts.next++;
	}
	last = s->u.facts.next >= s->u.facts.end;
	if (r == 0 && !last && !s->more) {
		evbuffer_free(page);
		return stream_expected_more(k);
	}
	r |= addf(page, "]}}%s}", last ? "" : ",\"continues\":true");
	r |= evbuffer_add(page, "", 1) < 0;
	if (r != 0) {
		evbuffer_free(page);
		conn_drop(k);
		return STREAM_DONE;
	}
	if (!k->mute)
		evbuffer_add_buffer(bufferevent_get_output(k->bev), page);
	evbuffer_free(page);
	return last ? STREAM_DONE : STREAM_AGAIN;
}

static void method_get_facts(struct conn *k, const struct vd_varlink_call *call)
{
	static const char *const known[] = {"tunnel", NULL};
	const cJSON *params = call->parameters;
	const char *bad, *name = NULL;
	struct stream *s;
	ssize_t i = -1;
	int r;

	if ((bad = unknown_param(params, known))) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", bad);
		return;
	}
	r = vd_varlink_param_string(params, "tunnel", &name);
	if (r == -EINVAL) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", "tunnel");
		return;
	}
	if (name && (i = daemon_tunnel_index(k->c->d, name)) < 0) {
		conn_error(k, "io.vpndoctor.NoSuchTunnel", "tunnel", name);
		return;
	}
	if (call->oneway)
		return;
	s = calloc(1, sizeof(*s));
	if (!s) {
		conn_error(k, "io.vpndoctor.InternalError", "reason", "out of memory");
		return;
	}
	s->step = facts_step;
	s->u.facts.tunnels_gen = daemon_tunnels_gen(k->c->d);
	s->u.facts.next = name ? (size_t)i : 0;
	s->u.facts.end = name ? (size_t)i + 1 : daemon_n_tunnels(k->c->d);
	stream_start(k, s, call->more);
}

/* --- the timeline ----------------------------------------------------------- */

#define CONTROL_TL_MAX_RES 86400

static void tl_free(struct stream *s)
{
	timeline_query_free(s->u.tl.q);
	cJSON_Delete(s->u.tl.page);
}

static int tl_step(struct conn *k)
{
	struct stream *s = k->stream;
	int r = TLFILE_END;
	cJSON *p;

	if (!s->u.tl.page && !(s->u.tl.page = cJSON_CreateArray()))
		r = -ENOMEM;
	else if (s->u.tl.q)
		r = timeline_query_step(s->u.tl.q, s->u.tl.page, &s->u.tl.bytes, s->budget);
	if (r < 0) {
		conn_error(k, "io.vpndoctor.InternalError", "reason", "cannot read the timeline");
		return STREAM_DONE;
	}
	if (r == TLFILE_AGAIN)
		return STREAM_AGAIN;
	if (r == TLFILE_FULL && !s->more)
		return stream_expected_more(k);
	p = cJSON_CreateObject();
	if (!p || !cJSON_AddNumberToObject(p, "resolution", s->u.tl.res) ||
	    !cJSON_AddItemToObject(p, "samples", s->u.tl.page)) {
		cJSON_Delete(p);
		conn_drop(k);
		return STREAM_DONE;
	}
	s->u.tl.page = NULL;
	s->u.tl.bytes = 0;
	conn_reply(k, p, r == TLFILE_FULL);
	cJSON_Delete(p);
	return r == TLFILE_FULL ? STREAM_AGAIN : STREAM_DONE;
}

/* Per-minute samples from the timeline files, in buckets of resolution
 * seconds; paged like GetHistory. By default everything kept. */
static void method_get_timeline(struct conn *k, const struct vd_varlink_call *call)
{
	static const char *const known[] = {"tunnel", "since", "until", "resolution", NULL};
	const cJSON *params = call->parameters;
	struct timeline *tl = daemon_timeline(k->c->d);
	int64_t now = model_now(k->c->d), since = now - (int64_t)VD_TL_DAYS * 86400, until = INT64_MAX / 2;
	int64_t res = VD_TL_PERIOD;
	const char *bad, *tunnel = NULL;
	struct stream *s;
	int r;

	if ((bad = unknown_param(params, known))) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", bad);
		return;
	}
	if (vd_varlink_param_string(params, "tunnel", &tunnel) == -EINVAL) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", "tunnel");
		return;
	}
	if (vd_varlink_param_int(params, "since", INT64_MIN / 2, INT64_MAX / 2, &since) == -EINVAL) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", "since");
		return;
	}
	if (vd_varlink_param_int(params, "until", INT64_MIN / 2, INT64_MAX / 2, &until) == -EINVAL) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", "until");
		return;
	}
	if (vd_varlink_param_int(params, "resolution", VD_TL_PERIOD, CONTROL_TL_MAX_RES, &res) == -EINVAL ||
	    res % VD_TL_PERIOD) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", "resolution");
		return;
	}
	if (tunnel && !tl && daemon_tunnel_index(k->c->d, tunnel) < 0) {
		conn_error(k, "io.vpndoctor.NoSuchTunnel", "tunnel", tunnel);
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		conn_error(k, "io.vpndoctor.InternalError", "reason", "out of memory");
		return;
	}
	r = tl ? timeline_query_open(tl, tunnel, since, until, (uint32_t)res, &s->u.tl.q) : 0;
	if (r < 0) {
		free(s);
		if (r == -ENOENT)
			conn_error(k, "io.vpndoctor.NoSuchTunnel", "tunnel", tunnel ? tunnel : "");
		else
			conn_error(k, "io.vpndoctor.InternalError", "reason", "cannot read the timeline");
		return;
	}
	if (call->oneway) {
		tl_free(s);
		free(s);
		return;
	}
	s->u.tl.res = (uint32_t)res;
	s->step = tl_step;
	s->free = tl_free;
	stream_start(k, s, call->more);
}

static void rec_progress(void *userdata, unsigned elapsed_s, unsigned duration_s, size_t samples)
{
	struct conn *k = userdata;
	cJSON *p, *pr;

	if (k->dead)
		return;
	p = cJSON_CreateObject();
	pr = cJSON_AddObjectToObject(p, "progress");
	if (!pr || !cJSON_AddNumberToObject(pr, "elapsed_s", elapsed_s) ||
	    !cJSON_AddNumberToObject(pr, "duration_s", duration_s) ||
	    !cJSON_AddNumberToObject(pr, "samples", (double)samples)) {
		cJSON_Delete(p);
		conn_drop(k);
		return;
	}
	conn_reply(k, p, true);
	cJSON_Delete(p);
}

static void rec_stream_free(struct stream *s)
{
	recording_free(s->u.rec.r);
	cJSON_Delete(s->u.rec.page);
}

static int rec_step(struct conn *k)
{
	struct stream *s = k->stream;
	cJSON *p = cJSON_CreateObject();
	int r = -ENOMEM;

	if (p && (s->u.rec.page || (s->u.rec.page = cJSON_CreateArray())))
		r = recording_result_step(s->u.rec.r, p, s->u.rec.page, &s->u.rec.bytes, s->budget);
	if (r < 0 || !cJSON_AddItemToObject(p, "samples", s->u.rec.page)) {
		cJSON_Delete(p);
		conn_drop(k);
		return STREAM_DONE;
	}
	s->u.rec.page = NULL;
	s->u.rec.bytes = 0;
	conn_reply(k, p, r == TLFILE_FULL);
	cJSON_Delete(p);
	return r == TLFILE_FULL ? STREAM_AGAIN : STREAM_DONE;
}

/* The recording ended: its samples go out in pages, the calls after it
 * wait for them. */
static void rec_done(void *userdata)
{
	struct conn *k = userdata;
	struct stream *s;

	if (k->dead)
		return;
	s = calloc(1, sizeof(*s));
	if (!s) {
		conn_drop(k);
		return;
	}
	s->step = rec_step;
	s->free = rec_stream_free;
	s->u.rec.r = k->rec;
	k->rec = NULL;
	stream_start(k, s, true);
}

/* Record needs "more": a first progress reply says it runs, one a second
 * follows, then the samples in pages. */
static void method_record(struct conn *k, const struct vd_varlink_call *call)
{
	static const char *const known[] = {"duration", "tunnel", NULL};
	const cJSON *params = call->parameters;
	struct timeline *tl = daemon_timeline(k->c->d);
	const char *bad, *tunnel = NULL;
	int64_t duration = 0, since = 0;
	int r;

	if ((bad = unknown_param(params, known))) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", bad);
		return;
	}
	if (vd_varlink_param_int(params, "duration", 1, RECORDING_MAX_S, &duration) < 0) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", "duration");
		return;
	}
	if (vd_varlink_param_string(params, "tunnel", &tunnel) == -EINVAL) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", "tunnel");
		return;
	}
	if (!call->more) {
		conn_error(k, VD_VARLINK_ERROR_EXPECTED_MORE, NULL, NULL);
		return;
	}
	if (!tl) {
		conn_error(k, "io.vpndoctor.InternalError", "reason", "the daemon keeps no timeline");
		return;
	}
	r = recording_start(tl, tunnel, (unsigned)duration, rec_progress, rec_done, k, &k->rec, &since);
	if (r == -EBUSY) {
		cJSON *e = cJSON_CreateObject();
		char *m;
		size_t len;

		if (!e || !cJSON_AddNumberToObject(e, "since", (double)since) ||
		    vd_varlink_encode_error("io.vpndoctor.RecordingBusy", e, &m, &len) < 0) {
			cJSON_Delete(e);
			conn_drop(k);
			return;
		}
		cJSON_Delete(e);
		conn_send(k, m, len);
		return;
	}
	if (r == -ENOENT) {
		conn_error(k, "io.vpndoctor.NoSuchTunnel", "tunnel", tunnel ? tunnel : "");
		return;
	}
	if (r < 0) {
		conn_error(k, "io.vpndoctor.InternalError", "reason", strerror(-r));
		return;
	}
	conn_idle_arm(k);
	rec_progress(k, 0, (unsigned)duration, 0);
}

static void method_stop_recording(struct conn *k, const cJSON *params)
{
	static const char *const known[] = {NULL};
	struct recording *r = timeline_recording(daemon_timeline(k->c->d));
	const char *bad;
	cJSON *p;

	if ((bad = unknown_param(params, known))) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", bad);
		return;
	}
	if (r)
		recording_stop(r);
	p = cJSON_CreateObject();
	if (!p || !cJSON_AddBoolToObject(p, "stopped", r != NULL)) {
		cJSON_Delete(p);
		conn_drop(k);
		return;
	}
	conn_reply(k, p, false);
	cJSON_Delete(p);
}

/* The configuration the daemon runs with (after the last good reload), each
 * value with the FILE:LINE it came from (config_dump()). */
static void method_get_config(struct conn *k, const cJSON *params)
{
	static const char *const known[] = {NULL};
	const char *bad;
	cJSON *p;

	if ((bad = unknown_param(params, known))) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", bad);
		return;
	}
	p = config_dump(daemon_config(k->c->d));
	if (!p) {
		conn_error(k, "io.vpndoctor.InternalError", "reason", "out of memory");
		return;
	}
	conn_reply(k, p, false);
	cJSON_Delete(p);
}

static void method_explain(struct conn *k, const cJSON *params)
{
	static const char *const known[] = {"cause", NULL};
	const struct vd_cause *cause;
	const char *id, *bad;
	cJSON *p, *entry;

	if ((bad = unknown_param(params, known))) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", bad);
		return;
	}
	if (vd_varlink_param_string(params, "cause", &id) < 0) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", "cause");
		return;
	}
	cause = vd_cause_find(id);
	if (!cause) {
		conn_error(k, "io.vpndoctor.NoSuchCause", "cause", id);
		return;
	}
	entry = vd_cause_to_json(cause);
	p = cJSON_CreateObject();
	if (!entry || !p || vd_rule_tests_add_json(cause->id, entry) < 0 || !cJSON_AddItemToObject(p, "cause", entry)) {
		cJSON_Delete(entry);
		cJSON_Delete(p);
		conn_drop(k);
		return;
	}
	conn_reply(k, p, false);
	cJSON_Delete(p);
}

static void conn_dispatch(struct conn *k, struct vd_varlink_call *call)
{
	static const char *const no_params[] = {NULL};
	size_t il = call->interface_len;
	const char *m = call->member, *bad;
	bool service = il == strlen("org.varlink.service") && strncmp(call->method, "org.varlink.service", il) == 0;
	bool ours = il == strlen("io.vpndoctor") && strncmp(call->method, "io.vpndoctor", il) == 0;

	if (call->upgrade) {
		conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", "upgrade");
		return;
	}
	if (service) {
		if (strcmp(m, "GetInfo") == 0) {
			if ((bad = unknown_param(call->parameters, no_params)))
				conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", bad);
			else
				method_get_info(k);
		} else if (strcmp(m, "GetInterfaceDescription") == 0)
			method_get_interface_description(k, call->parameters);
		else
			conn_error(k, VD_VARLINK_ERROR_METHOD_NOT_FOUND, "method", call->method);
		return;
	}
	if (!ours) {
		char iface[256];

		snprintf(iface, sizeof(iface), "%.*s", (int)il, call->method);
		conn_error(k, VD_VARLINK_ERROR_INTERFACE_NOT_FOUND, "interface", iface);
		return;
	}
	if (!k->privileged) {
		conn_error(k, VD_VARLINK_ERROR_PERMISSION_DENIED, NULL, NULL);
		return;
	}
	if (strcmp(m, "GetStatus") == 0) {
		if ((bad = unknown_param(call->parameters, no_params)))
			conn_error(k, VD_VARLINK_ERROR_INVALID_PARAMETER, "parameter", bad);
		else
			method_get_status(k, call->oneway, call->more);
	} else if (strcmp(m, "Check") == 0)
		method_check(k, call);
	else if (strcmp(m, "Subscribe") == 0)
		method_subscribe(k, call);
	else if (strcmp(m, "GetHistory") == 0)
		method_get_history(k, call);
	else if (strcmp(m, "Explain") == 0)
		method_explain(k, call->parameters);
	else if (strcmp(m, "GetFacts") == 0)
		method_get_facts(k, call);
	else if (strcmp(m, "GetConfig") == 0)
		method_get_config(k, call->parameters);
	else if (strcmp(m, "GetTimeline") == 0)
		method_get_timeline(k, call);
	else if (strcmp(m, "Record") == 0)
		method_record(k, call);
	else if (strcmp(m, "StopRecording") == 0)
		method_stop_recording(k, call->parameters);
	else
		conn_error(k, VD_VARLINK_ERROR_METHOD_NOT_FOUND, "method", call->method);
}

/* A oneway call runs with the connection muted; a oneway Check goes on
 * muted through check_oneway (its progress needs "more", which oneway
 * excludes). */
static void conn_handle(struct conn *k, const char *msg, size_t len)
{
	struct vd_varlink_call call;
	const char *bad = NULL;
	int r;

	r = vd_varlink_call_parse(msg, len, &call, &bad);
	if (r == -ENOMEM) {
		conn_drop(k);
		return;
	}
	if (r < 0) {
		conn_protocol_error(k, bad ? bad : "message");
		return;
	}
	k->mute = call.oneway;
	conn_dispatch(k, &call);
	k->mute = false;
	vd_varlink_call_done(&call);
}

/* Takes complete messages from the decoder, feeding it from the socket's
 * input as needed, until the input is empty or a call holds the rest. */
static void conn_process(struct conn *k)
{
	struct evbuffer *in = bufferevent_get_input(k->bev);
	char chunk[CONTROL_CHUNK];

	while (!k->dead && !k->closing && !k->check && !k->sub && !k->stream && !k->rec) {
		const char *msg;
		size_t len, n;
		int r = vd_varlink_decoder_next(k->dec, &msg, &len);

		if (r == 1) {
			conn_handle(k, msg, len);
			conn_idle_arm(k);
			continue;
		}
		if (r < 0) {
			conn_protocol_error(k, "message");
			break;
		}
		n = evbuffer_get_length(in);
		if (n == 0)
			break;
		if (n > sizeof(chunk))
			n = sizeof(chunk);
		if (evbuffer_remove(in, chunk, n) != (int)n || vd_varlink_decoder_feed(k->dec, chunk, n) == -ENOMEM) {
			conn_drop(k);
			break;
		}
	}
	if (!k->dead && !k->closing && k->eof && !k->check && !k->sub && !k->stream && !k->rec) {
		/* The peer will send nothing more: close once replies are out. */
		k->closing = true;
		if (evbuffer_get_length(bufferevent_get_output(k->bev)) == 0)
			conn_drop(k);
	}
}

/* --- libevent callbacks ---------------------------------------------------- */

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
	conn_process(arg);
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *k = arg;

	if (k->closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			conn_drop(k);
	} else if (k->stream)
		event_active(k->work, EV_TIMEOUT, 1); /* room for the next page */
	else if (k->sub)
		sub_pump(k); /* room for more events */
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *k = arg;

	if (what & BEV_EVENT_TIMEOUT) {
		/* a write that made no progress for idle_timeout_s */
		conn_laggard(k, "output", evbuffer_get_length(bufferevent_get_output(bev)));
		return;
	}
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && !k->sub) {
		/* A half-closed client still gets the replies to what it sent;
		 * a recording it asked for ends now (its Ctrl-C). */
		k->eof = true;
		if (k->rec)
			recording_stop(k->rec);
		conn_process(k);
		return;
	}
	conn_drop(k);
}

static void conn_idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *k = arg;

	if (k->sub || k->check || k->rec)
		return;
	log_rl(&k->c->rl_bad, LOG_DEBUG, "control: closing idle client pid %ld uid %u", (long)k->pid,
	       (unsigned)k->uid);
	conn_drop(k);
}

static void conn_work_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *k = arg;

	if (k->dead) {
		conn_free(k);
		return;
	}
	if (k->stream)
		stream_pump(k);
	conn_idle_arm(k);
	conn_process(k);
}

/* Root, our own uid, the group as primary or supplementary group. */
static bool peer_privileged(struct control *c, int fd, uid_t uid, gid_t gid)
{
	gid_t small[64], *groups = small;
	socklen_t len = sizeof(small);
	bool found = false;
	size_t i;

	if (uid == 0 || uid == geteuid())
		return true;
	if (!c->have_group)
		return false;
	if (gid == c->group)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
		if (errno != ERANGE || len == 0 || len > 65536 * sizeof(gid_t))
			return false;
		groups = malloc(len);
		if (!groups || getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
			free(groups);
			return false;
		}
	}
	for (i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == c->group)
			found = true;
	if (groups != small)
		free(groups);
	return found;
}

static void control_refused(struct control *c, const char *why, uid_t uid)
{
	log_rl(&c->rl_refused, LOG_WARNING, "control: refusing connection from uid %u: %s", (unsigned)uid, why);
}

/* The administrator: root, and the uid the daemon runs as. */
static bool peer_admin(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int socklen,
                      void *arg)
{
	struct control *c = arg;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct conn *k, *o;
	size_t same_uid = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
		log_warn("control: SO_PEERCRED");
		close(fd);
		return;
	}
	/* the last slots are the administrator's, who is held to no per-uid
	 * limit: members of the group holding every connection (subscriptions
	 * never idle out) must not lock root out of its own daemon */
	if (c->n_conns >= c->lim.max_connections ||
	    (!peer_admin(cred.uid) && c->n_conns + control_root_slots(&c->lim) >= c->lim.max_connections)) {
		control_refused(c, "too many connections", cred.uid);
		close(fd);
		return;
	}
	LIST_FOREACH(o, &c->conns, link)
		if (o->uid == cred.uid && !o->dead)
			same_uid++;
	if (!peer_admin(cred.uid) && same_uid >= c->lim.max_per_uid) {
		control_refused(c, "too many connections from this uid", cred.uid);
		close(fd);
		return;
	}

	k = calloc(1, sizeof(*k));
	if (!k) {
		close(fd);
		return;
	}
	k->c = c;
	k->uid = cred.uid;
	k->gid = cred.gid;
	k->pid = cred.pid;
	k->privileged = peer_privileged(c, fd, cred.uid, cred.gid);
	LIST_INSERT_HEAD(&c->conns, k, link);
	c->n_conns++;

	k->bev = bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!k->bev)
		close(fd);
	k->idle = evtimer_new(c->base, conn_idle_cb, k);
	k->work = event_new(c->base, -1, 0, conn_work_cb, k);
	if (!k->bev || !k->idle || !k->work ||
	    vd_varlink_decoder_new(c->lim.max_message, &k->dec) < 0) {
		conn_free(k);
		return;
	}
	/* Stop reading from the socket while a held call keeps input queued. */
	bufferevent_setwatermark(k->bev, EV_READ, 0, c->lim.max_message + CONTROL_CHUNK);
	/* output the client takes none of for as long as an idle client may
	 * stay: the client is gone or stuck, and its buffer is our memory */
	if (c->lim.idle_timeout_s) {
		struct timeval wt = {.tv_sec = c->lim.idle_timeout_s};
		bufferevent_set_timeouts(k->bev, NULL, &wt);
	}
	bufferevent_setcb(k->bev, conn_read_cb, conn_write_cb, conn_event_cb, k);
	bufferevent_enable(k->bev, EV_READ | EV_WRITE);
	conn_idle_arm(k);
}

static void listener_error_cb(struct evconnlistener *l, void *arg)
{
	struct control *c = arg;
	struct timeval tv = {1, 0};
	int e = EVUTIL_SOCKET_ERROR();

	/* EMFILE and friends: the pending connection stays in the backlog and
	 * the listener would fire again at once, spinning the loop; it rests
	 * a second (connections wait in the backlog meanwhile). */
	log_rl(&c->rl_accept, LOG_WARNING, "control: accept: %s", evutil_socket_error_to_string(e));
	if (c->resume && evconnlistener_disable(l) == 0)
		evtimer_add(c->resume, &tv);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct control *c = arg;

	evconnlistener_enable(c->listener);
}

static void on_trim(evutil_socket_t fd, short what, void *arg)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/* --- binding --------------------------------------------------------------- */

static int lookup_group(gid_t *ret)
{
	struct group grp, *res = NULL;
	char buf[4096];
	int r;

	r = getgrnam_r(CONTROL_GROUP, &grp, buf, sizeof(buf), &res);
	if (r != 0 || !res)
		return r ? -r : -ENOENT;
	*ret = res->gr_gid;
	return 0;
}

/* A socket file nobody listens on is stale and replaced; a live one means
 * another daemon runs; anything that is not a socket is left alone. */
static int clear_stale(const char *path, const struct sockaddr_un *sa, socklen_t salen)
{
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sa, salen);
	close(fd);
	if (r == 0)
		return -EADDRINUSE;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int bind_socket(struct control *c, const char *path, int *ret_fd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	socklen_t salen;
	mode_t old;
	int fd, r;

	if (!path || !path[0] || strlen(path) >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);

	r = clear_stale(path, &sa, salen);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* No moment where the socket is open to others. */
	old = umask(0117);
	r = bind(fd, (struct sockaddr *)&sa, salen);
	umask(old);
	if (r < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (c->have_group && chown(path, (uid_t)-1, c->group) < 0)
		log_warn("control: chown %s to group %s", path, CONTROL_GROUP);
	if (chmod(path, 0660) < 0) {
		r = -errno;
		goto fail;
	}
	if (listen(fd, SOMAXCONN) < 0) {
		r = -errno;
		goto fail;
	}
	*ret_fd = fd;
	return 0;
fail:
	unlink(path);
	close(fd);
	return r;
}

int control_bind(const char *path, int *ret_fd)
{
	struct control c = {0};

	c.have_group = lookup_group(&c.group) == 0;
	return bind_socket(&c, path, ret_fd);
}

static void control_free_events(struct control *c)
{
	if (c->trim)
		event_free(c->trim);
	if (c->resume)
		event_free(c->resume);
	c->trim = c->resume = NULL;
}

int control_start(struct vd_daemon *d, struct event_base *base, int listen_fd, const char *path,
                  const struct control_limits *lim, struct control **ret)
{
	struct control *c;
	int fd = listen_fd, r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->d = d;
	c->base = base;
	LIST_INIT(&c->conns);
	if (lim)
		c->lim = *lim;
	else
		control_limits_default(&c->lim);
	if (c->lim.max_message == 0)
		c->lim.max_message = VD_VARLINK_MAX_MESSAGE_DEFAULT;
	c->have_group = lookup_group(&c->group) == 0;
	c->rl_refused = (struct log_ratelimit)LOG_RATELIMIT_INIT(60, 1);
	c->rl_dropped = (struct log_ratelimit)LOG_RATELIMIT_INIT(60, 5);
	c->rl_bad = (struct log_ratelimit)LOG_RATELIMIT_INIT(60, 5);
	c->rl_accept = (struct log_ratelimit)LOG_RATELIMIT_INIT(60, 1);
	c->trim = evtimer_new(base, on_trim, c);
	c->resume = evtimer_new(base, on_resume, c);
	if (!c->trim || !c->resume) {
		control_free_events(c);
		free(c);
		return -ENOMEM;
	}

	if (fd < 0) {
		r = bind_socket(c, path, &fd);
		if (r < 0) {
			control_free_events(c);
			free(c);
			return r;
		}
		c->path = strdup(path);
		if (!c->path) {
			unlink(path);
			close(fd);
			control_free_events(c);
			free(c);
			return -ENOMEM;
		}
	} else if (evutil_make_socket_nonblocking(fd) < 0 || evutil_make_socket_closeonexec(fd) < 0) {
		control_free_events(c);
		free(c);
		return -EINVAL;
	}

	c->listener = evconnlistener_new(base, accept_cb, c, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	                                 0, fd);
	if (!c->listener) {
		if (c->path)
			unlink(c->path);
		if (listen_fd < 0)
			close(fd);
		free(c->path);
		control_free_events(c);
		free(c);
		return -ENOMEM;
	}
	evconnlistener_set_error_cb(c->listener, listener_error_cb);
	*ret = c;
	return 0;
}

void control_free(struct control *c)
{
	if (!c)
		return;
	while (!LIST_EMPTY(&c->conns))
		conn_free(LIST_FIRST(&c->conns));
	shared_unref(c->status);
	shared_unref(c->event);
	control_free_events(c);
	evconnlistener_free(c->listener);
	if (c->path) {
		unlink(c->path);
		free(c->path);
	}
	free(c);
}
