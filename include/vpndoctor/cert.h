/* Certificates and keys of a client profile (OpenSSL 3): validity against a
 * caller-supplied time (an NTP-corrected clock), key/certificate match, chain to
 * the CA, key size and signature digest against OpenSSL's default security
 * level, encrypted keys, PKCS#12. No I/O: callers pass the bytes. */
#ifndef VPNDOCTOR_CERT_H
#define VPNDOCTOR_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vpndoctor/common.h"

struct vd_cert_info {
	char subject[256];  /* one-line RFC 2253 */
	char issuer[256];
	int64_t not_before; /* seconds since the epoch */
	int64_t not_after;
	int key_bits;
	char key_type[16];  /* "RSA", "EC", "ED25519", ... */
	char sig_digest[32];/* "SHA256", "SHA1", "MD5", ... ("" when unknown) */
	bool is_ca;
};

/* First certificate of a PEM (or DER) buffer. 0, -EINVAL (not a certificate). */
int vd_cert_info(const char *data, size_t len, struct vd_cert_info *ret);
/* Every certificate in a PEM buffer (a CA bundle); *ret malloc'ed. */
int vd_cert_info_all(const char *data, size_t len, struct vd_cert_info **ret, size_t *n);

enum vd_key_state {
	VD_KEY_OK,
	VD_KEY_ENCRYPTED, /* a passphrase is needed to read it */
	VD_KEY_INVALID,   /* not a private key */
};
/* Inspect a private key buffer (PEM, PKCS#8, traditional RSA/EC). */
enum vd_key_state vd_key_inspect(const char *data, size_t len);

/* 1 when the (unencrypted) key belongs to the certificate, 0 when not, <0 on
 * error (-EINVAL unreadable, -EACCES encrypted). */
int vd_cert_key_match(const char *cert, size_t cert_len, const char *key, size_t key_len);

/* Verify the certificate against the CA bundle at time `at` (chain only when
 * at < 0: validity dates are judged separately by the caller). Returns 0 when
 * it chains, -EBADMSG when not, -EINVAL on unreadable input. On failure a short
 * reason (OpenSSL's verify error string) goes to why. `extra` may hold
 * intermediate certificates (extra-certs), or be NULL. */
int vd_cert_verify_chain(const char *cert, size_t cert_len, const char *ca, size_t ca_len,
                         const char *extra, size_t extra_len, char *why, size_t why_len);

/* Key size and digest acceptable at OpenSSL's default security level (1 in
 * Debian 12's default config: RSA >= 2048 and no SHA1/MD5 signatures are what
 * level 2 requires; we report against level 2, OpenSSL 3's compiled default).
 * Returns true when acceptable; else a reason in why. */
bool vd_cert_security_ok(const struct vd_cert_info *ci, char *why, size_t why_len);
/* The fewest bits level 2 takes for a key of type key_type ("RSA", "EC"...),
 * 0 for a type it sets no size for. */
int vd_cert_min_bits(const char *key_type);

/* PKCS#12: split into PEM certificate, PEM key (unencrypted) and PEM CA certs.
 * pass may be NULL (empty password). 0, -EACCES (needs a password), -EINVAL.
 * Outputs malloc'ed, NUL-terminated. */
int vd_pkcs12_split(const char *data, size_t len, const char *pass,
                    char **ret_cert, char **ret_key, char **ret_ca);

#endif
