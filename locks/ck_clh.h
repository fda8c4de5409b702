/*
 * ck-clh - reference: Concurrency Kit's ck_spinlock_clh.
 *
 * CLH queue lock: each waiter spins on its predecessor's node and adopts it
 * at unlock, so a thread's node pointer changes with every acquisition.  The
 * lock holds ck's initial "unowned" node.  ck has no CLH trylock; the adapter
 * adds one with ck's own CAS: enqueue only when the tail node is not waiting
 * (the lock is free), so a failed attempt leaves the queue untouched.
 *
 * That CAS alone is not enough (ABA on the tail pointer, as in locks/clh.h):
 * between our load of the tail node's flag and the CAS, other threads may
 * enqueue a node behind that tail node Q, acquire, release, and one of them,
 * having adopted Q at unlock, enqueue Q again, marked waiting.  The tail is Q
 * once more, so the CAS succeeds, but behind a node whose owner holds (or
 * waits for) the lock.  Once the CAS has succeeded we are in the queue for
 * good, so the trylock then waits on Q exactly as ck_spinlock_clh_lock()
 * waits on its predecessor, and returns true when Q is released.  This only
 * happens when the trylock is preempted between the load and the CAS; a
 * trylock may then wait behind a queue instead of failing, but mutual
 * exclusion holds.
 */
#ifndef SPINBENCH_LOCKS_CK_CLH_H
#define SPINBENCH_LOCKS_CK_CLH_H

#include <ck_spinlock.h>

#include "arch.h"

typedef struct sb_ck_clh {
	SB_ALIGNED ck_spinlock_clh_t *tail;
	SB_ALIGNED ck_spinlock_clh_t unowned;
} sb_ck_clh_t;

typedef struct sb_ck_clh_node {
	SB_ALIGNED ck_spinlock_clh_t *mine; /* the node this thread owns now */
	SB_ALIGNED ck_spinlock_clh_t storage;
} sb_ck_clh_node_t;

static inline void sb_ck_clh_init(sb_ck_clh_t *l)
{
	ck_spinlock_clh_init(&l->tail, &l->unowned);
}

static inline void sb_ck_clh_node_init(sb_ck_clh_node_t *n, unsigned tid)
{
	(void)tid;
	n->storage.wait = false;
	n->storage.previous = NULL;
	n->mine = &n->storage;
}

static inline void sb_ck_clh_lock(sb_ck_clh_t *l, sb_ck_clh_node_t *n)
{
	ck_spinlock_clh_lock(&l->tail, n->mine);
}

/*
 * True when the lock was free with nobody waiting and is now ours.  False
 * when it was held or had waiters; then nothing changed.  In the ABA case of
 * the head comment it waits for the predecessor before returning true.
 */
static inline bool sb_ck_clh_trylock(sb_ck_clh_t *l, sb_ck_clh_node_t *n)
{
	ck_spinlock_clh_t *tail = ck_pr_load_ptr(&l->tail);
	ck_spinlock_clh_t *me = n->mine;

	if (ck_pr_load_uint(&tail->wait))
		return false;
	me->wait = true;
	me->previous = tail;
	/*
	 * As in ck_spinlock_clh_lock(): orders me->wait = true before the CAS
	 * that publishes `me`, for the successor that will spin on it.
	 */
	ck_pr_fence_store_atomic();
	if (!ck_pr_cas_ptr(&l->tail, tail, me))
		return false;
	/*
	 * We are enqueued behind `tail`.  Re-check its flag, waiting as
	 * ck_spinlock_clh_lock() does: the load fence orders the CAS, which
	 * read the tail value published after the fence_store_atomic of
	 * whoever enqueued `tail`, before our loads of tail->wait, so we see
	 * its current life's flag (1 in the ABA case), not an older 0.
	 * Returns at once unless the ABA race hit.
	 */
	ck_pr_fence_load();
	while (ck_pr_load_uint(&tail->wait) == true)
		ck_pr_stall();
	/*
	 * As in ck_spinlock_clh_lock(): pairs with ck_pr_fence_unlock() in
	 * the predecessor's ck_spinlock_clh_unlock().
	 */
	ck_pr_fence_lock();
	return true;
}

static inline void sb_ck_clh_unlock(sb_ck_clh_t *l, sb_ck_clh_node_t *n)
{
	(void)l;
	ck_spinlock_clh_unlock(&n->mine);
}

SB_EXCLUSIVE_ONLY(ck_clh)

#endif
