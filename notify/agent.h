/* The agent: follows vpndoctord's findings over Varlink (Subscribe, GetStatus)
 * and turns them into at most one desktop notification per tunnel and cause at
 * a time, replaced on update and resolve, throttled against flapping. */
#ifndef VPNDOCTOR_NOTIFY_AGENT_H
#define VPNDOCTOR_NOTIFY_AGENT_H

#include <stdbool.h>

#include <systemd/sd-event.h>

struct agent;
struct settings;

#define AGENT_BACKOFF_MIN_S 1u
#define AGENT_BACKOFF_MAX_S 60u

/* once: one GetStatus, the notifications for it, then sd_event_exit(). */
int agent_new(sd_event *e, const char *socket_path, const struct settings *s, bool once,
              struct agent **ret);
void agent_free(struct agent *a);
/* 1 when --once failed (no daemon, a Notify failed), else 0. */
int agent_exit_status(const struct agent *a);

#endif
