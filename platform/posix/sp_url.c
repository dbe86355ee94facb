/*
 * sp_url.c — the sysproxy server locator (RUMP_SERVER, rump_init_server):
 * unix://relative/path, unix:///absolute/path, tcp://A.B.C.D:PORT[/].
 * Shared by the server (librumpuser) and the client (librumpclient).
 * A relative unix path is made absolute against the current directory,
 * so an exec'd client or a daemonized server finds the same socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sp_url.h"

int
sp_url_parse(const char *url, int server, struct sp_addr *sa)
{
	const char *rest, *colon;
	char host[64], *end;
	unsigned long port;

	memset(sa, 0, sizeof(*sa));
	if (url == NULL)
		return EINVAL;
	if (strncmp(url, "unix://", 7) == 0) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&sa->sa_ss;
		char cwd[4096];
		int n;

		rest = url + 7;
		if (*rest == '\0')
			return EINVAL;
		if (*rest == '/') {
			n = snprintf(
			    sa->sa_path, sizeof(sa->sa_path), "%s", rest);
		} else {
			if (getcwd(cwd, sizeof(cwd)) == NULL)
				return errno;
			n = snprintf(sa->sa_path, sizeof(sa->sa_path), "%s/%s",
			    strcmp(cwd, "/") == 0 ? "" : cwd, rest);
		}
		if (n < 0 || (size_t)n >= sizeof(sun->sun_path))
			return ENAMETOOLONG;
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, sa->sa_path, (size_t)n + 1);
		sa->sa_len = (socklen_t)sizeof(*sun);
		sa->sa_unix = 1;
		return 0;
	}
	if (strncmp(url, "tcp6://", 7) == 0)
		return EOPNOTSUPP;
	if (strncmp(url, "tcp://", 6) != 0)
		return EINVAL;
	rest = url + 6;
	if ((colon = strrchr(rest, ':')) == NULL || colon == rest ||
	    (size_t)(colon - rest) >= sizeof(host))
		return EINVAL;
	memcpy(host, rest, (size_t)(colon - rest));
	host[colon - rest] = '\0';
	if (colon[1] < '0' || colon[1] > '9')
		return EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || port == 0 || port > 65535 ||
	    (*end != '\0' && strcmp(end, "/") != 0))
		return EINVAL;

	struct sockaddr_in *sin = (struct sockaddr_in *)&sa->sa_ss;
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	if (strcmp(host, "0") == 0 || strcmp(host, "*") == 0) {
		if (!server)
			return EINVAL; /* a client names the server's address */
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
	} else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
		return EINVAL;
	}
	sa->sa_len = (socklen_t)sizeof(*sin);
	return 0;
}
