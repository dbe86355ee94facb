/*
 * net_batch.c — batches of packet work (net_batch.h): recording deferred
 * socket wakeups, protocol output and driver flushes, and doing them at
 * the end of the batch.
 */
#include "net/net_batch.h"
#include "net/socket.h"

void
net_batch_begin(struct net_batch *nb, int what)
{
	struct lwp *l = curlwp;

	nb->nb_what = what;
	nb->nb_nso = nb->nb_nfl = 0;
	nb->nb_open = l->l_netbatch == NULL;
	if (nb->nb_open)
		l->l_netbatch = nb;
}

bool
net_batch_so(struct socket *so, int flags, void (*output)(struct socket *))
{
	struct net_batch *nb = net_batch_cur(NET_BATCH_SOWORK);
	int i;

	KASSERT(solocked(so));
	if (nb == NULL)
		return false;
	for (i = 0; i < nb->nb_nso; i++)
		if (nb->nb_so[i].nbs_so == so)
			break;
	if (i == nb->nb_nso) {
		if (i == NET_BATCH_SOCKETS)
			return false;
		sohold(so);
		nb->nb_so[i].nbs_so = so;
		nb->nb_so[i].nbs_flags = 0;
		nb->nb_so[i].nbs_output = NULL;
		nb->nb_nso++;
	}
	if (flags & NET_BATCH_OUTPUT) {
		/* One output function per socket: its protocol's. */
		KASSERT(nb->nb_so[i].nbs_output == NULL ||
		    nb->nb_so[i].nbs_output == output);
		nb->nb_so[i].nbs_output = output;
	}
	nb->nb_so[i].nbs_flags |= flags;
	return true;
}

int
net_batch_flush(void (*fn)(void *), void *arg)
{
	struct net_batch *nb = net_batch_cur(NET_BATCH_IFWORK);
	int i;

	if (nb == NULL)
		return 0;
	for (i = 0; i < nb->nb_nfl; i++)
		if (nb->nb_fl[i].nbf_fn == fn && nb->nb_fl[i].nbf_arg == arg)
			return 2;
	if (i == NET_BATCH_FLUSHES)
		return 0;
	nb->nb_fl[i].nbf_fn = fn;
	nb->nb_fl[i].nbf_arg = arg;
	nb->nb_nfl++;
	return 1;
}

void
net_batch_end(struct net_batch *nb)
{
	struct lwp *l = curlwp;

	if (!nb->nb_open)
		return; /* joined an outer batch, which does the work */
	/*
	 * Socket work first: protocol output adds driver flushes to this
	 * batch.  Closed for sockets while doing it, so that the wakeups
	 * happen now.
	 */
	nb->nb_what &= ~NET_BATCH_SOWORK;
	for (int i = 0; i < nb->nb_nso; i++) {
		struct socket *so = nb->nb_so[i].nbs_so;
		int flags = nb->nb_so[i].nbs_flags;

		solock(so);
		if ((flags & NET_BATCH_OUTPUT) && so->so_pcb != NULL) {
			nb->nb_so[i].nbs_output(so);
			if (!solocked(so))
				solock(so);
		}
		if (flags & NET_BATCH_RWAKE)
			sorwakeup(so);
		if (flags & NET_BATCH_WWAKE)
			sowwakeup(so);
		sorele_locked(so);
	}
	nb->nb_nso = 0;
	l->l_netbatch = NULL;
	/* The drivers' flushes last, with the batch closed. */
	for (int i = 0; i < nb->nb_nfl; i++)
		nb->nb_fl[i].nbf_fn(nb->nb_fl[i].nbf_arg);
	nb->nb_nfl = 0;
}
