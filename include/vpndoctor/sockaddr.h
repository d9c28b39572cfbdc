/* Socket addresses from the strings users and configs give: a Unix socket
 * path, and "host:port" with a literal IPv4 or bracketed IPv6 address. */
#ifndef VPNDOCTOR_SOCKADDR_H
#define VPNDOCTOR_SOCKADDR_H

#include <sys/socket.h>
#include <sys/un.h>

/* sa becomes AF_UNIX at path. Returns 0, -EINVAL (NULL or empty path) or
 * -ENAMETOOLONG (longer than sun_path can hold with its NUL). */
int vd_sockaddr_un_set(struct sockaddr_un *sa, const char *path);

/* "192.0.2.1:7070" or "[2001:db8::1]:7070" (no names: nothing is resolved)
 * into ss and its length. Returns 0 or -EINVAL (no port, a port outside
 * 1-65535, or not an address literal). */
int vd_parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len);

#endif
