/* libFuzzer target for lib/proc_openvpn.c: any bytes as /proc/PID/cmdline;
 * when the input holds a "\n\n" the part after it is a config file applied
 * on top. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpndoctor/ovpn_config.h"
#include "vpndoctor/proc_openvpn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = size >= 2 ? memmem(data, size, "\n\n", 2) : NULL;
	size_t clen = sep ? (size_t)(sep - data) : size;
	struct vd_proc_openvpn p;
	struct vd_ovpn_config *c = NULL;
	char *cmd, buf[256];

	cmd = malloc(clen ? clen : 1);
	if (!cmd)
		return 0;
	memcpy(cmd, data, clen);
	vd_proc_is_openvpn(cmd, clen);
	if (vd_proc_openvpn_parse(cmd, clen, &p) == 0) {
		if (sep && vd_ovpn_config_parse("fuzz", (const char *)sep + 2, size - clen - 2, &c, NULL) == 0) {
			vd_proc_openvpn_apply_config(&p, c);
			vd_ovpn_config_free(c);
		}
		if (p.log == VD_PROC_LOG_SYSLOG && !p.syslog_name)
			abort();
		if ((p.log == VD_PROC_LOG_FILE || p.log == VD_PROC_LOG_APPEND) && !p.log_file)
			abort();
		if (p.config)
			vd_proc_path_join(p.cd, p.config, buf, sizeof(buf));
		vd_proc_openvpn_clear(&p);
	}
	free(cmd);
	return 0;
}
