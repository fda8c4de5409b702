/*
 * run.c - one repetition: lock memory on its node, pinned workers, phases,
 * the watchdog, and the reduction of the workers' results.
 */
#include <errno.h>
#include <math.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "handoff.h"
#include "run.h"
#include "stats.h"

volatile int sb_stop_signal;

typedef struct runner {
	sb_bench_t b;
	sb_runctx_t *ctx;
	const sb_lock_impl_t *im;
	const int *pus;
	pthread_t *th;
	struct wctx {
		struct runner *r;
		unsigned tid;
		long ivcsw0, vcsw0;
		uint64_t runq0;
		sb_ctr_thread_t *ct;
	} *wc;
} runner_t;

/* The runner of the repetition in progress (workers find it through b). */
static runner_t *current;

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

static uint64_t read_runq_ns(void)
{
	FILE *f = fopen("/proc/thread-self/schedstat", "r");
	unsigned long long run, wait;
	if (!f)
		return UINT64_MAX;
	int ok = fscanf(f, "%llu %llu", &run, &wait) == 2;
	fclose(f);
	return ok ? (uint64_t)wait : UINT64_MAX;
}

void sb_worker_begin(sb_bench_t *b, unsigned tid)
{
	runner_t *r = current;
	sb_worker_t *w = &b->w[tid];
	char err[160];

	w->bind_ok = sb_topo_bind_self(r->ctx->topo, w->pu, err, sizeof(err)) == 0;
	if (!w->bind_ok)
		snprintf(w->bind_err, sizeof(w->bind_err), "%s", err);
	/* Counters: registered after pinning; a thread whose event set fails reads NA. */
	for (int i = 0; i < SB_CTR_MAX; i++)
		w->ctr[i] = -1;
	r->wc[tid].ct = sb_counters_n() ? sb_counters_thread_init(err, sizeof(err)) : NULL;
	if (sb_counters_n() && !r->wc[tid].ct)
		fprintf(stderr, "run-bench: warning: thread %u: no PAPI event set (%s); its counters are NA\n", tid, err);
	sb_thread_node = w->node; /* NUMA-aware locks read it in node_init */
	/* hmcs reads the cache group in node_init: the PU's L3, else the (virtual) node */
	sb_pu_info_t pi;
	int no_l3 = sb_topo_pu_info(r->ctx->topo, w->pu, &pi) != 0 || pi.l3 < 0;
	sb_thread_group = r->ctx->o->virtual_nodes > 0 || no_l3 ? w->node : pi.l3;
	r->im->node_init(b->nodes[tid], tid);
	/* Pairs with the runner's acquire load: our setup is visible before it starts the phases. */
	atomic_fetch_add_explicit(&b->ready, 1, memory_order_release);
}

void sb_worker_edge(sb_bench_t *b, unsigned tid, enum sb_edge e)
{
	struct rusage ru;
	struct wctx *c = &current->wc[tid];
	sb_worker_t *w = &b->w[tid];
	long long v[SB_CTR_MAX];
	uint64_t rq;
	int h;

	switch (e) {
	case SB_WINDOW_START:
		rq = read_runq_ns();
		getrusage(RUSAGE_THREAD, &ru);
		c->ivcsw0 = ru.ru_nivcsw;
		c->vcsw0 = ru.ru_nvcsw;
		c->runq0 = rq;
		if (c->ct)
			sb_counters_start(c->ct);
		break;
	case SB_WINDOW_END:
		if (c->ct) {
			sb_sde_acquisitions = (long long)w->acq_measured;
			if (sb_counters_stop(c->ct, v) == 0)
				memcpy(w->ctr, v, sizeof(long long) * (size_t)sb_counters_n());
			else
				fprintf(stderr, "run-bench: warning: thread %u: PAPI_stop failed; its counters are NA\n", tid);
		}
		rq = read_runq_ns();
		getrusage(RUSAGE_THREAD, &ru);
		w->invol_csw = ru.ru_nivcsw - c->ivcsw0;
		w->vol_csw = ru.ru_nvcsw - c->vcsw0;
		w->runq_delay_ns = (rq == UINT64_MAX || c->runq0 == UINT64_MAX) ? UINT64_MAX : rq - c->runq0;
		break;
	case SB_TIMED_START:
		if (c->ct && sb_counters_handoffs() >= 0)
			sb_counters_start(c->ct);
		atomic_fetch_add_explicit(&b->timed, 1, memory_order_relaxed);
		break;
	case SB_TIMED_END:
		/* Handoffs are classified only in the timed phase: that counter covers it. */
		if (c->ct && (h = sb_counters_handoffs()) >= 0) {
			sb_sde_handoffs = (long long)w->handoffs;
			w->ctr[h] = sb_counters_stop(c->ct, v) == 0 ? v[h] : -1;
		}
		if (c->ct)
			sb_counters_thread_fini(c->ct);
		c->ct = NULL;
		break;
	}
}

static void *worker_main(void *p)
{
	struct wctx *c = p;
	c->r->im->bench_worker(&c->r->b, c->tid);
	return NULL;
}

/* Sleep ns, waking early for a stop signal.  Returns 0, or -1 when stopped. */
static int nap(uint64_t ns)
{
	uint64_t end = sb_now_ns() + ns;
	for (;;) {
		if (sb_stop_signal)
			return -1;
		uint64_t now = sb_now_ns();
		if (now >= end)
			return 0;
		uint64_t d = end - now;
		if (d > 20000000)
			d = 20000000; /* look at the stop flag every 20 ms */
		struct timespec ts = {(time_t)(d / 1000000000u), (long)(d % 1000000000u)};
		nanosleep(&ts, NULL);
	}
}

static void *alloc_on_node(size_t size, int node)
{
	if (node >= 0 && numa_available() >= 0)
		return numa_alloc_onnode(size, node);
	void *p = NULL;
	return posix_memalign(&p, 4096, size) == 0 ? p : NULL;
}

static void free_on_node(void *p, size_t size, int node)
{
	if (node >= 0 && numa_available() >= 0)
		numa_free(p, size);
	else
		free(p);
}

/* The NUMA node the page at p really sits on, or -1. */
static int page_node(void *p)
{
	int status = -1;
	void *pages[1] = {p};
	if (move_pages(0, 1, pages, NULL, &status, 0) != 0 || status < 0)
		return -1;
	return status;
}

static size_t round_up(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

/* Median of a pair histogram (sb_phist_index buckets) holding count values:
 * the middle of the bucket that holds rank ceil(count/2). */
static uint64_t phist_median(const uint32_t *h, uint64_t count)
{
	uint64_t want = (count + 1) / 2, seen = 0;
	for (unsigned j = 0; j < SB_PHIST_N; j++) {
		seen += h[j];
		if (seen >= want) {
			if (j < 4)
				return j;
			unsigned msb = j / 4, sub = j % 4;
			uint64_t lo = (UINT64_C(1) << msb) + ((uint64_t)sub << (msb - 2));
			return lo + ((UINT64_C(1) << (msb - 2)) - 1) / 2;
		}
	}
	return 0;
}

int sb_run_thread_node(const sb_runctx_t *ctx, int pu)
{
	if (ctx->o->virtual_nodes > 0)
		return (int)((long)pu * ctx->o->virtual_nodes / ctx->npus_total) % ctx->o->virtual_nodes;
	int nd = sb_topo_pu_node(ctx->topo, pu);
	return nd < 0 ? 0 : nd;
}

/* Merge per-thread results into the repetition's figures. */
static void reduce(runner_t *R, sb_rep_t *r)
{
	sb_bench_t *b = &R->b;
	int n = b->nthreads;
	uint64_t *x = calloc((size_t)n, sizeof(*x));
	uint64_t writes = 0;

	r->h_handoff = malloc(sizeof(sb_hist_t));
	r->h_acquire = malloc(sizeof(sb_hist_t));
	r->h_hold = malloc(sizeof(sb_hist_t));
	r->trow = calloc((size_t)n, sizeof(*r->trow));
	if (!x || !r->h_handoff || !r->h_acquire || !r->h_hold || !r->trow) {
		fprintf(stderr, "spinbench: out of memory\n");
		exit(1);
	}
	sb_hist_init(r->h_handoff);
	sb_hist_init(r->h_acquire);
	sb_hist_init(r->h_hold);
	sb_hist_t *tmp = malloc(sizeof(sb_hist_t));
	if (!tmp) {
		fprintf(stderr, "spinbench: out of memory\n");
		exit(1);
	}
	for (int i = 0; i < n; i++) {
		sb_worker_t *w = &b->w[i];
		sb_thread_row_t *t = &r->trow[i];
		/* the thread's acquire latencies, reads (general workloads) and writes together */
		const sb_hist_t *all = w->h_acquire;
		if (w->h_acq_read) {
			memcpy(tmp, w->h_acquire, sizeof(*tmp));
			sb_hist_merge(tmp, w->h_acq_read);
			all = tmp;
		}
		x[i] = w->acq_measured;
		r->acquisitions += w->acq_measured;
		r->handoffs += w->handoffs;
		r->reacquires += w->reacquires;
		r->idle += w->idle;
		r->timed_acq += w->timed_acq;
		r->violations += w->violations;
		r->invol_csw += w->invol_csw;
		r->spins += w->spins_measured;
		writes += w->writes_total;
		sb_hist_merge(r->h_handoff, w->h_handoff);
		sb_hist_merge(r->h_acquire, w->h_acquire);
		sb_hist_merge(r->h_hold, w->h_hold);
		*t = (sb_thread_row_t){
			.tid = i,
			.pu = w->pu,
			.node = sb_topo_pu_node(R->ctx->topo, w->pu),
			.acquisitions = w->acq_measured,
			.timed_acq = w->timed_acq,
			.handoffs_in = w->handoffs,
			.acquire_p50 = sb_hist_percentile(all, 50),
			.acquire_p99 = sb_hist_percentile(all, 99),
			.acquire_max = sb_hist_max(all),
			.hold_p50 = sb_hist_percentile(w->h_hold, 50),
			.spins = w->spins_measured,
			.invol_csw = w->invol_csw,
			.vol_csw = w->vol_csw,
			.runq_delay_ns = w->runq_delay_ns,
		};
	}
	/* Counters per acquisition: NA when any thread could not count. */
	for (int k = 0; k < sb_counters_n(); k++) {
		long double sum = 0;
		int ok = sb_counter_available(k);
		for (int i = 0; i < n && ok; i++) {
			if (b->w[i].ctr[k] < 0)
				ok = 0;
			sum += b->w[i].ctr[k];
		}
		uint64_t den = k == sb_counters_handoffs() ? r->timed_acq : r->acquisitions;
		r->ctr_per_op[k] = ok && den ? (double)(sum / den) : NAN;
		for (int i = 0; i < n; i++)
			r->trow[i].ctr[k] = ok && b->w[i].ctr[k] >= 0 ? b->w[i].ctr[k] : -1;
	}

	/* A lost update of the plain counter is a violation too. */
	uint64_t c = 0;
	for (int k = 0; k < b->ninst; k++)
		c += b->inst[k].guard->counter;
	r->violations += c > writes ? c - writes : writes - c;

	/* Reads and writes apart, and the data structures' invariants. */
	if (b->general) {
		sb_hist_t *hr = malloc(sizeof(sb_hist_t));
		if (!hr) {
			fprintf(stderr, "spinbench: out of memory\n");
			exit(1);
		}
		sb_hist_init(hr);
		for (int i = 0; i < n; i++) {
			r->reads += b->w[i].reads_measured;
			r->writes += b->w[i].writes_measured;
			r->trow[i].reads = b->w[i].reads_measured;
			r->trow[i].writes = b->w[i].writes_measured;
			sb_hist_merge(hr, b->w[i].h_acq_read);
		}
		r->timed_reads = sb_hist_count(hr);
		r->rd_p50 = sb_hist_percentile(hr, 50);
		r->rd_p99 = sb_hist_percentile(hr, 99);
		r->rd_max = sb_hist_max(hr);
		/* writes alone, then every acquisition together for acquire_* */
		r->timed_writes = sb_hist_count(r->h_acquire);
		r->wr_p50 = sb_hist_percentile(r->h_acquire, 50);
		r->wr_p99 = sb_hist_percentile(r->h_acquire, 99);
		r->wr_max = sb_hist_max(r->h_acquire);
		sb_hist_merge(r->h_acquire, hr);
		r->acq_p50 = sb_hist_percentile(r->h_acquire, 50);
		r->acq_p99 = sb_hist_percentile(r->h_acquire, 99);
		r->acq_max = sb_hist_max(r->h_acquire);
		free(hr);
		for (int k = 0; k < b->ninst && b->ds != SB_DS_NONE; k++) {
			int64_t expected = 0;
			char desc[160] = "";
			for (int i = 0; i < n; i++)
				expected += b->w[i].tally[k];
			int bad = b->ds == SB_DS_HASHTABLE ? sb_ht_check(b->inst[k].ht, expected, desc, sizeof(desc))
							   : sb_list_check(b->inst[k].list, expected, desc, sizeof(desc));
			if (bad > 0 && !r->ds_problems)
				snprintf(r->ds_desc, sizeof(r->ds_desc), "%s", desc);
			r->ds_problems += (uint64_t)(bad > 0 ? bad : 0);
		}
		r->violations += r->ds_problems;
	} else {
		r->writes = r->acquisitions;
		r->timed_writes = sb_hist_count(r->h_acquire);
		r->wr_p50 = sb_hist_percentile(r->h_acquire, 50);
		r->wr_p99 = sb_hist_percentile(r->h_acquire, 99);
		r->wr_max = sb_hist_max(r->h_acquire);
	}
	for (int i = 0; i < n; i++) {
		r->long_holds += b->w[i].long_holds;
		r->trow[i].long_holds = b->w[i].long_holds;
	}
	const double window_s = r->duration_s; /* set by the runner from its clock */
	/* Preempted: involuntary context switches at 10 per thread-second of the
	 * window or more (each costs a worker at least a scheduler slice, about
	 * 1% of its time and more), or the hypervisor stole more than 1% of it. */
	r->preempted = (double)r->invol_csw >= fmax(1.0, 10.0 * n * window_s) ||
		       (!isnan(r->steal_ms) && r->steal_ms > 0.01 * window_s * 1000.0 * (double)R->ctx->usable_pus);
	r->throughput = window_s > 0 ? (double)r->acquisitions / window_s : NAN;
	r->jain = sb_jain(x, n);
	r->min_max = sb_min_max_ratio(x, n);
	r->fairness_factor = sb_fairness_factor(x, n);
	r->starved = sb_starved(x, n);
	r->ho_p50 = sb_hist_percentile(r->h_handoff, 50);
	r->ho_p90 = sb_hist_percentile(r->h_handoff, 90);
	r->ho_p99 = sb_hist_percentile(r->h_handoff, 99);
	r->ho_p999 = sb_hist_percentile(r->h_handoff, 99.9);
	r->ho_max = sb_hist_max(r->h_handoff);
	r->acq_p50 = sb_hist_percentile(r->h_acquire, 50);
	r->acq_p99 = sb_hist_percentile(r->h_acquire, 99);
	r->acq_max = sb_hist_max(r->h_acquire);
	r->hold_p50 = sb_hist_percentile(r->h_hold, 50);

	/* Handoff pairs by PU (several threads share a PU when oversubscribed). */
	r->npairs = -1;
	r->local_share = NAN;
	if (b->w[0].pair_count) {
		int cap = n * n, np = 0;
		r->pairs = calloc((size_t)cap, sizeof(*r->pairs));
		uint32_t *hist = calloc((size_t)cap, SB_PHIST_N * sizeof(uint32_t));
		if (!r->pairs || !hist) {
			fprintf(stderr, "spinbench: out of memory\n");
			exit(1);
		}
		for (int to = 0; to < n; to++) {
			for (int from = 0; from < n; from++) {
				uint32_t cnt = b->w[to].pair_count[from];
				if (!cnt)
					continue;
				int fp = b->w[from].pu, tp = b->w[to].pu, k;
				for (k = 0; k < np; k++)
					if (r->pairs[k].from_pu == fp && r->pairs[k].to_pu == tp)
						break;
				if (k == np) {
					r->pairs[np++] = (sb_pair_row_t){fp, tp, sb_topo_classify(R->ctx->topo, fp, tp), 0, 0};
				}
				r->pairs[k].count += cnt;
				for (int j = 0; j < SB_PHIST_N; j++)
					hist[(size_t)k * SB_PHIST_N + j] += b->w[to].pair_hist[(size_t)from * SB_PHIST_N + j];
			}
		}
		/* By distance class, and the share that stays inside one (virtual) node. */
		uint32_t *chist = calloc((size_t)SB_DIST_NCLASSES * SB_PHIST_N, sizeof(uint32_t));
		uint64_t local = 0, all = 0;
		if (!chist) {
			fprintf(stderr, "spinbench: out of memory\n");
			exit(1);
		}
		for (int to = 0; to < n; to++)
			for (int from = 0; from < n; from++) {
				uint64_t cnt = b->w[to].pair_count[from];
				all += cnt;
				if (b->w[to].node == b->w[from].node)
					local += cnt;
			}
		for (int k = 0; k < np; k++) {
			int cl = r->pairs[k].cls < SB_DIST_NCLASSES ? (int)r->pairs[k].cls : SB_DIST_REMOTE;
			r->class_count[cl] += r->pairs[k].count;
			for (int j = 0; j < SB_PHIST_N; j++)
				chist[(size_t)cl * SB_PHIST_N + j] += hist[(size_t)k * SB_PHIST_N + j];
		}
		for (int cl = 0; cl < SB_DIST_NCLASSES; cl++)
			r->class_p50[cl] =
				r->class_count[cl] ? phist_median(chist + (size_t)cl * SB_PHIST_N, r->class_count[cl]) : 0;
		r->local_share = all ? (double)local / (double)all : NAN;
		free(chist);
		for (int k = 0; k < np; k++) {
			/* median: the bucket holding rank ceil(count/2); report its middle */
			r->pairs[k].p50_ns = phist_median(hist + (size_t)k * SB_PHIST_N, r->pairs[k].count);
		}
		r->npairs = np;
		free(hist);
	}
	free(tmp);
	free(x);
}

void sb_rep_free(sb_rep_t *r)
{
	free(r->trow);
	free(r->pairs);
	free(r->h_handoff);
	free(r->h_acquire);
	free(r->h_hold);
	memset(r, 0, sizeof(*r));
}

int sb_run_rep(sb_runctx_t *ctx, const sb_lock_desc_t *lock, int threads, int rep, sb_rep_t *r)
{
	const sb_opts_t *o = ctx->o;
	const sb_lock_impl_t *im = lock->impl;
	runner_t R;
	int *pus = calloc((size_t)threads, sizeof(int));
	int rc = 0;

	memset(r, 0, sizeof(*r));
	memset(&R, 0, sizeof(R));
	if (!pus)
		return snprintf(ctx->err, sizeof(ctx->err), "out of memory"), -1;
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

	/*
	 * The arena: per lock instance, the lock, its protected lines, its
	 * handoff slot and its guard, each on their own lines, all on the lock's
	 * node; the data structure (hashtable, list) beside it on the same node.
	 */
	const sb_workload_t *wl = ctx->wl;
	int ninst = wl->nlocks > 0 ? wl->nlocks : 1, K = wl->cs_lines;
	size_t lock_sz = round_up(im->lock_size, SB_CACHELINE);
	size_t data_sz = round_up((size_t)(K > 0 ? K : 1) * SB_DATA_LINE, SB_CACHELINE);
	size_t inst_sz = lock_sz + data_sz + sizeof(sb_handoff_slot_t) + sizeof(sb_guard_t);
	size_t arena_sz = round_up(inst_sz * (size_t)ninst, 4096);
	char *arena = alloc_on_node(arena_sz, r->lock_node);
	R.b.inst = calloc((size_t)ninst, sizeof(sb_inst_t));
	if (!arena || !R.b.inst) {
		free(pus);
		return snprintf(ctx->err, sizeof(ctx->err), "cannot allocate lock memory on node %d", r->lock_node), -1;
	}
	memset(arena, 0, arena_sz); /* first touch */
	r->lock_node_real = page_node(arena);
	size_t ds_sz = wl->ds == SB_DS_HASHTABLE ? SB_CACHELINE + sb_ht_mem_size(wl->ds_keys)
		     : wl->ds == SB_DS_LIST	 ? SB_CACHELINE + sb_list_mem_size(wl->ds_keys)
						 : 0;
	for (int k = 0; k < ninst; k++) {
		char *base = arena + (size_t)k * inst_sz;
		sb_inst_t *in = &R.b.inst[k];
		in->lock = base;
		in->slot = (sb_handoff_slot_t *)(void *)(base + lock_sz + data_sz);
		in->guard = (sb_guard_t *)(void *)(base + lock_sz + data_sz + sizeof(sb_handoff_slot_t));
		in->slot->owner = SB_NO_OWNER;
		if (wl->colocated) { /* line 0 right after the lock's own bytes, in its line */
			in->line0 = (volatile uint64_t *)(void *)(base + round_up(im->hot_bytes, 8));
			in->rest = (volatile uint64_t *)(void *)(base + lock_sz);
		} else {
			in->line0 = (volatile uint64_t *)(void *)(base + lock_sz);
			in->rest = in->line0 + SB_DATA_LINE / sizeof(uint64_t);
		}
		if (ds_sz) {
			char *d = alloc_on_node(ds_sz, r->lock_node);
			if (!d) {
				fprintf(stderr, "spinbench: out of memory\n");
				exit(1);
			}
			memset(d, 0, ds_sz);
			if (wl->ds == SB_DS_HASHTABLE) {
				in->ht = (sb_ht_t *)(void *)d;
				sb_ht_init(in->ht, wl->ds_keys, d + SB_CACHELINE);
			} else {
				in->list = (sb_list_t *)(void *)d;
				sb_list_init(in->list, wl->ds_keys, d + SB_CACHELINE);
			}
		}
		im->init(in->lock);
	}
	R.b.lock = R.b.inst[0].lock;
	R.b.slot = R.b.inst[0].slot;
	R.b.guard = R.b.inst[0].guard;
	R.b.ninst = ninst;
	R.b.general = ctx->general;
	R.b.rw = (lock->flags & SB_F_RW) != 0;
	R.b.cs_lines = K;
	R.b.cs_iters = ctx->cs_iters;
	R.b.hold_limit_ticks = (uint64_t)((double)wl->hold_limit_ns / ctx->ns_per_tick);
	R.b.ds = wl->ds;
	if (wl->ds != SB_DS_NONE)
		sb_ds_mix_init(&R.b.mix, wl);
	R.b.wl = wl;
	R.b.seed = ctx->o->seed ^ ((uint64_t)rep << 32) ^ (uint64_t)threads;

	/* Per-thread state: nodes on the thread's own node, results, histograms. */
	size_t node_sz = round_up(im->node_size, SB_CACHELINE);
	int track_pairs = threads <= SB_PAIR_MAX_THREADS;
	R.b.nthreads = threads;
	R.b.ns_per_tick = ctx->ns_per_tick;
	R.b.nodes = calloc((size_t)threads, sizeof(void *));
	R.b.w = aligned_alloc(SB_CACHELINE, sizeof(sb_worker_t) * (size_t)threads);
	R.th = calloc((size_t)threads, sizeof(pthread_t));
	R.wc = calloc((size_t)threads, sizeof(*R.wc));
	if (!R.b.nodes || !R.b.w || !R.th || !R.wc) {
		fprintf(stderr, "spinbench: out of memory\n");
		exit(1);
	}
	memset(R.b.w, 0, sizeof(sb_worker_t) * (size_t)threads);
	for (int i = 0; i < threads; i++) {
		sb_worker_t *w = &R.b.w[i];
		R.b.nodes[i] = alloc_on_node(node_sz, sb_topo_pu_node(ctx->topo, pus[i]));
		w->h_handoff = malloc(sizeof(sb_hist_t));
		w->h_acquire = malloc(sizeof(sb_hist_t));
		w->h_hold = malloc(sizeof(sb_hist_t));
		if (track_pairs) {
			w->pair_count = calloc((size_t)threads, sizeof(uint32_t));
			w->pair_hist = calloc((size_t)threads * SB_PHIST_N, sizeof(uint32_t));
		}
		if (R.b.general) {
			w->h_acq_read = malloc(sizeof(sb_hist_t));
			w->think = aligned_alloc(SB_CACHELINE, round_up(sizeof(sb_think_t), SB_CACHELINE));
			w->tally = calloc((size_t)ninst, sizeof(int64_t));
			if (!w->h_acq_read || !w->think || !w->tally) {
				fprintf(stderr, "spinbench: out of memory\n");
				exit(1);
			}
			sb_hist_init(w->h_acq_read);
			sb_think_init(w->think, wl);
		}
		if (!R.b.nodes[i] || !w->h_handoff || !w->h_acquire || !w->h_hold ||
		    (track_pairs && (!w->pair_count || !w->pair_hist))) {
			fprintf(stderr, "spinbench: out of memory\n");
			exit(1);
		}
		memset(R.b.nodes[i], 0, node_sz);
		sb_hist_init(w->h_handoff);
		sb_hist_init(w->h_acquire);
		sb_hist_init(w->h_hold);
		w->pu = pus[i];
		w->node = sb_run_thread_node(ctx, pus[i]);
	}
	R.ctx = ctx;
	R.im = im;
	R.pus = pus;
	current = &R;

	uint64_t t_start = sb_now_ns();
	uint64_t budget = (o->warmup_ns + o->duration_ns + o->timed_ns) * 3 + 10000000000ull;
	for (int i = 0; i < threads; i++) {
		R.wc[i].r = &R;
		R.wc[i].tid = (unsigned)i;
		if (pthread_create(&R.th[i], NULL, worker_main, &R.wc[i]) != 0) {
			fprintf(stderr, "spinbench: cannot create thread %d of %d\n", i, threads);
			exit(1);
		}
	}
	/* Pairs with each worker's release increment of ready. */
	while (atomic_load_explicit(&R.b.ready, memory_order_acquire) < threads) {
		if (sb_now_ns() - t_start > budget) {
			rc = -2;
			goto out;
		}
		usleep(200);
	}
	for (int i = 0; i < threads; i++)
		if (!R.b.w[i].bind_ok) {
			snprintf(ctx->err, sizeof(ctx->err), "thread %d not bound to PU %d: %s", i, pus[i],
				 R.b.w[i].bind_err);
			rc = -1;
		}
	if (rc == 0) {
		/* Pairs with the workers' acquire load in their start loop. */
		atomic_store_explicit(&R.b.phase, SB_PH_WARMUP, memory_order_release);
		if (nap(o->warmup_ns) == 0) {
			uint64_t st0 = read_steal_ticks();
			uint64_t m0 = sb_now_ns();
			atomic_store_explicit(&R.b.phase, SB_PH_MEASURE, memory_order_relaxed);
			int stopped = nap(o->duration_ns);
			uint64_t m1 = sb_now_ns();
			uint64_t st1 = read_steal_ticks();
			long hz = sysconf(_SC_CLK_TCK);
			r->steal_ms = (st0 == UINT64_MAX || st1 == UINT64_MAX || hz <= 0)
					      ? NAN
					      : (double)(st1 - st0) * 1000.0 / (double)hz;
			atomic_store_explicit(&R.b.phase, SB_PH_TIMED, memory_order_relaxed);
			/* The timed phase is timed from when every worker is in it (or after
			 * one more timed length, when threads outnumber PUs and a queue lock
			 * lets them out of the window one scheduler slice at a time): a
			 * worker descheduled at the window's end would otherwise miss it. */
			uint64_t tw = sb_now_ns();
			while (!stopped && atomic_load_explicit(&R.b.timed, memory_order_relaxed) < threads &&
			       sb_now_ns() - tw < o->timed_ns && !sb_stop_signal)
				usleep(100);
			if (!stopped && nap(o->timed_ns) == 0)
				r->duration_s = (double)(m1 - m0) / 1e9;
			else
				rc = -3;
		} else {
			rc = -3;
		}
	}
	atomic_store_explicit(&R.b.phase, SB_PH_STOP, memory_order_relaxed);
	atomic_store_explicit(&sb_spin_drain, 1, memory_order_relaxed); /* nothing is measured now */
	/* Pairs with each worker's release increment of done: its results are visible. */
	while (atomic_load_explicit(&R.b.done, memory_order_acquire) < threads) {
		if (sb_now_ns() - t_start > budget) {
			rc = -2;
			goto out;
		}
		usleep(200);
	}
	for (int i = 0; i < threads; i++)
		pthread_join(R.th[i], NULL);
	atomic_store_explicit(&sb_spin_drain, 0, memory_order_relaxed);
	if (rc == 0)
		reduce(&R, r);

	for (int i = 0; i < threads; i++) {
		sb_worker_t *w = &R.b.w[i];
		free_on_node(R.b.nodes[i], node_sz, sb_topo_pu_node(ctx->topo, pus[i]));
		free(w->h_handoff);
		free(w->h_acquire);
		free(w->h_hold);
		free(w->pair_count);
		free(w->pair_hist);
		free(w->h_acq_read);
		free(w->think);
		free(w->tally);
	}
	for (int k = 0; k < ninst && ds_sz; k++) {
		sb_inst_t *in = &R.b.inst[k];
		free_on_node(in->ht ? (void *)in->ht : (void *)in->list, ds_sz, r->lock_node);
	}
	free(R.b.inst);
	free(R.b.nodes);
	free(R.b.w);
	free(R.th);
	free(R.wc);
	free_on_node(arena, arena_sz, r->lock_node);
	free(pus);
	current = NULL;
	return rc;
out:
	/* Watchdog: workers are stuck; their memory stays, the process exits. */
	snprintf(ctx->err, sizeof(ctx->err), "watchdog: lock %s, %d threads, placement %s did not finish in %.0f s",
		 lock->name, threads, o->placement_str, (double)budget / 1e9);
	return rc;
}
