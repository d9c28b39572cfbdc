/* See agent.h.
 *
 * One entry per (tunnel, cause) holds what the daemon last said about it and
 * what the desktop last showed; entry_flush() moves the latter towards the
 * former, one Notify in flight per entry (so the id of the first is known to
 * replace it). The interval limits what can storm: an opening (or an update
 * of an open one) goes out at most once per interval, so a flapping finding
 * pops up once and then shows its last state when the interval ends. Good
 * news is not held back: a resolution replaces the open notification as soon
 * as the daemon reports it. Entries live for the whole session: "notified
 * once" is theirs. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agent.h"
#include "desktop.h"
#include "nlog.h"
#include "render.h"
#include "settings.h"
#include "vlconn.h"
#include "vpndoctor/cause.h"
#include "vpndoctor/i18n.h"
#include "vpndoctor/tlchart.h"

extern char **environ;

#define MAX_ENTRIES       1024u
#define USEC_PER_SEC      1000000ull
#define RETRY_MIN_S       30u   /* after a failed Notify, whatever the interval */
#define POLL_S            2u    /* GetStatus while stale findings are being settled */
#define WARMUP_MAX_S      60u   /* a restarted daemon has run its probes by then */
#define SETTLE_MARGIN_S   3u
#define TIMELINE_DAYS     7u    /* the Details page links to the kept week */
#define TIMELINE_RES_S    300u  /* its charts draw a point per pixel: 5 minutes is enough */
#define FETCH_TIMEOUT_S   10u   /* a Details page comes even when the daemon does not answer */

enum shown { SHOWN_NONE, SHOWN_OPEN, SHOWN_RESOLVED };
enum want { WANT_NONE, WANT_OPEN, WANT_RESOLVED };

struct agent;
struct entry;

/* The tunnel's timeline and history fetched for a Details page: the pages of
 * GetTimeline, then those of GetHistory, on a connection of their own. */
struct tl_fetch {
	struct entry *en;
	struct vlconn *c;
	sd_event_source *timeout;
	cJSON *timeline, *history;
	bool timeline_done, ok;
};

struct entry {
	struct agent *a;
	char *tunnel, *cause;
	cJSON *finding;          /* the daemon's latest (opened/updated/resolved) */
	bool daemon_open;
	bool quiet_close;        /* resolved because another cause explains it */
	unsigned gen;            /* subscription that last told us about it */

	enum shown shown;
	char *shown_sig;         /* severity and summary of the open notification */
	uint32_t id;             /* the server's id, for replaces_id */
	uint32_t details_id;     /* the fallback Details notification */
	uint64_t next_open;      /* CLOCK_MONOTONIC usec: no opening or update before (the interval) */
	uint64_t next_retry;     /* CLOCK_MONOTONIC usec: nothing at all before (after a failed Notify) */
	bool in_flight, failed;
	enum shown sending;
	char *sending_sig;
	sd_event_source *timer;
	sd_event_source *details_child; /* xdg-open, while it runs */
	struct tl_fetch *fetch;         /* Details asked: the timeline on its way */
};

struct agent {
	sd_event *e;
	struct desktop *dt;
	const struct settings *set;
	const char *socket_path;
	bool once, once_applied;
	int exit_status;

	struct vlconn *sub, *status;
	sd_event_source *reconnect, *poll;
	unsigned backoff_s, gen;
	bool subscribed;
	int last_connect_err;
	uint64_t subscribed_at, warm_at;

	struct entry **entries;
	size_t n_entries;
	bool full_logged;
};

static uint64_t now_usec(struct agent *a)
{
	uint64_t t = 0;

	(void)sd_event_now(a->e, CLOCK_MONOTONIC, &t);
	return t;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int64_t jint(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static enum vd_severity finding_severity(const cJSON *f)
{
	enum vd_severity s;
	const char *sev = jstr(f, "severity");

	if (sev && vd_severity_parse(sev, &s) == 0)
		return s;
	return VD_SEV_NONE;
}

/* ---- entries ---- */

static struct entry *entry_find(struct agent *a, const char *tunnel, const char *cause)
{
	for (size_t i = 0; i < a->n_entries; i++)
		if (strcmp(a->entries[i]->tunnel, tunnel) == 0 && strcmp(a->entries[i]->cause, cause) == 0)
			return a->entries[i];
	return NULL;
}

static struct entry *entry_by_id(struct agent *a, uint32_t id)
{
	for (size_t i = 0; i < a->n_entries; i++)
		if (a->entries[i]->id == id && a->entries[i]->shown != SHOWN_NONE)
			return a->entries[i];
	return NULL;
}

static struct entry *entry_get(struct agent *a, const char *tunnel, const char *cause)
{
	struct entry *en = entry_find(a, tunnel, cause), **v;

	if (en)
		return en;
	if (a->n_entries >= MAX_ENTRIES) {
		/* a daemon reporting this many is broken; the bound keeps us small */
		if (!a->full_logged)
			nlog(LOG_WARNING, "more than %u findings: ignoring the rest", MAX_ENTRIES);
		a->full_logged = true;
		return NULL;
	}
	v = realloc(a->entries, (a->n_entries + 1) * sizeof(*v));
	if (!v)
		return NULL;
	a->entries = v;
	en = calloc(1, sizeof(*en));
	if (!en)
		return NULL;
	en->a = a;
	en->tunnel = strdup(tunnel);
	en->cause = strdup(cause);
	if (!en->tunnel || !en->cause) {
		free(en->tunnel);
		free(en->cause);
		free(en);
		return NULL;
	}
	a->entries[a->n_entries++] = en;
	return en;
}

static void fetch_free(struct tl_fetch *t);

static void entry_free(struct entry *en)
{
	fetch_free(en->fetch);
	sd_event_source_disable_unref(en->timer);
	sd_event_source_disable_unref(en->details_child);
	cJSON_Delete(en->finding);
	free(en->shown_sig);
	free(en->sending_sig);
	free(en->tunnel);
	free(en->cause);
	free(en);
}

/* The daemon suppresses a cause while one it depends on is open and never
 * sends it; this is the same check on our side, for findings that came from
 * GetStatus or raced with the suppressing one. */
static bool suppressed(struct agent *a, const struct entry *en)
{
	const struct vd_cause *c = vd_cause_find(en->cause);

	if (jstr(en->finding, "suppressed_by"))
		return true;
	for (size_t i = 0; c && c->suppressed_by[i]; i++) {
		const struct entry *o = entry_find(a, en->tunnel, c->suppressed_by[i]);
		if (o && o->daemon_open)
			return true;
	}
	return false;
}

static bool wanted_open(struct agent *a, const struct entry *en)
{
	return en->daemon_open && en->finding && finding_severity(en->finding) >= a->set->min_severity &&
	       !settings_muted(a->set, en->cause) && !suppressed(a, en);
}

static char *signature(const cJSON *f)
{
	char *s;
	const char *sev = jstr(f, "severity"), *sum = jstr(f, "summary");

	if (asprintf(&s, "%s\n%s", sev ? sev : "", sum ? sum : "") < 0)
		return NULL;
	return s;
}

static void entry_flush(struct entry *en);

static int timer_cb(sd_event_source *s, uint64_t usec, void *userdata)
{
	entry_flush(userdata);
	return 0;
}

static void arm_timer(struct entry *en, uint64_t when)
{
	int r;

	if (en->timer) {
		r = sd_event_source_set_time(en->timer, when);
		if (r >= 0)
			r = sd_event_source_set_enabled(en->timer, SD_EVENT_ONESHOT);
	} else {
		r = sd_event_add_time(en->a->e, &en->timer, CLOCK_MONOTONIC, when, 0, timer_cb, en);
	}
	if (r < 0)
		nlog(LOG_WARNING, "cannot arm a timer: %s", strerror(-r));
}

static void check_once_done(struct agent *a);

static void notify_done(void *userdata, uint32_t id, int err, const char *error_name)
{
	struct entry *en = userdata;
	struct agent *a = en->a;

	en->in_flight = false;
	if (err < 0) {
		uint64_t retry = now_usec(a) + (uint64_t)(a->set->interval_s > RETRY_MIN_S ? a->set->interval_s
		                                                                            : RETRY_MIN_S) * USEC_PER_SEC;
		if (!en->failed)
			nlog(LOG_WARNING, "notification for %s on %s failed: %s", en->cause,
			     en->tunnel[0] ? en->tunnel : "this host", error_name ? error_name : strerror(-err));
		en->failed = true;
		if (retry > en->next_retry)
			en->next_retry = retry;
		free(en->sending_sig);
		en->sending_sig = NULL;
	} else {
		en->failed = false;
		en->id = id;
		en->shown = en->sending;
		free(en->shown_sig);
		en->shown_sig = en->sending_sig;
		en->sending_sig = NULL;
		nlog(LOG_DEBUG, "notification %u: %s %s on %s", id, en->shown == SHOWN_OPEN ? "open" : "resolved",
		     en->cause, en->tunnel);
	}
	if (a->once) {
		check_once_done(a);
		return;
	}
	entry_flush(en);
}

static const char *cause_title(const struct entry *en)
{
	const struct vd_cause *c = vd_cause_find(en->cause);
	const char *t = render_text(jstr(en->finding, "title"), c ? c->title : NULL);

	return t ? t : en->cause;
}

static int send_open(struct entry *en)
{
	struct agent *a = en->a;
	const struct vd_cause *c = vd_cause_find(en->cause);
	enum vd_severity sev = finding_severity(en->finding);
	const char *remedy = render_text(jstr(en->finding, "remedy"), c ? c->remedy : NULL);
	struct desktop_note n = {
		.replaces_id = en->id,
		.category = "network.error",
		.details_action = true,
	};
	char *summary = render_summary(cause_title(en), en->tunnel, false);
	/* the measured values in the reader's language (the daemon's English without) */
	char *measured = vd_i18n_render_member(en->finding, "summary_message", "summary");
	char *body = render_body(measured, remedy, desktop_has_markup(a->dt));
	int r = -ENOMEM;

	free(measured);

	switch (sev) {
	case VD_SEV_ERROR:
		/* an error stays until the user dismisses it */
		n.icon = "dialog-error", n.urgency = 2, n.expire_ms = 0;
		break;
	case VD_SEV_WARNING:
		n.icon = "dialog-warning", n.urgency = 1, n.expire_ms = -1;
		break;
	default:
		n.icon = "network-vpn", n.urgency = 0, n.expire_ms = -1;
		n.category = "network";
		break;
	}
	n.summary = summary;
	n.body = body;
	if (summary && body)
		r = desktop_notify(a->dt, &n, notify_done, en);
	free(summary);
	free(body);
	return r;
}

static int send_resolved(struct entry *en)
{
	struct agent *a = en->a;
	char *summary = render_summary(cause_title(en), en->tunnel, true);
	char *body = render_resolved_body(jint(en->finding, "since"), (int64_t)time(NULL));
	struct desktop_note n = {
		.replaces_id = en->id,
		.icon = "network-vpn",
		.category = "network",
		.urgency = 0,
		.expire_ms = -1,
		.summary = summary,
		.body = body,
	};
	int r = -ENOMEM;

	if (summary && body)
		r = desktop_notify(a->dt, &n, notify_done, en);
	free(summary);
	free(body);
	return r;
}

/* Moves what the desktop shows towards what the daemon says, within the
 * limits; called again when a reply or the interval's end allows more. */
static void entry_flush(struct entry *en)
{
	struct agent *a = en->a;
	enum want want;
	char *sig = NULL;
	uint64_t now, gate;
	int r;

	if (en->in_flight || !desktop_ready(a->dt))
		return;
	if (wanted_open(a, en))
		want = WANT_OPEN;
	else if (!en->daemon_open && !en->quiet_close)
		want = WANT_RESOLVED;
	else
		want = WANT_NONE;

	switch (want) {
	case WANT_NONE:
		/* explained by another cause, or filtered: it goes without a word */
		if (en->shown == SHOWN_OPEN) {
			(void)desktop_close(a->dt, en->id);
			en->shown = SHOWN_NONE;
			free(en->shown_sig);
			en->shown_sig = NULL;
		}
		return;
	case WANT_RESOLVED:
		if (en->shown != SHOWN_OPEN)
			return;
		break;
	case WANT_OPEN:
		sig = signature(en->finding);
		if (!sig)
			return;
		if (en->shown == SHOWN_OPEN && en->shown_sig && strcmp(sig, en->shown_sig) == 0) {
			free(sig);
			return;
		}
		break;
	}
	now = now_usec(a);
	/* a resolution waits only for a failed Notify's retry time */
	gate = en->next_retry;
	if (want == WANT_OPEN && en->next_open > gate)
		gate = en->next_open;
	if (now < gate) {
		arm_timer(en, gate);
		free(sig);
		return;
	}
	r = want == WANT_OPEN ? send_open(en) : send_resolved(en);
	if (r < 0) {
		nlog(LOG_WARNING, "cannot send a notification: %s", strerror(-r));
		free(sig);
		return;
	}
	en->in_flight = true;
	en->sending = want == WANT_OPEN ? SHOWN_OPEN : SHOWN_RESOLVED;
	free(en->sending_sig);
	en->sending_sig = sig;
	if (want == WANT_OPEN)
		en->next_open = now + (uint64_t)a->set->interval_s * USEC_PER_SEC;
}

static void flush_all(struct agent *a)
{
	for (size_t i = 0; i < a->n_entries; i++)
		entry_flush(a->entries[i]);
}

/* An opened/updated/resolved finding, from an event or a GetStatus. */
static void apply(struct agent *a, const cJSON *finding, bool open)
{
	const char *cause = jstr(finding, "cause"), *tunnel = jstr(finding, "tunnel");
	struct entry *en;
	cJSON *copy;

	if (!cause || !vd_cause_find(cause)) {
		nlog(LOG_DEBUG, "ignoring a finding of unknown cause %s", cause ? cause : "(none)");
		return;
	}
	if (!tunnel)
		tunnel = "";
	en = open ? entry_get(a, tunnel, cause) : entry_find(a, tunnel, cause);
	if (!en)
		return;
	copy = cJSON_Duplicate(finding, true);
	if (!copy)
		return;
	cJSON_Delete(en->finding);
	en->finding = copy;
	en->daemon_open = open;
	en->quiet_close = !open && jstr(finding, "suppressed_by") != NULL;
	en->gen = a->gen;
	/* its state may change whether others are suppressed */
	flush_all(a);
}

/* ---- --once ---- */

static void check_once_done(struct agent *a)
{
	if (!a->once_applied || !desktop_ready(a->dt))
		return;
	for (size_t i = 0; i < a->n_entries; i++) {
		struct entry *en = a->entries[i];
		if (en->in_flight)
			return;
		if (!en->failed && wanted_open(a, en) && en->shown != SHOWN_OPEN)
			return;
	}
	for (size_t i = 0; i < a->n_entries; i++)
		if (a->entries[i]->failed)
			a->exit_status = 1;
	sd_event_exit(a->e, 0);
}

/* ---- Details ---- */

static void details_fallback(struct entry *en);

static int child_cb(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	struct entry *en = userdata;

	if (si->si_code != CLD_EXITED || si->si_status != 0) {
		nlog(LOG_NOTICE, "xdg-open failed (status %d): showing the details as a notification", si->si_status);
		details_fallback(en);
	}
	en->details_child = sd_event_source_unref(en->details_child);
	return 0;
}

static void fallback_done(void *userdata, uint32_t id, int err, const char *error_name)
{
	struct entry *en = userdata;

	if (err < 0)
		nlog(LOG_WARNING, "cannot show the details: %s", error_name ? error_name : strerror(-err));
	else
		en->details_id = id;
}

static void details_fallback(struct entry *en)
{
	struct agent *a = en->a;
	const struct vd_cause *c = vd_cause_find(en->cause);
	char *summary = render_summary(cause_title(en), en->tunnel, false);
	char *body = render_details_text(en->finding, c, desktop_has_markup(a->dt));
	struct desktop_note n = {
		.replaces_id = en->details_id,
		.icon = "network-vpn",
		.category = "network",
		.urgency = 1,
		.expire_ms = 0,
		.summary = summary,
		.body = body,
	};
	int r = -ENOMEM;

	if (summary && body)
		r = desktop_notify(a->dt, &n, fallback_done, en);
	if (r < 0)
		nlog(LOG_WARNING, "cannot show the details: %s", strerror(-r));
	free(summary);
	free(body);
}

/* Only characters that need no quoting anywhere make it into a file name. */
static void safe_name(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < len && src[i]; i++) {
		char ch = src[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		          ch == '-' || ch == '_';
		dst[i] = ok ? ch : '_';
	}
	dst[i] = '\0';
}

static int write_file(const char *path, const char *text)
{
	size_t len = strlen(text), off = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600), r = 0;

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/* The way a desktop user expects "Details": a page in their browser, written
 * to $XDG_RUNTIME_DIR (private, tmpfs, gone at logout) and opened with
 * xdg-open; where that is impossible, the full text as a notification. The
 * page links to a second one beside it, timeline-TUNNEL.html: the tunnel's
 * last week drawn as vpndoctor report's timeline.html is (the same renderer,
 * lib/tlchart.c), from GetTimeline and GetHistory asked for when Details is
 * clicked, so it is as fresh as the click. It is this user's copy, written
 * by the agent as the user, and needs no browser access to the daemon's
 * socket. When the daemon does not answer within FETCH_TIMEOUT_S, the page
 * comes without the link. */
static void details_open(struct entry *en, const cJSON *timeline, const cJSON *history)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char dir[512], path[768], tpath[768], t[64], c[64], tname[96];
	char *html = NULL;
	char *argv[9];
	const char *href = NULL;
	size_t n = 0;
	pid_t pid;
	int r;

	if (!rt || rt[0] != '/' || !en->finding)
		goto fallback;
	if (snprintf(dir, sizeof(dir), "%s/vpndoctor", rt) >= (int)sizeof(dir))
		goto fallback;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		nlog(LOG_WARNING, "cannot create %s: %m", dir);
		goto fallback;
	}
	safe_name(t, sizeof(t), en->tunnel[0] ? en->tunnel : "host");
	safe_name(c, sizeof(c), en->cause);
	if (timeline) {
		int64_t now = (int64_t)time(NULL);
		cJSON *events = cJSON_CreateArray(), *e;
		char *page = NULL;

		/* the finding's tunnel's events, and the host's; all for a host finding */
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(history, "events")) {
			const char *et = jstr(e, "tunnel");

			if (events && (!en->tunnel[0] || !et || !et[0] || strcmp(et, en->tunnel) == 0))
				cJSON_AddItemToArray(events, cJSON_Duplicate(e, true));
		}
		if (events)
			page = vd_tlchart_html(cJSON_GetObjectItemCaseSensitive(timeline, "samples"), events, NULL,
			                       now - (int64_t)TIMELINE_DAYS * 86400, now, now);
		cJSON_Delete(events);

		snprintf(tname, sizeof(tname), "timeline-%s.html", t);
		snprintf(tpath, sizeof(tpath), "%s/%s", dir, tname);
		r = page ? write_file(tpath, page) : -ENOMEM;
		free(page);
		if (r < 0)
			nlog(LOG_WARNING, "cannot write %s: %s", tpath, strerror(-r));
		else
			href = tname;
	}
	snprintf(path, sizeof(path), "%s/%s-%s.html", dir, t, c);
	html = render_details_html(en->finding, vd_cause_find(en->cause), href);
	if (!html)
		goto fallback;
	r = write_file(path, html);
	free(html);
	if (r < 0) {
		nlog(LOG_WARNING, "cannot write %s: %s", path, strerror(-r));
		goto fallback;
	}
	/* Under systemd (a user unit) a browser started from here would live in
	 * our cgroup and die with a restart of the agent: a scope of its own. */
	if (getenv("INVOCATION_ID")) {
		static char *const scope[] = {"systemd-run", "--user", "--scope", "--quiet", "--collect", "--"};
		memcpy(argv, scope, sizeof(scope));
		n = VD_ARRAY_SIZE(scope);
	}
	argv[n++] = (char *)"xdg-open";
	argv[n++] = path;
	argv[n] = NULL;
	r = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (r != 0) {
		nlog(LOG_NOTICE, "cannot run %s: %s", argv[0], strerror(r));
		goto fallback;
	}
	/* one watched at a time: an earlier one still running goes unwatched */
	en->details_child = sd_event_source_disable_unref(en->details_child);
	r = sd_event_add_child(en->a->e, &en->details_child, pid, WEXITED, child_cb, en);
	if (r < 0) {
		/* it runs; only its end goes unwatched (and is reaped by nobody) */
		nlog(LOG_WARNING, "cannot watch xdg-open: %s", strerror(-r));
		return;
	}
	nlog(LOG_DEBUG, "opened %s", path);
	return;
fallback:
	details_fallback(en);
}

static void fetch_free(struct tl_fetch *t)
{
	if (!t)
		return;
	vlconn_free(t->c);
	sd_event_source_disable_unref(t->timeout);
	cJSON_Delete(t->timeline);
	cJSON_Delete(t->history);
	free(t);
}

/* The fetch is over (answered, refused, gone or timed out): the page opens
 * with what came. */
static void fetch_end(struct tl_fetch *t)
{
	struct entry *en = t->en;

	en->fetch = NULL;
	details_open(en, t->ok ? t->timeline : NULL, t->ok ? t->history : NULL);
	fetch_free(t);
}

static void fetch_reply(void *userdata, struct vlconn *c, const struct vd_varlink_reply *reply)
{
	struct tl_fetch *t = userdata;
	cJSON *into = t->timeline_done ? t->history : t->timeline;

	if (reply->error) {
		/* an older daemon without GetTimeline, or a tunnel it forgot */
		nlog(LOG_INFO, "no timeline for the Details page: %s", reply->error);
		t->ok = false;
		fetch_end(t);
		return;
	}
	if (vd_varlink_merge(into, reply->parameters) < 0) {
		t->ok = false;
		fetch_end(t);
		return;
	}
	if (reply->continues)
		return;
	if (!t->timeline_done) {
		t->timeline_done = true;
		return;
	}
	t->ok = true;
	fetch_end(t);
}

static void fetch_closed(void *userdata, struct vlconn *c, int err)
{
	struct tl_fetch *t = userdata;

	nlog(LOG_INFO, "no timeline for the Details page: %s", strerror(-err));
	t->ok = false;
	fetch_end(t);
}

static const struct vlconn_ops fetch_ops = {
	.reply = fetch_reply,
	.closed = fetch_closed,
};

static int fetch_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct tl_fetch *t = userdata;

	nlog(LOG_INFO, "no timeline for the Details page: vpndoctord did not answer within %u s", FETCH_TIMEOUT_S);
	t->ok = false;
	fetch_end(t);
	return 0;
}

static void details_show(struct entry *en)
{
	struct agent *a = en->a;
	int64_t since = (int64_t)time(NULL) - (int64_t)TIMELINE_DAYS * 86400;
	cJSON *tp = cJSON_CreateObject(), *hp = cJSON_CreateObject();
	struct tl_fetch *t;
	int r = -ENOMEM;

	if (en->fetch) /* a second click while the first one's page is coming */
		goto out;
	t = calloc(1, sizeof(*t));
	if (!t || !tp || !hp || !cJSON_AddNumberToObject(tp, "since", (double)since) ||
	    !cJSON_AddNumberToObject(tp, "resolution", TIMELINE_RES_S) ||
	    (en->tunnel[0] && !cJSON_AddStringToObject(tp, "tunnel", en->tunnel)) ||
	    !cJSON_AddNumberToObject(hp, "since", (double)since) || !(t->timeline = cJSON_CreateObject()) ||
	    !(t->history = cJSON_CreateObject())) {
		fetch_free(t);
		goto fail;
	}
	t->en = en;
	r = vlconn_open(a->e, a->socket_path, &fetch_ops, t, &t->c);
	if (r >= 0)
		r = vlconn_call(t->c, "io.vpndoctor.GetTimeline", tp, VD_VARLINK_CALL_MORE);
	if (r >= 0)
		r = vlconn_call(t->c, "io.vpndoctor.GetHistory", hp, VD_VARLINK_CALL_MORE);
	if (r >= 0)
		r = sd_event_add_time_relative(a->e, &t->timeout, CLOCK_MONOTONIC, FETCH_TIMEOUT_S * USEC_PER_SEC, 0,
		                               fetch_timeout, t);
	if (r < 0) {
		fetch_free(t);
		goto fail;
	}
	en->fetch = t;
	goto out;
fail:
	/* no daemon to ask: the page without its timeline */
	nlog(LOG_INFO, "no timeline for the Details page: %s", strerror(-r));
	details_open(en, NULL, NULL);
out:
	cJSON_Delete(tp);
	cJSON_Delete(hp);
}

/* ---- desktop callbacks ---- */

static void on_ready(void *userdata)
{
	struct agent *a = userdata;

	flush_all(a);
	if (a->once)
		check_once_done(a);
}

static void on_server_changed(void *userdata)
{
	struct agent *a = userdata;

	for (size_t i = 0; i < a->n_entries; i++)
		a->entries[i]->id = a->entries[i]->details_id = 0;
}

static void on_action(void *userdata, uint32_t id, const char *key)
{
	struct agent *a = userdata;
	struct entry *en = entry_by_id(a, id);

	if (!en || (strcmp(key, "details") != 0 && strcmp(key, "default") != 0))
		return;
	nlog(LOG_DEBUG, "details of %s on %s", en->cause, en->tunnel);
	details_show(en);
}

static const struct desktop_ops desktop_ops = {
	.ready = on_ready,
	.server_changed = on_server_changed,
	.action = on_action,
};

/* ---- the daemon ---- */

static void connect_daemon(struct agent *a);

static int reconnect_cb(sd_event_source *s, uint64_t usec, void *userdata)
{
	connect_daemon(userdata);
	return 0;
}

static void schedule_reconnect(struct agent *a)
{
	uint64_t when = now_usec(a) + (uint64_t)a->backoff_s * USEC_PER_SEC;
	int r;

	nlog(LOG_DEBUG, "reconnecting in %u s", a->backoff_s);
	if (a->reconnect) {
		r = sd_event_source_set_time(a->reconnect, when);
		if (r >= 0)
			r = sd_event_source_set_enabled(a->reconnect, SD_EVENT_ONESHOT);
	} else {
		r = sd_event_add_time(a->e, &a->reconnect, CLOCK_MONOTONIC, when, 0, reconnect_cb, a);
	}
	if (r < 0) {
		nlog(LOG_ERR, "cannot arm the reconnect timer: %s", strerror(-r));
		a->exit_status = 1;
		sd_event_exit(a->e, 1);
	}
	a->backoff_s = a->backoff_s * 2 > AGENT_BACKOFF_MAX_S ? AGENT_BACKOFF_MAX_S : a->backoff_s * 2;
}

static void drop_connections(struct agent *a)
{
	vlconn_free(a->sub);
	vlconn_free(a->status);
	a->sub = a->status = NULL;
	a->subscribed = false;
	if (a->poll)
		sd_event_source_set_enabled(a->poll, SD_EVENT_OFF);
}

static void lost(struct agent *a, const char *why)
{
	if (a->once) {
		nlog(LOG_ERR, "vpndoctord at %s: %s", a->socket_path, why);
		a->exit_status = 1;
		drop_connections(a);
		sd_event_exit(a->e, 1);
		return;
	}
	if (a->subscribed)
		nlog(LOG_NOTICE, "lost vpndoctord at %s (%s); reconnecting", a->socket_path, why);
	drop_connections(a);
	schedule_reconnect(a);
}

static bool stale(const struct agent *a, const struct entry *en)
{
	return en->daemon_open && en->gen != a->gen;
}

static void request_status(struct agent *a);

static int poll_cb(sd_event_source *s, uint64_t usec, void *userdata)
{
	request_status(userdata);
	return 0;
}

/* After a reconnect, findings we showed open that the daemon no longer lists
 * resolved while we were away, or the daemon restarted and has not measured
 * again yet. They resolve only once its probes have all run and the cause's
 * grace period has passed without it reopening: a restart of the daemon is
 * not a "resolved" followed by an "opened" on the user's screen. */
static void settle(struct agent *a, const cJSON *probes)
{
	const cJSON *p;
	uint64_t now = now_usec(a);
	bool warm = true, pending = false;
	int r;

	cJSON_ArrayForEach(p, probes) {
		const char *st = jstr(p, "status");
		if (st && strcmp(st, "never") == 0)
			warm = false;
	}
	if (!a->warm_at && (warm || now >= a->subscribed_at + WARMUP_MAX_S * USEC_PER_SEC))
		a->warm_at = now;
	for (size_t i = 0; i < a->n_entries; i++) {
		struct entry *en = a->entries[i];
		const struct vd_cause *c = vd_cause_find(en->cause);
		uint64_t grace = (uint64_t)((c ? c->grace_s : 0) + SETTLE_MARGIN_S) * USEC_PER_SEC;

		if (!stale(a, en))
			continue;
		if (a->warm_at && now >= a->warm_at + grace) {
			nlog(LOG_INFO, "%s on %s resolved while disconnected", en->cause, en->tunnel);
			en->daemon_open = false;
			en->quiet_close = false;
			en->gen = a->gen;
			entry_flush(en);
		} else {
			pending = true;
		}
	}
	if (!pending)
		return;
	if (a->poll) {
		r = sd_event_source_set_time(a->poll, now + POLL_S * USEC_PER_SEC);
		if (r >= 0)
			r = sd_event_source_set_enabled(a->poll, SD_EVENT_ONESHOT);
	} else {
		r = sd_event_add_time(a->e, &a->poll, CLOCK_MONOTONIC, now + POLL_S * USEC_PER_SEC, 0, poll_cb, a);
	}
	if (r < 0)
		nlog(LOG_WARNING, "cannot arm the status timer: %s", strerror(-r));
}

static void status_reply(void *userdata, struct vlconn *c, const struct vd_varlink_reply *reply)
{
	struct agent *a = userdata;
	const cJSON *f;

	vlconn_free(a->status);
	a->status = NULL;
	if (reply->error) {
		nlog(LOG_WARNING, "vpndoctord refused GetStatus: %s", reply->error);
		if (a->once)
			lost(a, reply->error);
		return;
	}
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(reply->parameters, "findings")) {
		const char *cause = jstr(f, "cause"), *tunnel = jstr(f, "tunnel");
		struct entry *en = cause ? entry_find(a, tunnel ? tunnel : "", cause) : NULL;

		/* what an event of this subscription said is newer than this */
		if (en && en->gen == a->gen && !stale(a, en))
			continue;
		apply(a, f, true);
	}
	if (a->once) {
		a->once_applied = true;
		check_once_done(a);
		return;
	}
	settle(a, cJSON_GetObjectItemCaseSensitive(reply->parameters, "probes"));
}

static void status_closed(void *userdata, struct vlconn *c, int err)
{
	struct agent *a = userdata;

	vlconn_free(a->status);
	a->status = NULL;
	if (a->once)
		lost(a, strerror(-err));
	/* otherwise the subscription's end, if any, does the reconnecting */
}

static const struct vlconn_ops status_ops = {
	.reply = status_reply,
	.closed = status_closed,
};

static void request_status(struct agent *a)
{
	int r;

	if (a->status)
		return;
	r = vlconn_open(a->e, a->socket_path, &status_ops, a, &a->status);
	if (r >= 0) {
		r = vlconn_call(a->status, "io.vpndoctor.GetStatus", NULL, 0);
		if (r < 0) {
			vlconn_free(a->status);
			a->status = NULL;
		}
	}
	if (r < 0) {
		if (a->once)
			lost(a, strerror(-r));
		else
			nlog(LOG_WARNING, "cannot ask vpndoctord for its status: %s", strerror(-r));
	}
}

static void sub_reply(void *userdata, struct vlconn *c, const struct vd_varlink_reply *reply)
{
	struct agent *a = userdata;
	const char *ev = jstr(reply->parameters, "event");
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(reply->parameters, "finding");

	if (reply->error) {
		if (strcmp(reply->error, VD_VARLINK_ERROR_PERMISSION_DENIED) == 0)
			nlog(LOG_ERR, "vpndoctord at %s denies access: add this user to the group vpndoctor "
			     "and log in again", a->socket_path);
		else
			nlog(LOG_WARNING, "vpndoctord refused Subscribe: %s", reply->error);
		lost(a, reply->error);
		return;
	}
	if (!ev) {
		nlog(LOG_WARNING, "a Subscribe reply without an event: ignored");
	} else if (strcmp(ev, "subscribed") == 0) {
		a->subscribed = true;
		a->backoff_s = AGENT_BACKOFF_MIN_S;
		a->last_connect_err = 0;
		a->gen++;
		a->subscribed_at = now_usec(a);
		a->warm_at = 0;
		nlog(LOG_INFO, "following vpndoctord at %s", a->socket_path);
		request_status(a);
	} else if (!cJSON_IsObject(f)) {
		nlog(LOG_WARNING, "a %s event without a finding: ignored", ev);
	} else if (strcmp(ev, "opened") == 0 || strcmp(ev, "updated") == 0) {
		apply(a, f, true);
	} else if (strcmp(ev, "resolved") == 0) {
		apply(a, f, false);
	}
	if (!reply->continues && a->sub)
		lost(a, "the subscription ended");
}

static void sub_closed(void *userdata, struct vlconn *c, int err)
{
	struct agent *a = userdata;

	lost(a, err == -ECONNRESET ? "connection closed" : strerror(-err));
}

static const struct vlconn_ops sub_ops = {
	.reply = sub_reply,
	.closed = sub_closed,
};

static void connect_daemon(struct agent *a)
{
	int r;

	if (a->once) {
		request_status(a);
		return;
	}
	r = vlconn_open(a->e, a->socket_path, &sub_ops, a, &a->sub);
	if (r >= 0) {
		r = vlconn_call(a->sub, "io.vpndoctor.Subscribe", NULL, VD_VARLINK_CALL_MORE);
		if (r < 0) {
			vlconn_free(a->sub);
			a->sub = NULL;
		}
	}
	if (r < 0) {
		/* "not there yet" is normal at login: said once, not every retry */
		nlog(r == a->last_connect_err ? LOG_DEBUG : LOG_NOTICE, "cannot connect to vpndoctord at %s: %s",
		     a->socket_path, strerror(-r));
		a->last_connect_err = r;
		schedule_reconnect(a);
	}
}

int agent_new(sd_event *e, const char *socket_path, const struct settings *s, bool once, struct agent **ret)
{
	struct agent *a = calloc(1, sizeof(*a));
	int r;

	if (!a)
		return -ENOMEM;
	a->e = sd_event_ref(e);
	a->set = s;
	a->socket_path = socket_path;
	a->once = once;
	a->backoff_s = AGENT_BACKOFF_MIN_S;
	r = desktop_new(e, &desktop_ops, a, &a->dt);
	if (r < 0) {
		agent_free(a);
		return r;
	}
	connect_daemon(a);
	*ret = a;
	return 0;
}

void agent_free(struct agent *a)
{
	if (!a)
		return;
	drop_connections(a);
	/* the bus first: its pending calls point at the entries */
	desktop_free(a->dt);
	sd_event_source_disable_unref(a->reconnect);
	sd_event_source_disable_unref(a->poll);
	for (size_t i = 0; i < a->n_entries; i++)
		entry_free(a->entries[i]);
	free(a->entries);
	sd_event_unref(a->e);
	free(a);
}

int agent_exit_status(const struct agent *a)
{
	return a->exit_status;
}
