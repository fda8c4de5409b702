/*
 * busted - a deliberately broken lock, for the tests only (family `test`,
 * hidden unless SPINBENCH_TEST_LOCKS=1): "test, then set" as two separate
 * steps.  Two threads can both see the word
 * free and both store 1, so both enter.  Like locktorture's lock_busted, it
 * proves that the mutual-exclusion checker catches a lock that looks right
 * and mostly works; `none` only proves it catches no lock at all.
 */
#ifndef SPINBENCH_LOCKS_BUSTED_H
#define SPINBENCH_LOCKS_BUSTED_H

#include "arch.h"

typedef struct sb_busted {
	SB_ALIGNED atomic_uint word;
} sb_busted_t;

SB_NO_NODE(busted)

static inline void sb_busted_init(sb_busted_t *l)
{
	atomic_init(&l->word, 0);
}

static inline void sb_busted_lock(sb_busted_t *l, sb_busted_node_t *n)
{
	(void)n;
	while (atomic_load_explicit(&l->word, memory_order_acquire) != 0)
		sb_spin_wait();
	/* the bug: the window between the test above and the set below */
	for (int i = 0; i < 4; i++)
		sb_cpu_relax();
	atomic_store_explicit(&l->word, 1, memory_order_relaxed);
}

static inline bool sb_busted_trylock(sb_busted_t *l, sb_busted_node_t *n)
{
	(void)n;
	if (atomic_load_explicit(&l->word, memory_order_acquire) != 0)
		return false;
	atomic_store_explicit(&l->word, 1, memory_order_relaxed);
	return true;
}

static inline void sb_busted_unlock(sb_busted_t *l, sb_busted_node_t *n)
{
	(void)n;
	/* pairs with the acquire load in lock */
	atomic_store_explicit(&l->word, 0, memory_order_release);
}

SB_EXCLUSIVE_ONLY(busted)

#endif
