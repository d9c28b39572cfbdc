/* timeline_seed DIR: writes timeline files into DIR from JSON lines on stdin,
 * each a TimelineSample as GetTimeline sends it ({"tunnel", "time", "state",
 * "health", "inside": {...}, ...}), the records of one tunnel in the order
 * given, sequence numbers from 1. A tunnel's file is made anew (its old
 * records gone). For the tests that need a timeline a daemon did not write:
 * the CLI's golden output, the report's page in Chromium. It writes the ring
 * as the format says (vpndoctor/timeline.h), not through the daemon's code,
 * so the daemon reading it is a test of the format as well. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "vpndoctor/timeline.h"

struct seeded {
	char name[VD_TL_NAME_MAX + 1];
	int fd;
	uint64_t seq;
};

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static uint32_t count(const cJSON *o, const char *k)
{
	double v = num(o, k);

	return isnan(v) || v < 0 ? 0 : (uint32_t)v;
}

static void echo(const cJSON *o, struct vd_tl_echo *e)
{
	if (!cJSON_IsObject(o))
		return;
	e->sent = count(o, "sent");
	e->received = count(o, "received");
	e->rtt_min_ms = (float)num(o, "rtt_min_ms");
	e->rtt_median_ms = (float)num(o, "rtt_median_ms");
	e->rtt_p95_ms = (float)num(o, "rtt_p95_ms");
	e->jitter_ms = (float)num(o, "jitter_ms");
}

static int open_new(const char *dir, const char *tunnel, struct seeded *s)
{
	char fn[VD_TL_FILE_NAME_MAX], path[4096];
	uint8_t hdr[VD_TL_HEADER_SIZE];

	if (vd_tl_file_name(tunnel, fn, sizeof(fn)) < 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/%s", dir, fn);
	s->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (s->fd < 0)
		return -errno;
	vd_tl_header_encode(tunnel, 0, hdr);
	if (pwrite(s->fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) || ftruncate(s->fd, (off_t)VD_TL_FILE_SIZE) < 0)
		return -errno;
	snprintf(s->name, sizeof(s->name), "%s", tunnel);
	s->seq = 0;
	return 0;
}

int main(int argc, char **argv)
{
	struct seeded files[64];
	size_t n_files = 0, lines = 0;
	char *line = NULL;
	size_t cap = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: timeline_seed DIR < samples.jsonl\n");
		return 64;
	}
	while (getline(&line, &cap, stdin) > 0) {
		cJSON *j = cJSON_Parse(line);
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "tunnel");
		struct seeded *s = NULL;
		struct vd_tl_rec r;
		uint8_t buf[VD_TL_REC_SIZE];

		if (!cJSON_IsString(t) || isnan(num(j, "time"))) {
			fprintf(stderr, "timeline_seed: line %zu: not a sample\n", lines + 1);
			return 1;
		}
		for (size_t i = 0; i < n_files; i++)
			if (strcmp(files[i].name, t->valuestring) == 0)
				s = &files[i];
		if (!s) {
			if (n_files == 64 || open_new(argv[1], t->valuestring, &files[n_files]) < 0) {
				fprintf(stderr, "timeline_seed: cannot make the file of %s: %m\n", t->valuestring);
				return 1;
			}
			s = &files[n_files++];
		}
		vd_tl_rec_init(&r);
		r.seq = ++s->seq;
		r.time = (int64_t)num(j, "time");
		r.state = (uint8_t)vd_tl_state_parse(cJSON_GetStringValue(cJSON_GetObjectItem(j, "state")));
		r.health = (uint8_t)vd_tl_health_parse(cJSON_GetStringValue(cJSON_GetObjectItem(j, "health")));
		echo(cJSON_GetObjectItemCaseSensitive(j, "inside"), &r.inside);
		echo(cJSON_GetObjectItemCaseSensitive(j, "outside"), &r.outside);
		{
			struct vd_tl_echo back = {0};

			echo(cJSON_GetObjectItemCaseSensitive(j, "reflected"), &back);
			r.reflected_sent = back.sent;
			r.reflected_received = back.received;
		}
		r.handshake_ms = (float)num(j, "handshake_ms");
		r.clock_offset_s = (float)num(j, "clock_offset_s");
		r.rx_mbps = (float)num(j, "rx_mbps");
		r.tx_mbps = (float)num(j, "tx_mbps");
		r.rx_peak_mbps = (float)num(j, "rx_peak_mbps");
		r.tx_peak_mbps = (float)num(j, "tx_peak_mbps");
		vd_tl_rec_encode(&r, buf);
		if (pwrite(s->fd, buf, sizeof(buf),
		           (off_t)VD_TL_HEADER_SIZE + (off_t)(r.seq % VD_TL_SLOTS) * VD_TL_REC_SIZE) != (ssize_t)sizeof(buf)) {
			fprintf(stderr, "timeline_seed: write: %m\n");
			return 1;
		}
		cJSON_Delete(j);
		lines++;
	}
	free(line);
	for (size_t i = 0; i < n_files; i++)
		if (close(files[i].fd) < 0)
			return 1;
	return 0;
}
