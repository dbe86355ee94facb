/*
 * shmif_user.h — the component hypercalls of shmif: what the driver
 * (kernel side, shmif_if.c) asks of its host part (shmif_user.c, built
 * without _KERNEL with the platform's flags and linked into
 * librumpnet_shmif).  Like every hypercall they return 0 or an errno in
 * the kernel's numbering, are entered holding a virtual CPU and give it
 * back before they block.  This header includes nothing.
 */
#ifndef KERNEL_DEV_SHMIF_SHMIF_USER_H
#define KERNEL_DEV_SHMIF_SHMIF_USER_H

struct shmif_mem;

/* Makes the file of fd (from rumpuser_open) at least len bytes long and
 * maps its first len bytes shared. */
int rumpcomp_shmif_mmap(int fd, size_t len, void **memp);
void rumpcomp_shmif_munmap(void *mem, size_t len);

/* The doorbell: writes SHMIF_VERSION at offset 4 of the bus file, which
 * every watcher of the file notices.  Never blocks. */
int rumpcomp_shmif_doorbell(int fd);

/*
 * Watching the bus file for doorbells (inotify IN_MODIFY on Linux), plus a
 * private kick so that the driver can wake its own receiver alone.
 */
int rumpcomp_shmif_watchsetup(int fd, void **watchp);
/*
 * Waits until the bus changed: returns at once when shm_last or shm_gen no
 * longer have the values given; else spins for up to spin_ns without the
 * virtual CPU looking at them (SHMIF_SPIN_AUTO: a host-chosen time, none
 * on machines of two cores or fewer), then counts itself in shm_spare and
 * sets *counted while it is counted there (see shmif_if.c, doorbells),
 * looks once more and sleeps until a doorbell, a kick or timeout_ms.
 * *slept tells whether it slept.  Spurious returns are allowed.
 */
#define SHMIF_SPIN_AUTO (~(uint64_t)0)
int rumpcomp_shmif_watchwait(void *watch, struct shmif_mem *bus, uint32_t last,
    uint64_t gen, uint64_t spin_ns, int timeout_ms, unsigned *counted,
    int *slept);
/* Wakes a watchwait in progress or the next one. */
void rumpcomp_shmif_watchkick(void *watch);
void rumpcomp_shmif_watchfree(void *watch);

#endif /* KERNEL_DEV_SHMIF_SHMIF_USER_H */
