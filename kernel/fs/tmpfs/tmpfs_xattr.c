/*
 * tmpfs_xattr.c — extended attributes of tmpfs nodes: a short list per
 * node (struct tmpfs_xattr in tmpfs_impl.h), searched by name.  The VFS
 * (vfs_xattr.c) has checked names, sizes and permissions; here they are
 * only stored.  What they take counts against the mount's size limit in
 * whole pages per node, so a full tmpfs refuses them with ENOSPC; they
 * go with the node (tmpfs_node_free).
 */
#include "tmpfs_impl.h"

static size_t
tmpfs_xattr_size(size_t namelen, size_t len)
{
	return sizeof(struct tmpfs_xattr) + namelen + len;
}

/* The link that points at the attribute called name, or NULL. */
static struct tmpfs_xattr **
tmpfs_xattr_find(struct tmpfs_node *tn, const char *name)
{
	size_t namelen = strlen(name);

	for (struct tmpfs_xattr **txp = &tn->tn_xattrs; *txp != NULL;
	     txp = &(*txp)->tx_next)
		if ((*txp)->tx_namelen == namelen &&
		    memcmp((*txp)->tx_data, name, namelen) == 0)
			return txp;
	return NULL;
}

/* Charges or returns pages so that bytes are paid for. */
static int
tmpfs_xattr_charge(struct tmpfs_node *tn, size_t bytes)
{
	uint64_t want = howmany((uint64_t)bytes, TMPFS_PAGE_SIZE);
	int error;

	if (want > tn->tn_xattr_pages) {
		error = tmpfs_pages_reserve(
		    tn->tn_mount, want - tn->tn_xattr_pages);
		if (error)
			return error;
	} else if (want < tn->tn_xattr_pages) {
		tmpfs_pages_release(tn->tn_mount, tn->tn_xattr_pages - want);
	}
	tn->tn_xattr_pages = want;
	tn->tn_xattr_bytes = bytes;
	return 0;
}

int
tmpfs_getxattr(struct vnode *vp, const char *name, void *buf, size_t *lenp)
{
	struct tmpfs_xattr **txp = tmpfs_xattr_find(VP_TO_TMPFS(vp), name);
	struct tmpfs_xattr *tx;

	if (txp == NULL)
		return ENODATA;
	tx = *txp;
	if (buf != NULL) {
		if (tx->tx_len > *lenp)
			return ERANGE;
		memcpy(buf, tx->tx_data + tx->tx_namelen, tx->tx_len);
	}
	*lenp = tx->tx_len;
	return 0;
}

int
tmpfs_listxattr(struct vnode *vp,
    int (*fill)(void *arg, const char *name, size_t namelen), void *arg)
{
	int error;

	for (struct tmpfs_xattr *tx = VP_TO_TMPFS(vp)->tn_xattrs; tx != NULL;
	     tx = tx->tx_next)
		if ((error = fill(arg, tx->tx_data, tx->tx_namelen)) != 0)
			return error;
	return 0;
}

int
tmpfs_setxattr(
    struct vnode *vp, const char *name, const void *val, size_t len, int flags)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);
	struct tmpfs_xattr **txp = tmpfs_xattr_find(tn, name), *tx, *old;
	size_t namelen = strlen(name), bytes = tn->tn_xattr_bytes;
	int error;

	if (txp != NULL && (flags & XATTR_CREATE))
		return EEXIST;
	if (txp == NULL && (flags & XATTR_REPLACE))
		return ENODATA;
	old = txp ? *txp : NULL;
	bytes += tmpfs_xattr_size(namelen, len);
	if (old != NULL)
		bytes -= tmpfs_xattr_size(old->tx_namelen, old->tx_len);
	if ((tx = kmem_alloc(tmpfs_xattr_size(namelen, len), KM_SLEEP)) == NULL)
		return ENOMEM;
	if ((error = tmpfs_xattr_charge(tn, bytes)) != 0) {
		kmem_free(tx, tmpfs_xattr_size(namelen, len));
		return error;
	}
	tx->tx_namelen = (uint16_t)namelen;
	tx->tx_len = (uint32_t)len;
	memcpy(tx->tx_data, name, namelen);
	memcpy(tx->tx_data + namelen, val, len);
	if (old != NULL) {
		/* In the old one's place, so the listing order stays. */
		tx->tx_next = old->tx_next;
		*txp = tx;
		kmem_free(old, tmpfs_xattr_size(old->tx_namelen, old->tx_len));
	} else {
		tx->tx_next = NULL;
		for (txp = &tn->tn_xattrs; *txp != NULL; txp = &(*txp)->tx_next)
			continue;
		*txp = tx;
	}
	tmpfs_update(tn, TMPFS_CTIME);
	return 0;
}

int
tmpfs_removexattr(struct vnode *vp, const char *name)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);
	struct tmpfs_xattr **txp = tmpfs_xattr_find(tn, name), *tx;
	size_t sz;

	if (txp == NULL)
		return ENODATA;
	tx = *txp;
	*txp = tx->tx_next;
	sz = tmpfs_xattr_size(tx->tx_namelen, tx->tx_len);
	kmem_free(tx, sz);
	(void)tmpfs_xattr_charge(tn, tn->tn_xattr_bytes - sz); /* a refund */
	tmpfs_update(tn, TMPFS_CTIME);
	return 0;
}

/* The node goes: its attributes and what they were charged go too. */
void
tmpfs_xattr_free_all(struct tmpfs_node *tn)
{
	struct tmpfs_xattr *tx;

	while ((tx = tn->tn_xattrs) != NULL) {
		tn->tn_xattrs = tx->tx_next;
		kmem_free(tx, tmpfs_xattr_size(tx->tx_namelen, tx->tx_len));
	}
	(void)tmpfs_xattr_charge(tn, 0);
}
