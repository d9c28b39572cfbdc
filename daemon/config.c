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
#include <dirent.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/http.h>

#include "config.h"
#include "priv.h"
#include "log.h"
#include "probes/probe.h"
#include "vpndoctor/cidr.h"
#include "vpndoctor/facts.h"

#define CONFIG_MAX_BYTES (1024 * 1024)
#define TUNNEL_NAME_MAX 32
#define DROPINS_MAX 256

enum section_kind { SEC_NONE, SEC_DAEMON, SEC_CLOCK, SEC_PROBE, SEC_TUNNEL, SEC_METRICS, SEC_CONNECTIVITY, SEC_CLOUD };

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
	bool *ntp_set; /* the first NTPServers= of all files replaces the built-in list */
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
	free(t->cloud_facts);
}

void config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_files; i++)
		free(c->files[i]);
	free(c->files);
	for (size_t i = 0; i < c->n_origins; i++) {
		free(c->origins[i].section);
		free(c->origins[i].value);
		free(c->origins[i].origin);
	}
	free(c->origins);
	free(c->metrics_dir);
	free(c->connectivity_url);
	free(c->connectivity_response);
	free(c->cloud_dir);
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
	c->connectivity_interval_s = CONFIG_DEFAULT_CONNECTIVITY_INTERVAL_S;
	c->connectivity_nm = true;
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

/* Each key of a section kind has an index (its bit in parse.seen); dflt is
 * what the dump shows for a key no file sets (NULL: no fixed value). */
struct key {
	const char *name;
	bool list;
	const char *dflt;
};

#define STR_(x) #x
#define STR(x) STR_(x)
static const struct key daemon_keys[] = {
	{"Socket", false, NULL}, {"StateDir", false, NULL}, {"LogLevel", false, "info"},
	{"MaxConcurrentProbes", false, STR(CONFIG_DEFAULT_MAX_CONCURRENT)},
	{"IdleTimeoutSec", false, STR(CONFIG_DEFAULT_IDLE_TIMEOUT_S)},
	{"MaxConnections", false, STR(CONFIG_DEFAULT_MAX_CONNECTIONS)},
	{"MaxConnectionsPerUser", false, STR(CONFIG_DEFAULT_MAX_PER_UID)},
	{"Discover", false, "auto"}, {"DiscoveryForgetSec", false, STR(CONFIG_DEFAULT_DISCOVERY_FORGET_S)},
};
static const struct key clock_keys[] = {{"NTPServers", true, CONFIG_DEFAULT_NTP_SERVERS}};
static const struct key probe_keys[] = {{"Interval", false, NULL}, {"Enabled", false, "yes"}};
static const struct key tunnel_keys[] = {
	{"Config", false, NULL}, {"Management", false, NULL}, {"Targets", true, NULL}, {"Names", true, NULL},
	{"ClientCIDR", false, NULL}, {"LocalNetworks", true, NULL}, {"MaxConnections", false, NULL},
	{"BandwidthMbps", false, NULL}, {"CreatedOn", false, NULL}, {"IPsecRoutes", true, NULL},
	{"Reflector", false, NULL}, {"ReflectorKey", false, NULL}, {"CloudFacts", false, NULL},
};
static const struct key metrics_keys[] = {{"TextfileDirectory", false, NULL}};
static const struct key connectivity_keys[] = {
	{"URL", false, ""}, {"Response", false, ""},
	{"Interval", false, STR(CONFIG_DEFAULT_CONNECTIVITY_INTERVAL_S)}, {"NetworkManager", false, "yes"},
};
static const struct key cloud_keys[] = {{"Directory", false, CONFIG_DEFAULT_CLOUD_DIR}};

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
	if (n == 7 && memcmp(s, "Metrics", 7) == 0) {
		p->kind = SEC_METRICS;
		return;
	}
	if (n == 12 && memcmp(s, "Connectivity", 12) == 0) {
		p->kind = SEC_CONNECTIVITY;
		return;
	}
	if (n == 5 && memcmp(s, "Cloud", 5) == 0) {
		p->kind = SEC_CLOUD;
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
		/* twice in one file is a mistake; in a drop-in it is the way to
		 * change a tunnel of an earlier file */
		for (size_t i = 0; i < p->c->n_tunnels; i++)
			if (strlen(p->c->tunnels[i].name) == nn && memcmp(p->c->tunnels[i].name, name, nn) == 0) {
				if (p->c->tunnels[i].file == p->file) {
					fail(p, "tunnel '%.*s' is already defined on line %u", (int)nn, name,
					     p->c->tunnels[i].line);
					return;
				}
				p->tunnel = i;
				p->kind = SEC_TUNNEL;
				snprintf(p->section, sizeof(p->section), "Tunnel %s", p->c->tunnels[i].name);
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
		t->file = p->file;
		t->line = p->line;
		if (!(t->name = strndup(name, nn))) {
			fail(p, "out of memory");
			return;
		}
		p->tunnel = p->c->n_tunnels++;
		p->kind = SEC_TUNNEL;
		/* the canonical name, whatever the quotes and spaces, so that the
		 * origins of one tunnel's keys from several files meet */
		snprintf(p->section, sizeof(p->section), "Tunnel %s", t->name);
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
	if (!*v || !*p->ntp_set)
		list_free(&p->c->ntp_servers);
	*p->ntp_set = true;
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
		if (parse_duration(v, 1, 86400, &u) < 0)
			fail(p, "Interval=: '%s' is not a duration from 1s to 24h (like 300, 90s, 5min, 1h)", v);
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
	case 12:
		/* empty: no cloud facts for this tunnel, not even the directory's */
		free(t->cloud_facts);
		if (!(t->cloud_facts = *v ? make_path(p, v) : strdup("")))
			fail(p, "out of memory");
		break;
	default:
		break;
	}
}

static void handle_metrics(struct parse *p, const char *name, const char *v)
{
	if (key_index(p, metrics_keys, VD_ARRAY_SIZE(metrics_keys), name, 0) != 0)
		return;
	/* empty: off, even where node_exporter's directory exists */
	if (*v && v[0] != '/')
		fail(p, "TextfileDirectory=: an absolute path is needed (or nothing, to write no metrics)");
	else
		set_str(p, &p->c->metrics_dir, v);
}

/* URL=: an http:// URL with a host, as evhttp_uri_parse() reads it. A
 * captive portal answers plain HTTP; an https:// check cannot see one (the
 * portal's certificate fails before anything is read), so it is refused. */
static bool valid_check_url(const char *v)
{
	struct evhttp_uri *u;
	bool ok;

	if (strncmp(v, "http://", 7) != 0 || strlen(v) > 512)
		return false;
	for (const char *c = v; *c; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			return false;
	u = evhttp_uri_parse_with_flags(v, 0);
	ok = u && evhttp_uri_get_host(u) && *evhttp_uri_get_host(u) && !evhttp_uri_get_userinfo(u) &&
	     evhttp_uri_get_port(u) != 0;
	if (u)
		evhttp_uri_free(u);
	return ok;
}

static void handle_connectivity(struct parse *p, const char *name, const char *v)
{
	uint64_t u;
	bool b;

	switch (key_index(p, connectivity_keys, VD_ARRAY_SIZE(connectivity_keys), name, 0)) {
	case 0:
		/* empty: no check of our own (the default) */
		if (*v && !valid_check_url(v))
			fail(p, "URL=: '%s' is not an http:// URL with a host (a captive portal answers plain HTTP; "
			        "https cannot see one)", v);
		else
			set_str(p, &p->c->connectivity_url, v);
		break;
	case 1:
		if (strlen(v) > 256)
			fail(p, "Response=: at most 256 bytes");
		else
			set_str(p, &p->c->connectivity_response, v);
		break;
	case 2:
		if (parse_duration(v, 10, 86400, &u) < 0)
			fail(p, "Interval=: '%s' is not a duration from 10s to 24h (like 300, 90s, 5min, 1h)", v);
		else
			p->c->connectivity_interval_s = (unsigned)u;
		break;
	case 3:
		if (!parse_bool(v, &b))
			fail(p, "NetworkManager=: '%s' is not a boolean (yes/no, true/false, on/off, 1/0)", v);
		else
			p->c->connectivity_nm = b;
		break;
	default:
		break;
	}
}

static void handle_cloud(struct parse *p, const char *name, const char *v)
{
	if (key_index(p, cloud_keys, VD_ARRAY_SIZE(cloud_keys), name, 0) != 0)
		return;
	/* empty: no directory of cloud facts */
	if (*v && v[0] != '/')
		fail(p, "Directory=: an absolute path is needed (or nothing, to read no cloud facts directory)");
	else
		set_str(p, &p->c->cloud_dir, v);
}

static const struct key *key_of(const struct key *keys, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* The key (from its table, so its name is static) that name is in the current section. */
static const struct key *section_key(const struct parse *p, const char *name)
{
	const struct key *k = NULL;

	if (p->probe && (k = key_of(probe_keys, VD_ARRAY_SIZE(probe_keys), name)))
		return k;
	switch (p->kind) {
	case SEC_DAEMON:
		return key_of(daemon_keys, VD_ARRAY_SIZE(daemon_keys), name);
	case SEC_CLOCK:
		return key_of(clock_keys, VD_ARRAY_SIZE(clock_keys), name);
	case SEC_TUNNEL:
		return key_of(tunnel_keys, VD_ARRAY_SIZE(tunnel_keys), name);
	case SEC_METRICS:
		return key_of(metrics_keys, VD_ARRAY_SIZE(metrics_keys), name);
	case SEC_CONNECTIVITY:
		return key_of(connectivity_keys, VD_ARRAY_SIZE(connectivity_keys), name);
	case SEC_CLOUD:
		return key_of(cloud_keys, VD_ARRAY_SIZE(cloud_keys), name);
	case SEC_PROBE:
	case SEC_NONE:
	default:
		return NULL;
	}
}

static struct config_origin *origin_find(const struct config *c, const char *section, const char *key)
{
	for (size_t i = 0; i < c->n_origins; i++)
		if (strcmp(c->origins[i].section, section) == 0 && strcmp(c->origins[i].key, key) == 0)
			return &c->origins[i];
	return NULL;
}

/* Notes where the value of a key that was just accepted came from. A list
 * key adds its items and its place to what earlier lines gave, unless the
 * value was empty (which empties the list). A built-in list has no origin,
 * so the first NTPServers= replaces it here as in handle_clock. */
static void origin_record(struct parse *p, const struct key *k, const char *shown)
{
	struct config *c = p->c;
	struct config_origin *o = origin_find(c, p->section, k->name);
	char *value = NULL, *origin = NULL;
	bool append = o && k->list && *shown;

	if (append) {
		if (asprintf(&value, "%s%s%s", o->value, *o->value ? " " : "", shown) < 0)
			value = NULL;
		if (asprintf(&origin, "%s, %s:%u", o->origin, p->file, p->line) < 0)
			origin = NULL;
	} else {
		value = strdup(shown);
		if (asprintf(&origin, "%s:%u", p->file, p->line) < 0)
			origin = NULL;
	}
	if (!value || !origin)
		goto oom;
	if (!o) {
		struct config_origin *v = realloc(c->origins, (c->n_origins + 1) * sizeof(*v));
		if (!v)
			goto oom;
		c->origins = v;
		o = &v[c->n_origins];
		memset(o, 0, sizeof(*o));
		if (!(o->section = strdup(p->section)))
			goto oom;
		o->key = k->name;
		c->n_origins++;
	}
	free(o->value);
	free(o->origin);
	o->value = value;
	o->origin = origin;
	return;
oom:
	free(value);
	free(origin);
	fail(p, "out of memory");
}

/* A list's items as the dump shows them: "a b,c" is "a b c". */
static char *list_shown(const char *v)
{
	struct config_list l = {0};
	size_t len = 1;
	char *r;

	if (list_add(&l, v) < 0)
		return NULL;
	for (size_t i = 0; i < l.n; i++)
		len += strlen(l.v[i]) + 1;
	r = calloc(1, len);
	for (size_t i = 0; r && i < l.n; i++) {
		if (i)
			strcat(r, " ");
		strcat(r, l.v[i]);
	}
	list_free(&l);
	return r;
}

static void record(struct parse *p, const char *name, const char *value)
{
	const struct key *k = section_key(p, name);
	const struct config_tunnel *t = p->kind == SEC_TUNNEL ? &p->c->tunnels[p->tunnel] : NULL;
	const char *shown = value;
	char *tmp = NULL;

	if (!k)
		return;
	/* a relative path as the daemon resolved it */
	if (t && strcmp(name, "Config") == 0 && t->config)
		shown = t->config;
	else if (t && strcmp(name, "ReflectorKey") == 0 && t->reflector_key)
		shown = t->reflector_key;
	else if (t && strcmp(name, "CloudFacts") == 0 && t->cloud_facts)
		shown = t->cloud_facts;
	else if (k->list && !(shown = tmp = list_shown(value))) {
		fail(p, "out of memory");
		return;
	}
	origin_record(p, k, shown);
	free(tmp);
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
	case SEC_METRICS:
		handle_metrics(p, name, value);
		break;
	case SEC_CONNECTIVITY:
		handle_connectivity(p, name, value);
		break;
	case SEC_CLOUD:
		handle_cloud(p, name, value);
		break;
	}
	if (!p->failed)
		record(p, name, value);
	return p->failed ? 0 : 1;
}

/* Whether the first NTPServers= is still to come: the built-in list is there
 * while no file has set one (its origin would say so). */
static bool ntp_set(const struct config *c)
{
	return origin_find(c, "Clock", "NTPServers") != NULL;
}

int config_parse_more(struct config *c, const char *name, const char *text, struct vd_error *err)
{
	bool ntp = ntp_set(c);
	struct parse p = {.c = c, .text = text, .len = strlen(text), .err = err, .ntp_set = &ntp};
	char **files;
	int r;

	files = realloc(c->files, (c->n_files + 1) * sizeof(*files));
	if (!files)
		return -ENOMEM;
	c->files = files;
	if (!(files[c->n_files] = strdup(name ? name : "<config>")))
		return -ENOMEM;
	p.file = files[c->n_files++];
	r = ini_parse_stream(reader, &p, handler, &p);
	if (!p.failed && r > 0) {
		p.line = (unsigned)r;
		fail(&p, "syntax error: expected [Section], Key=Value or a comment");
	} else if (!p.failed && r < 0) {
		vd_error_set(err, p.file, 0, "out of memory");
		return -ENOMEM;
	}
	return p.failed ? -EINVAL : 0;
}

int config_parse_string(const char *name, const char *text, struct config **ret, struct vd_error *err)
{
	struct config *c;
	int r;

	r = config_new_default(&c);
	if (r < 0)
		return r;
	r = config_parse_more(c, name, text, err);
	if (r == 0 && name && !(c->path = strdup(name)))
		r = -ENOMEM;
	if (r < 0) {
		config_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

/* The whole of a regular file of at most CONFIG_MAX_BYTES without NUL bytes
 * into *ret. A missing file is -ENOENT with err set. */
static int read_file(const char *file, char **ret, struct vd_error *err)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd = -1, r;

	/* the administrator's file: read as root through the privileged parent
	 * (a reload happens in the engine, which is not root) */
	r = priv_open(NULL, file, SIZE_MAX, &fd);
	if (r < 0 && r != -EINVAL && r != -EISDIR) {
		vd_error_set(err, file, 0, "cannot open: %s", strerror(-r));
		return r;
	}
	if (r < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX_BYTES) {
		r = r < 0 || !S_ISREG(st.st_mode) ? -EINVAL : -EFBIG;
		vd_error_set(err, file, 0, "not a regular file of at most %d bytes", CONFIG_MAX_BYTES);
		if (fd >= 0)
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
			vd_error_set(err, file, 0, "read failed: %s", n < 0 ? strerror(-r) : "file shrank");
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
	*ret = buf;
	return 0;
}

static int load_one(struct config *c, const char *file, struct vd_error *err)
{
	char *buf = NULL;
	int r = read_file(file, &buf, err);

	if (r < 0)
		return r;
	r = config_parse_more(c, file, buf, err);
	free(buf);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* FILE.d/ *.conf, sorted by name (strcmp: bytes, not the locale), as
 * systemd orders drop-ins. Names starting with '.' (editors' and package
 * managers' leftovers) are not read. A missing directory has none. */
static int dropins_list(const char *dir, struct config_list *ret, struct vd_error *err)
{
	DIR *d = NULL;
	struct dirent *de;
	int fd, r;

	/* the administrator's, listed as root (daemon/priv.h) */
	r = priv_opendir(NULL, dir, &fd);
	if (r == 0 && !(d = fdopendir(fd))) {
		r = -errno;
		close(fd);
	}
	if (r < 0) {
		if (r == -ENOENT || r == -ENOTDIR)
			return 0;
		vd_error_set(err, dir, 0, "cannot read the drop-in directory: %s", strerror(-r));
		return r;
	}
	while ((errno = 0, de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char *path = NULL;

		if (de->d_name[0] == '.' || n <= 5 || strcmp(de->d_name + n - 5, ".conf") != 0)
			continue;
		if (ret->n >= DROPINS_MAX) {
			vd_error_set(err, dir, 0, "more than %d drop-ins", DROPINS_MAX);
			r = -E2BIG;
			break;
		}
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0 || list_push(ret, path, strlen(path)) < 0) {
			free(path);
			r = -ENOMEM;
			break;
		}
		free(path);
	}
	if (!r && errno) {
		r = -errno;
		vd_error_set(err, dir, 0, "cannot read the drop-in directory: %s", strerror(-r));
	}
	closedir(d);
	if (r < 0) {
		list_free(ret);
		return r;
	}
	if (ret->n)
		qsort(ret->v, ret->n, sizeof(*ret->v), cmp_str);
	return 0;
}

int config_load(const char *path, struct config **ret, struct vd_error *err)
{
	const char *file = path ? path : CONFIG_DEFAULT_PATH;
	struct config_list drop = {0};
	struct config *c = NULL;
	char *dir = NULL;
	int r;

	r = config_new_default(&c);
	if (r < 0)
		return r;
	r = load_one(c, file, err);
	if (r == 0)
		r = (c->path = strdup(file)) ? 0 : -ENOMEM;
	else if (!path && r == -ENOENT)
		r = 0; /* the default file may be missing: defaults and drop-ins */
	if (r == 0 && asprintf(&dir, "%s.d", file) < 0)
		r = -ENOMEM;
	if (r == 0)
		r = dropins_list(dir, &drop, err);
	for (size_t i = 0; r == 0 && i < drop.n; i++)
		r = load_one(c, drop.v[i], err);
	free(dir);
	list_free(&drop);
	if (r < 0) {
		if (r == -ENOMEM && !err->msg[0])
			vd_error_set(err, file, 0, "out of memory");
		config_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

/* ---- the effective configuration ---- */

const char *config_cloud_dir(const struct config *c)
{
	if (c->cloud_dir)
		return c->cloud_dir[0] ? c->cloud_dir : NULL;
	return CONFIG_DEFAULT_CLOUD_DIR;
}

const char *config_metrics_dir(const struct config *c)
{
	struct stat st;

	if (c->metrics_dir)
		return c->metrics_dir[0] ? c->metrics_dir : NULL;
	/* The default is the system service's: a daemon started by hand (a
	 * test, a debugging session) must not overwrite the metrics that the
	 * service writes for node_exporter. systemd sets INVOCATION_ID for
	 * every unit it starts. */
	if (!getenv("INVOCATION_ID"))
		return NULL;
	if (stat(CONFIG_DEFAULT_METRICS_DIR, &st) == 0 && S_ISDIR(st.st_mode))
		return CONFIG_DEFAULT_METRICS_DIR;
	return NULL;
}

static void dump_key(cJSON *keys, const struct config *c, const char *section, const struct key *k,
                     const char *dflt)
{
	const struct config_origin *o = origin_find(c, section, k->name);
	cJSON *e = cJSON_CreateObject();

	if (!e)
		return;
	cJSON_AddStringToObject(e, "key", k->name);
	if (o) {
		cJSON_AddStringToObject(e, "value", o->value);
		cJSON_AddStringToObject(e, "origin", o->origin);
	} else {
		if (dflt)
			cJSON_AddStringToObject(e, "value", dflt);
		else
			cJSON_AddNullToObject(e, "value");
		cJSON_AddNullToObject(e, "origin");
	}
	cJSON_AddItemToArray(keys, e);
}

static cJSON *dump_section(cJSON *sections, const char *name)
{
	cJSON *s = cJSON_CreateObject(), *keys;

	if (!s)
		return NULL;
	cJSON_AddStringToObject(s, "name", name);
	keys = cJSON_AddArrayToObject(s, "keys");
	cJSON_AddItemToArray(sections, s);
	return keys;
}

static void dump_keys(cJSON *sections, const struct config *c, const char *name, const struct key *keys,
                      size_t n)
{
	cJSON *arr = dump_section(sections, name);

	for (size_t i = 0; arr && i < n; i++)
		dump_key(arr, c, name, &keys[i], keys[i].dflt);
}

struct cJSON *config_dump(const struct config *c)
{
	cJSON *o = cJSON_CreateObject(), *files, *sections, *arr;
	char buf[32], name[64];

	if (!o)
		return NULL;
	files = cJSON_AddArrayToObject(o, "files");
	sections = cJSON_AddArrayToObject(o, "sections");
	if (!files || !sections) {
		cJSON_Delete(o);
		return NULL;
	}
	for (size_t i = 0; i < c->n_files; i++)
		cJSON_AddItemToArray(files, cJSON_CreateString(c->files[i]));
	dump_keys(sections, c, "Daemon", daemon_keys, VD_ARRAY_SIZE(daemon_keys));
	dump_keys(sections, c, "Clock", clock_keys, VD_ARRAY_SIZE(clock_keys));
	arr = dump_section(sections, "Metrics");
	if (arr) {
		const char *m = config_metrics_dir(c);
		dump_key(arr, c, "Metrics", &metrics_keys[0], m ? m : "");
	}
	dump_keys(sections, c, "Connectivity", connectivity_keys, VD_ARRAY_SIZE(connectivity_keys));
	dump_keys(sections, c, "Cloud", cloud_keys, VD_ARRAY_SIZE(cloud_keys));
	/* every probe's Interval= and Enabled=, in its own section (the clock's in [Clock]) */
	for (unsigned i = 0; i < probes_n; i++) {
		const char *cs = probes_all[i]->config_section;
		cJSON *keys = NULL, *s;

		if (!cs)
			continue;
		cJSON_ArrayForEach(s, sections)
			if (strcmp(cJSON_GetObjectItemCaseSensitive(s, "name")->valuestring, cs) == 0)
				keys = cJSON_GetObjectItemCaseSensitive(s, "keys");
		if (!keys && !(keys = dump_section(sections, cs)))
			continue;
		snprintf(buf, sizeof(buf), "%u", probes_all[i]->interval_s);
		dump_key(keys, c, cs, &probe_keys[0], buf);
		dump_key(keys, c, cs, &probe_keys[1], probe_keys[1].dflt);
	}
	for (size_t i = 0; i < c->n_tunnels; i++) {
		snprintf(name, sizeof(name), "Tunnel %s", c->tunnels[i].name);
		arr = dump_section(sections, name);
		for (size_t k = 0; arr && k < VD_ARRAY_SIZE(tunnel_keys); k++)
			if (origin_find(c, name, tunnel_keys[k].name))
				dump_key(arr, c, name, &tunnel_keys[k], NULL);
	}
	return o;
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
	cJSON *o, *origin, *it;

	if (!t->client_cidr && !t->local_networks.n && !t->max_connections && !t->bandwidth_mbps &&
	    !t->created_on && !t->ipsec_routes.n)
		return NULL;
	o = cJSON_CreateObject();
	if (!o)
		return NULL;
	if (t->client_cidr)
		cJSON_AddStringToObject(o, VDF_CLOUD_CLIENT_CIDR, t->client_cidr);
	if (t->local_networks.n)
		cJSON_AddItemToObject(o, VDF_CLOUD_LOCAL_NETWORKS, list_json(&t->local_networks));
	if (t->max_connections)
		cJSON_AddNumberToObject(o, VDF_CLOUD_MAX_CONNECTIONS, (double)t->max_connections);
	if (t->bandwidth_mbps)
		cJSON_AddNumberToObject(o, VDF_CLOUD_BANDWIDTH_MBPS, (double)t->bandwidth_mbps);
	if (t->created_on)
		cJSON_AddStringToObject(o, VDF_CLOUD_CREATED_ON, t->created_on);
	if (t->ipsec_routes.n)
		cJSON_AddItemToObject(o, VDF_CLOUD_IPSEC_ROUTES, list_json(&t->ipsec_routes));
	/* every key so far was written in [Tunnel]; imported and derived ones
	 * join later (lib/cloudfacts.c), each saying so */
	origin = cJSON_CreateObject();
	cJSON_ArrayForEach(it, o)
		cJSON_AddStringToObject(origin, it->string, "config");
	if (!origin || !cJSON_AddItemToObject(o, VDF_CLOUD_ORIGIN, origin)) {
		cJSON_Delete(origin);
		cJSON_Delete(o);
		return NULL;
	}
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
