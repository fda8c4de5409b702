/*
 * sweep.h - a run of run-bench from the options on: the plan check, the
 * clock and what the workload needs, the core-to-core floor (--c2c), the
 * runner's PU, and the sweep of configurations x repetitions in seeded
 * shuffled rounds (--repeat=N or auto).
 */
#ifndef SPINBENCH_HARNESS_SWEEP_H
#define SPINBENCH_HARNESS_SWEEP_H

#include <stdint.h>
#include <stdio.h>

#include "aggregate.h"
#include "results.h"
#include "run.h"

/* --c2c: each class floor is the median of this many rounds. */
#define SB_C2C_ROUNDS 5

/*
 * The plan of the largest count: printed for --plan (returns 1), checked
 * otherwise, so that bad input fails before anything runs (exit 2).
 */
int sb_check_plan(const sb_opts_t *o, const sb_runctx_t *ctx);

/* The clock (calibration, costs, granularity) and what the workload needs
 * of the runner; 0, or -1 when the counter cannot be calibrated. */
int sb_setup_measurement(const sb_opts_t *o, sb_runctx_t *ctx, sb_meta_t *meta);

/*
 * --c2c: cache-line ping-pong between the planned PUs (all pairs on small
 * machines, a sample of one pair per distance class per core group on large
 * ones), the floor for each class, and the timestamp offset between cores.
 * Before the sweep (after = 0): SB_C2C_ROUNDS rounds over the pairs; each
 * pair's figures are the medians of its rounds, each class floor the median
 * of the rounds' class medians (a VM's vCPU placement changes from minute to
 * minute).  After the sweep (after = 1): one more round for the offset only;
 * the larger offset is the one recorded.  Exits 1 when a pair fails.
 */
void sb_measure_c2c(const sb_opts_t *o, sb_runctx_t *ctx, sb_meta_t *meta, int after);

/*
 * The runner sleeps through each phase on a PU that no worker of any
 * configuration uses, when there is one: bind the calling thread there and
 * return it; -1 (unbound, where the scheduler puts it) otherwise.
 */
int sb_pin_runner(const sb_opts_t *o, const sb_runctx_t *ctx);

/*
 * --part=K/N: the plan's configurations are numbered in one order (lock-major:
 * c = lock index x thread counts + thread-count index, as given); part K runs
 * those with c % N == K - 1, so every configuration is in exactly one part and
 * each part gets a spread of locks and thread counts.  Without --part
 * (nparts 0) every configuration is in the one part.
 */
static inline int sb_in_part(int c, int part, int nparts)
{
	return nparts <= 1 || c % nparts == part - 1;
}

/* Fisher-Yates over a[0..n), drawing from splitmix64(*seed): the one shuffle
 * of the run order. */
void sb_shuffle(int *a, int n, uint64_t *seed);

/*
 * Keep the entries of a round's shuffled order (each c * per_cfg + rep) whose
 * configuration is in part K of N, in their order; their number.  A part thus
 * runs its repetitions in the order the whole plan's run would, given the same
 * seed (exactly for --repeat=N; for auto, the first round).
 */
int sb_part_filter(int *order, int n, int per_cfg, int part, int nparts);

/* --list-configs: the plan's configurations (of part K, with --part), one a
 * line: index, lock, threads, part (1..N; 1 without --part). */
void sb_list_configs(FILE *f, const sb_opts_t *o);

/* The sweep's configurations and the repetitions measured so far. */
typedef struct sb_sweep {
	sb_cfg_t *cfgs;
	sb_cfg_stats_t *stats;
	int ncfg;
	sb_rep_t **reps;
	int nreps;
	int failed; /* a real lock violated mutual exclusion */
} sb_sweep_t;

/*
 * Run the sweep.  Repetitions run in rounds, each in a seeded shuffled
 * order: all N of them at once for --repeat=N; for auto, three of each
 * configuration first, then one more of each not yet stable per round
 * (sb_auto_stop), so that repetitions of different configurations stay
 * interleaved.  With --part, the first round is the whole plan's order
 * filtered to the part (sb_part_filter); configurations of other parts are
 * never run (sw->cfgs holds the whole plan; theirs keep 0 repetitions).  Returns 0; 1 after an error or the watchdog (reported,
 * meta->stop_reason set); a stop signal ends it early, leaving the rest to
 * the caller.
 */
int sb_run_sweep(const sb_opts_t *o, sb_runctx_t *ctx, sb_meta_t *meta, sb_sweep_t *sw);

#endif
