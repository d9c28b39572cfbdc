/* Per-user settings of the agent: $XDG_CONFIG_HOME/vpndoctor/notify.conf
 * (INI, one [Notify] section), checked whole at start with FILE:LINE errors. */
#ifndef VPNDOCTOR_NOTIFY_SETTINGS_H
#define VPNDOCTOR_NOTIFY_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "vpndoctor/common.h"

#define SETTINGS_INTERVAL_DEFAULT 300u
#define SETTINGS_INTERVAL_MAX     86400u

struct settings {
	enum vd_severity min_severity; /* nothing below it is shown */
	unsigned interval_s;           /* per tunnel and cause, one opening or update at most this often */
	char **muted;                  /* cause ids, NULL-ended */
	size_t n_muted;
};

void settings_init(struct settings *s);
void settings_done(struct settings *s);
/* The default path ($XDG_CONFIG_HOME or ~/.config + /vpndoctor/notify.conf)
 * into buf; -ENOENT when neither is set. */
int settings_default_path(char *buf, size_t len);
/* Reads path into s. A missing file is -ENOENT (the caller decides whether it
 * matters); a malformed one -EINVAL with err set to FILE:LINE and why. */
int settings_load(struct settings *s, const char *path, struct vd_error *err);
bool settings_muted(const struct settings *s, const char *cause);

#endif
