/* ovpn_hello: sends one OpenVPN hard reset built by lib/ovpn_wire.c to a
 * server and classifies the answer, for tests against a real openvpn.
 *
 *   ovpn_hello udp|tcp ADDR PORT [--tls-auth FILE [--key-direction 0|1]
 *              [--auth DIGEST]] [--tls-crypt FILE] [--timeout MS]
 *              [--sid HEX16] [--dump]
 *
 * Prints "RESULT bytes=N rtt_ms=X" and exits 0 when answered, prints
 * "timeout" and exits 2 when nothing came, "refused" and exits 3 on
 * ECONNREFUSED, the reply kind and exits 4 for any other answer, 1 on errors.
 * --sid fixes our session id (default random); --dump also prints the reply
 * packet in hex (what the unit tests keep as a real server's vectors). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "vpndoctor/common.h"
#include "vpndoctor/ovpn_wire.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int read_key(const char *path, struct vd_ovpn_static_key *k)
{
	char buf[8192];
	size_t n;
	FILE *f = fopen(path, "re");
	int r;

	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	r = vd_ovpn_static_key_parse(buf, n, k);
	return r;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: ovpn_hello udp|tcp ADDR PORT [--tls-auth FILE] "
			"[--key-direction 0|1] [--auth DIGEST] [--tls-crypt FILE] [--timeout MS] "
			"[--sid HEX16] [--dump]\n");
	exit(1);
}

int main(int argc, char **argv)
{
	struct vd_ovpn_wrap w = {.mode = VD_OVPN_WRAP_NONE, .key_dir = VD_OVPN_KEYDIR_BIDI};
	uint8_t sid[VD_OVPN_SID_LEN], pkt[VD_OVPN_RESET_MAX], in[65536 + 2];
	struct sockaddr_storage ss = {0};
	struct vd_ovpn_reply rep;
	uint64_t port, timeout_ms = 3000;
	size_t len, have = 0;
	socklen_t slen;
	bool tcp, dump = false, fixed_sid = false;
	double t0, deadline;
	int fd, r;

	if (argc < 4)
		usage();
	if (strcmp(argv[1], "udp") && strcmp(argv[1], "tcp"))
		usage();
	tcp = strcmp(argv[1], "tcp") == 0;
	if (vd_parse_u64(argv[3], 1, 65535, &port) < 0)
		usage();
	if (inet_pton(AF_INET, argv[2], &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		slen = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, argv[2], &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		slen = sizeof(struct sockaddr_in6);
	} else {
		usage();
	}
	for (int i = 4; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(opt, "--dump")) {
			dump = true;
			continue;
		}
		if (!val)
			usage();
		i++;
		if (!strcmp(opt, "--tls-auth") || !strcmp(opt, "--tls-crypt")) {
			w.mode = opt[6] == 'a' ? VD_OVPN_WRAP_AUTH : VD_OVPN_WRAP_CRYPT;
			r = read_key(val, &w.key);
			if (r < 0) {
				fprintf(stderr, "ovpn_hello: %s: %s\n", val, strerror(-r));
				return 1;
			}
		} else if (!strcmp(opt, "--key-direction")) {
			w.key_dir = !strcmp(val, "0") ? VD_OVPN_KEYDIR_0
				    : !strcmp(val, "1") ? VD_OVPN_KEYDIR_1
							: VD_OVPN_KEYDIR_BIDI;
		} else if (!strcmp(opt, "--auth")) {
			snprintf(w.digest, sizeof(w.digest), "%s", val);
		} else if (!strcmp(opt, "--sid")) {
			if (strlen(val) != 2 * sizeof(sid))
				usage();
			for (size_t j = 0; j < sizeof(sid); j++) {
				int hi = nibble(val[2 * j]), lo = nibble(val[2 * j + 1]);

				if (hi < 0 || lo < 0)
					usage();
				sid[j] = (uint8_t)(hi << 4 | lo);
			}
			fixed_sid = true;
		} else if (!strcmp(opt, "--timeout")) {
			if (vd_parse_u64(val, 1, 600000, &timeout_ms) < 0)
				usage();
		} else {
			usage();
		}
	}
	if (!fixed_sid && RAND_bytes(sid, sizeof(sid)) != 1)
		return 1;
	r = vd_ovpn_reset_build(&w, sid, 1, (uint32_t)time(NULL), tcp, pkt, sizeof(pkt), &len);
	if (r < 0) {
		fprintf(stderr, "ovpn_hello: build: %s\n", strerror(-r));
		return 1;
	}
	fd = socket(ss.ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, slen) < 0) {
		if (errno == ECONNREFUSED) {
			printf("refused\n");
			return 3;
		}
		perror("ovpn_hello: connect");
		return 1;
	}
	t0 = now_ms();
	deadline = t0 + (double)timeout_ms;
	if (send(fd, pkt, len, 0) != (ssize_t)len) {
		perror("ovpn_hello: send");
		return 1;
	}
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		const uint8_t *p = in;
		size_t plen;
		double left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left + 1) == 0) {
			printf("timeout\n");
			return 2;
		}
		n = recv(fd, in + have, sizeof(in) - have, 0);
		if (n < 0 && errno == ECONNREFUSED) {
			printf("refused\n");
			return 3;
		}
		if (n < 0) {
			perror("ovpn_hello: recv");
			return 1;
		}
		if (n == 0) {
			printf("closed\n");
			return 2;
		}
		plen = (size_t)n;
		if (tcp) {
			have += (size_t)n;
			r = vd_ovpn_tcp_unframe(in, have, &p, &plen);
			if (r == -EAGAIN)
				continue;
			if (r < 0) {
				printf("not-openvpn\n");
				return 4;
			}
		}
		r = vd_ovpn_reply_parse(&w, sid, p, plen, &rep);
		if (r < 0) {
			fprintf(stderr, "ovpn_hello: parse: %s\n", strerror(-r));
			return 1;
		}
		printf("%s bytes=%zu opcode=%u acks=%u rtt_ms=%.3f\n", vd_ovpn_reply_kind_name(rep.kind),
		       plen, rep.opcode, rep.n_acks, now_ms() - t0);
		if (dump) {
			for (size_t j = 0; j < plen; j++)
				printf("%02x", p[j]);
			printf("\n");
		}
		close(fd);
		return rep.kind == VD_OVPN_REPLY_ANSWERED ? 0 : 4;
	}
}
