/*
 * test_stats.c - histogram, fairness, summaries, acquisition classification
 * and the clock.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "handoff.h"
#include "qemu.h"
#include "run.h"
#include "stats.h"
#include "tap.h"

#define NVALS 100000

/* splitmix64: deterministic, state passed explicitly. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in (0, 1]. */
static double rng_unit(uint64_t *s)
{
	return ((double)(rng_next(s) >> 11) + 1.0) / 9007199254740992.0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static int near(double a, double b, double tol)
{
	return fabs(a - b) <= tol;
}

/* ---- histogram ------------------------------------------------------ */

static void test_hist_layout(void)
{
	int bad = 0, i;
	sb_ok(sb_hist_nbuckets() == SB_HIST_NBUCKETS && SB_HIST_NBUCKETS == 4352, "hist: %d buckets",
	      sb_hist_nbuckets());
	sb_ok(sizeof(sb_hist_t) == 34880, "hist: sizeof(sb_hist_t) = %zu", sizeof(sb_hist_t));

	/* Buckets tile [0, 2^40) contiguously, each width <= max(1, lower/128). */
	for (i = 0; i + 1 < SB_HIST_NBUCKETS; i++) {
		uint64_t lo = sb_hist_bucket_lower(i), w = sb_hist_bucket_width(i);
		if (sb_hist_bucket_lower(i + 1) != lo + w)
			bad++;
		if (w > 1 && w * 128 > lo)
			bad++;
		if (sb_hist_index(lo) != (unsigned)i || sb_hist_index(lo + w - 1) != (unsigned)i)
			bad++;
	}
	sb_ok(bad == 0,
	      "hist: buckets tile contiguously, relative width <= 1/128, index(lower/upper) round-trips (%d bad)", bad);
	sb_ok(sb_hist_bucket_lower(0) == 0 &&
		      sb_hist_bucket_lower(SB_HIST_NBUCKETS - 1) + sb_hist_bucket_width(SB_HIST_NBUCKETS - 1) ==
			      SB_HIST_LIMIT,
	      "hist: buckets cover exactly [0, 2^40)");

	/* Exhaustive below 2^20: each value in its bucket, indices monotone. */
	bad = 0;
	unsigned prev = 0;
	for (uint64_t v = 0; v < (1u << 20); v++) {
		unsigned ix = sb_hist_index(v);
		uint64_t lo = sb_hist_bucket_lower((int)ix);
		if (v < lo || v >= lo + sb_hist_bucket_width((int)ix) || ix < prev || ix > prev + 1)
			bad++;
		if (v < 256 && ix != v)
			bad++;
		prev = ix;
	}
	sb_ok(bad == 0, "hist: every v < 2^20 in its bucket, exact below 256, index monotone (%d bad)", bad);

	/* Around every power of two up to 2^40. */
	bad = 0;
	for (int k = 1; k < 40; k++) {
		for (int d = -2; d <= 2; d++) {
			uint64_t v = (UINT64_C(1) << k) + (uint64_t)(int64_t)d;
			unsigned ix = sb_hist_index(v);
			uint64_t lo = sb_hist_bucket_lower((int)ix);
			if (ix >= SB_HIST_NBUCKETS || v < lo || v >= lo + sb_hist_bucket_width((int)ix))
				bad++;
		}
	}
	sb_ok(bad == 0, "hist: values around each 2^k (k < 40) land in their bucket (%d bad)", bad);
	sb_ok(sb_hist_index(SB_HIST_LIMIT) == SB_HIST_NBUCKETS - 1 && sb_hist_index(UINT64_MAX) == SB_HIST_NBUCKETS - 1,
	      "hist: values >= 2^40 clamp into the last bucket");
}

typedef enum { DIST_UNIFORM, DIST_EXP, DIST_PARETO, DIST_SMALL, DIST_LOGNORMAL } dist_t;

static const char *dist_name[] = {"uniform(0,1e6)", "exponential(mean 2000)", "pareto(alpha 1.1, xm 100)",
				  "uniform(0,300)", "lognormal(mu 7, sigma 2)"};

static uint64_t draw(dist_t d, uint64_t *s)
{
	double u = rng_unit(s);
	switch (d) {
	case DIST_UNIFORM:
		return rng_next(s) % 1000001u;
	case DIST_EXP:
		return (uint64_t)(-2000.0 * log(u));
	case DIST_PARETO:
		return (uint64_t)(100.0 / pow(u, 1.0 / 1.1));
	case DIST_SMALL:
		return rng_next(s) % 301u;
	case DIST_LOGNORMAL: {
		double u2 = rng_unit(s);
		double z = sqrt(-2.0 * log(u)) * cos(6.283185307179586 * u2);
		return (uint64_t)exp(7.0 + 2.0 * z);
	}
	}
	return 0;
}

/* Percentiles as hundredths of a percent, so the reference rank is exact. */
static const unsigned pct_x100[] = {0, 1, 100, 1000, 2500, 5000, 7500, 9000, 9900, 9990, 9999, 10000};

static void test_hist_percentiles(void)
{
	uint64_t *v = malloc(NVALS * sizeof *v);
	sb_hist_t *h = malloc(sizeof *h);
	uint64_t seed = 12345;

	if (!v || !h) {
		sb_ok(0, "hist: allocation");
		return;
	}
	for (int d = DIST_UNIFORM; d <= DIST_LOGNORMAL; d++) {
		int bad = 0;
		double worst = 0;
		sb_hist_init(h);
		for (int i = 0; i < NVALS; i++) {
			v[i] = draw((dist_t)d, &seed);
			sb_hist_add(h, v[i]);
		}
		qsort(v, NVALS, sizeof *v, cmp_u64);
		for (size_t j = 0; j < sizeof pct_x100 / sizeof pct_x100[0]; j++) {
			uint64_t pn = (uint64_t)pct_x100[j] * NVALS;
			uint64_t rank = (pn + 9999) / 10000; /* ceil(p/100 * n) */
			if (rank < 1)
				rank = 1;
			uint64_t ref = v[rank - 1];
			uint64_t got = sb_hist_percentile(h, pct_x100[j] / 100.0);
			double rel = ref ? fabs((double)got - (double)ref) / (double)ref : (double)got;
			if (rel > worst)
				worst = rel;
			if (ref < 256 ? got != ref : rel > 0.01) {
				bad++;
				sb_diag("%s p%.2f: got %llu want %llu", dist_name[d], pct_x100[j] / 100.0,
					(unsigned long long)got, (unsigned long long)ref);
			}
		}
		sb_ok(bad == 0, "hist %s: 12 percentiles within 1%% (exact < 256), worst %.5f", dist_name[d], worst);
		sb_ok(worst <= 1.0 / 256 + 1e-9, "hist %s: worst relative error %.5f <= 1/256", dist_name[d], worst);
		sb_ok(sb_hist_percentile(h, 100) == v[NVALS - 1] && sb_hist_max(h) == v[NVALS - 1],
		      "hist %s: p100 == max == %llu exactly", dist_name[d], (unsigned long long)v[NVALS - 1]);
		sb_ok(sb_hist_percentile(h, 0) == v[0] && sb_hist_min(h) == v[0] && sb_hist_count(h) == NVALS,
		      "hist %s: p0 == min == %llu, count %llu", dist_name[d], (unsigned long long)v[0],
		      (unsigned long long)sb_hist_count(h));
	}
	free(v);
	free(h);
}

static void test_hist_merge(void)
{
	sb_hist_t *a = malloc(sizeof *a), *b = malloc(sizeof *b), *c = malloc(sizeof *c);
	uint64_t seed = 777;
	int bad = 0;

	if (!a || !b || !c) {
		sb_ok(0, "hist merge: allocation");
		return;
	}
	sb_hist_init(a);
	sb_hist_init(b);
	sb_hist_init(c);
	for (int i = 0; i < NVALS; i++) {
		uint64_t x = draw(DIST_EXP, &seed);
		sb_hist_add(a, x);
		sb_hist_add(c, x);
	}
	for (int i = 0; i < NVALS / 2; i++) {
		uint64_t x = draw(DIST_PARETO, &seed);
		sb_hist_add(b, x);
		sb_hist_add(c, x);
	}
	sb_hist_add(b, SB_HIST_LIMIT * 2); /* one clamped value */
	sb_hist_add(c, SB_HIST_LIMIT * 2);
	sb_hist_merge(a, b);
	for (int i = 0; i < sb_hist_nbuckets(); i++)
		if (sb_hist_bucket_count(a, i) != sb_hist_bucket_count(c, i))
			bad++;
	sb_ok(bad == 0, "hist merge: merged == histogram of the concatenation, bucket by bucket (%d differ)", bad);
	sb_ok(memcmp(a, c, sizeof *a) == 0 && sb_hist_count(a) == NVALS + NVALS / 2 + 1,
	      "hist merge: count/min/max/sum/clamped equal too (count %llu)", (unsigned long long)sb_hist_count(a));

	/* Merging an empty histogram changes nothing (min stays right). */
	sb_hist_init(b);
	sb_hist_merge(a, b);
	sb_ok(memcmp(a, c, sizeof *a) == 0, "hist merge: merging an empty histogram is a no-op");
	sb_hist_init(b);
	sb_hist_merge(b, c);
	sb_ok(memcmp(b, c, sizeof *b) == 0, "hist merge: empty += h gives h");

	/* Clamping. */
	sb_ok(c->clamped == 1 && sb_hist_max(c) == SB_HIST_LIMIT * 2 &&
		      sb_hist_bucket_count(c, SB_HIST_NBUCKETS - 1) >= 1,
	      "hist: a value >= 2^40 is counted as clamped, in the last bucket, max exact");

	/* Empty and tiny histograms. */
	sb_hist_init(a);
	sb_ok(sb_hist_count(a) == 0 && sb_hist_percentile(a, 50) == 0 && sb_hist_max(a) == 0 && sb_hist_min(a) == 0 &&
		      isnan(sb_hist_mean(a)),
	      "hist: empty gives count 0, percentile 0, min/max 0, mean NAN");
	sb_hist_add(a, 1000);
	sb_hist_add(a, 3000);
	sb_hist_add(a, 5);
	sb_ok(sb_hist_percentile(a, 50) >= 990 && sb_hist_percentile(a, 50) <= 1010 &&
		      sb_hist_percentile(a, 34) >= 990 && sb_hist_percentile(a, 33) == 5 &&
		      sb_hist_percentile(a, 100) == 3000 && sb_hist_percentile(a, 0) == 5 &&
		      near(sb_hist_mean(a), 4005.0 / 3, 1e-9),
	      "hist: {5,1000,3000}: p33=5 p34~1000 p50~1000 p100=3000 mean=1335 (p50=%llu)",
	      (unsigned long long)sb_hist_percentile(a, 50));
	sb_hist_init(a);
	for (int i = 1; i <= 1000; i++)
		sb_hist_add(a, 7);
	sb_ok(sb_hist_percentile(a, 99.9) == 7 && sb_hist_percentile(a, 0.1) == 7, "hist: constant 7 -> 7");

	/* Rank tolerance: 99.9% of 1000 values is rank 999, not 1000.  999 lies
	 * in bucket 996..999 (midpoint 997), 1000 in the next one. */
	sb_hist_init(a);
	for (int i = 1; i <= 1000; i++)
		sb_hist_add(a, (uint64_t)i);
	sb_ok(sb_hist_percentile(a, 99.9) == 997 && sb_hist_percentile(a, 99.95) == 1000 &&
		      sb_hist_percentile(a, 50) == 500 && sb_hist_percentile(a, 0.1) == 1 &&
		      sb_hist_percentile(a, 0.11) == 2 && sb_hist_percentile(a, 25.5) == 255 &&
		      sb_hist_percentile(a, 25.6) == 256,
	      "hist: 1..1000: p99.9=997 (bucket of 999) p99.95=1000 p50=500 p0.1=1 p0.11=2 p25.5=255 p25.6=256 (got %llu)",
	      (unsigned long long)sb_hist_percentile(a, 99.9));
	{
		int wrong = 0;
		for (int k = 1; k < 256; k++) /* p = k/10 %: rank k, exact below 256 */
			if (sb_hist_percentile(a, k / 10.0) != (uint64_t)k)
				wrong++;
		sb_ok(wrong == 0, "hist: 1..1000: p(k/10) == k for every k < 256 (%d wrong)", wrong);
	}

	/* Cost of one add, for the record. */
	{
		uint64_t t0 = sb_now_ns(), x = 1;
		for (int i = 0; i < 10000000; i++) {
			x = x * 6364136223846793005u + 1442695040888963407u;
			sb_hist_add(a, x >> 40);
		}
		sb_diag("sb_hist_add + LCG: %.2f ns per call", (double)(sb_now_ns() - t0) / 1e7);
	}
	free(a);
	free(b);
	free(c);
}

/* ---- fairness and summaries ----------------------------------------- */

static void test_fairness(void)
{
	const uint64_t eq4[] = {1, 1, 1, 1}, one4[] = {1, 0, 0, 0}, inc4[] = {1, 2, 3, 4};
	const uint64_t five4[] = {5, 5, 5, 5}, ten4[] = {10, 0, 0, 0}, zero3[] = {0, 0, 0};
	const uint64_t eq3[] = {3, 3, 3}, one3[] = {0, 9, 0}, odd3[] = {2, 5, 3}, big2[] = {UINT64_MAX, UINT64_MAX};
	const uint64_t eq5[] = {7, 7, 7, 7, 7}, d4[] = {4, 3, 2, 1};

	sb_ok(near(sb_jain(eq4, 4), 1.0, 1e-12), "jain {1,1,1,1} = 1");
	sb_ok(near(sb_jain(one4, 4), 0.25, 1e-12), "jain {1,0,0,0} = 0.25");
	sb_ok(near(sb_jain(inc4, 4), 100.0 / 120.0, 1e-12), "jain {1,2,3,4} = 100/120 (got %.15f)", sb_jain(inc4, 4));
	sb_ok(near(sb_jain(big2, 2), 1.0, 1e-12), "jain {2^64-1, 2^64-1} = 1 (no overflow)");
	sb_ok(isnan(sb_jain(zero3, 3)) && isnan(sb_jain(eq4, 0)), "jain: all zero -> NAN, n=0 -> NAN");

	sb_ok(near(sb_min_max_ratio(inc4, 4), 0.25, 1e-12), "min/max {1,2,3,4} = 0.25");
	sb_ok(near(sb_min_max_ratio(eq3, 3), 1.0, 0) && near(sb_min_max_ratio(one4, 4), 0.0, 0),
	      "min/max {3,3,3} = 1, {1,0,0,0} = 0");
	sb_ok(isnan(sb_min_max_ratio(zero3, 3)) && isnan(sb_min_max_ratio(eq4, 0)),
	      "min/max: max 0 -> NAN, n=0 -> NAN");

	sb_ok(near(sb_fairness_factor(five4, 4), 0.5, 1e-15), "fairness factor {5,5,5,5} = 0.5");
	sb_ok(near(sb_fairness_factor(ten4, 4), 1.0, 1e-15), "fairness factor {10,0,0,0} = 1");
	sb_ok(near(sb_fairness_factor(eq3, 3), 0.5, 1e-15) && near(sb_fairness_factor(eq5, 5), 0.5, 1e-15),
	      "fairness factor odd n equal counts {3,3,3}, {7x5} = 0.5");
	sb_ok(near(sb_fairness_factor(one3, 3), 1.0, 1e-15), "fairness factor {0,9,0} = 1");
	sb_ok(near(sb_fairness_factor(odd3, 3), 0.65, 1e-12),
	      "fairness factor {2,5,3} = (5 + 3/2)/10 = 0.65 (got %.15f)", sb_fairness_factor(odd3, 3));
	sb_ok(near(sb_fairness_factor(d4, 4), 0.7, 1e-12), "fairness factor {4,3,2,1} = 0.7");
	sb_ok(near(sb_fairness_factor(eq4, 1), 0.5, 0), "fairness factor n=1 = 0.5");
	sb_ok(isnan(sb_fairness_factor(zero3, 3)) && isnan(sb_fairness_factor(eq4, 0)),
	      "fairness factor: total 0 -> NAN, n=0 -> NAN");
	{
		uint64_t big[4096];
		for (int i = 0; i < 4096; i++)
			big[i] = 1000;
		big[17] = 0;
		double f = sb_fairness_factor(big, 4096);
		sb_ok(near(f, 2048.0 * 1000 / (4095.0 * 1000), 1e-12), "fairness factor 4096 threads, one starved");
	}

	const uint64_t s1[] = {10, 5}, s2[] = {11, 5}, s3[] = {1, 0}, s4[] = {UINT64_MAX, UINT64_MAX / 2};
	sb_ok(!sb_starved(s1, 2) && sb_starved(s2, 2) && sb_starved(s3, 2) && !sb_starved(zero3, 3) &&
		      sb_starved(s4, 2) && !sb_starved(eq4, 4) && !sb_starved(eq4, 0),
	      "starved: {10,5} no, {11,5} yes, {1,0} yes, {0,0,0} no, {2^64-1, 2^63-1} yes, n=0 no");
}

static void test_summaries(void)
{
	double a[] = {3, 1, 2}, b[] = {4, 1, 3, 2}, c[] = {5, 1, 4, 2, 3}, one[] = {42};
	double q1, q2, q3;

	sb_ok(sb_median_d(a, 3) == 2.0 && sb_median_d(b, 4) == 2.5 && sb_median_d(one, 1) == 42.0,
	      "median {3,1,2}=2 {4,1,3,2}=2.5 {42}=42");
	sb_ok(a[0] == 3 && a[1] == 1 && a[2] == 2 && b[0] == 4, "median leaves its input unsorted");
	sb_ok(isnan(sb_median_d(a, 0)), "median n=0 -> NAN");
	sb_ok(sb_quartiles_d(c, 5, &q1, &q2, &q3) == 0 && q1 == 2 && q2 == 3 && q3 == 4, "quartiles {1..5}: 2 3 4");
	sb_ok(sb_quartiles_d(b, 4, &q1, &q2, &q3) == 0 && near(q1, 1.75, 1e-12) && q2 == 2.5 && near(q3, 3.25, 1e-12),
	      "quartiles {1..4}: 1.75 2.5 3.25 (type 7), IQR 1.5");
	sb_ok(sb_quartiles_d(one, 1, &q1, NULL, &q3) == 0 && q1 == 42 && q3 == 42, "quartiles {42}: 42 42");
	sb_ok(sb_quartiles_d(one, 0, &q1, &q2, &q3) == -1 && isnan(q1) && isnan(q2) && isnan(q3),
	      "quartiles n=0: -1, NAN");
}

/* ---- acquisition classification ------------------------------------- */

typedef struct {
	uint32_t me; /* mark: thread id + 1 */
	uint64_t arrival, acquire, release;
	sb_acq_kind_t expect;
} acq_event_t;

static void test_classify(void)
{
	/* A scripted run of one exclusive lock: each acquisition reads the
	 * record the previous release wrote. */
	static const acq_event_t ev[] = {
		{1, 10, 10, 20, SB_ACQ_IDLE},                                       /* first ever: nothing released */
		{1, 25, 25, 30, SB_ACQ_REACQUIRE},                                  /* same owner again */
		{2, 28, 35, 50, SB_ACQ_HANDOFF},                                    /* waited from 28, released 30: 5 */
		{3, 40, 52, 60, SB_ACQ_HANDOFF},                                    /* waited from 40, released 50: 2 */
		{4, 70, 70, 80, SB_ACQ_IDLE},                                       /* arrived after the release */
		{4, 85, 85, 90, SB_ACQ_REACQUIRE},   {1, 90, 91, 100, SB_ACQ_IDLE}, /* arrival == release: free */
		{1, 99, 101, 110, SB_ACQ_REACQUIRE},                                /* same owner beats timestamps */
		{3, 105, 112, 120, SB_ACQ_HANDOFF},                                 /* waited from 105: 2 */
		{2, 130, 130, 140, SB_ACQ_IDLE},
	};
	int cnt[SB_ACQ_NKINDS] = {0}, bad = 0;
	uint64_t lat = 0;
	sb_acq_seen_t seen = {0, 0, 0, 0, 0};

	for (size_t i = 0; i < sizeof ev / sizeof ev[0]; i++) {
		uint32_t from = 0;
		uint64_t rel = 0;
		int fr = -1;
		sb_acq_kind_t k = sb_classify(&seen, ev[i].me, 0, ev[i].arrival, &from, &rel, &fr);
		cnt[k]++;
		if (k != ev[i].expect) {
			bad++;
			sb_diag("event %zu: got %s want %s", i, sb_acq_kind_name(k), sb_acq_kind_name(ev[i].expect));
		}
		if (k == SB_ACQ_HANDOFF) {
			lat += ev[i].acquire - rel;
			bad += from != seen.w_last || fr != 0;
		}
		seen.w_last = ev[i].me;
		seen.w_rel = ev[i].release;
	}
	sb_ok(bad == 0 && cnt[SB_ACQ_IDLE] == 4 && cnt[SB_ACQ_REACQUIRE] == 3 && cnt[SB_ACQ_HANDOFF] == 3 &&
		      cnt[SB_ACQ_JOIN] == 0,
	      "classify scripted run: idle 4, reacquire 3, handoff 3 (got %d %d %d)", cnt[SB_ACQ_IDLE],
	      cnt[SB_ACQ_REACQUIRE], cnt[SB_ACQ_HANDOFF]);
	sb_ok(lat == 9, "classify scripted run: handoff latencies sum to 5+2+2=9 (got %llu)", (unsigned long long)lat);
	uint32_t f;
	uint64_t r;
	int fr;
	sb_acq_seen_t none = {0, 1000, 0, 0, 0}, four = {4, 1000, 0, 0, 0};
	sb_ok(sb_classify(&none, 1, 0, 5, &f, &r, &fr) == SB_ACQ_IDLE,
	      "classify: no previous release -> idle even if the arrival is earlier");
	sb_ok(sb_classify(&four, 4, 0, 5, &f, &r, &fr) == SB_ACQ_REACQUIRE &&
		      sb_classify(&four, 5, 0, 999, &f, &r, &fr) == SB_ACQ_HANDOFF &&
		      sb_classify(&four, 5, 0, 1000, &f, &r, &fr) == SB_ACQ_IDLE &&
		      sb_classify(&four, 5, 0, 1001, &f, &r, &fr) == SB_ACQ_IDLE,
	      "classify: reacquire / handoff (999<1000) / idle at == and after");
	sb_ok(strcmp(sb_acq_kind_name(SB_ACQ_HANDOFF), "handoff") == 0 &&
		      strcmp(sb_acq_kind_name(SB_ACQ_IDLE), "idle") == 0 &&
		      strcmp(sb_acq_kind_name(SB_ACQ_JOIN), "join") == 0,
	      "classify: kind names");
}

/*
 * A scripted run of a reader/writer lock, with the records kept as the
 * loop keeps them: an exclusive release writes (mark, stamp); a shared one
 * raises the packed maximum (sb_rrec_pack); readers inside are counted.
 * Each acquisition is classified when it owns the lock, its handoff latency
 * added with sb_handoff_add.
 */
enum { EV_ACQ, EV_REL };
typedef struct {
	int what;
	uint32_t me;
	int shared;
	uint64_t arrival, t; /* t: owned stamp (EV_ACQ) or release stamp (EV_REL) */
	sb_acq_kind_t expect;
	int to_readers_expected; /* handoffs: 1 to a reader, 0 to a writer */
} rw_event_t;

static void test_classify_rw(void)
{
	static const rw_event_t ev[] = {
		{EV_ACQ, 1, 0, 10, 10, SB_ACQ_IDLE, 0}, /* W1: nothing released yet */
		{EV_REL, 1, 0, 0, 20, 0, 0},
		{EV_ACQ, 2, 1, 15, 22, SB_ACQ_HANDOFF, 1}, /* R2 waited for W1: writer -> reader, 2 */
		{EV_ACQ, 3, 1, 18, 23, SB_ACQ_HANDOFF, 1}, /* R3 too (a batch of readers), 3 */
		{EV_ACQ, 4, 1, 24, 24, SB_ACQ_JOIN, 0},    /* R4 comes in beside them */
		{EV_REL, 2, 1, 0, 30, 0, 0},
		{EV_REL, 3, 1, 0, 31, 0, 0},
		{EV_REL, 4, 1, 0, 35, 0, 0},
		{EV_ACQ, 1, 0, 25, 36, SB_ACQ_HANDOFF, 0}, /* W1 waited for the readers: readers -> writer, 1 */
		{EV_REL, 1, 0, 0, 40, 0, 0},
		{EV_ACQ, 1, 0, 41, 41, SB_ACQ_REACQUIRE, 0}, /* W1 again */
		{EV_REL, 1, 0, 0, 45, 0, 0},
		{EV_ACQ, 2, 1, 50, 50, SB_ACQ_IDLE, 0}, /* free when R2 came */
		{EV_REL, 2, 1, 0, 55, 0, 0},
		{EV_ACQ, 2, 1, 60, 60, SB_ACQ_REACQUIRE, 0}, /* R2 again: its own release was the latest */
		{EV_ACQ, 3, 1, 58, 61, SB_ACQ_JOIN, 0},      /* R3 beside R2 */
		{EV_REL, 2, 1, 0, 65, 0, 0},
		{EV_REL, 3, 1, 0, 66, 0, 0},
		{EV_ACQ, 4, 0, 70, 70, SB_ACQ_IDLE, 0}, /* W4: the readers left before it came */
		{EV_REL, 4, 0, 0, 80, 0, 0},
		{EV_ACQ, 3, 1, 79, 80, SB_ACQ_HANDOFF, 1}, /* R3 waited for W4; latency 0: counted, not histogrammed */
		{EV_REL, 3, 1, 0, 85, 0, 0},
		{EV_ACQ, 2, 1, 84, 86, SB_ACQ_JOIN, 0}, /* R2 came while R3 was still inside */
	};
	const uint64_t base = 5;
	sb_acq_seen_t seen = {0, 0, 0, 0, 0};
	uint64_t rrec = 0, kinds[SB_ACQ_NKINDS] = {0}, to_w = 0, to_r = 0, from_readers = 0, nonpos = 0, timed = 0;
	uint32_t inside = 0;
	sb_hist_t *h = malloc(sizeof(*h));
	int bad = 0;

	sb_hist_init(h);
	for (size_t i = 0; i < sizeof ev / sizeof ev[0]; i++) {
		const rw_event_t *e = &ev[i];
		if (e->what == EV_REL) {
			if (e->shared) {
				uint64_t rec = sb_rrec_pack(e->t, base, e->me);
				rrec = rec > rrec ? rec : rrec;
				inside--;
			} else {
				seen.w_last = e->me;
				seen.w_rel = e->t;
			}
			continue;
		}
		seen.inside = e->shared ? inside : 0;
		seen.r_last = sb_rrec_mark(rrec);
		seen.r_rel = rrec ? sb_rrec_stamp(rrec, base) : 0;
		inside += (uint32_t)e->shared;
		uint32_t from = 0;
		uint64_t rel = 0, lat = 0;
		int fr = 0;
		sb_acq_kind_t k = sb_classify(&seen, e->me, e->shared, e->arrival, &from, &rel, &fr);
		timed++;
		kinds[k]++;
		if (k != e->expect) {
			bad++;
			sb_diag("rw event %zu (mark %u, %s): got %s want %s", i, e->me, e->shared ? "read" : "write",
				sb_acq_kind_name(k), sb_acq_kind_name(e->expect));
		}
		if (k == SB_ACQ_HANDOFF) {
			to_r += (uint64_t)e->shared;
			to_w += (uint64_t)!e->shared;
			from_readers += (uint64_t)fr;
			bad += e->shared != e->to_readers_expected;
			sb_handoff_add(h, &nonpos, e->t, rel, 1.0, &lat);
		}
	}
	sb_ok(bad == 0, "rw scripted run: every acquisition classified as scripted (%d wrong)", bad);
	sb_ok(to_w == 1 && to_r == 3 && from_readers == 1,
	      "rw scripted run: handoffs to writers 1 (from readers 1), to readers 3 (got %llu %llu %llu)",
	      (unsigned long long)to_w, (unsigned long long)to_r, (unsigned long long)from_readers);
	sb_ok(kinds[SB_ACQ_JOIN] == 3 && kinds[SB_ACQ_REACQUIRE] == 2 && kinds[SB_ACQ_IDLE] == 3,
	      "rw scripted run: shared joins 3, reacquires 2, idle 3 (got %llu %llu %llu)",
	      (unsigned long long)kinds[SB_ACQ_JOIN], (unsigned long long)kinds[SB_ACQ_REACQUIRE],
	      (unsigned long long)kinds[SB_ACQ_IDLE]);
	sb_ok(timed == kinds[SB_ACQ_HANDOFF] + kinds[SB_ACQ_JOIN] + kinds[SB_ACQ_REACQUIRE] + kinds[SB_ACQ_IDLE] &&
		      timed == 12,
	      "rw scripted run: 12 timed acquisitions = handoffs + joins + reacquires + idle");
	sb_ok(nonpos == 1 && sb_hist_count(h) == 3 && h->sum == 2 + 3 + 1 && sb_hist_min(h) == 1,
	      "rw scripted run: latencies 2, 3, 1 histogrammed; the 0-length one counted apart (%llu, %llu in the "
	      "histogram, sum %llu)",
	      (unsigned long long)nonpos, (unsigned long long)sb_hist_count(h), (unsigned long long)h->sum);
	free(h);
}

/* Latencies of zero or less are counted, never clipped into the histogram. */
static void test_handoff_add(void)
{
	sb_hist_t *h = malloc(sizeof(*h));
	uint64_t nonpos = 0, lat = 7;

	sb_hist_init(h);
	int a = sb_handoff_add(h, &nonpos, 1000, 1200, 0.5, &lat); /* owned before the release: negative */
	int b = sb_handoff_add(h, &nonpos, 1200, 1200, 0.5, &lat); /* the same tick: zero */
	int c = sb_handoff_add(h, &nonpos, 1300, 1200, 0.5, &lat); /* 100 ticks = 50 ns */
	sb_ok(a == 0 && b == 0 && c == 1 && nonpos == 2,
	      "handoff_add: a negative and a zero latency are counted (%llu)", (unsigned long long)nonpos);
	sb_ok(sb_hist_count(h) == 1 && sb_hist_min(h) == 50 && lat == 50 && sb_hist_bucket_count(h, 0) == 0,
	      "handoff_add: only the 50 ns one is in the histogram, and nothing in its 0 bucket");
	free(h);
}

/* ---- repetitions: median with NaN, interval, --repeat=auto ---------- */

static void test_repetitions(void)
{
	const double nan = NAN;
	double a[] = {1, nan, 2}, b[] = {1, nan, nan}, c[] = {nan, nan};
	sb_ok(sb_median_d(a, 3) == 1.5, "median {1, NaN, 2} = 1.5 (NaN left out)");
	sb_ok(sb_median_d(b, 3) == 1.0, "median {1, NaN, NaN} = 1");
	sb_ok(isnan(sb_median_d(c, 2)), "median {NaN, NaN} = NaN");
	double q1, q2, q3;
	double d[] = {4, nan, 1, 3, nan, 2};
	sb_ok(sb_quartiles_d(d, 6, &q1, &q2, &q3) == 0 && near(q1, 1.75, 1e-12) && q2 == 2.5 && near(q3, 3.25, 1e-12),
	      "quartiles of {4, NaN, 1, 3, NaN, 2} = those of {1..4}");

	/* The order-statistic interval: none below 6 values at 95%; [x(1), x(6)] at 6;
	 * [x(2), x(9)] at 10 (P(B <= 1) = 11/1024 <= 0.025 < P(B <= 2) = 56/1024). */
	double lo, hi, v[15];
	for (int i = 0; i < 15; i++)
		v[i] = 100 + i;
	sb_ok(sb_median_ci(v, 5, 0.95, &lo, &hi) == -1 && isnan(lo) && isnan(hi), "median CI: none with 5 values");
	sb_ok(sb_median_ci(v, 6, 0.95, &lo, &hi) == 0 && lo == 100 && hi == 105, "median CI of 6: [x(1), x(6)]");
	sb_ok(sb_median_ci(v, 10, 0.95, &lo, &hi) == 0 && lo == 101 && hi == 108, "median CI of 10: [x(2), x(9)]");
	sb_ok(sb_median_ci(v, 15, 0.95, &lo, &hi) == 0 && lo == 103 && hi == 111,
	      "median CI of 15: [x(4), x(12)] (P(B <= 3) = 0.0176)");

	/* The stopping rule on samples of known spread: +-1% stops as soon as an
	 * interval exists (6), +-20% never (15, unstable). */
	double tight[15], wide[15];
	for (int i = 0; i < 15; i++) {
		tight[i] = 1000.0 * (1.0 + 0.01 * ((i % 5) - 2) / 2.0);
		wide[i] = 1000.0 * (1.0 + 0.30 * ((i % 5) - 2) / 2.0);
	}
	int stop_at = 0, stable = -1;
	for (int n = 3; n <= 15 && !stop_at; n++)
		if (sb_auto_stop(tight, n, 3, 15, 0.05, &stable))
			stop_at = n;
	sb_ok(stop_at == 6 && stable == 1, "auto: samples within +-1%% stop at 6 repetitions, stable (%d)", stop_at);
	stop_at = 0;
	for (int n = 3; n <= 15 && !stop_at; n++)
		if (sb_auto_stop(wide, n, 3, 15, 0.05, &stable))
			stop_at = n;
	sb_ok(stop_at == 15 && stable == 0, "auto: samples within +-30%% run to the cap of 15, unstable (%d)", stop_at);
	/* One outlier among tight samples: the interval ignores it once there are enough. */
	double out[15];
	memcpy(out, tight, sizeof out);
	out[0] = 3000;
	stop_at = 0;
	for (int n = 3; n <= 15 && !stop_at; n++)
		if (sb_auto_stop(out, n, 3, 15, 0.05, &stable))
			stop_at = n;
	sb_ok(stop_at > 6 && stop_at < 15 && stable == 1,
	      "auto: one wild repetition delays the stop (to %d) but does not make it unstable", stop_at);
}

/* ---- the latency phase's sampling ------------------------------------ */

static void test_sampling(void)
{
	/* 10M acquisitions in a 0.2 s window (period 20 ns, budget 1 ns), 0.1 s
	 * timed, 14 ns per stamp: c = 5 x 14 = 70 ns in a critical path, no probe.
	 * max-contention (gated): the budget alone would take every*gate =
	 * (4c/B)(2c/B) = 39200, but 250 classified acquisitions in 5M cap the
	 * product at 20000: gate 64 (64^2 <= 10000 < 128^2), every 312. */
	sb_sampling_t g = sb_sampling(10000000, 0.2, 0.1, 14.0, 1);
	sb_ok(g.gate == 64 && g.every == 312, "sampling, gated: gate 64, every 312 (got %llu, %llu)",
	      (unsigned long long)g.gate, (unsigned long long)g.every);
	/* The same window with every release stamped: that stamp alone is over
	 * budget, so every = ceil(70 / (1/2)) = 140. */
	sb_sampling_t u = sb_sampling(10000000, 0.2, 0.1, 14.0, 0);
	sb_ok(u.gate == 1 && u.every == 140, "sampling, every release stamped: every 140 (got %llu, %llu)",
	      (unsigned long long)u.gate, (unsigned long long)u.every);
	/* A slow lock (2000 acquisitions, period 100 us): everything is timed. */
	sb_sampling_t s = sb_sampling(2000, 0.2, 0.1, 14.0, 1);
	sb_ok(s.gate == 1 && s.every == 1, "sampling, slow lock: every acquisition timed and classified");
	/* Cheap stamps (0.5 ns, c = 2.5) against the 20 ns period: the budget
	 * decides, (4 x 2.5)(2 x 2.5) = 50 -> gate 4 (16 <= 25 < 64), every 12. */
	sb_sampling_t c = sb_sampling(10000000, 0.2, 0.1, 0.5, 1);
	sb_ok(c.gate == 4 && c.every == 12, "sampling, cheap stamps: the budget decides (every %llu, gate %llu)",
	      (unsigned long long)c.every, (unsigned long long)c.gate);
	sb_sampling_t z = sb_sampling(0, 0.2, 0.1, 14.0, 1);
	sb_ok(z.gate == 1 && z.every == 1, "sampling, no acquisition in the window: all timed");
	/* A period of 1 us (200k acquisitions in 0.2 s, budget 50 ns): c = 70
	 * gives (4c/B)(2c/B) = 15.68 -> 16: gate 2 (4 <= 8 < 16), every 8 (two
	 * stamps of a timed acquisition against one of a gated release: every
	 * is twice gate).  The general loop: every = ceil(70 / max(50 - 70, 25)) = 3. */
	sb_sampling_t m = sb_sampling(200000, 0.2, 0.1, 14.0, 1);
	sb_ok(m.gate == 2 && m.every == 8, "sampling, 1 us period: gate 2, every 8 (got %llu, %llu)",
	      (unsigned long long)m.gate, (unsigned long long)m.every);
	sb_sampling_t gm = sb_sampling(200000, 0.2, 0.1, 14.0, 0);
	sb_ok(gm.every == 3 && gm.gate == 1, "sampling, general loop, 1 us period: every 3 (got %llu)",
	      (unsigned long long)gm.every);
}

/* ---- clock ---------------------------------------------------------- */

static void test_clock(void)
{
	sb_clock_info_t ci;
	int rc = sb_clock_init(&ci);

	sb_ok(rc == 0 && ci.ticks_per_sec > 0, "clock init: rc %d, source %s, %.6f GHz", rc, ci.source,
	      ci.ticks_per_sec / 1e9);
	sb_diag("clock: invariant %d (cpuid %d, constant_tsc %d, nonstop_tsc %d, hypervisor %d), spread %.2e, "
		"read %.1f ns",
		ci.invariant, ci.cpuid_invariant, ci.cpuinfo_constant, ci.cpuinfo_nonstop, ci.hypervisor,
		ci.calib_spread, ci.read_cost_ns);
#if defined(__x86_64__) || defined(__i386__)
	sb_ok(strcmp(ci.source, "tsc") == 0 && ci.invariant == (ci.cpuid_invariant == 1 ||
								(ci.cpuinfo_constant == 1 && ci.cpuinfo_nonstop == 1)),
	      "clock: x86 source is tsc, invariant flag = cpuid bit or constant+nonstop");
#elif defined(__aarch64__)
	sb_ok(strcmp(ci.source, "cntvct") == 0 && ci.invariant, "clock: aarch64 source is cntvct");
#else
	sb_ok(strcmp(ci.source, "clock_gettime") == 0, "clock: source clock_gettime");
#endif
	sb_ok(ci.calib_spread >= 0 && ci.calib_spread < 0.05, "clock: calibration spread %.2e < 5%%", ci.calib_spread);
	char why[200];
	if (sb_qemu_clock_too_coarse(ci.granularity_ns, ci.raw_cost_ns, "a read (the counter stands still across one)",
				     why, sizeof why)) {
		sb_skip(why, "clock: one ordered read costs %.1f ns (0, 2000)", ci.read_cost_ns);
		sb_skip(why, "clock: granularity %.2f ns is positive and at most one raw read (%.2f ns)",
			ci.granularity_ns, ci.raw_cost_ns);
		sb_skip(why, "clock: start stamp %.1f ns; read_cost_ticks matches read_cost_ns", ci.start_cost_ns);
	} else {
		sb_ok(ci.read_cost_ns > 0 && ci.read_cost_ns < 2000, "clock: one ordered read costs %.1f ns (0, 2000)",
		      ci.read_cost_ns);
		sb_ok(ci.granularity_ns > 0 && ci.granularity_ns <= ci.raw_cost_ns + 1e-9,
		      "clock: granularity %.2f ns is positive and at most one raw read (%.2f ns)", ci.granularity_ns,
		      ci.raw_cost_ns);
		sb_ok(ci.start_cost_ns > 0 &&
			      ci.read_cost_ticks == (uint64_t)(ci.read_cost_ns / sb_ns_per_tick() + 0.5),
		      "clock: start stamp %.1f ns; read_cost_ticks matches read_cost_ns", ci.start_cost_ns);
	}

	/* Against clock_gettime over a 50 ms sleep. */
	struct timespec req = {0, 50000000};
	uint64_t n0 = sb_now_ns(), t0 = sb_tick_start();
	nanosleep(&req, NULL);
	uint64_t t1 = sb_tick_end(), n1 = sb_now_ns();
	double tps = (double)(t1 - t0) / (double)(n1 - n0) * 1e9;
	sb_ok(fabs(tps / ci.ticks_per_sec - 1) < 0.05, "clock: calibration %.0f vs %.0f ticks/s over a 50 ms sleep",
	      ci.ticks_per_sec, tps);
	double ns = sb_ticks_to_ns(t1 - t0);
	sb_ok(fabs(ns / (double)(n1 - n0) - 1) < 0.05, "clock: sb_ticks_to_ns %.0f ns vs %llu ns elapsed", ns,
	      (unsigned long long)(n1 - n0));
	uint64_t back = sb_ns_to_ticks(ns);
	sb_ok(back + 2 >= t1 - t0 && back <= t1 - t0 + 2 && sb_ns_to_ticks(-5) == 0 && sb_ns_to_ticks(0) == 0,
	      "clock: sb_ns_to_ticks inverts sb_ticks_to_ns (%llu vs %llu)", (unsigned long long)back,
	      (unsigned long long)(t1 - t0));
	sb_ok(near(sb_ns_per_tick(), 1e9 / ci.ticks_per_sec, 1e-12), "clock: sb_ns_per_tick = 1e9 / ticks_per_sec");

	/* Monotone on one thread, every kind of read, and an end stamp after a
	 * start stamp is never earlier. */
	int bad = 0;
	uint64_t prev = sb_tick_raw();
	for (int i = 0; i < 1000000; i++) {
		uint64_t t = i % 3 == 0 ? sb_tick_start() : i % 3 == 1 ? sb_tick_end() : sb_tick_raw();
		if (t < prev)
			bad++;
		prev = t;
	}
	sb_ok(bad == 0, "clock: 1e6 back-to-back reads of the three kinds never go backwards (%d did)", bad);
	uint64_t a = sb_now_ns(), b = sb_now_ns();
	sb_ok(a > 0 && b >= a, "clock: sb_now_ns monotone");
}

int main(void)
{
	test_hist_layout();
	test_hist_percentiles();
	test_hist_merge();
	test_fairness();
	test_summaries();
	test_classify();
	test_classify_rw();
	test_handoff_add();
	test_repetitions();
	test_sampling();
	test_clock();
	return sb_tap_done();
}
