/* An nftables ruleset evaluator for one inbound ICMP packet, on the JSON that
 * `nft -j list ruleset` prints (libnftables' schema, version 1).
 *
 * Matching is three-valued: an expression is known to match, known not to
 * match (ip saddr on an IPv6 packet, tcp dport on ICMP: nft adds those
 * dependencies implicitly), or unknown (fib, marks, limit, xt). A rule with
 * any known mismatch is skipped whatever else it holds; a rule whose verdict
 * depends on an unknown makes the whole answer unknown. The kernel's order is
 * followed: ingress, prerouting, input; base chains by priority (equal ones
 * in the order listed, which the kernel leaves unspecified); accept ends one
 * base chain only, drop and reject end everything. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>

#include "vpndoctor/cidr.h"
#include "vpndoctor/common.h"
#include "vpndoctor/nftrules.h"

#define NFT_MAX_DEPTH 32     /* the kernel allows 16 nested jumps */
#define NFT_MAX_RULES 200000 /* evaluated per packet: a loop guard */
#define NFT_MAX_BASE 256

enum tri { T_NO, T_YES, T_UNK };

enum act { A_CONT, A_ACCEPT, A_DROP, A_REJECT, A_RETURN, A_UNKNOWN };

struct ev {
	const struct vd_nft_packet *p;
	const cJSON *items; /* the "nftables" array */
	struct vd_nft_result *r;
	const cJSON *decider; /* the rule that decided (or NULL) */
	unsigned rules;
	bool v6;
};

/* A packet property as the left side of a match yields it. */
enum vkind { V_STR, V_NUM, V_ADDR, V_FLAGS };

struct val {
	enum vkind kind;
	const char *str;        /* V_STR */
	const char *sym;        /* V_NUM: its name ("icmp"), or NULL */
	const char *sym2;       /* an alias nft accepts ("icmpv6") */
	double num;             /* V_NUM; V_FLAGS: the bit */
	struct vd_prefix addr;  /* V_ADDR */
	const char *const *flag_names; /* V_FLAGS: names by bit order */
	bool quoted;            /* rendering: a string value nft prints quoted */
};

const char *vd_nft_verdict_name(enum vd_nft_verdict v)
{
	switch (v) {
	case VD_NFT_ACCEPT:
		return "accept";
	case VD_NFT_DROP:
		return "drop";
	case VD_NFT_REJECT:
		return "reject";
	case VD_NFT_UNKNOWN:
		break;
	}
	return "unknown";
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* The single member of an object like {"accept": null}: its name and value. */
static const cJSON *single(const cJSON *o, const char **name)
{
	if (!cJSON_IsObject(o) || !o->child || !o->child->string)
		return NULL;
	*name = o->child->string;
	return o->child;
}

static void why(struct ev *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why(struct ev *e, const char *fmt, ...)
{
	va_list ap;

	if (e->r->reason[0])
		return; /* the first unknown is the one that mattered */
	va_start(ap, fmt);
	vsnprintf(e->r->reason, sizeof(e->r->reason), fmt, ap);
	va_end(ap);
}

/* ---- the left side: what the packet holds ---- */

static const char *const ct_state_names[] = {"invalid", "established", "related", "new", NULL, NULL, "untracked"};

/* nft's names for ICMP and ICMPv6 types (it prints these, not numbers). */
static const char *icmp_type_name(bool v6, unsigned t)
{
	static const char *const v4[] = {
		[0] = "echo-reply", [3] = "destination-unreachable", [4] = "source-quench", [5] = "redirect",
		[8] = "echo-request", [9] = "router-advertisement", [10] = "router-solicitation",
		[11] = "time-exceeded", [12] = "parameter-problem", [13] = "timestamp-request",
		[14] = "timestamp-reply", [15] = "info-request", [16] = "info-reply",
		[17] = "address-mask-request", [18] = "address-mask-reply",
	};
	static const char *const v6names[] = {
		"echo-request", "echo-reply", "mld-listener-query", "mld-listener-report", "mld-listener-done",
		"nd-router-solicit", "nd-router-advert", "nd-neighbor-solicit", "nd-neighbor-advert",
		"nd-redirect", "router-renumbering",
	};

	if (!v6)
		return t < sizeof(v4) / sizeof(v4[0]) ? v4[t] : NULL;
	switch (t) {
	case 1:
		return "destination-unreachable";
	case 2:
		return "packet-too-big";
	case 3:
		return "time-exceeded";
	case 4:
		return "parameter-problem";
	default:
		return t >= 128 && t - 128 < sizeof(v6names) / sizeof(v6names[0]) ? v6names[t - 128] : NULL;
	}
}

static void num_val(struct val *v, const char *sym, const char *sym2, double num)
{
	v->kind = V_NUM;
	v->sym = sym;
	v->sym2 = sym2;
	v->num = num;
}

static enum tri addr_val(struct ev *e, struct val *v, const uint8_t *a)
{
	v->kind = V_ADDR;
	v->addr.family = e->v6 ? AF_INET6 : AF_INET;
	v->addr.len = e->v6 ? 128 : 32;
	memcpy(v->addr.addr, a, e->v6 ? 16 : 4);
	return T_YES;
}

static enum tri left_meta(struct ev *e, const char *key, struct val *v)
{
	if (!key)
		return T_UNK;
	if (streq(key, "iifname") || streq(key, "iif")) {
		v->kind = V_STR;
		v->str = e->p->iifname;
		v->quoted = true;
		return T_YES;
	}
	if (streq(key, "l4proto")) {
		num_val(v, e->v6 ? "ipv6-icmp" : "icmp", e->v6 ? "icmpv6" : NULL, e->v6 ? 58 : 1);
		return T_YES;
	}
	if (streq(key, "nfproto")) {
		num_val(v, e->v6 ? "ipv6" : "ipv4", NULL, e->v6 ? 10 : 2);
		return T_YES;
	}
	if (streq(key, "protocol")) {
		num_val(v, e->v6 ? "ip6" : "ip", NULL, e->v6 ? 0x86dd : 0x0800);
		return T_YES;
	}
	if (streq(key, "pkttype")) {
		num_val(v, "host", "unicast", 0);
		return T_YES;
	}
	return T_UNK;
}

static enum tri left_payload(struct ev *e, const char *proto, const char *field, struct val *v)
{
	static const char *const not_icmp[] = {"tcp", "udp", "udplite", "sctp", "dccp", "ah", "esp", "comp", "igmp", "gre"};

	if (!proto || !field)
		return T_UNK; /* raw payload (@nh,0,8) */
	for (size_t i = 0; i < sizeof(not_icmp) / sizeof(not_icmp[0]); i++)
		if (streq(proto, not_icmp[i]))
			return T_NO; /* nft's implicit l4proto dependency fails on ICMP */
	if (streq(proto, "ip") || streq(proto, "ip6")) {
		if (streq(proto, "ip6") != e->v6)
			return T_NO; /* the implicit nfproto dependency */
		if (streq(field, "saddr"))
			return addr_val(e, v, e->p->saddr);
		if (streq(field, "daddr"))
			return addr_val(e, v, e->p->daddr);
		if (streq(field, "protocol") || streq(field, "nexthdr")) {
			/* ip6 nexthdr is the first extension header; we assume none */
			num_val(v, e->v6 ? "ipv6-icmp" : "icmp", e->v6 ? "icmpv6" : NULL, e->v6 ? 58 : 1);
			return T_YES;
		}
		if (streq(field, "version")) {
			num_val(v, NULL, NULL, e->v6 ? 6 : 4);
			return T_YES;
		}
		return T_UNK;
	}
	if (streq(proto, "icmp") || streq(proto, "icmpv6")) {
		if (streq(proto, "icmpv6") != e->v6)
			return T_NO;
		if (streq(field, "type")) {
			num_val(v, icmp_type_name(e->v6, e->p->icmp_type), NULL, e->p->icmp_type);
			return T_YES;
		}
		if (streq(field, "code")) {
			num_val(v, NULL, NULL, e->p->icmp_code);
			return T_YES;
		}
		return T_UNK;
	}
	return T_UNK;
}

/* The packet's value for a match's left side. */
static enum tri left_value(struct ev *e, const cJSON *left, struct val *v)
{
	const char *name;
	const cJSON *x = single(left, &name);

	memset(v, 0, sizeof(*v));
	if (!x)
		return T_UNK;
	if (streq(name, "meta"))
		return left_meta(e, jstr(x, "key"), v);
	if (streq(name, "payload"))
		return left_payload(e, jstr(x, "protocol"), jstr(x, "field"), v);
	if (streq(name, "ct")) {
		const char *key = jstr(x, "key");
		if (streq(key, "state")) {
			v->kind = V_FLAGS;
			v->num = 8; /* new: the first packet of an echo exchange */
			v->flag_names = ct_state_names;
			return T_YES;
		}
		if (streq(key, "direction")) {
			num_val(v, "original", NULL, 0);
			return T_YES;
		}
		return T_UNK;
	}
	return T_UNK;
}

/* ---- the right side ---- */

/* iifname "tun*": a trailing unescaped '*' matches any suffix. */
static bool ifname_match(const char *pat, const char *name)
{
	size_t n = strlen(pat);

	if (n && pat[n - 1] == '*' && !(n >= 2 && pat[n - 2] == '\\'))
		return strncmp(pat, name, n - 1) == 0;
	if (n >= 2 && pat[n - 2] == '\\' && pat[n - 1] == '*')
		return strlen(name) == n - 1 && strncmp(pat, name, n - 2) == 0 && name[n - 2] == '*';
	return strcmp(pat, name) == 0;
}

static enum tri addr_in_range(const struct val *v, const char *lo, const char *hi)
{
	struct vd_prefix a, b;
	size_t n = v->addr.family == AF_INET6 ? 16 : 4;

	if (!lo || !hi || vd_addr_parse(lo, &a) < 0 || vd_addr_parse(hi, &b) < 0)
		return T_UNK;
	if (a.family != v->addr.family || b.family != v->addr.family)
		return T_NO;
	return memcmp(a.addr, v->addr.addr, n) <= 0 && memcmp(v->addr.addr, b.addr, n) <= 0 ? T_YES : T_NO;
}

static enum tri flag_eq(const struct val *v, const cJSON *el)
{
	if (cJSON_IsNumber(el))
		return ((unsigned)el->valuedouble & (unsigned)v->num) ? T_YES : T_NO;
	if (!cJSON_IsString(el))
		return T_UNK;
	for (unsigned i = 0; i < 7; i++)
		if (v->flag_names[i] && strcmp(v->flag_names[i], el->valuestring) == 0)
			return (1u << i) == (unsigned)v->num ? T_YES : T_NO;
	return T_UNK;
}

static enum tri elem_eq(const struct val *v, const cJSON *el)
{
	const char *name;
	const cJSON *x;

	if (v->kind == V_FLAGS)
		return flag_eq(v, el);
	if (cJSON_IsString(el)) {
		const char *s = el->valuestring;
		struct vd_prefix a;
		uint64_t n;

		switch (v->kind) {
		case V_STR:
			return ifname_match(s, v->str) ? T_YES : T_NO;
		case V_NUM:
			if (streq(s, v->sym) || streq(s, v->sym2))
				return T_YES;
			if (vd_parse_u64(s, 0, UINT32_MAX, &n) == 0)
				return (double)n == v->num ? T_YES : T_NO;
			/* another symbol: nft prints our values by these names */
			return v->sym ? T_NO : T_UNK;
		case V_ADDR:
			if (vd_addr_parse(s, &a) < 0)
				return T_UNK;
			return vd_prefix_equal(&a, &v->addr) ? T_YES : T_NO;
		case V_FLAGS:
			break;
		}
		return T_UNK;
	}
	if (cJSON_IsNumber(el))
		return v->kind == V_NUM ? (el->valuedouble == v->num ? T_YES : T_NO) : T_UNK;
	if (!(x = single(el, &name)))
		return T_UNK;
	if (streq(name, "elem"))
		return elem_eq(v, cJSON_GetObjectItemCaseSensitive(x, "val"));
	if (streq(name, "prefix") && v->kind == V_ADDR) {
		const char *addr = jstr(x, "addr");
		const cJSON *len = cJSON_GetObjectItemCaseSensitive(x, "len");
		char buf[VD_PREFIX_STRLEN + 8];
		struct vd_prefix p;

		if (!addr || !cJSON_IsNumber(len) || len->valuedouble < 0 || len->valuedouble > 128)
			return T_UNK;
		snprintf(buf, sizeof(buf), "%s/%u", addr, (unsigned)len->valuedouble);
		if (vd_prefix_parse(buf, true, &p) < 0)
			return T_UNK;
		if (p.family != v->addr.family)
			return T_NO;
		return vd_prefix_contains(&p, &v->addr) ? T_YES : T_NO;
	}
	if (streq(name, "range") && cJSON_IsArray(x) && cJSON_GetArraySize(x) == 2) {
		const cJSON *lo = cJSON_GetArrayItem(x, 0), *hi = cJSON_GetArrayItem(x, 1);
		if (v->kind == V_ADDR)
			return addr_in_range(v, cJSON_IsString(lo) ? lo->valuestring : NULL,
			                     cJSON_IsString(hi) ? hi->valuestring : NULL);
		if (v->kind == V_NUM && cJSON_IsNumber(lo) && cJSON_IsNumber(hi))
			return lo->valuedouble <= v->num && v->num <= hi->valuedouble ? T_YES : T_NO;
	}
	return T_UNK;
}

/* Any element matches: yes; else any unknown: unknown; else no. */
static enum tri any_of(const struct val *v, const cJSON *arr)
{
	const cJSON *el;
	enum tri r = T_NO;

	cJSON_ArrayForEach(el, arr) {
		enum tri t = elem_eq(v, el);
		if (t == T_YES)
			return T_YES;
		if (t == T_UNK)
			r = T_UNK;
	}
	return r;
}

static const cJSON *find_named(const struct ev *e, const char *kind, const char *family, const char *table,
                               const char *name)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, e->items) {
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(it, kind);
		if (o && streq(jstr(o, "family"), family) && streq(jstr(o, "table"), table) && streq(jstr(o, "name"), name))
			return o;
	}
	return NULL;
}

static enum tri right_match(struct ev *e, const cJSON *rule, const struct val *v, const cJSON *right)
{
	const char *name;
	const cJSON *x;

	if (cJSON_IsString(right) && right->valuestring[0] == '@') {
		const cJSON *set = find_named(e, "set", jstr(rule, "family"), jstr(rule, "table"), right->valuestring + 1);
		if (!set) {
			why(e, "set %s not in the ruleset", right->valuestring);
			return T_UNK;
		}
		/* a set without elements is empty, not unknown */
		return any_of(v, cJSON_GetObjectItemCaseSensitive(set, "elem"));
	}
	if (cJSON_IsArray(right))
		return any_of(v, right);
	if ((x = single(right, &name)) && streq(name, "set")) {
		if (cJSON_IsArray(x))
			return any_of(v, x);
		return elem_eq(v, x);
	}
	return elem_eq(v, right);
}

static enum tri match(struct ev *e, const cJSON *rule, const cJSON *m)
{
	const char *op = jstr(m, "op");
	const cJSON *left = cJSON_GetObjectItemCaseSensitive(m, "left");
	const cJSON *right = cJSON_GetObjectItemCaseSensitive(m, "right");
	struct val v;
	enum tri t = left_value(e, left, &v);

	if (t != T_YES) {
		if (t == T_UNK) {
			const char *name = "?";
			char *s = single(left, &name) ? cJSON_PrintUnformatted(left) : NULL;
			why(e, "match on %.120s", s ? s : name);
			free(s);
		}
		return t;
	}
	if (!op)
		op = "==";
	if (streq(op, "in") && v.kind == V_FLAGS) {
		/* flags: any of the listed bits is set */
		return right_match(e, rule, &v, right);
	}
	if (streq(op, "==") || streq(op, "in"))
		return right_match(e, rule, &v, right);
	if (streq(op, "!=")) {
		t = right_match(e, rule, &v, right);
		return t == T_UNK ? T_UNK : t == T_YES ? T_NO : T_YES;
	}
	if (v.kind == V_NUM && cJSON_IsNumber(right)) {
		double a = v.num, b = right->valuedouble;
		if (streq(op, "<"))
			return a < b ? T_YES : T_NO;
		if (streq(op, ">"))
			return a > b ? T_YES : T_NO;
		if (streq(op, "<="))
			return a <= b ? T_YES : T_NO;
		if (streq(op, ">="))
			return a >= b ? T_YES : T_NO;
	}
	why(e, "operator '%s'", op);
	return T_UNK;
}

/* ---- rendering a rule the way `nft list` does, roughly ---- */

struct text {
	char *buf;
	size_t size, len;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len + 1 >= t->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len = t->len + (size_t)n < t->size ? t->len + (size_t)n : t->size - 1;
}

static void put_value(struct text *t, const cJSON *x, bool quote);

static void put_list(struct text *t, const cJSON *arr, bool quote, const char *sep)
{
	const cJSON *el;
	bool first = true;

	cJSON_ArrayForEach(el, arr) {
		put(t, "%s", first ? "" : sep);
		put_value(t, el, quote);
		first = false;
	}
}

static void put_value(struct text *t, const cJSON *x, bool quote)
{
	const char *name;
	const cJSON *y;

	if (cJSON_IsString(x))
		put(t, quote ? "\"%s\"" : "%s", x->valuestring);
	else if (cJSON_IsNumber(x))
		put(t, "%.0f", x->valuedouble);
	else if (cJSON_IsArray(x))
		put_list(t, x, quote, ",");
	else if ((y = single(x, &name))) {
		if (streq(name, "set")) {
			put(t, "{ ");
			if (cJSON_IsArray(y))
				put_list(t, y, quote, ", ");
			else
				put_value(t, y, quote);
			put(t, " }");
		} else if (streq(name, "prefix")) {
			put(t, "%s/%.0f", jstr(y, "addr") ? jstr(y, "addr") : "?",
			    cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(y, "len"))
			        ? cJSON_GetObjectItemCaseSensitive(y, "len")->valuedouble
			        : 0.0);
		} else if (streq(name, "range") && cJSON_GetArraySize(y) == 2) {
			put_value(t, cJSON_GetArrayItem(y, 0), quote);
			put(t, "-");
			put_value(t, cJSON_GetArrayItem(y, 1), quote);
		} else if (streq(name, "elem")) {
			put_value(t, cJSON_GetObjectItemCaseSensitive(y, "val"), quote);
		} else if (streq(name, "meta")) {
			const char *k = jstr(y, "key") ? jstr(y, "key") : "?";
			bool bare = streq(k, "iifname") || streq(k, "oifname") || streq(k, "iif") || streq(k, "oif") ||
			            streq(k, "mark");
			put(t, "%s%s", bare ? "" : "meta ", k);
		} else if (streq(name, "payload")) {
			if (jstr(y, "protocol"))
				put(t, "%s %s", jstr(y, "protocol"), jstr(y, "field") ? jstr(y, "field") : "?");
			else
				put(t, "@%s", jstr(y, "base") ? jstr(y, "base") : "?");
		} else if (streq(name, "ct")) {
			put(t, "ct %s", jstr(y, "key") ? jstr(y, "key") : "?");
		} else {
			put(t, "%s", name);
		}
	} else {
		put(t, "?");
	}
}

static bool quoted_left(const cJSON *left)
{
	const char *name, *k;
	const cJSON *y = single(left, &name);

	if (!y || !streq(name, "meta"))
		return false;
	k = jstr(y, "key");
	return streq(k, "iifname") || streq(k, "oifname") || streq(k, "iif") || streq(k, "oif");
}

static void render_rule(const cJSON *rule, struct text *t)
{
	const cJSON *st;
	bool first = true;

	put(t, "%s %s %s: ", jstr(rule, "family") ? jstr(rule, "family") : "?",
	    jstr(rule, "table") ? jstr(rule, "table") : "?", jstr(rule, "chain") ? jstr(rule, "chain") : "?");
	cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(rule, "expr")) {
		const char *name;
		const cJSON *x = single(st, &name);

		put(t, "%s", first ? "" : " ");
		first = false;
		if (!x) {
			put(t, "?");
		} else if (streq(name, "match")) {
			const cJSON *left = cJSON_GetObjectItemCaseSensitive(x, "left");
			const char *op = jstr(x, "op");
			put_value(t, left, false);
			put(t, " ");
			if (op && !streq(op, "==") && !streq(op, "in"))
				put(t, "%s ", op);
			put_value(t, cJSON_GetObjectItemCaseSensitive(x, "right"), quoted_left(left));
		} else if (streq(name, "jump") || streq(name, "goto")) {
			put(t, "%s %s", name, jstr(x, "target") ? jstr(x, "target") : "?");
		} else if (streq(name, "limit") && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(x, "rate"))) {
			put(t, "limit rate %.0f/%s", cJSON_GetObjectItemCaseSensitive(x, "rate")->valuedouble,
			    jstr(x, "per") ? jstr(x, "per") : "second");
		} else if (streq(name, "vmap")) {
			put_value(t, cJSON_GetObjectItemCaseSensitive(x, "key"), false);
			put(t, " vmap");
		} else {
			put(t, "%s", name);
		}
	}
	if (jstr(rule, "comment"))
		put(t, " comment \"%s\"", jstr(rule, "comment"));
}

/* ---- chains and rules ---- */

static enum act eval_chain(struct ev *e, const char *family, const char *table, const char *chain, unsigned depth);

static enum act do_verdict(struct ev *e, const cJSON *rule, const char *name, const cJSON *x, unsigned depth)
{
	enum act r;

	if (streq(name, "accept"))
		return A_ACCEPT;
	if (streq(name, "drop"))
		return A_DROP;
	if (streq(name, "reject"))
		return A_REJECT;
	if (streq(name, "return"))
		return A_RETURN;
	if (streq(name, "continue"))
		return A_CONT;
	if (streq(name, "jump") || streq(name, "goto")) {
		const char *target = jstr(x, "target");
		if (!target) {
			why(e, "%s without a target", name);
			return A_UNKNOWN;
		}
		r = eval_chain(e, jstr(rule, "family"), jstr(rule, "table"), target, depth + 1);
		if (r == A_CONT || r == A_RETURN)
			return streq(name, "goto") ? A_RETURN : A_CONT;
		return r;
	}
	why(e, "verdict %s", name);
	return A_UNKNOWN;
}

static bool is_verdict(const char *name)
{
	static const char *const v[] = {"accept", "drop", "reject", "return", "continue", "jump", "goto", "queue"};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (streq(name, v[i]))
			return true;
	return false;
}

/* Statements with no say in a filtering decision for this packet. */
static bool is_inert(const char *name)
{
	static const char *const v[] = {"counter", "log", "notrack", "mangle", "comment", "set", "flow", "secmark"};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (streq(name, v[i]))
			return true;
	return false;
}

/* A verdict map: the key's value picks the verdict. */
static enum act eval_vmap(struct ev *e, const cJSON *rule, const cJSON *x, unsigned depth)
{
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(x, "data"), *set, *pair;
	const char *name;
	struct val v;
	enum tri t = left_value(e, cJSON_GetObjectItemCaseSensitive(x, "key"), &v);

	if (t == T_NO)
		return A_CONT;
	if (t == T_UNK || !(set = single(data, &name)) || !streq(name, "set") || !cJSON_IsArray(set)) {
		why(e, "verdict map");
		return A_UNKNOWN;
	}
	cJSON_ArrayForEach(pair, set) {
		const cJSON *verdict;
		const char *vname;

		if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2) {
			why(e, "verdict map entry");
			return A_UNKNOWN;
		}
		t = elem_eq(&v, cJSON_GetArrayItem(pair, 0));
		if (t == T_NO)
			continue;
		if (t == T_UNK) {
			why(e, "verdict map key");
			return A_UNKNOWN;
		}
		verdict = single(cJSON_GetArrayItem(pair, 1), &vname);
		if (!verdict) {
			why(e, "verdict map value");
			return A_UNKNOWN;
		}
		return do_verdict(e, rule, vname, verdict, depth);
	}
	return A_CONT;
}

static enum act eval_rule(struct ev *e, const cJSON *rule, unsigned depth)
{
	const cJSON *st;
	bool unknown = false, had_reason = e->r->reason[0] != '\0';

	cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(rule, "expr")) {
		const char *name;
		const cJSON *x = single(st, &name);
		enum act r;

		if (!x) {
			unknown = true;
			why(e, "a malformed statement");
			continue;
		}
		if (streq(name, "match")) {
			enum tri t = match(e, rule, x);
			if (t == T_NO) {
				/* an unknown next to a known mismatch did not matter */
				if (!had_reason)
					e->r->reason[0] = '\0';
				return A_CONT;
			}
			if (t == T_UNK)
				unknown = true;
			continue;
		}
		if (is_inert(name))
			continue;
		if (!is_verdict(name) && !streq(name, "vmap")) {
			/* limit, quota, xt, fib, nat, ...: it may or may not let the packet on */
			why(e, "statement %s", name);
			unknown = true;
			continue;
		}
		if (unknown) {
			e->decider = rule;
			return A_UNKNOWN;
		}
		r = streq(name, "vmap") ? eval_vmap(e, rule, x, depth) : do_verdict(e, rule, name, x, depth);
		if ((r == A_ACCEPT || r == A_DROP || r == A_REJECT || r == A_UNKNOWN) && !e->decider)
			e->decider = rule;
		return r;
	}
	if (!had_reason)
		e->r->reason[0] = '\0';
	return A_CONT;
}

static enum act eval_chain(struct ev *e, const char *family, const char *table, const char *chain, unsigned depth)
{
	const cJSON *it;

	if (depth > NFT_MAX_DEPTH) {
		why(e, "jumps nested deeper than %d", NFT_MAX_DEPTH);
		return A_UNKNOWN;
	}
	if (!find_named(e, "chain", family, table, chain)) {
		why(e, "chain %s not in the ruleset", chain ? chain : "?");
		return A_UNKNOWN;
	}
	cJSON_ArrayForEach(it, e->items) {
		const cJSON *rule = cJSON_GetObjectItemCaseSensitive(it, "rule");
		enum act r;

		if (!rule || !streq(jstr(rule, "family"), family) || !streq(jstr(rule, "table"), table) ||
		    !streq(jstr(rule, "chain"), chain))
			continue;
		if (++e->rules > NFT_MAX_RULES) {
			why(e, "more than %d rules on the way", NFT_MAX_RULES);
			return A_UNKNOWN;
		}
		r = eval_rule(e, rule, depth);
		if (r != A_CONT)
			return r;
	}
	return A_CONT;
}

/* ---- base chains ---- */

struct base {
	const cJSON *chain;
	int hook;   /* 0 ingress, 1 prerouting, 2 input */
	double prio;
	size_t order;
};

static int base_cmp(const void *a, const void *b)
{
	const struct base *x = a, *y = b;

	if (x->hook != y->hook)
		return x->hook < y->hook ? -1 : 1;
	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool dev_matches(const cJSON *chain, const char *ifname)
{
	const cJSON *dev = cJSON_GetObjectItemCaseSensitive(chain, "dev"), *d;

	if (cJSON_IsString(dev))
		return strcmp(dev->valuestring, ifname) == 0;
	cJSON_ArrayForEach(d, dev)
		if (cJSON_IsString(d) && strcmp(d->valuestring, ifname) == 0)
			return true;
	return false;
}

/* The base chains the packet meets, in the order it meets them. */
static size_t collect(struct ev *e, struct base *b, size_t cap)
{
	const cJSON *it;
	size_t n = 0, order = 0;

	cJSON_ArrayForEach(it, e->items) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(it, "chain");
		const cJSON *prio;
		const char *fam, *hook;
		int h;

		order++;
		if (!c || !(hook = jstr(c, "hook")) || !(fam = jstr(c, "family")))
			continue;
		if (streq(hook, "ingress"))
			h = 0;
		else if (streq(hook, "prerouting"))
			h = 1;
		else if (streq(hook, "input"))
			h = 2;
		else
			continue;
		if (h == 0) {
			/* nft 1.0.6's JSON leaves out the device: such a chain is
			 * walked, and its drop is unknown (see vd_nft_eval) */
			if (!(streq(fam, "netdev") || streq(fam, "inet")) ||
			    (cJSON_GetObjectItemCaseSensitive(c, "dev") && !dev_matches(c, e->p->iifname)))
				continue;
		} else if (!(streq(fam, "inet") || streq(fam, e->v6 ? "ip6" : "ip"))) {
			continue;
		}
		if (n == cap)
			break;
		prio = cJSON_GetObjectItemCaseSensitive(c, "prio");
		b[n] = (struct base){c, h, cJSON_IsNumber(prio) ? prio->valuedouble : 0, order};
		n++;
	}
	qsort(b, n, sizeof(*b), base_cmp);
	return n;
}

static void set_where(struct vd_nft_result *r, const char *family, const char *table, const char *chain)
{
	snprintf(r->family, sizeof(r->family), "%s", family ? family : "");
	snprintf(r->table, sizeof(r->table), "%s", table ? table : "");
	snprintf(r->chain, sizeof(r->chain), "%s", chain ? chain : "");
}

static void decide(struct ev *e, const cJSON *chain, enum act a)
{
	struct vd_nft_result *r = e->r;
	const cJSON *h;

	r->verdict = a == A_DROP ? VD_NFT_DROP : a == A_REJECT ? VD_NFT_REJECT : VD_NFT_UNKNOWN;
	if (r->verdict != VD_NFT_UNKNOWN)
		r->reason[0] = '\0';
	else if (!r->reason[0])
		snprintf(r->reason, sizeof(r->reason), "an expression this evaluator does not know");
	if (e->decider) {
		struct text t = {r->text, sizeof(r->text), 0};
		set_where(r, jstr(e->decider, "family"), jstr(e->decider, "table"), jstr(e->decider, "chain"));
		h = cJSON_GetObjectItemCaseSensitive(e->decider, "handle");
		r->handle = cJSON_IsNumber(h) && h->valuedouble >= 0 ? (uint64_t)h->valuedouble : 0;
		render_rule(e->decider, &t);
	} else {
		/* the base chain's policy */
		set_where(r, jstr(chain, "family"), jstr(chain, "table"), jstr(chain, "name"));
		r->handle = 0;
		snprintf(r->text, sizeof(r->text), "%s %s %s: policy %s", r->family, r->table, r->chain,
		         jstr(chain, "policy") ? jstr(chain, "policy") : "?");
	}
}

static int parse_doc(const char *json, size_t len, cJSON **doc, const cJSON **items)
{
	if (!json)
		return -EINVAL;
	*doc = cJSON_ParseWithLength(json, len);
	if (!*doc)
		return cJSON_GetErrorPtr() ? -EINVAL : -ENOMEM;
	*items = cJSON_GetObjectItemCaseSensitive(*doc, "nftables");
	if (!cJSON_IsArray(*items)) {
		cJSON_Delete(*doc);
		*doc = NULL;
		return -EINVAL;
	}
	return 0;
}

int vd_nft_count_tables(const char *json, size_t len)
{
	cJSON *doc;
	const cJSON *items, *it;
	int n = 0, r = parse_doc(json, len, &doc, &items);

	if (r < 0)
		return r;
	cJSON_ArrayForEach(it, items)
		if (cJSON_GetObjectItemCaseSensitive(it, "table"))
			n++;
	cJSON_Delete(doc);
	return n;
}

int vd_nft_eval(const char *json, size_t len, const struct vd_nft_packet *pkt, struct vd_nft_result *ret)
{
	struct vd_nft_result res;
	struct ev e = {.p = pkt, .r = &res};
	struct base *b;
	cJSON *doc;
	size_t n;
	int r;

	if (!pkt || !ret || (pkt->family != AF_INET && pkt->family != AF_INET6) ||
	    !memchr(pkt->iifname, '\0', sizeof(pkt->iifname)))
		return -EINVAL;
	if ((r = parse_doc(json, len, &doc, &e.items)) < 0)
		return r;
	if (!(b = calloc(NFT_MAX_BASE, sizeof(*b)))) {
		cJSON_Delete(doc);
		return -ENOMEM;
	}
	memset(&res, 0, sizeof(res));
	e.v6 = pkt->family == AF_INET6;
	res.verdict = VD_NFT_ACCEPT;
	n = collect(&e, b, NFT_MAX_BASE);
	for (size_t i = 0; i < n; i++) {
		const cJSON *c = b[i].chain;
		enum act a;

		res.base_chains++;
		e.decider = NULL;
		a = eval_chain(&e, jstr(c, "family"), jstr(c, "table"), jstr(c, "name"), 0);
		if (a == A_CONT || a == A_RETURN) {
			if (!streq(jstr(c, "policy"), "drop"))
				continue; /* policy accept (the default): on to the next base chain */
			a = A_DROP;
			e.decider = NULL;
		}
		if (a == A_ACCEPT)
			continue;
		if ((a == A_DROP || a == A_REJECT) && b[i].hook == 0 && !cJSON_GetObjectItemCaseSensitive(c, "dev")) {
			snprintf(res.reason, sizeof(res.reason),
			         "ingress chain %s %s %s would %s it, on a device this nft's JSON does not name",
			         jstr(c, "family"), jstr(c, "table"), jstr(c, "name"), a == A_DROP ? "drop" : "reject");
			a = A_UNKNOWN;
		}
		decide(&e, c, a);
		break;
	}
	res.rules_seen = e.rules;
	free(b);
	cJSON_Delete(doc);
	*ret = res;
	return 0;
}
