/*
 * e2fs_util.c — see e2fs_util.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rump/rump.h>

#include "harness.h"
#include "e2fs_util.h"

static int
have(const char *prog)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
	    "PATH=$PATH:/sbin:/usr/sbin command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

void
e2_need_tools(void)
{
	if (!have("mke2fs") || !have("e2fsck") || !have("debugfs"))
		T_SKIP("e2fsprogs (mke2fs, e2fsck, debugfs) not installed");
}

void
e2_image_path(char *buf, size_t len, const char *tag)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(buf, len, "%s/rumpk-e2-%s-%d.img", tmp && *tmp ? tmp : "/tmp",
	    tag, (int)getpid());
}

int
e2_run(char *out, size_t outlen, const char *fmt, ...)
{
	char cmd[4096], full[4200];
	va_list ap;
	FILE *f;
	size_t n = 0;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(
	    full, sizeof(full), "PATH=$PATH:/sbin:/usr/sbin; %s 2>&1", cmd);
	fflush(NULL);
	if ((f = popen(full, "r")) == NULL)
		return -1;
	if (out != NULL && outlen > 0) {
		size_t r;

		while (n + 1 < outlen &&
		    (r = fread(out + n, 1, outlen - 1 - n, f)) > 0)
			n += r;
		out[n] = '\0';
	}
	{
		char sink[4096];
		size_t r;

		while ((r = fread(sink, 1, sizeof(sink), f)) > 0)
			if (out == NULL)
				fwrite(sink, 1, r, stderr);
	}
	st = pclose(f);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

void
e2_mkfs(const char *img, const char *type, unsigned bsize, const char *extra,
    const char *size)
{
	char out[4096];
	int st;

	unlink(img);
	st = e2_run(out, sizeof(out), "mke2fs -q -F -t %s -b %u %s '%s' %s",
	    type, bsize, extra ? extra : "", img, size);
	if (st != 0)
		T_FAIL("mke2fs -t %s -b %u %s failed (%d): %s", type, bsize,
		    extra ? extra : "", st, out);
}

void
e2_fsck(const char *img)
{
	static char out[65536];
	int st;

	st = e2_run(out, sizeof(out), "e2fsck -fn '%s'", img);
	if (st != 0)
		T_FAIL("e2fsck -fn %s exited %d:\n%s", img, st, out);
}

void
e2_register(const char *img)
{
	int error = rump_pub_etfs_register(E2_DEV, img, RUMP_ETFS_BLK);

	if (error)
		T_FAIL("etfs_register %s: %s", img, strerror(error));
}

void
e2_boot(void)
{
	int error = rump_init();

	if (error)
		T_FAIL("rump_init: %s", strerror(error));
	if (rump_sys_mkdir(E2_MNT, 0755) == -1 && errno != EEXIST)
		T_FAIL("mkdir %s: %s", E2_MNT, strerror(errno));
}

void
e2_mount(const char *type, unsigned long flags)
{
	if (rump_sys_mount(E2_DEV, E2_MNT, type, flags, NULL) == -1)
		T_FAIL("mount %s on %s: %s", type, E2_MNT, strerror(errno));
}

void
e2_umount(void)
{
	if (rump_sys_umount2(E2_MNT, 0) == -1)
		T_FAIL("unmount %s: %s", E2_MNT, strerror(errno));
}

int
e2_corrupt_rounds(int dflt)
{
	const char *n = getenv("E2_CORRUPT_ROUNDS");

	if (n != NULL)
		return atoi(n);
	return getenv("E2_FULL") ? 2000 : dflt;
}
