/*
 * ttas_backoff.h - test-and-test-and-set with bounded exponential backoff.
 *
 * ttas (see ttas.h) plus the remedy T. E. Anderson proposed for its release
 * storm ("The performance of spin lock alternatives for shared-memory
 * multiprocessors", IEEE TPDS 1(1), 1990; the same scheme as Ethernet's
 * collision backoff): a waiter that saw the word free but lost the exchange
 * knows other waiters are racing for it, so before looking again it stays
 * off the line for a while, and doubles that while after every further
 * loss, up to a cap.  Fewer waiters reach the line together at each
 * release, so fewer exchanges fail.  The cost is latency: the lock may
 * sit free while everybody is still backing off.
 *
 * Backoff schedule.  The window w starts at SB_TTAS_BACKOFF_MIN and doubles
 * after each lost exchange up to SB_TTAS_BACKOFF_MAX; each backoff is
 * between w/2 + 1 and w calls of sb_spin_wait(), the exact count taken
 * from a per-thread xorshift32 sequence seeded from the thread's tid.  This
 * spreads waiters that lost the same race over the window (two waiters
 * with the same delay would collide again at the next release) without
 * rand(): the sequence is a pure function of the tid and of the number of
 * losses, so a run is repeatable and no shared generator state is touched.
 * The window restarts at SB_TTAS_BACKOFF_MIN at every acquisition.
 *
 * Fairness: none (as ttas).  Backoff makes it worse: a thread that has
 * lost many times backs off longest, so a newcomer tends to win.
 *
 * Word layout (one 32-bit word, alone on its 128-byte line):
 *
 *	bits 0-31: 0 = free, 1 = held
 *
 * State transitions (locked):
 *	lock, trylock:	0 -> 1	(exchange, after a load has seen 0)
 *	unlock:		1 -> 0	(store)
 *
 * The node carries only the tid, to seed the backoff sequence.
 */
#ifndef SPINBENCH_LOCKS_TTAS_BACKOFF_H
#define SPINBENCH_LOCKS_TTAS_BACKOFF_H

#include "arch.h"

/*
 * Backoff window bounds, in sb_spin_wait() iterations (each one a PAUSE on
 * x86, a YIELD on arm64, plus a few cycles of loop and counter).
 *
 * SB_TTAS_BACKOFF_MAX bounds how long the lock can stay free because of
 * the backoff: at most one full window, MAX iterations.  Intel's
 * Optimization Reference Manual ("Pause Latency in Skylake
 * Microarchitecture") gives PAUSE a latency of about 10 cycles before
 * Skylake and of up to 140 cycles from Skylake on.  With 64, the worst
 * added delay is about 64 * 140 = 9,000 cycles (3 us at 3 GHz) on Skylake
 * and later, and about 64 * 10 = 640 cycles plus loop overhead (0.2-0.3 us
 * at 3 GHz) on older cores: on both, longer than the few cache-line
 * transfers a release-and-reacquire takes, so losers are spread out, and
 * on Skylake already long against a short critical section, which is why
 * the cap is not larger.  The manual's figures cover Intel only: AMD's
 * PAUSE and arm64's YIELD (close to a NOP on many cores) have latencies of
 * their own, so the same cap is a different time there.  None of these
 * figures is measured here; the spins counter lets a run check them.
 *
 * SB_TTAS_BACKOFF_MIN is the first window: 2, so the first backoff is
 * 2 iterations, a few hundred cycles at most.
 * Both must be powers of two.
 */
#define SB_TTAS_BACKOFF_MIN 2u
#define SB_TTAS_BACKOFF_MAX 64u

_Static_assert((SB_TTAS_BACKOFF_MIN & (SB_TTAS_BACKOFF_MIN - 1)) == 0 && SB_TTAS_BACKOFF_MIN >= 2,
	       "SB_TTAS_BACKOFF_MIN must be a power of two >= 2");
_Static_assert((SB_TTAS_BACKOFF_MAX & (SB_TTAS_BACKOFF_MAX - 1)) == 0 && SB_TTAS_BACKOFF_MAX >= SB_TTAS_BACKOFF_MIN,
	       "SB_TTAS_BACKOFF_MAX must be a power of two >= SB_TTAS_BACKOFF_MIN");

typedef struct sb_ttas_backoff {
	SB_ALIGNED atomic_uint locked;
} sb_ttas_backoff_t;

/* Per-thread node: the seed of the thread's backoff sequence. */
typedef struct sb_ttas_backoff_node {
	SB_ALIGNED uint32_t seed;
} sb_ttas_backoff_node_t;

static inline void sb_ttas_backoff_init(sb_ttas_backoff_t *l)
{
	atomic_init(&l->locked, 0);
}

/*
 * Seed from the tid: multiply by 2^32 / golden ratio so that neighbouring
 * tids get seeds far apart, and force it odd, since xorshift32 must never
 * be seeded with 0.
 */
static inline void sb_ttas_backoff_node_init(sb_ttas_backoff_node_t *n, unsigned tid)
{
	n->seed = ((uint32_t)tid * 0x9e3779b9u) | 1u;
}

/* Marsaglia's xorshift32: a full-period step of a non-zero 32-bit state. */
static inline uint32_t sb_ttas_backoff_next(uint32_t x)
{
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

/*
 * Contended path: spin reading until the word is 0, exchange, and after
 * each lost exchange back off (see the head comment) before reading again.
 */
static inline void sb_ttas_backoff_lock_slow(sb_ttas_backoff_t *l, sb_ttas_backoff_node_t *n)
{
	uint32_t window = SB_TTAS_BACKOFF_MIN;
	uint32_t x = n->seed;
	uint32_t i;

	for (;;) {
		/* Relaxed: only a hint; the exchange below does the ordering. */
		while (atomic_load_explicit(&l->locked, memory_order_relaxed))
			sb_spin_wait();
		/* acquire: pairs with the release store in _unlock(). */
		if (!atomic_exchange_explicit(&l->locked, 1, memory_order_acquire))
			return;
		x = sb_ttas_backoff_next(x);
		/* window - [0, window/2): between window/2 + 1 and window. */
		for (i = window - (x & (window / 2 - 1)); i; i--)
			sb_spin_wait();
		if (window < SB_TTAS_BACKOFF_MAX)
			window *= 2;
	}
}

/*
 * One exchange; if it fails, the contended path.  Never fails; may wait
 * forever if the holder never unlocks.
 */
static inline void sb_ttas_backoff_lock(sb_ttas_backoff_t *l, sb_ttas_backoff_node_t *n)
{
	/* acquire: pairs with the release store in sb_ttas_backoff_unlock(). */
	if (sb_likely(!atomic_exchange_explicit(&l->locked, 1, memory_order_acquire)))
		return;
	sb_ttas_backoff_lock_slow(l, n);
}

/*
 * True when the lock was free and is now ours; false when it was held (a
 * failing trylock on a held lock only reads the line).  Never backs off.
 */
static inline bool sb_ttas_backoff_trylock(sb_ttas_backoff_t *l, sb_ttas_backoff_node_t *n)
{
	(void)n;
	if (atomic_load_explicit(&l->locked, memory_order_relaxed))
		return false;
	/* acquire: pairs with the release store in sb_ttas_backoff_unlock(). */
	return !atomic_exchange_explicit(&l->locked, 1, memory_order_acquire);
}

/* 1 -> 0.  The caller must hold the lock. */
static inline void sb_ttas_backoff_unlock(sb_ttas_backoff_t *l, sb_ttas_backoff_node_t *n)
{
	(void)n;
	/*
	 * release: pairs with the acquire exchanges in _lock(), _lock_slow()
	 * and _trylock() of the next owner.
	 */
	atomic_store_explicit(&l->locked, 0, memory_order_release);
}

SB_EXCLUSIVE_ONLY(ttas_backoff)

#endif /* SPINBENCH_LOCKS_TTAS_BACKOFF_H */
