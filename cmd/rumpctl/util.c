/*
 * util.c — helpers of the rumpctl commands: quoting for messages, the
 * host and kernel sides of file operations (struct fsops), directory
 * listings, reading kernel files whole, paths, modes, names and sizes.
 */
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rump/rump_syscalls.h>

#include "rumpctl.h"

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		fprintf(stderr, "%s: out of memory\n", progname);
		exit(1);
	}
	return p;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

const char *
q(const char *s)
{
	static char bufs[4][4096 + 3];
	static int next;
	char *b = bufs[next++ % 4];
	char quote = strchr(s, '\'') ? '"' : '\'';

	snprintf(b, sizeof(bufs[0]), "%c%s%c", quote, s, quote);
	return b;
}

char *
path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *p = xmalloc(dl + nl + 2);

	memcpy(p, dir, dl);
	if (dl == 0 || dir[dl - 1] != '/')
		p[dl++] = '/';
	memcpy(p + dl, name, nl + 1);
	return p;
}

char *
path_base(const char *path)
{
	size_t end = strlen(path), start;

	while (end > 1 && path[end - 1] == '/')
		end--;
	start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	if (end == start) /* "/" */
		return xstrdup("/");
	char *p = xmalloc(end - start + 1);
	memcpy(p, path + start, end - start);
	p[end - start] = '\0';
	return p;
}

void
free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcoll(*(char *const *)a, *(char *const *)b);
}

void
sort_names(char **names, size_t n)
{
	qsort(names, n, sizeof(*names), cmp_names);
}

/* ------------------------------------------------------------- host */

static int
host_open(const char *path, int flags, mode_t mode)
{
	return open(path, flags, mode);
}

static int
host_mkdir(const char *path, mode_t mode)
{
	return mkdir(path, mode);
}

static int
host_utimens(const char *path, const struct timespec ts[2])
{
	return utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

static int
host_listdir(const char *path, char ***namesp, size_t *np)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (d == NULL)
		return -1;
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = realloc(names, cap * sizeof(*names));
			if (names == NULL) {
				fprintf(
				    stderr, "%s: out of memory\n", progname);
				exit(1);
			}
		}
		names[n++] = xstrdup(de->d_name);
	}
	if (errno != 0) {
		int e = errno;

		closedir(d);
		free_names(names, n);
		errno = e;
		return -1;
	}
	closedir(d);
	*namesp = names;
	*np = n;
	return 0;
}

static int
host_mknod(const char *path, mode_t mode, dev_t dev)
{
	return mknod(path, mode, dev);
}

const struct fsops host_fs = {
    .fs_name = "host",
    .fs_open = host_open,
    .fs_read = read,
    .fs_write = write,
    .fs_close = close,
    .fs_stat = stat,
    .fs_lstat = lstat,
    .fs_fstat = fstat,
    .fs_mkdir = host_mkdir,
    .fs_rmdir = rmdir,
    .fs_unlink = unlink,
    .fs_readlink = readlink,
    .fs_symlink = symlink,
    .fs_chmod = chmod,
    .fs_lchown = lchown,
    .fs_utimens = host_utimens,
    .fs_mknod = host_mknod,
    .fs_listdir = host_listdir,
};

/* ----------------------------------------------------------- kernel */

static int
rump_open(const char *path, int flags, mode_t mode)
{
	return rump_sys_open(path, flags, mode);
}

static int
rump_utimens(const char *path, const struct timespec ts[2])
{
	return rump_sys_utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

struct ldirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int
rump_listdir(const char *path, char ***namesp, size_t *np)
{
	char buf[8192];
	char **names = NULL;
	size_t n = 0, cap = 0;
	long got;
	int fd, e;

	if ((fd = rump_sys_open(path, O_RDONLY | O_DIRECTORY)) == -1)
		return -1;
	while ((got = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < got;) {
			struct ldirent64 *d = (void *)(buf + off);

			off += d->d_reclen;
			if (d->d_reclen == 0)
				break;
			if (strcmp(d->d_name, ".") == 0 ||
			    strcmp(d->d_name, "..") == 0)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 32;
				names = realloc(names, cap * sizeof(*names));
				if (names == NULL) {
					fprintf(stderr, "%s: out of memory\n",
					    progname);
					exit(1);
				}
			}
			names[n++] = xstrdup(d->d_name);
		}
	}
	e = errno;
	rump_sys_close(fd);
	if (got < 0) {
		free_names(names, n);
		errno = e;
		return -1;
	}
	*namesp = names;
	*np = n;
	return 0;
}

static int
rump_mknod(const char *path, mode_t mode, dev_t dev)
{
	return rump_sys_mknod(path, mode, dev);
}

const struct fsops rump_fs = {
    .fs_name = "rump",
    .fs_open = rump_open,
    .fs_read = rump_sys_read,
    .fs_write = rump_sys_write,
    .fs_close = rump_sys_close,
    .fs_stat = rump_sys_stat,
    .fs_lstat = rump_sys_lstat,
    .fs_fstat = rump_sys_fstat,
    .fs_mkdir = rump_sys_mkdir,
    .fs_rmdir = rump_sys_rmdir,
    .fs_unlink = rump_sys_unlink,
    .fs_readlink = rump_sys_readlink,
    .fs_symlink = rump_sys_symlink,
    .fs_chmod = rump_sys_chmod,
    .fs_lchown = rump_sys_lchown,
    .fs_utimens = rump_utimens,
    .fs_mknod = rump_mknod,
    .fs_listdir = rump_listdir,
};

int
kread_file(const char *path, char **bufp, size_t *lenp)
{
	size_t len = 0, cap = 4096;
	char *buf = xmalloc(cap);
	ssize_t n;
	int fd, e;

	if ((fd = rump_sys_open(path, O_RDONLY)) == -1) {
		free(buf);
		return -1;
	}
	for (;;) {
		if (len + 1 >= cap) {
			cap *= 2;
			if ((buf = realloc(buf, cap)) == NULL) {
				fprintf(
				    stderr, "%s: out of memory\n", progname);
				exit(1);
			}
		}
		n = rump_sys_read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	e = errno;
	rump_sys_close(fd);
	if (n < 0) {
		free(buf);
		errno = e;
		return -1;
	}
	buf[len] = '\0';
	*bufp = buf;
	if (lenp)
		*lenp = len;
	return 0;
}

/* ------------------------------------------------------------ modes */

void
mode_string(mode_t m, char *b)
{
	static const char types[] = "?pc?d?b?-?l?s???";

	b[0] = types[(m & S_IFMT) >> 12];
	b[1] = m & S_IRUSR ? 'r' : '-';
	b[2] = m & S_IWUSR ? 'w' : '-';
	b[3] =
	    m & S_ISUID ? (m & S_IXUSR ? 's' : 'S') : (m & S_IXUSR ? 'x' : '-');
	b[4] = m & S_IRGRP ? 'r' : '-';
	b[5] = m & S_IWGRP ? 'w' : '-';
	b[6] =
	    m & S_ISGID ? (m & S_IXGRP ? 's' : 'S') : (m & S_IXGRP ? 'x' : '-');
	b[7] = m & S_IROTH ? 'r' : '-';
	b[8] = m & S_IWOTH ? 'w' : '-';
	b[9] =
	    m & S_ISVTX ? (m & S_IXOTH ? 't' : 'T') : (m & S_IXOTH ? 'x' : '-');
	b[10] = '\0';
}

/*
 * chmod(1)'s grammar: [ugoa]*([-+=]([rwxXst]*|[ugo]))+ clauses separated
 * by commas, or an octal number.
 */
long
parse_mode(const char *s, mode_t old, bool isdir, mode_t umask)
{
	mode_t m = old & 07777;
	const char *p = s;

	if (*s >= '0' && *s <= '7') {
		char *end;
		unsigned long v = strtoul(s, &end, 8);

		if (*end != '\0' || v > 07777)
			return -1;
		return (long)v;
	}
	for (;;) {
		mode_t who = 0;

		for (; strchr("ugoa", *p) && *p; p++)
			who |= *p == 'u' ? (S_ISUID | S_IRWXU)
			    : *p == 'g'  ? (S_ISGID | S_IRWXG)
			    : *p == 'o'  ? (S_ISVTX | S_IRWXO)
			                 : 07777;
		if (*p != '+' && *p != '-' && *p != '=')
			return -1;
		while (*p == '+' || *p == '-' || *p == '=') {
			char op = *p++;
			mode_t bits = 0, mask = who ? who : 07777 & ~umask;

			if (*p && strchr("ugo", *p)) {
				mode_t src = *p == 'u' ? (m & S_IRWXU) >> 6
				    : *p == 'g'        ? (m & S_IRWXG) >> 3
				                       : m & S_IRWXO;
				bits = src << 6 | src << 3 | src;
				p++;
			} else {
				for (; *p && strchr("rwxXst", *p); p++) {
					switch (*p) {
					case 'r':
						bits |= 0444;
						break;
					case 'w':
						bits |= 0222;
						break;
					case 'x':
						bits |= 0111;
						break;
					case 'X':
						if (isdir || (old & 0111))
							bits |= 0111;
						break;
					case 's':
						bits |= S_ISUID | S_ISGID;
						break;
					case 't':
						bits |= S_ISVTX;
						break;
					}
				}
			}
			if (op == '=') {
				mode_t clear = who ? who : 07777;

				/* As chmod: = keeps setuid/setgid of dirs. */
				if (isdir)
					clear &= ~(mode_t)(S_ISUID | S_ISGID);
				m &= ~clear;
			}
			if (op == '-')
				m &= ~(bits & mask);
			else
				m |= bits & mask;
		}
		if (*p == '\0')
			break;
		if (*p != ',')
			return -1;
		p++;
	}
	return (long)m;
}

/* ------------------------------------------------------------ names */

const char *
user_name(uid_t uid)
{
	static char buf[32];
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		return pw->pw_name;
	snprintf(buf, sizeof(buf), "%u", (unsigned)uid);
	return buf;
}

const char *
group_name(gid_t gid)
{
	static char buf[32];
	struct group *gr = getgrgid(gid);

	if (gr != NULL)
		return gr->gr_name;
	snprintf(buf, sizeof(buf), "%u", (unsigned)gid);
	return buf;
}

/* ------------------------------------------------------------ sizes */

long long
parse_dd_size(const char *s)
{
	long long total = 1;
	char *end;

	for (;;) {
		long long v, mult = 1;

		if (*s < '0' || *s > '9')
			return -1;
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno)
			return -1;
		if (*end == 'c')
			end++;
		else if (*end == 'w')
			mult = 2, end++;
		else if (*end == 'b')
			mult = 512, end++;
		else if (*end && strchr("kKMGT", *end)) {
			int shift = *end == 'k' || *end == 'K' ? 1
			    : *end == 'M'                      ? 2
			    : *end == 'G'                      ? 3
			                                       : 4;
			bool si = end[1] == 'B';

			for (int i = 0; i < shift; i++)
				mult *= si ? 1000 : 1024;
			end += si ? 2 : 1;
			if (!si && *end == 'i' && end[1] == 'B')
				end += 2;
		}
		if (v != 0 && mult > INT64_MAX / v)
			return -1;
		v *= mult;
		if (v != 0 && total > INT64_MAX / v)
			return -1;
		total *= v;
		if (*end == '\0')
			return total;
		if (*end != 'x')
			return -1;
		s = end + 1;
	}
}

void
human_size(unsigned long long bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu", bytes);
		return;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	/* As df -h: one decimal below 10, rounded up. */
	if (v < 10) {
		double r = (double)(long long)(v * 10);

		if (r < v * 10)
			r += 1;
		if (r >= 100) {
			snprintf(buf, len, "%.0f%c", r / 10, units[u]);
			return;
		}
		snprintf(buf, len, "%.1f%c", r / 10, units[u]);
	} else {
		long long r = (long long)v;

		if ((double)r < v)
			r++;
		if (r >= 1024 && u < 5) {
			snprintf(buf, len, "1.0%c", units[u + 1]);
			return;
		}
		snprintf(buf, len, "%lld%c", r, units[u]);
	}
}

void
net_error(int error, const char *what)
{
	if (error == ENOSYS)
		warnmsg("%s: the rump kernel has no networking "
		        "(its network component is not linked)",
		    what);
	else if (error == EAFNOSUPPORT || error == EPROTONOSUPPORT)
		warnmsg("%s: the rump kernel does not support this address "
		        "family or protocol (%s)",
		    what, strerror(error));
	else
		warnerr(error, "%s", what);
}
