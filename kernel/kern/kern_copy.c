/*
 * kern_copy.c — moving data between the kernel and its callers.
 *
 * The current process's address-space ops decide how: a caller linked into
 * the same program shares the kernel's address space and is copied
 * directly; a remote client's memory is reached through its transport.
 * Locally, the null page, ranges that wrap and ranges above the user half
 * of the address space give EFAULT.
 */
#include "proc.h"

/* The end of the user half of the x86-64 address space. */
#define USER_TOP    0x0000800000000000ULL
#define USER_BOTTOM 4096ULL

static inline bool
local_range_ok(const void *uaddr, size_t len)
{
	uintptr_t a = (uintptr_t)uaddr;

	if (len == 0)
		return true;
	return a >= USER_BOTTOM && a < USER_TOP && len <= USER_TOP - a;
}

static int
local_copyin(void *arg __unused, const void *uaddr, void *kaddr, size_t len)
{
	if (!local_range_ok(uaddr, len))
		return EFAULT;
	memcpy(kaddr, uaddr, len);
	return 0;
}

static int
local_copyout(void *arg __unused, const void *kaddr, void *uaddr, size_t len)
{
	if (!local_range_ok(uaddr, len))
		return EFAULT;
	memcpy(uaddr, kaddr, len);
	return 0;
}

static int
local_copyinstr(void *arg __unused, const void *uaddr, char *kaddr, size_t len,
    size_t *done)
{
	const char *u = uaddr;
	size_t i;

	if (!local_range_ok(uaddr, 1))
		return EFAULT;
	for (i = 0; i < len; i++) {
		if (!local_range_ok(u + i, 1))
			return EFAULT;
		if ((kaddr[i] = u[i]) == '\0') {
			if (done)
				*done = i + 1;
			return 0;
		}
	}
	if (done)
		*done = i;
	return ENAMETOOLONG;
}

const struct vmspace_ops vmspace_local = {
    .vo_copyin = local_copyin,
    .vo_copyout = local_copyout,
    .vo_copyinstr = local_copyinstr,
};

int
copyin(const void *uaddr, void *kaddr, size_t len)
{
	struct proc *p = curproc;

	return p->p_vmops->vo_copyin(p->p_vmarg, uaddr, kaddr, len);
}

int
copyout(const void *kaddr, void *uaddr, size_t len)
{
	struct proc *p = curproc;

	return p->p_vmops->vo_copyout(p->p_vmarg, kaddr, uaddr, len);
}

int
copyinstr(const void *uaddr, char *kaddr, size_t len, size_t *done)
{
	struct proc *p = curproc;

	return p->p_vmops->vo_copyinstr(p->p_vmarg, uaddr, kaddr, len, done);
}

int
uiomove(void *buf, size_t n, struct uio *uio)
{
	char *cp = buf;
	int error = 0;

	while (n > 0 && uio->uio_resid > 0) {
		struct iovec *iov = uio->uio_iov;
		size_t cnt = iov->iov_len;

		if (cnt == 0) {
			KASSERT(uio->uio_iovcnt > 0);
			uio->uio_iov++;
			uio->uio_iovcnt--;
			continue;
		}
		cnt = MIN(cnt, n);
		if (uio->uio_sys) {
			if (uio->uio_rw == UIO_READ)
				memcpy(iov->iov_base, cp, cnt);
			else
				memcpy(cp, iov->iov_base, cnt);
		} else if (uio->uio_rw == UIO_READ) {
			error = copyout(cp, iov->iov_base, cnt);
		} else {
			error = copyin(iov->iov_base, cp, cnt);
		}
		if (error)
			break;
		iov->iov_base = (char *)iov->iov_base + cnt;
		iov->iov_len -= cnt;
		uio->uio_resid -= cnt;
		uio->uio_offset += (off_t)cnt;
		cp += cnt;
		n -= cnt;
	}
	return error;
}
