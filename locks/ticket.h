/*
 * ticket.h - ticket spin lock.
 *
 * Lamport's bakery made atomic: a sequencer hands out tickets and an
 * eventcount says which one is served (D. P. Reed and R. K. Kanodia,
 * "Synchronization with eventcounts and sequencers", CACM 22(2), 1979; as a
 * spin lock, J. M. Mellor-Crummey and M. L. Scott, "Algorithms for
 * scalable synchronization on shared-memory multiprocessors", ACM TOCS
 * 9(1), 1991; Linux's x86 spinlock from 2.6.25 until qspinlock replaced
 * it in 4.2).  Two counters: `next`, the number of the next ticket to hand
 * out, and `owner`, the number of the ticket now being served.  A thread
 * takes a ticket with one fetch-and-add on `next` and waits until `owner`
 * equals it; unlock advances `owner` by one.  All waiters still spin on the
 * same line, so every release invalidates all of them, but only one of them
 * then acts, and there are no failed atomics.
 *
 * Fairness: strict FIFO.  Tickets are handed out in the order of the
 * fetch-and-adds and served in ticket order; a failed trylock takes no
 * ticket, so it never disturbs the queue.
 *
 * Word layout: two 32-bit counters side by side, alone on their 128-byte
 * line (one line: a waiter's spin and the next ticket-taker touch the same
 * line, as in the one-word design, so the line traffic is the same):
 *
 *	next   the next ticket to hand out (fetch-and-add by lock)
 *	owner  the ticket now being served (stored by the holder at unlock)
 *
 * The lock is free when next == owner; next - owner (mod 2^32) is the number
 * of threads holding or waiting, so up to 2^32 - 1 threads may be in the
 * lock at once (spinbench runs at most 4096).  Both wrap mod 2^32 together.
 *
 * State transitions (next, owner):
 *	lock:		n,o -> n+1,o	then wait for owner == n
 *	trylock:	o,o -> o+1,o	(CAS on next with the owner just read;
 *					 fails, changing nothing, if next != o)
 *	unlock:		n,o -> n,o+1	(a store: only the holder writes owner)
 *
 * Why two counters and not one word of two halves: unlock is then a plain
 * release store, not a read-modify-write.  Uncontended, a lock + unlock
 * pair costs one atomic RMW instead of two (make bench: 13.9 ns against
 * Concurrency Kit's 11.4 ns with the one-word design, which made unlock a
 * whole-word fetch-and-add so that the owner half could wrap without
 * carrying into next); contended, the holder's release is a store that
 * cannot be made to retry.  Each counter is its own C11 atomic, accessed
 * whole (no 16-bit access aliasing a 32-bit word, which C11 cannot express
 * and ThreadSanitizer would not understand), like Linux's pre-4.2 x86
 * ticket lock and ck_spinlock_ticket in their store-release unlock.
 * trylock's "free?" is two reads, next and owner, made atomic by the CAS
 * on next: it succeeds only while next still equals the owner it read, and
 * owner cannot move past a next that nobody has taken.
 */
#ifndef SPINBENCH_LOCKS_TICKET_H
#define SPINBENCH_LOCKS_TICKET_H

#include "arch.h"

typedef struct sb_ticket {
	SB_ALIGNED _Atomic(uint32_t) next; /* the next ticket to hand out */
	_Atomic(uint32_t) owner;           /* the ticket now being served */
} sb_ticket_t;

SB_NO_NODE(ticket)

static inline void sb_ticket_init(sb_ticket_t *l)
{
	atomic_init(&l->next, 0);
	atomic_init(&l->owner, 0);
}

/* A hint, for callers that look before they try (cohort.h): no ticket is
 * held or waited for.  Relaxed: sb_ticket_trylock decides. */
static inline bool sb_ticket_looks_free(sb_ticket_t *l)
{
	return atomic_load_explicit(&l->next, memory_order_relaxed) ==
	       atomic_load_explicit(&l->owner, memory_order_relaxed);
}

static inline void sb_ticket_lock(sb_ticket_t *l, sb_ticket_node_t *n)
{
	uint32_t me;
	(void)n;
	/*
	 * n,o -> n+1,o.  Relaxed: taking a ticket orders nothing; what the
	 * critical section may see is ordered by the acquire load of owner
	 * below.
	 */
	me = atomic_fetch_add_explicit(&l->next, 1, memory_order_relaxed);
	/* acquire: pairs with the release store in sb_ticket_unlock() that made
	 * owner == me (or reads the initial owner, for the first ticket). */
	if (sb_likely(atomic_load_explicit(&l->owner, memory_order_acquire) == me))
		return;
	/* acquire: as above. */
	while (atomic_load_explicit(&l->owner, memory_order_acquire) != me)
		sb_spin_wait();
}

static inline bool sb_ticket_trylock(sb_ticket_t *l, sb_ticket_node_t *n)
{
	uint32_t o, expect;
	(void)n;
	/* acquire: pairs with the release store in sb_ticket_unlock() that made
	 * owner == o; if the CAS below succeeds, that unlock is the one we
	 * follow. */
	o = atomic_load_explicit(&l->owner, memory_order_acquire);
	expect = o;
	/* o,o -> o+1,o.  Relaxed: the acquire load above ordered us. */
	return atomic_compare_exchange_strong_explicit(&l->next, &expect, o + 1, memory_order_relaxed,
						       memory_order_relaxed);
}

static inline void sb_ticket_unlock(sb_ticket_t *l, sb_ticket_node_t *n)
{
	(void)n;
	/* Relaxed: only the holder writes owner, and it is the holder. */
	uint32_t o = atomic_load_explicit(&l->owner, memory_order_relaxed);
	/*
	 * release: pairs with the acquire load of owner in the next waiter's
	 * sb_ticket_lock(), or in a sb_ticket_trylock() that finds the lock
	 * free.
	 */
	atomic_store_explicit(&l->owner, o + 1, memory_order_release);
}

SB_EXCLUSIVE_ONLY(ticket)

#endif /* SPINBENCH_LOCKS_TICKET_H */
