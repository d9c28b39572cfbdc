/* Writes the journal catalog (systemd catalog format, see journalctl(1)
 * --update-catalog) from the cause table, so `journalctl -x` explains every
 * vpndoctor entry with the same words as `vpndoctor explain`.
 * Usage: vd-gen-catalog OUTPUT [SUPPORT-URL] */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vpndoctor/cause.h"
#include "vpndoctor/text.h"

#define WRAP 76

static void entry(FILE *f, const struct vd_cause *c, const char *support)
{
	fprintf(f, "-- %s\n", c->message_id);
	fprintf(f, "Subject: %s\n", c->title);
	fprintf(f, "Defined-By: vpndoctor\n");
	fprintf(f, "Support: %s\n", support);
	fprintf(f, "Documentation: man:vpndoctor(1)\n\n");
	/* @FIELD@ is replaced by journalctl with the entry's own field. */
	fprintf(f, "vpndoctor, tunnel @VPNDOCTOR_TUNNEL@ (@VPNDOCTOR_EVENT@): @VPNDOCTOR_SUMMARY@\n\n");
	vd_text_wrap(f, c->description, "", WRAP);
	fputc('\n', f);
	fprintf(f, "What to do:\n");
	vd_text_wrap(f, c->remedy, "", WRAP);
	fputc('\n', f);
	if (c->symptoms[0]) {
		fprintf(f, "What a user notices:\n");
		for (size_t i = 0; c->symptoms[i]; i++) {
			const struct vd_symptom *s = vd_symptom_find(c->symptoms[i]);
			fprintf(f, "  * %s\n", s ? s->question : c->symptoms[i]);
		}
		fputc('\n', f);
	}
	fprintf(f, "Cause id: %s (severity %s); 'vpndoctor explain %s' shows this text.\n\n", c->id,
	        vd_severity_name(c->severity), c->id);
}

int main(int argc, char **argv)
{
	const char *support = argc > 2 ? argv[2] : "man:vpndoctor(1)";
	char tmp[4096];
	FILE *f;
	int fd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s OUTPUT [SUPPORT-URL]\n", argv[0]);
		return 64;
	}
	/* Write beside the target and rename, so a failed build leaves no half file. */
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", argv[1]) >= (int)sizeof(tmp)) {
		fprintf(stderr, "%s: path too long\n", argv[0]);
		return 1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	fprintf(f, "#  vpndoctor journal catalog. Generated from lib/cause.c by vd-gen-catalog:\n"
	           "#  do not edit; change the cause table instead.\n\n");
	for (size_t i = 0; i < vd_n_causes; i++)
		entry(f, &vd_causes[i], support);
	if (fchmod(fileno(f), 0644) < 0 || fflush(f) != 0 || ferror(f) || fclose(f) != 0) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], tmp, strerror(errno));
		unlink(tmp);
		return 1;
	}
	if (rename(tmp, argv[1]) < 0) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], argv[1], strerror(errno));
		unlink(tmp);
		return 1;
	}
	return 0;
}
