/*
 * run.h - configurations, repetitions and their results.
 */
#ifndef SPINBENCH_HARNESS_RUN_H
#define SPINBENCH_HARNESS_RUN_H

#include <limits.h>
#include <stdint.h>

#include "bench.h"
#include "lockapi.h"
#include "topo.h"
#include "workload.h"

#define SB_MAX_THREADS 4096
#define SB_MAX_LOCKS 64
#define SB_MAX_TCOUNTS 64

typedef struct sb_opts {
	const sb_lock_desc_t *locks[SB_MAX_LOCKS];
	int nlocks;
	int tcounts[SB_MAX_TCOUNTS];
	int ntcounts;
	uint64_t duration_ns, warmup_ns, timed_ns;
	int repeat;
	sb_placement_t placement;
	char placement_str[256];
	int lock_node; /* -1: node of thread 0 */
	char out[PATH_MAX];
	char results_dir[PATH_MAX];
	char machine[128];
	char topology[PATH_MAX];
	char counters_str[512];
	char workloads_dir[PATH_MAX];
	sb_workload_t wl;
	int plan_only, quiet, progress, no_plots;
	int virtual_nodes; /* 0: real nodes; K: the PUs split into K pretend nodes */
	int c2c;           /* --c2c */
	uint64_t seed;
	int defaults_run; /* no option given: the default sweep */
	char cmdline[8192];
} sb_opts_t;

/* One thread of one repetition (threads.csv). */
typedef struct sb_thread_row {
	int tid, pu, node;
	uint64_t acquisitions, timed_acq, handoffs_in;
	uint64_t acquire_p50, acquire_p99, acquire_max, hold_p50;
	uint64_t reads, writes, long_holds;
	uint64_t spins;
	long invol_csw, vol_csw;
	uint64_t runq_delay_ns; /* UINT64_MAX: unreadable */
	long long ctr[SB_CTR_MAX]; /* -1: NA */
} sb_thread_row_t;

/* One (releasing PU, acquiring PU) pair of one repetition (handoffs.csv). */
typedef struct sb_pair_row {
	int from_pu, to_pu;
	sb_dist_t cls;
	uint64_t count;
	uint64_t p50_ns;
} sb_pair_row_t;

/* One repetition of one configuration (summary.csv). */
typedef struct sb_rep {
	const sb_lock_desc_t *lock;
	int threads, rep, cfg;
	double duration_s;
	uint64_t acquisitions;
	double throughput;
	double jain, min_max, fairness_factor;
	int starved;
	uint64_t handoffs, reacquires, idle, timed_acq;
	uint64_t ho_p50, ho_p90, ho_p99, ho_p999, ho_max;
	uint64_t acq_p50, acq_p99, acq_max, hold_p50;
	uint64_t violations;
	int oversubscribed;
	long invol_csw;
	double steal_ms; /* steal time of all CPUs in the window (/proc/stat); NAN if unreadable */
	int preempted;   /* invol_csw >= threads, or steal > 1% of the window's CPU time */
	uint64_t spins;
	double ctr_per_op[SB_CTR_MAX]; /* NAN: NA */
	int lock_node, lock_node_real;
	sb_thread_row_t *trow;
	sb_pair_row_t *pairs;
	int npairs; /* -1: pairs not tracked (too many threads) */
	sb_hist_t *h_handoff, *h_acquire, *h_hold; /* merged */
	uint64_t class_count[SB_DIST_NCLASSES]; /* handoffs by distance class (pairs tracked) */
	uint64_t class_p50[SB_DIST_NCLASSES];
	double local_share; /* handoffs between threads of one (virtual) node; NAN if not tracked */
	uint64_t reads, writes;  /* acquisitions of each kind in the window */
	uint64_t rd_p50, rd_p99, rd_max, wr_p50, wr_p99, wr_max, timed_reads, timed_writes;
	uint64_t long_holds;     /* timed phase: holds above the hold limit */
	uint64_t ds_problems;    /* data-structure invariant violations found at the end */
	char ds_desc[160];
} sb_rep_t;

typedef struct sb_runctx {
	const sb_opts_t *o;
	sb_topo_t *topo;
	int usable_pus;
	int npus_total; /* PUs of the machine (virtual nodes split them) */
	const sb_workload_t *wl; /* the workload of every configuration */
	int general;             /* 0: max-contention, the plain loop */
	uint64_t cs_iters;       /* the critical section's calibrated delay iterations */
	double c2c_floor[SB_DIST_NCLASSES]; /* median one-way ns per class from --c2c; 0 = not measured */
	double tsc_offset_ns; /* largest counter offset between two cores (--c2c); NAN = not measured */
	double ns_per_tick;
	char err[512]; /* the reason of a failed repetition */
} sb_runctx_t;

/*
 * Run one repetition of (lock, threads) with the context's placement.
 * Returns 0 and fills *r on success; -1 with ctx->err set when the
 * repetition failed (binding, allocation); -2 when the watchdog fired
 * (workers may still be running: the process must exit); -3 when a stop
 * signal arrived (the repetition is discarded).
 */
int sb_run_rep(sb_runctx_t *ctx, const sb_lock_desc_t *lock, int threads, int rep, sb_rep_t *r);

/* Set by the SIGINT/SIGTERM handler: the signal number, or 0. */
extern volatile int sb_stop_signal;

void sb_rep_free(sb_rep_t *r);

/* A handoff latency of p50_ns is unreliable when the cores' counters differ
 * by more than a tenth of it (offset from --c2c; NAN: not measured, never). */
static inline int sb_offset_suspect(double offset_ns, double p50_ns)
{
	return offset_ns == offset_ns && p50_ns == p50_ns && offset_ns > 0.1 * p50_ns;
}

/* The node a thread on this PU belongs to: its NUMA node, or its virtual node. */
int sb_run_thread_node(const sb_runctx_t *ctx, int pu);

#endif
