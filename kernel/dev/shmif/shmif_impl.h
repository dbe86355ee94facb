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
/*
 * The Internet checksum (RFC 1071) of a byte stream, summed while it is
 * copied: ics_sum is the folded 16-bit sum so far, in memory order (as
 * in_cksum.c sums), ics_odd whether the stream so far has an odd length.
 */
struct shmif_cksum {
	uint32_t ics_sum;
	bool ics_odd;
};
/* shmif_ring_read that also adds the bytes it copies into *cs. */
uint32_t shmif_ring_read_sum(const struct shmif_mem *bus, void *dst,
    uint32_t off, uint32_t len, bool *wrap, struct shmif_cksum *cs);
int shmif_ring_write(struct shmif_mem *bus, uint32_t *offp, const void *src,
    uint32_t len, bool *wrap);
int shmif_ring_nextoff(
    const struct shmif_mem *bus, uint32_t off, uint32_t *nextp);
void shmif_ring_reset(struct shmif_mem *bus);
bool shmif_ring_stillvalid(const struct shmif_mem *bus, uint32_t nextpkt,
    uint64_t devgen, uint32_t lastoff);

#endif /* KERNEL_DEV_SHMIF_SHMIF_IMPL_H */
