/*
 * rw-rpref - reader/writer spin lock with reader preference, one word.
 *
 * The reader-priority readers/writers problem of Courtois, Heymans &
 * Parnas ("Concurrent control with readers and writers", CACM 14(10), 1971,
 * their first problem), in the shape of the classic counter spin rw locks
 * (Linux's rwlock_t before the queued qrwlock replaced it): readers
 * announce themselves with one fetch-add and are in unless a writer is
 * inside; a writer waits for the word to be entirely empty.
 *
 * Word layout (l->word, 32 bits):
 *
 *	 31                                      1   0
 *	+------------------------------------------+---+
 *	|              readers (31)                | W |
 *	+------------------------------------------+---+
 *
 *	W		bit 0: a writer holds the lock
 *	readers		bits 1..31: readers inside, plus readers that have
 *			just added themselves, found W set and are about to
 *			back out
 *
 * States are written (readers, W) below.
 *
 * Fairness: reader preference.  Waiting writers leave no trace in the word,
 * so a reader enters whenever no writer holds the lock, however many writers
 * wait; a writer gets in only at an instant with no reader at all, so a
 * steady stream of overlapping readers starves writers indefinitely.
 * Writers are not ordered among themselves.  No try-convert.
 */
#ifndef SPINBENCH_LOCKS_RW_RPREF_H
#define SPINBENCH_LOCKS_RW_RPREF_H

#include "arch.h"

#define SB_RW_RPREF_W 0x00000001u      /* a writer holds the lock */
#define SB_RW_RPREF_READER 0x00000002u /* one reader */

typedef struct sb_rw_rpref {
	SB_ALIGNED _Atomic uint32_t word;
} sb_rw_rpref_t;

SB_NO_NODE(rw_rpref)

static inline void sb_rw_rpref_init(sb_rw_rpref_t *l)
{
	atomic_init(&l->word, 0);
}

/*
 * Exclusive try: (0, 0) -> (0, 1), only when no reader and no writer is
 * inside.  Never waits; on failure nothing has been written.
 */
static inline bool sb_rw_rpref_trylock(sb_rw_rpref_t *l, sb_rw_rpref_node_t *n)
{
	uint32_t v = 0;

	(void)n;
	/*
	 * Acquire: pairs with the release in sb_rw_rpref_unlock() of the last
	 * writer and in sb_rw_rpref_read_unlock() of the last reader.
	 */
	return atomic_compare_exchange_strong_explicit(&l->word, &v, SB_RW_RPREF_W, memory_order_acquire,
						       memory_order_relaxed);
}

/* Contended exclusive acquire: wait, reading only, for (0, 0), then CAS. */
static inline void sb_rw_rpref_lock_slowpath(sb_rw_rpref_t *l, sb_rw_rpref_node_t *n)
{
	do {
		while (atomic_load_explicit(&l->word, memory_order_relaxed) != 0)
			sb_spin_wait();
	} while (!sb_rw_rpref_trylock(l, n));
}

/* Exclusive acquire: (0, 0) -> (0, 1). */
static inline void sb_rw_rpref_lock(sb_rw_rpref_t *l, sb_rw_rpref_node_t *n)
{
	if (sb_likely(sb_rw_rpref_trylock(l, n)))
		return;
	sb_rw_rpref_lock_slowpath(l, n);
}

/*
 * Exclusive release: (r, 1) -> (r, 0).  A read-modify-write, because readers
 * that tried to enter meanwhile may still have their unit in the word.
 */
static inline void sb_rw_rpref_unlock(sb_rw_rpref_t *l, sb_rw_rpref_node_t *n)
{
	(void)n;
	/*
	 * Release: pairs with the acquire fetch-add of the readers that enter
	 * next (read_lock, read_trylock) and with the next writer's CAS.
	 */
	atomic_fetch_sub_explicit(&l->word, SB_RW_RPREF_W, memory_order_release);
}

/*
 * Contended shared acquire, entered after our fetch-add found a writer
 * inside: take our unit back, wait, reading only, until the writer is gone,
 * and add it again.  (r+1, 1) -> (r, 1) ... (r, 0) -> (r+1, 0)
 */
static inline void sb_rw_rpref_read_lock_slowpath(sb_rw_rpref_t *l)
{
	uint32_t v;

	do {
		/* Relaxed: backing out; we read nothing under the lock. */
		atomic_fetch_sub_explicit(&l->word, SB_RW_RPREF_READER, memory_order_relaxed);
		while (atomic_load_explicit(&l->word, memory_order_relaxed) & SB_RW_RPREF_W)
			sb_spin_wait();
		/* Acquire: pairs with the release in sb_rw_rpref_unlock(). */
		v = atomic_fetch_add_explicit(&l->word, SB_RW_RPREF_READER, memory_order_acquire);
	} while (v & SB_RW_RPREF_W);
}

/* Shared acquire: (r, 0) -> (r+1, 0), whether or not writers wait. */
static inline void sb_rw_rpref_read_lock(sb_rw_rpref_t *l, sb_rw_rpref_node_t *n)
{
	uint32_t v;

	(void)n;
	/*
	 * Acquire: pairs with the release in sb_rw_rpref_unlock() of the last
	 * writer, whose critical section then happens before ours.
	 */
	v = atomic_fetch_add_explicit(&l->word, SB_RW_RPREF_READER, memory_order_acquire);
	if (sb_likely(!(v & SB_RW_RPREF_W)))
		return;
	sb_rw_rpref_read_lock_slowpath(l);
}

/*
 * Shared try: succeeds unless a writer holds the lock (waiting writers do not
 * matter).  Never waits; on failure the word is as it was, apart from a
 * transient reader unit added and taken back.
 */
static inline bool sb_rw_rpref_read_trylock(sb_rw_rpref_t *l, sb_rw_rpref_node_t *n)
{
	uint32_t v;

	(void)n;
	if (atomic_load_explicit(&l->word, memory_order_relaxed) & SB_RW_RPREF_W)
		return false;
	/* Acquire: pairs with the release in sb_rw_rpref_unlock(). */
	v = atomic_fetch_add_explicit(&l->word, SB_RW_RPREF_READER, memory_order_acquire);
	if (sb_likely(!(v & SB_RW_RPREF_W)))
		return true;
	/* Relaxed: backing out; we read nothing under the lock. */
	atomic_fetch_sub_explicit(&l->word, SB_RW_RPREF_READER, memory_order_relaxed);
	return false;
}

/* Shared release: (r, 0) -> (r-1, 0). */
static inline void sb_rw_rpref_read_unlock(sb_rw_rpref_t *l, sb_rw_rpref_node_t *n)
{
	(void)n;
	/*
	 * Release: pairs with the acquire CAS of the writer that finds the word
	 * empty next (sb_rw_rpref_trylock(), reached from lock too).
	 */
	atomic_fetch_sub_explicit(&l->word, SB_RW_RPREF_READER, memory_order_release);
}

SB_NO_CONVERT(rw_rpref)

#endif /* SPINBENCH_LOCKS_RW_RPREF_H */
