/* Translation of the texts people read, with gettext (text domain "vpndoctor",
 * po/ in the source tree). The CLI and the notifier call vd_i18n_init() first;
 * the daemon never does: it stays in the C locale and logs in English. */
#ifndef VPNDOCTOR_I18N_H
#define VPNDOCTOR_I18N_H

#include <libintl.h>
#include <locale.h>
#include <stdlib.h>

#include "vpndoctor/common.h"

struct cJSON;
struct vd_msg_lang;

#define VD_TEXTDOMAIN "vpndoctor"

/* Where the .mo files are installed (CMake sets it from the install prefix). */
#ifndef VD_LOCALEDIR
#define VD_LOCALEDIR "/usr/share/locale"
#endif

/* _() translates now; N_() only marks a string for xgettext (tables, which are
 * translated where they are printed); P_() picks the plural form for n;
 * NP_() marks a singular and plural pair, as two arguments, for a message
 * whose number is known later (vpndoctor/message.h); C_() translates a short
 * word in a context ("severity", "error"); NC_() marks one for a table, to
 * translate later with vd_pgettext(NC_(ctx, s), s). */
#define _(s)        dgettext(VD_TEXTDOMAIN, s)
#define N_(s)       s
#define P_(s, p, n) dngettext(VD_TEXTDOMAIN, s, p, n)
#define NP_(s, p)   s, p
#define NC_(ctx, s) ctx "\004" s
#define C_(ctx, s)  vd_pgettext(ctx "\004" s, s)

static inline const char *vd_pgettext(const char *ctx_id, const char *id)
{
	const char *t = dgettext(VD_TEXTDOMAIN, ctx_id);

	return t == ctx_id ? id : t;
}

/* True when s has a translation in the current locale: a text written by the
 * daemon (English) is then shown in the reader's language from the catalogue. */
static inline int vd_translated(const char *s)
{
	return s && dgettext(VD_TEXTDOMAIN, s) != s;
}

/* A severity as people read it: the catalogue's word ("error"), translated. */
static inline const char *vd_severity_label(enum vd_severity s)
{
	switch (s) {
	case VD_SEV_ERROR:
		return C_("severity", "error");
	case VD_SEV_WARNING:
		return C_("severity", "warning");
	case VD_SEV_INFO:
		return C_("severity", "info");
	case VD_SEV_NONE:
		break;
	}
	return vd_severity_name(s);
}

/* The locale from the environment and the text domain, translations in UTF-8
 * whatever the locale's charset. Numbers stay in the C locale: they are printed
 * and parsed (times, limits, JSON) the same way everywhere. VPNDOCTOR_LOCALEDIR
 * points at the build tree's .mo files for the tests; secure_getenv, so a
 * privileged run ignores it. */
static inline void vd_i18n_init(void)
{
	const char *dir = secure_getenv("VPNDOCTOR_LOCALEDIR");

	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");
	bindtextdomain(VD_TEXTDOMAIN, dir && *dir ? dir : VD_LOCALEDIR);
	bind_textdomain_codeset(VD_TEXTDOMAIN, "UTF-8");
}

/* The reader's language for messages (vpndoctor/message.h): templates through
 * gettext, numbers with the locale's separators (LC_NUMERIC of the
 * environment, though the process keeps "C"), times as the translation says
 * (TRANSLATORS: the strftime format "%x %X") in local time; in the C locale
 * (LC_TIME C, POSIX or C.*) with no translation, times stay ISO 8601 UTC, so
 * the text is byte for byte the daemon's English. lib/i18n.c. */
const struct vd_msg_lang *vd_i18n_lang(void);
/* A message in the reader's language, or NULL (errno set) when it cannot be
 * rendered: show the daemon's English text then. malloc'ed. */
char *vd_i18n_render(const struct cJSON *msg);
/* The message member key of finding (e.g. "summary_message") rendered, else
 * a copy of its English member fallback ("summary"); NULL when neither. */
char *vd_i18n_render_member(const struct cJSON *obj, const char *key, const char *fallback);
/* A moment for people, as messages show it (see vd_i18n_lang); returns buf. */
char *vd_i18n_format_time(int64_t t, char *buf, size_t len);

#endif
