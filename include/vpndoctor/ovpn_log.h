/* OpenVPN log lines (2.4 to 2.6) classified into events. Takes one line, with or
 * without OpenVPN's own timestamp prefix ("2026-11-27 10:00:00 ", syslog's
 * "ovpn-client[123]: "), and says what it means. Pure; no allocation. */
#ifndef VPNDOCTOR_OVPN_LOG_H
#define VPNDOCTOR_OVPN_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum vd_log_event {
	VD_LOG_NONE = 0,            /* nothing we classify */
	VD_LOG_CONNECTED,           /* Initialization Sequence Completed */
	VD_LOG_TLS_TIMEOUT,         /* TLS key negotiation failed to occur within N seconds; arg: N */
	VD_LOG_TLS_HANDSHAKE_FAILED,/* TLS Error: TLS handshake failed / TLS error */
	VD_LOG_CERT_EXPIRED,        /* certificate has expired / Your certificate has expired */
	VD_LOG_CERT_NOT_YET_VALID,  /* certificate is not yet valid */
	VD_LOG_VERIFY_ERROR,        /* VERIFY ERROR (other); arg: the reason */
	VD_LOG_OPTIONS_ERROR,       /* Options error: ...; arg: the message */
	VD_LOG_AUTH_FAILED,         /* AUTH: Received control message: AUTH_FAILED */
	VD_LOG_PING_RESTART,        /* Inactivity timeout (--ping-restart) */
	VD_LOG_SERVER_RESET,        /* Connection reset command was pushed by server */
	VD_LOG_CONNECTION_RESET,    /* Connection reset, restarting (TCP) */
	VD_LOG_RESTARTING,          /* SIGUSR1[soft,REASON] received, process restarting; arg: REASON */
	VD_LOG_PUSH_REPLY,          /* PUSH: Received control message: 'PUSH_REPLY,...'; arg: the options after "PUSH_REPLY," */
	VD_LOG_PULLED_CHANGED,      /* NOTE: Pulled options changed on restart */
	VD_LOG_DATA_CIPHER,         /* Data Channel: cipher 'X' / using negotiated cipher 'X'; arg: X */
	VD_LOG_DEPRECATED_CIPHER,   /* DEPRECATED OPTION: --cipher set to 'X' but missing in --data-ciphers; arg: X */
	VD_LOG_ROUTE_ERROR,         /* ERROR: Linux route add command failed / route errors; arg: message */
	VD_LOG_TUN_ERROR,           /* Cannot open TUN/TAP dev / ERROR: Cannot ioctl TUNSETIFF; arg: message */
	VD_LOG_RESOLVE_ERROR,       /* RESOLVE: Cannot resolve host address; arg: host */
	VD_LOG_MAX_CLIENTS,         /* MULTI: new incoming connection would exceed maximum number of clients (server side) */
	VD_LOG_EXITING,             /* Exiting due to fatal error / SIGTERM[hard,] received, process exiting; arg: reason */
	VD_LOG_TLS_INITIAL_PACKET,  /* TLS: Initial packet from [AF_INET]A:P — a handshake has started */
	VD_LOG_PEER_CONNECTION,     /* [server] Peer Connection Initiated with [AF_INET]A:P — TLS done */
	VD_LOG_ERROR_OTHER,         /* any other line that says ERROR / FATAL / error */
	VD_LOG__MAX,
};

/* Room for a whole PUSH_REPLY (OpenVPN's PUSH_BUNDLE_SIZE is 1024). */
#define VD_LOG_ARG_MAX 1024

struct vd_log_line {
	enum vd_log_event event;
	/* Event argument, as documented above ("" when none). For CERT_EXPIRED and
	 * CERT_NOT_YET_VALID: "local" when it is this side's certificate, else the
	 * peer's VERIFY ERROR text. An argument too long is cut (PUSH_REPLY at the
	 * last whole option). */
	char arg[VD_LOG_ARG_MAX];
	/* The line carried what OpenVPN's own lines carry in a log file or a
	 * syslog: its timestamp, a syslog identifier, or the management
	 * interface's >LOG: prefix. A line without one may be anything. */
	bool stamped;
};

/* Classify one line (no trailing newline needed). Returns the event. */
enum vd_log_event vd_ovpn_log_classify(const char *line, size_t len, struct vd_log_line *ret);
const char *vd_log_event_name(enum vd_log_event e); /* "connected", "tls-timeout", ... */

/* Pushed options from a PUSH_REPLY argument: "route 172.16.1.0 255.255.255.0,
 * dhcp-option DNS 172.16.1.10,topology net30,cipher AES-256-GCM,..." */
struct vd_pushed {
	char routes[16][64];   /* "172.16.1.0/24" */
	unsigned n_routes;
	char dns[8][64];       /* "172.16.1.10" */
	unsigned n_dns;
	char domain[128];      /* dhcp-option DOMAIN */
	char topology[16];
	char cipher[64];
	char ifconfig_local[64];  /* ifconfig LOCAL REMOTE|NETMASK */
	char ifconfig_remote[64]; /* net30/p2p: the server end; subnet: the netmask */
	unsigned ping, ping_restart;
};
/* 0 or -EINVAL (not a PUSH_REPLY option list). Unknown options are skipped. */
int vd_pushed_parse(const char *options, struct vd_pushed *ret);

#endif
