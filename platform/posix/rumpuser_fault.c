/*
 * rumpuser_fault.c — the block-write fault switch (rumpuser_fault.h):
 * numbers the positional writes of rumpuser_bio and rumpuser_iovwrite and
 * says which of them to apply.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "rumpuser_fault.h"
#include "rumpuser_int.h"

static pthread_once_t fault_once = PTHREAD_ONCE_INIT;
static long long fault_limit = -1;     /* [a] */
static unsigned long long fault_count; /* [a] */

static void
fault_init(void)
{
	const char *env = getenv("RUMP_BLK_WRITE_LIMIT");
	char *end;
	long long n;

	if (env == NULL || *env == '\0')
		return;
	n = strtoll(env, &end, 10);
	if (*end != '\0') {
		fprintf(stderr,
		    "rumpuser: RUMP_BLK_WRITE_LIMIT=\"%s\": not a number, "
		    "ignored\n",
		    env);
		return;
	}
	__atomic_store_n(&fault_limit, n, __ATOMIC_SEQ_CST);
}

RUMPUSER_EXPORT void
rumpuser_fault_blkwrite_limit(long long n)
{
	pthread_once(&fault_once, fault_init);
	__atomic_store_n(&fault_limit, n, __ATOMIC_SEQ_CST);
}

RUMPUSER_EXPORT unsigned long long
rumpuser_fault_blkwrites(void)
{
	return __atomic_load_n(&fault_count, __ATOMIC_SEQ_CST);
}

bool
rumpuser__blkwrite_apply(void)
{
	unsigned long long t;
	long long lim;

	pthread_once(&fault_once, fault_init);
	t = __atomic_add_fetch(&fault_count, 1, __ATOMIC_SEQ_CST);
	lim = __atomic_load_n(&fault_limit, __ATOMIC_SEQ_CST);
	return lim < 0 || t <= (unsigned long long)lim;
}
