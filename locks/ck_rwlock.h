/*
 * ck-rwlock - reference: Concurrency Kit's ck_rwlock.
 *
 * A writer flag and a reader count; a writer announces itself and then
 * waits for readers to drain, while new readers back off as long as the
 * writer flag is set: writer preference.  No try-convert.
 */
#ifndef SPINBENCH_LOCKS_CK_RWLOCK_H
#define SPINBENCH_LOCKS_CK_RWLOCK_H

#include <ck_rwlock.h>

#include "arch.h"

typedef struct sb_ck_rwlock {
	SB_ALIGNED ck_rwlock_t rw;
} sb_ck_rwlock_t;

SB_NO_NODE(ck_rwlock)

static inline void sb_ck_rwlock_init(sb_ck_rwlock_t *l)
{
	ck_rwlock_init(&l->rw);
}

static inline void sb_ck_rwlock_lock(sb_ck_rwlock_t *l, sb_ck_rwlock_node_t *n)
{
	(void)n;
	ck_rwlock_write_lock(&l->rw);
}

static inline bool sb_ck_rwlock_trylock(sb_ck_rwlock_t *l, sb_ck_rwlock_node_t *n)
{
	(void)n;
	return ck_rwlock_write_trylock(&l->rw);
}

static inline void sb_ck_rwlock_unlock(sb_ck_rwlock_t *l, sb_ck_rwlock_node_t *n)
{
	(void)n;
	ck_rwlock_write_unlock(&l->rw);
}

static inline void sb_ck_rwlock_read_lock(sb_ck_rwlock_t *l, sb_ck_rwlock_node_t *n)
{
	(void)n;
	ck_rwlock_read_lock(&l->rw);
}

static inline bool sb_ck_rwlock_read_trylock(sb_ck_rwlock_t *l, sb_ck_rwlock_node_t *n)
{
	(void)n;
	return ck_rwlock_read_trylock(&l->rw);
}

static inline void sb_ck_rwlock_read_unlock(sb_ck_rwlock_t *l, sb_ck_rwlock_node_t *n)
{
	(void)n;
	ck_rwlock_read_unlock(&l->rw);
}

SB_NO_CONVERT(ck_rwlock)

#endif
