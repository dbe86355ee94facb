/*
 * net/net_batch.h — batching the work that packets cause.
 *
 * A thread that hands many packets to the stack in a row (a driver's
 * receiver draining its ring, sosend pushing a burst through tcp_output)
 * opens a batch around them.  While it is open, work that would otherwise
 * be done once per packet is recorded and done once at net_batch_end():
 *   - waking a socket's readers and writers (sorwakeup/sowwakeup: one
 *     wakeup of the application per batch, with everything that came);
 *   - a protocol's output on a socket (TCP sends one ACK for all the
 *     segments of the batch, and new data once for all the ACKs);
 *   - a driver's flush (shmif rings its doorbell once per batch).
 * The batch lives on the opener's stack and hangs off curlwp->l_netbatch;
 * it is only open while the opener does not sleep, so the deferred work is
 * at most one batch late.  A batch opened while one is open joins the
 * outer one.  Lists are short and fixed: what does not fit is done at once.
 *
 * Typical use:
 *	struct net_batch nb;
 *	net_batch_begin(&nb, NET_BATCH_ALL);
 *	... if_input(ifp, m) for each frame ...
 *	net_batch_end(&nb);     (no socket lock held)
 */
#ifndef KERNEL_NET_NET_BATCH_H
#define KERNEL_NET_NET_BATCH_H

#include "kern/proc.h"

struct socket;

#define NET_BATCH_SOCKETS 16
#define NET_BATCH_FLUSHES 4

/* What a batch collects (nb_what). */
#define NET_BATCH_SOWORK 0x01 /* socket wakeups and protocol output */
#define NET_BATCH_IFWORK 0x02 /* driver flushes */
#define NET_BATCH_ALL    (NET_BATCH_SOWORK | NET_BATCH_IFWORK)

/* Deferred work on a socket (nbs_flags). */
#define NET_BATCH_RWAKE  0x01
#define NET_BATCH_WWAKE  0x02
#define NET_BATCH_OUTPUT 0x04

struct net_batch {
	int nb_what;  /* NET_BATCH_SOWORK | _IFWORK */
	bool nb_open; /* this one hangs off curlwp (not a joined one) */
	int nb_nso, nb_nfl;
	struct {
		struct socket *nbs_so; /* held (sohold) */
		int nbs_flags;
		void (*nbs_output)(struct socket *); /* called locked */
	} nb_so[NET_BATCH_SOCKETS];
	struct {
		void (*nbf_fn)(void *);
		void *nbf_arg;
	} nb_fl[NET_BATCH_FLUSHES];
};

void net_batch_begin(struct net_batch *nb, int what);
/* Does the deferred work: protocol output, then wakeups, then the
 * drivers' flushes.  Called with no socket lock held. */
void net_batch_end(struct net_batch *nb);

/* The open batch of the calling thread, if it collects what. */
static inline struct net_batch *
net_batch_cur(int what)
{
	struct net_batch *nb = curlwp->l_netbatch;

	return nb != NULL && (nb->nb_what & what) ? nb : NULL;
}

/*
 * Records work on so (locked) in the open batch: the flags, and output()
 * when NET_BATCH_OUTPUT is among them.  False if there is no batch or no
 * room: the caller does the work now.
 */
bool net_batch_so(
    struct socket *so, int flags, void (*output)(struct socket *));
/*
 * Records a driver's flush fn(arg), once per batch: 1 if it is new (the
 * caller takes what reference fn will drop), 2 if it was recorded already,
 * 0 if there is no batch or no room (the caller flushes now).
 */
int net_batch_flush(void (*fn)(void *), void *arg);

#endif /* KERNEL_NET_NET_BATCH_H */
