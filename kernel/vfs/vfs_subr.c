/*
 * vfs_subr.c — small pieces the whole VFS shares: attribute records,
 * permission checks with the caller's credentials, mount options, and the
 * list of file-system types.
 */
#include "vfs.h"

void
vattr_null(struct vattr *va)
{
	memset(va, 0, sizeof(*va));
	va->va_type = VNON;
}

/*
 * Owner, group or other bits by who the caller is; root may do anything
 * but execute a file that nobody may execute.
 */
int
vfs_access(kauth_cred_t cred, const struct vattr *va, int acc)
{
	mode_t mode = va->va_mode, bits;

	if (cred->cr_euid == 0) {
		if ((acc & VEXEC) && va->va_type != VDIR &&
		    !(mode & (S_IXUSR | (S_IXUSR >> 3) | (S_IXUSR >> 6))))
			return EACCES;
		return 0;
	}
	if (cred->cr_euid == va->va_uid)
		bits = (mode >> 6) & 7;
	else if (kauth_cred_groupmember(cred, va->va_gid))
		bits = (mode >> 3) & 7;
	else
		bits = mode & 7;
	return ((unsigned)acc & ~bits) == 0 ? 0 : EACCES;
}

/* vp must not be locked by the caller. */
int
vn_access(struct vnode *vp, int acc, kauth_cred_t cred)
{
	struct vattr va;
	int error;

	vn_lock(vp, RW_READER);
	error = vp->v_op->vop_getattr(vp, &va);
	vn_unlock(vp);
	if (error)
		return error;
	if ((acc & VWRITE) && vfs_isrdonly(vp->v_mount) &&
	    (va.va_type == VREG || va.va_type == VDIR || va.va_type == VLNK))
		return EROFS;
	return vfs_access(cred, &va, acc);
}

/*
 * Finds "key" or "key=value" in a comma-separated option string.  With a
 * value, copies it into val (truncating to vallen - 1); a bare key gives "".
 */
bool
vfs_getopt(const char *opts, const char *key, char *val, size_t vallen)
{
	size_t klen = strlen(key);
	const char *p = opts;

	if (opts == NULL)
		return false;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len >= klen && strncmp(p, key, klen) == 0 &&
		    (len == klen || p[klen] == '=')) {
			size_t vl = len > klen ? len - klen - 1 : 0;

			if (val != NULL && vallen > 0) {
				vl = MIN(vl, vallen - 1);
				memcpy(val, len > klen ? p + klen + 1 : p, vl);
				val[vl] = '\0';
			}
			return true;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

static struct vfsops *vfs_list; /* [mount_lock], and read-mostly */

void
vfs_register(struct vfsops *ops)
{
	/* Called from constructors, before boot: no locks exist yet. */
	struct vfsops *head;

	do {
		head = __atomic_load_n(&vfs_list, __ATOMIC_ACQUIRE);
		ops->vfs_next = head;
	} while (!__atomic_compare_exchange_n(
	    &vfs_list, &head, ops, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
}

struct vfsops *
vfs_getopsbyname(const char *name)
{
	struct vfsops *ops;

	for (ops = atomic_load_acquire(&vfs_list); ops; ops = ops->vfs_next)
		if (strcmp(ops->vfs_name, name) == 0)
			return ops;
	return NULL;
}
