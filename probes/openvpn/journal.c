/* The openvpn probe: the journal, for a client whose log is a unit's output
 * or --syslog: its history when first opened, then what comes. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ov.h"

#define OV_JOURNAL_HISTORY 200   /* journal entries read back when first opened */
#define OV_JOURNAL_BATCH 1000    /* entries handled per wakeup */

/* ---- the journal -------------------------------------------------------------------- */

void ov_journal_close(struct ov_state *st)
{
	if (st->jev)
		event_free(st->jev);
	st->jev = NULL;
	if (st->j)
		sd_journal_close(st->j);
	st->j = NULL;
	st->jmatch[0] = '\0';
}

static void journal_drain(struct ov_state *st, bool live)
{
	for (unsigned i = 0; i < OV_JOURNAL_BATCH; i++) {
		const void *data;
		size_t len;
		int r = sd_journal_next(st->j);

		if (r <= 0)
			return;
		if (sd_journal_get_data(st->j, "MESSAGE", &data, &len) < 0 || len < 8)
			continue;
		ov_log_line(st, (const char *)data + 8, len - 8, live);
	}
	if (live && st->jev)
		event_active(st->jev, EV_READ, 0); /* more waits: after others had their turn */
}

static void on_journal(evutil_socket_t fd, short what, void *arg)
{
	struct ov_state *st = arg;

	if (sd_journal_process(st->j) < 0)
		return;
	journal_drain(st, true);
}

/* match: "_SYSTEMD_UNIT=openvpn-client@office.service", or a syslog identifier
 * with the pid (a --syslog openvpn outside a unit). */
int ov_journal_open(struct ov_state *st, const char *match, const char *match2)
{
	char key[sizeof(st->jmatch)];
	int r, fd;

	snprintf(key, sizeof(key), "%s|%s", match, match2 ? match2 : "");
	if (st->j && strcmp(key, st->jmatch) == 0)
		return 0;
	ov_journal_close(st);
	r = sd_journal_open(&st->j, SD_JOURNAL_LOCAL_ONLY);
	if (r < 0) {
		st->j = NULL;
		return r;
	}
	if ((r = sd_journal_add_match(st->j, match, 0)) < 0 ||
	    (match2 && (r = sd_journal_add_match(st->j, match2, 0)) < 0))
		goto fail;
	if ((r = sd_journal_seek_tail(st->j)) < 0)
		goto fail;
	sd_journal_previous_skip(st->j, OV_JOURNAL_HISTORY);
	journal_drain(st, false);
	fd = sd_journal_get_fd(st->j);
	if (fd < 0) {
		r = fd;
		goto fail;
	}
	st->jev = event_new(st->base, fd, EV_READ | EV_PERSIST, on_journal, st);
	if (!st->jev || event_add(st->jev, NULL) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	SCPY(st->jmatch, key);
	return 0;
fail:
	ov_journal_close(st);
	return r;
}
