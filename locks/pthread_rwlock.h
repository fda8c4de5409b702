/*
 * pthread-rwlock - reference: glibc's default pthread_rwlock_t.
 *
 * A sleeping reader/writer lock; glibc's default kind
 * (PTHREAD_RWLOCK_PREFER_READER_NP) prefers readers, so writers can starve
 * under a steady stream of readers.  No try-convert.
 */
#ifndef SPINBENCH_LOCKS_PTHREAD_RWLOCK_H
#define SPINBENCH_LOCKS_PTHREAD_RWLOCK_H

#include <pthread.h>

#include "arch.h"

/* Colocated data goes after the whole pthread_rwlock_t (harness/stamp.c). */
#define SB_LOCK_HOT_BYTES ((sizeof(pthread_rwlock_t) + 7) / 8 * 8)

typedef struct sb_pthread_rwlock {
	SB_ALIGNED pthread_rwlock_t rw;
} sb_pthread_rwlock_t;

SB_NO_NODE(pthread_rwlock)

static inline void sb_pthread_rwlock_init(sb_pthread_rwlock_t *l)
{
	pthread_rwlock_init(&l->rw, NULL);
}

static inline void sb_pthread_rwlock_lock(sb_pthread_rwlock_t *l, sb_pthread_rwlock_node_t *n)
{
	(void)n;
	pthread_rwlock_wrlock(&l->rw);
}

static inline bool sb_pthread_rwlock_trylock(sb_pthread_rwlock_t *l, sb_pthread_rwlock_node_t *n)
{
	(void)n;
	return pthread_rwlock_trywrlock(&l->rw) == 0;
}

static inline void sb_pthread_rwlock_unlock(sb_pthread_rwlock_t *l, sb_pthread_rwlock_node_t *n)
{
	(void)n;
	pthread_rwlock_unlock(&l->rw);
}

static inline void sb_pthread_rwlock_read_lock(sb_pthread_rwlock_t *l, sb_pthread_rwlock_node_t *n)
{
	(void)n;
	pthread_rwlock_rdlock(&l->rw);
}

static inline bool sb_pthread_rwlock_read_trylock(sb_pthread_rwlock_t *l, sb_pthread_rwlock_node_t *n)
{
	(void)n;
	return pthread_rwlock_tryrdlock(&l->rw) == 0;
}

static inline void sb_pthread_rwlock_read_unlock(sb_pthread_rwlock_t *l, sb_pthread_rwlock_node_t *n)
{
	(void)n;
	pthread_rwlock_unlock(&l->rw);
}

SB_NO_CONVERT(pthread_rwlock)

#endif
