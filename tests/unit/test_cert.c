/* lib/cert.c against a throwaway PKI that tests/data/mkprofiles.sh makes. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/err.h>

#include "vpndoctor/cert.h"

static char dir[PATH_MAX];

struct buf {
	char *p;
	size_t n;
};

static struct buf slurp(const char *name)
{
	char path[PATH_MAX + 64];
	struct buf b = { NULL, 0 };
	FILE *f;
	long l;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rbe");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	l = ftell(f);
	assert_true(l >= 0);
	rewind(f);
	b.p = malloc((size_t)l + 1);
	assert_non_null(b.p);
	b.n = fread(b.p, 1, (size_t)l, f);
	assert_int_equal(b.n, (size_t)l);
	b.p[b.n] = '\0';
	fclose(f);
	return b;
}

static int setup(void **state)
{
	const char *data = getenv("VD_TESTDATA");
	char cmd[PATH_MAX * 2 + 64];
	/* ctest sets VD_TESTDATA; by hand, the data sits next to this source */
	char here[PATH_MAX];
	char *slash;

	snprintf(here, sizeof(here), "%s", __FILE__);
	slash = strrchr(here, '/');
	snprintf(slash ? slash : here, sizeof(here) - (size_t)(slash ? slash - here : 0), "/../data");

	snprintf(dir, sizeof(dir), "/tmp/vd-test-cert-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "bash '%s/mkprofiles.sh' '%s'",
	         data ? data : here, dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_info(void **state)
{
	struct buf b = slurp("client.crt"), d = slurp("client-crt.der"), c = slurp("ca.crt");
	struct vd_cert_info ci, cd;

	assert_int_equal(vd_cert_info(b.p, b.n, &ci), 0);
	assert_string_equal(ci.subject, "CN=client valid");
	assert_string_equal(ci.issuer, "CN=vpndoctor test CA");
	assert_string_equal(ci.key_type, "EC");
	assert_int_equal(ci.key_bits, 256);
	assert_string_equal(ci.sig_digest, "SHA256");
	assert_false(ci.is_ca);
	/* mkprofiles: from yesterday to a year from now, to the second */
	assert_int_equal(ci.not_after - ci.not_before, 366 * 86400);
	assert_true(ci.not_before < time(NULL) && ci.not_after > time(NULL));
	assert_int_equal(ERR_peek_error(), 0);

	/* the same certificate in DER */
	assert_int_equal(vd_cert_info(d.p, d.n, &cd), 0);
	assert_string_equal(cd.subject, ci.subject);
	assert_int_equal(cd.not_after, ci.not_after);

	assert_int_equal(vd_cert_info(c.p, c.n, &ci), 0);
	assert_true(ci.is_ca);
	assert_string_equal(ci.subject, ci.issuer);
	free(b.p);
	free(d.p);
	free(c.p);
}

static void test_info_dates(void **state)
{
	struct buf e = slurp("expired.crt"), n = slurp("notyet.crt"), x = slurp("expiring.crt");
	struct vd_cert_info ci;
	int64_t now = time(NULL);

	assert_int_equal(vd_cert_info(e.p, e.n, &ci), 0);
	assert_true(ci.not_after < now - 29 * 86400);
	assert_int_equal(vd_cert_info(n.p, n.n, &ci), 0);
	assert_true(ci.not_before > now + 29 * 86400);
	assert_int_equal(vd_cert_info(x.p, x.n, &ci), 0);
	assert_true(ci.not_after > now + 4 * 86400 && ci.not_after <= now + 5 * 86400);
	free(e.p);
	free(n.p);
	free(x.p);
}

static void test_info_bad(void **state)
{
	struct buf g = slurp("garbage.crt"), k = slurp("client.key");
	struct vd_cert_info ci;
	struct vd_cert_info *all = NULL;
	size_t n = 0;

	assert_int_equal(vd_cert_info(g.p, g.n, &ci), -EINVAL);
	assert_int_equal(vd_cert_info(k.p, k.n, &ci), -EINVAL);
	assert_int_equal(vd_cert_info("", 0, &ci), -EINVAL);
	assert_int_equal(vd_cert_info_all(g.p, g.n, &all, &n), -EINVAL);
	assert_null(all);
	assert_int_equal(ERR_peek_error(), 0);
	free(g.p);
	free(k.p);
}

static void test_info_all(void **state)
{
	struct buf b = slurp("bundle.crt");
	struct vd_cert_info *all = NULL;
	size_t n = 0;

	assert_int_equal(vd_cert_info_all(b.p, b.n, &all, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(all[0].subject, "CN=vpndoctor test CA");
	assert_string_equal(all[1].subject, "CN=vpndoctor other CA");
	free(all);
	free(b.p);
}

static void test_key_inspect(void **state)
{
	static const struct {
		const char *file;
		enum vd_key_state want;
	} cases[] = {
		{ "client.key", VD_KEY_OK },
		{ "client.der", VD_KEY_OK },
		{ "weak.key", VD_KEY_OK },
		{ "encrypted.key", VD_KEY_ENCRYPTED },
		{ "encrypted-trad.key", VD_KEY_ENCRYPTED },
		{ "garbage.crt", VD_KEY_INVALID },
		{ "client.crt", VD_KEY_INVALID },
		{ "ta.key", VD_KEY_INVALID },
	};

	for (size_t i = 0; i < VD_ARRAY_SIZE(cases); i++) {
		struct buf b = slurp(cases[i].file);

		if (vd_key_inspect(b.p, b.n) != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].file,
			         vd_key_inspect(b.p, b.n), cases[i].want);
		assert_int_equal(ERR_peek_error(), 0);
		free(b.p);
	}
	assert_int_equal(vd_key_inspect("", 0), VD_KEY_INVALID);
}

static void test_key_match(void **state)
{
	struct buf c = slurp("client.crt"), k = slurp("client.key"), o = slurp("other.key"),
		   e = slurp("encrypted.key"), w = slurp("weak.crt"), g = slurp("garbage.crt"),
		   d = slurp("client.der");

	assert_int_equal(vd_cert_key_match(c.p, c.n, k.p, k.n), 1);
	assert_int_equal(vd_cert_key_match(c.p, c.n, d.p, d.n), 1);
	assert_int_equal(vd_cert_key_match(c.p, c.n, o.p, o.n), 0);
	assert_int_equal(vd_cert_key_match(w.p, w.n, k.p, k.n), 0); /* RSA cert, EC key */
	assert_int_equal(vd_cert_key_match(c.p, c.n, e.p, e.n), -EACCES);
	assert_int_equal(vd_cert_key_match(c.p, c.n, g.p, g.n), -EINVAL);
	assert_int_equal(vd_cert_key_match(g.p, g.n, k.p, k.n), -EINVAL);
	assert_int_equal(ERR_peek_error(), 0);
	free(c.p);
	free(k.p);
	free(o.p);
	free(e.p);
	free(w.p);
	free(g.p);
	free(d.p);
}

static void test_chain(void **state)
{
	struct buf c = slurp("client.crt"), ca = slurp("ca.crt"), w = slurp("wrongca.crt"),
		   e = slurp("expired.crt"), b = slurp("bundle.crt"), g = slurp("garbage.crt");
	char why[128];

	assert_int_equal(vd_cert_verify_chain(c.p, c.n, ca.p, ca.n, NULL, 0, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(vd_cert_verify_chain(c.p, c.n, b.p, b.n, NULL, 0, why, sizeof(why)), 0);
	/* dates are the caller's business: an expired certificate still chains */
	assert_int_equal(vd_cert_verify_chain(e.p, e.n, ca.p, ca.n, NULL, 0, why, sizeof(why)), 0);
	assert_int_equal(vd_cert_verify_chain(c.p, c.n, w.p, w.n, NULL, 0, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "issuer certificate"));
	assert_int_equal(vd_cert_verify_chain(g.p, g.n, ca.p, ca.n, NULL, 0, why, sizeof(why)), -EINVAL);
	assert_int_equal(vd_cert_verify_chain(c.p, c.n, g.p, g.n, NULL, 0, why, sizeof(why)), -EINVAL);
	assert_int_equal(vd_cert_verify_chain(c.p, c.n, ca.p, ca.n, g.p, g.n, why, sizeof(why)), -EINVAL);
	/* the CA offered as an untrusted intermediate does not make it trusted */
	assert_int_equal(vd_cert_verify_chain(c.p, c.n, w.p, w.n, ca.p, ca.n, why, sizeof(why)), -EBADMSG);
	assert_int_equal(ERR_peek_error(), 0);
	free(c.p);
	free(ca.p);
	free(w.p);
	free(e.p);
	free(b.p);
	free(g.p);
}

static void test_security(void **state)
{
	struct buf c = slurp("client.crt"), w = slurp("weak.crt");
	struct vd_cert_info ci;
	char why[160];

	assert_int_equal(vd_cert_info(c.p, c.n, &ci), 0);
	assert_true(vd_cert_security_ok(&ci, why, sizeof(why)));
	assert_int_equal(vd_cert_info(w.p, w.n, &ci), 0);
	assert_string_equal(ci.key_type, "RSA");
	assert_int_equal(ci.key_bits, 1024);
	assert_string_equal(ci.sig_digest, "SHA1");
	assert_false(vd_cert_security_ok(&ci, why, sizeof(why)));
	assert_non_null(strstr(why, "1024"));

	/* a strong key signed with SHA-1 */
	snprintf(ci.key_type, sizeof(ci.key_type), "RSA");
	ci.key_bits = 2048;
	assert_false(vd_cert_security_ok(&ci, why, sizeof(why)));
	assert_non_null(strstr(why, "SHA1"));
	/* ... is fine on a self-signed root */
	snprintf(ci.issuer, sizeof(ci.issuer), "%s", ci.subject);
	assert_true(vd_cert_security_ok(&ci, why, sizeof(why)));
	/* small EC curves */
	snprintf(ci.key_type, sizeof(ci.key_type), "EC");
	ci.key_bits = 192;
	assert_false(vd_cert_security_ok(&ci, why, sizeof(why)));
	ci.key_bits = 224;
	assert_true(vd_cert_security_ok(&ci, NULL, 0));
	free(c.p);
	free(w.p);
}

static void test_pkcs12(void **state)
{
	struct buf p = slurp("client.p12"), pp = slurp("client-pass.p12"), g = slurp("garbage.crt");
	char *cert = NULL, *key = NULL, *ca = NULL;
	struct vd_cert_info ci;

	assert_int_equal(vd_pkcs12_split(p.p, p.n, NULL, &cert, &key, &ca), 0);
	assert_int_equal(vd_cert_key_match(cert, strlen(cert), key, strlen(key)), 1);
	assert_int_equal(vd_cert_info(ca, strlen(ca), &ci), 0);
	assert_string_equal(ci.subject, "CN=vpndoctor test CA");
	assert_int_equal(vd_cert_verify_chain(cert, strlen(cert), ca, strlen(ca), NULL, 0, NULL, 0), 0);
	free(cert);
	free(key);
	free(ca);

	cert = key = ca = NULL;
	assert_int_equal(vd_pkcs12_split(pp.p, pp.n, NULL, &cert, &key, &ca), -EACCES);
	assert_int_equal(vd_pkcs12_split(pp.p, pp.n, "wrong", &cert, &key, &ca), -EACCES);
	assert_null(cert);
	assert_int_equal(vd_pkcs12_split(g.p, g.n, NULL, &cert, &key, &ca), -EINVAL);
	assert_int_equal(vd_pkcs12_split(pp.p, pp.n, "secret", &cert, &key, &ca), 0);
	assert_int_equal(vd_cert_info(cert, strlen(cert), &ci), 0);
	assert_string_equal(ci.subject, "CN=client valid");
	assert_int_equal(vd_key_inspect(key, strlen(key)), VD_KEY_OK);
	assert_int_equal(ERR_peek_error(), 0);
	free(cert);
	free(key);
	free(ca);

	struct buf nc = slurp("client-noca.p12");
	cert = key = ca = NULL;
	assert_int_equal(vd_pkcs12_split(nc.p, nc.n, NULL, &cert, &key, &ca), 0);
	assert_int_equal(vd_cert_key_match(cert, strlen(cert), key, strlen(key)), 1);
	assert_string_equal(ca, "");
	free(cert);
	free(key);
	free(ca);
	free(nc.p);
	free(p.p);
	free(pp.p);
	free(g.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_info_dates),
		cmocka_unit_test(test_info_bad),
		cmocka_unit_test(test_info_all),
		cmocka_unit_test(test_key_inspect),
		cmocka_unit_test(test_key_match),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_security),
		cmocka_unit_test(test_pkcs12),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
