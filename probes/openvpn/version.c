/* The openvpn probe: the version of the binary the process runs. Never by
 * running it (a user's program, as root): the management interface's answer,
 * the log's banner, the binary's bytes, else the installed package. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ov.h"
#include "vpndoctor/principal.h"
#include "vpndoctor/profile.h"
#include "vpndoctor/version.h"

#define OV_EXE_WINDOW (256 * 1024) /* a binary is scanned for its title in windows of this */
#define OV_EXE_MAX (64 * 1024 * 1024) /* and no further (the privileged parent's bound too) */
#define OV_DPKG_STATUS "/var/lib/dpkg/status"
#define OV_DPKG_MAX (64 * 1024 * 1024)

void ov_set_version(struct ov_state *st, const char *title, unsigned rank, const char *src)
{
	char buf[sizeof(st->version)];
	struct vd_ovpn_version v;

	CLEAN(buf, title);
	if (rank < st->version_rank || vd_ovpn_version_parse(buf, &v) < 0)
		return;
	st->version_rank = rank;
	st->version_src = src;
	if (strcmp(st->version, buf) != 0) {
		if (rank >= VR_BINARY)
			probe_log(LOG_INFO, "openvpn on %s: pid %d runs '%s' (from its %s)", st->name, (int)st->pid, buf, src);
		SCPY(st->version, buf);
		ov_changed(st);
	}
}
/* ---- the version ------------------------------------------------------------------ */

/* The binary's title string, read from its bytes (never run: the binary is
 * whatever the process's user put there): /proc/PID/exe opened as the
 * process's principal, scanned in windows that overlap by a title's length.
 * Once per binary (its inode and mtime). */
static int exe_title(struct ov_state *st, char *out, size_t size, char *path, size_t path_size)
{
	const struct vd_proc_id who = who_of(st);
	struct stat sb;
	char *buf;
	off_t off = 0;
	int fd, r;

	path[0] = '\0';
	r = probe_proc(&who, PROBE_PROC_EXE, &fd);
	if (r < 0)
		return r;
	if (vd_fd_path(fd, path, path_size) < 0)
		path[0] = '\0';
	if (fstat(fd, &sb) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (st->exe_seen && sb.st_dev == st->exe_dev && sb.st_ino == st->exe_ino &&
	    sb.st_mtim.tv_sec == st->exe_mtime.tv_sec && sb.st_mtim.tv_nsec == st->exe_mtime.tv_nsec) {
		close(fd);
		return -EALREADY;
	}
	st->exe_seen = true;
	st->exe_dev = sb.st_dev;
	st->exe_ino = sb.st_ino;
	st->exe_mtime = sb.st_mtim;
	buf = malloc(OV_EXE_WINDOW + VD_OVPN_TITLE_MAX);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	r = -ENOENT;
	while (off < (off_t)OV_EXE_MAX) {
		ssize_t n = pread(fd, buf, OV_EXE_WINDOW + VD_OVPN_TITLE_MAX, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (vd_ovpn_version_scan(buf, (size_t)n, out, size) == 0) {
			r = 0;
			break;
		}
		if (n < OV_EXE_WINDOW + VD_OVPN_TITLE_MAX)
			break;
		off += OV_EXE_WINDOW;
	}
	free(buf);
	close(fd);
	return r;
}

/* The installed package's version, the last resort: only for the binary
 * the package installs. */
static int package_version(const char *exe, const char *argv0, char *out, size_t size)
{
	char ver[64], *data = NULL;
	size_t len;
	int r;

	if (!(exe && strcmp(exe, "/usr/sbin/openvpn") == 0) &&
	    !(!exe[0] && argv0 && (strcmp(argv0, "/usr/sbin/openvpn") == 0 || strcmp(argv0, "openvpn") == 0)))
		return -ENOENT;
	r = vd_read_file(NULL, OV_DPKG_STATUS, OV_DPKG_MAX, &data, &len);
	if (r < 0)
		return r;
	r = vd_dpkg_version(data, len, "openvpn", ver, sizeof(ver));
	free(data);
	if (r == 0)
		snprintf(out, size, "OpenVPN %s", ver);
	return r;
}

/* The version without the management interface or the log: the binary's
 * bytes, else the package. Each upgrade of the binary is seen (its inode
 * changes). */
void ov_version_learn(struct ov_state *st)
{
	char title[VD_OVPN_TITLE_MAX], exe[PATH_MAX];
	int r;

	if (st->pid <= 0 || !st->running || st->version_rank >= VR_LOG)
		return;
	r = exe_title(st, title, sizeof(title), exe, sizeof(exe));
	if (r == -EALREADY)
		return;
	if (r == 0) {
		ov_set_version(st, title, VR_BINARY, "binary");
		return;
	}
	if (r == -ESRCH)
		return;
	if (package_version(exe, st->have_proc ? st->proc_argv0 : NULL, title, sizeof(title)) == 0)
		ov_set_version(st, title, VR_PACKAGE, "package");
}
