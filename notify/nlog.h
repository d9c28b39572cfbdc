/* The agent's log: one line per event on stderr, with "<N>" syslog priority
 * prefixes when stderr is the journal (a user unit), plain text on a tty. */
#ifndef VPNDOCTOR_NOTIFY_NLOG_H
#define VPNDOCTOR_NOTIFY_NLOG_H

#include <stdbool.h>
#include <syslog.h>

void nlog_init(bool verbose);
void nlog(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
