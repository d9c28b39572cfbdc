/* A client profile for an openvpn with no configuration file: its command
 * line, whose options are the file's directives ("--remote h 1194 udp" is
 * "remote h 1194 udp"), as NetworkManager's openvpn plugin starts it; and
 * NetworkManager's connection settings (vpn.data), turned into those options
 * as the plugin turns them, so that a connection is checked before it
 * connects too. The text goes to vd_profile_check_text(). Pure. */
#ifndef VPNDOCTOR_OVPN_ARGV_H
#define VPNDOCTOR_OVPN_ARGV_H

#include <stddef.h>

/* OpenVPN's MAX_PARMS: an option takes at most this many words. */
#define VD_OVPN_ARGV_MAX_PARAMS 16

/* The directives of cmdline (the NUL-separated argv of /proc/PID/cmdline,
 * len bytes; the last NUL may be missing), one per line, as a config file
 * would hold them: an option is "--NAME" and the words after it that do not
 * start with "--" (as OpenVPN's parse_argv reads them); words are quoted
 * where a config file needs it. Left out: --config (the file is its own
 * profile) and --cd (the caller gives the process's working directory as the
 * profile's base), a stray word, and an option with a word a line cannot hold
 * (a newline). 0 and a malloc'ed, NUL-terminated text; -EINVAL (not an argv),
 * -E2BIG (over VD_PROC_CMDLINE_MAX), -ENOMEM. */
int vd_ovpn_argv_profile(const char *cmdline, size_t len, char **ret, size_t *ret_len);

/* The directives NetworkManager's openvpn plugin (nm-openvpn-service.c)
 * gives openvpn for a connection's vpn.data items keys[i] = values[i]: the
 * remotes (host[:port[:proto]], several separated by spaces or commas; port,
 * proto-tcp), ca, cert, key, ta/ta-dir, tls-crypt, tls-crypt-v2, static-key,
 * cipher, data-ciphers, auth, comp-lzo/compress, remote-cert-tls,
 * verify-x509-name, tls-version-min/max, extra-certs, crl-verify-file, dev,
 * the proxies, the keepalive and MTU options; "client" for the TLS connection
 * types. Secrets (password, cert-pass) are never read. Unknown items are
 * left out. 0 and the text as above, -ENOMEM. */
int vd_nm_openvpn_profile(const char *const *keys, const char *const *values, size_t n, char **ret,
                          size_t *ret_len);

/* What ties a running openvpn to the NetworkManager connection it was started
 * for, from either's profile text (vd_ovpn_argv_profile of its command line,
 * vd_nm_openvpn_profile of the connection's vpn.data): the remotes OpenVPN
 * would try (host, port, proto: vd_ovpn_config_remotes) and the paths of its
 * ca, cert, key, pkcs12, tls-auth, tls-crypt, tls-crypt-v2 and secret, one
 * per line; what only the run adds (management, --up, the plugin's bus name)
 * is not in it. Two profiles with the same key are the same client. 0 and a
 * malloc'ed text; -EINVAL (not a profile, or no remote: nothing to tie by),
 * -ENOMEM. */
int vd_ovpn_profile_match_key(const char *text, size_t len, char **ret);

#endif
