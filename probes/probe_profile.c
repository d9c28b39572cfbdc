/* The profile probe: vd_profile_check() on a tunnel's Config= on a timer and
 * at once when the file or one it references changes; for a discovered
 * client with no config file (NetworkManager's plugin gives openvpn its
 * options on the command line) the same check of that command line's
 * options (vd_profile_check_text), its files read as that process's
 * principal; for a NetworkManager connection no process runs, the same
 * check of its settings (probe_tunnel.nm_profile), before it connects. Checking runs inside
 * start(): it is fast local I/O (a few small files, size-bounded by the lib)
 * and never waits on the network, so the loop is not held up in practice.
 * Changes are seen through inotify on the files' directories, so an editor's
 * or a package manager's replace-by-rename is seen as well as a write; the
 * watches of every tunnel share one inotify instance (fswatch.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "fswatch.h"
#include "probe.h"
#include "probe_util.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/profile.h"

#define PROFILE_DEBOUNCE_MS 150 /* one run for an editor's burst of events */
#define PROFILE_MAX_WATCHES 32
#define PROFILE_MAX_FILES 64

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | \
                    IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

struct watch {
	struct fswatch *fw;
	char *dir;
	char **names;
	size_t n_names;
};

struct profile_state {
	cJSON *last;  /* the last section, for a run while the owner is gone */
	struct event_base *base;
	struct event *debounce;
	struct probe_slot *slot;
	struct watch *w;
	size_t n;
};

struct files {
	char *v[PROFILE_MAX_FILES];
	size_t n;
	const struct vd_proc_id *owner;
	bool gone;   /* the process went away: its principal is unknown */
};

static void watch_clear(struct watch *w)
{
	fswatch_free(w->fw);
	free(w->dir);
	for (size_t i = 0; i < w->n_names; i++)
		free(w->names[i]);
	free(w->names);
}

static void profile_free_state(void *p)
{
	struct profile_state *st = p;

	if (!st)
		return;
	if (st->debounce)
		event_free(st->debounce);
	cJSON_Delete(st->last);
	for (size_t i = 0; i < st->n; i++)
		watch_clear(&st->w[i]);
	free(st->w);
	free(st);
}

static bool watch_has(const struct watch *w, const char *name)
{
	for (size_t i = 0; i < w->n_names; i++)
		if (strcmp(w->names[i], name) == 0)
			return true;
	return false;
}

static void on_debounce(evutil_socket_t fd, short what, void *arg)
{
	struct profile_state *st = arg;

	probe_slot_trigger(st->slot);
}

static void on_change(void *userdata, const struct inotify_event *e)
{
	struct profile_state *st = userdata;
	bool hit = (e->mask & (IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) != 0;

	for (size_t i = 0; i < st->n && !hit; i++)
		if (fswatch_wd(st->w[i].fw) == e->wd && e->len && watch_has(&st->w[i], e->name))
			hit = true;
	if (hit) {
		struct timeval tv = {0, PROFILE_DEBOUNCE_MS * 1000};
		evtimer_add(st->debounce, &tv); /* re-adding restarts the delay */
	}
}

static int state_new(struct probe_run *run, struct profile_state **ret)
{
	struct profile_state *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	st->slot = run->slot;
	st->base = run->base;
	st->debounce = evtimer_new(run->base, on_debounce, st);
	if (!st->debounce) {
		profile_free_state(st);
		return -ENOMEM;
	}
	*ret = st;
	return 0;
}

/* Splits path into a directory and a name; relative paths are taken from base. */
static int split(const char *path, const char *base, char **dir, char **name)
{
	char *full = NULL, *slash;

	if (path[0] == '/') {
		full = strdup(path);
	} else {
		const char *b = strrchr(base, '/');
		if (asprintf(&full, "%.*s/%s", b ? (int)(b - base) : 1, b ? base : ".", path) < 0)
			full = NULL;
	}
	if (!full)
		return -ENOMEM;
	slash = strrchr(full, '/');
	*name = strdup(slash + 1);
	*dir = slash == full ? strdup("/") : strndup(full, (size_t)(slash - full));
	free(full);
	if (!*name || !*dir) {
		free(*name);
		free(*dir);
		return -ENOMEM;
	}
	return 0;
}

/* The watch set becomes the directories of files; a directory that does not
 * exist cannot be watched, and the timer covers it. A directory watched only
 * from now on may have changed after the check read it and before its watch
 * was in place (a key put back while the check ran): one more check follows,
 * with the watch in place. Returns 0, or the -errno of running out of
 * watches (a limit of the user's, or memory). */
static int watches_update(struct profile_state *st, const char *config, const struct files *files,
                          const struct vd_proc_id *owner)
{
	struct watch *nw = calloc(PROFILE_MAX_WATCHES, sizeof(*nw));
	size_t nn = 0;
	int ret = 0;
	bool added = false;

	if (!nw)
		return -ENOMEM;
	for (size_t i = 0; i <= files->n; i++) {
		const char *path = i == files->n ? config : files->v[i];
		char *dir, *name;
		size_t k;

		/* a command line's profile: no file of its own to watch */
		if (!path || split(path, config ? config : "/", &dir, &name) < 0)
			continue;
		for (k = 0; k < nn && strcmp(nw[k].dir, dir) != 0; k++)
			;
		if (k == nn) {
			/* added as whoever the files are read as (daemon/priv.h) */
			int r = nn < PROFILE_MAX_WATCHES
			                ? fswatch_add_as(st->base, owner, dir, WATCH_MASK, on_change, st, &nw[nn].fw)
			                                 : -ENOENT;
			if (r < 0) {
				if (r == -EMFILE || r == -ENFILE || r == -ENOSPC || r == -ENOMEM)
					ret = ret ? ret : r;
				free(dir);
				free(name);
				continue;
			}
			nw[nn].dir = dir;
			nn++;
			size_t j;
			for (j = 0; j < st->n && strcmp(st->w[j].dir, dir) != 0; j++)
				;
			added |= j == st->n;
		} else {
			free(dir);
		}
		char **v = watch_has(&nw[k], name) ? NULL : realloc(nw[k].names, (nw[k].n_names + 1) * sizeof(*v));
		if (v) {
			nw[k].names = v;
			v[nw[k].n_names++] = name;
		} else {
			free(name);
		}
	}
	/* the new watches are in place before the old go: a directory in both
	 * keeps its kernel watch, and no event between is lost */
	for (size_t i = 0; i < st->n; i++)
		watch_clear(&st->w[i]);
	free(st->w);
	st->w = nw;
	st->n = nn;
	if (added) {
		struct timeval tv = {0, PROFILE_DEBOUNCE_MS * 1000};
		evtimer_add(st->debounce, &tv);
	}
	return ret;
}

/* Every file the check opens, so that it can be watched; each opened as
 * the principal of the process the tunnel was found running (the
 * administrator's for a [Tunnel] of vpndoctor.conf): daemon/priv.h. */
static int recording_read(void *userdata, const char *path, size_t max, char **ret, size_t *ret_len)
{
	struct files *f = userdata;
	int r;

	if (f->n < PROFILE_MAX_FILES) {
		char *p = strdup(path);
		if (p)
			f->v[f->n++] = p;
	}
	r = probe_read(f->owner, path, max, ret, ret_len);
	if (r == -ESRCH)
		f->gone = true;
	return r;
}

static int profile_start(struct probe_run *run)
{
	const struct probe_tunnel *t = run->tunnel;
	struct profile_state *st = *run->state;
	struct files files = {.n = 0, .owner = &t->owner};
	char read_as[160];
	struct vd_profile_opts opts = {.read = recording_read, .userdata = &files, .no_quote = true};
	cJSON *section = NULL;
	const cJSON *status;
	enum probe_status ps;
	int r;

	char *text = NULL, name[64], cwd[PATH_MAX];
	size_t tlen = 0;

	if (!t || (!t->config && t->pid <= 0 && !t->nm_profile)) {
		PROBE_ERROR(run, N_("no Config= for this tunnel"));
		probe_run_done(run, PROBE_UNKNOWN, NULL);
		return 0;
	}
	if (!t->config && t->pid <= 0) {
		/* a NetworkManager connection no process runs: its settings, as the
		 * plugin would give them to openvpn (vd_nm_openvpn_profile), so that
		 * it is checked before it connects */
		snprintf(name, sizeof(name), "nm:%s", t->nm_uuid ? t->nm_uuid : "");
		if (!(text = strdup(t->nm_profile))) {
			probe_run_done(run, PROBE_UNKNOWN, NULL);
			return 0;
		}
		tlen = strlen(text);
		opts.basedir = "/";
	} else if (!t->config) {
		/* no file: the options NetworkManager's plugin gave on the command line */
		r = pu_cmdline_profile(t, &text, &tlen, name, sizeof(name), cwd, sizeof(cwd));
		if (r < 0 && st && st->last) {
			/* gone: what was seen while it ran stands until it is back */
			probe_run_done(run, PROBE_UNKNOWN, cJSON_Duplicate(st->last, true));
			return 0;
		}
		if (r < 0) {
			PROBE_ERROR(run, N_("cannot read the command line of openvpn pid {pid}: {error}"),
			            VD_NUM("pid", t->pid, 0), VD_TEXT("error", strerror(-r)));
			probe_run_done(run, PROBE_UNKNOWN, NULL);
			return 0;
		}
		opts.basedir = cwd[0] ? cwd : "/";
	}
	if (!st) {
		r = state_new(run, &st);
		if (r < 0)
			PROBE_ERROR(run, N_("inotify: {error} (changes are seen on the timer only)"),
			            VD_TEXT("error", strerror(-r)));
		else
			*run->state = st;
	}
	if (!t->config && t->pid <= 0 && t->nm_user)
		snprintf(read_as, sizeof(read_as), "%.64s (the user NetworkManager's connection is kept to)", t->nm_user);
	else if (!t->config && t->pid <= 0)
		snprintf(read_as, sizeof(read_as), "root (a NetworkManager connection of no one user)");
	else
		vd_proc_describe(&t->owner, read_as, sizeof(read_as));
	opts.read_as = read_as;
	if (t->config)
		r = vd_profile_check(t->config, &opts, &section);
	else
		r = vd_profile_check_text(name, text, tlen, &opts, &section);
	free(text);
	if (r == 0 && files.gone && st && st->last) {
		/* the client is gone, and with it whose rights its files are read
		 * with: what was seen while it ran stands until it is back */
		cJSON_Delete(section);
		section = cJSON_Duplicate(st->last, true);
		r = section ? 0 : -ENOMEM;
	} else if (r == 0 && st) {
		cJSON_Delete(st->last);
		st->last = cJSON_Duplicate(section, true);
	}
	if (st) {
		int w = watches_update(st, t->config, &files, &t->owner);
		if (w < 0)
			PROBE_ERROR(run, N_("inotify: {error} (changes are seen on the timer only)"),
			            VD_TEXT("error", strerror(-w)));
	}
	for (size_t i = 0; i < files.n; i++)
		free(files.v[i]);
	if (r < 0) {
		PROBE_ERROR(run, N_("profile check failed: {error}"), VD_TEXT("error", strerror(-r)));
		probe_run_done(run, PROBE_FAIL, NULL);
		return 0;
	}
	status = cJSON_GetObjectItemCaseSensitive(section, VDF_SECTION_STATUS);
	if (cJSON_IsString(status) && strcmp(status->valuestring, "ok") == 0)
		ps = PROBE_OK;
	else if (cJSON_IsString(status) && strcmp(status->valuestring, "unknown") == 0)
		ps = PROBE_UNKNOWN;
	else
		ps = PROBE_FAIL;
	probe_run_done(run, ps, section);
	return 0;
}

const struct probe probe_profile = {
	.name = "profile",
	.section = VDF_TUNNEL_PROFILE,
	.config_section = "Profile",
	.per_tunnel = true,
	.interval_s = 300,
	.events = PROBE_EV_FILE | PROBE_EV_RELOAD,
	.start = profile_start,
	.cancel = NULL, /* start() always finishes the run */
	.free_state = profile_free_state,
};
