/*
 * rw-phasefair - phase-fair ticket reader/writer lock (PF-T).
 *
 * From B. B. Brandenburg and J. H. Anderson, "Spin-based reader-writer
 * synchronization for multiprocessor real-time systems", Real-Time Systems
 * 46(1), 2010, the ticket-based phase-fair lock PF-T.  Four counters:
 *
 *	rin	readers that have entered, times RINC, plus two writer bits
 *	rout	readers that have left, times RINC
 *	win	writer tickets handed out
 *	wout	writer tickets served (the writer whose turn it is)
 *
 * A reader adds RINC to rin.  If no writer was present it is in; otherwise
 * it remembers the writer bits it saw and waits until rin's writer bits are
 * different: either that writer left, or the next writer has started a new
 * phase (and waits for this reader, who was counted before it).  A writer
 * takes a ticket from win and waits for wout, like a ticket lock; at its
 * turn it sets the writer bits in rin with one fetch-add, which both shuts
 * later readers out and returns how many readers got in before it, and
 * waits until rout has caught up with that count.  It leaves by clearing
 * PRES in rin and advancing wout.  Readers and writers thus alternate in
 * phases: a reader waits for at most one writer phase, a writer for at most
 * one reader phase plus the writers ahead of it.
 *
 * Fairness: phase-fair.  Writers are FIFO among themselves (tickets); a
 * reader that arrives during a writer phase enters as soon as that phase
 * ends, ahead of any writer queued behind it; a writer waits only for the
 * readers that arrived before it.  Neither side can starve.
 *
 * rin layout (32 bits); rout is the same with bits 0..7 always zero:
 *
 *	 31                              8 7      2   1      0
 *	+---------------------------------+--------+------+------+
 *	|   readers entered (24, wraps)   |   0    | PRES | PHID |
 *	+---------------------------------+--------+------+------+
 *
 *	PRES	a writer is present (waiting for readers to drain, or inside)
 *	PHID	the phase id of the current or the most recent writer phase
 *	RINC	0x100, as in the paper, keeping the writer bits in a byte of
 *		their own; the counts wrap harmlessly because they are only
 *		compared for equality, and 2^24 readers at once is far beyond
 *		the 4096 threads the harness runs
 *
 * win and wout are plain 32-bit ticket counters, compared for equality.
 *
 * One deviation from the paper.  There the phase id is the parity of the
 * writer's ticket; here PHID is kept in rin and flipped by each writer phase
 * (clearing PRES at unlock leaves it in place).  In a run of plain lock
 * calls the two are the same.  The difference is for sb_rw_phasefair_trylock():
 * its two CASes (win, then rin) can be split by a reader entering, and if a
 * writer has queued behind it meanwhile the try must hand its ticket on
 * without a phase; with parity ids the next two phases would then share an
 * id, and a reader still waiting on the first could miss the change, be
 * counted by the second and deadlock with it.  Flipping per real phase
 * keeps consecutive phases distinct whatever happens to tickets.
 *
 * Each counter has a cache line (128 bytes) of its own, 512 bytes in all:
 * readers arrive on rin and leave on rout, so the writer spinning on rout
 * sees only departures and the readers spinning on rin only writer changes
 * and arrivals; queued writers spin on wout, away from the win arrivals.
 */
#ifndef SPINBENCH_LOCKS_RW_PHASEFAIR_H
#define SPINBENCH_LOCKS_RW_PHASEFAIR_H

#include "arch.h"

#define SB_RW_PHASEFAIR_PHID 0x1u   /* phase id of the current/last writer phase */
#define SB_RW_PHASEFAIR_PRES 0x2u   /* a writer is present */
#define SB_RW_PHASEFAIR_WBITS 0x3u  /* the writer bits of rin */
#define SB_RW_PHASEFAIR_RINC 0x100u /* one reader in rin and rout */

typedef struct sb_rw_phasefair {
	SB_ALIGNED _Atomic uint32_t rin;
	SB_ALIGNED _Atomic uint32_t rout;
	SB_ALIGNED _Atomic uint32_t win;
	SB_ALIGNED _Atomic uint32_t wout;
} sb_rw_phasefair_t;

SB_NO_NODE(rw_phasefair)

static inline void sb_rw_phasefair_init(sb_rw_phasefair_t *l)
{
	atomic_init(&l->rin, 0);
	atomic_init(&l->rout, 0);
	atomic_init(&l->win, 0);
	atomic_init(&l->wout, 0);
}

/*
 * What a writer adds to rin, whose writer bits are (PRES, PHID) = (0, p), to
 * start its phase: (0, p) -> (1, !p).  An addition rather than an xor so
 * that it is one XADD on x86 (a fetch-xor whose old value is used becomes a
 * CAS loop there, which arriving readers could make retry); it cannot
 * carry into the reader count because the bits before it are known.
 */
static inline uint32_t sb_rw_phasefair_phase_start(uint32_t rin)
{
	return (rin & SB_RW_PHASEFAIR_PHID) ? SB_RW_PHASEFAIR_PRES - SB_RW_PHASEFAIR_PHID
					    : SB_RW_PHASEFAIR_PRES + SB_RW_PHASEFAIR_PHID;
}

/*
 * Exclusive acquire: ticket, then phase.
 *	win: t -> t+1;  wait wout == t;
 *	rin: (n, 0, p) -> (n, 1, !p);  wait rout == n
 */
static inline void sb_rw_phasefair_lock(sb_rw_phasefair_t *l, sb_rw_phasefair_node_t *n)
{
	uint32_t t, r;

	(void)n;
	/* Relaxed: the ticket is only a place in line; wout grants the turn. */
	t = atomic_fetch_add_explicit(&l->win, 1, memory_order_relaxed);
	/*
	 * Acquire: pairs with the release store of wout in unlock() (or in a
	 * failed trylock() handing its ticket on) by the writer before us.
	 */
	while (atomic_load_explicit(&l->wout, memory_order_acquire) != t)
		sb_spin_wait();

	/*
	 * Only the writer whose turn it is changes rin's writer bits, and the
	 * previous one cleared PRES before its release of wout, so this load
	 * sees (0, p) and the addend below is exact.
	 */
	r = atomic_load_explicit(&l->rin, memory_order_relaxed);
	/*
	 * Relaxed: this RMW shuts out the readers that come after it in rin's
	 * modification order (they see PRES) and counts those before it; the
	 * ordering with those readers' critical sections comes from the
	 * acquire on rout below, with the previous writer's from wout above.
	 */
	r = atomic_fetch_add_explicit(&l->rin, sb_rw_phasefair_phase_start(r), memory_order_relaxed);
	r &= ~SB_RW_PHASEFAIR_WBITS;
	/*
	 * Acquire: pairs with the release fetch-add on rout in read_unlock()
	 * of the readers counted in r, which all happen before our section.
	 */
	while (atomic_load_explicit(&l->rout, memory_order_acquire) != r)
		sb_spin_wait();
}

/*
 * Exclusive try: succeeds only if no writer holds or waits (win == wout) and
 * no reader is inside (rin == rout, no PRES); never waits.  It takes the
 * ticket with a CAS on win only after seeing the lock entirely free, then
 * starts its phase with a CAS on rin that fails if any reader entered since.
 * In that (rare) race the ticket goes back: win is set back with a CAS if no
 * writer has queued behind it, which leaves no trace; otherwise the turn is
 * passed to that writer through wout, a ticket served without a phase,
 * which the per-phase PHID (see the head comment) makes harmless.
 */
static inline bool sb_rw_phasefair_trylock(sb_rw_phasefair_t *l, sb_rw_phasefair_node_t *n)
{
	uint32_t t, u, r;

	(void)n;
	/* Acquire: pairs with the release store of wout of the last writer. */
	t = atomic_load_explicit(&l->wout, memory_order_acquire);
	if (atomic_load_explicit(&l->win, memory_order_relaxed) != t)
		return false;
	r = atomic_load_explicit(&l->rin, memory_order_relaxed);
	if (r & SB_RW_PHASEFAIR_PRES)
		return false;
	/*
	 * Acquire: pairs with the release fetch-add on rout in read_unlock() of
	 * every reader counted in r, who must all have left.
	 */
	if ((r & ~SB_RW_PHASEFAIR_WBITS) != atomic_load_explicit(&l->rout, memory_order_acquire))
		return false;
	/* Relaxed: as in lock(), the ticket is only a place in line. */
	if (!atomic_compare_exchange_strong_explicit(&l->win, &t, t + 1, memory_order_relaxed, memory_order_relaxed))
		return false;
	/*
	 * Our turn (wout == t).  Relaxed: rin unchanged since the load of r
	 * means no reader entered after the ones that have left; ordering
	 * comes from the two acquires above.
	 */
	if (sb_likely(atomic_compare_exchange_strong_explicit(&l->rin, &r, r + sb_rw_phasefair_phase_start(r),
							      memory_order_relaxed, memory_order_relaxed)))
		return true;

	/* A reader got in: give the ticket back, (win, wout) = (t+1, t). */
	u = t + 1;
	/* Relaxed: nothing was done under the ticket. */
	if (!atomic_compare_exchange_strong_explicit(&l->win, &u, t, memory_order_relaxed, memory_order_relaxed)) {
		/*
		 * Release: pairs with the acquire load of wout by the writer
		 * holding ticket t+1, continuing the chain from the writer
		 * before us (our acquire of wout above).
		 */
		atomic_store_explicit(&l->wout, t + 1, memory_order_release);
	}
	return false;
}

/*
 * Exclusive release: end the phase, then pass the turn.
 *	rin: (n, 1, p) -> (n, 0, p);  wout: t -> t+1
 * In this order: the next writer reads rin's bits once it has its turn.
 */
static inline void sb_rw_phasefair_unlock(sb_rw_phasefair_t *l, sb_rw_phasefair_node_t *n)
{
	uint32_t t;

	(void)n;
	/*
	 * Release: pairs with the acquire of the readers waiting for the phase
	 * to end (the load in read_lock()) and of the readers arriving after it
	 * (fetch-add in read_lock(), CAS in read_trylock()).
	 */
	atomic_fetch_sub_explicit(&l->rin, SB_RW_PHASEFAIR_PRES, memory_order_release);
	/* Only the writer whose turn it is writes wout: no RMW needed. */
	t = atomic_load_explicit(&l->wout, memory_order_relaxed);
	/*
	 * Release: pairs with the acquire load of wout by the next writer, in
	 * lock() or trylock().
	 */
	atomic_store_explicit(&l->wout, t + 1, memory_order_release);
}

/*
 * Shared acquire.  rin: (n, b) -> (n+1, b); in if PRES was clear in b,
 * otherwise wait until rin's writer bits are no longer b.
 */
static inline void sb_rw_phasefair_read_lock(sb_rw_phasefair_t *l, sb_rw_phasefair_node_t *n)
{
	uint32_t w;

	(void)n;
	/*
	 * Acquire: pairs with the release fetch-sub on rin in unlock() of the
	 * last writer, whose phase then happens before our section.
	 */
	w = atomic_fetch_add_explicit(&l->rin, SB_RW_PHASEFAIR_RINC, memory_order_acquire);
	if (sb_likely(!(w & SB_RW_PHASEFAIR_PRES)))
		return;
	w &= SB_RW_PHASEFAIR_WBITS;
	/*
	 * Acquire: pairs with the release fetch-sub on rin in unlock() of the
	 * writer whose phase we waited for; if we first see the next writer's
	 * bits, its fetch-add continues that release sequence.
	 */
	while ((atomic_load_explicit(&l->rin, memory_order_acquire) & SB_RW_PHASEFAIR_WBITS) == w)
		sb_spin_wait();
}

/*
 * Shared try: rin (n, b) -> (n+1, b) by CAS, only while no writer is present
 * (PRES clear); never waits.  It adds nothing to rin unless it succeeds.
 * The CAS is retried only when another reader entered in between (rin
 * changed without PRES), which is progress for someone, not waiting.
 */
static inline bool sb_rw_phasefair_read_trylock(sb_rw_phasefair_t *l, sb_rw_phasefair_node_t *n)
{
	uint32_t r;

	(void)n;
	r = atomic_load_explicit(&l->rin, memory_order_relaxed);
	for (;;) {
		if (r & SB_RW_PHASEFAIR_PRES)
			return false;
		/* Acquire: pairs with the release fetch-sub on rin in unlock(). */
		if (atomic_compare_exchange_weak_explicit(&l->rin, &r, r + SB_RW_PHASEFAIR_RINC, memory_order_acquire,
							  memory_order_relaxed))
			return true;
	}
}

/* Shared release.  rout: n -> n+1. */
static inline void sb_rw_phasefair_read_unlock(sb_rw_phasefair_t *l, sb_rw_phasefair_node_t *n)
{
	(void)n;
	/*
	 * Release: pairs with the acquire load of rout by the writer waiting
	 * for the readers that entered before its phase (lock(), trylock()).
	 */
	atomic_fetch_add_explicit(&l->rout, SB_RW_PHASEFAIR_RINC, memory_order_release);
}

SB_NO_CONVERT(rw_phasefair)

#endif /* SPINBENCH_LOCKS_RW_PHASEFAIR_H */
