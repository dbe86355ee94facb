/*
 * kern_prot.c — credentials and the system calls on them: the get/set
 * families of user and group ids and the supplementary groups, with
 * Linux's rules (root may set anything; others may only move among the
 * ids they already have).
 *
 * Credentials are shared and immutable: a change copies them, edits the
 * copy and swaps the process's pointer under p_lock.
 */
#include "syscall.h"

kauth_cred_t
kauth_cred_alloc_root(void)
{
	kauth_cred_t c = kmem_zalloc(sizeof(*c), KM_SLEEP);

	if (c == NULL)
		panic("kauth_cred_alloc_root: no memory");
	c->cr_refcnt = 1;
	return c;
}

kauth_cred_t
kauth_cred_dup(kauth_cred_t c)
{
	kauth_cred_t n = kmem_alloc(sizeof(*n), KM_SLEEP);

	if (n != NULL) {
		*n = *c;
		n->cr_refcnt = 1;
	}
	return n;
}

void
kauth_cred_hold(kauth_cred_t c)
{
	atomic_inc(&c->cr_refcnt);
}

void
kauth_cred_free(kauth_cred_t c)
{
	if (atomic_dec(&c->cr_refcnt) == 0)
		kmem_free(c, sizeof(*c));
}

bool
kauth_cred_groupmember(kauth_cred_t c, gid_t gid)
{
	if (c->cr_egid == gid)
		return true;
	for (int i = 0; i < c->cr_ngroups; i++)
		if (c->cr_groups[i] == gid)
			return true;
	return false;
}

kauth_cred_t
kauth_cred_get(void)
{
	struct proc *p = curproc;
	kauth_cred_t c;

	mutex_enter(&p->p_lock);
	c = p->p_cred;
	kauth_cred_hold(c);
	mutex_exit(&p->p_lock);
	return c;
}

/*
 * Applies change to a copy of the caller's credentials and installs it
 * if change returns 0.
 */
static int
cred_modify(int (*change)(kauth_cred_t, const unsigned *), const unsigned *a)
{
	struct proc *p = curproc;
	kauth_cred_t old, n;
	int error;

	mutex_enter(&p->p_lock);
	old = p->p_cred;
	if ((n = kauth_cred_dup(old)) == NULL) {
		mutex_exit(&p->p_lock);
		return ENOMEM;
	}
	if ((error = change(n, a)) == 0)
		p->p_cred = n;
	mutex_exit(&p->p_lock);
	kauth_cred_free(error ? n : old);
	return error;
}

/* Whether v is one of the three ids of a (r, e, s) triple. */
static bool
id_among(unsigned v, unsigned r, unsigned e, unsigned s)
{
	return v == r || v == e || v == s;
}

/* setresuid semantics; ID_UNCHANGED leaves an id as it is. */
static int
change_resuid(kauth_cred_t c, const unsigned *a)
{
	bool priv = c->cr_euid == 0;

	for (int i = 0; i < 3; i++)
		if (a[i] != ID_UNCHANGED && !priv &&
		    !id_among(a[i], c->cr_uid, c->cr_euid, c->cr_suid))
			return EPERM;
	if (a[0] != ID_UNCHANGED)
		c->cr_uid = a[0];
	if (a[1] != ID_UNCHANGED)
		c->cr_euid = a[1];
	if (a[2] != ID_UNCHANGED)
		c->cr_suid = a[2];
	return 0;
}

static int
change_resgid(kauth_cred_t c, const unsigned *a)
{
	bool priv = c->cr_euid == 0;

	for (int i = 0; i < 3; i++)
		if (a[i] != ID_UNCHANGED && !priv &&
		    !id_among(a[i], c->cr_gid, c->cr_egid, c->cr_sgid))
			return EPERM;
	if (a[0] != ID_UNCHANGED)
		c->cr_gid = a[0];
	if (a[1] != ID_UNCHANGED)
		c->cr_egid = a[1];
	if (a[2] != ID_UNCHANGED)
		c->cr_sgid = a[2];
	return 0;
}

/* setuid: root sets all three; others may set the effective id only. */
static int
change_uid(kauth_cred_t c, const unsigned *a)
{
	if (c->cr_euid == 0) {
		c->cr_uid = c->cr_euid = c->cr_suid = a[0];
		return 0;
	}
	if (a[0] != c->cr_uid && a[0] != c->cr_suid)
		return EPERM;
	c->cr_euid = a[0];
	return 0;
}

static int
change_gid(kauth_cred_t c, const unsigned *a)
{
	if (c->cr_euid == 0) {
		c->cr_gid = c->cr_egid = c->cr_sgid = a[0];
		return 0;
	}
	if (a[0] != c->cr_gid && a[0] != c->cr_sgid)
		return EPERM;
	c->cr_egid = a[0];
	return 0;
}

/*
 * setreuid: the real id may become the real or effective one, the
 * effective id any of the three; the saved id follows the new effective
 * id when the real id is set or the effective one leaves the real one.
 */
static int
change_reuid(kauth_cred_t c, const unsigned *a)
{
	unsigned r = a[0], e = a[1], oldr = c->cr_uid;
	bool priv = c->cr_euid == 0;

	if (r != ID_UNCHANGED && !priv && r != c->cr_uid && r != c->cr_euid)
		return EPERM;
	if (e != ID_UNCHANGED && !priv &&
	    !id_among(e, c->cr_uid, c->cr_euid, c->cr_suid))
		return EPERM;
	if (r != ID_UNCHANGED)
		c->cr_uid = r;
	if (e != ID_UNCHANGED)
		c->cr_euid = e;
	if (r != ID_UNCHANGED || (e != ID_UNCHANGED && e != oldr))
		c->cr_suid = c->cr_euid;
	return 0;
}

static int
change_regid(kauth_cred_t c, const unsigned *a)
{
	unsigned r = a[0], e = a[1], oldr = c->cr_gid;
	bool priv = c->cr_euid == 0;

	if (r != ID_UNCHANGED && !priv && r != c->cr_gid && r != c->cr_egid)
		return EPERM;
	if (e != ID_UNCHANGED && !priv &&
	    !id_among(e, c->cr_gid, c->cr_egid, c->cr_sgid))
		return EPERM;
	if (r != ID_UNCHANGED)
		c->cr_gid = r;
	if (e != ID_UNCHANGED)
		c->cr_egid = e;
	if (r != ID_UNCHANGED || (e != ID_UNCHANGED && e != oldr))
		c->cr_sgid = c->cr_egid;
	return 0;
}

/* Reads one field of the caller's credentials. */
#define CRED_GETTER(name, field)                                               \
	int sys_##name(struct lwp *l __unused, const void *v __unused,         \
	    register_t *retval)                                                \
	{                                                                      \
		kauth_cred_t c = kauth_cred_get();                             \
		*retval = c->field;                                            \
		kauth_cred_free(c);                                            \
		return 0;                                                      \
	}
CRED_GETTER(getuid, cr_uid)
CRED_GETTER(geteuid, cr_euid)
CRED_GETTER(getgid, cr_gid)
CRED_GETTER(getegid, cr_egid)

int
sys_setuid(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(setuid);
	unsigned a[1] = {SCARG(uap, uid)};

	return cred_modify(change_uid, a);
}

int
sys_setgid(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(setgid);
	unsigned a[1] = {SCARG(uap, gid)};

	return cred_modify(change_gid, a);
}

int
sys_setreuid(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(setreuid);
	unsigned a[2] = {SCARG(uap, ruid), SCARG(uap, euid)};

	return cred_modify(change_reuid, a);
}

int
sys_setregid(struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(setregid);
	unsigned a[2] = {SCARG(uap, rgid), SCARG(uap, egid)};

	return cred_modify(change_regid, a);
}

int
sys_setresuid(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(setresuid);
	unsigned a[3] = {SCARG(uap, ruid), SCARG(uap, euid), SCARG(uap, suid)};

	return cred_modify(change_resuid, a);
}

int
sys_setresgid(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(setresgid);
	unsigned a[3] = {SCARG(uap, rgid), SCARG(uap, egid), SCARG(uap, sgid)};

	return cred_modify(change_resgid, a);
}

static int
copyout_ids(unsigned r, unsigned e, unsigned s, unsigned *ur, unsigned *ue,
    unsigned *us)
{
	int error = copyout(&r, ur, sizeof(r));

	if (error == 0)
		error = copyout(&e, ue, sizeof(e));
	if (error == 0)
		error = copyout(&s, us, sizeof(s));
	return error;
}

int
sys_getresuid(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(getresuid);
	kauth_cred_t c = kauth_cred_get();
	int error = copyout_ids(c->cr_uid, c->cr_euid, c->cr_suid,
	    SCARG(uap, ruid), SCARG(uap, euid), SCARG(uap, suid));

	kauth_cred_free(c);
	return error;
}

int
sys_getresgid(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(getresgid);
	kauth_cred_t c = kauth_cred_get();
	int error = copyout_ids(c->cr_gid, c->cr_egid, c->cr_sgid,
	    SCARG(uap, rgid), SCARG(uap, egid), SCARG(uap, sgid));

	kauth_cred_free(c);
	return error;
}

int
sys_getgroups(struct lwp *l __unused, const void *v, register_t *retval)
{
	SYSCALL_ARGS(getgroups);
	kauth_cred_t c = kauth_cred_get();
	int size = SCARG(uap, size), error = 0;

	if (size < 0)
		error = EINVAL;
	else if (size == 0)
		*retval = c->cr_ngroups;
	else if (size < c->cr_ngroups)
		error = EINVAL;
	else {
		error = copyout(c->cr_groups, SCARG(uap, list),
		    sizeof(gid_t) * (size_t)c->cr_ngroups);
		*retval = c->cr_ngroups;
	}
	kauth_cred_free(c);
	return error;
}

static int
change_groups(kauth_cred_t c, const unsigned *a)
{
	size_t n = a[0];

	if (c->cr_euid != 0)
		return EPERM;
	memcpy(c->cr_groups, &a[1], sizeof(gid_t) * n);
	c->cr_ngroups = (int)n;
	return 0;
}

/*
 * setgroups: root only.  The kernel keeps at most NGROUPS_KERN groups; a
 * longer list is EINVAL (Linux allows 65536).
 */
int
sys_setgroups(
    struct lwp *l __unused, const void *v, register_t *retval __unused)
{
	SYSCALL_ARGS(setgroups);
	unsigned a[1 + NGROUPS_KERN];
	size_t n = SCARG(uap, size);
	int error;

	if (n > NGROUPS_KERN)
		return EINVAL;
	a[0] = (unsigned)n;
	if (n > 0 &&
	    (error = copyin(SCARG(uap, list), &a[1], sizeof(gid_t) * n)) != 0)
		return error;
	return cred_modify(change_groups, a);
}
