/*
 * virtif_user.c — the host part of virtif (rumpcomp_virtif_*, declared in
 * virtif_user.h): a Linux TAP device through /dev/net/tun.  Host code,
 * compiled without _KERNEL with the platform's flags; it gives back the
 * virtual CPU (rumpuser_component.h) before it blocks.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "rump/rumpuser.h"
#include "rump/rumpuser_component.h"
#include "virtif_user.h"

#define RUMPCOMP_EXPORT __attribute__((visibility("hidden")))

_Static_assert(sizeof(struct rumpuser_iovec) == sizeof(struct iovec),
    "rumpuser_iovec differs from struct iovec");

struct virtif_user {
	int vu_fd;   /* the TAP, nonblocking */
	int vu_kick; /* eventfd */
};

RUMPCOMP_EXPORT int
rumpcomp_virtif_create(
    const char *devname, int want, int *featp, struct virtif_user **vup)
{
	struct virtif_user *vu;
	struct ifreq ifr;
	unsigned int tunfeat = 0;
	int error, feat = 0;

	if (strlen(devname) >= IFNAMSIZ)
		return rumpuser_component_errtrans(ENAMETOOLONG);
	if ((vu = malloc(sizeof(*vu))) == NULL)
		return rumpuser_component_errtrans(ENOMEM);
	vu->vu_kick = -1;
	vu->vu_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (vu->vu_fd == -1)
		goto fail;
	if ((want & VIRTIF_F_VNET) &&
	    ioctl(vu->vu_fd, TUNGETFEATURES, &tunfeat) == -1)
		tunfeat = 0;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if ((want & VIRTIF_F_VNET) && (tunfeat & IFF_VNET_HDR))
		ifr.ifr_flags |= IFF_VNET_HDR;
	strncpy(ifr.ifr_name, devname, IFNAMSIZ - 1);
	if (ioctl(vu->vu_fd, TUNSETIFF, &ifr) == -1)
		goto fail;
	if (ifr.ifr_flags & IFF_VNET_HDR) {
		int sz = VIRTIF_VNET_HDRLEN;

		if (ioctl(vu->vu_fd, TUNSETVNETHDRSZ, &sz) == -1)
			goto fail;
		feat |= VIRTIF_F_VNET;
		if (ioctl(vu->vu_fd, TUNSETOFFLOAD,
		        TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) == 0)
			feat |=
			    VIRTIF_F_RXCSUM | VIRTIF_F_RXTSO4 | VIRTIF_F_RXTSO6;
		else if (ioctl(vu->vu_fd, TUNSETOFFLOAD, TUN_F_CSUM) == 0)
			feat |= VIRTIF_F_RXCSUM;
		else
			(void)ioctl(vu->vu_fd, TUNSETOFFLOAD, 0);
	} else
		(void)ioctl(vu->vu_fd, TUNSETOFFLOAD, 0);
	vu->vu_kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vu->vu_kick == -1)
		goto fail;
	*featp = feat;
	*vup = vu;
	return 0;
fail:
	error = errno;
	if (vu->vu_fd != -1)
		close(vu->vu_fd);
	free(vu);
	return rumpuser_component_errtrans(error);
}

RUMPCOMP_EXPORT int
rumpcomp_virtif_send(
    struct virtif_user *vu, const struct rumpuser_iovec *iov, size_t iovcnt)
{
	ssize_t n;

	do
		n = writev(vu->vu_fd, (const struct iovec *)iov, (int)iovcnt);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return rumpuser_component_errtrans(
		    errno == EAGAIN ? ENOBUFS : errno);
	return 0;
}

RUMPCOMP_EXPORT int
rumpcomp_virtif_recv(struct virtif_user *vu, const struct rumpuser_iovec *iov,
    size_t iovcnt, size_t *got)
{
	ssize_t n;

	do
		n = readv(vu->vu_fd, (const struct iovec *)iov, (int)iovcnt);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return rumpuser_component_errtrans(errno);
	*got = (size_t)n;
	return 0;
}

RUMPCOMP_EXPORT int
rumpcomp_virtif_wait(struct virtif_user *vu, int timeout_ms)
{
	struct pollfd pfd[2];
	void *cookie;
	int rv = 0;

	pfd[0].fd = vu->vu_fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = vu->vu_kick;
	pfd[1].events = POLLIN;
	cookie = rumpuser_component_unschedule();
	if (poll(pfd, 2, timeout_ms) == -1 && errno != EINTR)
		rv = errno;
	if (pfd[1].revents & POLLIN) {
		uint64_t v;

		(void)!read(vu->vu_kick, &v, sizeof(v));
	}
	rumpuser_component_schedule(cookie);
	return rv ? rumpuser_component_errtrans(rv) : 0;
}

RUMPCOMP_EXPORT void
rumpcomp_virtif_kick(struct virtif_user *vu)
{
	uint64_t one = 1;

	(void)!write(vu->vu_kick, &one, sizeof(one));
}

RUMPCOMP_EXPORT void
rumpcomp_virtif_destroy(struct virtif_user *vu)
{
	close(vu->vu_fd);
	close(vu->vu_kick);
	free(vu);
}
