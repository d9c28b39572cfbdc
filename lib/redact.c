/* Secrets out of report text. Everything here fails closed: an inline block
 * is dropped unless it is known to hold only certificates, a PEM block is
 * dropped unless its label is known to be public, and a profile that does not
 * parse is not written back at all. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "vpndoctor/cert.h"
#include "vpndoctor/common.h"
#include "vpndoctor/ovpn_config.h"
#include "vpndoctor/redact.h"
#include "vpndoctor/strbuf.h"

#define REDACTED "[REDACTED]"
/* Referenced certificate files are small; a bigger one is not read. */
#define REF_MAX (1024 * 1024)
#define PEM_LABEL_MAX 80

/* ---- notes ---------------------------------------------------------------------- */

void vd_redact_notes_free(struct vd_redact_notes *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		free(n->lines[i]);
	free(n->lines);
	n->lines = NULL;
	n->n = 0;
}

__attribute__((format(printf, 2, 3)))
static int note(struct vd_redact_notes *n, const char *fmt, ...)
{
	char tmp[512], **a, *s;
	va_list ap;

	if (!n)
		return 0;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	s = strdup(tmp);
	a = s ? reallocarray(n->lines, n->n + 1, sizeof(*a)) : NULL;
	if (!a) {
		free(s);
		return -ENOMEM;
	}
	a[n->n++] = s;
	n->lines = a;
	return 0;
}

/* ---- the scrubber --------------------------------------------------------------- */

/* PEM labels known to carry nothing secret; every other block goes. */
static const char *const public_pem[] = {
	"CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE", "X509 CRL",
	"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST", "PUBLIC KEY", "RSA PUBLIC KEY",
	"DH PARAMETERS", "X9.42 DH PARAMETERS", "EC PARAMETERS", "PKCS7", "CMS",
};

static const char *memcasemem(const char *h, size_t hl, const char *n)
{
	size_t nl = strlen(n);

	if (nl == 0 || hl < nl)
		return NULL;
	for (size_t i = 0; i + nl <= hl; i++)
		if (strncasecmp(h + i, n, nl) == 0)
			return h + i;
	return NULL;
}

/* Label of a "-----BEGIN LABEL-----" at p (which points at "-----BEGIN ");
 * *ok false when the marker is not closed on its line. Returns the length
 * of the whole marker (to the closing dashes, else to the end of line). */
static size_t pem_label(const char *p, size_t avail, char *label, size_t lsz, bool *ok)
{
	size_t i = 11, l = 0;

	*ok = false;
	while (i < avail && p[i] != '\n' && p[i] != '\r' && !(p[i] == '\\' && i + 1 < avail && p[i + 1] == 'n')) {
		if (avail - i >= 5 && memcmp(p + i, "-----", 5) == 0) {
			*ok = true;
			label[l] = '\0';
			return i + 5;
		}
		/* a byte no PEM label has (a NUL above all, which would cut the
		 * label short of its end) makes it match no public label */
		if (l + 1 < lsz)
			label[l++] = p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?';
		i++;
		if (i > 11 + PEM_LABEL_MAX)
			break;
	}
	label[l] = '\0';
	return i;
}

static bool pem_public(const char *label)
{
	for (size_t i = 0; i < VD_ARRAY_SIZE(public_pem); i++)
		if (strcasecmp(label, public_pem[i]) == 0)
			return true;
	return false;
}

/* The keyword list of "password-like" keys; matched as the last part of a
 * key name (db_password, X-Api-Key), never inside a word (bypass). */
static const char *const secret_words[] = {
	"passphrase", "password", "passwd", "pass", "pwd", "secret", "token",
	"apikey", "api_key", "api-key", "private_key", "private-key", "privatekey",
};

static bool is_word_char(char c)
{
	return isalnum((unsigned char)c);
}

/* Length of a secret keyword at p (with a word boundary before it), or 0. */
static size_t secret_word_at(const char *in, size_t i, size_t len)
{
	if (i > 0 && is_word_char(in[i - 1]))
		return 0;
	for (size_t k = 0; k < VD_ARRAY_SIZE(secret_words); k++) {
		size_t n = strlen(secret_words[k]);

		if (len - i >= n && strncasecmp(in + i, secret_words[k], n) == 0)
			return n;
	}
	return 0;
}

/* A "key: value" / "key=value" / "\"key\": \"value\"" at in[i] whose key
 * ends in a secret word: *vs, *ve the value (quotes excluded), *json when
 * the key was quoted and an unquoted value needs quotes to stay JSON. */
static bool secret_value(const char *in, size_t len, size_t i, size_t wl, size_t *vs, size_t *ve, bool *quote_it)
{
	size_t j = i + wl;
	bool quoted_key = false;
	char q;

	if (j < len && (in[j] == '"' || in[j] == '\'')) {
		quoted_key = true;
		j++;
	}
	while (j < len && (in[j] == ' ' || in[j] == '\t'))
		j++;
	if (j >= len || (in[j] != '=' && in[j] != ':'))
		return false;
	j++;
	/* "key:: x", "key==x" are not assignments we know */
	while (j < len && (in[j] == ' ' || in[j] == '\t'))
		j++;
	if (j >= len)
		return false;
	q = in[j];
	/* a quoted value inside a JSON or C string, key: \"value\" (the
	 * daemon's facts quote log lines so): to the escaped closing quote,
	 * or to the end of the string */
	if (q == '\\' && j + 1 < len && (in[j + 1] == '"' || in[j + 1] == '\'')) {
		size_t k = j + 2;

		q = in[j + 1];
		while (k < len && in[k] != q && in[k] != '\n') {
			if (in[k] == '\\' && k + 1 < len && in[k + 1] == q)
				break;
			if (in[k] == '\\' && k + 1 < len)
				k++;
			k++;
		}
		*vs = j + 2;
		*ve = k > len ? len : k;
		*quote_it = false;
		if (*ve - *vs == strlen(REDACTED) && memcmp(in + *vs, REDACTED, strlen(REDACTED)) == 0)
			return false;
		return *ve > *vs;
	}
	if (q == '"' || q == '\'') {
		size_t k = j + 1;

		while (k < len && in[k] != q && in[k] != '\n') {
			if (in[k] == '\\' && k + 1 < len)
				k++;
			k++;
		}
		*vs = j + 1;
		*ve = k > len ? len : k;
		*quote_it = false;
		return *ve > *vs;
	}
	/* already done (a second pass) */
	if (len - j >= strlen(REDACTED) && memcmp(in + j, REDACTED, strlen(REDACTED)) == 0)
		return false;
	*vs = j;
	while (j < len && !isspace((unsigned char)in[j]) && !strchr(",;&\"'}])<>", in[j]))
		j++;
	*ve = j;
	if (*ve == *vs)
		return false;
	/* JSON literals are not secrets (and replacing them breaks the JSON). */
	if ((*ve - *vs == 4 && (memcmp(in + *vs, "true", 4) == 0 || memcmp(in + *vs, "null", 4) == 0)) ||
	    (*ve - *vs == 5 && memcmp(in + *vs, "false", 5) == 0))
		return false;
	*quote_it = quoted_key;
	return true;
}

/* "(LABEL)" of a removal marker: only plain characters, so the marker can
 * never look like a marker or a key=value itself. */
static void emit_label(struct vd_strbuf *b, const char *label)
{
	for (const char *s = label; *s; s++)
		vd_sb_add(b, isalnum((unsigned char)*s) || *s == ' ' || *s == '-' || *s == '.' ? s : "?", 1);
}

/* Where the non-public block whose marker is at in[i] (ml bytes long) ends:
 * after its matching END marker, else after any END marker, else at the end. */
static size_t pem_block_end(const char *in, size_t len, size_t i, size_t ml, const char *label, bool closed)
{
	char end[PEM_LABEL_MAX + 32];
	const char *e;

	snprintf(end, sizeof(end), "-----END %s-----", label);
	e = closed ? memcasemem(in + i + ml, len - i - ml, end) : NULL;
	if (e)
		return (size_t)(e - in) + strlen(end);
	/* no matching end: everything up to some end may be key material */
	e = memcasemem(in + i + ml, len - i - ml, "-----END");
	if (e) {
		const char *d = memcasemem(e + 8, len - (size_t)(e + 8 - in), "-----");
		return d ? (size_t)(d - in) + 5 : len;
	}
	return len;
}

/* Pass 1: PEM blocks. Before the key=value pass, so that a value cut at a
 * space can never leave the rest of a key behind. Every position is looked
 * at, even inside a block already going and inside a public marker, so that
 * markers sharing their dashes cannot hide a block: the removals are the
 * union of the blocks' spans, each merged span one marker in the output. A
 * removal that starts inside public markers starts at the first of those
 * that share dashes with one another, so none is left cut in two. */
static int scrub_pem(const char *in, size_t len, struct vd_strbuf *b, unsigned *count, struct vd_redact_notes *notes)
{
	size_t run = 0, cs = 0, ce = 0, pub_s = 0, pub_e = 0;
	char first[PEM_LABEL_MAX + 1] = "";
	bool open = false, first_closed = false;

	for (size_t i = 0; i + 11 <= len; i++) {
		char label[PEM_LABEL_MAX + 1];
		size_t ml, s, e;
		bool closed;

		if (in[i] != '-' || strncasecmp(in + i, "-----BEGIN ", 11) != 0)
			continue;
		ml = pem_label(in + i, len - i, label, sizeof(label), &closed);
		if (closed && pem_public(label)) {
			if (i >= pub_e)
				pub_s = i;
			if (i + ml > pub_e)
				pub_e = i + ml;
			continue;
		}
		e = pem_block_end(in, len, i, ml, label, closed);
		/* a public marker this one shares dashes with goes too */
		s = i < pub_e && pub_s >= run ? pub_s : i;
		if (open && s <= ce) {
			if (s < cs)
				cs = s;
			if (e > ce)
				ce = e;
			continue;
		}
		if (open) {
			vd_sb_add(b, in + run, cs - run);
			vd_sb_str(b, "[vpndoctor: removed a PEM block (");
			if (first_closed)
				emit_label(b, first);
			else
				vd_sb_str(b, "unterminated");
			vd_sb_str(b, ")]");
			run = ce;
		}
		open = true;
		cs = s;
		ce = e;
		snprintf(first, sizeof(first), "%s", label);
		first_closed = closed;
		if (note(notes, "removed a PEM block: %s", closed ? label : "unterminated marker") < 0)
			b->oom = true;
		(*count)++;
	}
	if (open) {
		vd_sb_add(b, in + run, cs - run);
		vd_sb_str(b, "[vpndoctor: removed a PEM block (");
		if (first_closed)
			emit_label(b, first);
		else
			vd_sb_str(b, "unterminated");
		vd_sb_str(b, ")]");
		run = ce;
	}
	vd_sb_add(b, in + run, len - run);
	return b->oom ? -ENOMEM : 0;
}

/* Pass 2: password-like values and auth-tokens. */
static int scrub_values(const char *in, size_t len, struct vd_strbuf *b, unsigned *count, struct vd_redact_notes *notes)
{
	size_t i = 0, run = 0;

	while (i < len) {
		if ((in[i] == 'a' || in[i] == 'A') && len - i > 11 && strncasecmp(in + i, "auth-token ", 11) == 0 &&
		    (i == 0 || !is_word_char(in[i - 1]))) {
			size_t vs = i + 11, ve;

			while (vs < len && (in[vs] == ' ' || in[vs] == '\t'))
				vs++;
			ve = vs;
			while (ve < len && !isspace((unsigned char)in[ve]) && !strchr(",;\"'", in[ve]))
				ve++;
			if (ve > vs && !(ve - vs == strlen(REDACTED) && memcmp(in + vs, REDACTED, ve - vs) == 0)) {
				vd_sb_add(b, in + run, vs - run);
				vd_sb_str(b, REDACTED);
				if (note(notes, "removed the value of an auth-token") < 0)
					b->oom = true;
				(*count)++;
				i = run = ve;
				continue;
			}
		}
		if (isalpha((unsigned char)in[i])) {
			size_t wl = secret_word_at(in, i, len), vs, ve;
			bool quote_it;

			if (wl && secret_value(in, len, i, wl, &vs, &ve, &quote_it)) {
				char key[40];
				size_t ks = i;

				/* the key's own name, for the note */
				while (ks > 0 && (isalnum((unsigned char)in[ks - 1]) || in[ks - 1] == '_' || in[ks - 1] == '-') &&
				       i - ks < 24)
					ks--;
				snprintf(key, sizeof(key), "%.*s", (int)(i + wl - ks), in + ks);
				vd_sb_add(b, in + run, vs - run);
				vd_sb_str(b, quote_it ? "\"" REDACTED "\"" : REDACTED);
				if (note(notes, "removed the value of '%s'", key) < 0)
					b->oom = true;
				(*count)++;
				i = run = ve;
				continue;
			}
			/* skip the rest of the word: keywords only start words */
			while (i < len && isalnum((unsigned char)in[i]))
				i++;
			continue;
		}
		i++;
	}
	vd_sb_add(b, in + run, len - run);
	return b->oom ? -ENOMEM : 0;
}

int vd_redact_scrub(const char *in, size_t len, char **ret, size_t *ret_len, unsigned *ret_count,
                    struct vd_redact_notes *notes)
{
	struct vd_strbuf a = {0}, b = {0};
	unsigned count = 0;
	int r;

	r = scrub_pem(in, len, &a, &count, notes);
	if (r == 0)
		r = scrub_values(a.p ? a.p : "", a.len, &b, &count, notes);
	free(a.p);
	if (r < 0) {
		free(b.p);
		return r;
	}
	if (ret_count)
		*ret_count = count;
	return vd_sb_finish(&b, ret, ret_len);
}

/* ---- the profile ---------------------------------------------------------------- */

struct rctx {
	const struct vd_redact_profile_opts *opts;
	struct vd_redact_notes *notes;
	char base[PATH_MAX];
	struct vd_strbuf out;
};


static void rnote(struct rctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rnote(struct rctx *c, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (note(c->notes, "%s", tmp) < 0)
		c->out.oom = true;
}

/* Control characters become '?'; bytes of UTF-8 stay. */
static bool is_ctl(char c)
{
	return (unsigned char)c < 0x20 || c == 0x7f;
}

/* A word as OpenVPN reads it back: quoted when it holds anything special. */
static void emit_word(struct vd_strbuf *b, const char *w)
{
	bool plain = *w != '\0';

	for (const char *s = w; *s; s++)
		if (isspace((unsigned char)*s) || strchr("\"'\\#;", *s) || is_ctl(*s))
			plain = false;
	if (plain) {
		vd_sb_str(b, w);
		return;
	}
	vd_sb_str(b, "\"");
	for (const char *s = w; *s; s++) {
		if (*s == '"' || *s == '\\')
			vd_sb_str(b, "\\");
		if (!is_ctl(*s) || *s == '\t')
			vd_sb_add(b, s, 1);
		else
			vd_sb_str(b, "?");
	}
	vd_sb_str(b, "\"");
}

/* Subjects are one-line RFC 2253 already; this keeps a hostile one so. */
static void emit_clean(struct vd_strbuf *b, const char *s)
{
	for (; *s; s++)
		vd_sb_add(b, is_ctl(*s) ? "?" : s, 1);
}

/* SHA-256 fingerprints of the PEM certificates in data, in order; *n of them. */
static char (*fingerprints(const char *data, size_t len, size_t *n))[96]
{
	char (*fp)[96] = NULL;
	BIO *bio;
	X509 *x;

	*n = 0;
	if (len > INT_MAX || !(bio = BIO_new_mem_buf(data, (int)len)))
		return NULL;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned mdl = 0;
		char (*a)[96] = reallocarray(fp, *n + 1, sizeof(*fp));

		if (!a || !X509_digest(x, EVP_sha256(), md, &mdl) || mdl != 32) {
			X509_free(x);
			if (a)
				fp = a;
			free(fp);
			fp = NULL;
			*n = 0;
			break;
		}
		fp = a;
		for (unsigned k = 0; k < mdl; k++)
			snprintf(fp[*n] + 3 * k, 4, "%02X%s", md[k], k + 1 < mdl ? ":" : "");
		(*n)++;
		X509_free(x);
	}
	BIO_free(bio);
	return fp;
}

/* Comment lines describing the certificates in data; the count, <0 when
 * none could be read. */
static int emit_cert_summary(struct rctx *c, const char *prefix, const char *data, size_t len)
{
	struct vd_cert_info *ci = NULL;
	char (*fp)[96];
	size_t n = 0, nfp = 0;
	char t1[32], t2[32];

	if (vd_cert_info_all(data, len, &ci, &n) < 0 || n == 0) {
		free(ci);
		return -EINVAL;
	}
	fp = fingerprints(data, len, &nfp);
	for (size_t i = 0; i < n; i++) {
		vd_sb_printf(&c->out, "%scertificate: subject=", prefix);
		emit_clean(&c->out, ci[i].subject);
		vd_sb_str(&c->out, "; issuer=");
		emit_clean(&c->out, ci[i].issuer);
		vd_sb_printf(&c->out, "; notBefore=%s; notAfter=%s", vd_format_time(ci[i].not_before, t1, sizeof(t1)),
		          vd_format_time(ci[i].not_after, t2, sizeof(t2)));
		if (fp && nfp == n)
			vd_sb_printf(&c->out, "; sha256=%s", fp[i]);
		vd_sb_str(&c->out, "\n");
	}
	free(fp);
	free(ci);
	return (int)n;
}

static void wipe_free(char *p, size_t len)
{
	if (p)
		OPENSSL_cleanse(p, len);
	free(p);
}

static int read_ref(struct rctx *c, const char *name, char **data, size_t *len, char *path, size_t psz)
{
	int r = vd_path_join(c->base, name, path, psz);

	if (r < 0)
		return r;
	if (!c->opts->read)
		return -ENOSYS;
	return c->opts->read(c->opts->userdata, path, REF_MAX, data, len);
}

static void summarise_file(struct rctx *c, const struct vd_ovpn_option *o)
{
	char path[PATH_MAX], *data = NULL;
	size_t len = 0;
	int r = read_ref(c, o->argv[0], &data, &len, path, sizeof(path));

	if (r == -ENOSYS)
		return;
	if (r < 0) {
		vd_sb_printf(&c->out, "#   (%s not read: %s)\n", path, strerror(-r));
		return;
	}
	if (strcmp(o->name, "pkcs12") == 0) {
		char *cert = NULL, *key = NULL, *ca = NULL;

		r = vd_pkcs12_split(data, len, NULL, &cert, &key, &ca);
		if (r == 0) {
			if (cert)
				emit_cert_summary(c, "#   ", cert, strlen(cert));
			if (ca)
				emit_cert_summary(c, "#   ca ", ca, strlen(ca));
		} else {
			vd_sb_str(&c->out, r == -EACCES ? "#   (PKCS#12 protected by a password: not summarised)\n"
			                             : "#   (not a PKCS#12 file vpndoctor can read)\n");
		}
		wipe_free(key, key ? strlen(key) : 0);
		free(cert);
		free(ca);
		rnote(c, "line %u: pkcs12 %s: the file holds the private key and is not included; its "
		         "certificates are reduced to subject, issuer, dates and fingerprint", o->line, o->argv[0]);
	} else {
		if (emit_cert_summary(c, "#   ", data, len) < 0)
			vd_sb_str(&c->out, "#   (no certificate could be read from it)\n");
		rnote(c, "line %u: %s %s: the file is not included, only its certificates' subject, issuer, "
		         "dates and fingerprint", o->line, o->name, o->argv[0]);
	}
	wipe_free(data, len);
}

/* ---- the allowlist --------------------------------------------------------------- */

/* What a profile line keeps: its directive's name when OpenVPN knows it, and
 * of its arguments only those the directive's entry below marks as carrying
 * no secret. Everything else is written as [REDACTED]; a directive OpenVPN
 * does not know is user text whole (its name too) and becomes a comment that
 * says a line was removed. The names are every directive of add_option() in
 * OpenVPN's options.c from 2.3 to 2.7 (and the development branch), with
 * the argument counts it accepts: an argument past that count is text
 * OpenVPN refuses, so it goes too. Sorted by strcmp() for bsearch(). */
enum rule_kind {
	RK_ARGS,       /* the arguments of keep stay */
	RK_SCRIPT,     /* argument 0 is a command line: its program stays, its arguments go */
	RK_SETENV,     /* setenv: "setenv opt X ..." is X; FORWARD_COMPATIBLE, CLIENT_CERT */
	RK_PROXYOPT,   /* http-proxy-option TYPE [parameters] */
	RK_NAMES,      /* every argument is an option's name: kept when OpenVPN knows it */
	RK_PULLFILTER, /* pull-filter ACTION TEXT: the text kept when it is an option's name */
};

struct rule {
	const char *name;
	unsigned char kind;
	uint16_t keep; /* bit i: argument i (0-based) stays */
	const char *reason;
};

#define ARG(i)        (1u << (i))
#define ARGS_FIRST(n) ((1u << (n)) - 1)
#define ARGS_ALL      0xffffu

static const char R_FLAG[] = "a switch: it takes no argument, and text after it is not OpenVPN's";
static const char R_NET[] = "addresses, ports, networks, host and interface names: what the report is for";
static const char R_NUM[] = "numbers: sizes, counts, times, levels";
static const char R_CRYPTO[] = "names of algorithms, ciphers, curves, TLS versions and providers";
static const char R_KEYWORD[] = "keywords and flags from a fixed set";
static const char R_PATH[] = "file and directory names (a named file itself is never included: certificates are "
                             "summarised, keys and passwords left out)";
static const char R_PROXY[] = "the proxy's address and port, and the name of its password file (never read)";
static const char R_MGMT[] = "the management socket's address and port, and the name of its password file (never read)";
static const char R_ID[] = "names of certificates, accounts, attributes and tokens, fingerprints and hashes: public";
static const char R_TOKEN_GEN[] = "the token's lifetime, renewal time and the external-auth flag";
static const char R_GONE[] = "removed from OpenVPN: it ignores or refuses the arguments";
static const char R_FREE[] = "free text the profile's author wrote: it may say anything";
static const char R_SCRIPT[] = "a command line: its program stays, its arguments go (a password or token is often "
                               "passed to a script this way)";
static const char R_SCRIPT_METHOD[] = "a command line: its program and the via-env/via-file method stay, its arguments go";

static const struct rule rules[] = {
	{ "allow-compression", RK_ARGS, ARGS_FIRST(1), R_CRYPTO },
	{ "allow-deprecated-insecure-static-crypto", RK_ARGS, 0, R_FLAG },
	{ "allow-nonadmin", RK_ARGS, ARGS_FIRST(1), R_KEYWORD },
	{ "allow-pull-fqdn", RK_ARGS, 0, R_FLAG },
	{ "allow-recursive-routing", RK_ARGS, 0, R_FLAG },
	{ "askpass", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "auth", RK_ARGS, ARGS_FIRST(1), R_CRYPTO },
	{ "auth-gen-token", RK_ARGS, ARGS_FIRST(3), R_TOKEN_GEN },
	{ "auth-gen-token-secret", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "auth-nocache", RK_ARGS, 0, R_FLAG },
	{ "auth-retry", RK_ARGS, ARGS_FIRST(1), R_KEYWORD },
	{ "auth-token", RK_ARGS, 0, "a session token the server pushed, as good as the password while it lasts" },
	{ "auth-token-user", RK_ARGS, 0, "the user name that goes with an auth-token" },
	{ "auth-user-pass", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "auth-user-pass-optional", RK_ARGS, 0, R_FLAG },
	{ "auth-user-pass-verify", RK_SCRIPT, ARG(1), R_SCRIPT_METHOD },
	{ "bcast-buffers", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "bind", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "bind-dev", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "block-ipv6", RK_ARGS, 0, R_FLAG },
	{ "block-outside-dns", RK_ARGS, 0, R_FLAG },
	{ "ca", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "capath", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "ccd-exclusive", RK_ARGS, 0, R_FLAG },
	{ "cd", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "cert", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "chroot", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "cipher", RK_ARGS, ARGS_FIRST(1), R_CRYPTO },
	{ "client", RK_ARGS, 0, R_FLAG },
	{ "client-cert-not-required", RK_ARGS, 0, R_FLAG },
	{ "client-config-dir", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "client-connect", RK_SCRIPT, 0, R_SCRIPT },
	{ "client-crresponse", RK_SCRIPT, 0, R_SCRIPT },
	{ "client-disconnect", RK_SCRIPT, 0, R_SCRIPT },
	{ "client-nat", RK_ARGS, ARGS_FIRST(4), R_NET },
	{ "client-to-client", RK_ARGS, 0, R_FLAG },
	{ "comp-lzo", RK_ARGS, ARGS_FIRST(1), R_CRYPTO },
	{ "comp-noadapt", RK_ARGS, 0, R_FLAG },
	{ "compat-mode", RK_ARGS, ARGS_FIRST(2), R_KEYWORD },
	{ "compat-names", RK_ARGS, 0, R_GONE },
	{ "compress", RK_ARGS, ARGS_FIRST(1), R_CRYPTO },
	{ "config", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "connect-freq", RK_ARGS, ARGS_FIRST(2), R_NUM },
	{ "connect-freq-initial", RK_ARGS, ARGS_FIRST(2), R_NUM },
	{ "connect-retry", RK_ARGS, ARGS_FIRST(2), R_NUM },
	{ "connect-retry-max", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "connect-timeout", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "connection", RK_ARGS, ARGS_FIRST(2), R_NET },
	{ "crl-verify", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "cryptoapicert", RK_ARGS, ARGS_FIRST(1), R_ID },
	{ "daemon", RK_ARGS, ARGS_FIRST(1), R_KEYWORD },
	{ "data-ciphers", RK_ARGS, ARGS_FIRST(1), R_CRYPTO },
	{ "data-ciphers-fallback", RK_ARGS, ARGS_FIRST(1), R_CRYPTO },
	{ "dev", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "dev-node", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "dev-type", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "dh", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "dhcp-internal", RK_ARGS, ARGS_FIRST(1), R_KEYWORD },
	{ "dhcp-option", RK_ARGS, ARGS_ALL, R_NET },
	{ "dhcp-pre-release", RK_ARGS, 0, R_FLAG },
	{ "dhcp-release", RK_ARGS, 0, R_FLAG },
	{ "dhcp-renew", RK_ARGS, 0, R_FLAG },
	{ "disable", RK_ARGS, 0, R_FLAG },
	{ "disable-dco", RK_ARGS, 0, R_FLAG },
	{ "disable-occ", RK_ARGS, 0, R_FLAG },
	{ "dns", RK_ARGS, ARGS_ALL, R_NET },
	{ "dns-updown", RK_SCRIPT, 0, R_SCRIPT },
	{ "down", RK_SCRIPT, 0, R_SCRIPT },
	{ "down-pre", RK_ARGS, 0, R_FLAG },
	{ "duplicate-cn", RK_ARGS, 0, R_FLAG },
	{ "ecdh-curve", RK_ARGS, ARGS_FIRST(1), R_CRYPTO },
	{ "echo", RK_ARGS, 0, R_FREE },
	{ "engine", RK_ARGS, ARGS_FIRST(1), R_CRYPTO },
	{ "errors-to-stderr", RK_ARGS, 0, R_FLAG },
	{ "explicit-exit-notify", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "extra-certs", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "fast-io", RK_ARGS, 0, R_FLAG },
	{ "float", RK_ARGS, 0, R_FLAG },
	{ "force-tls-key-material-export", RK_ARGS, 0, R_FLAG },
	{ "foreign-option", RK_ARGS, 0, "options the server pushed, as OpenVPN hands them to scripts" },
	{ "fragment", RK_ARGS, ARGS_FIRST(2), R_NUM },
	{ "genkey", RK_ARGS, ARG(0) | ARG(1), "the key type and file stay; the tls-crypt-v2 client metadata goes" },
	{ "gremlin", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "group", RK_ARGS, ARGS_FIRST(1), R_ID },
	{ "hand-window", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "hash-size", RK_ARGS, ARGS_FIRST(2), R_NUM },
	{ "help", RK_ARGS, 0, "takes no argument (anything after it is text OpenVPN refuses)" },
	{ "http-proxy", RK_ARGS, ARGS_FIRST(4), R_PROXY },
	{ "http-proxy-option", RK_PROXYOPT, 0, "VERSION, AGENT and CUSTOM-HEADER stay, and VERSION's number; a header's name and value (credentials, a cookie) and the agent string go" },
	{ "http-proxy-override", RK_ARGS, ARGS_FIRST(3), R_NET },
	{ "http-proxy-retry", RK_ARGS, 0, R_FLAG },
	{ "http-proxy-timeout", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "http-proxy-user-pass", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "ifconfig", RK_ARGS, ARGS_FIRST(2), R_NET },
	{ "ifconfig-ipv6", RK_ARGS, ARGS_FIRST(2), R_NET },
	{ "ifconfig-ipv6-pool", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "ifconfig-ipv6-push", RK_ARGS, ARGS_FIRST(2), R_NET },
	{ "ifconfig-noexec", RK_ARGS, 0, R_FLAG },
	{ "ifconfig-nowarn", RK_ARGS, 0, R_FLAG },
	{ "ifconfig-pool", RK_ARGS, ARGS_FIRST(3), R_NET },
	{ "ifconfig-pool-linear", RK_ARGS, 0, R_FLAG },
	{ "ifconfig-pool-persist", RK_ARGS, ARGS_FIRST(2), R_PATH },
	{ "ifconfig-push", RK_ARGS, ARGS_FIRST(3), R_NET },
	{ "ifconfig-push-constraint", RK_ARGS, ARGS_FIRST(2), R_NET },
	{ "ignore-unknown-option", RK_NAMES, 0, "names of options: kept when OpenVPN knows them, else they are words the author chose" },
	{ "inactive", RK_ARGS, ARGS_FIRST(2), R_NUM },
	{ "inetd", RK_ARGS, ARGS_FIRST(2), R_NET },
	{ "ip-remote-hint", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "ip-win32", RK_ARGS, ARGS_FIRST(3), R_NET },
	{ "ipchange", RK_SCRIPT, 0, R_SCRIPT },
	{ "iproute", RK_SCRIPT, 0, R_SCRIPT },
	{ "iroute", RK_ARGS, ARGS_FIRST(2), R_NET },
	{ "iroute-ipv6", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "keepalive", RK_ARGS, ARGS_FIRST(2), R_NUM },
	{ "key", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "key-derivation", RK_ARGS, ARGS_FIRST(1), R_CRYPTO },
	{ "key-direction", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "key-method", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "keying-material-exporter", RK_ARGS, ARGS_FIRST(2), R_CRYPTO },
	{ "keysize", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "learn-address", RK_SCRIPT, 0, R_SCRIPT },
	{ "link-mtu", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "lladdr", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "local", RK_ARGS, ARGS_FIRST(3), R_NET },
	{ "log", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "log-append", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "lport", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "machine-readable-output", RK_ARGS, 0, R_FLAG },
	{ "management", RK_ARGS, ARGS_FIRST(3), R_MGMT },
	{ "management-client", RK_ARGS, 0, R_FLAG },
	{ "management-client-auth", RK_ARGS, 0, R_FLAG },
	{ "management-client-group", RK_ARGS, ARGS_FIRST(1), R_ID },
	{ "management-client-pf", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "management-client-user", RK_ARGS, ARGS_FIRST(1), R_ID },
	{ "management-external-cert", RK_ARGS, ARGS_FIRST(1), R_ID },
	{ "management-external-key", RK_ARGS, ARGS_ALL, R_KEYWORD },
	{ "management-forget-disconnect", RK_ARGS, 0, R_FLAG },
	{ "management-hold", RK_ARGS, 0, R_FLAG },
	{ "management-log-cache", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "management-query-passwords", RK_ARGS, 0, R_FLAG },
	{ "management-query-proxy", RK_ARGS, 0, R_FLAG },
	{ "management-query-remote", RK_ARGS, 0, R_FLAG },
	{ "management-signal", RK_ARGS, 0, R_FLAG },
	{ "management-up-down", RK_ARGS, 0, R_FLAG },
	{ "mark", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "max-clients", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "max-packet-size", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "max-routes", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "max-routes-per-client", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "memstats", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "mktun", RK_ARGS, 0, R_FLAG },
	{ "mlock", RK_ARGS, 0, R_FLAG },
	{ "mode", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "msg-channel", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "mssfix", RK_ARGS, ARGS_FIRST(2), R_NUM },
	{ "mtu-disc", RK_ARGS, ARGS_FIRST(1), R_KEYWORD },
	{ "mtu-dynamic", RK_ARGS, 0, R_GONE },
	{ "mtu-test", RK_ARGS, 0, R_FLAG },
	{ "multihome", RK_ARGS, ARGS_FIRST(1), R_KEYWORD },
	{ "mute", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "mute-replay-warnings", RK_ARGS, 0, R_FLAG },
	{ "ncp-ciphers", RK_ARGS, ARGS_FIRST(1), R_CRYPTO },
	{ "ncp-disable", RK_ARGS, 0, R_FLAG },
	{ "nice", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "no-iv", RK_ARGS, 0, R_FLAG },
	{ "no-name-remapping", RK_ARGS, 0, R_FLAG },
	{ "no-replay", RK_ARGS, 0, R_FLAG },
	{ "nobind", RK_ARGS, 0, R_FLAG },
	{ "ns-cert-type", RK_ARGS, ARGS_FIRST(1), R_KEYWORD },
	{ "opt-verify", RK_ARGS, 0, R_FLAG },
	{ "override-username", RK_ARGS, 0, "a user's login name" },
	{ "parameter", RK_ARGS, 0, R_FREE },
	{ "passtos", RK_ARGS, 0, R_FLAG },
	{ "pause-exit", RK_ARGS, 0, R_FLAG },
	{ "peer-fingerprint", RK_ARGS, ARGS_FIRST(1), R_ID },
	{ "peer-id", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "persist-key", RK_ARGS, 0, R_FLAG },
	{ "persist-local-ip", RK_ARGS, 0, R_FLAG },
	{ "persist-remote-ip", RK_ARGS, 0, R_FLAG },
	{ "persist-tun", RK_ARGS, 0, R_FLAG },
	{ "ping", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "ping-exit", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "ping-restart", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "ping-timer-rem", RK_ARGS, 0, R_FLAG },
	{ "pkcs11-cert-private", RK_ARGS, ARGS_ALL, R_KEYWORD },
	{ "pkcs11-id", RK_ARGS, ARGS_FIRST(1), R_ID },
	{ "pkcs11-id-management", RK_ARGS, 0, R_FLAG },
	{ "pkcs11-pin-cache", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "pkcs11-private-mode", RK_ARGS, ARGS_ALL, R_KEYWORD },
	{ "pkcs11-protected-authentication", RK_ARGS, ARGS_ALL, R_KEYWORD },
	{ "pkcs11-providers", RK_ARGS, ARGS_ALL, R_PATH },
	{ "pkcs12", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "plugin", RK_ARGS, ARG(0), "the module's path stays; its arguments are the plugin's own and may hold credentials (an LDAP bind password)" },
	{ "port", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "port-share", RK_ARGS, ARGS_FIRST(3), R_NET },
	{ "preresolve", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "prng", RK_ARGS, ARGS_FIRST(2), R_CRYPTO },
	{ "proto", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "proto-force", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "protocol-flags", RK_ARGS, ARGS_ALL, R_KEYWORD },
	{ "providers", RK_ARGS, ARGS_ALL, R_CRYPTO },
	{ "pull", RK_ARGS, 0, R_FLAG },
	{ "pull-filter", RK_PULLFILTER, ARG(0), "the action stays, the text when it is the name of an option OpenVPN knows" },
	{ "push", RK_ARGS, 0, "a whole option for the clients, which may be an auth-token, a setenv or a script's arguments" },
	{ "push-continuation", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "push-peer-info", RK_ARGS, 0, R_FLAG },
	{ "push-remove", RK_NAMES, 0, "the name of an option: kept when OpenVPN knows it" },
	{ "push-reset", RK_ARGS, 0, R_FLAG },
	{ "rcvbuf", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "rdns-internal", RK_ARGS, 0, R_FLAG },
	{ "redirect-gateway", RK_ARGS, ARGS_ALL, R_NET },
	{ "redirect-private", RK_ARGS, ARGS_ALL, R_NET },
	{ "register-dns", RK_ARGS, 0, R_FLAG },
	{ "remap-usr1", RK_ARGS, ARGS_FIRST(1), R_KEYWORD },
	{ "remote", RK_ARGS, ARGS_FIRST(3), R_NET },
	{ "remote-cert-eku", RK_ARGS, ARGS_FIRST(1), R_KEYWORD },
	{ "remote-cert-ku", RK_ARGS, ARGS_ALL, R_KEYWORD },
	{ "remote-cert-tls", RK_ARGS, ARGS_FIRST(1), R_KEYWORD },
	{ "remote-ip-hint", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "remote-random", RK_ARGS, 0, R_FLAG },
	{ "remote-random-hostname", RK_ARGS, 0, R_FLAG },
	{ "reneg-bytes", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "reneg-pkts", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "reneg-sec", RK_ARGS, ARGS_FIRST(2), R_NUM },
	{ "replay-persist", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "replay-window", RK_ARGS, ARGS_FIRST(2), R_NUM },
	{ "resolv-retry", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "rmtun", RK_ARGS, 0, R_FLAG },
	{ "route", RK_ARGS, ARGS_FIRST(4), R_NET },
	{ "route-delay", RK_ARGS, ARGS_FIRST(2), R_NUM },
	{ "route-gateway", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "route-ipv6", RK_ARGS, ARGS_FIRST(3), R_NET },
	{ "route-ipv6-gateway", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "route-method", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "route-metric", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "route-noexec", RK_ARGS, 0, R_FLAG },
	{ "route-nopull", RK_ARGS, 0, R_FLAG },
	{ "route-pre-down", RK_SCRIPT, 0, R_SCRIPT },
	{ "route-table", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "route-up", RK_SCRIPT, 0, R_SCRIPT },
	{ "rport", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "script-security", RK_ARGS, ARGS_FIRST(1), R_KEYWORD },
	{ "secret", RK_ARGS, ARGS_FIRST(2), R_PATH },
	{ "server", RK_ARGS, ARGS_FIRST(3), R_NET },
	{ "server-bridge", RK_ARGS, ARGS_FIRST(4), R_NET },
	{ "server-ipv6", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "server-poll-timeout", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "service", RK_ARGS, ARGS_FIRST(2), R_KEYWORD },
	{ "session-timeout", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "setcon", RK_ARGS, ARGS_FIRST(1), R_ID },
	{ "setenv", RK_SETENV, 0, "a variable's name and value may be anything, a password above all; \"setenv opt\" is read as the option it guards, FORWARD_COMPATIBLE and CLIENT_CERT with their 0 or 1 stay" },
	{ "setenv-safe", RK_SETENV, 0, "as setenv: a variable's name and value may be anything" },
	{ "shaper", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "show-adapters", RK_ARGS, 0, R_FLAG },
	{ "show-ciphers", RK_ARGS, 0, R_FLAG },
	{ "show-curves", RK_ARGS, 0, R_FLAG },
	{ "show-digests", RK_ARGS, 0, R_FLAG },
	{ "show-engines", RK_ARGS, 0, R_FLAG },
	{ "show-gateway", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "show-groups", RK_ARGS, 0, R_FLAG },
	{ "show-net", RK_ARGS, 0, R_FLAG },
	{ "show-net-up", RK_ARGS, 0, R_FLAG },
	{ "show-pkcs11-ids", RK_ARGS, ARGS_FIRST(2), R_PATH },
	{ "show-tls", RK_ARGS, 0, R_FLAG },
	{ "show-valid-subnets", RK_ARGS, 0, R_FLAG },
	{ "single-session", RK_ARGS, 0, R_FLAG },
	{ "sndbuf", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "socket-flags", RK_ARGS, ARGS_ALL, R_KEYWORD },
	{ "socks-proxy", RK_ARGS, ARGS_FIRST(3), R_PROXY },
	{ "socks-proxy-retry", RK_ARGS, 0, R_FLAG },
	{ "stale-routes-check", RK_ARGS, ARGS_FIRST(2), R_NUM },
	{ "static-challenge", RK_ARGS, ARG(1) | ARG(2), "the echo flag and format stay; the challenge's text is free text" },
	{ "status", RK_ARGS, ARGS_FIRST(2), R_PATH },
	{ "status-version", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "suppress-timestamps", RK_ARGS, 0, R_FLAG },
	{ "syslog", RK_ARGS, ARGS_FIRST(1), R_KEYWORD },
	{ "tap-sleep", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "tcp-nodelay", RK_ARGS, 0, R_FLAG },
	{ "tcp-queue-limit", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "test-crypto", RK_ARGS, 0, R_FLAG },
	{ "tls-auth", RK_ARGS, ARGS_FIRST(2), R_PATH },
	{ "tls-cert-profile", RK_ARGS, ARGS_FIRST(1), R_CRYPTO },
	{ "tls-cipher", RK_ARGS, ARGS_FIRST(1), R_CRYPTO },
	{ "tls-ciphersuites", RK_ARGS, ARGS_FIRST(1), R_CRYPTO },
	{ "tls-client", RK_ARGS, 0, R_FLAG },
	{ "tls-crypt", RK_ARGS, ARGS_FIRST(2), R_PATH },
	{ "tls-crypt-v2", RK_ARGS, ARGS_FIRST(2), R_PATH },
	{ "tls-crypt-v2-max-age", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "tls-crypt-v2-verify", RK_SCRIPT, 0, R_SCRIPT },
	{ "tls-exit", RK_ARGS, 0, R_FLAG },
	{ "tls-export-cert", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "tls-groups", RK_ARGS, ARGS_FIRST(1), R_CRYPTO },
	{ "tls-remote", RK_ARGS, ARGS_FIRST(1), R_ID },
	{ "tls-server", RK_ARGS, 0, R_FLAG },
	{ "tls-timeout", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "tls-verify", RK_SCRIPT, 0, R_SCRIPT },
	{ "tls-version-max", RK_ARGS, ARGS_FIRST(1), R_CRYPTO },
	{ "tls-version-min", RK_ARGS, ARGS_FIRST(2), R_CRYPTO },
	{ "tmp-dir", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "topology", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "tran-window", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "tun-ipv6", RK_ARGS, 0, R_FLAG },
	{ "tun-mtu", RK_ARGS, ARGS_FIRST(2), R_NUM },
	{ "tun-mtu-extra", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "tun-mtu-max", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "txqueuelen", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "udp-mtu", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "up", RK_SCRIPT, 0, R_SCRIPT },
	{ "up-delay", RK_ARGS, 0, R_FLAG },
	{ "up-restart", RK_ARGS, 0, R_FLAG },
	{ "use-prediction-resistance", RK_ARGS, 0, R_FLAG },
	{ "user", RK_ARGS, ARGS_FIRST(1), R_ID },
	{ "username-as-common-name", RK_ARGS, 0, R_FLAG },
	{ "verb", RK_ARGS, ARGS_FIRST(1), R_NUM },
	{ "verify-client-cert", RK_ARGS, ARGS_FIRST(1), R_KEYWORD },
	{ "verify-hash", RK_ARGS, ARGS_FIRST(1), R_ID },
	{ "verify-x509-name", RK_ARGS, ARGS_FIRST(2), R_ID },
	{ "version", RK_ARGS, 0, R_FLAG },
	{ "vlan-accept", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "vlan-pvid", RK_ARGS, ARGS_FIRST(1), R_NET },
	{ "vlan-tagging", RK_ARGS, 0, R_FLAG },
	{ "win-sys", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "windows-driver", RK_ARGS, ARGS_FIRST(1), R_KEYWORD },
	{ "writepid", RK_ARGS, ARGS_FIRST(1), R_PATH },
	{ "x509-track", RK_ARGS, ARGS_FIRST(1), R_ID },
	{ "x509-username-field", RK_ARGS, ARGS_ALL, R_ID },

};

static int rule_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct rule *)elem)->name);
}

static const struct rule *rule_find(const char *name)
{
	return bsearch(name, rules, VD_ARRAY_SIZE(rules), sizeof(rules[0]), rule_cmp);
}

bool vd_redact_known(const char *name)
{
	return name && rule_find(name) != NULL;
}

int vd_redact_rule(size_t i, const char **name, const char **reason)
{
	if (i >= VD_ARRAY_SIZE(rules))
		return -ENOENT;
	if (name)
		*name = rules[i].name;
	if (reason)
		*reason = rules[i].reason;
	return 0;
}

/* setenv variables OpenVPN itself (and OpenVPN Connect) reads, whose value is 0 or 1. */
static bool setenv_public(const char *var, const char *val)
{
	return (strcmp(var, "FORWARD_COMPATIBLE") == 0 || strcmp(var, "CLIENT_CERT") == 0) &&
	       (!val || strcmp(val, "0") == 0 || strcmp(val, "1") == 0);
}

enum vd_redact_arg vd_redact_arg_class(const char *name, const char *const *argv, size_t argc, size_t i)
{
	const struct rule *r = name ? rule_find(name) : NULL;

	if (!r || i >= argc || i >= 16)
		return VD_REDACT_DROP;
	switch (r->kind) {
	case RK_SCRIPT:
		if (i == 0)
			return VD_REDACT_PROGRAM;
		break;
	case RK_SETENV:
		/* "setenv opt X ...": the option X, which OpenVPN may not know */
		if (strcmp(name, "setenv") == 0 && strcmp(argv[0], "opt") == 0) {
			if (i == 0)
				return VD_REDACT_KEEP;
			if (i == 1)
				return vd_redact_known(argv[1]) ? VD_REDACT_KEEP : VD_REDACT_DROP;
			return vd_redact_arg_class(argv[1], argv + 2, argc - 2, i - 2);
		}
		return i < 2 && setenv_public(argv[0], argc > 1 ? argv[1] : NULL) ? VD_REDACT_KEEP : VD_REDACT_DROP;
	case RK_PROXYOPT:
		if (i == 0)
			return strcmp(argv[0], "VERSION") == 0 || strcmp(argv[0], "AGENT") == 0 ||
			               strcmp(argv[0], "CUSTOM-HEADER") == 0
			           ? VD_REDACT_KEEP
			           : VD_REDACT_DROP;
		return i == 1 && strcmp(argv[0], "VERSION") == 0 ? VD_REDACT_KEEP : VD_REDACT_DROP;
	case RK_NAMES:
		return vd_redact_known(argv[i]) ? VD_REDACT_KEEP : VD_REDACT_DROP;
	case RK_PULLFILTER:
		if (i == 1)
			return vd_redact_known(argv[1]) ? VD_REDACT_KEEP : VD_REDACT_DROP;
		break;
	default:
		break;
	}
	return r->keep & ARG(i) ? VD_REDACT_KEEP : VD_REDACT_DROP;
}

/* Options that name a file holding a secret: which argument. */
static int secret_file_arg(const struct vd_ovpn_option *o, const char **what)
{
	static const struct { const char *name; int arg; const char *what; } t[] = {
		{"key", 0, "the private key"},
		{"tls-auth", 0, "the tls-auth static key"},
		{"tls-crypt", 0, "the tls-crypt static key"},
		{"tls-crypt-v2", 0, "the tls-crypt-v2 client key"},
		{"secret", 0, "the static key"},
		{"auth-user-pass", 0, "the user name and password"},
		{"askpass", 0, "the private key's passphrase"},
		{"http-proxy-user-pass", 0, "the proxy user name and password"},
		{"http-proxy", 2, "the proxy user name and password"},
		{"socks-proxy", 2, "the proxy user name and password"},
		{"management", 2, "the management password"},
		{"auth-gen-token-secret", 0, "the auth-token signing key"},
	};

	for (size_t i = 0; i < VD_ARRAY_SIZE(t); i++)
		if (strcmp(o->name, t[i].name) == 0 && o->argc > (size_t)t[i].arg) {
			*what = t[i].what;
			return t[i].arg;
		}
	return -1;
}

/* An argument that stays still goes through the scrubber on its own (a key
 * pasted where a file name belongs, "password=..." in a name), before it is
 * quoted, so what is cut can never unbalance a quote. */
static void emit_kept(struct rctx *c, const char *w, size_t len)
{
	char *clean = NULL, *tmp;

	tmp = strndup(w, len);
	if (!tmp || vd_redact_scrub(tmp, len, &clean, NULL, NULL, c->notes) < 0) {
		c->out.oom = true;
		free(tmp);
		return;
	}
	emit_word(&c->out, clean);
	free(clean);
	free(tmp);
}

/* A program's path: what a script option's command may start with and keep. */
static bool program_shaped(const char *s, size_t len)
{
	if (len == 0 || s[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("/._+-", s[i]))
			return false;
	return true;
}

/* A script option's command line: its first word when it looks like a
 * program's path, and [REDACTED] for the rest (OpenVPN splits the command
 * at blanks); 1 when something was removed. */
static int emit_program(struct rctx *c, const char *cmd)
{
	size_t n = strcspn(cmd, " \t");
	const char *rest = cmd + n + strspn(cmd + n, " \t");
	char *tmp;

	if (!program_shaped(cmd, n)) {
		vd_sb_str(&c->out, REDACTED);
		return 1;
	}
	if (!*rest) {
		emit_kept(c, cmd, n);
		return 0;
	}
	if (asprintf(&tmp, "%.*s %s", (int)n, cmd, REDACTED) < 0) {
		c->out.oom = true;
		return 1;
	}
	emit_word(&c->out, tmp);
	free(tmp);
	return 1;
}

static void emit_option(struct rctx *c, const struct vd_ovpn_option *o)
{
	const struct rule *r = rule_find(o->name);
	const char *what = NULL;
	size_t dropped = 0;
	int farg;

	if (!r) {
		vd_sb_printf(&c->out, "# [vpndoctor: line %u: a directive OpenVPN does not know and its %zu argument%s "
		                   "removed]\n", o->line, o->argc, o->argc == 1 ? "" : "s");
		rnote(c, "line %u: a directive OpenVPN does not know, with %zu argument%s, removed whole: its "
		         "name is text the profile's author wrote", o->line, o->argc, o->argc == 1 ? "" : "s");
		return;
	}
	vd_sb_str(&c->out, r->name);
	for (size_t i = 0; i < o->argc; i++) {
		vd_sb_str(&c->out, " ");
		switch (vd_redact_arg_class(o->name, (const char *const *)o->argv, o->argc, i)) {
		case VD_REDACT_KEEP:
			emit_kept(c, o->argv[i], strlen(o->argv[i]));
			break;
		case VD_REDACT_PROGRAM:
			dropped += (size_t)emit_program(c, o->argv[i]);
			break;
		default:
			vd_sb_str(&c->out, REDACTED);
			dropped++;
		}
	}
	vd_sb_str(&c->out, "\n");
	if (dropped)
		rnote(c, "line %u: %s: %zu of its %zu argument%s removed: %s", o->line, r->name, dropped, o->argc,
		      o->argc == 1 ? "" : "s", r->reason);
	farg = secret_file_arg(o, &what);
	if (farg >= 0 && vd_redact_arg_class(o->name, (const char *const *)o->argv, o->argc, (size_t)farg) ==
	                         VD_REDACT_KEEP &&
	    strcmp(o->argv[farg], "[[INLINE]]") != 0 && strcmp(o->argv[farg], "stdin") != 0)
		rnote(c, "line %u: %s %s: %s in that file is not included", o->line, o->name, o->argv[farg], what);
	if ((strcmp(o->name, "ca") == 0 || strcmp(o->name, "cert") == 0 || strcmp(o->name, "extra-certs") == 0 ||
	     strcmp(o->name, "pkcs12") == 0) && o->argc >= 1 && strcmp(o->argv[0], "[[INLINE]]") != 0)
		summarise_file(c, o);
}

static const char *inline_what(const char *tag)
{
	static const struct { const char *tag, *what; } t[] = {
		{"key", "the private key"},
		{"pkcs12", "the PKCS#12 bundle with the private key"},
		{"tls-auth", "the tls-auth static key"},
		{"tls-crypt", "the tls-crypt static key"},
		{"tls-crypt-v2", "the tls-crypt-v2 client key"},
		{"secret", "the static key"},
		{"auth-user-pass", "the user name and password"},
		{"http-proxy-user-pass", "the proxy user name and password"},
		{"auth-gen-token-secret", "the auth-token signing key"},
	};

	for (size_t i = 0; i < VD_ARRAY_SIZE(t); i++)
		if (strcmp(tag, t[i].tag) == 0)
			return t[i].what;
	return "the block's content";
}

static void emit_inline(struct rctx *c, const struct vd_ovpn_option *o)
{
	size_t blen = strlen(o->inline_body);

	if (!rule_find(o->name)) {
		vd_sb_printf(&c->out, "# [vpndoctor: line %u: an inline block of a directive OpenVPN does not know, %zu "
		                   "bytes, removed]\n", o->line, blen);
		rnote(c, "line %u: an inline block of a directive OpenVPN does not know removed whole: its tag is "
		         "text the profile's author wrote", o->line);
		return;
	}
	vd_sb_printf(&c->out, "<%s>\n", o->name);
	if (strcmp(o->name, "ca") == 0 || strcmp(o->name, "cert") == 0 || strcmp(o->name, "extra-certs") == 0) {
		int n = emit_cert_summary(c, "# ", o->inline_body, blen);

		if (n < 0) {
			vd_sb_str(&c->out, "# [vpndoctor: no certificate could be read: the block is not included]\n");
			rnote(c, "line %u: <%s>: no certificate in it could be read, so it is not included",
			      o->line, o->name);
		} else {
			rnote(c, "line %u: <%s>: %d certificate%s reduced to subject, issuer, dates and fingerprint",
			      o->line, o->name, n, n == 1 ? "" : "s");
		}
	} else {
		vd_sb_printf(&c->out, "# [vpndoctor: removed %zu bytes]\n", blen);
		rnote(c, "line %u: <%s>: %s removed", o->line, o->name, inline_what(o->name));
	}
	vd_sb_printf(&c->out, "</%s>\n", o->name);
}

/* Belt and braces over the written-back text, line by line: what the
 * scrubber still finds (a "password: x" spread over two kept arguments) is
 * cut, and an option line the cut would leave unparseable (a quote opened,
 * say) becomes a comment saying so, so the result always parses. */
static int scrub_lines(const char *text, size_t len, char **ret, size_t *ret_len, struct vd_redact_notes *notes)
{
	struct vd_strbuf b = {0};
	size_t i = 0;

	while (i < len && !b.oom) {
		size_t e = i;
		char *clean = NULL;
		size_t cl = 0;
		unsigned cnt = 0;

		while (e < len && text[e] != '\n')
			e++;
		if (vd_redact_scrub(text + i, e - i, &clean, &cl, &cnt, notes) < 0) {
			b.oom = true;
			break;
		}
		if (cnt && text[i] != '#') {
			struct vd_ovpn_config *one = NULL;
			struct vd_error err;

			if (vd_ovpn_config_parse(NULL, clean, cl, &one, &err) != 0 || one->n_opts != 1 ||
			    one->opts[0].inline_body) {
				OPENSSL_cleanse(clean, cl);
				free(clean);
				clean = strdup("# [vpndoctor: a line with a password-like value removed]");
				if (!clean) {
					b.oom = true;
					break;
				}
				cl = strlen(clean);
			}
			vd_ovpn_config_free(one);
		}
		vd_sb_add(&b, clean, cl);
		free(clean);
		if (e < len)
			vd_sb_add(&b, "\n", 1);
		i = e + 1;
	}
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	return vd_sb_finish(&b, ret, ret_len);
}

int vd_redact_profile(const char *filename, const char *data, size_t len,
                      const struct vd_redact_profile_opts *opts, char **ret, size_t *ret_len,
                      struct vd_redact_notes *notes, struct vd_error *err)
{
	static const struct vd_redact_profile_opts none;
	struct vd_ovpn_config *cfg = NULL;
	const struct vd_ovpn_option *cd;
	struct rctx c;
	unsigned conn = 0;
	char *text = NULL;
	size_t tlen = 0;
	int r;

	memset(&c, 0, sizeof(c));
	c.opts = opts ? opts : &none;
	c.notes = notes;
	r = vd_ovpn_config_parse(filename, data, len, &cfg, err);
	if (r < 0)
		return r;

	if (c.opts->basedir) {
		snprintf(c.base, sizeof(c.base), "%s", c.opts->basedir);
	} else {
		const char *slash = filename ? strrchr(filename, '/') : NULL;

		if (!slash)
			snprintf(c.base, sizeof(c.base), ".");
		else if (slash == filename)
			snprintf(c.base, sizeof(c.base), "/");
		else
			snprintf(c.base, sizeof(c.base), "%.*s", (int)(slash - filename), filename);
		/* OpenVPN changes into `cd` before it opens any file */
		cd = vd_ovpn_config_get(cfg, "cd");
		if (cd && cd->argc >= 1) {
			char tmp[PATH_MAX];

			if (vd_path_join(c.base, cd->argv[0], tmp, sizeof(tmp)) == 0)
				snprintf(c.base, sizeof(c.base), "%s", tmp);
		}
	}

	vd_sb_str(&c.out, "# ");
	emit_clean(&c.out, filename ? filename : "<input>");
	vd_sb_str(&c.out, " as vpndoctor re-wrote it for a report: comments dropped, the arguments\n"
	               "# of a directive kept only where they hold no secret, [REDACTED] elsewhere, keys\n"
	               "# and passwords left out, certificates reduced to a summary (see MANIFEST).\n");
	for (size_t i = 0; i < cfg->n_opts; i++) {
		const struct vd_ovpn_option *o = &cfg->opts[i];

		if (conn && o->connection != conn) {
			vd_sb_str(&c.out, "</connection>\n");
			conn = 0;
		}
		/* a block's start, not a line "connection x" inside one */
		if (strcmp(o->name, "connection") == 0 && o->connection && o->inline_body) {
			vd_sb_str(&c.out, "<connection>\n");
			conn = o->connection;
		} else if (o->inline_body) {
			emit_inline(&c, o);
		} else {
			emit_option(&c, o);
		}
	}
	if (conn)
		vd_sb_str(&c.out, "</connection>\n");
	vd_ovpn_config_free(cfg);

	r = vd_sb_finish(&c.out, &text, &tlen);
	if (r < 0)
		return r;
	r = scrub_lines(text, tlen, ret, ret_len, notes);
	OPENSSL_cleanse(text, tlen);
	free(text);
	return r;
}

/* ---- the anonymizer ------------------------------------------------------------- */

struct smap_ent {
	char *key, *val;
};

struct smap {
	struct smap_ent *e;
	size_t cap, n;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct smap_ent *smap_find(const struct smap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->e[i].key)
			return NULL;
		if (strcmp(m->e[i].key, key) == 0)
			return &m->e[i];
	}
}

/* Takes ownership of key and val (freed on failure). */
static int smap_put(struct smap *m, char *key, char *val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct smap_ent *ne = calloc(cap, sizeof(*ne));

		if (!ne) {
			free(key);
			free(val);
			return -ENOMEM;
		}
		for (size_t k = 0; k < m->cap; k++) {
			if (!m->e[k].key)
				continue;
			for (i = hash(m->e[k].key) & (cap - 1); ne[i].key; i = (i + 1) & (cap - 1))
				;
			ne[i] = m->e[k];
		}
		free(m->e);
		m->e = ne;
		m->cap = cap;
	}
	for (i = hash(key) & (m->cap - 1); m->e[i].key; i = (i + 1) & (m->cap - 1))
		;
	m->e[i].key = key;
	m->e[i].val = val;
	m->n++;
	return 0;
}

static void smap_free(struct smap *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		free(m->e[i].key);
		free(m->e[i].val);
	}
	free(m->e);
}

enum { K_V4, K_V6, K_NAME, K_MAX };

struct vd_anon {
	struct smap map[K_MAX];
	struct smap reserved;
	size_t next[K_MAX];
	char **forced;
	size_t n_forced;
};

int vd_anon_new(struct vd_anon **ret)
{
	struct vd_anon *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	*ret = a;
	return 0;
}

void vd_anon_free(struct vd_anon *a)
{
	if (!a)
		return;
	for (int k = 0; k < K_MAX; k++)
		smap_free(&a->map[k]);
	smap_free(&a->reserved);
	for (size_t i = 0; i < a->n_forced; i++)
		free(a->forced[i]);
	free(a->forced);
	free(a);
}

void vd_anon_counts(const struct vd_anon *a, size_t *ipv4, size_t *ipv6, size_t *names)
{
	if (ipv4)
		*ipv4 = a->map[K_V4].n;
	if (ipv6)
		*ipv6 = a->map[K_V6].n;
	if (names)
		*names = a->map[K_NAME].n;
}

bool vd_anon_ipv4_is_public(const uint8_t a[4])
{
	uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
	static const struct { uint32_t net; unsigned len; } kept[] = {
		{0x00000000, 8},  /* "this network" */
		{0x0a000000, 8},  /* RFC 1918 */
		{0x64400000, 10}, /* CGNAT, RFC 6598 */
		{0x7f000000, 8},  /* loopback */
		{0xa9fe0000, 16}, /* link-local */
		{0xac100000, 12}, /* RFC 1918 */
		{0xc0000000, 24}, /* IETF protocol assignments */
		{0xc0000200, 24}, /* TEST-NET-1 */
		{0xc0a80000, 16}, /* RFC 1918 */
		{0xc6120000, 15}, /* benchmarking: our lab */
		{0xc6336400, 24}, /* TEST-NET-2 */
		{0xcb007100, 24}, /* TEST-NET-3 */
		{0xe0000000, 3},  /* multicast, reserved, broadcast */
	};
	uint32_t inv = ~v;

	for (size_t i = 0; i < VD_ARRAY_SIZE(kept); i++)
		if ((v & (0xffffffffu << (32 - kept[i].len))) == kept[i].net)
			return false;
	/* a netmask (128.0.0.0 of the def1 routes) is not an address */
	if ((inv & (inv + 1)) == 0)
		return false;
	return true;
}

bool vd_anon_ipv6_is_public(const uint8_t a[16])
{
	static const uint8_t zero[16];
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b};

	if (memcmp(a, zero, 12) == 0)                 /* ::, ::1, the old v4-compatible */
		return false;
	if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
		return vd_anon_ipv4_is_public(a + 12);
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)    /* link-local */
		return false;
	if ((a[0] & 0xfe) == 0xfc || a[0] == 0xff)    /* ULA, multicast */
		return false;
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8) /* documentation */
		return false;
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0x02 && a[4] == 0 && a[5] == 0) /* benchmarking */
		return false;
	if (a[0] == 0x01 && memcmp(a + 1, zero, 7) == 0) /* discard-only */
		return false;
	return true;
}

/* Generic TLDs common enough to meet in a VPN's setup; every two-letter one
 * counts too. File names (ca.crt, office.ovpn, resolv.conf) end in none. */
static const char *const gtlds[] = {
	"com", "net", "org", "edu", "gov", "mil", "int", "info", "biz", "name", "pro", "aero", "coop",
	"museum", "mobi", "asia", "tel", "travel", "jobs", "cat", "arpa", "app", "dev", "cloud", "tech",
	"online", "site", "xyz", "top", "club", "shop", "store", "blog", "news", "live", "digital",
	"network", "systems", "solutions", "services", "company", "group", "global", "world", "email",
	"host", "hosting", "website", "space", "link", "zone", "center", "agency", "media", "studio",
	"design", "software", "security", "support", "consulting", "engineering", "energy", "finance",
	"bank", "insurance", "health", "university", "school", "academy", "institute", "foundation",
	"partners", "ventures", "capital", "holdings", "industries", "international", "corp", "inc",
	"ltd", "llc", "gmbh", "berlin", "london", "paris", "nyc", "tokyo", "amazon", "aws", "google",
	"microsoft", "azure", "vpn", "work", "works", "today", "one", "plus", "run", "page", "web",
	"icu", "vip", "win", "bid", "loan", "men", "party", "review", "science", "trade", "date",
	"download", "racing", "accountant", "cricket", "faith", "webcam", "moe", "wtf", "fun", "ink",
};

/* Non-public suffixes: kept as they are. */
static const char *const kept_suffixes[] = {
	"internal", "local", "lan", "home.arpa", "localhost", "test", "example", "invalid",
	"example.com", "example.net", "example.org",
};

static bool has_suffix(const char *name, size_t len, const char *suf)
{
	size_t sl = strlen(suf);

	if (len < sl || strncasecmp(name + len - sl, suf, sl) != 0)
		return false;
	return len == sl || name[len - sl - 1] == '.';
}

/* A syntactically valid dotted name with a public TLD. */
static bool name_shape(const char *name, size_t len)
{
	size_t labels = 0, ll = 0, last = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || name[i] == '.') {
			if (ll == 0 || ll > 63)
				return false;
			labels++;
			last = i - ll;
			ll = 0;
			continue;
		}
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' && name[i] != '_')
			return false;
		ll++;
	}
	if (labels < 2)
		return false;
	ll = len - last;
	for (size_t i = last; i < len; i++)
		if (!isalpha((unsigned char)name[i]))
			return false;
	if (ll == 2)
		return true;
	for (size_t i = 0; i < VD_ARRAY_SIZE(gtlds); i++)
		if (strlen(gtlds[i]) == ll && strncasecmp(name + last, gtlds[i], ll) == 0)
			return true;
	return false;
}

bool vd_anon_name_is_public(const char *name, size_t len)
{
	if (!name_shape(name, len))
		return false;
	for (size_t i = 0; i < VD_ARRAY_SIZE(kept_suffixes); i++)
		if (has_suffix(name, len, kept_suffixes[i]))
			return false;
	return true;
}

int vd_anon_add_name(struct vd_anon *a, const char *name)
{
	char **f, *s;

	if (!name || !*name || strchr(name, '.'))
		return -EINVAL;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return -EINVAL;
	s = strdup(name);
	f = s ? reallocarray(a->forced, a->n_forced + 1, sizeof(*f)) : NULL;
	if (!f) {
		free(s);
		return -ENOMEM;
	}
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	f[a->n_forced++] = s;
	a->forced = f;
	return 0;
}

static bool forced_name(const struct vd_anon *a, const char *lname, size_t len)
{
	for (size_t i = 0; i < a->n_forced; i++) {
		size_t fl = strlen(a->forced[i]);

		if (len >= fl && memcmp(lname, a->forced[i], fl) == 0 && (len == fl || lname[fl] == '.'))
			return true;
	}
	return false;
}

/* The stand-in number k of kind (1-based), written into buf. */
static void standin(int kind, size_t k, char *buf, size_t len)
{
	if (kind == K_V4) {
		static const char *const pools[] = {"203.0.113", "198.51.100", "192.0.2"};
		size_t p = (k - 1) / 254;

		if (p < VD_ARRAY_SIZE(pools))
			snprintf(buf, len, "%s.%zu", pools[p], (k - 1) % 254 + 1);
		else
			snprintf(buf, len, "[ipv4-%zu]", k);
	} else if (kind == K_V6) {
		snprintf(buf, len, "2001:db8:ffff::%zx", k);
	} else {
		snprintf(buf, len, "host%zu.example.invalid", k);
	}
}

/* The stand-in of key (canonical form) of kind, made on first sight. */
static const char *lookup(struct vd_anon *a, int kind, const char *key)
{
	struct smap_ent *e = smap_find(&a->map[kind], key);
	char buf[64], *k, *v;

	if (e)
		return e->val;
	do
		standin(kind, ++a->next[kind], buf, sizeof(buf));
	while (smap_find(&a->reserved, buf));
	k = strdup(key);
	v = strdup(buf);
	if (!k || !v) {
		free(k);
		free(v);
		return NULL;
	}
	if (smap_put(&a->map[kind], k, v) < 0)
		return NULL;
	return smap_find(&a->map[kind], key)->val;
}

static int reserve(struct vd_anon *a, const char *key)
{
	char *k;

	if (smap_find(&a->reserved, key))
		return 0;
	k = strdup(key);
	if (!k)
		return -ENOMEM;
	return smap_put(&a->reserved, k, NULL);
}

static bool dotted_quad(const char *s, size_t len, uint8_t out[4])
{
	unsigned part = 0, digits = 0, val = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (digits == 0 || part > 3)
				return false;
			out[part++] = (uint8_t)val;
			digits = val = 0;
			continue;
		}
		/* a part with a leading zero is not one, as inet_pton has it:
		 * "03.0.113.1" may mean 3.0.113.1 or be the tail of a malformed
		 * "2606::03.0.113.1", which a stand-in would make a valid IPv6 */
		if (!isdigit((unsigned char)s[i]) || ++digits > 3 || (digits == 2 && val == 0))
			return false;
		val = val * 10 + (unsigned)(s[i] - '0');
		if (val > 255)
			return false;
	}
	return part == 4;
}

static bool v6_char(char c)
{
	return isxdigit((unsigned char)c) || c == ':' || c == '.';
}

static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* One pass over text: with out, rewrite into it; without, reserve what is
 * kept. */
static int scan(struct vd_anon *a, const char *in, size_t len, struct vd_strbuf *out)
{
	size_t i = 0;

	while (i < len) {
		char c = in[i], prev = i ? in[i - 1] : '\0';

		if ((isxdigit((unsigned char)c) || c == ':') && !word_char(prev) && prev != ':') {
			size_t j = i, k, colons = 0;

			while (j < len && v6_char(in[j]) && j - i < 64)
				colons += in[j++] == ':';
			k = j;
			while (k > i && (in[k - 1] == '.' || (in[k - 1] == ':' && !(k - i >= 2 && in[k - 2] == ':'))))
				k--;
			if (colons >= 2 && k - i < INET6_ADDRSTRLEN && (k == len || !word_char(in[k]) || in[k] == '.') &&
			    (j == len || !isalnum((unsigned char)in[j]))) {
				char tok[INET6_ADDRSTRLEN], canon[INET6_ADDRSTRLEN];
				uint8_t addr[16];

				memcpy(tok, in + i, k - i);
				tok[k - i] = '\0';
				if (inet_pton(AF_INET6, tok, addr) == 1 && inet_ntop(AF_INET6, addr, canon, sizeof(canon))) {
					if (!vd_anon_ipv6_is_public(addr)) {
						if (!out && reserve(a, canon) < 0)
							return -ENOMEM;
						if (out)
							vd_sb_add(out, in + i, k - i);
					} else if (out) {
						const char *s = lookup(a, K_V6, canon);

						if (!s)
							return -ENOMEM;
						vd_sb_str(out, s);
					}
					i = k;
					continue;
				}
			}
		}
		if (isalnum((unsigned char)c) || c == '_') {
			size_t j = i, k;
			uint8_t v4[4];
			char lname[256];
			const char *s = NULL;

			while (j < len && word_char(in[j]))
				j++;
			k = j;
			while (k > i && (in[k - 1] == '.' || in[k - 1] == '-'))
				k--;
			if (dotted_quad(in + i, k - i, v4)) {
				char canon[INET_ADDRSTRLEN];

				snprintf(canon, sizeof(canon), "%u.%u.%u.%u", v4[0], v4[1], v4[2], v4[3]);
				if (!vd_anon_ipv4_is_public(v4)) {
					if (!out && reserve(a, canon) < 0)
						return -ENOMEM;
				} else if (out && !(s = lookup(a, K_V4, canon))) {
					return -ENOMEM;
				}
			} else if (k - i < sizeof(lname) && !(prev == '/' && !(i >= 2 && in[i - 2] == '/'))) {
				for (size_t n = 0; n < k - i; n++)
					lname[n] = (char)tolower((unsigned char)in[i + n]);
				lname[k - i] = '\0';
				if (forced_name(a, lname, k - i) || vd_anon_name_is_public(lname, k - i)) {
					if (out && !(s = lookup(a, K_NAME, lname)))
						return -ENOMEM;
				} else if (!out && name_shape(lname, k - i) && reserve(a, lname) < 0) {
					return -ENOMEM;
				}
			}
			if (out) {
				if (s)
					vd_sb_str(out, s);
				else
					vd_sb_add(out, in + i, k - i);
				vd_sb_add(out, in + k, j - k);
			}
			i = j;
			continue;
		}
		if (out)
			vd_sb_add(out, &c, 1);
		i++;
	}
	return 0;
}

int vd_anon_reserve(struct vd_anon *a, const char *text, size_t len)
{
	return scan(a, text, len, NULL);
}

int vd_anon_apply(struct vd_anon *a, const char *in, size_t len, char **ret, size_t *ret_len)
{
	struct vd_strbuf b = {0};
	int r = scan(a, in, len, &b);

	if (r < 0) {
		free(b.p);
		return r;
	}
	return vd_sb_finish(&b, ret, ret_len);
}
