/* libFuzzer target for lib/redact.c, every input through all three parts:
 * the scrubber leaves no PEM block that is not public and is idempotent; a
 * profile that redacts parses again, keeps no body but certificate summaries
 * and no directive OpenVPN does not know; the anonymizer gives the same output twice and leaves its own
 * output alone. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vpndoctor/ovpn_config.h"
#include "vpndoctor/redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const public_pem[] = {
	"CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE", "X509 CRL",
	"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST", "PUBLIC KEY", "RSA PUBLIC KEY",
	"DH PARAMETERS", "X9.42 DH PARAMETERS", "EC PARAMETERS", "PKCS7", "CMS",
};

/* Every "-----BEGIN " left must open a public block. */
static void only_public_pem(const char *s, size_t len)
{
	for (size_t i = 0; i + 11 <= len; i++) {
		size_t j, k;
		bool ok = false;

		if (strncasecmp(s + i, "-----BEGIN ", 11) != 0)
			continue;
		for (j = i + 11; j + 5 <= len && j < i + 11 + 80; j++)
			if (memcmp(s + j, "-----", 5) == 0)
				break;
		if (j + 5 > len || memcmp(s + j, "-----", 5) != 0)
			abort();
		for (k = 0; k < sizeof(public_pem) / sizeof(*public_pem); k++)
			if (strlen(public_pem[k]) == j - i - 11 && strncasecmp(s + i + 11, public_pem[k], j - i - 11) == 0)
				ok = true;
		if (!ok)
			abort();
	}
}

static void fuzz_scrub(const char *in, size_t size)
{
	char *out = NULL, *out2 = NULL;
	size_t len = 0, len2 = 0;

	if (vd_redact_scrub(in, size, &out, &len, NULL, NULL) < 0)
		return;
	only_public_pem(out, len);
	if (vd_redact_scrub(out, len, &out2, &len2, NULL, NULL) == 0) {
		if (len2 != len || memcmp(out, out2, len) != 0)
			abort();
		free(out2);
	}
	free(out);
}

static size_t longest_line(const char *s, size_t len)
{
	size_t best = 0, cur = 0;

	for (size_t i = 0; i < len; i++) {
		cur = s[i] == '\n' ? 0 : cur + 1;
		if (cur > best)
			best = cur;
	}
	return best;
}

static void fuzz_profile(const char *in, size_t size)
{
	struct vd_redact_notes notes = {0};
	struct vd_ovpn_config *cfg = NULL;
	struct vd_error err;
	char *out = NULL;
	size_t len = 0;

	if (vd_redact_profile("fuzz.ovpn", in, size, NULL, &out, &len, &notes, &err) < 0)
		return;
	vd_redact_notes_free(&notes);
	only_public_pem(out, len);
	/* It parses again, unless quoting pushed a line past the 255 bytes
	 * (newline included) OpenVPN reads: the scrubber's cuts are made in an
	 * argument before it is quoted, or a line they would break is dropped. */
	if (vd_ovpn_config_parse("out", out, len, &cfg, &err) == -EINVAL && longest_line(out, len) < 255)
		abort();
	if (cfg) {
		for (size_t i = 0; i < cfg->n_opts; i++) {
			const struct vd_ovpn_option *o = &cfg->opts[i];

			if (!vd_redact_known(o->name))
				abort();

			if (!o->inline_body || strcmp(o->name, "connection") == 0)
				continue;
			if (strcmp(o->name, "ca") == 0 || strcmp(o->name, "cert") == 0 ||
			    strcmp(o->name, "extra-certs") == 0) {
				if (o->inline_body[0] != '#')
					abort();
			} else if (strncmp(o->inline_body, "# [vpndoctor: removed ", 22) != 0) {
				abort();
			}
		}
		vd_ovpn_config_free(cfg);
	}
	free(out);
}

static void fuzz_anon(const char *in, size_t size)
{
	struct vd_anon *a = NULL, *b = NULL;
	char *out = NULL, *out2 = NULL;
	size_t len = 0, len2 = 0;

	if (vd_anon_new(&a) < 0)
		return;
	if (vd_anon_add_name(a, "mylaptop") < 0 || vd_anon_reserve(a, in, size) < 0 ||
	    vd_anon_apply(a, in, size, &out, &len) < 0)
		goto done;
	if (vd_anon_apply(a, in, size, &out2, &len2) == 0) {
		if (len2 != len || memcmp(out, out2, len) != 0)
			abort();
		free(out2);
		out2 = NULL;
	}
	if (vd_anon_new(&b) == 0 && vd_anon_apply(b, out, len, &out2, &len2) == 0) {
		if (len2 != len || memcmp(out, out2, len) != 0)
			abort();
	}
done:
	free(out);
	free(out2);
	vd_anon_free(a);
	vd_anon_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;

	if (size > 64 * 1024)
		return 0;
	fuzz_scrub(in, size);
	fuzz_profile(in, size);
	fuzz_anon(in, size);
	return 0;
}
