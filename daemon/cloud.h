/* The cloud side's facts files ([Cloud] Directory=, a tunnel's CloudFacts=):
 * the VPN Gateway API's answers as the vendor's CLI prints them, read at start,
 * on SIGHUP and when a file of their directories changes, and applied to each
 * tunnel whose gateway address is the SSL server's. A file that cannot be used
 * is one log line naming it and the field; the other files stay in use. */
#ifndef VPNDOCTORD_CLOUD_H
#define VPNDOCTORD_CLOUD_H

#include <stdint.h>

struct cJSON;
struct config;
struct event_base;
struct cloud;

/* Most files of the directory read; more are left out, with a log line. */
#define CLOUD_MAX_FILES 256
/* Changes of the files are read this long after the last one (an editor or
 * `aliyun ... > FILE` writes in steps). */
#define CLOUD_SETTLE_MS 300
/* How long a profile's remote name keeps the addresses it resolved to (and a
 * name that did not resolve, its failure). */
#define CLOUD_NAME_TTL_S 300
#define CLOUD_NAME_FAIL_TTL_S 60
#define CLOUD_MAX_NAMES 64

/* Called when what applies may have changed: files re-read after a change in
 * their directories, a remote's name resolved. */
typedef void (*cloud_changed_fn)(void *userdata);

int cloud_new(struct event_base *base, cloud_changed_fn cb, void *userdata, struct cloud **ret);
/* Stops watching and resolving; what is pending is cancelled. NULL is fine. */
void cloud_free(struct cloud *cl);
/* Reads what cfg names: [Cloud] Directory='s *.json and every tunnel's
 * CloudFacts= file, replacing what was read before; logs one line for each
 * file it cannot use. Keeps nothing of cfg. Does not call the callback. */
void cloud_load(struct cloud *cl, const struct config *cfg);
/* Completes the "cloud" section of tunnel (one entry of the facts snapshot,
 * with the probes' sections in place): the SSL server and gateway whose public
 * address is one of the tunnel's gateway addresses (the client's remote, the
 * transport probe's gateway, the profile's remotes, their names resolved)
 * give the keys the section has not (the [Tunnel] keys come first). With
 * cloud_facts (the tunnel's CloudFacts=) only that file counts, and its one
 * SSL server applies even when no address matches; "" means none at all.
 * 0 or -ENOMEM. */
int cloud_apply(struct cloud *cl, const char *cloud_facts, struct cJSON *tunnel);
/* Files read and in use, for tests and the log. */
unsigned cloud_files_used(const struct cloud *cl);

#endif
