/* lib/nftrules.c on rulesets captured from nft 1.0.6 (tests/data/nft/NAME.nft
 * loaded in a private namespace, `nft -j list ruleset` saved as NAME.json by
 * tests/data/nft/capture.sh). */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vpndoctor/nftrules.h"

static char *load(const char *name, size_t *len)
{
	const char *data = getenv("VD_TESTDATA");
	char here[PATH_MAX], path[PATH_MAX + 64], *slash, *buf;
	FILE *f;
	long n;

	snprintf(here, sizeof(here), "%s", __FILE__);
	slash = strrchr(here, '/');
	snprintf(slash ? slash : here, sizeof(here) - (size_t)(slash ? slash - here : 0), "/../data");
	snprintf(path, sizeof(path), "%s/nft/%s.json", data ? data : here, name);
	f = fopen(path, "re");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static struct vd_nft_packet pkt4(const char *dev, const char *src, const char *dst)
{
	struct vd_nft_packet p;

	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	snprintf(p.iifname, sizeof(p.iifname), "%s", dev);
	assert_int_equal(inet_pton(AF_INET, src, p.saddr), 1);
	assert_int_equal(inet_pton(AF_INET, dst, p.daddr), 1);
	p.icmp_type = 8;
	return p;
}

static struct vd_nft_packet pkt6(const char *dev, const char *src, const char *dst)
{
	struct vd_nft_packet p;

	memset(&p, 0, sizeof(p));
	p.family = AF_INET6;
	snprintf(p.iifname, sizeof(p.iifname), "%s", dev);
	assert_int_equal(inet_pton(AF_INET6, src, p.saddr), 1);
	assert_int_equal(inet_pton(AF_INET6, dst, p.daddr), 1);
	p.icmp_type = 128;
	return p;
}

static struct vd_nft_result eval(const char *name, const struct vd_nft_packet *p)
{
	struct vd_nft_result r;
	size_t len;
	char *json = load(name, &len);

	memset(&r, 0xaa, sizeof(r));
	assert_int_equal(vd_nft_eval(json, len, p, &r), 0);
	free(json);
	return r;
}

static void test_lab_fault(void **state)
{
	struct vd_nft_packet p = pkt4("tun0", "172.16.1.10", "10.8.0.6");
	struct vd_nft_result r = eval("lab-icmp-in-block", &p);

	(void)state;
	assert_int_equal(r.verdict, VD_NFT_DROP);
	assert_string_equal(r.family, "inet");
	assert_string_equal(r.table, "vdlab_fw");
	assert_string_equal(r.chain, "input");
	assert_int_equal(r.handle, 2);
	assert_string_equal(r.text, "inet vdlab_fw input: icmp type echo-request drop");
	assert_int_equal(r.base_chains, 1);
	/* an echo reply is not what the rule drops */
	p.icmp_type = 0;
	r = eval("lab-icmp-in-block", &p);
	assert_int_equal(r.verdict, VD_NFT_ACCEPT);
	/* nor is ICMPv6 */
	p = pkt6("tun0", "fd00::1", "fd00::2");
	r = eval("lab-icmp-in-block", &p);
	assert_int_equal(r.verdict, VD_NFT_ACCEPT);
}

static void test_empty(void **state)
{
	struct vd_nft_packet p = pkt4("tun0", "172.16.1.10", "10.8.0.6");
	struct vd_nft_result r = eval("empty", &p);
	size_t len;
	char *json = load("empty", &len);

	(void)state;
	assert_int_equal(r.verdict, VD_NFT_ACCEPT);
	assert_int_equal(r.base_chains, 0);
	assert_string_equal(r.text, "");
	assert_int_equal(vd_nft_count_tables(json, len), 0);
	free(json);
	json = load("two-bases", &len);
	assert_int_equal(vd_nft_count_tables(json, len), 3);
	free(json);
}

static void test_jumps(void **state)
{
	struct vd_nft_packet p;
	struct vd_nft_result r;

	(void)state;
	/* a VPC address: the anonymous sets in tunin match, reject */
	p = pkt4("tun0", "172.16.1.10", "10.8.0.6");
	r = eval("jumps", &p);
	assert_int_equal(r.verdict, VD_NFT_REJECT);
	assert_string_equal(r.chain, "tunin");
	assert_string_equal(r.text, "inet vdlab_fw tunin: ip saddr { 1.2.3.4, 172.16.0.0/16 } "
	                            "icmp type { echo-reply, echo-request } log reject");
	/* another source: goto icmpc, which drops the tunnel address */
	p = pkt4("tun1", "8.8.8.8", "10.8.0.6");
	r = eval("jumps", &p);
	assert_int_equal(r.verdict, VD_NFT_DROP);
	assert_string_equal(r.chain, "icmpc");
	assert_string_equal(r.text, "inet vdlab_fw icmpc: ip daddr 10.8.0.6 drop comment \"no pings to the tunnel address\"");
	/* another address: icmpc ends, the goto returns past tunin to input's last rule */
	p = pkt4("tun0", "8.8.8.8", "10.8.0.10");
	r = eval("jumps", &p);
	assert_int_equal(r.verdict, VD_NFT_DROP);
	assert_string_equal(r.chain, "input");
	assert_string_equal(r.text, "inet vdlab_fw input: icmp type echo-request drop");
	/* the named set, with a prefix and an address */
	p = pkt4("tun0", "10.9.9.9", "10.8.0.6");
	r = eval("jumps", &p);
	assert_int_equal(r.verdict, VD_NFT_ACCEPT);
	p = pkt4("tun0", "192.168.1.1", "10.8.0.6");
	assert_int_equal(eval("jumps", &p).verdict, VD_NFT_ACCEPT);
	p = pkt4("tun0", "192.168.1.2", "10.8.0.6");
	r = eval("jumps", &p);
	assert_int_equal(r.verdict, VD_NFT_DROP);
	assert_string_equal(r.chain, "icmpc");
	/* iifname "lo" accepts before everything */
	p = pkt4("lo", "172.16.1.10", "10.8.0.6");
	assert_int_equal(eval("jumps", &p).verdict, VD_NFT_ACCEPT);
	/* "tun*" is a wildcard: eth0 skips tunin, input's last rule drops */
	p = pkt4("eth0", "172.16.1.10", "10.8.0.6");
	r = eval("jumps", &p);
	assert_int_equal(r.verdict, VD_NFT_DROP);
	assert_string_equal(r.chain, "input");
}

static void test_policy_drop(void **state)
{
	struct vd_nft_packet p = pkt4("tun0", "172.16.1.10", "10.8.0.6");
	struct vd_nft_result r = eval("policy-drop", &p);

	(void)state;
	/* tcp dport and udp dport never match ICMP; the policy drops it */
	assert_int_equal(r.verdict, VD_NFT_DROP);
	assert_int_equal(r.handle, 0);
	assert_string_equal(r.text, "ip filter INPUT: policy drop");
	/* an IPv6 packet does not go through an ip table */
	p = pkt6("tun0", "fd00::1", "fd00::2");
	assert_int_equal(eval("policy-drop", &p).verdict, VD_NFT_ACCEPT);
}

static void test_workstation(void **state)
{
	struct vd_nft_packet p = pkt4("tun0", "172.16.1.10", "10.8.0.6");
	struct vd_nft_result r = eval("workstation", &p);

	(void)state;
	/* the fib rule is IPv6 only: for IPv4 it is known not to match */
	assert_int_equal(r.verdict, VD_NFT_ACCEPT);
	assert_string_equal(r.reason, "");
	/* for IPv6 the fib expression decides what the evaluator cannot know */
	p = pkt6("tun0", "fd00::1", "fd00::2");
	r = eval("workstation", &p);
	assert_int_equal(r.verdict, VD_NFT_UNKNOWN);
	assert_non_null(strstr(r.reason, "fib"));
	assert_non_null(strstr(r.text, "fib"));
}

static void test_unknown(void **state)
{
	struct vd_nft_packet p = pkt4("tun0", "172.16.1.10", "10.8.0.6");
	struct vd_nft_result r = eval("unknown", &p);

	(void)state;
	/* the mark rule is tcp (no match); the limit decides: unknown, named */
	assert_int_equal(r.verdict, VD_NFT_UNKNOWN);
	assert_string_equal(r.reason, "statement limit");
	assert_string_equal(r.table, "filter");
	assert_non_null(strstr(r.text, "limit rate 1/second accept"));
	/* not an echo request: the limit rule does not match, the next drops */
	p.icmp_type = 13;
	r = eval("unknown", &p);
	assert_int_equal(r.verdict, VD_NFT_DROP);
	assert_string_equal(r.text, "inet filter input: iifname \"tun0\" drop");
	/* another link: the policy */
	p = pkt4("wlan0", "172.16.1.10", "10.8.0.6");
	assert_int_equal(eval("unknown", &p).verdict, VD_NFT_DROP);
}

static void test_ipv6(void **state)
{
	struct vd_nft_packet p = pkt6("tun0", "fd00::1", "fd00::2");
	struct vd_nft_result r = eval("ipv6", &p);

	(void)state;
	assert_int_equal(r.verdict, VD_NFT_DROP);
	assert_string_equal(r.text, "ip6 filter6 input: iifname \"tun0\" icmpv6 type echo-request counter drop");
	p = pkt4("tun0", "172.16.1.10", "10.8.0.6");
	assert_int_equal(eval("ipv6", &p).verdict, VD_NFT_ACCEPT);
	/* a range */
	p = pkt4("tun0", "172.16.1.9", "10.8.0.6");
	r = eval("ipv6", &p);
	assert_int_equal(r.verdict, VD_NFT_DROP);
	assert_string_equal(r.text, "ip filter4 input: ip saddr 172.16.1.5-172.16.1.9 drop");
	p = pkt4("tun0", "172.16.1.10", "10.8.0.6");
	assert_int_equal(eval("ipv6", &p).verdict, VD_NFT_ACCEPT);
}

static void test_two_bases(void **state)
{
	struct vd_nft_packet p = pkt4("tun0", "172.16.1.10", "10.8.0.6");
	struct vd_nft_result r = eval("two-bases", &p);

	(void)state;
	/* early accepts, late's vmap jumps to fromtun, which rejects */
	assert_int_equal(r.verdict, VD_NFT_REJECT);
	assert_string_equal(r.table, "late");
	assert_string_equal(r.chain, "fromtun");
	assert_int_equal(r.base_chains, 3);
	p = pkt4("lo", "172.16.1.10", "10.8.0.6");
	assert_int_equal(eval("two-bases", &p).verdict, VD_NFT_ACCEPT);
	/* prerouting comes before input */
	p = pkt4("tun0", "203.0.113.9", "10.8.0.6");
	r = eval("two-bases", &p);
	assert_int_equal(r.verdict, VD_NFT_DROP);
	assert_string_equal(r.text, "ip raw prerouting: ip saddr 203.0.113.0/24 drop");
	assert_int_equal(r.base_chains, 1);
}

static void test_ingress(void **state)
{
	struct vd_nft_packet p = pkt4("tun0", "172.16.1.10", "10.8.0.6");
	struct vd_nft_result r = eval("ingress", &p);

	(void)state;
	/* nft 1.0.6 does not say which device the chain is on: not a guess */
	assert_int_equal(r.verdict, VD_NFT_UNKNOWN);
	assert_non_null(strstr(r.reason, "netdev edge tun0in"));
	assert_string_equal(r.text, "netdev edge tun0in: meta l4proto icmp drop");
	/* ICMPv6 passes that chain whatever the device */
	p = pkt6("tun0", "fd00::1", "fd00::2");
	assert_int_equal(eval("ingress", &p).verdict, VD_NFT_ACCEPT);
}

/* Hand-written documents for what a capture cannot show. */
static void test_handmade(void **state)
{
	struct vd_nft_packet p = pkt4("tun0", "172.16.1.10", "10.8.0.6");
	struct vd_nft_result r;
	const char *loop = "{\"nftables\":[{\"chain\":{\"family\":\"inet\",\"table\":\"t\",\"name\":\"in\",\"hook\":\"input\","
	                   "\"prio\":0,\"policy\":\"accept\"}},{\"chain\":{\"family\":\"inet\",\"table\":\"t\",\"name\":\"a\"}},"
	                   "{\"rule\":{\"family\":\"inet\",\"table\":\"t\",\"chain\":\"in\",\"expr\":[{\"jump\":{\"target\":\"a\"}}]}},"
	                   "{\"rule\":{\"family\":\"inet\",\"table\":\"t\",\"chain\":\"a\",\"expr\":[{\"jump\":{\"target\":\"a\"}}]}}]}";
	const char *dev = "{\"nftables\":[{\"chain\":{\"family\":\"netdev\",\"table\":\"t\",\"name\":\"in\",\"hook\":\"ingress\","
	                  "\"dev\":\"eth0\",\"prio\":0,\"policy\":\"drop\"}}]}";
	const char *nochain = "{\"nftables\":[{\"chain\":{\"family\":\"ip\",\"table\":\"t\",\"name\":\"in\",\"hook\":\"input\","
	                      "\"prio\":0}},{\"rule\":{\"family\":\"ip\",\"table\":\"t\",\"chain\":\"in\",\"expr\":"
	                      "[{\"goto\":{\"target\":\"gone\"}}]}}]}";

	(void)state;
	assert_int_equal(vd_nft_eval(loop, strlen(loop), &p, &r), 0);
	assert_int_equal(r.verdict, VD_NFT_UNKNOWN);
	assert_non_null(strstr(r.reason, "nested"));
	/* an ingress chain on another device is not on the way */
	assert_int_equal(vd_nft_eval(dev, strlen(dev), &p, &r), 0);
	assert_int_equal(r.verdict, VD_NFT_ACCEPT);
	snprintf(p.iifname, sizeof(p.iifname), "eth0");
	assert_int_equal(vd_nft_eval(dev, strlen(dev), &p, &r), 0);
	assert_int_equal(r.verdict, VD_NFT_DROP);
	assert_string_equal(r.text, "netdev t in: policy drop");
	assert_int_equal(vd_nft_eval(nochain, strlen(nochain), &p, &r), 0);
	assert_int_equal(r.verdict, VD_NFT_UNKNOWN);
	/* not nftables JSON */
	assert_int_equal(vd_nft_eval("{}", 2, &p, &r), -EINVAL);
	assert_int_equal(vd_nft_eval("[", 1, &p, &r), -EINVAL);
	assert_int_equal(vd_nft_count_tables("nope", 4), -EINVAL);
	p.family = 0;
	assert_int_equal(vd_nft_eval(loop, strlen(loop), &p, &r), -EINVAL);
	assert_string_equal(vd_nft_verdict_name(VD_NFT_REJECT), "reject");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lab_fault), cmocka_unit_test(test_empty),     cmocka_unit_test(test_jumps),
		cmocka_unit_test(test_policy_drop), cmocka_unit_test(test_workstation), cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_ipv6),      cmocka_unit_test(test_two_bases), cmocka_unit_test(test_ingress),
		cmocka_unit_test(test_handmade),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
