/*
 * bench.h — helpers shared by the kernel-base benchmark programs.
 *
 * The programs only measure and print raw samples, one line per metric:
 * "name value value ...".  bench/run.sh turns the samples into medians,
 * ratios and the JSON in bench/results/, so the statistics live in one
 * place.  Everything here is static inline: each program is one file plus
 * this header.
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Nanoseconds on the monotonic clock. */
static inline uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Exits with a message naming what failed and the errno value it gave. */
static inline __attribute__((noreturn)) void
bench_fail(const char *what, int error)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(error));
	exit(1);
}

/* Prints one metric line: its name, then each sample with prec decimals. */
static inline void
bench_print(const char *name, const double *v, int n, int prec)
{
	printf("%s", name);
	for (int i = 0; i < n; i++)
		printf(" %.*f", prec, v[i]);
	printf("\n");
}

#endif /* BENCH_BENCH_H */
