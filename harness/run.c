/*
 * run.c - one repetition: lock memory on its node, pinned workers, phases,
 * the watchdog, and the reduction of the workers' results.
 */
#include <errno.h>
#include <math.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
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

/* A thread's mark (id + 1) must fit the guard's 16-bit owner and last fields. */
_Static_assert(SB_MAX_THREADS < 0xffff, "SB_MAX_THREADS must fit the guard's 16-bit marks");

/* The runner's state of one repetition; workers reach it through b->rt. */
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

/* Out of memory in the runner: nothing sensible is left to do. */
static void *need(void *p)
{
	if (!p) {
		fprintf(stderr, "run-bench: out of memory\n");
		exit(1);
	}
	return p;
}

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
	runner_t *r = b->rt;
	sb_worker_t *w = &b->w[tid];
	char err[160];

	w->bind_ok = sb_topo_bind_self(r->ctx->topo, w->pu, err, sizeof(err)) == 0;
	if (!w->bind_ok)
		snprintf(w->bind_err, sizeof(w->bind_err), "%s", err);
	if (w->bind_ok && r->ctx->o->sched_fifo) {
		/* Below the runner (priority 2), so that its rare wake-ups at the phase
		 * edges run at once. */
		struct sched_param sp = {.sched_priority = 1};
		int e = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
		if (e != 0) {
			w->bind_ok = 0;
			snprintf(w->bind_err, sizeof(w->bind_err), "SCHED_FIFO refused: %s", strerror(e));
		}
	}
	/* First touch of the per-thread results by the thread, on its own node. */
	sb_hist_t *hs[] = {w->h_ho_w, w->h_ho_r, w->h_acquire, w->h_acq_read, w->h_hold};
	for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
		if (hs[i])
			sb_hist_init(hs[i]);
	if (w->pair_count) {
		memset(w->pair_count, 0, (size_t)b->nthreads * sizeof(uint32_t));
		memset(w->pair_hist, 0, (size_t)b->nthreads * SB_PHIST_N * sizeof(uint32_t));
	}
	/* The busy loop's speed, measured now on a worker's PU (below 200 ns a
	 * delay is that loop); every worker uses thread 0's figure. */
	if (tid == 0 && r->ctx->needs_delay_loop)
		sb_delay_cal_init(&b->delay, sb_delay_calibrate(), b->stamp_ticks);
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
	runner_t *r = b->rt;
	struct rusage ru;
	struct wctx *c = &r->wc[tid];
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
		break;
	case SB_TIMED_END:
		/* Handoffs are classified only in the timed phase: that counter covers it. */
		if (c->ct && (h = sb_counters_handoffs()) >= 0) {
			sb_sde_handoffs = (long long)(w->t.ho_w + w->t.ho_r);
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

int sb_preempted(uint64_t runq_max_ns, long invol_csw, int threads, double steal_ms, double window_s,
		 int machine_pus)
{
	int bits = 0;
	if (!(window_s > 0))
		return 0;
	if (!isnan(steal_ms) && steal_ms > SB_PREEMPT_STEAL_SHARE * window_s * 1000.0 * (double)machine_pus)
		bits |= SB_PRE_STEAL;
	if (runq_max_ns != UINT64_MAX)
		bits |= (double)runq_max_ns > SB_PREEMPT_RUNQ_SHARE * window_s * 1e9 ? SB_PRE_RUNQ : 0;
	else if ((double)invol_csw >= fmax(1.0, SB_PREEMPT_CSW_PER_S * threads * window_s))
		bits |= SB_PRE_CSW;
	return bits;
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
		k = floor(8.0 * c * c / (budget * budget) + 0.5); /* (2c/B) * (4c/B), rounded */
	else
		k = ceil(c / fmax(budget - c, budget / 2));
	if (k > most)
		k = most;
	if (!(k >= 1))
		k = 1;
	if (k > (double)SB_MAX_SAMPLE_EVERY * SB_MAX_SAMPLE_EVERY)
		k = (double)SB_MAX_SAMPLE_EVERY * SB_MAX_SAMPLE_EVERY;
	if (gated)
		while ((double)(sm.gate * 2) * (double)(sm.gate * 2) <= 2 * k && sm.gate * 2 <= SB_MAX_SAMPLE_EVERY)
			sm.gate *= 2;
	sm.every = (uint64_t)(k / (double)sm.gate);
	if (sm.every < 1)
		sm.every = 1;
	if (sm.every > SB_MAX_SAMPLE_EVERY)
		sm.every = SB_MAX_SAMPLE_EVERY;
	return sm;
}

static sb_pctl_t pctl(const sb_hist_t *h)
{
	return (sb_pctl_t){sb_hist_count(h),	       sb_hist_percentile(h, 50), sb_hist_percentile(h, 90),
			   sb_hist_percentile(h, 99), sb_hist_percentile(h, 99.9), sb_hist_max(h)};
}

/* dst += src when src exists. */
static void merge(sb_hist_t *dst, const sb_hist_t *src)
{
	if (src)
		sb_hist_merge(dst, src);
}

static sb_hist_t *new_hist(void)
{
	sb_hist_t *h = need(malloc(sizeof(sb_hist_t)));
	sb_hist_init(h);
	return h;
}

/* Handoff pairs by PU (several threads share a PU when oversubscribed), by
 * distance class, and the share that stays inside one (virtual) node. */
static void reduce_pairs(const sb_bench_t *b, const sb_runctx_t *ctx, sb_rep_t *r)
{
	int n = b->nthreads, cap = n * n, np = 0;
	uint64_t local = 0, all = 0;

	r->pairs = need(calloc((size_t)cap, sizeof(*r->pairs)));
	uint32_t *hist = need(calloc((size_t)cap, SB_PHIST_N * sizeof(uint32_t)));
	uint32_t *chist = need(calloc((size_t)SB_DIST_NCLASSES * SB_PHIST_N, sizeof(uint32_t)));
	uint64_t ctimed[SB_DIST_NCLASSES] = {0};
	for (int to = 0; to < n; to++) {
		for (int from = 0; from < n; from++) {
			uint32_t cnt = b->w[to].pair_count[from];
			if (!cnt)
				continue;
			all += cnt;
			local += b->w[to].node == b->w[from].node ? cnt : 0;
			int fp = b->w[from].pu, tp = b->w[to].pu, k;
			for (k = 0; k < np; k++)
				if (r->pairs[k].from_pu == fp && r->pairs[k].to_pu == tp)
					break;
			if (k == np)
				r->pairs[np++] = (sb_pair_row_t){fp, tp, sb_topo_classify(ctx->topo, fp, tp), 0, 0, 0};
			r->pairs[k].count += cnt;
			for (int j = 0; j < SB_PHIST_N; j++) {
				uint32_t c = b->w[to].pair_hist[(size_t)from * SB_PHIST_N + j];
				hist[(size_t)k * SB_PHIST_N + j] += c;
				r->pairs[k].timed += c;
			}
		}
	}
	for (int k = 0; k < np; k++) {
		int cl = r->pairs[k].cls < SB_DIST_NCLASSES ? (int)r->pairs[k].cls : SB_DIST_REMOTE;
		r->class_count[cl] += r->pairs[k].count;
		ctimed[cl] += r->pairs[k].timed;
		for (int j = 0; j < SB_PHIST_N; j++)
			chist[(size_t)cl * SB_PHIST_N + j] += hist[(size_t)k * SB_PHIST_N + j];
		/* median: the bucket holding rank ceil(count/2); report its middle */
		r->pairs[k].p50_ns = phist_median(hist + (size_t)k * SB_PHIST_N, r->pairs[k].timed);
	}
	for (int cl = 0; cl < SB_DIST_NCLASSES; cl++)
		r->class_p50[cl] = ctimed[cl] ? phist_median(chist + (size_t)cl * SB_PHIST_N, ctimed[cl]) : 0;
	r->local_share = all ? (double)local / (double)all : NAN;
	r->npairs = np;
	free(chist);
	free(hist);
}

void sb_rep_reduce(const sb_bench_t *b, const sb_runctx_t *ctx, sb_rep_t *r)
{
	int n = b->nthreads;
	uint64_t *x = need(calloc((size_t)n, sizeof(*x)));
	uint64_t writes = 0;
	sb_hist_t *ho_w = new_hist(), *ho_r = new_hist(), *rd = new_hist(), *tmp = new_hist();

	r->h_handoff = new_hist();
	r->h_acquire = new_hist();
	r->h_hold = new_hist();
	r->trow = need(calloc((size_t)n, sizeof(*r->trow)));
	r->runq_max_ns = 0;
	for (int i = 0; i < n; i++) {
		const sb_worker_t *w = &b->w[i];
		const sb_timed_t *T = &w->t;
		sb_thread_row_t *t = &r->trow[i];
		/* the thread's acquire latencies, reads and writes together */
		sb_hist_init(tmp);
		merge(tmp, w->h_acquire);
		merge(tmp, w->h_acq_read);
		x[i] = w->acq_measured;
		r->acquisitions += w->acq_measured;
		r->timed_phase_acq += T->acq;
		r->timed_acq += T->sampled;
		r->idle += T->kind[SB_ACQ_IDLE];
		r->reacquires += T->kind[SB_ACQ_REACQUIRE];
		r->handoffs += T->kind[SB_ACQ_HANDOFF];
		r->joins += T->kind[SB_ACQ_JOIN];
		r->ho_w += T->ho_w;
		r->ho_r += T->ho_r;
		r->ho_from_readers += T->ho_from_readers;
		r->ho_nonpositive += T->nonpositive;
		r->long_holds += T->long_holds;
		r->think_mean_ns += (double)T->think_sum_ns;
		r->violations += w->violations;
		r->invol_csw += w->invol_csw;
		r->spins += w->spins_measured;
		if (w->runq_delay_ns == UINT64_MAX || r->runq_max_ns == UINT64_MAX)
			r->runq_max_ns = UINT64_MAX;
		else if (w->runq_delay_ns > r->runq_max_ns)
			r->runq_max_ns = w->runq_delay_ns;
		writes += w->writes_total;
		merge(ho_w, w->h_ho_w);
		merge(ho_r, w->h_ho_r);
		merge(r->h_acquire, w->h_acquire);
		merge(rd, w->h_acq_read);
		merge(r->h_hold, w->h_hold);
		*t = (sb_thread_row_t){
			.tid = i,
			.pu = w->pu,
			.node = sb_topo_pu_node(ctx->topo, w->pu),
			.acquisitions = w->acq_measured,
			.timed_acq = T->sampled,
			.handoffs_in = T->ho_w + T->ho_r,
			.acquire_p50 = sb_hist_percentile(tmp, 50),
			.acquire_p99 = sb_hist_percentile(tmp, 99),
			.acquire_max = sb_hist_max(tmp),
			.hold_p50 = w->h_hold ? sb_hist_percentile(w->h_hold, 50) : 0,
			.spins = w->spins_measured,
			.invol_csw = w->invol_csw,
			.vol_csw = w->vol_csw,
			.runq_delay_ns = w->runq_delay_ns,
			.reads = w->reads_measured,
			.writes = b->general ? w->writes_measured : w->acq_measured,
			.long_holds = T->long_holds,
		};
		r->reads += w->reads_measured;
		r->writes += b->general ? w->writes_measured : w->acq_measured;
	}
	uint64_t think_n = 0;
	for (int i = 0; i < n; i++)
		think_n += b->w[i].t.think_n;
	r->think_mean_ns = think_n ? r->think_mean_ns / (double)think_n : NAN;

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

	/* A lost update of the plain counter is a violation too (counted modulo 2^32). */
	uint32_t c = 0;
	for (int k = 0; k < b->ninst; k++)
		c += sb_guard_count(b->inst[k].guard);
	uint32_t lost = c - (uint32_t)writes;
	r->violations += lost < UINT32_C(0x80000000) ? lost : (uint32_t)0 - lost;

	/* The data structures' invariants. */
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

	/* Latencies: writes (exclusive) and reads apart, then all together. */
	r->timed_writes = sb_hist_count(r->h_acquire);
	r->timed_reads = sb_hist_count(rd);
	r->wr = pctl(r->h_acquire);
	r->rd = pctl(rd);
	sb_hist_merge(r->h_acquire, rd);
	r->acq = pctl(r->h_acquire);
	r->hold = pctl(r->h_hold);
	r->ho_wp = pctl(ho_w);
	r->ho_rp = pctl(ho_r);
	sb_hist_merge(r->h_handoff, ho_w);
	sb_hist_merge(r->h_handoff, ho_r);
	r->ho = pctl(r->h_handoff);
	r->clock_suspect = r->ho_nonpositive * 1000 > r->handoffs && r->ho_nonpositive > 0;

	const double window_s = r->duration_s; /* set by the runner from its clock */
	r->preempted = sb_preempted(r->runq_max_ns, r->invol_csw, n, r->steal_ms, window_s, ctx->npus_total);
	r->throughput = window_s > 0 ? (double)r->acquisitions / window_s : NAN;
	r->timed_ops_s = r->timed && r->timed_s > 0 ? (double)r->timed_phase_acq / r->timed_s : NAN;
	r->jain = sb_jain(x, n);
	r->min_max = sb_min_max_ratio(x, n);
	r->fairness_factor = sb_fairness_factor(x, n);
	r->starved = sb_starved(x, n);
	/* The clock-free cross-check: at saturation with an empty critical
	 * section, a FIFO lock passes on every acquisition, so the window's
	 * period per acquisition (1 / throughput) is one handoff. */
	r->handoff_consistency = NAN;
	if ((r->lock->flags & SB_F_FIFO) && !b->general && n >= 2 && r->ho.n > 0 && r->throughput > 0)
		r->handoff_consistency = (double)r->ho.p50 * r->throughput / 1e9;

	r->npairs = -1;
	r->local_share = NAN;
	if (b->w[0].pair_count)
		reduce_pairs(b, ctx, r);
	free(ho_w);
	free(ho_r);
	free(rd);
	free(tmp);
	free(x);
}

/* The lock arena of one repetition (see arena_alloc). */
typedef struct arena {
	char *mem;
	size_t size, ds_size;
	int node;
} arena_t;

/*
 * The arena: per lock instance, the lock, its protected lines, its guard
 * (with the exclusive-release record) and its shared-release record, each on
 * their own lines, all on the lock's node, first touched here and its real
 * node read back; the data structure (hashtable, list) beside it on the same
 * node.  Fills b->inst; 0, or -1 with ctx->err set.
 */
static int arena_alloc(sb_runctx_t *ctx, const sb_lock_impl_t *im, sb_bench_t *b, arena_t *A, sb_rep_t *r)
{
	const sb_workload_t *wl = ctx->wl;
	int ninst = wl->nlocks > 0 ? wl->nlocks : 1, K = wl->cs_lines;
	size_t lock_sz = round_up(im->lock_size, SB_CACHELINE);
	size_t data_sz = round_up((size_t)(K > 0 ? K : 1) * SB_DATA_LINE, SB_CACHELINE);
	size_t inst_sz = lock_sz + data_sz + sizeof(sb_guard_t) + sizeof(sb_rw_rec_t);

	A->node = r->lock_node;
	A->size = round_up(inst_sz * (size_t)ninst, 4096);
	A->mem = alloc_on_node(A->size, A->node);
	b->inst = calloc((size_t)ninst, sizeof(sb_inst_t));
	if (!A->mem || !b->inst) {
		if (A->mem)
			free_on_node(A->mem, A->size, A->node);
		free(b->inst);
		snprintf(ctx->err, sizeof(ctx->err), "cannot allocate lock memory on node %d", A->node);
		return -1;
	}
	memset(A->mem, 0, A->size); /* first touch */
	r->lock_node_real = page_node(A->mem);
	A->ds_size = wl->ds == SB_DS_HASHTABLE ? SB_CACHELINE + sb_ht_mem_size(wl->ds_keys)
		   : wl->ds == SB_DS_LIST      ? SB_CACHELINE + sb_list_mem_size(wl->ds_keys)
					       : 0;
	for (int k = 0; k < ninst; k++) {
		char *base = A->mem + (size_t)k * inst_sz;
		sb_inst_t *in = &b->inst[k];
		in->lock = base;
		in->guard = (sb_guard_t *)(void *)(base + lock_sz + data_sz);
		in->rw = (sb_rw_rec_t *)(void *)(base + lock_sz + data_sz + sizeof(sb_guard_t));
		if (wl->colocated) { /* line 0 right after the lock's own bytes, in its line */
			in->line0 = (volatile uint64_t *)(void *)(base + round_up(im->hot_bytes, 8));
			in->rest = (volatile uint64_t *)(void *)(base + lock_sz);
		} else {
			in->line0 = (volatile uint64_t *)(void *)(base + lock_sz);
			in->rest = in->line0 + SB_DATA_LINE / sizeof(uint64_t);
		}
		if (A->ds_size) {
			char *d = need(alloc_on_node(A->ds_size, A->node));
			memset(d, 0, A->ds_size);
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
	b->ninst = ninst;
	b->lock = b->inst[0].lock;
	b->guard = b->inst[0].guard;
	b->cs_lines = K;
	return 0;
}

static void arena_free(sb_bench_t *b, arena_t *A)
{
	for (int k = 0; k < b->ninst && A->ds_size; k++) {
		sb_inst_t *in = &b->inst[k];
		free_on_node(in->ht ? (void *)in->ht : (void *)in->list, A->ds_size, A->node);
	}
	free(b->inst);
	free_on_node(A->mem, A->size, A->node);
}

/*
 * A queue node sits this far into its page.  The lock arena starts on a
 * page, so a node at a page's start shares its low 12 address bits with
 * the lock word; Intel cores first match a load or RMW against older stores
 * on those 12 bits and hold it until the full addresses are compared ("4K
 * aliasing").  A node field stored at unlock then stalls the next lock's
 * RMW on the lock word: measured on the development VM, clh 8.6 against
 * 6.6 ns per uncontended acquisition, ck-clh 10.9 against 6.5 (both put
 * their node's first field at offset 0).  Half a page is clear of the
 * arena's first lines (lock, data, guard, records).
 */
#define SB_NODE_PAGE_OFFSET 2048

/* Per-thread state: queue nodes on the thread's own node, results,
 * histograms (first touched by the worker itself, sb_worker_begin). */
static void workers_alloc(runner_t *R, const int *pus, int threads)
{
	sb_bench_t *b = &R->b;
	const sb_runctx_t *ctx = R->ctx;
	const sb_workload_t *wl = ctx->wl;
	size_t node_sz = round_up(R->im->node_size, SB_CACHELINE);
	int track_pairs = threads <= SB_PAIR_MAX_THREADS;
	int reads = ctx->general && sb_workload_has_reads(wl);

	b->nthreads = threads;
	b->nodes = need(calloc((size_t)threads, sizeof(void *)));
	b->w = need(aligned_alloc(SB_CACHELINE, sizeof(sb_worker_t) * (size_t)threads));
	R->th = need(calloc((size_t)threads, sizeof(pthread_t)));
	R->wc = need(calloc((size_t)threads, sizeof(*R->wc)));
	memset(b->w, 0, sizeof(sb_worker_t) * (size_t)threads);
	for (int i = 0; i < threads; i++) {
		sb_worker_t *w = &b->w[i];
		char *page = need(alloc_on_node(node_sz + SB_NODE_PAGE_OFFSET, sb_topo_pu_node(ctx->topo, pus[i])));
		b->nodes[i] = page + SB_NODE_PAGE_OFFSET;
		memset(b->nodes[i], 0, node_sz);
		w->h_ho_w = need(malloc(sizeof(sb_hist_t)));
		w->h_acquire = need(malloc(sizeof(sb_hist_t)));
		w->h_hold = need(malloc(sizeof(sb_hist_t)));
		if (b->rw_reads)
			w->h_ho_r = need(malloc(sizeof(sb_hist_t)));
		if (reads)
			w->h_acq_read = need(malloc(sizeof(sb_hist_t)));
		if (track_pairs) {
			w->pair_count = need(malloc((size_t)threads * sizeof(uint32_t)));
			w->pair_hist = need(malloc((size_t)threads * SB_PHIST_N * sizeof(uint32_t)));
		}
		if (b->general) {
			w->think = need(aligned_alloc(SB_CACHELINE, round_up(sizeof(sb_think_t), SB_CACHELINE)));
			w->tally = need(calloc((size_t)b->ninst, sizeof(int64_t)));
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
	size_t node_sz = round_up(R->im->node_size, SB_CACHELINE);

	for (int i = 0; i < b->nthreads; i++) {
		sb_worker_t *w = &b->w[i];
		free_on_node((char *)b->nodes[i] - SB_NODE_PAGE_OFFSET, node_sz + SB_NODE_PAGE_OFFSET,
			     sb_topo_pu_node(R->ctx->topo, pus[i]));
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
	uint64_t st0 = read_steal_ticks();
	uint64_t m0 = sb_now_ns();
	atomic_store_explicit(&b->phase, SB_PH_MEASURE, memory_order_relaxed);
	int stopped = nap(o->duration_ns);
	uint64_t m1 = sb_now_ns();
	uint64_t st1 = read_steal_ticks();
	long hz = sysconf(_SC_CLK_TCK);
	r->steal_ms = (st0 == UINT64_MAX || st1 == UINT64_MAX || hz <= 0) ? NAN : (double)(st1 - st0) * 1000.0 / (double)hz;
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
	arena_t A;
	int *pus = need(calloc((size_t)threads, sizeof(int)));
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
	R.pus = pus;
	if (arena_alloc(ctx, R.im, &R.b, &A, r) != 0) {
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
	R.b.rt = &R;
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
	for (int i = 0; i < threads; i++)
		pthread_join(R.th[i], NULL);
	atomic_store_explicit(&sb_spin_drain, 0, memory_order_relaxed);
	if (rc == 0)
		sb_rep_reduce(&R.b, ctx, r);
	workers_free(&R, pus);
	arena_free(&R.b, &A);
	free(pus);
	return rc;
watchdog:
	/* Workers are stuck; their memory stays, the process exits. */
	snprintf(ctx->err, sizeof(ctx->err), "watchdog: lock %s, %d threads, placement %s did not finish in %.0f s",
		 lock->name, threads, o->placement_str, (double)budget / 1e9);
	return rc;
}
