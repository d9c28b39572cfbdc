/* What a running openvpn process tells about itself: its /proc/PID/cmdline
 * (NUL-separated argv) read as OpenVPN reads its options, and, where the
 * command line is silent, the directives of its --config file. Pure. */
#ifndef VPNDOCTOR_PROC_OPENVPN_H
#define VPNDOCTOR_PROC_OPENVPN_H

#include <stdbool.h>
#include <stddef.h>

struct vd_ovpn_config;

/* The largest cmdline we read (the kernel's ARG_MAX is larger, but an
 * openvpn command line is short). */
#define VD_PROC_CMDLINE_MAX (64 * 1024)

enum vd_proc_log {
	VD_PROC_LOG_STDOUT = 0, /* no log option: stdout (the journal under systemd) */
	VD_PROC_LOG_FILE,       /* --log FILE (truncated at start) */
	VD_PROC_LOG_APPEND,     /* --log-append FILE */
	VD_PROC_LOG_SYSLOG,     /* --syslog [NAME] or --daemon [NAME] without --log */
};

struct vd_proc_openvpn {
	char *config;         /* --config FILE (or the lone argument), as written */
	char *cd;             /* --cd DIR */
	char *mgmt_unix;      /* --management PATH unix */
	char *mgmt_host;      /* --management HOST PORT */
	unsigned mgmt_port;
	bool mgmt_gui;        /* --management-hold / -query-passwords / -client /
	                       * -external-key ...: a program drives this openvpn */
	enum vd_proc_log log;
	char *log_file;       /* FILE for LOG_FILE / LOG_APPEND */
	char *syslog_name;    /* the syslog identifier (default "openvpn") */
	bool suppress_timestamps;
	char *remote;         /* the first --remote HOST */
	unsigned remote_port; /* its port, else --port/--rport, else 0 */
	char *proto;          /* the first remote's proto, else --proto, else NULL */
	char *cipher;         /* --cipher */
	char *data_ciphers;   /* --data-ciphers */
	char *dev;            /* --dev */
	/* which fields came from the command line (config values fill the rest) */
	unsigned from_cmdline;
};

/* Parses cmdline (len bytes, each argument NUL-terminated; the last NUL may be
 * missing) into *ret (zeroed first). Unknown options are skipped with their
 * arguments. 0, -EINVAL (not an argv: empty or an embedded empty program
 * name), -E2BIG (over VD_PROC_CMDLINE_MAX), -ENOMEM. *ret is to be cleared with
 * vd_proc_openvpn_clear() on success only. */
int vd_proc_openvpn_parse(const char *cmdline, size_t len, struct vd_proc_openvpn *ret);
/* Fills what the command line did not set from a parsed --config file
 * (management, log, log-append, syslog, daemon, cd, remote, proto, port,
 * cipher, data-ciphers, dev, the management-* GUI options). 0 or -ENOMEM. */
int vd_proc_openvpn_apply_config(struct vd_proc_openvpn *p, const struct vd_ovpn_config *c);
void vd_proc_openvpn_clear(struct vd_proc_openvpn *p);

/* The program name of argv[0] is openvpn ("openvpn", "/usr/sbin/openvpn"). */
bool vd_proc_is_openvpn(const char *cmdline, size_t len);

/* Joins a path as OpenVPN sees it: absolute as is, else under dir. Writes
 * into buf; -ENAMETOOLONG when it does not fit. */
int vd_proc_path_join(const char *dir, const char *path, char *buf, size_t size);

#endif
