/*
 * netproc.h — the plumbing of the network tests: kernels in child
 * processes, the bus files they share, and what they tell each other.
 *
 * A test case (itself a child of the harness) never boots a kernel: it
 * makes a temporary directory for bus files and captures (np_init), forks
 * one child per kernel (np_spawn), and talks with each child over a pair of
 * pipes, one text line at a time:
 *
 *	np_init();
 *	struct np_proc *srv = np_spawn("server", server_main, &arg);
 *	np_expect(srv, "ready", NULL, 0, 10000);   child said "ready"
 *	struct np_proc *cli = np_spawn("client", client_main, &arg);
 *	np_expect(cli, "sha256", hash, sizeof(hash), 60000);
 *	np_join(cli, 10000); ...; np_done();
 *
 * and in a child:
 *
 *	np_boot_shmif(bus, "10.0.0.2", 24);   rump_init, shmif0 up, address
 *	np_send("ready");
 *	... rump_sys_*() ...
 *	np_send("sha256 %s", hex);
 *
 * At most 16 children live at a time; once reaped (np_kill, np_join) a
 * child may be forgotten to make room for new ones, so its np_proc is not
 * used after that.  Children die with their parent (PR_SET_PDEATHSIG) and are killed and
 * reaped by pid when the case fails through np_fail()/NP_ASSERT (or ends:
 * np_done).  A child that fails calls np_die(): it sends "FAIL <reason>",
 * which makes the parent's np_expect fail the case with that reason.
 * The directory is removed by np_done(); a failed case leaves it (its
 * path is printed) for a look at the bus files.
 */
#ifndef TESTS_NET_NETPROC_H
#define TESTS_NET_NETPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"

struct np_proc {
	pid_t np_pid;
	int np_rfd; /* the child's lines, read by the parent */
	int np_wfd; /* the parent's lines, read by the child */
	char np_name[32];
	char np_buf[4096]; /* lines read but not yet taken */
	size_t np_nbuf;
	bool np_reaped;
	int np_status;
};

/* ---- in the test case (the parent) ---- */

/* Makes the temporary directory (once per case). */
void np_init(void);
/* A path in it: the returned string lives until the next 16 calls. */
const char *np_path(const char *name);
/* The build's bin directory (for shmif_dumpbus). */
const char *np_bindir(void);
/* The directory of the running program (<B>/tests/net). */
const char *np_selfdir(void);

/* Forks a child running fn(arg) (which does not return: np_exit). */
struct np_proc *np_spawn(const char *name, void (*fn)(void *), void *arg);
/*
 * Waits up to timeout_ms for the next line of p that starts with word;
 * copies the rest (after one space) to rest if given.  Lines of other words
 * are passed over.  Fails the case on timeout, on "FAIL ..." or when p
 * exits.
 */
void np_expect(struct np_proc *p, const char *word, char *rest, size_t len,
    int timeout_ms);
/* Sends a line to p. */
void np_tell(struct np_proc *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Waits up to timeout_ms for p to exit; fails the case unless it exits 0. */
void np_join(struct np_proc *p, int timeout_ms);
/* Kills p (SIGKILL) and reaps it. */
void np_kill(struct np_proc *p);
/* Kills and reaps every child left, removes the directory. */
void np_done(void);
/* Kills and reaps every child, keeps the directory, fails the case. */
void np_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
#define NP_FAIL(...) np_fail(__FILE__, __LINE__, __VA_ARGS__)
#define NP_ASSERT(c)                                                           \
	do {                                                                   \
		if (!(c))                                                      \
			np_fail(                                               \
			    __FILE__, __LINE__, "assertion failed: %s", #c);   \
	} while (0)
/* A shell command that np_done and np_fail run (at most 8; "ip netns del"). */
void np_atcleanup(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Makes network namespace "<prefix><pid>" (removed at cleanup) and returns
 * its name; NULL with *why set when this host cannot (not root, no
 * /dev/net/tun, no ip(8), no namespaces): the caller skips.
 */
const char *np_netns_make(const char *prefix, const char **why);
/* Runs a shell command line; returns its exit status (-1 if it died). */
int np_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs a command line and returns its standard output (malloc'd). */
char *np_output(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- in a child ---- */

/* A line to the parent. */
void np_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The next line from the parent (NUL-terminated, no newline); false on
 * timeout or when the parent is gone. */
bool np_recv(char *buf, size_t len, int timeout_ms);
/* Tells the parent "FAIL <reason>" and exits 1. */
void np_die(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
/* Exits 0. */
void np_exit(void) __attribute__((noreturn));
#define NP_CHECK(c)                                                            \
	do {                                                                   \
		if (!(c))                                                      \
			np_die("%s:%d: %s (errno %d %s)", __FILE__, __LINE__,  \
			    #c, errno, strerror(errno));                       \
	} while (0)

/* Moves the calling process into network namespace name (made with
 * `ip netns add`), or dies.  Before rump_init(): the kernel's threads and
 * its TAP devices then live there. */
void np_netns_enter(const char *name);

/* rump_init(), or die. */
void np_boot(void);
/* Boots and attaches shmifN to bus with addr/plen, up; returns N. */
int np_boot_shmif(const char *bus, const char *addr, int plen);
/* Attaches one more shmif to bus (kernel booted); returns N. */
int np_shmif(const char *bus, const char *addr, int plen);
/* IPv4 sockaddr for "a.b.c.d", port. */
struct sockaddr_in np_sin(const char *addr, int port);

/* TCP helpers in a child, on the kernel's sockets; die on errors. */
int np_tcp_listen(int port);
int np_tcp_connect(const char *addr, int port);
/* Sends nbytes of the stream of seed (np_stream) and reports nothing. */
void np_send_stream(int fd, uint64_t nbytes, uint64_t seed, char hex[65]);
/* Reads to EOF, hashing; returns the byte count. */
uint64_t np_recv_hash(int fd, char hex[65]);

/* The deterministic test stream: bytes [off, off+len) of stream seed. */
void np_stream(uint64_t seed, uint64_t off, void *buf, size_t len);
/* SHA-256 of the first nbytes of stream seed. */
void np_stream_hash(uint64_t seed, uint64_t nbytes, char hex[65]);

#endif /* TESTS_NET_NETPROC_H */
