/*
 * qspin.h - one-word queued spin lock, after Linux's qspinlock.
 *
 * Linux's qspinlock (kernel/locking/qspinlock.c, Waiman Long and Peter
 * Zijlstra, Linux 4.2, 2015) fits an MCS queue lock (J. M. Mellor-Crummey
 * and M. L. Scott, ACM TOCS 9(1), 1991) into one 32-bit word, so the lock
 * is as small as a ticket lock but waiters spin on their own cache line.
 * The word holds the locked byte, a pending bit, and instead of a tail
 * pointer a tail code: which thread's queue node, and which of its nodes,
 * is last in the queue.  The nodes are preallocated per thread (Linux: per
 * CPU), SB_QSPIN_MAX_NESTING of them each, so the lock needs no node from
 * its caller; the caller's node only carries its tid.
 *
 * Acquiring, in order of cost:
 *  - fast path: the word is 0; one CAS sets the locked byte.
 *  - pending: the lock is held but nobody else waits; the first contender
 *    sets the pending bit and spins on the lock word itself until the
 *    holder releases, then takes the lock and clears pending in one step.
 *    That saves it touching a queue node (a cold line) for the common case
 *    of exactly one waiter.
 *  - queue: anybody else (pending taken, or a queue already there) appends
 *    its node MCS-style by swapping its tail code into the word, and spins
 *    on its own node until its predecessor makes it the queue head.  The
 *    head spins on the lock word until both the holder and any pending
 *    waiter are gone, takes the lock, and passes the head role on.
 * Unlocking clears the locked byte.
 *
 * Every atomic access to the word is a read-modify-write or a load of the
 * whole 32-bit word: where Linux stores a byte or a halfword (set_locked,
 * clear_pending, the tail exchange) this uses a whole-word fetch-and-op or
 * a CAS loop.  C11 has no mixed-size atomics, ThreadSanitizer could not see
 * them, and as a bonus every modification of the word is an RMW, so every
 * release on it heads an unbroken release sequence.  The price is that
 * unlock is a locked RMW instead of a plain byte store.
 *
 * Fairness: FIFO in the order in which contenders reach the word: while the
 * lock is held, the first contender takes pending and the later ones queue
 * behind it, and neither the fast path, trylock nor pending can be taken
 * while a queue exists or pending is held, so nobody passes a waiter.
 * Contenders that reach the word at the same moment are ordered by the
 * race between their RMWs.  The one exception, a thread queued on more
 * than SB_QSPIN_MAX_NESTING qspin locks at once (impossible under the
 * one-lock-per-thread contract), barges with trylock.
 *
 * Word layout (one 32-bit word, alone on its 128-byte line):
 *
 *	bits  0- 7: locked byte (0 free, 1 held)
 *	bit      8: pending (a first waiter spins on the word)
 *	bits  9-15: unused, 0
 *	bits 16-17: tail node index (nesting level, 0..3)
 *	bits 18-31: tail thread id + 1 (0: no queue); up to 16383 threads
 *
 * State transitions (tail, pending, locked):
 *	fast path, trylock:	0,0,0 -> 0,0,1
 *	unlock:			*,*,1 -> *,*,0
 *	first contender:	0,0,* -> 0,1,*	then waits for *,1,0
 *				*,1,0 -> *,0,1
 *	later contenders:	p,*,* -> n,*,*	(queue; n is our tail code)
 *	queue head, alone:	n,0,0 -> 0,0,1
 *	queue head, followed:	*,0,0 -> *,0,1	then the next node is head
 *
 * Node storage: sb_qspin_nodes[][] and the nesting count are defined in
 * locks/qspin.c.  Threads may be preempted anywhere: every wait is for a
 * state that another thread will produce, and the one timed wait (for an
 * in-flight pending hand-over) is bounded, so a descheduled thread only
 * makes the others wait longer, never wrong.
 */
#ifndef SPINBENCH_LOCKS_QSPIN_H
#define SPINBENCH_LOCKS_QSPIN_H

#include <assert.h>

#include "arch.h"

/* Threads that may use a qspin lock: tids 0..4095 (spinbench's limit). */
#define SB_QSPIN_MAX_THREADS 4096
/*
 * Queue nodes per thread, one per lock a thread can be queued on at once
 * (Linux: task, softirq, hardirq, NMI).  Under spinbench's contract a
 * thread waits for one lock at a time, so one would do; 4 fills the index
 * field and keeps the layout Linux's.
 */
#define SB_QSPIN_MAX_NESTING 4

#define SB_QSPIN_LOCKED 1u
#define SB_QSPIN_LOCKED_MASK 0x000000ffu
#define SB_QSPIN_PENDING (1u << 8)
#define SB_QSPIN_TAIL_IDX_SHIFT 16
#define SB_QSPIN_TAIL_TID_SHIFT 18
#define SB_QSPIN_TAIL_IDX_MASK (3u << SB_QSPIN_TAIL_IDX_SHIFT)
#define SB_QSPIN_TAIL_MASK 0xffff0000u

/*
 * How long a newcomer that finds 0,1,0 (the holder has just released and
 * the pending waiter is about to take the lock) waits for that hand-over
 * before it queues.  The hand-over is one RMW by a thread already spinning
 * on this line, i.e. a couple of cache-line transfers, some hundreds of
 * cycles; 256 iterations of sb_spin_wait() is some thousands of cycles even
 * with a ~10-cycle PAUSE (pre-Skylake Intel, per Intel's optimization
 * manual), so the bound is only reached when the pending waiter has been
 * descheduled, and then queueing is the right move anyway.  Waiting at all
 * is only an optimisation (taking pending beats queueing); correctness does
 * not depend on the value.
 */
#define SB_QSPIN_PENDING_LOOPS 256u

_Static_assert(SB_QSPIN_MAX_THREADS + 1 <= (1 << (32 - SB_QSPIN_TAIL_TID_SHIFT)),
	       "tail thread field too narrow for SB_QSPIN_MAX_THREADS");
_Static_assert(SB_QSPIN_MAX_NESTING <= 4, "tail index field is 2 bits");

/* A per-thread queue node: one cache line each. */
typedef struct sb_qspin_qnode {
	SB_ALIGNED _Atomic(struct sb_qspin_qnode *) next;
	atomic_uint locked; /* 0 while queued, 1 once queue head */
} sb_qspin_qnode_t;

/* Defined in locks/qspin.c. */
extern sb_qspin_qnode_t sb_qspin_nodes[SB_QSPIN_MAX_THREADS][SB_QSPIN_MAX_NESTING];
extern _Thread_local unsigned sb_qspin_nesting;

typedef struct sb_qspin {
	SB_ALIGNED _Atomic(uint32_t) val;
} sb_qspin_t;

/* The caller's node: only its tid, which picks its preallocated qnodes. */
typedef struct sb_qspin_node {
	SB_ALIGNED unsigned tid;
} sb_qspin_node_t;

static inline void sb_qspin_init(sb_qspin_t *l)
{
	atomic_init(&l->val, 0);
}

/* tid must be below SB_QSPIN_MAX_THREADS and unique among live threads. */
static inline void sb_qspin_node_init(sb_qspin_node_t *n, unsigned tid)
{
	assert(tid < SB_QSPIN_MAX_THREADS);
	n->tid = tid;
}

static inline uint32_t sb_qspin_encode_tail(unsigned tid, unsigned idx)
{
	return ((uint32_t)(tid + 1) << SB_QSPIN_TAIL_TID_SHIFT) | ((uint32_t)idx << SB_QSPIN_TAIL_IDX_SHIFT);
}

static inline sb_qspin_qnode_t *sb_qspin_decode_tail(uint32_t tail)
{
	return &sb_qspin_nodes[(tail >> SB_QSPIN_TAIL_TID_SHIFT) - 1]
			      [(tail & SB_QSPIN_TAIL_IDX_MASK) >> SB_QSPIN_TAIL_IDX_SHIFT];
}

/*
 * 0,0,0 -> 0,0,1, or nothing.  The load first keeps a failing attempt on a
 * held lock from taking the line away from the holder.
 */
static inline bool sb_qspin_try(sb_qspin_t *l)
{
	uint32_t val = atomic_load_explicit(&l->val, memory_order_relaxed);

	if (val)
		return false;
	/* acquire (on success): pairs with the release in sb_qspin_unlock(). */
	return atomic_compare_exchange_strong_explicit(&l->val, &val, SB_QSPIN_LOCKED, memory_order_acquire,
						       memory_order_relaxed);
}

/*
 * The contended path: pending, else queue.  `val` is the word as the fast
 * path's failed CAS saw it.  Returns holding the lock.  Out of line, so the
 * fast path stays small where it is inlined; `unused` because a file may
 * include this header without locking.
 */
static __attribute__((noinline, unused)) void sb_qspin_lock_slow(sb_qspin_t *l, unsigned tid, uint32_t val)
{
	sb_qspin_qnode_t *node, *prev, *next;
	uint32_t tail, old;
	unsigned idx, loops;

	/*
	 * 0,1,0 -> 0,0,1 is in flight: give the pending waiter a bounded
	 * while to finish, so we can take pending after it instead of
	 * queueing.
	 */
	for (loops = SB_QSPIN_PENDING_LOOPS; val == SB_QSPIN_PENDING && loops; loops--) {
		sb_spin_wait();
		val = atomic_load_explicit(&l->val, memory_order_relaxed);
	}

	/* Pending taken or a queue there: queue behind them (FIFO). */
	if (val & ~SB_QSPIN_LOCKED_MASK)
		goto queue;

	/*
	 * 0,0,* -> 0,1,*.  acquire: pairs with the release in
	 * sb_qspin_unlock() when the lock turns out to be free already.
	 */
	val = atomic_fetch_or_explicit(&l->val, SB_QSPIN_PENDING, memory_order_acquire);
	if (val & ~SB_QSPIN_LOCKED_MASK) {
		/*
		 * Somebody took pending or queued since we looked.  If the bit
		 * was clear, we set it and must clear it again: *,1,* ->
		 * *,0,*.  A queue head seeing it meanwhile just waits longer.
		 */
		if (!(val & SB_QSPIN_PENDING))
			atomic_fetch_and_explicit(&l->val, ~SB_QSPIN_PENDING, memory_order_relaxed);
		goto queue;
	}

	/*
	 * We own pending: *,1,1 -> *,1,0 by the holder's unlock.  Nobody else
	 * can set the locked byte while pending is set.
	 */
	while (val & SB_QSPIN_LOCKED_MASK) {
		sb_spin_wait();
		/* acquire: pairs with the release in sb_qspin_unlock(). */
		val = atomic_load_explicit(&l->val, memory_order_acquire);
	}

	/*
	 * *,1,0 -> *,0,1: one add of LOCKED - PENDING, exact because both
	 * bits are known.  Relaxed: the acquire above (or the fetch-or's, if
	 * the lock was free) already ordered us after the last unlock.
	 */
	atomic_fetch_sub_explicit(&l->val, SB_QSPIN_PENDING - SB_QSPIN_LOCKED, memory_order_relaxed);
	return;

queue:
	idx = sb_qspin_nesting++;
	if (sb_unlikely(idx >= SB_QSPIN_MAX_NESTING)) {
		/* Out of nodes (cannot happen under the contract): barge. */
		while (!sb_qspin_try(l))
			sb_spin_wait();
		goto release;
	}
	node = &sb_qspin_nodes[tid][idx];
	tail = sb_qspin_encode_tail(tid, idx);
	atomic_store_explicit(&node->locked, 0, memory_order_relaxed);
	atomic_store_explicit(&node->next, NULL, memory_order_relaxed);

	/*
	 * p,*,* -> n,*,*: the tail exchange, as a CAS loop on the whole word
	 * (a failed CAS means the word moved on; retry at once).  release:
	 * publishes the node resets above to our successor, whose acquire CAS
	 * here reads our tail code and which then writes node->next.  acquire:
	 * pairs with that release of our predecessor's CAS, so its
	 * prev->next = NULL is ordered before our store to it.
	 */
	old = atomic_load_explicit(&l->val, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(&l->val, &old, (old & ~SB_QSPIN_TAIL_MASK) | tail,
						      memory_order_acq_rel, memory_order_relaxed))
		; /* `old` now holds the word's current value: retry */

	next = NULL;
	if (old & SB_QSPIN_TAIL_MASK) {
		prev = sb_qspin_decode_tail(old);
		/*
		 * release: pairs with the acquire loads of node->next below in
		 * the predecessor, so our node->locked = 0 is ordered before
		 * its store of 1.
		 */
		atomic_store_explicit(&prev->next, node, memory_order_release);
		/* acquire: pairs with the release hand-off store below. */
		while (!atomic_load_explicit(&node->locked, memory_order_acquire))
			sb_spin_wait();
		/*
		 * The successor may have linked in already: fetch it now.
		 * acquire: pairs with the successor's release store of
		 * prev->next (the store just above, run by the successor).
		 */
		next = atomic_load_explicit(&node->next, memory_order_acquire);
	}

	/*
	 * Queue head: wait for *,0,0, the holder and any pending waiter gone.
	 * acquire: pairs with the release in sb_qspin_unlock().
	 */
	while ((val = atomic_load_explicit(&l->val, memory_order_acquire)) & (SB_QSPIN_LOCKED_MASK | SB_QSPIN_PENDING))
		sb_spin_wait();

	/*
	 * Claim the lock.  Nobody else can set the locked byte now: the
	 * queue rules out the fast path, trylock and pending.  Relaxed: the
	 * acquire load above ordered us after the last unlock.
	 *
	 * n,0,0 -> 0,0,1 when we are last: clear the tail too, so nobody
	 * links behind a node we are about to drop.  The CAS fails if a
	 * successor swapped in its tail, or if a newcomer set pending for a
	 * moment; that newcomer saw our tail and queues behind us, so either
	 * way a successor is coming.
	 */
	if ((val & SB_QSPIN_TAIL_MASK) == tail &&
	    atomic_compare_exchange_strong_explicit(&l->val, &val, SB_QSPIN_LOCKED, memory_order_relaxed,
						    memory_order_relaxed))
		goto release;
	/* *,*,0 -> *,*,1 */
	atomic_fetch_or_explicit(&l->val, SB_QSPIN_LOCKED, memory_order_relaxed);

	/* Make the successor queue head. */
	/* acquire: pairs with the successor's release store of prev->next. */
	while (!next && !(next = atomic_load_explicit(&node->next, memory_order_acquire)))
		sb_spin_wait();
	/* release: pairs with the successor's acquire spin on node->locked. */
	atomic_store_explicit(&next->locked, 1, memory_order_release);
release:
	sb_qspin_nesting--;
}

/*
 * CAS 0 -> locked; on failure, the slow path.  Never fails; may wait
 * forever if the holder never unlocks.
 */
static inline void sb_qspin_lock(sb_qspin_t *l, sb_qspin_node_t *n)
{
	uint32_t val = 0;

	/*
	 * 0,0,0 -> 0,0,1.  acquire: pairs with the release in
	 * sb_qspin_unlock().
	 */
	if (sb_likely(atomic_compare_exchange_strong_explicit(&l->val, &val, SB_QSPIN_LOCKED, memory_order_acquire,
							      memory_order_relaxed)))
		return;
	sb_qspin_lock_slow(l, n->tid, val);
}

/*
 * True when the word was 0 (free, nobody pending or queued) and the lock is
 * now ours; false, changing nothing, otherwise.
 */
static inline bool sb_qspin_trylock(sb_qspin_t *l, sb_qspin_node_t *n)
{
	(void)n;
	return sb_qspin_try(l);
}

/* *,*,1 -> *,*,0.  The caller must hold the lock. */
static inline void sb_qspin_unlock(sb_qspin_t *l, sb_qspin_node_t *n)
{
	(void)n;
	/*
	 * release: pairs with the acquire of whoever takes the lock next: the
	 * fast-path or trylock CAS, the pending waiter's fetch-or or spin, or
	 * the queue head's spin.
	 */
	atomic_fetch_and_explicit(&l->val, ~SB_QSPIN_LOCKED_MASK, memory_order_release);
}

SB_EXCLUSIVE_ONLY(qspin)

#endif /* SPINBENCH_LOCKS_QSPIN_H */
