/*
 * t_sysproxy.c — remote clients (sysproxy): rump_server, librumpclient and
 * the wire protocol.  Each case starts its own rump_server -s on a unix
 * socket in a temporary directory and stops it by pid (the harness also
 * kills the case's process group, where the server lives, on a failure);
 * badreplies runs a lying server of its own in a thread instead.
 * This program is itself a client: it links librumpclient.
 * Environment: SP_STRESS_CALLS (calls per stress client, default 5000),
 * SP_KILLER_SECS (default 4), SP_MALFORMED_SECS (default 3).
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rump/rumpclient.h>

#include "harness.h"
#include "sp_proto.h"

static char sp_dir[256], sp_sock[300], sp_bindir[512];

/* Where the build's programs are: ../../bin from this program. */
static void
sp_paths(void)
{
	char self[512];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	T_ASSERT(n > 0);
	self[n] = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	snprintf(sp_bindir, sizeof(sp_bindir), "%s", self);
}

static void
sp_tmpdir(void)
{
	snprintf(sp_dir, sizeof(sp_dir), "/tmp/t_sysproxy.XXXXXX");
	T_ASSERT(mkdtemp(sp_dir) != NULL);
	snprintf(sp_sock, sizeof(sp_sock), "%s/sock", sp_dir);
	setenv("RUMP_SERVER", "unix://", 1);
	char url[400];
	snprintf(url, sizeof(url), "unix://%s", sp_sock);
	setenv("RUMP_SERVER", url, 1);
	sp_paths();
}

static void
sp_rmtmp(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sp_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", sp_dir);
}

/* Starts rump_server -s [extra...] unix://sock; waits for the socket. */
static pid_t
sp_start(const char *const *extra)
{
	char server[600];
	const char *argv[16];
	int n = 0;
	pid_t pid;

	snprintf(server, sizeof(server), "%s/../../bin/rump_server", sp_bindir);
	if (access(server, X_OK) != 0)
		T_SKIP("no rump_server at %s", server);
	argv[n++] = server;
	argv[n++] = "-s";
	while (extra != NULL && *extra != NULL && n < 13)
		argv[n++] = *extra++;
	argv[n++] = getenv("RUMP_SERVER");
	argv[n] = NULL;
	unlink(sp_sock);
	if ((pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(server, (char *const *)argv);
		_exit(127);
	}
	T_ASSERT(pid > 0);
	for (int i = 0; i < 1000; i++) {
		struct stat st;
		int status;

		if (stat(sp_sock, &st) == 0)
			return pid;
		if (waitpid(pid, &status, WNOHANG) == pid)
			T_FAIL("rump_server exited with status %d", status);
		usleep(5000);
	}
	kill(pid, SIGKILL);
	T_FAIL("rump_server did not make its socket");
}

/* Stops the server with sig; returns its exit status (-1: a signal). */
static int
sp_stop(pid_t pid, int sig)
{
	int status;

	if (sig != 0)
		kill(pid, sig);
	for (int i = 0; i < 1000; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		usleep(5000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	T_FAIL("rump_server %d did not stop", (int)pid);
}

static int
sp_nfds(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
sp_run(const char *prog, const char *out)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "'%s/%s' > '%s' 2>&1", sp_bindir, prog, out);
	return system(cmd);
}

T_CASE(basic, "file and pipe work remotely gives what it gives locally")
{
	char rout[400], lout[400], cmd[1000];
	pid_t srv;

	sp_tmpdir();
	srv = sp_start(NULL);
	snprintf(rout, sizeof(rout), "%s/remote.out", sp_dir);
	snprintf(lout, sizeof(lout), "%s/local.out", sp_dir);
	T_EQ(sp_run("sp_basic_remote", rout), 0);
	T_EQ(sp_run("sp_basic_local", lout), 0);
	snprintf(cmd, sizeof(cmd), "diff -u '%s' '%s'", lout, rout);
	if (system(cmd) != 0)
		T_FAIL("remote and local runs differ");
	/* And the basics of the connection itself. */
	T_OK(rumpclient_init());
	T_ASSERT(rump_sys_getpid() > 1);
	T_EQ(sp_stop(srv, SIGTERM), 0);
	sp_rmtmp();
}

static long
sp_env(const char *name, long def)
{
	const char *v = getenv(name);

	return v != NULL ? atol(v) : def;
}

static void *
stress_thread(void *arg)
{
	long calls = (long)(intptr_t)arg;
	pid_t pid = rump_sys_getpid();
	char name[32], b[8];
	int fd;

	snprintf(name, sizeof(name), "/s%d.%lx", (int)getpid(),
	    (unsigned long)pthread_self() & 0xffffffff);
	fd = rump_sys_open(name, O_CREAT | O_RDWR, 0600);
	if (fd < 0)
		return (void *)1;
	for (long i = 0; i < calls; i++) {
		if (i % 10 == 0) {
			if (rump_sys_pwrite64(fd, &i, sizeof(i), 0) != 8 ||
			    rump_sys_pread64(fd, b, 8, 0) != 8 ||
			    memcmp(b, &i, 8) != 0)
				return (void *)2;
			i += 1;
		} else if (rump_sys_getpid() != pid) {
			return (void *)3;
		}
	}
	rump_sys_close(fd);
	rump_sys_unlink(name);
	return NULL;
}

T_CASE(stress, "64 concurrent clients (some threaded), every call right")
{
	long calls = sp_env("SP_STRESS_CALLS", 5000);
	pid_t srv, kids[64];
	int nkids = 64;

	sp_tmpdir();
	srv = sp_start(NULL);
	for (int i = 0; i < nkids; i++) {
		if ((kids[i] = fork()) == 0) {
			int nthr = i % 16 == 0 ? 4 : 1;
			pthread_t t[4];
			void *rv;

			if (rumpclient_init() != 0)
				_exit(10);
			for (int k = 0; k < nthr; k++)
				pthread_create(&t[k], NULL, stress_thread,
				    (void *)(intptr_t)(calls / nthr));
			for (int k = 0; k < nthr; k++) {
				pthread_join(t[k], &rv);
				if (rv != NULL)
					_exit((int)(intptr_t)rv);
			}
			_exit(0);
		}
		T_ASSERT(kids[i] > 0);
	}
	for (int i = 0; i < nkids; i++) {
		int status;

		T_ASSERT(waitpid(kids[i], &status, 0) == kids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			T_FAIL("client %d: status %#x", i, status);
	}
	T_EQ(sp_stop(srv, SIGTERM), 0);
	sp_rmtmp();
}

/* A client for the killer: reports its kernel pid, then blocks or spins. */
static void __attribute__((noreturn)) killer_client(int wfd, int mode)
{
	int p[2], pid;
	char b;

	if (rumpclient_init() != 0)
		_exit(1);
	pid = rump_sys_getpid();
	rump_sys_pipe(p);
	if (write(wfd, &pid, sizeof(pid)) != sizeof(pid))
		_exit(1);
	if (mode == 0)
		rump_sys_read(p[0], &b, 1); /* blocks until killed */
	for (;;)
		rump_sys_getpid();
}

T_CASE(killer, "clients killed mid-call leave nothing behind in the server")
{
	long secs = sp_env("SP_KILLER_SECS", 4);
	int pids[4096], npids = 0, base_fds, fds = -1;
	uint64_t end;
	pid_t srv;

	sp_tmpdir();
	srv = sp_start(NULL);
	T_OK(rumpclient_init());
	T_ASSERT(rump_sys_getpid() > 1);
	usleep(100000);
	base_fds = sp_nfds(srv);
	T_ASSERT(base_fds > 0);
	end = t_now_ns() + (uint64_t)secs * 1000000000ULL;
	for (int round = 0; t_now_ns() < end && npids < 4096; round++) {
		int hp[2];
		pid_t kid;

		T_OK(pipe(hp));
		if ((kid = fork()) == 0) {
			close(hp[0]);
			killer_client(hp[1], round % 2);
		}
		close(hp[1]);
		if (read(hp[0], &pids[npids], sizeof(int)) == sizeof(int))
			npids++;
		close(hp[0]);
		usleep((unsigned)(rand() % 5000));
		kill(kid, SIGKILL);
		waitpid(kid, NULL, 0);
	}
	T_ASSERT(npids > 10);
	/* Every process goes, and every host descriptor. */
	for (int i = 0; i < 300; i++) {
		int alive = 0;

		for (int k = 0; k < npids; k++)
			if (rump_sys_kill(pids[k], 0) == 0)
				alive++;
		fds = sp_nfds(srv);
		if (alive == 0 && fds == base_fds)
			break;
		if (i == 299)
			T_FAIL("%d of %d processes alive, %d fds (base %d)",
			    alive, npids, fds, base_fds);
		usleep(20000);
	}
	T_ASSERT(rump_sys_getpid() > 1);
	T_EQ(sp_stop(srv, SIGTERM), 0);
	sp_rmtmp();
}

/* A raw connection: socket, banner read.  Returns the fd. */
static int
raw_connect(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char banner[SP_BANNER_MAX];
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	T_ASSERT(fd >= 0);
	T_ASSERT(strlen(sp_sock) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, sp_sock, strlen(sp_sock) + 1);
	T_OK(connect(fd, (struct sockaddr *)&sun, sizeof(sun)));
	n = recv(fd, banner, sizeof(banner) - 1, 0);
	T_ASSERT(n > 0 && banner[n - 1] == '\n');
	banner[n] = '\0';
	T_ASSERT(strncmp(banner, SP_BANNER_PREFIX, 9) == 0);
	return fd;
}

T_CASE(forks,
    "parent and child share a pipe over rumpclient_fork; "
    "a forged fork cookie is refused")
{
	int p[2], status;
	pid_t srv, kid, ppid;
	char b[8] = {0};

	sp_tmpdir();
	srv = sp_start(NULL);
	T_OK(rumpclient_init());
	ppid = rump_sys_getpid();
	T_OK(rump_sys_pipe(p));
	T_OK(kid = rumpclient_fork());
	if (kid == 0) {
		int ok = rump_sys_getpid() != ppid &&
		    rump_sys_getppid() == ppid &&
		    rump_sys_write(p[1], "child", 5) == 5;
		_exit(ok ? 0 : 1);
	}
	T_EQ(rump_sys_read(p[0], b, 5), 5);
	T_ASSERT(memcmp(b, "child", 5) == 0);
	T_ASSERT(waitpid(kid, &status, 0) == kid);
	T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* A cookie nobody was given. */
	{
		uint8_t f[SP_HDR_LEN + SP_COOKIE + 8] = {0};
		uint8_t ans[64];
		struct sp_hdr h;
		int fd = raw_connect();

		for (int i = 0; i < SP_COOKIE; i++)
			f[SP_HDR_LEN + i] = (uint8_t)rand();
		sp_hdr_encode(
		    f, sizeof(f), 1, SP_REQ, SP_T_HANDSHAKE, SP_HS_FORK);
		T_EQ(send(fd, f, sizeof(f), 0), (ssize_t)sizeof(f));
		T_EQ(recv(fd, ans, sizeof(ans), MSG_WAITALL), SP_HDR_LEN);
		T_EQ(sp_hdr_decode(ans, &h), 0);
		T_EQ(h.h_class, SP_ERROR);
		T_ASSERT(h.h_arg == ESRCH || h.h_arg == EPERM);
		close(fd);
	}
	T_EQ(sp_stop(srv, SIGTERM), 0);
	sp_rmtmp();
}

T_CASE(execs, "rumpclient_exec keeps descriptors but close-on-exec ones")
{
	pid_t srv, kid;
	int status;

	sp_tmpdir();
	srv = sp_start(NULL);
	if ((kid = fork()) == 0) {
		char a[16], c[16], pidbuf[16], prog[600];
		char *argv[] = {prog, a, c, pidbuf, NULL};
		int fa, fc;

		if (rumpclient_init() != 0)
			_exit(20);
		fa = rump_sys_open("/keep", O_CREAT | O_RDWR, 0600);
		fc = rump_sys_open("/drop", O_CREAT | O_RDWR | O_CLOEXEC, 0600);
		snprintf(a, sizeof(a), "%d", fa);
		snprintf(c, sizeof(c), "%d", fc);
		snprintf(pidbuf, sizeof(pidbuf), "%d", rump_sys_getpid());
		snprintf(prog, sizeof(prog), "%s/sp_exec_child", sp_bindir);
		rumpclient_exec(prog, argv, environ);
		_exit(21);
	}
	T_ASSERT(waitpid(kid, &status, 0) == kid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		T_FAIL("exec'd client: status %#x", status);
	T_EQ(sp_stop(srv, SIGTERM), 0);
	sp_rmtmp();
}

T_CASE(reconnect,
    "with INFTIME a client survives a server restart as a "
    "new process")
{
	pid_t srv;
	int fd;
	struct stat st;

	sp_tmpdir();
	srv = sp_start(NULL);
	T_OK(rumpclient_init());
	rumpclient_setconnretry(RUMPCLIENT_RETRYCONN_INFTIME);
	T_OK(fd = rump_sys_open("/f", O_CREAT | O_RDWR, 0600));
	T_OK(rump_sys_fstat(fd, &st));
	T_EQ(sp_stop(srv, SIGTERM), 0);
	srv = sp_start(NULL);
	/* A new kernel: the old descriptor is gone, the calls go on. */
	T_ERRNO(rump_sys_fstat(fd, &st), EBADF);
	T_ASSERT(rump_sys_getpid() > 1);
	T_EQ(sp_stop(srv, SIGTERM), 0);

	/* Without retry a lost server is ENOTCONN. */
	srv = sp_start(NULL);
	T_ASSERT(rump_sys_getpid() > 1);
	rumpclient_setconnretry(0);
	T_EQ(sp_stop(srv, SIGTERM), 0);
	T_ERRNO(rump_sys_getpid(), ENOTCONN);
	T_ERRNO(rump_sys_getpid(), ENOTCONN);
	sp_rmtmp();
}

/* The parsers on random and mutated bytes, from a fixed seed. */
static void
parse_seeded(unsigned seed, int rounds)
{
	uint8_t buf[512];
	struct sp_sysreq sr;
	struct sp_chunk ck[SP_MAXCHUNKS];
	struct sp_hdr h;
	int64_t rv[2];
	unsigned nck;

	srand(seed);
	for (int r = 0; r < rounds; r++) {
		size_t len = (size_t)rand() % sizeof(buf);

		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rand();
		if (r % 2) {
			/* Plausible: a valid request, then mutated. */
			struct sp_sysreq v = {.sr_nargs = 3, .sr_nregs = 2};
			static const char path[] = "/some/path";

			v.sr_regs[0] = (struct sp_region){0x10000, sizeof(path),
			    SP_RG_IN | SP_RG_STR, (const uint8_t *)path};
			v.sr_regs[1] =
			    (struct sp_region){0x20000, 144, SP_RG_OUT, NULL};
			len = sp_sysreq_size(&v);
			sp_sysreq_encode(buf, &v);
			T_EQ(sp_sysreq_decode(buf, len, &sr), 0);
			for (int m = 0; m < 1 + rand() % 4; m++)
				buf[(size_t)rand() % len] = (uint8_t)rand();
			if (rand() % 4 == 0)
				len = (size_t)rand() % len;
		}
		(void)sp_sysreq_decode(buf, len, &sr);
		(void)sp_sysresp_decode(buf, len, rv, ck, SP_MAXCHUNKS, &nck);
		if (len >= SP_HDR_LEN)
			(void)sp_hdr_decode(buf, &h);
	}
}

T_CASE(malformed,
    "random and mutated frames drop that client, never the "
    "server; the parser survives a seeded run")
{
	long secs = sp_env("SP_MALFORMED_SECS", 3);
	int base_fds, fds = -1;
	uint64_t end;
	pid_t srv;

	parse_seeded(12345, 200000);
	sp_tmpdir();
	srv = sp_start(NULL);
	T_OK(rumpclient_init());
	T_ASSERT(rump_sys_getpid() > 1);
	usleep(100000);
	base_fds = sp_nfds(srv);
	srand(777);
	end = t_now_ns() + (uint64_t)secs * 1000000000ULL;
	for (int round = 0; t_now_ns() < end; round++) {
		uint8_t f[600];
		size_t len;
		int fd = raw_connect();
		struct timeval tv = {0, 200000};

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (round % 3 == 0) {
			/* Garbage from the first byte. */
			len = 1 + (size_t)rand() % sizeof(f);
			for (size_t i = 0; i < len; i++)
				f[i] = (uint8_t)rand();
		} else {
			/* A guest handshake, then a mutated syscall. */
			static const char comm[] = "fuzz";
			struct sp_sysreq v = {.sr_nargs = 3, .sr_nregs = 1};
			uint8_t ans[64];

			sp_hdr_encode(f, SP_HDR_LEN + sizeof(comm), 1, SP_REQ,
			    SP_T_HANDSHAKE, SP_HS_GUEST);
			memcpy(f + SP_HDR_LEN, comm, sizeof(comm));
			send(fd, f, SP_HDR_LEN + sizeof(comm), MSG_NOSIGNAL);
			recv(fd, ans, sizeof(ans), 0);
			v.sr_args[0] = 0;
			v.sr_args[1] = 0x10000;
			v.sr_args[2] = 64;
			v.sr_regs[0] =
			    (struct sp_region){0x10000, 64, SP_RG_OUT, NULL};
			len = SP_HDR_LEN + sp_sysreq_size(&v);
			sp_hdr_encode(f, len, 2, SP_REQ, SP_T_SYSCALL,
			    round % 5 == 0 ? 1 : 0);
			sp_sysreq_encode(f + SP_HDR_LEN, &v);
			for (int m = 0; m < 1 + rand() % 3; m++)
				f[(size_t)rand() % len] = (uint8_t)rand();
		}
		send(fd, f, len, MSG_NOSIGNAL);
		if (round % 2)
			recv(fd, f, sizeof(f), 0);
		close(fd);
		if (kill(srv, 0) != 0)
			T_FAIL("the server died at round %d", round);
	}
	T_ASSERT(rump_sys_getpid() > 1);
	for (int i = 0; i < 200; i++) {
		if ((fds = sp_nfds(srv)) == base_fds)
			break;
		usleep(20000);
	}
	T_EQ(fds, base_fds);
	T_EQ(sp_stop(srv, SIGTERM), 0);
	sp_rmtmp();
}

T_CASE(disks, "rump_server -d makes the host file and a block device of it")
{
	char spec[700], img[400], regf[400], spec2[900];
	const char *extra[5];
	struct stat st;
	char b[512], w[512];
	pid_t srv;
	int fd;

	sp_tmpdir();
	snprintf(img, sizeof(img), "%s/x.img", sp_dir);
	snprintf(regf, sizeof(regf), "%s/hello.txt", sp_dir);
	fd = open(regf, O_CREAT | O_WRONLY, 0644);
	T_EQ(write(fd, "hello, host\n", 12), 12);
	close(fd);
	snprintf(spec, sizeof(spec),
	    "key=/dev/img,hostpath=%s,size=8m,type=blk", img);
	snprintf(spec2, sizeof(spec2),
	    "key=/hello,hostpath=%s,size=host,type=reg", regf);
	extra[0] = "-d";
	extra[1] = spec;
	extra[2] = "-d";
	extra[3] = spec2;
	extra[4] = NULL;
	srv = sp_start(extra);
	T_OK(stat(img, &st));
	T_EQ(st.st_size, 8 << 20);
	T_OK(rumpclient_init());
	T_OK(rump_sys_stat("/dev/img", &st));
	T_ASSERT(S_ISBLK(st.st_mode));
	T_OK(fd = rump_sys_open("/dev/img", O_RDWR));
	memset(w, 0x5a, sizeof(w));
	T_EQ(rump_sys_pwrite64(fd, w, sizeof(w), 4096), 512);
	T_EQ(rump_sys_pread64(fd, b, sizeof(b), 4096), 512);
	T_ASSERT(memcmp(b, w, 512) == 0);
	T_OK(rump_sys_close(fd));
	T_OK(fd = rump_sys_open("/hello", O_RDONLY));
	T_EQ(rump_sys_read(fd, b, sizeof(b)), 12);
	T_ASSERT(memcmp(b, "hello, host\n", 12) == 0);
	T_OK(rump_sys_close(fd));
	/* A halt syncs: the bytes are in the host file afterwards. */
	T_EQ(sp_stop(srv, SIGTERM), 0);
	fd = open(img, O_RDONLY);
	T_EQ(pread(fd, b, 512, 4096), 512);
	close(fd);
	T_ASSERT(memcmp(b, w, 512) == 0);

	/* Bad specs are refused with a message and status 1. */
	{
		char cmd[1200];

		snprintf(cmd, sizeof(cmd),
		    "'%s/../../bin/rump_server' -s -d key=/x,size=1m "
		    "unix://%s/s2 2>/dev/null",
		    sp_bindir, sp_dir);
		T_EQ(WEXITSTATUS(system(cmd)), 1);
	}
	sp_rmtmp();
}

T_CASE(halt, "SIGTERM and a client's reboot stop the server cleanly")
{
	struct stat st;
	pid_t srv;

	sp_tmpdir();
	srv = sp_start(NULL);
	T_OK(rumpclient_init());
	T_ASSERT(rump_sys_getpid() > 1);
	T_EQ(sp_stop(srv, SIGTERM), 0);
	T_ERRNO(stat(sp_sock, &st), ENOENT);

	srv = sp_start(NULL);
	T_ASSERT(rump_sys_getpid() > 1 || errno == ENOTCONN);
	rumpclient_setconnretry(RUMPCLIENT_RETRYCONN_ONCE);
	T_ASSERT(rump_sys_getpid() > 1);
	T_OK(rump_sys_reboot(RB_POWER_OFF));
	T_EQ(sp_stop(srv, 0), 0);
	T_ERRNO(stat(sp_sock, &st), ENOENT);
	sp_rmtmp();
}

static int sig_pipe[2];
static volatile int sig_wrote;

static void
sig_handler(int sig)
{
	(void)sig;
	/* A call from a handler while this thread waits in one. */
	sig_wrote = rump_sys_write(sig_pipe[1], "s", 1);
}

T_CASE(signals,
    "a handler may call the kernel while its thread waits in a "
    "remote call")
{
	struct sigaction sa;
	pid_t srv;
	char b;

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
	/*
	 * TSan defers asynchronous signals to points of its own; with the
	 * thread blocked in a recv that SA_RESTART restarts, the handler
	 * that would end the wait did not run and the case hung.
	 */
	T_SKIP("under TSan the handler does not run during the remote call");
#endif
#endif
	sp_tmpdir();
	srv = sp_start(NULL);
	T_OK(rumpclient_init());
	T_OK(rump_sys_pipe(sig_pipe));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	ualarm(200000, 0);
	T_EQ(rump_sys_read(sig_pipe[0], &b, 1), 1);
	T_EQ(b, 's');
	T_EQ(sig_wrote, 1);
	T_EQ(sp_stop(srv, SIGTERM), 0);
	sp_rmtmp();
}

/*
 * A server that lies: it answers the handshakes properly and the first
 * system call of each ATTACH connection with a reply of kind br_kind.
 * It runs as a thread of this program; the client under test is a child
 * process, so a crash of the client is seen as such.
 */
enum br_kind {
	BR_GOOD,       /* a chunk inside the region: the call succeeds */
	BR_OUTSIDE,    /* a chunk running past the end of the region */
	BR_BEFORE,     /* a chunk starting before it */
	BR_PASTFRAME,  /* a chunk longer than the frame that carries it */
	BR_MANYCHUNKS, /* more chunks than a reply may have */
	BR_SECONDBAD,  /* a good chunk, then one outside */
	BR_ZEROLEN,    /* a chunk of no bytes */
	BR_RESERVED,   /* a chunk whose reserved field is not 0 */
	BR_CUT,        /* the connection closes in the middle of a chunk */
	BR_NKINDS
};
#define BR_N        20000 /* the read's buffer: a reply read in place */
#define BR_GOOD_OFF 100
#define BR_GOOD_LEN 15000

static pthread_mutex_t br_mtx = PTHREAD_MUTEX_INITIALIZER;
static int br_kind, br_small;   /* [br_mtx] */
static int br_fds[64], br_nfds; /* [br_mtx] the scenario's connections */
static int br_listen = -1;

static int
br_read_frame(int fd, uint8_t *buf, size_t max, struct sp_hdr *h)
{
	size_t got = 0;

	while (got < SP_HDR_LEN) {
		ssize_t n = recv(fd, buf + got, SP_HDR_LEN - got, 0);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	if (sp_hdr_decode(buf, h) != 0 || h->h_len > max)
		return -1;
	while (got < h->h_len) {
		ssize_t n = recv(fd, buf + got, h->h_len - got, 0);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* The reply of kind br_kind to a read into region [a, a + len). */
static size_t
br_reply(uint8_t *f, uint64_t reqno, uint64_t a, uint32_t len, size_t *cut)
{
	uint64_t ca[2] = {a + BR_GOOD_OFF, 0};
	uint32_t cl[2] = {BR_GOOD_LEN, 0}, res = 0, nck = 1;
	uint64_t framelen;
	size_t off = SP_HDR_LEN + SP_SYSRESP_HEAD;
	int kind, small;

	pthread_mutex_lock(&br_mtx);
	kind = br_kind;
	small = br_small;
	pthread_mutex_unlock(&br_mtx);
	if (small && kind != BR_PASTFRAME && kind != BR_CUT) {
		ca[0] = a + 10;
		cl[0] = len - 20;
	}
	/*
	 * The bad chunks are 8000 bytes, so that a reply to a big read is
	 * read in place (past the client's first 4 KiB) and one to a small
	 * read is read whole: each way of reading gets each lie.
	 */
	switch (kind) {
	case BR_OUTSIDE:
		ca[0] = a + len - 100;
		cl[0] = 8000;
		break;
	case BR_BEFORE:
		ca[0] = a - 8;
		cl[0] = 8000;
		break;
	case BR_MANYCHUNKS:
		nck = SP_MAXCHUNKS + 1;
		break;
	case BR_SECONDBAD:
		nck = 2;
		cl[0] = 16;
		ca[1] = a + len - 50;
		cl[1] = 8000;
		break;
	case BR_ZEROLEN:
		nck = 2;
		cl[0] = 0;
		ca[1] = a;
		cl[1] = 8000;
		break;
	case BR_RESERVED:
		res = 1;
		break;
	}
	sp_put64(f + SP_HDR_LEN, cl[0] + cl[1]);
	sp_put64(f + SP_HDR_LEN + 8, 0);
	sp_put32(f + SP_HDR_LEN + 16, nck);
	sp_put32(f + SP_HDR_LEN + 20, 0);
	for (unsigned i = 0; i < (nck > 2 ? 1 : nck); i++) {
		sp_put64(f + off, ca[i]);
		sp_put32(f + off + 8, cl[i]);
		sp_put32(f + off + 12, res);
		off += SP_CHUNK_WIRE;
		for (uint32_t k = 0; k < cl[i]; k++)
			f[off + k] = (uint8_t)(k * 7 + 1);
		memset(f + off + cl[i], 0, sp_pad8(cl[i]) - cl[i]);
		off += sp_pad8(cl[i]);
	}
	framelen = off;
	if (kind == BR_PASTFRAME)
		framelen = off - 8000; /* and the rest of the bytes follow */
	*cut = kind == BR_CUT ? off - 5000 : off;
	sp_hdr_encode(f, framelen, reqno, SP_RESP, SP_T_SYSCALL, 0);
	return off;
}

static void *
br_server(void *arg)
{
	static uint8_t f[2 * BR_N];

	(void)arg;
	for (;;) {
		static const char banner[] = "RUMPK-SP-1.0-Linux-liar/x86_64\n";
		struct sp_hdr h;
		struct sp_sysreq sr;
		int fd = accept(br_listen, NULL, NULL);
		size_t len, cut;

		if (fd < 0)
			return NULL;
		pthread_mutex_lock(&br_mtx);
		if (br_nfds < 64)
			br_fds[br_nfds++] = fd;
		else
			close(fd);
		pthread_mutex_unlock(&br_mtx);
		if (send(fd, banner, sizeof(banner) - 1, MSG_NOSIGNAL) < 0 ||
		    br_read_frame(fd, f, sizeof(f), &h) != 0 ||
		    h.h_type != SP_T_HANDSHAKE)
			continue;
		memset(f + SP_HDR_LEN, 0, 8 + SP_COOKIE);
		sp_put32(f + SP_HDR_LEN, 42);
		sp_hdr_encode(f, SP_HDR_LEN + 8 + SP_COOKIE, h.h_reqno, SP_RESP,
		    SP_T_HANDSHAKE, 0);
		if (send(fd, f, SP_HDR_LEN + 8 + SP_COOKIE, MSG_NOSIGNAL) < 0 ||
		    h.h_arg != SP_HS_ATTACH)
			continue; /* the main connection: kept open */
		if (br_read_frame(fd, f, sizeof(f), &h) != 0 ||
		    h.h_type != SP_T_SYSCALL ||
		    sp_sysreq_decode(
		        f + SP_HDR_LEN, h.h_len - SP_HDR_LEN, &sr) != 0 ||
		    sr.sr_nregs != 1)
			continue;
		len = br_reply(f, h.h_reqno, sr.sr_regs[0].rg_addr,
		    sr.sr_regs[0].rg_len, &cut);
		(void)len;
		send(fd, f, cut, MSG_NOSIGNAL);
		if (cut != len)
			shutdown(fd, SHUT_RDWR);
	}
}

/*
 * The client, in a child: a read into the middle of a guarded buffer.
 * Exit 0 when the outcome is right: the good reply gives its bytes and
 * nothing else changes; a bad one fails the call (-1, an errno) and
 * leaves every byte outside the region as it was.
 */
static int
br_client(int kind, size_t n)
{
	static uint8_t mem[3 * BR_N];
	uint8_t *buf = mem + BR_N;
	ssize_t r;

	memset(mem, 0x5a, sizeof(mem));
	if (rumpclient_init() != 0)
		return 10;
	errno = 0;
	r = rump_sys_read(7, buf, n);
	for (size_t i = 0; i < sizeof(mem); i++) {
		bool inside = mem + i >= buf && mem + i < buf + n;

		if (!inside && mem[i] != 0x5a)
			return 11; /* written outside the region */
	}
	if (kind != BR_GOOD)
		return r == -1 && errno != 0 ? 0 : 12;
	{
		size_t off = n < BR_N ? 10 : BR_GOOD_OFF;
		size_t len = n < BR_N ? n - 20 : BR_GOOD_LEN;

		if (r != (ssize_t)len)
			return 13;
		for (size_t i = 0; i < n; i++) {
			uint8_t want = i >= off && i < off + len
			    ? (uint8_t)((i - off) * 7 + 1)
			    : 0x5a;

			if (buf[i] != want)
				return 14;
		}
	}
	return 0;
}

T_CASE(badreplies,
    "malformed replies of a lying server fail the call and write nothing "
    "outside the caller's buffer; big and small replies alike")
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char path[400], url[420];
	pthread_t t;

	sp_tmpdir();
	snprintf(path, sizeof(path), "%s/liar", sp_dir);
	T_ASSERT(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	T_ASSERT((br_listen = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	T_OK(bind(br_listen, (struct sockaddr *)&sun, sizeof(sun)));
	T_OK(listen(br_listen, 8));
	snprintf(url, sizeof(url), "unix://%s", path);
	setenv("RUMP_SERVER", url, 1);
	T_EQ(pthread_create(&t, NULL, br_server, NULL), 0);
	for (int small = 0; small < 2; small++) {
		for (int kind = 0; kind < BR_NKINDS; kind++) {
			int status;
			pid_t kid;

			pthread_mutex_lock(&br_mtx);
			br_kind = kind;
			br_small = small;
			pthread_mutex_unlock(&br_mtx);
			if ((kid = fork()) == 0)
				_exit(br_client(kind, small ? 100 : BR_N));
			T_ASSERT(kid > 0);
			T_EQ(waitpid(kid, &status, 0), kid);
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				T_FAIL("reply kind %d (%s): client status %#x",
				    kind, small ? "small" : "big", status);
			pthread_mutex_lock(&br_mtx);
			for (int i = 0; i < br_nfds; i++)
				shutdown(br_fds[i], SHUT_RDWR);
			pthread_mutex_unlock(&br_mtx);
		}
	}
	shutdown(br_listen, SHUT_RDWR);
	pthread_join(t, NULL);
	close(br_listen);
	for (int i = 0; i < br_nfds; i++)
		close(br_fds[i]);
	sp_rmtmp();
}
