/* Writes docs/facts.md from its template (docs/facts.md.in) and the facts
 * definition (include/vpndoctor/facts.def): the template's line @FACTS@
 * becomes one table per object of the snapshot, so the document cannot drift
 * from what the probes write and the rules read.
 * Usage: vd-gen-facts-doc TEMPLATE OUTPUT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vpndoctor/facts.h"

/* "clock try" -> "clock-try", the anchor of an object's heading */
static void anchor(enum vd_fact_object_id o, char *buf, size_t len)
{
	size_t i;

	for (i = 0; vd_fact_objects[o].name[i] && i + 1 < len; i++) {
		char c = vd_fact_objects[o].name[i];
		buf[i] = c == ' ' || c == '.' ? '-' : c;
	}
	buf[i] = '\0';
}

static void ref(FILE *f, enum vd_fact_object_id o)
{
	char a[64];

	anchor(o, a, sizeof(a));
	fprintf(f, "[%s](#%s)", vd_fact_objects[o].name, a);
}

static const char *kind_word(enum vd_fact_kind k, bool plural)
{
	switch (k) {
	case VD_FK_STRING:
		return plural ? "strings" : "string";
	case VD_FK_NUMBER:
		return plural ? "numbers" : "number";
	case VD_FK_INT:
		return plural ? "integers" : "integer";
	case VD_FK_BOOL:
		return plural ? "booleans" : "boolean";
	default:
		return "?";
	}
}

/* "a, b or c" from "a|b|c" */
static void values(FILE *f, const char *v)
{
	size_t n = 1, i = 0;

	for (const char *p = v; *p; p++)
		n += *p == '|';
	fputs(": ", f);
	for (const char *p = v;; i++) {
		const char *bar = strchr(p, '|');
		fprintf(f, "%s`%.*s`", i == 0 ? "" : i + 1 == n ? " or " : ", ", (int)(bar ? bar - p : (long)strlen(p)), p);
		if (!bar)
			break;
		p = bar + 1;
	}
}

static void type(FILE *f, const struct vd_fact *k)
{
	switch (k->kind) {
	case VD_FK_OBJECT:
		fputs("object: ", f);
		ref(f, k->shape);
		break;
	case VD_FK_ARRAY:
	case VD_FK_MAP:
		fputs(k->kind == VD_FK_ARRAY ? "array of " : "map (keys are data) of ", f);
		if (k->item == VD_FK_OBJECT)
			ref(f, k->shape);
		else
			fputs(kind_word(k->item, true), f);
		break;
	default:
		fputs(kind_word(k->kind, false), f);
		break;
	}
	if (*k->values)
		values(f, k->values);
}

/* Where an object sits in the snapshot, as paths: every key of the
 * definition whose value (or members) have its shape, or a shape based on it. */
static size_t where(enum vd_fact_object_id o, char out[][160], size_t max, size_t n, const char *suffix, int depth)
{
	char path[160];

	if (o == VD_FO_FACTS) {
		if (n < max)
			snprintf(out[n++], sizeof(out[0]), "%s", *suffix ? suffix + 1 : "(the snapshot)");
		return n;
	}
	if (depth > 8)
		return n;
	for (size_t i = 0; i < VD_N_FACTS; i++) {
		const struct vd_fact *k = &vd_facts[i];
		if (k->shape != o)
			continue;
		snprintf(path, sizeof(path), ".%s%s%s", k->key, k->kind == VD_FK_ARRAY ? "[]" : k->kind == VD_FK_MAP ? ".*" : "",
		         suffix);
		n = where(k->object, out, max, n, path, depth + 1);
	}
	for (int d = 0; d < VD_N_FACT_OBJECTS; d++)
		if (vd_fact_objects[d].base == o)
			n = where((enum vd_fact_object_id)d, out, max, n, suffix, depth + 1);
	return n;
}

/* Text in a table cell: a "|" would end the cell. */
static void cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s, f);
	}
}

static void object(FILE *f, enum vd_fact_object_id o)
{
	const struct vd_fact_object *obj = &vd_fact_objects[o];
	char a[64], paths[16][160];
	size_t np = where(o, paths, 16, 0, "", 0);

	anchor(o, a, sizeof(a));
	fprintf(f, "<a id=\"%s\"></a>\n\n### %s\n\n", a, obj->name);
	fprintf(f, "%c%s.", obj->meaning[0] >= 'a' && obj->meaning[0] <= 'z' ? obj->meaning[0] - 'a' + 'A' : obj->meaning[0],
	        obj->meaning + 1);
	if (np && o != VD_FO_FACTS && o != VD_FO_SECTION) {
		fputs(" At ", f);
		for (size_t i = 0; i < np; i++)
			fprintf(f, "%s`%s`", i == 0 ? "" : i + 1 == np ? " and " : ", ", paths[i]);
		fputc('.', f);
	}
	if (obj->base != VD_FO_NONE) {
		fputs(" It has the keys of ", f);
		ref(f, obj->base);
		fputs(" as well.", f);
	}
	if (obj->section) {
		fputs(" A probe's section: ", f);
		ref(f, VD_FO_SECTION);
		fputs(" says how and when it was measured.", f);
	}
	fputs("\n\n| key | type | unit | presence | meaning |\n|---|---|---|---|---|\n", f);
	for (size_t i = 0; i < VD_N_FACTS; i++) {
		const struct vd_fact *k = &vd_facts[i];
		if (k->object != o)
			continue;
		fprintf(f, "| `%s` | ", k->key);
		type(f, k);
		fprintf(f, " | %s | %s%s | ", k->unit, k->presence & VD_FP_OPT ? "optional" : "required",
		        k->presence & VD_FP_NULLABLE ? ", may be null" : "");
		cell(f, k->meaning);
		fputs(" |\n", f);
	}
	fputc('\n', f);
}

int main(int argc, char **argv)
{
	FILE *in, *out;
	char line[4096], tmp[4096];
	bool done = false;

	if (argc != 3) {
		fprintf(stderr, "usage: %s TEMPLATE OUTPUT\n", argv[0]);
		return 64;
	}
	if (!(in = fopen(argv[1], "re"))) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], argv[1], strerror(errno));
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
	if (!(out = fopen(tmp, "we"))) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], tmp, strerror(errno));
		fclose(in);
		return 1;
	}
	while (fgets(line, sizeof(line), in)) {
		if (strcmp(line, "@FACTS@\n") != 0) {
			fputs(line, out);
			continue;
		}
		for (int o = 0; o < VD_N_FACT_OBJECTS; o++)
			object(out, (enum vd_fact_object_id)o);
		done = true;
	}
	fclose(in);
	bool failed = ferror(out) != 0;
	failed |= fclose(out) != 0;
	if (!done || failed || rename(tmp, argv[2]) != 0) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], argv[2], done ? strerror(errno) : "the template has no @FACTS@ line");
		unlink(tmp);
		return 1;
	}
	return 0;
}
