/*
 * shmif_impl.h — what the files of the shmif driver share: the ring
 * operations of shmif_ring.c.  Nothing outside kernel/dev/shmif uses it.
 */
#ifndef KERNEL_DEV_SHMIF_SHMIF_IMPL_H
#define KERNEL_DEV_SHMIF_SHMIF_IMPL_H

#include "kern/kern.h"
#include "dev/shmif/shmif_bus.h"

void shmif_lockbus(struct shmif_mem *bus);
void shmif_unlockbus(struct shmif_mem *bus);
uint32_t shmif_ring_read(const struct shmif_mem *bus, void *dst, uint32_t off,
    uint32_t len, bool *wrap);
int shmif_ring_write(struct shmif_mem *bus, uint32_t *offp, const void *src,
    uint32_t len, bool *wrap);
int shmif_ring_nextoff(
    const struct shmif_mem *bus, uint32_t off, uint32_t *nextp);
void shmif_ring_reset(struct shmif_mem *bus);
bool shmif_ring_stillvalid(const struct shmif_mem *bus, uint32_t nextpkt,
    uint64_t devgen, uint32_t lastoff);

#endif /* KERNEL_DEV_SHMIF_SHMIF_IMPL_H */
