/*
 * hot.c - two threads and one hot lock with a known hold time: each thread
 * takes the mutex ITERS times and holds it HOLD_US microseconds (a busy
 * loop on CLOCK_MONOTONIC), with no think time.  The profile must show
 * 2 * ITERS acquisitions of one class and a hold p50 near HOLD_US.
 * Usage: prof_hot [HOLD_US [ITERS]]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t hot = PTHREAD_MUTEX_INITIALIZER;
static long hold_ns = 20000, iters = 500;
static long counter;

static long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void *worker(void *arg)
{
	(void)arg;
	for (long i = 0; i < iters; i++) {
		pthread_mutex_lock(&hot);
		long end = now_ns() + hold_ns;
		while (now_ns() < end)
			;
		counter++;
		pthread_mutex_unlock(&hot);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[2];
	if (argc > 1)
		hold_ns = atol(argv[1]) * 1000;
	if (argc > 2)
		iters = atol(argv[2]);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("hot: %ld critical sections\n", counter);
	return counter == 2 * iters ? 0 : 1;
}
