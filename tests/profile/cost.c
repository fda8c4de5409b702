/*
 * cost.c - ns per uncontended pthread_mutex_lock + unlock pair, one thread:
 * the median of 7 rounds of 2 million pairs.  Run with and without the
 * preload (tests/profile/bench.sh) for the profiler's added cost.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(void)
{
	static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	enum { ROUNDS = 7, PAIRS = 2000000 };
	double r[ROUNDS];
	for (int k = 0; k < ROUNDS; k++) {
		double t0 = now_ns();
		for (int i = 0; i < PAIRS; i++) {
			pthread_mutex_lock(&m);
			pthread_mutex_unlock(&m);
		}
		r[k] = (now_ns() - t0) / PAIRS;
	}
	qsort(r, ROUNDS, sizeof r[0], cmp);
	printf("%.2f\n", r[ROUNDS / 2]);
	return 0;
}
