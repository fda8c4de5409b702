/*
 * clh.h - CLH queue lock.
 *
 * T. S. Craig, "Building FIFO and priority-queuing spin locks from atomic
 * swap", TR 93-02-02, University of Washington, 1993; P. S. Magnusson,
 * A. Landin and E. Hagersten, "Queue locks on cache coherent
 * multiprocessors", IPPS 1994.
 *
 * The queue is implicit: the lock holds a pointer to the last queue node
 * (qnode), and each waiter knows only its predecessor.  To acquire, a
 * thread marks the qnode it owns busy, swaps it into the tail, and spins on
 * the flag of the qnode it got back, its predecessor's, until that is
 * clear.  To release, it clears the flag of its own qnode, which its
 * successor (if any) is watching.  The released qnode is still being read
 * by the successor, so the releasing thread cannot reuse it; instead it
 * adopts its predecessor's qnode, which nobody reads any more.  Qnodes
 * therefore migrate between threads (and between locks), and the lock
 * starts with a dummy qnode of its own, clear, as the first predecessor.
 * Every qnode must live until the run ends; spinbench's nodes and locks do.
 * Unlike MCS there is no successor pointer and no wait in unlock: release
 * is one store.  The spinning is on the predecessor's line, which is local
 * on cache-coherent machines but remote on NUMA without coherent caches.
 *
 * trylock.  A CLH thread that has swapped its qnode into the tail is in the
 * queue for good: there is no way to withdraw it (a half-enqueued qnode
 * that nobody will ever clear would hang every later waiter).  So trylock
 * swings the tail only when the current tail's qnode is clear, that is the
 * lock is free with nobody waiting, and does it with a CAS from that qnode
 * to ours, so it fails, changing nothing, if anybody enqueued meanwhile.
 * One race remains (ABA on the tail pointer): between our read of the
 * tail's flag and the CAS, a thread may enqueue behind that qnode, acquire,
 * release, adopt the very same qnode and enqueue it again, busy, making it
 * the tail once more; the CAS then succeeds behind a busy qnode.  That
 * needs a whole acquire-release cycle inside a few instructions of ours, so
 * it only happens when we are preempted there, but then we are enqueued
 * and cannot back out: trylock re-checks the predecessor's flag after the
 * CAS and, in that case only, waits for it like lock() does, then returns
 * true.  Mutual exclusion is never at risk; what the race costs is that a
 * trylock may, very rarely, wait behind a queue instead of failing.
 *
 * Fairness: strict FIFO, in the order of the swaps on the tail.  trylock
 * only succeeds on an empty queue, so it never passes a waiter.
 *
 * Layout:
 *	lock: two 128-byte lines
 *		tail:  the last qnode in the queue
 *		dummy: the initial tail qnode, clear
 *	qnode: one 128-byte line
 *		locked: 1 while its owner holds or waits for the lock, else 0
 *	node (per thread): the thread's current qnode, its predecessor while
 *	it holds the lock, and one qnode of storage that starts as its own
 *		mine:    the qnode this thread enqueues next
 *		pred:    the predecessor's qnode, kept from lock to unlock
 *		storage: the qnode `mine` points to at first
 *
 * State transitions (tail, mine->locked, pred->locked):
 *	lock:		pred,0,* -> mine,1,*	then wait for pred 1 -> 0
 *	trylock:	pred,0,0 -> mine,1,0	(CAS; else nothing changes)
 *	unlock:		*,1,0    -> *,0,0	then mine = pred
 */
#ifndef SPINBENCH_LOCKS_CLH_H
#define SPINBENCH_LOCKS_CLH_H

#include "arch.h"

typedef struct sb_clh_qnode {
	SB_ALIGNED atomic_uint locked;
} sb_clh_qnode_t;

typedef struct sb_clh {
	SB_ALIGNED _Atomic(sb_clh_qnode_t *) tail;
	sb_clh_qnode_t dummy;
} sb_clh_t;

/* mine and pred are only ever touched by the thread owning the node. */
typedef struct sb_clh_node {
	SB_ALIGNED sb_clh_qnode_t *mine;
	sb_clh_qnode_t *pred;
	sb_clh_qnode_t storage;
} sb_clh_node_t;

static inline void sb_clh_init(sb_clh_t *l)
{
	atomic_init(&l->dummy.locked, 0);
	atomic_init(&l->tail, &l->dummy);
}

static inline void sb_clh_node_init(sb_clh_node_t *n, unsigned tid)
{
	(void)tid;
	atomic_init(&n->storage.locked, 0);
	n->mine = &n->storage;
	n->pred = NULL;
}

/* Wait for the predecessor's qnode to be released. */
static inline void sb_clh_wait(sb_clh_qnode_t *pred)
{
	/* acquire: pairs with the release store in sb_clh_unlock(). */
	while (atomic_load_explicit(&pred->locked, memory_order_acquire))
		sb_spin_wait();
}

/*
 * Enqueue our qnode and wait for the predecessor to release.  Never fails;
 * may wait forever if a predecessor never unlocks.
 */
static inline void sb_clh_lock(sb_clh_t *l, sb_clh_node_t *n)
{
	sb_clh_qnode_t *mine = n->mine;

	atomic_store_explicit(&mine->locked, 1, memory_order_relaxed);
	/*
	 * release: publishes mine->locked = 1 to the successor whose acquire
	 * swap (or trylock CAS) reads our qnode from the tail; it then spins
	 * on it.  acquire: pairs with that same release of the predecessor's
	 * swap, so we cannot see its flag's value from before it was marked
	 * busy (the qnode may have been released in an earlier life).
	 */
	n->pred = atomic_exchange_explicit(&l->tail, mine, memory_order_acq_rel);
	sb_clh_wait(n->pred);
}

/*
 * True when the lock was free with nobody waiting and is now ours.  False
 * when it was held or had waiters; then nothing changed.  See the head
 * comment for the one case (a preempted trylock, ABA on the tail) in which
 * it waits before returning true.
 */
static inline bool sb_clh_trylock(sb_clh_t *l, sb_clh_node_t *n)
{
	sb_clh_qnode_t *mine = n->mine;
	sb_clh_qnode_t *tail;

	/*
	 * acquire: pairs with the release swap that enqueued the tail qnode,
	 * so its flag reads 1 (or a later 0), not an older life's 0.
	 */
	tail = atomic_load_explicit(&l->tail, memory_order_acquire);
	if (atomic_load_explicit(&tail->locked, memory_order_relaxed))
		return false;
	atomic_store_explicit(&mine->locked, 1, memory_order_relaxed);
	/*
	 * pred,0,0 -> mine,1,0.  release: as the swap in sb_clh_lock(),
	 * publishes mine->locked = 1 to our successor.  acquire: pairs with
	 * the release swap or CAS that made `tail` the tail.
	 */
	if (!atomic_compare_exchange_strong_explicit(&l->tail, &tail, mine, memory_order_acq_rel, memory_order_relaxed))
		return false;
	n->pred = tail;
	/* Returns at once unless the ABA race of the head comment hit. */
	sb_clh_wait(tail);
	return true;
}

/*
 * Release our qnode and adopt the predecessor's.  The caller must hold the
 * lock through n.  Never waits.
 */
static inline void sb_clh_unlock(sb_clh_t *l, sb_clh_node_t *n)
{
	sb_clh_qnode_t *mine = n->mine;

	(void)l;
	/* Nobody reads pred's qnode any more: we were its only successor. */
	n->mine = n->pred;
	/*
	 * 1 -> 0.  release: pairs with the acquire load in sb_clh_wait() of
	 * our successor, called from its sb_clh_lock() or sb_clh_trylock().
	 */
	atomic_store_explicit(&mine->locked, 0, memory_order_release);
}

SB_EXCLUSIVE_ONLY(clh)

#endif /* SPINBENCH_LOCKS_CLH_H */
