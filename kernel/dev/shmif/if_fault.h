/*
 * if_fault.h — fault injection on the receive path of a network interface
 * (shmif, virtif), for tests of the protocols above: a parameter such as
 * RUMP_SHMIF_FAULT="drop=2,reorder=1,seed=7" makes the interface drop 2%
 * of the frames it receives and hold back 1% of them until the frame after
 * (reordering), with a pseudo-random sequence fixed by seed.  Percentages
 * may have decimals ("drop=0.5").  Read once, when the interface is
 * created.  Static inline: each driver keeps its own copy.
 *
 * Use, in the receiving thread only (no locking):
 *	if (if_fault_drop(&f)) → free the frame
 *	else if (held == NULL && if_fault_reorder(&f)) → held = frame
 *	else deliver the frame, then the held one if any
 */
#ifndef KERNEL_DEV_SHMIF_IF_FAULT_H
#define KERNEL_DEV_SHMIF_IF_FAULT_H

#include "kern/kern.h"

struct if_fault {
	uint32_t iff_drop;    /* per 100000 */
	uint32_t iff_reorder; /* per 100000 */
	uint64_t iff_rng;     /* xorshift64 state, never 0 */
};

/* "12", "0.5", "2.25" → per 100000; -1 if malformed. */
static inline int64_t
if_fault_pct(const char **sp)
{
	const char *s = *sp;
	int64_t v = 0, scale = 1000;
	bool digits = false;

	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s++ - '0');
		digits = true;
		if (v > 100)
			return -1;
	}
	v *= 1000;
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			scale /= 10;
			v += (*s++ - '0') * scale;
			digits = true;
		}
	}
	*sp = s;
	return digits && v <= 100000 ? v : -1;
}

/* Parses spec (may be NULL or empty: no faults); EINVAL if malformed. */
static inline int
if_fault_parse(struct if_fault *f, const char *spec, uint64_t seed)
{
	const char *s = spec;

	f->iff_drop = f->iff_reorder = 0;
	f->iff_rng = seed;
	while (s != NULL && *s != '\0') {
		int64_t v;

		if (strncmp(s, "drop=", 5) == 0) {
			s += 5;
			if ((v = if_fault_pct(&s)) < 0)
				return EINVAL;
			f->iff_drop = (uint32_t)v;
		} else if (strncmp(s, "reorder=", 8) == 0) {
			s += 8;
			if ((v = if_fault_pct(&s)) < 0)
				return EINVAL;
			f->iff_reorder = (uint32_t)v;
		} else if (strncmp(s, "seed=", 5) == 0) {
			uint64_t n = 0;

			s += 5;
			if (*s < '0' || *s > '9')
				return EINVAL;
			while (*s >= '0' && *s <= '9')
				n = n * 10 + (uint64_t)(*s++ - '0');
			f->iff_rng = n * 0x9e3779b97f4a7c15ULL + 1;
		} else
			return EINVAL;
		if (*s == ',')
			s++;
		else if (*s != '\0')
			return EINVAL;
	}
	if (f->iff_rng == 0)
		f->iff_rng = 0x2545f4914f6cdd1dULL;
	return 0;
}

static inline bool
if_fault_active(const struct if_fault *f)
{
	return f->iff_drop != 0 || f->iff_reorder != 0;
}

static inline uint32_t
if_fault_roll(struct if_fault *f)
{
	uint64_t x = f->iff_rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	f->iff_rng = x;
	return (uint32_t)((x >> 11) % 100000);
}

static inline bool
if_fault_drop(struct if_fault *f)
{
	return f->iff_drop != 0 && if_fault_roll(f) < f->iff_drop;
}

static inline bool
if_fault_reorder(struct if_fault *f)
{
	return f->iff_reorder != 0 && if_fault_roll(f) < f->iff_reorder;
}

#endif /* KERNEL_DEV_SHMIF_IF_FAULT_H */
