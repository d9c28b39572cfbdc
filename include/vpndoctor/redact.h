/* Secrets out of what `vpndoctor report` bundles: a client profile written back
 * without keys or passwords (certificates reduced to who, by whom and when), a
 * last-resort scrubber for any text, and a consistent anonymizer of public
 * addresses and host names. No I/O of its own: files are read via a callback. */
#ifndef VPNDOCTOR_REDACT_H
#define VPNDOCTOR_REDACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vpndoctor/common.h"
#include "vpndoctor/profile.h"

/* What was removed, one line each, for the report's MANIFEST. */
struct vd_redact_notes {
	char **lines;
	size_t n;
};
void vd_redact_notes_free(struct vd_redact_notes *n);

struct vd_redact_profile_opts {
	const char *basedir;  /* where relative file names resolve (a `cd` in the profile
	                       * wins); NULL: the profile's own folder */
	vd_read_file_fn read; /* reads referenced certificates to summarise them;
	                       * NULL: they are not read (the path alone stays) */
	void *userdata;
};

/* Parses the profile and writes it back option by option, as an allowlist:
 * a directive OpenVPN knows keeps its name, and of its arguments only those
 * its entry in the allowlist marks as holding no secret (addresses, ports,
 * numbers, keywords, algorithm and file names); every other argument is
 * written as [REDACTED]. A script option keeps its program, not the
 * program's arguments; "setenv opt X" is treated as X. A directive OpenVPN
 * does not know, and an inline block of one, is text its author wrote and
 * becomes a comment saying a line was removed. Comments go (they may hold
 * anything). Inline blocks other than <ca>, <cert> and <extra-certs> lose
 * their body (keys, <pkcs12>, tls-auth, tls-crypt, tls-crypt-v2, secret,
 * auth-user-pass, http-proxy-user-pass, ...); certificates inline or
 * referenced become comment lines with subject, issuer, validity and SHA-256
 * fingerprint. Referenced key and password files are never read. Each kept
 * argument, then each written line, also goes through vd_redact_scrub() (a
 * line whose scrubbed form would no longer parse is replaced by a comment),
 * so the result parses as a profile again unless a line outgrew OpenVPN's
 * 255 characters. 0 and *ret (malloc'ed, NUL-terminated); -EINVAL when the
 * profile does not parse (why in err); -ENOMEM. notes may be NULL. */
int vd_redact_profile(const char *filename, const char *data, size_t len,
                      const struct vd_redact_profile_opts *opts, char **ret, size_t *ret_len,
                      struct vd_redact_notes *notes, struct vd_error *err);

/* The allowlist behind vd_redact_profile(), for tests and documentation:
 * entry i's directive and why its arguments stay or go; -ENOENT past the
 * end. Entries are sorted by name. */
int vd_redact_rule(size_t i, const char **name, const char **reason);
/* Whether OpenVPN knows the directive (it has an entry). */
bool vd_redact_known(const char *name);

enum vd_redact_arg {
	VD_REDACT_DROP,    /* written as [REDACTED] */
	VD_REDACT_KEEP,    /* kept (after vd_redact_scrub()) */
	VD_REDACT_PROGRAM, /* a command line: its first word kept when it looks like a program's path */
};
/* What vd_redact_profile() does with argument i of the option name argv[0..argc-1]. */
enum vd_redact_arg vd_redact_arg_class(const char *name, const char *const *argv, size_t argc, size_t i);

/* The last line of defence, over any text: removes every PEM block that is
 * not public (all but certificates, CRLs, requests, public keys and
 * parameters: so private keys of any kind and encryption, OpenVPN static and
 * tls-crypt-v2 keys), an unterminated one up to the end of the text, and the
 * value of every password-like "key=value", "key: value", "\"key\": \"value\""
 * (password, passwd, passphrase, pass, pwd, secret, token, api_key, ...) and
 * "auth-token VALUE". *ret malloc'ed, NUL-terminated; *ret_count (may be
 * NULL) the number of removals. 0 or -ENOMEM. notes may be NULL. */
int vd_redact_scrub(const char *in, size_t len, char **ret, size_t *ret_len, unsigned *ret_count,
                    struct vd_redact_notes *notes);

/* --anonymize: public IPv4 and IPv6 addresses and public host names become
 * stand-ins, the same input always the same stand-in within one vd_anon:
 * IPv4 from 203.0.113.0/24, then 198.51.100.0/24 and 192.0.2.0/24; IPv6
 * 2001:db8:ffff::N; names hostN.example.invalid. Kept as they are (not
 * public, or needed to read the routes): RFC 1918, CGNAT 100.64/10, loopback,
 * link-local, 0/8, multicast, 240/4, netmasks, the documentation ranges and
 * the 198.18/15 lab range; IPv6 ::, ::1, fe80::/10, fc00::/7, ff00::/8,
 * 2001:db8::/32, 2001:2::/48; names under .internal, .local, .lan,
 * .home.arpa, .localhost, .test, .example, .invalid and example.com/net/org.
 * A host name is a dotted name whose last label is a public TLD (every two
 * letter one and a list of common generic ones) and that is not a path
 * component (after '/', except a URL's "//"). */
struct vd_anon;
int vd_anon_new(struct vd_anon **ret);
void vd_anon_free(struct vd_anon *a);
/* Records the kept documentation addresses and stand-in-looking names in
 * text, so that no stand-in equals one of them: call it over all the text
 * first. 0 or -ENOMEM. */
int vd_anon_reserve(struct vd_anon *a, const char *text, size_t len);
/* Maps this name too, though not public (the machine's own host name): the
 * name itself and any dotted name whose first label it is. 0, -EINVAL, -ENOMEM. */
int vd_anon_add_name(struct vd_anon *a, const char *name);
/* Rewrites text. *ret malloc'ed, NUL-terminated. 0 or -ENOMEM. */
int vd_anon_apply(struct vd_anon *a, const char *in, size_t len, char **ret, size_t *ret_len);
/* How many distinct inputs were mapped so far. */
void vd_anon_counts(const struct vd_anon *a, size_t *ipv4, size_t *ipv6, size_t *names);

/* The classification behind it (network byte order). */
bool vd_anon_ipv4_is_public(const uint8_t addr[4]);
bool vd_anon_ipv6_is_public(const uint8_t addr[16]);
/* name: a dotted host name, any case, no trailing dot. */
bool vd_anon_name_is_public(const char *name, size_t len);

#endif
