/* The cloud facts files: read, watched, and applied to tunnels (cloud.h).
 *
 * The files are the administrator's (/etc/vpndoctor/cloud.d, or a path in
 * vpndoctor.conf), opened as the administrator's (daemon/priv.h: with the
 * engine's own rights first, the parent's for what the configuration read at
 * start names) with the checks every configured path gets (a regular file, of
 * bounded size, never waited on: a FIFO there does not hold the daemon). They
 * hold ids and addresses, no secret. Matching a tunnel takes its gateway's addresses from its facts and
 * the names of its profile's remotes, resolved here with evdns (only while
 * some cloud facts are loaded: no file, no lookup). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "cloud.h"
#include "config.h"
#include "log.h"
#include "priv.h"
#include "probes/probe_util.h"
#include "vpndoctor/cidr.h"
#include "vpndoctor/cloudfacts.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/principal.h"

/* The records of some files: sources numbered oldest first. */
struct cloud_src {
	struct vd_cloud_set set;
	char **files;
	int64_t *mtimes;
	size_t n;
};

/* A tunnel's CloudFacts= file. */
struct named_src {
	char *path;
	struct cloud_src src;
};

struct name_entry {
	char name[256];
	char addrs[8][INET6_ADDRSTRLEN];
	size_t n;
	int64_t expires;
	struct lookup *pending;
};

struct lookup {
	struct cloud *cl; /* NULL once the module is gone */
	struct evdns_getaddrinfo_request *req;
	struct name_entry *e;
};

struct cloud {
	struct event_base *base;
	cloud_changed_fn cb;
	void *ud;
	char *dir;                /* [Cloud] Directory=, or NULL */
	bool dir_set;             /* written in the configuration (a missing one is worth a line) */
	struct cloud_src dir_src;
	struct named_src *named;
	size_t n_named;
	int in_fd;
	struct event *in_ev, *settle;
	struct watch {
		int wd;
		char *dir;
		bool cloud_dir; /* [Cloud] Directory= itself: every *.json counts */
	} *watches;
	size_t n_watches;
	struct evdns_base *dns;
	bool resolving;           /* inside evdns_getaddrinfo: an answer now is no change */
	struct name_entry names[CLOUD_MAX_NAMES];
	size_t n_names;
};

static int64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

static void src_free(struct cloud_src *s)
{
	vd_cloud_set_free(&s->set);
	for (size_t i = 0; i < s->n; i++)
		free(s->files[i]);
	free(s->files);
	free(s->mtimes);
	memset(s, 0, sizeof(*s));
}

static bool is_json_name(const char *n)
{
	size_t l = strlen(n);
	return n[0] != '.' && l > 5 && strcmp(n + l - 5, ".json") == 0;
}

struct loaded {
	char *path;
	int64_t mtime;
	struct vd_cloud_set set;
};

/* One file, parsed; false after the one log line that says why not. */
static bool load_file(const char *shown, struct loaded *ret)
{
	struct vd_cloud_error err;
	struct stat st;
	char *text = NULL, buf[300];
	size_t len = 0;
	int fd = -1, r;

	memset(ret, 0, sizeof(*ret));
	r = priv_open(NULL, shown, VD_CLOUD_FILE_MAX, &fd);
	if (r == 0 && fstat(fd, &st) < 0)
		r = -errno;
	if (r == 0)
		r = vd_read_fd(fd, VD_CLOUD_FILE_MAX, &text, &len);
	if (fd >= 0)
		close(fd);
	if (r < 0) {
		log_warnx("cloud facts: %s: %s; the file is not used", shown,
		          r == -EFBIG ? "larger than 1 MiB" : r == -EINVAL ? "not a regular file" : strerror(-r));
		return false;
	}
	r = vd_cloud_parse(text, len, &ret->set, &err);
	free(text);
	if (r < 0) {
		if (r == -ENOMEM)
			log_warnx("cloud facts: %s: out of memory; the file is not used", shown);
		else if (err.answer[0] && err.field[0])
			log_warnx("cloud facts: %s: %s answer, %s; the file is not used", shown, err.answer,
			          vd_cloud_error_format(&err, buf, sizeof(buf)));
		else
			log_warnx("cloud facts: %s: %s; the file is not used", shown,
			          vd_cloud_error_format(&err, buf, sizeof(buf)));
		return false;
	}
	if (ret->set.partial)
		log_notice("cloud facts: %s: its %s answer is one page of several (TotalCount); run the command "
		           "with --pager to list them all",
		           shown, vd_cloud_answer_name(ret->set.partial_answer));
	if (!(ret->path = strdup(shown))) {
		vd_cloud_set_free(&ret->set);
		return false;
	}
	ret->mtime = (int64_t)st.st_mtim.tv_sec;
	return true;
}

static int by_age(const void *a, const void *b)
{
	const struct loaded *x = a, *y = b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* The loaded files into one source set, oldest first (the newest wins a match). */
static void gather(struct loaded *v, size_t n, struct cloud_src *out)
{
	qsort(v, n, sizeof(*v), by_age);
	memset(out, 0, sizeof(*out));
	out->files = calloc(n ? n : 1, sizeof(*out->files));
	out->mtimes = calloc(n ? n : 1, sizeof(*out->mtimes));
	for (size_t i = 0; i < n; i++) {
		if (!out->files || !out->mtimes || vd_cloud_set_merge(&out->set, &v[i].set, (unsigned)out->n) < 0) {
			log_warnx("cloud facts: %s: more records than %d in all, or out of memory; the file is not used",
			          v[i].path, VD_CLOUD_MAX_RECORDS);
			vd_cloud_set_free(&v[i].set);
			free(v[i].path);
			continue;
		}
		out->files[out->n] = v[i].path;
		out->mtimes[out->n++] = v[i].mtime;
	}
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_dir(struct cloud *cl)
{
	struct loaded *v = NULL;
	char **names = NULL;
	size_t n = 0, cap = 0, used = 0;
	struct dirent *de;
	DIR *d;
	int dfd = -1, r;

	if (!cl->dir)
		return;
	if ((r = priv_opendir(NULL, cl->dir, &dfd)) < 0 || !(d = fdopendir(dfd))) {
		if (r < 0)
			errno = -r;
		else
			close(dfd);
		if (errno != ENOENT || cl->dir_set)
			log_warn("cloud facts: %s", cl->dir);
		return;
	}
	while ((de = readdir(d))) {
		if (!is_json_name(de->d_name))
			continue;
		if (n == cap) {
			char **nv = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*nv));
			if (!nv)
				break;
			names = nv;
		}
		if (!(names[n] = strdup(de->d_name)))
			break;
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	if (n > CLOUD_MAX_FILES)
		log_warnx("cloud facts: %s holds %zu files; the first %d in name order are read", cl->dir, n,
		          CLOUD_MAX_FILES);
	v = calloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; v && i < n && i < CLOUD_MAX_FILES; i++) {
		char shown[PATH_MAX];
		snprintf(shown, sizeof(shown), "%s/%s", cl->dir, names[i]);
		if (load_file(shown, &v[used]))
			used++;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	if (v)
		gather(v, used, &cl->dir_src);
	free(v);
}

static void load_named(struct cloud *cl, const struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_tunnels; i++) {
		const char *p = cfg->tunnels[i].cloud_facts;
		struct named_src *nv;
		struct loaded one;
		bool dup = false;

		if (!p || !*p)
			continue;
		for (size_t k = 0; k < cl->n_named; k++)
			dup |= strcmp(cl->named[k].path, p) == 0;
		if (dup || !(nv = realloc(cl->named, (cl->n_named + 1) * sizeof(*nv))))
			continue;
		cl->named = nv;
		nv += cl->n_named;
		memset(nv, 0, sizeof(*nv));
		if (!(nv->path = strdup(p)))
			continue;
		cl->n_named++;
		if (load_file(p, &one))
			gather(&one, 1, &nv->src);
	}
}

/* ---- watching ---- */

static void watches_clear(struct cloud *cl)
{
	for (size_t i = 0; i < cl->n_watches; i++)
		free(cl->watches[i].dir);
	free(cl->watches);
	cl->watches = NULL;
	cl->n_watches = 0;
	if (cl->in_ev)
		event_free(cl->in_ev);
	cl->in_ev = NULL;
	if (cl->in_fd >= 0)
		close(cl->in_fd);
	cl->in_fd = -1;
}

/* Not IN_CREATE: `aliyun ... > FILE` creates the file, writes for seconds and
 * closes it; the close (or a rename into place) is when it is whole. */
#define WATCH_MASK \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

static void watch_dir(struct cloud *cl, const char *dir, bool cloud_dir)
{
	struct watch *v;
	int wd;

	for (size_t i = 0; i < cl->n_watches; i++)
		if (strcmp(cl->watches[i].dir, dir) == 0) {
			cl->watches[i].cloud_dir |= cloud_dir;
			return;
		}
	if ((wd = priv_watch(NULL, cl->in_fd, dir, WATCH_MASK)) < 0) {
		errno = -wd;
		if (errno != ENOENT)
			log_warn("cloud facts: cannot watch %s (changes are read on SIGHUP only)", dir);
		return;
	}
	if (!(v = realloc(cl->watches, (cl->n_watches + 1) * sizeof(*v))))
		return;
	cl->watches = v;
	v[cl->n_watches].wd = wd;
	v[cl->n_watches].cloud_dir = cloud_dir;
	if ((v[cl->n_watches].dir = strdup(dir)))
		cl->n_watches++;
}

static bool names_a_file(const struct cloud *cl, const struct watch *w, const char *name)
{
	char path[PATH_MAX];

	if (w->cloud_dir && is_json_name(name))
		return true;
	snprintf(path, sizeof(path), "%s/%s", w->dir, name);
	for (size_t i = 0; i < cl->n_named; i++)
		if (strcmp(cl->named[i].path, path) == 0)
			return true;
	return false;
}

static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct cloud *cl = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct timeval tv = {0, CLOUD_SETTLE_MS * 1000};
	bool relevant = false;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)(void *)p;
			for (size_t i = 0; i < cl->n_watches; i++) {
				if (cl->watches[i].wd != e->wd)
					continue;
				if ((e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_Q_OVERFLOW)) ||
				    (e->len && names_a_file(cl, &cl->watches[i], e->name)))
					relevant = true;
			}
			if (e->mask & IN_Q_OVERFLOW)
				relevant = true;
			p += sizeof(*e) + e->len;
		}
	}
	if (relevant)
		evtimer_add(cl->settle, &tv);
}

/* The directory of a CloudFacts= file, into buf. */
static const char *dir_of(const char *path, char *buf, size_t len)
{
	char *slash;

	snprintf(buf, len, "%s", path);
	if (!(slash = strrchr(buf, '/')))
		return NULL;
	*(slash == buf ? slash + 1 : slash) = '\0';
	return buf;
}

static void watches_setup(struct cloud *cl)
{
	char dir[PATH_MAX];

	watches_clear(cl);
	if (!cl->dir && !cl->n_named)
		return;
	cl->in_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (cl->in_fd < 0) {
		log_warn("cloud facts: inotify (changes are read on SIGHUP only)");
		return;
	}
	if (cl->dir)
		watch_dir(cl, cl->dir, true);
	for (size_t i = 0; i < cl->n_named; i++)
		if (dir_of(cl->named[i].path, dir, sizeof(dir)))
			watch_dir(cl, dir, false);
	/* inotify instances are few (128 per user by default): none for nothing
	 * (the watches go through priv_watch: a directory only root may read is
	 * watched all the same, so whether one exists is known only now) */
	if (!cl->n_watches) {
		watches_clear(cl);
		return;
	}
	cl->in_ev = event_new(cl->base, cl->in_fd, EV_READ | EV_PERSIST, on_inotify, cl);
	if (!cl->in_ev || event_add(cl->in_ev, NULL) < 0)
		log_warnx("cloud facts: out of memory for the file watches (changes are read on SIGHUP only)");
}

static void sources_free(struct cloud *cl)
{
	src_free(&cl->dir_src);
	for (size_t i = 0; i < cl->n_named; i++) {
		free(cl->named[i].path);
		src_free(&cl->named[i].src);
	}
	free(cl->named);
	cl->named = NULL;
	cl->n_named = 0;
}

unsigned cloud_files_used(const struct cloud *cl)
{
	size_t n = cl->dir_src.n;

	for (size_t i = 0; i < cl->n_named; i++)
		n += cl->named[i].src.n;
	return (unsigned)n;
}

static void reload(struct cloud *cl, const struct config *cfg)
{
	size_t before = cloud_files_used(cl);

	src_free(&cl->dir_src);
	for (size_t i = 0; i < cl->n_named; i++)
		src_free(&cl->named[i].src);
	if (cfg) {
		for (size_t i = 0; i < cl->n_named; i++)
			free(cl->named[i].path);
		free(cl->named);
		cl->named = NULL;
		cl->n_named = 0;
		load_named(cl, cfg);
	} else {
		/* the same files as before, read again */
		for (size_t i = 0; i < cl->n_named; i++) {
			struct loaded one;
			if (load_file(cl->named[i].path, &one))
				gather(&one, 1, &cl->named[i].src);
		}
	}
	load_dir(cl);
	if (cloud_files_used(cl) || before)
		log_info("cloud facts: %u file%s in use", cloud_files_used(cl), cloud_files_used(cl) == 1 ? "" : "s");
}

static void on_settle(evutil_socket_t fd, short what, void *arg)
{
	struct cloud *cl = arg;

	reload(cl, NULL);
	/* a directory made or moved since: watch it (again) */
	watches_setup(cl);
	if (cl->cb)
		cl->cb(cl->ud);
}

void cloud_load(struct cloud *cl, const struct config *cfg)
{
	const char *dir = config_cloud_dir(cfg);

	free(cl->dir);
	cl->dir = dir ? strdup(dir) : NULL;
	cl->dir_set = cfg->cloud_dir != NULL;
	reload(cl, cfg);
	watches_setup(cl);
}

/* ---- names ---- */

static void lookup_done(int result, struct evutil_addrinfo *res, void *arg)
{
	struct lookup *lk = arg;
	struct cloud *cl = lk->cl;
	struct name_entry *e = lk->e;

	if (!cl) {
		if (res)
			evutil_freeaddrinfo(res);
		free(lk);
		return;
	}
	e->pending = NULL;
	e->n = 0;
	for (struct evutil_addrinfo *ai = res; result == 0 && ai && e->n < VD_ARRAY_SIZE(e->addrs); ai = ai->ai_next) {
		const void *a = ai->ai_family == AF_INET ? (const void *)&((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr
		                                         : (const void *)&((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr;
		bool dup = false;
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if (!evutil_inet_ntop(ai->ai_family, a, e->addrs[e->n], sizeof(e->addrs[0])))
			continue;
		for (size_t k = 0; k < e->n; k++)
			dup |= strcmp(e->addrs[k], e->addrs[e->n]) == 0;
		if (!dup)
			e->n++;
	}
	e->expires = mono_now() + (e->n ? CLOUD_NAME_TTL_S : CLOUD_NAME_FAIL_TTL_S);
	if (res)
		evutil_freeaddrinfo(res);
	free(lk);
	/* an answer given at once (/etc/hosts) is used by the match that asked */
	if (cl->cb && e->n && !cl->resolving)
		cl->cb(cl->ud);
}

/* The name's addresses as last resolved; starts a lookup when there are none
 * or they are old (the tunnel is matched again when it answers). */
static const struct name_entry *resolve(struct cloud *cl, const char *name)
{
	struct evutil_addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM, .ai_flags = EVUTIL_AI_ADDRCONFIG};
	struct name_entry *e = NULL;
	struct evdns_getaddrinfo_request *req;
	struct lookup *lk;
	int64_t now = mono_now();

	if (strlen(name) >= sizeof(e->name))
		return NULL;
	for (size_t i = 0; i < cl->n_names && !e; i++)
		if (strcmp(cl->names[i].name, name) == 0)
			e = &cl->names[i];
	if (!e) {
		size_t slot = cl->n_names < CLOUD_MAX_NAMES ? cl->n_names++ : 0;
		/* full: the entry that expires first, unless a lookup is under way */
		if (slot == 0 && cl->n_names == CLOUD_MAX_NAMES)
			for (size_t i = 1; i < CLOUD_MAX_NAMES; i++)
				if (!cl->names[i].pending && (cl->names[slot].pending || cl->names[i].expires < cl->names[slot].expires))
					slot = i;
		e = &cl->names[slot];
		if (e->pending)
			return NULL;
		memset(e, 0, sizeof(*e));
		snprintf(e->name, sizeof(e->name), "%s", name);
	}
	if (e->pending || (e->expires && now < e->expires))
		return e;
	if (!cl->dns && !(cl->dns = pu_resolver_new(cl->base)))
		return e;
	if (!(lk = calloc(1, sizeof(*lk))))
		return e;
	lk->cl = cl;
	lk->e = e;
	e->pending = lk;
	cl->resolving = true;
	req = evdns_getaddrinfo(cl->dns, name, NULL, &hints, lookup_done, lk);
	cl->resolving = false;
	/* NULL: answered at once (lookup_done ran, lk is gone) or failed */
	if (req) {
		lk->req = req;
	} else if (e->pending == lk) {
		e->pending = NULL;
		e->expires = now + CLOUD_NAME_FAIL_TTL_S;
		free(lk);
	}
	return e;
}

/* ---- applying ---- */

struct addrs {
	const char *v[32];
	const char *host[32]; /* the remote (name or address) each came from */
	size_t n;
};

static void add_addr(struct addrs *a, const char *addr, const char *host)
{
	struct vd_prefix p;

	if (!addr || !*addr || a->n == VD_ARRAY_SIZE(a->v) || vd_addr_parse(addr, &p) < 0)
		return;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], addr) == 0) {
			if (!a->host[i])
				a->host[i] = host;
			return;
		}
	a->v[a->n] = addr;
	a->host[a->n++] = host;
}

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
	return cJSON_IsString(v) && *v->valuestring ? v->valuestring : NULL;
}

/* A host of the facts: an address as it is, a name by what it resolved to. */
static void add_host(struct cloud *cl, struct addrs *a, const char *host)
{
	struct vd_prefix p;
	const struct name_entry *e;

	if (!host)
		return;
	if (vd_addr_parse(host, &p) == 0) {
		add_addr(a, host, host);
		return;
	}
	if (!(e = resolve(cl, host)))
		return;
	for (size_t i = 0; i < e->n; i++)
		add_addr(a, e->addrs[i], host);
}

static const struct cloud_src *source_for(const struct cloud *cl, const char *cloud_facts)
{
	if (!cloud_facts)
		return &cl->dir_src;
	for (size_t i = 0; *cloud_facts && i < cl->n_named; i++)
		if (strcmp(cl->named[i].path, cloud_facts) == 0)
			return &cl->named[i].src;
	return NULL;
}

int cloud_apply(struct cloud *cl, const char *cloud_facts, cJSON *tunnel)
{
	const struct cloud_src *src = source_for(cl, cloud_facts);
	const cJSON *ovpn = cJSON_GetObjectItemCaseSensitive(tunnel, VDF_TUNNEL_OPENVPN);
	const cJSON *tr = cJSON_GetObjectItemCaseSensitive(tunnel, VDF_TUNNEL_TRANSPORT);
	const cJSON *rt = cJSON_GetObjectItemCaseSensitive(tunnel, VDF_TUNNEL_ROUTES);
	const cJSON *prof = cJSON_GetObjectItemCaseSensitive(tunnel, VDF_TUNNEL_PROFILE), *it;
	struct addrs a = {0};
	struct vd_cloud_pick pick;
	cJSON *cloud;
	int r;

	if (!src || src->set.n_servers + src->set.n_gateways == 0)
		return 0;
	/* the addresses the client uses first: what it talks to now */
	add_host(cl, &a, jstr(cJSON_GetObjectItemCaseSensitive(ovpn, VDF_OPENVPN_REMOTE), VDF_OVPN_REMOTE_ADDR));
	add_addr(&a, jstr(tr, VDF_TRANSPORT_GATEWAY), jstr(tr, VDF_TRANSPORT_HOST));
	add_addr(&a, jstr(cJSON_GetObjectItemCaseSensitive(rt, VDF_ROUTES_GATEWAY), VDF_LOOKUP_ADDR), NULL);
	add_host(cl, &a, jstr(tr, VDF_TRANSPORT_HOST));
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(prof, VDF_PROFILE_REMOTES))
		add_host(cl, &a, jstr(it, VDF_REMOTE_HOST));
	if (!vd_cloud_match(&src->set, a.v, a.n, cloud_facts && *cloud_facts, &pick))
		return 0;
	cloud = cJSON_GetObjectItemCaseSensitive(tunnel, VDF_TUNNEL_CLOUD);
	if (!cloud && !(cloud = cJSON_AddObjectToObject(tunnel, VDF_TUNNEL_CLOUD)))
		return -ENOMEM;
	if ((r = vd_cloud_section(&src->set, &pick, (const char *const *)src->files, src->mtimes, src->n, cloud)) < 0)
		return r;
	for (size_t i = 0; pick.addr && i < a.n; i++) {
		cJSON *origin = cJSON_GetObjectItemCaseSensitive(cloud, VDF_CLOUD_ORIGIN);
		if (a.v[i] != pick.addr || !a.host[i] || cJSON_GetObjectItemCaseSensitive(cloud, VDF_CLOUD_REMOTE_HOST))
			continue;
		if (!cJSON_AddStringToObject(cloud, VDF_CLOUD_REMOTE_HOST, a.host[i]) ||
		    (origin && !cJSON_AddStringToObject(origin, VDF_CLOUD_REMOTE_HOST, "cloud-facts")))
			return -ENOMEM;
	}
	return 0;
}

/* ---- life ---- */

int cloud_new(struct event_base *base, cloud_changed_fn cb, void *userdata, struct cloud **ret)
{
	struct cloud *cl = calloc(1, sizeof(*cl));

	if (!cl)
		return -ENOMEM;
	cl->base = base;
	cl->cb = cb;
	cl->ud = userdata;
	cl->in_fd = -1;
	if (!(cl->settle = evtimer_new(base, on_settle, cl))) {
		free(cl);
		return -ENOMEM;
	}
	*ret = cl;
	return 0;
}

void cloud_free(struct cloud *cl)
{
	if (!cl)
		return;
	for (size_t i = 0; i < cl->n_names; i++) {
		struct lookup *lk = cl->names[i].pending;
		if (!lk)
			continue;
		lk->cl = NULL;
		if (lk->req)
			evdns_getaddrinfo_cancel(lk->req);
	}
	pu_resolver_free(cl->base, cl->dns);
	watches_clear(cl);
	event_free(cl->settle);
	sources_free(cl);
	free(cl->dir);
	free(cl);
}
