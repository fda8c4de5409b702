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
#include <string.h>

#include "bench.h"
#include "clock.h"
#include "handoff.h"

static inline int phase_of(sb_bench_t *b)
{
	return atomic_load_explicit(&b->phase, memory_order_relaxed);
}

/* max-contention: one lock, empty critical section, no think time. */
static void plain_worker(sb_bench_t *b, unsigned tid)
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
	uint64_t nt = 0, nh = 0, nr = 0, ni = 0, lh = 0;
	const uint64_t hold_limit = b->hold_limit_ticks;
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
		lh += t_rel - t_acq > hold_limit;
		nt++;
	}
	w->long_holds = lh;
	writes += nt;
	w->timed_acq = nt;
	w->handoffs = nh;
	sb_worker_edge(b, tid, SB_TIMED_END);
	w->reacquires = nr;
	w->idle = ni;
	w->writes_total = writes;
	w->writes_measured = cnt;
	w->violations = viol;
	/* Pairs with the runner's acquire load of `done` before it reads the results. */
	atomic_fetch_add_explicit(&b->done, 1, memory_order_release);
}

/* The general loop's per-thread state, in registers or on the stack. */
typedef struct gen_state {
	sb_rng_t rng;
	uint64_t read_thresh;
	uint64_t viol, excl, reads, writes;
	uint64_t nt, nh, nr, ni, lh;
	uint64_t sink;
} gen_state_t;

/*
 * One acquisition of the general loop: think, pick an instance, choose read
 * or write, lock, check, touch the data, hold for the calibrated critical
 * section, unlock.  `timed` is a constant at every call site: the untimed
 * copies read no clock.
 */
static inline __attribute__((always_inline)) void gen_op(sb_bench_t *b, node_t *n, sb_worker_t *w, unsigned tid,
							 gen_state_t *st, const int timed)
{
	const uint32_t mark = tid + 1;
	sb_delay(sb_think_draw_iters(w->think, &st->rng));
	unsigned ii = b->ninst > 1 ? (unsigned)sb_rng_below(&st->rng, (uint64_t)b->ninst) : 0;
	sb_inst_t *in = &b->inst[ii];
	lock_t *l = in->lock;
	sb_ds_op_t op = SB_DS_OP_LOOKUP;
	uint32_t key = 0;
	bool rd;

	if (b->ds != SB_DS_NONE) {
		op = sb_ds_mix_draw(&b->mix, &st->rng);
		key = sb_ds_mix_key(&b->mix, &st->rng);
		rd = op == SB_DS_OP_LOOKUP;
	} else {
		rd = sb_rng_chance(&st->rng, st->read_thresh);
	}
	const bool shared = rd && b->rw; /* exclusive locks take reads exclusively */
	uint64_t t_arr = 0, t_acq = 0, seen = 0;

	if (timed)
		t_arr = sb_ticks();
	if (shared)
		READ_LOCK(l, n);
	else
		LOCK(l, n);
	if (timed)
		t_acq = sb_ticks();
	if (shared) {
		seen = sb_guard_read_enter(in->guard, &st->viol);
	} else {
		sb_guard_enter(in->guard, mark, &st->viol);
		st->excl++;
		if (timed) {
			uint32_t prev = in->slot->owner;
			uint64_t rel = in->slot->release_ts;
			switch (sb_classify_acq(prev, rel, tid, t_arr)) {
			case SB_ACQ_HANDOFF: {
				uint64_t lat = t_acq > rel ? (uint64_t)((double)(t_acq - rel) * b->ns_per_tick) : 0;
				sb_hist_add(w->h_handoff, lat);
				st->nh++;
				if (w->pair_count && prev < (uint32_t)b->nthreads) {
					w->pair_count[prev]++;
					w->pair_hist[(size_t)prev * SB_PHIST_N + sb_phist_index(lat)]++;
				}
				break;
			}
			case SB_ACQ_REACQUIRE:
				st->nr++;
				break;
			case SB_ACQ_IDLE:
				st->ni++;
				break;
			}
		}
	}
	if (b->cs_lines) {
		if (rd)
			st->sink += *in->line0 + sb_lines_read(in->rest, b->cs_lines - 1);
		else {
			*in->line0 = *in->line0 + 1;
			sb_lines_write(in->rest, b->cs_lines - 1);
		}
	}
	if (b->ds == SB_DS_HASHTABLE) {
		if (op == SB_DS_OP_LOOKUP)
			st->sink += sb_ht_lookup(in->ht, key);
		else if (op == SB_DS_OP_INSERT)
			w->tally[ii] += sb_ht_insert(in->ht, key);
		else
			w->tally[ii] -= sb_ht_delete(in->ht, key);
	} else if (b->ds == SB_DS_LIST) {
		uint64_t v;
		if (op == SB_DS_OP_LOOKUP)
			st->sink += sb_list_peek(in->list, &v);
		else if (op == SB_DS_OP_INSERT)
			w->tally[ii] += sb_list_push(in->list, key);
		else
			w->tally[ii] -= sb_list_pop(in->list, &v);
	}
	sb_delay(b->cs_iters);
	if (timed) {
		uint64_t t_rel = sb_ticks();
		if (!shared) {
			in->slot->owner = tid;
			in->slot->release_ts = t_rel;
		}
		sb_hist_add(shared || rd ? w->h_acq_read : w->h_acquire,
			    (uint64_t)((double)(t_acq - t_arr) * b->ns_per_tick));
		sb_hist_add(w->h_hold, (uint64_t)((double)(t_rel - t_acq) * b->ns_per_tick));
		st->lh += t_rel - t_acq > b->hold_limit_ticks;
		st->nt++;
	}
	if (shared) {
		sb_guard_read_leave(in->guard, seen, &st->viol);
		READ_UNLOCK(l, n);
	} else {
		sb_guard_leave(in->guard, mark, &st->viol);
		UNLOCK(l, n);
	}
	if (rd)
		st->reads++;
	else
		st->writes++;
}

/* Every other workload: the general loop. */
static void general_worker(sb_bench_t *b, unsigned tid)
{
	node_t *n = b->nodes[tid];
	sb_worker_t *w = &b->w[tid];
	gen_state_t st;

	memset(&st, 0, sizeof(st));
	sb_rng_seed(&st.rng, b->seed, tid);
	st.read_thresh = sb_workload_read_threshold(b->wl, tid);
	sb_worker_begin(b, tid);
	/* Pairs with the runner's release store of SB_PH_WARMUP (see plain_worker). */
	while (atomic_load_explicit(&b->phase, memory_order_acquire) == SB_PH_WAIT)
		sched_yield();
	while (phase_of(b) == SB_PH_WARMUP)
		gen_op(b, n, w, tid, &st, 0);

	sb_worker_edge(b, tid, SB_WINDOW_START);
	uint64_t r0 = st.reads, w0 = st.writes;
	unsigned long s0 = atomic_load_explicit(&sb_spins, memory_order_relaxed);
	while (phase_of(b) == SB_PH_MEASURE)
		gen_op(b, n, w, tid, &st, 0);
	w->spins_measured = atomic_load_explicit(&sb_spins, memory_order_relaxed) - s0;
	w->reads_measured = st.reads - r0;
	w->writes_measured = st.writes - w0;
	w->acq_measured = w->reads_measured + w->writes_measured;
	sb_worker_edge(b, tid, SB_WINDOW_END);

	sb_worker_edge(b, tid, SB_TIMED_START);
	while (phase_of(b) == SB_PH_TIMED)
		gen_op(b, n, w, tid, &st, 1);
	w->timed_acq = st.nt;
	w->handoffs = st.nh;
	w->reacquires = st.nr;
	w->idle = st.ni;
	w->long_holds = st.lh;
	sb_worker_edge(b, tid, SB_TIMED_END);
	w->writes_total = st.excl;
	w->violations = st.viol;
	w->sink = st.sink; /* keeps the reads of the protected data alive */
	/* Pairs with the runner's acquire load of `done` before it reads the results. */
	atomic_fetch_add_explicit(&b->done, 1, memory_order_release);
}

static void bench_worker(sb_bench_t *b, unsigned tid)
{
	if (b->general)
		general_worker(b, tid);
	else
		plain_worker(b, tid);
}
