/* Writes the journal catalog (systemd catalog format, see journalctl(1)
 * --update-catalog) from the cause table, so `journalctl -x` explains every
 * vpndoctor entry with the same words as `vpndoctor explain`: one entry per
 * MESSAGE_ID in English, and one "-- ID LANG" entry per translation given with
 * -l (the build tree's .mo files, -L), which journalctl shows under a locale
 * of that language.
 * Usage: vd-gen-catalog [-L LOCALEDIR] [-l LANG]... OUTPUT [SUPPORT-URL] */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vpndoctor/cause.h"
#include "vpndoctor/i18n.h"
#include "vpndoctor/text.h"

#define WRAP 76
#define MAX_LANGS 16

static const char *prog = "vd-gen-catalog";
static bool translating; /* the entry being written is a translation */
static bool missing;     /* and a text it needs has none */

/* s in the language being written; notes when a translation lacks it. */
__attribute__((format_arg(1))) static const char *tr(const char *s)
{
	const char *t;

	if (!translating)
		return s;
	t = dgettext(VD_TEXTDOMAIN, s);
	if (t == s)
		missing = true;
	return t;
}

static const char *tr_sev(enum vd_severity s)
{
	const char *t;

	if (!translating)
		return vd_severity_name(s);
	t = vd_severity_label(s);
	if (strcmp(t, vd_severity_name(s)) == 0)
		missing = true;
	return t;
}

static void entry(FILE *f, const struct vd_cause *c, const char *lang, const char *support)
{
	if (lang)
		fprintf(f, "-- %s %s\n", c->message_id, lang);
	else
		fprintf(f, "-- %s\n", c->message_id);
	fprintf(f, "Subject: %s\n", tr(c->title));
	fprintf(f, "Defined-By: vpndoctor\n");
	fprintf(f, "Support: %s\n", support);
	fprintf(f, "Documentation: man:vpndoctor(1)\n\n");
	/* @FIELD@ is replaced by journalctl with the entry's own field. */
	fprintf(f, "%s\n\n", tr(N_("vpndoctor, tunnel @VPNDOCTOR_TUNNEL@ (@VPNDOCTOR_EVENT@): @VPNDOCTOR_SUMMARY@")));
	vd_text_wrap(f, tr(c->description), "", WRAP);
	fputc('\n', f);
	fprintf(f, "%s\n", tr(N_("What to do:")));
	vd_text_wrap(f, tr(c->remedy), "", WRAP);
	fputc('\n', f);
	if (c->symptoms[0]) {
		fprintf(f, "%s\n", tr(N_("What a user notices:")));
		for (size_t i = 0; c->symptoms[i]; i++) {
			const struct vd_symptom *s = vd_symptom_find(c->symptoms[i]);
			fprintf(f, "  * %s\n", s ? tr(s->question) : c->symptoms[i]);
		}
		fputc('\n', f);
	}
	/* TRANSLATORS: the last line of a journal catalog entry: the cause's id,
	 * its severity, and the id again */
	fprintf(f, tr(N_("Cause id: %s (severity %s); 'vpndoctor explain %s' shows this text.")), c->id,
	        tr_sev(c->severity), c->id);
	fputs("\n\n", f);
}

/* The entries of one translation, each written only when all its texts are
 * translated (one in English would read oddly among Japanese ones): a cause
 * left out falls back to the English entry, and tests/cli/test_po.sh names
 * the missing messages. Returns how many were written. */
static size_t entries_in(FILE *f, const char *lang, const char *support)
{
	size_t n = 0;
	char *buf;
	size_t len;

	setenv("LANGUAGE", lang, 1);
	/* a new LANGUAGE takes effect for gettext once its caches are flushed */
	textdomain(textdomain(NULL));
	translating = true;
	for (size_t i = 0; i < vd_n_causes; i++) {
		FILE *m = open_memstream(&buf, &len);

		if (!m) {
			fprintf(stderr, "%s: %s\n", prog, strerror(errno));
			exit(1);
		}
		missing = false;
		entry(m, &vd_causes[i], lang, support);
		if (fclose(m) != 0) {
			fprintf(stderr, "%s: %s\n", prog, strerror(errno));
			exit(1);
		}
		if (missing) {
			fprintf(stderr, "%s: warning: %s: %s is not fully translated; its entry stays English\n",
			        prog, lang, vd_causes[i].id);
		} else {
			fwrite(buf, 1, len, f);
			n++;
		}
		free(buf);
	}
	translating = false;
	return n;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: %s [-L LOCALEDIR] [-l LANG]... OUTPUT [SUPPORT-URL]\n", prog);
}

int main(int argc, char **argv)
{
	const char *support, *localedir = NULL, *langs[MAX_LANGS];
	size_t nlangs = 0;
	char tmp[4096];
	FILE *f;
	int fd, c;

	prog = argv[0];
	while ((c = getopt(argc, argv, "L:l:")) != -1) {
		switch (c) {
		case 'L':
			localedir = optarg;
			break;
		case 'l':
			if (nlangs == MAX_LANGS) {
				fprintf(stderr, "%s: more than %d languages\n", prog, MAX_LANGS);
				return 64;
			}
			langs[nlangs++] = optarg;
			break;
		default:
			usage(stderr);
			return 64;
		}
	}
	if (argc - optind < 1 || argc - optind > 2 || (nlangs && !localedir)) {
		usage(stderr);
		return 64;
	}
	support = argc - optind > 1 ? argv[optind + 1] : "man:vpndoctor(1)";
	if (nlangs) {
		/* Translations in UTF-8 from the given tree, whatever the build's
		 * locale: C.UTF-8 (never "C", where gettext translates nothing)
		 * and LANGUAGE picking each language in turn. */
		if (!setlocale(LC_ALL, "C.UTF-8")) {
			fprintf(stderr, "%s: the C.UTF-8 locale is missing: cannot read translations\n", prog);
			return 1;
		}
		bindtextdomain(VD_TEXTDOMAIN, localedir);
		bind_textdomain_codeset(VD_TEXTDOMAIN, "UTF-8");
	}

	/* Write beside the target and rename, so a failed build leaves no half file. */
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", argv[optind]) >= (int)sizeof(tmp)) {
		fprintf(stderr, "%s: path too long\n", prog);
		return 1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "%s: %s: %s\n", prog, tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	fprintf(f, "#  vpndoctor journal catalog. Generated from lib/cause.c by vd-gen-catalog:\n"
	           "#  do not edit; change the cause table instead.\n\n");
	for (size_t i = 0; i < vd_n_causes; i++)
		entry(f, &vd_causes[i], NULL, support);
	for (size_t l = 0; l < nlangs; l++) {
		/* No entry at all: the .mo is not where it should be, which is a
		 * broken build, not a translation that fell behind. */
		if (entries_in(f, langs[l], support) == 0) {
			fprintf(stderr, "%s: no %s translation in %s\n", prog, langs[l], localedir);
			fclose(f);
			unlink(tmp);
			return 1;
		}
	}
	if (fchmod(fileno(f), 0644) < 0 || fflush(f) != 0 || ferror(f) || fclose(f) != 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, tmp, strerror(errno));
		unlink(tmp);
		return 1;
	}
	if (rename(tmp, argv[optind]) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, argv[optind], strerror(errno));
		unlink(tmp);
		return 1;
	}
	return 0;
}
