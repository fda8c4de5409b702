/*
 * hmcs.h - hierarchical MCS lock over two levels: NUMA node, machine.
 *
 * M. Chabbi, M. Fagan and J. Mellor-Crummey, "High Performance Locks for
 * Multi-level NUMA Systems", PPoPP 2015 (HMCS).
 *
 * A tree of MCS locks, one per level of the memory hierarchy; here two
 * levels: a leaf MCS lock per NUMA node (the calling thread's sb_thread_node)
 * and one root MCS lock for the machine.  Threads queue at their node's leaf
 * with their own queue node.  Each leaf owns one queue node for the root
 * lock (in the lock, not in a thread): the head of a leaf queue that did not
 * inherit the root lock enqueues its leaf's root node at the root and waits
 * there, spinning on that node's own line.  At unlock a holder with a leaf
 * successor passes both locks to it, carrying the count of acquisitions of
 * this tenure, until the count reaches SB_HMCS_PASS_BOUND; then it releases
 * the root (to the next node's waiting leaf head, MCS order) and then the
 * leaf, telling its successor to acquire the root itself.  The root node
 * travels with the lock: whoever releases the root uses its leaf's node,
 * whichever thread enqueued it.
 *
 * With two levels HMCS is the cohort lock C-MCS-MCS (locks/cohort.h is the
 * same scheme with a ticket lock at the top): the difference from `cohort`
 * is that the nodes' heads wait in a queue, each on its own line, instead
 * of all polling one ticket word.  The paper's deeper hierarchies (socket,
 * L3, core from hwloc, with one threshold per level) are not done here: the
 * harness hands locks one id per thread (sb_thread_node), and two levels
 * are what NUMA handoff locality needs; more levels would take per-level ids
 * from the topology.
 *
 * Fairness: not FIFO.  FIFO within a node (leaf MCS) and among nodes (root
 * MCS, one entry per node at most).  A tenure has at most SB_HMCS_PASS_BOUND
 * acquisitions, so a leaf head waiting at the root waits at most
 * (nodes - 1) * SB_HMCS_PASS_BOUND acquisitions by other nodes.  trylock
 * only succeeds when its leaf queue is empty and the root is free, so it
 * never passes a waiter.
 *
 * Layout:
 *	lock: the root MCS tail on its own 128-byte line, then per NUMA node
 *	      (SB_MAX_NUMA_NODES, 16 KiB in all): the leaf tail on one line and
 *	      the leaf's root queue node on the next
 *	node: one 128-byte line per thread
 *		next:   successor in the leaf queue
 *		status: WAIT while queued; ROOT: you head the leaf queue,
 *			acquire the root yourself; 1..BOUND: the lock is yours
 *			with the root, you are the status-th acquisition of
 *			this tenure
 *		numa:   the owner thread's node (index into leaf[])
 *
 * State transitions (root tail, leaf tail, status):
 *	lock, leaf empty:	swap leaf tail; sb_mcs_lock(root, leaf's node);
 *				status = 1
 *	lock, leaf not empty:	swap, link; WAIT -> s; s == ROOT: as above
 *	unlock, leaf waiter, status < BOUND:	succ WAIT -> status + 1
 *	unlock, otherwise:	sb_mcs_unlock(root, leaf's node); then
 *				succ WAIT -> ROOT, or leaf tail me -> NULL
 *	trylock:		leaf NULL -> me (CAS), then root NULL -> leaf's
 *				node (sb_mcs_trylock); if that fails, undo the
 *				leaf step as an unlock without the root
 */
#ifndef SPINBENCH_LOCKS_HMCS_H
#define SPINBENCH_LOCKS_HMCS_H

#include "arch.h"
#include "mcs.h"

/*
 * At most this many consecutive acquisitions by one node per root
 * acquisition: amortises one cross-node transfer of the lock and its data
 * over 64 local handoffs (under saturation at most ~1.6% of handoffs cross
 * nodes) while a waiting node waits at most 64 acquisitions per other node,
 * microseconds for short critical sections, far below a scheduler tick.
 * Same value as cohort and cna, so that the three compare at equal fairness.
 */
#ifndef SB_HMCS_PASS_BOUND
#define SB_HMCS_PASS_BOUND 64u
#endif

#define SB_HMCS_WAIT 0u
#define SB_HMCS_ROOT 0xffffffffu

typedef struct sb_hmcs_node {
	SB_ALIGNED _Atomic(struct sb_hmcs_node *) next;
	atomic_uint status;
	unsigned numa;
} sb_hmcs_node_t;

typedef struct sb_hmcs_leaf {
	SB_ALIGNED _Atomic(sb_hmcs_node_t *) tail;
	sb_mcs_node_t root_node; /* SB_ALIGNED: its own line */
} sb_hmcs_leaf_t;

typedef struct sb_hmcs {
	sb_mcs_t root;
	sb_hmcs_leaf_t leaf[SB_MAX_NUMA_NODES];
} sb_hmcs_t;

static inline void sb_hmcs_init(sb_hmcs_t *l)
{
	sb_mcs_init(&l->root);
	for (int i = 0; i < SB_MAX_NUMA_NODES; i++) {
		atomic_init(&l->leaf[i].tail, NULL);
		sb_mcs_node_init(&l->leaf[i].root_node, (unsigned)i);
	}
}

/* Records the calling thread's sb_thread_node: set it before this call. */
static inline void sb_hmcs_node_init(sb_hmcs_node_t *n, unsigned tid)
{
	(void)tid;
	atomic_init(&n->next, NULL);
	atomic_init(&n->status, SB_HMCS_WAIT);
	n->numa = (unsigned)sb_thread_node % SB_MAX_NUMA_NODES;
}

/*
 * Queue at the node's leaf; acquire the root unless it came with the leaf.
 * Never fails; may wait forever if a holder never unlocks.
 */
static inline void sb_hmcs_lock(sb_hmcs_t *l, sb_hmcs_node_t *n)
{
	sb_hmcs_leaf_t *leaf = &l->leaf[n->numa];
	sb_hmcs_node_t *pred;
	unsigned s;

	atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
	atomic_store_explicit(&n->status, SB_HMCS_WAIT, memory_order_relaxed);
	/*
	 * release: publishes the two resets above to our leaf successor,
	 * which reads our node from the tail and writes n->next.  acquire:
	 * pairs with that release of the predecessor's swap, or with the
	 * release CAS that emptied the leaf queue (which also ordered the
	 * last root release through this leaf's root node before us).
	 */
	pred = atomic_exchange_explicit(&leaf->tail, n, memory_order_acq_rel);
	if (pred) {
		/*
		 * release: pairs with the acquire loads of n->next in
		 * sb_hmcs_unlock(), so status = WAIT is ordered before the
		 * predecessor's hand-off store.
		 */
		atomic_store_explicit(&pred->next, n, memory_order_release);
		/* acquire: pairs with the release hand-off store in _unlock(). */
		while ((s = atomic_load_explicit(&n->status,
						 memory_order_acquire)) ==
		       SB_HMCS_WAIT)
			sb_spin_wait();
		if (s != SB_HMCS_ROOT)
			return; /* passed within the node, root held */
	}
	sb_mcs_lock(&l->root, &leaf->root_node); /* acquire inside (mcs.h) */
	atomic_store_explicit(&n->status, 1, memory_order_relaxed);
}

/*
 * True when the leaf queue was empty and the root free, and both are now
 * ours.  False otherwise; no waiter is passed (a leaf waiter that queued
 * behind our brief attempt is told to acquire the root itself, as if it
 * had been first).
 */
static inline bool sb_hmcs_trylock(sb_hmcs_t *l, sb_hmcs_node_t *n)
{
	sb_hmcs_leaf_t *leaf = &l->leaf[n->numa];
	sb_hmcs_node_t *expected = NULL, *next;

	if (atomic_load_explicit(&leaf->tail, memory_order_relaxed) ||
	    atomic_load_explicit(&l->root.tail, memory_order_relaxed))
		return false;
	atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
	atomic_store_explicit(&n->status, 1, memory_order_relaxed);
	/*
	 * acquire (on success): pairs with the release CAS that emptied the
	 * leaf queue.  release: publishes n->next = NULL to a successor, as
	 * the swap in sb_hmcs_lock() does.
	 */
	if (!atomic_compare_exchange_strong_explicit(&leaf->tail, &expected, n,
						     memory_order_acq_rel,
						     memory_order_relaxed))
		return false;
	/* The leaf is ours, so is its root node.  acquire inside (mcs.h). */
	if (sb_mcs_trylock(&l->root, &leaf->root_node))
		return true;
	expected = n;
	/* release: pairs with the acquire swap or CAS of the next arrival. */
	if (atomic_compare_exchange_strong_explicit(&leaf->tail, &expected,
						    NULL, memory_order_release,
						    memory_order_relaxed))
		return false;
	/* acquire: pairs with the successor's release store of pred->next. */
	while (!(next = atomic_load_explicit(&n->next, memory_order_acquire)))
		sb_spin_wait();
	/* release: pairs with the successor's acquire spin on its status. */
	atomic_store_explicit(&next->status, SB_HMCS_ROOT, memory_order_release);
	return false;
}

/*
 * Pass the lock within the node, or release the root and then the leaf.
 * The caller must hold the lock through n.  May wait (briefly) for a leaf
 * successor that has swapped the tail but not linked in yet, and inside
 * the root's MCS unlock for a root successor doing the same.
 */
static inline void sb_hmcs_unlock(sb_hmcs_t *l, sb_hmcs_node_t *n)
{
	sb_hmcs_leaf_t *leaf = &l->leaf[n->numa];
	unsigned s = atomic_load_explicit(&n->status, memory_order_relaxed);
	sb_hmcs_node_t *next, *expected;

	/* acquire: pairs with the release store of pred->next in _lock(). */
	next = atomic_load_explicit(&n->next, memory_order_acquire);
	if (!next && s < SB_HMCS_PASS_BOUND &&
	    atomic_load_explicit(&leaf->tail, memory_order_relaxed) != n) {
		/* A leaf waiter is linking in: wait for it, then pass. */
		/* acquire: pairs with the release store of pred->next. */
		while (!(next = atomic_load_explicit(&n->next,
						     memory_order_acquire)))
			sb_spin_wait();
	}
	if (next && s < SB_HMCS_PASS_BOUND) {
		/*
		 * WAIT -> s + 1, root kept.  release: pairs with the
		 * successor's acquire spin on its status; carries the critical
		 * section and the root (and its root node) to it.
		 */
		atomic_store_explicit(&next->status, s + 1, memory_order_release);
		return;
	}
	sb_mcs_unlock(&l->root, &leaf->root_node); /* release inside (mcs.h) */
	if (!next) {
		expected = n;
		/*
		 * me -> NULL.  release: pairs with the acquire swap in _lock()
		 * or CAS in _trylock() of the next thread of this node.
		 */
		if (atomic_compare_exchange_strong_explicit(
			    &leaf->tail, &expected, NULL, memory_order_release,
			    memory_order_relaxed))
			return;
		/* acquire: pairs with the release store of pred->next. */
		while (!(next = atomic_load_explicit(&n->next,
						     memory_order_acquire)))
			sb_spin_wait();
	}
	/*
	 * WAIT -> ROOT.  release: pairs with the successor's acquire spin on
	 * its status (it now heads the leaf queue and owns its root node).
	 */
	atomic_store_explicit(&next->status, SB_HMCS_ROOT, memory_order_release);
}

SB_EXCLUSIVE_ONLY(hmcs)

#endif /* SPINBENCH_LOCKS_HMCS_H */
