/*
 * arch_string.c (x86-64) — memcpy, memmove and memset.  Large sizes use
 * the string instructions, which on current x86-64 processors run near the
 * speed of the best host library routines; below 64 bytes their start-up
 * cost dominates, so small copies are done with (overlapping) word moves.
 * kern.h maps the names to the compiler's builtins; the definitions here
 * are what the compiler calls when it does not inline, so they are written
 * (memcpy)(...) to escape those macros.
 */
#include "../../kern/kern.h"

/* n < 64 bytes from s to d, which do not overlap. */
static inline void
copy_small(unsigned char *d, const unsigned char *s, size_t n)
{
	uint64_t a, b;
	uint32_t x, y;

	if (n >= 16) {
		/* Two 8-byte words at a time from the front, the last two
		 * words from the back (overlapping what was copied). */
		while (n > 16) {
			__builtin_memcpy(&a, s, 8);
			__builtin_memcpy(&b, s + 8, 8);
			__builtin_memcpy(d, &a, 8);
			__builtin_memcpy(d + 8, &b, 8);
			s += 16;
			d += 16;
			n -= 16;
		}
		__builtin_memcpy(&a, s + n - 16, 8);
		__builtin_memcpy(&b, s + n - 8, 8);
		__builtin_memcpy(d + n - 16, &a, 8);
		__builtin_memcpy(d + n - 8, &b, 8);
	} else if (n >= 8) {
		__builtin_memcpy(&a, s, 8);
		__builtin_memcpy(&b, s + n - 8, 8);
		__builtin_memcpy(d, &a, 8);
		__builtin_memcpy(d + n - 8, &b, 8);
	} else if (n >= 4) {
		__builtin_memcpy(&x, s, 4);
		__builtin_memcpy(&y, s + n - 4, 4);
		__builtin_memcpy(d, &x, 4);
		__builtin_memcpy(d + n - 4, &y, 4);
	} else if (n > 0) {
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	}
}

void *(memcpy)(void *dst, const void *src, size_t n)
{
	void *d = dst;

	if (n < 64) {
		copy_small(dst, src, n);
		return dst;
	}
	__asm__ volatile("rep movsb"
	                 : "+D"(d), "+S"(src), "+c"(n)
	                 :
	                 : "memory");
	return dst;
}

void *(memmove)(void *dst, const void *src, size_t n)
{
	if ((uintptr_t)dst - (uintptr_t)src >= n)
		return (memcpy)(dst, src, n);
	/* dst overlaps the end of src: copy backwards. */
	{
		const char *s = (const char *)src + n - 1;
		char *d = (char *)dst + n - 1;

		__asm__ volatile("std\n\trep movsb\n\tcld"
		                 : "+D"(d), "+S"(s), "+c"(n)
		                 :
		                 : "memory");
	}
	return dst;
}

void *(memset)(void *dst, int c, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}
