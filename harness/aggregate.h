/*
 * aggregate.h - one configuration's figures over its repetitions: the
 * medians (sb_median_d, NaN left out), the throughput's interval and
 * stability, and the flags.  One place computes them for the printed
 * summary, summary.csv's per-configuration columns and configs.csv, which
 * the report and compare-results read instead of computing their own.
 */
#ifndef SPINBENCH_HARNESS_AGGREGATE_H
#define SPINBENCH_HARNESS_AGGREGATE_H

#include "run.h"

/* --repeat=auto: 3 to 15 repetitions, until the median's 95% interval is within +-5%. */
#define SB_AUTO_MIN_REPS 3
#define SB_AUTO_MAX_REPS 15
#define SB_AUTO_REL 0.05

/* Limits of the flags (results/README.md). */
#define SB_SLOWDOWN_LIMIT 1.25 /* timed_slowdown above: the latency phase ran slower */
#define SB_CONSISTENCY_LO 0.7  /* handoff_consistency outside [lo, hi] */
#define SB_CONSISTENCY_HI 1.4
#define SB_ASKED_TOLERANCE 0.20      /* measured hold / think vs --cs / --think */
#define SB_CLOCK_SUSPECT_SHARE 0.001 /* handoffs with latency <= 0 above this share */

/* A configuration of the sweep. */
typedef struct sb_cfg {
	const sb_lock_desc_t *lock;
	int threads;
} sb_cfg_t;

/* The per-repetition figures derived from a repetition's own values. */
double sb_rep_slowdown(
	const sb_rep_t
		*r); /* window / timed throughput; NAN without a latency phase; INFINITY when it had no acquisition */
int sb_rep_inconsistent(const sb_rep_t *r);                            /* -1 n/a (or preempted), 0 within, 1 outside */
int sb_rep_below_resolution(const sb_rep_t *r, double granularity_ns); /* -1 n/a, 1: handoff p50 < 2 steps */

/* One configuration over its repetitions. */
typedef struct sb_cfg_stats {
	int reps;
	double tput, tput_q1, tput_q3; /* median and quartiles of throughput_ops_s */
	double ci_lo, ci_hi;           /* 95% interval of the median (sb_median_ci); NAN below 6 reps */
	int stable;                    /* the interval lies within +-5% of the median */
	double jain, ho_p50, ho_p99, rd_p50, wr_p50, hold_p50, think_mean;
	double slowdown, consistency; /* medians; consistency over non-preempted reps */
	int starved_reps, preempted_reps, inconsistent_reps, clock_suspect_reps, below_res_reps;
	int steal_reps; /* preempted reps where the hypervisor stole time */
	int oversubscribed;
	uint64_t violations, long_holds, ds_problems, reads, acquisitions;
	double ctr[SB_CTR_MAX]; /* medians of the counters per acquisition */
} sb_cfg_stats_t;

/* The figures of configuration `cfg` over reps[0..nreps-1] (those with r->cfg == cfg). */
void sb_cfg_aggregate(sb_rep_t *const *reps, int nreps, int cfg, double granularity_ns, sb_cfg_stats_t *s);

#endif
