/*
 * netproc.c — kernels in child processes for the network tests: see
 * netproc.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "netproc.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rump/netconfig.h>
#include <rump/rump.h>

#include "sha256.h"

#define NP_MAX 16

static char np_dir[1024];
static struct np_proc *np_procs[NP_MAX];
static int np_nprocs;
/* In a child: its pipes to the parent. */
static int np_child_r = -1, np_child_w = -1;
static char np_child_buf[4096];
static size_t np_child_nbuf;

/* ------------------------------------------------------------ parent */

void
np_init(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(np_dir, sizeof(np_dir), "%s/rumpk-net.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(np_dir) == NULL)
		T_FAIL("mkdtemp %s: %s", np_dir, strerror(errno));
	signal(SIGPIPE, SIG_IGN);
}

const char *
np_path(const char *name)
{
	static char paths[16][PATH_MAX];
	static int next;
	char *p = paths[next++ % 16];

	snprintf(p, PATH_MAX, "%s/%s", np_dir, name);
	return p;
}

const char *
np_selfdir(void)
{
	static char dir[2048];
	ssize_t n;
	char *s;

	if (dir[0] != '\0')
		return dir;
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0)
		return ".";
	dir[n] = '\0';
	if ((s = strrchr(dir, '/')) != NULL)
		*s = '\0';
	return dir;
}

const char *
np_bindir(void)
{
	static char dir[PATH_MAX];
	char exe[2048];
	ssize_t n;
	char *s;

	if (dir[0] != '\0')
		return dir;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return "build/bin";
	exe[n] = '\0';
	/* <B>/tests/net/t_x → <B>/bin */
	for (int i = 0; i < 3 && (s = strrchr(exe, '/')) != NULL; i++)
		*s = '\0';
	snprintf(dir, sizeof(dir), "%s/bin", exe);
	return dir;
}

static void
np_reap(struct np_proc *p, int options)
{
	int st;
	pid_t r;

	if (p->np_reaped)
		return;
	do
		r = waitpid(p->np_pid, &st, options);
	while (r == -1 && errno == EINTR);
	if (r == p->np_pid) {
		p->np_reaped = true;
		p->np_status = st;
	} else if (r == -1) {
		p->np_reaped = true;
		p->np_status = -1;
	}
}

void
np_kill(struct np_proc *p)
{
	if (!p->np_reaped) {
		kill(p->np_pid, SIGKILL);
		np_reap(p, 0);
	}
}

static char np_cleanups[8][256];
static int np_ncleanups;

void
np_atcleanup(const char *fmt, ...)
{
	va_list ap;

	if (np_ncleanups == 8)
		return;
	va_start(ap, fmt);
	vsnprintf(np_cleanups[np_ncleanups++], sizeof(np_cleanups[0]), fmt, ap);
	va_end(ap);
}

static void
np_killall(void)
{
	for (int i = 0; i < np_nprocs; i++)
		np_kill(np_procs[i]);
	while (np_ncleanups > 0)
		np_system("%s >/dev/null 2>&1", np_cleanups[--np_ncleanups]);
}

const char *
np_netns_make(const char *prefix, const char **why)
{
	static char names[4][64];
	static int next;
	char *name = names[next++ % 4];

	if (geteuid() != 0) {
		*why = "needs root (network namespaces, TAP devices)";
		return NULL;
	}
	if (access("/dev/net/tun", R_OK | W_OK) != 0) {
		*why = "no /dev/net/tun";
		return NULL;
	}
	if (np_system("command -v ip >/dev/null 2>&1") != 0) {
		*why = "no ip(8) (iproute2)";
		return NULL;
	}
	snprintf(name, 64, "%s%d", prefix, (int)getpid());
	if (np_system("ip netns add %s >/dev/null 2>&1", name) != 0) {
		*why = "ip netns add failed (no network namespaces here)";
		return NULL;
	}
	np_atcleanup("ip netns del %s", name);
	np_system("ip -n %s link set lo up >/dev/null 2>&1", name);
	return name;
}

void
np_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	np_killall();
	if (np_dir[0] != '\0')
		fprintf(stderr, "  (bus files kept in %s)\n", np_dir);
	t_fail(file, line, "%s", msg);
}

static void
rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[PATH_MAX];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (de->d_type == DT_DIR)
			rm_tree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

void
np_done(void)
{
	np_killall();
	if (np_dir[0] != '\0' && getenv("NP_KEEP") == NULL)
		rm_tree(np_dir);
}

struct np_proc *
np_spawn(const char *name, void (*fn)(void *), void *arg)
{
	struct np_proc *p;
	int up[2], down[2];
	pid_t parent = getpid();

	if (np_nprocs == NP_MAX) {
		/* Forget the children already reaped (long runs: benchmarks). */
		int n = 0;

		for (int i = 0; i < np_nprocs; i++) {
			if (np_procs[i]->np_reaped) {
				close(np_procs[i]->np_rfd);
				close(np_procs[i]->np_wfd);
				free(np_procs[i]);
			} else
				np_procs[n++] = np_procs[i];
		}
		np_nprocs = n;
		if (np_nprocs == NP_MAX)
			NP_FAIL("too many children");
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		NP_FAIL("calloc");
	if (pipe2(up, O_CLOEXEC) == -1 || pipe2(down, O_CLOEXEC) == -1)
		NP_FAIL("pipe: %s", strerror(errno));
	snprintf(p->np_name, sizeof(p->np_name), "%s", name);
	fflush(NULL);
	p->np_pid = fork();
	if (p->np_pid == -1)
		NP_FAIL("fork: %s", strerror(errno));
	if (p->np_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		/* The other children's pipes are not ours. */
		for (int i = 0; i < np_nprocs; i++) {
			close(np_procs[i]->np_rfd);
			close(np_procs[i]->np_wfd);
		}
		np_nprocs = 0;
		close(up[0]);
		close(down[1]);
		np_child_w = up[1];
		np_child_r = down[0];
		signal(SIGPIPE, SIG_IGN);
		fn(arg);
		np_exit();
	}
	close(up[1]);
	close(down[0]);
	p->np_rfd = up[0];
	p->np_wfd = down[1];
	np_procs[np_nprocs++] = p;
	return p;
}

/* Takes one line out of p's buffer into line; false if none is complete. */
static bool
np_takeline(struct np_proc *p, char *line, size_t len)
{
	char *nl = memchr(p->np_buf, '\n', p->np_nbuf);
	size_t n;

	if (nl == NULL)
		return false;
	n = (size_t)(nl - p->np_buf);
	snprintf(line, len, "%.*s", (int)n, p->np_buf);
	memmove(p->np_buf, nl + 1, p->np_nbuf - n - 1);
	p->np_nbuf -= n + 1;
	return true;
}

static const char *
np_exitdesc(struct np_proc *p)
{
	static char d[64];

	np_reap(p, 0);
	if (WIFEXITED(p->np_status))
		snprintf(
		    d, sizeof(d), "exit status %d", WEXITSTATUS(p->np_status));
	else if (WIFSIGNALED(p->np_status))
		snprintf(d, sizeof(d), "killed by signal %d",
		    WTERMSIG(p->np_status));
	else
		snprintf(d, sizeof(d), "status %#x", p->np_status);
	return d;
}

void
np_expect(
    struct np_proc *p, const char *word, char *rest, size_t len, int timeout_ms)
{
	uint64_t end = t_now_ns() + (uint64_t)timeout_ms * 1000000;
	size_t wl = strlen(word);
	char line[4096];

	for (;;) {
		while (np_takeline(p, line, sizeof(line))) {
			if (strncmp(line, "FAIL", 4) == 0)
				NP_FAIL("%s: %s", p->np_name, line);
			if (strncmp(line, word, wl) == 0 &&
			    (line[wl] == '\0' || line[wl] == ' ')) {
				if (rest != NULL)
					snprintf(rest, len, "%s",
					    line[wl] ? line + wl + 1 : "");
				return;
			}
		}
		uint64_t now = t_now_ns();
		if (now >= end)
			NP_FAIL("%s: no \"%s\" within %d ms", p->np_name, word,
			    timeout_ms);
		struct pollfd pfd = {p->np_rfd, POLLIN, 0};
		int r = poll(&pfd, 1, (int)((end - now) / 1000000) + 1);
		if (r <= 0)
			continue;
		ssize_t n = read(p->np_rfd, p->np_buf + p->np_nbuf,
		    sizeof(p->np_buf) - 1 - p->np_nbuf);
		if (n <= 0)
			NP_FAIL("%s: ended (%s) before \"%s\"", p->np_name,
			    np_exitdesc(p), word);
		p->np_nbuf += (size_t)n;
		if (p->np_nbuf == sizeof(p->np_buf) - 1 &&
		    memchr(p->np_buf, '\n', p->np_nbuf) == NULL)
			p->np_nbuf = 0; /* an overlong line: dropped */
	}
}

void
np_tell(struct np_proc *p, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(p->np_wfd, line, (size_t)n) != n)
		NP_FAIL("%s: cannot tell it: %s", p->np_name, strerror(errno));
}

void
np_join(struct np_proc *p, int timeout_ms)
{
	uint64_t end = t_now_ns() + (uint64_t)timeout_ms * 1000000;
	char line[4096];

	for (;;) {
		np_reap(p, WNOHANG);
		if (p->np_reaped)
			break;
		if (t_now_ns() >= end)
			NP_FAIL("%s: still running after %d ms", p->np_name,
			    timeout_ms);
		usleep(2000);
	}
	/* A failure it reported is the better reason. */
	for (;;) {
		ssize_t n = read(p->np_rfd, p->np_buf + p->np_nbuf,
		    sizeof(p->np_buf) - 1 - p->np_nbuf);
		if (n <= 0)
			break;
		p->np_nbuf += (size_t)n;
	}
	while (np_takeline(p, line, sizeof(line)))
		if (strncmp(line, "FAIL", 4) == 0)
			NP_FAIL("%s: %s", p->np_name, line);
	if (!WIFEXITED(p->np_status) || WEXITSTATUS(p->np_status) != 0)
		NP_FAIL("%s: %s", p->np_name, np_exitdesc(p));
}

int
np_system(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(NULL);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

char *
np_output(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	size_t n = 0, cap = 65536;
	char *out = malloc(cap);
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(NULL);
	if (out == NULL || (f = popen(cmd, "r")) == NULL)
		NP_FAIL("popen %s", cmd);
	for (;;) {
		if (n + 1 == cap && (out = realloc(out, cap *= 2)) == NULL)
			NP_FAIL("realloc");
		size_t r = fread(out + n, 1, cap - n - 1, f);
		if (r == 0)
			break;
		n += r;
	}
	out[n] = '\0';
	pclose(f);
	return out;
}

/* ------------------------------------------------------------- child */

void
np_send(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(np_child_w, line, (size_t)n);
}

bool
np_recv(char *buf, size_t len, int timeout_ms)
{
	uint64_t end = t_now_ns() + (uint64_t)timeout_ms * 1000000;

	for (;;) {
		char *nl = memchr(np_child_buf, '\n', np_child_nbuf);
		if (nl != NULL) {
			size_t n = (size_t)(nl - np_child_buf);
			snprintf(buf, len, "%.*s", (int)n, np_child_buf);
			memmove(np_child_buf, nl + 1, np_child_nbuf - n - 1);
			np_child_nbuf -= n + 1;
			return true;
		}
		uint64_t now = t_now_ns();
		if (now >= end)
			return false;
		struct pollfd pfd = {np_child_r, POLLIN, 0};
		if (poll(&pfd, 1, (int)((end - now) / 1000000) + 1) <= 0)
			continue;
		ssize_t r = read(np_child_r, np_child_buf + np_child_nbuf,
		    sizeof(np_child_buf) - 1 - np_child_nbuf);
		if (r <= 0)
			return false;
		np_child_nbuf += (size_t)r;
	}
}

void
np_die(const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "  child %d: %s\n", (int)getpid(), msg);
	np_send("FAIL %s", msg);
	fflush(NULL);
	_exit(1);
}

void
np_exit(void)
{
	fflush(NULL);
	_exit(0);
}

void
np_netns_enter(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		np_die("%s: %s", path, strerror(errno));
	if (setns(fd, CLONE_NEWNET) == -1)
		np_die("setns %s: %s", name, strerror(errno));
	close(fd);
}

void
np_boot(void)
{
	int error = rump_init();

	if (error)
		np_die("rump_init: %s", strerror(error));
}

int
np_shmif(const char *bus, const char *addr, int plen)
{
	char ifname[16];
	int n, error;

	if ((error = rump_pub_shmif_create(bus, &n)) != 0)
		np_die("rump_pub_shmif_create %s: %s", bus, strerror(error));
	snprintf(ifname, sizeof(ifname), "shmif%d", n);
	if (addr != NULL &&
	    (error = rump_pub_netconfig_ipv4_ifaddr_cidr(ifname, addr, plen)) !=
	        0)
		np_die("ipv4_ifaddr %s %s/%d: %s", ifname, addr, plen,
		    strerror(error));
	if ((error = rump_pub_netconfig_ifup(ifname)) != 0)
		np_die("ifup %s: %s", ifname, strerror(error));
	return n;
}

int
np_boot_shmif(const char *bus, const char *addr, int plen)
{
	np_boot();
	return np_shmif(bus, addr, plen);
}

struct sockaddr_in
np_sin(const char *addr, int port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		np_die("bad address %s", addr);
	return sin;
}

int
np_tcp_listen(int port)
{
	struct sockaddr_in sin = np_sin("0.0.0.0", port);
	int s, one = 1;

	NP_CHECK((s = rump_sys_socket(AF_INET, SOCK_STREAM, 0)) != -1);
	NP_CHECK(rump_sys_setsockopt(
	             s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
	NP_CHECK(rump_sys_bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	NP_CHECK(rump_sys_listen(s, 512) == 0);
	return s;
}

int
np_tcp_connect(const char *addr, int port)
{
	struct sockaddr_in sin = np_sin(addr, port);
	int s;

	NP_CHECK((s = rump_sys_socket(AF_INET, SOCK_STREAM, 0)) != -1);
	NP_CHECK(
	    rump_sys_connect(s, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	return s;
}

#define NP_CHUNK (256 * 1024)

void
np_send_stream(int fd, uint64_t nbytes, uint64_t seed, char hex[65])
{
	static uint8_t buf[NP_CHUNK];
	struct sha256 h;
	uint8_t d[32];
	uint64_t off = 0;

	sha256_init(&h);
	while (off < nbytes) {
		size_t n =
		    nbytes - off < NP_CHUNK ? (size_t)(nbytes - off) : NP_CHUNK;
		np_stream(seed, off, buf, n);
		sha256_update(&h, buf, n);
		for (size_t done = 0; done < n;) {
			ssize_t w = rump_sys_write(fd, buf + done, n - done);
			if (w <= 0)
				np_die("write at %llu: %s",
				    (unsigned long long)(off + done),
				    w == 0 ? "returned 0" : strerror(errno));
			done += (size_t)w;
		}
		off += n;
	}
	sha256_final(&h, d);
	sha256_hex(d, hex);
}

uint64_t
np_recv_hash(int fd, char hex[65])
{
	static uint8_t buf[NP_CHUNK];
	struct sha256 h;
	uint8_t d[32];
	uint64_t total = 0;
	ssize_t r;

	sha256_init(&h);
	while ((r = rump_sys_read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0)
			np_die("read after %llu bytes: %s",
			    (unsigned long long)total, strerror(errno));
		sha256_update(&h, buf, (size_t)r);
		total += (uint64_t)r;
	}
	sha256_final(&h, d);
	sha256_hex(d, hex);
	return total;
}
