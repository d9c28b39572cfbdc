/* Logging: to the journal (sd_journal_send) or to stderr with "<N>" priority
 * prefixes (sd-daemon(3) style) when journald is absent or --log-target stderr.
 * log_warn keeps errno (OpenNTPD log.c); log once, where an error is handled. */
#ifndef VPNDOCTORD_LOG_H
#define VPNDOCTORD_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

struct cJSON;

enum log_target { LOG_TARGET_AUTO, LOG_TARGET_JOURNAL, LOG_TARGET_STDERR };

/* level: a syslog priority (LOG_ERR..LOG_DEBUG); messages above it are dropped. */
void log_init(enum log_target target, int level);
int log_target_parse(const char *s, enum log_target *ret);  /* auto|journal|stderr */
int log_level_parse(const char *s, int *ret);               /* err|warning|notice|info|debug or 0-7 */
bool log_to_journal(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* + ": strerror(errno)" */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Any priority (LOG_ERR..LOG_DEBUG), for the probes' host (probes/probe.h). */
void log_vmsg(int prio, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A line that someone outside can trigger at will (a client of the socket
 * misbehaving, connecting too often, not reading) goes through a rate limit:
 * at most burst lines per interval_s, then one line saying how many were
 * suppressed when the next window opens. One struct per kind of line. */
struct log_ratelimit {
	unsigned interval_s, burst;
	int64_t begin;       /* CLOCK_MONOTONIC seconds the window opened */
	unsigned n, suppressed;
};
#define LOG_RATELIMIT_INIT(interval, b) {.interval_s = (interval), .burst = (b)}
void log_rl(struct log_ratelimit *rl, int prio, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Every line is escaped (vd_text_escape) before it goes out: messages carry
 * names, paths and text from users' profiles and processes. */

/* One journal entry for an opened/updated/resolved finding: MESSAGE_ID of the
 * cause, PRIORITY by severity (error 3, warning 4, info 6; resolved 5, or 6 for info),
 * VPNDOCTOR_CAUSE, VPNDOCTOR_TUNNEL, VPNDOCTOR_EVENT, VPNDOCTOR_SUMMARY,
 * VPNDOCTOR_SEVERITY. On stderr: "<N>vpndoctord: EVENT CAUSE on TUNNEL: SUMMARY". */
struct log_finding_ctx {
	const char *gateway;         /* VPNDOCTOR_GATEWAY: the gateway's address (or its name) */
	const char *openvpn_version; /* VPNDOCTOR_OPENVPN_VERSION: "2.6.14" */
	const char *profile;         /* VPNDOCTOR_PROFILE: the client config's file name */
};
/* ctx (NULL, or any member NULL): what a central reader needs beside the
 * finding; unknown fields are left out. Every entry also carries
 * VPNDOCTOR_DAEMON_VERSION. */
void log_finding(const char *event, const struct cJSON *finding, const struct log_finding_ctx *ctx);

/* "WHY: stopping" at notice; in the journal with VPNDOCTOR_EVENT=stopped, so
 * that a central reader knows this machine's open findings are no longer
 * watched (they were not resolved). */
void log_stopping(const char *why);

#endif
