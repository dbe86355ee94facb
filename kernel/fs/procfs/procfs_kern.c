/*
 * procfs_kern.c — the files of /proc that describe the kernel base and
 * the VFS, in Linux's formats:
 *   mounts                  the mount table ("tmpfs / tmpfs rw 0 0")
 *   uptime                  seconds since boot, and idle time (unknown
 *                           here: always 0.00)
 *   meminfo                 the kernel's memory: MemTotal is the memory
 *                           limit (RUMP_MEMLIMIT), MemFree and
 *                           MemAvailable what the limit leaves; without a
 *                           limit those three are 0 (no total is known).
 *                           KmemUsed is what the kernel holds of the host.
 *   version                 the kernel's name and version
 *   sys/kernel/hostname     read and write: the name uname(2) gives
 *   sys/kernel/ostype, sys/kernel/osrelease
 */
#include "procfs_impl.h"

#define PFS_RELEASE "6.1.0-rumpk"

/* ------------------------------------------------------------ mounts */

struct findname {
	uint64_t fn_ino;
	char *fn_name; /* NAME_MAX + 1 bytes */
	size_t fn_len;
	bool fn_found;
};

static int
findname_fill(void *arg, uint64_t ino, off_t next __unused,
    unsigned char type __unused, const char *name, size_t namelen)
{
	struct findname *fn = arg;

	if (ino != fn->fn_ino || namelen > NAME_MAX ||
	    (namelen == 1 && name[0] == '.') ||
	    (namelen == 2 && name[0] == '.' && name[1] == '.'))
		return 0;
	memcpy(fn->fn_name, name, namelen);
	fn->fn_len = namelen;
	fn->fn_found = true;
	return 1;
}

/*
 * The path of directory vp from the real root, in buf (size bytes):
 * its name is looked for in its parent, up to the root, stepping out of
 * mounts onto what they cover.
 */
static int
pfs_vnode_path(struct vnode *vp, char *buf, size_t size, char *name)
{
	struct componentname dotdot = {"..", 2, NULL};
	struct vnode *up;
	size_t pos = size;
	int error = 0;

	buf[--pos] = '\0';
	vref(vp);
	for (;;) {
		struct findname fn = {0, name, 0, false};
		struct vattr va;
		off_t cookie = 0;

		while (vp == vp->v_mount->mnt_root &&
		    vp->v_mount->mnt_vnodecovered != NULL) {
			up = vp->v_mount->mnt_vnodecovered;
			vref(up);
			vrele(vp);
			vp = up;
		}
		if (vp == rootvnode)
			break;
		if ((error = vn_getattr(vp, &va)) != 0)
			break;
		fn.fn_ino = va.va_fileid;
		vn_lock(vp, RW_READER);
		error = vp->v_data ? vp->v_op->vop_lookup(vp, &dotdot, &up)
		                   : ENOENT;
		vn_unlock(vp);
		if (error)
			break;
		if (up == vp) {
			vrele(up);
			error = ENOENT; /* a root that is not the root */
			break;
		}
		vn_lock(up, RW_READER);
		error = up->v_data
		    ? up->v_op->vop_readdir(up, &cookie, findname_fill, &fn)
		    : ENOENT;
		vn_unlock(up);
		vrele(vp);
		vp = up;
		if (error == 0 && !fn.fn_found)
			error = ENOENT;
		if (error)
			break;
		if (pos < fn.fn_len + 2) {
			error = ENAMETOOLONG;
			break;
		}
		pos -= fn.fn_len;
		memcpy(buf + pos, name, fn.fn_len);
		buf[--pos] = '/';
	}
	vrele(vp);
	if (error)
		return error;
	if (buf[pos] == '\0')
		buf[--pos] = '/';
	memmove(buf, buf + pos, size - pos);
	return 0;
}

/* Writes s as /proc/mounts does: space, tab, newline, backslash octal. */
static void
pfs_escape(struct pfs_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
			pfs_printf(b, "\\%03o", (unsigned char)*s);
		else
			pfs_write(b, s, 1);
	}
}

/* One line of the table, kept until every mount has been seen. */
struct mountline {
	struct mountline *ml_next;
	struct pfs_buf ml_buf;
};

struct mounts_ctx {
	struct mountline *mc_lines; /* oldest first */
	char *mc_path, *mc_name;
	int mc_error;
};

static const struct {
	unsigned long flag;
	const char *name;
} pfs_mntflags[] = {
    {MS_NOSUID, "nosuid"},
    {MS_NODEV, "nodev"},
    {MS_NOEXEC, "noexec"},
    {MS_SYNCHRONOUS, "sync"},
    {MS_DIRSYNC, "dirsync"},
    {MS_MANDLOCK, "mand"},
    {MS_NOATIME, "noatime"},
    {MS_NODIRATIME, "nodiratime"},
    {MS_RELATIME, "relatime"},
    {MS_STRICTATIME, "strictatime"},
    {MS_LAZYTIME, "lazytime"},
};

static void
mounts_one(struct mount *mp, void *arg)
{
	struct mounts_ctx *mc = arg;
	struct mountline *ml;
	unsigned long flags = atomic_load_relaxed(&mp->mnt_flags);
	int error;

	if (mc->mc_error)
		return;
	if (mp->mnt_vnodecovered == NULL) {
		strlcpy(mc->mc_path, "/", PATH_MAX);
	} else {
		error = pfs_vnode_path(
		    mp->mnt_vnodecovered, mc->mc_path, PATH_MAX, mc->mc_name);
		if (error == ENOENT)
			return; /* no longer reachable from the root */
		if (error) {
			mc->mc_error = error;
			return;
		}
	}
	if ((ml = kmem_zalloc(sizeof(*ml), KM_SLEEP)) == NULL) {
		mc->mc_error = ENOMEM;
		return;
	}
	/* The root's source is its type, as a container's root shows. */
	pfs_escape(
	    &ml->ml_buf, mp == rootmount ? mp->mnt_fstype : mp->mnt_source);
	pfs_write(&ml->ml_buf, " ", 1);
	pfs_escape(&ml->ml_buf, mc->mc_path);
	pfs_write(&ml->ml_buf, " ", 1);
	pfs_escape(&ml->ml_buf, mp->mnt_fstype);
	pfs_printf(&ml->ml_buf, " %s", flags & MS_RDONLY ? "ro" : "rw");
	for (size_t i = 0; i < nitems(pfs_mntflags); i++)
		if (flags & pfs_mntflags[i].flag)
			pfs_printf(&ml->ml_buf, ",%s", pfs_mntflags[i].name);
	pfs_printf(&ml->ml_buf, " 0 0\n");
	/* The walk goes newest first: prepending leaves the oldest first. */
	ml->ml_next = mc->mc_lines;
	mc->mc_lines = ml;
}

static int
pfs_mounts_read(void *arg __unused, struct pfs_buf *b)
{
	struct mounts_ctx mc = {NULL, NULL, NULL, 0};
	struct mountline *ml;

	mc.mc_path = kmem_alloc(PATH_MAX, KM_SLEEP);
	mc.mc_name = kmem_alloc(NAME_MAX + 1, KM_SLEEP);
	if (mc.mc_path == NULL || mc.mc_name == NULL)
		mc.mc_error = ENOMEM;
	else
		vfs_mount_foreach(mounts_one, &mc);
	while ((ml = mc.mc_lines) != NULL) {
		mc.mc_lines = ml->ml_next;
		if (ml->ml_buf.pb_error && mc.mc_error == 0)
			mc.mc_error = ml->ml_buf.pb_error;
		pfs_write(b, ml->ml_buf.pb_data, ml->ml_buf.pb_len);
		pfs_buf_free(&ml->ml_buf);
		kmem_free(ml, sizeof(*ml));
	}
	if (mc.mc_path != NULL)
		kmem_free(mc.mc_path, PATH_MAX);
	if (mc.mc_name != NULL)
		kmem_free(mc.mc_name, NAME_MAX + 1);
	return mc.mc_error;
}

/* ---------------------------------------------------- kernel base */

static int
pfs_hostname_read(void *arg __unused, struct pfs_buf *b)
{
	char name[UTS_LEN];

	mutex_enter(&hostname_lock);
	strlcpy(name, hostname, sizeof(name));
	mutex_exit(&hostname_lock);
	pfs_printf(b, "%s\n", name);
	return 0;
}

/*
 * As Linux's proc_dostring: the value ends at the first newline, and what
 * does not fit is cut off.
 */
static int
pfs_hostname_write(void *arg __unused, const char *data, size_t len)
{
	char name[UTS_LEN];
	size_t n;

	for (n = 0; n < len && data[n] != '\n' && data[n] != '\0'; n++)
		;
	n = MIN(n, sizeof(name) - 1);
	memcpy(name, data, n);
	name[n] = '\0';
	mutex_enter(&hostname_lock);
	memcpy(hostname, name, n + 1);
	mutex_exit(&hostname_lock);
	return 0;
}

static int
pfs_string_read(void *arg, struct pfs_buf *b)
{
	pfs_printf(b, "%s\n", (const char *)arg);
	return 0;
}

static int
pfs_uptime_read(void *arg __unused, struct pfs_buf *b)
{
	uint64_t ns = getnanouptime();

	pfs_printf(b, "%llu.%02llu 0.00\n",
	    (unsigned long long)(ns / 1000000000u),
	    (unsigned long long)(ns % 1000000000u / 10000000u));
	return 0;
}

static int
pfs_meminfo_read(void *arg __unused, struct pfs_buf *b)
{
	size_t lim = kmem_limit(), used = kmem_used();
	size_t avail = lim > used ? lim - used : 0;

	pfs_printf(b, "MemTotal:       %8zu kB\n", lim / 1024);
	pfs_printf(b, "MemFree:        %8zu kB\n", avail / 1024);
	pfs_printf(b, "MemAvailable:   %8zu kB\n", avail / 1024);
	pfs_printf(b, "KmemUsed:       %8zu kB\n", used / 1024);
	return 0;
}

static int
pfs_version_read(void *arg __unused, struct pfs_buf *b)
{
	pfs_printf(b, "Linux version %s (rumpk) rumpk %d\n", PFS_RELEASE,
	    RUMPK_VERSION);
	return 0;
}

void
procfs_kern_init(void)
{
	static const struct {
		const char *path;
		pfs_read_fn rd;
		pfs_write_fn wr;
		void *arg;
	} files[] = {
	    {"mounts", pfs_mounts_read, NULL, NULL},
	    {"uptime", pfs_uptime_read, NULL, NULL},
	    {"meminfo", pfs_meminfo_read, NULL, NULL},
	    {"version", pfs_version_read, NULL, NULL},
	    {"sys/kernel/hostname", pfs_hostname_read, pfs_hostname_write,
	        NULL},
	    {"sys/kernel/ostype", pfs_string_read, NULL, (void *)"Linux"},
	    {"sys/kernel/osrelease", pfs_string_read, NULL,
	        (void *)PFS_RELEASE},
	};
	int error;

	for (size_t i = 0; i < nitems(files); i++) {
		error = procfs_register(
		    files[i].path, files[i].rd, files[i].wr, files[i].arg);
		if (error)
			printf("procfs: cannot register %s: error %d\n",
			    files[i].path, error);
	}
}
