/*
 * cmd_sys.c — commands on the kernel as a whole: rump.mount and
 * rump.umount (util-linux's options, messages and exit status 32),
 * rump.halt, and rump.sysctl (procps's: names map to /proc/sys as
 * net.ipv4.ip_forward → /proc/sys/net/ipv4/ip_forward).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <unistd.h>

#include <rump/rump_syscalls.h>

#include "rumpctl.h"

#define MOUNT_EX_FAIL 32

/* ------------------------------------------------------------ mount */

static const struct {
	const char *name;
	unsigned long set, clear;
} mount_flags[] = {
    {"ro", MS_RDONLY, 0},
    {"rw", 0, MS_RDONLY},
    {"nosuid", MS_NOSUID, 0},
    {"suid", 0, MS_NOSUID},
    {"nodev", MS_NODEV, 0},
    {"dev", 0, MS_NODEV},
    {"noexec", MS_NOEXEC, 0},
    {"exec", 0, MS_NOEXEC},
    {"sync", MS_SYNCHRONOUS, 0},
    {"async", 0, MS_SYNCHRONOUS},
    {"remount", MS_REMOUNT, 0},
    {"noatime", MS_NOATIME, 0},
    {"atime", 0, MS_NOATIME},
    {"nodiratime", MS_NODIRATIME, 0},
    {"diratime", 0, MS_NODIRATIME},
    {"relatime", MS_RELATIME, 0},
    {"norelatime", 0, MS_RELATIME},
    {"strictatime", MS_STRICTATIME, 0},
    {"dirsync", MS_DIRSYNC, 0},
    {"mand", MS_MANDLOCK, 0},
    {"nomand", 0, MS_MANDLOCK},
    {"lazytime", MS_LAZYTIME, 0},
    {"bind", MS_BIND, 0},
    {"defaults", 0, 0},
};

/* Splits options into flags and the data string for the file system. */
static void
mount_parse(const char *opts, unsigned long *flags, char *data, size_t len)
{
	char *copy = xstrdup(opts), *save, *t;
	size_t used = strlen(data);

	for (t = strtok_r(copy, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(mount_flags) / sizeof(mount_flags[0]);
		     i++)
			if (strcmp(t, mount_flags[i].name) == 0)
				break;
		if (i < sizeof(mount_flags) / sizeof(mount_flags[0])) {
			*flags = (*flags & ~mount_flags[i].clear) |
			    mount_flags[i].set;
			continue;
		}
		used += (size_t)snprintf(data + used,
		    used < len ? len - used : 0, "%s%s", used ? "," : "", t);
	}
	free(copy);
}

int
cmd_mount(int argc, char **argv)
{
	const char *type = NULL, *source, *target;
	unsigned long flags = 0;
	char data[4096] = "";
	int c;

	while ((c = getopt(argc, argv, "t:o:rwv")) != -1) {
		switch (c) {
		case 't':
			type = optarg;
			break;
		case 'o':
			mount_parse(optarg, &flags, data, sizeof(data));
			break;
		case 'r':
			flags |= MS_RDONLY;
			break;
		case 'w':
			flags &= ~(unsigned long)MS_RDONLY;
			break;
		case 'v':
			break;
		default:
			return usage_error(1, NULL);
		}
	}
	if (strlen(data) >= sizeof(data) - 1) {
		warnmsg("options too long");
		return 1;
	}
	if (optind == argc && type == NULL && flags == 0) {
		char *buf;
		size_t len;

		if (kread_file("/proc/mounts", &buf, &len) == -1) {
			warnerr(errno, "cannot read /proc/mounts");
			return MOUNT_EX_FAIL;
		}
		fwrite(buf, 1, len, stdout);
		free(buf);
		return 0;
	}
	if (argc - optind == 1 && (flags & MS_REMOUNT)) {
		source = "none";
		target = argv[optind];
	} else if (argc - optind == 2) {
		source = argv[optind];
		target = argv[optind + 1];
	} else {
		return usage_error(1, "bad usage");
	}
	if (type == NULL && !(flags & (MS_REMOUNT | MS_BIND))) {
		warnmsg(
		    "%s: you must specify the filesystem type (-t)", target);
		return MOUNT_EX_FAIL;
	}
	if (rump_sys_mount(source, target, type ? type : "", flags,
	        data[0] ? data : NULL) == 0)
		return 0;
	switch (errno) {
	case ENOENT:
		warnmsg("%s: mount point does not exist.", target);
		break;
	case ENOTDIR:
		warnmsg("%s: mount point is not a directory.", target);
		break;
	case ENODEV:
		warnmsg("%s: unknown filesystem type '%s'.", target,
		    type ? type : "");
		break;
	case EPERM:
	case EACCES:
		warnmsg("%s: permission denied.", target);
		break;
	case EBUSY:
		warnmsg("%s: %s already mounted or mount point busy.", target,
		    source);
		break;
	case EINVAL:
		warnmsg("%s: wrong fs type, bad option, bad superblock on %s, "
		        "missing codepage or helper program, or other error.",
		    target, source);
		break;
	default:
		warnmsg("%s: mount(2) system call failed: %s.", target,
		    strerror(errno));
		break;
	}
	return MOUNT_EX_FAIL;
}

int
cmd_umount(int argc, char **argv)
{
	int c, flags = 0, status = 0;

	while ((c = getopt(argc, argv, "flv")) != -1) {
		if (c == 'f')
			flags |= MNT_FORCE;
		else if (c == 'l')
			flags |= MNT_DETACH;
		else if (c != 'v')
			return usage_error(1, NULL);
	}
	if (optind == argc)
		return usage_error(1, "bad usage");
	for (int i = optind; i < argc; i++) {
		if (rump_sys_umount2(argv[i], flags) == 0)
			continue;
		status = MOUNT_EX_FAIL;
		if (errno == EINVAL)
			warnmsg("%s: not mounted.", argv[i]);
		else if (errno == EBUSY)
			warnmsg("%s: target is busy.", argv[i]);
		else if (errno == ENOENT)
			warnmsg("%s: no mount point specified.", argv[i]);
		else
			warnmsg(
			    "%s: umount failed: %s.", argv[i], strerror(errno));
	}
	return status;
}

/* ------------------------------------------------------------- halt */

int
cmd_halt(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return usage_error(1, "takes no arguments");
	fflush(stdout);
	if (rump_sys_reboot(RB_POWER_OFF) == 0)
		return 0;
	/* The server went away with the connection: that is the halt. */
	if (errno == EPERM || errno == EINVAL || errno == ENOSYS ||
	    errno == EFAULT) {
		warnerr(errno, "halt");
		return 1;
	}
	return 0;
}

/* ----------------------------------------------------------- sysctl */

struct sysctl_opts {
	bool so_values, so_quiet, so_ignore, so_write;
};

/* net.ipv4.ip_forward ↔ net/ipv4/ip_forward: '.' and '/' swap. */
static char *
sysctl_path(const char *name)
{
	char *p = xmalloc(strlen(name) + sizeof("/proc/sys/"));
	char *w = p + sprintf(p, "/proc/sys/");

	for (; *name; name++)
		*w++ = *name == '.' ? '/' : *name == '/' ? '.' : *name;
	*w = '\0';
	return p;
}

static char *
sysctl_name(const char *path)
{
	char *n = xstrdup(path + strlen("/proc/sys/"));

	for (char *p = n; *p; p++)
		*p = *p == '/' ? '.' : *p == '.' ? '/' : *p;
	return n;
}

static int
sysctl_show(const char *name, const char *path, const struct sysctl_opts *o)
{
	char *buf, *line, *save;
	size_t len;

	if (kread_file(path, &buf, &len) == -1) {
		if (errno == EACCES)
			warnmsg("permission denied on key '%s'", name);
		else
			warnerr(errno, "reading key \"%s\"", name);
		return 1;
	}
	if (len == 0) {
		if (o->so_values)
			printf("\n");
		else
			printf("%s = \n", name);
	}
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (o->so_values)
			printf("%s\n", line);
		else
			printf("%s = %s\n", name, line);
	}
	free(buf);
	return 0;
}

static int
sysctl_one(const char *arg, const struct sysctl_opts *o)
{
	char *name = xstrdup(arg), *eq = strchr(name, '='), *path;
	const char *value = NULL;
	struct stat st;
	int status = 0, fd;

	if (eq != NULL) {
		value = eq + 1;
		while (eq > name && eq[-1] == ' ')
			eq--;
		*eq = '\0';
		while (*value == ' ')
			value++;
	} else if (o->so_write) {
		warnmsg("\"%s\" must be of the form name=value", name);
		free(name);
		return 1;
	}
	path = sysctl_path(name);
	if (rump_sys_stat(path, &st) == -1) {
		if (!o->so_ignore) {
			warnerr(errno, "cannot stat %s", path);
			status = 1;
		}
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		warnmsg("%s: is a directory (rump.sysctl -a lists it)", name);
		status = 1;
		goto out;
	}
	if (value == NULL) {
		status = sysctl_show(name, path, o);
		goto out;
	}
	if ((fd = rump_sys_open(path, O_WRONLY | O_TRUNC)) == -1 ||
	    rump_sys_write(fd, value, strlen(value)) == -1) {
		if (errno == EACCES || errno == EPERM)
			warnmsg("permission denied on key \"%s\"", name);
		else
			warnerr(errno, "setting key \"%s\"", name);
		if (fd != -1)
			rump_sys_close(fd);
		status = 1;
		goto out;
	}
	rump_sys_close(fd);
	if (!o->so_quiet) {
		if (o->so_values)
			printf("%s\n", value);
		else
			printf("%s = %s\n", name, value);
	}
out:
	free(path);
	free(name);
	return status;
}

static int
sysctl_all(const char *dir, const struct sysctl_opts *o)
{
	char **names;
	size_t n;
	int status = 0;

	if (rump_fs.fs_listdir(dir, &names, &n) == -1) {
		warnerr(errno, "cannot read %s", dir);
		return 1;
	}
	sort_names(names, n);
	for (size_t i = 0; i < n; i++) {
		char *p = path_join(dir, names[i]);
		struct stat st;

		if (rump_sys_stat(p, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				status |= sysctl_all(p, o);
			} else if (st.st_mode & 0444) {
				char *name = sysctl_name(p);

				status |= sysctl_show(name, p, o);
				free(name);
			}
		}
		free(p);
	}
	free_names(names, n);
	return status;
}

int
cmd_sysctl(int argc, char **argv)
{
	struct sysctl_opts o = {0};
	bool all = false;
	int c, status = 0;

	while ((c = getopt(argc, argv, "anqewAX")) != -1) {
		switch (c) {
		case 'a':
		case 'A':
		case 'X':
			all = true;
			break;
		case 'n':
			o.so_values = true;
			break;
		case 'q':
			o.so_quiet = true;
			break;
		case 'e':
			o.so_ignore = true;
			break;
		case 'w':
			o.so_write = true;
			break;
		default:
			return usage_error(1, NULL);
		}
	}
	if (all)
		return sysctl_all("/proc/sys", &o);
	if (optind == argc)
		return usage_error(1, "no variables specified");
	for (int i = optind; i < argc; i++)
		status |= sysctl_one(argv[i], &o);
	return status;
}
