/* The probe framework's side of probe.h: a run's calls into the scheduler and
 * the privileged opens go through the host the daemon set, so that probes/
 * links against lib/ alone. */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "probe.h"

static const struct probe_host *host;

void probe_host_set(const struct probe_host *h)
{
	host = h;
}

void probe_run_done(struct probe_run *run, enum probe_status status, struct cJSON *section)
{
	host->run_done(run, status, section);
}

void probe_run_error(struct probe_run *run, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	host->run_error(run, msg);
}

void probe_run_error_msg(struct probe_run *run, const char *id, const struct vd_arg *args)
{
	cJSON *m = NULL;
	char *text = NULL;

	if (vd_msg_new(id, NULL, NULL, args, &m) == 0)
		text = vd_msg_render(m, NULL);
	if (!text)
		host->run_error(run, id); /* out of memory, or a template's bug: its words */
	else if (host->run_error_msg)
		host->run_error_msg(run, text, m);
	else
		host->run_error(run, text);
	free(text);
	cJSON_Delete(m);
}

void probe_run_start_failed(struct probe_run *run, int err)
{
	PROBE_ERROR(run, N_("could not start: {error}"), VD_TEXT("error", strerror(-err)));
}

void probe_slot_trigger(struct probe_slot *slot)
{
	host->slot_trigger(slot);
}

void probe_slot_trigger_events(struct probe_slot *slot, unsigned events)
{
	host->slot_trigger_events(slot, events);
}

static bool declared(const struct probe *p, const char *section)
{
	for (const char *const *need = p->needs; need && *need; need++)
		if (strcmp(*need, section) == 0)
			return true;
	for (const char *const *peek = p->peeks; peek && *peek; peek++)
		if (strcmp(*peek, section) == 0)
			return true;
	return false;
}

/* An undeclared read would run before the section it reads has a first
 * value, and hide from probes_check: it is refused, so that none creeps in. */
const struct cJSON *probe_run_section(const struct probe_run *run, const char *section)
{
	if (!section)
		return NULL;
	if (!declared(run->probe, section)) {
		probe_log(LOG_ERR, "probe %s reads the section %s without declaring it in its needs: refused",
		          run->probe->name, section);
		assert(!"a probe reads a section it does not declare in its needs");
		return NULL;
	}
	return host->run_section(run, section);
}

const char *probe_status_name(enum probe_status st)
{
	switch (st) {
	case PROBE_OK:
		return "ok";
	case PROBE_FAIL:
		return "fail";
	default:
		return "unknown";
	}
}

void probe_log(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (host && host->log) {
		host->log(priority, fmt, ap);
	} else {
		char msg[512];
		vsnprintf(msg, sizeof(msg), fmt, ap);
		fprintf(stderr, "<%d>%s\n", priority, msg);
	}
	va_end(ap);
}

int probe_open(const struct vd_proc_id *who, const char *path, size_t max, int *ret_fd)
{
	if (!host || !host->open)
		return -ENOSYS;
	return host->open(who, path, max, ret_fd);
}

int probe_read(const struct vd_proc_id *who, const char *path, size_t max, char **ret, size_t *ret_len)
{
	int fd, r = probe_open(who, path, max, &fd);

	if (r < 0)
		return r;
	r = vd_read_fd(fd, max, ret, ret_len);
	close(fd);
	return r;
}

int probe_connect(const struct vd_proc_id *who, const char *path, int *ret_fd)
{
	if (!host || !host->connect)
		return -ENOSYS;
	return host->connect(who, path, ret_fd);
}

int probe_proc(const struct vd_proc_id *who, enum probe_proc which, int *ret_fd)
{
	if (!host || !host->proc)
		return -ENOSYS;
	return host->proc(who, which, ret_fd);
}

int probe_same_netns(const struct vd_proc_id *who)
{
	if (!host || !host->same_netns)
		return -ENOSYS;
	return host->same_netns(who);
}

int probe_watch(const struct vd_proc_id *who, int inotify_fd, const char *path, uint32_t mask)
{
	if (!host || !host->watch)
		return -ENOSYS;
	return host->watch(who, inotify_fd, path, mask);
}

int probe_cwd(const struct vd_proc_id *who, char *buf, size_t size)
{
	if (!host || !host->cwd)
		return -ENOSYS;
	return host->cwd(who, buf, size);
}
