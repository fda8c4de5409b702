/*
 * none - the control: takes no lock at all.
 *
 * Every verb returns at once and trylock always "succeeds".  Measured in the
 * same harness, it shows the harness's own cost per acquisition; run through
 * the mutual-exclusion checker with two or more threads, it must produce
 * violations, which proves the checker can fail.
 */
#ifndef SPINBENCH_LOCKS_NONE_H
#define SPINBENCH_LOCKS_NONE_H

#include "arch.h"

typedef struct sb_none {
	SB_ALIGNED char unused;
} sb_none_t;

SB_NO_NODE(none)

static inline void sb_none_init(sb_none_t *l)
{
	(void)l;
}

static inline void sb_none_lock(sb_none_t *l, sb_none_node_t *n)
{
	(void)l;
	(void)n;
}

static inline bool sb_none_trylock(sb_none_t *l, sb_none_node_t *n)
{
	(void)l;
	(void)n;
	return true;
}

static inline void sb_none_unlock(sb_none_t *l, sb_none_node_t *n)
{
	(void)l;
	(void)n;
}

SB_EXCLUSIVE_ONLY(none)

#endif
