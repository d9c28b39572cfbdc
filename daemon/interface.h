/* The io.vpndoctor Varlink interface description (packaging/io.vpndoctor.varlink),
 * compiled in at build time for org.varlink.service.GetInterfaceDescription. */
#ifndef VPNDOCTORD_INTERFACE_H
#define VPNDOCTORD_INTERFACE_H

#include <stddef.h>

/* The file's text, NUL-terminated. */
extern const char vd_varlink_interface[];
extern const size_t vd_varlink_interface_len; /* without the NUL */

#endif
