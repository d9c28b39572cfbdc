/* The firewall probe: would the local ruleset let an ICMP echo request from
 * the VPC in on the tunnel link? `nft -j list ruleset` (which also shows what
 * iptables-nft loads), evaluated by lib/nftrules.c for a packet from the
 * reflector (else the first Targets= host, else the tunnel's server end) to
 * our tunnel address on the tun link.
 *
 * Listing the ruleset takes CAP_NET_ADMIN (nfnetlink asks it of every
 * request, reads included): without it the section is "unknown", said so.
 * Legacy iptables (x_tables, `iptables-legacy-save`) is not evaluated: when
 * nft shows no table and iptables-legacy is installed, the answer is
 * "unknown" rather than a clean bill. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "probe.h"
#include "probe_util.h"
#include "spawn.h"
#include "vpndoctor/cidr.h"
#include "vpndoctor/facts.h"
#include "vpndoctor/nftrules.h"

#define FW_TIMEOUT_MS 5000
#define FW_MAX_OUTPUT (16u * 1024 * 1024) /* a ruleset of ~100k rules */
#define CAP_NET_ADMIN_BIT 12

struct fw_ctx {
	struct probe_run *run;
	struct spawn_job *job;
	struct vd_nft_packet pkt;
	char saddr[INET6_ADDRSTRLEN], daddr[INET6_ADDRSTRLEN];
};

static const char *find_exe(const char *const *paths)
{
	for (; *paths; paths++)
		if (access(*paths, X_OK) == 0)
			return *paths;
	return NULL;
}

/* CapEff of /proc/self/status: listing a ruleset without CAP_NET_ADMIN only
 * earns "Operation not permitted". */
static bool have_net_admin(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");
	bool yes = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long caps;
		char *end;

		if (strncmp(line, "CapEff:", 7) != 0)
			continue;
		errno = 0;
		caps = strtoull(line + 7, &end, 16);
		yes = errno == 0 && end != line + 7 && (caps & (1ull << CAP_NET_ADMIN_BIT));
		break;
	}
	fclose(f);
	return yes;
}

/* "172.16.1.10:7070" / "[fd00::10]:7070": the address part. */
static int reflector_addr(const char *v, struct vd_prefix *ret)
{
	char host[64];
	const char *sep = v ? strrchr(v, ':') : NULL;
	size_t n;

	if (!sep || (n = (size_t)(sep - v)) < 1 || n >= sizeof(host))
		return -EINVAL;
	memcpy(host, v, n);
	host[n] = '\0';
	if (host[0] == '[' && n >= 2 && host[n - 1] == ']') {
		host[n - 1] = '\0';
		return vd_addr_parse(host + 1, ret);
	}
	return vd_addr_parse(host, ret);
}

static void ctx_free(struct fw_ctx *c)
{
	if (!c)
		return;
	spawn_cancel(c->job);
	free(c);
}

static void on_nft(void *arg, int status, const char *out, size_t len)
{
	struct fw_ctx *c = arg;
	struct probe_run *run = c->run;
	struct vd_nft_result r;
	cJSON *sec;
	int n;

	c->job = NULL; /* freed by spawn after this callback */
	run->priv = NULL;
	if (status != 0) {
		if (status == -ETIMEDOUT)
			PROBE_ERROR(run, N_("nft -j list ruleset: no answer within {seconds} s"),
			            VD_NUM("seconds", FW_TIMEOUT_MS / 1000, 0));
		else if (status < 0)
			PROBE_ERROR(run, N_("nft -j list ruleset: {error}"), VD_TEXT("error", strerror(-status)));
		else
			PROBE_ERROR(run, N_("nft -j list ruleset exited with status {status}"),
			            VD_NUM("status", status, 0));
		free(c);
		probe_run_done(run, PROBE_FAIL, NULL);
		return;
	}
	n = vd_nft_count_tables(out, len);
	if (n < 0 || vd_nft_eval(out, len, &c->pkt, &r) < 0) {
		PROBE_ERROR(run, N_("nft -j list ruleset: output not understood"));
		free(c);
		probe_run_done(run, PROBE_FAIL, NULL);
		return;
	}
	if (n == 0 && find_exe((const char *const[]){"/usr/sbin/iptables-legacy", "/sbin/iptables-legacy", NULL})) {
		PROBE_ERROR(run, N_("no nftables table; legacy iptables rules are not evaluated"));
		free(c);
		probe_run_done(run, PROBE_UNKNOWN, NULL);
		return;
	}
	if (!(sec = cJSON_CreateObject())) {
		free(c);
		probe_run_done(run, PROBE_FAIL, NULL);
		return;
	}
	cJSON_AddStringToObject(sec, VDF_FIREWALL_DEV, c->pkt.iifname);
	cJSON_AddStringToObject(sec, VDF_FIREWALL_SADDR, c->saddr);
	cJSON_AddStringToObject(sec, VDF_FIREWALL_DADDR, c->daddr);
	cJSON_AddStringToObject(sec, VDF_FIREWALL_VERDICT, vd_nft_verdict_name(r.verdict));
	cJSON_AddNumberToObject(sec, VDF_FIREWALL_TABLES, n);
	cJSON_AddNumberToObject(sec, VDF_FIREWALL_BASE_CHAINS, r.base_chains);
	if (r.text[0]) {
		cJSON_AddStringToObject(sec, VDF_FIREWALL_RULE, r.text);
		cJSON_AddStringToObject(sec, VDF_FIREWALL_TABLE, r.table);
		cJSON_AddStringToObject(sec, VDF_FIREWALL_CHAIN, r.chain);
		if (r.handle)
			cJSON_AddNumberToObject(sec, VDF_FIREWALL_HANDLE, (double)r.handle);
	}
	free(c);
	if (r.verdict == VD_NFT_UNKNOWN) {
		/* no icmp_in_blocked: a rule must not read a guess */
		cJSON_AddStringToObject(sec, VDF_FIREWALL_REASON, r.reason);
		PROBE_ERROR(run, N_("the ruleset's answer is unknown: {reason}"), VD_TEXT("reason", r.reason));
		probe_run_done(run, PROBE_UNKNOWN, sec);
		return;
	}
	cJSON_AddBoolToObject(sec, VDF_FIREWALL_ICMP_IN_BLOCKED, r.verdict != VD_NFT_ACCEPT);
	probe_run_done(run, PROBE_OK, sec);
}

static int firewall_start(struct probe_run *run)
{
	static const char *const nft_paths[] = {"/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft", NULL};
	const struct probe_tunnel *t = run->tunnel;
	const cJSON *ovpn = probe_run_section(run, VDF_TUNNEL_OPENVPN), *routes = probe_run_section(run, VDF_TUNNEL_ROUTES);
	const char *dev = NULL, *local = NULL, *state, *nft;
	struct vd_prefix src, dst;
	struct fw_ctx *c;
	int r;

	if (!t)
		return -EINVAL;
	if ((state = pu_tunnel_down(ovpn))) {
		pu_error_tunnel_down(run, state);
		probe_run_done(run, PROBE_UNKNOWN, NULL);
		return 0;
	}
	if (pu_section_ok(ovpn))
		local = pu_jstr(ovpn, VDF_OPENVPN_LOCAL_IP);
	dev = pu_tun_dev(ovpn, routes);
	if (!dev || !local || vd_addr_parse(local, &dst) < 0 || strlen(dev) >= sizeof(c->pkt.iifname)) {
		PROBE_ERROR(run, N_("no tunnel link and address yet"));
		probe_run_done(run, PROBE_UNKNOWN, NULL);
		return 0;
	}
	/* who pings us: the reflector, else a VPC host, else the server end */
	if (reflector_addr(t->reflector, &src) < 0 || src.family != dst.family) {
		size_t i;
		for (i = 0; i < t->targets.n; i++)
			if (vd_addr_parse(t->targets.v[i], &src) == 0 && src.family == dst.family)
				break;
		if (i == t->targets.n && (!pu_jstr(ovpn, VDF_OPENVPN_SERVER_IP) ||
		                          vd_addr_parse(pu_jstr(ovpn, VDF_OPENVPN_SERVER_IP), &src) < 0 ||
		                          src.family != dst.family)) {
			PROBE_ERROR(run, N_("no peer address to evaluate the ruleset for"));
			probe_run_done(run, PROBE_UNKNOWN, NULL);
			return 0;
		}
	}
	if (!(nft = find_exe(nft_paths))) {
		PROBE_ERROR(run, N_("nft is not installed"));
		probe_run_done(run, PROBE_UNKNOWN, NULL);
		return 0;
	}
	if (geteuid() != 0 && !have_net_admin()) {
		PROBE_ERROR(run, N_("listing the ruleset needs CAP_NET_ADMIN"));
		probe_run_done(run, PROBE_UNKNOWN, NULL);
		return 0;
	}
	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	c->run = run;
	c->pkt.family = dst.family;
	snprintf(c->pkt.iifname, sizeof(c->pkt.iifname), "%s", dev);
	memcpy(c->pkt.saddr, src.addr, sizeof(c->pkt.saddr));
	memcpy(c->pkt.daddr, dst.addr, sizeof(c->pkt.daddr));
	c->pkt.icmp_type = dst.family == AF_INET6 ? 128 : 8;
	inet_ntop(src.family, src.addr, c->saddr, sizeof(c->saddr));
	inet_ntop(dst.family, dst.addr, c->daddr, sizeof(c->daddr));
	run->priv = c;
	r = spawn_start(run->base, nft, (char *const[]){(char *)"nft", (char *)"-j", (char *)"list", (char *)"ruleset", NULL},
	                FW_MAX_OUTPUT, FW_TIMEOUT_MS, on_nft, c, &c->job);
	if (r < 0) {
		run->priv = NULL;
		free(c);
		PROBE_ERROR(run, N_("cannot run {program}: {error}"),
		            VD_TEXT("program", nft), VD_TEXT("error", strerror(-r)));
		probe_run_done(run, PROBE_FAIL, NULL);
	}
	return 0;
}

static void firewall_cancel(struct probe_run *run)
{
	ctx_free(run->priv);
	run->priv = NULL;
}

const struct probe probe_firewall = {
	.name = "firewall",
	.section = VDF_TUNNEL_FIREWALL,
	.config_section = "Firewall",
	.per_tunnel = true,
	.interval_s = 300,
	.events = PROBE_EV_NET | PROBE_EV_OPENVPN,
	.needs = (const char *const[]){VDF_TUNNEL_OPENVPN, VDF_TUNNEL_ROUTES, NULL},
	.start = firewall_start,
	.cancel = firewall_cancel,
	.free_state = NULL,
};
