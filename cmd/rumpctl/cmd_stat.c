/*
 * cmd_stat.c — rump.stat (coreutils stat's default output) and rump.df
 * (coreutils df's columns, -h; with no arguments every mount of
 * /proc/mounts that has blocks).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <rump/rump_syscalls.h>

#include "rumpctl.h"

static const char *
file_type(const struct stat *st)
{
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		return st->st_size == 0 ? "regular empty file" : "regular file";
	case S_IFDIR:
		return "directory";
	case S_IFLNK:
		return "symbolic link";
	case S_IFCHR:
		return "character special file";
	case S_IFBLK:
		return "block special file";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "socket";
	default:
		return "weird file";
	}
}

static void
print_time(const char *label, time_t sec, long nsec)
{
	struct tm tm;
	char date[64], zone[16];

	localtime_r(&sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	printf("%s: %s.%09ld %s\n", label, date, nsec, zone);
}

int
cmd_stat(int argc, char **argv)
{
	bool follow = false;
	int c, status = 0;

	while ((c = getopt(argc, argv, "L")) != -1) {
		if (c == 'L')
			follow = true;
		else
			return usage_error(1, NULL);
	}
	if (optind == argc)
		return usage_error(1, "missing operand");
	for (int i = optind; i < argc; i++) {
		struct statx sx;
		struct stat st;
		char mode[11], target[4096];
		int r;

		r = follow ? rump_sys_stat(argv[i], &st)
		           : rump_sys_lstat(argv[i], &st);
		if (r == -1) {
			warnerr(errno, "cannot statx %s", q(argv[i]));
			status = 1;
			continue;
		}
		if (S_ISLNK(st.st_mode)) {
			ssize_t n = rump_sys_readlink(
			    argv[i], target, sizeof(target) - 1);

			target[n < 0 ? 0 : n] = '\0';
			printf("  File: %s -> %s\n", argv[i], target);
		} else {
			printf("  File: %s\n", argv[i]);
		}
		printf("  Size: %-10lld\tBlocks: %-10lld IO Block: %-6ld %s\n",
		    (long long)st.st_size, (long long)st.st_blocks,
		    (long)st.st_blksize, file_type(&st));
		printf("Device: %u,%u\tInode: %-11lu Links: ", major(st.st_dev),
		    minor(st.st_dev), (unsigned long)st.st_ino);
		if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
			printf("%-5lu Device type: %u,%u\n",
			    (unsigned long)st.st_nlink, major(st.st_rdev),
			    minor(st.st_rdev));
		else
			printf("%lu\n", (unsigned long)st.st_nlink);
		mode_string(st.st_mode, mode);
		printf("Access: (%04o/%s)  Uid: (%5u/%8s)   Gid: (%5u/%8s)\n",
		    st.st_mode & 07777, mode, st.st_uid, user_name(st.st_uid),
		    st.st_gid, group_name(st.st_gid));
		print_time("Access", st.st_atim.tv_sec, st.st_atim.tv_nsec);
		print_time("Modify", st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		print_time("Change", st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
		if (rump_sys_statx(AT_FDCWD, argv[i],
		        follow ? 0 : AT_SYMLINK_NOFOLLOW, STATX_BTIME,
		        &sx) == 0 &&
		    (sx.stx_mask & STATX_BTIME))
			print_time(" Birth", sx.stx_btime.tv_sec,
			    (long)sx.stx_btime.tv_nsec);
		else
			printf(" Birth: -\n");
	}
	return status;
}

/* --------------------------------------------------------------- df */

struct df_row {
	char *dr_cols[6];
};

static void
df_add(struct df_row **rows, size_t *n, const char *source, const char *target,
    const struct statfs *sf, bool human)
{
	unsigned long long bs = sf->f_frsize ? (unsigned long long)sf->f_frsize
	                                     : (unsigned long long)sf->f_bsize;
	unsigned long long total = sf->f_blocks * bs;
	unsigned long long used = (sf->f_blocks - sf->f_bfree) * bs;
	unsigned long long avail = sf->f_bavail * bs;
	struct df_row *r;
	char buf[64];

	*rows = realloc(*rows, (*n + 1) * sizeof(**rows));
	if (*rows == NULL) {
		fprintf(stderr, "%s: out of memory\n", progname);
		exit(1);
	}
	r = &(*rows)[(*n)++];
	r->dr_cols[0] = xstrdup(source);
	if (human) {
		human_size(total, buf, sizeof(buf));
		r->dr_cols[1] = xstrdup(buf);
		human_size(used, buf, sizeof(buf));
		r->dr_cols[2] = xstrdup(buf);
		human_size(avail, buf, sizeof(buf));
		r->dr_cols[3] = xstrdup(buf);
	} else {
		snprintf(buf, sizeof(buf), "%llu", (total + 1023) / 1024);
		r->dr_cols[1] = xstrdup(buf);
		snprintf(buf, sizeof(buf), "%llu", (used + 1023) / 1024);
		r->dr_cols[2] = xstrdup(buf);
		snprintf(buf, sizeof(buf), "%llu", avail / 1024);
		r->dr_cols[3] = xstrdup(buf);
	}
	if (used + avail == 0)
		snprintf(buf, sizeof(buf), "-");
	else
		snprintf(buf, sizeof(buf), "%llu%%",
		    (used * 100 + used + avail - 1) / (used + avail));
	r->dr_cols[4] = xstrdup(buf);
	r->dr_cols[5] = xstrdup(target);
}

/* The fields of a /proc/mounts line, unescaped (\040 and friends). */
static int
mounts_fields(char *line, char **f, int max)
{
	int n = 0;

	for (char *tok = strtok(line, " "); tok && n < max;
	     tok = strtok(NULL, " ")) {
		char *w = tok;

		for (char *r = tok; *r; r++) {
			if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' &&
			    r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
			    r[3] <= '7') {
				*w++ = (char)((r[1] - '0') * 64 +
				    (r[2] - '0') * 8 + (r[3] - '0'));
				r += 3;
			} else {
				*w++ = *r;
			}
		}
		*w = '\0';
		f[n++] = tok;
	}
	return n;
}

int
cmd_df(int argc, char **argv)
{
	static const char *hdr[] = {"Filesystem", "1K-blocks", "Used",
	    "Available", "Use%", "Mounted on"};
	static const char *hhdr[] = {
	    "Filesystem", "Size", "Used", "Avail", "Use%", "Mounted on"};
	static const int minw[] = {14, 5, 5, 5, 4, 0};
	struct df_row *rows = NULL;
	size_t nrows = 0;
	bool human = false;
	char *mounts = NULL, *line, *save;
	int c, status = 0, w[6];

	while ((c = getopt(argc, argv, "hk")) != -1) {
		if (c == 'h')
			human = true;
		else if (c != 'k')
			return usage_error(1, NULL);
	}
	if (kread_file("/proc/mounts", &mounts, NULL) == -1) {
		warnerr(errno, "cannot read table of mounted file systems");
		return 1;
	}
	if (optind == argc) {
		for (line = strtok_r(mounts, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			struct statfs sf;
			char *f[6];

			if (mounts_fields(line, f, 6) < 3)
				continue;
			if (rump_sys_statfs(f[1], &sf) == -1) {
				warnerr(errno, "%s", f[1]);
				status = 1;
				continue;
			}
			if (sf.f_blocks == 0)
				continue; /* proc and the like, as df */
			df_add(&rows, &nrows, f[0], f[1], &sf, human);
		}
	}
	for (int i = optind; i < argc; i++) {
		char *copy = xstrdup(mounts), *best0 = NULL, *best1 = NULL;
		struct stat st, mst;
		struct statfs sf;

		if (rump_sys_stat(argv[i], &st) == -1 ||
		    rump_sys_statfs(argv[i], &sf) == -1) {
			warnerr(errno, "%s", argv[i]);
			status = 1;
			free(copy);
			continue;
		}
		/* The last mount on the same device is the one in use. */
		for (line = strtok_r(copy, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char *f[6];

			if (mounts_fields(line, f, 6) >= 3 &&
			    rump_sys_stat(f[1], &mst) == 0 &&
			    mst.st_dev == st.st_dev) {
				best0 = f[0];
				best1 = f[1];
			}
		}
		df_add(&rows, &nrows, best0 ? best0 : "-", best1 ? best1 : "-",
		    &sf, human);
		free(copy);
	}
	free(mounts);
	for (int j = 0; j < 6; j++) {
		const char *h = human ? hhdr[j] : hdr[j];

		w[j] = (int)strlen(h) > minw[j] ? (int)strlen(h) : minw[j];
		for (size_t i = 0; i < nrows; i++)
			if ((int)strlen(rows[i].dr_cols[j]) > w[j])
				w[j] = (int)strlen(rows[i].dr_cols[j]);
	}
	printf("%-*s %*s %*s %*s %*s %s\n", w[0], hdr[0], w[1],
	    human ? hhdr[1] : hdr[1], w[2], hdr[2], w[3],
	    human ? hhdr[3] : hdr[3], w[4], hdr[4], hdr[5]);
	for (size_t i = 0; i < nrows; i++) {
		char **r = rows[i].dr_cols;

		printf("%-*s %*s %*s %*s %*s %s\n", w[0], r[0], w[1], r[1],
		    w[2], r[2], w[3], r[3], w[4], r[4], r[5]);
		for (int j = 0; j < 6; j++)
			free(r[j]);
	}
	free(rows);
	return status;
}
