/*
 * shmif_ring.c — the ring of a shmif bus (format: shmif_bus.h): the bus
 * lock, reading and writing bytes that may wrap, finding the next frame,
 * and the reader's view of what is new.  The driver (shmif_if.c) builds
 * sending and receiving on these.
 *
 * The bus is shared with other processes, some of which may be buggy or
 * hostile: every length and offset read from it is checked before use.  A
 * header that cannot be right makes these functions return an error, never
 * loop or index out of the mapping; the driver counts it and skips.
 */
#include "dev/shmif/shmif_impl.h"

/*
 * The bus lock: compare-and-swap 0 → 1, with a pause between tries; after
 * SHMIF_LOCK_COOLDOWN failed tries the caller sleeps 1 ms (the holder may
 * have been preempted) and starts over.  Nothing is known of the holder, so
 * a process that dies holding it stops the bus: that is the format's.
 */
void
shmif_lockbus(struct shmif_mem *bus)
{
	uint32_t expect;
	int spins = 0;

	for (;;) {
		expect = SHMIF_LOCK_UNLOCKED;
		if (__atomic_load_n(&bus->shm_lock, __ATOMIC_RELAXED) ==
		        SHMIF_LOCK_UNLOCKED &&
		    __atomic_compare_exchange_n(&bus->shm_lock, &expect,
		        SHMIF_LOCK_LOCKED, false, __ATOMIC_ACQUIRE,
		        __ATOMIC_RELAXED))
			return;
		if (++spins > SHMIF_LOCK_COOLDOWN) {
			kpause_ns(1000000);
			spins = 0;
		} else
			__builtin_ia32_pause();
	}
}

void
shmif_unlockbus(struct shmif_mem *bus)
{
	__atomic_store_n(&bus->shm_lock, SHMIF_LOCK_UNLOCKED, __ATOMIC_RELEASE);
}

/* off + delta in the ring (both below SHMIF_DATASIZE). */
static inline uint32_t
ring_advance(uint32_t off, uint32_t delta)
{
	uint32_t n = off + delta;

	return n >= SHMIF_DATASIZE ? n - SHMIF_DATASIZE : n;
}

/*
 * Copies len bytes at ring offset off (at most SHMIF_DATASIZE, where
 * reading starts over at 0) to dst; returns the offset after them and
 * sets *wrap when the copy reached the end of the ring.
 */
uint32_t
shmif_ring_read(const struct shmif_mem *bus, void *dst, uint32_t off,
    uint32_t len, bool *wrap)
{
	uint32_t chunk;

	KASSERT(off <= SHMIF_DATASIZE && len < SHMIF_DATASIZE / 2);
	chunk = MIN(len, SHMIF_DATASIZE - off);
	if (chunk)
		memcpy(dst, bus->shm_data + off, chunk);
	if (off + chunk == SHMIF_DATASIZE)
		*wrap = true;
	if (chunk == len)
		return (off + chunk) % SHMIF_DATASIZE;
	memcpy((char *)dst + chunk, bus->shm_data, len - chunk);
	return len - chunk;
}

static inline uint64_t
add64(uint64_t s, uint64_t x)
{
	uint64_t r;

	if (__builtin_add_overflow(s, x, &r))
		r++;
	return r;
}

static inline uint32_t
fold16(uint64_t s)
{
	s = (s & 0xffffffffULL) + (s >> 32);
	s = (s & 0xffffffffULL) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

/*
 * Copies n bytes from s to d and returns their ones-complement sum, 64-bit
 * words added with end-around carry, as if s were at an even offset of the
 * stream: one pass over the data instead of a copy and then a checksum.
 */
static uint64_t
cksum_copy(uint8_t *d, const uint8_t *s, size_t n)
{
	uint64_t sum = 0, a, b, c, e;

	while (n >= 32) {
		memcpy(&a, s, 8);
		memcpy(&b, s + 8, 8);
		memcpy(&c, s + 16, 8);
		memcpy(&e, s + 24, 8);
		memcpy(d, &a, 8);
		memcpy(d + 8, &b, 8);
		memcpy(d + 16, &c, 8);
		memcpy(d + 24, &e, 8);
		sum = add64(sum, a);
		sum = add64(sum, b);
		sum = add64(sum, c);
		sum = add64(sum, e);
		s += 32;
		d += 32;
		n -= 32;
	}
	while (n >= 8) {
		memcpy(&a, s, 8);
		memcpy(d, &a, 8);
		sum = add64(sum, a);
		s += 8;
		d += 8;
		n -= 8;
	}
	if (n > 0) {
		a = 0;
		memcpy(&a, s, n); /* an odd last byte pads with zero */
		memcpy(d, s, n);
		sum = add64(sum, a);
	}
	return sum;
}

/* Adds a piece of n bytes, summed as if even (part), to *cs. */
static void
cksum_add(struct shmif_cksum *cs, uint64_t part, uint32_t n)
{
	uint32_t p = fold16(part);

	if (cs->ics_odd)
		p = ((p & 0xff) << 8) | (p >> 8);
	cs->ics_sum = fold16((uint64_t)cs->ics_sum + p);
	if (n & 1)
		cs->ics_odd = !cs->ics_odd;
}

uint32_t
shmif_ring_read_sum(const struct shmif_mem *bus, void *dst, uint32_t off,
    uint32_t len, bool *wrap, struct shmif_cksum *cs)
{
	uint32_t chunk;

	KASSERT(off <= SHMIF_DATASIZE && len < SHMIF_DATASIZE / 2);
	chunk = MIN(len, SHMIF_DATASIZE - off);
	if (chunk)
		cksum_add(
		    cs, cksum_copy(dst, bus->shm_data + off, chunk), chunk);
	if (off + chunk == SHMIF_DATASIZE)
		*wrap = true;
	if (chunk == len)
		return (off + chunk) % SHMIF_DATASIZE;
	cksum_add(cs,
	    cksum_copy((uint8_t *)dst + chunk, bus->shm_data, len - chunk),
	    len - chunk);
	return len - chunk;
}

/*
 * The offset of the frame after the one at off, in *nextp; EINVAL if the
 * header at off is corrupt.
 */
int
shmif_ring_nextoff(const struct shmif_mem *bus, uint32_t off, uint32_t *nextp)
{
	struct shmif_pkthdr sp;
	bool wrap = false;

	if (off > SHMIF_DATASIZE)
		return EINVAL;
	shmif_ring_read(bus, &sp, off, sizeof(sp), &wrap);
	if (sp.sp_len > SHMIF_MAXFRAME)
		return EINVAL;
	if (off == SHMIF_DATASIZE)
		off = 0;
	*nextp = ring_advance(off, SHMIF_PKTHDRSIZE + sp.sp_len);
	return 0;
}

/*
 * Moves `first` past every frame that a write of len bytes at off would
 * overwrite: while first lies in [off - header, off + len).  The walk is
 * bounded: each step passes at least a header, so more steps than the
 * ring has headers means the frames form a loop, which only a corrupt
 * bus does.
 */
static int
ring_advancefirst(struct shmif_mem *bus, uint32_t off, uint32_t len)
{
	uint32_t first = bus->shm_first;
	int steps = 0;

	while (off <= first + SHMIF_PKTHDRSIZE && off + len > first) {
		if (shmif_ring_nextoff(bus, first, &first) != 0 ||
		    ++steps > (int)(SHMIF_DATASIZE / SHMIF_PKTHDRSIZE))
			return EINVAL;
		bus->shm_first = first;
	}
	return 0;
}

/*
 * Writes len bytes at ring offset off, first advancing `first` past the
 * frames they replace; returns the offset after them in *offp and sets
 * *wrap when the write reached the end of the ring.  EINVAL if the frames
 * in the way are corrupt (nothing was written then).
 */
int
shmif_ring_write(struct shmif_mem *bus, uint32_t *offp, const void *src,
    uint32_t len, bool *wrap)
{
	uint32_t off = *offp, chunk;
	bool filled;

	KASSERT(off <= SHMIF_DATASIZE && len < SHMIF_DATASIZE / 2);
	chunk = MIN(len, SHMIF_DATASIZE - off);
	filled = off + chunk == SHMIF_DATASIZE;
	if (ring_advancefirst(bus, off, chunk + (filled ? 1 : 0)) != 0)
		return EINVAL;
	if (chunk)
		memcpy(bus->shm_data + off, src, chunk);
	if (filled)
		*wrap = true;
	if (chunk == len) {
		*offp = (off + chunk) % SHMIF_DATASIZE;
		return 0;
	}
	if (ring_advancefirst(bus, 0, len - chunk) != 0)
		return EINVAL;
	memcpy(bus->shm_data, (const char *)src + chunk, len - chunk);
	*offp = len - chunk;
	return 0;
}

/*
 * Starts the bus over, empty, after corruption was found: an all-zero
 * header at 0 as on a fresh bus, and the generation moved on by two so
 * that every reader (ours and NetBSD's) sees itself overrun and restarts at
 * `first`.  Called with the bus locked.
 */
void
shmif_ring_reset(struct shmif_mem *bus)
{
	memset(bus->shm_data, 0, SHMIF_PKTHDRSIZE);
	bus->shm_first = SHMIF_DATASIZE;
	__atomic_store_n(&bus->shm_last, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&bus->shm_gen, bus->shm_gen + 2, __ATOMIC_RELAXED);
	bus->shm_magic = SHMIF_MAGIC;
}

/*
 * Is a reader at nextpkt of generation devgen still on valid data?  Its
 * offset must lie between `first` and the end of the newest frame
 * (lastoff), on a ring unrolled to twice its size when the valid region
 * wraps.  A reader more than one generation behind was overrun.
 */
bool
shmif_ring_stillvalid(const struct shmif_mem *bus, uint32_t nextpkt,
    uint64_t devgen, uint32_t lastoff)
{
	uint64_t gendiff = bus->shm_gen - devgen;
	uint64_t devoff = nextpkt, end = lastoff;

	if (gendiff > 1)
		return false;
	if (bus->shm_first >= lastoff) {
		end += SHMIF_DATASIZE;
		if (gendiff == 0)
			devoff += SHMIF_DATASIZE;
	} else if (gendiff != 0)
		return false;
	return devoff >= bus->shm_first && devoff <= end;
}
