/*
 * connect.c — the one place where rumpctl reaches its kernel.
 *
 * Linked with librumpclient (the installed rumpctl: prog.mk sets
 * LDLIBS_rumpctl), rumpclient_init() connects to $RUMP_SERVER.  Linked
 * with the kernel libraries instead, rump_init() boots a kernel inside
 * this process: each command then sees a fresh kernel, which is how the
 * commands can be tried without a server (rumpctl -f runs several in one).
 * Both are weak references, so the same objects link either way.
 */
#include <stdlib.h>

#include "rumpctl.h"

extern int rumpclient_init(void) __attribute__((weak));
extern int rump_init(void) __attribute__((weak));

int
rumpctl_connect(void)
{
	static bool connected;
	int error;

	if (connected)
		return 0;
	if (rumpclient_init != NULL) {
		if (getenv("RUMP_SERVER") == NULL)
			return EDESTADDRREQ;
		/* rumpclient_init returns -1 and sets errno. */
		if (rumpclient_init() != 0)
			return errno ? errno : ECONNREFUSED;
	} else if (rump_init != NULL) {
		if ((error = rump_init()) != 0)
			return error;
	} else {
		return ENOSYS;
	}
	connected = true;
	return 0;
}
