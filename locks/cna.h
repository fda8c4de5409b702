/*
 * cna.h - compact NUMA-aware lock (CNA): MCS with a secondary queue.
 *
 * D. Dice and A. Kogan, "Compact NUMA-aware Locks", EuroSys 2019.
 *
 * An MCS lock (one tail pointer, locks/mcs.h) whose waiters record their
 * NUMA node (the calling thread's sb_thread_node, read by node_init).  At
 * unlock the holder looks along the main queue for the first waiter of its
 * own node.  The waiters it skips on the way (all of other nodes) are cut
 * out and appended to a secondary queue, and the lock goes to the same-node
 * waiter: handoffs stay inside a node while it has waiters.  The secondary
 * queue lives in the waiters' own nodes: the holder's `spin` word, which a
 * waiter polls until its predecessor writes it, carries either 1 ("yours,
 * no secondary queue") or a pointer to the secondary queue's head, whose
 * `sec_tail` points at its last node.  So the lock stays one word.  The
 * secondary queue is flushed, spliced back in front of the main queue and
 * its head given the lock, when no same-node waiter is left in the main
 * queue, when the main queue is empty at unlock, or when the secondary queue
 * has waited SB_CNA_PASS_BOUND acquisitions (`passes`, carried from holder
 * to holder in the node like `spin`).  Dice & Kogan flush with a small
 * probability instead; a counter gives a bound that a test can check.
 *
 * Fairness: not FIFO.  A waiter is passed over in the main queue only by
 * moving it to the secondary queue, and the secondary queue is flushed after
 * at most SB_CNA_PASS_BOUND acquisitions from the moment it became
 * non-empty.  So a waiter is granted the lock after at most: the holder and
 * the waiters ahead of it in the main queue when it arrived (each once),
 * then, if moved, SB_CNA_PASS_BOUND acquisitions, then the secondary waiters
 * ahead of it.  With two nodes the flushed queue holds one node only and is
 * served in order (tests/test_numa_locks.c checks holder + ahead + bound,
 * and reaches it exactly); with more nodes a waiter may be moved again by a
 * holder of a third node, each time with the same bound.  trylock only
 * succeeds on an empty queue (no secondary queue exists then), so it never
 * passes a waiter.
 *
 * Layout:
 *	lock: one pointer alone on its 128-byte line
 *		tail: last node of the main queue, NULL when the lock is free
 *	node: one 128-byte line per thread
 *		next:     successor (main or secondary queue)
 *		spin:     0 while waiting; then 1, or the secondary queue's head
 *		sec_tail: last node of the secondary queue (in its head only)
 *		passes:   acquisitions since the secondary queue became
 *			  non-empty (0 while there is none)
 *		numa:     the owner thread's node
 *
 * State transitions (tail, spin of the node handed to):
 *	lock, queue empty:	NULL -> me, spin = 1
 *	lock, queue not empty:	pred -> me, link, wait for spin != 0
 *	unlock, none waiting:	me -> NULL (spin == 1), or me -> sec_tail and
 *				sec_head 0 -> 1 (flush)
 *	unlock, same-node waiter w (and passes < BOUND): skipped waiters
 *				appended to the secondary queue; w 0 -> spin
 *	unlock, otherwise:	secondary queue spliced before next, its head
 *				0 -> 1; or (none) next 0 -> 1
 *	trylock:		NULL -> me (CAS; else nothing changes)
 */
#ifndef SPINBENCH_LOCKS_CNA_H
#define SPINBENCH_LOCKS_CNA_H

#include "arch.h"

/*
 * At most this many acquisitions while a secondary queue waits.  64
 * amortises one cross-node transfer of the lock and its data over 64 local
 * handoffs (under saturation at most ~1.6% of handoffs cross nodes), while
 * a remote waiter waits at most 64 acquisitions past its turn: a few to tens
 * of microseconds for ~100 ns critical sections, far below a scheduler tick.
 * (Linux's CNA patches use 2^16; that shows the throughput ceiling but makes
 * remote waiters look starved in any fairness figure.)  Same value as cohort
 * and hmcs, so that the three compare at equal fairness.
 */
#ifndef SB_CNA_PASS_BOUND
#define SB_CNA_PASS_BOUND 64u
#endif

#define SB_CNA_GRANTED ((uintptr_t)1)

typedef struct sb_cna_node {
	SB_ALIGNED _Atomic(struct sb_cna_node *) next;
	_Atomic(uintptr_t) spin;
	struct sb_cna_node *sec_tail; /* written and read by holders only */
	unsigned passes;              /* written by the granter, read by the holder */
	int numa;
} sb_cna_node_t;

typedef struct sb_cna {
	SB_ALIGNED _Atomic(sb_cna_node_t *) tail;
} sb_cna_t;

static inline void sb_cna_init(sb_cna_t *l)
{
	atomic_init(&l->tail, NULL);
}

/* Records the calling thread's sb_thread_node: set it before this call. */
static inline void sb_cna_node_init(sb_cna_node_t *n, unsigned tid)
{
	(void)tid;
	atomic_init(&n->next, NULL);
	atomic_init(&n->spin, 0);
	n->sec_tail = NULL;
	n->passes = 0;
	n->numa = sb_thread_node;
}

/*
 * Enqueue n and wait until a predecessor hands the lock over.  Never fails;
 * may wait forever if a predecessor never unlocks.
 */
static inline void sb_cna_lock(sb_cna_t *l, sb_cna_node_t *n)
{
	sb_cna_node_t *pred;

	atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
	atomic_store_explicit(&n->spin, 0, memory_order_relaxed);
	/*
	 * release: publishes the resets above (and numa, from node_init) to
	 * our successor, which reads our node from the tail and writes
	 * n->next.  acquire: pairs with that release of the predecessor's
	 * swap, or with the release CAS in sb_cna_unlock() that emptied the
	 * queue.
	 */
	pred = atomic_exchange_explicit(&l->tail, n, memory_order_acq_rel);
	if (sb_likely(!pred)) {
		n->passes = 0;
		atomic_store_explicit(&n->spin, SB_CNA_GRANTED, memory_order_relaxed);
		return;
	}
	/*
	 * release: pairs with the acquire loads of next pointers in
	 * sb_cna_unlock() and sb_cna_pass(), so spin = 0 and our node's
	 * fields are ordered before a holder reads or writes them.
	 */
	atomic_store_explicit(&pred->next, n, memory_order_release);
	/* acquire: pairs with the release hand-off stores of spin in _unlock(). */
	while (!atomic_load_explicit(&n->spin, memory_order_acquire))
		sb_spin_wait();
}

/*
 * True when the queue was empty and n now holds the lock.  False when the
 * lock was held or had waiters; then nothing changed.
 */
static inline bool sb_cna_trylock(sb_cna_t *l, sb_cna_node_t *n)
{
	sb_cna_node_t *expected = NULL;

	if (atomic_load_explicit(&l->tail, memory_order_relaxed))
		return false;
	atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
	atomic_store_explicit(&n->spin, SB_CNA_GRANTED, memory_order_relaxed);
	n->passes = 0;
	/*
	 * acquire (on success): pairs with the release CAS in sb_cna_unlock()
	 * that emptied the queue.  release (on success): publishes
	 * n->next = NULL to our successor, as the swap in sb_cna_lock() does.
	 */
	return atomic_compare_exchange_strong_explicit(&l->tail, &expected, n, memory_order_acq_rel,
						       memory_order_relaxed);
}

/*
 * Give the lock to `to`, with spin value `spin` and pass count `passes`.
 * release: pairs with to's acquire spin in sb_cna_lock(); carries the
 * critical section and every queue edit the holder made (next, sec_tail).
 */
static inline void sb_cna_grant(sb_cna_node_t *to, uintptr_t spin, unsigned passes)
{
	to->passes = passes;
	atomic_store_explicit(&to->spin, spin, memory_order_release);
}

/*
 * Hand-off with a successor `next` linked (the contended path; out of line
 * so that the uncontended unlock stays small).  `spin` is the holder's own
 * spin word: 1, or the secondary queue's head.
 */
static __attribute__((noinline, unused)) void sb_cna_pass(sb_cna_node_t *n, sb_cna_node_t *next, uintptr_t spin)
{
	sb_cna_node_t *sec = spin == SB_CNA_GRANTED ? NULL : (sb_cna_node_t *)spin;
	sb_cna_node_t *cur, *last;

	if (sec && n->passes >= SB_CNA_PASS_BOUND)
		goto flush;
	/*
	 * Find the first waiter of our node.  Reading a NULL next ends the
	 * search: the last node of the queue is never moved, so a thread that
	 * is linking in behind it links into the main queue.
	 */
	last = NULL;
	cur = next;
	while (cur && cur->numa != n->numa) {
		last = cur;
		/* acquire: pairs with the release store of pred->next in _lock(). */
		cur = atomic_load_explicit(&cur->next, memory_order_acquire);
	}
	if (cur) {
		if (last) {
			/*
			 * Cut next..last out of the main queue and append it to
			 * the secondary queue.  Relaxed: only holders read these
			 * fields, ordered by the hand-offs' release/acquire.
			 */
			atomic_store_explicit(&last->next, NULL, memory_order_relaxed);
			if (sec)
				atomic_store_explicit(&sec->sec_tail->next, next, memory_order_relaxed);
			else
				sec = next;
			sec->sec_tail = last;
		}
		sb_cna_grant(cur, sec ? (uintptr_t)sec : SB_CNA_GRANTED, sec ? n->passes + 1 : 0);
		return;
	}
	if (!sec) {
		sb_cna_grant(next, SB_CNA_GRANTED, 0); /* plain MCS hand-off */
		return;
	}
flush:
	/* Splice the secondary queue in front of the main one; its head runs. */
	atomic_store_explicit(&sec->sec_tail->next, next, memory_order_relaxed);
	sb_cna_grant(sec, SB_CNA_GRANTED, 0);
}

/*
 * Hand the lock to a same-node waiter, the secondary queue or the next
 * waiter (see the head comment), or free it.  The caller must hold the lock
 * through n.  May wait (briefly) for a successor that has swapped the tail
 * but not yet linked itself in.
 */
static inline void sb_cna_unlock(sb_cna_t *l, sb_cna_node_t *n)
{
	/* Relaxed: our own word, last written by our granter (acquired) or us. */
	uintptr_t spin = atomic_load_explicit(&n->spin, memory_order_relaxed);
	sb_cna_node_t *next, *expected, *sec;

	/* acquire: pairs with the release store of pred->next in _lock(). */
	next = atomic_load_explicit(&n->next, memory_order_acquire);
	if (!next) {
		expected = n;
		sec = spin == SB_CNA_GRANTED ? NULL : (sb_cna_node_t *)spin;
		/*
		 * me -> NULL, or me -> the secondary queue's tail (which then
		 * becomes the main queue).  release: pairs with the acquire
		 * swap in sb_cna_lock() or CAS in sb_cna_trylock() of the next
		 * thread to find this tail; it publishes sec_tail->next = NULL
		 * to whoever links behind it.
		 */
		if (atomic_compare_exchange_strong_explicit(&l->tail, &expected, sec ? sec->sec_tail : NULL,
							    memory_order_release, memory_order_relaxed)) {
			if (sec)
				sb_cna_grant(sec, SB_CNA_GRANTED, 0);
			return;
		}
		/* A successor swapped the tail; wait for it to link in. */
		/* acquire: pairs with the release store of pred->next in _lock(). */
		while (!(next = atomic_load_explicit(&n->next, memory_order_acquire)))
			sb_spin_wait();
	}
	sb_cna_pass(n, next, spin);
}

SB_EXCLUSIVE_ONLY(cna)

#endif /* SPINBENCH_LOCKS_CNA_H */
