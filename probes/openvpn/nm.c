/* The openvpn probe: a process NetworkManager's openvpn plugin started. The
 * plugin keeps the management interface and the log to itself: its State on
 * the system bus says how the tunnel is, and the tun link NetworkManager
 * configured says its addresses. */

#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ov.h"

#define OV_NM_HELPER "/nm-openvpn-service-openvpn-helper"
#define OV_NM_PATH "/org/freedesktop/NetworkManager/VPN/Plugin"
#define OV_NM_IFACE "org.freedesktop.NetworkManager.VPN.Plugin"
#define OV_NM_TIMEOUT_US (5 * 1000000ULL)

/* ---- NetworkManager's plugin ------------------------------------------------------ */

/* NetworkManager's openvpn plugin keeps the management interface and the log
 * to itself, so its State on the system bus says how the tunnel is. The
 * plugin runs openvpn with its helper as --up and --tls-verify, one argument
 * each: "/usr/lib/NetworkManager/nm-openvpn-service-openvpn-helper --debug 0
 * 1234 --bus-name org.freedesktop.NetworkManager.openvpn --tun --"; the bus
 * name there is the plugin's. */
void ov_nm_bus_name(const char *cmd, size_t len, char *out, size_t size)
{
	static const char opt[] = " --bus-name ";

	out[0] = '\0';
	for (size_t off = 0; off < len; off += strnlen(cmd + off, len - off) + 1) {
		const char *a = cmd + off, *p;
		size_t word = strcspn(a, " "), n;
		if (word < strlen(OV_NM_HELPER) || memcmp(a + word - strlen(OV_NM_HELPER), OV_NM_HELPER,
		                                          strlen(OV_NM_HELPER)) != 0 ||
		    !(p = strstr(a + word, opt)))
			continue;
		p += strlen(opt);
		n = strcspn(p, " ");
		/* a well-known D-Bus name: dotted, [A-Za-z0-9_-], at most 255 */
		if (n == 0 || n >= size || n > 255 || strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		                                               "0123456789_-.") < n ||
		    !memchr(p, '.', n) || *p == '.' || isdigit((unsigned char)*p))
			continue;
		cpy(out, size, p, n);
		return;
	}
}

/* The plugin's state (NMVpnServiceState) as the section's state. Stopping
 * comes only from a Disconnect (nmcli con down, NetworkManager going down),
 * before the plugin ends the process: that exit is the user's, no crash,
 * whichever of the two the daemon sees first. A process that dies on its own
 * makes the plugin go to stopped without stopping, which changes nothing here:
 * the process's exit tells it. */
static void nm_apply(struct ov_state *st, uint32_t s)
{
	if (s >= 1 && s <= 6)
		st->nm_known = true;
	switch (s) {
	case 1: /* init */
	case 3: /* starting */
		if (st->running)
			ov_set_state(st, "connecting", "", 0, "nm-plugin");
		break;
	case 4: /* started */
		if (st->running)
			ov_set_state(st, "connected", "", 0, "nm-plugin");
		break;
	case 2: /* shutdown */
	case 5: /* stopping */
		st->fatal_exit = st->crashed = false;
		ov_ending(st, "stopped by the user through NetworkManager", 0, "nm-plugin");
		ov_changed(st);
		break;
	default: /* 0: unknown; 6: stopped, see above */
		break;
	}
}

/* The State property: libnm's plugins (network-manager-openvpn among them)
 * leave it at 0 and only signal StateChanged, so it counts only when set. */
static int on_nm_state(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct ov_state *st = userdata;
	uint32_t s;

	(void)ret_error;
	st->nm_call = sd_bus_slot_unref(st->nm_call);
	/* an error (the plugin gone, no such object): the process says the rest */
	if (!sd_bus_message_is_method_error(m, NULL) && sd_bus_message_read(m, "v", "u", &s) >= 0)
		nm_apply(st, s);
	return 0;
}

static int on_nm_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct ov_state *st = userdata;
	const char *owner;

	(void)ret_error;
	st->nm_owner_call = sd_bus_slot_unref(st->nm_owner_call);
	if (!sd_bus_message_is_method_error(m, NULL) && sd_bus_message_read(m, "s", &owner) >= 0)
		SCPY(st->nm_owner, owner);
	return 0;
}

/* StateChanged of any VPN plugin: the match names no sender, as sd-bus
 * compares it with the message's unique sender, never a well-known name; the
 * plugin's unique name (GetNameOwner) picks ours. */
static int on_nm_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct ov_state *st = userdata;
	const char *sender = sd_bus_message_get_sender(m);
	uint32_t s;

	(void)ret_error;
	if (sender && *st->nm_owner && strcmp(sender, st->nm_owner) == 0 && sd_bus_message_read(m, "u", &s) >= 0)
		nm_apply(st, s);
	return 0;
}

static int nm_call(struct ov_state *st, sd_bus *bus, sd_bus_slot **slot, const char *dest, const char *path,
                   const char *iface, const char *member, sd_bus_message_handler_t cb, const char *arg1,
                   const char *arg2)
{
	sd_bus_message *m = NULL;
	int r = sd_bus_message_new_method_call(bus, &m, dest, path, iface, member);

	if (r >= 0)
		r = sd_bus_message_set_auto_start(m, 0); /* the plugin gone: no new one for us */
	if (r >= 0 && arg1)
		r = sd_bus_message_append(m, "s", arg1);
	if (r >= 0 && arg2)
		r = sd_bus_message_append(m, "s", arg2);
	if (r >= 0)
		r = sd_bus_call_async(bus, slot, m, cb, st, OV_NM_TIMEOUT_US);
	sd_bus_message_unref(m);
	return r;
}

/* Subscribes to StateChanged and learns the plugin's unique name (once per
 * connection to the bus), and asks State, each unless already under way. */
void ov_nm_ask(struct ov_state *st)
{
	sd_bus *bus;

	if (!*st->nm_bus || !st->running || !(bus = pu_bus_get(&st->bus, st->base)))
		return;
	if (!st->nm_match || st->nm_match_on != st->bus.opened) {
		st->nm_match = sd_bus_slot_unref(st->nm_match);
		st->nm_owner[0] = '\0';
		if (sd_bus_match_signal_async(bus, &st->nm_match, NULL, OV_NM_PATH, OV_NM_IFACE, "StateChanged",
		                              on_nm_signal, NULL, st) >= 0)
			st->nm_match_on = st->bus.opened;
	}
	/* after the match: a change between the two is not missed */
	if (!*st->nm_owner && !st->nm_owner_call)
		nm_call(st, bus, &st->nm_owner_call, "org.freedesktop.DBus", "/org/freedesktop/DBus",
		        "org.freedesktop.DBus", "GetNameOwner", on_nm_owner, st->nm_bus, NULL);
	if (!st->nm_call)
		nm_call(st, bus, &st->nm_call, st->nm_bus, OV_NM_PATH, "org.freedesktop.DBus.Properties", "Get",
		        on_nm_state, OV_NM_IFACE, "State");
	pu_bus_arm(&st->bus);
}

void ov_nm_forget(struct ov_state *st)
{
	st->nm_call = sd_bus_slot_unref(st->nm_call);
	st->nm_owner_call = sd_bus_slot_unref(st->nm_owner_call);
	st->nm_match = sd_bus_slot_unref(st->nm_match);
	st->nm_bus[0] = st->nm_owner[0] = '\0';
	st->nm_known = st->link_up = false;
	st->link_local[0] = st->link_server[0] = '\0';
}

/* The tun link of the process: its /dev/net/tun descriptor's fdinfo names
 * it ("iff:\ttun0"); the privileged parent finds and opens that fdinfo as
 * the process's principal (daemon/priv.h). */
static void proc_tun(const struct ov_state *st, char *out, size_t size)
{
	const struct vd_proc_id who = who_of(st);
	char info[512], *p;
	ssize_t n;
	int fd;

	if (probe_proc(&who, PROBE_PROC_TUN, &fd) < 0)
		return;
	n = read(fd, info, sizeof(info) - 1);
	close(fd);
	if (n <= 0)
		return;
	info[n] = '\0';
	if ((p = strstr(info, "\niff:\t"))) {
		p += strlen("\niff:\t");
		size_t len = strcspn(p, "\n");
		if (len > 0 && len < size && len <= IFNAMSIZ)
			cpy(out, size, p, len);
	}
}

/* NetworkManager, not openvpn, configures the link (the plugin runs it with
 * --ifconfig-noexec --route-noexec), so the link tells the tunnel's
 * addresses: the local one, and the server's tunnel address, which is the
 * peer (p2p) unless a host route on the link inside the /24 around the local
 * one names it (net30, where the peer is a virtual address: "route 10.8.0.1"
 * of --server). */
void ov_nm_link(struct ov_state *st)
{
	struct ifaddrs *ifa = NULL;
	char peer[INET_ADDRSTRLEN] = "", line[256];
	struct in_addr local = {0};
	FILE *f;

	st->link_local[0] = st->link_server[0] = '\0';
	st->link_up = false;
	proc_tun(st, st->tun, sizeof(st->tun)); /* a new link after a restart */
	if (!*st->tun || getifaddrs(&ifa) < 0)
		return;
	for (const struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || strcmp(i->ifa_name, st->tun) != 0)
			continue;
		local = ((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
		inet_ntop(AF_INET, &local, st->link_local, sizeof(st->link_local));
		st->link_up = (i->ifa_flags & IFF_UP) != 0;
		if ((i->ifa_flags & IFF_POINTOPOINT) && i->ifa_dstaddr && i->ifa_dstaddr->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)i->ifa_dstaddr)->sin_addr, peer,
			          sizeof(peer));
		break;
	}
	freeifaddrs(ifa);
	if (!*st->link_local)
		return;
	/* Iface Destination Gateway Flags RefCnt Use Metric Mask ... (hex, network order) */
	if ((f = fopen("/proc/net/route", "re"))) {
		while (fgets(line, sizeof(line), f)) {
			char dev[IFNAMSIZ + 1];
			unsigned dst, gw, flags, mask;
			if (sscanf(line, "%16s %x %x %x %*s %*s %*s %x", dev, &dst, &gw, &flags, &mask) != 5 ||
			    strcmp(dev, st->tun) != 0 || mask != 0xffffffffu || dst == local.s_addr)
				continue;
			/* the file's hex words are s_addr as stored: the /24 around the local address */
			if ((ntohl(dst) >> 8) != (ntohl(local.s_addr) >> 8))
				continue;
			inet_ntop(AF_INET, &(struct in_addr){dst}, st->link_server, sizeof(st->link_server));
			break;
		}
		fclose(f);
	}
	if (!*st->link_server)
		SCPY(st->link_server, peer);
}

/* Until the plugin tells a state (libnm's State stays 0, and its StateChanged
 * may have come before the daemon looked): NetworkManager configures the tun
 * link only once the plugin reported the tunnel up (its Ip4Config), so the
 * link up with its address says connected, and without it, connecting. A
 * log or management interface of the process's own, where there is one,
 * knows better. */
void ov_nm_infer(struct ov_state *st)
{
	if (st->nm_known || st->mgmt_up || st->src != SRC_NONE)
		return;
	if (st->link_up && *st->link_local)
		ov_set_state(st, "connected", "", 0, "nm-link");
	else if (strcmp(st->state, "connected") == 0)
		ov_set_state(st, "connecting", "", 0, "nm-link");
}
