/*
 * nettest_kern.c — kernel-side helpers of the network tests and the
 * network fuzzer (nettest.h): a fake Ethernet interface, "fake0", whose
 * input takes frames straight from the caller and whose transmit counts
 * what the stack sends and keeps the last frame.  Built as kernel code
 * (freestanding, renamed like the kernel) and linked only into the
 * programs that call rump_nettest_*.
 */
#include "kern/proc.h"
#include "net/if.h"
#include "net/if_vnet.h"
#include "net/mbuf.h"
#include "netinet/ip_var.h"

#include "nettest.h"

static struct ifnet fake_if;
static kmutex_t fake_lock;
static uint64_t fake_sent;      /* [fake_lock] */
static uint8_t fake_last[2048]; /* [fake_lock] */
static size_t fake_lastlen;     /* [fake_lock] */
static uint64_t fake_vnet_bad;  /* [a] */

static int
fake_transmit(struct ifnet *ifp __unused, struct mbuf *m)
{
	int len = m->m_pkthdr.len;

	mutex_enter(&fake_lock);
	fake_sent++;
	fake_lastlen = (size_t)MIN(len, (int)sizeof(fake_last));
	m_copydata(m, 0, (int)fake_lastlen, fake_last);
	mutex_exit(&fake_lock);
	m_freem(m);
	return 0;
}

RUMP_API int
rump_nettest_fakeif(void)
{
	static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
	struct lwp *l = sched_enter();
	int error;

	mutex_init(&fake_lock, MUTEX_DEFAULT);
	strlcpy(fake_if.if_xname, "fake0", sizeof(fake_if.if_xname));
	fake_if.if_mtu = ETHERMTU;
	fake_if.if_transmit = fake_transmit;
	ether_ifattach(&fake_if, mac);
	error = if_attach(&fake_if);
	sched_exit(l);
	return error;
}

RUMP_API int
rump_nettest_input(const void *buf, size_t len)
{
	struct lwp *l;
	struct mbuf *m;

	if (len > 65536)
		return EINVAL;
	l = sched_enter();
	/* 2 bytes in front, as the real drivers leave, for IP alignment. */
	m = m_devget(buf, (int)len, 2, &fake_if, M_DONTWAIT);
	if (m != NULL)
		fake_if.if_input(&fake_if, m);
	sched_exit(l);
	return m == NULL ? ENOBUFS : 0;
}

RUMP_API int
rump_nettest_input_vnet(
    const void *vh, size_t vhlen, const void *buf, size_t len)
{
	struct virtio_net_hdr h;
	struct lwp *l;
	struct mbuf *m;
	int error = 0;

	if (vhlen != sizeof(h) || len > 65536)
		return EINVAL;
	memcpy(&h, vh, sizeof(h));
	l = sched_enter();
	m = m_devget(buf, (int)len, 2, &fake_if, M_DONTWAIT);
	if (m == NULL)
		error = ENOBUFS;
	else if ((error = vnet_hdr_input(m, &h)) != 0) {
		if_addstat(&fake_if, ifs_ierrors, 1);
		atomic_inc(&fake_vnet_bad);
		m_freem(m);
	} else
		fake_if.if_input(&fake_if, m);
	sched_exit(l);
	return error;
}

RUMP_API int
rump_nettest_vnet_bad(uint64_t *count)
{
	*count = atomic_load_relaxed(&fake_vnet_bad);
	return 0;
}

RUMP_API int
rump_nettest_output(uint64_t *count, void *buf, size_t buflen, size_t *lastlen)
{
	struct lwp *l = sched_enter();

	mutex_enter(&fake_lock);
	*count = fake_sent;
	if (buf != NULL) {
		*lastlen = MIN(buflen, fake_lastlen);
		memcpy(buf, fake_last, *lastlen);
	}
	mutex_exit(&fake_lock);
	sched_exit(l);
	return 0;
}

RUMP_API int
rump_nettest_mbufs(uint64_t *mbufs, uint64_t *clusters)
{
	struct lwp *l = sched_enter();

	mbuf_stats(mbufs, clusters);
	sched_exit(l);
	return 0;
}

RUMP_API int
rump_nettest_flush(void)
{
	struct lwp *l = sched_enter();

	ip_reass_expire_all();
	sched_exit(l);
	return 0;
}
