/*
 * stamp.c - stamps out one lock's loops with the lock inlined.
 *
 * Compiled once per registry line, as
 *     cc -DSB_ID=<id> -include locks/<id>.h -c harness/stamp.c
 * producing `const sb_lock_impl_t sb_impl_<id>`.  Inside this unit LOCK and
 * friends are direct calls to the lock's static inline functions, so the
 * loops below contain no indirect call per acquisition (the idea of Concurrency
 * Kit's benchmark adapters).  The function-pointer verbs are for the tests'
 * scripted checks and set-up only.
 */
#include "lockapi.h"

#ifndef SB_ID
#error "compile with -DSB_ID=<lock id> -include locks/<id>.h"
#endif

#define SB_CAT_(a, b, c) a##b##c
#define SB_CAT(a, b, c) SB_CAT_(a, b, c)
#define F(verb) SB_CAT(sb_, SB_ID, _##verb)

/*
 * Bytes at the start of the lock's first cache line that the lock itself
 * uses; `--data=colocated` puts the first protected line's data right after
 * them, in the same line.  A lock header whose first line holds more than
 * one word defines SB_LOCK_HOT_BYTES.
 */
#ifndef SB_LOCK_HOT_BYTES
#define SB_LOCK_HOT_BYTES 8
#endif

typedef F(t) lock_t;
typedef F(node_t) node_t;

#define LOCK(l, n) F(lock)((l), (n))
#define UNLOCK(l, n) F(unlock)((l), (n))
#define READ_LOCK(l, n) F(read_lock)((l), (n))
#define READ_UNLOCK(l, n) F(read_unlock)((l), (n))

static void v_init(void *l)
{
	F(init)((lock_t *)l);
}
static void v_node_init(void *n, unsigned tid)
{
	F(node_init)((node_t *)n, tid);
}
static void v_lock(void *l, void *n)
{
	LOCK((lock_t *)l, (node_t *)n);
}
static bool v_trylock(void *l, void *n)
{
	return F(trylock)((lock_t *)l, (node_t *)n);
}
static void v_unlock(void *l, void *n)
{
	UNLOCK((lock_t *)l, (node_t *)n);
}
static void v_read_lock(void *l, void *n)
{
	READ_LOCK((lock_t *)l, (node_t *)n);
}
static bool v_read_trylock(void *l, void *n)
{
	return F(read_trylock)((lock_t *)l, (node_t *)n);
}
static void v_read_unlock(void *l, void *n)
{
	READ_UNLOCK((lock_t *)l, (node_t *)n);
}
static bool v_try_convert(void *l, void *n)
{
	return F(try_convert)((lock_t *)l, (node_t *)n);
}

/*
 * The tests' mutual-exclusion body: a.iters acquisitions, each checked by
 * the guard; with read_every = k, every k-th is exclusive and the rest are
 * shared (exclusive locks treat them as exclusive, which the guard accepts).
 */
static void mx_loop(sb_mx_arg_t *a)
{
	lock_t *l = a->lock;
	node_t *n = a->node;
	sb_guard_t *g = a->guard;
	uint64_t viol = 0, writes = 0, reads = 0;

	for (uint64_t i = 0; i < a->iters && !atomic_load_explicit(a->stop, memory_order_relaxed); i++) {
		if (a->read_every == 0 || i % a->read_every == 0) {
			LOCK(l, n);
			uint64_t e = sb_guard_enter(g, a->mark, &viol);
			for (uint32_t k = 0; k < a->cs_relax; k++)
				sb_cpu_relax();
			sb_guard_leave(g, a->mark, e, &viol);
			UNLOCK(l, n);
			writes++;
		} else {
			READ_LOCK(l, n);
			uint64_t seen = sb_guard_read_enter(g, &viol);
			for (uint32_t k = 0; k < a->cs_relax; k++)
				sb_cpu_relax();
			sb_guard_read_leave(g, seen, &viol);
			READ_UNLOCK(l, n);
			reads++;
		}
	}
	a->writes = writes;
	a->reads = reads;
	a->violations = viol;
}

#ifdef SB_WITH_BENCH
#include "loop.h"
#define BENCH_WORKER bench_worker
#else
#define BENCH_WORKER NULL
#endif

const sb_lock_impl_t SB_CAT(sb_impl_, SB_ID, ) = {
	.lock_size = sizeof(lock_t),
	.lock_align = alignof(lock_t),
	.node_size = sizeof(node_t),
	.node_align = alignof(node_t),
	.hot_bytes = SB_LOCK_HOT_BYTES,
	.init = v_init,
	.node_init = v_node_init,
	.lock = v_lock,
	.trylock = v_trylock,
	.unlock = v_unlock,
	.read_lock = v_read_lock,
	.read_trylock = v_read_trylock,
	.read_unlock = v_read_unlock,
	.try_convert = v_try_convert,
	.mx_loop = mx_loop,
	.bench_worker = BENCH_WORKER,
};
