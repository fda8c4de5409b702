/*
 * c2c.h - core-to-core latency: cache-line ping-pong between two PUs, the
 * physical floor under every lock handoff (DESIGN.md, "What is measured").
 *
 * Two threads, bound to PU a and PU b (sb_topo_bind_self), pass one 128-byte
 * line back and forth.  Each round trip is timed on a's counter with the
 * ordered stamps of clock.h (sb_tick_start before the send, sb_tick_end
 * after the answer is seen):
 * a writes the line, b sees it and writes it back, a sees that.  The one-way
 * latency is half the median round trip.  The waits are tight loops without
 * a pause hint (PAUSE costs up to ~140 cycles on recent x86, more than an
 * SMT round trip), so the figure is the floor that a lock's spin loop can
 * approach, not what it reaches.
 *
 * The same pair also estimates the offset between the two PUs' counters:
 * a stamps its send time into the message, b stamps when it sees it and
 * when it answers, a stamps when it sees the answer (start stamps before a
 * send, end stamps after a receive, so that no stamp moves across the
 * message it brackets).  With a symmetric path,
 *	offset = ((t_b_recv - t_a_send) - (t_a_recv - t_b_send)) / 2
 * is b's counter minus a's, the median over the samples.  A handoff latency
 * measured across the pair (release stamped on one PU, acquire on the other)
 * is only meaningful when this offset is small against it.
 *
 * Pair planning: on a small machine all pairs of the PU list; on a large one
 * a bounded representative sample: the PUs are grouped by core group (the
 * PUs under one L3; without an L3, under one NUMA node), and from the first
 * listed PU of each group one pair per distance class (sb_topo_classify),
 * to the first listed PU at that distance.  Every class that occurs among
 * the listed PUs appears in the plan (classes come first, so a cap keeps
 * them), at most one pair per (group, class), at most max_pairs in all.
 */
#ifndef SPINBENCH_HARNESS_C2C_H
#define SPINBENCH_HARNESS_C2C_H

#include <stddef.h>

#include "topo.h"

/*
 * A default cap on the pairs one run measures.  A pair costs two thread
 * starts and bindings plus the samples: about 5-10 ms with 1000 samples of
 * up to ~1 us each (cross-socket), so 1024 pairs (all pairs of up to 46 PUs)
 * finish in about ten seconds; larger machines get the sample instead.
 */
#define SB_C2C_DEFAULT_MAX_PAIRS 1024
#define SB_C2C_DEFAULT_SAMPLES 1000

/* A peer that does not answer within this long fails the pair (1 s: three
   orders of magnitude above the slowest round trip, yet a hung run ends). */
#define SB_C2C_TIMEOUT_NS 1000000000ull

typedef struct sb_c2c_row {
	int from_pu, to_pu; /* OS indexes; from_pu keeps the round-trip clock */
	sb_dist_t cls;      /* sb_topo_classify(from_pu, to_pu) */
	double median_ns;   /* one-way latency: median round trip / 2 */
	double min_ns;      /* one-way: fastest round trip / 2 */
	int samples;        /* round trips measured (and offset samples) */
	double offset_ns;   /* to_pu's counter minus from_pu's, median estimate */
} sb_c2c_row_t;

/*
 * Measure the pair (a, b): `samples` timed round trips after a short
 * warm-up, then `samples` timestamp exchanges for the offset.  Needs
 * sb_clock_init() for ns (else 1 tick = 1 ns).  Creates two threads, binds
 * them, joins them: the caller's own binding is untouched.  Returns 0 and
 * fills *out; or -1 with a one-line reason in err: the topology is not
 * this system (binding refused; nothing is attempted), a == b, a PU the
 * topology lacks, samples < 1, binding failed, a thread could not start,
 * or the peer did not answer within SB_C2C_TIMEOUT_NS.
 */
int sb_c2c_pair(const sb_topo_t *t, int a, int b, int samples, sb_c2c_row_t *out, char *err, size_t errlen);

/*
 * Plan the pairs to measure among pus[0..n-1] (OS indexes; duplicates and
 * PUs the topology lacks are ignored): all unordered pairs, in list order,
 * when there are at most max_pairs of them; else the representative sample
 * described at the top, capped at max_pairs.  Writes pairs[k][0] (from),
 * pairs[k][1] (to); returns the count (0 when fewer than two usable PUs or
 * max_pairs < 1).  A pure function of (topology, list, max_pairs); never
 * binds, so it works on XML topologies.  Cannot fail.
 */
int sb_c2c_plan(const sb_topo_t *t, const int *pus, int n, int max_pairs, int (*pairs)[2]);

/* The core group of a PU, as the plan uses it: its L3's logical index, or
   (no L3) 100000 + its home node's OS index; -1 when there is no such PU. */
int sb_c2c_group(const sb_topo_t *t, int pu);

/*
 * The driver: plan (sb_c2c_plan) and measure every planned pair
 * (sb_c2c_pair) into rows[0..], which has room for max_pairs rows.  Returns
 * the number of rows, or -1 with the first failing pair's reason in err
 * (rows before it are filled).  progress, when not NULL, is called after
 * each pair with (done, total, arg).
 */
int sb_c2c_run(const sb_topo_t *t, const int *pus, int n, int max_pairs, int samples, sb_c2c_row_t *rows,
	       void (*progress)(int done, int total, void *arg), void *arg, char *err, size_t errlen);

#endif
