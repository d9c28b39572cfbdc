/* See nlog.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nlog.h"
#include "vpndoctor/text.h"

static bool prefix, debug;

/* JOURNAL_STREAM is "DEV:INODE" of the stream systemd connected to journald;
 * only when stderr is that stream do "<N>" prefixes become priorities. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void nlog_init(bool verbose)
{
	prefix = stderr_is_journal();
	debug = verbose;
}

/* The line is escaped (vd_text_escape): it carries the daemon's findings,
 * whose text may quote a user's profile. */
void nlog(int priority, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (priority >= LOG_DEBUG && !debug)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (prefix)
		fprintf(stderr, "<%d>", priority);
	else
		fputs("vpndoctor-notify: ", stderr);
	vd_text_fputs(stderr, msg);
	fputc('\n', stderr);
}
