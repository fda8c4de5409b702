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
 * Word layout: one 32-bit word, alone on its 128-byte line:
 *
 *	bits  0-15: owner (now serving)
 *	bits 16-31: next  (next ticket to hand out)
 *
 * The lock is free when next == owner; next - owner (mod 2^16) is the number
 * of threads holding or waiting.  At most 65535 threads may be in the lock
 * at once (the holder included): a 65536th ticket would make next wrap onto
 * owner, and the lock would look free.  spinbench runs at most 4096.
 *
 * State transitions (next, owner):
 *	lock:		n,o -> n+1,o	then wait for owner == n
 *	trylock:	n,n -> n+1,n	(CAS; fails, changing nothing, if n != o)
 *	unlock:		n,o -> n,o+1	(owner wraps 0xffff -> 0 without a carry)
 *
 * Why `next` is the high half: the fetch-and-add that takes a ticket adds
 * 1 << 16 to the whole word, and when `next` wraps the carry falls off the
 * top of the word, harmlessly.  `owner` in the low half must wrap without
 * carrying into `next`.  Unlock does that with one whole-word fetch-and-add
 * of a delta computed from the owner half it already knows (only the holder
 * changes that half): +1 normally, and at the wrap 0xffff -> 0 the delta
 * 0xffff0001, that is +1 for owner minus the 1 << 16 that the carry would
 * add to next, so next is left exactly as it was.  This keeps every access
 * a whole-word C11 atomic (no 16-bit store aliasing the 32-bit word, which
 * C11 cannot express and ThreadSanitizer would not understand), and unlike
 * a CAS loop it cannot be made to retry by a stream of arriving tickets:
 * unlock is one wait-free read-modify-write.
 */
#ifndef SPINBENCH_LOCKS_TICKET_H
#define SPINBENCH_LOCKS_TICKET_H

#include "arch.h"

#define SB_TICKET_OWNER_MASK 0x0000ffffu
#define SB_TICKET_NEXT_SHIFT 16
#define SB_TICKET_NEXT_ONE (1u << SB_TICKET_NEXT_SHIFT)

typedef struct sb_ticket {
	SB_ALIGNED _Atomic(uint32_t) word;
} sb_ticket_t;

SB_NO_NODE(ticket)

static inline void sb_ticket_init(sb_ticket_t *l)
{
	atomic_init(&l->word, 0);
}

static inline uint32_t sb_ticket_owner(uint32_t w)
{
	return w & SB_TICKET_OWNER_MASK;
}

static inline uint32_t sb_ticket_next(uint32_t w)
{
	return w >> SB_TICKET_NEXT_SHIFT;
}

/*
 * Take a ticket, then wait until it is served.  Never fails; may wait
 * forever if the holder never unlocks.
 */
static inline void sb_ticket_lock(sb_ticket_t *l, sb_ticket_node_t *n)
{
	uint32_t w, me;

	(void)n;
	/*
	 * n,o -> n+1,o.  acquire: pairs with the release fetch-and-add in
	 * sb_ticket_unlock() that made owner == our ticket (the lock was free).
	 */
	w = atomic_fetch_add_explicit(&l->word, SB_TICKET_NEXT_ONE, memory_order_acquire);
	me = sb_ticket_next(w);
	if (sb_likely(me == sb_ticket_owner(w)))
		return;
	/* acquire: pairs with the release fetch-and-add in sb_ticket_unlock(). */
	while (sb_ticket_owner(atomic_load_explicit(&l->word, memory_order_acquire)) != me)
		sb_spin_wait();
}

/*
 * True when the lock was free (next == owner) and is now ours.  False when
 * it was held or had waiters; then the word is unchanged: no ticket taken.
 */
static inline bool sb_ticket_trylock(sb_ticket_t *l, sb_ticket_node_t *n)
{
	uint32_t w;

	(void)n;
	w = atomic_load_explicit(&l->word, memory_order_relaxed);
	if (sb_ticket_next(w) != sb_ticket_owner(w))
		return false;
	/*
	 * n,n -> n+1,n.  acquire (on success): pairs with the release
	 * fetch-and-add in sb_ticket_unlock() that made owner == next.
	 */
	return atomic_compare_exchange_strong_explicit(&l->word, &w, w + SB_TICKET_NEXT_ONE, memory_order_acquire,
						       memory_order_relaxed);
}

/* n,o -> n,o+1 (owner mod 2^16).  The caller must hold the lock. */
static inline void sb_ticket_unlock(sb_ticket_t *l, sb_ticket_node_t *n)
{
	uint32_t owner, delta;

	(void)n;
	/*
	 * Relaxed: only this thread, the holder, changes the owner half, and
	 * it last saw it change when it acquired; other threads only change
	 * the next half meanwhile.
	 */
	owner = sb_ticket_owner(atomic_load_explicit(&l->word, memory_order_relaxed));
	/* 1, or at the wrap 0xffff -> 0 (mod 2^32) 0xffff0001: see above. */
	delta = ((owner + 1) & SB_TICKET_OWNER_MASK) - owner;
	/*
	 * release: pairs with the acquire load in the next waiter's spin in
	 * sb_ticket_lock(), or with the acquire fetch-and-add or CAS of a
	 * thread that finds the lock free.
	 */
	atomic_fetch_add_explicit(&l->word, delta, memory_order_release);
}

SB_EXCLUSIVE_ONLY(ticket)

#endif /* SPINBENCH_LOCKS_TICKET_H */
