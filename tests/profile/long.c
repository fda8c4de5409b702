/*
 * long.c - two threads sharing one mutex for SECONDS seconds (1 us holds),
 * long enough to ask profile-app for an interim report with SIGUSR1.
 * Usage: prof_long [SECONDS]
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static double seconds = 3;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *worker(void *arg)
{
	(void)arg;
	double end = now() + seconds;
	while (now() < end) {
		pthread_mutex_lock(&m);
		double t = now() + 1e-6;
		while (now() < t)
			;
		pthread_mutex_unlock(&m);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[2];
	if (argc > 1)
		seconds = atof(argv[1]);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return 0;
}
