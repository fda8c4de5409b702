/*
 * swap.c - profile-app --lock=ALGO: the program's eligible pthread and C11
 * mutexes run on one of spinbench's locks (swap.h; profiler/README.md,
 * "Swapping the lock").
 *
 * Which lock.  The algorithms are the registry's own verbs (harness/stamp.c
 * compiled without the benchmark loops, one object per lock), called
 * through the registry's function pointers: one indirect call per lock and
 * unlock, the same for every algorithm.  The control, `pthread`, swaps
 * nothing and pays the same interposer (sbprof.c), so a comparison credits
 * no lock with the interposition's cost.
 *
 * Where our lock lives.  In a pool of our own, one object per mutex; the
 * mutex points at it from its `__list` field, which glibc uses only for
 * robust mutexes (never swapped) and zeroes at init, as a static
 * initializer does.  A pointer of NULL: not seen yet; SBP_SW_PASS: glibc's.
 * Eligible are private NORMAL, ADAPTIVE, ERRORCHECK and RECURSIVE mutexes
 * (the kind word's low bits); process-shared, robust, priority-inheritance
 * and priority-protect ones are passed to glibc and counted by kind.  A
 * mutex that glibc holds when first seen (taken before the library was
 * ready) stays glibc's too ("early").
 *
 * Owner, recursion, error checks.  Our object keeps the owner's thread id
 * and a recursion count beside the lock: RECURSIVE counts, ERRORCHECK
 * answers EDEADLK and EPERM as glibc does, NORMAL and ADAPTIVE deadlock on
 * recursion as glibc's do (the profiler reports it first).  Every kind
 * answers EPERM to an unlock by a thread that does not hold it and leaves
 * the lock held: a queued lock cannot be released without its holder's
 * queue node.
 *
 * Queue nodes.  A thread gets a block of SBP_SW_NODES node slots on its
 * first swapped lock; each held swapped lock has its own slot (taken at the
 * lock, given back at the unlock, in any order), so nested and
 * out-of-order releases work.  A block and its thread index (the `tid` the
 * locks' node_init takes, below SB_QSPIN_MAX_THREADS) are reused by a later
 * thread once their thread has ended holding nothing.
 *
 * Timed locks.  A spin lock has no timeout: timedlock and clocklock try,
 * and retry until the deadline without joining the queue.
 *
 * Condition variables.  glibc's wait would release and retake the mutex
 * inside glibc, which knows nothing of our lock, so a condvar waited on
 * with a swapped mutex uses ours: a 32-bit sequence word and a waiter count
 * per condvar (a table keyed by its address), a futex wait on the sequence,
 * a futex wake after incrementing it.  Signal and broadcast wake our
 * waiters and call glibc's too (for waits on glibc mutexes).
 */
#include "swap.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lockapi.h"
#include "qspin.h"

#define SBP_SW_NODES 64 /* swapped locks one thread can hold (or wait for) at once */
#define SBP_SW_THREADS SB_QSPIN_MAX_THREADS
#define SBP_SW_PASS ((sbp_swlock_t *)1)
#define SBP_SW_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* glibc's mutex kind word: the type in the low two bits, then flags. */
#define SBP_KIND_TYPE 3
#define SBP_KIND_ROBUST 16
#define SBP_KIND_PI 32
#define SBP_KIND_PP 64
#define SBP_KIND_PSHARED 128

#define SBP_SW_LOCKS(X) X(ttas) X(ticket) X(mcs) X(qspin) X(cna) X(hmcs)
#define SBP_SW_DECL_(id) extern const sb_lock_impl_t sb_impl_##id;
SBP_SW_LOCKS(SBP_SW_DECL_)
#undef SBP_SW_DECL_

static const struct {
	const char *name;
	const sb_lock_impl_t *impl;
} sbp_sw_table[] = {
#define SBP_SW_ROW_(id) {#id, &sb_impl_##id},
	SBP_SW_LOCKS(SBP_SW_ROW_)
#undef SBP_SW_ROW_
};

struct sbp_swlock {
	_Atomic int owner; /* tid of the holder, 0: none.  Relaxed: a thread
				      compares it only with its own id, which only it
				      writes; the lock orders one holder's stores
				      before the next holder's */
	unsigned count;    /* RECURSIVE: acquisitions beyond the first (holder only) */
	int type;          /* PTHREAD_MUTEX_NORMAL ... ADAPTIVE_NP */
	int pad;
	const void *obj;         /* the mutex or spin lock it serves */
	struct sbp_swlock *next; /* the pool's free list */
};

int sbp_swap_active;
static const sb_lock_impl_t *sbp_sw_impl;
static size_t sbp_sw_lock_off;    /* where the lock starts in an object */
static size_t sbp_sw_stride;      /* an object's size, a multiple of its alignment */
static size_t sbp_sw_node_stride; /* a node slot's size */

/* Counts by kind (swap.h), relaxed: read at the end.  sbprof.c points
 * them into its mapped file (sbp_swap_count_at), where they survive _exit. */
static atomic_ulong sbp_sw_own[6];
static atomic_ulong *sbp_sw_n = sbp_sw_own;
enum { N_SWAPPED, N_PSHARED, N_ROBUST, N_PI, N_PP, N_EARLY };

static void sbp_sw_die(const char *what)
{
	static const char pre[] = "libsbprof: --lock: ";
	ssize_t r = write(2, pre, sizeof pre - 1);
	r += write(2, what, strlen(what));
	r += write(2, "\n", 1);
	(void)r;
	abort();
}

static void *sbp_sw_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		sbp_sw_die("out of memory for the swapped locks");
	return p;
}

static size_t sbp_round(size_t x, size_t a)
{
	return (x + a - 1) / a * a;
}

const char *sbp_swap_names(void)
{
	return "ttas,ticket,mcs,qspin,cna,hmcs,pthread";
}

int sbp_swap_setup(const char *name)
{
	if (strcmp(name, "pthread") == 0)
		return 0;
	for (size_t i = 0; i < sizeof sbp_sw_table / sizeof sbp_sw_table[0]; i++) {
		if (strcmp(name, sbp_sw_table[i].name) != 0)
			continue;
		const sb_lock_impl_t *im = sbp_sw_table[i].impl;
		size_t al = im->lock_align > SB_CACHELINE ? im->lock_align : SB_CACHELINE;
		size_t nal = im->node_align > SB_CACHELINE ? im->node_align : SB_CACHELINE;
		sbp_sw_impl = im;
		sbp_sw_lock_off = sbp_round(sizeof(sbp_swlock_t), im->lock_align);
		sbp_sw_stride = sbp_round(sbp_sw_lock_off + im->lock_size, al);
		sbp_sw_node_stride = sbp_round(im->node_size ? im->node_size : 1, nal);
		sbp_swap_active = 1;
		return 0;
	}
	return -1;
}

static inline void *sbp_lockp(sbp_swlock_t *s)
{
	return (char *)s + sbp_sw_lock_off;
}

/* ---- the pool of lock objects (not on any acquisition path) ----------- */

static atomic_flag sbp_pool_busy = ATOMIC_FLAG_INIT;
static char *sbp_pool_at, *sbp_pool_end;
static sbp_swlock_t *sbp_pool_free;
#define SBP_POOL_CHUNKS 4096
static char *sbp_chunk[SBP_POOL_CHUNKS];
static size_t sbp_chunk_len;
static _Atomic unsigned sbp_nchunks;

static sbp_swlock_t *sbp_pool_get(void)
{
	/* acquire: pairs with the release clear below, which ends the previous
	 * holder's changes to the free list and the bump pointer */
	while (atomic_flag_test_and_set_explicit(&sbp_pool_busy, memory_order_acquire))
		sched_yield();
	sbp_swlock_t *s = sbp_pool_free;
	if (s) {
		sbp_pool_free = s->next;
	} else {
		if (!sbp_pool_at || (size_t)(sbp_pool_end - sbp_pool_at) < sbp_sw_stride) {
			unsigned n = atomic_load_explicit(&sbp_nchunks, memory_order_relaxed);
			if (n == SBP_POOL_CHUNKS)
				sbp_sw_die("more swapped locks than the pool holds");
			sbp_chunk_len = sbp_round(64 * sbp_sw_stride, 1u << 20);
			sbp_pool_at = sbp_sw_map(sbp_chunk_len);
			sbp_pool_end = sbp_pool_at + sbp_chunk_len;
			sbp_chunk[n] = sbp_pool_at;
			/* release: pairs with the acquire in sbp_pool_owns, which then
			 * reads the chunk's address */
			atomic_store_explicit(&sbp_nchunks, n + 1, memory_order_release);
		}
		s = (sbp_swlock_t *)(void *)sbp_pool_at;
		sbp_pool_at += sbp_sw_stride;
	}
	/* release: pairs with the acquire above in the next holder */
	atomic_flag_clear_explicit(&sbp_pool_busy, memory_order_release);
	return s;
}

static void sbp_pool_put(sbp_swlock_t *s)
{
	/* acquire and release: as in sbp_pool_get */
	while (atomic_flag_test_and_set_explicit(&sbp_pool_busy, memory_order_acquire))
		sched_yield();
	s->next = sbp_pool_free;
	sbp_pool_free = s;
	atomic_flag_clear_explicit(&sbp_pool_busy, memory_order_release);
}

/*
 * 1 when `s` is one of the pool's objects and serves `obj`: a mutex that
 * pthread_mutex_init is given may hold anything in its __list field (fresh
 * memory), and only a pointer of ours may go back to the pool.
 */
static int sbp_pool_owns(const sbp_swlock_t *s, const void *obj)
{
	/* acquire: pairs with the release store of a new chunk's count */
	unsigned n = atomic_load_explicit(&sbp_nchunks, memory_order_acquire);
	for (unsigned i = 0; i < n; i++) {
		const char *c = sbp_chunk[i];
		if ((const char *)s >= c && (const char *)s < c + sbp_chunk_len)
			return (size_t)((const char *)s - c) % sbp_sw_stride == 0 && s->obj == obj;
	}
	return 0;
}

/* A new object for `obj`, its lock initialised, free. */
static sbp_swlock_t *sbp_sw_new(const void *obj, int type)
{
	sbp_swlock_t *s = sbp_pool_get();
	atomic_init(&s->owner, 0);
	s->count = 0;
	s->type = type;
	s->obj = obj;
	sbp_sw_impl->init(sbp_lockp(s));
	return s;
}

/* ---- the mutex's pointer to our lock ---------------------------------- */

static _Atomic(sbp_swlock_t *) *sbp_slot_of(pthread_mutex_t *m)
{
	_Static_assert(sizeof m->__data.__list.__prev == sizeof(void *), "the __list field holds a pointer");
	return (_Atomic(sbp_swlock_t *) *)(void *)&m->__data.__list.__prev;
}

static __attribute__((noinline)) sbp_swlock_t *sbp_swap_attach(pthread_mutex_t *m)
{
	_Atomic(sbp_swlock_t *) *slot = sbp_slot_of(m);
	int kind = m->__data.__kind;
	sbp_swlock_t *mine = SBP_SW_PASS, *cur = NULL;
	int why = -1;
	if (kind & SBP_KIND_PSHARED)
		why = N_PSHARED;
	else if (kind & SBP_KIND_ROBUST)
		why = N_ROBUST;
	else if (kind & SBP_KIND_PI)
		why = N_PI;
	else if (kind & SBP_KIND_PP)
		why = N_PP;
	else if (m->__data.__lock != 0)
		why = N_EARLY; /* glibc holds it: taken before we were ready */
	if (why < 0)
		mine = sbp_sw_new(m, kind & SBP_KIND_TYPE);
	/* release: publishes the initialised object (and its lock) to the
	 * acquire load in sbp_swap_get; acquire on failure: the winner's object */
	if (atomic_compare_exchange_strong_explicit(slot, &cur, mine, memory_order_acq_rel, memory_order_acquire)) {
		atomic_fetch_add_explicit(&sbp_sw_n[why < 0 ? N_SWAPPED : why], 1, memory_order_relaxed);
		return mine == SBP_SW_PASS ? NULL : mine;
	}
	if (mine != SBP_SW_PASS)
		sbp_pool_put(mine);
	return cur == SBP_SW_PASS ? NULL : cur;
}

sbp_swlock_t *sbp_swap_get(pthread_mutex_t *m)
{
	/* acquire: pairs with the release CAS in sbp_swap_attach, which
	 * published the object's initialisation */
	sbp_swlock_t *s = atomic_load_explicit(sbp_slot_of(m), memory_order_acquire);
	if (__builtin_expect(s > SBP_SW_PASS, 1))
		return s;
	return s == SBP_SW_PASS ? NULL : sbp_swap_attach(m);
}

void sbp_sw_init(pthread_mutex_t *m)
{
	/* relaxed: an init races with no use of the mutex (POSIX); glibc's init,
	 * called next, zeroes the field */
	sbp_swlock_t *s = atomic_load_explicit(sbp_slot_of(m), memory_order_relaxed);
	if (s > SBP_SW_PASS && sbp_pool_owns(s, m))
		sbp_pool_put(s);
}

int sbp_sw_destroy(pthread_mutex_t *m)
{
	_Atomic(sbp_swlock_t *) *slot = sbp_slot_of(m);
	/* acquire: as in sbp_swap_get */
	sbp_swlock_t *s = atomic_load_explicit(slot, memory_order_acquire);
	if (s <= SBP_SW_PASS || !sbp_pool_owns(s, m))
		return 0;
	if (atomic_load_explicit(&s->owner, memory_order_relaxed) != 0)
		return EBUSY;
	atomic_store_explicit(slot, NULL, memory_order_relaxed);
	sbp_pool_put(s);
	return 0;
}

void sbp_swap_count_at(atomic_ulong *six)
{
	sbp_sw_n = six;
}

void sbp_swap_passed(sbp_swap_counts_t *o)
{
	o->swapped = atomic_load_explicit(&sbp_sw_n[N_SWAPPED], memory_order_relaxed);
	o->pshared = atomic_load_explicit(&sbp_sw_n[N_PSHARED], memory_order_relaxed);
	o->robust = atomic_load_explicit(&sbp_sw_n[N_ROBUST], memory_order_relaxed);
	o->pi = atomic_load_explicit(&sbp_sw_n[N_PI], memory_order_relaxed);
	o->pp = atomic_load_explicit(&sbp_sw_n[N_PP], memory_order_relaxed);
	o->early = atomic_load_explicit(&sbp_sw_n[N_EARLY], memory_order_relaxed);
}

/* ---- per-thread node blocks ------------------------------------------- */

typedef struct sbp_swblock {
	struct sbp_swblock *next; /* the free list of blocks */
	unsigned idx;             /* the thread index node_init gets */
	unsigned inited;          /* node slots initialised for idx, from 0 */
	char *nodes;              /* SBP_SW_NODES slots of sbp_sw_node_stride */
} sbp_swblock_t;

typedef struct sbp_swt {
	sbp_swblock_t *b; /* NULL until the thread's first swapped lock */
	int tid;
	int nheld;
	uint64_t busy; /* node slots in use */
	struct {
		sbp_swlock_t *s;
		int node;
	} held[SBP_SW_NODES];
} sbp_swt_t;

static __thread sbp_swt_t sbp_swt __attribute__((tls_model("initial-exec")));
static atomic_flag sbp_blocks_busy = ATOMIC_FLAG_INIT;
static sbp_swblock_t *sbp_blocks_free;
static unsigned sbp_blocks_made;
static pthread_key_t sbp_sw_key;
static pthread_once_t sbp_sw_key_once = PTHREAD_ONCE_INIT;

/* A thread's end: its block goes back when it holds nothing of ours
 * (a held lock's node may still be linked from a waiter). */
static void sbp_sw_thread_gone(void *p)
{
	sbp_swblock_t *b = p;
	if (!b || sbp_swt.nheld)
		return;
	/* acquire and release: as in sbp_pool_get */
	while (atomic_flag_test_and_set_explicit(&sbp_blocks_busy, memory_order_acquire))
		sched_yield();
	b->next = sbp_blocks_free;
	sbp_blocks_free = b;
	atomic_flag_clear_explicit(&sbp_blocks_busy, memory_order_release);
}

static void sbp_sw_make_key(void)
{
	if (pthread_key_create(&sbp_sw_key, sbp_sw_thread_gone) != 0)
		sbp_sw_die("no thread key left");
}

static __attribute__((noinline)) sbp_swt_t *sbp_swt_setup(void)
{
	sbp_swt_t *t = &sbp_swt;
	pthread_once(&sbp_sw_key_once, sbp_sw_make_key);
	/* acquire and release: as in sbp_pool_get */
	while (atomic_flag_test_and_set_explicit(&sbp_blocks_busy, memory_order_acquire))
		sched_yield();
	sbp_swblock_t *b = sbp_blocks_free;
	if (b) {
		sbp_blocks_free = b->next;
	} else if (sbp_blocks_made < SBP_SW_THREADS) {
		b = sbp_sw_map(sizeof *b);
		b->idx = sbp_blocks_made++;
		b->inited = 0;
		b->nodes = sbp_sw_map(SBP_SW_NODES * sbp_sw_node_stride);
	}
	atomic_flag_clear_explicit(&sbp_blocks_busy, memory_order_release);
	if (!b)
		sbp_sw_die("more threads at once than the swapped locks support (4096)");
	t->tid = (int)syscall(SYS_gettid);
	unsigned cpu = 0, node = 0;
	if (syscall(SYS_getcpu, &cpu, &node, NULL) == 0)
		sb_thread_node = (int)node; /* the NUMA-aware locks' node_init reads it */
	t->b = b;
	pthread_setspecific(sbp_sw_key, b);
	return t;
}

static inline sbp_swt_t *sbp_swt_get(void)
{
	sbp_swt_t *t = &sbp_swt;
	return SBP_SW_UNLIKELY(!t->b) ? sbp_swt_setup() : t;
}

/* A free node slot, initialised for this thread's index. */
static void *sbp_node_take(sbp_swt_t *t, int *slot)
{
	if (SBP_SW_UNLIKELY(t->busy == UINT64_MAX))
		sbp_sw_die("a thread holds or waits for more than 64 swapped locks at once");
	int i = __builtin_ctzll(~t->busy);
	t->busy |= UINT64_C(1) << i;
	*slot = i;
	void *n = t->b->nodes + (size_t)i * sbp_sw_node_stride;
	if ((unsigned)i >= t->b->inited) {
		for (unsigned k = t->b->inited; k <= (unsigned)i; k++)
			sbp_sw_impl->node_init(t->b->nodes + (size_t)k * sbp_sw_node_stride, t->b->idx);
		t->b->inited = (unsigned)i + 1;
	}
	return n;
}

static inline void sbp_node_give(sbp_swt_t *t, int slot)
{
	t->busy &= ~(UINT64_C(1) << slot);
}

static inline void *sbp_node_at(sbp_swt_t *t, int slot)
{
	return t->b->nodes + (size_t)slot * sbp_sw_node_stride;
}

static inline void sbp_held_push(sbp_swt_t *t, sbp_swlock_t *s, int slot)
{
	t->held[t->nheld].s = s;
	t->held[t->nheld].node = slot;
	t->nheld++;
}

/* ---- the mutex verbs ---------------------------------------------------- */

/* Called with the lock taken. */
static inline void sbp_sw_owned(sbp_swt_t *t, sbp_swlock_t *s, int slot)
{
	atomic_store_explicit(&s->owner, t->tid, memory_order_relaxed);
	s->count = 0;
	sbp_held_push(t, s, slot);
}

/* The recursion cases: 1 when `rc` is the answer. */
static inline int sbp_sw_recursive(sbp_swt_t *t, sbp_swlock_t *s, int *rc, int try)
{
	if (atomic_load_explicit(&s->owner, memory_order_relaxed) != t->tid)
		return 0;
	if (s->type == PTHREAD_MUTEX_RECURSIVE) {
		if (s->count == UINT_MAX) {
			*rc = EAGAIN;
			return 1;
		}
		s->count++;
		*rc = 0;
		return 1;
	}
	if (s->type == PTHREAD_MUTEX_ERRORCHECK || try) {
		*rc = try ? EBUSY : EDEADLK;
		return 1;
	}
	return 0; /* NORMAL, ADAPTIVE: deadlock, as glibc's do */
}

int sbp_sw_lock(sbp_swlock_t *s)
{
	sbp_swt_t *t = sbp_swt_get();
	int rc, slot;
	if (SBP_SW_UNLIKELY(sbp_sw_recursive(t, s, &rc, 0)))
		return rc;
	void *n = sbp_node_take(t, &slot);
	sbp_sw_impl->lock(sbp_lockp(s), n);
	sbp_sw_owned(t, s, slot);
	return 0;
}

int sbp_sw_trylock(sbp_swlock_t *s)
{
	sbp_swt_t *t = sbp_swt_get();
	int rc, slot;
	if (SBP_SW_UNLIKELY(sbp_sw_recursive(t, s, &rc, 1)))
		return rc;
	void *n = sbp_node_take(t, &slot);
	if (!sbp_sw_impl->trylock(sbp_lockp(s), n)) {
		sbp_node_give(t, slot);
		return EBUSY;
	}
	sbp_sw_owned(t, s, slot);
	return 0;
}

static int sbp_ts_valid(const struct timespec *ts)
{
	return ts && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000L;
}

static int sbp_ts_passed(clockid_t clk, const struct timespec *ts)
{
	struct timespec now;
	clock_gettime(clk, &now);
	return now.tv_sec > ts->tv_sec || (now.tv_sec == ts->tv_sec && now.tv_nsec >= ts->tv_nsec);
}

int sbp_sw_timedlock(sbp_swlock_t *s, clockid_t clk, const struct timespec *abstime)
{
	for (unsigned i = 0;; i++) {
		int rc = sbp_sw_trylock(s);
		if (rc != EBUSY)
			return rc;
		if (!sbp_ts_valid(abstime))
			return EINVAL;
		if ((i & 63) == 0 && sbp_ts_passed(clk, abstime))
			return ETIMEDOUT;
		sb_cpu_relax();
	}
}

int sbp_sw_unlock(sbp_swlock_t *s)
{
	sbp_swt_t *t = &sbp_swt;
	if (atomic_load_explicit(&s->owner, memory_order_relaxed) != t->tid || !t->b)
		return EPERM;
	if (s->count) {
		s->count--;
		return 0;
	}
	int i = t->nheld - 1;
	while (i >= 0 && t->held[i].s != s)
		i--;
	if (i < 0)
		return EPERM; /* cannot happen: the owner word names us */
	int slot = t->held[i].node;
	for (int j = i; j < t->nheld - 1; j++)
		t->held[j] = t->held[j + 1];
	t->nheld--;
	atomic_store_explicit(&s->owner, 0, memory_order_relaxed);
	sbp_sw_impl->unlock(sbp_lockp(s), sbp_node_at(t, slot));
	sbp_node_give(t, slot);
	return 0;
}

/* ---- objects found by address ------------------------------------------ */

/*
 * Objects without room for our pointer (a condvar's futex word and waiter
 * count; a spin lock, one int) are found by address in a table: open
 * addressing, entries never removed (a re-init resets one).
 */
typedef struct sbp_swent {
	_Atomic uintptr_t addr;       /* the object; 0: free entry */
	_Atomic uint32_t seq;         /* condvar: the futex word, one up per signal or broadcast */
	_Atomic uint32_t waiters;     /* condvar: waits in progress */
	_Atomic(sbp_swlock_t *) lock; /* spin lock: ours, SBP_SW_PASS (glibc's), NULL: not seen */
} sbp_swent_t;

#define SBP_SW_ENTRIES (1u << 14) /* per table; a power of two */
static sbp_swent_t sbp_conds[SBP_SW_ENTRIES], sbp_spins[SBP_SW_ENTRIES];

/* The entry of `obj` in table `t`; created when `make`; NULL when absent
 * (or, making, when the table is full). */
static sbp_swent_t *sbp_ent_of(sbp_swent_t *t, const void *obj, int make)
{
	uintptr_t a = (uintptr_t)obj;
	uint64_t h = a * UINT64_C(0x9e3779b97f4a7c15);
	h ^= h >> 29;
	for (unsigned i = 0; i < SBP_SW_ENTRIES; i++) {
		sbp_swent_t *e = &t[(h + i) & (SBP_SW_ENTRIES - 1)];
		/* relaxed: the address is the whole message; a condvar waiter
		 * makes its entry while it holds the mutex, and a signaller that
		 * the program orders after it sees it through that mutex */
		uintptr_t cur = atomic_load_explicit(&e->addr, memory_order_relaxed);
		if (cur == a)
			return e;
		if (cur == 0) {
			if (!make)
				return NULL;
			if (atomic_compare_exchange_strong_explicit(&e->addr, &cur, a, memory_order_relaxed,
								    memory_order_relaxed) ||
			    cur == a)
				return e;
		}
	}
	return NULL;
}

/* ---- spin locks ------------------------------------------------------- */

sbp_swlock_t *sbp_swap_spin_get(pthread_spinlock_t *l)
{
	sbp_swent_t *e = sbp_ent_of(sbp_spins, (const void *)(uintptr_t)l, 1);
	if (!e)
		return NULL; /* table full: glibc's, every time (entries stay) */
	/* acquire: pairs with the release CAS below, which published the
	 * object's initialisation */
	sbp_swlock_t *s = atomic_load_explicit(&e->lock, memory_order_acquire);
	if (__builtin_expect(s > SBP_SW_PASS, 1))
		return s;
	if (s == SBP_SW_PASS)
		return NULL;
	/* No "early" check here: glibc's free value is architecture-specific
	 * (1 on x86-64, 0 elsewhere), and a spin lock held across the start of
	 * the process's constructors is not a case worth guessing at. */
	sbp_swlock_t *mine = sbp_sw_new((const void *)(uintptr_t)l, PTHREAD_MUTEX_NORMAL), *cur = NULL;
	/* release on success, acquire on failure: as in sbp_swap_attach */
	if (atomic_compare_exchange_strong_explicit(&e->lock, &cur, mine, memory_order_acq_rel, memory_order_acquire)) {
		atomic_fetch_add_explicit(&sbp_sw_n[N_SWAPPED], 1, memory_order_relaxed);
		return mine;
	}
	sbp_pool_put(mine);
	return cur == SBP_SW_PASS ? NULL : cur;
}

void sbp_sw_spin_init(pthread_spinlock_t *l, int pshared)
{
	sbp_swent_t *e = sbp_ent_of(sbp_spins, (const void *)(uintptr_t)l, 1);
	if (!e)
		return;
	/* relaxed: an init races with no use of the lock (POSIX) */
	sbp_swlock_t *s = atomic_exchange_explicit(&e->lock, pshared ? SBP_SW_PASS : NULL, memory_order_relaxed);
	if (s > SBP_SW_PASS)
		sbp_pool_put(s);
	if (pshared)
		atomic_fetch_add_explicit(&sbp_sw_n[N_PSHARED], 1, memory_order_relaxed);
}

/* ---- condition variables ------------------------------------------------ */

static long sbp_futex(_Atomic uint32_t *w, int op, uint32_t val, const struct timespec *ts, uint32_t mask)
{
	return syscall(SYS_futex, (void *)w, op, val, ts, NULL, mask);
}

int sbp_sw_cond_wait(const void *c, sbp_swlock_t *s, clockid_t clk, const struct timespec *abstime)
{
	if (abstime && !sbp_ts_valid(abstime))
		return EINVAL;
	sbp_swt_t *t = &sbp_swt;
	if (atomic_load_explicit(&s->owner, memory_order_relaxed) != t->tid)
		return EPERM;
	sbp_swent_t *e = sbp_ent_of(sbp_conds, c, 1);
	if (!e)
		sbp_sw_die("more condition variables than the swapped locks support (16384)");
	/*
	 * seq_cst, both: with the signaller's increment of seq and its load of
	 * waiters (sbp_sw_cond_wake), one total order: either the signaller
	 * sees this waiter counted and wakes the futex, or this load of seq
	 * already sees its increment and the futex wait returns at once.
	 */
	atomic_fetch_add(&e->waiters, 1);
	uint32_t seq = atomic_load(&e->seq);
	unsigned count = s->count;
	s->count = 0;
	sbp_sw_unlock(s);
	int op = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG | (clk == CLOCK_REALTIME ? FUTEX_CLOCK_REALTIME : 0);
	int rc = 0;
	if (sbp_futex(&e->seq, op, seq, abstime, FUTEX_BITSET_MATCH_ANY) != 0 && errno == ETIMEDOUT)
		rc = ETIMEDOUT;
	atomic_fetch_sub_explicit(&e->waiters, 1, memory_order_relaxed);
	sbp_sw_lock(s);
	s->count = count;
	return rc;
}

void sbp_sw_cond_wake(const void *c, int all)
{
	sbp_swent_t *e = sbp_ent_of(sbp_conds, c, 0);
	if (!e)
		return;
	/* seq_cst, both: pairs with the waiter's in sbp_sw_cond_wait */
	atomic_fetch_add(&e->seq, 1);
	if (atomic_load(&e->waiters))
		sbp_futex(&e->seq, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, all ? INT_MAX : 1, NULL, 0);
}
