/*
 * worker.c - the workers' runtime outside their measured loops: binding,
 * first touch of their results, counters, and the bookkeeping at each edge
 * of the window and the latency phase (bench.h declares the hooks; loop.h
 * calls them).  Everything comes from the bench record; nothing calls back
 * into the runner.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"
#include "topo.h"

/*
 * A worker's run-queue wait so far, ns (/proc/self/task/TID/schedstat, its
 * second field), or UINT64_MAX where the kernel does not keep it.  The
 * kernel adds a wait to it only when the wait ends, as the task gets its PU
 * back.  So the window's wait is taken from the runner's read just before
 * the window starts to the worker's own read at its end edge (it is running
 * then: every wait so far is counted).  A worker kept off its PU for the
 * whole window, which sees neither edge in time, is counted too; a wait that
 * began before the window or ended after it counts whole (the rule errs
 * towards flagging).
 */
uint64_t sb_worker_runq_ns(const sb_worker_t *w)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", w->os_tid);
	FILE *f = fopen(path, "r");
	unsigned long long run, wait;
	if (!f)
		return UINT64_MAX;
	int ok = fscanf(f, "%llu %llu", &run, &wait) == 2;
	fclose(f);
	return ok ? (uint64_t)wait : UINT64_MAX;
}

void sb_worker_begin(sb_bench_t *b, unsigned tid)
{
	sb_worker_t *w = &b->w[tid];
	char err[160];

	w->os_tid = (int)gettid(); /* for the runner's schedstat reads */
	w->bind_ok = sb_topo_bind_self(b->topo, w->pu, err, sizeof(err)) == 0;
	if (!w->bind_ok)
		snprintf(w->bind_err, sizeof(w->bind_err), "%s", err);
	if (w->bind_ok && b->sched_fifo) {
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
	if (tid == 0 && b->measure_delay)
		sb_delay_cal_init(&b->delay, sb_delay_calibrate(), b->stamp_ticks);
	/* Counters: registered after pinning; a thread whose event set fails reads NA. */
	for (int i = 0; i < SB_CTR_MAX; i++)
		w->ctr[i] = -1;
	w->ct = sb_counters_n() ? sb_counters_thread_init(err, sizeof(err)) : NULL;
	if (sb_counters_n() && !w->ct)
		fprintf(stderr, "run-bench: warning: thread %u: no PAPI event set (%s); its counters are NA\n", tid,
			err);
	sb_thread_node = w->node; /* NUMA-aware locks read it in node_init */
	/* hmcs reads the cache group in node_init: the PU's L3, else the (virtual) node */
	sb_pu_info_t pi;
	int no_l3 = sb_topo_pu_info(b->topo, w->pu, &pi) != 0 || pi.l3 < 0;
	sb_thread_group = b->virtual_nodes > 0 || no_l3 ? w->node : pi.l3;
	b->node_init(b->nodes[tid], tid);
	/* Pairs with the runner's acquire load: our setup is visible before it starts the phases. */
	atomic_fetch_add_explicit(&b->ready, 1, memory_order_release);
}

void sb_worker_edge(sb_bench_t *b, unsigned tid, enum sb_edge e)
{
	struct rusage ru;
	sb_worker_t *w = &b->w[tid], *c = w;
	long long v[SB_CTR_MAX];
	int h;

	switch (e) {
	case SB_WINDOW_START:
		getrusage(RUSAGE_THREAD, &ru);
		c->ivcsw0 = ru.ru_nivcsw;
		c->vcsw0 = ru.ru_nvcsw;
		if (c->ct)
			sb_counters_start(c->ct);
		break;
	case SB_WINDOW_END:
		if (c->ct) {
			sb_sde_acquisitions = (long long)w->acq_measured;
			if (sb_counters_stop(c->ct, v) == 0)
				memcpy(w->ctr, v, sizeof(long long) * (size_t)sb_counters_n());
			else
				fprintf(stderr,
					"run-bench: warning: thread %u: PAPI_stop failed; its counters are NA\n", tid);
		}
		w->runq1 = sb_worker_runq_ns(w);
		getrusage(RUSAGE_THREAD, &ru);
		w->invol_csw = ru.ru_nivcsw - c->ivcsw0;
		w->vol_csw = ru.ru_nvcsw - c->vcsw0;
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
