/* See desktop.h. Every call is asynchronous: the agent never waits on a
 * notification server that is slow, busy or being restarted. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "desktop.h"
#include "nlog.h"
#include "vpndoctor/i18n.h"

#define NOTIF_NAME  "org.freedesktop.Notifications"
#define NOTIF_PATH  "/org/freedesktop/Notifications"
#define NOTIF_IFACE "org.freedesktop.Notifications"
#define APP_NAME    "vpndoctor"
#define DESKTOP_ENTRY "vpndoctor-notify"

struct desktop {
	sd_bus *bus;
	const struct desktop_ops *ops;
	void *userdata;
	sd_bus_slot *caps_call;
	bool caps_known, markup, actions;
};

struct pending {
	desktop_done_fn done;
	void *userdata;
};

static int caps_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct desktop *d = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	const char *cap;
	int r;

	d->caps_call = sd_bus_slot_unref(d->caps_call);
	d->markup = d->actions = false;
	if (e) {
		/* No server yet: plain text, no actions; Notify may still activate one. */
		nlog(LOG_NOTICE, "no notification server answers GetCapabilities (%s); sending plain text",
		     e->name);
	} else {
		r = sd_bus_message_enter_container(m, 'a', "s");
		while (r >= 0 && (r = sd_bus_message_read(m, "s", &cap)) > 0) {
			if (strcmp(cap, "body-markup") == 0)
				d->markup = true;
			else if (strcmp(cap, "actions") == 0)
				d->actions = true;
		}
		if (r < 0)
			nlog(LOG_WARNING, "malformed GetCapabilities reply: %s", strerror(-r));
		nlog(LOG_DEBUG, "notification server: markup %s, actions %s", d->markup ? "yes" : "no",
		     d->actions ? "yes" : "no");
	}
	d->caps_known = true;
	d->ops->ready(d->userdata);
	return 0;
}

static int query_caps(struct desktop *d)
{
	d->caps_known = false;
	d->caps_call = sd_bus_slot_unref(d->caps_call);
	return sd_bus_call_method_async(d->bus, &d->caps_call, NOTIF_NAME, NOTIF_PATH, NOTIF_IFACE,
	                                "GetCapabilities", caps_reply, d, NULL);
}

static int owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct desktop *d = userdata;
	const char *name, *old, *new;

	if (sd_bus_message_read(m, "sss", &name, &old, &new) < 0 || strcmp(name, NOTIF_NAME) != 0)
		return 0;
	d->ops->server_changed(d->userdata);
	if (new[0]) {
		nlog(LOG_INFO, "notification server %s appeared", new);
		(void)query_caps(d);
	}
	return 0;
}

static int action_invoked(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct desktop *d = userdata;
	const char *key;
	uint32_t id;

	if (sd_bus_message_read(m, "us", &id, &key) < 0)
		return 0;
	d->ops->action(d->userdata, id, key);
	return 0;
}

int desktop_new(sd_event *e, const struct desktop_ops *ops, void *userdata, struct desktop **ret)
{
	struct desktop *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return -ENOMEM;
	d->ops = ops;
	d->userdata = userdata;
	r = sd_bus_open_user(&d->bus);
	if (r < 0)
		goto fail;
	(void)sd_bus_set_description(d->bus, "vpndoctor-notify");
	r = sd_bus_attach_event(d->bus, e, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		goto fail;
	/* the graphical session ended: so does this agent (the loop exits with 1) */
	r = sd_bus_set_exit_on_disconnect(d->bus, true);
	if (r < 0)
		goto fail;
	r = sd_bus_add_match_async(d->bus, NULL,
	                           "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
	                           "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
	                           "arg0='" NOTIF_NAME "'",
	                           owner_changed, NULL, d);
	if (r < 0)
		goto fail;
	/* The sender is the name's current owner, a unique name; matching on the
	 * path and interface is what every notification client does. */
	r = sd_bus_match_signal_async(d->bus, NULL, NULL, NOTIF_PATH, NOTIF_IFACE, "ActionInvoked",
	                              action_invoked, NULL, d);
	if (r < 0)
		goto fail;
	r = query_caps(d);
	if (r < 0)
		goto fail;
	*ret = d;
	return 0;
fail:
	desktop_free(d);
	return r;
}

void desktop_free(struct desktop *d)
{
	if (!d)
		return;
	sd_bus_slot_unref(d->caps_call);
	sd_bus_flush_close_unref(d->bus);
	free(d);
}

bool desktop_ready(const struct desktop *d)
{
	return d->caps_known;
}

bool desktop_has_markup(const struct desktop *d)
{
	return d->markup;
}

static int notify_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct pending *p = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	uint32_t id = 0;
	int r;

	if (e) {
		p->done(p->userdata, 0, -sd_bus_message_get_errno(m) ?: -EIO, e->name);
		return 0;
	}
	r = sd_bus_message_read(m, "u", &id);
	if (r < 0 || id == 0)
		p->done(p->userdata, 0, r < 0 ? r : -EBADMSG, "malformed reply");
	else
		p->done(p->userdata, id, 0, NULL);
	return 0;
}

static int hint_string(sd_bus_message *m, const char *key, const char *value)
{
	return sd_bus_message_append(m, "{sv}", key, "s", value);
}

int desktop_notify(struct desktop *d, const struct desktop_note *n, desktop_done_fn done, void *userdata)
{
	sd_bus_message *m = NULL;
	sd_bus_slot *slot = NULL;
	struct pending *p;
	int r;

	if (!d->caps_known)
		return -EAGAIN;
	p = malloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->done = done;
	p->userdata = userdata;
	r = sd_bus_message_new_method_call(d->bus, &m, NOTIF_NAME, NOTIF_PATH, NOTIF_IFACE, "Notify");
	if (r < 0)
		goto out;
	r = sd_bus_message_append(m, "susss", APP_NAME, n->replaces_id, n->icon, n->summary, n->body);
	if (r < 0)
		goto out;
	if (n->details_action && d->actions)
		r = sd_bus_message_append(m, "as", 2, "details", _("Details"));
	else
		r = sd_bus_message_append(m, "as", 0);
	if (r < 0)
		goto out;
	r = sd_bus_message_open_container(m, 'a', "{sv}");
	if (r >= 0)
		r = sd_bus_message_append(m, "{sv}", "urgency", "y", n->urgency);
	if (r >= 0)
		r = hint_string(m, "desktop-entry", DESKTOP_ENTRY);
	if (r >= 0 && n->category)
		r = hint_string(m, "category", n->category);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_append(m, "i", n->expire_ms);
	if (r < 0)
		goto out;
	r = sd_bus_call_async(d->bus, &slot, m, notify_reply, p, 0);
	if (r < 0)
		goto out;
	/* p lives as long as the call: freed with the slot, whether the reply came
	 * or the bus went away first */
	(void)sd_bus_slot_set_destroy_callback(slot, free);
	(void)sd_bus_slot_set_floating(slot, true);
	sd_bus_slot_unref(slot);
	p = NULL;
out:
	sd_bus_message_unref(m);
	free(p);
	return r < 0 ? r : 0;
}

int desktop_close(struct desktop *d, uint32_t id)
{
	return sd_bus_call_method_async(d->bus, NULL, NOTIF_NAME, NOTIF_PATH, NOTIF_IFACE,
	                                "CloseNotification", NULL, NULL, "u", id);
}
