/* A profile from an openvpn command line, and from NetworkManager's
 * connection settings (ovpn_argv.h).
 *
 * OpenVPN reads argv as it reads a file (options.c, parse_argv): "--NAME"
 * starts an option and the words after it up to the next "--" word are its
 * parameters (at most MAX_PARMS); a lone word is the config file. A config
 * line takes a word in double quotes with backslash escapes (options.c,
 * parse_line), which is how a word with spaces or quotes is written here.
 *
 * NetworkManager's openvpn plugin (network-manager-openvpn,
 * src/nm-openvpn-service.c, nm_openvpn_start_openvpn_binary) builds that
 * command line from the connection's vpn.data items (shared/
 * nm-service-defines.h names them); vd_nm_openvpn_profile follows it for the
 * options a profile check reads, and leaves out what only the plugin's run
 * needs (its --up helper, management socket, --user). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpndoctor/common.h"
#include "vpndoctor/ovpn_argv.h"
#include "vpndoctor/ovpn_config.h"
#include "vpndoctor/proc_openvpn.h"

struct buf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *v;
		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(v = realloc(b->s, cap))) {
			b->oom = true;
			return;
		}
		b->s = v;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* One word of a config line: as it is when a line reads it back so, else in
 * double quotes with \ and " escaped. */
static void word(struct buf *b, const char *w)
{
	bool plain = *w && *w != '"' && *w != '\'' && *w != '#' && *w != ';';

	for (const char *c = w; plain && *c; c++)
		plain = !(*c == ' ' || *c == '\t' || *c == '\\' || *c == '"' || *c == '\'');
	if (plain) {
		puts_(b, w);
		return;
	}
	put(b, "\"", 1);
	for (const char *c = w; *c; c++) {
		if (*c == '\\' || *c == '"')
			put(b, "\\", 1);
		put(b, c, 1);
	}
	put(b, "\"", 1);
}

/* A word a config line can hold: no line break, no NUL (argv has none). */
static bool holdable(const char *w)
{
	return !strpbrk(w, "\n\r");
}

static void line(struct buf *b, const char *name, const char *const *params, size_t n)
{
	puts_(b, name);
	for (size_t i = 0; i < n; i++) {
		put(b, " ", 1);
		word(b, params[i]);
	}
	put(b, "\n", 1);
}

static int finish(struct buf *b, char **ret, size_t *ret_len)
{
	if (!b->oom && !b->s)
		put(b, "", 0);
	if (b->oom) {
		free(b->s);
		return -ENOMEM;
	}
	*ret = b->s;
	if (ret_len)
		*ret_len = b->len;
	return 0;
}

int vd_ovpn_argv_profile(const char *cmdline, size_t len, char **ret, size_t *ret_len)
{
	const char *argv[1024];
	size_t argc = 0;
	struct buf b = {0};

	if (!cmdline || len == 0 || cmdline[0] == '\0')
		return -EINVAL;
	if (len > VD_PROC_CMDLINE_MAX)
		return -E2BIG;
	/* the words; an unterminated last one ends at len */
	{
		char *copy = malloc(len + 1);
		const char *p, *end;
		int r;

		if (!copy)
			return -ENOMEM;
		memcpy(copy, cmdline, len);
		copy[len] = '\0';
		for (p = copy, end = copy + len; p < end && argc < VD_ARRAY_SIZE(argv); p += strlen(p) + 1)
			argv[argc++] = p;
		if (argc == 2 && strncmp(argv[1], "--", 2) != 0) {
			/* `openvpn FILE`: the file is the profile */
			free(copy);
			return finish(&b, ret, ret_len);
		}
		for (size_t i = 1; i < argc;) {
			const char *params[VD_OVPN_ARGV_MAX_PARAMS];
			size_t n = 0;
			const char *name;
			bool keep;

			if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') {
				i++; /* OpenVPN refuses a word that is no option; left out */
				continue;
			}
			name = argv[i++] + 2;
			keep = holdable(name) && strcmp(name, "config") != 0 && strcmp(name, "cd") != 0;
			while (i < argc && strncmp(argv[i], "--", 2) != 0) {
				if (n < VD_OVPN_ARGV_MAX_PARAMS - 1)
					params[n++] = argv[i];
				keep = keep && holdable(argv[i]);
				i++;
			}
			if (keep)
				line(&b, name, params, n);
		}
		r = finish(&b, ret, ret_len);
		free(copy);
		return r;
	}
}

/* ---- NetworkManager's vpn.data ---- */

struct nm {
	const char *const *keys, *const *values;
	size_t n;
};

/* The item's value, NULL when absent; "" counts as absent (nmovpn_arg_is_set). */
static const char *item(const struct nm *nm, const char *key)
{
	for (size_t i = 0; i < nm->n; i++)
		if (nm->keys[i] && strcmp(nm->keys[i], key) == 0)
			return nm->values[i] && *nm->values[i] ? nm->values[i] : NULL;
	return NULL;
}

static bool yes(const struct nm *nm, const char *key)
{
	const char *v = item(nm, key);
	return v && strcmp(v, "yes") == 0;
}

/* nm_utils_str_utf8safe_unescape: "\\" is a backslash, "\ooo" an octal byte. */
static char *unescape(const char *s)
{
	char *r = malloc(strlen(s) + 1), *o = r;

	if (!r)
		return NULL;
	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*o++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 4;
		} else if (s[0] == '\\' && s[1]) {
			*o++ = s[1];
			s += 2;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return r;
}

/* A directive of one word, the item's value (unescaped when it is a path). */
static void item_line(struct buf *b, const struct nm *nm, const char *key, const char *directive, bool path)
{
	const char *v = item(nm, key);
	char *u;

	if (!v || !holdable(v))
		return;
	if (!path) {
		line(b, directive, &v, 1);
		return;
	}
	if (!(u = unescape(v))) {
		b->oom = true;
		return;
	}
	if (holdable(u))
		line(b, directive, (const char *const *)&u, 1);
	free(u);
}

/* A number in [1, max], as args_add_numstr takes it. */
static bool number(const char *v, uint64_t max)
{
	uint64_t u;
	return v && vd_parse_u64(v, 0, max, &u) == 0;
}

static void num_line(struct buf *b, const struct nm *nm, const char *key, const char *directive)
{
	const char *v = item(nm, key);
	if (number(v, INT32_MAX))
		line(b, directive, &v, 1);
}

static bool is_proto(const char *p)
{
	static const char *const protos[] = {"udp", "udp4", "udp6", "tcp", "tcp4", "tcp6",
	                                     "tcp-client", "tcp4-client", "tcp6-client"};
	for (size_t i = 0; i < VD_ARRAY_SIZE(protos); i++)
		if (strcmp(p, protos[i]) == 0)
			return true;
	return false;
}

/* An IPv6 address, alone or in brackets (_is_inet6_addr (host, TRUE)). */
static bool is_v6(const char *h)
{
	struct in6_addr a;
	char tmp[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(h);

	if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (n >= sizeof(tmp))
		return false;
	memcpy(tmp, h, n);
	tmp[n] = '\0';
	return inet_pton(AF_INET6, tmp, &a) == 1;
}

/* One "host[:port[:proto]]" of the remote item (nmovpn_remote_parse). */
static void remote(struct buf *b, const char *tok, const char *defport, bool proto_tcp)
{
	char copy[512], *host = copy, *port = NULL, *proto = NULL, *t;
	const char *p[3];

	if (strlen(tok) >= sizeof(copy))
		return;
	snprintf(copy, sizeof(copy), "%s", tok);
	if ((t = strrchr(host, ':')) && !is_v6(host)) {
		*t = '\0';
		port = t + 1;
		if ((t = strrchr(host, ':')) && !is_v6(host)) {
			*t = '\0';
			proto = port;
			port = t + 1;
		}
	}
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		host++;
	}
	if (!host[0] || (port && *port && !number(port, 65535)) || (proto && *proto && !is_proto(proto)))
		return; /* the plugin skips a remote it cannot parse */
	p[0] = host;
	p[1] = port && *port ? port : defport ? defport : "1194";
	if (proto && *proto)
		p[2] = strcmp(proto, "tcp") == 0 ? "tcp-client" : strcmp(proto, "tcp4") == 0 ? "tcp4-client"
		     : strcmp(proto, "tcp6") == 0 ? "tcp6-client" : proto;
	else
		p[2] = proto_tcp ? "tcp-client" : "udp";
	line(b, "remote", p, 3);
}

int vd_nm_openvpn_profile(const char *const *keys, const char *const *values, size_t n, char **ret,
                          size_t *ret_len)
{
	struct nm nm = {keys, values, n};
	struct buf b = {0};
	const char *ctype = item(&nm, "connection-type"), *v;
	const char *defport = item(&nm, "port");
	bool tls = !ctype || strcmp(ctype, "tls") == 0 || strcmp(ctype, "password-tls") == 0;

	if (defport && !number(defport, 65535))
		defport = NULL;
	/* (an unknown connection type the plugin refuses: its profile has no
	 * certificate or key, which the check says) */
	if (!ctype || tls || strcmp(ctype, "password") == 0)
		puts_(&b, "client\n");
	puts_(&b, "nobind\n");
	if ((v = item(&nm, "remote")) && holdable(v)) {
		char *copy = strdup(v), *rest = copy, *tok;
		if (!copy)
			b.oom = true;
		while (copy && (tok = strsep(&rest, " \t,")))
			if (*tok)
				remote(&b, tok, defport, yes(&nm, "proto-tcp"));
		free(copy);
	}
	if (yes(&nm, "remote-random"))
		puts_(&b, "remote-random\n");
	/* the device: dev, else dev-type, else tap-dev, else tun */
	if (item(&nm, "dev"))
		item_line(&b, &nm, "dev", "dev", true);
	else if (item(&nm, "dev-type"))
		item_line(&b, &nm, "dev-type", "dev", false);
	else
		puts_(&b, yes(&nm, "tap-dev") ? "dev tap\n" : "dev tun\n");
	item_line(&b, &nm, "dev-type", "dev-type", false);
	/* proxies */
	{
		const char *type = item(&nm, "proxy-type"), *server = item(&nm, "proxy-server");
		const char *port = item(&nm, "proxy-port");
		if (type && server && holdable(server) && (!port || number(port, 65535))) {
			if (strcmp(type, "http") == 0) {
				const char *p[3] = {server, port ? port : "8080", "auto"};
				line(&b, "http-proxy", p, 3);
			} else if (strcmp(type, "socks") == 0) {
				const char *p[2] = {server, port ? port : "1080"};
				line(&b, "socks-proxy", p, 2);
			}
		}
	}
	/* compression: compress (2.4+) over comp-lzo (nmovpn_compression_from_options) */
	if ((v = item(&nm, "compress"))) {
		if (strcmp(v, "lzo") == 0 || strcmp(v, "lz4") == 0 || strcmp(v, "lz4-v2") == 0)
			line(&b, "compress", &v, 1);
		else if (strcmp(v, "yes") == 0)
			puts_(&b, "compress\n");
	} else if ((v = item(&nm, "comp-lzo"))) {
		if (strcmp(v, "yes") == 0)
			puts_(&b, "compress lzo\n");
		else if (strcmp(v, "adaptive") == 0)
			puts_(&b, "comp-lzo adaptive\n");
		else if (strcmp(v, "no-by-default") == 0)
			puts_(&b, "comp-lzo no\n");
		/* "no" stands for no option at all (old plasma-nm) */
	}
	if (yes(&nm, "float"))
		puts_(&b, "float\n");
	if (yes(&nm, "ncp-disable"))
		puts_(&b, "ncp-disable\n");
	num_line(&b, &nm, "ping", "ping");
	num_line(&b, &nm, "ping-exit", "ping-exit");
	num_line(&b, &nm, "ping-restart", "ping-restart");
	num_line(&b, &nm, "connect-timeout", "connect-timeout");
	item_line(&b, &nm, "cipher", "cipher", false);
	item_line(&b, &nm, "data-ciphers", "data-ciphers", false);
	item_line(&b, &nm, "tls-cipher", "tls-cipher", false);
	item_line(&b, &nm, "auth", "auth", false);
	puts_(&b, "auth-nocache\n");
	if ((v = item(&nm, "ta")) && holdable(v)) {
		char *u = unescape(v);
		const char *dir = item(&nm, "ta-dir");
		const char *p[2] = {u, dir && (strcmp(dir, "0") == 0 || strcmp(dir, "1") == 0) ? dir : NULL};
		if (!u)
			b.oom = true;
		else if (holdable(u))
			line(&b, "tls-auth", p, p[1] ? 2 : 1);
		free(u);
	}
	item_line(&b, &nm, "tls-crypt", "tls-crypt", true);
	item_line(&b, &nm, "tls-crypt-v2", "tls-crypt-v2", true);
	item_line(&b, &nm, "tls-version-min", "tls-version-min", false);
	item_line(&b, &nm, "tls-version-max", "tls-version-max", false);
	item_line(&b, &nm, "extra-certs", "extra-certs", true);
	if ((v = item(&nm, "verify-x509-name")) && holdable(v)) {
		const char *colon = strchr(v, ':');
		char type[32];
		const char *p[2];
		if (colon && (size_t)(colon - v) < sizeof(type)) {
			snprintf(type, sizeof(type), "%.*s", (int)(colon - v), v);
			p[0] = colon + 1;
			p[1] = type;
		} else {
			p[0] = v;
			p[1] = "subject";
		}
		if (*p[0])
			line(&b, "verify-x509-name", p, 2);
	} else if ((v = item(&nm, "tls-remote")) && holdable(v)) {
		const char *p[2] = {v, "name"};
		line(&b, "verify-x509-name", p, 2);
	}
	item_line(&b, &nm, "remote-cert-tls", "remote-cert-tls", false);
	item_line(&b, &nm, "ns-cert-type", "ns-cert-type", false);
	if (tls)
		num_line(&b, &nm, "reneg-seconds", "reneg-sec");
	num_line(&b, &nm, "tunnel-mtu", "tun-mtu");
	num_line(&b, &nm, "fragment-size", "fragment");
	if ((v = item(&nm, "mssfix")) && strcmp(v, "yes") == 0)
		puts_(&b, "mssfix\n");
	else if (v)
		num_line(&b, &nm, "mssfix", "mssfix");
	if (item(&nm, "crl-verify-file"))
		item_line(&b, &nm, "crl-verify-file", "crl-verify", true);
	else if ((v = item(&nm, "crl-verify-dir")) && holdable(v)) {
		const char *p[2] = {v, "dir"};
		line(&b, "crl-verify", p, 2);
	}
	/* the connection type's own: certificates, a static key, a password */
	if (!ctype || tls) {
		const char *cert = item(&nm, "cert"), *key = item(&nm, "key"), *ca = item(&nm, "ca");
		size_t cl = cert ? strlen(cert) : 0;
		/* a PKCS#12 bundle: cert and key the same .p12/.pfx file (the plugin
		 * looks at the file; a profile check reads it whatever it is) */
		bool p12 = cert && key && strcmp(cert, key) == 0 && cl > 4 &&
		           (strcmp(cert + cl - 4, ".p12") == 0 || strcmp(cert + cl - 4, ".pfx") == 0);
		if (ca && !(p12 && strcmp(ca, cert) == 0))
			item_line(&b, &nm, "ca", "ca", true);
		if (p12) {
			item_line(&b, &nm, "cert", "pkcs12", true);
		} else {
			item_line(&b, &nm, "cert", "cert", true);
			item_line(&b, &nm, "key", "key", true);
		}
		if (ctype && strcmp(ctype, "password-tls") == 0)
			puts_(&b, "auth-user-pass\n");
	} else if (strcmp(ctype, "static-key") == 0) {
		if ((v = item(&nm, "static-key")) && holdable(v)) {
			char *u = unescape(v);
			const char *dir = item(&nm, "static-key-direction");
			const char *p[2] = {u, dir && (strcmp(dir, "0") == 0 || strcmp(dir, "1") == 0) ? dir : NULL};
			if (!u)
				b.oom = true;
			else if (holdable(u))
				line(&b, "secret", p, p[1] ? 2 : 1);
			free(u);
		}
	} else if (strcmp(ctype, "password") == 0) {
		puts_(&b, "auth-user-pass\n");
		item_line(&b, &nm, "ca", "ca", true);
	}
	return finish(&b, ret, ret_len);
}

/* The files OpenVPN reads for who it is and whom it trusts: their first
 * word is a path. */
static const char *const match_files[] = {"ca", "cert", "key", "pkcs12", "tls-auth", "tls-crypt", "tls-crypt-v2",
                                          "secret"};

int vd_ovpn_profile_match_key(const char *text, size_t len, char **ret)
{
	struct vd_ovpn_config *cfg = NULL;
	struct vd_ovpn_remote *rem = NULL;
	struct vd_error err;
	struct buf b = {0};
	size_t n = 0;
	int r;

	memset(&err, 0, sizeof(err));
	r = vd_ovpn_config_parse(NULL, text, len, &cfg, &err);
	if (r < 0)
		return r == -ENOMEM ? r : -EINVAL;
	r = vd_ovpn_config_remotes(cfg, &rem, &n);
	if (r == 0 && n == 0)
		r = -EINVAL; /* nothing to tie a process to */
	for (size_t i = 0; r == 0 && i < n; i++) {
		char port[16];
		const char *p[3] = {rem[i].host, port, vd_ovpn_proto_name(rem[i].proto)};
		snprintf(port, sizeof(port), "%u", rem[i].port);
		line(&b, "remote", p, 3);
	}
	for (size_t i = 0; r == 0 && i < VD_ARRAY_SIZE(match_files); i++) {
		const struct vd_ovpn_option *o = vd_ovpn_config_get(cfg, match_files[i]);
		/* an inline block has no path: its body is not a name */
		if (o && o->argc >= 1 && !o->inline_body) {
			const char *p[1] = {o->argv[0]};
			line(&b, match_files[i], p, 1);
		}
	}
	free(rem);
	vd_ovpn_config_free(cfg);
	if (r < 0) {
		free(b.s);
		return r;
	}
	return finish(&b, ret, NULL);
}
