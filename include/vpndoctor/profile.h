/* The profile check behind `vpndoctor lint` and the daemon's profile probe:
 * parse a client config, resolve and read every file it references the way
 * OpenVPN does, check certificates and keys, and describe the result as the
 * "profile" facts section (docs/facts.md). Findings come from the rules. */
#ifndef VPNDOCTOR_PROFILE_H
#define VPNDOCTOR_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

/* Reads a whole file: 0 and a malloc'ed NUL-terminated buffer, or -errno.
 * Files over max bytes are -EFBIG. */
typedef int (*vd_read_file_fn)(void *userdata, const char *path, size_t max, char **ret, size_t *ret_len);

/* The default reader: vd_read_file_as(NULL, ...) of vpndoctor/principal.h
 * (a regular file only; no FIFO waited on, no device opened). */
int vd_read_file(void *userdata, const char *path, size_t max, char **ret, size_t *ret_len);

struct vd_profile_opts {
	const char *basedir;  /* where relative paths resolve (a `cd` in the file wins);
	                       * NULL: the config's own folder */
	vd_read_file_fn read; /* NULL: vd_read_file */
	void *userdata;
	const char *p12_pass; /* for a PKCS#12 with a password; may be NULL */
	/* A profile read on behalf of another user's process (the daemon):
	 * no word of its files in a message but known directives' (see
	 * VD_OVPN_NO_QUOTE), and read_as (who the files are read as, "alice
	 * (uid 1000)") in the section and in "cannot be read" messages. */
	bool no_quote;
	const char *read_as;
};

/* Check the profile at path. Returns 0 and the "profile" section in *ret even
 * when the profile has problems (they are listed in it); -errno only when the
 * section itself could not be built (-ENOMEM). */
int vd_profile_check(const char *path, const struct vd_profile_opts *opts, struct cJSON **ret);
/* The same for a profile that is no file: len bytes of text (a command
 * line's or NetworkManager's settings', vpndoctor/ovpn_argv.h) standing for
 * the file name (shown as the profile's path and in its problems, "/proc/1234/
 * cmdline"); opts->basedir is where its relative paths resolve. */
int vd_profile_check_text(const char *name, const char *text, size_t len, const struct vd_profile_opts *opts,
                          struct cJSON **ret);

#endif
