/* libFuzzer target for lib/message.c: any JSON a daemon (or a machine writing
 * to the journal fleet reads) could send as a message, rendered in English
 * and through a language whose translations misbehave (a translation that
 * names what the message lacks falls back to English; a longer rendering may
 * pass the bound and be refused). The renderer must bound its output, never
 * read past what it was given, and be deterministic. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "vpndoctor/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A translation that names other values, leaves a brace open, or is the id. */
static const char *odd_gettext(const char *id)
{
	size_t n = strlen(id);

	if (n % 3 == 0)
		return "{summary} {n} {x";
	if (n % 3 == 1)
		return "}{{}{a_b}";
	return id;
}

static const char *odd_ngettext(const char *id, const char *plural, unsigned long n)
{
	return n % 2 ? odd_gettext(plural) : id;
}

static void odd_number(char *buf, size_t len, double v, int digits)
{
	/* as a locale with grouping would: longer than "%.*f" */
	snprintf(buf, len, "<%'.*f>", digits, v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct vd_msg_lang odd = {odd_gettext, odd_ngettext, odd_number, NULL};
	cJSON *m = cJSON_ParseWithLength((const char *)data, size);
	char *a, *b, *c;

	if (!m)
		return 0;
	a = vd_msg_render(m, NULL);
	b = vd_msg_render(m, NULL);
	c = vd_msg_render(m, &odd);
	/* the same message renders the same; nothing is longer than the bound */
	if (!a != !b || (a && strcmp(a, b) != 0) || (a && strlen(a) >= 16384) || (c && strlen(c) >= 16384))
		abort();
	free(a);
	free(b);
	free(c);
	cJSON_Delete(m);
	return 0;
}
