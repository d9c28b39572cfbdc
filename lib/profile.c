/* The profile check: parse an OpenVPN client config, read what it references
 * the way OpenVPN would, and describe every problem as data for the rules.
 * Dates are only recorded: the rules judge them against the corrected clock. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "vpndoctor/cert.h"
#include "vpndoctor/common.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/i18n.h"
#include "vpndoctor/message.h"
#include "vpndoctor/ovpn_config.h"
#include "vpndoctor/principal.h"
#include "vpndoctor/profile.h"

/* Certificates, keys and key files are small; a referenced file over 1 MiB is
 * not one of them and is refused before it is read. */
#define REF_MAX (1024 * 1024)
/* What OpenVPN 2.6 uses when data-ciphers is not set. */
#define DEFAULT_DATA_CIPHERS "AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305"
#define STATIC_KEY_BEGIN "-----BEGIN OpenVPN Static key V1-----"
#define STATIC_KEY_END "-----END OpenVPN Static key V1-----"
#define STATIC_KEY_BYTES 256
#define TLS_CRYPT_V2_BEGIN "-----BEGIN OpenVPN tls-crypt-v2 client key-----"

int vd_read_file(void *userdata, const char *path, size_t max, char **ret, size_t *ret_len)
{
	(void)userdata;
	/* no FIFO waited on, no device opened: see vd_open_as */
	return vd_read_file_as(NULL, path, max, ret, ret_len);
}

struct pctx {
	const char *path;
	char base[PATH_MAX];
	vd_read_file_fn read;
	void *userdata;
	const struct vd_ovpn_config *cfg;
	const char *read_as; /* NULL: the reader's own rights */
	cJSON *problems;
	cJSON *certs;
	bool cd_failed; /* reported once; the files under it are not looked for */
	bool oom;
};

static void add_str(struct pctx *c, cJSON *o, const char *k, const char *v)
{
	if (!cJSON_AddStringToObject(o, k, v ? v : ""))
		c->oom = true;
}

static void add_num(struct pctx *c, cJSON *o, const char *k, double v)
{
	if (!cJSON_AddNumberToObject(o, k, v))
		c->oom = true;
}

static void add_bool(struct pctx *c, cJSON *o, const char *k, bool v)
{
	if (!cJSON_AddBoolToObject(o, k, v))
		c->oom = true;
}

/* A problem's message is one sentence without its location and final stop:
 * the rules put it in a finding's summary and add "(FILE line N)" from file
 * and line. It is a message (vpndoctor/message.h): "message" has its English
 * text, "message_i18n" the message itself, for the clients to translate. */
static void problem_add(struct pctx *c, const char *cause, enum vd_severity sev, const char *code, unsigned line,
                        const char *text, cJSON *msg)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddItemToArray(c->problems, o)) {
		cJSON_Delete(o);
		cJSON_Delete(msg);
		c->oom = true;
		return;
	}
	add_str(c, o, VDF_PROBLEM_CAUSE, cause);
	add_str(c, o, VDF_PROBLEM_SEVERITY, vd_severity_name(sev));
	add_str(c, o, VDF_PROBLEM_CODE, code);
	add_str(c, o, VDF_PROBLEM_MESSAGE, text);
	if (msg)
		cJSON_AddItemToObject(o, VDF_PROBLEM_MESSAGE_I18N, msg);
	add_str(c, o, VDF_PROBLEM_FILE, c->path);
	add_num(c, o, VDF_PROBLEM_LINE, line);
}

static void problem_msg(struct pctx *c, const char *cause, enum vd_severity sev, const char *code, unsigned line,
                        const char *id, const struct vd_arg *args)
{
	cJSON *m = NULL;
	char *text = NULL;

	/* a template naming a value it is not given is a bug the tests catch */
	if (vd_msg_new(id, NULL, NULL, args, &m) < 0 || !(text = vd_msg_render(m, NULL))) {
		cJSON_Delete(m);
		c->oom = true;
		return;
	}
	problem_add(c, cause, sev, code, line, text, m);
	free(text);
}

#define problem(c, sev, code, line, id, ...) \
	problem_msg(c, "config-invalid", sev, code, line, id, (const struct vd_arg[]){__VA_ARGS__ __VA_OPT__(,) {0}})
#define problem_cause(c, cause, sev, code, line, id, ...) \
	problem_msg(c, cause, sev, code, line, id, (const struct vd_arg[]){__VA_ARGS__ __VA_OPT__(,) {0}})

/* Where a file's content is: its path, or the profile's inline block. */
static struct vd_arg where_arg(const char *name, bool inlined, const char *file)
{
	/* TRANSLATORS: the inline <ca>...</ca> block of a profile, where a file would be named */
	return inlined ? VD_PHRASE(name, N_("block")) : VD_TEXT(name, file);
}

/* A problem of the directive check (lib/ovpn_config.c), as its message. */
static void validate_cb(void *userdata, const struct vd_ovpn_problem *p)
{
	struct pctx *c = userdata;
	cJSON *m = p->msg ? cJSON_Duplicate(p->msg, true) : NULL;

	if (!m) {
		c->oom = true;
		return;
	}
	problem_add(c, "config-invalid", VD_SEV_ERROR, p->unknown ? "unknown-directive" : "bad-arguments", p->line,
	            p->text, m);
}

/* The problem of a referenced file (option name) or of the profile itself
 * (name NULL) that cannot be read, one sentence per reason so that
 * translators see whole sentences. */
static void read_problem(struct pctx *c, unsigned line, const char *name, const char *file, int r)
{
	const char *code = r == -ENOENT || r == -ENOTDIR ? "file-missing" : "file-unreadable";
	const char *why = strerrordesc_np(-r) ? strerrordesc_np(-r) : "error";
	struct vd_arg o = VD_TEXT("option", name ? name : ""), f = VD_TEXT("file", file);
	struct vd_arg err = VD_TEXT("error", why);

	switch (-r) {
	case ENOENT:
	case ENOTDIR:
		if (name)
			problem(c, VD_SEV_ERROR, code, line, N_("the {option} file {file} does not exist"), o, f);
		else
			problem(c, VD_SEV_ERROR, code, line, N_("the profile does not exist"));
		break;
	case EACCES:
	case EPERM:
		if (c->read_as && name)
			/* read for a process: as whom ("alice (uid 1000)") */
			problem(c, VD_SEV_ERROR, code, line,
			        N_("the {option} file {file} cannot be read as {user} (permission denied)"), o, f,
			        VD_TEXT("user", c->read_as));
		else if (c->read_as)
			problem(c, VD_SEV_ERROR, code, line, N_("the profile cannot be read as {user} (permission denied)"),
			        VD_TEXT("user", c->read_as));
		else if (name)
			problem(c, VD_SEV_ERROR, code, line,
			        N_("the {option} file {file} cannot be read (permission denied)"), o, f);
		else
			problem(c, VD_SEV_ERROR, code, line, N_("the profile cannot be read (permission denied)"));
		break;
	case EISDIR:
		if (name)
			problem(c, VD_SEV_ERROR, code, line, N_("the {option} file {file} is a directory, not a file"), o, f);
		else
			problem(c, VD_SEV_ERROR, code, line, N_("the profile is a directory, not a file"));
		break;
	case EINVAL:
		if (name)
			problem(c, VD_SEV_ERROR, code, line, N_("the {option} file {file} is not a regular file"), o, f);
		else
			problem(c, VD_SEV_ERROR, code, line, N_("the profile is not a regular file"));
		break;
	case EFBIG:
		if (name)
			problem(c, VD_SEV_ERROR, code, line,
			        N_("the {option} file {file} is larger than 1 MiB, too large for a certificate or key file"),
			        o, f);
		else
			problem(c, VD_SEV_ERROR, code, line,
			        N_("the profile is larger than {mib} MiB, so it cannot be an OpenVPN client profile"),
			        VD_NUM("mib", VD_OVPN_MAX_INPUT / (1024 * 1024), 0));
		break;
	default:
		/* TRANSLATORS: {error} is the system's description of an errno, in English */
		if (name)
			problem(c, VD_SEV_ERROR, code, line, N_("the {option} file {file} cannot be read ({error})"), o, f,
			        err);
		else
			problem(c, VD_SEV_ERROR, code, line, N_("the profile cannot be read ({error})"), err);
		break;
	}
}

struct ref {
	const struct vd_ovpn_option *opt;
	char *data;
	size_t len;
	char file[PATH_MAX];
	unsigned line;
	bool inlined;
};

static bool is_inline_marker(const char *s)
{
	return strcmp(s, "[inline]") == 0 || strcmp(s, "[[INLINE]]") == 0;
}

/* 1 when the option is there and its content was read, 0 when the option is
 * absent (or takes no file), -1 when a problem was reported. */
static int load_ref(struct pctx *c, const char *name, struct ref *r)
{
	const struct vd_ovpn_option *o = vd_ovpn_config_get(c->cfg, name);
	const char *body = NULL;
	int e;

	memset(r, 0, sizeof(*r));
	if (!o)
		return 0;
	r->opt = o;
	r->line = o->line;
	if (o->inline_body) {
		body = o->inline_body;
	} else if (o->argc >= 1 && is_inline_marker(o->argv[0])) {
		for (const struct vd_ovpn_option *i = vd_ovpn_config_next(c->cfg, name, NULL); i;
		     i = vd_ovpn_config_next(c->cfg, name, i))
			if (i->inline_body)
				body = i->inline_body;
		if (!body) {
			problem(c, VD_SEV_ERROR, "file-missing", o->line,
			        N_("{option} is marked {marker} but the profile has no <{option}> block"),
			        VD_TEXT("option", name), VD_TEXT("marker", o->argv[0]));
			return -1;
		}
	} else if (o->argc == 0) {
		return 0;
	}
	if (body) {
		r->data = strdup(body);
		if (!r->data) {
			c->oom = true;
			return -1;
		}
		r->len = strlen(body);
		r->inlined = true;
		snprintf(r->file, sizeof(r->file), "%s", c->path);
		return 1;
	}
	if (c->cd_failed)
		return -1;
	e = vd_path_join(c->base, o->argv[0], r->file, sizeof(r->file));
	if (e == 0)
		e = c->read(c->userdata, r->file, REF_MAX, &r->data, &r->len);
	else
		snprintf(r->file, sizeof(r->file), "%.200s...", o->argv[0]);
	if (e == -ENOMEM) {
		c->oom = true;
		return -1;
	}
	if (e < 0) {
		read_problem(c, o->line, name, r->file, e);
		r->data = NULL;
		return -1;
	}
	return 1;
}

static void ref_free(struct ref *r)
{
	free(r->data);
	r->data = NULL;
}

static void add_cert(struct pctx *c, const char *role, const struct vd_cert_info *ci,
                     const struct ref *r)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddItemToArray(c->certs, o)) {
		cJSON_Delete(o);
		c->oom = true;
		return;
	}
	add_str(c, o, VDF_CERT_ROLE, role);
	add_str(c, o, VDF_CERT_SUBJECT, ci->subject);
	add_str(c, o, VDF_CERT_ISSUER, ci->issuer);
	add_num(c, o, VDF_CERT_NOT_BEFORE, (double)ci->not_before);
	add_num(c, o, VDF_CERT_NOT_AFTER, (double)ci->not_after);
	add_str(c, o, VDF_CERT_FILE, r->file);
	add_num(c, o, VDF_CERT_LINE, r->line);
	add_str(c, o, VDF_CERT_KEY_TYPE, ci->key_type);
	add_num(c, o, VDF_CERT_KEY_BITS, ci->key_bits);
	add_str(c, o, VDF_CERT_SIG_DIGEST, ci->sig_digest);
}

static void check_security(struct pctx *c, const char *name, const struct vd_cert_info *ci,
                           const struct ref *r)
{
	struct vd_cert_info digest_only = *ci;
	char why[200], bits[16], need[16];
	struct vd_arg subj = VD_TEXT("subject", ci->subject), opt = VD_TEXT("option", name);
	struct vd_arg where = where_arg("where", r->inlined, r->file);

	if (vd_cert_security_ok(ci, why, sizeof(why)))
		return;
	if (!strstr(why, "signed with")) {
		/* the reason as lib/cert.c gives it, in whole sentences here */
		snprintf(bits, sizeof(bits), "%d", ci->key_bits);
		snprintf(need, sizeof(need), "%d", vd_cert_min_bits(ci->key_type));
		/* TRANSLATORS: {option} is ca, cert or extra-certs; {where} the file
		 * or "block"; {key_type} RSA, EC...; the default security level 2 is
		 * OpenSSL's setting */
		problem(c, VD_SEV_ERROR, "weak-key", r->line,
		        N_("OpenSSL will refuse the certificate {subject} ({option} {where}) because its {key_type} key has "
		           "{bits} bits, and OpenSSL's default security level 2 needs at least {need}"),
		        subj, opt, where, VD_TEXT("key_type", ci->key_type), VD_TEXT("bits", bits), VD_TEXT("need", need));
		/* A weak key often comes with a weak digest: report both at once. */
		digest_only.key_type[0] = '\0';
		if (vd_cert_security_ok(&digest_only, why, sizeof(why)))
			return;
	}
	problem(c, VD_SEV_ERROR, "weak-digest", r->line,
	        N_("OpenSSL will refuse the certificate {subject} ({option} {where}) because it is signed with {digest}, "
	           "which OpenSSL's default security level 2 refuses"),
	        subj, opt, where, VD_TEXT("digest", ci->sig_digest));
}

/* Certificates of one role: records each, checks its strength. false when
 * the data holds no certificate (reported). */
static bool certs_of(struct pctx *c, const char *name, const char *role, bool all,
                     const char *data, size_t len, const struct ref *r)
{
	struct vd_cert_info *ci = NULL;
	struct vd_cert_info one;
	size_t n = 0;
	int e;

	if (all) {
		e = vd_cert_info_all(data, len, &ci, &n);
	} else {
		e = vd_cert_info(data, len, &one);
		ci = &one;
		n = 1;
	}
	if (e == -ENOMEM) {
		c->oom = true;
		return false;
	}
	if (e < 0) {
		problem(c, VD_SEV_ERROR, "not-a-certificate", r->line,
		        N_("the {option} {where} holds no certificate OpenSSL can read"), VD_TEXT("option", name),
		        where_arg("where", r->inlined, r->file));
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		add_cert(c, role, &ci[i], r);
		check_security(c, name, &ci[i], r);
	}
	if (all)
		free(ci);
	return true;
}

static bool static_key_ok(const char *d, size_t n)
{
	const char *b = memmem(d, n, STATIC_KEY_BEGIN, strlen(STATIC_KEY_BEGIN));
	const char *e;
	size_t hex = 0;

	if (!b)
		return false;
	b += strlen(STATIC_KEY_BEGIN);
	e = memmem(b, n - (size_t)(b - d), STATIC_KEY_END, strlen(STATIC_KEY_END));
	if (!e)
		return false;
	for (const char *p = b; p < e; p++) {
		if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F'))
			hex++;
		else if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			return false;
	}
	return hex == STATIC_KEY_BYTES * 2;
}

static void check_tls_key(struct pctx *c, const char *name)
{
	struct ref r;

	if (load_ref(c, name, &r) != 1)
		return;
	if (strcmp(name, "tls-crypt-v2") == 0) {
		if (!memmem(r.data, r.len, TLS_CRYPT_V2_BEGIN, strlen(TLS_CRYPT_V2_BEGIN)))
			problem(c, VD_SEV_ERROR, "tls-key-invalid", r.line,
			        N_("the tls-crypt-v2 {where} is not an OpenVPN tls-crypt-v2 client key"),
			        where_arg("where", r.inlined, r.file));
	} else if (!static_key_ok(r.data, r.len)) {
		/* TRANSLATORS: {option} is tls-auth or tls-crypt */
		problem(c, VD_SEV_ERROR, "tls-key-invalid", r.line,
		        N_("the {option} {where} is not an OpenVPN static key ({bytes} bytes of hex between the "
		           "'OpenVPN Static key V1' lines, as openvpn --genkey secret writes it)"),
		        VD_TEXT("option", name), where_arg("where", r.inlined, r.file), VD_NUM("bytes", STATIC_KEY_BYTES, 0));
	}
	ref_free(&r);
}

/* Inline <pkcs12> blocks are base64 (OpenVPN's rule); files are DER. */
static int b64_decode(const char *in, size_t len, char **ret, size_t *ret_len)
{
	EVP_ENCODE_CTX *ctx;
	unsigned char *out;
	int n1 = 0, n2 = 0;

	if (len > INT32_MAX)
		return -EINVAL;
	out = malloc(len / 4 * 3 + 4);
	ctx = EVP_ENCODE_CTX_new();
	if (!out || !ctx) {
		free(out);
		EVP_ENCODE_CTX_free(ctx);
		return -ENOMEM;
	}
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, out, &n1, (const unsigned char *)in, (int)len) < 0 ||
	    EVP_DecodeFinal(ctx, out + n1, &n2) < 0) {
		free(out);
		EVP_ENCODE_CTX_free(ctx);
		return -EINVAL;
	}
	EVP_ENCODE_CTX_free(ctx);
	*ret = (char *)out;
	*ret_len = (size_t)(n1 + n2);
	return 0;
}

static bool has(const struct pctx *c, const char *name)
{
	return vd_ovpn_config_get(c->cfg, name) != NULL;
}

static bool cipher_listed(const char *cipher, const char *list)
{
	size_t cl = strlen(cipher);

	for (const char *p = list; *p;) {
		const char *e = strchr(p, ':');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == cl && strncasecmp(p, cipher, l) == 0)
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

static const char *arg0(const struct pctx *c, const char *name)
{
	const struct vd_ovpn_option *o = vd_ovpn_config_get(c->cfg, name);

	return o && o->argc >= 1 ? o->argv[0] : NULL;
}

/* When OpenVPN gives up on a silent server by itself (the daemon's settle
 * window after a sleep or a move follows it), and the proxy it goes
 * through. */
static void check_timers_and_proxy(struct pctx *c, cJSON *sec)
{
	const struct vd_ovpn_option *o;
	uint64_t v;
	cJSON *px;

	o = vd_ovpn_config_get(c->cfg, "keepalive");
	if (o && o->argc >= 2 && vd_parse_u64(o->argv[1], 1, 86400, &v) == 0)
		add_num(c, sec, VDF_PROFILE_PING_RESTART_S, (double)v);
	else if ((o = vd_ovpn_config_get(c->cfg, "ping-restart")) && o->argc >= 1 &&
	         vd_parse_u64(o->argv[0], 1, 86400, &v) == 0)
		add_num(c, sec, VDF_PROFILE_PING_RESTART_S, (double)v);

	/* http-proxy SERVER [PORT [AUTHFILE|auto|auto-nct [METHOD]]];
	 * socks-proxy SERVER [PORT [AUTHFILE]] */
	bool http = true;
	o = vd_ovpn_config_get(c->cfg, "http-proxy");
	if (!o) {
		o = vd_ovpn_config_get(c->cfg, "socks-proxy");
		http = false;
	}
	if (!o || o->argc < 1)
		return;
	if (!(px = cJSON_AddObjectToObject(sec, VDF_PROFILE_PROXY))) {
		c->oom = true;
		return;
	}
	add_str(c, px, VDF_PROFILE_PROXY_TYPE, http ? "http" : "socks");
	add_str(c, px, VDF_PROFILE_PROXY_HOST, o->argv[0]);
	if (o->argc >= 2 && vd_parse_u64(o->argv[1], 1, 65535, &v) == 0)
		add_num(c, px, VDF_PROFILE_PROXY_PORT, (double)v);
	else
		add_num(c, px, VDF_PROFILE_PROXY_PORT, http ? 8080 : 1080);
	add_bool(c, px, VDF_PROFILE_PROXY_CREDENTIALS,
	         o->argc >= 3 || (http && vd_ovpn_config_get(c->cfg, "http-proxy-user-pass")));
}

static void check_options(struct pctx *c, cJSON *sec)
{
	struct vd_ovpn_remote *rem = NULL;
	size_t n = 0;
	cJSON *arr;
	const char *proto = "udp", *cipher, *dc, *auth;
	const struct vd_ovpn_option *o;
	enum vd_ovpn_proto pr;

	arr = cJSON_AddArrayToObject(sec, VDF_PROFILE_REMOTES);
	if (!arr) {
		c->oom = true;
		return;
	}
	if (vd_ovpn_config_remotes(c->cfg, &rem, &n) < 0) {
		c->oom = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		cJSON *r = cJSON_CreateObject();

		if (!r || !cJSON_AddItemToArray(arr, r)) {
			cJSON_Delete(r);
			c->oom = true;
			break;
		}
		add_str(c, r, VDF_REMOTE_HOST, rem[i].host);
		add_num(c, r, VDF_REMOTE_PORT, rem[i].port);
		add_str(c, r, VDF_REMOTE_PROTO, vd_ovpn_proto_name(rem[i].proto));
	}
	free(rem);
	if (n == 0)
		problem(c, VD_SEV_ERROR, "no-remote", 0,
		        N_("there is no remote directive, so OpenVPN does not know which server to connect to"));

	if (arg0(c, "proto") && vd_ovpn_proto_parse(arg0(c, "proto"), &pr) == 0)
		proto = vd_ovpn_proto_name(pr);
	cipher = arg0(c, "cipher");
	dc = arg0(c, "data-ciphers");
	if (!dc)
		dc = arg0(c, "ncp-ciphers");
	auth = arg0(c, "auth");
	o = vd_ovpn_config_get(c->cfg, "comp-lzo");
	add_str(c, sec, VDF_PROFILE_PROTO, proto);
	add_str(c, sec, VDF_PROFILE_CIPHER, cipher);
	add_str(c, sec, VDF_PROFILE_DATA_CIPHERS, dc);
	add_str(c, sec, VDF_PROFILE_AUTH, auth);
	add_bool(c, sec, VDF_PROFILE_COMP_LZO, o && !(o->argc >= 1 && strcmp(o->argv[0], "no") == 0));
	check_timers_and_proxy(c, sec);

	if (!has(c, "client") && !(has(c, "pull") && has(c, "tls-client")))
		problem(c, VD_SEV_ERROR, "no-client-mode", 0,
		        N_("there is neither client nor pull with tls-client, so OpenVPN would not act as a "
		           "client of a server"));

	if (cipher && !has(c, "ncp-disable") && !cipher_listed(cipher, dc ? dc : DEFAULT_DATA_CIPHERS))
		problem_cause(c, "ncp-cipher", VD_SEV_INFO, "ncp-cipher",
		              vd_ovpn_config_get(c->cfg, "cipher")->line,
		              N_("cipher {cipher} is not in data-ciphers ({data_ciphers}), so OpenVPN 2.6 ignores it and "
		                 "negotiates the data cipher with the server (NCP, since OpenVPN 2.4.0)"),
		              VD_TEXT("cipher", cipher), VD_TEXT("data_ciphers", dc ? dc : DEFAULT_DATA_CIPHERS));

	o = vd_ovpn_config_get(c->cfg, "comp-lzo");
	if (o)
		problem(c, VD_SEV_INFO, "comp-lzo-deprecated", o->line,
		        N_("comp-lzo is deprecated: compression weakens the encryption (VORACLE) and newer "
		           "servers may refuse it, so remove it once the server no longer needs it"));
}

static void check_auth(struct pctx *c)
{
	static const char *const ext_cert[] = { "management-external-cert", "cryptoapicert", "pkcs11-id" };
	static const char *const ext_key[] = { "management-external-key", "cryptoapicert", "pkcs11-id" };
	bool cert = has(c, "cert"), key = has(c, "key");

	if (has(c, "pkcs12"))
		return;
	for (size_t i = 0; i < VD_ARRAY_SIZE(ext_cert); i++)
		cert = cert || has(c, ext_cert[i]);
	for (size_t i = 0; i < VD_ARRAY_SIZE(ext_key); i++)
		key = key || has(c, ext_key[i]);
	/* OpenVPN's own rule: cert and key together, or pkcs12, or only a password. */
	if (!cert && !key) {
		if (!has(c, "auth-user-pass"))
			problem(c, VD_SEV_ERROR, "no-cert-or-key", 0,
			        N_("there is no cert and key, pkcs12 or auth-user-pass, so the client has no way to "
			           "authenticate"));
	} else if (!cert || !key) {
		problem(c, VD_SEV_ERROR, "no-cert-or-key", vd_ovpn_config_get(c->cfg, cert ? "cert" : "key") ?
		        vd_ovpn_config_get(c->cfg, cert ? "cert" : "key")->line : 0,
		        cert ? N_("there is a cert but no key, and OpenVPN needs both")
		             : N_("there is a key but no cert, and OpenVPN needs both"));
	}
}

static void check_certs(struct pctx *c, const char *p12_pass)
{
	struct ref ca, cert, key, p12, extra;
	char *p12_cert = NULL, *p12_key = NULL, *p12_ca = NULL;
	const char *cd = NULL, *kd = NULL, *ad = NULL;
	size_t cl = 0, kl = 0, al = 0;
	const struct ref *cr = &cert, *kr = &key, *ar = &ca;
	bool cert_ok = false, ca_ok = false, key_ok = false, p12_locked = false;
	int e;

	load_ref(c, "ca", &ca);
	load_ref(c, "cert", &cert);
	load_ref(c, "key", &key);
	load_ref(c, "extra-certs", &extra);
	if (load_ref(c, "pkcs12", &p12) == 1) {
		char *der = p12.data;
		size_t dl = p12.len;

		e = 0;
		if (p12.inlined)
			e = b64_decode(p12.data, p12.len, &der, &dl);
		if (e == 0) {
			e = vd_pkcs12_split(der, dl, p12_pass, &p12_cert, &p12_key, &p12_ca);
			if (der != p12.data)
				free(der);
		}
		if (e == -ENOMEM) {
			c->oom = true;
		} else if (e == -EACCES) {
			p12_locked = true;
			problem(c, VD_SEV_WARNING, "pkcs12-password", p12.line,
			        N_("the pkcs12 {where} is protected by a password; OpenVPN will ask for it, so its "
			           "certificate and key were not checked"),
			        where_arg("where", p12.inlined, p12.file));
		} else if (e < 0) {
			problem(c, VD_SEV_ERROR, "not-a-certificate", p12.line,
			        N_("the pkcs12 {where} is not a PKCS#12 file OpenSSL can read"),
			        where_arg("where", p12.inlined, p12.file));
		} else {
			/* OpenVPN uses the bundle's certificate and key, and its CAs
			 * only when there is no ca. */
			if (!cert.opt && p12_cert[0]) {
				cd = p12_cert;
				cl = strlen(p12_cert);
				cr = &p12;
			}
			if (!key.opt && p12_key[0]) {
				kd = p12_key;
				kl = strlen(p12_key);
				kr = &p12;
				key_ok = true;
			}
			if (!ca.opt && p12_ca[0]) {
				ad = p12_ca;
				al = strlen(p12_ca);
				ar = &p12;
			}
		}
	}
	if (ca.data) {
		ad = ca.data;
		al = ca.len;
	}
	if (cert.data) {
		cd = cert.data;
		cl = cert.len;
	}
	if (key.data) {
		kd = key.data;
		kl = key.len;
	}

	if (ad)
		ca_ok = certs_of(c, "ca", "ca", true, ad, al, ar);
	if (cd)
		cert_ok = certs_of(c, "cert", "cert", false, cd, cl, cr);
	if (extra.data)
		certs_of(c, "extra-certs", "extra", true, extra.data, extra.len, &extra);
	if (key.data) {
		switch (vd_key_inspect(key.data, key.len)) {
		case VD_KEY_OK:
			key_ok = true;
			break;
		case VD_KEY_ENCRYPTED:
			problem(c, VD_SEV_WARNING, "key-encrypted", key.line,
			        N_("the key {where} is protected by a passphrase; OpenVPN will ask for it, so it "
			           "could not be matched against the certificate"),
			        where_arg("where", key.inlined, key.file));
			break;
		case VD_KEY_INVALID:
			problem(c, VD_SEV_ERROR, "not-a-key", key.line,
			        N_("the key {where} holds no private key OpenSSL can read"),
			        where_arg("where", key.inlined, key.file));
			break;
		}
	}
	if (cert_ok && key_ok && vd_cert_key_match(cd, cl, kd, kl) == 0)
		problem(c, VD_SEV_ERROR, "key-mismatch", kr->line,
		        N_("the key {key} does not belong to the certificate {cert}, so the TLS handshake cannot succeed"),
		        where_arg("key", kr->inlined, kr->file), where_arg("cert", cr->inlined, cr->file));
	if (cert_ok && ca_ok) {
		char why[160];

		e = vd_cert_verify_chain(cd, cl, ad, al, extra.data, extra.data ? extra.len : 0,
		                         why, sizeof(why));
		if (e == -EBADMSG)
			/* TRANSLATORS: {why} is OpenSSL's own reason, in English */
			problem(c, VD_SEV_ERROR, "wrong-ca", cr->line,
			        N_("the certificate {cert} is not signed by the ca {ca} (OpenSSL says: {why}), so the "
			           "server will refuse it"),
			        where_arg("cert", cr->inlined, cr->file), where_arg("ca", ar->inlined, ar->file),
			        VD_TEXT("why", why));
	}
	if (!ca.opt && !ad && !p12_locked && !has(c, "capath") && !has(c, "peer-fingerprint"))
		problem(c, VD_SEV_ERROR, "no-ca", 0,
		        N_("there is no ca (nor capath or peer-fingerprint), so OpenVPN cannot verify the server"));
	check_auth(c);

	free(p12_cert);
	free(p12_key);
	free(p12_ca);
	ref_free(&ca);
	ref_free(&cert);
	ref_free(&key);
	ref_free(&p12);
	ref_free(&extra);
}

static void check_refs(struct pctx *c)
{
	struct ref r;

	check_tls_key(c, "tls-auth");
	check_tls_key(c, "tls-crypt");
	check_tls_key(c, "tls-crypt-v2");
	if (load_ref(c, "auth-user-pass", &r) == 1)
		ref_free(&r);
}

/* Where relative paths resolve: a `cd` in the file wins (OpenVPN changes
 * directory while it reads the options, before it opens any file), else the
 * caller's basedir, else the config's own folder. */
static void set_base(struct pctx *c, const char *basedir)
{
	char tmp[PATH_MAX], real[PATH_MAX];
	const char *slash;

	if (basedir) {
		snprintf(tmp, sizeof(tmp), "%s", basedir);
	} else if ((slash = strrchr(c->path, '/'))) {
		if (slash == c->path)
			snprintf(tmp, sizeof(tmp), "/");
		else
			snprintf(tmp, sizeof(tmp), "%.*s", (int)(slash - c->path), c->path);
	} else {
		snprintf(tmp, sizeof(tmp), ".");
	}
	if (realpath(tmp, real))
		snprintf(c->base, sizeof(c->base), "%s", real);
	else
		snprintf(c->base, sizeof(c->base), "%s", tmp);
}

static void apply_cd(struct pctx *c)
{
	const struct vd_ovpn_option *o = vd_ovpn_config_get(c->cfg, "cd");
	char tmp[PATH_MAX], real[PATH_MAX];
	struct stat st;

	if (!o || o->argc < 1)
		return;
	if (vd_path_join(c->base, o->argv[0], tmp, sizeof(tmp)) < 0 || stat(tmp, &st) < 0 ||
	    !S_ISDIR(st.st_mode)) {
		c->cd_failed = true;
		problem(c, VD_SEV_ERROR, "file-missing", o->line,
		        N_("the cd directory {dir} does not exist, and OpenVPN stops when it cannot change into it"),
		        VD_TEXT("dir", tmp));
	}
	if (realpath(tmp, real))
		snprintf(c->base, sizeof(c->base), "%s", real);
	else
		snprintf(c->base, sizeof(c->base), "%s", tmp);
}

/* The file at path (text NULL), or text standing for it. */
static int check(const char *path, const char *given, size_t given_len, const struct vd_profile_opts *opts,
                 struct cJSON **ret)
{
	static const struct vd_profile_opts none;
	struct vd_ovpn_config *cfg = NULL;
	struct pctx c;
	struct vd_error err;
	cJSON *sec;
	char *data = NULL;
	size_t len = 0;
	int e;

	if (!opts)
		opts = &none;
	memset(&c, 0, sizeof(c));
	memset(&err, 0, sizeof(err));
	c.path = path;
	c.read = opts->read ? opts->read : vd_read_file;
	c.userdata = opts->userdata;
	c.read_as = opts->read_as;
	set_base(&c, opts->basedir);

	sec = cJSON_CreateObject();
	if (!sec)
		return -ENOMEM;
	add_str(&c, sec, VDF_SECTION_STATUS, "ok");
	add_str(&c, sec, VDF_PROFILE_PATH, path);
	if (c.read_as)
		add_str(&c, sec, VDF_PROFILE_READ_AS, c.read_as);
	c.problems = cJSON_CreateArray();
	c.certs = cJSON_CreateArray();
	if (!c.problems || !c.certs) {
		cJSON_Delete(c.problems);
		cJSON_Delete(c.certs);
		cJSON_Delete(sec);
		return -ENOMEM;
	}

	if (given) {
		e = given_len > VD_OVPN_MAX_INPUT ? -EFBIG : (data = malloc(given_len + 1)) ? 0 : -ENOMEM;
		if (e == 0) {
			memcpy(data, given, given_len);
			data[given_len] = '\0';
			len = given_len;
		}
	} else {
		e = c.read(c.userdata, path, VD_OVPN_MAX_INPUT, &data, &len);
	}
	if (e == -ENOMEM) {
		c.oom = true;
	} else if (e < 0) {
		read_problem(&c, 0, NULL, path, e);
	} else {
		cJSON *m = NULL;
		char *text = NULL;

		e = vd_ovpn_config_parse_msg(path, data, len, &cfg, &err, &m);
		if (e == -ENOMEM) {
			c.oom = true;
		} else if (e < 0 && m && (text = vd_msg_render(m, NULL))) {
			/* the parser's error, whole (err.msg is cut at 255 bytes) */
			problem_add(&c, "config-invalid", VD_SEV_ERROR, "parse-error", err.line, text, m);
			m = NULL;
		} else if (e < 0 && err.msg[0]) {
			/* no message: the parser's English as it is */
			problem_add(&c, "config-invalid", VD_SEV_ERROR, "parse-error", err.line, err.msg, NULL);
		} else if (e < 0) {
			problem(&c, VD_SEV_ERROR, "parse-error", err.line, N_("the profile cannot be parsed"));
		}
		free(text);
		cJSON_Delete(m);
	}
	free(data);
	if (cfg) {
		c.cfg = cfg;
		apply_cd(&c);
		vd_ovpn_config_check(cfg, opts->no_quote ? VD_OVPN_NO_QUOTE : 0, validate_cb, &c);
		check_options(&c, sec);
		check_certs(&c, opts->p12_pass);
		check_refs(&c);
		vd_ovpn_config_free(cfg);
	}
	add_str(&c, sec, VDF_PROFILE_BASEDIR, c.base);
	if (!cJSON_GetObjectItemCaseSensitive(sec, VDF_PROFILE_REMOTES) && !cJSON_AddArrayToObject(sec, VDF_PROFILE_REMOTES))
		c.oom = true;
	cJSON_AddItemToObject(sec, VDF_PROFILE_PROBLEMS, c.problems);
	cJSON_AddItemToObject(sec, VDF_PROFILE_CERTS, c.certs);
	if (c.oom) {
		cJSON_Delete(sec);
		return -ENOMEM;
	}
	*ret = sec;
	return 0;
}

int vd_profile_check(const char *path, const struct vd_profile_opts *opts, struct cJSON **ret)
{
	return check(path, NULL, 0, opts, ret);
}

int vd_profile_check_text(const char *name, const char *text, size_t len, const struct vd_profile_opts *opts,
                          struct cJSON **ret)
{
	if (!name || !text)
		return -EINVAL;
	return check(name, text, len, opts, ret);
}
