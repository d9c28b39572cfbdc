/* See nlog.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nlog.h"

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

void nlog(int priority, const char *fmt, ...)
{
	va_list ap;

	if (priority >= LOG_DEBUG && !debug)
		return;
	if (prefix)
		fprintf(stderr, "<%d>", priority);
	else
		fputs("vpndoctor-notify: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
