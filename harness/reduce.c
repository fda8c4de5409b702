/*
 * reduce.c - a finished repetition's figures from its workers' results
 * (sb_rep_reduce), and the preempted rule; see run.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handoff.h"
#include "parse.h"
#include "run.h"
#include "stats.h"

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

int sb_preempted(uint64_t runq_max_ns, long invol_csw, int threads, double steal_ms, double window_s, int machine_pus)
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

static sb_pctl_t pctl(const sb_hist_t *h)
{
	return (sb_pctl_t){sb_hist_count(h),          sb_hist_percentile(h, 50),   sb_hist_percentile(h, 90),
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
	sb_hist_t *h = sb_need(malloc(sizeof(sb_hist_t)));
	sb_hist_init(h);
	return h;
}

/* Handoff pairs by PU (several threads share a PU when oversubscribed), by
 * distance class, and the share that stays inside one (virtual) node. */
static void reduce_pairs(const sb_bench_t *b, const sb_runctx_t *ctx, sb_rep_t *r)
{
	int n = b->nthreads, cap = n * n, np = 0;
	uint64_t local = 0, all = 0;

	r->pairs = sb_need(calloc((size_t)cap, sizeof(*r->pairs)));
	uint32_t *hist = sb_need(calloc((size_t)cap, SB_PHIST_N * sizeof(uint32_t)));
	uint32_t *chist = sb_need(calloc((size_t)SB_DIST_NCLASSES * SB_PHIST_N, sizeof(uint32_t)));
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

/* The histograms merged over the workers, before their percentiles are taken. */
typedef struct merged {
	sb_hist_t *ho_w, *ho_r, *rd;
} merged_t;

/* One worker's row of threads.csv. */
static void thread_row(const sb_bench_t *b, const sb_runctx_t *ctx, int i, sb_hist_t *tmp, sb_thread_row_t *t)
{
	const sb_worker_t *w = &b->w[i];
	/* the thread's acquire latencies, reads and writes together */
	sb_hist_init(tmp);
	merge(tmp, w->h_acquire);
	merge(tmp, w->h_acq_read);
	*t = (sb_thread_row_t){
		.tid = i,
		.pu = w->pu,
		.node = sb_topo_pu_node(ctx->topo, w->pu),
		.acquisitions = w->acq_measured,
		.timed_acq = w->t.sampled,
		.timed_n = sb_hist_count(tmp),
		.handoffs_in = w->t.ho_w + w->t.ho_r,
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
		.long_holds = w->t.long_holds,
	};
}

/* The sums over the workers, their threads.csv rows, the histograms merged;
 * returns the exclusive acquisitions of every phase (for the lost-update check). */
static uint64_t sum_workers(const sb_bench_t *b, const sb_runctx_t *ctx, sb_rep_t *r, merged_t *m)
{
	uint64_t writes = 0, think_n = 0;
	double think_sum = 0;
	sb_hist_t *tmp = new_hist();

	r->runq_max_ns = 0;
	for (int i = 0; i < b->nthreads; i++) {
		const sb_worker_t *w = &b->w[i];
		const sb_timed_t *T = &w->t;
		r->acquisitions += w->acq_measured;
		r->reads += w->reads_measured;
		r->writes += b->general ? w->writes_measured : w->acq_measured;
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
		think_sum += (double)T->think_sum_ns;
		think_n += T->think_n;
		r->violations += w->violations;
		r->invol_csw += w->invol_csw;
		r->spins += w->spins_measured;
		if (w->runq_delay_ns == UINT64_MAX || r->runq_max_ns == UINT64_MAX)
			r->runq_max_ns = UINT64_MAX;
		else if (w->runq_delay_ns > r->runq_max_ns)
			r->runq_max_ns = w->runq_delay_ns;
		writes += w->writes_total;
		merge(m->ho_w, w->h_ho_w);
		merge(m->ho_r, w->h_ho_r);
		merge(r->h_acquire, w->h_acquire);
		merge(m->rd, w->h_acq_read);
		merge(r->h_hold, w->h_hold);
		thread_row(b, ctx, i, tmp, &r->trow[i]);
	}
	r->think_mean_ns = think_n ? think_sum / (double)think_n : NAN;
	free(tmp);
	return writes;
}

/* Counters per acquisition: NA when any thread could not count. */
static void reduce_counters(const sb_bench_t *b, sb_rep_t *r)
{
	for (int k = 0; k < sb_counters_n(); k++) {
		long double sum = 0;
		int ok = sb_counter_available(k);
		for (int i = 0; i < b->nthreads && ok; i++) {
			if (b->w[i].ctr[k] < 0)
				ok = 0;
			sum += b->w[i].ctr[k];
		}
		uint64_t den = k == sb_counters_handoffs() ? r->timed_acq : r->acquisitions;
		r->ctr_per_op[k] = ok && den ? (double)(sum / den) : NAN;
		for (int i = 0; i < b->nthreads; i++)
			r->trow[i].ctr[k] = ok && b->w[i].ctr[k] >= 0 ? b->w[i].ctr[k] : -1;
	}
}

/* The checks after the run: lost updates of the guard's counter (modulo
 * 2^32) and the data structures' invariants, both violations too. */
static void reduce_checks(const sb_bench_t *b, uint64_t writes, sb_rep_t *r)
{
	uint32_t c = 0;
	for (int k = 0; k < b->ninst; k++)
		c += sb_guard_count(b->inst[k].guard);
	uint32_t lost = c - (uint32_t)writes;
	r->violations += lost < UINT32_C(0x80000000) ? lost : (uint32_t)0 - lost;

	for (int k = 0; k < b->ninst && b->ds != SB_DS_NONE; k++) {
		int64_t expected = 0;
		char desc[160] = "";
		for (int i = 0; i < b->nthreads; i++)
			expected += b->w[i].tally[k];
		int bad = b->ds == SB_DS_HASHTABLE ? sb_ht_check(b->inst[k].ht, expected, desc, sizeof(desc))
						   : sb_list_check(b->inst[k].list, expected, desc, sizeof(desc));
		if (bad > 0 && !r->ds_problems)
			snprintf(r->ds_desc, sizeof(r->ds_desc), "%s", desc);
		r->ds_problems += (uint64_t)(bad > 0 ? bad : 0);
	}
	r->violations += r->ds_problems;
}

/* Latencies: writes (exclusive) and reads apart, then all together. */
static void reduce_latencies(sb_rep_t *r, const merged_t *m)
{
	r->timed_writes = sb_hist_count(r->h_acquire);
	r->timed_reads = sb_hist_count(m->rd);
	r->wr = pctl(r->h_acquire);
	r->rd = pctl(m->rd);
	sb_hist_merge(r->h_acquire, m->rd);
	r->acq = pctl(r->h_acquire);
	r->hold = pctl(r->h_hold);
	r->ho_wp = pctl(m->ho_w);
	r->ho_rp = pctl(m->ho_r);
	sb_hist_merge(r->h_handoff, m->ho_w);
	sb_hist_merge(r->h_handoff, m->ho_r);
	r->ho = pctl(r->h_handoff);
	r->clock_suspect = r->ho_nonpositive * 1000 > r->handoffs && r->ho_nonpositive > 0;
}

void sb_rep_reduce(const sb_bench_t *b, const sb_runctx_t *ctx, sb_rep_t *r)
{
	int n = b->nthreads;
	uint64_t *x = sb_need(calloc((size_t)n, sizeof(*x)));
	merged_t m = {new_hist(), new_hist(), new_hist()};

	r->h_handoff = new_hist();
	r->h_acquire = new_hist();
	r->h_hold = new_hist();
	r->trow = sb_need(calloc((size_t)n, sizeof(*r->trow)));
	uint64_t writes = sum_workers(b, ctx, r, &m);
	reduce_counters(b, r);
	reduce_checks(b, writes, r);
	reduce_latencies(r, &m);

	const double window_s = r->duration_s; /* set by the runner from its clock */
	for (int i = 0; i < n; i++)
		x[i] = b->w[i].acq_measured;
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
	free(m.ho_w);
	free(m.ho_r);
	free(m.rd);
	free(x);
}
