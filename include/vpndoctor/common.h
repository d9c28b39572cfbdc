/* Shared vocabulary of libvpndoctor: severities, error details, small helpers.
 * Library functions return 0 or a negative errno and never log. */
#ifndef VPNDOCTOR_COMMON_H
#define VPNDOCTOR_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VD_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum vd_severity {
	VD_SEV_NONE = 0, /* no finding */
	VD_SEV_INFO,
	VD_SEV_WARNING,
	VD_SEV_ERROR,
};

/* "info", "warning", "error" ("none" for VD_SEV_NONE). */
const char *vd_severity_name(enum vd_severity s);
/* Parses the names above; returns 0 or -EINVAL. */
int vd_severity_parse(const char *s, enum vd_severity *ret);

/* Where a parser failed and why, for messages of the form "FILE:LINE: MSG". */
struct vd_error {
	char file[256];
	unsigned line; /* 0 when not tied to a line */
	char msg[256];
};

void vd_error_set(struct vd_error *e, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Checked, locale-free number parsing: the whole string must be a number in
 * [min, max]. Return 0, -EINVAL (not a number) or -ERANGE. */
int vd_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);
int vd_parse_i64(const char *s, int64_t min, int64_t max, int64_t *ret);

/* p itself when absolute or base is empty, else "base/p", into out.
 * Returns 0 or -ENAMETOOLONG (out then holds "", never a truncated path). */
int vd_path_join(const char *base, const char *p, char *out, size_t len);

/* "2026-11-27", "2026-11-27T10:00:00Z", "2026-11-27 10:00:00" (UTC) or "@EPOCH"
 * to seconds since the epoch; 0 or -EINVAL. */
int vd_parse_time(const char *s, int64_t *ret);
/* ISO 8601 UTC ("2026-11-27T10:00:00Z") into buf; returns buf. */
char *vd_format_time(int64_t t, char *buf, size_t len);

#endif
