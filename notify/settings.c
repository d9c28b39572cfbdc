/* See settings.h. */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "settings.h"
#include "vpndoctor/cause.h"
#include "vpndoctor/i18n.h"
#include "vpndoctor/principal.h"

void settings_init(struct settings *s)
{
	*s = (struct settings){.min_severity = VD_SEV_WARNING, .interval_s = SETTINGS_INTERVAL_DEFAULT};
}

static void muted_clear(struct settings *s)
{
	for (size_t i = 0; i < s->n_muted; i++)
		free(s->muted[i]);
	free(s->muted);
	s->muted = NULL;
	s->n_muted = 0;
}

void settings_done(struct settings *s)
{
	muted_clear(s);
}

int settings_default_path(char *buf, size_t len)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int n;

	/* the spec says a relative XDG_CONFIG_HOME is invalid and to be ignored */
	if (x && x[0] == '/')
		n = snprintf(buf, len, "%s/vpndoctor/notify.conf", x);
	else if (home && home[0] == '/')
		n = snprintf(buf, len, "%s/.config/vpndoctor/notify.conf", home);
	else
		return -ENOENT;
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool settings_muted(const struct settings *s, const char *cause)
{
	for (size_t i = 0; i < s->n_muted; i++)
		if (strcmp(s->muted[i], cause) == 0)
			return true;
	return false;
}

struct parse {
	struct settings *s;
	struct vd_error *err;
	const char *file;
	FILE *f;
	unsigned line; /* of the handler's current key, counted by the reader */
	bool failed, oom;
};

static int set_muted(struct parse *p, const char *value)
{
	char *copy = strdup(value), *tok, *save = NULL;

	if (!copy)
		return -ENOMEM;
	muted_clear(p->s);
	for (tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
		char **v;

		if (!vd_cause_find(tok)) {
			vd_error_set(p->err, p->file, p->line, _("Muted=: '%s' is not a cause id (see vpndoctor causes)"),
			             tok);
			free(copy);
			return -EINVAL;
		}
		if (settings_muted(p->s, tok))
			continue;
		v = realloc(p->s->muted, (p->s->n_muted + 2) * sizeof(*v));
		if (!v) {
			free(copy);
			return -ENOMEM;
		}
		p->s->muted = v;
		if (!(v[p->s->n_muted] = strdup(tok))) {
			free(copy);
			return -ENOMEM;
		}
		v[++p->s->n_muted] = NULL;
	}
	free(copy);
	return 0;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	int r = 0;

	if (p->failed)
		return 1; /* the first error is the one reported */
	if (strcmp(section, "Notify") != 0) {
		vd_error_set(p->err, p->file, p->line, _("unknown section [%s] (only [Notify])"), section);
		r = -EINVAL;
	} else if (strcmp(name, "MinSeverity") == 0) {
		enum vd_severity sev;
		if (vd_severity_parse(value, &sev) < 0 || sev == VD_SEV_NONE) {
			vd_error_set(p->err, p->file, p->line, _("MinSeverity=: '%s' is not info, warning or error"), value);
			r = -EINVAL;
		} else {
			p->s->min_severity = sev;
		}
	} else if (strcmp(name, "Muted") == 0) {
		r = set_muted(p, value);
	} else if (strcmp(name, "Interval") == 0) {
		uint64_t v;
		if (vd_parse_u64(value, 0, SETTINGS_INTERVAL_MAX, &v) < 0) {
			vd_error_set(p->err, p->file, p->line, _("Interval=: '%s' is not a number of seconds from 0 to %u"),
			             value, SETTINGS_INTERVAL_MAX);
			r = -EINVAL;
		} else {
			p->s->interval_s = (unsigned)v;
		}
	} else {
		vd_error_set(p->err, p->file, p->line, _("unknown key %s= (MinSeverity, Muted, Interval)"), name);
		r = -EINVAL;
	}
	if (r == -ENOMEM)
		p->oom = true;
	if (r < 0) {
		p->failed = true;
		return 0;
	}
	return 1;
}

/* inih reads through this so that the handler knows its line number (ini_parse
 * only returns the line of the first error, not what was wrong on it). */
static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	char *s = fgets(str, num, p->f);

	if (s)
		p->line++;
	return s;
}

int settings_load(struct settings *s, const char *path, struct vd_error *err)
{
	struct parse p = {.s = s, .err = err, .file = path};
	FILE *f = NULL;
	int line, fd;
	/* a regular file only: a FIFO there never holds the agent */
	int e = vd_open_as(NULL, AT_FDCWD, path, (1024 * 1024), &fd);

	if (e == 0 && !(f = fdopen(fd, "re"))) {
		e = -errno;
		close(fd);
	}
	if (e < 0) {
		vd_error_set(err, path, 0, _("cannot open: %s"), e == -EINVAL ? _("not a regular file") : strerror(-e));
		return e;
	}
	p.f = f;
	line = ini_parse_stream(reader, &p, handler, &p);
	fclose(f);
	if (p.oom)
		return -ENOMEM;
	if (p.failed)
		return -EINVAL;
	if (line != 0) {
		vd_error_set(err, path, line > 0 ? (unsigned)line : 0, "%s",
		             line > 0 ? _("not a [section] or a key=value line") : _("cannot read"));
		return -EINVAL;
	}
	return 0;
}
