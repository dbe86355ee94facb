/*
 * shmif_user.c — the host part of shmif (rumpcomp_shmif_*, declared in
 * shmif_user.h): mapping the bus file, the doorbell write and the wait for
 * doorbells with inotify.  This file is host code: it is compiled without
 * _KERNEL with the platform's flags, and gives back its virtual CPU
 * (rumpuser_component.h) before it blocks.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rump/rumpuser_component.h"
#include "shmif_bus.h"
#include "shmif_user.h"

#define RUMPCOMP_EXPORT __attribute__((visibility("hidden")))

struct shmif_watch {
	int sw_inotify; /* IN_MODIFY on the bus file */
	int sw_kick;    /* eventfd: rumpcomp_shmif_watchkick */
};

RUMPCOMP_EXPORT int
rumpcomp_shmif_mmap(int fd, size_t len, void **memp)
{
	struct stat st;
	void *mem;

	if (fstat(fd, &st) == -1)
		return rumpuser_component_errtrans(errno);
	if ((size_t)st.st_size < len && ftruncate(fd, (off_t)len) == -1)
		return rumpuser_component_errtrans(errno);
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		return rumpuser_component_errtrans(errno);
	/* Fault the pages in now rather than while holding the bus lock. */
	for (size_t off = 0; off < len; off += 4096)
		(void)*(volatile char *)((char *)mem + off);
	*memp = mem;
	return 0;
}

RUMPCOMP_EXPORT void
rumpcomp_shmif_munmap(void *mem, size_t len)
{
	munmap(mem, len);
}

RUMPCOMP_EXPORT int
rumpcomp_shmif_doorbell(int fd)
{
	uint32_t ver = SHMIF_VERSION;

	if (pwrite(fd, &ver, sizeof(ver), SHMIF_WAKEUP_OFF) != sizeof(ver))
		return rumpuser_component_errtrans(errno);
	return 0;
}

RUMPCOMP_EXPORT int
rumpcomp_shmif_watchsetup(int fd, void **watchp)
{
	struct shmif_watch *w;
	char path[64];
	int error;

	if ((w = malloc(sizeof(*w))) == NULL)
		return rumpuser_component_errtrans(ENOMEM);
	w->sw_kick = -1;
	w->sw_inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->sw_inotify == -1)
		goto fail;
	/* The descriptor's own file, wherever its name now points. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (inotify_add_watch(w->sw_inotify, path, IN_MODIFY) == -1)
		goto fail;
	w->sw_kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->sw_kick == -1)
		goto fail;
	*watchp = w;
	return 0;
fail:
	error = errno;
	if (w->sw_inotify != -1)
		close(w->sw_inotify);
	free(w);
	return rumpuser_component_errtrans(error);
}

static inline bool
bus_changed(struct shmif_mem *bus, uint32_t last, uint64_t gen)
{
	return __atomic_load_n(&bus->shm_last, __ATOMIC_ACQUIRE) != last ||
	    __atomic_load_n(&bus->shm_gen, __ATOMIC_ACQUIRE) != gen;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Reads away every queued event of fd (nonblocking): one read takes all
 * unless it filled the buffer (events are tens of bytes), so a wakeup
 * costs one read, not a second one that only says EAGAIN.
 */
static void
drain(int fd)
{
	char buf[4096] __attribute__((aligned(8)));

	while (read(fd, buf, sizeof(buf)) > (ssize_t)(sizeof(buf) - 256))
		;
}

RUMPCOMP_EXPORT int
rumpcomp_shmif_watchwait(void *watch, struct shmif_mem *bus, uint32_t last,
    uint64_t gen, uint64_t spin_ns, int timeout_ms, unsigned *counted,
    int *slept)
{
	struct shmif_watch *w = watch;
	struct pollfd pfd[2];
	void *cookie;
	int rv = 0;

	*slept = 0;
	if (bus_changed(bus, last, gen))
		return 0;
	if (spin_ns == SHMIF_SPIN_AUTO) {
		/* Spinning pays only when a core is free for it. */
		static long ncpu;

		if (ncpu == 0)
			ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		spin_ns = ncpu > 2 ? 20000 : 0;
	}
	cookie = rumpuser_component_unschedule();
	if (spin_ns > 0) {
		uint64_t end = now_ns() + spin_ns;

		for (unsigned i = 1;; i++) {
			if (bus_changed(bus, last, gen))
				goto out;
			if ((i & 63) == 0 && now_ns() >= end)
				break;
			__builtin_ia32_pause();
		}
	}
	/*
	 * Announce the sleep in shm_spare, then look again: a writer of ours
	 * stores its frame, then reads shm_spare (both with full fences), so
	 * either it sees us and rings, or we see its frame here.
	 */
	__atomic_add_fetch(&bus->shm_spare, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(counted, 1, __ATOMIC_SEQ_CST);
	if (!bus_changed(bus, last, gen)) {
		pfd[0].fd = w->sw_inotify;
		pfd[0].events = POLLIN;
		pfd[1].fd = w->sw_kick;
		pfd[1].events = POLLIN;
		*slept = 1;
		if (poll(pfd, 2, timeout_ms) == -1 && errno != EINTR)
			rv = rumpuser_component_errtrans(errno);
		if (pfd[0].revents & POLLIN)
			drain(w->sw_inotify);
		if (pfd[1].revents & POLLIN)
			drain(w->sw_kick);
	}
	__atomic_store_n(counted, 0, __ATOMIC_SEQ_CST);
	__atomic_sub_fetch(&bus->shm_spare, 1, __ATOMIC_SEQ_CST);
out:
	rumpuser_component_schedule(cookie);
	return rv;
}

RUMPCOMP_EXPORT void
rumpcomp_shmif_watchkick(void *watch)
{
	struct shmif_watch *w = watch;
	uint64_t one = 1;

	(void)!write(w->sw_kick, &one, sizeof(one));
}

RUMPCOMP_EXPORT void
rumpcomp_shmif_watchfree(void *watch)
{
	struct shmif_watch *w = watch;

	close(w->sw_inotify);
	close(w->sw_kick);
	free(w);
}
