/*
 * kern_kmem.c — the kernel memory allocator.
 *
 * Requests up to KMEM_MAXSIZE bytes are rounded up to one of a few size
 * classes.  Each virtual CPU keeps a small stack of free objects per class
 * (its magazine), used without any lock since only the CPU's holder
 * touches it.  A magazine that runs empty refills from the class's depot,
 * a list under a spin mutex, and the depot from the host; a full one
 * spills half into the depot.  Larger requests go straight to the host.
 *
 * The bytes taken from the host are counted.  With RUMP_MEMLIMIT set, an
 * allocation that would pass the limit first runs the reclaim hooks (the
 * depots give their objects back, caches of other subsystems shrink), and
 * if that is not enough it fails: the caller gets NULL and returns ENOMEM.
 * The host never sees more than the limit asked of it by the kernel.
 */
#include "proc.h"

static const uint16_t kmem_sizes[] = {16, 32, 48, 64, 96, 128, 192, 256, 384,
    512, 768, 1024, 1536, 2048, 3072, 4096};
#define KMEM_NCLASS  ((int)nitems(kmem_sizes))
#define KMEM_MAXSIZE 4096
#define KMEM_MAGSIZE 32

/* size → class, for sizes in steps of 16 */
static uint8_t kmem_class_of[KMEM_MAXSIZE / 16 + 1];

struct kmem_mag {
	int km_n;
	void *km_obj[KMEM_MAGSIZE];
};

struct kmem_cpu {
	struct kmem_mag kc_mag[16];
};
CTASSERT(nitems(kmem_sizes) == 16);

/* A free object in a depot links to the next through its first word. */
struct kmem_depot {
	struct rumpuser_mtx *kd_mtx;
	void *kd_head;
	size_t kd_count;
} __cacheline_aligned;
static struct kmem_depot kmem_depots[16];

static size_t kmem_host_bytes; /* [a] */
static size_t kmem_max;        /* 0: unlimited */
static struct kmem_reclaimer *kmem_reclaimers;
static struct rumpuser_mtx *kmem_reclaim_mtx;

size_t
kmem_used(void)
{
	return atomic_load_relaxed(&kmem_host_bytes);
}

size_t
kmem_limit(void)
{
	return kmem_max;
}

void
kmem_reclaimer_register(struct kmem_reclaimer *kr)
{
	rumpuser_mutex_enter_nowrap(kmem_reclaim_mtx);
	kr->kr_next = kmem_reclaimers;
	kmem_reclaimers = kr;
	rumpuser_mutex_exit(kmem_reclaim_mtx);
}

/* Returns every object of every depot to the host. */
static size_t
kmem_depot_drain(void *arg __unused)
{
	size_t freed = 0;

	for (int c = 0; c < KMEM_NCLASS; c++) {
		struct kmem_depot *kd = &kmem_depots[c];
		void *p, *next;

		rumpuser_mutex_enter_nowrap(kd->kd_mtx);
		p = kd->kd_head;
		kd->kd_head = NULL;
		kd->kd_count = 0;
		rumpuser_mutex_exit(kd->kd_mtx);
		for (; p != NULL; p = next) {
			next = *(void **)p;
			rumpuser_free(p, kmem_sizes[c]);
			__atomic_sub_fetch(
			    &kmem_host_bytes, kmem_sizes[c], __ATOMIC_RELAXED);
			freed += kmem_sizes[c];
		}
	}
	return freed;
}
static struct kmem_reclaimer kmem_depot_reclaimer = {
    kmem_depot_drain, NULL, NULL};

/* Runs the reclaim hooks until `want` bytes were freed or none is left. */
static void
kmem_reclaim(size_t want)
{
	size_t freed = 0;

	rumpuser_mutex_enter_nowrap(kmem_reclaim_mtx);
	struct kmem_reclaimer *kr = kmem_reclaimers;
	rumpuser_mutex_exit(kmem_reclaim_mtx);
	for (; kr != NULL && freed < want; kr = kr->kr_next)
		freed += kr->kr_fn(kr->kr_arg);
}

static void *kmem_host_alloc_align(size_t len, int align, int flags);

/* Takes len bytes from the host within the limit; NULL when short. */
static void *
kmem_host_alloc(size_t len, int flags)
{
	return kmem_host_alloc_align(len, 16, flags);
}

static void *
kmem_host_alloc_align(size_t len, int align, int flags)
{
	void *p;

	if (kmem_max != 0) {
		size_t now =
		    __atomic_add_fetch(&kmem_host_bytes, len, __ATOMIC_RELAXED);

		if (now > kmem_max && (flags & KM_SLEEP)) {
			kmem_reclaim(now - kmem_max);
			now = atomic_load_relaxed(&kmem_host_bytes);
		}
		if (now > kmem_max) {
			__atomic_sub_fetch(
			    &kmem_host_bytes, len, __ATOMIC_RELAXED);
			return NULL;
		}
	} else {
		__atomic_add_fetch(&kmem_host_bytes, len, __ATOMIC_RELAXED);
	}
	if (rumpuser_malloc(len, align, &p) != 0) {
		__atomic_sub_fetch(&kmem_host_bytes, len, __ATOMIC_RELAXED);
		if (flags & KM_SLEEP) {
			kmem_reclaim(len);
			if (rumpuser_malloc(len, align, &p) == 0) {
				__atomic_add_fetch(
				    &kmem_host_bytes, len, __ATOMIC_RELAXED);
				return p;
			}
		}
		return NULL;
	}
	return p;
}

static void
kmem_host_free(void *p, size_t len)
{
	rumpuser_free(p, len);
	__atomic_sub_fetch(&kmem_host_bytes, len, __ATOMIC_RELAXED);
}

static struct kmem_cpu *
kmem_cpu_get(void)
{
	struct lwp *l = curlwp;

	KASSERTMSG(l != NULL && l->l_cpu != NULL,
	    "kmem: called without a virtual CPU");
	return l->l_cpu->ci_kmem;
}

void *
kmem_alloc(size_t size, int flags)
{
	struct kmem_mag *mag;
	struct kmem_depot *kd;
	int c;

	KASSERT(size > 0);
	if (size > KMEM_MAXSIZE)
		return kmem_host_alloc(size, flags);
	c = kmem_class_of[(size + 15) >> 4];
	mag = &kmem_cpu_get()->kc_mag[c];
	if (__predict_true(mag->km_n > 0))
		return mag->km_obj[--mag->km_n];

	/* Refill half a magazine from the depot. */
	kd = &kmem_depots[c];
	rumpuser_mutex_enter_nowrap(kd->kd_mtx);
	while (kd->kd_head != NULL && mag->km_n < KMEM_MAGSIZE / 2) {
		void *p = kd->kd_head;

		kd->kd_head = *(void **)p;
		kd->kd_count--;
		mag->km_obj[mag->km_n++] = p;
	}
	rumpuser_mutex_exit(kd->kd_mtx);
	if (mag->km_n > 0)
		return mag->km_obj[--mag->km_n];
	/*
	 * Objects of a cache line or more get lines of their own: objects
	 * of different CPUs must not share one (two threads working apart
	 * would otherwise write the same line).
	 */
	return kmem_host_alloc_align(kmem_sizes[c],
	    kmem_sizes[c] >= COHERENCY_UNIT ? COHERENCY_UNIT : 16, flags);
}

void *
kmem_zalloc(size_t size, int flags)
{
	void *p = kmem_alloc(size, flags);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void
kmem_free(void *p, size_t size)
{
	struct kmem_mag *mag;
	struct kmem_depot *kd;
	int c;

	KASSERT(p != NULL && size > 0);
	if (size > KMEM_MAXSIZE) {
		kmem_host_free(p, size);
		return;
	}
	c = kmem_class_of[(size + 15) >> 4];
	mag = &kmem_cpu_get()->kc_mag[c];
	if (__predict_true(mag->km_n < KMEM_MAGSIZE)) {
		mag->km_obj[mag->km_n++] = p;
		return;
	}
	/* Full: spill half of the magazine into the depot, then keep p. */
	kd = &kmem_depots[c];
	rumpuser_mutex_enter_nowrap(kd->kd_mtx);
	while (mag->km_n > KMEM_MAGSIZE / 2) {
		void *o = mag->km_obj[--mag->km_n];

		*(void **)o = kd->kd_head;
		kd->kd_head = o;
		kd->kd_count++;
	}
	rumpuser_mutex_exit(kd->kd_mtx);
	mag->km_obj[mag->km_n++] = p;
}

/*
 * One element of size bytes per CPU, each on cache lines of its own, zeroed;
 * element i is at (char *)p + i * kmem_percpu_stride(size).
 */
size_t
kmem_percpu_stride(size_t size)
{
	return roundup(size, COHERENCY_UNIT);
}

void *
kmem_percpu_zalloc(size_t size, int flags)
{
	size_t len = kmem_percpu_stride(size) * (size_t)ncpu;
	void *p = kmem_host_alloc_align(len, COHERENCY_UNIT, flags);

	if (p != NULL)
		memset(p, 0, len);
	return p;
}

void
kmem_percpu_free(void *p, size_t size)
{
	kmem_host_free(p, kmem_percpu_stride(size) * (size_t)ncpu);
}

char *
kmem_strdup(const char *s, int flags)
{
	size_t n = strlen(s) + 1;
	char *d = kmem_alloc(n, flags);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

void
kmem_strfree(char *s)
{
	kmem_free(s, strlen(s) + 1);
}

/*
 * Sets up the classes and per-CPU caches.  Runs at boot before anything
 * allocates; RUMP_MEMLIMIT (bytes, or with a k/m/g suffix) sets the limit.
 */
void kmem_init(void);
void
kmem_init(void)
{
	char buf[32];
	int c = 0;

	for (int i = 0; i <= KMEM_MAXSIZE / 16; i++) {
		while (kmem_sizes[c] < i * 16)
			c++;
		kmem_class_of[i] = (uint8_t)c;
	}
	for (int i = 0; i < KMEM_NCLASS; i++)
		rumpuser_mutex_init(&kmem_depots[i].kd_mtx, RUMPUSER_MTX_SPIN);
	rumpuser_mutex_init(&kmem_reclaim_mtx, RUMPUSER_MTX_SPIN);
	kmem_reclaimer_register(&kmem_depot_reclaimer);

	if (kern_getparam("RUMP_MEMLIMIT", buf, sizeof(buf)) == 0) {
		int64_t lim = parse_size(buf);

		if (lim <= 0)
			printf(
			    "kmem: ignoring malformed RUMP_MEMLIMIT \"%s\"\n",
			    buf);
		else
			kmem_max = (size_t)lim;
		if (lim > 0 && lim < 1024 * 1024)
			printf(
			    "kmem: warning: RUMP_MEMLIMIT %s is below 1 MiB\n",
			    buf);
	}
	for (int i = 0; i < ncpu; i++) {
		void *p;

		if (rumpuser_malloc(
		        sizeof(struct kmem_cpu), COHERENCY_UNIT, &p) != 0)
			panic("kmem_init: no memory for CPU caches");
		memset(p, 0, sizeof(struct kmem_cpu));
		cpu_infos[i].ci_kmem = p;
	}
}
