/*
 * pthread-spin - reference: glibc's pthread_spinlock_t.
 *
 * glibc implements it as a test-and-test-and-set on an int (exchange, then
 * spin on plain loads with PAUSE); no fairness.  The spin loop is inside
 * glibc, so it is not counted in `spins`.
 */
#ifndef SPINBENCH_LOCKS_PTHREAD_SPIN_H
#define SPINBENCH_LOCKS_PTHREAD_SPIN_H

#include <pthread.h>

#include "arch.h"

typedef struct sb_pthread_spin {
	SB_ALIGNED pthread_spinlock_t l;
} sb_pthread_spin_t;

SB_NO_NODE(pthread_spin)

static inline void sb_pthread_spin_init(sb_pthread_spin_t *l)
{
	pthread_spin_init(&l->l, PTHREAD_PROCESS_PRIVATE);
}

static inline void sb_pthread_spin_lock(sb_pthread_spin_t *l, sb_pthread_spin_node_t *n)
{
	(void)n;
	pthread_spin_lock(&l->l);
}

static inline bool sb_pthread_spin_trylock(sb_pthread_spin_t *l, sb_pthread_spin_node_t *n)
{
	(void)n;
	return pthread_spin_trylock(&l->l) == 0;
}

static inline void sb_pthread_spin_unlock(sb_pthread_spin_t *l, sb_pthread_spin_node_t *n)
{
	(void)n;
	pthread_spin_unlock(&l->l);
}

SB_EXCLUSIVE_ONLY(pthread_spin)

#endif
