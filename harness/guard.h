/*
 * guard.h - the mutual-exclusion check that runs inside every critical
 * section, in the tests and in every benchmark run.
 *
 * The protected data is a plain (non-atomic) counter and an owner mark.  A
 * writer entering finds the mark clear, sets it to its own id, increments
 * the counter, and on leaving finds its own id still there and clears it.
 * A reader finds the mark clear on entry and on exit and the counter
 * unchanged.  Anything else is a violation.  After the run the counter must
 * equal the number of exclusive acquisitions: a lost update is a violation
 * too.  The accesses are volatile so that the compiler keeps every one of
 * them inside the critical section; they are deliberately not atomic: under
 * a correct lock its acquire/release orders them, under a broken one they
 * race and the race shows.
 */
#ifndef SPINBENCH_HARNESS_GUARD_H
#define SPINBENCH_HARNESS_GUARD_H

#include <stdint.h>

#include "arch.h"

typedef struct sb_guard {
	SB_ALIGNED volatile uint64_t counter;
	volatile uint32_t owner; /* 0 = free, else thread id + 1 */
} sb_guard_t;

/* Enter/leave an exclusive section as thread `mark` (id + 1). */
static inline void sb_guard_enter(sb_guard_t *g, uint32_t mark, uint64_t *viol)
{
	if (g->owner != 0)
		(*viol)++;
	g->owner = mark;
	g->counter = g->counter + 1;
}

static inline void sb_guard_leave(sb_guard_t *g, uint32_t mark, uint64_t *viol)
{
	if (g->owner != mark)
		(*viol)++;
	g->owner = 0;
}

/* A shared (read) section: no writer inside at entry, none at exit, data unchanged. */
static inline uint64_t sb_guard_read_enter(sb_guard_t *g, uint64_t *viol)
{
	if (g->owner != 0)
		(*viol)++;
	return g->counter;
}

static inline void sb_guard_read_leave(sb_guard_t *g, uint64_t seen, uint64_t *viol)
{
	if (g->owner != 0 || g->counter != seen)
		(*viol)++;
}

#endif
