/*
 * loop.h - the benchmark worker, stamped out once per lock by stamp.c.
 *
 * Included by stamp.c only, where LOCK/UNLOCK expand to the lock's static
 * inline functions.  The measured window's loop body is: a relaxed load of
 * the phase word (a read-shared line, written four times per repetition),
 * lock, the guard's check, unlock, a register increment.  No clock, no
 * syscall, no allocation, no indirect call.
 */
#include <sched.h>

#include "bench.h"
#include "clock.h"
#include "handoff.h"

static inline int phase_of(sb_bench_t *b)
{
	return atomic_load_explicit(&b->phase, memory_order_relaxed);
}

static void bench_worker(sb_bench_t *b, unsigned tid)
{
	lock_t *l = b->lock;
	node_t *n = b->nodes[tid];
	sb_guard_t *g = b->guard;
	sb_handoff_slot_t *slot = b->slot;
	sb_worker_t *w = &b->w[tid];
	const uint32_t mark = tid + 1;
	uint64_t viol = 0, writes = 0, cnt = 0;

	sb_worker_begin(b, tid);
	/* Pairs with the runner's release store of SB_PH_WARMUP, after every worker is
	 * ready.  Yield while waiting: when threads outnumber PUs, spinning here would
	 * starve the threads that still have to bind themselves. */
	while (atomic_load_explicit(&b->phase, memory_order_acquire) == SB_PH_WAIT)
		sched_yield();

	while (phase_of(b) == SB_PH_WARMUP) {
		LOCK(l, n);
		sb_guard_enter(g, mark, &viol);
		sb_guard_leave(g, mark, &viol);
		UNLOCK(l, n);
		writes++;
	}

	sb_worker_edge(b, tid, SB_WINDOW_START);
	unsigned long s0 = atomic_load_explicit(&sb_spins, memory_order_relaxed);
	while (phase_of(b) == SB_PH_MEASURE) {
		LOCK(l, n);
		sb_guard_enter(g, mark, &viol);
		sb_guard_leave(g, mark, &viol);
		UNLOCK(l, n);
		cnt++;
	}
	w->spins_measured = atomic_load_explicit(&sb_spins, memory_order_relaxed) - s0;
	w->acq_measured = cnt;
	sb_worker_edge(b, tid, SB_WINDOW_END);
	writes += cnt;

	/* Timed phase: latencies and handoff classification. */
	const double npt = b->ns_per_tick;
	uint64_t nt = 0, nh = 0, nr = 0, ni = 0;
	sb_hist_t *hh = w->h_handoff, *ha = w->h_acquire, *hd = w->h_hold;
	uint32_t *pc = w->pair_count, *ph_ = w->pair_hist;
	sb_worker_edge(b, tid, SB_TIMED_START);
	while (phase_of(b) == SB_PH_TIMED) {
		uint64_t t_arr = sb_ticks();
		LOCK(l, n);
		uint64_t t_acq = sb_ticks();
		sb_guard_enter(g, mark, &viol);
		uint32_t prev = slot->owner;
		uint64_t rel = slot->release_ts;
		switch (sb_classify_acq(prev, rel, tid, t_arr)) {
		case SB_ACQ_HANDOFF: {
			/* Counters of two cores that disagree by more than the latency would
			 * make it negative: clamp to 0 (issue: c2c offset check). */
			uint64_t lat = t_acq > rel ? (uint64_t)((double)(t_acq - rel) * npt) : 0;
			sb_hist_add(hh, lat);
			nh++;
			if (pc && prev < (uint32_t)b->nthreads) {
				pc[prev]++;
				ph_[(size_t)prev * SB_PHIST_N + sb_phist_index(lat)]++;
			}
			break;
		}
		case SB_ACQ_REACQUIRE:
			nr++;
			break;
		case SB_ACQ_IDLE:
			ni++;
			break;
		}
		uint64_t t_rel = sb_ticks();
		slot->owner = tid;
		slot->release_ts = t_rel;
		sb_guard_leave(g, mark, &viol);
		UNLOCK(l, n);
		sb_hist_add(ha, (uint64_t)((double)(t_acq - t_arr) * npt));
		sb_hist_add(hd, (uint64_t)((double)(t_rel - t_acq) * npt));
		nt++;
	}
	writes += nt;
	w->timed_acq = nt;
	w->handoffs = nh;
	sb_worker_edge(b, tid, SB_TIMED_END);
	w->reacquires = nr;
	w->idle = ni;
	w->writes_total = writes;
	w->violations = viol;
	/* Pairs with the runner's acquire load of `done` before it reads the results. */
	atomic_fetch_add_explicit(&b->done, 1, memory_order_release);
}
