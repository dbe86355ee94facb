/*
 * rumpuser_file.c — host files for the kernel: open and close, what a path
 * names (type and size), vectored reads and writes, and flushing.  Names
 * are host paths.  Block I/O on these descriptors is in rumpuser_bio.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#if defined(__linux__)
#include <linux/fs.h> /* BLKGETSIZE64 */
#endif

#include "rumpuser_int.h"

/* The kernel's iovecs are handed to the host as they are. */
_Static_assert(sizeof(struct rumpuser_iovec) == sizeof(struct iovec),
    "rumpuser_iovec differs from struct iovec");
_Static_assert(offsetof(struct rumpuser_iovec, iov_base) ==
            offsetof(struct iovec, iov_base) &&
        offsetof(struct rumpuser_iovec, iov_len) ==
            offsetof(struct iovec, iov_len),
    "rumpuser_iovec differs from struct iovec");

#define OPEN_KNOWN                                                             \
	(RUMPUSER_OPEN_ACCMODE | RUMPUSER_OPEN_CREATE | RUMPUSER_OPEN_EXCL |   \
	    RUMPUSER_OPEN_BIO)

/*
 * BIO is advisory and changes nothing here.  Descriptors are close-on-exec:
 * a program the kernel's host process runs must not inherit the kernel's
 * disks.  Created files get mode 0644 (less the umask).
 */
RUMPUSER_EXPORT int
rumpuser_open(const char *name, int mode, int *fdp)
{
	int flags = O_CLOEXEC, fd, nlocks, error;

	if (mode & ~OPEN_KNOWN)
		return EINVAL;
	switch (mode & RUMPUSER_OPEN_ACCMODE) {
	case RUMPUSER_OPEN_RDONLY:
		flags |= O_RDONLY;
		break;
	case RUMPUSER_OPEN_WRONLY:
		flags |= O_WRONLY;
		break;
	case RUMPUSER_OPEN_RDWR:
		flags |= O_RDWR;
		break;
	default:
		return EINVAL;
	}
	if (mode & RUMPUSER_OPEN_CREATE)
		flags |= O_CREAT;
	if (mode & RUMPUSER_OPEN_EXCL)
		flags |= O_EXCL;

	/* A FIFO, a tape or a network file system can keep open() waiting. */
	nlocks = rumpuser__unschedule();
	do
		fd = open(name, flags, 0644);
	while (fd == -1 && errno == EINTR);
	error = fd == -1 ? errno : 0;
	rumpuser__reschedule(nlocks);
	if (error != 0)
		return rumpuser__errtrans(error);
	*fdp = fd;
	return 0;
}

/*
 * close() may wait for data to reach a network file system.  On Linux the
 * descriptor is gone even when close() says EINTR, so that is no error.
 */
RUMPUSER_EXPORT int
rumpuser_close(int fd)
{
	int nlocks, error = 0;

	nlocks = rumpuser__unschedule();
	if (close(fd) == -1 && errno != EINTR)
		error = errno;
	rumpuser__reschedule(nlocks);
	return rumpuser__errtrans(error);
}

static int
blkdev_size(const char *name, uint64_t *sizep)
{
	int fd, error = 0;

	if ((fd = open(name, O_RDONLY | O_CLOEXEC)) == -1)
		return rumpuser__errtrans(errno);
#if defined(BLKGETSIZE64)
	if (ioctl(fd, BLKGETSIZE64, sizep) == -1)
		error = rumpuser__errtrans(errno);
#else
	off_t end = lseek(fd, 0, SEEK_END);

	if (end == -1)
		error = rumpuser__errtrans(errno);
	else
		*sizep = (uint64_t)end;
#endif
	close(fd);
	return error;
}

/*
 * size and type may be NULL.  Only regular files and disks have a size.
 * stat() and the disk's ioctl may wait for the device, so no CPU is held.
 */
RUMPUSER_EXPORT int
rumpuser_getfileinfo(const char *name, uint64_t *size, int *type)
{
	struct stat st;
	uint64_t sz = 0;
	int ft, error = 0, nlocks;

	nlocks = rumpuser__unschedule();
	if (stat(name, &st) == -1) {
		error = rumpuser__errtrans(errno);
		goto out;
	}
	if (S_ISREG(st.st_mode)) {
		ft = RUMPUSER_FT_REG;
		sz = (uint64_t)st.st_size;
	} else if (S_ISDIR(st.st_mode)) {
		ft = RUMPUSER_FT_DIR;
	} else if (S_ISBLK(st.st_mode)) {
		ft = RUMPUSER_FT_BLK;
		if (size != NULL && (error = blkdev_size(name, &sz)) != 0)
			goto out;
	} else if (S_ISCHR(st.st_mode)) {
		ft = RUMPUSER_FT_CHR;
	} else {
		ft = RUMPUSER_FT_OTHER;
	}
	if (size != NULL)
		*size = sz;
	if (type != NULL)
		*type = ft;
out:
	rumpuser__reschedule(nlocks);
	return error;
}

/*
 * Vectored I/O at off, or at the descriptor's own position when off is
 * RUMPUSER_IOV_NOSEEK (pipes, sockets, terminals).  A short transfer is not
 * an error: *retv says how much moved.
 */
static int
iov_rw(int fd, const struct rumpuser_iovec *riov, size_t iovlen, int64_t off,
    size_t *retv, bool write)
{
	const struct iovec *iov = (const struct iovec *)riov;
	int nlocks, error = 0;
	ssize_t n;

	if (iovlen > INT_MAX || (off < 0 && off != RUMPUSER_IOV_NOSEEK))
		return EINVAL;
	if (write && off != RUMPUSER_IOV_NOSEEK &&
	    !rumpuser__blkwrite_apply()) {
		/* The fault switch (rumpuser_fault.h): dropped, as a power cut.
		 */
		size_t len = 0;

		for (size_t i = 0; i < iovlen; i++)
			len += iov[i].iov_len;
		*retv = len;
		return 0;
	}
	nlocks = rumpuser__unschedule();
	do {
		if (off == RUMPUSER_IOV_NOSEEK)
			n = write ? writev(fd, iov, (int)iovlen)
			          : readv(fd, iov, (int)iovlen);
		else
			n = write ? pwritev(fd, iov, (int)iovlen, (off_t)off)
			          : preadv(fd, iov, (int)iovlen, (off_t)off);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		error = errno;
	rumpuser__reschedule(nlocks);
	if (error != 0)
		return rumpuser__errtrans(error);
	*retv = (size_t)n;
	return 0;
}

RUMPUSER_EXPORT int
rumpuser_iovread(int fd, struct rumpuser_iovec *iov, size_t iovlen, int64_t off,
    size_t *retv)
{
	return iov_rw(fd, iov, iovlen, off, retv, false);
}

RUMPUSER_EXPORT int
rumpuser_iovwrite(int fd, const struct rumpuser_iovec *iov, size_t iovlen,
    int64_t off, size_t *retv)
{
	return iov_rw(fd, iov, iovlen, off, retv, true);
}

/*
 * Nothing is cached here, so READ needs nothing: the next read goes to the
 * host.  WRITE pushes the host's cache to the disk: the data (fdatasync),
 * or data and metadata (fsync) when SYNC or BARRIER asks for an ordering
 * point.  start and len would limit the range; we flush the whole file.
 */
RUMPUSER_EXPORT int
rumpuser_syncfd(int fd, int flags, uint64_t start, uint64_t len)
{
	int nlocks, rv, error = 0;

	(void)start;
	(void)len;
	if (flags &
	    ~(RUMPUSER_SYNCFD_BOTH | RUMPUSER_SYNCFD_BARRIER |
	        RUMPUSER_SYNCFD_SYNC))
		return EINVAL;
	if ((flags & RUMPUSER_SYNCFD_WRITE) == 0)
		return 0;
	nlocks = rumpuser__unschedule();
	if (flags & (RUMPUSER_SYNCFD_SYNC | RUMPUSER_SYNCFD_BARRIER))
		rv = fsync(fd);
	else
		rv = fdatasync(fd);
	if (rv == -1)
		error = errno;
	rumpuser__reschedule(nlocks);
	return rumpuser__errtrans(error);
}
