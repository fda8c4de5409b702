/*
 * run.c - one repetition: its memory (layout.c), pinned workers (their
 * runtime in worker.c, their loops stamped out per lock by stamp.c), the
 * phases, the watchdog, and the reduction (reduce.c).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "handoff.h"
#include "layout.h"
#include "run.h"
#include "stats.h"

volatile int sb_stop_signal;

/* A thread's mark (id + 1) must fit the guard's 16-bit owner and last fields. */
_Static_assert(SB_MAX_THREADS < 0xffff, "SB_MAX_THREADS must fit the guard's 16-bit marks");

/* The runner's state of one repetition. */
typedef struct runner {
	sb_bench_t b;
	sb_runctx_t *ctx;
	const sb_lock_impl_t *im;
	pthread_t *th;
	struct wctx {
		struct runner *r;
		unsigned tid;
	} * wc;
} runner_t;

/* Steal time of all CPUs so far (/proc/stat, USER_HZ ticks), or UINT64_MAX. */
static uint64_t read_steal_ticks(void)
{
	FILE *f = fopen("/proc/stat", "r");
	unsigned long long v[8] = {0};
	if (!f)
		return UINT64_MAX;
	int k = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		       &v[6], &v[7]);
	fclose(f);
	return k == 8 ? (uint64_t)v[7] : UINT64_MAX;
}

static void *worker_main(void *p)
{
	struct wctx *c = p;
	c->r->im->bench_worker(&c->r->b, c->tid);
	return NULL;
}

/*
 * Sleep ns in one nanosleep (a wake-up of the runner can preempt a worker
 * when threads fill the PUs), waking early only for a stop signal: the
 * handler interrupts nanosleep (EINTR, never restarted).  Returns 0, or -1
 * when stopped.
 */
static int nap(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)}, rem;
	while (nanosleep(&ts, &rem) != 0 && errno == EINTR) {
		if (sb_stop_signal)
			return -1;
		ts = rem;
	}
	return sb_stop_signal ? -1 : 0;
}

int sb_run_thread_node(const sb_runctx_t *ctx, int pu)
{
	if (ctx->o->virtual_nodes > 0)
		return (int)((long)pu * ctx->o->virtual_nodes / ctx->npus_total) % ctx->o->virtual_nodes;
	int nd = sb_topo_pu_node(ctx->topo, pu);
	return nd < 0 ? 0 : nd;
}

sb_sampling_t sb_sampling(uint64_t window_acq, double window_s, double timed_s, double stamp_cost_ns, int gated)
{
	sb_sampling_t sm = {1, 1};
	if (!window_acq || !(window_s > 0))
		return sm;
	double c = SB_STAMP_IN_CS_FACTOR * (stamp_cost_ns > 0 ? stamp_cost_ns : 0);
	double budget = 0.05 * window_s * 1e9 / (double)window_acq;
	double most = floor((double)window_acq * timed_s / window_s / SB_MIN_SAMPLES);
	double k;
	if (gated)
		k = floor(8.0 * c * c / (budget * budget) + 0.5); /* (4c/B) * (2c/B), rounded */
	else
		k = ceil(c / fmax(budget - c, budget / 2));
	if (k > most)
		k = most;
	if (!(k >= 1))
		k = 1;
	if (k > (double)SB_MAX_SAMPLE_EVERY * SB_MAX_SAMPLE_EVERY)
		k = (double)SB_MAX_SAMPLE_EVERY * SB_MAX_SAMPLE_EVERY;
	if (gated)
		while ((double)(sm.gate * 2) * (double)(sm.gate * 2) <= k / 2 && sm.gate * 2 <= SB_MAX_SAMPLE_EVERY)
			sm.gate *= 2;
	sm.every = (uint64_t)(k / (double)sm.gate);
	if (sm.every < 1)
		sm.every = 1;
	if (sm.every > SB_MAX_SAMPLE_EVERY)
		sm.every = SB_MAX_SAMPLE_EVERY;
	return sm;
}

/* Per-thread state: queue nodes on the thread's own node, results,
 * histograms (first touched by the worker itself, sb_worker_begin). */
static void workers_alloc(runner_t *R, const int *pus, int threads)
{
	sb_bench_t *b = &R->b;
	const sb_runctx_t *ctx = R->ctx;
	const sb_workload_t *wl = ctx->wl;
	int track_pairs = threads <= SB_PAIR_MAX_THREADS;
	int reads = ctx->general && sb_workload_has_reads(wl);

	b->nthreads = threads;
	b->nodes = sb_need(calloc((size_t)threads, sizeof(void *)));
	b->w = sb_need(aligned_alloc(SB_CACHELINE, sizeof(sb_worker_t) * (size_t)threads));
	R->th = sb_need(calloc((size_t)threads, sizeof(pthread_t)));
	R->wc = sb_need(calloc((size_t)threads, sizeof(*R->wc)));
	memset(b->w, 0, sizeof(sb_worker_t) * (size_t)threads);
	for (int i = 0; i < threads; i++) {
		sb_worker_t *w = &b->w[i];
		b->nodes[i] = sb_node_alloc(R->im->node_size, sb_topo_pu_node(ctx->topo, pus[i]));
		w->h_ho_w = sb_need(malloc(sizeof(sb_hist_t)));
		w->h_acquire = sb_need(malloc(sizeof(sb_hist_t)));
		w->h_hold = sb_need(malloc(sizeof(sb_hist_t)));
		if (b->rw_reads)
			w->h_ho_r = sb_need(malloc(sizeof(sb_hist_t)));
		if (reads)
			w->h_acq_read = sb_need(malloc(sizeof(sb_hist_t)));
		if (track_pairs) {
			w->pair_count = sb_need(malloc((size_t)threads * sizeof(uint32_t)));
			w->pair_hist = sb_need(malloc((size_t)threads * SB_PHIST_N * sizeof(uint32_t)));
		}
		if (b->general) {
			w->think = sb_need(aligned_alloc(SB_CACHELINE, sb_round_up(sizeof(sb_think_t), SB_CACHELINE)));
			w->tally = sb_need(calloc((size_t)b->ninst, sizeof(int64_t)));
			sb_think_init(w->think, wl);
		}
		w->pu = pus[i];
		w->node = sb_run_thread_node(ctx, pus[i]);
		R->wc[i].r = R;
		R->wc[i].tid = (unsigned)i;
	}
}

static void workers_free(runner_t *R, const int *pus)
{
	sb_bench_t *b = &R->b;

	for (int i = 0; i < b->nthreads; i++) {
		sb_worker_t *w = &b->w[i];
		sb_node_free(b->nodes[i], R->im->node_size, sb_topo_pu_node(R->ctx->topo, pus[i]));
		free(w->h_ho_w);
		free(w->h_ho_r);
		free(w->h_acquire);
		free(w->h_acq_read);
		free(w->h_hold);
		free(w->pair_count);
		free(w->pair_hist);
		free(w->think);
		free(w->tally);
	}
	free(b->nodes);
	free(b->w);
	free(R->th);
	free(R->wc);
}

/*
 * The phases, once every worker is ready: warm-up, the measured window, the
 * latency phase (SETTLE until every worker has left the window, then TIMED
 * with the sampling chosen from the window), stop.  The runner sleeps
 * through each phase in one nanosleep.  Fills the window's and the latency
 * phase's lengths and steal.  0, or -3 when a stop signal arrived.
 */
static int drive_phases(runner_t *R, sb_rep_t *r)
{
	const sb_opts_t *o = R->ctx->o;
	sb_bench_t *b = &R->b;
	int threads = b->nthreads;

	/* Pairs with the workers' acquire load in their start loop. */
	atomic_store_explicit(&b->phase, SB_PH_WARMUP, memory_order_release);
	if (nap(o->warmup_ns) != 0)
		return -3;
	/* Each worker's run-queue wait over the window: from here (the runner's
	 * read) to the worker's own read at the window's end edge, taken when it
	 * runs again (see sb_worker_runq_ns). */
	for (int i = 0; i < threads; i++)
		b->w[i].runq0 = sb_worker_runq_ns(&b->w[i]);
	uint64_t st0 = read_steal_ticks();
	uint64_t m0 = sb_now_ns();
	atomic_store_explicit(&b->phase, SB_PH_MEASURE, memory_order_relaxed);
	int stopped = nap(o->duration_ns);
	uint64_t m1 = sb_now_ns();
	uint64_t st1 = read_steal_ticks();
	long hz = sysconf(_SC_CLK_TCK);
	r->steal_ms = (st0 == UINT64_MAX || st1 == UINT64_MAX || hz <= 0) ? NAN
									  : (double)(st1 - st0) * 1000.0 / (double)hz;
	r->duration_s = (double)(m1 - m0) / 1e9;
	if (stopped)
		return -3;
	if (o->timed_ns == 0)
		return 0;
	atomic_store_explicit(&b->phase, SB_PH_SETTLE, memory_order_relaxed);
	/* TIMED starts when every worker has left the window and writes release
	 * records (or after one more timed length, when threads outnumber PUs and
	 * a queue lock lets them out one scheduler slice at a time). */
	uint64_t tw = sb_now_ns();
	int all_in;
	/* Acquire: pairs with each worker's release increment in enter_settle(),
	 * after which its acq_measured is final. */
	while (!(all_in = atomic_load_explicit(&b->timed, memory_order_acquire) >= threads) &&
	       sb_now_ns() - tw < o->timed_ns && !sb_stop_signal)
		usleep(100);
	uint64_t window_acq = 0;
	for (int i = 0; i < threads && all_in; i++)
		window_acq += b->w[i].acq_measured;
	/* Workers still in the window (oversubscribed): time every acquisition. */
	sb_sampling_t sm = {1, 1};
	if (all_in)
		sm = sb_sampling(window_acq, r->duration_s, (double)o->timed_ns / 1e9, R->ctx->stamp_cost_ns,
				 !R->ctx->general);
	b->sample_every = sm.every;
	b->stamp_mask = sm.gate - 1;
	r->sample_every = sm.every;
	r->stamp_every = sm.gate;
	uint64_t t0 = sb_now_ns();
	/* Release: publishes sample_every; pairs with the workers' acquire load
	 * in timed_sample_every(). */
	atomic_store_explicit(&b->phase, SB_PH_TIMED, memory_order_release);
	stopped = nap(o->timed_ns);
	r->timed_s = (double)(sb_now_ns() - t0) / 1e9;
	r->timed = 1;
	return stopped ? -3 : 0;
}

/*
 * Wait for a counter of the workers to reach threads; -2 when the
 * repetition's watchdog budget runs out first.  Acquire: pairs with each
 * worker's release increment.
 */
static int await(atomic_int *counter, int threads, uint64_t t_start, uint64_t budget)
{
	while (atomic_load_explicit(counter, memory_order_acquire) < threads) {
		if (sb_now_ns() - t_start > budget)
			return -2;
		usleep(200);
	}
	return 0;
}

int sb_run_rep(sb_runctx_t *ctx, const sb_lock_desc_t *lock, int threads, int rep, sb_rep_t *r)
{
	const sb_opts_t *o = ctx->o;
	runner_t R;
	sb_arena_t A;
	int *pus = sb_need(calloc((size_t)threads, sizeof(int)));
	int rc = 0;

	memset(r, 0, sizeof(*r));
	memset(&R, 0, sizeof(R));
	memset(&A, 0, sizeof(A));
	int ov = sb_plan(ctx->topo, &o->placement, threads, pus, ctx->err, sizeof(ctx->err));
	if (ov < 0) {
		free(pus);
		return -1;
	}
	r->lock = lock;
	r->threads = threads;
	r->rep = rep;
	r->oversubscribed = ov == 1;
	r->lock_node = o->lock_node >= 0 ? o->lock_node : sb_topo_pu_node(ctx->topo, pus[0]);
	R.ctx = ctx;
	R.im = lock->impl;
	if (sb_arena_alloc(ctx, R.im, &R.b, &A, r) != 0) {
		free(pus);
		return -1;
	}
	const sb_workload_t *wl = ctx->wl;
	R.b.general = ctx->general;
	R.b.rw = (lock->flags & SB_F_RW) != 0;
	R.b.rw_reads = R.b.rw && ctx->general && sb_workload_has_reads(wl);
	R.b.cs_ticks = sb_ns_to_ticks((double)wl->cs_ns);
	R.b.stamp_ticks = ctx->stamp_ticks;
	sb_delay_cal_init(&R.b.delay, 1.0, ctx->stamp_ticks); /* thread 0 measures the loop (sb_worker_begin) */
	R.b.hold_limit_ticks = sb_ns_to_ticks((double)wl->hold_limit_ns);
	R.b.ds = wl->ds;
	if (wl->ds != SB_DS_NONE)
		sb_ds_mix_init(&R.b.mix, wl);
	R.b.wl = wl;
	R.b.seed = o->seed ^ ((uint64_t)rep << 32) ^ (uint64_t)threads;
	R.b.ns_per_tick = ctx->ns_per_tick;
	R.b.topo = ctx->topo;
	R.b.virtual_nodes = o->virtual_nodes;
	R.b.sched_fifo = o->sched_fifo;
	R.b.measure_delay = ctx->needs_delay_loop;
	R.b.node_init = R.im->node_init;
	workers_alloc(&R, pus, threads);
	R.b.base_ticks = sb_tick_start();

	uint64_t t_start = sb_now_ns();
	uint64_t budget = (o->warmup_ns + o->duration_ns + o->timed_ns) * 3 + 10000000000ull;
	for (int i = 0; i < threads; i++)
		if (pthread_create(&R.th[i], NULL, worker_main, &R.wc[i]) != 0) {
			fprintf(stderr, "run-bench: cannot create thread %d of %d\n", i, threads);
			exit(1);
		}
	if ((rc = await(&R.b.ready, threads, t_start, budget)) != 0)
		goto watchdog;
	for (int i = 0; i < threads; i++)
		if (!R.b.w[i].bind_ok) {
			snprintf(ctx->err, sizeof(ctx->err), "thread %d not bound to PU %d: %s", i, pus[i],
				 R.b.w[i].bind_err);
			rc = -1;
		}
	r->delay_ns_per_iter = ctx->needs_delay_loop ? sb_ns_per_tick() / R.b.delay.iters_per_tick : NAN;
	if (rc == 0)
		rc = drive_phases(&R, r);
	atomic_store_explicit(&R.b.phase, SB_PH_STOP, memory_order_relaxed);
	atomic_store_explicit(&sb_spin_drain, 1, memory_order_relaxed); /* nothing is measured now */
	if (await(&R.b.done, threads, t_start, budget) != 0) {
		rc = -2;
		goto watchdog;
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(R.th[i], NULL);
		sb_worker_t *w = &R.b.w[i];
		w->runq_delay_ns = w->runq1 == UINT64_MAX || w->runq0 == UINT64_MAX || w->runq1 < w->runq0
					   ? UINT64_MAX
					   : w->runq1 - w->runq0;
	}
	atomic_store_explicit(&sb_spin_drain, 0, memory_order_relaxed);
	if (rc == 0)
		sb_rep_reduce(&R.b, ctx, r);
	workers_free(&R, pus);
	sb_arena_free(&R.b, &A);
	free(pus);
	return rc;
watchdog:
	/* Workers are stuck; their memory stays, the process exits. */
	snprintf(ctx->err, sizeof(ctx->err), "watchdog: lock %s, %d threads, placement %s did not finish in %.0f s",
		 lock->name, threads, o->placement_str, (double)budget / 1e9);
	return rc;
}
