/*
 * summary.h - what run-bench prints on stdout: the human summary (one line
 * per configuration, the figures of aggregate.h, with notes) and, for
 * --plan, the distance class of every thread pair.
 */
#ifndef SPINBENCH_HARNESS_SUMMARY_H
#define SPINBENCH_HARNESS_SUMMARY_H

#include "aggregate.h"
#include "results.h"
#include "topo.h"

/* The human summary of a sweep, on stdout. */
void sb_print_summary(const sb_opts_t *o, const sb_cfg_t *cfgs, const sb_cfg_stats_t *st, int ncfg,
		      const sb_meta_t *meta, double tsc_offset_ns);

/* --plan: the distance class of every thread pair (a matrix up to 64 threads). */
void sb_print_pair_classes(const sb_topo_t *t, const int *pus, int n);

#endif
