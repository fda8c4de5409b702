/*
 * parking.c - a mutex used to park a worker: the main thread holds it for
 * 5 ms at a time, ten times, while the worker blocks on it between rounds
 * (the pattern of redis's I/O threads).  Its class must be shown as
 * parking, not as contention.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static atomic_int round_no, done;

static void *worker(void *arg)
{
	(void)arg;
	for (int seen = 0; !atomic_load(&done);) {
		while (atomic_load(&round_no) == seen && !atomic_load(&done))
			;
		seen = atomic_load(&round_no);
		pthread_mutex_lock(&gate); /* parked here while main holds the gate */
		pthread_mutex_unlock(&gate);
	}
	return NULL;
}

int main(void)
{
	pthread_t t;
	struct timespec five = {0, 5000000};
	pthread_create(&t, NULL, worker, NULL);
	for (int i = 0; i < 10; i++) {
		pthread_mutex_lock(&gate);
		atomic_fetch_add(&round_no, 1);
		nanosleep(&five, NULL);
		pthread_mutex_unlock(&gate);
		nanosleep(&five, NULL);
	}
	atomic_store(&done, 1);
	pthread_join(t, NULL);
	return 0;
}
