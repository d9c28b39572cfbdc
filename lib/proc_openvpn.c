/* An openvpn process's options from its argv (options.c parse_argv: "--name"
 * then its arguments up to the next "--", or a lone config file name) and,
 * for what the command line leaves out, from its config file. The first
 * --remote counts (it is tried first); for the other options the last wins. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vpndoctor/common.h"
#include "vpndoctor/ovpn_config.h"
#include "vpndoctor/proc_openvpn.h"

enum {
	F_CONFIG = 1u << 0,
	F_CD = 1u << 1,
	F_MGMT = 1u << 2,
	F_LOG = 1u << 3,
	F_SYSLOG = 1u << 4,
	F_REMOTE = 1u << 5,
	F_PORT = 1u << 6,
	F_PROTO = 1u << 7,
	F_CIPHER = 1u << 8,
	F_DATA_CIPHERS = 1u << 9,
	F_DEV = 1u << 10,
	F_GUI = 1u << 11,
	F_TIMESTAMPS = 1u << 12,
	F_PORT_OPT = 1u << 13,  /* --port/--rport (a remote's own port wins) */
	F_PROTO_OPT = 1u << 14, /* --proto (a remote's own proto wins) */
};

/* Options that mean a management client is expected to drive the process. */
static const char *const gui_options[] = {
	"management-hold",          "management-query-passwords", "management-query-proxy",
	"management-query-remote",  "management-client",          "management-external-key",
	"management-external-cert", "management-signal",          "management-forget-disconnect",
	"management-up-down",       "management-client-auth",
};

struct ctx {
	struct vd_proc_openvpn *p;
	unsigned set;  /* fields set in this pass */
	unsigned skip; /* fields not to touch (the command line set them) */
	bool syslog;
	int err;
};

static void set_str(struct ctx *c, char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s) {
		c->err = -ENOMEM;
		return;
	}
	free(*dst);
	*dst = s;
}

static bool take(struct ctx *c, unsigned f)
{
	if (c->skip & f)
		return false;
	c->set |= f;
	return true;
}

static void port_of(const char *s, unsigned *ret)
{
	uint64_t v;

	if (vd_parse_u64(s, 1, 65535, &v) == 0)
		*ret = (unsigned)v;
}

static void option(struct ctx *c, const char *name, char *const *argv, size_t argc)
{
	struct vd_proc_openvpn *p = c->p;

	if (strcmp(name, "config") == 0 && argc >= 1) {
		if (take(c, F_CONFIG))
			set_str(c, &p->config, argv[0]);
	} else if (strcmp(name, "cd") == 0 && argc >= 1) {
		if (take(c, F_CD))
			set_str(c, &p->cd, argv[0]);
	} else if (strcmp(name, "management") == 0 && argc >= 2) {
		if (!take(c, F_MGMT))
			return;
		free(p->mgmt_unix);
		free(p->mgmt_host);
		p->mgmt_unix = p->mgmt_host = NULL;
		p->mgmt_port = 0;
		if (strcmp(argv[1], "unix") == 0) {
			set_str(c, &p->mgmt_unix, argv[0]);
		} else {
			set_str(c, &p->mgmt_host, argv[0]);
			port_of(argv[1], &p->mgmt_port);
		}
	} else if ((strcmp(name, "log") == 0 || strcmp(name, "log-append") == 0) && argc >= 1) {
		if (!take(c, F_LOG))
			return;
		p->log = name[3] ? VD_PROC_LOG_APPEND : VD_PROC_LOG_FILE;
		set_str(c, &p->log_file, argv[0]);
	} else if (strcmp(name, "syslog") == 0 || strcmp(name, "daemon") == 0) {
		if (!take(c, F_SYSLOG))
			return;
		c->syslog = true;
		if (argc >= 1)
			set_str(c, &p->syslog_name, argv[0]);
	} else if (strcmp(name, "remote") == 0 && argc >= 1) {
		/* the first remote is the one tried first */
		if ((c->set & F_REMOTE) || !take(c, F_REMOTE))
			return;
		set_str(c, &p->remote, argv[0]);
		if (argc >= 2)
			port_of(argv[1], &p->remote_port);
		if (argc >= 3)
			set_str(c, &p->proto, argv[2]);
		if (argc >= 2)
			c->set |= F_PORT;
		if (argc >= 3)
			c->set |= F_PROTO;
	} else if ((strcmp(name, "port") == 0 || strcmp(name, "rport") == 0) && argc >= 1) {
		if (!(c->set & F_PORT) && !(c->skip & (F_PORT | F_PORT_OPT))) {
			c->set |= F_PORT_OPT;
			port_of(argv[0], &p->remote_port);
		}
	} else if (strcmp(name, "proto") == 0 && argc >= 1) {
		if (!(c->set & F_PROTO) && !(c->skip & (F_PROTO | F_PROTO_OPT))) {
			c->set |= F_PROTO_OPT;
			set_str(c, &p->proto, argv[0]);
		}
	} else if (strcmp(name, "cipher") == 0 && argc >= 1) {
		if (take(c, F_CIPHER))
			set_str(c, &p->cipher, argv[0]);
	} else if ((strcmp(name, "data-ciphers") == 0 || strcmp(name, "ncp-ciphers") == 0) && argc >= 1) {
		if (take(c, F_DATA_CIPHERS))
			set_str(c, &p->data_ciphers, argv[0]);
	} else if (strcmp(name, "dev") == 0 && argc >= 1) {
		if (take(c, F_DEV))
			set_str(c, &p->dev, argv[0]);
	} else if (strcmp(name, "suppress-timestamps") == 0) {
		if (take(c, F_TIMESTAMPS))
			p->suppress_timestamps = true;
	} else {
		for (size_t i = 0; i < VD_ARRAY_SIZE(gui_options); i++)
			if (strcmp(name, gui_options[i]) == 0 && take(c, F_GUI))
				p->mgmt_gui = true;
	}
}

/* --log wins over --syslog/--daemon, as in OpenVPN. */
static void finish_log(struct ctx *c)
{
	struct vd_proc_openvpn *p = c->p;

	if (!p->log_file && c->syslog)
		p->log = VD_PROC_LOG_SYSLOG;
	if (p->log == VD_PROC_LOG_SYSLOG && !p->syslog_name)
		set_str(c, &p->syslog_name, "openvpn");
}

void vd_proc_openvpn_clear(struct vd_proc_openvpn *p)
{
	if (!p)
		return;
	free(p->config);
	free(p->cd);
	free(p->mgmt_unix);
	free(p->mgmt_host);
	free(p->log_file);
	free(p->syslog_name);
	free(p->remote);
	free(p->proto);
	free(p->cipher);
	free(p->data_ciphers);
	free(p->dev);
	memset(p, 0, sizeof(*p));
}

/* Splits cmdline into argv pointers into a copy. */
static int split_argv(const char *cmdline, size_t len, char **ret_buf, char ***ret_argv, size_t *ret_argc)
{
	char *buf, **argv;
	size_t argc = 0, k = 0;

	if (len == 0 || cmdline[0] == '\0')
		return -EINVAL;
	if (len > VD_PROC_CMDLINE_MAX)
		return -E2BIG;
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, cmdline, len);
	buf[len] = '\0';
	if (buf[len - 1] == '\0')
		len--; /* the kernel's trailing NUL */
	for (size_t i = 0; i <= len; i++)
		if (buf[i] == '\0')
			argc++;
	argv = calloc(argc + 1, sizeof(*argv));
	if (!argv) {
		free(buf);
		return -ENOMEM;
	}
	for (size_t i = 0; i <= len && k < argc; i++) {
		argv[k++] = buf + i;
		i += strlen(buf + i);
	}
	*ret_buf = buf;
	*ret_argv = argv;
	*ret_argc = k;
	return 0;
}

static bool is_opt(const char *s)
{
	return s[0] == '-' && s[1] == '-' && s[2] != '\0';
}

int vd_proc_openvpn_parse(const char *cmdline, size_t len, struct vd_proc_openvpn *ret)
{
	struct ctx c = {.p = ret};
	char *buf = NULL, **argv = NULL;
	size_t argc = 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = split_argv(cmdline, len, &buf, &argv, &argc);
	if (r < 0)
		return r;
	if (argc == 2 && !is_opt(argv[1])) {
		/* "openvpn office.conf" */
		option(&c, "config", &argv[1], 1);
	} else {
		for (size_t i = 1; i < argc && c.err == 0;) {
			size_t n = 0;

			if (!is_opt(argv[i])) {
				i++; /* OpenVPN refuses this; we only read */
				continue;
			}
			while (i + 1 + n < argc && !is_opt(argv[i + 1 + n]))
				n++;
			option(&c, argv[i] + 2, &argv[i + 1], n);
			i += 1 + n;
		}
	}
	finish_log(&c);
	ret->from_cmdline = c.set;
	free(argv);
	free(buf);
	if (c.err < 0) {
		vd_proc_openvpn_clear(ret);
		return c.err;
	}
	return 0;
}

int vd_proc_openvpn_apply_config(struct vd_proc_openvpn *p, const struct vd_ovpn_config *cfg)
{
	struct ctx c = {.p = p, .skip = p->from_cmdline, .syslog = p->log == VD_PROC_LOG_SYSLOG};
	struct vd_ovpn_remote *rem = NULL;
	size_t n_rem = 0;

	for (size_t i = 0; i < cfg->n_opts && c.err == 0; i++) {
		const struct vd_ovpn_option *o = &cfg->opts[i];
		/* remotes come from vd_ovpn_config_remotes, with <connection> rules */
		if (strcmp(o->name, "remote") == 0 || o->connection)
			continue;
		option(&c, o->name, o->argv, o->argc);
	}
	if (c.err == 0 && !(p->from_cmdline & F_REMOTE) && vd_ovpn_config_remotes(cfg, &rem, &n_rem) == 0) {
		if (n_rem > 0) {
			set_str(&c, &p->remote, rem[0].host);
			p->remote_port = rem[0].port;
			if (!(p->from_cmdline & (F_PROTO | F_PROTO_OPT)))
				set_str(&c, &p->proto, vd_ovpn_proto_name(rem[0].proto));
		}
		free(rem);
	}
	finish_log(&c);
	return c.err;
}

bool vd_proc_is_openvpn(const char *cmdline, size_t len)
{
	const char *end = memchr(cmdline, '\0', len), *base;
	size_t n = end ? (size_t)(end - cmdline) : len;

	base = cmdline;
	for (size_t i = 0; i < n; i++)
		if (cmdline[i] == '/')
			base = cmdline + i + 1;
	n -= (size_t)(base - cmdline);
	return n == 7 && memcmp(base, "openvpn", 7) == 0;
}

int vd_proc_path_join(const char *dir, const char *path, char *buf, size_t size)
{
	size_t dl, pl = strlen(path);

	if (path[0] == '/' || !dir || !*dir) {
		if (pl >= size)
			return -ENAMETOOLONG;
		memcpy(buf, path, pl + 1);
		return 0;
	}
	dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	if (dir[dl - 1] == '/')
		dl--; /* "/" */
	if (dl + 1 + pl >= size)
		return -ENAMETOOLONG;
	memcpy(buf, dir, dl);
	buf[dl] = '/';
	memcpy(buf + dl + 1, path, pl + 1);
	return 0;
}
