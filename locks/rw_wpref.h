/*
 * rw-wpref - the canonical reader/writer spin lock: one 32-bit word, writer
 * preference, shared -> exclusive try-convert.
 *
 * The writer-priority readers/writers problem of Courtois, Heymans & Parnas
 * ("Concurrent control with readers and writers", CACM 14(10), 1971, their
 * second problem), solved in a single word the way spin rw locks usually
 * are (compare ck_rwlock's writer flag and reader count): a reader count, a
 * writer bit and, so that waiting writers can hold new readers back, a count
 * of waiting writers.
 *
 * Word layout (l->word, 32 bits):
 *
 *	 31                16 15               1   0
 *	+--------------------+------------------+---+
 *	|   readers (16)     | waiting writers  | W |
 *	+--------------------+------------------+---+
 *
 *	W		bit 0: a writer holds the lock
 *	waiting		bits 1..15: writers that have announced themselves and
 *			wait for the lock (at most 32767; threads are <= 4096)
 *	readers		bits 16..31: readers inside, plus readers that have
 *			just added themselves and are about to back out
 *			(at most 65535)
 *
 * States are written (readers, waiting, W) below.
 *
 * Fairness: writer preference.  A reader enters only while W is clear and no
 * writer waits; once a writer has announced itself, new readers spin until
 * every waiting writer has been through, so a steady stream of writers
 * starves readers (readers cannot starve writers).  Writers are not ordered
 * among themselves: whichever waiting writer wins the CAS after the lock
 * drains goes next.
 *
 * try-convert (shared -> exclusive) succeeds only for the sole reader with
 * no writer waiting, in one CAS (1,0,0 -> 0,0,1); anything else leaves the
 * caller a reader.  It never waits, because two readers each waiting for
 * the other to leave so as to upgrade would deadlock; and it defers to a
 * waiting writer, who under writer preference goes before anyone still
 * holding or wanting the lock shared.
 *
 * The uncontended paths are one atomic each: a CAS for the writer
 * (0,0,0 -> 0,0,1), a fetch-add for the reader.  The contended paths are
 * separate functions.
 */
#ifndef SPINBENCH_LOCKS_RW_WPREF_H
#define SPINBENCH_LOCKS_RW_WPREF_H

#include "arch.h"

#define SB_RW_WPREF_W 0x00000001u        /* a writer holds the lock */
#define SB_RW_WPREF_WAIT_ONE 0x00000002u /* one waiting writer */
#define SB_RW_WPREF_WAIT_MASK 0x0000fffeu
#define SB_RW_WPREF_READER 0x00010000u /* one reader */
#define SB_RW_WPREF_READER_MASK 0xffff0000u
/* What keeps a new reader out: a writer inside or waiting. */
#define SB_RW_WPREF_WRITERS (SB_RW_WPREF_W | SB_RW_WPREF_WAIT_MASK)

typedef struct sb_rw_wpref {
	SB_ALIGNED _Atomic uint32_t word;
} sb_rw_wpref_t;

SB_NO_NODE(rw_wpref)

static inline void sb_rw_wpref_init(sb_rw_wpref_t *l)
{
	atomic_init(&l->word, 0);
}

/*
 * Contended exclusive acquire: announce ourselves as a waiting writer (which
 * closes the door to new readers), wait for the current readers and writer
 * to leave, then turn our waiting unit into the writer bit:
 *	(r, w, *) -> (r, w+1, *) ... (0, w+1, 0) -> (0, w, 1)
 */
static inline void sb_rw_wpref_lock_slowpath(sb_rw_wpref_t *l)
{
	uint32_t v;

	/* Relaxed: announcing grants nothing; the CAS below takes the lock. */
	atomic_fetch_add_explicit(&l->word, SB_RW_WPREF_WAIT_ONE, memory_order_relaxed);
	for (;;) {
		v = atomic_load_explicit(&l->word, memory_order_relaxed);
		/*
		 * Acquire: pairs with the release in sb_rw_wpref_read_unlock()
		 * of the last reader and in sb_rw_wpref_unlock() of the last
		 * writer, so their critical sections happen before ours.
		 */
		if (!(v & (SB_RW_WPREF_W | SB_RW_WPREF_READER_MASK)) &&
		    atomic_compare_exchange_weak_explicit(&l->word, &v, v - SB_RW_WPREF_WAIT_ONE + SB_RW_WPREF_W,
							  memory_order_acquire, memory_order_relaxed))
			return;
		sb_spin_wait();
	}
}

/* Exclusive acquire.  (0,0,0) -> (0,0,1) uncontended. */
static inline void sb_rw_wpref_lock(sb_rw_wpref_t *l, sb_rw_wpref_node_t *n)
{
	uint32_t v = 0;

	(void)n;
	/* Acquire: pairs with the release of the previous unlock/read_unlock. */
	if (sb_likely(atomic_compare_exchange_strong_explicit(&l->word, &v, SB_RW_WPREF_W, memory_order_acquire,
							      memory_order_relaxed)))
		return;
	sb_rw_wpref_lock_slowpath(l);
}

/*
 * Exclusive try: succeeds only when the word is entirely free (no reader,
 * no writer, no waiting writer), (0,0,0) -> (0,0,1).  On failure nothing has
 * been written: in particular no waiting-writer count is left behind.
 */
static inline bool sb_rw_wpref_trylock(sb_rw_wpref_t *l, sb_rw_wpref_node_t *n)
{
	uint32_t v = 0;

	(void)n;
	/* Acquire: pairs with the release of the previous unlock/read_unlock. */
	return atomic_compare_exchange_strong_explicit(&l->word, &v, SB_RW_WPREF_W, memory_order_acquire,
						       memory_order_relaxed);
}

/*
 * Exclusive release: (r, w, 1) -> (r, w, 0).  A read-modify-write, not a
 * store, because waiting writers and backing-out readers change the other
 * fields concurrently.
 */
static inline void sb_rw_wpref_unlock(sb_rw_wpref_t *l, sb_rw_wpref_node_t *n)
{
	(void)n;
	/*
	 * Release: pairs with the acquire of the next reader's fetch-add in
	 * sb_rw_wpref_read_lock()/read_trylock() and of the next writer's CAS.
	 */
	atomic_fetch_sub_explicit(&l->word, SB_RW_WPREF_W, memory_order_release);
}

/*
 * Contended shared acquire, entered after our optimistic increment found a
 * writer inside or waiting: take the increment back, wait until no writer
 * holds or waits, and try again.
 *	(r+1, w, x) -> (r, w, x) ... (r, 0, 0) -> (r+1, 0, 0)
 */
static inline void sb_rw_wpref_read_lock_slowpath(sb_rw_wpref_t *l)
{
	uint32_t v;

	do {
		/* Relaxed: backing out; we read nothing under the lock. */
		atomic_fetch_sub_explicit(&l->word, SB_RW_WPREF_READER, memory_order_relaxed);
		while (atomic_load_explicit(&l->word, memory_order_relaxed) & SB_RW_WPREF_WRITERS)
			sb_spin_wait();
		/* Acquire: pairs with the release in sb_rw_wpref_unlock(). */
		v = atomic_fetch_add_explicit(&l->word, SB_RW_WPREF_READER, memory_order_acquire);
	} while (v & SB_RW_WPREF_WRITERS);
}

/* Shared acquire.  (r, 0, 0) -> (r+1, 0, 0) uncontended. */
static inline void sb_rw_wpref_read_lock(sb_rw_wpref_t *l, sb_rw_wpref_node_t *n)
{
	uint32_t v;

	(void)n;
	/*
	 * Acquire: pairs with the release in sb_rw_wpref_unlock() of the last
	 * writer, whose critical section then happens before ours.
	 */
	v = atomic_fetch_add_explicit(&l->word, SB_RW_WPREF_READER, memory_order_acquire);
	if (sb_likely(!(v & SB_RW_WPREF_WRITERS)))
		return;
	sb_rw_wpref_read_lock_slowpath(l);
}

/*
 * Shared try: fails while a writer holds the lock or waits for it (writer
 * preference holds for the try as well); never waits.  On failure the word
 * is as it was, apart from a transient reader unit added and taken back.
 */
static inline bool sb_rw_wpref_read_trylock(sb_rw_wpref_t *l, sb_rw_wpref_node_t *n)
{
	uint32_t v;

	(void)n;
	if (atomic_load_explicit(&l->word, memory_order_relaxed) & SB_RW_WPREF_WRITERS)
		return false;
	/* Acquire: pairs with the release in sb_rw_wpref_unlock(). */
	v = atomic_fetch_add_explicit(&l->word, SB_RW_WPREF_READER, memory_order_acquire);
	if (sb_likely(!(v & SB_RW_WPREF_WRITERS)))
		return true;
	/* Relaxed: backing out; we read nothing under the lock. */
	atomic_fetch_sub_explicit(&l->word, SB_RW_WPREF_READER, memory_order_relaxed);
	return false;
}

/* Shared release: (r, w, 0) -> (r-1, w, 0). */
static inline void sb_rw_wpref_read_unlock(sb_rw_wpref_t *l, sb_rw_wpref_node_t *n)
{
	(void)n;
	/*
	 * Release: pairs with the acquire CAS of the writer that takes the lock
	 * once the readers are gone (lock, trylock, lock_slowpath, try_convert).
	 */
	atomic_fetch_sub_explicit(&l->word, SB_RW_WPREF_READER, memory_order_release);
}

/*
 * Shared -> exclusive: (1,0,0) -> (0,0,1) in one CAS, true when the caller,
 * a reader, was the only reader and no writer waited; it now holds the lock
 * exclusive and releases it with sb_rw_wpref_unlock().  False in every other
 * case (another reader inside or arriving, a writer waiting), with the
 * caller still holding the lock shared.  Never waits.
 */
static inline bool sb_rw_wpref_try_convert(sb_rw_wpref_t *l, sb_rw_wpref_node_t *n)
{
	uint32_t v = SB_RW_WPREF_READER;

	(void)n;
	/*
	 * Acquire: pairs with the release in sb_rw_wpref_read_unlock() of the
	 * readers that left before us, whose reads must happen before our
	 * writes.
	 */
	return atomic_compare_exchange_strong_explicit(&l->word, &v, SB_RW_WPREF_W, memory_order_acquire,
						       memory_order_relaxed);
}

#endif /* SPINBENCH_LOCKS_RW_WPREF_H */
