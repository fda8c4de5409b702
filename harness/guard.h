/*
 * guard.h - the mutual-exclusion check that runs inside every critical
 * section, in the tests and in every benchmark run.
 *
 * The protected data is one plain (non-atomic) 64-bit word on its own cache
 * line, beside the lock:
 *
 *	bits  0..31  counter: incremented by every exclusive critical section
 *	bits 32..47  owner:   0 = free, else the holder's mark (thread id + 1)
 *	bits 48..63  last:    the mark of the last exclusive holder to leave
 *
 * A writer entering finds no owner, sets its own mark and increments the
 * counter; leaving, it finds its own mark still there, clears it and records
 * itself as `last`.  A reader finds no owner on entry and on exit and the
 * counter unchanged.  Anything else is a violation.  After the run the
 * counter must equal the number of exclusive acquisitions modulo 2^32: a
 * lost update is a violation too (it catches what the mark cannot, two
 * holders that each see their own mark from their own store buffer).  The
 * accesses are volatile so that the compiler keeps every one of them inside
 * the critical section; they are deliberately not atomic: under a correct
 * lock its acquire/release orders them, under a broken one they race and the
 * race shows.
 *
 * Why one word: a writer's critical section is two loads and two stores of
 * one line, and the only chain carried from one acquisition to the next
 * through memory is the counter's (the leave store writes back the value the
 * entry computed, not the value it re-reads), which keeps the checker's cost
 * per acquisition near one store-to-load forwarding.
 *
 * The line also carries the handoff record of DESIGN.md ("at unlock, the
 * holder records its id and release timestamp in a slot beside the lock"):
 * `last` is written by every exclusive release at no extra cost (it is part
 * of the leave store), and the latency phase adds the release timestamp,
 * rel_ts, in the same line.  The next owner reads both with the line its
 * entry check fetches anyway, so the record costs no extra cache-line
 * transfer.
 */
#ifndef SPINBENCH_HARNESS_GUARD_H
#define SPINBENCH_HARNESS_GUARD_H

#include <stdint.h>

#include "arch.h"

#define SB_GUARD_COUNT_MASK UINT64_C(0xffffffff)
#define SB_GUARD_OWNER_SHIFT 32
#define SB_GUARD_LAST_SHIFT 48
#define SB_GUARD_MARK_MASK UINT64_C(0xffff)

typedef struct sb_guard {
	SB_ALIGNED volatile uint64_t word; /* counter | owner << 32 | last << 48 */
	volatile uint64_t rel_ts;          /* latency phase: the last exclusive release's stamp (ticks) */
} sb_guard_t;

/* The counter (exclusive critical sections, modulo 2^32). */
static inline uint32_t sb_guard_count(const sb_guard_t *g)
{
	return (uint32_t)(g->word & SB_GUARD_COUNT_MASK);
}

/* The mark of the last exclusive holder to leave (0: none yet). */
static inline uint32_t sb_guard_word_last(uint64_t word)
{
	return (uint32_t)(word >> SB_GUARD_LAST_SHIFT);
}

/* Count one violation.  Out of line and cold, called from a branch that a
 * correct lock never takes: the check at every acquisition is then one
 * compare and one predicted branch, where an inline `viol += flag` is three
 * or four instructions that the compiler cannot turn into a branch. */
__attribute__((cold, noinline)) static uint64_t sb_guard_bump(uint64_t v)
{
	return v + 1;
}

#define SB_GUARD_VIOL(cond, viol)                         \
	do {                                              \
		if (__builtin_expect(!!(cond), 0))        \
			*(viol) = sb_guard_bump(*(viol)); \
	} while (0)

#define SB_GUARD_OWNER_BITS (SB_GUARD_MARK_MASK << SB_GUARD_OWNER_SHIFT)

/* The word an exclusive holder stores at entry: the counter one up, its mark
 * as owner, `last` cleared. */
static inline uint64_t sb_guard_held_word(uint64_t found, uint32_t mark)
{
	return ((found + 1) & SB_GUARD_COUNT_MASK) | (uint64_t)mark << SB_GUARD_OWNER_SHIFT;
}

/*
 * Enter an exclusive section as thread `mark` (id + 1; SB_MAX_THREADS keeps
 * it below 65536).
 * Returns the word as found (its `last` says who released before), which
 * sb_guard_leave needs.
 */
static inline uint64_t sb_guard_enter(sb_guard_t *g, uint32_t mark, uint64_t *viol)
{
	uint64_t v = g->word;
	SB_GUARD_VIOL(v & SB_GUARD_OWNER_BITS, viol);
	g->word = sb_guard_held_word(v, mark);
	return v;
}

/*
 * Leave it; `entered` is what sb_guard_enter returned.  The word must be
 * exactly what the entry stored: the mark still there (no other writer came
 * in), and the counter unchanged (no writer came and went).  One compare
 * with a value the entry already computed.
 */
static inline void sb_guard_leave(sb_guard_t *g, uint32_t mark, uint64_t entered, uint64_t *viol)
{
	SB_GUARD_VIOL(g->word != sb_guard_held_word(entered, mark), viol);
	g->word = ((entered + 1) & SB_GUARD_COUNT_MASK) | (uint64_t)mark << SB_GUARD_LAST_SHIFT;
}

/*
 * A shared (read) section: no writer inside at entry, none at exit, data
 * unchanged.  read_enter returns the word as found (its `last` says which
 * writer released before), which read_leave compares against.
 */
static inline uint64_t sb_guard_read_enter(sb_guard_t *g, uint64_t *viol)
{
	uint64_t v = g->word;
	SB_GUARD_VIOL(v & SB_GUARD_OWNER_BITS, viol);
	return v;
}

static inline void sb_guard_read_leave(sb_guard_t *g, uint64_t entered, uint64_t *viol)
{
	uint64_t v = g->word;
	SB_GUARD_VIOL((v & SB_GUARD_OWNER_BITS) || ((v ^ entered) & SB_GUARD_COUNT_MASK), viol);
}

#endif
