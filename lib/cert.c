/* Certificates and keys with OpenSSL 3. Every function leaves OpenSSL's error
 * queue empty: the library never logs, and a stale queue would confuse the
 * next caller's error reporting. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "vpndoctor/cert.h"

/* OpenSSL 3's compiled-in default security level (2): 112 bits of security. */
#define SECLEVEL_RSA_BITS 2048
#define SECLEVEL_EC_BITS  224

static BIO *mem_bio(const char *data, size_t len)
{
	if (!data || len > INT32_MAX)
		return NULL;
	return BIO_new_mem_buf(data, (int)len);
}

static X509 *load_cert(const char *data, size_t len)
{
	BIO *b = mem_bio(data, len);
	X509 *x;

	if (!b)
		return NULL;
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	if (!x) {
		const unsigned char *p = (const unsigned char *)data;

		x = d2i_X509(NULL, &p, (long)len);
	}
	BIO_free(b);
	return x;
}

/* All certificates of a PEM bundle, or the one of a DER buffer. */
static STACK_OF(X509) *load_certs(const char *data, size_t len)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	BIO *b;
	X509 *x;

	if (!sk)
		return NULL;
	b = mem_bio(data, len);
	if (!b) {
		sk_X509_free(sk);
		return NULL;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			break;
		}
	}
	BIO_free(b);
	if (sk_X509_num(sk) == 0) {
		const unsigned char *p = (const unsigned char *)data;

		x = d2i_X509(NULL, &p, (long)len);
		if (x && !sk_X509_push(sk, x))
			X509_free(x);
	}
	if (sk_X509_num(sk) == 0) {
		sk_X509_free(sk);
		return NULL;
	}
	return sk;
}

static void name_str(const X509_NAME *n, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long l;

	buf[0] = '\0';
	if (!b)
		return;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0) {
		l = BIO_get_mem_data(b, &p);
		if (l > 0)
			snprintf(buf, len, "%.*s", (int)l, p);
	}
	BIO_free(b);
}

static int64_t asn1_time_epoch(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

static void fill_info(X509 *x, struct vd_cert_info *ci)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	int mdnid = NID_undef;

	memset(ci, 0, sizeof(*ci));
	name_str(X509_get_subject_name(x), ci->subject, sizeof(ci->subject));
	name_str(X509_get_issuer_name(x), ci->issuer, sizeof(ci->issuer));
	ci->not_before = asn1_time_epoch(X509_get0_notBefore(x));
	ci->not_after = asn1_time_epoch(X509_get0_notAfter(x));
	if (pk) {
		const char *tn = EVP_PKEY_get0_type_name(pk);

		ci->key_bits = EVP_PKEY_get_bits(pk);
		snprintf(ci->key_type, sizeof(ci->key_type), "%s", tn ? tn : "");
	}
	if (X509_get_signature_info(x, &mdnid, NULL, NULL, NULL) == 1 && mdnid != NID_undef) {
		const char *sn = OBJ_nid2sn(mdnid);

		snprintf(ci->sig_digest, sizeof(ci->sig_digest), "%s", sn ? sn : "");
	}
	ci->is_ca = X509_check_ca(x) > 0;
}

int vd_cert_info(const char *data, size_t len, struct vd_cert_info *ret)
{
	X509 *x = load_cert(data, len);

	if (!x) {
		ERR_clear_error();
		return -EINVAL;
	}
	fill_info(x, ret);
	X509_free(x);
	ERR_clear_error();
	return 0;
}

int vd_cert_info_all(const char *data, size_t len, struct vd_cert_info **ret, size_t *n)
{
	STACK_OF(X509) *sk = load_certs(data, len);
	struct vd_cert_info *a;
	int cnt;

	ERR_clear_error();
	if (!sk)
		return -EINVAL;
	cnt = sk_X509_num(sk);
	a = calloc((size_t)cnt, sizeof(*a));
	if (!a) {
		sk_X509_pop_free(sk, X509_free);
		return -ENOMEM;
	}
	for (int i = 0; i < cnt; i++)
		fill_info(sk_X509_value(sk, i), &a[i]);
	sk_X509_pop_free(sk, X509_free);
	ERR_clear_error();
	*ret = a;
	*n = (size_t)cnt;
	return 0;
}

/* The password callback never supplies a password: it only notes that one
 * was asked for, which is how an encrypted key is told from a broken one. */
static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	bool *asked = u;

	(void)buf;
	(void)size;
	(void)rwflag;
	*asked = true;
	return -1;
}

static EVP_PKEY *load_key(const char *data, size_t len, bool *asked)
{
	EVP_PKEY *pk;
	BIO *b;

	*asked = false;
	b = mem_bio(data, len);
	if (!b)
		return NULL;
	pk = PEM_read_bio_PrivateKey(b, NULL, pass_cb, asked);
	BIO_free(b);
	if (pk || *asked)
		return pk;
	/* DER: encrypted PKCS#8 first (so the callback can fire), then plain. */
	b = mem_bio(data, len);
	if (!b)
		return NULL;
	pk = d2i_PKCS8PrivateKey_bio(b, NULL, pass_cb, asked);
	BIO_free(b);
	if (pk || *asked)
		return pk;
	{
		const unsigned char *p = (const unsigned char *)data;

		pk = d2i_AutoPrivateKey(NULL, &p, (long)len);
	}
	return pk;
}

enum vd_key_state vd_key_inspect(const char *data, size_t len)
{
	bool asked;
	EVP_PKEY *pk = load_key(data, len, &asked);
	enum vd_key_state st;

	if (pk)
		st = VD_KEY_OK;
	else
		st = asked ? VD_KEY_ENCRYPTED : VD_KEY_INVALID;
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return st;
}

int vd_cert_key_match(const char *cert, size_t cert_len, const char *key, size_t key_len)
{
	X509 *x;
	EVP_PKEY *pk;
	bool asked;
	int r;

	x = load_cert(cert, cert_len);
	if (!x) {
		ERR_clear_error();
		return -EINVAL;
	}
	pk = load_key(key, key_len, &asked);
	if (!pk) {
		X509_free(x);
		ERR_clear_error();
		return asked ? -EACCES : -EINVAL;
	}
	/* 1 equal; 0 differ; -1 different key types; -2 cannot compare. */
	r = EVP_PKEY_eq(X509_get0_pubkey(x), pk) == 1 ? 1 : 0;
	EVP_PKEY_free(pk);
	X509_free(x);
	ERR_clear_error();
	return r;
}

static int verify(const char *cert, size_t cert_len, const char *ca, size_t ca_len,
                  const char *extra, size_t extra_len, int64_t at, char *why, size_t why_len)
{
	STACK_OF(X509) *cas = NULL, *untrusted = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509 *x = NULL;
	int r = -ENOMEM;

	if (why && why_len)
		why[0] = '\0';
	x = load_cert(cert, cert_len);
	cas = load_certs(ca, ca_len);
	if (!x || !cas) {
		r = -EINVAL;
		goto out;
	}
	if (extra && extra_len) {
		untrusted = load_certs(extra, extra_len);
		if (!untrusted) {
			r = -EINVAL;
			goto out;
		}
	}
	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	if (!store || !ctx)
		goto out;
	for (int i = 0; i < sk_X509_num(cas); i++)
		if (X509_STORE_add_cert(store, sk_X509_value(cas, i)) != 1)
			goto out;
	if (X509_STORE_CTX_init(ctx, store, x, untrusted) != 1)
		goto out;
	if (at < 0)
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
	else
		X509_STORE_CTX_set_time(ctx, 0, (time_t)at);
	if (X509_verify_cert(ctx) == 1) {
		r = 0;
	} else {
		if (why && why_len)
			snprintf(why, why_len, "%s",
			         X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		r = -EBADMSG;
	}
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_pop_free(untrusted, X509_free);
	sk_X509_pop_free(cas, X509_free);
	X509_free(x);
	ERR_clear_error();
	return r;
}

int vd_cert_verify_chain(const char *cert, size_t cert_len, const char *ca, size_t ca_len,
                         const char *extra, size_t extra_len, char *why, size_t why_len)
{
	return verify(cert, cert_len, ca, ca_len, extra, extra_len, -1, why, why_len);
}

static bool is_weak_digest(const char *d)
{
	static const char *const weak[] = { "MD2", "MD4", "MD5", "SHA1", "MDC2" };

	for (size_t i = 0; i < VD_ARRAY_SIZE(weak); i++)
		if (strcmp(d, weak[i]) == 0)
			return true;
	return false;
}

int vd_cert_min_bits(const char *t)
{
	if (strcmp(t, "RSA") == 0 || strcmp(t, "RSA-PSS") == 0 || strcmp(t, "DSA") == 0 ||
	    strcmp(t, "DH") == 0 || strcmp(t, "DHX") == 0)
		return SECLEVEL_RSA_BITS;
	if (strcmp(t, "EC") == 0 || strcmp(t, "SM2") == 0)
		return SECLEVEL_EC_BITS;
	return 0;
}

bool vd_cert_security_ok(const struct vd_cert_info *ci, char *why, size_t why_len)
{
	const char *t = ci->key_type;
	int need = vd_cert_min_bits(t);

	if (why && why_len)
		why[0] = '\0';
	if (need && ci->key_bits < need) {
		if (why && why_len)
			snprintf(why, why_len,
			         "its %s key has %d bits, and OpenSSL's default security level 2 needs at least %d",
			         t, ci->key_bits, need);
		return false;
	}
	/* A self-signed root is trusted as configured; its own signature is never
	 * checked, so its digest does not matter (OpenSSL skips it too). */
	if (strcmp(ci->subject, ci->issuer) != 0 && is_weak_digest(ci->sig_digest)) {
		if (why && why_len)
			snprintf(why, why_len,
			         "it is signed with %s, which OpenSSL's default security level 2 refuses",
			         ci->sig_digest);
		return false;
	}
	return true;
}

static char *bio_strdup(BIO *b)
{
	char *p, *s;
	long l = BIO_get_mem_data(b, &p);

	if (l < 0)
		return NULL;
	s = malloc((size_t)l + 1);
	if (!s)
		return NULL;
	if (l > 0) /* an empty BIO has no data pointer */
		memcpy(s, p, (size_t)l);
	s[l] = '\0';
	return s;
}

int vd_pkcs12_split(const char *data, size_t len, const char *pass,
                    char **ret_cert, char **ret_key, char **ret_ca)
{
	PKCS12 *p12 = NULL;
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	STACK_OF(X509) *ca = NULL;
	BIO *bc = NULL, *bk = NULL, *ba = NULL;
	char *sc = NULL, *sk = NULL, *sa = NULL;
	BIO *b;
	int r = -EINVAL;

	b = mem_bio(data, len);
	if (!b)
		return -EINVAL;
	p12 = d2i_PKCS12_bio(b, NULL);
	BIO_free(b);
	if (!p12)
		goto out;
	if (PKCS12_mac_present(p12)) {
		/* "no password" is NULL or "" depending on the tool that wrote it. */
		if (pass) {
			if (!PKCS12_verify_mac(p12, pass, -1)) {
				r = -EACCES;
				goto out;
			}
		} else if (PKCS12_verify_mac(p12, NULL, 0)) {
			pass = NULL;
		} else if (PKCS12_verify_mac(p12, "", 0)) {
			pass = "";
		} else {
			r = -EACCES;
			goto out;
		}
	}
	if (PKCS12_parse(p12, pass, &pk, &x, &ca) != 1)
		goto out;
	r = -ENOMEM;
	bc = BIO_new(BIO_s_mem());
	bk = BIO_new(BIO_s_mem());
	ba = BIO_new(BIO_s_mem());
	if (!bc || !bk || !ba)
		goto out;
	if (x && PEM_write_bio_X509(bc, x) != 1)
		goto out;
	if (pk && PEM_write_bio_PrivateKey(bk, pk, NULL, NULL, 0, NULL, NULL) != 1)
		goto out;
	for (int i = 0; i < sk_X509_num(ca); i++)
		if (PEM_write_bio_X509(ba, sk_X509_value(ca, i)) != 1)
			goto out;
	sc = bio_strdup(bc);
	sk = bio_strdup(bk);
	sa = bio_strdup(ba);
	if (!sc || !sk || !sa)
		goto out;
	*ret_cert = sc;
	*ret_key = sk;
	*ret_ca = sa;
	sc = sk = sa = NULL;
	r = 0;
out:
	free(sc);
	free(sk);
	free(sa);
	BIO_free(bc);
	BIO_free(bk);
	BIO_free(ba);
	sk_X509_pop_free(ca, X509_free);
	X509_free(x);
	EVP_PKEY_free(pk);
	PKCS12_free(p12);
	ERR_clear_error();
	return r;
}
