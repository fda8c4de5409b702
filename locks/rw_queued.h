/*
 * rw-queued - fair reader/writer spin lock queued on a FIFO wait lock, in
 * the manner of Linux's queued rwlock (qrwlock, kernel/locking/qrwlock.c,
 * Waiman Long, Linux 3.16, 2014).
 *
 * A count word says who holds the lock; contended acquirers of either kind
 * line up on a ticket lock (the wait lock) and deal with the count word only
 * from its head, so the order in which they arrived is the order in which
 * they are served.  Uncontended, a reader is one fetch-add and a writer one
 * CAS on the count word, and the wait lock is never touched.
 *
 *   - Reader: add a reader unit.  If no writer holds or waits, it is in.
 *     Otherwise take the unit back, queue on the wait lock, and at the head
 *     add the unit again and wait only for the writer holding the lock to
 *     leave (a waiting writer would be ahead of us in the queue, so none
 *     can be waiting now); then pass the head on, so readers queued one
 *     after another enter together.
 *   - Writer: CAS 0 -> LOCKED.  Otherwise queue on the wait lock, and at the
 *     head set WAITING (which turns newly arriving readers into the queue)
 *     and wait for the readers and the holding writer to leave, then CAS
 *     WAITING -> LOCKED and pass the head on.
 *
 * Fairness: FIFO through the wait lock.  Writers are served in the order
 * they join the queue, and a writer joins it (takes its ticket) before it
 * ever spins, so writers arriving one by one while the lock is held are
 * granted it in arrival order.  Readers arriving while a writer holds or
 * waits queue behind it.  The only way past the queue is the uncontended
 * fast path, which a writer wins only when the count word is 0 (nobody
 * holds, nobody waits at the head): at such an instant a newcomer can beat
 * the queue head to the lock, as in qrwlock.  No try-convert.
 *
 * Count word layout (l->cnts, 32 bits), as in qrwlock:
 *
 *	 31                         9   8   7            0
 *	+----------------------------+---+---------------+
 *	|        readers (23)        | W |  locked byte  |
 *	+----------------------------+---+---------------+
 *
 *	locked	bits 0..7: 0xff while a writer holds the lock, else 0 (a byte
 *		in qrwlock so it can be cleared by a byte store; here the
 *		release is a fetch-sub, C11 having no mixed-size atomics)
 *	W	bit 8: the writer at the head of the wait lock is waiting
 *	readers	bits 9..31: readers inside, plus readers that added their
 *		unit, found a writer and are about to take it back
 *
 * States are written (readers, W, locked) below.
 *
 * The wait lock is a ticket lock internal to this header (next/owner, each
 * 32 bits, wrapping, compared for equality), on its own cache line: waiters
 * queued on it spin on owner without disturbing the count word, which the
 * queue head and the holders use.  The struct is 256 bytes.
 */
#ifndef SPINBENCH_LOCKS_RW_QUEUED_H
#define SPINBENCH_LOCKS_RW_QUEUED_H

#include "arch.h"

#define SB_RW_QUEUED_LOCKED 0x000000ffu  /* a writer holds the lock */
#define SB_RW_QUEUED_WAITING 0x00000100u /* the head writer waits */
#define SB_RW_QUEUED_WMASK 0x000001ffu   /* a writer holds or waits */
#define SB_RW_QUEUED_READER 0x00000200u  /* one reader */

typedef struct sb_rw_queued {
	SB_ALIGNED _Atomic uint32_t cnts;
	/* The wait lock: a ticket lock, FIFO. */
	SB_ALIGNED _Atomic uint32_t wait_next;
	_Atomic uint32_t wait_owner;
} sb_rw_queued_t;

SB_NO_NODE(rw_queued)

static inline void sb_rw_queued_init(sb_rw_queued_t *l)
{
	atomic_init(&l->cnts, 0);
	atomic_init(&l->wait_next, 0);
	atomic_init(&l->wait_owner, 0);
}

/*
 * Join the wait queue and wait to be its head.  The ticket is taken before
 * the first spin: from that fetch-add on, our place is fixed.
 */
static inline void sb_rw_queued_wait_lock(sb_rw_queued_t *l)
{
	/* Relaxed: the ticket is only a place in line; wait_owner grants it. */
	uint32_t t = atomic_fetch_add_explicit(&l->wait_next, 1, memory_order_relaxed);

	/* Acquire: pairs with the release store in sb_rw_queued_wait_unlock(). */
	while (atomic_load_explicit(&l->wait_owner, memory_order_acquire) != t)
		sb_spin_wait();
}

/* Pass the head of the wait queue to the next ticket. */
static inline void sb_rw_queued_wait_unlock(sb_rw_queued_t *l)
{
	/* Only the head writes wait_owner: no RMW needed. */
	uint32_t t = atomic_load_explicit(&l->wait_owner, memory_order_relaxed);

	/* Release: pairs with the acquire load in sb_rw_queued_wait_lock(). */
	atomic_store_explicit(&l->wait_owner, t + 1, memory_order_release);
}

/*
 * Exclusive try: (0, 0, 0) -> (0, 0, 0xff), only when nobody holds the lock
 * or waits at the head.  Never waits; on failure nothing has been written.
 */
static inline bool sb_rw_queued_trylock(sb_rw_queued_t *l, sb_rw_queued_node_t *n)
{
	uint32_t c;

	(void)n;
	c = atomic_load_explicit(&l->cnts, memory_order_relaxed);
	if (c != 0)
		return false;
	/*
	 * Acquire: pairs with the release fetch-sub of the last writer
	 * (unlock) and of the last reader (read_unlock).
	 */
	return atomic_compare_exchange_strong_explicit(&l->cnts, &c, SB_RW_QUEUED_LOCKED, memory_order_acquire,
						       memory_order_relaxed);
}

/*
 * Contended exclusive acquire, from the head of the wait queue:
 *	(*, 0, *) -> (*, 1, *) ... (0, 1, 0) -> (0, 0, 0xff)
 * or (0, 0, 0) -> (0, 0, 0xff) directly if the lock has drained already.
 */
static inline void sb_rw_queued_lock_slowpath(sb_rw_queued_t *l, sb_rw_queued_node_t *n)
{
	uint32_t c;

	sb_rw_queued_wait_lock(l);
	if (sb_rw_queued_trylock(l, n))
		goto out;
	/*
	 * Relaxed: WAITING only turns arriving readers and writers into the
	 * queue; it grants nothing.  Only the head sets it, so it was clear.
	 */
	atomic_fetch_or_explicit(&l->cnts, SB_RW_QUEUED_WAITING, memory_order_relaxed);
	for (;;) {
		c = atomic_load_explicit(&l->cnts, memory_order_relaxed);
		/*
		 * Acquire: pairs with the release fetch-sub of the last reader
		 * (read_unlock) and of the writer that held the lock (unlock).
		 */
		if (c == SB_RW_QUEUED_WAITING &&
		    atomic_compare_exchange_weak_explicit(&l->cnts, &c, SB_RW_QUEUED_LOCKED, memory_order_acquire,
							  memory_order_relaxed))
			break;
		sb_spin_wait();
	}
out:
	sb_rw_queued_wait_unlock(l);
}

/* Exclusive acquire: (0, 0, 0) -> (0, 0, 0xff) uncontended, else queue. */
static inline void sb_rw_queued_lock(sb_rw_queued_t *l, sb_rw_queued_node_t *n)
{
	uint32_t c = 0;

	/* Acquire: pairs with the release of the last unlock/read_unlock. */
	if (sb_likely(atomic_compare_exchange_strong_explicit(&l->cnts, &c, SB_RW_QUEUED_LOCKED, memory_order_acquire,
							      memory_order_relaxed)))
		return;
	sb_rw_queued_lock_slowpath(l, n);
}

/*
 * Exclusive release: (r, w, 0xff) -> (r, w, 0).  A fetch-sub, not a store:
 * the head writer may set W and readers add and take back their units
 * meanwhile.
 */
static inline void sb_rw_queued_unlock(sb_rw_queued_t *l, sb_rw_queued_node_t *n)
{
	(void)n;
	/*
	 * Release: pairs with the acquire of the next holder: the reader's
	 * fetch-add (read_lock fast path, read_trylock), the head reader's
	 * load in read_lock_slowpath, a writer's CAS.
	 */
	atomic_fetch_sub_explicit(&l->cnts, SB_RW_QUEUED_LOCKED, memory_order_release);
}

/*
 * Contended shared acquire, entered after our unit found a writer holding or
 * waiting: take the unit back, queue, and from the head add it again and
 * wait for the holding writer only.
 *	(r+1, *, *) -> (r, *, *) ... (r, 0, *) -> (r+1, 0, *) ... (r+1, 0, 0)
 */
static inline void sb_rw_queued_read_lock_slowpath(sb_rw_queued_t *l)
{
	uint32_t c;

	/* Relaxed: backing out; we read nothing under the lock. */
	atomic_fetch_sub_explicit(&l->cnts, SB_RW_QUEUED_READER, memory_order_relaxed);
	sb_rw_queued_wait_lock(l);
	/*
	 * At the head no writer can be waiting (it would be ahead of us in the
	 * queue, and sets W only from the head), so once our unit is in, a
	 * writer can no longer take the lock and we need only wait for the
	 * one that holds it, if any.
	 * Acquire: pairs with the release fetch-sub in unlock() of the writer
	 * that held the lock before us.
	 */
	c = atomic_fetch_add_explicit(&l->cnts, SB_RW_QUEUED_READER, memory_order_acquire);
	if (c & SB_RW_QUEUED_LOCKED) {
		/* Acquire: as above, for the writer we waited for. */
		while (atomic_load_explicit(&l->cnts, memory_order_acquire) & SB_RW_QUEUED_LOCKED)
			sb_spin_wait();
	}
	sb_rw_queued_wait_unlock(l);
}

/* Shared acquire: (r, 0, 0) -> (r+1, 0, 0) uncontended, else queue. */
static inline void sb_rw_queued_read_lock(sb_rw_queued_t *l, sb_rw_queued_node_t *n)
{
	uint32_t c;

	(void)n;
	/*
	 * Acquire: pairs with the release fetch-sub in unlock() of the last
	 * writer, whose section then happens before ours.
	 */
	c = atomic_fetch_add_explicit(&l->cnts, SB_RW_QUEUED_READER, memory_order_acquire);
	if (sb_likely(!(c & SB_RW_QUEUED_WMASK)))
		return;
	sb_rw_queued_read_lock_slowpath(l);
}

/*
 * Shared try: in unless a writer holds the lock or waits at the head; never
 * waits or queues.  On failure the word is as it was, apart from a
 * transient reader unit added and taken back.
 */
static inline bool sb_rw_queued_read_trylock(sb_rw_queued_t *l, sb_rw_queued_node_t *n)
{
	uint32_t c;

	(void)n;
	if (atomic_load_explicit(&l->cnts, memory_order_relaxed) & SB_RW_QUEUED_WMASK)
		return false;
	/* Acquire: pairs with the release fetch-sub in unlock(). */
	c = atomic_fetch_add_explicit(&l->cnts, SB_RW_QUEUED_READER, memory_order_acquire);
	if (sb_likely(!(c & SB_RW_QUEUED_WMASK)))
		return true;
	/* Relaxed: backing out; we read nothing under the lock. */
	atomic_fetch_sub_explicit(&l->cnts, SB_RW_QUEUED_READER, memory_order_relaxed);
	return false;
}

/* Shared release: (r, w, 0) -> (r-1, w, 0). */
static inline void sb_rw_queued_read_unlock(sb_rw_queued_t *l, sb_rw_queued_node_t *n)
{
	(void)n;
	/*
	 * Release: pairs with the acquire CAS of the writer that takes the lock
	 * once the readers are gone (lock, trylock, lock_slowpath).
	 */
	atomic_fetch_sub_explicit(&l->cnts, SB_RW_QUEUED_READER, memory_order_release);
}

SB_NO_CONVERT(rw_queued)

#endif /* SPINBENCH_LOCKS_RW_QUEUED_H */
