/* Whose rights a NetworkManager connection's file is opened with, asked of
 * NetworkManager itself over the system bus by whoever opens it (the
 * privileged parent, daemon/priv.c; the daemon itself without one), never
 * taken from the engine: the rule is vd_nm_principal's (principal.h) and
 * vpndoctord(8)'s PRIVILEGES. Blocking, each call at most NMPRINCIPAL_TIMEOUT_MS. */
#ifndef VPNDOCTORD_NMPRINCIPAL_H
#define VPNDOCTORD_NMPRINCIPAL_H

#include <stdbool.h>

#include "vpndoctor/principal.h"

#define NMPRINCIPAL_TIMEOUT_MS 1500 /* four calls stay within the parent's answer time */

/* The principal for path (dir: a directory of one of its files, to watch or
 * list) of the connection uuid, as NetworkManager (the owner of its bus
 * name, believed only as root or as this process's user) has it now.
 * 0 and *ret; -EPERM: the connection does not name path (or is not
 * OpenVPN's); -EACCES: no one principal (several users, an unknown user,
 * NetworkManager not believed); -ENOENT: no such connection; -EHOSTDOWN: no
 * bus or no NetworkManager; -ETIMEDOUT (NetworkManager did not answer in
 * time, or did not within the last 10 s: it is not asked again until then);
 * -ENOMEM. */
int nmprincipal_of(const char *uuid, const char *path, bool dir, struct vd_principal *ret);
/* Closes its bus connection (each question opens one of its own, closed
 * after it: nmprincipal.c, fetch). */
void nmprincipal_close(void);

#endif
