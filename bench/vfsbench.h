/*
 * vfsbench.h — helpers shared by the VFS benchmark programs (vfs_*.c),
 * on top of bench.h.
 *
 * The VFS programs, like the kernel-base ones, print raw samples only,
 * one line per metric, "name value value ...", plus "param name=value"
 * lines saying what was measured; bench/run.sh and bench/report_vfs.awk
 * do the statistics.  Everything here is static inline.
 */
#ifndef BENCH_VFSBENCH_H
#define BENCH_VFSBENCH_H

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rump/rump.h>

#include "bench.h"

/*
 * Writes "<prefix><i>" into buf (at least 16 bytes) and returns buf.  The
 * host and the rump sides of a benchmark name their files alike, at a cost
 * that does not matter next to a system call.
 */
static inline char *
bench_name(char *buf, char prefix, unsigned i)
{
	char tmp[12];
	int n = 0, k = 0;

	do {
		tmp[n++] = (char)('0' + i % 10);
		i /= 10;
	} while (i != 0);
	buf[k++] = prefix;
	while (n > 0)
		buf[k++] = tmp[--n];
	buf[k] = '\0';
	return buf;
}

/* MemAvailable of /proc/meminfo in bytes, or 0 if unknown. */
static inline uint64_t
bench_mem_available(void)
{
	unsigned long long kb = 0;
	char line[256];
	FILE *f;

	if ((f = fopen("/proc/meminfo", "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024;
}

/*
 * Makes a fresh directory "<base>/rumpk-bench.XXXXXX" on the host and
 * returns its malloc'd path; exits on failure.
 */
static inline char *
bench_host_mkdtemp(const char *base)
{
	char *path;

	if (asprintf(&path, "%s/rumpk-bench.XXXXXX", base) == -1)
		bench_fail("asprintf", ENOMEM);
	if (mkdtemp(path) == NULL)
		bench_fail(path, errno);
	return path;
}

/*
 * Removes a host directory tree made by a benchmark (regular files and
 * directories only, as the benchmarks make them).  Best effort.
 */
static inline void
bench_host_rmtree(const char *path)
{
	struct dirent *de;
	char *sub;
	DIR *d;

	if ((d = opendir(path)) == NULL) {
		unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (asprintf(&sub, "%s/%s", path, de->d_name) == -1)
			continue;
		if (de->d_type == DT_DIR)
			bench_host_rmtree(sub);
		else
			unlink(sub);
		free(sub);
	}
	closedir(d);
	rmdir(path);
}

/* An environment variable as a number, or dflt when unset or empty. */
static inline long
bench_env_long(const char *name, long dflt)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? atol(v) : dflt;
}

#endif /* BENCH_VFSBENCH_H */
