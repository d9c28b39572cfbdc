/* fake_openvpn: what a local user can start to look like an OpenVPN client
 * (issue 16 items 1 and 2): copied to a file named "openvpn", its process has
 * the comm and the command line discovery looks for (openvpn --config FILE
 * ...), /proc/PID/exe is this program, and it does nothing but wait for a
 * signal. Run with --version anywhere (as a daemon that executes a client's
 * binary would), it writes the marker file PATH.version-ran beside itself
 * (PATH: its own /proc/self/exe, the marker saying who ran it), prints an
 * OpenVPN-like version line and exits.
 *
 * With --children N it first forks N children that do the same, each a
 * process of its own with this command line (a user starting many clients;
 * they die with it).
 *
 *   cp fake_openvpn DIR/openvpn && DIR/openvpn --config FILE */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--version") == 0) {
			char self[PATH_MAX], marker[PATH_MAX + 16];
			ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
			int fd;

			if (n > 0) {
				self[n] = '\0';
				snprintf(marker, sizeof(marker), "%s.version-ran", self);
				fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
				if (fd >= 0) {
					dprintf(fd, "uid %u\n", (unsigned)geteuid());
					close(fd);
				}
			}
			printf("OpenVPN 2.6.14 x86_64-pc-linux-gnu [SSL (OpenSSL)] [fake]\n");
			return 0;
		}
	}
	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--children") != 0)
			continue;
		for (long n = strtol(argv[i + 1], NULL, 10); n > 0; n--) {
			pid_t c = fork();
			if (c < 0)
				return 1;
			if (c == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				break;
			}
		}
		break;
	}
	signal(SIGTERM, SIG_DFL);
	for (;;)
		pause();
}
