/* OpenVPN version strings, as the first line of `openvpn --version` prints
 * them on Debian, Fedora, Homebrew and upstream builds, and the version policy. */
#ifndef VPNDOCTOR_VERSION_H
#define VPNDOCTOR_VERSION_H

#include <stddef.h>

struct vd_ovpn_version {
	unsigned major, minor, patch;
	char suffix[32];   /* "_rc2", "_git", "" */
	char platform[64]; /* "x86_64-pc-linux-gnu", "Windows", ... ("" if absent) */
	char ssl[32];      /* "OpenSSL", "mbed TLS", ... ("" if absent) */
};

/* Parses "OpenVPN 2.6.14 x86_64-pc-linux-gnu [SSL (OpenSSL)] [LZO] ..." or a
 * bare "2.6.14". Returns 0 or -EINVAL. */
int vd_ovpn_version_parse(const char *line, struct vd_ovpn_version *ret);

/* The title string in an openvpn binary's bytes ("OpenVPN 2.6.14
 * x86_64-pc-linux-gnu [SSL (OpenSSL)] ..."), found without running it: the
 * first "OpenVPN " + a version + one word with a '-' (the target triple) +
 * " [" in buf, which need not be NUL-terminated. Printable ASCII only, cut at
 * the first NUL or control byte and to size. 0 and the title in out, or
 * -ENOENT. A caller scanning a file in windows overlaps them by
 * VD_OVPN_TITLE_MAX bytes. */
#define VD_OVPN_TITLE_MAX 256
int vd_ovpn_version_scan(const char *buf, size_t len, char *out, size_t size);

/* The upstream version of an installed package in a dpkg status database
 * (/var/lib/dpkg/status): the stanza of package whose Status is "install
 * ok installed", its Version without epoch or Debian revision ("1:2.6.14-1"
 * gives "2.6.14"). 0, -ENOENT (not installed), -EINVAL (no usable Version). */
int vd_dpkg_version(const char *status, size_t len, const char *package, char *out, size_t size);

enum vd_version_verdict {
	VD_VERSION_OK,
	VD_VERSION_TOO_OLD,   /* before 2.4.0: no NCP */
	VD_VERSION_KNOWN_BAD, /* a release with known data-path bugs (2.6.6 is the FAQ's) */
	VD_VERSION_UNKNOWN,   /* newer than anything the project has data on */
};

struct cJSON;

/* The policy, with a one-line reason for the finding's summary (in English). */
enum vd_version_verdict vd_ovpn_version_check(const struct vd_ovpn_version *v, char *why, size_t len);
/* The same reason as a message (vpndoctor/message.h) in *ret, the verdict in
 * *verdict; 0 or -ENOMEM. */
int vd_ovpn_version_message(const struct vd_ovpn_version *v, enum vd_version_verdict *verdict,
                            struct cJSON **ret);
const char *vd_version_verdict_name(enum vd_version_verdict v);

#endif
