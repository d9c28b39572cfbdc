/* See nmsettings.h.
 *
 * NetworkManager's D-Bus API (org.freedesktop.NetworkManager.Settings and
 * .Settings.Connection): ListConnections gives the settings objects,
 * GetSettings each one's settings as a{sa{sv}}, without secrets (those take
 * GetSecrets, never called here); NewConnection and ConnectionRemoved on the
 * Settings object and Updated on a connection's say when to look again.
 * NetworkManager hides a connection whose connection.permissions leave the
 * caller out. Nothing here starts NetworkManager (no auto-start).
 *
 * Only NetworkManager is believed: the unique name that owns
 * org.freedesktop.NetworkManager (GetNameOwner, then NameOwnerChanged from
 * the bus driver itself), and only while that peer runs as root or as this
 * process's own user (GetConnectionUnixUser: the system bus's policy lets
 * only root own the name; a peer of our own uid could do what we do
 * anyway), and only while it runs in this process's network namespace.
 * Every signal and reply from another sender is dropped: a local
 * user may send a ConnectionRemoved or an Updated to anyone, even addressed
 * to this process, past any match rule. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-bus.h>

#include "log.h"
#include "nmsettings.h"
#include "priv.h"
#include "probes/busutil.h"
#include "vpndoctor/common.h"
#include "vpndoctor/ovpn_argv.h"

#define NM_NAME "org.freedesktop.NetworkManager"
#define SETTINGS_PATH "/org/freedesktop/NetworkManager/Settings"
#define SETTINGS_IFACE "org.freedesktop.NetworkManager.Settings"
#define CONN_IFACE "org.freedesktop.NetworkManager.Settings.Connection"

/* vpn.data items kept per connection, and the longest value read */
#define DATA_MAX 128
#define VALUE_MAX 4096
/* GetSettings questions out at once: a storm of NewConnection waits for the
 * next ListConnections instead (NMSETTINGS_SOON_S) */
#define GETS_MAX (2 * NMSETTINGS_MAX)
#define NMSETTINGS_SOON_S 2
#define DBUS_NAME "org.freedesktop.DBus"
#define DBUS_PATH "/org/freedesktop/DBus"

struct get {
	struct nmsettings *s;
	char *path;
	sd_bus_slot *slot;
	struct get *next;
};

struct nmsettings {
	struct event_base *base;
	nmsettings_changed_fn cb;
	void *ud;
	struct pu_bus bus;
	unsigned bus_opened;
	sd_bus_slot *m_new, *m_removed, *m_updated, *m_owner, *list_call, *owner_call;
	struct get *gets;
	size_t n_gets;
	char owner[256];     /* NetworkManager's unique name once believed, else "" */
	char cand[256];       /* the owner being asked about (GetConnectionUnixUser) */
	bool said_full;       /* "more than NMSETTINGS_MAX" logged */
	char **queue;         /* the last ListConnections' paths, asked in turn */
	size_t n_queue, next;
	char said_owner[256]; /* the owner last refused in the log: said once */
	struct nm_openvpn_conn conns[NMSETTINGS_MAX];
	size_t n;
	struct event *retry;
};

static void conn_clear(struct nm_openvpn_conn *c)
{
	free(c->path);
	free(c->id);
	free(c->uuid);
	free(c->profile);
	free(c->user);
	memset(c, 0, sizeof(*c));
}

static struct nm_openvpn_conn *by_path(struct nmsettings *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->conns[i].path, path) == 0)
			return &s->conns[i];
	return NULL;
}

static void changed(struct nmsettings *s)
{
	if (s->cb)
		s->cb(s->ud);
}

static void drop(struct nmsettings *s, const char *path)
{
	struct nm_openvpn_conn *c = by_path(s, path);

	if (!c)
		return;
	conn_clear(c);
	*c = s->conns[--s->n];
	memset(&s->conns[s->n], 0, sizeof(s->conns[0]));
	changed(s);
}

/* Whether m comes from the NetworkManager believed now. */
static bool from_nm(const struct nmsettings *s, sd_bus_message *m)
{
	const char *sender = sd_bus_message_get_sender(m);

	return s->owner[0] && sender && strcmp(sender, s->owner) == 0;
}

static void gets_free(struct nmsettings *s)
{
	s->n_gets = 0;
	while (s->gets) {
		struct get *g = s->gets;
		s->gets = g->next;
		sd_bus_slot_unref(g->slot);
		free(g->path);
		free(g);
	}
}

static void get_done(struct get *g)
{
	struct get **pp = &g->s->gets;

	while (*pp && *pp != g)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = g->next;
		g->s->n_gets--;
	}
	sd_bus_slot_unref(g->slot);
	free(g->path);
	free(g);
}

/* ---- GetSettings ---- */

struct parsed {
	char *id, *uuid, *type, *service, *user;
	const char *keys[DATA_MAX], *values[DATA_MAX];
	char *store[2 * DATA_MAX];
	size_t n_data, n_store;
	bool several_users;
};

static void parsed_free(struct parsed *p)
{
	free(p->id);
	free(p->uuid);
	free(p->type);
	free(p->service);
	free(p->user);
	for (size_t i = 0; i < p->n_store; i++)
		free(p->store[i]);
}

static int read_string(sd_bus_message *m, char **ret)
{
	const char *v;
	int r = sd_bus_message_read(m, "v", "s", &v);

	if (r < 0)
		return r;
	free(*ret);
	*ret = strndup(v, VALUE_MAX);
	return *ret ? 0 : -ENOMEM;
}

/* connection.permissions: "user:NAME:" entries; one is the connection's user. */
static int read_permissions(sd_bus_message *m, struct parsed *p)
{
	const char *v;
	int r;

	if ((r = sd_bus_message_enter_container(m, 'v', "as")) < 0 ||
	    (r = sd_bus_message_enter_container(m, 'a', "s")) < 0)
		return r;
	while ((r = sd_bus_message_read(m, "s", &v)) > 0) {
		const char *name, *end;
		if (strncmp(v, "user:", 5) != 0)
			continue;
		name = v + 5;
		end = strchr(name, ':');
		if (p->user || p->several_users) {
			p->several_users = true;
			free(p->user);
			p->user = NULL;
			continue;
		}
		p->user = strndup(name, end ? (size_t)(end - name) : strlen(name));
		if (!p->user)
			return -ENOMEM;
		/* shown in messages and logs: a name as useradd makes them, or
		 * none (the privileged parent then opens nothing for it either) */
		if (!p->user[0] || strlen(p->user) > 32 ||
		    strspn(p->user, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
		            strlen(p->user)) {
			free(p->user);
			p->user = strdup("?");
			if (!p->user)
				return -ENOMEM;
		}
	}
	if (r < 0)
		return r;
	/* several: no one user (nmsettings.h), which the parent refuses too */
	if (p->several_users && !(p->user = strdup("(several users)")))
		return -ENOMEM;
	if ((r = sd_bus_message_exit_container(m)) < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

/* vpn.data: a{ss}, kept as it is (bounded). */
static int read_data(sd_bus_message *m, struct parsed *p)
{
	const char *k, *v;
	int r;

	if ((r = sd_bus_message_enter_container(m, 'v', "a{ss}")) < 0 ||
	    (r = sd_bus_message_enter_container(m, 'a', "{ss}")) < 0)
		return r;
	while ((r = sd_bus_message_read(m, "{ss}", &k, &v)) > 0) {
		if (p->n_data == DATA_MAX || strlen(k) > 64 || strlen(v) > VALUE_MAX)
			continue;
		if (!(p->store[p->n_store] = strdup(k)) || !(p->store[p->n_store + 1] = strdup(v)))
			return -ENOMEM;
		p->keys[p->n_data] = p->store[p->n_store];
		p->values[p->n_data++] = p->store[p->n_store + 1];
		p->n_store += 2;
	}
	if (r < 0)
		return r;
	if ((r = sd_bus_message_exit_container(m)) < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int parse_settings(sd_bus_message *m, struct parsed *p)
{
	const char *setting, *key;
	int r;

	if ((r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}")) < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
		if ((r = sd_bus_message_read(m, "s", &setting)) < 0 ||
		    (r = sd_bus_message_enter_container(m, 'a', "{sv}")) < 0)
			return r;
		while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
			bool conn = strcmp(setting, "connection") == 0, vpn = strcmp(setting, "vpn") == 0;
			char type;
			const char *contents;

			if ((r = sd_bus_message_read(m, "s", &key)) < 0 ||
			    (r = sd_bus_message_peek_type(m, &type, &contents)) < 0)
				return r;
			if (conn && strcmp(key, "id") == 0 && strcmp(contents, "s") == 0)
				r = read_string(m, &p->id);
			else if (conn && strcmp(key, "uuid") == 0 && strcmp(contents, "s") == 0)
				r = read_string(m, &p->uuid);
			else if (conn && strcmp(key, "type") == 0 && strcmp(contents, "s") == 0)
				r = read_string(m, &p->type);
			else if (conn && strcmp(key, "permissions") == 0 && strcmp(contents, "as") == 0)
				r = read_permissions(m, p);
			else if (vpn && strcmp(key, "service-type") == 0 && strcmp(contents, "s") == 0)
				r = read_string(m, &p->service);
			else if (vpn && strcmp(key, "data") == 0 && strcmp(contents, "a{ss}") == 0)
				r = read_data(m, p);
			else
				r = sd_bus_message_skip(m, "v");
			if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0)
				return r;
		}
		if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0 || (r = sd_bus_message_exit_container(m)) < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

/* Whether a connection kept to user (NULL: to no one) fits, in place of c
 * (NULL: a new one). A connection kept to users is one any local user may
 * add (settings.modify.own, naming himself and the daemon's user to make it
 * visible here): those take NMSETTINGS_USERS_MAX places at most, one user
 * (or "(several users)", "?") NMSETTINGS_USER_MAX, so that they never crowd
 * out the system-wide connections, which only the administrator makes. */
static bool room_for(const struct nmsettings *s, const struct nm_openvpn_conn *c, const char *user)
{
	size_t all = 0, users = 0, same = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct nm_openvpn_conn *o = &s->conns[i];
		if (o == c)
			continue;
		all++;
		if (o->user) {
			users++;
			same += user && strcmp(o->user, user) == 0;
		}
	}
	if (all >= NMSETTINGS_MAX)
		return false;
	return !user || (users < NMSETTINGS_USERS_MAX && same < NMSETTINGS_USER_MAX);
}

static int get_answer(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct get *g = userdata;
	struct nmsettings *s = g->s;
	struct parsed p;
	struct nm_openvpn_conn *c, fresh = {0};
	int r;

	(void)ret_error;
	memset(&p, 0, sizeof(p));
	if (!from_nm(s, m)) {
		get_done(g);
		return 0;
	}
	if (sd_bus_message_is_method_error(m, NULL)) {
		/* removed meanwhile, or hidden from us now */
		drop(s, g->path);
		get_done(g);
		return 0;
	}
	r = parse_settings(m, &p);
	if (r < 0 || !p.type || strcmp(p.type, "vpn") != 0 || !p.service || strcmp(p.service, NM_OPENVPN_SERVICE) != 0) {
		if (r < 0)
			log_debug("NetworkManager: the settings of %s do not read as settings", g->path);
		drop(s, g->path);
		parsed_free(&p);
		get_done(g);
		return 0;
	}
	r = vd_nm_openvpn_profile(p.keys, p.values, p.n_data, &fresh.profile, NULL);
	fresh.path = strdup(g->path);
	fresh.id = p.id ? strdup(p.id) : strdup(p.uuid ? p.uuid : g->path);
	fresh.uuid = p.uuid ? strdup(p.uuid) : NULL;
	fresh.user = p.user ? strdup(p.user) : NULL;
	if ((p.uuid && !fresh.uuid) || (p.user && !fresh.user))
		r = -ENOMEM;
	parsed_free(&p);
	if (r < 0 || !fresh.path || !fresh.id) {
		conn_clear(&fresh);
		log_warnx("NetworkManager: out of memory for the connection %s", g->path);
		get_done(g);
		return 0;
	}
	c = by_path(s, g->path);
	if (!room_for(s, c, fresh.user)) {
		conn_clear(&fresh);
		/* said once until there is room again, not for each one left out */
		if (!s->said_full)
			log_warnx("NetworkManager: more than %d OpenVPN connections, or more than %d kept to users "
			          "(%d to one); the others are left out",
			          NMSETTINGS_MAX, NMSETTINGS_USERS_MAX, NMSETTINGS_USER_MAX);
		s->said_full = true;
		if (c)
			drop(s, g->path); /* (changed into one there is no room for) */
		get_done(g);
		return 0;
	}
	if (!c && s->n < NMSETTINGS_MAX - 1)
		s->said_full = false;
	if (c && c->profile && strcmp(c->profile, fresh.profile) == 0 && strcmp(c->id, fresh.id) == 0 &&
	    ((!c->user && !fresh.user) || (c->user && fresh.user && strcmp(c->user, fresh.user) == 0))) {
		conn_clear(&fresh); /* nothing that matters changed */
		get_done(g);
		return 0;
	}
	if (c)
		conn_clear(c);
	else
		c = &s->conns[s->n++];
	*c = fresh;
	get_done(g);
	changed(s);
	return 0;
}

static void ask_settings(struct nmsettings *s, const char *path);

/* The connections ListConnections gave, asked GETS_MAX at a time, so that
 * each is asked however many there are (a user's own thousands cannot
 * push the system's out of reach), and never more at once. */
static void pump(struct nmsettings *s)
{
	while (s->n_gets < GETS_MAX && s->next < s->n_queue)
		ask_settings(s, s->queue[s->next++]);
}

static void queue_clear(struct nmsettings *s)
{
	for (size_t i = 0; i < s->n_queue; i++)
		free(s->queue[i]);
	free(s->queue);
	s->queue = NULL;
	s->n_queue = s->next = 0;
}

static int on_get(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct nmsettings *s = ((struct get *)userdata)->s;
	int r = get_answer(m, userdata, ret_error);

	pump(s);
	return r;
}

static void ask_settings(struct nmsettings *s, const char *path)
{
	sd_bus *bus = pu_bus_get(&s->bus, s->base);
	sd_bus_message *m = NULL;
	struct get *g;
	int r;

	if (!bus)
		return;
	/* one question per object at a time: the newest answer wins */
	for (g = s->gets; g; g = g->next)
		if (strcmp(g->path, path) == 0) {
			get_done(g);
			break;
		}
	if (s->n_gets >= GETS_MAX) {
		/* the next ListConnections asks for what is left */
		struct timeval tv = {NMSETTINGS_SOON_S, 0};
		if (!evtimer_pending(s->retry, NULL))
			evtimer_add(s->retry, &tv);
		return;
	}
	if (!(g = calloc(1, sizeof(*g))) || !(g->path = strdup(path))) {
		free(g);
		return;
	}
	g->s = s;
	r = sd_bus_message_new_method_call(bus, &m, NM_NAME, path, CONN_IFACE, "GetSettings");
	if (r >= 0)
		r = sd_bus_message_set_auto_start(m, 0);
	if (r >= 0)
		r = sd_bus_call_async(bus, &g->slot, m, on_get, g, 0);
	sd_bus_message_unref(m);
	if (r < 0) {
		free(g->path);
		free(g);
		return;
	}
	g->next = s->gets;
	s->gets = g;
	s->n_gets++;
	pu_bus_arm(&s->bus);
}

/* ---- the list ---- */

static void retry_later(struct nmsettings *s)
{
	struct timeval tv = {NMSETTINGS_RETRY_S, 0};

	evtimer_add(s->retry, &tv);
}

/* NetworkManager gone, or not believed: none of its connections. */
static void clear_all(struct nmsettings *s)
{
	bool any = s->n > 0;

	s->list_call = sd_bus_slot_unref(s->list_call);
	gets_free(s);
	queue_clear(s);
	while (s->n)
		conn_clear(&s->conns[--s->n]);
	if (any)
		changed(s);
}

static int on_list(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct nmsettings *s = userdata;
	const char *p;
	char **paths = NULL;
	size_t n = 0, cap = 0;
	bool any_dropped = false;
	int r;

	(void)ret_error;
	s->list_call = sd_bus_slot_unref(s->list_call);
	if (!from_nm(s, m))
		return 0;
	if (sd_bus_message_is_method_error(m, NULL)) {
		/* it went meanwhile (NameOwnerChanged follows), or it failed: look again */
		clear_all(s);
		retry_later(s);
		return 0;
	}
	if ((r = sd_bus_message_enter_container(m, 'a', "o")) < 0)
		return 0;
	while ((r = sd_bus_message_read(m, "o", &p)) > 0) {
		if (n == NMSETTINGS_LIST_MAX)
			continue;
		if (n == cap) {
			char **v = realloc(paths, (cap = cap ? 2 * cap : 64) * sizeof(*v));
			if (!v)
				break;
			paths = v;
		}
		if (!(paths[n] = strdup(p)))
			break;
		n++;
	}
	/* the ones gone */
	for (size_t i = s->n; i-- > 0;) {
		bool still = false;
		for (size_t k = 0; k < n && !still; k++)
			still = strcmp(paths[k], s->conns[i].path) == 0;
		if (!still) {
			conn_clear(&s->conns[i]);
			s->conns[i] = s->conns[--s->n];
			memset(&s->conns[s->n], 0, sizeof(s->conns[0]));
			any_dropped = true;
		}
	}
	if (any_dropped)
		changed(s);
	queue_clear(s);
	s->queue = paths;
	s->n_queue = n;
	pump(s);
	return 0;
}

static int on_new(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const char *path;

	(void)ret_error;
	if (from_nm(userdata, m) && sd_bus_message_read(m, "o", &path) > 0)
		ask_settings(userdata, path);
	return 0;
}

static int on_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const char *path;

	(void)ret_error;
	if (from_nm(userdata, m) && sd_bus_message_read(m, "o", &path) > 0)
		drop(userdata, path);
	return 0;
}

static int on_updated(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const char *path = sd_bus_message_get_path(m);

	(void)ret_error;
	if (from_nm(userdata, m) && path && strncmp(path, SETTINGS_PATH "/", strlen(SETTINGS_PATH) + 1) == 0)
		ask_settings(userdata, path);
	return 0;
}

static void refresh(struct nmsettings *s);

/* Only the bus driver says who owns a name. */
static bool from_driver(sd_bus_message *m)
{
	const char *sender = sd_bus_message_get_sender(m);

	return sender && strcmp(sender, DBUS_NAME) == 0;
}

/* NetworkManager (re)started, or stopped: what the old one said is gone. */
static int on_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct nmsettings *s = userdata;
	const char *name, *old, *now;

	(void)ret_error;
	if (!from_driver(m) || sd_bus_message_read(m, "sss", &name, &old, &now) < 0 || strcmp(name, NM_NAME) != 0)
		return 0;
	s->owner[0] = '\0';
	s->owner_call = sd_bus_slot_unref(s->owner_call);
	clear_all(s);
	if (now[0])
		refresh(s);
	return 0;
}

static void list(struct nmsettings *s)
{
	sd_bus *bus = pu_bus_get(&s->bus, s->base);
	sd_bus_message *m = NULL;
	int r;

	if (!bus) {
		retry_later(s);
		return;
	}
	s->list_call = sd_bus_slot_unref(s->list_call);
	r = sd_bus_message_new_method_call(bus, &m, NM_NAME, SETTINGS_PATH, SETTINGS_IFACE, "ListConnections");
	if (r >= 0)
		r = sd_bus_message_set_auto_start(m, 0);
	if (r >= 0)
		r = sd_bus_call_async(bus, &s->list_call, m, on_list, s, 0);
	sd_bus_message_unref(m);
	if (r < 0)
		retry_later(s);
	pu_bus_arm(&s->bus);
}

/* The owner's network namespace: NetworkManager's connections are the
 * tunnels of its namespace only, as discovery's clients are (a daemon in a
 * namespace of its own, a test's, sees the host's bus but not its
 * NetworkManager's networks). A namespace that cannot be read (an
 * unprivileged daemon) counts as ours, as discovery counts it. */
static int on_owner_pid(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct nmsettings *s = userdata;
	struct vd_proc_id who;
	uint32_t pid;

	(void)ret_error;
	s->owner_call = sd_bus_slot_unref(s->owner_call);
	if (!from_driver(m) || sd_bus_message_is_method_error(m, NULL) || sd_bus_message_read(m, "u", &pid) < 0 ||
	    pid == 0 || pid > INT_MAX || vd_proc_id_of((pid_t)pid, &who) < 0) {
		retry_later(s);
		return 0;
	}
	if (priv_same_netns(&who) == 0) {
		if (strcmp(s->said_owner, s->cand) != 0)
			log_info("NetworkManager runs in another network namespace: its connections are not this "
			         "one's tunnels");
		snprintf(s->said_owner, sizeof(s->said_owner), "%s", s->cand);
		clear_all(s);
		return 0;
	}
	snprintf(s->owner, sizeof(s->owner), "%s", s->cand);
	list(s);
	return 0;
}

/* One question to the bus driver about the candidate owner, answered to cb. */
static void ask_driver(struct nmsettings *s, const char *member, sd_bus_message_handler_t cb)
{
	sd_bus *bus = pu_bus_get(&s->bus, s->base);
	sd_bus_message *q = NULL;
	int r = bus ? sd_bus_message_new_method_call(bus, &q, DBUS_NAME, DBUS_PATH, DBUS_NAME, member) : -ENOTCONN;

	if (r >= 0)
		r = sd_bus_message_append(q, "s", s->cand);
	if (r >= 0)
		r = sd_bus_call_async(bus, &s->owner_call, q, cb, s, 0);
	sd_bus_message_unref(q);
	if (r < 0)
		retry_later(s);
	pu_bus_arm(&s->bus);
}

/* The uid of the name's owner: root (the system bus lets only root own
 * NetworkManager's name) or our own is believed, anyone else never. */
static void ask_driver(struct nmsettings *s, const char *member, sd_bus_message_handler_t cb);
static int on_owner_pid(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

static int on_owner_uid(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct nmsettings *s = userdata;
	const char *cand = s->cand;
	uint32_t uid;

	(void)ret_error;
	s->owner_call = sd_bus_slot_unref(s->owner_call);
	if (!from_driver(m) || sd_bus_message_is_method_error(m, NULL) || sd_bus_message_read(m, "u", &uid) < 0) {
		retry_later(s);
		return 0;
	}
	if (uid != 0 && uid != (uint32_t)geteuid()) {
		if (strcmp(s->said_owner, cand) != 0)
			log_warnx("NetworkManager: the owner of its bus name runs as uid %u, neither root nor this "
			          "daemon's user: its connections are not read",
			          (unsigned)uid);
		snprintf(s->said_owner, sizeof(s->said_owner), "%s", cand);
		clear_all(s);
		return 0;
	}
	ask_driver(s, "GetConnectionUnixProcessID", on_owner_pid);
	return 0;
}

static int on_name_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct nmsettings *s = userdata;
	const char *name;

	(void)ret_error;
	s->owner_call = sd_bus_slot_unref(s->owner_call);
	if (!from_driver(m))
		return 0;
	if (sd_bus_message_is_method_error(m, NULL) || sd_bus_message_read(m, "s", &name) < 0 ||
	    strlen(name) >= sizeof(s->cand)) {
		/* NetworkManager is not running: nothing to show; NameOwnerChanged
		 * says when it comes, and the timer looks again in case */
		clear_all(s);
		retry_later(s);
		return 0;
	}
	snprintf(s->cand, sizeof(s->cand), "%s", name);
	ask_driver(s, "GetConnectionUnixUser", on_owner_uid);
	return 0;
}

static void refresh(struct nmsettings *s)
{
	sd_bus *bus = pu_bus_get(&s->bus, s->base);
	int r;

	evtimer_del(s->retry);
	if (!bus) {
		retry_later(s);
		return;
	}
	if (s->bus_opened != s->bus.opened) {
		/* a new connection: the old one's matches, calls and name are gone */
		s->m_new = sd_bus_slot_unref(s->m_new);
		s->m_removed = sd_bus_slot_unref(s->m_removed);
		s->m_updated = sd_bus_slot_unref(s->m_updated);
		s->m_owner = sd_bus_slot_unref(s->m_owner);
		s->list_call = sd_bus_slot_unref(s->list_call);
		s->owner_call = sd_bus_slot_unref(s->owner_call);
		s->owner[0] = '\0';
		gets_free(s);
		if (sd_bus_match_signal_async(bus, &s->m_new, NM_NAME, SETTINGS_PATH, SETTINGS_IFACE, "NewConnection",
		                              on_new, NULL, s) < 0 ||
		    sd_bus_match_signal_async(bus, &s->m_removed, NM_NAME, SETTINGS_PATH, SETTINGS_IFACE,
		                              "ConnectionRemoved", on_removed, NULL, s) < 0 ||
		    sd_bus_match_signal_async(bus, &s->m_updated, NM_NAME, NULL, CONN_IFACE, "Updated", on_updated, NULL,
		                              s) < 0 ||
		    sd_bus_add_match_async(bus, &s->m_owner,
		                           "type='signal',sender='" DBUS_NAME "',path='" DBUS_PATH "',"
		                           "interface='" DBUS_NAME "',member='NameOwnerChanged',"
		                           "arg0='" NM_NAME "'",
		                           on_owner, NULL, s) < 0)
			log_debug("NetworkManager: cannot follow its settings' signals");
		s->bus_opened = s->bus.opened;
	}
	if (s->owner[0]) {
		list(s);
		return;
	}
	if (s->owner_call)
		return; /* already asking */
	{
		sd_bus_message *m = NULL;
		r = sd_bus_message_new_method_call(bus, &m, DBUS_NAME, DBUS_PATH, DBUS_NAME, "GetNameOwner");
		if (r >= 0)
			r = sd_bus_message_append(m, "s", NM_NAME);
		if (r >= 0)
			r = sd_bus_call_async(bus, &s->owner_call, m, on_name_owner, s, 0);
		sd_bus_message_unref(m);
	}
	if (r < 0)
		retry_later(s);
	pu_bus_arm(&s->bus);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	refresh(arg);
}

int nmsettings_new(struct event_base *base, nmsettings_changed_fn cb, void *userdata, struct nmsettings **ret)
{
	struct nmsettings *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->base = base;
	s->cb = cb;
	s->ud = userdata;
	if (!(s->retry = evtimer_new(base, on_retry, s))) {
		free(s);
		return -ENOMEM;
	}
	refresh(s);
	*ret = s;
	return 0;
}

void nmsettings_free(struct nmsettings *s)
{
	if (!s)
		return;
	sd_bus_slot_unref(s->m_new);
	sd_bus_slot_unref(s->m_removed);
	sd_bus_slot_unref(s->m_updated);
	sd_bus_slot_unref(s->m_owner);
	sd_bus_slot_unref(s->list_call);
	sd_bus_slot_unref(s->owner_call);
	gets_free(s);
	queue_clear(s);
	pu_bus_close(&s->bus);
	event_free(s->retry);
	for (size_t i = 0; i < s->n; i++)
		conn_clear(&s->conns[i]);
	free(s);
}

size_t nmsettings_count(const struct nmsettings *s)
{
	return s ? s->n : 0;
}

const struct nm_openvpn_conn *nmsettings_at(const struct nmsettings *s, size_t i)
{
	return s && i < s->n ? &s->conns[i] : NULL;
}

const struct nm_openvpn_conn *nmsettings_find_uuid(const struct nmsettings *s, const char *uuid)
{
	for (size_t i = 0; s && uuid && i < s->n; i++)
		if (s->conns[i].uuid && strcmp(s->conns[i].uuid, uuid) == 0)
			return &s->conns[i];
	return NULL;
}
