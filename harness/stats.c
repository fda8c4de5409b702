/*
 * stats.c - histograms, fairness, small-sample summaries; see stats.h.
 */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void sb_hist_init(sb_hist_t *h)
{
	memset(h, 0, sizeof *h);
	h->min = UINT64_MAX;
}

void sb_hist_merge(sb_hist_t *dst, const sb_hist_t *src)
{
	for (int i = 0; i < SB_HIST_NBUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	dst->sum += src->sum;
	dst->clamped += src->clamped;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t sb_hist_count(const sb_hist_t *h)
{
	return h->count;
}

uint64_t sb_hist_max(const sb_hist_t *h)
{
	return h->count ? h->max : 0;
}

uint64_t sb_hist_min(const sb_hist_t *h)
{
	return h->count ? h->min : 0;
}

double sb_hist_mean(const sb_hist_t *h)
{
	return h->count ? (double)h->sum / (double)h->count : NAN;
}

int sb_hist_nbuckets(void)
{
	return SB_HIST_NBUCKETS;
}

uint64_t sb_hist_bucket_lower(int i)
{
	if (i < 0)
		return 0;
	if (i >= SB_HIST_NBUCKETS)
		return SB_HIST_LIMIT;
	if (i < (int)SB_HIST_SUB)
		return (uint64_t)i;
	unsigned s = ((unsigned)i >> SB_HIST_SUB_BITS) - 1;
	uint64_t m = SB_HIST_SUB + ((unsigned)i & (SB_HIST_SUB - 1));
	return m << s;
}

uint64_t sb_hist_bucket_width(int i)
{
	if (i < (int)SB_HIST_SUB || i >= SB_HIST_NBUCKETS)
		return 1;
	return UINT64_C(1) << (((unsigned)i >> SB_HIST_SUB_BITS) - 1);
}

uint64_t sb_hist_bucket_count(const sb_hist_t *h, int i)
{
	if (i < 0 || i >= SB_HIST_NBUCKETS)
		return 0;
	return h->bucket[i];
}

uint64_t sb_hist_percentile(const sb_hist_t *h, double p)
{
	uint64_t n = h->count, r, cum = 0;

	if (n == 0)
		return 0;
	if (!(p > 0.0)) /* also NaN */
		return h->min;
	if (p >= 100.0)
		return h->max;
	double x = p / 100.0 * (double)n;
	x = ceil(x - x * 1e-12);
	r = x < 1.0 ? 1 : (uint64_t)x;
	if (r >= n)
		return h->max;
	for (int i = 0; i < SB_HIST_NBUCKETS; i++) {
		cum += h->bucket[i];
		if (cum >= r) {
			uint64_t v = sb_hist_bucket_lower(i) + (sb_hist_bucket_width(i) - 1) / 2;
			if (v < h->min)
				v = h->min;
			if (v > h->max)
				v = h->max;
			return v;
		}
	}
	return h->max; /* not reached when the buckets add up to count */
}

/* Descending order for uint64_t. */
static int cmp_u64_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x < y) - (x > y);
}

double sb_jain(const uint64_t *x, int n)
{
	long double s = 0, s2 = 0;

	if (n <= 0)
		return NAN;
	for (int i = 0; i < n; i++) {
		long double v = (long double)x[i];
		s += v;
		s2 += v * v;
	}
	if (s2 == 0)
		return NAN;
	return (double)(s * s / ((long double)n * s2));
}

double sb_min_max_ratio(const uint64_t *x, int n)
{
	uint64_t mn = UINT64_MAX, mx = 0;

	if (n <= 0)
		return NAN;
	for (int i = 0; i < n; i++) {
		if (x[i] < mn)
			mn = x[i];
		if (x[i] > mx)
			mx = x[i];
	}
	if (mx == 0)
		return NAN;
	return (double)mn / (double)mx;
}

double sb_fairness_factor(const uint64_t *x, int n)
{
	long double total = 0, top = 0;
	uint64_t *c;

	if (n <= 0)
		return NAN;
	c = malloc((size_t)n * sizeof *c);
	if (!c)
		return NAN;
	memcpy(c, x, (size_t)n * sizeof *c);
	qsort(c, (size_t)n, sizeof *c, cmp_u64_desc);
	for (int i = 0; i < n; i++)
		total += (long double)c[i];
	for (int i = 0; i < n / 2; i++)
		top += (long double)c[i];
	if (n % 2)
		top += (long double)c[n / 2] / 2;
	free(c);
	if (total == 0)
		return NAN;
	return (double)(top / total);
}

int sb_starved(const uint64_t *x, int n)
{
	uint64_t mn = UINT64_MAX, mx = 0;

	if (n <= 0)
		return 0;
	for (int i = 0; i < n; i++) {
		if (x[i] < mn)
			mn = x[i];
		if (x[i] > mx)
			mx = x[i];
	}
	return mx - mn > mn; /* max > 2*min without overflow */
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The numbers of v[0..n-1], NaN left out, sorted into a new array; *m gets
 * their count.  NULL when there is none (or no memory). */
static double *sorted_numbers(const double *v, int n, int *m)
{
	double *c;

	*m = 0;
	if (n <= 0)
		return NULL;
	c = malloc((size_t)n * sizeof *c);
	if (!c)
		return NULL;
	for (int i = 0; i < n; i++)
		if (!isnan(v[i]))
			c[(*m)++] = v[i];
	if (!*m) {
		free(c);
		return NULL;
	}
	qsort(c, (size_t)*m, sizeof *c, cmp_double);
	return c;
}

/* Type-7 quantile of a sorted array: position (n-1)*q, interpolated. */
static double quantile_sorted(const double *c, int n, double q)
{
	double pos = (double)(n - 1) * q;
	int lo = (int)floor(pos);
	double frac = pos - lo;
	if (lo >= n - 1)
		return c[n - 1];
	if (frac == 0.0)
		return c[lo];
	return c[lo] + (c[lo + 1] - c[lo]) * frac;
}

static double median_sorted(const double *c, int m)
{
	return (m % 2) ? c[m / 2] : (c[m / 2 - 1] + c[m / 2]) / 2.0;
}

double sb_median_d(const double *v, int n)
{
	int m;
	double *c = sorted_numbers(v, n, &m), r;

	if (!c)
		return NAN;
	r = median_sorted(c, m);
	free(c);
	return r;
}

int sb_quartiles_d(const double *v, int n, double *q1, double *q2, double *q3)
{
	int m;
	double *c = sorted_numbers(v, n, &m);

	if (!c) {
		if (q1)
			*q1 = NAN;
		if (q2)
			*q2 = NAN;
		if (q3)
			*q3 = NAN;
		return -1;
	}
	if (q1)
		*q1 = quantile_sorted(c, m, 0.25);
	if (q2) /* the same expression as sb_median_d(), bit for bit */
		*q2 = median_sorted(c, m);
	if (q3)
		*q3 = quantile_sorted(c, m, 0.75);
	free(c);
	return 0;
}

int sb_median_ci(const double *v, int n, double conf, double *lo, double *hi)
{
	int m;
	double *c = sorted_numbers(v, n, &m);
	double alpha = (1.0 - conf) / 2.0, cdf = 0.0, pk = 0.0;
	int j = 0;

	*lo = *hi = NAN;
	if (!c)
		return -1;
	/* P(B <= k) for B ~ Bin(m, 1/2), k = 0, 1, ...: the largest j with
	 * P(B <= j-1) <= alpha; j = 0 means no interval reaches conf. */
	pk = ldexp(1.0, -m); /* P(B = 0) */
	for (int k = 0; k < m / 2; k++) {
		cdf += pk;
		if (cdf > alpha)
			break;
		j = k + 1;
		pk = pk * (double)(m - k) / (double)(k + 1);
	}
	if (j >= 1) {
		*lo = c[j - 1];
		*hi = c[m - j];
	}
	free(c);
	return j >= 1 ? 0 : -1;
}

int sb_auto_stop(const double *v, int n, int min_reps, int max_reps, double rel, int *stable)
{
	double lo, hi, med = sb_median_d(v, n);
	int ok = n >= min_reps && sb_median_ci(v, n, 0.95, &lo, &hi) == 0 && med > 0 && lo >= (1.0 - rel) * med &&
		 hi <= (1.0 + rel) * med;

	if (stable)
		*stable = ok;
	return ok || n >= max_reps;
}
