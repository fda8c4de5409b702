/*
 * pthread-mutex - reference: glibc's default pthread_mutex_t.
 *
 * Not a spin lock: a futex word that puts waiters to sleep in the kernel.
 * It is here because it is what most code uses, so every spin-lock number
 * has the "just use a mutex" answer beside it.  No fairness promised.
 */
#ifndef SPINBENCH_LOCKS_PTHREAD_MUTEX_H
#define SPINBENCH_LOCKS_PTHREAD_MUTEX_H

#include <pthread.h>

#include "arch.h"

/* Colocated data goes after the whole pthread_mutex_t (harness/stamp.c). */
#define SB_LOCK_HOT_BYTES ((sizeof(pthread_mutex_t) + 7) / 8 * 8)

typedef struct sb_pthread_mutex {
	SB_ALIGNED pthread_mutex_t m;
} sb_pthread_mutex_t;

SB_NO_NODE(pthread_mutex)

static inline void sb_pthread_mutex_init(sb_pthread_mutex_t *l)
{
	pthread_mutex_init(&l->m, NULL);
}

static inline void sb_pthread_mutex_lock(sb_pthread_mutex_t *l, sb_pthread_mutex_node_t *n)
{
	(void)n;
	pthread_mutex_lock(&l->m);
}

static inline bool sb_pthread_mutex_trylock(sb_pthread_mutex_t *l, sb_pthread_mutex_node_t *n)
{
	(void)n;
	return pthread_mutex_trylock(&l->m) == 0;
}

static inline void sb_pthread_mutex_unlock(sb_pthread_mutex_t *l, sb_pthread_mutex_node_t *n)
{
	(void)n;
	pthread_mutex_unlock(&l->m);
}

SB_EXCLUSIVE_ONLY(pthread_mutex)

#endif
