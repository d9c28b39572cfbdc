/* The local nftables ruleset (`nft -j list ruleset`) evaluated for one inbound
 * packet: which rule accepts, drops or rejects it, or "unknown", never a guess. */
#ifndef VPNDOCTOR_NFTRULES_H
#define VPNDOCTOR_NFTRULES_H

#include <stddef.h>
#include <stdint.h>

#define VD_NFT_NAME_LEN 64
#define VD_NFT_TEXT_LEN 256

/* What is known of the packet: an ICMP (ICMPv6) message arriving on iifname
 * from saddr to daddr, as conntrack sees the first packet of a flow ("new"). */
struct vd_nft_packet {
	int family;          /* AF_INET or AF_INET6 */
	char iifname[16];    /* the input link, "tun0" */
	uint8_t saddr[16];   /* network order; IPv4 in the first 4 bytes */
	uint8_t daddr[16];
	uint8_t icmp_type;   /* 8 (echo-request) or 128 for IPv6 */
	uint8_t icmp_code;
};

enum vd_nft_verdict {
	VD_NFT_ACCEPT,  /* every base chain on the way lets it through */
	VD_NFT_DROP,    /* a rule or a chain policy drops it */
	VD_NFT_REJECT,  /* a rule rejects it */
	VD_NFT_UNKNOWN, /* an expression this evaluator does not know decides */
};

const char *vd_nft_verdict_name(enum vd_nft_verdict v); /* "accept", "drop", ... */

struct vd_nft_result {
	enum vd_nft_verdict verdict;
	/* The deciding rule (drop, reject, unknown), or the chain whose policy
	 * dropped it (handle 0); empty for accept by every chain's end. */
	char family[8];
	char table[VD_NFT_NAME_LEN];
	char chain[VD_NFT_NAME_LEN];
	uint64_t handle;
	char text[VD_NFT_TEXT_LEN];   /* "inet filter input: icmp type echo-request drop" */
	char reason[VD_NFT_TEXT_LEN]; /* unknown: what could not be evaluated */
	unsigned base_chains;         /* base chains the packet went through */
	unsigned rules_seen;          /* rules evaluated, jumps included */
};

/* Walks the ingress (netdev and inet, on iifname), prerouting and input base
 * chains of the packet's families by hook order and priority, following jump
 * and goto. json is the document `nft -j list ruleset` prints (len bytes, NUL
 * not needed). Returns 0 with ret filled, -EINVAL (not an nftables JSON
 * document, bad packet) or -ENOMEM. */
int vd_nft_eval(const char *json, size_t len, const struct vd_nft_packet *pkt, struct vd_nft_result *ret);

/* The number of tables in the document (0: nothing loaded), or -EINVAL. */
int vd_nft_count_tables(const char *json, size_t len);

#endif
