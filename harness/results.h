/*
 * results.h - the result folder of DESIGN.md: summary.csv, threads.csv,
 * handoffs.csv, histograms.csv, meta.json, topology.xml.
 */
#ifndef SPINBENCH_HARNESS_RESULTS_H
#define SPINBENCH_HARNESS_RESULTS_H

#include <limits.h>
#include <stdio.h>

#include "aggregate.h"
#include "c2c.h"
#include "clock.h"
#include "run.h"

#define SB_SCHEMA_VERSION 2

typedef struct sb_meta {
	char run_id[PATH_MAX];
	char start_iso[64];
	int complete;
	char stop_reason[128]; /* "" when complete */
	sb_clock_info_t clock;
	int nconfigs;
	const sb_cfg_t *cfgs;            /* the sweep's configurations, ncfg of them */
	const sb_cfg_stats_t *cfg_stats; /* their figures (sb_cfg_aggregate) */
	int ncfg;
	int repeat_auto;
	sb_c2c_row_t *c2c; /* --c2c rows, nc2c of them */
	int nc2c;
	double tsc_offset_max_ns; /* largest |offset| between two cores' counters seen by --c2c */
	double tsc_offset_before_ns, tsc_offset_after_ns; /* the same, before and after the sweep */
	int c2c_rounds;
	long rt_runtime_us, rt_period_us; /* kernel.sched_rt_runtime_us / _period_us; -1 unreadable */
} sb_meta_t;

/*
 * Write every result file into dir (which exists), each through a temporary
 * name renamed into place.  Returns 0, or -1 with a line on stderr naming
 * the file that could not be written.
 */
int sb_results_write(const char *dir, const sb_runctx_t *ctx, const sb_meta_t *m, sb_rep_t *const *reps, int nreps);

/* The build: its git commit ("-dirty" when built from changes) and flags. */
const char *sb_build_commit(void);
const char *sb_build_flags(void);

#endif
