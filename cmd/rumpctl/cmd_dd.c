/*
 * cmd_dd.c — rump.dd: dd between kernel files (if=, of=), or the host's
 * stdin and stdout when they are not given.  Operands bs=, ibs=, obs=,
 * count=, skip=, seek=, conv=notrunc (and conv=sync, noerror, fsync
 * accepted), status=none; the statistics go to stderr as dd prints them.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rump/rump_syscalls.h>

#include "rumpctl.h"

struct dd_end {
	const char *de_path; /* NULL: the host's stdin/stdout */
	int de_fd;
};

static ssize_t
dd_read(struct dd_end *e, void *buf, size_t len)
{
	return e->de_path ? rump_sys_read(e->de_fd, buf, len)
	                  : read(e->de_fd, buf, len);
}

static ssize_t
dd_write(struct dd_end *e, const void *buf, size_t len)
{
	return e->de_path ? rump_sys_write(e->de_fd, buf, len)
	                  : write(e->de_fd, buf, len);
}

static void
dd_si(double v, char *buf, size_t len, bool iec)
{
	const char *u = iec ? "KMGTPE" : "kMGTPE";
	double base = iec ? 1024 : 1000;
	int i = -1;

	while (v >= base && i < 5) {
		v /= base;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%.0f B", v);
	else
		snprintf(buf, len, v < 10 ? "%.1f %c%sB" : "%.0f %c%sB", v,
		    u[i], iec ? "i" : "");
}

int
cmd_dd(int argc, char **argv)
{
	struct dd_end in = {NULL, 0}, out = {NULL, 1};
	long long ibs = 512, obs = 512, count = -1, skip = 0, seek = 0;
	bool notrunc = false, quiet = false, dosync = false;
	unsigned long long fin = 0, pin = 0, fout = 0, pout = 0, bytes = 0;
	struct timespec t0, t1;
	char *buf;
	int status = 0;

	for (int i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		const char *v;
		long long n = 0;

		if (eq == NULL) {
			warnmsg("unrecognized operand %s", q(argv[i]));
			return usage_error(1, NULL);
		}
		*eq = '\0';
		v = eq + 1;
		if (strcmp(argv[i], "if") == 0) {
			in.de_path = v;
			continue;
		}
		if (strcmp(argv[i], "of") == 0) {
			out.de_path = v;
			continue;
		}
		if (strcmp(argv[i], "conv") == 0) {
			char *c = xstrdup(v), *save, *t;

			for (t = strtok_r(c, ",", &save); t;
			     t = strtok_r(NULL, ",", &save)) {
				if (strcmp(t, "notrunc") == 0)
					notrunc = true;
				else if (strcmp(t, "fsync") == 0 ||
				    strcmp(t, "fdatasync") == 0)
					dosync = true;
				else if (strcmp(t, "noerror") != 0 &&
				    strcmp(t, "sync") != 0) {
					warnmsg("invalid conversion: %s", q(t));
					free(c);
					return usage_error(1, NULL);
				}
			}
			free(c);
			continue;
		}
		if (strcmp(argv[i], "status") == 0) {
			quiet = strcmp(v, "none") == 0;
			continue;
		}
		if ((n = parse_dd_size(v)) < 0) {
			warnmsg("invalid number: %s", q(v));
			return 1;
		}
		if (strcmp(argv[i], "bs") == 0)
			ibs = obs = n;
		else if (strcmp(argv[i], "ibs") == 0)
			ibs = n;
		else if (strcmp(argv[i], "obs") == 0)
			obs = n;
		else if (strcmp(argv[i], "count") == 0)
			count = n;
		else if (strcmp(argv[i], "skip") == 0)
			skip = n;
		else if (strcmp(argv[i], "seek") == 0)
			seek = n;
		else {
			warnmsg("unrecognized operand %s", q(argv[i]));
			return usage_error(1, NULL);
		}
		if ((strcmp(argv[i], "bs") == 0 ||
		        strcmp(argv[i], "ibs") == 0 ||
		        strcmp(argv[i], "obs") == 0) &&
		    (n == 0 || n > (1LL << 30))) {
			warnmsg("invalid number: %s", q(v));
			return 1;
		}
	}
	if (in.de_path &&
	    (in.de_fd = rump_sys_open(in.de_path, O_RDONLY)) == -1) {
		warnerr(errno, "failed to open %s", q(in.de_path));
		return 1;
	}
	if (out.de_path &&
	    (out.de_fd = rump_sys_open(out.de_path,
	         O_WRONLY | O_CREAT | (notrunc || seek ? 0 : O_TRUNC), 0666)) ==
	        -1) {
		warnerr(errno, "failed to open %s", q(out.de_path));
		return 1;
	}
	if (out.de_path && seek && !notrunc &&
	    rump_sys_ftruncate(out.de_fd, seek * obs) == -1) {
		warnerr(errno,
		    "failed to truncate to %lld bytes in output "
		    "file %s",
		    seek * obs, q(out.de_path));
		return 1;
	}
	buf = xmalloc((size_t)(ibs > obs ? ibs : obs));
	if (skip) {
		if (in.de_path
		        ? rump_sys_lseek(in.de_fd, skip * ibs, SEEK_SET) == -1
		        : lseek(0, skip * ibs, SEEK_CUR) == -1) {
			/* Not seekable: read and drop. */
			for (long long i = 0; i < skip; i++)
				if (dd_read(&in, buf, (size_t)ibs) <= 0)
					break;
		}
	}
	if (seek &&
	    (out.de_path ? rump_sys_lseek(out.de_fd, seek * obs, SEEK_SET)
	                 : lseek(1, seek * obs, SEEK_CUR)) == -1) {
		warnerr(errno, "%s: cannot seek",
		    out.de_path ? q(out.de_path) : "'standard output'");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Blocks of ibs in, written out as they come (obs of a full one). */
	while (count < 0 || (long long)(fin + pin) < count) {
		ssize_t n = dd_read(&in, buf, (size_t)ibs);

		if (n < 0) {
			warnerr(errno, "error reading %s",
			    in.de_path ? q(in.de_path) : "'standard input'");
			status = 1;
			break;
		}
		if (n == 0)
			break;
		if (n == ibs)
			fin++;
		else
			pin++;
		for (ssize_t off = 0; off < n;) {
			size_t chunk = (size_t)(n - off) < (size_t)obs
			    ? (size_t)(n - off)
			    : (size_t)obs;
			ssize_t w = dd_write(&out, buf + off, chunk);

			if (w <= 0) {
				warnerr(w < 0 ? errno : EIO, "error writing %s",
				    out.de_path ? q(out.de_path)
				                : "'standard output'");
				status = 1;
				goto done;
			}
			if ((size_t)w == (size_t)obs)
				fout++;
			else
				pout++;
			off += w;
			bytes += (unsigned long long)w;
		}
	}
done:
	if (dosync && out.de_path)
		(void)rump_sys_fsync(out.de_fd);
	if (in.de_path)
		rump_sys_close(in.de_fd);
	if (out.de_path && rump_sys_close(out.de_fd) == -1 && status == 0) {
		warnerr(errno, "closing output file %s", q(out.de_path));
		status = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!quiet) {
		double s = (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		char si[32], iec[32], rate[32];

		fprintf(stderr, "%llu+%llu records in\n%llu+%llu records out\n",
		    fin, pin, fout, pout);
		dd_si(s > 0 ? (double)bytes / s : 0, rate, sizeof(rate), false);
		if (bytes < 1000) {
			fprintf(stderr, "%llu byte%s copied, %g s, %s/s\n",
			    bytes, bytes == 1 ? "" : "s", s, rate);
		} else {
			dd_si((double)bytes, si, sizeof(si), false);
			dd_si((double)bytes, iec, sizeof(iec), true);
			fprintf(stderr,
			    "%llu bytes (%s, %s) copied, %g s, %s/s\n", bytes,
			    si, iec, s, rate);
		}
	}
	free(buf);
	return status;
}
