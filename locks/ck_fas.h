/*
 * ck-fas - reference: Concurrency Kit's ck_spinlock_fas (Debian libck-dev).
 *
 * Fetch-and-store test-and-set with a read-only spin between exchanges; no
 * fairness.  ck's documentation picks it as its default spin lock for the
 * lowest uncontended latency.  ck's atomics are inline asm, invisible to
 * ThreadSanitizer (flag SB_F_OPAQUE), and its spin loop is not counted.
 */
#ifndef SPINBENCH_LOCKS_CK_FAS_H
#define SPINBENCH_LOCKS_CK_FAS_H

#include <ck_spinlock.h>

#include "arch.h"

typedef struct sb_ck_fas {
	SB_ALIGNED ck_spinlock_fas_t l;
} sb_ck_fas_t;

SB_NO_NODE(ck_fas)

static inline void sb_ck_fas_init(sb_ck_fas_t *l)
{
	ck_spinlock_fas_init(&l->l);
}

static inline void sb_ck_fas_lock(sb_ck_fas_t *l, sb_ck_fas_node_t *n)
{
	(void)n;
	ck_spinlock_fas_lock(&l->l);
}

static inline bool sb_ck_fas_trylock(sb_ck_fas_t *l, sb_ck_fas_node_t *n)
{
	(void)n;
	return ck_spinlock_fas_trylock(&l->l);
}

static inline void sb_ck_fas_unlock(sb_ck_fas_t *l, sb_ck_fas_node_t *n)
{
	(void)n;
	ck_spinlock_fas_unlock(&l->l);
}

SB_EXCLUSIVE_ONLY(ck_fas)

#endif
