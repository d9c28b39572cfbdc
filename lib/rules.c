/* The rules: one function per cause of the catalogue, each reading the facts
 * sections of docs/facts.md that it names, never guessing when they are
 * missing. The engine adds the profile check's problems, applies suppression
 * and renders findings in tunnel order, then catalogue order. */
#include <errno.h>
#include <math.h> /* isfinite: a macro, no libm */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "vpndoctor/cidr.h"
#include "vpndoctor/ovpn_log.h"
#include "vpndoctor/rules.h"
#include "vpndoctor/version.h"

/* ---- thresholds (why these numbers) ---------------------------------------- */

/* The FAQ: client and server clocks may differ by at most 10 minutes. */
#define CLOCK_ERROR_S 600.0
/* Well below the FAQ's limit, but no NTP-synchronised machine drifts a minute:
 * the clock is unmanaged and will cross 600 s eventually. */
#define CLOCK_WARN_S 60.0
/* Two weeks gives a user time to get a new certificate from their admin. */
#define CERT_WARN_DAYS 14
/* A burst of fewer echoes cannot tell 10% loss from one unlucky packet. */
#define MIN_SAMPLES 5
/* Loss outside the tunnel: TCP throughput collapses from about 1-2% loss
 * (Mathis et al. 1997: rate ~ MSS/(RTT*sqrt(p))), and OpenVPN keepalives start
 * to miss; 2% is where users notice. */
#define PATH_LOSS_PCT 2.0
/* Jitter: RFC 3550 interarrival jitter above 30 ms is where real-time traffic
 * (calls over the VPN) degrades (the usual VoIP planning figure). */
#define PATH_JITTER_MS 30.0
/* RTT outside: 400 ms round trip is beyond any terrestrial path (Silicon
 * Valley to Singapore is about 170 ms); more means a congested or bloated
 * access link. ITU-T G.114 puts one-way delay above 400 ms out of bounds. */
#define PATH_RTT_MS 400.0
/* The FAQ's long-distance case (US Silicon Valley to Singapore) runs at about
 * 150-180 ms round trip; that is where UDP tunnels start to drop. */
#define LONG_RTT_MS 150.0
/* Loss inside a UDP tunnel: the same 2% as outside; "clean outside" means
 * below 1%, so the difference is clearly the tunnel's. */
#define TUNNEL_LOSS_PCT 2.0
#define PATH_CLEAN_PCT 1.0
/* Three failed sessions in the 10-minute window: one can be a glitch, three
 * in a row with the gateway answering is a pattern. */
#define REPEAT_MIN 3
/* Gateway bandwidth: a shaped gateway sits at its limit when the tunnel
 * carries 90% of it (the rest is protocol overhead and measurement window). */
#define BANDWIDTH_PCT 90.0
/* Queueing: an avg RTT 50 ms above the minimum of the same burst means packets
 * wait in a full buffer; Wi-Fi alone rarely adds that much. */
#define QUEUE_DELAY_MS 50.0
/* The tunnel should add a few ms over the path outside (encryption plus one
 * hop); 50 ms more is forwarding delay at the gateway. */
#define TUNNEL_EXCESS_MS 50.0
/* Half the echoes lost one way while the other way answers. */
#define ONE_WAY_LOSS_PCT 50.0
/* Seconds the ping section may have started before the transport section and
 * still count as the same moment: a check starts both together, and the
 * transport run takes up to 10 s. */
#define SAME_MOMENT_S 15.0

/* The FAQ: gateways created before this date are the old, slower version. */
#define GATEWAY_NEW_DATE "2021-04-01"

/* ---- facts access ----------------------------------------------------------- */

struct rctx {
	const cJSON *facts;
	const cJSON *host;
	const cJSON *tunnel;
	bool have_now;
	int64_t now;
};

/* What one rule produces; the engine turns it into a finding. */
struct rout {
	bool fired;
	enum vd_severity sev;
	char summary[512];
	cJSON *evidence;
	/* Suppressors that do not apply to this finding: its evidence does not
	 * depend on them (a certificate judged by the NTP-corrected clock). */
	const char *immune[4];
	size_t n_immune;
	int err;
};

static const cJSON *obj(const cJSON *o, const char *key)
{
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
	return cJSON_IsObject(v) ? v : NULL;
}

static const cJSON *arr(const cJSON *o, const char *key)
{
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
	return cJSON_IsArray(v) ? v : NULL;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Non-empty string, or NULL. */
static const char *nstr(const cJSON *o, const char *key)
{
	const char *s = str(o, key);
	return s && *s ? s : NULL;
}

static bool num(const cJSON *o, const char *key, double *ret)
{
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return false;
	*ret = v->valuedouble;
	return true;
}

/* An epoch time: a number within +-30000 years, so casts stay defined. */
static bool num_time(const cJSON *o, const char *key, double *ret)
{
	double v;
	if (!num(o, key, &v) || v < -1e12 || v > 1e12)
		return false;
	*ret = v;
	return true;
}

static bool boolean(const cJSON *o, const char *key, bool *ret)
{
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
	if (!cJSON_IsBool(v))
		return false;
	*ret = cJSON_IsTrue(v);
	return true;
}

static bool is_true(const cJSON *o, const char *key)
{
	bool b;
	return boolean(o, key, &b) && b;
}

static bool is_false(const cJSON *o, const char *key)
{
	bool b;
	return boolean(o, key, &b) && !b;
}

/* A probe section usable by a rule: present, and its status says the probe
 * ran ("ok" or "fail"); "unknown" or no status counts as missing. */
static const cJSON *section(const struct rctx *c, const char *name)
{
	const cJSON *s = obj(c->tunnel, name);
	const char *st = str(s, "status");

	if (!st || (strcmp(st, "ok") != 0 && strcmp(st, "fail") != 0))
		return NULL;
	return s;
}

/* The user's description of the cloud side has no status: it is configuration. */
static const cJSON *cloud(const struct rctx *c)
{
	return obj(c->tunnel, "cloud");
}

static const cJSON *host_clock(const struct rctx *c)
{
	const cJSON *s = obj(c->host, "clock");
	const char *st = str(s, "status");
	return st && strcmp(st, "ok") == 0 ? s : NULL;
}

/* Count of an OpenVPN log event in the last 10 minutes (0 when absent). */
static double event_count(const cJSON *ovpn, enum vd_log_event e)
{
	double n = 0;
	const char *name = vd_log_event_name(e);

	if (!name || !num(obj(ovpn, "events"), name, &n) || n < 0)
		return 0;
	return n;
}

/* The tunnel's transport protocol: what OpenVPN uses, else the profile's. */
static const char *tunnel_proto(const struct rctx *c)
{
	const char *p = nstr(obj(section(c, "openvpn"), "remote"), "proto");
	if (!p)
		p = nstr(section(c, "profile"), "proto");
	if (!p)
		return NULL;
	if (strncasecmp(p, "udp", 3) == 0)
		return "udp";
	if (strncasecmp(p, "tcp", 3) == 0)
		return "tcp";
	return NULL;
}

static bool prefix(const char *s, struct vd_prefix *p)
{
	return s && vd_prefix_parse(s, true, p) == 0;
}

/* ---- output helpers --------------------------------------------------------- */

/* Numbers in evidence: integers without a fraction, others shortest. */
static void fmt_num(char *buf, size_t len, double v)
{
	if (v > -1e15 && v < 1e15 && (double)(int64_t)v == v)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.6g", v);
}

__attribute__((format(printf, 3, 4)))
static void ev(struct rout *o, const char *key, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (o->err)
		return;
	if (!o->evidence && !(o->evidence = cJSON_CreateObject())) {
		o->err = -ENOMEM;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cJSON_DeleteItemFromObjectCaseSensitive(o->evidence, key);
	if (!cJSON_AddStringToObject(o->evidence, key, buf))
		o->err = -ENOMEM;
}

static void ev_num(struct rout *o, const char *key, double v)
{
	char b[64];
	fmt_num(b, sizeof(b), v);
	ev(o, key, "%s", b);
}

/* Copy a number field of a facts object into evidence when present. */
static void ev_field(struct rout *o, const char *key, const cJSON *src, const char *field)
{
	double v;
	if (num(src, field, &v))
		ev_num(o, key, v);
}

__attribute__((format(printf, 3, 4)))
static void fire(struct rout *o, enum vd_severity sev, const char *fmt, ...)
{
	va_list ap;

	o->fired = true;
	if (sev > o->sev)
		o->sev = sev;
	va_start(ap, fmt);
	vsnprintf(o->summary, sizeof(o->summary), fmt, ap);
	va_end(ap);
}

static void immune(struct rout *o, const char *cause)
{
	if (o->n_immune < VD_ARRAY_SIZE(o->immune))
		o->immune[o->n_immune++] = cause;
}

/* ", and N more" after a summary that names the first item. */
static void and_more(struct rout *o, size_t more)
{
	size_t l = strlen(o->summary);
	if (more > 0)
		snprintf(o->summary + l, sizeof(o->summary) - l, ", and %zu more", more);
}

/* A string array of the facts as "a, b, c". */
static void join(const cJSON *a, char *buf, size_t len)
{
	const cJSON *it;
	size_t l = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(it, a) {
		if (!cJSON_IsString(it))
			continue;
		int n = snprintf(buf + l, len - l, "%s%s", l ? ", " : "", it->valuestring);
		if (n < 0 || (size_t)n >= len - l)
			break;
		l += (size_t)n;
	}
}

/* ---- the profile check's problems ------------------------------------------- */

/* Problems of the "profile" section whose cause is this one: one finding,
 * severity of the worst, summary from the first of the worst, each problem in
 * evidence as problem_1..N in file order. */
static void profile_problems(const struct rctx *c, const char *cause, struct rout *o)
{
	const cJSON *prof = section(c, "profile");
	const cJSON *p, *lead = NULL;
	enum vd_severity worst = VD_SEV_NONE;
	size_t n = 0;

	cJSON_ArrayForEach(p, arr(prof, "problems")) {
		const char *pc = str(p, "cause");
		const char *msg = nstr(p, "message");
		const char *file = nstr(p, "file");
		const char *code = nstr(p, "code");
		enum vd_severity s;
		double line = 0;
		char where[320] = "";

		if (!pc || strcmp(pc, cause) != 0 || !msg)
			continue;
		if (vd_severity_parse(str(p, "severity"), &s) < 0 || s == VD_SEV_NONE)
			s = vd_cause_find(cause)->severity;
		if (file && num(p, "line", &line) && line > 0)
			snprintf(where, sizeof(where), "%s:%.0f: ", file, line);
		else if (file)
			snprintf(where, sizeof(where), "%s: ", file);
		n++;
		char key[32];
		snprintf(key, sizeof(key), "problem_%zu", n);
		ev(o, key, "%s%s%s%s%s", where, msg, code ? " [" : "", code ? code : "", code ? "]" : "");
		if (s > worst) {
			worst = s;
			lead = p;
		}
	}
	if (!n)
		return;
	{
		const char *file = nstr(lead, "file");
		double line = 0;
		if (file && num(lead, "line", &line) && line > 0)
			fire(o, worst, "%s (%s line %.0f)", str(lead, "message"), file, line);
		else
			fire(o, worst, "%s", str(lead, "message"));
	}
	and_more(o, n - 1);
	if (nstr(prof, "path"))
		ev(o, "profile", "%s", str(prof, "path"));
}

/* ---- rules, in catalogue order ---------------------------------------------- */

/* The openvpn section keeps ten minutes of log events. Once OpenVPN has
 * connected, its options loaded and a TLS handshake with today's certificates
 * passed: configuration and certificate errors from before are history, not
 * findings. events_since_connected counts only what came after the last
 * connection; without it, nothing counts while the state is connected. */
static double fresh_event_count(const cJSON *ovpn, enum vd_log_event e)
{
	const cJSON *since = obj(ovpn, "events_since_connected");
	double n;

	if (since)
		return num(since, vd_log_event_name(e), &n) ? n : 0;
	if (nstr(ovpn, "state") && strcmp(str(ovpn, "state"), "connected") == 0)
		return 0;
	return event_count(ovpn, e);
}

static void rule_config_invalid(const struct rctx *c, struct rout *o)
{
	const cJSON *ovpn = section(c, "openvpn");
	double n = fresh_event_count(ovpn, VD_LOG_OPTIONS_ERROR);

	profile_problems(c, "config-invalid", o);
	if (n > 0) {
		ev_num(o, "log_options_errors", n);
		if (!o->fired)
			fire(o, VD_SEV_ERROR, "OpenVPN reported %.0f 'Options error' line%s in the last 10 minutes",
			     n, n == 1 ? "" : "s");
	}
}

static const char *cert_role_name(const char *role)
{
	if (!role || strcmp(role, "cert") == 0)
		return "client certificate";
	if (strcmp(role, "ca") == 0)
		return "CA certificate";
	if (strcmp(role, "extra-certs") == 0 || strcmp(role, "extra") == 0)
		return "intermediate certificate";
	return "certificate";
}

static void rule_cert_expired(const struct rctx *c, struct rout *o)
{
	const cJSON *prof = section(c, "profile");
	const cJSON *certs = arr(prof, "certs");
	const cJSON *ovpn = section(c, "openvpn");
	const cJSON *clk = host_clock(c);
	double off = 0, n_exp, n_nyv;
	/* An offset beyond 30 years is not a clock, it is garbage. */
	bool corrected = clk && num(clk, "offset_s", &off) && off > -1e9 && off < 1e9;
	size_t bad = 0;
	char tb[40];

	/* Dates are judged here against the corrected clock; the profile check's
	 * own date problems (judged by the local clock) are only taken when it
	 * did not list the certificates. */
	if (!certs)
		profile_problems(c, "cert-expired", o);

	if (certs && c->have_now) {
		int64_t now = c->now + (int64_t)(off >= 0 ? off + 0.5 : off - 0.5);
		const cJSON *ce;
		/* Worst first: an invalid certificate leads, then the one expiring soonest. */
		const cJSON *lead = NULL;
		int lead_rank = 0;
		double lead_key = 0;

		size_t valid_ca = 0;

		/* A CA bundle may carry an old, expired CA beside the current one:
		 * only when no CA of the bundle is valid does it break the chain. */
		cJSON_ArrayForEach(ce, certs) {
			double nb, na;
			const char *role = str(ce, "role");
			if (role && strcmp(role, "ca") == 0 && num_time(ce, "not_before", &nb) &&
			    num_time(ce, "not_after", &na) && nb <= (double)now && na >= (double)now)
				valid_ca++;
		}
		cJSON_ArrayForEach(ce, certs) {
			double nb, na;
			int rank = 0;
			double key = 0;
			const char *role = str(ce, "role");

			if (!num_time(ce, "not_before", &nb) || !num_time(ce, "not_after", &na))
				continue;
			if (role && strcmp(role, "ca") == 0 && valid_ca > 0 && (na < (double)now || nb > (double)now))
				continue;
			if (na < (double)now) {
				rank = 3;
				key = na;
			} else if (nb > (double)now) {
				rank = 2;
				key = -nb;
			} else if (na - (double)now < CERT_WARN_DAYS * 86400.0) {
				rank = 1;
				key = na;
			}
			if (!rank)
				continue;
			bad++;
			char k[32];
			snprintf(k, sizeof(k), "cert_%zu", bad);
			ev(o, k, "%s %s: not before %s, not after %s%s%s",
			   cert_role_name(str(ce, "role")), nstr(ce, "subject") ? str(ce, "subject") : "?",
			   vd_format_time((int64_t)nb, tb, sizeof(tb)),
			   vd_format_time((int64_t)na, (char[40]){0}, 40),
			   nstr(ce, "file") ? " in " : "", nstr(ce, "file") ? str(ce, "file") : "");
			if (!lead || rank > lead_rank || (rank == lead_rank && key < lead_key)) {
				lead = ce;
				lead_rank = rank;
				lead_key = key;
			}
		}
		if (lead) {
			const char *role = cert_role_name(str(lead, "role"));
			const char *subj = nstr(lead, "subject") ? str(lead, "subject") : "?";
			const char *judge = corrected ? "by the NTP-corrected clock" : "by the local clock";
			double nb = 0, na = 0;
			num_time(lead, "not_before", &nb);
			num_time(lead, "not_after", &na);
			if (lead_rank == 3) {
				double days = (double)((now - (int64_t)na) / 86400);
				fire(o, VD_SEV_ERROR, "the %s %s expired %s%.0f day%s ago (not after %s, %s)", role, subj,
				     days < 1 ? "less than " : "", days < 1 ? 1 : days, days <= 1 ? "" : "s",
				     vd_format_time((int64_t)na, tb, sizeof(tb)), judge);
			} else if (lead_rank == 2) {
				double days = (double)(((int64_t)nb - now + 86399) / 86400);
				fire(o, VD_SEV_ERROR, "the %s %s is not valid for another %.0f day%s (not before %s, %s)",
				     role, subj, days, days == 1 ? "" : "s",
				     vd_format_time((int64_t)nb, tb, sizeof(tb)), judge);
			} else {
				double days = (double)(((int64_t)na - now) / 86400);
				fire(o, VD_SEV_WARNING, "the %s %s expires in %.0f day%s (not after %s, %s)", role, subj,
				     days, days == 1 ? "" : "s", vd_format_time((int64_t)na, tb, sizeof(tb)), judge);
			}
			and_more(o, bad - 1);
			ev(o, "judged_at", "%s", vd_format_time(now, tb, sizeof(tb)));
			if (corrected) {
				ev_num(o, "clock_offset_s", off);
				immune(o, "clock-skew");
			}
		}
	}

	n_exp = fresh_event_count(ovpn, VD_LOG_CERT_EXPIRED);
	n_nyv = fresh_event_count(ovpn, VD_LOG_CERT_NOT_YET_VALID);
	if (n_exp > 0)
		ev_num(o, "log_cert_expired", n_exp);
	if (n_nyv > 0)
		ev_num(o, "log_cert_not_yet_valid", n_nyv);
	if (!o->fired && (n_exp > 0 || n_nyv > 0))
		fire(o, VD_SEV_ERROR, "OpenVPN reports a certificate that is %s",
		     n_exp > 0 ? "expired" : "not yet valid");
}

static void rule_too_many_clients(const struct rctx *c, struct rout *o)
{
	const cJSON *ovpn = section(c, "openvpn");
	const cJSON *hs = obj(ovpn, "handshakes");
	const char *state = str(ovpn, "state");
	double dropped = 0, started = 0, completed = 0;

	if (!ovpn || (state && strcmp(state, "connected") == 0))
		return;
	if (num(hs, "dropped_before_push", &dropped) && dropped >= REPEAT_MIN) {
		num(hs, "started", &started);
		num(hs, "completed", &completed);
		fire(o, VD_SEV_ERROR,
		     "the server ended %.0f sessions before sending their configuration (PUSH_REPLY) in the "
		     "last 10 minutes",
		     dropped);
		ev_num(o, "handshakes_started", started);
		ev_num(o, "handshakes_completed", completed);
		ev_num(o, "dropped_before_push", dropped);
		return;
	}
	/* Over UDP a full server stays silent to the real session (the client
	 * logs TLS timeouts; over TCP it resets), while the gateway still answers
	 * the transport probe's bare handshake: so the server is alive and
	 * refuses sessions. */
	{
		const cJSON *tr = section(c, "transport");
		const char *proto = tunnel_proto(c);
		double tmo = event_count(ovpn, VD_LOG_TLS_TIMEOUT);
		double rst = event_count(ovpn, VD_LOG_CONNECTION_RESET);
		const char *res;

		if (!tr || !proto)
			return;
		res = str(obj(tr, proto), "result");
		if (!res || strcmp(res, "answered") != 0 || tmo + rst < REPEAT_MIN)
			return;
		fire(o, VD_SEV_ERROR,
		     "%.0f sessions failed in the last 10 minutes (%.0f TLS timeouts, %.0f resets) although the "
		     "gateway answers the OpenVPN handshake over %s",
		     tmo + rst, tmo, rst, proto);
		ev_num(o, "log_tls_timeouts", tmo);
		ev_num(o, "log_connection_resets", rst);
		ev(o, "transport", "%s %s", proto, res);
	}
}

struct named_prefix {
	struct vd_prefix p;
	const char *text;
	const char *what;
	const char *dev;
};

static void rule_ip_conflict(const struct rctx *c, struct rout *o)
{
	const cJSON *rt = section(c, "routes");
	const cJSON *cl = cloud(c);
	const char *tun_dev = str(rt, "tun_dev");
	struct named_prefix theirs[64];
	size_t nt = 0, hits = 0;
	const cJSON *it;

	if (!rt)
		return;
	/* What belongs to the VPN side: pushed routes, the tunnel subnet, and the
	 * cloud profile's local networks and client CIDR. */
	cJSON_ArrayForEach(it, arr(rt, "pushed_routes")) {
		if (nt < VD_ARRAY_SIZE(theirs) && cJSON_IsString(it) && prefix(it->valuestring, &theirs[nt].p)) {
			theirs[nt].text = it->valuestring;
			theirs[nt++].what = "the pushed route";
		}
	}
	if (nt < VD_ARRAY_SIZE(theirs) && prefix(str(rt, "tunnel_subnet"), &theirs[nt].p)) {
		theirs[nt].text = str(rt, "tunnel_subnet");
		theirs[nt++].what = "the tunnel subnet";
	}
	cJSON_ArrayForEach(it, arr(cl, "local_networks")) {
		if (nt < VD_ARRAY_SIZE(theirs) && cJSON_IsString(it) && prefix(it->valuestring, &theirs[nt].p)) {
			theirs[nt].text = it->valuestring;
			theirs[nt++].what = "the VPC local network";
		}
	}
	if (nt < VD_ARRAY_SIZE(theirs) && prefix(str(cl, "client_cidr"), &theirs[nt].p)) {
		theirs[nt].text = str(cl, "client_cidr");
		theirs[nt++].what = "the client CIDR";
	}

	cJSON_ArrayForEach(it, arr(rt, "local_subnets")) {
		const char *pfx = str(it, "prefix");
		const char *dev = nstr(it, "dev") ? str(it, "dev") : "?";
		struct vd_prefix lp;

		if (!prefix(pfx, &lp) || (tun_dev && strcmp(dev, tun_dev) == 0))
			continue;
		for (size_t i = 0; i < nt; i++) {
			if (!vd_prefix_overlaps(&lp, &theirs[i].p))
				continue;
			hits++;
			char k[32];
			snprintf(k, sizeof(k), "overlap_%zu", hits);
			ev(o, k, "%s on %s overlaps %s %s", pfx, dev, theirs[i].what, theirs[i].text);
			if (hits == 1)
				fire(o, VD_SEV_ERROR, "the local network %s on %s overlaps %s %s", pfx, dev,
				     theirs[i].what, theirs[i].text);
		}
	}
	if (!hits)
		return;
	and_more(o, hits - 1);
	/* The consequence, when the route lookups show it. */
	size_t leaks = 0;
	cJSON_ArrayForEach(it, arr(rt, "targets")) {
		if (is_false(it, "via_tunnel") && nstr(it, "addr")) {
			leaks++;
			char k[32];
			snprintf(k, sizeof(k), "target_%zu", leaks);
			ev(o, k, "%s leaves through %s, not the tunnel", str(it, "addr"),
			   nstr(it, "dev") ? str(it, "dev") : "?");
		}
	}
}

static void rule_client_cidr_too_small(const struct rctx *c, struct rout *o)
{
	const cJSON *cl = cloud(c);
	const char *cidr = str(cl, "client_cidr");
	struct vd_prefix p;
	double maxc;
	uint64_t count, cap;

	if (!prefix(cidr, &p) || !num(cl, "max_connections", &maxc) || maxc < 1)
		return;
	count = vd_prefix_count(&p);
	cap = vd_prefix_client_capacity(&p);
	if ((double)cap >= maxc)
		return;
	fire(o, VD_SEV_ERROR,
	     "client CIDR %s holds %llu addresses = %llu clients at 4 addresses each, but %.0f connections "
	     "are allowed",
	     cidr, (unsigned long long)count, (unsigned long long)cap, maxc);
	ev(o, "client_cidr", "%s", cidr);
	ev(o, "addresses", "%llu", (unsigned long long)count);
	ev(o, "clients_at_4_addresses", "%llu", (unsigned long long)cap);
	ev_num(o, "max_connections", maxc);
	ev_num(o, "addresses_needed", maxc * 4);
	{
		/* The smallest prefix that holds 4 addresses per connection. */
		unsigned bits = p.family == AF_INET ? 32 : 128, len = bits;
		while (len > 0 && bits - len < 63 && (double)(1ULL << (bits - len)) < maxc * 4)
			len--;
		ev(o, "prefix_needed", "/%u or larger", len);
	}
	const cJSON *ovpn = section(c, "openvpn");
	if (ovpn)
		ev(o, "tunnel_address", "%s", nstr(ovpn, "local_ip") ? str(ovpn, "local_ip") : "none assigned");
}

static void rule_vpn_app_conflict(const struct rctx *c, struct rout *o)
{
	const cJSON *cf = section(c, "conflicts");
	const cJSON *it;
	char first[256] = "";
	size_t n = 0;

	if (!cf)
		return;
	cJSON_ArrayForEach(it, arr(cf, "links")) {
		const char *name = nstr(it, "name");
		if (!name)
			continue;
		char k[32], d[256];
		snprintf(d, sizeof(d), "%s link %s", nstr(it, "kind") ? str(it, "kind") : "VPN", name);
		snprintf(k, sizeof(k), "link_%zu", ++n);
		ev(o, k, "%s", d);
		if (n == 1)
			snprintf(first, sizeof(first), "%s", d);
	}
	cJSON_ArrayForEach(it, arr(cf, "processes")) {
		const char *name = nstr(it, "name");
		double pid = 0;
		if (!name)
			continue;
		char k[32], d[256];
		if (num(it, "pid", &pid))
			snprintf(d, sizeof(d), "process %s (pid %.0f)", name, pid);
		else
			snprintf(d, sizeof(d), "process %s", name);
		snprintf(k, sizeof(k), "process_%zu", ++n);
		ev(o, k, "%s", d);
		if (n == 1)
			snprintf(first, sizeof(first), "%s", d);
	}
	cJSON_ArrayForEach(it, arr(cf, "routes")) {
		const char *pfx = nstr(it, "prefix");
		if (!pfx)
			continue;
		char k[32], d[256];
		snprintf(d, sizeof(d), "route %s via %s", pfx, nstr(it, "dev") ? str(it, "dev") : "?");
		snprintf(k, sizeof(k), "route_%zu", ++n);
		ev(o, k, "%s", d);
		if (n == 1)
			snprintf(first, sizeof(first), "%s", d);
	}
	if (!n)
		return;
	fire(o, VD_SEV_WARNING, "another VPN is active: %s", first);
	and_more(o, n - 1);
}

/* ICMP path figures usable for judging: enough samples and at least one
 * answer (all lost is "no answer", not an unstable path). */
static bool path_measured(const cJSON *path)
{
	double sent, recv;
	return path && num(path, "sent", &sent) && sent >= MIN_SAMPLES && num(path, "received", &recv) &&
	       recv > 0;
}

static void rule_unstable_internet(const struct rctx *c, struct rout *o)
{
	const cJSON *path = section(c, "path");
	const char *addr = nstr(path, "addr") ? str(path, "addr") : "the gateway";
	double loss = 0, jit = 0, rtt = 0;
	bool l, j, r;

	if (!path_measured(path))
		return;
	l = num(path, "loss_pct", &loss) && loss >= PATH_LOSS_PCT;
	j = num(path, "jitter_ms", &jit) && jit >= PATH_JITTER_MS;
	r = num(path, "rtt_avg_ms", &rtt) && rtt >= PATH_RTT_MS;
	if (!l && !j && !r)
		return;
	if (l)
		fire(o, VD_SEV_WARNING, "%.1f%% of packets to %s are lost outside the tunnel (%.0f ms round trip, %.0f ms jitter)",
		     loss, addr, rtt, jit);
	else if (j)
		fire(o, VD_SEV_WARNING, "the path to %s outside the tunnel has %.0f ms of jitter (%.0f ms round trip)",
		     addr, jit, rtt);
	else
		fire(o, VD_SEV_WARNING, "the path to %s outside the tunnel takes %.0f ms round trip", addr, rtt);
	ev(o, "gateway", "%s", addr);
	ev_field(o, "sent", path, "sent");
	ev_field(o, "received", path, "received");
	ev_field(o, "loss_pct", path, "loss_pct");
	ev_field(o, "rtt_avg_ms", path, "rtt_avg_ms");
	ev_field(o, "jitter_ms", path, "jitter_ms");
	if (nstr(path, "method"))
		ev(o, "method", "%s", str(path, "method"));
	double pr = event_count(section(c, "openvpn"), VD_LOG_PING_RESTART);
	if (pr > 0)
		ev_num(o, "log_ping_restarts", pr);
}

static void rule_long_distance_udp(const struct rctx *c, struct rout *o)
{
	const cJSON *path = section(c, "path");
	const cJSON *ovpn = section(c, "openvpn");
	const char *proto = tunnel_proto(c);
	double rtt, loss = 0, rec = 0, pr;

	if (!proto || strcmp(proto, "udp") != 0 || !path_measured(path) || !num(path, "rtt_avg_ms", &rtt) ||
	    rtt < LONG_RTT_MS)
		return;
	num(path, "loss_pct", &loss);
	num(ovpn, "reconnects", &rec);
	pr = event_count(ovpn, VD_LOG_PING_RESTART);
	/* Distance alone is fine; distance with drops or loss is the FAQ's case. */
	if (loss <= 0 && rec < 1 && pr < 1)
		return;
	fire(o, VD_SEV_WARNING,
	     "the UDP tunnel to %s runs over a %.0f ms round trip with %.1f%% loss and %.0f reconnects in "
	     "10 minutes",
	     nstr(path, "addr") ? str(path, "addr") : "the gateway", rtt, loss, rec);
	ev(o, "proto", "udp");
	ev_num(o, "rtt_avg_ms", rtt);
	ev_num(o, "loss_pct", loss);
	ev_num(o, "reconnects", rec);
	if (pr > 0)
		ev_num(o, "log_ping_restarts", pr);
}

/* One pushed-options field as text, for comparing sessions. */
static void pushed_field(const cJSON *p, const char *key, char *buf, size_t len)
{
	const cJSON *v = p ? cJSON_GetObjectItemCaseSensitive(p, key) : NULL;
	if (cJSON_IsArray(v))
		join(v, buf, len);
	else if (cJSON_IsString(v))
		snprintf(buf, len, "%s", v->valuestring);
	else
		buf[0] = '\0';
}

static void rule_server_config_changed(const struct rctx *c, struct rout *o)
{
	static const char *const fields[] = {"routes", "dns", "domain", "topology", "cipher"};
	const cJSON *ovpn = section(c, "openvpn");
	const cJSON *now_p = obj(ovpn, "pushed"), *was = obj(ovpn, "previous_pushed");
	double reset = event_count(ovpn, VD_LOG_SERVER_RESET);
	double changed = event_count(ovpn, VD_LOG_PULLED_CHANGED);
	size_t n = 0;
	char first[600] = "";

	if (!ovpn)
		return;
	if (now_p && was) {
		for (size_t i = 0; i < VD_ARRAY_SIZE(fields); i++) {
			char a[256], b[256];
			pushed_field(was, fields[i], a, sizeof(a));
			pushed_field(now_p, fields[i], b, sizeof(b));
			if (strcmp(a, b) == 0)
				continue;
			ev(o, fields[i], "%s -> %s", *a ? a : "(none)", *b ? b : "(none)");
			if (!n++)
				snprintf(first, sizeof(first), "%s %s -> %s", fields[i], *a ? a : "(none)",
				         *b ? b : "(none)");
		}
	}
	if (reset > 0)
		ev_num(o, "log_server_resets", reset);
	if (changed > 0)
		ev_num(o, "log_pulled_options_changed", changed);
	if (n)
		fire(o, VD_SEV_INFO, "the server pushed different options in the new session: %s%s", first,
		     n > 1 ? " (and more)" : "");
	else if (reset > 0)
		fire(o, VD_SEV_INFO, "the server reset the session %.0f time%s in the last 10 minutes", reset,
		     reset == 1 ? "" : "s");
	else if (changed > 0)
		fire(o, VD_SEV_INFO, "the options pulled from the server changed on restart");
}

static void rule_client_exception(const struct rctx *c, struct rout *o)
{
	const cJSON *ovpn = section(c, "openvpn");
	const char *state = str(ovpn, "state");
	const char *reason = nstr(ovpn, "state_reason");
	const cJSON *tun = obj(ovpn, "tun");
	double pid = 0, rec = 0, tunerr;

	if (!ovpn)
		return;
	num(ovpn, "pid", &pid);
	num(ovpn, "reconnects", &rec);
	tunerr = event_count(ovpn, VD_LOG_TUN_ERROR);
	if (reason)
		ev(o, "state_reason", "%s", reason);
	if (state)
		ev(o, "state", "%s", state);
	if (is_true(ovpn, "crashed")) {
		if (pid > 0) {
			fire(o, VD_SEV_ERROR, "the OpenVPN client (pid %.0f) crashed", pid);
			ev_num(o, "pid", pid);
		} else {
			fire(o, VD_SEV_ERROR, "the OpenVPN client crashed");
		}
	} else if (state && strcmp(state, "exited") == 0 && !(reason && (strcasestr(reason, "sigterm") ||
	                                                              strcasestr(reason, "sigint") ||
	                                                              strcasestr(reason, "user")))) {
		/* A stop the user asked for (SIGTERM/SIGINT) is no fault. */
		fire(o, VD_SEV_ERROR, "the OpenVPN client exited%s%s%s", reason ? " (" : "", reason ? reason : "",
		     reason ? ")" : "");
	} else if (state && strcmp(state, "connected") == 0 && is_false(tun, "present")) {
		fire(o, VD_SEV_ERROR, "OpenVPN says it is connected but its tun device %s is gone",
		     nstr(tun, "name") ? str(tun, "name") : "");
	} else if (state && strcmp(state, "reconnecting") == 0 && rec >= REPEAT_MIN) {
		fire(o, VD_SEV_ERROR, "the OpenVPN client loops reconnecting: %.0f restarts in 10 minutes%s%s%s",
		     rec, reason ? " (last: " : "", reason ? reason : "", reason ? ")" : "");
		ev_num(o, "reconnects", rec);
	} else if (tunerr > 0) {
		fire(o, VD_SEV_ERROR, "OpenVPN cannot open its tun device (%.0f errors in 10 minutes)", tunerr);
	}
	if (tunerr > 0)
		ev_num(o, "log_tun_errors", tunerr);
}

static void rule_clock_skew(const struct rctx *c, struct rout *o)
{
	const cJSON *clk = host_clock(c);
	const char *server = nstr(clk, "server") ? str(clk, "server") : "the NTP server";
	double off, a;

	if (!clk || !num(clk, "offset_s", &off))
		return;
	a = off < 0 ? -off : off;
	if (a <= CLOCK_WARN_S)
		return;
	/* offset = server time - local time: positive means the local clock is behind. */
	if (a > CLOCK_ERROR_S)
		fire(o, VD_SEV_ERROR, "the clock is %.0f s %s %s (more than the 600 s the VPN tolerates)", a,
		     off > 0 ? "behind" : "ahead of", server);
	else
		fire(o, VD_SEV_WARNING, "the clock is %.0f s %s %s (more than 60 s; the VPN fails beyond 600 s)",
		     a, off > 0 ? "behind" : "ahead of", server);
	ev(o, "server", "%s", server);
	ev_num(o, "offset_s", off);
	ev_field(o, "delay_s", clk, "delay_s");
	bool uns;
	if (boolean(clk, "kernel_unsynced", &uns))
		ev(o, "kernel_unsynced", "%s", uns ? "true" : "false");
}

static void rule_icmp_blocked_locally(const struct rctx *c, struct rout *o)
{
	const cJSON *fw = section(c, "firewall");
	const cJSON *rf = section(c, "reflector");
	const char *rule = nstr(fw, "rule");

	if (!fw || !is_true(fw, "icmp_in_blocked"))
		return;
	fire(o, VD_SEV_WARNING, "the local firewall drops inbound ICMP echo requests%s%s%s", rule ? " (" : "",
	     rule ? rule : "", rule ? ")" : "");
	if (rule)
		ev(o, "rule", "%s", rule);
	if (rf) {
		ev_field(o, "reflector_sent", rf, "sent");
		ev_field(o, "reflector_received", rf, "received");
	}
}

/* Per-host ping figures usable: enough echoes sent. */
static bool ping_measured(const cJSON *h)
{
	double sent;
	return h && num(h, "sent", &sent) && sent >= 1;
}

static double ping_loss(const cJSON *h)
{
	double loss, sent, recv;
	if (num(h, "loss_pct", &loss))
		return loss;
	if (num(h, "sent", &sent) && sent > 0 && num(h, "received", &recv))
		return 100.0 * (sent - recv) / sent;
	return -1;
}

static void rule_asymmetric_path(const struct rctx *c, struct rout *o)
{
	const cJSON *rf = section(c, "reflector"), *pg = section(c, "ping");
	const cJSON *fw = section(c, "firewall"), *rt = section(c, "routes");
	const cJSON *it, *answering = NULL;
	double rloss, sent;
	bool routed = false;

	if (!rf || !pg || !fw || !rt || !is_false(fw, "icmp_in_blocked"))
		return;
	if (!num(rf, "sent", &sent) || sent < 1 || (rloss = ping_loss(rf)) < ONE_WAY_LOSS_PCT)
		return;
	/* The client's way: a VPC target (or the server end) answers. */
	cJSON_ArrayForEach(it, arr(pg, "targets")) {
		if (ping_measured(it) && ping_loss(it) < ONE_WAY_LOSS_PCT) {
			answering = it;
			break;
		}
	}
	if (!answering)
		return;
	/* "With routes in place": every target routes through the tunnel. */
	cJSON_ArrayForEach(it, arr(rt, "targets")) {
		if (!is_true(it, "via_tunnel"))
			return;
		routed = true;
	}
	if (!routed)
		return;
	fire(o, VD_SEV_WARNING,
	     "%s answers the client's pings (%.0f%% loss) but %.0f%% of the VPC's pings back to the client "
	     "are lost, and the client's firewall lets them in",
	     str(answering, "addr") ? str(answering, "addr") : "a VPC target", ping_loss(answering), rloss);
	ev_num(o, "client_to_vpc_loss_pct", ping_loss(answering));
	ev_num(o, "vpc_to_client_loss_pct", rloss);
	const char *seen = nstr(rf, "source_seen");
	const char *local = nstr(section(c, "openvpn"), "local_ip");
	if (seen)
		ev(o, "source_seen", "%s", seen);
	if (seen && local && strcmp(seen, local) != 0)
		ev(o, "nat", "the VPC sees %s instead of the tunnel address %s", seen, local);
}

/* One DNS server routed outside the tunnel (a lookup with "addr", "dev" and
 * "via_tunnel"): the n-th in the evidence, the first in the summary. */
static void dns_outside(struct rout *o, const cJSON *it, size_t *n)
{
	const char *a = nstr(it, "addr");
	const char *dev = nstr(it, "dev") ? str(it, "dev") : "?";
	char k[32];

	if (!a || !is_false(it, "via_tunnel"))
		return;
	snprintf(k, sizeof(k), "server_%zu", ++*n);
	ev(o, k, "%s routed through %s", a, dev);
	if (*n == 1)
		fire(o, VD_SEV_ERROR, "the tunnel's DNS server %s is routed through %s, not the tunnel", a, dev);
}

static void rule_dns_no_route(const struct rctx *c, struct rout *o)
{
	const cJSON *rt = section(c, "routes"), *dns = section(c, "dns");
	const cJSON *it;
	size_t n = 0;

	cJSON_ArrayForEach(it, arr(rt, "dns"))
		dns_outside(o, it, &n);
	/* Servers the routes probe did not look up (learnt from systemd-resolved
	 * or resolv.conf rather than pushed): the dns probe's own lookup. */
	cJSON_ArrayForEach(it, arr(dns, "servers")) {
		const char *a = nstr(it, "addr");
		const cJSON *seen;
		bool dup = false;

		if (!a)
			continue;
		cJSON_ArrayForEach(seen, arr(rt, "dns"))
			dup |= nstr(seen, "addr") && strcmp(str(seen, "addr"), a) == 0;
		if (!dup)
			dns_outside(o, it, &n);
	}
	/* Routed into the tunnel but silent: every query timed out. */
	cJSON_ArrayForEach(it, arr(dns, "servers")) {
		const char *a = nstr(it, "addr");
		const cJSON *r, *res = obj(it, "results");
		size_t total = 0, silent = 0;

		if (!a || !is_true(it, "via_tunnel"))
			continue;
		cJSON_ArrayForEach(r, res) {
			if (!cJSON_IsString(r))
				continue;
			total++;
			if (strcmp(r->valuestring, "timeout") == 0)
				silent++;
		}
		if (!total || silent < total)
			continue;
		char k[32];
		snprintf(k, sizeof(k), "server_%zu", ++n);
		ev(o, k, "%s through the tunnel: %zu of %zu queries timed out", a, silent, total);
		if (n == 1)
			fire(o, VD_SEV_ERROR, "the tunnel's DNS server %s does not answer: %zu of %zu queries timed out",
			     a, silent, total);
	}
	if (n)
		and_more(o, n - 1);
}

static bool covered(const struct vd_prefix *t, const cJSON *routes)
{
	const cJSON *it;
	struct vd_prefix p;

	cJSON_ArrayForEach(it, routes) {
		if (cJSON_IsString(it) && prefix(it->valuestring, &p) && vd_prefix_contains(&p, t))
			return true;
	}
	return false;
}

static void rule_local_network_missing(const struct rctx *c, struct rout *o)
{
	const cJSON *rt = section(c, "routes");
	const cJSON *pushed = arr(rt, "pushed_routes");
	const cJSON *it;
	size_t n = 0;
	char list[256];

	cJSON_ArrayForEach(it, arr(rt, "targets")) {
		const char *a = nstr(it, "addr");
		const char *dev = nstr(it, "dev") ? str(it, "dev") : "?";
		struct vd_prefix t;

		if (!a || !is_false(it, "via_tunnel"))
			continue;
		/* A target a pushed route covers that still leaves elsewhere is taken
		 * by a more specific local route: that is ip-conflict or another VPN. */
		if (pushed && prefix(a, &t) && covered(&t, pushed))
			continue;
		char k[32];
		snprintf(k, sizeof(k), "target_%zu", ++n);
		ev(o, k, "%s routed through %s", a, dev);
		if (n == 1)
			fire(o, VD_SEV_ERROR, "no pushed route covers the VPC target %s: it leaves through %s, not the tunnel",
			     a, dev);
	}
	if (!n)
		return;
	and_more(o, n - 1);
	join(pushed, list, sizeof(list));
	ev(o, "pushed_routes", "%s", pushed ? (*list ? list : "(none)") : "unknown");
}

static void rule_local_network_overlap(const struct rctx *c, struct rout *o)
{
	const cJSON *rt = section(c, "routes"), *cl = cloud(c);
	const cJSON *it;
	struct vd_prefix tun, cc, p;
	size_t n = 0;

	/* Pushed routes over the tunnel's own subnet. Host routes are skipped:
	 * net30 servers push a /32 to their own tunnel address, harmless. */
	if (prefix(str(rt, "tunnel_subnet"), &tun)) {
		cJSON_ArrayForEach(it, arr(rt, "pushed_routes")) {
			if (!cJSON_IsString(it) || !prefix(it->valuestring, &p) ||
			    p.len == (p.family == AF_INET ? 32u : 128u) || !vd_prefix_overlaps(&p, &tun))
				continue;
			char k[32];
			snprintf(k, sizeof(k), "overlap_%zu", ++n);
			ev(o, k, "pushed route %s overlaps the tunnel subnet %s", it->valuestring,
			   str(rt, "tunnel_subnet"));
			if (n == 1)
				fire(o, VD_SEV_ERROR, "the pushed route %s overlaps the tunnel's own subnet %s",
				     it->valuestring, str(rt, "tunnel_subnet"));
		}
	}
	/* The cloud profile's Local Network against its Client CIDR. */
	if (prefix(str(cl, "client_cidr"), &cc)) {
		cJSON_ArrayForEach(it, arr(cl, "local_networks")) {
			if (!cJSON_IsString(it) || !prefix(it->valuestring, &p) || !vd_prefix_overlaps(&p, &cc))
				continue;
			char k[32];
			snprintf(k, sizeof(k), "overlap_%zu", ++n);
			ev(o, k, "local network %s overlaps the client CIDR %s", it->valuestring,
			   str(cl, "client_cidr"));
			if (n == 1)
				fire(o, VD_SEV_ERROR, "the Local Network %s overlaps the Client CIDR %s", it->valuestring,
				     str(cl, "client_cidr"));
		}
	}
	if (n)
		and_more(o, n - 1);
}

static void rule_ipsec_route_overlap(const struct rctx *c, struct rout *o)
{
	const cJSON *cl = cloud(c), *it;
	struct vd_prefix cc, p;
	size_t n = 0;

	if (!prefix(str(cl, "client_cidr"), &cc))
		return;
	cJSON_ArrayForEach(it, arr(cl, "ipsec_routes")) {
		if (!cJSON_IsString(it) || !prefix(it->valuestring, &p) || !vd_prefix_overlaps(&p, &cc))
			continue;
		char k[32];
		snprintf(k, sizeof(k), "ipsec_route_%zu", ++n);
		ev(o, k, "%s", it->valuestring);
		if (n == 1)
			fire(o, VD_SEV_WARNING, "the IPsec-VPN route %s on the same gateway overlaps the client CIDR %s",
			     it->valuestring, str(cl, "client_cidr"));
	}
	if (!n)
		return;
	and_more(o, n - 1);
	ev(o, "client_cidr", "%s", str(cl, "client_cidr"));
}

static void rule_security_group(const struct rctx *c, struct rout *o)
{
	const cJSON *pg = section(c, "ping"), *rt = section(c, "routes");
	const cJSON *se = obj(pg, "server_end"), *it;
	size_t n = 0;

	if (!pg || !rt || !ping_measured(se) || ping_loss(se) >= 100)
		return;
	cJSON_ArrayForEach(it, arr(pg, "targets")) {
		const char *a = nstr(it, "addr");
		const cJSON *r, *route = NULL;
		double sent = 0, unr = 0;

		if (!a || !ping_measured(it) || ping_loss(it) < 100)
			continue;
		cJSON_ArrayForEach(r, arr(rt, "targets")) {
			if (nstr(r, "addr") && strcmp(str(r, "addr"), a) == 0)
				route = r;
		}
		/* Only a target that routes through the tunnel: else it is a route problem. */
		if (!is_true(route, "via_tunnel"))
			continue;
		num(it, "sent", &sent);
		num(it, "unreachable", &unr);
		char k[32];
		snprintf(k, sizeof(k), "target_%zu", ++n);
		ev(o, k, "%s: %.0f of %.0f lost%s", a, sent, sent, unr > 0 ? ", ICMP unreachable" : "");
		if (n == 1)
			fire(o, VD_SEV_WARNING,
			     "the tunnel's server end %s answers (%.0f%% loss) but %s does not (%.0f of %.0f lost) "
			     "although it is routed through %s",
			     nstr(se, "addr") ? str(se, "addr") : "", ping_loss(se), a, sent, sent,
			     nstr(route, "dev") ? str(route, "dev") : "the tunnel");
	}
	if (n)
		and_more(o, n - 1);
}

static void rule_openvpn_version(const struct rctx *c, struct rout *o)
{
	const cJSON *ovpn = section(c, "openvpn");
	const cJSON *ver = obj(ovpn, "version");
	struct vd_ovpn_version v = {0};
	double ma, mi, pa;
	char why[256];
	enum vd_version_verdict verdict;

	if (!ver)
		return;
	if (nstr(ver, "string") && vd_ovpn_version_parse(str(ver, "string"), &v) == 0) {
		/* parsed: major/minor/patch, suffix and platform */
	} else if (num(ver, "major", &ma) && num(ver, "minor", &mi) && num(ver, "patch", &pa) && ma >= 0 &&
	           mi >= 0 && pa >= 0 && ma < 1000 && mi < 1000 && pa < 1000) {
		v.major = (unsigned)ma;
		v.minor = (unsigned)mi;
		v.patch = (unsigned)pa;
	} else {
		return;
	}
	if (nstr(ver, "platform"))
		snprintf(v.platform, sizeof(v.platform), "%s", str(ver, "platform"));
	verdict = vd_ovpn_version_check(&v, why, sizeof(why));
	if (verdict == VD_VERSION_OK)
		return;
	/* Newer than anything we know is not known to be wrong: say so quietly. */
	fire(o, verdict == VD_VERSION_UNKNOWN ? VD_SEV_INFO : VD_SEV_WARNING, "%s", why);
	ev(o, "version", "%u.%u.%u%s", v.major, v.minor, v.patch, v.suffix);
	if (*v.platform)
		ev(o, "platform", "%s", v.platform);
	ev(o, "verdict", "%s", vd_version_verdict_name(verdict));
}

/* Inside-tunnel figures: the server end, else the first measured target. */
static const cJSON *inside(const cJSON *pg)
{
	const cJSON *se = obj(pg, "server_end"), *it;
	if (ping_measured(se))
		return se;
	cJSON_ArrayForEach(it, arr(pg, "targets")) {
		if (ping_measured(it))
			return it;
	}
	return NULL;
}

/* Echoes and answers over every destination pinged inside the tunnel: they
 * all come back through the same gateway queue, so pooling them is one
 * larger sample of that queue's drops (20 echoes with one target, where a
 * 10-echo burst at 15% drop rate shows no loss one time in five). */
static bool inside_pooled(const cJSON *pg, double *sent, double *recv)
{
	const cJSON *it;
	double s, r;

	*sent = *recv = 0;
	if (ping_measured(obj(pg, "server_end")) && num(obj(pg, "server_end"), "sent", &s) &&
	    num(obj(pg, "server_end"), "received", &r)) {
		*sent += s;
		*recv += r;
	}
	cJSON_ArrayForEach(it, arr(pg, "targets")) {
		if (ping_measured(it) && num(it, "sent", &s) && num(it, "received", &r)) {
			*sent += s;
			*recv += r;
		}
	}
	return *sent > 0;
}

static void add_answering(const cJSON *h, double *sent, double *recv)
{
	double s, r;

	if (ping_measured(h) && num(h, "sent", &s) && num(h, "received", &r) && r > 0) {
		*sent += s;
		*recv += r;
	}
}

/* As inside_pooled, over the destinations that answered at least once. */
static bool inside_answering(const cJSON *pg, double *sent, double *recv)
{
	const cJSON *it;

	*sent = *recv = 0;
	add_answering(obj(pg, "server_end"), sent, recv);
	cJSON_ArrayForEach(it, arr(pg, "targets"))
		add_answering(it, sent, recv);
	return *sent > 0;
}

static void rule_gateway_bandwidth(const struct rctx *c, struct rout *o)
{
	const cJSON *tp = section(c, "throughput"), *pg = section(c, "ping"), *cl = cloud(c);
	const cJSON *path = section(c, "path");
	const cJSON *in = inside(pg);
	double bw, rx = 0, tx = 0, rate, loss = 0, mn = 0, avg = 0, sent, recv, out = 0;
	bool lossy, spread, queued = false;

	if (!tp || !in || !num(cl, "bandwidth_mbps", &bw) || bw <= 0)
		return;
	num(tp, "rx_mbps", &rx);
	num(tp, "tx_mbps", &tx);
	rate = rx > tx ? rx : tx;
	if (rate * 100.0 / bw < BANDWIDTH_PCT)
		return;
	/* Loss: one echo lost in the pooled sample is the queue overflowing; all
	 * lost is a dead tunnel (tunnel-down and the like), not a full queue. */
	if (inside_pooled(pg, &sent, &recv))
		loss = 100.0 * (sent - recv) / sent;
	lossy = recv > 0 && recv < sent;
	num(in, "rtt_min_ms", &mn);
	num(in, "rtt_avg_ms", &avg);
	/* Latency, two ways. A queue that fills and drains within the burst
	 * spreads the echoes (avg well above the burst's own minimum). A queue
	 * held full by a steady transfer delays every echo alike, so the burst's
	 * minimum rises with it: that shows only against a baseline outside the
	 * queue, the path probe's round trip to the gateway outside the tunnel,
	 * which the tunnel should exceed by a few ms (encryption and one hop).
	 * Both use the catalogue's 50 ms: more than Wi-Fi or a busy laptop adds,
	 * and what TUNNEL_EXCESS_MS already calls forwarding delay at the
	 * gateway; a gateway whose own ICMP queues with the tunnel shows equal
	 * delay on both sides and is left to the loss signal. */
	spread = avg - mn >= QUEUE_DELAY_MS;
	if (path_measured(path) && num(path, "rtt_avg_ms", &out) && recv > 0)
		queued = avg - out >= TUNNEL_EXCESS_MS;
	if (!lossy && !spread && !queued)
		return;
	fire(o, VD_SEV_WARNING,
	     "the tunnel carries %.1f Mbit/s, %.0f%% of the gateway's %.0f Mbit/s, with %.1f%% loss and %.0f ms "
	     "average round trip (%.0f ms minimum%s%.0f%s)",
	     rate, rate * 100.0 / bw, bw, loss, avg, mn, queued ? ", " : "", queued ? out : 0.0,
	     queued ? " ms outside the tunnel" : "");
	ev_num(o, "rx_mbps", rx);
	ev_num(o, "tx_mbps", tx);
	ev_num(o, "bandwidth_mbps", bw);
	ev_num(o, "loss_pct", loss);
	ev_num(o, "rtt_avg_ms", avg);
	ev_num(o, "rtt_min_ms", mn);
	if (queued)
		ev_num(o, "rtt_outside_ms", out);
}

static void rule_udp_unreliable(const struct rctx *c, struct rout *o)
{
	const cJSON *pg = section(c, "ping"), *path = section(c, "path");
	const cJSON *in = inside(pg);
	const char *proto = tunnel_proto(c);
	double loss, ploss, sent, recv, s1 = 0;

	if (!proto || strcmp(proto, "udp") != 0 || !in || !path_measured(path) ||
	    !num(path, "loss_pct", &ploss) || ploss >= PATH_CLEAN_PCT)
		return;
	/* Pooled over every destination that answered at all: their answers share
	 * the tunnel, and one 10-echo burst at 25% loss shows none one time in
	 * eighteen, which restarted the grace (20 echoes: one in 300). A host that
	 * answers nothing is a dead tunnel or a blocked host (security-group), not
	 * UDP's unreliability, and stays out of the pool. */
	if (!inside_answering(pg, &sent, &recv) || sent < MIN_SAMPLES)
		return;
	loss = 100.0 * (sent - recv) / sent;
	if (loss < TUNNEL_LOSS_PCT)
		return;
	fire(o, VD_SEV_WARNING,
	     "%.1f%% of packets are lost inside the UDP tunnel (%.0f of %.0f echoes to %s%s) while the path "
	     "to %s outside loses %.1f%%",
	     loss, sent - recv, sent, nstr(in, "addr") ? str(in, "addr") : "the server end",
	     sent > (ping_measured(in) && num(in, "sent", &s1) ? s1 : sent) ? " and the targets" : "",
	     nstr(path, "addr") ? str(path, "addr") : "the gateway", ploss);
	ev(o, "proto", "udp");
	ev_num(o, "inside_loss_pct", (double)(long long)(loss * 10.0 + 0.5) / 10.0);
	ev_num(o, "inside_sent", sent);
	ev_num(o, "inside_received", recv);
	ev_num(o, "outside_loss_pct", ploss);
}

static void rule_gateway_old_version(const struct rctx *c, struct rout *o)
{
	const cJSON *cl = cloud(c), *pg = section(c, "ping"), *path = section(c, "path");
	const cJSON *in = inside(pg);
	const char *created = nstr(cl, "created_on");
	int64_t t, limit;
	double rin, rout_;

	if (!created || vd_parse_time(created, &t) < 0 || vd_parse_time(GATEWAY_NEW_DATE, &limit) < 0 ||
	    t >= limit)
		return;
	if (!in || !path_measured(path) || !num(in, "rtt_avg_ms", &rin) || !num(path, "rtt_avg_ms", &rout_) ||
	    ping_loss(in) >= 100)
		return;
	if (rin - rout_ < TUNNEL_EXCESS_MS)
		return;
	fire(o, VD_SEV_WARNING,
	     "the gateway was created on %s, before 2021-04-01, and the tunnel adds %.0f ms (%.0f ms inside "
	     "against %.0f ms outside)",
	     created, rin - rout_, rin, rout_);
	ev(o, "created_on", "%s", created);
	ev_num(o, "rtt_inside_ms", rin);
	ev_num(o, "rtt_outside_ms", rout_);
}

static void rule_ncp_cipher(const struct rctx *c, struct rout *o)
{
	const cJSON *ovpn = section(c, "openvpn");
	const char *neg = nstr(ovpn, "negotiated_cipher");
	const char *conf = nstr(ovpn, "configured_cipher");
	double dep = event_count(ovpn, VD_LOG_DEPRECATED_CIPHER);

	if (!conf)
		conf = nstr(section(c, "profile"), "cipher");
	profile_problems(c, "ncp-cipher", o);
	if (dep > 0)
		ev_num(o, "log_deprecated_cipher", dep);
	if (neg && conf && strcasecmp(neg, conf) != 0) {
		fire(o, VD_SEV_INFO, "the data channel uses %s, negotiated with the server (NCP), not the configured %s",
		     neg, conf);
		ev(o, "negotiated_cipher", "%s", neg);
		ev(o, "configured_cipher", "%s", conf);
	}
}

static void rule_other(const struct rctx *c, struct rout *o)
{
	static const enum vd_log_event unexplained[] = {
		VD_LOG_AUTH_FAILED, VD_LOG_VERIFY_ERROR, VD_LOG_ROUTE_ERROR, VD_LOG_ERROR_OTHER,
	};
	const cJSON *ovpn = section(c, "openvpn");
	const cJSON *lines = arr(ovpn, "error_lines"), *it;
	const char *last = NULL;
	size_t n = 0;
	double events = 0;

	profile_problems(c, "other", o);
	cJSON_ArrayForEach(it, lines) {
		if (!cJSON_IsString(it) || !*it->valuestring)
			continue;
		char k[32];
		snprintf(k, sizeof(k), "line_%zu", ++n);
		ev(o, k, "%s", it->valuestring);
		last = it->valuestring;
	}
	for (size_t i = 0; i < VD_ARRAY_SIZE(unexplained); i++) {
		double e = event_count(ovpn, unexplained[i]);
		if (e > 0) {
			char k[64];
			snprintf(k, sizeof(k), "log_%s", vd_log_event_name(unexplained[i]));
			ev_num(o, k, e);
			events += e;
		}
	}
	if (o->fired)
		return;
	if (last)
		fire(o, VD_SEV_WARNING, "OpenVPN logged %zu error line%s that match%s no known cause; the last: %s",
		     n, n == 1 ? "" : "s", n == 1 ? "es" : "", last);
	else if (events > 0)
		fire(o, VD_SEV_WARNING, "OpenVPN logged %.0f error%s that match no known cause", events,
		     events == 1 ? "" : "s");
}

static bool failed(const char *res)
{
	return res && (strcmp(res, "timeout") == 0 || strcmp(res, "refused") == 0 || strcmp(res, "error") == 0);
}

/* The tunnel is connected and answers came back through it, measured no
 * earlier than the handshake probe: the gateway is reachable over the
 * tunnel's protocol, whatever one handshake probe saw. Under heavy loss (40%)
 * all three of its UDP tries are lost one run in sixteen; without this a
 * lossy path flapped to udp-blocked or gateway-unreachable (both suppress the
 * loss causes, restarting their grace). */
static bool tunnel_carries(const struct rctx *c)
{
	const cJSON *ovpn = section(c, "openvpn"), *pg = section(c, "ping"), *tr = section(c, "transport");
	const char *state = str(ovpn, "state");
	double sent, recv, pat, tat;

	if (!state || strcmp(state, "connected") != 0 || !inside_pooled(pg, &sent, &recv) || recv <= 0)
		return false;
	/* an answer from before the handshake failed proves nothing about now */
	if (num(pg, "at", &pat) && num(tr, "at", &tat) && pat < tat - SAME_MOMENT_S)
		return false;
	return true;
}

static void rule_udp_blocked(const struct rctx *c, struct rout *o)
{
	const cJSON *tr = section(c, "transport");
	const char *udp = str(obj(tr, "udp"), "result"), *tcp = str(obj(tr, "tcp"), "result");
	const char *proto = tunnel_proto(c);
	double port = 0;

	/* A silent drop, not a refusal: ICMP port-unreachable means nothing
	 * listens on UDP there, which is a server setting, not the network. */
	if (!tr || !udp || !tcp || strcmp(udp, "timeout") != 0 || strcmp(tcp, "answered") != 0)
		return;
	/* A TCP tunnel does not care; a UDP tunnel that carries answers is
	 * itself UDP passing to the gateway. */
	if (proto && strcmp(proto, "tcp") == 0)
		return;
	if (proto && tunnel_carries(c))
		return;
	num(tr, "port", &port);
	fire(o, VD_SEV_ERROR,
	     "the gateway %s answers the OpenVPN handshake on port %.0f over TCP but never over UDP", 
	     nstr(tr, "gateway") ? str(tr, "gateway") : "", port);
	ev(o, "udp", "%s", udp);
	ev(o, "tcp", "%s", tcp);
	ev_field(o, "tcp_rtt_ms", obj(tr, "tcp"), "rtt_ms");
	if (proto)
		ev(o, "tunnel_proto", "%s", proto);
}

static void rule_gateway_unreachable(const struct rctx *c, struct rout *o)
{
	const cJSON *tr = section(c, "transport"), *rt = section(c, "routes"), *path = section(c, "path");
	const cJSON *ovpn = section(c, "openvpn");
	const char *gw = nstr(tr, "gateway");
	double res_err = event_count(ovpn, VD_LOG_RESOLVE_ERROR);

	if (rt && is_false(rt, "default_route") && !nstr(obj(rt, "gateway"), "dev")) {
		fire(o, VD_SEV_ERROR, "the client has no default route and no route to the gateway");
		ev(o, "default_route", "false");
	}
	/* A tunnel that carries answers reaches the gateway. */
	if (tr && !tunnel_carries(c)) {
		const char *udp = str(obj(tr, "udp"), "result"), *tcp = str(obj(tr, "tcp"), "result");
		bool u_tried = udp && strcmp(udp, "skipped") != 0, t_tried = tcp && strcmp(tcp, "skipped") != 0;
		double port = 0, recv = 0;

		num(tr, "port", &port);
		if ((u_tried || t_tried) && (!u_tried || failed(udp)) && (!t_tried || failed(tcp))) {
			ev(o, "udp", "%s", udp ? udp : "unknown");
			ev(o, "tcp", "%s", tcp ? tcp : "unknown");
			if (path && num(path, "received", &recv)) {
				ev_num(o, "ping_received", recv);
				ev_field(o, "ping_sent", path, "sent");
			}
			if (!o->fired) {
				if (path && recv > 0)
					fire(o, VD_SEV_ERROR,
					     "the gateway %s answers ping but not the OpenVPN handshake on port %.0f "
					     "(udp: %s, tcp: %s)",
					     gw ? gw : "", port, udp ? udp : "-", tcp ? tcp : "-");
				else
					fire(o, VD_SEV_ERROR,
					     "nothing answers at the gateway %s: no OpenVPN handshake on port %.0f "
					     "(udp: %s, tcp: %s)%s",
					     gw ? gw : "", port, udp ? udp : "-", tcp ? tcp : "-",
					     path ? " and no reply to ping" : "");
			}
		}
	}
	if (res_err > 0) {
		const char *host = nstr(cJSON_GetArrayItem(arr(section(c, "profile"), "remotes"), 0), "host");
		const char *state = str(ovpn, "state");
		if (!(state && strcmp(state, "connected") == 0)) {
			ev_num(o, "log_resolve_errors", res_err);
			if (!o->fired)
				fire(o, VD_SEV_ERROR, "the gateway's name %s cannot be resolved (%.0f failures in 10 minutes)",
				     host ? host : "in 'remote'", res_err);
		}
	}
}

static void rule_mtu_blackhole(const struct rctx *c, struct rout *o)
{
	const cJSON *m = section(c, "mtu");
	double ok, lost, tun;

	if (!m || !num(m, "largest_ok", &ok) || !num(m, "smallest_lost", &lost) || !num(m, "tun_mtu", &tun) ||
	    ok <= 0 || lost <= ok || lost > tun || !is_false(m, "icmp_error"))
		return;
	fire(o, VD_SEV_WARNING,
	     "packets of %.0f bytes and more are lost in the tunnel without an ICMP error (%.0f pass; the tun "
	     "MTU is %.0f): set tun-mtu %.0f, or mssfix so that TCP segments stay within an MSS of %.0f",
	     lost, ok, tun, ok, ok - 40);
	ev_num(o, "largest_ok", ok);
	ev_num(o, "smallest_lost", lost);
	ev_num(o, "tun_mtu", tun);
	ev_num(o, "suggested_tun_mtu", ok);
	/* IPv4 and TCP headers without options: 40 bytes. */
	ev_num(o, "suggested_tcp_mss", ok - 40);
}

/* ---- the table -------------------------------------------------------------- */

/* One rule per cause, with the facts sections it reads. The table is indexed by
 * the cause (causes.def) and checked against it at compile time: a cause
 * without a rule, a rule for a cause that is not there, or one cause twice
 * fails the build. */
#define VD_RULES(R) \
	R(CONFIG_INVALID, rule_config_invalid, "profile", "openvpn") \
	R(CERT_EXPIRED, rule_cert_expired, "profile", "host.clock", "openvpn") \
	R(TOO_MANY_CLIENTS, rule_too_many_clients, "openvpn", "transport", "profile") \
	R(IP_CONFLICT, rule_ip_conflict, "routes", "cloud") \
	R(CLIENT_CIDR_TOO_SMALL, rule_client_cidr_too_small, "cloud", "openvpn") \
	R(VPN_APP_CONFLICT, rule_vpn_app_conflict, "conflicts") \
	R(UNSTABLE_INTERNET, rule_unstable_internet, "path", "openvpn") \
	R(LONG_DISTANCE_UDP, rule_long_distance_udp, "path", "openvpn", "profile") \
	R(SERVER_CONFIG_CHANGED, rule_server_config_changed, "openvpn") \
	R(CLIENT_EXCEPTION, rule_client_exception, "openvpn") \
	R(CLOCK_SKEW, rule_clock_skew, "host.clock") \
	R(ICMP_BLOCKED_LOCALLY, rule_icmp_blocked_locally, "firewall", "reflector") \
	R(ASYMMETRIC_PATH, rule_asymmetric_path, "reflector", "ping", "firewall", "routes", "openvpn") \
	R(DNS_NO_ROUTE, rule_dns_no_route, "routes", "dns") \
	R(LOCAL_NETWORK_MISSING, rule_local_network_missing, "routes") \
	R(LOCAL_NETWORK_OVERLAP, rule_local_network_overlap, "routes", "cloud") \
	R(IPSEC_ROUTE_OVERLAP, rule_ipsec_route_overlap, "cloud") \
	R(SECURITY_GROUP, rule_security_group, "ping", "routes") \
	R(OPENVPN_VERSION, rule_openvpn_version, "openvpn") \
	R(GATEWAY_BANDWIDTH, rule_gateway_bandwidth, "throughput", "ping", "cloud") \
	R(UDP_UNRELIABLE, rule_udp_unreliable, "ping", "path", "openvpn", "profile") \
	R(GATEWAY_OLD_VERSION, rule_gateway_old_version, "cloud", "ping", "path") \
	R(NCP_CIPHER, rule_ncp_cipher, "openvpn", "profile") \
	R(OTHER, rule_other, "openvpn", "profile") \
	R(UDP_BLOCKED, rule_udp_blocked, "transport", "openvpn", "profile") \
	R(GATEWAY_UNREACHABLE, rule_gateway_unreachable, "transport", "routes", "path", "openvpn", "profile") \
	R(MTU_BLACKHOLE, rule_mtu_blackhole, "mtu")

struct rule {
	void (*fn)(const struct rctx *c, struct rout *o);
	const char *inputs[8];
};

static const struct rule rules[VD_N_CAUSES] = {
#define R(sym, fn_, ...) [VD_CAUSE_##sym] = {.fn = fn_, .inputs = {__VA_ARGS__, NULL}},
	VD_RULES(R)
#undef R
};

/* Every cause has one rule: as many rules as causes, and together they name
 * every cause (an unknown one does not compile: no VD_CAUSE_ for it). */
_Static_assert(VD_N_CAUSES <= 64, "the rule check below counts causes in 64 bits");
#define R(sym, ...) +1
_Static_assert(0 VD_RULES(R) == VD_N_CAUSES, "a cause of causes.def has no rule in VD_RULES (or one too many)");
#undef R
#define R(sym, ...) | (UINT64_C(1) << VD_CAUSE_##sym)
_Static_assert((0 VD_RULES(R)) == (UINT64_MAX >> (64 - VD_N_CAUSES)), "VD_RULES names a cause twice and misses another");
#undef R

static const struct rule *rule_find(const char *cause)
{
	int i = vd_cause_index(cause);
	return i < 0 ? NULL : &rules[i];
}

const char *const *vd_rule_inputs(const char *cause_id)
{
	const struct rule *r = rule_find(cause_id);
	return r ? r->inputs : NULL;
}

/* ---- the engine ------------------------------------------------------------- */

static cJSON *render(const struct vd_cause *cause, struct rout *o, const char *tunnel)
{
	cJSON *f = cJSON_CreateObject(), *sy;

	if (!f)
		return NULL;
	if (!cJSON_AddStringToObject(f, "cause", cause->id) ||
	    !cJSON_AddStringToObject(f, "severity", vd_severity_name(o->sev)) ||
	    !cJSON_AddStringToObject(f, "title", cause->title) || !cJSON_AddStringToObject(f, "summary", o->summary))
		goto fail;
	if (!o->evidence && !(o->evidence = cJSON_CreateObject()))
		goto fail;
	cJSON_AddItemToObject(f, "evidence", o->evidence);
	o->evidence = NULL;
	if (!cJSON_AddStringToObject(f, "remedy", cause->remedy) || !(sy = cJSON_AddArrayToObject(f, "symptoms")))
		goto fail;
	for (size_t i = 0; cause->symptoms[i]; i++) {
		cJSON *s = cJSON_CreateString(cause->symptoms[i]);
		if (!s)
			goto fail;
		cJSON_AddItemToArray(sy, s);
	}
	if (!cJSON_AddStringToObject(f, "tunnel", tunnel))
		goto fail;
	return f;
fail:
	cJSON_Delete(f);
	return NULL;
}

static bool is_immune(const struct rout *o, const char *cause)
{
	for (size_t i = 0; i < o->n_immune; i++)
		if (strcmp(o->immune[i], cause) == 0)
			return true;
	return false;
}

static int run_tunnel(const struct rctx *c, const char *name, bool keep, cJSON *out)
{
	/* one per cause, indexed like vd_causes and rules */
	struct rout res[VD_N_CAUSES];
	int r = 0;

	memset(res, 0, sizeof(res));
	for (size_t i = 0; i < VD_N_CAUSES; i++) {
		rules[i].fn(c, &res[i]);
		if (res[i].err) {
			r = res[i].err;
			goto out;
		}
	}
	/* Suppression looks at what fired, suppressed or not: the matrix has no
	 * cycles, so the result does not depend on evaluation order. A finding
	 * below its cause's catalogue severity (a clock 95 s off, a certificate
	 * that expires next week, a deprecated option) does not break the tunnel
	 * and so explains nothing away. */
	for (size_t i = 0; i < VD_N_CAUSES; i++) {
		const struct vd_cause *cause = &vd_causes[i];
		const char *by = NULL;
		cJSON *f;

		if (!res[i].fired)
			continue;
		for (size_t k = 0; cause->suppressed_by[k] && !by; k++) {
			int j = vd_cause_index(cause->suppressed_by[k]);
			if (j >= 0 && res[j].fired && res[j].sev >= vd_causes[j].severity &&
			    !is_immune(&res[i], cause->suppressed_by[k]))
				by = cause->suppressed_by[k];
		}
		if (by && !keep)
			continue;
		if (!(f = render(cause, &res[i], name))) {
			r = -ENOMEM;
			goto out;
		}
		if (by && !cJSON_AddStringToObject(f, "suppressed_by", by)) {
			cJSON_Delete(f);
			r = -ENOMEM;
			goto out;
		}
		cJSON_AddItemToArray(out, f);
	}
out:
	for (size_t i = 0; i < VD_ARRAY_SIZE(res); i++)
		cJSON_Delete(res[i].evidence);
	return r;
}

int vd_rules_run(const cJSON *facts, bool keep_suppressed, cJSON **ret)
{
	const cJSON *tunnels = arr(facts, "tunnels"), *t;
	struct rctx c = {.facts = facts, .host = obj(facts, "host")};
	cJSON *out;
	double now;
	size_t idx = 0;

	if (!cJSON_IsObject(facts) || !tunnels || !ret)
		return -EINVAL;
	if (num(facts, "now", &now) && now > -1e12 && now < 1e12) {
		c.have_now = true;
		c.now = (int64_t)now;
	}
	if (!(out = cJSON_CreateArray()))
		return -ENOMEM;
	cJSON_ArrayForEach(t, tunnels) {
		char name[32];
		const char *tn = nstr(t, "name");

		idx++;
		if (!cJSON_IsObject(t))
			continue;
		if (!tn) {
			snprintf(name, sizeof(name), "tunnel%zu", idx);
			tn = name;
		}
		c.tunnel = t;
		int r = run_tunnel(&c, tn, keep_suppressed, out);
		if (r < 0) {
			cJSON_Delete(out);
			return r;
		}
	}
	*ret = out;
	return 0;
}

enum vd_severity vd_findings_worst(const cJSON *findings)
{
	enum vd_severity worst = VD_SEV_NONE, s;
	const cJSON *f;

	cJSON_ArrayForEach(f, findings) {
		if (cJSON_GetObjectItemCaseSensitive(f, "suppressed_by"))
			continue;
		if (vd_severity_parse(str(f, "severity"), &s) == 0 && s > worst)
			worst = s;
	}
	return worst;
}
