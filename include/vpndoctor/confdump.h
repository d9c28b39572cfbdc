/* The effective configuration as people read it: the dump that vpndoctord
 * --dump-config and io.vpndoctor.GetConfig give, rendered as INI. */
#ifndef VPNDOCTOR_CONFDUMP_H
#define VPNDOCTOR_CONFDUMP_H

struct cJSON;

/* dump: {"files": [..], "sections": [{"name", "keys": [{"key", "value",
 * "origin"}]}]}. Every set key is preceded by a "# FILE:LINE" comment; a key
 * no file sets is shown commented out with its built-in value (systemd's
 * habit in /etc/systemd/ *.conf), so the text is itself a valid file.
 * Returns 0 with *ret malloc'd, -EINVAL for a dump of another shape, or
 * -ENOMEM. */
int vd_confdump_text(const struct cJSON *dump, char **ret);

#endif
