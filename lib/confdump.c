/* The effective configuration rendered as INI with each value's origin. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "vpndoctor/confdump.h"

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int vd_confdump_text(const cJSON *dump, char **ret)
{
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(dump, "files");
	const cJSON *sections = cJSON_GetObjectItemCaseSensitive(dump, "sections"), *f, *s;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	if (!cJSON_IsArray(files) || !cJSON_IsArray(sections))
		return -EINVAL;
	out = open_memstream(&buf, &len);
	if (!out)
		return -ENOMEM;
	if (cJSON_GetArraySize(files) == 0)
		fputs("# No configuration file: every key has its built-in value.\n", out);
	else
		fputs("# The effective configuration, from these files in this order:\n", out);
	cJSON_ArrayForEach(f, files)
		if (cJSON_IsString(f))
			fprintf(out, "#   %s\n", f->valuestring);
	fputs("# A key that no file sets is shown commented out, with its built-in value.\n", out);
	cJSON_ArrayForEach(s, sections) {
		const cJSON *keys = cJSON_GetObjectItemCaseSensitive(s, "keys"), *k;
		const char *name = str(s, "name");

		if (!name || !cJSON_IsArray(keys))
			continue;
		fprintf(out, "\n[%s]\n", name);
		cJSON_ArrayForEach(k, keys) {
			const char *key = str(k, "key"), *value = str(k, "value"), *origin = str(k, "origin");

			if (!key)
				continue;
			if (origin)
				fprintf(out, "# %s\n%s=%s\n", origin, key, value ? value : "");
			else if (value)
				fprintf(out, "#%s=%s\n", key, value);
			else
				fprintf(out, "#%s=\n", key);
		}
	}
	if (fclose(out) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
}
