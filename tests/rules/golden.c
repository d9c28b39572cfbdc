/* Golden rule tests: builds a case's facts, holds them against the facts
 * definition, runs the rules on them and compares the findings with
 * CASE.findings.json (canonically, cJSON_Compare). On a mismatch it prints
 * both, finding by finding. VD_GOLDEN_UPDATE=1 rewrites the expected file
 * instead (review what it writes before committing it).
 *
 * A case is one of
 *  - CASE.patch.json: an RFC 7386 merge patch over BASE (base.facts.json, a
 *    healthy tunnel "office" with every key); the facts it gives must be valid.
 *    BASE and patches key "tunnels" by name, so a patch reaches into one
 *    tunnel (a patch replaces an array whole); the rules get them as the
 *    array of the snapshot, in key order. {"tunnels": {"office": {"name":
 *    null}}} takes a key away, {"tunnels": {"lab": {...}}} adds a tunnel (a
 *    patch cannot give a key the value null, which removes it, except inside
 *    an array it gives whole).
 *  - CASE.invalid.json: the same, for facts the definition refuses on purpose
 *    (what the rules make of a snapshot no probe writes); they must not be valid.
 *  - CASE.facts.json: a whole document that is no snapshot at all; not valid.
 * The expected file is either the findings array, or an object
 * {"keep_suppressed": true, "findings": [...]} to see suppressed ones, or
 * {"error": "EINVAL"} for facts the rules must refuse. An object with
 * "unchecked" (the tunnels' lists of causes the facts could not decide,
 * vd_rules_run_ex) has those compared too.
 *
 * rules_golden --facts CASE [BASE] prints the facts a case gives, and what
 * the definition says of them; rules_golden --render FINDINGS... prints each
 * finding's summary_message as the locale says it (vd_i18n_init), one line
 * each, "FILE: TEXT" (tests/cli/test_i18n.sh). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "vpndoctor/facts.h"
#include "vpndoctor/i18n.h"
#include "vpndoctor/message.h"
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

static bool ends_with(const char *s, const char *suffix)
{
	size_t l = strlen(s), n = strlen(suffix);
	return l >= n && strcmp(s + l - n, suffix) == 0;
}

/* The facts of a case: a patch over the base with its tunnels made an array
 * again, or the whole document. NULL after saying why. */
static cJSON *case_facts(const char *path, const char *base_path)
{
	cJSON *doc = load(path), *base, *tunnels;

	if (!doc || ends_with(path, ".facts.json"))
		return doc;
	if (!ends_with(path, ".patch.json") && !ends_with(path, ".invalid.json")) {
		fprintf(stderr, "golden: %s: a case is CASE.patch.json, CASE.invalid.json or CASE.facts.json\n", path);
		cJSON_Delete(doc);
		return NULL;
	}
	if (!base_path) {
		fprintf(stderr, "golden: %s: a patch needs the base it patches\n", path);
		cJSON_Delete(doc);
		return NULL;
	}
	if (!(base = load(base_path))) {
		cJSON_Delete(doc);
		return NULL;
	}
	base = vd_facts_merge_patch(base, doc);
	cJSON_Delete(doc);
	if (!base) {
		fprintf(stderr, "golden: %s: out of memory\n", path);
		return NULL;
	}
	tunnels = cJSON_GetObjectItemCaseSensitive(base, VDF_FACTS_TUNNELS);
	if (cJSON_IsObject(tunnels)) {
		cJSON *a = cJSON_CreateArray(), *t;
		if (!a) {
			cJSON_Delete(base);
			return NULL;
		}
		while ((t = tunnels->child)) {
			cJSON_DetachItemViaPointer(tunnels, t);
			cJSON_AddItemToArray(a, t);
		}
		cJSON_ReplaceItemInObjectCaseSensitive(base, VDF_FACTS_TUNNELS, a);
	}
	return base;
}

/* Each finding's summary_message, as the expected file has it (so as JSON
 * gives it to a client), rendered in English is its summary: byte for byte,
 * or its first 511 bytes cut at a character for a longer one. Returns how
 * many are not. */
static int check_messages(const cJSON *findings, const char *path)
{
	const cJSON *f;
	int bad = 0, i = 0;

	cJSON_ArrayForEach(f, findings) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(f, "summary_message");
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(f, "summary");
		char *r = vd_msg_render(m, NULL);
		size_t n = r ? strlen(r) : 0, sl = cJSON_IsString(s) ? strlen(s->valuestring) : 0;

		i++;
		/* a long one is cut below 512 bytes, at most 3 bytes of a character back */
		bool same = r && cJSON_IsString(s) &&
		            (strcmp(r, s->valuestring) == 0 ||
		             (n >= 512 && sl <= 511 && sl >= 508 && strncmp(r, s->valuestring, sl) == 0));
		if (!same) {
			fprintf(stderr, "golden: %s: finding %d: summary_message %s\n  renders: %s\n  summary: %s\n", path, i,
			        r ? "does not render as the summary" : "does not render", r ? r : "(nothing)",
			        cJSON_IsString(s) ? s->valuestring : "(none)");
			bad++;
		}
		free(r);
	}
	return bad;
}

/* The definition's violations, printed; returns how many. */
static size_t validate(const cJSON *facts, const char *path, bool quiet)
{
	struct vd_fact_violation v[32];
	char buf[300];
	size_t n = 0;

	vd_facts_validate(facts, v, VD_ARRAY_SIZE(v), &n);
	for (size_t i = 0; !quiet && i < n && i < VD_ARRAY_SIZE(v); i++)
		fprintf(stderr, "golden: %s: %s\n", path, vd_fact_violation_format(&v[i], buf, sizeof(buf)));
	if (!quiet && n > VD_ARRAY_SIZE(v))
		fprintf(stderr, "golden: %s: and %zu more\n", path, n - VD_ARRAY_SIZE(v));
	return n;
}

/* CASE.{patch,invalid,facts}.json gives CASE.findings.json (NULL: not a case). */
static char *findings_of(const char *case_file)
{
	static const char *const kinds[] = { ".patch.json", ".invalid.json", ".facts.json" };
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (ends_with(case_file, kinds[i])) {
			size_t stem = strlen(case_file) - strlen(kinds[i]);
			char *out = malloc(stem + sizeof(".findings.json"));
			if (!out)
				return NULL;
			memcpy(out, case_file, stem);
			memcpy(out + stem, ".findings.json", sizeof(".findings.json"));
			return out;
		}
	}
	return NULL;
}

/* One case: CASE against FINDINGS (over BASE for a patch); 0 when it holds. */
static int run_case(const char *case_file, const char *findings_file, const char *base)
{
	cJSON *facts = NULL, *exp = NULL, *got = NULL, *got_unchecked = NULL;
	const cJSON *want, *want_unchecked = NULL;
	bool keep = false;
	int rc = 1, r;
	const char *upd = getenv("VD_GOLDEN_UPDATE");

	if (!(facts = case_facts(case_file, base)))
		goto out;
	/* A patch gives a snapshot as the probes write it; the other two are
	 * what no probe writes, on purpose, and must stay so. */
	if (ends_with(case_file, ".patch.json") ? validate(facts, case_file, false) != 0
	                                      : validate(facts, case_file, true) == 0) {
		fprintf(stderr, "golden: %s: %s\n", case_file,
		        ends_with(case_file, ".patch.json")
		                ? "the facts are not what the definition says (include/vpndoctor/facts.def)"
		                : "the facts are valid: make the case a CASE.patch.json");
		goto out;
	}
	exp = load(findings_file);
	if (!exp && !(upd && strcmp(upd, "1") == 0))
		goto out;
	if (cJSON_IsObject(exp)) {
		keep = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(exp, "keep_suppressed"));
		want = cJSON_GetObjectItemCaseSensitive(exp, "findings");
		want_unchecked = cJSON_GetObjectItemCaseSensitive(exp, "unchecked");
	} else {
		want = exp;
	}
	r = vd_rules_run_ex(facts, keep, &got, want_unchecked ? &got_unchecked : NULL);
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
		if (keep || got_unchecked) {
			doc = cJSON_CreateObject();
			if (keep)
				cJSON_AddBoolToObject(doc, "keep_suppressed", true);
			cJSON_AddItemReferenceToObject(doc, "findings", got);
			if (got_unchecked)
				cJSON_AddItemReferenceToObject(doc, "unchecked", got_unchecked);
		}
		r = write_file(findings_file, doc);
		if (doc != got)
			cJSON_Delete(doc);
		if (r < 0) {
			fprintf(stderr, "golden: %s: %s\n", findings_file, strerror(-r));
			goto out;
		}
		fprintf(stderr, "golden: rewrote %s\n", findings_file);
		rc = 0;
		goto out;
	}
	if (!cJSON_IsArray(want)) {
		fprintf(stderr, "golden: %s: expected a findings array\n", findings_file);
		goto out;
	}
	if (!cJSON_Compare(want, got, true)) {
		fprintf(stderr, "golden: %s: findings differ\n", case_file);
		diff(want, got);
		goto out;
	}
	if (check_messages(want, findings_file))
		goto out;
	if (want_unchecked && !cJSON_Compare(want_unchecked, got_unchecked, true)) {
		fprintf(stderr, "golden: %s: what could not be checked differs\n", case_file);
		print_item("  - expected", want_unchecked);
		print_item("  + produced", got_unchecked);
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(facts);
	cJSON_Delete(exp);
	cJSON_Delete(got);
	cJSON_Delete(got_unchecked);
	return rc;
}

int main(int argc, char **argv)
{
	cJSON *facts = NULL;
	int rc;

	if (argc >= 3 && argc <= 4 && strcmp(argv[1], "--facts") == 0) {
		char *text;
		if (!(facts = case_facts(argv[2], argc == 4 ? argv[3] : NULL)))
			return 1;
		text = cJSON_Print(facts);
		printf("%s\n", text ? text : "");
		free(text);
		rc = validate(facts, argv[2], false) ? 1 : 0;
		cJSON_Delete(facts);
		return rc;
	}
	if (argc >= 3 && strcmp(argv[1], "--render") == 0) {
		vd_i18n_init();
		rc = 0;
		for (int i = 2; i < argc; i++) {
			cJSON *doc = load(argv[i]), *f;
			const cJSON *list = cJSON_IsObject(doc) ? cJSON_GetObjectItemCaseSensitive(doc, "findings") : doc;
			cJSON_ArrayForEach(f, list) {
				char *text = vd_i18n_render(cJSON_GetObjectItemCaseSensitive(f, "summary_message"));
				printf("%s: %s\n", argv[i], text ? text : "(cannot render)");
				rc |= !text;
				free(text);
			}
			rc |= !doc;
			cJSON_Delete(doc);
		}
		return rc;
	}
	/* --all BASE CASE...: every case in one process (the sanitizer and
	 * valgrind runs, where a process per case costs more than the case). */
	if (argc >= 4 && strcmp(argv[1], "--all") == 0) {
		int failed = 0;
		for (int i = 3; i < argc; i++) {
			char *findings = findings_of(argv[i]);
			if (!findings) {
				fprintf(stderr, "golden: %s: not a case (CASE.{patch,invalid,facts}.json)\n", argv[i]);
				failed++;
				continue;
			}
			if (run_case(argv[i], findings, argv[2]) != 0) {
				fprintf(stderr, "golden: FAILED %s\n", argv[i]);
				failed++;
			}
			free(findings);
		}
		printf("golden: %d of %d cases hold\n", argc - 3 - failed, argc - 3);
		return failed ? 1 : 0;
	}
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s CASE.{patch,invalid,facts}.json CASE.findings.json [BASE]\n"
		                "       %s --facts CASE.{patch,invalid,facts}.json [BASE]\n"
		                "       %s --all BASE CASE.{patch,invalid,facts}.json...\n", argv[0], argv[0], argv[0]);
		return 64;
	}
	return run_case(argv[1], argv[2], argc == 4 ? argv[3] : NULL);
}
