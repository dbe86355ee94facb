/*
 * cmd_ls.c — rump.ls: lists the kernel's directories as coreutils ls does
 * with its output not a terminal: one name a line, sorted by the
 * locale's collation, -l in ls's long format (with symlink targets),
 * -a, -A, -R, -d, -i, -1.  Exit status as ls: 2 when a named file cannot
 * be reached, 1 for trouble below it.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <rump/rump_syscalls.h>

#include "rumpctl.h"

struct ls_opts {
	bool lo_long, lo_all, lo_almost, lo_recursive, lo_dir, lo_inode;
};

struct ls_ent {
	char *le_name; /* as shown */
	char *le_path; /* to reach it */
	struct stat le_st;
	bool le_ok; /* le_st is valid */
};

static int ls_status;
static time_t ls_now;

static void
ls_trouble(int level)
{
	if (ls_status < level)
		ls_status = level;
}

static int
cmp_ent(const void *a, const void *b)
{
	return strcoll(((const struct ls_ent *)a)->le_name,
	    ((const struct ls_ent *)b)->le_name);
}

static int
ndigits(unsigned long long v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static void
format_time(time_t t, char *buf, size_t len)
{
	struct tm tm;
	/* As ls: recent is within the last six months (and not future). */
	bool recent = t > ls_now - 31556952 / 2 && t <= ls_now;

	localtime_r(&t, &tm);
	strftime(buf, len, recent ? "%b %e %H:%M" : "%b %e  %Y", &tm);
}

/* Prints entries (already sorted), in the long format with -l. */
static void
ls_print(struct ls_ent *ents, size_t n, const struct ls_opts *o, bool total)
{
	int wlink = 1, wuser = 1, wgroup = 1, wsize = 1, wino = 1;
	unsigned long long blocks = 0;

	for (size_t i = 0; i < n; i++) {
		struct stat *st = &ents[i].le_st;
		int w;

		if (!ents[i].le_ok)
			continue;
		blocks += (unsigned long long)st->st_blocks;
		wino = ndigits(st->st_ino) > wino ? ndigits(st->st_ino) : wino;
		if (!o->lo_long)
			continue;
		w = ndigits(st->st_nlink);
		wlink = w > wlink ? w : wlink;
		w = (int)strlen(user_name(st->st_uid));
		wuser = w > wuser ? w : wuser;
		w = (int)strlen(group_name(st->st_gid));
		wgroup = w > wgroup ? w : wgroup;
		if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
			w = ndigits(major(st->st_rdev)) + 2 +
			    ndigits(minor(st->st_rdev));
		else
			w = ndigits((unsigned long long)st->st_size);
		wsize = w > wsize ? w : wsize;
	}
	if (o->lo_long && total)
		printf("total %llu\n", (blocks * 512 + 1023) / 1024);
	for (size_t i = 0; i < n; i++) {
		struct ls_ent *e = &ents[i];
		struct stat *st = &e->le_st;
		char mode[11], tbuf[64], size[64];

		if (o->lo_inode) {
			if (e->le_ok)
				printf(
				    "%*lu ", wino, (unsigned long)st->st_ino);
			else
				printf("%*s ", wino, "?");
		}
		if (!o->lo_long) {
			printf("%s\n", e->le_name);
			continue;
		}
		if (!e->le_ok) {
			printf(
			    "l????????? ? ? ? ?            ? %s\n", e->le_name);
			continue;
		}
		mode_string(st->st_mode, mode);
		format_time(st->st_mtim.tv_sec, tbuf, sizeof(tbuf));
		if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
			snprintf(size, sizeof(size), "%u, %u",
			    major(st->st_rdev), minor(st->st_rdev));
		else
			snprintf(
			    size, sizeof(size), "%lld", (long long)st->st_size);
		printf("%s %*lu %-*s %-*s %*s %s %s", mode, wlink,
		    (unsigned long)st->st_nlink, wuser, user_name(st->st_uid),
		    wgroup, group_name(st->st_gid), wsize, size, tbuf,
		    e->le_name);
		if (S_ISLNK(st->st_mode)) {
			char target[4096];
			ssize_t len = rump_sys_readlink(
			    e->le_path, target, sizeof(target) - 1);

			if (len >= 0) {
				target[len] = '\0';
				printf(" -> %s", target);
			}
		}
		printf("\n");
	}
}

static void
free_ents(struct ls_ent *ents, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ents[i].le_name);
		free(ents[i].le_path);
	}
	free(ents);
}

/* Lists directory path; header: print "path:" first. */
static void
ls_dir(const char *path, const struct ls_opts *o, bool header, bool first)
{
	struct ls_ent *ents;
	char **names;
	size_t n, k = 0;

	if (header)
		printf("%s%s:\n", first ? "" : "\n", path);
	if (rump_fs.fs_listdir(path, &names, &n) == -1) {
		warnerr(errno, "cannot open directory %s", q(path));
		ls_trouble(o->lo_recursive && !first ? 1 : 2);
		return;
	}
	ents = xmalloc((n + 2) * sizeof(*ents));
	if (o->lo_all) {
		ents[k].le_name = xstrdup(".");
		ents[k++].le_path = xstrdup(path);
		ents[k].le_name = xstrdup("..");
		ents[k++].le_path = path_join(path, "..");
	}
	for (size_t i = 0; i < n; i++) {
		if (names[i][0] == '.' && !o->lo_all && !o->lo_almost)
			continue;
		ents[k].le_name = xstrdup(names[i]);
		ents[k++].le_path = path_join(path, names[i]);
	}
	free_names(names, n);
	for (size_t i = 0; i < k; i++) {
		ents[i].le_ok =
		    rump_sys_lstat(ents[i].le_path, &ents[i].le_st) == 0;
		if (!ents[i].le_ok &&
		    (o->lo_long || o->lo_recursive || o->lo_inode)) {
			warnerr(errno, "cannot access %s", q(ents[i].le_path));
			ls_trouble(1);
		}
	}
	qsort(ents, k, sizeof(*ents), cmp_ent);
	ls_print(ents, k, o, true);
	if (o->lo_recursive) {
		for (size_t i = 0; i < k; i++) {
			if (!ents[i].le_ok || !S_ISDIR(ents[i].le_st.st_mode) ||
			    strcmp(ents[i].le_name, ".") == 0 ||
			    strcmp(ents[i].le_name, "..") == 0)
				continue;
			ls_dir(ents[i].le_path, o, true, false);
		}
	}
	free_ents(ents, k);
}

int
cmd_ls(int argc, char **argv)
{
	struct ls_opts o = {0};
	struct ls_ent *files, *dirs;
	size_t nfiles = 0, ndirs = 0;
	int c, nargs;

	while ((c = getopt(argc, argv, "laARdi1")) != -1) {
		switch (c) {
		case 'l':
			o.lo_long = true;
			break;
		case 'a':
			o.lo_all = true;
			break;
		case 'A':
			o.lo_almost = true;
			break;
		case 'R':
			o.lo_recursive = true;
			break;
		case 'd':
			o.lo_dir = true;
			break;
		case 'i':
			o.lo_inode = true;
			break;
		case '1':
			break;
		default:
			return usage_error(2, NULL);
		}
	}
	ls_now = time(NULL);
	argc -= optind;
	argv += optind;
	nargs = argc;
	if (argc == 0) {
		static char *dot[] = {".", NULL};

		argv = dot;
		argc = 1;
	}
	files = xmalloc((size_t)argc * sizeof(*files));
	dirs = xmalloc((size_t)argc * sizeof(*dirs));
	for (int i = 0; i < argc; i++) {
		struct stat st;
		int r;

		/* Named symlinks are followed unless -l or -d (as ls -H). */
		if (o.lo_long || o.lo_dir) {
			r = rump_sys_lstat(argv[i], &st);
		} else {
			r = rump_sys_stat(argv[i], &st);
			if (r == -1 && errno == ENOENT)
				r = rump_sys_lstat(argv[i], &st);
		}
		if (r == -1) {
			warnerr(errno, "cannot access %s", q(argv[i]));
			ls_trouble(2);
			continue;
		}
		if (S_ISDIR(st.st_mode) && !o.lo_dir) {
			dirs[ndirs].le_name = xstrdup(argv[i]);
			dirs[ndirs].le_path = xstrdup(argv[i]);
			dirs[ndirs].le_st = st;
			dirs[ndirs++].le_ok = true;
		} else {
			files[nfiles].le_name = xstrdup(argv[i]);
			files[nfiles].le_path = xstrdup(argv[i]);
			files[nfiles].le_st = st;
			files[nfiles++].le_ok = true;
		}
	}
	qsort(files, nfiles, sizeof(*files), cmp_ent);
	qsort(dirs, ndirs, sizeof(*dirs), cmp_ent);
	ls_print(files, nfiles, &o, false);
	for (size_t i = 0; i < ndirs; i++) {
		bool header = nargs > 1 || o.lo_recursive || nfiles > 0;

		if (header && (i > 0 || nfiles > 0))
			printf("\n");
		ls_dir(dirs[i].le_path, &o, header, true);
	}
	free_ents(files, nfiles);
	free_ents(dirs, ndirs);
	if (fflush(stdout) != 0)
		ls_trouble(2);
	return ls_status;
}
