/* The cause catalogue: ids exactly those of CAUSES.md, MESSAGE_IDs well formed
 * and unique, the suppression matrix consistent and acyclic, the FAQ's numbers
 * present in the texts, and a rule for every cause. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "vpndoctor/cause.h"
#include "vpndoctor/rules.h"

/* CAUSES.md, in its order: 24 FAQ causes, then those beyond it. */
static const char *const expected_ids[] = {
	"config-invalid", "cert-expired", "too-many-clients", "ip-conflict", "client-cidr-too-small",
	"vpn-app-conflict", "unstable-internet", "long-distance-udp", "server-config-changed",
	"client-exception", "clock-skew", "icmp-blocked-locally", "asymmetric-path", "dns-no-route",
	"local-network-missing", "local-network-overlap", "ipsec-route-overlap", "security-group",
	"openvpn-version", "gateway-bandwidth", "udp-unreliable", "gateway-old-version", "ncp-cipher",
	"other", "udp-blocked", "gateway-unreachable", "mtu-blackhole", "vpn-port-silent", "captive-portal",
	"no-internet", "proxy-failed",
};

static const char *const expected_symptoms[] = {
	"connect-fails", "drops-periodically", "only-some-connect", "connected-no-ping", "ping-one-way",
	"connected-no-dns", "connected-no-cloud", "connected-loss", "connected-latency", "cipher-differs",
};

static const char *const tunnel_down[] = {
	"config-invalid", "cert-expired", "clock-skew", "too-many-clients", "udp-blocked",
	"gateway-unreachable", "client-exception", "vpn-port-silent", "captive-portal", "no-internet",
	"proxy-failed",
};

static bool listed(const char *const *list, const char *id)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(list[i], id) == 0)
			return true;
	return false;
}

static void test_ids_match_causes_md(void **state)
{
	(void)state;
	assert_int_equal(vd_n_causes, VD_ARRAY_SIZE(expected_ids));
	for (size_t i = 0; i < vd_n_causes; i++) {
		assert_string_equal(vd_causes[i].id, expected_ids[i]);
		assert_int_equal(vd_cause_index(expected_ids[i]), (int)i);
		assert_ptr_equal(vd_cause_find(expected_ids[i]), &vd_causes[i]);
		assert_int_equal(vd_causes[i].beyond_faq, i >= 24);
		assert_non_null(vd_causes[i].title);
		assert_true(strlen(vd_causes[i].description) > 40);
		assert_true(strlen(vd_causes[i].remedy) > 40);
		assert_true(vd_causes[i].severity >= VD_SEV_INFO && vd_causes[i].severity <= VD_SEV_ERROR);
	}
	assert_null(vd_cause_find("no-such-cause"));
	assert_null(vd_cause_find(NULL));
	assert_int_equal(vd_cause_index("Clock-Skew"), -1);
}

/* causes.def gives the enum and the catalogue's ids: no entry missing in between
 * (a hole has no id), each at its symbol's index. */
static void test_causes_def(void **state)
{
	static const char *const def[] = {
#define VD_CAUSE(sym, id) [VD_CAUSE_##sym] = id,
#include "vpndoctor/causes.def"
#undef VD_CAUSE
	};

	(void)state;
	assert_int_equal(VD_ARRAY_SIZE(def), VD_N_CAUSES);
	assert_int_equal(vd_n_causes, VD_N_CAUSES);
	for (size_t i = 0; i < VD_N_CAUSES; i++) {
		assert_non_null(vd_causes[i].id);
		assert_string_equal(vd_causes[i].id, def[i]);
	}
	assert_string_equal(vd_causes[VD_CAUSE_CLOCK_SKEW].id, "clock-skew");
}

static void test_symptoms(void **state)
{
	(void)state;
	assert_int_equal(vd_n_symptoms, VD_ARRAY_SIZE(expected_symptoms));
	for (size_t i = 0; i < vd_n_symptoms; i++) {
		assert_string_equal(vd_symptoms[i].id, expected_symptoms[i]);
		assert_non_null(vd_symptom_find(expected_symptoms[i]));
	}
	assert_null(vd_symptom_find("nope"));
	for (size_t i = 0; i < vd_n_causes; i++) {
		size_t n = 0;
		for (; vd_causes[i].symptoms[n]; n++)
			assert_non_null(vd_symptom_find(vd_causes[i].symptoms[n]));
		assert_true(n <= VD_CAUSE_MAX_SYMPTOMS);
		/* Only "other" stands for any symptom. */
		assert_int_equal(n == 0, strcmp(vd_causes[i].id, "other") == 0);
	}
}

static bool is_hex32(const char *s)
{
	if (strlen(s) != 32)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static void test_message_ids(void **state)
{
	(void)state;
	for (size_t i = 0; i < vd_n_causes; i++) {
		assert_true(is_hex32(vd_causes[i].message_id));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(vd_causes[i].message_id, vd_causes[j].message_id);
	}
	/* Pinned: a journal catalog in the field is keyed on these. */
	assert_string_equal(vd_cause_find("clock-skew")->message_id, "645fdcb4f8ca40f7a04be1dc0e32dd5b");
	assert_string_equal(vd_cause_find("config-invalid")->message_id, "2c4902b0c05b40a597c3e30f3fc2ed00");
	assert_string_equal(vd_cause_find("mtu-blackhole")->message_id, "e7125029eb404baa9493e526a19b082b");
}

/* 0 unvisited, 1 on the stack, 2 done. */
static bool cyclic(size_t i, int *mark)
{
	if (mark[i] == 1)
		return true;
	if (mark[i] == 2)
		return false;
	mark[i] = 1;
	for (size_t k = 0; vd_causes[i].suppressed_by[k]; k++) {
		int j = vd_cause_index(vd_causes[i].suppressed_by[k]);
		if (j >= 0 && cyclic((size_t)j, mark))
			return true;
	}
	mark[i] = 2;
	return false;
}

static void test_suppression_matrix(void **state)
{
	int mark[64] = {0};

	(void)state;
	assert_true(vd_n_causes <= VD_ARRAY_SIZE(mark));
	for (size_t i = 0; i < vd_n_causes; i++) {
		const struct vd_cause *c = &vd_causes[i];
		size_t n = 0;
		for (; c->suppressed_by[n]; n++) {
			assert_non_null(vd_cause_find(c->suppressed_by[n]));
			assert_string_not_equal(c->suppressed_by[n], c->id);
			for (size_t k = 0; k < n; k++)
				assert_string_not_equal(c->suppressed_by[n], c->suppressed_by[k]);
		}
		assert_true(n <= VD_CAUSE_MAX_SUPPRESSED);
	}
	for (size_t i = 0; i < vd_n_causes; i++)
		assert_false(cyclic(i, mark));

	/* While the tunnel cannot come up, the "connected, but" causes are mute. */
	static const char *const connected[] = {
		"dns-no-route", "security-group", "local-network-missing", "udp-unreliable", "mtu-blackhole",
		"asymmetric-path", "icmp-blocked-locally", "gateway-bandwidth", "gateway-old-version",
	};
	for (size_t i = 0; i < VD_ARRAY_SIZE(connected); i++)
		for (size_t k = 0; k < VD_ARRAY_SIZE(tunnel_down); k++)
			assert_true(listed(vd_cause_find(connected[i])->suppressed_by, tunnel_down[k]));
	/* "other" gives way to every specific error cause. */
	for (size_t i = 0; i < vd_n_causes; i++)
		if (vd_causes[i].severity == VD_SEV_ERROR)
			assert_true(listed(vd_cause_find("other")->suppressed_by, vd_causes[i].id));
	assert_true(listed(vd_cause_find("cert-expired")->suppressed_by, "clock-skew"));
	assert_false(listed(vd_cause_find("clock-skew")->suppressed_by, "cert-expired"));
	assert_true(listed(vd_cause_find("security-group")->suppressed_by, "ipsec-route-overlap"));
	assert_true(listed(vd_cause_find("security-group")->suppressed_by, "local-network-missing"));
	assert_true(listed(vd_cause_find("security-group")->suppressed_by, "ip-conflict"));
}

static void test_grace(void **state)
{
	static const char *const immediate[] = {
		"config-invalid", "cert-expired", "client-cidr-too-small", "local-network-overlap",
		"ipsec-route-overlap", "openvpn-version", "clock-skew", "ncp-cipher",
	};
	(void)state;
	for (size_t i = 0; i < VD_ARRAY_SIZE(immediate); i++)
		assert_int_equal(vd_cause_find(immediate[i])->grace_s, 0);
	/* measured by its own probe's statistics, not a sequential test */
	assert_int_equal(vd_cause_find("mtu-blackhole")->grace_s, 60);
}

/* The sampled causes wait no fixed time: they open and resolve on sequential
 * tests, each valid, and every other cause has none. */
static const char *const sampled[] = {
	"unstable-internet", "long-distance-udp", "udp-unreliable", "gateway-bandwidth",
	"gateway-old-version", "security-group", "asymmetric-path",
};

static void test_sampled_tests(void **state)
{
	(void)state;
	for (size_t i = 0; i < vd_n_causes; i++) {
		const struct vd_cause *c = &vd_causes[i];
		const struct vd_sprt_spec *const *t = vd_rule_tests(c->id);
		bool is_sampled = false;

		for (size_t k = 0; k < VD_ARRAY_SIZE(sampled); k++)
			is_sampled |= strcmp(sampled[k], c->id) == 0;
		if (!is_sampled) {
			assert_null(t);
			continue;
		}
		assert_int_equal(c->grace_s, 0);
		assert_non_null(t);
		for (size_t k = 0; t[k]; k++) {
			struct vd_sprt_limits l;

			assert_int_equal(vd_sprt_limits(t[k], &l), 0);
			assert_ptr_equal(vd_test_find(t[k]->section, t[k]->key), t[k]);
			assert_non_null(vd_sampling_find(t[k]->section));
			/* a follower follows a test of its own section */
			if (t[k]->after)
				assert_non_null(vd_test_find(t[k]->section, t[k]->after));
			if (t[k]->event != VD_SPRT_EV_LOST)
				assert_true(t[k]->bound_ms > 0);
		}
	}
}

/* udp-unreliable's clean path outside: the light test's fresh evidence at
 * ln 1e-4, 362 samples of a clean path; the path probe samples to show it
 * for twice what a path at 1% takes on average. */
static void test_loss_clean(void **state)
{
	const struct vd_sprt_spec *t = vd_test_find("path", "loss_light");
	struct vd_sprt_limits l;

	(void)state;
	assert_non_null(t);
	assert_int_equal(vd_sprt_limits(t, &l), 0);
	assert_float_equal(vd_loss_clean_evidence(), log(1e-4), 1e-12);
	assert_int_equal((int)ceil(vd_loss_clean_evidence() / l.down), 362);
	assert_float_equal(vd_loss_clean_samples(), 2 * ceil(log(1e-4) / vd_sprt_drift(&l, 0.01)), 0);
	assert_float_equal(vd_loss_clean_samples(), 2534, 0);
	assert_float_equal(vd_loss_clean_samples_at(0), 362, 0);
	assert_float_equal(vd_loss_clean_samples_at(0.005), 563, 0);
	assert_true(isinf(vd_loss_clean_samples_at(0.02)));
	print_message("clean outside: ln %.4f, 362 samples clean, %.0f at most while the inside is at h1\n",
	              vd_loss_clean_evidence(), vd_loss_clean_samples());
}

/* Lorden's bound over every test one tunnel runs, at the default sampling and
 * with the most hosts it may ping (Targets=: 16, and the server end): under
 * one false alarm in 30 days (issue 12). */
static void test_false_alarm_budget(void **state)
{
	double total = 0;

	(void)state;
	for (size_t i = 0; i < VD_N_TESTS; i++) {
		double fa = vd_test_false_alarms(&vd_tests[i], 30);
		unsigned hosts = strcmp(vd_tests[i].key, "silent") == 0 ? 17 : 1;

		assert_true(fa > 0);
		total += hosts * fa;
	}
	print_message("false alarms of one tunnel's tests: at most %.3f in 30 days\n", total);
	assert_true(total < 1);
	/* as explain shows them */
	{
		cJSON *j = vd_cause_to_json(vd_cause_find("unstable-internet"));
		const cJSON *t, *fa;

		assert_int_equal(vd_rule_tests_add_json("unstable-internet", j), 0);
		t = cJSON_GetObjectItem(j, "tests");
		assert_int_equal(cJSON_GetArraySize(t), 4);
		assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(t, 0), "test")->valuestring, "path.loss_heavy");
		assert_float_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(t, 0), "p1")->valuedouble, 0.10, 1e-12);
		assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(t, 1), "follows")->valuestring, "loss_heavy");
		fa = cJSON_GetObjectItem(j, "false_alarms_per_30_days");
		assert_true(cJSON_IsNumber(fa) && fa->valuedouble > 0 && fa->valuedouble < 1);
		cJSON_Delete(j);
		j = vd_cause_to_json(vd_cause_find("clock-skew"));
		assert_int_equal(vd_rule_tests_add_json("clock-skew", j), 0);
		assert_null(cJSON_GetObjectItem(j, "tests"));
		cJSON_Delete(j);
	}
}

static void assert_has(const char *id, const char *needle)
{
	const struct vd_cause *c = vd_cause_find(id);
	assert_non_null(c);
	if (!strstr(c->remedy, needle) && !strstr(c->description, needle))
		fail_msg("%s: '%s' missing from its texts", id, needle);
}

static void assert_remedy_has(const char *id, const char *needle)
{
	const struct vd_cause *c = vd_cause_find(id);
	assert_non_null(c);
	if (!strstr(c->remedy, needle))
		fail_msg("%s: '%s' missing from its remedy", id, needle);
}

static void test_faq_numbers(void **state)
{
	(void)state;
	assert_remedy_has("clock-skew", "10 minutes");
	assert_remedy_has("clock-skew", "600 s");
	assert_remedy_has("client-cidr-too-small", "4 times");
	assert_remedy_has("client-cidr-too-small", "/30");
	assert_has("client-cidr-too-small", "192.168.0.4/30");
	assert_remedy_has("openvpn-version", "2.4.0");
	assert_remedy_has("openvpn-version", "2.6.6 on Windows");
	assert_remedy_has("ncp-cipher", "2.4.0");
	assert_has("ncp-cipher", "AES-256-GCM");
	assert_remedy_has("gateway-old-version", "2021-04-01");
	assert_remedy_has("long-distance-udp", "TCP");
	assert_remedy_has("long-distance-udp", "Cloud Enterprise Network (CEN)");
	assert_remedy_has("long-distance-udp", "Smart Access Gateway");
	assert_has("long-distance-udp", "Silicon Valley");
	assert_has("long-distance-udp", "Singapore");
	assert_remedy_has("udp-unreliable", "TCP");
	assert_remedy_has("udp-blocked", "TCP");
	assert_has("cert-expired", "14 days");
	assert_remedy_has("too-many-clients", "4 addresses");
}

static void test_every_cause_has_a_rule(void **state)
{
	(void)state;
	for (size_t i = 0; i < vd_n_causes; i++) {
		const char *const *in = vd_rule_inputs(vd_causes[i].id);
		assert_non_null(in);
		assert_non_null(in[0]);
	}
	assert_null(vd_rule_inputs("no-such-cause"));
}

static void test_to_json(void **state)
{
	cJSON *j = vd_cause_to_json(vd_cause_find("cert-expired"));
	const cJSON *s;

	(void)state;
	assert_non_null(j);
	assert_string_equal(cJSON_GetObjectItem(j, "id")->valuestring, "cert-expired");
	assert_string_equal(cJSON_GetObjectItem(j, "severity")->valuestring, "error");
	s = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "symptoms"), 0);
	assert_string_equal(cJSON_GetObjectItem(s, "id")->valuestring, "connect-fails");
	assert_string_equal(cJSON_GetObjectItem(s, "question")->valuestring,
	                    "The client fails to connect to the SSL server");
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "suppressed_by"), 0)->valuestring,
	                    "clock-skew");
	assert_int_equal(cJSON_GetObjectItem(j, "grace_s")->valueint, 0);
	assert_string_equal(cJSON_GetObjectItem(j, "message_id")->valuestring, "8cafdee3cbeb46349fea1d7b11f870a7");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "beyond_faq")));
	assert_non_null(cJSON_GetObjectItem(j, "description"));
	assert_non_null(cJSON_GetObjectItem(j, "remedy"));
	cJSON_Delete(j);
	assert_null(vd_cause_to_json(NULL));
	j = vd_cause_to_json(vd_cause_find("other"));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "symptoms")), 0);
	cJSON_Delete(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_match_causes_md),
		cmocka_unit_test(test_causes_def),
		cmocka_unit_test(test_symptoms),
		cmocka_unit_test(test_message_ids),
		cmocka_unit_test(test_suppression_matrix),
		cmocka_unit_test(test_grace),
		cmocka_unit_test(test_sampled_tests),
		cmocka_unit_test(test_loss_clean),
		cmocka_unit_test(test_false_alarm_budget),
		cmocka_unit_test(test_faq_numbers),
		cmocka_unit_test(test_every_cause_has_a_rule),
		cmocka_unit_test(test_to_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
