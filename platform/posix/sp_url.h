/*
 * sp_url.h — parsing a sysproxy URL into a socket address (sp_url.c).
 * Host code shared by the server and the client library.
 */
#ifndef PLATFORM_POSIX_SP_URL_H
#define PLATFORM_POSIX_SP_URL_H

#include <sys/socket.h>

struct sp_addr {
	struct sockaddr_storage sa_ss;
	socklen_t sa_len;
	int sa_unix; /* a unix socket: sa_path is its absolute path */
	char sa_path[256];
};

/*
 * Fills sa from url; 0, EINVAL (not a URL we know, or a wildcard address
 * given to a client), EOPNOTSUPP (tcp6) or ENAMETOOLONG.
 */
int sp_url_parse(const char *url, int server, struct sp_addr *sa);

#endif /* PLATFORM_POSIX_SP_URL_H */
