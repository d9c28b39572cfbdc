/* Golden rule tests: runs the rules on CASE.facts.json and compares the
 * findings with CASE.findings.json (canonically, cJSON_Compare). On a mismatch
 * it prints both, finding by finding. VD_GOLDEN_UPDATE=1 rewrites the expected
 * file instead (review what it writes before committing it).
 * The expected file is either the findings array, or an object
 * {"keep_suppressed": true, "findings": [...]} to see suppressed ones, or
 * {"error": "EINVAL"} for facts the rules must refuse. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "vpndoctor/rules.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			char *n = realloc(buf, cap + 65536);
			if (!n) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = n;
			cap += 65536;
		}
		size_t r = fread(buf + len, 1, cap - len - 1, f);
		len += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static cJSON *load(const char *path)
{
	char *s = slurp(path);
	cJSON *j;

	if (!s) {
		fprintf(stderr, "golden: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	j = cJSON_Parse(s);
	if (!j)
		fprintf(stderr, "golden: %s: invalid JSON near '%.40s'\n", path, cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() : "");
	free(s);
	return j;
}

static void print_item(const char *tag, const cJSON *v)
{
	char *s = v ? cJSON_Print(v) : NULL;
	fprintf(stderr, "%s %s\n", tag, s ? s : "(nothing)");
	free(s);
}

/* A readable diff: findings by position; for a pair of the same cause, the
 * fields that differ. */
static void diff(const cJSON *want, const cJSON *got)
{
	int nw = cJSON_GetArraySize(want), ng = cJSON_GetArraySize(got);
	int n = nw > ng ? nw : ng;

	fprintf(stderr, "golden: %d finding(s) expected, %d produced\n", nw, ng);
	for (int i = 0; i < n; i++) {
		const cJSON *w = cJSON_GetArrayItem(want, i), *g = cJSON_GetArrayItem(got, i);
		if (w && g && cJSON_Compare(w, g, true))
			continue;
		fprintf(stderr, "--- finding %d differs\n", i);
		const cJSON *wc = cJSON_GetObjectItemCaseSensitive(w, "cause");
		const cJSON *gc = cJSON_GetObjectItemCaseSensitive(g, "cause");
		if (w && g && cJSON_IsString(wc) && cJSON_IsString(gc) && strcmp(wc->valuestring, gc->valuestring) == 0) {
			const cJSON *f;
			cJSON_ArrayForEach(f, w) {
				const cJSON *o = cJSON_GetObjectItemCaseSensitive(g, f->string);
				if (!o || !cJSON_Compare(f, o, true)) {
					fprintf(stderr, "  field %s:\n", f->string);
					print_item("    - expected", f);
					print_item("    + produced", o);
				}
			}
			cJSON_ArrayForEach(f, g) {
				if (!cJSON_GetObjectItemCaseSensitive(w, f->string)) {
					fprintf(stderr, "  field %s (unexpected):\n", f->string);
					print_item("    + produced", f);
				}
			}
		} else {
			print_item("  - expected", w);
			print_item("  + produced", g);
		}
	}
}

static int write_file(const char *path, const cJSON *v)
{
	char *s = cJSON_Print(v);
	FILE *f;
	int r = 0;

	if (!s)
		return -ENOMEM;
	f = fopen(path, "we");
	if (!f || fprintf(f, "%s\n", s) < 0)
		r = -errno;
	if (f && fclose(f) != 0 && r == 0)
		r = -errno;
	free(s);
	return r;
}

int main(int argc, char **argv)
{
	cJSON *facts = NULL, *exp = NULL, *got = NULL;
	const cJSON *want;
	bool keep = false;
	int rc = 1, r;
	const char *upd = getenv("VD_GOLDEN_UPDATE");

	if (argc != 3) {
		fprintf(stderr, "usage: %s CASE.facts.json CASE.findings.json\n", argv[0]);
		return 64;
	}
	if (!(facts = load(argv[1])))
		goto out;
	exp = load(argv[2]);
	if (!exp && !(upd && strcmp(upd, "1") == 0))
		goto out;
	if (cJSON_IsObject(exp)) {
		keep = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(exp, "keep_suppressed"));
		want = cJSON_GetObjectItemCaseSensitive(exp, "findings");
	} else {
		want = exp;
	}
	r = vd_rules_run(facts, keep, &got);
	/* {"error": "EINVAL"}: the facts must be refused, not judged. */
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(exp, "error"))) {
		const char *e = cJSON_GetObjectItemCaseSensitive(exp, "error")->valuestring;
		if (strcmp(e, "EINVAL") == 0 && r == -EINVAL && !got) {
			rc = 0;
		} else {
			fprintf(stderr, "golden: expected %s, vd_rules_run returned %d\n", e, r);
			print_item("  produced", got);
		}
		goto out;
	}
	if (r < 0) {
		fprintf(stderr, "golden: vd_rules_run: %s\n", strerror(-r));
		goto out;
	}
	if (upd && strcmp(upd, "1") == 0) {
		cJSON *doc = got;
		if (keep) {
			doc = cJSON_CreateObject();
			cJSON_AddBoolToObject(doc, "keep_suppressed", true);
			cJSON_AddItemReferenceToObject(doc, "findings", got);
		}
		r = write_file(argv[2], doc);
		if (doc != got)
			cJSON_Delete(doc);
		if (r < 0) {
			fprintf(stderr, "golden: %s: %s\n", argv[2], strerror(-r));
			goto out;
		}
		fprintf(stderr, "golden: rewrote %s\n", argv[2]);
		rc = 0;
		goto out;
	}
	if (!cJSON_IsArray(want)) {
		fprintf(stderr, "golden: %s: expected a findings array\n", argv[2]);
		goto out;
	}
	if (!cJSON_Compare(want, got, true)) {
		fprintf(stderr, "golden: %s: findings differ\n", argv[1]);
		diff(want, got);
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(facts);
	cJSON_Delete(exp);
	cJSON_Delete(got);
	return rc;
}
