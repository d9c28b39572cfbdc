/* Directory watches on one inotify instance per event loop, shared by every
 * probe state: a daemon of 400 tunnels holds one instance, not 400. Every
 * program of a user shares that user's instances (fs.inotify.max_user_instances,
 * 128 by default): one per tunnel starved the daemon's own later tunnels and,
 * run as root, every other program on the machine. */
#ifndef VPNDOCTOR_PROBES_FSWATCH_H
#define VPNDOCTOR_PROBES_FSWATCH_H

#include <stdint.h>

struct event_base;
struct fswatch;
struct inotify_event;

/* Called from the loop for each event on the watched directory that mask
 * asked for, and for IN_IGNORED (the watch is gone: the directory was
 * removed) and IN_Q_OVERFLOW (events were lost: look again). It must not add
 * or free watches (arm a timer for that). */
typedef void (*fswatch_fn)(void *userdata, const struct inotify_event *e);

/* Watches dir for the inotify events in mask. Watches of one directory share
 * the kernel's watch, whose mask is the union of theirs; each sees only its
 * own events. Returns 0 or -errno (-ENOENT: no such directory). */
int fswatch_add(struct event_base *base, const char *dir, uint32_t mask, fswatch_fn fn, void *userdata,
                struct fswatch **ret);
/* The same, the watch added as who's principal (daemon/priv.h: the
 * privileged parent adds it when the engine may not read dir itself); who
 * NULL or pid 0 for what the administrator named. */
struct vd_proc_id;
int fswatch_add_as(struct event_base *base, const struct vd_proc_id *who, const char *dir, uint32_t mask,
                   fswatch_fn fn, void *userdata, struct fswatch **ret);
/* The kernel's watch descriptor of w (events carry it), -1 once it is gone. */
int fswatch_wd(const struct fswatch *w);
/* Takes NULL; the last watch of a loop closes its instance. */
void fswatch_free(struct fswatch *w);

#endif
