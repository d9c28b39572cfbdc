/* NetworkManager's OpenVPN connections as its settings on the system bus
 * give them (Settings.ListConnections, Settings.Connection.GetSettings),
 * followed as they are added, changed and removed: each connection's profile
 * (its vpn.data, as the plugin gives it to openvpn: vpndoctor/ovpn_argv.h)
 * is checked whether or not it is connected. What the bus does not show the
 * daemon's user (a connection another user keeps to himself) is not there. */
#ifndef VPNDOCTORD_NMSETTINGS_H
#define VPNDOCTORD_NMSETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct event_base;
struct nmsettings;

/* At most this many OpenVPN connections are kept (a laptop has a few). */
#define NMSETTINGS_MAX 64
/* Of all connections (Wi-Fi, a user's own...), at most this many are looked
 * at, each in turn: 16384 paths, a few hundred KiB. */
#define NMSETTINGS_LIST_MAX 16384
/* Of them, kept to users (connection.permissions "user:NAME:"; any local
 * user may add such connections): at most this many, and this many to one
 * user (or to several), so that the system-wide ones always have room. */
#define NMSETTINGS_USERS_MAX (NMSETTINGS_MAX / 2)
#define NMSETTINGS_USER_MAX 8
/* The bus or NetworkManager not there: looked for again this often (and at
 * once when NetworkManager takes its name). */
#define NMSETTINGS_RETRY_S 60

#define NM_OPENVPN_SERVICE "org.freedesktop.NetworkManager.openvpn"

struct nm_openvpn_conn {
	char *path;     /* the settings object ("/org/freedesktop/NetworkManager/Settings/3") */
	char *id;       /* connection.id: its name as the user sees it */
	char *uuid;     /* connection.uuid */
	char *profile;  /* the directives the plugin gives openvpn (vd_nm_openvpn_profile) */
	char *user;     /* the one user of connection.permissions ("user:alice:"), or NULL: all;
	                 * "?" for a name no user database holds, "(several users)" for
	                 * more than one (no one principal: daemon/nmprincipal.h) */
};

typedef void (*nmsettings_changed_fn)(void *userdata);

/* Starts looking (asynchronously, on base's loop); cb after each change of
 * the list or of a connection. */
int nmsettings_new(struct event_base *base, nmsettings_changed_fn cb, void *userdata, struct nmsettings **ret);
void nmsettings_free(struct nmsettings *s);
size_t nmsettings_count(const struct nmsettings *s);
const struct nm_openvpn_conn *nmsettings_at(const struct nmsettings *s, size_t i);
/* The connection of uuid, or NULL. */
const struct nm_openvpn_conn *nmsettings_find_uuid(const struct nmsettings *s, const char *uuid);

#endif
