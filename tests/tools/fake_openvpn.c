/* fake_openvpn: what a local user can start to look like an OpenVPN client
 * (issue 16 item 2): copied to a file named "openvpn", its process has the
 * comm and the command line discovery looks for (openvpn --config FILE ...)
 * and does nothing but wait for a signal. With --version anywhere it prints
 * an OpenVPN-like version line and exits, so that a daemon that still runs
 * a discovered binary to learn its version is not held up by it.
 *
 *   cp fake_openvpn DIR/openvpn && DIR/openvpn --config FILE */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--version") == 0) {
			printf("OpenVPN 2.6.0 x86_64-pc-linux-gnu [fake]\n");
			return 0;
		}
	signal(SIGTERM, SIG_DFL);
	for (;;)
		pause();
}
