/*
 * condvar.c - a producer and a consumer through a one-slot buffer guarded
 * by a mutex and two condition variables.  The consumer checks that it got
 * every item in order; exit 0 when all ITEMS arrived.
 * Usage: prof_condvar [ITEMS]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t m;
static pthread_cond_t full, empty;
static int slot_used;
static long slot, items = 2000, got, bad;

static void *producer(void *arg)
{
	(void)arg;
	for (long i = 1; i <= items; i++) {
		pthread_mutex_lock(&m);
		while (slot_used)
			pthread_cond_wait(&empty, &m);
		slot = i;
		slot_used = 1;
		pthread_cond_signal(&full);
		pthread_mutex_unlock(&m);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (long i = 1; i <= items; i++) {
		pthread_mutex_lock(&m);
		while (!slot_used)
			pthread_cond_wait(&full, &m);
		bad += slot != i;
		got++;
		slot_used = 0;
		pthread_cond_signal(&empty);
		pthread_mutex_unlock(&m);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t p, c;
	if (argc > 1)
		items = atol(argv[1]);
	pthread_mutex_init(&m, NULL);
	pthread_cond_init(&full, NULL);
	pthread_cond_init(&empty, NULL);
	pthread_create(&c, NULL, consumer, NULL);
	pthread_create(&p, NULL, producer, NULL);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	printf("condvar: %ld items, %ld out of order\n", got, bad);
	return got == items && bad == 0 ? 0 : 1;
}
