/*
 * cohort.h - lock cohorting: a global ticket lock over per-NUMA-node MCS
 * locks (C-TKT-MCS).
 *
 * D. Dice, V. J. Marathe and N. Shavit, "Lock Cohorting: A General Technique
 * for Designing NUMA Locks", PPoPP 2012.
 *
 * Two levels.  Each NUMA node has a local MCS queue; the machine has one
 * global ticket lock (locks/ticket.h).  A thread first queues in its node's
 * MCS lock.  The head of a node's queue that did not inherit the global lock
 * takes a ticket and waits for it.  At unlock the holder asks "is anybody
 * of my node waiting?" (cohort detection: my MCS successor, or a tail that
 * is no longer me).  If so, and the node's current tenure has not reached
 * SB_COHORT_PASS_BOUND acquisitions, it passes the local lock with the
 * global one still held: the next owner runs on the same node, the lock
 * and the data it protects stay in that node's caches.  Otherwise it
 * releases the global lock, then the local one; a local successor then
 * takes a ticket of its own, behind the other nodes' heads.
 *
 * The global lock must be thread-oblivious: the thread that releases it is
 * usually not the one that acquired it.  A ticket lock is (unlock advances
 * `owner`, whoever does it), and it is FIFO among the nodes' heads, which
 * gives the bound below.  The local lock needs cohort detection, which the
 * MCS queue provides.
 *
 * Fairness: not FIFO.  FIFO within a node (MCS); among nodes, ticket order of
 * their heads.  A tenure (the consecutive acquisitions by one node under one
 * global acquisition) has at most SB_COHORT_PASS_BOUND acquisitions, and at
 * most one ticket per node is taken or waiting at any time (only a node's
 * queue head takes one).  So once a waiter heads its node's queue it waits
 * for at most (nodes - 1) tenures, at most (nodes - 1) * SB_COHORT_PASS_BOUND
 * acquisitions by other threads, plus those of its own node's tenure in
 * progress.  trylock only succeeds when its node's queue is empty and the
 * global lock is free, so it never passes a waiter.
 *
 * Node ids: node_init() reads the calling thread's sb_thread_node (its real
 * or virtual NUMA node, locks/arch.h) into the queue node; ids are taken
 * mod SB_MAX_NUMA_NODES.
 *
 * Layout:
 *	lock: the global ticket lock on its own 128-byte line, then
 *	      SB_MAX_NUMA_NODES local MCS tails, each alone on its 128-byte line
 *	      (8 KiB + 128 bytes in all)
 *	node: one 128-byte line per thread
 *		next:   successor in the node's MCS queue
 *		status: WAIT while queued; GLOBAL: you head the node's queue,
 *			take the global lock yourself; 1..BOUND: the lock is
 *			yours, the global lock came with it, and you are the
 *			status-th acquisition of this node's tenure
 *		numa:   the owner thread's node (index into local[])
 *
 * State transitions (global ticket, local tail, status):
 *	lock, local queue empty:   swap tail; take a ticket, wait; status = 1
 *	lock, local queue not:     swap tail, link; wait for WAIT -> s;
 *				   s == GLOBAL: take a ticket, wait; status = 1
 *	unlock, local waiter, status < BOUND:  succ WAIT -> status + 1
 *	unlock, otherwise:         ticket owner + 1; then
 *				   succ WAIT -> GLOBAL, or tail me -> NULL
 *	trylock:                   local tail NULL -> me (CAS), then ticket
 *				   n,n -> n+1,n (CAS); if that fails, undo the
 *				   local step as an unlock without global
 */
#ifndef SPINBENCH_LOCKS_COHORT_H
#define SPINBENCH_LOCKS_COHORT_H

#include "arch.h"
#include "ticket.h"

/*
 * At most this many consecutive acquisitions by one node per global
 * acquisition.  64 amortises the cross-node transfer of the lock and its
 * data (2-3x a local handoff on two-socket x86) over 64 local handoffs, so
 * under saturation at most ~1.6% of handoffs cross nodes; and a remote
 * node's head waits at most 64 acquisitions per other node, a few to tens
 * of microseconds for critical sections of ~100 ns: far below a scheduler
 * tick, so nothing looks starved.  Same value as cna and hmcs, so that the
 * three compare at equal fairness.
 */
#ifndef SB_COHORT_PASS_BOUND
#define SB_COHORT_PASS_BOUND 64u
#endif

#define SB_COHORT_WAIT 0u
#define SB_COHORT_GLOBAL 0xffffffffu

typedef struct sb_cohort_node {
	SB_ALIGNED _Atomic(struct sb_cohort_node *) next;
	atomic_uint status;
	unsigned numa;
} sb_cohort_node_t;

typedef struct sb_cohort_local {
	SB_ALIGNED _Atomic(sb_cohort_node_t *) tail;
} sb_cohort_local_t;

typedef struct sb_cohort {
	sb_ticket_t global;
	sb_cohort_local_t local[SB_MAX_NUMA_NODES];
} sb_cohort_t;

static inline void sb_cohort_init(sb_cohort_t *l)
{
	sb_ticket_init(&l->global);
	for (int i = 0; i < SB_MAX_NUMA_NODES; i++)
		atomic_init(&l->local[i].tail, NULL);
}

/* Records the calling thread's sb_thread_node: set it before this call. */
static inline void sb_cohort_node_init(sb_cohort_node_t *n, unsigned tid)
{
	(void)tid;
	atomic_init(&n->next, NULL);
	atomic_init(&n->status, SB_COHORT_WAIT);
	n->numa = (unsigned)sb_thread_node % SB_MAX_NUMA_NODES;
}

/*
 * Queue in the node's MCS lock; take the global lock unless it was passed
 * with the local one.  Never fails; may wait forever if a holder never
 * unlocks.
 */
static inline void sb_cohort_lock(sb_cohort_t *l, sb_cohort_node_t *n)
{
	sb_cohort_local_t *loc = &l->local[n->numa];
	sb_cohort_node_t *pred;
	unsigned s;

	atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
	atomic_store_explicit(&n->status, SB_COHORT_WAIT, memory_order_relaxed);
	/*
	 * release: publishes the two resets above to our local successor,
	 * which reads our node from the tail and writes n->next.  acquire:
	 * pairs with that release of the predecessor's swap (its next = NULL
	 * is ordered before our store to it), or with the release CAS that
	 * emptied the local queue.
	 */
	pred = atomic_exchange_explicit(&loc->tail, n, memory_order_acq_rel);
	if (pred) {
		/*
		 * release: pairs with the acquire loads of n->next in
		 * sb_cohort_unlock(), so status = WAIT is ordered before the
		 * predecessor's hand-off store.
		 */
		atomic_store_explicit(&pred->next, n, memory_order_release);
		/* acquire: pairs with the release hand-off store in _unlock(). */
		while ((s = atomic_load_explicit(&n->status, memory_order_acquire)) == SB_COHORT_WAIT)
			sb_spin_wait();
		if (s != SB_COHORT_GLOBAL)
			return; /* passed within the cohort, global lock held */
	}
	sb_ticket_lock(&l->global, NULL); /* acquire inside (ticket.h) */
	atomic_store_explicit(&n->status, 1, memory_order_relaxed);
}

/*
 * True when the node's queue was empty and the global lock free, and both
 * are now ours.  False otherwise; then no waiter was passed or delayed
 * beyond one failed CAS (a local waiter that queued behind our brief
 * attempt is told to take the global lock itself, as if it had been first).
 */
static inline bool sb_cohort_trylock(sb_cohort_t *l, sb_cohort_node_t *n)
{
	sb_cohort_local_t *loc = &l->local[n->numa];
	sb_cohort_node_t *expected = NULL, *next;

	if (atomic_load_explicit(&loc->tail, memory_order_relaxed))
		return false;
	if (!sb_ticket_looks_free(&l->global))
		return false;
	atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
	atomic_store_explicit(&n->status, 1, memory_order_relaxed);
	/*
	 * acquire (on success): pairs with the release CAS that emptied the
	 * local queue.  release: publishes n->next = NULL to a successor, as
	 * the swap in sb_cohort_lock() does.
	 */
	if (!atomic_compare_exchange_strong_explicit(&loc->tail, &expected, n, memory_order_acq_rel,
						     memory_order_relaxed))
		return false;
	if (sb_ticket_trylock(&l->global, NULL)) /* acquire inside */
		return true;
	/* Undo the local step: me -> NULL, or hand the head to a successor. */
	expected = n;
	/* release: pairs with the acquire swap or CAS of the next arrival. */
	if (atomic_compare_exchange_strong_explicit(&loc->tail, &expected, NULL, memory_order_release,
						    memory_order_relaxed))
		return false;
	/* acquire: pairs with the successor's release store of pred->next. */
	while (!(next = atomic_load_explicit(&n->next, memory_order_acquire)))
		sb_spin_wait();
	/* release: pairs with the successor's acquire spin on its status. */
	atomic_store_explicit(&next->status, SB_COHORT_GLOBAL, memory_order_release);
	return false;
}

/*
 * Pass the lock within the node, or release the global lock and then the
 * local one.  The caller must hold the lock through n.  May wait (briefly)
 * for a local successor that has swapped the tail but not linked in yet.
 */
static inline void sb_cohort_unlock(sb_cohort_t *l, sb_cohort_node_t *n)
{
	sb_cohort_local_t *loc = &l->local[n->numa];
	unsigned s = atomic_load_explicit(&n->status, memory_order_relaxed);
	sb_cohort_node_t *next, *expected;

	/* acquire: pairs with the release store of pred->next in _lock(). */
	next = atomic_load_explicit(&n->next, memory_order_acquire);
	if (!next && s < SB_COHORT_PASS_BOUND && atomic_load_explicit(&loc->tail, memory_order_relaxed) != n) {
		/* Cohort detected: a local waiter is linking in. */
		/* acquire: pairs with the release store of pred->next. */
		while (!(next = atomic_load_explicit(&n->next, memory_order_acquire)))
			sb_spin_wait();
	}
	if (next && s < SB_COHORT_PASS_BOUND) {
		/*
		 * WAIT -> s + 1, global lock kept.  release: pairs with the
		 * successor's acquire spin on its status; carries the critical
		 * section and the global lock's ownership.
		 */
		atomic_store_explicit(&next->status, s + 1, memory_order_release);
		return;
	}
	sb_ticket_unlock(&l->global, NULL); /* release inside (ticket.h) */
	if (!next) {
		expected = n;
		/*
		 * me -> NULL.  release: pairs with the acquire swap in _lock()
		 * or CAS in _trylock() of the next thread of this node.
		 */
		if (atomic_compare_exchange_strong_explicit(&loc->tail, &expected, NULL, memory_order_release,
							    memory_order_relaxed))
			return;
		/* acquire: pairs with the release store of pred->next. */
		while (!(next = atomic_load_explicit(&n->next, memory_order_acquire)))
			sb_spin_wait();
	}
	/*
	 * WAIT -> GLOBAL.  release: pairs with the successor's acquire spin on
	 * its status (it now heads the node's queue).
	 */
	atomic_store_explicit(&next->status, SB_COHORT_GLOBAL, memory_order_release);
}

SB_EXCLUSIVE_ONLY(cohort)

#endif /* SPINBENCH_LOCKS_COHORT_H */
