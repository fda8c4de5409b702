/*
 * ck-ticket - reference: Concurrency Kit's ck_spinlock_ticket.
 *
 * FIFO ticket lock.  On x86-64 ck packs next/owner into one word and has a
 * trylock; where ck lacks one (other architectures), the adapter below
 * builds it from ck's own atomics: take ticket n only if owner == n.
 */
#ifndef SPINBENCH_LOCKS_CK_TICKET_H
#define SPINBENCH_LOCKS_CK_TICKET_H

#include <ck_spinlock.h>

#include "arch.h"

typedef struct sb_ck_ticket {
	SB_ALIGNED ck_spinlock_ticket_t l;
} sb_ck_ticket_t;

SB_NO_NODE(ck_ticket)

static inline void sb_ck_ticket_init(sb_ck_ticket_t *l)
{
	ck_spinlock_ticket_init(&l->l);
}

static inline void sb_ck_ticket_lock(sb_ck_ticket_t *l, sb_ck_ticket_node_t *n)
{
	(void)n;
	ck_spinlock_ticket_lock(&l->l);
}

static inline bool sb_ck_ticket_trylock(sb_ck_ticket_t *l, sb_ck_ticket_node_t *n)
{
	(void)n;
#ifdef CK_F_SPINLOCK_TICKET_TRYLOCK
	return ck_spinlock_ticket_trylock(&l->l);
#else
	/* owner == next means free; claiming ticket `next` then owns it. */
	unsigned int next = ck_pr_load_uint(&l->l.next);

	if (ck_pr_load_uint(&l->l.position) != next)
		return false;
	if (!ck_pr_cas_uint(&l->l.next, next, next + 1))
		return false;
	ck_pr_fence_lock();
	return true;
#endif
}

static inline void sb_ck_ticket_unlock(sb_ck_ticket_t *l, sb_ck_ticket_node_t *n)
{
	(void)n;
	ck_spinlock_ticket_unlock(&l->l);
}

SB_EXCLUSIVE_ONLY(ck_ticket)

#endif
