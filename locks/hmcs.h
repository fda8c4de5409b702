/*
 * hmcs.h - hierarchical MCS lock over three levels: cache group (L3), NUMA
 * node, machine.
 *
 * M. Chabbi, M. Fagan and J. Mellor-Crummey, "High Performance Locks for
 * Multi-level NUMA Systems", PPoPP 2015 (HMCS).
 *
 * A tree of MCS locks, one level per level of the memory hierarchy:
 *	group:   one MCS lock per cache group, the calling thread's
 *	         sb_thread_group (locks/arch.h): the L3 of the PU the harness
 *	         bound it to; where the machine has no L3 the group is the node
 *	         itself, and with --virtual-nodes it is the virtual node;
 *	node:    one MCS lock per NUMA node, sb_thread_node;
 *	machine: one root MCS lock (locks/mcs.h).
 * Where the group is the node (no L3, virtual nodes, or a thread whose
 * sb_thread_group is unset, -1) the group level collapses: each node has one
 * group, its node-level queue never holds more than that group's entry, and
 * the lock behaves as the two-level HMCS (C-MCS-MCS) at the cost of one
 * uncontended swap.
 *
 * Threads queue at their group with their own queue node.  Each group owns
 * one queue node for the node level and each node one for the root (in the
 * lock, not in a thread).  The head of a group queue that did not inherit the
 * node level enqueues its group's node at its node's queue and waits there;
 * the head of that queue that did not inherit the root enqueues the node's
 * root node at the root.  Each waits on its own queue node's line.  At
 * unlock a holder with a group successor passes all three levels to it,
 * carrying the count of acquisitions of this group tenure, up to
 * SB_HMCS_GROUP_BOUND; otherwise it releases the node level through its
 * group's node: to the next group of that node with the root kept, carrying
 * the count of group tenures of this node tenure, up to SB_HMCS_NODE_BOUND;
 * otherwise it releases the root (to the next node, MCS order) and then the
 * node level; and then the group level, telling its successor there to
 * acquire the node level itself.  The upper queue nodes travel with the
 * lock: whoever releases a level uses the queue node of the group or node
 * that holds it, whichever thread enqueued it.  A group's node records the
 * node whose queue it entered (its head's sb_thread_node), so the tree stays
 * a tree even where a group spans nodes (an L3 shared by sub-NUMA clusters,
 * ids taken mod the maxima): such a group's tenure runs on the node of the
 * head that acquired the node level; only locality suffers.
 *
 * Fairness: not FIFO.  FIFO within a group (group MCS), among the groups of a
 * node (node MCS, one entry per group at most) and among nodes (root MCS,
 * one entry per node at most).  With G = SB_HMCS_GROUP_BOUND and
 * N = SB_HMCS_NODE_BOUND a group tenure has at most G acquisitions and a
 * node tenure at most N group tenures, N * G acquisitions.  So a node's
 * root entry waits at most (nodes - 1) * N * G acquisitions by other nodes,
 * and the head of a group queue, with g groups on its node, waits at most
 *	G * ((g - 1) + ceil(g / N) * (nodes - 1) * N)
 * acquisitions by other groups: the g - 1 other groups of its node ahead of
 * it at the node level, and the other nodes' tenures at each root release in
 * between (where every node has one group, node tenures are single group
 * tenures and the bound is (nodes - 1) * G, the two-level one).  trylock only
 * succeeds when its group queue, its node queue and the root are all empty,
 * so it never passes a waiter.
 *
 * Layout:
 *	lock: the root MCS tail on its own 128-byte line; per NUMA node
 *	      (SB_MAX_NUMA_NODES): the node tail on one line and the node's root
 *	      queue node on the next; per group (SB_MAX_GROUPS): the group tail
 *	      on one line and the group's node-level queue node on the next
 *	      (80 KiB + 128 bytes in all)
 *	node: one 128-byte line per thread (and per group, for the node level)
 *		next:   successor in the queue
 *		status: WAIT while queued; PARENT: you head the queue, acquire
 *			the level above yourself; 1..BOUND: the lock is yours
 *			with the levels above, you are the status-th
 *			acquisition (group level) or group tenure (node level)
 *			of this tenure
 *		group:  the owner thread's group (index into group[])
 *		numa:   the owner thread's node; in a group's node, the node
 *			whose queue it is in (index into node[])
 *
 * State transitions (root tail, node tail, group tail, status):
 *	lock, group queue empty or s == PARENT:
 *				enqueue the group's node at the node level; if
 *				that is empty or hands PARENT,
 *				sb_mcs_lock(root, node's root node); status = 1
 *	lock, group queue not empty:	swap, link; WAIT -> s
 *	unlock, group waiter, status < G:	succ WAIT -> status + 1
 *	unlock, otherwise:	release the node level: node waiter,
 *				its status < N: succ WAIT -> status + 1; else
 *				sb_mcs_unlock(root, node's root node), then
 *				succ WAIT -> PARENT or node tail -> NULL; then
 *				succ WAIT -> PARENT, or group tail me -> NULL
 *	trylock:		group NULL -> me (CAS), node NULL -> group's
 *				node (CAS), root NULL -> node's root node
 *				(sb_mcs_trylock); on a failure, undo the steps
 *				taken as releases without the level above
 */
#ifndef SPINBENCH_LOCKS_HMCS_H
#define SPINBENCH_LOCKS_HMCS_H

#include "arch.h"
#include "mcs.h"

/*
 * At most this many consecutive acquisitions by one group per acquisition
 * of the node level: amortises one transfer of the lock and its data out of
 * the L3 over 64 handoffs inside it.  64 keeps the collapsed lock (one group
 * per node: no L3, --virtual-nodes) the two-level hmcs it was, at the same
 * per-node tenure as cohort and cna, so that the three compare at equal
 * fairness; a waiting group head waits microseconds per tenure for short
 * critical sections, far below a scheduler tick.
 */
#ifndef SB_HMCS_GROUP_BOUND
#define SB_HMCS_GROUP_BOUND 64u
#endif

/*
 * At most this many consecutive group tenures of one node per root
 * acquisition.  A handoff between the L3s of a node costs a cache-to-cache
 * transfer across the die (on multi-CCX parts close to a cross-socket one),
 * so a node tenure of several group tenures is only worth it to amortise the
 * dearer cross-node transfer; 4 spreads one cross-node transfer over 4 * 64
 * acquisitions (under saturation ~0.4% of handoffs cross nodes, ~1.2% cross
 * groups inside a node) while a waiting node waits at most 256 acquisitions
 * per other node, still tens of microseconds for short critical sections.
 */
#ifndef SB_HMCS_NODE_BOUND
#define SB_HMCS_NODE_BOUND 4u
#endif

#define SB_HMCS_WAIT 0u
#define SB_HMCS_PARENT 0xffffffffu

typedef struct sb_hmcs_node {
	SB_ALIGNED _Atomic(struct sb_hmcs_node *) next;
	atomic_uint status;
	unsigned group;
	unsigned numa;
} sb_hmcs_node_t;

typedef struct sb_hmcs_numa {
	SB_ALIGNED _Atomic(sb_hmcs_node_t *) tail;
	sb_mcs_node_t root_node; /* SB_ALIGNED: its own line */
} sb_hmcs_numa_t;

typedef struct sb_hmcs_group {
	SB_ALIGNED _Atomic(sb_hmcs_node_t *) tail;
	sb_hmcs_node_t up; /* its own line; up.numa: the node queue it is in */
} sb_hmcs_group_t;

typedef struct sb_hmcs {
	sb_mcs_t root;
	sb_hmcs_numa_t node[SB_MAX_NUMA_NODES];
	sb_hmcs_group_t group[SB_MAX_GROUPS];
} sb_hmcs_t;

static inline void sb_hmcs_init(sb_hmcs_t *l)
{
	sb_mcs_init(&l->root);
	for (int i = 0; i < SB_MAX_NUMA_NODES; i++) {
		atomic_init(&l->node[i].tail, NULL);
		sb_mcs_node_init(&l->node[i].root_node, (unsigned)i);
	}
	for (int i = 0; i < SB_MAX_GROUPS; i++) {
		atomic_init(&l->group[i].tail, NULL);
		atomic_init(&l->group[i].up.next, NULL);
		atomic_init(&l->group[i].up.status, SB_HMCS_WAIT);
		l->group[i].up.group = (unsigned)i;
		l->group[i].up.numa = 0;
	}
}

/*
 * Records the calling thread's sb_thread_node and sb_thread_group: set them
 * before this call.  An unset group (-1) is the node: the group level
 * collapses.
 */
static inline void sb_hmcs_node_init(sb_hmcs_node_t *n, unsigned tid)
{
	(void)tid;
	atomic_init(&n->next, NULL);
	atomic_init(&n->status, SB_HMCS_WAIT);
	n->numa = (unsigned)sb_thread_node % SB_MAX_NUMA_NODES;
	n->group = sb_thread_group < 0 ? n->numa : (unsigned)sb_thread_group % SB_MAX_GROUPS;
}

/*
 * Queue q at one level (group or node): returns PARENT when q heads the
 * queue without the levels above (an empty queue, or handed PARENT), else
 * the count handed over with them, 1..bound.
 */
static inline unsigned sb_hmcs_enqueue_(_Atomic(sb_hmcs_node_t *) *tail, sb_hmcs_node_t *q)
{
	sb_hmcs_node_t *pred;
	unsigned s;

	atomic_store_explicit(&q->next, NULL, memory_order_relaxed);
	atomic_store_explicit(&q->status, SB_HMCS_WAIT, memory_order_relaxed);
	/*
	 * release: publishes the two resets above to our successor, which
	 * reads q from the tail and writes q->next.  acquire: pairs with that
	 * release of the predecessor's swap, or with the release CAS that
	 * emptied the queue in sb_hmcs_leave_() (which also ordered the last
	 * release of the levels above through this queue's upper node before
	 * us).
	 */
	pred = atomic_exchange_explicit(tail, q, memory_order_acq_rel);
	if (!pred)
		return SB_HMCS_PARENT;
	/*
	 * release: pairs with the acquire loads of q->next in
	 * sb_hmcs_next_() and sb_hmcs_leave_(), so status = WAIT is ordered
	 * before the predecessor's hand-off store.
	 */
	atomic_store_explicit(&pred->next, q, memory_order_release);
	/*
	 * acquire: pairs with the release hand-off stores in sb_hmcs_unlock()
	 * and sb_hmcs_leave_().
	 */
	while ((s = atomic_load_explicit(&q->status, memory_order_acquire)) == SB_HMCS_WAIT)
		sb_spin_wait();
	return s;
}

/*
 * q's successor at its level, or NULL.  With wait, waits (briefly) for a
 * successor that has swapped the tail but not linked in yet.
 */
static inline sb_hmcs_node_t *sb_hmcs_next_(_Atomic(sb_hmcs_node_t *) *tail, sb_hmcs_node_t *q, bool wait)
{
	/* acquire: pairs with the release store of pred->next in _enqueue_(). */
	sb_hmcs_node_t *next = atomic_load_explicit(&q->next, memory_order_acquire);

	if (!next && wait && atomic_load_explicit(tail, memory_order_relaxed) != q) {
		/* acquire: pairs with the release store of pred->next. */
		while (!(next = atomic_load_explicit(&q->next, memory_order_acquire)))
			sb_spin_wait();
	}
	return next;
}

/*
 * Leave q's level without the levels above (already released, or never
 * taken): the successor (next, or one linking in) now heads the queue and
 * acquires the level above itself; with none, the queue is empty.
 */
static inline void sb_hmcs_leave_(_Atomic(sb_hmcs_node_t *) *tail, sb_hmcs_node_t *q, sb_hmcs_node_t *next)
{
	if (!next) {
		sb_hmcs_node_t *expected = q;
		/*
		 * q -> NULL.  release: pairs with the acquire swap in
		 * _enqueue_() or CAS in _trylock() of the next arrival.
		 */
		if (atomic_compare_exchange_strong_explicit(tail, &expected, NULL, memory_order_release,
							    memory_order_relaxed))
			return;
		/* acquire: pairs with the release store of pred->next. */
		while (!(next = atomic_load_explicit(&q->next, memory_order_acquire)))
			sb_spin_wait();
	}
	/*
	 * WAIT -> PARENT.  release: pairs with the successor's acquire spin
	 * on its status in _enqueue_() (it heads the queue and owns the
	 * queue's upper node).
	 */
	atomic_store_explicit(&next->status, SB_HMCS_PARENT, memory_order_release);
}

/*
 * Queue at the group; acquire the node level and the root unless they came
 * with it.  Never fails; may wait forever if a holder never unlocks.
 */
static inline void sb_hmcs_lock(sb_hmcs_t *l, sb_hmcs_node_t *n)
{
	sb_hmcs_group_t *grp = &l->group[n->group];
	sb_hmcs_numa_t *nd = &l->node[n->numa];

	if (sb_hmcs_enqueue_(&grp->tail, n) != SB_HMCS_PARENT)
		return; /* passed within the group, node level and root held */
	/* We head the group queue: its upper node is ours until we release it. */
	grp->up.numa = n->numa;
	if (sb_hmcs_enqueue_(&nd->tail, &grp->up) == SB_HMCS_PARENT) {
		sb_mcs_lock(&l->root, &nd->root_node); /* acquire inside (mcs.h) */
		atomic_store_explicit(&grp->up.status, 1, memory_order_relaxed);
	}
	atomic_store_explicit(&n->status, 1, memory_order_relaxed);
}

/*
 * True when the group queue, the node queue and the root were all empty,
 * and all three are now ours.  False otherwise; no waiter is passed (a
 * waiter that queued behind our brief attempt at a level is told to acquire
 * the level above itself, as if it had been first).
 */
static inline bool sb_hmcs_trylock(sb_hmcs_t *l, sb_hmcs_node_t *n)
{
	sb_hmcs_group_t *grp = &l->group[n->group];
	sb_hmcs_numa_t *nd = &l->node[n->numa];
	sb_hmcs_node_t *expected = NULL;

	if (atomic_load_explicit(&grp->tail, memory_order_relaxed) ||
	    atomic_load_explicit(&nd->tail, memory_order_relaxed) ||
	    atomic_load_explicit(&l->root.tail, memory_order_relaxed))
		return false;
	atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
	atomic_store_explicit(&n->status, 1, memory_order_relaxed);
	/*
	 * acquire (on success): pairs with the release CAS that emptied the
	 * group queue.  release: publishes n->next = NULL to a successor, as
	 * the swap in _enqueue_() does.
	 */
	if (!atomic_compare_exchange_strong_explicit(&grp->tail, &expected, n, memory_order_acq_rel,
						     memory_order_relaxed))
		return false;
	/* The group is ours, so is its upper node. */
	grp->up.numa = n->numa;
	atomic_store_explicit(&grp->up.next, NULL, memory_order_relaxed);
	atomic_store_explicit(&grp->up.status, 1, memory_order_relaxed);
	expected = NULL;
	/*
	 * acquire (on success): pairs with the release CAS that emptied the
	 * node queue.  release: publishes the resets of up to a successor.
	 */
	if (atomic_compare_exchange_strong_explicit(&nd->tail, &expected, &grp->up, memory_order_acq_rel,
						    memory_order_relaxed)) {
		/* The node level is ours, so is its root node.  acquire inside (mcs.h). */
		if (sb_mcs_trylock(&l->root, &nd->root_node))
			return true;
		sb_hmcs_leave_(&nd->tail, &grp->up, NULL);
	}
	sb_hmcs_leave_(&grp->tail, n, NULL);
	return false;
}

/*
 * Pass the lock within the group, or release the node level (passing it
 * within the node, or releasing the root and then the node level) and then
 * the group.  The caller must hold the lock through n.  May wait (briefly)
 * for a successor that has swapped a tail but not linked in yet, and inside
 * the root's MCS unlock for a root successor doing the same.
 */
static inline void sb_hmcs_unlock(sb_hmcs_t *l, sb_hmcs_node_t *n)
{
	sb_hmcs_group_t *grp = &l->group[n->group];
	unsigned s = atomic_load_explicit(&n->status, memory_order_relaxed);
	sb_hmcs_node_t *next = sb_hmcs_next_(&grp->tail, n, s < SB_HMCS_GROUP_BOUND);

	if (next && s < SB_HMCS_GROUP_BOUND) {
		/*
		 * WAIT -> s + 1, node level and root kept.  release: pairs with
		 * the successor's acquire spin on its status in _enqueue_();
		 * carries the critical section and the levels above (and the
		 * group's upper node) to it.
		 */
		atomic_store_explicit(&next->status, s + 1, memory_order_release);
		return;
	}
	/* The node level, through the group's upper node, in whichever node's queue it is. */
	sb_hmcs_node_t *up = &grp->up;
	sb_hmcs_numa_t *nd = &l->node[up->numa];
	unsigned us = atomic_load_explicit(&up->status, memory_order_relaxed);
	sb_hmcs_node_t *unext = sb_hmcs_next_(&nd->tail, up, us < SB_HMCS_NODE_BOUND);

	if (unext && us < SB_HMCS_NODE_BOUND) {
		/*
		 * WAIT -> us + 1, root kept.  release: pairs with the acquire
		 * spin of the next group's head on its group's upper node in
		 * _enqueue_(); carries the critical section and the root (and
		 * the node's root node) to it.
		 */
		atomic_store_explicit(&unext->status, us + 1, memory_order_release);
	} else {
		sb_mcs_unlock(&l->root, &nd->root_node); /* release inside (mcs.h) */
		sb_hmcs_leave_(&nd->tail, up, unext);
	}
	sb_hmcs_leave_(&grp->tail, n, next);
}

SB_EXCLUSIVE_ONLY(hmcs)

#endif /* SPINBENCH_LOCKS_HMCS_H */
