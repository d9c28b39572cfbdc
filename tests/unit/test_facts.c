/* The facts definition (vpndoctor/facts.def): its constants, its own
 * consistency, the validator on every kind of violation, and the RFC 7386
 * merge patch the golden cases are written in. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "vpndoctor/facts.h"
#include "vpndoctor/ovpn_log.h"

static void test_constants(void **state)
{
	(void)state;
	assert_string_equal(VDF_OPENVPN_STATE, "state");
	assert_string_equal(VDF_TUNNEL_OPENVPN, "openvpn");
	assert_string_equal(VDF_HOST_CLOCK, "clock");
	assert_string_equal(VDF_OBJ_CLOCK, "host.clock");
	assert_string_equal(VDF_OBJ_OPENVPN, "openvpn");
	assert_string_equal(VDF_EVENTS_TLS_TIMEOUT, "tls-timeout");
	assert_ptr_equal(vd_facts[VD_F_OPENVPN_STATE].key, VDF_OPENVPN_STATE);
	assert_int_equal(vd_facts[VD_F_OPENVPN_STATE].object, VD_FO_OPENVPN);
	assert_int_equal(vd_facts[VD_F_PING_TARGETS].kind, VD_FK_ARRAY);
	assert_int_equal(vd_facts[VD_F_PING_TARGETS].item, VD_FK_OBJECT);
	assert_int_equal(vd_facts[VD_F_PING_TARGETS].shape, VD_FO_ECHO);
	assert_int_equal(vd_facts[VD_F_ROUTES_TUN_DEV].presence, VD_FP_REQ_NULL);
	assert_string_equal(vd_facts[VD_F_CLOCK_OFFSET_S].unit, "s");
	/* a key of a base shape and a section's status are found from the object */
	assert_ptr_equal(vd_fact_find(VD_FO_PATH, "sent"), &vd_facts[VD_F_SAMPLE_SENT]);
	assert_ptr_equal(vd_fact_find(VD_FO_PATH, "jitter_ms"), &vd_facts[VD_F_ECHO_JITTER_MS]);
	assert_ptr_equal(vd_fact_find(VD_FO_PING, "status"), &vd_facts[VD_F_SECTION_STATUS]);
	assert_null(vd_fact_find(VD_FO_CLOUD, "status"));
	assert_null(vd_fact_find(VD_FO_PING, "sent"));
	assert_null(vd_fact_find(VD_FO_NONE, "sent"));
	assert_true(vd_fact_value_allowed("ok|fail|unknown", "fail"));
	assert_false(vd_fact_value_allowed("ok|fail|unknown", "fai"));
	assert_false(vd_fact_value_allowed("ok|fail|unknown", "ok|fail"));
	assert_true(vd_fact_value_allowed("", "anything"));
}

/* Every object is reachable from the root, no key is defined twice along a
 * shape's bases, sections sit exactly under host and tunnel, and every row
 * says what it means. */
static void test_definition(void **state)
{
	bool reached[VD_N_FACT_OBJECTS] = {false};
	bool grew = true;

	(void)state;
	reached[VD_FO_FACTS] = reached[VD_FO_SECTION] = true;
	while (grew) {
		grew = false;
		for (size_t i = 0; i < VD_N_FACTS; i++) {
			const struct vd_fact *f = &vd_facts[i];
			for (enum vd_fact_object_id o = f->object; reached[f->object] && o != VD_FO_NONE;
			     o = vd_fact_objects[o].base)
				if (f->shape != VD_FO_NONE && !reached[f->shape])
					reached[f->shape] = grew = true;
		}
		for (int o = 0; o < VD_N_FACT_OBJECTS; o++)
			for (int d = 0; d < VD_N_FACT_OBJECTS; d++)
				if (reached[d] && vd_fact_objects[d].base == o && !reached[o])
					reached[o] = grew = true;
	}
	for (int o = 0; o < VD_N_FACT_OBJECTS; o++) {
		if (!reached[o])
			fail_msg("object %s is not reachable from the snapshot", vd_fact_objects[o].name);
		assert_true(strlen(vd_fact_objects[o].meaning) > 5);
		assert_false(vd_fact_objects[o].section && vd_fact_objects[o].base == VD_FO_SECTION);
	}
	for (size_t i = 0; i < VD_N_FACTS; i++) {
		const struct vd_fact *f = &vd_facts[i];
		const char *v = f->values;
		bool is_section = f->shape != VD_FO_NONE && vd_fact_objects[f->shape].section;

		if (vd_fact_find(f->object, f->key) != f)
			fail_msg("%s.%s is defined twice along its shape's bases", vd_fact_objects[f->object].name, f->key);
		if (strlen(f->meaning) < 2)
			fail_msg("%s.%s has no meaning", vd_fact_objects[f->object].name, f->key);
		assert_true((f->object == VD_FO_HOST || f->object == VD_FO_TUNNEL) || !is_section);
		if ((f->object == VD_FO_HOST || f->object == VD_FO_TUNNEL) && f->kind == VD_FK_OBJECT)
			assert_true(is_section || f->shape == VD_FO_CLOUD || f->shape == VD_FO_DERIVED);
		/* "a|b", no empty alternative */
		assert_true(!*v || (v[0] != '|' && v[strlen(v) - 1] != '|' && !strstr(v, "||")));
		assert_true(!*v || f->kind == VD_FK_STRING || f->item == VD_FK_STRING);
	}
}

/* The events object has a key per kind of log line lib/ovpn_log.c knows. */
static void test_events_match_log(void **state)
{
	size_t n = 0;

	(void)state;
	for (int e = VD_LOG_NONE + 1; e < VD_LOG__MAX; e++) {
		const struct vd_fact *f = vd_fact_find(VD_FO_EVENTS, vd_log_event_name((enum vd_log_event)e));
		if (!f)
			fail_msg("log event %s is not a key of events in facts.def", vd_log_event_name((enum vd_log_event)e));
		assert_int_equal(f->kind, VD_FK_INT);
	}
	for (size_t i = 0; i < VD_N_FACTS; i++)
		n += vd_facts[i].object == VD_FO_EVENTS;
	assert_int_equal(n, VD_LOG__MAX - 1);
}

/* ---- the validator ---- */

static const char *valid_doc =
	"{\"now\": 1795770000,"
	" \"host\": {\"clock\": {\"status\": \"unknown\", \"at\": 1795770000}},"
	" \"tunnels\": [{\"name\": \"office\","
	"  \"cloud\": {\"client_cidr\": \"10.8.0.0/24\"},"
	"  \"routes\": {\"status\": \"ok\", \"at\": 1795770000, \"tun_dev\": null, \"tunnel_subnet\": \"10.8.0.4/30\","
	"   \"local_subnets\": [], \"targets\": [{\"addr\": \"172.16.1.20\", \"error\": \"no route\"}],"
	"   \"default_route\": true},"
	"  \"dns\": {\"status\": \"ok\", \"at\": 1795770000, \"servers\": [{\"addr\": \"172.16.1.10\","
	"   \"source\": \"pushed\", \"results\": {\"db.vpc.internal\": \"answer\"}}]},"
	"  \"ping\": {\"status\": \"ok\", \"at\": 1795770000, \"targets\": [{\"addr\": \"172.16.1.20\", \"sent\": 10,"
	"   \"received\": 0, \"loss_pct\": 100, \"unreachable\": 0, \"ttl_exceeded\": 0}]},"
	"  \"path\": {\"status\": \"fail\", \"at\": 1795770000}}]}";

static cJSON *parse(const char *s)
{
	cJSON *j = cJSON_Parse(s);
	assert_non_null(j);
	return j;
}

/* Validates doc with one edit (a merge patch) and returns the violations' count;
 * the first goes to *first. */
static size_t check(const char *patch, struct vd_fact_violation *first)
{
	cJSON *doc = parse(valid_doc), *p = parse(patch);
	struct vd_fact_violation v[8];
	size_t n = 99;

	doc = vd_facts_merge_patch(doc, p);
	assert_non_null(doc);
	assert_int_equal(vd_facts_validate(doc, v, 8, &n), 0);
	if (n && first)
		*first = v[0];
	cJSON_Delete(p);
	cJSON_Delete(doc);
	return n;
}

static void assert_violation(const char *patch, enum vd_fact_violation_kind kind, const char *path,
                             const char *detail)
{
	struct vd_fact_violation v;
	char buf[300];

	memset(&v, 0, sizeof(v));
	if (check(patch, &v) != 1)
		fail_msg("%s: %zu violations, want 1 (the first: %s)", patch, check(patch, NULL),
		         vd_fact_violation_format(&v, buf, sizeof(buf)));
	assert_int_equal(v.kind, kind);
	assert_string_equal(v.path, path);
	if (!strstr(v.detail, detail))
		fail_msg("%s: '%s' does not say '%s'", patch, v.detail, detail);
}

static void test_validate_valid(void **state)
{
	cJSON *doc = parse(valid_doc);
	size_t n = 99;

	(void)state;
	assert_int_equal(vd_facts_validate(doc, NULL, 0, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(vd_facts_validate(NULL, NULL, 0, &n), -EINVAL);
	assert_int_equal(vd_facts_validate(doc, NULL, 0, NULL), -EINVAL);
	cJSON_Delete(doc);
	/* null where it may be; an optional key away; a failed section's keys away */
	assert_int_equal(check("{\"host\": null}", NULL), 0);
	assert_int_equal(check("{\"tunnels\": [{\"name\": \"x\", \"routes\": {\"status\": \"unknown\", \"at\": 1}}]}",
	                       NULL), 0);
}

static void test_validate_violations(void **state)
{
	(void)state;
	assert_violation("{\"tunnels\": [{\"name\": \"x\", \"pign\": {}}]}", VD_FV_UNKNOWN_KEY, "tunnels[0].pign",
	                 "not a key of tunnel");
	assert_violation("{\"now\": \"today\"}", VD_FV_WRONG_TYPE, "now", "a string, not an integer");
	assert_violation("{\"now\": 1.5}", VD_FV_WRONG_TYPE, "now", "1.5 is not an integer");
	/* (a patch's null removes a member; inside an array it stays) */
	assert_violation("{\"now\": null}", VD_FV_MISSING, "now", "missing (an integer)");
	assert_violation("{\"tunnels\": [{\"name\": null}]}", VD_FV_WRONG_TYPE, "tunnels[0].name", "null, not a string");
	assert_violation("{\"host\": {\"clock\": {\"status\": \"good\"}}}", VD_FV_BAD_VALUE, "host.clock.status",
	                 "\"good\" is none of ok|fail|unknown");
	assert_violation("{\"host\": {\"clock\": {\"at\": null}}}", VD_FV_MISSING, "host.clock.at", "missing");
	/* an ok section needs its keys; a failed one does not */
	assert_violation("{\"host\": {\"clock\": {\"status\": \"ok\", \"server\": \"a\", \"address\": \"b\", \"stratum\": 2,"
	                 " \"offset_s\": 0.1, \"delay_s\": 0.01}}}",
	                 VD_FV_MISSING, "host.clock.samples", "missing (an integer)");
	assert_int_equal(check("{\"host\": {\"clock\": {\"status\": \"fail\", \"server\": \"a\"}}}", NULL), 0);
	assert_violation("{\"host\": {\"clock\": {\"status\": \"fail\", \"server\": 7}}}", VD_FV_WRONG_TYPE,
	                 "host.clock.server", "a number, not a string");
	/* inside arrays and maps */
	assert_violation("{\"tunnels\": [{\"name\": \"x\", \"dns\": {\"status\": \"ok\", \"at\": 1, \"servers\": [{\"addr\":"
	                 " \"a\", \"source\": \"pushed\", \"results\": {\"n.example\": \"maybe\"}}]}}]}",
	                 VD_FV_BAD_VALUE, "tunnels[0].dns.servers[0].results.n.example", "\"maybe\"");
	assert_violation("{\"tunnels\": [{\"name\": \"x\", \"cloud\": {\"local_networks\": [\"10.0.0.0/8\", 10]}}]}",
	                 VD_FV_WRONG_TYPE, "tunnels[0].cloud.local_networks[1]", "a number, not a string");
	assert_violation("{\"tunnels\": [{\"name\": \"x\", \"ping\": {\"status\": \"ok\", \"at\": 1, \"targets\": [{\"addr\":"
	                 " \"a\", \"sent\": 1, \"received\": 1, \"loss_pct\": 0, \"unreachable\": 0}]}}]}",
	                 VD_FV_MISSING, "tunnels[0].ping.targets[0].ttl_exceeded", "missing");
	/* a base shape's keys and nothing else */
	assert_int_equal(check("{\"tunnels\": [{\"name\": \"x\", \"path\": {\"status\": \"fail\", \"at\": 1, \"sent\": 3,"
	                       " \"jitter_ms\": 0.5, \"method\": \"icmp\"}}]}", NULL), 0);
	assert_violation("{\"tunnels\": [{\"name\": \"x\", \"path\": {\"status\": \"fail\", \"at\": 1, \"targets\": []}}]}",
	                 VD_FV_UNKNOWN_KEY, "tunnels[0].path.targets", "not a key of path");
	/* null only where the definition allows it */
	assert_violation("{\"tunnels\": [{\"name\": \"x\", \"routes\": {\"status\": \"fail\", \"at\": 1, \"tunnel_subnet\": null,"
	                 " \"default_route\": null}}]}",
	                 VD_FV_WRONG_TYPE, "tunnels[0].routes.default_route", "null, not a boolean");
	assert_violation("{\"tunnels\": {\"name\": \"x\"}}", VD_FV_WRONG_TYPE, "tunnels", "an object, not an array");
}

static void test_validate_shapes(void **state)
{
	struct vd_fact_violation v[2];
	cJSON *doc;
	size_t n;
	char buf[256];

	(void)state;
	doc = parse("[1, 2]");
	assert_int_equal(vd_facts_validate(doc, v, 2, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(vd_fact_violation_format(&v[0], buf, sizeof(buf)),
	                    "(the snapshot): an array, not an object");
	cJSON_Delete(doc);
	/* a key twice in one object */
	doc = parse("{\"now\": 1, \"now\": 2, \"tunnels\": []}");
	assert_int_equal(vd_facts_validate(doc, v, 2, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].kind, VD_FV_DUPLICATE);
	assert_string_equal(v[0].path, "now");
	cJSON_Delete(doc);
	/* more violations than room: all counted, the first kept */
	doc = parse("{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4}");
	assert_int_equal(vd_facts_validate(doc, v, 2, &n), 0);
	assert_int_equal(n, 6); /* four unknown, now and tunnels missing */
	assert_string_equal(v[0].path, "a");
	assert_string_equal(v[1].path, "b");
	assert_int_equal(vd_facts_validate(doc, NULL, 5, &n), 0);
	assert_int_equal(n, 6);
	cJSON_Delete(doc);
}

/* ---- merge patch: RFC 7386 appendix A, every example ---- */

static void merge_case(const char *target, const char *patch, const char *want)
{
	cJSON *t = parse(target), *p = parse(patch), *w = parse(want);
	cJSON *r = vd_facts_merge_patch(t, p);

	assert_non_null(r);
	if (!cJSON_Compare(r, w, true)) {
		char *got = cJSON_PrintUnformatted(r);
		fail_msg("merge %s with %s: %s, want %s", target, patch, got, want);
	}
	cJSON_Delete(r);
	cJSON_Delete(p);
	cJSON_Delete(w);
}

static void test_merge_patch(void **state)
{
	cJSON *r, *p;

	(void)state;
	merge_case("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
	merge_case("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
	merge_case("{\"a\":\"b\"}", "{\"a\":null}", "{}");
	merge_case("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
	merge_case("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
	merge_case("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
	merge_case("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}");
	merge_case("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
	merge_case("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]");
	merge_case("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]");
	merge_case("{\"a\":\"foo\"}", "null", "null");
	merge_case("{\"a\":\"foo\"}", "\"bar\"", "\"bar\"");
	merge_case("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
	merge_case("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
	merge_case("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
	/* a member keeps its place; a scalar member patched into an object keeps its name */
	p = parse("{\"a\": {\"x\": 1}}");
	r = vd_facts_merge_patch(parse("{\"a\": 1, \"b\": 2}"), p);
	assert_non_null(r);
	assert_string_equal(r->child->string, "a");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "a"), "x")->valueint, 1);
	assert_string_equal(r->child->next->string, "b");
	cJSON_Delete(r);
	cJSON_Delete(p);
	/* no target */
	p = parse("{\"a\": 1}");
	r = vd_facts_merge_patch(NULL, p);
	assert_non_null(r);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(r, "a")->valueint, 1);
	cJSON_Delete(r);
	cJSON_Delete(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constants),
		cmocka_unit_test(test_definition),
		cmocka_unit_test(test_events_match_log),
		cmocka_unit_test(test_validate_valid),
		cmocka_unit_test(test_validate_violations),
		cmocka_unit_test(test_validate_shapes),
		cmocka_unit_test(test_merge_patch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
