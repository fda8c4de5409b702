/*
 * stack.c - one lock taken through one wrapper, take(), from two paths:
 * path_a() and path_b(), each in its own thread.  Every
 * acquisition has the same call site (inside take()), so only the frames
 * above the site tell the two paths apart: stacks.csv must show the
 * contended acquisitions under path_a and path_b separately, and sites.csv
 * the first caller of take().  Usage: prof_stack [ITERS]
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t go; /* both paths start together (glibc's barrier takes no pthread mutex) */
static volatile long counter;
static long iters = 300;

static void spin_us(long us)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000 < us);
}

__attribute__((noinline)) static void take(void)
{
	pthread_mutex_lock(&m);
	counter = counter + 1;
	spin_us(5);
	pthread_mutex_unlock(&m);
}

__attribute__((noinline)) static void path_a(void)
{
	for (long i = 0; i < iters; i++)
		take();
	__asm__ volatile("" ::: "memory"); /* keeps the call above a call, not a tail jump */
}

__attribute__((noinline)) static void path_b(void)
{
	for (long i = 0; i < iters; i++)
		take();
	__asm__ volatile("" ::: "memory");
}

static void *run_a(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&go);
	path_a();
	return NULL;
}

static void *run_b(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&go);
	path_b();
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		iters = atol(argv[1]);
	pthread_t t[2];
	pthread_barrier_init(&go, NULL, 2);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, i % 2 ? run_b : run_a, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return counter == 2 * iters ? 0 : 1;
}
