/*
 * cmd_files.c — the small file commands on kernel paths, with the
 * messages and exit status of their coreutils namesakes: rump.cat,
 * rump.mkdir, rump.rm, rump.rmdir, rump.mv, rump.ln, rump.chmod,
 * rump.chown.
 */
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rump/rump_syscalls.h>

#include "rumpctl.h"

/* -------------------------------------------------------------- cat */

static int
cat_fd(int fd, bool host, const char *name)
{
	char buf[65536];
	ssize_t n;

	while ((n = host ? read(fd, buf, sizeof(buf))
	                 : rump_sys_read(fd, buf, sizeof(buf))) > 0) {
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
			warnerr(errno, "write error");
			return 1;
		}
	}
	if (n < 0) {
		warnerr(errno, "%s", name);
		return 1;
	}
	return 0;
}

int
cmd_cat(int argc, char **argv)
{
	int status = 0, c, fd;

	while ((c = getopt(argc, argv, "u")) != -1)
		if (c != 'u')
			return usage_error(1, NULL);
	if (optind == argc)
		return cat_fd(0, true, "-");
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0) {
			status |= cat_fd(0, true, "-");
			continue;
		}
		if ((fd = rump_sys_open(argv[i], O_RDONLY)) == -1) {
			warnerr(errno, "%s", argv[i]);
			status = 1;
			continue;
		}
		status |= cat_fd(fd, false, argv[i]);
		rump_sys_close(fd);
	}
	if (fflush(stdout) != 0) {
		warnerr(errno, "write error");
		status = 1;
	}
	return status;
}

/* ------------------------------------------------------------ mkdir */

/* mkdir -p: every missing directory of path; 0 or -1 (errno set). */
static int
mkdir_parents(char *path, mode_t mode, mode_t last)
{
	struct stat st;
	char *p = path;

	for (;;) {
		while (*p == '/')
			p++;
		p = strchr(p, '/');
		if (p != NULL)
			*p = '\0';
		if (rump_sys_mkdir(path, p ? mode : last) == -1) {
			int e = errno;

			if (e != EEXIST || rump_sys_stat(path, &st) == -1 ||
			    !S_ISDIR(st.st_mode)) {
				if (p)
					*p = '/';
				errno = e == EEXIST ? ENOTDIR : e;
				return -1;
			}
		}
		if (p == NULL)
			return 0;
		*p++ = '/';
		while (*p == '/')
			p++;
		if (*p == '\0')
			return 0;
	}
}

int
cmd_mkdir(int argc, char **argv)
{
	const char *modestr = NULL;
	bool parents = false;
	mode_t umask, mode = 0777;
	int c, status = 0;

	while ((c = getopt(argc, argv, "pm:v")) != -1) {
		if (c == 'p')
			parents = true;
		else if (c == 'm')
			modestr = optarg;
		else if (c != 'v')
			return usage_error(1, NULL);
	}
	if (optind == argc)
		return usage_error(1, "missing operand");
	umask = (mode_t)rump_sys_umask(022);
	rump_sys_umask(umask);
	if (modestr != NULL) {
		long m = parse_mode(modestr, 0777 & ~umask, true, 0);

		if (m < 0) {
			warnmsg("invalid mode %s", q(modestr));
			return 1;
		}
		mode = (mode_t)m;
	}
	for (int i = optind; i < argc; i++) {
		char *path = xstrdup(argv[i]);
		int r;

		if (parents)
			/* Parents get u+wx so the rest can be made. */
			r = mkdir_parents(path, (0777 & ~umask) | 0300, mode);
		else
			r = rump_sys_mkdir(path, mode);
		/* An explicit mode is not cut by the umask (chmod after). */
		if (r == 0 && modestr != NULL && (mode & ~(0777 & ~umask)))
			r = rump_sys_chmod(path, mode);
		if (r == -1) {
			warnerr(
			    errno, "cannot create directory %s", q(argv[i]));
			status = 1;
		}
		free(path);
	}
	return status;
}

/* --------------------------------------------------------------- rm */

struct rm_opts {
	bool ro_recursive, ro_force, ro_dir;
};

static int
rm_path(const char *path, const struct rm_opts *o)
{
	struct stat st;
	char **names;
	size_t n;
	int status = 0;

	if (rump_sys_lstat(path, &st) == -1) {
		if (o->ro_force && errno == ENOENT)
			return 0;
		warnerr(errno, "cannot remove %s", q(path));
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (rump_sys_unlink(path) == -1) {
			if (o->ro_force && errno == ENOENT)
				return 0;
			warnerr(errno, "cannot remove %s", q(path));
			return 1;
		}
		return 0;
	}
	if (!o->ro_recursive) {
		if (o->ro_dir && rump_sys_rmdir(path) == 0)
			return 0;
		warnerr(
		    o->ro_dir ? errno : EISDIR, "cannot remove %s", q(path));
		return 1;
	}
	if (rump_fs.fs_listdir(path, &names, &n) == -1) {
		warnerr(errno, "cannot remove %s", q(path));
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		char *p = path_join(path, names[i]);

		status |= rm_path(p, o);
		free(p);
	}
	free_names(names, n);
	if (status == 0 && rump_sys_rmdir(path) == -1) {
		warnerr(errno, "cannot remove %s", q(path));
		status = 1;
	}
	return status;
}

int
cmd_rm(int argc, char **argv)
{
	struct rm_opts o = {0};
	int c, status = 0;

	while ((c = getopt(argc, argv, "rRfdv")) != -1) {
		if (c == 'r' || c == 'R')
			o.ro_recursive = true;
		else if (c == 'f')
			o.ro_force = true;
		else if (c == 'd')
			o.ro_dir = true;
		else if (c != 'v')
			return usage_error(1, NULL);
	}
	if (optind == argc)
		return o.ro_force ? 0 : usage_error(1, "missing operand");
	for (int i = optind; i < argc; i++) {
		char *b = path_base(argv[i]);

		if (strcmp(b, ".") == 0 || strcmp(b, "..") == 0) {
			warnmsg("refusing to remove '.' or '..' directory: "
			        "skipping %s",
			    q(argv[i]));
			status = 1;
		} else if (strcmp(b, "/") == 0 && o.ro_recursive) {
			warnmsg("it is dangerous to operate recursively on "
			        "'/'");
			status = 1;
		} else {
			status |= rm_path(argv[i], &o);
		}
		free(b);
	}
	return status;
}

int
cmd_rmdir(int argc, char **argv)
{
	bool parents = false;
	int c, status = 0;

	while ((c = getopt(argc, argv, "pv")) != -1) {
		if (c == 'p')
			parents = true;
		else if (c != 'v')
			return usage_error(1, NULL);
	}
	if (optind == argc)
		return usage_error(1, "missing operand");
	for (int i = optind; i < argc; i++) {
		char *path = xstrdup(argv[i]);

		for (;;) {
			char *slash;

			if (rump_sys_rmdir(path) == -1) {
				warnerr(errno, "failed to remove %s", q(path));
				status = 1;
				break;
			}
			if (!parents)
				break;
			/* Strip the last component and trailing slashes. */
			slash = strrchr(path, '/');
			while (
			    slash != NULL && slash > path && slash[1] == '\0') {
				*slash = '\0';
				slash = strrchr(path, '/');
			}
			if (slash == NULL || slash == path)
				break;
			while (slash > path && *slash == '/')
				*slash-- = '\0';
		}
		free(path);
	}
	return status;
}

/* --------------------------------------------------------------- mv */

int
cmd_mv(int argc, char **argv)
{
	struct stat st;
	const char *dest;
	bool destdir;
	int c, status = 0, nsrc;

	while ((c = getopt(argc, argv, "fiv")) != -1)
		if (c != 'f' && c != 'i' && c != 'v')
			return usage_error(1, NULL);
	nsrc = argc - optind - 1;
	if (nsrc < 1)
		return usage_error(1,
		    argc == optind
		        ? "missing file operand"
		        : "missing destination file operand after %s",
		    q(argv[argc - 1]));
	dest = argv[argc - 1];
	destdir = rump_sys_stat(dest, &st) == 0 && S_ISDIR(st.st_mode);
	if (nsrc > 1 && !destdir) {
		warnmsg("target %s is not a directory", q(dest));
		return 1;
	}
	for (int i = optind; i < argc - 1; i++) {
		char *target, *b = path_base(argv[i]);

		target = destdir ? path_join(dest, b) : xstrdup(dest);
		if (rump_sys_rename(argv[i], target) == -1) {
			if (errno == ENOENT &&
			    rump_sys_lstat(argv[i], &st) == -1)
				warnerr(errno, "cannot stat %s", q(argv[i]));
			else
				warnerr(errno, "cannot move %s to %s",
				    q(argv[i]), q(target));
			status = 1;
		}
		free(target);
		free(b);
	}
	return status;
}

/* --------------------------------------------------------------- ln */

int
cmd_ln(int argc, char **argv)
{
	bool sym = false, force = false, destdir = false;
	struct stat st;
	const char *dest;
	int c, status = 0, nsrc;

	while ((c = getopt(argc, argv, "sfnv")) != -1) {
		if (c == 's')
			sym = true;
		else if (c == 'f')
			force = true;
		else if (c != 'n' && c != 'v')
			return usage_error(1, NULL);
	}
	nsrc = argc - optind;
	if (nsrc < 1)
		return usage_error(1, "missing file operand");
	if (nsrc == 1) {
		dest = ".";
		destdir = true;
	} else {
		dest = argv[argc - 1];
		nsrc--;
		destdir = rump_sys_stat(dest, &st) == 0 && S_ISDIR(st.st_mode);
		if (nsrc > 1 && !destdir) {
			warnmsg("target %s is not a directory", q(dest));
			return 1;
		}
	}
	for (int i = optind; i < optind + nsrc; i++) {
		char *b = path_base(argv[i]);
		char *link = destdir ? path_join(dest, b) : xstrdup(dest);
		int r;

		if (force && rump_sys_lstat(link, &st) == 0 &&
		    !S_ISDIR(st.st_mode))
			(void)rump_sys_unlink(link);
		r = sym ? rump_sys_symlink(argv[i], link)
		        : rump_sys_link(argv[i], link);
		if (r == -1) {
			if (sym)
				warnerr(errno,
				    "failed to create symbolic link %s",
				    q(link));
			else if (errno == ENOENT &&
			    rump_sys_lstat(argv[i], &st) == -1)
				warnerr(
				    errno, "failed to access %s", q(argv[i]));
			else
				warnerr(errno,
				    "failed to create hard link %s => %s",
				    q(link), q(argv[i]));
			status = 1;
		}
		free(link);
		free(b);
	}
	return status;
}

/* ------------------------------------------------------ chmod/chown */

typedef int (*apply_fn)(const char *path, const struct stat *st, void *arg);

/* Applies fn to path and, with recursive, everything below it. */
static int
apply_tree(const char *path, bool recursive, bool top, apply_fn fn, void *arg)
{
	struct stat st;
	char **names;
	size_t n;
	int status;

	if ((top ? rump_sys_stat(path, &st) : rump_sys_lstat(path, &st)) ==
	    -1) {
		warnerr(errno, "cannot access %s", q(path));
		return 1;
	}
	status = fn(path, &st, arg);
	if (!recursive || !S_ISDIR(st.st_mode))
		return status;
	if (rump_fs.fs_listdir(path, &names, &n) == -1) {
		warnerr(errno, "cannot read directory %s", q(path));
		return 1;
	}
	sort_names(names, n);
	for (size_t i = 0; i < n; i++) {
		char *p = path_join(path, names[i]);

		status |= apply_tree(p, true, false, fn, arg);
		free(p);
	}
	free_names(names, n);
	return status;
}

struct chmod_arg {
	const char *ca_mode;
	mode_t ca_umask;
};

static int
chmod_one(const char *path, const struct stat *st, void *arg)
{
	struct chmod_arg *ca = arg;
	long m;

	if (S_ISLNK(st->st_mode))
		return 0; /* as chmod -R: symlinks are not changed */
	m = parse_mode(
	    ca->ca_mode, st->st_mode, S_ISDIR(st->st_mode), ca->ca_umask);
	if (rump_sys_chmod(path, (mode_t)m) == -1) {
		warnerr(errno, "changing permissions of %s", q(path));
		return 1;
	}
	return 0;
}

int
cmd_chmod(int argc, char **argv)
{
	struct chmod_arg ca;
	bool recursive = false;
	int status = 0, i = 1;

	/* "-w" and "-x" are modes, not options, as chmod takes them. */
	for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "-R") == 0)
			recursive = true;
		else if (strspn(argv[i] + 1, "rwxXst") != strlen(argv[i] + 1))
			return usage_error(
			    1, "invalid option -- %s", q(argv[i]));
		else
			break;
	}
	if (argc - i < 1)
		return usage_error(1, "missing operand");
	if (argc - i < 2)
		return usage_error(1, "missing operand after %s", q(argv[i]));
	ca.ca_mode = argv[i];
	ca.ca_umask = (mode_t)rump_sys_umask(022);
	rump_sys_umask(ca.ca_umask);
	if (parse_mode(ca.ca_mode, 0, false, 0) < 0) {
		warnmsg("invalid mode: %s", q(ca.ca_mode));
		return usage_error(1, NULL);
	}
	for (i++; i < argc; i++)
		status |= apply_tree(argv[i], recursive, true, chmod_one, &ca);
	return status;
}

struct chown_arg {
	uid_t co_uid; /* (uid_t)-1: keep */
	gid_t co_gid;
};

static int
chown_one(
    const char *path, const struct stat *st __attribute__((unused)), void *arg)
{
	struct chown_arg *co = arg;

	if (rump_sys_lchown(path, co->co_uid, co->co_gid) == -1) {
		warnerr(errno, "changing ownership of %s", q(path));
		return 1;
	}
	return 0;
}

/* A user or group: a name of the host's databases or a number. */
static bool
parse_id(const char *s, bool group, unsigned *idp)
{
	char *end;
	unsigned long v;

	if (group) {
		struct group *gr = getgrnam(s);

		if (gr != NULL) {
			*idp = gr->gr_gid;
			return true;
		}
	} else {
		struct passwd *pw = getpwnam(s);

		if (pw != NULL) {
			*idp = pw->pw_uid;
			return true;
		}
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno || v >= 0xffffffffUL)
		return false;
	*idp = (unsigned)v;
	return true;
}

int
cmd_chown(int argc, char **argv)
{
	struct chown_arg co = {(uid_t)-1, (gid_t)-1};
	bool recursive = false;
	char *spec, *colon;
	unsigned id;
	int c, status = 0;

	while ((c = getopt(argc, argv, "Rhv")) != -1) {
		if (c == 'R')
			recursive = true;
		else if (c != 'h' && c != 'v')
			return usage_error(1, NULL);
	}
	if (argc - optind < 1)
		return usage_error(1, "missing operand");
	if (argc - optind < 2)
		return usage_error(
		    1, "missing operand after %s", q(argv[optind]));
	spec = xstrdup(argv[optind]);
	colon = strpbrk(spec, ":.");
	if (colon != NULL && *colon == '.' && parse_id(spec, false, &id))
		colon = NULL; /* a user name with a dot */
	if (colon != NULL)
		*colon++ = '\0';
	if (*spec != '\0') {
		if (!parse_id(spec, false, &id)) {
			warnmsg("invalid user: %s", q(argv[optind]));
			return 1;
		}
		co.co_uid = id;
		/* "user:" is the user's login group. */
		if (colon != NULL && *colon == '\0') {
			struct passwd *pw = getpwuid(id);

			if (pw != NULL)
				co.co_gid = pw->pw_gid;
		}
	}
	if (colon != NULL && *colon != '\0') {
		if (!parse_id(colon, true, &id)) {
			warnmsg("invalid group: %s", q(argv[optind]));
			return 1;
		}
		co.co_gid = id;
	}
	free(spec);
	for (int i = optind + 1; i < argc; i++)
		status |= apply_tree(argv[i], recursive, true, chown_one, &co);
	return status;
}
