/*
 * pfstest.c — kernel-side helpers of t_procfs: registers files with
 * procfs from inside the kernel, as a subsystem does.  Built as kernel
 * code and linked only into t_procfs.
 */
#include "fs/procfs/procfs.h"
#include "kern/proc.h"

#include "pfstest.h"

struct pfstest_file {
	int pt_kind;
	size_t pt_size;
	unsigned pt_count; /* [a] snapshots made */
};

static struct pfstest_file pfstest_files[16];
static unsigned pfstest_nfiles;
static char pfstest_value[64];

static int
pfstest_read(void *arg, struct pfs_buf *b)
{
	struct pfstest_file *pt = arg;
	size_t n = 0;

	switch (pt->pt_kind) {
	case PFSTEST_COUNTER:
		pfs_printf(b, "%u\n", atomic_inc(&pt->pt_count));
		return 0;
	case PFSTEST_BIG:
		/* 16 bytes a line: "line 00000000 .\n". */
		for (unsigned i = 0; n + 16 <= pt->pt_size; i++, n += 16)
			pfs_printf(b, "line %08u .\n", i);
		for (; n < pt->pt_size; n++)
			pfs_write(b, "x", 1);
		return 0;
	default:
		return EIO;
	}
}

static int
pfstest_write(void *arg __unused, const char *data, size_t len)
{
	if (len >= sizeof(pfstest_value))
		return EINVAL;
	memcpy(pfstest_value, data, len);
	pfstest_value[len] = '\0';
	return 0;
}

RUMP_API int
rump_pfstest_register(const char *path, int kind, size_t size, int rw)
{
	struct lwp *l = sched_enter();
	struct pfstest_file *pt;
	int error;

	if (pfstest_nfiles == nitems(pfstest_files)) {
		sched_exit(l);
		return ENOSPC;
	}
	pt = &pfstest_files[pfstest_nfiles++];
	pt->pt_kind = kind;
	pt->pt_size = size;
	pt->pt_count = 0;
	error =
	    procfs_register(path, pfstest_read, rw ? pfstest_write : NULL, pt);
	sched_exit(l);
	return error;
}

RUMP_API void
rump_pfstest_unregister(const char *path)
{
	struct lwp *l = sched_enter();

	procfs_unregister(path);
	sched_exit(l);
}

RUMP_API int
rump_pfstest_value(char *buf, size_t len)
{
	struct lwp *l = sched_enter();

	strlcpy(buf, pfstest_value, len);
	sched_exit(l);
	return 0;
}
