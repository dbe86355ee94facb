/*
 * shmif_bus.h — the shmif bus file, format version 3: NetBSD's shmif(4)
 * Ethernet bus in a shared file, byte for byte, so rumpk kernels and
 * NetBSD rump kernels can share one bus.  This is a wire format: the
 * kernel driver (shmif_if.c, shmif_ring.c), its host part (shmif_user.c),
 * shmif_dumpbus and the tests all read it from here.  It includes
 * nothing: the includer provides uint32_t/uint64_t.
 *
 * The file is exactly SHMIF_BUSMEM_SIZE bytes, mapped shared by every
 * attached interface, host byte order (little-endian on x86-64):
 *
 *	off  0  u32 magic    SHMIF_MAGIC; 0 = not yet initialised: the
 *	                     first attacher sets magic and first
 *	off  4  u32 version  SHMIF_VERSION; writing it again (pwrite of 4
 *	                     bytes at offset 4) is the doorbell
 *	off  8  u64 gen      incremented each time a writer wraps the ring
 *	off 16  u32 first    offset in data of the oldest frame
 *	                     (SHMIF_DATASIZE on a fresh bus: none)
 *	off 20  u32 last     offset in data of the newest frame
 *	off 24  u32 lock     0 free, 1 taken (compare-and-swap)
 *	off 28  u32 spare    NetBSD leaves it alone; rumpk readers count
 *	                     themselves in it while they sleep (see
 *	                     shmif_if.c: doorbells)
 *	off 32  data[SHMIF_DATASIZE]  the ring
 *
 * The ring holds frames back to back, each a struct shmif_pkthdr and then
 * sp_len bytes of Ethernet frame (no FCS); a frame may wrap around the end
 * of the ring.  A writer takes the lock, moves `last` to the offset after
 * the newest frame, advances `first` past every frame it overwrites,
 * writes header and frame, increments `gen` if it reached the end of the
 * ring, unlocks and rings the doorbell.  On a fresh bus the "frame" at
 * offset 0 is an all-zero header of length 0, so the first real frame is
 * written at offset 24; readers skip frames shorter than an Ethernet
 * header.
 */
#ifndef KERNEL_DEV_SHMIF_SHMIF_BUS_H
#define KERNEL_DEV_SHMIF_SHMIF_BUS_H

#define SHMIF_MAGIC   0xca11d054U
#define SHMIF_VERSION 3U

struct shmif_mem {
	uint32_t shm_magic;
	uint32_t shm_version;
	uint64_t shm_gen;
	uint32_t shm_first;
	uint32_t shm_last;
	uint32_t shm_lock;
	uint32_t shm_spare;
	uint8_t shm_data[];
};

struct shmif_pkthdr {
	uint32_t sp_len; /* bytes of frame after this header */
	uint32_t sp_sec; /* time of sending (the writer's clock) */
	uint32_t sp_usec;
	uint64_t sp_sender; /* the sending interface's random id */
};

#define SHMIF_BUSMEM_SIZE (1024U * 1024U)
#define SHMIF_HDRSIZE     32U /* offsetof(struct shmif_mem, shm_data) */
#define SHMIF_DATASIZE    (SHMIF_BUSMEM_SIZE - SHMIF_HDRSIZE)
#define SHMIF_PKTHDRSIZE  24U /* sizeof(struct shmif_pkthdr) */
#define SHMIF_WAKEUP_OFF  4   /* the doorbell: offset of shm_version */

#define SHMIF_LOCK_UNLOCKED 0U
#define SHMIF_LOCK_LOCKED   1U
#define SHMIF_LOCK_COOLDOWN 1001 /* spins before a writer sleeps 1 ms */

/*
 * The largest frame rumpk writes or accepts: an Ethernet frame of the
 * largest MTU shmif allows (SIOCSIFMTU up to SHMIF_MAXMTU, the largest
 * IPv4 packet, like Linux's loopback; NetBSD only writes and accepts
 * 1514, so large MTUs are for buses between rumpk kernels).  The format
 * is the same for any length.  A header with a larger sp_len is corrupt.
 */
#define SHMIF_MAXMTU   65535
#define SHMIF_MAXFRAME (SHMIF_MAXMTU + 14)

_Static_assert(sizeof(struct shmif_mem) == SHMIF_HDRSIZE, "shmif_mem");
_Static_assert(sizeof(struct shmif_pkthdr) == SHMIF_PKTHDRSIZE, "pkthdr");

#endif /* KERNEL_DEV_SHMIF_SHMIF_BUS_H */
