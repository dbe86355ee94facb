/*
 * cmd_cp.c — rump.cp: copies between the host and the kernel.  A path
 * written "rump:PATH" is the kernel's; any other path is the host's, so
 * "rump.cp -r ./dir rump:/mnt/dir" copies in, "rump.cp rump:/etc/x ./x"
 * out, and two rump: paths copy inside the kernel.  As coreutils cp: -r
 * (-R) copies directories and keeps symlinks as symlinks, -p keeps modes,
 * owners (where allowed) and times, -f replaces files it cannot open.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rumpctl.h"

struct cp_opts {
	bool co_recursive, co_preserve, co_force;
};

struct cp_path {
	const struct fsops *cp_fs;
	const char *cp_path;
};

static struct cp_path
cp_parse(const char *arg)
{
	struct cp_path p;

	if (strncmp(arg, "rump:", 5) == 0) {
		p.cp_fs = &rump_fs;
		p.cp_path = arg[5] != '\0' ? arg + 5 : "/";
	} else {
		p.cp_fs = &host_fs;
		p.cp_path = arg;
	}
	return p;
}

/* How a path is named in messages: as the user wrote it. */
static const char *
cp_name(const struct fsops *fs, const char *path)
{
	static char buf[2][4096 + 8];
	static int next;
	char *b = buf[next++ % 2];

	snprintf(
	    b, sizeof(buf[0]), "%s%s", fs == &rump_fs ? "rump:" : "", path);
	return q(b);
}

/* Keeps what -p keeps: owner (quietly, where allowed), mode, times. */
static int
cp_preserve(const struct fsops *fs, const char *dst, const struct stat *st)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};

	(void)fs->fs_lchown(dst, st->st_uid, st->st_gid);
	if (!S_ISLNK(st->st_mode) && fs->fs_chmod(dst, st->st_mode & 07777)) {
		warnerr(
		    errno, "preserving permissions for %s", cp_name(fs, dst));
		return 1;
	}
	if (fs->fs_utimens(dst, ts) == -1 && !S_ISLNK(st->st_mode)) {
		warnerr(errno, "preserving times for %s", cp_name(fs, dst));
		return 1;
	}
	return 0;
}

static int
cp_file(const struct cp_path *s, const struct cp_path *d, const struct stat *st,
    const struct cp_opts *o)
{
	static char buf[1 << 16];
	int in, out, status = 0;
	ssize_t n;

	if ((in = s->cp_fs->fs_open(s->cp_path, O_RDONLY, 0)) == -1) {
		warnerr(errno, "cannot open %s for reading",
		    cp_name(s->cp_fs, s->cp_path));
		return 1;
	}
	out = d->cp_fs->fs_open(
	    d->cp_path, O_WRONLY | O_CREAT | O_TRUNC, st->st_mode & 0777);
	if (out == -1 && o->co_force && errno != ENOENT) {
		(void)d->cp_fs->fs_unlink(d->cp_path);
		out = d->cp_fs->fs_open(d->cp_path,
		    O_WRONLY | O_CREAT | O_TRUNC, st->st_mode & 0777);
	}
	if (out == -1) {
		warnerr(errno, "cannot create regular file %s",
		    cp_name(d->cp_fs, d->cp_path));
		s->cp_fs->fs_close(in);
		return 1;
	}
	while ((n = s->cp_fs->fs_read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t w = d->cp_fs->fs_write(
			    out, buf + off, (size_t)(n - off));

			if (w <= 0) {
				warnerr(w < 0 ? errno : EIO, "error writing %s",
				    cp_name(d->cp_fs, d->cp_path));
				status = 1;
				goto out;
			}
			off += w;
		}
	}
	if (n < 0) {
		warnerr(
		    errno, "error reading %s", cp_name(s->cp_fs, s->cp_path));
		status = 1;
	}
out:
	s->cp_fs->fs_close(in);
	if (d->cp_fs->fs_close(out) == -1 && status == 0) {
		warnerr(
		    errno, "failed to close %s", cp_name(d->cp_fs, d->cp_path));
		status = 1;
	}
	if (status == 0 && o->co_preserve)
		status = cp_preserve(d->cp_fs, d->cp_path, st);
	return status;
}

static int cp_one(const struct cp_path *s, const struct cp_path *d,
    const struct cp_opts *o, bool top);

static int
cp_dir(const struct cp_path *s, const struct cp_path *d, const struct stat *st,
    const struct cp_opts *o)
{
	struct stat dst;
	char **names;
	size_t n;
	int status = 0;
	bool made = false;

	if (d->cp_fs->fs_stat(d->cp_path, &dst) == 0) {
		if (!S_ISDIR(dst.st_mode)) {
			warnmsg("cannot overwrite non-directory %s with "
			        "directory %s",
			    cp_name(d->cp_fs, d->cp_path),
			    cp_name(s->cp_fs, s->cp_path));
			return 1;
		}
	} else if (d->cp_fs->fs_mkdir(
	               d->cp_path, (st->st_mode & 0777) | 0700) == -1) {
		warnerr(errno, "cannot create directory %s",
		    cp_name(d->cp_fs, d->cp_path));
		return 1;
	} else {
		made = true;
	}
	if (s->cp_fs->fs_listdir(s->cp_path, &names, &n) == -1) {
		warnerr(
		    errno, "cannot access %s", cp_name(s->cp_fs, s->cp_path));
		return 1;
	}
	sort_names(names, n);
	for (size_t i = 0; i < n; i++) {
		char *sp = path_join(s->cp_path, names[i]);
		char *dp = path_join(d->cp_path, names[i]);
		struct cp_path cs = {s->cp_fs, sp}, cd = {d->cp_fs, dp};

		status |= cp_one(&cs, &cd, o, false);
		free(sp);
		free(dp);
	}
	free_names(names, n);
	if (o->co_preserve)
		status |= cp_preserve(d->cp_fs, d->cp_path, st);
	else if (made && (st->st_mode & 0700) != 0700)
		/* Made u+rwx to fill it: now the mode it was to have. */
		(void)d->cp_fs->fs_chmod(d->cp_path, st->st_mode & 0777);
	return status;
}

static int
cp_one(const struct cp_path *s, const struct cp_path *d,
    const struct cp_opts *o, bool top)
{
	struct stat st, dst;
	char target[4096];
	ssize_t len;
	int r;

	/* -r keeps symlinks; without it they are followed (cp -P / -L). */
	r = o->co_recursive ? s->cp_fs->fs_lstat(s->cp_path, &st)
	                    : s->cp_fs->fs_stat(s->cp_path, &st);
	if (r == -1) {
		warnerr(errno, "cannot stat %s", cp_name(s->cp_fs, s->cp_path));
		return 1;
	}
	if (S_ISDIR(st.st_mode)) {
		if (!o->co_recursive) {
			warnmsg("-r not specified; omitting directory %s",
			    cp_name(s->cp_fs, s->cp_path));
			return 1;
		}
		return cp_dir(s, d, &st, o);
	}
	(void)top;
	if (S_ISREG(st.st_mode))
		return cp_file(s, d, &st, o);
	if (d->cp_fs->fs_lstat(d->cp_path, &dst) == 0) {
		if (S_ISDIR(dst.st_mode)) {
			warnmsg("cannot overwrite directory %s with "
			        "non-directory",
			    cp_name(d->cp_fs, d->cp_path));
			return 1;
		}
		(void)d->cp_fs->fs_unlink(d->cp_path);
	}
	if (S_ISLNK(st.st_mode)) {
		len = s->cp_fs->fs_readlink(
		    s->cp_path, target, sizeof(target) - 1);
		if (len < 0) {
			warnerr(errno, "cannot read symbolic link %s",
			    cp_name(s->cp_fs, s->cp_path));
			return 1;
		}
		target[len] = '\0';
		if (d->cp_fs->fs_symlink(target, d->cp_path) == -1) {
			warnerr(errno, "cannot create symbolic link %s",
			    cp_name(d->cp_fs, d->cp_path));
			return 1;
		}
	} else if (d->cp_fs->fs_mknod(d->cp_path, st.st_mode, st.st_rdev) ==
	    -1) {
		warnerr(errno, "cannot create special file %s",
		    cp_name(d->cp_fs, d->cp_path));
		return 1;
	}
	return o->co_preserve ? cp_preserve(d->cp_fs, d->cp_path, &st) : 0;
}

int
cmd_cp(int argc, char **argv)
{
	struct cp_opts o = {0};
	struct cp_path dest;
	struct stat st;
	bool destdir;
	int c, status = 0, nsrc;

	while ((c = getopt(argc, argv, "rRpfav")) != -1) {
		if (c == 'r' || c == 'R')
			o.co_recursive = true;
		else if (c == 'p')
			o.co_preserve = true;
		else if (c == 'a')
			o.co_recursive = o.co_preserve = true;
		else if (c == 'f')
			o.co_force = true;
		else if (c != 'v')
			return usage_error(1, NULL);
	}
	nsrc = argc - optind - 1;
	if (nsrc < 1)
		return usage_error(1,
		    argc == optind
		        ? "missing file operand"
		        : "missing destination file operand after %s",
		    q(argv[argc - 1]));
	dest = cp_parse(argv[argc - 1]);
	destdir =
	    dest.cp_fs->fs_stat(dest.cp_path, &st) == 0 && S_ISDIR(st.st_mode);
	if (nsrc > 1 && !destdir) {
		warnmsg("target %s is not a directory", q(argv[argc - 1]));
		return 1;
	}
	for (int i = optind; i < argc - 1; i++) {
		struct cp_path s = cp_parse(argv[i]), d = dest;
		char *b = NULL, *dp = NULL;

		if (destdir) {
			b = path_base(s.cp_path);
			dp = path_join(dest.cp_path, b);
			d.cp_path = dp;
		}
		status |= cp_one(&s, &d, &o, true);
		free(b);
		free(dp);
	}
	return status;
}
