/*
 * if_pcap.c — packet capture of an interface to a pcap file on the host
 * (the classic format: magic 0xa1b2c3d4, version 2.4, microseconds),
 * LINKTYPE_ETHERNET for Ethernet interfaces and LINKTYPE_NULL (a 4-byte
 * family header in host order) for lo0.
 *
 * Files are written with rumpuser_iovwrite at offsets kept here, a record
 * at a time under pcap_lock, which also guards opening and closing: a
 * tap that finds ifp->if_pcap set takes the lock and looks again.  An
 * existing file is overwritten from its start (the hypercalls cannot
 * truncate it; a shorter capture leaves its old tail behind).
 */
#include "net/net_impl.h"

#define PCAP_SNAPLEN  262144
#define PCAP_MAXIOV   64
#define LINKTYPE_NULL 0
#define LINKTYPE_ETH  1

struct pcap_file {
	int pf_fd;
	int64_t pf_off; /* [pcap_lock] */
	int pf_linktype;
};

struct pcap_hdr {
	uint32_t magic;
	uint16_t version_major, version_minor;
	int32_t thiszone;
	uint32_t sigfigs, snaplen, network;
};

struct pcap_rec {
	uint32_t ts_sec, ts_usec, incl_len, orig_len;
};

static kmutex_t pcap_lock;

RUMP_COMPONENT(RUMP_COMPONENT_KERN)
{
	mutex_init(&pcap_lock, MUTEX_DEFAULT);
	LOCKINIT_DONE();
}

static int
pcap_write(struct pcap_file *pf, const struct rumpuser_iovec *iov, size_t n,
    size_t total)
{
	size_t done = 0;
	int error;

	KASSERT(mutex_owned(&pcap_lock));
	error = rumpuser_iovwrite(pf->pf_fd, iov, n, pf->pf_off, &done);
	if (error == 0 && done != total)
		error = EIO;
	if (error == 0)
		pf->pf_off += (int64_t)done;
	return error;
}

int
if_pcap_open(struct ifnet *ifp, const char *hostpath)
{
	struct pcap_file *pf;
	struct pcap_hdr h;
	struct rumpuser_iovec iov;
	int error, fd;

	if_pcap_close(ifp);
	if (hostpath == NULL || hostpath[0] == '\0')
		return 0;
	if ((pf = kmem_zalloc(sizeof(*pf), KM_SLEEP)) == NULL)
		return ENOMEM;
	error = rumpuser_open(
	    hostpath, RUMPUSER_OPEN_WRONLY | RUMPUSER_OPEN_CREATE, &fd);
	if (error) {
		kmem_free(pf, sizeof(*pf));
		return error;
	}
	pf->pf_fd = fd;
	pf->pf_linktype =
	    ifp->if_type == ARPHRD_ETHER ? LINKTYPE_ETH : LINKTYPE_NULL;
	h = (struct pcap_hdr){
	    0xa1b2c3d4, 2, 4, 0, 0, PCAP_SNAPLEN, (uint32_t)pf->pf_linktype};
	iov.iov_base = &h;
	iov.iov_len = sizeof(h);
	mutex_enter(&pcap_lock);
	error = pcap_write(pf, &iov, 1, sizeof(h));
	if (error == 0 && ifp->if_pcap != NULL)
		error = EBUSY;
	if (error == 0)
		atomic_store_release(&ifp->if_pcap, pf);
	mutex_exit(&pcap_lock);
	if (error) {
		(void)rumpuser_close(fd);
		kmem_free(pf, sizeof(*pf));
	}
	return error;
}

void
if_pcap_close(struct ifnet *ifp)
{
	struct pcap_file *pf;

	mutex_enter(&pcap_lock);
	pf = ifp->if_pcap;
	atomic_store_release(&ifp->if_pcap, NULL);
	mutex_exit(&pcap_lock);
	if (pf == NULL)
		return;
	(void)rumpuser_close(pf->pf_fd);
	kmem_free(pf, sizeof(*pf));
}

void
if_pcap_tap(struct ifnet *ifp, const struct mbuf *m)
{
	struct rumpuser_iovec iov[PCAP_MAXIOV + 1];
	struct pcap_file *pf;
	struct pcap_rec r;
	uint64_t now;
	uint32_t fam;
	size_t n = 1, left;
	int len = m_length(m), off = 0;

	if (atomic_load_acquire(&ifp->if_pcap) == NULL)
		return;
	now = getnanotime();
	r.ts_sec = (uint32_t)(now / 1000000000ULL);
	r.ts_usec = (uint32_t)(now % 1000000000ULL / 1000);
	r.orig_len = (uint32_t)len;
	r.incl_len = (uint32_t)MIN(len, PCAP_SNAPLEN);
	iov[0].iov_base = &r;
	iov[0].iov_len = sizeof(r);
	mutex_enter(&pcap_lock);
	if ((pf = ifp->if_pcap) == NULL)
		goto out;
	if (pf->pf_linktype == LINKTYPE_NULL && len >= 4) {
		/* BSD's numbering of AF_INET6 (30), which readers expect. */
		m_copydata(m, 0, 4, &fam);
		if (fam == AF_INET6)
			fam = 30;
		iov[n].iov_base = &fam;
		iov[n++].iov_len = 4;
		off = 4;
	}
	left = r.incl_len - (size_t)off;
	for (; m != NULL && left > 0; m = m->m_next) {
		size_t k;

		if (m->m_len <= off) {
			off -= m->m_len;
			continue;
		}
		if (n == PCAP_MAXIOV + 1) {
			/* Too fragmented: cut the record short. */
			r.incl_len -= (uint32_t)left;
			break;
		}
		k = MIN(left, (size_t)(m->m_len - off));
		iov[n].iov_base = mtod(m, char *) + off;
		iov[n++].iov_len = k;
		left -= k;
		off = 0;
	}
	(void)pcap_write(pf, iov, n, sizeof(r) + r.incl_len);
out:
	mutex_exit(&pcap_lock);
}
