/*
 * ck-clh - reference: Concurrency Kit's ck_spinlock_clh.
 *
 * CLH queue lock: each waiter spins on its predecessor's node and adopts it
 * at unlock, so a thread's node pointer changes with every acquisition.  The
 * lock holds ck's initial "unowned" node.  ck has no CLH trylock; the adapter
 * adds one with ck's own CAS: enqueue only when the tail node is not waiting
 * (the lock is free), so a failed attempt leaves the queue untouched.
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

static inline bool sb_ck_clh_trylock(sb_ck_clh_t *l, sb_ck_clh_node_t *n)
{
	ck_spinlock_clh_t *tail = ck_pr_load_ptr(&l->tail);
	ck_spinlock_clh_t *me = n->mine;

	if (ck_pr_load_uint(&tail->wait))
		return false;
	me->wait = true;
	me->previous = tail;
	ck_pr_fence_store_atomic();
	if (!ck_pr_cas_ptr(&l->tail, tail, me))
		return false;
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
