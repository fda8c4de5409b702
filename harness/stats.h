/*
 * stats.h - latency histograms, fairness figures, and small-sample summaries.
 *
 * Histogram (sb_hist_t): log-linear over uint64 values (ns), fixed size, no
 * allocation, merged by summing (DESIGN.md "What is measured").
 *
 *   values 0..255           one bucket per value (exact)
 *   [2^k, 2^(k+1)), k >= 8  128 linear sub-buckets of width 2^(k-7)
 *
 * (The first power of two, [128, 256), also has 128 sub-buckets, of width 1.)
 * A bucket's width is at most 1/128 of its lower bound, so reporting its
 * midpoint is within 1/256 (0.4%) of any value in it.  Values up to
 * SB_HIST_LIMIT - 1 = 2^40 - 1 ns (about 18 minutes) are bucketed; larger
 * ones are clamped into the last bucket and counted in `clamped`; count, min,
 * max and sum still use the true value.
 *
 * Index of v (v < 2^40):  s = max(0, floor(log2(v)) - 7),
 *                         index = s * 128 + (v >> s).
 * Number of buckets: 33 * 128 + 128 = 4352.
 *
 * Fairness (DESIGN.md): Jain's index, min/max ratio, fairness factor,
 * starvation flag, all over per-thread acquisition counts.
 *
 * Summaries: median and quartiles of a few doubles (repetitions).
 */
#ifndef SPINBENCH_HARNESS_STATS_H
#define SPINBENCH_HARNESS_STATS_H

#include <stdint.h>

#define SB_HIST_SUB_BITS 7 /* 128 sub-buckets per power of two */
#define SB_HIST_SUB (1u << SB_HIST_SUB_BITS)
#define SB_HIST_MAX_BITS 40 /* values < 2^40 are bucketed */
#define SB_HIST_LIMIT (UINT64_C(1) << SB_HIST_MAX_BITS)
#define SB_HIST_NBUCKETS ((SB_HIST_MAX_BITS - SB_HIST_SUB_BITS + 1) * (1 << SB_HIST_SUB_BITS)) /* 4352, an int */

/*
 * The histogram: one 64-byte header line, then 4352 uint64 counts.
 * sizeof(sb_hist_t) == 34880 bytes (545 cache lines of 64).  Per thread,
 * written only by its thread; merge after the window.  Plain (non-atomic)
 * fields: readers must synchronise with the writer (e.g. thread join).
 */
typedef struct sb_hist {
	uint64_t count;   /* values added */
	uint64_t min;     /* exact; UINT64_MAX while empty */
	uint64_t max;     /* exact; 0 while empty */
	uint64_t sum;     /* exact sum of values (wraps after 2^64 ns in total) */
	uint64_t clamped; /* values >= SB_HIST_LIMIT, counted in the last bucket */
	uint64_t reserved[3];
	uint64_t bucket[SB_HIST_NBUCKETS];
} sb_hist_t;

_Static_assert(sizeof(sb_hist_t) == 34880, "sb_hist_t size is documented as 34880 bytes");

/* Bucket index of a value (clamped into the last bucket).  Pure, branch-free. */
static inline unsigned sb_hist_index(uint64_t v)
{
	v = v < SB_HIST_LIMIT ? v : SB_HIST_LIMIT - 1;
	/* v | 255 keeps the log >= 7, so s = 0 (exact buckets) below 256. */
	unsigned s = (unsigned)(63 - __builtin_clzll(v | 255)) - SB_HIST_SUB_BITS;
	return (s << SB_HIST_SUB_BITS) + (unsigned)(v >> s);
}

/* Empty the histogram. */
void sb_hist_init(sb_hist_t *h);

/*
 * Add one value.  Called in timed loops: a clz, shifts, two compares
 * (conditional moves) and four increments; no loop, no division.
 */
static inline void sb_hist_add(sb_hist_t *h, uint64_t v)
{
	h->bucket[sb_hist_index(v)]++;
	h->count++;
	h->sum += v;
	h->clamped += v >= SB_HIST_LIMIT;
	h->min = v < h->min ? v : h->min;
	h->max = v > h->max ? v : h->max;
}

/* dst += src: counts summed bucket by bucket, min/max combined. */
void sb_hist_merge(sb_hist_t *dst, const sb_hist_t *src);

/* Number of values added. */
uint64_t sb_hist_count(const sb_hist_t *h);

/* Exact largest value added; 0 when empty. */
uint64_t sb_hist_max(const sb_hist_t *h);

/* Exact smallest value added; 0 when empty. */
uint64_t sb_hist_min(const sb_hist_t *h);

/* Mean (sum / count); NAN when empty. */
double sb_hist_mean(const sb_hist_t *h);

/*
 * The p-th percentile, p in [0, 100] (clamped into that range; NaN gives 0).
 * With n values, the rank is r = ceil(p/100 * n), at least 1 (computed with a
 * relative tolerance of 1e-12 so that a decimal p such as 99.9 does not round
 * up a whole rank).  Returns the midpoint (lower + (width-1)/2) of the bucket
 * holding the r-th smallest value, limited to [min, max]; hence exact for
 * values below 256, p = 100 gives the exact max and p = 0 the exact min.
 * Relative error otherwise < 1/256.  Empty histogram: 0.
 */
uint64_t sb_hist_percentile(const sb_hist_t *h, double p);

/* Number of buckets, SB_HIST_NBUCKETS, for iteration (CSV output). */
int sb_hist_nbuckets(void);

/* Smallest value that falls into bucket i (0 <= i < SB_HIST_NBUCKETS). */
uint64_t sb_hist_bucket_lower(int i);

/* Width of bucket i: values lower .. lower + width - 1 fall into it. */
uint64_t sb_hist_bucket_width(int i);

/* Values counted in bucket i; 0 for i out of range. */
uint64_t sb_hist_bucket_count(const sb_hist_t *h, int i);

/*
 * Jain's fairness index over x[0..n-1]: (sum x)^2 / (n * sum x^2).
 * 1 = perfectly fair, 1/n = one thread did everything.
 * n <= 0: NAN.  All counts zero (nothing was acquired, nothing to judge):
 * NAN, like the other fairness figures.  Accumulates in long double, so
 * counts up to 2^64 do not overflow.
 */
double sb_jain(const uint64_t *x, int n);

/*
 * min(x) / max(x).  1 = fair, 0 = some thread starved.
 * n <= 0 or max == 0: NAN.
 */
double sb_min_max_ratio(const uint64_t *x, int n);

/*
 * Fairness factor: the share of all acquisitions done by the busiest half
 * of the threads.  With the counts sorted in descending order,
 *
 *     F = ( sum of the top floor(n/2) counts
 *           + (n odd ? half of the middle, (n+1)/2-th, count : 0) ) / total
 *
 * i.e. exactly n/2 "thread-shares" of the busiest threads.  Equal counts give
 * exactly 0.5 for every n; one thread doing everything gives 1.0 for n >= 2
 * (n = 1 gives 0.5: one thread is trivially fair).  Range [0.5, 1].
 * n <= 0 or total == 0: NAN.  Allocates a sorted copy (NAN if that fails).
 */
double sb_fairness_factor(const uint64_t *x, int n);

/*
 * Starvation flag as in locktorture: 1 if max(x) > 2 * min(x), else 0
 * (no overflow for any counts).  n <= 0: 0.
 */
int sb_starved(const uint64_t *x, int n);

/*
 * Median of the numbers among v[0..n-1]: NaN entries (figures that were not
 * measured) are left out, so median{1, NaN, 2} = 1.5.  v is not modified (a
 * copy is sorted).  An even count: the mean of the two middle values.  No
 * number at all, or allocation failure: NAN.  The one median of the
 * project: the printed summary, summary.csv and configs.csv (which the
 * report and compare-results read) all come from it.
 */
double sb_median_d(const double *v, int n);

/*
 * Quartiles of the numbers among v[0..n-1] (NaN left out, as in
 * sb_median_d) by linear interpolation between order statistics (position
 * (m-1)*q over the m numbers, the "type 7" rule of R and NumPy's default),
 * so *q2 is the same median as sb_median_d().  IQR = *q3 - *q1.  Any output
 * pointer may be NULL.  Returns 0, or -1 (outputs set to NAN) when there is
 * no number or on allocation failure.  v is not modified.
 */
int sb_quartiles_d(const double *v, int n, double *q1, double *q2, double *q3);

/*
 * A distribution-free confidence interval for the median of the numbers
 * among v[0..n-1] (NaN left out; m of them): the order statistics
 * [x(j), x(m+1-j)] (1-based) with the largest j such that
 * P(Bin(m, 1/2) <= j-1) <= (1 - conf)/2, so that the interval covers the
 * true median with probability at least conf whatever the distribution
 * (the method of Hoefler & Belli, SC'15, after Le Boudec).  At conf = 0.95
 * it needs m >= 6 (2 * 2^-m <= 0.05).  Returns 0 with *lo, *hi set; -1
 * (both NAN) when m is too small for conf or on allocation failure.
 */
int sb_median_ci(const double *v, int n, double conf, double *lo, double *hi);

/*
 * --repeat=auto's stopping rule over the throughputs of one configuration's
 * repetitions so far: stop when there are max_reps of them, or when there
 * are at least min_reps and the 95% interval of sb_median_ci lies within
 * +-rel of the median (lo >= (1-rel)*median and hi <= (1+rel)*median).
 * Returns 1 to stop, 0 to run another repetition.  *stable (may be NULL) is
 * 1 when the interval criterion holds, 0 when not (then a stop at max_reps
 * is "unstable").
 */
int sb_auto_stop(const double *v, int n, int min_reps, int max_reps, double rel, int *stable);

#endif
