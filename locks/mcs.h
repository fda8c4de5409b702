/*
 * mcs.h - MCS queue lock with a caller-supplied node.
 *
 * J. M. Mellor-Crummey and M. L. Scott, "Algorithms for scalable
 * synchronization on shared-memory multiprocessors", ACM TOCS 9(1), 1991.
 *
 * The waiters form an explicit singly linked queue of their own nodes; the
 * lock word is only a pointer to the last node (NULL when the lock is
 * free).  To acquire, a thread swaps its node into the tail.  If the old
 * tail was NULL the lock is its; otherwise it links its node behind the old
 * tail and spins on the `locked` flag of its own node, on its own cache
 * line, which only its predecessor will write.  To release, the holder
 * hands the lock to its successor by clearing the successor's flag; with no
 * successor it swings the tail back to NULL.  Each release therefore
 * touches one waiter's line, whatever the number of waiters, and each
 * waiter spins locally.
 *
 * The node is the caller's (the "in-stack" or caller-supplied variant, the
 * contract of Linux's mcs_spinlock and ck_spinlock_mcs): it must stay valid
 * and unused from lock until unlock returns, and is free again afterwards.
 *
 * Fairness: strict FIFO, in the order of the swaps on the tail.  trylock
 * only succeeds on an empty queue, so it never passes a waiter.
 *
 * Layout:
 *	lock: one pointer alone on its 128-byte line
 *		tail: last node in the queue, NULL when the lock is free
 *	node: one 128-byte line per thread
 *		next:   successor's node, NULL until the successor links in
 *		locked: 1 while the owner must wait, 0 once it holds the lock
 *
 * State transitions (tail, my locked flag):
 *	lock, queue empty:	NULL,*  -> me,0		(holder)
 *	lock, queue not empty:	pred,*  -> me,1		then pred->next = me,
 *						wait for 1 -> 0
 *	trylock:		NULL,*  -> me,0		(CAS; else nothing changes)
 *	unlock, no successor:	me,0    -> NULL,0	(CAS)
 *	unlock, successor:	next->locked 1 -> 0	(tail untouched)
 */
#ifndef SPINBENCH_LOCKS_MCS_H
#define SPINBENCH_LOCKS_MCS_H

#include "arch.h"

typedef struct sb_mcs_node {
	SB_ALIGNED _Atomic(struct sb_mcs_node *) next;
	atomic_uint locked;
} sb_mcs_node_t;

typedef struct sb_mcs {
	SB_ALIGNED _Atomic(sb_mcs_node_t *) tail;
} sb_mcs_t;

static inline void sb_mcs_init(sb_mcs_t *l)
{
	atomic_init(&l->tail, NULL);
}

/* Nothing is carried between acquisitions: lock resets the node. */
static inline void sb_mcs_node_init(sb_mcs_node_t *n, unsigned tid)
{
	(void)tid;
	atomic_init(&n->next, NULL);
	atomic_init(&n->locked, 0);
}

/*
 * Enqueue n and wait until the predecessor hands the lock over.  Never
 * fails; may wait forever if a predecessor never unlocks.
 */
static inline void sb_mcs_lock(sb_mcs_t *l, sb_mcs_node_t *n)
{
	sb_mcs_node_t *pred;

	atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
	atomic_store_explicit(&n->locked, 1, memory_order_relaxed);
	/*
	 * release: publishes the two resets above to our successor, whose
	 * acquire swap (or trylock CAS) reads our node from the tail and which
	 * then writes n->next.  acquire: pairs with the release of the
	 * previous tail's swap, so pred->next = NULL is ordered before our
	 * store to it, and, when pred is NULL, with the release CAS in
	 * sb_mcs_unlock() that emptied the queue.
	 */
	pred = atomic_exchange_explicit(&l->tail, n, memory_order_acq_rel);
	if (sb_likely(!pred))
		return;
	/*
	 * release: pairs with the acquire loads of pred->next in
	 * sb_mcs_unlock(), so n->locked = 1 above is ordered before the
	 * predecessor's hand-off store of 0.
	 */
	atomic_store_explicit(&pred->next, n, memory_order_release);
	/* acquire: pairs with the release hand-off store in sb_mcs_unlock(). */
	while (atomic_load_explicit(&n->locked, memory_order_acquire))
		sb_spin_wait();
}

/*
 * True when the queue was empty and n now holds the lock.  False when the
 * lock was held or had waiters; then nothing changed.
 */
static inline bool sb_mcs_trylock(sb_mcs_t *l, sb_mcs_node_t *n)
{
	sb_mcs_node_t *expected = NULL;

	if (atomic_load_explicit(&l->tail, memory_order_relaxed))
		return false;
	atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
	atomic_store_explicit(&n->locked, 0, memory_order_relaxed);
	/*
	 * acquire (on success): pairs with the release CAS in sb_mcs_unlock()
	 * that emptied the queue.  release (on success): publishes
	 * n->next = NULL to our successor, as the swap in sb_mcs_lock() does.
	 */
	return atomic_compare_exchange_strong_explicit(&l->tail, &expected, n, memory_order_acq_rel,
						       memory_order_relaxed);
}

/*
 * Hand the lock to the successor, or empty the queue when there is none.
 * The caller must hold the lock through n.  May wait (briefly) for a
 * successor that has swapped the tail but not yet linked itself in.
 */
static inline void sb_mcs_unlock(sb_mcs_t *l, sb_mcs_node_t *n)
{
	sb_mcs_node_t *next, *expected;

	/* acquire: pairs with the release store of pred->next in _lock(). */
	next = atomic_load_explicit(&n->next, memory_order_acquire);
	if (!next) {
		expected = n;
		/*
		 * me -> NULL.  release: pairs with the acquire swap in
		 * sb_mcs_lock() or the acquire CAS in sb_mcs_trylock() of the
		 * next thread to find the queue empty.
		 */
		if (atomic_compare_exchange_strong_explicit(&l->tail, &expected, NULL, memory_order_release,
							    memory_order_relaxed))
			return;
		/* A successor swapped the tail; wait for it to link in. */
		/* acquire: pairs with the release store of pred->next in _lock(). */
		while (!(next = atomic_load_explicit(&n->next, memory_order_acquire)))
			sb_spin_wait();
	}
	/*
	 * 1 -> 0 on the successor's flag.  release: pairs with the acquire
	 * spin on n->locked in the successor's sb_mcs_lock().
	 */
	atomic_store_explicit(&next->locked, 0, memory_order_release);
}

SB_EXCLUSIVE_ONLY(mcs)

#endif /* SPINBENCH_LOCKS_MCS_H */
