/* Runs the daemon's ping probe alone (the real scheduler and probe code, on
 * the daemon's own event loop) for RUNS bursts back to back against TARGET
 * and prints each burst's section as one JSON line, then "cpu_s USER SYS" of
 * this process. bench_ping.sh builds it against a build tree.
 * Usage: bench_ping_driver TARGET RUNS */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "config.h"
#include "probes/probe.h"
#include "scheduler.h"

struct bench {
	struct event_base *base;
	struct scheduler *s;
	long left;
};

static void on_result(void *userdata, struct probe_slot *slot, struct sched_result *r)
{
	struct bench *b = userdata;
	char *txt = r->section ? cJSON_PrintUnformatted(r->section) : NULL;

	printf("%s\n", txt ? txt : "null");
	free(txt);
	cJSON_Delete(r->section);
	r->section = NULL;
	if (--b->left > 0)
		scheduler_run_now(b->s, slot);
	else
		event_base_loopbreak(b->base);
}

int main(int argc, char **argv)
{
	static const struct probe *const only[] = {&probe_ping};
	struct bench b = {0};
	struct config *cfg = NULL;
	struct vd_error err = {0};
	struct rusage ru;
	char text[256];

	if (argc != 3 || (b.left = strtol(argv[2], NULL, 10)) <= 0)
		return 64;
	snprintf(text, sizeof(text), "[Tunnel bench]\nTargets=%s\n", argv[1]);
	if (config_parse_string("bench", text, &cfg, &err) < 0 || !(b.base = scheduler_event_base_new()) ||
	    scheduler_new_with(b.base, cfg, only, 1, on_result, &b, NULL, &b.s) < 0)
		return 1;
	event_base_dispatch(b.base);
	scheduler_free(b.s);
	event_base_free(b.base);
	config_free(cfg);
	getrusage(RUSAGE_SELF, &ru);
	printf("cpu_s %ld.%06ld %ld.%06ld\n", (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
	       (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
	return 0;
}
