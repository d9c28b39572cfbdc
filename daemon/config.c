/* vpndoctor.conf through libinih. Sections are recognised in our own line
 * reader rather than in inih's handler so that an empty or unknown section is
 * caught on its own line, and so that every message carries FILE:LINE. */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "log.h"
#include "probes/probe.h"
#include "vpndoctor/cidr.h"

#define CONFIG_MAX_BYTES (1024 * 1024)
#define TUNNEL_NAME_MAX 32

enum section_kind { SEC_NONE, SEC_DAEMON, SEC_CLOCK, SEC_PROBE, SEC_TUNNEL };

struct parse {
	struct config *c;
	const char *file;
	const char *text;
	size_t len, pos;
	unsigned line;
	enum section_kind kind;
	char section[64];          /* as written, for messages */
	struct config_probe *probe;
	size_t tunnel;             /* index into c->tunnels when kind == SEC_TUNNEL */
	uint64_t seen[2];          /* scalar keys set in this section (bit per key) */
	bool failed;
	bool ntp_set; /* the file's first NTPServers= replaces the built-in list */
	struct vd_error *err;
};

static void fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;
	char msg[256];

	if (p->failed)
		return; /* the first error is the one worth reading */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vd_error_set(p->err, p->file, p->line, "%s", msg);
	p->failed = true;
}

static void list_free(struct config_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int list_push(struct config_list *l, const char *s, size_t n)
{
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	if (!(v[l->n] = strndup(s, n)))
		return -ENOMEM;
	l->n++;
	return 0;
}

/* "a b,c" appends a, b, c; an empty value empties the list (systemd style). */
static int list_add(struct config_list *l, const char *value)
{
	const char *s = value;

	if (!*value) {
		list_free(l);
		return 0;
	}
	while (*s) {
		size_t n;
		s += strspn(s, " \t,");
		n = strcspn(s, " \t,");
		if (n && list_push(l, s, n) < 0)
			return -ENOMEM;
		s += n;
	}
	return 0;
}

static void tunnel_free(struct config_tunnel *t)
{
	free(t->name);
	free(t->config);
	free(t->management);
	list_free(&t->targets);
	list_free(&t->names);
	free(t->client_cidr);
	list_free(&t->local_networks);
	free(t->created_on);
	list_free(&t->ipsec_routes);
	free(t->reflector);
	free(t->reflector_key);
}

void config_free(struct config *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->socket);
	free(c->state_dir);
	list_free(&c->ntp_servers);
	free(c->probes);
	for (size_t i = 0; i < c->n_tunnels; i++)
		tunnel_free(&c->tunnels[i]);
	free(c->tunnels);
	free(c);
}

int config_new_default(struct config **ret)
{
	struct config *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->log_level = -1;
	c->max_concurrent = CONFIG_DEFAULT_MAX_CONCURRENT;
	c->idle_timeout_s = CONFIG_DEFAULT_IDLE_TIMEOUT_S;
	c->max_connections = CONFIG_DEFAULT_MAX_CONNECTIONS;
	c->max_connections_per_uid = CONFIG_DEFAULT_MAX_PER_UID;
	c->discover = CONFIG_DISCOVER_AUTO;
	c->discovery_forget_s = CONFIG_DEFAULT_DISCOVERY_FORGET_S;
	c->probes = calloc(probes_n ? probes_n : 1, sizeof(*c->probes));
	if (!c->probes || list_add(&c->ntp_servers, CONFIG_DEFAULT_NTP_SERVERS) < 0) {
		config_free(c);
		return -ENOMEM;
	}
	c->n_probes = probes_n;
	for (unsigned i = 0; i < probes_n; i++) {
		c->probes[i].probe = probes_all[i]->name;
		c->probes[i].interval_s = probes_all[i]->interval_s;
		c->probes[i].enabled = true;
	}
	*ret = c;
	return 0;
}

const struct config_probe *config_probe(const struct config *c, const char *probe)
{
	for (size_t i = 0; i < c->n_probes; i++)
		if (strcmp(c->probes[i].probe, probe) == 0)
			return &c->probes[i];
	return NULL;
}

const struct config_tunnel *config_tunnel_find(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->n_tunnels; i++)
		if (strcmp(c->tunnels[i].name, name) == 0)
			return &c->tunnels[i];
	return NULL;
}

/* ---- value checks ---- */

static bool parse_bool(const char *v, bool *ret)
{
	static const char *const yes[] = {"1", "yes", "true", "on"};
	static const char *const no[] = {"0", "no", "false", "off"};

	for (size_t i = 0; i < VD_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*ret = true;
			return true;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*ret = false;
			return true;
		}
	}
	return false;
}

/* "300", "300s", "5m", "5min", "1h". */
static int parse_duration(const char *v, uint64_t min, uint64_t max, uint64_t *ret)
{
	char num[32];
	size_t n = strspn(v, "0123456789");
	uint64_t mult, x;
	const char *unit = v + n;

	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, v, n);
	num[n] = '\0';
	if (!*unit || strcmp(unit, "s") == 0)
		mult = 1;
	else if (strcmp(unit, "m") == 0 || strcmp(unit, "min") == 0)
		mult = 60;
	else if (strcmp(unit, "h") == 0)
		mult = 3600;
	else
		return -EINVAL;
	if (vd_parse_u64(num, 0, UINT64_MAX / 3600, &x) < 0)
		return -ERANGE;
	x *= mult;
	if (x < min || x > max)
		return -ERANGE;
	*ret = x;
	return 0;
}

static bool valid_hostname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '-' || s[0] == '.')
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '.' || *p == '_'))
			return false;
	return true;
}

static bool valid_host(const char *s)
{
	struct vd_prefix a;

	return valid_hostname(s) || vd_addr_parse(s, &a) == 0;
}

static bool valid_tunnel_name(const char *s, size_t n)
{
	if (n == 0 || n > TUNNEL_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.' || s[i] == '@'))
			return false;
	return true;
}

/* Relative paths are taken from the directory of the configuration file. */
static char *make_path(struct parse *p, const char *v)
{
	char *r = NULL, cwd[PATH_MAX];
	const char *slash = strrchr(p->file, '/');

	if (v[0] == '/')
		return strdup(v);
	if (slash && p->file[0] == '/') {
		if (asprintf(&r, "%.*s/%s", (int)(slash - p->file), p->file, v) < 0)
			return NULL;
	} else if (getcwd(cwd, sizeof(cwd))) {
		if (asprintf(&r, "%s/%.*s%s%s", cwd, slash ? (int)(slash - p->file) : 0, p->file,
		             slash ? "/" : "", v) < 0)
			return NULL;
	}
	return r;
}

static bool check_prefixes(struct parse *p, const char *key, const struct config_list *l)
{
	struct vd_prefix pr;

	for (size_t i = 0; i < l->n; i++)
		if (vd_prefix_parse(l->v[i], false, &pr) < 0) {
			fail(p, "%s=: '%s' is not a prefix like 172.16.0.0/16 (host bits must be zero)", key, l->v[i]);
			return false;
		}
	return true;
}

/* ---- sections ---- */

/* Each key of a section kind has an index (its bit in parse.seen). */
struct key {
	const char *name;
	bool list;
};

static const struct key daemon_keys[] = {
	{"Socket", false}, {"StateDir", false}, {"LogLevel", false}, {"MaxConcurrentProbes", false},
	{"IdleTimeoutSec", false}, {"MaxConnections", false}, {"MaxConnectionsPerUser", false},
	{"Discover", false}, {"DiscoveryForgetSec", false},
};
static const struct key clock_keys[] = {{"NTPServers", true}};
static const struct key probe_keys[] = {{"Interval", false}, {"Enabled", false}};
static const struct key tunnel_keys[] = {
	{"Config", false}, {"Management", false}, {"Targets", true}, {"Names", true},
	{"ClientCIDR", false}, {"LocalNetworks", true}, {"MaxConnections", false},
	{"BandwidthMbps", false}, {"CreatedOn", false}, {"IPsecRoutes", true},
	{"Reflector", false}, {"ReflectorKey", false},
};

static void begin_section(struct parse *p, const char *s, size_t n)
{
	snprintf(p->section, sizeof(p->section), "%.*s", (int)(n < 60 ? n : 60), s);
	p->seen[0] = p->seen[1] = 0;
	p->probe = NULL;
	/* a probe's Interval= and Enabled= live in its config_section, which may
	 * also be one with keys of its own ([Clock] for the clock probe) */
	for (unsigned i = 0; i < probes_n; i++) {
		const char *cs = probes_all[i]->config_section;
		if (cs && strlen(cs) == n && memcmp(cs, s, n) == 0)
			p->probe = &p->c->probes[i];
	}
	if (n == 6 && memcmp(s, "Daemon", 6) == 0) {
		p->kind = SEC_DAEMON;
		return;
	}
	if (n == 5 && memcmp(s, "Clock", 5) == 0) {
		p->kind = SEC_CLOCK;
		return;
	}
	if (n >= 6 && memcmp(s, "Tunnel", 6) == 0 && (n == 6 || s[6] == ' ' || s[6] == '\t')) {
		const char *name = s + 6;
		size_t nn = n - 6;
		struct config_tunnel *t;

		while (nn && (*name == ' ' || *name == '\t')) {
			name++;
			nn--;
		}
		if (nn >= 2 && name[0] == '"' && name[nn - 1] == '"') {
			name++;
			nn -= 2;
		}
		if (!valid_tunnel_name(name, nn)) {
			fail(p, "[%.*s]: a tunnel name is 1 to %d of A-Z a-z 0-9 - _ . @", (int)n, s, TUNNEL_NAME_MAX);
			return;
		}
		for (size_t i = 0; i < p->c->n_tunnels; i++)
			if (strlen(p->c->tunnels[i].name) == nn && memcmp(p->c->tunnels[i].name, name, nn) == 0) {
				fail(p, "tunnel '%.*s' is already defined on line %u", (int)nn, name,
				     p->c->tunnels[i].line);
				return;
			}
		t = realloc(p->c->tunnels, (p->c->n_tunnels + 1) * sizeof(*t));
		if (!t) {
			fail(p, "out of memory");
			return;
		}
		p->c->tunnels = t;
		t += p->c->n_tunnels;
		memset(t, 0, sizeof(*t));
		t->line = p->line;
		if (!(t->name = strndup(name, nn))) {
			fail(p, "out of memory");
			return;
		}
		p->tunnel = p->c->n_tunnels++;
		p->kind = SEC_TUNNEL;
		return;
	}
	if (p->probe) {
		p->kind = SEC_PROBE;
		return;
	}
	p->kind = SEC_NONE;
	fail(p, "unknown section [%.*s]", (int)n, s);
}

/* Looks at every line before inih does, to count lines and to see sections. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	size_t n, end, copy;
	const char *l;

	if (p->pos >= p->len)
		return NULL;
	l = p->text + p->pos;
	end = p->pos;
	while (end < p->len && p->text[end] != '\n')
		end++;
	n = end - p->pos;
	p->pos = end < p->len ? end + 1 : end;
	p->line++;

	copy = n;
	if (num < 3 || copy > (size_t)num - 2) {
		fail(p, "line too long (at most %d characters)", num - 2);
		copy = 0;
	}
	if (memchr(l, '\0', n)) {
		fail(p, "NUL byte in the file");
		copy = 0;
	}
	memcpy(str, l, copy);
	str[copy] = '\n';
	str[copy + 1] = '\0';
	if (!copy)
		return str;

	/* a section header, as inih sees one: '[' after leading whitespace (and
	 * after the UTF-8 byte order mark inih skips on the first line) */
	size_t i = p->line == 1 && copy >= 3 && memcmp(str, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	i += strspn(str + i, " \t");
	if (str[i] == '[') {
		const char *close = memchr(str + i, ']', copy - i);
		if (!close) {
			fail(p, "section header without ']'");
			return str;
		}
		const char *rest = close + 1 + strspn(close + 1, " \t\r");
		if (*rest != '\n' && *rest != ';' && *rest != '#') {
			fail(p, "text after the section header");
			return str;
		}
		begin_section(p, str + i + 1, (size_t)(close - (str + i + 1)));
	}
	return str;
}

/* bit: where the keys' "set" bits start in parse.seen (probe keys use the
 * second word, so they can share a section with other keys) */
static int key_index(struct parse *p, const struct key *keys, size_t n, const char *name, unsigned bit)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0) {
			size_t b = bit + i;
			if (!keys[i].list) {
				if (p->seen[b / 64] & (1ull << (b % 64))) {
					fail(p, "%s= is set twice in [%s]", name, p->section);
					return -1;
				}
				p->seen[b / 64] |= 1ull << (b % 64);
			}
			return (int)i;
		}
	fail(p, "unknown key %s= in [%s]", name, p->section);
	return -1;
}

static bool is_key(const struct key *keys, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0)
			return true;
	return false;
}

static void set_str(struct parse *p, char **dst, const char *v)
{
	free(*dst);
	if (!(*dst = strdup(v)))
		fail(p, "out of memory");
}

static void handle_daemon(struct parse *p, const char *name, const char *v)
{
	struct config *c = p->c;
	uint64_t u;
	int lvl;

	switch (key_index(p, daemon_keys, VD_ARRAY_SIZE(daemon_keys), name, 0)) {
	case 0:
		if (v[0] != '/' || strlen(v) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
			fail(p, "Socket=: an absolute path of at most %zu bytes is needed",
			     sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);
		else
			set_str(p, &c->socket, v);
		break;
	case 1:
		if (v[0] != '/')
			fail(p, "StateDir=: an absolute path is needed");
		else
			set_str(p, &c->state_dir, v);
		break;
	case 2:
		if (log_level_parse(v, &lvl) < 0)
			fail(p, "LogLevel=: '%s' is not one of err, warning, notice, info, debug or 0-7", v);
		else
			c->log_level = lvl;
		break;
	case 3:
		if (vd_parse_u64(v, 1, 64, &u) < 0)
			fail(p, "MaxConcurrentProbes=: '%s' is not a number from 1 to 64", v);
		else
			c->max_concurrent = (unsigned)u;
		break;
	case 4:
		if (strcmp(v, "0") != 0 && parse_duration(v, 1, 86400, &u) < 0)
			fail(p, "IdleTimeoutSec=: '%s' is not 0 (never) or a duration from 1s to 24h", v);
		else
			c->idle_timeout_s = strcmp(v, "0") == 0 ? 0 : (unsigned)u;
		break;
	case 5:
		if (vd_parse_u64(v, 1, 65536, &u) < 0)
			fail(p, "MaxConnections=: '%s' is not a number from 1 to 65536", v);
		else
			c->max_connections = (unsigned)u;
		break;
	case 6:
		if (vd_parse_u64(v, 1, 65536, &u) < 0)
			fail(p, "MaxConnectionsPerUser=: '%s' is not a number from 1 to 65536", v);
		else
			c->max_connections_per_uid = (unsigned)u;
		break;
	case 7: {
		bool b;
		if (strcmp(v, "auto") == 0)
			c->discover = CONFIG_DISCOVER_AUTO;
		else if (parse_bool(v, &b))
			c->discover = b ? CONFIG_DISCOVER_YES : CONFIG_DISCOVER_NO;
		else
			fail(p, "Discover=: '%s' is not auto, yes or no", v);
		break;
	}
	case 8:
		if (parse_duration(v, 1, 7 * 86400, &u) < 0)
			fail(p, "DiscoveryForgetSec=: '%s' is not a duration from 1s to 168h", v);
		else
			c->discovery_forget_s = (unsigned)u;
		break;
	default:
		break;
	}
}

static void handle_clock(struct parse *p, const char *name, const char *v)
{
	struct config_list l = {0};

	if (key_index(p, clock_keys, VD_ARRAY_SIZE(clock_keys), name, 0) != 0)
		return;
	if (list_add(&l, v) < 0) {
		fail(p, "out of memory");
		list_free(&l);
		return;
	}
	for (size_t i = 0; i < l.n; i++)
		if (!valid_host(l.v[i])) {
			fail(p, "NTPServers=: '%s' is not a host name or address", l.v[i]);
			list_free(&l);
			return;
		}
	if (!*v || !p->ntp_set)
		list_free(&p->c->ntp_servers);
	p->ntp_set = true;
	for (size_t i = 0; i < l.n; i++)
		if (list_push(&p->c->ntp_servers, l.v[i], strlen(l.v[i])) < 0)
			fail(p, "out of memory");
	list_free(&l);
}

static void handle_probe(struct parse *p, const char *name, const char *v)
{
	uint64_t u;
	bool b;

	switch (key_index(p, probe_keys, VD_ARRAY_SIZE(probe_keys), name, 64)) {
	case 0:
		if (parse_duration(v, 5, 86400, &u) < 0)
			fail(p, "Interval=: '%s' is not a duration from 5s to 24h (like 300, 90s, 5min, 1h)", v);
		else
			p->probe->interval_s = (unsigned)u;
		break;
	case 1:
		if (!parse_bool(v, &b))
			fail(p, "Enabled=: '%s' is not a boolean (yes/no, true/false, on/off, 1/0)", v);
		else
			p->probe->enabled = b;
		break;
	default:
		break;
	}
}

/* Adds the items of v to l after checking each with ok(). */
static void add_checked(struct parse *p, const char *key, struct config_list *l, const char *v,
                        bool (*ok)(const char *), const char *what)
{
	struct config_list tmp = {0};

	if (list_add(&tmp, v) < 0) {
		fail(p, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < tmp.n; i++)
		if (ok && !ok(tmp.v[i])) {
			fail(p, "%s=: '%s' is not %s", key, tmp.v[i], what);
			goto out;
		}
	if (!*v)
		list_free(l);
	for (size_t i = 0; i < tmp.n; i++)
		if (list_push(l, tmp.v[i], strlen(tmp.v[i])) < 0)
			fail(p, "out of memory");
out:
	list_free(&tmp);
}

static bool valid_addr(const char *s)
{
	struct vd_prefix a;
	return vd_addr_parse(s, &a) == 0;
}

static bool valid_prefix(const char *s)
{
	struct vd_prefix a;
	return vd_prefix_parse(s, false, &a) == 0;
}

/* "/run/openvpn/office.sock", "127.0.0.1:7505", "[::1]:7505" or "127.0.0.1 7505". */
static bool valid_management(const char *v)
{
	const char *sep;
	char host[256];
	uint64_t port;

	if (v[0] == '/')
		return strlen(v) < sizeof(((struct sockaddr_un *)NULL)->sun_path);
	sep = strrchr(v, ' ');
	if (!sep)
		sep = strrchr(v, ':');
	if (!sep || (size_t)(sep - v) >= sizeof(host) || vd_parse_u64(sep + 1, 1, 65535, &port) < 0)
		return false;
	memcpy(host, v, (size_t)(sep - v));
	host[sep - v] = '\0';
	if (host[0] == '[' && sep - v >= 2 && host[sep - v - 1] == ']') {
		host[sep - v - 1] = '\0';
		return valid_addr(host + 1) && strchr(host + 1, ':');
	}
	return valid_host(host) && !strchr(host, ':');
}

/* The reflector is asked over the tunnel, so it has an address in the VPC,
 * not a name: "172.16.1.10:7070" or "[fd00::10]:7070". */
static bool valid_reflector(const char *v)
{
	const char *sep = strrchr(v, ':');
	char host[64];
	size_t n;
	uint64_t port;

	if (!sep || vd_parse_u64(sep + 1, 1, 65535, &port) < 0 || (n = (size_t)(sep - v)) >= sizeof(host) || n < 2)
		return false;
	memcpy(host, v, n);
	host[n] = '\0';
	if (host[0] == '[' && host[n - 1] == ']') {
		host[n - 1] = '\0';
		return valid_addr(host + 1) && strchr(host + 1, ':');
	}
	return valid_addr(host) && !strchr(host, ':');
}

static void handle_tunnel(struct parse *p, const char *name, const char *v)
{
	struct config_tunnel *t = &p->c->tunnels[p->tunnel];
	uint64_t u;
	int64_t tm;

	switch (key_index(p, tunnel_keys, VD_ARRAY_SIZE(tunnel_keys), name, 0)) {
	case 0:
		if (!*v) {
			fail(p, "Config=: a path is needed");
			break;
		}
		free(t->config);
		if (!(t->config = make_path(p, v)))
			fail(p, "out of memory");
		break;
	case 1:
		if (!valid_management(v))
			fail(p, "Management=: '%s' is neither a socket path nor HOST:PORT", v);
		else
			set_str(p, &t->management, v);
		break;
	case 2:
		add_checked(p, name, &t->targets, v, valid_addr, "an IPv4 or IPv6 address");
		break;
	case 3:
		add_checked(p, name, &t->names, v, valid_hostname, "a DNS name");
		break;
	case 4:
		if (!valid_prefix(v))
			fail(p, "ClientCIDR=: '%s' is not a prefix like 10.8.0.0/24 (host bits must be zero)", v);
		else
			set_str(p, &t->client_cidr, v);
		break;
	case 5:
		add_checked(p, name, &t->local_networks, v, NULL, NULL);
		check_prefixes(p, name, &t->local_networks);
		break;
	case 6:
		if (vd_parse_u64(v, 1, 1000000, &u) < 0)
			fail(p, "MaxConnections=: '%s' is not a number from 1 to 1000000", v);
		else
			t->max_connections = u;
		break;
	case 7:
		if (vd_parse_u64(v, 1, 1000000, &u) < 0)
			fail(p, "BandwidthMbps=: '%s' is not a number of Mbit/s from 1 to 1000000", v);
		else
			t->bandwidth_mbps = u;
		break;
	case 8:
		if (vd_parse_time(v, &tm) < 0) {
			fail(p, "CreatedOn=: '%s' is not a date like 2020-11-02", v);
		} else {
			t->created_on_t = tm;
			set_str(p, &t->created_on, v);
		}
		break;
	case 9:
		add_checked(p, name, &t->ipsec_routes, v, NULL, NULL);
		check_prefixes(p, name, &t->ipsec_routes);
		break;
	case 10:
		if (!valid_reflector(v))
			fail(p, "Reflector=: '%s' is not ADDRESS:PORT (an IP address: 172.16.1.10:7070, [fd00::10]:7070)", v);
		else
			set_str(p, &t->reflector, v);
		break;
	case 11:
		if (!*v) {
			fail(p, "ReflectorKey=: a path is needed");
			break;
		}
		free(t->reflector_key);
		if (!(t->reflector_key = make_path(p, v)))
			fail(p, "out of memory");
		break;
	default:
		break;
	}
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;

	(void)section; /* the reader tracks sections (see above) */
	if (p->failed)
		return 1; /* keep inih quiet; the first error is already recorded */
	switch (p->kind) {
	case SEC_NONE:
		fail(p, "%s= outside of a section", name);
		break;
	case SEC_DAEMON:
		if (p->probe && is_key(probe_keys, VD_ARRAY_SIZE(probe_keys), name))
			handle_probe(p, name, value);
		else
			handle_daemon(p, name, value);
		break;
	case SEC_CLOCK:
		if (p->probe && is_key(probe_keys, VD_ARRAY_SIZE(probe_keys), name))
			handle_probe(p, name, value);
		else
			handle_clock(p, name, value);
		break;
	case SEC_PROBE:
		handle_probe(p, name, value);
		break;
	case SEC_TUNNEL:
		handle_tunnel(p, name, value);
		break;
	}
	return p->failed ? 0 : 1;
}

int config_parse_string(const char *name, const char *text, struct config **ret, struct vd_error *err)
{
	struct parse p = {.file = name ? name : "<config>", .text = text, .len = strlen(text), .err = err};
	int r;

	r = config_new_default(&p.c);
	if (r < 0)
		return r;
	r = ini_parse_stream(reader, &p, handler, &p);
	if (!p.failed && r > 0) {
		p.line = (unsigned)r;
		fail(&p, "syntax error: expected [Section], Key=Value or a comment");
	} else if (!p.failed && r < 0) {
		vd_error_set(err, p.file, 0, "out of memory");
		config_free(p.c);
		return -ENOMEM;
	}
	if (p.failed) {
		config_free(p.c);
		return -EINVAL;
	}
	if (name && !(p.c->path = strdup(name))) {
		config_free(p.c);
		return -ENOMEM;
	}
	*ret = p.c;
	return 0;
}

int config_load(const char *path, struct config **ret, struct vd_error *err)
{
	const char *file = path ? path : CONFIG_DEFAULT_PATH;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, r;

	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		if (!path && r == -ENOENT)
			return config_new_default(ret);
		vd_error_set(err, file, 0, "cannot open: %s", strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX_BYTES) {
		r = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		vd_error_set(err, file, 0, "not a regular file of at most %d bytes", CONFIG_MAX_BYTES);
		close(fd);
		return r;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			vd_error_set(err, file, 0, "read failed: %s", strerror(-r));
			free(buf);
			close(fd);
			return r;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		vd_error_set(err, file, 0, "NUL byte in the file");
		free(buf);
		return -EINVAL;
	}
	r = config_parse_string(file, buf, ret, err);
	free(buf);
	return r;
}

static cJSON *list_json(const struct config_list *l)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && i < l->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(l->v[i]));
	return a;
}

struct cJSON *config_tunnel_cloud(const struct config_tunnel *t)
{
	cJSON *o;

	if (!t->client_cidr && !t->local_networks.n && !t->max_connections && !t->bandwidth_mbps &&
	    !t->created_on && !t->ipsec_routes.n)
		return NULL;
	o = cJSON_CreateObject();
	if (!o)
		return NULL;
	if (t->client_cidr)
		cJSON_AddStringToObject(o, "client_cidr", t->client_cidr);
	if (t->local_networks.n)
		cJSON_AddItemToObject(o, "local_networks", list_json(&t->local_networks));
	if (t->max_connections)
		cJSON_AddNumberToObject(o, "max_connections", (double)t->max_connections);
	if (t->bandwidth_mbps)
		cJSON_AddNumberToObject(o, "bandwidth_mbps", (double)t->bandwidth_mbps);
	if (t->created_on)
		cJSON_AddStringToObject(o, "created_on", t->created_on);
	if (t->ipsec_routes.n)
		cJSON_AddItemToObject(o, "ipsec_routes", list_json(&t->ipsec_routes));
	return o;
}

const char *config_error_string(const struct vd_error *err, char *buf, size_t len)
{
	if (err->line)
		snprintf(buf, len, "%s:%u: %s", err->file, err->line, err->msg);
	else
		snprintf(buf, len, "%s: %s", err->file, err->msg);
	return buf;
}
