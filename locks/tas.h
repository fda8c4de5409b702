/*
 * tas.h - test-and-set spin lock.
 *
 * The oldest spin lock: one word, 0 when free and 1 when held.  To acquire,
 * atomically exchange 1 into the word; the lock is ours when the old value
 * was 0.  A waiter simply retries the exchange, so every spin iteration is
 * an atomic read-modify-write: each one pulls the cache line over in
 * exclusive state, and the line ping-pongs between all waiters and the
 * holder even while nothing can change.  That traffic is the point of
 * keeping this lock in the benchmark: it is the baseline that ttas, backoff
 * and the queue locks improve on (T. E. Anderson, "The performance of spin
 * lock alternatives for shared-memory multiprocessors", IEEE TPDS 1(1),
 * 1990, measures exactly this cost).
 *
 * Fairness: none.  Whichever exchange reaches the line first after the
 * release wins; a waiter can starve.
 *
 * Word layout (one 32-bit word, alone on its 128-byte line):
 *
 *	bits 0-31: 0 = free, 1 = held
 *
 * State transitions (locked):
 *	lock, trylock:	0 -> 1	(exchange; the old value says who won)
 *	unlock:		1 -> 0	(store)
 */
#ifndef SPINBENCH_LOCKS_TAS_H
#define SPINBENCH_LOCKS_TAS_H

#include "arch.h"

typedef struct sb_tas {
	SB_ALIGNED atomic_uint locked;
} sb_tas_t;

SB_NO_NODE(tas)

static inline void sb_tas_init(sb_tas_t *l)
{
	atomic_init(&l->locked, 0);
}

/*
 * Spin exchanging 1 into the word until the old value is 0.  Never fails;
 * may wait forever if the holder never unlocks.
 */
static inline void sb_tas_lock(sb_tas_t *l, sb_tas_node_t *n)
{
	(void)n;
	/* acquire: pairs with the release store in sb_tas_unlock(). */
	while (atomic_exchange_explicit(&l->locked, 1, memory_order_acquire))
		sb_spin_wait();
}

/*
 * One exchange: true when the lock was free and is now ours, false (and
 * nothing changed, the word was already 1) when it was held.
 */
static inline bool sb_tas_trylock(sb_tas_t *l, sb_tas_node_t *n)
{
	(void)n;
	/* acquire: pairs with the release store in sb_tas_unlock(). */
	return !atomic_exchange_explicit(&l->locked, 1, memory_order_acquire);
}

/* 1 -> 0.  The caller must hold the lock. */
static inline void sb_tas_unlock(sb_tas_t *l, sb_tas_node_t *n)
{
	(void)n;
	/*
	 * release: pairs with the acquire exchange in sb_tas_lock() and
	 * sb_tas_trylock() of the next owner.
	 */
	atomic_store_explicit(&l->locked, 0, memory_order_release);
}

SB_EXCLUSIVE_ONLY(tas)

#endif /* SPINBENCH_LOCKS_TAS_H */
