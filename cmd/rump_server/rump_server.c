/*
 * rump_server — a rump kernel that only serves remote clients.
 *
 *   rump_server [-sv] [-c ncpu] [-d key=K,hostpath=P,size=S|host[,type=T]
 *       [,offset=O]] [-r memlimit] URL
 *
 * Linked with every kernel component of the build.  Unless -s is given it
 * becomes a daemon once the service is up: the foreground process exits
 * 0 then, or 1 with the error message if the server could not start.
 * SIGTERM and SIGINT halt the kernel cleanly (file systems synced, the
 * socket file removed); so does a client's reboot (rump.halt).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rump/rump.h>

#define MAXDISKS 16

struct disk {
	char *d_key, *d_hostpath;
	uint64_t d_size, d_offset;
	int d_hostsize; /* size=host */
	enum rump_etfs_type d_type;
};

static struct disk disks[MAXDISKS];
static int ndisks;
static int dmn_fd = -1; /* the daemon's pipe to the waiting parent */

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
	    "usage: rump_server [-sv] [-c ncpu] [-d drivespec] [-r memlimit] "
	    "url\n"
	    "  drivespec: key=K,hostpath=P,size=S|host[,type=blk|chr|reg]"
	    "[,offset=O]\n");
	exit(1);
}

/* A size with an optional k/m/g/t suffix (powers of 1024); -1 if bad. */
static int64_t
parse_size(const char *s)
{
	char *end;
	uint64_t v, mul = 1;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case 't':
	case 'T':
		mul <<= 10; /* FALLTHROUGH */
	case 'g':
	case 'G':
		mul <<= 10; /* FALLTHROUGH */
	case 'm':
	case 'M':
		mul <<= 10; /* FALLTHROUGH */
	case 'k':
	case 'K':
		mul <<= 10;
		end++;
		break;
	case 'b':
	case 'B':
		end++;
		break;
	default:
		break;
	}
	if (*end != '\0' || v > (uint64_t)INT64_MAX / mul)
		return -1;
	return (int64_t)(v * mul);
}

static void
parse_disk(char *spec)
{
	struct disk *d;
	char *opt, *save = NULL;
	int havesize = 0;

	if (ndisks == MAXDISKS)
		errx(1, "too many -d options (at most %d)", MAXDISKS);
	d = &disks[ndisks++];
	d->d_type = RUMP_ETFS_BLK;
	for (opt = strtok_r(spec, ",", &save); opt != NULL;
	     opt = strtok_r(NULL, ",", &save)) {
		char *val = strchr(opt, '=');
		int64_t v;

		if (val == NULL)
			errx(1, "-d: \"%s\" is not key=value", opt);
		*val++ = '\0';
		if (strcmp(opt, "key") == 0) {
			d->d_key = val;
		} else if (strcmp(opt, "hostpath") == 0) {
			d->d_hostpath = val;
		} else if (strcmp(opt, "size") == 0) {
			havesize = 1;
			if (strcmp(val, "host") == 0)
				d->d_hostsize = 1;
			else if ((v = parse_size(val)) <= 0)
				errx(1, "-d: bad size \"%s\"", val);
			else
				d->d_size = (uint64_t)v;
		} else if (strcmp(opt, "offset") == 0) {
			if ((v = parse_size(val)) < 0)
				errx(1, "-d: bad offset \"%s\"", val);
			d->d_offset = (uint64_t)v;
		} else if (strcmp(opt, "type") == 0) {
			if (strcmp(val, "blk") == 0)
				d->d_type = RUMP_ETFS_BLK;
			else if (strcmp(val, "chr") == 0)
				d->d_type = RUMP_ETFS_CHR;
			else if (strcmp(val, "reg") == 0)
				d->d_type = RUMP_ETFS_REG;
			else
				errx(1, "-d: bad type \"%s\" (blk, chr, reg)",
				    val);
		} else if (strcmp(opt, "disklabel") == 0) {
			errx(1, "-d: disklabel is not supported");
		} else {
			errx(1, "-d: unknown option \"%s\"", opt);
		}
	}
	if (d->d_key == NULL || d->d_hostpath == NULL || !havesize)
		errx(1, "-d needs key=, hostpath= and size=");
	if (d->d_key[0] != '/')
		errx(1, "-d: key \"%s\" is not an absolute path", d->d_key);
}

/* Creates or extends the host file so that the window fits. */
static void
prepare_disk(struct disk *d)
{
	struct stat st;
	int fd;

	if (d->d_hostsize) {
		if (stat(d->d_hostpath, &st) < 0)
			err(1, "%s", d->d_hostpath);
		if (!S_ISREG(st.st_mode))
			errx(1, "%s: size=host needs a regular file",
			    d->d_hostpath);
		if ((uint64_t)st.st_size <= d->d_offset)
			errx(1, "%s: offset beyond the end of the file",
			    d->d_hostpath);
		d->d_size = (uint64_t)st.st_size - d->d_offset;
		return;
	}
	if ((fd = open(d->d_hostpath, O_RDWR | O_CREAT, 0644)) < 0)
		err(1, "%s", d->d_hostpath);
	if (fstat(fd, &st) < 0)
		err(1, "%s", d->d_hostpath);
	if (S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size < d->d_offset + d->d_size &&
	    ftruncate(fd, (off_t)(d->d_offset + d->d_size)) < 0)
		err(1, "%s: extending to %" PRIu64 " bytes", d->d_hostpath,
		    d->d_offset + d->d_size);
	close(fd);
}

/* Daemon: the parent waits for the child's word (0 or 1) and exits. */
static void
daemon_begin(void)
{
	int p[2], status = 1;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		err(1, "pipe");
	fflush(NULL);
	if ((pid = fork()) < 0)
		err(1, "fork");
	if (pid > 0) {
		close(p[1]);
		while (
		    read(p[0], &status, sizeof(status)) < 0 && errno == EINTR)
			;
		_exit(status);
	}
	close(p[0]);
	dmn_fd = p[1];
	setsid();
}

static void
daemon_done(int status)
{
	if (dmn_fd < 0)
		return;
	if (status == 0) {
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}
	if (write(dmn_fd, &status, sizeof(status)) < 0)
		status = 1;
	close(dmn_fd);
	dmn_fd = -1;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "rump_server: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	daemon_done(1);
	exit(1);
}

int
main(int argc, char *argv[])
{
	int ch, sflag = 0, error, sig;
	const char *url;
	sigset_t sigs;

	while ((ch = getopt(argc, argv, "c:d:r:sv")) != -1) {
		switch (ch) {
		case 'c':
			if (parse_size(optarg) < 1)
				errx(
				    1, "-c: bad number of CPUs \"%s\"", optarg);
			setenv("RUMP_NCPU", optarg, 1);
			break;
		case 'd':
			parse_disk(optarg);
			break;
		case 'r':
			if (parse_size(optarg) < 1)
				errx(1, "-r: bad memory limit \"%s\"", optarg);
			setenv("RUMP_MEMLIMIT", optarg, 1);
			break;
		case 's':
			sflag = 1;
			break;
		case 'v':
			setenv("RUMP_VERBOSE", "1", 1);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();
	url = argv[0];

	for (int i = 0; i < ndisks; i++)
		prepare_disk(&disks[i]);
	if (!sflag)
		daemon_begin();

	/* Only the main thread takes these, and not in a handler. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((error = rump_init()) != 0)
		die("rump_init: %s", strerror(error));
	for (int i = 0; i < ndisks; i++) {
		struct disk *d = &disks[i];

		error = rump_pub_etfs_register_withsize(
		    d->d_key, d->d_hostpath, d->d_type, d->d_offset, d->d_size);
		if (error)
			die("etfs %s -> %s: %s", d->d_key, d->d_hostpath,
			    strerror(error));
	}
	if ((error = rump_init_server(url)) != 0)
		die("rump_init_server %s: %s", url, strerror(error));
	daemon_done(0);

	do {
		if (sigwait(&sigs, &sig) != 0)
			sig = SIGTERM;
	} while (sig != SIGTERM && sig != SIGINT);
	/* Sync and stop; the socket file goes. */
	if (rump_sys_reboot(RB_HALT_SYSTEM) != 0 && errno != ENXIO)
		err(1, "reboot");
	return 0;
}
