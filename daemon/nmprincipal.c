/* See nmprincipal.h. Every question goes to the unique name that owns
 * org.freedesktop.NetworkManager once its uid was checked (root, or this
 * process's own: a peer of our own uid could do all we do), so that another
 * peer taking the name between two calls is never asked. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "nmprincipal.h"
#include "vpndoctor/common.h"
#include "vpndoctor/ovpn_argv.h"
#include "vpndoctor/ovpn_config.h"

#define NM_NAME "org.freedesktop.NetworkManager"
#define SETTINGS_PATH "/org/freedesktop/NetworkManager/Settings"
#define SETTINGS_IFACE "org.freedesktop.NetworkManager.Settings"
#define CONN_IFACE "org.freedesktop.NetworkManager.Settings.Connection"
#define OPENVPN_SERVICE "org.freedesktop.NetworkManager.openvpn"
#define DATA_MAX 128
#define PERMS_MAX 16
#define VALUE_MAX 4096

static sd_bus *bus;

void nmprincipal_close(void)
{
	bus = sd_bus_close_unref(bus);
}

static int get_bus(void)
{
	int r;

	bus = sd_bus_close_unref(bus);
	r = sd_bus_open_system(&bus);
	if (r < 0) {
		bus = NULL;
		return -EHOSTDOWN;
	}
	sd_bus_set_method_call_timeout(bus, (uint64_t)NMPRINCIPAL_TIMEOUT_MS * 1000);
	return 0;
}

/* dest.path.iface.member(one string or none), never auto-starting anything. */
static int call(const char *dest, const char *path, const char *iface, const char *member, const char *arg,
                sd_bus_message **reply)
{
	sd_bus_message *m = NULL;
	int r = sd_bus_message_new_method_call(bus, &m, dest, path, iface, member);

	if (r >= 0)
		r = sd_bus_message_set_auto_start(m, 0);
	if (r >= 0 && arg)
		r = sd_bus_message_append(m, "s", arg);
	if (r >= 0)
		r = sd_bus_call(bus, m, 0, NULL, reply);
	sd_bus_message_unref(m);
	return r;
}

struct settings {
	char *uuid, *service;
	char *perms[PERMS_MAX];
	char *keys[DATA_MAX], *values[DATA_MAX];
	size_t n_perms, n_data;
};

static void settings_clear(struct settings *s)
{
	free(s->uuid);
	free(s->service);
	for (size_t i = 0; i < s->n_perms; i++)
		free(s->perms[i]);
	for (size_t i = 0; i < s->n_data; i++) {
		free(s->keys[i]);
		free(s->values[i]);
	}
}

static int read_str(sd_bus_message *m, char **ret)
{
	const char *v;
	int r = sd_bus_message_read(m, "v", "s", &v);

	if (r < 0)
		return r;
	free(*ret);
	*ret = strndup(v, VALUE_MAX);
	return *ret ? 0 : -ENOMEM;
}

static int read_perms(sd_bus_message *m, struct settings *s)
{
	const char *v;
	int r;

	if ((r = sd_bus_message_enter_container(m, 'v', "as")) < 0 ||
	    (r = sd_bus_message_enter_container(m, 'a', "s")) < 0)
		return r;
	while ((r = sd_bus_message_read(m, "s", &v)) > 0) {
		if (s->n_perms == PERMS_MAX)
			return -E2BIG; /* more than any one principal */
		if (!(s->perms[s->n_perms] = strndup(v, VALUE_MAX)))
			return -ENOMEM;
		s->n_perms++;
	}
	if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int read_data(sd_bus_message *m, struct settings *s)
{
	const char *k, *v;
	int r;

	if ((r = sd_bus_message_enter_container(m, 'v', "a{ss}")) < 0 ||
	    (r = sd_bus_message_enter_container(m, 'a', "{ss}")) < 0)
		return r;
	while ((r = sd_bus_message_read(m, "{ss}", &k, &v)) > 0) {
		if (s->n_data == DATA_MAX || strlen(k) > 64 || strlen(v) > VALUE_MAX)
			continue; /* as daemon/nmsettings.c keeps them: the same profile */
		s->keys[s->n_data] = strdup(k);
		s->values[s->n_data] = strdup(v);
		if (!s->keys[s->n_data] || !s->values[s->n_data]) {
			free(s->keys[s->n_data]);
			free(s->values[s->n_data]);
			return -ENOMEM;
		}
		s->n_data++;
	}
	if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int parse(sd_bus_message *m, struct settings *s)
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
			const char *contents;
			char type;

			if ((r = sd_bus_message_read(m, "s", &key)) < 0 ||
			    (r = sd_bus_message_peek_type(m, &type, &contents)) < 0)
				return r;
			if (conn && strcmp(key, "uuid") == 0 && strcmp(contents, "s") == 0)
				r = read_str(m, &s->uuid);
			else if (conn && strcmp(key, "permissions") == 0 && strcmp(contents, "as") == 0)
				r = read_perms(m, s);
			else if (vpn && strcmp(key, "service-type") == 0 && strcmp(contents, "s") == 0)
				r = read_str(m, &s->service);
			else if (vpn && strcmp(key, "data") == 0 && strcmp(contents, "a{ss}") == 0)
				r = read_data(m, s);
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

/* The files the plugin hands openvpn for these settings: the same text the
 * engine checks (vd_nm_openvpn_profile), so that the paths are the same. */
static const char *const file_opts[] = {"ca", "cert", "key", "pkcs12", "tls-auth", "tls-crypt", "tls-crypt-v2",
                                        "secret"};

static int decide(const struct settings *s, const char *path, bool dir, char *user, size_t user_size)
{
	struct vd_ovpn_config *cfg = NULL;
	struct vd_error err;
	const char *files[VD_ARRAY_SIZE(file_opts) * 4];
	size_t n_files = 0, len = 0;
	char *text = NULL;
	int r;

	r = vd_nm_openvpn_profile((const char *const *)s->keys, (const char *const *)s->values, s->n_data, &text,
	                          &len);
	if (r < 0)
		return r;
	memset(&err, 0, sizeof(err));
	r = vd_ovpn_config_parse(NULL, text, len, &cfg, &err);
	free(text);
	if (r < 0)
		return r == -ENOMEM ? r : -EPERM;
	for (size_t i = 0; i < VD_ARRAY_SIZE(file_opts); i++)
		for (const struct vd_ovpn_option *o = vd_ovpn_config_next(cfg, file_opts[i], NULL);
		     o && n_files < VD_ARRAY_SIZE(files); o = vd_ovpn_config_next(cfg, file_opts[i], o))
			if (o->argc >= 1 && !o->inline_body)
				files[n_files++] = o->argv[0];
	r = vd_nm_principal((const char *const *)s->perms, s->n_perms, files, n_files, path, dir, user, user_size);
	vd_ovpn_config_free(cfg);
	return r;
}

static int user_principal(const char *name, struct vd_principal *ret)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	gid_t groups[VD_PRINCIPAL_GROUPS_MAX];
	int n = VD_PRINCIPAL_GROUPS_MAX;

	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return -EACCES;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		return -EACCES; /* (more groups than a principal may have: none) */
	memset(ret, 0, sizeof(*ret));
	ret->kind = VD_PRINCIPAL_USER;
	ret->uid = pw.pw_uid;
	ret->gid = pw.pw_gid;
	for (int i = 0; i < n; i++)
		if (groups[i] != pw.pw_gid)
			ret->groups[ret->n_groups++] = groups[i];
	return 0;
}

/* The settings of one connection, kept CACHE_MS: a profile check opens a
 * few files and watches their directories in a burst, and each would ask
 * NetworkManager four times. A change NetworkManager makes is seen that
 * much later at most (its own plugin reads the settings once per connect). */
#define CACHE_MS 2000
static struct {
	char uuid[VD_NM_UUID_MAX];
	uint64_t at;
	struct settings s;
	bool valid;
} cache;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int fetch(const char *uuid, struct settings *s);

/* NetworkManager that did not answer in time is not asked again for
 * STALL_MS: the parent blocks on each question, and the engine on the
 * parent, so that a profile check's burst of opens and watches (of every
 * connection) would otherwise wait out the timeout once each, while the
 * engine's loop and its control socket stand still. */
#define STALL_MS 10000
static uint64_t stalled_until;

int nmprincipal_of(const char *uuid, const char *path, bool dir, struct vd_principal *ret)
{
	char user[256];
	int r;

	if (!vd_nm_uuid_valid(uuid))
		return -EINVAL;
	if (!cache.valid || strcmp(cache.uuid, uuid) != 0 || mono_ms() - cache.at > CACHE_MS) {
		if (cache.valid)
			settings_clear(&cache.s);
		cache.valid = false;
		memset(&cache.s, 0, sizeof(cache.s));
		if (stalled_until && mono_ms() < stalled_until)
			return -ETIMEDOUT;
		stalled_until = 0;
		r = fetch(uuid, &cache.s);
		if (r == -ETIMEDOUT)
			stalled_until = mono_ms() + STALL_MS;
		if (r < 0) {
			settings_clear(&cache.s);
			return r;
		}
		memcpy(cache.uuid, uuid, strlen(uuid) + 1);
		cache.at = mono_ms();
		cache.valid = true;
	}
	r = decide(&cache.s, path, dir, user, sizeof(user));
	if (r < 0)
		return r;
	if (r == 1)
		return user_principal(user, ret);
	memset(ret, 0, sizeof(*ret));
	ret->kind = VD_PRINCIPAL_NM;
	return 0;
}

static int fetch_on_bus(const char *uuid, struct settings *s);

/* The connection's settings, from NetworkManager as it is now, on a bus
 * connection of this question's own. One kept open between questions would
 * keep what anyone sent it meanwhile: the system bus lets every peer send a
 * signal to any unique name, and nothing here dispatches, so that a blocking
 * call queues each such message (sd-bus's read queue) for good; closed,
 * they go with it, and the name they could be sent to is gone. */
static int fetch(const char *uuid, struct settings *s)
{
	int r = get_bus();

	if (r < 0)
		return r;
	r = fetch_on_bus(uuid, s);
	nmprincipal_close();
	return r;
}

static int fetch_on_bus(const char *uuid, struct settings *s)
{
	sd_bus_message *reply = NULL;
	const char *v;
	char owner[256], conn[256];
	uint32_t uid;
	int r;

	/* who NetworkManager is, as the bus driver says; then only that peer */
	r = call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetNameOwner", NM_NAME,
	         &reply);
	if (r < 0 || sd_bus_message_read(reply, "s", &v) < 0 || strlen(v) >= sizeof(owner)) {
		sd_bus_message_unref(reply);
		return r == -ETIMEDOUT ? r : -EHOSTDOWN;
	}
	memcpy(owner, v, strlen(v) + 1);
	reply = sd_bus_message_unref(reply);
	r = call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetConnectionUnixUser",
	         owner, &reply);
	if (r < 0 || sd_bus_message_read(reply, "u", &uid) < 0) {
		sd_bus_message_unref(reply);
		return r == -ETIMEDOUT ? r : -EHOSTDOWN;
	}
	reply = sd_bus_message_unref(reply);
	if (uid != 0 && uid != (uint32_t)geteuid())
		return -EACCES;
	r = call(owner, SETTINGS_PATH, SETTINGS_IFACE, "GetConnectionByUuid", uuid, &reply);
	if (r < 0 || sd_bus_message_read(reply, "o", &v) < 0 || strlen(v) >= sizeof(conn)) {
		sd_bus_message_unref(reply);
		return r == -ETIMEDOUT ? r : -ENOENT;
	}
	memcpy(conn, v, strlen(v) + 1);
	reply = sd_bus_message_unref(reply);
	r = call(owner, conn, CONN_IFACE, "GetSettings", NULL, &reply);
	if (r < 0) {
		sd_bus_message_unref(reply);
		return r == -ETIMEDOUT ? r : -ENOENT;
	}
	r = parse(reply, s);
	sd_bus_message_unref(reply);
	if (r >= 0 && (!s->uuid || strcmp(s->uuid, uuid) != 0 || !s->service || strcmp(s->service, OPENVPN_SERVICE) != 0))
		r = -EPERM;
	else if (r == -E2BIG)
		r = -EACCES;
	else if (r < 0 && r != -ENOMEM)
		r = -EPERM; /* settings that do not read as settings name nothing */
	return r < 0 ? r : 0;
}
