/*
 * rumptest.h — what the test programs of a booted kernel share: booting
 * it, failing the case with the reason when that does not work.
 */
#ifndef TESTS_RUMPTEST_H
#define TESTS_RUMPTEST_H

#include <rump/rump.h>

#include "harness.h"

static inline void
t_boot(void)
{
	int error = rump_init();

	if (error)
		T_FAIL("rump_init: %s", strerror(error));
}

#endif /* TESTS_RUMPTEST_H */
