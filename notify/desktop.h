/* The desktop side: org.freedesktop.Notifications on the user's session bus
 * through sd-bus, asynchronous on the agent's sd-event loop. */
#ifndef VPNDOCTOR_NOTIFY_DESKTOP_H
#define VPNDOCTOR_NOTIFY_DESKTOP_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

struct desktop;

struct desktop_ops {
	/* The server's capabilities are known (again): notifications may go out. */
	void (*ready)(void *userdata);
	/* Another notification server took the name: earlier ids mean nothing now. */
	void (*server_changed)(void *userdata);
	void (*action)(void *userdata, uint32_t id, const char *key);
};

struct desktop_note {
	uint32_t replaces_id;
	const char *icon, *summary, *body, *category;
	uint8_t urgency;          /* 0 low, 1 normal, 2 critical */
	int32_t expire_ms;        /* -1 server default, 0 never */
	bool details_action;      /* offered only when the server has "actions" */
};

/* id > 0 on success; err < 0 and the D-Bus error name otherwise. */
typedef void (*desktop_done_fn)(void *userdata, uint32_t id, int err, const char *error_name);

/* Connects to the session bus; -errno when there is none. */
int desktop_new(sd_event *e, const struct desktop_ops *ops, void *userdata, struct desktop **ret);
void desktop_free(struct desktop *d);
/* false while GetCapabilities is outstanding. */
bool desktop_ready(const struct desktop *d);
bool desktop_has_markup(const struct desktop *d);
int desktop_notify(struct desktop *d, const struct desktop_note *n, desktop_done_fn done, void *userdata);
int desktop_close(struct desktop *d, uint32_t id);

#endif
