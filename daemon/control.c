/* The control socket: Varlink over AF_UNIX on the daemon's one event_base.
 *
 * Every resource a client controls is bounded (control_limits): one request
 * at most max_message bytes (the decoder never buffers more), connections in
 * all and per uid (refused by closing at accept), idle time (no complete
 * request for idle_timeout_s closes the connection, except while a Check or
 * a Subscribe of that connection is active), and queued output (a client
 * whose unread replies pass max_output is dropped; the loop never blocks).
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
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "vpndoctor/cause.h"
#include "vpndoctor/varlink.h"

#include "config.h"
#include "control.h"
#include "daemon.h"
#include "history.h"
#include "interface.h"
#include "log.h"
#include "model.h"

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

/* The encoded GetStatus reply, shared by every connection it is queued on
 * (evbuffer_add_reference): rendered once per model change or second. */
struct status_cache {
	char *msg;
	size_t len;
	unsigned refs;   /* output buffers holding it, +1 while it is current */
	uint64_t gen;
	int64_t now;
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
	struct status_cache *status;
	time_t refused_logged; /* refusals are logged at most once a minute */
	unsigned long refused;
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
			size_t next, end;     /* tunnel indexes still to send */
			uint64_t tunnels_gen;
			bool head_sent;
		} facts;
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
	l->max_per_uid = 32;
	l->idle_timeout_s = 60;
	l->max_output = 1024 * 1024;
}

/* --- connection life ------------------------------------------------------ */

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
	stream_free(k->stream);
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

	if (k->dead || k->sub || k->check || k->stream || k->c->lim.idle_timeout_s == 0)
		event_del(k->idle);
	else
		event_add(k->idle, &tv);
}

/* Queues one encoded message; a client that does not read its replies is
 * dropped once they pass max_output. Returns false when it was dropped. */
static bool conn_send(struct conn *k, char *msg, size_t len)
{
	struct evbuffer *out = bufferevent_get_output(k->bev);
	int r;

	if (k->dead || k->mute) {
		free(msg);
		return !k->dead;
	}
	r = evbuffer_add(out, msg, len);
	free(msg);
	if (r < 0 || evbuffer_get_length(out) > k->c->lim.max_output) {
		log_info("control: dropping client pid %ld uid %u: %zu bytes of replies unread",
		         (long)k->pid, (unsigned)k->uid, evbuffer_get_length(out));
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
	log_debug("control: closing client pid %ld uid %u: bad %s", (long)k->pid, (unsigned)k->uid, what);
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

static void status_unref(struct status_cache *sc)
{
	if (sc && --sc->refs == 0) {
		free(sc->msg);
		free(sc);
	}
}

static void status_cleanup(const void *data, size_t len, void *extra)
{
	status_unref(extra);
}

/* The current encoded status: a change of the model, or of the second the
 * age_s fields count from, renders it again. */
static struct status_cache *status_get(struct control *c)
{
	uint64_t gen = model_generation(c->d);
	int64_t now = model_now(c->d);
	struct status_cache *sc;
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
	status_unref(c->status);
	c->status = sc;
	return sc;
}

static void method_get_status(struct conn *k, bool oneway)
{
	struct evbuffer *out;
	struct status_cache *sc;

	if (oneway || k->dead || k->mute)
		return;
	sc = status_get(k->c);
	if (!sc) {
		conn_error(k, "io.vpndoctor.InternalError", "reason", "out of memory");
		return;
	}
	out = bufferevent_get_output(k->bev);
	sc->refs++;
	if (evbuffer_add_reference(out, sc->msg, sc->len, status_cleanup, sc) < 0) {
		sc->refs--;
		conn_drop(k);
		return;
	}
	if (evbuffer_get_length(out) > k->c->lim.max_output) {
		log_info("control: dropping client pid %ld uid %u: %zu bytes of replies unread", (long)k->pid,
		         (unsigned)k->uid, evbuffer_get_length(out));
		conn_drop(k);
	}
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
		method_get_status(k, false);
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

static void sub_event(void *userdata, const cJSON *event)
{
	struct conn *k = userdata;

	if (!k->dead)
		conn_reply(k, event, true);
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
	if (!entry || !p || !cJSON_AddItemToObject(p, "cause", entry)) {
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
			method_get_status(k, false);
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

	while (!k->dead && !k->closing && !k->check && !k->sub && !k->stream) {
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
	if (!k->dead && !k->closing && k->eof && !k->check && !k->sub && !k->stream) {
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

	if (k->closing)
		conn_drop(k);
	else if (k->stream)
		event_active(k->work, EV_TIMEOUT, 1); /* room for the next page */
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *k = arg;

	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && !k->sub) {
		/* A half-closed client still gets the replies to what it sent. */
		k->eof = true;
		conn_process(k);
		return;
	}
	conn_drop(k);
}

static void conn_idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *k = arg;

	if (k->sub || k->check)
		return;
	log_debug("control: closing idle client pid %ld uid %u", (long)k->pid, (unsigned)k->uid);
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
	time_t now = time(NULL);

	c->refused++;
	if (now - c->refused_logged >= 60) {
		log_warnx("control: refusing connection from uid %u: %s (%lu refused so far)", (unsigned)uid,
		          why, c->refused);
		c->refused_logged = now;
	}
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
	if (c->n_conns >= c->lim.max_connections) {
		control_refused(c, "too many connections", cred.uid);
		close(fd);
		return;
	}
	LIST_FOREACH(o, &c->conns, link)
		if (o->uid == cred.uid && !o->dead)
			same_uid++;
	if (same_uid >= c->lim.max_per_uid) {
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
	bufferevent_setcb(k->bev, conn_read_cb, conn_write_cb, conn_event_cb, k);
	bufferevent_enable(k->bev, EV_READ | EV_WRITE);
	conn_idle_arm(k);
}

static void listener_error_cb(struct evconnlistener *l, void *arg)
{
	int e = EVUTIL_SOCKET_ERROR();

	/* EMFILE and friends: connections are refused until one closes. */
	log_warnx("control: accept: %s", evutil_socket_error_to_string(e));
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

	if (fd < 0) {
		r = bind_socket(c, path, &fd);
		if (r < 0) {
			free(c);
			return r;
		}
		c->path = strdup(path);
		if (!c->path) {
			unlink(path);
			close(fd);
			free(c);
			return -ENOMEM;
		}
	} else if (evutil_make_socket_nonblocking(fd) < 0 || evutil_make_socket_closeonexec(fd) < 0) {
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
	status_unref(c->status);
	evconnlistener_free(c->listener);
	if (c->path) {
		unlink(c->path);
		free(c->path);
	}
	free(c);
}
