/*
 * bench.h - one repetition of one configuration, as the stamped worker sees it.
 *
 * The runner (run.c) allocates the lock arena on the lock's NUMA node, starts
 * one pinned worker per thread, and drives the phases through `phase`:
 *
 *   WAIT -> WARMUP -> MEASURE -> SETTLE -> TIMED -> STOP
 *
 * MEASURE is the throughput window: the loop reads no clock, makes no
 * syscall and no indirect call; it counts acquisitions in a register.
 * SETTLE and TIMED are the latency phase.  In both, every release records
 * its stamp beside the lock (handoff.h); SETTLE lasts until every worker has
 * left the window, so that TIMED starts with every record written by the
 * same loop.  In TIMED one acquisition in about `sample_every` (a random gap
 * per sample, so that no period of the lock can line up with it) is timed:
 * arrival, owned and release stamps, classified as handoff, shared join,
 * reacquire or idle once the lock is released.  In max-contention, where a
 * stamp per release would double the period of a cheap lock, only the
 * releases before a sequence number that is a multiple of stamp_mask + 1 are
 * stamped (the guard's counter numbers the exclusive acquisitions, so
 * releaser and next owner agree without talking), and a timed acquisition is
 * classified when it falls on one.  Both rates are chosen from the window's
 * throughput (sb_sampling) so that timing costs at most about 5% of the
 * window's period, and the phase runs close to the window's speed; its own
 * throughput is reported beside the window's.
 * The mutual-exclusion guard runs in every phase.
 */
#ifndef SPINBENCH_HARNESS_BENCH_H
#define SPINBENCH_HARNESS_BENCH_H

#include <stdatomic.h>
#include <stdint.h>

#include "arch.h"
#include "counters.h"
#include "ds.h"
#include "guard.h"
#include "handoff.h"
#include "stats.h"
#include "topo.h"
#include "workload.h"

enum sb_phase { SB_PH_WAIT, SB_PH_WARMUP, SB_PH_MEASURE, SB_PH_SETTLE, SB_PH_TIMED, SB_PH_STOP };

/* Handoff pairs are tracked per (releaser, acquirer) up to this many threads
 * (pairs x pair histogram = 256^2 x 512 B = 32 MiB at most). */
#define SB_PAIR_MAX_THREADS 256
/* Pair histogram: 4 sub-buckets per power of two (about 19% wide), 128 buckets. */
#define SB_PHIST_N 128

static inline unsigned sb_phist_index(uint64_t v)
{
	if (v < 4)
		return (unsigned)v;
	unsigned msb = (unsigned)(63 - __builtin_clzll(v));
	unsigned i = msb * 4 + (unsigned)((v >> (msb - 2)) & 3);
	return i < SB_PHIST_N ? i : SB_PHIST_N - 1;
}

/*
 * The shared-release record of a reader/writer lock instance (handoff.h), on
 * its own line beside the guard's: the latest shared release (sb_rrec_pack)
 * and the readers inside.  Used in the latency phase only.
 */
typedef struct sb_rw_rec {
	SB_ALIGNED _Atomic uint64_t rel; /* 0: no shared release yet */
	_Atomic uint32_t inside;
} sb_rw_rec_t;

/*
 * One lock instance (--locks=N gives N): the lock, its guard (which also
 * holds the exclusive-release record), its shared-release record, and the
 * data it protects: cs-lines lines (line0 is inside the lock's own cache
 * line with --data=colocated) and the workload's data structure.  All of it
 * on the lock's NUMA node.
 */
typedef struct sb_inst {
	void *lock;
	sb_guard_t *guard;
	sb_rw_rec_t *rw;
	volatile uint64_t *line0; /* first protected line */
	volatile uint64_t *rest;  /* lines 1 .. cs_lines-1, one word per 64 bytes */
	sb_ht_t *ht;
	sb_list_t *list;
} sb_inst_t;

/* One worker's figures of the latency phase. */
typedef struct sb_timed {
	uint64_t acq;                   /* every acquisition of the TIMED phase, timed or not */
	uint64_t sampled;               /* timed acquisitions (= the sum of kind[]) */
	uint64_t kind[SB_ACQ_NKINDS];   /* by sb_acq_kind_t */
	uint64_t ho_w, ho_r;            /* handoffs to exclusive / to shared acquisitions */
	uint64_t ho_from_readers;       /* handoffs to writers from a shared release */
	uint64_t nonpositive;           /* handoffs whose latency came out <= 0 (not histogrammed) */
	uint64_t long_holds;            /* timed holds above the hold limit */
	uint64_t think_sum_ns, think_n; /* measured think times (own release to next arrival) */
} sb_timed_t;

/* One worker's results, padded so that no two workers share a line. */
typedef struct sb_worker {
	SB_ALIGNED uint64_t acq_measured; /* acquisitions in the measured window */
	uint64_t writes_total;            /* exclusive acquisitions, every phase */
	uint64_t violations;
	uint64_t spins_measured; /* wait-loop iterations in the window */
	sb_timed_t t;            /* the latency phase */
	/* ns; allocated by the runner, first touched by the worker (sb_worker_begin).
	 * h_ho_r and h_acq_read exist only when the workload has shared / read acquisitions. */
	sb_hist_t *h_ho_w, *h_ho_r, *h_acquire, *h_acq_read, *h_hold;
	uint32_t *pair_count; /* [releaser], this worker acquiring; NULL if not tracked */
	uint32_t *pair_hist;  /* [releaser][SB_PHIST_N] */
	int pu;               /* OS index it is bound to */
	int node;             /* its NUMA node, or virtual node (--virtual-nodes) */
	int bind_ok;
	long invol_csw, vol_csw;   /* over the measured window */
	uint64_t runq_delay_ns;    /* schedstat: runq1 - runq0 (worker.c); UINT64_MAX if unreadable */
	long long ctr[SB_CTR_MAX]; /* PAPI counters over the window (handoffs: the timed phase); -1 = NA */
	/* the edges' baselines (worker.c) */
	long ivcsw0, vcsw0;
	uint64_t runq0;      /* run-queue wait: the runner's read before the window */
	uint64_t runq1;      /* and the worker's at its end edge (worker.c) */
	int os_tid;          /* the kernel's thread id, for the runner's schedstat reads */
	sb_ctr_thread_t *ct; /* this thread's PAPI event set, or NULL */
	/* workloads (the general loop) */
	uint64_t reads_measured, writes_measured; /* in the window */
	sb_think_t *think;
	int64_t *tally; /* [instance]: data-structure inserts - deletes that succeeded */
	uint64_t sink;  /* sum of what reads saw (keeps them from being optimised out) */
	char bind_err[160];
} sb_worker_t;

typedef struct sb_bench {
	void *lock;
	sb_guard_t *guard;
	void **nodes; /* per-thread queue nodes */
	/* The workload.  general = 0: max-contention, the plain loop (one lock,
	 * empty critical section, no think time, all exclusive). */
	int general;
	int rw;       /* the lock has a shared mode: reads take it shared */
	int rw_reads; /* ... and the workload makes reads: the shared-release record is kept */
	sb_inst_t *inst;
	int ninst;
	int cs_lines;
	uint64_t cs_ticks;    /* the critical section's busy delay */
	sb_delay_cal_t delay; /* the busy delay's calibration for this repetition */
	uint64_t hold_limit_ticks;
	uint64_t stamp_ticks;  /* one ordered stamp's cost, taken off every hold */
	uint64_t base_ticks;   /* a stamp before the workers start (shared-release records) */
	uint64_t sample_every; /* TIMED: one acquisition in about this many is timed; set
				    by the runner before its release store of SB_PH_TIMED */
	uint64_t stamp_mask;   /* TIMED, max-contention: a release is stamped when the next
				    sequence number & stamp_mask is 0 (sb_sampling_t gate - 1) */
	sb_ds_kind_t ds;
	sb_ds_mix_t mix;
	const sb_workload_t *wl;
	uint64_t seed;
	int nthreads;
	double ns_per_tick;
	SB_ALIGNED atomic_int phase;
	SB_ALIGNED atomic_int ready; /* workers pinned and set up */
	SB_ALIGNED atomic_int done;  /* workers finished */
	SB_ALIGNED atomic_int timed; /* workers that have left the window (entered SETTLE) */
	sb_worker_t *w;
	/* what the workers' runtime (worker.c) needs of the run */
	const sb_topo_t *topo;
	int virtual_nodes;                           /* --virtual-nodes (hmcs cache groups follow them) */
	int sched_fifo;                              /* --sched=fifo: each worker sets itself SCHED_FIFO 1 */
	int measure_delay;                           /* thread 0 measures the busy loop (delays below 200 ns) */
	void (*node_init)(void *node, unsigned tid); /* the lock's, before the phases */
} sb_bench_t;

/* The workers' runtime (worker.c), called by the stamped worker outside its
 * measured loops. */
void sb_worker_begin(sb_bench_t *b, unsigned tid); /* bind, verify, counters, announce ready */
uint64_t sb_worker_runq_ns(const sb_worker_t *w);  /* its run-queue wait so far, or UINT64_MAX */
enum sb_edge { SB_WINDOW_START, SB_WINDOW_END, SB_TIMED_START, SB_TIMED_END };
/* At each edge of the measured window and the timed phase: rusage, schedstat,
 * PAPI start/stop.  At SB_WINDOW_END w->acq_measured is already set, at
 * SB_TIMED_END w->t. */
void sb_worker_edge(sb_bench_t *b, unsigned tid, enum sb_edge e);

#endif
