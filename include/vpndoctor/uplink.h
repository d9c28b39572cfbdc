/* The network the machine is on, as the routes facts name it: for the memory
 * of which networks a gateway answered from, and for telling that the laptop
 * moved to another network (a roam). Pure: reads a facts section. */
#ifndef VPNDOCTOR_UPLINK_H
#define VPNDOCTOR_UPLINK_H

#include <stddef.h>

struct cJSON;

#define VD_UPLINK_LEN 128

/* The network a gateway is reached from, from the tunnel's "routes" section:
 * the subnet of the link the route to the gateway leaves by, and the route's
 * next hop: "192.168.1.0/24 via 192.168.1.1"; "192.168.1.0/24" for a gateway
 * on that link. -ENOENT when the section does not tell (not measured, no
 * lookup of the gateway, no route, a route through the tunnel itself, or a
 * link without a subnet listed), -ENOSPC when buf is too small. */
int vd_uplink_network(const struct cJSON *routes, char *buf, size_t len);

/* What a move to another network changes: the network as above and the link
 * ("192.168.1.0/24 via 192.168.1.1 dev wlan0"), or "no route" when there is
 * none to the gateway. -ENOENT when the section does not tell (not measured,
 * no lookup of the gateway), -ENOSPC as above. */
int vd_uplink_fingerprint(const struct cJSON *routes, char *buf, size_t len);

#endif
