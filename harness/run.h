/*
 * run.h - configurations, repetitions and their results.
 */
#ifndef SPINBENCH_HARNESS_RUN_H
#define SPINBENCH_HARNESS_RUN_H

#include <limits.h>
#include <stdint.h>

#include "bench.h"
#include "lockapi.h"
#include "parse.h"
#include "topo.h"
#include "workload.h"

#define SB_MAX_LOCKS 64
#define SB_MAX_TCOUNTS 64

typedef struct sb_opts {
	const sb_lock_desc_t *locks[SB_MAX_LOCKS];
	int nlocks;
	int tcounts[SB_MAX_TCOUNTS];
	int ntcounts;
	uint64_t duration_ns, warmup_ns, timed_ns; /* timed_ns 0: no latency phase */
	int repeat;                                /* repetitions per configuration; 0: auto (sb_auto_stop) */
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
	int sched_fifo;    /* --sched=fifo: workers under SCHED_FIFO */
	uint64_t seed;
	int part, nparts; /* --part=K/N (nparts 0: not given, the whole plan); sweep.h */
	int list_configs; /* --list-configs: print the plan's configurations and exit */
	int defaults_run; /* no option given: the default sweep */
	char cmdline[8192];
} sb_opts_t;

/* One thread of one repetition (threads.csv). */
typedef struct sb_thread_row {
	int tid, pu, node;
	uint64_t acquisitions, timed_acq, handoffs_in;
	uint64_t timed_n; /* its timed acquisitions with an acquire latency (classified or not) */
	uint64_t acquire_p50, acquire_p99, acquire_max, hold_p50;
	uint64_t reads, writes, long_holds;
	uint64_t spins;
	long invol_csw, vol_csw;
	uint64_t runq_delay_ns;    /* UINT64_MAX: unreadable */
	long long ctr[SB_CTR_MAX]; /* -1: NA */
} sb_thread_row_t;

/* One (releasing PU, acquiring PU) pair of one repetition (handoffs.csv). */
typedef struct sb_pair_row {
	int from_pu, to_pu;
	sb_dist_t cls;
	uint64_t count;  /* handoffs (those with a latency <= 0 included) */
	uint64_t p50_ns; /* median of those with a latency */
	uint64_t timed;  /* how many had a latency */
} sb_pair_row_t;

/* Percentiles of one histogram, and whether it held anything. */
typedef struct sb_pctl {
	uint64_t n, p50, p90, p99, p999, max;
} sb_pctl_t;

/* One repetition of one configuration (summary.csv). */
typedef struct sb_rep {
	const sb_lock_desc_t *lock;
	int threads, rep, cfg;
	/* the window */
	double duration_s;
	uint64_t acquisitions;
	double throughput;
	double jain, min_max, fairness_factor;
	int starved;
	uint64_t reads, writes; /* acquisitions of each kind in the window */
	/* the latency phase (timed = 0: none ran; every figure below is NA) */
	int timed;
	double timed_s;           /* the TIMED phase's length, runner's clock */
	uint64_t timed_phase_acq; /* every acquisition in it */
	double timed_ops_s;       /* timed_phase_acq / timed_s */
	uint64_t sample_every;    /* sb_sampling_t */
	uint64_t stamp_every;
	uint64_t timed_acq; /* timed (classified) acquisitions = the next four */
	uint64_t handoffs, joins, reacquires, idle;
	uint64_t ho_w, ho_r, ho_from_readers; /* handoffs = ho_w + ho_r */
	uint64_t ho_nonpositive;              /* handoffs with a latency <= 0: counted, not in the percentiles */
	int clock_suspect;                    /* ho_nonpositive > 0.1% of handoffs */
	sb_pctl_t ho, ho_wp, ho_rp;           /* handoff latency: all, to writers, to readers */
	sb_pctl_t acq, rd, wr, hold;
	uint64_t timed_reads, timed_writes;
	uint64_t long_holds;        /* timed holds above the hold limit */
	double think_mean_ns;       /* measured (own release to next arrival); NAN: none */
	double delay_ns_per_iter;   /* the busy loop's speed this repetition; NAN: not used */
	double handoff_consistency; /* handoff p50 x window throughput (FIFO locks, empty CS); NAN: n/a */
	/* the machine */
	uint64_t violations;
	int oversubscribed;
	long invol_csw;
	uint64_t runq_max_ns; /* the largest worker's run-queue delay in the window; UINT64_MAX: unreadable */
	double steal_ms;      /* steal time of all CPUs in the window (/proc/stat); NAN if unreadable */
	int preempted;        /* sb_preempted(): SB_PRE_* bits, 0 = not preempted */
	uint64_t spins;
	double ctr_per_op[SB_CTR_MAX]; /* NAN: NA */
	int lock_node, lock_node_real;
	sb_thread_row_t *trow;
	sb_pair_row_t *pairs;
	int npairs;                                /* -1: pairs not tracked (too many threads) */
	sb_hist_t *h_handoff, *h_acquire, *h_hold; /* merged */
	uint64_t class_count[SB_DIST_NCLASSES];    /* handoffs by distance class (pairs tracked) */
	uint64_t class_p50[SB_DIST_NCLASSES];
	double local_share;   /* handoffs between threads of one (virtual) node; NAN if not tracked */
	uint64_t ds_problems; /* data-structure invariant violations found at the end */
	char ds_desc[160];
} sb_rep_t;

typedef struct sb_runctx {
	const sb_opts_t *o;
	sb_topo_t *topo;
	int usable_pus;
	int npus_total;                     /* PUs of the machine (virtual nodes split them) */
	const sb_workload_t *wl;            /* the workload of every configuration */
	int general;                        /* 0: max-contention, the plain loop */
	uint64_t cs_iters;                  /* the critical section's calibrated delay iterations */
	double c2c_floor[SB_DIST_NCLASSES]; /* median one-way ns per class from --c2c; 0 = not measured */
	double tsc_offset_ns;               /* largest counter offset between two cores (--c2c); NAN = not measured */
	double ns_per_tick;
	uint64_t stamp_ticks; /* one ordered stamp (sb_clock_info_t read_cost_ticks) */
	double stamp_cost_ns; /* one ordered stamp (the dearer kind), in ns: sb_sampling's unit */
	int needs_delay_loop; /* the workload has delays below SB_DELAY_DEADLINE_NS */
	int runner_pu;        /* a PU no worker of the largest plan uses, or -1 */
	char err[512];        /* the reason of a failed repetition */
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

/*
 * Merge the workers' results of a finished repetition (b->w[0..nthreads-1])
 * into *r: window figures, latency-phase figures, pairs, fairness, the
 * preempted flag.  r->duration_s, r->timed_s and r->steal_ms are set by the
 * caller first.  Pure but for allocation (exits on out-of-memory).
 */
void sb_rep_reduce(const sb_bench_t *b, const sb_runctx_t *ctx, sb_rep_t *r);

/*
 * The window was disturbed (DESIGN.md: preemption and oversubscription),
 * from what the window measured: a worker waited on the run queue, runnable
 * but not running, for more than SB_PREEMPT_RUNQ_SHARE of the window
 * (/proc/thread-self/schedstat), or the hypervisor stole more than
 * SB_PREEMPT_STEAL_SHARE of the machine's CPU time in it (/proc/stat).
 * Where schedstat cannot be read, involuntary context switches stand in:
 * SB_PREEMPT_CSW_PER_S per thread-second.  The thresholds come from idle
 * windows measured on the development VM (results/README.md).
 */
#define SB_PREEMPT_RUNQ_SHARE 0.01
#define SB_PREEMPT_STEAL_SHARE 0.01
#define SB_PREEMPT_CSW_PER_S 50.0
/* Which rule fired (0: none): the summary says what preempted the workers. */
#define SB_PRE_RUNQ 1
#define SB_PRE_STEAL 2
#define SB_PRE_CSW 4
int sb_preempted(uint64_t runq_max_ns, long invol_csw, int threads, double steal_ms, double window_s, int machine_pus);

/*
 * The latency phase's sampling (bench.h, loop.h), from the window's
 * throughput: its period per acquisition P = window_s / window_acq, and a
 * budget B = 5% of P for what timing adds per acquisition.  The unit of cost
 * is c, what one ordered stamp inside the critical section costs the lock's
 * period.  That is far more than the stamp's own read: it waits for
 * everything before it (the checker's cache miss, above all) and so
 * serialises what the lock's handoff otherwise overlaps, and in an unfair
 * lock it lengthens the critical section enough to change who gets the lock
 * next.  c is modelled as SB_STAMP_IN_CS_FACTOR x stamp_cost_ns (70 ns on
 * the development VM).  Measured there at 2 threads with the sampling
 * forced, ttas (80 ns per acquisition; 6 runs of 5 repetitions for each
 * setting, against a phase with nothing timed): a release stamp on every
 * 16th acquisition cost 12% of the period (some 160 ns a stamp), one
 * acquisition in 39 fully timed 11% and one in 78 2.5% (160-340 ns each: a
 * timed acquisition holds two stamps in the critical section).  An unfair
 * lock pays more than the model says; ticket and MCS, which hand over on
 * every acquisition, pay about the model.  Measuring that cost before the
 * latency phase (a probe with every release stamped, in the warm-up) was
 * tried: for ttas it read 47 ns (6-96), because a stamp on every release
 * moves ttas into another regime, not the cost of sparse stamps.
 *
 *   gated = 0 (the general loop: every release is stamped, which costs c on
 *     every acquisition whatever the sampling): one acquisition in `every`
 *     is timed, costing c/every more; every = ceil(c / max(B - c, B/2)).
 *   gated = 1 (max-contention: an empty critical section, where one stamp
 *     per release would slow a cheap lock down several times): a release is
 *     stamped when the next sequence number is a multiple of `gate` (a power
 *     of two, so that releaser and next owner agree without talking), and one
 *     acquisition in `every` is timed; the ones that fall on a stamped release
 *     are classified.  A timed acquisition holds two stamps in the critical
 *     section (owned, release) and a gated release one, so the cost is
 *     2c/every + c/gate, and the pair that fits B with the most classified
 *     acquisitions is every = 4c/B, gate = 2c/B.
 *
 * In both, the latency phase must still classify at least SB_MIN_SAMPLES
 * acquisitions when it runs as fast as the window did (timed_s long), which
 * wins over the budget: every * gate <= window_acq * timed_s / window_s /
 * SB_MIN_SAMPLES.  For the product k, gate = the largest power of two <=
 * sqrt(k/2) and every = k / gate.  Bounds: 1 <= every, gate <=
 * SB_MAX_SAMPLE_EVERY.  The acquire and hold percentiles come from every
 * timed acquisition (k / gate times more than the classified ones).
 * SB_MIN_SAMPLES is 250: with 1000 (and gate = 2 every), ttas at 2 threads
 * classified one acquisition in 1250 (every 39, gate 32); over 8 runs of 5
 * repetitions, interleaved, its timed_slowdown had a median of 1.24 then,
 * 1.15 now (every about 100, gate 32; some 45 handoffs a repetition instead
 * of 95), and 1.05 with nothing timed at all.
 */
#define SB_STAMP_IN_CS_FACTOR 5.0
#define SB_MIN_SAMPLES 250
#define SB_MAX_SAMPLE_EVERY 1024
typedef struct sb_sampling {
	uint64_t every; /* one acquisition in about this many is timed */
	uint64_t gate;  /* releases stamped when the next sequence number is a multiple of it (1: all) */
} sb_sampling_t;
sb_sampling_t sb_sampling(uint64_t window_acq, double window_s, double timed_s, double stamp_cost_ns, int gated);

/* A handoff latency of p50_ns is unreliable when the cores' counters differ
 * by more than a tenth of it (offset from --c2c; NAN: not measured, never). */
static inline int sb_offset_suspect(double offset_ns, double p50_ns)
{
	return offset_ns == offset_ns && p50_ns == p50_ns && offset_ns > 0.1 * p50_ns;
}

/* The node a thread on this PU belongs to: its NUMA node, or its virtual node. */
int sb_run_thread_node(const sb_runctx_t *ctx, int pu);

#endif
