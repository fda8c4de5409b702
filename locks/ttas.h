/*
 * ttas.h - test-and-test-and-set spin lock.
 *
 * The test-and-set lock with a read-only inner loop (L. Rudolph and
 * Z. Segall, "Dynamic decentralized cache schemes for MIMD parallel
 * processors", ISCA 1984; analysed by T. E. Anderson, IEEE TPDS 1(1),
 * 1990).  A waiter spins on plain loads, which hit its own shared copy of
 * the cache line and generate no traffic while the lock stays held; only
 * when it sees the word go to 0 does it try the atomic exchange.  The
 * release still causes a burst: every waiter misses, re-reads, and most of
 * them then issue an exchange that fails (the "thundering herd" that
 * ttas-backoff and the queue locks address).
 *
 * The first attempt is the exchange, not a load: an uncontended acquire
 * then costs one read-for-ownership of the line instead of a shared read
 * followed by an upgrade.
 *
 * Fairness: none.  Any waiter whose exchange lands first after the release
 * wins, including a newcomer; a waiter can starve.
 *
 * Word layout (one 32-bit word, alone on its 128-byte line):
 *
 *	bits 0-31: 0 = free, 1 = held
 *
 * State transitions (locked):
 *	lock, trylock:	0 -> 1	(exchange, after a load has seen 0)
 *	unlock:		1 -> 0	(store)
 */
#ifndef SPINBENCH_LOCKS_TTAS_H
#define SPINBENCH_LOCKS_TTAS_H

#include "arch.h"

typedef struct sb_ttas {
	SB_ALIGNED atomic_uint locked;
} sb_ttas_t;

SB_NO_NODE(ttas)

static inline void sb_ttas_init(sb_ttas_t *l)
{
	atomic_init(&l->locked, 0);
}

/*
 * Exchange; while that fails, spin on relaxed loads until the word reads 0,
 * then exchange again.  Never fails; may wait forever if the holder never
 * unlocks.
 */
static inline void sb_ttas_lock(sb_ttas_t *l, sb_ttas_node_t *n)
{
	(void)n;
	for (;;) {
		/* acquire: pairs with the release store in sb_ttas_unlock(). */
		if (sb_likely(!atomic_exchange_explicit(&l->locked, 1, memory_order_acquire)))
			return;
		/* Relaxed: only a hint; the exchange above does the ordering. */
		while (atomic_load_explicit(&l->locked, memory_order_relaxed))
			sb_spin_wait();
	}
}

/*
 * True when the lock was free and is now ours.  False when it was held; a
 * failing trylock on a held lock only reads the line, it does not take it
 * exclusive away from the holder.
 */
static inline bool sb_ttas_trylock(sb_ttas_t *l, sb_ttas_node_t *n)
{
	(void)n;
	if (atomic_load_explicit(&l->locked, memory_order_relaxed))
		return false;
	/* acquire: pairs with the release store in sb_ttas_unlock(). */
	return !atomic_exchange_explicit(&l->locked, 1, memory_order_acquire);
}

/* 1 -> 0.  The caller must hold the lock. */
static inline void sb_ttas_unlock(sb_ttas_t *l, sb_ttas_node_t *n)
{
	(void)n;
	/*
	 * release: pairs with the acquire exchange in sb_ttas_lock() and
	 * sb_ttas_trylock() of the next owner.
	 */
	atomic_store_explicit(&l->locked, 0, memory_order_release);
}

SB_EXCLUSIVE_ONLY(ttas)

#endif /* SPINBENCH_LOCKS_TTAS_H */
