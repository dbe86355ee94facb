/*
 * busfmt.h — the shmif bus format version 3 as the tests see it, written
 * down again from the layout (not from the driver's header), so that a
 * test that parses a bus written by the kernel, or writes frames into one
 * the way a NetBSD kernel would, checks the driver against the format and
 * not against itself.
 *
 *	off  0 u32 magic 0xca11d054   off  4 u32 version 3
 *	off  8 u64 generation          off 16 u32 first   off 20 u32 last
 *	off 24 u32 lock                off 28 u32 spare   off 32 ring
 *	frame header: u32 len, u32 sec, u32 usec, (pad) u64 sender at 16
 */
#ifndef TESTS_NET_BUSFMT_H
#define TESTS_NET_BUSFMT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define BF_SIZE    (1024 * 1024)
#define BF_HDR     32
#define BF_DATA    (BF_SIZE - BF_HDR)
#define BF_PKTHDR  24
#define BF_MAGIC   0xca11d054u
#define BF_VERSION 3u

static inline uint32_t
bf_u32(const uint8_t *bus, uint32_t off)
{
	uint32_t v;

	memcpy(&v, bus + off, 4);
	return v;
}

static inline uint64_t
bf_u64(const uint8_t *bus, uint32_t off)
{
	uint64_t v;

	memcpy(&v, bus + off, 8);
	return v;
}

/* Copies len ring bytes at ring offset off, wrapping; returns the next. */
static inline uint32_t
bf_read(const uint8_t *bus, uint32_t off, void *dst, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		if (off >= BF_DATA)
			off = 0;
		((uint8_t *)dst)[i] = bus[BF_HDR + off++];
	}
	return off >= BF_DATA ? off - BF_DATA : off;
}

static inline uint32_t
bf_write(uint8_t *bus, uint32_t off, const void *src, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		if (off >= BF_DATA)
			off = 0;
		bus[BF_HDR + off++] = ((const uint8_t *)src)[i];
	}
	return off >= BF_DATA ? off - BF_DATA : off;
}

struct bf_frame {
	uint32_t f_off; /* ring offset of the header */
	uint32_t f_len;
	uint32_t f_sec, f_usec;
	uint64_t f_sender;
	uint8_t f_data[9100];
};

/*
 * Walks the frames from first to last; calls fn for each with a length;
 * returns the number seen, or -1 if a length is impossible.
 */
static inline int
bf_walk(
    const uint8_t *bus, void (*fn)(const struct bf_frame *, void *), void *arg)
{
	static struct bf_frame f;
	uint32_t cur = bf_u32(bus, 16), last = bf_u32(bus, 20);
	int n = 0;

	if (cur == BF_DATA)
		cur = 0;
	if (cur > BF_DATA || last >= BF_DATA)
		return -1;
	for (int steps = 0; steps < BF_DATA / BF_PKTHDR; steps++) {
		uint8_t h[BF_PKTHDR];
		bool newest = cur == last;

		f.f_off = cur;
		cur = bf_read(bus, cur, h, BF_PKTHDR);
		memcpy(&f.f_len, h, 4);
		memcpy(&f.f_sec, h + 4, 4);
		memcpy(&f.f_usec, h + 8, 4);
		memcpy(&f.f_sender, h + 16, 8);
		if (f.f_len > sizeof(f.f_data))
			return -1;
		cur = bf_read(bus, cur, f.f_data, f.f_len);
		if (f.f_len > 0) {
			fn(&f, arg);
			n++;
		}
		if (newest)
			break;
	}
	return n;
}

#endif /* TESTS_NET_BUSFMT_H */
