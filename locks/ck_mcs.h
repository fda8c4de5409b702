/*
 * ck-mcs - reference: Concurrency Kit's ck_spinlock_mcs.
 *
 * MCS queue lock with a caller-supplied node, like our `mcs`; FIFO.
 */
#ifndef SPINBENCH_LOCKS_CK_MCS_H
#define SPINBENCH_LOCKS_CK_MCS_H

#include <ck_spinlock.h>

#include "arch.h"

typedef struct sb_ck_mcs {
	SB_ALIGNED ck_spinlock_mcs_t tail;
} sb_ck_mcs_t;

typedef struct sb_ck_mcs_node {
	SB_ALIGNED ck_spinlock_mcs_context_t ctx;
} sb_ck_mcs_node_t;

static inline void sb_ck_mcs_init(sb_ck_mcs_t *l)
{
	ck_spinlock_mcs_init(&l->tail);
}

static inline void sb_ck_mcs_node_init(sb_ck_mcs_node_t *n, unsigned tid)
{
	(void)tid;
	n->ctx.locked = false;
	n->ctx.next = NULL;
}

static inline void sb_ck_mcs_lock(sb_ck_mcs_t *l, sb_ck_mcs_node_t *n)
{
	ck_spinlock_mcs_lock(&l->tail, &n->ctx);
}

static inline bool sb_ck_mcs_trylock(sb_ck_mcs_t *l, sb_ck_mcs_node_t *n)
{
	return ck_spinlock_mcs_trylock(&l->tail, &n->ctx);
}

static inline void sb_ck_mcs_unlock(sb_ck_mcs_t *l, sb_ck_mcs_node_t *n)
{
	ck_spinlock_mcs_unlock(&l->tail, &n->ctx);
}

SB_EXCLUSIVE_ONLY(ck_mcs)

#endif
