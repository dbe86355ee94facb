/*
 * harness.h — the test harness every test program under tests/ uses.
 *
 * A test program is a set of cases declared with T_CASE().  Each case runs in
 * a child process of its own (so each boots its own kernel), under a time
 * limit, and prints one line: PASS, FAIL (with the reason) or SKIP (with the
 * reason).  The program ends with "<prog>: N passed, N failed, N skipped".
 *
 *   ./t_lwproc              run every case
 *   ./t_lwproc rfork_pid    run the named cases only
 *   ./t_lwproc -l           list the cases with their descriptions
 *
 * Environment: T_TIMEOUT (seconds per case, default 120).
 */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct t_case {
	const char *tc_name;
	const char *tc_desc;
	void (*tc_fn)(void);
};

#define T_CASE(name, desc)                                                     \
	static void name(void);                                                \
	static const struct t_case t_case_##name __attribute__((               \
	    used, section("t_cases"), aligned(8))) = {#name, desc, name};      \
	static void name(void)

void t_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
void t_skip(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

#define T_ASSERT(cond)                                                         \
	do {                                                                   \
		if (!(cond))                                                   \
			t_fail(__FILE__, __LINE__, "assertion failed: %s",     \
			    #cond);                                            \
	} while (0)

#define T_EQ(a, b)                                                             \
	do {                                                                   \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);        \
		if (t_a_ != t_b_)                                              \
			t_fail(__FILE__, __LINE__,                             \
			    "%s == %lld, expected %s == %lld", #a, t_a_, #b,   \
			    t_b_);                                             \
	} while (0)

/* expr must succeed (not return -1); errno is shown when it does not. */
#define T_OK(expr)                                                             \
	do {                                                                   \
		errno = 0;                                                     \
		if ((long long)(expr) == -1)                                   \
			t_fail(__FILE__, __LINE__, "%s failed: %s", #expr,     \
			    strerror(errno));                                  \
	} while (0)

/* expr must fail with -1 and errno e. */
#define T_ERRNO(expr, e)                                                       \
	do {                                                                   \
		errno = 0;                                                     \
		long long t_r_ = (long long)(expr);                            \
		int t_e_ = errno;                                              \
		if (t_r_ != -1 || t_e_ != (e))                                 \
			t_fail(__FILE__, __LINE__,                             \
			    "%s returned %lld errno %d (%s), expected -1 "     \
			    "errno %d (%s)",                                   \
			    #expr, t_r_, t_e_, strerror(t_e_), (e),            \
			    strerror(e));                                      \
	} while (0)

#define T_FAIL(...) t_fail(__FILE__, __LINE__, __VA_ARGS__)
#define T_SKIP(...) t_skip(__VA_ARGS__)

/* Nanoseconds of CLOCK_MONOTONIC. */
uint64_t t_now_ns(void);

#endif /* TESTS_HARNESS_H */
