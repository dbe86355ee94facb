/*
 * net/net_impl.h — what the files of kernel/net share among themselves and
 * nobody else uses: socket-buffer internals, the socket layer's helpers
 * for the system calls, AF_UNIX hooks and the /proc/net files.
 */
#ifndef KERNEL_NET_NET_IMPL_H
#define KERNEL_NET_NET_IMPL_H

#include "net/if.h"
#include "net/route.h"
#include "net/socket.h"
#include "sys/linux_fs.h"

/*
 * Ends a component init whose last call initialises a lock: without it
 * the compiler makes that a tail call, and RUMP_LOCKDEBUG, which names a
 * lock's class by the return address of mutex_init/rw_init, would put the
 * lock in rump_init's class together with every other such lock.
 */
#define LOCKINIT_DONE() __asm__ __volatile__("" ::: "memory")

#ifndef POLLRDHUP
#define POLLRDHUP 0x2000
#endif

/* uipc_sockbuf.c */
void sb_account_take(struct sockbuf *sb, const struct mbuf *m);
void sb_account_give(struct sockbuf *sb, const struct mbuf *m);
/* Frees a chain, disposing of control messages (rights in flight). */
void sb_freechain(struct mbuf *m);
struct mbuf *sbdetach_all(struct sockbuf *sb);
void sb_freerecords(struct mbuf *m);

/* uipc_socket.c */
/*
 * soreceive with the full length of a datagram reported in *lenp (for
 * MSG_TRUNC), or the bytes moved for streams.
 */
int soreceive_len(struct socket *so, struct mbuf **paddr, struct uio *uio,
    struct mbuf **controlp, int *flagsp, size_t *lenp);
/* Waits for and takes the first completed connection of listener so. */
int soaccept_take(struct socket *so, bool nbio, struct socket **childp);
int sopoll(struct socket *so, int events);
int sopeeraddr(struct socket *so, struct sockaddr_storage *ss, socklen_t *len);
int sosockaddr(struct socket *so, struct sockaddr_storage *ss, socklen_t *len);
int soconnect2(struct socket *so1, struct socket *so2);
extern uint64_t so_nextino; /* [a] */

/* uipc_usrreq.c (AF_UNIX) */
/* The internal form of SCM_RIGHTS in flight: struct file pointers. */
#define SCM_RIGHTS_INFLIGHT 0x7f01
/* Releases the files of an in-flight SCM_RIGHTS message in control m. */
void unp_dispose(struct mbuf *m);
/* Takes another reference to each file of in-flight rights in m (peek). */
void unp_rights_hold(struct mbuf *m);
/*
 * Turns the control messages of chain control (consumed) into the
 * caller's form in buf of at most space bytes: in-flight rights become
 * descriptors of the current process (O_CLOEXEC with cloexec).  Sets
 * *usedp, and MSG_CTRUNC in *flagsp when something did not fit.
 */
int unp_externalize(struct mbuf *control, void *buf, size_t space,
    size_t *usedp, int *flagsp, bool cloexec);
/*
 * Turns the SCM_RIGHTS messages of control chain m (from sendmsg) into
 * in-flight references to the files; on failure nothing is held.
 */
int unp_internalize(struct mbuf *m);
/* shutdown(SHUT_RD) of an AF_UNIX connection (the peer cannot send). */
void unp_shutdown_rd(struct socket *so);
/* The peer's credentials (SO_PEERCRED); false if none. */
bool unp_peercred(struct socket *so, struct ucred *uc);

/* if.c */
int ifioctl_kern(unsigned long cmd, struct ifreq *ifr);
int if_set_linkstr(struct ifnet *ifp, const char *str, size_t len);

/* route.c */
int rt_ioctl_kern(
    unsigned long cmd, const struct linux_rtentry *rte, const char *devname);

#endif /* KERNEL_NET_NET_IMPL_H */
