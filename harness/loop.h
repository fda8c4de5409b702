/*
 * loop.h - the benchmark worker, stamped out once per lock by stamp.c.
 *
 * Included by stamp.c only, where LOCK/UNLOCK expand to the lock's static
 * inline functions.  The measured window's loop body is: a relaxed load of
 * the phase word (a read-shared line, written a few times per repetition),
 * lock, the guard's check, unlock, a register increment.  No clock, no
 * syscall, no allocation, no indirect call.
 *
 * The latency phase (bench.h) runs the same body plus, at a release, one
 * ordered stamp stored beside the lock (the handoff record: at every release
 * in the general loop, at those before a gated sequence number in
 * max-contention); one acquisition in about sample_every is timed in full:
 * its arrival stamp before the lock call, its owned stamp right after it,
 * the records read under the lock.
 * Everything else a timed acquisition does (classification, histograms,
 * pair counts) runs after the unlock, from registers: nothing of the
 * harness's bookkeeping sits inside the critical section or between the
 * release stamp and the unlock but the store of the stamp itself.
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

/* Wait for the runner's start; yield: when threads outnumber PUs, spinning
 * here would starve the threads that still have to bind themselves. */
static void wait_start(sb_bench_t *b)
{
	/* Pairs with the runner's release store of SB_PH_WARMUP, after every worker is ready. */
	while (atomic_load_explicit(&b->phase, memory_order_acquire) == SB_PH_WAIT)
		sched_yield();
}

/* Leaving the window: counted, so that the runner starts TIMED when every
 * worker writes release records.  Release: pairs with the runner's acquire
 * load of `timed`, which then reads this worker's acq_measured. */
static void enter_settle(sb_bench_t *b)
{
	atomic_fetch_add_explicit(&b->timed, 1, memory_order_release);
}

/* The number of acquisitions until the next timed one: uniform in
 * [1, 2k-1], mean k; drawn only when a sample is taken. */
static inline uint64_t sample_gap(sb_rng_t *r, uint64_t k)
{
	return k <= 1 ? 1 : 1 + sb_rng_below(r, 2 * k - 1);
}

/* What the runner decided for TIMED.  Acquire: pairs with the runner's
 * release store of SB_PH_TIMED, which publishes sample_every (a later STOP,
 * stored by the same thread, is in that store's release sequence). */
static inline uint64_t timed_sample_every(sb_bench_t *b)
{
	(void)atomic_load_explicit(&b->phase, memory_order_acquire);
	uint64_t k = b->sample_every;
	return k ? k : 1;
}

/*
 * The bookkeeping of one timed acquisition, after its unlock: add its
 * acquire latency and hold, count a long hold; when `classify` (the release
 * before it was stamped), classify it (handoff.h) and count handoff pairs.
 * `acq_hist` is where its acquire latency goes (writes or reads).
 */
static inline __attribute__((always_inline)) void timed_record(const sb_bench_t *b, sb_worker_t *w,
							       const sb_acq_seen_t *s, uint32_t mark, int shared,
							       sb_hist_t *acq_hist, uint64_t t_arr, uint64_t t_acq,
							       uint64_t t_rel, int classify)
{
	sb_timed_t *T = &w->t;
	const double npt = b->ns_per_tick;
	uint32_t from = 0;
	uint64_t rel = 0, lat = 0;
	int from_readers = 0;
	sb_acq_kind_t k = classify ? sb_classify(s, mark, shared, t_arr, &from, &rel, &from_readers) : SB_ACQ_NKINDS;

	T->sampled += (uint64_t)classify;
	if (classify)
		T->kind[k]++;
	if (k == SB_ACQ_HANDOFF) {
		if (shared)
			T->ho_r++;
		else
			T->ho_w++;
		T->ho_from_readers += (uint64_t)from_readers;
		int in_hist = sb_handoff_add(shared ? w->h_ho_r : w->h_ho_w, &T->nonpositive, t_acq, rel, npt, &lat);
		if (w->pair_count && from - 1 < (uint32_t)b->nthreads) {
			w->pair_count[from - 1]++;
			if (in_hist)
				w->pair_hist[(size_t)(from - 1) * SB_PHIST_N + sb_phist_index(lat)]++;
		}
	}
	sb_hist_add(acq_hist, (uint64_t)((double)(t_acq - t_arr) * npt));
	uint64_t held = t_rel - t_acq;
	held = held > b->stamp_ticks ? held - b->stamp_ticks : 0;
	sb_hist_add(w->h_hold, (uint64_t)((double)held * npt));
	T->long_holds += held > b->hold_limit_ticks;
}

/* ---------------------------------------------------------------- max-contention */

/* The window's body: lock, check, unlock. */
static inline __attribute__((always_inline)) void plain_op(lock_t *l, node_t *n, sb_guard_t *g, uint32_t mark,
							   uint64_t *viol)
{
	LOCK(l, n);
	uint64_t e = sb_guard_enter(g, mark, viol);
	sb_guard_leave(g, mark, e, viol);
	UNLOCK(l, n);
}

/*
 * The latency phase's untimed body: the same, and the release stamp when
 * the next sequence number is a multiple of mask + 1.  The entry's word
 * holds the counter before this acquisition's increment: this one is
 * e + 1, the next e + 2 (modulo 2^32, which a power-of-two mask ignores).
 */
static inline __attribute__((always_inline)) void plain_rec_op(lock_t *l, node_t *n, sb_guard_t *g, uint32_t mark,
							       uint64_t mask, uint64_t *viol)
{
	LOCK(l, n);
	uint64_t e = sb_guard_enter(g, mark, viol);
	sb_guard_leave(g, mark, e, viol);
	if (!((e + 2) & mask))
		g->rel_ts = sb_tick_end();
	UNLOCK(l, n);
}

/*
 * One timed acquisition of max-contention; returns the violations it saw.
 * Out of line, so that the loop that calls it one time in about
 * sample_every keeps its own state in registers (nothing of the caller's
 * has its address taken): a direct call, and only on timed acquisitions.
 */
static __attribute__((noinline)) uint64_t plain_timed_op(const sb_bench_t *b, lock_t *l, node_t *n, sb_guard_t *g,
							 sb_worker_t *w, uint32_t mark, uint64_t mask)
{
	uint64_t viol = 0;
	uint64_t t_arr = sb_tick_start();
	LOCK(l, n);
	uint64_t t_acq = sb_tick_end();
	uint64_t e = sb_guard_enter(g, mark, &viol);
	uint64_t w_rel = g->rel_ts;
	sb_guard_leave(g, mark, e, &viol);
	uint64_t t_rel = sb_tick_end();
	g->rel_ts = t_rel; /* needed only when (e + 2) & mask is 0; harmless otherwise */
	UNLOCK(l, n);
	sb_acq_seen_t s = {sb_guard_word_last(e), w_rel, 0, 0, 0};
	/* classified when the release before it was stamped: this sequence number, e + 1, is on the gate */
	timed_record(b, w, &s, mark, 0, w->h_acquire, t_arr, t_acq, t_rel, !((e + 1) & mask));
	return viol;
}

/* max-contention: one lock, empty critical section, no think time. */
static void plain_worker(sb_bench_t *b, unsigned tid)
{
	lock_t *l = b->lock;
	node_t *n = b->nodes[tid];
	sb_guard_t *g = b->guard;
	sb_worker_t *w = &b->w[tid];
	const uint32_t mark = tid + 1;
	uint64_t viol = 0, writes = 0, cnt = 0;
	sb_rng_t rng;

	sb_rng_seed(&rng, b->seed, tid);
	sb_worker_begin(b, tid);
	wait_start(b);
	while (phase_of(b) == SB_PH_WARMUP) {
		plain_op(l, n, g, mark, &viol);
		writes++;
	}

	sb_worker_edge(b, tid, SB_WINDOW_START);
	unsigned long s0 = atomic_load_explicit(&sb_spins, memory_order_relaxed);
	while (phase_of(b) == SB_PH_MEASURE) {
		plain_op(l, n, g, mark, &viol);
		cnt++;
	}
	w->spins_measured = atomic_load_explicit(&sb_spins, memory_order_relaxed) - s0;
	w->acq_measured = cnt;
	sb_worker_edge(b, tid, SB_WINDOW_END);
	writes += cnt;

	/* SETTLE stamps every release: the first classified acquisitions of TIMED
	 * may follow a release made here. */
	enter_settle(b);
	while (phase_of(b) == SB_PH_SETTLE) {
		plain_rec_op(l, n, g, mark, 0, &viol);
		writes++;
	}

	sb_worker_edge(b, tid, SB_TIMED_START);
	const uint64_t k = timed_sample_every(b), mask = b->stamp_mask;
	uint64_t cd = sample_gap(&rng, k), nall = 0;
	while (phase_of(b) == SB_PH_TIMED) {
		nall++;
		if (--cd) {
			plain_rec_op(l, n, g, mark, mask, &viol);
			continue;
		}
		cd = sample_gap(&rng, k);
		viol += plain_timed_op(b, l, n, g, w, mark, mask);
	}
	w->t.acq = nall;
	writes += nall;
	sb_worker_edge(b, tid, SB_TIMED_END);
	w->writes_total = writes;
	w->writes_measured = cnt;
	w->violations = viol;
	/* Pairs with the runner's acquire load of `done` before it reads the results. */
	atomic_fetch_add_explicit(&b->done, 1, memory_order_release);
}

/* ---------------------------------------------------------------- general */

/* The general loop's per-thread state, in registers or on the stack. */
typedef struct gen_state {
	sb_rng_t rng;
	uint64_t read_thresh;
	uint64_t viol, excl, reads, writes;
	uint64_t last_rel; /* this thread's latest release stamp (latency phase), 0: none */
	uint64_t sink;
} gen_state_t;

/* The latest shared release: an atomic maximum (readers release concurrently). */
static inline void rrec_publish(sb_rw_rec_t *r, uint64_t rec)
{
	uint64_t cur = atomic_load_explicit(&r->rel, memory_order_relaxed);
	/* Relaxed: the reader's unlock (a release) orders this before the next
	 * writer's lock (an acquire), which is where it is read. */
	while (cur < rec &&
	       !atomic_compare_exchange_weak_explicit(&r->rel, &cur, rec, memory_order_relaxed, memory_order_relaxed))
		;
}

/* The critical section's work on the protected data: the cs-lines, read or
 * written, and the data structure's operation. */
static inline __attribute__((always_inline)) void cs_work(const sb_bench_t *b, sb_inst_t *in, sb_worker_t *w,
							  gen_state_t *st, unsigned ii, bool rd, sb_ds_op_t op,
							  uint32_t key)
{
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
}

enum { GEN_UNTIMED, GEN_RECORD, GEN_SAMPLED };

/*
 * One acquisition of the general loop: think, pick an instance, choose read
 * or write, lock, check, touch the data, hold for the critical section,
 * unlock.  `mode` is a constant at every call site: GEN_UNTIMED reads no
 * clock but the workload's own delays; GEN_RECORD adds the release records;
 * GEN_SAMPLED times this acquisition in full.
 */
static inline __attribute__((always_inline)) void gen_op(sb_bench_t *b, node_t *n, sb_worker_t *w, unsigned tid,
							 gen_state_t *st, const int mode)
{
	const uint32_t mark = tid + 1;
	sb_delay_for(&b->delay, sb_think_draw(w->think, &st->rng));
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
	uint64_t t_arr = 0, t_acq = 0, e, w_rel = 0, r_rec = 0;
	uint32_t inside = 0;

	if (mode == GEN_SAMPLED)
		t_arr = sb_tick_start();
	if (shared)
		READ_LOCK(l, n);
	else
		LOCK(l, n);
	if (mode == GEN_SAMPLED)
		t_acq = sb_tick_end();
	if (shared) {
		e = sb_guard_read_enter(in->guard, &st->viol);
		if (mode != GEN_UNTIMED)
			inside = atomic_fetch_add_explicit(&in->rw->inside, 1, memory_order_relaxed);
	} else {
		e = sb_guard_enter(in->guard, mark, &st->viol);
		st->excl++;
	}
	if (mode == GEN_SAMPLED) {
		w_rel = in->guard->rel_ts;
		if (b->rw_reads)
			r_rec = atomic_load_explicit(&in->rw->rel, memory_order_relaxed);
	}
	cs_work(b, in, w, st, ii, rd, op, key);
	sb_delay_for(&b->delay, b->cs_ticks);
	uint64_t t_rel = 0;
	if (shared) {
		sb_guard_read_leave(in->guard, e, &st->viol);
		if (mode != GEN_UNTIMED) {
			t_rel = sb_tick_end();
			rrec_publish(in->rw, sb_rrec_pack(t_rel, b->base_ticks, mark));
			atomic_fetch_sub_explicit(&in->rw->inside, 1, memory_order_relaxed);
		}
		READ_UNLOCK(l, n);
	} else {
		sb_guard_leave(in->guard, mark, e, &st->viol);
		if (mode != GEN_UNTIMED) {
			t_rel = sb_tick_end();
			in->guard->rel_ts = t_rel;
		}
		UNLOCK(l, n);
	}
	if (mode == GEN_SAMPLED) {
		sb_acq_seen_t s = {sb_guard_word_last(e), w_rel, sb_rrec_mark(r_rec),
				   r_rec ? sb_rrec_stamp(r_rec, b->base_ticks) : 0, inside};
		timed_record(b, w, &s, mark, shared, rd ? w->h_acq_read : w->h_acquire, t_arr, t_acq, t_rel, 1);
		if (st->last_rel && t_arr > st->last_rel) {
			w->t.think_sum_ns += (uint64_t)((double)(t_arr - st->last_rel) * b->ns_per_tick);
			w->t.think_n++;
		}
	}
	if (mode != GEN_UNTIMED)
		st->last_rel = t_rel;
	if (rd)
		st->reads++;
	else
		st->writes++;
}

/* A timed acquisition of the general loop, out of line (see plain_timed_op). */
static __attribute__((noinline)) void gen_timed_op(sb_bench_t *b, node_t *n, sb_worker_t *w, unsigned tid,
						   gen_state_t *st)
{
	gen_op(b, n, w, tid, st, GEN_SAMPLED);
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
	wait_start(b);
	while (phase_of(b) == SB_PH_WARMUP)
		gen_op(b, n, w, tid, &st, GEN_UNTIMED);

	sb_worker_edge(b, tid, SB_WINDOW_START);
	uint64_t r0 = st.reads, w0 = st.writes;
	unsigned long s0 = atomic_load_explicit(&sb_spins, memory_order_relaxed);
	while (phase_of(b) == SB_PH_MEASURE)
		gen_op(b, n, w, tid, &st, GEN_UNTIMED);
	w->spins_measured = atomic_load_explicit(&sb_spins, memory_order_relaxed) - s0;
	w->reads_measured = st.reads - r0;
	w->writes_measured = st.writes - w0;
	w->acq_measured = w->reads_measured + w->writes_measured;
	sb_worker_edge(b, tid, SB_WINDOW_END);

	enter_settle(b);
	while (phase_of(b) == SB_PH_SETTLE)
		gen_op(b, n, w, tid, &st, GEN_RECORD);

	sb_worker_edge(b, tid, SB_TIMED_START);
	const uint64_t k = timed_sample_every(b);
	uint64_t cd = sample_gap(&st.rng, k), nall = 0;
	while (phase_of(b) == SB_PH_TIMED) {
		nall++;
		if (--cd) {
			gen_op(b, n, w, tid, &st, GEN_RECORD);
			continue;
		}
		cd = sample_gap(&st.rng, k);
		gen_timed_op(b, n, w, tid, &st);
	}
	w->t.acq = nall;
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
