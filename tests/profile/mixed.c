/*
 * mixed.c - every lock kind with known counts, in one thread unless said:
 *   rwlock: 300 read acquisitions, 200 write acquisitions
 *   spin:   100 acquisitions
 *   C11 mtx: 50 acquisitions
 *   mutex:  7 trylock failures (a second thread holds it), 3 timedlock
 *           timeouts (1 ms each, same holder), then 10 acquisitions
 * The profile must count each apart.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <threads.h>
#include <time.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static atomic_int held, release;

static void *holder(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	atomic_store(&held, 1);
	while (!atomic_load(&release))
		;
	pthread_mutex_unlock(&m);
	return NULL;
}

int main(void)
{
	pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
	pthread_spinlock_t s;
	mtx_t x;
	pthread_t t;
	int fails = 0, timeouts = 0;

	for (int i = 0; i < 300; i++) {
		pthread_rwlock_rdlock(&rw);
		pthread_rwlock_unlock(&rw);
	}
	for (int i = 0; i < 200; i++) {
		pthread_rwlock_wrlock(&rw);
		pthread_rwlock_unlock(&rw);
	}
	pthread_spin_init(&s, PTHREAD_PROCESS_PRIVATE);
	for (int i = 0; i < 100; i++) {
		pthread_spin_lock(&s);
		pthread_spin_unlock(&s);
	}
	mtx_init(&x, mtx_plain);
	for (int i = 0; i < 50; i++) {
		mtx_lock(&x);
		mtx_unlock(&x);
	}
	pthread_create(&t, NULL, holder, NULL);
	while (!atomic_load(&held))
		;
	for (int i = 0; i < 7; i++)
		fails += pthread_mutex_trylock(&m) == EBUSY;
	for (int i = 0; i < 3; i++) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		timeouts += pthread_mutex_timedlock(&m, &ts) == ETIMEDOUT;
	}
	atomic_store(&release, 1);
	pthread_join(t, NULL);
	for (int i = 0; i < 10; i++) {
		pthread_mutex_lock(&m);
		pthread_mutex_unlock(&m);
	}
	return fails == 7 && timeouts == 3 ? 0 : 1;
}
