/*
 * deadlock - a deliberately broken lock, for the tests only (family `test`,
 * hidden unless SPINBENCH_TEST_LOCKS=1): unlock forgets to release, so the
 * second acquisition waits forever.  It proves that the harness's watchdog
 * ends a run that cannot finish, and that the tests' watchdog fails a check
 * instead of hanging.
 */
#ifndef SPINBENCH_LOCKS_DEADLOCK_H
#define SPINBENCH_LOCKS_DEADLOCK_H

#include "arch.h"

typedef struct sb_deadlock {
	SB_ALIGNED atomic_uint word;
} sb_deadlock_t;

SB_NO_NODE(deadlock)

static inline void sb_deadlock_init(sb_deadlock_t *l)
{
	atomic_init(&l->word, 0);
}

static inline bool sb_deadlock_trylock(sb_deadlock_t *l, sb_deadlock_node_t *n)
{
	(void)n;
	/* acquire: pairs with nothing, since no unlock ever releases */
	return atomic_exchange_explicit(&l->word, 1, memory_order_acquire) == 0;
}

static inline void sb_deadlock_lock(sb_deadlock_t *l, sb_deadlock_node_t *n)
{
	while (!sb_deadlock_trylock(l, n))
		sb_spin_wait();
}

static inline void sb_deadlock_unlock(sb_deadlock_t *l, sb_deadlock_node_t *n)
{
	(void)l;
	(void)n; /* the bug: the word stays 1 */
}

SB_EXCLUSIVE_ONLY(deadlock)

#endif
